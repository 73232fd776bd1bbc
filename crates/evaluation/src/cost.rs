//! Cost: configurable unit costs → cost per participant, per completion and per reoffence
//! avoided against a comparison group.
//!
//! Cost per reoffence avoided is an incremental cost-effectiveness ratio:
//! `(programme cost per person − comparison cost per person) ÷ (comparison reoffences per person
//! − programme reoffences per person)`. It is "not estimable" when the programme group does not
//! reoffend less (dividing by zero or a negative "saving" means nothing), and reported as
//! "cost-saving" when the programme costs less *and* reduces reoffending. The arithmetic is
//! returned as text so a reader can check it. The reoffence frequencies carry sampling error the
//! ratio does not show; the report says so.

use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Unit costs in pounds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UnitCosts {
    pub navigator_hour: f64,
    /// Cost of one session/unit of each intervention type, keyed by the scheme's own name.
    pub interventions: BTreeMap<String, f64>,
    pub prosecution: f64,
    pub court_hearing: f64,
}

/// Resources one case used.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResourceUse {
    pub navigator_hours: f64,
    /// Units of each intervention type. Shared: cases on the same contract terms hold one map.
    pub interventions: Arc<BTreeMap<String, u32>>,
    pub prosecutions: u32,
    pub court_hearings: u32,
}

impl ResourceUse {
    /// Priced at `costs`. An intervention type with no unit cost is priced at zero and listed
    /// by [`ResourceUse::unpriced`] so the report can warn.
    pub fn cost(&self, costs: &UnitCosts) -> f64 {
        self.cost_with(self.interventions_cost(costs), costs)
    }

    /// The interventions' share of [`ResourceUse::cost`].
    fn interventions_cost(&self, costs: &UnitCosts) -> f64 {
        self.interventions
            .iter()
            .map(|(kind, &units)| {
                costs.interventions.get(kind).copied().unwrap_or(0.0) * f64::from(units)
            })
            .sum()
    }

    /// [`ResourceUse::cost`] with the interventions already priced.
    fn cost_with(&self, interventions: f64, costs: &UnitCosts) -> f64 {
        self.navigator_hours * costs.navigator_hour
            + interventions
            + f64::from(self.prosecutions) * costs.prosecution
            + f64::from(self.court_hearings) * costs.court_hearing
    }

    pub fn unpriced<'a>(&'a self, costs: &'a UnitCosts) -> impl Iterator<Item = &'a str> + 'a {
        self.interventions
            .keys()
            .filter(|kind| !costs.interventions.contains_key(*kind))
            .map(String::as_str)
    }
}

/// Prices many cases' resources: a million cases share a few dozen maps of interventions
/// (one per set of contract terms), so each shared map is priced, and checked for types
/// without a unit cost, once.
#[derive(Debug)]
pub struct Pricing<'a> {
    costs: &'a UnitCosts,
    /// The interventions' cost of each map met so far, by its address (the maps are
    /// borrowed for as long as this lives, so an address cannot be reused).
    priced: HashMap<*const BTreeMap<String, u32>, f64>,
    unpriced: BTreeSet<&'a str>,
}

impl<'a> Pricing<'a> {
    pub fn new(costs: &'a UnitCosts) -> Self {
        Pricing {
            costs,
            priced: HashMap::new(),
            unpriced: BTreeSet::new(),
        }
    }

    /// The same as [`ResourceUse::cost`].
    pub fn cost(&mut self, resources: &'a ResourceUse) -> f64 {
        let costs = self.costs;
        let interventions = match self.priced.entry(Arc::as_ptr(&resources.interventions)) {
            Entry::Occupied(known) => *known.get(),
            Entry::Vacant(new) => {
                self.unpriced.extend(resources.unpriced(costs));
                *new.insert(resources.interventions_cost(costs))
            }
        };
        resources.cost_with(interventions, costs)
    }

    /// The intervention types met without a unit cost, in name order.
    pub fn unpriced(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.unpriced.iter().copied()
    }
}

/// Totals for one group, as the report layer counts them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GroupCost {
    pub people: u64,
    pub total_cost: f64,
    /// People whose follow-up window has elapsed, and their reoffences in it.
    pub followed_up: u64,
    pub reoffences: u64,
}

/// The cost of each reoffence avoided, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PerReoffenceAvoided {
    Estimated {
        pounds: f64,
        reoffences_avoided_per_100: f64,
    },
    /// Cheaper and fewer reoffences.
    CostSaving {
        saving_per_person: f64,
        reoffences_avoided_per_100: f64,
    },
    NotEstimable {
        reason: String,
    },
}

/// Cost summary with its arithmetic spelled out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    pub cost_per_participant: Option<f64>,
    pub cost_per_completion: Option<f64>,
    pub per_reoffence_avoided: PerReoffenceAvoided,
    pub arithmetic: Vec<String>,
}

/// Compares the programme (`completions` of whose `people` completed) with `comparison`.
pub fn cost_summary(programme: GroupCost, completions: u64, comparison: GroupCost) -> CostSummary {
    let mut arithmetic = Vec::new();
    let per_participant =
        (programme.people > 0).then(|| programme.total_cost / programme.people as f64);
    if let Some(c) = per_participant {
        arithmetic.push(format!(
            "Cost per participant = £{:.2} ÷ {} participants = £{c:.2}",
            programme.total_cost, programme.people
        ));
    }
    let per_completion = (completions > 0).then(|| programme.total_cost / completions as f64);
    if let Some(c) = per_completion {
        arithmetic.push(format!(
            "Cost per completion = £{:.2} ÷ {completions} completions = £{c:.2}",
            programme.total_cost
        ));
    }

    let per_reoffence_avoided = match (
        per_participant,
        frequency(programme),
        frequency(comparison),
        (comparison.people > 0).then(|| comparison.total_cost / comparison.people as f64),
    ) {
        (
            Some(programme_cost),
            Some(programme_rate),
            Some(comparison_rate),
            Some(comparison_cost),
        ) => {
            arithmetic.push(format!(
                "Reoffences per person: programme {} ÷ {} = {programme_rate:.4}; comparison {} ÷ {} = {comparison_rate:.4}",
                programme.reoffences, programme.followed_up, comparison.reoffences, comparison.followed_up
            ));
            arithmetic.push(format!(
                "Comparison cost per person = £{:.2} ÷ {} = £{comparison_cost:.2}",
                comparison.total_cost, comparison.people
            ));
            let avoided = comparison_rate - programme_rate;
            let extra_cost = programme_cost - comparison_cost;
            arithmetic.push(format!(
                "Reoffences avoided per person = {comparison_rate:.4} − {programme_rate:.4} = {avoided:.4}; extra cost per person = £{programme_cost:.2} − £{comparison_cost:.2} = £{extra_cost:.2}"
            ));
            if avoided <= 0.0 {
                PerReoffenceAvoided::NotEstimable {
                    reason: "the programme group did not reoffend less than the comparison group"
                        .to_owned(),
                }
            } else if extra_cost <= 0.0 {
                arithmetic.push(
                    "The programme costs no more and reoffending is lower: cost-saving.".to_owned(),
                );
                PerReoffenceAvoided::CostSaving {
                    // `0.0 - extra_cost`, not `-extra_cost`: no saving prints as 0.00, not -0.00.
                    saving_per_person: 0.0 - extra_cost,
                    reoffences_avoided_per_100: 100.0 * avoided,
                }
            } else {
                let pounds = extra_cost / avoided;
                arithmetic.push(format!(
                    "Cost per reoffence avoided = £{extra_cost:.2} ÷ {avoided:.4} = £{pounds:.2}"
                ));
                PerReoffenceAvoided::Estimated {
                    pounds,
                    reoffences_avoided_per_100: 100.0 * avoided,
                }
            }
        }
        _ => PerReoffenceAvoided::NotEstimable {
            reason: "no one in one of the groups has completed follow-up".to_owned(),
        },
    };
    CostSummary {
        cost_per_participant: per_participant,
        cost_per_completion: per_completion,
        per_reoffence_avoided,
        arithmetic,
    }
}

fn frequency(group: GroupCost) -> Option<f64> {
    (group.followed_up > 0).then(|| group.reoffences as f64 / group.followed_up as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(people: u64, total_cost: f64, followed_up: u64, reoffences: u64) -> GroupCost {
        GroupCost {
            people,
            total_cost,
            followed_up,
            reoffences,
        }
    }

    #[test]
    fn cost_per_reoffence_avoided_is_extra_cost_over_reoffences_avoided() {
        // Programme £1,000 a head, 0.3 reoffences a head; comparison £400 a head, 0.5 a head:
        // £600 ÷ 0.2 = £3,000 per reoffence avoided.
        let summary = cost_summary(
            group(100, 100_000.0, 100, 30),
            80,
            group(100, 40_000.0, 100, 50),
        );
        assert_eq!(summary.cost_per_participant, Some(1000.0));
        assert_eq!(summary.cost_per_completion, Some(1250.0));
        match summary.per_reoffence_avoided {
            PerReoffenceAvoided::Estimated {
                pounds,
                reoffences_avoided_per_100,
            } => {
                assert!((pounds - 3000.0).abs() < 1e-9);
                assert!((reoffences_avoided_per_100 - 20.0).abs() < 1e-9);
            }
            other => panic!("expected an estimate, got {other:?}"),
        }
        assert!(summary.arithmetic.iter().any(|l| l.contains("£3000.00")));
    }

    #[test]
    fn no_reduction_is_not_estimable() {
        let summary = cost_summary(group(10, 5000.0, 10, 5), 8, group(10, 1000.0, 10, 4));
        assert!(matches!(
            summary.per_reoffence_avoided,
            PerReoffenceAvoided::NotEstimable { .. }
        ));
    }

    #[test]
    fn unit_costs_price_resources() {
        let costs = UnitCosts {
            navigator_hour: 30.0,
            interventions: BTreeMap::from([("alcohol course".to_owned(), 100.0)]),
            prosecution: 1000.0,
            court_hearing: 500.0,
        };
        let used = ResourceUse {
            navigator_hours: 10.0,
            interventions: Arc::new(BTreeMap::from([
                ("alcohol course".to_owned(), 2),
                ("unknown".to_owned(), 1),
            ])),
            prosecutions: 1,
            court_hearings: 2,
        };
        assert_eq!(used.cost(&costs), 300.0 + 200.0 + 1000.0 + 1000.0);
        assert_eq!(used.unpriced(&costs).collect::<Vec<_>>(), ["unknown"]);

        // A shared map is priced once; a map with the same contents elsewhere on its own.
        let sharing = ResourceUse {
            navigator_hours: 1.0,
            interventions: Arc::clone(&used.interventions),
            prosecutions: 0,
            court_hearings: 0,
        };
        let apart = ResourceUse {
            interventions: Arc::new(BTreeMap::from([("other".to_owned(), 3)])),
            ..sharing.clone()
        };
        let mut pricing = Pricing::new(&costs);
        for resources in [&used, &sharing, &apart, &used] {
            assert_eq!(pricing.cost(resources), resources.cost(&costs));
        }
        assert_eq!(pricing.unpriced().collect::<Vec<_>>(), ["other", "unknown"]);
    }
}

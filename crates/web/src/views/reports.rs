//! Evaluation report pages (`/reports`, `/reports/{name}`) and the standalone HTML document
//! `checkpoint report --format html` writes. Both render the same body
//! (`templates/reports/body.html`) from a [`ReportBundle`], whose counts have already been
//! through suppression in the report use case: this module only lays them out, as tables and
//! the evaluation crate's accessible SVG charts (funnel, Kaplan–Meier with intervals, RRI
//! forest plot).

use super::layout::Chrome;
use super::session::Viewer;
use super::{OrPage, ViewError, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::reports::{
    ReportBundle, ReportConfig, ReportName, ReportQuery, measure_name, warning_kind,
};
use checkpoint_evaluation::cost::PerReoffenceAvoided;
use checkpoint_evaluation::render::svg::{funnel_svg, kaplan_meier_svg, rri_forest_svg};
use checkpoint_evaluation::report::disproportionality::STAGE_NAMES;
use checkpoint_evaluation::report::reoffending::GroupWindow;
use checkpoint_evaluation::report::trial::BalanceTable;
use checkpoint_evaluation::stats::Estimate;
use checkpoint_evaluation::stats::rri::RelativeRateIndex;
use checkpoint_evaluation::suppression::Count;
use jiff::civil::Date;
use serde::Deserialize;

/// A table as the template prints it: every cell already text.
#[derive(Debug, Clone)]
pub struct TableView {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One report's section.
#[derive(Debug, Clone)]
pub struct SectionView {
    pub id: &'static str,
    pub title: &'static str,
    /// Plain paragraphs (conclusions, log-rank results).
    pub paragraphs: Vec<String>,
    /// SVG documents from the evaluation crate (escaped there).
    pub charts: Vec<String>,
    pub tables: Vec<TableView>,
    pub notes: Vec<String>,
}

/// Everything the body template shows.
#[derive(Debug, Clone)]
pub struct BodyView {
    pub title: &'static str,
    pub selection: String,
    pub today: String,
    pub sources: Vec<String>,
    pub warnings: Vec<(String, String)>,
    pub settings: Vec<(String, String)>,
    pub sections: Vec<SectionView>,
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(String::new, |v| format!("{:.1}%", 100.0 * v))
}

fn interval_text(estimate: Option<Estimate>, scale: f64, suffix: &str) -> String {
    estimate.map_or_else(
        || "—".to_owned(),
        |e| {
            format!(
                "{:.2}{suffix} ({:.2} to {:.2})",
                e.estimate * scale,
                e.interval.lower * scale,
                e.interval.upper * scale
            )
        },
    )
}

fn window_row(window: &str, g: &GroupWindow) -> Vec<String> {
    vec![
        window.to_owned(),
        g.group.clone(),
        g.followed_up.display(),
        g.reoffended.display(),
        g.not_yet_elapsed.display(),
        g.rate.map_or_else(
            || "—".to_owned(),
            |r| {
                format!(
                    "{} ({} to {})",
                    percent(Some(r.estimate)),
                    percent(Some(r.interval.lower)),
                    percent(Some(r.interval.upper))
                )
            },
        ),
        g.reoffences_per_100
            .map_or_else(|| "—".to_owned(), |v| format!("{v:.1}")),
    ]
}

/// One characteristic of the trial's balance table: counts and column percentages by arm.
fn balance_table(b: &BalanceTable) -> TableView {
    let share = |p: Option<f64>| p.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}%"));
    TableView {
        caption: format!("Balance of the arms: {}", b.characteristic),
        headers: strings(&["Level", "Treatment", "%", "Control", "%"]),
        rows: b
            .levels
            .iter()
            .enumerate()
            .map(|(i, level)| {
                let cells = &b.table.cells[i];
                let percent = b.percent.get(i).copied().unwrap_or([None, None]);
                vec![
                    level.clone(),
                    cells[0].display(),
                    share(percent[0]),
                    cells[1].display(),
                    share(percent[1]),
                ]
            })
            .collect(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

const WINDOW_HEADERS: [&str; 7] = [
    "Window",
    "Group",
    "Followed up",
    "Reoffended",
    "Not yet followed up",
    "Rate (95% CI)",
    "Reoffences per 100",
];

/// Lays a bundle out as sections of tables and charts.
pub fn body_view(bundle: &ReportBundle) -> BodyView {
    let mut sections = Vec::new();
    if let Some(funnel) = &bundle.funnel {
        let mut headers = strings(&["Scheme", "Month"]);
        headers.extend(strings(
            &checkpoint_evaluation::report::funnel::QUANTITY_NAMES,
        ));
        let rows = funnel
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    r.scheme.clone().unwrap_or_else(|| "All schemes".to_owned()),
                    r.month
                        .map_or_else(|| "All months".to_owned(), |m| m.to_string()),
                ];
                row.extend(r.counts.as_array().iter().map(Count::display));
                row
            })
            .collect();
        let mut tables = vec![TableView {
            caption: "Cases by stage, scheme and month of referral".to_owned(),
            headers,
            rows,
        }];
        for scheme in &funnel.schemes {
            tables.push(TableView {
                caption: format!("{}: conversion between stages", scheme.scheme),
                headers: strings(&["From", "To", "Rate (95% CI)"]),
                rows: scheme
                    .rates
                    .iter()
                    .map(|r| {
                        vec![
                            r.from.clone(),
                            r.to.clone(),
                            r.proportion.map_or_else(
                                || "withheld".to_owned(),
                                |p| {
                                    format!(
                                        "{} ({} to {})",
                                        percent(Some(p.estimate)),
                                        percent(Some(p.interval.lower)),
                                        percent(Some(p.interval.upper))
                                    )
                                },
                            ),
                        ]
                    })
                    .collect(),
            });
            let tally =
                |caption: String, items: &[checkpoint_evaluation::report::funnel::Tally]| {
                    TableView {
                        caption,
                        headers: strings(&["Reason", "Cases"]),
                        rows: items
                            .iter()
                            .map(|t| vec![t.label.clone(), t.count.display()])
                            .collect(),
                    }
                };
            tables.push(tally(
                format!("{}: why people were screened out", scheme.scheme),
                &scheme.ineligibility_reasons,
            ));
            tables.push(tally(
                format!("{}: outcome codes recorded", scheme.scheme),
                &scheme.outcome_codes,
            ));
        }
        let charts = funnel
            .rows
            .iter()
            .find(|r| r.scheme.is_none() && r.month.is_none())
            .map(|r| funnel_svg("Referral funnel, all schemes", &r.counts))
            .into_iter()
            .collect();
        sections.push(SectionView {
            id: "funnel",
            title: ReportName::Funnel.title(),
            paragraphs: Vec::new(),
            charts,
            tables,
            notes: Vec::new(),
        });
    }
    if let Some(r) = &bundle.reoffending {
        let rows = r
            .windows
            .iter()
            .flat_map(|w| {
                let label = w.window.label();
                w.groups
                    .iter()
                    .chain([&w.total])
                    .map(move |g| window_row(&label, g))
            })
            .collect();
        let mut paragraphs = vec![format!(
            "Measure: {} reoffending; proof lag {} months; people grouped by {:?}.",
            measure_name(r.measure),
            r.proof_lag_months,
            r.grouping
        )];
        if let Some(l) = &r.log_rank {
            paragraphs.push(format!(
                "Log-rank test across {}: χ² = {:.2} on {} degrees of freedom, p = {:.3}.",
                l.groups.join(", "),
                l.chi_square,
                l.degrees_of_freedom,
                l.p_value
            ));
        }
        let harm = TableView {
            caption: format!("Crime Harm Index over {}", r.harm_window.label()),
            headers: strings(&["Group", "Followed up", "Harm (days)", "Harm per 100 people"]),
            rows: r
                .harm
                .iter()
                .map(|h| {
                    vec![
                        h.group.clone(),
                        h.followed_up.display(),
                        h.harm_days
                            .map_or_else(|| "—".to_owned(), |d| format!("{d:.0}")),
                        h.harm_days_per_100
                            .map_or_else(|| "—".to_owned(), |d| format!("{d:.0}")),
                    ]
                })
                .collect(),
        };
        sections.push(SectionView {
            id: "reoffending",
            title: ReportName::Reoffending.title(),
            paragraphs,
            charts: vec![kaplan_meier_svg(
                "Time to first reoffence (Kaplan–Meier, 95% intervals)",
                &r.survival,
                24,
            )],
            tables: vec![
                TableView {
                    caption: "Reoffending by window and group".to_owned(),
                    headers: strings(&WINDOW_HEADERS),
                    rows,
                },
                harm,
            ],
            notes: Vec::new(),
        });
    }
    if let Some(t) = &bundle.trial {
        let consort = TableView {
            caption: "CONSORT flow".to_owned(),
            headers: strings(&[
                "Arm",
                "Allocated",
                "Received allocation",
                "Did not receive",
                "Analysed",
                "Follow-up not elapsed",
                "No index date, or not monitored to the window's end",
            ]),
            rows: t
                .consort
                .arms
                .iter()
                .map(|a| {
                    vec![
                        a.arm.as_str().to_owned(),
                        a.allocated.display(),
                        a.received_allocation.display(),
                        a.did_not_receive_allocation.display(),
                        a.analysed.display(),
                        a.follow_up_not_elapsed.display(),
                        a.no_index_date.display(),
                    ]
                })
                .collect(),
        };
        let mut headers = strings(&WINDOW_HEADERS);
        headers.extend(strings(&[
            "Risk difference (95% CI)",
            "Relative risk (95% CI)",
        ]));
        let outcomes = TableView {
            caption: "Reoffending by arm (intention to treat)".to_owned(),
            headers,
            rows: t
                .outcomes
                .iter()
                .flat_map(|o| {
                    let label = format!("{} months", o.window_months);
                    let mut treatment = window_row(&label, &o.treatment);
                    treatment.push(interval_text(o.risk_difference, 100.0, " points"));
                    treatment.push(interval_text(o.relative_risk, 1.0, ""));
                    let mut control = window_row(&label, &o.control);
                    control.extend([String::new(), String::new()]);
                    [treatment, control]
                })
                .collect(),
        };
        let mut paragraphs = vec![t.conclusion.clone()];
        paragraphs.push(format!(
            "Assessed for eligibility {}; randomised {}; not randomised {}. Hazard ratio (treatment ÷ control): {}.",
            t.consort.assessed_for_eligibility.display(),
            t.consort.randomised.display(),
            t.consort.not_randomised.display(),
            interval_text(t.hazard_ratio, 1.0, "")
        ));
        if let Some(n) = t.sample_size_per_arm {
            paragraphs.push(format!(
                "About {n} people per arm are needed to detect the smallest effect worth finding with 80% power at the 5% level."
            ));
        }
        sections.push(SectionView {
            id: "trial",
            title: ReportName::Trial.title(),
            paragraphs,
            charts: vec![kaplan_meier_svg(
                "Time to first reoffence by arm (Kaplan–Meier, 95% intervals)",
                &t.survival,
                24,
            )],
            tables: std::iter::once(consort)
                .chain(t.balance.iter().map(balance_table))
                .chain([outcomes])
                .collect(),
            notes: Vec::new(),
        });
    }
    if let Some(d) = &bundle.disproportionality {
        let mut tables = Vec::new();
        let mut charts = Vec::new();
        for table in &d.tables {
            let mut headers = strings(&["Group"]);
            headers.extend(strings(&STAGE_NAMES));
            headers.extend(strings(&[
                "RRI eligible",
                "RRI offered",
                "RRI accepted",
                "RRI completed",
            ]));
            tables.push(TableView {
                caption: format!("{} (reference: {})", table.title, table.reference),
                headers,
                rows: table
                    .groups
                    .iter()
                    .map(|g| {
                        let mut row = vec![if g.is_reference {
                            format!("{} (reference)", g.group)
                        } else {
                            g.group.clone()
                        }];
                        row.extend(g.stages.iter().map(Count::display));
                        row.extend(g.rri.iter().map(|s| match s.rri {
                            RelativeRateIndex::Estimated { rri, .. } => {
                                interval_text(Some(rri), 1.0, "")
                            }
                            RelativeRateIndex::Insufficient => "insufficient".to_owned(),
                        }));
                        row
                    })
                    .collect(),
            });
            for stage in ["eligible", "offered", "accepted", "completed"] {
                charts.push(rri_forest_svg(
                    &format!("{}: relative rate index, {stage}", table.title),
                    table,
                    stage,
                ));
            }
        }
        sections.push(SectionView {
            id: "disproportionality",
            title: ReportName::Disproportionality.title(),
            paragraphs: vec!["Relative rate index = (group events ÷ group base) ÷ (reference events ÷ reference base), each stage on its own base (MoJ / Lammy Review method). 1.0 is parity.".to_owned()],
            charts,
            tables,
            notes: Vec::new(),
        });
    }
    if let Some(c) = &bundle.cost {
        let money =
            |v: Option<f64>| v.map_or_else(|| "withheld".to_owned(), |v| format!("£{v:.2}"));
        let summary = c.summary.as_ref();
        let avoided = summary.map_or_else(
            || "withheld".to_owned(),
            |s| match &s.per_reoffence_avoided {
                PerReoffenceAvoided::Estimated { pounds, .. } => format!("£{pounds:.2}"),
                PerReoffenceAvoided::CostSaving {
                    saving_per_person, ..
                } => format!("cost-saving (£{saving_per_person:.2} less per person)"),
                PerReoffenceAvoided::NotEstimable { reason } => format!("not estimable: {reason}"),
            },
        );
        sections.push(SectionView {
            id: "cost",
            title: ReportName::Cost.title(),
            paragraphs: Vec::new(),
            charts: Vec::new(),
            tables: vec![TableView {
                caption: format!("Cost over {}", c.window.label()),
                headers: strings(&["Measure", "Value"]),
                rows: vec![
                    vec![
                        "Cost per participant".to_owned(),
                        money(summary.and_then(|s| s.cost_per_participant)),
                    ],
                    vec![
                        "Cost per completion".to_owned(),
                        money(summary.and_then(|s| s.cost_per_completion)),
                    ],
                    vec!["Cost per reoffence avoided".to_owned(), avoided],
                ],
            }],
            notes: summary.map(|s| s.arithmetic.clone()).unwrap_or_default(),
        });
    }
    // Each chart names its <title> and <desc> with fixed ids ("km-title"); several charts on
    // one page would share them and screen readers would read the first chart's words for all.
    let mut chart_number = 0;
    for section in &mut sections {
        for chart in &mut section.charts {
            chart_number += 1;
            *chart = chart
                .replace("-title", &format!("-title-{chart_number}"))
                .replace("-desc", &format!("-desc-{chart_number}"));
        }
    }
    BodyView {
        title: bundle.report.title(),
        selection: bundle.query.describe(),
        today: bundle.today.to_string(),
        sources: bundle.sources.clone(),
        warnings: bundle
            .all_warnings()
            .into_iter()
            .map(|w| (warning_kind(w.kind).replace('_', " "), w.message.clone()))
            .collect(),
        settings: bundle.describe_settings(),
        sections,
    }
}

#[derive(Template)]
#[template(path = "reports/standalone.html")]
struct StandaloneDocument {
    body: BodyView,
}

/// A complete HTML document for a bundle, with its own small stylesheet, for
/// `checkpoint report --format html`.
pub fn standalone_html(bundle: &ReportBundle) -> String {
    StandaloneDocument {
        body: body_view(bundle),
    }
    .render()
    .unwrap_or_else(|e| format!("<!doctype html><p>The report could not be rendered: {e}</p>"))
}

/// The report filter form, as submitted.
#[derive(Debug, Default, Deserialize)]
pub struct ReportFilter {
    #[serde(default)]
    pub scheme: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
}

impl ReportFilter {
    fn query(&self) -> Result<ReportQuery, checkpoint_app::AppError> {
        let date = |field: &str,
                    text: &Option<String>|
         -> Result<Option<Date>, checkpoint_app::AppError> {
            match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(t) => t.parse().map(Some).map_err(|_| {
                    checkpoint_app::AppError::invalid(field, "enter a date as YYYY-MM-DD")
                }),
            }
        };
        Ok(ReportQuery {
            scheme: self.scheme.clone().filter(|s| !s.is_empty()),
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
        })
    }
}

#[derive(Debug)]
pub struct ReportLink {
    pub href: String,
    pub title: &'static str,
}

#[derive(Template)]
#[template(path = "reports/index.html")]
struct IndexPage {
    chrome: Chrome,
    links: Vec<ReportLink>,
    schemes: Vec<String>,
}

/// `GET /reports`: the list of reports with the filter form.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, ViewError> {
    // Authorise before showing anything, as the reports themselves will.
    checkpoint_app::permissions::authorise(&viewer.actor, checkpoint_app::Action::ViewReports)
        .or_page(&viewer)?;
    let links = ReportName::ALL
        .into_iter()
        .map(|name| ReportLink {
            href: format!("/reports/{name}"),
            title: name.title(),
        })
        .collect();
    let page = IndexPage {
        chrome: Chrome::for_viewer(&viewer, "/reports"),
        links,
        schemes: state
            .app
            .policies()
            .schemes()
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "reports/report.html")]
struct ReportPage {
    chrome: Chrome,
    body: BodyView,
    name: String,
    filter_scheme: String,
    filter_from: String,
    filter_to: String,
    schemes: Vec<String>,
}

/// `GET /reports/{name}?scheme=&from=&to=`: one report (or all), with default settings.
pub async fn report_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Query(filter): Query<ReportFilter>,
) -> Result<Response, ViewError> {
    let report: ReportName = name.parse().or_page(&viewer)?;
    let query = filter.query().or_page(&viewer)?;
    let bundle = state
        .app
        .report(&viewer.actor, report, &query, &ReportConfig::default())
        .await
        .or_page(&viewer)?;
    let page = ReportPage {
        chrome: Chrome::for_viewer(&viewer, "/reports"),
        body: body_view(&bundle),
        name: report.as_str().to_owned(),
        filter_scheme: query.scheme.unwrap_or_default(),
        filter_from: query.from.map(|d| d.to_string()).unwrap_or_default(),
        filter_to: query.to.map(|d| d.to_string()).unwrap_or_default(),
        schemes: state
            .app
            .policies()
            .schemes()
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

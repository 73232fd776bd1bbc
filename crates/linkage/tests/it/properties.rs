//! Property tests: invariants that must hold for any input, not just the examples.

use checkpoint_linkage::compare::{Comparison, DateFormat, FieldKind, InvalidPolicy};
use checkpoint_linkage::em::{expectation_maximisation, initial_m, pack};
use checkpoint_linkage::normalise::{
    UkPostcode, normalise_identifier, normalise_name, normalise_text,
};
use checkpoint_linkage::{Dataset, RunOptions, Settings, train};
use proptest::prelude::*;

fn name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][a-z]{0,9}",
        "(Mr|Mrs|Dr) [A-Z][a-z]{1,8}(-[A-Z][a-z]{1,6})?",
        "[A-Za-zÀ-ÿ' .-]{0,16}",
        proptest::sample::select(vec![
            "Bill",
            "William",
            "Liz",
            "Elizabeth",
            "Mo",
            "Mohammed",
            "Muhammad",
            "Smith",
            "Smyth",
            "O'Brien",
            "OBrien",
            "Zoë",
            "Zoe",
            "Ann-Marie",
            "Annmarie",
            "",
        ])
        .prop_map(str::to_owned),
    ]
}

fn dob() -> impl Strategy<Value = String> {
    (1900u16..2030, 1u8..=13, 0u8..=31).prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}"))
}

fn postcode() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}",
        "[a-z0-9 ]{0,8}",
        proptest::sample::select(vec!["LS1 4AP", "LS1 4BB", "LS15AA", "M1 1AE", "4011"])
            .prop_map(str::to_owned),
    ]
}

fn comparisons() -> Vec<Comparison> {
    let mut date = Comparison::new("dob", "dob", FieldKind::Date);
    date.date_format = Some(DateFormat::try_from("%Y%m%d".to_owned()).unwrap());
    date.invalid = InvalidPolicy::Keep;
    vec![
        Comparison::new("name", "name", FieldKind::Name),
        Comparison::new("text", "text", FieldKind::Text),
        Comparison::new("pc", "pc", FieldKind::Postcode),
        Comparison::new("id", "id", FieldKind::Identifier),
        date,
    ]
}

proptest! {
    #[test]
    fn comparison_levels_are_symmetric(a in name_like(), b in name_like(), da in dob(), db in dob(),
                                       pa in postcode(), pb in postcode()) {
        let cs = comparisons();
        let inputs = [(&a, &b), (&a, &b), (&pa, &pb), (&a, &b), (&da, &db)];
        for (c, (x, y)) in cs.iter().zip(inputs) {
            let (x, y) = (c.prepare(x).unwrap(), c.prepare(y).unwrap());
            prop_assert_eq!(c.compare(&x, &y), c.compare(&y, &x), "{}", c.name);
        }
    }

    #[test]
    fn fast_jaro_winkler_matches_strsim(a in "[a-f ]{0,14}", b in "[a-f ]{0,14}") {
        let (x, y) = if a <= b { (&a, &b) } else { (&b, &a) };
        prop_assert_eq!(checkpoint_linkage::compare::jaro_winkler(&a, &b), strsim::jaro_winkler(x, y));
    }

    #[test]
    fn normalisation_is_idempotent(s in name_like(), p in postcode()) {
        let once = normalise_name(&s);
        prop_assert_eq!(normalise_name(&once), once.clone());
        let once = normalise_text(&s);
        prop_assert_eq!(normalise_text(&once), once.clone());
        let once = normalise_identifier(&s);
        prop_assert_eq!(normalise_identifier(&once), once.clone());
        if let Some(pc) = UkPostcode::parse(&p) {
            prop_assert_eq!(UkPostcode::parse(&pc.full), Some(pc));
        }
    }

    #[test]
    fn em_keeps_m_inside_the_open_unit_interval(
        counts in proptest::collection::vec((0u8..4, 0u8..3, 0u64..10_000), 1..12),
        u_raw in proptest::collection::vec(0.001f64..1.0, 7),
        lambda in 0.0001f64..0.9999,
    ) {
        let patterns: Vec<(u64, u64)> = counts.iter().map(|&(a, b, n)| (pack(&[a, b]), n)).collect();
        let normalise = |v: &[f64]| { let s: f64 = v.iter().sum(); v.iter().map(|x| x / s).collect::<Vec<_>>() };
        let u = vec![normalise(&u_raw[..4]), normalise(&u_raw[4..])];
        let out = expectation_maximisation(&patterns, &[true, true], &u, &[initial_m(4), initial_m(3)], lambda, 50, 1e-6);
        for row in &out.m {
            for &m in row {
                prop_assert!(m > 0.0 && m < 1.0, "m = {m}");
            }
            prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        prop_assert!(out.lambda > 0.0 && out.lambda < 1.0);
    }
}

const SETTINGS: &str = r#"
id_column = "id"
[[comparison]]
column = "name"
kind = "name"
tf_adjust = true
[[comparison]]
column = "dob"
kind = "date"
format = "%Y%m%d"
invalid = "keep"
[[comparison]]
column = "pc"
kind = "postcode"
[[blocking]]
on = ["initial(name)"]
[[blocking]]
on = ["exact(dob)"]
[training]
u_sample_pairs = 1000
"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Whatever the data, training yields m and u strictly inside (0, 1) and finite weights,
    /// so every score and explanation is a number.
    #[test]
    fn trained_weights_are_finite(rows in proptest::collection::vec((name_like(), dob(), postcode()), 0..40)) {
        let settings = Settings::from_toml(SETTINGS, "p.toml").unwrap();
        let records: Vec<_> = rows.iter()
            .map(|(n, d, p)| settings.prepare(&[n.as_str(), d.as_str(), p.as_str()]).unwrap())
            .collect();
        let (model, _) = train(&settings, Dataset::Dedupe(&records), &RunOptions { threads: Some(1), progress: None });
        prop_assert!(model.prior() > 0.0 && model.prior() < 1.0);
        for params in model.parameters() {
            for level in &params.levels {
                prop_assert!(level.m > 0.0 && level.m < 1.0 && level.u > 0.0 && level.u < 1.0);
            }
        }
        for a in records.iter().take(8) {
            for b in records.iter().take(8) {
                let e = model.explain(a, b);
                prop_assert!(e.match_weight.is_finite());
                prop_assert!(e.fields.iter().all(|f| f.weight.is_finite() && f.tf_adjustment.is_finite()));
                prop_assert!((0.0..=1.0).contains(&e.match_probability));
            }
        }
    }
}

//! The programme overview for analysts and supervisors: the funnel with headline figures and
//! a server-rendered SVG chart (no script), per scheme, linking to the full reports. Figures
//! come from the same report use case as `/reports`, so small numbers are withheld here too.

use super::layout::Chrome;
use super::session::Viewer;
use super::{OrPage, ViewError, long_date, render};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use checkpoint_app::reports::{ReportConfig, ReportName, ReportQuery};
use checkpoint_evaluation::render::svg::funnel_svg;
use checkpoint_evaluation::report::funnel::FunnelCounts;
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Headline {
    pub label: &'static str,
    pub figure: String,
}

#[derive(Debug, Clone)]
pub struct SchemeRow {
    pub scheme: String,
    pub referred: String,
    pub eligible: String,
    pub accepted: String,
    pub completed: String,
    pub failed: String,
    pub ongoing: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    schemes: Vec<(String, String)>,
    scheme: String,
    headlines: Vec<Headline>,
    chart: String,
    rows: Vec<SchemeRow>,
    warnings: Vec<String>,
    today: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    #[serde(default)]
    pub scheme: Option<String>,
}

fn percent(
    part: &checkpoint_evaluation::suppression::Count,
    whole: &checkpoint_evaluation::suppression::Count,
) -> String {
    match (part.value(), whole.value()) {
        (Some(p), Some(w)) if w > 0 => format!("{:.0}%", 100.0 * p as f64 / w as f64),
        (_, Some(0)) => "–".to_owned(),
        _ => "withheld".to_owned(),
    }
}

fn scheme_row(scheme: String, c: &FunnelCounts) -> SchemeRow {
    SchemeRow {
        scheme,
        referred: c.referred.display(),
        eligible: c.eligible.display(),
        accepted: c.accepted.display(),
        completed: c.completed.display(),
        failed: c.failed.display(),
        ongoing: c.ongoing.display(),
    }
}

/// `GET /overview?scheme=`.
pub async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<OverviewQuery>,
) -> Result<Response, ViewError> {
    let app = &state.app;
    let scheme = query.scheme.filter(|s| !s.is_empty());
    let report_query = ReportQuery {
        scheme: scheme.clone(),
        from: None,
        to: None,
    };
    let bundle = app
        .report(
            &viewer.actor,
            ReportName::Funnel,
            &report_query,
            &ReportConfig::default(),
        )
        .await
        .or_page(&viewer)?;
    let funnel =
        bundle
            .funnel
            .unwrap_or_else(|| checkpoint_evaluation::report::funnel::FunnelReport {
                rows: Vec::new(),
                schemes: Vec::new(),
                warnings: Vec::new(),
            });
    // The all-months rows: one per scheme, and one over every scheme.
    let totals: Vec<_> = funnel.rows.iter().filter(|r| r.month.is_none()).collect();
    let overall = totals
        .iter()
        .find(|r| r.scheme.is_none())
        .or_else(|| totals.first())
        .map(|r| r.counts);
    let (headlines, chart) = match overall {
        // An empty programme has nothing to chart.
        Some(c) if c.referred.value() != Some(0) => (
            vec![
                Headline {
                    label: "Referred",
                    figure: c.referred.display(),
                },
                Headline {
                    label: "Eligible",
                    figure: c.eligible.display(),
                },
                Headline {
                    label: "Accepted the offer",
                    figure: c.accepted.display(),
                },
                Headline {
                    label: "On the programme now",
                    figure: c.ongoing.display(),
                },
                Headline {
                    label: "Completed",
                    figure: c.completed.display(),
                },
                Headline {
                    label: "Completion rate (of those accepted)",
                    figure: percent(&c.completed, &c.accepted),
                },
            ],
            funnel_svg("Programme funnel", &c),
        ),
        _ => (Vec::new(), String::new()),
    };
    let rows = totals
        .iter()
        .filter_map(|r| r.scheme.clone().map(|s| scheme_row(s, &r.counts)))
        .collect();
    let mut warnings: Vec<String> = bundle
        .warnings
        .iter()
        .chain(funnel.warnings.iter())
        .map(|w| w.message.clone())
        .collect();
    warnings.dedup();
    let mut schemes: Vec<(String, String)> = app
        .policies()
        .schemes()
        .into_iter()
        .filter_map(|id| Some((id.to_owned(), app.policies().latest(id)?.name().to_owned())))
        .collect();
    schemes.sort();
    let page = OverviewPage {
        chrome: Chrome::for_viewer(&viewer, "/overview"),
        schemes,
        scheme: scheme.unwrap_or_default(),
        headlines,
        chart,
        rows,
        warnings,
        today: long_date(&bundle.today),
    };
    Ok(render(StatusCode::OK, &page))
}

//! Evaluation reports over the API: `GET /api/v1/reports/{name}` with the same filters as
//! `checkpoint report` and the `/reports` pages, as JSON (default) or CSV (`?format=csv` or
//! `Accept: text/csv`). The report use case authorises (`ViewReports`), applies small-number
//! suppression and writes the audit row; this handler only negotiates the format.

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::{ApiError, ApiResult, FieldLocation};
use crate::extract::QueryParams;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use checkpoint_app::reports::{ReportConfig, ReportName, ReportQuery};

/// The reports, by name.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ReportNameParam {
    Funnel,
    Reoffending,
    Trial,
    Disproportionality,
    Cost,
    All,
}

/// How the client asked for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn format_of(query: &QueryParams, headers: &HeaderMap) -> Result<Format, ApiError> {
    match query.text("format") {
        Some("json") => return Ok(Format::Json),
        Some("csv") => return Ok(Format::Csv),
        Some(other) => {
            return Err(ApiError::field(
                "format",
                FieldLocation::Query,
                format!("must be `json` or `csv` (got `{other}`)"),
            ));
        }
        None => {}
    }
    let accepts_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    Ok(if accepts_csv {
        Format::Csv
    } else {
        Format::Json
    })
}

/// One evaluation report (or `all`), every count passed through small-number suppression;
/// warnings (minimum n, follow-up lag, data source) travel in both formats.
#[utoipa::path(
    get, path = "/reports/{name}", tag = "reports",
    params(
        ("name" = inline(ReportNameParam), Path, description = "funnel, reoffending, trial, disproportionality, cost or all", example = "funnel"),
        ("scheme" = Option<String>, Query, description = "Only this scheme", example = "durham-checkpoint"),
        ("from" = Option<String>, Query, description = "First referral date included (YYYY-MM-DD)"),
        ("to" = Option<String>, Query, description = "Last referral date included (YYYY-MM-DD)"),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`; `Accept: text/csv` also selects CSV"),
    ),
    responses((status = 200, description = "The report: JSON (each count is `{\"value\": n}` or `{\"suppressed\": {…}}`) or CSV (sections, then settings and warnings)",
        content((Object = "application/json"), (String = "text/csv"))))
)]
pub async fn get_report(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(name): Path<String>,
    query: QueryParams,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let report: ReportName = name.parse()?;
    let format = format_of(&query, &headers)?;
    let selection = ReportQuery {
        scheme: query.text("scheme").map(str::to_owned),
        from: query.date("from")?,
        to: query.date("to")?,
    };
    let bundle = state
        .app
        .report(
            &signed_in.actor,
            report,
            &selection,
            &ReportConfig::default(),
        )
        .await?;
    Ok(match format {
        Format::Json => axum::Json(bundle).into_response(),
        Format::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"checkpoint-{report}.csv\""),
                ),
            ],
            bundle.to_csv(),
        )
            .into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names the document lists are the reports there are, in the same order.
    #[test]
    fn the_documented_names_are_the_reports() {
        let schema =
            serde_json::to_value(<ReportNameParam as utoipa::PartialSchema>::schema()).unwrap();
        let documented: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let reports: Vec<&str> = ReportName::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(documented, reports);
    }
}

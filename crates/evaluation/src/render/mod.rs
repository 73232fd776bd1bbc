//! Renderings as plain strings: CSV for analysts' spreadsheets and SVG charts for HTML reports.
//! Suppressed counts print as [`Count::display`](crate::suppression::Count::display) gives them
//! ("<10", "*"); a missing rate prints as an empty CSV field or a text note on a chart.

pub mod csv;
pub mod svg;

/// Escapes text for XML content and attribute values.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(ch),
        }
    }
    out
}

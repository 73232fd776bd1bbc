//! Accessible SVG charts as strings: each has `role="img"`, a `<title>` and a `<desc>` that
//! states the figures in words, and text labels on the marks themselves, so the chart reads
//! without colour and without JavaScript. Colours are from the Okabe–Ito colour-blind-safe
//! palette.

use super::xml_escape;
use crate::report::disproportionality::DimensionTable;
use crate::report::funnel::FunnelCounts;
use crate::report::reoffending::SurvivalCurve;
use crate::stats::rri::RelativeRateIndex;
use crate::suppression::Count;
use std::fmt::Write;

/// Estimate, lower limit, upper limit.
type EstimateWithLimits = (f64, f64, f64);

const PALETTE: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];

fn open(width: u32, height: u32, id: &str, title: &str, description: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" font-family=\"sans-serif\" font-size=\"12\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        xml_escape(title),
        xml_escape(description)
    )
}

/// Horizontal bars for referred → eligible → offered → accepted → completed. A withheld
/// count draws no bar and prints its label ("<10", "*").
pub fn funnel_svg(title: &str, counts: &FunnelCounts) -> String {
    let stages = [
        ("Referred", counts.referred),
        ("Eligible", counts.eligible),
        ("Offered", counts.offered),
        ("Accepted", counts.accepted),
        ("Completed", counts.completed),
        ("Failed", counts.failed),
        ("Withdrawn", counts.withdrawn),
    ];
    let max = stages
        .iter()
        .filter_map(|(_, c)| c.value())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let description = stages
        .iter()
        .map(|(name, c)| format!("{name}: {}", c.display()))
        .collect::<Vec<_>>()
        .join("; ");
    let (width, bar_left, bar_width, row) = (560u32, 100.0, 380.0, 28.0);
    let height = 20 + (stages.len() as u32) * row as u32;
    let mut svg = open(
        width,
        height,
        "funnel",
        title,
        &format!("Funnel. {description}."),
    );
    for (i, (name, count)) in stages.iter().enumerate() {
        let y = 10.0 + i as f64 * row;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{name}</text>",
            bar_left - 8.0,
            y + 15.0
        );
        let length = count.value().map_or(0.0, |v| bar_width * v as f64 / max);
        if count.value().is_some() {
            let _ = write!(
                svg,
                "<rect x=\"{bar_left}\" y=\"{y:.1}\" width=\"{length:.1}\" height=\"20\" fill=\"{}\"/>",
                PALETTE[0]
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            bar_left + length + 6.0,
            y + 15.0,
            xml_escape(&count.display())
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Kaplan–Meier step curves (proportion not yet reoffended against months) with their
/// pointwise 95% log-log interval bands, one colour and a direct label per group.
pub fn kaplan_meier_svg(title: &str, curves: &[SurvivalCurve], horizon_months: u8) -> String {
    let (width, height) = (640.0, 380.0);
    let (left, right, top, bottom) = (60.0, 140.0, 20.0, 50.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max_day = f64::from(horizon_months) * 365.25 / 12.0;
    let x = |day: f64| left + plot_w * (day / max_day).min(1.0);
    let y = |s: f64| top + plot_h * (1.0 - s);

    let description = curves
        .iter()
        .map(|c| {
            let last = c
                .points
                .last()
                .map_or(String::from("no curve published"), |p| {
                    format!(
                        "{:.0}% not reoffended at day {:.0}",
                        100.0 * p.survival,
                        p.day
                    )
                });
            format!("{} ({} people): {last}", c.group, c.subjects.display())
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = open(
        width as u32,
        height as u32,
        "km",
        title,
        &format!(
            "Kaplan–Meier curves of time to first reoffence with 95% intervals. {description}."
        ),
    );
    // Axes, gridlines and labels.
    for tick in 0..=4 {
        let s = f64::from(tick) / 4.0;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}%</text>",
            left + plot_w,
            y(s),
            y(s),
            left - 6.0,
            y(s) + 4.0,
            100.0 * s
        );
    }
    for month in (0..=horizon_months).step_by(3) {
        let day = f64::from(month) * 365.25 / 12.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{month}</text>",
            x(day),
            top + plot_h + 16.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">Months since index date</text><text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">Not yet reoffended</text>",
        left + plot_w / 2.0,
        height - 10.0,
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    let _ = write!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{plot_w:.1}\" height=\"{plot_h:.1}\" fill=\"none\" stroke=\"#333\"/>"
    );

    for (i, curve) in curves.iter().enumerate() {
        if curve.points.is_empty() {
            continue;
        }
        let colour = PALETTE[i % PALETTE.len()];
        let end_day = curve.truncated_at_day.unwrap_or(max_day).min(max_day);
        // Band: upper limits left to right, then lower limits right to left, as steps.
        let mut upper = Vec::new();
        let mut lower = Vec::new();
        for (j, p) in curve.points.iter().enumerate() {
            let next = curve.points.get(j + 1).map_or(end_day, |n| n.day);
            let (lo, hi) = (p.lower.unwrap_or(p.survival), p.upper.unwrap_or(p.survival));
            upper.push(format!(
                "{:.1},{:.1} {:.1},{:.1}",
                x(p.day),
                y(hi),
                x(next),
                y(hi)
            ));
            lower.push(format!(
                "{:.1},{:.1} {:.1},{:.1}",
                x(next),
                y(lo),
                x(p.day),
                y(lo)
            ));
        }
        lower.reverse();
        let _ = write!(
            svg,
            "<polygon points=\"{} {}\" fill=\"{colour}\" fill-opacity=\"0.15\" stroke=\"none\"/>",
            upper.join(" "),
            lower.join(" ")
        );
        let mut path = String::new();
        for (j, p) in curve.points.iter().enumerate() {
            let next = curve.points.get(j + 1).map_or(end_day, |n| n.day);
            let command = if j == 0 { 'M' } else { 'V' };
            if command == 'M' {
                let _ = write!(path, "M{:.1},{:.1}", x(p.day), y(p.survival));
            } else {
                let _ = write!(path, " V{:.1}", y(p.survival));
            }
            let _ = write!(path, " H{:.1}", x(next));
        }
        let last = curve.points.last().map_or(1.0, |p| p.survival);
        let _ = write!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{} ({:.0}%)</text>",
            x(end_day) + 6.0,
            y(last) + 4.0 + 14.0 * i as f64,
            xml_escape(&curve.group),
            100.0 * last
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Forest plot of RRIs for one dimension and stage transition, on a log axis centred on 1
/// (parity). "Insufficient" rows are labelled, not drawn.
pub fn rri_forest_svg(title: &str, table: &DimensionTable, stage: &str) -> String {
    let rows: Vec<(&str, Option<EstimateWithLimits>)> = table
        .groups
        .iter()
        .filter(|g| !g.is_reference)
        .map(|g| {
            let value = g
                .rri
                .iter()
                .find(|r| r.stage == stage)
                .and_then(|r| match r.rri {
                    RelativeRateIndex::Estimated { rri, .. } => {
                        Some((rri.estimate, rri.interval.lower, rri.interval.upper))
                    }
                    RelativeRateIndex::Insufficient => None,
                });
            (g.group.as_str(), value)
        })
        .collect();
    let (width, row) = (600.0, 26.0);
    let (left, right, top) = (130.0, 150.0, 20.0);
    let height = top + row * rows.len().max(1) as f64 + 50.0;
    let plot_w = width - left - right;
    // Log axis from 1/8 to 8, widened to fit every interval.
    let extent = rows
        .iter()
        .filter_map(|(_, v)| *v)
        .flat_map(|(_, lo, hi)| [lo.ln().abs(), hi.ln().abs()])
        .fold(8f64.ln(), f64::max)
        .min(1000f64.ln());
    let x = |v: f64| left + plot_w * (v.ln().clamp(-extent, extent) + extent) / (2.0 * extent);

    let description = rows
        .iter()
        .map(|(name, v)| match v {
            Some((e, lo, hi)) => format!("{name}: {e:.2} (95% CI {lo:.2} to {hi:.2})"),
            None => format!("{name}: insufficient"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = open(
        width as u32,
        height as u32,
        "rri",
        title,
        &format!(
            "Relative rate index for {stage}, each group against {} (1 = parity), log scale. {description}.",
            table.reference
        ),
    );
    let bottom = top + row * rows.len().max(1) as f64;
    for tick in [0.125_f64, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0] {
        if tick.ln().abs() > extent + 1e-9 {
            continue;
        }
        let stroke = if tick == 1.0 { "#333" } else { "#ddd" };
        let _ = write!(
            svg,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top}\" y2=\"{bottom:.1}\" stroke=\"{stroke}\"/><text x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\">{tick}</text>",
            x(tick),
            bottom + 16.0
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">RRI vs {} (log scale)</text>",
        left + plot_w / 2.0,
        bottom + 36.0,
        xml_escape(&table.reference)
    );
    for (i, (name, value)) in rows.iter().enumerate() {
        let cy = top + row * i as f64 + row / 2.0;
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            cy + 4.0,
            xml_escape(name)
        );
        match value {
            Some((estimate, lower, upper)) => {
                let _ = write!(
                    svg,
                    "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{cy:.1}\" y2=\"{cy:.1}\" stroke=\"{}\" stroke-width=\"2\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{estimate:.2} ({lower:.2}–{upper:.2})</text>",
                    x(*lower),
                    x(*upper),
                    PALETTE[0],
                    x(*estimate) - 4.0,
                    cy - 4.0,
                    PALETTE[0],
                    left + plot_w + 8.0,
                    cy + 4.0
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-style=\"italic\">insufficient</text>",
                    left + plot_w + 8.0,
                    cy + 4.0
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The label a renderer prints for a count on a chart.
pub fn count_label(count: &Count) -> String {
    count.display()
}

//! The plot of a `synwave search --json` summary (`synwave report`):
//! each step's offered value against what it achieved, passed steps as
//! green circles and failed ones as red crosses, the diagonal where
//! achieved equals offered, and the answer as a vertical line.

use plotters::prelude::*;
use std::path::Path;

/// One step of the search.
struct Point {
    offered: f64,
    achieved: f64,
    passed: bool,
}

/// Reads the steps of the search summary `j` (from `file`).
fn points(j: &serde_json::Value, file: &Path) -> Result<Vec<Point>, String> {
    let steps = j["steps"].as_array().ok_or_else(|| {
        format!(
            "{} has no \"steps\": write it with this synwave's search --json",
            file.display()
        )
    })?;
    let out: Vec<Point> = steps
        .iter()
        .filter_map(|s| {
            Some(Point {
                offered: s["offered"].as_f64()?,
                achieved: s["achieved"].as_f64()?,
                passed: s["passed"].as_bool()?,
            })
        })
        .collect();
    if out.is_empty() {
        return Err(format!(
            "{}: \"steps\" is empty (the search ran no step)",
            file.display()
        ));
    }
    Ok(out)
}

/// Draws the search of `j` (read from `file`) into `path`.
pub fn plot_search(j: &serde_json::Value, file: &Path, path: &Path) -> Result<(), String> {
    let pts = points(j, file)?;
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let metric = j["metric"].as_str().unwrap_or("cps");
    let (unit, answer_key) = if metric == "concurrency" {
        ("connections open at once", "max_concurrency")
    } else {
        ("connections per second", "max_cps")
    };
    let top = pts
        .iter()
        .map(|p| p.offered.max(p.achieved))
        .fold(1.0, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("search: {metric}, achieved against offered"),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..top, 0.0..top)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(format!("offered ({unit})"))
        .y_desc("achieved")
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (top, top)], BLACK.mix(0.3)))
        .map_err(|e| err(&e))?
        .label("achieved = offered")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.3)));
    chart
        .draw_series(
            pts.iter()
                .filter(|p| p.passed)
                .map(|p| Circle::new((p.offered, p.achieved), 6, GREEN.filled())),
        )
        .map_err(|e| err(&e))?
        .label("passed")
        .legend(|(x, y)| Circle::new((x + 10, y), 5, GREEN.filled()));
    chart
        .draw_series(
            pts.iter()
                .filter(|p| !p.passed)
                .map(|p| Cross::new((p.offered, p.achieved), 6, RED.stroke_width(2))),
        )
        .map_err(|e| err(&e))?
        .label("failed")
        .legend(|(x, y)| Cross::new((x + 10, y), 5, RED.stroke_width(2)));
    if let Some(a) = j[answer_key].as_f64() {
        chart
            .draw_series(LineSeries::new([(a, 0.0), (a, top)], BLUE))
            .map_err(|e| err(&e))?
            .label(format!("highest clean: {a:.0}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

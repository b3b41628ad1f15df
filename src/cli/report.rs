//! `synwave report FILE.json`: plots from a run's JSON summary (`bench`,
//! `serve` or `gen` with `--json`), as SVG next to it or in `--out DIR`:
//! connections per second over the run (`FILE-cps.svg`, from `series`)
//! and the latency CDFs (`FILE-latency.svg`, from each latency key's
//! `cdf`); for a `search` summary, each step's offered value against
//! what it achieved, passed and failed marked (`FILE-search.svg`,
//! `report_search`). A summary without what a plot needs is a one-line
//! error that says which key is missing and why.

use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `synwave report` flags.
#[derive(clap::Args)]
pub struct Args {
    /// A JSON summary written by `--json`.
    pub file: PathBuf,
    /// Where to write the plots (default: next to FILE).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs the report.
pub fn run(a: Args) -> ExitCode {
    match report(&a) {
        Ok(files) => {
            for f in files {
                println!("wrote {}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn report(a: &Args) -> Result<Vec<PathBuf>, String> {
    let text = std::fs::read_to_string(&a.file)
        .map_err(|e| format!("cannot read {}: {e}", a.file.display()))?;
    let j: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a synwave JSON summary ({e}); give the file --json wrote",
            a.file.display()
        )
    })?;
    let dir = a
        .out
        .clone()
        .or_else(|| a.file.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let stem = a
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "synwave".into());
    if j["role"] == "search" {
        let plot = dir.join(format!("{stem}-search.svg"));
        super::report_search::plot_search(&j, &a.file, &plot)?;
        return Ok(vec![plot]);
    }
    let cps = dir.join(format!("{stem}-cps.svg"));
    let latency = dir.join(format!("{stem}-latency.svg"));
    plot_cps(&series(&j, &a.file)?, &cps)?;
    plot_cdfs(&cdfs(&j, &a.file)?, &latency)?;
    Ok(vec![cps, latency])
}

/// One second of the run.
struct Second {
    t: f64,
    setups: f64,
    teardowns: f64,
}

fn series(j: &serde_json::Value, file: &Path) -> Result<Vec<Second>, String> {
    let rows = j["series"].as_array().ok_or_else(|| {
        format!(
            "{} has no \"series\" (connections per second, one row a second): write it with this synwave's --json",
            file.display()
        )
    })?;
    let f = |r: &serde_json::Value, k: &str| r[k].as_f64().unwrap_or(0.0);
    let out: Vec<Second> = rows
        .iter()
        .map(|r| Second {
            t: f(r, "elapsed_s"),
            setups: f(r, "setups_per_sec"),
            teardowns: f(r, "teardowns_per_sec"),
        })
        .collect();
    if out.is_empty() {
        return Err(format!(
            "{}: \"series\" is empty (the run was shorter than a second); run for longer",
            file.display()
        ));
    }
    Ok(out)
}

/// A latency key's CDF: (µs, fraction).
type Cdf = (String, Vec<(f64, f64)>);

fn cdfs(j: &serde_json::Value, file: &Path) -> Result<Vec<Cdf>, String> {
    let mut out = Vec::new();
    for (key, name) in [
        ("rtt_us", "handshake"),
        ("first_byte_us", "first byte"),
        ("lifetime_us", "lifetime"),
    ] {
        let Some(points) = j[key]["cdf"].as_array() else {
            continue;
        };
        if j[key]["count"].as_u64().unwrap_or(0) == 0 {
            continue;
        }
        let pts: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|p| Some((p[0].as_f64()?.max(1.0), p[1].as_f64()?)))
            .collect();
        if !pts.is_empty() {
            out.push((name.to_string(), pts));
        }
    }
    if out.is_empty() {
        return Err(format!(
            "{} has no latency CDF (\"rtt_us\".\"cdf\" and the like, with a count): write it with this synwave's --json",
            file.display()
        ));
    }
    Ok(out)
}

fn plot_cps(rows: &[Second], path: &Path) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let t_max = rows.iter().map(|r| r.t).fold(1.0, f64::max);
    let y_max = rows
        .iter()
        .map(|r| r.setups.max(r.teardowns))
        .fold(1.0, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("connections per second", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..t_max, 0.0..y_max)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("per second")
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(rows.iter().map(|r| (r.t, r.setups)), &BLUE))
        .map_err(|e| err(&e))?
        .label("setups/s")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(
            rows.iter().map(|r| (r.t, r.teardowns)),
            &RED,
        ))
        .map_err(|e| err(&e))?
        .label("teardowns/s")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

fn plot_cdfs(cdfs: &[Cdf], path: &Path) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let x_max = cdfs
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.0))
        .fold(10.0, f64::max)
        * 1.5;
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("latency CDF", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1.0..x_max).log_scale(), 0.0..1.0)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("microseconds (log)")
        .y_desc("fraction of connections")
        .draw()
        .map_err(|e| err(&e))?;
    let colours = [BLUE, RED, GREEN];
    for (i, (name, pts)) in cdfs.iter().enumerate() {
        let c = colours[i % colours.len()];
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c))
            .map_err(|e| err(&e))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

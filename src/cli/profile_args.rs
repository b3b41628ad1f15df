//! `--profile FILE` on the command line: the profile's flag keys become
//! flags placed right after the subcommand, before the ones typed (which
//! override them: the subcommands let a later flag replace an earlier
//! one), and its templates are read by the command itself
//! (`templates_of`) and reported per template (`print_templates`,
//! `templates_json`).
//!
//! Rules: errors name the file and the key; a profile with templates on a
//! command that does not generate (serve) is refused.

use std::ffi::OsString;
use std::path::Path;
use synwave::endpoint::TemplateCounts;
use synwave::profile::{self, Template, TemplateKind};

/// The commands a profile applies to, and whether they take templates.
const COMMANDS: [(&str, bool); 3] = [("bench", true), ("gen", true), ("serve", false)];

/// `args` (the whole command line) with the flags of its `--profile`
/// file, if it names one, inserted after the subcommand.
pub fn expand(args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let Some(cmd) = args.get(1).and_then(|a| a.to_str()) else {
        return Ok(args);
    };
    let Some(&(_, generates)) = COMMANDS.iter().find(|(c, _)| *c == cmd) else {
        return Ok(args);
    };
    let mut path = None;
    for (i, a) in args.iter().enumerate().skip(2) {
        match a.to_str() {
            Some("--profile") => path = args.get(i + 1).cloned(),
            Some(s) if s.starts_with("--profile=") => path = Some(s["--profile=".len()..].into()),
            _ => {}
        }
    }
    let Some(path) = path else {
        return Ok(args);
    };
    let p = profile::load(Path::new(&path))?;
    if !generates && !p.templates.is_empty() {
        return Err(format!(
            "--profile {}: [[template]] entries are for bench and gen; {cmd} takes the flag keys only",
            Path::new(&path).display()
        ));
    }
    if p.flags.iter().any(|f| f.starts_with("--profile")) {
        return Err(format!(
            "--profile {}: a profile cannot name another profile",
            Path::new(&path).display()
        ));
    }
    let mut out: Vec<OsString> = args[..2].to_vec();
    out.extend(p.flags.into_iter().map(OsString::from));
    out.extend(args[2..].iter().cloned());
    Ok(out)
}

/// The templates of the profile at `path` (none without one).
pub fn templates_of(path: Option<&Path>) -> Result<Vec<Template>, String> {
    match path {
        Some(p) => Ok(profile::load(p)?.templates),
        None => Ok(Vec::new()),
    }
}

/// One template's outcome: (opened, completed, failed).
fn outcome(t: &Template, c: &TemplateCounts) -> (u64, u64, u64) {
    if t.kind == TemplateKind::SynOnly {
        return (c.opened, 0, 0);
    }
    let ended: u64 = synwave::endpoint::ENDS.iter().map(|&e| c.end(e)).sum();
    let completed: u64 = synwave::endpoint::ENDS
        .iter()
        .filter(|&&e| t.close.is_clean_client_end(e))
        .map(|&e| c.end(e))
        .sum();
    (c.opened, completed, ended - completed)
}

/// Sums the template counts of several workers.
pub fn sum<'a>(counts: impl Iterator<Item = &'a [TemplateCounts]>) -> Vec<TemplateCounts> {
    let mut all = vec![TemplateCounts::default(); profile::MAX_TEMPLATES];
    for w in counts {
        for (a, b) in all.iter_mut().zip(w) {
            a.add(b);
        }
    }
    all
}

/// The per-template table of a summary.
pub fn print_templates(templates: &[Template], counts: &[TemplateCounts]) {
    if templates.is_empty() {
        return;
    }
    let total: u64 = counts.iter().map(|c| c.opened).sum::<u64>().max(1);
    let weights: u32 = templates.iter().map(|t| t.weight).sum::<u32>().max(1);
    println!();
    println!(
        "{:<20}{:>8}{:>10}{:>12}{:>12}{:>10}",
        "template", "weight", "share", "opened", "completed", "failed"
    );
    for (t, c) in templates.iter().zip(counts) {
        let (opened, completed, failed) = outcome(t, c);
        println!(
            "{:<20}{:>8}{:>9.1}%{:>12}{:>12}{:>10}",
            t.name,
            format!("{:.1}%", 100.0 * f64::from(t.weight) / f64::from(weights)),
            100.0 * opened as f64 / total as f64,
            opened,
            completed,
            failed
        );
    }
}

/// The per-template JSON (`templates`): name, kind, weight, opened,
/// completed, failed.
pub fn templates_json(templates: &[Template], counts: &[TemplateCounts]) -> serde_json::Value {
    templates
        .iter()
        .zip(counts)
        .map(|(t, c)| {
            let (opened, completed, failed) = outcome(t, c);
            serde_json::json!({
                "name": t.name,
                "kind": match t.kind {
                    TemplateKind::Connect => "connect",
                    TemplateKind::SynOnly => "syn-only",
                },
                "weight": t.weight,
                "opened": opened,
                "completed": completed,
                "failed": failed,
            })
        })
        .collect()
}

//! `--profile FILE` on the command line, read and parsed once (`expand`):
//! the profile's flag keys become flags placed right after the
//! subcommand, before the ones typed (which override them: the
//! subcommands let a later flag replace an earlier one), so clap checks
//! them as it checks typed flags; its templates go to the command as they
//! were parsed, and are reported per template (`print_templates`,
//! `templates_json`); its server programs go to serve.
//!
//! Rules: errors name the file and the key; a profile with templates on a
//! command that does not generate (serve), or with server programs on
//! one that does not serve, is refused.

use std::ffi::OsString;
use std::path::Path;
use synwave::app::{ServerProgram, Template, TemplateKind};
use synwave::endpoint::{MAX_TEMPLATES, TemplateCounts};
use synwave::profile;

/// The commands a profile applies to, and whether they take templates.
const COMMANDS: [(&str, bool); 4] = [
    ("bench", true),
    ("gen", true),
    ("search", true),
    ("serve", false),
];

/// What a command line becomes with its profile: its arguments, the
/// templates, the server programs.
pub type Expanded = (Vec<OsString>, Vec<Template>, Vec<ServerProgram>);

/// `args` (the whole command line) with the flags of its `--profile`
/// file, if it names one, inserted after the subcommand; and the file's
/// templates and server programs (none without a profile).
pub fn expand(args: Vec<OsString>) -> Result<Expanded, String> {
    let Some(cmd) = args.get(1).and_then(|a| a.to_str()) else {
        return Ok((args, Vec::new(), Vec::new()));
    };
    let Some(&(_, generates)) = COMMANDS.iter().find(|(c, _)| *c == cmd) else {
        return Ok((args, Vec::new(), Vec::new()));
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
        return Ok((args, Vec::new(), Vec::new()));
    };
    let p = profile::load(Path::new(&path)).map_err(|e| super::run_errors::profile_error(&e))?;
    if !generates && !p.templates.is_empty() {
        return Err(format!(
            "--profile {}: [[template]] entries are for bench and gen; {cmd} takes the flag keys only",
            Path::new(&path).display()
        ));
    }
    if cmd != "serve" && !p.servers.is_empty() {
        return Err(format!(
            "--profile {}: [[server]] entries are for serve; {cmd} takes the flag keys and [[template]] entries",
            Path::new(&path).display()
        ));
    }
    let flags: Vec<String> = p
        .keys
        .iter()
        .map(|(key, value)| {
            let flag = format!("--{}", key.replace('_', "-"));
            match value {
                None => flag,
                Some(v) => format!("{flag}={v}"),
            }
        })
        .collect();
    if flags.iter().any(|f| f.starts_with("--profile")) {
        return Err(format!(
            "--profile {}: a profile cannot name another profile",
            Path::new(&path).display()
        ));
    }
    // A key whose flag is also typed is left out: the typed one wins,
    // list flags included (clap would append a typed --cores to the
    // profile's) and flags that conflict with it (a typed --concurrency
    // beside the profile's rate) too.
    let typed: Vec<String> = args[2..]
        .iter()
        .filter_map(|a| a.to_str())
        .filter(|a| a.starts_with("--"))
        .map(|a| a.split('=').next().unwrap_or(a).to_string())
        .collect();
    let mut out: Vec<OsString> = args[..2].to_vec();
    out.extend(
        flags
            .into_iter()
            .filter(|f| {
                !typed
                    .iter()
                    .any(|t| f.split('=').next() == Some(t.as_str()))
            })
            .filter(|f| !conflicts_with_typed(f, &typed))
            .map(OsString::from),
    );
    out.extend(args[2..].iter().cloned());
    Ok((out, p.templates, p.servers))
}

/// Flags that exclude one another: a profile's one gives way to a typed
/// one of the other side.
const EXCLUSIVE: [(&str, &[&str]); 2] = [
    ("--rate", &["--concurrency"]),
    ("--request", &["--response-bytes"]),
];

fn conflicts_with_typed(flag: &str, typed: &[String]) -> bool {
    let name = flag.split('=').next().unwrap_or(flag);
    EXCLUSIVE.iter().any(|&(a, bs)| {
        (name == a && typed.iter().any(|t| bs.contains(&t.as_str())))
            || (bs.contains(&name) && typed.iter().any(|t| t == a))
    })
}

/// What a run's flags and its templates cannot do together: `--hold`
/// (each template has its own `hold_ms`), and spoofed sources among the
/// generator's own (`first`..+`count`, given by `flag`).
pub fn check_templates(
    templates: &[Template],
    hold_ms: u64,
    first: [u8; 4],
    count: u32,
    flag: &str,
) -> Result<(), String> {
    if templates.is_empty() {
        return Ok(());
    }
    if hold_ms > 0 {
        return Err(
            "--hold with a profile's templates: give each template its own hold_ms instead".into(),
        );
    }
    if let Some(name) = profile::spoof_overlap(templates, first, count) {
        return Err(format!(
            "template '{name}' spoofs addresses the generator itself uses ({flag}): give spoof a range apart from them"
        ));
    }
    Ok(())
}

/// One template's outcome: (opened, completed, failed).
fn outcome(t: &Template, c: &TemplateCounts) -> (u64, u64, u64) {
    if t.kind == TemplateKind::SynOnly {
        return (c.opened, 0, 0);
    }
    let completed = c.completed();
    (c.opened, completed, c.ended() - completed)
}

/// Sums the template counts of several workers.
pub fn sum<'a>(counts: impl Iterator<Item = &'a [TemplateCounts]>) -> Vec<TemplateCounts> {
    let mut all = vec![TemplateCounts::default(); MAX_TEMPLATES];
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
    let weights: u64 = templates
        .iter()
        .map(|t| u64::from(t.weight))
        .sum::<u64>()
        .max(1);
    let http = templates.iter().any(|t| t.http_path.is_some());
    println!();
    print!(
        "{:<20}{:>8}{:>10}{:>12}{:>12}{:>10}",
        "template", "weight", "share", "opened", "completed", "failed"
    );
    if http {
        print!("{:>10}{:>11}", "http 2xx", "http other");
    }
    println!();
    for (t, c) in templates.iter().zip(counts) {
        let (opened, completed, failed) = outcome(t, c);
        print!(
            "{:<20}{:>8}{:>9.1}%{:>12}{:>12}{:>10}",
            t.name,
            format!("{:.1}%", 100.0 * f64::from(t.weight) / weights as f64),
            100.0 * opened as f64 / total as f64,
            opened,
            completed,
            failed
        );
        if http {
            print!("{:>10}{:>11}", c.http_2xx, c.http_other);
        }
        println!();
    }
}

/// The per-template JSON (`templates`): name, kind, weight, request
/// (bytes or http), opened, completed, failed, and the HTTP status
/// classes read.
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
                "request": if t.http_path.is_some() { "http" } else { "bytes" },
                "opened": opened,
                "completed": completed,
                "failed": failed,
                "http_2xx": c.http_2xx,
                "http_other": c.http_other,
            })
        })
        .collect()
}

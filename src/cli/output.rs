//! How a subcommand ends: an error said once with exit status 2, and the
//! files it writes (a summary, live lines), each said when written.

use std::fmt::Display;
use std::path::Path;
use std::process::ExitCode;

/// Says `msg` as an error; the exit status of a run refused or failed
/// before its result (2).
pub fn refuse(msg: impl Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Writes `text` to `path` and says that `what` was written there; where
/// it cannot, says why and returns exit status 2.
pub fn write_file(path: &Path, text: String, what: &str) -> Result<(), ExitCode> {
    std::fs::write(path, text)
        .map_err(|e| refuse(format_args!("cannot write {}: {e}", path.display())))?;
    eprintln!("{what} written to {}", path.display());
    Ok(())
}

/// Writes the JSON summary `json` to `path` (see `write_file`).
pub fn write_summary(path: &Path, json: &serde_json::Value) -> Result<(), ExitCode> {
    let text = serde_json::to_string_pretty(json).unwrap_or_default();
    write_file(path, text, "summary")
}

//! Small files with one job, short functions: no file of `src/` over
//! `MAX_FILE_LINES` lines, no function over `MAX_FN_LINES` lines (from
//! its `fn` line to its closing brace, comments and blank lines
//! included).
//!
//! Functions are found after comments and literals are blanked out
//! (`tests/source`): `fn NAME`, then its body, the first `{` before any
//! `;` at bracket depth 0, up to the brace that closes it.

mod source;

use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 100;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src/").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// (name, first line, lines) of every function with a body in `text`.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let s: Vec<char> = source::strip(text).chars().collect();
    let line_at = |i: usize| s[..i].iter().filter(|&&c| c == '\n').count() + 1;
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < s.len() {
        let word_start =
            s[i] == 'f' && s[i + 1] == 'n' && !s[i + 2].is_alphanumeric() && s[i + 2] != '_';
        if !word_start || (i > 0 && is_ident(s[i - 1])) {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while j < s.len() && s[j].is_whitespace() {
            j += 1;
        }
        let name_start = j;
        while j < s.len() && is_ident(s[j]) {
            j += 1;
        }
        if j == name_start {
            // `fn(` in a type: not a definition.
            i += 2;
            continue;
        }
        let name: String = s[name_start..j].iter().collect();
        // The body: the first `{` at bracket depth 0 before any `;`.
        let mut depth = 0i32;
        let mut open = None;
        while j < s.len() {
            match s[j] {
                '(' | '[' | '<' => depth += 1,
                ')' | ']' => depth -= 1,
                '>' if j > 0 && s[j - 1] != '-' && s[j - 1] != '=' => depth -= 1,
                ';' if depth <= 0 => break,
                '{' if depth <= 0 => {
                    open = Some(j);
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let Some(open) = open else {
            i = j.max(i + 2);
            continue;
        };
        let mut braces = 0;
        let mut k = open;
        while k < s.len() {
            match s[k] {
                '{' => braces += 1,
                '}' => {
                    braces -= 1;
                    if braces == 0 {
                        break;
                    }
                }
                _ => {}
            }
            k += 1;
        }
        let (first, last) = (line_at(i), line_at(k.min(s.len() - 1)));
        out.push((name, first, last - first + 1));
        // Nested functions are measured too: go on inside the body.
        i = open + 1;
    }
    out
}

#[test]
fn files_and_functions_stay_small() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .expect("under src/")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(f).expect("read");
        let lines = text.lines().count();
        if lines > MAX_FILE_LINES {
            problems.push(format!(
                "src/{rel}: {lines} lines (at most {MAX_FILE_LINES}): split it by job"
            ));
        }
        for (name, at, n) in functions(&text) {
            if n > MAX_FN_LINES {
                problems.push(format!(
                    "src/{rel}:{at}: fn {name} is {n} lines (at most {MAX_FN_LINES}): cut it into steps"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The scanner itself: lengths counted from `fn` to the closing brace,
/// braces in strings and comments ignored, declarations without a body
/// and `fn` types skipped.
#[test]
fn functions_are_measured_from_fn_to_closing_brace() {
    let text = "trait T { fn decl(&self); }\nfn a() {\n    let s = \"}}}\"; // }\n    let f: fn(u8) -> u8 = |x| x;\n}\nfn b<T: Into<u8>>(x: T) -> Vec<u8>\nwhere\n    T: Copy,\n{\n    vec![x.into()]\n}\n";
    let f = functions(text);
    let got: Vec<(&str, usize, usize)> = f.iter().map(|(n, a, l)| (n.as_str(), *a, *l)).collect();
    assert_eq!(got, [("a", 2, 4), ("b", 6, 6)]);
}

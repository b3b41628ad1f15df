//! The import graph of `src/` (lib and binary) has no circle and no import
//! back up a layer.
//!
//! Rules checked, over every file of `src/`:
//! - **Layers**: each top-level module of the library has a rank
//!   (`LAYERS`); a file may refer to a module of its own top-level module or
//!   of a lower rank, never to one of the same rank or above. The binary
//!   (`main.rs`, `cli/`, and what `main.rs` declares) sits above the whole
//!   library. A new top-level module must be given a rank here.
//! - **No circles**: no two files refer to each other, directly or through
//!   others (sibling files of one module included).
//!
//! A reference is any path through `crate::`, `super::`, `self::`,
//! `synwave::` or a child module's name, in `use` declarations (private or
//! public) and in code, after comments and string literals are removed.
//! It is resolved to the file of the module it names; a name a module
//! imports or re-exports (`use`, `pub use`) is followed to the module that
//! defines it, so `use crate::tcp::Tcb` from a sibling counts as an edge to
//! `tcp/tcb.rs`, not to `tcp/mod.rs`. `mod x;` declarations are not
//! references. Inline modules (`mod tests { … }`) are part of their file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

mod source;
use source::{Tok, strip, tokens};

/// Top-level library modules, bottom up. Lower numbers are lower layers.
const LAYERS: &[(&str, u8)] = &[
    ("wire", 0),
    ("timer", 0),
    ("prefetch", 0),
    ("flow", 1),
    ("io", 1),
    ("tcp", 2),
    ("app", 3),
    ("endpoint", 4),
    ("metrics", 5),
    ("scenario", 5),
    ("profile", 5),
    ("engine", 6),
    ("sim", 6),
];

/// The binary crate's rank: above every library module.
const BIN_RANK: u8 = 7;

/// One source file as a module of a crate.
struct Module {
    /// Path segments from the crate root (empty for the root).
    path: Vec<String>,
    /// File, relative to `src/`.
    file: String,
    /// Which crate: `false` for the library, `true` for the binary.
    bin: bool,
    /// Child modules declared with `mod x;` → their module's index.
    children: BTreeMap<String, usize>,
    /// Names brought in with `use` (public or not) → the absolute path
    /// (crate root first; `synwave` first for the library from the binary).
    imports: HashMap<String, Vec<String>>,
    /// Every path referred to, absolute.
    refs: Vec<Vec<String>>,
}

/// A `use` tree starting at `t[*i]`, flattened into (path, bound name)
/// pairs; `*i` ends past the tree.
fn use_tree(t: &[Tok], i: &mut usize, prefix: &[String], out: &mut Vec<(Vec<String>, String)>) {
    let mut path = prefix.to_vec();
    loop {
        match t.get(*i) {
            Some(Tok::Ident(w)) if w == "self" && !path.is_empty() => {
                *i += 1;
                let name = path.last().cloned().unwrap_or_default();
                out.push((path.clone(), alias(t, i).unwrap_or(name)));
                return;
            }
            Some(Tok::Ident(w)) => {
                path.push(w.clone());
                *i += 1;
                if t.get(*i) == Some(&Tok::Path) {
                    *i += 1;
                    continue;
                }
                let name = alias(t, i).unwrap_or_else(|| w.clone());
                out.push((path, name));
                return;
            }
            Some(Tok::Star) => {
                *i += 1;
                out.push((path, "*".into()));
                return;
            }
            Some(Tok::Open) => {
                *i += 1;
                loop {
                    match t.get(*i) {
                        Some(Tok::Close) => {
                            *i += 1;
                            return;
                        }
                        Some(Tok::Comma) => *i += 1,
                        None => return,
                        _ => use_tree(t, i, &path, out),
                    }
                }
            }
            _ => return,
        }
    }
}

/// `as NAME` after a use path: the bound name.
fn alias(t: &[Tok], i: &mut usize) -> Option<String> {
    if let (Some(Tok::Ident(a)), Some(Tok::Ident(n))) = (t.get(*i), t.get(*i + 1))
        && a == "as"
    {
        *i += 2;
        return Some(n.clone());
    }
    None
}

/// The module path a path starting in module `at` names, made absolute
/// (`None` for paths that leave the crate: std, other crates, locals).
fn absolute(
    at: &[String],
    children: &BTreeMap<String, usize>,
    p: &[String],
    bin: bool,
) -> Option<Vec<String>> {
    let first = p.first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => vec![],
        "synwave" if bin => vec!["synwave".into()],
        "self" => at.to_vec(),
        "super" => {
            let mut b = at.to_vec();
            let mut k = 0;
            while p.get(k).is_some_and(|s| s == "super") {
                b.pop();
                k += 1;
            }
            b.extend(p[k..].iter().cloned());
            return Some(b);
        }
        w if children.contains_key(w) => {
            let mut b = at.to_vec();
            b.push(w.into());
            b.extend(p[1..].iter().cloned());
            return Some(b);
        }
        _ => return None,
    };
    base.extend(p[1..].iter().cloned());
    Some(base)
}

struct Graph {
    modules: Vec<Module>,
    /// (bin, path) → module index.
    by_path: HashMap<(bool, Vec<String>), usize>,
}

impl Graph {
    fn load(src: &Path) -> Graph {
        let mut g = Graph {
            modules: Vec::new(),
            by_path: HashMap::new(),
        };
        g.add(src, "lib.rs", vec![], false);
        g.add(src, "main.rs", vec![], true);
        for m in 0..g.modules.len() {
            g.scan(src, m);
        }
        g
    }

    /// Adds the module in `file` and, recursively, the children it declares.
    fn add(&mut self, src: &Path, file: &str, path: Vec<String>, bin: bool) -> usize {
        let text =
            std::fs::read_to_string(src.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let idx = self.modules.len();
        self.modules.push(Module {
            path: path.clone(),
            file: file.into(),
            bin,
            children: BTreeMap::new(),
            imports: HashMap::new(),
            refs: Vec::new(),
        });
        self.by_path.insert((bin, path.clone()), idx);
        let dir: PathBuf = match Path::new(file).file_name().and_then(|f| f.to_str()) {
            Some("lib.rs" | "main.rs" | "mod.rs") => Path::new(file)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            _ => Path::new(file).with_extension(""),
        };
        let t = tokens(&strip(&text));
        let mut depth = 0usize;
        for (i, tok) in t.iter().enumerate() {
            match tok {
                Tok::Open => depth += 1,
                Tok::Close => depth = depth.saturating_sub(1),
                Tok::Ident(w) if w == "mod" && depth == 0 => {
                    if let (Some(Tok::Ident(name)), Some(Tok::Semi)) = (t.get(i + 1), t.get(i + 2))
                    {
                        let flat = dir.join(format!("{name}.rs"));
                        let nested = dir.join(name).join("mod.rs");
                        let child = if src.join(&flat).exists() {
                            flat
                        } else {
                            nested
                        };
                        let mut p = path.clone();
                        p.push(name.clone());
                        let c = self.add(src, child.to_str().expect("utf-8 path"), p, bin);
                        self.modules[idx].children.insert(name.clone(), c);
                    }
                }
                _ => {}
            }
        }
        idx
    }

    /// Collects the imports and references of module `m`.
    fn scan(&mut self, src: &Path, m: usize) {
        let text = std::fs::read_to_string(src.join(&self.modules[m].file)).expect("read");
        let t = tokens(&strip(&text));
        let (file_path, bin) = (self.modules[m].path.clone(), self.modules[m].bin);
        let children = self.modules[m].children.clone();
        // Inline modules: (name, brace depth inside them).
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0usize;
        let mut i = 0;
        while i < t.len() {
            let at: Vec<String> = file_path
                .iter()
                .cloned()
                .chain(inline.iter().map(|x| x.0.clone()))
                .collect();
            let kids = if inline.is_empty() {
                children.clone()
            } else {
                BTreeMap::new()
            };
            match &t[i] {
                Tok::Open => {
                    depth += 1;
                    i += 1;
                }
                Tok::Close => {
                    if inline.last().is_some_and(|x| x.1 == depth) {
                        inline.pop();
                    }
                    depth = depth.saturating_sub(1);
                    i += 1;
                }
                Tok::Ident(w) if w == "mod" => {
                    if let (Some(Tok::Ident(name)), Some(Tok::Open)) = (t.get(i + 1), t.get(i + 2))
                    {
                        depth += 1;
                        inline.push((name.clone(), depth));
                        i += 3;
                    } else {
                        i += 1;
                    }
                }
                Tok::Ident(w) if w == "use" => {
                    i += 1;
                    let mut items = Vec::new();
                    use_tree(&t, &mut i, &[], &mut items);
                    for (p, name) in items {
                        if let Some(abs) = absolute(&at, &kids, &p, bin) {
                            if inline.is_empty() && name != "*" {
                                self.modules[m].imports.insert(name, abs.clone());
                            }
                            self.modules[m].refs.push(abs);
                        }
                    }
                }
                Tok::Ident(first) => {
                    // A path in code: IDENT (:: IDENT)+.
                    let mut p = vec![first.clone()];
                    let mut j = i + 1;
                    while t.get(j) == Some(&Tok::Path) {
                        match t.get(j + 1) {
                            Some(Tok::Ident(w)) => {
                                p.push(w.clone());
                                j += 2;
                            }
                            _ => break,
                        }
                    }
                    let preceded_by_path = i > 0 && t[i - 1] == Tok::Path;
                    if p.len() > 1
                        && !preceded_by_path
                        && let Some(abs) = absolute(&at, &kids, &p, bin)
                    {
                        self.modules[m].refs.push(abs);
                    }
                    i = j.max(i + 1);
                }
                _ => i += 1,
            }
        }
    }

    /// The module a path resolves to, following imports and re-exports.
    fn resolve(&self, bin: bool, path: &[String], hops: usize) -> Option<usize> {
        let (mut crate_bin, rest) = (bin, path);
        let rest = if bin && rest.first().is_some_and(|s| s == "synwave") {
            crate_bin = false;
            &rest[1..]
        } else {
            rest
        };
        let mut cur = *self.by_path.get(&(crate_bin, vec![]))?;
        for (k, seg) in rest.iter().enumerate() {
            let module = &self.modules[cur];
            if let Some(&c) = module.children.get(seg) {
                cur = c;
                continue;
            }
            if hops < 8
                && let Some(target) = module.imports.get(seg)
            {
                let mut full = target.clone();
                full.extend(rest[k + 1..].iter().cloned());
                return self.resolve(crate_bin, &full, hops + 1).or(Some(cur));
            }
            return Some(cur);
        }
        Some(cur)
    }

    fn edges(&self) -> BTreeSet<(usize, usize)> {
        let mut e = BTreeSet::new();
        for (m, module) in self.modules.iter().enumerate() {
            for r in &module.refs {
                if let Some(to) = self.resolve(module.bin, r, 0)
                    && to != m
                    && self.modules[to].bin == module.bin
                {
                    e.insert((m, to));
                }
            }
        }
        e
    }

    fn rank(&self, m: usize) -> Result<u8, String> {
        let module = &self.modules[m];
        if module.bin {
            return Ok(BIN_RANK);
        }
        let Some(top) = module.path.first() else {
            return Ok(u8::MAX);
        };
        LAYERS
            .iter()
            .find(|(n, _)| n == top)
            .map(|&(_, r)| r)
            .ok_or_else(|| format!("src/{}: top-level module '{top}' has no layer: give it a rank in tests/layering.rs LAYERS", module.file))
    }
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(n: usize, edges: &BTreeSet<(usize, usize)>) -> Vec<Vec<usize>> {
    let mut adj = vec![Vec::new(); n];
    for &(a, b) in edges {
        adj[a].push(b);
    }
    struct St {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(v: usize, adj: &[Vec<usize>], s: &mut St) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on[v] = true;
        for &w in &adj[v] {
            match s.index[w] {
                None => {
                    visit(w, adj, s);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = St {
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(v, &adj, &mut s);
        }
    }
    s.out
}

fn graph() -> Graph {
    Graph::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn no_import_goes_up_a_layer_and_no_import_circles() {
    let g = graph();
    let edges = g.edges();
    let name = |m: usize| format!("src/{}", g.modules[m].file);
    let mut problems = Vec::new();
    for &(a, b) in &edges {
        let (ra, rb) = match (g.rank(a), g.rank(b)) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(e), _) | (_, Err(e)) => {
                problems.push(e);
                continue;
            }
        };
        let same_top = g.modules[a].bin == g.modules[b].bin
            && g.modules[a].path.first() == g.modules[b].path.first();
        if !same_top && rb >= ra && !g.modules[a].path.is_empty() {
            problems.push(format!(
                "{} → {}: imports a module of the same or a higher layer",
                name(a),
                name(b)
            ));
        }
    }
    for (top, _) in LAYERS {
        if !g
            .modules
            .iter()
            .any(|m| !m.bin && m.path.len() == 1 && m.path[0] == *top)
        {
            problems.push(format!(
                "LAYERS names '{top}', which src/lib.rs does not declare: remove it from the table"
            ));
        }
    }
    for c in circles(g.modules.len(), &edges) {
        let inside: Vec<String> = edges
            .iter()
            .filter(|(a, b)| c.contains(a) && c.contains(b))
            .map(|&(a, b)| format!("{} → {}", name(a), name(b)))
            .collect();
        problems.push(format!("import circle through {}", inside.join(", ")));
    }
    assert!(
        problems.is_empty(),
        "the layering rule (tests/layering.rs, docs/architecture.md) is broken:\n{}",
        problems.join("\n")
    );
}

/// The checker itself: a circle and an upward import in a made-up graph
/// are found, comments and strings are ignored.
#[test]
fn the_checker_finds_circles_and_ignores_comments() {
    let mut e = BTreeSet::new();
    e.insert((0, 1));
    e.insert((1, 2));
    e.insert((2, 0));
    e.insert((2, 3));
    assert_eq!(circles(4, &e), vec![vec![0, 1, 2]]);
    let s = strip(
        "use crate::a; // use crate::b;\nlet x = \"crate::c\"; /* crate::d */ let q = '\\''; fn f<'a>() {}",
    );
    let t = tokens(&s);
    let idents: Vec<&str> = t
        .iter()
        .filter_map(|t| match t {
            Tok::Ident(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        idents.contains(&"a")
            && !idents.contains(&"b")
            && !idents.contains(&"c")
            && !idents.contains(&"d"),
        "{idents:?}"
    );
    let mut items = Vec::new();
    let t = tokens("crate::tcp::{self, End as E, cookie::{X, Y}};");
    use_tree(&t, &mut 0, &[], &mut items);
    let names: Vec<String> = items
        .iter()
        .map(|(p, n)| format!("{}={n}", p.join("::")))
        .collect();
    assert_eq!(
        names,
        [
            "crate::tcp=tcp",
            "crate::tcp::End=E",
            "crate::tcp::cookie::X=X",
            "crate::tcp::cookie::Y=Y"
        ]
    );
}

/// The real graph is read: the modules every layer has are found, and the
/// edges cover them (a checker that saw nothing would pass).
#[test]
fn the_graph_holds_every_source_file() {
    let g = graph();
    let count = |dir: &Path| -> usize {
        fn walk(d: &Path) -> usize {
            std::fs::read_dir(d)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| {
                            let p = e.path();
                            if p.is_dir() {
                                walk(&p)
                            } else {
                                usize::from(p.extension().is_some_and(|x| x == "rs"))
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        walk(dir)
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert_eq!(
        g.modules.len(),
        count(&src),
        "every file of src/ is a module reached from lib.rs or main.rs"
    );
    let edges = g.edges();
    assert!(edges.len() > 100, "only {} edges found", edges.len());
    let file = |f: &str| g.modules.iter().position(|m| m.file == f).expect(f);
    // A known edge through a re-export: the endpoint uses the timer wheel.
    assert!(edges.contains(&(file("endpoint/tables.rs"), file("timer/wheel.rs"))));
}

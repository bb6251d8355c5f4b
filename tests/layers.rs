//! The picture of docs/architecture.md stays true: each top-level module
//! uses only the layers below it, and the daemon's modules form no circle.
//! Read from the sources (`crate::module` and `super::module` paths of the
//! code that is not a test), so that a new import that breaks a layer
//! fails here, with the file that made it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::repo_path;

/// What each top-level module may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("license", &[]),
    ("options", &["license"]),
    ("engine", &["license", "options"]),
    ("protocol", &["license"]),
    ("alerts", &["engine", "license", "protocol"]),
    ("store", &["engine", "license"]),
    ("history", &["engine", "license", "protocol"]),
    ("client", &["license", "paths", "protocol"]),
    (
        "server",
        &[
            "alerts",
            "engine",
            "history",
            "license",
            "options",
            "paths",
            "protocol",
            "single_dash",
            "store",
            "version",
        ],
    ),
    (
        "cli",
        &[
            "client",
            "history",
            "license",
            "paths",
            "protocol",
            "server",
            "single_dash",
            "version",
        ],
    ),
    ("flexnet", &[]),
    ("paths", &[]),
    ("single_dash", &[]),
    ("version", &[]),
];

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The module path of a file under src/: `server/handlers/read.rs` is
/// `["server", "handlers", "read"]`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file
        .strip_prefix(repo_path("src"))
        .unwrap()
        .with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file that is not a test: test files are skipped, and a
/// file's `#[cfg(test)]` module (at its end) cut off.
fn code(file: &Path) -> Option<String> {
    let name = file.file_stem()?.to_str()?;
    if ["tests", "proptests", "simulation"].contains(&name) {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let end = text.find("#[cfg(test)]").unwrap_or(text.len());
    Some(text[..end].to_owned())
}

/// The names that follow `prefix` in `code`.
fn after<'a>(code: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    code.match_indices(prefix).filter_map(move |(i, _)| {
        let rest = &code[i + prefix.len()..];
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
        (end > 0).then(|| &rest[..end])
    })
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    for file in sources(&repo_path("src")) {
        let module = module_of(&file);
        let Some(top) = allowed.get(module[0].as_str()) else {
            continue;
        };
        let Some(code) = code(&file) else { continue };
        for used in after(&code, "crate::") {
            // FlexNet's error numbers are a leaf every layer names.
            if used != module[0] && used != "flexnet" && !top.contains(&used) {
                wrong.push(format!("{}: uses crate::{used}", file.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "layers crossed:\n{}", wrong.join("\n"));
}

/// The server's modules, and which of them each uses.
fn server_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(&repo_path("src/server")) {
        let module = module_of(&file);
        let Some(me) = module.get(1).cloned() else {
            continue;
        };
        let Some(code) = code(&file) else { continue };
        let mut uses: BTreeSet<String> =
            after(&code, "crate::server::").map(str::to_owned).collect();
        // `super::x` in server/a.rs is server::x; in server/a/b.rs it is
        // server::a::x, a part of `a` itself.
        if module.len() == 2 {
            uses.extend(after(&code, "super::").map(str::to_owned));
        }
        uses.remove(&me);
        graph.entry(me).or_default().extend(uses);
    }
    graph
}

#[test]
fn the_daemons_modules_form_no_circle() {
    let graph = server_graph();
    assert!(graph.contains_key("handlers") && graph.contains_key("owner"));
    // Depth-first search for a back edge.
    fn visit<'g>(
        at: &'g str,
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|m| *m == at) {
            let mut circle: Vec<String> = path[i..].iter().map(|m| m.to_string()).collect();
            circle.push(at.to_owned());
            return Some(circle);
        }
        if !done.insert(at) {
            return None;
        }
        path.push(at);
        for next in graph.get(at).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for start in graph.keys() {
        let circle = visit(start, &graph, &mut Vec::new(), &mut done);
        assert_eq!(circle, None, "server/ modules in a circle");
    }
}

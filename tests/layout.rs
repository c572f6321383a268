//! The module layout keeps its promises: modules import each other without cycles (the
//! top-level ones, and the modules of every folder among themselves), and the pure core imports nothing else of the crate (no storage, no HTTP, no
//! application layer). Read from the sources, the way a reviewer would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Short names the crate root re-exports from `core`.
const CORE_ALIASES: [&str; 5] = ["codec", "domain", "event", "graph", "ids"];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Where the bracket opened just before `text` closes (brackets in strings are not told
/// apart: the sources checked have none that are unbalanced).
fn closing(text: &str, open: char, close: char) -> usize {
    let mut depth = 1;
    text.char_indices()
        .find(|&(_, c)| {
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
            }
            depth == 0
        })
        .map(|(i, _)| i)
        .expect("a closed bracket")
}

/// Top-level module → the top-level modules its code names as `crate::x`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let deps = g.entry(top.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            let name = if CORE_ALIASES.contains(&name.as_str()) {
                "core".to_string()
            } else {
                name
            };
            if !name.is_empty() && name != top {
                deps.insert(name);
            }
        }
    }
    g
}

#[test]
fn top_level_modules_import_without_cycles() {
    let g = imports();
    assert!(g.len() > 8, "found the modules: {g:?}");
    assert_acyclic(&g, "the crate");
}

/// Panics with the cycle if the import graph `g` (of the modules of `what`) has one: a
/// depth-first search for a back edge.
fn assert_acyclic(g: &BTreeMap<String, BTreeSet<String>>, what: &str) {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        what: &str,
    ) {
        if done.contains(n) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == n) {
            panic!("import cycle in {what}: {:?} -> {n}", &path[at..]);
        }
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            visit(d, g, path, done, what);
        }
        path.pop();
        done.insert(n.to_string());
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        visit(n, g, &mut Vec::new(), &mut done, what);
    }
}

#[test]
fn the_core_imports_nothing_else_of_the_crate() {
    let g = imports();
    let core = g.get("core").expect("a core module");
    assert!(core.is_empty(), "core imports {core:?}");
    // And the layers above it do not skip inwards the wrong way: storage knows nothing of
    // the application or HTTP.
    let store = &g["store"];
    for outer in ["app", "http", "server", "auth"] {
        assert!(!store.contains(outer), "store imports {outer}");
    }
}

/// Commands decide from their `Ctx` alone (the world as it is, the ids, the next id, the
/// time): `Command::decide` gets no `App`, so it cannot reach storage; nor may it, or any
/// method of `Ctx` it calls, read a clock, draw a random value or touch files, which would
/// make one world and command decide two ways. Every write goes through `App::execute` with a `Command`.
#[test]
fn commands_decide_from_their_ctx_alone() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("app");
    let mut files = Vec::new();
    sources(&app, &mut files);
    const IMPURE: [&str; 9] = [
        "Utc::now",
        "SystemTime",
        "Instant::now",
        "rand::",
        "getrandom",
        "OsRng",
        "std::fs",
        "new_reference",
        "new_token",
    ];
    let (mut commands, mut helpers) = (0, 0);
    // The block that opens at the first `{` of `from`, checked for every impure call.
    let assert_pure = |f: &Path, from: &str, what: &str| {
        let body = &from[from.find('{').unwrap() + 1..];
        let body = &body[..closing(body, '{', '}')];
        for bad in IMPURE {
            assert!(
                !body.contains(bad),
                "{}: {what} uses {bad}: {}",
                f.display(),
                &body[..body.len().min(300)]
            );
        }
    };
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (at, _) in text.match_indices(" Command for ") {
            let rest = &text[at..];
            let Some(d) = rest.find("fn decide(") else {
                panic!("{}: a Command without decide", f.display());
            };
            commands += 1;
            assert_pure(&f, &rest[d..], "a decision");
        }
        // Nor may what they call on their `Ctx`: every method of `Ctx` (the helpers
        // decisions and reads share) is as pure as a decision.
        for (at, _) in text.match_indices("\nimpl").filter(|(at, _)| {
            text[at + 1..]
                .lines()
                .next()
                .is_some_and(|l| l.contains(" Ctx<"))
        }) {
            helpers += 1;
            assert_pure(&f, &text[at..], "a method of Ctx");
        }
        // No write path beside the commands': one append, in `App::execute`.
        let appends = text.matches("store.append").count();
        let allowed = usize::from(f.ends_with("app/mod.rs"));
        assert_eq!(
            appends,
            allowed,
            "{}: appends outside App::execute",
            f.display()
        );
    }
    assert!(commands >= 30, "found {commands} commands");
    assert!(helpers >= 15, "found {helpers} impl blocks of Ctx");
}

/// Reads over a read-only `Ctx` hold the world's read lock for their whole answer: nothing
/// inside may go back through the app (a second read lock of the same thread can wait
/// forever behind a queued writer).
#[test]
fn reads_over_a_ctx_do_not_lock_the_world_again() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("app");
    let mut files = Vec::new();
    sources(&app, &mut files);
    let mut reads = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (at, _) in text.match_indices("read_ctx(|cx|") {
            let args = &text[at + "read_ctx(".len()..];
            let end = closing(args, '(', ')');
            reads += 1;
            assert!(
                !args[..end].contains("self."),
                "{}: a read over a Ctx reaches into the app: {}",
                f.display(),
                &args[..end.min(300)]
            );
        }
    }
    assert!(reads >= 8, "found {reads} reads over a Ctx");
}

/// A source file's module path (`src/app/compliance/mod.rs` → `app/compliance`).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its `#[cfg(test)] mod tests` block.
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Per folder module, its child modules and which of them name which (`crate::a::b` or
/// `super::b` paths, resolved to the longest module that exists).
fn sibling_imports() -> BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .map(|f| module_of(f.strip_prefix(&src).unwrap()))
        .collect();
    let mut out: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let me = module_of(rel);
        let text = code_of(&std::fs::read_to_string(f).unwrap());
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
        for (i, _) in text
            .match_indices("crate::")
            .chain(text.match_indices("super::"))
        {
            if i > 0 && text[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let path: String = text[i..].chars().take_while(|&c| word(c)).collect();
            let mut segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let mut target: Vec<String> = if segs[0] == "crate" {
                segs.remove(0);
                if segs.first().is_some_and(|s| CORE_ALIASES.contains(s)) {
                    vec!["core".to_string()]
                } else {
                    vec![]
                }
            } else {
                let mut base = me.clone();
                while segs.first() == Some(&"super") {
                    segs.remove(0);
                    base.pop();
                }
                base
            };
            target.extend(segs.iter().map(|s| s.to_string()));
            while !target.is_empty() && !modules.contains(&target) {
                target.pop();
            }
            // Below their common parent, the two children that hold them.
            let common = me.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common >= me.len() || common >= target.len() {
                continue; // one is the other's ancestor: a child's `use super::*`
            }
            out.entry(me[..common].to_vec())
                .or_default()
                .entry(me[common].clone())
                .or_default()
                .insert(target[common].clone());
        }
    }
    out
}

#[test]
fn the_modules_of_every_folder_import_without_cycles() {
    let all = sibling_imports();
    assert!(
        all.contains_key(&vec!["app".to_string()]) && all.contains_key(&vec!["core".to_string()]),
        "found the folders: {:?}",
        all.keys().collect::<Vec<_>>()
    );
    for (parent, g) in &all {
        assert_acyclic(g, &parent.join("/"));
    }
}

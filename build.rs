//! Records the git revision and the build target for `lmver`.

use std::process::Command;

fn main() {
    let rev = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=LMUTIL_GIT_REV={rev}");
    println!("cargo:rustc-env=LMUTIL_TARGET={target}");
    // In a linked worktree `.git` is a file and HEAD lives elsewhere: ask
    // git where HEAD and the branch it names are kept, so that neither a
    // path that never exists nor another branch's commit reruns this.
    let branch = Command::new("git")
        .args(["symbolic-ref", "-q", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned());
    let mut watched = vec![git_path("HEAD").unwrap_or_else(|| ".git/HEAD".to_owned())];
    watched.extend(branch.as_deref().and_then(git_path));
    for path in watched {
        println!("cargo:rerun-if-changed={path}");
    }
}

/// `git rev-parse --git-path PATH`: where git keeps PATH for this checkout.
fn git_path(path: &str) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--git-path", path])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    Some(path).filter(|p| !p.is_empty() && std::path::Path::new(p).exists())
}

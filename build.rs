//! Records the git revision, the build number and the build target for
//! `lmver` and `lmstat -v`.
//!
//! The build number is the number of commits reachable from the commit
//! built (`git rev-list --count HEAD`): one decimal number, the same for
//! every build of one commit, and larger for every later commit of the
//! branch, as FlexNet's `build N` is. A build outside a git checkout has
//! number 0.

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
    let build = git(&["rev-list", "--count", "HEAD"])
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=LMUTIL_GIT_REV={rev}");
    println!("cargo:rustc-env=LMUTIL_TARGET={target}");
    println!("cargo:rustc-env=LMUTIL_BUILD={build}");
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

/// The trimmed output of `git ARGS`, when it succeeds and says something.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    Some(text).filter(|t| !t.is_empty())
}

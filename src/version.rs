//! What this build is: version, git revision, build number, target; and
//! how to find the same in another binary.
//!
//! The build number is the count of commits behind the one built (see
//! `build.rs`): decimal, as FlexNet's `lmstat -v` prints it, stable for a
//! commit and growing with the branch.
//!
//! Every binary embeds a marker line, `@(#)lmutil v<version> rev <rev>
//! build <number> <target>`, that `lmver FILE` finds by scanning the file's bytes (the old
//! SCCS `what` convention). For FlexNet binaries it looks for FlexNet's own
//! version strings instead.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::Serialize;

/// The package version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git revision this was built from, or `unknown`.
pub const GIT_REV: &str = env!("LMUTIL_GIT_REV");
/// The build number: commits behind the one built (0 outside git).
pub const BUILD: &str = env!("LMUTIL_BUILD");
/// The target triple this was built for.
pub const TARGET: &str = env!("LMUTIL_TARGET");

const MARKER_PREFIX: &[u8] = b"@(#)lmutil v";

/// The marker line, kept in the binary so `lmver` can read it back.
#[used]
pub static MARKER: &str = concat!(
    "@(#)lmutil v",
    env!("CARGO_PKG_VERSION"),
    " rev ",
    env!("LMUTIL_GIT_REV"),
    " build ",
    env!("LMUTIL_BUILD"),
    " ",
    env!("LMUTIL_TARGET"),
    "\n"
);

/// Version information of one binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildInfo {
    /// `lmutil`, or `FlexNet` for a FlexNet-built binary.
    pub product: String,
    pub version: String,
    pub revision: Option<String>,
    /// The build number (ours only; absent in binaries built before it).
    pub build: Option<u64>,
    pub target: Option<String>,
}

impl BuildInfo {
    /// This build.
    pub fn current() -> Self {
        BuildInfo {
            product: "lmutil".to_owned(),
            version: VERSION.to_owned(),
            revision: Some(GIT_REV.to_owned()),
            build: BUILD.parse().ok(),
            target: Some(TARGET.to_owned()),
        }
    }

    /// One line, as `lmver` prints it.
    pub fn line(&self) -> String {
        let mut s = format!("{} v{}", self.product, self.version);
        if let Some(r) = &self.revision {
            s.push_str(&format!(" rev {r}"));
        }
        if let Some(t) = &self.target {
            s.push_str(&format!(" {t}"));
        }
        s
    }
}

/// FlexNet's banners, most specific first.
const FLEXNET_PREFIXES: [&[u8]; 3] = [b"FlexNet Licensing v", b"FLEXnet Licensing v", b"FLEXlm v"];

/// Finds the version embedded in the binary at `path`, reading it in
/// chunks. `Ok(None)` when it carries no version string we know.
pub fn read_embedded(path: &Path) -> io::Result<Option<BuildInfo>> {
    const CHUNK: usize = 1 << 20;
    const KEEP: usize = 256;
    let mut file = File::open(path)?;
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + KEEP);
    let mut buf = vec![0u8; CHUNK];
    let mut flexnet = None;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        window.extend_from_slice(&buf[..n]);
        if let Some(info) = find_ours(&window) {
            return Ok(Some(info));
        }
        if flexnet.is_none() {
            flexnet = find_flexnet(&window);
        }
        let drop = window.len().saturating_sub(KEEP);
        window.drain(..drop);
    }
    Ok(flexnet)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The bytes from `start` up to the first NUL or line end, if complete.
fn field_at(hay: &[u8], start: usize) -> Option<&str> {
    let rest = &hay[start..];
    let end = rest.iter().position(|b| *b == 0 || *b == b'\n')?;
    std::str::from_utf8(&rest[..end]).ok()
}

fn find_ours(hay: &[u8]) -> Option<BuildInfo> {
    let at = find(hay, MARKER_PREFIX)?;
    let line = field_at(hay, at + MARKER_PREFIX.len())?;
    let mut words = line.split(' ');
    let version = words.next()?.to_owned();
    let revision = (words.next() == Some("rev"))
        .then(|| words.next())
        .flatten();
    let mut next = words.next();
    let mut build = None;
    if next == Some("build") {
        build = words.next().and_then(|n| n.parse().ok());
        next = words.next();
    }
    Some(BuildInfo {
        product: "lmutil".to_owned(),
        version,
        revision: revision.map(str::to_owned),
        build,
        target: next.map(str::to_owned),
    })
}

fn find_flexnet(hay: &[u8]) -> Option<BuildInfo> {
    FLEXNET_PREFIXES.iter().find_map(|prefix| {
        let at = find(hay, prefix)?;
        let text = field_at(hay, at + prefix.len())?;
        let version: String = text
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        (!version.is_empty()).then(|| BuildInfo {
            product: "FlexNet".to_owned(),
            version,
            revision: None,
            build: None,
            target: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_our_marker_and_flexnet_banners() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("ours");
        std::fs::write(
            &ours,
            [b"\0junk".as_slice(), MARKER.as_bytes(), b"\0"].concat(),
        )
        .unwrap();
        assert_eq!(read_embedded(&ours).unwrap(), Some(BuildInfo::current()));

        let theirs = dir.path().join("theirs");
        std::fs::write(&theirs, b"xx\0FlexNet Licensing v11.16.6.0 build 1\0").unwrap();
        let info = read_embedded(&theirs).unwrap().unwrap();
        assert_eq!(
            (info.product.as_str(), info.version.as_str()),
            ("FlexNet", "11.16.6.0")
        );

        let older = dir.path().join("older");
        std::fs::write(
            &older,
            b"\0@(#)lmutil v0.1.0 rev abc x86_64-unknown-linux-gnu\n",
        )
        .unwrap();
        let info = read_embedded(&older).unwrap().unwrap();
        assert_eq!(info.build, None, "a marker from before build numbers");
        assert_eq!(info.target.as_deref(), Some("x86_64-unknown-linux-gnu"));

        let none = dir.path().join("none");
        std::fs::write(&none, b"nothing here").unwrap();
        assert_eq!(read_embedded(&none).unwrap(), None);
    }

    #[test]
    fn a_marker_split_across_chunks_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let mut bytes = vec![b'x'; (1 << 20) - 5];
        bytes.extend_from_slice(MARKER.as_bytes());
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read_embedded(&path).unwrap(), Some(BuildInfo::current()));
    }
}

//! Completions and man pages in the repository match the clap definitions,
//! and the JSON schemas match the report types.
//! `LMUTIL_UPDATE_GENERATED=1 cargo test generated` rewrites them.

use crate::common::repo_path;

#[test]
fn generated_files_are_current() {
    let update = std::env::var_os("LMUTIL_UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (rel, content) in lmutil::cli::generate::artifacts() {
        let path = repo_path(rel.to_str().unwrap());
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(content.as_slice()) {
            stale.push(rel.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files (run `LMUTIL_UPDATE_GENERATED=1 cargo test generated`): {stale:?}"
    );
}

#[test]
fn every_command_has_completions_for_three_shells_and_a_man_page() {
    let files: Vec<String> = lmutil::cli::generate::artifacts()
        .into_iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    for spec in lmutil::cli::COMMANDS {
        for f in [
            format!("completions/bash/{}", spec.name),
            format!("completions/zsh/_{}", spec.name),
            format!("completions/fish/{}.fish", spec.name),
            format!("man/{}.1", spec.name),
        ] {
            assert!(files.contains(&f), "{f} missing");
        }
    }
    assert!(files.contains(&"man/lmgrd.8".to_owned()));
    for name in lmutil::cli::schema::commands() {
        assert!(files.contains(&format!("docs/schemas/{name}.json")));
    }
    assert!(files.contains(&"man/lmutil.1".to_owned()));
}

#[test]
fn every_command_with_json_output_has_a_schema() {
    let with_schema: Vec<&str> = lmutil::cli::schema::commands().collect();
    for spec in lmutil::cli::COMMANDS {
        let json = spec
            .build()
            .get_arguments()
            .any(|a| a.get_long() == Some("json"));
        assert_eq!(
            json,
            with_schema.contains(&spec.name),
            "{}: --json and docs/schemas/ disagree",
            spec.name
        );
    }
}

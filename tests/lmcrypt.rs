//! lmcrypt end to end: a vendor makes keys, signs real files, verifies them.

use std::path::{Path, PathBuf};

use crate::common::{lmutil, repo_path};

/// A key pair in a fresh directory, made by `lmcrypt --genkey`.
fn keys() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let keydir = dir.path().join("keys");
    lmutil(["lmcrypt".as_ref(), "--genkey".as_ref(), keydir.as_os_str()])
        .succeeds()
        .stdout_has("vendor.key");
    (dir, keydir.join("vendor.key"), keydir.join("vendor.pub"))
}

fn copy_fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(repo_path(&format!("tests/fixtures/{name}")), &path).unwrap();
    path
}

fn sign(key: &Path, file: &Path) {
    lmutil([
        "lmcrypt".as_ref(),
        "--key".as_ref(),
        key.as_os_str(),
        file.as_os_str(),
    ])
    .succeeds();
}

fn verify(public: &Path, file: &Path) -> crate::common::Run {
    lmutil([
        "lmcrypt".as_ref(),
        "--verify".as_ref(),
        "--pub".as_ref(),
        public.as_os_str(),
        file.as_os_str(),
        "--json".as_ref(),
    ])
}

#[test]
fn genkey_makes_a_private_key_only_its_owner_can_read() {
    let (_dir, private, public) = keys();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(public.exists());
    // A second run never overwrites a key.
    lmutil([
        "lmcrypt".as_ref(),
        "--genkey".as_ref(),
        private.parent().unwrap().as_os_str(),
    ])
    .fails_with_code(1)
    .stderr_has("exists already");
}

#[test]
fn a_signed_seed_file_verifies_with_every_field_reported() {
    let (dir, private, public) = keys();
    let file = copy_fixture(dir.path(), "seed_citrix_example.lic");
    let before = std::fs::read_to_string(&file).unwrap();
    sign(&private, &file);
    let after = std::fs::read_to_string(&file).unwrap();
    assert_ne!(before, after);
    assert!(after.contains("#CITRIXTERM FEATURE 2.0 MPS_ENT_CCU EN"));

    let json = verify(&public, &file).succeeds().json();
    assert_eq!(json["valid"], true);
    let line = &json["files"][0]["lines"][0];
    assert_eq!(line["feature"], "MPS_ENT_CCU");
    assert_eq!(line["keyword"], "INCREMENT");
    assert_eq!(line["css_date"], "2006.0428");
    assert_eq!(line["expiry"], "2006-05-01");
    assert_eq!(line["count"], "1000");
    assert_eq!(line["start"], "2004-03-11");
    assert_eq!(line["issued"], "2004-03-12");
    assert_eq!(line["binding"][0], "HOSTNAME=license_server1");
    assert_eq!(
        line["vendor_string"][0],
        serde_json::json!(["LT", "Retail"])
    );
    assert_eq!(
        line["display_names"][0]["product"],
        "Citrix Presentation Server Enterprise"
    );
    assert_eq!(line["signature"], "valid");

    let text = lmutil([
        "lmcrypt".as_ref(),
        "--verify".as_ref(),
        "--pub".as_ref(),
        public.as_os_str(),
        file.as_os_str(),
    ])
    .succeeds()
    .stdout();
    assert!(text.contains("MPS_ENT_CCU v2006.0428 expiry 2006-05-01 count 1000: signature valid"));
    assert!(text.contains("OK: 1 lines, 1 valid, 0 invalid, 0 parse errors"));
}

#[test]
fn tampering_with_a_signed_line_is_caught() {
    let (dir, private, public) = keys();
    let file = copy_fixture(dir.path(), "seed_citrix_example.lic");
    sign(&private, &file);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace(" 1000 ", " 5000 ")).unwrap();
    let run = verify(&public, &file).fails_with_code(248);
    let json = run.json();
    assert_eq!(json["valid"], false);
    assert_eq!(json["files"][0]["lines"][0]["signature"], "invalid");
}

#[test]
fn another_vendors_key_does_not_verify() {
    let (dir, private, _) = keys();
    let (_other, _, other_public) = keys();
    let file = copy_fixture(dir.path(), "seed_citrix_example.lic");
    sign(&private, &file);
    verify(&other_public, &file).fails_with_code(248);
}

#[test]
fn a_keys_directory_may_hold_several_trusted_keys() {
    let (dir, private, public) = keys();
    let (_other, _, other_public) = keys();
    let trusted = dir.path().join("trusted");
    std::fs::create_dir(&trusted).unwrap();
    std::fs::copy(&public, trusted.join("a.pub")).unwrap();
    std::fs::copy(&other_public, trusted.join("b.pub")).unwrap();
    let file = copy_fixture(dir.path(), "seed_supersede_sign.lic");
    sign(&private, &file);
    let json = verify(&trusted, &file).succeeds().json();
    assert_eq!(json["files"][0]["lines"].as_array().unwrap().len(), 2);
}

#[test]
fn parse_errors_are_reported_with_line_and_column_and_good_lines_still_sign() {
    let (dir, private, public) = keys();
    let file = dir.path().join("mixed.lic");
    std::fs::write(
        &file,
        "SERVER this_host HOSTNAME=h\nVENDOR CITRIX\n\
         INCREMENT A_B_CCU CITRIX 2026.0101 permanent ten\n\
         INCREMENT C_D_CCU CITRIX 2026.0101 permanent 10\n",
    )
    .unwrap();
    lmutil([
        "lmcrypt".as_ref(),
        "--key".as_ref(),
        private.as_os_str(),
        file.as_os_str(),
    ])
    .fails_with_code(254)
    .stdout_has("signed 1 line")
    .stdout_has("mixed.lic:3:46: expected a license count");
    let run = verify(&public, &file).fails_with_code(254);
    let json = run.json();
    assert_eq!(json["files"][0]["errors"][0]["line"], 3);
    assert_eq!(json["files"][0]["errors"][0]["column"], 46);
    assert_eq!(json["files"][0]["lines"][0]["signature"], "valid");
}

#[test]
fn unsigned_lines_fail_verification() {
    let (dir, _, public) = keys();
    let file = dir.path().join("unsigned.lic");
    std::fs::write(
        &file,
        "SERVER this_host ANY\nINCREMENT A_B_CCU CITRIX 2026.0101 permanent 1\n",
    )
    .unwrap();
    let json = verify(&public, &file).fails_with_code(248).json();
    assert_eq!(json["files"][0]["lines"][0]["signature"], "missing");
}

#[test]
fn lmcrypt_needs_a_mode_and_files() {
    lmutil(["lmcrypt"]).fails_with_code(2);
    lmutil(["lmcrypt", "--verify", "x.lic"]).fails_with_code(2);
}

/// The README's example file signs and verifies exactly as the README says.
#[test]
fn the_readme_example_works() {
    let readme = std::fs::read_to_string(repo_path("README.md")).unwrap();
    let start = readme
        .find("cat > citrix.lic <<'LIC'\n")
        .expect("example in README");
    let body = &readme[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let example = &body[..body.find("\nLIC\n").unwrap() + 1];
    let (dir, private, public) = keys();
    let file = dir.path().join("citrix.lic");
    std::fs::write(&file, example).unwrap();
    sign(&private, &file);
    let json = verify(&public, &file).succeeds().json();
    let line = &json["files"][0]["lines"][0];
    assert_eq!(line["feature"], "XDT_PLT_UD");
    assert_eq!(line["signature"], "valid");
    assert_eq!(line["display_names"][0]["model"], "User/Device");
}

/// `--verify` shows every attribute of a line, in the order written: the
/// ones lmcrypt gives meaning to (NOTICE, SN, ISSUER, DUP_GROUP,
/// SUPERSEDE, SUPERSEDE_SIGN) and those it does not, in text and in JSON.
#[test]
fn verify_shows_every_attribute_of_a_line() {
    let (dir, private, public) = keys();
    let file = dir.path().join("all.lic");
    std::fs::write(
        &file,
        "SERVER this_host ANY\nVENDOR CITRIX\n\
         INCREMENT XDT_PLT_CCU CITRIX 2026.1201 permanent 5 VENDOR_STRING=;LT=Retail \\\n\
         DUP_GROUP=V ISSUER=\"Example Issuer\" NOTICE=\"Example Corp\" SN=LA-0001 \\\n\
         SUPERSEDE=\"XDT_ADV_CCU XDT_STD_CCU\" \\\n\
         SUPERSEDE_SIGN={\"XDT_ADV_CCU:1B19 C213\"} PLATFORMS=x64_lsb USER_BASED\n",
    )
    .unwrap();
    sign(&private, &file);
    let expected = [
        (
            "VENDOR_STRING",
            Some(";LT=Retail"),
            "VENDOR_STRING=;LT=Retail",
        ),
        ("DUP_GROUP", Some("V"), "DUP_GROUP=V"),
        (
            "ISSUER",
            Some("Example Issuer"),
            "ISSUER=\"Example Issuer\"",
        ),
        ("NOTICE", Some("Example Corp"), "NOTICE=\"Example Corp\""),
        ("SN", Some("LA-0001"), "SN=LA-0001"),
        (
            "SUPERSEDE",
            Some("XDT_ADV_CCU XDT_STD_CCU"),
            "SUPERSEDE=\"XDT_ADV_CCU XDT_STD_CCU\"",
        ),
        (
            "SUPERSEDE_SIGN",
            Some("XDT_ADV_CCU:1B19 C213"),
            "SUPERSEDE_SIGN={\"XDT_ADV_CCU:1B19 C213\"}",
        ),
        ("PLATFORMS", Some("x64_lsb"), "PLATFORMS=x64_lsb"),
        ("USER_BASED", None, "USER_BASED"),
    ];
    let doc = verify(&public, &file).succeeds().json();
    let attributes = doc["files"][0]["lines"][0]["attributes"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = attributes
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.last(), Some(&"SIGN"), "{doc:#}");
    for (name, value, text) in expected {
        let a = attributes
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no {name}: {doc:#}"));
        assert_eq!(a["value"].as_str(), value, "{name}");
        assert_eq!(a["text"], text, "{name}");
    }
    let out = lmutil([
        "lmcrypt".as_ref(),
        "--verify".as_ref(),
        "--pub".as_ref(),
        public.as_os_str(),
        file.as_os_str(),
    ])
    .succeeds()
    .stdout();
    for (_, _, text) in expected {
        assert!(
            out.contains(&format!("\n    attribute {text}\n")),
            "{text}:\n{out}"
        );
    }
    assert!(out.contains("\n    attribute SIGN=\""), "{out}");
}

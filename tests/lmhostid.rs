//! lmhostid reads this machine's real identifiers.

use crate::common::{Masks, assert_golden, hostname, lmutil};

/// The MAC addresses Linux lists in /sys, read independently of lmhostid.
#[cfg(target_os = "linux")]
fn sys_macs() -> Vec<String> {
    let mut macs: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path().join("address")).ok())
        .map(|a| a.trim().replace(':', ""))
        .filter(|a| a.len() == 12 && a != "000000000000")
        .collect();
    macs.sort();
    macs.dedup();
    macs
}

#[cfg(target_os = "linux")]
#[test]
fn ether_ids_are_this_machines_interfaces() {
    let expected = sys_macs();
    let json = lmutil(["lmhostid", "-ether", "--json"]).json();
    let ids: Vec<String> = json["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, expected);
    let text = lmutil(["lmhostid"]).succeeds().stdout();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("lmutil - Copyright (c) "));
    match expected.as_slice() {
        [one] => assert_eq!(
            lines[1],
            format!("The FlexNet host ID of this machine is \"{one}\"")
        ),
        many => {
            assert_eq!(
                lines[1],
                format!(
                    "The FlexNet host ID of this machine is \"\"{}\"\"",
                    many.join(" ")
                )
            );
            assert_eq!(lines[2], "Only use ONE from the list of hostids.");
        }
    }
}

#[test]
fn hostname_is_printed_as_a_license_file_writes_it() {
    let name = hostname();
    lmutil(["lmhostid", "-hostname"])
        .succeeds()
        .stdout_has(&format!(
            "The FlexNet host ID of this machine is \"HOSTNAME={name}\"\n"
        ));
    let bare = lmutil(["lmhostid", "-hostname", "-n"]).succeeds().stdout();
    assert_eq!(bare, format!("HOSTNAME={name}\n"));
    let json = lmutil(["lmhostid", "-hostname", "--json"]).json();
    assert_eq!(json["id_type"], "hostname");
    assert_eq!(json["host"]["hostname"], name);
}

#[test]
fn id_types_are_exclusive() {
    lmutil(["lmhostid", "-ether", "-hostname"]).fails_with_code(2);
}

/// `lmhostid -hostname`'s text, pinned. (The Ethernet IDs' text depends
/// on how many interfaces the machine has: one ID, or a quoted list and a
/// second line; `ether_ids_are_this_machines_interfaces` checks both.)
#[test]
fn lmhostid_hostname_matches_its_golden_file() {
    let out = lmutil(["lmhostid", "-hostname"]).succeeds().stdout();
    assert_golden("lmhostid_hostname.txt", &Masks::new(), &out);
}

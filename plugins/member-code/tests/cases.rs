//! Runs the case files in `tests/cases` through the native harness.

use std::path::Path;

#[test]
fn cases() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases"));
    match sluice_sdk::testing::check_dir(
        dir,
        sluice_sdk::testing::run_transform::<sluice_plugin_member_code::MemberCode>,
    ) {
        Ok(n) => assert!(n > 0),
        Err(report) => panic!("failing cases:\n{report}"),
    }
}

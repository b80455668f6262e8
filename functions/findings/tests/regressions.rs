//! Every input the fuzzer found a problem with (tests/regressions/<target>/, kept by
//! scripts/fuzz.sh), replayed through the same checks as the fuzz target of that name.

use std::fs;
use std::path::Path;

use inspectorlink_findings::fuzzing::TARGETS;

#[test]
fn fuzz_regressions_pass_their_targets_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    for (target, check) in TARGETS {
        let Ok(entries) = fs::read_dir(root.join(target)) else {
            continue; // no regressions for this target
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !path.is_file() || hidden {
                continue;
            }
            eprintln!("{target}: {}", path.display());
            check(&fs::read(&path).unwrap());
        }
    }
}

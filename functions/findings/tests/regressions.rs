//! Every input the fuzzer starts from (fuzz/corpus/<target>/, committed seeds) and every
//! input it found a problem with (tests/regressions/<target>/, kept by scripts/fuzz.sh),
//! replayed through the same checks as the fuzz target of that name.

use std::fs;
use std::path::{Path, PathBuf};

use inspectorlink_findings::fuzzing::TARGETS;

/// The files of `dir` (none if it does not exist), hidden ones (.gitkeep) left out.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.is_file()
                && !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_seed_and_fuzz_regression_passes_its_targets_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (target, check) in TARGETS {
        let seeds = inputs(&root.join("fuzz/corpus").join(target));
        // A target without seeds would make this test pass on nothing.
        assert!(
            !seeds.is_empty(),
            "fuzz/corpus/{target}/ has no seed inputs: commit at least one (a fixture of that input kind)"
        );
        let regressions = inputs(&root.join("tests/regressions").join(target));
        for path in seeds.iter().chain(&regressions) {
            eprintln!("{target}: {}", path.display());
            check(&fs::read(path).unwrap());
        }
    }
}

//! Headless Chromium (Debian's `chromium`, installed by scripts/setup.sh) for tests that
//! look at a page the way a browser does: its DOM, screenshots, PDF.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(output) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
        {
            if output.status.success() {
                return PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
            }
        }
    }
    panic!(
        "Chromium is not installed, and the browser tests need it: run `make setup` \
         (scripts/setup.sh installs the Debian packages chromium and chromium-driver), or \
         `apt-get install chromium chromium-driver` as root"
    );
}

/// Runs headless Chromium with a fresh profile and the flags that keep it off the
/// network; returns what it printed (e.g. the DOM for `--dump-dom`).
pub fn run(args: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    // Output goes to files: a page's DOM is larger than a pipe's buffer, and nobody reads
    // the pipe until Chromium exits.
    let stdout_path = profile.path().join("stdout");
    let stderr_path = profile.path().join("stderr");
    let mut child = Command::new(binary())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("starting chromium");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(180) {
            child.kill().ok();
            panic!("chromium did not finish within 180 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "chromium {args:?} failed: {}",
        std::fs::read_to_string(&stderr_path).unwrap_or_default()
    );
    std::fs::read_to_string(&stdout_path).unwrap()
}

/// The `file://` URL of a local file, for Chromium.
pub fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

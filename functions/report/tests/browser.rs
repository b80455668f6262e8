//! The report in a real browser: headless Chromium (Debian's `chromium`, installed by
//! scripts/setup.sh) parses it to the same numbers, renders it at phone and desktop width
//! (screenshots kept as test artefacts) and prints it to PDF.

use std::path::Path;

use test_support::chromium::{run as run_chromium, url};

use crate::util::{artefacts_dir, metrics, seeded};

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn chromium_reads_the_same_numbers() {
    let seeded = seeded();
    let dom = run_chromium(&["--dump-dom".into(), url(&seeded.report)]);
    assert!(
        dom.contains("data-metric=\"total\""),
        "no report in the DOM: {dom:.500}"
    );
    assert!(!dom.contains("<script"), "a script element reached the DOM");
    assert_eq!(metrics(&dom), metrics(&seeded.html));
}

/// The report's width as laid out in a viewport `width` wide. Headless Chromium keeps
/// its window at least 500 px wide outside screenshots, so the report is measured in an
/// iframe of that width by a probe page (file access between file:// pages allowed).
fn laid_out_width(report: &Path, width: u32) -> u32 {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe.html");
    std::fs::write(
        &probe,
        format!(
            r#"<!DOCTYPE html><html><body style="margin:0"><iframe id="r" src="{}" style="border:0;width:{width}px;height:900px" onload="document.body.setAttribute('data-scroll-width', String(this.contentDocument.documentElement.scrollWidth))"></iframe></body></html>"#,
            url(report)
        ),
    )
    .unwrap();
    let dom = run_chromium(&[
        "--dump-dom".into(),
        "--allow-file-access-from-files".into(),
        "--window-size=1400,1000".into(),
        url(&probe),
    ]);
    let value = dom
        .split_once("data-scroll-width=\"")
        .unwrap_or_else(|| panic!("the probe did not run: {dom:.300}"))
        .1
        .split_once('"')
        .unwrap()
        .0;
    value.parse().unwrap()
}

#[test]
fn nothing_overflows_the_window_at_phone_or_desktop_width() {
    let seeded = seeded();
    // Wide tables and the timeline scroll inside their cards; the page itself never does.
    for width in [360, 390, 768, 1366] {
        assert_eq!(
            laid_out_width(&seeded.report, width),
            width,
            "the report is wider than a {width} px window"
        );
    }
}

#[test]
fn screenshots_at_phone_and_desktop_width() {
    let seeded = seeded();
    for (name, width, height) in [("phone", 390, 3400), ("desktop", 1366, 2600)] {
        let path = artefacts_dir().join(format!("report-{name}.png"));
        let _ = std::fs::remove_file(&path);
        run_chromium(&[
            format!("--screenshot={}", path.display()),
            format!("--window-size={width},{height}"),
            url(&seeded.report),
        ]);
        assert_eq!(png_size(&path), (width, height), "{}", path.display());
        println!("screenshot ({name}): {}", path.display());
    }
}

#[test]
fn prints_to_pdf() {
    let seeded = seeded();
    let path = artefacts_dir().join("report.pdf");
    let _ = std::fs::remove_file(&path);
    run_chromium(&[
        format!("--print-to-pdf={}", path.display()),
        "--no-pdf-header-footer".into(),
        url(&seeded.report),
    ]);
    let pdf = std::fs::read(&path).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "{} is not a PDF", path.display());
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 2, "{pages} page(s): the report should span pages");
    println!("pdf: {}", path.display());
}

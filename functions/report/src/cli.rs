//! The `inspectorlink-report` command line: where to read findings and coverage
//! documents, where to write the page. On success it prints the report's path (alone, on stdout) so scripts such as the
//! sandbox can capture it; progress and skipped objects go to stderr.

use std::path::{Path, PathBuf};

use clap::Parser;
use inspectorlink_cli::{parse, print_help, usage_error, Parsed};

use inspectorlink_findings::{Coverage, Finding};

use crate::source::{s3_source_label, Document};
use crate::{from_dir, from_s3, now_rfc3339, render_with, s3_client, Loaded, Page, SlaDays};

const DEFAULT_TITLE: &str = "Amazon Inspector findings";

/// Writes one self-contained HTML report of the finding documents in S3 (every *.json
/// object under s3://BUCKET/PREFIX/) or in a directory (recursively), with the coverage
/// documents beside them (s3://BUCKET/COVERAGE_PREFIX/, or --coverage-dir), and prints its
/// path.
#[derive(Debug, Parser)]
#[command(
    name = "inspectorlink-report",
    override_usage = "inspectorlink-report --bucket BUCKET [--prefix findings] [--coverage-prefix coverage] [--out report.html] [--title TITLE]\n       \
                      inspectorlink-report --from-dir DIR [--coverage-dir DIR] [--out report.html] [--title TITLE]",
    disable_version_flag = true
)]
struct Args {
    /// The findings bucket (credentials, region and AWS_ENDPOINT_URL come from the standard
    /// AWS environment; a custom endpoint uses path-style)
    #[arg(long, value_name = "BUCKET")]
    bucket: Option<String>,
    /// Key prefix of the finding objects (default: findings)
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// Key prefix of the coverage documents, in the same bucket (default: coverage)
    #[arg(long, value_name = "PREFIX")]
    coverage_prefix: Option<String>,
    /// Read *.json files under DIR instead of S3
    #[arg(long, value_name = "DIR")]
    from_dir: Option<PathBuf>,
    /// With --from-dir: read coverage documents (*.json) under DIR; without it the report
    /// has no coverage
    #[arg(long, value_name = "DIR")]
    coverage_dir: Option<PathBuf>,
    /// Where to write the report
    #[arg(long, value_name = "FILE", default_value = "report.html")]
    out: PathBuf,
    /// The report's heading
    #[arg(long, value_name = "TITLE", default_value = DEFAULT_TITLE, allow_hyphen_values = true)]
    title: String,
    /// Days an open finding may stay open before it is overdue, per severity, over the
    /// defaults CRITICAL=15,HIGH=30,MEDIUM=90,LOW=180 (DAYS: whole days, or none)
    #[arg(long, value_name = "SEVERITY=DAYS,...")]
    sla_days: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    S3 {
        bucket: String,
        prefix: String,
        coverage_prefix: String,
    },
    Dir {
        dir: PathBuf,
        /// None: coverage is not read.
        coverage_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub source: Source,
    pub out: PathBuf,
    pub title: String,
    pub sla: SlaDays,
}

/// What parsing the arguments asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Boxed: the options are much larger than `Help`.
    Run(Box<Options>),
    Help,
}

/// Parses the arguments (without the program name); errors say what to fix.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let Args {
        bucket,
        prefix,
        coverage_prefix,
        from_dir: dir,
        coverage_dir,
        out,
        title,
        sla_days,
    } = match parse::<Args>(args)? {
        Parsed::Run(args) => args,
        Parsed::Help => return Ok(Command::Help),
    };
    let source =
        match (bucket, dir) {
            (Some(_), Some(_)) => return Err("give either --bucket or --from-dir, not both".into()),
            (None, None) => {
                return Err("say where the findings are: --bucket BUCKET or --from-dir DIR".into())
            }
            (Some(bucket), None) if bucket.trim().is_empty() => {
                return Err("--bucket is empty".into())
            }
            (Some(_), None) if coverage_dir.is_some() => return Err(
                "--coverage-dir applies to --from-dir only (with --bucket, give --coverage-prefix)"
                    .into(),
            ),
            (Some(bucket), None) => Source::S3 {
                bucket,
                prefix: prefix.unwrap_or_else(|| "findings".into()),
                coverage_prefix: coverage_prefix.unwrap_or_else(|| "coverage".into()),
            },
            (None, Some(_)) if prefix.is_some() => {
                return Err("--prefix applies to --bucket only".into())
            }
            (None, Some(_)) if coverage_prefix.is_some() => return Err(
                "--coverage-prefix applies to --bucket only (with --from-dir, give --coverage-dir)"
                    .into(),
            ),
            (None, Some(dir)) => Source::Dir { dir, coverage_dir },
        };
    let sla = match sla_days {
        Some(spec) => SlaDays::parse(&spec).map_err(|e| format!("--sla-days: {e}"))?,
        None => SlaDays::default(),
    };
    Ok(Command::Run(Box::new(Options {
        source,
        out,
        title,
        sla,
    })))
}

/// Documents read, and where from as the page names it.
type Read<T> = (Loaded<T>, String);

/// Reads the findings, and the coverage documents (None: not asked for).
async fn read(source: &Source) -> Result<(Read<Finding>, Option<Read<Coverage>>), String> {
    async fn s3<T: Document>(
        client: &aws_sdk_s3::Client,
        bucket: &str,
        prefix: &str,
    ) -> Result<Read<T>, String> {
        let loaded = from_s3(client, bucket, prefix)
            .await
            .map_err(|e| e.to_string())?;
        Ok((loaded, s3_source_label(bucket, prefix)))
    }
    fn dir<T: Document>(dir: &Path) -> Result<Read<T>, String> {
        let loaded = from_dir(dir).map_err(|e| e.to_string())?;
        Ok((loaded, dir.display().to_string()))
    }
    match source {
        Source::S3 {
            bucket,
            prefix,
            coverage_prefix,
        } => {
            let client = s3_client(&aws_config::load_from_env().await);
            Ok((
                s3(&client, bucket, prefix).await?,
                Some(s3(&client, bucket, coverage_prefix).await?),
            ))
        }
        Source::Dir {
            dir: findings,
            coverage_dir,
        } => Ok((
            dir(findings)?,
            coverage_dir.as_deref().map(dir).transpose()?,
        )),
    }
}

/// Reads, renders and writes; returns the number of findings in the report.
pub async fn run(options: &Options) -> Result<usize, String> {
    let (
        (
            Loaded {
                documents: findings,
                skipped,
            },
            source,
        ),
        coverage,
    ) = read(&options.source).await?;
    let (coverage, coverage_source, coverage_skipped) = match coverage {
        Some((Loaded { documents, skipped }, source)) => (Some(documents), Some(source), skipped),
        None => (None, None, Vec::new()),
    };
    for (origin, why) in skipped.iter().chain(&coverage_skipped) {
        eprintln!("inspectorlink-report: skipped {origin}: {why}");
    }
    let page = Page {
        title: options.title.clone(),
        source,
        generated_at: now_rfc3339(),
        skipped: skipped.len(),
        coverage_source,
        coverage_skipped: coverage_skipped.len(),
    };
    let html = render_with(&findings, coverage.as_deref(), &page, &options.sla);
    write_file(&options.out, html.as_bytes())?;
    eprintln!(
        "inspectorlink-report: {} findings from {} ({} skipped) -> {}",
        findings.len(),
        page.source,
        skipped.len(),
        options.out.display()
    );
    if let (Some(coverage), Some(source)) = (&coverage, &page.coverage_source) {
        eprintln!(
            "inspectorlink-report: {} coverage documents from {source} ({} skipped)",
            coverage.len(),
            coverage_skipped.len(),
        );
    }
    Ok(findings.len())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The whole command: returns the process exit code (0 done, 1 failed, 2 bad usage).
pub async fn main(args: Vec<String>) -> i32 {
    let options = match parse_args(&args) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => return print_help::<Args>(),
        Err(problem) => return usage_error::<Args>(&problem),
    };
    match run(&options).await {
        Ok(_) => {
            let shown = std::path::absolute(&options.out).unwrap_or(options.out.clone());
            println!("{}", shown.display());
            0
        }
        Err(problem) => {
            eprintln!("inspectorlink-report: {problem}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bucket_with_defaults() {
        assert_eq!(
            parse_args(&args(&["--bucket", "b"])).unwrap(),
            Command::Run(Box::new(Options {
                source: Source::S3 {
                    bucket: "b".into(),
                    prefix: "findings".into(),
                    coverage_prefix: "coverage".into(),
                },
                out: "report.html".into(),
                title: DEFAULT_TITLE.into(),
                sla: SlaDays::default(),
            }))
        );
    }

    #[test]
    fn every_flag_and_the_equals_form() {
        assert_eq!(
            parse_args(&args(&[
                "--from-dir=d",
                "--coverage-dir",
                "c",
                "--out",
                "o.html",
                "--title=T <x>",
                "--sla-days",
                "CRITICAL=7"
            ]))
            .unwrap(),
            Command::Run(Box::new(Options {
                source: Source::Dir {
                    dir: "d".into(),
                    coverage_dir: Some("c".into()),
                },
                out: "o.html".into(),
                title: "T <x>".into(),
                sla: SlaDays::parse("CRITICAL=7").unwrap(),
            }))
        );
        assert_eq!(parse_args(&args(&["-h"])).unwrap(), Command::Help);
    }

    #[test]
    fn mistakes_say_what_to_fix() {
        for (list, message) in [
            (&[][..], "say where the findings are"),
            (&["--bucket"][..], "--bucket needs a value"),
            (&["--bucket", "a", "--from-dir", "d"][..], "not both"),
            (
                &["--from-dir", "d", "--prefix", "p"][..],
                "--prefix applies to --bucket only",
            ),
            (
                &["--from-dir", "d", "--coverage-prefix", "c"][..],
                "--coverage-prefix applies to --bucket only",
            ),
            (
                &["--bucket", "a", "--coverage-dir", "c"][..],
                "--coverage-dir applies to --from-dir only",
            ),
            (
                &["--bucket", "a", "--bucket", "b"][..],
                "--bucket is given twice",
            ),
            (&["--bukket", "a"][..], "unknown argument \"--bukket\""),
            (
                &["--bucket", "a", "--sla-days", "HIGH=0"][..],
                "--sla-days: HIGH=0: give whole days from 1",
            ),
        ] {
            let err = parse_args(&args(list)).unwrap_err();
            assert!(err.contains(message), "{list:?}: {err}");
        }
    }
}

//! The `inspectorlink-backfill` command line: options, checks that need no AWS call, the
//! run, and what it prints (progress on stderr, a one-line summary on stdout).

use std::path::PathBuf;

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use clap::Parser;
use inspectorlink_cli::{parse, print_help, usage_error, Parsed, USAGE_EXIT_CODE};

use crate::backfill::{self, Options};
use crate::inspector::Filters;

const STATUSES: [&str; 3] = ["ACTIVE", "SUPPRESSED", "CLOSED"];
const SEVERITIES: [&str; 6] = [
    "INFORMATIONAL",
    "LOW",
    "MEDIUM",
    "HIGH",
    "CRITICAL",
    "UNTRIAGED",
];
/// The first label of every AWS region name (aws, aws-cn, aws-us-gov, ...).
const REGION_AREAS: [&str; 10] = ["af", "ap", "ca", "cn", "eu", "il", "me", "mx", "sa", "us"];
const DEFAULT_STATE_FILE: &str = "inspectorlink-backfill-state.json";

/// Lists the organisation's Inspector v2 findings (inspector2:ListFindings, run in the
/// delegated administrator account) and sends each to the central send queue as the
/// `Inspector2 Finding` event EventBridge would deliver, so send-findings stores it as it
/// stores live findings. Resumable: a state file records each region's progress after every
/// page, and a re-run continues from it.
#[derive(Debug, Parser)]
#[command(
    name = "inspectorlink-backfill",
    override_usage = "inspectorlink-backfill --queue-url URL [--region REGION]... [--status STATUS]...\n         \
                      [--severity SEVERITY]... [--account-id ID]... [--notify-queue-url URL]\n         \
                      [--page-size N] [--max-requests-per-second R] [--state-file FILE] [--restart]",
    after_help = "Credentials, region and AWS_ENDPOINT_URL come from the standard AWS environment.\n\
                  Exit status: 0 every finding sent; 1 an error (the message says what to fix; run again\n\
                  to resume) or some findings not sent (named on stderr); 2 bad usage.",
    disable_version_flag = true
)]
struct Args {
    /// The send-findings queue in the security account (required)
    #[arg(long, value_name = "URL", value_parser = |v: &str| queue_url("--queue-url", v))]
    queue_url: Option<String>,
    /// A region to list (repeatable; default: the configured region)
    #[arg(long = "region", value_name = "REGION", value_parser = region)]
    regions: Vec<String>,
    /// ACTIVE, SUPPRESSED or CLOSED (repeatable; default: ACTIVE)
    #[arg(long = "status", value_name = "STATUS", value_parser = |v: &str| one_of("--status", v, &STATUSES))]
    statuses: Vec<String>,
    /// INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL or UNTRIAGED (repeatable; default: all)
    #[arg(long = "severity", value_name = "SEVERITY", value_parser = |v: &str| one_of("--severity", v, &SEVERITIES))]
    severities: Vec<String>,
    /// Only findings of this member account (repeatable; default: all)
    #[arg(long = "account-id", value_name = "ID", value_parser = account_id)]
    account_ids: Vec<String>,
    /// Also send every event to notify-findings' queue, which emails and posts each finding
    /// (off by default: on adoption day that is one notification per existing finding)
    #[arg(long, value_name = "URL", value_parser = |v: &str| queue_url("--notify-queue-url", v))]
    notify_queue_url: Option<String>,
    /// Findings per ListFindings call, 1-100
    #[arg(long, value_name = "N", default_value = "100", value_parser = page_size)]
    page_size: i32,
    /// ListFindings calls a second, on average
    #[arg(long, value_name = "R", default_value = "5", value_parser = rate)]
    max_requests_per_second: f64,
    /// The checkpoint
    #[arg(long, value_name = "FILE", default_value = DEFAULT_STATE_FILE, value_parser = state_file)]
    state_file: PathBuf,
    /// Ignore the checkpoint and start from the first page
    #[arg(long)]
    restart: bool,
}

/// What parsing the arguments asked for. `regions` empty: the configured region.
#[derive(Debug, PartialEq)]
pub enum Command {
    Run(Options),
    Help,
}

/// Parses the arguments (without the program name); errors say what to fix.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let args = match parse::<Args>(args)? {
        Parsed::Run(args) => args,
        Parsed::Help => return Ok(Command::Help),
    };
    let Some(queue_url) = args.queue_url else {
        return Err(
            "say where to send the findings: --queue-url URL (the send-findings queue)".into(),
        );
    };
    if args.notify_queue_url.as_deref() == Some(queue_url.as_str()) {
        return Err("--notify-queue-url is the same queue as --queue-url: every finding would be sent twice to one queue".into());
    }
    let mut statuses = distinct(args.statuses);
    if statuses.is_empty() {
        statuses.push("ACTIVE".into());
    }
    Ok(Command::Run(Options {
        regions: distinct(args.regions),
        filters: Filters {
            statuses,
            severities: distinct(args.severities),
            account_ids: distinct(args.account_ids),
        },
        page_size: args.page_size,
        queue_url,
        notify_queue_url: args.notify_queue_url,
        state_file: args.state_file,
        restart: args.restart,
        max_requests_per_second: args.max_requests_per_second,
    }))
}

/// The values in the order first given, each once.
fn distinct(values: Vec<String>) -> Vec<String> {
    let mut list = Vec::new();
    for value in values {
        if !list.contains(&value) {
            list.push(value);
        }
    }
    list
}

fn account_id(value: &str) -> Result<String, String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "--account-id {value:?}: give a 12-digit AWS account id"
        ))
    }
}

fn page_size(value: &str) -> Result<i32, String> {
    value
        .parse()
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| format!("--page-size {value:?}: give a whole number from 1 to 100"))
}

fn rate(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && *r > 0.0)
        .ok_or_else(|| {
            format!("--max-requests-per-second {value:?}: give a number above 0, e.g. 5")
        })
}

fn state_file(value: &str) -> Result<PathBuf, String> {
    if value.trim().is_empty() {
        return Err("--state-file is empty".into());
    }
    Ok(PathBuf::from(value))
}

fn one_of(flag: &str, value: &str, allowed: &[&str]) -> Result<String, String> {
    let upper = value.trim().to_ascii_uppercase();
    if allowed.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(format!(
            "{flag} {value:?}: use one of {}",
            allowed.join(", ")
        ))
    }
}

/// An AWS region name (`us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`).
fn region(value: &str) -> Result<String, String> {
    let labels: Vec<&str> = value.split('-').collect();
    let well_formed = labels.len() >= 3
        && REGION_AREAS.contains(&labels[0])
        && labels[1..labels.len() - 1]
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase()))
        && labels[labels.len() - 1].parse::<u8>().is_ok();
    if well_formed {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "--region {value:?} is not an AWS region name (like us-east-1 or eu-central-1)"
        ))
    }
}

/// An SQS queue URL: http(s)://HOST/ACCOUNT/NAME.
fn queue_url(flag: &str, value: &str) -> Result<String, String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let path: Vec<&str> = rest
        .map(|rest| rest.split('/').skip(1).collect())
        .unwrap_or_default();
    match path.as_slice() {
        [account, name]
            if account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && !name.is_empty() =>
        {
            Ok(value.to_owned())
        }
        _ => Err(format!(
            "{flag} {value:?} is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME; aws sqs get-queue-url --queue-name NAME prints it)"
        )),
    }
}

/// The whole command: returns the process exit code (0 done, 1 failed, 2 bad usage).
pub async fn main(args: Vec<String>) -> i32 {
    let mut options = match parse_args(&args) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => return print_help::<Args>(),
        Err(problem) => return usage_error::<Args>(&problem),
    };
    // Adaptive retries back off on throttling (ListFindings, SendMessageBatch).
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(5))
        .load()
        .await;
    if options.regions.is_empty() {
        match sdk.region() {
            Some(region) => options.regions.push(region.to_string()),
            None => {
                eprintln!(
                    "inspectorlink-backfill: no region: pass --region REGION, or set AWS_REGION"
                );
                return USAGE_EXIT_CODE;
            }
        }
    }
    let progress = |line: &str| eprintln!("inspectorlink-backfill: {line}");
    match backfill::run(&options, &sdk, progress).await {
        Ok(summary) => {
            println!("{summary}");
            if summary.skipped > 0 {
                eprintln!(
                    "inspectorlink-backfill: {} findings were not sent (named above); the others were",
                    summary.skipped
                );
                return 1;
            }
            0
        }
        Err(problem) => {
            eprintln!("inspectorlink-backfill: {problem}");
            // A state file's own problem needs fixing first; after any other, a run resumes.
            if !matches!(problem, backfill::BackfillError::State(_)) {
                eprintln!(
                    "inspectorlink-backfill: progress so far is in {}; run again to resume",
                    options.state_file.display()
                );
            }
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

    const QUEUE: &str = "https://sqs.us-east-1.amazonaws.com/111111111111/inspectorlink-send";

    #[test]
    fn defaults() {
        let Command::Run(options) = parse_args(&args(&["--queue-url", QUEUE])).unwrap() else {
            panic!()
        };
        assert_eq!(options.filters.statuses, ["ACTIVE"]);
        assert!(options.filters.severities.is_empty() && options.regions.is_empty());
        assert_eq!(
            (options.page_size, options.max_requests_per_second),
            (100, 5.0)
        );
        assert_eq!(options.state_file, PathBuf::from(DEFAULT_STATE_FILE));
        assert!(!options.restart && options.notify_queue_url.is_none());
    }

    #[test]
    fn every_flag_repeatable_ones_and_the_equals_form() {
        let Command::Run(options) = parse_args(&args(&[
            "--queue-url",
            QUEUE,
            "--region=us-east-1",
            "--region",
            "us-gov-west-1",
            "--status",
            "active",
            "--status=SUPPRESSED",
            "--severity",
            "CRITICAL",
            "--account-id",
            "222222222222",
            "--notify-queue-url",
            "http://127.0.0.1:4566/111111111111/notify",
            "--page-size",
            "25",
            "--max-requests-per-second",
            "0.5",
            "--state-file",
            "s.json",
            "--restart",
        ]))
        .unwrap() else {
            panic!()
        };
        assert_eq!(options.regions, ["us-east-1", "us-gov-west-1"]);
        assert_eq!(options.filters.statuses, ["ACTIVE", "SUPPRESSED"]);
        assert_eq!(options.filters.severities, ["CRITICAL"]);
        assert_eq!(options.filters.account_ids, ["222222222222"]);
        assert_eq!(options.page_size, 25);
        assert_eq!(options.max_requests_per_second, 0.5);
        assert!(options.restart);
        assert_eq!(parse_args(&args(&["-h"])).unwrap(), Command::Help);
    }

    #[test]
    fn mistakes_say_what_to_fix() {
        for (list, message) in [
            (&[][..], "--queue-url URL"),
            (&["--queue-url"][..], "--queue-url needs a value"),
            (
                &["--queue-url", "inspectorlink-send"][..],
                "is not an SQS queue URL",
            ),
            (
                &["--queue-url", QUEUE, "--queue-url", QUEUE][..],
                "--queue-url is given twice",
            ),
            (
                &["--queue-url", QUEUE, "--notify-queue-url", QUEUE][..],
                "same queue",
            ),
            (
                &["--queue-url", QUEUE, "--region", "us-east1"][..],
                "\"us-east1\" is not an AWS region name",
            ),
            (
                &["--queue-url", QUEUE, "--region", "mars-north-1"][..],
                "not an AWS region name",
            ),
            (
                &["--queue-url", QUEUE, "--status", "OPEN"][..],
                "use one of ACTIVE, SUPPRESSED, CLOSED",
            ),
            (
                &["--queue-url", QUEUE, "--severity", "SEVERE"][..],
                "--severity \"SEVERE\"",
            ),
            (
                &["--queue-url", QUEUE, "--account-id", "2222"][..],
                "12-digit",
            ),
            (
                &["--queue-url", QUEUE, "--page-size", "101"][..],
                "1 to 100",
            ),
            (
                &["--queue-url", QUEUE, "--max-requests-per-second", "0"][..],
                "above 0, e.g. 5",
            ),
            (
                &["--queue-url", QUEUE, "--restart=yes"][..],
                "unknown argument",
            ),
            (&["--queue", QUEUE][..], "unknown argument \"--queue\""),
        ] {
            let err = parse_args(&args(list)).unwrap_err();
            assert!(err.contains(message), "{list:?}: {err}");
        }
    }
}

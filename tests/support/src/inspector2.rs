//! Inspector v2 in tests: an organisation of fresh accounts whose delegated administrator
//! receives its members' `Inspector2 Finding` events in a queue (and their coverage
//! events, as modules/inspector2-forwarding's coverage rule matches them, in another), as
//! the local AWS's v2
//! emulator produces them from what the members run (tests/localaws/README.md,
//! "Inspector v2"). Nothing here writes an event by hand.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_inspector2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_inspector2::types::ResourceScanType;

use crate::sqs::drain;
use crate::{unique_account_id, unique_suffix, LocalAws};

/// moto's Ubuntu image: the emulator reports CVE-2024-29069 and CVE-2024-6387 for it.
pub const LINUX_AMI: &str = "ami-1e749f67";
/// moto's Windows Server image: the emulator reports KB4012212 (in CISA's KEV) for it.
pub const WINDOWS_AMI: &str = "ami-12c6146b";

/// modules/inspector2-forwarding's coverage rule: Coverage events, and the Scan events
/// that name their member (not an EC2 instance's, which names only the bus's account).
pub const COVERAGE_EVENT_PATTERN: &str = r#"{"source": ["aws.inspector2"], "$or": [{"detail-type": ["Inspector2 Coverage"]}, {"detail-type": ["Inspector2 Scan"], "detail": {"scan-status": ["INITIAL_SCAN_COMPLETE"], "instance-id": [{"exists": false}]}}]}"#;

/// A management account, its delegated administrator (the security account) and members,
/// all of the test's own, with EC2 scanning enabled; rules on the administrator's default
/// bus send `Inspector2 Finding` events to a queue of their own, and coverage events to
/// another.
pub struct Organisation {
    pub region: String,
    pub management: String,
    pub admin: String,
    pub members: Vec<String>,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub coverage_queue_url: String,
}

impl Organisation {
    /// Account ids start with `prefix` (two digits), as [`unique_account_id`]'s do.
    pub async fn create(prefix: &str, members: usize, region: &str) -> Organisation {
        let aws = LocalAws::shared();
        let management = unique_account_id(prefix);
        let admin = unique_account_id(prefix);
        let members: Vec<String> = (0..members).map(|_| unique_account_id(prefix)).collect();
        let inspector = |config: &aws_config::SdkConfig| aws_sdk_inspector2::Client::new(config);
        inspector(&aws.sdk_config(&management, region).await)
            .enable_delegated_admin_account()
            .delegated_admin_account_id(&admin)
            .send()
            .await
            .unwrap();
        let admin_config = aws.sdk_config(&admin, region).await;
        let administrator = inspector(&admin_config);
        for member in &members {
            administrator
                .associate_member()
                .account_id(member)
                .send()
                .await
                .unwrap();
        }

        // The queues first: the scanner starts at once when scanning is enabled.
        let sqs = aws_sdk_sqs::Client::new(&admin_config);
        let events = aws_sdk_eventbridge::Client::new(&admin_config);
        let queue_url = rule_to_queue(
            &sqs,
            &events,
            region,
            &admin,
            "inspector2-findings",
            r#"{"source": ["aws.inspector2"], "detail-type": ["Inspector2 Finding"]}"#,
        )
        .await;
        let coverage_queue_url = rule_to_queue(
            &sqs,
            &events,
            region,
            &admin,
            "inspector2-coverage",
            COVERAGE_EVENT_PATTERN,
        )
        .await;

        let enabled = administrator
            .enable()
            .set_account_ids(Some(members.clone()))
            .resource_types(ResourceScanType::Ec2)
            .send()
            .await
            .unwrap();
        assert!(enabled.failed_accounts().is_empty(), "{enabled:?}");
        Organisation {
            region: region.to_owned(),
            management,
            admin,
            members,
            sqs,
            queue_url,
            coverage_queue_url,
        }
    }

    /// The administrator's Inspector v2 client.
    pub async fn administrator(&self) -> aws_sdk_inspector2::Client {
        aws_sdk_inspector2::Client::new(
            &LocalAws::shared()
                .sdk_config(&self.admin, &self.region)
                .await,
        )
    }

    /// Runs `count` instances of `ami` in `member`; returns their ids.
    pub async fn run_instances(&self, member: &str, ami: &str, count: i32) -> Vec<String> {
        let ec2 =
            aws_sdk_ec2::Client::new(&LocalAws::shared().sdk_config(member, &self.region).await);
        let reservation = ec2
            .run_instances()
            .image_id(ami)
            .min_count(count)
            .max_count(count)
            .send()
            .await
            .unwrap();
        reservation
            .instances()
            .iter()
            .map(|i| i.instance_id().unwrap().to_owned())
            .collect()
    }

    /// The next `count` finding events the administrator receives, as SQS records
    /// (message id, body), waiting up to 30 s for the scanner; fails on more or fewer.
    pub async fn events(&self, count: usize) -> Vec<(String, String)> {
        self.received(&self.queue_url, count, "Inspector2 Finding events")
            .await
    }

    /// The next `count` coverage events (Coverage, and Scan events naming their member),
    /// as [`Organisation::events`] does.
    pub async fn coverage_events(&self, count: usize) -> Vec<(String, String)> {
        self.received(&self.coverage_queue_url, count, "coverage events")
            .await
    }

    async fn received(&self, queue_url: &str, count: usize, what: &str) -> Vec<(String, String)> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut records = Vec::new();
        while records.len() < count && Instant::now() < deadline {
            records.extend(drain(&self.sqs, queue_url).await);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        records.extend(drain(&self.sqs, queue_url).await);
        assert_eq!(
            records.len(),
            count,
            "{what} for the administrator {}: {records:?}",
            self.admin
        );
        records
    }
}

/// A queue `<name>-<suffix>` of `account`, and a rule of its default bus matching
/// `pattern` that targets it; returns the queue URL.
async fn rule_to_queue(
    sqs: &aws_sdk_sqs::Client,
    events: &aws_sdk_eventbridge::Client,
    region: &str,
    account: &str,
    name: &str,
    pattern: &str,
) -> String {
    let name = format!("{name}-{}", unique_suffix());
    let queue_url = crate::sqs::new_queue(sqs, &name).await;
    events
        .put_rule()
        .name(&name)
        .event_pattern(pattern)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(format!("arn:aws:sqs:{region}:{account}:{name}"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    queue_url
}

/// What `account`'s BatchGetFindingDetails (10 ARNs a call, in each finding's region) says
/// of `findings` ((region, finding ARN) pairs): (CISA KEV due date, exploitation last seen)
/// as RFC 3339, by finding ARN, for the findings it has details for.
pub async fn kev_and_exploitation(
    account: &str,
    findings: &[(String, String)],
) -> BTreeMap<String, (Option<String>, Option<String>)> {
    let mut by_region: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (region, arn) in findings {
        by_region.entry(region).or_default().push(arn.clone());
    }
    let time = |t: Option<&DateTime>| t.map(|t| t.fmt(DateTimeFormat::DateTime).unwrap());
    let mut found = BTreeMap::new();
    for (region, arns) in by_region {
        let inspector =
            aws_sdk_inspector2::Client::new(&LocalAws::shared().sdk_config(account, region).await);
        for chunk in arns.chunks(10) {
            let answer = inspector
                .batch_get_finding_details()
                .set_finding_arns(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            for detail in answer.finding_details() {
                found.insert(
                    detail.finding_arn().unwrap().to_owned(),
                    (
                        time(detail.cisa_data().and_then(|c| c.date_due())),
                        time(detail.exploit_observed().and_then(|e| e.last_seen())),
                    ),
                );
            }
        }
    }
    found
}

//! The backfill CLI against the local AWS: findings seeded through moto's inspector2
//! seeding API (paged by our fidelity patch), the real binary, a real SQS queue, and
//! send-findings run in-process over what arrived.

mod util;

use std::collections::{BTreeMap, BTreeSet};

use inspectorlink_core::config::{Env, SendFindingsConfig};
use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::pipeline::SendFindings;
use serde_json::json;
use test_support::{LocalAws, REGIONS};
use util::{finding_arns, pages_done, Admin};

fn both_regions<'a>(admin: &'a Admin, state: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--queue-url",
        &admin.queue_url,
        "--region",
        REGIONS[0],
        "--region",
        REGIONS[1],
        "--state-file",
        state,
    ];
    args.extend_from_slice(extra);
    args
}

/// send-findings, in-process, over `bodies` in batches of 10 (as the SQS trigger delivers
/// them) into a new bucket of the admin account; returns the objects' keys.
async fn send_findings(admin: &Admin, bodies: &[(String, String)]) -> BTreeSet<String> {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&admin.config)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("findings-{}", admin.account);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let vars = BTreeMap::from([
        ("FINDINGS_BUCKET", bucket.clone()),
        ("MEMBER_ROLE_NAME", "inspectorlink-read".to_owned()),
    ]);
    let config =
        SendFindingsConfig::from_env(&Env::new(|name: &str| vars.get(name).cloned())).unwrap();
    let pipeline = SendFindings::new(config, &admin.config);
    for batch in bodies.chunks(10) {
        let outcome = pipeline
            .process(test_support::sqs::event(batch), Deadline::NONE)
            .await;
        assert!(outcome.failed.is_empty(), "{:#?}", outcome.failed);
        assert_eq!(outcome.stored.len(), batch.len());
    }
    let mut keys = BTreeSet::new();
    let mut pages = s3.list_objects_v2().bucket(&bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        for object in page.unwrap().contents() {
            keys.insert(object.key().unwrap().to_owned());
        }
    }
    keys
}

#[tokio::test(flavor = "multi_thread")]
async fn three_hundred_findings_in_two_regions_land_each_once_and_are_stored_each_once() {
    let admin = Admin::new().await;
    let mut active = admin.seed(REGIONS[0], 150, "ACTIVE");
    active.extend(admin.seed(REGIONS[1], 150, "ACTIVE"));
    // Closed findings are history: not listed by default.
    admin.seed(REGIONS[0], 10, "CLOSED");
    admin.seed(REGIONS[1], 10, "CLOSED");
    let state = admin.state_file();
    let state = state.to_str().unwrap();

    let run = admin.run(&both_regions(
        &admin,
        state,
        &["--page-size", "40", "--max-requests-per-second", "50"],
    ));
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(
        run.stdout().starts_with(
            "found=300 sent=300 skipped=0 pages=8 regions=us-east-1,us-west-2 seconds="
        ),
        "{run:?}"
    );
    assert!(
        run.stderr()
            .contains("us-west-2: page 4: 30 found, 30 sent (150 sent in us-west-2 so far)"),
        "{run:?}"
    );
    let calls = admin.calls();
    assert_eq!(
        calls["inspector2:ListFindings"], 8,
        "one ListFindings per page: {calls}"
    );
    assert_eq!(
        calls["sqs:SendMessageBatch"], 30,
        "ten messages a call: {calls}"
    );

    let bodies = admin.drain().await;
    assert_eq!(bodies.len(), 300);
    assert_eq!(finding_arns(&bodies), active);

    // A second run finds every region done in the state file and sends nothing.
    let again = admin.run(&both_regions(&admin, state, &["--page-size", "40"]));
    assert_eq!(again.code(), 0, "{again:?}");
    assert!(
        again
            .stdout()
            .starts_with("found=0 sent=0 skipped=0 pages=0"),
        "{again:?}"
    );
    assert!(
        again
            .stderr()
            .contains("us-east-1: already done (150 findings sent in 4 pages"),
        "{again:?}"
    );
    assert!(admin.drain().await.is_empty());

    // send-findings takes every message unchanged: one object per finding.
    let keys = send_findings(&admin, &bodies).await;
    assert_eq!(keys.len(), 300);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_backfill_resumes_from_its_checkpoint_without_duplicates() {
    let admin = Admin::new().await;
    let mut seeded = admin.seed(REGIONS[0], 100, "ACTIVE");
    seeded.extend(admin.seed(REGIONS[1], 100, "ACTIVE"));
    let state_file = admin.state_file();
    let state = state_file.to_str().unwrap();

    // Inspector answers the first three ListFindings (of 20 pages), then refuses.
    LocalAws::shared().admin(
        "/_localaws/faults",
        &json!({"account_id": admin.account, "call": "inspector2:ListFindings",
                "code": "AccessDeniedException", "status": 403, "after": 3,
                "message": "User is not authorized to perform: inspector2:ListFindings", "times": 1}),
    );
    let interrupted = admin.run(&both_regions(&admin, state, &["--page-size", "10"]));
    assert_eq!(interrupted.code(), 1, "{interrupted:?}");
    let stderr = interrupted.stderr();
    assert!(
        stderr.contains("Inspector refused inspector2:ListFindings in us-")
            && stderr
                .contains("run the backfill in the delegated administrator (security) account")
            && stderr.contains("run again to resume"),
        "{interrupted:?}"
    );
    assert!(interrupted.stdout().is_empty(), "{interrupted:?}");
    let pages = pages_done(&state_file);
    assert_eq!(pages, 3, "the pages before the fault are checkpointed");
    let first = admin.drain().await;
    // Pages are checkpointed once all their messages are sent: exactly those arrived.
    assert_eq!(first.len() as u64, pages * 10);

    let resumed = admin.run(&both_regions(
        &admin,
        state,
        &["--page-size", "10", "--max-requests-per-second", "50"],
    ));
    assert_eq!(resumed.code(), 0, "{resumed:?}");
    let rest = 200 - pages * 10;
    assert!(
        resumed.stdout().starts_with(&format!(
            "found={rest} sent={rest} skipped=0 pages={}",
            20 - pages
        )),
        "{resumed:?}"
    );
    assert!(
        resumed.stderr().contains("resuming after page"),
        "{resumed:?}"
    );
    let second = admin.drain().await;
    let all: Vec<(String, String)> = first.into_iter().chain(second).collect();
    assert_eq!(all.len(), 200);
    assert_eq!(finding_arns(&all), seeded);

    // --restart starts over: everything again (send-findings overwrites the same objects).
    let restarted = admin.run(&both_regions(
        &admin,
        state,
        &[
            "--page-size",
            "100",
            "--max-requests-per-second",
            "50",
            "--restart",
        ],
    ));
    assert!(
        restarted
            .stdout()
            .starts_with("found=200 sent=200 skipped=0 pages=2"),
        "{restarted:?}"
    );
    assert_eq!(finding_arns(&admin.drain().await), seeded);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_what_to_fix_and_nothing_is_sent() {
    let admin = Admin::new().await;
    admin.seed(REGIONS[0], 5, "ACTIVE");
    let state_file = admin.state_file();
    let state = state_file.to_str().unwrap();
    let missing_queue = admin
        .queue_url
        .replace("inspectorlink-send", "no-such-queue");
    std::fs::write(
        admin.dir.path().join("garbage.json"),
        "{\"version\": 1, \"regions\": [",
    )
    .unwrap();
    let garbage = admin.dir.path().join("garbage.json");
    let directory = admin.dir.path().to_str().unwrap();
    let cases: Vec<(Vec<&str>, i32, String)> = vec![
        (
            vec![
                "--queue-url",
                &admin.queue_url,
                "--region",
                "us-esat-1x",
                "--state-file",
                state,
            ],
            2,
            "--region \"us-esat-1x\" is not an AWS region name".into(),
        ),
        (
            vec!["--queue-url", "inspectorlink-send", "--state-file", state],
            2,
            "--queue-url \"inspectorlink-send\" is not an SQS queue URL".into(),
        ),
        (
            vec!["--queue-url", &missing_queue, "--state-file", state],
            1,
            format!("--queue-url {missing_queue}: the queue does not exist"),
        ),
        (
            vec![
                "--queue-url",
                &admin.queue_url,
                "--notify-queue-url",
                &missing_queue,
                "--state-file",
                state,
            ],
            1,
            format!("--notify-queue-url {missing_queue}: the queue does not exist"),
        ),
        (
            vec![
                "--queue-url",
                &admin.queue_url,
                "--state-file",
                garbage.to_str().unwrap(),
            ],
            1,
            format!(
                "the state file {} is not a backfill checkpoint",
                garbage.display()
            ),
        ),
        (
            vec!["--queue-url", &admin.queue_url, "--state-file", directory],
            1,
            format!("reading the state file {directory}"),
        ),
    ];
    for (args, code, message) in cases {
        let run = admin.run(&args);
        assert_eq!(run.code(), code, "{args:?}: {run:?}");
        assert!(run.stderr().contains(&message), "{args:?}: {run:?}");
        assert!(run.stdout().is_empty(), "{args:?}: {run:?}");
    }
    assert!(admin.drain().await.is_empty());
    let calls = admin.calls();
    assert!(
        calls.get("inspector2:ListFindings").is_none(),
        "nothing was listed: {calls}"
    );
    assert!(!state_file.exists());
}

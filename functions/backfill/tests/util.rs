//! Shared by the backfill tests: an account of the test's own (so seeded findings, queues
//! and injected faults touch nothing else), findings seeded through moto's inspector2
//! seeding API, the CLI run as a child process with that account's credentials, and the
//! queue drained.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_sqs::config::ProvideCredentials;
use serde_json::{json, Value};
use test_support::{unique_account_id, LocalAws, MEMBER_ACCOUNTS, REGIONS};

pub const BINARY: &str = env!("CARGO_BIN_EXE_inspectorlink-backfill");

/// The documented events whose details the seeded findings are made from.
const FIXTURES: [&str; 5] = [
    "ec2-package-vulnerability",
    "ec2-network-reachability",
    "ecr-package-vulnerability",
    "lambda-package-vulnerability",
    "lambda-code-vulnerability",
];

/// A delegated administrator account of the test's own, with a send queue and a state file.
pub struct Admin {
    pub account: String,
    pub queue_url: String,
    pub sqs: aws_sdk_sqs::Client,
    pub config: aws_config::SdkConfig,
    credentials: [(String, String); 3],
    pub dir: tempfile::TempDir,
}

impl Admin {
    pub async fn new() -> Self {
        let account = unique_account_id("73");
        let config = LocalAws::shared().sdk_config(&account, REGIONS[0]).await;
        let keys = config
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        let sqs = aws_sdk_sqs::Client::new(&config);
        let queue_url = sqs
            .create_queue()
            .queue_name("inspectorlink-send")
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        Admin {
            account,
            queue_url,
            sqs,
            config,
            credentials: [
                ("AWS_ACCESS_KEY_ID".into(), keys.access_key_id().into()),
                (
                    "AWS_SECRET_ACCESS_KEY".into(),
                    keys.secret_access_key().into(),
                ),
                (
                    "AWS_SESSION_TOKEN".into(),
                    keys.session_token().unwrap().into(),
                ),
            ],
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn state_file(&self) -> PathBuf {
        self.dir.path().join("state.json")
    }

    /// The CLI as this account, against the local AWS (nothing from the caller's AWS setup).
    pub fn command(&self, args: &[&str]) -> Command {
        let aws = LocalAws::shared();
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .env_clear()
            .env("AWS_ENDPOINT_URL", aws.endpoint())
            .env("AWS_REGION", REGIONS[0])
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(self.credentials.iter().map(|(k, v)| (k, v)));
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().unwrap())
    }

    /// Every message now in the send queue (deleted as read): (message id, body).
    pub async fn drain(&self) -> Vec<(String, String)> {
        test_support::sqs::drain(&self.sqs, &self.queue_url).await
    }

    /// The calls this account made, by "service:action" (tests/localaws/README.md).
    pub fn calls(&self) -> Value {
        LocalAws::shared().get(&format!("/_localaws/requests?account={}", self.account))["calls"]
            .clone()
    }

    /// Seeds `count` findings in `region` (of the member accounts, every type documented)
    /// with `status`; returns their ARNs.
    pub fn seed(&self, region: &str, count: usize, status: &str) -> BTreeSet<String> {
        let findings: Vec<Value> = (0..count)
            .map(|i| {
                let fixture = FIXTURES[i % FIXTURES.len()];
                let member = MEMBER_ACCOUNTS[i % MEMBER_ACCOUNTS.len()];
                let event: Value = serde_json::from_str(&fixture_text(fixture)).unwrap();
                let mut finding = event["detail"].clone();
                let id = format!("{:08x}{:024x}", hash(&(region, status)), i);
                finding["findingArn"] =
                    format!("arn:aws:inspector2:{region}:{member}:finding/{id}").into();
                finding["awsAccountId"] = member.into();
                finding["status"] = status.into();
                api_timestamps(&mut finding, 1_725_469_184.356 + i as f64);
                finding
            })
            .collect();
        let arns = findings
            .iter()
            .map(|f| f["findingArn"].as_str().unwrap().to_owned())
            .collect();
        post(
            "/moto-api/static/inspector2/findings-results",
            &json!({"account_id": self.account, "region": region, "results": [findings]}),
        );
        arns
    }
}

fn hash(value: &impl std::hash::Hash) -> u32 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(value) as u32
}

fn fixture_text(name: &str) -> String {
    let path = format!(
        "{}/../findings/tests/fixtures/inspector2/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

/// The API's JSON has epoch seconds where events have strings (every `...At` field).
fn api_timestamps(value: &mut Value, seconds: f64) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if key.ends_with("At") && field.is_string() {
                    *field = json!(seconds);
                } else {
                    api_timestamps(field, seconds);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| api_timestamps(v, seconds)),
        _ => {}
    }
}

/// POSTs JSON to the local AWS (moto's own API answers 201 without a body).
fn post(path: &str, body: &Value) {
    use std::io::{Read, Write};
    let authority = LocalAws::shared()
        .endpoint()
        .trim_start_matches("http://")
        .to_owned();
    let payload = body.to_string();
    let mut stream = std::net::TcpStream::connect(&authority).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 201") || answer.starts_with("HTTP/1.0 201"),
        "{answer}"
    );
}

/// A finished CLI run.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\nstdout: {}\nstderr: {}",
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }
}

/// The finding ARNs of message bodies, each once; panics on a duplicate.
pub fn finding_arns(bodies: &[(String, String)]) -> BTreeSet<String> {
    let mut arns = BTreeSet::new();
    for (_, body) in bodies {
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["detail-type"], "Inspector2 Finding");
        let arn = event["detail"]["findingArn"].as_str().unwrap().to_owned();
        assert!(arns.insert(arn.clone()), "{arn} was sent twice");
    }
    arns
}

/// Pages checkpointed so far, over every region (0 while there is no state file).
pub fn pages_done(state_file: &Path) -> u64 {
    let Ok(text) = std::fs::read_to_string(state_file) else {
        return 0;
    };
    let state: Value = serde_json::from_str(&text).unwrap();
    state["regions"]
        .as_object()
        .map(|regions| regions.values().map(|r| r["pages"].as_u64().unwrap()).sum())
        .unwrap_or(0)
}

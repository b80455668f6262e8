//! The local AWS for Rust tests: one instance per test run (started or reused through
//! `python -m localaws up`, the same launcher `make localaws-up` uses), SDK configs for
//! any account and region, and a terraform runner that never uses the machine's CLI config.
//!
//! Accounts: account N is reached by `sts:AssumeRole` into `arn:aws:iam::N:role/<any>`.

pub mod chromium;
pub mod classic;
pub mod http_capture;
pub mod iam;
pub mod inspector2;
pub mod lambda_runtime;
pub mod sqs;
mod terraform;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

pub use terraform::{Deployment, DestroyOnDrop, Terraform, TerraformOutput};

/// The security account of every test estate.
pub const SECURITY_ACCOUNT: &str = "111111111111";
/// Member accounts of every test estate.
pub const MEMBER_ACCOUNTS: [&str; 2] = ["222222222222", "333333333333"];
/// The primary region, and the second region of multi-region tests.
pub const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];

/// The root of the repository (tests/support is two levels down).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support sits two levels below the repository root")
        .to_path_buf()
}

/// A running local AWS, as described by the env file `localaws up` writes.
#[derive(Debug)]
pub struct LocalAws {
    env: BTreeMap<String, String>,
}

impl LocalAws {
    /// Starts the local AWS, or reuses the healthy one this or an earlier run started.
    ///
    /// Panics with the launcher's own message when it cannot start (e.g. `make setup`
    /// was not run): tests cannot do anything useful without it.
    pub fn shared() -> &'static LocalAws {
        static SHARED: OnceLock<LocalAws> = OnceLock::new();
        SHARED.get_or_init(|| {
            let root = repo_root();
            let python = root.join(".venv/bin/python");
            assert!(
                python.exists(),
                "{} is missing: run `make setup` first (it creates the project virtualenv)",
                python.display()
            );
            let output = Command::new(&python)
                .args(["-m", "localaws", "up"])
                .current_dir(root.join("tests/localaws"))
                .env_remove("MOTO_ACCOUNT_ID")
                .output()
                .expect("running the localaws launcher");
            assert!(
                output.status.success(),
                "`python -m localaws up` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
            let state_dir = std::env::var_os("LOCALAWS_STATE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join(".localaws"));
            let env_file = state_dir.join("env");
            let text = std::fs::read_to_string(&env_file)
                .unwrap_or_else(|err| panic!("reading {}: {err}", env_file.display()));
            LocalAws {
                env: parse_env_file(&text),
            }
        })
    }

    /// `http://127.0.0.1:<port>`: the one endpoint for every service.
    pub fn endpoint(&self) -> &str {
        &self.env["AWS_ENDPOINT_URL"]
    }

    /// The variables child processes (terraform, Lambda binaries) need to reach it.
    pub fn env(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// An SDK config with credentials of `account_id` (assumed role) in `region`.
    pub async fn sdk_config(&self, account_id: &str, region: &str) -> SdkConfig {
        let base = self.base_config(region).await;
        let role = AssumeRoleProvider::builder(format!(
            "arn:aws:iam::{account_id}:role/inspectorlink-test"
        ))
        .session_name("test-support")
        .configure(&base)
        .build()
        .await;
        self.loader(region).credentials_provider(role).load().await
    }

    /// An SDK config with the keys the service principal `service` (e.g.
    /// `lambda.amazonaws.com`) gets for `role_arn` on behalf of `source_account`, as the
    /// local AWS hands them to a function's or a target's role: the role's trust decides.
    pub async fn service_config(
        &self,
        role_arn: &str,
        service: &str,
        source_account: &str,
        region: &str,
    ) -> SdkConfig {
        let keys = self.admin(
            "/_localaws/sts/service-credentials",
            &serde_json::json!({
                "role_arn": role_arn,
                "service": service,
                "source_account": source_account,
            }),
        );
        let field = |name: &str| keys[name].as_str().expect(name).to_owned();
        let keys = Credentials::new(
            field("AccessKeyId"),
            field("SecretAccessKey"),
            Some(field("SessionToken")),
            None,
            "localaws-service",
        );
        self.loader(region).credentials_provider(keys).load().await
    }

    /// An SDK config with the static keys, which land in moto's default account.
    pub async fn base_config(&self, region: &str) -> SdkConfig {
        let keys = Credentials::new(
            &self.env["AWS_ACCESS_KEY_ID"],
            &self.env["AWS_SECRET_ACCESS_KEY"],
            None,
            None,
            "localaws",
        );
        self.loader(region).credentials_provider(keys).load().await
    }

    fn loader(&self, region: &str) -> aws_config::ConfigLoader {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(self.endpoint())
            // moto answers 500 for operations it lacks: fail fast instead of retrying.
            .retry_config(RetryConfig::standard().with_max_attempts(2))
    }

    /// POSTs JSON to one of the local AWS's own admin routes (e.g.
    /// `/_localaws/inspector/config`) and returns the JSON answer.
    pub fn admin(&self, path: &str, body: &serde_json::Value) -> serde_json::Value {
        self.request("POST", path, &body.to_string())
    }

    /// The emails SNS delivered to `address` (the local mailbox: tests/localaws/README.md).
    pub fn mailbox(&self, address: &str) -> Vec<serde_json::Value> {
        let answer = self.get(&format!(
            "/_localaws/sns/mailbox?to={}",
            address.replace('@', "%40")
        ));
        answer["messages"].as_array().cloned().unwrap_or_default()
    }

    /// The issues of the local Jira Cloud site `site` (tests/localaws/localaws/jira.py): key,
    /// summary, status, labels, comments and transitions of each.
    pub fn jira_issues(&self, site: &str) -> Vec<serde_json::Value> {
        let state = self.get(&format!("/_localaws/jira?site={site}"));
        state["issues"].as_array().cloned().unwrap_or_default()
    }

    /// GETs one of the local AWS's own routes (e.g. `/_localaws/requests?account=...`).
    pub fn get(&self, path: &str) -> serde_json::Value {
        self.request("GET", path, "")
    }

    fn request(&self, method: &str, path: &str, payload: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        let authority = self.endpoint().trim_start_matches("http://");
        let mut stream =
            std::net::TcpStream::connect(authority).expect("connecting to the local AWS");
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            payload.len()
        )
        .expect("sending the admin request");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("reading the admin answer");
        let (head, json) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
            "admin {path}: {head}\n{json}"
        );
        serde_json::from_str(json)
            .unwrap_or_else(|err| panic!("admin {path} answered non-JSON ({err}): {json}"))
    }

    /// A terraform working copy of `root` (a path relative to the repository root).
    pub fn terraform(&self, root: &str) -> Terraform {
        Terraform::new(&repo_root(), root, &self.env)
    }
}

fn parse_env_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|assignment| assignment.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

/// A command for a program of the repository (e.g. `scripts/sandbox.sh`), run from the
/// repository's root with the environment the test was started with, less what cargo sets
/// for a test process (CARGO_MANIFEST_DIR, CARGO_PKG_NAME, ...): a script that builds with
/// cargo would otherwise rerun build scripts (ring's, aws-lc-sys') that watch those
/// variables, and rebuild the AWS SDK here and again in the next phase.
pub fn repo_command(program: &str) -> Command {
    let root = repo_root();
    let mut command = Command::new(root.join(program));
    command.current_dir(&root);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_BIN_EXE_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            || [
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// `<target>/debug`, where cargo put this test's binary (in `deps/`) and builds the
/// workspace's binaries (the provider, the report CLI).
pub fn target_debug_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("a test binary sits in <target>/debug/deps")
        .to_path_buf()
}

/// Installs a built provider binary into the repo-local filesystem mirror that the local
/// AWS's CLI config names for `registry.terraform.io/inspectorlink/*`, once per test process,
/// with the script `make provider` uses (scripts/install-provider.sh).
pub fn install_provider(binary: &Path) {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let output = Command::new(repo_root().join("scripts/install-provider.sh"))
            .arg(binary)
            .output()
            .expect("running scripts/install-provider.sh");
        assert!(
            output.status.success(),
            "scripts/install-provider.sh failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    });
}

/// An account id of a test's own (`prefix`, two digits, then ten random ones): counts and
/// injected faults in it see only that test's calls.
pub fn unique_account_id(prefix: &str) -> String {
    assert!(
        prefix.len() == 2 && prefix.bytes().all(|b| b.is_ascii_digit()),
        "two digits"
    );
    let n = u32::from_str_radix(&unique_suffix(), 16).expect("unique_suffix is hex");
    format!("{prefix}{n:010}")
}

/// A short random suffix: tests share one local AWS, so names must not collide.
pub fn unique_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:08x}", hasher.finish() as u32)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn env_file_lines_become_variables_and_other_lines_are_ignored() {
        let env = parse_env_file(
            "# comment\nexport AWS_ENDPOINT_URL=http://127.0.0.1:1234\nexport TF_CLI_CONFIG_FILE=/x/terraform.rc\nunset AWS_PROFILE\n",
        );
        assert_eq!(env.len(), 2);
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:1234");
        assert_eq!(env["TF_CLI_CONFIG_FILE"], "/x/terraform.rc");
    }

    #[test]
    fn unique_suffixes_differ() {
        assert_ne!(unique_suffix(), unique_suffix());
    }
}

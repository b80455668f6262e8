//! `make release`'s packages install like a real provider's: scripts/release.sh packs the
//! binary cargo built (zip, SHA256SUMS, a detached signature when a GPG key is given, and a
//! network mirror); the mirror is served over HTTPS on 127.0.0.1 with a certificate made
//! here, and `terraform init` installs the provider from it, checking its hashes (a wrong
//! zh: hash is refused). Offline.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use test_support::repo_root;

const NAME: &str = "terraform-provider-inspectorlink";

fn version() -> String {
    let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let line = manifest
        .lines()
        .skip_while(|l| *l != "[workspace.package]")
        .find(|l| l.starts_with("version = "))
        .unwrap();
    line.trim_start_matches("version = ")
        .trim_matches('"')
        .to_owned()
}

#[track_caller]
fn succeeded(output: Output, what: &str) -> Output {
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs scripts/release.sh on the binary cargo built for the tests, into `out`.
fn release(out: &Path, env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(repo_root().join("scripts/release.sh"));
    command
        .arg(env!("CARGO_BIN_EXE_terraform-provider-inspectorlink"))
        .env("RELEASE_DIR", out)
        .env_remove("GPG_KEY_ID");
    for (key, value) in env {
        command.env(key, value);
    }
    succeeded(command.output().unwrap(), "scripts/release.sh")
}

/// A self-signed certificate for 127.0.0.1 (key, certificate).
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    succeeded(made, "openssl req");
    (key, cert)
}

/// A static HTTPS server of `root` on 127.0.0.1; stopped when dropped.
struct HttpsServer {
    child: Child,
    port: u16,
}

impl HttpsServer {
    fn start(root: &Path, key: &Path, cert: &Path) -> HttpsServer {
        let script = r#"
import functools, http.server, ssl, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[3], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;
        let mut child = Command::new("python3")
            .args(["-c", script])
            .arg(root)
            .arg(key)
            .arg(cert)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the HTTPS server said {line:?}"));
        HttpsServer { child, port }
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_release_installs_from_a_network_mirror_over_https_and_is_signed_when_a_key_is_given() {
    let version = version();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    release(&out, &[]);
    let zip = format!("{NAME}_{version}_linux_amd64.zip");
    let sums = std::fs::read_to_string(out.join(format!("{NAME}_{version}_SHA256SUMS"))).unwrap();
    let zip_sum = sums
        .lines()
        .find_map(|l| l.strip_suffix(&format!("  {zip}")))
        .unwrap_or_else(|| panic!("SHA256SUMS lists no {zip}:\n{sums}"))
        .to_owned();
    assert!(
        sums.contains(&format!("  {NAME}_{version}_manifest.json")),
        "{sums}"
    );
    assert!(
        !out.join(format!("{NAME}_{version}_SHA256SUMS.sig"))
            .exists(),
        "no key, no signature"
    );
    let listed = succeeded(
        Command::new("unzip")
            .arg("-Z1")
            .arg(out.join(&zip))
            .output()
            .unwrap(),
        "unzip",
    );
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        format!("{NAME}_v{version}")
    );

    let mirror = out.join("mirror");
    let provider_dir = mirror.join("registry.terraform.io/inspectorlink/inspectorlink");
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(provider_dir.join("index.json")).unwrap())
            .unwrap();
    assert_eq!(
        index,
        serde_json::json!({"versions": {version.clone(): {}}})
    );
    let packages: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(provider_dir.join(format!("{version}.json"))).unwrap(),
    )
    .unwrap();
    let archive = &packages["archives"]["linux_amd64"];
    assert_eq!(archive["url"], zip.as_str());
    let zh = format!("zh:{zip_sum}");
    assert_eq!(archive["hashes"][1], zh.as_str(), "{packages}");

    // terraform init from the mirror, over HTTPS, trusting the certificate made here.
    let (key, cert) = certificate(tmp.path());
    let server = HttpsServer::start(&mirror, &key, &cert);
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("main.tf"),
        format!("terraform {{\n  required_providers {{\n    inspectorlink = {{\n      source  = \"inspectorlink/inspectorlink\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n"),
    )
    .unwrap();
    let cli_config = tmp.path().join("terraform.rc");
    std::fs::write(
        &cli_config,
        format!("provider_installation {{\n  network_mirror {{\n    url     = \"https://127.0.0.1:{}/\"\n    include = [\"registry.terraform.io/inspectorlink/*\"]\n  }}\n}}\n", server.port),
    )
    .unwrap();
    let terraform = |dir: &Path, args: &[&str]| {
        Command::new("terraform")
            .args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("SSL_CERT_FILE", &cert)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let init = succeeded(
        terraform(&root, &["init", "-no-color", "-input=false"]),
        "terraform init",
    );
    let text = String::from_utf8_lossy(&init.stdout);
    assert!(
        text.contains(&format!("Installed inspectorlink/inspectorlink v{version}")),
        "{text}"
    );
    // Terraform 1.11 records in the lock file the h1: hash it computes (here the mirror's:
    // the script computes it right); the mirror's zh: it checks but does not record
    // (measured: it records zh: hashes only from a registry's signed SHA256SUMS).
    let lock = std::fs::read_to_string(root.join(".terraform.lock.hcl")).unwrap();
    let h1 = archive["hashes"][0].as_str().unwrap();
    assert!(
        h1.starts_with("h1:") && lock.contains(&format!("\"{h1}\"")),
        "terraform computed another h1: than the mirror's {h1}:\n{lock}"
    );
    // The installed binary is the provider: it answers for its schema.
    let schema = succeeded(
        terraform(&root, &["providers", "schema", "-json"]),
        "terraform providers schema",
    );
    let schema = String::from_utf8_lossy(&schema.stdout);
    assert!(
        schema.contains("inspectorlink_inspector2_configuration"),
        "{}",
        &schema[..schema.len().min(500)]
    );

    // The zh: hash is checked: a mirror that lists only a wrong one is refused.
    let wrong = format!("zh:{}", "0".repeat(64));
    let mut tampered = packages.clone();
    tampered["archives"]["linux_amd64"]["hashes"] = serde_json::json!([wrong]);
    std::fs::write(
        provider_dir.join(format!("{version}.json")),
        tampered.to_string(),
    )
    .unwrap();
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::copy(root.join("main.tf"), fresh.join("main.tf")).unwrap();
    let refused = terraform(&fresh, &["init", "-no-color", "-input=false"]);
    let said = String::from_utf8_lossy(&refused.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!refused.status.success(), "a wrong zh: hash was accepted");
    assert!(
        said.contains(&format!(
            "provider package doesn't match the expected checksum \"{wrong}\""
        )),
        "{said}"
    );
    drop(server);

    // With a GPG key: a detached signature of SHA256SUMS that verifies.
    let gnupg = tmp.path().join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .env("GNUPGHOME", &gnupg)
            .args(["--batch", "--quiet"])
            .args(args)
            .output()
            .unwrap()
    };
    succeeded(
        gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "Release Test <release@example.com>",
            "ed25519",
            "sign",
            "1d",
        ]),
        "gpg --quick-gen-key",
    );
    let signed = tmp.path().join("signed");
    // An earlier release's version stays in the mirror's index.
    let earlier = signed.join("mirror/registry.terraform.io/inspectorlink/inspectorlink");
    std::fs::create_dir_all(&earlier).unwrap();
    std::fs::write(earlier.join("index.json"), r#"{"versions": {"0.0.9": {}}}"#).unwrap();
    let mut command = Command::new(repo_root().join("scripts/release.sh"));
    command
        .arg(env!("CARGO_BIN_EXE_terraform-provider-inspectorlink"))
        .env("RELEASE_DIR", &signed)
        .env("GPG_KEY_ID", "release@example.com")
        .env("GNUPGHOME", &gnupg);
    succeeded(
        command.output().unwrap(),
        "scripts/release.sh with GPG_KEY_ID",
    );
    let sums = signed.join(format!("{NAME}_{version}_SHA256SUMS"));
    let signature = signed.join(format!("{NAME}_{version}_SHA256SUMS.sig"));
    succeeded(
        gpg(&[
            "--verify",
            signature.to_str().unwrap(),
            sums.to_str().unwrap(),
        ]),
        "gpg --verify",
    );
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(earlier.join("index.json")).unwrap())
            .unwrap();
    assert_eq!(
        index,
        serde_json::json!({"versions": {"0.0.9": {}, version.clone(): {}}})
    );
}

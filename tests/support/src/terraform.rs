//! Runs the real `terraform` on a private copy of a root module, against the local AWS.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// No single terraform command in our tests should take longer; a hang means a retry loop.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);
const VARS_FILE: &str = "test-support.auto.tfvars.json";

/// A working copy of a root module in a temporary directory.
///
/// The root is copied to the same relative path inside the temporary directory and the
/// repository's other top-level folders are linked beside it, so relative module sources
/// (`../../modules/x`) resolve as they do in the repository, while state, `.terraform`
/// and lock files stay out of the work tree and parallel tests do not share them.
pub struct Terraform {
    _tmp: tempfile::TempDir,
    workdir: PathBuf,
    env: BTreeMap<String, String>,
}

/// What one terraform command did.
pub struct TerraformOutput {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TerraformOutput {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Panics with the command's output unless it exited 0.
    #[track_caller]
    pub fn assert_success(self) -> Self {
        assert!(self.success(), "terraform failed:\n{self}");
        self
    }
}

impl fmt::Display for TerraformOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "$ terraform {} (exit {})",
            self.args.join(" "),
            self.code
        )?;
        writeln!(f, "--- stdout\n{}", self.stdout.trim_end())?;
        write!(f, "--- stderr\n{}", self.stderr.trim_end())
    }
}

impl Terraform {
    pub(crate) fn new(repo: &Path, root: &str, env: &BTreeMap<String, String>) -> Self {
        let source = repo.join(root);
        assert!(source.is_dir(), "no terraform root at {}", source.display());
        let tmp = tempfile::Builder::new()
            .prefix("inspectorlink-tf-")
            .tempdir()
            .expect("creating a temporary directory");
        let workdir = tmp.path().join(root);
        copy_root(&source, &workdir).expect("copying the terraform root");

        let first = Path::new(root)
            .components()
            .next()
            .map(|c| c.as_os_str().to_owned());
        for entry in std::fs::read_dir(repo)
            .expect("listing the repository root")
            .flatten()
        {
            let name = entry.file_name();
            let linkable = entry.path().is_dir()
                && Some(&name) != first.as_ref()
                && !name.to_string_lossy().starts_with('.');
            if linkable {
                std::os::unix::fs::symlink(entry.path(), tmp.path().join(&name))
                    .expect("linking a repository folder");
            }
        }
        Terraform {
            _tmp: tmp,
            workdir,
            env: env.clone(),
        }
    }

    /// The working copy, e.g. to add a file for one test.
    pub fn dir(&self) -> &Path {
        &self.workdir
    }

    /// Sets an environment variable for every later command of this working copy (e.g.
    /// `RUST_BACKTRACE`, to check what providers do with it) without touching the test
    /// process's own environment.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.insert(key.to_owned(), value.to_owned());
    }

    /// A zip in the working copy for a Lambda function's code (its path): the local AWS
    /// stores a function's code without running it, so any zip will do.
    pub fn stand_in_zip(&self) -> String {
        let zip = self.workdir.join("stand-in.zip");
        // An empty archive: just the end-of-central-directory record.
        std::fs::write(&zip, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0")
            .expect("writing the stand-in zip");
        zip.to_str().expect("a UTF-8 path").to_owned()
    }

    /// Sets input variables for every later command (an auto-loaded tfvars file).
    pub fn set_vars(&self, vars: &serde_json::Value) {
        std::fs::write(self.workdir.join(VARS_FILE), vars.to_string())
            .expect("writing the variables file");
    }

    /// Runs `terraform <args>` in the working copy with the local AWS's environment.
    pub fn run(&self, args: &[&str]) -> TerraformOutput {
        let mut command = Command::new("terraform");
        command
            .args(args)
            .current_dir(&self.workdir)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .envs(&self.env)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        run_with_timeout(command, args)
    }

    pub fn init(&self) -> TerraformOutput {
        self.run(&["init", "-no-color", "-input=false"])
    }

    pub fn apply(&self) -> TerraformOutput {
        self.run(&["apply", "-no-color", "-input=false", "-auto-approve"])
    }

    /// `plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes.
    pub fn plan(&self) -> TerraformOutput {
        self.run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"])
    }

    pub fn destroy(&self) -> TerraformOutput {
        self.run(&["destroy", "-no-color", "-input=false", "-auto-approve"])
    }

    /// What an end-to-end test of a root starts with: `init`, `apply`, and a plan right
    /// after it that must be empty (`-detailed-exitcode` 0). What was applied is destroyed
    /// when the returned deployment is dropped.
    pub fn deploy(&self) -> Deployment<'_> {
        self.init().assert_success();
        let destroy = self.destroy_on_drop();
        let started = Instant::now();
        let apply = self.apply().assert_success();
        let apply_seconds = started.elapsed().as_secs_f64();
        let plan = self.plan();
        assert_eq!(
            plan.code, 0,
            "a plan right after apply must be empty:\n{plan}"
        );
        Deployment {
            apply,
            apply_seconds,
            plan,
            _destroy: destroy,
        }
    }

    /// A guard that destroys what this working copy applied when it is dropped: at the
    /// end of a test, passed or failed (a failed destroy fails a test that passed).
    pub fn destroy_on_drop(&self) -> DestroyOnDrop<'_> {
        DestroyOnDrop(self)
    }

    /// The root's outputs, as `terraform output -json` gives them (name → value).
    pub fn outputs(&self) -> serde_json::Value {
        let out = self.run(&["output", "-json"]).assert_success();
        let raw: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&out.stdout).expect("terraform output -json is JSON");
        raw.into_iter()
            .map(|(name, output)| (name, output["value"].clone()))
            .collect()
    }
}

/// A root applied by [`Terraform::deploy`], destroyed when dropped.
pub struct Deployment<'a> {
    pub apply: TerraformOutput,
    pub apply_seconds: f64,
    /// The empty plan right after the apply.
    pub plan: TerraformOutput,
    _destroy: DestroyOnDrop<'a>,
}

/// See [`Terraform::destroy_on_drop`].
pub struct DestroyOnDrop<'a>(&'a Terraform);

impl Drop for DestroyOnDrop<'_> {
    fn drop(&mut self) {
        let destroyed = self.0.destroy();
        if !std::thread::panicking() {
            destroyed.assert_success();
        }
    }
}

fn copy_root(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        let generated = name_str == ".terraform"
            || name_str == ".terraform.lock.hcl"
            || name_str.contains(".tfstate");
        if generated {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_root(&entry.path(), &to.join(&name))?;
        } else {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

fn run_with_timeout(mut command: Command, args: &[&str]) -> TerraformOutput {
    let mut child = command
        .spawn()
        .expect("running terraform (is it on the PATH?)");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for terraform") {
            break Some(status);
        }
        if started.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out_reader
        .join()
        .expect("stdout reader")
        .unwrap_or_default();
    let mut stderr = err_reader
        .join()
        .expect("stderr reader")
        .unwrap_or_default();
    let code = match status {
        Some(status) => status.code().unwrap_or(-1),
        None => {
            stderr.push_str(&format!(
                "\n(test-support killed terraform after {COMMAND_TIMEOUT:?})"
            ));
            -1
        }
    };
    TerraformOutput {
        args: args.iter().map(|a| a.to_string()).collect(),
        code,
        stdout,
        stderr,
    }
}

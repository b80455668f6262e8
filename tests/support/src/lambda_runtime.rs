//! A local Lambda Runtime API (the 2018-06-01 interface a `provided.al2023` bootstrap talks
//! to), enough to run a real Lambda binary on one event and read back what it answered.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REQUEST_ID: &str = "00000000-0000-4000-8000-000000000001";
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:111111111111:function:inspectorlink-test";

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// The handler's response (`POST /runtime/invocation/<id>/response`).
    Response(serde_json::Value),
    /// The handler failed (`POST /runtime/invocation/<id>/error`).
    Error(serde_json::Value),
    /// Start-up failed before the first event (`POST /runtime/init/error`).
    InitError(serde_json::Value),
    /// The process exited without answering (Lambda reports Runtime.ExitError).
    Exited(Option<i32>),
}

/// What the runtime API saw, plus the binary's stdout/stderr (its logs).
pub struct RuntimeRun {
    pub invocation: Invocation,
    pub started_to_first_next: Duration,
    /// The process's peak resident set (VmHWM) when it answered, in KiB; None if it had exited.
    pub peak_rss_kib: Option<u64>,
    pub logs: String,
}

/// Runs `binary` as a Lambda with `env`, hands it `event`, and returns its answer.
/// Panics (with the binary's logs) if it answers nothing within `timeout`.
pub fn invoke(
    binary: &Path,
    env: &BTreeMap<String, String>,
    event: &serde_json::Value,
    timeout: Duration,
) -> RuntimeRun {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding the runtime API");
    let address = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .envs(env)
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "inspectorlink-test")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/inspectorlink-test",
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));

    let mut first_next = None;
    let mut event_sent = false;
    let mut serve = || {
        serve_pending(
            &listener,
            event,
            &mut event_sent,
            &mut first_next,
            started,
            timeout,
        )
    };
    let outcome = loop {
        if started.elapsed() > timeout {
            break None;
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Give a last chance to requests already queued, then stop.
            break Some(serve().unwrap_or(Invocation::Exited(status.code())));
        }
        if let Some(found) = serve() {
            break Some(found);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let peak_rss_kib = peak_rss_kib(child.id());
    let _ = child.kill();
    let logs = finish(child);
    let invocation = outcome.unwrap_or_else(|| {
        panic!(
            "{} answered nothing within {timeout:?}:\n{logs}",
            binary.display()
        )
    });
    RuntimeRun {
        invocation,
        started_to_first_next: first_next.unwrap_or_default(),
        peak_rss_kib,
        logs,
    }
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn finish(mut child: Child) -> String {
    let _ = child.wait();
    let mut logs = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut logs);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut logs);
    }
    logs
}

/// Serves every connection waiting on the listener; returns the outcome once posted.
fn serve_pending(
    listener: &TcpListener,
    event: &serde_json::Value,
    event_sent: &mut bool,
    first_next: &mut Option<Duration>,
    started: Instant,
    timeout: Duration,
) -> Option<Invocation> {
    while let Ok((stream, _)) = listener.accept() {
        stream.set_nonblocking(false).unwrap();
        // A handler may work as long as the invocation's timeout before it posts its answer
        // on this kept-alive connection.
        stream.set_read_timeout(Some(timeout)).unwrap();
        if let Some(outcome) = serve_connection(stream, event, event_sent, first_next, started) {
            return Some(outcome);
        }
    }
    None
}

/// Serves requests on one keep-alive connection until the client closes it, or until it
/// asks for a second event (the test is over then: the request is left unanswered).
fn serve_connection(
    stream: TcpStream,
    event: &serde_json::Value,
    event_sent: &mut bool,
    first_next: &mut Option<Duration>,
    started: Instant,
) -> Option<Invocation> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let (method, path, body) = read_request(&mut reader)?;
        let parsed = || {
            serde_json::from_slice::<serde_json::Value>(&body).unwrap_or(serde_json::Value::Null)
        };
        match (method.as_str(), path.as_str()) {
            ("GET", "/2018-06-01/runtime/invocation/next") => {
                if *event_sent {
                    return None;
                }
                first_next.get_or_insert(started.elapsed());
                *event_sent = true;
                let deadline = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis()
                    + 60_000;
                let payload = event.to_string();
                let headers = format!(
                    "Lambda-Runtime-Aws-Request-Id: {REQUEST_ID}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: {FUNCTION_ARN}\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n"
                );
                respond(&mut writer, "200 OK", &headers, payload.as_bytes());
            }
            ("POST", path)
                if path == format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/response") =>
            {
                respond(&mut writer, "202 Accepted", "", b"{}");
                return Some(Invocation::Response(parsed()));
            }
            ("POST", path)
                if path == format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/error") =>
            {
                respond(&mut writer, "202 Accepted", "", b"{}");
                return Some(Invocation::Error(parsed()));
            }
            ("POST", "/2018-06-01/runtime/init/error") => {
                respond(&mut writer, "202 Accepted", "", b"{}");
                return Some(Invocation::InitError(parsed()));
            }
            _ => respond(&mut writer, "404 Not Found", "", b"{}"),
        }
    }
}

fn respond(writer: &mut TcpStream, status: &str, headers: &str, body: &[u8]) {
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n", body.len());
    let _ = writer
        .write_all(head.as_bytes())
        .and_then(|_| writer.write_all(body))
        .and_then(|_| writer.flush());
}

/// One HTTP/1.1 request: method, path, body (Content-Length or chunked).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "transfer-encoding" => chunked = value.trim().eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((method, path, body))
}

/// The environment of a function whose test needs no AWS call: test keys, and an endpoint
/// that refuses connections, so an unexpected call fails loudly.
pub fn offline_env() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID".to_owned(), "localaws".to_owned()),
        ("AWS_SECRET_ACCESS_KEY".to_owned(), "localaws".to_owned()),
        (
            "AWS_ENDPOINT_URL".to_owned(),
            "http://127.0.0.1:9".to_owned(),
        ),
        ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
    ])
}

/// One record of an SQS event as Lambda delivers it.
pub fn sqs_record(message_id: &str, body: &str) -> serde_json::Value {
    serde_json::json!({
        "messageId": message_id,
        "receiptHandle": format!("handle-{message_id}"),
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764000000000", "SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": "1764000000000"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:111111111111:inspectorlink-findings",
        "awsRegion": "us-east-1"
    })
}

/// One record of an SNS invocation as Lambda delivers it.
pub fn sns_record(message_id: &str, message: &str) -> serde_json::Value {
    serde_json::json!({
        "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:111111111111:inspectorlink-findings:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": "2026-11-24T10:00:00.000Z",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
            "MessageId": message_id,
            "Message": message,
            "MessageAttributes": {},
            "Type": "Notification",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "TopicArn": "arn:aws:sns:us-east-1:111111111111:inspectorlink-findings",
            "Subject": null
        }
    })
}

/// The log lines that are JSON (structured logs and EMF records).
pub fn json_lines(logs: &str) -> Vec<serde_json::Value> {
    logs.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

impl RuntimeRun {
    /// The `errorMessage` of a failed invocation; panics with the logs otherwise.
    pub fn error_message(&self) -> String {
        match &self.invocation {
            Invocation::Error(error) => error["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            other => panic!("expected a failed invocation, got {other:?}\n{}", self.logs),
        }
    }

    /// The error a function logged before exiting at start-up (a bad configuration):
    /// asserts it exited with status 1 and logged one ERROR line first.
    pub fn start_up_error(&self) -> String {
        assert_eq!(
            self.invocation,
            Invocation::Exited(Some(1)),
            "{}",
            self.logs
        );
        let line = json_lines(&self.logs)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("a JSON log line: {}", self.logs));
        assert_eq!(line["level"], "ERROR", "{line}");
        line["fields"]["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The EMF metrics record the function printed; panics with the logs if none.
    pub fn metrics(&self) -> serde_json::Value {
        json_lines(&self.logs)
            .into_iter()
            .find(|l| l["_aws"].is_object())
            .unwrap_or_else(|| panic!("an EMF record: {}", self.logs))
    }
}

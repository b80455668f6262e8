//! The OpenSearch sink: `_bulk` index actions with `_id` = the document's id (a redelivery
//! overwrites) and external versioning from its version (an older state never replaces a
//! newer one; the refusal counts as done), signed with SigV4 (`es` for domains,
//! `aoss` for Serverless), TLS verified. Throttling and server errors are retried with
//! jittered backoff while the invocation's deadline allows; what still fails is reported
//! per document. A batch goes in `_bulk` requests of at most [`MAX_BULK_BYTES`], under the
//! smallest domain's 10 MiB payload limit (a request over it is refused whole with a 413).
//! One sink per index: findings (`OpenSearchSink::findings`) and coverage
//! (`OpenSearchSink::coverage`), each with the template shipped for it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4;
use serde::Deserialize;
use tracing::{info, instrument, warn};

use crate::config::OpenSearchConfig;
use crate::deadline::{Deadline, DEADLINE_REACHED};
use crate::finding::Finding;
use inspectorlink_findings::Coverage;

/// Attempts per document before it is reported as failed (the record is then retried by SQS).
const MAX_ATTEMPTS: u32 = 3;
const BASE_BACKOFF: Duration = Duration::from_millis(200);
/// The longest one request may take (shortened to what the deadline leaves).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest `_bulk` body sent: half the smallest instance types' 10 MiB payload limit,
/// the size OpenSearch's own guidance starts from. A document larger than this goes alone.
pub const MAX_BULK_BYTES: usize = 5 * 1024 * 1024;

/// The findings' index template shipped with the code; `ensure_index_template` applies it.
pub const INDEX_TEMPLATE: &str = include_str!("../opensearch/index-template.json");
/// The coverage documents' index template.
pub const COVERAGE_INDEX_TEMPLATE: &str =
    include_str!("../opensearch/coverage-index-template.json");

/// A document the sink indexes: its `_id` and its version (epoch milliseconds; None: the
/// last write wins).
pub trait Indexed: serde::Serialize {
    fn document_id(&self) -> &str;
    fn document_version(&self) -> Option<i64>;
}

impl Indexed for Finding {
    fn document_id(&self) -> &str {
        &self.id
    }
    fn document_version(&self) -> Option<i64> {
        self.version()
    }
}

impl Indexed for Coverage {
    fn document_id(&self) -> &str {
        &self.id
    }
    fn document_version(&self) -> Option<i64> {
        self.version()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenSearchError {
    #[error("getting credentials to sign OpenSearch requests: {0}")]
    Credentials(String),
    #[error("signing the OpenSearch request: {0}")]
    Signing(String),
    #[error("OpenSearch request to {url} failed: {cause}")]
    Transport { url: String, cause: String },
    #[error("OpenSearch answered {status} to {url}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
}

pub struct OpenSearchSink {
    http: reqwest::Client,
    config: OpenSearchConfig,
    /// The index written to, and the template that shapes it.
    index: String,
    template: &'static str,
    credentials: SharedCredentialsProvider,
    /// Set once the index template is in place in this execution environment.
    template_applied: tokio::sync::OnceCell<()>,
    /// Set once the template's fields were put onto the live index in this environment.
    mapping_updated: tokio::sync::OnceCell<()>,
    /// Requests sent, retries included (for the API-calls metric).
    requests_sent: std::sync::atomic::AtomicU64,
}

#[derive(Deserialize)]
struct BulkResponse {
    #[serde(default)]
    items: Vec<HashMap<String, BulkItem>>,
}

#[derive(Deserialize)]
struct BulkItem {
    #[serde(rename = "_id")]
    id: Option<String>,
    status: u16,
    result: Option<String>,
    error: Option<serde_json::Value>,
}

/// The error type of an external-versioning write older than the stored document.
const VERSION_CONFLICT: &str = "version_conflict_engine_exception";
/// A strict index refusing a field it does not map.
const STRICT_MAPPING: &str = "strict_dynamic_mapping_exception";

/// One `_bulk` action (with its source line, if any) on the document `id`.
struct Action {
    id: String,
    lines: Vec<u8>,
}

/// What one `_bulk` call left undone.
struct BulkOutcome {
    /// Document id → why it was not written.
    failures: HashMap<String, String>,
    /// Some document was refused for a field the index does not map.
    unmapped_field: bool,
}

impl BulkItem {
    fn error_type(&self) -> Option<&str> {
        self.error.as_ref()?.get("type")?.as_str()
    }
}

impl OpenSearchSink {
    /// The findings' index (`config.index`).
    pub fn findings(config: OpenSearchConfig, credentials: SharedCredentialsProvider) -> Self {
        let index = config.index.clone();
        Self::new(config, credentials, index, INDEX_TEMPLATE)
    }

    /// The coverage documents' index (`config.coverage_index`).
    pub fn coverage(config: OpenSearchConfig, credentials: SharedCredentialsProvider) -> Self {
        let index = config.coverage_index.clone();
        Self::new(config, credentials, index, COVERAGE_INDEX_TEMPLATE)
    }

    fn new(
        config: OpenSearchConfig,
        credentials: SharedCredentialsProvider,
        index: String,
        template: &'static str,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("building the HTTP client (TLS roots)");
        OpenSearchSink {
            http,
            config,
            index,
            template,
            credentials,
            template_applied: tokio::sync::OnceCell::new(),
            mapping_updated: tokio::sync::OnceCell::new(),
            requests_sent: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Puts the index template (`PUT _index_template/<index>`) before the first documents
    /// of each execution environment; idempotent, and retried next time if it fails.
    pub async fn ensure_index_template(&self, deadline: Deadline) -> Result<(), OpenSearchError> {
        self.template_applied
            .get_or_try_init(|| self.put_index_template(deadline))
            .await
            .map(|_| ())
    }

    fn shipped_template(&self) -> serde_json::Value {
        let mut template: serde_json::Value =
            serde_json::from_str(self.template).expect("the shipped index template is JSON");
        template["index_patterns"] = serde_json::json!([format!("{}*", self.index)]);
        template
    }

    async fn put_index_template(&self, deadline: Deadline) -> Result<(), OpenSearchError> {
        let path = format!("/_index_template/{}", self.index);
        self.send(
            "PUT",
            &path,
            "application/json",
            self.shipped_template().to_string().into_bytes(),
            deadline,
        )
        .await
        .map(|_| ())
    }

    /// Puts the template's fields onto the live index (`PUT <index>/_mapping`), once per
    /// execution environment, after the index refused a document for a field it does not
    /// map: a template shapes only indexes created after it, so an index an earlier release
    /// created lacks the fields added since. Adding fields to a live index is allowed; a
    /// changed type is refused, and the error names the field.
    async fn ensure_index_mapping(&self, deadline: Deadline) -> Result<(), OpenSearchError> {
        self.mapping_updated
            .get_or_try_init(|| async {
                let fields = serde_json::json!({
                    "properties": self.shipped_template()["template"]["mappings"]["properties"]
                });
                let path = format!("/{}/_mapping", self.index);
                self.send(
                    "PUT",
                    &path,
                    "application/json",
                    fields.to_string().into_bytes(),
                    deadline,
                )
                .await
                .map(|_| ())
            })
            .await
            .map(|_| ())
    }

    /// Indexes `documents`; returns the ids that still failed after retries, with the
    /// reason. Retries stop where `deadline` leaves no time for them.
    #[instrument(skip_all, fields(documents = documents.len(), index = %self.index))]
    pub async fn index<D: Indexed>(
        &self,
        documents: &[&D],
        deadline: Deadline,
    ) -> HashMap<String, String> {
        let actions = documents
            .iter()
            .map(|document| index_action(&self.index, *document))
            .collect();
        self.write(actions, deadline).await
    }

    /// Deletes the documents `ids` (one not there counts as deleted); returns the ids that
    /// still failed after retries, with the reason.
    #[instrument(skip_all, fields(documents = ids.len(), index = %self.index))]
    pub async fn delete(&self, ids: &[String], deadline: Deadline) -> HashMap<String, String> {
        let actions = ids
            .iter()
            .map(|id| {
                let action = serde_json::json!({"delete": {"_index": self.index, "_id": id}});
                let mut lines = serde_json::to_vec(&action).expect("JSON");
                lines.push(b'\n');
                Action {
                    id: id.clone(),
                    lines,
                }
            })
            .collect();
        self.write(actions, deadline).await
    }

    /// Sends `actions` in `_bulk` requests, retrying what fails while `deadline` allows.
    async fn write(&self, actions: Vec<Action>, deadline: Deadline) -> HashMap<String, String> {
        if actions.is_empty() {
            return HashMap::new();
        }
        if let Err(err) = self.ensure_index_template(deadline).await {
            let reason = format!("applying the index template: {err}");
            return actions
                .into_iter()
                .map(|action| (action.id, reason.clone()))
                .collect();
        }
        let mut pending: Vec<&Action> = actions.iter().collect();
        let mut failed = HashMap::new();
        for attempt in 1..=MAX_ATTEMPTS {
            failed.clear();
            let mut unmapped = false;
            for (body, ids) in bulk_bodies(&pending) {
                if !deadline.allows(Duration::ZERO) {
                    for id in ids {
                        failed.insert(id.to_owned(), DEADLINE_REACHED.to_owned());
                    }
                    continue;
                }
                match self.bulk(body, &ids, deadline).await {
                    Ok(outcome) => {
                        unmapped |= outcome.unmapped_field;
                        failed.extend(outcome.failures);
                    }
                    Err(err) => {
                        for id in ids {
                            failed.insert(id.to_owned(), err.to_string());
                        }
                    }
                }
            }
            if failed.is_empty() || attempt == MAX_ATTEMPTS {
                break;
            }
            if unmapped {
                match self.ensure_index_mapping(deadline).await {
                    Ok(()) => info!("put the index template's fields onto the existing index"),
                    Err(err) => {
                        warn!(%err, "the index lacks fields of the index template, and adding them failed")
                    }
                }
            }
            let wait = backoff(attempt);
            if !deadline.allows(wait) {
                warn!(
                    failed = failed.len(),
                    "no time left before the invocation deadline to retry OpenSearch documents"
                );
                for reason in failed.values_mut() {
                    if reason != DEADLINE_REACHED {
                        *reason = format!("{reason} (not retried: {DEADLINE_REACHED})");
                    }
                }
                break;
            }
            warn!(
                attempt,
                failed = failed.len(),
                "retrying OpenSearch documents"
            );
            tokio::time::sleep(wait).await;
            pending.retain(|action| failed.contains_key(&action.id));
        }
        failed
    }

    /// One `_bulk` call over the documents `ids`, whose actions `body` holds; Ok holds the
    /// per-document failures.
    async fn bulk(
        &self,
        body: Vec<u8>,
        ids: &[&str],
        deadline: Deadline,
    ) -> Result<BulkOutcome, OpenSearchError> {
        let answer = self
            .send("POST", "/_bulk", "application/x-ndjson", body, deadline)
            .await?;
        let parsed: BulkResponse =
            serde_json::from_str(&answer).map_err(|e| OpenSearchError::Status {
                url: self.url("/_bulk"),
                status: 200,
                body: format!("not a _bulk response ({e}): {answer}"),
            })?;
        let mut failures = HashMap::new();
        let mut unmapped_field = false;
        let mut indexed = std::collections::HashSet::new();
        for item in parsed
            .items
            .into_iter()
            .flat_map(|action| action.into_values())
        {
            let id = item.id.clone().unwrap_or_default();
            // A delete of a document that is not there has nothing left to do.
            if item.status < 300
                || (item.status == 404 && item.result.as_deref() == Some("not_found"))
            {
                indexed.insert(id);
            } else if item.status == 409 && item.error_type() == Some(VERSION_CONFLICT) {
                // The index holds a newer state of the document: this one is done.
                info!(document_id = %id, index = %self.index, "a newer state of the document is indexed; kept it");
                indexed.insert(id);
            } else {
                unmapped_field |= item.error_type() == Some(STRICT_MAPPING);
                let reason = item
                    .error
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| format!("status {}", item.status));
                failures.insert(
                    id,
                    format!(
                        "OpenSearch rejected the document ({}): {reason}",
                        item.status
                    ),
                );
            }
        }
        // A document the response does not mention was not written either.
        for id in ids {
            if !indexed.contains(*id) && !failures.contains_key(*id) {
                failures.insert(
                    (*id).to_owned(),
                    "OpenSearch's _bulk answer does not mention the document".to_owned(),
                );
            }
        }
        Ok(BulkOutcome {
            failures,
            unmapped_field,
        })
    }

    /// Requests sent so far by this sink, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.requests_sent
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.endpoint)
    }

    /// Sends a signed request; retries throttling and 5xx answers while `deadline` allows;
    /// returns the body.
    async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        deadline: Deadline,
    ) -> Result<String, OpenSearchError> {
        let url = self.url(path);
        let mut attempt = 1;
        loop {
            let timeout = deadline.cap(REQUEST_TIMEOUT);
            if timeout.is_zero() {
                return Err(OpenSearchError::Transport {
                    url,
                    cause: DEADLINE_REACHED.to_owned(),
                });
            }
            let mut request = self.signed(method, &url, content_type, &body).await?;
            *request.timeout_mut() = Some(timeout);
            self.requests_sent
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let result = self.http.execute(request).await;
            let retryable = match &result {
                Ok(response) => {
                    response.status().as_u16() == 429 || response.status().is_server_error()
                }
                Err(err) => err.is_timeout() || err.is_connect(),
            };
            if retryable && attempt < MAX_ATTEMPTS && deadline.allows(backoff(attempt)) {
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
                continue;
            }
            let response = result.map_err(|e| OpenSearchError::Transport {
                url: url.clone(),
                cause: e.to_string(),
            })?;
            let status = response.status().as_u16();
            let text = response
                .text()
                .await
                .map_err(|e| OpenSearchError::Transport {
                    url: url.clone(),
                    cause: e.to_string(),
                })?;
            if status >= 300 {
                return Err(OpenSearchError::Status {
                    url,
                    status,
                    body: text,
                });
            }
            return Ok(text);
        }
    }

    async fn signed(
        &self,
        method: &str,
        url: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<reqwest::Request, OpenSearchError> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| OpenSearchError::Credentials(e.to_string()))?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        if self.config.service == "aoss" {
            // Serverless requires the payload hash as a header.
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.config.region)
            .name(&self.config.service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| OpenSearchError::Signing(e.to_string()))?
            .into();
        let headers = [("content-type", content_type)];
        let signable =
            SignableRequest::new(method, url, headers.into_iter(), SignableBody::Bytes(body))
                .map_err(|e| OpenSearchError::Signing(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| OpenSearchError::Signing(e.to_string()))?
            .into_parts();
        let mut request = http::Request::builder()
            .method(method)
            .uri(url)
            .header("content-type", content_type)
            .body(body.to_vec())
            .map_err(|e| OpenSearchError::Signing(e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
        reqwest::Request::try_from(request).map_err(|e| OpenSearchError::Signing(e.to_string()))
    }
}

/// The index action for `document` (its source line included).
fn index_action<D: Indexed>(index: &str, document: &D) -> Action {
    let mut action = serde_json::json!({"index": {"_index": index, "_id": document.document_id()}});
    if let Some(version) = document.document_version() {
        // The index keeps the newest state: an older version is refused (409), an equal
        // one (a redelivery) rewritten.
        action["index"]["version"] = version.into();
        action["index"]["version_type"] = "external_gte".into();
    }
    let mut lines = Vec::new();
    serde_json::to_writer(&mut lines, &action).expect("JSON");
    lines.push(b'\n');
    serde_json::to_writer(&mut lines, document).expect("JSON");
    lines.push(b'\n');
    Action {
        id: document.document_id().to_owned(),
        lines,
    }
}

/// The `_bulk` bodies for `actions`, each at most [`MAX_BULK_BYTES`] (a larger action
/// alone), with the ids of the documents each one writes.
fn bulk_bodies<'a>(actions: &[&'a Action]) -> Vec<(Vec<u8>, Vec<&'a str>)> {
    let mut bodies: Vec<(Vec<u8>, Vec<&str>)> = Vec::new();
    let mut body = Vec::new();
    let mut ids = Vec::new();
    for action in actions {
        if !ids.is_empty() && body.len() + action.lines.len() > MAX_BULK_BYTES {
            bodies.push((std::mem::take(&mut body), std::mem::take(&mut ids)));
        }
        body.extend_from_slice(&action.lines);
        ids.push(action.id.as_str());
    }
    if !ids.is_empty() {
        bodies.push((body, ids));
    }
    bodies
}

/// Exponential backoff with jitter (0.5x to 1.5x), so retries from many Lambdas spread out.
fn backoff(attempt: u32) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = 0.5 + f64::from(nanos % 1000) / 1000.0;
    BASE_BACKOFF.mul_f64(f64::from(2u32.pow(attempt - 1)) * jitter)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::INDEX_TEMPLATE;

    /// The field paths of `document` the template does not map; the index is
    /// `dynamic: strict`, so each would be a refused document.
    fn unmapped(document: &Value, mapping: &Value, path: &str, found: &mut Vec<String>) {
        let Value::Object(fields) = document else {
            return;
        };
        for (name, value) in fields {
            let at = format!("{path}{name}");
            let Some(field) = mapping["properties"].get(name) else {
                found.push(at);
                continue;
            };
            // Objects not indexed, or indexed whole (flat_object), have no sub-mapping.
            if field.get("properties").is_none() {
                continue;
            }
            match value {
                Value::Array(items) => items
                    .iter()
                    .for_each(|item| unmapped(item, field, &format!("{at}."), found)),
                value => unmapped(value, field, &format!("{at}."), found),
            }
        }
    }

    #[test]
    fn the_template_maps_every_field_of_every_v2_shape() {
        let template: Value = serde_json::from_str(INDEX_TEMPLATE).unwrap();
        let mapping = &template["template"]["mappings"];
        assert_eq!(mapping["dynamic"], "strict");
        macro_rules! event {
            ($name:literal) => {
                include_str!(concat!(
                    "../../findings/tests/fixtures/inspector2/",
                    $name,
                    ".json"
                ))
            };
        }
        let events = [
            event!("ec2-package-vulnerability"),
            event!("ec2-network-reachability"),
            event!("ecr-package-vulnerability"),
            event!("lambda-package-vulnerability"),
            event!("lambda-code-vulnerability"),
            event!("ec2-windows-kb-package-vulnerability"),
            event!("ecr-package-vulnerability-closed-expired"),
            event!("ecr-package-vulnerability-untriaged"),
            event!("code-repository-code-vulnerability"),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for event in events {
            let mut event: Value = serde_json::from_str(event).unwrap();
            let mut detail = event["detail"].take();
            // The image's use, which the documented and emulated events leave out.
            if let Some(image) = detail
                .pointer_mut("/resources/0/details/awsEcrContainerImage")
                .and_then(Value::as_object_mut)
            {
                image.insert(
                    "lastInUseAt".into(),
                    "Thu Sep 05 08:12:00.000 UTC 2024".into(),
                );
                image.insert("inUseCount".into(), 2.into());
            }
            let finding = crate::v2::normalise(detail).unwrap();
            let document = serde_json::to_value(&finding).unwrap();
            let mut found = Vec::new();
            unmapped(&document, mapping, "", &mut found);
            assert!(
                found.is_empty(),
                "{}: unmapped {found:?}",
                finding.finding_arn
            );
            collect_paths(&document, "", &mut seen);
        }
        // The fields this test exists for were in the documents it checked.
        for path in [
            "closed_reason",
            "resource.pushed_at",
            "resource.last_in_use_at",
            "resource.in_use_count",
            "resource.project_name",
            "resource.provider_type",
            "resource.integration_arn",
            "code_vulnerability.file_name",
        ] {
            assert!(seen.contains(path), "no document had {path}");
        }
    }

    fn collect_paths(value: &Value, path: &str, seen: &mut std::collections::BTreeSet<String>) {
        if let Value::Object(fields) = value {
            for (name, value) in fields {
                let at = format!("{path}{name}");
                collect_paths(value, &format!("{at}."), seen);
                seen.insert(at);
            }
        }
    }
}

//! The S3 sink: one object per finding at a key derived from the finding only, so a
//! redelivery overwrites rather than duplicates, and a write never replaces a newer state
//! of the finding with an older one (events arrive out of order, in other batches, and
//! again on retry). SSE-KMS when a key is configured.
//!
//! Each object carries its finding's version (`Finding::version`, epoch milliseconds) as
//! the metadata `x-amz-meta-finding-version`. A write is conditional: first create-only
//! (`If-None-Match: *`), the one call a new finding costs; if the object exists, a
//! GetObject reads it, and a newer stored version ends the write (superseded); otherwise a
//! PutObject with `If-Match: <ETag>` replaces exactly the object that was read. A
//! concurrent writer in between makes that fail (412 or 409), and the write starts over.
//! An object without the metadata (written before it existed) counts as older.
//!
//! History: the stored state is what an Inspector v2 finding's lifecycle fields
//! (`Finding::following`: status_changed_at, closed_at, reopened_count,
//! time_to_remediate_seconds) follow from, and every state that changes the status is also
//! written as an object of its own under the history prefix (`Finding::history_key`,
//! named by its version: a redelivery writes the same object again, never a second one),
//! before the finding's object, so a failure in between leaves it to the retry. The states
//! of one finding in one batch are followed in order, so a change between two of them is
//! kept too.
//!
//! Coverage documents (`put_coverage`) follow the same rules without a history: each is
//! one object under the coverage prefix, written only when its state changed; the sweep
//! lists them (`coverage_objects`) and deletes those Inspector no longer lists
//! (`delete_coverage`).

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use tracing::{info, instrument};

use std::collections::BTreeMap;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use inspectorlink_findings::Coverage;
use serde::de::DeserializeOwned;

use crate::finding::Finding;

/// The object metadata key (without `x-amz-meta-`) that holds the finding's version.
pub const VERSION_METADATA: &str = "finding-version";

/// Rounds of create / read / replace before a write that keeps losing to concurrent
/// writers gives up (the record is then retried by SQS).
const MAX_ROUNDS: u32 = 4;

pub struct S3Sink {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    history_prefix: String,
    coverage_prefix: String,
    kms_key_arn: Option<String>,
}

/// What a coverage write did.
#[derive(Debug)]
pub struct CoverageOutcome {
    pub written: CoverageWritten,
    pub calls: u64,
    /// What the object now holds (with what the stored state added), or the document as
    /// given (Superseded).
    pub document: Coverage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverageWritten {
    Stored,
    /// The object already held this state: nothing written.
    Unchanged,
    /// The object holds a newer state, which was kept.
    Superseded,
}

/// A coverage object as the sweep lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageObject {
    pub key: String,
    pub id: String,
    pub region: String,
    /// Epoch milliseconds.
    pub last_modified: i64,
}

/// What a write did to the finding's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The object now holds this state of the finding.
    Stored,
    /// The object holds a newer state, which was kept.
    Superseded,
}

/// The result of a write and the S3 calls it made.
#[derive(Debug)]
pub struct PutOutcome {
    pub key: String,
    pub written: Written,
    pub calls: u64,
    /// What the object now holds (Stored: the finding with its lifecycle fields), or the
    /// finding as given (Superseded).
    pub document: Finding,
}

#[derive(Debug, thiserror::Error)]
#[error("{cause}")]
pub struct PutError {
    pub cause: String,
    pub calls: u64,
}

/// How a PutObject may replace what is at its key.
enum Condition {
    Unconditional,
    Absent,
    Matches(String),
}

impl S3Sink {
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
        history_prefix: String,
        coverage_prefix: String,
        kms_key_arn: Option<String>,
    ) -> Self {
        S3Sink {
            client,
            bucket,
            prefix,
            history_prefix,
            coverage_prefix,
            kms_key_arn,
        }
    }

    /// Writes `finding` unless its object holds a newer state; `earlier` are older states
    /// of it from the same batch (any order), followed before it. The stored document (with
    /// its lifecycle fields) is in the outcome.
    #[instrument(skip_all, fields(finding_id = %finding.id))]
    pub async fn put(
        &self,
        finding: &Finding,
        earlier: &[Finding],
    ) -> Result<PutOutcome, PutError> {
        let key = finding.s3_key(&self.prefix);
        let mut states: Vec<&Finding> = earlier.iter().chain([finding]).collect();
        states.sort_by_key(|state| state.version());
        let mut calls = 0;
        let fail = |cause: String, calls: u64| PutError { cause, calls };
        let outcome = |key: String, written: Written, calls: u64, document: Finding| PutOutcome {
            key,
            written,
            calls,
            document,
        };
        let Some(version) = finding.version() else {
            // No readable time to order by: the last write wins, as before versions.
            let (document, _) = lived(None, &states);
            calls += 1;
            return match self
                .try_put(&key, &body_of(&document), None, Condition::Unconditional)
                .await
            {
                Ok(_) => Ok(outcome(key, Written::Stored, calls, document)),
                Err(cause) => Err(fail(cause, calls)),
            };
        };
        for _ in 0..MAX_ROUNDS {
            // As a new finding: its own states' changes only.
            let (document, changes) = lived(None, &states);
            calls += self
                .record(&changes)
                .await
                .map_err(|(cause, n)| fail(cause, calls + n))?;
            calls += 1;
            match self
                .try_put(&key, &body_of(&document), Some(version), Condition::Absent)
                .await
            {
                Ok(true) => return Ok(outcome(key, Written::Stored, calls, document)),
                Ok(false) => {}
                Err(cause) => return Err(fail(cause, calls)),
            }
            calls += 1;
            let Some(stored) = self
                .get::<Finding>(&key)
                .await
                .map_err(|cause| fail(cause, calls))?
            else {
                // Deleted since: create it again.
                continue;
            };
            if stored.version.is_some_and(|stored| stored > version) {
                info!(%key, stored = stored.version, version, "a newer state of the finding is stored; kept it");
                return Ok(outcome(key, Written::Superseded, calls, finding.clone()));
            }
            let (document, changes) = lived(stored.document.as_ref(), &states);
            calls += self
                .record(&changes)
                .await
                .map_err(|(cause, n)| fail(cause, calls + n))?;
            calls += 1;
            let replace = Condition::Matches(stored.etag);
            match self
                .try_put(&key, &body_of(&document), Some(version), replace)
                .await
            {
                Ok(true) => return Ok(outcome(key, Written::Stored, calls, document)),
                Ok(false) => {}
                Err(cause) => return Err(fail(cause, calls)),
            }
        }
        Err(fail(
            format!("{key} changed under {MAX_ROUNDS} conditional writes in a row (concurrent writers); the record will be retried"),
            calls,
        ))
    }

    /// The object at `key`: its version, ETag and document (None when it does not parse as
    /// one: its lifecycle starts again). Ok(None) when there is no object.
    async fn get<D: DeserializeOwned>(&self, key: &str) -> Result<Option<Stored<D>>, String> {
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(None)
            }
            Err(err) => return Err(described(&err)),
        };
        let version = object
            .metadata()
            .and_then(|m| m.get(VERSION_METADATA))
            .and_then(|v| v.parse::<i64>().ok());
        let Some(etag) = object.e_tag().map(str::to_owned) else {
            return Err(format!("S3 answered GetObject of {key} without an ETag"));
        };
        let body = object
            .body
            .collect()
            .await
            .map_err(|err| format!("reading {key}: {err}"))?
            .into_bytes();
        Ok(Some(Stored {
            version,
            etag,
            document: serde_json::from_slice(&body).ok(),
        }))
    }

    /// Writes `coverage` unless its object holds a newer state or this same state; a
    /// state follows the stored one (`Coverage::following`).
    #[instrument(skip_all, fields(coverage_id = %coverage.id))]
    pub async fn put_coverage(&self, coverage: &Coverage) -> Result<CoverageOutcome, PutError> {
        let key = coverage.s3_key(&self.coverage_prefix);
        let version = coverage.version();
        let mut calls = 0;
        let fail = |cause: String, calls: u64| PutError { cause, calls };
        for _ in 0..MAX_ROUNDS {
            calls += 1;
            let stored = self
                .get::<Coverage>(&key)
                .await
                .map_err(|cause| fail(cause, calls))?;
            let (document, condition) = match stored {
                None => (coverage.clone(), Condition::Absent),
                Some(stored) => {
                    if stored.version.is_some() && stored.version > version {
                        return Ok(CoverageOutcome {
                            written: CoverageWritten::Superseded,
                            calls,
                            document: coverage.clone(),
                        });
                    }
                    let document = coverage.clone().following(stored.document.as_ref());
                    if let Some(same) = stored
                        .document
                        .filter(|stored| stored.same_state_as(&document))
                    {
                        // What S3 holds: its observed_at is when this state was first seen.
                        return Ok(CoverageOutcome {
                            written: CoverageWritten::Unchanged,
                            calls,
                            document: same,
                        });
                    }
                    (document, Condition::Matches(stored.etag))
                }
            };
            calls += 1;
            let body = serde_json::to_vec(&document).expect("a Coverage always serialises");
            match self.try_put(&key, &body, version, condition).await {
                Ok(true) => {
                    return Ok(CoverageOutcome {
                        written: CoverageWritten::Stored,
                        calls,
                        document,
                    })
                }
                Ok(false) => {}
                Err(cause) => return Err(fail(cause, calls)),
            }
        }
        Err(fail(
            format!("{key} changed under {MAX_ROUNDS} conditional writes in a row (concurrent writers); the record will be retried"),
            calls,
        ))
    }

    /// Every coverage object of `region` (any account), and the ListObjectsV2 calls made.
    pub async fn coverage_objects(
        &self,
        region: &str,
    ) -> Result<(Vec<CoverageObject>, u64), (String, u64)> {
        let prefix = format!("{}/", self.coverage_prefix.trim_matches('/'));
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&prefix)
            .into_paginator()
            .send();
        let mut objects = Vec::new();
        let mut calls = 0;
        while let Some(page) = pages.next().await {
            calls += 1;
            let page =
                page.map_err(|err| (format!("listing {prefix}: {}", described(&err)), calls))?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                let Some(listed) = coverage_object(key, &prefix) else {
                    continue;
                };
                if listed.0 != region {
                    continue;
                }
                let last_modified = object
                    .last_modified()
                    .map(|t| t.to_millis().unwrap_or(i64::MAX))
                    .unwrap_or(i64::MAX);
                objects.push(CoverageObject {
                    key: key.to_owned(),
                    id: listed.1,
                    region: listed.0,
                    last_modified,
                });
            }
        }
        Ok((objects, calls))
    }

    /// Deletes `keys` (DeleteObjects, 1,000 a call); returns the calls made, or why a
    /// call failed and the calls made.
    pub async fn delete_coverage(&self, keys: &[String]) -> Result<u64, (String, u64)> {
        let mut calls = 0;
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| (format!("naming objects to delete: {err}"), calls))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|err| (format!("naming objects to delete: {err}"), calls))?;
            calls += 1;
            let answer = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|err| {
                    (
                        format!("deleting coverage objects: {}", described(&err)),
                        calls,
                    )
                })?;
            let errors: BTreeMap<&str, &str> = answer
                .errors()
                .iter()
                .map(|e| (e.key().unwrap_or("?"), e.message().unwrap_or("no message")))
                .collect();
            if !errors.is_empty() {
                return Err((format!("S3 did not delete {errors:?}"), calls));
            }
        }
        Ok(calls)
    }

    /// Writes a history entry for each of `changes`; Ok(calls made), or the cause and the
    /// calls made.
    async fn record(&self, changes: &[Finding]) -> Result<u64, (String, u64)> {
        let mut calls = 0;
        for change in changes {
            let Some(key) = change.history_key(&self.history_prefix) else {
                continue;
            };
            calls += 1;
            self.try_put(
                &key,
                &body_of(change),
                change.version(),
                Condition::Unconditional,
            )
            .await
            .map_err(|cause| (format!("writing the history entry {key}: {cause}"), calls))?;
        }
        Ok(calls)
    }

    /// One PutObject: Ok(true) when written, Ok(false) when a conditional write lost to
    /// another writer, Err with the cause otherwise.
    async fn try_put(
        &self,
        key: &str,
        body: &[u8],
        version: Option<i64>,
        condition: Condition,
    ) -> Result<bool, String> {
        match self.request(key, body, version, condition).send().await {
            Ok(_) => Ok(true),
            Err(err) if lost_a_race(&err) => Ok(false),
            Err(err) => Err(described(&err)),
        }
    }

    fn request(
        &self,
        key: &str,
        body: &[u8],
        version: Option<i64>,
        condition: Condition,
    ) -> PutObjectFluentBuilder {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body.to_vec()));
        if let Some(version) = version {
            request = request.metadata(VERSION_METADATA, version.to_string());
        }
        request = match condition {
            Condition::Unconditional => request,
            Condition::Absent => request.if_none_match("*"),
            Condition::Matches(etag) => request.if_match(etag),
        };
        if let Some(key_arn) = &self.kms_key_arn {
            request = request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(key_arn)
                .bucket_key_enabled(true);
        }
        request
    }
}

/// An object as read back.
struct Stored<D> {
    version: Option<i64>,
    etag: String,
    document: Option<D>,
}

/// (region, id) of a coverage object's key under `prefix`
/// (`account_id=<account>/region=<region>/<id>.json`), or None for another key.
fn coverage_object(key: &str, prefix: &str) -> Option<(String, String)> {
    let rest = key.strip_prefix(prefix)?;
    let mut parts = rest.split('/');
    let (_account, region, file) = (
        parts.next()?.strip_prefix("account_id=")?,
        parts.next()?.strip_prefix("region=")?,
        parts.next()?,
    );
    if parts.next().is_some() {
        return None;
    }
    Some((region.to_owned(), file.strip_suffix(".json")?.to_owned()))
}

fn body_of(finding: &Finding) -> Vec<u8> {
    serde_json::to_vec(finding).expect("a Finding always serialises")
}

/// The document to store for `states` (oldest first; the last is the one being written)
/// following `previous`, the stored state, and the states among them that change the
/// status (history entries). States not newer than `previous` are its past: skipped.
fn lived(previous: Option<&Finding>, states: &[&Finding]) -> (Finding, Vec<Finding>) {
    let mut last: Option<Finding> = previous.cloned();
    let mut changes = Vec::new();
    let newest = states.len() - 1;
    for (i, state) in states.iter().enumerate() {
        let past = previous.is_some_and(|p| p.version() >= state.version());
        if past && i < newest {
            continue;
        }
        let next = (*state).clone().following(last.as_ref());
        if last.as_ref().is_some_and(|l| next.changes_status_of(l)) {
            changes.push(next.clone());
        }
        last = Some(next);
    }
    (
        last.expect("states holds the finding being written"),
        changes,
    )
}

/// A conditional PutObject that another writer got to first: the object exists (create-only),
/// changed since it was read (412 PreconditionFailed, 409 ConditionalRequestConflict), or was
/// deleted since (404 NoSuchKey).
fn lost_a_race<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().is_some_and(|e| {
        matches!(
            e.code(),
            Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
        )
    })
}

pub(crate) fn described<E, R>(err: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    aws_smithy_types::error::display::DisplayErrorContext(err).to_string()
}

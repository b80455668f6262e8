//! The S3 sink: one object per finding at a key derived from the finding only, so a
//! redelivery overwrites rather than duplicates, and a write never replaces a newer state
//! of the finding with an older one (events arrive out of order, in other batches, and
//! again on retry). SSE-KMS when a key is configured.
//!
//! Each object carries its finding's version (`Finding::version`, epoch milliseconds) as
//! the metadata `x-amz-meta-finding-version`. A write is conditional: first create-only
//! (`If-None-Match: *`), the one call a new finding costs; if the object exists, a
//! HeadObject reads its version, and a newer stored version ends the write (superseded);
//! otherwise a PutObject with `If-Match: <ETag>` replaces exactly the object that was read.
//! A concurrent writer in between makes that fail (412 or 409), and the write starts over.
//! An object without the metadata (written before it existed) counts as older.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use tracing::{info, instrument};

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
    kms_key_arn: Option<String>,
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
        kms_key_arn: Option<String>,
    ) -> Self {
        S3Sink {
            client,
            bucket,
            prefix,
            kms_key_arn,
        }
    }

    /// Writes the finding unless its object holds a newer state.
    #[instrument(skip_all, fields(finding_id = %finding.id))]
    pub async fn put(&self, finding: &Finding) -> Result<PutOutcome, PutError> {
        let key = finding.s3_key(&self.prefix);
        let body = serde_json::to_vec(finding).expect("a Finding always serialises");
        let mut calls = 0;
        let fail = |cause: String, calls: u64| PutError { cause, calls };
        let outcome = |key: String, written: Written, calls: u64| PutOutcome {
            key,
            written,
            calls,
        };
        let Some(version) = finding.version() else {
            // No readable time to order by: the last write wins, as before versions.
            calls += 1;
            return match self
                .try_put(&key, &body, None, Condition::Unconditional)
                .await
            {
                Ok(_) => Ok(outcome(key, Written::Stored, calls)),
                Err(cause) => Err(fail(cause, calls)),
            };
        };
        for _ in 0..MAX_ROUNDS {
            calls += 1;
            match self
                .try_put(&key, &body, Some(version), Condition::Absent)
                .await
            {
                Ok(true) => return Ok(outcome(key, Written::Stored, calls)),
                Ok(false) => {}
                Err(cause) => return Err(fail(cause, calls)),
            }
            calls += 1;
            let head = match self
                .client
                .head_object()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await
            {
                Ok(head) => head,
                // Deleted since: create it again.
                Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => continue,
                Err(err) => return Err(fail(described(&err), calls)),
            };
            let stored = head
                .metadata()
                .and_then(|m| m.get(VERSION_METADATA))
                .and_then(|v| v.parse::<i64>().ok());
            if stored.is_some_and(|stored| stored > version) {
                info!(%key, stored, version, "a newer state of the finding is stored; kept it");
                return Ok(outcome(key, Written::Superseded, calls));
            }
            let Some(etag) = head.e_tag() else {
                return Err(fail(
                    format!("S3 answered HeadObject of {key} without an ETag"),
                    calls,
                ));
            };
            calls += 1;
            let replace = Condition::Matches(etag.to_owned());
            match self.try_put(&key, &body, Some(version), replace).await {
                Ok(true) => return Ok(outcome(key, Written::Stored, calls)),
                Ok(false) => {}
                Err(cause) => return Err(fail(cause, calls)),
            }
        }
        Err(fail(
            format!("{key} changed under {MAX_ROUNDS} conditional writes in a row (concurrent writers); the record will be retried"),
            calls,
        ))
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

fn described<E, R>(err: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    aws_smithy_types::error::display::DisplayErrorContext(err).to_string()
}

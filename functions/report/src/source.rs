//! Where findings and coverage documents come from: every `*.json` object under a prefix
//! of the findings bucket (paginated ListObjectsV2, then GetObject with bounded
//! concurrency), or a directory. Findings are under one prefix (or directory), coverage
//! documents under another; both are read the same way ([`Document`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aws_sdk_s3::error::DisplayErrorContext;
use futures::{StreamExt, TryStreamExt};
use inspectorlink_findings::coverage::COVERAGE_SCHEMA_VERSION;
use inspectorlink_findings::finding::SCHEMA_VERSION;
use inspectorlink_findings::{Coverage, Finding};

/// GetObject calls in flight at once.
pub const CONCURRENCY: usize = 16;

/// A document the report reads: a finding, or a coverage document.
pub trait Document: Sized {
    /// Parses one object; the error says why it is not such a document.
    fn parse(bytes: &[u8]) -> Result<Self, String>;
    /// The same for every copy and state of one document.
    fn id(&self) -> &str;
    /// Whether this copy is newer than `other`, a copy with the same id.
    fn newer_than(&self, other: &Self) -> bool;
}

impl Document for Finding {
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        parse(bytes)
    }

    fn id(&self) -> &str {
        &self.id
    }

    /// The most recently observed.
    fn newer_than(&self, other: &Self) -> bool {
        self.last_observed_at > other.last_observed_at
    }
}

impl Document for Coverage {
    /// Refuses documents of a newer schema than this code knows; drops `raw` (never shown).
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        let mut coverage: Coverage =
            serde_json::from_slice(bytes).map_err(|e| format!("not a coverage document: {e}"))?;
        if coverage.schema_version > COVERAGE_SCHEMA_VERSION {
            return Err(format!(
                "coverage schema_version {} is newer than this report understands ({COVERAGE_SCHEMA_VERSION})",
                coverage.schema_version
            ));
        }
        coverage.raw = serde_json::Value::Null;
        Ok(coverage)
    }

    fn id(&self) -> &str {
        &self.id
    }

    /// The newer state (`Coverage::supersedes`).
    fn newer_than(&self, other: &Self) -> bool {
        !other.supersedes(self)
    }
}

/// The documents read (findings unless said otherwise), and what was skipped with the
/// reason.
#[derive(Debug)]
pub struct Loaded<T = Finding> {
    /// One per id (the newest copy), sorted by id.
    pub documents: Vec<T>,
    /// (object key or path, why it was not read as such a document).
    pub skipped: Vec<(String, String)>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            documents: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("listing s3://{bucket}/{prefix}: {cause}")]
    List {
        bucket: String,
        prefix: String,
        cause: String,
    },
    #[error("reading s3://{bucket}/{key}: {cause}")]
    Get {
        bucket: String,
        key: String,
        cause: String,
    },
    #[error("reading {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// An S3 client for `config`. Path-style addressing when a custom endpoint is set (the
/// local AWS, S3-compatible stores), where virtual-hosted bucket names do not resolve.
pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let builder = aws_sdk_s3::config::Builder::from(config);
    let builder = if config.endpoint_url().is_some() {
        builder.force_path_style(true)
    } else {
        builder
    };
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// How the report names an S3 source: `s3://bucket/findings/`.
pub fn s3_source_label(bucket: &str, prefix: &str) -> String {
    format!("s3://{bucket}/{}", list_prefix(prefix))
}

/// The prefix as listed: `findings` → `findings/`; empty → the whole bucket.
fn list_prefix(prefix: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    }
}

/// Parses one finding document; refuses documents of a newer schema than this code knows.
/// The engine's `raw` finding is dropped: the report never shows it, and without it a
/// finding takes about a kilobyte of memory instead of several.
pub fn parse(bytes: &[u8]) -> Result<Finding, String> {
    let mut finding: Finding =
        serde_json::from_slice(bytes).map_err(|e| format!("not a finding document: {e}"))?;
    if finding.schema_version > SCHEMA_VERSION {
        return Err(format!(
            "schema_version {} is newer than this report understands ({SCHEMA_VERSION})",
            finding.schema_version
        ));
    }
    finding.raw = serde_json::Value::Null;
    Ok(finding)
}

impl<T: Document> Loaded<T> {
    fn add(&mut self, origin: String, parsed: Result<T, String>) {
        match parsed {
            Ok(document) => self.documents.push(document),
            Err(why) => self.skipped.push((origin, why)),
        }
    }

    /// One document per id (a copy under another key is the same document), newest kept.
    fn finish(mut self) -> Loaded<T> {
        let mut by_id: HashMap<String, T> = HashMap::new();
        for document in self.documents.drain(..) {
            match by_id.get(document.id()) {
                Some(seen) if !document.newer_than(seen) => {}
                _ => {
                    by_id.insert(document.id().to_owned(), document);
                }
            }
        }
        self.documents = by_id.into_values().collect();
        self.documents.sort_by(|a, b| a.id().cmp(b.id()));
        self.skipped.sort();
        self
    }
}

/// Every document under `prefix` in `bucket`: `from_s3::<Finding>` under the findings
/// prefix, `from_s3::<Coverage>` under the coverage prefix.
pub async fn from_s3<T: Document>(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Loaded<T>, SourceError> {
    from_s3_in_pages(client, bucket, prefix, 1000).await
}

/// `from_s3` listing `page_size` keys per ListObjectsV2 call (S3's maximum is 1000).
pub async fn from_s3_in_pages<T: Document>(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    page_size: i32,
) -> Result<Loaded<T>, SourceError> {
    let prefix = list_prefix(prefix);
    let list_error = |cause: String| SourceError::List {
        bucket: bucket.to_owned(),
        prefix: prefix.clone(),
        cause,
    };
    let pages: Vec<_> = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&prefix)
        .max_keys(page_size)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| list_error(DisplayErrorContext(e).to_string()))?;
    let keys: Vec<String> = pages
        .into_iter()
        .flat_map(|page| page.contents.unwrap_or_default())
        .filter_map(|object| object.key)
        .filter(|key| key.ends_with(".json"))
        .collect();

    let reads = futures::stream::iter(keys)
        .map(|key| async move {
            let result = client.get_object().bucket(bucket).key(&key).send().await;
            let object = match result {
                Ok(object) => object,
                // Deleted between the listing and the read: not a document any more.
                Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                    return Ok((key, Err("deleted while the report was read".to_owned())));
                }
                Err(e) => {
                    return Err(SourceError::Get {
                        bucket: bucket.to_owned(),
                        key,
                        cause: DisplayErrorContext(e).to_string(),
                    })
                }
            };
            match object.body.collect().await {
                Ok(bytes) => {
                    let parsed = T::parse(&bytes.into_bytes());
                    Ok((key, parsed))
                }
                Err(e) => Err(SourceError::Get {
                    bucket: bucket.to_owned(),
                    key,
                    cause: e.to_string(),
                }),
            }
        })
        .buffer_unordered(CONCURRENCY);
    let results: Vec<(String, Result<T, String>)> = reads.try_collect().await?;
    let mut loaded = Loaded::default();
    for (key, parsed) in results {
        loaded.add(key, parsed);
    }
    Ok(loaded.finish())
}

/// Every `*.json` file under `dir`, recursively (e.g. `aws s3 sync` of the findings
/// prefix, or of the coverage prefix).
pub fn from_dir<T: Document>(dir: &Path) -> Result<Loaded<T>, SourceError> {
    let mut files = Vec::new();
    collect_json_files(dir, &mut files)?;
    files.sort();
    let mut loaded = Loaded::default();
    for path in files {
        let bytes = std::fs::read(&path).map_err(|cause| SourceError::Io {
            path: path.clone(),
            cause,
        })?;
        loaded.add(path.display().to_string(), T::parse(&bytes));
    }
    Ok(loaded.finish())
}

fn collect_json_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let io = |cause| SourceError::Io {
        path: dir.to_owned(),
        cause,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        if entry.file_type().map_err(io)?.is_dir() {
            collect_json_files(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use inspectorlink_findings::testing::finding;
    use inspectorlink_findings::{Severity, Status};

    #[test]
    fn prefixes_are_listed_as_folders() {
        assert_eq!(list_prefix("findings"), "findings/");
        assert_eq!(list_prefix("/findings/"), "findings/");
        assert_eq!(list_prefix(""), "");
        assert_eq!(s3_source_label("b", "/findings/"), "s3://b/findings/");
        assert_eq!(s3_source_label("b", ""), "s3://b/");
    }

    #[test]
    fn a_directory_is_read_recursively_and_bad_files_are_skipped_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let a = finding(
            "a",
            "111111111111",
            "us-east-1",
            Severity::High,
            Status::Active,
        );
        let key = a.s3_key("findings");
        let path = dir.path().join(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut with_raw = a.clone();
        with_raw.raw = serde_json::json!({"agentId": "i-a"});
        std::fs::write(&path, serde_json::to_vec(&with_raw).unwrap()).unwrap();
        // The same finding later: the newer copy wins.
        let mut newer = a.clone();
        newer.last_observed_at = "2030-01-01T00:00:00Z".into();
        std::fs::write(
            dir.path().join("copy.json"),
            serde_json::to_vec(&newer).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.json"), b"{").unwrap();
        let mut future = serde_json::to_value(&a).unwrap();
        future["schema_version"] = 2.into();
        std::fs::write(dir.path().join("v2.json"), future.to_string()).unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"ignored").unwrap();

        let loaded: Loaded = from_dir(dir.path()).unwrap();
        assert_eq!(loaded.documents, vec![newer]);
        let reasons: Vec<&str> = loaded.skipped.iter().map(|(_, why)| why.as_str()).collect();
        assert_eq!(loaded.skipped.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].starts_with("not a finding document"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].contains("schema_version 2 is newer"),
            "{reasons:?}"
        );
    }

    #[test]
    fn a_missing_directory_names_itself() {
        let err = from_dir::<Finding>(Path::new("/nonexistent/findings")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("reading /nonexistent/findings: "),
            "{err}"
        );
    }
}

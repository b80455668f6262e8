//! Coverage documents: whether Inspector v2 scans a resource, and if not, why not; one per
//! resource and scan type (what ListCoverage calls a `CoveredResource`), documented in
//! docs/finding-schema.md, "Coverage documents". Three shapes become one: the
//! `Inspector2 Coverage` event (a scan status changed), the `Inspector2 Scan` event (the
//! first scan completed) and a ListCoverage item (the whole picture, from a sweep). The
//! shapes are those of tests/fixtures/inspector2/ (made by the local AWS's emulator).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::rfc3339;
use crate::v2::{self, is_account_id, is_region};

/// The EventBridge `detail-type` of a scan status change (source `aws.inspector2`).
pub const COVERAGE_DETAIL_TYPE: &str = "Inspector2 Coverage";
/// The EventBridge `detail-type` of a completed scan (source `aws.inspector2`).
pub const SCAN_DETAIL_TYPE: &str = "Inspector2 Scan";
/// The `scan-status` of a Scan event that says a resource's first scan completed.
pub const INITIAL_SCAN_COMPLETE: &str = "INITIAL_SCAN_COMPLETE";

/// Bumped when a field changes meaning or type; readers check it.
pub const COVERAGE_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub schema_version: u32,
    /// [`coverage_id`]: the same for every state of one resource's coverage by one scan type.
    pub id: String,
    /// The member account the resource is in.
    pub account_id: String,
    pub region: String,
    /// Instance id, image ARN (with its digest), repository ARN, function ARN, ...
    pub resource_id: String,
    /// `AWS_EC2_INSTANCE`, `AWS_ECR_CONTAINER_IMAGE`, `AWS_ECR_REPOSITORY`,
    /// `AWS_LAMBDA_FUNCTION`, `CODE_REPOSITORY`, ...; None when an event's resource id has
    /// none of the forms the API documents.
    pub resource_type: Option<String>,
    /// `PACKAGE`, `NETWORK` or `CODE` (or whatever else Inspector names).
    pub scan_type: String,
    pub scan_status: ScanStatus,
    /// e.g. `SUCCESSFUL`, `EXCLUDED_BY_TAG`, `UNMANAGED_EC2_INSTANCE`,
    /// `SCAN_ELIGIBILITY_EXPIRED`: kept as Inspector writes it.
    pub scan_status_reason: String,
    /// EC2 instances: `EC2_SSM_AGENT_BASED` or `EC2_AGENTLESS`, when the shape says.
    pub scan_mode: Option<String>,
    /// RFC 3339, UTC: when Inspector last scanned the resource, when the shape says.
    pub last_scanned_at: Option<String>,
    /// RFC 3339, UTC: when this state was seen (the event's time, or the sweep's).
    pub observed_at: String,
    pub source: CoverageSource,
    /// What it was made from, as given: the whole event, or the ListCoverage item.
    pub raw: Value,
}

/// Whether Inspector scans the resource (`scanStatus.statusCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScanStatus {
    Active,
    Inactive,
}

impl ScanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Active => "ACTIVE",
            ScanStatus::Inactive => "INACTIVE",
        }
    }
}

/// Which shape a coverage document was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageSource {
    CoverageEvent,
    ScanEvent,
    ListCoverage,
}

impl CoverageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageSource::CoverageEvent => "coverage_event",
            CoverageSource::ScanEvent => "scan_event",
            CoverageSource::ListCoverage => "list_coverage",
        }
    }
}

/// What a [`CoverageError`] was reading, as its message names it.
impl std::fmt::Display for CoverageSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CoverageSource::CoverageEvent => "Inspector2 Coverage event",
            CoverageSource::ScanEvent => "Inspector2 Scan event",
            CoverageSource::ListCoverage => "ListCoverage item",
        })
    }
}

/// Why a shape cannot become a coverage document; the message names the shape and field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoverageError {
    #[error("{0} that is not a JSON object")]
    NotAnObject(CoverageSource),
    #[error("{shape} without {field}")]
    Missing {
        shape: CoverageSource,
        field: &'static str,
    },
    #[error("{shape} with {field} {value} that is not {expected}")]
    Invalid {
        shape: CoverageSource,
        field: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// The document id of a resource's coverage by a scan type: the first 128 bits of SHA-256
/// over account, region, scan type and resource id, in hex (like `finding_id`). The scan
/// type is part of it because Inspector covers a resource once per scan type (a Lambda
/// function by `PACKAGE` and by `CODE`), each with a status of its own. The resource id
/// comes last, so the `:` and `/` it may contain cannot make two inputs alike.
pub fn coverage_id(account_id: &str, region: &str, scan_type: &str, resource_id: &str) -> String {
    let key = format!("{account_id}:{region}:{scan_type}:{resource_id}");
    let digest = Sha256::digest(key.as_bytes());
    hex::encode(&digest[..16])
}

/// The resource type a resource id's form names (the API reference's
/// `CoveredResource.resourceId` pattern), or None.
pub fn resource_type_of(resource_id: &str) -> Option<&'static str> {
    if resource_id.starts_with("i-") {
        return Some("AWS_EC2_INSTANCE");
    }
    let (_, service, _, resource) = arn_parts(resource_id)?;
    match service {
        "ecr" if resource.starts_with("repository/") => Some(if resource.contains("/sha256:") {
            "AWS_ECR_CONTAINER_IMAGE"
        } else {
            "AWS_ECR_REPOSITORY"
        }),
        "lambda" if resource.starts_with("function:") => Some("AWS_LAMBDA_FUNCTION"),
        "inspector2" if resource.starts_with("codesecurity-integration/") => {
            Some("CODE_REPOSITORY")
        }
        _ => None,
    }
}

/// `arn:partition:service:region:account:resource` → (partition, service, account, resource).
fn arn_parts(id: &str) -> Option<(&str, &str, &str, &str)> {
    let parts: Vec<&str> = id.splitn(6, ':').collect();
    match parts[..] {
        ["arn", partition, service, _region, account, resource] => {
            Some((partition, service, account, resource))
        }
        _ => None,
    }
}

/// The account an ARN names, when it names one.
fn arn_account(id: &str) -> Option<&str> {
    arn_parts(id)
        .map(|(_, _, account, _)| account)
        .filter(|account| is_account_id(account))
}

/// Reads the fields of one shape, so that every error names the shape and the field.
struct Fields<'a> {
    shape: CoverageSource,
    value: &'a Value,
}

impl<'a> Fields<'a> {
    fn new(shape: CoverageSource, value: &'a Value) -> Result<Self, CoverageError> {
        if value.is_object() {
            Ok(Fields { shape, value })
        } else {
            Err(CoverageError::NotAnObject(shape))
        }
    }

    /// The value at `field` (`detail.scanStatus.reason`, `resources[0]`); None when absent
    /// or null.
    fn get(&self, field: &str) -> Option<&'a Value> {
        let pointer: String = field
            .split(['.', '['])
            .map(|part| format!("/{}", part.trim_end_matches(']')))
            .collect();
        self.value.pointer(&pointer).filter(|v| !v.is_null())
    }

    fn invalid(&self, field: &'static str, value: &Value, expected: &'static str) -> CoverageError {
        CoverageError::Invalid {
            shape: self.shape,
            field,
            value: value.to_string(),
            expected,
        }
    }

    /// The string at `field`; None when absent, null or empty.
    fn text(&self, field: &'static str) -> Result<Option<&'a str>, CoverageError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.invalid(field, other, "a string")),
        }
    }

    fn required(&self, field: &'static str) -> Result<&'a str, CoverageError> {
        self.text(field)?.ok_or(CoverageError::Missing {
            shape: self.shape,
            field,
        })
    }

    /// The time at `field` as RFC 3339 UTC; None when absent or null.
    fn time(&self, field: &'static str) -> Result<Option<String>, CoverageError> {
        self.get(field)
            .map(|value| {
                v2::rfc3339_utc(value).ok_or_else(|| {
                    self.invalid(field, value, "a time (RFC 3339, or epoch seconds)")
                })
            })
            .transpose()
    }

    fn account(&self, field: &'static str, value: &str) -> Result<String, CoverageError> {
        if is_account_id(value) {
            Ok(value.to_owned())
        } else {
            Err(self.invalid(field, &Value::from(value), "12 digits"))
        }
    }

    fn region(&self, field: &'static str, value: &str) -> Result<String, CoverageError> {
        if is_region(value) {
            Ok(value.to_owned())
        } else {
            Err(self.invalid(field, &Value::from(value), "a region name"))
        }
    }

    fn status(&self, field: &'static str) -> Result<ScanStatus, CoverageError> {
        match self.required(field)? {
            "ACTIVE" => Ok(ScanStatus::Active),
            "INACTIVE" => Ok(ScanStatus::Inactive),
            other => Err(self.invalid(field, &Value::from(other), "ACTIVE or INACTIVE")),
        }
    }
}

impl Coverage {
    /// A document with its id derived from the identity fields.
    #[allow(clippy::too_many_arguments)]
    fn new(
        account_id: String,
        region: String,
        resource_id: String,
        resource_type: Option<String>,
        scan_type: String,
        scan_status: ScanStatus,
        scan_status_reason: String,
        observed_at: String,
        source: CoverageSource,
        raw: Value,
    ) -> Coverage {
        Coverage {
            schema_version: COVERAGE_SCHEMA_VERSION,
            id: coverage_id(&account_id, &region, &scan_type, &resource_id),
            account_id,
            region,
            resource_id,
            resource_type,
            scan_type,
            scan_status,
            scan_status_reason,
            scan_mode: None,
            last_scanned_at: None,
            observed_at,
            source,
            raw,
        }
    }

    /// An `Inspector2 Coverage` event (the whole EventBridge event): a resource's scan
    /// status changed. The resource is `resources[0]`; its account `detail.providerAccountId`,
    /// else the resource ARN's, else the event's `account`; its region
    /// `detail.providerRegion`, else the event's `region`. The event says nothing of when
    /// the resource was last scanned.
    pub fn from_coverage_event(event: &Value) -> Result<Coverage, CoverageError> {
        let fields = Fields::new(CoverageSource::CoverageEvent, event)?;
        let resource_id = fields.required("resources[0]")?;
        let account_id = match fields.text("detail.providerAccountId")? {
            Some(account) => fields.account("detail.providerAccountId", account)?,
            None => match arn_account(resource_id) {
                Some(account) => account.to_owned(),
                None => fields.account("account", fields.required("account")?)?,
            },
        };
        let region = match fields.text("detail.providerRegion")? {
            Some(region) => fields.region("detail.providerRegion", region)?,
            None => fields.region("region", fields.required("region")?)?,
        };
        let scan_status = fields.status("detail.scanStatus.statusCodeValue")?;
        let reason = fields.required("detail.scanStatus.reason")?;
        let scan_type = fields.required("detail.scanType")?;
        let observed_at = match fields.time("detail.eventTimestamp")? {
            Some(time) => time,
            None => fields.time("time")?.ok_or(CoverageError::Missing {
                shape: fields.shape,
                field: "detail.eventTimestamp",
            })?,
        };
        Ok(Coverage::new(
            account_id,
            region,
            resource_id.to_owned(),
            resource_type_of(resource_id).map(str::to_owned),
            scan_type.to_owned(),
            scan_status,
            reason.to_owned(),
            observed_at,
            CoverageSource::CoverageEvent,
            event.clone(),
        ))
    }

    /// An `Inspector2 Scan` event (the whole EventBridge event). `INITIAL_SCAN_COMPLETE`
    /// means Inspector scanned the resource for the first time, successfully, at the event's
    /// `time`: `ACTIVE`, `SUCCESSFUL`, scan type `PACKAGE` (the scan whose findings the
    /// event counts). Another `scan-status` says nothing of coverage: None.
    ///
    /// The resource: an ECR image is `detail.repository-name` (the repository ARN) and
    /// `detail.image-digest`; an EC2 instance `detail.instance-id`; anything else
    /// `resources[0]`. The account is the resource ARN's, else the event's `account`.
    pub fn from_scan_event(event: &Value) -> Result<Option<Coverage>, CoverageError> {
        let fields = Fields::new(CoverageSource::ScanEvent, event)?;
        if fields.required("detail.scan-status")? != INITIAL_SCAN_COMPLETE {
            return Ok(None);
        }
        let resource_id = match (
            fields.text("detail.repository-name")?,
            fields.text("detail.image-digest")?,
        ) {
            (Some(repository), Some(digest)) => {
                if resource_type_of(repository) != Some("AWS_ECR_REPOSITORY") {
                    return Err(fields.invalid(
                        "detail.repository-name",
                        &Value::from(repository),
                        "an ECR repository ARN",
                    ));
                }
                format!("{repository}/{digest}")
            }
            _ => match fields.text("detail.instance-id")? {
                Some(instance) => instance.to_owned(),
                None => fields.required("resources[0]")?.to_owned(),
            },
        };
        let account_id = match arn_account(&resource_id) {
            Some(account) => account.to_owned(),
            None => fields.account("account", fields.required("account")?)?,
        };
        let region = fields.region("region", fields.required("region")?)?;
        let time = fields.time("time")?.ok_or(CoverageError::Missing {
            shape: fields.shape,
            field: "time",
        })?;
        let resource_type = resource_type_of(&resource_id).map(str::to_owned);
        Ok(Some(Coverage {
            last_scanned_at: Some(time.clone()),
            ..Coverage::new(
                account_id,
                region,
                resource_id,
                resource_type,
                "PACKAGE".to_owned(),
                ScanStatus::Active,
                "SUCCESSFUL".to_owned(),
                time,
                CoverageSource::ScanEvent,
                event.clone(),
            )
        }))
    }

    /// One `CoveredResource` of ListCoverage, in the API's JSON (`lastScannedAt` in epoch
    /// seconds; RFC 3339 is read too), from a call to `region` answered at `observed_at`.
    /// The item names no region: ListCoverage answers for the region it is called in.
    pub fn from_covered_resource(
        item: Value,
        region: &str,
        observed_at: OffsetDateTime,
    ) -> Result<Coverage, CoverageError> {
        let fields = Fields::new(CoverageSource::ListCoverage, &item)?;
        let account_id = fields.account("accountId", fields.required("accountId")?)?;
        let region = fields.region("region", region)?;
        let observed_at = rfc3339::format(observed_at).ok_or_else(|| CoverageError::Invalid {
            shape: CoverageSource::ListCoverage,
            field: "observed_at",
            value: observed_at.to_string(),
            expected: "a time from 1970 to 9999",
        })?;
        let mut coverage = Coverage::new(
            account_id,
            region,
            fields.required("resourceId")?.to_owned(),
            Some(fields.required("resourceType")?.to_owned()),
            fields.required("scanType")?.to_owned(),
            fields.status("scanStatus.statusCode")?,
            fields.required("scanStatus.reason")?.to_owned(),
            observed_at,
            CoverageSource::ListCoverage,
            Value::Null,
        );
        coverage.scan_mode = fields.text("scanMode")?.map(str::to_owned);
        coverage.last_scanned_at = fields.time("lastScannedAt")?;
        coverage.raw = item;
        Ok(coverage)
    }

    /// The S3 key: Hive-style partitions (account, region) so Athena can prune, then the
    /// id. Derived only from the resource and scan type: every state is one object.
    pub fn s3_key(&self, prefix: &str) -> String {
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        };
        format!(
            "{prefix}account_id={}/region={}/{}.json",
            self.account_id, self.region, self.id
        )
    }

    /// The version of this state, so that no write replaces a newer state with an older
    /// one (as `Finding::version`): `observed_at` in milliseconds since the epoch. Not
    /// `last_scanned_at`: a status change (an exclusion tag) does not move it.
    pub fn version(&self) -> Option<i64> {
        rfc3339::millis(&self.observed_at)
    }

    /// Whether this state is at least as recent as `other`, another state of the same
    /// coverage: by `version`; one without a version is oldest.
    pub fn supersedes(&self, other: &Coverage) -> bool {
        self.version() >= other.version()
    }

    /// Whether `other` says the same of the resource: everything but when and from which
    /// shape it was seen. Storing such a state again would change nothing a reader uses.
    pub fn same_state_as(&self, other: &Coverage) -> bool {
        let seen = |c: &Coverage| Coverage {
            observed_at: String::new(),
            source: CoverageSource::ListCoverage,
            raw: Value::Null,
            ..c.clone()
        };
        seen(self) == seen(other)
    }

    /// This state completed from the one stored before it (None: the first): what this
    /// shape does not say and the stored one did. A Coverage event names neither the last
    /// scan nor the scan mode, and an event's resource id may have no known type; a
    /// later scan time is never replaced by an earlier one.
    pub fn following(mut self, previous: Option<&Coverage>) -> Coverage {
        let Some(previous) = previous else {
            return self;
        };
        let millis = |t: &Option<String>| t.as_deref().and_then(rfc3339::millis);
        if millis(&previous.last_scanned_at) > millis(&self.last_scanned_at) {
            self.last_scanned_at = previous.last_scanned_at.clone();
        }
        if self.scan_mode.is_none() {
            self.scan_mode = previous.scan_mode.clone();
        }
        if self.resource_type.is_none() {
            self.resource_type = previous.resource_type.clone();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            serde_json::from_str::<Value>(include_str!(concat!(
                "../tests/fixtures/inspector2/",
                $name,
                ".json"
            )))
            .unwrap()
        };
    }

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "eu-central-1";
    const IMAGE: &str = "arn:aws:ecr:eu-central-1:123456789012:repository/billing/sha256:5250b144e5c4fa5b08d9f8a1670693b20885e53914d35e3b9bff6c77d1d6f2ce";
    const FUNCTION: &str = "arn:aws:lambda:eu-central-1:123456789012:function:invoices:$LATEST";

    /// 2026-12-20T00:00:00Z: the sweep's time in these tests, after every fixture's.
    fn sweep_time() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_797_724_800).unwrap()
    }

    fn listed(item: Value) -> Coverage {
        Coverage::from_covered_resource(item, REGION, sweep_time()).unwrap()
    }

    fn scanned(event: &Value) -> Coverage {
        Coverage::from_scan_event(event).unwrap().unwrap()
    }

    #[test]
    fn a_coverage_event_of_a_scanned_instance() {
        let event = fixture!("coverage-event-ec2-successful");
        let doc = Coverage::from_coverage_event(&event).unwrap();
        let instance = "i-29877141c037e8192";
        assert_eq!(
            doc,
            Coverage {
                schema_version: 1,
                id: coverage_id(ACCOUNT, REGION, "PACKAGE", instance),
                account_id: ACCOUNT.into(),
                region: REGION.into(),
                resource_id: instance.into(),
                resource_type: Some("AWS_EC2_INSTANCE".into()),
                scan_type: "PACKAGE".into(),
                scan_status: ScanStatus::Active,
                scan_status_reason: "SUCCESSFUL".into(),
                scan_mode: None,
                last_scanned_at: None,
                observed_at: "2026-12-03T10:13:49.946215Z".into(),
                source: CoverageSource::CoverageEvent,
                raw: event.clone(),
            }
        );
        assert_eq!(doc.version(), Some(1_796_292_829_946));
    }

    #[test]
    fn a_list_coverage_item_of_a_scanned_instance() {
        let item = fixture!("list-coverage-ec2-successful");
        let doc = listed(item.clone());
        let instance = "i-29877141c037e8192";
        assert_eq!(
            doc,
            Coverage {
                schema_version: 1,
                id: coverage_id(ACCOUNT, REGION, "PACKAGE", instance),
                account_id: ACCOUNT.into(),
                region: REGION.into(),
                resource_id: instance.into(),
                resource_type: Some("AWS_EC2_INSTANCE".into()),
                scan_type: "PACKAGE".into(),
                scan_status: ScanStatus::Active,
                scan_status_reason: "SUCCESSFUL".into(),
                scan_mode: Some("EC2_SSM_AGENT_BASED".into()),
                last_scanned_at: Some("2026-12-03T10:13:49.946Z".into()),
                observed_at: "2026-12-20T00:00:00Z".into(),
                source: CoverageSource::ListCoverage,
                raw: item,
            }
        );
    }

    #[test]
    fn scan_events_of_an_instance_an_image_and_a_function() {
        let instance = scanned(&fixture!("scan-event-ec2"));
        let image = scanned(&fixture!("scan-event-ecr-image"));
        let function = scanned(&fixture!("scan-event-lambda"));
        let cases = [
            (&instance, "i-29877141c037e8192", "AWS_EC2_INSTANCE"),
            (&image, IMAGE, "AWS_ECR_CONTAINER_IMAGE"),
            (&function, FUNCTION, "AWS_LAMBDA_FUNCTION"),
        ];
        for (doc, resource, kind) in cases {
            assert_eq!(doc.resource_id, resource);
            assert_eq!(doc.resource_type.as_deref(), Some(kind));
            assert_eq!(
                (doc.account_id.as_str(), doc.region.as_str()),
                (ACCOUNT, REGION)
            );
            assert_eq!(
                (
                    doc.scan_type.as_str(),
                    doc.scan_status,
                    doc.scan_status_reason.as_str()
                ),
                ("PACKAGE", ScanStatus::Active, "SUCCESSFUL")
            );
            assert_eq!(doc.source, CoverageSource::ScanEvent);
            // Scanned at the event's time, which is also when it was seen.
            assert_eq!(doc.last_scanned_at.as_ref(), Some(&doc.observed_at));
            assert_eq!(doc.id, coverage_id(ACCOUNT, REGION, "PACKAGE", resource));
        }
        assert_eq!(instance.observed_at, "2026-12-03T10:13:50Z");
    }

    #[test]
    fn every_shape_of_one_resource_has_the_same_id() {
        let pairs = [
            (
                fixture!("coverage-event-ec2-successful"),
                fixture!("list-coverage-ec2-successful"),
            ),
            (
                fixture!("coverage-event-ec2-unmanaged"),
                fixture!("list-coverage-ec2-unmanaged"),
            ),
            (
                fixture!("coverage-event-ec2-excluded-by-tag"),
                fixture!("list-coverage-ec2-excluded-by-tag"),
            ),
            (
                fixture!("coverage-event-ecr-image-expired"),
                fixture!("list-coverage-ecr-image-expired"),
            ),
        ];
        for (event, item) in pairs {
            let (from_event, from_list) =
                (Coverage::from_coverage_event(&event).unwrap(), listed(item));
            assert_eq!(from_event.id, from_list.id, "{}", from_list.resource_id);
            assert_eq!(
                (&from_event.resource_id, &from_event.resource_type),
                (&from_list.resource_id, &from_list.resource_type)
            );
            assert_eq!(
                (from_event.scan_status, &from_event.scan_status_reason),
                (from_list.scan_status, &from_list.scan_status_reason)
            );
        }
        // The Scan event of an instance and an image too.
        assert_eq!(
            scanned(&fixture!("scan-event-ec2")).id,
            listed(fixture!("list-coverage-ec2-successful")).id
        );
        assert_eq!(
            scanned(&fixture!("scan-event-ecr-image")).id,
            listed(fixture!("list-coverage-ecr-image-expired")).id
        );
        assert_eq!(
            scanned(&fixture!("scan-event-lambda")).id,
            listed(fixture!("list-coverage-lambda")).id
        );
    }

    #[test]
    fn unscanned_resources_are_inactive_with_their_reason() {
        let cases = [
            (
                fixture!("coverage-event-ec2-excluded-by-tag"),
                fixture!("list-coverage-ec2-excluded-by-tag"),
                "EXCLUDED_BY_TAG",
            ),
            (
                fixture!("coverage-event-ec2-unmanaged"),
                fixture!("list-coverage-ec2-unmanaged"),
                "UNMANAGED_EC2_INSTANCE",
            ),
            (
                fixture!("coverage-event-ecr-image-expired"),
                fixture!("list-coverage-ecr-image-expired"),
                "SCAN_ELIGIBILITY_EXPIRED",
            ),
        ];
        for (event, item, reason) in cases {
            for doc in [Coverage::from_coverage_event(&event).unwrap(), listed(item)] {
                assert_eq!(doc.scan_status, ScanStatus::Inactive, "{reason}");
                assert_eq!(doc.scan_status_reason, reason);
            }
        }
        let expired = listed(fixture!("list-coverage-ecr-image-expired"));
        assert_eq!(
            expired.resource_type.as_deref(),
            Some("AWS_ECR_CONTAINER_IMAGE")
        );
        assert_eq!(expired.scan_mode, None);
    }

    #[test]
    fn a_repository_and_a_function_from_list_coverage() {
        let repository = listed(fixture!("list-coverage-ecr-repository"));
        assert_eq!(
            repository.resource_type.as_deref(),
            Some("AWS_ECR_REPOSITORY")
        );
        assert_eq!(
            resource_type_of(&repository.resource_id),
            Some("AWS_ECR_REPOSITORY")
        );
        let function = listed(fixture!("list-coverage-lambda"));
        assert_eq!(function.resource_id, FUNCTION);
        assert_eq!(
            function.resource_type.as_deref(),
            Some("AWS_LAMBDA_FUNCTION")
        );
    }

    #[test]
    fn one_function_covered_by_two_scan_types_is_two_documents() {
        let package = listed(fixture!("list-coverage-lambda"));
        let mut item = fixture!("list-coverage-lambda");
        item["scanType"] = "CODE".into();
        item["scanStatus"] = json!({"statusCode": "INACTIVE", "reason": "EXCLUDED_BY_TAG"});
        let code = listed(item);
        assert_ne!(package.id, code.id);
        assert_eq!(
            package.s3_key("coverage").len(),
            code.s3_key("coverage").len()
        );
    }

    #[test]
    fn the_account_is_the_resources_not_the_bus_owners() {
        // Through the delegated administrator's bus, `account` is the administrator's.
        let admin = "999999999999";
        let mut event = fixture!("coverage-event-ec2-unmanaged");
        event["account"] = admin.into();
        assert_eq!(
            Coverage::from_coverage_event(&event).unwrap().account_id,
            ACCOUNT
        );
        // Without providerAccountId (the older event): the ARN's account, else `account`.
        let mut image = fixture!("coverage-event-ecr-image-expired");
        image["account"] = admin.into();
        image["detail"]
            .as_object_mut()
            .unwrap()
            .remove("providerAccountId");
        assert_eq!(
            Coverage::from_coverage_event(&image).unwrap().account_id,
            ACCOUNT
        );
        event["detail"]
            .as_object_mut()
            .unwrap()
            .remove("providerAccountId");
        assert_eq!(
            Coverage::from_coverage_event(&event).unwrap().account_id,
            admin
        );
        let mut scan = fixture!("scan-event-lambda");
        scan["account"] = admin.into();
        assert_eq!(scanned(&scan).account_id, ACCOUNT);
    }

    #[test]
    fn a_coverage_event_without_provider_fields_or_timestamp_falls_back() {
        let mut event = fixture!("coverage-event-ec2-excluded-by-tag");
        let detail = event["detail"].as_object_mut().unwrap();
        for field in ["providerRegion", "eventTimestamp"] {
            detail.remove(field);
        }
        let doc = Coverage::from_coverage_event(&event).unwrap();
        assert_eq!(doc.region, REGION);
        assert_eq!(doc.observed_at, "2026-12-03T10:13:50Z");
    }

    #[test]
    fn other_scan_statuses_say_nothing_of_coverage() {
        let mut event = fixture!("scan-event-ec2");
        event["detail"]["scan-status"] = "SCAN_IN_PROGRESS".into();
        assert_eq!(Coverage::from_scan_event(&event), Ok(None));
    }

    #[test]
    fn newest_state_wins_and_keeps_what_the_event_does_not_say() {
        let swept = listed(fixture!("list-coverage-ec2-excluded-by-tag"));
        let excluded =
            Coverage::from_coverage_event(&fixture!("coverage-event-ec2-excluded-by-tag")).unwrap();
        // The sweep ran after the event: its state is the newer.
        assert!(swept.supersedes(&excluded) && !excluded.supersedes(&swept));
        let mut later_event = excluded.clone();
        later_event.observed_at = "2026-12-21T00:00:00Z".into();
        let merged = later_event.following(Some(&swept));
        assert_eq!(merged.last_scanned_at, swept.last_scanned_at);
        assert_eq!(merged.scan_mode.as_deref(), Some("EC2_SSM_AGENT_BASED"));
        assert_eq!(merged.scan_status_reason, "EXCLUDED_BY_TAG");
        // A later scan time stays.
        let mut rescanned = swept.clone();
        rescanned.last_scanned_at = Some("2027-01-01T00:00:00Z".into());
        assert_eq!(
            rescanned.clone().following(Some(&swept)).last_scanned_at,
            rescanned.last_scanned_at
        );
        assert_eq!(excluded.clone().following(None), excluded);
    }

    #[test]
    fn s3_keys_are_partitioned_by_account_and_region() {
        let doc = listed(fixture!("list-coverage-ec2-unmanaged"));
        let expected = format!("account_id={ACCOUNT}/region={REGION}/{}.json", doc.id);
        assert_eq!(doc.s3_key("coverage"), format!("coverage/{expected}"));
        assert_eq!(doc.s3_key("/coverage/"), format!("coverage/{expected}"));
        assert_eq!(doc.s3_key(""), expected);
        assert_eq!(doc.id.len(), 32);
    }

    #[test]
    fn documents_survive_json() {
        let docs = [
            Coverage::from_coverage_event(&fixture!("coverage-event-ecr-image-expired")).unwrap(),
            scanned(&fixture!("scan-event-ecr-image")),
            listed(fixture!("list-coverage-lambda")),
        ];
        for doc in docs {
            crate::fuzzing::coverage_document(&doc);
        }
        let json = serde_json::to_value(listed(fixture!("list-coverage-ec2-unmanaged"))).unwrap();
        assert_eq!(json["scan_status"], "INACTIVE");
        assert_eq!(json["source"], "list_coverage");
    }

    /// The OpenSearch template is `dynamic: strict`: a field it does not map is a refused
    /// document, and a mapped field no document has is a mistake in one or the other.
    #[test]
    fn the_index_template_maps_every_field_and_no_other() {
        let template: Value = serde_json::from_str(include_str!(
            "../../core/opensearch/coverage-index-template.json"
        ))
        .unwrap();
        let mappings = &template["template"]["mappings"];
        assert_eq!(mappings["dynamic"], "strict");
        let mapped: Vec<&String> = mappings["properties"].as_object().unwrap().keys().collect();
        // Every optional field set, so that the document has them all.
        let mut doc = listed(fixture!("list-coverage-ec2-successful"));
        doc.resource_type.get_or_insert_with(String::new);
        let json = serde_json::to_value(&doc).unwrap();
        let fields: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(mapped, fields);
    }

    #[test]
    fn resource_types_follow_the_documented_id_forms() {
        let cases = [
            ("i-0123456789abcdef0", Some("AWS_EC2_INSTANCE")),
            ("arn:aws:ecr:us-east-1:111122223333:repository/a/b", Some("AWS_ECR_REPOSITORY")),
            (IMAGE, Some("AWS_ECR_CONTAINER_IMAGE")),
            ("arn:aws:lambda:us-east-1:111122223333:function:f", Some("AWS_LAMBDA_FUNCTION")),
            (
                "arn:aws:inspector2:us-east-1:111122223333:codesecurity-integration/0b6f2a3c-8f1e-4b9a-9f43-2d6c3e1a7b55/project-1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                Some("CODE_REPOSITORY"),
            ),
            ("arn:aws:s3:::bucket", None),
            ("vm-1", None),
        ];
        for (id, kind) in cases {
            assert_eq!(resource_type_of(id), kind, "{id}");
        }
    }

    #[test]
    fn broken_shapes_say_which_field() {
        let edit = |mut value: Value, pointer: &str, new: Value| {
            if new.is_null() {
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                value
                    .pointer_mut(parent)
                    .unwrap()
                    .as_object_mut()
                    .unwrap()
                    .remove(key);
            } else {
                *value.pointer_mut(pointer).unwrap() = new;
            }
            value
        };
        let coverage = fixture!("coverage-event-ec2-unmanaged");
        let cases = [
            (
                edit(coverage.clone(), "/resources", json!([])),
                "Inspector2 Coverage event without resources[0]",
            ),
            (
                edit(
                    coverage.clone(),
                    "/detail/scanStatus/statusCodeValue",
                    Value::Null,
                ),
                "without detail.scanStatus.statusCodeValue",
            ),
            (
                edit(
                    coverage.clone(),
                    "/detail/scanStatus/statusCodeValue",
                    json!("PAUSED"),
                ),
                "detail.scanStatus.statusCodeValue \"PAUSED\" that is not ACTIVE or INACTIVE",
            ),
            (
                edit(coverage.clone(), "/detail/scanStatus/reason", json!(7)),
                "detail.scanStatus.reason 7 that is not a string",
            ),
            (
                edit(coverage.clone(), "/detail/scanType", Value::Null),
                "without detail.scanType",
            ),
            (
                edit(
                    coverage.clone(),
                    "/detail/providerAccountId",
                    json!("12345"),
                ),
                "detail.providerAccountId \"12345\" that is not 12 digits",
            ),
            (
                edit(coverage.clone(), "/detail/providerRegion", json!("../x")),
                "detail.providerRegion \"../x\" that is not a region name",
            ),
            (
                edit(
                    coverage.clone(),
                    "/detail/eventTimestamp",
                    json!("yesterday"),
                ),
                "detail.eventTimestamp \"yesterday\" that is not a time",
            ),
            (
                edit(
                    edit(coverage.clone(), "/detail/eventTimestamp", Value::Null),
                    "/time",
                    Value::Null,
                ),
                "without detail.eventTimestamp",
            ),
            (
                json!([1]),
                "Inspector2 Coverage event that is not a JSON object",
            ),
        ];
        for (event, expected) in cases {
            let err = Coverage::from_coverage_event(&event)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
        }

        let scan = fixture!("scan-event-ecr-image");
        let cases = [
            (
                edit(scan.clone(), "/detail/scan-status", Value::Null),
                "Inspector2 Scan event without detail.scan-status",
            ),
            (
                edit(scan.clone(), "/detail/repository-name", json!("billing")),
                "detail.repository-name \"billing\" that is not an ECR repository ARN",
            ),
            (edit(scan.clone(), "/time", Value::Null), "without time"),
            (
                edit(scan.clone(), "/region", json!("EU")),
                "region \"EU\" that is not a region name",
            ),
            (
                edit(fixture!("scan-event-ec2"), "/account", Value::Null),
                "Inspector2 Scan event without account",
            ),
            (
                edit(
                    edit(
                        fixture!("scan-event-ec2"),
                        "/detail/instance-id",
                        Value::Null,
                    ),
                    "/resources",
                    json!([]),
                ),
                "without resources[0]",
            ),
        ];
        for (event, expected) in cases {
            let err = Coverage::from_scan_event(&event).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }

        let item = fixture!("list-coverage-ec2-unmanaged");
        let cases = [
            (
                edit(item.clone(), "/accountId", Value::Null),
                "ListCoverage item without accountId",
            ),
            (
                edit(item.clone(), "/resourceType", Value::Null),
                "without resourceType",
            ),
            (
                edit(item.clone(), "/scanStatus", Value::Null),
                "without scanStatus.statusCode",
            ),
            (
                edit(item.clone(), "/lastScannedAt", json!(-5)),
                "lastScannedAt -5 that is not a time",
            ),
            (
                edit(item.clone(), "/scanMode", json!({})),
                "scanMode {} that is not a string",
            ),
        ];
        for (item, expected) in cases {
            let err = Coverage::from_covered_resource(item, REGION, sweep_time())
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
        }
        let err = Coverage::from_covered_resource(item, "", sweep_time()).unwrap_err();
        assert!(err
            .to_string()
            .contains("region \"\" that is not a region name"));
    }
}

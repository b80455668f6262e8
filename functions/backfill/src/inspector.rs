//! One ListFindings page, as the JSON Inspector sent. The SDK does the signing, retries
//! (with backoff on throttling) and errors; an interceptor keeps the response body, whose
//! findings are the events' `detail` without a lossy trip through the SDK's types.

use std::sync::{Arc, Mutex};

use aws_sdk_inspector2::config::http::HttpResponse;
use aws_sdk_inspector2::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_inspector2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_inspector2::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_inspector2::operation::list_findings::ListFindingsError;
use aws_sdk_inspector2::types::{FilterCriteria, StringComparison, StringFilter};
use serde_json::Value;

/// What the run lists: each list is ORed within, and the lists ANDed (empty: no filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub statuses: Vec<String>,
    pub severities: Vec<String>,
    pub account_ids: Vec<String>,
}

impl Filters {
    pub fn criteria(&self) -> FilterCriteria {
        let equals = |value: &String| {
            StringFilter::builder()
                .comparison(StringComparison::Equals)
                .value(value)
                .build()
                .expect("comparison and value are set")
        };
        let list = |values: &[String]| {
            (!values.is_empty()).then(|| values.iter().map(equals).collect::<Vec<_>>())
        };
        FilterCriteria::builder()
            .set_finding_status(list(&self.statuses))
            .set_severity(list(&self.severities))
            .set_aws_account_id(list(&self.account_ids))
            .build()
    }
}

/// One page: the findings as JSON objects, and where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub findings: Vec<Value>,
    pub next_token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("Inspector refused inspector2:ListFindings in {region} ({code}: {message}): run the backfill in the delegated administrator (security) account, with credentials allowed inspector2:ListFindings")]
    AccessDenied {
        region: String,
        code: String,
        message: String,
    },
    #[error("Inspector throttled inspector2:ListFindings in {region} after retries ({message}): run again later (the run resumes) with a lower --max-requests-per-second")]
    Throttled { region: String, message: String },
    #[error("Inspector rejected inspector2:ListFindings in {region} ({code}: {message}); if this run resumed from the state file, its nextToken may have expired: pass --restart (findings already sent are sent again and overwrite their documents)")]
    Rejected {
        region: String,
        code: String,
        message: String,
    },
    #[error("could not reach Inspector in {region}: {detail}; is it a region where Inspector v2 runs, and is the network or AWS_ENDPOINT_URL right?")]
    Unreachable { region: String, detail: String },
    #[error("inspector2:ListFindings in {region} failed: {detail}")]
    Other { region: String, detail: String },
}

impl ListError {
    fn from_sdk(region: &str, err: SdkError<ListFindingsError, HttpResponse>) -> Self {
        let region = region.to_owned();
        // Without an error code (a body that is not Inspector's JSON, e.g. from a proxy),
        // the HTTP status says what happened.
        let status = match &err {
            SdkError::ServiceError(context) => Some(context.raw().status().as_u16()),
            _ => None,
        };
        let code = match (err.code(), status) {
            (Some(code), _) => code.to_owned(),
            (None, Some(403)) => "AccessDeniedException".to_owned(),
            (None, Some(429)) => "ThrottlingException".to_owned(),
            _ => String::new(),
        };
        let message = match (err.message(), status) {
            (Some(message), _) => message.to_owned(),
            (None, Some(status)) => format!("HTTP {status}"),
            (None, None) => String::new(),
        };
        match (&err, code.as_str()) {
            (_, "AccessDeniedException" | "UnrecognizedClientException") => {
                ListError::AccessDenied {
                    region,
                    code,
                    message,
                }
            }
            (_, "ThrottlingException") => ListError::Throttled { region, message },
            (_, "ValidationException") => ListError::Rejected {
                region,
                code,
                message,
            },
            (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_), _) => {
                ListError::Unreachable {
                    region,
                    detail: DisplayErrorContext(&err).to_string(),
                }
            }
            _ => ListError::Other {
                region,
                detail: DisplayErrorContext(&err).to_string(),
            },
        }
    }
}

/// Keeps the body of the response the SDK deserialised (the last attempt's).
#[derive(Debug, Clone, Default)]
struct ResponseBody(Arc<Mutex<Option<Vec<u8>>>>);

impl Intercept for ResponseBody {
    fn name(&self) -> &'static str {
        "inspectorlink-backfill-response-body"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.response().body().bytes() {
            *self.0.lock().expect("not poisoned") = Some(bytes.to_vec());
        }
        Ok(())
    }
}

/// The page of `criteria` that starts at `next_token` (None: the first).
pub async fn list_page(
    client: &aws_sdk_inspector2::Client,
    region: &str,
    criteria: &FilterCriteria,
    page_size: i32,
    next_token: Option<&str>,
) -> Result<Page, ListError> {
    let body = ResponseBody::default();
    let output = client
        .list_findings()
        .filter_criteria(criteria.clone())
        .max_results(page_size)
        .set_next_token(next_token.map(str::to_owned))
        .customize()
        .interceptor(body.clone())
        .send()
        .await
        .map_err(|err| ListError::from_sdk(region, err))?;
    let other = |detail: String| ListError::Other {
        region: region.to_owned(),
        detail,
    };
    let bytes = body
        .0
        .lock()
        .expect("not poisoned")
        .take()
        .ok_or_else(|| other("the response body was not available".to_owned()))?;
    let mut answer: Value = serde_json::from_slice(&bytes)
        .map_err(|e| other(format!("the response is not JSON: {e}")))?;
    let findings = match answer.get_mut("findings").map(Value::take) {
        Some(Value::Array(findings)) => findings,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(other("the response's findings are not a list".to_owned())),
    };
    if findings.len() != output.findings().len() {
        return Err(other(format!(
            "the response body holds {} findings, the SDK read {}",
            findings.len(),
            output.findings().len()
        )));
    }
    Ok(Page {
        findings,
        next_token: output.next_token().map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_equals_criteria_and_empty_lists_no_criterion() {
        let criteria = Filters {
            statuses: vec!["ACTIVE".into()],
            severities: vec!["HIGH".into(), "CRITICAL".into()],
            account_ids: vec![],
        }
        .criteria();
        let values = |filters: &[StringFilter]| -> Vec<String> {
            filters
                .iter()
                .map(|f| format!("{} {}", f.comparison().as_str(), f.value()))
                .collect()
        };
        assert_eq!(values(criteria.finding_status()), ["EQUALS ACTIVE"]);
        assert_eq!(
            values(criteria.severity()),
            ["EQUALS HIGH", "EQUALS CRITICAL"]
        );
        assert!(criteria.aws_account_id.is_none());
    }
}

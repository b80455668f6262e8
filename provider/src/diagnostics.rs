//! Diagnostics as users should read them: a plain summary naming the operation and the
//! cause, a detail that says what to do, and the attribute at fault.

use aws_sdk_inspector::error::{ProvideErrorMetadata, SdkError};
use tf_provider::{AttributePath, Diagnostic, Diagnostics};

/// Adds an error on `attribute` (`AttributePath::root()` for the whole block).
pub fn error(
    diags: &mut Diagnostics,
    attribute: AttributePath,
    summary: impl Into<String>,
    detail: impl Into<String>,
) {
    // Built field by field: `Diagnostic::new` would append a backtrace when one is enabled.
    diags.add_error(Diagnostic {
        summary: summary.into().into(),
        detail: detail.into().into(),
        attribute,
    });
}

/// What an AWS call failed with: the exception (e.g. `AccessDeniedException`), Inspector's
/// `errorCode` (e.g. `ACCESS_DENIED_TO_SNS_TOPIC`) and a readable one-line cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    pub exception: Option<String>,
    pub error_code: Option<String>,
    pub cause: String,
}

impl AwsFailure {
    /// `error_code` reads Inspector's modelled `errorCode` from the operation's error type.
    pub fn new<E, R>(err: &SdkError<E, R>, error_code: impl Fn(&E) -> Option<String>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match err {
            SdkError::ServiceError(service) => {
                let exception = service.err().code().map(str::to_owned);
                let message = service.err().message().unwrap_or("no message");
                AwsFailure {
                    error_code: error_code(service.err()),
                    cause: match &exception {
                        Some(exception) => format!("{exception}: {message}"),
                        None => message.to_owned(),
                    },
                    exception,
                }
            }
            other => AwsFailure {
                exception: None,
                error_code: None,
                cause: chain(other),
            },
        }
    }
}

/// An error and its sources on one line ("dispatch failure: io error: Connection refused").
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_the_detail_and_path_as_given() {
        let mut diags = Diagnostics::default();
        error(
            &mut diags,
            AttributePath::new("topic_arn"),
            "summary",
            "detail",
        );
        assert_eq!(diags.errors[0].detail, "detail");
        assert_eq!(diags.errors[0].attribute.to_string(), "topic_arn");
    }
}

//! What the Inspector v2 resources and data source share: checks of enumerated values,
//! and the failure of a call that carries no Inspector `errorCode`.

use aws_sdk_inspector2::error::{ProvideErrorMetadata, SdkError};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::diagnostics::{error, AwsFailure};

/// The failure of an Inspector v2 call (v2 errors carry no `errorCode` member).
pub fn failure<E, R>(err: &SdkError<E, R>) -> AwsFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    AwsFailure::new(err, |_| None)
}

/// Reports a known `value` that is not one of `allowed`, on `path`.
pub fn check_one_of(
    diags: &mut Diagnostics,
    path: AttributePath,
    name: &str,
    value: &Value<String>,
    allowed: &[&str],
) {
    if let Value::Value(value) = value {
        if !allowed.contains(&value.as_str()) {
            error(
                diags,
                path,
                format!("invalid {name}: {value:?}"),
                format!("Use one of {}.", allowed.join(", ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_list_are_reported_with_the_list() {
        let mut diags = Diagnostics::default();
        let allowed = ["LEVEL_1", "LEVEL_2"];
        check_one_of(
            &mut diags,
            AttributePath::new("a"),
            "a",
            &Value::Value("LEVEL_1".into()),
            &allowed,
        );
        check_one_of(
            &mut diags,
            AttributePath::new("a"),
            "a",
            &Value::Unknown,
            &allowed,
        );
        assert!(diags.errors.is_empty());
        check_one_of(
            &mut diags,
            AttributePath::new("a"),
            "a",
            &Value::Value("level_1".into()),
            &allowed,
        );
        assert_eq!(diags.errors[0].summary, "invalid a: \"level_1\"");
        assert_eq!(diags.errors[0].detail, "Use one of LEVEL_1, LEVEL_2.");
    }
}

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

/// A block of at most one (`NestedBlock::Optional`, a list block) as a `Value`, like
/// tf-provider's `serde_as_vec`, but also when the whole list is unknown: a `dynamic`
/// block whose `for_each` is not known yet (validation sees variables as unknown).
pub mod optional_block {
    use serde::{de::Error, Deserialize, Deserializer, Serialize, Serializer};
    use tf_provider::value::{serde_as_vec, Value};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Value<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serde_as_vec::serialize(value, serializer)
    }

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Value<T>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        match Value::<Vec<Value<T>>>::deserialize(deserializer)? {
            Value::Unknown => Ok(Value::Unknown),
            Value::Null => Ok(Value::Null),
            Value::Value(blocks) => {
                let mut blocks = blocks.into_iter();
                match (blocks.next(), blocks.next()) {
                    (None, _) => Ok(Value::Null),
                    (Some(block), None) => Ok(block),
                    (Some(_), Some(_)) => {
                        Err(D::Error::custom("a block of at most one was given twice"))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Holder {
        #[serde(with = "optional_block")]
        block: Value<String>,
    }

    #[test]
    fn optional_blocks_may_be_unknown_absent_or_one() {
        // An unknown list, as tf-provider writes one (a msgpack extension; here its JSON form).
        let unknown_list = serde_json::to_string(&Value::<Vec<Value<String>>>::Unknown).unwrap();
        let unknown: Holder =
            serde_json::from_str(&format!(r#"{{"block": {unknown_list}}}"#)).unwrap();
        assert_eq!(unknown.block, Value::Unknown);
        let none: Holder = serde_json::from_str(r#"{"block": []}"#).unwrap();
        assert_eq!(none.block, Value::Null);
        let one: Holder = serde_json::from_str(r#"{"block": ["a"]}"#).unwrap();
        assert_eq!(one.block, Value::Value("a".to_owned()));
        assert!(serde_json::from_str::<Holder>(r#"{"block": ["a", "b"]}"#).is_err());
        assert_eq!(serde_json::to_string(&one).unwrap(), r#"{"block":["a"]}"#);
    }

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

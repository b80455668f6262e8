//! CloudWatch metrics as Embedded Metric Format lines on stdout: the Lambda's log stream
//! becomes metrics without PutMetricData calls.

use serde_json::json;

pub const NAMESPACE: &str = "inspectorlink";

/// Prints one EMF record with `counts` (name, value) under dimension Function.
pub fn emit_counts(function: &str, counts: &[(&str, u64)]) {
    println!("{}", emf_record(function, counts, now_millis()));
}

fn emf_record(function: &str, counts: &[(&str, u64)], timestamp_ms: u128) -> String {
    let mut record = json!({
        "_aws": {
            "Timestamp": timestamp_ms as u64,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function"]],
                "Metrics": counts.iter().map(|(name, _)| json!({"Name": name, "Unit": "Count"})).collect::<Vec<_>>(),
            }],
        },
        "Function": function,
    });
    for (name, value) in counts {
        record[*name] = json!(value);
    }
    record.to_string()
}

fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_follow_the_embedded_metric_format() {
        let record: serde_json::Value = serde_json::from_str(&emf_record(
            "send-findings",
            &[("FindingsStored", 3), ("RecordsFailed", 1)],
            1_700_000_000_000,
        ))
        .unwrap();
        assert_eq!(record["_aws"]["Timestamp"], 1_700_000_000_000u64);
        assert_eq!(
            record["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            "inspectorlink"
        );
        assert_eq!(
            record["_aws"]["CloudWatchMetrics"][0]["Metrics"][1]["Name"],
            "RecordsFailed"
        );
        assert_eq!(record["FindingsStored"], 3);
        assert_eq!(record["Function"], "send-findings");
    }
}

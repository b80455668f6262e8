//! Any bytes as an SQS record body: `parse_record_body` never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inspectorlink_findings::fuzzing::record_body(data));

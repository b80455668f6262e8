//! Any bytes as the detail of an `Inspector2 Finding` event: normalisation never panics,
//! and its document survives JSON with a safe S3 key (the checks are in the crate's
//! `fuzzing` module).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inspectorlink_findings::fuzzing::v2_finding(data));

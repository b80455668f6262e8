//! Any bytes as a DescribeFindings finding: normalisation never panics, and its document
//! survives JSON with a safe S3 key (the checks are in the crate's `fuzzing` module).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inspectorlink_findings::fuzzing::classic_finding(data));

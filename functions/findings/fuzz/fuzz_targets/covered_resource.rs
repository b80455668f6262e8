//! Any bytes as one ListCoverage item (a `CoveredResource`): parsing never panics, and its
//! coverage document survives JSON with a safe S3 key (the checks are in the crate's
//! `fuzzing` module).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| inspectorlink_findings::fuzzing::covered_resource(data));

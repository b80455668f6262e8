//! What Inspector v2's BatchGetFindingDetails adds to a package vulnerability finding: the
//! `Inspector2 Finding` event does not say whether the CVE is in CISA's Known Exploited
//! Vulnerabilities catalogue or whether exploitation has been seen. core's details.rs
//! fetches them; a document keeps them, or the reason it has none, in `details`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingDetails {
    pub status: DetailsStatus,
    /// Why there are none: Inspector's error code (`not_found`) or the failed call
    /// (`unavailable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The CVE is in CISA's KEV catalogue (Inspector's `cisaData`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<Kev>,
    /// Exploitation seen in the wild (Inspector's `exploitObserved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploit_observed: Option<ExploitObserved>,
    /// MITRE ATT&CK tactics, techniques and procedures tied to the vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ttps: Vec<String>,
    /// Tools known to exploit it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetailsStatus {
    /// Inspector answered with details (some may be empty: no KEV entry, nothing observed).
    Fetched,
    /// Inspector has none for this finding (`FINDING_DETAILS_NOT_FOUND`, ...): final.
    NotFound,
    /// The call failed (throttled, denied, unreachable): the finding was stored without
    /// them, and its next event asks again.
    Unavailable,
}

/// A CISA KEV catalogue entry. Times are RFC 3339, UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kev {
    pub date_added: Option<String>,
    /// When US federal agencies must have remediated it (BOD 22-01): a deadline worth
    /// keeping to anywhere.
    pub due_date: Option<String>,
    pub required_action: Option<String>,
}

/// Times are RFC 3339, UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploitObserved {
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

impl FindingDetails {
    /// Details that could not be had, and why.
    pub fn missing(status: DetailsStatus, reason: impl Into<String>) -> FindingDetails {
        FindingDetails {
            status,
            reason: Some(reason.into()),
            kev: None,
            exploit_observed: None,
            ttps: Vec::new(),
            tools: Vec::new(),
        }
    }
}

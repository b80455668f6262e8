//! The priority of a finding: one score (0-100) and label (P1-P5) for both engines, from how
//! bad the vulnerability is and how likely it is to be used against this resource. Teams
//! with thousands of findings fix by exploitability, not by severity alone. Written down,
//! with its reasons and worked examples, in docs/finding-schema.md ("Priority"); the tests
//! below are those examples.

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};

// The parts add up to 100 at most, so the score never saturates: findings that differ in
// any signal keep different scores, however many there are.
/// Points per point of severity score (0-10): severity alone reaches 60 at most, so P1 (80)
/// needs evidence of exploitation or exposure: "severe and likely to be used".
const SEVERITY_WEIGHT: f64 = 6.0;
/// An exploit is known to exist (v2 `exploitAvailable`), or exploitation has been seen
/// (BatchGetFindingDetails' `exploitObserved`).
const EXPLOIT_AVAILABLE: f64 = 12.0;
/// The lowest score of a vulnerability in CISA's Known Exploited Vulnerabilities catalogue:
/// exploited in the wild and on a remediation deadline, so P1 whatever else it says.
const KEV_FLOOR: u8 = 80;
/// EPSS bands (probability of exploitation in the next 30 days) and their points. Most CVEs
/// score under 0.01; 0.1 is about the top 5 %.
const EPSS_BANDS: [(f64, f64); 3] = [(0.5, 15.0), (0.1, 9.0), (0.01, 4.0)];
/// Reachable from the internet: a v2 network-reachability finding, or a resource with a
/// public IP address.
const EXPOSED: f64 = 8.0;
/// A fix exists: the finding can be closed today. PARTIAL: some of its packages have one.
const FIX_AVAILABLE: f64 = 5.0;
const FIX_PARTIAL: f64 = 2.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Priority {
    /// 0-100; higher first.
    pub score: u8,
    pub label: PriorityLabel,
}

/// P1 (score 80 and above), P2 (60), P3 (40), P4 (15), P5 (below 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PriorityLabel {
    P1,
    P2,
    P3,
    P4,
    P5,
}

impl PriorityLabel {
    /// The lowest score of each label, P1 first.
    pub const THRESHOLDS: [(PriorityLabel, u8); 5] = [
        (PriorityLabel::P1, 80),
        (PriorityLabel::P2, 60),
        (PriorityLabel::P3, 40),
        (PriorityLabel::P4, 15),
        (PriorityLabel::P5, 0),
    ];

    pub fn of_score(score: u8) -> PriorityLabel {
        Self::THRESHOLDS
            .iter()
            .find(|(_, lowest)| score >= *lowest)
            .map_or(PriorityLabel::P5, |(label, _)| *label)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PriorityLabel::P1 => "P1",
            PriorityLabel::P2 => "P2",
            PriorityLabel::P3 => "P3",
            PriorityLabel::P4 => "P4",
            PriorityLabel::P5 => "P5",
        }
    }
}

impl Priority {
    /// The priority of `finding` as it is (normalised, and enriched where the engine needs
    /// it: a Classic finding's public IPs come from EC2).
    pub fn of(finding: &Finding) -> Priority {
        let severity = finding
            .severity_score
            .or_else(|| finding.cvss.as_ref().and_then(|cvss| cvss.base_score))
            .filter(|score| score.is_finite())
            .unwrap_or_else(|| typical_score(finding.severity))
            .clamp(0.0, 10.0);
        let details = finding.details.as_ref();
        let exploit_observed = details.is_some_and(|d| d.exploit_observed.is_some());
        let exploit = if finding.exploit_available == Some(true) || exploit_observed {
            EXPLOIT_AVAILABLE
        } else {
            0.0
        };
        let epss = finding
            .epss_score
            .and_then(|epss| EPSS_BANDS.iter().find(|(lowest, _)| epss >= *lowest))
            .map_or(0.0, |(_, points)| *points);
        let exposed =
            if finding.network_reachability.is_some() || !finding.resource.public_ips.is_empty() {
                EXPOSED
            } else {
                0.0
            };
        let fix = match finding.fix_available.as_deref() {
            Some("YES") => FIX_AVAILABLE,
            Some("PARTIAL") => FIX_PARTIAL,
            _ => 0.0,
        };
        let total = SEVERITY_WEIGHT * severity + exploit + epss + exposed + fix;
        // At most 100 by construction; clamped all the same, so the cast cannot truncate.
        let mut score = total.round().clamp(0.0, 100.0) as u8;
        if details.is_some_and(|d| d.kev.is_some()) {
            score = score.max(KEV_FLOOR);
        }
        Priority {
            score,
            label: PriorityLabel::of_score(score),
        }
    }
}

/// The score a severity stands for when the engine gives no number: the middle of its CVSS
/// band (LOW 0.1-3.9, MEDIUM 4.0-6.9, HIGH 7.0-8.9, CRITICAL 9.0-10.0). UNTRIAGED has no
/// band: without a score or CVSS it adds nothing, and EPSS, exploit, exposure and fix alone
/// make its priority.
fn typical_score(severity: Severity) -> f64 {
    match severity {
        Severity::Informational | Severity::Untriaged => 0.0,
        Severity::Low => 2.0,
        Severity::Medium => 5.5,
        Severity::High => 8.0,
        Severity::Critical => 9.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::details::{DetailsStatus, ExploitObserved, FindingDetails, Kev};
    use crate::finding::{Cvss, NetworkReachability};
    use crate::{Engine, Status};

    fn v2(severity: Severity, score: Option<f64>) -> Finding {
        Finding {
            severity,
            severity_score: score,
            status: Status::Active,
            ..Finding::new(
                Engine::InspectorV2,
                "arn:aws:inspector2:us-east-1:222222222222:finding/f",
                "222222222222",
                "us-east-1",
            )
        }
    }

    fn exposed() -> Option<NetworkReachability> {
        Some(NetworkReachability {
            protocol: Some("TCP".to_owned()),
            port_range_begin: Some(22),
            port_range_end: Some(22),
            path: Vec::new(),
        })
    }

    fn priority(finding: &Finding) -> (u8, &'static str) {
        let priority = Priority::of(finding);
        (priority.score, priority.label.as_str())
    }

    // The worked examples of docs/finding-schema.md, in its order.

    #[test]
    fn a_critical_cve_with_an_exploit_on_a_reachable_instance_is_p1() {
        let finding = Finding {
            epss_score: Some(0.94),
            exploit_available: Some(true),
            fix_available: Some("YES".to_owned()),
            network_reachability: exposed(),
            ..v2(Severity::Critical, Some(9.8))
        };
        // 58.8 + 12 + 15 + 8 + 5.
        assert_eq!(priority(&finding), (99, "P1"));
    }

    #[test]
    fn the_same_cve_unexploited_and_private_is_p2() {
        let finding = Finding {
            epss_score: Some(0.0004),
            exploit_available: Some(false),
            fix_available: Some("YES".to_owned()),
            ..v2(Severity::Critical, Some(9.8))
        };
        // 58.8 + 5.
        assert_eq!(priority(&finding), (64, "P2"));
    }

    #[test]
    fn a_medium_cve_being_exploited_outranks_an_unexploited_high() {
        let exploited = Finding {
            epss_score: Some(0.62),
            exploit_available: Some(true),
            fix_available: Some("NO".to_owned()),
            ..v2(Severity::Medium, Some(5.3))
        };
        let unexploited = Finding {
            epss_score: Some(0.003),
            fix_available: Some("NO".to_owned()),
            ..v2(Severity::High, Some(7.5))
        };
        // 31.8 + 12 + 15 against 45.
        assert_eq!(priority(&exploited), (59, "P3"));
        assert_eq!(priority(&unexploited), (45, "P3"));
    }

    #[test]
    fn an_open_port_finding_counts_its_exposure() {
        let finding = Finding {
            network_reachability: exposed(),
            ..v2(Severity::Medium, Some(5.0))
        };
        // 30 + 8.
        assert_eq!(priority(&finding), (38, "P4"));
    }

    #[test]
    fn a_classic_high_finding_on_a_public_instance() {
        let mut finding = Finding {
            severity_score: Some(9.0),
            ..crate::testing::finding(
                "c1",
                "222222222222",
                "us-east-1",
                Severity::High,
                Status::Active,
            )
        };
        finding.resource.public_ips = vec!["203.0.113.10".to_owned()];
        // 54 + 8.
        assert_eq!(priority(&finding), (62, "P2"));
        finding.resource.public_ips.clear();
        assert_eq!(priority(&finding), (54, "P3"));
    }

    #[test]
    fn a_low_finding_with_a_fix_is_p4_and_informational_is_p5() {
        let low = Finding {
            fix_available: Some("PARTIAL".to_owned()),
            ..v2(Severity::Low, Some(3.1))
        };
        // 18.6 + 2.
        assert_eq!(priority(&low), (21, "P4"));
        assert_eq!(priority(&v2(Severity::Informational, None)), (0, "P5"));
    }

    #[test]
    fn without_a_number_the_cvss_then_the_severity_band_counts() {
        let cvss = Finding {
            cvss: Some(Cvss {
                base_score: Some(7.0),
                scoring_vector: None,
                version: Some("3.1".to_owned()),
                source: Some("NVD".to_owned()),
            }),
            ..v2(Severity::High, None)
        };
        assert_eq!(priority(&cvss), (42, "P3"));
        assert_eq!(priority(&v2(Severity::High, None)), (48, "P3"));
        assert_eq!(priority(&v2(Severity::Critical, None)), (57, "P3"));
        // A score out of range or not a number cannot push the priority past its bounds.
        assert_eq!(priority(&v2(Severity::High, Some(f64::NAN))), (48, "P3"));
        assert_eq!(priority(&v2(Severity::High, Some(42.0))), (60, "P2"));
    }

    #[test]
    fn an_untriaged_finding_rests_on_its_cvss_and_epss() {
        // The local AWS's UNTRIAGED example (CVE-2005-2541 in an image): no score, no CVSS,
        // EPSS 0.0211, no exploit, no fix: its EPSS alone.
        let unrated = Finding {
            epss_score: Some(0.0211),
            exploit_available: Some(false),
            fix_available: Some("NO".to_owned()),
            ..v2(Severity::Untriaged, None)
        };
        assert_eq!(priority(&unrated), (4, "P5"));
        // With a CVSS from another source, that counts as it does for any finding.
        let scored = Finding {
            cvss: Some(Cvss {
                base_score: Some(7.5),
                scoring_vector: None,
                version: Some("3.1".to_owned()),
                source: Some("NVD".to_owned()),
            }),
            ..unrated.clone()
        };
        // 45 + 4.
        assert_eq!(priority(&scored), (49, "P3"));
        assert_eq!(priority(&v2(Severity::Untriaged, None)), (0, "P5"));
    }

    fn details(kev: bool, exploit_observed: bool) -> Option<FindingDetails> {
        Some(FindingDetails {
            kev: kev.then(|| Kev {
                date_added: Some("2021-12-10T00:00:00Z".to_owned()),
                due_date: Some("2021-12-24T00:00:00Z".to_owned()),
                required_action: Some("Apply updates per vendor instructions.".to_owned()),
            }),
            exploit_observed: exploit_observed.then(|| ExploitObserved {
                first_seen: Some("2021-12-10T00:00:00Z".to_owned()),
                last_seen: Some("2024-06-01T00:00:00Z".to_owned()),
            }),
            ..FindingDetails::missing(DetailsStatus::Fetched, "")
        })
    }

    #[test]
    fn a_kev_vulnerability_is_p1_whatever_its_score() {
        let finding = Finding {
            epss_score: Some(0.004),
            exploit_available: Some(false),
            details: details(true, false),
            ..v2(Severity::Medium, Some(5.3))
        };
        // 31.8, lifted to the KEV floor.
        assert_eq!(priority(&finding), (80, "P1"));
        // Above the floor the sum stands.
        let strong = Finding {
            epss_score: Some(0.94),
            exploit_available: Some(true),
            fix_available: Some("YES".to_owned()),
            details: details(true, true),
            ..v2(Severity::Critical, Some(9.8))
        };
        assert_eq!(priority(&strong), (91, "P1"));
    }

    #[test]
    fn exploitation_observed_counts_as_an_exploit() {
        let observed = Finding {
            exploit_available: Some(false),
            details: details(false, true),
            ..v2(Severity::High, Some(7.5))
        };
        // 45 + 12: as if Inspector said exploitAvailable YES.
        assert_eq!(priority(&observed), (57, "P3"));
        let both = Finding {
            exploit_available: Some(true),
            ..observed.clone()
        };
        assert_eq!(priority(&both), (57, "P3"), "counted once");
        let unavailable = Finding {
            details: Some(FindingDetails::missing(
                DetailsStatus::Unavailable,
                "ThrottlingException",
            )),
            ..observed
        };
        assert_eq!(priority(&unavailable), (45, "P3"));
    }

    #[test]
    fn every_signal_at_its_strongest_is_exactly_100() {
        let finding = Finding {
            epss_score: Some(1.0),
            exploit_available: Some(true),
            fix_available: Some("YES".to_owned()),
            network_reachability: exposed(),
            ..v2(Severity::Critical, Some(10.0))
        };
        let total =
            SEVERITY_WEIGHT * 10.0 + EXPLOIT_AVAILABLE + EPSS_BANDS[0].1 + EXPOSED + FIX_AVAILABLE;
        assert_eq!(total, 100.0, "the parts add up to 100: no score saturates");
        assert_eq!(priority(&finding), (100, "P1"));
    }

    #[test]
    fn labels_follow_the_thresholds() {
        for (score, label) in [(100, "P1"), (80, "P1"), (79, "P2"), (60, "P2"), (59, "P3")] {
            assert_eq!(PriorityLabel::of_score(score).as_str(), label, "{score}");
        }
        for (score, label) in [(40, "P3"), (39, "P4"), (15, "P4"), (14, "P5"), (0, "P5")] {
            assert_eq!(PriorityLabel::of_score(score).as_str(), label, "{score}");
        }
        assert!(PriorityLabel::P1 < PriorityLabel::P2, "P1 sorts first");
    }
}

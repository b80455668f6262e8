//! Routing rules: which findings go where. security-primary's `notification_rules` and
//! `notification_destinations` reach notify-findings as one JSON document (NOTIFY_RULES);
//! the module validates what a person writes, and this checks it again, so a rule that
//! names a missing destination stops the function at start with the reason, not a finding
//! at a time.
//!
//! Every rule is evaluated, in the order given, and a finding may match several: it goes to
//! the union of their destinations, once each. A rule's conditions all have to hold; a
//! condition left out holds for every finding. An `otherwise` rule matches only findings
//! that no rule before it matched ("everything else in the daily digest").

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::jira::{JiraDestination, TicketPer};
use crate::finding::{Finding, Severity};
use crate::PriorityLabel;

/// The destination every estate has: the module's notifications topic (email and HTTP(S)
/// subscribers). Its claims keep the keys they had before rules existed, so an upgrade
/// announces nothing twice.
pub const NOTIFICATIONS: &str = "notifications";

/// The rules and the destinations they name.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRules {
    pub rules: Vec<Rule>,
    pub destinations: BTreeMap<String, Destination>,
}

/// One rule: conditions on a finding's state, and where it goes.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    #[serde(default)]
    pub min_severity: Option<Severity>,
    #[serde(default)]
    pub severities: Option<Vec<Severity>>,
    /// The lowest priority matched (P1 is the highest: `P2` matches P1 and P2).
    #[serde(default)]
    pub min_priority: Option<PriorityLabel>,
    #[serde(default)]
    pub priorities: Option<Vec<PriorityLabel>>,
    /// EPSS at least this (0-1); a finding without an EPSS score does not match.
    #[serde(default)]
    pub min_epss: Option<f64>,
    /// true: only CVEs in CISA's KEV catalogue; false: only those not in it.
    #[serde(default)]
    pub kev: Option<bool>,
    /// true: an exploit is available or has been observed; false: neither.
    #[serde(default)]
    pub exploit_available: Option<bool>,
    /// true: a fix exists for some or all packages (YES, PARTIAL); false: none (NO). A
    /// finding Inspector says nothing about (Classic) matches neither.
    #[serde(default)]
    pub fix_available: Option<bool>,
    #[serde(default)]
    pub accounts: Option<Vec<String>>,
    /// Resource types as the finding names them (AWS_EC2_INSTANCE, AWS_ECR_CONTAINER_IMAGE,
    /// AWS_LAMBDA_FUNCTION, CODE_REPOSITORY).
    #[serde(default)]
    pub resource_types: Option<Vec<String>>,
    /// Tag key → the values that match; every key given must match.
    #[serde(default)]
    pub resource_tags: Option<BTreeMap<String, Vec<String>>>,
    /// Match only findings that no earlier rule matched.
    #[serde(default)]
    pub otherwise: bool,
    pub destinations: Vec<String>,
    /// Jira destinations of the rule: a ticket per finding (default) or per vulnerability.
    #[serde(default)]
    pub jira_ticket_per: Option<TicketPer>,
    /// None: send at once. Some: collect for the rule's digest, sent on this EventBridge
    /// schedule (security-primary's rule invokes the function with the rule's name).
    #[serde(default)]
    pub digest_schedule: Option<String>,
}

/// Where notifications go, as NOTIFY_RULES names it.
#[derive(Debug, Clone, PartialEq)]
pub enum Destination {
    /// An SNS topic: readable text for email, the finding's JSON for everything else.
    Topic { topic_arn: String },
    /// A Slack incoming webhook; its URL is the secret's value.
    Slack { secret_arn: String },
    /// A Microsoft Teams incoming webhook (Workflows); its URL is the secret's value.
    Teams { secret_arn: String },
    /// Jira Cloud tickets (jira.rs); the API token is the secret's value.
    Jira(JiraDestination),
}

impl Destination {
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Topic { .. } => "topic",
            Destination::Slack { .. } => "slack",
            Destination::Teams { .. } => "teams",
            Destination::Jira(_) => "jira",
        }
    }
}

/// A destination as the module writes it: every attribute present, null where unused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationDocument {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    topic_arn: Option<String>,
    #[serde(default)]
    secret_arn: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    project_key: Option<String>,
    #[serde(default)]
    issue_type: Option<String>,
    #[serde(default)]
    done_transition: Option<String>,
    #[serde(default)]
    reopen_transition: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesDocument {
    rules: Vec<Rule>,
    #[serde(default)]
    destinations: BTreeMap<String, DestinationDocument>,
}

/// Where one finding goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    /// Destinations to send to now, each once, in the order rules name them.
    pub now: Vec<String>,
    /// Rules whose digest collects the finding.
    pub digests: Vec<String>,
    /// Per Jira destination in `now`: what its ticket stands for (the first rule's say).
    pub ticket_per: BTreeMap<String, TicketPer>,
}

impl Route {
    pub fn is_empty(&self) -> bool {
        self.now.is_empty() && self.digests.is_empty()
    }
}

impl RoutingRules {
    /// What an estate without rules has: one rule, the minimum severity (and priority) to
    /// the notifications topic.
    pub fn threshold(
        topic_arn: &str,
        min_severity: Severity,
        min_priority: Option<PriorityLabel>,
    ) -> RoutingRules {
        RoutingRules {
            rules: vec![Rule {
                name: "default".to_owned(),
                min_severity: Some(min_severity),
                min_priority,
                destinations: vec![NOTIFICATIONS.to_owned()],
                ..Rule::default()
            }],
            destinations: BTreeMap::from([(
                NOTIFICATIONS.to_owned(),
                Destination::Topic {
                    topic_arn: topic_arn.to_owned(),
                },
            )]),
        }
    }

    /// Reads NOTIFY_RULES; `topic_arn` is the notifications topic, the destination named
    /// [`NOTIFICATIONS`] unless the document defines it.
    pub fn parse(document: &str, topic_arn: &str) -> Result<RoutingRules, String> {
        let parsed: RulesDocument =
            serde_json::from_str(document).map_err(|e| format!("is not valid: {e}"))?;
        let mut destinations = BTreeMap::from([(
            NOTIFICATIONS.to_owned(),
            Destination::Topic {
                topic_arn: topic_arn.to_owned(),
            },
        )]);
        for (name, destination) in parsed.destinations {
            let parsed = destination_of(&name, destination)?;
            destinations.insert(name, parsed);
        }
        let mut names = BTreeSet::new();
        for rule in &parsed.rules {
            if rule.name.trim().is_empty() {
                return Err("has a rule without a name".to_owned());
            }
            if !names.insert(rule.name.as_str()) {
                return Err(format!("has two rules named {:?}", rule.name));
            }
            if rule.destinations.is_empty() {
                return Err(format!("rule {:?} has no destinations", rule.name));
            }
            for destination in &rule.destinations {
                if rule.digest_schedule.is_some()
                    && matches!(destinations.get(destination), Some(Destination::Jira(_)))
                {
                    return Err(format!(
                        "rule {:?} has a digest and sends to the Jira destination {destination:?}: tickets follow findings one by one; send digests to topics, Slack or Teams",
                        rule.name
                    ));
                }
                if !destinations.contains_key(destination) {
                    return Err(format!(
                        "rule {:?} sends to {destination:?}, which is not a destination (known: {})",
                        rule.name,
                        destinations.keys().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
            if let Some(epss) = rule.min_epss {
                if !(0.0..=1.0).contains(&epss) {
                    return Err(format!(
                        "rule {:?} has min_epss {epss}: EPSS is a probability, 0 to 1",
                        rule.name
                    ));
                }
            }
        }
        Ok(RoutingRules {
            rules: parsed.rules,
            destinations,
        })
    }

    /// Where `finding` goes: the union of the destinations of every rule it matches.
    pub fn route(&self, finding: &Finding) -> Route {
        let mut route = Route::default();
        let mut matched_before = false;
        for rule in &self.rules {
            if rule.otherwise && matched_before {
                continue;
            }
            if !rule.matches(finding) {
                continue;
            }
            matched_before = true;
            match &rule.digest_schedule {
                Some(_) => route.digests.push(rule.name.clone()),
                None => {
                    for destination in &rule.destinations {
                        if !route.now.contains(destination) {
                            route.now.push(destination.clone());
                            if let Some(Destination::Jira(_)) = self.destinations.get(destination) {
                                route.ticket_per.insert(
                                    destination.clone(),
                                    rule.jira_ticket_per.unwrap_or_default(),
                                );
                            }
                        }
                    }
                }
            }
        }
        route
    }

    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.name == name)
    }
}

fn destination_of(name: &str, document: DestinationDocument) -> Result<Destination, String> {
    let missing = |attribute: &str| {
        format!(
            "destination {name:?} of type {} has no {attribute}",
            document.kind
        )
    };
    match document.kind.as_str() {
        "topic" => Ok(Destination::Topic {
            topic_arn: document
                .topic_arn
                .clone()
                .ok_or_else(|| missing("topic_arn"))?,
        }),
        "slack" => Ok(Destination::Slack {
            secret_arn: document
                .secret_arn
                .clone()
                .ok_or_else(|| missing("secret_arn"))?,
        }),
        "teams" => Ok(Destination::Teams {
            secret_arn: document
                .secret_arn
                .clone()
                .ok_or_else(|| missing("secret_arn"))?,
        }),
        "jira" => {
            let required = |value: &Option<String>, attribute: &str| {
                value.clone().ok_or_else(|| missing(attribute))
            };
            Ok(Destination::Jira(JiraDestination {
                url: required(&document.url, "url")?,
                email: required(&document.email, "email")?,
                project_key: required(&document.project_key, "project_key")?,
                issue_type: document
                    .issue_type
                    .clone()
                    .unwrap_or_else(|| "Bug".to_owned()),
                done_transition: document
                    .done_transition
                    .clone()
                    .unwrap_or_else(|| "Done".to_owned()),
                reopen_transition: document
                    .reopen_transition
                    .clone()
                    .unwrap_or_else(|| "To Do".to_owned()),
                secret_arn: required(&document.secret_arn, "secret_arn")?,
            }))
        }
        other => Err(format!(
            "destination {name:?} has type {other:?}: use topic, slack, teams or jira"
        )),
    }
}

impl Rule {
    /// Whether every condition of the rule holds for `finding` as it is now.
    pub fn matches(&self, finding: &Finding) -> bool {
        let priority = finding.current_priority().label;
        let details = finding.details.as_ref();
        let in_kev = details.is_some_and(|d| d.kev.is_some());
        let exploit = finding.exploit_available == Some(true)
            || details.is_some_and(|d| d.exploit_observed.is_some());
        let fix = match finding.fix_available.as_deref() {
            Some("YES") | Some("PARTIAL") => Some(true),
            Some("NO") => Some(false),
            _ => None,
        };
        let tags = &finding.resource.tags;
        self.min_severity.is_none_or(|min| finding.severity >= min)
            && self
                .severities
                .as_ref()
                .is_none_or(|list| list.contains(&finding.severity))
            && self.min_priority.is_none_or(|min| priority <= min)
            && self
                .priorities
                .as_ref()
                .is_none_or(|list| list.contains(&priority))
            && self
                .min_epss
                .is_none_or(|min| finding.epss_score.is_some_and(|epss| epss >= min))
            && self.kev.is_none_or(|wanted| in_kev == wanted)
            && self
                .exploit_available
                .is_none_or(|wanted| exploit == wanted)
            && self.fix_available.is_none_or(|wanted| fix == Some(wanted))
            && self
                .accounts
                .as_ref()
                .is_none_or(|list| list.contains(&finding.account_id))
            && self
                .resource_types
                .as_ref()
                .is_none_or(|list| list.contains(&finding.resource.resource_type))
            && self.resource_tags.as_ref().is_none_or(|wanted| {
                wanted
                    .iter()
                    .all(|(key, values)| tags.get(key).is_some_and(|value| values.contains(value)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;
    use crate::notify::format::tests::finding;
    use inspectorlink_findings::{DetailsStatus, FindingDetails, Kev};

    const TOPIC: &str = "arn:aws:sns:us-east-1:111111111111:inspectorlink-notifications";

    fn rules(document: serde_json::Value) -> RoutingRules {
        RoutingRules::parse(&document.to_string(), TOPIC).unwrap()
    }

    fn two_teams() -> RoutingRules {
        rules(serde_json::json!({
            "rules": [
                {"name": "team-a-high", "min_severity": "HIGH", "resource_tags": {"team": ["a"]}, "destinations": ["team-a-slack"]},
                {"name": "kev", "kev": true, "destinations": ["pager", "team-a-slack"]},
                {"name": "everything-else", "otherwise": true, "destinations": ["notifications"], "digest_schedule": "cron(0 8 * * ? *)"}
            ],
            "destinations": {
                "team-a-slack": {"type": "slack", "secret_arn": "arn:aws:secretsmanager:us-east-1:111111111111:secret:a", "topic_arn": null},
                "pager": {"type": "teams", "secret_arn": "arn:aws:secretsmanager:us-east-1:111111111111:secret:p"}
            }
        }))
    }

    fn tagged(severity: Severity, team: &str) -> Finding {
        let mut finding = finding(severity, Status::Active);
        finding.resource.tags.insert("team".into(), team.into());
        finding
    }

    #[test]
    fn rules_route_by_tag_and_severity_and_a_finding_may_match_several() {
        let rules = two_teams();
        assert_eq!(
            rules.route(&tagged(Severity::High, "a")).now,
            vec!["team-a-slack"]
        );
        let mut kev = tagged(Severity::Critical, "a");
        kev.set_details(FindingDetails {
            status: DetailsStatus::Fetched,
            reason: None,
            kev: Some(Kev {
                date_added: None,
                due_date: None,
                required_action: None,
            }),
            exploit_observed: None,
            ttps: vec![],
            tools: vec![],
        });
        assert_eq!(
            rules.route(&kev),
            Route {
                now: vec!["team-a-slack".into(), "pager".into()],
                ..Route::default()
            },
            "each destination once, in the order the rules name them"
        );
        assert_eq!(
            rules.route(&tagged(Severity::Medium, "a")),
            Route {
                digests: vec!["everything-else".into()],
                ..Route::default()
            },
            "below team A's severity: everything else"
        );
        assert_eq!(
            rules.route(&tagged(Severity::Critical, "b")).digests,
            vec!["everything-else"]
        );
    }

    #[test]
    fn every_condition_must_hold() {
        let mut finding = tagged(Severity::High, "a");
        finding.epss_score = Some(0.3);
        finding.fix_available = Some("PARTIAL".into());
        finding.account_id = "222222222222".into();
        let holds = |rule: serde_json::Value| {
            let mut rule = rule;
            rule["name"] = "r".into();
            rule["destinations"] = serde_json::json!(["notifications"]);
            rules(serde_json::json!({ "rules": [rule] })).rules[0].matches(&finding)
        };
        assert!(holds(serde_json::json!({})), "no condition: every finding");
        assert!(holds(serde_json::json!({"min_epss": 0.3})));
        assert!(!holds(serde_json::json!({"min_epss": 0.31})));
        assert!(holds(serde_json::json!({"fix_available": true})));
        assert!(!holds(serde_json::json!({"fix_available": false})));
        assert!(holds(serde_json::json!({"kev": false})));
        assert!(!holds(serde_json::json!({"exploit_available": true})));
        assert!(holds(serde_json::json!({"accounts": ["222222222222"]})));
        assert!(!holds(
            serde_json::json!({"accounts": ["222222222222"], "severities": ["CRITICAL"]})
        ));
        assert!(holds(
            serde_json::json!({"resource_types": ["AWS_EC2_INSTANCE"]})
        ));
        assert!(!holds(
            serde_json::json!({"resource_tags": {"team": ["a"], "env": ["prod"]}})
        ));
        let priority = finding.current_priority().label;
        assert!(holds(serde_json::json!({"priorities": [priority]})));
        assert!(holds(serde_json::json!({"min_priority": "P5"})));
    }

    #[test]
    fn a_rule_naming_a_missing_destination_is_refused_with_the_known_ones() {
        let error = RoutingRules::parse(
            r#"{"rules": [{"name": "r", "destinations": ["slak"]}], "destinations": {"slack": {"type": "slack", "secret_arn": "s"}}}"#,
            TOPIC,
        )
        .unwrap_err();
        assert_eq!(
            error,
            "rule \"r\" sends to \"slak\", which is not a destination (known: notifications, slack)"
        );
        for (document, expected) in [
            (
                r#"{"rules": [{"name": "r", "destinations": []}]}"#,
                "rule \"r\" has no destinations",
            ),
            (
                r#"{"rules": [{"name": "r", "destinations": ["notifications"]}, {"name": "r", "destinations": ["notifications"]}]}"#,
                "has two rules named \"r\"",
            ),
            (
                r#"{"rules": [{"name": "r", "min_epss": 2, "destinations": ["notifications"]}]}"#,
                "rule \"r\" has min_epss 2: EPSS is a probability, 0 to 1",
            ),
            (
                r#"{"rules": [], "destinations": {"x": {"type": "pager"}}}"#,
                "destination \"x\" has type \"pager\": use topic, slack, teams or jira",
            ),
            (
                r#"{"rules": [], "destinations": {"x": {"type": "teams"}}}"#,
                "destination \"x\" of type teams has no secret_arn",
            ),
            (
                r#"{"rules": [], "destinations": {"j": {"type": "jira", "url": "https://a.atlassian.net", "secret_arn": "s"}}}"#,
                "destination \"j\" of type jira has no email",
            ),
            (
                r#"{"rules": [{"name": "d", "digest_schedule": "rate(1 day)", "destinations": ["j"]}], "destinations": {"j": {"type": "jira", "url": "https://a.atlassian.net", "email": "e", "project_key": "SEC", "secret_arn": "s"}}}"#,
                "rule \"d\" has a digest and sends to the Jira destination \"j\": tickets follow findings one by one; send digests to topics, Slack or Teams",
            ),
        ] {
            assert_eq!(RoutingRules::parse(document, TOPIC).unwrap_err(), expected);
        }
        let unknown = RoutingRules::parse(
            r#"{"rules": [{"name": "r", "min_sevrity": "HIGH", "destinations": ["notifications"]}]}"#,
            TOPIC,
        )
        .unwrap_err();
        assert!(unknown.contains("unknown field `min_sevrity`"), "{unknown}");
    }

    #[test]
    fn without_rules_the_threshold_sends_to_the_notifications_topic() {
        let rules = RoutingRules::threshold(TOPIC, Severity::High, None);
        assert_eq!(
            rules.route(&finding(Severity::High, Status::Active)).now,
            vec![NOTIFICATIONS]
        );
        assert!(rules
            .route(&finding(Severity::Medium, Status::Active))
            .is_empty());
    }
}

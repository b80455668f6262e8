//! Chat messages: a finding (or a digest entry) as Slack's Block Kit and as a Microsoft Teams
//! Adaptive Card, with the facts of the email and buttons to the console and the report.
//!
//! Slack: an incoming webhook takes `text` (the notification's fallback) and `blocks`
//! (header ≤ 150 characters, section fields ≤ 10, button URLs ≤ 3000). Teams: a Workflows
//! webhook takes a `message` whose attachment is an Adaptive Card (version 1.4, what Teams
//! renders) in at most 28 KB: each text is clipped so that a card stays well within it.

use serde_json::{json, Value};

use super::format::{console_link, facts, headline};
use crate::finding::Finding;

const SLACK_HEADER_MAX: usize = 150;
const SLACK_FIELD_MAX: usize = 2000;
const SLACK_FIELDS_MAX: usize = 10;
/// Teams refuses a message over 28 KB: a title, a summary and a dozen facts within these
/// stay under half of it, whatever a finding's texts hold.
const TEAMS_TITLE_MAX: usize = 300;
const TEAMS_SUMMARY_MAX: usize = 3000;
const TEAMS_FACT_MAX: usize = 800;
const TEAMS_FACTS_MAX: usize = 12;

/// Something to say in a chat: a title, labelled facts, and links.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub title: String,
    pub summary: String,
    pub facts: Vec<(String, String)>,
    pub links: Vec<(String, String)>,
}

impl ChatMessage {
    /// One finding's state; `report_url` is the estate's report, when configured.
    pub fn of_finding(finding: &Finding, alias: Option<&str>, report_url: Option<&str>) -> Self {
        let mut links = vec![("Open in Amazon Inspector".to_owned(), console_link(finding))];
        if let Some(url) = report_url {
            links.push(("Open the report".to_owned(), url.to_owned()));
        }
        ChatMessage {
            title: format!("{}: {}", headline(finding), finding.title.trim()),
            summary: finding.recommendation.trim().to_owned(),
            facts: facts(finding, alias)
                .into_iter()
                .map(|(label, value)| (label.to_owned(), value))
                .collect(),
            links,
        }
    }

    /// Slack incoming-webhook payload.
    pub fn slack(&self) -> Value {
        let fields: Vec<Value> = self
            .facts
            .iter()
            .take(SLACK_FIELDS_MAX)
            .map(|(label, value)| {
                json!({
                    "type": "mrkdwn",
                    "text": clip(&format!("*{}*\n{}", escape(label), escape(value)), SLACK_FIELD_MAX),
                })
            })
            .collect();
        let mut blocks = vec![
            json!({"type": "header", "text": {"type": "plain_text", "text": clip(&self.title, SLACK_HEADER_MAX)}}),
            json!({"type": "section", "fields": fields}),
        ];
        if !self.summary.is_empty() {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(&escape(&self.summary), 3000)}}));
        }
        if !self.links.is_empty() {
            let buttons: Vec<Value> = self
                .links
                .iter()
                .map(|(label, url)| json!({"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}))
                .collect();
            blocks.push(json!({"type": "actions", "elements": buttons}));
        }
        json!({"text": self.title, "blocks": blocks})
    }

    /// Teams Workflows webhook payload: a message with one Adaptive Card.
    pub fn teams(&self) -> Value {
        let facts: Vec<Value> = self
            .facts
            .iter()
            .take(TEAMS_FACTS_MAX)
            .map(|(label, value)| json!({"title": label, "value": clip(value, TEAMS_FACT_MAX)}))
            .collect();
        let title = clip(&self.title, TEAMS_TITLE_MAX);
        let mut body = vec![
            json!({"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true}),
            json!({"type": "FactSet", "facts": facts}),
        ];
        if !self.summary.is_empty() {
            body.push(json!({"type": "TextBlock", "text": clip(&self.summary, TEAMS_SUMMARY_MAX), "wrap": true}));
        }
        let actions: Vec<Value> = self
            .links
            .iter()
            .map(|(label, url)| json!({"type": "Action.OpenUrl", "title": label, "url": url}))
            .collect();
        json!({
            "type": "message",
            "summary": title,
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": actions,
                },
            }],
        })
    }
}

/// Slack's mrkdwn gives `&`, `<` and `>` meaning: escaped, as Slack documents.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text` in at most `max` characters, "..." marking a cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max - 3).collect();
    format!("{kept}...")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Severity, Status};
    use crate::notify::format::tests::finding;

    #[test]
    fn slack_gets_blocks_with_the_facts_and_buttons_to_the_console_and_report() {
        let mut finding = finding(Severity::High, Status::Active);
        finding.recommendation = "Update <kernel> & reboot".into();
        let message =
            ChatMessage::of_finding(&finding, Some("payments"), Some("https://reports.example/"))
                .slack();
        let blocks = message["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert!(message["text"]
            .as_str()
            .unwrap()
            .starts_with("HIGH finding: Instance i-0abc"));
        let fields = blocks[1]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 10);
        assert_eq!(fields[2]["text"], "*Account*\n222222222222 (payments)");
        assert_eq!(
            blocks[2]["text"]["text"],
            "Update &lt;kernel&gt; &amp; reboot"
        );
        let buttons = blocks[3]["elements"].as_array().unwrap();
        assert!(buttons[0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://us-east-1.console.aws.amazon.com/inspector/"));
        assert_eq!(buttons[1]["url"], "https://reports.example/");
    }

    #[test]
    fn teams_gets_one_adaptive_card() {
        let message =
            ChatMessage::of_finding(&finding(Severity::Critical, Status::Closed), None, None)
                .teams();
        let card = &message["attachments"][0];
        assert_eq!(
            card["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        let title = card["content"]["body"][0]["text"].as_str().unwrap();
        assert!(
            title.starts_with("CLOSED: this CRITICAL finding is resolved"),
            "{title}"
        );
        assert_eq!(card["content"]["body"][1]["facts"][1]["value"], "CLOSED");
        assert_eq!(card["content"]["actions"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_teams_card_stays_within_28_kb_whatever_the_finding_holds() {
        let mut finding = finding(Severity::Low, Status::Active);
        finding.title = "t".repeat(5_000);
        finding.recommendation = "r".repeat(100_000);
        finding.cve_ids = (0..2_000).map(|i| format!("CVE-2024-{i:05}")).collect();
        finding.resource.id = "i".repeat(10_000);
        let card = ChatMessage::of_finding(&finding, Some("payments"), None).teams();
        let bytes = serde_json::to_vec(&card).unwrap().len();
        assert!(bytes < 14 * 1024, "{bytes} bytes");
        let facts = card["attachments"][0]["content"]["body"][1]["facts"]
            .as_array()
            .unwrap();
        let cves = facts.iter().find(|f| f["title"] == "CVEs").unwrap()["value"]
            .as_str()
            .unwrap();
        assert!(cves.starts_with("CVE-2024-00000, ") && cves.ends_with("..."));
    }

    #[test]
    fn long_titles_are_clipped_to_slacks_header_limit() {
        let mut finding = finding(Severity::Low, Status::Active);
        finding.title = "x".repeat(400);
        let header = ChatMessage::of_finding(&finding, None, None).slack()["blocks"][0]["text"]
            ["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(header.chars().count(), SLACK_HEADER_MAX);
    }
}

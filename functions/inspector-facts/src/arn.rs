//! Inspector Classic and SNS topic ARNs: parsed strictly, formatted canonically.

use std::fmt;
use std::str::FromStr;

/// Why a string is not the ARN that was expected. The message names the part at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnError {
    input: String,
    problem: String,
}

impl ArnError {
    fn new(input: &str, problem: impl Into<String>) -> Self {
        ArnError {
            input: input.to_owned(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a valid ARN: {}", self.input, self.problem)
    }
}

impl std::error::Error for ArnError {}

/// The part after `arn:partition:inspector:region:account:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InspectorResource {
    ResourceGroup {
        id: String,
    },
    Target {
        id: String,
    },
    Template {
        target: String,
        id: String,
    },
    Run {
        target: String,
        template: String,
        id: String,
    },
    Finding {
        target: String,
        template: String,
        run: String,
        id: String,
    },
    RulesPackage {
        id: String,
    },
}

impl InspectorResource {
    /// The resource type as Inspector names it in messages ("assessment template", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            InspectorResource::ResourceGroup { .. } => "resource group",
            InspectorResource::Target { .. } => "assessment target",
            InspectorResource::Template { .. } => "assessment template",
            InspectorResource::Run { .. } => "assessment run",
            InspectorResource::Finding { .. } => "finding",
            InspectorResource::RulesPackage { .. } => "rules package",
        }
    }
}

/// An Inspector Classic ARN, e.g.
/// `arn:aws:inspector:us-east-1:222222222222:target/0-abcdefgh/template/0-ijklmnop`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InspectorArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub resource: InspectorResource,
}

impl InspectorArn {
    /// Parses `input` and checks that it names a resource of the `expected` kind
    /// (see [`InspectorResource::kind`]).
    pub fn parse_kind(input: &str, expected: &str) -> Result<Self, ArnError> {
        let arn: InspectorArn = input.parse()?;
        if arn.resource.kind() != expected {
            return Err(ArnError::new(
                input,
                format!(
                    "it names {} {}, expected {} {}",
                    article(arn.resource.kind()),
                    arn.resource.kind(),
                    article(expected),
                    expected
                ),
            ));
        }
        Ok(arn)
    }

    /// The ARN of the assessment template a run or finding belongs to (itself for a template).
    pub fn template_arn(&self) -> Option<InspectorArn> {
        let (target, template) = match &self.resource {
            InspectorResource::Template { target, id } => (target, id),
            InspectorResource::Run {
                target, template, ..
            }
            | InspectorResource::Finding {
                target, template, ..
            } => (target, template),
            _ => return None,
        };
        Some(InspectorArn {
            resource: InspectorResource::Template {
                target: target.clone(),
                id: template.clone(),
            },
            ..self.clone()
        })
    }
}

fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The `arn:partition:service:region:account:` head shared by both ARN kinds.
struct Head<'a> {
    partition: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn split_head<'a>(input: &'a str, service: &str) -> Result<Head<'a>, ArnError> {
    let mut parts = input.splitn(6, ':');
    let mut next = || parts.next();
    let (Some("arn"), Some(partition), Some(svc), Some(region), Some(account), Some(resource)) =
        (next(), next(), next(), next(), next(), next())
    else {
        return Err(ArnError::new(
            input,
            "expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE",
        ));
    };
    if !matches!(partition, "aws" | "aws-us-gov" | "aws-cn") {
        return Err(ArnError::new(
            input,
            format!("unknown partition {partition:?} (expected aws, aws-us-gov or aws-cn)"),
        ));
    }
    if svc != service {
        return Err(ArnError::new(
            input,
            format!("it is an ARN of service {svc:?}, expected {service:?}"),
        ));
    }
    let region_ok = !region.is_empty()
        && region.split('-').count() >= 3
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        return Err(ArnError::new(
            input,
            format!("region {region:?} is not a region name like us-east-1"),
        ));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ArnError::new(
            input,
            format!("account {account:?} is not a 12-digit account id"),
        ));
    }
    Ok(Head {
        partition,
        region,
        account,
        resource,
    })
}

fn valid_id(id: &str) -> bool {
    // Inspector ids look like 0-gEjTy7T7: a digit, a hyphen, then letters and digits.
    let mut chars = id.chars();
    matches!((chars.next(), chars.next()), (Some(d), Some('-')) if d.is_ascii_digit())
        && id.len() > 2
        && id.len() <= 128
        && id[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

impl FromStr for InspectorArn {
    type Err = ArnError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let head = split_head(input, "inspector")?;
        let segments: Vec<&str> = head.resource.split('/').collect();
        if !segments.len().is_multiple_of(2) {
            return Err(ArnError::new(
                input,
                "resource path must be pairs of TYPE/ID",
            ));
        }
        let pairs: Vec<(&str, &str)> = segments.chunks(2).map(|c| (c[0], c[1])).collect();
        if let Some((_, bad)) = pairs.iter().find(|(_, id)| !valid_id(id)) {
            return Err(ArnError::new(
                input,
                format!("{bad:?} is not an Inspector id like 0-AbCd1234"),
            ));
        }
        let owned = |i: usize| pairs[i].1.to_owned();
        let types: Vec<&str> = pairs.iter().map(|(t, _)| *t).collect();
        let resource = match types.as_slice() {
            ["resourcegroup"] => InspectorResource::ResourceGroup { id: owned(0) },
            ["rulespackage"] => InspectorResource::RulesPackage { id: owned(0) },
            ["target"] => InspectorResource::Target { id: owned(0) },
            ["target", "template"] => InspectorResource::Template {
                target: owned(0),
                id: owned(1),
            },
            ["target", "template", "run"] => InspectorResource::Run {
                target: owned(0),
                template: owned(1),
                id: owned(2),
            },
            ["target", "template", "run", "finding"] => InspectorResource::Finding {
                target: owned(0),
                template: owned(1),
                run: owned(2),
                id: owned(3),
            },
            _ => {
                return Err(ArnError::new(
                    input,
                    "resource must be resourcegroup/ID, rulespackage/ID, target/ID, or target/ID/template/ID[/run/ID[/finding/ID]]",
                ))
            }
        };
        Ok(InspectorArn {
            partition: head.partition.to_owned(),
            region: head.region.to_owned(),
            account: head.account.to_owned(),
            resource,
        })
    }
}

impl fmt::Display for InspectorArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:inspector:{}:{}:",
            self.partition, self.region, self.account
        )?;
        match &self.resource {
            InspectorResource::ResourceGroup { id } => write!(f, "resourcegroup/{id}"),
            InspectorResource::RulesPackage { id } => write!(f, "rulespackage/{id}"),
            InspectorResource::Target { id } => write!(f, "target/{id}"),
            InspectorResource::Template { target, id } => {
                write!(f, "target/{target}/template/{id}")
            }
            InspectorResource::Run {
                target,
                template,
                id,
            } => write!(f, "target/{target}/template/{template}/run/{id}"),
            InspectorResource::Finding {
                target,
                template,
                run,
                id,
            } => {
                write!(
                    f,
                    "target/{target}/template/{template}/run/{run}/finding/{id}"
                )
            }
        }
    }
}

/// An SNS topic ARN, e.g. `arn:aws:sns:us-east-1:111111111111:inspector-findings`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl FromStr for TopicArn {
    type Err = ArnError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let head = split_head(input, "sns")?;
        let name = head.resource;
        let base = name.strip_suffix(".fifo").unwrap_or(name);
        let name_ok = !base.is_empty()
            && name.len() <= 256
            && base
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(ArnError::new(
                input,
                format!(
                    "topic name {name:?} must be 1-256 letters, digits, hyphens or underscores"
                ),
            ));
        }
        Ok(TopicArn {
            partition: head.partition.to_owned(),
            region: head.region.to_owned(),
            account: head.account.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for TopicArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:sns:{}:{}:{}",
            self.partition, self.region, self.account, self.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINDING: &str = "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX/template/0-7sbz2Kz0/run/0-MKkpXXPE/finding/0-tyvmqBLy";

    #[test]
    fn every_kind_round_trips() {
        for arn in [
            "arn:aws:inspector:us-west-2:123456789012:resourcegroup/0-AB6DMKnv",
            "arn:aws:inspector:us-west-2:758058086616:rulespackage/0-9hgA516p",
            "arn:aws:inspector:us-west-2:123456789012:target/0-0kFIPusq",
            "arn:aws:inspector:us-west-2:123456789012:target/0-nvgVhaxX/template/0-7sbz2Kz0",
            "arn:aws-us-gov:inspector:us-gov-west-1:123456789012:target/0-nvgVhaxX/template/0-7sbz2Kz0/run/0-MKkpXXPE",
            FINDING,
        ] {
            let parsed: InspectorArn = arn.parse().unwrap();
            assert_eq!(parsed.to_string(), arn);
        }
    }

    #[test]
    fn a_finding_knows_its_template() {
        let finding: InspectorArn = FINDING.parse().unwrap();
        assert_eq!(finding.account, "222222222222");
        assert_eq!(
            finding.template_arn().unwrap().to_string(),
            "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX/template/0-7sbz2Kz0"
        );
        let target: InspectorArn = "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX"
            .parse()
            .unwrap();
        assert_eq!(target.template_arn(), None);
    }

    #[test]
    fn parse_kind_names_what_was_given_and_what_was_expected() {
        let err = InspectorArn::parse_kind(
            "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX",
            "assessment template",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("it names an assessment target, expected an assessment template"),
            "{err}"
        );
        assert!(InspectorArn::parse_kind(FINDING, "finding").is_ok());
    }

    #[test]
    fn malformed_arns_say_which_part_is_wrong() {
        let cases = [
            (
                "not-an-arn",
                "expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE",
            ),
            (
                "arn:aws:sns:us-east-1:222222222222:topic",
                "service \"sns\", expected \"inspector\"",
            ),
            (
                "arn:aws:inspector:us-east-1:2222:target/0-nvgVhaxX",
                "account \"2222\" is not a 12-digit account id",
            ),
            (
                "arn:aws:inspector:useast1:222222222222:target/0-nvgVhaxX",
                "region \"useast1\"",
            ),
            (
                "arn:azure:inspector:us-east-1:222222222222:target/0-nvgVhaxX",
                "unknown partition \"azure\"",
            ),
            (
                "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX/template",
                "pairs of TYPE/ID",
            ),
            (
                "arn:aws:inspector:us-east-1:222222222222:target/abc",
                "\"abc\" is not an Inspector id",
            ),
            (
                "arn:aws:inspector:us-east-1:222222222222:template/0-7sbz2Kz0",
                "resource must be",
            ),
            (
                "arn:aws:inspector:us-east-1:222222222222:target/0-a/run/0-b",
                "resource must be",
            ),
        ];
        for (input, expected) in cases {
            let err = input.parse::<InspectorArn>().unwrap_err().to_string();
            assert!(err.contains(expected), "{input}: {err}");
            assert!(
                err.starts_with(&format!("{input:?} is not a valid ARN")),
                "{err}"
            );
        }
    }

    #[test]
    fn topic_arns_parse_and_reject_other_services() {
        let topic: TopicArn = "arn:aws:sns:eu-west-1:111111111111:inspector-findings_1"
            .parse()
            .unwrap();
        assert_eq!(
            (
                topic.region.as_str(),
                topic.account.as_str(),
                topic.name.as_str()
            ),
            ("eu-west-1", "111111111111", "inspector-findings_1")
        );
        assert_eq!(
            topic.to_string(),
            "arn:aws:sns:eu-west-1:111111111111:inspector-findings_1"
        );
        assert!("arn:aws:sns:eu-west-1:111111111111:orders.fifo"
            .parse::<TopicArn>()
            .is_ok());
        for bad in [
            "arn:aws:sqs:eu-west-1:111111111111:queue",
            "arn:aws:sns:eu-west-1:111111111111:",
            "arn:aws:sns:eu-west-1:111111111111:has space",
            "arn:aws:sns:eu-west-1:111111111111:a:b",
        ] {
            assert!(bad.parse::<TopicArn>().is_err(), "{bad}");
        }
    }
}

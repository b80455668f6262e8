//! `data "inspectorlink_assessment_templates"`: the assessment templates of the provider's
//! account and region, filtered by name prefix and tags, e.g. to attach templates created
//! outside Terraform with `for_each`.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_inspector::Client;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Block, Description, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::config::{check_region, Connection};
use crate::diagnostics::{error, AwsFailure};
use crate::schema::attribute;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct State {
    pub name_prefix: Value<String>,
    pub tags: Value<BTreeMap<String, Value<String>>>,
    pub arns: Value<Vec<Value<String>>>,
    pub templates: Value<Vec<Value<Template>>>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Template {
    pub arn: Value<String>,
    pub name: Value<String>,
    pub assessment_target_arn: Value<String>,
}

pub struct AssessmentTemplates {
    connection: Connection,
}

impl AssessmentTemplates {
    pub fn new(connection: Connection) -> Self {
        AssessmentTemplates { connection }
    }
}

/// DescribeAssessmentTemplates takes at most 10 ARNs a call.
const DESCRIBE_BATCH: usize = 10;

#[async_trait]
impl DataSource for AssessmentTemplates {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        use AttributeConstraint::{Computed, Optional};
        use AttributeType::{List, Map, Object, String};
        let template = Object(HashMap::from([
            ("arn".into(), String),
            ("name".into(), String),
            ("assessment_target_arn".into(), String),
        ]));
        Some(Schema {
            version: 1,
            block: Block {
                description: Description::markdown("The Inspector Classic assessment templates of the provider's account and region whose name starts with `name_prefix` and that carry all of `tags`."),
                attributes: HashMap::from([
                    ("name_prefix".into(), attribute(String, Optional, "Only templates whose name starts with this.")),
                    ("tags".into(), attribute(Map(String.into()), Optional, "Only templates with all of these tags (key and value).")),
                    ("arns".into(), attribute(List(String.into()), Computed, "The ARNs of the matching templates, sorted.")),
                    ("templates".into(), attribute(List(template.into()), Computed, "The matching templates (`arn`, `name`, `assessment_target_arn`), sorted by ARN.")),
                ]),
                ..Default::default()
            },
        })
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        let configured = self.connection.get(diags)?;
        if inspector_facts::classic_region(&configured.region).is_none() {
            check_region(diags, AttributePath::root(), &configured.region);
            return None;
        }
        let client = &configured.inspector;
        let prefix = config
            .name_prefix
            .as_ref_option()
            .cloned()
            .unwrap_or_default();
        let tags: BTreeMap<String, String> = config
            .tags
            .as_ref_option()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_ref_option().cloned().unwrap_or_default()))
            .collect();
        match find(client, &prefix, &tags).await {
            Ok(found) => Some(State {
                arns: Value::Value(found.iter().map(|t| t.arn.clone()).collect()),
                templates: Value::Value(found.into_iter().map(Value::Value).collect()),
                ..config
            }),
            Err(failure) => {
                error(
                    diags,
                    AttributePath::root(),
                    format!("listing Inspector assessment templates: {}", failure.cause),
                    "",
                );
                None
            }
        }
    }
}

/// These calls' failures need no Inspector `errorCode` to be explained.
fn no_error_code<E>(_: &E) -> Option<String> {
    None
}

async fn find(
    client: &Client,
    prefix: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Vec<Template>, AwsFailure> {
    let mut arns = Vec::new();
    let mut pages = client
        .list_assessment_templates()
        .max_results(500)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| AwsFailure::new(&err, no_error_code))?;
        arns.extend(page.assessment_template_arns().iter().cloned());
    }
    let mut found = Vec::new();
    for batch in arns.chunks(DESCRIBE_BATCH) {
        let described = client
            .describe_assessment_templates()
            .set_assessment_template_arns(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|err| AwsFailure::new(&err, no_error_code))?;
        for template in described.assessment_templates() {
            if !template.name().starts_with(prefix) {
                continue;
            }
            if !tags.is_empty() {
                let listed = match client
                    .list_tags_for_resource()
                    .resource_arn(template.arn())
                    .send()
                    .await
                {
                    Ok(listed) => listed,
                    // Deleted since it was listed (say, by an apply destroying its own): gone,
                    // as a template whose describe fails is.
                    Err(err)
                        if err
                            .as_service_error()
                            .is_some_and(|e| e.is_no_such_entity_exception()) =>
                    {
                        continue
                    }
                    Err(err) => return Err(AwsFailure::new(&err, no_error_code)),
                };
                let has = |(key, value): (&String, &String)| {
                    listed
                        .tags()
                        .iter()
                        .any(|t| t.key() == key && t.value().unwrap_or_default() == value)
                };
                if !tags.iter().all(has) {
                    continue;
                }
            }
            found.push(Template {
                arn: Value::Value(template.arn().to_owned()),
                name: Value::Value(template.name().to_owned()),
                assessment_target_arn: Value::Value(template.assessment_target_arn().to_owned()),
            });
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::classic::TaggedTemplate;
    use test_support::{unique_account_id, unique_suffix, LocalAws};

    const REGION: &str = "us-east-1";

    async fn tag(client: &Client, arn: &str, key: &str, value: &str) {
        client
            .set_tags_for_resource()
            .resource_arn(arn)
            .tags(
                aws_sdk_inspector::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    fn fail_next_list_tags(account: &str, code: &str) {
        LocalAws::shared().admin(
            "/_localaws/faults",
            &serde_json::json!({"account_id": account, "call": "inspector:ListTagsForResource",
                                "code": code, "times": 1}),
        );
    }

    // A race the acceptance tests can run into (two tests share the member account): a
    // template listed, then deleted by the other's cleanup before its tags were read,
    // failed the whole data source read with NoSuchEntityException.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_template_deleted_while_its_tags_are_read_is_left_out_other_failures_fail() {
        let account = unique_account_id("78");
        let client = Client::new(&LocalAws::shared().sdk_config(&account, REGION).await);
        let suffix = unique_suffix();
        let first = TaggedTemplate::create(&client, &format!("{suffix}a"), REGION).await;
        let second = TaggedTemplate::create(&client, &format!("{suffix}b"), REGION).await;
        for template in [&first.template, &second.template] {
            tag(&client, template, "Suite", &suffix).await;
        }
        let tags = BTreeMap::from([("Suite".to_owned(), suffix.clone())]);
        let arns = |found: Vec<Template>| -> Vec<String> {
            found
                .into_iter()
                .map(|t| match t.arn {
                    Value::Value(arn) => arn,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        let both = arns(find(&client, "template-", &tags).await.unwrap());
        assert_eq!(both.len(), 2, "{both:?}");

        // The first template whose tags are read "vanishes": the other is still found.
        fail_next_list_tags(&account, "NoSuchEntityException");
        let one = arns(find(&client, "template-", &tags).await.unwrap());
        assert!(one.len() == 1 && both.contains(&one[0]), "{one:?}");

        // Any other failure is the read's failure, named.
        fail_next_list_tags(&account, "AccessDeniedException");
        let failure = find(&client, "template-", &tags).await.unwrap_err();
        assert_eq!(
            failure.exception.as_deref(),
            Some("AccessDeniedException"),
            "{}",
            failure.cause
        );
    }
}

//! Every bad input the provider recognises gives a diagnostic on the attribute at fault
//! that says what to fix, in plain text: no Rust backtrace, whatever RUST_BACKTRACE says.

use serde_json::json;
use test_support::classic::{SecurityTopic, TaggedTemplate};
use test_support::unique_suffix;

use crate::util::{self, fails_with, plan_fails_with, terraform, MEMBER};

const TEMPLATE_ARN: &str =
    "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX/template/0-7sbz2Kz0";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111111111111:inspectorlink-findings";

#[tokio::test(flavor = "multi_thread")]
async fn each_bad_input_is_reported_on_its_attribute_in_plain_text() {
    let mut tf = terraform("tests/terraform/provider-diagnostics");
    // Terraform passes it on to the provider, whose library would append backtraces.
    tf.set_env("RUST_BACKTRACE", "1");
    tf.init().assert_success();

    plan_fails_with(
        &tf,
        json!({"assessment_template_arn": "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX", "topic_arn": TOPIC_ARN}),
        &[
            "Error: invalid assessment_template_arn",
            "it names an assessment target, expected an assessment template",
            "assessment_template_arn = var.assessment_template_arn",
        ],
    );
    plan_fails_with(
        &tf,
        json!({"assessment_template_arn": TEMPLATE_ARN, "topic_arn": "arn:aws:sqs:us-east-1:111111111111:queue"}),
        &[
            "Error: invalid topic_arn",
            "it is an ARN of service \"sqs\", expected \"sns\"",
            "topic_arn = var.topic_arn",
        ],
    );
    plan_fails_with(
        &tf,
        json!({"assessment_template_arn": TEMPLATE_ARN, "topic_arn": "arn:aws:sns:us-west-2:111111111111:findings"}),
        &[
            "Error: assessment template and topic are in different regions",
            "The template is in us-east-1 and the topic in us-west-2",
            "topic_arn = var.topic_arn",
        ],
    );
    plan_fails_with(
        &tf,
        json!({"assessment_template_arn": TEMPLATE_ARN, "topic_arn": "arn:aws-us-gov:sns:us-east-1:111111111111:findings"}),
        &["Error: assessment template and topic are in different partitions"],
    );
    plan_fails_with(
        &tf,
        json!({"assessment_template_arn": TEMPLATE_ARN, "topic_arn": TOPIC_ARN, "events": ["FINDING_REPORTED", "finding_reported"]}),
        &[
            "Error: unknown Inspector event \"finding_reported\"",
            "use one of ASSESSMENT_RUN_STARTED, ASSESSMENT_RUN_COMPLETED",
            "events = var.events",
        ],
    );
    plan_fails_with(
        &tf,
        json!({
            "assessment_template_arn": TEMPLATE_ARN.replace("us-east-1", "us-west-2"),
            "topic_arn": "arn:aws:sns:us-west-2:111111111111:findings",
        }),
        &[
            "Error: assessment template is in another region than the provider",
            "This provider instance manages Inspector in us-east-1, the template is in us-west-2",
        ],
    );
    plan_fails_with(
        &tf,
        json!({"region": "af-south-1", "assessment_template_arn": TEMPLATE_ARN, "topic_arn": TOPIC_ARN}),
        &[
            "Error: Inspector Classic is not available in region \"af-south-1\"",
            "Use one of the Inspector Classic regions: ap-northeast-1",
        ],
    );
    fails_with(
        &tf,
        json!({"assessment_template_arn": TEMPLATE_ARN, "topic_arn": TOPIC_ARN}),
        &[
            "import",
            "-no-color",
            "-input=false",
            "inspectorlink_sns_attachment.this",
            TEMPLATE_ARN,
        ],
        &[
            "Error: importing Inspector event subscription",
            "invalid id",
            "is not <assessment_template_arn>,<topic_arn>",
        ],
    );

    // What only Inspector can tell: a template that does not exist, and a topic whose
    // policy does not let the region's Inspector service account publish.
    let suffix = unique_suffix();
    // The target, and with it the template, is deleted when `tagged` drops.
    let tagged =
        TaggedTemplate::create(&util::inspector(MEMBER).await, &suffix, util::REGION).await;
    let template = tagged.template.as_str();
    // A topic whose policy lets another account publish, not Inspector.
    let closed = SecurityTopic::create(&format!("closed-{suffix}"), util::REGION).await;
    closed.let_publish("arn:aws:iam::123456789012:root").await;
    let closed_topic = closed.topic.as_str();
    let apply = ["apply", "-no-color", "-input=false", "-auto-approve"];
    // The real template's ARN with another last character (always another: an id
    // ending in '9' once made this name the real template).
    let (stem, last) = template.split_at(template.len() - 1);
    let missing = format!("{stem}{}", if last == "9" { "8" } else { "9" });
    fails_with(
        &tf,
        json!({"assessment_template_arn": missing, "topic_arn": closed_topic}),
        &apply,
        &[
            &format!("Error: creating Inspector event subscription ({missing},{closed_topic}): NoSuchEntityException"),
            &format!("No assessment template {missing} exists in account 222222222222 and region us-east-1"),
            "assessment_template_arn = var.assessment_template_arn",
        ],
    );
    fails_with(
        &tf,
        json!({"assessment_template_arn": template, "topic_arn": closed_topic}),
        &apply,
        &[
            &format!("Error: creating Inspector event subscription ({template},{closed_topic}): AccessDeniedException"),
            &format!("The policy of topic {closed_topic} must allow sns:Publish to the Inspector service account of us-east-1, 316112463485 (principal arn:aws:iam::316112463485:root)"),
            "topic_arn = var.topic_arn",
        ],
    );
    assert!(util::subscribed(template, closed_topic).await.is_empty());
    util::delete_topic(closed_topic).await;
}

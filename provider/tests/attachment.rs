//! The life of an attachment: apply, clean plan, in-place update, drift and repair, import
//! (CLI and `import {}` with generated configuration), and a destroy that removes only the
//! attachment's own subscriptions.

use serde_json::json;
use test_support::classic::SecurityTopic;
use test_support::unique_suffix;

use crate::util::{self, output, subscribed, subscribed_at, terraform, REGION};

#[tokio::test(flavor = "multi_thread")]
async fn attachment_updates_in_place_repairs_drift_imports_and_destroys_only_its_own() {
    let suffix = unique_suffix();
    let tf = terraform("tests/terraform/provider-attachment");
    tf.set_vars(&json!({ "name_suffix": suffix }));
    tf.init().assert_success();
    util::applies_clean(&tf);

    let template = output(&tf, "assessment_template_arn");
    let topic = output(&tf, "topic_arn");
    assert_eq!(output(&tf, "attachment_id"), format!("{template},{topic}"));
    assert_eq!(subscribed(&template, &topic).await, ["FINDING_REPORTED"]);
    assert!(subscribed_at(&tf).contains_key("FINDING_REPORTED"));
    let outputs = tf.outputs();
    assert_eq!(outputs["service_account"]["account_id"], "316112463485");
    assert_eq!(outputs["suite_template_arns"], json!([template]));

    // Another subscription of the same template, to a topic this configuration does not own.
    let other_topic = SecurityTopic::create(&format!("other-{suffix}"), REGION)
        .await
        .topic;
    util::inspector(util::MEMBER)
        .await
        .subscribe_to_event()
        .resource_arn(&template)
        .topic_arn(&other_topic)
        .event("ASSESSMENT_RUN_STARTED".into())
        .send()
        .await
        .unwrap();
    let plan = tf.plan();
    assert_eq!(
        plan.code, 0,
        "another topic's subscription is not this resource's:\n{plan}"
    );

    // Changing events updates in place.
    tf.set_vars(&json!({ "name_suffix": suffix, "events": ["FINDING_REPORTED", "ASSESSMENT_RUN_COMPLETED"] }));
    util::plans_update_in_place(&tf);
    tf.apply().assert_success();
    assert_eq!(
        subscribed(&template, &topic).await,
        ["ASSESSMENT_RUN_COMPLETED", "FINDING_REPORTED"]
    );
    assert_eq!(tf.plan().code, 0);

    // A partial removal out of band is drift, repaired in place.
    util::unsubscribe(&template, &topic, "ASSESSMENT_RUN_COMPLETED").await;
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{plan}");
    assert!(plan.stdout.contains("update in-place"), "{plan}");
    assert!(
        plan.stdout.contains("+ \"ASSESSMENT_RUN_COMPLETED\""),
        "{plan}"
    );
    tf.apply().assert_success();
    assert_eq!(
        subscribed(&template, &topic).await,
        ["ASSESSMENT_RUN_COMPLETED", "FINDING_REPORTED"]
    );

    // Removing every subscription out of band removes the attachment: planned for creation.
    util::unsubscribe(&template, &topic, "ASSESSMENT_RUN_COMPLETED").await;
    util::unsubscribe(&template, &topic, "FINDING_REPORTED").await;
    util::plans_recreation(&tf);
    tf.apply().assert_success();
    assert_eq!(tf.plan().code, 0);

    // Forgotten and imported again by id: nothing to change.
    let address = "inspectorlink_sns_attachment.findings";
    let id = format!("{template},{topic}");
    util::reimports(&tf, address, &id);

    // An `import {}` block with generated configuration adopts the same subscriptions.
    let adopt = terraform("tests/terraform/provider-import");
    adopt.set_vars(&json!({ "attachment_id": id }));
    adopt.init().assert_success();
    let plan = adopt
        .run(&[
            "plan",
            "-no-color",
            "-input=false",
            "-generate-config-out=generated.tf",
        ])
        .assert_success();
    assert!(plan.stdout.contains("1 to import"), "{plan}");
    let generated = std::fs::read_to_string(adopt.dir().join("generated.tf")).unwrap();
    assert!(
        generated.contains("provider                = inspectorlink.member"),
        "{generated}"
    );
    assert!(
        generated.contains(&format!("assessment_template_arn = \"{template}\"")),
        "{generated}"
    );
    assert!(
        generated.contains(
            "events                  = [\"ASSESSMENT_RUN_COMPLETED\", \"FINDING_REPORTED\"]"
        ),
        "{generated}"
    );
    adopt.apply().assert_success();
    let plan = adopt.plan();
    assert_eq!(
        plan.code, 0,
        "generated configuration must plan clean:\n{plan}"
    );
    // The adopting configuration lets go without unsubscribing: the first one owns them.
    adopt
        .run(&[
            "state",
            "rm",
            "-no-color",
            "inspectorlink_sns_attachment.adopted",
        ])
        .assert_success();

    // Destroying the attachment removes its subscriptions and leaves the other topic's.
    tf.run(&[
        "destroy",
        "-no-color",
        "-input=false",
        "-auto-approve",
        &format!("-target={address}"),
    ])
    .assert_success();
    assert!(subscribed(&template, &topic).await.is_empty());
    assert_eq!(
        subscribed(&template, &other_topic).await,
        ["ASSESSMENT_RUN_STARTED"]
    );

    tf.destroy().assert_success();
    util::delete_topic(&other_topic).await;
}

//! A provider block that depends on a resource of the same configuration: its role ARN is
//! not known while a plan creates or changes that resource. The provider's resources plan
//! anyway (no AWS call, nothing refreshed), apply once Terraform configures the provider
//! with the known ARN, and plan clean after; a data source, which needs AWS at plan time,
//! is refused with a diagnostic that names the unknown setting and what to do.

use serde_json::json;

use crate::util::{self, configuration, fails_with, inspector2, terraform, Organisation};

/// The names of `account`'s CIS scan configurations.
async fn cis_scan_names(account: &str) -> Vec<String> {
    let listed = inspector2(account)
        .await
        .list_cis_scan_configurations()
        .send()
        .await
        .unwrap();
    listed
        .scan_configurations()
        .iter()
        .filter_map(|c| c.scan_name().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_whose_role_comes_from_a_resource_plans_then_applies_with_the_known_role() {
    let org = Organisation::create().await;
    let scan_name = format!("deferred-{}", test_support::unique_suffix());
    let mut tf = terraform("tests/terraform/provider-deferred-config");
    tf.set_env("RUST_BACKTRACE", "1");
    let base = json!({"admin_account_id": org.admin, "scan_name": scan_name});
    tf.set_vars(&base);
    tf.init().assert_success();

    // The first plan: the role ARN is not known, and nothing of the provider's fails.
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{plan}");
    for created in [
        "inspectorlink_inspector2_configuration.org will be created",
        "inspectorlink_inspector2_cis_scan_configuration.weekly will be created",
        "Plan: 3 to add, 0 to change, 0 to destroy.",
    ] {
        assert!(
            plan.stdout.contains(created),
            "missing {created:?}:\n{plan}"
        );
    }
    assert!(cis_scan_names(&org.admin).await.is_empty());

    // Applied with the role the resource gave, in the role's account; then a clean plan.
    util::applies_clean(&tf);
    let set = configuration(&org.admin).await;
    assert_eq!([&set[0], &set[3]], ["DAYS_60", "EC2_HYBRID"]);
    assert_eq!(cis_scan_names(&org.admin).await, [scan_name.as_str()]);
    assert_eq!(
        tf.outputs()["configuration_id"],
        format!("{},us-east-1", org.admin)
    );

    // The role resource changed: its ARN is unknown again, the provider's resources are
    // neither refreshed nor changed, and the apply after it leaves them as they were.
    tf.set_vars(&util::merged(&base, json!({"role_revision": 2})));
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{plan}");
    assert!(
        plan.stdout
            .contains("terraform_data.admin_role will be updated in-place")
            && plan
                .stdout
                .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "only the role resource may change:\n{plan}"
    );
    util::applies_clean(&tf);
    assert_eq!(cis_scan_names(&org.admin).await, [scan_name.as_str()]);

    // A data source cannot wait for apply: the diagnostic says which setting and what to do.
    fails_with(
        &tf,
        util::merged(&base, json!({"role_revision": 3, "read_coverage": true})),
        &["plan", "-no-color", "-input=false"],
        &[
            "Error: the inspectorlink provider's assume_role.role_arn is not known until apply",
            "Create that resource first (terraform apply -target=<its address>)",
        ],
    );

    tf.set_vars(&base);
    tf.destroy().assert_success();
    assert!(cis_scan_names(&org.admin).await.is_empty());
}

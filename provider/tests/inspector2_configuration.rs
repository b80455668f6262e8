//! The life of an Inspector v2 configuration in an organisation: set by the delegated
//! administrator (and seen by its member), clean plan, in-place update, drift made with
//! the SDK and repaired, import, a member's refusal, bad arguments, and a destroy that
//! restores the documented defaults.

use aws_sdk_inspector2::types::{
    Ec2Configuration, Ec2ScanMode, EcrConfiguration, EcrRescanDuration,
};
use serde_json::json;

use crate::util::{
    self, configuration, fails_with, inspector2, plan_fails_with, terraform, Organisation, REGION,
};

#[tokio::test(flavor = "multi_thread")]
async fn inspector2_configuration_is_set_by_the_administrator_repairs_drift_imports_and_resets_on_destroy(
) {
    let org = Organisation::create().await;
    let mut tf = terraform("tests/terraform/provider-inspector2-configuration");
    tf.set_env("RUST_BACKTRACE", "1");
    let accounts = json!({"admin_account_id": org.admin, "member_account_id": org.member});
    let vars = |extra| util::merged(&accounts, extra);
    tf.set_vars(&vars(json!({})));
    tf.init().assert_success();
    util::applies_clean(&tf);
    let outputs = tf.outputs();
    assert_eq!(outputs["id"], format!("{},{REGION}", org.admin));
    let set = &outputs["configuration"];
    assert_eq!(set["account_id"], org.admin.as_str());
    assert_eq!(set["ecr_rescan_duration_status"], "SUCCESS");
    assert_eq!(set["ec2_scan_mode_status"], "SUCCESS");
    assert!(
        set["ecr_updated_at"].as_str().unwrap().ends_with('Z'),
        "{set}"
    );
    // The optional settings left unset show Inspector's values.
    let admin = configuration(&org.admin).await;
    assert_eq!(admin[..1], ["DAYS_30"]);
    assert_eq!(admin[3], "EC2_SSM_AGENT_BASED");
    assert_eq!(set["ecr_pull_date_rescan_duration"], admin[1].as_str());
    assert_eq!(set["ecr_pull_date_rescan_mode"], admin[2].as_str());
    // The administrator's configuration is its member's.
    assert_eq!(configuration(&org.member).await, admin);

    // Every setting changes in place.
    tf.set_vars(&vars(json!({"ecr_rescan_duration": "DAYS_180", "ecr_pull_date_rescan_duration": "DAYS_60",
                             "ecr_pull_date_rescan_mode": "LAST_IN_USE_AT", "ec2_scan_mode": "EC2_HYBRID"})));
    util::plans_update_in_place(&tf);
    tf.apply().assert_success();
    let wanted = ["DAYS_180", "DAYS_60", "LAST_IN_USE_AT", "EC2_HYBRID"];
    assert_eq!(configuration(&org.admin).await, wanted);
    assert_eq!(configuration(&org.member).await, wanted);
    assert_eq!(tf.plan().code, 0);

    // A change made outside Terraform is drift, repaired in place.
    inspector2(&org.admin)
        .await
        .update_configuration()
        .ecr_configuration(
            EcrConfiguration::builder()
                .rescan_duration(EcrRescanDuration::Lifetime)
                .build()
                .unwrap(),
        )
        .ec2_configuration(
            Ec2Configuration::builder()
                .scan_mode(Ec2ScanMode::Ec2SsmAgentBased)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{plan}");
    assert!(
        plan.stdout.contains("~ ecr_rescan_duration")
            && plan.stdout.contains("\"LIFETIME\" -> \"DAYS_180\""),
        "{plan}"
    );
    assert!(
        plan.stdout
            .contains("\"EC2_SSM_AGENT_BASED\" -> \"EC2_HYBRID\""),
        "{plan}"
    );
    tf.apply().assert_success();
    assert_eq!(configuration(&org.admin).await, wanted);

    // Forgotten and imported again by id: nothing to change.
    let address = "inspectorlink_inspector2_configuration.org";
    let id = format!("{},{REGION}", org.admin);
    util::reimports(&tf, address, &id);
    // An id of another account than the provider's is refused, saying which to use.
    let other = format!("{},{REGION}", org.member);
    tf.run(&["state", "rm", "-no-color", address])
        .assert_success();
    fails_with(
        &tf,
        vars(json!({"ecr_rescan_duration": "DAYS_180", "ecr_pull_date_rescan_duration": "DAYS_60",
                    "ecr_pull_date_rescan_mode": "LAST_IN_USE_AT", "ec2_scan_mode": "EC2_HYBRID"})),
        &["import", "-no-color", "-input=false", address, &other],
        &[
            &format!("Error: importing Inspector2 configuration ({other}): another account or region than the provider's"),
            &format!("This provider instance manages account {} in {REGION}", org.admin),
        ],
    );
    tf.run(&["import", "-no-color", "-input=false", address, &id])
        .assert_success();

    // A member cannot set it: the error says who can.
    let member_apply = fails_with(
        &tf,
        vars(json!({"ecr_rescan_duration": "DAYS_180", "ecr_pull_date_rescan_duration": "DAYS_60",
                    "ecr_pull_date_rescan_mode": "LAST_IN_USE_AT", "ec2_scan_mode": "EC2_HYBRID",
                    "configure_from_member": true})),
        &["apply", "-no-color", "-input=false", "-auto-approve"],
        &[
            &format!("Error: creating Inspector2 configuration ({}, {REGION}): AccessDeniedException", org.member),
            "A member account of an Inspector organisation cannot change it: the delegated administrator sets the configuration, and it applies to every member.",
            "with inspectorlink_inspector2_configuration.member[0]",
        ],
    );
    assert!(!member_apply.stderr.contains("panicked"), "{member_apply}");
    assert_eq!(configuration(&org.member).await, wanted);

    // Destroy restores the documented defaults, for the organisation.
    tf.set_vars(&vars(json!({})));
    tf.destroy().assert_success();
    let defaults = ["DAYS_14", "DAYS_14", "LAST_IN_USE_AT", "EC2_HYBRID"];
    assert_eq!(configuration(&org.admin).await, defaults);
    assert_eq!(configuration(&org.member).await, defaults);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_bad_inspector2_configuration_argument_is_reported_on_its_attribute() {
    let mut tf = terraform("tests/terraform/provider-inspector2-configuration");
    tf.set_env("RUST_BACKTRACE", "1");
    tf.init().assert_success();
    let accounts = json!({"admin_account_id": "111111111111", "member_account_id": "222222222222"});
    let with = |name: &str, value: &str| {
        let mut vars = accounts.clone();
        vars[name] = json!(value);
        vars
    };
    plan_fails_with(
        &tf,
        with("ecr_rescan_duration", "DAYS_365"),
        &[
            "Error: invalid ecr_rescan_duration: \"DAYS_365\"",
            "Use one of LIFETIME, DAYS_3, DAYS_7, DAYS_14, DAYS_30, DAYS_60, DAYS_90, DAYS_180.",
            "ecr_rescan_duration = var.ecr_rescan_duration",
        ],
    );
    plan_fails_with(
        &tf,
        with("ecr_pull_date_rescan_duration", "LIFETIME"),
        &[
            "Error: invalid ecr_pull_date_rescan_duration: \"LIFETIME\"",
            "ecr_pull_date_rescan_duration = var.ecr_pull_date_rescan_duration",
        ],
    );
    plan_fails_with(
        &tf,
        with("ecr_pull_date_rescan_mode", "last_pull_date"),
        &[
            "Error: invalid ecr_pull_date_rescan_mode: \"last_pull_date\"",
            "Use one of LAST_PULL_DATE, LAST_IN_USE_AT.",
            "ecr_pull_date_rescan_mode = var.ecr_pull_date_rescan_mode",
        ],
    );
    plan_fails_with(
        &tf,
        with("ec2_scan_mode", "EC2_AGENTLESS"),
        &[
            "Error: invalid ec2_scan_mode: \"EC2_AGENTLESS\"",
            "Use one of EC2_SSM_AGENT_BASED, EC2_HYBRID.",
            "ec2_scan_mode = var.ec2_scan_mode",
        ],
    );
    fails_with(
        &tf,
        accounts.clone(),
        &[
            "import",
            "-no-color",
            "-input=false",
            "inspectorlink_inspector2_configuration.org",
            "us-east-1",
        ],
        &[
            "Error: importing Inspector2 configuration (us-east-1): invalid id",
            "is not <account_id>,<region>, e.g. 111111111111,us-east-1.",
        ],
    );
}

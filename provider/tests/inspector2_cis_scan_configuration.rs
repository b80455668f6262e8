//! The life of a CIS scan configuration owned by the delegated administrator and
//! targeting its member: create, clean plan, in-place update of everything (tags too),
//! drift made with the SDK and repaired, out-of-band deletion, import by ARN, bad
//! arguments, and a destroy that leaves nothing.

use std::collections::HashMap;

use aws_sdk_inspector2::types::{
    CisScanConfiguration, CisStringComparison, CisStringFilter,
    ListCisScanConfigurationsFilterCriteria, Schedule,
};
use serde_json::{json, Value};
use test_support::{unique_suffix, Terraform};

use crate::util::{self, fails_with, inspector2, output, plan_fails_with, terraform, Organisation};

/// The configuration `arn` as the administrator lists it, if it exists.
async fn listed(admin: &str, arn: &str) -> Option<CisScanConfiguration> {
    let filter = CisStringFilter::builder()
        .comparison(CisStringComparison::Equals)
        .value(arn)
        .build()
        .unwrap();
    let answer = inspector2(admin)
        .await
        .list_cis_scan_configurations()
        .filter_criteria(
            ListCisScanConfigurationsFilterCriteria::builder()
                .scan_configuration_arn_filters(filter)
                .build(),
        )
        .send()
        .await
        .unwrap();
    answer.scan_configurations().first().cloned()
}

fn tags(found: &CisScanConfiguration) -> HashMap<String, String> {
    found.tags().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn cis_scan_configuration_updates_everything_in_place_repairs_drift_imports_and_destroys() {
    let org = Organisation::create().await;
    let suffix = unique_suffix();
    let tf = terraform("tests/terraform/provider-inspector2-cis");
    let base = json!({
        "admin_account_id": org.admin,
        "scan_name": format!("cis-{suffix}"),
        "account_ids": ["SELF", org.member],
        "target_resource_tags": {"InspectorCis": [suffix]},
        "tags": {"Suite": suffix},
    });
    let vars = |extra| util::merged(&base, extra);
    tf.set_vars(&vars(json!({})));
    tf.init().assert_success();
    util::applies_clean(&tf);
    let arn = output(&tf, "arn");
    assert_eq!(output(&tf, "id"), arn);
    assert!(
        arn.contains(&format!(
            ":{}:owner/{}/cis-configuration/",
            org.admin, org.admin
        )),
        "{arn}"
    );
    let found = listed(&org.admin, &arn).await.expect("created");
    assert_eq!(found.scan_name(), Some(format!("cis-{suffix}").as_str()));
    assert_eq!(found.security_level().unwrap().as_str(), "LEVEL_1");
    let Some(Schedule::Daily(daily)) = found.schedule() else {
        panic!("{found:?}")
    };
    assert_eq!(daily.start_time().unwrap().time_of_day(), "02:00");
    let mut accounts = found.targets().unwrap().account_ids().to_vec();
    accounts.sort();
    assert_eq!(accounts, [org.member.clone(), "SELF".to_owned()]);
    assert_eq!(
        tags(&found),
        HashMap::from([("Suite".to_owned(), suffix.clone())])
    );

    // Everything changes in place, tags with TagResource / UntagResource.
    let changed = json!({
        "scan_name": format!("cis-{suffix}-weekly"),
        "security_level": "LEVEL_2",
        "schedule": {"kinds": ["weekly"], "days": ["MON", "THU"], "time_of_day": "23:15", "timezone": "Europe/Berlin"},
        "account_ids": ["SELF"],
        "target_resource_tags": {"InspectorCis": [suffix, "yes"], "Env": ["prod"]},
        "tags": {"Team": "security"},
    });
    tf.set_vars(&vars(changed.clone()));
    util::plans_update_in_place(&tf);
    tf.apply().assert_success();
    assert_eq!(output(&tf, "arn"), arn, "updated in place, same ARN");
    let found = listed(&org.admin, &arn).await.unwrap();
    assert_eq!(
        found.scan_name(),
        Some(format!("cis-{suffix}-weekly").as_str())
    );
    assert_eq!(found.security_level().unwrap().as_str(), "LEVEL_2");
    let Some(Schedule::Weekly(weekly)) = found.schedule() else {
        panic!("{found:?}")
    };
    let mut days: Vec<&str> = weekly.days().iter().map(|d| d.as_str()).collect();
    days.sort();
    assert_eq!(days, ["MON", "THU"]);
    assert_eq!(weekly.start_time().unwrap().timezone(), "Europe/Berlin");
    assert_eq!(found.targets().unwrap().account_ids(), ["SELF"]);
    assert_eq!(
        found.targets().unwrap().target_resource_tags().unwrap()["Env"],
        ["prod"]
    );
    assert_eq!(
        tags(&found),
        HashMap::from([("Team".to_owned(), "security".to_owned())])
    );
    assert_eq!(tf.plan().code, 0);

    // One time, monthly: the other schedules change in place too.
    for schedule in [
        json!({"kinds": ["one_time"]}),
        json!({"kinds": ["monthly"], "day": "SUN", "time_of_day": "4:05"}),
    ] {
        let mut next = changed.clone();
        next["schedule"] = schedule;
        tf.set_vars(&vars(next));
        tf.apply().assert_success();
        let plan = tf.plan();
        assert_eq!(plan.code, 0, "{plan}");
    }
    let found = listed(&org.admin, &arn).await.unwrap();
    let Some(Schedule::Monthly(monthly)) = found.schedule() else {
        panic!("{found:?}")
    };
    assert_eq!(
        (
            monthly.day().as_str(),
            monthly.start_time().unwrap().time_of_day()
        ),
        ("SUN", "4:05")
    );

    // Changes made outside Terraform are drift, repaired in place.
    let admin = inspector2(&org.admin).await;
    admin
        .update_cis_scan_configuration()
        .scan_configuration_arn(&arn)
        .scan_name("renamed")
        .send()
        .await
        .unwrap();
    admin
        .tag_resource()
        .resource_arn(&arn)
        .tags("Drift", "yes")
        .send()
        .await
        .unwrap();
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{plan}");
    assert!(
        plan.stdout.contains(&format!(
            "~ scan_name      = \"renamed\" -> \"cis-{suffix}-weekly\""
        )),
        "{plan}"
    );
    assert!(
        plan.stdout.contains("- \"Drift\" = \"yes\" -> null"),
        "{plan}"
    );
    tf.apply().assert_success();
    let found = listed(&org.admin, &arn).await.unwrap();
    assert_eq!(
        found.scan_name(),
        Some(format!("cis-{suffix}-weekly").as_str())
    );
    assert_eq!(
        tags(&found),
        HashMap::from([("Team".to_owned(), "security".to_owned())])
    );

    // Deleted outside Terraform: planned for creation again.
    admin
        .delete_cis_scan_configuration()
        .scan_configuration_arn(&arn)
        .send()
        .await
        .unwrap();
    util::plans_recreation(&tf);
    tf.apply().assert_success();
    let arn = output(&tf, "arn");
    assert!(listed(&org.admin, &arn).await.is_some());

    // Forgotten and imported again by ARN: nothing to change.
    let address = "inspectorlink_inspector2_cis_scan_configuration.this";
    util::reimports(&tf, address, &arn);

    // The member's provider alias does not reach the administrator's configuration.
    let mut monthly = changed.clone();
    monthly["schedule"] = json!({"kinds": ["monthly"], "day": "SUN", "time_of_day": "4:05"});
    monthly["member_account_id"] = json!(org.member);
    fails_with(
        &tf,
        vars(monthly),
        &[
            "import",
            "-no-color",
            "-input=false",
            "inspectorlink_inspector2_cis_scan_configuration.member[0]",
            &arn,
        ],
        &[
            &format!("Error: importing Inspector2 CIS scan configuration ({arn}): not found"),
            "import with the provider alias of the account and region that own it",
        ],
    );

    tf.destroy().assert_success();
    assert!(
        listed(&org.admin, &arn).await.is_none(),
        "destroy left the configuration"
    );
}

/// Replaces the working copy's `schedule` block with `block` written out: the root's
/// `dynamic` blocks hide the source lines of nested attributes from Terraform's messages.
fn write_schedule(tf: &Terraform, block: &str) {
    let path = tf.dir().join("main.tf");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("  schedule {").unwrap();
    let end = text.find("  targets {").unwrap();
    let replaced = format!(
        "{}  schedule {{\n    {block}\n  }}\n\n{}",
        &text[..start],
        &text[end..]
    );
    std::fs::write(path, replaced).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn each_bad_cis_scan_configuration_argument_is_reported_on_its_attribute() {
    let mut tf = terraform("tests/terraform/provider-inspector2-cis");
    tf.set_env("RUST_BACKTRACE", "1");
    tf.init().assert_success();
    let account = test_support::unique_account_id("83");
    let base = json!({"admin_account_id": account, "scan_name": "cis-bad-input"});
    let with = |extra| util::merged(&base, extra);
    let cases: [(Value, &[&str]); 8] = [
        (
            json!({"schedule": {"kinds": []}}),
            &["Error: schedule has 0 kinds of schedule"],
        ),
        (
            json!({"security_level": "LEVEL_3"}),
            &[
                "Error: invalid security_level: \"LEVEL_3\"",
                "Use one of LEVEL_1, LEVEL_2.",
                "security_level = var.security_level",
            ],
        ),
        (
            json!({"scan_name": ""}),
            &[
                "Error: invalid scan_name: 0 characters",
                "scan_name = var.scan_name",
            ],
        ),
        (
            json!({"account_ids": ["2222"]}),
            &[
                "Error: invalid account id \"2222\"",
                "12-digit account id, SELF or ALL_ACCOUNTS",
                "account_ids = var.account_ids",
            ],
        ),
        (
            json!({"target_resource_tags": {}}),
            &[
                "Error: target_resource_tags has 0 keys",
                "target_resource_tags = var.target_resource_tags",
            ],
        ),
        (
            json!({"target_resource_tags": {"k": ["1", "2", "3", "4", "5", "6"]}}),
            &[
                "Error: target_resource_tags[\"k\"] has 6 values",
                "Give 1 to 5 values for each tag key.",
                "target_resource_tags = var.target_resource_tags",
            ],
        ),
        (
            json!({"tags": {"aws:owner": "me"}}),
            &[
                "Error: invalid tag key \"aws:owner\"",
                "Tag keys starting with aws: are reserved",
                "tags = var.tags",
            ],
        ),
        (
            json!({"tags": {"Team": "x".repeat(257)}}),
            &[
                "Error: invalid tag value: 257 characters",
                "tags = var.tags",
            ],
        ),
    ];
    for (vars, expected) in cases {
        plan_fails_with(&tf, with(vars), expected);
    }
    let import = [
        "import",
        "-no-color",
        "-input=false",
        "inspectorlink_inspector2_cis_scan_configuration.this",
    ];
    fails_with(
        &tf,
        with(json!({})),
        &[&import[..], &["cis-configuration/1"]].concat(),
        &[
            "Error: importing Inspector2 CIS scan configuration (cis-configuration/1): invalid id",
            "is not a CIS scan configuration ARN",
        ],
    );
    let missing = format!("arn:aws:inspector2:us-east-1:{account}:owner/{account}/cis-configuration/0e1b0cf4-5b0c-4b7a-9e5e-2d4b8a0e3f11");
    fails_with(
        &tf,
        with(json!({})),
        &[&import[..], &[missing.as_str()]].concat(),
        &[&format!(
            "Error: importing Inspector2 CIS scan configuration ({missing}): not found"
        )],
    );

    // Nested attributes, with the schedule written out.
    let start_time = |time: &str, zone: &str| {
        format!(
            "start_time {{\n        time_of_day = {time}\n        timezone    = {zone}\n      }}"
        )
    };
    let written: [(String, Value, &[&str]); 4] = [
        (
            format!("daily {{\n      {}\n    }}\n    weekly {{\n      days = [\"MON\"]\n      {}\n    }}", start_time("\"01:00\"", "\"UTC\""), start_time("\"01:00\"", "\"UTC\"")),
            json!({}),
            &[
                "Error: schedule has 2 kinds of schedule",
                "Give exactly one of one_time {}, daily {}, weekly {} or monthly {} (found daily, weekly).",
                "weekly {",
            ],
        ),
        (
            format!(
                "daily {{\n      {}\n    }}",
                start_time("var.schedule.time_of_day", "\"UTC\"")
            ),
            json!({"schedule": {"kinds": [], "time_of_day": "25:00"}}),
            &[
                "Error: invalid time_of_day: \"25:00\"",
                "A time of day is HH:MM on a 24-hour clock",
                "time_of_day = var.schedule.time_of_day",
            ],
        ),
        (
            format!(
                "weekly {{\n      days = var.schedule.days\n      {}\n    }}",
                start_time("\"01:00\"", "\"UTC\"")
            ),
            json!({"schedule": {"kinds": [], "days": ["MONDAY"]}}),
            &[
                "Error: invalid day: \"MONDAY\"",
                "Use one of MON, TUE, WED, THU, FRI, SAT, SUN.",
                "days = var.schedule.days",
            ],
        ),
        (
            format!(
                "monthly {{\n      day = var.schedule.day\n      {}\n    }}",
                start_time("\"01:00\"", "\"UTC\"")
            ),
            json!({"schedule": {"kinds": [], "day": "1"}}),
            &["Error: invalid day: \"1\"", "day = var.schedule.day"],
        ),
    ];
    for (block, vars, expected) in written {
        write_schedule(&tf, &block);
        plan_fails_with(&tf, with(vars), expected);
    }
    // Only Inspector knows the time zones: its ValidationException lands on the attribute.
    write_schedule(
        &tf,
        &format!(
            "daily {{\n      {}\n    }}",
            start_time("\"02:00\"", "var.schedule.timezone")
        ),
    );
    fails_with(
        &tf,
        with(json!({"schedule": {"kinds": [], "timezone": "Mars/Olympus_Mons"}})),
        &["apply", "-no-color", "-input=false", "-auto-approve"],
        &[
            "Error: creating Inspector2 CIS scan configuration (cis-bad-input): ValidationException",
            "Mars/Olympus_Mons",
            "timezone = var.schedule.timezone",
        ],
    );
}

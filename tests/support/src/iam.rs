//! What the local AWS's IAM enforcement saw (tests/localaws/localaws/identity.py): the calls
//! each enforced role made, allowed or denied, and the actions its policies grant that no
//! allowed call used.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::LocalAws;

/// One distinct call of a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub action: String,
    pub resource: String,
    pub allowed: bool,
    /// Why it was allowed or, for a denied call, AWS's message.
    pub reason: String,
    /// The call a service made this check for (S3 using the key of an object), if any.
    pub via: Option<String>,
    /// `<policy>/<Sid>` of the identity statements that allowed it.
    pub statements: Vec<String>,
}

/// An action an Allow statement grants that no allowed call used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unused {
    pub policy: String,
    pub sid: String,
    pub action: String,
}

/// A role's calls and unused grants.
#[derive(Debug, Clone, Default)]
pub struct RoleAccess {
    pub calls: Vec<Call>,
    pub unused: Vec<Unused>,
}

impl RoleAccess {
    pub fn denied(&self) -> impl Iterator<Item = &Call> {
        self.calls.iter().filter(|call| !call.allowed)
    }
}

impl LocalAws {
    /// Enforces the identity policies of the roles whose ARNs match `patterns` (globs).
    pub fn enforce_identity_policies(&self, patterns: &[String]) {
        self.admin(
            "/_localaws/iam",
            &serde_json::json!({ "enforce": patterns }),
        );
    }

    /// The access log of every enforced role whose name starts with `role_name_prefix`,
    /// by role ARN.
    pub fn iam_access(&self, role_name_prefix: &str) -> BTreeMap<String, RoleAccess> {
        let answer = self.get("/_localaws/iam");
        let roles = answer["roles"].as_object().cloned().unwrap_or_default();
        roles
            .into_iter()
            .filter(|(arn, _)| {
                arn.rsplit_once(":role/")
                    .is_some_and(|(_, name)| name.starts_with(role_name_prefix))
            })
            .map(|(arn, access)| (arn, role_access(&access)))
            .collect()
    }
}

fn role_access(access: &Value) -> RoleAccess {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let items = |value: &Value| value.as_array().cloned().unwrap_or_default();
    RoleAccess {
        calls: items(&access["calls"])
            .iter()
            .map(|call| Call {
                action: text(&call["action"]),
                resource: text(&call["resource"]),
                allowed: call["decision"] == "allow",
                reason: text(&call["reason"]),
                via: call["via"].as_str().map(str::to_owned),
                statements: items(&call["statements"]).iter().map(text).collect(),
            })
            .collect(),
        unused: items(&access["unused"])
            .iter()
            .map(|unused| Unused {
                policy: text(&unused["policy"]),
                sid: text(&unused["sid"]),
                action: text(&unused["action"]),
            })
            .collect(),
    }
}

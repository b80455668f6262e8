//! Cross-account access: one assumed-role config per member account, reused across
//! invocations. The SDK's identity cache refreshes the credentials shortly before they
//! expire, so a warm Lambda calls sts:AssumeRole once per account per hour, not per finding.

use std::collections::HashMap;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use tokio::sync::Mutex;

pub struct MemberAccounts {
    base: SdkConfig,
    role_name: String,
    external_id: Option<String>,
    session_name: String,
    by_account: Mutex<HashMap<String, SdkConfig>>,
    aliases: Mutex<HashMap<String, Option<String>>>,
}

impl MemberAccounts {
    /// `base` is the Lambda's own config (its role assumes the member roles).
    pub fn new(
        base: SdkConfig,
        role_name: impl Into<String>,
        external_id: Option<String>,
        session_name: impl Into<String>,
    ) -> Self {
        MemberAccounts {
            base,
            role_name: role_name.into(),
            external_id,
            session_name: session_name.into(),
            by_account: Mutex::new(HashMap::new()),
            aliases: Mutex::new(HashMap::new()),
        }
    }

    /// The member role's ARN in `account`, in the partition of `region`.
    pub fn role_arn(&self, account: &str, region: &str) -> String {
        let partition = if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else if region.starts_with("cn-") {
            "aws-cn"
        } else {
            "aws"
        };
        format!("arn:{partition}:iam::{account}:role/{}", self.role_name)
    }

    /// An SDK config acting as the member role of `account`, for `region`.
    pub async fn config(&self, account: &str, region: &str) -> SdkConfig {
        let mut by_account = self.by_account.lock().await;
        if !by_account.contains_key(account) {
            let mut role = AssumeRoleProvider::builder(self.role_arn(account, region))
                .session_name(&self.session_name);
            if let Some(external_id) = &self.external_id {
                role = role.external_id(external_id);
            }
            let provider = role.configure(&self.base).build().await;
            let config = self
                .base
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
            by_account.insert(account.to_owned(), config);
        }
        by_account[account]
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build()
    }

    /// The account's IAM alias, looked up once per execution environment through the member
    /// role (iam:ListAccountAliases). None when it has none or the role may not ask: a
    /// notification is still worth sending without it.
    pub async fn alias(&self, account: &str, region: &str) -> Option<String> {
        if let Some(known) = self.aliases.lock().await.get(account) {
            return known.clone();
        }
        let config = self.config(account, region).await;
        let alias = match aws_sdk_iam::Client::new(&config)
            .list_account_aliases()
            .send()
            .await
        {
            Ok(output) => output.account_aliases().first().cloned(),
            Err(err) => {
                tracing::warn!(%account, error = %aws_smithy_types::error::display::DisplayErrorContext(&err), "no account alias: the member role needs iam:ListAccountAliases to show it");
                None
            }
        };
        self.aliases
            .lock()
            .await
            .insert(account.to_owned(), alias.clone());
        alias
    }
}

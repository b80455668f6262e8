//! The multi-account convention from Rust: each assumed-role account sees only its own.

use test_support::{unique_suffix, LocalAws, MEMBER_ACCOUNTS};

#[tokio::test]
async fn assumed_role_lands_in_the_named_account() {
    let aws = LocalAws::shared();
    for account in MEMBER_ACCOUNTS {
        let config = aws.sdk_config(account, "us-east-1").await;
        let identity = aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await
            .unwrap();
        assert_eq!(identity.account(), Some(account));
    }
}

#[tokio::test]
async fn each_account_lists_only_its_own_queues() {
    let aws = LocalAws::shared();
    let name = format!("isolation-{}", unique_suffix());
    let [first, second] = MEMBER_ACCOUNTS;
    let sqs_first = aws_sdk_sqs::Client::new(&aws.sdk_config(first, "us-east-1").await);
    let sqs_second = aws_sdk_sqs::Client::new(&aws.sdk_config(second, "us-east-1").await);

    let url = sqs_first
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert!(url.contains(first), "queue URL {url} names its account");

    let listed = |client: aws_sdk_sqs::Client| {
        let name = name.clone();
        async move {
            client
                .list_queues()
                .queue_name_prefix(name)
                .send()
                .await
                .unwrap()
                .queue_urls
                .unwrap_or_default()
        }
    };
    assert_eq!(listed(sqs_first).await.len(), 1);
    assert!(
        listed(sqs_second).await.is_empty(),
        "account {second} must not see {first}'s queue"
    );
}

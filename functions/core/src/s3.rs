//! The S3 sink: one object per finding at a key derived from the finding only, so a
//! redelivery overwrites rather than duplicates. SSE-KMS when a key is configured.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use tracing::instrument;

use crate::finding::Finding;

pub struct S3Sink {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    kms_key_arn: Option<String>,
}

impl S3Sink {
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
        kms_key_arn: Option<String>,
    ) -> Self {
        S3Sink {
            client,
            bucket,
            prefix,
            kms_key_arn,
        }
    }

    /// Writes the finding; returns its key.
    #[instrument(skip_all, fields(finding_id = %finding.id))]
    pub async fn put(&self, finding: &Finding) -> Result<String, aws_sdk_s3::Error> {
        let key = finding.s3_key(&self.prefix);
        let body = serde_json::to_vec(finding).expect("a Finding always serialises");
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body));
        if let Some(key_arn) = &self.kms_key_arn {
            request = request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(key_arn)
                .bucket_key_enabled(true);
        }
        request.send().await?;
        Ok(key)
    }
}

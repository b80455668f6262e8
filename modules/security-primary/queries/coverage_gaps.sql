-- Resources Inspector v2 does not scan, by account, region, scan type and reason (the current coverage: what the Coverage events and the daily sweep stored), with how many of each resource type and the resources themselves.
SELECT
  account_id,
  region,
  scan_type,
  scan_status_reason,
  count(*) AS resources,
  count_if(resource_type = 'AWS_EC2_INSTANCE') AS ec2_instances,
  count_if(resource_type = 'AWS_ECR_CONTAINER_IMAGE') AS ecr_images,
  count_if(resource_type = 'AWS_LAMBDA_FUNCTION') AS lambda_functions,
  array_sort(array_agg(resource_id)) AS resource_ids
FROM coverage
WHERE scan_status = 'INACTIVE'
GROUP BY account_id, region, scan_type, scan_status_reason
ORDER BY resources DESC, account_id, region, scan_type, scan_status_reason

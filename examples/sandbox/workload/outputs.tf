output "instance_ids" {
  description = "The instances' ids by name."
  value       = { for name, instance in aws_instance.this : name => instance.id }
}

output "repository_names" {
  description = "The ECR repositories' names (push an image into each to have it scanned)."
  value       = [for repository in aws_ecr_repository.this : repository.name]
}

output "function_arns" {
  description = "The Lambda functions' ARNs by name."
  value       = { for name, function in aws_lambda_function.this : name => function.arn }
}

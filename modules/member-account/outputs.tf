output "account_id" {
  description = "The member account's id."
  value       = try(data.aws_caller_identity.current.account_id, null)
}

output "read_role_arn" {
  description = "ARN of the read-only role the central Lambdas assume (with the external id)."
  value       = try(aws_iam_role.read[0].arn, null)
}

output "read_role_name" {
  description = "Name of the read-only role; the security account's Lambdas build its ARN from it for every member account."
  value       = try(aws_iam_role.read[0].name, null)
}

output "scheduler_role_arn" {
  description = "ARN of the role EventBridge uses to start assessment runs; pass it to every member-region module of this account."
  value       = try(aws_iam_role.scheduler[0].arn, null)
}

output "scheduler_role_name" {
  description = "Name of the scheduler role."
  value       = try(aws_iam_role.scheduler[0].name, null)
}

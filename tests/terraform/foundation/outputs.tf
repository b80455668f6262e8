output "central_queue_url" {
  description = "URL of the queue every topic delivers to."
  value       = aws_sqs_queue.central.id
}

output "dlq_arn" {
  description = "ARN of the central queue's dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "topic_arns" {
  description = "Every topic subscribed to the central queue: security primary and secondary, then member A and B, primary and secondary."
  value       = local.topic_arns
}

output "attachment_id" {
  value = inspectorlink_sns_attachment.this.id
}

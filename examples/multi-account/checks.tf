# What the estate promises, stated where Terraform can check it: on every plan and apply
# (a failed check warns and does not stop an apply; make test-example fails on any).
# Behaviour Terraform cannot see, such as an unlisted account's notifications being
# dropped by the subscription filters, is tested end to end in tests/e2e.
#
# The roles are read by data sources of the root, not ones scoped to the check block:
# Terraform plans to read a check's own data sources again during every apply, so a plan
# right after an apply would never be empty. They take the name from the role's ARN, which
# is known once the role exists, so the first plan defers them to the apply.

data "aws_iam_role" "member_a_read" {
  provider = aws.member_a_primary
  name     = reverse(split("/", module.member_a.read_role_arn))[0]
}

data "aws_iam_role" "member_b_read" {
  provider = aws.member_b_primary
  name     = reverse(split("/", module.member_b.read_role_arn))[0]
}

check "read_roles_trust_only_the_central_lambdas_with_the_external_id" {
  assert {
    condition = alltrue([
      for role in [data.aws_iam_role.member_a_read, data.aws_iam_role.member_b_read] : alltrue([
        for statement in jsondecode(role.assume_role_policy).Statement : statement.Effect != "Allow" || (
          toset(try(flatten([statement.Principal.AWS]), [])) == toset([
            module.security_primary.send_findings_role_arn,
            module.security_primary.notify_findings_role_arn,
          ])
          && try(flatten([statement.Condition.StringEquals["sts:ExternalId"]]), []) == [var.external_id]
        )
      ])
    ])
    error_message = "A member read role trusts a principal other than the central Lambda roles, or trusts them without the external id."
  }
}

# Applies the module in a member account of the local AWS (555555555555, used by no other
# test) and checks the roles' trust and permissions, and that the central Lambda role can
# assume the read role with the external id. Endpoints and keys come from the local AWS's
# env file (AWS_ENDPOINT_URL etc.); accounts are reached by assuming a role in them.

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::555555555555:role/inspectorlink-test"
  }
}

# The security account's send-findings role (a role that does not exist in the local IAM is
# assumable), then the member's read role with the external id: what the Lambda does.
provider "aws" {
  alias                   = "central_lambda"
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/ilmatest-send-findings"
  }
  assume_role {
    role_arn    = "arn:aws:iam::555555555555:role/ilmatest-read"
    external_id = "ilmatest-external-id"
  }
}

variables {
  name_prefix = "ilmatest"
  central_role_arns = [
    "arn:aws:iam::111111111111:role/ilmatest-send-findings",
    "arn:aws:iam::111111111111:role/ilmatest-notify-findings",
  ]
  external_id = "ilmatest-external-id"
  tags        = { Suite = "member-account" }
}

run "roles_trust_and_permissions" {
  assert {
    condition     = aws_iam_role.read[0].name == "ilmatest-read" && output.read_role_arn == "arn:aws:iam::555555555555:role/ilmatest-read"
    error_message = "the read role is named <name_prefix>-read in the member account"
  }

  assert {
    condition = toset(flatten([jsondecode(aws_iam_role.read[0].assume_role_policy).Statement[0].Principal.AWS])) == toset([
      "arn:aws:iam::111111111111:role/ilmatest-send-findings",
      "arn:aws:iam::111111111111:role/ilmatest-notify-findings",
    ])
    error_message = "the read role trusts exactly the central Lambda roles"
  }

  assert {
    condition     = length(jsondecode(aws_iam_role.read[0].assume_role_policy).Statement) == 1 && jsondecode(aws_iam_role.read[0].assume_role_policy).Statement[0].Effect == "Allow"
    error_message = "the read role's trust policy has one statement"
  }

  assert {
    condition     = jsondecode(aws_iam_role.read[0].assume_role_policy).Statement[0].Condition == { StringEquals = { "sts:ExternalId" = "ilmatest-external-id" } }
    error_message = "the read role requires the external id, and no organisation condition unless asked"
  }

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.read[0].policy).Statement : s.Action])) == toset([
      "inspector:DescribeFindings", "ec2:DescribeInstances", "iam:ListAccountAliases",
    ])
    error_message = "the read role may do exactly DescribeFindings, DescribeInstances and ListAccountAliases"
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.read[0].policy).Statement : s.Effect == "Allow" && s.Resource == "*"])
    error_message = "read permissions are Allow on * (none of the actions has resource types)"
  }

  assert {
    condition     = jsondecode(aws_iam_role.scheduler[0].assume_role_policy).Statement[0].Principal == { Service = "events.amazonaws.com" }
    error_message = "the scheduler role trusts EventBridge only"
  }

  assert {
    condition     = jsondecode(aws_iam_role.scheduler[0].assume_role_policy).Statement[0].Condition == { StringEquals = { "aws:SourceAccount" = "555555555555" } }
    error_message = "the scheduler role trusts only rules of its own account (aws:SourceAccount)"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.scheduler[0].policy).Statement[0].Action == "inspector:StartAssessmentRun" && length(jsondecode(aws_iam_role_policy.scheduler[0].policy).Statement) == 1
    error_message = "the scheduler role may only start assessment runs"
  }

  assert {
    condition     = aws_iam_role.read[0].tags == tomap({ Suite = "member-account" }) && coalesce(aws_iam_role.scheduler[0].permissions_boundary, "none") == "none"
    error_message = "tags are set and no boundary unless given"
  }
}

run "central_lambda_assumes_the_read_role_with_the_external_id" {
  providers = {
    aws = aws.central_lambda
  }

  module {
    source = "./tests/assume"
  }

  assert {
    condition     = output.account_id == "555555555555" && startswith(output.arn, "arn:aws:sts::555555555555:assumed-role/ilmatest-read/")
    error_message = "a session of the central role with the external id becomes the member's read role"
  }
}

run "organization_condition_and_boundary" {
  variables {
    organization_id      = "o-abcdef1234"
    permissions_boundary = "arn:aws:iam::555555555555:policy/landing-zone-boundary"
  }

  assert {
    condition = jsondecode(aws_iam_role.read[0].assume_role_policy).Statement[0].Condition == {
      StringEquals = { "sts:ExternalId" = "ilmatest-external-id", "aws:PrincipalOrgID" = "o-abcdef1234" }
    }
    error_message = "organization_id adds aws:PrincipalOrgID to the external id condition"
  }

  assert {
    condition     = aws_iam_role.read[0].permissions_boundary == "arn:aws:iam::555555555555:policy/landing-zone-boundary" && aws_iam_role.scheduler[0].permissions_boundary == "arn:aws:iam::555555555555:policy/landing-zone-boundary"
    error_message = "both roles carry the permissions boundary"
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_iam_role.read) == 0 && length(aws_iam_role.scheduler) == 0 && output.read_role_arn == null
    error_message = "create = false creates no role"
  }
}

run "rejects_an_account_root_as_central_principal" {
  command = plan

  variables {
    central_role_arns = ["arn:aws:iam::111111111111:root"]
  }

  expect_failures = [var.central_role_arns]
}

run "rejects_a_malformed_organization_id" {
  command = plan

  variables {
    organization_id = "123456"
  }

  expect_failures = [var.organization_id]
}

# What Inspector v2 has to scan in one member account and region of the sandbox: a public
# subnet with EC2 instances (one open to SSH from the internet, one excluded by tag, one
# stopped, ...), ECR repositories and Lambda functions. Nothing here is part of
# inspectorlink: a landing zone's workloads stand where this module stands.

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name
  name   = "${var.name_prefix}-${local.region}"
}

resource "aws_vpc" "this" {
  cidr_block           = "10.20.0.0/16"
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = local.name })
}

resource "aws_subnet" "public" {
  vpc_id                  = aws_vpc.this.id
  cidr_block              = "10.20.1.0/24"
  map_public_ip_on_launch = true
  tags                    = merge(var.tags, { Name = "${local.name}-public" })
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = local.name })
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  tags   = merge(var.tags, { Name = "${local.name}-public" })

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "instances" {
  name        = "${local.name}-instances"
  description = "Sandbox instances: outbound only"
  vpc_id      = aws_vpc.this.id
  tags        = var.tags

  egress {
    description = "Package repositories and the SSM endpoints"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# Deliberately open: Inspector reports the path from the internet gateway to port 22.
resource "aws_security_group" "ssh_from_internet" {
  count = anytrue([for i in values(var.instances) : i.ssh_from_internet]) ? 1 : 0

  name        = "${local.name}-ssh-from-internet"
  description = "SSH from anywhere: the mistake the sandbox shows Inspector finding"
  vpc_id      = aws_vpc.this.id
  tags        = var.tags

  ingress {
    description = "SSH from the internet"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# The instance profile of managed instances: SSM-agent-based scanning needs one.
resource "aws_iam_role" "instance" {
  count = length(var.instances) > 0 ? 1 : 0

  name = "${local.name}-instance"
  tags = var.tags
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "instance_ssm" {
  count = length(var.instances) > 0 ? 1 : 0

  name = "ssm-agent"
  role = aws_iam_role.instance[0].id
  # What the SSM agent calls (AmazonSSMManagedInstanceCore, trimmed to the agent's core).
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["ssm:UpdateInstanceInformation", "ssmmessages:*", "ec2messages:*"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_instance_profile" "instance" {
  count = length(var.instances) > 0 ? 1 : 0

  name = "${local.name}-instance"
  role = aws_iam_role.instance[0].name
  tags = var.tags
}

resource "aws_instance" "this" {
  for_each = var.instances

  ami                  = each.value.ami
  instance_type        = "t3.micro"
  subnet_id            = aws_subnet.public.id
  iam_instance_profile = each.value.managed ? aws_iam_instance_profile.instance[0].name : null
  ebs_optimized        = true
  vpc_security_group_ids = concat(
    [aws_security_group.instances.id],
    each.value.ssh_from_internet ? [aws_security_group.ssh_from_internet[0].id] : [],
  )
  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" }, each.value.excluded ? { InspectorEc2Exclusion = "true" } : {})

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    encrypted   = true
    volume_size = 8
    volume_type = "gp3"
  }
}

resource "aws_ec2_instance_state" "stopped" {
  for_each = { for name, instance in var.instances : name => instance if instance.stopped }

  instance_id = aws_instance.this[each.key].id
  state       = "stopped"
}

resource "aws_ecr_repository" "this" {
  for_each = toset(var.repositories)

  name                 = "${var.name_prefix}/${each.value}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = true
  tags                 = var.tags
}

resource "aws_iam_role" "function" {
  count = length(var.functions) > 0 ? 1 : 0

  name = "${local.name}-function"
  tags = var.tags
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_lambda_function" "this" {
  for_each = var.functions

  function_name    = "${var.name_prefix}-${each.key}"
  role             = aws_iam_role.function[0].arn
  runtime          = each.value.runtime
  handler          = "index.handler"
  filename         = var.function_zip
  source_code_hash = filebase64sha256(var.function_zip)
  tags             = var.tags
}

# l3c-edge on AWS + Cloudflare (Terraform >= 1.6, AWS provider ~> 5).
#   terraform init && terraform apply -var backend_url=https://l3c-backend.internal -var backend_token=...
# Pieces: the image bucket, S3 -> SQS notifications (with a dead-letter queue), the hook
# Lambda (hooks/src/lambda.ts; `npm run build:lambda` writes dist/hooks-lambda.zip),
# and a GPU instance for the backend container (infra/backend/Dockerfile). The Worker is
# deployed with `wrangler deploy` (wrangler.toml), pointing at the bucket and the backend.

variable "region" { default = "us-east-1" }
variable "bucket" { default = "l3c-images" }
variable "backend_url" {}
variable "backend_token" { sensitive = true }
variable "backend_instance_type" { default = "g5.xlarge" } # 1x A10G
variable "backend_ami" { description = "an AMI with Docker + NVIDIA container toolkit (e.g. AWS Deep Learning Base AMI)" }

provider "aws" { region = var.region }

resource "aws_s3_bucket" "images" { bucket = var.bucket }

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.bucket}-l3c-dlq"
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "events" {
  name                       = "${var.bucket}-l3c-events"
  visibility_timeout_seconds = 960 # > Lambda timeout
  redrive_policy             = jsonencode({ deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 5 })
}

resource "aws_sqs_queue_policy" "s3_send" {
  queue_url = aws_sqs_queue.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow", Principal = { Service = "s3.amazonaws.com" }, Action = "sqs:SendMessage",
      Resource  = aws_sqs_queue.events.arn,
      Condition = { ArnEquals = { "aws:SourceArn" = aws_s3_bucket.images.arn } }
    }]
  })
}

resource "aws_s3_bucket_notification" "images" {
  bucket = aws_s3_bucket.images.id
  dynamic "queue" {
    for_each = [".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"]
    content {
      queue_arn     = aws_sqs_queue.events.arn
      events        = ["s3:ObjectCreated:*"]
      filter_suffix = queue.value
    }
  }
  depends_on = [aws_sqs_queue_policy.s3_send]
}

resource "aws_iam_role" "hook" {
  name = "${var.bucket}-l3c-hook"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "hook" {
  role = aws_iam_role.hook.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # Read originals, write only <key>.l3c objects: the hook can never overwrite an original.
      { Effect = "Allow", Action = ["s3:GetObject"], Resource = "${aws_s3_bucket.images.arn}/*" },
      { Effect = "Allow", Action = ["s3:PutObject"], Resource = "${aws_s3_bucket.images.arn}/*.l3c" },
      { Effect = "Allow", Action = ["s3:ListBucket"], Resource = aws_s3_bucket.images.arn },
      { Effect = "Allow", Action = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource = aws_sqs_queue.events.arn },
      { Effect = "Allow", Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], Resource = "*" }
    ]
  })
}

resource "aws_lambda_function" "hook" {
  function_name = "${var.bucket}-l3c-hook"
  role          = aws_iam_role.hook.arn
  runtime       = "nodejs24.x"
  handler       = "index.handler"
  filename      = "${path.module}/../../dist/hooks-lambda.zip"
  timeout       = 900
  memory_size   = 2048 # sharp decodes originals for verification
  environment { variables = { L3C_BACKEND_URL = var.backend_url, L3C_BACKEND_TOKEN = var.backend_token } }
}

resource "aws_lambda_event_source_mapping" "hook" {
  event_source_arn        = aws_sqs_queue.events.arn
  function_name           = aws_lambda_function.hook.arn
  batch_size              = 4
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_instance" "backend" {
  ami           = var.backend_ami
  instance_type = var.backend_instance_type
  user_data     = <<-EOT
    #!/bin/bash
    docker run -d --restart always --gpus all -p 8788:8788 \
      -e L3C_BACKEND_TOKEN='${var.backend_token}' l3c-backend:latest
  EOT
  tags = { Name = "l3c-backend" }
}

output "dead_letter_queue" { value = aws_sqs_queue.dlq.url }

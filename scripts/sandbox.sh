#!/usr/bin/env bash
# `make sandbox`: the multi-account estate on the local AWS, with a message sent through
# every topic to the central queue, and a summary of what is where.
# `make sandbox-down`: destroy the estate and stop the local AWS.
set -euo pipefail
cd "$(dirname "$0")/.."
root=tests/terraform/foundation
work=.sandbox/estate
logs=.sandbox/logs
suffix=sandbox
mkdir -p "$logs"
t0=$SECONDS

localaws() { (cd tests/localaws && ../../.venv/bin/python -m localaws "$@"); }
# Runs one phase quietly, with its output in a log; on failure names the phase and log.
phase() {
  local name=$1 log="$logs/${1// /-}.log"
  shift
  printf '[%4ss] %-34s' "$((SECONDS - t0))" "$name"
  local started=$SECONDS
  if "$@" >"$log" 2>&1; then
    printf 'done (%ss)\n' "$((SECONDS - started))"
  else
    printf 'FAILED\n\nsandbox: phase "%s" failed; its log: %s\n' "$name" "$log" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
}
tf() { terraform -chdir="$work" "$@"; }

copy_root() {
  mkdir -p "$work"
  # Configuration only: state and .terraform in $work survive, so a re-run reuses them.
  cp -R "$root"/. "$work"/
  printf '{"name_suffix": "%s"}\n' "$suffix" >"$work/sandbox.auto.tfvars.json"
}

send_and_receive() {
  .venv/bin/python - "$(tf output -json)" <<'PY'
import json, sys
import os
sys.path.insert(0, "tests/localaws")
from localaws.accounts import Accounts
outputs = {k: v["value"] for k, v in json.loads(sys.argv[1]).items()}
accounts = Accounts(os.environ["AWS_ENDPOINT_URL"])
for topic in outputs["topic_arns"]:
    _, _, _, region, account, _ = topic.split(":")
    accounts.client("sns", account, region).publish(TopicArn=topic, Message=f"hello from {account} in {region}")
sqs = accounts.client("sqs", "111111111111")
received = []
for _ in range(10):
    batch = sqs.receive_message(QueueUrl=outputs["central_queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
    for message in batch.get("Messages", []):
        received.append(json.loads(message["Body"])["Message"])
        sqs.delete_message(QueueUrl=outputs["central_queue_url"], ReceiptHandle=message["ReceiptHandle"])
    if len(received) >= len(outputs["topic_arns"]):
        break
for line in sorted(received):
    print(line)
sys.exit(0 if len(received) == len(outputs["topic_arns"]) else 1)
PY
}

case "${1:-up}" in
up)
  echo "inspectorlink sandbox: a security account (111111111111) and two members (222222222222, 333333333333) in us-east-1 and us-west-2"
  phase "local AWS" localaws up
  # shellcheck disable=SC1091
  source "${LOCALAWS_STATE_DIR:-.localaws}/env"
  phase "copy the estate's configuration" copy_root
  phase "terraform init (offline mirrors)" tf init -input=false -no-color
  phase "terraform apply" tf apply -input=false -auto-approve -no-color
  phase "terraform plan (expect no drift)" tf plan -input=false -detailed-exitcode -no-color
  phase "send one message per topic" send_and_receive
  echo
  echo "Deployed in $((SECONDS - t0)) s. Topics, all delivering to one queue in 111111111111:"
  tf output -json topic_arns | .venv/bin/python -c 'import json,sys; [print("  " + t) for t in json.load(sys.stdin)]'
  echo "Central queue: $(tf output -raw central_queue_url)"
  echo "Received through the queue:"
  sed 's/^/  /' "$logs/send-one-message-per-topic.log"
  cat <<EOT

Explore:
  source ${LOCALAWS_STATE_DIR:-.localaws}/env   # AWS_ENDPOINT_URL, keys, TF_CLI_CONFIG_FILE
  terraform -chdir=$work state list
  .venv/bin/python -c 'import boto3; print(boto3.client("sqs").list_queues())'
  tail -f ${LOCALAWS_STATE_DIR:-.localaws}/server.log   # every request the local AWS answers
  make sandbox-down   # destroy everything and stop the local AWS
EOT
  ;;
down)
  if [ -d "$work" ] && localaws status >/dev/null 2>&1; then
    # shellcheck disable=SC1091
    source "${LOCALAWS_STATE_DIR:-.localaws}/env"
    phase "terraform destroy" tf destroy -input=false -auto-approve -no-color
  fi
  phase "stop the local AWS" localaws down
  rm -rf .sandbox
  echo "sandbox: removed"
  ;;
*)
  echo "usage: scripts/sandbox.sh up|down" >&2
  exit 2
  ;;
esac

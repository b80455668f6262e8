#!/usr/bin/env bash
# The whole pipeline on the local AWS.
#
# Inspector v2 (the default): examples/sandbox, i.e. examples/inspector2 (the security
# account as Inspector's delegated administrator in two regions, the management account
# naming it, two members) plus workloads in the members for Inspector to scan (EC2
# instances, ECR images, Lambda functions); the local AWS's Inspector v2 scans them, its
# finding events reach the central queues, the deployed Lambdas drain them, notifications
# land in a local HTTP mailbox; then an HTML report and a summary of what is where.
#
#   scripts/sandbox.sh up       `make sandbox`: build, deploy, scan, process, summarise. The
#                               second run (same local AWS) terminates the first member's web
#                               instance and suppresses CVE-2024-6119, and shows those
#                               findings CLOSED and SUPPRESSED; later runs scan again.
#   scripts/sandbox.sh down     `make sandbox-down`: destroy, stop the mailbox and the local AWS.
#   scripts/sandbox.sh destroy  destroy and stop the mailbox; leave the local AWS running
#                               (what the end-to-end test, tests/e2e, ends with).
#   scripts/sandbox.sh bench    `make bench`: about 5,000 findings (the workloads plus 125 ECR
#                               images and 60 instances in each of 4 members x 2 regions)
#                               through events -> SQS -> send-findings -> S3 + index and
#                               notify-findings, with the release zips (`make zips`); BENCH
#                               lines, then destroy.
#   SANDBOX_DIR, SANDBOX_PREFIX, SANDBOX_SECURITY_ACCOUNT, SANDBOX_MANAGEMENT_ACCOUNT and
#   SANDBOX_MEMBER_ACCOUNTS (two, comma-separated) choose where; the test sets them.
#
# Inspector Classic (ENGINE=classic; AWS ended Classic on 2026-05-20): examples/sandbox-classic
# (a security account, two members x two regions, tagged and untagged EC2 instances)
# applied, the scheduled assessment runs fired, the same pipeline.
#
#   ENGINE=classic scripts/sandbox.sh up|down|destroy   as above, for Classic (the
#                              end-to-end test, tests/e2e/tests/sandbox_classic.rs, runs up,
#                              then scans, redelivers and poisons, and ends with destroy).
#   ENGINE=classic scripts/sandbox.sh bench     `make bench`: 1,000 findings (2 members x 2
#                              regions x 1 tagged instance x 250) through SNS -> SQS ->
#                              send-findings -> S3 + index, with the release zips (`make
#                              zips`); prints BENCH lines with the time of each phase.
#
# Each phase prints its elapsed time; a failing one names its log (in $SANDBOX_DIR/logs).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/example-lib.sh
source scripts/example-lib.sh

mode=${1:-up}
engine=${ENGINE:-v2}
case "$engine/$mode" in v2/up | v2/down | v2/destroy | v2/bench | classic/up | classic/down | classic/destroy | classic/bench) ;; *)
  echo "usage: scripts/sandbox.sh up|down|destroy|bench (Inspector v2), or ENGINE=classic scripts/sandbox.sh up|down|destroy|bench" >&2
  exit 2
  ;;
esac
interactive=false
case "$mode" in up | down | destroy) interactive=true ;; esac
if [ "$engine" = v2 ]; then
  default_dir=$PWD/.sandbox default_prefix=sandbox root_name=sandbox
else
  default_dir=$PWD/.sandbox-classic default_prefix=classic root_name=sandbox-classic
fi
$interactive || default_dir="${LOCALAWS_STATE_DIR:-$PWD/.localaws}/sandbox-$mode"
state=${SANDBOX_DIR:-$default_dir}
prefix=${SANDBOX_PREFIX:-$($interactive && echo "$default_prefix" || echo "sb$mode$((RANDOM % 900 + 100))")}
external_id="sandbox-$prefix-external-id"
security=${SANDBOX_SECURITY_ACCOUNT:-111111111111}
management=${SANDBOX_MANAGEMENT_ACCOUNT:-999999999999}
default_members=222222222222,333333333333
[ "$engine/$mode" = v2/bench ] && default_members=222222222222,333333333333,444444444444,555555555555
members=${SANDBOX_MEMBER_ACCOUNTS:-$default_members}
member_count=$(tr ',' '\n' <<<"$members" | wc -l)
domain="$prefix-findings"
logs=$state/logs
work=$state/work
root=$work/examples/$root_name
# bench starts from nothing (a failed run keeps its directory for its logs).
if [ "$mode" = bench ]; then rm -rf "$state"; fi
mkdir -p "$logs"
export PHASE_CLOCK_START=${PHASE_CLOCK_START:-$(date +%s)}
tf() { terraform -chdir="$root" "$@"; }
py() { .venv/bin/python scripts/sandbox.py "$@"; }

mailbox_up() {
  local pid
  pid=$(cat "$state/mailbox.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && curl -sf "http://127.0.0.1:$(cat "$state/mailbox.port")/" >/dev/null; then
    echo "reusing the mailbox (pid $pid) on port $(cat "$state/mailbox.port")"
    return
  fi
  rm -f "$state/mailbox.port"
  nohup .venv/bin/python scripts/sandbox-mailbox.py --dir "$state/mailbox" --port-file "$state/mailbox.port" \
    >"$logs/mailbox-server.log" 2>&1 &
  echo $! >"$state/mailbox.pid"
  for _ in $(seq 300); do # 30 s: a loaded 2-core machine starts Python slowly
    [ -s "$state/mailbox.port" ] && curl -sf "http://127.0.0.1:$(cat "$state/mailbox.port")/" >/dev/null && return
    sleep 0.1
  done
  echo "the mailbox server did not start; see $logs/mailbox-server.log" >&2
  return 1
}

# The roles the sandbox creates (every one is named <prefix>-...) may do what their policies
# allow and nothing else; /_localaws/iam keeps what each called (tests/localaws README).
enforce_iam() {
  curl -sf -X POST -H 'Content-Type: application/json' -d "{\"enforce\": [\"arn:aws:iam::*:role/$prefix-*\"]}" \
    "$AWS_ENDPOINT_URL/_localaws/iam" | jq -c .enforce
}

mailbox_down() {
  local pid
  pid=$(cat "$state/mailbox.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -f "$state/mailbox.pid"
}

# The configuration: the repository's modules and examples copied into $work (state stays
# there, never in the repository) and the sandbox's variables (sandbox.auto.tfvars.json).
# Classic takes <tagged per region> <untagged per region>.
configure() {
  example_copy "$work"
  local zips
  if [ "$mode" = bench ]; then zips=$(example_zips "$work" release); else zips=$(example_zips "$work"); fi
  # Inspector v2, from the second complete run on: show the lifecycle.
  local show_lifecycle=false
  if [ -f "$state/completed-run" ]; then show_lifecycle=true; fi
  # The v2 workloads' Lambda functions need code to deploy; Inspector only reads the runtime.
  if [ "$engine" = v2 ]; then
    .venv/bin/python - "$work/sandbox-function.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, code in (("index.py", "def handler(event, context):\n    return event\n"),
                       ("index.js", "exports.handler = async (event) => event;\n")):
        z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), code)
PY
  fi
  .venv/bin/python - "$root/sandbox.auto.tfvars.json" "$zips" "${1:-0}" "${2:-0}" <<PY
import json, sys
common = {
    "security_account_id": "$security",
    "member_account_ids": "$members".split(","),
    "account_role_name": "inspectorlink-sandbox",
    "local_aws": True,
    "name_prefix": "$prefix",
    "bucket_force_destroy": True,
    "tags": {"Environment": "sandbox"},
    # Every notification, as a ticketing system or SIEM gets it, lands in the local mailbox.
    "notification_http_endpoints": [{"endpoint": "http://127.0.0.1:$(cat "$state/mailbox.port")/"}],
    "allow_plain_http_notification_endpoints": True,
    # The local AWS has no OpenSearch data plane: the Lambdas are deployed with this
    # endpoint and run against the local test domain "$domain" instead (scripts/sandbox.py drain).
    "opensearch_endpoint": "https://search-$domain-sandbox.us-east-1.es.amazonaws.com",
    "opensearch_arn": "arn:aws:es:us-east-1:$security:domain/$domain",
    **json.loads(sys.argv[2]),
}
if "$engine" == "v2":
    values = {
        **common,
        "management_account_id": "$management",
        "function_zip": "$work/sandbox-function.zip",
        "show_lifecycle": $([ "$show_lifecycle" = true ] && echo True || echo False),
        # The OCSF copy (docs/ocsf.md) beside the findings: Parquet under ocsf/.
        "ocsf_output": {"prefix": "ocsf"},
    }
    if "$mode" != "bench":  # the benchmark measures the pipeline per finding, as before rules
        values |= {
            # Two teams' routing (modules/security-primary README, "Routing rules"): team A's
            # HIGH and above to its Slack channel and Jira project (a ticket per CVE), KEV to
            # every team's Teams channel, everything else in the daily digest, and MEDIUM
            # and above to the SIEM (the notifications topic's HTTP mailbox). Slack, Teams
            # and Jira are the local AWS's (sandbox.py destinations puts their secrets).
            "notification_destinations": {
                "team-a-slack": {"type": "slack"},
                "all-teams": {"type": "teams"},
                "team-a-jira": {"type": "jira", "jira": {"url": "$AWS_ENDPOINT_URL/_localaws/jira/$prefix", "email": "inspectorlink@$prefix.example.com", "project_key": "SEC"}},
                "digest": {"type": "topic", "topic_arn": "arn:aws:sns:us-east-1:$security:$prefix-digest"},
            },
            "notification_rules": [
                {"name": "team-a-high", "min_severity": "HIGH", "resource_tags": {"team": ["a"]}, "destinations": ["team-a-slack", "team-a-jira"], "jira_ticket_per": "vulnerability"},
                {"name": "kev", "kev": True, "destinations": ["all-teams"]},
                {"name": "everything-else", "otherwise": True, "destinations": ["digest"], "digest_schedule": "cron(0 8 * * ? *)"},
                {"name": "siem", "min_severity": "MEDIUM", "destinations": ["notifications"]},
            ],
            "notification_secret_recovery_window_in_days": 0,
        }
else:
    values = {
        **common,
        "external_id": "$external_id",
        # bench tags its instances with a value of its own: other estates' tagged instances
        # in the same local AWS stay out of its assessment targets (the end-to-end test
        # runs in accounts of its own).
        **({} if "$mode" == "up" else {"scan_tag": {"key": "InspectorScan", "value": "$prefix"}}),
        "tagged_instances_per_region": int(sys.argv[3]),
        "untagged_instances_per_region": int(sys.argv[4]),
    }
json.dump(values, open(sys.argv[1], "w"), indent=2)
PY
  echo "$domain" >"$state/opensearch-domain"
  echo "$show_lifecycle" >"$state/show-lifecycle"
  # The state lives beside the copy, not in it: the next run's copy replaces $work.
  cat >"$root/sandbox_override.tf" <<EOT
terraform {
  backend "local" {
    path = "$state/terraform.tfstate"
  }
}
EOT
}

report() {
  local bin
  bin=$(cargo_target_dir)/debug/inspectorlink-report
  [ -x "$bin" ] || cargo build --quiet -p inspectorlink-report
  "$bin" --bucket "$(tf output -raw findings_bucket)" --prefix findings --title "inspectorlink sandbox" --out "$state/report.html"
}

deploy() { # configure's arguments
  if [ "$mode" = bench ]; then
    # Measured code is release code: the zips `make zips` builds (cargo lambda).
    phase "build: release Lambda zips (cargo lambda)" scripts/lambda-zips.sh release
  fi
  phase "build: Lambda zips and the provider (debug)" scripts/lambda-zips.sh test
  phase "local AWS" localaws up
  # shellcheck disable=SC1091
  source "${LOCALAWS_STATE_DIR:-.localaws}/env"
  # A local AWS started afresh has forgotten every resource: the state of an earlier
  # sandbox would only make terraform look for them.
  if [ -f "$state/localaws-started" ] && [ "$(cat "$state/localaws-started")" != "$(curl -s "$AWS_ENDPOINT_URL/_localaws/health" | jq -r .started)" ]; then
    rm -rf "$state/terraform.tfstate" "$state/terraform.tfstate.backup" "$state/mailbox" "$state/completed-run"
  fi
  curl -s "$AWS_ENDPOINT_URL/_localaws/health" | jq -r .started >"$state/localaws-started"
  phase "IAM: the local AWS enforces the policies of the $prefix-* roles" enforce_iam
  phase "mailbox (HTTP subscriber writing files)" mailbox_up
  phase "provider (newest build)" example_provider
  phase "configuration: examples/$root_name + variables" configure "$@"
  phase "terraform init (offline mirrors)" tf init -input=false -no-color
  if [ "$engine" = v2 ]; then
    if [ "$(cat "$state/show-lifecycle")" = true ]; then
      phase "terraform apply: terminate member A's web, suppress CVE-2024-6119" tf apply -input=false -auto-approve -no-color
    else
      phase "terraform apply (organisation, pipeline, $member_count members x 2 regions)" tf apply -input=false -auto-approve -no-color
    fi
  else
    phase "terraform apply (security + $member_count members x 2 regions)" tf apply -input=false -auto-approve -no-color
  fi
  apply_seconds=$PHASE_SECONDS
  phase "terraform plan (expect no drift)" tf plan -input=false -detailed-exitcode -no-color
  tf output -json >"$state/outputs.json"
  if [ "$engine" = v2 ] && [ "$mode" != bench ]; then
    phase "destinations: webhook URLs, Jira token, Jira site" \
      py destinations "$state/outputs.json" "$root/sandbox.auto.tfvars.json" "$state"
  fi
}

# The digest rules' schedules, now: their requests on the notify queue, sent by notify-findings.
digest_now() {
  py fire-digests "$state/outputs.json" && py drain "$state/outputs.json" "$logs" --only notify
}

# A benchmark's two drains, then its BENCH lines named <$1>pipeline_..., <$1>send_findings_...:
# findings per second through send-findings, CPU per finding of each Lambda, each phase's
# time (apply_seconds and scan_seconds are the caller's).
drain_and_print_bench() {
  local name=$1 send_seconds send_cpu notify_seconds notify_cpu count
  phase "send-findings: SQS -> S3 + index" py drain "$state/outputs.json" "$logs" --only send
  send_seconds=$PHASE_SECONDS
  send_cpu=$(jq '[.functions[].cpu_seconds] | add' "$logs/drain.json")
  phase "notify-findings: SQS -> notifications" py drain "$state/outputs.json" "$logs" --only notify
  notify_seconds=$PHASE_SECONDS
  notify_cpu=$(jq '[.functions[].cpu_seconds] | add' "$logs/drain.json")
  count=$(py count "$state/outputs.json")
  echo "BENCH ${name}pipeline_findings_per_second $(awk -v n="$count" -v s="$send_seconds" 'BEGIN { printf "%.1f", n / s }') findings/s"
  echo "BENCH ${name}send_findings_cpu_ms_per_finding $(awk -v n="$count" -v c="$send_cpu" 'BEGIN { printf "%.3f", 1000 * c / n }') ms"
  echo "BENCH ${name}notify_findings_cpu_ms_per_finding $(awk -v n="$count" -v c="$notify_cpu" 'BEGIN { printf "%.3f", 1000 * c / n }') ms"
  echo "BENCH ${name}pipeline_findings_stored $count findings"
  echo "BENCH ${name}pipeline_phase_apply_seconds $apply_seconds s"
  echo "BENCH ${name}pipeline_phase_scan_seconds $scan_seconds s"
  echo "BENCH ${name}pipeline_phase_send_findings_seconds $send_seconds s"
  echo "BENCH ${name}pipeline_phase_notify_findings_seconds $notify_seconds s"
  # CPU of the Lambda processes alone: the rest of a phase's wall time is the local AWS.
  echo "BENCH ${name}pipeline_send_findings_cpu_seconds $send_cpu s"
  echo "BENCH ${name}pipeline_notify_findings_cpu_seconds $notify_cpu s"
}

destroy() {
  if [ -f "$state/terraform.tfstate" ] && localaws status >/dev/null 2>&1; then
    # shellcheck disable=SC1091
    source "${LOCALAWS_STATE_DIR:-.localaws}/env"
    export TF_CLI_CONFIG_FILE=$work/terraform.rc
    phase "terraform destroy" tf destroy -input=false -auto-approve -no-color
  fi
}

# bench: leave no estate behind, and stop a local AWS it started itself.
localaws_was_running=false
localaws status >/dev/null 2>&1 && localaws_was_running=true
finish() {
  local status=$?
  destroy || true
  mailbox_down
  $localaws_was_running || localaws down >/dev/null 2>&1 || true
  if [ "$status" = 0 ]; then rm -rf "$state"; else echo "sandbox $mode failed; logs kept in $logs" >&2; fi
}

rel() { echo "${1#"$PWD"/}"; }
explore() {
  cat <<EOT

Explore (everything runs on the local AWS at $AWS_ENDPOINT_URL):
  source $(rel "${LOCALAWS_STATE_DIR:-$PWD/.localaws}")/env          # endpoint and keys for the AWS CLI, boto3, SDKs
  export TF_CLI_CONFIG_FILE=$(rel "$work")/terraform.rc
  terraform -chdir=$(rel "$root") state list
  ls $(rel "$state")/mailbox/                  # one file per notification, as the HTTP subscriber got it
  xdg-open $(rel "$state")/report.html         # the findings report (one self-contained HTML file)
  less $(rel "$logs")/$prefix-send-findings.log   # what the Lambdas logged
EOT
}

case "$engine/$mode" in
v2/up)
  echo "inspectorlink sandbox on Inspector v2: security account $security, Inspector's delegated administrator (named by the management account $management) in us-east-1 and us-west-2; members ${members/,/ and }"
  deploy
  phase "images: one pushed into each ECR repository" py push-images "$state/outputs.json"
  phase "scan: Inspector v2 scans the members' workloads" py scan "$state/outputs.json"
  sed 's/^/    /' "$PHASE_LOG"
  phase "process: queues -> send-findings, notify-findings" py drain "$state/outputs.json" "$logs"
  sed 's/^/    /' "$PHASE_LOG"
  phase "digest: its schedule fires; notify-findings sends it" digest_now
  phase "report: HTML from the findings in S3" report
  echo
  py summary "$state/outputs.json" "$state" "$state/report.html"
  touch "$state/completed-run"
  explore
  if [ "$(cat "$state/show-lifecycle")" = true ]; then
    echo "  make sandbox        # scan again (nothing changes until the workloads do)"
  else
    echo "  make sandbox        # again: terminates member A's web instance, suppresses CVE-2024-6119; watch the findings close"
  fi
  echo "  make sandbox-down   # destroy everything and stop the local AWS"
  echo "  make sandbox ENGINE=classic   # the same pipeline on Inspector Classic, which AWS ended on 2026-05-20"
  ;;
classic/up)
  echo "Inspector Classic, which AWS ended on 2026-05-20 (for estates still migrating; the default sandbox is Inspector v2)."
  echo "inspectorlink sandbox on Inspector Classic: security account $security (us-east-1 primary), members ${members/,/ and } in us-east-1 and us-west-2"
  deploy 2 1
  phase "scan: fire the members' schedules (Inspector runs)" py scan "$state/outputs.json"
  sed 's/^/    /' "$PHASE_LOG"
  phase "process: queues -> send-findings, notify-findings" py drain "$state/outputs.json" "$logs"
  sed 's/^/    /' "$PHASE_LOG"
  phase "report: HTML from the findings in S3" report
  echo
  py summary "$state/outputs.json" "$state" "$state/report.html"
  explore
  echo "  make sandbox ENGINE=classic        # scan again: new assessment runs through the same pipeline"
  echo "  make sandbox-down ENGINE=classic   # destroy everything and stop the local AWS"
  ;;
*/down)
  destroy
  phase "stop the mailbox" mailbox_down
  phase "stop the local AWS" localaws down
  rm -rf "$state"
  echo "sandbox: removed"
  ;;
*/destroy)
  destroy
  phase "stop the mailbox" mailbox_down
  rm -rf "$state"
  echo "sandbox: destroyed (the local AWS keeps running)"
  ;;
v2/bench)
  echo "pipeline benchmark on Inspector v2: about 5,000 findings from 4 members x 2 regions (prefix $prefix)"
  trap finish EXIT
  deploy
  phase "images: one pushed into each ECR repository" py push-images "$state/outputs.json"
  phase "populate: 125 images and 60 instances per member and region" py populate "$state/outputs.json" --images 125 --instances 60
  phase "scan: findings -> events -> SQS" py scan "$state/outputs.json"
  scan_seconds=$PHASE_SECONDS
  drain_and_print_bench v2_
  ;;
classic/bench)
  echo "pipeline benchmark: 1,000 findings from 2 members x 2 regions (prefix $prefix)"
  trap finish EXIT
  deploy 1 0
  phase "250 findings per instance" py set-findings-per-instance 250
  phase "scan: runs -> SNS -> SQS (1,000 findings)" py scan "$state/outputs.json"
  scan_seconds=$PHASE_SECONDS
  drain_and_print_bench ""
  phase "reset findings per instance" py set-findings-per-instance 4
  ;;
esac

# shellcheck shell=bash disable=SC2034  # MOTO_*, FAKE_* are for the suites
# aws_lib.sh - sourced AFTER lib.sh by the AWS suites (tests/integration/worker_aws*.sh).
#
# Gives: a moto server on 127.0.0.1 with SigV4 checking on and an IAM user whose key the suite
# uses (start_moto), temporary credentials from moto's own STS for the credential-provider tests
# (moto_session_creds), the fake metadata / STS / container-credential servers of tests/fakes
# (start_fake, fake_stats), stop_server, and SQS helpers: sqs (the aws CLI), sqs_api and
# sqs_url (one JSON-protocol call signed by curl --aws-sigv4: ~20 ms, for polling in wait_for),
# load_tasks, drain_events, queue_counts.
#
# Every helper that talks to moto signs with the IAM user's key (MOTO_ACCESS_KEY_ID /
# MOTO_SECRET_ACCESS_KEY), whatever the suite does to AWS_ACCESS_KEY_ID, and uses the region
# ${AWS_REGION:-us-east-1} at the time of the call (moto keeps one backend per region: a queue made
# in eu-west-1 is not seen in us-east-1). Nothing here talks to anything but 127.0.0.1.
#
# moto (5.2.1, with awscli and botocore, in the PATH python) is part of the machine image; there
# is no fallback. Facts this relies on (checked on moto 5.2.1):
#   - with INITIAL_NO_AUTH_ACTION_COUNT=3 the first 3 requests are free (a request to / counts,
#     /moto-api/ does not); after that an unknown key id gets 403 InvalidClientTokenId and a
#     wrong secret 403 SignatureDoesNotMatch (XML body even for JSON-protocol requests);
#   - an IAM user's key (AKIA...) sent WITH any X-Amz-Security-Token is refused (403
#     InvalidClientTokenId): a session token is accepted only with an ASIA key that moto's STS
#     issued (AssumeRole), and only the exact token it issued. So the fakes that hand out
#     temporary credentials (imds.py, sts.py, ecs_creds.py) are given moto_session_creds;
#   - RedrivePolicy works: after maxReceiveCount receives the next receive moves the message to
#     the dead-letter queue instead of delivering it;
#   - `moto_server -p 0` binds a free port and prints " * Running on http://127.0.0.1:PORT".
if [ "${BASH_SOURCE[0]}" = "$0" ]; then exit 0; fi
if ! declare -F lib_cleanup > /dev/null; then
    echo "aws_lib.sh: source lib.sh first" >&2
    exit 1
fi

# shellcheck source=tests/integration/servers_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/servers_lib.sh"

MOTO_EXAMPLE_KEY=AKIAIOSFODNN7EXAMPLE
MOTO_EXAMPLE_SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
MOTO_ACCOUNT=123456789012
# The IAM user's policy: SQS for the worker, and what moto_session_creds needs to make a role and
# assume it (moto enforces IAM policies on IAM and STS calls too once authentication is on).
MOTO_USER_POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:*","iam:CreateRole","iam:PutRolePolicy","sts:AssumeRole"],"Resource":"*"}]}'

# aws_lib_fail NAME DIAGNOSTIC...: a setup step failed: not ok, and the suite stops.
aws_lib_fail() {
    notok "$@"
    finish
}

# ---- moto --------------------------------------------------------------------------------------------

moto_started() { grep -q 'Running on http://127\.0\.0\.1:[0-9]' "$MOTO_DIR/server.log" 2>/dev/null || ! alive "$MOTO_PID"; }
moto_ready() { curl -s -o /dev/null -f --max-time 2 "$MOTO_URL/moto-api/"; }

# start_moto: starts moto_server on a free port of 127.0.0.1 in $T/moto, with SigV4 checking on
# after 3 unauthenticated actions, which make IAM user "worker", its access key and its policy.
# Exports MOTO_URL, MOTO_PORT, MOTO_PID, MOTO_DIR, MOTO_ACCESS_KEY_ID / MOTO_SECRET_ACCESS_KEY (the
# user's key), and for the worker and the aws CLI: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the
# same key), AWS_REGION=AWS_DEFAULT_REGION=us-east-1, AWS_EC2_METADATA_DISABLED=true,
# AWS_ENDPOINT_URL_SQS=AWS_ENDPOINT_URL=$MOTO_URL, AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE
# pointing at files that do not exist, AWS_PAGER='', and proxy variables that send anything not
# for 127.0.0.1 or localhost to a closed port (so a stray request fails instead of leaving the
# machine). Every other AWS_* variable is unset
# (AWS_PROFILE, AWS_SESSION_TOKEN, AWS_ROLE_ARN, AWS_CONTAINER_*, ...). On any failure: not ok and
# the suite ends.
start_moto() {
    local v boot
    command -v moto_server > /dev/null 2>&1 ||
        aws_lib_fail "moto_server is on PATH" "moto_server not found. moto (pip, with awscli and botocore) is part of the machine" \
            "image (see ../shared/reference/wire-formats.md, 2.1 AWS SQS); this suite needs it."
    command -v aws > /dev/null 2>&1 || aws_lib_fail "the aws CLI is on PATH" "aws not found (awscli is installed with moto)"
    for v in $(compgen -e); do
        case $v in AWS_*) unset "$v" ;; esac
    done
    MOTO_DIR=$T/moto
    mkdir -p "$MOTO_DIR" "$T/aws-none"
    ( cd "$MOTO_DIR" && INITIAL_NO_AUTH_ACTION_COUNT=3 exec moto_server -H 127.0.0.1 -p 0 ) \
        > "$MOTO_DIR/server.log" 2>&1 < /dev/null &
    MOTO_PID=$!
    servers_track "$MOTO_PID"
    wait_for "moto_server to listen" 60 moto_started > /dev/null
    MOTO_PORT=$(sed -n 's|.*Running on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$MOTO_DIR/server.log" | head -n 1)
    [ -n "$MOTO_PORT" ] || aws_lib_fail "moto_server starts" "$(tail -n 20 "$MOTO_DIR/server.log")"
    MOTO_URL=http://127.0.0.1:$MOTO_PORT
    wait_for "moto at $MOTO_URL/moto-api/" 30 moto_ready > /dev/null ||
        aws_lib_fail "moto_server answers on $MOTO_URL/moto-api/" "$(tail -n 20 "$MOTO_DIR/server.log")"

    export AWS_CONFIG_FILE=$T/aws-none/config AWS_SHARED_CREDENTIALS_FILE=$T/aws-none/credentials
    export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=''
    # A safety net: anything that is not for 127.0.0.1 goes to a proxy that is not there.
    export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
        ALL_PROXY=http://127.0.0.1:9
    servers_local_only
    # The 3 free actions.
    boot=(env AWS_ACCESS_KEY_ID="$MOTO_EXAMPLE_KEY" AWS_SECRET_ACCESS_KEY="$MOTO_EXAMPLE_SECRET"
          aws --endpoint-url "$MOTO_URL" --region us-east-1 --output json)
    if ! { "${boot[@]}" iam create-user --user-name worker > "$MOTO_DIR/user.json" 2> "$MOTO_DIR/boot.err" &&
           "${boot[@]}" iam create-access-key --user-name worker > "$MOTO_DIR/key.json" 2>> "$MOTO_DIR/boot.err" &&
           "${boot[@]}" iam put-user-policy --user-name worker --policy-name worker \
               --policy-document "$MOTO_USER_POLICY" >> "$MOTO_DIR/boot.err" 2>&1; }; then
        aws_lib_fail "moto: IAM user worker, its key and policy" "$(cat "$MOTO_DIR/boot.err")"
    fi
    MOTO_ACCESS_KEY_ID=$(jq -r .AccessKey.AccessKeyId "$MOTO_DIR/key.json")
    MOTO_SECRET_ACCESS_KEY=$(jq -r .AccessKey.SecretAccessKey "$MOTO_DIR/key.json")
    export MOTO_URL MOTO_PORT MOTO_DIR MOTO_ACCESS_KEY_ID MOTO_SECRET_ACCESS_KEY
    export AWS_ACCESS_KEY_ID=$MOTO_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$MOTO_SECRET_ACCESS_KEY
    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    export AWS_ENDPOINT_URL_SQS=$MOTO_URL AWS_ENDPOINT_URL=$MOTO_URL
}

# moto_session_creds: temporary credentials moto accepts (ASIA... key + session token), from
# moto's own STS: role "worker-role" with an sqs:* policy, assumed for 12 h by the IAM user.
# Writes the `aws sts assume-role` output to $MOTO_DIR/session.json (the fakes' --creds-file reads
# it as is) and exports MOTO_SESSION_FILE, MOTO_ROLE_ARN, MOTO_SESSION_ACCESS_KEY_ID,
# MOTO_SESSION_SECRET_ACCESS_KEY, MOTO_SESSION_TOKEN. Once per suite; later calls do nothing.
moto_session_creds() {
    local cli
    [ -n "${MOTO_SESSION_FILE:-}" ] && return 0
    cli=(env -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$MOTO_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$MOTO_SECRET_ACCESS_KEY"
         AWS_PAGER='' aws --endpoint-url "$MOTO_URL" --region us-east-1 --output json)
    MOTO_ROLE_ARN=arn:aws:iam::$MOTO_ACCOUNT:role/worker-role
    if ! { "${cli[@]}" iam create-role --role-name worker-role --assume-role-policy-document \
               '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity"]}]}' \
               > /dev/null 2> "$MOTO_DIR/role.err" &&
           "${cli[@]}" iam put-role-policy --role-name worker-role --policy-name sqs --policy-document \
               '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}' 2>> "$MOTO_DIR/role.err" &&
           "${cli[@]}" sts assume-role --role-arn "$MOTO_ROLE_ARN" --role-session-name worker-session --duration-seconds 43200 \
               > "$MOTO_DIR/session.json" 2>> "$MOTO_DIR/role.err"; }; then
        aws_lib_fail "moto: a role and temporary credentials from its STS" "$(cat "$MOTO_DIR/role.err")"
    fi
    MOTO_SESSION_FILE=$MOTO_DIR/session.json
    MOTO_SESSION_ACCESS_KEY_ID=$(jq -r .Credentials.AccessKeyId "$MOTO_SESSION_FILE")
    MOTO_SESSION_SECRET_ACCESS_KEY=$(jq -r .Credentials.SecretAccessKey "$MOTO_SESSION_FILE")
    MOTO_SESSION_TOKEN=$(jq -r .Credentials.SessionToken "$MOTO_SESSION_FILE")
    export MOTO_SESSION_FILE MOTO_ROLE_ARN MOTO_SESSION_ACCESS_KEY_ID MOTO_SESSION_SECRET_ACCESS_KEY MOTO_SESSION_TOKEN
}

# ---- the fake servers (tests/fakes/NAME.py) -----------------------------------------------------------

# start_fake NAME ARGS...: start_fake_with python3 NAME ARGS... (servers_lib.sh): prints the port,
# sets FAKE_PORT, FAKE_URL, FAKE_PID and FAKE_LOG when not run in $(...).
start_fake() {
    start_fake_with python3 "$@"
}

# ---- SQS ---------------------------------------------------------------------------------------------

# sqs ARGS...: aws --endpoint-url $MOTO_URL sqs ARGS... as the IAM user (JSON output, no pager).
sqs() {
    env -u AWS_SESSION_TOKEN -u AWS_PROFILE AWS_PAGER='' AWS_ACCESS_KEY_ID="$MOTO_ACCESS_KEY_ID" \
        AWS_SECRET_ACCESS_KEY="$MOTO_SECRET_ACCESS_KEY" \
        aws --endpoint-url "$MOTO_URL" --region "${AWS_REGION:-us-east-1}" --output json sqs "$@"
}

# sqs_api OPERATION JSON: one SQS JSON-protocol call signed by curl (a SigV4 implementation
# independent of both botocore and the worker); prints the response body. Returns 1 (body on
# stderr) on an HTTP error.
sqs_api() {
    local out code
    out=$(curl -sS --max-time 10 -w '\n%{http_code}' --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:sqs" \
        --user "$MOTO_ACCESS_KEY_ID:$MOTO_SECRET_ACCESS_KEY" -H 'Content-Type: application/x-amz-json-1.0' \
        -H "X-Amz-Target: AmazonSQS.$1" --data-binary "$2" "$MOTO_URL/") || return 1
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    if [ "$code" -ge 400 ] 2>/dev/null || [ "$code" = 000 ]; then
        printf 'SQS %s: HTTP %s: %s\n' "$1" "$code" "$out" >&2
        return 1
    fi
    printf '%s\n' "$out"
}

# sqs_url QUEUE: the queue's URL (fails if it does not exist).
sqs_url() {
    local out
    out=$(sqs_api GetQueueUrl "$(jq -cn --arg q "$1" '{QueueName: $q}')") || return 1
    printf '%s' "$out" | jq -er .QueueUrl
}

# queue_counts QUEUE: prints "VISIBLE INFLIGHT" (ApproximateNumberOfMessages,
# ApproximateNumberOfMessagesNotVisible).
queue_counts() {
    local url out
    url=$(sqs_url "$1") || return 1
    out=$(sqs_api GetQueueAttributes "$(jq -cn --arg u "$url" \
        '{QueueUrl: $u, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]}')") || return 1
    printf '%s' "$out" | jq -er '"\(.Attributes.ApproximateNumberOfMessages) \(.Attributes.ApproximateNumberOfMessagesNotVisible)"'
}
# counts_are QUEUE "V I": for wait_for.
counts_are() { [ "$(queue_counts "$1" 2>/dev/null)" = "$2" ]; }

# load_tasks QUEUE FILE: creates QUEUE as the rms-cloud-tasks manager does (attributes
# VisibilityTimeout=60, MessageRetentionPeriod=1209600; an existing queue is reused) and sends each
# task of FILE (JSON Lines, or a JSON list) as MessageBody=json.dumps({"task_id": id, "data": data})
# with a String message attribute TaskId, 10 to a SendMessageBatch. Prints nothing; on an error
# prints it on stderr and returns 1.
load_tasks() {
    MOTO_URL=$MOTO_URL REGION=${AWS_REGION:-us-east-1} python3 - "$1" "$2" <<'EOF'
import json, os, sys
import boto3
queue, path = sys.argv[1], sys.argv[2]
sqs = boto3.client("sqs", endpoint_url=os.environ["MOTO_URL"], region_name=os.environ["REGION"],
                   aws_access_key_id=os.environ["MOTO_ACCESS_KEY_ID"],
                   aws_secret_access_key=os.environ["MOTO_SECRET_ACCESS_KEY"], aws_session_token=None)
with open(path, encoding="utf-8") as f:
    text = f.read()
if text.lstrip().startswith("["):
    records = json.loads(text)
else:
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
url = sqs.create_queue(QueueName=queue, Attributes={"VisibilityTimeout": "60",
                                                    "MessageRetentionPeriod": "1209600"})["QueueUrl"]
for start in range(0, len(records), 10):
    entries = []
    for i, r in enumerate(records[start:start + 10], start):
        entries.append({"Id": "t%d" % i,
                        "MessageBody": json.dumps({"task_id": r["task_id"], "data": r["data"]}),
                        "MessageAttributes": {"TaskId": {"DataType": "String", "StringValue": str(r["task_id"])}}})
    failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed") or []
    if failed:
        sys.exit("load_tasks: SendMessageBatch failed for %s" % failed)
EOF
}

# drain_events QUEUE OUTFILE: reads every message of QUEUE-events with the aws CLI (receive 10 at
# a time, 1 s long poll, until a receive comes back empty; each batch deleted with
# DeleteMessageBatch) and writes the bodies to OUTFILE, one per line (JSON Lines for jq).
# Returns 1 if the queue does not exist or a call fails.
drain_events() {
    local out=$2 url resp n entries
    : > "$out"
    url=$(sqs get-queue-url --queue-name "$1-events" --query QueueUrl --output text) || return 1
    for _ in $(seq 1 1000); do
        resp=$(sqs receive-message --queue-url "$url" --max-number-of-messages 10 --wait-time-seconds 1 \
            --visibility-timeout 60) || return 1
        n=$(printf '%s' "$resp" | jq '.Messages // [] | length')
        [ "${n:-0}" -gt 0 ] || return 0
        printf '%s' "$resp" | jq -r '.Messages[].Body' >> "$out"
        entries=$(printf '%s' "$resp" | jq -c '[.Messages | to_entries[] | {Id: "m\(.key)", ReceiptHandle: .value.ReceiptHandle}]')
        sqs delete-message-batch --queue-url "$url" --entries "$entries" | jq -e '(.Failed // []) | length == 0' > /dev/null ||
            return 1
    done
    echo "drain_events: more than 10000 messages in $1-events?" >&2
    return 1
}

#!/usr/bin/env bash
# worker_aws.sh - the worker on Amazon SQS (moto on 127.0.0.1, SigV4 checked): whole runs of the
# examples compared with task-file runs; the task queue ends empty; retries come back (receive
# count, dead-letter queue); leases are extended while a task runs; SIGTERM gives every
# unfinished message back at once; bad message bodies; events read back from Q-events; keep-alives;
# every link of the credential chain (environment, shared credentials file and profile, web
# identity through a fake STS, container credentials, IMDSv2 role credentials and their refresh);
# the region from the config file and from IMDS; the spot notice from IMDS; wrong credentials.
#     BUILD=build bash tests/integration/worker_aws.sh
# Needs moto_server and the aws CLI (the machine image has them, in the PATH python); nothing is
# sent anywhere but 127.0.0.1.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/aws_lib.sh
source "$(dirname "$0")/aws_lib.sh"
need_workers worker_addition=examples/worker_addition.c worker_failures=examples/worker_failures.c \
    probe_worker=tests/integration/probe_worker.c
A=$IBUILD/worker_addition
F=$IBUILD/worker_failures
P=$IBUILD/probe_worker
start_moto
moto_session_creds

IDLE=3   # --exit-when-idle: how every queue run ends
# aws_run NAME TIMEOUT QUEUE COMMAND...: runs the worker on QUEUE to completion (run_worker), events
# to the queue (the default) and to $T/NAME/events.log.
aws_run() {
    local name=$1 timeout=$2 q=$3
    shift 3
    run_worker "$name" "$timeout" "$@" --provider AWS --queue-name "$q" --event-log-to-file \
        --event-log-file "$T/$name/events.log" --exit-when-idle "$IDLE"
}
# aws_start NAME QUEUE COMMAND...: the same in the background (start_worker; WPID).
aws_start() {
    local name=$1 q=$2
    shift 2
    start_worker "$name" "$@" --provider AWS --queue-name "$q" --event-log-to-file \
        --event-log-file "$T/$name/events.log" --exit-when-idle "$IDLE"
}
# The environment of a worker that must find its credentials somewhere other than the environment
# (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE already name files that do not exist).
# (env's -u options must come before its assignments, hence the separate list)
UNSET_CREDS=(-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN)
NOCREDS=(env "${UNSET_CREDS[@]}" HOME="$T/home")
mkdir -p "$T/home"

exited_ok() { # exited_ok NAME WHAT: exit status 0, else not ok with the worker's stderr
    if [ "$RC" = 0 ]; then ok "$2: exit 0 (${ELAPSED}s)"; else notok "$2: exit 0" "exit status $RC after ${ELAPSED}s" "$(tail -n 20 "$T/$1/stderr")"; fi
}
fails_fast() { # fails_fast NAME WHAT PATTERN: exit 1 within 15 s, PATTERN (ERE, any case) on stderr
    if [ "$RC" = 1 ] && awk -v e="$ELAPSED" 'BEGIN { exit !(e < 15) }'; then ok "$2: exit 1 within 15 s (${ELAPSED}s)"
    else notok "$2: exit 1 within 15 s" "exit status $RC after ${ELAPSED}s" "$(tail -n 20 "$T/$1/stderr")"; fi
    check "$2: stderr says why (/$3/)" grep -qiE "$3" "$T/$1/stderr"
}
# the task events as "task_id event_type retry outcome" lines, sorted (timestamps, hostnames and
# elapsed times left out), for comparing two runs
summary() {
    jq -sr '[.[] | select(.task_id) | "\(.task_id) \(.event_type) \(.retry) \(.result // .exception // .exit_code // "" | tostring)"]
            | sort | join("\n")' "$1"
}
# the summary without the tasks named
summary_without() { local log=$1; shift; summary "$log" | grep -vE "^($(IFS='|'; echo "$*")) "; }
# runs_of LOG TASK_ID: "event_type retry" of each of the task's events, in order
runs_of() { jq -sr --arg id "$2" '[.[] | select(.task_id == $id) | "\(.event_type) \(.retry)"] | join(", ")' "$1" 2>/dev/null; }
queue_missing() { ! sqs_url "$1" > /dev/null 2>&1; }
completed() { jq -sr '[.[] | select(.event_type == "task_completed") | .task_id] | sort | join(" ")' "$1" 2>/dev/null; }
event_count() { jq -s --arg t "$2" '[.[] | select(.event_type == $t)] | length' "$1" 2>/dev/null; }
not_keep_alive() { grep -v '"event_type": "keep_alive"' "$1" | sort; }
# sleep_tasks FILE DIR N SECONDS EXTRA_JSON: N probe sleep tasks s-1..s-N writing markers into DIR
sleep_tasks() {
    local file=$1 dir=$2 n=$3 seconds=$4 extra=$5 i
    mkdir -p "$dir"
    for i in $(seq 1 "$n"); do jl "s-$i" "{\"action\": \"sleep\", \"seconds\": $seconds, \"dir\": \"$dir\"$extra}"; done > "$file"
}
count() { find "$1" -name "*.$2" | wc -l; }
has_count() { [ "$(count "$1" "$2")" -ge "$3" ]; }
ids() { find "$1" -name "*.$2" -printf '%f\n' | sed "s/\.$2\$//" | sort | tr '\n' ' ' | sed 's/ $//'; }
three_additions() { jq -c '.[:3][]' "$ROOT/examples/addition_tasks.json"; }
three_ok() { # three_ok NAME QUEUE WHAT: the 3 addition tasks ran, the queue is empty (region: $AWS_REGION)
    is "$3: the 3 tasks completed" "addition-task-000001 addition-task-000002 addition-task-000003" "$(completed "$T/$1/events.log")"
    is "$3: the queue is empty (visible, in flight)" "0 0" "$(queue_counts "$2")"
}

# ---- a whole run of the addition example -------------------------------------------------------------

jq -c '.[:50][]' "$ROOT/examples/addition_tasks.json" > "$T/add50.jsonl"
run_worker add-file 60 "$A" --task-file "$T/add50.jsonl" --event-log-file "$T/add-file/events.log"
load_tasks add50 "$T/add50.jsonl" || aws_lib_fail "load_tasks add50"
check "addition: the event queue add50-events does not exist before the run" queue_missing add50-events
aws_run add-sqs 120 add50 "$A" --num-simultaneous-tasks 4
log=$T/add-sqs/events.log
exited_ok add-sqs "addition, 50 tasks from SQS"
check "addition: events valid" events_valid "$log"
is "addition: one task_completed per task, retry false, the same results as the task-file run" \
    "$(summary "$T/add-file/events.log")" "$(summary "$log")"
is "addition: 50 task events, 50 distinct tasks" "50 50" \
    "$(jq -s '[.[] | select(.task_id)] | "\(length) \(map(.task_id) | unique | length)"' -r "$log")"
is "addition: the task queue is empty (visible, in flight)" "0 0" "$(queue_counts add50)"
if drain_events add50 "$T/add-sqs/queue.jsonl"; then
    ok "addition: the worker created add50-events; read back with the aws CLI"
    check "addition: the queued events are valid event records" events_valid "$T/add-sqs/queue.jsonl"
    is "addition: the queue got the same task events as the file, byte for byte" \
        "$(not_keep_alive "$log")" "$(not_keep_alive "$T/add-sqs/queue.jsonl")"
    ka=$(event_count "$T/add-sqs/queue.jsonl" keep_alive)
    if [ "$ka" -ge 1 ]; then ok "addition: a keep_alive event went to the queue at start-up ($ka)"
    else notok "addition: a keep_alive event went to the queue at start-up"; fi
    is "addition: keep_alive is {timestamp, hostname, event_type, instance_id}; with IMDS disabled instance_id is the hostname" \
        "[\"timestamp\",\"hostname\",\"event_type\",\"instance_id\"] $(uname -n)" \
        "$(jq -sr '[.[] | select(.event_type == "keep_alive")] | "\(map(keys_unsorted) | unique | .[0] | tojson) \(map(.instance_id) | unique | join(" "))"' \
            "$T/add-sqs/queue.jsonl")"
else
    notok "addition: read add50-events back with the aws CLI" "$(sqs list-queues 2>&1)"
fi
is "addition: keep_alive events never go to the file" 0 "$(event_count "$log" keep_alive)"
check "addition: no sanitizer report" no_sanitizer_report "$T/add-sqs/stderr"

# ---- every outcome: the failures example, with a dead-letter queue -------------------------------------

# A message received 3 times goes to the dead-letter queue at the 4th receive (moto implements
# RedrivePolicy), so a task that always asks for a retry runs exactly 3 times.
MEM=(--max-memory-allowed-per-task 0.25)
if [ "$SANITIZED" = 1 ]; then
    MEM=()
    jq -c '.[] | select(.task_id != "failures-nomem")' "$ROOT/examples/failures_tasks.json" > "$T/failures.jsonl"
else
    jq -c '.[]' "$ROOT/examples/failures_tasks.json" > "$T/failures.jsonl"
fi
with_dlq() { # with_dlq QUEUE: QUEUE-dlq receives what QUEUE received 3 times
    sqs create-queue --queue-name "$1-dlq" > /dev/null &&
        sqs set-queue-attributes --queue-url "$(sqs_url "$1")" --attributes \
            "$(jq -cn --arg a "arn:aws:sqs:${AWS_REGION}:$MOTO_ACCOUNT:$1-dlq" '{RedrivePolicy: ({deadLetterTargetArn: $a, maxReceiveCount: "3"} | tojson)}')"
}
dlq_ids() { # the task ids in QUEUE-dlq, sorted (messages left there)
    sqs receive-message --queue-url "$(sqs_url "$1-dlq")" --max-number-of-messages 10 --visibility-timeout 0 |
        jq -r '[.Messages // [] | .[].Body | fromjson | .task_id] | sort | join(" ")'
}

run_worker fail-file 60 "$F" --task-file "$T/failures.jsonl" --event-log-file "$T/fail-file/events.log" "${MEM[@]}"
if ! load_tasks failures "$T/failures.jsonl" || ! with_dlq failures; then aws_lib_fail "load_tasks failures"; fi
aws_run fail-sqs 120 failures "$F" --num-simultaneous-tasks 2 "${MEM[@]}"
log=$T/fail-sqs/events.log
exited_ok fail-sqs "failures from SQS"
check "failures: events valid" events_valid "$log"
is "failures: the tasks not retried have the same single event as in the task-file run" \
    "$(summary_without "$T/fail-file/events.log" failures-retry)" "$(summary_without "$log" failures-retry)"
is "failures: the task asking for a retry ran 3 times (redelivered each time)" \
    "task_completed true, task_completed true, task_completed true" "$(runs_of "$log" failures-retry)"
is "failures: the task queue is empty" "0 0" "$(queue_counts failures)"
is "failures: after 3 receives the retried task went to the dead-letter queue" "failures-retry" "$(dlq_ids failures)"
check "failures: no sanitizer report" no_sanitizer_report "$T/fail-sqs/stderr"

# With the retry flags the failed, crashed and exited tasks are given back too.
if ! load_tasks failures2 "$T/failures.jsonl" || ! with_dlq failures2; then aws_lib_fail "load_tasks failures2"; fi
aws_run fail-retry 180 failures2 "$F" --num-simultaneous-tasks 2 --retry-on-exception --retry-on-exit "${MEM[@]}"
log=$T/fail-retry/events.log
exited_ok fail-retry "failures with --retry-on-exception --retry-on-exit"
is "retry flags: the error task ran 3 times, task_exception retry true" \
    "task_exception true, task_exception true, task_exception true" "$(runs_of "$log" failures-error)"
is "retry flags: the crashing task ran 3 times, task_exited retry true" \
    "task_exited true, task_exited true, task_exited true" "$(runs_of "$log" failures-crash)"
is "retry flags: the exit(3) task ran 3 times" "task_exited true, task_exited true, task_exited true" "$(runs_of "$log" failures-exit)"
if [ "$SANITIZED" = 1 ]; then skip "retry flags: out of memory is never retried" "no address-space limit under a sanitizer"
else is "retry flags: out of memory is never retried" "task_exception false" "$(runs_of "$log" failures-nomem)"; fi
is "retry flags: ok and sleep ran once" "task_completed false|task_completed false" \
    "$(runs_of "$log" failures-ok)|$(runs_of "$log" failures-sleep)"
is "retry flags: the task queue is empty" "0 0" "$(queue_counts failures2)"
is "retry flags: the 4 retried tasks are in the dead-letter queue" "failures-crash failures-error failures-exit failures-retry" \
    "$(dlq_ids failures2)"

# ---- a retried message comes back with a higher receive count -------------------------------------------

M=$T/retry-markers; mkdir -p "$M"
jl r-1 "{\"action\": \"retry\", \"dir\": \"$M\"}" > "$T/retry.jsonl"
load_tasks retry1 "$T/retry.jsonl" || aws_lib_fail "load_tasks retry1"
# the provider and the queue from the environment this time (--job-id names the queue)
run_worker retry 60 env RMS_CLOUD_TASKS_PROVIDER=AWS RMS_CLOUD_TASKS_JOB_ID=retry1 "$P" --max-num-tasks 3 \
    --event-log-to-file --event-log-file "$T/retry/events.log" --exit-when-idle "$IDLE"
exited_ok retry "a task that returns retry, --max-num-tasks 3 (provider and job id from the environment)"
is "retry: it ran 3 times, task_completed retry true each time" \
    "task_completed true, task_completed true, task_completed true" "$(runs_of "$T/retry/events.log" r-1)"
is "retry: the message was given back each time and is visible now" "1 0" "$(queue_counts retry1)"
is "retry: its ApproximateReceiveCount is 4 at the next receive (3 by the worker)" "r-1 4" \
    "$(sqs receive-message --queue-url "$(sqs_url retry1)" --attribute-names ApproximateReceiveCount --visibility-timeout 0 |
        jq -r '.Messages[0] | "\(.Body | fromjson | .task_id) \(.Attributes.ApproximateReceiveCount)"')"
if jq -e 'has("receive_count")' "$M/r-1.start" > /dev/null 2>&1; then
    is "retry: the task saw receive_count 3 at its last run" 3 "$(jq .receive_count "$M/r-1.start")"
else
    skip "retry: the task sees its receive count" "probe_worker does not report cloudtasks_task.receive_count"
fi

# ---- a task longer than the visibility timeout runs once -------------------------------------------------

M=$T/long-markers
sleep_tasks "$T/long.jsonl" "$M" 1 6 ""
load_tasks long1 "$T/long.jsonl" || aws_lib_fail "load_tasks long1"
# 2 slots: if the lease lapsed, the free slot would receive the message again
aws_start long long1 "$P" --visibility-timeout 2 --num-simultaneous-tasks 2
if wait_for "the 6 s task to start" 30 has_count "$M" start 1; then
    : > "$T/long/counts"
    deadline=$(( ${EPOCHREALTIME/[.,]/} + 30000000 ))
    while alive "$WPID" && [ "${EPOCHREALTIME/[.,]/}" -lt "$deadline" ]; do
        sample=$(queue_counts long1 2>&1)
        has_count "$M" end 1 && break   # the task ended: this sample may come after its deletion
        echo "$sample" >> "$T/long/counts"
        sleep 0.2   # sampling interval, not synchronisation
    done
    is "visibility 2 s, 6 s task: the message stayed in flight all along ($(wc -l < "$T/long/counts") samples)" "0 1" \
        "$(sort -u "$T/long/counts" | tr '\n' ' ' | sed 's/ $//')"
    wait_worker "$WPID" 60
    exited_ok long "visibility 2 s, 6 s task"
    is "visibility 2 s, 6 s task: it ran once, task_completed" "task_completed false" "$(runs_of "$T/long/events.log" s-1)"
    is "visibility 2 s, 6 s task: the queue is empty" "0 0" "$(queue_counts long1)"
else
    notok "visibility 2 s, 6 s task: the task never started" "$(tail -n 20 "$T/long/stderr")"
fi

# ---- SIGTERM gives every unfinished message back at once --------------------------------------------------

# term_after_2 NAME QUEUE COUNT TASK_EXTRA WORKER_ARGS...: COUNT 30 s sleep tasks (markers in
# M=$T/NAME-markers) loaded into QUEUE, the worker started on it (aws_start NAME); once 2 tasks have
# started, started=their ids and the worker gets SIGTERM. Returns 1 if they never started.
term_after_2() {
    local name=$1 q=$2 n=$3 extra=$4
    shift 4
    M=$T/$name-markers
    sleep_tasks "$T/$name.jsonl" "$M" "$n" 30 "$extra"
    load_tasks "$q" "$T/$name.jsonl" || aws_lib_fail "load_tasks $q"
    aws_start "$name" "$q" "$P" "$@"
    wait_for "2 tasks to start" 30 has_count "$M" start 2 || return 1
    started=$(ids "$M" start)
    kill -TERM "$WPID"
}

if term_after_2 term term5 5 ', "ignore_shutdown": true' --num-simultaneous-tasks 2 --shutdown-grace-period 0 --visibility-timeout 120; then
    t0=${EPOCHREALTIME/[.,]/}
    if wait_for "all 5 messages visible" 10 counts_are term5 "5 0"; then
        ok "SIGTERM, grace 0: all 5 messages (2 running, 3 not started) visible again within $(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 )) ms (visibility timeout 120 s)"
    else
        notok "SIGTERM, grace 0: all 5 messages visible again within 10 s" "counts (visible, in flight): $(queue_counts term5)"
    fi
    wait_worker "$WPID" 30
    exited_ok term "SIGTERM, grace 0"
    is "SIGTERM, grace 0: the 2 running tasks are reported task_exited, retry true" "$started" \
        "$(jq -sr '[.[] | select(.event_type == "task_exited" and .retry == true) | .task_id] | sort | join(" ")' "$T/term/events.log")"
    is "SIGTERM, grace 0: no other task started" 2 "$(count "$M" start)"
    check "SIGTERM: no sanitizer report" no_sanitizer_report "$T/term/stderr"
else
    notok "SIGTERM, grace 0: the tasks never started" "$(tail -n 20 "$T/term/stderr")"
fi

# Tasks that stop at the notice and return DONE are deleted; the others are given back.
if term_after_2 term2 term4 4 ', "on_notice": "return"' --num-simultaneous-tasks 2 --visibility-timeout 120; then
    wait_worker "$WPID" 30
    exited_ok term2 "SIGTERM, tasks return DONE at the notice"
    is "SIGTERM, tasks return DONE: they are task_completed, retry false" "$started" "$(completed "$T/term2/events.log")"
    is "SIGTERM, tasks return DONE: their messages are deleted, the 2 others visible again" "2 0" "$(queue_counts term4)"
else
    notok "SIGTERM, tasks return DONE: the tasks never started" "$(tail -n 20 "$T/term2/stderr")"
fi

# ---- bad message bodies --------------------------------------------------------------------------------

{ jl g-1 '{"action": "ok"}'; jl g-2 '{"action": "ok"}'; } > "$T/good.jsonl"
load_tasks bad "$T/good.jsonl" || aws_lib_fail "load_tasks bad"
bad_url=$(sqs_url bad)
bad_ids=""
for body in 'this is not JSON' '{"data": {"action": "ok"}}' '["task_id", "x"]'; do
    bad_ids="$bad_ids $(sqs send-message --queue-url "$bad_url" --message-body "$body" | jq -r .MessageId)"
done
aws_run bad 60 bad "$P"
log=$T/bad/events.log
exited_ok bad "3 bad message bodies among 2 good tasks"
is "bad bodies: the good tasks ran" "g-1 g-2" "$(completed "$log")"
missing=""
for id in $bad_ids; do
    [ "$(jq -s --arg id "$id" '[.[] | select(.event_type == "non_fatal_exception" and (.exception | contains($id)))] | length' "$log")" = 1 ] ||
        missing="$missing $id"
done
is "bad bodies: one non_fatal_exception naming each bad message's id" "" "$missing"
is "bad bodies: they were deleted (they can never succeed); the queue is empty" "0 0" "$(queue_counts bad)"
check "bad bodies: events valid" events_valid "$log"

# ---- wrong or missing credentials fail clearly -----------------------------------------------------------

aws_run badsecret 30 add50 env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY "$A"
fails_fast badsecret "a wrong secret key" 'SignatureDoesNotMatch|credentials'
aws_run badkey 30 add50 env AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE "$A"
fails_fast badkey "an access key id moto does not know" 'InvalidClientTokenId|security token|credentials'
aws_run nocreds 30 add50 "${NOCREDS[@]}" "$A"
fails_fast nocreds "no credentials anywhere (IMDS disabled)" 'credentials'

three_additions > "$T/three.jsonl"

# ---- the endpoint: AWS_ENDPOINT_URL_SQS wins over AWS_ENDPOINT_URL, which is used without it ----------

load_tasks endpoint1 "$T/three.jsonl" || aws_lib_fail "load_tasks endpoint1"
aws_run endpoint1 60 endpoint1 env AWS_ENDPOINT_URL=http://127.0.0.1:9 "$A"
exited_ok endpoint1 "AWS_ENDPOINT_URL_SQS=moto, AWS_ENDPOINT_URL=a closed port"
three_ok endpoint1 endpoint1 "AWS_ENDPOINT_URL_SQS wins"
load_tasks endpoint2 "$T/three.jsonl" || aws_lib_fail "load_tasks endpoint2"
aws_run endpoint2 60 endpoint2 env -u AWS_ENDPOINT_URL_SQS "$A"
exited_ok endpoint2 "AWS_ENDPOINT_URL=moto alone"
three_ok endpoint2 endpoint2 "AWS_ENDPOINT_URL alone"

# ---- shared credentials file and profile; region from the config file -----------------------------------

# The tasks are in eu-west-1: only a worker that takes the profile's region finds them.
mkdir -p "$T/profile"
cat > "$T/profile/credentials" <<EOF
[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY

[worker]
aws_access_key_id = $MOTO_ACCESS_KEY_ID
aws_secret_access_key = $MOTO_SECRET_ACCESS_KEY

[temporary]
aws_access_key_id=$MOTO_SESSION_ACCESS_KEY_ID
aws_secret_access_key=$MOTO_SESSION_SECRET_ACCESS_KEY
aws_session_token=$MOTO_SESSION_TOKEN
EOF
cat > "$T/profile/config" <<'EOF'
[default]
region = us-west-2

[profile worker]
region = eu-west-1

[profile temporary]
region = eu-west-1
output = json
EOF
PROFILE_ENV=(env "${UNSET_CREDS[@]}" -u AWS_REGION -u AWS_DEFAULT_REGION HOME="$T/home"
             AWS_SHARED_CREDENTIALS_FILE="$T/profile/credentials" AWS_CONFIG_FILE="$T/profile/config")
AWS_REGION=eu-west-1 load_tasks prof "$T/three.jsonl" || aws_lib_fail "load_tasks prof"
aws_run profile 60 prof "${PROFILE_ENV[@]}" AWS_PROFILE=worker "$A"
exited_ok profile "AWS_PROFILE=worker from a shared credentials file, region from the config file"
AWS_REGION=eu-west-1 three_ok profile prof "AWS_PROFILE=worker"
AWS_REGION=eu-west-1 load_tasks proftmp "$T/three.jsonl" || aws_lib_fail "load_tasks proftmp"
aws_run proftmp 60 proftmp "${PROFILE_ENV[@]}" AWS_PROFILE=temporary "$A"
exited_ok proftmp "a profile with aws_session_token (temporary credentials)"
AWS_REGION=eu-west-1 three_ok proftmp proftmp "AWS_PROFILE=temporary"
load_tasks envfirst "$T/three.jsonl" || aws_lib_fail "load_tasks envfirst"
aws_run envfirst 60 envfirst env AWS_SHARED_CREDENTIALS_FILE="$T/profile/credentials" AWS_PROFILE=default "$A"
exited_ok envfirst "keys in the environment win over the (wrong) default profile"
three_ok envfirst envfirst "environment first"

# ---- web identity through a fake STS ---------------------------------------------------------------------

mkdir -p "$T/webid"
printf '%s' 'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDp3b3JrZXIifQ.c2lnbmF0dXJl' \
    > "$T/webid/token"
printf '%s' 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzb21lb25lLWVsc2UifQ.b3RoZXI' > "$T/webid/other-token"
for order in api docs; do
    extra=(); [ "$order" = docs ] && extra=(--docs-order)
    if start_fake sts --token-file "$T/webid/token" --role-arn "$MOTO_ROLE_ARN" --creds-file "$MOTO_SESSION_FILE" "${extra[@]}" > /dev/null; then
        sts=$FAKE_PORT
        load_tasks "webid-$order" "$T/three.jsonl" || aws_lib_fail "load_tasks webid-$order"
        aws_run "webid-$order" 60 "webid-$order" "${NOCREDS[@]}" AWS_WEB_IDENTITY_TOKEN_FILE="$T/webid/token" \
            AWS_ROLE_ARN="$MOTO_ROLE_ARN" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$sts" "$A"
        exited_ok "webid-$order" "web identity ($order order of the STS reply)"
        three_ok "webid-$order" "webid-$order" "web identity ($order order)"
        is "web identity ($order order): the worker called AssumeRoleWithWebIdentity, nothing was refused" "true 0" \
            "$(fake_stats "$sts" '"\(.ok >= 1) \(.rejected)"' | tr -d '"')"
        stop_server "$FAKE_PID"
    else
        notok "web identity: the fake STS starts"
    fi
done
if start_fake sts --token-file "$T/webid/token" --role-arn "$MOTO_ROLE_ARN" --creds-file "$MOTO_SESSION_FILE" > /dev/null; then
    aws_run webid-bad 30 webid-api "${NOCREDS[@]}" AWS_WEB_IDENTITY_TOKEN_FILE="$T/webid/other-token" \
        AWS_ROLE_ARN="$MOTO_ROLE_ARN" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$FAKE_PORT" "$A"
    fails_fast webid-bad "web identity, a token STS refuses" 'InvalidIdentityToken|credentials'
    is "web identity, a token STS refuses: STS said InvalidIdentityToken" true \
        "$(fake_stats "$FAKE_PORT" '.errors.InvalidIdentityToken >= 1')"
fi

# ---- container credentials -------------------------------------------------------------------------------

CT_PATH=/v2/credentials/2f3e4d5c-6b7a-4891-a0b1-c2d3e4f5a6b7
CT_TOKEN='Basic Y2xvdWR0YXNrczp0ZXN0LXRva2Vu'
if start_fake ecs_creds --path "$CT_PATH" --auth-token "$CT_TOKEN" --creds-file "$MOTO_SESSION_FILE" > /dev/null; then
    ecs=$FAKE_PORT
    load_tasks container "$T/three.jsonl" || aws_lib_fail "load_tasks container"
    aws_run container 60 container "${NOCREDS[@]}" AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$ecs$CT_PATH" \
        AWS_CONTAINER_AUTHORIZATION_TOKEN="$CT_TOKEN" "$A"
    exited_ok container "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN)"
    three_ok container container "container credentials"
    is "container credentials: fetched with the right Authorization header" "true 0" \
        "$(fake_stats "$ecs" '"\(.ok >= 1) \(.unauthorized)"' | tr -d '"')"
    aws_run container-bad 30 container "${NOCREDS[@]}" AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$ecs$CT_PATH" \
        AWS_CONTAINER_AUTHORIZATION_TOKEN="Basic d3Jvbmc=" "$A"
    fails_fast container-bad "container credentials refused (wrong authorization token)" 'credentials|401|unauthori'
else
    notok "container credentials: the fake starts"
fi

# ---- IMDSv2: role credentials, region, keep-alive instance id ---------------------------------------------

IMDS_ENV=(env "${UNSET_CREDS[@]}" -u AWS_REGION -u AWS_DEFAULT_REGION -u AWS_EC2_METADATA_DISABLED HOME="$T/home")
IID="i-0c1d2e3f4a5b6c7d8"
if start_fake imds --instance-id "$IID" --region eu-west-1 --role worker-role --creds-file "$MOTO_SESSION_FILE" \
        --creds-ttl 21600 > /dev/null; then
    imds=$FAKE_PORT
    AWS_REGION=eu-west-1 load_tasks imds "$T/three.jsonl" || aws_lib_fail "load_tasks imds"
    aws_run imds 60 imds "${IMDS_ENV[@]}" AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$imds" "$A" --keepalive-interval 1
    exited_ok imds "IMDSv2: role credentials and region (eu-west-1) from the metadata service"
    AWS_REGION=eu-west-1 three_ok imds imds "IMDSv2"
    fetches=$(fake_stats "$imds" '.paths["/latest/meta-data/iam/security-credentials/worker-role"] // 0')
    if [ "$fetches" -ge 1 ] && [ "$fetches" -le 2 ]; then ok "IMDSv2: credentials valid for 6 h fetched once, not per request ($fetches)"
    else notok "IMDSv2: credentials valid for 6 h fetched once, not per request" "fetches: $fetches" "$(fake_stats "$imds")"; fi
    is "IMDSv2: every GET carried a valid session token" 0 "$(fake_stats "$imds" .unauthorized)"
    if AWS_REGION=eu-west-1 drain_events imds "$T/imds/queue.jsonl"; then
        ka=$(event_count "$T/imds/queue.jsonl" keep_alive)
        if [ "$ka" -ge 2 ]; then ok "IMDSv2: --keepalive-interval 1 sent keep-alives during the run ($ka)"
        else notok "IMDSv2: --keepalive-interval 1 sent at least 2 keep-alives" "$ka in ${ELAPSED}s"; fi
        is "IMDSv2: keep_alive instance_id is the instance id from IMDS" "$IID" \
            "$(jq -sr '[.[] | select(.event_type == "keep_alive") | .instance_id] | unique | join(" ")' "$T/imds/queue.jsonl")"
    else
        notok "IMDSv2: read imds-events back"
    fi
    stop_server "$FAKE_PID"
else
    notok "IMDSv2: the fake starts"
fi

# Refresh: temporary credentials are renewed five minutes before they expire, or halfway through
# their life when that is shorter. These say they expire 6 s after each fetch (moto accepts them
# for 12 h), so they are renewed about every 3 s; the run lasts more than 8 s (a 6 s task whose
# lease is extended, then IDLE s of empty polls), so they must be fetched at least twice.
if start_fake imds --instance-id "$IID" --region us-east-1 --role worker-role --creds-file "$MOTO_SESSION_FILE" \
        --creds-ttl 6 > /dev/null; then
    imds=$FAKE_PORT
    sleep_tasks "$T/refresh.jsonl" "$T/refresh-markers" 1 6 ""
    load_tasks refresh "$T/refresh.jsonl" || aws_lib_fail "load_tasks refresh"
    aws_run refresh 60 refresh "${IMDS_ENV[@]}" AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$imds" "$P" --visibility-timeout 2
    exited_ok refresh "IMDSv2 credentials that expire 6 s after each fetch"
    is "IMDSv2 refresh: the task ran once, the queue is empty" "task_completed false|0 0" \
        "$(runs_of "$T/refresh/events.log" s-1)|$(queue_counts refresh)"
    fetches=$(fake_stats "$imds" '.paths["/latest/meta-data/iam/security-credentials/worker-role"] // 0')
    if [ "$fetches" -ge 2 ]; then ok "IMDSv2 refresh: short-lived credentials fetched again before they expire ($fetches fetches in ${ELAPSED}s)"
    else notok "IMDSv2 refresh: short-lived credentials fetched again before they expire" "fetches: $fetches in ${ELAPSED}s"; fi
    stop_server "$FAKE_PID"
else
    notok "IMDSv2 refresh: the fake starts"
fi

# ---- spot interruption notice from IMDS ------------------------------------------------------------------

# Credentials from the environment; the instance has no role. 4 tasks, 2 slots; the running tasks
# stop when they see the notice (and return DONE).
if start_fake imds --instance-id i-0spot0000000000a --region us-east-1 --role "" > /dev/null; then
    imds=$FAKE_PORT
    M=$T/spot-markers
    sleep_tasks "$T/spot.jsonl" "$M" 4 20 ', "on_notice": "return"'
    load_tasks spot "$T/spot.jsonl" || aws_lib_fail "load_tasks spot"
    aws_start spot spot env -u AWS_EC2_METADATA_DISABLED AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$imds" "$P" \
        --is-spot --num-simultaneous-tasks 2 --keepalive-interval 1
    if wait_for "2 tasks to start" 30 has_count "$M" start 2; then
        started=$(ids "$M" start)
        curl -sf -X POST "http://127.0.0.1:$imds/_control/spot" > /dev/null
        wait_worker "$WPID" 40
        log=$T/spot/events.log
        exited_ok spot "spot notice from IMDS"
        is "spot notice: one spot_termination event" 1 "$(event_count "$log" spot_termination)"
        is "spot notice: the running tasks saw it and finished (task_completed)" "$started" \
            "$(jq -sr '[.[] | select(.event_type == "task_completed" and .result.saw_termination == true) | .task_id] | sort | join(" ")' "$log")"
        is "spot notice: no task started after it" "$started" "$(ids "$M" start)"
        is "spot notice: the 2 tasks not started are visible again" "2 0" "$(queue_counts spot)"
        is "spot notice: polled with IMDSv2 tokens" "true 0" \
            "$(fake_stats "$imds" '"\((.paths["/latest/meta-data/spot/instance-action"] // 0) >= 1) \(.unauthorized)"' | tr -d '"')"
        if drain_events spot "$T/spot/queue.jsonl"; then
            is "spot notice: spot_termination also went to spot-events" 1 "$(event_count "$T/spot/queue.jsonl" spot_termination)"
            is "spot notice: keep_alive instance_id is the IMDS instance id (credentials from the environment)" i-0spot0000000000a \
                "$(jq -sr '[.[] | select(.event_type == "keep_alive") | .instance_id] | unique | join(" ")' "$T/spot/queue.jsonl")"
        else
            notok "spot notice: read spot-events back"
        fi
        check "spot notice: no sanitizer report" no_sanitizer_report "$T/spot/stderr"
    else
        notok "spot notice: the tasks never started" "$(tail -n 20 "$T/spot/stderr")"
    fi
    stop_server "$FAKE_PID"
else
    notok "spot notice: the fake IMDS starts"
fi

# ---- a result over the queue's 256 KiB message limit ----------------------------------------------------

# The file keeps the whole result; the queue's copy has it cut, with a marker, and stays one JSON
# object (the manager deletes a batch as it parses it: a broken body would lose events).
{ jl big-1 '{"action": "big", "bytes": 400000}'; jl small-1 '{"action": "ok"}'; } > "$T/big.jsonl"
if ! load_tasks bigres "$T/big.jsonl"; then aws_lib_fail "load_tasks bigres"; fi
aws_run bigres 60 bigres "$P"
exited_ok bigres "a 400 kB result"
file_len=$(jq -r 'select(.task_id == "big-1") | .result | tostring | length' "$T/bigres/events.log")
if [ "${file_len:-0}" -ge 399000 ]; then ok "big result: the file has the whole result ($file_len)"; else notok "big result: the file has the whole result" "length ${file_len:-none}"; fi
if drain_events bigres "$T/bigres/queue.jsonl"; then
    check "big result: every queued event is a valid event record" events_valid "$T/bigres/queue.jsonl"
    is "big result: both task events reached the queue" "big-1 small-1" \
        "$(jq -sr '[.[] | select(.task_id) | .task_id] | sort | join(" ")' "$T/bigres/queue.jsonl")"
    qlen=$(jq -r 'select(.task_id == "big-1") | .result | tostring | length' "$T/bigres/queue.jsonl")
    if [ "${qlen:-0}" -gt 1000 ] && [ "${qlen:-0}" -lt 262144 ]; then ok "big result: the queued result was cut to fit ($qlen)"
    else notok "big result: the queued result was cut to fit" "length ${qlen:-none}"; fi
    if jq -e 'select(.task_id == "big-1") | .result | test("\\[cut: [0-9]+ of [0-9]+ bytes shown\\]$")' "$T/bigres/queue.jsonl" > /dev/null; then
        ok "big result: the cut result ends with its marker"
    else notok "big result: the cut result ends with its marker" "$(jq -c 'select(.task_id == "big-1") | .result | tostring | .[-80:]' "$T/bigres/queue.jsonl")"; fi
else
    notok "big result: read bigres-events back"
fi
if grep -q "its result was cut" "$T/bigres/stderr"; then ok "big result: a warning says the queued copy was cut"; else notok "big result: a warning says the queued copy was cut" "$(tail -n 5 "$T/bigres/stderr")"; fi

stop_server "$MOTO_PID" || diag "moto_server needed SIGKILL"
finish

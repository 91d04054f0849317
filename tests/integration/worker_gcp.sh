#!/usr/bin/env bash
# worker_gcp.sh - the worker on Google Cloud Pub/Sub (Google's emulator on 127.0.0.1): whole runs
# of the examples compared with task-file runs; events read back from Q-events-subscription (which
# the worker creates); retries come back (dead-letter topic after 5 deliveries); a task longer
# than the subscription's ack deadline runs once; SIGTERM gives every unfinished message back at
# once; bad message bodies; --exit-when-idle on an empty subscription; the project from the
# flag, the environment, the key file and the metadata server; every credential source through an
# authenticating proxy (service-account keys in 4 PEM spellings -> a JWT verified by a fake token
# endpoint, authorized_user files, gcloud's application-default file, the metadata server), token
# refresh and revocation, refused credentials; a task published after an empty pull timed out (an
# abandoned pull must not hide it); 403 and 404 from Pub/Sub; preemption and the
# keep-alive instance name from a fake metadata server; at the end, that no message of a run that
# finished its tasks came back after its ack deadline.
#     BUILD=build bash tests/integration/worker_gcp.sh
# Needs the Pub/Sub emulator and Java (machine image; see gcp_lib.sh) and /usr/bin/python3 with
# PyJWT and cryptography (Debian). Nothing is sent anywhere but 127.0.0.1.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/gcp_lib.sh
source "$(dirname "$0")/gcp_lib.sh"
need_workers worker_addition=examples/worker_addition.c worker_failures=examples/worker_failures.c \
    probe_worker=tests/integration/probe_worker.c
A=$IBUILD/worker_addition
F=$IBUILD/worker_failures
P=$IBUILD/probe_worker

# Every project a test uses; the emulator answers 404 for any other (the 404 test uses nope-proj).
# GCP_PROJECT (test-proj) is the default; SA_PROJECT (sa-proj) is the key files' project_id.
ENV_PROJECT="env-proj"           # RMS_CLOUD_TASKS_PROJECT_ID
GCE_ENV_PROJECT="gce-env-proj"   # GOOGLE_CLOUD_PROJECT
MD_PROJECT="md-proj"             # the metadata server's project/project-id
start_emulator --projects="$GCP_PROJECT,$SA_PROJECT,$ENV_PROJECT,$GCE_ENV_PROJECT,$MD_PROJECT"

IDLE=3   # --exit-when-idle: how every queue run ends
# gcp_run NAME TIMEOUT QUEUE COMMAND...: runs the worker on QUEUE of project $GCP_PROJECT to
# completion (run_worker), events to the queue (the default) and to $T/NAME/events.log.
gcp_run() {
    local name=$1 timeout=$2 q=$3
    shift 3
    run_worker "$name" "$timeout" "$@" --provider GCP --project-id "$GCP_PROJECT" --queue-name "$q" --event-log-to-file \
        --event-log-file "$T/$name/events.log" --exit-when-idle "$IDLE"
}
# gcp_run_auto NAME TIMEOUT QUEUE COMMAND...: the same without --project-id (the worker finds it).
gcp_run_auto() {
    local name=$1 timeout=$2 q=$3
    shift 3
    run_worker "$name" "$timeout" "$@" --provider GCP --queue-name "$q" --event-log-to-file \
        --event-log-file "$T/$name/events.log" --exit-when-idle "$IDLE"
}
# gcp_start NAME QUEUE COMMAND...: gcp_run in the background (start_worker; WPID).
gcp_start() {
    local name=$1 q=$2
    shift 2
    start_worker "$name" "$@" --provider GCP --project-id "$GCP_PROJECT" --queue-name "$q" --event-log-to-file \
        --event-log-file "$T/$name/events.log" --exit-when-idle "$IDLE"
}

exited_ok() { # exited_ok NAME WHAT: exit status 0, else not ok with the worker's stderr
    if [ "$RC" = 0 ]; then ok "$2: exit 0 (${ELAPSED}s)"; else notok "$2: exit 0" "exit status $RC after ${ELAPSED}s" "$(tail -n 20 "$T/$1/stderr")"; fi
}
fails_fast() { # fails_fast NAME WHAT PATTERN...: exit 1 within 15 s, each PATTERN (ERE, any case) on stderr
    local name=$1 what=$2 pat
    shift 2
    if [ "$RC" = 1 ] && awk -v e="$ELAPSED" 'BEGIN { exit !(e < 15) }'; then ok "$what: exit 1 within 15 s (${ELAPSED}s)"
    else notok "$what: exit 1 within 15 s" "exit status $RC after ${ELAPSED}s" "$(tail -n 20 "$T/$name/stderr")"; fi
    for pat in "$@"; do check "$what: stderr says why (/$pat/)" grep -qiE "$pat" "$T/$name/stderr"; done
}
# the task events as "task_id event_type retry outcome" lines, sorted (timestamps, hostnames and
# elapsed times left out), for comparing two runs
summary() {
    jq -sr '[.[] | select(.task_id) | "\(.task_id) \(.event_type) \(.retry) \(.result // .exception // .exit_code // "" | tostring)"]
            | sort | join("\n")' "$1"
}
summary_without() { local log=$1; shift; summary "$log" | grep -vE "^($(IFS='|'; echo "$*")) "; }
runs_of() { jq -sr --arg id "$2" '[.[] | select(.task_id == $id) | "\(.event_type) \(.retry)"] | join(", ")' "$1"; }
completed() { jq -sr '[.[] | select(.event_type == "task_completed") | .task_id] | sort | join(" ")' "$1"; }
event_count() { jq -s --arg t "$2" '[.[] | select(.event_type == $t)] | length' "$1"; }
keep_alive_ids() { jq -sr '[.[] | select(.event_type == "keep_alive") | .instance_id] | unique | join(" ")' "$1"; }
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
# not_in "A B C" "B": the words of the first list missing from the second ("A C")
not_in() {
    local x out=""
    for x in $1; do case " $2 " in *" $x "*) ;; *) out="$out $x" ;; esac; done
    echo "${out# }"
}
three_additions() { jq -c '.[:3][]' "$ROOT/examples/addition_tasks.json"; }
THREE="addition-task-000001 addition-task-000002 addition-task-000003"
three_additions > "$T/three.jsonl"
load() { load_tasks_pubsub "$@" || gcp_lib_fail "load_tasks_pubsub $* (project $GCP_PROJECT)"; }

# Runs whose tasks all end acknowledged: at the end of the suite, once every lease they could have
# held has run out (60 s ack deadline, leases extended by the worker to at most 60 s), their
# subscriptions must have nothing to deliver (a message never acknowledged comes back).
# (A run that failed is reported where it ran, not again here.)
SETTLED=()
settled() {
    [ "$RC" = 0 ] || return 0
    SETTLED+=("$GCP_PROJECT/$1-subscription $(( ${EPOCHREALTIME/[.,]/} / 1000000 + 65 ))")
}

# settled_run NAME TIMEOUT QUEUE WHAT COMMAND...: gcp_run NAME TIMEOUT QUEUE COMMAND..., whose tasks
# all end acknowledged (settled QUEUE); log=its event log; it exited 0 (exited_ok NAME WHAT).
settled_run() {
    local name=$1 timeout=$2 q=$3 what=$4
    shift 4
    gcp_run "$name" "$timeout" "$q" "$@"
    settled "$q"
    log=$T/$name/events.log
    exited_ok "$name" "$what"
}

# ---- a whole run of the addition example -------------------------------------------------------------

jq -c '.[:50][]' "$ROOT/examples/addition_tasks.json" > "$T/add50.jsonl"
run_worker add-file 60 "$A" --task-file "$T/add50.jsonl" --event-log-file "$T/add-file/events.log"
load add50 "$T/add50.jsonl"
missing_resource() { ! ps_exists "$1"; }
check "addition: add50-events-topic does not exist before the run" missing_resource topics/add50-events-topic
settled_run add-ps 120 add50 "addition, 50 tasks from Pub/Sub (emulator, PUBSUB_EMULATOR_HOST)" "$A" --num-simultaneous-tasks 4
check "addition: events valid" events_valid "$log"
is "addition: one task_completed per task, retry false, the same results as the task-file run" \
    "$(summary "$T/add-file/events.log")" "$(summary "$log")"
is "addition: 50 task events, 50 distinct tasks" "50 50" \
    "$(jq -sr '[.[] | select(.task_id)] | "\(length) \(map(.task_id) | unique | length)"' "$log")"
is "addition: nothing left to deliver in add50-subscription" 0 "$(sub_backlog add50-subscription)"
is "addition: the worker created add50-events-subscription on add50-events-topic" "projects/$GCP_PROJECT/topics/add50-events-topic" \
    "$(ps_get subscriptions/add50-events-subscription | jq -r .topic)"
if drain_events_pubsub add50 "$T/add-ps/queue.jsonl"; then
    ok "addition: events read back from add50-events-subscription"
    check "addition: the queued events are valid event records" events_valid "$T/add-ps/queue.jsonl"
    is "addition: the queue got the same task events as the file, byte for byte" \
        "$(not_keep_alive "$log")" "$(not_keep_alive "$T/add-ps/queue.jsonl")"
    ka=$(event_count "$T/add-ps/queue.jsonl" keep_alive)
    if [ "$ka" -ge 1 ]; then ok "addition: a keep_alive event went to the queue at start-up ($ka)"
    else notok "addition: a keep_alive event went to the queue at start-up"; fi
    is "addition: keep_alive is {timestamp, hostname, event_type, instance_id}; no metadata server: instance_id is the hostname" \
        "[\"timestamp\",\"hostname\",\"event_type\",\"instance_id\"] $(uname -n)" \
        "$(jq -sr '[.[] | select(.event_type == "keep_alive")] | "\(map(keys_unsorted) | unique | .[0] | tojson) \(map(.instance_id) | unique | join(" "))"' \
            "$T/add-ps/queue.jsonl")"
else
    notok "addition: read add50-events-subscription back"
fi
is "addition: keep_alive events never go to the file" 0 "$(event_count "$log" keep_alive)"
check "addition: no sanitizer report" no_sanitizer_report "$T/add-ps/stderr"

# ---- every outcome: the failures example, with a dead-letter topic ----------------------------------------

# maxDeliveryAttempts 5 (the smallest Pub/Sub allows): a task that always asks for a retry runs
# exactly 5 times, then the emulator moves its message to Q-dlq-topic.
MEM=(--max-memory-allowed-per-task 0.25)
if [ "$SANITIZED" = 1 ]; then
    MEM=()
    jq -c '.[] | select(.task_id != "failures-nomem")' "$ROOT/examples/failures_tasks.json" > "$T/failures.jsonl"
else
    jq -c '.[]' "$ROOT/examples/failures_tasks.json" > "$T/failures.jsonl"
fi
with_dlq() { # with_dlq QUEUE: QUEUE-subscription (ack 60) forwards to QUEUE-dlq-topic after 5 deliveries
    ps_sub "$1-dlq-subscription" "$1-dlq-topic" > /dev/null &&
        ps_sub "$1-subscription" "$1-topic" 60 \
            "{\"deadLetterPolicy\": {\"deadLetterTopic\": \"projects/$GCP_PROJECT/topics/$1-dlq-topic\", \"maxDeliveryAttempts\": 5}}"
}
dlq_ids() { sub_ids "$1-dlq-subscription"; }

run_worker fail-file 60 "$F" --task-file "$T/failures.jsonl" --event-log-file "$T/fail-file/events.log" "${MEM[@]}"
with_dlq failures > /dev/null || gcp_lib_fail "failures: a subscription with a dead-letter policy"
load failures "$T/failures.jsonl"
ps_events failures || gcp_lib_fail "failures: create the events subscription beforehand"
settled_run fail-ps 120 failures "failures from Pub/Sub" "$F" --num-simultaneous-tasks 2 "${MEM[@]}"
check "failures: events valid" events_valid "$log"
is "failures: the tasks not retried have the same single event as in the task-file run" \
    "$(summary_without "$T/fail-file/events.log" failures-retry)" "$(summary_without "$log" failures-retry)"
is "failures: the task asking for a retry ran 5 times (redelivered at once each time)" \
    "task_completed true, task_completed true, task_completed true, task_completed true, task_completed true" \
    "$(runs_of "$log" failures-retry)"
is "failures: after 5 deliveries the retried task went to the dead-letter topic" "failures-retry" "$(dlq_ids failures)"
is "failures: nothing left to deliver in failures-subscription" 0 "$(sub_backlog failures-subscription)"
if drain_events_pubsub failures "$T/fail-ps/queue.jsonl"; then
    is "failures: the events subscription made beforehand got the same task events as the file" \
        "$(not_keep_alive "$log")" "$(not_keep_alive "$T/fail-ps/queue.jsonl")"
else
    notok "failures: read failures-events-subscription back"
fi
check "failures: no sanitizer report" no_sanitizer_report "$T/fail-ps/stderr"

# With the retry flags the failed, crashed and exited tasks are given back too.
with_dlq failures2 > /dev/null || gcp_lib_fail "failures2: a subscription with a dead-letter policy"
load failures2 "$T/failures.jsonl"
settled_run fail-retry 180 failures2 "failures with --retry-on-exception --retry-on-exit" \
    "$F" --num-simultaneous-tasks 2 --retry-on-exception --retry-on-exit "${MEM[@]}"
five() { printf '%s, %s, %s, %s, %s' "$1" "$1" "$1" "$1" "$1"; }
is "retry flags: the error task ran 5 times, task_exception retry true" "$(five "task_exception true")" "$(runs_of "$log" failures-error)"
is "retry flags: the crashing task ran 5 times, task_exited retry true" "$(five "task_exited true")" "$(runs_of "$log" failures-crash)"
is "retry flags: the exit(3) task ran 5 times" "$(five "task_exited true")" "$(runs_of "$log" failures-exit)"
if [ "$SANITIZED" = 1 ]; then skip "retry flags: out of memory is never retried" "no address-space limit under a sanitizer"
else is "retry flags: out of memory is never retried" "task_exception false" "$(runs_of "$log" failures-nomem)"; fi
is "retry flags: ok and sleep ran once" "task_completed false|task_completed false" \
    "$(runs_of "$log" failures-ok)|$(runs_of "$log" failures-sleep)"
is "retry flags: the 4 retried tasks are in the dead-letter topic" "failures-crash failures-error failures-exit failures-retry" \
    "$(dlq_ids failures2)"
is "retry flags: nothing left to deliver in failures2-subscription" 0 "$(sub_backlog failures2-subscription)"

# ---- configuration from the environment; a retried message comes back ----------------------------------

M=$T/retry-markers; mkdir -p "$M"
jl r-1 "{\"action\": \"retry\", \"dir\": \"$M\"}" > "$T/retry.jsonl"
# (a dead-letter policy, so that pulls carry deliveryAttempt; made before load, which keeps it)
GCP_PROJECT=$ENV_PROJECT with_dlq retry1 > /dev/null || gcp_lib_fail "retry1: a dead-letter policy"
GCP_PROJECT=$ENV_PROJECT load retry1 "$T/retry.jsonl"
# provider, project and queue (through --job-id) from the environment
run_worker retry 60 env RMS_CLOUD_TASKS_PROVIDER=GCP RMS_CLOUD_TASKS_PROJECT_ID="$ENV_PROJECT" RMS_CLOUD_TASKS_JOB_ID=retry1 \
    "$P" --max-num-tasks 3 --event-log-to-file --event-log-file "$T/retry/events.log" --exit-when-idle "$IDLE"
exited_ok retry "a task that returns retry, --max-num-tasks 3 (provider, project, job id from the environment)"
is "retry: it ran 3 times, task_completed retry true each time" \
    "task_completed true, task_completed true, task_completed true" "$(runs_of "$T/retry/events.log" r-1)"
if jq -e 'has("receive_count")' "$M/r-1.start" > /dev/null 2>&1; then
    is "retry: the task saw receive_count (deliveryAttempt) 3 at its last run" 3 "$(jq .receive_count "$M/r-1.start")"
else
    skip "retry: the task sees its receive count" "probe_worker does not report cloudtasks_task.receive_count"
fi
is "retry: the message was given back and can be delivered now" "r-1" "$(GCP_PROJECT=$ENV_PROJECT sub_ids retry1-subscription)"
if GCP_PROJECT=$ENV_PROJECT drain_events_pubsub retry1 "$T/retry/queue.jsonl"; then
    is "retry: the events went to $ENV_PROJECT's retry1-events-topic" 3 "$(event_count "$T/retry/queue.jsonl" task_completed)"
else
    notok "retry: read retry1-events-subscription of $ENV_PROJECT back"
fi

# ---- a task longer than the subscription's ack deadline runs once ----------------------------------------

# ackDeadlineSeconds 10, a 15 s task, 2 slots: if the lease lapsed, the message would be delivered
# again (to the free slot, or to the sampling pulls below, which count and nack it).
for mode in vis10 default; do
    extra=(--visibility-timeout 10); what="ack deadline 10 s, --visibility-timeout 10, 15 s task"
    if [ "$mode" = default ]; then extra=(); what="ack deadline 10 s, default --visibility-timeout, 15 s task"; fi
    M=$T/long-$mode-markers
    sleep_tasks "$T/long-$mode.jsonl" "$M" 1 15 ""
    ps_sub "long-$mode-subscription" "long-$mode-topic" 10 > /dev/null || gcp_lib_fail "long-$mode: subscription with ack deadline 10"
    load "long-$mode" "$T/long-$mode.jsonl"
    gcp_start "long-$mode" "long-$mode" "$P" --num-simultaneous-tasks 2 "${extra[@]}"
    if wait_for "the 15 s task to start" 30 has_count "$M" start 1; then
        : > "$T/long-$mode/samples"
        deadline=$(( ${EPOCHREALTIME/[.,]/} + 40000000 ))
        while alive "$WPID" && ! has_count "$M" end 1 && [ "${EPOCHREALTIME/[.,]/}" -lt "$deadline" ]; do
            sub_backlog "long-$mode-subscription" >> "$T/long-$mode/samples" 2>&1
            sleep 0.5   # sampling interval, not synchronisation
        done
        is "$what: never deliverable while it ran ($(wc -l < "$T/long-$mode/samples") samples)" 0 \
            "$(sort -u "$T/long-$mode/samples" | tr '\n' ' ' | sed 's/ $//')"
        wait_worker "$WPID" 120
        settled "long-$mode"
        exited_ok "long-$mode" "$what"
        is "$what: it ran once, task_completed" "task_completed false" "$(runs_of "$T/long-$mode/events.log" s-1)"
        is "$what: nothing left to deliver" 0 "$(sub_backlog "long-$mode-subscription")"
    else
        notok "$what: the task never started" "$(tail -n 20 "$T/long-$mode/stderr")"
    fi
done

# ---- SIGTERM gives every unfinished message back at once --------------------------------------------------

# ack deadline 60 s: a message not given back would stay hidden for a minute.
for mode in plain prefetch; do
    extra=(); [ "$mode" = prefetch ] && extra=(--prefetch 2)
    M=$T/term-$mode-markers
    sleep_tasks "$T/term-$mode.jsonl" "$M" 5 30 ', "ignore_shutdown": true'
    load "term-$mode" "$T/term-$mode.jsonl"
    gcp_start "term-$mode" "term-$mode" "$P" --num-simultaneous-tasks 2 --shutdown-grace-period 0 "${extra[@]}"
    if wait_for "2 tasks to start" 30 has_count "$M" start 2; then
        started=$(ids "$M" start)
        kill -TERM "$WPID"
        t0=${EPOCHREALTIME/[.,]/}
        if wait_for "all 5 messages deliverable" 10 backlog_is "term-$mode-subscription" 5; then
            ok "$mode: SIGTERM, grace 0: all 5 messages (2 running, 3 not started) deliverable again within $(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 )) ms (ack deadline 60 s)"
        else
            notok "$mode: SIGTERM, grace 0: all 5 messages deliverable again within 10 s" "deliverable: $(sub_ids "term-$mode-subscription")"
        fi
        wait_worker "$WPID" 30
        exited_ok "term-$mode" "$mode: SIGTERM, grace 0"
        is "$mode: SIGTERM, grace 0: the 2 running tasks are reported task_exited, retry true" "$started" \
            "$(jq -sr '[.[] | select(.event_type == "task_exited" and .retry == true) | .task_id] | sort | join(" ")' "$T/term-$mode/events.log")"
        is "$mode: SIGTERM, grace 0: no other task started" 2 "$(count "$M" start)"
        is "$mode: SIGTERM, grace 0: the 5 tasks are all there" "s-1 s-2 s-3 s-4 s-5" "$(sub_ids "term-$mode-subscription")"
        check "$mode: SIGTERM: no sanitizer report" no_sanitizer_report "$T/term-$mode/stderr"
    else
        notok "$mode: SIGTERM, grace 0: the tasks never started" "$(tail -n 20 "$T/term-$mode/stderr")"
    fi
done

# Tasks that stop at the notice and return DONE are acknowledged; the others are given back.
M=$T/term2-markers
sleep_tasks "$T/term2.jsonl" "$M" 4 30 ', "on_notice": "return"'
load term2 "$T/term2.jsonl"
gcp_start term2 term2 "$P" --num-simultaneous-tasks 2
if wait_for "2 tasks to start" 30 has_count "$M" start 2; then
    started=$(ids "$M" start)
    kill -TERM "$WPID"
    wait_worker "$WPID" 30
    exited_ok term2 "SIGTERM, tasks return DONE at the notice"
    is "SIGTERM, tasks return DONE: they are task_completed, retry false" "$started" "$(completed "$T/term2/events.log")"
    is "SIGTERM, tasks return DONE: the 2 others can be delivered at once" 2 "$(sub_backlog term2-subscription)"
    is "SIGTERM, tasks return DONE: those are the 2 not started" \
        "$(not_in "s-1 s-2 s-3 s-4" "$started")" "$(sub_ids term2-subscription)"
else
    notok "SIGTERM, tasks return DONE: the tasks never started" "$(tail -n 20 "$T/term2/stderr")"
fi

# ---- bad message bodies --------------------------------------------------------------------------------

{ jl g-1 '{"action": "ok"}'; jl g-2 '{"action": "ok"}'; } > "$T/good.jsonl"
load bad "$T/good.jsonl"
bad_ids=$(ps_publish bad-topic 'this is not JSON' '{"data": {"action": "ok"}}' '["task_id", "x"]' | tr '\n' ' ')
settled_run bad 60 bad "3 bad message bodies among 2 good tasks" "$P"
is "bad bodies: the good tasks ran" "g-1 g-2" "$(completed "$log")"
missing=""
for id in $bad_ids; do
    [ "$(jq -s --arg id "$id" '[.[] | select(.event_type == "non_fatal_exception" and (.exception | contains($id)))] | length' "$log")" = 1 ] ||
        missing="$missing $id"
done
is "bad bodies: one non_fatal_exception naming each bad message's id ($bad_ids)" "" "$missing"
is "bad bodies: they were acknowledged (they can never succeed); nothing left to deliver" 0 "$(sub_backlog bad-subscription)"
check "bad bodies: events valid" events_valid "$log"

# ---- --exit-when-idle on an empty subscription ---------------------------------------------------------

# An empty pull on the emulator hangs ~90 s: the worker must not wait for it.
ps_sub idle-subscription idle-topic > /dev/null || gcp_lib_fail "idle: an empty subscription"
gcp_run idle 150 idle "$A"
if [ "$RC" = 0 ] && awk -v e="$ELAPSED" 'BEGIN { exit !(e < 15) }'; then
    ok "--exit-when-idle $IDLE on an empty subscription: exit 0 within 15 s (${ELAPSED}s)"
else
    notok "--exit-when-idle $IDLE on an empty subscription: exit 0 within 15 s" "exit $RC after ${ELAPSED}s" "$(tail -n 20 "$T/idle/stderr")"
fi

# ---- the project ---------------------------------------------------------------------------------------

# The tasks are only in the expected project: a worker using another finds nothing (and exits
# idle with no task run) or gets 404.
GCP_PROJECT=$GCE_ENV_PROJECT load gceenv "$T/three.jsonl"
gcp_run_auto gceenv 60 gceenv env GOOGLE_CLOUD_PROJECT="$GCE_ENV_PROJECT" "$A"
exited_ok gceenv "project from GOOGLE_CLOUD_PROJECT"
is "project from GOOGLE_CLOUD_PROJECT: the 3 tasks ran" "$THREE" "$(completed "$T/gceenv/events.log")"
GCP_PROJECT=$GCE_ENV_PROJECT settled gceenv

load flagwins "$T/three.jsonl"
gcp_run flagwins 60 flagwins env GOOGLE_CLOUD_PROJECT="$GCE_ENV_PROJECT" "$A"
exited_ok flagwins "--project-id wins over GOOGLE_CLOUD_PROJECT"
is "--project-id wins over GOOGLE_CLOUD_PROJECT: the 3 tasks ran" "$THREE" "$(completed "$T/flagwins/events.log")"
settled flagwins

gcp_run_auto noproj 30 noproj "$A"
fails_fast noproj "no project anywhere (no flag, no environment, no metadata server)" 'project'

# 404: the emulator knows no project nope-proj.
GCP_PROJECT=nope-proj gcp_run nope 30 nope "$A"
fails_fast nope "a project Pub/Sub does not know (404 NOT_FOUND)" 'nope-proj' '404|NOT_FOUND|not found'

# ---- credentials, through the authenticating proxy -------------------------------------------------------

start_token_fake "$T/sa" || gcp_lib_fail "the fake token endpoint starts"
make_sa_key "$T/sa" || gcp_lib_fail "make_sa_key"
start_metadata_fake --instance-name gce-vm-1 --project "$MD_PROJECT" --token ya29.metadata --unique-tokens ||
    gcp_lib_fail "the fake metadata server starts"
MD_AUTH_HOST=$MD_HOST MD_AUTH_PORT=$MD_PORT
start_auth_proxy "$GTOKEN_PORT" "$MD_AUTH_PORT" || gcp_lib_fail "the authenticating proxy starts"
# A worker that authenticates: no emulator shortcut, the proxy as the endpoint.
AUTH=(env -u PUBSUB_EMULATOR_HOST CLOUDTASKS_PUBSUB_ENDPOINT="$PROXY_URL")
tok() { fake_stats "$GTOKEN_PORT" "$1"; }
proxy() { fake_stats "$PROXY_PORT" "$1"; }

is "proxy: a request without a token is refused (401 UNAUTHENTICATED)" 401 \
    "$(curl -s -o /dev/null -w '%{http_code}' "$PROXY_URL/v1/projects/$GCP_PROJECT/topics/add50-topic")"

# Service-account keys (project_id sa-proj, no --project-id): PKCS#8, PKCS#1, CRLF, no final newline.
for variant in key key-pkcs1 key-crlf key-nonl; do
    q=sa-$variant
    GCP_PROJECT=$SA_PROJECT load "$q" "$T/three.jsonl"
    jwt0=$(tok .jwt_ok); refused0=$(proxy .unauthorized); fwd0=$(proxy .forwarded)
    gcp_run_auto "$q" 60 "$q" "${AUTH[@]}" GOOGLE_APPLICATION_CREDENTIALS="$T/sa/$variant.json" "$A"
    GCP_PROJECT=$SA_PROJECT settled "$q"
    exited_ok "$q" "service-account key $variant.json through the proxy (project from the key)"
    is "$variant: the 3 tasks ran" "$THREE" "$(completed "$T/$q/events.log")"
    jwts=$(( $(tok .jwt_ok) - jwt0 ))
    if [ "$jwts" -ge 1 ] && [ "$jwts" -le 2 ]; then ok "$variant: the token endpoint verified a JWT; one token for the run ($jwts)"
    else notok "$variant: the token endpoint verified a JWT, one token for the run" "JWTs accepted: $jwts" "$(tok '.last_error')"; fi
    is "$variant: the proxy forwarded the worker's requests (1), refused none (0)" "1 0" \
        "$(( $(proxy .forwarded) > fwd0 )) $(( $(proxy .unauthorized) - refused0 ))"
    if GCP_PROJECT=$SA_PROJECT drain_events_pubsub "$q" "$T/$q/queue.jsonl"; then
        is "$variant: the events went to $SA_PROJECT (the key's project_id)" 3 "$(event_count "$T/$q/queue.jsonl" task_completed)"
    else
        notok "$variant: read $q-events-subscription of $SA_PROJECT back"
    fi
done
is "service-account key: the JWT header is {alg RS256, typ JWT, kid private_key_id}" \
    "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$SA_KEY_ID\"}" "$(tok '.last_header | {alg, typ, kid}')"
is "service-account key: the claims: iss client_email, aud token_uri, a Pub/Sub scope, exp - iat <= 3600" \
    "\"$SA_EMAIL $GTOKEN_URI true true\"" \
    "$(tok '.last_claims // {} | "\(.iss) \(.aud) \(.scope // "" | split(" ") | any(. == "https://www.googleapis.com/auth/pubsub" or . == "https://www.googleapis.com/auth/cloud-platform")) \((.exp // 0) - (.iat // 0) <= 3600)"')"

GCP_PROJECT=$GCE_ENV_PROJECT load sa-gceenv "$T/three.jsonl"
gcp_run_auto sa-gceenv 60 sa-gceenv "${AUTH[@]}" GOOGLE_APPLICATION_CREDENTIALS="$T/sa/key.json" GOOGLE_CLOUD_PROJECT="$GCE_ENV_PROJECT" "$A"
GCP_PROJECT=$GCE_ENV_PROJECT settled sa-gceenv
exited_ok sa-gceenv "GOOGLE_CLOUD_PROJECT wins over the key's project_id"
is "GOOGLE_CLOUD_PROJECT wins over the key's project_id: the 3 tasks ran" "$THREE" "$(completed "$T/sa-gceenv/events.log")"

# authorized_user file (GOOGLE_APPLICATION_CREDENTIALS), token endpoint from CLOUDTASKS_GOOGLE_TOKEN_URI.
# (Later tests that are not about credentials use it too: it does not depend on the JWT.)
make_authorized_user "$T/au.json"
AU=(GOOGLE_APPLICATION_CREDENTIALS="$T/au.json" CLOUDTASKS_GOOGLE_TOKEN_URI="$GTOKEN_URI")
load au "$T/three.jsonl"
r0=$(tok .refresh_ok); refused0=$(proxy .unauthorized)
gcp_run au 60 au "${AUTH[@]}" "${AU[@]}" "$A"
settled au
exited_ok au "authorized_user file through the proxy"
is "authorized_user: the 3 tasks ran" "$THREE" "$(completed "$T/au/events.log")"
is "authorized_user: a refresh-token grant (1), nothing refused by the proxy (0)" "1 0" \
    "$(( $(tok .refresh_ok) > r0 )) $(( $(proxy .unauthorized) - refused0 ))"

# gcloud's application-default credentials file: $CLOUDSDK_CONFIG/application_default_credentials.json
# (an authorized_user file), then $HOME/.config/gcloud/... (a service-account key this time).
mkdir -p "$T/adc1/gcloud" "$T/adc2/.config/gcloud"
make_authorized_user "$T/adc1/gcloud/application_default_credentials.json"
cp "$T/sa/key.json" "$T/adc2/.config/gcloud/application_default_credentials.json"
load adc1 "$T/three.jsonl"
gcp_run adc1 60 adc1 "${AUTH[@]}" HOME="$T/adc1" CLOUDSDK_CONFIG="$T/adc1/gcloud" CLOUDTASKS_GOOGLE_TOKEN_URI="$GTOKEN_URI" "$A"
settled adc1
exited_ok adc1 "authorized_user in \$CLOUDSDK_CONFIG/application_default_credentials.json"
is "CLOUDSDK_CONFIG application-default file: the 3 tasks ran" "$THREE" "$(completed "$T/adc1/events.log")"
GCP_PROJECT=$SA_PROJECT load adc2 "$T/three.jsonl"
gcp_run_auto adc2 60 adc2 env -u PUBSUB_EMULATOR_HOST -u CLOUDSDK_CONFIG CLOUDTASKS_PUBSUB_ENDPOINT="$PROXY_URL" HOME="$T/adc2" "$A"
GCP_PROJECT=$SA_PROJECT settled adc2
exited_ok adc2 "service-account key in \$HOME/.config/gcloud/application_default_credentials.json"
is "HOME application-default file: the 3 tasks ran (project from the key)" "$THREE" "$(completed "$T/adc2/events.log")"

# The metadata server: no credentials file anywhere; the project and the token from the metadata
# server; keep-alive instance_id = its instance/name.
GCP_PROJECT=$MD_PROJECT load md "$T/three.jsonl"
md_tokens0=$(fake_stats "$MD_AUTH_PORT" .tokens_issued)
gcp_run_auto md 60 md "${AUTH[@]}" GCE_METADATA_HOST="$MD_AUTH_HOST" GCE_METADATA_IP="$MD_AUTH_HOST" "$A" --keepalive-interval 1
GCP_PROJECT=$MD_PROJECT settled md
exited_ok md "metadata-server token and project through the proxy"
is "metadata server: the 3 tasks ran" "$THREE" "$(completed "$T/md/events.log")"
md_tokens=$(( $(fake_stats "$MD_AUTH_PORT" .tokens_issued) - md_tokens0 ))
if [ "$md_tokens" -ge 1 ] && [ "$md_tokens" -le 2 ]; then ok "metadata server: one token for the run ($md_tokens)"
else notok "metadata server: one token for the run" "tokens fetched: $md_tokens"; fi
is "metadata server: the proxy saw the metadata server's tokens" true \
    "$(proxy '[.tokens_used | keys[] | select(startswith("ya29.metadata"))] | length > 0')"
is "metadata server: every request carried Metadata-Flavor: Google" 0 "$(fake_stats "$MD_AUTH_PORT" .forbidden)"
if GCP_PROJECT=$MD_PROJECT drain_events_pubsub md "$T/md/queue.jsonl"; then
    is "metadata server: keep_alive instance_id is instance/name" gce-vm-1 "$(keep_alive_ids "$T/md/queue.jsonl")"
else
    notok "metadata server: read md-events-subscription of $MD_PROJECT back"
fi

# ---- refused credentials ---------------------------------------------------------------------------------

# A key the token endpoint does not know: same client_email and key id, another RSA key.
make_sa_key "$T/wrong" "$GTOKEN_URI" "$SA_KEY_ID" || gcp_lib_fail "make_sa_key (wrong key)"
rej0=$(tok .jwt_rejected)
gcp_run wrongkey 30 sa-key "${AUTH[@]}" GOOGLE_APPLICATION_CREDENTIALS="$T/wrong/key.json" "$A"
fails_fast wrongkey "a JWT signed with the wrong key" 'invalid_grant|signature' 'token'
is "a JWT signed with the wrong key: the token endpoint refused it (1)" 1 "$(( $(tok .jwt_rejected) > rej0 ))"
make_authorized_user "$T/au-bad.json" wrong-secret
gcp_run aubad 30 au "${AUTH[@]}" GOOGLE_APPLICATION_CREDENTIALS="$T/au-bad.json" CLOUDTASKS_GOOGLE_TOKEN_URI="$GTOKEN_URI" "$A"
fails_fast aubad "authorized_user with a wrong client secret" 'invalid_client|unauthorized|401'
gcp_run nocreds 30 au "${AUTH[@]}" "$A"
fails_fast nocreds "no credentials anywhere (no file, no metadata server)" 'credentials'
printf '{"type": "external_account", "audience": "x"}\n' > "$T/ext.json"
gcp_run extacct 30 au "${AUTH[@]}" GOOGLE_APPLICATION_CREDENTIALS="$T/ext.json" "$A"
fails_fast extacct "a credentials file of an unsupported type" 'external_account'
gcp_run nofile 30 au "${AUTH[@]}" GOOGLE_APPLICATION_CREDENTIALS="$T/does-not-exist.json" "$A"
fails_fast nofile "GOOGLE_APPLICATION_CREDENTIALS names a missing file" 'does-not-exist\.json'

# ---- token refresh and revocation ----------------------------------------------------------------------

# Tokens that live 10 s (the proxy refuses them after that): a run of more than 16 s needs new ones.
# A second token endpoint and a second proxy; the main ones' variables are restored afterwards.
main_token=("$GTOKEN_PORT" "$GTOKEN_PID" "$GTOKEN_URI") main_proxy=("$PROXY_PORT" "$PROXY_PID" "$PROXY_URL")
if start_token_fake "$T/sa" --ttl 10; then
    short=$GTOKEN_PORT short_pid=$GTOKEN_PID
    jq --arg u "$GTOKEN_URI" '.token_uri = $u' "$T/sa/key.json" > "$T/sa/key-short.json"
    if start_auth_proxy "$short"; then
        sproxy=$PROXY_PORT
        sleep_tasks "$T/refresh.jsonl" "$T/refresh-markers" 2 8 ""
        GCP_PROJECT=$SA_PROJECT load refresh "$T/refresh.jsonl"
        gcp_run_auto refresh 90 refresh env -u PUBSUB_EMULATOR_HOST CLOUDTASKS_PUBSUB_ENDPOINT="http://127.0.0.1:$sproxy" \
            GOOGLE_APPLICATION_CREDENTIALS="$T/sa/key-short.json" "$P" --num-simultaneous-tasks 1
        GCP_PROJECT=$SA_PROJECT settled refresh
        exited_ok refresh "tokens valid for 10 s, a run of 16 s and more"
        is "token refresh: both tasks ran once" "task_completed false|task_completed false" \
            "$(runs_of "$T/refresh/events.log" s-1)|$(runs_of "$T/refresh/events.log" s-2)"
        n=$(fake_stats "$short" .jwt_ok)
        if [ "$n" -ge 2 ]; then ok "token refresh: new tokens fetched before the old ones expired ($n in ${ELAPSED}s)"
        else notok "token refresh: new tokens fetched before the old ones expired" "tokens: $n in ${ELAPSED}s"; fi
        is "token refresh: the proxy refused nothing" 0 "$(fake_stats "$sproxy" .unauthorized)"
        stop_server "$PROXY_PID"
    else
        notok "token refresh: the proxy starts"
    fi
    stop_server "$short_pid"
else
    notok "token refresh: the second token endpoint starts"
fi
GTOKEN_PORT=${main_token[0]} GTOKEN_PID=${main_token[1]} GTOKEN_URI=${main_token[2]}
PROXY_PORT=${main_proxy[0]} PROXY_PID=${main_proxy[1]} PROXY_URL=${main_proxy[2]}

# A token revoked in the middle of a run (authorized_user credentials): the next call gets 401; the
# worker fetches a new token and goes on.
M=$T/revoke-markers
sleep_tasks "$T/revoke.jsonl" "$M" 2 3 ""
load revoke "$T/revoke.jsonl"
r0=$(tok .refresh_ok); refused0=$(proxy .unauthorized)
gcp_start revoke revoke "${AUTH[@]}" "${AU[@]}" "$P" --num-simultaneous-tasks 1
if wait_for "the first task to start" 30 has_count "$M" start 1; then
    curl -sf -X POST "http://127.0.0.1:$GTOKEN_PORT/_control/revoke" > /dev/null
    wait_worker "$WPID" 60
    settled revoke
    exited_ok revoke "a token revoked during the run"
    is "revoked token: both tasks ran once" "task_completed false|task_completed false" \
        "$(runs_of "$T/revoke/events.log" s-1)|$(runs_of "$T/revoke/events.log" s-2)"
    refused=$(( $(proxy .unauthorized) - refused0 )); tokens=$(( $(tok .refresh_ok) - r0 ))
    if [ "$refused" -ge 1 ] && [ "$tokens" -ge 2 ]; then ok "revoked token: a 401, then a new token ($refused refused, $tokens tokens)"
    else notok "revoked token: a 401, then a new token" "refused: $refused, tokens: $tokens" "$(tail -n 20 "$T/revoke/stderr")"; fi
else
    notok "revoked token: the first task never started" "$(tail -n 20 "$T/revoke/stderr")"
fi

# ---- a task published while the worker waits on an empty subscription -------------------------------------

# A pull the client gave up on (its own timeout) is not cancelled: Pub/Sub hands the next messages
# to it all the same, and they stay hidden until their ack deadline passes (the emulator does this;
# so does the real service over REST: googleapis/google-cloud-php#710, googleapis/google-cloud-node#980).
# The proxy keeps that behaviour (it waits for the emulator's answer after the worker left). Once
# the worker's first pull has ended without a message (the proxy has seen a second one), a task
# published must still start within seconds, not after the 60 s ack deadline.
M=$T/late-markers; mkdir -p "$M"
ps_sub late-subscription late-topic > /dev/null || gcp_lib_fail "late: an empty subscription"
pull_key="POST /v1/projects/$GCP_PROJECT/subscriptions/late-subscription:pull"
pulls_at_least() { [ "$(proxy ".paths[\"$pull_key\"] // 0")" -ge "$1" ]; }
abandoned0=$(proxy .abandoned_answers) abandoned_msgs0=$(proxy .abandoned_messages)
start_worker late "${AUTH[@]}" "${AU[@]}" "$P" --provider GCP --project-id "$GCP_PROJECT" --queue-name late \
    --event-log-to-file --event-log-file "$T/late/events.log" --exit-when-idle 60 --num-simultaneous-tasks 1
if wait_for "the worker's first pull to end without a message" 60 pulls_at_least 2; then
    ps_publish late-topic "{\"task_id\": \"late-1\", \"data\": {\"action\": \"ok\", \"dir\": \"$M\"}}" > /dev/null
    t0=${EPOCHREALTIME/[.,]/}
    if wait_for "the task published late to start" 15 has_count "$M" start 1; then
        ok "a task published after an empty pull ended starts at once ($(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 )) ms), not after the ack deadline"
    else
        notok "a task published after an empty pull ended starts within 15 s" \
            "pull answers the worker had given up on, and the messages in them (hidden until their ack deadline):" \
            "$(( $(proxy .abandoned_answers) - abandoned0 )) answers, $(( $(proxy .abandoned_messages) - abandoned_msgs0 )) messages" \
            "$(tail -n 5 "$T/late/stderr")"
    fi
else
    notok "a task published after an empty pull ended: the worker did not pull twice within 60 s" "$(tail -n 20 "$T/late/stderr")"
fi
kill -TERM "$WPID" 2>/dev/null
wait_worker "$WPID" 30
exited_ok late "SIGTERM while waiting for tasks"

# ---- 403 and 404 from Pub/Sub --------------------------------------------------------------------------

curl -sf -X POST -d '{"status": 403, "match": "/subscriptions/deny-subscription"}' "$PROXY_URL/_control/fail" > /dev/null
load deny "$T/three.jsonl"
gcp_run deny 30 deny "${AUTH[@]}" "${AU[@]}" "$A"
fails_fast deny "403 PERMISSION_DENIED on the task subscription" 'deny-subscription' '403|PERMISSION_DENIED'
curl -sf -X POST -d '{"status": 403, "match": "/topics/deny2-events-topic"}' "$PROXY_URL/_control/fail" > /dev/null
load deny2 "$T/three.jsonl"
gcp_run deny2 30 deny2 "${AUTH[@]}" "${AU[@]}" "$A"
fails_fast deny2 "403 PERMISSION_DENIED on the events topic" 'deny2-events-topic' '403|PERMISSION_DENIED'
curl -sf -X POST -d '{"status": 404, "match": "/subscriptions/gone-subscription"}' "$PROXY_URL/_control/fail" > /dev/null
load gone "$T/three.jsonl"
gcp_run gone 30 gone "${AUTH[@]}" "${AU[@]}" "$A"
fails_fast gone "404 NOT_FOUND on the task subscription, even when created" 'gone-subscription' '404|NOT_FOUND|not found'
curl -sf -X DELETE "$PROXY_URL/_control/fail" > /dev/null

# ---- preemption and the instance name from the metadata server (emulator, no authentication) ---------------

if start_metadata_fake --instance-name spot-vm-1 --project "$GCP_PROJECT"; then
    md=$MD_PORT
    M=$T/spot-markers
    sleep_tasks "$T/spot.jsonl" "$M" 4 20 ', "on_notice": "return"'
    load spot "$T/spot.jsonl"
    ps_events spot > /dev/null || gcp_lib_fail "spot: events subscription"
    gcp_start spot spot env GCE_METADATA_HOST="$MD_HOST" GCE_METADATA_IP="$MD_HOST" "$P" --is-spot --num-simultaneous-tasks 2 \
        --keepalive-interval 1
    if wait_for "2 tasks to start" 30 has_count "$M" start 2; then
        started=$(ids "$M" start)
        curl -sf -X POST "http://127.0.0.1:$md/_control/preempt" > /dev/null
        wait_worker "$WPID" 60
        log=$T/spot/events.log
        exited_ok spot "preemption notice from the metadata server"
        is "preemption: one spot_termination event" 1 "$(event_count "$log" spot_termination)"
        is "preemption: the running tasks saw it and finished (task_completed)" "$started" \
            "$(jq -sr '[.[] | select(.event_type == "task_completed" and .result.saw_termination == true) | .task_id] | sort | join(" ")' "$log")"
        is "preemption: no task started after it" "$started" "$(ids "$M" start)"
        is "preemption: the 2 tasks not started can be delivered at once" \
            "$(not_in "s-1 s-2 s-3 s-4" "$started")" "$(sub_ids spot-subscription)"
        is "preemption: instance/preempted was polled, always with Metadata-Flavor: Google" "true 0" \
            "$(fake_stats "$md" '"\((.paths["/computeMetadata/v1/instance/preempted"] // 0) >= 1) \(.forbidden)"' | tr -d '"')"
        if drain_events_pubsub spot "$T/spot/queue.jsonl"; then
            is "preemption: spot_termination also went to spot-events-topic" 1 "$(event_count "$T/spot/queue.jsonl" spot_termination)"
            ka=$(event_count "$T/spot/queue.jsonl" keep_alive)
            if [ "$ka" -ge 2 ]; then ok "keep-alive: --keepalive-interval 1 sent keep-alives during the run ($ka)"
            else notok "keep-alive: --keepalive-interval 1 sent at least 2 keep-alives" "$ka in ${ELAPSED}s"; fi
            is "keep-alive: instance_id is the metadata server's instance/name" spot-vm-1 "$(keep_alive_ids "$T/spot/queue.jsonl")"
        else
            notok "preemption: read spot-events-subscription back"
        fi
        names=$(fake_stats "$md" '.paths["/computeMetadata/v1/instance/name"] // 0')
        if [ "$names" -ge 1 ] && [ "$names" -le 2 ]; then ok "keep-alive: instance/name fetched once and kept ($names)"
        else notok "keep-alive: instance/name fetched once and kept" "fetches: $names"; fi
        check "preemption: no sanitizer report" no_sanitizer_report "$T/spot/stderr"
    else
        notok "preemption: the tasks never started" "$(tail -n 20 "$T/spot/stderr")"
    fi
    stop_server "$MD_PID"
else
    notok "preemption: the fake metadata server starts"
fi

# Without --is-spot the preemption flag is not watched.
if start_metadata_fake --instance-name vm-2 --project "$GCP_PROJECT" --preempted; then
    load nospot "$T/three.jsonl"
    gcp_run nospot 60 nospot env GCE_METADATA_HOST="$MD_HOST" GCE_METADATA_IP="$MD_HOST" "$A"
    settled nospot
    exited_ok nospot "instance/preempted TRUE without --is-spot"
    is "without --is-spot: the 3 tasks ran, no spot_termination" "$THREE 0" \
        "$(completed "$T/nospot/events.log") $(event_count "$T/nospot/events.log" spot_termination)"
    stop_server "$MD_PID"
else
    notok "without --is-spot: the fake metadata server starts"
fi

# ---- no message came back --------------------------------------------------------------------------------

# Every run above that finished its tasks acknowledged them: once the leases it could have held ran
# out, nothing is left to deliver. (Waiting out the ack deadline is the point of this check.)
last=0
for entry in "${SETTLED[@]}"; do [ "${entry##* }" -gt "$last" ] && last=${entry##* }; done
time_past() { [ $(( ${EPOCHREALTIME/[.,]/} / 1000000 )) -ge "$1" ]; }
wait_for "the leases of the last run to run out" 120 time_past "$last" > /dev/null
back=""
for entry in "${SETTLED[@]}"; do
    path=${entry% *}
    n=$(GCP_PROJECT=${path%%/*} sub_backlog "${path#*/}" 2>&1)
    [ "$n" = 0 ] || back="$back ${path}: $n;"
done
is "no message of a finished run came back after its ack deadline (${#SETTLED[@]} subscriptions)" "" "$back"

stop_server "$EMU_PID" 10 || diag "the emulator needed SIGKILL"
finish

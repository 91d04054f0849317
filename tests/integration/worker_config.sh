#!/usr/bin/env bash
# worker_config.sh - the command line and the environment: bad values are refused with one clear
# message and exit status 1; the values the Python manager exports are accepted; the boolean rule;
# the command line beats the environment; --help; arguments after "--" and settings reach tasks.
#     BUILD=build bash tests/integration/worker_config.sh
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
need_workers probe_worker=tests/integration/probe_worker.c
P=$IBUILD/probe_worker

jl c-1 '{"action": "ok"}' > "$T/one.jsonl"

# refused NAME EXPECTED_SUBSTRING... -- COMMAND...: exit status 1, nothing on stdout, exactly one
# line on stderr that contains every expected text, no sanitizer report.
refused() {
    local name=$1 want=() out err rc line problems=""
    shift
    while [ "$1" != -- ]; do want+=("$1"); shift; done
    shift
    out=$(cd "$T" && "$@" 2> "$T/refused.err" < /dev/null); rc=$?
    err=$(cat "$T/refused.err")
    [ "$rc" = 1 ] || problems="exit status $rc, not 1. "
    [ -z "$out" ] || problems="${problems}stdout not empty. "
    [ "$(grep -c . "$T/refused.err")" = 1 ] || problems="${problems}stderr has $(grep -c . "$T/refused.err") lines, not 1. "
    for line in "${want[@]}"; do
        grep -qF -- "$line" "$T/refused.err" || problems="${problems}stderr lacks \"$line\". "
    done
    grep -qE 'Sanitizer|runtime error' "$T/refused.err" && problems="${problems}sanitizer report. "
    if [ -z "$problems" ]; then ok "$name"; else notok "$name" "$problems" "stderr: $err"; fi
}

TF=(--task-file "$T/one.jsonl" --event-log-file "$T/refused-events.log")
refused "unknown flag --bogus" "--bogus" -- "$P" "${TF[@]}" --bogus
refused "--max-runtime abc" "--max-runtime" "abc" -- "$P" "${TF[@]}" --max-runtime abc
refused "--max-runtime -1" "--max-runtime" "-1" -- "$P" "${TF[@]}" --max-runtime -1
refused "--max-runtime 0" "--max-runtime" '"0"' -- "$P" "${TF[@]}" --max-runtime 0
refused "--max-runtime without a value" "--max-runtime" -- "$P" "${TF[@]}" --max-runtime
refused "--num-simultaneous-tasks 0" "--num-simultaneous-tasks" '"0"' -- "$P" "${TF[@]}" --num-simultaneous-tasks 0
refused "--num-simultaneous-tasks 1.5" "--num-simultaneous-tasks" "1.5" -- "$P" "${TF[@]}" --num-simultaneous-tasks 1.5
refused "--tasks-to-skip -2" "--tasks-to-skip" "-2" -- "$P" "${TF[@]}" --tasks-to-skip -2
refused "--shutdown-grace-period x" "--shutdown-grace-period" "x" -- "$P" "${TF[@]}" --shutdown-grace-period x
for v in nan inf -inf 0 -1 NaN 1e999 abc; do
    refused "--max-memory-allowed-per-task $v" "Maximum memory per task must be a positive number of GB" "$v" \
        -- "$P" "${TF[@]}" --max-memory-allowed-per-task "$v"
done
for v in nan inf 0 -1; do
    refused "RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK=$v" "Maximum memory per task must be a positive number of GB" \
        "RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK" "$v" -- env RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK="$v" "$P" "${TF[@]}"
done
refused "RMS_CLOUD_TASKS_MAX_RUNTIME=abc" "RMS_CLOUD_TASKS_MAX_RUNTIME" "abc" -- env RMS_CLOUD_TASKS_MAX_RUNTIME=abc "$P" "${TF[@]}"
refused "RMS_CLOUD_TASKS_NUM_TASKS_PER_INSTANCE=two" "RMS_CLOUD_TASKS_NUM_TASKS_PER_INSTANCE" "two" \
    -- env RMS_CLOUD_TASKS_NUM_TASKS_PER_INSTANCE=two "$P" "${TF[@]}"
refused "RMS_CLOUD_TASKS_INSTANCE_NUM_VCPUS=2.5" "RMS_CLOUD_TASKS_INSTANCE_NUM_VCPUS" "2.5" \
    -- env RMS_CLOUD_TASKS_INSTANCE_NUM_VCPUS=2.5 "$P" "${TF[@]}"
refused "RMS_CLOUD_TASKS_KEEPALIVE_INTERVAL=often" "RMS_CLOUD_TASKS_KEEPALIVE_INTERVAL" "often" \
    -- env RMS_CLOUD_TASKS_KEEPALIVE_INTERVAL=often "$P" "${TF[@]}"
refused "no provider and no task file: the reference's message" \
    "Provider not specified via --provider or RMS_CLOUD_TASKS_PROVIDER and no tasks file specified via --task-file" \
    -- env -u RMS_CLOUD_TASKS_PROVIDER -u RMS_CLOUD_TASKS_TASK_FILE "$P"
refused "--event-log-to-queue with a task file and no provider: the reference's message" \
    "--event-log-to-queue requires either --provider or RMS_CLOUD_TASKS_PROVIDER" -- "$P" "${TF[@]}" --event-log-to-queue
refused "a stray argument before --" '"stray"' -- "$P" "${TF[@]}" stray
refused "a value given to a boolean flag" "--retry-on-exit" -- "$P" "${TF[@]}" --retry-on-exit=1

# The command line wins, so a bad environment value it overrides is never read.
run_worker cli-wins 20 env RMS_CLOUD_TASKS_MAX_RUNTIME=abc "$P" --task-file "$T/one.jsonl" --event-log-file "$T/cli-wins/events.log" --max-runtime 5
is "--max-runtime 5 overrides RMS_CLOUD_TASKS_MAX_RUNTIME=abc: runs, exit 0" 0 "$RC"

# Where events go.
run_worker no-dir 20 "$P" --task-file "$T/one.jsonl" --event-log-file "$T/no/such/dir/events.log"
is "an event log file that cannot be opened: exit 1" 1 "$RC"
check "an event log file that cannot be opened: the reference's message names it" \
    grep -q "Error opening event log file: .*no/such/dir/events.log" "$T/no-dir/stderr"
run_worker no-file 20 "$P" --task-file "$T/one.jsonl" --no-event-log-to-file
is "--no-event-log-to-file: the task runs, no events.log is written" "0 no" "$RC $([ -e "$T/no-file/events.log" ] && echo yes || echo no)"
run_worker env-file 20 env RMS_CLOUD_TASKS_TASK_FILE="$T/one.jsonl" RMS_CLOUD_TASKS_EVENT_LOG_FILE=env-events.log "$P"
is "RMS_CLOUD_TASKS_TASK_FILE and RMS_CLOUD_TASKS_EVENT_LOG_FILE are used" "0 c-1" \
    "$RC $(jq -r .task_id "$T/env-file/env-events.log" 2>/dev/null)"
run_worker env-off 20 env RMS_CLOUD_TASKS_EVENT_LOG_TO_FILE=false "$P" --task-file "$T/one.jsonl"
is "RMS_CLOUD_TASKS_EVENT_LOG_TO_FILE=false: no events.log" "0 no" "$RC $([ -e "$T/env-off/events.log" ] && echo yes || echo no)"

# ---- what the manager exports ----------------------------------------------------------------------

M=$T/manager-markers; mkdir -p "$M"
{
    jl f-facts "{\"action\": \"ok\", \"dir\": \"$M\"}"
    jl f-error '{"action": "error"}'
    jl f-exit '{"action": "exit", "code": 4}'
} > "$T/manager.jsonl"
MEMENV=(RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK=4.0)
[ "$SANITIZED" = 1 ] && MEMENV=()
run_worker manager 20 env RMS_CLOUD_TASKS_PROVIDER=AWS RMS_CLOUD_TASKS_JOB_ID=interop RMS_CLOUD_TASKS_QUEUE_NAME=interop \
    RMS_CLOUD_TASKS_INSTANCE_TYPE=m7i.large RMS_CLOUD_TASKS_INSTANCE_NUM_VCPUS=2 RMS_CLOUD_TASKS_INSTANCE_MEM_GB=8.0 \
    RMS_CLOUD_TASKS_INSTANCE_SSD_GB=0 RMS_CLOUD_TASKS_INSTANCE_BOOT_DISK_GB=10 RMS_CLOUD_TASKS_INSTANCE_IS_SPOT=False \
    RMS_CLOUD_TASKS_INSTANCE_PRICE=0.1008 RMS_CLOUD_TASKS_NUM_TASKS_PER_INSTANCE=2 RMS_CLOUD_TASKS_MAX_RUNTIME=120 \
    RMS_CLOUD_TASKS_RETRY_ON_EXIT=None RMS_CLOUD_TASKS_RETRY_ON_EXCEPTION=True RMS_CLOUD_TASKS_KEEPALIVE_INTERVAL=1e-05 \
    "${MEMENV[@]}" RMS_CLOUD_TASKS_PROJECT_ID= \
    "$P" --task-file "$T/manager.jsonl" --event-log-file "$T/manager/events.log"
if [ "$RC" = 0 ]; then
    ok "the manager's exported values (True/False/None, 8.0, 1e-05, 4.0, PROJECT_ID=) are accepted"
else
    notok "the manager's exported values are accepted" "exit $RC" "$(cat "$T/manager/stderr")"
fi
facts=$M/f-facts.start
setting() { jq -r ".settings[\"$1\"] | tostring" "$facts" 2>/dev/null; }
is "manager env: RETRY_ON_EXCEPTION=True -> a failed task is retried" true \
    "$(jq -sr '.[] | select(.task_id == "f-error") | .retry' "$T/manager/events.log")"
is "manager env: RETRY_ON_EXIT=None -> false" "false 4" \
    "$(jq -sr '.[] | select(.task_id == "f-exit") | "\(.retry) \(.exit_code)"' "$T/manager/events.log")"
is "manager env: the task sees instance-type" m7i.large "$(setting instance-type)"
is "manager env: the task sees provider" AWS "$(setting provider)"
is "manager env: the task sees max-runtime" 120 "$(setting max-runtime)"
is "manager env: the task sees num-simultaneous-tasks" 2 "$(setting num-simultaneous-tasks)"
is "manager env: the task sees memory 8.0" 8.0 "$(setting memory)"
is "manager env: the task sees queue-name" interop "$(setting queue-name)"
is "manager env: RMS_CLOUD_TASKS_PROJECT_ID= (empty) means unset" null "$(setting project-id)"
is "manager env: an unknown setting name is NULL" null "$(setting no-such-setting)"
if [ "$SANITIZED" = 1 ]; then
    skip "manager env: MAX_MEMORY_ALLOWED_PER_TASK=4.0 -> RLIMIT_AS of 4 GiB in the task" "no address-space limit under a sanitizer"
else
    is "manager env: MAX_MEMORY_ALLOWED_PER_TASK=4.0 -> RLIMIT_AS of 4 GiB in the task" 4294967296 "$(jq -r .rlimit_as "$facts")"
fi
# A setting's value is its resolved value: a boolean reads back as true/false whatever spelling
# the environment used, so a task can compare it with "true".
is "manager env: cloudtasks_worker_setting(\"is-spot\") with INSTANCE_IS_SPOT=False reads \"false\"" false "$(setting is-spot)"
is "manager env: cloudtasks_worker_setting(\"retry-on-exception\") with RETRY_ON_EXCEPTION=True reads \"true\"" true "$(setting retry-on-exception)"

# ---- the boolean rule ------------------------------------------------------------------------------

jl b-1 '{"action": "error"}' > "$T/error.jsonl"
n=0
for pair in TRUE:true True:true true:true 1:true yes:false on:false :false False:false 0:false None:false; do
    v=${pair%%:*}; expect=${pair#*:}; n=$((n + 1))
    run_worker "bool-$n" 20 env RMS_CLOUD_TASKS_RETRY_ON_EXCEPTION="$v" "$P" --task-file "$T/error.jsonl" --event-log-file "$T/bool-$n/events.log"
    is "RMS_CLOUD_TASKS_RETRY_ON_EXCEPTION=\"$v\" is $expect" "0 $expect" "$RC $(jq -r .retry "$T/bool-$n/events.log" 2>/dev/null)"
done
jl x-1 '{"action": "exit", "code": 2}' > "$T/exit.jsonl"
run_worker cli-no 20 env RMS_CLOUD_TASKS_RETRY_ON_EXIT=true "$P" --task-file "$T/exit.jsonl" --event-log-file "$T/cli-no/events.log" --no-retry-on-exit
is "--no-retry-on-exit beats RMS_CLOUD_TASKS_RETRY_ON_EXIT=true" false "$(jq -r .retry "$T/cli-no/events.log" 2>/dev/null)"
run_worker cli-yes 20 env RMS_CLOUD_TASKS_RETRY_ON_EXIT=false "$P" --task-file "$T/exit.jsonl" --event-log-file "$T/cli-yes/events.log" --retry-on-exit
is "--retry-on-exit beats RMS_CLOUD_TASKS_RETRY_ON_EXIT=false" true "$(jq -r .retry "$T/cli-yes/events.log" 2>/dev/null)"
run_worker cli-last 20 "$P" --task-file "$T/exit.jsonl" --event-log-file "$T/cli-last/events.log" --retry-on-exit --no-retry-on-exit
is "--retry-on-exit --no-retry-on-exit: the last one wins" false "$(jq -r .retry "$T/cli-last/events.log" 2>/dev/null)"

# ---- --help ----------------------------------------------------------------------------------------

out=$("$P" --help 2> "$T/help.err"); rc=$?
is "--help: exit 0, nothing on stderr" "0 " "$rc $(cat "$T/help.err")"
missing=""
for flag in provider project-id task-file job-id queue-name exactly-once-queue event-log-file event-log-to-file \
    event-log-to-queue keepalive-interval instance-type num-cpus memory local-ssd boot-disk is-spot price \
    num-simultaneous-tasks max-runtime max-memory-allowed-per-task shutdown-grace-period tasks-to-skip max-num-tasks \
    retry-on-exit retry-on-exception retry-on-timeout simulate-spot-termination-after simulate-spot-termination-delay \
    use-new-process max-tasks-per-process exit-when-idle verbose; do
    grep -qE -- "--(\[no-\])?$flag( |$)" <<< "$out" || missing="$missing --$flag"
done
is "--help lists every flag of the reference worker (and this one's own)" "" "$missing"
missing=""
for var in PROVIDER PROJECT_ID TASK_FILE JOB_ID QUEUE_NAME EXACTLY_ONCE_QUEUE EVENT_LOG_FILE EVENT_LOG_TO_FILE EVENT_LOG_TO_QUEUE \
    KEEPALIVE_INTERVAL INSTANCE_TYPE INSTANCE_NUM_VCPUS INSTANCE_MEM_GB INSTANCE_SSD_GB INSTANCE_BOOT_DISK_GB INSTANCE_IS_SPOT \
    INSTANCE_PRICE NUM_TASKS_PER_INSTANCE MAX_RUNTIME MAX_MEMORY_ALLOWED_PER_TASK SHUTDOWN_GRACE_PERIOD TO_SKIP MAX_NUM_TASKS \
    RETRY_ON_EXIT RETRY_ON_EXCEPTION RETRY_ON_TIMEOUT SIMULATE_SPOT_TERMINATION_AFTER SIMULATE_SPOT_TERMINATION_DELAY; do
    grep -q "RMS_CLOUD_TASKS_$var\b" <<< "$out" || missing="$missing RMS_CLOUD_TASKS_$var"
done
grep -q "RMS_CLOUD_WORKER_USE_NEW_PROCESS" <<< "$out" || missing="$missing RMS_CLOUD_WORKER_USE_NEW_PROCESS"
is "--help names every environment variable" "" "$missing"
# The reference's defaults: max-runtime 3600, shutdown grace period 30, keep-alive 60.
defaults=$(awk '/--max-runtime /{f="max-runtime"} /--shutdown-grace-period /{f="shutdown-grace-period"} /--keepalive-interval /{f="keepalive-interval"}
    f && /default:/ { sub(/.*default: /, ""); sub(/;.*/, ""); printf "%s=%s ", f, $0; f="" }' <<< "$out")
is "--help: the defaults (grace 120 s, as the issue sets it)" "keepalive-interval=60 max-runtime=3600 shutdown-grace-period=120 " "$defaults"
out=$("$P" -h 2>&1); rc=$?
is "-h: exit 0" 0 "$rc"
out=$("$P" --version 2>&1); rc=$?
is "--version: exit 0 and the version" "0 yes" "$rc $(grep -q '[0-9]\.[0-9]' <<< "$out" && echo yes)"

# ---- arguments after -- and settings ---------------------------------------------------------------

M=$T/args-markers; mkdir -p "$M"
jl a-1 "{\"action\": \"ok\", \"dir\": \"$M\"}" > "$T/args.jsonl"
run_worker args 20 "$P" --task-file "$T/args.jsonl" --event-log-file "$T/args/events.log" --instance-type n2-standard-4 \
    --max-runtime 77 --price 0.5 -- alpha "two words" --not-an-option "" -v
facts=$M/a-1.start
is "arguments after --: the worker ran them as task arguments, not options (exit 0)" 0 "$RC"
is "arguments after --: cloudtasks_worker_argc" 5 "$(jq -r .argc "$facts" 2>/dev/null)"
is "arguments after --: cloudtasks_worker_arg, in order, untouched" '["alpha","two words","--not-an-option","","-v"]' \
    "$(jq -c .args "$facts" 2>/dev/null)"
is "arguments after --: cloudtasks_worker_arg past the end is NULL" null "$(jq -r .arg_past_end "$facts" 2>/dev/null)"
is "settings: instance-type from the command line" n2-standard-4 "$(setting instance-type)"
is "settings: max-runtime from the command line" 77 "$(setting max-runtime)"
is "settings: price from the command line" 0.5 "$(setting price)"
is "settings: provider unset is NULL" null "$(setting provider)"
run_worker noargs 20 "$P" --task-file "$T/args.jsonl" --event-log-file "$T/noargs/events.log" --
is "a bare --: no task arguments" 0 "$(jq -r .argc "$facts" 2>/dev/null)"

finish

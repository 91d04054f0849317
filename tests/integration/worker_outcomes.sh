#!/usr/bin/env bash
# worker_outcomes.sh - every way a task can end, and the event the worker writes for it, with
# reusable task processes (the default) and with a new process per task (--use-new-process,
# RMS_CLOUD_WORKER_USE_NEW_PROCESS=true); retry flags from the command line and the environment;
# replacement of crashed / out-of-memory / timed-out task processes; --max-tasks-per-process;
# the process_init / process_exit hooks; the bundled examples/failures_tasks.json.
#     BUILD=build bash tests/integration/worker_outcomes.sh
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
need_workers worker_failures=examples/worker_failures.c probe_worker=tests/integration/probe_worker.c
F=$IBUILD/worker_failures
P=$IBUILD/probe_worker

# Under a sanitizer the address-space limit cannot work (the sanitizer maps terabytes of shadow),
# so the out-of-memory task is left out there.
MEM=(--max-memory-allowed-per-task 0.25)
[ "$SANITIZED" = 1 ] && MEM=()

{
    jl t-timeout '{"action": "sleep", "seconds": 30, "ignore_shutdown": true}'
    jl t-ok '{"action": "ok"}'
    jl t-retry '{"action": "retry"}'
    jl t-error '{"action": "error"}'
    [ "$SANITIZED" = 1 ] || jl t-nomem '{"action": "nomem", "gb": 1}'
    jl t-crash '{"action": "crash"}'
    jl t-exit '{"action": "exit", "code": 3}'
    jl t-after '{"action": "ok"}'
} > "$T/outcomes.jsonl"
ntasks=$(wc -l < "$T/outcomes.jsonl")

# expect_one NAME LOG JQ_CONDITION: exactly one event satisfies the condition.
expect_one() {
    local name=$1 log=$2 cond=$3 n
    n=$(jq -s "[.[] | select($cond)] | length" "$log" 2>&1)
    if [ "$n" = 1 ]; then ok "$name"; else notok "$name" "events matching ($cond): $n" "$(cat "$log")"; fi
}

# outcomes MODE RETRY_EXCEPTION RETRY_EXIT RETRY_TIMEOUT WORKER_ARGS...: runs the outcome tasks.
outcomes() {
    local mode=$1 re=$2 rx=$3 rt=$4 dir log
    shift 4
    dir=$(echo "$mode" | tr -c 'a-z0-9\n' '-')
    log=$T/$dir/events.log
    run_worker "$dir" 30 "$@" --task-file "$T/outcomes.jsonl" --event-log-file "$log" --max-runtime 1 \
        --num-simultaneous-tasks 2 "${MEM[@]}"
    if [ "$RC" = 0 ]; then ok "$mode: exits 0 (${ELAPSED}s)"; else notok "$mode: exits 0" "exit status $RC" "$(tail -n 20 "$T/$dir/stderr")"; fi
    check "$mode: every event line is a JSON object with timestamp, hostname, event_type first" events_valid "$log"
    is "$mode: one event per task" "$ntasks" "$(jq -s '[.[] | select(.task_id)] | length' "$log")"
    expect_one "$mode: DONE -> task_completed, retry false, JSON result" "$log" \
        '.event_type == "task_completed" and .task_id == "t-ok" and .retry == false and .result == {"status": "ok", "answer": 42}
         and (.elapsed_time | type) == "number"'
    expect_one "$mode: RETRY -> task_completed, retry true, string result" "$log" \
        '.event_type == "task_completed" and .task_id == "t-retry" and .retry == true and .result == "not now; try again later"'
    expect_one "$mode: FAILED -> task_exception, retry $re, the error text" "$log" \
        ".event_type == \"task_exception\" and .task_id == \"t-error\" and .retry == $re
         and .exception == \"ValueError: the input could not be processed\""
    if [ "$SANITIZED" = 1 ]; then
        skip "$mode: NO_MEMORY -> task_exception, retry false" "no address-space limit under a sanitizer"
    else
        expect_one "$mode: NO_MEMORY -> task_exception, retry false (even with --retry-on-exception)" "$log" \
            '.event_type == "task_exception" and .task_id == "t-nomem" and .retry == false and (.exception | test("MemoryError"))'
    fi
    expect_one "$mode: SIGSEGV -> task_exited, exit_code -11, retry $rx" "$log" \
        ".event_type == \"task_exited\" and .task_id == \"t-crash\" and .exit_code == -11 and .retry == $rx"
    expect_one "$mode: exit(3) -> task_exited, exit_code 3, retry $rx" "$log" \
        ".event_type == \"task_exited\" and .task_id == \"t-exit\" and .exit_code == 3 and .retry == $rx"
    expect_one "$mode: past --max-runtime 1 -> task_timed_out, retry $rt, 1 s < elapsed_time < 5 s" "$log" \
        ".event_type == \"task_timed_out\" and .task_id == \"t-timeout\" and .retry == $rt and .elapsed_time > 1 and .elapsed_time < 5"
    expect_one "$mode: a task after all of those still runs" "$log" \
        '.event_type == "task_completed" and .task_id == "t-after" and .retry == false'
    check "$mode: no sanitizer report" no_sanitizer_report "$T/$dir/stderr"
    check "$mode: the reference's premature-exit warning text" grep -qE \
        "Worker #[0-9]+ \(PID [0-9]+\) processing task \"t-exit\" exited prematurely in [0-9]+\.[0-9] seconds with exit code 3; $( [ "$rx" = true ] && echo retrying || echo 'not retrying')" \
        "$T/$dir/stderr"
}

outcomes "reusable" false false false "$F"
# The reference's closing line counts: not retried = ok, error, nomem, after; retried = retry.
if [ "$SANITIZED" = 1 ]; then want="Not retried: 3, Retried: 1, Timed out: 1, Exited: 2, Memory exceeded: 0, Total: 4"
else want="Not retried: 4, Retried: 1, Timed out: 1, Exited: 2, Memory exceeded: 1, Total: 5"; fi
is "reusable: the closing log line counts the outcomes like the reference" "$want" \
    "$(grep -o 'Task scheduler shutdown complete\. .*' "$T/reusable/stderr" | sed 's/^Task scheduler shutdown complete\. //')"
outcomes "reusable, retry flags" true true true "$F" --retry-on-exception --retry-on-exit --retry-on-timeout
outcomes "new process" false false false "$F" --use-new-process
outcomes "new process from env, retry flags from env" true true true \
    env RMS_CLOUD_WORKER_USE_NEW_PROCESS=true RMS_CLOUD_TASKS_RETRY_ON_EXCEPTION=true RMS_CLOUD_TASKS_RETRY_ON_EXIT=TRUE \
        RMS_CLOUD_TASKS_RETRY_ON_TIMEOUT=1 "$F"

# A result over the size limit (1 MiB) is cut, and its event is still one valid JSON line.
{ jl big-1 '{"action": "big", "bytes": 3000000}'; jl big-2 '{"action": "big", "bytes": 100000}'; jl big-3 '{"action": "ok"}'; } > "$T/big.jsonl"
run_worker big 30 "$P" --task-file "$T/big.jsonl" --event-log-file "$T/big/events.log"
is "a 3 MB result: exit 0, all 3 tasks completed" "0 3" "$RC $(jq -s '[.[] | select(.event_type == "task_completed")] | length' "$T/big/events.log" 2>/dev/null)"
check "a 3 MB result: events valid" events_valid "$T/big/events.log"
is "a 3 MB result: cut to at most ~1 MiB and says so" "true" \
    "$(jq -sr '.[] | select(.task_id == "big-1") | (.result | type == "string" and length < 1100000 and test("truncated"))' "$T/big/events.log" 2>/dev/null)"
is "a 100 kB result with UTF-8 and escapes arrives whole" "100000 true" \
    "$(jq -sr '.[] | select(.task_id == "big-2") | "\(.result | utf8bytelength) \(.result | contains("\u00e9\"\\"))"' "$T/big/events.log" 2>/dev/null)"

# ---- which process ran what ------------------------------------------------------------------------

# pids LOG: the "pid" of each task_completed result, in task_id order, space-separated.
pids() { jq -sr '[.[] | select(.event_type == "task_completed")] | sort_by(.task_id) | map(.result.pid | tostring) | join(" ")' "$1"; }
distinct() { tr ' ' '\n' | sort -u | grep -c .; }

for i in 1 2 3 4; do jl "m-$i" '{"action": "ok"}'; done > "$T/four.jsonl"
run_worker mode-default 20 "$P" --task-file "$T/four.jsonl" --event-log-file "$T/mode-default/events.log" --num-simultaneous-tasks 1
is "reusable: 4 tasks on 1 slot run in one process" 1 "$(pids "$T/mode-default/events.log" | distinct)"
run_worker mode-env 20 env RMS_CLOUD_WORKER_USE_NEW_PROCESS=true "$P" --task-file "$T/four.jsonl" \
    --event-log-file "$T/mode-env/events.log" --num-simultaneous-tasks 1
is "RMS_CLOUD_WORKER_USE_NEW_PROCESS=true: 4 tasks run in 4 processes" 4 "$(pids "$T/mode-env/events.log" | distinct)"
run_worker mode-false 20 env RMS_CLOUD_WORKER_USE_NEW_PROCESS=yes "$P" --task-file "$T/four.jsonl" \
    --event-log-file "$T/mode-false/events.log" --num-simultaneous-tasks 1
is "RMS_CLOUD_WORKER_USE_NEW_PROCESS=yes is false: one process" 1 "$(pids "$T/mode-false/events.log" | distinct)"

# A reusable process that crashes is replaced, and the tasks after it run.
{
    jl r-1 '{"action": "ok"}'; jl r-2 '{"action": "crash"}'; jl r-3 '{"action": "ok"}'; jl r-4 '{"action": "ok"}'
} > "$T/crash.jsonl"
mkdir -p "$T/hooks-crash"
run_worker crash 20 "$P" --task-file "$T/crash.jsonl" --event-log-file "$T/crash/events.log" --num-simultaneous-tasks 1 \
    -- --hookdir "$T/hooks-crash"
read -r p1 p3 p4 <<< "$(pids "$T/crash/events.log")"
if [ "$RC" = 0 ] && [ -n "${p4:-}" ] && [ "$p1" != "$p3" ] && [ "$p3" = "$p4" ]; then
    ok "reusable: a crashed task process is replaced; later tasks run in the new one"
else
    notok "reusable: a crashed task process is replaced; later tasks run in the new one" "exit $RC; pids: $p1 ${p3:-} ${p4:-}" "$(cat "$T/crash/events.log")"
fi
is "reusable: process_init ran once in each of the 2 task processes" 2 "$(find "$T/hooks-crash" -name 'init.*' | wc -l)"

# A task that returned NO_MEMORY: its process is replaced.
if [ "$SANITIZED" = 1 ]; then
    skip "reusable: the process of a NO_MEMORY task is replaced" "no address-space limit under a sanitizer"
else
    { jl n-1 '{"action": "ok"}'; jl n-2 '{"action": "nomem"}'; jl n-3 '{"action": "ok"}'; } > "$T/nomem.jsonl"
    run_worker nomem 20 "$P" --task-file "$T/nomem.jsonl" --event-log-file "$T/nomem/events.log" --num-simultaneous-tasks 1 \
        --max-memory-allowed-per-task 0.25 --retry-on-exception
    read -r p1 p3 <<< "$(pids "$T/nomem/events.log")"
    if [ "$RC" = 0 ] && [ -n "${p3:-}" ] && [ "$p1" != "$p3" ] \
        && [ "$(jq -s '[.[] | select(.event_type == "task_exception" and .task_id == "n-2" and .retry == false)] | length' "$T/nomem/events.log")" = 1 ]; then
        ok "reusable: the process of a NO_MEMORY task is replaced"
    else
        notok "reusable: the process of a NO_MEMORY task is replaced" "exit $RC; pids: $p1 ${p3:-}" "$(cat "$T/nomem/events.log")"
    fi
fi

# A timed-out reusable process is replaced too.
{ jl o-1 '{"action": "ok"}'; jl o-2 '{"action": "sleep", "seconds": 30, "ignore_shutdown": true}'; jl o-3 '{"action": "ok"}'; } > "$T/timeout.jsonl"
run_worker timeout 20 "$P" --task-file "$T/timeout.jsonl" --event-log-file "$T/timeout/events.log" --num-simultaneous-tasks 1 --max-runtime 1
read -r p1 p3 <<< "$(pids "$T/timeout/events.log")"
if [ "$RC" = 0 ] && [ -n "${p3:-}" ] && [ "$p1" != "$p3" ] && ! alive "$p1"; then
    ok "reusable: a timed-out task process is stopped and replaced (${ELAPSED}s)"
else
    notok "reusable: a timed-out task process is stopped and replaced" "exit $RC; pids: $p1 ${p3:-}" "$(cat "$T/timeout/events.log")"
fi

# --max-tasks-per-process 2: a new process every 2 tasks; process_exit runs as each retires.
for i in 1 2 3 4 5 6; do jl "c-$i" '{"action": "ok"}'; done > "$T/six.jsonl"
mkdir -p "$T/hooks-recycle"
run_worker recycle 20 "$P" --task-file "$T/six.jsonl" --event-log-file "$T/recycle/events.log" --num-simultaneous-tasks 1 \
    --max-tasks-per-process 2 -- --hookdir "$T/hooks-recycle"
read -r a b c d e f <<< "$(pids "$T/recycle/events.log")"
if [ "$RC" = 0 ] && [ -n "${f:-}" ] && [ "$a" = "$b" ] && [ "$c" = "$d" ] && [ "$e" = "$f" ] && [ "$a" != "$c" ] && [ "$c" != "$e" ] && [ "$a" != "$e" ]; then
    ok "--max-tasks-per-process 2: the pid changes every 2 tasks"
else
    notok "--max-tasks-per-process 2: the pid changes every 2 tasks" "exit $RC; pids: $a ${b:-} ${c:-} ${d:-} ${e:-} ${f:-}"
fi
# (A spare process may be forked ahead and retire without a task; it still runs both hooks.)
inits=$(find "$T/hooks-recycle" -name 'init.*' -printf '%f\n' | sed 's/^init\.//' | sort | tr '\n' ' ')
exits=$(find "$T/hooks-recycle" -name 'exit.*' -printf '%f\n' | sed 's/^exit\.//' | sort | tr '\n' ' ')
is "--max-tasks-per-process 2: process_exit ran in every process process_init ran in" "$inits" "$exits"
is "--max-tasks-per-process 2: the 3 processes that ran tasks ran 2 each (process_exit saw 2)" "2 2 2" \
    "$(cat "$T"/hooks-recycle/exit.* 2>/dev/null | grep -v '^0$' | tr '\n' ' ' | sed 's/ $//')"
for p in $a $c $e; do [ -e "$T/hooks-recycle/init.$p" ] || notok "--max-tasks-per-process 2: process_init ran in task process $p"; done

# process_init failing in every process: no task can run. The worker must end (not spin forever
# forking processes), and a task that never started must not be reported as finally failed
# (task_exited with retry false would acknowledge, i.e. lose, a queue message that never ran).
for i in 1 2 3; do jl "i-$i" '{"action": "ok"}'; done > "$T/three.jsonl"
run_worker failinit 20 "$P" --task-file "$T/three.jsonl" --event-log-file "$T/failinit/events.log" --num-simultaneous-tasks 2 \
    -- --fail-init
if [ "$RC" != timeout ] && [ "$(jq -s '[.[] | select(.event_type == "task_completed")] | length' "$T/failinit/events.log")" = 0 ]; then
    ok "process_init failing everywhere: the worker ends (exit $RC, ${ELAPSED}s) and no task ran"
else
    notok "process_init failing everywhere: the worker ends and no task ran" "exit $RC" "$(tail -n 5 "$T/failinit/stderr")"
fi
lost=$(jq -sr '[.[] | select(.event_type == "task_exited" and .retry == false) | .task_id] | join(" ")' "$T/failinit/events.log")
if [ -z "$lost" ]; then
    ok "process_init failing: no task that never started is reported task_exited with retry false"
else
    notok "process_init failing: no task that never started is reported task_exited with retry false" "reported as finally failed: $lost" \
        "$(cat "$T/failinit/events.log")"
fi

# ---- the bundled example ---------------------------------------------------------------------------

run_worker example 20 "$F" --task-file "$ROOT/examples/failures_tasks.json" --event-log-file "$T/example/events.log" "${MEM[@]}"
got=$(jq -sr 'map(.task_id + "=" + .event_type + (if .exit_code then ":" + (.exit_code | tostring) else "" end)) | sort | join(" ")' "$T/example/events.log")
want="failures-crash=task_exited:-11 failures-error=task_exception failures-exit=task_exited:3 failures-nomem=task_exception failures-ok=task_completed failures-retry=task_completed failures-sleep=task_completed"
[ "$SANITIZED" = 1 ] && want=${want/failures-nomem=task_exception/failures-nomem=task_completed}
if [ "$RC" = 0 ]; then
    is "examples/failures_tasks.json: one event of the expected kind per task" "$want" "$got"
else
    notok "examples/failures_tasks.json: the worker exits 0" "exit $RC" "$(tail -n 10 "$T/example/stderr")"
fi

finish

#!/usr/bin/env bash
# worker_signals.sh - how the worker stops: SIGTERM drains the running tasks, the shutdown grace
# period, a second signal, the simulated spot termination notice (and its kill delay),
# --tasks-to-skip / --max-num-tasks and --exit-when-idle.
#     BUILD=build bash tests/integration/worker_signals.sh
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
need_workers probe_worker=tests/integration/probe_worker.c
P=$IBUILD/probe_worker

# sleep_tasks FILE DIR N SECONDS EXTRA_JSON: N sleep tasks s-1..s-N writing markers into DIR.
sleep_tasks() {
    local file=$1 dir=$2 n=$3 seconds=$4 extra=$5 i
    mkdir -p "$dir"
    for i in $(seq 1 "$n"); do jl "s-$i" "{\"action\": \"sleep\", \"seconds\": $seconds, \"dir\": \"$dir\"$extra}"; done > "$file"
}
count() { find "$1" -name "*.$2" | wc -l; }
has_count() { [ "$(count "$1" "$2")" -ge "$3" ]; }   # has_count DIR SUFFIX N: at least N markers
# the task ids with a marker of this kind, sorted, space-separated
ids() { find "$1" -name "*.$2" -printf '%f\n' | sed "s/\.$2\$//" | sort | tr '\n' ' ' | sed 's/ $//'; }
event_ids() { jq -sr "[.[] | select(.event_type == \"$2\") | .task_id] | sort | join(\" \")" "$1"; }
event_count() { jq -s "[.[] | select(.event_type == \"$2\")] | length" "$1"; }

# ---- SIGTERM: running tasks finish, nothing new starts, exit 0 ---------------------------------------

for mode in reusable new-process; do
    extra=(); [ "$mode" = new-process ] && extra=(--use-new-process)
    name=drain-$mode; M=$T/$name-markers
    sleep_tasks "$T/$name.jsonl" "$M" 6 2 ', "on_notice": "continue"'
    start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2 "${extra[@]}"
    if wait_for "2 tasks started" 10 has_count "$M" start 2; then
        kill -TERM "$WPID"
        wait_worker "$WPID" 15
        is "$mode: SIGTERM while 2 tasks run: exit status 0 (${ELAPSED}s)" 0 "$RC"
        is "$mode: SIGTERM: no task started after the signal" "s-1 s-2" "$(ids "$M" start)"
        is "$mode: SIGTERM: the 2 running tasks finished (task_completed)" "s-1 s-2" "$(event_ids "$T/$name/events.log" task_completed)"
        is "$mode: SIGTERM: the running tasks saw cloudtasks_shutdown_requested()" "s-1 s-2" "$(ids "$M" notice)"
        saw=$(jq -sr '[.[] | select(.event_type == "task_completed") | .result.saw_shutdown] | map(tostring) | join(" ")' "$T/$name/events.log")
        is "$mode: SIGTERM: their results say so" "true true" "$saw"
        check "$mode: SIGTERM: events valid" events_valid "$T/$name/events.log"
        check "$mode: SIGTERM: the log says graceful shutdown" grep -q "Received signal SIGTERM, initiating graceful shutdown" "$T/$name/stderr"
    else
        notok "$mode: SIGTERM drain: the tasks never started" "$(tail -n 20 "$T/$name/stderr")"
    fi
done

# SIGINT works the same way.
name=drain-sigint; M=$T/$name-markers
sleep_tasks "$T/$name.jsonl" "$M" 4 2 ', "on_notice": "return"'
start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2
if wait_for "2 tasks started" 10 has_count "$M" start 2; then
    kill -INT "$WPID"
    wait_worker "$WPID" 15
    if [ "$RC" = 0 ] && [ "$(event_ids "$T/$name/events.log" task_completed)" = "s-1 s-2" ] && [ "$(ids "$M" start)" = "s-1 s-2" ]; then
        ok "SIGINT: the running tasks stop early (on_notice return), nothing new starts, exit 0 (${ELAPSED}s)"
    else
        notok "SIGINT: drain" "exit $RC, started: $(ids "$M" start)" "$(cat "$T/$name/events.log")"
    fi
else
    notok "SIGINT: the tasks never started"
fi

# ---- grace period: tasks that ignore shutdown are stopped -------------------------------------------

for mode in reusable new-process; do
    extra=(); [ "$mode" = new-process ] && extra=(--use-new-process)
    name=grace-$mode; M=$T/$name-markers
    sleep_tasks "$T/$name.jsonl" "$M" 4 30 ', "ignore_shutdown": true'
    start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2 \
        --shutdown-grace-period 1 "${extra[@]}"
    if wait_for "2 tasks started" 10 has_count "$M" start 2; then
        pids=$(jq -r .pid "$M"/*.start | tr '\n' ' ')
        kill -TERM "$WPID"
        wait_worker "$WPID" 15
        is "$mode: --shutdown-grace-period 1: exit 0" 0 "$RC"
        if awk -v e="$ELAPSED" 'BEGIN { exit !(e < 6) }'; then ok "$mode: --shutdown-grace-period 1: exits within 6 s (${ELAPSED}s)"
        else notok "$mode: --shutdown-grace-period 1: exits within 6 s" "took ${ELAPSED}s"; fi
        is "$mode: grace period over: the 2 tasks are reported task_exited with retry true" "s-1 s-2" \
            "$(jq -sr '[.[] | select(.event_type == "task_exited" and .retry == true) | .task_id] | sort | join(" ")' "$T/$name/events.log")"
        is "$mode: grace period: nothing else started" "s-1 s-2" "$(ids "$M" start)"
        stray=""; for p in $pids; do gone "$p" || stray="$stray $p"; done
        is "$mode: grace period: the task processes are gone" "" "$stray"
    else
        notok "$mode: grace period: the tasks never started"
    fi
done

# A task that ignores SIGTERM too is SIGKILLed shortly after: at the end of the grace period ...
name=grace-sigkill; M=$T/$name-markers
sleep_tasks "$T/$name.jsonl" "$M" 2 30 ', "ignore_shutdown": true, "ignore_sigterm": true'
start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2 \
    --shutdown-grace-period 0.5
if wait_for "2 tasks started" 10 has_count "$M" start 2; then
    pids=$(jq -r .pid "$M"/*.start | tr '\n' ' ')
    kill -TERM "$WPID"
    wait_worker "$WPID" 15
    if [ "$RC" = 0 ] && awk -v e="$ELAPSED" 'BEGIN { exit !(e < 6) }'; then ok "tasks ignoring SIGTERM: SIGKILLed after the grace period; exit 0 (${ELAPSED}s)"
    else notok "tasks ignoring SIGTERM: SIGKILLed after the grace period; exit 0" "exit $RC after ${ELAPSED}s"; fi
    is "tasks ignoring SIGTERM: task_exited with exit_code -9" "-9 -9" \
        "$(jq -sr '[.[] | select(.event_type == "task_exited") | .exit_code | tostring] | join(" ")' "$T/$name/events.log")"
    stray=""; for p in $pids; do gone "$p" || stray="$stray $p"; done
    is "tasks ignoring SIGTERM: the task processes are gone" "" "$stray"
else
    notok "grace + SIGKILL: the tasks never started"
fi

# ... and at --max-runtime.
name=timeout-sigkill; M=$T/$name-markers
sleep_tasks "$T/$name.jsonl" "$M" 1 30 ', "ignore_shutdown": true, "ignore_sigterm": true'
run_worker "$name" 20 "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --max-runtime 1
if [ "$RC" = 0 ] && awk -v e="$ELAPSED" 'BEGIN { exit !(e < 6) }'; then ok "a task ignoring SIGTERM past --max-runtime 1 is SIGKILLed; exit 0 (${ELAPSED}s)"
else notok "a task ignoring SIGTERM past --max-runtime 1 is SIGKILLed; exit 0" "exit $RC after ${ELAPSED}s"; fi
is "a task ignoring SIGTERM past --max-runtime: task_timed_out" 1 "$(event_count "$T/$name/events.log" task_timed_out)"
check "a task ignoring SIGTERM past --max-runtime: its process is gone" gone "$(jq -r .pid "$M/s-1.start")"

# ---- a second signal: stop now ---------------------------------------------------------------------

name=second; M=$T/$name-markers
sleep_tasks "$T/$name.jsonl" "$M" 4 30 ', "ignore_shutdown": true'
start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2 \
    --shutdown-grace-period 60
if wait_for "2 tasks started" 10 has_count "$M" start 2; then
    pids=$(jq -r .pid "$M"/*.start | tr '\n' ' ')
    kill -TERM "$WPID"
    wait_for "the worker to log the first signal" 5 grep -q "initiating graceful shutdown" "$T/$name/stderr"
    kill -INT "$WPID"
    wait_worker "$WPID" 10
    is "SIGTERM then SIGINT: exit status 130 (128 + SIGINT)" 130 "$RC"
    if awk -v e="$ELAPSED" 'BEGIN { exit !(e < 5) }'; then ok "SIGTERM then SIGINT: exits promptly, not after the 60 s grace period (${ELAPSED}s)"
    else notok "SIGTERM then SIGINT: exits promptly" "took ${ELAPSED}s"; fi
    check "SIGTERM then SIGINT: the event log is complete and valid" events_valid "$T/$name/events.log"
    is "SIGTERM then SIGINT: the killed tasks are reported" "s-1 s-2" "$(event_ids "$T/$name/events.log" task_exited)"
    stray=""; for p in $pids; do wait_for "task process $p to go" 5 gone "$p" >/dev/null || stray="$stray $p"; done
    is "SIGTERM then SIGINT: the task processes are gone" "" "$stray"
else
    notok "second signal: the tasks never started"
fi

# ---- spot termination (simulated) ------------------------------------------------------------------

for mode in reusable new-process; do
    extra=(); [ "$mode" = new-process ] && extra=(--use-new-process)
    name=spot-$mode; M=$T/$name-markers
    sleep_tasks "$T/$name.jsonl" "$M" 6 1 ', "on_notice": "continue"'
    run_worker "$name" 20 "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2 \
        --simulate-spot-termination-after 0.5 "${extra[@]}"
    log=$T/$name/events.log
    is "$mode: spot notice after 0.5 s: exit 0" 0 "$RC"
    is "$mode: spot notice: one spot_termination event" 1 "$(event_count "$log" spot_termination)"
    is "$mode: spot notice: the 2 running tasks completed" "s-1 s-2" "$(event_ids "$log" task_completed)"
    is "$mode: spot notice: no task started after the notice" "s-1 s-2" "$(ids "$M" start)"
    is "$mode: spot notice: the tasks saw cloudtasks_termination_notice()" "s-1 s-2" \
        "$(jq -sr '[.[] | select(.event_type == "task_completed" and .result.saw_termination == true) | .task_id] | sort | join(" ")' "$log")"
    order=$(jq -sr '[.[] | .event_type] | join(" ")' "$log")
    is "$mode: spot notice: the notice is logged before the tasks end" "spot_termination task_completed task_completed" "$order"
    check "$mode: spot notice: events valid" events_valid "$log"
done

name=spot-kill; M=$T/$name-markers
sleep_tasks "$T/$name.jsonl" "$M" 4 30 ', "on_notice": "continue"'
run_worker "$name" 20 "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2 \
    --simulate-spot-termination-after 0.5 --simulate-spot-termination-delay 0.5
log=$T/$name/events.log
is "spot notice + kill delay 0.5 s: exit 0" 0 "$RC"
if awk -v e="$ELAPSED" 'BEGIN { exit !(e < 5) }'; then ok "spot notice + kill delay: the worker stops promptly (${ELAPSED}s)"
else notok "spot notice + kill delay: the worker stops promptly" "took ${ELAPSED}s"; fi
is "spot notice + kill delay: the tasks saw the notice before they were killed" "s-1 s-2" "$(ids "$M" notice)"
is "spot notice + kill delay: the tasks did not finish" "" "$(ids "$M" end)"
is "spot notice + kill delay: no task started after the notice" "s-1 s-2" "$(ids "$M" start)"
is "spot notice + kill delay: one spot_termination event" 1 "$(event_count "$log" spot_termination)"
check "spot notice + kill delay: events valid" events_valid "$log"

# ---- --tasks-to-skip / --max-num-tasks / --exit-when-idle -------------------------------------------

M=$T/skip-markers; mkdir -p "$M"
for i in $(seq 1 10); do jl "k-$i" "{\"action\": \"ok\", \"dir\": \"$M\"}"; done > "$T/ten.jsonl"
run_worker skip 20 "$P" --task-file "$T/ten.jsonl" --event-log-file "$T/skip/events.log" --tasks-to-skip 2 --max-num-tasks 3
is "--tasks-to-skip 2 --max-num-tasks 3: exit 0" 0 "$RC"
is "--tasks-to-skip 2 --max-num-tasks 3: exactly tasks 3, 4, 5 ran" "k-3 k-4 k-5" "$(ids "$M" start)"
is "--tasks-to-skip 2 --max-num-tasks 3: their events" "k-3 k-4 k-5" "$(event_ids "$T/skip/events.log" task_completed)"

M=$T/skipenv-markers; mkdir -p "$M"
for i in $(seq 1 10); do jl "k-$i" "{\"action\": \"ok\", \"dir\": \"$M\"}"; done > "$T/ten2.jsonl"
run_worker skipenv 20 env RMS_CLOUD_TASKS_TO_SKIP=8 RMS_CLOUD_TASKS_MAX_NUM_TASKS=5 "$P" --task-file "$T/ten2.jsonl" \
    --event-log-file "$T/skipenv/events.log"
is "RMS_CLOUD_TASKS_TO_SKIP=8 RMS_CLOUD_TASKS_MAX_NUM_TASKS=5 on 10 tasks: tasks 9 and 10 ran, exit 0" "0: k-10 k-9" "$RC: $(ids "$M" start)"

run_worker maxzero 20 "$P" --task-file "$T/ten.jsonl" --event-log-file "$T/maxzero/events.log" --max-num-tasks 0
is "--max-num-tasks 0: no task runs, exit 0" "0 0" "$RC $(event_count "$T/maxzero/events.log" task_completed)"

{ jl w-1 '{"action": "ok"}'; jl w-2 '{"action": "ok"}'; } > "$T/idle.jsonl"
run_worker idle 20 "$P" --task-file "$T/idle.jsonl" --event-log-file "$T/idle/events.log" --exit-when-idle 30
if [ "$RC" = 0 ] && awk -v e="$ELAPSED" 'BEGIN { exit !(e < 10) }'; then
    ok "--exit-when-idle 30 with a task file that ends: exits 0 when the file is done, not 30 s later (${ELAPSED}s)"
else
    notok "--exit-when-idle 30 with a task file that ends: exits 0 at once" "exit $RC after ${ELAPSED}s"
fi
is "--exit-when-idle 30: both tasks ran" "w-1 w-2" "$(event_ids "$T/idle/events.log" task_completed)"

{ jl l-1 '{"action": "sleep", "seconds": 1.5, "ignore_shutdown": true}'; } > "$T/long.jsonl"
run_worker idle-long 20 "$P" --task-file "$T/long.jsonl" --event-log-file "$T/idle-long/events.log" --exit-when-idle 0.2
is "--exit-when-idle 0.2 with a 1.5 s task: the running task is not cut short" "0: l-1" "$RC: $(event_ids "$T/idle-long/events.log" task_completed)"

finish

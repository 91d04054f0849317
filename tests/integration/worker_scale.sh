#!/usr/bin/env bash
# worker_scale.sh - a million tasks from one JSON Lines file: every one runs (one event each) and
# the supervisor's memory stays bounded (the task file is streamed, never loaded). Under a
# sanitizer it runs 100,000 tasks and skips the memory bound (the sanitizer's own memory dominates).
#     BUILD=build bash tests/integration/worker_scale.sh
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
need_workers worker_addition=examples/worker_addition.c
A=$IBUILD/worker_addition

N=1000000
[ "$SANITIZED" = 1 ] && N=100000
LIMIT_KB=65536

awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"task_id\": \"t-%07d\", \"data\": {\"num1\": %d, \"num2\": 1}}\n", i, i }' > "$T/tasks.jsonl"
# The events go through a FIFO into a small checker, so a million events need no disk: it counts
# the lines, and checks every task_completed result against num1 + num2 = i + 1.
mkfifo "$T/events.fifo"
awk '
    { lines++ }
    /"event_type": "task_completed"/ {
        if (match($0, /"task_id": "t-[0-9]+"/)) i = substr($0, RSTART + 14, RLENGTH - 15) + 0
        if (match($0, /"result": "[0-9]+"/)) r = substr($0, RSTART + 11, RLENGTH - 12) + 0
        if (r == i + 1) good++
    }
    END { print lines + 0, good + 0 }' < "$T/events.fifo" > "$T/count" &
counter=$!
LIB_PIDS+=("$counter")

TIME=()
if [ -x /usr/bin/time ]; then TIME=(/usr/bin/time -f %M -o "$T/maxrss"); fi
# Poll VmRSS too (the supervisor's own, while it runs) in case /usr/bin/time is missing.
start_worker scale "${TIME[@]}" "$A" --task-file "$T/tasks.jsonl" --event-log-file "$T/events.fifo" --num-simultaneous-tasks 2
peak=0
sup=""
t0=${EPOCHREALTIME/[.,]/}
while alive "$WPID"; do
    if [ -z "$sup" ]; then
        if [ ${#TIME[@]} -gt 0 ]; then sup=$(ps --ppid "$WPID" -o pid= 2>/dev/null | tr -d ' ' | head -n 1); else sup=$WPID; fi
    fi
    if [ -n "$sup" ]; then
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$sup/status" 2>/dev/null)
        [ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss
    fi
    [ $(( ${EPOCHREALTIME/[.,]/} - t0 )) -gt 300000000 ] && break
    sleep 0.2
done
wait_worker "$WPID" 10
wait_for "the event counter to finish" 20 not_alive "$counter"
secs=$(awk -v a="$t0" -v b="${EPOCHREALTIME/[.,]/}" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
is "$N tasks: the worker exits 0 (${secs}s)" 0 "$RC"
read -r lines good < "$T/count"
is "$N tasks: $N events" "$N" "${lines:-0}"
is "$N tasks: $N task_completed events with result num1 + num2" "$N" "${good:-0}"
check "$N tasks: no sanitizer report" no_sanitizer_report "$T/scale/stderr"
if [ "$SANITIZED" = 1 ]; then
    skip "peak RSS of the supervisor < 64 MB" "under a sanitizer"
else
    if [ -s "$T/maxrss" ]; then
        maxrss=$(tail -n 1 "$T/maxrss")
        if [ "$maxrss" -lt "$LIMIT_KB" ]; then ok "peak RSS (/usr/bin/time, largest of the worker's processes) ${maxrss} kB < 64 MB"
        else notok "peak RSS (/usr/bin/time) < 64 MB" "${maxrss} kB"; fi
    else
        skip "peak RSS from /usr/bin/time < 64 MB" "/usr/bin/time (Debian package time) is not installed"
    fi
    if [ "$peak" -gt 0 ] && [ "$peak" -lt "$LIMIT_KB" ]; then ok "supervisor VmRSS polled while running stays < 64 MB (peak ${peak} kB)"
    elif [ "$peak" -gt 0 ]; then notok "supervisor VmRSS polled while running stays < 64 MB" "peak ${peak} kB"
    else skip "supervisor VmRSS polled while running" "the run ended before it could be read"; fi
fi
echo "# $N tasks in ${secs}s"

finish

#!/usr/bin/env bash
# The worker benchmark (part of make bench): no-op tasks from a task file, 2 at a time, events to
# a file, against baselines measured in the same run. Prints tasks/s, ratios and memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/bench}; CC=${CC:-cc}
N=${BENCH_TASKS:-100000}; NF=${BENCH_FORK_TASKS:-10000}; RUNS=${BENCH_RUNS:-3}
mkdir -p "$BUILD"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$CC -std=c11 -O2 -I. tests/bench/noop_worker.c -o "$BUILD/noop_worker" -lcurl -lbearssl -lpthread
$CC -std=c11 -O2 tests/bench/baselines.c -o "$BUILD/baselines"
python3 -c "
import sys
with open('$tmp/tasks.jsonl','w') as f:
    for i in range($N): f.write('{\"task_id\": \"t%d\", \"data\": {}}\n' % i)
with open('$tmp/fork.jsonl','w') as f:
    for i in range($NF): f.write('{\"task_id\": \"t%d\", \"data\": {}}\n' % i)
"
best() { sort -g | tail -n 1; }

# Times one run of the worker; prints seconds. Nothing else runs meanwhile (sampling would compete
# for the two cores), so memory is measured in a run of its own (peak_rss).
run_worker() { # run_worker TASKFILE EXTRA_FLAGS...
    local file=$1 t0 t1; shift
    t0=$(date +%s.%N)
    "$BUILD/noop_worker" --task-file "$file" --event-log-file "$tmp/events.log" --num-simultaneous-tasks 2 "$@" 2>/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

# Peak RSS of the supervisor and of the pool (its first child), sampled every 50 ms; prints "sup_kb pool_kb".
peak_rss() {
    local pid pool sup_kb=0 pool_kb=0 kb
    "$BUILD/noop_worker" --task-file "$1" --event-log-file "$tmp/rss-events.log" --num-simultaneous-tasks 2 2>/dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0); [ "${kb:-0}" -gt "$sup_kb" ] && sup_kb=$kb
        pool=$(pgrep -P "$pid" | head -n 1 || true)
        if [ -n "$pool" ]; then kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pool/status" 2>/dev/null || echo 0); [ "${kb:-0}" -gt "$pool_kb" ] && pool_kb=$kb; fi
        sleep 0.05
    done
    wait "$pid"
    echo "$sup_kb $pool_kb"
}

echo "== worker: no-op tasks, 2 at a time, events to a file (best of $RUNS runs each, worker and baselines alike)"
reuse=0; newp=0
for i in $(seq "$RUNS"); do
    rm -f "$tmp/events.log"
    secs=$(run_worker "$tmp/tasks.jsonl")
    [ "$(wc -l < "$tmp/events.log")" -eq "$N" ] || { echo "the worker wrote $(wc -l < "$tmp/events.log") events for $N tasks"; exit 1; }
    rate=$(echo "$N / $secs" | bc -l); [ "$(echo "$rate > $reuse" | bc)" = 1 ] && reuse=$rate
    rm -f "$tmp/events.log"
    secs2=$(run_worker "$tmp/fork.jsonl" --use-new-process)
    [ "$(wc -l < "$tmp/events.log")" -eq "$NF" ] || { echo "the worker wrote $(wc -l < "$tmp/events.log") events for $NF tasks"; exit 1; }
    rate=$(echo "$NF / $secs2" | bc -l); [ "$(echo "$rate > $newp" | bc)" = 1 ] && newp=$rate
done
read -r sup_kb pool_kb < <(peak_rss "$tmp/tasks.jsonl")
pipe=$(for i in $(seq "$RUNS"); do "$BUILD/baselines" pipe "$N"; done | best)
fork=$(for i in $(seq "$RUNS"); do "$BUILD/baselines" fork "$NF"; done | best)
t0=$(date +%s.%N); seq "$NF" | xargs -P2 -n1 /bin/true; t1=$(date +%s.%N)
xargs_rate=$(echo "$NF / ($t1 - $t0)" | bc -l)
printf '  %-44s %10.0f tasks/s\n' "worker, reusable task processes ($N tasks)" "$reuse"
printf '  %-44s %10.0f tasks/s\n' "baseline: pipe round trip to 2 processes" "$pipe"
printf '  %-44s %10.0f tasks/s\n' "worker, a new process per task ($NF tasks)" "$newp"
printf '  %-44s %10.0f tasks/s\n' "baseline: fork and reap, 2 at a time" "$fork"
printf '  %-44s %10.0f tasks/s\n' "baseline: xargs -P2 -n1 /bin/true" "$xargs_rate"
printf '  ratio reusable / pipe round trip     %6.1f%%   (goal >= 25%%, aim 50%%)\n' "$(echo "100 * $reuse / $pipe" | bc -l)"
printf '  ratio new process / fork loop        %6.1f%%   (goal >= 60%%)\n' "$(echo "100 * $newp / $fork" | bc -l)"
printf '  ratio new process / xargs            %6.1f%%\n' "$(echo "100 * $newp / $xargs_rate" | bc -l)"
printf '  peak RSS: supervisor %d kB, pool %d kB (sampled every 50 ms in a separate run)\n' "$sup_kb" "$pool_kb"
echo "  for scale: the Python reference does about 4 no-op tasks/s here with 2 processes (figure from the issue, not measured here)"

#!/usr/bin/env bash
# worker_minimal.sh - the design's minimal worker (tests/compile/minimal_worker.c), built with
# exactly the documented command, runs examples/addition_tasks.json correctly: one
# task_completed event per task whose result is num1 + num2. Also the bundled addition example,
# built with the suite's CC/OPT, on the same file in both process modes.
#     BUILD=build bash tests/integration/worker_minimal.sh
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
need_workers worker_addition=examples/worker_addition.c

mkdir -p "$T/minimal"
cp "$ROOT/tests/compile/minimal_worker.c" "$T/minimal/"
# exactly the command of design.md, plus -I to find the header
if (cd "$T/minimal" && cc -std=c11 -Wall -Wextra -I"$HEADER_DIR" minimal_worker.c -o minimal_worker -lcurl -lbearssl -lpthread) \
    > "$T/minimal/build.log" 2>&1; then
    if [ -s "$T/minimal/build.log" ]; then notok "minimal worker: builds with no output" "$(cat "$T/minimal/build.log")"
    else ok "minimal worker: cc -std=c11 -Wall -Wextra minimal_worker.c -o minimal_worker -lcurl -lbearssl -lpthread: no output"; fi
else
    notok "minimal worker: builds" "$(cat "$T/minimal/build.log")"
    finish
fi

# addition_results NAME: checks the run's event log against examples/addition_tasks.json.
addition_results() {
    python3 - "$ROOT/examples/addition_tasks.json" "$T/$1/events.log" <<'EOF'
import json, sys
tasks = {t["task_id"]: t["data"] for t in json.load(open(sys.argv[1]))}
events = [json.loads(line) for line in open(sys.argv[2])]
problems = []
done = [e for e in events if e["event_type"] == "task_completed"]
if len(events) != len(tasks) or len(done) != len(tasks):
    problems.append(f"{len(events)} events, {len(done)} task_completed, for {len(tasks)} tasks")
seen = set()
for e in done:
    d = tasks.get(e["task_id"])
    if d is None:
        problems.append(f"unknown task {e['task_id']}"); continue
    if e["task_id"] in seen:
        problems.append(f"{e['task_id']} twice")
    seen.add(e["task_id"])
    if e["retry"] is not False or not isinstance(e["result"], str) or float(e["result"]) != d["num1"] + d["num2"]:
        problems.append(f"{e['task_id']}: {d} gave {e}")
print("\n".join(problems[:10]))
sys.exit(1 if problems else 0)
EOF
}

run_worker minimal-run 60 "$T/minimal/minimal_worker" --task-file "$ROOT/examples/addition_tasks.json" --event-log-file "$T/minimal-run/events.log"
is "minimal worker: exit 0 on examples/addition_tasks.json (${ELAPSED}s)" 0 "$RC"
check "minimal worker: 1000 task_completed events, each result = num1 + num2" addition_results minimal-run
check "minimal worker: events valid" events_valid "$T/minimal-run/events.log"

for mode in reusable new-process; do
    extra=(); [ "$mode" = new-process ] && extra=(--use-new-process)
    run_worker "addition-$mode" 60 "$IBUILD/worker_addition" --task-file "$ROOT/examples/addition_tasks.json" \
        --event-log-file "$T/addition-$mode/events.log" "${extra[@]}"
    is "worker_addition ($mode): exit 0 (${ELAPSED}s)" 0 "$RC"
    check "worker_addition ($mode): 1000 correct task_completed events" addition_results "addition-$mode"
    check "worker_addition ($mode): no sanitizer report" no_sanitizer_report "$T/addition-$mode/stderr"
done

# The default event log is events.log in the current directory.
run_worker default-log 60 "$T/minimal/minimal_worker" --task-file "$ROOT/examples/addition_tasks.json"
is "without --event-log-file the events go to ./events.log" 1000 "$(wc -l < "$T/default-log/events.log" 2>/dev/null | tr -d ' ')"
# ... and are appended, like the reference (open in "a" mode).
run_worker default-log 60 "$T/minimal/minimal_worker" --task-file "$ROOT/examples/addition_tasks.json"
is "a second run appends to events.log" 2000 "$(wc -l < "$T/default-log/events.log" 2>/dev/null | tr -d ' ')"

finish

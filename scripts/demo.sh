#!/bin/sh
# make demo: runs the addition worker on its bundled task file and says where the events went.
set -eu
BUILD=${1:-build}
events="$BUILD/demo-events.log"
rm -f "$events"
echo "Running $BUILD/worker_addition on examples/addition_tasks.json (1,000 tasks)..."
"$BUILD/worker_addition" --task-file examples/addition_tasks.json --event-log-file "$events"
completed=$(grep -c '"event_type": "task_completed"' "$events" || true)
echo
echo "Events: $events ($completed task_completed records). The first one:"
head -n 1 "$events"

#!/usr/bin/env bash
# The Pub/Sub benchmark (part of make bench): no-op tasks through Google's Pub/Sub emulator, 2 at a
# time, in two configurations of the worker ($BUILD/noop_worker, tests/bench/noop_worker.c):
#   default   --num-simultaneous-tasks 2 (no prefetch, 1 poll in flight)
#   batched   --num-simultaneous-tasks 2 --receive-threads 2 --prefetch 28 (as the SQS section's worker)
# Both with --exit-when-idle 2: the worker then pulls with returnImmediately (an empty answer means
# empty, so the idle time is certain); without --exit-when-idle it uses long pulls instead.
# Prints tasks/s, CPU seconds, peak RSS and HTTP requests per task for each, and, when the SQS
# section ran in the same `make bench` run (tests/bench/run.sh sets BENCH_SQS_REPORT), the SQS
# worker's line from it. The goal (<= 0.25 requests per task in steady state) is printed, never
# enforced. Exits 1 when the worker cannot build or does not acknowledge every task, 0 otherwise,
# and 0 with a "skip:" line when the emulator or java is missing.
#
# Environment: BUILD (default build/bench), CC (default cc),
#   PUBSUB_EMULATOR_BIN      the emulator's start script (default: the apt package's path, as in
#                            tests/integration/gcp_lib.sh)
#   PUBSUB_BENCH_TASKS       messages per run (default 10000)
#   PUBSUB_BENCH_RUNS        runs per configuration, interleaved; the fastest is reported (default 3)
#   PUBSUB_BENCH_CONFIGS     which to run (default "default batched")
#   PUBSUB_BENCH_TIMEOUT     seconds one run may take to acknowledge every task (default 300)
#   PUBSUB_BENCH_WARMUP      messages of an unmeasured first run that warms up the emulator's JVM
#                            (default 10000; 0: none)
# Logs (kept for reading after a failure) go to $BUILD/pubsub/.
#
# The worker talks to the emulator through tests/bench/pubsub/proxy.py (PUBSUB_EMULATOR_HOST points
# at it: plain HTTP, no authentication), which forwards everything and counts on the server side.
# How each number is measured:
#   tasks/s   N / (the moment the proxy saw the N-th distinct message acknowledged - the moment the
#             worker was started), both wall-clock. Start-up counts; the idle wait does not.
#   CPU s     user + system of the worker and all its waited-for descendants (/usr/bin/time).
#             Includes the worker's idle seconds before it exits (they cost next to nothing).
#   RSS       "tree": the sum over the worker's processes of each one's peak (VmHWM), read from
#             /proc every 0.5 s; "max": /usr/bin/time's maximum RSS (the largest single process).
#   req/task  HTTP requests the worker made, counted by the proxy from the start of the run until
#             the N-th acknowledgement, divided by N. The idle pulls after it are shown apart.
#   server s  CPU of the emulator (a JVM) during the run; the proxy's CPU is shown apart.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build/bench}; CC=${CC:-cc}
N=${PUBSUB_BENCH_TASKS:-10000}
RUNS=${PUBSUB_BENCH_RUNS:-3}
CONFIGS=${PUBSUB_BENCH_CONFIGS:-default batched}
TIMEOUT=${PUBSUB_BENCH_TIMEOUT:-300}
WARMUP=${PUBSUB_BENCH_WARMUP:-10000}
IDLE_GRACE=30          # seconds the worker may take to exit by itself after the last acknowledgement
PROJECT=bench-proj
LOGS=$BUILD/pubsub
# The same default as tests/integration/gcp_lib.sh (apt google-cloud-cli-pubsub-emulator).
PUBSUB_EMULATOR_BIN=${PUBSUB_EMULATOR_BIN:-/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator}

echo "== pubsub: no-op tasks through the Pub/Sub emulator, 2 at a time, default and batched worker"
echo "  $N messages per run through a counting proxy$([ "$WARMUP" -gt 0 ] && echo ", after an unmeasured warm-up run"); fastest of $RUNS runs shown"
echo "  --exit-when-idle 2: the worker pulls with returnImmediately (without it, it long-polls)"

if [ ! -x "$PUBSUB_EMULATOR_BIN" ]; then
    echo "skip: the Pub/Sub emulator is not installed at $PUBSUB_EMULATOR_BIN (apt google-cloud-cli-pubsub-emulator; or set PUBSUB_EMULATOR_BIN)"
    exit 0
fi
if ! command -v java > /dev/null 2>&1; then
    echo "skip: java is not on PATH (the Pub/Sub emulator needs it)"
    exit 0
fi
mkdir -p "$BUILD" "$LOGS"
# shellcheck source=tests/bench/bench_lib.sh
source tests/bench/bench_lib.sh

# Nothing but 127.0.0.1, and nothing of the caller's Google setup: the worker finds the emulator
# through PUBSUB_EMULATOR_HOST only, without authentication and without the metadata server.
for v in $(compgen -e); do
    case $v in
        GOOGLE_*|GCLOUD_*|CLOUDSDK_*|GCE_METADATA_*|PUBSUB_*|CLOUDTASKS_*|RMS_CLOUD_TASKS_*|RMS_CLOUD_WORKER_*) unset "$v" ;;
        http_proxy|https_proxy|HTTP_PROXY|HTTPS_PROXY|ALL_PROXY|all_proxy) unset "$v" ;;
    esac
done
unset v
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

# ---- build -----------------------------------------------------------------------------------------

# Built here as tests/bench/worker.sh builds it, so this script also runs on its own.
if ! $CC -std=c11 -O2 -I. tests/bench/noop_worker.c -o "$BUILD/noop_worker" -lcurl -lbearssl -lpthread 2> "$LOGS/worker-build.log"; then
    echo "error: could not build tests/bench/noop_worker.c (see $LOGS/worker-build.log)"
    exit 1
fi

# ---- the emulator and the proxy --------------------------------------------------------------------

pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done; }
trap cleanup EXIT

mkdir -p "$LOGS/emulator"
: > "$LOGS/emulator.log"
emu_pid=""
for attempt in 1 2 3; do   # a port free a moment ago may be taken meanwhile
    port=$(free_port)
    ( cd "$LOGS/emulator" && exec "$PUBSUB_EMULATOR_BIN" --host=127.0.0.1 --port="$port" ) >> "$LOGS/emulator.log" 2>&1 < /dev/null &
    pid=$!
    for _ in $(seq 600); do
        [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/" 2>/dev/null)" = Ok ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null && [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/")" = Ok ]; then
        emu_pid=$pid; pids+=("$pid"); break
    fi
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    echo "  (the emulator did not start on port $port, attempt $attempt)" >> "$LOGS/emulator.log"
done
if [ -z "$emu_pid" ]; then echo "error: the Pub/Sub emulator did not start (see $LOGS/emulator.log)"; exit 1; fi
EMU=http://127.0.0.1:$port

rm -f "$LOGS/proxy.port"
python3 tests/bench/pubsub/proxy.py serve --port-file "$LOGS/proxy.port" --upstream "$EMU" > "$LOGS/proxy.log" 2>&1 < /dev/null &
proxy_pid=$!
pids+=("$proxy_pid")
if ! wait_port_file "$LOGS/proxy.port" "$proxy_pid"; then echo "error: the counting proxy did not start (see $LOGS/proxy.log)"; exit 1; fi
PROXY_PORT=$(cat "$LOGS/proxy.port")
PX=http://127.0.0.1:$PROXY_PORT

# backlog QUEUE: messages of QUEUE-subscription deliverable now, straight from the emulator (not
# counted): returnImmediately pulls until one comes back empty, each batch nacked again at once.
backlog() {
    python3 - "$EMU" "$PROJECT" "$1" <<'EOF'
import json, sys, urllib.request
emu, project, queue = sys.argv[1:4]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
base = "%s/v1/projects/%s/subscriptions/%s-subscription" % (emu, project, queue)
def call(verb, doc):
    req = urllib.request.Request(base + ":" + verb, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with opener.open(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")
ids = set()
while True:
    msgs = call("pull", {"maxMessages": 1000, "returnImmediately": True}).get("receivedMessages") or []
    new = [m for m in msgs if m["message"]["messageId"] not in ids]
    if msgs:
        call("modifyAckDeadline", {"ackIds": [m["ackId"] for m in msgs], "ackDeadlineSeconds": 0})
    if not new:
        break
    ids.update(m["message"]["messageId"] for m in new)
print(len(ids))
EOF
}

# ---- one run of one configuration ------------------------------------------------------------------

# Results of the fastest run per configuration: rate, cpu, cpu_us (per task), rss_tree, rss_max (kB),
# rpt (requests per task), ops (by endpoint), tail (requests after the last acknowledgement),
# srv (emulator CPU s), proxy (proxy CPU s), odd (anything unexpected), note.
declare -A R
declare -A failed_log
declare -A ODD      # config -> what was odd in any run (redeliveries, leftovers...), whichever run it was

run_one() { # run_one CONFIG RUN
    local c=$1 run=$2 q="bench-$1-$2" log="$LOGS/$1-$2.log" timef="$LOGS/$1-$2.time" events="$LOGS/$1-$2-events.log"
    local t0 pid e0 e1 p0 p1 stats done_ms status state note flags=() left
    : > "$log"
    rm -f "$events"   # the worker appends to its event log
    case $c in
    default) flags=() ;;
    batched) flags=(--receive-threads 2 --prefetch 28) ;;
    *) echo "  unknown configuration $c" >> "$log"; failed_log[$c]=$log; return 1 ;;
    esac
    if ! python3 tests/bench/pubsub/proxy.py load --upstream "$EMU" --project "$PROJECT" --queue "$q" --tasks "$N" >> "$log" 2>&1; then
        echo "error: publishing $N messages failed (see $log)"; failed_log[$c]=$log; return 1
    fi
    curl -sS -X POST "$PX/_reset?subscription=$q-subscription&target=$N" > /dev/null || { failed_log[$c]=$log; return 1; }
    hwm=()
    e0=$(cpu_ticks "$emu_pid"); p0=$(cpu_ticks "$proxy_pid")
    t0=$(date +%s%N)
    env RMS_CLOUD_TASKS_PROVIDER=GCP PUBSUB_EMULATOR_HOST="127.0.0.1:$PROXY_PORT" NO_GCE_CHECK=true \
        /usr/bin/time -f '%U %S %M' -o "$timef" "$BUILD/noop_worker" --project-id "$PROJECT" --queue-name "$q" \
        --num-simultaneous-tasks 2 --no-event-log-to-queue --event-log-to-file --event-log-file "$events" \
        --exit-when-idle 2 "${flags[@]}" >> "$log" 2>&1 &
    pid=$!
    # Until every task is acknowledged (finished).
    watch_run "$pid" "$PX/_wait" "$t0" "the last acknowledgement"
    done_ms=$DONE_MS state=$RUN_STATE note=$RUN_NOTE
    wait "$pid"; status=$?
    e1=$(cpu_ticks "$emu_pid"); p1=$(cpu_ticks "$proxy_pid")
    stats=$(curl -sS "$PX/_stats")
    echo "$stats" > "$LOGS/$c-$run.stats.json"
    left=$(backlog "$q" 2>> "$log")
    python3 tests/bench/pubsub/proxy.py delete --upstream "$EMU" --project "$PROJECT" --queue "$q" >> "$log" 2>&1

    if [ "$state" != finished ]; then
        case $state in
        exited)  echo "  $c (run $run): exited with status $status before every task was acknowledged;" \
                      "$(jq -r '"\(.acked) of \(.target) acknowledged, \(.pulled) pulled"' <<< "$stats"), ${left:-?} deliverable" >> "$log" ;;
        timeout) echo "  $c (run $run): not every task was acknowledged after ${TIMEOUT}s; stopped" >> "$log" ;;
        esac
        failed_log[$c]=$log; return 1
    fi
    if [ -z "$note" ] && [ "$status" -ne 0 ]; then note="exited with status $status after the last acknowledgement"; fi
    local completed odd
    completed=$(grep -c '"task_completed"' "$events" 2>/dev/null)
    [ "${completed:-0}" -ne "$N" ] && note="${note:+$note; }${completed:-0} task_completed events for $N tasks"
    odd=$(jq -r --argjson left "${left:-0}" '[
            (select(.redelivered > 0) | "\(.redelivered) redelivered"),
            (select(.staleAcks > 0) | "\(.staleAcks) stale ack ids"),
            (select(.unknownAcks > 0) | "\(.unknownAcks) unknown ack ids"),
            (select(.extended > 0) | "\(.extended) lease extensions"),
            (select(.nacked > 0) | "\(.nacked) released (nacked)"),
            (select(.abandonedMessages > 0) | "\(.abandonedMessages) messages in abandoned answers"),
            (select(.errors > 0) | "\(.errors) error answers"),
            (select($left > 0) | "\($left) still deliverable after the run")] | join(", ")' <<< "$stats")
    [ -n "$odd" ] && ODD[$c]="${ODD[$c]:+${ODD[$c]}; }run $run: $odd"

    if keep_if_fastest "$c" "$timef" "$t0" "$done_ms" "$stats"; then
        R[$c,ops]=$(jq -r '.atDone.requests | to_entries | sort_by(-.value) | map("\(.key) \(.value)") | join(", ")' <<< "$stats")
        R[$c,per]=$(jq -r --argjson n "$N" '.atDone.requests as $r | [":pull", ":acknowledge", ":modifyAckDeadline"]
                    | map("\(.) \((($r[.] // 0) / $n * 1000 | round / 1000))") | join(", ")' <<< "$stats")
        R[$c,batch]=$(jq -r '"\(.pulled / ([.atDone.requests[":pull"] // 1, 1] | max) * 10 | round / 10) messages per pull, \(.ackIds / ([.requests[":acknowledge"] // 1, 1] | max) * 10 | round / 10) per acknowledge"' <<< "$stats")
        R[$c,srv]=$(cpu_seconds "$e0" "$e1")
        R[$c,proxy]=$(cpu_seconds "$p0" "$p1")
        R[$c,note]=$note
    fi
    return 0
}

# A warm-up run of the worker (not measured, not reported): the emulator is a JVM, and its first few
# thousand requests run interpreted, which would make whichever configuration runs first look slow.
if [ "$WARMUP" -gt 0 ]; then
    wq=bench-warmup
    if python3 tests/bench/pubsub/proxy.py load --upstream "$EMU" --project "$PROJECT" --queue "$wq" --tasks "$WARMUP" > "$LOGS/warmup.log" 2>&1; then
        env RMS_CLOUD_TASKS_PROVIDER=GCP PUBSUB_EMULATOR_HOST="127.0.0.1:$PROXY_PORT" NO_GCE_CHECK=true timeout "$TIMEOUT" \
            "$BUILD/noop_worker" --project-id "$PROJECT" --queue-name "$wq" --num-simultaneous-tasks 2 --no-event-log-to-queue \
            --event-log-to-file --event-log-file "$LOGS/warmup-events.log" --exit-when-idle 1 --receive-threads 2 --prefetch 8 \
            >> "$LOGS/warmup.log" 2>&1
        python3 tests/bench/pubsub/proxy.py delete --upstream "$EMU" --project "$PROJECT" --queue "$wq" >> "$LOGS/warmup.log" 2>&1
    fi
    rm -f "$LOGS/warmup-events.log"
fi

failures=0
# shellcheck disable=SC2086  # the list of names
run_all $CONFIGS

# ---- report ----------------------------------------------------------------------------------------

declare -A LABEL=(
    [default]="Pub/Sub, defaults: 1 poll, prefetch 0"
    [batched]="Pub/Sub, 2 polls, prefetch 28"
)
TABLE_LABEL_W=40 TABLE_US_W=11
table_header "tasks/s" "CPU us/task"
# shellcheck disable=SC2086  # the list of names
table_rows $CONFIGS
# The SQS worker of this same make bench run, from the SQS section's report (its "worker:" line:
# msg/s, CPU s, CPU us/msg, RSS tree / max, req/task, server s).
aws_rpt=""
if [ -n "${BENCH_SQS_REPORT:-}" ] && [ -s "$BENCH_SQS_REPORT" ]; then
    aws=$(awk '/^  worker: / && NF >= 9 && $(NF-3) == "/" { print $(NF-7), $(NF-6), $(NF-5), $(NF-4), $(NF-2), $(NF-1), $NF; exit }' "$BENCH_SQS_REPORT")
    aws_n=$(awk '/messages per run/ { print $1; exit }' "$BENCH_SQS_REPORT")
    if [ -n "$aws" ]; then
        read -r a_rate a_cpu a_us a_tree a_max a_rpt a_srv <<< "$aws"
        table_line "SQS, 2 polls, prefetch 28 (*)" "$a_rate" "$a_cpu" "$a_us" "$a_tree" "$a_max" "$a_rpt" "$a_srv"
        aws_rpt=$a_rpt
        echo "  (*) from the sqs section above, same run: ${aws_n:-?} messages through local-aws-sqs (no proxy; it"
        echo "      answers receives on a 10 ms tick), so compare requests and CPU per task more than tasks/s"
    fi
fi
for c in $CONFIGS; do
    [ -n "${R[$c,rate]:-}" ] || continue
    extra=""
    [ "${R[$c,tail]}" != 0 ] && extra="; ${R[$c,tail]} more after the last acknowledgement (idle pulls)"
    [ -n "${R[$c,note]}" ] && extra="$extra; ${R[$c,note]}"
    echo "  requests, $c: ${R[$c,ops]}$extra"
    echo "    per task: ${R[$c,per]}; ${R[$c,batch]}; proxy CPU ${R[$c,proxy]} s"
done
for c in $CONFIGS; do
    [ -n "${ODD[$c]:-}" ] && echo "  note, $c: ${ODD[$c]}"
done
rpt() { [ -n "${R[$1,rpt]:-}" ] && printf '%.3f' "${R[$1,rpt]}" || echo n/a; }
printf '  requests per task, Pub/Sub batched       %7s   (goal <= 0.25, steady state)\n' "$(rpt batched)"
printf '  requests per task, Pub/Sub default       %7s\n' "$(rpt default)"
[ -n "$aws_rpt" ] && printf '  requests per task, SQS worker (above)    %7.3f   (goal <= 0.25)\n' "$aws_rpt"
if [ -n "${R[batched,rate]:-}" ] && [ -n "${R[default,rate]:-}" ]; then
    printf '  ratio batched / default, tasks/s         %6.1f%%\n' "$(awk -v a="${R[batched,rate]}" -v b="${R[default,rate]}" 'BEGIN { print 100 * a / b }')"
fi
if [ -n "${R[batched,rate]:-}" ] && [ -n "${a_rate:-}" ]; then
    printf '  ratio Pub/Sub batched / SQS, tasks/s      %6.1f%%\n' "$(awk -v a="${R[batched,rate]}" -v b="$a_rate" 'BEGIN { print 100 * a / b }')"
fi
echo "  tasks/s: N / (N-th distinct acknowledgement - worker started); req/task: requests through the counting"
echo "  proxy until then / N; CPU: user+sys of the worker tree (/usr/bin/time); server s: the emulator's CPU."
echo "  The proxy's hop costs tasks/s (its CPU is shown above), not requests."
[ "$failures" -eq 0 ]

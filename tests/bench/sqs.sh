#!/usr/bin/env bash
# The SQS benchmark (part of make bench): no-op tasks through the local-aws-sqs emulator, our worker
# against two baselines measured in the same run against the same server, 2 at a time, batches of 10:
#   raw       tests/bench/sqs/raw_loop.c: 2 threads of ReceiveMessage -> DeleteMessageBatch with
#             libcurl and cJSON, no SDK: the most this server gives a client (the ceiling)
#   consumer  tests/bench/sqs/consumer.js: sqs-consumer 14.2.8 + @aws-sdk/client-sqs 3.1175.0,
#             handleMessageBatch, two Consumer instances in one process
#   worker    $BUILD/noop_worker (tests/bench/noop_worker.c) with --num-simultaneous-tasks 2 --receive-threads 2 --prefetch 28
# Prints msg/s, CPU seconds, peak RSS and HTTP requests per task for each, then the issue's ratios
# next to their goals. Goals are printed, never enforced. Exits 1 when a contender cannot build or
# does not empty the queue (it still runs the others first), 0 otherwise, and 0 with a "skip:"
# line when node or npm is missing or the npm packages cannot be installed.
#
# Environment: BUILD (default build/bench), CC (default cc),
#   SQS_BENCH_TASKS        messages per run (default 20000; rounded up to a multiple of 10, see below)
#   SQS_BENCH_RUNS         runs per contender, interleaved; the fastest one is reported (default 3)
#   SQS_BENCH_CONTENDERS   which to run (default "raw consumer worker")
#   SQS_BENCH_TIMEOUT      seconds one contender may take to empty the queue (default 120)
# Logs (kept for reading after a failure) go to $BUILD/sqs/.
#
# How each number is measured:
#   msg/s     N / (time the server saw the queue empty with N deleted - time the contender was
#             started). Both are wall-clock (epoch) readings. Start-up counts; the worker's
#             idle wait before it exits (--exit-when-idle) does not.
#   CPU s     user + system of the contender and all its waited-for descendants, from /usr/bin/time
#             (the worker's supervisor reaps its pool and task processes, so they are included).
#             Includes the worker's idle seconds before it exits (they cost next to nothing).
#   RSS       "tree": the sum over the contender's processes of each one's peak (VmHWM), read from
#             /proc every 0.5 s while it runs: an upper bound of what the tree held at once.
#             "largest": /usr/bin/time's maximum resident set size, which is the peak of the single
#             largest process of the tree. For the one-process baselines the two agree.
#             The RSS ratio uses "tree".
#   req/task  HTTP requests for the run's own queue that the server received from the start of the
#             run until the queue was empty, divided by N; counted inside the server by X-Amz-Target
#             (tests/bench/sqs/server.js). Requests after that (the worker's idle polls before it
#             exits) are shown apart. Each run has a fresh queue, so a long poll left pending by the
#             previous contender does not count.
#
# Emulator behaviour that shapes the numbers (see the shared wire-formats notes, section 2.1):
#   - it answers a ReceiveMessage on a 10 ms tick, so a client gets at most ~10 messages per receive
#     in flight per 10 ms: msg/s depends on how many receives a contender keeps in flight;
#   - with WaitTimeSeconds > 0 and fewer messages than MaxNumberOfMessages available, it waits the
#     full wait time (real SQS answers at once). N is a multiple of 10 so that contenders receiving
#     10 at a time never meet this; one that asks for fewer at times can, at the end of the queue.
#     The server counts receives that returned messages only after >= 1 s ("slow receives"), and
#     receives the client hung up on while the emulator held messages for them ("abandoned"), so
#     a contender that meets it can be seen paying for it.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build/bench}; CC=${CC:-cc}
N=${SQS_BENCH_TASKS:-20000}; N=$(( (N + 9) / 10 * 10 ))
RUNS=${SQS_BENCH_RUNS:-3}
CONTENDERS=${SQS_BENCH_CONTENDERS:-raw consumer worker}
TIMEOUT=${SQS_BENCH_TIMEOUT:-120}
IDLE_GRACE=30          # seconds the worker may take to exit by itself after the queue is empty
NPM_DIR=$BUILD/npm
LOGS=$BUILD/sqs
PKG=tests/bench/sqs/package.json

echo "== sqs: no-op tasks through local-aws-sqs 2.0.2, worker vs sqs-consumer vs a raw loop"
echo "  $N messages per run, 2 at a time, batches of 10; the fastest of $RUNS runs of each is shown"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "skip: node and npm are needed for the SQS emulator and the sqs-consumer baseline (apt-get install nodejs npm)"
    exit 0
fi
mkdir -p "$BUILD" "$LOGS"
# shellcheck source=tests/bench/bench_lib.sh
source tests/bench/bench_lib.sh

# ---- npm packages: exactly the versions in package.json, installed once into $BUILD/npm ---------

npm_ready() { # true when every dependency in package.json is installed in $NPM_DIR at that version
    node -e '
        const fs = require("fs"), [pkg, dir] = process.argv.slice(1);
        for (const [name, want] of Object.entries(JSON.parse(fs.readFileSync(pkg)).dependencies)) {
            let got = null;
            try { got = JSON.parse(fs.readFileSync(dir + "/node_modules/" + name + "/package.json")).version; } catch (e) {}
            if (got !== want) process.exit(1);
        }' "$PKG" "$NPM_DIR"
}
if ! npm_ready; then
    mkdir -p "$NPM_DIR" && cp "$PKG" "$NPM_DIR/package.json"
    # --no-package-lock: a lock file would record registry addresses, and the versions are exact anyway
    if ! (cd "$NPM_DIR" && npm install --no-package-lock --no-audit --no-fund --loglevel=error) > "$LOGS/npm.log" 2>&1 \
       || ! npm_ready; then
        echo "skip: npm could not install $PKG into $NPM_DIR (see $LOGS/npm.log)"
        exit 0
    fi
fi
NODE_PATH=$(cd "$NPM_DIR" && pwd)/node_modules  # server.js, load.js and consumer.js live outside it
export NODE_PATH

# ---- builds ----------------------------------------------------------------------------------------

failures=0
if ! $CC -std=c11 -O2 tests/bench/sqs/raw_loop.c -o "$BUILD/sqs_raw_loop" -lcurl -lcjson -lpthread 2> "$LOGS/raw-build.log"; then
    echo "error: could not build tests/bench/sqs/raw_loop.c (see $LOGS/raw-build.log)"
    exit 1
fi
worker_built=1
case " $CONTENDERS " in *" worker "*)
    # Built here as tests/bench/worker.sh builds it, so this script also runs on its own.
    if ! $CC -std=c11 -O2 -I. tests/bench/noop_worker.c -o "$BUILD/noop_worker" -lcurl -lbearssl -lpthread 2> "$LOGS/worker-build.log"; then
        worker_built=0
    fi ;;
esac

# ---- the server ------------------------------------------------------------------------------------

rm -f "$LOGS/port"
node tests/bench/sqs/server.js "$LOGS/port" > "$LOGS/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null' EXIT
if ! wait_port_file "$LOGS/port" "$server_pid"; then echo "error: the SQS emulator did not start (see $LOGS/server.log)"; exit 1; fi
EP=http://127.0.0.1:$(cat "$LOGS/port")

sqs_call() { # sqs_call OPERATION JSON: one request on the JSON 1.0 protocol, answer on stdout
    curl -sS --max-time 10 -X POST "$EP/" -H 'Content-Type: application/x-amz-json-1.0' \
         -H "X-Amz-Target: AmazonSQS.$1" -d "$2"
}

# ---- one run of one contender ----------------------------------------------------------------------

# Results of the fastest run per contender: rate, cpu, cpu_us (per message), rss_tree, rss_max (kB),
# rpt (requests per task), ops (by operation), tail (requests after the queue was empty),
# srv (server CPU s), slow (slow receives), note.
declare -A R
declare -A failed_log

run_one() { # run_one CONTENDER RUN
    local c=$1 run=$2 q="bench-$1-$2" url log="$LOGS/$1-$2.log" timef="$LOGS/$1-$2.time"
    local t0 pid s0 s1 stats done_ms status state note
    : > "$log"
    rm -f "$LOGS/worker-$run-events.log"  # the worker appends to its event log
    if [ "$c" = worker ] && [ $worker_built -eq 0 ]; then failed_log[$c]="$LOGS/worker-build.log"; return 1; fi
    if ! url=$(node tests/bench/sqs/load.js "$EP" "$q" "$N" 2>> "$log"); then
        echo "error: loading $N messages failed (see $log)"; failed_log[$c]=$log; return 1
    fi
    curl -sS -X POST "$EP/_reset?queue=$q&target=$N" > /dev/null || { failed_log[$c]=$log; return 1; }
    hwm=()
    s0=$(cpu_ticks "$server_pid")
    t0=$(date +%s%N)
    case $c in
    raw)      /usr/bin/time -f '%U %S %M' -o "$timef" "$BUILD/sqs_raw_loop" "$EP" "$url" "$N" 20 "$TIMEOUT" >> "$log" 2>&1 & ;;
    consumer) SQS_ENDPOINT=$EP QUEUE_URL=$url N=$N /usr/bin/time -f '%U %S %M' -o "$timef" \
                  node tests/bench/sqs/consumer.js >> "$log" 2>&1 & ;;
    worker)   env RMS_CLOUD_TASKS_PROVIDER=AWS AWS_ENDPOINT_URL_SQS="$EP" AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y \
                  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
                  /usr/bin/time -f '%U %S %M' -o "$timef" "$BUILD/noop_worker" --queue-name "$q" \
                  --num-simultaneous-tasks 2 --no-event-log-to-queue --event-log-to-file \
                  --event-log-file "$LOGS/worker-$run-events.log" --exit-when-idle 2 --receive-threads 2 --prefetch 28 >> "$log" 2>&1 & ;;
    esac
    pid=$!
    # Wait for the server to see the queue empty (finished). The baselines exit as soon as they are
    # done; the worker exits after --exit-when-idle.
    watch_run "$pid" "$EP/_wait" "$t0" "the queue running dry"
    done_ms=$DONE_MS state=$RUN_STATE note=$RUN_NOTE
    wait "$pid"; status=$?
    s1=$(cpu_ticks "$server_pid")
    stats=$(curl -sS "$EP/_stats")
    echo "$stats" > "$LOGS/$c-$run.stats.json"
    sqs_call DeleteQueue "{\"QueueUrl\":\"$url\"}" > /dev/null  # frees the server's memory for the next run

    if [ "$state" != finished ]; then
        case $state in
        exited)  echo "  $c (run $run): exited with status $status before the queue was empty;" \
                      "$(jq -r '"\(.remaining) message(s) left, \(.inFlight) of them in flight; \(.abandonedReceives) receive(s) hung up on while pending"' <<< "$stats")" >> "$log" ;;
        timeout) echo "  $c (run $run): the queue was not empty after ${TIMEOUT}s; stopped" >> "$log" ;;
        esac
        failed_log[$c]=$log; return 1
    fi
    if [ -z "$note" ] && [ "$status" -ne 0 ]; then note="exited with status $status after the queue was empty"; fi
    if [ "$c" = worker ]; then # one task_completed event per task, unless a message came twice
        local events; events=$(grep -c '"task_completed"' "$LOGS/worker-$run-events.log" 2>/dev/null)
        [ "${events:-0}" -ne "$N" ] && note="${note:+$note; }${events:-0} task_completed events for $N tasks"
    fi

    if keep_if_fastest "$c" "$timef" "$t0" "$done_ms" "$stats"; then
        R[$c,ops]=$(jq -r '.atDone.requests | to_entries | map("\(.key) \(.value)") | join(", ")' <<< "$stats")
        R[$c,slow]=$(jq -r '.slowReceives' <<< "$stats")
        R[$c,redelivered]=$(jq -r '.received - .deleted' <<< "$stats")
        R[$c,abandoned]=$(jq -r '.abandonedMessages' <<< "$stats")
        R[$c,srv]=$(cpu_seconds "$s0" "$s1")
        R[$c,note]=$note
    fi
    return 0
}

# shellcheck disable=SC2086  # the list of names
run_all $CONTENDERS

# ---- report ----------------------------------------------------------------------------------------

declare -A LABEL=(
    [raw]="raw loop: C, libcurl, no SDK"
    [consumer]="sqs-consumer 14.2.8, 2 consumers"
    [worker]="worker: noop_worker, 2 polls, prefetch 28"
)
TABLE_LABEL_W=34 TABLE_US_W=10
table_header "msg/s" "CPU us/msg"
# shellcheck disable=SC2086  # the list of names
table_rows $CONTENDERS
for c in $CONTENDERS; do
    [ -n "${R[$c,rate]:-}" ] || continue
    extra=""
    [ "${R[$c,tail]}" != 0 ] && extra="; ${R[$c,tail]} more after the queue was empty"
    [ "${R[$c,slow]}" != 0 ] && extra="$extra; ${R[$c,slow]} slow receive(s) (the emulator's full-wait quirk)"
    [ "${R[$c,redelivered]}" -gt 0 ] && extra="$extra; ${R[$c,redelivered]} message(s) received more than once"
    [ "${R[$c,abandoned]}" != 0 ] && extra="$extra; ${R[$c,abandoned]} message(s) in receives the client abandoned"
    [ -n "${R[$c,note]}" ] && extra="$extra; ${R[$c,note]}"
    echo "  requests, $c: ${R[$c,ops]}$extra"
done

ratio() { # ratio NUM_KEY DEN_KEY SCALE: 100 * NUM / DEN, or n/a
    if [ -n "${R[$1]:-}" ] && [ -n "${R[$2]:-}" ]; then awk -v a="${R[$1]}" -v b="${R[$2]}" 'BEGIN { printf "%6.1f%%", 100 * a / b }'
    else printf '%7s' "n/a"; fi
}
printf '  ratio worker / raw loop, msg/s                %s   (goal >= 90%%)\n' "$(ratio worker,rate raw,rate)"
printf '  requests per task, worker                     %7s   (goal <= 0.25)\n' "$( [ -n "${R[worker,rpt]:-}" ] && printf '%.3f' "${R[worker,rpt]}" || echo n/a)"
printf '  ratio worker / sqs-consumer, CPU per message  %s   (goal <= 20%%)\n' "$(ratio worker,cpu_us consumer,cpu_us)"
printf '  ratio worker / sqs-consumer, peak RSS (tree)  %s   (goal <= 20%%)\n' "$(ratio worker,rss_tree consumer,rss_tree)"
printf '  ratio sqs-consumer / raw loop, msg/s          %s\n' "$(ratio consumer,rate raw,rate)"
echo "  msg/s: N / (queue empty - contender started); CPU: user+sys of the process tree (/usr/bin/time);"
echo "  RSS tree: sum of each process's peak, max: the largest single process; server s: the emulator's CPU"
[ "$failures" -eq 0 ]

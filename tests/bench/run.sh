#!/usr/bin/env bash
# Benchmarks: ratios against baselines measured in the same run, on the same machine (make bench).
# Speed goals are printed next to the ratios, never enforced; the script fails only when a
# benchmark cannot build or its correctness check fails (e.g. a parser rejects a corpus file).
#   tests/bench/run.sh [SECTION...]     sections whose name contains any of the words; default all
# Environment: BUILD (default build/bench), SHARED (default ../shared), CC (default cc),
#   BENCH_CFLAGS (default -O2; applies to every benchmark program and so to both sides of a ratio),
#   BENCH_ARGS (extra arguments for every benchmark program, e.g. "--min-seconds 2").
#
# Adding a benchmark: write tests/bench/bench_NAME.c, then append a function and a run_section
# line at the end of this file. A section prints its own lines, or "skip: why" when its data is
# absent, and returns non-zero only on a real failure.
# shellcheck disable=SC2317  # section functions are called through run_section
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build/bench}; SHARED=${SHARED:-../shared}; CC=${CC:-cc}
BENCH_CFLAGS=${BENCH_CFLAGS:--O2}
BENCH_ARGS=${BENCH_ARGS:-}
LIBS="-lcurl -lbearssl -lpthread -lm"
mkdir -p "$BUILD"

filters=("$@")
failed=0

# run_section NAME FUNCTION: prints "== NAME", runs FUNCTION, records a failure and carries on.
run_section() {
    local name=$1 fn=$2
    if [ ${#filters[@]} -gt 0 ]; then
        local f hit=0
        for f in "${filters[@]}"; do case $name in *"$f"*) hit=1 ;; esac; done
        [ $hit -eq 1 ] || return 0
    fi
    echo "== $name"
    if ! "$fn"; then
        echo "FAILED: $name"
        failed=$((failed + 1))
    fi
    echo
}

# build_bench NAME [EXTRA LIBS...]: compiles tests/bench/bench_NAME.c (the implementation is
# compiled into it via CLOUDTASKS_IMPLEMENTATION) into $BUILD/bench_NAME, once per run.
declare -A built=()
build_bench() {
    local name=$1; shift
    local out="$BUILD/bench_$name"
    [ -n "${built[$name]:-}" ] && return "${built[$name]}"
    # shellcheck disable=SC2086
    if $CC -std=c11 -Wall -Wextra $BENCH_CFLAGS -I. "tests/bench/bench_$name.c" -o "$out" "$@" $LIBS; then
        built[$name]=0
    else
        echo "error: could not build tests/bench/bench_$name.c with $CC $BENCH_CFLAGS"
        built[$name]=1
    fi
    return "${built[$name]}"
}

# ---- json: cloudtasks_json vs cJSON (libcjson-dev, the system build) ------------------------

JSON_BENCH_DIR="$SHARED/vectors/json-bench"
JSON_PARSE_FILES=(twitter.json citm_catalog.json canada.json)
JSON_WRITE_FILES=(twitter.json canada.json)

json_files() { # json_files NAME...: sets the array FILES to their paths, or prints "skip: why"
    local f                                  # and returns 1 when any of them is absent
    FILES=()
    if [ ! -d "$JSON_BENCH_DIR" ]; then
        echo "skip: $JSON_BENCH_DIR not found (the shared vectors sit beside the checkout; see its README)"
        return 1
    fi
    for f in "$@"; do
        if [ ! -r "$JSON_BENCH_DIR/$f" ]; then echo "skip: $JSON_BENCH_DIR/$f not found"; return 1; fi
        FILES+=("$JSON_BENCH_DIR/$f")
    done
}

bench_json_parse() {
    json_files "${JSON_PARSE_FILES[@]}" || return 0
    build_bench json -lcjson || return 1
    # shellcheck disable=SC2086
    "$BUILD/bench_json" $BENCH_ARGS parse "${FILES[@]}"
}

bench_json_write() {
    json_files "${JSON_WRITE_FILES[@]}" || return 0
    build_bench json -lcjson || return 1
    # shellcheck disable=SC2086
    "$BUILD/bench_json" $BENCH_ARGS write "${FILES[@]}"
}

run_section "json parse" bench_json_parse
run_section "json write" bench_json_write

bench_worker() { BUILD="$BUILD" CC="$CC" bash tests/bench/worker.sh | tail -n +2; }
run_section "worker: no-op tasks from a task file" bench_worker

# The SQS section needs node and npm (for the emulator and the Node baseline); without them it prints
# a skip line. Its own header line is dropped like the worker's, and its exit status kept.
# Its report is also kept in $BUILD/sqs-report.txt for the Pub/Sub section, which shows the SQS
# worker's line next to its own when the SQS section ran in this same run (BENCH_SQS_REPORT).
rm -f "$BUILD/sqs-report.txt"
bench_sqs() {
    BUILD="$BUILD" CC="$CC" bash tests/bench/sqs.sh | tee "$BUILD/sqs-report.txt" | tail -n +2
    local rc=${PIPESTATUS[0]}
    export BENCH_SQS_REPORT="$BUILD/sqs-report.txt"
    return "$rc"
}
run_section "sqs: no-op tasks through local-aws-sqs, worker vs sqs-consumer vs a raw loop" bench_sqs

# The Pub/Sub section needs Google's emulator (apt google-cloud-cli-pubsub-emulator) and java;
# without them it prints a skip line.
bench_pubsub() { BUILD="$BUILD" CC="$CC" bash tests/bench/pubsub.sh | tail -n +2; return "${PIPESTATUS[0]}"; }
run_section "pubsub: no-op tasks through the Pub/Sub emulator, worker defaults and batched" bench_pubsub

# ---- more sections go here ------------------------------------------------------------------

if [ $failed -ne 0 ]; then echo "bench: $failed section(s) failed"; exit 1; fi
exit 0

# shellcheck shell=bash disable=SC2034  # SANITIZED, RC, ELAPSED, ... are for the suites
# lib.sh - sourced by every tests/integration/worker_*.sh suite.
#
# Gives: TAP output (ok / notok / skip / check / is), wait_for with a deadline, a temporary
# directory $T removed on exit, worker processes started in the background and killed (by PID) if
# still alive on exit, and build_worker, which compiles a worker into $BUILD/integration with the
# environment's CC and OPT (so `make check-asan` and `make check-tsan` rebuild them instrumented).
#
# Environment: BUILD (default build), OPT (default -O2 -g), CC (default cc), HEADER_DIR (the
# directory whose cloudtasks.h the workers are built with; default the repository).
# Run on its own (tests/run.sh runs every tests/integration/*.sh), it is a suite with no tests.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then exit 0; fi
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OPT=${OPT:--O2 -g}
CC=${CC:-cc}
IBUILD=$BUILD/integration
HEADER_DIR=${HEADER_DIR:-$ROOT}
mkdir -p "$IBUILD" || exit 1
SANITIZED=0
case " $OPT " in *-fsanitize=*) SANITIZED=1 ;; esac
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

T=$(mktemp -d "${TMPDIR:-/tmp}/cloudtasks-it.XXXXXX") || exit 1
LIB_PIDS=()
lib_cleanup() {
    local p
    for p in "${LIB_PIDS[@]}"; do
        kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap lib_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- TAP -------------------------------------------------------------------------------------------

LIB_FAILED=0
ok()    { echo "ok - $1"; }
skip()  { echo "ok - $1 # SKIP $2"; }
notok() { # notok NAME [DIAGNOSTIC...]
    echo "not ok - $1"
    LIB_FAILED=$((LIB_FAILED + 1))
    shift
    local line
    for line in "$@"; do printf '%s\n' "$line" | sed -e "s|$T/||g" -e "s|$ROOT/||g" -e 's/^/#   /' | head -n 40; done
    return 0
}
diag() { printf '%s\n' "$@" | sed -e "s|$T/||g" -e "s|$ROOT/||g" -e 's/^/#   /' | head -n 40; }
# check NAME COMMAND...: ok if the command succeeds; otherwise not ok with the command's output.
check() {
    local name=$1 out rc
    shift
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" -eq 0 ]; then ok "$name"; else notok "$name" "$out"; fi
    return 0
}
# is NAME EXPECTED ACTUAL
is() {
    if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "expected: $2" "actual:   $3"; fi
}
# Call at the end of a suite: its exit status says whether anything failed.
finish() { [ "$LIB_FAILED" -eq 0 ]; exit $?; }

# ---- waiting ---------------------------------------------------------------------------------------

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: polls COMMAND every 0.05 s until it succeeds
# (return 0) or the deadline passes (prints a diagnostic, returns 1).
to_us() { # to_us SECONDS: microseconds, from a decimal number of seconds
    local s=$1 i f=""
    i=${s%%.*}
    [[ $s == *.* ]] && f=${s#*.}
    f=${f}000000
    echo $(( 10#${i:-0} * 1000000 + 10#${f:0:6} ))
}
wait_for() {
    local what=$1 timeout=$2 deadline
    shift 2
    deadline=$(( ${EPOCHREALTIME/[.,]/} + $(to_us "$timeout") ))
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "${EPOCHREALTIME/[.,]/}" -ge "$deadline" ] && { echo "# timed out after ${timeout}s waiting for: $what"; return 1; }
        sleep 0.05
    done
}

# ---- processes -------------------------------------------------------------------------------------

# alive PID: the process exists and is not a zombie.
alive() {
    local st
    st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}
not_alive() { ! alive "$1"; }
gone() { [ ! -e "/proc/$1" ]; }

# start_worker NAME BINARY ARGS...: runs the worker in the background from $T/NAME (created),
# stdout and stderr to $T/NAME/stdout and $T/NAME/stderr. Sets WPID; the PID is killed on exit.
start_worker() {
    local name=$1
    shift
    mkdir -p "$T/$name"
    ( cd "$T/$name" && exec "$@" ) > "$T/$name/stdout" 2> "$T/$name/stderr" < /dev/null &
    WPID=$!
    LIB_PIDS+=("$WPID")
}

# wait_worker PID TIMEOUT: waits for a background worker to exit. Sets RC to its exit status, or
# to "timeout" (after killing it) if it did not exit in time. Sets ELAPSED (seconds, 2 decimals).
wait_worker() {
    local pid=$1 timeout=$2 t0
    t0=${EPOCHREALTIME/[.,]/}
    if wait_for "worker PID $pid to exit" "$timeout" not_alive "$pid"; then
        wait "$pid"; RC=$?
    else
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; RC=timeout
    fi
    ELAPSED=$(awk -v a="$t0" -v b="${EPOCHREALTIME/[.,]/}" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
}

# run_worker NAME TIMEOUT BINARY ARGS...: runs the worker to completion (in $T/NAME); sets RC
# and ELAPSED like wait_worker.
run_worker() {
    local name=$1 timeout=$2
    shift 2
    start_worker "$name" "$@"
    wait_worker "$WPID" "$timeout"
}

# ---- building --------------------------------------------------------------------------------------

# build_worker NAME SOURCE: compiles SOURCE into $IBUILD/NAME with $CC $OPT, unless a binary built
# with the same command from sources no newer than it exists. Prints nothing on success; on
# failure prints the compiler's output as diagnostics and returns 1.
build_worker() {
    local name=$1 src=$2 out=$IBUILD/$1 cmd
    cmd="$CC -std=c11 -Wall -Wextra $OPT -I$HEADER_DIR $ROOT/$src -o $out -lcurl -lbearssl -lpthread"
    if [ -x "$out" ] && [ "$(cat "$out.cmd" 2>/dev/null)" = "$cmd" ] && [ "$out" -nt "$ROOT/$src" ] && [ "$out" -nt "$HEADER_DIR/cloudtasks.h" ]; then
        return 0
    fi
    # shellcheck disable=SC2086
    if ! $CC -std=c11 -Wall -Wextra $OPT -I"$HEADER_DIR" "$ROOT/$src" -o "$out.tmp.$$" -lcurl -lbearssl -lpthread > "$T/build-$name.log" 2>&1; then
        echo "# building $src failed:"
        sed -e 's/^/#   /' "$T/build-$name.log" | head -n 40
        rm -f "$out.tmp.$$"
        return 1
    fi
    mv -f "$out.tmp.$$" "$out" && printf '%s\n' "$cmd" > "$out.cmd"
}

# need_workers NAME=SOURCE...: builds each; on a failure reports "not ok - build" and exits.
need_workers() {
    local spec
    for spec in "$@"; do
        if ! build_worker "${spec%%=*}" "${spec#*=}"; then
            notok "build ${spec#*=}"
            exit 1
        fi
    done
}

# ---- task files and events -------------------------------------------------------------------------

# jl TASK_ID DATA_JSON: one task record (JSON Lines).
jl() { printf '{"task_id": "%s", "data": %s}\n' "$1" "$2"; }

# json_list < JSONL: the records as a JSON list.
json_list() { awk 'BEGIN { print "[" } NR > 1 { print prev "," } { prev = $0 } END { if (NR) print prev; print "]" }'; }

# events_valid FILE: every line is a JSON object whose first keys are timestamp, hostname and
# event_type, with a timestamp Python 3.10's datetime.fromisoformat reads (3 or 6 fractional
# digits, +HH:MM). Prints what is wrong and fails otherwise.
events_valid() {
    python3 - "$1" <<'EOF'
import json, re, sys
from datetime import datetime
stamp = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?[+-]\d\d:\d\d$')
bad = 0
with open(sys.argv[1], 'rb') as f:
    data = f.read()
if data and not data.endswith(b'\n'):
    print('the last line has no newline'); bad += 1
for n, raw in enumerate(data.split(b'\n')[:-1] if data.endswith(b'\n') else data.split(b'\n'), 1):
    try:
        ev = json.loads(raw.decode('utf-8'))
    except Exception as e:
        print(f'line {n}: not JSON ({e}): {raw[:200]!r}'); bad += 1; continue
    if not isinstance(ev, dict):
        print(f'line {n}: not an object'); bad += 1; continue
    keys = list(ev)[:3]
    if keys != ['timestamp', 'hostname', 'event_type']:
        print(f'line {n}: first keys are {keys}'); bad += 1; continue
    ts = ev['timestamp']
    try:
        ok = isinstance(ts, str) and stamp.match(ts) and datetime.fromisoformat(ts).utcoffset() is not None
    except ValueError:
        ok = False
    if not ok:
        print(f'line {n}: timestamp {ts!r} is not what Python 3.10 fromisoformat reads'); bad += 1
    if not isinstance(ev['hostname'], str) or not ev['hostname']:
        print(f'line {n}: bad hostname'); bad += 1
sys.exit(1 if bad else 0)
EOF
}

# ev FILE JQ_FILTER: runs jq -c on the event log (slurped as one array called $e... use .[] inside).
ev() { jq -sc "$2" "$1"; }
# ev_raw FILE JQ_FILTER: the same with raw output.
ev_raw() { jq -sr "$2" "$1"; }

# no_sanitizer_report FILE: the file holds no sanitizer report.
no_sanitizer_report() { ! grep -E 'Sanitizer|runtime error:|ThreadSanitizer|LeakSanitizer' "$1"; }

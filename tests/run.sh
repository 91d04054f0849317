#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, M failed". A suite is a command that
# prints TAP lines ("ok - name", "not ok - name", "ok - name # SKIP why"); a suite that exits
# non-zero without reporting a failure counts as one failed test, so a crash is never lost.
#   tests/run.sh [--only unit|compile|json|integration]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}; export BUILD SHARED
only=""; [ "${1:-}" = "--only" ] && only=$2

passed=0; failed=0; skipped=0
log=$(mktemp -d); trap 'rm -rf "$log"' EXIT

run_suite() { # run_suite KIND NAME COMMAND...
    local kind=$1 name=$2; shift 2
    [ -n "$only" ] && [ "$only" != "$kind" ] && return
    echo "== $name"
    local out="$log/out" rc
    "$@" > "$out" 2> "$log/err"; rc=$?
    grep -E '^(not ok|ok)( |$)|^#' "$out" | grep -v '^ok' || true
    local p f s
    p=$(grep -E '^ok( |$)' "$out" | grep -vc '# SKIP')
    s=$(grep -E '^ok( |$)' "$out" | grep -c '# SKIP')
    f=$(grep -cE '^not ok( |$)' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $name exited with status $rc"; tail -n 20 "$log/err" | sed 's/^/#   /'; f=1
    elif [ "$f" -ne 0 ]; then
        tail -n 20 "$log/err" | sed 's/^/#   /'
    fi
    [ "$s" -gt 0 ] && grep '# SKIP' "$out" | sed 's/^/    /'
    if [ "$s" -gt 0 ]; then echo "   $p passed, $f failed, $s skipped"; else echo "   $p passed, $f failed"; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

for bin in "$BUILD"/tests/*; do
    [ -x "$bin" ] || continue
    run_suite unit "unit: $(basename "$bin")" "$bin"
done
run_suite compile "compile: header integration" bash tests/compile/run.sh
run_suite json "json: JSONTestSuite" "$BUILD/tests/test_json" --suite "$SHARED/vectors/jsontestsuite/test_parsing"
run_suite fuzz "fuzz: regression inputs" bash tests/fuzz/replay.sh
for t in tests/integration/worker_*.sh; do
    [ -f "$t" ] || continue
    run_suite integration "integration: $(basename "$t" .sh)" bash "$t"
done

echo
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Runs every unit test binary in $BUILD/tests/ under valgrind (memory errors, and definite leaks),
# plus test_json on JSONTestSuite. Prints one TAP line per run, then "N passed, M failed"; exits 1
# on any failure. Called by `make check-valgrind`.
#   BUILD=build SHARED=../shared bash tests/valgrind.sh
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}; SHARED=${SHARED:-../shared}
VALGRIND=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet)

passed=0; failed=0
log=$(mktemp -d); trap 'rm -rf "$log"' EXIT

if ! command -v valgrind > /dev/null 2>&1; then
    echo "not ok - valgrind is not installed (apt-get install valgrind)"
    echo "0 passed, 1 failed"
    exit 1
fi

run() { # run NAME COMMAND...
    local name=$1 rc; shift
    "${VALGRIND[@]}" "$@" > "$log/out" 2> "$log/err"; rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "ok - $name"; passed=$((passed + 1))
        return
    fi
    if [ "$rc" -eq 99 ]; then echo "not ok - $name # valgrind found errors"
    elif [ "$rc" -gt 128 ]; then echo "not ok - $name # killed by signal $((rc - 128))"
    else echo "not ok - $name # exit status $rc"
    fi
    failed=$((failed + 1))
    # the failing tests and valgrind's report, as TAP comments
    grep -E '^not ok( |$)' "$log/out" | head -n 20 | sed 's/^/#   /'
    grep -v '^parsing ' "$log/err" | head -n 60 | sed 's/^/#   /'
}

found=0
for bin in "$BUILD"/tests/*; do
    [ -f "$bin" ] && [ -x "$bin" ] || continue
    found=1
    run "valgrind: $(basename "$bin")" "$bin"
done
if [ "$found" -eq 0 ]; then
    echo "not ok - no test binaries in $BUILD/tests (run make first)"; failed=$((failed + 1))
fi
if [ -x "$BUILD/tests/test_json" ]; then
    run "valgrind: test_json --suite" "$BUILD/tests/test_json" --suite "$SHARED/vectors/jsontestsuite/test_parsing"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

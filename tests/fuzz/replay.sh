#!/usr/bin/env bash
# Replays the fuzz regression inputs (tests/fuzz/regress/TARGET-*) through their fuzz targets,
# built without libFuzzer (-DFUZZ_REPLAY_MAIN) by the normal compiler under ASan+UBSan. Prints TAP:
#   ok - replay tests/fuzz/regress/json-foo.json        (or "not ok - ...")
#   ok - fuzz regressions # SKIP none yet                when there is no input
# Environment: BUILD (default build; binaries go to $BUILD/fuzz-replay), CC (default cc),
#   REPLAY_TIMEOUT (seconds per input, default 60).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}; CC=${CC:-cc}; REPLAY_TIMEOUT=${REPLAY_TIMEOUT:-60}
OUT=$BUILD/fuzz-replay
LIBS="-lcurl -lbearssl -lpthread -lm"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
mkdir -p "$OUT"

inputs=()
for f in tests/fuzz/regress/*; do
    [ -f "$f" ] || continue
    [ "$(basename "$f")" = README.md ] && continue
    inputs+=("$f")
done
if [ ${#inputs[@]} -eq 0 ]; then
    echo "ok - fuzz regressions # SKIP none yet"
    exit 0
fi

# Build the replay binary of every target (so a target that stops compiling is noticed too).
declare -A built=()
status=0
for src in tests/fuzz/fuzz_*.c; do
    [ -f "$src" ] || continue
    name=$(basename "$src" .c); name=${name#fuzz_}
    # shellcheck disable=SC2086
    if "$CC" -std=c11 -g -O1 $SAN -DFUZZ_REPLAY_MAIN -I. "$src" -o "$OUT/fuzz_$name" $LIBS 2> "$OUT/fuzz_$name.build.log"; then
        built[$name]=1
    else
        built[$name]=0
        echo "not ok - build $src for replay"
        sed 's/^/#   /' "$OUT/fuzz_$name.build.log" | head -n 20
        status=1
    fi
done

run_timeout=()
command -v timeout >/dev/null 2>&1 && run_timeout=(timeout "$REPLAY_TIMEOUT")

for f in "${inputs[@]}"; do
    base=$(basename "$f"); name=${base%%-*}
    if [ "$name" = "$base" ] || [ -z "${built[$name]+x}" ]; then
        echo "not ok - replay $f # no fuzz target tests/fuzz/fuzz_$name.c for this name (want TARGET-description)"
        status=1; continue
    fi
    if [ "${built[$name]}" != 1 ]; then
        echo "not ok - replay $f # fuzz_$name did not build"
        status=1; continue
    fi
    log=$OUT/last.log
    if "${run_timeout[@]}" "$OUT/fuzz_$name" "$f" > "$log" 2>&1; then
        echo "ok - replay $f"
    else
        rc=$?
        echo "not ok - replay $f (status $rc)"
        grep -E 'check failed|ERROR|runtime error|SUMMARY' "$log" | head -n 10 | sed 's/^/#   /'
        echo "#   reproduce: $OUT/fuzz_$name $f"
        status=1
    fi
done
exit $status

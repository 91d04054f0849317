#!/usr/bin/env bash
# Fuzzing (make fuzz): every tests/fuzz/fuzz_NAME.c is a libFuzzer target, run for FUZZ_SECONDS.
#   tests/fuzz/run.sh [NAME...]        only these targets (e.g. "json"); default all
# Environment: BUILD (default build/fuzz), SHARED (default ../shared), CLANG (default clang),
#   CC (default cc, for the replay binaries), FUZZ_SECONDS (default 60), FUZZ_MAX_LEN (default
#   16384), FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2").
#
# Per target NAME, all optional:
#   tests/fuzz/NAME.dict or tests/fuzz/fuzz_NAME.dict    libFuzzer dictionary
#   a "fuzz-seeds: DIR..." line in fuzz_NAME.c          seed folders relative to $SHARED, read in place
#   tests/fuzz/regress/NAME-*                            past crash inputs, also used as seeds
# The corpus grows in $BUILD/corpus/NAME (kept between runs, never in the repository); crash
# inputs land in $BUILD/artifacts/NAME/. Exits non-zero if any target crashed, leaked, timed out or
# ran out of memory, printing the input's path and the command that replays it without libFuzzer.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build/fuzz}; SHARED=${SHARED:-../shared}; CLANG=${CLANG:-clang}; CC=${CC:-cc}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}; FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-16384}; FUZZ_ARGS=${FUZZ_ARGS:-}
LIBS="-lcurl -lbearssl -lpthread -lm"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
mkdir -p "$BUILD"

targets=()
for src in tests/fuzz/fuzz_*.c; do
    [ -f "$src" ] || continue
    name=$(basename "$src" .c); name=${name#fuzz_}
    if [ $# -gt 0 ]; then
        keep=0; for want in "$@"; do [ "$want" = "$name" ] && keep=1; done
        [ $keep -eq 1 ] || continue
    fi
    targets+=("$name")
done
if [ ${#targets[@]} -eq 0 ]; then echo "fuzz: no targets (tests/fuzz/fuzz_*.c${1:+ matching $*})"; exit 1; fi

if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "fuzz: $CLANG not found; libFuzzer needs clang (make deps installs it)"; exit 1
fi

failed=0
for name in "${targets[@]}"; do
    src=tests/fuzz/fuzz_$name.c
    bin=$BUILD/fuzz_$name
    replay=$BUILD/replay/fuzz_$name
    corpus=$BUILD/corpus/$name
    artifacts=$BUILD/artifacts/$name
    echo "== fuzz $name ($FUZZ_SECONDS s)"
    mkdir -p "$BUILD/replay" "$corpus" "$artifacts"

    # shellcheck disable=SC2086
    if ! "$CLANG" -std=c11 -g -O1 -fsanitize=fuzzer $SAN -I. "$src" -o "$bin" $LIBS; then
        echo "FAILED: could not build $src with $CLANG -fsanitize=fuzzer"; failed=$((failed + 1)); continue
    fi
    # shellcheck disable=SC2086
    if ! "$CC" -std=c11 -g -O1 $SAN -DFUZZ_REPLAY_MAIN -I. "$src" -o "$replay" $LIBS; then
        echo "FAILED: could not build the replay binary of $src with $CC"; failed=$((failed + 1)); continue
    fi

    args=(-max_total_time="$FUZZ_SECONDS" -max_len="$FUZZ_MAX_LEN" -timeout=10 -rss_limit_mb=2048
          -artifact_prefix="$artifacts/" -print_final_stats=1)
    for dict in "tests/fuzz/$name.dict" "tests/fuzz/fuzz_$name.dict"; do
        [ -f "$dict" ] && args+=(-dict="$dict") && break
    done

    # seeds: folders named in the source (read in place), and past crash inputs
    seeds=()
    read -r -a rels <<< "$(sed -n 's/.*fuzz-seeds:\(.*\)/\1/p' "$src" | head -n 1 | sed 's|\*/.*||')"
    for rel in "${rels[@]}"; do
        if [ -d "$SHARED/$rel" ]; then seeds+=("$SHARED/$rel")
        else echo "# seed folder $SHARED/$rel absent; fuzzing without it"; fi
    done
    regress_seeds=$BUILD/regress-seeds/$name
    rm -rf "$regress_seeds"; mkdir -p "$regress_seeds"
    for f in tests/fuzz/regress/"$name"-*; do [ -f "$f" ] && cp "$f" "$regress_seeds/"; done
    seeds+=("$regress_seeds")

    before=$(ls -1 "$artifacts" | sort)
    log=$BUILD/fuzz_$name.log
    # shellcheck disable=SC2086
    "$bin" "${args[@]}" $FUZZ_ARGS "$corpus" "${seeds[@]}" > "$log" 2>&1
    rc=$?
    # progress lines are long; show the start, the last status line and the final stats
    grep -E '^INFO: seed corpus|^#[0-9]+[[:space:]]+INITED' "$log" | head -n 2
    grep -E '^#[0-9]+' "$log" | tail -n 1
    grep -E '^stat::' "$log"
    new=$(comm -13 <(echo "$before") <(ls -1 "$artifacts" | sort) | grep -v '^$' || true)
    if [ $rc -ne 0 ] || [ -n "$new" ]; then
        failed=$((failed + 1))
        echo "FAILED: fuzz_$name exited with status $rc; full log: $log"
        grep -E -A 40 '^==[0-9]+==ERROR|runtime error|check failed|^ALARM|out-of-memory|deadly signal' "$log" | head -n 60
        for f in $new; do
            path=$artifacts/$f
            echo "crash input: $path ($(wc -c < "$path") bytes)"
            [ "$(wc -c < "$path")" -le 256 ] && od -A d -t x1 -v "$path" | sed 's/^/    /'
            echo "replay:      $replay $path"
            echo "keep it:     cp $path tests/fuzz/regress/$name-SHORT-DESCRIPTION   (see tests/fuzz/regress/README.md)"
        done
    else
        echo "ok: fuzz_$name, no crash in $FUZZ_SECONDS s; corpus $corpus ($(ls -1 "$corpus" | wc -l) inputs)"
    fi
    echo
done

if [ $failed -ne 0 ]; then echo "fuzz: $failed target(s) failed"; exit 1; fi
exit 0

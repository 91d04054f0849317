#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2004,SC2154  # R, RUN_*, DONE_MS are the sourcing script's (R is its associative array)
# bench_lib.sh - what the benchmarks tests/bench/sqs.sh and tests/bench/pubsub.sh share: reading a
# process tree's memory and CPU from /proc (without forking: the two cores are busy), watching one
# run until the server side says it is done, keeping the fastest run's numbers, printing the table.
# Sourced after the script has set N, TIMEOUT, IDLE_GRACE and LOGS; it uses the script's arrays
# R (results: R[CONTENDER,rate], ...), LABEL and failed_log.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then exit 0; fi

CLK_TCK=$(getconf CLK_TCK)

# wait_port_file FILE PID: waits (10 s at most) for PID to write FILE; false if it did not.
wait_port_file() {
    for _ in $(seq 100); do [ -s "$1" ] && break; kill -0 "$2" 2>/dev/null || break; sleep 0.1; done
    [ -s "$1" ]
}

# free_port: a TCP port of 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cpu_ticks() { # cpu_ticks PID: user + system ticks so far (fields 14 and 15 of /proc/PID/stat)
    local f; read -r -a f < "/proc/$1/stat"; echo $(( f[13] + f[14] ))
}

# cpu_seconds TICKS0 TICKS1: the CPU seconds between two cpu_ticks readings.
cpu_seconds() {
    awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }'
}

# ---- a process tree, read without forking ----------------------------------------------------------

declare -A hwm      # pid -> highest VmHWM seen (kB)
tree=()
descendants() { # descendants PID: appends PID's descendants to the array tree
    local t kids c
    for t in /proc/"$1"/task/*/children; do
        [ -r "$t" ] || continue
        read -r -a kids < "$t" || true  # the file has no final newline
        for c in "${kids[@]}"; do tree+=("$c"); descendants "$c"; done
    done
}
sample_rss() { # sample_rss ROOT: notes the VmHWM of every descendant of ROOT
    local p k v _
    tree=(); descendants "$1"
    for p in "${tree[@]}"; do
        while read -r k v _; do
            if [ "$k" = VmHWM: ]; then [ "$v" -gt "${hwm[$p]:-0}" ] && hwm[$p]=$v; break; fi
        done 2>/dev/null < "/proc/$p/status"
    done
}
stop_tree() { # stop_tree ROOT: TERM, then KILL, every descendant of ROOT, by pid
    local p
    tree=(); descendants "$1"
    for p in "${tree[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    tree=(); descendants "$1"
    for p in "${tree[@]}"; do kill -KILL "$p" 2>/dev/null; done
}

# ---- one run -----------------------------------------------------------------------------------------

# watch_run PID WAIT_URL T0 WHAT: until WAIT_URL (?ms=500: it answers at once when the run is done,
# or after 500 ms, which is also how often the memory of PID's processes is read) reports doneMs,
# PID exits, or TIMEOUT seconds pass since T0 (date +%s%N). Sets DONE_MS and RUN_STATE (finished, exited
# or timeout). When finished, PID gets IDLE_GRACE seconds to exit by itself, else it is stopped and
# RUN_NOTE says so ("did not exit within Ns of WHAT; stopped"); on timeout it is stopped.
watch_run() {
    local pid=$1 url=$2 t0=$3 what=$4
    DONE_MS="" RUN_STATE=running RUN_NOTE=""
    while :; do
        sample_rss "$pid"
        DONE_MS=$(curl -sS --max-time 5 "$url?ms=500" | jq -r '.doneMs // empty')
        if [ -n "$DONE_MS" ]; then RUN_STATE=finished; break; fi
        if ! kill -0 "$pid" 2>/dev/null; then RUN_STATE=exited; break; fi
        if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$TIMEOUT" ]; then RUN_STATE=timeout; break; fi
    done
    if [ $RUN_STATE = finished ]; then
        for _ in $(seq $((IDLE_GRACE * 2))); do kill -0 "$pid" 2>/dev/null || break; sample_rss "$pid"; sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then RUN_NOTE="did not exit within ${IDLE_GRACE}s of $what; stopped"; stop_tree "$pid"; fi
    elif [ $RUN_STATE = timeout ]; then
        stop_tree "$pid"
    fi
}

# run_all NAME...: RUNS rounds of run_one NAME RUN for each NAME, interleaved; failures counts the
# runs that failed.
run_all() {
    local run c
    for run in $(seq "$RUNS"); do
        for c in "$@"; do
            run_one "$c" "$run" || failures=$((failures + 1))
        done
    done
}

# keep_if_fastest C TIMEF T0 DONE_MS STATS: the run's rate; if it is C's fastest so far, sets
# R[C,rate], R[C,cpu], R[C,cpu_us], R[C,rss_tree], R[C,rss_max], R[C,rpt] and R[C,tail] from
# /usr/bin/time's TIMEF ('%U %S %M'), the sampled hwm and the server's STATS (.atDone.total, .total),
# and returns 0 (the caller adds its own entries); returns 1 otherwise.
keep_if_fastest() {
    local c=$1 timef=$2 t0=$3 done_ms=$4 stats=$5 u sy mx tree_kb=0 p rate
    read -r u sy mx < <(tail -n 1 "$timef")
    for p in "${!hwm[@]}"; do tree_kb=$(( tree_kb + hwm[$p] )); done
    [ "$mx" -gt "$tree_kb" ] && tree_kb=$mx   # a process younger than the last sample
    rate=$(awk -v n="$N" -v d="$done_ms" -v t="$t0" 'BEGIN { printf "%.1f", n / ((d - t / 1e6) / 1000) }')
    if [ -n "${R[$c,rate]:-}" ] && ! awk -v a="$rate" -v b="${R[$c,rate]}" 'BEGIN { exit !(a > b) }'; then
        return 1
    fi
    R[$c,rate]=$rate
    R[$c,cpu]=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
    R[$c,cpu_us]=$(awk -v u="$u" -v s="$sy" -v n="$N" 'BEGIN { printf "%.1f", (u + s) * 1e6 / n }')
    R[$c,rss_tree]=$tree_kb
    R[$c,rss_max]=$mx
    R[$c,rpt]=$(jq -r --argjson n "$N" '.atDone.total / $n * 1000 | round / 1000' <<< "$stats")
    R[$c,tail]=$(jq -r '.total - .atDone.total' <<< "$stats")
    return 0
}

# ---- the table ---------------------------------------------------------------------------------------

# The widths of the label and CPU-per-task columns; each script sets its own.
TABLE_LABEL_W=34 TABLE_US_W=10

# table_header RATE_NAME US_NAME: the column titles.
table_header() {
    printf "  %-${TABLE_LABEL_W}s %7s %7s %${TABLE_US_W}s %16s %8s %8s\n" "" "$1" "CPU s" "$2" "RSS MB tree/max" "req/task" "server s"
}

# table_line LABEL RATE CPU CPU_US RSS_TREE_MB RSS_MAX_MB RPT SERVER: one row.
table_line() {
    printf "  %-${TABLE_LABEL_W}s %7.0f %7.2f %${TABLE_US_W}.1f %8.1f / %5.1f %8.3f %8.2f\n" "$@"
}

# table_rows C...: a row per contender from R (or "failed (see LOG)"), labelled by LABEL.
table_rows() {
    local c
    for c in "$@"; do
        if [ -z "${R[$c,rate]:-}" ]; then
            printf "  %-${TABLE_LABEL_W}s failed (see %s)\n" "${LABEL[$c]:-$c}" "${failed_log[$c]:-$LOGS}"
            continue
        fi
        table_line "${LABEL[$c]:-$c}" "${R[$c,rate]}" "${R[$c,cpu]}" "${R[$c,cpu_us]}" \
            "$(awk -v k="${R[$c,rss_tree]}" 'BEGIN { print k / 1024 }')" "$(awk -v k="${R[$c,rss_max]}" 'BEGIN { print k / 1024 }')" \
            "${R[$c,rpt]}" "${R[$c,srv]}"
    done
}

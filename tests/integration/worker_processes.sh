#!/usr/bin/env bash
# worker_processes.sh - the process model seen from outside: the supervisor has one child (the
# pool), the pool has only the task processes it should, nothing is left behind (no zombies, no
# survivors), task processes inherit only what they should (descriptors, signal dispositions,
# RLIMIT_AS), and the death of any one process is handled.
#     BUILD=build bash tests/integration/worker_processes.sh
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
need_workers probe_worker=tests/integration/probe_worker.c
P=$IBUILD/probe_worker

count() { find "$1" -name "*.$2" | wc -l; }
has_count() { [ "$(count "$1" "$2")" -ge "$3" ]; }
children() { ps --ppid "$1" -o pid= 2>/dev/null | tr -d ' ' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
zombies() { ps --ppid "$1" -o stat= 2>/dev/null | grep -c '^Z'; }
all_gone() { local p; for p in "$@"; do gone "$p" || return 1; done; }
sorted() { tr ' ' '\n' | grep . | sort -n | tr '\n' ' ' | sed 's/ $//'; }

# ---- what a task process inherits ------------------------------------------------------------------

echo "inherited on purpose" > "$T/inherited.txt"
exec 7< "$T/inherited.txt"
# Whatever this shell had open (from whoever started the tests) is inherited too, legitimately.
inherited=$(for f in "/proc/$$/fd"/*; do printf '%s %s\n' "${f##*/}" "$(readlink "$f")"; done | jq -Rsc 'split("\n") | map(select(. != "") | capture("^(?<n>[0-9]+) (?<t>.*)$") | [(.n | tonumber), .t])')
for mode in reusable new-process; do
    extra=(); [ "$mode" = new-process ] && extra=(--use-new-process)
    M=$T/fd-$mode-markers; mkdir -p "$M"
    MEM=(--max-memory-allowed-per-task 0.25); [ "$SANITIZED" = 1 ] && MEM=()
    for i in 1 2 3 4; do jl "f-$i" "{\"action\": \"ok\", \"dir\": \"$M\"}"; done > "$T/fd-$mode.jsonl"
    run_worker "fd-$mode" 20 "$P" --task-file "$T/fd-$mode.jsonl" --event-log-file "$T/fd-$mode/events.log" \
        --num-simultaneous-tasks 2 "${MEM[@]}" "${extra[@]}"
    is "$mode: the fd test ran (exit 0, 4 tasks)" "0 4" "$RC $(count "$M" end)"
    bad=$(jq -r --argjson shell "$inherited" '
        .task_id as $id | .fds as $fds
        | ([$fds[] | select(.[1] | startswith("socket:")) | select(. as $f | $shell | index([$f]) | not)] | length) as $sockets
        | ($fds[] | select(.[0] > 2 and (.[1] | startswith("socket:") | not)) | select(. as $f | $shell | index([$f]) | not)
           | "\($id): unexpected fd \(.[0]) -> \(.[1])"),
          (if $sockets != 1 then "\($id): \($sockets) sockets (want exactly its own): \($fds | map(tostring) | join(" "))" else empty end),
          (if ([$fds[] | .[0]] | index(7)) == null then "\($id): the inherited fd 7 is missing" else empty end),
          (if ([$fds[] | .[0]] | contains([0, 1, 2]) | not) then "\($id): stdin/stdout/stderr missing" else empty end)
        ' "$M"/*.start "$M"/*.end 2>&1)
    is "$mode: a task process has only 0, 1, 2, its own socket and the inherited fd 7 (no event log, task file or pool sockets)" "" "$bad"
    is "$mode: task processes ignore SIGINT (a terminal's Ctrl-C is the supervisor's)" ignored \
        "$(jq -r .sigint "$M"/*.start | sort -u | tr '\n' ' ' | sed 's/ $//')"
    is "$mode: task processes have the default SIGTERM action" default "$(jq -r .sigterm "$M"/*.start | sort -u | tr '\n' ' ' | sed 's/ $//')"
    if [ "$SANITIZED" = 1 ]; then
        skip "$mode: --max-memory-allowed-per-task 0.25 -> RLIMIT_AS 268435456" "no address-space limit under a sanitizer"
    else
        is "$mode: --max-memory-allowed-per-task 0.25 -> RLIMIT_AS 268435456 (int(GB * 1024**3))" 268435456 \
            "$(jq -r .rlimit_as "$M"/*.start | sort -u | tr '\n' ' ' | sed 's/ $//')"
    fi
done
exec 7<&-
run_worker nolimit 20 "$P" --task-file "$T/fd-reusable.jsonl" --event-log-file "$T/nolimit/events.log"
is "without --max-memory-allowed-per-task there is no RLIMIT_AS" null "$(jq -r .rlimit_as "$T/fd-reusable-markers/f-1.start")"

# ---- the process tree while running, and nothing left afterwards -----------------------------------

for mode in reusable new-process; do
    extra=(); [ "$mode" = new-process ] && extra=(--use-new-process)
    name=tree-$mode; M=$T/$name-markers; mkdir -p "$M"
    {
        for i in $(seq 1 30); do jl "q-$i" "{\"action\": \"ok\", \"dir\": \"$M\"}"; done
        jl s-1 "{\"action\": \"sleep\", \"seconds\": 2, \"ignore_shutdown\": true, \"dir\": \"$M\"}"
        jl s-2 "{\"action\": \"sleep\", \"seconds\": 2, \"ignore_shutdown\": true, \"dir\": \"$M\"}"
    } > "$T/$name.jsonl"
    start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2 "${extra[@]}"
    if wait_for "both sleep tasks started" 10 eval "[ -e '$M/s-1.start' ] && [ -e '$M/s-2.start' ]"; then
        pool=$(children "$WPID")
        is "$mode: the supervisor has exactly one child, the pool" "$(jq -r .ppid "$M/s-1.start")" "$pool"
        running=$(echo "$(jq -r .pid "$M/s-1.start") $(jq -r .pid "$M/s-2.start")" | sorted)
        # reusable: exactly the 2 task processes. New process per task: the 2 running ones, and
        # at most 2 spares forked ahead; never a zombie or a leftover of the 30 earlier tasks.
        max=2; [ "$mode" = new-process ] && max=4
        pool_ok() {
            local have p
            have=$(children "$pool")
            for p in $running; do [[ " $have " == *" $p "* ]] || return 1; done
            [ "$(wc -w <<< "$have")" -le "$max" ] && [ "$(zombies "$pool")" = 0 ]
        }
        if wait_for "the pool's children to be the 2 running tasks (+ spares)" 3 pool_ok; then
            ok "$mode: the pool's children are the 2 running task processes (+ at most $((max - 2)) spares), no zombies"
        else
            notok "$mode: the pool's children are the 2 running task processes (+ at most $((max - 2)) spares)" "running: $running" \
                "$(ps --ppid "$pool" -o pid,stat,cmd 2>&1)"
        fi
        is "$mode: no zombie children of the pool" 0 "$(zombies "$pool")"
        is "$mode: after 30 tasks the supervisor's stdin is still its stdin (it never closes a descriptor it does not own)" \
            /dev/null "$(readlink "/proc/$WPID/fd/0")"
        spares=$(children "$pool")
        wait_worker "$WPID" 15
        is "$mode: exit 0" 0 "$RC"
        pids="$WPID $pool $spares $(jq -r .pid "$M"/*.start | sort -u | tr '\n' ' ')"
        if wait_for "every process of the worker to be gone" 5 all_gone $pids; then
            ok "$mode: after exit, the supervisor, the pool and all $(jq -r .pid "$M"/*.start | sort -u | wc -l) task processes are gone"
        else
            left=""; for p in $pids; do gone "$p" || left="$left $(ps -o pid=,stat=,cmd= -p "$p")"; done
            notok "$mode: after exit, every process of the worker is gone" "left: $left"
        fi
    else
        notok "$mode: process tree: the sleep tasks never started" "$(tail -n 10 "$T/$name/stderr")"
    fi
done

# ---- many short tasks: every result arrives --------------------------------------------------------

# A task process that sends its result and exits at once races the pool's news of its exit; the
# result must win every time (a task that returned DONE is never "exited prematurely"), and a
# process that retires as planned is no "exited while idle" surprise. Repeated: it is a race.
awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "{\"task_id\": \"t-%d\", \"data\": {}}\n", i }' > "$T/quick.jsonl"
for mode in reusable new-process; do
    extra=(); [ "$mode" = new-process ] && extra=(--use-new-process)
    for n in 2 8; do
        lost=""; warned=""
        for round in 1 2 3; do
            name=quick-$mode-$n-$round
            run_worker "$name" 60 "$P" --task-file "$T/quick.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks "$n" "${extra[@]}"
            c=$(jq -s '[.[] | select(.event_type == "task_completed")] | length' "$T/$name/events.log")
            [ "$RC" = 0 ] && [ "$c" = 2000 ] || lost="$lost round $round: exit $RC, $c of 2000 completed ($(jq -sr '[.[] | select(.event_type != "task_completed") | "\(.task_id) \(.event_type) exit_code \(.exit_code)"] | .[:3] | join("; ")' "$T/$name/events.log"));"
            w=$(grep -c 'while idle' "$T/$name/stderr")
            [ "$w" = 0 ] || warned="$warned round $round: $w, e.g. $(grep -m1 'while idle' "$T/$name/stderr" | sed 's/^.* - //');"
        done
        is "$mode, $n at once, 3 x 2000 no-op tasks: every task_completed (none lost to the exit race)" "" "$lost"
        is "$mode, $n at once: no \"exited while idle\" warnings for processes that retired as planned" "" "$warned"
    done
done

# ---- deaths ----------------------------------------------------------------------------------------

# The supervisor is killed: the pool and the tasks die with it.
name=kill-supervisor; M=$T/$name-markers; mkdir -p "$M"
for i in 1 2; do jl "k-$i" "{\"action\": \"sleep\", \"seconds\": 30, \"ignore_shutdown\": true, \"dir\": \"$M\"}"; done > "$T/$name.jsonl"
start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2
if wait_for "2 tasks started" 10 has_count "$M" start 2; then
    pool=$(children "$WPID")
    pids="$pool $(jq -r .pid "$M"/*.start | tr '\n' ' ')"
    kill -KILL "$WPID"
    wait_worker "$WPID" 5
    if wait_for "the pool and the tasks to die" 5 all_gone $pids; then ok "SIGKILL to the supervisor: the pool and the task processes die too"
    else notok "SIGKILL to the supervisor: the pool and the task processes die too" "left: $(ps -o pid=,cmd= -p "${pids// /,}" 2>&1)"; fi
else
    notok "kill supervisor: the tasks never started"
fi

# The pool is killed: the supervisor says so (fatal_exception), exits non-zero, and the tasks die.
name=kill-pool; M=$T/$name-markers; mkdir -p "$M"
for i in 1 2; do jl "k-$i" "{\"action\": \"sleep\", \"seconds\": 30, \"ignore_shutdown\": true, \"dir\": \"$M\"}"; done > "$T/$name.jsonl"
start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 2
if wait_for "2 tasks started" 10 has_count "$M" start 2; then
    pool=$(children "$WPID")
    tasks=$(jq -r .pid "$M"/*.start | tr '\n' ' ')
    kill -KILL "$pool"
    wait_worker "$WPID" 10
    if [ "$RC" != 0 ] && [ "$RC" != timeout ]; then ok "SIGKILL to the pool: the supervisor exits non-zero ($RC)"
    else notok "SIGKILL to the pool: the supervisor exits non-zero" "exit $RC" "$(tail -n 5 "$T/$name/stderr")"; fi
    is "SIGKILL to the pool: a fatal_exception event" 1 "$(jq -s '[.[] | select(.event_type == "fatal_exception")] | length' "$T/$name/events.log")"
    check "SIGKILL to the pool: events valid" events_valid "$T/$name/events.log"
    # shellcheck disable=SC2086
    if wait_for "the tasks to die" 5 all_gone $tasks; then ok "SIGKILL to the pool: its task processes die too"
    else notok "SIGKILL to the pool: its task processes die too" "left: $tasks"; fi
else
    notok "kill pool: the tasks never started"
fi

# A task process is killed from outside: task_exited with -9, the worker carries on.
name=kill-task; M=$T/$name-markers; mkdir -p "$M"
{
    jl k-1 "{\"action\": \"sleep\", \"seconds\": 30, \"ignore_shutdown\": true, \"dir\": \"$M\"}"
    jl k-2 "{\"action\": \"ok\", \"dir\": \"$M\"}"
} > "$T/$name.jsonl"
start_worker "$name" "$P" --task-file "$T/$name.jsonl" --event-log-file "$T/$name/events.log" --num-simultaneous-tasks 1
if wait_for "the task started" 10 has_count "$M" start 1; then
    kill -KILL "$(jq -r .pid "$M/k-1.start")"
    wait_worker "$WPID" 10
    is "SIGKILL to a task process: task_exited with exit_code -9, and the next task runs; exit 0" "0 -9 k-2" \
        "$RC $(jq -sr '[.[] | select(.task_id == "k-1") | .exit_code] | join(" ")' "$T/$name/events.log") $(jq -sr '[.[] | select(.event_type == "task_completed") | .task_id] | join(" ")' "$T/$name/events.log")"
else
    notok "kill task: the task never started"
fi

finish

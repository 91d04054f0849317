#!/usr/bin/env bash
# servers_lib.sh - what aws_lib.sh and gcp_lib.sh share: servers started in the background and
# killed (by PID) when the suite exits, the fakes of tests/fakes, the proxy settings that keep
# everything on 127.0.0.1. Sourced by aws_lib.sh and gcp_lib.sh (after lib.sh), once however many
# of them a suite sources.
#   servers_track PID                 kill PID when the suite exits (works from $(...) too)
#   stop_server PID [TIMEOUT]         SIGTERM, then SIGKILL
#   start_fake_with PYTHON NAME ARGS  tests/fakes/NAME.py on a free port (FAKE_PORT, FAKE_URL, ...)
#   fake_stats PORT [JQ_FILTER]       a fake's /_control/stats
#   free_port                         a TCP port of 127.0.0.1 that was free a moment ago
#   servers_local_only                NO_PROXY/no_proxy for 127.0.0.1 and localhost
if [ "${BASH_SOURCE[0]}" = "$0" ]; then exit 0; fi
if ! declare -F lib_cleanup > /dev/null; then
    echo "servers_lib.sh: source lib.sh first" >&2
    exit 1
fi
declare -F servers_lib_cleanup > /dev/null && return 0

# Servers started in a command substitution cannot add to LIB_PIDS, so every server's PID also goes
# into this file, and the exit trap kills those too (by PID).
SERVERS_LIB_PIDS=$T/servers-lib.pids
: > "$SERVERS_LIB_PIDS"
servers_lib_cleanup() {
    local p
    if [ -f "$SERVERS_LIB_PIDS" ]; then
        while read -r p; do
            [ -n "$p" ] || continue
            kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
            wait "$p" 2>/dev/null   # reaps our children without bash's "Killed" notice
        done < "$SERVERS_LIB_PIDS"
    fi
    lib_cleanup
}
trap servers_lib_cleanup EXIT

# servers_track PID: PID is killed when the suite exits.
servers_track() {
    LIB_PIDS+=("$1")
    echo "$1" >> "$SERVERS_LIB_PIDS"
}

# stop_server PID [TIMEOUT]: SIGTERM, then SIGKILL if it is still there after TIMEOUT seconds
# (default 5). Returns 1 if SIGKILL was needed.
stop_server() {
    local pid=$1 timeout=${2:-5} rc=0
    kill -TERM "$pid" 2>/dev/null
    if ! wait_for "PID $pid to stop after SIGTERM" "$timeout" not_alive "$pid" > /dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait_for "PID $pid to stop after SIGKILL" 5 not_alive "$pid" > /dev/null
        rc=1
    fi
    wait "$pid" 2>/dev/null
    return $rc
}

# free_port: a TCP port of 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# servers_local_only: no proxy for 127.0.0.1 and localhost.
servers_local_only() {
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
}

# ---- the fake servers (tests/fakes/NAME.py) -----------------------------------------------------------

fake_started() { [ -s "$1" ] || ! alive "$2"; }

# start_fake_with PYTHON NAME ARGS...: starts tests/fakes/NAME.py ARGS... with PYTHON on a free port
# of 127.0.0.1, waits (10 s at most) for its port file, prints the port. Its stderr (one line per
# request) goes to $T/fakes/NAME.*.log. Run directly (not in $(...)) it also sets FAKE_PORT,
# FAKE_URL, FAKE_PID and FAKE_LOG; either way the server is killed when the suite exits. Returns 1
# (with a diagnostic on stderr) if the server did not start.
start_fake_with() {
    local python=$1 name=$2 base pid port
    shift 2
    mkdir -p "$T/fakes"
    base=$(mktemp "$T/fakes/$name.XXXXXX") || return 1
    "$python" "$ROOT/tests/fakes/$name.py" --port-file "$base.port" "$@" > "$base.log" 2>&1 < /dev/null &
    pid=$!
    servers_track "$pid"
    wait_for "tests/fakes/$name.py to write its port" 10 fake_started "$base.port" "$pid" > /dev/null
    port=$(cat "$base.port" 2>/dev/null)
    if [ -z "$port" ]; then
        { echo "# tests/fakes/$name.py did not start:"; sed -e 's/^/#   /' "$base.log" | tail -n 20; } >&2
        return 1
    fi
    # shellcheck disable=SC2034  # for the caller
    FAKE_PORT=$port FAKE_URL=http://127.0.0.1:$port FAKE_PID=$pid FAKE_LOG=$base.log
    echo "$port"
}

# fake_stats PORT [JQ_FILTER]: the fake's /_control/stats (through jq -c FILTER if given).
fake_stats() {
    if [ $# -ge 2 ]; then curl -sf --max-time 5 "http://127.0.0.1:$1/_control/stats" | jq -c "$2"
    else curl -sf --max-time 5 "http://127.0.0.1:$1/_control/stats"; fi
}

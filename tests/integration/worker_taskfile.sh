#!/usr/bin/env bash
# worker_taskfile.sh - task files: broken records are reported (non_fatal_exception naming the
# record) and skipped while the good ones run, in a JSON list and in JSON Lines; unsupported,
# missing, empty and truncated files; records the streaming reader must not split wrongly.
#     BUILD=build bash tests/integration/worker_taskfile.sh
# shellcheck source=tests/integration/lib.sh
source "$(dirname "$0")/lib.sh"
need_workers probe_worker=tests/integration/probe_worker.c
P=$IBUILD/probe_worker

completed() { jq -sr '[.[] | select(.event_type == "task_completed") | .task_id] | sort | join(" ")' "$1"; }
# nonfatal_for LOG N: how many non_fatal_exception events name record N
nonfatal_for() { jq -s --arg n "record $2 " '[.[] | select(.event_type == "non_fatal_exception" and (.exception | contains($n)))] | length' "$1"; }

# ---- bad records among good ones -------------------------------------------------------------------

# Records 2..8 are bad, 1 and 9 good.
cat > "$T/bad.json" <<'EOF'
[
  {"task_id": "g-1", "data": {"action": "ok"}},
  {"task_id": "bad-json", "data": {,}},
  {"data": {"action": "ok"}},
  {"task_id": "no-data"},
  "a string",
  42,
  [1, 2],
  {"task_id": {"an": "object"}, "data": {}},
  {"task_id": "g-2", "data": {"action": "ok"}}
]
EOF
bad_records() { # bad_records NAME FILE BAD_NUMBERS...
    local name=$1 file=$2 log n missing=""
    shift 2
    log=$T/$name/events.log
    run_worker "$name" 20 "$P" --task-file "$file" --event-log-file "$log"
    is "$name: the worker carries on past bad records and exits 0" 0 "$RC"
    is "$name: the good records run" "g-1 g-2" "$(completed "$log")"
    for n in "$@"; do [ "$(nonfatal_for "$log" "$n")" = 1 ] || missing="$missing $n"; done
    is "$name: one non_fatal_exception naming each bad record ($*)" "" "$missing"
    is "$name: no other events" $(( $# + 2 )) "$(jq -s length "$log")"
    check "$name: events valid" events_valid "$log"
    check "$name: no sanitizer report" no_sanitizer_report "$T/$name/stderr"
}
bad_records "JSON list" "$T/bad.json" 2 3 4 5 6 7 8
check "JSON list: the invalid record's event says why (JSON error)" \
    grep -q '"exception": "[^"]*record 2 [^"]*JSON' "$T/JSON list/events.log"
says() { jq -se --arg n "record $2 " --arg w "$3" 'any(.[]; .event_type == "non_fatal_exception" and (.exception | contains($n) and contains($w)))' "$1"; }
check "JSON list: the record without task_id says so" says "$T/JSON list/events.log" 3 '"task_id"'
check "JSON list: the record without data says so" says "$T/JSON list/events.log" 4 '"data"'
check "JSON list: the non-object records say so" says "$T/JSON list/events.log" 5 'object'

# The same as JSON Lines, plus an unbalanced line and blank lines, which JSON Lines can survive.
{
    echo '{"task_id": "g-1", "data": {"action": "ok"}}'
    echo '{"task_id": "bad-json", "data": {,}}'
    echo
    echo '{"data": {"action": "ok"}}'
    echo '{"task_id": "no-data"}'
    echo '"a string"'
    echo '{"task_id": "unbalanced", "data": [1, 2}'
    echo '   '
    echo '{"task_id": "g-2", "data": {"action": "ok"}}'
} > "$T/bad.jsonl"
bad_records "JSON Lines" "$T/bad.jsonl" 2 3 4 5 6

# ---- files that cannot be used ---------------------------------------------------------------------

unusable() { # unusable NAME FILE WANT_TEXT EVENT_TYPE
    local name=$1 file=$2 want=$3 type=$4 log=$T/$1/events.log
    run_worker "$name" 20 "$P" --task-file "$file" --event-log-file "$log"
    is "$name: exit status 1" 1 "$RC"
    check "$name: a clear message on stderr" grep -qF -- "$want" "$T/$name/stderr"
    is "$name: an event says so" 1 \
        "$(jq -s --arg w "$want" --arg t "$type" '[.[] | select((.event_type | test($t)) and (.exception | contains($w)))] | length' "$log" 2>/dev/null)"
    check "$name: no sanitizer report" no_sanitizer_report "$T/$name/stderr"
}
printf -- '- task_id: y-1\n  data: {}\n' > "$T/tasks.yaml"
cp "$T/tasks.yaml" "$T/tasks.yml"
unusable "a .yaml file" "$T/tasks.yaml" "not supported yet" fatal_exception
unusable "a .yml file" "$T/tasks.yml" "not supported yet" fatal_exception
echo '[]' > "$T/tasks.txt"
unusable "a .txt file" "$T/tasks.txt" "Unsupported file format" fatal_exception
unusable "a missing file" "$T/no-such-file.json" "no-such-file.json" fatal_exception
mkdir -p "$T/dir.json"
unusable "a directory" "$T/dir.json" "dir.json" "^(non_)?fatal_exception$"

# A truncated list: what came before the cut runs; the cut is reported; the exit status says so.
printf '[\n  {"task_id": "g-1", "data": {"action": "ok"}},\n  {"task_id": "g-2", "data": {"act' > "$T/truncated.json"
run_worker truncated 20 "$P" --task-file "$T/truncated.json" --event-log-file "$T/truncated/events.log"
is "truncated list: the record before the cut runs" g-1 "$(completed "$T/truncated/events.log")"
is "truncated list: an event names the cut record" 1 "$(nonfatal_for "$T/truncated/events.log" 2)"
is "truncated list: exit status 1" 1 "$RC"
printf '[\n  {"task_id": "g-1", "data": {"action": "ok"}}\n' > "$T/unclosed.json"
run_worker unclosed 20 "$P" --task-file "$T/unclosed.json" --event-log-file "$T/unclosed/events.log"
is "list without its ]: the task runs, the missing ] is reported, exit 1" "1 g-1 1" \
    "$RC $(completed "$T/unclosed/events.log") $(jq -s '[.[] | select(.event_type == "non_fatal_exception")] | length' "$T/unclosed/events.log")"
printf '[{"task_id": "g-1", "data": {"action": "ok"}}] trailing' > "$T/trailing.json"
run_worker trailing 20 "$P" --task-file "$T/trailing.json" --event-log-file "$T/trailing/events.log"
is "text after the closing ]: the task runs and the junk is reported" "g-1 1" \
    "$(completed "$T/trailing/events.log") $(jq -s '[.[] | select(.event_type == "non_fatal_exception")] | length' "$T/trailing/events.log")"
echo '{"task_id": "g-1", "data": {}}' > "$T/object.json"
run_worker object 20 "$P" --task-file "$T/object.json" --event-log-file "$T/object/events.log"
is "a .json file that is one object, not a list: nothing runs, exit 1" "1 " "$RC $(completed "$T/object/events.log")"
: > "$T/empty.json"
run_worker empty-json 20 "$P" --task-file "$T/empty.json" --event-log-file "$T/empty-json/events.log"
is "an empty .json file: exit 1" 1 "$RC"
: > "$T/empty.jsonl"
run_worker empty-jsonl 20 "$P" --task-file "$T/empty.jsonl" --event-log-file "$T/empty-jsonl/events.log"
is "an empty .jsonl file: no tasks, exit 0" 0 "$RC"
echo '[ ]' > "$T/emptylist.json"
run_worker empty-list 20 "$P" --task-file "$T/emptylist.json" --event-log-file "$T/empty-list/events.log"
is "an empty list: no tasks, exit 0" 0 "$RC"

# ---- records the streaming reader must read whole --------------------------------------------------

python3 - "$T/tricky.json" <<'EOF'
import json, sys
tasks = [
    {"task_id": "q-1", "data": {"s": "a],[}{\"\\", "t": "\u00e9\u4e2d\U0001F600"}},
    {"task_id": "q-2", "data": {"big": "x" * 300000, "nested": [[{"a": [1, 2, {"b": "]"}]}]]}},
    {"task_id": "q-3", "data": {}},
    {"task_id": "q-4 \"quoted\" \\ \u00e9\u4e2d\t/", "data": {}},
    {"task_id": 17, "data": {}},
]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("[\n")
    f.write(",\n".join(json.dumps(t, indent=2 if i == 2 else None, ensure_ascii=(i == 0)) for i, t in enumerate(tasks)))
    f.write("\n]\n")
EOF
run_worker tricky 20 "$P" --task-file "$T/tricky.json" --event-log-file "$T/tricky/events.log"
is "brackets and quotes inside strings, a 300 KB record, a pretty-printed record: all run" "0 17 q-1 q-2 q-3" \
    "$RC $(jq -sr '[.[] | select(.event_type == "task_completed") | .task_id | tostring] | map(select(startswith("q-4") | not)) | sort | join(" ")' "$T/tricky/events.log")"
is "a task_id with quotes, a backslash, a tab and non-ASCII comes back unchanged in its event" 1 \
    "$(jq -s '[.[] | select(.task_id == "q-4 \"quoted\" \\ \u00e9\u4e2d\t/")] | length' "$T/tricky/events.log")"
check "tricky records: events valid" events_valid "$T/tricky/events.log"
check "tricky records: no non_fatal_exception" test "$(jq -s '[.[] | select(.event_type != "task_completed")] | length' "$T/tricky/events.log")" = 0

finish

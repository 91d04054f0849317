# shellcheck shell=bash disable=SC2034  # EMU_*, GTOKEN_*, MD_*, PROXY_*, SA_* are for the suites
# gcp_lib.sh - sourced AFTER lib.sh by the GCP suites (tests/integration/worker_gcp*.sh).
#
# Gives: Google's Pub/Sub emulator on 127.0.0.1 (start_emulator), REST helpers that talk to it
# directly (ps_api, ps_topic, ps_sub, ps_publish, ps_pull, ps_exists, ps_get), the queue helpers
# load_tasks_pubsub, drain_events_pubsub, sub_backlog and sub_ids, service-account key files
# (make_sa_key) and authorized_user files (make_authorized_user), and the fakes of tests/fakes:
# the OAuth2 token endpoint (start_token_fake), the GCE metadata server (start_metadata_fake) and
# the authenticating proxy in front of the emulator (start_auth_proxy), with fake_stats and
# stop_server (servers_lib.sh).
#
# Nothing here talks to anything but 127.0.0.1, and the environment is set so that the worker
# does not either: on sourcing, every Google / gcloud / proxy variable is removed; HOME and
# CLOUDSDK_CONFIG point at an empty directory (no gcloud application-default credentials file is
# found); GCE_METADATA_HOST (and GCE_METADATA_IP) and CLOUDTASKS_GOOGLE_TOKEN_URI point at a port of
# 127.0.0.1 nobody listens on (GCP_DEAD_PORT), so a worker that looks for the metadata server or
# the token endpoint gets "connection refused" at once instead of reaching metadata.google.internal
# or oauth2.googleapis.com. Suites override them per run (env GCE_METADATA_HOST=$MD_HOST ...).
#
# The emulator (apt google-cloud-cli-pubsub-emulator; Java) is part of the machine image; there
# is no fallback. Its path can be overridden with PUBSUB_EMULATOR_BIN. Facts this relies on
# (checked with emulator 0.8.20 from google-cloud-cli 528.0.0):
#   - `--port=0` binds two random ports and logs "listening on 0", so a free port is chosen here;
#     GET / answers "Ok" once the server is up (~2.5 s); no authentication at all;
#   - topic and subscription ids need >= 3 characters and a leading letter; create (PUT) of an
#     existing one -> 409 ALREADY_EXISTS; a subscription created without ackDeadlineSeconds gets
#     10 s; values > 600 are accepted (the real service rejects them);
#   - pull with returnImmediately:true returns every available message up to maxMessages (all 50
#     of 50 in one call), `{}` when there are none;
#   - pull WITHOUT returnImmediately on an empty subscription blocks ~90 s, then returns `{}`; it
#     returns within milliseconds when a message is published, nacked or its deadline passes;
#   - a blocking pull whose client went away (timeout, closed connection) is NOT cancelled: the
#     next messages are handed to it and stay invisible until their ack deadline passes (each
#     abandoned pull swallows one batch); a blocking pull on a subscription that is deleted keeps
#     hanging (later pulls get 404);
#   - modifyAckDeadline 0 = immediate redelivery (new ackId); N > 0 counts from the request;
#     acknowledging or modifying a stale but well-formed ackId -> 200 {}; a malformed one -> 400;
#   - deadLetterPolicy works: maxDeliveryAttempts >= 5 (else 400 OUT_OF_RANGE); pulls carry
#     deliveryAttempt; after the last attempt the message is published to the dead-letter topic
#     with attributes CloudPubSubDeadLetterSource*;
#   - --projects=a,b: any other project gets 404 NOT_FOUND "Invalid (project=x) out of valid
#     projects [a, b]." on every call, creates included;
#   - errors are {"error": {"code", "message", "status"}} without "details"; bodies are
#     pretty-printed.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then exit 0; fi
if ! declare -F lib_cleanup > /dev/null; then
    echo "gcp_lib.sh: source lib.sh first" >&2
    exit 1
fi

PUBSUB_EMULATOR_BIN=${PUBSUB_EMULATOR_BIN:-/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator}
# PyJWT and cryptography are Debian packages of the system python, not of the python3 on PATH.
GCP_PYTHON=${GCP_PYTHON:-/usr/bin/python3}
GCP_PROJECT=${GCP_PROJECT:-test-proj}
export GCP_PROJECT

# shellcheck source=tests/integration/servers_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/servers_lib.sh"

# gcp_lib_fail NAME DIAGNOSTIC...: a setup step failed: not ok, and the suite stops.
gcp_lib_fail() {
    notok "$@"
    finish
}

# ---- a clean environment ---------------------------------------------------------------------------

for v in $(compgen -e); do
    case $v in
        GOOGLE_*|GCLOUD_*|CLOUDSDK_*|GCE_METADATA_*|PUBSUB_*|CLOUDTASKS_*|RMS_CLOUD_TASKS_*|RMS_CLOUD_WORKER_*) unset "$v" ;;
        http_proxy|https_proxy|HTTP_PROXY|HTTPS_PROXY|ALL_PROXY|all_proxy|ftp_proxy|FTP_PROXY) unset "$v" ;;
    esac
done
unset v
servers_local_only
GCP_HOME=$T/gcp-home
mkdir -p "$GCP_HOME/gcloud"
export HOME=$GCP_HOME CLOUDSDK_CONFIG=$GCP_HOME/gcloud
GCP_DEAD_PORT=$(free_port)
export GCE_METADATA_HOST=127.0.0.1:$GCP_DEAD_PORT GCE_METADATA_IP=127.0.0.1:$GCP_DEAD_PORT
export CLOUDTASKS_GOOGLE_TOKEN_URI=http://127.0.0.1:$GCP_DEAD_PORT/token

# The service account of the key files (make_sa_key) and the token fake (start_token_fake): its
# project differs from GCP_PROJECT, so a test can tell which project the worker chose.
SA_PROJECT=${SA_PROJECT:-sa-proj}
SA_EMAIL=worker@$SA_PROJECT.iam.gserviceaccount.com
SA_KEY_ID=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
# The authorized_user credentials (make_authorized_user) the token fake accepts.
AU_CLIENT_ID=764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com
AU_CLIENT_SECRET=d-FL95Q19q7MQmFpd7hHD0Ty
AU_REFRESH_TOKEN=1//0fake-refresh-token-for-cloudtasks-tests

# ---- servers -----------------------------------------------------------------------------------------

emu_up() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null)" = Ok ] || ! alive "$2"; }

# start_emulator [EMULATOR_ARGS...]: starts the Pub/Sub emulator on a free port of 127.0.0.1 in
# $T/emulator (extra arguments such as --projects=a,b are passed on) and waits (60 s at most) for
# it to answer. Exports PUBSUB_EMULATOR_HOST=127.0.0.1:PORT (so a worker started after this talks
# to it, without authentication), EMU_URL, EMU_PORT; sets EMU_PID (the JVM: the start script execs
# java) and EMU_LOG. On failure: not ok and the suite ends.
start_emulator() {
    local attempt port pid
    [ -x "$PUBSUB_EMULATOR_BIN" ] ||
        gcp_lib_fail "the Pub/Sub emulator is installed" "$PUBSUB_EMULATOR_BIN not found. It comes with the apt packages" \
            "google-cloud-cli and google-cloud-cli-pubsub-emulator, part of the machine image (see" \
            "../shared/reference/wire-formats.md, 2.2); set PUBSUB_EMULATOR_BIN if it is elsewhere."
    command -v java > /dev/null 2>&1 || gcp_lib_fail "java is on PATH (the Pub/Sub emulator needs it)"
    mkdir -p "$T/emulator"
    EMU_LOG=$T/emulator/emulator.log
    for attempt in 1 2 3; do
        port=$(free_port)
        ( cd "$T/emulator" && exec "$PUBSUB_EMULATOR_BIN" --host=127.0.0.1 --port="$port" "$@" ) \
            >> "$EMU_LOG" 2>&1 < /dev/null &
        pid=$!
        servers_track "$pid"
        wait_for "the Pub/Sub emulator on 127.0.0.1:$port" 60 emu_up "$port" "$pid" > /dev/null
        if alive "$pid" && [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/")" = Ok ]; then
            EMU_PID=$pid EMU_PORT=$port EMU_URL=http://127.0.0.1:$port
            export PUBSUB_EMULATOR_HOST=127.0.0.1:$port EMU_URL EMU_PORT
            return 0
        fi
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    gcp_lib_fail "the Pub/Sub emulator starts" "$(tail -n 20 "$EMU_LOG")"
}

# gcp_fake NAME ARGS...: start_fake_with "$GCP_PYTHON" NAME ARGS... (servers_lib.sh): prints the
# port; run directly (not in $(...)) it also sets GFAKE_PORT, GFAKE_URL, GFAKE_PID and GFAKE_LOG.
gcp_fake() {
    start_fake_with "$GCP_PYTHON" "$@" || return 1
    GFAKE_PORT=$FAKE_PORT GFAKE_URL=$FAKE_URL GFAKE_PID=$FAKE_PID GFAKE_LOG=$FAKE_LOG
}

# start_token_fake KEYDIR [ARGS...]: the fake OAuth2 token endpoint (google_token.py), accepting
# JWTs of $SA_EMAIL with kid $SA_KEY_ID signed by the key whose public half is KEYDIR/public.pem
# (read at each request: make_sa_key KEYDIR may run afterwards), and the authorized_user
# credentials AU_*. Call it directly (not in $(...)). Sets GTOKEN_PORT, GTOKEN_PID and GTOKEN_URI
# (http://127.0.0.1:PORT/token, the token_uri make_sa_key writes). Returns 1 if it did not start.
start_token_fake() {
    local dir=$1
    shift
    gcp_fake google_token --public-key "$dir/public.pem" --client-email "$SA_EMAIL" --key-id "$SA_KEY_ID" \
        --client-id "$AU_CLIENT_ID" --client-secret "$AU_CLIENT_SECRET" --refresh-token "$AU_REFRESH_TOKEN" "$@" > /dev/null ||
        return 1
    GTOKEN_PORT=$GFAKE_PORT GTOKEN_PID=$GFAKE_PID GTOKEN_URI=$GFAKE_URL/token
}

# start_metadata_fake [ARGS...]: the fake GCE metadata server (gce_metadata.py ARGS...). Call it
# directly. Sets MD_PORT, MD_PID and MD_HOST (127.0.0.1:PORT, for GCE_METADATA_HOST).
start_metadata_fake() {
    gcp_fake gce_metadata "$@" > /dev/null || return 1
    MD_PORT=$GFAKE_PORT MD_PID=$GFAKE_PID MD_HOST=127.0.0.1:$GFAKE_PORT
}

# start_auth_proxy PORT...: the authenticating proxy (pubsub_auth_proxy.py) in front of the
# emulator, accepting the tokens that the fakes listening on the given ports issued (their
# /_control/tokens). Call it directly. Sets PROXY_PORT, PROXY_PID and PROXY_URL (for
# CLOUDTASKS_PUBSUB_ENDPOINT).
start_auth_proxy() {
    local args=() p
    for p in "$@"; do args+=(--tokens-url "http://127.0.0.1:$p/_control/tokens"); done
    gcp_fake pubsub_auth_proxy --upstream "$EMU_URL" "${args[@]}" > /dev/null || return 1
    PROXY_PORT=$GFAKE_PORT PROXY_PID=$GFAKE_PID PROXY_URL=$GFAKE_URL
}

# ---- Pub/Sub REST, straight to the emulator (no authentication) ----------------------------------------

# ps_api METHOD PATH [JSON]: one REST call; PATH is relative to /v1/projects/$GCP_PROJECT/ (e.g.
# topics/jobs-topic, subscriptions/jobs-subscription:pull). Prints the body. Returns 1 (message on
# stderr) on an HTTP error or none.
ps_api() {
    local out code
    out=$(curl -sS --max-time 30 -w '\n%{http_code}' -X "$1" -H 'Content-Type: application/json' \
        ${3:+--data-binary "$3"} "$EMU_URL/v1/projects/$GCP_PROJECT/$2") || return 1
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    if [ "$code" -ge 400 ] 2>/dev/null || [ "$code" = 000 ]; then
        printf 'Pub/Sub %s %s: HTTP %s: %s\n' "$1" "$2" "$code" "$out" >&2
        return 1
    fi
    printf '%s\n' "$out"
}

# ps_exists topics/NAME | subscriptions/NAME: it exists (GET answers 200).
ps_exists() {
    [ "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$EMU_URL/v1/projects/$GCP_PROJECT/$1")" = 200 ]
}
# ps_get topics/NAME | subscriptions/NAME: its resource (JSON, compact).
ps_get() { ps_api GET "$1" | jq -c .; }

# ps_create PATH JSON: PUT that accepts 409 ALREADY_EXISTS (the existing resource is kept as is).
ps_create() {
    local code
    code=$(curl -s --max-time 30 -o "$T/ps_create.out" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
        --data-binary "$2" "$EMU_URL/v1/projects/$GCP_PROJECT/$1")
    case $code in
        200|409) return 0 ;;
        *) printf 'Pub/Sub PUT %s: HTTP %s: %s\n' "$1" "$code" "$(cat "$T/ps_create.out")" >&2; return 1 ;;
    esac
}

# ps_topic NAME: creates topic NAME (an existing one is fine).
ps_topic() { ps_create "topics/$1" '{}'; }

# ps_sub NAME TOPIC [ACK_DEADLINE [EXTRA_JSON]]: creates subscription NAME on TOPIC (created too if
# missing) as the rms-cloud-tasks manager does: ackDeadlineSeconds ACK_DEADLINE (default 60),
# messageRetentionDuration 604800s; EXTRA_JSON (an object) is merged in, e.g.
# '{"deadLetterPolicy": {...}}'. An existing subscription is kept as it is.
ps_sub() {
    local body extra=${4:-}
    [ -n "$extra" ] || extra='{}'
    ps_topic "$2" || return 1
    body=$(jq -cn --arg t "projects/$GCP_PROJECT/topics/$2" --argjson a "${3:-60}" --argjson x "$extra" \
        '{topic: $t, ackDeadlineSeconds: $a, messageRetentionDuration: "604800s"} + $x') || return 1
    ps_create "subscriptions/$1" "$body"
}

# ps_publish TOPIC TEXT...: publishes each TEXT as one message (data = base64 of its UTF-8 bytes,
# no attributes). Prints the message ids, one per line.
ps_publish() {
    local topic=$1 body
    shift
    body=$(printf '%s\0' "$@" | python3 -c '
import base64, json, sys
texts = sys.stdin.buffer.read().split(b"\0")[:-1]
print(json.dumps({"messages": [{"data": base64.b64encode(t).decode()} for t in texts]}))') || return 1
    ps_api POST "topics/$topic:publish" "$body" | jq -r '.messageIds[]'
}

# ps_pull SUB [MAX]: one pull with returnImmediately (default maxMessages 100). Prints the answer.
# The messages received are leased (ack deadline of the subscription): ack or nack them.
ps_pull() { ps_api POST "subscriptions/$1:pull" "{\"maxMessages\": ${2:-100}, \"returnImmediately\": true}"; }

# gcp_py_pubsub MODE ARGS...: the Python side of the helpers below (stdlib only; talks only to
# $EMU_URL, environment proxies ignored).
gcp_py_pubsub() {
    EMU_URL=$EMU_URL GCP_PROJECT=$GCP_PROJECT python3 - "$@" <<'EOF'
import base64, json, os, sys, urllib.error, urllib.request
mode = sys.argv[1]
base = "%s/v1/projects/%s/" % (os.environ["EMU_URL"], os.environ["GCP_PROJECT"])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

class ApiError(Exception):
    pass

def call(method, path, doc=None, ok=(200,)):
    data = json.dumps(doc).encode() if doc is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with opener.open(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        if e.code in ok:
            return e.code, {}
        raise ApiError("%s %s: HTTP %d: %s" % (method, path, e.code, body.strip())) from None

def pull_all(sub):
    """Every message deliverable now (returnImmediately pulls until one comes back empty)."""
    got = []
    while True:
        _, doc = call("POST", "subscriptions/%s:pull" % sub, {"maxMessages": 1000, "returnImmediately": True})
        msgs = doc.get("receivedMessages") or []
        if not msgs:
            return got
        got.extend(msgs)

def decode(m):
    return base64.b64decode(m["message"].get("data", "")).decode("utf-8")

try:
    if mode == "load":
        queue, path = sys.argv[2], sys.argv[3]
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if text.lstrip().startswith("["):
            records = json.loads(text)
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        topic, sub = queue + "-topic", queue + "-subscription"
        call("PUT", "topics/" + topic, {}, ok=(200, 409))
        call("PUT", "subscriptions/" + sub, {"topic": "projects/%s/topics/%s" % (os.environ["GCP_PROJECT"], topic),
                                             "ackDeadlineSeconds": 60, "messageRetentionDuration": "604800s"},
             ok=(200, 409))
        for start in range(0, len(records), 100):
            batch = [{"data": base64.b64encode(json.dumps({"task_id": r["task_id"], "data": r["data"]}).encode("utf-8")).decode()}
                     for r in records[start:start + 100]]
            _, doc = call("POST", "topics/%s:publish" % topic, {"messages": batch})
            if len(doc.get("messageIds") or []) != len(batch):
                sys.exit("load_tasks_pubsub: publish returned %r" % doc)
    elif mode == "drain":
        sub, out = sys.argv[2], sys.argv[3]
        empty = 0
        with open(out, "w", encoding="utf-8") as f:
            while empty < 2:
                _, doc = call("POST", "subscriptions/%s:pull" % sub, {"maxMessages": 1000, "returnImmediately": True})
                msgs = doc.get("receivedMessages") or []
                if not msgs:
                    empty += 1
                    continue
                empty = 0
                for m in msgs:
                    f.write(decode(m).rstrip("\n") + "\n")
                call("POST", "subscriptions/%s:acknowledge" % sub, {"ackIds": [m["ackId"] for m in msgs]})
    elif mode in ("count", "ids"):
        sub = sys.argv[2]
        msgs = pull_all(sub)
        if msgs:
            call("POST", "subscriptions/%s:modifyAckDeadline" % sub,
                 {"ackIds": [m["ackId"] for m in msgs], "ackDeadlineSeconds": 0})
        if mode == "count":
            print(len(msgs))
        else:
            ids = []
            for m in msgs:
                try:
                    ids.append(str(json.loads(decode(m))["task_id"]))
                except (ValueError, KeyError, TypeError):
                    ids.append("?")
            print(" ".join(sorted(ids)))
    else:
        sys.exit("gcp_py_pubsub: unknown mode " + mode)
except (ApiError, OSError) as e:
    sys.exit("%s: %s" % (mode, e))
EOF
}

# load_tasks_pubsub QUEUE FILE: creates topic QUEUE-topic and subscription QUEUE-subscription as
# the rms-cloud-tasks manager does (ackDeadlineSeconds 60, retention 7 days; existing ones are
# kept) and publishes each task of FILE (JSON Lines, or a JSON list) as one message, data =
# base64(UTF-8 json.dumps({"task_id": id, "data": data})) (Python's default separators), no
# attributes, 100 to a publish call. The events topic is not created. Prints nothing; on an error
# prints it on stderr and returns 1.
load_tasks_pubsub() { gcp_py_pubsub load "$1" "$2"; }

# ps_events QUEUE: creates QUEUE-events-topic and QUEUE-events-subscription (what the worker does
# when they are missing), so events published from now on are kept for drain_events_pubsub.
ps_events() { ps_sub "$1-events-subscription" "$1-events-topic"; }

# drain_events_pubsub QUEUE OUTFILE: pulls every message of QUEUE-events-subscription (pulls with
# returnImmediately until two in a row come back empty), acknowledges them and writes their
# decoded data to OUTFILE, one per line (JSON Lines for jq). Returns 1 if the subscription does not
# exist or a call fails. Only messages published after the subscription was created are there.
drain_events_pubsub() { gcp_py_pubsub drain "$1-events-subscription" "$2"; }

# sub_backlog SUB: how many messages of subscription SUB can be delivered now. The emulator has no
# backlog metric, so this pulls them all (returnImmediately) and nacks them at once
# (modifyAckDeadline 0): messages leased by a worker are NOT counted, and each counted message's
# delivery attempt goes up by one (mind a deadLetterPolicy). Prints the number.
sub_backlog() { gcp_py_pubsub count "$1"; }
# sub_ids SUB: the same, printing the task_ids of those messages, sorted, space-separated ("?" for
# a body that is not a task).
sub_ids() { gcp_py_pubsub ids "$1"; }
# backlog_is SUB N: for wait_for.
backlog_is() { [ "$(sub_backlog "$1" 2>/dev/null)" = "$2" ]; }

# ---- credentials files ---------------------------------------------------------------------------------

# make_sa_key DIR [TOKEN_URI [KEY_ID]]: a new 2048-bit RSA key (python cryptography) and
# service-account key files for it in DIR:
#   private.pem        PKCS#8 PEM ("BEGIN PRIVATE KEY"), private-pkcs1.pem ("BEGIN RSA PRIVATE KEY"),
#   public.pem         the public key (SubjectPublicKeyInfo PEM, for google_token.py),
#   key.json           {"type": "service_account", "project_id": $SA_PROJECT, "private_key_id":
#                      KEY_ID, "private_key": PKCS#8 PEM, "client_email": $SA_EMAIL, "client_id",
#                      "auth_uri", "token_uri": TOKEN_URI, "auth_provider_x509_cert_url",
#                      "client_x509_cert_url", "universe_domain"} as gcloud writes it (indent 2),
#   key-pkcs1.json     the same with the PKCS#1 PEM,
#   key-crlf.json      the PKCS#8 PEM with CRLF line ends,
#   key-nonl.json      the PKCS#8 PEM without its final newline.
# TOKEN_URI defaults to $GTOKEN_URI, KEY_ID to $SA_KEY_ID. Returns 1 on failure.
make_sa_key() {
    mkdir -p "$1" || return 1
    "$GCP_PYTHON" - "$1" "${2:-${GTOKEN_URI:?make_sa_key: no token URI (start_token_fake first)}}" "${3:-$SA_KEY_ID}" \
        "$SA_PROJECT" "$SA_EMAIL" <<'EOF'
import json, os, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
d, token_uri, kid, project, email = sys.argv[1:6]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()).decode()
pkcs1 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption()).decode()
public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()
assert pkcs8.startswith("-----BEGIN PRIVATE KEY-----\n") and pkcs1.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
def write(name, text):
    with open(os.path.join(d, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)
write("private.pem", pkcs8)
write("private-pkcs1.pem", pkcs1)
write("public.pem", public)
def key_file(pem):
    return json.dumps({
        "type": "service_account", "project_id": project, "private_key_id": kid, "private_key": pem,
        "client_email": email, "client_id": "109876543210987654321",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + email.replace("@", "%40"),
        "universe_domain": "googleapis.com"}, indent=2) + "\n"
write("key.json", key_file(pkcs8))
write("key-pkcs1.json", key_file(pkcs1))
write("key-crlf.json", key_file(pkcs8.replace("\n", "\r\n")))
write("key-nonl.json", key_file(pkcs8.rstrip("\n")))
EOF
}

# make_authorized_user FILE [CLIENT_SECRET]: an authorized_user credentials file as `gcloud auth
# application-default login` writes it, with the AU_* credentials the token fake accepts (or
# another client secret).
make_authorized_user() {
    jq -n --arg id "$AU_CLIENT_ID" --arg secret "${2:-$AU_CLIENT_SECRET}" --arg rt "$AU_REFRESH_TOKEN" \
        '{account: "", client_id: $id, client_secret: $secret, refresh_token: $rt,
          type: "authorized_user", universe_domain: "googleapis.com"}' > "$1"
}

#!/usr/bin/env python3
"""pubsub_auth_proxy.py - an authenticating reverse proxy in front of the Pub/Sub emulator.

    python3 tests/fakes/pubsub_auth_proxy.py --port-file F --upstream http://127.0.0.1:EMUPORT
        --tokens-url http://127.0.0.1:TOKENPORT/_control/tokens [--tokens-url URL]...
        [--timeout S]

The emulator accepts any request, with or without a token; the real service does not. This proxy
makes the emulator behave like the real service for authentication: the worker is pointed at it
(CLOUDTASKS_PUBSUB_ENDPOINT=http://127.0.0.1:PORT) and every request (any method, path, query and
body) is forwarded to --upstream only if it carries `Authorization: Bearer <token>` with a token
that one of the --tokens-url servers (google_token.py, gce_metadata.py: GET /_control/tokens ->
{"tokens": [{"token", "expires_at", "revoked"}]}) issued, has not revoked and that has not
expired. The lists are fetched again at every request, so revocation and expiry take effect at
once. Otherwise the answer is what Google sends:
    no Authorization header  401 {"error": {"code": 401, "message": "Request is missing required
                             authentication credential. ...", "status": "UNAUTHENTICATED"}}
    any other                401 {"error": {"code": 401, "message": "Request had invalid
                             authentication credentials. ...", "status": "UNAUTHENTICATED"}}
both with `WWW-Authenticate: Bearer realm="https://accounts.google.com/"`. The upstream's answer
(status, headers, body) is passed back as is; an unreachable upstream gives 502. Listens on
127.0.0.1 on a free port and writes the port to --port-file (whole, by rename) once it is
listening. Every request line is logged to stderr. Standard library only; nothing is sent anywhere
but the given URLs (environment proxies are ignored).

Failure injection (after the authentication check, as the real service checks permissions after
the token): POST /_control/fail with JSON {"status": 403, "match": "SUBSTRING", "count": N,
"message": "..."} makes the next N requests (count -1 or absent: all) whose "METHOD PATH" contains
SUBSTRING get that status with the Google error envelope (403 PERMISSION_DENIED "User not
authorized to perform this action.", 404 NOT_FOUND "Resource not found (resource=NAME).", 429
RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE, ...; NAME = the last path segment before any
":verb"). Several rules may be active; the first that matches applies. DELETE /_control/fail
removes them all.

GET /_control/stats -> {"requests": n (not counting /_control/), "forwarded": n, "unauthorized": n,
"missing_auth": n, "injected": n, "upstream_errors": n, "abandoned_answers": upstream answers the
client was no longer there to take (it gave up waiting, e.g. on a long pull), "abandoned_messages":
the messages (ackIds) in those answers: Pub/Sub considers them delivered, so they stay hidden until
their ack deadline passes, "paths": {"METHOD PATH": n},
"unauthorized_paths": {"METHOD PATH": n}, "tokens_used": {token: n}, "rules": [...]}
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import fakelib

STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 499: "CANCELLED",
                500: "INTERNAL", 501: "NOT_IMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
MISSING = ("Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
           "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
INVALID = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
           "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "expect", "host", "content-length", "authorization"}
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = self.forwarded = self.unauthorized = self.missing_auth = 0
        self.injected = self.upstream_errors = 0
        self.abandoned_answers = self.abandoned_messages = 0
        self.paths = {}
        self.unauthorized_paths = {}
        self.tokens_used = {}
        self.rules = []


def envelope(code, message):
    return {"error": {"code": code, "message": message, "status": STATUS_NAMES.get(code, "UNKNOWN")}}


def resource_name(path):
    last = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


class Handler(fakelib.ProxyMixin, fakelib.AnyMethod, fakelib.Handler):
    server_version = "ESF"
    log_name = "pubsub_auth_proxy"

    def send_json(self, code, doc, headers=()):
        self.send_raw(code, (json.dumps(doc, indent=2) + "\n").encode("utf-8"), "application/json; charset=UTF-8", headers)

    # ---- control ---------------------------------------------------------------------------------

    def control(self, method, path, raw):
        st = self.server.state
        if path == "/_control/stats" and method == "GET":
            with st.lock:
                doc = {"requests": st.requests, "forwarded": st.forwarded, "unauthorized": st.unauthorized,
                       "missing_auth": st.missing_auth, "injected": st.injected, "upstream_errors": st.upstream_errors,
                       "abandoned_answers": st.abandoned_answers, "abandoned_messages": st.abandoned_messages,
                       "paths": dict(st.paths), "unauthorized_paths": dict(st.unauthorized_paths),
                       "tokens_used": dict(st.tokens_used), "rules": [dict(r) for r in st.rules]}
            return self.send_json(200, doc)
        if path == "/_control/fail" and method == "POST":
            try:
                req = json.loads(raw)
                rule = {"status": int(req["status"]), "match": str(req.get("match", "")),
                        "count": int(req.get("count", -1)), "message": req.get("message")}
            except (ValueError, KeyError, TypeError, AttributeError):
                return self.send_json(400, {"error": "expected {\"status\": N, \"match\": S, \"count\": N}"})
            with st.lock:
                st.rules.append(rule)
            return self.send_json(200, rule)
        if path == "/_control/fail" and method == "DELETE":
            with st.lock:
                st.rules = []
            return self.send_json(200, {})
        return self.send_json(404, {"error": "no such control endpoint"})

    # ---- authentication --------------------------------------------------------------------------

    def token_valid(self, token):
        now = time.time()
        for url in self.server.args.tokens_url:
            try:
                with NO_PROXY.open(url, timeout=5) as r:
                    doc = json.loads(r.read())
            except (OSError, ValueError) as e:
                sys.stderr.write("pubsub_auth_proxy: cannot read %s: %s\n" % (url, e))
                continue
            for t in doc.get("tokens", []):
                if t.get("token") == token:
                    if not t.get("revoked") and float(t.get("expires_at", 0)) > now:
                        return True
        return False

    def handle_any(self, method):
        st = self.server.state
        raw = self.body()
        path_only = self.path.split("?", 1)[0]
        if path_only.startswith("/_control/"):
            return self.control(method, path_only, raw)
        key = "%s %s" % (method, self.path)
        with st.lock:
            st.requests += 1
            st.paths[key] = st.paths.get(key, 0) + 1
        auth = self.headers.get("Authorization")
        challenge = [("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')]
        token = None
        if auth is not None:
            parts = auth.split(None, 1)
            if len(parts) == 2 and parts[0].lower() == "bearer":
                token = parts[1].strip()
        if auth is None or token is None or not self.token_valid(token):
            with st.lock:
                st.unauthorized += 1
                if auth is None:
                    st.missing_auth += 1
                st.unauthorized_paths[key] = st.unauthorized_paths.get(key, 0) + 1
            return self.send_json(401, envelope(401, MISSING if auth is None else INVALID), challenge)
        with st.lock:
            st.tokens_used[token] = st.tokens_used.get(token, 0) + 1
            rule = None
            for r in st.rules:
                if r["count"] != 0 and r["match"] in key:
                    rule = r
                    if r["count"] > 0:
                        r["count"] -= 1
                    break
            if rule:
                st.injected += 1
        if rule:
            code = rule["status"]
            message = rule["message"] or {
                403: "User not authorized to perform this action.",
                404: "Resource not found (resource=%s)." % resource_name(self.path),
                429: "Quota exceeded for quota metric 'Requests' of service 'pubsub.googleapis.com'.",
                500: "Internal error encountered.",
                503: "The service is currently unavailable.",
            }.get(code, "Injected failure.")
            return self.send_json(code, envelope(code, message))
        return self.forward(method, raw)

    def forward(self, method, raw):
        st, args = self.server.state, self.server.args
        up = urlsplit(args.upstream)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=args.timeout)
            conn.request(method, self.path, body=raw if (raw or method in ("POST", "PUT", "PATCH")) else None,
                         headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            ctype = resp.getheader("Content-Type", "application/json")
            extra = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP | {"content-type", "date", "server"}]
            status = resp.status
            conn.close()
        except (OSError, http.client.HTTPException) as e:
            with st.lock:
                st.upstream_errors += 1
            return self.send_json(502, envelope(503, "pubsub_auth_proxy: upstream %s: %s" % (args.upstream, e)))
        with st.lock:
            st.forwarded += 1
        if self.client_gone():
            return self.abandoned(body)
        try:
            self.send_raw(status, body, ctype, extra)
        except OSError:
            self.abandoned(body)



def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fakelib.add_port_file_argument(p)
    p.add_argument("--upstream", required=True, help="the emulator, http://127.0.0.1:PORT")
    p.add_argument("--tokens-url", action="append", default=[], help="GET -> {\"tokens\": [...]} (repeatable)")
    p.add_argument("--timeout", type=float, default=150, help="upstream timeout (an empty emulator pull lasts ~90 s)")
    args = p.parse_args()
    for url in [args.upstream] + args.tokens_url:
        host = urlsplit(url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            sys.exit("pubsub_auth_proxy: %s is not on this machine (127.0.0.1 only)" % url)

    fakelib.serve(Handler, State(), args, "pubsub_auth_proxy", " -> %s" % args.upstream)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""gce_metadata.py - a fake GCE metadata server for the integration tests.

    python3 tests/fakes/gce_metadata.py --port-file F [--instance-name N] [--project P]
        [--token T] [--token-ttl S] [--unique-tokens] [--email E] [--preempted]

Listens on 127.0.0.1 on a free port and writes the port to --port-file (whole, by rename) once it
is listening; the worker is pointed at it with GCE_METADATA_HOST=127.0.0.1:PORT. Every request line
is logged to stderr. Standard library only.

As on GCE, every metadata request must carry `Metadata-Flavor: Google` (else 403), and so must not
carry `X-Forwarded-For` (else 403); every answer carries `Metadata-Flavor: Google`. Served under
/computeMetadata/v1/ (a query string such as ?alt=text or ?scopes=... is accepted and ignored):
    instance/name                              --instance-name
    instance/hostname                          --instance-name + ".c.PROJECT.internal"
    instance/id                                a fixed number
    instance/zone                              projects/NUMBER/zones/us-central1-a
    instance/preempted                         FALSE, TRUE after POST /_control/preempt (or --preempted)
    instance/maintenance-event                 NONE (or what POST /_control/maintenance set)
    instance/service-accounts/                 "default/\nEMAIL/\n"
    instance/service-accounts/default/email    --email
    instance/service-accounts/default/token    {"access_token": --token, "expires_in": --token-ttl,
                                               "token_type": "Bearer"}; with --unique-tokens the
                                               token is --token + "-<n>" (n = 1, 2, ...)
    instance/service-accounts/default/scopes   the cloud-platform scope
    project/project-id                         --project
    project/numeric-project-id                 a fixed number
`/` answers "computeMetadata/" (the ping google-auth uses to detect GCE). `?wait_for_change=true`
(with optional `last_etag=` and `timeout_sec=`, default 60, at most 300) is a hanging GET as on
GCE: it answers when the value differs from last_etag (or, without it, when the value changes) or
when the timeout passes. Every value answer carries an `ETag`.

Control (no Metadata-Flavor needed; not counted in "paths"):
    POST   /_control/preempt      instance/preempted becomes TRUE
    DELETE /_control/preempt      back to FALSE
    POST   /_control/maintenance  body = the new instance/maintenance-event (e.g.
                                  TERMINATE_ON_HOST_MAINTENANCE); empty body = NONE
    POST   /_control/revoke       the tokens issued so far are marked revoked
    GET    /_control/tokens       {"tokens": [{"token", "expires_at" (epoch s), "revoked", "source"}],
                                   "issued": n}  (what pubsub_auth_proxy.py --tokens-url reads)
    GET    /_control/stats        {"paths": {metadata path (no query): requests}, "forbidden": n,
                                   "tokens_issued": n, "preempted": bool, "maintenance_event": s,
                                   "requests": n}
"""
import argparse
import hashlib
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import fakelib

V1 = "/computeMetadata/v1/"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


class State(fakelib.Stats):
    def __init__(self, args):
        super().__init__(requests=0, forbidden=0, tokens_issued=0,
                         tokens={},   # token -> {"token", "expires_at", "revoked", "source"}
                         preempted=bool(args.preempted), maintenance="NONE")
        self.changed = threading.Condition(self.lock)


def etag(value):
    return hashlib.sha1(value.encode("utf-8")).hexdigest()[:16]


class Handler(fakelib.Handler):
    server_version = "Metadata Server for VM"
    log_name = "gce_metadata"

    def send(self, code, body="", ctype="application/text", headers=(), flavor=True):
        self.send_raw(code, body, ctype, ([("Metadata-Flavor", "Google")] if flavor else []) + list(headers))

    # ---- control ---------------------------------------------------------------------------------

    def control(self, method, path):
        st = self.server.state
        raw = self.body()
        if path == "/_control/stats" and method == "GET":
            with st.lock:
                doc = {"paths": dict(st.paths), "forbidden": st.forbidden, "tokens_issued": st.tokens_issued,
                       "preempted": st.preempted, "maintenance_event": st.maintenance, "requests": st.requests}
            return self.send(200, json.dumps(doc), "application/json", flavor=False)
        if path == "/_control/tokens" and method == "GET":
            with st.lock:
                doc = {"tokens": [dict(t) for t in st.tokens.values()], "issued": st.tokens_issued}
            return self.send(200, json.dumps(doc), "application/json", flavor=False)
        if path == "/_control/preempt" and method in ("POST", "DELETE"):
            with st.lock:
                st.preempted = method == "POST"
                st.changed.notify_all()
            return self.send(200, json.dumps({"preempted": method == "POST"}), "application/json", flavor=False)
        if path == "/_control/maintenance" and method == "POST":
            value = raw.decode("utf-8", "replace").strip() or "NONE"
            with st.lock:
                st.maintenance = value
                st.changed.notify_all()
            return self.send(200, json.dumps({"maintenance_event": value}), "application/json", flavor=False)
        if path == "/_control/revoke" and method == "POST":
            with st.lock:
                for t in st.tokens.values():
                    t["revoked"] = True
                n = len(st.tokens)
            return self.send(200, json.dumps({"revoked": n}), "application/json", flavor=False)
        return self.send(404, "no such control endpoint\n", "text/plain", flavor=False)

    # ---- metadata --------------------------------------------------------------------------------

    def value(self, rel):
        """(status, body, content type) of a metadata path relative to /computeMetadata/v1/."""
        st, args = self.server.state, self.server.args
        project_number = "123456789012"
        if rel in ("", "instance", "instance/"):
            return 200, "attributes/\nhostname\nid\nmaintenance-event\nname\npreempted\nservice-accounts/\nzone\n", "application/text"
        if rel in ("project", "project/"):
            return 200, "numeric-project-id\nproject-id\n", "application/text"
        if rel == "instance/name":
            return 200, args.instance_name, "application/text"
        if rel == "instance/hostname":
            return 200, "%s.c.%s.internal" % (args.instance_name, args.project), "application/text"
        if rel == "instance/id":
            return 200, "4520031799277581759", "application/text"
        if rel == "instance/zone":
            return 200, "projects/%s/zones/us-central1-a" % project_number, "application/text"
        if rel == "instance/preempted":
            return 200, "TRUE" if st.preempted else "FALSE", "application/text"
        if rel == "instance/maintenance-event":
            return 200, st.maintenance, "application/text"
        if rel in ("instance/service-accounts", "instance/service-accounts/"):
            return 200, "default/\n%s/\n" % args.email, "application/text"
        if rel in ("instance/service-accounts/default/email", "instance/service-accounts/%s/email" % args.email):
            return 200, args.email, "application/text"
        if rel in ("instance/service-accounts/default/scopes", "instance/service-accounts/%s/scopes" % args.email):
            return 200, CLOUD_PLATFORM + "\n", "application/text"
        if rel == "project/project-id":
            return 200, args.project, "application/text"
        if rel == "project/numeric-project-id":
            return 200, project_number, "application/text"
        return 404, "", "text/html; charset=UTF-8"

    def issue_token(self):
        st, args = self.server.state, self.server.args
        with st.lock:
            st.tokens_issued += 1
            token = "%s-%d" % (args.token, st.tokens_issued) if args.unique_tokens else args.token
            st.tokens[token] = {"token": token, "expires_at": time.time() + args.token_ttl, "revoked": False,
                                "source": "metadata"}
        doc = {"access_token": token, "expires_in": int(args.token_ttl), "token_type": "Bearer"}
        return self.send(200, json.dumps(doc), "application/json")

    def do_GET(self):
        u = urlsplit(self.path)
        path = u.path
        if path.startswith("/_control/"):
            return self.control("GET", path)
        st = self.server.state
        with st.lock:
            st.requests += 1
            st.paths[path] = st.paths.get(path, 0) + 1
        if self.headers.get("Metadata-Flavor") != "Google" or self.headers.get("X-Forwarded-For") is not None:
            with st.lock:
                st.forbidden += 1
            return self.send(403, "Missing required header: Metadata-Flavor: Google\n", "text/html; charset=UTF-8")
        if path == "/":
            return self.send(200, "computeMetadata/\n")
        if path in ("/computeMetadata", "/computeMetadata/"):
            return self.send(200, "v1/\n")
        if not path.startswith(V1) and path != V1.rstrip("/"):
            return self.send(404, "")
        rel = path[len(V1):] if path.startswith(V1) else ""
        if rel in ("instance/service-accounts/default/token", "instance/service-accounts/%s/token" % self.server.args.email):
            return self.issue_token()
        query = parse_qs(u.query)
        if query.get("wait_for_change", ["false"])[0].lower() == "true":
            return self.wait_for_change(rel, query)
        code, body, ctype = self.value(rel)
        headers = [("ETag", etag(body))] if code == 200 else []
        return self.send(code, body, ctype, headers)

    def wait_for_change(self, rel, query):
        st = self.server.state
        try:
            timeout = min(float(query.get("timeout_sec", ["60"])[0]), 300.0)
        except ValueError:
            return self.send(400, "bad timeout_sec\n")
        last = query.get("last_etag", [None])[0]
        deadline = time.monotonic() + timeout
        with st.lock:
            code, body, ctype = self.value(rel)
            if code != 200:
                pass
            elif last is None:
                last = etag(body)
            while code == 200 and etag(body) == last:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                st.changed.wait(left)
                code, body, ctype = self.value(rel)
        headers = [("ETag", etag(body))] if code == 200 else []
        return self.send(code, body, ctype, headers)

    def do_HEAD(self):
        return self.do_GET()

    def do_POST(self):
        path = urlsplit(self.path).path
        if path.startswith("/_control/"):
            return self.control("POST", path)
        self.body()
        return self.send(405, "")

    def do_DELETE(self):
        path = urlsplit(self.path).path
        if path.startswith("/_control/"):
            return self.control("DELETE", path)
        return self.send(405, "")

    def do_PUT(self):
        path = urlsplit(self.path).path
        if path.startswith("/_control/"):
            return self.control("PUT", path)
        self.body()
        return self.send(405, "")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fakelib.add_port_file_argument(p)
    p.add_argument("--instance-name", default="fake-gce-instance")
    p.add_argument("--project", default="test-proj")
    p.add_argument("--token", default="ya29.metadata-token")
    p.add_argument("--token-ttl", type=float, default=3599)
    p.add_argument("--unique-tokens", action="store_true", help='each token is --token + "-<n>"')
    p.add_argument("--email", default="1234567890-compute@developer.gserviceaccount.com")
    p.add_argument("--preempted", action="store_true", help="start preempted (TRUE)")
    args = p.parse_args()

    fakelib.serve(Handler, State(args), args, "gce_metadata")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""ecs_creds.py - a fake container credentials endpoint (ECS task role / EKS Pod Identity) for the
integration tests: what AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN
point at.

    python3 tests/fakes/ecs_creds.py --port-file F [--path /v2/credentials/ID] [--auth-token TOKEN]
        [--access-key AK --secret-key SK --session-token T | --creds-file JSON] [--creds-ttl S]

Listens on 127.0.0.1 on a free port and writes the port to --port-file (whole, by rename) once it
is listening. Every request line is logged to stderr.

GET --path (default /creds) with an `Authorization` header equal to --auth-token (when one is given;
without --auth-token no header is needed, as for AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) returns
{"RoleArn", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}; Expiration = now + --creds-ttl
(default 3600 s). A missing or wrong header gets 401 with a JSON error, other paths 404.
--creds-file is read at every request ({"AccessKeyId", "SecretAccessKey", "SessionToken" or "Token"},
or `aws sts assume-role` output).

Control: GET /_control/stats -> {"paths": {path: requests}, "ok": n, "unauthorized": n}.
"""
import argparse
import datetime
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def iso_z(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_keys(args):
    if args.creds_file:
        with open(args.creds_file, encoding="utf-8") as f:
            c = json.load(f)
        c = c.get("Credentials") or c.get("AccessKey") or c
        return c["AccessKeyId"], c["SecretAccessKey"], c.get("SessionToken") or c.get("Token") or ""
    return args.access_key, args.secret_key, args.session_token


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-container-credentials"
    sys_version = ""

    def log_message(self, fmt, *args):
        sys.stderr.write("ecs_creds: %s - %s\n" % (self.address_string(), fmt % args))

    def send(self, code, doc):
        body = json.dumps(doc).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st, args = self.server.state, self.server.args
        path = self.path.split("?", 1)[0]
        if path == "/_control/stats":
            with st["lock"]:
                return self.send(200, {k: (dict(v) if isinstance(v, dict) else v) for k, v in st.items() if k != "lock"})
        with st["lock"]:
            st["paths"][path] = st["paths"].get(path, 0) + 1
        if path != args.path:
            return self.send(404, {"code": "NotFound", "message": "no credentials at %s" % path})
        if args.auth_token and self.headers.get("Authorization") != args.auth_token:
            with st["lock"]:
                st["unauthorized"] += 1
            return self.send(401, {"code": "AccessDenied", "message": "the Authorization header is missing or wrong"})
        try:
            ak, sk, tok = load_keys(args)
        except (OSError, ValueError, KeyError) as e:
            return self.send(500, {"code": "InternalError", "message": "cannot read the credentials: %s" % e})
        with st["lock"]:
            st["ok"] += 1
        return self.send(200, {"RoleArn": "arn:aws:iam::123456789012:role/worker-role", "AccessKeyId": ak,
                               "SecretAccessKey": sk, "Token": tok, "Expiration": iso_z(time.time() + args.creds_ttl)})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 0:
            self.rfile.read(n)
        self.send(405, {"code": "MethodNotAllowed", "message": "GET only"})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--path", default="/creds")
    p.add_argument("--auth-token", default="", help="the Authorization header value required; empty: none")
    p.add_argument("--access-key", default="ASIAIOSFODNN7EXAMPLE")
    p.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    p.add_argument("--session-token", default="FwoGZXIvYXdzEFAKESESSIONTOKEN")
    p.add_argument("--creds-file", help="JSON with the keys, read at every request")
    p.add_argument("--creds-ttl", type=float, default=3600, help="Expiration = now + this (seconds)")
    args = p.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = {"lock": threading.Lock(), "paths": {}, "ok": 0, "unauthorized": 0}
    server.args = args
    tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)
    sys.stderr.write("ecs_creds: listening on 127.0.0.1:%d\n" % server.server_address[1])
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()

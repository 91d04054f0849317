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
import json
import time

import fakelib
from fakelib import iso_z, load_keys


class Handler(fakelib.Handler):
    server_version = "fake-container-credentials"
    log_name = "ecs_creds"

    def send(self, code, doc):
        self.send_raw(code, json.dumps(doc), "application/json")

    def do_GET(self):
        st, args = self.server.state, self.server.args
        path = self.path.split("?", 1)[0]
        if path == "/_control/stats":
            with st.lock:
                return self.send(200, st.snapshot_locked("paths", "ok", "unauthorized"))
        st.count(path)
        if path != args.path:
            return self.send(404, {"code": "NotFound", "message": "no credentials at %s" % path})
        if args.auth_token and self.headers.get("Authorization") != args.auth_token:
            with st.lock:
                st.unauthorized += 1
            return self.send(401, {"code": "AccessDenied", "message": "the Authorization header is missing or wrong"})
        try:
            ak, sk, tok = load_keys(args)
        except (OSError, ValueError, KeyError) as e:
            return self.send(500, {"code": "InternalError", "message": "cannot read the credentials: %s" % e})
        with st.lock:
            st.ok += 1
        return self.send(200, {"RoleArn": "arn:aws:iam::123456789012:role/worker-role", "AccessKeyId": ak,
                               "SecretAccessKey": sk, "Token": tok, "Expiration": iso_z(time.time() + args.creds_ttl)})

    def do_POST(self):
        self.body()
        self.send(405, {"code": "MethodNotAllowed", "message": "GET only"})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fakelib.add_port_file_argument(p)
    p.add_argument("--path", default="/creds")
    p.add_argument("--auth-token", default="", help="the Authorization header value required; empty: none")
    p.add_argument("--access-key", default="ASIAIOSFODNN7EXAMPLE")
    p.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    p.add_argument("--session-token", default="FwoGZXIvYXdzEFAKESESSIONTOKEN")
    p.add_argument("--creds-file", help="JSON with the keys, read at every request")
    p.add_argument("--creds-ttl", type=float, default=3600, help="Expiration = now + this (seconds)")
    args = p.parse_args()

    fakelib.serve(Handler, fakelib.Stats(ok=0, unauthorized=0), args, "ecs_creds")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""imds.py - a fake EC2 instance metadata service (IMDSv2 only) for the integration tests.

    python3 tests/fakes/imds.py --port-file F [--instance-id i-...] [--region R] [--role NAME]
        [--access-key AK --secret-key SK [--session-token T] | --creds-file JSON] [--creds-ttl S]

Listens on 127.0.0.1 on a free port and writes the port to --port-file (whole, by rename) once it
is listening. Every request line is logged to stderr.

IMDSv2: `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds: 1..21600` returns a
random token (400 without a valid TTL); every GET must carry `X-aws-ec2-metadata-token` with a
token issued here and not expired, else 401 (IMDSv1 requests are refused, as on an instance that
requires IMDSv2). Served:
    /latest/meta-data/instance-id                    --instance-id
    /latest/meta-data/placement/region               --region
    /latest/meta-data/placement/availability-zone    --region + "a" (what botocore reads)
    /latest/dynamic/instance-identity/document       JSON with instanceId, region, ...
    /latest/meta-data/spot/instance-action           404 until a notice is set, then
                                                     {"action": "terminate", "time": "...Z"}
    /latest/meta-data/spot/termination-time          the legacy key: the notice's time
    /latest/meta-data/iam/security-credentials/      the role name (404 with --role "")
    /latest/meta-data/iam/security-credentials/ROLE  {"Code": "Success", "LastUpdated", "Type": "AWS-HMAC",
                                                     "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
Expiration is now + --creds-ttl (default 21600) at every fetch. --creds-file is read at every
fetch, so a test can rotate the keys; it holds {"AccessKeyId", "SecretAccessKey", "SessionToken"
or "Token"} or the output of `aws sts assume-role` ({"Credentials": {...}}) or of `aws iam
create-access-key` ({"AccessKey": {...}}).

Control (no token needed):
    POST   /_control/spot    set the spot notice; optional JSON body {"action", "time"}
                             (default terminate, now + 120 s)
    DELETE /_control/spot    clear it
    GET    /_control/stats   {"paths": {path: requests}, "unauthorized": GETs without a valid token,
                              "tokens_issued": n, "bad_token_requests": PUTs refused}
"""
import argparse
import json
import secrets
import time

import fakelib
from fakelib import iso_z, load_keys

MD = "/latest/meta-data/"


def new_state():
    return fakelib.Stats(tokens={},           # token -> expiry (monotonic)
                         unauthorized=0, tokens_issued=0, bad_token_requests=0,
                         spot=None)           # {"action", "time"} once set


class Handler(fakelib.Handler):
    server_version = "fake-imds"
    log_name = "imds"

    def send(self, code, body=b"", ctype="text/plain", headers=()):
        self.send_raw(code, body, ctype, headers)

    def count(self, path):
        self.server.state.count(path)

    # ---- control ---------------------------------------------------------------------------------

    def control(self, method, path):
        st = self.server.state
        raw = self.body()
        if path == "/_control/stats" and method == "GET":
            with st.lock:
                doc = st.snapshot_locked("paths", "unauthorized", "tokens_issued", "bad_token_requests", "spot")
            return self.send(200, json.dumps(doc), "application/json")
        if path == "/_control/spot" and method == "POST":
            try:
                req = json.loads(raw) if raw.strip() else {}
            except ValueError:
                return self.send(400, "body is not JSON\n")
            notice = {"action": req.get("action", "terminate"), "time": req.get("time") or iso_z(time.time() + 120)}
            with st.lock:
                st.spot = notice
            return self.send(200, json.dumps(notice), "application/json")
        if path == "/_control/spot" and method == "DELETE":
            with st.lock:
                st.spot = None
            return self.send(200, "{}", "application/json")
        return self.send(404, "no such control endpoint\n")

    # ---- IMDS ------------------------------------------------------------------------------------

    def do_PUT(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/_control/"):
            return self.control("PUT", path)
        self.body()
        self.count(path)
        if path != "/latest/api/token":
            return self.send(405 if path.startswith("/latest/") else 404, "")
        st = self.server.state
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            with st.lock:
                st.bad_token_requests += 1
            return self.send(400, "")
        token = "AQAEA" + secrets.token_urlsafe(42)
        with st.lock:
            st.tokens[token] = time.monotonic() + int(ttl)
            st.tokens_issued += 1
        return self.send(200, token, headers=[("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/_control/"):
            return self.control("POST", path)
        self.body()
        self.count(path)
        return self.send(405, "")

    def do_DELETE(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/_control/"):
            return self.control("DELETE", path)
        self.count(path)
        return self.send(405, "")

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/_control/"):
            return self.control("GET", path)
        self.count(path)
        st, args = self.server.state, self.server.args
        token = self.headers.get("X-aws-ec2-metadata-token")
        with st.lock:
            expiry = st.tokens.get(token) if token else None
            valid = expiry is not None and expiry > time.monotonic()
            if not valid:
                st.unauthorized += 1
            spot = st.spot
        if not valid:
            return self.send(401, "")
        if path in ("/latest/meta-data", MD):
            return self.send(200, "instance-id\nplacement/\nspot/\niam/\n")
        if path == MD + "instance-id":
            return self.send(200, args.instance_id)
        if path == MD + "placement/region":
            return self.send(200, args.region)
        if path == MD + "placement/availability-zone":
            return self.send(200, args.region + "a")
        if path == "/latest/dynamic/instance-identity/document":
            doc = {"accountId": "123456789012", "architecture": "x86_64", "availabilityZone": args.region + "a",
                   "imageId": "ami-0123456789abcdef0", "instanceId": args.instance_id, "instanceType": "m5.large",
                   "pendingTime": iso_z(time.time() - 60), "privateIp": "10.0.0.1", "region": args.region,
                   "version": "2017-09-30"}
            return self.send(200, json.dumps(doc, indent=2), "application/json")
        if path == MD + "spot/instance-action":
            if spot is None:
                return self.send(404, "")
            return self.send(200, json.dumps(spot), "text/plain")
        if path == MD + "spot/termination-time":
            if spot is None:
                return self.send(404, "")
            return self.send(200, spot["time"])
        if path in (MD + "iam/security-credentials", MD + "iam/security-credentials/"):
            if not args.role:
                return self.send(404, "")
            return self.send(200, args.role)
        if args.role and path == MD + "iam/security-credentials/" + args.role:
            try:
                ak, sk, tok = load_keys(args)
            except (OSError, ValueError, KeyError) as e:
                return self.send(500, "cannot read the credentials: %s\n" % e)
            now = time.time()
            doc = {"Code": "Success", "LastUpdated": iso_z(now), "Type": "AWS-HMAC", "AccessKeyId": ak,
                   "SecretAccessKey": sk, "Token": tok, "Expiration": iso_z(now + args.creds_ttl)}
            return self.send(200, json.dumps(doc, indent=2), "text/plain")
        return self.send(404, "")

    do_HEAD = do_GET


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fakelib.add_port_file_argument(p)
    p.add_argument("--instance-id", default="i-0123456789abcdef0")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--role", default="worker-role", help='IAM role name; "" for an instance without a role')
    p.add_argument("--access-key", default="AKIAIOSFODNN7EXAMPLE")
    p.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    p.add_argument("--session-token", default="")
    p.add_argument("--creds-file", help="JSON with the keys, read at every fetch")
    p.add_argument("--creds-ttl", type=float, default=21600, help="Expiration = now + this (seconds)")
    args = p.parse_args()

    fakelib.serve(Handler, new_state(), args, "imds")


if __name__ == "__main__":
    main()

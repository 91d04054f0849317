#!/usr/bin/env python3
"""sts.py - a fake AWS STS endpoint for AssumeRoleWithWebIdentity, for the integration tests.

    python3 tests/fakes/sts.py --port-file F --token-file TOKEN --role-arn ARN
        [--access-key AK --secret-key SK --session-token T | --creds-file JSON] [--creds-ttl S]
        [--docs-order]

Listens on 127.0.0.1 on a free port and writes the port to --port-file (whole, by rename) once it
is listening. Every request line is logged to stderr.

The query protocol, as the SDKs send it: `POST /` with a form body
`Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=...&RoleSessionName=...&WebIdentityToken=...`
(the same parameters in the query string of a GET work too). The request is unsigned, as with the
real service. Checks, each answered with the STS XML error document:
    Action is AssumeRoleWithWebIdentity            else 400 InvalidAction
    Version is 2011-06-15                          else 400 MissingParameter / InvalidParameterValue
    RoleSessionName is 2..64 of [\\w+=,.@-]         else 400 ValidationError
    DurationSeconds (optional) is 900..43200       else 400 ValidationError
    WebIdentityToken equals the content of --token-file (read at each request; a trailing
                                                   newline in the file is ignored)
                                                   else 400 InvalidIdentityToken
    RoleArn equals --role-arn                      else 403 AccessDenied
On success: the real response document with the keys from the arguments or --creds-file (read at
each request; {"AccessKeyId", "SecretAccessKey", "SessionToken"}, or `aws sts assume-role` output),
Expiration = now + --creds-ttl if given, else DurationSeconds, else 3600 s. The members of
<Credentials> come in the order AccessKeyId, SecretAccessKey, SessionToken, Expiration, or with
--docs-order in the order of the example in the API reference (SessionToken, SecretAccessKey,
Expiration, AccessKeyId), so a parser that depends on the order is caught.

Control: GET /_control/stats -> {"paths": {path: requests}, "ok": n, "rejected": n,
"errors": {code: n}, "signed": requests that carried an Authorization header,
"last": the last request's parameters without WebIdentityToken}.
"""
import argparse
import json
import re
import time
import uuid
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import fakelib
from fakelib import iso_z, load_keys

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")


def new_state():
    return fakelib.Stats(ok=0, rejected=0, errors={}, signed=0, last=None)


class Handler(fakelib.Handler):
    server_version = "fake-sts"
    log_name = "sts"

    def send(self, code, body, ctype="text/xml"):
        self.send_raw(code, body, ctype, [("x-amzn-RequestId", str(uuid.uuid4()))])

    def error(self, status, code, message, kind="Sender"):
        st = self.server.state
        with st.lock:
            st.rejected += 1
            st.errors[code] = st.errors.get(code, 0) + 1
        doc = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n'
               '    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
               % (NS, kind, code, escape(message), uuid.uuid4()))
        return self.send(status, doc)

    def do_GET(self):
        self.handle_sts("GET")

    def do_POST(self):
        self.handle_sts("POST")

    def handle_sts(self, method):
        st, args = self.server.state, self.server.args
        path, _, query = self.path.partition("?")
        raw = self.body()
        if path.startswith("/_control/"):
            if path == "/_control/stats" and method == "GET":
                with st.lock:
                    doc = st.snapshot_locked("paths", "ok", "rejected", "errors", "signed", "last")
                return self.send(200, json.dumps(doc), "application/json")
            return self.send(404, "no such control endpoint\n", "text/plain")
        with st.lock:
            st.paths[path] = st.paths.get(path, 0) + 1
            if self.headers.get("Authorization"):
                st.signed += 1
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if method == "POST":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if raw and ctype not in ("application/x-www-form-urlencoded", ""):
                return self.error(400, "InvalidParameterValue", "Content-Type %s is not supported" % ctype)
            params.update({k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()})
        with st.lock:
            st.last = {k: v for k, v in params.items() if k != "WebIdentityToken"}
            st.last["has_WebIdentityToken"] = "WebIdentityToken" in params
            st.last["method"] = method

        action = params.get("Action")
        if action is None:
            return self.error(400, "MissingAction", "Missing Action")
        if action != "AssumeRoleWithWebIdentity":
            return self.error(400, "InvalidAction", "Could not find operation %s for version %s"
                              % (action, params.get("Version", "NO_VERSION_SPECIFIED")))
        version = params.get("Version")
        if version is None:
            return self.error(400, "MissingParameter", "The request must contain the parameter Version")
        if version != "2011-06-15":
            return self.error(400, "InvalidParameterValue", "Could not find operation %s for version %s" % (action, version))
        for name in ("RoleArn", "RoleSessionName", "WebIdentityToken"):
            if not params.get(name):
                return self.error(400, "ValidationError", "1 validation error detected: Value null at '%s%s' failed to "
                                  "satisfy constraint: Member must not be null" % (name[0].lower(), name[1:]))
        if not SESSION_NAME.match(params["RoleSessionName"]):
            return self.error(400, "ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' "
                              "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                              "[\\w+=,.@-]*" % params["RoleSessionName"])
        duration = params.get("DurationSeconds")
        if duration is not None and not (duration.isdigit() and 900 <= int(duration) <= 43200):
            return self.error(400, "ValidationError", "1 validation error detected: Value '%s' at 'durationSeconds' "
                              "failed to satisfy constraint: Member must have value between 900 and 43200" % duration)
        try:
            with open(args.token_file, encoding="utf-8") as f:
                want = f.read()
        except OSError as e:
            return self.error(500, "InternalFailure", "the fake cannot read its token file: %s" % e, "Receiver")
        if params["WebIdentityToken"] not in (want, want.rstrip("\r\n")):
            return self.error(400, "InvalidIdentityToken", "The web identity token that was passed could not be "
                              "validated by AWS. Get a new identity token from the identity provider and then retry "
                              "the request.")
        if params["RoleArn"] != args.role_arn:
            return self.error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        try:
            ak, sk, tok = load_keys(args)
        except (OSError, ValueError, KeyError) as e:
            return self.error(500, "InternalFailure", "the fake cannot read its credentials: %s" % e, "Receiver")

        ttl = args.creds_ttl if args.creds_ttl is not None else int(duration or 3600)
        members = {"AccessKeyId": ak, "SecretAccessKey": sk, "SessionToken": tok, "Expiration": iso_z(time.time() + ttl)}
        order = (["SessionToken", "SecretAccessKey", "Expiration", "AccessKeyId"] if args.docs_order
                 else ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"])
        creds = "".join("      <%s>%s</%s>\n" % (k, escape(members[k]), k) for k in order)
        role = args.role_arn.split("/")[-1]
        session = params["RoleSessionName"]
        doc = ('<AssumeRoleWithWebIdentityResponse xmlns="%s">\n'
               '  <AssumeRoleWithWebIdentityResult>\n'
               '    <SubjectFromWebIdentityToken>system:serviceaccount:default:worker</SubjectFromWebIdentityToken>\n'
               '    <Audience>sts.amazonaws.com</Audience>\n'
               '    <AssumedRoleUser>\n'
               '      <Arn>arn:aws:sts::123456789012:assumed-role/%s/%s</Arn>\n'
               '      <AssumedRoleId>AROARZPUZDIKFAKEROLE:%s</AssumedRoleId>\n'
               '    </AssumedRoleUser>\n'
               '    <Credentials>\n%s    </Credentials>\n'
               '    <Provider>arn:aws:iam::123456789012:oidc-provider/oidc.example.com</Provider>\n'
               '  </AssumeRoleWithWebIdentityResult>\n'
               '  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n'
               '</AssumeRoleWithWebIdentityResponse>\n'
               % (NS, escape(role), escape(session), escape(session), creds, uuid.uuid4()))
        with st.lock:
            st.ok += 1
        return self.send(200, doc)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fakelib.add_port_file_argument(p)
    p.add_argument("--token-file", required=True, help="the web identity token the worker must send")
    p.add_argument("--role-arn", required=True)
    p.add_argument("--access-key", default="ASIAIOSFODNN7EXAMPLE")
    p.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    p.add_argument("--session-token", default="FwoGZXIvYXdzEFAKESESSIONTOKEN")
    p.add_argument("--creds-file", help="JSON with the keys, read at every request")
    p.add_argument("--creds-ttl", type=float, default=None, help="Expiration = now + this (seconds)")
    p.add_argument("--docs-order", action="store_true", help="the API reference example's member order")
    args = p.parse_args()

    fakelib.serve(Handler, new_state(), args, "sts")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""google_token.py - a fake Google OAuth2 token endpoint for the integration tests.

    /usr/bin/python3 tests/fakes/google_token.py --port-file F
        [--public-key PEM]... [--client-email E] [--key-id KID] [--audience URL]... [--ttl S]
        [--client-id ID --client-secret S --refresh-token R] [--token-prefix P]

Needs PyJWT and cryptography: run it with Debian's /usr/bin/python3 (python3-jwt,
python3-cryptography), not the pyenv python3 on PATH. Listens on 127.0.0.1 on a free port and
writes the port to --port-file (whole, by rename) once it is listening. Every request line is
logged to stderr.

`POST /token`, `Content-Type: application/x-www-form-urlencoded` (else 400 invalid_request), each
parameter at most once:

grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT (service-account keys). The
assertion must be three base64url parts without padding; its header {"alg": "RS256", "typ": "JWT",
"kid": --key-id} (kid checked only if --key-id is given); its RS256 signature must verify (PyJWT)
with one of the --public-key files (read at every request, so they may be written after the
server starts); its claims: iss == --client-email, aud == one of --audience (default
http://127.0.0.1:PORT/token, this server), scope a space-separated list holding
https://www.googleapis.com/auth/pubsub or https://www.googleapis.com/auth/cloud-platform, iat and
exp integers with iat within 300 s of now, iat < exp <= iat + 3600, exp in the future; sub, if
present, equal to iss. Any failure: 400 {"error": "invalid_grant", "error_description": why}
(malformed requests: 400 invalid_request).

grant_type=refresh_token&client_id=..&client_secret=..&refresh_token=.. (authorized_user files):
a wrong client_id or client_secret -> 401 {"error": "invalid_client", "error_description":
"Unauthorized"}; a wrong refresh_token -> 400 {"error": "invalid_grant", "error_description":
"Bad Request"}. Without --refresh-token this grant is refused (400 unsupported_grant_type).

Other grant types: 400 unsupported_grant_type. On success: 200 {"access_token": PREFIX + n,
"expires_in": --ttl, "token_type": "Bearer"} (the refresh grant adds "scope", as Google does),
PREFIX = --token-prefix (default "ya29.fake-"), n = 1, 2, ... over both grants; the token is
recorded as valid until now + --ttl.

Control:
    GET    /_control/tokens  {"tokens": [{"token", "expires_at" (epoch s), "revoked", "grant",
                              "source": "google_token"}], "issued": n}
                             (what pubsub_auth_proxy.py --tokens-url reads)
    POST   /_control/revoke  every token issued so far is revoked (optional JSON body
                             {"token": T}: only that one)
    POST   /_control/fail    JSON {"status": 503, "count": N}: the next N token requests get that
                             status (body {"error": "temporarily_unavailable"} / "internal_failure")
    GET    /_control/stats   {"paths": {path: requests}, "jwt_ok", "jwt_rejected", "refresh_ok",
                              "refresh_rejected", "other_rejected", "injected", "errors":
                              {error_description: n}, "last_header", "last_claims" (of the last
                              JWT whose signature verified), "last_error", "last_assertion" (the
                              last JWT received, verified or not), "content_types": {content type: n}}
"""
import argparse
import base64
import json
import re
import sys
import time
from urllib.parse import parse_qs

import jwt  # PyJWT (Debian python3-jwt)

import fakelib

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPES_OK = ("https://www.googleapis.com/auth/pubsub", "https://www.googleapis.com/auth/cloud-platform")
COMPACT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


class Refused(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def new_state():
    return fakelib.Stats(tokens={}, issued=0, jwt_ok=0, jwt_rejected=0, refresh_ok=0, refresh_rejected=0,
                         other_rejected=0, injected=0, fail_status=0, fail_count=0, errors={}, content_types={},
                         last_header=None, last_claims=None, last_error=None, last_assertion=None)


def b64url_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class Handler(fakelib.AnyMethod, fakelib.Handler):
    server_version = "fake-google-oauth2"
    log_name = "google_token"

    def send(self, code, doc, headers=()):
        body = (json.dumps(doc, indent=2) + "\n").encode("utf-8") if not isinstance(doc, bytes) else doc
        self.send_raw(code, body, "application/json; charset=utf-8",
                      [("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")] + list(headers))

    # ---- control ---------------------------------------------------------------------------------

    def control(self, method, path, raw):
        st = self.server.state
        if path == "/_control/tokens" and method == "GET":
            with st.lock:
                return self.send(200, {"tokens": [dict(t) for t in st.tokens.values()], "issued": st.issued})
        if path == "/_control/stats" and method == "GET":
            with st.lock:
                doc = {"paths": dict(st.paths), "jwt_ok": st.jwt_ok, "jwt_rejected": st.jwt_rejected,
                       "refresh_ok": st.refresh_ok, "refresh_rejected": st.refresh_rejected,
                       "other_rejected": st.other_rejected, "injected": st.injected, "issued": st.issued,
                       "errors": dict(st.errors), "last_header": st.last_header, "last_claims": st.last_claims,
                       "last_error": st.last_error, "last_assertion": st.last_assertion,
                       "content_types": dict(st.content_types)}
            return self.send(200, doc)
        if path == "/_control/revoke" and method == "POST":
            try:
                req = json.loads(raw) if raw.strip() else {}
            except ValueError:
                return self.send(400, {"error": "body is not JSON"})
            with st.lock:
                n = 0
                for t in st.tokens.values():
                    if "token" not in req or req["token"] == t["token"]:
                        t["revoked"] = True
                        n += 1
            return self.send(200, {"revoked": n})
        if path == "/_control/fail" and method == "POST":
            try:
                req = json.loads(raw)
                status, count = int(req.get("status", 503)), int(req.get("count", 1))
            except (ValueError, TypeError, AttributeError):
                return self.send(400, {"error": "expected {\"status\": N, \"count\": N}"})
            with st.lock:
                st.fail_status, st.fail_count = status, count
            return self.send(200, {"status": status, "count": count})
        return self.send(404, {"error": "no such control endpoint"})

    # ---- the token endpoint ----------------------------------------------------------------------

    def issue(self, grant, scope=None):
        st, args = self.server.state, self.server.args
        with st.lock:
            st.issued += 1
            token = "%s%d" % (args.token_prefix, st.issued)
            st.tokens[token] = {"token": token, "expires_at": time.time() + args.ttl, "revoked": False,
                                "grant": grant, "source": "google_token"}
        doc = {"access_token": token, "expires_in": int(args.ttl), "token_type": "Bearer"}
        if scope:
            doc["scope"] = scope
        return doc

    def check_jwt(self, assertion):
        st, args = self.server.state, self.server.args
        with st.lock:
            st.last_assertion = assertion
        if not COMPACT.match(assertion):
            raise Refused(400, "invalid_grant", "Invalid JWT: not three base64url parts without padding")
        try:
            header = b64url_json(assertion.split(".")[0])
        except ValueError as e:
            raise Refused(400, "invalid_grant", "Invalid JWT header: %s" % e) from e
        with st.lock:
            st.last_header = header
        if not isinstance(header, dict):
            raise Refused(400, "invalid_grant", "Invalid JWT header: not an object")
        if header.get("alg") != "RS256":
            raise Refused(400, "invalid_grant", "Invalid JWT: alg must be RS256, got %r" % header.get("alg"))
        if header.get("typ") != "JWT":
            raise Refused(400, "invalid_grant", "Invalid JWT: typ must be JWT, got %r" % header.get("typ"))
        if args.key_id and header.get("kid") != args.key_id:
            raise Refused(400, "invalid_grant", "Invalid JWT: kid %r is not the key id %r" % (header.get("kid"), args.key_id))
        keys = []
        for path in args.public_key:
            try:
                with open(path, "rb") as f:
                    keys.append(f.read())
            except OSError:
                pass
        if not keys:
            raise Refused(400, "invalid_grant", "Invalid JWT Signature. (the fake has no public key file yet)")
        claims = None
        for key in keys:
            try:
                claims = jwt.decode(assertion, key, algorithms=["RS256"],
                                    options={"verify_signature": True, "verify_aud": False, "verify_exp": False,
                                             "verify_iat": False, "verify_nbf": False, "verify_iss": False})
                break
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as e:
                raise Refused(400, "invalid_grant", "Invalid JWT: %s" % e) from e
        if claims is None:
            raise Refused(400, "invalid_grant", "Invalid JWT Signature.")
        with st.lock:
            st.last_claims = claims
        if claims.get("iss") != args.client_email:
            raise Refused(400, "invalid_grant", "Invalid JWT: iss %r is not the service account %r"
                          % (claims.get("iss"), args.client_email))
        if "sub" in claims and claims["sub"] != claims.get("iss"):
            raise Refused(400, "invalid_grant", "Invalid JWT: sub %r (domain-wide delegation) not allowed" % claims["sub"])
        audiences = args.audience or ["http://127.0.0.1:%d/token" % self.server.server_address[1]]
        if claims.get("aud") not in audiences:
            raise Refused(400, "invalid_grant", "Invalid JWT: aud %r is not the token URI %s" % (claims.get("aud"), audiences[0]))
        scope = claims.get("scope")
        if not isinstance(scope, str) or not any(s in SCOPES_OK for s in scope.split(" ")):
            raise Refused(400, "invalid_scope", "Invalid JWT: scope %r holds neither %s" % (scope, " nor ".join(SCOPES_OK)))
        iat, exp = claims.get("iat"), claims.get("exp")
        if type(iat) is not int or type(exp) is not int:
            raise Refused(400, "invalid_grant", "Invalid JWT: iat and exp must be integers (got %r, %r)" % (iat, exp))
        now = time.time()
        if abs(iat - now) > 300:
            raise Refused(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                          "reasonable timeframe. Check your iat and exp values in the JWT claim. (iat is %d s from now)"
                          % int(iat - now))
        if not iat < exp <= iat + 3600:
            raise Refused(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                          "reasonable timeframe. Check your iat and exp values in the JWT claim. (exp - iat = %d)" % (exp - iat))
        if exp <= now:
            raise Refused(400, "invalid_grant", "Invalid JWT: the assertion has expired")
        return claims

    def token(self, raw):
        st, args = self.server.state, self.server.args
        ctype = self.headers.get("Content-Type", "")
        with st.lock:
            st.content_types[ctype] = st.content_types.get(ctype, 0) + 1
            if st.fail_count > 0:
                st.fail_count -= 1
                st.injected += 1
                status = st.fail_status
                return self.send(status, {"error": "temporarily_unavailable" if status == 503 else "internal_failure",
                                          "error_description": "injected failure"})
        grant = None
        try:
            if ctype.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
                raise Refused(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded, got %r" % ctype)
            try:
                form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError) as e:
                raise Refused(400, "invalid_request", "the body is not a form: %s" % e) from e
            for k, v in form.items():
                if len(v) != 1:
                    raise Refused(400, "invalid_request", "parameter %s given %d times" % (k, len(v)))
            form = {k: v[0] for k, v in form.items()}
            grant = form.get("grant_type")
            if grant == JWT_GRANT:
                if not form.get("assertion"):
                    raise Refused(400, "invalid_request", "Missing required parameter: assertion")
                self.check_jwt(form["assertion"])
                doc = self.issue("jwt-bearer")
                with st.lock:
                    st.jwt_ok += 1
                return self.send(200, doc)
            if grant == "refresh_token" and args.refresh_token:
                for k in ("client_id", "client_secret", "refresh_token"):
                    if not form.get(k):
                        raise Refused(400, "invalid_request", "Missing required parameter: %s" % k)
                if form["client_id"] != args.client_id or form["client_secret"] != args.client_secret:
                    raise Refused(401, "invalid_client", "Unauthorized")
                if form["refresh_token"] != args.refresh_token:
                    raise Refused(400, "invalid_grant", "Bad Request")
                doc = self.issue("refresh_token", scope="https://www.googleapis.com/auth/cloud-platform openid "
                                 "https://www.googleapis.com/auth/userinfo.email")
                with st.lock:
                    st.refresh_ok += 1
                return self.send(200, doc)
            raise Refused(400, "unsupported_grant_type", "Invalid grant_type: %s" % grant)
        except Refused as r:
            with st.lock:
                if grant == JWT_GRANT:
                    st.jwt_rejected += 1
                elif grant == "refresh_token":
                    st.refresh_rejected += 1
                else:
                    st.other_rejected += 1
                st.errors[r.description] = st.errors.get(r.description, 0) + 1
                st.last_error = {"status": r.status, "error": r.error, "error_description": r.description}
            sys.stderr.write("google_token: refused (%s): %s\n" % (r.error, r.description))
            return self.send(r.status, {"error": r.error, "error_description": r.description})

    def handle_any(self, method):
        path = self.path.split("?", 1)[0]
        raw = self.body()
        if path.startswith("/_control/"):
            return self.control(method, path, raw)
        st = self.server.state
        st.count(path)
        if path != "/token":
            return self.send(404, {"error": "not_found", "error_description": "no such path: %s" % path})
        if method != "POST":
            return self.send(405, {"error": "invalid_request", "error_description": "use POST"})
        return self.token(raw)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fakelib.add_port_file_argument(p)
    p.add_argument("--public-key", action="append", default=[], help="PEM public key file (read at each request)")
    p.add_argument("--client-email", default="worker@sa-proj.iam.gserviceaccount.com")
    p.add_argument("--key-id", default="", help="the kid the JWT header must carry (not checked if empty)")
    p.add_argument("--audience", action="append", default=[],
                   help="accepted aud (default http://127.0.0.1:PORT/token)")
    p.add_argument("--ttl", type=float, default=3599)
    p.add_argument("--client-id", default="")
    p.add_argument("--client-secret", default="")
    p.add_argument("--refresh-token", default="", help="enables the refresh_token grant")
    p.add_argument("--token-prefix", default="ya29.fake-")
    args = p.parse_args()

    fakelib.serve(Handler, new_state(), args, "google_token")


if __name__ == "__main__":
    main()

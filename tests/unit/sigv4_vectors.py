#!/usr/bin/env python3
"""SigV4 test vectors from botocore, for tests/unit/test_sigv4.c.

    python3 tests/unit/sigv4_vectors.py [COUNT]      (default 300 cases)

Generates pseudo-random requests with a fixed seed (methods; paths with spaces, UTF-8, dot segments,
double and trailing slashes; query strings with repeated keys, empty values and encoded
characters; headers with mixed-case names, repeated names and extra white space; bodies; session
tokens; several regions and services, including S3, whose paths are not normalised) and signs each
one with botocore's SigV4Auth at a fixed timestamp: the pieces add_auth() calls, without its clock
(canonical_request, string_to_sign, signature).

Output, one line per case, tab-separated; every text field is hex-encoded UTF-8/bytes:
    case  method  path_and_query  headers  body  region  service  access_key  secret  token  normalize
    authorization  canonical_request
where headers is a comma-separated list of hex(name):hex(value) in the order they are sent, token is
"-" when there is none (else the C side passes it as session_token and botocore signs the
X-Amz-Security-Token header that add_auth() would add), and normalize is 0 for S3, else 1.
Lines starting with '#' are comments. Exits 77 when botocore cannot be imported.

Only headers botocore signs are generated (it skips user-agent, expect, x-amzn-trace-id and the
hop-by-hop headers), and query strings are generated already in AWS's canonical encoding
(RFC 3986 unreserved characters kept, everything else %XX in upper case), which is the form a
correct client sends: botocore signs the query as it is written, without re-encoding it.
"""
import hashlib
import random
import sys

try:
    import botocore
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from urllib.parse import quote
except ImportError:
    print("# SKIP botocore not available")
    sys.exit(77)

SEED = 20261129


class S3PathAuth(SigV4Auth):
    """SigV4 with S3's rule for the canonical URI (the path as sent, neither normalised nor
    encoded again), and nothing else of S3SigV4Auth (its payload rules need add_auth's context)."""

    def _normalize_url_path(self, path):
        return path


SERVICES = [  # (service, region, normalize_path)
    ("sqs", "us-east-1", 1), ("service", "us-east-1", 1), ("execute-api", "eu-west-3", 1),
    ("dynamodb", "ap-southeast-2", 1), ("iam", "us-east-1", 1), ("sts", "us-gov-west-1", 1),
    ("lambda", "cn-north-1", 1), ("es", "sa-east-1", 1), ("s3", "us-west-2", 0), ("s3", "eu-central-1", 0),
]
HOSTS = ["example.amazonaws.com", "sqs.us-east-1.amazonaws.com", "127.0.0.1:5000", "localhost:4566",
         "bucket.s3.us-west-2.amazonaws.com", "[::1]:8080", "EXAMPLE.amazonaws.com"]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"]
# raw path segments; "" makes a double slash, "." and ".." are dot segments
SEGMENTS = ["a", "foo", "bar", "index.html", "a b", "\u00fcn\u00efc\u00f6d\u00e9", "~user", "x+y", "x=y", "a:b",
            "a@b", "semi;colon", "per%cent", "a&b", "(paren)", "*star", "!bang", "'q'", "$d", ",c",
            "\u65e5\u672c", "..", ".", "", "", "-_.~", "caf\u00e9 au lait", "100%", "a\"b", "<>", "{x}",
            "back\\slash", "^", "|", "`"]
# segments already percent-encoded on the wire, kept as they are (lower- and upper-case hex)
ENCODED_SEGMENTS = ["a%20b", "%2F", "%2f", "%7E", "%e2%82%ac", "%41"]
KEYS = ["a", "b", "A", "B", "Param1", "param1", "Param2", "x-id", "list-type", "prefix", "max-keys", "Action",
        "k~", "a b", "\u00fc", "a.b", "_", "%", "=", "key with spaces", "Z", "z", "a1", "a_", "a-"]
VALUES = ["", "1", "value", "a b", "\u00fc", "=", "&", "+", "/", "~", "a/b", "*", "x%y", "\u65e5\u672c\u8a9e",
          "value2", "10", "2", "-_.~", "a=b&c=d", "'", "(x)", "caf\u00e9"]
HEADERS = [
    ("Content-Type", ["application/x-amz-json-1.0", "application/json; charset=utf-8", "text/plain",
                      "application/x-www-form-urlencoded; charset=utf-8"]),
    ("X-Amz-Target", ["AmazonSQS.ReceiveMessage", "DynamoDB_20120810.GetItem", "AmazonSQS.SendMessage"]),
    ("X-Amz-Meta-Foo", ["bar", "  spaced   value  ", "a\tb", "", "x  \t  y", "   "]),
    ("x-amz-meta-a_b", ["1", "two words"]),
    ("x-amz-meta-a-b", ["2", "  lead", "trail  "]),
    ("My-Header1", ["value1", "   value2   ", "\"a   b   c\"", "a, b"]),
    ("Accept", ["*/*", "application/json"]),
    ("Range", ["bytes=0-9"]),
    ("If-None-Match", ["\"etag\""]),
    ("Cache-Control", ["no-cache", "max-age=0,  private"]),
    ("X-Custom", ["x", "with:colon", "semi;colon", "=equals", "tab\tinside", "a\t\tb"]),
    ("zzz", ["last"]),
    ("aaa", ["first"]),
    ("X-Amz-Meta-", ["empty suffix"]),
    ("x-amz-meta-\u0061", ["ascii"]),
    ("Content-Encoding", ["gzip", "aws-chunked"]),
    ("X-Amz-Invocation-Type", ["Event"]),
]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def random_case(rng, name):
    r = rng.random()
    if r < 0.3:
        return name
    if r < 0.5:
        return name.lower()
    if r < 0.6:
        return name.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


def make_path(rng):
    n = rng.randint(0, 6)
    parts = []
    for _ in range(n):
        if rng.random() < 0.12:
            parts.append(rng.choice(ENCODED_SEGMENTS))
        else:
            seg = rng.choice(SEGMENTS)
            # on the wire: RFC 3986 path characters as they are, everything else %XX
            parts.append(quote(seg, safe="-_.~!$&'()*+,;=:@"))
    path = "/" + "/".join(parts)
    if parts and rng.random() < 0.25:
        path += "/"
    if rng.random() < 0.05:
        path = "/" + path  # a leading double slash
    return path


def make_query(rng):
    if rng.random() < 0.45:
        return None
    if rng.random() < 0.05:
        return ""  # "?" and nothing after it
    pairs = []
    for _ in range(rng.randint(1, 6)):
        key = rng.choice(KEYS)
        r = rng.random()
        if pairs and r < 0.2:
            key = rng.choice(pairs)[0]  # a repeated key
        value = rng.choice(VALUES)
        if pairs and r < 0.05:
            value = rng.choice(pairs)[1]
        pairs.append((key, value))
    out = []
    for key, value in pairs:
        k = quote(key, safe="-_.~")
        if value == "" and rng.random() < 0.3:
            out.append(k)  # no '=' at all
        else:
            out.append(k + "=" + quote(value, safe="-_.~"))
    return "&".join(out)


def make_body(rng):
    r = rng.random()
    if r < 0.4:
        return b""
    if r < 0.6:
        return b'{"QueueUrl":"http://127.0.0.1:5000/123456789012/jobs","MaxNumberOfMessages":%d}' % rng.randint(1, 10)
    if r < 0.8:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000)))
    return ("Action=SendMessage&MessageBody=" + quote("h\u00e9llo w\u00f6rld " * rng.randint(1, 50))).encode()


def make_date(rng):
    year = rng.randint(2000, 2037)
    return "%04d%02d%02dT%02d%02d%02dZ" % (year, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                          rng.randint(0, 59), rng.randint(0, 59))


def hexs(s):
    return (s.encode("utf-8") if isinstance(s, str) else s).hex()


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rng = random.Random(SEED)
    print("# sigv4 vectors: botocore %s, seed %d, %d cases" % (botocore.__version__, SEED, count))
    date = make_date(rng)
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    for case in range(1, count + 1):
        service, region, normalize = rng.choice(SERVICES)
        if rng.random() < 0.03:
            service = "svc" + "x" * rng.randint(60, 80)  # longer than the signing-key cache keeps
        if rng.random() < 0.6:
            date = make_date(rng)  # else the same date as the case before (the key cache's hit)
        if rng.random() < 0.3:
            secret = "".join(rng.choice(B64) for _ in range(40))
        access_key = "AKIDEXAMPLE" if rng.random() < 0.5 else "AKIA" + "".join(
            rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        method = rng.choice(METHODS)
        path = make_path(rng)
        query = make_query(rng)
        path_and_query = path if query is None else path + "?" + query
        body = make_body(rng)
        token = None
        if rng.random() < 0.3:
            token = "".join(rng.choice(B64) for _ in range(rng.randint(40, 300))) + rng.choice(["", "=", "=="])

        headers = [(random_case(rng, "Host"), rng.choice(HOSTS)), (random_case(rng, "X-Amz-Date"), date)]
        for _ in range(rng.randint(0, 6)):
            name, values = rng.choice(HEADERS)
            headers.append((random_case(rng, name), rng.choice(values)))
        if headers[2:] and rng.random() < 0.25:  # a repeated header, perhaps spelled differently
            name, _ = rng.choice(headers[2:])
            values = dict((n.lower(), v) for n, v in HEADERS).get(name.lower(), ["again"])
            headers.append((random_case(rng, name), rng.choice(values + ["again", "  again  "])))
        if service == "s3" and rng.random() < 0.6:
            headers.append((random_case(rng, "X-Amz-Content-SHA256"),
                            rng.choice(["UNSIGNED-PAYLOAD", hashlib.sha256(body).hexdigest()])))
        rng.shuffle(headers)
        c_headers = list(headers)
        py_headers = list(headers)
        if token is not None:
            py_headers.append(("X-Amz-Security-Token", token))  # what add_auth() adds
            if rng.random() < 0.2:  # the caller may send it itself too
                c_headers.append((random_case(rng, "X-Amz-Security-Token"), token))

        req = AWSRequest(method=method, url="https://example.amazonaws.com" + path_and_query, data=body)
        for name, value in py_headers:
            req.headers[name] = value  # HTTPMessage: appends, so repeated headers stay repeated
        req.context["timestamp"] = date
        auth_cls = SigV4Auth if normalize else S3PathAuth
        auth = auth_cls(Credentials(access_key, secret, token), service, region)
        canonical = auth.canonical_request(req)
        string_to_sign = auth.string_to_sign(req, canonical)
        signature = auth.signature(string_to_sign, req)
        signed = auth.signed_headers(auth.headers_to_sign(req))
        authorization = "AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s" % (
            auth.scope(req), signed, signature)

        fields = [str(case), hexs(method), hexs(path_and_query),
                  ",".join(hexs(n) + ":" + hexs(v) for n, v in c_headers),
                  body.hex(), hexs(region), hexs(service), hexs(access_key), hexs(secret),
                  "-" if token is None else hexs(token), str(normalize), hexs(authorization), hexs(canonical)]
        print("\t".join(fields))


if __name__ == "__main__":
    main()

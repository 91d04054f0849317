"""fakelib.py - what the fake servers in tests/fakes (and tests/bench/pubsub/proxy.py) share.

Standard library only, for both /usr/bin/python3 and the python3 on PATH (3.11 or later):
    iso_z(t), load_keys(args)       AWS timestamps and the keys of --creds-file or the arguments
    Stats                           a lock, per-path request counts and named counters
    Handler                         a BaseHTTPRequestHandler speaking HTTP/1.1 that logs each request
                                    line to stderr as "NAME: ADDRESS - LINE" (log_name = None: silent),
                                    reads bodies (Content-Length or chunked) and sends answers
    AnyMethod                       do_GET ... do_DELETE all calling handle_any(method)
    ProxyMixin                      client_gone() and abandoned() for the Pub/Sub proxies
    add_port_file_argument(p)       the --port-file every fake takes
    serve(handler, state, args, name, suffix="")
                                    listen on 127.0.0.1 on a free port, write the port to
                                    args.port_file (whole, by rename), say so on stderr, serve forever
                                    (a signal's default action ends it)
"""
import datetime
import json
import os
import select
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def iso_z(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_keys(args):
    """(access key, secret key, session token) from --creds-file (read now) or the arguments."""
    if args.creds_file:
        with open(args.creds_file, encoding="utf-8") as f:
            c = json.load(f)
        c = c.get("Credentials") or c.get("AccessKey") or c
        return c["AccessKeyId"], c["SecretAccessKey"], c.get("SessionToken") or c.get("Token") or ""
    return args.access_key, args.secret_key, args.session_token


class Stats:
    """A lock, self.paths (path -> requests) and the counters given as keywords."""

    def __init__(self, **counters):
        self.lock = threading.Lock()
        self.paths = {}
        for name, value in counters.items():
            setattr(self, name, value)

    def count(self, path):
        with self.lock:
            self.paths[path] = self.paths.get(path, 0) + 1

    def snapshot_locked(self, *names):
        """{name: value} for /_control/stats, dicts and lists copied; the caller holds self.lock."""
        out = {}
        for name in names:
            v = getattr(self, name)
            out[name] = dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
        return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sys_version = ""
    log_name = None             # the prefix of the request log lines; None: no log

    def log_message(self, fmt, *args):
        if self.log_name:
            sys.stderr.write("%s: %s - %s\n" % (self.log_name, self.address_string(), fmt % args))

    def body(self):
        """The request body, by Content-Length or chunked."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_raw(self, code, body, ctype, headers=()):
        """An answer with Content-Type and Content-Length; the body is left out for HEAD."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class AnyMethod:
    """Every method the fakes take goes to self.handle_any(method)."""

    def do_GET(self):
        self.handle_any("GET")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


class ProxyMixin:
    """For a proxy whose state has abandoned_answers and abandoned_messages."""

    def client_gone(self):
        """The client closed its connection while its request was upstream (it gave up on a pull)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def abandoned(self, body):
        st = self.server.state
        with st.lock:
            st.abandoned_answers += 1
            st.abandoned_messages += body.count(b'"ackId"')
        self.close_connection = True


def add_port_file_argument(p):
    p.add_argument("--port-file", required=True, help="where the port is written once listening")


def serve(handler, state, args, name, suffix=""):
    """Serve handler on 127.0.0.1:<free port> with server.state and server.args; never returns."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.state = state
    server.args = args
    port = server.server_address[1]
    tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)
    sys.stderr.write("%s: listening on 127.0.0.1:%d%s\n" % (name, port, suffix))
    sys.stderr.flush()
    server.serve_forever()

#!/usr/bin/env python3
"""proxy.py - the Pub/Sub benchmark's counting pass-through proxy, and its loader (tests/bench/pubsub.sh).

    python3 tests/bench/pubsub/proxy.py serve --port-file F --upstream http://127.0.0.1:EMUPORT
    python3 tests/bench/pubsub/proxy.py load --upstream URL --project P --queue Q --tasks N [--batch 1000]
    python3 tests/bench/pubsub/proxy.py delete --upstream URL --project P --queue Q

serve: listens on 127.0.0.1 (a free port, written whole to --port-file once listening) and forwards
every request (method, path, query, headers, body) to --upstream, the Pub/Sub emulator, as is, on
one upstream connection per client connection; no authentication is asked for or added. The
worker is pointed at it with PUBSUB_EMULATOR_HOST=127.0.0.1:PORT, so its HTTP requests are counted
here, on the server side. Control paths (never forwarded, never counted):
    POST /_reset?subscription=S&target=N   zero the counters; watch subscription S (its short name)
                       and note the moment N distinct messages of it have been acknowledged ("done")
    GET  /_wait?ms=T   answers {"doneMs": ...} at "done", or {} after T ms, whichever comes first, so
                       the benchmark waits without adding requests of its own
    GET  /_stats       the counters (below)
Counters since the reset, for requests through the proxy:
    requests {KEY: n}  KEY is ":verb" for a POST on .../NAME:verb (":pull", ":acknowledge",
                       ":modifyAckDeadline", ":publish"), else "METHOD collection" ("GET topics",
                       "PUT subscriptions", ...); total: their sum
    pulled             messages handed out by pulls on S (a redelivery counts again)
    distinctPulled     distinct message ids among them; redelivered = pulled - distinctPulled
    emptyPulls         pulls on S answered without a message
    ackIds, acked      ack ids acknowledged (upstream answered 200); distinct messages acknowledged
    staleAcks          ack ids of a message already acknowledged; unknownAcks: ack ids never pulled
    extended, nacked   ack ids in modifyAckDeadline calls with seconds > 0, and with 0
    abandonedAnswers   answers the client was gone for (it hung up while the call was upstream);
    abandonedMessages  the messages in them (they stay leased, unseen, until their ack deadline)
    errors             answers with a status >= 400 (upstreamErrors: no answer from upstream: 502)
    firstMs, doneMs    epoch ms of the first request and of "done"; atDone: requests and total at
                       "done" (the steady-state counts, without the worker's idle pulls after it)
load: creates topic Q-topic and subscription Q-subscription (ackDeadlineSeconds 60, retention 7
days, as the rms-cloud-tasks manager does; existing ones are kept) and publishes N no-op tasks
t-0..t-N-1, data = base64 of {"task_id": "t-<i>", "data": {}}, --batch to a publish call.
delete: deletes Q-subscription and Q-topic (404 is fine).
Standard library only; talks to 127.0.0.1 only (environment proxies are ignored).
"""
import argparse
import base64
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fakes"))
import fakelib  # noqa: E402  (tests/fakes/fakelib.py)

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "expect", "host", "content-length"}


def now_ms():
    return int(time.time() * 1000)


class State:
    def __init__(self):
        self.lock = threading.Condition()
        self.sub = None
        self.target = 0
        self.reset()

    def reset(self):
        self.requests = {}
        self.total = 0
        self.pulled = self.empty_pulls = self.ack_ids = self.stale_acks = self.unknown_acks = 0
        self.extended = self.nacked = self.abandoned_answers = self.abandoned_messages = 0
        self.errors = self.upstream_errors = 0
        self.ack_to_msg = {}        # ackId -> messageId, from pull answers on the watched subscription
        self.seen = set()           # message ids pulled
        self.acked = set()          # message ids acknowledged
        self.first_ms = self.done_ms = None
        self.at_done = None
        self.reset_ms = now_ms()

    def snapshot(self):
        return {"subscription": self.sub, "target": self.target, "requests": dict(self.requests), "total": self.total,
                "pulled": self.pulled, "distinctPulled": len(self.seen), "redelivered": self.pulled - len(self.seen),
                "emptyPulls": self.empty_pulls, "ackIds": self.ack_ids, "acked": len(self.acked),
                "staleAcks": self.stale_acks, "unknownAcks": self.unknown_acks, "extended": self.extended,
                "nacked": self.nacked, "abandonedAnswers": self.abandoned_answers,
                "abandonedMessages": self.abandoned_messages, "errors": self.errors,
                "upstreamErrors": self.upstream_errors, "resetMs": self.reset_ms, "firstMs": self.first_ms,
                "doneMs": self.done_ms, "atDone": self.at_done}


def request_key(method, path):
    last = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if method == "POST" and ":" in last:
        return ":" + last.split(":", 1)[1]
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    collection = parts[-2] if len(parts) >= 2 else (parts[-1] if parts else "/")
    return "%s %s" % (method, collection)


def subscription_of(path):
    """The short subscription name of .../subscriptions/NAME[:verb], or None."""
    parts = path.split("?", 1)[0].split("/")
    if "subscriptions" not in parts:
        return None
    i = parts.index("subscriptions")
    return parts[i + 1].split(":", 1)[0] if i + 1 < len(parts) else None


def parse_json(raw):
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return {}


class Handler(fakelib.ProxyMixin, fakelib.AnyMethod, fakelib.Handler):
    upstream = None
    # An answer leaves in one write (headers and body buffered until handle_one_request flushes),
    # without Nagle: headers and body in two small writes would wait out the client's delayed ACK
    # (40 ms a request).
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    # log_name stays None: one line per request would cost more than the forwarding

    def send_json(self, code, doc):
        self.send_raw(code, (json.dumps(doc) + "\n").encode(), "application/json")

    # ---- control -----------------------------------------------------------------------------------

    def control(self, method, path, query):
        st = self.server.state
        q = parse_qs(query)
        if path == "/_stats" and method == "GET":
            with st.lock:
                doc = st.snapshot()
            return self.send_json(200, doc)
        if path == "/_reset" and method == "POST":
            with st.lock:
                st.sub = q.get("subscription", [None])[0]
                st.target = int(q.get("target", ["0"])[0])
                st.reset()
                st.lock.notify_all()
            return self.send_json(200, {})
        if path == "/_wait" and method == "GET":
            until = time.time() + int(q.get("ms", ["500"])[0]) / 1000.0
            with st.lock:
                while st.done_ms is None and time.time() < until:
                    st.lock.wait(until - time.time())
                doc = {"doneMs": st.done_ms} if st.done_ms is not None else {}
            return self.send_json(200, doc)
        return self.send_json(404, {"error": "no such control path"})

    # ---- forwarding ----------------------------------------------------------------------------------

    def handle_any(self, method):
        raw = self.body()
        path, _, query = self.path.partition("?")
        if path.startswith("/_"):
            return self.control(method, path, query)
        st = self.server.state
        key = request_key(method, self.path)
        watched = subscription_of(self.path)
        with st.lock:
            st.requests[key] = st.requests.get(key, 0) + 1
            st.total += 1
            if st.first_ms is None:
                st.first_ms = now_ms()
        status, body, ctype, extra = self.forward(method, raw)
        if status == 200 and watched is not None and watched == st.sub:
            self.account(key, raw, body)
        elif status >= 400:
            with st.lock:
                st.errors += 1
        if self.client_gone():
            return self.abandoned(body)
        try:
            self.send_raw(status, body, ctype, extra)
            self.wfile.flush()
        except OSError:
            self.abandoned(body)

    def forward(self, method, raw):
        st, args = self.server.state, self.server.args
        up = urlsplit(args.upstream)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        for attempt in (0, 1):   # a kept-alive upstream connection the emulator closed: reconnect once
            try:
                if self.upstream is None:
                    self.upstream = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=args.timeout)
                    self.upstream.connect()
                    self.upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.upstream.request(method, self.path, body=raw if (raw or method in ("POST", "PUT", "PATCH")) else None,
                                      headers=headers)
                resp = self.upstream.getresponse()
                body = resp.read()
                ctype = resp.getheader("Content-Type", "application/json")
                extra = [(k, v) for k, v in resp.getheaders()
                         if k.lower() not in HOP_BY_HOP | {"content-type", "date", "server"}]
                if resp.will_close:
                    self.upstream.close()
                    self.upstream = None
                return resp.status, body, ctype, extra
            except (OSError, http.client.HTTPException) as e:
                if self.upstream is not None:
                    self.upstream.close()
                    self.upstream = None
                if attempt == 1:
                    with st.lock:
                        st.upstream_errors += 1
                    doc = {"error": {"code": 502, "message": "proxy: upstream %s: %s" % (args.upstream, e), "status": "UNAVAILABLE"}}
                    return 502, json.dumps(doc).encode(), "application/json", []
        raise AssertionError("unreachable")

    def account(self, key, raw, body):
        st = self.server.state
        if key == ":pull":
            msgs = parse_json(body).get("receivedMessages") or []
            with st.lock:
                if not msgs:
                    st.empty_pulls += 1
                for m in msgs:
                    mid = (m.get("message") or {}).get("messageId")
                    st.ack_to_msg[m.get("ackId")] = mid
                    st.seen.add(mid)
                st.pulled += len(msgs)
        elif key == ":acknowledge":
            ids = parse_json(raw).get("ackIds") or []
            with st.lock:
                st.ack_ids += len(ids)
                for a in ids:
                    mid = st.ack_to_msg.get(a)
                    if mid is None:
                        st.unknown_acks += 1
                    elif mid in st.acked:
                        st.stale_acks += 1
                    else:
                        st.acked.add(mid)
                if st.done_ms is None and st.target and len(st.acked) >= st.target:
                    st.done_ms = now_ms()
                    st.at_done = {"requests": dict(st.requests), "total": st.total}
                    st.lock.notify_all()
        elif key == ":modifyAckDeadline":
            doc = parse_json(raw)
            n = len(doc.get("ackIds") or [])
            with st.lock:
                if int(doc.get("ackDeadlineSeconds") or 0) > 0:
                    st.extended += n
                else:
                    st.nacked += n

    def finish(self):
        if self.upstream is not None:
            self.upstream.close()
        super().finish()


def local_only(url):
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("proxy.py: %s is not on this machine (127.0.0.1 only)" % url)


def serve(args):
    fakelib.serve(Handler, State(), args, "proxy.py", " -> %s" % args.upstream)


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(args, method, path, doc=None, ok=(200,)):
    url = "%s/v1/projects/%s/%s" % (args.upstream, args.project, path)
    data = json.dumps(doc).encode() if doc is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with OPENER.open(req, timeout=120) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        if e.code in ok:
            return {}
        sys.exit("proxy.py: %s %s: HTTP %d: %s" % (method, path, e.code, e.read().decode("utf-8", "replace").strip()))
    except OSError as e:
        sys.exit("proxy.py: %s %s: %s" % (method, path, e))


def load(args):
    topic, sub = args.queue + "-topic", args.queue + "-subscription"
    call(args, "PUT", "topics/" + topic, {}, ok=(200, 409))
    call(args, "PUT", "subscriptions/" + sub, {"topic": "projects/%s/topics/%s" % (args.project, topic),
                                               "ackDeadlineSeconds": 60, "messageRetentionDuration": "604800s"},
         ok=(200, 409))
    for start in range(0, args.tasks, args.batch):
        batch = [{"data": base64.b64encode(json.dumps({"task_id": "t-%d" % i, "data": {}}).encode()).decode()}
                 for i in range(start, min(start + args.batch, args.tasks))]
        got = call(args, "POST", "topics/%s:publish" % topic, {"messages": batch})
        if len(got.get("messageIds") or []) != len(batch):
            sys.exit("proxy.py: publish returned %r" % got)


def delete(args):
    call(args, "DELETE", "subscriptions/%s-subscription" % args.queue, ok=(200, 404))
    call(args, "DELETE", "topics/%s-topic" % args.queue, ok=(200, 404))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--upstream", required=True, help="the emulator, http://127.0.0.1:PORT")
    s.add_argument("--timeout", type=float, default=150, help="upstream timeout (an empty emulator long pull lasts ~90 s)")
    for name in ("load", "delete"):
        s = sub.add_parser(name)
        s.add_argument("--upstream", required=True)
        s.add_argument("--project", required=True)
        s.add_argument("--queue", required=True)
        if name == "load":
            s.add_argument("--tasks", type=int, required=True)
            s.add_argument("--batch", type=int, default=1000, help="messages per publish call (Pub/Sub allows 1000)")
    args = p.parse_args()
    local_only(args.upstream)
    {"serve": serve, "load": load, "delete": delete}[args.mode](args)


if __name__ == "__main__":
    main()

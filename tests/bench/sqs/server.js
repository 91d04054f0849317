// local-aws-sqs for the SQS benchmark (tests/bench/sqs.sh), plus the bookkeeping the benchmark needs.
//   PORT=0 NODE_PATH=<npm dir>/node_modules node server.js PORTFILE
// Listens on 127.0.0.1 only. With PORT=0 (the default) the kernel picks a free port; it is written to
// PORTFILE once the server accepts connections, so the caller waits for that file.
//
// Why not createSqsServer(): we build the http.Server ourselves around the emulator's own
// createRequestHandler so that every request passes through us first. That lets us count requests
// without a proxy in between (a proxy would add a hop and CPU to every contender alike, but would
// also blur "requests the contender made"), and serve a few control paths on the same port:
//   GET  /_stats            counters as JSON (see snapshot() below)
//   POST /_reset?queue=Q&target=N
//                           zero the counters; watch queue Q and note the time at which N messages
//                           have been deleted from it and it is empty ("done")
//   GET  /_wait?ms=T        answers at "done" or after T ms, whichever comes first, so the script can
//                           wait without polling the SQS API (which would add to the counts)
// Control paths are never counted. An SQS request is counted by its X-Amz-Target operation (form
// posts, the query protocol, count as "query") once its body has arrived, and only when it names
// the watched queue (by QueueUrl, or QueueName for GetQueueUrl): a long poll that an earlier
// contender left behind on its own queue answers during the next run, and must not count there.
// Requests for other queues are counted apart ("otherRequests").
"use strict";
const http = require("http");
const fs = require("fs");
const { createRequestHandler } = require("local-aws-sqs");

// The emulator throws out of its request handler on some malformed requests (a JSON request without
// X-Amz-Target): without this the whole server, and so the whole benchmark run, would die.
process.on("uncaughtException", (e) => console.error("uncaught:", e && e.stack ? e.stack : e));

const portFile = process.argv[2];
if (!portFile) { console.error("usage: node server.js PORTFILE"); process.exit(2); }

// emulateQueueCreationLifecycle:false: each benchmark run uses a fresh queue and deletes it after;
// with the default, a deleted name is blocked for 60 s (and PurgeQueue itself takes 60 s here).
const { service, requestHandler } = createRequestHandler({
  port: Number(process.env.PORT || 0), hostname: "127.0.0.1", emulateQueueCreationLifecycle: false,
});

let stats, watch = { queue: null, target: 0 }, waiters = [];
function reset() {
  stats = {
    requests: {},          // operation -> count, requests for the watched queue since the reset
    total: 0,
    otherRequests: 0,      // requests since the reset for any other queue, or none
    received: 0,           // messages handed out by ReceiveMessage (redeliveries count again)
    emptyReceives: 0,      // ReceiveMessage answers without a message
    slowReceives: 0,       // receives that returned messages only after >= 1 s: the emulator waits
                           // out the whole WaitTimeSeconds when it has fewer than MaxNumberOfMessages
                           // (real SQS answers at once), so each of these is a stall a contender paid for
    deleted: 0,            // delete entries the emulator answered as successful (it also says so
                           // for stale handles, so "done" additionally checks the queue is empty)
    deleteFailed: 0,       // entries in DeleteMessageBatch "Failed", and failed DeleteMessage calls
    abandonedReceives: 0,  // receives whose client hung up before the answer (counted at the hang-up)
    abandonedMessages: 0,  // messages in their answers (known only once the emulator answers): they
                           // stay in flight, unseen by anyone, until their visibility timeout
    resetMs: Date.now(),
    firstReceiveMs: null,
    doneMs: null,          // epoch ms at which the watched queue became empty with target deleted
    atDone: null,          // copy of requests/total at doneMs: the steady-state request counts,
                           // without a worker's idle polling after the queue ran dry
  };
}
reset();

// Messages still in the watched queue (visible, in flight or delayed), read in-process; with
// inFlight, only those received and neither deleted nor visible again yet.
function remaining(inFlight) {
  const q = service.Queues.find((x) => x.QueueName === watch.queue);
  if (!q) return null;
  const a = q.getAttributes(["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                             "ApproximateNumberOfMessagesDelayed"]);
  if (inFlight) return Number(a.ApproximateNumberOfMessagesNotVisible);
  // In local-aws-sqs 2.0.2 ApproximateNumberOfMessages counts every record that is not delayed,
  // in flight or not; the delayed ones are counted apart.
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesDelayed);
}

function checkDone() {
  if (stats.doneMs !== null || !watch.queue || stats.deleted < watch.target) return;
  if (remaining(false) !== 0) return;
  stats.doneMs = Date.now();
  stats.atDone = { requests: { ...stats.requests }, total: stats.total };
  for (const w of waiters.splice(0)) w();
}

function snapshot() {
  return { ...stats, queue: watch.queue, target: watch.target,
           remaining: watch.queue ? remaining(false) : null, inFlight: watch.queue ? remaining(true) : null };
}

function occurrences(text, word) {
  let n = 0;
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length)) n++;
  return n;
}

// Looks at the answer to a receive or a delete of the watched queue as the emulator sends it (it
// always answers with one res.end(body) call), to count messages; the body goes out unchanged.
function watchAnswer(op, req, res) {
  const started = Date.now(), end = res.end;
  // Asked again at the answer: a long poll can outlive its run, and must not count in the next one.
  const watched = () => req.queue !== undefined && req.queue === watch.queue;
  let hungUp = false;
  res.on("close", () => {
    if (res.writableFinished) return;
    hungUp = true;
    if (watched() && op === "ReceiveMessage") stats.abandonedReceives++; // counted now: the answer may be 20 s away
  });
  res.end = function (chunk, ...rest) {
    const body = chunk == null ? "" : String(chunk);
    const counted = watched();
    try {
      if (!counted) { /* another queue's */ }
      else if (op === "ReceiveMessage" && res.statusCode === 200) {
        const n = occurrences(body, '"ReceiptHandle"'); // JSON: one key per message
        if (hungUp) stats.abandonedMessages += n;
        else if (n === 0) stats.emptyReceives++;
        else {
          stats.received += n;
          if (stats.firstReceiveMs === null) stats.firstReceiveMs = started;
          if (Date.now() - started >= 1000) stats.slowReceives++;
        }
      } else if (op === "DeleteMessageBatch") {
        if (res.statusCode === 200 && body) {
          const r = JSON.parse(body);
          stats.deleted += (r.Successful || []).length;
          stats.deleteFailed += (r.Failed || []).length;
        } else stats.deleteFailed++;
      } else if (op === "DeleteMessage") {
        if (res.statusCode === 200) stats.deleted++; else stats.deleteFailed++;
      }
    } catch (e) {
      console.error("counting:", e.message);
    }
    const r = end.call(this, chunk, ...rest);
    if (counted && (op === "DeleteMessageBatch" || op === "DeleteMessage")) checkDone();
    return r;
  };
}

// The queue a request is about: the last path segment of its QueueUrl, or its QueueName. A regular
// expression rather than JSON.parse: only this one field is needed, from every request.
const QUEUE_URL = /"QueueUrl"\s*:\s*"[^"]*\/([^"/]+)"/, QUEUE_NAME = /"QueueName"\s*:\s*"([^"]+)"/;
function queueOf(body) {
  if (!body.startsWith("{")) { // a form post (the query protocol)
    const form = new URLSearchParams(body), url = form.get("QueueUrl");
    return url ? url.split("/").pop() : form.get("QueueName");
  }
  const m = QUEUE_URL.exec(body) || QUEUE_NAME.exec(body);
  return m ? m[1] : null;
}

function control(req, res, url) {
  const json = (code, obj) => { res.writeHead(code, { "Content-Type": "application/json" }); res.end(JSON.stringify(obj) + "\n"); };
  if (url.pathname === "/_stats") return json(200, snapshot());
  if (url.pathname === "/_reset" && req.method === "POST") {
    reset();
    watch = { queue: url.searchParams.get("queue"), target: Number(url.searchParams.get("target") || 0) };
    for (const w of waiters.splice(0)) w(); // a waiter from an abandoned run must not hang on
    return json(200, snapshot());
  }
  if (url.pathname === "/_wait") {
    const ms = Math.min(Number(url.searchParams.get("ms") || 1000), 60000);
    if (stats.doneMs !== null) return json(200, snapshot());
    let timer;
    const answer = () => { clearTimeout(timer); if (!res.writableEnded) json(200, snapshot()); };
    timer = setTimeout(() => { waiters = waiters.filter((w) => w !== answer); answer(); }, ms);
    waiters.push(answer);
    return;
  }
  json(404, { error: "unknown control path" });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith("/_")) return control(req, res, new URL(req.url, "http://127.0.0.1"));
  const target = req.headers["x-amz-target"];
  const op = target ? String(target).split(".").pop() : "query";
  // A second reader of the body beside the emulator's own: both see every chunk, and ours runs
  // before the emulator can answer, which it does only after the body's end.
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    req.queue = queueOf(Buffer.concat(chunks).toString());
    if (watch.queue === null || req.queue !== watch.queue) { stats.otherRequests++; return; }
    stats.requests[op] = (stats.requests[op] || 0) + 1;
    stats.total++;
  });
  if (op === "ReceiveMessage" || op === "DeleteMessageBatch" || op === "DeleteMessage") watchAnswer(op, req, res);
  requestHandler(req, res);
});
// Node's default keep-alive timeout (5 s) is shorter than a 20 s long poll plus processing; clients
// keep their connections, so do not let the server be the side that drops them mid-benchmark.
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
server.requestTimeout = 0;

server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  const port = server.address().port;
  service.PORT = port; // the emulator builds QueueUrls from it; with port 0 it would say ":0"
  fs.writeFileSync(portFile + ".tmp", String(port) + "\n");
  fs.renameSync(portFile + ".tmp", portFile); // the caller sees the whole number or nothing
  console.log("local-aws-sqs listening on 127.0.0.1:" + port);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => { server.close(); process.exit(0); });

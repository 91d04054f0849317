// Creates a queue and fills it with N no-op task messages for the SQS benchmark, then prints its
// QueueUrl.   node load.js ENDPOINT QUEUE_NAME N
// Plain HTTP on the JSON 1.0 protocol, no SDK: loading is not what is measured, it only has to be
// quick and to leave every contender the same queue. The emulator checks no signature, so none is sent.
"use strict";
const http = require("http");

const [endpoint, queueName, nArg] = process.argv.slice(2);
const N = Number(nArg);
if (!endpoint || !queueName || !(N >= 0)) { console.error("usage: node load.js ENDPOINT QUEUE_NAME N"); process.exit(2); }

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const PARALLEL = 8; // SendMessageBatch calls in flight: enough to keep the single-threaded emulator busy

function call(op, body) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(endpoint + "/", {
      method: "POST", agent,
      headers: {
        // exactly this: with "; charset=utf-8" the emulator takes the request for the query protocol
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "AmazonSQS." + op,
        "Content-Length": Buffer.byteLength(data),
      },
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`${op}: HTTP ${res.statusCode} ${text}`));
        resolve(text ? JSON.parse(text) : {});
      });
    });
    req.on("error", reject);
    req.end(data);
  });
}

(async () => {
  const { QueueUrl } = await call("CreateQueue", { QueueName: queueName });
  let next = 0;
  async function sender() {
    while (next < N) {
      const first = next, count = Math.min(10, N - first);
      next += count;
      const Entries = [];
      for (let k = 0; k < count; k++)
        Entries.push({ Id: String(k), MessageBody: `{"task_id": "t-${first + k}", "data": {}}` });
      const r = await call("SendMessageBatch", { QueueUrl, Entries });
      if (r.Failed && r.Failed.length) throw new Error("SendMessageBatch failed: " + JSON.stringify(r.Failed[0]));
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, sender));
  console.log(QueueUrl);
  agent.destroy();
})().catch((e) => { console.error("load.js:", e.message); process.exit(1); });

// The Node contender of the SQS benchmark: sqs-consumer in batch mode with a no-op handler.
//   SQS_ENDPOINT=http://127.0.0.1:PORT QUEUE_URL=... N=20000 NODE_PATH=<npm dir>/node_modules node consumer.js
// Exits 0 once N messages have been deleted (sqs-consumer's "message_processed" comes after the
// DeleteMessageBatch answer), 1 on an error.
//
// Concurrency 2: sqs-consumer has no concurrency option; one Consumer runs receive -> handler ->
// DeleteMessageBatch -> receive strictly in turn. So "2 at a time" is two Consumer instances on the
// same queue, in one process, sharing one SQSClient (one connection pool), which is how a Node
// service scales it without a second process. Each receives batches of 10 (batchSize), like the
// raw loop's two loops and like our worker's receives.
"use strict";
const { SQSClient } = require("@aws-sdk/client-sqs");
const { Consumer } = require("sqs-consumer");

const endpoint = process.env.SQS_ENDPOINT, queueUrl = process.env.QUEUE_URL, N = Number(process.env.N);
if (!endpoint || !queueUrl || !(N > 0)) { console.error("consumer.js: set SQS_ENDPOINT, QUEUE_URL and N"); process.exit(2); }
const CONSUMERS = 2, BATCH = 10;

const sqs = new SQSClient({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId: "x", secretAccessKey: "y" }, // the emulator checks no signature
});

let processed = 0;
for (let i = 0; i < CONSUMERS; i++) {
  const c = Consumer.create({
    queueUrl, sqs,
    batchSize: BATCH,
    visibilityTimeout: 30,
    // The library's default; said here because it decides the request count on an empty queue.
    waitTimeSeconds: 20,
    // A no-op task: acknowledge the whole batch so sqs-consumer deletes it in one DeleteMessageBatch.
    handleMessageBatch: async (messages) => messages,
  });
  c.on("message_processed", () => {
    if (++processed >= N) process.exit(0); // the other consumer may sit in a long poll: do not wait for it
  });
  c.on("error", (err) => { console.error("consumer.js: error:", err.message); process.exit(1); });
  c.on("processing_error", (err) => { console.error("consumer.js: processing error:", err.message); process.exit(1); });
  c.start();
}

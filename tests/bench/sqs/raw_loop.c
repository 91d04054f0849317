/* The SQS benchmark's ceiling: the least a client can do per message against the same server.
 *   raw_loop ENDPOINT QUEUE_URL N [WAIT_SECONDS [DEADLINE_SECONDS]]
 * Two loops (threads), each with one libcurl easy handle (so one kept-alive connection) doing
 *   ReceiveMessage (MaxNumberOfMessages 10, VisibilityTimeout 30, WaitTimeSeconds WAIT, default 20)
 *   -> DeleteMessageBatch of whatever came back
 * until N messages have been deleted in total; then it prints the elapsed seconds and exits 0
 * (1 on any error, 2 on bad arguments). No SDK, no signature (the emulator checks none), no
 * task handling: what is left is the HTTP and JSON work any SQS consumer must do.
 * Build: cc -O2 raw_loop.c -o raw_loop -lcurl -lcjson -lpthread */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { LOOPS = 2, BATCH = 10 };

static const char *endpoint, *queue_url;
static long target, wait_seconds = 20, deadline_seconds = 600;
static struct timespec started;

/* Shared by the loops: messages deleted so far, and whether any loop failed. The main thread
 * sleeps on `changed` until the target is met or a loop fails. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static long deleted;
static int failed;

static double since_start(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - started.tv_sec) + (double)(now.tv_nsec - started.tv_nsec) / 1e9;
}

typedef struct { char *data; size_t len, cap; } buffer;

static size_t collect(char *p, size_t size, size_t n, void *user) {
    buffer *b = user;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + add + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return 0; /* makes libcurl fail the transfer */
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

typedef struct {
    CURL *curl;
    buffer answer;
    struct curl_slist *headers[2]; /* one header list per operation, built once */
} loop;

/* POSTs body with operation op's header list; leaves the answer in l->answer. Returns 0 on HTTP 200. */
static int call(loop *l, int op, const char *body) {
    long status = 0;
    l->answer.len = 0;
    if (l->answer.data) l->answer.data[0] = '\0';
    curl_easy_setopt(l->curl, CURLOPT_HTTPHEADER, l->headers[op]);
    curl_easy_setopt(l->curl, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(l->curl);
    if (rc != CURLE_OK) { fprintf(stderr, "raw_loop: %s\n", curl_easy_strerror(rc)); return -1; }
    curl_easy_getinfo(l->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) { fprintf(stderr, "raw_loop: HTTP %ld: %s\n", status, l->answer.data ? l->answer.data : ""); return -1; }
    return 0;
}

static int done(void) {
    pthread_mutex_lock(&lock);
    int d = deleted >= target || failed;
    pthread_mutex_unlock(&lock);
    return d;
}

static void *run(void *arg) {
    loop *l = arg;
    char receive[4096];
    int ok = 1;
    snprintf(receive, sizeof receive,
             "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":%d,\"VisibilityTimeout\":30,\"WaitTimeSeconds\":%ld}",
             queue_url, BATCH, wait_seconds);
    while (ok && !done()) {
        if (since_start() > (double)deadline_seconds) { fprintf(stderr, "raw_loop: deadline passed\n"); ok = 0; break; }
        if (call(l, 0, receive) != 0) { ok = 0; break; }
        if (l->answer.len == 0) continue; /* the emulator answers an empty receive with an empty body */
        cJSON *r = cJSON_Parse(l->answer.data);
        if (!r) { fprintf(stderr, "raw_loop: unparsable receive answer\n"); ok = 0; break; }
        cJSON *msgs = cJSON_GetObjectItemCaseSensitive(r, "Messages");
        int n = cJSON_GetArraySize(msgs);
        if (n == 0) { cJSON_Delete(r); continue; }
        cJSON *del = cJSON_CreateObject(), *entries;
        cJSON_AddStringToObject(del, "QueueUrl", queue_url);
        entries = cJSON_AddArrayToObject(del, "Entries");
        for (int i = 0; i < n; i++) {
            const cJSON *handle = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, i), "ReceiptHandle");
            cJSON *e = cJSON_CreateObject();
            char id[16];
            snprintf(id, sizeof id, "%d", i);
            cJSON_AddStringToObject(e, "Id", id);
            cJSON_AddStringToObject(e, "ReceiptHandle", cJSON_IsString(handle) ? handle->valuestring : "");
            cJSON_AddItemToArray(entries, e);
        }
        char *body = cJSON_PrintUnformatted(del);
        cJSON_Delete(del);
        cJSON_Delete(r);
        if (call(l, 1, body) != 0) { free(body); ok = 0; break; }
        free(body);
        /* HTTP 200 does not mean every entry was deleted: count "Successful", fail on "Failed". */
        cJSON *a = cJSON_Parse(l->answer.data);
        int good = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "Successful"));
        int bad = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "Failed"));
        cJSON_Delete(a);
        if (bad > 0 || good != n) { fprintf(stderr, "raw_loop: DeleteMessageBatch: %d of %d failed\n", n - good, n); ok = 0; }
        pthread_mutex_lock(&lock);
        deleted += good;
        if (deleted >= target) pthread_cond_signal(&changed);
        pthread_mutex_unlock(&lock);
    }
    if (!ok) {
        pthread_mutex_lock(&lock);
        failed = 1;
        pthread_cond_signal(&changed);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: raw_loop ENDPOINT QUEUE_URL N [WAIT_SECONDS [DEADLINE_SECONDS]]\n");
        return 2;
    }
    endpoint = argv[1];
    queue_url = argv[2];
    target = atol(argv[3]);
    if (argc > 4) wait_seconds = atol(argv[4]);
    if (argc > 5) deadline_seconds = atol(argv[5]);
    if (target <= 0 || wait_seconds < 0 || wait_seconds > 20 || deadline_seconds <= 0) {
        fprintf(stderr, "raw_loop: bad N, WAIT_SECONDS or DEADLINE_SECONDS\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &started);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before any thread starts */

    static loop loops[LOOPS];
    pthread_t threads[LOOPS];
    const char *ops[2] = {"X-Amz-Target: AmazonSQS.ReceiveMessage", "X-Amz-Target: AmazonSQS.DeleteMessageBatch"};
    for (int i = 0; i < LOOPS; i++) {
        loop *l = &loops[i];
        l->curl = curl_easy_init();
        for (int op = 0; op < 2; op++) {
            /* exactly this type: with "; charset=utf-8" the emulator takes it for the query protocol */
            l->headers[op] = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.0");
            l->headers[op] = curl_slist_append(l->headers[op], ops[op]);
            l->headers[op] = curl_slist_append(l->headers[op], "Expect:"); /* no 100-continue round trip */
        }
        curl_easy_setopt(l->curl, CURLOPT_URL, endpoint);
        curl_easy_setopt(l->curl, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(l->curl, CURLOPT_WRITEDATA, &l->answer);
        curl_easy_setopt(l->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(l->curl, CURLOPT_TIMEOUT, wait_seconds + 10L); /* a long poll must not time out */
        curl_easy_setopt(l->curl, CURLOPT_TCP_NODELAY, 1L);
        if (pthread_create(&threads[i], NULL, run, l) != 0) { fprintf(stderr, "raw_loop: pthread_create failed\n"); return 1; }
    }

    pthread_mutex_lock(&lock);
    while (deleted < target && !failed) pthread_cond_wait(&changed, &lock);
    int ok = !failed;
    long n = deleted;
    pthread_mutex_unlock(&lock);
    printf("%ld messages deleted in %.3f s\n", n, since_start());
    fflush(stdout);
    /* The other loop may sit in a long poll that only an empty queue's full wait would end: leave
     * without joining it. Nothing is left to flush, and the kernel closes the connections. */
    _exit(ok ? 0 : 1);
}

/* libFuzzer target for the parsers of untrusted Google Cloud input (tests/fuzz/run.sh builds and
   runs it).
   fuzz-seeds:

   Input layout: three flag bytes, then two pieces split at the first NUL byte:
       FLAGS  STATUS  N  HANDLES \0 BODY
   FLAGS: bits 0-1 the status output size of cloudtasks__google_error_of (1, 4, 16, 64), bits 2-3
   its message output size (1, 8, 201, 300), bits 4-5 the label of the PEM block BODY is wrapped in
   ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "CERTIFICATE"), bit 6 CRLF line ends in
   that block, bit 7 no final newline. STATUS: the HTTP status (200 when its high bit is set, else
   one of statuses[]). N: the number of settle entries (N % 11). HANDLES: their ack ids, separated
   by ',' (an entry without a piece is "ack-K"). BODY: every byte after the first NUL (NULs
   included). Every input goes through every parser:

   - cloudtasks__rsa_key_from_pem(BODY) and cloudtasks__rsa_key_from_pem(BODY as the DER inside a
     PEM block, base64 in 64-character lines): CLOUDTASKS_OK (the key signs, the same signature
     twice, ceil(bits/8) bytes, or refuses with "RSA signing failed") or CLOUDTASKS_ECRYPTO with one
     of the fixed messages (which hold nothing of the input); a refused key signs nothing. A block
     labelled PRIVATE KEY or RSA PRIVATE KEY is well-formed PEM, so only "cannot be decoded" or
     "not an RSA key" may refuse it; other labels are "no block". The key lives in a heap block
     followed by a 64 KB guard that must stay untouched: nothing is written past the key.
   - cloudtasks__gcp_take_token(BODY, STATUS): for a status other than 200, CLOUDTASKS_EAUTH with
     err.http_status and exactly the message made of the answer's "error" (or "error.message") and
     "error_description"; for 200, CLOUDTASKS_OK exactly when the body is JSON with an
     "access_token" string that is non-empty, holds no NUL, CR or LF and fits the 4096-byte field
     (then the token is taken, and expires_in, default 3600, 60 if not above 0, sets the expiry, fetched again 5 minutes early
     or half-way for short ones), else CLOUDTASKS_EPROTOCOL with the fixed message. Whenever it
     fails, the token held before is kept whole.
   - cloudtasks__google_error_of(BODY, STATUS): both outputs terminated inside their sizes and
     equal to a reference's: error.status (a string) else "HTTP<status>"; error.message (a string)
     else the body's first 200 bytes (up to a NUL); each cut to its output.
   - cloudtasks__pubsub_mark_failed(BODY as JSON, the N entries): an entry is marked exactly when
     a key of some error.details[].metadata object is its ack id byte for byte (length counts: an
     id with a NUL inside is no match), with "<reason, 200 bytes at most> (the lease was lost)";
     the reason is the metadata value if a string, else the call's message; the last match wins;
     the count returned is the number of matches. Other entries, and entries beyond N (whose
     handles are NULL), are untouched.
   - base64: cloudtasks__base64(BODY) in both alphabets has the RFC 4648 length and alphabet, and
     cloudtasks__base64_decode gives BODY back; cloudtasks__base64_decode(BODY) accepts exactly
     what a reference of the documented rules accepts (either alphabet, padding optional, at most
     two '=' and only at the end of a whole quantum, no lone final character), with the same bytes.
   A failed check prints what differed and aborts, which libFuzzer reports as a crash.

   Build with -DFUZZ_GCP_TOLERATE_KNOWN=1 to let pass the faults of cloudtasks.h that are known and
   not fixed yet (see tests/fuzz/regress/gcp-*: a too-long token overwriting the held one, empty or
   NUL-holding tokens taken, ack ids compared up to a NUL), so that fuzzing goes on past them. The
   keys are then not read at all: BearSSL 0.6's key decoder, which the header hands the DER of a
   PEM block as it is, writes past its buffer for INTEGERs larger than it keeps and crashes on
   some malformed DER (gcp-der-*), and a crash cannot be let pass.

   FUZZ_REPLAY_MAIN: see fuzz_json.c. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_GCP_TOLERATE_KNOWN
#define FUZZ_GCP_TOLERATE_KNOWN 0
#endif

#include "fuzz_common.h"

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "fuzz_gcp: out of memory\n"); abort(); }
    return p;
}

/* An exact-size copy of n bytes, not terminated. */
static char *bytes(const uint8_t *p, size_t n) {
    char *s = (char *)xmalloc(n);
    if (n) memcpy(s, p, n);
    return s;
}

static int starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* ============================== RSA keys from PEM ============================== */

#define GUARD (64u << 10)
typedef struct guarded_key { cloudtasks__rsa_key k; unsigned char guard[GUARD]; } guarded_key;
static guarded_key *gk;

/* wrapped: 0 raw text, else 1 + the label's index (see labels[]). */
static void fuzz_pem(const char *pem, size_t n, int wrapped) {
    cloudtasks_error err;
    cloudtasks__buf sig = {0}, again = {0};
    const br_rsa_private_key *sk;
    size_t i;
    int rc, key_label = wrapped == 1 || wrapped == 2;
    if (!gk) gk = (guarded_key *)xmalloc(sizeof *gk);
    memset(gk->guard, 0x5a, sizeof gk->guard);
    memset(&err, 0, sizeof err);
    rc = cloudtasks__rsa_key_from_pem(&gk->k, pem, n, &err);
    for (i = 0; i < sizeof gk->guard; i++)
        if (gk->guard[i] != 0x5a) {
            fprintf(stderr, "rsa_key_from_pem returned %d (%s) and wrote past the key, at byte %zu after it\n", rc, err.message, i);
            CHECK_WHY(0, "rsa_key_from_pem wrote past the key (BearSSL's key decoder overflows its buffer)");
        }
    if (rc != CLOUDTASKS_OK && rc != CLOUDTASKS_ECRYPTO) fprintf(stderr, "rsa_key_from_pem returned %d (%s)\n", rc, err.message);
    CHECK_WHY(rc == CLOUDTASKS_OK || rc == CLOUDTASKS_ECRYPTO, "rsa_key_from_pem returned another code than OK or ECRYPTO");
    CHECK_WHY(memchr(err.message, '\0', sizeof err.message) != NULL, "the error message is not terminated");
    CHECK_WHY(gk->k.ok == (rc == CLOUDTASKS_OK), "k.ok disagrees with the result (or the key decoder wrote past its buffer into it)");
    if (rc == CLOUDTASKS_OK) {
        CHECK_WHY(err.code == 0 && err.message[0] == '\0', "the error was set on success");
        CHECK_WHY(!wrapped || key_label, "a key was read from a block that is neither PRIVATE KEY nor RSA PRIVATE KEY");
        sk = &gk->k.sk;
        CHECK_WHY(sk != NULL, "an accepted key has no RSA key");
        rc = cloudtasks__rsa_sign_sha256(&gk->k, "fuzz", 4, &sig, &err);
        if (rc == CLOUDTASKS_OK) {
            CHECK_WHY(sig.len == (sk->n_bitlen + 7) / 8, "the signature is not as long as the modulus");
            CHECK_WHY(cloudtasks__rsa_sign_sha256(&gk->k, "fuzz", 4, &again, &err) == CLOUDTASKS_OK, "the second signature failed");
            CHECK_WHY(again.len == sig.len && memcmp(again.data, sig.data, sig.len) == 0, "RS256 signatures of the same input differ");
        } else {
            if (rc != CLOUDTASKS_ECRYPTO || strcmp(err.message, "RSA signing failed") != 0) fprintf(stderr, "sign: %d %s\n", rc, err.message);
            CHECK_WHY(rc == CLOUDTASKS_ECRYPTO && strcmp(err.message, "RSA signing failed") == 0, "signing failed in an unexpected way");
            CHECK_WHY(sig.len == 0, "a failed signature appended bytes");
        }
    } else {
        const char *m = err.message;
        int known = strcmp(m, "the private key is not valid PEM") == 0 ||
                    strcmp(m, "no \"PRIVATE KEY\" or \"RSA PRIVATE KEY\" block in the private key") == 0 ||
                    strcmp(m, "the private key is not an RSA key") == 0 || strcmp(m, "out of memory") == 0 ||
                    starts(m, "the private key cannot be decoded: ");
        if (!known) fprintf(stderr, "message: %s\n", m);
        CHECK_WHY(known, "rsa_key_from_pem refused with an unexpected message");
        CHECK_WHY(err.code == CLOUDTASKS_ECRYPTO, "err.code is not the returned code");
        if (wrapped && key_label && !(starts(m, "the private key cannot be decoded") || strcmp(m, "the private key is not an RSA key") == 0)) {
            fprintf(stderr, "message for a well-formed %s block: %s\n", wrapped == 1 ? "PRIVATE KEY" : "RSA PRIVATE KEY", m);
            CHECK_WHY(0, "a well-formed key block refused for its PEM");
        }
        if (wrapped && !key_label)
            CHECK_WHY(strcmp(m, "no \"PRIVATE KEY\" or \"RSA PRIVATE KEY\" block in the private key") == 0, "another block than a key's not refused as such");
        memset(&err, 0, sizeof err);
        CHECK_WHY(cloudtasks__rsa_sign_sha256(&gk->k, "fuzz", 4, &sig, &err) == CLOUDTASKS_ECRYPTO && sig.len == 0, "a refused key signs");
    }
    cloudtasks__buf_free(&sig);
    cloudtasks__buf_free(&again);
}

static const char *const labels[] = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "CERTIFICATE"};

/* BODY as the DER inside a PEM block of the given label. */
static void fuzz_der(const uint8_t *der, size_t n, int label, int crlf, int no_final) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *eol = crlf ? "\r\n" : "\n";
    cloudtasks__buf b = {0};
    size_t i, col = 0;
    char *pem;
    cloudtasks__buf_printf(&b, "-----BEGIN %s-----%s", labels[label], eol);
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16 | (i + 1 < n ? (uint32_t)der[i + 1] << 8 : 0) | (i + 2 < n ? der[i + 2] : 0);
        char q[4];
        q[0] = abc[v >> 18]; q[1] = abc[v >> 12 & 63];
        q[2] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? abc[v & 63] : '=';
        cloudtasks__buf_append(&b, q, 4);
        if ((col += 4) == 64 && i + 3 < n) { cloudtasks__buf_puts(&b, eol); col = 0; }
    }
    if (n) cloudtasks__buf_puts(&b, eol);
    cloudtasks__buf_printf(&b, "-----END %s-----%s", labels[label], no_final ? "" : eol);
    if (b.oom) abort();
    pem = bytes((const uint8_t *)b.data, b.len);
    fuzz_pem(pem, b.len, 1 + label);
    free(pem);
    cloudtasks__buf_free(&b);
}

/* ============================== token answers ============================== */

static void fuzz_token(const char *body, size_t len, long status) {
    static cloudtasks__gcp g;
    cloudtasks__http_response rs;
    cloudtasks_error err;
    cloudtasks_json_doc *doc = cloudtasks_json_parse(body ? body : "", len, NULL);
    const cloudtasks_json *root = cloudtasks_json_root(doc);
    size_t tlen = 0;
    const char *token = cloudtasks_json_string(cloudtasks_json_get(root, "access_token"), &tlen);
    const cloudtasks_json *ex = cloudtasks_json_get(root, "expires_in");
    double expires = cloudtasks_json_typeof(ex) == CLOUDTASKS_JSON_NUMBER ? cloudtasks_json_number(ex, 0) : 3600, t0, t1;
    int rc, usable = token && tlen > 0 && strlen(token) == tlen && tlen < sizeof g.token && strcspn(token, "\r\n") == tlen;
    if (!(expires > 0)) expires = 60;   /* the header's rule: a nonsense lifetime is not a fetch per call */
    memset(&rs, 0, sizeof rs);
    rs.status = status;
    rs.body.data = (char *)body;
    rs.body.len = rs.body.cap = len;
    memset(&err, 0, sizeof err);
    memset(&g, 0, sizeof g);
    snprintf(g.token, sizeof g.token, "old-token");
    g.token_until = -1;
    g.token_expires = -2;
    t0 = cloudtasks__now();
    rc = cloudtasks__gcp_take_token(&g, &rs, "fuzz", &err);
    t1 = cloudtasks__now();
    CHECK_WHY(memchr(err.message, '\0', sizeof err.message) != NULL, "the error message is not terminated");
    if (status != 200) {
        const char *e = cloudtasks_json_string(cloudtasks_json_get(root, "error"), NULL);
        const char *d = cloudtasks_json_string(cloudtasks_json_get(root, "error_description"), NULL);
        char want[sizeof err.message];
        if (!e) e = cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_get(root, "error"), "message"), NULL);
        snprintf(want, sizeof want, "fuzz refused to issue a token (HTTP %ld%s%s%s%s)", status, e ? ": " : "", e ? e : "", d ? ": " : "", d ? d : "");
        if (rc != CLOUDTASKS_EAUTH || strcmp(err.message, want) != 0) fprintf(stderr, "status %ld: %d \"%s\", want \"%s\"\n", status, rc, err.message, want);
        CHECK_WHY(rc == CLOUDTASKS_EAUTH && err.code == CLOUDTASKS_EAUTH, "an error answer is not CLOUDTASKS_EAUTH");
        CHECK_WHY(strcmp(err.message, want) == 0, "the message of a refused token differs from the reference");
        CHECK_WHY(err.http_status == (int)status, "err.http_status is not the answer's status");
        CHECK_WHY(strcmp(g.token, "old-token") == 0 && g.token_until == -1 && g.token_expires == -2, "an error answer changed the token");
    } else if (rc == CLOUDTASKS_OK) {
        int known = FUZZ_GCP_TOLERATE_KNOWN && token && (tlen == 0 || strlen(token) < tlen) && strlen(token) < sizeof g.token;
        if (!usable && !known) fprintf(stderr, "token of %zu bytes (%zu up to a NUL) taken\n", tlen, token ? strlen(token) : 0);
        CHECK_WHY(usable || known, "a token taken from an answer without a usable access_token (empty, NUL inside, too long or none)");
        CHECK_WHY(strcmp(g.token, token) == 0, "the token taken differs from the answer's");
        CHECK_WHY(err.code == 0, "the error was set on success");
        if (isfinite(expires) && fabs(expires) < 1e9) {
            double margin = expires > 600 ? 300 : expires / 2;
            CHECK_WHY(g.token_expires >= t0 + expires - 1e-3 && g.token_expires <= t1 + expires + 1e-3, "the expiry is not now + expires_in");
            CHECK_WHY(g.token_until >= t0 + expires - margin - 1e-3 && g.token_until <= t1 + expires - margin + 1e-3,
                      "the refresh time is not 5 minutes (or half the life) before the expiry");
        }
    } else {
        if (usable) fprintf(stderr, "usable token refused: %d %s\n", rc, err.message);
        CHECK_WHY(!usable, "a usable access_token refused");
        CHECK_WHY(rc == CLOUDTASKS_EPROTOCOL && err.code == CLOUDTASKS_EPROTOCOL, "a 200 without a usable token is not CLOUDTASKS_EPROTOCOL");
        CHECK_WHY(strcmp(err.message, "fuzz: the answer holds no access_token") == 0, "unexpected message for an answer without token");
        if (!(FUZZ_GCP_TOLERATE_KNOWN && token && tlen >= sizeof g.token)) {
            if (strcmp(g.token, "old-token") != 0) fprintf(stderr, "the token held is now %zu bytes\n", strlen(g.token));
            CHECK_WHY(strcmp(g.token, "old-token") == 0, "a refused answer changed the token held");
        }
        CHECK_WHY(g.token_until == -1 && g.token_expires == -2, "a refused answer changed the expiry");
    }
    cloudtasks_json_free(doc);
}

/* ============================== Google's error envelope ============================== */

/* Copies v up to a NUL, at most max bytes, cut to size - 1. */
static void ref_copy(char *out, size_t size, const char *v, size_t max) {
    size_t m = 0;
    while (m < max && v[m] && m + 1 < size) m++;
    memcpy(out, v, m);
    out[m] = '\0';
}

static void fuzz_error_of(const char *body, size_t len, long status, size_t st_size, size_t msg_size) {
    cloudtasks__http_response rs;
    cloudtasks_json_doc *doc = cloudtasks_json_parse(body ? body : "", len, NULL);
    const cloudtasks_json *e = cloudtasks_json_get(cloudtasks_json_root(doc), "error");
    const char *s = cloudtasks_json_string(cloudtasks_json_get(e, "status"), NULL), *m = cloudtasks_json_string(cloudtasks_json_get(e, "message"), NULL);
    char *st = (char *)xmalloc(st_size), *msg = (char *)xmalloc(msg_size), *want_st = (char *)xmalloc(st_size), *want_msg = (char *)xmalloc(msg_size);
    char http[32];
    memset(&rs, 0, sizeof rs);
    rs.status = status;
    rs.body.data = (char *)body;
    rs.body.len = rs.body.cap = len;
    memset(st, 0x55, st_size);
    memset(msg, 0x55, msg_size);
    cloudtasks__google_error_of(&rs, st, st_size, msg, msg_size);
    CHECK_WHY(memchr(st, '\0', st_size) != NULL, "the status is not terminated inside its buffer");
    CHECK_WHY(memchr(msg, '\0', msg_size) != NULL, "the message is not terminated inside its buffer");
    snprintf(http, sizeof http, "HTTP%ld", status);
    ref_copy(want_st, st_size, s ? s : http, (size_t)-1);
    if (m) ref_copy(want_msg, msg_size, m, (size_t)-1);
    else ref_copy(want_msg, msg_size, body ? body : "", len < 200 ? len : 200);
    if (strcmp(st, want_st) != 0) { dump("status", st, strlen(st)); dump("reference", want_st, strlen(want_st)); }
    CHECK_WHY(strcmp(st, want_st) == 0, "the status differs from the reference");
    if (strcmp(msg, want_msg) != 0) { dump("message", msg, strlen(msg)); dump("reference", want_msg, strlen(want_msg)); }
    CHECK_WHY(strcmp(msg, want_msg) == 0, "the message differs from the reference");
    cloudtasks_json_free(doc);
    free(st); free(msg); free(want_st); free(want_msg);
}

/* ============================== ack ids an exactly-once subscription refused ============================== */

#define UNTOUCHED "(untouched)"

static void fuzz_mark_failed(const char *body, size_t len, char handles[][64], int n) {
    cloudtasks__settle s[CLOUDTASKS__BATCH_MAX + 1];
    char want[CLOUDTASKS__BATCH_MAX + 1][300];
    cloudtasks_json_doc *doc = cloudtasks_json_parse(body ? body : "", len, NULL);
    const cloudtasks_json *details = cloudtasks_json_get(cloudtasks_json_get(cloudtasks_json_root(doc), "error"), "details");
    static const char why[] = "the call failed";
    int i, r, want_marked = 0;
    size_t d, k;
    memset(s, 0, sizeof s);
    for (i = 0; i <= CLOUDTASKS__BATCH_MAX; i++) {
        s[i].handle = i < n ? handles[i] : NULL;
        s[i].seconds = CLOUDTASKS__ACK;
        snprintf(s[i].error, sizeof s[i].error, UNTOUCHED);
        snprintf(want[i], sizeof want[i], UNTOUCHED);
    }
    /* the reference: every metadata key equal (length included) to an ack id marks its entry */
    for (d = 0; d < cloudtasks_json_length(details); d++) {
        const cloudtasks_json *meta = cloudtasks_json_get(cloudtasks_json_at(details, d), "metadata");
        if (cloudtasks_json_typeof(meta) != CLOUDTASKS_JSON_OBJECT) continue;
        for (k = 0; k < cloudtasks_json_length(meta); k++) {
            size_t klen = 0;
            const char *key = cloudtasks_json_object_key(meta, k, &klen);
            const char *value = cloudtasks_json_string(cloudtasks_json_object_value(meta, k), NULL);
            for (i = 0; i < n; i++) {
                int match = key && klen == strlen(handles[i]) && memcmp(key, handles[i], klen) == 0;
                if (FUZZ_GCP_TOLERATE_KNOWN && key && strcmp(key, handles[i]) == 0) match = 1;
                if (match) {
                    const char *reason = value ? value : why;
                    size_t m = strnlen(reason, 200);
                    memcpy(want[i], reason, m);
                    memcpy(want[i] + m, " (the lease was lost)", sizeof " (the lease was lost)");
                    want_marked++;
                }
            }
        }
    }
    r = cloudtasks__pubsub_mark_failed(doc, s, n, why);
    for (i = 0; i <= CLOUDTASKS__BATCH_MAX; i++) {
        CHECK_WHY(memchr(s[i].error, '\0', sizeof s[i].error) != NULL, "an entry's error is not terminated");
        if (strcmp(s[i].error, want[i]) != 0) {
            fprintf(stderr, "entry %d of %d (ack id \"%s\")\n", i, n, i < n ? handles[i] : "-");
            dump("error", s[i].error, strlen(s[i].error));
            dump("reference", want[i], strlen(want[i]));
            CHECK_WHY(0, i >= n ? "an entry beyond n was written" : "an entry's mark differs from the reference (ids compared byte for byte)");
        }
    }
    if (r != want_marked) fprintf(stderr, "mark_failed returned %d, the reference counts %d\n", r, want_marked);
    CHECK_WHY(r == want_marked, "the number of marks differs from the reference");
    cloudtasks_json_free(doc);
}

/* ============================== base64 ============================== */

static int b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* The documented rules, by whole quanta: returns the decoded length into out, or -1. */
static long ref_b64_decode(const char *s, size_t n, unsigned char *out) {
    size_t pad = 0, digits, i, o = 0, q;
    while (pad < n && s[n - 1 - pad] == '=') pad++;
    digits = n - pad;
    for (i = 0; i < digits; i++) if (b64val((unsigned char)s[i]) < 0) return -1;   /* '=' inside, or outside the alphabets */
    if (pad > 2 || (pad && n % 4 != 0) || digits % 4 == 1) return -1;
    for (q = 0; q < digits; q += 4) {
        size_t k = digits - q < 4 ? digits - q : 4;
        uint32_t v = 0;
        for (i = 0; i < 4; i++) v = v << 6 | (i < k ? (uint32_t)b64val((unsigned char)s[q + i]) : 0);
        out[o++] = (unsigned char)(v >> 16);
        if (k > 2) out[o++] = (unsigned char)(v >> 8);
        if (k > 3) out[o++] = (unsigned char)v;
    }
    return (long)o;
}

static void fuzz_base64(const char *p, size_t n) {
    cloudtasks__buf e = {0}, d = {0};
    unsigned char *ref = (unsigned char *)xmalloc(n);
    long want;
    int url, r;
    size_t i;
    for (url = 0; url < 2; url++) {
        e.len = 0;
        d.len = 0;
        cloudtasks__base64(&e, p, n, url);
        CHECK_WHY(!e.oom, "base64 ran out of memory");
        CHECK_WHY(url ? e.len == (n * 4 + 2) / 3 : e.len == (n + 2) / 3 * 4, "base64 has the wrong length");
        for (i = 0; i < e.len; i++) {
            char c = e.data[i];
            int ok = b64val((unsigned char)c) >= 0 && (url ? c != '+' && c != '/' : c != '-' && c != '_');
            if (!url && c == '=') ok = i >= e.len - 2;
            CHECK_WHY(ok, "base64 wrote a character outside its alphabet (or misplaced padding)");
        }
        CHECK_WHY(cloudtasks__base64_decode(&d, e.data ? e.data : "", e.len) == 1, "base64_decode refuses base64's output");
        CHECK_WHY(d.len == n && (n == 0 || memcmp(d.data, p, n) == 0), "base64_decode(base64(x)) != x");
    }
    d.len = 0;
    r = cloudtasks__base64_decode(&d, p, n);
    want = ref_b64_decode(p, n, ref);
    if (r != (want >= 0)) fprintf(stderr, "base64_decode returned %d, the reference %s\n", r, want >= 0 ? "accepts" : "refuses");
    CHECK_WHY(r == (want >= 0), "base64_decode decides differently from the documented rules");
    if (r) {
        if (d.len != (size_t)want || memcmp(d.data ? d.data : "", ref, d.len) != 0) { dump("decoded", d.data, d.len); dump("reference", ref, (size_t)want); }
        CHECK_WHY(d.len == (size_t)want && memcmp(d.data ? d.data : "", ref, d.len) == 0, "base64_decode gives other bytes than the reference");
    }
    free(ref);
    cloudtasks__buf_free(&e);
    cloudtasks__buf_free(&d);
}

/* ============================== the input ============================== */

static const long statuses[] = {400, 401, 403, 404, 429, 500, 502, 503, 0, -1, 201, 204, 302, 999, 100, 2147483647L};
static const size_t st_sizes[] = {1, 4, 16, 64}, msg_sizes[] = {1, 8, 201, 300};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char handles[CLOUDTASKS__BATCH_MAX][64];
    const uint8_t *p, *z, *body;
    size_t rest, hlen, body_len, start;
    long status;
    int n, k, flags;
    char *raw;
    cur_data = data; cur_size = size;
    if (size < 3) return 0;
    flags = data[0];
    status = data[1] & 0x80 ? 200 : statuses[data[1] % (sizeof statuses / sizeof statuses[0])];
    n = data[2] % (CLOUDTASKS__BATCH_MAX + 1);
    p = data + 3; rest = size - 3;
    z = (const uint8_t *)memchr(p, 0, rest);
    hlen = z ? (size_t)(z - p) : rest;
    body = z ? z + 1 : p + rest;
    body_len = (size_t)(data + size - body);

    /* ack ids: the HANDLES pieces, then "ack-K" */
    for (k = 0, start = 0; k < CLOUDTASKS__BATCH_MAX; k++) {
        if (start <= hlen && hlen > 0) {
            size_t e = start;
            while (e < hlen && p[e] != ',') e++;
            snprintf(handles[k], sizeof handles[k], "%.*s", (int)(e - start), (const char *)p + start);
            start = e + 1;
        } else snprintf(handles[k], sizeof handles[k], "ack-%d", k);
    }

    raw = bytes(body, body_len);
    if (!FUZZ_GCP_TOLERATE_KNOWN) {
        fuzz_pem(raw, body_len, 0);
        fuzz_der(body, body_len, flags >> 4 & 3, flags >> 6 & 1, flags >> 7 & 1);
    }
    fuzz_token(raw, body_len, status);
    fuzz_error_of(raw, body_len, status, st_sizes[flags & 3], msg_sizes[flags >> 2 & 3]);
    fuzz_mark_failed(raw, body_len, handles, n);
    fuzz_base64(raw, body_len);
    free(raw);
    return 0;
}

#include "replay_main.h"

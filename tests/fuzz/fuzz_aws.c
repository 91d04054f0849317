/* libFuzzer target for the parsers of untrusted AWS input (tests/fuzz/run.sh builds and runs it).
   fuzz-seeds:

   Input layout: three flag bytes, then pieces split at the first two NUL bytes:
       SIZE  ERR  STATUS  NAME \0 KEY \0 BODY
   SIZE picks the output size of the lookups and of url_host (from 0 up to 4 KB, or the value's
   length, or that plus one: see sizes[]), ERR the code and
   message sizes of cloudtasks__aws_error_of and the batch size n (0..10) of
   cloudtasks__sqs_failed_entries, STATUS the HTTP status. NAME and KEY hold no NUL; BODY is every
   byte after the second NUL (NULs included). A missing piece is empty. Every input goes through
   every parser:

   - cloudtasks__ini_get(BODY up to its first NUL, section NAME, key KEY): the documented dialect
     (a reference reader here: '#'/';' comment lines, "[ name ]" headers trimmed of spaces and
     matched exactly, "key = value" with blanks around '=' and the key matched with ASCII case
     folded, the first match in the first matching section, a value too long for out refused).
   - cloudtasks__xml_text(BODY, tag NAME): the text between the first "<NAME>" and the "</NAME>"
     after it, the five predefined entities (&amp; &lt; &gt; &quot; &apos;) decoded once, nothing
     else (a reference search and decoder here; the tag cut as the header's 64-byte buffers cut
     it). Refused, out untouched, when the decoded text does not fit.
   - cloudtasks__http_header(header block BODY, NAME): the first line "NAME:" (ASCII case folded),
     its value trimmed (a reference here).
   - cloudtasks__aws_error_of(body BODY, header block KEY, STATUS): terminated inside both outputs,
     the code never empty (with room for one character), and both equal to a reference's: the code
     from the JSON "__type" (after its first '#', cut at its first ':'), else the XML <Code>, else
     the x-amzn-query-error header, else the x-amzn-ErrorType header (without a "ns#" prefix; either cut at ';' or ':'),
     else "HTTP<status>"; the message from the JSON "message"/"Message", else the XML <Message>;
     each cut to its output (an XML text that does not fit is skipped).
   - cloudtasks__aws_creds_json(BODY): CLOUDTASKS_OK exactly when the JSON (read with the library's
     own JSON reader) holds a non-empty string AccessKeyId and SecretAccessKey that fit their
     fields, a Token that is absent, not a string or fits its 8192-byte field, and an Expiration
     that is absent or a valid ISO 8601 string; then with those fields. Otherwise
     CLOUDTASKS_EPROTOCOL with exactly the fixed message (so no input reaches the message).
   - cloudtasks__sqs_failed_entries(BODY parsed as JSON, n): touches no entry at or beyond n; an
     entry k (k < n) is marked exactly when a string Id under "Failed" is "k" byte for byte (the
     ids the library sends: "0".."9"; no sign, no leading zero, no blank, nothing after it).
   - cloudtasks__url_host(NAME, and BODY up to its first NUL): the part after "://" when that comes
     before the first '/', '?' or '#' (else all), up to '/', '?' or '#', without what precedes
     its last '@' (user:password@), cut to the output.
   For the lookups, every output is an exact-size heap block prefilled with 0x55: a refusal leaves
   it untouched, a success writes the value and one NUL and nothing else, and the answer for a
   small output agrees with the answer for a large one (refused only when the value does not fit).
   A failed check prints what differed and aborts, which libFuzzer reports as a crash.

   FUZZ_REPLAY_MAIN: see fuzz_json.c. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "fuzz_aws: out of memory\n"); abort(); }
    return p;
}

/* A NUL-terminated copy of exactly n bytes, in a block of exactly n + 1 bytes. */
static char *cstr(const uint8_t *p, size_t n) {
    char *s = (char *)xmalloc(n + 1);
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* An exact-size copy of n bytes, not terminated (malloc(0) for none, so any access shows). */
static char *bytes(const uint8_t *p, size_t n) {
    char *s = (char *)malloc(n);
    if (!s && n) { fprintf(stderr, "fuzz_aws: out of memory\n"); abort(); }
    if (n) memcpy(s, p, n);
    return s;
}

/* A lookup's answer: refused (ok 0), or the value's bytes. */
typedef struct { int ok; const char *v; size_t n; } answer;

/* The output sizes of the lookups; the last two are special: the value's length (one byte short)
   and the value's length plus one (exactly enough). */
static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 8, 9, 16, 31, 64, 128, 160, 4096, 0, 0};
#define N_SIZES (sizeof sizes / sizeof sizes[0])
static unsigned size_pick;   /* the index into sizes, from the first input byte */

static size_t out_size(answer want) {
    if (size_pick == N_SIZES - 2) return want.ok ? want.n : 0;
    if (size_pick == N_SIZES - 1) return want.ok ? want.n + 1 : 1;
    return sizes[size_pick];
}
#define BIG (cur_size + 1)   /* more than any value taken from the input */

/* ============================== the outcome of one lookup ============================== */

/* Checks what a lookup wrote into out[0..size): untouched when refused, else exactly the value
   and a NUL. Also that the answer agrees with the reference (want) and with the answer for a big
   output (big): the same value, refused only when it does not fit. */
static void check_lookup(const char *what, int r, const char *out, size_t size, answer want, answer big) {
    size_t i;
    if (r != 0 && r != 1) { fprintf(stderr, "%s returned %d\n", what, r); CHECK_WHY(0, "a lookup returned neither 0 nor 1"); }
    if (want.ok != big.ok || (want.ok && (want.n != big.n || memcmp(want.v, big.v, want.n) != 0))) {
        fprintf(stderr, "%s with a large output: %d", what, big.ok);
        if (big.ok) dump("value", big.v, big.n);
        fprintf(stderr, "\nreference: %d", want.ok);
        if (want.ok) dump("value", want.v, want.n);
        fprintf(stderr, "\n");
        CHECK_WHY(0, "the lookup disagrees with the reference");
    }
    if (want.ok && want.n < size) {
        if (!r) fprintf(stderr, "%s refused a value of %zu bytes with an output of %zu\n", what, want.n, size);
        CHECK_WHY(r == 1, "a value that fits the output was refused");
    } else {
        if (r) fprintf(stderr, "%s accepted with an output of %zu bytes\n", what, size);
        CHECK_WHY(r == 0, "accepted though the value does not fit the output (or there is none)");
    }
    if (r) {
        if (memcmp(out, want.v, want.n) != 0) { dump("written", out, want.n); dump("reference", want.v, want.n); }
        CHECK_WHY(memcmp(out, want.v, want.n) == 0, "the written value differs from the reference");
        CHECK_WHY(out[want.n] == '\0', "the value is not NUL-terminated");
        for (i = want.n + 1; i < size; i++) CHECK_WHY((unsigned char)out[i] == 0x55, "bytes written past the terminator");
    } else {
        for (i = 0; i < size; i++) CHECK_WHY((unsigned char)out[i] == 0x55, "a refusal wrote into the output");
    }
}

/* Runs call_with (a call writing into o[0..s)) with an exact-size output and with a big one;
   compares both with the reference. */
#define LOOKUP(what, want, call_with)                                                          \
    do {                                                                                       \
        size_t osz_ = out_size(want);                                                          \
        char *out_ = (char *)malloc(osz_), *bigout_ = (char *)xmalloc(BIG);                    \
        answer big_ = {0, NULL, 0};                                                            \
        int r_;                                                                                \
        if (osz_ && !out_) abort();                                                            \
        if (osz_) memset(out_, 0x55, osz_);                                                    \
        memset(bigout_, 0x55, BIG);                                                            \
        { char *o = bigout_; size_t s = BIG; big_.ok = (call_with); }                          \
        if (big_.ok == 1) { big_.v = bigout_; big_.n = (want).ok ? (want).n : strlen(bigout_); } \
        { char *o = out_; size_t s = osz_; r_ = (call_with); }                                 \
        check_lookup((what), r_, out_, osz_, (want), big_);                                    \
        free(out_);                                                                            \
        free(bigout_);                                                                         \
    } while (0)

/* ============================== references ============================== */

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int caseeq(const char *a, const char *b, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
    return 1;
}

/* The documented INI dialect over the NUL-terminated text. */
static answer ref_ini(const char *text, const char *section, const char *key) {
    answer a = {0, NULL, 0};
    size_t sl = strlen(section), kl = strlen(key);
    int in = 0;
    const char *line = text;
    while (*line) {
        const char *eol = line + strcspn(line, "\n"), *q = line, *e = eol;
        while (q < e && is_blank(*q)) q++;
        while (e > q && is_space(e[-1])) e--;
        if (q < e && *q == '[') {
            const char *name = q + 1, *ne = name;
            while (ne < e && *ne != ']') ne++;
            if (ne == e) in = 0;   /* no ']' */
            else {
                while (name < ne && *name == ' ') name++;
                while (ne > name && ne[-1] == ' ') ne--;
                in = (size_t)(ne - name) == sl && memcmp(name, section, sl) == 0;
            }
        } else if (in && q < e && *q != '#' && *q != ';' && (size_t)(e - q) > kl && caseeq(q, key, kl)) {
            const char *v = q + kl;
            while (v < e && is_blank(*v)) v++;
            if (v < e && *v == '=') {
                v++;
                while (v < e && is_blank(*v)) v++;
                a.ok = 1; a.v = v; a.n = (size_t)(e - v);
                return a;
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    return a;
}

static const char *find(const char *hay, size_t n, const char *needle, size_t k) {
    size_t i;
    if (k > n) return NULL;
    for (i = 0; i + k <= n; i++) if (memcmp(hay + i, needle, k) == 0) return hay + i;
    return NULL;
}

/* XML character data with the five predefined entities decoded, one pass (so "&amp;lt;" is
   "&lt;"); anything else, "&#60;" or a lone '&' included, is kept as it is. out holds n bytes. */
static size_t ref_xml_decode(const char *s, size_t n, char *out) {
    static const struct { const char *name; char c; } ents[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t i = 0, k = 0, e;
    while (i < n) {
        char c = s[i];
        size_t step = 1;
        if (c == '&')
            for (e = 0; e < sizeof ents / sizeof ents[0]; e++) {
                size_t l = strlen(ents[e].name);
                if (l <= n - i && memcmp(s + i, ents[e].name, l) == 0) { c = ents[e].c; step = l; break; }
            }
        out[k++] = c;
        i += step;
    }
    return k;
}

/* The text between the first "<tag>" and the next "</tag>" (tags cut to 63 bytes, as snprintf
   into the header's 64-byte buffers cuts them), decoded into buf (len bytes at least). */
static answer ref_xml(const char *xml, size_t len, const char *tag, char *buf) {
    answer r = {0, NULL, 0};
    char open[64], close[64];
    const char *a, *b;
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    if (!(a = find(xml, len, open, strlen(open)))) return r;
    a += strlen(open);
    if (!(b = find(a, (size_t)(xml + len - a), close, strlen(close)))) return r;
    r.ok = 1; r.v = buf; r.n = ref_xml_decode(a, (size_t)(b - a), buf);
    return r;
}

/* The first header line "name:..." (ASCII case folded), its value trimmed. */
static answer ref_header(const char *block, size_t len, const char *name) {
    answer r = {0, NULL, 0};
    size_t k = strlen(name), i = 0, j;
    while (i < len) {
        const char *line = block + i;
        const char *nl = (const char *)memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;
        if (ll > k && line[k] == ':') {
            for (j = 0; j < k && lower((unsigned char)line[j]) == lower((unsigned char)name[j]); j++) {}
            if (j == k) {
                const char *v = line + k + 1, *e = line + ll;
                while (v < e && is_blank(*v)) v++;
                while (e > v && is_space(e[-1])) e--;
                r.ok = 1; r.v = v; r.n = (size_t)(e - v);
                return r;
            }
        }
        i += ll + 1;
    }
    return r;
}

/* ============================== the parsers ============================== */

static void fuzz_ini(const char *text, const char *section, const char *key) {
    answer want = ref_ini(text, section, key);
    LOOKUP("ini_get", want, cloudtasks__ini_get(text, section, key, o, s));
}

static void fuzz_xml(const char *xml, size_t len, const char *tag) {
    char *buf = (char *)xmalloc(len);
    answer want = ref_xml(xml, len, tag, buf);
    LOOKUP("xml_text", want, cloudtasks__xml_text(xml, len, tag, o, s));
    free(buf);
}

static void fuzz_header(const char *block, size_t len, const char *name) {
    cloudtasks__http_response rs;
    answer want = ref_header(block, len, name);
    memset(&rs, 0, sizeof rs);
    rs.status = 200;
    rs.headers.data = (char *)block;
    rs.headers.len = rs.headers.cap = len;
    LOOKUP("http_header", want, cloudtasks__http_header(&rs, name, o, s));
}

/* Copies at most size - 1 bytes of v[0..n), stopping at a NUL or at a byte of cut (NULL: none),
   and terminates: what cloudtasks__copy followed by out[strcspn(out, cut)] = '\0' leaves. */
static void ref_copy(char *out, size_t size, const char *v, size_t n, const char *cut) {
    size_t m = 0;
    while (m < n && m + 1 < size && v[m] && !(cut && strchr(cut, v[m]))) m++;
    if (size) { memcpy(out, v, m); out[m] = '\0'; }
}

/* What cloudtasks__aws_error_of should leave in code and message. */
static void ref_error_of(const char *body, size_t body_len, const char *headers, size_t headers_len, long status, char *code,
                         size_t code_size, char *message, size_t message_size) {
    cloudtasks_json_doc *doc = cloudtasks_json_parse(body ? body : "", body_len, NULL);
    const cloudtasks_json *root = cloudtasks_json_root(doc);
    const char *type = cloudtasks_json_string(cloudtasks_json_get(root, "__type"), NULL);
    const char *text = cloudtasks_json_string(cloudtasks_json_get(root, "message"), NULL);
    char *buf = (char *)xmalloc(body_len);
    answer a;
    if (!text) text = cloudtasks_json_string(cloudtasks_json_get(root, "Message"), NULL);
    code[0] = message[0] = '\0';
    if (type) {
        const char *hash = strchr(type, '#');
        if (hash) type = hash + 1;
        ref_copy(code, code_size, type, strlen(type), ":");
    }
    if (text) ref_copy(message, message_size, text, strlen(text), NULL);
    cloudtasks_json_free(doc);
    if (!code[0] && (a = ref_xml(body, body_len, "Code", buf)).ok && a.n < code_size) { memcpy(code, a.v, a.n); code[a.n] = '\0'; }
    if (!message[0] && (a = ref_xml(body, body_len, "Message", buf)).ok && a.n < message_size) { memcpy(message, a.v, a.n); message[a.n] = '\0'; }
    if (!code[0]) {
        /* the header's value goes through a 160-byte buffer: a longer one is as good as absent */
        a = ref_header(headers, headers_len, "x-amzn-query-error");
        if (a.ok && a.n < 160) ref_copy(code, code_size, a.v, a.n, ";:");
    }
    if (!code[0]) {
        /* x-amzn-ErrorType: a "namespace#" prefix is dropped, then cut at ';' or ':' */
        a = ref_header(headers, headers_len, "X-Amzn-ErrorType");
        if (a.ok && a.n < 160) {
            const char *v = a.v, *hash = (const char *)memchr(a.v, '#', a.n);
            size_t n = a.n;
            if (hash) { n -= (size_t)(hash + 1 - v); v = hash + 1; }
            ref_copy(code, code_size, v, n, ";:");
        }
    }
    if (!code[0]) snprintf(code, code_size, "HTTP%ld", status);
    free(buf);
}

static void fuzz_error_of(const char *body, size_t body_len, const char *headers, size_t headers_len, long status, size_t code_size,
                          size_t message_size) {
    cloudtasks__http_response rs;
    char *code = (char *)xmalloc(code_size), *message = (char *)xmalloc(message_size);
    char *want_code = (char *)xmalloc(code_size), *want_message = (char *)xmalloc(message_size);
    memset(&rs, 0, sizeof rs);
    rs.status = status;
    rs.body.data = (char *)body;
    rs.body.len = rs.body.cap = body_len;
    rs.headers.data = (char *)headers;
    rs.headers.len = rs.headers.cap = headers_len;
    memset(code, 0x55, code_size);
    memset(message, 0x55, message_size);
    cloudtasks__aws_error_of(&rs, code, code_size, message, message_size);
    CHECK_WHY(memchr(code, '\0', code_size) != NULL, "the error code is not terminated inside its buffer");
    CHECK_WHY(memchr(message, '\0', message_size) != NULL, "the error message is not terminated inside its buffer");
    if (code_size > 1) CHECK_WHY(code[0] != '\0', "an empty error code");
    ref_error_of(body, body_len, headers, headers_len, status, want_code, code_size, want_message, message_size);
    if (strcmp(code, want_code) != 0) { dump("code", code, strlen(code)); dump("reference", want_code, strlen(want_code)); }
    CHECK_WHY(strcmp(code, want_code) == 0, "the error code differs from the reference");
    if (strcmp(message, want_message) != 0) { dump("message", message, strlen(message)); dump("reference", want_message, strlen(want_message)); }
    CHECK_WHY(strcmp(message, want_message) == 0, "the error message differs from the reference");
    free(code);
    free(message);
    free(want_code);
    free(want_message);
}

/* session tokens (STS, IMDS, containers) run to several KB: the field holds 8191 bytes */
_Static_assert(sizeof(((cloudtasks__aws_creds *)0)->token) == 8192, "the session token field is not 8192 bytes");

static void fuzz_creds(const char *text, size_t len) {
    cloudtasks__aws_creds c;
    cloudtasks_error err;
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text ? text : "", len, NULL);
    const cloudtasks_json *root = cloudtasks_json_root(doc);
    size_t akn = 0, skn = 0, tkn = 0;
    const char *ak = cloudtasks_json_string(cloudtasks_json_get(root, "AccessKeyId"), &akn);
    const char *sk = cloudtasks_json_string(cloudtasks_json_get(root, "SecretAccessKey"), &skn);
    const char *tk = cloudtasks_json_string(cloudtasks_json_get(root, "Token"), &tkn);
    const char *ex = cloudtasks_json_string(cloudtasks_json_get(root, "Expiration"), NULL);
    int64_t t = 0;
    int rc, want_ok;
    memset(&c, 0x55, sizeof c);
    memset(&err, 0, sizeof err);
    rc = cloudtasks__aws_creds_json(text, len, &c, "fuzz", &err);
    /* usable: both keys non-empty strings that fit, with no NUL inside (it would cut them), a
       Token that fits with no NUL (or is no string), an Expiration that is absent or a valid time */
    want_ok = doc && ak && sk && *ak && *sk && strlen(ak) == akn && strlen(sk) == skn && strlen(ak) < sizeof c.key_id &&
              strlen(sk) < sizeof c.secret && (!tk || (strlen(tk) == tkn && strlen(tk) < sizeof c.token)) && (ex ? cloudtasks__parse_iso8601(ex, &t) : !cloudtasks_json_get(root, "Expiration"));
    CHECK_WHY(memchr(c.key_id, '\0', sizeof c.key_id) && memchr(c.secret, '\0', sizeof c.secret) && memchr(c.token, '\0', sizeof c.token),
              "a credential field is not terminated");
    if (rc == CLOUDTASKS_OK) {
        CHECK_WHY(want_ok, "credentials accepted from an answer without usable ones");
        CHECK_WHY(strcmp(c.key_id, ak) == 0 && strcmp(c.secret, sk) == 0, "the keys differ from the answer's");
        CHECK_WHY(strcmp(c.token, tk ? tk : "") == 0, "the token differs from the answer's");
        if (ex) CHECK_WHY(t == c.expires, "the expiry differs from the answer's");
        else CHECK_WHY(c.expires == 0, "an expiry without Expiration");
        CHECK_WHY(err.code == 0, "the error was set on success");
    } else {
        if (want_ok) fprintf(stderr, "aws_creds_json refused usable credentials: %s\n", err.message);
        CHECK_WHY(!want_ok, "usable credentials refused");
        if (rc != CLOUDTASKS_EPROTOCOL) fprintf(stderr, "aws_creds_json returned %d\n", rc);
        CHECK_WHY(rc == CLOUDTASKS_EPROTOCOL, "aws_creds_json failed with another code than CLOUDTASKS_EPROTOCOL");
        CHECK_WHY(err.code == CLOUDTASKS_EPROTOCOL, "err.code is not the returned code");
        CHECK_WHY(strcmp(err.message, "fuzz: the answer holds no usable credentials") == 0, "an unexpected error message");
    }
    cloudtasks_json_free(doc);
}

static void fuzz_failed_entries(const char *text, size_t len, int n) {
    cloudtasks__settle s[CLOUDTASKS__BATCH_MAX + 1];
    int want[CLOUDTASKS__BATCH_MAX + 1] = {0};
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, len, NULL);
    const cloudtasks_json *failed = cloudtasks_json_get(cloudtasks_json_root(doc), "Failed");
    size_t i;
    int k;
    memset(s, 0x55, sizeof s);
    for (k = 0; k < n; k++) s[k].error[0] = '\0';
    /* the entries an exact Id names (byte for byte: the JSON string's length counts, so "1\u0000"
       is not "1") */
    if (cloudtasks_json_typeof(failed) == CLOUDTASKS_JSON_ARRAY)
        for (i = 0; i < cloudtasks_json_length(failed); i++) {
            size_t idl = 0;
            const char *id = cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_at(failed, i), "Id"), &idl);
            char canon[16];
            if (!id) continue;
            for (k = 0; k < n; k++) {
                snprintf(canon, sizeof canon, "%d", k);
                if (idl == strlen(canon) && memcmp(id, canon, idl) == 0) want[k] = 1;
            }
        }
    cloudtasks__sqs_failed_entries(doc, s, n);
    for (k = 0; k <= CLOUDTASKS__BATCH_MAX; k++) {
        if (k >= n) {
            size_t j;
            for (j = 0; j < sizeof s[k].error; j++) CHECK_WHY((unsigned char)s[k].error[j] == 0x55, "an entry beyond n was written");
            continue;
        }
        CHECK_WHY(memchr(s[k].error, '\0', sizeof s[k].error) != NULL, "an entry's error is not terminated");
        if (want[k] && !s[k].error[0]) fprintf(stderr, "entry %d is listed under Failed but not marked\n", k);
        CHECK_WHY(!want[k] || s[k].error[0], "a failed entry was not marked");
        if (!want[k] && s[k].error[0]) fprintf(stderr, "entry %d marked (\"%s\") though no Failed entry has the Id \"%d\"\n", k, s[k].error, k);
        CHECK_WHY(want[k] || !s[k].error[0], "an entry no Failed Id names was marked");
    }
    cloudtasks_json_free(doc);
}

/* The host part of url (see the top): a scheme "X://" only counts before the first '/', '?' or
   '#'; the authority runs to the next of those; what precedes its last '@' is left out. */
static answer ref_url_host(const char *url) {
    answer a = {1, url, 0};
    const char *p = url, *e, *at = NULL;
    size_t i;
    for (i = 0; url[i] && url[i] != '/' && url[i] != '?' && url[i] != '#'; i++)
        if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') { p = url + i + 3; break; }
    for (e = p; *e && *e != '/' && *e != '?' && *e != '#'; e++)
        if (*e == '@') at = e;
    if (at) p = at + 1;
    a.v = p;
    a.n = (size_t)(e - p);
    return a;
}

static void fuzz_url_host(const char *url) {
    answer host = ref_url_host(url);
    char *out;
    size_t i, size = out_size(host);
    out = (char *)malloc(size);
    if (size && !out) abort();
    if (size) memset(out, 0x55, size);
    cloudtasks__url_host(url, out, size);
    if (size) {
        size_t m = host.n < size - 1 ? host.n : size - 1;
        if (memcmp(out, host.v, m) != 0 || out[m] != '\0') { dump("written", out, strnlen(out, size)); dump("reference", host.v, host.n); }
        CHECK_WHY(memcmp(out, host.v, m) == 0 && out[m] == '\0', "url_host differs from the host part, cut to the output");
        for (i = m + 1; i < size; i++) CHECK_WHY((unsigned char)out[i] == 0x55, "url_host wrote past the terminator");
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *p, *key, *body, *z;
    size_t rest, name_len, key_len, body_len, code_size, message_size;
    long status;
    int n;
    char *name, *keys, *text, *raw_body, *raw_key;
    cur_data = data; cur_size = size;
    if (size < 3) return 0;
    size_pick = data[0] % N_SIZES;
    code_size = 1 + (data[1] & 0x0f) * 9;                 /* 1..136 */
    message_size = 1 + (size_t)(data[1] >> 4) * 17;       /* 1..256 */
    n = data[1] % (CLOUDTASKS__BATCH_MAX + 1);
    status = data[2] < 200 ? (long)data[2] * 3 : (data[2] < 250 ? 400 + data[2] - 200 : -(long)data[2] * 100000000L);
    p = data + 3; rest = size - 3;
    z = (const uint8_t *)memchr(p, 0, rest);
    name_len = z ? (size_t)(z - p) : rest;
    key = z ? z + 1 : p + rest;
    rest = (size_t)(data + size - key);
    z = (const uint8_t *)memchr(key, 0, rest);
    key_len = z ? (size_t)(z - key) : rest;
    body = z ? z + 1 : key + rest;
    body_len = (size_t)(data + size - body);

    name = cstr(p, name_len);
    keys = cstr(key, key_len);
    text = cstr(body, body_len);          /* as a C string: up to its first NUL */
    raw_body = bytes(body, body_len);     /* exact, not terminated */
    raw_key = bytes(key, key_len);

    fuzz_ini(text, name, keys);
    fuzz_xml(raw_body, body_len, name);
    fuzz_header(raw_body, body_len, name);
    fuzz_error_of(raw_body, body_len, raw_key, key_len, status, code_size, message_size);
    fuzz_creds(raw_body, body_len);
    fuzz_failed_entries(raw_body, body_len, n);
    fuzz_url_host(name);
    fuzz_url_host(text);

    free(name); free(keys); free(text); free(raw_body); free(raw_key);
    return 0;
}

#include "replay_main.h"

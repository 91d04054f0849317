/* libFuzzer target for the JSON writer's call sequence (tests/fuzz/run.sh builds and runs it).
   fuzz-seeds:

   The input is a little program of writer calls (one opcode byte, then its operands). A model of
   the documented rules runs beside the real writer and predicts the first misuse (EINVAL): a value
   where a key is due, a key outside an object, closing the wrong container or with a key pending,
   a second top-level value, nesting deeper than CLOUDTASKS_JSON_WRITER_MAX_DEPTH, write_raw of
   text that does not parse. After it, every call must do nothing.
   At the end: w.error is what the model predicts; and when the program wrote one complete value
   without error, w.data is compact valid UTF-8 JSON that parses, and re-serialises (parse +
   write_value) to the same bytes unless a write_int was beyond 2^53 (a double cannot hold it).

   FUZZ_REPLAY_MAIN: see fuzz_json.c. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *cur_data;
static size_t cur_size;

static void fail(int line, const char *cond, const char *why, const cloudtasks_json_writer *w) {
    fprintf(stderr, "\nfuzz_json_writer.c:%d: check failed: %s%s%s\n", line, cond, why ? " -- " : "", why ? why : "");
    fprintf(stderr, "  program (%zu bytes):", cur_size);
    for (size_t i = 0; i < cur_size && i < 256; i++) fprintf(stderr, " %02x", cur_data[i]);
    fprintf(stderr, "%s\n", cur_size > 256 ? " ..." : "");
    if (w) fprintf(stderr, "  writer: error %d, depth %d, len %zu, text: %.300s\n", w->error, w->depth, w->len,
                   w->data ? w->data : "(null)");
    fflush(stderr);
    abort();
}
#define CHECK(cond, why) do { if (!(cond)) fail(__LINE__, #cond, why, &w); } while (0)

static int valid_utf8(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t need; unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) need = 1;
        else if (c >= 0xe0 && c <= 0xef) { need = 2; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
        else if (c >= 0xf0 && c <= 0xf4) { need = 3; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
        else return 0;
        if (n - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (size_t k = 2; k <= need; k++) if ((s[i + k] & 0xc0) != 0x80) return 0;
        i += need + 1;
    }
    return 1;
}

/* the model */
typedef struct model {
    int depth, expect_key, top_done, error;
    unsigned char in_object[CLOUDTASKS_JSON_WRITER_MAX_DEPTH];
} model;

static int m_value_ok(const model *m) {
    if (m->depth == 0) return !m->top_done;
    return !m->in_object[m->depth - 1] || !m->expect_key;
}
static void m_value_done(model *m) {
    if (m->depth == 0) m->top_done = 1;
    else m->expect_key = m->in_object[m->depth - 1];
}
static void m_misuse(model *m) { if (!m->error) m->error = CLOUDTASKS_EINVAL; }

/* operands */
typedef struct reader { const uint8_t *p, *end; } reader;
static size_t take_len(reader *r) { /* 0..63, biased to short */
    if (r->p >= r->end) return 0;
    size_t n = *r->p++ & 63;
    size_t left = (size_t)(r->end - r->p);
    return n < left ? n : left;
}
static const char *take_bytes(reader *r, size_t n) { const char *s = (const char *)r->p; r->p += n; return s; }
static uint64_t take_u64(reader *r) {
    uint8_t b[8] = {0};
    size_t n = (size_t)(r->end - r->p) < 8 ? (size_t)(r->end - r->p) : 8;
    memcpy(b, r->p, n);
    r->p += n;
    uint64_t x;
    memcpy(&x, b, 8);
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cur_data = data; cur_size = size;
    cloudtasks_json_writer w;
    model m;
    memset(&m, 0, sizeof m);
    cloudtasks_json_writer_init(&w);
    CHECK(w.error == 0 && w.len == 0, "init");
    reader r = { data, data + size };
    int big_int = 0;
    char buf[64];

    while (r.p < r.end) {
        uint8_t op = *r.p++ % 14;
        size_t len_before = w.len;
        int err_before = w.error;
        switch (op) {
        case 0: case 1: { /* begin_object / begin_array */
            int obj = op == 0;
            if (!m_value_ok(&m) || m.depth == CLOUDTASKS_JSON_WRITER_MAX_DEPTH) m_misuse(&m);
            else if (!m.error) { m.in_object[m.depth++] = (unsigned char)obj; m.expect_key = obj; }
            if (obj) cloudtasks_json_begin_object(&w); else cloudtasks_json_begin_array(&w);
            break;
        }
        case 2: case 3: { /* end_object / end_array */
            int obj = op == 2;
            if (m.depth == 0 || m.in_object[m.depth - 1] != obj || (obj && !m.expect_key)) m_misuse(&m);
            else if (!m.error) { m.depth--; m_value_done(&m); }
            if (obj) cloudtasks_json_end_object(&w); else cloudtasks_json_end_array(&w);
            break;
        }
        case 4: case 5: { /* key (NUL-terminated); opcode 5 with an empty operand passes NULL */
            size_t n = take_len(&r);
            int null_key = op == 5 && n == 0;
            memcpy(buf, take_bytes(&r, n), n);
            buf[n] = '\0';
            if (null_key || m.depth == 0 || !m.in_object[m.depth - 1] || !m.expect_key) m_misuse(&m);
            else if (!m.error) m.expect_key = 0;
            cloudtasks_json_key(&w, null_key ? NULL : buf);
            break;
        }
        case 6: case 7: { /* write_string / write_cstring */
            size_t n = take_len(&r);
            const char *s = take_bytes(&r, n);
            if (!m_value_ok(&m)) m_misuse(&m); else if (!m.error) m_value_done(&m);
            if (op == 6) cloudtasks_json_write_string(&w, s, n);
            else if (n == 0) cloudtasks_json_write_cstring(&w, NULL); /* writes null */
            else { memcpy(buf, s, n); buf[n] = '\0'; cloudtasks_json_write_cstring(&w, buf); }
            break;
        }
        case 8: { /* write_number */
            uint64_t bits = take_u64(&r);
            double x;
            memcpy(&x, &bits, sizeof x);
            if (!m_value_ok(&m)) m_misuse(&m); else if (!m.error) m_value_done(&m);
            cloudtasks_json_write_number(&w, x);
            break;
        }
        case 9: { /* write_int */
            int64_t x = (int64_t)take_u64(&r);
            if (x > (INT64_C(1) << 53) || x < -(INT64_C(1) << 53)) big_int = 1;
            if (!m_value_ok(&m)) m_misuse(&m); else if (!m.error) m_value_done(&m);
            cloudtasks_json_write_int(&w, x);
            break;
        }
        case 10: case 11: /* write_bool / write_null */
            if (!m_value_ok(&m)) m_misuse(&m); else if (!m.error) m_value_done(&m);
            if (op == 10) cloudtasks_json_write_bool(&w, r.p < r.end ? *r.p++ & 1 : 1);
            else cloudtasks_json_write_null(&w);
            break;
        case 12: { /* write_raw */
            size_t n = take_len(&r);
            const char *s = take_bytes(&r, n);
            cloudtasks_json_doc *doc = cloudtasks_json_parse(s, n, NULL);
            if (!doc || !m_value_ok(&m)) m_misuse(&m); else if (!m.error) m_value_done(&m);
            cloudtasks_json_free(doc);
            cloudtasks_json_write_raw(&w, s, n);
            break;
        }
        default: { /* write_value of a parsed operand (or of NULL, which writes null) */
            size_t n = take_len(&r);
            const char *s = take_bytes(&r, n);
            cloudtasks_json_doc *doc = cloudtasks_json_parse(s, n, NULL);
            if (!m_value_ok(&m)) m_misuse(&m); else if (!m.error) m_value_done(&m);
            cloudtasks_json_write_value(&w, cloudtasks_json_root(doc)); /* NULL root when it did not parse */
            cloudtasks_json_free(doc);
            break;
        }
        }
        if (w.error != m.error) {
            fprintf(stderr, "after opcode %u at byte %zu: writer error %d, model predicts %d\n", op,
                    (size_t)(r.p - data), w.error, m.error);
            CHECK(w.error == m.error, "the writer and the documented rules disagree");
        }
        if (err_before) CHECK(w.len == len_before, "a call after an error changed the text");
        if (w.data) CHECK(w.data[w.len] == '\0' && w.len < w.cap, "data is not NUL-terminated within cap");
    }

    if (!w.error && m.depth == 0 && m.top_done) {
        CHECK(w.data != NULL && strlen(w.data) == w.len, "output holds a NUL byte");
        CHECK(valid_utf8((const unsigned char *)w.data, w.len), "output is not valid UTF-8");
        for (size_t i = 0, in_str = 0; i < w.len; i++) {
            char c = w.data[i];
            if (in_str) { if (c == '\\') i++; else if (c == '"') in_str = 0; CHECK((unsigned char)c >= 0x20, "raw control character"); }
            else { CHECK(c != ' ' && c != '\n' && c != '\t' && c != '\r', "output is not compact"); if (c == '"') in_str = 1; }
        }
        cloudtasks_error err;
        cloudtasks_json_doc *doc = cloudtasks_json_parse(w.data, w.len, &err);
        if (!doc) fprintf(stderr, "parse error at byte %zu: %s\n", err.offset, err.message);
        CHECK(doc != NULL, "the writer produced text that does not parse");
        if (!big_int) {
            cloudtasks_json_writer w2;
            cloudtasks_json_writer_init(&w2);
            cloudtasks_json_write_value(&w2, cloudtasks_json_root(doc));
            CHECK(w2.error == 0, "write_value of the reparsed output failed");
            if (w2.len != w.len || memcmp(w2.data, w.data, w.len) != 0)
                fprintf(stderr, "  re-serialised: %.300s\n", w2.data);
            CHECK(w2.len == w.len && memcmp(w2.data, w.data, w.len) == 0, "parse + write_value changed the text");
            cloudtasks_json_writer_free(&w2);
        }
        cloudtasks_json_free(doc);
    }
    cloudtasks_json_writer_free(&w);
    CHECK(w.data == NULL, "writer_free left data behind");
    return 0;
}

#include "replay_main.h"

/* libFuzzer target for the JSON parser and writer (tests/fuzz/run.sh builds and runs it).
   fuzz-seeds: vectors/jsontestsuite/test_parsing vectors/json-bench

   For every input:
   - cloudtasks_json_parse() either fails cleanly (code < 0, offset <= size, a non-empty
     NUL-terminated message) or returns a document; with err == NULL it decides the same way,
     and cloudtasks_json_write_raw() accepts exactly the inputs the parser accepts;
   - the whole document is walked through every public accessor, which must agree with each
     other (types, lengths, NUL-terminated valid UTF-8 strings, keys, get(), fallbacks);
   - cloudtasks_json_write_value() serialises it to compact, valid UTF-8 JSON that parses again
     into an equal document (same types, bit-identical numbers, identical strings and keys in the
     same order) and serialises to the identical bytes (idempotence);
   - the writer's string and number paths are fed the raw input too: a string always comes back
     as itself (or, for invalid UTF-8, as valid UTF-8), a double always comes back bit-identical;
   - every run of number characters in the input that parses alone converts to exactly strtod's
     double (correct rounding).
   A failed check prints what differed and aborts, which libFuzzer reports as a crash.

   Build with FUZZ_REPLAY_MAIN defined (any C compiler, no libFuzzer) for a main() that runs each
   file (or each file in each directory) named on the command line, or stdin, through the target:
       cc -std=c11 -g -fsanitize=address,undefined -DFUZZ_REPLAY_MAIN -I. tests/fuzz/fuzz_json.c \
          -o fuzz_json_replay -lcurl -lbearssl -lpthread && ./fuzz_json_replay crash-1234 */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The writer's own calls nest at most CLOUDTASKS_JSON_WRITER_MAX_DEPTH containers while the parser
   accepts CLOUDTASKS_JSON_MAX_DEPTH. write_value() must serialise any parsed document, however
   deep; build with -DFUZZ_JSON_TOLERATE_WRITER_DEPTH=1 to accept EINVAL for documents nested
   deeper than the writer's limit instead. */
#ifndef FUZZ_JSON_TOLERATE_WRITER_DEPTH
#define FUZZ_JSON_TOLERATE_WRITER_DEPTH 0
#endif

#include "fuzz_common.h"

/* Strict UTF-8 (RFC 3629): shortest forms only, no surrogates, nothing above U+10FFFF. */
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
        if (n - i - 1 < need) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (size_t k = 2; k <= need; k++) if ((s[i + k] & 0xc0) != 0x80) return 0;
        i += need + 1;
    }
    return 1;
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* ---- walk: every accessor on every value ---- */

typedef struct stats { size_t values; int max_depth, max_open; size_t get_budget; } stats; /* max_open: nesting of containers */

static void check_absent(const cloudtasks_json *v) {
    /* what the accessors answer for a value that is not of their kind */
    size_t len = 12345;
    cloudtasks_json_type t = cloudtasks_json_typeof(v);
    if (t != CLOUDTASKS_JSON_NUMBER) CHECK(same_double(cloudtasks_json_number(v, 42.5), 42.5));
    if (t != CLOUDTASKS_JSON_TRUE && t != CLOUDTASKS_JSON_FALSE) CHECK(cloudtasks_json_bool(v, -7) == -7);
    if (t != CLOUDTASKS_JSON_STRING) CHECK(cloudtasks_json_string(v, &len) == NULL);
    if (t != CLOUDTASKS_JSON_ARRAY && t != CLOUDTASKS_JSON_OBJECT) CHECK(cloudtasks_json_length(v) == 0);
    if (t != CLOUDTASKS_JSON_ARRAY) CHECK(t == CLOUDTASKS_JSON_OBJECT || cloudtasks_json_at(v, 0) == NULL);
    if (t != CLOUDTASKS_JSON_OBJECT) {
        CHECK(cloudtasks_json_get(v, "") == NULL);
        CHECK(cloudtasks_json_get(v, "a") == NULL);
        CHECK(cloudtasks_json_object_key(v, 0, &len) == NULL);
        CHECK(cloudtasks_json_object_value(v, 0) == NULL);
    }
}

static void walk(const cloudtasks_json *v, int depth, stats *st) {
    CHECK(v != NULL);
    st->values++;
    if (depth > st->max_depth) st->max_depth = depth;
    cloudtasks_json_type t = cloudtasks_json_typeof(v);
    CHECK((unsigned)t < CLOUDTASKS_JSON_TYPE_COUNT);
    check_absent(v);
    switch (t) {
    case CLOUDTASKS_JSON_NULL: break;
    case CLOUDTASKS_JSON_FALSE: CHECK(cloudtasks_json_bool(v, -1) == 0); break;
    case CLOUDTASKS_JSON_TRUE: CHECK(cloudtasks_json_bool(v, -1) == 1); break;
    case CLOUDTASKS_JSON_NUMBER: {
        double a = cloudtasks_json_number(v, 1.0), b = cloudtasks_json_number(v, -1.0);
        CHECK(same_double(a, b));
        CHECK_WHY(a == a, "a JSON number parsed as NaN");
        break;
    }
    case CLOUDTASKS_JSON_STRING: {
        size_t len = (size_t)-1;
        const char *s = cloudtasks_json_string(v, &len);
        CHECK(s != NULL);
        CHECK(len != (size_t)-1);
        CHECK(s[len] == '\0');
        CHECK_WHY(valid_utf8((const unsigned char *)s, len), "a decoded string is not valid UTF-8");
        break;
    }
    case CLOUDTASKS_JSON_ARRAY: {
        size_t n = cloudtasks_json_length(v);
        if (depth + 1 > st->max_open) st->max_open = depth + 1;
        for (size_t i = 0; i < n; i++) {
            const cloudtasks_json *c = cloudtasks_json_at(v, i);
            CHECK(c != NULL);
            walk(c, depth + 1, st);
        }
        CHECK(cloudtasks_json_at(v, n) == NULL);
        CHECK(cloudtasks_json_at(v, (size_t)-1) == NULL);
        break;
    }
    case CLOUDTASKS_JSON_OBJECT: {
        size_t n = cloudtasks_json_length(v), len;
        if (depth + 1 > st->max_open) st->max_open = depth + 1;
        for (size_t i = 0; i < n; i++) {
            len = (size_t)-1;
            const char *k = cloudtasks_json_object_key(v, i, &len);
            CHECK(k != NULL);
            CHECK(len != (size_t)-1);
            CHECK(k[len] == '\0');
            CHECK_WHY(valid_utf8((const unsigned char *)k, len), "a decoded key is not valid UTF-8");
            const cloudtasks_json *c = cloudtasks_json_object_value(v, i);
            CHECK(c != NULL);
            walk(c, depth + 1, st);
            /* get(key) finds a member with that key (keys holding \u0000 cannot be asked for).
               Bounded, so that a big object does not make the input quadratic. */
            if (strlen(k) == len && st->get_budget >= n) {
                st->get_budget -= n;
                const cloudtasks_json *g = cloudtasks_json_get(v, k);
                CHECK_WHY(g != NULL, "get() misses a key that object_key() lists");
                int found = 0;
                for (size_t j = 0; j < n && !found; j++) {
                    size_t jl;
                    const char *jk = cloudtasks_json_object_key(v, j, &jl);
                    found = cloudtasks_json_object_value(v, j) == g && jl == len && memcmp(jk, k, len) == 0;
                }
                CHECK_WHY(found, "get() returned a value whose key differs");
            }
        }
        CHECK(cloudtasks_json_object_key(v, n, &len) == NULL);
        CHECK(cloudtasks_json_object_value(v, n) == NULL);
        CHECK(cloudtasks_json_object_value(v, (size_t)-1) == NULL);
        CHECK(cloudtasks_json_get(v, "\xff") == NULL); /* no key can be invalid UTF-8 */
        break;
    }
    default: CHECK(!"unreachable type");
    }
}

/* ---- structural equality of two documents ---- */

static void check_equal(const cloudtasks_json *a, const cloudtasks_json *b) {
    cloudtasks_json_type t = cloudtasks_json_typeof(a);
    CHECK_WHY(t == cloudtasks_json_typeof(b), "round trip changed a value's type");
    switch (t) {
    case CLOUDTASKS_JSON_NUMBER: {
        double x = cloudtasks_json_number(a, 0), y = cloudtasks_json_number(b, 0);
        if (!same_double(x, y)) {
            fprintf(stderr, "number %.17g (%a) came back as %.17g (%a)\n", x, x, y, y);
            CHECK_WHY(same_double(x, y), "round trip changed a number");
        }
        break;
    }
    case CLOUDTASKS_JSON_STRING: {
        size_t la, lb;
        const char *sa = cloudtasks_json_string(a, &la), *sb = cloudtasks_json_string(b, &lb);
        CHECK_WHY(la == lb && memcmp(sa, sb, la) == 0, "round trip changed a string");
        break;
    }
    case CLOUDTASKS_JSON_ARRAY: {
        size_t n = cloudtasks_json_length(a);
        CHECK_WHY(n == cloudtasks_json_length(b), "round trip changed an array's length");
        for (size_t i = 0; i < n; i++) check_equal(cloudtasks_json_at(a, i), cloudtasks_json_at(b, i));
        break;
    }
    case CLOUDTASKS_JSON_OBJECT: {
        size_t n = cloudtasks_json_length(a);
        CHECK_WHY(n == cloudtasks_json_length(b), "round trip changed an object's member count");
        for (size_t i = 0; i < n; i++) {
            size_t la, lb;
            const char *ka = cloudtasks_json_object_key(a, i, &la), *kb = cloudtasks_json_object_key(b, i, &lb);
            CHECK_WHY(la == lb && memcmp(ka, kb, la) == 0, "round trip changed a key or the member order");
            check_equal(cloudtasks_json_object_value(a, i), cloudtasks_json_object_value(b, i));
        }
        break;
    }
    default: break;
    }
}

/* Compact: no whitespace outside strings; and the text is valid UTF-8 without raw NULs. */
static void check_compact_output(const char *s, size_t n) {
    int in_string = 0;
    CHECK_WHY(strlen(s) == n, "writer output holds a NUL byte or len is wrong");
    CHECK_WHY(valid_utf8((const unsigned char *)s, n), "writer output is not valid UTF-8");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (in_string) {
            CHECK_WHY(c >= 0x20, "writer left a control character unescaped");
            if (c == '\\') i++;
            else if (c == '"') in_string = 0;
        } else {
            CHECK_WHY(c != ' ' && c != '\t' && c != '\n' && c != '\r', "write_value output is not compact");
            if (c == '"') in_string = 1;
        }
    }
    CHECK(!in_string);
}

static void check_parse_error(const cloudtasks_error *err, size_t size) {
    CHECK(err->code < 0);
    CHECK(err->offset <= size);
    CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    CHECK(err->message[0] != '\0');
}

static size_t tolerated_depth_refusals;

static void check_writer_paths(const uint8_t *data, size_t size) {
    cloudtasks_json_writer w;
    cloudtasks_error err;

    /* a string of arbitrary bytes: valid JSON whose decoded value is the input when that is valid
       UTF-8 (invalid sequences become U+FFFD, so the result is valid UTF-8 either way) */
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_string(&w, (const char *)data, size);
    CHECK(w.error == 0);
    CHECK(w.data != NULL);
    check_compact_output(w.data, w.len);
    memset(&err, 0, sizeof err);
    cloudtasks_json_doc *doc = cloudtasks_json_parse(w.data, w.len, &err);
    if (!doc) { dump("writer output", w.data, w.len); fprintf(stderr, "  parse error at %zu: %s\n", err.offset, err.message); }
    CHECK_WHY(doc != NULL, "write_string output does not parse");
    size_t len;
    const char *s = cloudtasks_json_string(cloudtasks_json_root(doc), &len);
    CHECK(s != NULL);
    CHECK(valid_utf8((const unsigned char *)s, len));
    if (valid_utf8(data, size)) CHECK_WHY(len == size && memcmp(s, data, size) == 0, "write_string did not round-trip");
    else CHECK(len > 0); /* each invalid sequence became U+FFFD */
    cloudtasks_json_free(doc);
    cloudtasks_json_writer_free(&w);

    /* a double from the first 8 bytes: shortest text that reads back bit-identical; NaN -> null,
       infinities -> +-1e999 (which read back as infinities) */
    if (size >= 8) {
        double x;
        memcpy(&x, data, sizeof x);
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_begin_array(&w);
        cloudtasks_json_write_number(&w, x);
        int64_t i64;
        memcpy(&i64, data, sizeof i64);
        cloudtasks_json_write_int(&w, i64);
        cloudtasks_json_end_array(&w);
        CHECK(w.error == 0);
        check_compact_output(w.data, w.len);
        memset(&err, 0, sizeof err);
        doc = cloudtasks_json_parse(w.data, w.len, &err);
        if (!doc) dump("writer output", w.data, w.len);
        CHECK_WHY(doc != NULL, "write_number/write_int output does not parse");
        const cloudtasks_json *root = cloudtasks_json_root(doc);
        const cloudtasks_json *num = cloudtasks_json_at(root, 0);
        if (x != x) CHECK_WHY(cloudtasks_json_typeof(num) == CLOUDTASKS_JSON_NULL, "NaN was not written as null");
        else {
            double y = cloudtasks_json_number(num, 0);
            if (!same_double(x, y)) {
                dump("writer output", w.data, w.len);
                fprintf(stderr, "  wrote %.17g (%a), read back %.17g (%a)\n", x, x, y, y);
            }
            CHECK_WHY(same_double(x, y), "write_number did not round-trip");
        }
        /* write_int is exact; the parser's double then holds the nearest double */
        char want[32];
        snprintf(want, sizeof want, "%lld", (long long)i64);
        const char *comma = strchr(w.data, ',');
        CHECK(comma != NULL);
        CHECK_WHY(strncmp(comma + 1, want, strlen(want)) == 0 && comma[1 + strlen(want)] == ']',
                  "write_int is not exact");
        cloudtasks_json_free(doc);
        cloudtasks_json_writer_free(&w);
    }
}

/* Number conversion against the C library: every run of number characters in the input that the
   parser accepts on its own as a JSON text must give exactly strtod's double (glibc's strtod is
   correctly rounded; this program never calls setlocale, so the decimal point is '.'). */
static void check_numbers(const uint8_t *data, size_t size) {
    size_t i = 0, runs = 0;
    char text[1100];
    while (i < size && runs < 64) {
        size_t j = i;
        while (j < size && strchr("-+.0123456789eE", data[j]) && data[j]) j++;
        if (j == i) { i++; continue; }
        runs++;
        if (j - i < sizeof text) {
            cloudtasks_error err;
            cloudtasks_json_doc *doc = cloudtasks_json_parse((const char *)data + i, j - i, &err);
            memcpy(text, data + i, j - i);
            text[j - i] = '\0';
            if (doc) {
                const cloudtasks_json *root = cloudtasks_json_root(doc);
                CHECK_WHY(cloudtasks_json_typeof(root) == CLOUDTASKS_JSON_NUMBER, "a run of number characters parsed as something else");
                double ours = cloudtasks_json_number(root, 0), want = strtod(text, NULL);
                if (!same_double(ours, want))
                    fprintf(stderr, "number \"%s\": cloudtasks %.17g (%a), strtod %.17g (%a)\n", text, ours, ours, want, want);
                CHECK_WHY(same_double(ours, want), "the parser's double differs from strtod's");
                cloudtasks_json_free(doc);
            } else {
                check_parse_error(&err, j - i);
            }
        }
        i = j;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cur_data = data; cur_size = size;
    const char *text = (const char *)data;
    cloudtasks_error err;
    memset(&err, 0x5a, sizeof err); /* the parser must fill it in, not rely on our zeroing */

    /* NULL behaves like an absent value everywhere */
    size_t len = 99;
    CHECK(cloudtasks_json_typeof(NULL) == CLOUDTASKS_JSON_NULL);
    CHECK(cloudtasks_json_length(NULL) == 0 && cloudtasks_json_at(NULL, 0) == NULL);
    CHECK(cloudtasks_json_get(NULL, "a") == NULL && cloudtasks_json_string(NULL, &len) == NULL);
    CHECK(same_double(cloudtasks_json_number(NULL, 3.25), 3.25) && cloudtasks_json_bool(NULL, -3) == -3);
    CHECK(cloudtasks_json_object_key(NULL, 0, &len) == NULL && cloudtasks_json_object_value(NULL, 0) == NULL);

    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, size, &err);

    /* the same decision without an error struct (on small inputs, to keep the pace) */
    if (size <= 4096) {
        cloudtasks_json_doc *again = cloudtasks_json_parse(text, size, NULL);
        CHECK_WHY((again != NULL) == (doc != NULL), "parse decides differently with err == NULL");
        cloudtasks_json_free(again);
    }
    /* write_raw accepts exactly what parses (a leading byte order mark aside) */
    {
        cloudtasks_json_writer w;
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_write_raw(&w, text, size);
        int bom = size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0;
        if (doc) CHECK_WHY(w.error == 0 || bom, "write_raw refuses text that parses");
        else CHECK_WHY(w.error != 0, "write_raw accepts text that does not parse");
        if (w.error == 0) {
            CHECK(w.data != NULL);
            cloudtasks_json_doc *raw = cloudtasks_json_parse(w.data, w.len, NULL);
            CHECK_WHY(raw != NULL, "write_raw output does not parse");
            cloudtasks_json_free(raw);
        }
        cloudtasks_json_writer_free(&w);
    }

    if (!doc) {
        check_parse_error(&err, size);
        check_writer_paths(data, size);
        check_numbers(data, size);
        return 0;
    }

    const cloudtasks_json *root = cloudtasks_json_root(doc);
    CHECK(root != NULL);
    stats st = { 0, 0, 0, 4096 };
    walk(root, 0, &st);

    cloudtasks_json_writer w1, w2;
    cloudtasks_json_writer_init(&w1);
    cloudtasks_json_write_value(&w1, root);
    if (w1.error != 0) {
        if (FUZZ_JSON_TOLERATE_WRITER_DEPTH && w1.error == CLOUDTASKS_EINVAL &&
            st.max_open > CLOUDTASKS_JSON_WRITER_MAX_DEPTH) {
            tolerated_depth_refusals++;
        } else {
            fprintf(stderr, "write_value failed with %d (containers nested %d deep)\n", w1.error, st.max_open);
            CHECK_WHY(w1.error == 0, "write_value failed on a parsed document");
        }
    } else {
        CHECK(w1.data != NULL);
        check_compact_output(w1.data, w1.len);
        memset(&err, 0, sizeof err);
        cloudtasks_json_doc *doc2 = cloudtasks_json_parse(w1.data, w1.len, &err);
        if (!doc2) {
            dump("write_value output", w1.data, w1.len);
            fprintf(stderr, "  parse error at byte %zu: %s\n", err.offset, err.message);
        }
        CHECK_WHY(doc2 != NULL, "write_value output does not parse");
        check_equal(root, cloudtasks_json_root(doc2));
        cloudtasks_json_writer_init(&w2);
        cloudtasks_json_write_value(&w2, cloudtasks_json_root(doc2));
        CHECK(w2.error == 0);
        if (w2.len != w1.len || memcmp(w1.data, w2.data, w1.len) != 0) {
            dump("first output", w1.data, w1.len);
            dump("second output", w2.data, w2.len);
            CHECK_WHY(0, "write(parse(write(doc))) != write(doc)");
        }
        cloudtasks_json_writer_free(&w2);
        cloudtasks_json_free(doc2);
    }
    cloudtasks_json_writer_free(&w1);
    cloudtasks_json_free(doc);

    check_writer_paths(data, size);
    check_numbers(data, size);
    return 0;
}

#define FUZZ_REPLAY_FINISH() do { if (tolerated_depth_refusals) \
    fprintf(stderr, "replay: %zu document(s) deeper than the writer's limit were not re-serialised\n", tolerated_depth_refusals); } while (0)
#include "replay_main.h"

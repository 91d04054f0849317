/* Tests of the base and JSON layers of cloudtasks.h: the parser, the DOM accessors and the writer.

   ./test_json                  the unit tests, one TAP line each
   ./test_json --suite DIR      JSONTestSuite's test_parsing folder, one TAP line per file:
                                y_* must be accepted, n_* rejected, i_* must not crash

   Every parse goes through parse_n(), which copies the text into a buffer of exactly len bytes
   (no NUL after it) and frees that buffer as soon as the parser returns: under ASan or valgrind a
   read past len, or a document that points into the caller's text, is caught.

   The data in ../shared/vectors (JSONTestSuite, the JSON benchmark corpus) is read in place; when
   it is absent the tests that need it are skipped with a message. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include "testing.h"

#include <dirent.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------
   helpers */

#define LIT(s) (s), (sizeof(s) - 1)
#define ANY_OFFSET ((size_t)-1)

static const char *shared_dir(void) {
    const char *s = getenv("SHARED");
    return s && *s ? s : "../shared";
}

static void fail_line(int line, const char *fmt, const char *a, const char *b) {
    printf("#   %s:%d: ", __FILE__, line);
    printf(fmt, a, b);
    printf("\n");
    t_failures_in_test++;
}

static int contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle), i, j;
    for (i = 0; hay[i]; i++) {
        for (j = 0; j < n; j++) {
            char a = hay[i + j], b = needle[j];
            if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
            if (a != b) break;
        }
        if (j == n) return 1;
    }
    return 0;
}

/* Parses a private copy of exactly len bytes; *e is first filled with garbage so that a field the
   parser forgets to set shows. */
static cloudtasks_json_doc *parse_n(const char *s, size_t len, cloudtasks_error *e) {
    char *copy = (char *)malloc(len ? len : 1);
    cloudtasks_json_doc *d;
    if (!copy) { printf("# out of memory\n"); exit(2); }
    if (len) memcpy(copy, s, len);
    if (e) {
        memset(e, 0x01, sizeof *e);   /* no NUL anywhere in message */
        e->code = 12345;
        e->http_status = 777;
        e->offset = (size_t)-2;
    }
    d = cloudtasks_json_parse(copy, len, e);
    free(copy);
    return d;
}

static cloudtasks_json_doc *parse_s(const char *s) { return parse_n(s, strlen(s), NULL); }

static int message_ok(const cloudtasks_error *e) {
    return memchr(e->message, 0, sizeof e->message) != NULL && e->message[0] != 0 &&
           e->message[0] != 0x01;
}

/* Checks that s is rejected with code, an offset in [lo, hi] and a message (containing substr). */
static void reject_range(int line, const char *s, size_t len, int code, size_t lo, size_t hi,
                         const char *substr) {
    cloudtasks_error e;
    cloudtasks_json_doc *d = parse_n(s, len, &e);
    char buf[200];
    if (d) {
        fail_line(line, "%s accepted, want rejected%s", show(s, len), "");
        cloudtasks_json_free(d);
        return;
    }
    if (e.code != code) {
        snprintf(buf, sizeof buf, " got code %d (%s), want %d", e.code,
                 cloudtasks_code_string(e.code), code);
        fail_line(line, "%s:%s", show(s, len), buf);
    }
    if (lo != ANY_OFFSET && (e.offset < lo || e.offset > hi)) {
        if (lo == hi) snprintf(buf, sizeof buf, " got offset %zu, want %zu", e.offset, lo);
        else snprintf(buf, sizeof buf, " got offset %zu, want %zu..%zu", e.offset, lo, hi);
        fail_line(line, "%s:%s", show(s, len), buf);
    }
    if (lo == ANY_OFFSET && e.offset > len) {
        snprintf(buf, sizeof buf, " offset %zu is past the end (%zu)", e.offset, len);
        fail_line(line, "%s:%s", show(s, len), buf);
    }
    if (!message_ok(&e)) {
        fail_line(line, "%s: message not set or not NUL-terminated%s", show(s, len), "");
        return;
    }
    if (substr && !contains_ci(e.message, substr)) {
        snprintf(buf, sizeof buf, " message \"%.120s\" does not say \"%s\"", e.message, substr);
        fail_line(line, "%s:%s", show(s, len), buf);
    }
    if (e.http_status != 0) fail_line(line, "%s: http_status not 0 for a parse error%s", show(s, len), "");
}

static void reject_at(int line, const char *s, size_t len, int code, size_t off, const char *substr) {
    reject_range(line, s, len, code, off, off, substr);
}

#define REJECT(lit, off) reject_at(__LINE__, LIT(lit), CLOUDTASKS_EJSON, off, NULL)
#define REJECT_EXPECTED(lit, off) reject_at(__LINE__, LIT(lit), CLOUDTASKS_EJSON, off, "expected")
#define REJECT_ANY(lit) reject_at(__LINE__, LIT(lit), CLOUDTASKS_EJSON, ANY_OFFSET, NULL)

static void accept_n(int line, const char *s, size_t len) {
    cloudtasks_error e;
    cloudtasks_json_doc *d = parse_n(s, len, &e);
    if (!d) {
        char buf[300];
        snprintf(buf, sizeof buf, "%.200s (offset %zu)", message_ok(&e) ? e.message : "?", e.offset);
        fail_line(line, "%s rejected: %s", show(s, len), buf);
        return;
    }
    if (!cloudtasks_json_root(d)) fail_line(line, "%s: root is NULL%s", show(s, len), "");
    cloudtasks_json_free(d);
}
#define ACCEPT(lit) accept_n(__LINE__, LIT(lit))

/* json must parse to a string whose decoded bytes are want[0..wlen). */
static void str_is(int line, const char *json, size_t jlen, const char *want, size_t wlen) {
    cloudtasks_error e;
    cloudtasks_json_doc *d = parse_n(json, jlen, &e);
    const char *s;
    size_t len = 99999;
    if (!d) {
        fail_line(line, "%s rejected: %s", show(json, jlen), message_ok(&e) ? e.message : "?");
        return;
    }
    s = cloudtasks_json_string(cloudtasks_json_root(d), &len);
    if (!s) fail_line(line, "%s: not a string%s", show(json, jlen), "");
    else if (len != wlen || memcmp(s, want, wlen) != 0 || s[wlen] != 0) {
        char buf[200];
        snprintf(buf, sizeof buf, "%s (len %zu)", show(s, len), len);
        fail_line(line, "got %s, want %s", buf, show(want, wlen));
    }
    cloudtasks_json_free(d);
}
#define STR_IS(json, want) str_is(__LINE__, LIT(json), LIT(want))

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Parses json as a number; returns 1 on success. */
static int parse_number(const char *json, size_t len, double *out, cloudtasks_error *e) {
    cloudtasks_json_doc *d = parse_n(json, len, e);
    const cloudtasks_json *r;
    if (!d) return 0;
    r = cloudtasks_json_root(d);
    if (cloudtasks_json_typeof(r) != CLOUDTASKS_JSON_NUMBER) { cloudtasks_json_free(d); return 0; }
    *out = cloudtasks_json_number(r, NAN);
    cloudtasks_json_free(d);
    return 1;
}

static void num_is(int line, const char *json, double want) {
    cloudtasks_error e;
    double got = 0;
    char buf[120];
    if (!parse_number(json, strlen(json), &got, &e)) {
        fail_line(line, "%s not parsed as a number: %s", show(json, strlen(json)),
                  message_ok(&e) ? e.message : "?");
        return;
    }
    if (!same_bits(got, want)) {
        snprintf(buf, sizeof buf, "got %.17g (%a), want %.17g (%a)", got, got, want, want);
        fail_line(line, "%s: %s", show(json, strlen(json)), buf);
    }
}
#define NUM_IS(json, want) num_is(__LINE__, json, want)

/* json must parse to exactly what strtod (correctly rounded in glibc, "C" locale) gives. */
static int num_vs_strtod(int line, const char *json, int quiet) {
    cloudtasks_error e;
    double got = 0, want = strtod(json, NULL);
    char buf[120];
    if (!parse_number(json, strlen(json), &got, &e)) {
        if (!quiet) fail_line(line, "%s not parsed as a number: %s", show(json, strlen(json)),
                              message_ok(&e) ? e.message : "?");
        else t_failures_in_test++;
        return 0;
    }
    if (!same_bits(got, want)) {
        if (!quiet) {
            snprintf(buf, sizeof buf, "got %.17g (%a), strtod %.17g (%a)", got, got, want, want);
            fail_line(line, "%s: %s", show(json, strlen(json)), buf);
        } else t_failures_in_test++;
        return 0;
    }
    return 1;
}
#define NUM_STRTOD(json) num_vs_strtod(__LINE__, json, 0)

static uint64_t rng_state;
static uint64_t xorshift64(void) {
    uint64_t x = rng_state;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    return rng_state = x;
}
static double random_bits_double(void) {
    double d;
    uint64_t b;
    do { b = xorshift64(); memcpy(&d, &b, sizeof d); } while (isnan(d) || isinf(d));
    return d;
}

/* Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF). */
static int utf8_valid(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            if (i + 2 >= n || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xC0) != 0x80) return 0;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            if (i + 3 >= n || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xC0) != 0x80 ||
                (s[i + 3] & 0xC0) != 0x80) return 0;
            i += 4;
        } else return 0;
    }
    return 1;
}

/* Checks the DOM below v for consistency; returns the number of problems (printed). */
static int walk(const cloudtasks_json *v, const char *where) {
    int bad = 0;
    size_t n, i, len;
    const char *s;
    switch (cloudtasks_json_typeof(v)) {
    case CLOUDTASKS_JSON_STRING:
        s = cloudtasks_json_string(v, &len);
        if (!s || s[len] != 0 || !utf8_valid(s, len)) {
            printf("#   %s: string not NUL-terminated valid UTF-8\n", where);
            bad++;
        }
        break;
    case CLOUDTASKS_JSON_ARRAY:
        n = cloudtasks_json_length(v);
        for (i = 0; i < n; i++) {
            if (!cloudtasks_json_at(v, i)) { printf("#   %s: at(%zu) NULL\n", where, i); bad++; }
            else bad += walk(cloudtasks_json_at(v, i), where);
        }
        if (cloudtasks_json_at(v, n)) { printf("#   %s: at(length) not NULL\n", where); bad++; }
        break;
    case CLOUDTASKS_JSON_OBJECT:
        n = cloudtasks_json_length(v);
        for (i = 0; i < n; i++) {
            s = cloudtasks_json_object_key(v, i, &len);
            if (!s || s[len] != 0 || !utf8_valid(s, len)) {
                printf("#   %s: key %zu not NUL-terminated valid UTF-8\n", where, i);
                bad++;
                continue;
            }
            if (!cloudtasks_json_object_value(v, i)) { printf("#   %s: value %zu NULL\n", where, i); bad++; }
            else bad += walk(cloudtasks_json_object_value(v, i), where);
            if (strlen(s) == len && !cloudtasks_json_get(v, s)) {
                printf("#   %s: get(\"%s\") NULL\n", where, show(s, len));
                bad++;
            }
        }
        if (cloudtasks_json_object_key(v, n, NULL) || cloudtasks_json_object_value(v, n)) {
            printf("#   %s: member past the end not NULL\n", where);
            bad++;
        }
        break;
    case CLOUDTASKS_JSON_NUMBER:
        if (isnan(cloudtasks_json_number(v, 0))) { printf("#   %s: number is NaN\n", where); bad++; }
        break;
    default:
        break;
    }
    return bad;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f) return NULL;
    for (;;) {
        if (n == cap) {
            char *nb;
            cap = cap ? cap * 2 : 65536;
            nb = (char *)realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* A growable byte buffer for building big inputs. */
typedef struct { char *p; size_t n, cap; } sbuf;
static void sb_put(sbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *np;
        while (b->n + n + 1 > cap) cap *= 2;
        np = (char *)realloc(b->p, cap);
        if (!np) { printf("# out of memory\n"); exit(2); }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_putc(sbuf *b, char c) { sb_put(b, &c, 1); }

/* Runs fn in a child process, so that a crash or an assertion there fails this test only. */
static void in_child(const char *what, void (*fn)(void)) {
    pid_t pid;
    int st = 0;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) { printf("#   %s: fork failed\n", what); t_failures_in_test++; return; }
    if (pid == 0) {
        t_failures_in_test = 0;
        fn();
        fflush(stdout);
        _exit(t_failures_in_test ? 1 : 0);
    }
    if (waitpid(pid, &st, 0) != pid) { printf("#   %s: waitpid failed\n", what); t_failures_in_test++; return; }
    if (WIFSIGNALED(st)) { printf("#   %s: crashed with signal %d\n", what, WTERMSIG(st)); t_failures_in_test++; }
    else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        printf("#   %s: failed (exit status %d)\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        t_failures_in_test++;
    }
}

/* Writer output: no error, exactly want, len right, and parseable. */
static void writer_is(int line, const cloudtasks_json_writer *w, const char *want) {
    cloudtasks_json_doc *d;
    cloudtasks_error e;
    char buf[64];
    if (w->error != 0) {
        snprintf(buf, sizeof buf, "%d", w->error);
        fail_line(line, "writer error %s, want 0 (want output %s)", buf, want);
        return;
    }
    if (!w->data || strcmp(w->data, want) != 0) {
        fail_line(line, "writer wrote %s, want %s", w->data ? show(w->data, w->len) : "(null)", want);
        return;
    }
    if (w->len != strlen(want)) fail_line(line, "writer len wrong for %s%s", want, "");
    d = parse_n(w->data, w->len, &e);
    if (!d) fail_line(line, "writer output %s does not parse: %s", want, message_ok(&e) ? e.message : "?");
    cloudtasks_json_free(d);
}
#define WRITER_IS(w, want) writer_is(__LINE__, w, want)

/* Writer output must parse; returns the document (caller frees) or NULL. */
static cloudtasks_json_doc *writer_parse(int line, const cloudtasks_json_writer *w) {
    cloudtasks_error e;
    cloudtasks_json_doc *d;
    if (w->error != 0 || !w->data) {
        fail_line(line, "writer error or no data%s%s", "", "");
        return NULL;
    }
    if (strlen(w->data) != w->len) fail_line(line, "writer len disagrees with data%s%s", "", "");
    if (!utf8_valid(w->data, w->len)) fail_line(line, "writer output %s is not valid UTF-8%s", show(w->data, w->len), "");
    d = parse_n(w->data, w->len, &e);
    if (!d) fail_line(line, "writer output %s does not parse: %s", show(w->data, w->len), message_ok(&e) ? e.message : "?");
    return d;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* RFC 8259 number grammar. */
static int is_json_number(const char *s) {
    if (*s == '-') s++;
    if (*s == '0') s++;
    else if (*s >= '1' && *s <= '9') { while (is_digit(*s)) s++; }
    else return 0;
    if (*s == '.') {
        s++;
        if (!is_digit(*s)) return 0;
        while (is_digit(*s)) s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!is_digit(*s)) return 0;
        while (is_digit(*s)) s++;
    }
    return *s == 0;
}

/* Significant digits of a decimal number's mantissa. */
static int sig_digits(const char *s) {
    char d[64];
    int n = 0, a = 0, b;
    for (; *s && *s != 'e' && *s != 'E'; s++)
        if (is_digit(*s) && n < 63) d[n++] = *s;
    while (a < n && d[a] == '0') a++;
    b = n;
    while (b > a && d[b - 1] == '0') b--;
    return b > a ? b - a : 1;
}

/* Fewest significant digits that read back as x. */
static int min_digits(double x) {
    char buf[64];
    int p;
    for (p = 1; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        if (same_bits(strtod(buf, NULL), x)) return p;
    }
    return 17;
}

/* ---------------------------------------------------------------------------------------------
   base */

static void test_version_and_codes(void) {
    static const int codes[] = {
        CLOUDTASKS_OK, CLOUDTASKS_EINVAL, CLOUDTASKS_ENOMEM, CLOUDTASKS_ERANGE, CLOUDTASKS_EIO,
        CLOUDTASKS_EJSON, CLOUDTASKS_EDEPTH, CLOUDTASKS_ETRANSPORT, CLOUDTASKS_ETIMEOUT,
        CLOUDTASKS_EHTTP, CLOUDTASKS_EPROTOCOL, CLOUDTASKS_EAUTH, CLOUDTASKS_ECRYPTO,
        CLOUDTASKS_ECONFIG, CLOUDTASKS_EPOOL };
    static const int unknown[] = { 1, 7, -5, -12, -99, -9999, INT_MIN, INT_MAX };
    size_t i, j, n = sizeof codes / sizeof codes[0];
    char v[32];
    T_CHECK_STR(cloudtasks_version_string(), CLOUDTASKS_VERSION_STRING);
    snprintf(v, sizeof v, "%d.%d.%d", CLOUDTASKS_VERSION_MAJOR, CLOUDTASKS_VERSION_MINOR, CLOUDTASKS_VERSION_PATCH);
    T_CHECK_STR(cloudtasks_version_string(), v);
    for (i = 0; i < n; i++) {
        const char *s = cloudtasks_code_string(codes[i]);
        T_CHECK(s != NULL);
        if (!s) continue;
        if (!*s) printf("#   code %d has an empty name\n", codes[i]);
        T_CHECK(*s != 0);
        for (j = 0; j < i; j++) {
            const char *o = cloudtasks_code_string(codes[j]);
            if (o && strcmp(o, s) == 0) { printf("#   codes %d and %d share the name \"%s\"\n", codes[i], codes[j], s); T_CHECK(0); }
        }
    }
    T_CHECK_STR(cloudtasks_code_string(CLOUDTASKS_EJSON), "invalid JSON");
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = cloudtasks_code_string(unknown[i]);
        T_CHECK(s != NULL && *s != 0);
    }
}

/* ---------------------------------------------------------------------------------------------
   accessors */

static void test_accessors_null(void) {
    size_t len = 12345;
    T_CHECK_INT(cloudtasks_json_typeof(NULL), CLOUDTASKS_JSON_NULL);
    T_CHECK(cloudtasks_json_get(NULL, "a") == NULL);
    T_CHECK_INT(cloudtasks_json_length(NULL), 0);
    T_CHECK(cloudtasks_json_at(NULL, 0) == NULL);
    T_CHECK(cloudtasks_json_number(NULL, 4.25) == 4.25);
    T_CHECK_INT(cloudtasks_json_bool(NULL, -7), -7);
    T_CHECK(cloudtasks_json_string(NULL, NULL) == NULL);
    T_CHECK(cloudtasks_json_string(NULL, &len) == NULL);
    T_CHECK(len == 12345 || len == 0);
    len = 12345;
    T_CHECK(cloudtasks_json_object_key(NULL, 0, &len) == NULL);
    T_CHECK(len == 12345 || len == 0);
    T_CHECK(cloudtasks_json_object_key(NULL, 0, NULL) == NULL);
    T_CHECK(cloudtasks_json_object_value(NULL, 0) == NULL);
    /* chained lookups through absent values */
    T_CHECK(cloudtasks_json_get(cloudtasks_json_get(cloudtasks_json_at(NULL, 3), "x"), "y") == NULL);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(NULL, "num1"), 0) == 0);
}

static const char accessor_doc[] =
    "{\"n\":null,\"f\":false,\"t\":true,\"num\":-1.5,\"s\":\"hi\",\"a\":[1,\"x\",null],"
    "\"o\":{\"k\":\"v\"},\"e\":[],\"eo\":{},\"zero\":0}";

static void test_accessors_types(void) {
    cloudtasks_json_doc *d = parse_s(accessor_doc);
    const cloudtasks_json *r, *n, *f, *t, *num, *s, *a, *o, *e, *eo, *zero;
    const char *str;
    size_t len;
    T_CHECK(d != NULL);
    if (!d) return;
    r = cloudtasks_json_root(d);
    n = cloudtasks_json_get(r, "n"); f = cloudtasks_json_get(r, "f"); t = cloudtasks_json_get(r, "t");
    num = cloudtasks_json_get(r, "num"); s = cloudtasks_json_get(r, "s"); a = cloudtasks_json_get(r, "a");
    o = cloudtasks_json_get(r, "o"); e = cloudtasks_json_get(r, "e"); eo = cloudtasks_json_get(r, "eo");
    zero = cloudtasks_json_get(r, "zero");
    T_CHECK(n && f && t && num && s && a && o && e && eo && zero);

    T_CHECK_INT(cloudtasks_json_typeof(r), CLOUDTASKS_JSON_OBJECT);
    T_CHECK_INT(cloudtasks_json_typeof(n), CLOUDTASKS_JSON_NULL);
    T_CHECK_INT(cloudtasks_json_typeof(f), CLOUDTASKS_JSON_FALSE);
    T_CHECK_INT(cloudtasks_json_typeof(t), CLOUDTASKS_JSON_TRUE);
    T_CHECK_INT(cloudtasks_json_typeof(num), CLOUDTASKS_JSON_NUMBER);
    T_CHECK_INT(cloudtasks_json_typeof(s), CLOUDTASKS_JSON_STRING);
    T_CHECK_INT(cloudtasks_json_typeof(a), CLOUDTASKS_JSON_ARRAY);
    T_CHECK_INT(cloudtasks_json_typeof(o), CLOUDTASKS_JSON_OBJECT);
    T_CHECK_INT(cloudtasks_json_typeof(e), CLOUDTASKS_JSON_ARRAY);
    T_CHECK_INT(cloudtasks_json_typeof(eo), CLOUDTASKS_JSON_OBJECT);

    /* get: only on objects */
    T_CHECK(cloudtasks_json_get(r, "missing") == NULL);
    T_CHECK(cloudtasks_json_get(r, "") == NULL);
    T_CHECK(cloudtasks_json_get(r, "N") == NULL);          /* case-sensitive */
    T_CHECK(cloudtasks_json_get(r, "nu") == NULL);         /* no prefix match */
    T_CHECK(cloudtasks_json_get(r, "numx") == NULL);
    T_CHECK(cloudtasks_json_get(a, "0") == NULL);
    T_CHECK(cloudtasks_json_get(s, "hi") == NULL);
    T_CHECK(cloudtasks_json_get(n, "n") == NULL);
    T_CHECK(cloudtasks_json_get(eo, "k") == NULL);
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(o, "k"), NULL), "v");

    /* length: members or elements, 0 otherwise */
    T_CHECK_INT(cloudtasks_json_length(r), 10);
    T_CHECK_INT(cloudtasks_json_length(a), 3);
    T_CHECK_INT(cloudtasks_json_length(o), 1);
    T_CHECK_INT(cloudtasks_json_length(e), 0);
    T_CHECK_INT(cloudtasks_json_length(eo), 0);
    T_CHECK_INT(cloudtasks_json_length(s), 0);
    T_CHECK_INT(cloudtasks_json_length(num), 0);
    T_CHECK_INT(cloudtasks_json_length(n), 0);
    T_CHECK_INT(cloudtasks_json_length(t), 0);

    /* at: arrays only, NULL out of range */
    T_CHECK_INT(cloudtasks_json_typeof(cloudtasks_json_at(a, 0)), CLOUDTASKS_JSON_NUMBER);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_at(a, 0), 0) == 1);
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_at(a, 1), NULL), "x");
    T_CHECK(cloudtasks_json_at(a, 2) != NULL);
    T_CHECK_INT(cloudtasks_json_typeof(cloudtasks_json_at(a, 2)), CLOUDTASKS_JSON_NULL);
    T_CHECK(cloudtasks_json_at(a, 3) == NULL);
    T_CHECK(cloudtasks_json_at(a, 1000000) == NULL);
    T_CHECK(cloudtasks_json_at(a, SIZE_MAX) == NULL);
    T_CHECK(cloudtasks_json_at(a, (size_t)-3) == NULL);
    T_CHECK(cloudtasks_json_at(e, 0) == NULL);
    T_CHECK(cloudtasks_json_at(o, 0) == NULL);            /* an object is not an array */
    T_CHECK(cloudtasks_json_at(s, 0) == NULL);
    T_CHECK(cloudtasks_json_at(num, 0) == NULL);

    /* number: fallback unless a number */
    T_CHECK(cloudtasks_json_number(num, 9) == -1.5);
    T_CHECK(cloudtasks_json_number(zero, 9) == 0);
    T_CHECK(cloudtasks_json_number(s, 9) == 9);
    T_CHECK(cloudtasks_json_number(t, 9) == 9);
    T_CHECK(cloudtasks_json_number(f, 9) == 9);
    T_CHECK(cloudtasks_json_number(n, 9) == 9);
    T_CHECK(cloudtasks_json_number(a, 9) == 9);
    T_CHECK(cloudtasks_json_number(o, 9) == 9);
    T_CHECK(isnan(cloudtasks_json_number(s, NAN)));

    /* bool: 1/0 for true/false, fallback otherwise */
    T_CHECK_INT(cloudtasks_json_bool(t, -1), 1);
    T_CHECK_INT(cloudtasks_json_bool(f, -1), 0);
    T_CHECK_INT(cloudtasks_json_bool(n, -1), -1);
    T_CHECK_INT(cloudtasks_json_bool(num, -1), -1);
    T_CHECK_INT(cloudtasks_json_bool(zero, -1), -1);
    T_CHECK_INT(cloudtasks_json_bool(s, -1), -1);
    T_CHECK_INT(cloudtasks_json_bool(a, 5), 5);
    T_CHECK_INT(cloudtasks_json_bool(o, 5), 5);

    /* string: NULL unless a string; len optional */
    len = 0;
    str = cloudtasks_json_string(s, &len);
    T_CHECK_STR(str, "hi");
    T_CHECK_INT(len, 2);
    T_CHECK_STR(cloudtasks_json_string(s, NULL), "hi");
    len = 12345;
    T_CHECK(cloudtasks_json_string(num, &len) == NULL);
    T_CHECK(len == 12345 || len == 0);
    T_CHECK(cloudtasks_json_string(n, NULL) == NULL);
    T_CHECK(cloudtasks_json_string(t, NULL) == NULL);
    T_CHECK(cloudtasks_json_string(a, NULL) == NULL);
    T_CHECK(cloudtasks_json_string(o, NULL) == NULL);

    /* members: objects only, in document order, NULL out of range */
    len = 0;
    T_CHECK_STR(cloudtasks_json_object_key(r, 0, &len), "n");
    T_CHECK_INT(len, 1);
    T_CHECK_STR(cloudtasks_json_object_key(r, 3, &len), "num");
    T_CHECK_INT(len, 3);
    T_CHECK_STR(cloudtasks_json_object_key(r, 9, NULL), "zero");
    T_CHECK(cloudtasks_json_object_value(r, 3) == num);
    T_CHECK(cloudtasks_json_object_value(r, 9) == zero);
    T_CHECK(cloudtasks_json_object_key(r, 10, &len) == NULL);
    T_CHECK(cloudtasks_json_object_key(r, SIZE_MAX, NULL) == NULL);
    T_CHECK(cloudtasks_json_object_value(r, 10) == NULL);
    T_CHECK(cloudtasks_json_object_value(r, SIZE_MAX) == NULL);
    T_CHECK(cloudtasks_json_object_key(eo, 0, NULL) == NULL);
    T_CHECK(cloudtasks_json_object_value(eo, 0) == NULL);
    T_CHECK(cloudtasks_json_object_key(a, 0, NULL) == NULL);  /* an array has no members */
    T_CHECK(cloudtasks_json_object_value(a, 0) == NULL);
    T_CHECK(cloudtasks_json_object_key(s, 0, NULL) == NULL);
    T_CHECK(cloudtasks_json_object_value(num, 0) == NULL);
    cloudtasks_json_free(d);
}

static void scalar_roots_body(void) {
    static const struct { const char *json; cloudtasks_json_type type; } c[] = {
        { "null", CLOUDTASKS_JSON_NULL }, { "true", CLOUDTASKS_JSON_TRUE }, { "false", CLOUDTASKS_JSON_FALSE },
        { "42", CLOUDTASKS_JSON_NUMBER }, { "\"s\"", CLOUDTASKS_JSON_STRING }, { "[]", CLOUDTASKS_JSON_ARRAY },
        { "{}", CLOUDTASKS_JSON_OBJECT } };
    size_t i;
    for (i = 0; i < sizeof c / sizeof c[0]; i++) {
        cloudtasks_json_doc *d = parse_s(c[i].json);
        T_CHECK(d != NULL);
        T_CHECK(cloudtasks_json_root(d) != NULL);
        T_CHECK_INT(cloudtasks_json_typeof(cloudtasks_json_root(d)), c[i].type);
        cloudtasks_json_free(d);
    }
}
static void test_scalar_roots(void) { scalar_roots_body(); }

/* Edge cases whose behaviour the header leaves open; run in a child so a crash fails this only. */
static void null_doc_body(void) {
    cloudtasks_json_free(NULL);                 /* like free(NULL) */
    T_CHECK(cloudtasks_json_root(NULL) == NULL);
}
static void null_key_body(void) {
    cloudtasks_json_doc *d = parse_s("{\"a\":1}");
    T_CHECK(cloudtasks_json_get(cloudtasks_json_root(d), NULL) == NULL);
    cloudtasks_json_free(d);
}
static void null_text_body(void) {
    cloudtasks_error e;
    memset(&e, 0, sizeof e);
    T_CHECK(cloudtasks_json_parse(NULL, 0, &e) == NULL);
    T_CHECK(e.code < 0);
    T_CHECK(cloudtasks_json_parse(NULL, 0, NULL) == NULL);
}
static void test_null_edge_cases(void) {
    in_child("cloudtasks_json_free(NULL), cloudtasks_json_root(NULL)", null_doc_body);
    in_child("cloudtasks_json_get(object, NULL)", null_key_body);
    in_child("cloudtasks_json_parse(NULL, 0, ...)", null_text_body);
}

static void test_object_lookup_and_order(void) {
    cloudtasks_json_doc *d = parse_s("{\"z\":1,\"a\":2,\"m\":{\"x\":[10,20]},\"ab\":3,\"\":4,"
                                     "\"a\\u0062c\":5,\"\\u00e9\":6,\"A\":7}");
    const cloudtasks_json *r = cloudtasks_json_root(d);
    static const char *keys[] = { "z", "a", "m", "ab", "", "abc", "\xC3\xA9", "A" };
    size_t i, len;
    T_CHECK(d != NULL);
    if (!d) return;
    T_CHECK_INT(cloudtasks_json_length(r), 8);
    for (i = 0; i < 8; i++) {
        const char *k = cloudtasks_json_object_key(r, i, &len);
        T_CHECK_STR(k, keys[i]);
        T_CHECK_INT(len, strlen(keys[i]));
        T_CHECK(cloudtasks_json_object_value(r, i) == cloudtasks_json_get(r, keys[i]));
    }
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "z"), 0) == 1);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "a"), 0) == 2);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "ab"), 0) == 3);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, ""), 0) == 4);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "abc"), 0) == 5);   /* key decoded */
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "\xC3\xA9"), 0) == 6);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "A"), 0) == 7);
    T_CHECK(cloudtasks_json_get(r, "a\\u0062c") == NULL);                     /* not the raw text */
    T_CHECK(cloudtasks_json_get(r, "abcd") == NULL);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_at(cloudtasks_json_get(cloudtasks_json_get(r, "m"), "x"), 1), 0) == 20);
    cloudtasks_json_free(d);
}

/* RFC 8259 leaves duplicate names open. The Python reference worker reads task data with
   json.loads, where the last one wins; a drop-in replacement should agree. All members stay
   visible to iteration. */
static void test_duplicate_keys(void) {
    cloudtasks_json_doc *d = parse_s("{\"k\":1,\"other\":0,\"k\":2}");
    const cloudtasks_json *r = cloudtasks_json_root(d);
    T_CHECK(d != NULL);
    T_CHECK_INT(cloudtasks_json_length(r), 3);
    T_CHECK_STR(cloudtasks_json_object_key(r, 0, NULL), "k");
    T_CHECK_STR(cloudtasks_json_object_key(r, 2, NULL), "k");
    T_CHECK(cloudtasks_json_number(cloudtasks_json_object_value(r, 0), 0) == 1);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_object_value(r, 2), 0) == 2);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "k"), 0) == 2);
    cloudtasks_json_free(d);
}

/* A key with an embedded NUL is not the key before the NUL. */
static void test_key_with_nul(void) {
    cloudtasks_json_doc *d = parse_s("{\"a\\u0000b\":1}");
    const cloudtasks_json *r = cloudtasks_json_root(d);
    size_t len = 0;
    const char *k;
    T_CHECK(d != NULL);
    k = cloudtasks_json_object_key(r, 0, &len);
    T_CHECK(k != NULL);
    T_CHECK_INT(len, 3);
    T_CHECK(k && memcmp(k, "a\0b", 4) == 0);
    T_CHECK(cloudtasks_json_get(r, "a") == NULL);
    cloudtasks_json_free(d);
    d = parse_s("{\"a\\u0000b\":1,\"a\":2}");
    r = cloudtasks_json_root(d);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "a"), 0) == 2);
    cloudtasks_json_free(d);
}

/* ---------------------------------------------------------------------------------------------
   strings */

static void test_string_escapes(void) {
    STR_IS("\"\"", "");
    STR_IS("\"abc\"", "abc");
    STR_IS("\"\\\"\"", "\"");
    STR_IS("\"\\\\\"", "\\");
    STR_IS("\"\\/\"", "/");
    STR_IS("\"/\"", "/");
    STR_IS("\"\\b\"", "\b");
    STR_IS("\"\\f\"", "\f");
    STR_IS("\"\\n\"", "\n");
    STR_IS("\"\\r\"", "\r");
    STR_IS("\"\\t\"", "\t");
    STR_IS("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", "a\"b\\c/d\be\ff\ng\rh\ti");
    STR_IS("\"\\\\n\"", "\\n");
    STR_IS("\"\\u0041\"", "A");
    STR_IS("\"\\u007f\"", "\x7f");
    STR_IS("\"\\u0080\"", "\xC2\x80");
    STR_IS("\"\\u00e9\"", "\xC3\xA9");
    STR_IS("\"\\u00E9\"", "\xC3\xA9");
    STR_IS("\"\\u07FF\"", "\xDF\xBF");
    STR_IS("\"\\u0800\"", "\xE0\xA0\x80");
    STR_IS("\"\\u20ac\"", "\xE2\x82\xAC");
    STR_IS("\"\\uD7FF\"", "\xED\x9F\xBF");
    STR_IS("\"\\uE000\"", "\xEE\x80\x80");
    STR_IS("\"\\uFEFF\"", "\xEF\xBB\xBF");
    STR_IS("\"\\uffff\"", "\xEF\xBF\xBF");
    STR_IS("\"x\\u0041\\u0042y\"", "xABy");
}

static void test_unicode_surrogates(void) {
    STR_IS("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80");
    STR_IS("\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80");
    STR_IS("\"\\uD834\\uDD1E\"", "\xF0\x9D\x84\x9E");
    STR_IS("\"\\ud800\\udc00\"", "\xF0\x90\x80\x80");
    STR_IS("\"\\udbff\\udfff\"", "\xF4\x8F\xBF\xBF");
    STR_IS("\"a\\ud83d\\ude00b\"", "a\xF0\x9F\x98\x80" "b");
    /* lone surrogates become U+FFFD */
    STR_IS("\"\\ud800\"", "\xEF\xBF\xBD");
    STR_IS("\"\\udc00\"", "\xEF\xBF\xBD");
    STR_IS("\"\\uDFFF\"", "\xEF\xBF\xBD");
    STR_IS("\"\\ud800x\"", "\xEF\xBF\xBDx");
    STR_IS("\"\\ud800\\u0041\"", "\xEF\xBF\xBD" "A");
    STR_IS("\"\\ud800\\n\"", "\xEF\xBF\xBD\n");
    STR_IS("\"\\ude00\\ud83d\"", "\xEF\xBF\xBD\xEF\xBF\xBD");            /* inverted */
    STR_IS("\"\\ud83d\\ud83d\"", "\xEF\xBF\xBD\xEF\xBF\xBD");            /* two highs */
    STR_IS("\"\\ud83d\\ud83d\\ude00\"", "\xEF\xBF\xBD\xF0\x9F\x98\x80");  /* high, then a pair */
    STR_IS("\"\\ude00\\ude00\"", "\xEF\xBF\xBD\xEF\xBF\xBD");
    STR_IS("\"\\ud800\\\\udc00\"", "\xEF\xBF\xBD\\udc00");               /* escaped backslash breaks the pair */
    /* embedded NUL */
    STR_IS("\"\\u0000\"", "\0");
    STR_IS("\"a\\u0000b\"", "a\0b");
    STR_IS("\"\\u0000\\u0000\\u0000\"", "\0\0\0");
    /* in keys too */
    {
        cloudtasks_json_doc *d = parse_s("{\"\\ud83d\\ude00\":1,\"\\ud800\":2}");
        const cloudtasks_json *r = cloudtasks_json_root(d);
        T_CHECK(d != NULL);
        T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "\xF0\x9F\x98\x80"), 0) == 1);
        T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "\xEF\xBF\xBD"), 0) == 2);
        cloudtasks_json_free(d);
    }
}

static void test_invalid_escapes(void) {
    REJECT_ANY("\"\\a\"");
    REJECT_ANY("\"\\x41\"");
    REJECT_ANY("\"\\'\"");
    REJECT_ANY("\"\\U0041\"");
    REJECT_ANY("\"\\u\"");
    REJECT_ANY("\"\\u1\"");
    REJECT_ANY("\"\\u12\"");
    REJECT_ANY("\"\\u123\"");
    REJECT_ANY("\"\\u12G4\"");
    REJECT_ANY("\"\\u-123\"");
    REJECT_ANY("\"\\u 123\"");
    REJECT_ANY("\"\\0\"");
    REJECT_ANY("\"\\ \"");
    REJECT_ANY("\"\\\n\"");
    REJECT_ANY("\"\\\"");
    REJECT_ANY("\"\\");
    REJECT_ANY("\"\\ud800\\u\"");
    REJECT_ANY("\"\\ud800\\uZZZZ\"");
    REJECT_ANY("\"\\ud800\\x\"");
    REJECT_ANY("{\"\\q\":1}");
    /* the offending escape is reported where it is (the backslash or the byte after it) */
    reject_range(__LINE__, LIT("[\"ab\\qc\"]"), CLOUDTASKS_EJSON, 4, 5, NULL);
    /* in a \u escape, the first byte that is not a hex digit */
    reject_at(__LINE__, LIT("[\"ab\\u12x4\"]"), CLOUDTASKS_EJSON, 8, "expected");
    reject_at(__LINE__, LIT("\"\\u00g0\""), CLOUDTASKS_EJSON, 5, "expected");
    reject_at(__LINE__, LIT("\"\\ud83d\\ude0\""), CLOUDTASKS_EJSON, 12, "expected");
}

static void test_utf8_valid(void) {
    STR_IS("\"\xC2\x80\"", "\xC2\x80");
    STR_IS("\"\xC3\xA9t\xC3\xA9\"", "\xC3\xA9t\xC3\xA9");
    STR_IS("\"\xDF\xBF\"", "\xDF\xBF");
    STR_IS("\"\xE0\xA0\x80\"", "\xE0\xA0\x80");
    STR_IS("\"\xE2\x82\xAC\"", "\xE2\x82\xAC");
    STR_IS("\"\xED\x9F\xBF\"", "\xED\x9F\xBF");
    STR_IS("\"\xEE\x80\x80\"", "\xEE\x80\x80");
    STR_IS("\"\xEF\xBF\xBF\"", "\xEF\xBF\xBF");
    STR_IS("\"\xEF\xBB\xBF\"", "\xEF\xBB\xBF");
    STR_IS("\"\xF0\x90\x80\x80\"", "\xF0\x90\x80\x80");
    STR_IS("\"\xF0\x9F\x98\x80\"", "\xF0\x9F\x98\x80");
    STR_IS("\"\xF4\x8F\xBF\xBF\"", "\xF4\x8F\xBF\xBF");
    STR_IS("\"\x7f\"", "\x7f");                                 /* DEL is not a control char in JSON */
    STR_IS("\"\xE2\x80\xA8\xE2\x80\xA9\"", "\xE2\x80\xA8\xE2\x80\xA9");  /* U+2028, U+2029 */
    {
        cloudtasks_json_doc *d = parse_s("{\"\xC3\xA9\":\"\xF0\x9F\x98\x80\"}");
        T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_root(d), "\xC3\xA9"), NULL),
                    "\xF0\x9F\x98\x80");
        cloudtasks_json_free(d);
    }
}

static void test_utf8_invalid(void) {
    /* each: a string value starting at offset 1; the bad sequence starts at offset 2 */
    static const char *bad[] = {
        "[\"\xC0\x80\"]",               /* overlong NUL */
        "[\"\xC0\xAF\"]",               /* overlong '/' */
        "[\"\xC1\xBF\"]",               /* overlong */
        "[\"\xE0\x80\x80\"]",           /* overlong 3-byte */
        "[\"\xE0\x9F\xBF\"]",           /* overlong 3-byte */
        "[\"\xF0\x80\x80\x80\"]",       /* overlong 4-byte */
        "[\"\xF0\x8F\xBF\xBF\"]",       /* overlong 4-byte */
        "[\"\xED\xA0\x80\"]",           /* surrogate U+D800 */
        "[\"\xED\xBF\xBF\"]",           /* surrogate U+DFFF */
        "[\"\xED\xA0\xBD\xED\xB8\x80\"]",  /* CESU-8 pair */
        "[\"\xF4\x90\x80\x80\"]",       /* U+110000 */
        "[\"\xF5\x80\x80\x80\"]",
        "[\"\xF7\xBF\xBF\xBF\"]",
        "[\"\xF8\x88\x80\x80\x80\"]",   /* 5-byte */
        "[\"\xFC\x84\x80\x80\x80\x80\"]",  /* 6-byte */
        "[\"\xFE\"]", "[\"\xFF\"]",
        "[\"\x80\"]", "[\"\xBF\"]",      /* lone continuation bytes */
        "[\"\xC2\"]",                   /* truncated 2-byte */
        "[\"\xE2\x82\"]",               /* truncated 3-byte */
        "[\"\xF0\x9F\x98\"]",           /* truncated 4-byte */
        "[\"\xC2\x41\"]",               /* bad continuation */
        "[\"\xE2\x28\xA1\"]",
        "[\"\xE2\x82\x28\"]",
        "[\"\xF0\x9F\x28\x80\"]",
        "[\"\xC3\xA9\xC3\"]",           /* valid then truncated: bad sequence at 4 */
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = strlen(bad[i]), start = i + 1 == sizeof bad / sizeof bad[0] ? 4 : 2;
        reject_range(__LINE__, bad[i], len, CLOUDTASKS_EJSON, start, len - 2 > start + 3 ? start + 3 : len - 2, NULL);
    }
    /* truncated at the end of the input */
    REJECT_ANY("\"\xC3");
    REJECT_ANY("\"\xF0\x9F\x98");
    /* in keys */
    REJECT_ANY("{\"\xC0\x80\":1}");
    REJECT_ANY("{\"\xED\xA0\x80\":1}");
    /* outside strings */
    REJECT("\xC3\xA9", 0);
    REJECT("[1,\xC3\xA9]", 3);
    REJECT("\xFF", 0);
}

static void test_control_chars(void) {
    int c;
    char buf[8];
    for (c = 0; c < 0x20; c++) {
        buf[0] = '"'; buf[1] = 'a'; buf[2] = (char)c; buf[3] = 'b'; buf[4] = '"';
        reject_at(__LINE__, buf, 5, CLOUDTASKS_EJSON, 2, NULL);
        buf[0] = '{'; buf[1] = '"'; buf[2] = (char)c; buf[3] = '"'; buf[4] = ':'; buf[5] = '1'; buf[6] = '}';
        reject_at(__LINE__, buf, 7, CLOUDTASKS_EJSON, 2, NULL);
    }
    REJECT("\"tab\there\"", 4);
    REJECT("\"line\nbreak\"", 5);
    reject_at(__LINE__, "\"nul\0x\"", 7, CLOUDTASKS_EJSON, 4, NULL);
}

/* ---------------------------------------------------------------------------------------------
   numbers */

static void test_number_grammar(void) {
    ACCEPT("0"); ACCEPT("-0"); ACCEPT("0.0"); ACCEPT("-0.0"); ACCEPT("0e0"); ACCEPT("0E+0");
    ACCEPT("0e-0"); ACCEPT("1e10"); ACCEPT("1E10"); ACCEPT("1e+10"); ACCEPT("1e-10");
    ACCEPT("-1.5e-3"); ACCEPT("10"); ACCEPT("123456789"); ACCEPT("0.5"); ACCEPT("1e00001");
    ACCEPT("[0,-0,1,-1,0.5,-0.5,1e1,1E-1]"); ACCEPT("{\"a\":-0.0e+0}");
    REJECT("-", 1);
    REJECT("+1", 0);
    REJECT(".5", 0);
    REJECT("1.", 2);
    REJECT("1.e5", 2);
    REJECT("-.5", 1);
    REJECT("01", 1);
    REJECT("-01", 2);
    REJECT("00", 1);
    REJECT("1e", 2);
    REJECT("1e+", 3);
    REJECT("1e-", 3);
    REJECT("1E", 2);
    REJECT("0x1", 1);
    REJECT("0x", 1);
    REJECT("Infinity", 0);
    REJECT("-Infinity", 1);
    REJECT("NaN", 0);
    REJECT("-NaN", 1);
    REJECT("1_000", 1);
    REJECT("- 1", 1);
    REJECT("--1", 1);
    REJECT("1ee2", 2);
    REJECT("1e1.5", 3);
    REJECT("0.e1", 2);
    REJECT("[1.]", 3);
    REJECT("[.1]", 1);
    REJECT("[-]", 2);
    REJECT("[01]", 2);
    REJECT("[1e]", 3);
    REJECT("\xEF\xBC\x91", 0);      /* fullwidth 1 */
    REJECT("1.5.3", 3);
}

static void test_number_values(void) {
    double x = 0;
    cloudtasks_error e;
    NUM_IS("0", 0.0);
    NUM_IS("-0", -0.0);
    NUM_IS("-0.0", -0.0);
    NUM_IS("-0e10", -0.0);
    NUM_IS("0e-10", 0.0);
    T_CHECK(parse_number(LIT("-0"), &x, &e) && signbit(x));
    T_CHECK(parse_number(LIT("0"), &x, &e) && !signbit(x));
    NUM_IS("1", 1.0);
    NUM_IS("-1", -1.0);
    NUM_IS("123", 123.0);
    NUM_IS("-123", -123.0);
    NUM_IS("1.5", 1.5);
    NUM_IS("0.1", 0.1);
    NUM_IS("0.5", 0.5);
    NUM_IS("1e308", 1e308);
    NUM_IS("1e22", 1e22);
    NUM_IS("1e-7", 1e-7);
    NUM_IS("1E2", 100.0);
    NUM_IS("1e+2", 100.0);
    NUM_IS("12.5e-1", 1.25);
    NUM_IS("5e-324", 4.9406564584124654e-324);
    NUM_IS("5e-324", DBL_TRUE_MIN);
    NUM_IS("2.2250738585072014e-308", DBL_MIN);
    NUM_IS("1.7976931348623157e308", DBL_MAX);
    NUM_IS("9007199254740992", 9007199254740992.0);
    NUM_IS("9007199254740993", 9007199254740992.0);     /* ties to even */
    NUM_IS("9007199254740995", 9007199254740996.0);
    NUM_IS("-9007199254740993", -9007199254740992.0);
    NUM_IS("18446744073709551615", 18446744073709551616.0);
    NUM_IS("9223372036854775807", 9223372036854775808.0);
    NUM_IS("-9223372036854775808", -9223372036854775808.0);
    NUM_IS("4294967296", 4294967296.0);
    NUM_IS("0.30000000000000004", 0.1 + 0.2);
    T_CHECK(parse_number(LIT("0.30000000000000004"), &x, &e) && x != 0.3);
    NUM_STRTOD("0.30000000000000004");
    NUM_STRTOD("-65.613616999999977");
    NUM_STRTOD("43.420273000000009");
    NUM_STRTOD("2.2250738585072011e-308");
    NUM_STRTOD("1e23");
    NUM_STRTOD("8.98846567431158e307");
}

/* Hard and ordinary cases, each compared bit for bit with strtod. */
static void test_number_table(void) {
    static const char *table[] = {
        "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9406564584124654e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "1.7976931348623158e308",
        "1.7976931348623159e308", "3.0517578125e-05", "123456789012345678", "0.1e1",
        "7.038531e-26", "8.988465674311579e307", "4.35679e-320", "6.02214076e23",
        "3.14159265358979323846264338327950288", "-1.2345678901234567e-200", "1e-323",
        "72057594037927945", "0.000001", "123.456e-7", "2.718281828459045", "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "9007199254740993.0000000000000000001", "0.1000000000000000055511151231257827021181583404541015625",
        "1448997445238699", "6.631236846766476e-316", "3.2138760885179806e-308",
        "1.2e-310", "-6.9294956446009195e15", "1.5e300", "7.3177701707893310e+15",
        "2.225073858507201136057409796709131975934819546351645648e-308",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977"
        "587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845"
        "817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559"
        "699508093042880177904174497792",  /* DBL_MAX + half an ulp: ties to even gives inf */
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977"
        "587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845"
        "817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559"
        "699508093042880177904174497791",  /* just below: DBL_MAX */
    };
    size_t i;
    for (i = 0; i < sizeof table / sizeof table[0]; i++) NUM_STRTOD(table[i]);
}

/* Random decimal strings (fixed seed) against strtod. */
static void test_number_random_decimals(void) {
    char buf[128];
    int i, reported = 0;
    rng_state = 0x243F6A8885A308D3ull;
    for (i = 0; i < 10000; i++) {
        size_t o = 0;
        int k, nd;
        uint64_t r = xorshift64();
        if (r & 1) buf[o++] = '-';
        if ((r >> 1 & 3) == 0) buf[o++] = '0';
        else {
            nd = 1 + (int)(xorshift64() % 20);
            buf[o++] = (char)('1' + xorshift64() % 9);
            for (k = 1; k < nd; k++) buf[o++] = (char)('0' + xorshift64() % 10);
        }
        if (r >> 3 & 1) {
            nd = 1 + (int)(xorshift64() % 25);
            buf[o++] = '.';
            for (k = 0; k < nd; k++) buf[o++] = (char)('0' + xorshift64() % 10);
        }
        if (r >> 4 & 1) {
            buf[o++] = (r >> 5 & 1) ? 'e' : 'E';
            if (r >> 6 & 1) buf[o++] = (r >> 7 & 1) ? '-' : '+';
            o += (size_t)snprintf(buf + o, 16, (r >> 8 & 7) == 0 ? "00%d" : "%d", (int)(xorshift64() % 345));
        }
        buf[o] = 0;
        if (!num_vs_strtod(__LINE__, buf, reported >= 5)) reported++;
    }
    if (reported) printf("#   %d of 10000 random decimals differ from strtod\n", reported);
    /* random doubles printed with 17, 18, 20 and 25 significant digits */
    for (i = 0; i < 4000; i++) {
        static const int digits[] = { 16, 17, 19, 24 };
        double x = random_bits_double();
        snprintf(buf, sizeof buf, "%.*e", digits[i & 3], x);
        if (!num_vs_strtod(__LINE__, buf, reported >= 5)) reported++;
    }
    if (reported) printf("#   %d random decimals in all differ from strtod\n", reported);
}

/* Exact decimal midpoints between neighbouring doubles (ties to even) and just above them. */
static void test_number_midpoints(void) {
#if LDBL_MANT_DIG >= 64
    char buf[1400];
    int i, reported = 0;
    rng_state = 0x13198A2E03707344ull;
    for (i = 0; i < 600; i++) {
        double x = fabs(random_bits_double()), y = nextafter(x, INFINITY);
        long double mid;
        char *e, *p;
        if (isinf(y)) continue;
        if (i % 10 == 0) { x = ldexp((double)(xorshift64() >> 11), -1074); y = nextafter(x, INFINITY); } /* subnormals */
        mid = ((long double)x + (long double)y) / 2;
        snprintf(buf, sizeof buf - 4, "%.800Le", mid);
        e = strchr(buf, 'e');
        if (!e) continue;
        p = e;
        while (p > buf && p[-1] == '0') p--;
        if (p > buf && p[-1] == '.') p--;
        memmove(p, e, strlen(e) + 1);
        if (!num_vs_strtod(__LINE__, buf, reported >= 5)) reported++;
        /* a hair above the midpoint */
        e = strchr(buf, 'e');
        if (!strchr(buf, '.')) { memmove(e + 2, e, strlen(e) + 1); e[0] = '.'; e[1] = '1'; }
        else { memmove(e + 1, e, strlen(e) + 1); e[0] = '1'; }
        if (!num_vs_strtod(__LINE__, buf, reported >= 5)) reported++;
    }
    if (reported) printf("#   %d midpoints differ from strtod\n", reported);
#else
    printf("#   long double too narrow for exact midpoints; skipped that part\n");
#endif
}

static void test_number_many_digits(void) {
    sbuf b = { 0 };
    int i;
    /* 100 digits */
    for (i = 0; i < 10; i++) sb_puts(&b, "1234567890");
    NUM_STRTOD(b.p);
    sb_puts(&b, "e-80");
    NUM_STRTOD(b.p);
    b.n = 0;
    sb_puts(&b, "0.");
    for (i = 0; i < 99; i++) sb_putc(&b, '0');
    sb_putc(&b, '1');
    NUM_STRTOD(b.p);
    b.n = 0;
    sb_puts(&b, "-0.");
    for (i = 0; i < 100; i++) sb_putc(&b, (char)('0' + (i * 7 + 3) % 10));
    NUM_STRTOD(b.p);
    /* 1000 nines: rounds to inf */
    b.n = 0;
    for (i = 0; i < 1000; i++) sb_putc(&b, '9');
    NUM_STRTOD(b.p);
    /* 800 digits scaled back into range */
    b.n = 0;
    sb_putc(&b, '1');
    for (i = 0; i < 799; i++) sb_putc(&b, '0');
    sb_puts(&b, "e-700");
    NUM_STRTOD(b.p);
    NUM_IS(b.p, 1e99);
    /* 100,000 digits with a huge compensating exponent */
    b.n = 0;
    sb_putc(&b, '3');
    for (i = 0; i < 99999; i++) sb_putc(&b, '0');
    sb_puts(&b, "e-99999");
    NUM_IS(b.p, 3.0);
    b.n = 0;
    sb_puts(&b, "0.");
    for (i = 0; i < 100000; i++) sb_putc(&b, '0');
    sb_puts(&b, "1e100010");
    NUM_IS(b.p, 1e9);
    /* 100,000 significant digits: the tail decides nothing here, the value is 1/3's neighbour */
    b.n = 0;
    sb_puts(&b, "0.");
    for (i = 0; i < 100000; i++) sb_putc(&b, '3');
    NUM_STRTOD(b.p);
    NUM_IS(b.p, 1.0 / 3.0);
    /* a long tail deciding a tie: 2^53 + 1 followed by zeros and a final 1 rounds up */
    b.n = 0;
    sb_puts(&b, "9007199254740993.");
    for (i = 0; i < 5000; i++) sb_putc(&b, '0');
    sb_putc(&b, '1');
    NUM_IS(b.p, 9007199254740994.0);
    /* 100,000-digit integer: inf */
    b.n = 0;
    sb_putc(&b, '1');
    for (i = 0; i < 99999; i++) sb_putc(&b, '0');
    NUM_STRTOD(b.p);
    free(b.p);
}

static void test_number_huge_exponents(void) {
    double x = 0;
    cloudtasks_error e;
    T_CHECK(parse_number(LIT("1e400"), &x, &e));
    T_CHECK(isinf(x) && x > 0);
    T_CHECK(parse_number(LIT("-1e400"), &x, &e));
    T_CHECK(isinf(x) && x < 0);
    NUM_IS("1e400", INFINITY);
    NUM_IS("-1e400", -INFINITY);
    NUM_IS("1.8e308", INFINITY);
    NUM_IS("1e-400", 0.0);
    NUM_IS("-1e-400", -0.0);
    NUM_IS("2e-324", 0.0);
    NUM_IS("3e-324", DBL_TRUE_MIN);
    NUM_IS("1e99999999999999999999", INFINITY);
    NUM_IS("1e-99999999999999999999", 0.0);
    NUM_IS("0e99999999999999999999", 0.0);
    NUM_IS("0.0e-99999", 0.0);
    NUM_IS("123e-2147483649", 0.0);
    NUM_IS("1e2147483647", INFINITY);
    NUM_IS("1e2147483648", INFINITY);          /* would wrap a 32-bit exponent */
    NUM_IS("1e4294967296", INFINITY);          /* would wrap to 1e0 */
    NUM_IS("1e4294967297", INFINITY);          /* would wrap to 1e1 */
    NUM_IS("1e-4294967296", 0.0);
    NUM_IS("1e-4294967295", 0.0);
    NUM_IS("1e18446744073709551617", INFINITY); /* would wrap a 64-bit exponent to 1e1 */
    NUM_IS("1e-18446744073709551615", 0.0);
    NUM_IS("1e000000000000000000000000000000001", 10.0);
    NUM_IS("0.00000000000000000000000000000000000001e38", 1.0);
    NUM_STRTOD("1e309");
    NUM_STRTOD("4.9e-324");
    NUM_STRTOD("2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324");
}

/* ---------------------------------------------------------------------------------------------
   errors */

static void test_error_offsets(void) {
    REJECT_EXPECTED("{\"a\" 1}", 5);
    REJECT_EXPECTED("[1,]", 3);
    REJECT_EXPECTED("[1 2]", 3);
    REJECT_EXPECTED("{\"a\":1,}", 7);
    REJECT_EXPECTED("\"abc", 4);
    REJECT_EXPECTED("01", 1);
    REJECT_EXPECTED("tru", 3);
    REJECT_EXPECTED("[", 1);
    REJECT_EXPECTED("[[", 2);
    REJECT_EXPECTED("[[[[[", 5);
    REJECT_EXPECTED("  [ ", 4);
    REJECT_EXPECTED("[1", 2);
    REJECT_EXPECTED("[1,", 3);
    REJECT_EXPECTED("[1,2", 4);
    REJECT_EXPECTED("{", 1);
    REJECT_EXPECTED("{\"a\"", 4);
    REJECT_EXPECTED("{\"a\":", 5);
    REJECT_EXPECTED("{\"a\":[", 6);
    REJECT_EXPECTED("{\"a\":1", 6);
    REJECT_EXPECTED("", 0);
    REJECT_EXPECTED("   ", 3);
    REJECT_EXPECTED("]", 0);
    REJECT_EXPECTED("}", 0);
    REJECT_EXPECTED("[}", 1);
    REJECT_EXPECTED("{]", 1);
    REJECT_EXPECTED("[1}", 2);
    REJECT_EXPECTED("{\"a\":1]", 6);
    REJECT_EXPECTED("{1:2}", 1);
    REJECT_EXPECTED("{a:2}", 1);
    REJECT_EXPECTED("{'a':2}", 1);
    REJECT_EXPECTED("{\"a\":}", 5);
    REJECT_EXPECTED("{\"a\"::1}", 5);
    REJECT_EXPECTED("[\"a\" \"b\"]", 5);
    REJECT_EXPECTED("[,1]", 1);
    REJECT_EXPECTED("[1,,2]", 3);
    REJECT_EXPECTED("nul", 3);
    REJECT_EXPECTED("nulx", 3);
    REJECT_EXPECTED("trUe", 2);
    REJECT_EXPECTED("falsy", 4);
    REJECT_EXPECTED("[truex]", 5);
    REJECT_EXPECTED("[1]x", 3);
    REJECT_EXPECTED("'a'", 0);
    REJECT_EXPECTED("[-]", 2);
    REJECT_EXPECTED("1.", 2);
    /* without an error struct: still NULL, no crash */
    T_CHECK(cloudtasks_json_parse(LIT("[1,]"), NULL) == NULL);
    T_CHECK(cloudtasks_json_parse(LIT(""), NULL) == NULL);
}

/* Every proper prefix of a document is invalid, and the error is at its end. */
static void test_error_truncations(void) {
    static const char doc[] =
        "{\"key\":[1,-2.5e+3,true,false,null,\"x\\u00e9\\n\\ud83d\\ude00\",0],\"k2\":{\"a\":[]},\"k3\":{}}";
    size_t p;
    int before = t_failures_in_test;
    for (p = 0; p < sizeof doc - 1; p++) {
        reject_at(__LINE__, doc, p, CLOUDTASKS_EJSON, p, NULL);
        if (t_failures_in_test - before > 8) { printf("#   (stopping after 8 failures)\n"); break; }
    }
    accept_n(__LINE__, doc, sizeof doc - 1);
}

static void test_error_misc(void) {
    /* the message names what is wrong for other kinds of error too */
    REJECT("[\"a\x01\"]", 3);
    REJECT("[1,\x01]", 3);
    REJECT("[1]\x00", 3);
    REJECT("\x00", 0);
    REJECT("[1,\x00 2]", 3);
    REJECT("[1,2]x", 5);
    REJECT("[1,2] x", 6);
    /* parsing stops at len: bytes after it are never read */
    {
        static const char text[] = "[1,2]garbage";
        cloudtasks_json_doc *d = parse_n(text, 5, NULL);
        T_CHECK(d != NULL);
        T_CHECK_INT(cloudtasks_json_length(cloudtasks_json_root(d)), 2);
        cloudtasks_json_free(d);
        reject_at(__LINE__, text, 4, CLOUDTASKS_EJSON, 4, NULL);
        d = parse_n("123456", 3, NULL);
        T_CHECK(cloudtasks_json_number(cloudtasks_json_root(d), 0) == 123);
        cloudtasks_json_free(d);
        d = parse_n("\"abc\"def\"", 5, NULL);
        T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_root(d), NULL), "abc");
        cloudtasks_json_free(d);
        reject_at(__LINE__, "truex", 3, CLOUDTASKS_EJSON, 3, NULL);
    }
    /* a successful parse after a failed one is unaffected; the same err can be reused */
    {
        cloudtasks_error e;
        cloudtasks_json_doc *d = parse_n(LIT("[1,]"), &e);
        T_CHECK(d == NULL);
        d = cloudtasks_json_parse(LIT("[1]"), &e);
        T_CHECK(d != NULL);
        cloudtasks_json_free(d);
    }
}

/* ---------------------------------------------------------------------------------------------
   depth, BOM, whitespace, trailing data */

static char *nested(const char *open, const char *middle, const char *close, size_t depth, size_t *len) {
    size_t lo = strlen(open), lm = strlen(middle), lc = strlen(close), i, o = 0;
    char *s = (char *)malloc(depth * (lo + lc) + lm + 1);
    if (!s) { printf("# out of memory\n"); exit(2); }
    for (i = 0; i < depth; i++) { memcpy(s + o, open, lo); o += lo; }
    memcpy(s + o, middle, lm); o += lm;
    for (i = 0; i < depth; i++) { memcpy(s + o, close, lc); o += lc; }
    s[o] = 0;
    *len = o;
    return s;
}

static void test_depth(void) {
    size_t len, i;
    char *s;
    cloudtasks_json_doc *d;
    const cloudtasks_json *v;
    cloudtasks_error e;

    s = nested("[", "", "]", 512, &len);
    d = parse_n(s, len, &e);
    T_CHECK(d != NULL);
    v = cloudtasks_json_root(d);
    for (i = 0; i < 511 && v; i++) {
        if (cloudtasks_json_length(v) != 1) break;
        v = cloudtasks_json_at(v, 0);
    }
    T_CHECK_INT(i, 511);
    T_CHECK_INT(cloudtasks_json_typeof(v), CLOUDTASKS_JSON_ARRAY);
    T_CHECK_INT(cloudtasks_json_length(v), 0);
    cloudtasks_json_free(d);
    free(s);

    s = nested("[", "1", "]", 512, &len);           /* scalars do not count */
    accept_n(__LINE__, s, len);
    free(s);
    s = nested("{\"a\":", "[]", "}", 511, &len);
    accept_n(__LINE__, s, len);
    free(s);
    s = nested("[{\"k\":", "0", "}]", 256, &len);
    accept_n(__LINE__, s, len);
    free(s);

    s = nested("[", "", "]", 513, &len);
    d = parse_n(s, len, &e);
    T_CHECK(d == NULL);
    T_CHECK_INT(e.code, CLOUDTASKS_EDEPTH);
    T_CHECK_INT(e.offset, 512);
    T_CHECK(message_ok(&e));
    cloudtasks_json_free(d);
    free(s);
    s = nested("{\"a\":", "1", "}", 513, &len);
    reject_at(__LINE__, s, len, CLOUDTASKS_EDEPTH, 512 * 5, NULL);
    free(s);
    s = nested("[{\"k\":", "0", "}]", 257, &len);
    reject_range(__LINE__, s, len, CLOUDTASKS_EDEPTH, 0, len, NULL);
    free(s);
    s = nested("[", "", "]", 600, &len);
    reject_at(__LINE__, s, len, CLOUDTASKS_EDEPTH, 512, NULL);
    free(s);
}

static void test_depth_million(void) {
    size_t n = 1000000, len;
    char *s = (char *)malloc(n);
    cloudtasks_error e;
    cloudtasks_json_doc *d;
    if (!s) return;
    memset(s, '[', n);
    d = parse_n(s, n, &e);
    T_CHECK(d == NULL);
    T_CHECK_INT(e.code, CLOUDTASKS_EDEPTH);
    T_CHECK(message_ok(&e));
    cloudtasks_json_free(d);
    free(s);
    s = nested("[", "", "]", n, &len);
    reject_at(__LINE__, s, len, CLOUDTASKS_EDEPTH, 512, NULL);
    free(s);
    s = nested("{\"a\":", "", "", 200000, &len);
    reject_range(__LINE__, s, len, CLOUDTASKS_EDEPTH, 0, len, NULL);
    free(s);
}

static void test_bom(void) {
    cloudtasks_json_doc *d;
    ACCEPT("\xEF\xBB\xBF{}");
    ACCEPT("\xEF\xBB\xBF[1]");
    ACCEPT("\xEF\xBB\xBF 1 ");
    d = parse_s("\xEF\xBB\xBF{\"a\":\"b\"}");
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_root(d), "a"), NULL), "b");
    cloudtasks_json_free(d);
    STR_IS("\"\xEF\xBB\xBF\"", "\xEF\xBB\xBF");           /* inside a string it is a character */
    REJECT("\xEF\xBB\xBF", 3);
    REJECT("\xEF\xBB\xBF\xEF\xBB\xBF{}", 3);
    REJECT(" \xEF\xBB\xBF{}", 1);
    REJECT("\xEF\xBB{}", 0);
    REJECT("\xEF{}", 0);
    REJECT("{}\xEF\xBB\xBF", 2);
    REJECT("\xEF\xBB\xBF[1,]", 6);                        /* offsets count the BOM */
    REJECT("\xFE\xFF[]", 0);                              /* UTF-16 BOMs are not UTF-8 */
    REJECT("\xFF\xFE[]", 0);
}

static void test_whitespace(void) {
    cloudtasks_json_doc *d;
    ACCEPT(" \t\n\r[ \t\n\r1 \t\n\r, \t\n\r2 \t\n\r] \t\n\r");
    ACCEPT("{ \"a\" : 1 , \"b\" : [ ] , \"c\" : { } }");
    ACCEPT("\n\n1\n\n");
    d = parse_s("\r\n{\r\n\t\"a\"\r\n:\r\n[\r\n1\r\n]\r\n}\r\n");
    T_CHECK(d != NULL);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_at(cloudtasks_json_get(cloudtasks_json_root(d), "a"), 0), 0) == 1);
    cloudtasks_json_free(d);
    REJECT("[1,\f2]", 3);
    REJECT("[1,\v2]", 3);
    REJECT("\f[1]", 0);
    REJECT("[1]\f", 3);
    REJECT("[1]\v", 3);
    REJECT("[\xC2\xA0" "1]", 1);          /* no-break space */
    REJECT("[\xE2\x80\xA8" "1]", 1);      /* line separator */
    REJECT("[\xE3\x80\x80" "1]", 1);      /* ideographic space */
    REJECT("[1\x1C]", 2);
    REJECT("{\"a\"\f:1}", 4);
}

static void test_trailing_garbage(void) {
    REJECT("[1]x", 3);
    REJECT("1 2", 2);
    REJECT("{}{}", 2);
    REJECT("[][]", 2);
    REJECT("\"a\"\"b\"", 3);
    REJECT("truefalse", 4);
    REJECT("nullx", 4);
    REJECT("1x", 1);
    REJECT("0x10", 1);
    REJECT("[1]]", 3);
    REJECT("{}}", 2);
    REJECT("[1] ,", 4);
    REJECT("{} // comment", 3);
    REJECT("/* c */ {}", 0);
    REJECT("[1,2] \n ]", 8);
    ACCEPT("[1]  \n");
}

/* ---------------------------------------------------------------------------------------------
   large inputs (linear time: correctness only; the harness would time out on quadratic code) */

static void bench_file_test(const char *name, void (*check)(const cloudtasks_json *)) {
    char path[1024];
    size_t len = 0;
    char *text;
    cloudtasks_error e;
    cloudtasks_json_doc *d, *d2;
    cloudtasks_json_writer w1, w2;
    snprintf(path, sizeof path, "%s/vectors/json-bench/%s", shared_dir(), name);
    text = read_file(path, &len);
    T_CHECK(text != NULL);
    if (!text) return;
    d = parse_n(text, len, &e);
    free(text);
    T_CHECK(d != NULL);
    if (!d) { printf("#   %s: %s at %zu\n", name, e.message, e.offset); return; }
    T_CHECK_INT(walk(cloudtasks_json_root(d), name), 0);
    check(cloudtasks_json_root(d));
    /* writing it back and re-parsing gives the same text again */
    cloudtasks_json_writer_init(&w1);
    cloudtasks_json_write_value(&w1, cloudtasks_json_root(d));
    d2 = writer_parse(__LINE__, &w1);
    cloudtasks_json_writer_init(&w2);
    cloudtasks_json_write_value(&w2, cloudtasks_json_root(d2));
    T_CHECK_INT(w2.error, 0);
    T_CHECK(w1.data && w2.data && w1.len == w2.len && memcmp(w1.data, w2.data, w1.len) == 0);
    cloudtasks_json_writer_free(&w1);
    cloudtasks_json_writer_free(&w2);
    cloudtasks_json_free(d2);
    cloudtasks_json_free(d);
}

static void check_canada(const cloudtasks_json *r) {
    const cloudtasks_json *features = cloudtasks_json_get(r, "features"), *coords, *ring;
    T_CHECK_INT(cloudtasks_json_typeof(r), CLOUDTASKS_JSON_OBJECT);
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(r, "type"), NULL), "FeatureCollection");
    T_CHECK_INT(cloudtasks_json_typeof(features), CLOUDTASKS_JSON_ARRAY);
    T_CHECK(cloudtasks_json_length(features) > 0);
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_get(cloudtasks_json_at(features, 0), "properties"), "name"), NULL), "Canada");
    coords = cloudtasks_json_get(cloudtasks_json_get(cloudtasks_json_at(features, 0), "geometry"), "coordinates");
    T_CHECK_INT(cloudtasks_json_length(coords), 480);
    ring = cloudtasks_json_at(coords, 0);
    T_CHECK_INT(cloudtasks_json_length(ring), 14);
    T_CHECK(same_bits(cloudtasks_json_number(cloudtasks_json_at(cloudtasks_json_at(ring, 0), 0), 0), strtod("-65.613616999999977", NULL)));
    T_CHECK(same_bits(cloudtasks_json_number(cloudtasks_json_at(cloudtasks_json_at(ring, 0), 1), 0), strtod("43.420273000000009", NULL)));
    T_CHECK(same_bits(cloudtasks_json_number(cloudtasks_json_at(cloudtasks_json_at(ring, 2), 0), 0), -65.625));
}
static void check_twitter(const cloudtasks_json *r) {
    const cloudtasks_json *st = cloudtasks_json_get(r, "statuses");
    T_CHECK_INT(cloudtasks_json_length(st), 100);
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_at(st, 0), "id_str"), NULL), "505874924095815681");
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(cloudtasks_json_at(st, 0), "id"), 0) == 505874924095815681.0);
    T_CHECK_INT(cloudtasks_json_typeof(cloudtasks_json_get(r, "search_metadata")), CLOUDTASKS_JSON_OBJECT);
}
static void check_citm(const cloudtasks_json *r) {
    T_CHECK_INT(cloudtasks_json_length(cloudtasks_json_get(r, "events")), 184);
    T_CHECK_INT(cloudtasks_json_length(cloudtasks_json_get(r, "performances")), 243);
}
static void test_canada(void) { bench_file_test("canada.json", check_canada); }
static void test_twitter(void) { bench_file_test("twitter.json", check_twitter); }
static void test_citm_catalog(void) { bench_file_test("citm_catalog.json", check_citm); }

static void test_big_array_of_arrays(void) {
    sbuf b = { 0 };
    char num[32];
    size_t n = 0, i, bad = 0;
    cloudtasks_json_doc *d;
    const cloudtasks_json *r;
    sb_putc(&b, '[');
    while (b.n < (1u << 20)) {
        snprintf(num, sizeof num, "%s[%zu]", n ? "," : "", n);
        sb_puts(&b, num);
        n++;
    }
    sb_putc(&b, ']');
    d = parse_n(b.p, b.n, NULL);
    free(b.p);
    T_CHECK(d != NULL);
    r = cloudtasks_json_root(d);
    T_CHECK_INT(cloudtasks_json_length(r), n);
    for (i = 0; i < n; i++) {
        const cloudtasks_json *a = cloudtasks_json_at(r, i);
        if (cloudtasks_json_length(a) != 1 || cloudtasks_json_number(cloudtasks_json_at(a, 0), -1) != (double)i) bad++;
    }
    T_CHECK_INT(bad, 0);
    T_CHECK(cloudtasks_json_at(r, n) == NULL);
    cloudtasks_json_free(d);
}

static void test_big_string(void) {
    sbuf in = { 0 }, want = { 0 };
    size_t i, len = 0;
    const char *s;
    cloudtasks_json_doc *d;
    /* 1 MiB of plain ASCII */
    sb_putc(&in, '"');
    for (i = 0; i < (1u << 20); i++) sb_putc(&in, (char)('a' + i % 26));
    sb_putc(&in, '"');
    d = parse_n(in.p, in.n, NULL);
    T_CHECK(d != NULL);
    s = cloudtasks_json_string(cloudtasks_json_root(d), &len);
    T_CHECK_INT(len, 1u << 20);
    T_CHECK(s && memcmp(s, in.p + 1, 1u << 20) == 0 && s[len] == 0);
    cloudtasks_json_free(d);
    /* 1 MiB mixing escapes, \u escapes, pairs and raw UTF-8 */
    in.n = 0;
    sb_putc(&in, '"');
    for (i = 0; in.n < (1u << 20); i++) {
        switch (i % 6) {
        case 0: sb_puts(&in, "abc"); sb_puts(&want, "abc"); break;
        case 1: sb_puts(&in, "\\n\\\""); sb_puts(&want, "\n\""); break;
        case 2: sb_puts(&in, "\\u00e9"); sb_puts(&want, "\xC3\xA9"); break;
        case 3: sb_puts(&in, "\\ud83d\\ude00"); sb_puts(&want, "\xF0\x9F\x98\x80"); break;
        case 4: sb_puts(&in, "\xE2\x82\xAC"); sb_puts(&want, "\xE2\x82\xAC"); break;
        default: sb_puts(&in, "\\u0000"); sb_put(&want, "\0", 1); break;
        }
    }
    sb_putc(&in, '"');
    d = parse_n(in.p, in.n, NULL);
    T_CHECK(d != NULL);
    s = cloudtasks_json_string(cloudtasks_json_root(d), &len);
    T_CHECK_INT(len, want.n);
    T_CHECK(s && len == want.n && memcmp(s, want.p, len) == 0 && s[len] == 0);
    cloudtasks_json_free(d);
    /* 1 MiB, unterminated: rejected at the end */
    in.p[in.n - 1] = 'x';
    reject_at(__LINE__, in.p, in.n, CLOUDTASKS_EJSON, in.n, NULL);
    free(in.p);
    free(want.p);
}

static void test_big_array_of_strings(void) {
    sbuf b = { 0 };
    size_t n = 0, i, bad = 0, len;
    char item[8];
    cloudtasks_json_doc *d;
    const cloudtasks_json *r;
    sb_putc(&b, '[');
    while (b.n < (1u << 20)) {
        snprintf(item, sizeof item, "%s\"%c\"", n ? "," : "", 'a' + (int)(n % 26));
        sb_puts(&b, item);
        n++;
    }
    sb_putc(&b, ']');
    d = parse_n(b.p, b.n, NULL);
    free(b.p);
    T_CHECK(d != NULL);
    r = cloudtasks_json_root(d);
    T_CHECK_INT(cloudtasks_json_length(r), n);
    for (i = 0; i < n; i++) {
        const char *s = cloudtasks_json_string(cloudtasks_json_at(r, i), &len);
        if (!s || len != 1 || s[0] != 'a' + (int)(i % 26) || s[1] != 0) bad++;
    }
    T_CHECK_INT(bad, 0);
    cloudtasks_json_free(d);
}

static void test_big_object(void) {
    sbuf b = { 0 };
    char item[48];
    size_t n = 100000, i, bad = 0;
    cloudtasks_json_doc *d;
    const cloudtasks_json *r;
    sb_putc(&b, '{');
    for (i = 0; i < n; i++) {
        snprintf(item, sizeof item, "%s\"k%zu\":%zu", i ? "," : "", i, i);
        sb_puts(&b, item);
    }
    sb_putc(&b, '}');
    d = parse_n(b.p, b.n, NULL);
    free(b.p);
    T_CHECK(d != NULL);
    r = cloudtasks_json_root(d);
    T_CHECK_INT(cloudtasks_json_length(r), n);
    for (i = 0; i < n; i += 997) {
        snprintf(item, sizeof item, "k%zu", i);
        if (strcmp(cloudtasks_json_object_key(r, i, NULL) ? cloudtasks_json_object_key(r, i, NULL) : "", item) != 0 ||
            cloudtasks_json_number(cloudtasks_json_object_value(r, i), -1) != (double)i) bad++;
    }
    T_CHECK_INT(bad, 0);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "k99999"), -1) == 99999);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "k0"), -1) == 0);
    T_CHECK(cloudtasks_json_number(cloudtasks_json_get(r, "k50000"), -1) == 50000);
    T_CHECK(cloudtasks_json_get(r, "k100000") == NULL);
    cloudtasks_json_free(d);
}

/* ---------------------------------------------------------------------------------------------
   writer */

static void test_writer_basic(void) {
    cloudtasks_json_writer w;
    cloudtasks_json_writer_init(&w);
    T_CHECK(w.data == NULL);
    T_CHECK_INT(w.len, 0);
    T_CHECK_INT(w.error, 0);
    cloudtasks_json_writer_free(&w);               /* freeing an unused writer is fine */

    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "a");
    cloudtasks_json_write_int(&w, 1);
    cloudtasks_json_key(&w, "b");
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_write_int(&w, 1);
    cloudtasks_json_write_int(&w, 2);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_end_object(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_end_array(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_write_null(&w);
    cloudtasks_json_end_array(&w);
    cloudtasks_json_end_array(&w);
    cloudtasks_json_end_array(&w);
    cloudtasks_json_key(&w, "c");
    cloudtasks_json_write_null(&w);
    cloudtasks_json_key(&w, "d");
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "e");
    cloudtasks_json_write_cstring(&w, "f");
    cloudtasks_json_key(&w, "g");
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_end_object(&w);
    cloudtasks_json_end_object(&w);
    cloudtasks_json_end_object(&w);
    WRITER_IS(&w, "{\"a\":1,\"b\":[1,2,{},[],[[null]]],\"c\":null,\"d\":{\"e\":\"f\",\"g\":{}}}");
    cloudtasks_json_writer_free(&w);

    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_end_array(&w);
    WRITER_IS(&w, "[]");
    cloudtasks_json_writer_free(&w);

    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_end_object(&w);
    WRITER_IS(&w, "{}");
    cloudtasks_json_writer_free(&w);

    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_cstring(&w, "top");
    WRITER_IS(&w, "\"top\"");
    cloudtasks_json_writer_free(&w);

    /* the header's own example */
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "sum");
    cloudtasks_json_write_number(&w, 3.5);
    cloudtasks_json_end_object(&w);
    WRITER_IS(&w, "{\"sum\":3.5}");
    cloudtasks_json_writer_free(&w);

    /* arrays of arrays of objects */
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "x");
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_end_array(&w);
    cloudtasks_json_end_object(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "");
    cloudtasks_json_write_bool(&w, 0);
    cloudtasks_json_end_object(&w);
    cloudtasks_json_end_array(&w);
    WRITER_IS(&w, "[{\"x\":[]},{\"\":false}]");
    cloudtasks_json_writer_free(&w);
}

static void test_writer_big(void) {
    cloudtasks_json_writer w;
    cloudtasks_json_doc *d;
    size_t i, n = 200000, bad = 0, len = 0;
    char *big = (char *)malloc(1u << 20);
    const char *s;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_array(&w);
    for (i = 0; i < n; i++) cloudtasks_json_write_int(&w, (int64_t)i);
    if (big) {
        for (i = 0; i < (1u << 20); i++) big[i] = (char)(i % 64 == 63 ? '\n' : i % 64 == 62 ? '"' : 'a' + (int)(i % 26));
        cloudtasks_json_write_string(&w, big, 1u << 20);
    }
    cloudtasks_json_end_array(&w);
    d = writer_parse(__LINE__, &w);
    T_CHECK_INT(cloudtasks_json_length(cloudtasks_json_root(d)), n + 1);
    for (i = 0; i < n; i++)
        if (cloudtasks_json_number(cloudtasks_json_at(cloudtasks_json_root(d), i), -1) != (double)i) bad++;
    T_CHECK_INT(bad, 0);
    s = cloudtasks_json_string(cloudtasks_json_at(cloudtasks_json_root(d), n), &len);
    T_CHECK(big && s && len == (1u << 20) && memcmp(s, big, len) == 0);
    cloudtasks_json_free(d);
    cloudtasks_json_writer_free(&w);
    free(big);
}

/* The single string s (len bytes), written, must come out as one of the alternatives. */
static void wstring_is(int line, const char *s, size_t len, const char *want1, const char *want2) {
    cloudtasks_json_writer w;
    cloudtasks_json_doc *d;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_string(&w, s, len);
    if (w.error || !w.data || (strcmp(w.data, want1) != 0 && (!want2 || strcmp(w.data, want2) != 0))) {
        char buf[200];
        snprintf(buf, sizeof buf, "%s (error %d)", w.data ? show(w.data, w.len) : "(null)", w.error);
        fail_line(line, "wrote %s, want %s", buf, show(want1, strlen(want1)));
    }
    d = writer_parse(line, &w);
    if (d && utf8_valid(s, len)) {
        size_t got_len = 0;
        const char *got = cloudtasks_json_string(cloudtasks_json_root(d), &got_len);
        if (!got || got_len != len || memcmp(got, s, len) != 0)
            fail_line(line, "%s does not read back as %s", show(w.data, w.len), show(s, len));
    }
    cloudtasks_json_free(d);
    cloudtasks_json_writer_free(&w);
}
#define WSTRING_IS(lit, want) wstring_is(__LINE__, LIT(lit), want, NULL)
#define WSTRING_IS2(lit, want1, want2) wstring_is(__LINE__, LIT(lit), want1, want2)

static void test_writer_strings(void) {
    int c;
    char in[2], lower[16], upper[16];
    static const char *const shortesc[32] = { 0, 0, 0, 0, 0, 0, 0, 0, "\"\\b\"", "\"\\t\"", "\"\\n\"", 0,
                                               "\"\\f\"", "\"\\r\"" };
    cloudtasks_json_writer w;
    WSTRING_IS("", "\"\"");
    WSTRING_IS("plain text", "\"plain text\"");
    WSTRING_IS("a\"b", "\"a\\\"b\"");
    WSTRING_IS("a\\b", "\"a\\\\b\"");
    WSTRING_IS("\"\\\"", "\"\\\"\\\\\\\"\"");
    WSTRING_IS2("a/b", "\"a/b\"", "\"a\\/b\"");
    WSTRING_IS2("\x7f", "\"\x7f\"", "\"\\u007f\"");                  /* DEL: raw or escaped */
    WSTRING_IS("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF", "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\"");
    WSTRING_IS("\xEF\xBF\xBF\xEF\xBB\xBF", "\"\xEF\xBF\xBF\xEF\xBB\xBF\"");
    WSTRING_IS2("\xE2\x80\xA8", "\"\xE2\x80\xA8\"", "\"\\u2028\"");
    WSTRING_IS2("a\0b", "\"a\\u0000b\"", "\"a\\u0000b\"");
    /* every control character: a short escape or \u00XX (either case) */
    for (c = 0; c < 0x20; c++) {
        in[0] = (char)c;
        snprintf(lower, sizeof lower, "\"\\u%04x\"", c);
        snprintf(upper, sizeof upper, "\"\\u%04X\"", c);
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_write_string(&w, in, 1);
        if (!w.data || (strcmp(w.data, lower) != 0 && strcmp(w.data, upper) != 0 &&
                        !(shortesc[c] && strcmp(w.data, shortesc[c]) == 0))) {
            printf("#   control char 0x%02X written as %s\n", c, w.data ? show(w.data, w.len) : "(null)");
            t_failures_in_test++;
        }
        cloudtasks_json_free(writer_parse(__LINE__, &w));
        cloudtasks_json_writer_free(&w);
    }
    /* cstring and NULL */
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_write_cstring(&w, "x\ty");
    cloudtasks_json_write_cstring(&w, NULL);
    cloudtasks_json_write_string(&w, "abcdef", 3);
    cloudtasks_json_write_string(&w, "", 0);
    cloudtasks_json_end_array(&w);
    WRITER_IS(&w, "[\"x\\ty\",null,\"abc\",\"\"]");
    cloudtasks_json_writer_free(&w);
    /* keys are escaped like strings */
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "k\"\\\n\xC3\xA9");
    cloudtasks_json_write_int(&w, 1);
    cloudtasks_json_key(&w, "");
    cloudtasks_json_write_int(&w, 2);
    cloudtasks_json_end_object(&w);
    WRITER_IS(&w, "{\"k\\\"\\\\\\n\xC3\xA9\":1,\"\":2}");
    cloudtasks_json_writer_free(&w);
}

/* Invalid UTF-8 becomes U+FFFD; the valid text around it survives. */
static void winvalid(int line, const char *s, size_t len, const char *ascii_left) {
    cloudtasks_json_writer w;
    cloudtasks_json_doc *d;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_string(&w, s, len);
    d = writer_parse(line, &w);
    if (d) {
        size_t n = 0, i, o = 0, fffd = 0;
        const char *got = cloudtasks_json_string(cloudtasks_json_root(d), &n);
        char rest[64];
        for (i = 0; got && i < n && o < sizeof rest - 1; ) {
            if (i + 3 <= n && memcmp(got + i, "\xEF\xBF\xBD", 3) == 0) { fffd++; i += 3; }
            else rest[o++] = got[i++];
        }
        rest[o] = 0;
        if (!got || fffd == 0 || strcmp(rest, ascii_left) != 0)
            fail_line(line, "%s written as %s", show(s, len), show(w.data, w.len));
    }
    cloudtasks_json_free(d);
    cloudtasks_json_writer_free(&w);
}
#define WINVALID(lit, left) winvalid(__LINE__, LIT(lit), left)

static void test_writer_invalid_utf8(void) {
    WSTRING_IS("\xFF", "\"\xEF\xBF\xBD\"");
    WSTRING_IS("a\xFE" "b", "\"a\xEF\xBF\xBD" "b\"");
    WSTRING_IS("\x80", "\"\xEF\xBF\xBD\"");
    WINVALID("a\xC0\x80" "b", "ab");
    WINVALID("\xC1\xBF", "");
    WINVALID("\xE0\x80\x80", "");
    WINVALID("\xF0\x80\x80\x80", "");
    WINVALID("x\xED\xA0\x80y", "xy");
    WINVALID("\xED\xBF\xBF", "");
    WINVALID("\xF4\x90\x80\x80", "");
    WINVALID("\xF5\x80\x80\x80", "");
    WINVALID("\xF8\x88\x80\x80\x80", "");
    WINVALID("\xE2\x82", "");
    WINVALID("\xE2\x82z", "z");
    WINVALID("\xF0\x9F\x98", "");
    WINVALID("\xF0\x9F\x98!", "!");
    WINVALID("\xC3", "");
    WINVALID("ok\xC2\x41", "okA");
    WINVALID("\xBF\xBF\xBF", "");
    /* valid characters next to invalid bytes are kept */
    {
        cloudtasks_json_writer w;
        cloudtasks_json_doc *d;
        const char *s;
        size_t n = 0;
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_write_cstring(&w, "\xC3\xA9\xFF\xF0\x9F\x98\x80");
        d = writer_parse(__LINE__, &w);
        s = cloudtasks_json_string(cloudtasks_json_root(d), &n);
        T_CHECK(s && n == 9 && memcmp(s, "\xC3\xA9\xEF\xBF\xBD\xF0\x9F\x98\x80", 9) == 0);
        cloudtasks_json_free(d);
        cloudtasks_json_writer_free(&w);
        /* in keys too */
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_begin_object(&w);
        cloudtasks_json_key(&w, "k\xFF");
        cloudtasks_json_write_null(&w);
        cloudtasks_json_end_object(&w);
        WRITER_IS(&w, "{\"k\xEF\xBF\xBD\":null}");
        cloudtasks_json_writer_free(&w);
    }
}

static void wnumber_is(int line, double x, const char *want1, const char *want2) {
    cloudtasks_json_writer w;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_number(&w, x);
    if (w.error || !w.data || (strcmp(w.data, want1) != 0 && (!want2 || strcmp(w.data, want2) != 0))) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", x);
        fail_line(line, "%s written as %s", buf, w.data ? w.data : "(null)");
    }
    cloudtasks_json_free(writer_parse(line, &w));
    cloudtasks_json_writer_free(&w);
}
#define WNUMBER_IS(x, want) wnumber_is(__LINE__, x, want, NULL)

static void test_writer_numbers(void) {
    WNUMBER_IS(0.1, "0.1");
    WNUMBER_IS(1.5, "1.5");
    WNUMBER_IS(100, "100");
    wnumber_is(__LINE__, 1e21, "1e21", "1e+21");
    WNUMBER_IS(0.0, "0");
    WNUMBER_IS(-0.0, "-0");
    WNUMBER_IS(1, "1");
    WNUMBER_IS(-1, "-1");
    WNUMBER_IS(3.5, "3.5");
    WNUMBER_IS(-2.25, "-2.25");
    WNUMBER_IS(42, "42");
    WNUMBER_IS(123456789, "123456789");
    WNUMBER_IS(4294967297.0, "4294967297");
    WNUMBER_IS(9007199254740992.0, "9007199254740992");
    WNUMBER_IS(9007199254740991.0, "9007199254740991");
    WNUMBER_IS(0.30000000000000004, "0.30000000000000004");
    wnumber_is(__LINE__, 5e-324, "5e-324", "4.9e-324");
    wnumber_is(__LINE__, 1e-7, "1e-7", "1e-07");
    wnumber_is(__LINE__, DBL_MAX, "1.7976931348623157e308", "1.7976931348623157e+308");
    wnumber_is(__LINE__, DBL_MIN, "2.2250738585072014e-308", NULL);
    wnumber_is(__LINE__, 1e-310, "1e-310", NULL);                     /* subnormals too */
    wnumber_is(__LINE__, 1e-323, "1e-323", NULL);
    wnumber_is(__LINE__, 2.5e-323, "2.5e-323", NULL);
    wnumber_is(__LINE__, 1e23, "1e23", "1e+23");
    WNUMBER_IS(INFINITY, "1e999");
    WNUMBER_IS(-INFINITY, "-1e999");
    WNUMBER_IS(NAN, "null");
    WNUMBER_IS(-NAN, "null");
    {
        cloudtasks_json_writer w;
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_begin_array(&w);
        cloudtasks_json_write_number(&w, INFINITY);
        cloudtasks_json_write_number(&w, NAN);
        cloudtasks_json_write_number(&w, -INFINITY);
        cloudtasks_json_write_number(&w, -0.0);
        cloudtasks_json_end_array(&w);
        WRITER_IS(&w, "[1e999,null,-1e999,-0]");
        cloudtasks_json_writer_free(&w);
    }
}

/* write_number round-trips every double through cloudtasks_json_parse, in the fewest digits. */
static void test_writer_number_roundtrip(void) {
    int i, reported = 0, notshort = 0, notbits = 0;
    rng_state = 0xA4093822299F31D0ull;
    for (i = 0; i < 10000; i++) {
        cloudtasks_json_writer w;
        double x, back = 0;
        cloudtasks_error e;
        switch (i % 4) {
        case 0: x = random_bits_double(); break;
        case 3: x = ldexp((double)(xorshift64() >> (12 + xorshift64() % 52)), -1074); break;  /* subnormal */
        case 1: x = (double)(int64_t)(xorshift64() >> (xorshift64() % 64)); if (i & 8) x = -x; break;
        default: x = (double)(int64_t)(xorshift64() % 2000000001) / pow(10, (double)(xorshift64() % 12)); break;
        }
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_write_number(&w, x);
        if (w.error || !w.data || !is_json_number(w.data) || w.len > 24) {
            if (reported++ < 5) printf("#   %.17g (%a) written as %s (error %d)\n", x, x, w.data ? w.data : "(null)", w.error);
            notbits++;
        } else if (!parse_number(w.data, w.len, &back, &e) || !same_bits(back, x)) {
            if (reported++ < 5) printf("#   %.17g (%a) written as %s reads back as %.17g\n", x, x, w.data, back);
            notbits++;
        } else if (sig_digits(w.data) > min_digits(x)) {
            if (reported++ < 5) printf("#   %.17g written as %s: %d digits, %d would do\n", x, w.data, sig_digits(w.data), min_digits(x));
            notshort++;
        }
        cloudtasks_json_writer_free(&w);
    }
    T_CHECK_INT(notbits, 0);
    T_CHECK_INT(notshort, 0);
}

static void test_writer_int_bool_null(void) {
    cloudtasks_json_writer w;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_write_int(&w, INT64_MIN);
    cloudtasks_json_write_int(&w, INT64_MAX);
    cloudtasks_json_write_int(&w, 0);
    cloudtasks_json_write_int(&w, -1);
    cloudtasks_json_write_int(&w, 9007199254740993);
    cloudtasks_json_write_bool(&w, 1);
    cloudtasks_json_write_bool(&w, 0);
    cloudtasks_json_write_bool(&w, 2);
    cloudtasks_json_write_bool(&w, -1);
    cloudtasks_json_write_null(&w);
    cloudtasks_json_end_array(&w);
    WRITER_IS(&w, "[-9223372036854775808,9223372036854775807,0,-1,9007199254740993,true,false,true,true,null]");
    cloudtasks_json_writer_free(&w);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_int(&w, INT64_MIN);
    WRITER_IS(&w, "-9223372036854775808");
    cloudtasks_json_writer_free(&w);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_bool(&w, 1);
    WRITER_IS(&w, "true");
    cloudtasks_json_writer_free(&w);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_null(&w);
    WRITER_IS(&w, "null");
    cloudtasks_json_writer_free(&w);
}

static void test_writer_value(void) {
    static const char in[] =
        " { \"a\" : [ 1 , 2.50 , -0 , 1E2 , 1e400, -1e400, true , false , null , \"x\\u0079\\u00e9\\ud83d\\ude00\\/\" ] ,"
        " \"b\" : { } , \"c\" : [ ] , \"d\" : { \"e\" : \"f\" , \"\\u0000\" : [ [ ] , { } ] } , \"n\" : 0.1 } ";
    static const char want[] =
        "{\"a\":[1,2.5,-0,100,1e999,-1e999,true,false,null,\"xy\xC3\xA9\xF0\x9F\x98\x80/\"],"
        "\"b\":{},\"c\":[],\"d\":{\"e\":\"f\",\"\\u0000\":[[],{}]},\"n\":0.1}";
    cloudtasks_json_doc *d = parse_s(in);
    const cloudtasks_json *r = cloudtasks_json_root(d);
    cloudtasks_json_writer w;
    T_CHECK(d != NULL);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_value(&w, r);
    WRITER_IS(&w, want);
    cloudtasks_json_writer_free(&w);
    /* values inside a writer's own containers */
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "x");
    cloudtasks_json_write_value(&w, cloudtasks_json_get(r, "d"));
    cloudtasks_json_key(&w, "y");
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_write_value(&w, cloudtasks_json_get(r, "c"));
    cloudtasks_json_write_value(&w, cloudtasks_json_at(cloudtasks_json_get(r, "a"), 8));
    cloudtasks_json_write_value(&w, cloudtasks_json_at(cloudtasks_json_get(r, "a"), 1));
    cloudtasks_json_end_array(&w);
    cloudtasks_json_end_object(&w);
    WRITER_IS(&w, "{\"x\":{\"e\":\"f\",\"\\u0000\":[[],{}]},\"y\":[[],null,2.5]}");
    cloudtasks_json_writer_free(&w);
    cloudtasks_json_free(d);
}

static void write_value_null_body(void) {
    cloudtasks_json_writer w;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_write_value(&w, NULL);      /* like an absent lookup: null */
    cloudtasks_json_end_array(&w);
    WRITER_IS(&w, "[null]");
    cloudtasks_json_writer_free(&w);
}
static void test_writer_value_null(void) { in_child("cloudtasks_json_write_value(w, NULL)", write_value_null_body); }

static void test_writer_raw(void) {
    cloudtasks_json_writer w;
    cloudtasks_json_doc *d;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_array(&w);
    cloudtasks_json_write_int(&w, 1);
    cloudtasks_json_write_raw(&w, LIT("{\"x\":[1,2]}"));
    cloudtasks_json_write_raw(&w, LIT("\"s\""));
    cloudtasks_json_end_array(&w);
    WRITER_IS(&w, "[1,{\"x\":[1,2]},\"s\"]");
    cloudtasks_json_writer_free(&w);

    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "r");
    cloudtasks_json_write_raw(&w, LIT("true"));
    cloudtasks_json_key(&w, "s");
    cloudtasks_json_write_raw(&w, LIT(" [ 1 , 2 ] "));
    cloudtasks_json_end_object(&w);
    d = writer_parse(__LINE__, &w);
    T_CHECK(cloudtasks_json_bool(cloudtasks_json_get(cloudtasks_json_root(d), "r"), 0) == 1);
    T_CHECK_INT(cloudtasks_json_length(cloudtasks_json_get(cloudtasks_json_root(d), "s")), 2);
    cloudtasks_json_free(d);
    cloudtasks_json_writer_free(&w);

    /* the raw text stops at len */
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_raw(&w, "[1]xyz", 3);
    WRITER_IS(&w, "[1]");
    cloudtasks_json_writer_free(&w);

    {
        static const char *bad[] = { "[1,", "1 2", "", " ", "{\"a\"}", "[1]x", "\"\xC0\x80\"", "nul", "'a'" };
        size_t i;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            cloudtasks_json_writer_init(&w);
            cloudtasks_json_begin_array(&w);
            cloudtasks_json_write_raw(&w, bad[i], strlen(bad[i]));
            if (w.error != CLOUDTASKS_EINVAL) {
                printf("#   write_raw(%s): error %d, want EINVAL\n", show(bad[i], strlen(bad[i])), w.error);
                t_failures_in_test++;
            }
            cloudtasks_json_writer_free(&w);
        }
    }
    /* and a depth it would refuse to parse */
    {
        size_t len;
        char *s = nested("[", "", "]", 600, &len);
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_write_raw(&w, s, len);
        T_CHECK(w.error != 0);
        cloudtasks_json_writer_free(&w);
        free(s);
    }
}

typedef void (*misuse_fn)(cloudtasks_json_writer *w);
static void mis_end_array_in_object(cloudtasks_json_writer *w) { cloudtasks_json_begin_object(w); cloudtasks_json_end_array(w); }
static void mis_end_object_in_array(cloudtasks_json_writer *w) { cloudtasks_json_begin_array(w); cloudtasks_json_end_object(w); }
static void mis_key_top(cloudtasks_json_writer *w) { cloudtasks_json_key(w, "k"); }
static void mis_key_in_array(cloudtasks_json_writer *w) { cloudtasks_json_begin_array(w); cloudtasks_json_key(w, "k"); }
static void mis_value_no_key(cloudtasks_json_writer *w) { cloudtasks_json_begin_object(w); cloudtasks_json_write_int(w, 1); }
static void mis_string_no_key(cloudtasks_json_writer *w) { cloudtasks_json_begin_object(w); cloudtasks_json_write_cstring(w, "v"); }
static void mis_array_no_key(cloudtasks_json_writer *w) { cloudtasks_json_begin_object(w); cloudtasks_json_begin_array(w); }
static void mis_raw_no_key(cloudtasks_json_writer *w) { cloudtasks_json_begin_object(w); cloudtasks_json_write_raw(w, LIT("1")); }
static void mis_second_value_no_key(cloudtasks_json_writer *w) {
    cloudtasks_json_begin_object(w); cloudtasks_json_key(w, "a"); cloudtasks_json_write_null(w); cloudtasks_json_write_null(w);
}
static void mis_two_keys(cloudtasks_json_writer *w) { cloudtasks_json_begin_object(w); cloudtasks_json_key(w, "a"); cloudtasks_json_key(w, "b"); }
static void mis_end_after_key(cloudtasks_json_writer *w) { cloudtasks_json_begin_object(w); cloudtasks_json_key(w, "a"); cloudtasks_json_end_object(w); }
static void mis_end_array_top(cloudtasks_json_writer *w) { cloudtasks_json_end_array(w); }
static void mis_end_object_top(cloudtasks_json_writer *w) { cloudtasks_json_end_object(w); }
static void mis_too_many_ends(cloudtasks_json_writer *w) { cloudtasks_json_begin_array(w); cloudtasks_json_end_array(w); cloudtasks_json_end_array(w); }
static void mis_two_top_values(cloudtasks_json_writer *w) { cloudtasks_json_write_int(w, 1); cloudtasks_json_write_int(w, 2); }
static void mis_value_after_top_array(cloudtasks_json_writer *w) { cloudtasks_json_begin_array(w); cloudtasks_json_end_array(w); cloudtasks_json_begin_array(w); }

static void test_writer_misuse(void) {
    static const struct { const char *name; misuse_fn fn; } cases[] = {
        { "end_array in an object", mis_end_array_in_object },
        { "end_object in an array", mis_end_object_in_array },
        { "key at the top level", mis_key_top },
        { "key in an array", mis_key_in_array },
        { "int in an object without a key", mis_value_no_key },
        { "string in an object without a key", mis_string_no_key },
        { "array in an object without a key", mis_array_no_key },
        { "raw in an object without a key", mis_raw_no_key },
        { "two values after one key", mis_second_value_no_key },
        { "two keys in a row", mis_two_keys },
        { "end_object after a key", mis_end_after_key },
        { "end_array with nothing open", mis_end_array_top },
        { "end_object with nothing open", mis_end_object_top },
        { "one end_array too many", mis_too_many_ends },
        { "two top-level values", mis_two_top_values },
        { "a value after the top-level array", mis_value_after_top_array },
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cloudtasks_json_writer w;
        size_t len_then;
        cloudtasks_json_writer_init(&w);
        cases[i].fn(&w);
        if (w.error != CLOUDTASKS_EINVAL) {
            printf("#   %s: error %d, want EINVAL (%d); wrote %s\n", cases[i].name, w.error, CLOUDTASKS_EINVAL,
                   w.data ? show(w.data, w.len) : "(null)");
            t_failures_in_test++;
        }
        /* calls after an error do nothing and keep the first error */
        if (w.error == CLOUDTASKS_EINVAL) {
            len_then = w.len;
            cloudtasks_json_write_int(&w, 5);
            cloudtasks_json_end_array(&w);
            cloudtasks_json_end_object(&w);
            cloudtasks_json_begin_array(&w);
            if (w.len != len_then || w.error != CLOUDTASKS_EINVAL) {
                printf("#   %s: the writer changed after an error\n", cases[i].name);
                t_failures_in_test++;
            }
        }
        cloudtasks_json_writer_free(&w);
    }
}

static void test_writer_depth(void) {
    cloudtasks_json_writer w;
    int i;
    cloudtasks_json_doc *d;
    cloudtasks_json_writer_init(&w);
    for (i = 0; i < CLOUDTASKS_JSON_WRITER_MAX_DEPTH; i++) {
        if (i % 2) { cloudtasks_json_begin_object(&w); cloudtasks_json_key(&w, "k"); }
        else cloudtasks_json_begin_array(&w);
    }
    cloudtasks_json_write_int(&w, 0);   /* the innermost (an object, waiting for its value) */
    for (i = CLOUDTASKS_JSON_WRITER_MAX_DEPTH - 1; i >= 0; i--) {
        if (i % 2) cloudtasks_json_end_object(&w);
        else cloudtasks_json_end_array(&w);
    }
    T_CHECK_INT(w.error, 0);
    d = writer_parse(__LINE__, &w);
    cloudtasks_json_free(d);
    cloudtasks_json_writer_free(&w);

    cloudtasks_json_writer_init(&w);
    for (i = 0; i < CLOUDTASKS_JSON_WRITER_MAX_DEPTH; i++) cloudtasks_json_begin_array(&w);
    T_CHECK_INT(w.error, 0);
    cloudtasks_json_begin_array(&w);                /* docs/json.md: nesting too deep is misuse */
    T_CHECK_INT(w.error, CLOUDTASKS_EINVAL);
    for (i = 0; i < CLOUDTASKS_JSON_WRITER_MAX_DEPTH + 1; i++) cloudtasks_json_end_array(&w);
    T_CHECK_INT(w.error, CLOUDTASKS_EINVAL);
    cloudtasks_json_writer_free(&w);

    /* write_value of a document deeper than the writer's own limit works (it is not nesting calls) */
    {
        size_t len;
        char *s = nested("[", "", "]", 300, &len);
        d = parse_n(s, len, NULL);
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_write_value(&w, cloudtasks_json_root(d));
        T_CHECK_INT(w.error, 0);
        T_CHECK(w.data && w.len == len && memcmp(w.data, s, len) == 0);
        cloudtasks_json_writer_free(&w);
        cloudtasks_json_free(d);
        free(s);
    }
}

static void test_writer_reuse_after_free(void) {
    cloudtasks_json_writer w;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_int(&w, 1);
    cloudtasks_json_writer_free(&w);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_cstring(&w, "again");
    WRITER_IS(&w, "\"again\"");
    cloudtasks_json_writer_free(&w);
}

/* ---------------------------------------------------------------------------------------------
   JSONTestSuite */

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_suite(const char *dir) {
    DIR *dp = opendir(dir);
    struct dirent *de;
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0, i;
    int failed = 0;
    if (!dp) {
        printf("ok - jsontestsuite # SKIP %s not found\n", dir);
        return 0;
    }
    while ((de = readdir(dp)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0) continue;
        if (de->d_name[0] != 'y' && de->d_name[0] != 'n' && de->d_name[0] != 'i') continue;
        if (n == cap) {
            char **nn = (char **)realloc(names, (cap = cap ? cap * 2 : 512) * sizeof *names);
            if (!nn) { printf("not ok - jsontestsuite out of memory\n"); return 1; }
            names = nn;
        }
        names[n] = (char *)malloc(l + 1);
        if (!names[n]) { printf("not ok - jsontestsuite out of memory\n"); return 1; }
        memcpy(names[n++], de->d_name, l + 1);
    }
    closedir(dp);
    if (n == 0) {
        printf("not ok - jsontestsuite: no test files in %s\n", dir);
        free(names);
        return 1;
    }
    qsort(names, n, sizeof *names, cmp_names);
    for (i = 0; i < n; i++) {
        size_t len = 0;
        char *text;
        cloudtasks_error e;
        cloudtasks_json_doc *d;
        char kind = names[i][0];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        text = read_file(path, &len);
        if (!text) { printf("not ok - %s # cannot read\n", names[i]); failed++; free(names[i]); continue; }
        fprintf(stderr, "parsing %s\n", names[i]);
        d = parse_n(text, len, &e);
        free(text);
        if (d) {
            /* an accepted document must be consistent and survive write_value + re-parse */
            cloudtasks_json_writer w;
            int bad = walk(cloudtasks_json_root(d), names[i]);
            cloudtasks_json_doc *d2;
            cloudtasks_json_writer_init(&w);
            cloudtasks_json_write_value(&w, cloudtasks_json_root(d));
            d2 = w.error ? NULL : parse_n(w.data, w.len, NULL);
            if (!d2) { printf("#   %s: write_value output does not parse\n", names[i]); bad++; }
            cloudtasks_json_free(d2);
            cloudtasks_json_writer_free(&w);
            cloudtasks_json_free(d);
            if (kind == 'n') { printf("not ok - %s # accepted, must be rejected\n", names[i]); failed++; }
            else if (bad) { printf("not ok - %s # accepted but the DOM is inconsistent\n", names[i]); failed++; }
            else if (kind == 'y') printf("ok - %s\n", names[i]);
            else printf("ok - %s # accepted\n", names[i]);
        } else {
            int msg = message_ok(&e) && (e.code == CLOUDTASKS_EJSON || e.code == CLOUDTASKS_EDEPTH) && e.offset <= len;
            if (kind == 'y') {
                printf("not ok - %s # rejected: %s (code %d, offset %zu)\n", names[i],
                       message_ok(&e) ? e.message : "?", e.code, e.offset);
                failed++;
            } else if (!msg) {
                printf("not ok - %s # rejected without a proper error (code %d, offset %zu of %zu)\n",
                       names[i], e.code, e.offset, len);
                failed++;
            } else if (kind == 'n') printf("ok - %s\n", names[i]);
            else printf("ok - %s # rejected\n", names[i]);
        }
        fflush(stdout);
        free(names[i]);
    }
    free(names);
    return failed ? 1 : 0;
}

/* --------------------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    char path[1024];
    if (argc == 3 && strcmp(argv[1], "--suite") == 0) return run_suite(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--suite DIR]\n", argv[0]);
        return 2;
    }
    T_RUN(test_version_and_codes);
    T_RUN(test_accessors_null);
    T_RUN(test_accessors_types);
    T_RUN(test_scalar_roots);
    T_RUN(test_null_edge_cases);
    T_RUN(test_object_lookup_and_order);
    T_RUN(test_duplicate_keys);
    T_RUN(test_key_with_nul);
    T_RUN(test_string_escapes);
    T_RUN(test_unicode_surrogates);
    T_RUN(test_invalid_escapes);
    T_RUN(test_utf8_valid);
    T_RUN(test_utf8_invalid);
    T_RUN(test_control_chars);
    T_RUN(test_number_grammar);
    T_RUN(test_number_values);
    T_RUN(test_number_table);
    T_RUN(test_number_random_decimals);
    T_RUN(test_number_midpoints);
    T_RUN(test_number_many_digits);
    T_RUN(test_number_huge_exponents);
    T_RUN(test_error_offsets);
    T_RUN(test_error_truncations);
    T_RUN(test_error_misc);
    T_RUN(test_depth);
    T_RUN(test_depth_million);
    T_RUN(test_bom);
    T_RUN(test_whitespace);
    T_RUN(test_trailing_garbage);
    snprintf(path, sizeof path, "%s/vectors/json-bench/canada.json", shared_dir());
    if (file_exists(path)) {
        T_RUN(test_canada);
        T_RUN(test_twitter);
        T_RUN(test_citm_catalog);
    } else {
        char why[1100];
        snprintf(why, sizeof why, "%s not found", path);
        T_SKIP("test_canada", why);
        T_SKIP("test_twitter", why);
        T_SKIP("test_citm_catalog", why);
    }
    T_RUN(test_big_array_of_arrays);
    T_RUN(test_big_string);
    T_RUN(test_big_array_of_strings);
    T_RUN(test_big_object);
    T_RUN(test_writer_basic);
    T_RUN(test_writer_big);
    T_RUN(test_writer_strings);
    T_RUN(test_writer_invalid_utf8);
    T_RUN(test_writer_numbers);
    T_RUN(test_writer_number_roundtrip);
    T_RUN(test_writer_int_bool_null);
    T_RUN(test_writer_value);
    T_RUN(test_writer_value_null);
    T_RUN(test_writer_raw);
    T_RUN(test_writer_misuse);
    T_RUN(test_writer_depth);
    T_RUN(test_writer_reuse_after_free);
    T_EXIT();
}

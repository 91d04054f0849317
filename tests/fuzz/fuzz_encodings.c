/* libFuzzer target for the header's small codecs (tests/fuzz/run.sh builds and runs it).
   fuzz-seeds:

   The first input byte picks the codec (its value modulo 4); the rest is the payload.
   0  dates: the payload, up to its first NUL, through cloudtasks__parse_iso8601 and
      cloudtasks__parse_rfc1123. Each agrees with an independent reading (the documented grammar,
      timegm() for the value) and leaves *out untouched when it refuses. A parsed time inside
      years 0000..9999 is written by cloudtasks__format_iso8601 and cloudtasks__format_rfc1123
      (which must match gmtime_r's fields, with the right weekday) and both outputs must read back
      as the same time. The first 12 payload bytes also give a time in that range and a
      microsecond count, which go through the same formatter/parser round trips.
   1  base64: the payload as text through cloudtasks__base64_decode, which must decide and decode
      exactly as a reference decoder of the documented rules does (either alphabet, optional '='
      padding only at the end, no dangling 6 bits); the decoded bytes re-encode and decode back.
      The payload as bytes through cloudtasks__base64 in both alphabets (appending to a buffer that
      already holds text): the exact encoding of RFC 4648 §4 / §5, which decodes back to the bytes.
   2  percent-encoding: the payload as bytes through cloudtasks__url_encode in its three modes
      (exactly the reference encoding; decodes back with cloudtasks__url_decode) and as text
      through cloudtasks__url_decode with and without form decoding (exactly the reference
      decoding; invalid escapes kept).
   3  SigV4: a request built from the payload (fields split at NUL bytes, see sigv4_case) through
      cloudtasks_sigv4_authorization. It must never crash; it fails with EINVAL exactly when a
      header has no name or the X-Amz-Date header is missing or malformed; otherwise the size query, a buffer of exactly that
      size plus one, and a buffer one byte short agree (length, text, CLOUDTASKS_ERANGE), and the
      text equals a reference signature computed here from the documented canonical request.
   A failed check prints what differed and aborts, which libFuzzer reports as a crash.

   FUZZ_REPLAY_MAIN: a main() that runs each file (or each file of each directory) named on the
   command line, or stdin, through the target without libFuzzer; see fuzz_json.c. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_common.h"

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "fuzz_encodings: out of memory\n"); abort(); }
    return p;
}

/* A NUL-terminated copy of exactly n bytes, in a block of exactly n + 1 bytes (so ASan sees a
   read past the terminator). */
static char *cstr(const uint8_t *p, size_t n) {
    char *s = (char *)xmalloc(n + 1);
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static int same_bytes(const cloudtasks__buf *b, const void *p, size_t n) {
    if (b->len != n) return 0;
    return n == 0 || memcmp(b->data, p, n) == 0;
}

/* ============================== dates ============================== */

#define YEAR0_T ((int64_t)-62167219200)      /* 0000-01-01T00:00:00Z */
#define YEAR9999_T ((int64_t)253402300799)   /* 9999-12-31T23:59:59Z */

static int ref_digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int ref_days_in_month(int y, int m) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* timegm() for the calendar fields (a second of 60 is the next minute's 0, as documented). */
static int64_t ref_timegm(int y, int mo, int d, int h, int mi, int se) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900; tm.tm_mon = mo - 1; tm.tm_mday = d;
    tm.tm_hour = h; tm.tm_min = mi; tm.tm_sec = se;
    time_t t = timegm(&tm);
    return (int64_t)t;
}

/* The documented ISO 8601 grammar: "YYYY-MM-DD(T|t| )HH:MM:SS[.digits][Z|z|(+|-)HH[:]MM]". */
static int ref_iso8601(const char *s, int64_t *out) {
    size_t n = strlen(s), i = 19;
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    if (n < 19) return 0;
    if (!ref_digits(s, 4, &y) || s[4] != '-' || !ref_digits(s + 5, 2, &mo) || s[7] != '-' || !ref_digits(s + 8, 2, &d) ||
        !strchr("Tt ", s[10]) || s[10] == '\0' || !ref_digits(s + 11, 2, &h) || s[13] != ':' ||
        !ref_digits(s + 14, 2, &mi) || s[16] != ':' || !ref_digits(s + 17, 2, &se))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > ref_days_in_month(y, mo) || h > 23 || mi > 59 || se > 60) return 0;
    if (s[i] == '.') {
        i++;
        if (!(s[i] >= '0' && s[i] <= '9')) return 0;
        while (s[i] >= '0' && s[i] <= '9') i++;
    }
    if (s[i] == 'Z' || s[i] == 'z') i++;
    else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '+' ? 1 : -1;
        if (n - i < 5) return 0;
        if (!ref_digits(s + i + 1, 2, &oh)) return 0;
        i += 3;
        if (s[i] == ':') i++;
        if (n - i < 2 || !ref_digits(s + i, 2, &om)) return 0;
        i += 2;
    }
    if (i != n) return 0;
    *out = ref_timegm(y, mo, d, h, mi, se) - sign * (oh * 3600 + om * 60);
    return 1;
}

static const char *const ref_months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const ref_wdays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* The documented RFC 1123 form, "Www, DD Mon YYYY HH:MM:SS GMT"; the weekday is not checked. */
static int ref_rfc1123(const char *s, int64_t *out) {
    int d, mo, y, h, mi, se;
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
        return 0;
    for (mo = 0; mo < 12 && memcmp(s + 8, ref_months[mo], 3) != 0; mo++) {}
    if (mo == 12 || !ref_digits(s + 5, 2, &d) || !ref_digits(s + 12, 4, &y) || !ref_digits(s + 17, 2, &h) ||
        !ref_digits(s + 20, 2, &mi) || !ref_digits(s + 23, 2, &se))
        return 0;
    if (d < 1 || d > ref_days_in_month(y, mo + 1) || h > 23 || mi > 59 || se > 60) return 0;
    *out = ref_timegm(y, mo + 1, d, h, mi, se);
    return 1;
}

/* Formats t (inside years 0..9999) both ways, compares with gmtime_r, and reads both back. */
static void date_round_trip(int64_t t, int32_t micros) {
    char iso[33 + 8], rfc[30 + 8], want[64];
    struct tm tm;
    time_t tt = (time_t)t;
    int64_t back;
    CHECK(t >= YEAR0_T && t <= YEAR9999_T && micros >= 0 && micros < 1000000);
    CHECK(gmtime_r(&tt, &tm) != NULL);
    memset(iso, 0x55, sizeof iso);
    memset(rfc, 0x55, sizeof rfc);
    cloudtasks__format_iso8601(iso, t, micros);
    CHECK_WHY(iso[32] == '\0' && iso[33] == 0x55, "format_iso8601 did not write exactly 33 bytes");
    snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)micros);
    if (strcmp(iso, want) != 0) fprintf(stderr, "t=%lld: format_iso8601 \"%s\", gmtime_r \"%s\"\n", (long long)t, iso, want);
    CHECK_WHY(strcmp(iso, want) == 0, "format_iso8601 differs from gmtime_r");
    back = 0x5a5a;
    CHECK_WHY(cloudtasks__parse_iso8601(iso, &back) == 1 && back == t, "parse_iso8601(format_iso8601(t)) != t");

    cloudtasks__format_rfc1123(rfc, t);
    CHECK_WHY(rfc[29] == '\0' && rfc[30] == 0x55, "format_rfc1123 did not write exactly 30 bytes");
    snprintf(want, sizeof want, "%s, %02d %s %04d %02d:%02d:%02d GMT", ref_wdays[tm.tm_wday], tm.tm_mday, ref_months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (strcmp(rfc, want) != 0) fprintf(stderr, "t=%lld: format_rfc1123 \"%s\", gmtime_r \"%s\"\n", (long long)t, rfc, want);
    CHECK_WHY(strcmp(rfc, want) == 0, "format_rfc1123 differs from gmtime_r");
    back = 0x5a5a;
    CHECK_WHY(cloudtasks__parse_rfc1123(rfc, &back) == 1 && back == t, "parse_rfc1123(format_rfc1123(t)) != t");

    /* the AWS form too: YYYYMMDDTHHMMSSZ */
    char amz[17 + 8];
    memset(amz, 0x55, sizeof amz);
    cloudtasks__format_amz_date(amz, t);
    snprintf(want, sizeof want, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    CHECK_WHY(amz[16] == '\0' && amz[17] == 0x55 && strcmp(amz, want) == 0, "format_amz_date differs from gmtime_r");
}

static void fuzz_dates(const uint8_t *p, size_t n) {
    char *s = cstr(p, n);
    int64_t got = 0x5a5a5a5a, want = 0;
    int r = cloudtasks__parse_iso8601(s, &got), w = ref_iso8601(s, &want);
    if (r != w || (r && got != want))
        fprintf(stderr, "parse_iso8601: %d, %lld; reference: %d, %lld\n", r, (long long)got, w, (long long)want);
    CHECK_WHY(r == 0 || r == 1, "parse_iso8601 returned neither 0 nor 1");
    CHECK_WHY(r == w, "parse_iso8601 decides differently from the documented grammar");
    if (r) {
        CHECK_WHY(got == want, "parse_iso8601 gives a different time than timegm");
        if (got >= YEAR0_T && got <= YEAR9999_T) date_round_trip(got, 0);
    } else {
        CHECK_WHY(got == 0x5a5a5a5a, "parse_iso8601 wrote *out though it refused the text");
    }

    got = 0x5a5a5a5a;
    r = cloudtasks__parse_rfc1123(s, &got);
    w = ref_rfc1123(s, &want);
    if (r != w || (r && got != want))
        fprintf(stderr, "parse_rfc1123: %d, %lld; reference: %d, %lld\n", r, (long long)got, w, (long long)want);
    CHECK_WHY(r == 0 || r == 1, "parse_rfc1123 returned neither 0 nor 1");
    CHECK_WHY(r == w, "parse_rfc1123 decides differently from the documented grammar");
    if (r) {
        CHECK_WHY(got == want, "parse_rfc1123 gives a different time than timegm");
        CHECK(got >= YEAR0_T && got <= YEAR9999_T + 1); /* years 0..9999, a leap second at the very end */
        if (got <= YEAR9999_T) {
            date_round_trip(got, 0);
            /* the same text back, but for the weekday (not checked on input) and a leap second */
            char rfc[30];
            cloudtasks__format_rfc1123(rfc, got);
            if (memcmp(s + 23, "60", 2) != 0)
                CHECK_WHY(memcmp(rfc + 3, s + 3, 27) == 0, "format_rfc1123(parse_rfc1123(s)) differs from s beyond the weekday");
        }
    } else {
        CHECK_WHY(got == 0x5a5a5a5a, "parse_rfc1123 wrote *out though it refused the text");
    }
    free(s);

    /* a time and microseconds from the first 12 bytes */
    if (n >= 12) {
        uint64_t u = 0;
        uint32_t m = 0;
        memcpy(&u, p, 8);
        memcpy(&m, p + 8, 4);
        int64_t t = YEAR0_T + (int64_t)(u % (uint64_t)(YEAR9999_T - YEAR0_T + 1));
        date_round_trip(t, (int32_t)(m % 1000000u));
    }
}

/* ============================== base64 ============================== */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_val(unsigned char c) {
    for (int i = 0; i < 64; i++) if ((unsigned char)b64_std[i] == c || (unsigned char)b64_url[i] == c) return i;
    return -1;
}

/* Reference decoder of the documented rules; returns the byte count, or -1 if refused. */
static long ref_b64_decode(const unsigned char *s, size_t n, unsigned char *out) {
    size_t digits = 0, pad = 0, k = 0, i;
    for (i = 0; i < n && s[i] != '='; i++) if (b64_val(s[i]) < 0) return -1;
    digits = i;
    for (; i < n; i++) { if (s[i] != '=') return -1; pad++; }
    if (digits % 4 == 1 || pad > 2 || (pad && (digits + pad) % 4 != 0)) return -1;
    for (i = 0; i + 4 <= digits; i += 4) {
        uint32_t v = (uint32_t)b64_val(s[i]) << 18 | (uint32_t)b64_val(s[i + 1]) << 12 | (uint32_t)b64_val(s[i + 2]) << 6 |
                     (uint32_t)b64_val(s[i + 3]);
        out[k++] = (unsigned char)(v >> 16); out[k++] = (unsigned char)(v >> 8); out[k++] = (unsigned char)v;
    }
    if (digits - i == 2) {
        uint32_t v = (uint32_t)b64_val(s[i]) << 18 | (uint32_t)b64_val(s[i + 1]) << 12;
        out[k++] = (unsigned char)(v >> 16);
    } else if (digits - i == 3) {
        uint32_t v = (uint32_t)b64_val(s[i]) << 18 | (uint32_t)b64_val(s[i + 1]) << 12 | (uint32_t)b64_val(s[i + 2]) << 6;
        out[k++] = (unsigned char)(v >> 16); out[k++] = (unsigned char)(v >> 8);
    }
    return (long)k;
}

static size_t ref_b64_encode(const unsigned char *p, size_t n, int url, char *out) {
    const char *abc = url ? b64_url : b64_std;
    size_t k = 0, i;
    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[k++] = abc[v >> 18]; out[k++] = abc[v >> 12 & 63]; out[k++] = abc[v >> 6 & 63]; out[k++] = abc[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[k++] = abc[v >> 18]; out[k++] = abc[v >> 12 & 63];
        if (!url) { out[k++] = '='; out[k++] = '='; }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[k++] = abc[v >> 18]; out[k++] = abc[v >> 12 & 63]; out[k++] = abc[v >> 6 & 63];
        if (!url) out[k++] = '=';
    }
    return k;
}

static void fuzz_base64(const uint8_t *p, size_t n) {
    unsigned char *ref = (unsigned char *)xmalloc(n);
    char *enc = (char *)xmalloc(n / 3 * 4 + 8);
    cloudtasks__buf b = {0}, e = {0}, d = {0};

    /* the payload as base64 text */
    const char *text = (const char *)p; /* exactly n bytes, so a read past the end shows */
    long want = ref_b64_decode((const unsigned char *)text, n, ref);
    int r = cloudtasks__base64_decode(&b, text, n);
    CHECK(r == 0 || r == 1);
    if (r != (want >= 0)) fprintf(stderr, "base64_decode returned %d, the reference %s\n", r, want >= 0 ? "accepts" : "refuses");
    CHECK_WHY(r == (want >= 0), "base64_decode decides differently from the documented rules");
    CHECK(!b.oom);
    if (r) {
        if (!same_bytes(&b, ref, (size_t)want)) { dump("base64_decode", b.data, b.len); dump("reference", ref, (size_t)want); }
        CHECK_WHY(same_bytes(&b, ref, (size_t)want), "base64_decode gives other bytes than the reference");
        CHECK(b.len == 0 || b.data[b.len] == '\0');
        /* re-encoded (either alphabet) it decodes to the same bytes again */
        for (int url = 0; url < 2; url++) {
            cloudtasks__buf_free(&e); cloudtasks__buf_free(&d);
            cloudtasks__base64(&e, b.data ? b.data : "", b.len, url);
            CHECK(cloudtasks__base64_decode(&d, e.data ? e.data : "", e.len) == 1);
            CHECK_WHY(same_bytes(&d, b.data, b.len), "decode(encode(decode(s))) != decode(s)");
        }
    }

    /* the payload as bytes, appended after some text already in the buffer */
    for (int url = 0; url < 2; url++) {
        cloudtasks__buf_free(&e); cloudtasks__buf_free(&d);
        cloudtasks__buf_puts(&e, "pre:");
        cloudtasks__base64(&e, p, n, url);
        size_t k = ref_b64_encode(p, n, url, enc);
        CHECK(!e.oom && e.len == 4 + k && memcmp(e.data, "pre:", 4) == 0 && e.data[e.len] == '\0');
        if (memcmp(e.data + 4, enc, k) != 0) { dump("base64", e.data + 4, e.len - 4); dump("reference", enc, k); }
        CHECK_WHY(memcmp(e.data + 4, enc, k) == 0, url ? "base64 (URL alphabet) differs from RFC 4648 section 5"
                                                      : "base64 differs from RFC 4648 section 4");
        CHECK_WHY(url ? k == (n * 4 + 2) / 3 : k == (n + 2) / 3 * 4, "base64 has the wrong length");
        CHECK_WHY(cloudtasks__base64_decode(&d, e.data + 4, e.len - 4) == 1, "base64_decode refuses base64's output");
        CHECK_WHY(same_bytes(&d, p, n), "base64_decode(base64(x)) != x");
    }
    cloudtasks__buf_free(&b); cloudtasks__buf_free(&e); cloudtasks__buf_free(&d);
    free(ref);
    free(enc);
}

/* ============================== percent-encoding ============================== */

static size_t ref_url_encode(const unsigned char *s, size_t n, int mode, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        int unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (unreserved || (c == '~' && mode != CLOUDTASKS__URL_FORM) || (c == '/' && mode == CLOUDTASKS__URL_AWS_PATH) ||
            (c == '*' && mode == CLOUDTASKS__URL_FORM))
            out[k++] = (char)c;
        else if (c == ' ' && mode == CLOUDTASKS__URL_FORM) out[k++] = '+';
        else { out[k++] = '%'; out[k++] = "0123456789ABCDEF"[c >> 4]; out[k++] = "0123456789ABCDEF"[c & 15]; }
    }
    return k;
}

static int hexv(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t ref_url_decode(const unsigned char *s, size_t n, int form, unsigned char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && n - i >= 3 && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
            out[k++] = (unsigned char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
            i += 2;
        } else if (s[i] == '+' && form) out[k++] = ' ';
        else out[k++] = s[i];
    }
    return k;
}

static void fuzz_url(const uint8_t *p, size_t n) {
    char *ref = (char *)xmalloc(3 * n + 1);
    cloudtasks__buf e = {0}, d = {0};
    const char *text = (const char *)p;
    for (int mode = 0; mode < 3; mode++) {
        int form = mode == CLOUDTASKS__URL_FORM;
        cloudtasks__buf_free(&e); cloudtasks__buf_free(&d);
        cloudtasks__buf_puts(&e, "x");
        cloudtasks__url_encode(&e, text, n, mode);
        size_t k = ref_url_encode(p, n, mode, ref);
        CHECK(!e.oom && e.len == 1 + k && e.data[0] == 'x' && e.data[e.len] == '\0');
        if (memcmp(e.data + 1, ref, k) != 0) { dump("url_encode", e.data + 1, e.len - 1); dump("reference", ref, k); }
        CHECK_WHY(memcmp(e.data + 1, ref, k) == 0, "url_encode differs from the reference");
        cloudtasks__buf_puts(&d, "y");
        cloudtasks__url_decode(&d, e.data + 1, e.len - 1, form);
        CHECK(!d.oom && d.len == 1 + n && d.data[0] == 'y');
        CHECK_WHY(n == 0 || memcmp(d.data + 1, p, n) == 0, "url_decode(url_encode(x)) != x");
    }
    for (int form = 0; form < 2; form++) {
        cloudtasks__buf_free(&d);
        cloudtasks__url_decode(&d, text, n, form);
        size_t k = ref_url_decode(p, n, form, (unsigned char *)ref);
        if (!same_bytes(&d, ref, k)) { dump("url_decode", d.data, d.len); dump("reference", ref, k); }
        CHECK_WHY(same_bytes(&d, ref, k), "url_decode differs from the reference");
        CHECK(d.len == 0 || d.data[d.len] == '\0');
    }
    cloudtasks__buf_free(&e); cloudtasks__buf_free(&d);
    free(ref);
}

/* ============================== SigV4 ============================== */

/* A growable string for the reference. */
typedef struct sbuf { char *p; size_t n, cap; } sbuf;
static void sb_add(sbuf *b, const void *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = (char *)realloc(b->p, cap);
        if (!q) { fprintf(stderr, "fuzz_encodings: out of memory\n"); abort(); }
        b->p = q; b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}
static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_putc(sbuf *b, char c) { sb_add(b, &c, 1); }
static void sb_aws(sbuf *b, const char *s, size_t n) {
    char *tmp = (char *)xmalloc(3 * n + 1);
    size_t k = ref_url_encode((const unsigned char *)s, n, CLOUDTASKS__URL_AWS, tmp);
    sb_add(b, tmp, k);
    free(tmp);
}

static void hexs(char *out, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) { out[2 * i] = "0123456789abcdef"[p[i] >> 4]; out[2 * i + 1] = "0123456789abcdef"[p[i] & 15]; }
    out[2 * n] = '\0';
}
static void sha256(const void *p, size_t n, unsigned char out[32]) {
    br_sha256_context c;
    br_sha256_init(&c); br_sha256_update(&c, p, n); br_sha256_out(&c, out);
}
static void hmac(const void *key, size_t kn, const void *p, size_t n, unsigned char out[32]) {
    br_hmac_key_context kc;
    br_hmac_context c;
    br_hmac_key_init(&kc, &br_sha256_vtable, key, kn);
    br_hmac_init(&c, &kc, 0);
    br_hmac_update(&c, p, n);
    br_hmac_out(&c, out);
}

/* The canonical URI: as sent (S3), or normalised as documented: empty and '.' segments dropped,
   '..' drops the last kept segment, each kept segment encoded once more, a trailing '/' kept when
   anything is left. */
static void ref_uri(sbuf *b, const char *path, size_t n, int normalize) {
    if (!normalize) { if (n == 0) sb_putc(b, '/'); else sb_add(b, path, n); return; }
    size_t *seg_at = (size_t *)xmalloc((n + 1) * sizeof *seg_at), *seg_len = (size_t *)xmalloc((n + 1) * sizeof *seg_len);
    size_t top = 0, i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && path[j] != '/') j++;
        if (j - i == 2 && path[i] == '.' && path[i + 1] == '.') { if (top) top--; }
        else if (j > i && !(j - i == 1 && path[i] == '.')) { seg_at[top] = i; seg_len[top] = j - i; top++; }
        i = j + 1;
    }
    for (size_t k = 0; k < top; k++) { sb_putc(b, '/'); sb_aws(b, path + seg_at[k], seg_len[k]); }
    if (top == 0) sb_putc(b, '/');
    else if (n > 0 && path[n - 1] == '/') sb_putc(b, '/');
    free(seg_at); free(seg_len);
}

typedef struct qpair { char *k, *v; } qpair;
static int qpair_cmp(const void *a, const void *b) {
    const qpair *x = (const qpair *)a, *y = (const qpair *)b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}
static char *ref_component(const char *s, size_t n) {
    unsigned char *raw = (unsigned char *)xmalloc(n + 1);
    size_t k = ref_url_decode((const unsigned char *)s, n, 0, raw);
    char *out = (char *)xmalloc(3 * k + 1);
    size_t m = ref_url_encode(raw, k, CLOUDTASKS__URL_AWS, out);
    out[m] = '\0';
    free(raw);
    return out;
}
static void ref_query(sbuf *b, const char *q, size_t n) {
    size_t count = 0, i = 0;
    qpair *pairs = (qpair *)xmalloc((n / 2 + 2) * sizeof *pairs);
    while (i < n) {
        size_t j = i, eq;
        while (j < n && q[j] != '&') j++;
        if (j > i) {
            for (eq = i; eq < j && q[eq] != '='; eq++) {}
            pairs[count].k = ref_component(q + i, eq - i);
            pairs[count].v = eq < j ? ref_component(q + eq + 1, j - eq - 1) : ref_component("", 0);
            count++;
        }
        i = j + 1;
    }
    qsort(pairs, count, sizeof *pairs, qpair_cmp);
    for (size_t k = 0; k < count; k++) {
        if (k) sb_putc(b, '&');
        sb_puts(b, pairs[k].k); sb_putc(b, '='); sb_puts(b, pairs[k].v);
        free(pairs[k].k); free(pairs[k].v);
    }
    free(pairs);
}

typedef struct rhdr { char *name; const char *value; size_t order; } rhdr;
static int rhdr_cmp(const void *a, const void *b) {
    const rhdr *x = (const rhdr *)a, *y = (const rhdr *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}
static void ref_trimall(sbuf *b, const char *v) {
    size_t i = 0, n = strlen(v);
    while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
    while (n > i && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    int space = 0;
    for (; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') { space = 1; continue; }
        if (space) sb_putc(b, ' ');
        space = 0;
        sb_putc(b, v[i]);
    }
}

/* The reference Authorization value, or NULL when the request must be refused (EINVAL): a header
   without a name, or no X-Amz-Date of the form YYYYMMDDTHHMMSSZ (digits; the last such header
   counts). */
static char *ref_sigv4(const cloudtasks_sigv4_request *req) {
    size_t n = req->header_count, i;
    rhdr *h = (rhdr *)xmalloc((n + 1) * sizeof *h);
    const char *date = NULL, *payload_hash = NULL;
    int have_token = 0, empty_name = 0;
    for (i = 0; i < n; i++) {
        const char *name = req->headers[i].name ? req->headers[i].name : "";
        size_t len = strlen(name);
        empty_name |= len == 0;
        h[i].name = (char *)xmalloc(len + 1);
        for (size_t k = 0; k <= len; k++) h[i].name[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
        h[i].value = req->headers[i].value ? req->headers[i].value : "";
        h[i].order = i;
        if (strcmp(h[i].name, "x-amz-date") == 0) date = h[i].value;
        if (strcmp(h[i].name, "x-amz-content-sha256") == 0) payload_hash = h[i].value;
        if (strcmp(h[i].name, "x-amz-security-token") == 0) have_token = 1;
    }
    int date_ok = date && strlen(date) == 16 && date[8] == 'T' && date[15] == 'Z';
    for (i = 0; date_ok && i < 15; i++) if (i != 8) date_ok = date[i] >= '0' && date[i] <= '9';
    if (empty_name || !date_ok) {
        for (i = 0; i < n; i++) free(h[i].name);
        free(h);
        return NULL;
    }
    if (req->session_token && req->session_token[0] && !have_token) {
        h[n].name = strdup("x-amz-security-token");
        h[n].value = req->session_token;
        h[n].order = n;
        n++;
    }
    qsort(h, n, sizeof *h, rhdr_cmp);
    sbuf canon = {0}, hdrs = {0}, names = {0}, sts = {0}, key = {0}, out = {0};
    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) sb_putc(&hdrs, ',');
        else {
            if (i > 0) { sb_putc(&hdrs, '\n'); sb_putc(&names, ';'); }
            sb_puts(&hdrs, h[i].name); sb_putc(&hdrs, ':');
            sb_puts(&names, h[i].name);
        }
        ref_trimall(&hdrs, h[i].value);
    }
    if (n) sb_putc(&hdrs, '\n');
    const char *q = strchr(req->path_and_query, '?');
    size_t path_len = q ? (size_t)(q - req->path_and_query) : strlen(req->path_and_query);
    sb_puts(&canon, req->method); sb_putc(&canon, '\n');
    ref_uri(&canon, req->path_and_query, path_len, req->normalize_path); sb_putc(&canon, '\n');
    if (q) ref_query(&canon, q + 1, strlen(q + 1));
    sb_putc(&canon, '\n');
    sb_add(&canon, hdrs.p ? hdrs.p : "", hdrs.n); sb_putc(&canon, '\n');
    sb_add(&canon, names.p ? names.p : "", names.n); sb_putc(&canon, '\n');
    unsigned char hash[32], k[32], sig[32];
    char hex[65], day[9];
    if (payload_hash) sb_puts(&canon, payload_hash);
    else { sha256(req->body ? req->body : "", req->body_len, hash); hexs(hex, hash, 32); sb_puts(&canon, hex); }
    sha256(canon.p, canon.n, hash);
    hexs(hex, hash, 32);
    memcpy(day, date, 8); day[8] = '\0';
    sb_puts(&sts, "AWS4-HMAC-SHA256\n"); sb_add(&sts, date, 16); sb_putc(&sts, '\n');
    sb_puts(&sts, day); sb_putc(&sts, '/'); sb_puts(&sts, req->region); sb_putc(&sts, '/'); sb_puts(&sts, req->service);
    sb_puts(&sts, "/aws4_request\n"); sb_puts(&sts, hex);
    sb_puts(&key, "AWS4"); sb_puts(&key, req->secret_access_key);
    hmac(key.p, key.n, day, 8, k);
    hmac(k, 32, req->region, strlen(req->region), k);
    hmac(k, 32, req->service, strlen(req->service), k);
    hmac(k, 32, "aws4_request", 12, k);
    hmac(k, 32, sts.p, sts.n, sig);
    hexs(hex, sig, 32);
    sb_puts(&out, "AWS4-HMAC-SHA256 Credential="); sb_puts(&out, req->access_key_id); sb_putc(&out, '/');
    sb_puts(&out, day); sb_putc(&out, '/'); sb_puts(&out, req->region); sb_putc(&out, '/'); sb_puts(&out, req->service);
    sb_puts(&out, "/aws4_request, SignedHeaders="); sb_add(&out, names.p ? names.p : "", names.n);
    sb_puts(&out, ", Signature="); sb_puts(&out, hex);
    for (i = 0; i < n; i++) free(h[i].name);
    free(h); free(canon.p); free(hdrs.p); free(names.p); free(sts.p); free(key.p);
    return out.p;
}

#define SIGV4_MAX_HEADERS 24

/* The payload: a flags byte, then fields separated by NUL bytes:
       method, path_and_query, region, service, access key id, secret, session token, body,
       then header name, header value, name, value, ...
   A missing field takes a plain default. Flags: bit 0 normalize_path; bit 1 put a valid
   X-Amz-Date header first; bit 2 put a Host header first; bit 3 no session token (NULL); bit 4
   body NULL when empty; bit 5 also sign with a different secret in between (the per-thread key
   cache must not answer for the wrong secret); bit 6 header names upper-cased (must not change
   anything). */
static void fuzz_sigv4(const uint8_t *p, size_t n) {
    if (n == 0) return;
    unsigned flags = p[0];
    char *all = cstr(p + 1, n - 1);
    size_t len = n - 1;
    const char *field[8 + 2 * SIGV4_MAX_HEADERS];
    size_t field_len[8 + 2 * SIGV4_MAX_HEADERS];
    size_t nf = 0, start = 0;
    for (size_t i = 0; i <= len && nf < sizeof field / sizeof field[0]; i++)
        if (i == len || all[i] == '\0') { field[nf] = all + start; field_len[nf] = i - start; nf++; start = i + 1; }
    static const char *const defaults[8] = {"GET", "/", "us-east-1", "sqs", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, ""};
    const char *f[8];
    for (int i = 0; i < 8; i++) f[i] = (size_t)i < nf ? field[i] : defaults[i];
    cloudtasks_header headers[SIGV4_MAX_HEADERS + 2];
    char *upper[SIGV4_MAX_HEADERS + 2];
    size_t hc = 0;
    if (flags & 2) { headers[hc].name = "X-Amz-Date"; headers[hc].value = "20150830T123600Z"; hc++; }
    if (flags & 4) { headers[hc].name = "Host"; headers[hc].value = "sqs.us-east-1.amazonaws.com"; hc++; }
    for (size_t i = 8; i < nf && hc < SIGV4_MAX_HEADERS + 2; i += 2) {
        headers[hc].name = field[i];
        headers[hc].value = i + 1 < nf ? field[i + 1] : "";
        hc++;
    }
    for (size_t i = 0; i < hc; i++) {
        size_t l = strlen(headers[i].name);
        upper[i] = (char *)xmalloc(l + 1);
        for (size_t k = 0; k <= l; k++) {
            char c = headers[i].name[k];
            upper[i][k] = (char)((flags & 64) && c >= 'a' && c <= 'z' ? c - 32 : c);
        }
        headers[i].name = upper[i];
    }
    cloudtasks_sigv4_request req;
    memset(&req, 0, sizeof req);
    req.method = f[0];
    req.path_and_query = f[1];
    req.region = f[2];
    req.service = f[3];
    req.access_key_id = f[4];
    req.secret_access_key = f[5];
    req.session_token = (flags & 8) ? NULL : f[6];
    req.body = f[7];
    req.body_len = nf > 7 ? field_len[7] : 0;
    if ((flags & 16) && req.body_len == 0) req.body = NULL;
    req.headers = hc ? headers : NULL;
    req.header_count = hc;
    req.normalize_path = flags & 1;

    if (flags & 32) {   /* warm the key cache with another secret for the same day, region, service */
        cloudtasks_sigv4_request other = req;
        other.secret_access_key = "another secret";
        (void)cloudtasks_sigv4_authorization(&other, NULL, 0);
    }
    int size = cloudtasks_sigv4_authorization(&req, NULL, 0);
    char *want = ref_sigv4(&req);
    if (!want) {
        if (size != CLOUDTASKS_EINVAL) fprintf(stderr, "sigv4_authorization returned %d\n", size);
        CHECK_WHY(size == CLOUDTASKS_EINVAL, "sigv4 accepted a request with a nameless header or without a valid X-Amz-Date");
    } else {
        if (size < 0) fprintf(stderr, "sigv4_authorization returned %d\n", size);
        CHECK_WHY(size >= 0, "sigv4 refused a valid request");
        char *out = (char *)xmalloc((size_t)size + 1);
        memset(out, 0x55, (size_t)size + 1);
        int r = cloudtasks_sigv4_authorization(&req, out, (size_t)size + 1);
        CHECK_WHY(r == size, "the length written differs from the size query");
        CHECK_WHY(out[size] == '\0' && strlen(out) == (size_t)size, "the output is not NUL-terminated at its length");
        if (strcmp(out, want) != 0) { dump("sigv4", out, strlen(out)); dump("reference", want, strlen(want)); }
        CHECK_WHY(strcmp(out, want) == 0, "the Authorization value differs from the reference signature");
        free(out);
        /* one byte short: ERANGE */
        char *small = (char *)xmalloc((size_t)size);
        r = cloudtasks_sigv4_authorization(&req, small, (size_t)size);
        CHECK_WHY(r == CLOUDTASKS_ERANGE, "a buffer one byte short did not give CLOUDTASKS_ERANGE");
        free(small);
        free(want);
    }
    for (size_t i = 0; i < hc; i++) free(upper[i]);
    free(all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cur_data = data; cur_size = size;
    if (size == 0) return 0;
    /* an exactly-sized copy of the payload, so that a read past its end shows */
    size_t n = size - 1;
    uint8_t *p = (uint8_t *)xmalloc(n);
    if (n) memcpy(p, data + 1, n);
    switch (data[0] % 4) {
    case 0: fuzz_dates(p, n); break;
    case 1: fuzz_base64(p, n); break;
    case 2: fuzz_url(p, n); break;
    default: fuzz_sigv4(p, n); break;
    }
    free(p);
    return 0;
}

#include "replay_main.h"

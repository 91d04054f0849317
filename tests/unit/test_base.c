/* Tests of the base and crypto layers of cloudtasks.h: result-code names, the growable buffer,
   base64, hex, percent-encoding, the date formatters and parsers, the monotonic clock, SHA-256
   and HMAC-SHA-256.

   ./test_base      the unit tests, one TAP line each

   The expected dates were computed independently (Python's datetime) or, in the loops, with
   gmtime_r/timegm-free arithmetic done here; the digests are the FIPS 180-2 examples and the
   RFC 4231 test cases. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include "testing.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------------------------------
   helpers */

#define LIT(s) (s), (sizeof(s) - 1)

/* The buffer holds exactly want[0..wlen), NUL-terminated if non-empty. */
static void buf_is(int line, const cloudtasks__buf *b, const char *want, size_t wlen) {
    if (b->oom) { printf("#   %s:%d: buffer is out of memory\n", __FILE__, line); t_failures_in_test++; return; }
    if (b->len != wlen || (wlen && (!b->data || memcmp(b->data, want, wlen) != 0))) {
        printf("#   %s:%d: buffer holds \"%s\" (len %zu), want \"%s\" (len %zu)\n", __FILE__, line,
               b->data ? show(b->data, b->len) : "(null)", b->len, show(want, wlen), wlen);
        t_failures_in_test++;
        return;
    }
    if (b->len > 0 && b->data[b->len] != '\0') {   /* the documented promise: terminated once non-empty */
        printf("#   %s:%d: buffer is not NUL-terminated\n", __FILE__, line);
        t_failures_in_test++;
    }
}
#define BUF_IS(b, lit) buf_is(__LINE__, (b), LIT(lit))

static void hex_is(int line, const unsigned char *got, size_t n, const char *want_hex) {
    char hex[200];
    cloudtasks__hex(hex, got, n);
    if (strcmp(hex, want_hex) != 0) {
        printf("#   %s:%d: got %s, want %s\n", __FILE__, line, hex, want_hex);
        t_failures_in_test++;
    }
}

/* ---------------------------------------------------------------------------------------------
   result codes */

static void test_code_strings(void) {
    static const struct { int code; const char *name; } codes[] = {
        {CLOUDTASKS_OK, "ok"},
        {CLOUDTASKS_EINVAL, "invalid argument"},
        {CLOUDTASKS_ENOMEM, "out of memory"},
        {CLOUDTASKS_ERANGE, "value out of range"},
        {CLOUDTASKS_EIO, "input/output error"},
        {CLOUDTASKS_EJSON, "invalid JSON"},
        {CLOUDTASKS_EDEPTH, "JSON nested too deeply"},
        {CLOUDTASKS_ETRANSPORT, "connection failed"},
        {CLOUDTASKS_ETIMEOUT, "timed out"},
        {CLOUDTASKS_EHTTP, "HTTP error status"},
        {CLOUDTASKS_EPROTOCOL, "unexpected answer from the server"},
        {CLOUDTASKS_EAUTH, "authentication failed"},
        {CLOUDTASKS_ECRYPTO, "cryptographic key error"},
        {CLOUDTASKS_ECONFIG, "invalid configuration"},
        {CLOUDTASKS_EPOOL, "process pool failure"},
    };
    size_t i, j;
    int c;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        T_CHECK_STR(cloudtasks_code_string(codes[i].code), codes[i].name);
        for (j = 0; j < i; j++) T_CHECK(strcmp(cloudtasks_code_string(codes[i].code), cloudtasks_code_string(codes[j].code)) != 0);
    }
    /* the documented numbers (they are ABI) */
    T_CHECK_INT(CLOUDTASKS_EINVAL, -1);
    T_CHECK_INT(CLOUDTASKS_EIO, -4);
    T_CHECK_INT(CLOUDTASKS_EJSON, -10);
    T_CHECK_INT(CLOUDTASKS_EPOOL, -60);
    /* everything else is "unknown", never NULL */
    for (c = -100; c <= 100; c++) {
        int known = 0;
        for (i = 0; i < sizeof codes / sizeof codes[0]; i++) known |= codes[i].code == c;
        if (!known) T_CHECK_STR(cloudtasks_code_string(c), "unknown error code");
    }
    T_CHECK_STR(cloudtasks_code_string(-2147483647 - 1), "unknown error code");
    T_CHECK_STR(cloudtasks_version_string(), CLOUDTASKS_VERSION_STRING);
}

/* ---------------------------------------------------------------------------------------------
   the buffer */

static void test_buf_append_putc(void) {
    cloudtasks__buf b = {0};
    size_t i;
    char want[3001];
    cloudtasks__buf_append(&b, "abc", 3);
    BUF_IS(&b, "abc");
    cloudtasks__buf_append(&b, "", 0);
    BUF_IS(&b, "abc");
    cloudtasks__buf_append(&b, "d\0e", 3);        /* embedded NUL kept */
    T_CHECK_INT(b.len, 6);
    T_CHECK(b.data && memcmp(b.data, "abcd\0e", 7) == 0);
    cloudtasks__buf_putc(&b, 'f');
    T_CHECK_INT(b.len, 7);
    T_CHECK(b.data && memcmp(b.data, "abcd\0ef", 8) == 0);
    cloudtasks__buf_free(&b);
    T_CHECK(b.data == NULL);
    T_CHECK_INT(b.len, 0);
    T_CHECK_INT(b.cap, 0);
    T_CHECK_INT(b.oom, 0);

    /* putc alone from empty, across many growths */
    for (i = 0; i < 3000; i++) {
        char c = (char)('a' + (int)(i % 26));
        cloudtasks__buf_putc(&b, c);
        want[i] = c;
        if (b.len != i + 1 || b.data[i] != c || b.data[i + 1] != '\0') break;
    }
    want[3000] = 0;
    T_CHECK_INT(i, 3000);
    buf_is(__LINE__, &b, want, 3000);
    T_CHECK(b.cap > b.len);
    cloudtasks__buf_free(&b);

    /* puts, and appends that cross the first capacity exactly */
    cloudtasks__buf_puts(&b, "");
    T_CHECK_INT(b.len, 0);
    memset(want, 'x', 200);
    cloudtasks__buf_append(&b, want, 63);           /* 63 + NUL = 64, the first capacity */
    T_CHECK_INT(b.len, 63);
    cloudtasks__buf_putc(&b, 'y');
    T_CHECK_INT(b.len, 64);
    T_CHECK(b.data[63] == 'y' && b.data[64] == '\0');
    cloudtasks__buf_puts(&b, "hello");
    T_CHECK_INT(b.len, 69);
    T_CHECK(memcmp(b.data + 64, "hello", 6) == 0);
    cloudtasks__buf_free(&b);
}

static void test_buf_printf(void) {
    cloudtasks__buf b = {0};
    char big[1200], want[1300];
    size_t k;
    cloudtasks__buf_printf(&b, "%d-%s-%c", 42, "x", 'z');
    BUF_IS(&b, "42-x-z");
    cloudtasks__buf_printf(&b, "%s", "");
    BUF_IS(&b, "42-x-z");
    cloudtasks__buf_printf(&b, "[%05.1f]", 3.25);
    BUF_IS(&b, "42-x-z[003.2]");
    cloudtasks__buf_free(&b);

    /* outputs around and above the 256-byte stack buffer, appended after existing text */
    for (k = 250; k <= 1100; k += (k < 262 ? 1 : 97)) {
        memset(big, 'a', k);
        big[k] = 0;
        big[k - 1] = 'Z';
        cloudtasks__buf_puts(&b, "pre:");
        cloudtasks__buf_printf(&b, "%s|%zu", big, k);
        snprintf(want, sizeof want, "pre:%s|%zu", big, k);
        if (b.oom || b.len != strlen(want) || strcmp(b.data, want) != 0) {
            printf("#   printf of %zu bytes: got len %zu, want %zu\n", k, b.len, strlen(want));
            t_failures_in_test++;
            break;
        }
        cloudtasks__buf_free(&b);
    }
    cloudtasks__buf_free(&b);

    /* a long printf, then more appends: the length must be right for what follows */
    memset(big, 'q', 1000);
    big[1000] = 0;
    cloudtasks__buf_printf(&b, "%s", big);
    cloudtasks__buf_putc(&b, '!');
    cloudtasks__buf_printf(&b, "%s", "end");
    T_CHECK_INT(b.len, 1004);
    T_CHECK(b.data && b.data[999] == 'q' && memcmp(b.data + 1000, "!end", 5) == 0);
    cloudtasks__buf_free(&b);
}

static void test_buf_reserve(void) {
    cloudtasks__buf b = {0};
    char *before;
    T_CHECK_INT(cloudtasks__buf_reserve(&b, 10), 1);
    T_CHECK(b.data != NULL);
    T_CHECK(b.cap >= 11);
    T_CHECK_INT(b.len, 0);
    T_CHECK_INT(cloudtasks__buf_reserve(&b, 1000), 1);
    T_CHECK(b.cap >= 1001);
    T_CHECK_INT(b.len, 0);
    /* after a reserve, appends within it do not move the data */
    before = b.data;
    cloudtasks__buf_append(&b, "0123456789", 10);
    T_CHECK(b.data == before);
    {
        int i;
        for (i = 0; i < 98; i++) cloudtasks__buf_append(&b, "0123456789", 10);
    }
    T_CHECK(b.data == before);
    T_CHECK_INT(b.len, 990);
    /* reserve keeps the content */
    T_CHECK_INT(cloudtasks__buf_reserve(&b, 100000), 1);
    T_CHECK(b.cap >= 990 + 100000 + 1);
    T_CHECK_INT(b.len, 990);
    T_CHECK(memcmp(b.data + 980, "0123456789", 10) == 0);
    /* an impossible size marks the buffer out of memory, and it stays so */
    T_CHECK_INT(cloudtasks__buf_reserve(&b, SIZE_MAX - 5), 0);
    T_CHECK_INT(b.oom, 1);
    T_CHECK_INT(b.len, 990);
    cloudtasks__buf_append(&b, "x", 1);
    cloudtasks__buf_putc(&b, 'y');
    cloudtasks__buf_printf(&b, "%d", 7);
    T_CHECK_INT(b.len, 990);
    T_CHECK_INT(cloudtasks__buf_reserve(&b, 1), 0);
    cloudtasks__buf_free(&b);
    T_CHECK_INT(b.oom, 0);
    cloudtasks__buf_puts(&b, "ok again");
    BUF_IS(&b, "ok again");
    cloudtasks__buf_free(&b);
}

static void test_small_strings(void) {
    char d[6];
    char *s;
    T_CHECK_INT(cloudtasks__copy(d, sizeof d, "abc"), 1);
    T_CHECK_STR(d, "abc");
    T_CHECK_INT(cloudtasks__copy(d, sizeof d, "abcde"), 1);
    T_CHECK_STR(d, "abcde");
    T_CHECK_INT(cloudtasks__copy(d, sizeof d, "abcdef"), 0);
    T_CHECK_STR(d, "abcde");
    T_CHECK_INT(cloudtasks__strcaseeq("True", "tRUE"), 1);
    T_CHECK_INT(cloudtasks__strcaseeq("true", "true1"), 0);
    T_CHECK_INT(cloudtasks__strcaseeq("true1", "true"), 0);
    T_CHECK_INT(cloudtasks__strcaseeq("", ""), 1);
    T_CHECK_INT(cloudtasks__strcaseeq("[", "{"), 0);     /* '[' + 32 == '{': only letters fold */
    T_CHECK_INT(cloudtasks__strcaseeq("@", "`"), 0);
    s = cloudtasks__strndup("hello", 3);
    T_CHECK_STR(s, "hel");
    free(s);
    T_CHECK(cloudtasks__strdup(NULL) == NULL);
    s = cloudtasks__strdup("");
    T_CHECK_STR(s, "");
    free(s);
}

/* ---------------------------------------------------------------------------------------------
   base64 and hex */

static void b64_is(int line, const char *in, size_t n, int url, const char *want) {
    cloudtasks__buf b = {0};
    cloudtasks__base64(&b, in, n, url);
    buf_is(line, &b, want, strlen(want));
    cloudtasks__buf_free(&b);
}
#define B64(in, want) b64_is(__LINE__, LIT(in), 0, want)
#define B64URL(in, want) b64_is(__LINE__, LIT(in), 1, want)

static void test_base64_encode(void) {
    cloudtasks__buf b = {0};
    B64("", "");
    B64("f", "Zg==");
    B64("fo", "Zm8=");
    B64("foo", "Zm9v");
    B64("foob", "Zm9vYg==");
    B64("fooba", "Zm9vYmE=");
    B64("foobar", "Zm9vYmFy");
    B64URL("", "");
    B64URL("f", "Zg");
    B64URL("fo", "Zm8");
    B64URL("foo", "Zm9v");
    B64URL("foob", "Zm9vYg");
    B64URL("fooba", "Zm9vYmE");
    B64URL("foobar", "Zm9vYmFy");
    /* the two alphabets differ in 62 and 63 */
    B64("\xfb\xff", "+/8=");
    B64URL("\xfb\xff", "-_8");
    B64("\xfb\xef\xbe", "++++");
    B64URL("\xfb\xef\xbe", "----");
    B64("\xff\xff\xff", "////");
    B64URL("\xff\xff\xff", "____");
    B64("\0\0\0\0", "AAAAAA==");
    B64("\x00\x10\x83\x10\x51\x87\x20\x92\x8b\x30\xd3\x8f\x41\x14\x93\x51\x55\x97\x61\x96\x9b\x71\xd7\x9f"
        "\x82\x18\xa3\x92\x59\xa7\xa2\x9a\xab\xb2\xdb\xaf\xc3\x1c\xb3\xd3\x5d\xb7\xe3\x9e\xbb\xf3\xdf\xbf",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    /* appends after existing content */
    cloudtasks__buf_puts(&b, "x=");
    cloudtasks__base64(&b, "foob", 4, 0);
    cloudtasks__base64(&b, "f", 1, 1);
    BUF_IS(&b, "x=Zm9vYg==Zg");
    cloudtasks__buf_free(&b);
}

static void b64dec_ok(int line, const char *in, const char *want, size_t wlen) {
    cloudtasks__buf b = {0};
    int r = cloudtasks__base64_decode(&b, in, strlen(in));
    if (r != 1) {
        printf("#   %s:%d: base64_decode(\"%s\") returned %d, want 1\n", __FILE__, line, in, r);
        t_failures_in_test++;
    } else buf_is(line, &b, want, wlen);
    cloudtasks__buf_free(&b);
}
#define B64DEC(in, want) b64dec_ok(__LINE__, in, LIT(want))

static void b64dec_bad(int line, const char *in, size_t n) {
    cloudtasks__buf b = {0};
    int r = cloudtasks__base64_decode(&b, in, n);
    if (r != 0) {
        printf("#   %s:%d: base64_decode(\"%s\") returned %d, want 0 (rejected)\n", __FILE__, line, show(in, n), r);
        t_failures_in_test++;
    }
    cloudtasks__buf_free(&b);
}
#define B64BAD(lit) b64dec_bad(__LINE__, LIT(lit))

static void test_base64_decode(void) {
    unsigned char all[256];
    cloudtasks__buf enc = {0}, dec = {0};
    int i, url;
    B64DEC("", "");
    B64DEC("Zg==", "f");
    B64DEC("Zm8=", "fo");
    B64DEC("Zm9v", "foo");
    B64DEC("Zm9vYg==", "foob");
    B64DEC("Zm9vYmE=", "fooba");
    B64DEC("Zm9vYmFy", "foobar");
    B64DEC("Zg", "f");
    B64DEC("Zm8", "fo");
    B64DEC("Zm9vYg", "foob");
    B64DEC("Zm9vYmE", "fooba");
    B64DEC("+/8=", "\xfb\xff");
    B64DEC("-_8", "\xfb\xff");
    B64DEC("-_8=", "\xfb\xff");
    B64DEC("+/8", "\xfb\xff");
    B64DEC("////", "\xff\xff\xff");
    B64DEC("____", "\xff\xff\xff");
    B64DEC("AAAAAA==", "\0\0\0\0");
    B64DEC("AAAAAA", "\0\0\0\0");
    /* rejected: characters outside both alphabets */
    B64BAD("Zm9v!");
    B64BAD("Zm 9v");
    B64BAD("Zm9v\n");
    B64BAD("Zm9v.");
    B64BAD("Zm9\x80");
    B64BAD("Zm\09v");
    /* misplaced or excess padding */
    B64BAD("=Zm9v");
    B64BAD("Zg=v");
    B64BAD("Zg==Zg==");
    B64BAD("Zm9v=");
    B64BAD("Zg=");
    B64BAD("Zg===");
    B64BAD("Zm8==");
    B64BAD("=");
    B64BAD("==");
    /* a dangling single character (6 bits cannot make a byte) */
    B64BAD("Z");
    B64BAD("Zm9vY");
    B64BAD("Zm9vY===");
    B64BAD("Zm9vYmFyZ");

    /* every byte value, both alphabets, every length 0..256: decode(encode(x)) == x */
    for (i = 0; i < 256; i++) all[i] = (unsigned char)(i * 37 + 11);
    for (url = 0; url <= 1; url++) {
        for (i = 0; i <= 256; i++) {
            cloudtasks__base64(&enc, all, (size_t)i, url);
            if (cloudtasks__base64_decode(&dec, enc.data ? enc.data : "", enc.len) != 1 || dec.len != (size_t)i ||
                (i && memcmp(dec.data, all, (size_t)i) != 0) || enc.len != (url ? ((size_t)i * 4 + 2) / 3 : ((size_t)i + 2) / 3 * 4)) {
                printf("#   round trip of %d bytes (url %d) failed: \"%s\"\n", i, url, show(enc.data ? enc.data : "", enc.len));
                t_failures_in_test++;
                break;
            }
            cloudtasks__buf_free(&enc);
            cloudtasks__buf_free(&dec);
        }
        cloudtasks__buf_free(&enc);
        cloudtasks__buf_free(&dec);
    }
}

static void test_hex(void) {
    char out[80];
    unsigned char all[32];
    int i;
    memset(out, 'x', sizeof out);
    cloudtasks__hex(out, "", 0);
    T_CHECK_STR(out, "");
    cloudtasks__hex(out, "\x00\x01\x7f\x80\xab\xff", 6);
    T_CHECK_STR(out, "00017f80abff");
    for (i = 0; i < 32; i++) all[i] = (unsigned char)(i * 8 + 7);
    cloudtasks__hex(out, all, 32);
    T_CHECK_STR(out, "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
    T_CHECK_INT(cloudtasks__hexval('0'), 0);
    T_CHECK_INT(cloudtasks__hexval('9'), 9);
    T_CHECK_INT(cloudtasks__hexval('a'), 10);
    T_CHECK_INT(cloudtasks__hexval('F'), 15);
    T_CHECK_INT(cloudtasks__hexval('g'), -1);
    T_CHECK_INT(cloudtasks__hexval('G'), -1);
    T_CHECK_INT(cloudtasks__hexval('/'), -1);
    T_CHECK_INT(cloudtasks__hexval(':'), -1);
    T_CHECK_INT(cloudtasks__hexval('@'), -1);
    T_CHECK_INT(cloudtasks__hexval('`'), -1);
}

/* ---------------------------------------------------------------------------------------------
   percent-encoding */

static void enc_is(int line, const char *in, size_t n, int mode, const char *want) {
    cloudtasks__buf b = {0};
    cloudtasks__url_encode(&b, in, n, mode);
    buf_is(line, &b, want, strlen(want));
    cloudtasks__buf_free(&b);
}
#define ENC(in, mode, want) enc_is(__LINE__, LIT(in), mode, want)

static void dec_is(int line, const char *in, size_t n, int form, const char *want, size_t wlen) {
    cloudtasks__buf b = {0};
    cloudtasks__url_decode(&b, in, n, form);
    buf_is(line, &b, want, wlen);
    cloudtasks__buf_free(&b);
}
#define DEC(in, form, want) dec_is(__LINE__, LIT(in), form, LIT(want))

static void test_url_encode(void) {
    cloudtasks__buf b = {0};
    int c, mode;
    ENC("", CLOUDTASKS__URL_AWS, "");
    ENC("AZaz09-_.~", CLOUDTASKS__URL_AWS, "AZaz09-_.~");
    ENC("a b", CLOUDTASKS__URL_AWS, "a%20b");
    ENC("a/b", CLOUDTASKS__URL_AWS, "a%2Fb");
    ENC("a/b c", CLOUDTASKS__URL_AWS_PATH, "a/b%20c");
    ENC("*+=&?%#", CLOUDTASKS__URL_AWS, "%2A%2B%3D%26%3F%25%23");
    ENC("\xc3\xa9\xe2\x82\xac", CLOUDTASKS__URL_AWS, "%C3%A9%E2%82%AC");     /* é€: upper-case hex */
    ENC("\x00\x7f\xff", CLOUDTASKS__URL_AWS, "%00%7F%FF");
    ENC("~", CLOUDTASKS__URL_AWS_PATH, "~");
    ENC("a b", CLOUDTASKS__URL_FORM, "a+b");
    ENC("*", CLOUDTASKS__URL_FORM, "*");
    ENC("~", CLOUDTASKS__URL_FORM, "%7E");
    ENC("/", CLOUDTASKS__URL_FORM, "%2F");
    ENC("+", CLOUDTASKS__URL_FORM, "%2B");
    ENC("urn:ietf:params:oauth:grant-type:jwt-bearer", CLOUDTASKS__URL_FORM,
        "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer");
    ENC("AZaz09-_.", CLOUDTASKS__URL_FORM, "AZaz09-_.");

    /* every byte in every mode against the rule written out here */
    for (mode = CLOUDTASKS__URL_AWS; mode <= CLOUDTASKS__URL_FORM; mode++) {
        for (c = 0; c < 256; c++) {
            char in = (char)c, want[4];
            int unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                             c == '-' || c == '_' || c == '.';
            if (unreserved || (c == '~' && mode != CLOUDTASKS__URL_FORM) || (c == '/' && mode == CLOUDTASKS__URL_AWS_PATH) ||
                (c == '*' && mode == CLOUDTASKS__URL_FORM)) { want[0] = (char)c; want[1] = 0; }
            else if (c == ' ' && mode == CLOUDTASKS__URL_FORM) strcpy(want, "+");
            else snprintf(want, sizeof want, "%%%02X", (unsigned)c);
            cloudtasks__url_encode(&b, &in, 1, mode);
            if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0) {
                printf("#   url_encode(0x%02X, mode %d) = \"%s\", want \"%s\"\n", (unsigned)c, mode, show(b.data, b.len), want);
                t_failures_in_test++;
            }
            cloudtasks__buf_free(&b);
        }
    }
}

static void test_url_decode(void) {
    cloudtasks__buf b = {0}, e = {0};
    int c;
    DEC("", 0, "");
    DEC("abc", 0, "abc");
    DEC("%41%42", 0, "AB");
    DEC("%2f%2F", 0, "//");
    DEC("%c3%A9", 0, "\xc3\xa9");
    DEC("%00", 0, "\0");
    DEC("a%20b", 1, "a b");
    DEC("a+b", 0, "a+b");
    DEC("a+b", 1, "a b");
    DEC("%2B", 1, "+");
    /* invalid escapes are kept as they are */
    DEC("%", 0, "%");
    DEC("%4", 0, "%4");
    DEC("a%4", 0, "a%4");
    DEC("%zz", 0, "%zz");
    DEC("%g1%1g", 0, "%g1%1g");
    DEC("100%", 1, "100%");
    DEC("%%41", 0, "%A");
    DEC("%41%", 0, "A%");
    DEC("x%41", 0, "xA");
    DEC("%4%41", 0, "%4A");
    /* decode(encode(x)) == x for every byte, in each mode */
    for (c = 0; c < 256; c++) {
        char in = (char)c;
        int mode;
        for (mode = CLOUDTASKS__URL_AWS; mode <= CLOUDTASKS__URL_FORM; mode++) {
            cloudtasks__url_encode(&e, &in, 1, mode);
            cloudtasks__url_decode(&b, e.data, e.len, mode == CLOUDTASKS__URL_FORM);
            if (b.len != 1 || b.data[0] != in) {
                printf("#   url_decode(url_encode(0x%02X)) in mode %d gave \"%s\"\n", (unsigned)c, mode, show(b.data, b.len));
                t_failures_in_test++;
            }
            cloudtasks__buf_free(&e);
            cloudtasks__buf_free(&b);
        }
    }
}

/* ---------------------------------------------------------------------------------------------
   dates */

static void iso_is(int line, int64_t t, int32_t micros, const char *want) {
    char out[40];
    memset(out, 'x', sizeof out);
    cloudtasks__format_iso8601(out, t, micros);
    if (strcmp(out, want) != 0 || out[33] != 'x') {
        printf("#   %s:%d: format_iso8601(%lld, %d) = \"%.38s\", want \"%s\"\n", __FILE__, line, (long long)t, (int)micros, out, want);
        t_failures_in_test++;
    }
}

static void amz_is(int line, int64_t t, const char *want) {
    char out[24];
    memset(out, 'x', sizeof out);
    cloudtasks__format_amz_date(out, t);
    if (strcmp(out, want) != 0 || out[17] != 'x') {
        printf("#   %s:%d: format_amz_date(%lld) = \"%.22s\", want \"%s\"\n", __FILE__, line, (long long)t, out, want);
        t_failures_in_test++;
    }
}

static void rfc_is(int line, int64_t t, const char *want) {
    char out[36];
    memset(out, 'x', sizeof out);
    cloudtasks__format_rfc1123(out, t);
    if (strcmp(out, want) != 0 || out[30] != 'x') {
        printf("#   %s:%d: format_rfc1123(%lld) = \"%.34s\", want \"%s\"\n", __FILE__, line, (long long)t, out, want);
        t_failures_in_test++;
    }
}

static void test_format_dates(void) {
    iso_is(__LINE__, 0, 0, "1970-01-01T00:00:00.000000+00:00");
    iso_is(__LINE__, 951782400, 0, "2000-02-29T00:00:00.000000+00:00");
    iso_is(__LINE__, 4102444799, 999999, "2099-12-31T23:59:59.999999+00:00");
    iso_is(__LINE__, 1700000000, 5, "2023-11-14T22:13:20.000005+00:00");
    iso_is(__LINE__, 1795980966, 890800, "2026-11-29T19:36:06.890800+00:00");
    iso_is(__LINE__, -1, 0, "1969-12-31T23:59:59.000000+00:00");
    iso_is(__LINE__, -86401, 0, "1969-12-30T23:59:59.000000+00:00");
    iso_is(__LINE__, 253402300799, 0, "9999-12-31T23:59:59.000000+00:00");
    iso_is(__LINE__, 951868799, 0, "2000-02-29T23:59:59.000000+00:00");
    iso_is(__LINE__, 951868800, 0, "2000-03-01T00:00:00.000000+00:00");
    iso_is(__LINE__, 4107542400, 0, "2100-03-01T00:00:00.000000+00:00");   /* 2100 is not a leap year */
    amz_is(__LINE__, 0, "19700101T000000Z");
    amz_is(__LINE__, 1440938160, "20150830T123600Z");
    amz_is(__LINE__, 1700000000, "20231114T221320Z");
    amz_is(__LINE__, 4102444799, "20991231T235959Z");
    amz_is(__LINE__, 951782400, "20000229T000000Z");
    rfc_is(__LINE__, 784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
    rfc_is(__LINE__, 0, "Thu, 01 Jan 1970 00:00:00 GMT");
    rfc_is(__LINE__, 951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
    rfc_is(__LINE__, 4102444799, "Thu, 31 Dec 2099 23:59:59 GMT");
    rfc_is(__LINE__, 1700000000, "Tue, 14 Nov 2023 22:13:20 GMT");
    rfc_is(__LINE__, -1, "Wed, 31 Dec 1969 23:59:59 GMT");
    rfc_is(__LINE__, -86401, "Tue, 30 Dec 1969 23:59:59 GMT");
    rfc_is(__LINE__, 253402300799, "Fri, 31 Dec 9999 23:59:59 GMT");
}

/* The formatters against gmtime_r over years 0001..9999, at pseudo-random and boundary times. */
static void test_format_vs_gmtime(void) {
    static const char *const days[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const int64_t lo = -62135596800LL, hi = 253402300799LL;    /* 0001-01-01 .. 9999-12-31T23:59:59 */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    int i, bad = 0;
    if (sizeof(time_t) < 8) { printf("# time_t is 32 bits: loop skipped\n"); return; }
    for (i = 0; i < 300000 && bad < 5; i++) {
        int64_t t;
        time_t tt;
        struct tm tm;
        char want[64], got[40];
        if (i < 1000) t = -500LL * 86400 + (int64_t)i * 86400 + (i % 3 == 0 ? 0 : i % 3 == 1 ? 86399 : 43200);
        else {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            t = lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
        }
        tt = (time_t)t;
        if (!gmtime_r(&tt, &tm)) continue;
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, i % 1000000);
        cloudtasks__format_iso8601(got, t, (int32_t)(i % 1000000));
        if (strcmp(got, want) != 0) { printf("#   iso8601 %lld: got %s, want %s\n", (long long)t, got, want); bad++; }
        snprintf(want, sizeof want, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
        cloudtasks__format_amz_date(got, t);
        if (strcmp(got, want) != 0) { printf("#   amz_date %lld: got %s, want %s\n", (long long)t, got, want); bad++; }
        snprintf(want, sizeof want, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cloudtasks__format_rfc1123(got, t);
        if (strcmp(got, want) != 0) { printf("#   rfc1123 %lld: got %s, want %s\n", (long long)t, got, want); bad++; }
        else {
            int64_t back = 0;
            if (!cloudtasks__parse_rfc1123(got, &back) || back != t) {
                printf("#   parse_rfc1123(\"%s\") gave %lld, want %lld\n", got, (long long)back, (long long)t);
                bad++;
            }
        }
        cloudtasks__format_iso8601(got, t, 0);
        {
            int64_t back = 0;
            if (!cloudtasks__parse_iso8601(got, &back) || back != t) {
                printf("#   parse_iso8601(\"%s\") gave %lld, want %lld\n", got, (long long)back, (long long)t);
                bad++;
            }
        }
    }
    t_failures_in_test += bad;
}

static void iso_parse_is(int line, const char *s, int64_t want) {
    int64_t got = 12345;
    int r = cloudtasks__parse_iso8601(s, &got);
    if (r != 1 || got != want) {
        printf("#   %s:%d: parse_iso8601(\"%s\") = %d, %lld; want 1, %lld\n", __FILE__, line, s, r, (long long)got, (long long)want);
        t_failures_in_test++;
    }
}

static void iso_parse_bad(int line, const char *s) {
    int64_t got = 12345;
    int r = cloudtasks__parse_iso8601(s, &got);
    if (r != 0 || got != 12345) {
        printf("#   %s:%d: parse_iso8601(\"%s\") = %d, %lld; want 0 and the output untouched\n", __FILE__, line, s, r, (long long)got);
        t_failures_in_test++;
    }
}

static void test_parse_iso8601(void) {
    iso_parse_is(__LINE__, "2026-11-29T19:36:06Z", 1795980966);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06+00:00", 1795980966);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06-00:00", 1795980966);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06+01:00", 1795977366);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06-05:30", 1796000766);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06+0100", 1795977366);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06.890800+00:00", 1795980966);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06.8Z", 1795980966);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06.123456789Z", 1795980966);
    iso_parse_is(__LINE__, "2026-11-29t19:36:06z", 1795980966);
    iso_parse_is(__LINE__, "2026-11-29 19:36:06Z", 1795980966);
    iso_parse_is(__LINE__, "2026-11-29T19:36:06", 1795980966);
    iso_parse_is(__LINE__, "1970-01-01T00:00:00Z", 0);
    iso_parse_is(__LINE__, "1969-12-31T23:59:59Z", -1);
    iso_parse_is(__LINE__, "2000-02-29T00:00:00Z", 951782400);
    iso_parse_is(__LINE__, "2099-12-31T23:59:59Z", 4102444799);
    iso_parse_is(__LINE__, "2023-11-14T22:13:20.000Z", 1700000000);
    iso_parse_is(__LINE__, "2023-11-15T00:13:20+02:00", 1700000000);
    iso_parse_is(__LINE__, "2023-11-14T12:13:20-10:00", 1700000000);
    iso_parse_is(__LINE__, "2016-12-31T23:59:60Z", 1483228800);   /* a leap second reads as the next second */

    iso_parse_bad(__LINE__, "");
    iso_parse_bad(__LINE__, "garbage");
    iso_parse_bad(__LINE__, "2026-11-29");
    iso_parse_bad(__LINE__, "2026-11-29T19:36");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:0");
    iso_parse_bad(__LINE__, "2026-13-29T19:36:06Z");
    iso_parse_bad(__LINE__, "2026-00-29T19:36:06Z");
    iso_parse_bad(__LINE__, "2026-11-00T19:36:06Z");
    iso_parse_bad(__LINE__, "2026-11-32T19:36:06Z");
    iso_parse_bad(__LINE__, "2026-11-29T24:00:00Z");
    iso_parse_bad(__LINE__, "2026-11-29T19:60:06Z");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:61Z");
    iso_parse_bad(__LINE__, "2026/11/29T19:36:06Z");
    iso_parse_bad(__LINE__, "2026-11-29X19:36:06Z");
    iso_parse_bad(__LINE__, "2026-11-29T19-36-06Z");
    iso_parse_bad(__LINE__, "2026-1a-29T19:36:06Z");
    iso_parse_bad(__LINE__, "20261129T193606Z");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06ZZ");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06Z ");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06 ");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06+01");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06+1:00");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06+01:0");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06+01:00x");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06.12x");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06GMT");
}

/* Strictness beyond the field ranges: a day that does not exist in its month, or a decimal point
   without digits, is not a time (Python's fromisoformat rejects these too). */
static void test_parse_iso8601_strict(void) {
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06.Z");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06.+00:00");
    iso_parse_bad(__LINE__, "2026-11-29T19:36:06.");
    iso_parse_bad(__LINE__, "2026-02-30T00:00:00Z");
    iso_parse_bad(__LINE__, "2026-02-29T00:00:00Z");       /* 2026 is not a leap year */
    iso_parse_bad(__LINE__, "2026-04-31T00:00:00Z");
    iso_parse_bad(__LINE__, "2100-02-29T00:00:00Z");
    iso_parse_is(__LINE__, "2024-02-29T00:00:00Z", 1709164800);
    iso_parse_is(__LINE__, "2026-01-31T00:00:00Z", 1769817600);
}

static void rfc_parse_is(int line, const char *s, int64_t want) {
    int64_t got = 12345;
    int r = cloudtasks__parse_rfc1123(s, &got);
    if (r != 1 || got != want) {
        printf("#   %s:%d: parse_rfc1123(\"%s\") = %d, %lld; want 1, %lld\n", __FILE__, line, s, r, (long long)got, (long long)want);
        t_failures_in_test++;
    }
}

static void rfc_parse_bad(int line, const char *s) {
    int64_t got = 12345;
    int r = cloudtasks__parse_rfc1123(s, &got);
    if (r != 0 || got != 12345) {
        printf("#   %s:%d: parse_rfc1123(\"%s\") = %d, %lld; want 0 and the output untouched\n", __FILE__, line, s, r, (long long)got);
        t_failures_in_test++;
    }
}

static void test_parse_rfc1123(void) {
    rfc_parse_is(__LINE__, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777);
    rfc_parse_is(__LINE__, "Thu, 01 Jan 1970 00:00:00 GMT", 0);
    rfc_parse_is(__LINE__, "Tue, 29 Feb 2000 00:00:00 GMT", 951782400);
    rfc_parse_is(__LINE__, "Thu, 31 Dec 2099 23:59:59 GMT", 4102444799);
    rfc_parse_is(__LINE__, "Tue, 14 Nov 2023 22:13:20 GMT", 1700000000);
    rfc_parse_bad(__LINE__, "");
    rfc_parse_bad(__LINE__, "Sun, 06 Nov 1994 08:49:37 UTC");
    rfc_parse_bad(__LINE__, "Sun, 06 Nov 1994 08:49:37 GMT ");
    rfc_parse_bad(__LINE__, "Sun, 6 Nov 1994 08:49:37 GMT");
    rfc_parse_bad(__LINE__, "Sun, 06 Foo 1994 08:49:37 GMT");
    rfc_parse_bad(__LINE__, "Sun, 06 nov 1994 08:49:37 GMT");
    rfc_parse_bad(__LINE__, "Sun, 06 Nov 94 08:49:37 GMT");
    rfc_parse_bad(__LINE__, "Sunday, 06-Nov-94 08:49:37 GMT");
    rfc_parse_bad(__LINE__, "Sun Nov  6 08:49:37 1994");
    rfc_parse_bad(__LINE__, "Sun, 00 Nov 1994 08:49:37 GMT");
    rfc_parse_bad(__LINE__, "Sun, 32 Nov 1994 08:49:37 GMT");
    rfc_parse_bad(__LINE__, "Sun, 06 Nov 1994 24:49:37 GMT");
    rfc_parse_bad(__LINE__, "Sun, 06 Nov 1994 08:60:37 GMT");
    rfc_parse_bad(__LINE__, "Sun, 06 Nov 1994 08:49:61 GMT");
    rfc_parse_bad(__LINE__, "Sun, 06 Nov 1994 08-49-37 GMT");
    rfc_parse_bad(__LINE__, "Sun, 06 Nov 19x4 08:49:37 GMT");
}

static void test_clocks(void) {
    double prev = cloudtasks__now(), first = prev, t;
    int64_t s1, s2;
    int32_t us1, us2;
    int i, backwards = 0;
    struct timespec nap = {0, 2000000};
    for (i = 0; i < 200000; i++) {
        t = cloudtasks__now();
        if (t < prev) backwards++;
        prev = t;
    }
    T_CHECK_INT(backwards, 0);
    nanosleep(&nap, NULL);
    t = cloudtasks__now();
    T_CHECK(t - first >= 0.002);
    T_CHECK(t - first < 60.0);
    T_CHECK(first > 0);
    cloudtasks__wall(&s1, &us1);
    cloudtasks__wall(&s2, &us2);
    T_CHECK(us1 >= 0 && us1 < 1000000);
    T_CHECK(us2 >= 0 && us2 < 1000000);
    T_CHECK(s2 > s1 || (s2 == s1 && us2 >= us1));
    T_CHECK(s1 > 1700000000);                               /* after 2023 */
    T_CHECK((int64_t)time(NULL) - s1 <= 1 && s1 - (int64_t)time(NULL) <= 1);
}

/* ---------------------------------------------------------------------------------------------
   SHA-256 and HMAC-SHA-256 */

static void sha_is(int line, const void *data, size_t n, const char *want) {
    unsigned char d[32];
    cloudtasks__sha256(data, n, d);
    hex_is(line, d, 32, want);
}

static void test_sha256(void) {
    static char million[1000000];
    sha_is(__LINE__, "", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_is(__LINE__, "abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_is(__LINE__, LIT("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha_is(__LINE__, LIT("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
           "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    memset(million, 'a', sizeof million);
    sha_is(__LINE__, million, sizeof million, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void hmac_is(int line, const void *key, size_t klen, const void *data, size_t n, const char *want) {
    unsigned char d[32];
    cloudtasks__hmac_sha256(key, klen, data, n, d);
    hex_is(line, d, strlen(want) / 2, want);
}

static void test_hmac_sha256(void) {
    unsigned char k[131], data[50];
    size_t i;
    /* RFC 4231 test case 1 */
    memset(k, 0x0b, 20);
    hmac_is(__LINE__, k, 20, "Hi There", 8, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* 2 */
    hmac_is(__LINE__, "Jefe", 4, LIT("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* 3 */
    memset(k, 0xaa, 20);
    memset(data, 0xdd, 50);
    hmac_is(__LINE__, k, 20, data, 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    /* 4 */
    for (i = 0; i < 25; i++) k[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, 50);
    hmac_is(__LINE__, k, 25, data, 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    /* 5: the first 128 bits */
    memset(k, 0x0c, 20);
    hmac_is(__LINE__, k, 20, LIT("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b");
    /* 6 */
    memset(k, 0xaa, 131);
    hmac_is(__LINE__, k, 131, LIT("Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    /* 7 */
    hmac_is(__LINE__, k, 131,
            LIT("This is a test using a larger than block-size key and a larger than block-size data. "
                "The key needs to be hashed before being used by the HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    /* the output may alias the key, as the SigV4 key derivation does */
    {
        unsigned char kk[32];
        memset(kk, 0x0b, 20);
        memset(kk + 20, 0, 12);
        cloudtasks__hmac_sha256(kk, 20, "Hi There", 8, kk);
        hex_is(__LINE__, kk, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    }
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: test_base\n");
        return 2;
    }
    T_RUN(test_code_strings);
    T_RUN(test_buf_append_putc);
    T_RUN(test_buf_printf);
    T_RUN(test_buf_reserve);
    T_RUN(test_small_strings);
    T_RUN(test_base64_encode);
    T_RUN(test_base64_decode);
    T_RUN(test_hex);
    T_RUN(test_url_encode);
    T_RUN(test_url_decode);
    T_RUN(test_format_dates);
    T_RUN(test_format_vs_gmtime);
    T_RUN(test_parse_iso8601);
    T_RUN(test_parse_iso8601_strict);
    T_RUN(test_parse_rfc1123);
    T_RUN(test_clocks);
    T_RUN(test_sha256);
    T_RUN(test_hmac_sha256);
    T_EXIT();
}

/* A tiny test harness. Each test is a function; T_CHECK records a failure with its line and keeps
   going; T_RUN prints one TAP line per test ("ok - name" or "not ok - name"), which tests/run.sh
   counts. A test binary exits 1 if any test failed. */
#ifndef TESTING_H
#define TESTING_H
#include <stdio.h>
#include <string.h>

static int t_failures_in_test;
static int t_failed_tests;

#define T_CHECK(cond) do { if (!(cond)) { \
    printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); t_failures_in_test++; } } while (0)
#define T_CHECK_STR(got, want) do { const char *t_g_ = (got), *t_w_ = (want); \
    if (!t_g_ || strcmp(t_g_, t_w_) != 0) { \
        printf("#   %s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, t_g_ ? t_g_ : "(null)", t_w_); \
        t_failures_in_test++; } } while (0)
#define T_CHECK_INT(got, want) do { long long t_g_ = (long long)(got), t_w_ = (long long)(want); \
    if (t_g_ != t_w_) { printf("#   %s:%d: %s is %lld, want %lld\n", __FILE__, __LINE__, #got, t_g_, t_w_); \
        t_failures_in_test++; } } while (0)
#define T_RUN(fn) do { t_failures_in_test = 0; fn(); \
    printf("%s - %s\n", t_failures_in_test ? "not ok" : "ok", #fn); \
    t_failed_tests += t_failures_in_test != 0; fflush(stdout); } while (0)
#define T_SKIP(name, why) printf("ok - %s # SKIP %s\n", name, why)
#define T_EXIT() return t_failed_tests ? 1 : 0

/* A printable form of some bytes for diagnostics; four rotating buffers, so a message may show
   several at once. */
static inline const char *show(const char *s, size_t len) {
    static char bufs[4][600];
    static int which;
    char *b = bufs[which++ & 3];
    size_t o = 0, i;
    for (i = 0; i < len && o < sizeof bufs[0] - 12; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') b[o++] = (char)c;
        else o += (size_t)snprintf(b + o, 8, "\\x%02X", c);
    }
    if (i < len) { memcpy(b + o, "...", 3); o += 3; }
    b[o] = 0;
    return b;
}
#endif

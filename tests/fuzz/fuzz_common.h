/* What the fuzz targets share: the input being run, a printable dump of bytes, and CHECK /
   CHECK_WHY, which print the failed condition and the input, then abort so libFuzzer keeps the
   input. A target may define FUZZ_ON_FAIL() (clean-up before the abort) before including this. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const uint8_t *cur_data;
static size_t cur_size;

static void dump(const char *what, const void *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    size_t show = n < 512 ? n : 512;
    fprintf(stderr, "  %s (%zu bytes): \"", what, n);
    for (size_t i = 0; i < show; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\') fputc(s[i], stderr);
        else fprintf(stderr, "\\x%02x", s[i]);
    }
    fprintf(stderr, "\"%s\n", show < n ? "..." : "");
}

static void fail(const char *file, int line, const char *cond, const char *why) {
    fprintf(stderr, "\n%s:%d: check failed: %s%s%s\n", file, line, cond, why ? " -- " : "", why ? why : "");
    dump("input", cur_data, cur_size);
    fflush(stderr);
#ifdef FUZZ_ON_FAIL
    FUZZ_ON_FAIL();
#endif
    abort();
}
#define CHECK(cond) do { if (!(cond)) fail(__FILE__, __LINE__, #cond, NULL); } while (0)
#define CHECK_WHY(cond, why) do { if (!(cond)) fail(__FILE__, __LINE__, #cond, why); } while (0)
#endif

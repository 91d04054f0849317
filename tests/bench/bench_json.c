/* JSON benchmark: cloudtasks_json_parse / cloudtasks_json_write_value against cJSON, on the same
   bytes, in the same process, built with the same compiler flags. tests/bench/run.sh builds and
   runs it; by hand:

       cc -std=c11 -O2 -I. tests/bench/bench_json.c -o bench_json -lcjson -lcurl -lbearssl -lpthread
       ./bench_json parse ../shared/vectors/json-bench/twitter.json ...
       ./bench_json write ../shared/vectors/json-bench/canada.json ...

   Each measurement is the best of at least --min-runs runs that together take at least
   --min-seconds (CLOCK_MONOTONIC), after one untimed warm-up run. MB/s is 10^6 bytes per second
   of the input file (parse) or of our compact output (write, the same figure for both writers, so
   the MB/s ratio is the time ratio). Before timing, both parsers must accept the file and agree
   on its shape (number of values, containers and strings, sum of numbers); any disagreement or
   rejection makes the program exit 1. Speed goals are printed, never enforced. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int min_runs = 20;
static double min_seconds = 0.5;
static volatile size_t sink; /* keeps results observable so nothing is optimised away */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best time of one call of fn(ctx) over at least min_runs runs and min_seconds in total. */
static double best_of(void (*fn)(void *), void *ctx, int *runs_out) {
    double best = 1e300, total = 0;
    int runs = 0;
    fn(ctx); /* warm-up: page in the input, prime the allocator and the caches */
    while (runs < min_runs || total < min_seconds) {
        double t0 = now();
        fn(ctx);
        double dt = now() - t0;
        if (dt < best) best = dt;
        total += dt;
        runs++;
    }
    if (runs_out) *runs_out = runs;
    return best;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "bench_json: cannot open %s: %s\n", path, strerror(errno)); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) { fclose(f); fprintf(stderr, "bench_json: out of memory reading %s\n", path); return NULL; }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *grown = realloc(buf, cap * 2 + 1);
        if (!grown) free(buf);
        buf = grown;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); fprintf(stderr, "bench_json: cannot read %s\n", path); return NULL; }
    buf[n] = '\0'; /* not needed by either parser (both take a length), but harmless */
    *len = n;
    return buf;
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- shape of a document, computed from each parser's DOM, must agree ---- */

typedef struct shape { size_t values, containers, strings, string_bytes; double number_sum; } shape;

static void shape_ours(const cloudtasks_json *v, shape *s) {
    s->values++;
    switch (cloudtasks_json_typeof(v)) {
    case CLOUDTASKS_JSON_NUMBER: s->number_sum += cloudtasks_json_number(v, 0); break;
    case CLOUDTASKS_JSON_STRING: {
        size_t len = 0;
        cloudtasks_json_string(v, &len);
        s->strings++; s->string_bytes += len;
        break;
    }
    case CLOUDTASKS_JSON_ARRAY: {
        size_t n = cloudtasks_json_length(v);
        s->containers++;
        for (size_t i = 0; i < n; i++) shape_ours(cloudtasks_json_at(v, i), s);
        break;
    }
    case CLOUDTASKS_JSON_OBJECT: {
        size_t n = cloudtasks_json_length(v);
        s->containers++;
        for (size_t i = 0; i < n; i++) {
            size_t klen = 0;
            cloudtasks_json_object_key(v, i, &klen);
            s->strings++; s->string_bytes += klen;
            shape_ours(cloudtasks_json_object_value(v, i), s);
        }
        break;
    }
    default: break;
    }
}

static void shape_cjson(const cJSON *v, shape *s) {
    s->values++;
    if (cJSON_IsNumber(v)) s->number_sum += v->valuedouble;
    else if (cJSON_IsString(v)) { s->strings++; s->string_bytes += strlen(v->valuestring); }
    else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        s->containers++;
        for (const cJSON *c = v->child; c; c = c->next) {
            if (cJSON_IsObject(v)) { s->strings++; s->string_bytes += strlen(c->string); }
            shape_cjson(c, s);
        }
    }
}

static int same_shape(const char *file, const shape *a, const shape *b) {
    /* cJSON strings are NUL-terminated, so a string holding \u0000 would count shorter there:
       the corpus has none. Number sums are computed in the same order, so they match exactly. */
    if (a->values == b->values && a->containers == b->containers && a->strings == b->strings &&
        a->string_bytes == b->string_bytes && a->number_sum == b->number_sum) return 1;
    fprintf(stderr, "bench_json: %s: the two parsers disagree:\n"
            "  cloudtasks: %zu values, %zu containers, %zu strings (%zu bytes), number sum %.17g\n"
            "  cJSON:      %zu values, %zu containers, %zu strings (%zu bytes), number sum %.17g\n",
            file, a->values, a->containers, a->strings, a->string_bytes, a->number_sum,
            b->values, b->containers, b->strings, b->string_bytes, b->number_sum);
    return 0;
}

/* ---- timed bodies ---- */

typedef struct job {
    const char *text; size_t len;           /* parse input */
    const cloudtasks_json *ours; cJSON *theirs; /* write input */
    int failed;
} job;

static void parse_ours(void *p) {
    job *j = p;
    cloudtasks_json_doc *doc = cloudtasks_json_parse(j->text, j->len, NULL);
    if (!doc) { j->failed = 1; return; }
    sink += (size_t)cloudtasks_json_typeof(cloudtasks_json_root(doc));
    cloudtasks_json_free(doc);
}

static void parse_cjson(void *p) {
    job *j = p;
    cJSON *doc = cJSON_ParseWithLength(j->text, j->len);
    if (!doc) { j->failed = 1; return; }
    sink += (size_t)doc->type;
    cJSON_Delete(doc);
}

static void write_ours(void *p) {
    job *j = p;
    cloudtasks_json_writer w;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_value(&w, j->ours);
    if (w.error != 0) j->failed = 1;
    sink += w.len;
    cloudtasks_json_writer_free(&w);
}

static void write_cjson(void *p) {
    job *j = p;
    char *s = cJSON_PrintUnformatted(j->theirs);
    if (!s) { j->failed = 1; return; }
    sink += (size_t)(unsigned char)s[0];
    cJSON_free(s);
}

static void print_line(const char *what, const char *file, double bytes, double t_ours, double t_cjson,
                       const char *note) {
    double ours = bytes / t_ours / 1e6, theirs = bytes / t_cjson / 1e6;
    printf("json %-6s %-18s cloudtasks %7.1f MB/s   cJSON %7.1f MB/s   ratio %5.2fx  %s\n",
           what, file, ours, theirs, ours / theirs, note);
    fflush(stdout);
}

/* ---- sections ---- */

static int bench_parse(const char *path) {
    const char *file = base_name(path);
    size_t len;
    char *text = read_file(path, &len);
    if (!text) return 1;
    int ok = 1;

    cloudtasks_error err;
    memset(&err, 0, sizeof err);
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, len, &err);
    cJSON *cdoc = cJSON_ParseWithLength(text, len);
    if (!doc) {
        fprintf(stderr, "bench_json: %s: cloudtasks_json_parse rejected it at byte %zu: %s (code %d)\n",
                file, err.offset, err.message, err.code);
        ok = 0;
    }
    if (!cdoc) {
        fprintf(stderr, "bench_json: %s: cJSON_ParseWithLength rejected it near: %.40s\n", file,
                cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "?");
        ok = 0;
    }
    if (ok) {
        shape a = {0}, b = {0};
        shape_ours(cloudtasks_json_root(doc), &a);
        shape_cjson(cdoc, &b);
        ok = same_shape(file, &a, &b);
    }
    cloudtasks_json_free(doc);
    cJSON_Delete(cdoc);

    if (ok) {
        job j = { text, len, NULL, NULL, 0 };
        int r1, r2;
        double t_ours = best_of(parse_ours, &j, &r1);
        double t_cjson = best_of(parse_cjson, &j, &r2);
        if (j.failed) { fprintf(stderr, "bench_json: %s: a timed parse failed\n", file); ok = 0; }
        else {
            char note[64];
            double ratio = t_cjson / t_ours;
            snprintf(note, sizeof note, "(goal >= 2x%s)", ratio >= 2.0 ? "" : ", NOT MET");
            print_line("parse", file, (double)len, t_ours, t_cjson, note);
        }
    }
    if (!ok) printf("json parse  %-18s FAILED (see stderr)\n", file);
    free(text);
    return ok ? 0 : 1;
}

static int bench_write(const char *path) {
    const char *file = base_name(path);
    size_t len;
    char *text = read_file(path, &len);
    if (!text) return 1;
    int ok = 1;
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, len, NULL);
    cJSON *cdoc = cJSON_ParseWithLength(text, len);
    size_t our_len = 0, their_len = 0;
    if (!doc || !cdoc) {
        fprintf(stderr, "bench_json: %s: %s rejected it\n", file, !doc ? "cloudtasks_json_parse" : "cJSON");
        ok = 0;
    } else {
        /* check once, untimed, that our output is valid JSON of the same shape */
        cloudtasks_json_writer w;
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_write_value(&w, cloudtasks_json_root(doc));
        if (w.error != 0) {
            fprintf(stderr, "bench_json: %s: cloudtasks_json_write_value failed: %d\n", file, w.error);
            ok = 0;
        } else {
            cloudtasks_error err;
            memset(&err, 0, sizeof err);
            cloudtasks_json_doc *again = cloudtasks_json_parse(w.data, w.len, &err);
            if (!again) {
                fprintf(stderr, "bench_json: %s: our writer's output does not parse: byte %zu: %s\n",
                        file, err.offset, err.message);
                ok = 0;
            } else {
                shape a = {0}, b = {0};
                shape_ours(cloudtasks_json_root(doc), &a);
                shape_ours(cloudtasks_json_root(again), &b);
                if (!same_shape(file, &a, &b)) ok = 0;
                cloudtasks_json_free(again);
            }
            our_len = w.len;
        }
        cloudtasks_json_writer_free(&w);
        char *s = cJSON_PrintUnformatted(cdoc);
        if (!s) { fprintf(stderr, "bench_json: %s: cJSON_PrintUnformatted failed\n", file); ok = 0; }
        else { their_len = strlen(s); cJSON_free(s); }
    }
    if (ok) {
        job j = { NULL, 0, cloudtasks_json_root(doc), cdoc, 0 };
        int r1, r2;
        double t_ours = best_of(write_ours, &j, &r1);
        double t_cjson = best_of(write_cjson, &j, &r2);
        if (j.failed) { fprintf(stderr, "bench_json: %s: a timed write failed\n", file); ok = 0; }
        else {
            char note[96];
            snprintf(note, sizeof note, "(informational; output %zu / %zu bytes)", our_len, their_len);
            print_line("write", file, (double)our_len, t_ours, t_cjson, note);
        }
    }
    if (!ok) printf("json write  %-18s FAILED (see stderr)\n", file);
    cloudtasks_json_free(doc);
    cJSON_Delete(cdoc);
    free(text);
    return ok ? 0 : 1;
}

static int usage(void) {
    fprintf(stderr, "usage: bench_json [--min-runs N] [--min-seconds S] parse|write FILE...\n");
    return 2;
}

int main(int argc, char **argv) {
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc) return usage();
        if (strcmp(argv[i], "--min-runs") == 0) min_runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--min-seconds") == 0) min_seconds = atof(argv[i + 1]);
        else return usage();
    }
    if (i >= argc || min_runs < 1) return usage();
    int (*fn)(const char *);
    if (strcmp(argv[i], "parse") == 0) fn = bench_parse;
    else if (strcmp(argv[i], "write") == 0) fn = bench_write;
    else return usage();
    if (fn == bench_parse)
        printf("# cloudtasks_json_parse+free vs cJSON_ParseWithLength+Delete (cJSON %s), same bytes;\n"
               "# best of >= %d runs and >= %.2g s per parser and file; MB/s = 10^6 input bytes per second\n",
               cJSON_Version(), min_runs, min_seconds);
    else
        printf("# cloudtasks_json_write_value vs cJSON_PrintUnformatted of the parsed DOM; best of >= %d runs\n"
               "# and >= %.2g s; MB/s = 10^6 bytes of our output per second for both: the ratio is the time ratio.\n"
               "# cJSON prints 15 digits whenever they read back within a relative 2^-52, so its numbers\n"
               "# may not round-trip exactly; ours always do.\n", min_runs, min_seconds);
    int failed = 0;
    for (i++; i < argc; i++) failed |= fn(argv[i]);
    return failed;
}

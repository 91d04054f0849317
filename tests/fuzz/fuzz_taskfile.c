/* libFuzzer target for the task-file reader (tests/fuzz/run.sh builds and runs it).
   fuzz-seeds: vectors/jsontestsuite/test_parsing

   The input is the file. Its first byte also picks the format: an odd byte ('[', '{', '\t', '\r',
   ...) a .json file (a JSON list of records), an even one (' ', '\n', '"', ...) JSON Lines (.jsonl
   or .ndjson, by another bit). So the seed files keep their own first byte and JSON lists are
   read as lists.

   The file is read three times through cloudtasks__taskfile_next: from a memfd (one read gives
   it all), from a SOCK_SEQPACKET socket that hands it out in packets of pseudo-random sizes (short
   reads, so records, strings, escapes and blank runs straddle refills, as in files larger than
   the reader's 64 KiB reads), and by path through cloudtasks__taskfile_count. For the first two,
   cloudtasks__taskfile_open opens an empty regular file of the right name in a private temporary
   directory, and its descriptor is then swapped for the memfd or the socket. The first two must
   return the same records (text, length, number, offset, line) and end the same way (0, or -1
   with the same message); the count must agree. Every record lies inside the input at its
   offset, its line is 1 + the newlines before it, numbers count 1, 2, 3, ..., records do not
   overlap, and none starts or ends with space. Then by format:
   - JSON Lines: exactly the records of a small model (every line that is not all space, without
     its leading and trailing space), ending with 0. Space is JSON's: ' ', '\t', '\r', '\n'.
   - JSON list: when the reader ends with 0, the bytes outside the records are exactly
     ws '[' ws (record ws (',' ws record ws)*)? ']' ws; when it ends with -1, the records so far
     follow that layout and a message says why. When the whole input is a JSON array (parsed by
     cloudtasks_json_parse, no byte order mark), the reader ends with 0 and the records are
     exactly its elements (each parses alone into an equal value). When the reader ends with 0 and
     every record parses, the whole input is such an array (or nested too deep for the parser).
   cloudtasks__record_extent is also run on the input: it stays inside the buffer and stops only
   at a top-level ',' or ']' or after a closed container that another value follows; a prefix
   scanned afresh agrees with the whole buffer, and so does a scan resumed over growing pieces
   (the state a refill carries over).
   cloudtasks__json_member_span, which the worker uses to send a record's "data" as written, is
   run on every record (and on the whole input) that is a JSON object: a span it finds parses
   alone into exactly the value cloudtasks_json_get gives for that key (the last of duplicates).
   A failed check prints what differed and aborts, which libFuzzer reports as a crash.

   FUZZ_REPLAY_MAIN: see fuzz_json.c. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static void cleanup(void);
#define FUZZ_ON_FAIL() cleanup()   /* the private directory; abort() skips atexit */
#include "fuzz_common.h"

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "fuzz_taskfile: out of memory\n"); abort(); }
    return p;
}

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* ---- a private directory with the files the reader opens by path ---- */

static char dir[256];
static char path_json[300], path_jsonl[300], path_ndjson[300], path_data_json[300], path_data_jsonl[300];

static void cleanup(void) {
    const char *files[] = {path_json, path_jsonl, path_ndjson, path_data_json, path_data_jsonl};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) if (files[i][0]) unlink(files[i]);
    if (dir[0]) rmdir(dir);
}

static void write_file(const char *path, const void *p, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) { perror(path); abort(); }
    const char *s = (const char *)p;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { perror("write"); abort(); }
        s += w; n -= (size_t)w;
    }
    close(fd);
}

static void setup(void) {
    if (dir[0]) return;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fuzz_taskfile.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) { perror("mkdtemp"); abort(); }
    snprintf(path_json, sizeof path_json, "%s/empty.json", dir);
    snprintf(path_jsonl, sizeof path_jsonl, "%s/empty.jsonl", dir);
    snprintf(path_ndjson, sizeof path_ndjson, "%s/empty.ndjson", dir);
    snprintf(path_data_json, sizeof path_data_json, "%s/tasks.json", dir);
    snprintf(path_data_jsonl, sizeof path_data_jsonl, "%s/tasks.jsonl", dir);
    write_file(path_json, "", 0);
    write_file(path_jsonl, "", 0);
    write_file(path_ndjson, "", 0);
    atexit(cleanup);

    /* names the reader refuses, once */
    static const char *const refused[] = {"tasks.yaml", "tasks.yml", "tasks.txt", "tasks", "tasks.json.gz", "tasks.JSON"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        cloudtasks__taskfile tf;
        cloudtasks__buf why = {0};
        char p[400];
        snprintf(p, sizeof p, "%s/%s", dir, refused[i]);
        CHECK(cloudtasks__taskfile_open(&tf, p, &why) == 0);
        CHECK(why.len > 0 && tf.fd < 0);
        cloudtasks__taskfile_close(&tf);
        cloudtasks__buf_free(&why);
        CHECK(cloudtasks__taskfile_count(p) == -1);
    }
    {   /* not regular files: a FIFO (the open must not block) and a directory */
        static const char *const odd[] = {"fifo.json", "dir.json"};
        for (size_t i = 0; i < 2; i++) {
            cloudtasks__taskfile tf;
            cloudtasks__buf why = {0};
            char p[400];
            snprintf(p, sizeof p, "%s/%s", dir, odd[i]);
            if (i == 0 ? mkfifo(p, 0600) != 0 : mkdir(p, 0700) != 0) { perror(p); abort(); }
            CHECK(cloudtasks__taskfile_open(&tf, p, &why) == 0 && why.len > 0 && tf.fd < 0);
            cloudtasks__taskfile_close(&tf);
            cloudtasks__buf_free(&why);
            if (i == 0) unlink(p); else rmdir(p);
        }
    }
    {   /* a missing file */
        cloudtasks__taskfile tf;
        cloudtasks__buf why = {0};
        char p[400];
        snprintf(p, sizeof p, "%s/missing.json", dir);
        CHECK(cloudtasks__taskfile_open(&tf, p, &why) == 0 && why.len > 0);
        cloudtasks__taskfile_close(&tf);
        cloudtasks__buf_free(&why);
    }
}

/* ---- descriptors holding the input ---- */

static int memfd_with(const uint8_t *p, size_t n) {
    int fd = -1;
#ifdef SYS_memfd_create
    fd = (int)syscall(SYS_memfd_create, "fuzz_taskfile", 1u /* MFD_CLOEXEC */);
#endif
    if (fd < 0) {   /* no memfd: an unlinked file in the private directory */
        char p2[320];
        snprintf(p2, sizeof p2, "%s/memfd", dir);
        fd = open(p2, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) { perror(p2); abort(); }
        unlink(p2);
    }
    const char *s = (const char *)p;
    size_t left = n;
    while (left > 0) {
        ssize_t w = write(fd, s, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { perror("write memfd"); abort(); }
        s += w; left -= (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) { perror("lseek"); abort(); }
    return fd;
}

static uint64_t rng_state;
static void seed_rng(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ull; }
    rng_state = h | 1;
}
static uint32_t rng(void) {
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

#define MAX_PACKETS 48

/* A socket that returns the input as packets of pseudo-random sizes, one per read(), then end of
   file. Returns -1 if the packets do not fit in the socket buffer (never for the usual sizes). */
static int packet_fd_with(const uint8_t *p, size_t n) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    int big = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    seed_rng(p, n);
    size_t off = 0, packets = 0, mean = n / 12 + 1;
    while (off < n) {
        size_t k;
        uint32_t r = rng();
        if (packets + 1 == MAX_PACKETS) k = n - off;
        else if (r % 4 == 0) k = 1 + (r >> 8) % 4;              /* tiny packets */
        else k = 1 + (r >> 8) % (2 * mean);
        if (k > n - off) k = n - off;
        if (k > 65536) k = 65536;
        ssize_t w = send(sv[1], p + off, k, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w != (ssize_t)k) { close(sv[0]); close(sv[1]); return -1; }
        off += k;
        packets++;
    }
    close(sv[1]);
    return sv[0];
}

/* ---- reading ---- */

typedef struct rec { size_t off, len; long number; uint64_t line; } rec;
typedef struct run { rec *recs; size_t count, cap; int end; char *why; } run;

static void run_free(run *r) { free(r->recs); free(r->why); memset(r, 0, sizeof *r); }

/* Reads every record through taskfile_next from fd (opened as if by path), checking each one
   against the input. */
static void read_all(int fd, const char *path, int jsonl, const uint8_t *data, size_t size, run *out) {
    cloudtasks__taskfile tf;
    cloudtasks__buf why = {0};
    cloudtasks__record r;
    memset(out, 0, sizeof *out);
    CHECK(cloudtasks__taskfile_open(&tf, path, &why) == 1);
    CHECK(why.len == 0 && tf.jsonl == jsonl);
    close(tf.fd);
    tf.fd = fd;
    size_t min_off = 0, line_at = 0;
    uint64_t line = 1;
    for (;;) {
        memset(&r, 0x5a, sizeof r);
        int k = cloudtasks__taskfile_next(&tf, &r, &why);
        CHECK(k == 1 || k == 0 || k == -1);
        if (k != 1) {
            out->end = k;
            if (k == 0) CHECK_WHY(why.len == 0, "the reader ended normally but left a message");
            else CHECK_WHY(why.len > 0 && !why.oom, "the reader failed without saying why");
            out->why = why.len ? strdup(why.data) : NULL;
            break;
        }
        CHECK_WHY(out->count < size + 1, "more records than bytes");
        CHECK_WHY(r.number == (long)out->count + 1, "records are not numbered 1, 2, 3, ...");
        CHECK_WHY(r.offset <= size && r.len <= size - r.offset, "a record lies outside the input");
        CHECK_WHY(r.offset >= min_off, "records overlap or go backwards");
        CHECK_WHY(r.len > 0, "an empty record");
        CHECK_WHY(memcmp(r.text, data + r.offset, r.len) == 0, "a record's text is not the input at its offset");
        for (; line_at < r.offset; line_at++) line += data[line_at] == '\n';   /* offsets only grow */
        CHECK_WHY(r.line == line, "a record's line number is not 1 + the newlines before it");
        CHECK_WHY(!is_ws((unsigned char)r.text[0]), "a record starts with space");
        CHECK_WHY(!is_ws((unsigned char)r.text[r.len - 1]), "a record ends with space");
        min_off = r.offset + r.len;
        if (out->count == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 16;
            out->recs = (rec *)realloc(out->recs, out->cap * sizeof *out->recs);
            CHECK(out->recs != NULL);
        }
        out->recs[out->count].off = (size_t)r.offset;
        out->recs[out->count].len = r.len;
        out->recs[out->count].number = r.number;
        out->recs[out->count].line = r.line;
        out->count++;
    }
    cloudtasks__taskfile_close(&tf);
    cloudtasks__buf_free(&why);
}

static void same_runs(const run *a, const run *b, const char *what) {
    int same = a->count == b->count && a->end == b->end &&
               ((a->why == NULL && b->why == NULL) || (a->why && b->why && strcmp(a->why, b->why) == 0));
    for (size_t i = 0; same && i < a->count; i++)
        same = a->recs[i].off == b->recs[i].off && a->recs[i].len == b->recs[i].len && a->recs[i].line == b->recs[i].line &&
               a->recs[i].number == b->recs[i].number;
    if (!same) {
        fprintf(stderr, "%s: %zu records, end %d (%s) vs %zu records, end %d (%s)\n", what, a->count, a->end,
                a->why ? a->why : "-", b->count, b->end, b->why ? b->why : "-");
        for (size_t i = 0; i < a->count || i < b->count; i++) {
            if (i < a->count) fprintf(stderr, "  a[%zu] off %zu len %zu line %llu\n", i, a->recs[i].off, a->recs[i].len, (unsigned long long)a->recs[i].line);
            if (i < b->count) fprintf(stderr, "  b[%zu] off %zu len %zu line %llu\n", i, b->recs[i].off, b->recs[i].len, (unsigned long long)b->recs[i].line);
        }
    }
    CHECK_WHY(same, what);
}

/* ---- the checks by format ---- */

static void check_jsonl(const uint8_t *d, size_t n, const run *r) {
    size_t pos = 0, k = 0;
    uint64_t line = 1;
    CHECK_WHY(r->end == 0, "reading a JSON Lines file failed");
    for (;;) {
        while (pos < n && is_ws(d[pos])) { line += d[pos] == '\n'; pos++; }
        if (pos == n) break;
        size_t e = pos;
        while (e < n && d[e] != '\n') e++;
        size_t len = e - pos;
        while (len > 0 && is_ws(d[pos + len - 1])) len--;
        if (k >= r->count || r->recs[k].off != pos || r->recs[k].len != len || r->recs[k].line != line) {
            fprintf(stderr, "JSON Lines record %zu: model off %zu len %zu line %llu", k + 1, pos, len, (unsigned long long)line);
            if (k < r->count) fprintf(stderr, "; reader off %zu len %zu line %llu", r->recs[k].off, r->recs[k].len, (unsigned long long)r->recs[k].line);
            fprintf(stderr, "\n");
            CHECK_WHY(0, "JSON Lines records differ from the model");
        }
        k++;
        pos = e < n ? e + 1 : n;
        line += e < n;
    }
    CHECK_WHY(k == r->count, "the reader returned more JSON Lines records than the model");
}

static size_t skip_ws(const uint8_t *d, size_t i, size_t end) {
    while (i < end && is_ws(d[i])) i++;
    return i;
}

static char *compact(const cloudtasks_json *v) {
    cloudtasks_json_writer w;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_write_value(&w, v);
    CHECK(w.error == 0 && w.data != NULL);
    return w.data; /* freed by the caller with free() (the default allocator) */
}

static void check_json_list(const uint8_t *d, size_t n, const run *r) {
    /* the layout around the records: ws '[' ws rec ws ',' ws rec ... ws ']' ws */
    size_t i = skip_ws(d, 0, n);
    if (r->count > 0 || r->end == 0) {
        CHECK_WHY(i < n && d[i] == '[', "records were read from a file that does not start with '['");
        i = skip_ws(d, i + 1, n);
    }
    for (size_t k = 0; k < r->count; k++) {
        if (k > 0) {
            if (!(i < n && d[i] == ',')) dump("between records", d + r->recs[k - 1].off + r->recs[k - 1].len,
                                              r->recs[k].off - (r->recs[k - 1].off + r->recs[k - 1].len));
            CHECK_WHY(i < n && d[i] == ',', "the bytes between two records are not space and one ','");
            i = skip_ws(d, i + 1, n);
        }
        CHECK_WHY(i == r->recs[k].off, "a record does not start where the layout says");
        i = skip_ws(d, i + r->recs[k].len, n);
    }
    if (r->end == 0) {
        if (!(i < n && d[i] == ']' && skip_ws(d, i + 1, n) == n)) {
            if (r->count) dump("after the last record", d + r->recs[r->count - 1].off + r->recs[r->count - 1].len,
                               n - (r->recs[r->count - 1].off + r->recs[r->count - 1].len));
        }
        CHECK_WHY(i < n && d[i] == ']' && skip_ws(d, i + 1, n) == n,
                  "the reader accepted a file whose bytes outside the records are not ws ']' ws");
    }

    /* against the JSON parser */
    cloudtasks_error err;
    cloudtasks_json_doc *doc = cloudtasks_json_parse((const char *)d, n, &err);
    int bom = n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0;
    const cloudtasks_json *root = doc ? cloudtasks_json_root(doc) : NULL;
    if (root && cloudtasks_json_typeof(root) == CLOUDTASKS_JSON_ARRAY && !bom) {
        size_t len = cloudtasks_json_length(root);
        if (r->end != 0) fprintf(stderr, "reader: %s\n", r->why ? r->why : "-");
        CHECK_WHY(r->end == 0, "the reader failed on a valid JSON list");
        CHECK_WHY(r->count == len, "the reader found another number of records than the list has elements");
        for (size_t k = 0; k < len; k++) {
            cloudtasks_json_doc *one = cloudtasks_json_parse((const char *)d + r->recs[k].off, r->recs[k].len, &err);
            if (!one) dump("record", d + r->recs[k].off, r->recs[k].len);
            CHECK_WHY(one != NULL, "a record of a valid JSON list does not parse alone");
            char *a = compact(cloudtasks_json_at(root, k)), *b = compact(cloudtasks_json_root(one));
            if (strcmp(a, b) != 0) { dump("element", a, strlen(a)); dump("record", b, strlen(b)); }
            CHECK_WHY(strcmp(a, b) == 0, "a record is not the list element at its position");
            free(a); free(b);
            cloudtasks_json_free(one);
        }
    } else if (r->end == 0) {
        /* the reader accepted the file: if every record is JSON the file is a JSON list, unless
           the list adds the level of nesting the parser refuses */
        int all_parse = 1;
        for (size_t k = 0; k < r->count && all_parse; k++) {
            /* (cloudtasks_json_parse skips a byte order mark at the start of any text, also of a
               record in the middle of a list: such a record does not count as JSON here) */
            cloudtasks_json_doc *one = cloudtasks_json_parse((const char *)d + r->recs[k].off, r->recs[k].len, NULL);
            all_parse = one != NULL && !(r->recs[k].len >= 3 && memcmp(d + r->recs[k].off, "\xef\xbb\xbf", 3) == 0);
            cloudtasks_json_free(one);
        }
        if (all_parse) {
            if (doc) fprintf(stderr, "the whole input parses as a %d, not an array\n", (int)cloudtasks_json_typeof(root));
            else fprintf(stderr, "the whole input does not parse: %s (at %zu)\n", err.message, err.offset);
            CHECK_WHY(!doc && err.code == CLOUDTASKS_EDEPTH, "the reader accepted a file that is no JSON list though every record is JSON");
        }
    }
    cloudtasks_json_free(doc);
}

static void check_record_extent(const uint8_t *d, size_t n) {
    const char *s = (const char *)d;
    cloudtasks__extent e;
    memset(&e, 0, sizeof e);
    int complete = -1, balanced = -1;
    size_t full = cloudtasks__record_extent(s, n, &e, &complete, &balanced);
    CHECK(complete == 0 || complete == 1);
    if (complete) {
        /* at a top-level ',' or ']', or after a closed container that something other than space,
           ',' or ']' follows (a second value with no ',' before it) */
        size_t after = full;
        while (after < n && is_ws((unsigned char)s[after])) after++;
        int at_separator = full < n && (s[full] == ',' || s[full] == ']');
        int after_container = full > 0 && (s[full - 1] == '}' || s[full - 1] == ']') && after < n && s[after] != ',' && s[after] != ']';
        CHECK_WHY(at_separator || after_container, "record_extent stopped elsewhere than at ',' or ']' or after a container");
    } else {
        CHECK_WHY(full == n && (balanced == 0 || balanced == 1), "an incomplete extent is not the whole buffer");
    }
    /* prefixes, each scanned afresh: the scan of a prefix is the scan of the whole, cut short */
    size_t cuts[4] = {n / 2, n / 3, full, full + 1};
    for (int c = 0; c < 4; c++) {
        size_t m = cuts[c];
        if (m > n) continue;
        char *pre = (char *)xmalloc(m);
        if (m) memcpy(pre, s, m);
        int pc = -1, pb = -1;
        memset(&e, 0, sizeof e);
        size_t got = cloudtasks__record_extent(pre, m, &e, &pc, &pb);
        if (pc == 1) CHECK_WHY(complete && got == full, "a prefix ends the record elsewhere than the whole buffer");
        else {
            CHECK_WHY(pc == 0 && got == m, "an incomplete prefix extent is not the whole prefix");
            if (complete && full < m) {   /* only if what ends the record lies beyond the prefix */
                int ws_only = 1;
                for (size_t i = full; i < m; i++) ws_only &= is_ws((unsigned char)s[i]);
                CHECK_WHY(ws_only && full > 0 && (s[full - 1] == '}' || s[full - 1] == ']'), "a prefix disagrees with the whole buffer");
            }
        }
        free(pre);
    }
    /* resumed: the buffer offered in growing pieces (as refills do), the state carried from one
       call to the next, ends exactly as the scan of the whole */
    memset(&e, 0, sizeof e);
    seed_rng(d, n);
    size_t m = 0, min_step = n / 32 + 1;
    for (int guard = 0; guard < 100; guard++) {
        m += min_step + rng() % (n / 8 + 1);
        if (m > n) m = n;
        char *pre = (char *)xmalloc(m);
        if (m) memcpy(pre, s, m);
        int pc = -1, pb = -1;
        size_t got = cloudtasks__record_extent(pre, m, &e, &pc, &pb);
        free(pre);
        if (pc == 1) {
            if (!(complete && got == full)) fprintf(stderr, "resumed scan: complete at %zu (offered %zu); whole scan: %s at %zu\n",
                                                    got, m, complete ? "complete" : "incomplete", full);
            CHECK_WHY(complete && got == full, "a resumed scan ends the record elsewhere than the scan of the whole");
            break;
        }
        CHECK_WHY(pc == 0 && got == m, "an incomplete resumed scan is not the whole piece");
        if (m == n) {
            CHECK_WHY(!complete && pb == balanced, "a resumed scan of the whole buffer disagrees with the one-shot scan");
            break;
        }
    }
}

/* cloudtasks__json_member_span on a record that is a JSON object: where it finds a member, the span
   is the member's value as written (it parses alone into the value cloudtasks_json_get gives, the
   last of duplicate keys); where it finds none, get finds none either, unless a key is spelled
   with escapes or a byte order mark leads the text (the worker then falls back to the parsed
   value). */
static void check_members(const uint8_t *text, size_t len) {
    char *t = (char *)xmalloc(len);   /* exactly the record, so a read past it shows */
    memcpy(t, text, len);
    cloudtasks_json_doc *doc = cloudtasks_json_parse(t, len, NULL);
    const cloudtasks_json *root = cloudtasks_json_root(doc);
    if (doc && cloudtasks_json_typeof(root) == CLOUDTASKS_JSON_OBJECT) {
        static const char *const keys[] = {"data", "task_id"};
        for (int k = 0; k < 2; k++) {
            size_t at = (size_t)-1, span = (size_t)-1;
            const cloudtasks_json *want = cloudtasks_json_get(root, keys[k]);
            int found = cloudtasks__json_member_span(t, len, keys[k], &at, &span);
            CHECK(found == 0 || found == 1);
            if (found) {
                CHECK_WHY(at <= len && span <= len - at, "a member span lies outside the record");
                CHECK_WHY(want != NULL, "member_span found a member that cloudtasks_json_get does not");
                cloudtasks_json_doc *one = cloudtasks_json_parse(t + at, span, NULL);
                if (!one) dump("span", t + at, span);
                CHECK_WHY(one != NULL, "a member span does not parse alone");
                char *a = compact(want), *b = compact(cloudtasks_json_root(one));
                if (strcmp(a, b) != 0) { fprintf(stderr, "key \"%s\"\n", keys[k]); dump("get", a, strlen(a)); dump("span", b, strlen(b)); }
                CHECK_WHY(strcmp(a, b) == 0, "the member span is not the value cloudtasks_json_get gives");
                free(a); free(b);
                cloudtasks_json_free(one);
            } else if (want) {
                int bom = len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0;
                CHECK_WHY(bom || memchr(t, '\\', len) != NULL, "member_span missed a member spelled without escapes");
            }
        }
    }
    cloudtasks_json_free(doc);
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cur_data = data; cur_size = size;
    setup();
    int jsonl = size > 0 && (data[0] & 1) == 0;
    const char *path = !jsonl ? path_json : (size > 0 && (data[0] & 2)) ? path_ndjson : path_jsonl;

    run whole, packets;
    read_all(memfd_with(data, size), path, jsonl, data, size, &whole);
    int pfd = packet_fd_with(data, size);
    if (pfd >= 0) {
        read_all(pfd, path, jsonl, data, size, &packets);
        same_runs(&whole, &packets, "reading in one piece and in packets gives different records");
        run_free(&packets);
    }

    /* by path: the count of records the progress line shows */
    const char *data_path = jsonl ? path_data_jsonl : path_data_json;
    write_file(data_path, data, size);
    long count = cloudtasks__taskfile_count(data_path);
    CHECK_WHY(count == (whole.end < 0 ? -1 : (long)whole.count), "taskfile_count disagrees with taskfile_next");

    if (jsonl) check_jsonl(data, size, &whole);
    else check_json_list(data, size, &whole);
    for (size_t k = 0; k < whole.count; k++) check_members(data + whole.recs[k].off, whole.recs[k].len);
    check_members(data, size);   /* the input itself, when it is one object */
    check_record_extent(data, size);
    run_free(&whole);
    return 0;
}

#include "replay_main.h"

/* Tests of the task file reader of cloudtasks.h: cloudtasks__taskfile_open/next/close and
   cloudtasks__taskfile_count, on temporary files (in $TMPDIR, else /tmp) that each test writes and
   removes. Every record's number, line, file offset and exact text is checked.

   CLOUDTASKS_MAX_RECORD_BYTES is lowered to 1 MiB here so that the size limit can be tested
   cheaply; every other record in these tests is far below it.

   ./test_taskfile      the unit tests, one TAP line each */
#define CLOUDTASKS_MAX_RECORD_BYTES (1u << 20)
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include "testing.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIT(s) (s), (sizeof(s) - 1)

/* ---------------------------------------------------------------------------------------------
   helpers */

/* Writes len bytes to a new temporary file whose name ends in suffix; returns its path (static,
   one of eight rotating buffers). */
static const char *temp_file(const char *suffix, const char *data, size_t len) {
    static char paths[8][512];
    static int which;
    char *path = paths[which++ & 7];
    const char *dir = getenv("TMPDIR");
    int fd;
    size_t done = 0;
    snprintf(path, sizeof paths[0], "%s/ct_taskfile_XXXXXX%s", dir && *dir ? dir : "/tmp", suffix);
    fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) { printf("# mkstemps(%s) failed\n", path); exit(2); }
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n <= 0) { printf("# write to %s failed\n", path); exit(2); }
        done += (size_t)n;
    }
    close(fd);
    return path;
}

typedef struct want_rec { const char *text; size_t len; long line; long offset; } want_rec;

/* Reads path to the end and compares every record with want[0..count); then wants the reader to
   end with want_rc (0 or -1) and, for -1, a message containing why_sub. Record offsets of -1
   are not checked. */
static void expect_file(int line, const char *path, const want_rec *want, size_t count, int want_rc, const char *why_sub) {
    cloudtasks__taskfile tf;
    cloudtasks__record rec;
    cloudtasks__buf why = {0};
    size_t got = 0;
    int r = 0, bad = 0;
    if (!cloudtasks__taskfile_open(&tf, path, &why)) {
        printf("#   %s:%d: cannot open %s: %s\n", __FILE__, line, path, why.data ? why.data : "");
        t_failures_in_test++;
        cloudtasks__buf_free(&why);
        return;
    }
    while ((r = cloudtasks__taskfile_next(&tf, &rec, &why)) > 0) {
        if (got < count && bad < 5) {
            const want_rec *w = &want[got];
            if (rec.len != w->len || memcmp(rec.text, w->text, w->len) != 0) {
                printf("#   %s:%d: record %zu is \"%s\" (len %zu), want \"%s\" (len %zu)\n", __FILE__, line, got + 1,
                       show(rec.text, rec.len), rec.len, show(w->text, w->len), w->len);
                bad++;
            }
            if (rec.number != (long)got + 1) {
                printf("#   %s:%d: record %zu has number %ld\n", __FILE__, line, got + 1, rec.number);
                bad++;
            }
            if ((long)rec.line != w->line) {
                printf("#   %s:%d: record %zu is at line %llu, want %ld\n", __FILE__, line, got + 1, (unsigned long long)rec.line, w->line);
                bad++;
            }
            if (w->offset >= 0 && (long)rec.offset != w->offset) {
                printf("#   %s:%d: record %zu is at offset %llu, want %ld\n", __FILE__, line, got + 1, (unsigned long long)rec.offset,
                       w->offset);
                bad++;
            }
        }
        got++;
    }
    if (got != count) {
        printf("#   %s:%d: %zu records, want %zu\n", __FILE__, line, got, count);
        bad++;
    }
    if (r != want_rc) {
        printf("#   %s:%d: the reader ended with %d (%s), want %d\n", __FILE__, line, r, why.data ? why.data : "", want_rc);
        bad++;
    } else if (want_rc < 0 && why_sub && (!why.data || !strstr(why.data, why_sub))) {
        printf("#   %s:%d: message \"%s\" does not contain \"%s\"\n", __FILE__, line, why.data ? why.data : "", why_sub);
        bad++;
    } else if (want_rc == 0 && why.len) {
        printf("#   %s:%d: a message at a clean end: %s\n", __FILE__, line, why.data);
        bad++;
    }
    if (r == 0) {   /* the end is sticky */
        int again = cloudtasks__taskfile_next(&tf, &rec, &why);
        if (again != 0) { printf("#   %s:%d: next after the end gave %d\n", __FILE__, line, again); bad++; }
    }
    cloudtasks__taskfile_close(&tf);
    T_CHECK_INT(tf.fd, -1);
    cloudtasks__taskfile_close(&tf);     /* twice is harmless */
    cloudtasks__buf_free(&why);
    t_failures_in_test += bad;
}

/* A record wanted at a line, with its offset found as the first occurrence of text in the file. */
#define W(lit, line) {(lit), sizeof(lit) - 1, (line), -1}

/* The file's content (a string literal), its records, the end code and message part. */
#define EXPECT(suffix, content, recs, want_rc, why_sub) do { \
        const char *p_ = temp_file(suffix, LIT(content)); \
        expect_file(__LINE__, p_, recs, sizeof(recs) / sizeof(recs[0]), want_rc, why_sub); \
        unlink(p_); } while (0)
#define EXPECT_NONE(suffix, content, want_rc, why_sub) do { \
        const char *p_ = temp_file(suffix, LIT(content)); \
        expect_file(__LINE__, p_, NULL, 0, want_rc, why_sub); \
        unlink(p_); } while (0)

/* Fills in the offsets of want[] by searching the content for each text in turn. */
static void find_offsets(const char *content, size_t len, want_rec *want, size_t count) {
    size_t i, from = 0;
    for (i = 0; i < count; i++) {
        size_t k;
        for (k = from; k + want[i].len <= len; k++)
            if (memcmp(content + k, want[i].text, want[i].len) == 0) break;
        want[i].offset = (long)k;
        from = k + want[i].len;
    }
}

#define EXPECT_AT(suffix, content, recs, want_rc, why_sub) do { \
        find_offsets(LIT(content), recs, sizeof(recs) / sizeof(recs[0])); \
        EXPECT(suffix, content, recs, want_rc, why_sub); } while (0)

/* ---------------------------------------------------------------------------------------------
   JSON lists */

static void test_list_basic(void) {
    want_rec r1[] = {W("{\"task_id\":\"a\",\"data\":{}}", 1), W("{\"task_id\":\"b\",\"data\":[1,2]}", 1)};
    want_rec r2[] = {W("{\"task_id\": \"t-1\", \"data\": {\"n\": 1}}", 2), W("{\"task_id\": \"t-2\", \"data\": {\"n\": 2}}", 3)};
    want_rec r3[] = {W("1", 1), W("\"two\"", 1), W("null", 1), W("[3, [4]]", 1), W("{}", 1)};
    EXPECT_AT(".json", "[{\"task_id\":\"a\",\"data\":{}},{\"task_id\":\"b\",\"data\":[1,2]}]", r1, 0, NULL);
    EXPECT_AT(".json", "[\n  {\"task_id\": \"t-1\", \"data\": {\"n\": 1}},\n  {\"task_id\": \"t-2\", \"data\": {\"n\": 2}}\n]\n", r2, 0, NULL);
    /* records need not be objects: the reader only finds their extent */
    EXPECT_AT(".json", "[1,\"two\",null,[3, [4]],{}]", r3, 0, NULL);
}

static void test_list_whitespace(void) {
    want_rec r1[] = {W("{\"a\":1}", 4), W("{\"b\":2}", 5), W("3", 6)};
    want_rec r2[] = {W("{\"a\":1}", 1), W("{\"b\" : 2}", 5)};
    want_rec r3[] = {W("{\n  \"task_id\": \"x\",\n  \"data\": {\n    \"k\": [1,\n 2]\n  }\n}", 2),
                     W("{\n  \"task_id\": \"y\",\n  \"data\": null\n}", 9)};
    /* leading blank lines, tabs, CRLF, space before commas, trailing blank lines */
    EXPECT_AT(".json", "\n\n  [\n  {\"a\":1} ,\n\t{\"b\":2}\r\n,  3\n]\n\n", r1, 0, NULL);
    /* the record's own trailing space is not part of it; a comma on its own line */
    EXPECT_AT(".json", "[{\"a\":1}\n\n,\n\n{\"b\" : 2}   \t\r\n\r\n]", r2, 0, NULL);
    /* multi-line records: the line is where the record starts */
    EXPECT_AT(".json", "[\n{\n  \"task_id\": \"x\",\n  \"data\": {\n    \"k\": [1,\n 2]\n  }\n},\n{\n  \"task_id\": \"y\",\n  \"data\": null\n}\n]", r3, 0,
              NULL);
}

static void test_list_strings(void) {
    /* brackets, braces and commas inside strings; escaped quotes and backslashes */
    want_rec r1[] = {
        W("{\"task_id\":\"a]\",\"data\":\"x,y\"}", 1),
        W("{\"task_id\":\"[b\",\"data\":{\"k\":\"}{][,\"}}", 1),
        W("{\"task_id\":\"c\\\"]\",\"data\":\"\\\"\"}", 1),
        W("{\"task_id\":\"d\\\\\",\"data\":\"\\\\\\\"],\"}", 1),
        W("\"]\"", 1),
        W("\"\\\\\"", 1),
        W("{\"task_id\":\"e\",\"data\":\"\\u005d\\u002c \\n \xc3\xa9\"}", 1),
    };
    EXPECT_AT(".json",
              "[{\"task_id\":\"a]\",\"data\":\"x,y\"},"
              "{\"task_id\":\"[b\",\"data\":{\"k\":\"}{][,\"}},"
              "{\"task_id\":\"c\\\"]\",\"data\":\"\\\"\"},"
              "{\"task_id\":\"d\\\\\",\"data\":\"\\\\\\\"],\"},"
              "\"]\",\"\\\\\","
              "{\"task_id\":\"e\",\"data\":\"\\u005d\\u002c \\n \xc3\xa9\"}]",
              r1, 0, NULL);
}

static void test_list_empty(void) {
    EXPECT_NONE(".json", "[]", 0, NULL);
    EXPECT_NONE(".json", "[ ]", 0, NULL);
    EXPECT_NONE(".json", "\r\n [\n\n]\n\t \n", 0, NULL);
}

static void test_list_errors(void) {
    want_rec one[] = {W("1", 1)};
    want_rec one_obj[] = {W("{\"a\":1}", 1)};
    want_rec two[] = {W("1", 1), W("2", 2)};
    EXPECT_NONE(".json", "", -1, "is empty; expected a JSON list of tasks");
    EXPECT_NONE(".json", " \n\t\r\n", -1, "is empty; expected a JSON list of tasks");
    EXPECT_NONE(".json", "[", -1, "ends before the ']' that closes its list of tasks");
    EXPECT_NONE(".json", "[\n\n", -1, "ends before the ']' that closes its list of tasks");
    EXPECT(".json", "[1,", one, -1, "ends before the ']' that closes its list of tasks");
    EXPECT(".json", "[1, ", one, -1, "ends before the ']' that closes its list of tasks");
    /* a complete last record is returned before the missing ']' is reported */
    EXPECT(".json", "[{\"a\":1}", one_obj, -1, "ends before the ']' that closes its list of tasks");
    EXPECT(".json", "[1,\n2", two, -1, "ends before the ']'");
    EXPECT(".json", "[1,\n2\n\n", two, -1, "ends before the ']'");
    /* an incomplete one is not */
    EXPECT_NONE(".json", "[\"abc]", -1, "ends inside record 1 (line 1); expected ',' or ']'");
    EXPECT_NONE(".json", "[{\"a\":[1,2]", -1, "ends inside record 1");
    EXPECT_NONE(".json", "[{\"a\":\"b\\\"}]", -1, "ends inside record 1");
    EXPECT(".json", "[1,\n\n{\"a\":", one, -1, "ends inside record 2 (line 3)");
    EXPECT(".json", "[1,\n[[]", one, -1, "ends inside record 2 (line 2)");
    EXPECT(".json", "[1]x", one, -1, "unexpected text after the closing ']' at line 1");
    EXPECT(".json", "[1]\n\n  x\n", one, -1, "unexpected text after the closing ']' at line 3");
    EXPECT(".json", "[1][2]", one, -1, "unexpected text after the closing ']'");
    EXPECT(".json", "[1]]", one, -1, "unexpected text after the closing ']'");
    EXPECT_NONE(".json", "{\"task_id\":\"a\",\"data\":{}}", -1,
                "must hold a JSON list of tasks (or use .jsonl for JSON Lines); it starts with '{'");
    EXPECT_NONE(".json", "\n  x[]", -1, "it starts with 'x'");
    /* stray commas are errors, not silently dropped records */
    EXPECT_NONE(".json", "[,1]", -1, "expected a task before the ',' at line 1");
    EXPECT(".json", "[1,]", one, -1, "expected a task before the ']' at line 1");
    EXPECT(".json", "[1,\n\n]", one, -1, "expected a task before the ']' at line 3");
    EXPECT(".json", "[1,,2]", one, -1, "expected a task before the ','");
    /* the records before an error are all returned */
    EXPECT(".json", "[1,\n2,\n", two, -1, "ends before the ']'");
    EXPECT(".json", "[{\"a\":1}]  ,", one_obj, -1, "unexpected text after the closing ']'");
}

/* 5,000 records of varied sizes and one of 200 KB in the middle: every record crosses or sits
   next to a 64 KiB boundary somewhere, and the big one spans several. */
static void test_list_large(void) {
    enum { N = 5001, BIG = 2500 };
    cloudtasks__buf file = {0}, big = {0};
    want_rec *want = (want_rec *)calloc(N, sizeof *want);
    size_t *start = (size_t *)calloc(N, sizeof *start), i;
    uint32_t x = 12345;
    const char *path;
    if (!want || !start) { printf("# out of memory\n"); exit(2); }
    /* the big record: a string with brackets, commas and escaped quotes all through it */
    cloudtasks__buf_puts(&big, "{\"task_id\": \"big\", \"data\": {\"s\": \"");
    while (big.len < 200 * 1024) cloudtasks__buf_puts(&big, "[],{}\\\"\\\\ abc, ");
    cloudtasks__buf_puts(&big, "\", \"list\": [");
    for (i = 0; i < 2000; i++) cloudtasks__buf_printf(&big, "%s[%zu, {\"k\": \"]\"}]", i ? "," : "", i);
    cloudtasks__buf_puts(&big, "]}}");

    cloudtasks__buf_puts(&file, "[\n");
    for (i = 0; i < N; i++) {
        start[i] = file.len;
        if (i == BIG) cloudtasks__buf_append(&file, big.data, big.len);
        else {
            size_t pad;
            x = x * 1103515245u + 12345u;
            pad = (x >> 8) % 90;
            cloudtasks__buf_printf(&file, "{\"task_id\": \"t-%zu\", \"data\": {\"n\": %zu, \"pad\": \"%.*s\"}}", i + 1, i,
                                   (int)pad, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        }
        want[i].len = file.len - start[i];
        want[i].line = (long)i + 2;
        want[i].offset = (long)start[i];
        cloudtasks__buf_puts(&file, i + 1 < N ? (i % 7 == 3 ? " ,\r\n" : ",\n") : "\n");
    }
    cloudtasks__buf_puts(&file, "]\n");
    for (i = 0; i < N; i++) want[i].text = file.data + start[i];
    T_CHECK(!file.oom && !big.oom);
    T_CHECK(file.len > 3 * 65536 + 200 * 1024);
    path = temp_file(".json", file.data, file.len);
    expect_file(__LINE__, path, want, N, 0, NULL);
    T_CHECK_INT(cloudtasks__taskfile_count(path), N);
    unlink(path);

    /* the same records as JSON Lines */
    cloudtasks__buf_free(&file);
    for (i = 0; i < N; i++) {
        start[i] = file.len;
        if (i == BIG) cloudtasks__buf_append(&file, big.data, big.len);
        else cloudtasks__buf_printf(&file, "{\"task_id\": \"t-%zu\", \"data\": %zu}", i + 1, i * 7919);
        want[i].len = file.len - start[i];
        want[i].line = (long)i + 1;
        want[i].offset = (long)start[i];
        cloudtasks__buf_puts(&file, i % 5 == 1 ? "\r\n" : "\n");
    }
    for (i = 0; i < N; i++) want[i].text = file.data + start[i];
    path = temp_file(".jsonl", file.data, file.len);
    expect_file(__LINE__, path, want, N, 0, NULL);
    T_CHECK_INT(cloudtasks__taskfile_count(path), N);
    unlink(path);

    cloudtasks__buf_free(&file);
    cloudtasks__buf_free(&big);
    free(want);
    free(start);
}

/* CLOUDTASKS_MAX_RECORD_BYTES (1 MiB in this test): a bigger record ends the file with a message. */
static const char *big_file(cloudtasks__buf *file, const char *suffix, const char *head, size_t record_bytes, const char *tail) {
    size_t target;
    cloudtasks__buf_free(file);
    cloudtasks__buf_puts(file, head);
    target = file->len + record_bytes;
    cloudtasks__buf_putc(file, '"');
    while (file->len + 1 < target) cloudtasks__buf_putc(file, 'x');
    cloudtasks__buf_putc(file, '"');
    cloudtasks__buf_puts(file, tail);
    return temp_file(suffix, file->data, file->len);
}

static void test_record_limit(void) {
    cloudtasks__buf file = {0};
    const char *path;
    want_rec first[] = {W("{\"task_id\": \"a\"}", 1)};
    /* half the limit is fine */
    path = big_file(&file, ".json", "[", CLOUDTASKS_MAX_RECORD_BYTES / 2, "]");
    T_CHECK_INT(cloudtasks__taskfile_count(path), 1);
    unlink(path);
    /* four times the limit is not, in a list or in JSON Lines */
    path = big_file(&file, ".json", "[{\"task_id\": \"a\"},\n", 4 * CLOUDTASKS_MAX_RECORD_BYTES, "]");
    expect_file(__LINE__, path, first, 1, -1, "record 2 (line 2) is larger than 1048576 bytes");
    T_CHECK_INT(cloudtasks__taskfile_count(path), -1);
    unlink(path);
    path = big_file(&file, ".jsonl", "{\"task_id\": \"a\"}\n", 4 * CLOUDTASKS_MAX_RECORD_BYTES, "\n{}\n");
    expect_file(__LINE__, path, first, 1, -1, "record 2 (line 2) is larger than 1048576 bytes");
    unlink(path);
    /* the line in the message is the record's own line, also after blank lines */
    path = big_file(&file, ".jsonl", "{\"task_id\": \"a\"}\n\n\n", 4 * CLOUDTASKS_MAX_RECORD_BYTES, "\n{}\n");
    expect_file(__LINE__, path, first, 1, -1, "record 2 (line 4) is larger than 1048576 bytes");
    unlink(path);
    /* the limit holds for every size above it, not only for sizes the reads happen to cross */
    path = big_file(&file, ".json", "[{\"task_id\": \"a\"},\n", 2 * CLOUDTASKS_MAX_RECORD_BYTES - 32, "]");
    expect_file(__LINE__, path, first, 1, -1, "record 2 (line 2) is larger than 1048576 bytes");
    unlink(path);
    path = big_file(&file, ".json", "[{\"task_id\": \"a\"},\n", CLOUDTASKS_MAX_RECORD_BYTES + 4096, "]");
    expect_file(__LINE__, path, first, 1, -1, "is larger than 1048576 bytes");
    unlink(path);
    cloudtasks__buf_free(&file);
}

/* ---------------------------------------------------------------------------------------------
   JSON Lines */

static void test_jsonl(void) {
    want_rec r1[] = {W("{\"a\":1}", 1), W("{\"b\":2}", 3), W("{\"c\":3}", 5)};
    want_rec r2[] = {W("{\"task_id\":\"x\"}", 2), W("[1, 2]", 3), W("not json at all", 4), W("{\"z\":\"]\"}", 7)};
    want_rec r3[] = {W("{\"a\":1}", 1)};
    want_rec r4[] = {W("{\"a\": \"x y\"}", 1), W("{}", 2)};
    /* CRLF, blank lines (also CRLF ones), the last line without a newline */
    EXPECT_AT(".jsonl", "{\"a\":1}\r\n\r\n{\"b\":2}\n   \n{\"c\":3}", r1, 0, NULL);
    /* leading space and tabs skipped; every line is one record, whatever it holds */
    EXPECT_AT(".jsonl", "\n  {\"task_id\":\"x\"}\n\t[1, 2]\nnot json at all\n\n \t \r\n{\"z\":\"]\"}\n\n", r2, 0, NULL);
    EXPECT_AT(".ndjson", "{\"a\":1}\n", r3, 0, NULL);
    /* trailing spaces and CRs are not part of the record; inner spaces are */
    EXPECT_AT(".jsonl", "{\"a\": \"x y\"}   \r\n{}\r\r\n", r4, 0, NULL);
    /* an empty or blank file is no tasks, not an error */
    EXPECT_NONE(".jsonl", "", 0, NULL);
    EXPECT_NONE(".jsonl", "\n\r\n  \n", 0, NULL);
    EXPECT_NONE(".jsonl", "   ", 0, NULL);
}

/* ---------------------------------------------------------------------------------------------
   names and missing files */

static void open_fails(int line, const char *path, const char *sub1, const char *sub2) {
    cloudtasks__taskfile tf;
    cloudtasks__buf why = {0};
    int r = cloudtasks__taskfile_open(&tf, path, &why);
    if (r != 0) {
        printf("#   %s:%d: %s opened, want a failure\n", __FILE__, line, path);
        t_failures_in_test++;
    } else if (!why.data || !strstr(why.data, sub1) || (sub2 && !strstr(why.data, sub2))) {
        printf("#   %s:%d: message \"%s\" does not contain \"%s\"%s%s\n", __FILE__, line, why.data ? why.data : "", sub1,
               sub2 ? " and " : "", sub2 ? sub2 : "");
        t_failures_in_test++;
    }
    if (tf.fd != -1) { printf("#   %s:%d: fd %d left open\n", __FILE__, line, tf.fd); t_failures_in_test++; }
    cloudtasks__taskfile_close(&tf);
    cloudtasks__buf_free(&why);
    if (cloudtasks__taskfile_count(path) != -1) {
        printf("#   %s:%d: taskfile_count(%s) is not -1\n", __FILE__, line, path);
        t_failures_in_test++;
    }
}

static void test_names(void) {
    const char *path;
    open_fails(__LINE__, "tasks.yaml", "task file tasks.yaml: YAML task files are not supported yet; convert it to JSON", NULL);
    open_fails(__LINE__, "dir/tasks.yml", "task file dir/tasks.yml: YAML task files are not supported yet", NULL);
    open_fails(__LINE__, "tasks.txt", "Unsupported file format for tasks: tasks.txt; must be .json or .jsonl", NULL);
    open_fails(__LINE__, "tasks.json.bak", "Unsupported file format for tasks: tasks.json.bak", NULL);
    open_fails(__LINE__, "tasks", "Unsupported file format for tasks: tasks;", NULL);
    open_fails(__LINE__, "", "Unsupported file format for tasks: ;", NULL);
    open_fails(__LINE__, "no-such-dir-ct/none.json", "cannot open task file no-such-dir-ct/none.json: ", "No such file or directory");
    open_fails(__LINE__, "no-such-dir-ct/none.jsonl", "cannot open task file no-such-dir-ct/none.jsonl", NULL);
    /* a real .yaml file is refused by its name alone */
    path = temp_file(".yaml", LIT("- task_id: a\n  data: {}\n"));
    open_fails(__LINE__, path, "YAML task files are not supported yet", NULL);
    unlink(path);
    /* the name decides the format, not the content */
    {
        want_rec r[] = {W("[1, 2]", 1)};
        EXPECT(".jsonl", "[1, 2]\n", r, 0, NULL);
    }
    EXPECT_NONE(".json", "{\"a\":1}\n", -1, "must hold a JSON list");
}

static void test_count(void) {
    const char *path;
    path = temp_file(".json", LIT("[1, 2, {\"a\": [3, 4]}]"));
    T_CHECK_INT(cloudtasks__taskfile_count(path), 3);
    unlink(path);
    path = temp_file(".json", LIT("[]"));
    T_CHECK_INT(cloudtasks__taskfile_count(path), 0);
    unlink(path);
    path = temp_file(".json", LIT("[1, 2"));
    T_CHECK_INT(cloudtasks__taskfile_count(path), -1);
    unlink(path);
    path = temp_file(".json", LIT(""));
    T_CHECK_INT(cloudtasks__taskfile_count(path), -1);
    unlink(path);
    path = temp_file(".jsonl", LIT("{}\n\n{}\r\n{}"));
    T_CHECK_INT(cloudtasks__taskfile_count(path), 3);
    unlink(path);
    path = temp_file(".jsonl", LIT(""));
    T_CHECK_INT(cloudtasks__taskfile_count(path), 0);
    unlink(path);
    T_CHECK_INT(cloudtasks__taskfile_count("no-such-dir-ct/x.json"), -1);
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: test_taskfile\n");
        return 2;
    }
    T_RUN(test_list_basic);
    T_RUN(test_list_whitespace);
    T_RUN(test_list_strings);
    T_RUN(test_list_empty);
    T_RUN(test_list_errors);
    T_RUN(test_list_large);
    T_RUN(test_record_limit);
    T_RUN(test_jsonl);
    T_RUN(test_names);
    T_RUN(test_count);
    T_EXIT();
}

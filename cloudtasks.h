/* cloudtasks.h - v0.1.0 - 2026-11-29 - one C function becomes a production cloud task worker.

   Pulls tasks from AWS SQS, Google Cloud Pub/Sub or Azure Service Bus (or a local task file), runs
   each in its own process, in parallel, with timeouts, memory limits, retries, lease extension,
   spot-instance termination handling, graceful shutdown and a JSON event log. A drop-in C
   replacement for the worker of rms-cloud-tasks: same flags, variables, queue names and events.

   Do this:
       #define CLOUDTASKS_IMPLEMENTATION
   before you include this file in *one* C file (C11), first among its includes, to create the
   implementation. Every other file includes it without the define. Or compile the bundled
   cloudtasks.c, which does exactly that.

   Link with:   -lcurl -lbearssl -lpthread

   License: MIT, at the end of the file.

   DOCUMENTATION

   QUICK START
       #define CLOUDTASKS_IMPLEMENTATION
       #include "cloudtasks.h"
       #include <stdio.h>

       static int add(const cloudtasks_task *t, cloudtasks_worker *w, cloudtasks_result *r, void *user) {
           char buf[64];
           double a = cloudtasks_json_number(cloudtasks_json_get(t->data, "num1"), 0);
           double b = cloudtasks_json_number(cloudtasks_json_get(t->data, "num2"), 0);
           (void)w; (void)user;
           snprintf(buf, sizeof buf, "%.17g", a + b);
           cloudtasks_result_string(r, buf);
           return CLOUDTASKS_DONE;
       }
       int main(int argc, char **argv) { return cloudtasks_worker_main(argc, argv, add, NULL); }

   Build it with   cc -std=c11 -Wall -Wextra worker.c -o worker -lcurl -lbearssl -lpthread
   and run it with ./worker --task-file tasks.json   (./worker --help lists every flag).

   BUILD OPTIONS (define before including the header where it says so)
       CLOUDTASKS_IMPLEMENTATION   in one C file: compile the implementation there.
       CLOUDTASKS_STATIC           in the implementation file: every public function becomes static
                                   (for a program that keeps the library private to one file).
       CLOUDTASKS_API              anywhere, the same everywhere: linkage of public functions
                                   (default: extern).
       CLOUDTASKS_MALLOC(size), CLOUDTASKS_REALLOC(ptr, size), CLOUDTASKS_FREE(ptr)
                                   implementation file: the allocator. All three or none
                                   (default: malloc, realloc, free).
       CLOUDTASKS_ASSERT(cond)     implementation file: checks of programmer errors
                                   (default: assert from <assert.h>).
       CLOUDTASKS_JSON_MAX_DEPTH   implementation file: deepest nesting the JSON parser accepts
                                   (default 512); deeper input is an error, never a stack overflow.

   MEMORY
       Every call that allocates names its release call (cloudtasks_json_parse -> cloudtasks_json_free,
       cloudtasks_json_writer_init -> cloudtasks_json_writer_free). A parsed JSON document is one
       allocation; every value and string in it lives until the document is freed. Strings the
       library keeps are copied; nothing the caller passes in needs to outlive the call.

   ERRORS
       Functions that can fail return a negative CLOUDTASKS_E* code (or NULL) and, where they take
       a cloudtasks_error *, fill it with the code, the HTTP status (if any), the byte offset (for
       parse errors) and a message that names the culprit. cloudtasks_code_string() names a code.
       Runtime failures (network, credentials, bad input) are never fatal to the process; only
       programmer errors reach CLOUDTASKS_ASSERT.

   JSON
       A strict RFC 8259 parser (UTF-8 validated, surrogate pairs, depth limit, linear time) into a
       read-only DOM, and a writer that always produces valid UTF-8 JSON. See docs/json.md.

   THREADING AND FORK
       The JSON functions and the writer are reentrant: separate documents and writers may be used
       from separate threads at once. cloudtasks_worker_main() forks its process pool before it
       starts any thread or initialises libcurl, so the program must not start threads or
       initialise libcurl before calling it. See docs/worker.md.
*/

/* The implementation needs POSIX.1-2008 and a few common extensions. glibc fixes its feature set
   at the first system header, so this must come before any #include; define these yourself (or
   use cloudtasks.c) if another header comes first in the implementation file. */
#if defined(CLOUDTASKS_IMPLEMENTATION) && !defined(CLOUDTASKS_IMPLEMENTATION_ONCE)
#  if !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE)
#    define _POSIX_C_SOURCE 200809L
#  endif
#  if !defined(_DEFAULT_SOURCE) && !defined(_GNU_SOURCE)
#    define _DEFAULT_SOURCE 1
#  endif
#endif

#ifndef CLOUDTASKS_H
#define CLOUDTASKS_H

#include <stddef.h>
#include <stdint.h>

#define CLOUDTASKS_VERSION_MAJOR 0
#define CLOUDTASKS_VERSION_MINOR 1
#define CLOUDTASKS_VERSION_PATCH 0
#define CLOUDTASKS_VERSION_STRING "0.1.0"

#ifndef CLOUDTASKS_API
#  ifdef CLOUDTASKS_STATIC
#    define CLOUDTASKS_API static
#  else
#    define CLOUDTASKS_API extern
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* >>public: base -------------------------------------------------------------------------- */

/* Result codes: 0 is success, failures are negative and banded by layer. */
enum {
    CLOUDTASKS_OK          =   0,
    CLOUDTASKS_EINVAL      =  -1,  /* an argument is invalid */
    CLOUDTASKS_ENOMEM      =  -2,  /* an allocation failed */
    CLOUDTASKS_ERANGE      =  -3,  /* a value or size is out of range */
    CLOUDTASKS_EIO         =  -4,  /* a file or descriptor operation failed */
    CLOUDTASKS_EJSON       = -10,  /* the text is not valid JSON */
    CLOUDTASKS_EDEPTH      = -11,  /* JSON nested deeper than CLOUDTASKS_JSON_MAX_DEPTH */
    CLOUDTASKS_ETRANSPORT  = -20,  /* the connection failed or broke */
    CLOUDTASKS_ETIMEOUT    = -21,  /* no answer in time */
    CLOUDTASKS_EHTTP       = -30,  /* the server answered with an error status */
    CLOUDTASKS_EPROTOCOL   = -31,  /* the server's answer could not be understood */
    CLOUDTASKS_EAUTH       = -40,  /* credentials are missing, wrong or expired */
    CLOUDTASKS_ECRYPTO     = -41,  /* a key could not be read or used */
    CLOUDTASKS_ECONFIG     = -50,  /* the configuration is invalid */
    CLOUDTASKS_EPOOL       = -60   /* the process pool failed */
};

typedef struct cloudtasks_error {
    int code;              /* 0 = ok; negative CLOUDTASKS_E* values */
    int http_status;       /* when the error came from an HTTP answer, else 0 */
    size_t offset;         /* byte offset for parse errors */
    char message[256];     /* human-readable, NUL-terminated */
} cloudtasks_error;

/* The name of a result code, e.g. "invalid JSON". Never NULL. */
CLOUDTASKS_API const char *cloudtasks_code_string(int code);
/* "0.1.0" */
CLOUDTASKS_API const char *cloudtasks_version_string(void);

/* >>public: json -------------------------------------------------------------------------- */

typedef enum cloudtasks_json_type {
    CLOUDTASKS_JSON_NULL, CLOUDTASKS_JSON_FALSE, CLOUDTASKS_JSON_TRUE, CLOUDTASKS_JSON_NUMBER,
    CLOUDTASKS_JSON_STRING, CLOUDTASKS_JSON_ARRAY, CLOUDTASKS_JSON_OBJECT,
    CLOUDTASKS_JSON_TYPE_COUNT
} cloudtasks_json_type;
typedef struct cloudtasks_json cloudtasks_json;          /* a value inside a document */
typedef struct cloudtasks_json_doc cloudtasks_json_doc;  /* owns all its values */

/* Parses len bytes of strict RFC 8259 JSON (a leading UTF-8 byte order mark is skipped). Returns
   NULL on invalid JSON, filling *err (may be NULL) with the byte offset and what was expected.
   Free with cloudtasks_json_free(). */
CLOUDTASKS_API cloudtasks_json_doc *cloudtasks_json_parse(const char *text, size_t len, cloudtasks_error *err);
CLOUDTASKS_API void cloudtasks_json_free(cloudtasks_json_doc *doc);
CLOUDTASKS_API const cloudtasks_json *cloudtasks_json_root(const cloudtasks_json_doc *doc);

/* Every accessor accepts NULL (and returns the "absent" answer), so lookups chain safely. */
CLOUDTASKS_API cloudtasks_json_type cloudtasks_json_typeof(const cloudtasks_json *v);   /* NULL -> CLOUDTASKS_JSON_NULL */
CLOUDTASKS_API const cloudtasks_json *cloudtasks_json_get(const cloudtasks_json *object, const char *key); /* NULL if absent or not an object */
CLOUDTASKS_API size_t cloudtasks_json_length(const cloudtasks_json *array_or_object);  /* elements or members; 0 otherwise */
CLOUDTASKS_API const cloudtasks_json *cloudtasks_json_at(const cloudtasks_json *array, size_t index); /* NULL if out of range */
CLOUDTASKS_API double cloudtasks_json_number(const cloudtasks_json *v, double fallback);  /* fallback if not a number */
CLOUDTASKS_API int cloudtasks_json_bool(const cloudtasks_json *v, int fallback);          /* 1/0, fallback if not true/false */
CLOUDTASKS_API const char *cloudtasks_json_string(const cloudtasks_json *v, size_t *len); /* decoded UTF-8, NUL-terminated; NULL if not a string */
/* The index-th member of an object, in document order: its key (decoded, NUL-terminated) and value. */
CLOUDTASKS_API const char *cloudtasks_json_object_key(const cloudtasks_json *object, size_t index, size_t *len);
CLOUDTASKS_API const cloudtasks_json *cloudtasks_json_object_value(const cloudtasks_json *object, size_t index);

/* The writer builds JSON text in a growing buffer. Calls after an error do nothing; check
   w.error once at the end. The output is always valid UTF-8 JSON: invalid UTF-8 in a string
   becomes U+FFFD, infinities become 1e999 / -1e999 and NaN becomes null.

       cloudtasks_json_writer w;
       cloudtasks_json_writer_init(&w);
       cloudtasks_json_begin_object(&w);
       cloudtasks_json_key(&w, "sum");    cloudtasks_json_write_number(&w, 3.5);
       cloudtasks_json_end_object(&w);
       if (w.error == 0) puts(w.data);    // {"sum":3.5}
       cloudtasks_json_writer_free(&w);
*/
#define CLOUDTASKS_JSON_WRITER_MAX_DEPTH 64
typedef struct cloudtasks_json_writer {
    char *data;        /* the text so far, NUL-terminated (NULL before the first write) */
    size_t len;        /* bytes in data, without the NUL */
    size_t cap;        /* allocated bytes */
    int error;         /* 0, or the first failure: CLOUDTASKS_ENOMEM, or CLOUDTASKS_EINVAL for misuse */
    int separator;     /* private: a ',' is due before the next value or key */
    int expect_key;    /* private: inside an object, between members */
    int depth;         /* private: open containers */
    unsigned char in_object[CLOUDTASKS_JSON_WRITER_MAX_DEPTH]; /* private: container kinds */
} cloudtasks_json_writer;

CLOUDTASKS_API void cloudtasks_json_writer_init(cloudtasks_json_writer *w);
CLOUDTASKS_API void cloudtasks_json_writer_free(cloudtasks_json_writer *w);
CLOUDTASKS_API void cloudtasks_json_begin_object(cloudtasks_json_writer *w);
CLOUDTASKS_API void cloudtasks_json_end_object(cloudtasks_json_writer *w);
CLOUDTASKS_API void cloudtasks_json_begin_array(cloudtasks_json_writer *w);
CLOUDTASKS_API void cloudtasks_json_end_array(cloudtasks_json_writer *w);
CLOUDTASKS_API void cloudtasks_json_key(cloudtasks_json_writer *w, const char *key); /* NUL-terminated */
CLOUDTASKS_API void cloudtasks_json_write_string(cloudtasks_json_writer *w, const char *s, size_t len);
CLOUDTASKS_API void cloudtasks_json_write_cstring(cloudtasks_json_writer *w, const char *s); /* NUL-terminated; NULL writes null */
CLOUDTASKS_API void cloudtasks_json_write_number(cloudtasks_json_writer *w, double x); /* shortest text that reads back as x */
CLOUDTASKS_API void cloudtasks_json_write_int(cloudtasks_json_writer *w, int64_t x);   /* exact */
CLOUDTASKS_API void cloudtasks_json_write_bool(cloudtasks_json_writer *w, int b);
CLOUDTASKS_API void cloudtasks_json_write_null(cloudtasks_json_writer *w);
CLOUDTASKS_API void cloudtasks_json_write_value(cloudtasks_json_writer *w, const cloudtasks_json *v); /* a parsed value, compactly */
/* Appends len bytes of JSON text as one value after checking it parses; EINVAL otherwise. */
CLOUDTASKS_API void cloudtasks_json_write_raw(cloudtasks_json_writer *w, const char *json, size_t len);

/* >>public: sigv4 ------------------------------------------------------------------------- */

typedef struct cloudtasks_header { const char *name, *value; } cloudtasks_header;
typedef struct cloudtasks_sigv4_request {
    const char *method;                      /* "GET", "POST", ... */
    const char *path_and_query;              /* as sent on the wire, e.g. "/a%20b?x=1&y=2" */
    const cloudtasks_header *headers;        /* as sent; must include Host and X-Amz-Date */
    size_t header_count;
    const void *body; size_t body_len;
    const char *region, *service;
    const char *access_key_id, *secret_access_key, *session_token; /* session_token may be NULL */
    int normalize_path;                      /* 1 for every service but S3 */
} cloudtasks_sigv4_request;
/* Writes the value of the Authorization header (NUL-terminated) into out. Returns the length
   written, or the size needed (without the NUL) when out is NULL, or a negative CLOUDTASKS_E*. */
CLOUDTASKS_API int cloudtasks_sigv4_authorization(const cloudtasks_sigv4_request *req, char *out, size_t out_size);

/* >>public: worker ------------------------------------------------------------------------ */

typedef struct cloudtasks_worker cloudtasks_worker;   /* the running worker, as a task sees it */
typedef struct cloudtasks_result cloudtasks_result;   /* what the task reports back */
typedef struct cloudtasks_task {
    const char *task_id;                 /* NUL-terminated */
    const cloudtasks_json *data;         /* the task's "data" value */
    const char *data_json;               /* the same value as JSON text, NUL-terminated */
    size_t data_json_len;
    const char *message_id;              /* provider message id; "" for task files */
    int receive_count;                   /* deliveries including this one; 0 when unknown */
} cloudtasks_task;

enum { CLOUDTASKS_DONE = 0, CLOUDTASKS_RETRY = 1 };  /* what a task function returns */
/* Two more outcomes, the C forms of the reference's unhandled exception and MemoryError:
   CLOUDTASKS_FAILED   the task failed (task_exception; retried with --retry-on-exception);
                       cloudtasks_result_error() says why.
   CLOUDTASKS_NO_MEMORY an allocation failed (task_exception, never retried; the task process is
                       replaced). Any other return value counts as CLOUDTASKS_FAILED. */
enum { CLOUDTASKS_FAILED = 2, CLOUDTASKS_NO_MEMORY = 3 };
typedef int (*cloudtasks_task_fn)(const cloudtasks_task *task, cloudtasks_worker *worker,
                                  cloudtasks_result *result, void *user);

CLOUDTASKS_API void cloudtasks_result_string(cloudtasks_result *r, const char *text);         /* result is a JSON string */
CLOUDTASKS_API int  cloudtasks_result_json(cloudtasks_result *r, const char *json, size_t len); /* result is this JSON value; <0 if invalid */
CLOUDTASKS_API void cloudtasks_result_error(cloudtasks_result *r, const char *message);       /* why the task failed (its "exception") */
CLOUDTASKS_API int  cloudtasks_termination_notice(const cloudtasks_worker *w); /* 1 once a spot/preemption notice arrived */
CLOUDTASKS_API int  cloudtasks_shutdown_requested(const cloudtasks_worker *w); /* 1 once SIGINT/SIGTERM arrived */

/* The arguments after "--" on the command line, untouched: count, and each (NULL past the end). */
CLOUDTASKS_API int cloudtasks_worker_argc(const cloudtasks_worker *w);
CLOUDTASKS_API const char *cloudtasks_worker_arg(const cloudtasks_worker *w, int index);
/* The resolved value of any setting, by its flag name without dashes ("provider", "max-runtime",
   "instance-type", "num-cpus", "memory", "is-spot", "price", ...), as text; NULL when unset. */
CLOUDTASKS_API const char *cloudtasks_worker_setting(const cloudtasks_worker *w, const char *name);
/* Which task process this is (0, 1, 2, ... in the order they were started). */
CLOUDTASKS_API int cloudtasks_worker_process_number(const cloudtasks_worker *w);

/* Parses argv + environment, runs until the work is done or shutdown; returns the process exit code. */
CLOUDTASKS_API int cloudtasks_worker_main(int argc, char **argv, cloudtasks_task_fn fn, void *user);

/* The same, with hooks. process_init runs once in each task process before its first task (open
   per-process resources there, never before cloudtasks_worker_run); a nonzero return makes that
   process exit, which is reported and the process replaced. process_exit runs when a reusable
   task process retires. */
typedef struct cloudtasks_worker_desc {
    cloudtasks_task_fn task;                                  /* required */
    void *user;                                               /* passed to every callback */
    int (*process_init)(cloudtasks_worker *worker, void *user);
    void (*process_exit)(cloudtasks_worker *worker, void *user);
} cloudtasks_worker_desc;
CLOUDTASKS_API int cloudtasks_worker_run(int argc, char **argv, const cloudtasks_worker_desc *desc);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDTASKS_H */

/* ============================================================================================= */
/*                                       IMPLEMENTATION                                          */
/* ============================================================================================= */
#ifdef CLOUDTASKS_IMPLEMENTATION
#ifndef CLOUDTASKS_IMPLEMENTATION_ONCE
#define CLOUDTASKS_IMPLEMENTATION_ONCE

/* >>base ------------------------------------------------------------------------------------ */

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(CLOUDTASKS_MALLOC) && defined(CLOUDTASKS_REALLOC) && defined(CLOUDTASKS_FREE)
#elif !defined(CLOUDTASKS_MALLOC) && !defined(CLOUDTASKS_REALLOC) && !defined(CLOUDTASKS_FREE)
#  include <stdlib.h>
#  define CLOUDTASKS_MALLOC(size) malloc(size)
#  define CLOUDTASKS_REALLOC(ptr, size) realloc(ptr, size)
#  define CLOUDTASKS_FREE(ptr) free(ptr)
#else
#  error "cloudtasks.h: define all of CLOUDTASKS_MALLOC, CLOUDTASKS_REALLOC and CLOUDTASKS_FREE, or none of them"
#endif
#include <stdlib.h>

#ifndef CLOUDTASKS_ASSERT
#  include <assert.h>
#  define CLOUDTASKS_ASSERT(cond) assert(cond)
#endif

#ifndef CLOUDTASKS_JSON_MAX_DEPTH
#  define CLOUDTASKS_JSON_MAX_DEPTH 512
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define CLOUDTASKS__PRIVATE static __attribute__((unused))
#  define CLOUDTASKS__PRINTF(f, a) __attribute__((format(printf, f, a)))
#  define CLOUDTASKS__LIKELY(x) __builtin_expect(!!(x), 1)
#  define CLOUDTASKS__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define CLOUDTASKS__PRIVATE static
#  define CLOUDTASKS__PRINTF(f, a)
#  define CLOUDTASKS__LIKELY(x) (x)
#  define CLOUDTASKS__UNLIKELY(x) (x)
#endif

#ifdef CLOUDTASKS_STATIC
#  define CLOUDTASKS__DEF CLOUDTASKS__PRIVATE
#else
#  define CLOUDTASKS__DEF CLOUDTASKS_API
#endif

CLOUDTASKS__DEF const char *cloudtasks_code_string(int code) {
    switch (code) {
    case CLOUDTASKS_OK:         return "ok";
    case CLOUDTASKS_EINVAL:     return "invalid argument";
    case CLOUDTASKS_ENOMEM:     return "out of memory";
    case CLOUDTASKS_ERANGE:     return "value out of range";
    case CLOUDTASKS_EIO:        return "input/output error";
    case CLOUDTASKS_EJSON:      return "invalid JSON";
    case CLOUDTASKS_EDEPTH:     return "JSON nested too deeply";
    case CLOUDTASKS_ETRANSPORT: return "connection failed";
    case CLOUDTASKS_ETIMEOUT:   return "timed out";
    case CLOUDTASKS_EHTTP:      return "HTTP error status";
    case CLOUDTASKS_EPROTOCOL:  return "unexpected answer from the server";
    case CLOUDTASKS_EAUTH:      return "authentication failed";
    case CLOUDTASKS_ECRYPTO:    return "cryptographic key error";
    case CLOUDTASKS_ECONFIG:    return "invalid configuration";
    case CLOUDTASKS_EPOOL:      return "process pool failure";
    default:                    return "unknown error code";
    }
}

CLOUDTASKS__DEF const char *cloudtasks_version_string(void) { return CLOUDTASKS_VERSION_STRING; }

/* Fills *err (which may be NULL) and returns code, so failures read `return cloudtasks__fail(...)`. */
CLOUDTASKS__PRIVATE CLOUDTASKS__PRINTF(3, 4)
int cloudtasks__fail(cloudtasks_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

CLOUDTASKS__PRIVATE void cloudtasks__error_clear(cloudtasks_error *err) {
    if (err) { err->code = 0; err->http_status = 0; err->offset = 0; err->message[0] = '\0'; }
}

/* A growable byte buffer. It is always NUL-terminated once non-empty, and an allocation failure is
   sticky (every later append does nothing), so callers check `oom` once at the end. */
typedef struct cloudtasks__buf {
    char *data;
    size_t len, cap;
    int oom;
} cloudtasks__buf;

CLOUDTASKS__PRIVATE int cloudtasks__buf_reserve(cloudtasks__buf *b, size_t extra) {
    size_t need, cap;
    char *p;
    if (b->oom) return 0;
    if (extra >= SIZE_MAX - b->len - 1) { b->oom = 1; return 0; }
    need = b->len + extra + 1;
    if (need <= b->cap) return 1;
    cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = (char *)CLOUDTASKS_REALLOC(b->data, cap);
    if (!p) { b->oom = 1; return 0; }
    b->data = p;
    b->cap = cap;
    return 1;
}

CLOUDTASKS__PRIVATE void cloudtasks__buf_append(cloudtasks__buf *b, const void *p, size_t n) {
    if (!cloudtasks__buf_reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

CLOUDTASKS__PRIVATE void cloudtasks__buf_putc(cloudtasks__buf *b, char c) {
    if (b->len + 1 < b->cap && !b->oom) { b->data[b->len++] = c; b->data[b->len] = '\0'; return; }
    cloudtasks__buf_append(b, &c, 1);
}

CLOUDTASKS__PRIVATE void cloudtasks__buf_puts(cloudtasks__buf *b, const char *s) {
    cloudtasks__buf_append(b, s, strlen(s));
}

CLOUDTASKS__PRIVATE CLOUDTASKS__PRINTF(2, 3)
void cloudtasks__buf_printf(cloudtasks__buf *b, const char *fmt, ...) {
    va_list ap;
    int n;
    char small[256];
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) { b->oom = 1; return; }
    if ((size_t)n < sizeof small) { cloudtasks__buf_append(b, small, (size_t)n); return; }
    if (!cloudtasks__buf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

CLOUDTASKS__PRIVATE void cloudtasks__buf_free(cloudtasks__buf *b) {
    CLOUDTASKS_FREE(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

/* Copies a NUL-terminated string with the library's allocator; NULL stays NULL. */
CLOUDTASKS__PRIVATE char *cloudtasks__strndup(const char *s, size_t n) {
    char *d = (char *)CLOUDTASKS_MALLOC(n + 1);
    if (d) { memcpy(d, s, n); d[n] = '\0'; }
    return d;
}
CLOUDTASKS__PRIVATE char *cloudtasks__strdup(const char *s) {
    return s ? cloudtasks__strndup(s, strlen(s)) : NULL;
}

/* Bounded string copy that always terminates; returns 0 if it had to cut. */
CLOUDTASKS__PRIVATE int cloudtasks__copy(char *dst, size_t size, const char *src) {
    size_t n = strlen(src);
    if (size == 0) return 0;
    if (n >= size) { memcpy(dst, src, size - 1); dst[size - 1] = '\0'; return 0; }
    memcpy(dst, src, n + 1);
    return 1;
}

/* ---- clocks and dates ---- */

/* Seconds on a clock that never jumps (for timeouts and durations). */
CLOUDTASKS__PRIVATE double cloudtasks__now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Wall-clock time as whole seconds and microseconds since the Unix epoch. */
CLOUDTASKS__PRIVATE void cloudtasks__wall(int64_t *seconds, int32_t *micros) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *seconds = (int64_t)ts.tv_sec;
    *micros = (int32_t)(ts.tv_nsec / 1000);
}

typedef struct cloudtasks__civil { int year, month, day, hour, minute, second, weekday; } cloudtasks__civil;

/* Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil inverse,
   derived from the published algorithm description); no gmtime, so no shared static state. */
CLOUDTASKS__PRIVATE cloudtasks__civil cloudtasks__civil_from_unix(int64_t t) {
    cloudtasks__civil c;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c.year = (int)(yoe + era * 400 + (c.month <= 2));
    c.hour = (int)(secs / 3600);
    c.minute = (int)(secs / 60 % 60);
    c.second = (int)(secs % 60);
    c.weekday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    return c;
}

CLOUDTASKS__PRIVATE int64_t cloudtasks__unix_from_civil(int y, int m, int d, int hh, int mm, int ss) {
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* Writes v as exactly width decimal digits (the low ones) and returns the byte after them. */
CLOUDTASKS__PRIVATE char *cloudtasks__put_digits(char *out, unsigned v, int width) {
    int i;
    for (i = width - 1; i >= 0; i--) { out[i] = (char)('0' + v % 10); v /= 10; }
    return out + width;
}

/* "2026-11-29T19:36:06.890800+00:00": what Python's datetime.isoformat() writes and what
   Python 3.10's fromisoformat() reads. out needs 33 bytes. */
CLOUDTASKS__PRIVATE void cloudtasks__format_iso8601(char out[33], int64_t seconds, int32_t micros) {
    cloudtasks__civil c = cloudtasks__civil_from_unix(seconds);
    char *p = cloudtasks__put_digits(out, (unsigned)c.year, 4);
    *p++ = '-'; p = cloudtasks__put_digits(p, (unsigned)c.month, 2);
    *p++ = '-'; p = cloudtasks__put_digits(p, (unsigned)c.day, 2);
    *p++ = 'T'; p = cloudtasks__put_digits(p, (unsigned)c.hour, 2);
    *p++ = ':'; p = cloudtasks__put_digits(p, (unsigned)c.minute, 2);
    *p++ = ':'; p = cloudtasks__put_digits(p, (unsigned)c.second, 2);
    *p++ = '.'; p = cloudtasks__put_digits(p, (unsigned)micros, 6);
    memcpy(p, "+00:00", 7);
}

/* AWS's "20150830T123600Z" (out needs 17 bytes). */
CLOUDTASKS__PRIVATE void cloudtasks__format_amz_date(char out[17], int64_t seconds) {
    cloudtasks__civil c = cloudtasks__civil_from_unix(seconds);
    char *p = cloudtasks__put_digits(out, (unsigned)c.year, 4);
    p = cloudtasks__put_digits(p, (unsigned)c.month, 2);
    p = cloudtasks__put_digits(p, (unsigned)c.day, 2);
    *p++ = 'T';
    p = cloudtasks__put_digits(p, (unsigned)c.hour, 2);
    p = cloudtasks__put_digits(p, (unsigned)c.minute, 2);
    p = cloudtasks__put_digits(p, (unsigned)c.second, 2);
    memcpy(p, "Z", 2);
}

static const char cloudtasks__weekdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char cloudtasks__months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* HTTP's RFC 1123 date, "Sun, 06 Nov 1994 08:49:37 GMT" (out needs 30 bytes). */
CLOUDTASKS__PRIVATE void cloudtasks__format_rfc1123(char out[30], int64_t seconds) {
    cloudtasks__civil c = cloudtasks__civil_from_unix(seconds);
    char *p = out;
    memcpy(p, cloudtasks__weekdays[c.weekday], 3); p += 3;
    *p++ = ','; *p++ = ' '; p = cloudtasks__put_digits(p, (unsigned)c.day, 2);
    *p++ = ' '; memcpy(p, cloudtasks__months[c.month - 1], 3); p += 3;
    *p++ = ' '; p = cloudtasks__put_digits(p, (unsigned)c.year, 4);
    *p++ = ' '; p = cloudtasks__put_digits(p, (unsigned)c.hour, 2);
    *p++ = ':'; p = cloudtasks__put_digits(p, (unsigned)c.minute, 2);
    *p++ = ':'; p = cloudtasks__put_digits(p, (unsigned)c.second, 2);
    memcpy(p, " GMT", 5);
}

CLOUDTASKS__PRIVATE int cloudtasks__digits(const char *s, int n, int *out) {
    int v = 0, i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (also with a space for 'T'), as credential
   services write expiry times. Returns 1 and the Unix time, or 0 if the text is not such a time. */
CLOUDTASKS__PRIVATE int cloudtasks__parse_iso8601(const char *s, int64_t *out) {
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    size_t i = 19;
    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return 0;
    if (!cloudtasks__digits(s, 4, &y) || !cloudtasks__digits(s + 5, 2, &mo) || !cloudtasks__digits(s + 8, 2, &d) ||
        !cloudtasks__digits(s + 11, 2, &h) || !cloudtasks__digits(s + 14, 2, &mi) || !cloudtasks__digits(s + 17, 2, &se))
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return 0;
    if (s[i] == '.') { i++; while (s[i] >= '0' && s[i] <= '9') i++; }
    if (s[i] == 'Z' || s[i] == 'z') { i++; }
    else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '+' ? 1 : -1;
        if (!cloudtasks__digits(s + i + 1, 2, &oh)) return 0;
        i += 3;
        if (s[i] == ':') i++;
        if (!cloudtasks__digits(s + i, 2, &om)) return 0;
        i += 2;
    } else if (s[i] != '\0') return 0;
    if (s[i] != '\0') return 0;
    *out = cloudtasks__unix_from_civil(y, mo, d, h, mi, se) - sign * (oh * 3600 + om * 60);
    return 1;
}

/* Parses an RFC 1123 date ("Sun, 06 Nov 1994 08:49:37 GMT"). Returns 1 and the Unix time, or 0. */
CLOUDTASKS__PRIVATE int cloudtasks__parse_rfc1123(const char *s, int64_t *out) {
    int d, y, h, mi, se, mo;
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT") != 0)
        return 0;
    for (mo = 0; mo < 12; mo++)
        if (memcmp(s + 8, cloudtasks__months[mo], 3) == 0) break;
    if (mo == 12 || !cloudtasks__digits(s + 5, 2, &d) || !cloudtasks__digits(s + 12, 4, &y) ||
        !cloudtasks__digits(s + 17, 2, &h) || !cloudtasks__digits(s + 20, 2, &mi) || !cloudtasks__digits(s + 23, 2, &se))
        return 0;
    if (d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return 0;
    *out = cloudtasks__unix_from_civil(y, mo + 1, d, h, mi, se);
    return 1;
}

/* ---- encodings ---- */

static const char cloudtasks__hexdigits[] = "0123456789abcdef";

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
CLOUDTASKS__PRIVATE void cloudtasks__hex(char *out, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = cloudtasks__hexdigits[p[i] >> 4];
        out[2 * i + 1] = cloudtasks__hexdigits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

CLOUDTASKS__PRIVATE int cloudtasks__hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static const char cloudtasks__b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char cloudtasks__b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Appends base64 of n bytes: the standard alphabet with '=' padding (RFC 4648 §4), or with url set
   the URL-safe alphabet without padding (§5, as JWTs use). */
CLOUDTASKS__PRIVATE void cloudtasks__base64(cloudtasks__buf *b, const void *data, size_t n, int url) {
    const unsigned char *p = (const unsigned char *)data;
    const char *abc = url ? cloudtasks__b64url : cloudtasks__b64std;
    size_t i;
    char q[4];
    if (!cloudtasks__buf_reserve(b, (n + 2) / 3 * 4)) return;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        q[0] = abc[v >> 18]; q[1] = abc[v >> 12 & 63]; q[2] = abc[v >> 6 & 63]; q[3] = abc[v & 63];
        cloudtasks__buf_append(b, q, 4);
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        q[0] = abc[v >> 18]; q[1] = abc[v >> 12 & 63];
        q[2] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        q[3] = '=';
        cloudtasks__buf_append(b, q, url ? (i + 1 < n ? 3u : 2u) : 4u);
    }
}

/* Decodes base64 in either alphabet, padding optional. Returns 1, or 0 on a character outside the
   alphabet, misplaced padding or a dangling final character. */
CLOUDTASKS__PRIVATE int cloudtasks__base64_decode(cloudtasks__buf *out, const char *s, size_t n) {
    uint32_t acc = 0;
    int bits = 0;
    size_t i, pad = 0, digits = 0;
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i], v;
        if (c == '=') { pad++; continue; }
        if (pad) return 0;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+' || c == '-') v = 62;
        else if (c == '/' || c == '_') v = 63;
        else return 0;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        digits++;
        if (bits >= 8) {
            bits -= 8;
            cloudtasks__buf_putc(out, (char)(acc >> bits & 0xff));
        }
    }
    if (digits % 4 == 1 || pad > 2 || (pad && (digits + pad) % 4 != 0)) return 0;
    return !out->oom;
}

/* Percent-encoding. AWS (SigV4 canonical URIs and query strings) keeps only the RFC 3986 unreserved
   characters, optionally '/', and writes upper-case hex; form encoding
   (application/x-www-form-urlencoded) also keeps '*' and turns space into '+'. */
enum { CLOUDTASKS__URL_AWS = 0, CLOUDTASKS__URL_AWS_PATH = 1, CLOUDTASKS__URL_FORM = 2 };

CLOUDTASKS__PRIVATE void cloudtasks__url_encode(cloudtasks__buf *b, const char *s, size_t n, int mode) {
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.' || (c == '~' && mode != CLOUDTASKS__URL_FORM) ||
                   (c == '/' && mode == CLOUDTASKS__URL_AWS_PATH) || (c == '*' && mode == CLOUDTASKS__URL_FORM);
        if (keep) cloudtasks__buf_putc(b, (char)c);
        else if (c == ' ' && mode == CLOUDTASKS__URL_FORM) cloudtasks__buf_putc(b, '+');
        else {
            char e[3];
            e[0] = '%'; e[1] = hex[c >> 4]; e[2] = hex[c & 15];
            cloudtasks__buf_append(b, e, 3);
        }
    }
}

/* Decodes %XX (and '+' as space when form is set). Invalid escapes are kept as they are. */
CLOUDTASKS__PRIVATE void cloudtasks__url_decode(cloudtasks__buf *b, const char *s, size_t n, int form) {
    size_t i;
    for (i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = cloudtasks__hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = cloudtasks__hexval((unsigned char)s[i + 2])) >= 0) {
            cloudtasks__buf_putc(b, (char)(hi << 4 | lo));
            i += 2;
        } else if (s[i] == '+' && form) cloudtasks__buf_putc(b, ' ');
        else cloudtasks__buf_putc(b, s[i]);
    }
}

/* >>json ------------------------------------------------------------------------------------ */

/* A value is 16 bytes. Containers keep their children contiguous (an object as key, value, key,
   value...), so index access is O(1) and a whole document is one block: the header, every node,
   then every decoded string. */
struct cloudtasks_json {
    uint32_t type;
    uint32_t len;                          /* string bytes, array elements or object members */
    union {
        double number;
        const char *string;
        const cloudtasks_json *children;
        size_t open;                       /* while building: the enclosing open container */
    } u;
};

struct cloudtasks_json_doc {
    cloudtasks_json *nodes;                /* nodes[0] is the root */
    size_t count;
};

#define CLOUDTASKS__JSON_PLAIN 1           /* ASCII that stands for itself inside a string */
#define CLOUDTASKS__JSON_COPY 2            /* anything but '"' and '\\' */
static const unsigned char cloudtasks__json_class[256] = {
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
    3,3,0,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,
    3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,0,3,3,3,
    3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
    2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,};

typedef struct cloudtasks__json_input {
    const unsigned char *start, *begin, *end;  /* offsets count from start; parsing begins after a BOM */
    cloudtasks_error *err;
} cloudtasks__json_input;

#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#  define CLOUDTASKS__SWAR 1
#  define CLOUDTASKS__ONES UINT64_C(0x0101010101010101)
#  define CLOUDTASKS__HIGHS UINT64_C(0x8080808080808080)
/* Nonzero if any byte of w is zero / below n (n <= 128): the classic bit tricks, eight bytes at once. */
#  define CLOUDTASKS__HAS_ZERO(w) (((w) - CLOUDTASKS__ONES) & ~(w) & CLOUDTASKS__HIGHS)
#  define CLOUDTASKS__HAS_LESS(w, n) (((w) - CLOUDTASKS__ONES * (n)) & ~(w) & CLOUDTASKS__HIGHS)
#endif

/* Skips JSON whitespace. Pretty-printed documents indent every line, so the run of spaces after a
   newline is measured eight bytes at a time. */
CLOUDTASKS__PRIVATE const unsigned char *cloudtasks__json_ws_slow(const unsigned char *p, const unsigned char *end) {
    while (p < end) {
        unsigned char c = *p;
        if (c == ' ' || c == '\t' || c == '\r') { p++; continue; }
        if (c != '\n') return p;
        p++;
#ifdef CLOUDTASKS__SWAR
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            w ^= UINT64_C(0x2020202020202020);
            if (w) { p += __builtin_ctzll(w) / 8; break; }
            p += 8;
        }
#endif
    }
    return p;
}

static inline const unsigned char *cloudtasks__json_ws(const unsigned char *p, const unsigned char *end) {
    return p < end && *p > ' ' ? p : cloudtasks__json_ws_slow(p, end);
}

/* Reports "what was expected" at p, with line and column, and returns NULL for the caller to pass on. */
CLOUDTASKS__PRIVATE const unsigned char *cloudtasks__json_fail(const cloudtasks__json_input *in, const unsigned char *p,
                                                             int code, const char *expected) {
    if (in->err) {
        size_t line = 1, column = 1;
        const unsigned char *q;
        char found[32];
        for (q = in->start; q < p; q++) {
            if (*q == '\n') { line++; column = 1; }
            else if ((*q & 0xC0) != 0x80) column++;
        }
        if (p >= in->end) cloudtasks__copy(found, sizeof found, "the end of the text");
        else if (*p >= 0x21 && *p < 0x7F) snprintf(found, sizeof found, "'%c'", *p);
        else snprintf(found, sizeof found, "byte 0x%02X", *p);
        cloudtasks__fail(in->err, code, "JSON error at byte %zu (line %zu, column %zu): %s, found %s",
                         (size_t)(p - in->start), line, column, expected, found);
        in->err->offset = (size_t)(p - in->start);
    }
    return NULL;
}

/* Length of the valid UTF-8 sequence at p (Unicode table 3-7: no overlongs, no surrogates, nothing
   past U+10FFFF), or 0 if the bytes there are not one. */
static inline size_t cloudtasks__utf8_valid(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t n, i;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

CLOUDTASKS__PRIVATE char *cloudtasks__utf8_put(char *d, uint32_t cp) {
    if (cp < 0x80) { *d++ = (char)cp; }
    else if (cp < 0x800) { *d++ = (char)(0xC0 | cp >> 6); *d++ = (char)(0x80 | (cp & 63)); }
    else if (cp < 0x10000) {
        *d++ = (char)(0xE0 | cp >> 12); *d++ = (char)(0x80 | (cp >> 6 & 63)); *d++ = (char)(0x80 | (cp & 63));
    } else {
        *d++ = (char)(0xF0 | cp >> 18); *d++ = (char)(0x80 | (cp >> 12 & 63));
        *d++ = (char)(0x80 | (cp >> 6 & 63)); *d++ = (char)(0x80 | (cp & 63));
    }
    return d;
}

/* The 4 hex digits at p as a number, or -1 - (index of the first byte that is not one). */
CLOUDTASKS__PRIVATE long cloudtasks__hex4(const unsigned char *p, const unsigned char *end) {
    long v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        int h = p + i < end ? cloudtasks__hexval(p[i]) : -1;
        if (h < 0) return -1 - i;
        v = v << 4 | h;
    }
    return v;
}

/* Checks and decodes the string whose opening quote is at p into *cursor (with a NUL after it)
   and returns the byte after the closing quote. A lone UTF-16 surrogate has no UTF-8 form, so it
   becomes U+FFFD. The decoded text is never longer than the quoted text, which is how the caller
   sized the space. */
CLOUDTASKS__PRIVATE const unsigned char *cloudtasks__json_string(const cloudtasks__json_input *in, const unsigned char *p,
                                                               char **cursor, cloudtasks_json *v) {
    const unsigned char *end = in->end;
    char *d = *cursor, *start = d;
    p++;
    for (;;) {
#ifdef CLOUDTASKS__SWAR
        /* Copies eight bytes before looking at them: the decoded text never runs ahead of the
           input, so the store stays inside the space sized for the strings. */
        while (end - p >= 8) {
            uint64_t w, stop;
            memcpy(&w, p, 8);
            memcpy(d, &w, 8);
            stop = CLOUDTASKS__HAS_ZERO(w ^ UINT64_C(0x2222222222222222)) | CLOUDTASKS__HAS_ZERO(w ^ UINT64_C(0x5C5C5C5C5C5C5C5C)) |
                   CLOUDTASKS__HAS_LESS(w, 0x20) | (w & CLOUDTASKS__HIGHS);
            if (stop) {          /* the lowest flag marks the first byte that needs a look */
                p += __builtin_ctzll(stop) / 8;
                d += __builtin_ctzll(stop) / 8;
                break;
            }
            p += 8;
            d += 8;
        }
#endif
        while (p < end && (cloudtasks__json_class[*p] & CLOUDTASKS__JSON_PLAIN)) *d++ = (char)*p++;
        if (p == end) return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected '\"' to close the string");
        if (*p == '"') break;
        if (*p == '\\') {
            long cp, lo;
            if (p + 1 == end) return cloudtasks__json_fail(in, p + 1, CLOUDTASKS_EJSON, "expected an escape character after '\\'");
            switch (p[1]) {
            case '"': case '\\': case '/': *d++ = (char)p[1]; p += 2; continue;
            case 'b': *d++ = '\b'; p += 2; continue;
            case 'f': *d++ = '\f'; p += 2; continue;
            case 'n': *d++ = '\n'; p += 2; continue;
            case 'r': *d++ = '\r'; p += 2; continue;
            case 't': *d++ = '\t'; p += 2; continue;
            case 'u': break;
            default:
                return cloudtasks__json_fail(in, p + 1, CLOUDTASKS_EJSON, "expected one of \" \\ / b f n r t u after '\\'");
            }
            if ((cp = cloudtasks__hex4(p + 2, end)) < 0)
                return cloudtasks__json_fail(in, p + 2 + (-1 - cp), CLOUDTASKS_EJSON, "expected 4 hex digits after '\\u'");
            p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                (lo = cloudtasks__hex4(p + 2, end)) >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
            d = cloudtasks__utf8_put(d, (uint32_t)cp);
            continue;
        }
        if (*p < 0x20) return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected a control character in a string to be escaped");
        while (p < end && *p >= 0x80) {          /* a run of non-ASCII text */
            size_t n = cloudtasks__utf8_valid(p, end);
            if (!n) return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected valid UTF-8 in the string");
            do *d++ = (char)*p++; while (--n);
        }
    }
    *d = '\0';
    v->type = CLOUDTASKS_JSON_STRING;
    v->len = (uint32_t)(d - start);
    v->u.string = start;
    *cursor = d + 1;
    return p + 1;
}

static const double cloudtasks__pow10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#if defined(__SIZEOF_INT128__)
#define CLOUDTASKS__EXACT 1
__extension__ typedef unsigned __int128 cloudtasks__u128;

static const uint64_t cloudtasks__pow10_u64[20] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000), UINT64_C(100000),
    UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000), UINT64_C(10000000000),
    UINT64_C(100000000000), UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
    UINT64_C(1000000000000000), UINT64_C(10000000000000000), UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)};

/* n * 2^e2 rounded to the nearest double (ties to even); sticky says the true value lies a little
   above n. Only for results in the normal range. */
CLOUDTASKS__PRIVATE double cloudtasks__round_u128(cloudtasks__u128 n, int e2, int sticky) {
    int bits = 0, shift;
    uint64_t mant, word;
    double d;
    cloudtasks__u128 t = n;
    while (t >> 64) { t >>= 64; bits += 64; }
    for (word = (uint64_t)t; word; word >>= 1) bits++;
    shift = bits > 53 ? bits - 53 : 0;
    mant = (uint64_t)(n >> shift);
    if (shift > 0) {
        cloudtasks__u128 rest = n & (((cloudtasks__u128)1 << shift) - 1), half = (cloudtasks__u128)1 << (shift - 1);
        if (rest > half || (rest == half && (sticky || (mant & 1)))) mant++;
        if (mant >> 53) { mant >>= 1; shift++; }
    } else {
        while (!(mant >> 52)) { mant <<= 1; shift--; }
    }
    word = (uint64_t)(shift + e2 + 52 + 1023) << 52 | (mant & ((UINT64_C(1) << 52) - 1));
    memcpy(&d, &word, sizeof d);
    return d;
}

/* m * 10^e10 exactly rounded, with integer arithmetic only, for |e10| <= 19: a product of two
   64-bit numbers fits in 128 bits, and a quotient of m * 2^64 by 10^k keeps 54+ significant bits
   (the caller only comes here with m > 2^53), the remainder telling which way to round. */
CLOUDTASKS__PRIVATE int cloudtasks__json_exact(uint64_t m, long e10, double *out) {
    if (e10 >= 0 && e10 <= 19) {
        *out = cloudtasks__round_u128((cloudtasks__u128)m * cloudtasks__pow10_u64[e10], 0, 0);
        return 1;
    }
    if (e10 < 0 && e10 >= -19 && m > (UINT64_C(1) << 53)) {
        cloudtasks__u128 n = (cloudtasks__u128)m << 64, d = cloudtasks__pow10_u64[-e10];
        *out = cloudtasks__round_u128(n / d, -64, n % d != 0);
        return 1;
    }
    return 0;
}
#endif

/* Exactly the number whose checked text is [s, end): rewritten without its decimal point
   ("1234e-3"), which strtod reads the same in every locale. */
CLOUDTASKS__PRIVATE double cloudtasks__json_strtod(const unsigned char *s, const unsigned char *end) {
    char small[80], *text = small, *t;
    size_t n = (size_t)(end - s) + 24;
    long exponent = 0, point = 0;
    double x;
    const unsigned char *q;
    for (q = s; q < end && *q != 'e' && *q != 'E'; q++) {}
    if (q < end) {
        int negative = *++q == '-';
        if (*q == '+' || *q == '-') q++;
        for (; q < end && exponent < 100000000L; q++) exponent = exponent * 10 + (*q - '0');
        if (negative) exponent = -exponent;
    }
    if (n > sizeof small && !(text = (char *)CLOUDTASKS_MALLOC(n))) return 0.0; /* only when memory is exhausted */
    t = text;
    for (q = s; q < end && *q != 'e' && *q != 'E'; q++) {
        if (*q == '.') point = 1;
        else { *t++ = (char)*q; exponent -= point && *q != '-'; }
    }
    snprintf(t, 24, "e%ld", exponent);
    x = strtod(text, NULL);
    if (text != small) CLOUDTASKS_FREE(text);
    return x;
}

/* Checks the number at p and converts it to the nearest double. Up to 19 significant digits go
   through exact fast paths; anything else goes through strtod. */
CLOUDTASKS__PRIVATE const unsigned char *cloudtasks__json_number(const cloudtasks__json_input *in, const unsigned char *p,
                                                               double *out) {
    const unsigned char *s = p, *end = in->end;
    uint64_t m = 0;
    int negative = 0, digits = 0, dropped = 0;
    long e10 = 0, exponent = 0;
#define CLOUDTASKS__DIGIT(q) ((q) < end && *(q) >= '0' && *(q) <= '9')
    if (*p == '-') { negative = 1; p++; }
    if (!CLOUDTASKS__DIGIT(p)) return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected a digit");
    if (*p == '0') {
        p++;
        if (CLOUDTASKS__DIGIT(p)) return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected no digit after a leading zero");
    }
    for (; CLOUDTASKS__DIGIT(p); p++) {
        if (digits < 19) { m = m * 10 + (uint64_t)(*p - '0'); digits += m != 0; }
        else { e10++; dropped |= *p != '0'; }
    }
    if (p < end && *p == '.') {
        p++;
        if (!CLOUDTASKS__DIGIT(p)) return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected a digit after the decimal point");
        for (; CLOUDTASKS__DIGIT(p); p++) {
            if (digits < 19) { m = m * 10 + (uint64_t)(*p - '0'); digits += m != 0; e10--; }
            else dropped |= *p != '0';
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        int eneg = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (!CLOUDTASKS__DIGIT(p)) return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected a digit in the exponent");
        for (; CLOUDTASKS__DIGIT(p); p++)
            if (exponent < 100000000L) exponent = exponent * 10 + (*p - '0');
        e10 += eneg ? -exponent : exponent;
    }
#undef CLOUDTASKS__DIGIT
    if (m == 0) { *out = negative ? -0.0 : 0.0; return p; }
    if (!dropped) {
        if (m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
            double d = (double)m;
            d = e10 < 0 ? d / cloudtasks__pow10[-e10] : d * cloudtasks__pow10[e10];
            *out = negative ? -d : d;
            return p;
        }
#ifdef CLOUDTASKS__EXACT
        {
            double d;
            if (cloudtasks__json_exact(m, e10, &d)) { *out = negative ? -d : d; return p; }
        }
#endif
    }
    *out = cloudtasks__json_strtod(s, p);
    return p;
}

CLOUDTASKS__PRIVATE const unsigned char *cloudtasks__json_word(const cloudtasks__json_input *in, const unsigned char *p,
                                                             const char *word) {
    size_t i, n = strlen(word);
    for (i = 0; i < n; i++)
        if (p + i >= in->end || p[i] != (unsigned char)word[i]) {
            char what[32];
            snprintf(what, sizeof what, "expected '%s'", word);
            return cloudtasks__json_fail(in, p + i, CLOUDTASKS_EJSON, what);
        }
    return p + n;
}

/* A member's key, the ':' and the space before its value. */
CLOUDTASKS__PRIVATE const unsigned char *cloudtasks__json_key(const cloudtasks__json_input *in, const unsigned char *p,
                                                            char **cursor, cloudtasks_json *v) {
    p = cloudtasks__json_ws(p, in->end);
    if (p == in->end || *p != '"') return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected a string key");
    if (!(p = cloudtasks__json_string(in, p, cursor, v))) return NULL;
    p = cloudtasks__json_ws(p, in->end);
    if (p == in->end || *p != ':') return cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected ':' after the object key");
    return p + 1;
}

/* An upper bound on the nodes a text needs: every value or key but the root comes right after a
   '[', '{', ',' or ':'. Counting those bytes everywhere, inside strings too, is never too low and
   runs eight bytes at a time. */
CLOUDTASKS__PRIVATE size_t cloudtasks__json_node_bound(const unsigned char *p, const unsigned char *end) {
    size_t count = 1;
#ifdef CLOUDTASKS__SWAR
    const uint64_t low7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
    for (; end - p >= 8; p += 8) {
        uint64_t w, a, c, d;
        memcpy(&w, p, 8);
        a = (w | UINT64_C(0x2020202020202020)) ^ UINT64_C(0x7B7B7B7B7B7B7B7B); /* '[' | 0x20 is '{' */
        c = w ^ UINT64_C(0x2C2C2C2C2C2C2C2C);   /* ',' */
        d = w ^ UINT64_C(0x3A3A3A3A3A3A3A3A);   /* ':' */
        /* a byte's high bit ends up set exactly when that byte is nonzero */
        a = ((a & low7) + low7) | a;
        c = ((c & low7) + low7) | c;
        d = ((d & low7) + low7) | d;
        /* one flag bit per byte, summed by a multiply: no popcount instruction needed */
        count += (size_t)((((~(a & c & d) & CLOUDTASKS__HIGHS) >> 7) * CLOUDTASKS__ONES) >> 56);
    }
#endif
    for (; p < end; p++) count += *p == '[' || *p == '{' || *p == ',' || *p == ':';
    return count;
}

/* Checks the text and builds it into nodes in one pass, without recursion. Values are pushed on a
   stack that grows up from nodes[0]; when a container closes, its children move as one block to
   the top of the array, which grows down, so they end up contiguous and in order. Each node lives
   in at most one of the two regions and there are at most `bound` nodes, so they never meet. */
CLOUDTASKS__PRIVATE int cloudtasks__json_build(const cloudtasks__json_input *in, cloudtasks_json *nodes, size_t bound,
                                               char *strings) {
    const unsigned char *p = in->begin, *end = in->end;
    size_t top = 0, done = bound, open = SIZE_MAX, depth = 0;
    for (;;) {
        cloudtasks_json *v;
        p = cloudtasks__json_ws(p, end);
        if (p == end) return !!cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected a value");
        v = &nodes[top++];
        v->len = 0;
        switch (*p) {
        case '[': case '{':
            if (depth == CLOUDTASKS_JSON_MAX_DEPTH) {
                char what[80];
                snprintf(what, sizeof what, "expected at most %d nested arrays and objects", CLOUDTASKS_JSON_MAX_DEPTH);
                return !!cloudtasks__json_fail(in, p, CLOUDTASKS_EDEPTH, what);
            }
            depth++;
            v->type = *p == '{' ? CLOUDTASKS_JSON_OBJECT : CLOUDTASKS_JSON_ARRAY;
            v->u.open = open;
            open = top - 1;
            p = cloudtasks__json_ws(p + 1, end);
            if (p < end && *p == (v->type == CLOUDTASKS_JSON_OBJECT ? '}' : ']')) break; /* empty: closed below */
            if (v->type == CLOUDTASKS_JSON_OBJECT && !(p = cloudtasks__json_key(in, p, &strings, &nodes[top++]))) return 0;
            continue;
        case '"': if (!(p = cloudtasks__json_string(in, p, &strings, v))) return 0; break;
        case 't': v->type = CLOUDTASKS_JSON_TRUE; if (!(p = cloudtasks__json_word(in, p, "true"))) return 0; break;
        case 'f': v->type = CLOUDTASKS_JSON_FALSE; if (!(p = cloudtasks__json_word(in, p, "false"))) return 0; break;
        case 'n': v->type = CLOUDTASKS_JSON_NULL; if (!(p = cloudtasks__json_word(in, p, "null"))) return 0; break;
        default:
            if (*p != '-' && (*p < '0' || *p > '9'))
                return !!cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON,
                                               "expected a value (object, array, string, number, true, false or null)");
            v->type = CLOUDTASKS_JSON_NUMBER;
            if (!(p = cloudtasks__json_number(in, p, &v->u.number))) return 0;
            break;
        }
        /* After a value: close finished containers, then find the separator before the next one. */
        for (;;) {
            cloudtasks_json *c;
            size_t first, k;
            int object;
            p = cloudtasks__json_ws(p, end);
            if (open == SIZE_MAX) {
                if (p != end) return !!cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, "expected the end of the text after the JSON value");
                return 1;
            }
            c = &nodes[open];
            object = c->type == CLOUDTASKS_JSON_OBJECT;
            if (p < end && *p == ',') {
                p++;
                if (object && !(p = cloudtasks__json_key(in, p, &strings, &nodes[top++]))) return 0;
                break;
            }
            if (p == end || *p != (object ? '}' : ']'))
                return !!cloudtasks__json_fail(in, p, CLOUDTASKS_EJSON, object ? "expected ',' or '}' after an object member"
                                                                             : "expected ',' or ']' after an array element");
            p++;
            depth--;
            first = open + 1;
            k = top - first;
            done -= k;
            memmove(&nodes[done], &nodes[first], k * sizeof *nodes);
            open = c->u.open;
            c->u.children = &nodes[done];
            c->len = (uint32_t)(object ? k / 2 : k);
            top = first;
        }
    }
}

CLOUDTASKS__DEF cloudtasks_json_doc *cloudtasks_json_parse(const char *text, size_t len, cloudtasks_error *err) {
    cloudtasks__json_input in;
    cloudtasks_json_doc *doc;
    size_t bound, header, total;
    cloudtasks__error_clear(err);
    if (!text && len) { cloudtasks__fail(err, CLOUDTASKS_EINVAL, "cloudtasks_json_parse: text is NULL"); return NULL; }
    if (len > UINT32_MAX) {
        cloudtasks__fail(err, CLOUDTASKS_ERANGE, "JSON text of %zu bytes is larger than the 4 GiB the parser takes", len);
        return NULL;
    }
    in.start = in.begin = (const unsigned char *)text;
    in.end = in.start + len;
    in.err = err;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) in.begin += 3;
    /* One block: the header, the nodes, then the strings, which decode to at most the text's size. */
    bound = cloudtasks__json_node_bound(in.begin, in.end);
    header = (sizeof *doc + sizeof(cloudtasks_json) - 1) / sizeof(cloudtasks_json) * sizeof(cloudtasks_json);
    total = header + bound * sizeof(cloudtasks_json) + len + 1;
    doc = (cloudtasks_json_doc *)CLOUDTASKS_MALLOC(total);
    if (!doc) {
        cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory for a JSON document of %zu bytes", total);
        return NULL;
    }
    doc->nodes = (cloudtasks_json *)(void *)((char *)doc + header);
    doc->count = bound;
    if (!cloudtasks__json_build(&in, doc->nodes, bound, (char *)(doc->nodes + bound))) {
        CLOUDTASKS_FREE(doc);
        return NULL;
    }
    return doc;
}

CLOUDTASKS__DEF void cloudtasks_json_free(cloudtasks_json_doc *doc) { CLOUDTASKS_FREE(doc); }

CLOUDTASKS__DEF const cloudtasks_json *cloudtasks_json_root(const cloudtasks_json_doc *doc) {
    return doc ? &doc->nodes[0] : NULL;
}

CLOUDTASKS__DEF cloudtasks_json_type cloudtasks_json_typeof(const cloudtasks_json *v) {
    return v ? (cloudtasks_json_type)v->type : CLOUDTASKS_JSON_NULL;
}

CLOUDTASKS__DEF const cloudtasks_json *cloudtasks_json_get(const cloudtasks_json *object, const char *key) {
    size_t i, n;
    if (!object || object->type != CLOUDTASKS_JSON_OBJECT || !key) return NULL;
    n = strlen(key);
    for (i = object->len; i-- > 0;) {       /* from the end: the last of duplicate keys wins, as in Python */
        const cloudtasks_json *k = &object->u.children[2 * i];
        if (k->len == n && memcmp(k->u.string, key, n) == 0) return k + 1;
    }
    return NULL;
}

CLOUDTASKS__DEF size_t cloudtasks_json_length(const cloudtasks_json *v) {
    return v && (v->type == CLOUDTASKS_JSON_ARRAY || v->type == CLOUDTASKS_JSON_OBJECT) ? v->len : 0;
}

CLOUDTASKS__DEF const cloudtasks_json *cloudtasks_json_at(const cloudtasks_json *array, size_t index) {
    if (!array || array->type != CLOUDTASKS_JSON_ARRAY || index >= array->len) return NULL;
    return &array->u.children[index];
}

CLOUDTASKS__DEF double cloudtasks_json_number(const cloudtasks_json *v, double fallback) {
    return v && v->type == CLOUDTASKS_JSON_NUMBER ? v->u.number : fallback;
}

CLOUDTASKS__DEF int cloudtasks_json_bool(const cloudtasks_json *v, int fallback) {
    if (v && v->type == CLOUDTASKS_JSON_TRUE) return 1;
    if (v && v->type == CLOUDTASKS_JSON_FALSE) return 0;
    return fallback;
}

CLOUDTASKS__DEF const char *cloudtasks_json_string(const cloudtasks_json *v, size_t *len) {
    if (!v || v->type != CLOUDTASKS_JSON_STRING) { if (len) *len = 0; return NULL; }
    if (len) *len = v->len;
    return v->u.string;
}

CLOUDTASKS__DEF const char *cloudtasks_json_object_key(const cloudtasks_json *object, size_t index, size_t *len) {
    if (!object || object->type != CLOUDTASKS_JSON_OBJECT || index >= object->len) { if (len) *len = 0; return NULL; }
    return cloudtasks_json_string(&object->u.children[2 * index], len);
}

CLOUDTASKS__DEF const cloudtasks_json *cloudtasks_json_object_value(const cloudtasks_json *object, size_t index) {
    if (!object || object->type != CLOUDTASKS_JSON_OBJECT || index >= object->len) return NULL;
    return &object->u.children[2 * index + 1];
}

/* ---- writer ---- */

/* Grows *data to hold need bytes; the growth rule behind both cloudtasks__buf and the writer. */
CLOUDTASKS__PRIVATE int cloudtasks__grow(char **data, size_t *cap, size_t need) {
    size_t c = *cap ? *cap : 64;
    char *p;
    if (need <= *cap) return 1;
    while (c < need) c = c > SIZE_MAX / 2 ? need : c * 2;
    p = (char *)CLOUDTASKS_REALLOC(*data, c);
    if (!p) return 0;
    *data = p;
    *cap = c;
    return 1;
}

CLOUDTASKS__PRIVATE void cloudtasks__w_append(cloudtasks_json_writer *w, const char *s, size_t n) {
    if (w->error) return;
    if (n >= SIZE_MAX - w->len - 1 || !cloudtasks__grow(&w->data, &w->cap, w->len + n + 1)) {
        w->error = CLOUDTASKS_ENOMEM;
        return;
    }
    memcpy(w->data + w->len, s, n);
    w->len += n;
    w->data[w->len] = '\0';
}

/* Writes s as a JSON string body (without quotes) through append; invalid UTF-8 becomes U+FFFD.
   Shared by the writer and the event log, which build text in different buffers. */
typedef void (*cloudtasks__append_fn)(void *sink, const char *s, size_t n);
CLOUDTASKS__PRIVATE void cloudtasks__json_escape(cloudtasks__append_fn append, void *sink, const char *s, size_t n) {
    static const char short_escapes[] = "btn\0fr"; /* for \b \t \n, (\v has none), \f \r */
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *q = p;
        size_t k;
        while (q < end && (cloudtasks__json_class[*q] & CLOUDTASKS__JSON_PLAIN)) q++;
        if (q > p) append(sink, (const char *)p, (size_t)(q - p));
        p = q;
        if (p == end) break;
        if (*p == '"' || *p == '\\') {
            char e[2];
            e[0] = '\\'; e[1] = (char)*p;
            append(sink, e, 2);
            p++;
        } else if (*p < 0x20) {
            char e[7];
            if (*p >= '\b' && *p <= '\r' && short_escapes[*p - '\b']) {
                e[0] = '\\'; e[1] = short_escapes[*p - '\b'];
                append(sink, e, 2);
            } else {
                snprintf(e, sizeof e, "\\u%04x", *p);
                append(sink, e, 6);
            }
            p++;
        } else if ((k = cloudtasks__utf8_valid(p, end)) != 0) {
            append(sink, (const char *)p, k);
            p += k;
        } else {
            append(sink, "\xEF\xBF\xBD", 3);
            p++;
        }
    }
}

CLOUDTASKS__PRIVATE void cloudtasks__w_sink(void *w, const char *s, size_t n) {
    cloudtasks__w_append((cloudtasks_json_writer *)w, s, n);
}

/* The shortest text that reads back as x: integers exactly, otherwise the fewest of 15, 16 or
   17 significant digits that round-trip. printf and strtod agree on the locale's decimal point,
   which is then written as '.'. Returns the length (out needs 32 bytes). */
CLOUDTASKS__PRIVATE size_t cloudtasks__format_double(char out[32], double x) {
    int precision;
    size_t i, n;
    if (x != x) return (size_t)snprintf(out, 32, "null");
    if (x > DBL_MAX) return (size_t)snprintf(out, 32, "1e999");
    if (x < -DBL_MAX) return (size_t)snprintf(out, 32, "-1e999");
    if (x == 0) return (size_t)snprintf(out, 32, "%s", 1 / x < 0 ? "-0" : "0");
    if (x >= -9007199254740992.0 && x <= 9007199254740992.0 && x == (double)(int64_t)x)
        return (size_t)snprintf(out, 32, "%lld", (long long)(int64_t)x);
    /* normal doubles carry at least 15 digits; subnormals fewer, so their search starts at 1 */
    for (precision = x > -DBL_MIN && x < DBL_MIN ? 1 : 15; precision < 17; precision++) {
        snprintf(out, 32, "%.*g", precision, x);
        if (strtod(out, NULL) == x) break;
    }
    if (precision == 17) snprintf(out, 32, "%.17g", x);
    n = strlen(out);
    for (i = 0; i < n; i++) {
        char c = out[i];
        if ((c < '0' || c > '9') && c != '-' && c != '+' && c != 'e') {
            size_t j = i + 1;
            while (j < n && (out[j] < '0' || out[j] > '9')) j++;  /* a multi-byte decimal point */
            out[i] = '.';
            memmove(out + i + 1, out + j, n - j + 1);
            n -= j - i - 1;
            break;
        }
    }
    return n;
}

CLOUDTASKS__DEF void cloudtasks_json_writer_init(cloudtasks_json_writer *w) {
    memset(w, 0, sizeof *w);
}

CLOUDTASKS__DEF void cloudtasks_json_writer_free(cloudtasks_json_writer *w) {
    CLOUDTASKS_FREE(w->data);
    memset(w, 0, sizeof *w);
}

/* Checks that a value may come here and writes the ',' before it. */
CLOUDTASKS__PRIVATE int cloudtasks__w_value(cloudtasks_json_writer *w) {
    if (w->error) return 0;
    if (w->depth > 0 ? (w->in_object[w->depth - 1] && w->expect_key) : w->separator) {
        w->error = CLOUDTASKS_EINVAL;   /* a value without a key, or a second top-level value */
        return 0;
    }
    if (w->separator && w->depth > 0) cloudtasks__w_append(w, ",", 1);
    return !w->error;
}

CLOUDTASKS__PRIVATE void cloudtasks__w_done(cloudtasks_json_writer *w) {
    w->separator = 1;
    w->expect_key = w->depth > 0 && w->in_object[w->depth - 1];
}

CLOUDTASKS__PRIVATE void cloudtasks__w_open(cloudtasks_json_writer *w, int object) {
    if (!cloudtasks__w_value(w)) return;
    if (w->depth == CLOUDTASKS_JSON_WRITER_MAX_DEPTH) { w->error = CLOUDTASKS_EINVAL; return; }
    cloudtasks__w_append(w, object ? "{" : "[", 1);
    w->in_object[w->depth++] = (unsigned char)object;
    w->separator = 0;
    w->expect_key = object;
}

CLOUDTASKS__PRIVATE void cloudtasks__w_close(cloudtasks_json_writer *w, int object) {
    if (w->error) return;
    if (w->depth == 0 || w->in_object[w->depth - 1] != object || (object && !w->expect_key)) {
        w->error = CLOUDTASKS_EINVAL;   /* nothing open, the wrong kind, or a key without a value */
        return;
    }
    w->depth--;
    cloudtasks__w_append(w, object ? "}" : "]", 1);
    cloudtasks__w_done(w);
}

CLOUDTASKS__DEF void cloudtasks_json_begin_object(cloudtasks_json_writer *w) { cloudtasks__w_open(w, 1); }
CLOUDTASKS__DEF void cloudtasks_json_end_object(cloudtasks_json_writer *w) { cloudtasks__w_close(w, 1); }
CLOUDTASKS__DEF void cloudtasks_json_begin_array(cloudtasks_json_writer *w) { cloudtasks__w_open(w, 0); }
CLOUDTASKS__DEF void cloudtasks_json_end_array(cloudtasks_json_writer *w) { cloudtasks__w_close(w, 0); }

CLOUDTASKS__DEF void cloudtasks_json_key(cloudtasks_json_writer *w, const char *key) {
    if (w->error) return;
    if (!key || w->depth == 0 || !w->in_object[w->depth - 1] || !w->expect_key) { w->error = CLOUDTASKS_EINVAL; return; }
    if (w->separator) cloudtasks__w_append(w, ",", 1);
    cloudtasks__w_append(w, "\"", 1);
    cloudtasks__json_escape(cloudtasks__w_sink, w, key, strlen(key));
    cloudtasks__w_append(w, "\":", 2);
    w->separator = 0;
    w->expect_key = 0;
}

CLOUDTASKS__DEF void cloudtasks_json_write_string(cloudtasks_json_writer *w, const char *s, size_t len) {
    if (!s && len) { w->error = w->error ? w->error : CLOUDTASKS_EINVAL; return; }
    if (!cloudtasks__w_value(w)) return;
    cloudtasks__w_append(w, "\"", 1);
    cloudtasks__json_escape(cloudtasks__w_sink, w, s, len);
    cloudtasks__w_append(w, "\"", 1);
    cloudtasks__w_done(w);
}

CLOUDTASKS__DEF void cloudtasks_json_write_cstring(cloudtasks_json_writer *w, const char *s) {
    if (s) cloudtasks_json_write_string(w, s, strlen(s));
    else cloudtasks_json_write_null(w);
}

CLOUDTASKS__PRIVATE void cloudtasks__w_literal(cloudtasks_json_writer *w, const char *text, size_t n) {
    if (!cloudtasks__w_value(w)) return;
    cloudtasks__w_append(w, text, n);
    cloudtasks__w_done(w);
}

CLOUDTASKS__DEF void cloudtasks_json_write_number(cloudtasks_json_writer *w, double x) {
    char text[32];
    size_t n = cloudtasks__format_double(text, x);
    cloudtasks__w_literal(w, text, n);
}

CLOUDTASKS__DEF void cloudtasks_json_write_int(cloudtasks_json_writer *w, int64_t x) {
    char text[24];
    int n = snprintf(text, sizeof text, "%lld", (long long)x);
    cloudtasks__w_literal(w, text, (size_t)n);
}

CLOUDTASKS__DEF void cloudtasks_json_write_bool(cloudtasks_json_writer *w, int b) {
    if (b) cloudtasks__w_literal(w, "true", 4);
    else cloudtasks__w_literal(w, "false", 5);
}

CLOUDTASKS__DEF void cloudtasks_json_write_null(cloudtasks_json_writer *w) { cloudtasks__w_literal(w, "null", 4); }

/* Compact text of a parsed value. Documents are at most CLOUDTASKS_JSON_MAX_DEPTH deep, which
   bounds the recursion. */
CLOUDTASKS__PRIVATE void cloudtasks__json_serialize(cloudtasks__append_fn append, void *sink, const cloudtasks_json *v) {
    char text[32];
    uint32_t i;
    switch (v->type) {
    case CLOUDTASKS_JSON_NULL: append(sink, "null", 4); break;
    case CLOUDTASKS_JSON_FALSE: append(sink, "false", 5); break;
    case CLOUDTASKS_JSON_TRUE: append(sink, "true", 4); break;
    case CLOUDTASKS_JSON_NUMBER: append(sink, text, cloudtasks__format_double(text, v->u.number)); break;
    case CLOUDTASKS_JSON_STRING:
        append(sink, "\"", 1);
        cloudtasks__json_escape(append, sink, v->u.string, v->len);
        append(sink, "\"", 1);
        break;
    case CLOUDTASKS_JSON_ARRAY:
        append(sink, "[", 1);
        for (i = 0; i < v->len; i++) {
            if (i) append(sink, ",", 1);
            cloudtasks__json_serialize(append, sink, &v->u.children[i]);
        }
        append(sink, "]", 1);
        break;
    default:
        append(sink, "{", 1);
        for (i = 0; i < v->len; i++) {
            if (i) append(sink, ",", 1);
            cloudtasks__json_serialize(append, sink, &v->u.children[2 * i]);
            append(sink, ":", 1);
            cloudtasks__json_serialize(append, sink, &v->u.children[2 * i + 1]);
        }
        append(sink, "}", 1);
        break;
    }
}

CLOUDTASKS__DEF void cloudtasks_json_write_value(cloudtasks_json_writer *w, const cloudtasks_json *v) {
    if (!v) { cloudtasks_json_write_null(w); return; }
    if (!cloudtasks__w_value(w)) return;
    cloudtasks__json_serialize(cloudtasks__w_sink, w, v);
    cloudtasks__w_done(w);
}

CLOUDTASKS__DEF void cloudtasks_json_write_raw(cloudtasks_json_writer *w, const char *json, size_t len) {
    cloudtasks_json_doc *doc;
    if (w->error) return;
    if (!(doc = cloudtasks_json_parse(json, len, NULL))) { w->error = CLOUDTASKS_EINVAL; return; }
    cloudtasks_json_write_value(w, cloudtasks_json_root(doc));
    cloudtasks_json_free(doc);
}

#endif /* CLOUDTASKS_IMPLEMENTATION_ONCE */
#endif /* CLOUDTASKS_IMPLEMENTATION */

/*
   REVISION HISTORY
       0.1.0 (2026-11-29)  first release: JSON parser and writer, base utilities

   ------------------------------------------------------------------------------------------------
   MIT License

   Copyright (c) 2026 the cloudtasks.h authors

   Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
   associated documentation files (the "Software"), to deal in the Software without restriction,
   including without limitation the rights to use, copy, modify, merge, publish, distribute,
   sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
   furnished to do so, subject to the following conditions:

   The above copyright notice and this permission notice shall be included in all copies or
   substantial portions of the Software.

   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
   NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
   NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
   DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
   OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
*/

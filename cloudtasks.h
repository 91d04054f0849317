/* cloudtasks.h - v0.1.0 - 2026-11-29 - one C function becomes a production cloud task worker.

   Pulls tasks from AWS SQS or Google Cloud Pub/Sub (Azure Service Bus: planned) or a task file, runs
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
       CLOUDTASKS_MAX_RECORD_BYTES implementation file: the largest task-file record (default 64 MiB);
                                   a larger one is reported and ends the reading of that file.
       CLOUDTASKS_MAX_RESULT_BYTES implementation file: the largest task result (default 1 MiB); a
                                   larger one is cut and sent as a JSON string saying so.

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

   WORKER
       cloudtasks_worker_main() (or cloudtasks_worker_run() with hooks) is the whole program: it
       reads the configuration (docs/configuration.md), runs each task in a task process and
       writes an event per outcome. A task returns CLOUDTASKS_DONE, CLOUDTASKS_RETRY,
       CLOUDTASKS_FAILED or CLOUDTASKS_NO_MEMORY; see docs/worker.md for the outcome -> event ->
       queue action table. It installs handlers for SIGINT and SIGTERM (first: graceful stop;
       second: immediate) and ignores SIGPIPE, for as long as it runs.

   THREADING AND FORK
       The JSON functions, the writer and cloudtasks_sigv4_authorization are reentrant: separate
       documents and writers may be used from separate threads at once.
       The worker is three kinds of process. The supervisor (the calling process) reads tasks,
       talks to task processes and writes events; on a cloud queue it also runs network threads
       (long polls, acknowledgements, events), started only after the pool was forked. The pool, forked first, before anything else
       happens, is single-threaded and only forks, kills and reaps task processes; it hands each
       task process's socket to the supervisor, so tasks and results never pass through it. Task
       processes run the task function, one task at a time. Nothing is ever forked from a process
       that has started a thread or initialised libcurl, so the one rule for the program is: start
       no thread and do not initialise libcurl before calling cloudtasks_worker_main(); per-process
       set-up belongs in the process_init hook, which runs inside each task process.
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
/* Writes the JSON text json (len bytes) as one value: it is parsed and written compactly, so its
   layout is not kept and numbers go through doubles. EINVAL if it is not valid JSON. */
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
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#  include <sys/prctl.h>
#endif
#include <bearssl.h>

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
#else
#  define CLOUDTASKS__PRIVATE static
#  define CLOUDTASKS__PRINTF(f, a)
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
    b->data[b->len] = '\0';
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

/* Frees a buffer that held a secret, zeroing it first (volatile: a store the compiler keeps). */
CLOUDTASKS__PRIVATE void cloudtasks__buf_wipe(cloudtasks__buf *b) {
    volatile char *v = b->data;
    size_t i;
    for (i = 0; v && i < b->cap; i++) v[i] = 0;
    cloudtasks__buf_free(b);
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

/* JSON's whitespace (never NUL). */
CLOUDTASKS__PRIVATE int cloudtasks__is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* ASCII case folding, independent of the locale. */
CLOUDTASKS__PRIVATE int cloudtasks__ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

CLOUDTASKS__PRIVATE int cloudtasks__strcaseeq(const char *a, const char *b) {
    while (*a && cloudtasks__ascii_lower((unsigned char)*a) == cloudtasks__ascii_lower((unsigned char)*b)) { a++; b++; }
    return *a == '\0' && *b == '\0';
}

/* The text of an errno value (strerror is not thread-safe; strerror_r has two signatures). */
CLOUDTASKS__PRIVATE const char *cloudtasks__errno_text(int e, char *buf, size_t size) {
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, buf, size);
#else
    if (strerror_r(e, buf, size) != 0) snprintf(buf, size, "error %d", e);
    return buf;
#endif
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

/* Log lines go to stderr as "2026-11-29 19:36:06.890 WARNING - message", each in one write so the
   lines of the supervisor, the pool and the task processes never interleave mid-line. */
enum { CLOUDTASKS__DEBUG, CLOUDTASKS__INFO, CLOUDTASKS__WARNING, CLOUDTASKS__ERROR };
static int cloudtasks__log_level = CLOUDTASKS__INFO;   /* the worker's process-wide log level */
static int cloudtasks__progress_shown;                 /* a progress line sits on the terminal */

CLOUDTASKS__PRIVATE CLOUDTASKS__PRINTF(2, 3) void cloudtasks__log(int level, const char *fmt, ...) {
    static const char *const names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
    char line[2048], stamp[33];
    int64_t seconds;
    int32_t micros;
    size_t n;
    va_list ap;
    if (level < cloudtasks__log_level) return;
    cloudtasks__wall(&seconds, &micros);
    cloudtasks__format_iso8601(stamp, seconds, micros);
    stamp[10] = ' ';   /* "2026-11-29 19:36:06.890" */
    n = (size_t)snprintf(line, sizeof line, "%s%.23s %s - ", cloudtasks__progress_shown ? "\r\033[K" : "", stamp, names[level]);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    n = strlen(line);
    if (n > sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    while (write(2, line, n) < 0 && errno == EINTR) {}
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

CLOUDTASKS__PRIVATE int cloudtasks__days_in_month(int y, int m) {
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
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
    if (mo < 1 || mo > 12 || d < 1 || d > cloudtasks__days_in_month(y, mo) || h > 23 || mi > 59 || se > 60) return 0;
    if (s[i] == '.') {
        i++;
        if (s[i] < '0' || s[i] > '9') return 0;
        while (s[i] >= '0' && s[i] <= '9') i++;
    }
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
    if (d < 1 || d > cloudtasks__days_in_month(y, mo + 1) || h > 23 || mi > 59 || se > 60) return 0;
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
        while (mant && !(mant >> 52)) { mant <<= 1; shift--; }
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
    in.start = in.begin = (const unsigned char *)(len ? text : "");
    in.end = in.start + len;
    in.err = err;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) in.begin += 3;
    /* One block: the header, the nodes, then the strings, which decode to at most the text's size. */
    bound = cloudtasks__json_node_bound(in.begin, in.end);
    header = (sizeof *doc + sizeof(cloudtasks_json) - 1) / sizeof(cloudtasks_json) * sizeof(cloudtasks_json);
    if (bound > (SIZE_MAX - header - len - 1) / sizeof(cloudtasks_json)) {   /* 32-bit size_t and huge input */
        cloudtasks__fail(err, CLOUDTASKS_ERANGE, "JSON text of %zu bytes needs more memory than this system can address", len);
        return NULL;
    }
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
    /* normal doubles carry at least 15 digits; subnormals fewer, so their search starts at 1. At
       most 24 characters ("-1.2345678901234567e-308"); the wider scratch spares compilers that
       cannot see that bound a truncation warning. */
    for (precision = x > -DBL_MIN && x < DBL_MIN ? 1 : 15; precision <= 17; precision++) {
        char t[48];
        snprintf(t, sizeof t, "%.*g", precision, x);
        cloudtasks__copy(out, 32, t);
        if (precision == 17 || strtod(out, NULL) == x) break;
    }
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


/* Where the value of a member lies in the text of a valid JSON object: start and length, without
   surrounding space. With duplicate keys the last wins, as in cloudtasks_json_get. Keys are
   compared as written, so an object with any escaped key is not searched (the caller falls back). This
   lets task data and results travel as written: numbers beyond a double's 53 bits stay exact. */
CLOUDTASKS__PRIVATE int cloudtasks__json_member_span(const char *text, size_t len, const char *key, size_t *start, size_t *span) {
    size_t i = 0, klen = strlen(key);
    int found = 0;
    while (i < len && cloudtasks__is_space(text[i])) i++;
    if (i == len || text[i] != '{') return 0;
    for (i++;;) {
        size_t k0, k1, v0, depth = 0;
        int escaped = 0, in_string = 0;
        while (i < len && cloudtasks__is_space(text[i])) i++;
        if (i >= len || text[i] != '"') return found;
        k0 = ++i;
        while (i < len && text[i] != '"') { if (text[i] == '\\') { escaped = 1; i++; } i++; }
        k1 = i++;
        while (i < len && (cloudtasks__is_space(text[i]) || text[i] == ':')) i++;
        v0 = i;
        for (; i < len; i++) {
            char c = text[i];
            if (in_string) { if (c == '\\') i++; else if (c == '"') in_string = 0; }
            else if (c == '"') in_string = 1;
            else if (c == '[' || c == '{') depth++;
            else if ((c == ']' || c == '}') && depth > 0) depth--;
            else if (depth == 0 && (c == ',' || c == '}')) break;
        }
        if (escaped) return 0;   /* an escaped key might spell the same name: let the caller decide */
        if (k1 - k0 == klen && memcmp(text + k0, key, klen) == 0) {
            size_t v1 = i;
            while (v1 > v0 && cloudtasks__is_space(text[v1 - 1])) v1--;
            *start = v0;
            *span = v1 - v0;
            found = 1;
        }
        if (i >= len || text[i] != ',') return found;
        i++;
    }
}

/* >>crypto ---------------------------------------------------------------------------------- */

CLOUDTASKS__PRIVATE void cloudtasks__sha256(const void *data, size_t n, unsigned char out[32]) {
    br_sha256_context c;
    br_sha256_init(&c);
    br_sha256_update(&c, data, n);
    br_sha256_out(&c, out);
}

CLOUDTASKS__PRIVATE void cloudtasks__hmac_sha256(const void *key, size_t key_len, const void *data, size_t n, unsigned char out[32]) {
    br_hmac_key_context kc;
    br_hmac_context c;
    br_hmac_key_init(&kc, &br_sha256_vtable, key, key_len);
    br_hmac_init(&c, &kc, 0);
    br_hmac_update(&c, data, n);
    br_hmac_out(&c, out);
}

/* RSA private keys from PEM (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY", LF or CRLF, with or
   without a final newline), and RSASSA-PKCS1-v1_5 SHA-256 signatures (RS256). The DER is read
   here, strictly and within bounds, rather than by BearSSL's key decoder: releases before its
   2018 fix write past their buffer on oversized numbers, and distributions still ship them. */
enum { CLOUDTASKS__RSA_MAX_BYTES = 512, CLOUDTASKS__RSA_HALF_BYTES = 260 };   /* 4096-bit keys, BearSSL's limit */

typedef struct cloudtasks__rsa_key {
    br_rsa_private_key sk;       /* points into the arrays below */
    unsigned char p[CLOUDTASKS__RSA_HALF_BYTES], q[CLOUDTASKS__RSA_HALF_BYTES], dp[CLOUDTASKS__RSA_HALF_BYTES],
        dq[CLOUDTASKS__RSA_HALF_BYTES], iq[CLOUDTASKS__RSA_HALF_BYTES];
    int ok;
} cloudtasks__rsa_key;

/* A DER element: its tag and its contents [p, end). */
typedef struct cloudtasks__der { int tag; const unsigned char *p, *end; } cloudtasks__der;

/* Reads the element at *at (before end) and moves *at past it; 0 if it is malformed. */
CLOUDTASKS__PRIVATE int cloudtasks__der_next(const unsigned char **at, const unsigned char *end, cloudtasks__der *e) {
    const unsigned char *p = *at;
    size_t len, k;
    if (end - p < 2) return 0;
    e->tag = *p++;
    len = *p++;
    if (len & 0x80) {
        k = len & 0x7f;
        if (k == 0 || k > 3 || (size_t)(end - p) < k) return 0;
        for (len = 0; k > 0; k--) len = len << 8 | *p++;
    }
    if (len > (size_t)(end - p)) return 0;
    e->p = p;
    e->end = p + len;
    *at = e->end;
    return 1;
}

/* A positive INTEGER without its leading zeros, copied into out (size bytes at most). */
CLOUDTASKS__PRIVATE int cloudtasks__der_uint(const unsigned char **at, const unsigned char *end, unsigned char *out, size_t size, size_t *len) {
    cloudtasks__der e;
    if (!cloudtasks__der_next(at, end, &e) || e.tag != 0x02 || e.p == e.end || (*e.p & 0x80)) return 0;
    while (e.p < e.end && *e.p == 0) e.p++;
    *len = (size_t)(e.end - e.p);
    if (*len == 0 || *len > size) return 0;
    if (out) memcpy(out, e.p, *len);
    return 1;
}

/* Fills the key from DER: PKCS#8 PrivateKeyInfo (rsaEncryption) or a PKCS#1 RSAPrivateKey. */
CLOUDTASKS__PRIVATE const char *cloudtasks__rsa_key_from_der(cloudtasks__rsa_key *k, const unsigned char *der, size_t n) {
    static const unsigned char rsa_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
    unsigned char modulus[CLOUDTASKS__RSA_MAX_BYTES];
    const unsigned char *at = der, *end, *q;
    cloudtasks__der seq, e;
    size_t len, mlen;
    if (!der || n < 2) return "it is empty";
    end = der + n;
    if (!cloudtasks__der_next(&at, end, &seq) || seq.tag != 0x30) return "it is not a DER sequence";
    at = seq.p;
    if (!cloudtasks__der_next(&at, seq.end, &e) || e.tag != 0x02 || e.end - e.p != 1 || *e.p != 0) return "its version is not 0";
    q = at;
    if (!cloudtasks__der_next(&q, seq.end, &e)) return "it is truncated";
    if (e.tag == 0x30) {   /* PKCS#8: AlgorithmIdentifier, then the RSAPrivateKey in an OCTET STRING */
        const unsigned char *a = e.p;
        cloudtasks__der oid, inner;
        if (!cloudtasks__der_next(&a, e.end, &oid) || oid.tag != 0x06) return "its algorithm is missing";
        if ((size_t)(oid.end - oid.p) != sizeof rsa_oid || memcmp(oid.p, rsa_oid, sizeof rsa_oid) != 0) return "not an RSA key";
        if (!cloudtasks__der_next(&q, seq.end, &inner) || inner.tag != 0x04) return "its key is missing";
        return cloudtasks__rsa_key_from_der(k, inner.p, (size_t)(inner.end - inner.p));
    }
    /* PKCS#1: n, e, d, p, q, dp, dq, qi; BearSSL signs with the CRT numbers and n's size */
    if (!cloudtasks__der_uint(&at, seq.end, modulus, sizeof modulus, &mlen) ||
        !cloudtasks__der_uint(&at, seq.end, NULL, CLOUDTASKS__RSA_MAX_BYTES, &len) ||   /* e and d: checked, not kept */
        !cloudtasks__der_uint(&at, seq.end, NULL, CLOUDTASKS__RSA_MAX_BYTES, &len))
        return "its modulus or exponents are malformed or larger than 4096 bits";
    if (!cloudtasks__der_uint(&at, seq.end, k->p, sizeof k->p, &k->sk.plen) || !cloudtasks__der_uint(&at, seq.end, k->q, sizeof k->q, &k->sk.qlen) ||
        !cloudtasks__der_uint(&at, seq.end, k->dp, sizeof k->dp, &k->sk.dplen) ||
        !cloudtasks__der_uint(&at, seq.end, k->dq, sizeof k->dq, &k->sk.dqlen) ||
        !cloudtasks__der_uint(&at, seq.end, k->iq, sizeof k->iq, &k->sk.iqlen))
        return "its prime factors are malformed or too large";
    k->sk.n_bitlen = (uint32_t)(mlen * 8);
    for (len = 0x80; len && !(modulus[0] & len); len >>= 1) k->sk.n_bitlen--;
    if (k->sk.n_bitlen < 1024) return "its modulus is shorter than 1024 bits";
    k->sk.p = k->p;
    k->sk.q = k->q;
    k->sk.dp = k->dp;
    k->sk.dq = k->dq;
    k->sk.iq = k->iq;
    return NULL;
}

CLOUDTASKS__PRIVATE void cloudtasks__der_collect(void *ctx, const void *data, size_t n) {
    cloudtasks__buf *b = (cloudtasks__buf *)ctx;
    if (b->len + n > 16384) { b->oom = 1; return; }   /* no real RSA key is that large */
    cloudtasks__buf_append(b, data, n);
}

CLOUDTASKS__PRIVATE int cloudtasks__rsa_key_from_pem(cloudtasks__rsa_key *k, const char *pem, size_t len, cloudtasks_error *err) {
    br_pem_decoder_context pc;
    cloudtasks__buf lf = {0}, der = {0};
    const char *p, *why = NULL;
    size_t i, left;
    int in_key = 0, done = 0, bad = 0;
    memset(k, 0, sizeof *k);
    /* BearSSL's PEM reader takes LF line ends only, and needs the last line ended */
    for (i = 0; i < len; i++)
        if (pem[i] != '\r') cloudtasks__buf_putc(&lf, pem[i]);
    cloudtasks__buf_putc(&lf, '\n');
    if (lf.oom) { cloudtasks__buf_wipe(&lf); return cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory"); }
    br_pem_decoder_init(&pc);
    for (p = lf.data, left = lf.len; left > 0 && !done && !bad;) {
        size_t used = br_pem_decoder_push(&pc, p, left);
        p += used;
        left -= used;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            in_key = strcmp(br_pem_decoder_name(&pc), "PRIVATE KEY") == 0 || strcmp(br_pem_decoder_name(&pc), "RSA PRIVATE KEY") == 0;
            der.len = 0;
            br_pem_decoder_setdest(&pc, in_key ? cloudtasks__der_collect : NULL, &der);
            break;
        case BR_PEM_END_OBJ: done = in_key; break;
        case BR_PEM_ERROR: bad = 1; break;
        default: break;
        }
    }
    cloudtasks__buf_wipe(&lf);   /* it held the key */
    if (done && !der.oom) why = cloudtasks__rsa_key_from_der(k, (const unsigned char *)der.data, der.len);
    cloudtasks__buf_wipe(&der);
    if (bad) return cloudtasks__fail(err, CLOUDTASKS_ECRYPTO, "the private key is not valid PEM");
    if (!done) return cloudtasks__fail(err, CLOUDTASKS_ECRYPTO, "no \"PRIVATE KEY\" or \"RSA PRIVATE KEY\" block in the private key");
    if (der.oom) return cloudtasks__fail(err, CLOUDTASKS_ECRYPTO, "the private key cannot be decoded: it is larger than any RSA key");
    if (why && strcmp(why, "not an RSA key") == 0) return cloudtasks__fail(err, CLOUDTASKS_ECRYPTO, "the private key is not an RSA key");
    if (why) return cloudtasks__fail(err, CLOUDTASKS_ECRYPTO, "the private key cannot be decoded: %s", why);
    k->ok = 1;
    return CLOUDTASKS_OK;
}

/* Appends the RS256 signature of data to sig. */
CLOUDTASKS__PRIVATE int cloudtasks__rsa_sign_sha256(const cloudtasks__rsa_key *k, const void *data, size_t n, cloudtasks__buf *sig,
                                                    cloudtasks_error *err) {
    const br_rsa_private_key *sk = &k->sk;
    unsigned char hash[32];
    size_t bytes;
    if (!k->ok) return cloudtasks__fail(err, CLOUDTASKS_ECRYPTO, "no RSA key");
    bytes = (sk->n_bitlen + 7) / 8;
    if (!cloudtasks__buf_reserve(sig, bytes)) return cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory");
    cloudtasks__sha256(data, n, hash);
    if (!br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, hash, 32, sk, (unsigned char *)sig->data + sig->len))
        return cloudtasks__fail(err, CLOUDTASKS_ECRYPTO, "RSA signing failed");
    sig->len += bytes;
    sig->data[sig->len] = '\0';
    return CLOUDTASKS_OK;
}

/* >>sigv4 ----------------------------------------------------------------------------------- */

/* The canonical URI: for every service but S3 the path is normalised (empty and '.' segments
   dropped, '..' resolved, a trailing '/' kept) and its already-encoded text encoded once more;
   S3 signs the path as sent. */
CLOUDTASKS__PRIVATE void cloudtasks__sigv4_uri(cloudtasks__buf *b, const char *path, size_t n, int normalize) {
    size_t i = 0, start = b->len;
    if (!normalize) {
        if (n == 0) cloudtasks__buf_putc(b, '/');
        else cloudtasks__buf_append(b, path, n);
        return;
    }
    cloudtasks__buf_putc(b, '/');
    while (i < n) {
        size_t j = i;
        while (j < n && path[j] != '/') j++;
        if (j - i == 2 && path[i] == '.' && path[i + 1] == '.') {
            /* drop the last segment written, if any */
            while (b->len > start + 1 && b->data[b->len - 1] != '/') b->len--;
            if (b->len > start + 1) b->len--;
            if (b->len == start) cloudtasks__buf_putc(b, '/');
        } else if (j > i && !(j - i == 1 && path[i] == '.')) {
            if (b->len > start + 1) cloudtasks__buf_putc(b, '/');
            cloudtasks__url_encode(b, path + i, j - i, CLOUDTASKS__URL_AWS);
        }
        i = j + 1;
    }
    if (n > 0 && path[n - 1] == '/' && b->len > start + 1) cloudtasks__buf_putc(b, '/');
    if (!b->oom) b->data[b->len] = '\0';
}

typedef struct cloudtasks__pair { char *key, *value; } cloudtasks__pair;

CLOUDTASKS__PRIVATE int cloudtasks__pair_cmp(const void *a, const void *b) {
    const cloudtasks__pair *x = (const cloudtasks__pair *)a, *y = (const cloudtasks__pair *)b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* Decodes and re-encodes one query component the AWS way, so "%7e", "~" and "%7E" sign alike. */
CLOUDTASKS__PRIVATE char *cloudtasks__sigv4_component(const char *s, size_t n) {
    cloudtasks__buf raw = {0}, enc = {0};
    cloudtasks__url_decode(&raw, s, n, 0);
    cloudtasks__url_encode(&enc, raw.data ? raw.data : "", raw.len, CLOUDTASKS__URL_AWS);
    cloudtasks__buf_free(&raw);
    if (enc.oom) { cloudtasks__buf_free(&enc); return NULL; }
    return enc.data ? enc.data : cloudtasks__strdup("");
}

/* The canonical query string: each parameter decoded and re-encoded, sorted by name then value. */
CLOUDTASKS__PRIVATE int cloudtasks__sigv4_query(cloudtasks__buf *b, const char *q, size_t n) {
    cloudtasks__pair *pairs = NULL;
    size_t count = 0, i = 0, k;
    int ok = 1;
    if (n == 0) return 1;
    for (k = 0; k < n; k++) count += q[k] == '&';
    pairs = (cloudtasks__pair *)CLOUDTASKS_MALLOC((count + 1) * sizeof *pairs);
    if (!pairs) return 0;
    count = 0;
    while (i <= n && ok) {
        size_t j = i, eq;
        while (j < n && q[j] != '&') j++;
        if (j > i) {
            for (eq = i; eq < j && q[eq] != '='; eq++) {}
            pairs[count].key = cloudtasks__sigv4_component(q + i, eq - i);
            pairs[count].value = cloudtasks__sigv4_component(q + eq + (eq < j), eq < j ? j - eq - 1 : 0);
            ok = pairs[count].key && pairs[count].value;
            count++;
        }
        i = j + 1;
    }
    if (ok) {
        qsort(pairs, count, sizeof *pairs, cloudtasks__pair_cmp);
        for (k = 0; k < count; k++) {
            if (k) cloudtasks__buf_putc(b, '&');
            cloudtasks__buf_puts(b, pairs[k].key);
            cloudtasks__buf_putc(b, '=');
            cloudtasks__buf_puts(b, pairs[k].value);
        }
    }
    for (k = 0; k < count; k++) { CLOUDTASKS_FREE(pairs[k].key); CLOUDTASKS_FREE(pairs[k].value); }
    CLOUDTASKS_FREE(pairs);
    return ok;
}

typedef struct cloudtasks__canon_header { char *name; const char *value; size_t value_len; size_t order; } cloudtasks__canon_header;

CLOUDTASKS__PRIVATE int cloudtasks__canon_header_cmp(const void *a, const void *b) {
    const cloudtasks__canon_header *x = (const cloudtasks__canon_header *)a, *y = (const cloudtasks__canon_header *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

/* A header value with surrounding space trimmed and inner runs of spaces folded to one. */
CLOUDTASKS__PRIVATE void cloudtasks__sigv4_trimall(cloudtasks__buf *b, const char *v, size_t n) {
    size_t i = 0;
    int space = 0;
    while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
    while (n > i && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    for (; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') { space = 1; continue; }
        if (space) cloudtasks__buf_putc(b, ' ');
        space = 0;
        cloudtasks__buf_putc(b, v[i]);
    }
}

/* Writes the canonical headers and the signed-header list; NULL date on success points to X-Amz-Date. */
CLOUDTASKS__PRIVATE int cloudtasks__sigv4_headers(const cloudtasks_sigv4_request *req, cloudtasks__buf *canon, cloudtasks__buf *signed_list,
                                                  const char **date, size_t *date_len, const char **payload_hash) {
    cloudtasks__canon_header *h;
    size_t n = req->header_count, i, k, have_token = 0;
    h = (cloudtasks__canon_header *)CLOUDTASKS_MALLOC((n + 1) * sizeof *h);
    if (!h) return CLOUDTASKS_ENOMEM;
    *date = NULL;
    *payload_hash = NULL;
    for (i = 0; i < n; i++) {
        const char *name = req->headers[i].name, *value = req->headers[i].value ? req->headers[i].value : "";
        size_t len = name ? strlen(name) : 0;
        if (len == 0) { while (i-- > 0) CLOUDTASKS_FREE(h[i].name); CLOUDTASKS_FREE(h); return CLOUDTASKS_EINVAL; }
        h[i].name = (char *)CLOUDTASKS_MALLOC(len + 1);
        if (!h[i].name) { while (i-- > 0) CLOUDTASKS_FREE(h[i].name); CLOUDTASKS_FREE(h); return CLOUDTASKS_ENOMEM; }
        for (k = 0; k < len; k++) h[i].name[k] = (char)cloudtasks__ascii_lower((unsigned char)name[k]);
        h[i].name[len] = '\0';
        h[i].value = value;
        h[i].value_len = strlen(value);
        h[i].order = i;
        if (strcmp(h[i].name, "x-amz-date") == 0) { *date = value; *date_len = h[i].value_len; }
        if (strcmp(h[i].name, "x-amz-content-sha256") == 0) *payload_hash = value;
        if (strcmp(h[i].name, "x-amz-security-token") == 0) have_token = 1;
    }
    if (req->session_token && req->session_token[0] && !have_token) {   /* signed as if sent: the caller sends it too */
        h[n].name = cloudtasks__strdup("x-amz-security-token");
        if (!h[n].name) { for (i = 0; i < n; i++) CLOUDTASKS_FREE(h[i].name); CLOUDTASKS_FREE(h); return CLOUDTASKS_ENOMEM; }
        h[n].value = req->session_token;
        h[n].value_len = strlen(req->session_token);
        h[n].order = n;
        n++;
    }
    qsort(h, n, sizeof *h, cloudtasks__canon_header_cmp);
    for (i = 0; i < n; i++) {
        if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {   /* a repeated header: values joined by ',' */
            cloudtasks__buf_putc(canon, ',');
        } else {
            if (i > 0) { cloudtasks__buf_putc(canon, '\n'); cloudtasks__buf_putc(signed_list, ';'); }
            cloudtasks__buf_puts(canon, h[i].name);
            cloudtasks__buf_putc(canon, ':');
            cloudtasks__buf_puts(signed_list, h[i].name);
        }
        cloudtasks__sigv4_trimall(canon, h[i].value, h[i].value_len);
    }
    if (n) cloudtasks__buf_putc(canon, '\n');
    for (i = 0; i < n; i++) CLOUDTASKS_FREE(h[i].name);
    CLOUDTASKS_FREE(h);
    return canon->oom || signed_list->oom ? CLOUDTASKS_ENOMEM : CLOUDTASKS_OK;
}

/* The signing key HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
   changes once a day; each thread keeps its last one, keyed by a hash of the secret. */
CLOUDTASKS__PRIVATE void cloudtasks__sigv4_key(const char *secret, const char *date, const char *region, const char *service,
                                               unsigned char key[32]) {
    static _Thread_local struct { unsigned char secret_hash[32], key[32]; char date[9], region[64], service[64]; int valid; } cache;
    unsigned char secret_hash[32];
    cloudtasks__buf k = {0};
    cloudtasks__sha256(secret, strlen(secret), secret_hash);
    if (cache.valid && memcmp(cache.secret_hash, secret_hash, 32) == 0 && strcmp(cache.date, date) == 0 &&
        strcmp(cache.region, region) == 0 && strcmp(cache.service, service) == 0) {
        memcpy(key, cache.key, 32);
        return;
    }
    cloudtasks__buf_puts(&k, "AWS4");
    cloudtasks__buf_puts(&k, secret);
    cloudtasks__hmac_sha256(k.data ? k.data : "", k.len, date, strlen(date), key);
    cloudtasks__buf_wipe(&k);
    cloudtasks__hmac_sha256(key, 32, region, strlen(region), key);
    cloudtasks__hmac_sha256(key, 32, service, strlen(service), key);
    cloudtasks__hmac_sha256(key, 32, "aws4_request", 12, key);
    if (strlen(region) < sizeof cache.region && strlen(service) < sizeof cache.service) {
        memcpy(cache.secret_hash, secret_hash, 32);
        memcpy(cache.key, key, 32);
        cloudtasks__copy(cache.date, sizeof cache.date, date);
        cloudtasks__copy(cache.region, sizeof cache.region, region);
        cloudtasks__copy(cache.service, sizeof cache.service, service);
        cache.valid = 1;
    }
}

CLOUDTASKS__DEF int cloudtasks_sigv4_authorization(const cloudtasks_sigv4_request *req, char *out, size_t out_size) {
    cloudtasks__buf canon = {0}, headers = {0}, signed_list = {0}, sts = {0}, auth = {0};
    const char *q, *date = NULL, *payload_hash = NULL;
    size_t path_len, date_len = 0;
    unsigned char hash[32], key[32], sig[32];
    char hex[65], day[9];
    int rc;
    if (!req || !req->method || !req->path_and_query || !req->region || !req->service || !req->access_key_id ||
        !req->secret_access_key || (req->header_count && !req->headers) || (req->body_len && !req->body))
        return CLOUDTASKS_EINVAL;
    rc = cloudtasks__sigv4_headers(req, &headers, &signed_list, &date, &date_len, &payload_hash);
    if (rc == CLOUDTASKS_OK && (!date || date_len != 16 || date[8] != 'T' || date[15] != 'Z' ||
                                strspn(date, "0123456789") != 8 || strspn(date + 9, "0123456789") != 6))
        rc = CLOUDTASKS_EINVAL;
    if (rc != CLOUDTASKS_OK) goto done;
    memcpy(day, date, 8);
    day[8] = '\0';
    q = strchr(req->path_and_query, '?');
    path_len = q ? (size_t)(q - req->path_and_query) : strlen(req->path_and_query);
    cloudtasks__buf_puts(&canon, req->method);
    cloudtasks__buf_putc(&canon, '\n');
    cloudtasks__sigv4_uri(&canon, req->path_and_query, path_len, req->normalize_path);
    cloudtasks__buf_putc(&canon, '\n');
    if (!cloudtasks__sigv4_query(&canon, q ? q + 1 : "", q ? strlen(q + 1) : 0)) { rc = CLOUDTASKS_ENOMEM; goto done; }
    cloudtasks__buf_putc(&canon, '\n');
    cloudtasks__buf_append(&canon, headers.data, headers.len);
    cloudtasks__buf_putc(&canon, '\n');
    cloudtasks__buf_append(&canon, signed_list.data, signed_list.len);
    cloudtasks__buf_putc(&canon, '\n');
    if (payload_hash) cloudtasks__buf_puts(&canon, payload_hash);
    else {
        cloudtasks__sha256(req->body ? req->body : "", req->body_len, hash);
        cloudtasks__hex(hex, hash, 32);
        cloudtasks__buf_puts(&canon, hex);
    }
    if (canon.oom) { rc = CLOUDTASKS_ENOMEM; goto done; }
    cloudtasks__sha256(canon.data, canon.len, hash);
    cloudtasks__hex(hex, hash, 32);
    cloudtasks__buf_printf(&sts, "AWS4-HMAC-SHA256\n%.16s\n%s/%s/%s/aws4_request\n%s", date, day, req->region, req->service, hex);
    if (sts.oom) { rc = CLOUDTASKS_ENOMEM; goto done; }
    cloudtasks__sigv4_key(req->secret_access_key, day, req->region, req->service, key);
    cloudtasks__hmac_sha256(key, 32, sts.data, sts.len, sig);
    memset(key, 0, sizeof key);
    cloudtasks__hex(hex, sig, 32);
    cloudtasks__buf_printf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                           req->access_key_id, day, req->region, req->service, signed_list.data ? signed_list.data : "", hex);
    if (auth.oom) { rc = CLOUDTASKS_ENOMEM; goto done; }
    if (auth.len > INT_MAX) { rc = CLOUDTASKS_ERANGE; goto done; }
    rc = (int)auth.len;
    if (out) {
        if (out_size <= auth.len) rc = CLOUDTASKS_ERANGE;
        else memcpy(out, auth.data, auth.len + 1);
    }
done:
    cloudtasks__buf_free(&canon);
    cloudtasks__buf_free(&headers);
    cloudtasks__buf_free(&signed_list);
    cloudtasks__buf_free(&sts);
    cloudtasks__buf_free(&auth);
    return rc;
}

/* >>http ------------------------------------------------------------------------------------ */

/* One blocking HTTP exchange on a libcurl easy handle that the calling thread keeps (so the
   connection stays alive between calls). Only the supervisor's network threads use it, and only
   after the pool was forked: libcurl never exists in a process that forks. TLS verification is
   libcurl's default (on); plain http is used only where an endpoint says http://. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

#ifndef CLOUDTASKS_MAX_RESPONSE_BYTES
#  define CLOUDTASKS_MAX_RESPONSE_BYTES (32u << 20)
#endif

typedef struct cloudtasks__http {
    CURL *curl;
    const atomic_int *abandon;   /* set: a transfer that has no answer byte yet is given up */
    struct cloudtasks__http_response *rs;   /* the answer being read */
    size_t received;             /* answer bytes of the current transfer */
    int too_big;
    long requests;               /* exchanges made, for the statistics */
} cloudtasks__http;

typedef struct cloudtasks__http_response {
    long status;
    cloudtasks__buf body, headers;
} cloudtasks__http_response;

typedef struct cloudtasks__http_request {
    const char *method, *url;
    const char *const *headers;  /* "Name: value" lines */
    size_t header_count;
    const char *body;
    size_t body_len;
    double timeout;              /* seconds for the whole exchange */
} cloudtasks__http_request;

CLOUDTASKS__PRIVATE void cloudtasks__http_response_free(cloudtasks__http_response *rs) {
    cloudtasks__buf_free(&rs->body);
    cloudtasks__buf_free(&rs->headers);
    rs->status = 0;
}

CLOUDTASKS__PRIVATE size_t cloudtasks__http_on_body(char *p, size_t size, size_t n, void *user) {
    cloudtasks__http *h = (cloudtasks__http *)user;
    cloudtasks__http_response *rs = h->rs;
    h->received += n;
    if (rs->body.len + n > CLOUDTASKS_MAX_RESPONSE_BYTES) { h->too_big = 1; return 0; }
    cloudtasks__buf_append(&rs->body, p, size * n);
    return rs->body.oom ? 0 : n;
}

/* Keeps the header lines of the last response only (a 100 Continue or a redirect starts over). */
CLOUDTASKS__PRIVATE size_t cloudtasks__http_on_header(char *p, size_t size, size_t n, void *user) {
    cloudtasks__http *h = (cloudtasks__http *)user;
    cloudtasks__http_response *rs = h->rs;
    h->received += n;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) rs->headers.len = 0;
    if (rs->headers.len + n > 1u << 20) return 0;
    cloudtasks__buf_append(&rs->headers, p, size * n);
    return n;
}

CLOUDTASKS__PRIVATE int cloudtasks__http_on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
    cloudtasks__http *h = (cloudtasks__http *)user;
    (void)dt; (void)dn; (void)ut; (void)un;
    return h->abandon && atomic_load(h->abandon) && h->received == 0;
}

CLOUDTASKS__PRIVATE void cloudtasks__http_close(cloudtasks__http *h) {
    if (h->curl) curl_easy_cleanup(h->curl);
    h->curl = NULL;
}

/* The value of a response header (case-insensitive name), copied into out; 0 if absent. */
CLOUDTASKS__PRIVATE int cloudtasks__http_header(const cloudtasks__http_response *rs, const char *name, char *out, size_t size) {
    const char *p = rs->headers.data, *end = p ? p + rs->headers.len : NULL;
    size_t k = strlen(name);
    while (p && p < end) {
        const char *eol = (const char *)memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if ((size_t)(eol - p) > k && p[k] == ':') {
            size_t i;
            for (i = 0; i < k && cloudtasks__ascii_lower((unsigned char)p[i]) == cloudtasks__ascii_lower((unsigned char)name[i]); i++) {}
            if (i == k) {
                const char *v = p + k + 1, *e = eol;
                while (v < e && (*v == ' ' || *v == '\t')) v++;
                while (e > v && cloudtasks__is_space(e[-1])) e--;
                if ((size_t)(e - v) >= size) return 0;
                memcpy(out, v, (size_t)(e - v));
                out[e - v] = '\0';
                return 1;
            }
        }
        p = eol + 1;
    }
    return 0;
}

/* The body of a 200 answer, trimmed, copied into out; 0 for any other answer or when it is empty
   or does not fit (metadata servers answer plain text). */
CLOUDTASKS__PRIVATE int cloudtasks__http_text(const cloudtasks__http_response *rs, char *out, size_t size) {
    const char *p = rs->body.data;
    size_t n = rs->body.len;
    if (rs->status != 200 || !p) return 0;
    while (n && cloudtasks__is_space(p[n - 1])) n--;
    while (n && cloudtasks__is_space(*p)) { p++; n--; }
    if (!n || n >= size) return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

/* The host (and port) part of a URL, for messages that must not show paths or queries. */
CLOUDTASKS__PRIVATE void cloudtasks__url_host(const char *url, char *out, size_t size) {
    const char *p = strstr(url, "://"), *e;
    const char *at;
    p = p && (size_t)(p - url) < strcspn(url, "/?#") ? p + 3 : url;
    e = p + strcspn(p, "/?#");
    for (at = e; at > p && at[-1] != '@'; at--) {}
    if (at > p) p = at;   /* user:password@ (up to the last @) is never shown, nor signed */
    snprintf(out, size, "%.*s", (int)(e - p), p);
}

/* Sends the request and fills *rs (any status). Fails only when no HTTP answer arrived. */
CLOUDTASKS__PRIVATE int cloudtasks__http_do(cloudtasks__http *h, const cloudtasks__http_request *rq, cloudtasks__http_response *rs,
                                            cloudtasks_error *err) {
    struct curl_slist *list = NULL, *l;
    CURLcode rc;
    size_t i;
    char host[256];
    rs->status = 0;
    rs->body.len = rs->headers.len = 0;
    rs->body.oom = rs->headers.oom = 0;
    if (!h->curl && !(h->curl = curl_easy_init())) return cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "cannot create an HTTP handle");
    curl_easy_reset(h->curl);
    for (i = 0; i < rq->header_count; i++) {
        if (!(l = curl_slist_append(list, rq->headers[i]))) { curl_slist_free_all(list); return cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory"); }
        list = l;
    }
    /* no "Expect: 100-continue" round trip, no Accept header we did not sign */
    if ((l = curl_slist_append(list, "Expect:")) != NULL) list = l;
    if ((l = curl_slist_append(list, "Accept:")) != NULL) list = l;
    h->rs = rs;
    h->received = 0;
    h->too_big = 0;
    h->requests++;
    curl_easy_setopt(h->curl, CURLOPT_URL, rq->url);
    curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, rq->method);
    if (strcmp(rq->method, "GET") == 0) curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    else if (strcmp(rq->method, "HEAD") == 0) curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
    else {
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    }
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, cloudtasks__http_on_body);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, (void *)h);
    curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, cloudtasks__http_on_header);
    curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, (void *)h);
    curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, cloudtasks__http_on_progress);
    curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, (void *)h);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)(rq->timeout * 1000));
    curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
    rc = curl_easy_perform(h->curl);
    curl_slist_free_all(list);
    cloudtasks__url_host(rq->url, host, sizeof host);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &rs->status);
        if (rs->body.oom || rs->headers.oom) return cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory reading the answer of %s", host);
        return CLOUDTASKS_OK;
    }
    if (h->too_big)
        return cloudtasks__fail(err, CLOUDTASKS_EPROTOCOL, "the answer of %s is larger than %u bytes", host, (unsigned)CLOUDTASKS_MAX_RESPONSE_BYTES);
    if (rc == CURLE_OPERATION_TIMEDOUT) return cloudtasks__fail(err, CLOUDTASKS_ETIMEOUT, "no answer from %s in %g s", host, rq->timeout);
    if (rc == CURLE_ABORTED_BY_CALLBACK) return cloudtasks__fail(err, CLOUDTASKS_ETRANSPORT, "request to %s abandoned: the worker is stopping", host);
    return cloudtasks__fail(err, CLOUDTASKS_ETRANSPORT, "%s %s: %s", rq->method, host, curl_easy_strerror(rc));
}

/* Waits up to seconds unless *stop is set first; the threads' only way to sleep. */
CLOUDTASKS__PRIVATE void cloudtasks__nap(double seconds, const atomic_int *stop) {
    double end = cloudtasks__now() + seconds;
    while (!(stop && atomic_load(stop))) {
        double left = end - cloudtasks__now();
        struct timespec ts;
        if (left <= 0) break;
        if (left > 0.05) left = 0.05;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(left * 1e9);
        nanosleep(&ts, NULL);
    }
}

/* Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^attempt)). */
CLOUDTASKS__PRIVATE double cloudtasks__backoff(int attempt, double base, double cap) {
    static _Thread_local uint64_t state;
    double limit = base;
    if (!state) state = (uint64_t)(cloudtasks__now() * 1e9) ^ (uint64_t)(uintptr_t)&state ^ (uint64_t)getpid() << 32;
    while (attempt-- > 0 && limit < cap) limit *= 2;
    if (limit > cap) limit = cap;
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;   /* xorshift64 */
    return limit * (double)(state >> 11) / 9007199254740992.0;
}

/* Decodes XML character data (the five predefined entities) into out, when out is not NULL;
   returns the decoded length. */
CLOUDTASKS__PRIVATE size_t cloudtasks__xml_decode(const char *s, size_t n, char *out) {
    static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    static const char chars[] = "&<>\"'";
    size_t i = 0, k = 0;
    while (i < n) {
        int e;
        char c = s[i++];
        for (e = 0; e < 5 && c == '&'; e++) {
            size_t len = strlen(names[e]) - 1;
            if (n - i >= len && memcmp(s + i, names[e] + 1, len) == 0) { c = chars[e]; i += len; break; }
        }
        if (out) out[k] = c;
        k++;
    }
    return k;
}

/* Copies XML character data, entities decoded; 0 (out untouched) if it does not fit. */
CLOUDTASKS__PRIVATE int cloudtasks__xml_unescape(const char *s, size_t n, char *out, size_t size) {
    size_t k = cloudtasks__xml_decode(s, n, NULL);
    if (k >= size) return 0;
    cloudtasks__xml_decode(s, n, out);
    out[k] = '\0';
    return 1;
}

/* The text between <tag> and </tag> (first occurrence) in an XML answer, copied into out. */
CLOUDTASKS__PRIVATE int cloudtasks__xml_text(const char *xml, size_t len, const char *tag, char *out, size_t size) {
    char open[64], close[64];
    const char *a, *b, *end = xml + len;
    size_t k;
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    k = strlen(open);
    for (a = xml; a && a + k <= end; a++) {
        a = (const char *)memchr(a, '<', (size_t)(end - a));
        if (!a || a + k > end) return 0;
        if (memcmp(a, open, k) == 0) break;
    }
    if (!a || a + k > end) return 0;
    a += k;
    for (b = a; b + strlen(close) <= end; b++)
        if (*b == '<' && memcmp(b, close, strlen(close)) == 0) {
            return cloudtasks__xml_unescape(a, (size_t)(b - a), out, size);
        }
    return 0;
}

/* >>credentials ----------------------------------------------------------------------------- */

/* AWS credentials and region, found in the order of the AWS SDKs: environment, web identity
   (STS AssumeRoleWithWebIdentity), the shared credentials and config files, the container
   credentials endpoint (ECS/EKS), the EC2 instance role through IMDSv2. Temporary credentials are
   fetched again from the same source before they expire. Several threads sign requests, so the
   cached set is guarded by a mutex and copied out for each request. Secrets never reach a log
   line or an error message. */
typedef struct cloudtasks__aws_creds {
    char key_id[128], secret[128], token[8192];
    int64_t expires;             /* Unix seconds; 0: never */
    int64_t fetched;
} cloudtasks__aws_creds;

enum {
    CLOUDTASKS__AWS_NONE, CLOUDTASKS__AWS_ENV, CLOUDTASKS__AWS_WEB_IDENTITY, CLOUDTASKS__AWS_FILES,
    CLOUDTASKS__AWS_CONTAINER, CLOUDTASKS__AWS_IMDS
};

typedef struct cloudtasks__aws {
    pthread_mutex_t lock;        /* creds and source */
    pthread_mutex_t imds_lock;   /* the IMDSv2 session token */
    cloudtasks__aws_creds creds;
    int source;                  /* CLOUDTASKS__AWS_* the creds came from */
    int64_t failing_since;       /* refreshes have failed since (Unix seconds; 0: they work) */
    char region[64];
    char profile[128];
    char sqs_endpoint[512], sts_endpoint[512], imds_endpoint[256];
    int imds_disabled;
    char imds_token[512];
    double imds_token_until;
    char instance_id[128];       /* from IMDS, once known */
} cloudtasks__aws;

/* An environment variable, or NULL when unset or empty. */
CLOUDTASKS__PRIVATE const char *cloudtasks__env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Reads a whole (small) file into b; 0 if it cannot. */
CLOUDTASKS__PRIVATE int cloudtasks__read_file(const char *path, cloudtasks__buf *b, size_t limit) {
    char chunk[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    if (fd < 0) return 0;
    b->len = 0;
    while ((n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0) { if (errno == EINTR) continue; close(fd); return 0; }
        cloudtasks__buf_append(b, chunk, (size_t)n);
        if (b->len > limit) { close(fd); return 0; }
    }
    close(fd);
    cloudtasks__buf_putc(b, '\0');
    b->len--;
    return !b->oom;
}

CLOUDTASKS__PRIVATE int cloudtasks__prefix_caseeq(const char *s, const char *key, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        if (cloudtasks__ascii_lower((unsigned char)s[i]) != cloudtasks__ascii_lower((unsigned char)key[i])) return 0;
    return 1;
}

/* Finds key in [section] of an INI file held in text (the AWS shared-file dialect: '#' and ';'
   comments, "key = value", case-sensitive section names). Copies the value; 0 when absent. */
CLOUDTASKS__PRIVATE int cloudtasks__ini_get(const char *text, const char *section, const char *key, char *out, size_t size) {
    const char *p = text;
    int in = 0;
    size_t sl = strlen(section), kl = strlen(key);
    while (p && *p) {
        const char *eol = strchr(p, '\n'), *e, *q = p;
        if (!eol) eol = p + strlen(p);
        while (q < eol && (*q == ' ' || *q == '\t')) q++;
        e = eol;
        while (e > q && cloudtasks__is_space(e[-1])) e--;
        if (q < e && *q == '[') {
            const char *name = q + 1, *ne = (const char *)memchr(q, ']', (size_t)(e - q));
            if (ne) {
                while (name < ne && *name == ' ') name++;
                while (ne > name && ne[-1] == ' ') ne--;
            }
            in = ne && (size_t)(ne - name) == sl && memcmp(name, section, sl) == 0;
        } else if (in && q < e && *q != '#' && *q != ';' && (size_t)(e - q) > kl && cloudtasks__prefix_caseeq(q, key, kl)) {
            const char *v = q + kl;
            while (v < e && (*v == ' ' || *v == '\t')) v++;
            if (v < e && *v == '=') {
                v++;
                while (v < e && (*v == ' ' || *v == '\t')) v++;
                if ((size_t)(e - v) >= size) return 0;
                memcpy(out, v, (size_t)(e - v));
                out[e - v] = '\0';
                return 1;
            }
        }
        p = *eol ? eol + 1 : eol;
    }
    return 0;
}

/* ~/.aws/<name>, or the file the variable names. */
CLOUDTASKS__PRIVATE void cloudtasks__aws_file_path(const char *variable, const char *name, char *out, size_t size) {
    const char *v = cloudtasks__env(variable), *home = cloudtasks__env("HOME");
    if (v) snprintf(out, size, "%s", v);
    else snprintf(out, size, "%s/.aws/%s", home ? home : ".", name);
}

/* The config file and the profile's section in it: [default], or [profile NAME]. */
CLOUDTASKS__PRIVATE void cloudtasks__aws_config_section(const cloudtasks__aws *aws, char *path, size_t path_size, char *section, size_t size) {
    cloudtasks__aws_file_path("AWS_CONFIG_FILE", "config", path, path_size);
    if (strcmp(aws->profile, "default") == 0) snprintf(section, size, "default");
    else snprintf(section, size, "profile %s", aws->profile);
}

/* An endpoint URL without a trailing slash. */
CLOUDTASKS__PRIVATE void cloudtasks__set_endpoint(char *out, size_t size, const char *url) {
    size_t n;
    cloudtasks__copy(out, size, url);
    n = strlen(out);
    while (n > 0 && out[n - 1] == '/') out[--n] = '\0';
}

/* IMDSv2: a session token (PUT), then GETs that carry it. Two-second timeouts, as the SDKs use,
   so a machine without IMDS costs little. */
CLOUDTASKS__PRIVATE int cloudtasks__imds_token(cloudtasks__aws *aws, cloudtasks__http *h, char *token, size_t size, int renew,
                                               cloudtasks_error *err) {
    int rc = CLOUDTASKS_OK;
    pthread_mutex_lock(&aws->imds_lock);
    if (renew || !aws->imds_token[0] || cloudtasks__now() > aws->imds_token_until) {
        char url[400];
        static const char *const hdr[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600"};
        cloudtasks__http_request rq = {"PUT", NULL, hdr, 1, "", 0, 2.0};
        cloudtasks__http_response rs = {0, {0}, {0}};
        snprintf(url, sizeof url, "%s/latest/api/token", aws->imds_endpoint);
        rq.url = url;
        rc = cloudtasks__http_do(h, &rq, &rs, err);
        if (rc == CLOUDTASKS_OK && rs.status != 200)
            rc = cloudtasks__fail(err, CLOUDTASKS_EHTTP, "instance metadata token: HTTP %ld", rs.status);
        if (rc == CLOUDTASKS_OK) {
            size_t n = rs.body.len;
            while (n && cloudtasks__is_space(rs.body.data[n - 1])) n--;
            if (n == 0 || n >= sizeof aws->imds_token) rc = cloudtasks__fail(err, CLOUDTASKS_EPROTOCOL, "instance metadata token: bad answer");
            else {
                memcpy(aws->imds_token, rs.body.data, n);
                aws->imds_token[n] = '\0';
                aws->imds_token_until = cloudtasks__now() + 21600 - 300;
            }
        }
        cloudtasks__http_response_free(&rs);
    }
    if (rc == CLOUDTASKS_OK) cloudtasks__copy(token, size, aws->imds_token);
    pthread_mutex_unlock(&aws->imds_lock);
    return rc;
}

/* GET path from IMDS into rs (any status; a 401 gets a new token and one more try). */
CLOUDTASKS__PRIVATE int cloudtasks__imds_get(cloudtasks__aws *aws, cloudtasks__http *h, const char *path, cloudtasks__http_response *rs,
                                             cloudtasks_error *err) {
    int attempt, rc = CLOUDTASKS_OK;
    if (aws->imds_disabled) return cloudtasks__fail(err, CLOUDTASKS_ECONFIG, "instance metadata is disabled (AWS_EC2_METADATA_DISABLED)");
    for (attempt = 0; attempt < 2; attempt++) {
        char token[512], header[600], url[512];
        const char *hdr[1];
        cloudtasks__http_request rq = {"GET", NULL, NULL, 1, NULL, 0, 2.0};
        if ((rc = cloudtasks__imds_token(aws, h, token, sizeof token, attempt > 0, err)) != CLOUDTASKS_OK) return rc;
        snprintf(header, sizeof header, "X-aws-ec2-metadata-token: %s", token);
        snprintf(url, sizeof url, "%s%s", aws->imds_endpoint, path);
        hdr[0] = header;
        rq.headers = hdr;
        rq.url = url;
        if ((rc = cloudtasks__http_do(h, &rq, rs, err)) != CLOUDTASKS_OK) return rc;
        if (rs->status != 401) return CLOUDTASKS_OK;
    }
    return rc;
}

/* The trimmed text of an IMDS answer with status 200; 0 otherwise. */
CLOUDTASKS__PRIVATE int cloudtasks__imds_text(cloudtasks__aws *aws, cloudtasks__http *h, const char *path, char *out, size_t size) {
    cloudtasks__http_response rs = {0, {0}, {0}};
    int ok = cloudtasks__imds_get(aws, h, path, &rs, NULL) == CLOUDTASKS_OK && cloudtasks__http_text(&rs, out, size);
    cloudtasks__http_response_free(&rs);
    return ok;
}

/* Reads {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"} (IMDS and container answers). */
CLOUDTASKS__PRIVATE int cloudtasks__aws_creds_json(const char *text, size_t len, cloudtasks__aws_creds *c, const char *what,
                                                   cloudtasks_error *err) {
    cloudtasks_json_doc *doc = cloudtasks_json_parse(text, len, NULL);
    const cloudtasks_json *root = cloudtasks_json_root(doc);
    size_t akn = 0, skn = 0, tkn = 0;
    const char *ak = cloudtasks_json_string(cloudtasks_json_get(root, "AccessKeyId"), &akn);
    const char *sk = cloudtasks_json_string(cloudtasks_json_get(root, "SecretAccessKey"), &skn);
    const char *tk = cloudtasks_json_string(cloudtasks_json_get(root, "Token"), &tkn);
    const char *ex = cloudtasks_json_string(cloudtasks_json_get(root, "Expiration"), NULL);
    int rc = CLOUDTASKS_OK;
    memset(c, 0, sizeof *c);
    if (!ak || !sk || !*ak || !*sk || strlen(ak) != akn || strlen(sk) != skn || (tk && strlen(tk) != tkn) || !cloudtasks__copy(c->key_id, sizeof c->key_id, ak) || !cloudtasks__copy(c->secret, sizeof c->secret, sk) ||
        (tk && !cloudtasks__copy(c->token, sizeof c->token, tk)) || (ex && !cloudtasks__parse_iso8601(ex, &c->expires)) ||
        (!ex && cloudtasks_json_get(root, "Expiration")))
        rc = cloudtasks__fail(err, CLOUDTASKS_EPROTOCOL, "%s: the answer holds no usable credentials", what);
    cloudtasks_json_free(doc);
    return rc;
}

CLOUDTASKS__PRIVATE int cloudtasks__aws_from_web_identity(cloudtasks__aws *aws, cloudtasks__http *h, cloudtasks__aws_creds *c,
                                                          cloudtasks_error *err) {
    const char *file = cloudtasks__env("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = cloudtasks__env("AWS_ROLE_ARN");
    const char *session = cloudtasks__env("AWS_ROLE_SESSION_NAME");
    static const char *const hdr[] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"};
    cloudtasks__buf token = {0}, form = {0};
    cloudtasks__http_request rq = {"POST", NULL, hdr, 1, NULL, 0, 10.0};
    cloudtasks__http_response rs = {0, {0}, {0}};
    char expiration[64], code[128], message[256];
    int rc;
    size_t n;
    if (!cloudtasks__read_file(file, &token, 64 << 10)) {
        cloudtasks__buf_free(&token);
        return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "cannot read the web identity token file %s (AWS_WEB_IDENTITY_TOKEN_FILE)", file);
    }
    for (n = token.len; n && cloudtasks__is_space(token.data[n - 1]); n--) {}
    cloudtasks__buf_puts(&form, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=");
    cloudtasks__url_encode(&form, role, strlen(role), CLOUDTASKS__URL_AWS);
    cloudtasks__buf_puts(&form, "&RoleSessionName=");
    if (session) cloudtasks__url_encode(&form, session, strlen(session), CLOUDTASKS__URL_AWS);
    else cloudtasks__buf_printf(&form, "cloudtasks-%ld", (long)getpid());
    cloudtasks__buf_puts(&form, "&WebIdentityToken=");
    cloudtasks__url_encode(&form, token.data, n, CLOUDTASKS__URL_AWS);
    cloudtasks__buf_free(&token);
    rq.url = aws->sts_endpoint;
    rq.body = form.data;
    rq.body_len = form.len;
    rc = form.oom ? cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory") : cloudtasks__http_do(h, &rq, &rs, err);
    cloudtasks__buf_free(&form);
    if (rc == CLOUDTASKS_OK && rs.status != 200) {
        if (!cloudtasks__xml_text(rs.body.data ? rs.body.data : "", rs.body.len, "Code", code, sizeof code)) cloudtasks__copy(code, sizeof code, "?");
        if (!cloudtasks__xml_text(rs.body.data ? rs.body.data : "", rs.body.len, "Message", message, sizeof message)) message[0] = '\0';
        rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "STS AssumeRoleWithWebIdentity for %s: HTTP %ld %s %s", role, rs.status, code, message);
    }
    if (rc == CLOUDTASKS_OK) {
        const char *x = rs.body.data ? rs.body.data : "";
        memset(c, 0, sizeof *c);
        if (!cloudtasks__xml_text(x, rs.body.len, "AccessKeyId", c->key_id, sizeof c->key_id) ||
            !cloudtasks__xml_text(x, rs.body.len, "SecretAccessKey", c->secret, sizeof c->secret) ||
            !cloudtasks__xml_text(x, rs.body.len, "SessionToken", c->token, sizeof c->token) ||
            !cloudtasks__xml_text(x, rs.body.len, "Expiration", expiration, sizeof expiration) ||
            !cloudtasks__parse_iso8601(expiration, &c->expires))
            rc = cloudtasks__fail(err, CLOUDTASKS_EPROTOCOL, "STS AssumeRoleWithWebIdentity: the answer holds no usable credentials");
    }
    cloudtasks__http_response_free(&rs);
    return rc;
}

/* The shared files: credentials in the credentials file ([name]) or the config file ([profile
   name], [default]). Returns 1 when found, 0 when the profile has no keys, <0 on an error. */
CLOUDTASKS__PRIVATE int cloudtasks__aws_from_files(cloudtasks__aws *aws, cloudtasks__aws_creds *c, cloudtasks_error *err) {
    char path[512], section[160];
    cloudtasks__buf text = {0};
    int found = 0, f;
    memset(c, 0, sizeof *c);
    for (f = 0; f < 2 && !found; f++) {
        if (f == 0) { cloudtasks__aws_file_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path); snprintf(section, sizeof section, "%s", aws->profile); }
        else cloudtasks__aws_config_section(aws, path, sizeof path, section, sizeof section);
        if (!cloudtasks__read_file(path, &text, 1 << 20)) continue;
        if (cloudtasks__ini_get(text.data, section, "aws_access_key_id", c->key_id, sizeof c->key_id)) {
            if (!cloudtasks__ini_get(text.data, section, "aws_secret_access_key", c->secret, sizeof c->secret)) {
                cloudtasks__buf_free(&text);
                return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "profile %s in %s has aws_access_key_id but no aws_secret_access_key",
                                        aws->profile, path);
            }
            cloudtasks__ini_get(text.data, section, "aws_session_token", c->token, sizeof c->token);
            found = 1;
        }
    }
    cloudtasks__buf_free(&text);
    return found;
}

CLOUDTASKS__PRIVATE int cloudtasks__aws_from_container(cloudtasks__http *h, cloudtasks__aws_creds *c, cloudtasks_error *err) {
    const char *rel = cloudtasks__env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), *full = cloudtasks__env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *token_file = cloudtasks__env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), *token = cloudtasks__env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    char url[1024], header[4200];
    const char *hdr[1];
    cloudtasks__buf tb = {0};
    cloudtasks__http_request rq = {"GET", url, hdr, 0, NULL, 0, 5.0};
    cloudtasks__http_response rs = {0, {0}, {0}};
    int rc;
    if (rel) snprintf(url, sizeof url, "http://169.254.170.2%s", rel);
    else {
        char host[256];
        snprintf(url, sizeof url, "%s", full);
        cloudtasks__url_host(url, host, sizeof host);
        host[strcspn(host, ":")] = host[0] == '[' ? host[0] : '\0';
        /* the token must not travel in clear to anything but this machine or the container agent */
        if (strncmp(url, "https://", 8) != 0 && !(strncmp(url, "http://", 7) == 0 &&
            (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 || strncmp(host, "[::1]", 5) == 0 ||
             strcmp(host, "169.254.170.2") == 0 || strcmp(host, "169.254.170.23") == 0)))
            return cloudtasks__fail(err, CLOUDTASKS_ECONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to the loopback "
                                    "address or the container agent");
    }
    if (token_file && cloudtasks__read_file(token_file, &tb, 4096)) {
        size_t n = tb.len;
        while (n && cloudtasks__is_space(tb.data[n - 1])) n--;
        snprintf(header, sizeof header, "Authorization: %.*s", (int)n, tb.data);
        rq.header_count = 1;
    } else if (token && strlen(token) < 4096) {
        snprintf(header, sizeof header, "Authorization: %s", token);
        rq.header_count = 1;
    } else if (token || token_file) {
        cloudtasks__buf_wipe(&tb);
        return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "the container authorization token cannot be read or is longer than 4 KiB");
    }
    cloudtasks__buf_wipe(&tb);
    hdr[0] = header;
    rc = cloudtasks__http_do(h, &rq, &rs, err);
    if (rc == CLOUDTASKS_OK && rs.status != 200)
        rc = cloudtasks__fail(err, rs.status == 401 || rs.status == 403 ? CLOUDTASKS_EAUTH : CLOUDTASKS_EHTTP,
                              "container credentials endpoint: HTTP %ld", rs.status);
    if (rc == CLOUDTASKS_OK) rc = cloudtasks__aws_creds_json(rs.body.data, rs.body.len, c, "container credentials endpoint", err);
    cloudtasks__http_response_free(&rs);
    return rc;
}

CLOUDTASKS__PRIVATE int cloudtasks__aws_from_imds(cloudtasks__aws *aws, cloudtasks__http *h, cloudtasks__aws_creds *c, cloudtasks_error *err) {
    char role[256], path[400];
    cloudtasks__http_response rs = {0, {0}, {0}};
    int rc;
    if (!cloudtasks__imds_text(aws, h, "/latest/meta-data/iam/security-credentials/", role, sizeof role))
        return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "no instance role: the instance metadata service gave no role name");
    role[strcspn(role, "\r\n")] = '\0';
    snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s", role);
    rc = cloudtasks__imds_get(aws, h, path, &rs, err);
    if (rc == CLOUDTASKS_OK && rs.status != 200) rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "instance role %s: HTTP %ld", role, rs.status);
    if (rc == CLOUDTASKS_OK) rc = cloudtasks__aws_creds_json(rs.body.data, rs.body.len, c, "instance role credentials", err);
    cloudtasks__http_response_free(&rs);
    return rc;
}

/* Fetches credentials from the source found at start-up (or finds the source). Called with the
   lock held. */
CLOUDTASKS__PRIVATE int cloudtasks__aws_fetch(cloudtasks__aws *aws, cloudtasks__http *h, cloudtasks_error *err) {
    cloudtasks__aws_creds c;
    const char *ak = cloudtasks__env("AWS_ACCESS_KEY_ID"), *sk = cloudtasks__env("AWS_SECRET_ACCESS_KEY");
    int64_t now;
    int32_t us;
    int rc = CLOUDTASKS_OK, source = aws->source;
    memset(&c, 0, sizeof c);
    if (source == CLOUDTASKS__AWS_NONE || source == CLOUDTASKS__AWS_ENV) {
        if (ak && sk) {
            const char *tk = cloudtasks__env("AWS_SESSION_TOKEN");
            if (!cloudtasks__copy(c.key_id, sizeof c.key_id, ak) || !cloudtasks__copy(c.secret, sizeof c.secret, sk) ||
                (tk && !cloudtasks__copy(c.token, sizeof c.token, tk)))
                return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN is too long");
            source = CLOUDTASKS__AWS_ENV;
        } else if (ak || sk)
            return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "%s is set but %s is not; set both or neither", ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                                    ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    }
    if (source == CLOUDTASKS__AWS_WEB_IDENTITY ||
        (source == CLOUDTASKS__AWS_NONE && cloudtasks__env("AWS_WEB_IDENTITY_TOKEN_FILE") && cloudtasks__env("AWS_ROLE_ARN"))) {
        if ((rc = cloudtasks__aws_from_web_identity(aws, h, &c, err)) != CLOUDTASKS_OK) return rc;
        source = CLOUDTASKS__AWS_WEB_IDENTITY;
    }
    if (source == CLOUDTASKS__AWS_FILES || source == CLOUDTASKS__AWS_NONE) {
        int found = cloudtasks__aws_from_files(aws, &c, err);
        if (found < 0) return found;
        if (found) source = CLOUDTASKS__AWS_FILES;
        else if (cloudtasks__env("AWS_PROFILE"))
            return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "AWS_PROFILE names profile %s, which has no keys in the shared credentials or "
                                    "config file", aws->profile);
    }
    if (source == CLOUDTASKS__AWS_CONTAINER ||
        (source == CLOUDTASKS__AWS_NONE && (cloudtasks__env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || cloudtasks__env("AWS_CONTAINER_CREDENTIALS_FULL_URI")))) {
        if ((rc = cloudtasks__aws_from_container(h, &c, err)) != CLOUDTASKS_OK) return rc;
        source = CLOUDTASKS__AWS_CONTAINER;
    }
    if (source == CLOUDTASKS__AWS_IMDS || (source == CLOUDTASKS__AWS_NONE && !aws->imds_disabled)) {
        if ((rc = cloudtasks__aws_from_imds(aws, h, &c, err)) != CLOUDTASKS_OK) {
            if (aws->source == CLOUDTASKS__AWS_NONE)
                return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                                        "AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, or run with an instance role");
            return rc;
        }
        source = CLOUDTASKS__AWS_IMDS;
    }
    if (source == CLOUDTASKS__AWS_NONE)
        return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE "
                                "or AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (instance metadata is disabled)");
    cloudtasks__wall(&now, &us);
    c.fetched = now;
    if (aws->source != source) {
        static const char *const names[] = {"", "the environment", "web identity (STS)", "the shared credentials files",
                                            "the container credentials endpoint", "the instance role (IMDSv2)"};
        cloudtasks__log(CLOUDTASKS__INFO, "AWS credentials from %s", names[source]);
    }
    aws->source = source;
    aws->creds = c;
    memset(&c, 0, sizeof c);
    return CLOUDTASKS_OK;
}

/* Temporary credentials are renewed five minutes before they expire (or halfway, for short ones). */
CLOUDTASKS__PRIVATE int cloudtasks__aws_creds_stale(const cloudtasks__aws_creds *c) {
    int64_t now, margin;
    int32_t us;
    if (!c->expires) return 0;
    cloudtasks__wall(&now, &us);
    margin = (c->expires - c->fetched) / 2;
    if (margin > 300) margin = 300;
    return now >= c->expires - margin;
}

/* A copy of valid credentials; force fetches them again (after the service said they expired). */
CLOUDTASKS__PRIVATE int cloudtasks__aws_credentials(cloudtasks__aws *aws, cloudtasks__http *h, int force, cloudtasks__aws_creds *out,
                                                    cloudtasks_error *err) {
    int rc = CLOUDTASKS_OK;
    pthread_mutex_lock(&aws->lock);
    if (aws->source == CLOUDTASKS__AWS_NONE || force || cloudtasks__aws_creds_stale(&aws->creds)) {
        int known = aws->source != CLOUDTASKS__AWS_NONE;
        if (aws->source == CLOUDTASKS__AWS_ENV || (aws->source == CLOUDTASKS__AWS_FILES && !aws->creds.expires)) rc = CLOUDTASKS_OK;
        else rc = cloudtasks__aws_fetch(aws, h, err);
        if (rc != CLOUDTASKS_OK && known) {
            /* a refresh that failed (an outage of IMDS or STS) is not the end: the current
               credentials serve until they expire, and after that the call is retried */
            int64_t now;
            int32_t us;
            cloudtasks__wall(&now, &us);
            cloudtasks__log(CLOUDTASKS__WARNING, "refreshing AWS credentials failed: %s", err ? err->message : "?");
            if (!aws->failing_since) aws->failing_since = now;
            if (!force && now < aws->creds.expires) rc = CLOUDTASKS_OK;
            else if (now - aws->failing_since >= 300) {
                char why[200];
                cloudtasks__copy(why, sizeof why, err ? err->message : "?");
                rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "AWS credentials could not be refreshed for 5 minutes: %s", why);
            } else rc = cloudtasks__fail(err, CLOUDTASKS_ETRANSPORT, "AWS credentials expired and could not be refreshed; retrying");
        } else if (rc == CLOUDTASKS_OK) aws->failing_since = 0;
    }
    if (rc == CLOUDTASKS_OK) *out = aws->creds;
    pthread_mutex_unlock(&aws->lock);
    return rc;
}

/* Region and endpoints: AWS_REGION, AWS_DEFAULT_REGION, the config file's region for the
   profile, then IMDS. Endpoints: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, then AWS's. */
CLOUDTASKS__PRIVATE int cloudtasks__aws_init(cloudtasks__aws *aws, cloudtasks__http *h, cloudtasks_error *err) {
    const char *v;
    char path[512], section[160];
    cloudtasks__buf text = {0};
    const char *imds_disabled = cloudtasks__env("AWS_EC2_METADATA_DISABLED");
    memset(aws, 0, sizeof *aws);
    pthread_mutex_init(&aws->lock, NULL);
    pthread_mutex_init(&aws->imds_lock, NULL);
    aws->imds_disabled = imds_disabled && cloudtasks__strcaseeq(imds_disabled, "true");
    cloudtasks__set_endpoint(aws->imds_endpoint, sizeof aws->imds_endpoint,
                             (v = cloudtasks__env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) != NULL ? v : "http://169.254.169.254");
    cloudtasks__copy(aws->profile, sizeof aws->profile,
                     (v = cloudtasks__env("AWS_PROFILE")) != NULL || (v = cloudtasks__env("AWS_DEFAULT_PROFILE")) != NULL ? v : "default");
    if ((v = cloudtasks__env("AWS_REGION")) != NULL || (v = cloudtasks__env("AWS_DEFAULT_REGION")) != NULL)
        cloudtasks__copy(aws->region, sizeof aws->region, v);
    if (!aws->region[0]) {
        cloudtasks__aws_config_section(aws, path, sizeof path, section, sizeof section);
        if (cloudtasks__read_file(path, &text, 1 << 20)) cloudtasks__ini_get(text.data, section, "region", aws->region, sizeof aws->region);
        cloudtasks__buf_free(&text);
    }
    if (!aws->region[0] && !aws->imds_disabled)
        cloudtasks__imds_text(aws, h, "/latest/meta-data/placement/region", aws->region, sizeof aws->region);
    if (!aws->region[0])
        return cloudtasks__fail(err, CLOUDTASKS_ECONFIG, "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or region in the "
                                "config file); none came from instance metadata either");
    if ((v = cloudtasks__env("AWS_ENDPOINT_URL_SQS")) != NULL || (v = cloudtasks__env("AWS_ENDPOINT_URL")) != NULL)
        cloudtasks__set_endpoint(aws->sqs_endpoint, sizeof aws->sqs_endpoint, v);
    else snprintf(aws->sqs_endpoint, sizeof aws->sqs_endpoint, "https://sqs.%s.amazonaws.com", aws->region);
    if ((v = cloudtasks__env("AWS_ENDPOINT_URL_STS")) != NULL || (v = cloudtasks__env("AWS_ENDPOINT_URL")) != NULL)
        cloudtasks__set_endpoint(aws->sts_endpoint, sizeof aws->sts_endpoint, v);
    else snprintf(aws->sts_endpoint, sizeof aws->sts_endpoint, "https://sts.%s.amazonaws.com", aws->region);
    return CLOUDTASKS_OK;
}

CLOUDTASKS__PRIVATE void cloudtasks__aws_free(cloudtasks__aws *aws) {
    volatile char *p = (volatile char *)&aws->creds;
    size_t i;
    for (i = 0; i < sizeof aws->creds; i++) p[i] = 0;
    pthread_mutex_destroy(&aws->lock);
    pthread_mutex_destroy(&aws->imds_lock);
}

/* Google credentials, in the order of Application Default Credentials: PUBSUB_EMULATOR_HOST (no
   authentication at all), GOOGLE_APPLICATION_CREDENTIALS (a service-account key: a signed JWT is
   traded for a token; or an authorized_user file: a refresh token is), gcloud's
   application_default_credentials.json, then the GCE metadata server. The access token is cached
   and fetched again five minutes before it expires; a 401 fetches it again once. */
enum { CLOUDTASKS__GCP_NONE, CLOUDTASKS__GCP_SERVICE_ACCOUNT, CLOUDTASKS__GCP_AUTHORIZED_USER, CLOUDTASKS__GCP_METADATA };

typedef struct cloudtasks__gcp {
    pthread_mutex_t lock;        /* the token */
    int source;
    char token[4096];
    double token_until;          /* monotonic: when to fetch the next one */
    double token_expires;        /* monotonic: when this one stops working */
    cloudtasks__rsa_key key;
    char key_id[128], email[320], token_uri[512];
    char client_id[256], client_secret[256], refresh_token[2048];
    char project[128], endpoint[512], metadata[256];
    int metadata_off;            /* NO_GCE_CHECK, or the emulator without GCE_METADATA_HOST: not on GCE */
    char instance_name[256];
    char credentials_file[512];
} cloudtasks__gcp;

/* GET a metadata path (under /computeMetadata/v1/) with the header the server demands. */
CLOUDTASKS__PRIVATE int cloudtasks__gce_get(cloudtasks__gcp *g, cloudtasks__http *h, const char *path, cloudtasks__http_response *rs,
                                            cloudtasks_error *err) {
    char url[700];
    static const char *const hdr[] = {"Metadata-Flavor: Google"};
    cloudtasks__http_request rq = {"GET", url, hdr, 1, NULL, 0, 2.0};
    if (g->metadata_off) return cloudtasks__fail(err, CLOUDTASKS_ECONFIG, "the metadata server is not used (NO_GCE_CHECK or the emulator)");
    snprintf(url, sizeof url, "http://%s/computeMetadata/v1/%s", g->metadata, path);
    return cloudtasks__http_do(h, &rq, rs, err);
}

CLOUDTASKS__PRIVATE int cloudtasks__gce_text(cloudtasks__gcp *g, cloudtasks__http *h, const char *path, char *out, size_t size) {
    cloudtasks__http_response rs = {0, {0}, {0}};
    int ok = cloudtasks__gce_get(g, h, path, &rs, NULL) == CLOUDTASKS_OK && cloudtasks__http_text(&rs, out, size);
    cloudtasks__http_response_free(&rs);
    return ok;
}

/* base64url(JSON header) "." base64url(JSON claims) "." base64url(RS256 signature) */
CLOUDTASKS__PRIVATE int cloudtasks__gcp_jwt(cloudtasks__gcp *g, cloudtasks__buf *jwt, cloudtasks_error *err) {
    cloudtasks_json_writer w;
    cloudtasks__buf sig = {0};
    int64_t now;
    int32_t us;
    int rc;
    cloudtasks__wall(&now, &us);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "alg"); cloudtasks_json_write_cstring(&w, "RS256");
    cloudtasks_json_key(&w, "typ"); cloudtasks_json_write_cstring(&w, "JWT");
    if (g->key_id[0]) { cloudtasks_json_key(&w, "kid"); cloudtasks_json_write_cstring(&w, g->key_id); }
    cloudtasks_json_end_object(&w);
    cloudtasks__base64(jwt, w.data ? w.data : "", w.len, 1);
    cloudtasks_json_writer_free(&w);
    cloudtasks__buf_putc(jwt, '.');
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "iss"); cloudtasks_json_write_cstring(&w, g->email);
    cloudtasks_json_key(&w, "scope"); cloudtasks_json_write_cstring(&w, "https://www.googleapis.com/auth/pubsub");
    cloudtasks_json_key(&w, "aud"); cloudtasks_json_write_cstring(&w, g->token_uri);
    cloudtasks_json_key(&w, "iat"); cloudtasks_json_write_int(&w, now);
    cloudtasks_json_key(&w, "exp"); cloudtasks_json_write_int(&w, now + 3600);
    cloudtasks_json_end_object(&w);
    cloudtasks__base64(jwt, w.data ? w.data : "", w.len, 1);
    cloudtasks_json_writer_free(&w);
    rc = jwt->oom ? cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory") : cloudtasks__rsa_sign_sha256(&g->key, jwt->data, jwt->len, &sig, err);
    if (rc == CLOUDTASKS_OK) {
        cloudtasks__buf_putc(jwt, '.');
        cloudtasks__base64(jwt, sig.data, sig.len, 1);
    }
    cloudtasks__buf_free(&sig);
    return rc == CLOUDTASKS_OK && jwt->oom ? cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory") : rc;
}

/* Reads {"access_token", "expires_in"} from a token answer into the cache. */
CLOUDTASKS__PRIVATE int cloudtasks__gcp_take_token(cloudtasks__gcp *g, const cloudtasks__http_response *rs, const char *what, cloudtasks_error *err) {
    cloudtasks_json_doc *doc = cloudtasks_json_parse(rs->body.data ? rs->body.data : "", rs->body.len, NULL);
    const cloudtasks_json *root = cloudtasks_json_root(doc);
    size_t token_len = 0;
    const char *token = cloudtasks_json_string(cloudtasks_json_get(root, "access_token"), &token_len);
    double expires = cloudtasks_json_number(cloudtasks_json_get(root, "expires_in"), 3600);
    int rc = CLOUDTASKS_OK;
    if (rs->status != 200) {
        const char *e = cloudtasks_json_string(cloudtasks_json_get(root, "error"), NULL);
        const char *d = cloudtasks_json_string(cloudtasks_json_get(root, "error_description"), NULL);
        if (!e) e = cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_get(root, "error"), "message"), NULL);
        rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "%s refused to issue a token (HTTP %ld%s%s%s%s)", what, rs->status, e ? ": " : "", e ? e : "",
                              d ? ": " : "", d ? d : "");
        if (err) err->http_status = (int)rs->status;
    } else if (!token || token_len == 0 || token_len >= sizeof g->token || strlen(token) != token_len || strcspn(token, "\r\n") != token_len)
        rc = cloudtasks__fail(err, CLOUDTASKS_EPROTOCOL, "%s: the answer holds no access_token", what);   /* the old one is kept */
    else {
        double margin;
        memcpy(g->token, token, token_len + 1);
        if (!(expires > 0)) expires = 60;   /* a nonsense lifetime must not mean a fetch per call */
        margin = expires > 600 ? 300 : expires / 2;
        g->token_until = cloudtasks__now() + expires - margin;
        g->token_expires = cloudtasks__now() + expires;
    }
    cloudtasks_json_free(doc);
    return rc;
}

CLOUDTASKS__PRIVATE int cloudtasks__gcp_fetch_token(cloudtasks__gcp *g, cloudtasks__http *h, cloudtasks_error *err) {
    static const char *const form[] = {"Content-Type: application/x-www-form-urlencoded"};
    cloudtasks__http_request rq = {"POST", NULL, form, 1, NULL, 0, 20.0};
    cloudtasks__http_response rs = {0, {0}, {0}};
    cloudtasks__buf body = {0};
    int rc;
    if (g->source == CLOUDTASKS__GCP_METADATA) {
        rc = cloudtasks__gce_get(g, h, "instance/service-accounts/default/token", &rs, err);
        if (rc == CLOUDTASKS_OK) rc = cloudtasks__gcp_take_token(g, &rs, "the metadata server", err);
        cloudtasks__http_response_free(&rs);
        return rc;
    }
    if (g->source == CLOUDTASKS__GCP_SERVICE_ACCOUNT) {
        cloudtasks__buf jwt = {0};
        if ((rc = cloudtasks__gcp_jwt(g, &jwt, err)) != CLOUDTASKS_OK) { cloudtasks__buf_free(&jwt); return rc; }
        cloudtasks__buf_puts(&body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=");
        cloudtasks__buf_append(&body, jwt.data, jwt.len);   /* base64url and dots need no escaping */
        cloudtasks__buf_free(&jwt);
    } else {
        cloudtasks__buf_puts(&body, "grant_type=refresh_token&client_id=");
        cloudtasks__url_encode(&body, g->client_id, strlen(g->client_id), CLOUDTASKS__URL_FORM);
        cloudtasks__buf_puts(&body, "&client_secret=");
        cloudtasks__url_encode(&body, g->client_secret, strlen(g->client_secret), CLOUDTASKS__URL_FORM);
        cloudtasks__buf_puts(&body, "&refresh_token=");
        cloudtasks__url_encode(&body, g->refresh_token, strlen(g->refresh_token), CLOUDTASKS__URL_FORM);
    }
    rq.url = g->token_uri;
    rq.body = body.data;
    rq.body_len = body.len;
    rc = body.oom ? cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory") : cloudtasks__http_do(h, &rq, &rs, err);
    if (rc == CLOUDTASKS_OK) {
        char what[600];
        cloudtasks__url_host(g->token_uri, what, sizeof what);
        rc = cloudtasks__gcp_take_token(g, &rs, what, err);
    }
    cloudtasks__http_response_free(&rs);
    cloudtasks__buf_wipe(&body);   /* it held a secret */
    return rc;
}

/* The Authorization header line for a request ("" for the emulator); force fetches a new token. */
CLOUDTASKS__PRIVATE int cloudtasks__gcp_auth_header(cloudtasks__gcp *g, cloudtasks__http *h, int force, char *out, size_t size, cloudtasks_error *err) {
    int rc = CLOUDTASKS_OK;
    out[0] = '\0';
    if (g->source == CLOUDTASKS__GCP_NONE) return CLOUDTASKS_OK;
    pthread_mutex_lock(&g->lock);
    if (force || !g->token[0] || cloudtasks__now() >= g->token_until) {
        int had = g->token[0] != '\0';
        rc = cloudtasks__gcp_fetch_token(g, h, err);
        if (rc != CLOUDTASKS_OK && had) {
            /* an outage of the token endpoint is not the end: the token fetched five minutes early
               still serves, and after that the call is retried */
            cloudtasks__log(CLOUDTASKS__WARNING, "refreshing the Google access token failed: %s", err ? err->message : "?");
            if (!force && cloudtasks__now() < g->token_expires) rc = CLOUDTASKS_OK;
            else if (rc != CLOUDTASKS_EAUTH || (err && (err->http_status >= 500 || err->http_status == 429)))
                rc = cloudtasks__fail(err, CLOUDTASKS_ETRANSPORT, "the Google access token expired and could not be refreshed; retrying");
        }
    }
    if (rc == CLOUDTASKS_OK) snprintf(out, size, "Authorization: Bearer %s", g->token);
    pthread_mutex_unlock(&g->lock);
    return rc;
}

/* Reads a credentials file: a service-account key or an authorized_user file. */
CLOUDTASKS__PRIVATE int cloudtasks__gcp_load_file(cloudtasks__gcp *g, const char *path, cloudtasks_error *err) {
    cloudtasks__buf text = {0};
    cloudtasks_json_doc *doc;
    const cloudtasks_json *root;
    const char *type, *v;
    size_t pem_len = 0;
    int rc = CLOUDTASKS_OK;
    if (!cloudtasks__read_file(path, &text, 1 << 20)) {
        cloudtasks__buf_free(&text);
        return cloudtasks__fail(err, CLOUDTASKS_EAUTH, "cannot read the credentials file %s", path);
    }
    doc = cloudtasks_json_parse(text.data, text.len, NULL);
    cloudtasks__buf_free(&text);
    root = cloudtasks_json_root(doc);
    type = cloudtasks_json_string(cloudtasks_json_get(root, "type"), NULL);
    cloudtasks__copy(g->credentials_file, sizeof g->credentials_file, path);
    if (!doc) rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "the credentials file %s is not JSON", path);
    else if (type && strcmp(type, "service_account") == 0) {
        const char *pem = cloudtasks_json_string(cloudtasks_json_get(root, "private_key"), &pem_len);
        const char *email = cloudtasks_json_string(cloudtasks_json_get(root, "client_email"), NULL);
        v = cloudtasks_json_string(cloudtasks_json_get(root, "token_uri"), NULL);
        cloudtasks__copy(g->token_uri, sizeof g->token_uri, v ? v : "https://oauth2.googleapis.com/token");
        if ((v = cloudtasks_json_string(cloudtasks_json_get(root, "private_key_id"), NULL)) != NULL) cloudtasks__copy(g->key_id, sizeof g->key_id, v);
        if (!pem || !email) rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "the service-account key %s has no private_key or client_email", path);
        else {
            cloudtasks__copy(g->email, sizeof g->email, email);
            rc = cloudtasks__rsa_key_from_pem(&g->key, pem, pem_len, err);
            if (rc != CLOUDTASKS_OK) {
                char why[200];
                cloudtasks__copy(why, sizeof why, err ? err->message : "");
                rc = cloudtasks__fail(err, rc, "the service-account key %s: %s", path, why);
            }
        }
        g->source = CLOUDTASKS__GCP_SERVICE_ACCOUNT;
    } else if (type && strcmp(type, "authorized_user") == 0) {
        const char *id = cloudtasks_json_string(cloudtasks_json_get(root, "client_id"), NULL);
        const char *secret = cloudtasks_json_string(cloudtasks_json_get(root, "client_secret"), NULL);
        const char *refresh = cloudtasks_json_string(cloudtasks_json_get(root, "refresh_token"), NULL);
        v = cloudtasks__env("CLOUDTASKS_GOOGLE_TOKEN_URI");
        if (!v) v = cloudtasks_json_string(cloudtasks_json_get(root, "token_uri"), NULL);
        cloudtasks__copy(g->token_uri, sizeof g->token_uri, v ? v : "https://oauth2.googleapis.com/token");
        if (!id || !secret || !refresh || !cloudtasks__copy(g->client_id, sizeof g->client_id, id) ||
            !cloudtasks__copy(g->client_secret, sizeof g->client_secret, secret) || !cloudtasks__copy(g->refresh_token, sizeof g->refresh_token, refresh))
            rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "the authorized_user file %s lacks client_id, client_secret or refresh_token", path);
        g->source = CLOUDTASKS__GCP_AUTHORIZED_USER;
    } else
        rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "the credentials file %s has type \"%s\"; service_account and authorized_user are supported",
                              path, type ? type : "(none)");
    if (rc == CLOUDTASKS_OK && !g->project[0] && (v = cloudtasks_json_string(cloudtasks_json_get(root, "project_id"), NULL)) != NULL)
        cloudtasks__copy(g->project, sizeof g->project, v);
    if (rc == CLOUDTASKS_OK && !g->project[0] && (v = cloudtasks_json_string(cloudtasks_json_get(root, "quota_project_id"), NULL)) != NULL)
        cloudtasks__copy(g->project, sizeof g->project, v);
    cloudtasks_json_free(doc);
    return rc;
}

/* Finds the credentials, the project and the endpoint, and fetches a first token (so a bad key
   shows at start-up, once, clearly). */
CLOUDTASKS__PRIVATE int cloudtasks__gcp_init(cloudtasks__gcp *g, cloudtasks__http *h, const char *project, cloudtasks_error *err) {
    const char *v, *emulator = cloudtasks__env("PUBSUB_EMULATOR_HOST");
    char path[600];
    int rc = CLOUDTASKS_OK;
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->lock, NULL);
    cloudtasks__copy(g->metadata, sizeof g->metadata, (v = cloudtasks__env("GCE_METADATA_HOST")) != NULL ? v : "metadata.google.internal");
    g->metadata_off = (!v && emulator) || ((v = cloudtasks__env("NO_GCE_CHECK")) != NULL && cloudtasks__strcaseeq(v, "true"));
    if (project) cloudtasks__copy(g->project, sizeof g->project, project);
    else if ((v = cloudtasks__env("GOOGLE_CLOUD_PROJECT")) != NULL) cloudtasks__copy(g->project, sizeof g->project, v);
    if ((v = cloudtasks__env("CLOUDTASKS_PUBSUB_ENDPOINT")) != NULL) cloudtasks__set_endpoint(g->endpoint, sizeof g->endpoint, v);
    else if (emulator) snprintf(g->endpoint, sizeof g->endpoint, "http://%s", emulator);
    else cloudtasks__copy(g->endpoint, sizeof g->endpoint, "https://pubsub.googleapis.com");
    if (emulator && !cloudtasks__env("CLOUDTASKS_PUBSUB_ENDPOINT")) {
        g->source = CLOUDTASKS__GCP_NONE;
        cloudtasks__log(CLOUDTASKS__INFO, "Pub/Sub emulator at %s (PUBSUB_EMULATOR_HOST): no authentication", emulator);
    } else if ((v = cloudtasks__env("GOOGLE_APPLICATION_CREDENTIALS")) != NULL) {
        rc = cloudtasks__gcp_load_file(g, v, err);
    } else {
        const char *dir = cloudtasks__env("CLOUDSDK_CONFIG"), *home = cloudtasks__env("HOME");
        if (dir) snprintf(path, sizeof path, "%s/application_default_credentials.json", dir);
        else snprintf(path, sizeof path, "%s/.config/gcloud/application_default_credentials.json", home ? home : ".");
        if (access(path, R_OK) == 0) rc = cloudtasks__gcp_load_file(g, path, err);
        else g->source = CLOUDTASKS__GCP_METADATA;
    }
    if (rc == CLOUDTASKS_OK && !g->project[0]) cloudtasks__gce_text(g, h, "project/project-id", g->project, sizeof g->project);
    if (rc == CLOUDTASKS_OK && !g->project[0])
        rc = cloudtasks__fail(err, CLOUDTASKS_ECONFIG, "no Google Cloud project: set --project-id (RMS_CLOUD_TASKS_PROJECT_ID) or "
                              "GOOGLE_CLOUD_PROJECT");
    if (rc == CLOUDTASKS_OK && g->source != CLOUDTASKS__GCP_NONE) {
        static const char *const names[] = {"", "the service-account key %s", "the authorized_user file %s", "the metadata server%s"};
        char line[700];
        pthread_mutex_lock(&g->lock);
        rc = cloudtasks__gcp_fetch_token(g, h, err);
        pthread_mutex_unlock(&g->lock);
        if (rc == CLOUDTASKS_OK) {
            snprintf(line, sizeof line, names[g->source], g->source == CLOUDTASKS__GCP_METADATA ? "" : g->credentials_file);
            cloudtasks__log(CLOUDTASKS__INFO, "Google credentials from %s", line);
        } else if (g->source == CLOUDTASKS__GCP_METADATA && err) {
            char why[200];
            cloudtasks__copy(why, sizeof why, err->message);
            rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS (or PUBSUB_EMULATOR_HOST "
                                  "for the emulator); the metadata server gave none (%s)", why);
        }
    }
    return rc;
}

CLOUDTASKS__PRIVATE void cloudtasks__gcp_free(cloudtasks__gcp *g) {
    volatile char *p = (volatile char *)g;
    size_t i;
    pthread_mutex_destroy(&g->lock);
    for (i = 0; i < sizeof *g; i++) p[i] = 0;   /* keys and tokens */
}

/* >>metadata -------------------------------------------------------------------------------- */

/* The EC2 instance id (cached once IMDS answered); NULL when IMDS has none, so the caller falls
   back to the host name and asks again next time, as the reference does. */
CLOUDTASKS__PRIVATE const char *cloudtasks__aws_instance_id(cloudtasks__aws *aws, cloudtasks__http *h) {
    if (!aws->instance_id[0] && !aws->imds_disabled)
        cloudtasks__imds_text(aws, h, "/latest/meta-data/instance-id", aws->instance_id, sizeof aws->instance_id);
    return aws->instance_id[0] ? aws->instance_id : NULL;
}

/* 1 with the notice's text when EC2 scheduled a spot interruption (spot/instance-action answers
   200); 0 while it answers 404; <0 when IMDS cannot be asked. */
CLOUDTASKS__PRIVATE int cloudtasks__aws_spot_notice(cloudtasks__aws *aws, cloudtasks__http *h, char *text, size_t size) {
    cloudtasks__http_response rs = {0, {0}, {0}};
    int rc = cloudtasks__imds_get(aws, h, "/latest/meta-data/spot/instance-action", &rs, NULL);
    if (rc == CLOUDTASKS_OK) {
        if (rs.status == 200) { snprintf(text, size, "%.*s", (int)rs.body.len, rs.body.data ? rs.body.data : ""); rc = 1; }
        else rc = rs.status == 404 ? 0 : -1;
    }
    cloudtasks__http_response_free(&rs);
    return rc;
}

/* The instance name (cached once known); NULL off GCE. */
CLOUDTASKS__PRIVATE const char *cloudtasks__gcp_instance_name(cloudtasks__gcp *g, cloudtasks__http *h) {
    if (!g->instance_name[0]) cloudtasks__gce_text(g, h, "instance/name", g->instance_name, sizeof g->instance_name);
    return g->instance_name[0] ? g->instance_name : NULL;
}

/* 1 with a JSON text when the instance is being preempted or will be stopped for maintenance. */
CLOUDTASKS__PRIVATE int cloudtasks__gcp_preempted(cloudtasks__gcp *g, cloudtasks__http *h, char *text, size_t size) {
    char value[128];
    if (cloudtasks__gce_text(g, h, "instance/preempted", value, sizeof value) && cloudtasks__strcaseeq(value, "true")) {
        snprintf(text, size, "{\"action\": \"preempted\"}");
        return 1;
    }
    if (cloudtasks__gce_text(g, h, "instance/maintenance-event", value, sizeof value) && strcmp(value, "TERMINATE_ON_HOST_MAINTENANCE") == 0) {
        snprintf(text, size, "{\"action\": \"%s\"}", value);
        return 1;
    }
    return 0;
}

/* >>queue ----------------------------------------------------------------------------------- */

/* The task file source: a JSON array of {"task_id", "data"} records, or JSON Lines. It is read as a
   stream through a buffer that holds about one record, so a file of any length runs in bounded
   memory. A record's extent is found by bracket matching before it is parsed, so one broken record
   is reported and skipped without losing the rest. */
#ifndef CLOUDTASKS_MAX_RECORD_BYTES
#  define CLOUDTASKS_MAX_RECORD_BYTES (64u << 20)
#endif

/* How far the scan of a record has come, so a refill resumes it instead of starting over (which
   would make a large record cost quadratic time). Offsets count from the record's first byte. */
typedef struct cloudtasks__extent {
    size_t at, depth, closed_at;
    int in_string, escape;
} cloudtasks__extent;

typedef struct cloudtasks__taskfile {
    int fd;
    const char *path;
    int jsonl;                  /* JSON Lines, else a JSON array */
    int opened, closed, eof;    /* array: '[' seen, ']' seen; end of file reached */
    int after;                  /* array: 0 after '[', 1 after a record, 2 after a ',' */
    cloudtasks__extent scan;    /* the record being found */
    cloudtasks__buf buf;        /* unread bytes are data[pos, len) */
    size_t pos;
    uint64_t offset;            /* file offset of data[pos] */
    uint64_t line;              /* line number of data[pos] */
    long records;               /* records returned so far */
} cloudtasks__taskfile;

typedef struct cloudtasks__record {
    const char *text;           /* inside the reader's buffer, valid until the next call */
    size_t len;
    long number;                /* 1-based */
    uint64_t offset, line;
} cloudtasks__record;

CLOUDTASKS__PRIVATE int cloudtasks__ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Opens a task file; fills why and returns 0 if it cannot be used. */
CLOUDTASKS__PRIVATE int cloudtasks__taskfile_open(cloudtasks__taskfile *tf, const char *path, cloudtasks__buf *why) {
    memset(tf, 0, sizeof *tf);
    tf->fd = -1;
    tf->path = path;
    tf->line = 1;
    if (cloudtasks__ends_with(path, ".yaml") || cloudtasks__ends_with(path, ".yml")) {
        cloudtasks__buf_printf(why, "task file %s: YAML task files are not supported yet; convert it to JSON "
                               "(a list of {\"task_id\": ..., \"data\": ...}) or JSON Lines", path);
        return 0;
    }
    if (!cloudtasks__ends_with(path, ".json") && !cloudtasks__ends_with(path, ".jsonl") &&
        !cloudtasks__ends_with(path, ".ndjson")) {
        cloudtasks__buf_printf(why, "Unsupported file format for tasks: %s; must be .json or .jsonl (.yml and .yaml "
                               "are not supported yet)", path);
        return 0;
    }
    tf->jsonl = !cloudtasks__ends_with(path, ".json");
    tf->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   /* a FIFO must not block the open */
    if (tf->fd < 0) {
        char e[128];
        cloudtasks__buf_printf(why, "cannot open task file %s: %s", path, cloudtasks__errno_text(errno, e, sizeof e));
        return 0;
    }
    {
        /* The supervisor reads the file between everything else it does; a pipe or device could
           block it, so only regular files are task files. */
        struct stat st;
        if (fstat(tf->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            cloudtasks__buf_printf(why, "task file %s is not a regular file (a pipe or a device cannot be one)", path);
            close(tf->fd);
            tf->fd = -1;
            return 0;
        }
    }
    return 1;
}

CLOUDTASKS__PRIVATE void cloudtasks__taskfile_close(cloudtasks__taskfile *tf) {
    if (tf->fd >= 0) close(tf->fd);
    tf->fd = -1;
    cloudtasks__buf_free(&tf->buf);
}

CLOUDTASKS__PRIVATE int cloudtasks__taskfile_too_big(const cloudtasks__taskfile *tf, cloudtasks__buf *why) {
    cloudtasks__buf_printf(why, "task file %s: record %ld (line %llu) is larger than %u bytes (CLOUDTASKS_MAX_RECORD_BYTES)",
                           tf->path, tf->records + 1, (unsigned long long)tf->line, (unsigned)CLOUDTASKS_MAX_RECORD_BYTES);
    return -1;
}

/* Reads more of the file into the buffer, first dropping what was consumed. 1 read, 0 at end of file, -1 error. */
CLOUDTASKS__PRIVATE int cloudtasks__taskfile_fill(cloudtasks__taskfile *tf, cloudtasks__buf *why) {
    ssize_t n;
    if (tf->eof) return 0;
    if (tf->pos > 0) {
        memmove(tf->buf.data, tf->buf.data + tf->pos, tf->buf.len - tf->pos);
        tf->buf.len -= tf->pos;
        tf->pos = 0;
    }
    if (tf->buf.len > CLOUDTASKS_MAX_RECORD_BYTES) return cloudtasks__taskfile_too_big(tf, why);
    if (!cloudtasks__buf_reserve(&tf->buf, 65536)) { cloudtasks__buf_puts(why, "out of memory reading the task file"); return -1; }
    do n = read(tf->fd, tf->buf.data + tf->buf.len, tf->buf.cap - tf->buf.len - 1 < 65536 ? tf->buf.cap - tf->buf.len - 1 : 65536);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        char e[128];
        cloudtasks__buf_printf(why, "cannot read task file %s: %s", tf->path, cloudtasks__errno_text(errno, e, sizeof e));
        return -1;
    }
    if (n == 0) { tf->eof = 1; return 0; }
    tf->buf.len += (size_t)n;
    tf->buf.data[tf->buf.len] = '\0';
    return 1;
}

CLOUDTASKS__PRIVATE void cloudtasks__taskfile_consume(cloudtasks__taskfile *tf, size_t n) {
    const char *p, *end;
    if (n == 0) return;
    p = tf->buf.data + tf->pos;
    end = p + n;
    while ((p = (const char *)memchr(p, '\n', (size_t)(end - p))) != NULL) { tf->line++; p++; }
    tf->pos += n;
    tf->offset += n;
}

/* Length of the JSON value at s (of n bytes) up to the ',' or ']' that ends it at the top level,
   or up to the end of its value when another follows without a ','. If the buffer ends first,
   *complete is 0 and *balanced says whether all brackets and strings were closed (a record the end
   of the file may end). Strings are skipped whole, so brackets inside them do not count. */
CLOUDTASKS__PRIVATE size_t cloudtasks__record_extent(const char *s, size_t n, cloudtasks__extent *e, int *complete, int *balanced) {
    size_t i;
    for (i = e->at; i < n; i++) {
        char c = s[i];
        if (e->escape) e->escape = 0;
        else if (e->in_string) { if (c == '\\') e->escape = 1; else if (c == '"') e->in_string = 0; }
        else if (e->depth == 0 && e->closed_at && !cloudtasks__is_space(c) && c != ',' && c != ']') {
            *complete = 1;           /* a second value with no ',' before it: the record is the first */
            return e->closed_at;
        } else if (c == '"') e->in_string = 1;
        else if (c == '[' || c == '{') e->depth++;
        else if ((c == ']' || c == '}') && e->depth > 0) { if (--e->depth == 0) e->closed_at = i + 1; }
        else if (e->depth == 0 && (c == ',' || c == ']')) { *complete = 1; return i; }
    }
    e->at = n;
    *complete = 0;
    *balanced = e->depth == 0 && !e->in_string && !e->escape;
    return n;
}

CLOUDTASKS__PRIVATE int cloudtasks__taskfile_next(cloudtasks__taskfile *tf, cloudtasks__record *rec, cloudtasks__buf *why);

/* How many records a task file holds (for the progress line), or -1 if it cannot be read. */
CLOUDTASKS__PRIVATE long cloudtasks__taskfile_count(const char *path) {
    cloudtasks__taskfile tf;
    cloudtasks__record rec;
    cloudtasks__buf why = {0};
    long n = 0;
    int r = 0;
    if (!cloudtasks__taskfile_open(&tf, path, &why)) r = -1;
    else while ((r = cloudtasks__taskfile_next(&tf, &rec, &why)) > 0) n++;
    cloudtasks__taskfile_close(&tf);
    cloudtasks__buf_free(&why);
    return r < 0 ? -1 : n;
}

/* The next record: 1 with *rec filled, 0 at the end, -1 on an error that ends the file (why says it). */
CLOUDTASKS__PRIVATE int cloudtasks__taskfile_next(cloudtasks__taskfile *tf, cloudtasks__record *rec, cloudtasks__buf *why) {
    for (;;) {
        char *p = tf->buf.data ? tf->buf.data + tf->pos : NULL;
        size_t avail = tf->buf.len - tf->pos, skip = 0, n;
        int complete = 0, balanced = 0, r;
        while (skip < avail && cloudtasks__is_space(p[skip])) skip++;
        if (skip == avail) {            /* nothing but space buffered */
            cloudtasks__taskfile_consume(tf, skip);
            r = cloudtasks__taskfile_fill(tf, why);
            if (r < 0) return -1;
            if (r > 0) continue;
            if (!tf->jsonl && !tf->closed) {
                cloudtasks__buf_printf(why, tf->opened ? "task file %s ends before the ']' that closes its list of tasks"
                                                       : "task file %s is empty; expected a JSON list of tasks", tf->path);
                return -1;
            }
            return 0;
        }
        if (tf->closed) {
            cloudtasks__taskfile_consume(tf, skip);
            cloudtasks__buf_printf(why, "task file %s: unexpected text after the closing ']' at line %llu", tf->path,
                                   (unsigned long long)tf->line);
            return -1;
        }
        if (tf->jsonl) {
            char *nl;
            cloudtasks__taskfile_consume(tf, skip);   /* blank lines count before a refill */
            p += skip;
            avail -= skip;
            skip = 0;
            nl = tf->scan.at < avail ? (char *)memchr(p + tf->scan.at, '\n', avail - tf->scan.at) : NULL;
            tf->scan.at = avail;   /* a refill resumes the search here */
            if (!nl && !tf->eof) {
                if (cloudtasks__taskfile_fill(tf, why) < 0) return -1;
                continue;
            }
            n = nl ? (size_t)(nl - p) : avail;
            memset(&tf->scan, 0, sizeof tf->scan);
            if (n > CLOUDTASKS_MAX_RECORD_BYTES) return cloudtasks__taskfile_too_big(tf, why);
            rec->text = tf->buf.data + tf->pos;
            rec->len = n;
            rec->number = ++tf->records;
            rec->offset = tf->offset;
            rec->line = tf->line;
            cloudtasks__taskfile_consume(tf, n + (nl != NULL));
            while (rec->len > 0 && cloudtasks__is_space(rec->text[rec->len - 1])) rec->len--;
            return 1;
        }
        if (!tf->opened) {
            if (p[skip] != '[') {
                cloudtasks__buf_printf(why, "task file %s must hold a JSON list of tasks (or use .jsonl for JSON Lines); "
                                       "it starts with '%c'", tf->path, p[skip]);
                return -1;
            }
            tf->opened = 1;
            cloudtasks__taskfile_consume(tf, skip + 1);
            continue;
        }
        cloudtasks__taskfile_consume(tf, skip);   /* line numbers now point at what comes next */
        p += skip;
        avail -= skip;
        if (*p == ']' && tf->after != 2) { tf->closed = 1; cloudtasks__taskfile_consume(tf, 1); continue; }
        if (tf->after == 1) {
            if (*p == ',') { tf->after = 2; cloudtasks__taskfile_consume(tf, 1); continue; }
            cloudtasks__buf_printf(why, "task file %s: expected ',' or ']' after record %ld, at line %llu", tf->path,
                                   tf->records, (unsigned long long)tf->line);
            return -1;
        }
        if (*p == ',' || *p == ']') {
            cloudtasks__buf_printf(why, "task file %s: expected a task before the '%c' at line %llu", tf->path, *p,
                                   (unsigned long long)tf->line);
            return -1;
        }
        n = cloudtasks__record_extent(p, avail, &tf->scan, &complete, &balanced);
        if (!complete) {
            if ((r = cloudtasks__taskfile_fill(tf, why)) < 0) return -1;
            if (r > 0) continue;
        }
        if (!complete && !balanced) {
            cloudtasks__buf_printf(why, "task file %s ends inside record %ld (line %llu); expected ',' or ']'", tf->path,
                                   tf->records + 1, (unsigned long long)tf->line);
            return -1;
        }
        if (n > CLOUDTASKS_MAX_RECORD_BYTES) return cloudtasks__taskfile_too_big(tf, why);
        memset(&tf->scan, 0, sizeof tf->scan);
        tf->after = 1;
        rec->text = tf->buf.data + tf->pos;
        rec->len = n;
        rec->number = ++tf->records;
        rec->offset = tf->offset;
        rec->line = tf->line;
        cloudtasks__taskfile_consume(tf, n);
        while (rec->len > 0 && cloudtasks__is_space(rec->text[rec->len - 1])) rec->len--;
        return 1;
    }
}

/* ---- cloud queues ---- */

/* What every cloud queue does for the worker: receive leased messages, settle them (acknowledge,
   or change the lease: 0 releases at once, more extends), and send event records. Each call is
   one blocking request (or a few, for transient failures) made by one of the supervisor's
   network threads. */
typedef struct cloudtasks__msg {
    char *body, *handle;         /* the message text; its receipt handle / ack id */
    size_t body_len;
    char message_id[128];
    int receive_count;
    double extend_at;            /* monotonic: when its lease is next extended (kept by the supervisor) */
} cloudtasks__msg;

typedef struct cloudtasks__settle {
    char *handle;
    int seconds;                 /* new lease; CLOUDTASKS__ACK: acknowledge */
    char task_id[96];            /* for messages */
    char error[300];             /* why the queue refused this entry ("" if it did not) */
} cloudtasks__settle;

enum { CLOUDTASKS__ACK = -1, CLOUDTASKS__BATCH_MAX = 10 };

typedef struct cloudtasks__queue_ops {
    const char *name;            /* "AWS" */
    int max_receive;             /* messages one receive may ask for */
    int max_lease;               /* the longest lease one call may set */
    size_t max_event_bytes;      /* the largest message body the event queue takes */
    int (*receive)(void *q, cloudtasks__http *h, int max, int wait, int lease, cloudtasks__msg *out, int *n, cloudtasks_error *err);
    int (*settle)(void *q, cloudtasks__http *h, cloudtasks__settle *s, int n, cloudtasks_error *err);
    int (*send)(void *q, cloudtasks__http *h, char **bodies, const size_t *lens, int *sent, int n, cloudtasks_error *err);
    const char *(*instance_id)(void *q, cloudtasks__http *h);                 /* NULL: not known (use the host name) */
    int (*termination)(void *q, cloudtasks__http *h, char *text, size_t size);  /* 1: a notice, as JSON text */
} cloudtasks__queue_ops;

CLOUDTASKS__PRIVATE void cloudtasks__msg_free(cloudtasks__msg *m) {
    CLOUDTASKS_FREE(m->body);
    CLOUDTASKS_FREE(m->handle);
    memset(m, 0, sizeof *m);
}

/* Amazon SQS over the JSON 1.0 protocol, signed with SigV4. The QueueUrl is opaque: requests go to
   the configured endpoint, whatever host the URL names. */
typedef struct cloudtasks__sqs {
    cloudtasks__aws *aws;
    char name[96], url[1024];               /* the task queue */
    char events_name[96], events_url[1024]; /* Q-events */
} cloudtasks__sqs;

/* A decimal count such as "3" (SQS sends numbers as strings); 0 for anything else. */
CLOUDTASKS__PRIVATE int cloudtasks__small_int(const char *s) {
    int v = 0;
    if (!*s) return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > 100000000) return 0;
        v = v * 10 + (*s - '0');
    }
    return *s ? 0 : v;
}

/* 1 for the error codes that mean the credentials or the signature were refused. */
CLOUDTASKS__PRIVATE int cloudtasks__aws_auth_code(const char *code) {
    static const char *const codes[] = {
        "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AccessDenied", "AccessDeniedException",
        "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken", "MissingAuthenticationTokenException",
        "AuthFailure", "InvalidAccessKeyId", "InvalidSecurity", "ExpiredToken", "ExpiredTokenException", "RequestExpired",
        "NotAuthorized", "OptInRequired"};
    size_t i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(code, codes[i]) == 0) return 1;
    return 0;
}

/* The error code and message of a failed AWS answer: JSON {"__type", "message"}, the
   x-amzn-query-error header, or an XML <Error> (moto answers auth failures in XML). */
CLOUDTASKS__PRIVATE void cloudtasks__aws_error_of(const cloudtasks__http_response *rs, char *code, size_t code_size, char *message,
                                                  size_t message_size) {
    const char *body = rs->body.data ? rs->body.data : "";
    char query[160];
    cloudtasks_json_doc *doc = cloudtasks_json_parse(body, rs->body.len, NULL);
    const cloudtasks_json *root = cloudtasks_json_root(doc);
    const char *type = cloudtasks_json_string(cloudtasks_json_get(root, "__type"), NULL);
    const char *text = cloudtasks_json_string(cloudtasks_json_get(root, "message"), NULL);
    if (!text) text = cloudtasks_json_string(cloudtasks_json_get(root, "Message"), NULL);
    code[0] = message[0] = '\0';
    if (type) {
        cloudtasks__copy(code, code_size, strchr(type, '#') ? strchr(type, '#') + 1 : type);
        code[strcspn(code, ":")] = '\0';   /* "ns#Code:http://..." is the JSON protocol's full form */
    }
    if (text) cloudtasks__copy(message, message_size, text);
    cloudtasks_json_free(doc);
    if (!code[0]) cloudtasks__xml_text(body, rs->body.len, "Code", code, code_size);
    if (!message[0]) cloudtasks__xml_text(body, rs->body.len, "Message", message, message_size);
    if (!code[0] && cloudtasks__http_header(rs, "x-amzn-query-error", query, sizeof query)) {
        query[strcspn(query, ";:")] = '\0';
        cloudtasks__copy(code, code_size, query);
    }
    if (!code[0] && cloudtasks__http_header(rs, "x-amzn-ErrorType", query, sizeof query)) {
        const char *c = strchr(query, '#') ? strchr(query, '#') + 1 : query;
        cloudtasks__copy(code, code_size, c);
        code[strcspn(code, ";:")] = '\0';
    }
    if (!code[0]) snprintf(code, code_size, "HTTP%ld", rs->status);
}

/* One signed SQS call. On success *doc holds the parsed answer (NULL for an empty body, which
   some servers send for "nothing"). On an error answer, code receives the AWS error code. */
CLOUDTASKS__PRIVATE int cloudtasks__sqs_call_once(cloudtasks__sqs *q, cloudtasks__http *h, const char *op, const char *body, size_t len,
                                                  double timeout, int force_creds, cloudtasks_json_doc **doc, char *code, size_t code_size,
                                                  cloudtasks_error *err) {
    cloudtasks__aws_creds c;
    cloudtasks__http_response rs = {0, {0}, {0}};
    char host[256], date[17], target[96], auth[600], h_host[300], h_date[40], h_target[128], h_token[8300], h_auth[640];
    cloudtasks_header signed_headers[5];
    const char *lines[6];
    cloudtasks_sigv4_request sr;
    cloudtasks__http_request rq;
    int64_t now;
    int32_t us;
    size_t nh = 0;
    int rc;
    char message[256];
    *doc = NULL;
    code[0] = '\0';
    if ((rc = cloudtasks__aws_credentials(q->aws, h, force_creds, &c, err)) != CLOUDTASKS_OK) return rc;
    cloudtasks__url_host(q->aws->sqs_endpoint, host, sizeof host);
    if (strncmp(q->aws->sqs_endpoint, "https://", 8) == 0 && cloudtasks__ends_with(host, ":443")) host[strlen(host) - 4] = '\0';
    if (strncmp(q->aws->sqs_endpoint, "http://", 7) == 0 && cloudtasks__ends_with(host, ":80")) host[strlen(host) - 3] = '\0';
    cloudtasks__wall(&now, &us);
    cloudtasks__format_amz_date(date, now);
    snprintf(target, sizeof target, "AmazonSQS.%s", op);
    signed_headers[nh].name = "Host"; signed_headers[nh++].value = host;
    signed_headers[nh].name = "Content-Type"; signed_headers[nh++].value = "application/x-amz-json-1.0";
    signed_headers[nh].name = "X-Amz-Date"; signed_headers[nh++].value = date;
    signed_headers[nh].name = "X-Amz-Target"; signed_headers[nh++].value = target;
    if (c.token[0]) { signed_headers[nh].name = "X-Amz-Security-Token"; signed_headers[nh++].value = c.token; }
    memset(&sr, 0, sizeof sr);
    sr.method = "POST";
    sr.path_and_query = "/";
    sr.headers = signed_headers;
    sr.header_count = nh;
    sr.body = body;
    sr.body_len = len;
    sr.region = q->aws->region;
    sr.service = "sqs";
    sr.access_key_id = c.key_id;
    sr.secret_access_key = c.secret;
    sr.normalize_path = 1;
    rc = cloudtasks_sigv4_authorization(&sr, auth, sizeof auth);
    memset(&c.secret, 0, sizeof c.secret);
    if (rc < 0) return cloudtasks__fail(err, rc, "cannot sign the SQS %s request: %s", op, cloudtasks_code_string(rc));
    snprintf(h_host, sizeof h_host, "Host: %s", host);
    snprintf(h_date, sizeof h_date, "X-Amz-Date: %s", date);
    snprintf(h_auth, sizeof h_auth, "Authorization: %s", auth);
    lines[0] = h_host;
    lines[1] = "Content-Type: application/x-amz-json-1.0";
    lines[2] = h_date;
    snprintf(h_target, sizeof h_target, "X-Amz-Target: %s", target);
    lines[3] = h_target;
    lines[4] = h_auth;
    nh = 5;
    if (c.token[0]) { snprintf(h_token, sizeof h_token, "X-Amz-Security-Token: %s", c.token); lines[nh++] = h_token; }
    memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.url = q->aws->sqs_endpoint;
    rq.headers = lines;
    rq.header_count = nh;
    rq.body = body;
    rq.body_len = len;
    rq.timeout = timeout;
    rc = cloudtasks__http_do(h, &rq, &rs, err);
    if (rc != CLOUDTASKS_OK) { cloudtasks__http_response_free(&rs); return rc; }
    if (err) err->http_status = (int)rs.status;
    if (rs.status == 200) {
        if (rs.body.len && !(*doc = cloudtasks_json_parse(rs.body.data, rs.body.len, NULL)))
            rc = cloudtasks__fail(err, CLOUDTASKS_EPROTOCOL, "SQS %s: the answer is not JSON", op);
        cloudtasks__http_response_free(&rs);
        return rc;
    }
    cloudtasks__aws_error_of(&rs, code, code_size, message, sizeof message);
    if (cloudtasks__aws_auth_code(code) || rs.status == 401 || rs.status == 403)
        rc = cloudtasks__fail(err, CLOUDTASKS_EAUTH, "SQS %s: AWS refused the credentials (HTTP %ld %s); check the access key and "
                              "secret (or the role) and the permission sqs:%.*s. AWS said: %s", op, rs.status, code,
                              (int)(cloudtasks__ends_with(op, "Batch") ? strlen(op) - 5 : strlen(op)), op, message);
    else rc = cloudtasks__fail(err, CLOUDTASKS_EHTTP, "SQS %s: HTTP %ld %s: %s", op, rs.status, code, message);
    if (err) err->http_status = (int)rs.status;
    cloudtasks__http_response_free(&rs);
    return rc;
}

/* 1 when an error is worth trying again: no answer, throttling, a server-side failure. */
CLOUDTASKS__PRIVATE int cloudtasks__transient(int rc, int status, const char *code) {
    if (rc == CLOUDTASKS_ETRANSPORT || rc == CLOUDTASKS_ETIMEOUT || rc == CLOUDTASKS_EPROTOCOL) return 1;
    if (rc != CLOUDTASKS_EHTTP) return 0;
    return status >= 500 || status == 429 || strstr(code, "Throttl") != NULL || strcmp(code, "RequestThrottled") == 0 ||
           strcmp(code, "ServiceUnavailable") == 0 || strcmp(code, "InternalError") == 0 || strcmp(code, "KmsThrottled") == 0;
}

/* An SQS call with the SDKs' standard retry: transient failures up to 4 more times with jittered
   exponential backoff; expired credentials fetched again once. */
CLOUDTASKS__PRIVATE int cloudtasks__sqs_call(cloudtasks__sqs *q, cloudtasks__http *h, const char *op, const cloudtasks_json_writer *w,
                                             double timeout, cloudtasks_json_doc **doc, char *code, size_t code_size, cloudtasks_error *err) {
    int attempt, rc = CLOUDTASKS_OK, force = 0;
    if (w->error) return cloudtasks__fail(err, w->error, "cannot build the SQS %s request", op);
    for (attempt = 0; attempt < 5; attempt++) {
        if (err) err->http_status = 0;
        rc = cloudtasks__sqs_call_once(q, h, op, w->data, w->len, timeout, force, doc, code, code_size, err);
        if (rc == CLOUDTASKS_EAUTH && !force && (strncmp(code, "ExpiredToken", 12) == 0 || strcmp(code, "RequestExpired") == 0)) { force = 1; continue; }
        if (!cloudtasks__transient(rc, err ? err->http_status : 0, code)) break;
        if (h->abandon && atomic_load(h->abandon)) break;
        if (attempt < 4) cloudtasks__nap(cloudtasks__backoff(attempt, 0.1, 5.0), h->abandon);
    }
    return rc;
}

CLOUDTASKS__PRIVATE int cloudtasks__sqs_missing_queue(const char *code) {
    return strcmp(code, "QueueDoesNotExist") == 0 || strcmp(code, "AWS.SimpleQueueService.NonExistentQueue") == 0 ||
           strcmp(code, "NonExistentQueue") == 0;
}

/* The URL of queue name, created the way the reference creates it when missing. */
CLOUDTASKS__PRIVATE int cloudtasks__sqs_queue_url(cloudtasks__sqs *q, cloudtasks__http *h, const char *name, char *url, size_t size,
                                                  cloudtasks_error *err) {
    int attempt, rc = CLOUDTASKS_OK;
    for (attempt = 0; attempt < 2; attempt++) {
        cloudtasks_json_writer w;
        cloudtasks_json_doc *doc = NULL;
        char code[128];
        const char *found;
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_begin_object(&w);
        cloudtasks_json_key(&w, "QueueName");
        cloudtasks_json_write_cstring(&w, name);
        cloudtasks_json_end_object(&w);
        rc = cloudtasks__sqs_call(q, h, "GetQueueUrl", &w, 20.0, &doc, code, sizeof code, err);
        cloudtasks_json_writer_free(&w);
        if (rc == CLOUDTASKS_OK) {
            found = cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_root(doc), "QueueUrl"), NULL);
            if (!found || !cloudtasks__copy(url, size, found)) rc = cloudtasks__fail(err, CLOUDTASKS_EPROTOCOL, "SQS GetQueueUrl %s: no QueueUrl", name);
            cloudtasks_json_free(doc);
            return rc;
        }
        if (!cloudtasks__sqs_missing_queue(code) || attempt > 0) return rc;
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_begin_object(&w);
        cloudtasks_json_key(&w, "QueueName");
        cloudtasks_json_write_cstring(&w, name);
        cloudtasks_json_key(&w, "Attributes");
        cloudtasks_json_begin_object(&w);
        cloudtasks_json_key(&w, "VisibilityTimeout"); cloudtasks_json_write_cstring(&w, "60");
        cloudtasks_json_key(&w, "MessageRetentionPeriod"); cloudtasks_json_write_cstring(&w, "1209600");
        cloudtasks_json_end_object(&w);
        cloudtasks_json_end_object(&w);
        cloudtasks__log(CLOUDTASKS__INFO, "SQS queue %s does not exist; creating it", name);
        rc = cloudtasks__sqs_call(q, h, "CreateQueue", &w, 20.0, &doc, code, sizeof code, err);
        cloudtasks_json_writer_free(&w);
        cloudtasks_json_free(doc);
        if (rc != CLOUDTASKS_OK && strcmp(code, "QueueAlreadyExists") != 0 && strcmp(code, "QueueNameExists") != 0) return rc;
    }
    return rc;
}

CLOUDTASKS__PRIVATE int cloudtasks__sqs_receive(void *queue, cloudtasks__http *h, int max, int wait, int lease, cloudtasks__msg *out, int *n,
                                                cloudtasks_error *err) {
    cloudtasks__sqs *q = (cloudtasks__sqs *)queue;
    cloudtasks_json_writer w;
    cloudtasks_json_doc *doc = NULL;
    const cloudtasks_json *list;
    char code[128];
    size_t i;
    int rc;
    *n = 0;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "QueueUrl"); cloudtasks_json_write_cstring(&w, q->url);
    cloudtasks_json_key(&w, "MaxNumberOfMessages"); cloudtasks_json_write_int(&w, max);
    cloudtasks_json_key(&w, "WaitTimeSeconds"); cloudtasks_json_write_int(&w, wait);
    cloudtasks_json_key(&w, "VisibilityTimeout"); cloudtasks_json_write_int(&w, lease);
    /* the current name and the older one; some servers know only one of them */
    cloudtasks_json_key(&w, "MessageSystemAttributeNames");
    cloudtasks_json_begin_array(&w); cloudtasks_json_write_cstring(&w, "ApproximateReceiveCount"); cloudtasks_json_end_array(&w);
    cloudtasks_json_key(&w, "AttributeNames");
    cloudtasks_json_begin_array(&w); cloudtasks_json_write_cstring(&w, "ApproximateReceiveCount"); cloudtasks_json_end_array(&w);
    cloudtasks_json_end_object(&w);
    rc = cloudtasks__sqs_call(q, h, "ReceiveMessage", &w, wait + 10.0, &doc, code, sizeof code, err);
    cloudtasks_json_writer_free(&w);
    if (rc != CLOUDTASKS_OK && cloudtasks__sqs_missing_queue(code)) rc = CLOUDTASKS_ECONFIG;   /* deleted under us */
    if (rc != CLOUDTASKS_OK) return rc;
    list = cloudtasks_json_get(cloudtasks_json_root(doc), "Messages");
    for (i = 0; i < cloudtasks_json_length(list) && *n < max; i++) {
        const cloudtasks_json *m = cloudtasks_json_at(list, i);
        size_t blen = 0;
        const char *body = cloudtasks_json_string(cloudtasks_json_get(m, "Body"), &blen);
        const char *handle = cloudtasks_json_string(cloudtasks_json_get(m, "ReceiptHandle"), NULL);
        const char *id = cloudtasks_json_string(cloudtasks_json_get(m, "MessageId"), NULL);
        const char *count = cloudtasks_json_string(cloudtasks_json_get(cloudtasks_json_get(m, "Attributes"), "ApproximateReceiveCount"), NULL);
        cloudtasks__msg *msg = &out[*n];
        if (!handle) continue;   /* nothing can be done with it; its lease runs out */
        memset(msg, 0, sizeof *msg);
        msg->body = cloudtasks__strndup(body ? body : "", body ? blen : 0);
        msg->body_len = body ? blen : 0;
        msg->handle = cloudtasks__strdup(handle);
        if (id) cloudtasks__copy(msg->message_id, sizeof msg->message_id, id);
        msg->receive_count = count ? cloudtasks__small_int(count) : 0;
        if (!msg->body || !msg->handle) { cloudtasks__msg_free(msg); continue; }
        (*n)++;
    }
    cloudtasks_json_free(doc);
    return CLOUDTASKS_OK;
}

/* Marks the entries a batch answer lists under "Failed" (HTTP 200 does not mean they all worked). */
CLOUDTASKS__PRIVATE void cloudtasks__sqs_failed_entries(const cloudtasks_json_doc *doc, cloudtasks__settle *s, int n) {
    const cloudtasks_json *failed = cloudtasks_json_get(cloudtasks_json_root(doc), "Failed");
    size_t i;
    for (i = 0; i < cloudtasks_json_length(failed); i++) {
        const cloudtasks_json *f = cloudtasks_json_at(failed, i);
        size_t id_len = 0;
        const char *id = cloudtasks_json_string(cloudtasks_json_get(f, "Id"), &id_len);
        const char *code = cloudtasks_json_string(cloudtasks_json_get(f, "Code"), NULL);
        const char *message = cloudtasks_json_string(cloudtasks_json_get(f, "Message"), NULL);
        char sent[16];
        int k;
        for (k = 0; k < n; k++) {   /* exactly the ids we sent: "0".."9" */
            snprintf(sent, sizeof sent, "%d", k);
            if (id && id_len == strlen(sent) && memcmp(id, sent, id_len) == 0) break;
        }
        if (k < n) snprintf(s[k].error, sizeof s[k].error, "%s: %s", code ? code : "failed", message ? message : "");
    }
}

/* Acknowledges (DeleteMessageBatch) or changes leases (ChangeMessageVisibilityBatch) of up to 10
   entries, all of one kind. */
CLOUDTASKS__PRIVATE int cloudtasks__sqs_settle(void *queue, cloudtasks__http *h, cloudtasks__settle *s, int n, cloudtasks_error *err) {
    cloudtasks__sqs *q = (cloudtasks__sqs *)queue;
    cloudtasks_json_writer w;
    cloudtasks_json_doc *doc = NULL;
    char code[128], id[16];
    int i, rc, ack = s[0].seconds == CLOUDTASKS__ACK;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "QueueUrl"); cloudtasks_json_write_cstring(&w, q->url);
    cloudtasks_json_key(&w, "Entries");
    cloudtasks_json_begin_array(&w);
    for (i = 0; i < n; i++) {
        s[i].error[0] = '\0';
        snprintf(id, sizeof id, "%d", i);
        cloudtasks_json_begin_object(&w);
        cloudtasks_json_key(&w, "Id"); cloudtasks_json_write_cstring(&w, id);
        cloudtasks_json_key(&w, "ReceiptHandle"); cloudtasks_json_write_cstring(&w, s[i].handle);
        if (!ack) { cloudtasks_json_key(&w, "VisibilityTimeout"); cloudtasks_json_write_int(&w, s[i].seconds); }
        cloudtasks_json_end_object(&w);
    }
    cloudtasks_json_end_array(&w);
    cloudtasks_json_end_object(&w);
    rc = cloudtasks__sqs_call(q, h, ack ? "DeleteMessageBatch" : "ChangeMessageVisibilityBatch", &w, 20.0, &doc, code, sizeof code, err);
    cloudtasks_json_writer_free(&w);
    if (rc == CLOUDTASKS_OK) cloudtasks__sqs_failed_entries(doc, s, n);
    cloudtasks_json_free(doc);
    return rc;
}

/* Sends up to 10 event records to Q-events (SendMessageBatch); sent[i] says which arrived. */
CLOUDTASKS__PRIVATE int cloudtasks__sqs_send(void *queue, cloudtasks__http *h, char **bodies, const size_t *lens, int *sent, int n,
                                             cloudtasks_error *err) {
    cloudtasks__sqs *q = (cloudtasks__sqs *)queue;
    cloudtasks_json_writer w;
    cloudtasks_json_doc *doc = NULL;
    cloudtasks__settle marks[CLOUDTASKS__BATCH_MAX];
    char code[128], id[16];
    int i, rc;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "QueueUrl"); cloudtasks_json_write_cstring(&w, q->events_url);
    cloudtasks_json_key(&w, "Entries");
    cloudtasks_json_begin_array(&w);
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%d", i);
        cloudtasks_json_begin_object(&w);
        cloudtasks_json_key(&w, "Id"); cloudtasks_json_write_cstring(&w, id);
        cloudtasks_json_key(&w, "MessageBody"); cloudtasks_json_write_string(&w, bodies[i], lens[i]);
        cloudtasks_json_end_object(&w);
        marks[i].error[0] = '\0';
    }
    cloudtasks_json_end_array(&w);
    cloudtasks_json_end_object(&w);
    rc = cloudtasks__sqs_call(q, h, "SendMessageBatch", &w, 20.0, &doc, code, sizeof code, err);
    cloudtasks_json_writer_free(&w);
    if (rc == CLOUDTASKS_OK) cloudtasks__sqs_failed_entries(doc, marks, n);
    for (i = 0; i < n; i++) sent[i] = rc == CLOUDTASKS_OK && !marks[i].error[0];
    if (rc == CLOUDTASKS_OK)
        for (i = 0; i < n; i++)
            if (!sent[i]) { rc = cloudtasks__fail(err, CLOUDTASKS_EHTTP, "SQS SendMessageBatch to %s: %s", q->events_name, marks[i].error); break; }
    cloudtasks_json_free(doc);
    return rc;
}

CLOUDTASKS__PRIVATE const char *cloudtasks__sqs_instance(void *queue, cloudtasks__http *h) {
    return cloudtasks__aws_instance_id(((cloudtasks__sqs *)queue)->aws, h);
}

CLOUDTASKS__PRIVATE int cloudtasks__sqs_termination(void *queue, cloudtasks__http *h, char *text, size_t size) {
    return cloudtasks__aws_spot_notice(((cloudtasks__sqs *)queue)->aws, h, text, size);
}

static const cloudtasks__queue_ops cloudtasks__sqs_ops = {
    "AWS", 10, 43200, 262144, cloudtasks__sqs_receive, cloudtasks__sqs_settle, cloudtasks__sqs_send,
    cloudtasks__sqs_instance, cloudtasks__sqs_termination
};

/* Google Cloud Pub/Sub, REST v1: subscription Q-subscription on topic Q-topic; events published to
   Q-events-topic (with Q-events-subscription, so events wait for the manager to read them). */
typedef struct cloudtasks__pubsub {
    cloudtasks__gcp *gcp;
    char subscription[400], topic[400];          /* "projects/P/subscriptions/Q-subscription" */
    char events_topic[400], events_subscription[400];
    int exactly_once, ack_deadline;
    int quick;                   /* --exit-when-idle: pulls answer at once, so "empty" is certain */
} cloudtasks__pubsub;

/* The message and status of Google's error envelope {"error": {"code", "message", "status"}}. */
CLOUDTASKS__PRIVATE void cloudtasks__google_error_of(const cloudtasks__http_response *rs, char *status, size_t status_size, char *message,
                                                     size_t message_size) {
    cloudtasks_json_doc *doc = cloudtasks_json_parse(rs->body.data ? rs->body.data : "", rs->body.len, NULL);
    const cloudtasks_json *e = cloudtasks_json_get(cloudtasks_json_root(doc), "error");
    const char *s = cloudtasks_json_string(cloudtasks_json_get(e, "status"), NULL), *m = cloudtasks_json_string(cloudtasks_json_get(e, "message"), NULL);
    if (s) cloudtasks__copy(status, status_size, s);
    else snprintf(status, status_size, "HTTP%ld", rs->status);
    if (m) cloudtasks__copy(message, message_size, m);
    else snprintf(message, message_size, "%.*s", (int)(rs->body.len < 200 ? rs->body.len : 200), rs->body.data ? rs->body.data : "");
    cloudtasks_json_free(doc);
}

/* One Pub/Sub call, with retries for 429/5xx/no answer and one new token after a 401. *doc gets
   the answer (NULL when empty); *status the HTTP status. 403 is EAUTH, 404 ECONFIG. */
CLOUDTASKS__PRIVATE int cloudtasks__pubsub_call(cloudtasks__pubsub *q, cloudtasks__http *h, const char *method, const char *path,
                                                const cloudtasks_json_writer *w, double timeout, int retries, cloudtasks_json_doc **doc,
                                                long *status, cloudtasks_error *err) {
    int attempt, rc = CLOUDTASKS_OK, force = 0;
    *doc = NULL;
    *status = 0;
    if (w && w->error) return cloudtasks__fail(err, w->error, "cannot build the Pub/Sub request %s", path);
    for (attempt = 0; attempt <= retries; attempt++) {
        char auth[4200], url[1000], gstatus[64], message[300];
        const char *lines[2];
        cloudtasks__http_request rq;
        cloudtasks__http_response rs = {0, {0}, {0}};
        size_t nh = 0;
        if ((rc = cloudtasks__gcp_auth_header(q->gcp, h, force, auth, sizeof auth, err)) != CLOUDTASKS_OK) return rc;
        lines[nh++] = "Content-Type: application/json";
        if (auth[0]) lines[nh++] = auth;
        snprintf(url, sizeof url, "%s%s", q->gcp->endpoint, path);
        memset(&rq, 0, sizeof rq);
        rq.method = method;
        rq.url = url;
        rq.headers = lines;
        rq.header_count = nh;
        rq.body = w ? w->data : NULL;
        rq.body_len = w ? w->len : 0;
        rq.timeout = timeout;
        rc = cloudtasks__http_do(h, &rq, &rs, err);
        memset(auth, 0, sizeof auth);
        *status = rs.status;
        if (err) err->http_status = (int)rs.status;
        if (rc == CLOUDTASKS_OK && rs.status >= 200 && rs.status < 300) {
            if (rs.body.len && !(*doc = cloudtasks_json_parse(rs.body.data, rs.body.len, NULL)))
                rc = cloudtasks__fail(err, CLOUDTASKS_EPROTOCOL, "Pub/Sub %s: the answer is not JSON", path);
            cloudtasks__http_response_free(&rs);
            return rc;
        }
        if (rc == CLOUDTASKS_OK) {
            cloudtasks__google_error_of(&rs, gstatus, sizeof gstatus, message, sizeof message);
            if (rs.status == 401 && !force) { force = 1; cloudtasks__http_response_free(&rs); attempt--; continue; }
            rc = cloudtasks__fail(err, rs.status == 401 || rs.status == 403 ? CLOUDTASKS_EAUTH : rs.status == 404 ? CLOUDTASKS_ECONFIG :
                                  CLOUDTASKS_EHTTP, "Pub/Sub %s %s: HTTP %ld %s: %s", method, path, rs.status, gstatus, message);
            if (err) err->http_status = (int)rs.status;
            /* a 400 may name the ack ids it refused (error.details): the caller gets the answer */
            if (rs.status == 400 && rs.body.len && !*doc) *doc = cloudtasks_json_parse(rs.body.data, rs.body.len, NULL);
        }
        cloudtasks__http_response_free(&rs);
        if (rc == CLOUDTASKS_EAUTH || rc == CLOUDTASKS_ECONFIG || (rc == CLOUDTASKS_ETIMEOUT && retries == 0)) return rc;
        if (rc == CLOUDTASKS_EHTTP && *status != 429 && *status < 500) return rc;
        if (h->abandon && atomic_load(h->abandon)) return rc;
        if (attempt < retries) cloudtasks__nap(cloudtasks__backoff(attempt, 0.1, 5.0), h->abandon);
    }
    return rc;
}

/* GET a topic or subscription; PUT it (with body w) when it does not exist. 409 counts as done. */
CLOUDTASKS__PRIVATE int cloudtasks__pubsub_ensure(cloudtasks__pubsub *q, cloudtasks__http *h, const char *name, const cloudtasks_json_writer *w,
                                                  cloudtasks_json_doc **found, cloudtasks_error *err) {
    char path[500];
    long status;
    int rc;
    snprintf(path, sizeof path, "/v1/%s", name);
    rc = cloudtasks__pubsub_call(q, h, "GET", path, NULL, 20.0, 4, found, &status, err);
    if (rc != CLOUDTASKS_ECONFIG) return rc;
    cloudtasks__log(CLOUDTASKS__INFO, "Pub/Sub %s does not exist; creating it", name);
    rc = cloudtasks__pubsub_call(q, h, "PUT", path, w, 20.0, 4, found, &status, err);
    if (rc != CLOUDTASKS_OK && status == 409) rc = CLOUDTASKS_OK;
    return rc;
}

/* Finds or creates the topic and the subscription of one queue, the way the reference does. */
CLOUDTASKS__PRIVATE int cloudtasks__pubsub_open_pair(cloudtasks__pubsub *q, cloudtasks__http *h, const char *topic, const char *subscription,
                                                     int *ack_deadline, cloudtasks_error *err) {
    cloudtasks_json_writer w;
    cloudtasks_json_doc *doc = NULL;
    int rc;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_end_object(&w);
    rc = cloudtasks__pubsub_ensure(q, h, topic, &w, &doc, err);
    cloudtasks_json_writer_free(&w);
    cloudtasks_json_free(doc);
    doc = NULL;
    if (rc != CLOUDTASKS_OK) return rc;
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "topic"); cloudtasks_json_write_cstring(&w, topic);
    cloudtasks_json_key(&w, "ackDeadlineSeconds"); cloudtasks_json_write_int(&w, 60);
    cloudtasks_json_key(&w, "messageRetentionDuration"); cloudtasks_json_write_cstring(&w, "604800s");
    cloudtasks_json_key(&w, "enableExactlyOnceDelivery"); cloudtasks_json_write_bool(&w, q->exactly_once);
    cloudtasks_json_end_object(&w);
    rc = cloudtasks__pubsub_ensure(q, h, subscription, &w, &doc, err);
    cloudtasks_json_writer_free(&w);
    if (rc == CLOUDTASKS_OK && !doc && ack_deadline) {   /* someone else created it first: read its deadline */
        char path[500];
        long status;
        snprintf(path, sizeof path, "/v1/%s", subscription);
        rc = cloudtasks__pubsub_call(q, h, "GET", path, NULL, 20.0, 4, &doc, &status, err);
    }
    if (rc == CLOUDTASKS_OK && ack_deadline) *ack_deadline = (int)cloudtasks_json_number(cloudtasks_json_get(cloudtasks_json_root(doc), "ackDeadlineSeconds"), 60);
    cloudtasks_json_free(doc);
    return rc;
}

CLOUDTASKS__PRIVATE int cloudtasks__pubsub_receive(void *queue, cloudtasks__http *h, int max, int wait, int lease, cloudtasks__msg *out, int *n,
                                                   cloudtasks_error *err) {
    cloudtasks__pubsub *q = (cloudtasks__pubsub *)queue;
    cloudtasks_json_writer w;
    cloudtasks_json_doc *doc = NULL;
    const cloudtasks_json *list;
    char path[500];
    long status;
    size_t i;
    int rc;
    (void)lease;   /* a pull leases for the subscription's ack deadline */
    *n = 0;
    snprintf(path, sizeof path, "/v1/%s:pull", q->subscription);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "maxMessages"); cloudtasks_json_write_int(&w, max);
    if (q->quick) { cloudtasks_json_key(&w, "returnImmediately"); cloudtasks_json_write_bool(&w, 1); }
    cloudtasks_json_end_object(&w);
    /* A pull the client gives up on stays open on the server and takes the next messages, which
       then wait out their ack deadline. So a long pull waits longer than the server holds one
       (the emulator: about 90 s); with --exit-when-idle, pulls answer at once and an empty one
       is followed by a pause. */
    rc = cloudtasks__pubsub_call(q, h, "POST", path, &w, q->quick ? 20.0 : 150.0, 0, &doc, &status, err);
    cloudtasks_json_writer_free(&w);
    if (rc != CLOUDTASKS_OK) cloudtasks_json_free(doc);
    if (rc == CLOUDTASKS_ETIMEOUT) return CLOUDTASKS_OK;
    if (rc != CLOUDTASKS_OK) return rc;
    if (q->quick && !cloudtasks_json_length(cloudtasks_json_get(cloudtasks_json_root(doc), "receivedMessages")))
        cloudtasks__nap(wait < 1 ? wait : 1.0, h->abandon);
    list = cloudtasks_json_get(cloudtasks_json_root(doc), "receivedMessages");
    for (i = 0; i < cloudtasks_json_length(list) && *n < max; i++) {
        const cloudtasks_json *r = cloudtasks_json_at(list, i), *m = cloudtasks_json_get(r, "message");
        size_t dlen = 0;
        const char *ack = cloudtasks_json_string(cloudtasks_json_get(r, "ackId"), NULL);
        const char *data = cloudtasks_json_string(cloudtasks_json_get(m, "data"), &dlen);
        const char *id = cloudtasks_json_string(cloudtasks_json_get(m, "messageId"), NULL);
        cloudtasks__msg *msg = &out[*n];
        cloudtasks__buf body = {0};
        if (!ack) continue;
        memset(msg, 0, sizeof *msg);
        if (data && !cloudtasks__base64_decode(&body, data, dlen)) { body.len = 0; cloudtasks__buf_puts(&body, "(data is not base64)"); }
        cloudtasks__buf_putc(&body, '\0');
        body.len--;
        msg->body = body.data;
        msg->body_len = body.len;
        msg->handle = cloudtasks__strdup(ack);
        if (id) cloudtasks__copy(msg->message_id, sizeof msg->message_id, id);
        msg->receive_count = (int)cloudtasks_json_number(cloudtasks_json_get(r, "deliveryAttempt"), 0);
        if (!msg->body || !msg->handle || body.oom) { cloudtasks__msg_free(msg); continue; }
        (*n)++;
    }
    cloudtasks_json_free(doc);
    return CLOUDTASKS_OK;
}

/* Exactly-once subscriptions name the ack ids that failed in error.details[].metadata. */
CLOUDTASKS__PRIVATE int cloudtasks__pubsub_mark_failed(const cloudtasks_json_doc *doc, cloudtasks__settle *s, int n, const char *why) {
    const cloudtasks_json *details = cloudtasks_json_get(cloudtasks_json_get(cloudtasks_json_root(doc), "error"), "details");
    size_t d, k;
    int i, marked = 0;
    for (d = 0; d < cloudtasks_json_length(details); d++) {
        const cloudtasks_json *meta = cloudtasks_json_get(cloudtasks_json_at(details, d), "metadata");
        for (k = 0; k < cloudtasks_json_length(meta); k++) {
            size_t key_len = 0;
            const char *key = cloudtasks_json_object_key(meta, k, &key_len);
            const char *value = cloudtasks_json_string(cloudtasks_json_object_value(meta, k), NULL);
            for (i = 0; i < n; i++)
                if (key && s[i].handle && key_len == strlen(s[i].handle) && memcmp(key, s[i].handle, key_len) == 0) {
                    snprintf(s[i].error, sizeof s[i].error, "%.200s (the lease was lost)", value ? value : why);
                    marked++;
                }
        }
    }
    return marked;
}

CLOUDTASKS__PRIVATE int cloudtasks__pubsub_settle(void *queue, cloudtasks__http *h, cloudtasks__settle *s, int n, cloudtasks_error *err) {
    cloudtasks__pubsub *q = (cloudtasks__pubsub *)queue;
    int done[CLOUDTASKS__BATCH_MAX] = {0}, i, j, rc = CLOUDTASKS_OK;
    for (i = 0; i < n; i++) s[i].error[0] = '\0';
    /* one call per distinct lease value: modifyAckDeadline takes one deadline for all its ids */
    for (i = 0; i < n && rc != CLOUDTASKS_EAUTH; i++) {
        cloudtasks_json_writer w;
        cloudtasks_json_doc *doc = NULL;
        cloudtasks__settle group[CLOUDTASKS__BATCH_MAX];
        int members[CLOUDTASKS__BATCH_MAX], count = 0, call;
        char path[500];
        long status;
        if (done[i]) continue;
        cloudtasks_json_writer_init(&w);
        cloudtasks_json_begin_object(&w);
        cloudtasks_json_key(&w, "ackIds");
        cloudtasks_json_begin_array(&w);
        for (j = i; j < n; j++)
            if (!done[j] && s[j].seconds == s[i].seconds) {
                cloudtasks_json_write_cstring(&w, s[j].handle);
                done[j] = 1;
                members[count] = j;
                group[count++] = s[j];
            }
        cloudtasks_json_end_array(&w);
        if (s[i].seconds != CLOUDTASKS__ACK) { cloudtasks_json_key(&w, "ackDeadlineSeconds"); cloudtasks_json_write_int(&w, s[i].seconds); }
        cloudtasks_json_end_object(&w);
        snprintf(path, sizeof path, "/v1/%s:%s", q->subscription, s[i].seconds == CLOUDTASKS__ACK ? "acknowledge" : "modifyAckDeadline");
        call = cloudtasks__pubsub_call(q, h, "POST", path, &w, 20.0, 4, &doc, &status, err);
        cloudtasks_json_writer_free(&w);
        if (call == CLOUDTASKS_EHTTP && status == 400) {
            /* one bad or expired ack id fails the call: name the culprits if the answer does */
            int marked = cloudtasks__pubsub_mark_failed(doc, group, count, err ? err->message : "refused");
            for (j = 0; j < count; j++)
                snprintf(s[members[j]].error, sizeof s[members[j]].error, "%s",
                         group[j].error[0] ? group[j].error : marked ? "" : err ? err->message : "refused");
            call = CLOUDTASKS_OK;
        }
        if (call != CLOUDTASKS_OK) rc = call;
        cloudtasks_json_free(doc);
    }
    return rc;
}

CLOUDTASKS__PRIVATE int cloudtasks__pubsub_send(void *queue, cloudtasks__http *h, char **bodies, const size_t *lens, int *sent, int n,
                                                cloudtasks_error *err) {
    cloudtasks__pubsub *q = (cloudtasks__pubsub *)queue;
    cloudtasks_json_writer w;
    cloudtasks_json_doc *doc = NULL;
    cloudtasks__buf b64 = {0};
    char path[500];
    long status;
    int i, rc;
    snprintf(path, sizeof path, "/v1/%s:publish", q->events_topic);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    cloudtasks_json_key(&w, "messages");
    cloudtasks_json_begin_array(&w);
    for (i = 0; i < n; i++) {
        b64.len = 0;
        cloudtasks__base64(&b64, bodies[i], lens[i], 0);
        cloudtasks_json_begin_object(&w);
        cloudtasks_json_key(&w, "data");
        cloudtasks_json_write_string(&w, b64.data ? b64.data : "", b64.len);
        cloudtasks_json_end_object(&w);
    }
    cloudtasks_json_end_array(&w);
    cloudtasks_json_end_object(&w);
    rc = b64.oom ? cloudtasks__fail(err, CLOUDTASKS_ENOMEM, "out of memory") : cloudtasks__pubsub_call(q, h, "POST", path, &w, 30.0, 4, &doc, &status, err);
    cloudtasks__buf_free(&b64);
    cloudtasks_json_writer_free(&w);
    cloudtasks_json_free(doc);
    for (i = 0; i < n; i++) sent[i] = rc == CLOUDTASKS_OK;
    return rc;
}

CLOUDTASKS__PRIVATE const char *cloudtasks__pubsub_instance(void *queue, cloudtasks__http *h) {
    return cloudtasks__gcp_instance_name(((cloudtasks__pubsub *)queue)->gcp, h);
}

CLOUDTASKS__PRIVATE int cloudtasks__pubsub_termination(void *queue, cloudtasks__http *h, char *text, size_t size) {
    return cloudtasks__gcp_preempted(((cloudtasks__pubsub *)queue)->gcp, h, text, size);
}

static const cloudtasks__queue_ops cloudtasks__pubsub_ops = {
    "GCP", 1000, 600, 7000000, cloudtasks__pubsub_receive, cloudtasks__pubsub_settle, cloudtasks__pubsub_send,
    cloudtasks__pubsub_instance, cloudtasks__pubsub_termination
};


/* >>config ---------------------------------------------------------------------------------- */

/* Every setting comes from one table: its flag, its environment variable, its kind (which fixes
   how the text is read and checked), where it lands in the config, its default and its help. The
   precedence is the reference's: command line, then environment, then default; an empty value
   counts as unset. */
enum {
    CLOUDTASKS__OPT_STRING,     /* any text */
    CLOUDTASKS__OPT_UPPER,      /* text, upper-cased */
    CLOUDTASKS__OPT_BOOL,       /* --x / --no-x; environment: true iff "true" or "1", any case */
    CLOUDTASKS__OPT_COUNT,      /* whole number >= 0 */
    CLOUDTASKS__OPT_POSITIVE,   /* whole number >= 1 */
    CLOUDTASKS__OPT_SECONDS,    /* number > 0 */
    CLOUDTASKS__OPT_NONNEG,     /* number >= 0 */
    CLOUDTASKS__OPT_REAL,       /* any finite number */
    CLOUDTASKS__OPT_GB          /* the memory limit: number > 0 */
};

typedef struct cloudtasks__config {
    const char *provider, *project_id, *task_file, *job_id, *queue_name, *event_log_file, *instance_type;
    int exactly_once, event_log_to_file, event_log_to_queue, is_spot, retry_on_exit, retry_on_exception,
        retry_on_timeout, use_new_process, verbose;
    double keepalive_interval, memory_gb, local_ssd_gb, boot_disk_gb, price, max_runtime, max_memory_gb,
        shutdown_grace, simulate_after, simulate_delay, visibility_timeout, exit_when_idle;
    double num_cpus, num_simultaneous, tasks_to_skip, max_num_tasks, max_tasks_per_process, prefetch, receive_threads;
    int user_argc;
    char **user_argv;
    const char *values[40];     /* each option's resolved text, for cloudtasks_worker_setting (NULL: unset) */
    int from_cli[40];           /* where each value came from: 0 default, 1 command line, 2 environment */
    char numbers[40][32];       /* the text of resolved numbers */
    char *owned[40];            /* the copies of the given texts; freed by cloudtasks__config_free */
} cloudtasks__config;

enum {
    CLOUDTASKS__UNSET = -1,              /* numbers: every option that may be unset is >= 0 when set */
    CLOUDTASKS__MAX_TASKS_AT_ONCE = 4096
};

typedef struct cloudtasks__option {
    const char *flag, *env;
    int kind;
    size_t offset;
    const char *default_text, *help;
} cloudtasks__option;

#define CLOUDTASKS__AT(field) offsetof(cloudtasks__config, field)
static const cloudtasks__option cloudtasks__options[] = {
    {"provider", "RMS_CLOUD_TASKS_PROVIDER", CLOUDTASKS__OPT_UPPER, CLOUDTASKS__AT(provider), "none",
     "queue service: AWS, GCP or AZURE (not needed with --task-file)"},
    {"project-id", "RMS_CLOUD_TASKS_PROJECT_ID", CLOUDTASKS__OPT_STRING, CLOUDTASKS__AT(project_id), "none", "Google Cloud project"},
    {"task-file", "RMS_CLOUD_TASKS_TASK_FILE", CLOUDTASKS__OPT_STRING, CLOUDTASKS__AT(task_file), "none",
     "read tasks from this .json (list) or .jsonl file instead of a queue"},
    {"job-id", "RMS_CLOUD_TASKS_JOB_ID", CLOUDTASKS__OPT_STRING, CLOUDTASKS__AT(job_id), "none", "job id; the default queue name"},
    {"queue-name", "RMS_CLOUD_TASKS_QUEUE_NAME", CLOUDTASKS__OPT_STRING, CLOUDTASKS__AT(queue_name), "the job id", "task queue name"},
    {"exactly-once-queue", "RMS_CLOUD_TASKS_EXACTLY_ONCE_QUEUE", CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(exactly_once), "false",
     "the Pub/Sub subscription delivers exactly once"},
    {"event-log-file", "RMS_CLOUD_TASKS_EVENT_LOG_FILE", CLOUDTASKS__OPT_STRING, CLOUDTASKS__AT(event_log_file), "events.log",
     "file the events are appended to"},
    {"event-log-to-file", "RMS_CLOUD_TASKS_EVENT_LOG_TO_FILE", CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(event_log_to_file),
     "true with a task file", "write events to the event log file"},
    {"event-log-to-queue", "RMS_CLOUD_TASKS_EVENT_LOG_TO_QUEUE", CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(event_log_to_queue),
     "true without a task file", "send events to the queue <queue-name>-events"},
    {"keepalive-interval", "RMS_CLOUD_TASKS_KEEPALIVE_INTERVAL", CLOUDTASKS__OPT_REAL, CLOUDTASKS__AT(keepalive_interval), "60",
     "seconds between keep-alive events on the event queue; 0 turns them off"},
    {"instance-type", "RMS_CLOUD_TASKS_INSTANCE_TYPE", CLOUDTASKS__OPT_STRING, CLOUDTASKS__AT(instance_type), "none", "instance type (information)"},
    {"num-cpus", "RMS_CLOUD_TASKS_INSTANCE_NUM_VCPUS", CLOUDTASKS__OPT_POSITIVE, CLOUDTASKS__AT(num_cpus), "none",
     "vCPUs of the instance (information; the default for --num-simultaneous-tasks)"},
    {"memory", "RMS_CLOUD_TASKS_INSTANCE_MEM_GB", CLOUDTASKS__OPT_NONNEG, CLOUDTASKS__AT(memory_gb), "none", "memory of the instance in GB (information)"},
    {"local-ssd", "RMS_CLOUD_TASKS_INSTANCE_SSD_GB", CLOUDTASKS__OPT_NONNEG, CLOUDTASKS__AT(local_ssd_gb), "none", "local SSD in GB (information)"},
    {"boot-disk", "RMS_CLOUD_TASKS_INSTANCE_BOOT_DISK_GB", CLOUDTASKS__OPT_NONNEG, CLOUDTASKS__AT(boot_disk_gb), "none", "boot disk in GB (information)"},
    {"is-spot", "RMS_CLOUD_TASKS_INSTANCE_IS_SPOT", CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(is_spot), "false",
     "spot/preemptible instance: watch for termination notices"},
    {"price", "RMS_CLOUD_TASKS_INSTANCE_PRICE", CLOUDTASKS__OPT_NONNEG, CLOUDTASKS__AT(price), "none", "price per hour in USD (information)"},
    {"num-simultaneous-tasks", "RMS_CLOUD_TASKS_NUM_TASKS_PER_INSTANCE", CLOUDTASKS__OPT_POSITIVE, CLOUDTASKS__AT(num_simultaneous),
     "--num-cpus, else the online CPUs", "tasks run at once"},
    {"max-runtime", "RMS_CLOUD_TASKS_MAX_RUNTIME", CLOUDTASKS__OPT_SECONDS, CLOUDTASKS__AT(max_runtime), "3600",
     "seconds a task may run before it is stopped (SIGTERM, then SIGKILL)"},
    {"max-memory-allowed-per-task", "RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK", CLOUDTASKS__OPT_GB, CLOUDTASKS__AT(max_memory_gb),
     "no limit", "address-space limit of each task process in GB (RLIMIT_AS)"},
    {"shutdown-grace-period", "RMS_CLOUD_TASKS_SHUTDOWN_GRACE_PERIOD", CLOUDTASKS__OPT_NONNEG, CLOUDTASKS__AT(shutdown_grace), "120",
     "seconds running tasks get to finish after SIGINT/SIGTERM"},
    {"tasks-to-skip", "RMS_CLOUD_TASKS_TO_SKIP", CLOUDTASKS__OPT_COUNT, CLOUDTASKS__AT(tasks_to_skip), "0",
     "skip the first N tasks received (released, not run)"},
    {"max-num-tasks", "RMS_CLOUD_TASKS_MAX_NUM_TASKS", CLOUDTASKS__OPT_COUNT, CLOUDTASKS__AT(max_num_tasks), "no limit",
     "run at most N tasks, then exit"},
    {"retry-on-exit", "RMS_CLOUD_TASKS_RETRY_ON_EXIT", CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(retry_on_exit), "false",
     "retry a task whose process exited or crashed without a result"},
    {"retry-on-exception", "RMS_CLOUD_TASKS_RETRY_ON_EXCEPTION", CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(retry_on_exception), "false",
     "retry a task that returned CLOUDTASKS_FAILED"},
    {"retry-on-timeout", "RMS_CLOUD_TASKS_RETRY_ON_TIMEOUT", CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(retry_on_timeout), "false",
     "retry a task stopped at --max-runtime"},
    {"simulate-spot-termination-after", "RMS_CLOUD_TASKS_SIMULATE_SPOT_TERMINATION_AFTER", CLOUDTASKS__OPT_NONNEG,
     CLOUDTASKS__AT(simulate_after), "none", "pretend a termination notice arrives this many seconds after start"},
    {"simulate-spot-termination-delay", "RMS_CLOUD_TASKS_SIMULATE_SPOT_TERMINATION_DELAY", CLOUDTASKS__OPT_NONNEG,
     CLOUDTASKS__AT(simulate_delay), "none", "then kill every task this many seconds after the notice and stop"},
    {"visibility-timeout", "RMS_CLOUD_TASKS_VISIBILITY_TIMEOUT_SECONDS", CLOUDTASKS__OPT_SECONDS, CLOUDTASKS__AT(visibility_timeout), "30",
     "seconds a received task stays invisible to other workers before its lease is extended"},
    {"use-new-process", "RMS_CLOUD_WORKER_USE_NEW_PROCESS", CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(use_new_process), "false",
     "a fresh process for every task instead of reusable task processes"},
    {"max-tasks-per-process", "RMS_CLOUD_WORKER_MAX_TASKS_PER_PROCESS", CLOUDTASKS__OPT_COUNT, CLOUDTASKS__AT(max_tasks_per_process),
     "no limit", "replace a reusable task process after N tasks (0: never)"},
    {"prefetch", "CLOUDTASKS_PREFETCH", CLOUDTASKS__OPT_COUNT, CLOUDTASKS__AT(prefetch), "0",
     "messages received ahead of free task slots (their leases are held and extended)"},
    {"receive-threads", "CLOUDTASKS_RECEIVE_THREADS", CLOUDTASKS__OPT_POSITIVE, CLOUDTASKS__AT(receive_threads), "1",
     "long polls in flight at once (1 to 8); more helps only when tasks are very short"},
    {"exit-when-idle", "RMS_CLOUD_TASKS_EXIT_WHEN_IDLE", CLOUDTASKS__OPT_NONNEG, CLOUDTASKS__AT(exit_when_idle), "never",
     "exit once no task has arrived for this many seconds"},
    {"verbose", NULL, CLOUDTASKS__OPT_BOOL, CLOUDTASKS__AT(verbose), "false", "log debug messages too (-v)"},
};
enum { CLOUDTASKS__OPTION_COUNT = sizeof cloudtasks__options / sizeof cloudtasks__options[0] };
/* cloudtasks__config keeps a value per option: a table that outgrows it fails to compile */
typedef char cloudtasks__options_fit[CLOUDTASKS__OPTION_COUNT <= sizeof ((cloudtasks__config *)0)->values /
                                     sizeof ((cloudtasks__config *)0)->values[0] ? 1 : -1];

/* Reads a number the way Python's float() does for the values the manager exports ("8.0",
   "1e-05", "10", "-.5", "010"), in any locale: it is rewritten in JSON's grammar and read by the
   exact JSON number reader. Returns 0 if the whole text is not one finite number. */
CLOUDTASKS__PRIVATE int cloudtasks__parse_number(const char *text, double *out) {
    char t[408];
    size_t k = 0, digits = 0;
    const char *s = text;
    cloudtasks_json_doc *doc;
    int ok;
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (*s == '+' || *s == '-') { if (*s == '-') t[k++] = '-'; s++; }
    while (*s == '0' && s[1] >= '0' && s[1] <= '9') s++;          /* "010" is 10 */
    if (*s == '.') t[k++] = '0';                                   /* ".5" is 0.5 */
    for (; *s >= '0' && *s <= '9' && k < 380; s++, digits++) t[k++] = *s;
    if (*s == '.') {
        s++;
        if (*s >= '0' && *s <= '9') t[k++] = '.';                  /* "5." is 5 */
        for (; *s >= '0' && *s <= '9' && k < 380; s++, digits++) t[k++] = *s;
    }
    if (digits == 0) return 0;
    if (*s == 'e' || *s == 'E') {
        t[k++] = 'e';
        s++;
        if (*s == '+' || *s == '-') t[k++] = *s++;
        if (*s < '0' || *s > '9') return 0;
        for (; *s >= '0' && *s <= '9' && k < 400; s++) t[k++] = *s;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (*s != '\0' || k >= 400) return 0;
    if (!(doc = cloudtasks_json_parse(t, k, NULL))) return 0;
    *out = cloudtasks_json_number(cloudtasks_json_root(doc), 0.0);
    cloudtasks_json_free(doc);
    ok = *out - *out == 0;   /* finite */
    return ok;
}

/* Stores one option's text; fills why and returns 0 if it is not a valid value. */
CLOUDTASKS__PRIVATE int cloudtasks__set_option(cloudtasks__config *c, const cloudtasks__option *o, const char *text,
                                               const char *source, cloudtasks__buf *why) {
    char *field = (char *)c + o->offset;
    double x = 0;
    const char *expected = NULL;
    switch (o->kind) {
    case CLOUDTASKS__OPT_STRING: *(const char **)(void *)field = text; return 1;
    case CLOUDTASKS__OPT_UPPER: {
        char *q = (char *)text;                /* the caller's own copy, upper-cased in place */
        for (; *q; q++) if (*q >= 'a' && *q <= 'z') *q = (char)(*q - 32);
        *(const char **)(void *)field = text;
        return 1;
    }
    case CLOUDTASKS__OPT_BOOL:
        *(int *)(void *)field = cloudtasks__strcaseeq(text, "true") || strcmp(text, "1") == 0;
        return 1;
    case CLOUDTASKS__OPT_COUNT: expected = "a whole number, 0 or more"; break;
    case CLOUDTASKS__OPT_POSITIVE: expected = "a whole number, 1 or more"; break;
    case CLOUDTASKS__OPT_SECONDS: expected = "a number of seconds greater than 0"; break;
    case CLOUDTASKS__OPT_NONNEG: expected = "a number, 0 or more"; break;
    case CLOUDTASKS__OPT_REAL: expected = "a number"; break;
    default: expected = "a number of GB greater than 0"; break;
    }
    if (!cloudtasks__parse_number(text, &x) ||
        ((o->kind == CLOUDTASKS__OPT_COUNT || o->kind == CLOUDTASKS__OPT_POSITIVE) && (x > 1e15 || x < -1e15 || x != (double)(long long)x)) ||
        (o->kind == CLOUDTASKS__OPT_POSITIVE && x < 1) || ((o->kind == CLOUDTASKS__OPT_SECONDS || o->kind == CLOUDTASKS__OPT_GB) && x <= 0) ||
        ((o->kind == CLOUDTASKS__OPT_COUNT || o->kind == CLOUDTASKS__OPT_NONNEG) && x < 0)) {
        if (o->kind == CLOUDTASKS__OPT_GB)   /* the reference's own words */
            cloudtasks__buf_printf(why, "Maximum memory per task must be a positive number of GB, not %s (from %s)", text, source);
        else
            cloudtasks__buf_printf(why, "invalid value \"%s\" for %s: expected %s", text, source, expected);
        return 0;
    }
    *(double *)(void *)field = x;
    return 1;
}

CLOUDTASKS__PRIVATE const cloudtasks__option *cloudtasks__find_option(const char *name, size_t len, int *negated) {
    size_t i;
    *negated = 0;
    if (len > 3 && memcmp(name, "no-", 3) == 0) {
        for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++)
            if (cloudtasks__options[i].kind == CLOUDTASKS__OPT_BOOL && strlen(cloudtasks__options[i].flag) == len - 3 &&
                memcmp(cloudtasks__options[i].flag, name + 3, len - 3) == 0) { *negated = 1; return &cloudtasks__options[i]; }
    }
    for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++)
        if (strlen(cloudtasks__options[i].flag) == len && memcmp(cloudtasks__options[i].flag, name, len) == 0)
            return &cloudtasks__options[i];
    return NULL;
}

CLOUDTASKS__PRIVATE void cloudtasks__print_help(const char *program) {
    size_t i;
    fprintf(stdout, "usage: %s [options] [-- task arguments]\n\n"
            "Runs tasks from a queue (--provider) or a task file (--task-file) in parallel task processes.\n"
            "Each option can also be set by the environment variable shown; the command line wins.\n\n", program);
    for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++) {
        const cloudtasks__option *o = &cloudtasks__options[i];
        char flag[64];
        static const char *const metavar[] = {"TEXT", "NAME", "", "N", "N", "SECONDS", "NUMBER", "NUMBER", "GB"};
        if (o->kind == CLOUDTASKS__OPT_BOOL) snprintf(flag, sizeof flag, "--[no-]%s", o->flag);
        else snprintf(flag, sizeof flag, "--%s %s", o->flag, metavar[o->kind]);
        fprintf(stdout, "  %-44s %s\n  %-44s default: %s%s%s\n", flag, o->help, "", o->default_text,
                o->env ? "; env " : "", o->env ? o->env : "");
    }
    fprintf(stdout, "  %-44s this help\n  %-44s the library version\n", "-h, --help", "--version");
}

enum { CLOUDTASKS__CONFIG_RUN = 0, CLOUDTASKS__CONFIG_EXIT_OK = 1, CLOUDTASKS__CONFIG_EXIT_ERROR = 2 };

/* Frees what cloudtasks__config_load copied (also after it failed). */
CLOUDTASKS__PRIVATE void cloudtasks__config_free(cloudtasks__config *c) {
    size_t i;
    for (i = 0; i < sizeof c->owned / sizeof c->owned[0]; i++) { CLOUDTASKS_FREE(c->owned[i]); c->owned[i] = NULL; }
}

/* argv and the environment into *c. Returns RUN, or EXIT_OK after --help/--version, or
   EXIT_ERROR with the message in why. */
CLOUDTASKS__PRIVATE int cloudtasks__config_load(cloudtasks__config *c, int argc, char **argv, cloudtasks__buf *why) {
    const char *cli[CLOUDTASKS__OPTION_COUNT] = {0}, *given[CLOUDTASKS__OPTION_COUNT] = {0};
    size_t i;
    int a, event_queue_on_cli = 0;
    memset(c, 0, sizeof *c);
    c->keepalive_interval = 60.0;
    c->max_runtime = 3600.0;
    c->shutdown_grace = 120.0;
    c->visibility_timeout = 30.0;
    c->receive_threads = 1;
    c->memory_gb = c->local_ssd_gb = c->boot_disk_gb = c->price = c->max_memory_gb = CLOUDTASKS__UNSET;
    c->simulate_after = c->simulate_delay = c->exit_when_idle = c->num_cpus = c->num_simultaneous = CLOUDTASKS__UNSET;
    c->max_num_tasks = c->max_tasks_per_process = CLOUDTASKS__UNSET;
    c->event_log_file = "events.log";
    c->event_log_to_file = c->event_log_to_queue = -1;   /* their defaults depend on the task source */
    for (a = 1; a < argc; a++) {
        const char *arg = argv[a], *eq, *value;
        const cloudtasks__option *o;
        int negated;
        if (strcmp(arg, "--") == 0) { c->user_argc = argc - a - 1; c->user_argv = argv + a + 1; break; }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            cloudtasks__print_help(argc > 0 && argv[0] ? argv[0] : "worker");
            return CLOUDTASKS__CONFIG_EXIT_OK;
        }
        if (strcmp(arg, "--version") == 0) { fprintf(stdout, "cloudtasks.h %s\n", CLOUDTASKS_VERSION_STRING); return CLOUDTASKS__CONFIG_EXIT_OK; }
        if (strcmp(arg, "-v") == 0) arg = "--verbose";
        if (strncmp(arg, "--", 2) != 0) {
            cloudtasks__buf_printf(why, "unexpected argument \"%s\" (options start with --; task arguments go after --)", arg);
            return CLOUDTASKS__CONFIG_EXIT_ERROR;
        }
        eq = strchr(arg + 2, '=');
        o = cloudtasks__find_option(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2), &negated);
        if (!o) {
            cloudtasks__buf_printf(why, "unknown option %.*s (--help lists the options)", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
            return CLOUDTASKS__CONFIG_EXIT_ERROR;
        }
        if (o->kind == CLOUDTASKS__OPT_BOOL) {
            if (eq) { cloudtasks__buf_printf(why, "option --%s%s takes no value", negated ? "no-" : "", o->flag); return CLOUDTASKS__CONFIG_EXIT_ERROR; }
            value = negated ? "false" : "true";
        } else if (eq) value = eq + 1;
        else if (a + 1 < argc) value = argv[++a];
        else { cloudtasks__buf_printf(why, "option --%s needs a value", o->flag); return CLOUDTASKS__CONFIG_EXIT_ERROR; }
        cli[o - cloudtasks__options] = value;
        if (strcmp(o->flag, "event-log-to-queue") == 0) event_queue_on_cli = !negated;   /* the last one wins */
    }
    for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++) {
        const cloudtasks__option *o = &cloudtasks__options[i];
        const char *env = o->env ? getenv(o->env) : NULL, *text = NULL;
        char source[96];
        if (cli[i] && (cli[i][0] || (o->kind != CLOUDTASKS__OPT_STRING && o->kind != CLOUDTASKS__OPT_UPPER))) {
            text = cli[i];
            snprintf(source, sizeof source, "--%s", o->flag);
            c->from_cli[i] = 1;
        } else if (env && env[0]) {
            text = env;
            snprintf(source, sizeof source, "%s", o->env);
            c->from_cli[i] = 2;
        }
        if (!text) continue;
        /* a copy: argv and the environment may change under a task (setenv) */
        if (!(c->owned[i] = cloudtasks__strdup(text))) { cloudtasks__buf_puts(why, "out of memory"); return CLOUDTASKS__CONFIG_EXIT_ERROR; }
        text = c->owned[i];
        if (!cloudtasks__set_option(c, o, text, source, why)) return CLOUDTASKS__CONFIG_EXIT_ERROR;
        given[i] = text;
    }
    if (!c->queue_name) c->queue_name = c->job_id;
    if (c->event_log_to_file < 0) c->event_log_to_file = c->task_file != NULL;
    if (c->event_log_to_queue < 0) c->event_log_to_queue = c->task_file == NULL;
    if (c->num_simultaneous < 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        c->num_simultaneous = c->num_cpus > 0 ? c->num_cpus : (online > 0 ? (double)online : 1.0);
        if (c->num_simultaneous > CLOUDTASKS__MAX_TASKS_AT_ONCE) c->num_simultaneous = CLOUDTASKS__MAX_TASKS_AT_ONCE;
    }
    if (c->num_simultaneous > CLOUDTASKS__MAX_TASKS_AT_ONCE) {
        cloudtasks__buf_printf(why, "invalid value %g for --num-simultaneous-tasks (or RMS_CLOUD_TASKS_NUM_TASKS_PER_INSTANCE, or the "
                               "--num-cpus default): at most %d tasks can run at once", c->num_simultaneous, CLOUDTASKS__MAX_TASKS_AT_ONCE);
        return CLOUDTASKS__CONFIG_EXIT_ERROR;
    }
    if (c->max_memory_gb > 1e9) {
        cloudtasks__buf_printf(why, "Maximum memory per task must be a positive number of GB, not %g (at most 1e9; "
                               "--max-memory-allowed-per-task or RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK)", c->max_memory_gb);
        return CLOUDTASKS__CONFIG_EXIT_ERROR;
    }
    /* the reference's checks, in its order and words */
    if (!c->provider && !c->task_file) {
        cloudtasks__buf_puts(why, "Provider not specified via --provider or RMS_CLOUD_TASKS_PROVIDER and no tasks file specified via --task-file");
        return CLOUDTASKS__CONFIG_EXIT_ERROR;
    }
    if (!c->provider && c->task_file && event_queue_on_cli) {
        cloudtasks__buf_puts(why, "--event-log-to-queue requires either --provider or RMS_CLOUD_TASKS_PROVIDER");
        return CLOUDTASKS__CONFIG_EXIT_ERROR;
    }
    if (!c->queue_name && !c->task_file) {
        cloudtasks__buf_puts(why, "Queue name not specified via --queue-name or RMS_CLOUD_TASKS_QUEUE_NAME or --job-id or "
                                  "RMS_CLOUD_TASKS_JOB_ID and no tasks file specified via --task-file");
        return CLOUDTASKS__CONFIG_EXIT_ERROR;
    }
    if (c->receive_threads > 8) {
        cloudtasks__buf_printf(why, "--receive-threads %g: at most 8 long polls at once", c->receive_threads);
        return CLOUDTASKS__CONFIG_EXIT_ERROR;
    }
    if (c->event_log_to_queue && !c->queue_name) {
        cloudtasks__buf_puts(why, "--event-log-to-queue requires either --job-id or --queue-name");
        return CLOUDTASKS__CONFIG_EXIT_ERROR;
    }
    if (c->provider && strcmp(c->provider, "AWS") != 0 && strcmp(c->provider, "GCP") != 0 && strcmp(c->provider, "AZURE") != 0) {
        cloudtasks__buf_printf(why, "Unsupported queue provider: %s (expected AWS, GCP or AZURE)", c->provider);
        return CLOUDTASKS__CONFIG_EXIT_ERROR;
    }
    /* the text of every resolved value, defaults included, for tasks to read */
    for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++) {
        const cloudtasks__option *o = &cloudtasks__options[i];
        const char *field = (const char *)c + o->offset;
        if (o->kind == CLOUDTASKS__OPT_STRING || o->kind == CLOUDTASKS__OPT_UPPER) c->values[i] = *(const char *const *)(const void *)field;
        else if (o->kind == CLOUDTASKS__OPT_BOOL) c->values[i] = *(const int *)(const void *)field ? "true" : "false";
        else if (given[i]) c->values[i] = given[i];   /* a number reads as it was written ("8.0") */
        else if (o->kind == CLOUDTASKS__OPT_REAL || *(const double *)(const void *)field >= 0) {
            cloudtasks__format_double(c->numbers[i], *(const double *)(const void *)field);
            c->values[i] = c->numbers[i];
        }
    }
    return CLOUDTASKS__CONFIG_RUN;
}

/* >>events ---------------------------------------------------------------------------------- */

CLOUDTASKS__PRIVATE void cloudtasks__buf_sink(void *b, const char *s, size_t n) { cloudtasks__buf_append((cloudtasks__buf *)b, s, n); }

CLOUDTASKS__PRIVATE void cloudtasks__buf_json_string(cloudtasks__buf *b, const char *s, size_t n) {
    cloudtasks__buf_putc(b, '"');
    cloudtasks__json_escape(cloudtasks__buf_sink, b, s, n);
    cloudtasks__buf_putc(b, '"');
}

/* Event records, as the reference writes them: a JSON object per line with Python's separators,
   "timestamp", "hostname" and "event_type" first, then the event's own fields in order. */
typedef struct cloudtasks__events {
    int fd;                     /* the event log file, or -1 */
    const char *path;
    char hostname[256];
    cloudtasks__buf line;       /* records not yet written */
    void (*to_queue)(void *ctx, const char *record, size_t len);   /* the event queue, if any */
    void *queue_ctx;
} cloudtasks__events;

CLOUDTASKS__PRIVATE void cloudtasks__event_begin(cloudtasks__events *ev, const char *type) {
    char stamp[33];
    int64_t seconds;
    int32_t micros;
    cloudtasks__wall(&seconds, &micros);
    cloudtasks__format_iso8601(stamp, seconds, micros);
    cloudtasks__buf_puts(&ev->line, "{\"timestamp\": \"");
    cloudtasks__buf_puts(&ev->line, stamp);
    cloudtasks__buf_puts(&ev->line, "\", \"hostname\": ");
    cloudtasks__buf_json_string(&ev->line, ev->hostname, strlen(ev->hostname));
    cloudtasks__buf_puts(&ev->line, ", \"event_type\": \"");
    cloudtasks__buf_puts(&ev->line, type);
    cloudtasks__buf_putc(&ev->line, '"');
}

CLOUDTASKS__PRIVATE void cloudtasks__event_key(cloudtasks__events *ev, const char *key) {
    cloudtasks__buf_puts(&ev->line, ", \"");
    cloudtasks__buf_puts(&ev->line, key);
    cloudtasks__buf_puts(&ev->line, "\": ");
}

CLOUDTASKS__PRIVATE void cloudtasks__event_string(cloudtasks__events *ev, const char *key, const char *value, size_t n) {
    cloudtasks__event_key(ev, key);
    cloudtasks__buf_json_string(&ev->line, value, n);
}

CLOUDTASKS__PRIVATE void cloudtasks__event_raw(cloudtasks__events *ev, const char *key, const char *json) {
    cloudtasks__event_key(ev, key);
    cloudtasks__buf_puts(&ev->line, json);
}

CLOUDTASKS__PRIVATE void cloudtasks__event_number(cloudtasks__events *ev, const char *key, double x) {
    char text[32];
    cloudtasks__event_key(ev, key);
    cloudtasks__buf_append(&ev->line, text, cloudtasks__format_double(text, x));
}

/* Ends the record. Records are written by cloudtasks__events_flush, before anything is
   acknowledged: a crash can lose a record only together with its acknowledgement. */
CLOUDTASKS__PRIVATE void cloudtasks__event_end(cloudtasks__events *ev) {
    cloudtasks__buf_puts(&ev->line, "}\n");
}

/* Appends the finished records to the file in one write, so no line is ever half written. */
CLOUDTASKS__PRIVATE void cloudtasks__events_flush(cloudtasks__events *ev) {
    const char *p = ev->line.data;
    size_t left = ev->line.len;
    if (ev->line.oom) {
        cloudtasks__log(CLOUDTASKS__ERROR, "out of memory writing events; some were lost");
        left = 0;
    }
    if (ev->to_queue && left) {
        const char *q = p, *end = p + left;
        while (q < end) {
            const char *eol = (const char *)memchr(q, '\n', (size_t)(end - q));
            if (!eol) eol = end;
            ev->to_queue(ev->queue_ctx, q, (size_t)(eol - q));
            q = eol + 1;
        }
    }
    while (ev->fd >= 0 && left > 0) {
        ssize_t n = write(ev->fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            char e[128];
            cloudtasks__log(CLOUDTASKS__ERROR, "cannot write to the event log %s: %s", ev->path,
                            cloudtasks__errno_text(errno, e, sizeof e));
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    ev->line.len = 0;
    ev->line.oom = 0;
    if (ev->line.cap > (1u << 20)) cloudtasks__buf_free(&ev->line);   /* one huge result does not pin memory */
}

CLOUDTASKS__PRIVATE void cloudtasks__event_message(cloudtasks__events *ev, const char *type, const char *exception) {
    cloudtasks__event_begin(ev, type);
    if (exception) cloudtasks__event_string(ev, "exception", exception, strlen(exception));
    cloudtasks__event_end(ev);
}

/* >>pool ------------------------------------------------------------------------------------ */

/* The supervisor, the pool and every task process talk over stream socketpairs in frames:
   a 4-byte little-endian length, a type byte, then the payload. Sockets, not pipes, so that
   MSG_NOSIGNAL spares every process SIGPIPE; non-blocking with buffers on both sides of the
   supervisor-pool link, so two large frames crossing never deadlock. */
enum {
    CLOUDTASKS__MSG_PROCESS = 1,  /* pool -> supervisor: pid, process number; its socket attached (SCM_RIGHTS) */
    CLOUDTASKS__MSG_EXITED,       /* pool -> supervisor: pid, exit status or minus the signal */
    CLOUDTASKS__MSG_TERM,         /* supervisor -> pool: process number to stop (SIGTERM, then SIGKILL after a grace) */
    CLOUDTASKS__MSG_STOP,         /* supervisor -> pool: start no more processes; exit when all are gone */
    CLOUDTASKS__MSG_READY,        /* task process -> supervisor: process_init is done */
    CLOUDTASKS__MSG_TASK,         /* supervisor -> task process: task_id, data_json, message_id, receive_count */
    CLOUDTASKS__MSG_RESULT        /* task process -> supervisor: outcome, payload */
};

/* How a task ended, from the task process's view (DONE..NO_MEMORY are the task's return values). */
enum {
    CLOUDTASKS__OUT_DONE = 0, CLOUDTASKS__OUT_RETRY = 1, CLOUDTASKS__OUT_FAILED = 2, CLOUDTASKS__OUT_NO_MEMORY = 3,
    CLOUDTASKS__OUT_TIMED_OUT, CLOUDTASKS__OUT_EXITED, CLOUDTASKS__OUT_KILLED
};

#ifndef CLOUDTASKS_MAX_RESULT_BYTES
#  define CLOUDTASKS_MAX_RESULT_BYTES (1u << 20)
#endif
#define CLOUDTASKS__TERM_GRACE 1.0   /* seconds between SIGTERM and SIGKILL */
#define CLOUDTASKS__INIT_FAILED 121     /* exit status of a task process whose process_init failed */

typedef struct cloudtasks__channel {
    int fd;
    cloudtasks__buf in, out;
    size_t in_pos, out_pos, frame_start;
    int closed;
    int bad;                    /* a frame was too large to be ours */
} cloudtasks__channel;

/* Task data and results are limited (CLOUDTASKS_MAX_RESULT_BYTES, the record size), so a larger
   frame is a protocol error, not something to buffer. */
#define CLOUDTASKS__MAX_FRAME (CLOUDTASKS_MAX_RECORD_BYTES + CLOUDTASKS_MAX_RESULT_BYTES + 65536u)

typedef struct cloudtasks__reader { const unsigned char *p, *end; int bad; } cloudtasks__reader;

CLOUDTASKS__PRIVATE void cloudtasks__put_u32(cloudtasks__buf *b, uint32_t v) {
    unsigned char x[4];
    x[0] = (unsigned char)v; x[1] = (unsigned char)(v >> 8); x[2] = (unsigned char)(v >> 16); x[3] = (unsigned char)(v >> 24);
    cloudtasks__buf_append(b, x, 4);
}
CLOUDTASKS__PRIVATE void cloudtasks__put_u64(cloudtasks__buf *b, uint64_t v) {
    cloudtasks__put_u32(b, (uint32_t)v);
    cloudtasks__put_u32(b, (uint32_t)(v >> 32));
}
CLOUDTASKS__PRIVATE void cloudtasks__put_f64(cloudtasks__buf *b, double d) {
    uint64_t v;
    memcpy(&v, &d, 8);
    cloudtasks__put_u64(b, v);
}
CLOUDTASKS__PRIVATE void cloudtasks__put_str(cloudtasks__buf *b, const char *s, size_t n) {
    cloudtasks__put_u32(b, (uint32_t)n);
    cloudtasks__buf_append(b, s, n);
}

/* Writes the byte count from just after the 4 bytes at `at` to the end of b into those 4 bytes:
   a length prefix filled in once what it measures is written. */
CLOUDTASKS__PRIVATE void cloudtasks__patch_length(cloudtasks__buf *b, size_t at) {
    uint32_t n;
    unsigned char *q;
    if (b->oom) return;
    n = (uint32_t)(b->len - at - 4);
    q = (unsigned char *)b->data + at;
    q[0] = (unsigned char)n; q[1] = (unsigned char)(n >> 8); q[2] = (unsigned char)(n >> 16); q[3] = (unsigned char)(n >> 24);
}

CLOUDTASKS__PRIVATE uint32_t cloudtasks__get_u32(cloudtasks__reader *r) {
    uint32_t v;
    if (r->end - r->p < 4) { r->bad = 1; r->p = r->end; return 0; }
    v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}
CLOUDTASKS__PRIVATE uint64_t cloudtasks__get_u64(cloudtasks__reader *r) {
    uint64_t lo = cloudtasks__get_u32(r);
    return lo | (uint64_t)cloudtasks__get_u32(r) << 32;
}
CLOUDTASKS__PRIVATE double cloudtasks__get_f64(cloudtasks__reader *r) {
    uint64_t v = cloudtasks__get_u64(r);
    double d;
    memcpy(&d, &v, 8);
    return d;
}
/* A string field; it points into the frame and is NUL-terminated there (frames keep a spare byte). */
CLOUDTASKS__PRIVATE const char *cloudtasks__get_str(cloudtasks__reader *r, size_t *len) {
    uint32_t n = cloudtasks__get_u32(r);
    const char *s = (const char *)r->p;
    if ((size_t)(r->end - r->p) < n) { r->bad = 1; r->p = r->end; *len = 0; return ""; }
    r->p += n;
    *len = n;
    return s;
}

CLOUDTASKS__PRIVATE void cloudtasks__channel_init(cloudtasks__channel *ch, int fd) {
    memset(ch, 0, sizeof *ch);
    ch->fd = fd;
}

CLOUDTASKS__PRIVATE void cloudtasks__channel_free(cloudtasks__channel *ch) {
    if (ch->fd >= 0) close(ch->fd);
    ch->fd = -1;
    cloudtasks__buf_free(&ch->in);
    cloudtasks__buf_free(&ch->out);
}

/* Starts a frame of the given type in b and returns where it begins, for cloudtasks__patch_length
   to fill in its length once the payload is written. */
CLOUDTASKS__PRIVATE size_t cloudtasks__frame_open(cloudtasks__buf *b, int type) {
    size_t start = b->len;
    unsigned char t = (unsigned char)type;
    cloudtasks__put_u32(b, 0);
    cloudtasks__buf_append(b, &t, 1);
    return start;
}

CLOUDTASKS__PRIVATE void cloudtasks__frame_begin(cloudtasks__channel *ch, int type) {
    ch->frame_start = cloudtasks__frame_open(&ch->out, type);
}

CLOUDTASKS__PRIVATE void cloudtasks__frame_end(cloudtasks__channel *ch) { cloudtasks__patch_length(&ch->out, ch->frame_start); }

/* Sends what is buffered without blocking. Returns 0, or -1 once the peer is gone. */
CLOUDTASKS__PRIVATE int cloudtasks__channel_flush(cloudtasks__channel *ch) {
    if (ch->out.oom) { ch->closed = 1; return -1; }
    while (ch->out_pos < ch->out.len) {
        ssize_t n = send(ch->fd, ch->out.data + ch->out_pos, ch->out.len - ch->out_pos, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        if (n <= 0) { ch->closed = 1; return -1; }
        ch->out_pos += (size_t)n;
    }
    ch->out.len = ch->out_pos = 0;
    return 0;
}

/* Reads what has arrived without blocking; sets closed at end of stream. */
CLOUDTASKS__PRIVATE void cloudtasks__channel_read(cloudtasks__channel *ch) {
    for (;;) {
        ssize_t n;
        if (ch->in_pos > 0 && ch->in_pos == ch->in.len) ch->in.len = ch->in_pos = 0;
        if (!cloudtasks__buf_reserve(&ch->in, 65536)) { ch->closed = 1; return; }
        n = recv(ch->fd, ch->in.data + ch->in.len, ch->in.cap - ch->in.len - 1, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) { ch->closed = 1; return; }
        ch->in.len += (size_t)n;
    }
}

/* The next complete frame, if one has arrived: its type and a reader over its payload. The payload
   stays valid until the next read on this channel. */
CLOUDTASKS__PRIVATE int cloudtasks__channel_next(cloudtasks__channel *ch, int *type, cloudtasks__reader *r) {
    const unsigned char *p = (const unsigned char *)ch->in.data + ch->in_pos;
    size_t avail = ch->in.len - ch->in_pos;
    uint32_t n;
    if (avail < 5) goto compact;
    n = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (n > CLOUDTASKS__MAX_FRAME) {   /* not our framing: a stray write into the socket; stop reading it */
        ch->closed = ch->bad = 1;
        return 0;
    }
    if (avail - 4 < n) goto compact;
    *type = p[4];
    r->p = p + 5;
    r->end = p + 4 + n;
    r->bad = n == 0;
    ch->in_pos += 4 + (size_t)n;
    return 1;
compact:
    if (ch->in_pos > 0) {
        memmove(ch->in.data, ch->in.data + ch->in_pos, avail);
        ch->in.len = avail;
        ch->in_pos = 0;
    }
    return 0;
}

/* Blocking sends for the task processes, which do one thing at a time. */
CLOUDTASKS__PRIVATE int cloudtasks__send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* What task processes see through memory shared by every process of the worker. */
#define CLOUDTASKS__TOOK_SLOTS 4096
typedef struct cloudtasks__shared {
    volatile sig_atomic_t shutdown;      /* SIGINT/SIGTERM arrived */
    volatile sig_atomic_t termination;   /* a spot/preemption notice arrived */
    /* number + 1 once task process `number` received a task (slot number % SLOTS): how the pool
       tells a process that died doing work from one that died starting up (which it slows down) */
    volatile int32_t took_task[CLOUDTASKS__TOOK_SLOTS];
} cloudtasks__shared;

struct cloudtasks_worker {
    const cloudtasks__config *config;
    cloudtasks__shared *shared;
    int number;
};

struct cloudtasks_result {
    cloudtasks__buf json;      /* the result as compact JSON; empty means null */
    cloudtasks__buf error;     /* why the task failed */
};

CLOUDTASKS__DEF void cloudtasks_result_string(cloudtasks_result *r, const char *text) {
    if (!r) return;
    r->json.len = 0;
    if (r->json.data) r->json.data[0] = '\0';
    if (text) cloudtasks__buf_json_string(&r->json, text, strlen(text));
}

/* Appends valid JSON text on one line: line breaks can only stand between tokens (never inside a
   string), so they become spaces; numbers keep every digit. */
CLOUDTASKS__PRIVATE void cloudtasks__buf_json_line(cloudtasks__buf *b, const char *json, size_t len) {
    size_t i;
    while (len > 0 && cloudtasks__is_space(json[len - 1])) len--;
    while (len > 0 && cloudtasks__is_space(*json)) { json++; len--; }
    if (!cloudtasks__buf_reserve(b, len)) return;
    for (i = 0; i < len; i++) b->data[b->len + i] = json[i] == '\n' || json[i] == '\r' ? ' ' : json[i];
    b->len += len;
    b->data[b->len] = '\0';
}

CLOUDTASKS__DEF int cloudtasks_result_json(cloudtasks_result *r, const char *json, size_t len) {
    cloudtasks_error err;
    cloudtasks_json_doc *doc;
    if (!r) return CLOUDTASKS_EINVAL;
    if (!(doc = cloudtasks_json_parse(json, len, &err))) return err.code;
    cloudtasks_json_free(doc);
    r->json.len = 0;
    cloudtasks__buf_json_line(&r->json, json, len);
    return r->json.oom ? CLOUDTASKS_ENOMEM : CLOUDTASKS_OK;
}

CLOUDTASKS__DEF void cloudtasks_result_error(cloudtasks_result *r, const char *message) {
    if (!r) return;
    r->error.len = 0;
    if (r->error.data) r->error.data[0] = '\0';
    if (message) cloudtasks__buf_puts(&r->error, message);
}

CLOUDTASKS__DEF int cloudtasks_termination_notice(const cloudtasks_worker *w) { return w && w->shared && w->shared->termination; }
CLOUDTASKS__DEF int cloudtasks_shutdown_requested(const cloudtasks_worker *w) { return w && w->shared && w->shared->shutdown; }
CLOUDTASKS__DEF int cloudtasks_worker_argc(const cloudtasks_worker *w) { return w ? w->config->user_argc : 0; }
CLOUDTASKS__DEF const char *cloudtasks_worker_arg(const cloudtasks_worker *w, int index) {
    return w && index >= 0 && index < w->config->user_argc ? w->config->user_argv[index] : NULL;
}
CLOUDTASKS__DEF int cloudtasks_worker_process_number(const cloudtasks_worker *w) { return w ? w->number : -1; }
CLOUDTASKS__DEF const char *cloudtasks_worker_setting(const cloudtasks_worker *w, const char *name) {
    size_t i;
    if (!w || !name) return NULL;
    for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++)
        if (strcmp(cloudtasks__options[i].flag, name) == 0) {
            return w->config->values[i];
        }
    return NULL;
}

/* The frame a task process sends back: the outcome and the result JSON or the failure text. A
   result over CLOUDTASKS_MAX_RESULT_BYTES is cut and sent as a JSON string saying so, so the event
   that carries it is still one JSON object. */
CLOUDTASKS__PRIVATE void cloudtasks__task_reply(cloudtasks__buf *out, int outcome, cloudtasks_result *r, const char *task_id) {
    unsigned char o = (unsigned char)outcome;
    size_t start = cloudtasks__frame_open(out, CLOUDTASKS__MSG_RESULT);
    cloudtasks__buf_append(out, &o, 1);
    if (outcome == CLOUDTASKS__OUT_FAILED || outcome == CLOUDTASKS__OUT_NO_MEMORY) {
        const char *why = r->error.len ? r->error.data
                        : outcome == CLOUDTASKS__OUT_NO_MEMORY ? "the task ran out of memory (CLOUDTASKS_NO_MEMORY)"
                                                               : "the task failed (CLOUDTASKS_FAILED) without saying why";
        size_t n = strlen(why);
        cloudtasks__put_str(out, why, n < CLOUDTASKS_MAX_RESULT_BYTES ? n : CLOUDTASKS_MAX_RESULT_BYTES);
    } else if (r->json.oom) {
        static const char lost[] = "\"[result lost: out of memory while building it]\"";
        cloudtasks__put_str(out, lost, sizeof lost - 1);
    } else if (r->json.len > CLOUDTASKS_MAX_RESULT_BYTES) {
        cloudtasks__buf cut = {0};
        size_t keep = CLOUDTASKS_MAX_RESULT_BYTES / 2;
        char note[96];
        while (keep > 0 && ((unsigned char)r->json.data[keep] & 0xC0) == 0x80) keep--;   /* whole UTF-8 characters */
        snprintf(note, sizeof note, " ...[truncated: the result was %zu bytes of JSON]", r->json.len);
        cloudtasks__buf_putc(&cut, '"');
        cloudtasks__json_escape(cloudtasks__buf_sink, &cut, r->json.data, keep);
        cloudtasks__buf_puts(&cut, note);
        cloudtasks__buf_putc(&cut, '"');
        cloudtasks__log(CLOUDTASKS__WARNING, "Task %s: result of %zu bytes cut to %zu (CLOUDTASKS_MAX_RESULT_BYTES)", task_id,
                        r->json.len, keep);
        cloudtasks__put_str(out, cut.data ? cut.data : "null", cut.data ? cut.len : 4);
        cloudtasks__buf_free(&cut);
    } else {
        cloudtasks__put_str(out, r->json.len ? r->json.data : "null", r->json.len ? r->json.len : 4);
    }
    cloudtasks__patch_length(out, start);
}

/* The life of a task process: run tasks from the pool one at a time until the pool closes the
   socket, the process reaches its task limit, or a task ran out of memory. */
CLOUDTASKS__PRIVATE void cloudtasks__task_process(int fd, cloudtasks_worker *w, const cloudtasks_worker_desc *desc, long max_tasks) {
    cloudtasks__buf frame = {0}, reply = {0};
    long done = 0;
    if (desc->process_init && desc->process_init(w, desc->user) != 0) {
        cloudtasks__log(CLOUDTASKS__ERROR, "task process #%d: process_init failed; this process exits", w->number);
        fflush(NULL);
        _exit(CLOUDTASKS__INIT_FAILED);
    }
    if (desc->process_init) {   /* without a hook there is nothing to wait for */
        static const unsigned char ready[5] = {1, 0, 0, 0, CLOUDTASKS__MSG_READY};
        if (cloudtasks__send_all(fd, (const char *)ready, sizeof ready) < 0) goto out;
    }
    for (;;) {
        uint32_t n;
        cloudtasks__reader r;
        cloudtasks_task task;
        cloudtasks_result result;
        cloudtasks_json_doc *doc;
        size_t len;
        int rc, outcome;
        /* One read usually brings the whole frame; a large one takes more. */
        frame.len = 0;
        for (;;) {
            ssize_t k;
            if (frame.len >= 5) {
                const unsigned char *h = (const unsigned char *)frame.data;
                n = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
                if (n == 0) goto out;
                if (frame.len >= 4 + (size_t)n) break;
                if (!cloudtasks__buf_reserve(&frame, 4 + (size_t)n - frame.len)) goto out;
            } else if (!cloudtasks__buf_reserve(&frame, 4096)) goto out;
            k = recv(fd, frame.data + frame.len, frame.cap - frame.len - 1, 0);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) goto out;
            frame.len += (size_t)k;
        }
        r.p = (const unsigned char *)frame.data + 5;
        r.end = (const unsigned char *)frame.data + 4 + n;
        r.bad = frame.data[4] != CLOUDTASKS__MSG_TASK;
        if (done == 0) w->shared->took_task[w->number % CLOUDTASKS__TOOK_SLOTS] = w->number + 1;
        memset(&task, 0, sizeof task);
        memset(&result, 0, sizeof result);
        /* Every string is copied out NUL-terminated, because they sit back to back in the frame. */
        {
            const char *s;
            char *id, *data, *mid;
            s = cloudtasks__get_str(&r, &len); id = cloudtasks__strndup(s, len);
            s = cloudtasks__get_str(&r, &len); data = cloudtasks__strndup(s, len); task.data_json_len = len;
            s = cloudtasks__get_str(&r, &len); mid = cloudtasks__strndup(s, len);
            task.receive_count = (int)cloudtasks__get_u32(&r);
            task.task_id = id; task.data_json = data; task.message_id = mid;
            doc = !r.bad && id && data && mid ? cloudtasks_json_parse(data, task.data_json_len, NULL) : NULL;
            if (!doc) {
                cloudtasks_result_error(&result, "the worker could not decode this task in the task process");
                outcome = CLOUDTASKS__OUT_FAILED;
            } else {
                task.data = cloudtasks_json_root(doc);
                rc = desc->task(&task, w, &result, desc->user);
                outcome = rc == CLOUDTASKS_DONE ? CLOUDTASKS__OUT_DONE : rc == CLOUDTASKS_RETRY ? CLOUDTASKS__OUT_RETRY
                        : rc == CLOUDTASKS_NO_MEMORY ? CLOUDTASKS__OUT_NO_MEMORY : CLOUDTASKS__OUT_FAILED;
                if (outcome == CLOUDTASKS__OUT_FAILED && rc != CLOUDTASKS_FAILED && !result.error.len) {
                    char why[96];
                    snprintf(why, sizeof why, "the task function returned %d, which is not a CLOUDTASKS_* outcome", rc);
                    cloudtasks_result_error(&result, why);
                }
            }
            reply.len = 0;
            reply.oom = 0;
            cloudtasks__task_reply(&reply, outcome, &result, id ? id : "?");
            cloudtasks_json_free(doc);
            CLOUDTASKS_FREE(id); CLOUDTASKS_FREE(data); CLOUDTASKS_FREE(mid);
            cloudtasks__buf_free(&result.json);
            cloudtasks__buf_free(&result.error);
        }
        fflush(NULL);   /* what the task printed reaches its destination before its result does */
        if (reply.oom || cloudtasks__send_all(fd, reply.data, reply.len) < 0) break;
        done++;
        if (outcome == CLOUDTASKS__OUT_NO_MEMORY || (max_tasks > 0 && done >= max_tasks)) break;
    }
out:
    if (desc->process_exit) desc->process_exit(w, desc->user);
    cloudtasks__buf_free(&frame);
    cloudtasks__buf_free(&reply);
    fflush(NULL);
    _exit(0);
}

/* The pool: a single-threaded process, forked before the supervisor starts any thread or libcurl.
   It only forks, kills and reaps task processes. Each new task process's socket goes to the
   supervisor over SCM_RIGHTS, so tasks and results travel straight between the supervisor and the
   task process, with the pool nowhere on that path. */

typedef struct cloudtasks__child {
    pid_t pid;
    int number;                 /* never reused, unlike a pid: what the supervisor names */
    double term_sent;           /* when SIGTERM went out at the supervisor's request (0: not yet) */
    int kill_sent;
} cloudtasks__child;

typedef struct cloudtasks__pool {
    const cloudtasks__config *cfg;
    const cloudtasks_worker_desc *desc;
    cloudtasks__shared *shared;
    cloudtasks__channel sup;    /* read without blocking; written with blocking sends (small frames) */
    cloudtasks__child *children;
    size_t nchildren, cap;
    int next_number, stopping, target;
    double respawn_at, backoff;
    int sigchld[2];
} cloudtasks__pool;

static int cloudtasks__sigchld_fd = -1;   /* the pool's self-pipe, for its SIGCHLD handler */

CLOUDTASKS__PRIVATE void cloudtasks__on_sigchld(int sig) {
    int saved = errno;
    char c = (char)sig;
    if (cloudtasks__sigchld_fd >= 0 && write(cloudtasks__sigchld_fd, &c, 1) < 0) {}
    errno = saved;
}

CLOUDTASKS__PRIVATE void cloudtasks__set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* Sends one frame to the supervisor, with a descriptor attached when fd >= 0. Blocking: the
   supervisor reads all the time and these frames are a few bytes. Returns 0 or -1. */
CLOUDTASKS__PRIVATE int cloudtasks__pool_send(cloudtasks__pool *pool, cloudtasks__buf *frame, int fd) {
    struct msghdr msg;
    struct iovec iov;
    union { struct cmsghdr align; char space[CMSG_SPACE(sizeof(int))]; } control;
    size_t sent = 0;
    while (sent < frame->len) {
        ssize_t n;
        memset(&msg, 0, sizeof msg);
        iov.iov_base = frame->data + sent;
        iov.iov_len = frame->len - sent;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (fd >= 0 && sent == 0) {
            struct cmsghdr *c;
            memset(&control, 0, sizeof control);
            msg.msg_control = control.space;
            msg.msg_controllen = sizeof control.space;
            c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &fd, sizeof fd);
        }
        n = sendmsg(pool->sup.fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (errno != EINTR) { struct pollfd p; p.fd = pool->sup.fd; p.events = POLLOUT; poll(&p, 1, 100); }
            continue;
        }
        if (n <= 0) return -1;
        sent += (size_t)n;
    }
    return 0;
}

/* Tells the supervisor about a process: PROCESS (with its socket attached) or EXITED. */
CLOUDTASKS__PRIVATE void cloudtasks__pool_tell(cloudtasks__pool *pool, int type, pid_t pid, int value, int fd) {
    cloudtasks__buf frame = {0};
    size_t start = cloudtasks__frame_open(&frame, type);
    cloudtasks__put_u32(&frame, (uint32_t)pid);
    cloudtasks__put_u32(&frame, (uint32_t)value);
    cloudtasks__patch_length(&frame, start);
    if (frame.oom || cloudtasks__pool_send(pool, &frame, fd) < 0) pool->sup.closed = 1;
    cloudtasks__buf_free(&frame);
}

/* Forks a task process. The child keeps only its socket (and what the program had open before
   the worker started) and dies with the pool; the parent hands the other end to the supervisor. */
CLOUDTASKS__PRIVATE int cloudtasks__pool_spawn(cloudtasks__pool *pool) {
    int sv[2], number = pool->next_number;
    pid_t pid;
    if (pool->nchildren == pool->cap) {
        size_t cap = pool->cap * 2 + 4;
        cloudtasks__child *c = (cloudtasks__child *)CLOUDTASKS_REALLOC(pool->children, cap * sizeof *c);
        if (!c) return -1;
        pool->children = c;
        pool->cap = cap;
    }
    pid_t parent = getpid();
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return -1;
    pid = fork();
    if (pid < 0) { close(sv[0]); close(sv[1]); return -1; }
    if (pid == 0) {
        cloudtasks_worker w;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigaction(SIGINT, &sa, NULL);       /* a terminal's Ctrl-C is for the supervisor, not the tasks */
        sa.sa_handler = SIG_DFL;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGCHLD, &sa, NULL);
        sigaction(SIGPIPE, &sa, NULL);
        {
            sigset_t set;   /* stopping a task at its run-time limit starts with SIGTERM */
            sigemptyset(&set);
            sigaddset(&set, SIGTERM);
            sigaddset(&set, SIGCHLD);
            sigprocmask(SIG_UNBLOCK, &set, NULL);
        }
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (getppid() != parent) _exit(1);  /* the pool died before prctl took effect (any reaper, not only init) */
        close(sv[0]);
        close(pool->sup.fd);
        close(pool->sigchld[0]);
        close(pool->sigchld[1]);
        if (pool->cfg->max_memory_gb > 0) {
            struct rlimit rl;
            rl.rlim_cur = rl.rlim_max = (rlim_t)(pool->cfg->max_memory_gb * 1073741824.0);
            if (setrlimit(RLIMIT_AS, &rl) != 0) {
                char e[128];
                cloudtasks__log(CLOUDTASKS__WARNING, "Worker #%d: Failed to set memory limit: %s", number,
                                cloudtasks__errno_text(errno, e, sizeof e));
            }
        }
        w.config = pool->cfg;
        w.shared = pool->shared;
        w.number = number;
        cloudtasks__task_process(sv[1], &w, pool->desc, pool->cfg->use_new_process ? 1 : (long)(pool->cfg->max_tasks_per_process > 0 ? pool->cfg->max_tasks_per_process : 0));
    }
    close(sv[1]);
    pool->next_number++;
    pool->children[pool->nchildren].pid = pid;
    pool->children[pool->nchildren].number = number;
    pool->children[pool->nchildren].term_sent = 0;
    pool->children[pool->nchildren].kill_sent = 0;
    pool->nchildren++;
    cloudtasks__pool_tell(pool, CLOUDTASKS__MSG_PROCESS, pid, number, sv[0]);
    close(sv[0]);
    return 0;
}

/* Collects every child that exited and tells the supervisor how. */
CLOUDTASKS__PRIVATE void cloudtasks__pool_reap(cloudtasks__pool *pool) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        size_t i;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
        int took = 1;
        for (i = 0; i < pool->nchildren; i++)
            if (pool->children[i].pid == pid) {
                int number = pool->children[i].number;
                took = pool->shared->took_task[number % CLOUDTASKS__TOOK_SLOTS] == number + 1;
                pool->children[i] = pool->children[--pool->nchildren];
                break;
            }
        if (!took && !pool->stopping) {   /* died starting up: never spin; wait, doubling up to 2 s */
            pool->backoff = pool->backoff > 0 ? (pool->backoff * 2 > 2 ? 2 : pool->backoff * 2) : 0.1;
            pool->respawn_at = cloudtasks__now() + pool->backoff;
        } else if (took) {
            pool->backoff = 0;
        }
        cloudtasks__pool_tell(pool, CLOUDTASKS__MSG_EXITED, pid, code, -1);
    }
}

/* SIGTERM now at the supervisor's request; SIGKILL once the grace is over (see pool_deadlines).
   The supervisor names the process by number: a pid may already belong to a new process. */
CLOUDTASKS__PRIVATE void cloudtasks__pool_term(cloudtasks__pool *pool, int number) {
    size_t i;
    for (i = 0; i < pool->nchildren; i++)
        if (pool->children[i].number == number && pool->children[i].term_sent == 0) {
            pool->children[i].term_sent = cloudtasks__now();
            kill(pool->children[i].pid, SIGTERM);
        }
}

/* Seconds until the next thing to do: a SIGKILL after SIGTERM, a respawn, the end of stopping. */
CLOUDTASKS__PRIVATE double cloudtasks__pool_deadlines(cloudtasks__pool *pool) {
    double now = cloudtasks__now(), next = 60.0, left;
    size_t i;
    for (i = 0; i < pool->nchildren; i++) {
        cloudtasks__child *c = &pool->children[i];
        if (c->term_sent == 0 || c->kill_sent) continue;
        left = c->term_sent + CLOUDTASKS__TERM_GRACE - now;
        if (left <= 0) { kill(c->pid, SIGKILL); c->kill_sent = 1; }
        else if (left < next) next = left;
    }
    if (!pool->stopping) {
        while ((int)pool->nchildren < pool->target && now >= pool->respawn_at && !pool->sup.closed)
            if (cloudtasks__pool_spawn(pool) < 0) {
                char e[128];
                cloudtasks__log(CLOUDTASKS__ERROR, "cannot start a task process: %s; trying again in 1 s",
                                cloudtasks__errno_text(errno, e, sizeof e));
                pool->respawn_at = now + 1.0;
                break;
            }
        if ((int)pool->nchildren < pool->target && pool->respawn_at - now < next) next = pool->respawn_at - now;
    }
    return next;
}

CLOUDTASKS__PRIVATE void cloudtasks__pool_main(cloudtasks__pool *pool) {
    struct sigaction sa;
    if (pipe(pool->sigchld) < 0) _exit(1);
    fcntl(pool->sigchld[0], F_SETFD, FD_CLOEXEC);
    fcntl(pool->sigchld[1], F_SETFD, FD_CLOEXEC);
    cloudtasks__set_nonblocking(pool->sigchld[0]);
    cloudtasks__set_nonblocking(pool->sigchld[1]);
    cloudtasks__sigchld_fd = pool->sigchld[1];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cloudtasks__on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);      /* signals are the supervisor's to interpret */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    {
        /* the program may have blocked SIGCHLD (for a signalfd, say); the pool reaps by it */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
    }
    cloudtasks__set_nonblocking(pool->sup.fd);
    /* Reusable processes: one per slot. A new process per task: as many again as spares, forked
       ahead so that no fork stands between a finished task and the next. */
    pool->target = (int)pool->cfg->num_simultaneous * (pool->cfg->use_new_process ? 2 : 1);
    for (;;) {
        struct pollfd fds[2];
        int type;
        cloudtasks__reader r;
        double wait = cloudtasks__pool_deadlines(pool);
        if ((pool->stopping && pool->nchildren == 0) || pool->sup.closed) break;
        fds[0].fd = pool->sup.fd; fds[0].events = POLLIN; fds[0].revents = 0;
        fds[1].fd = pool->sigchld[0]; fds[1].events = POLLIN; fds[1].revents = 0;
        if (poll(fds, 2, wait <= 0 ? 0 : (int)(wait * 1000) + 1) < 0 && errno != EINTR) break;
        if (fds[1].revents) { char drain[64]; while (read(pool->sigchld[0], drain, sizeof drain) > 0) {} }
        cloudtasks__pool_reap(pool);
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            cloudtasks__channel_read(&pool->sup);
            while (cloudtasks__channel_next(&pool->sup, &type, &r)) {
                if (type == CLOUDTASKS__MSG_TERM) cloudtasks__pool_term(pool, (int)cloudtasks__get_u32(&r));
                else if (type == CLOUDTASKS__MSG_STOP) pool->stopping = 1;   /* running tasks are the supervisor's to stop */
            }
        }
    }
    if (pool->sup.closed) {   /* the supervisor is gone: nobody can take a result, so nothing may run */
        size_t i;
        for (i = 0; i < pool->nchildren; i++) kill(pool->children[i].pid, SIGKILL);
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
    }
    _exit(0);
}

/* >>worker ---------------------------------------------------------------------------------- */

/* A task process as the supervisor sees it: the socket to it and the task it runs. */
/* The supervisor's network side, for cloud queues: threads started after the pool was forked (so
   nothing threaded ever forks), each with its own keep-alive connection.
     receivers (1 to 8)  long-poll the task queue for as many messages as the supervisor can take;
     settler             acknowledges, releases and extends leases in batches;
     reporter            sends event records (batched, retried);
     monitor             sends keep-alives and watches for termination notices.
   They share one mutex with the supervisor's loop, each role waits on its own condition
   variable, and they wake the loop with a byte on a pipe. No thread ever blocks task processing:
   the loop only moves lists. (The design's separate ack and lease threads are one settler here:
   both are batches of the same calls.) */
typedef struct cloudtasks__event_msg { char *text; size_t len; } cloudtasks__event_msg;

enum {
    CLOUDTASKS__NET_FIXED = 3,               /* threads besides the receivers */
    CLOUDTASKS__EVENTS_HELD_MAX = 100000,    /* events waiting for the event queue; older ones are dropped */
    CLOUDTASKS__DRAIN_SECONDS = 30           /* how long the last acknowledgements and events may take at exit */
};

typedef struct cloudtasks__net {
    const cloudtasks__queue_ops *ops;
    void *queue;
    pthread_mutex_t lock;
    pthread_cond_t receive_cond, settle_cond, report_cond, monitor_cond;   /* one per role: a wake-up wakes only who can act */
    int wake[2];
    atomic_int stop_receive, abandon_receive, stop_all;
    atomic_int give_up;                   /* the exit's drain time is over (or a second signal came) */
    pthread_t thread[CLOUDTASKS__NET_FIXED + 8];   /* settler, reporter, monitor, receivers */
    int started[CLOUDTASKS__NET_FIXED + 8];
    /* receivers */
    int receivers;                        /* long polls at once (--receive-threads) */
    int want, lease, wait;
    int starving;                         /* a task slot is free and no message waits for it */
    int asking;                           /* messages the polls in flight asked for */
    double empty_at;                      /* when a poll last came back with nothing */
    int receive_lease;                    /* seconds a receive leases for (Pub/Sub: the subscription's ack deadline) */
    cloudtasks__msg *inbox;
    size_t inbox_len, inbox_cap;
    /* settler */
    cloudtasks__settle *todo;
    size_t todo_len, todo_cap;
    double todo_since;
    int settling;
    /* reporter */
    cloudtasks__event_msg *events;
    size_t events_len, events_cap;
    int sending, send_events;
    int send_one;                         /* events to send alone, after a batch was refused */
    double keepalive;                     /* seconds; 0: none */
    int watch_spot;
    const char *hostname;
    /* for the supervisor */
    char **notes;                         /* non-fatal errors, to become events */
    size_t notes_len, notes_cap;
    char fatal[512];
    int spot;
    char spot_text[512];
    long requests, events_lost;
} cloudtasks__net;

/* Grows an array of elements of size each to hold one more; 0 when memory ran out. */
CLOUDTASKS__PRIVATE int cloudtasks__array_room(void **items, size_t *cap, size_t len, size_t each) {
    void *p;
    size_t n;
    if (len < *cap) return 1;
    n = *cap ? *cap * 2 : 16;
    p = CLOUDTASKS_REALLOC(*items, n * each);
    if (!p) return 0;
    *items = p;
    *cap = n;
    return 1;
}

CLOUDTASKS__PRIVATE void cloudtasks__net_poke(cloudtasks__net *n) {
    char c = 1;
    if (write(n->wake[1], &c, 1) < 0) {}   /* a full pipe already says "look" */
}

/* A non-fatal problem for the event log (called with the lock held). */
CLOUDTASKS__PRIVATE void cloudtasks__net_note(cloudtasks__net *n, const char *text) {
    char *copy = cloudtasks__strdup(text);
    if (copy && cloudtasks__array_room((void **)&n->notes, &n->notes_cap, n->notes_len, sizeof *n->notes)) n->notes[n->notes_len++] = copy;
    else CLOUDTASKS_FREE(copy);
    cloudtasks__net_poke(n);
}

CLOUDTASKS__PRIVATE void cloudtasks__net_fatal(cloudtasks__net *n, const char *text) {
    if (!n->fatal[0]) cloudtasks__copy(n->fatal, sizeof n->fatal, text);
    atomic_store(&n->stop_receive, 1);
    atomic_store(&n->abandon_receive, 1);
    cloudtasks__net_poke(n);
}

CLOUDTASKS__PRIVATE void cloudtasks__net_wait(cloudtasks__net *n, pthread_cond_t *cond, double seconds) {
    struct timespec ts;
    double until;
    int64_t s;
    int32_t us;
    if (seconds > 3600) seconds = 3600;
    cloudtasks__wall(&s, &us);
    until = (double)s + us * 1e-6 + seconds;
    ts.tv_sec = (time_t)until;
    ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(cond, &n->lock, &ts);
}

/* Every network thread ends the same way: its request count into the total, its connection closed.
   Called with the lock held; returns with it released. */
CLOUDTASKS__PRIVATE void cloudtasks__net_thread_done(cloudtasks__net *n, cloudtasks__http *h) {
    n->requests += h->requests;
    pthread_mutex_unlock(&n->lock);
    cloudtasks__http_close(h);
}

/* How many messages a poll should ask for now, 0 for none (called with the lock held). A poll is
   made whenever a task slot would otherwise stay empty; beyond that (prefetch) only for whole
   batches, so requests per task stay low. */
CLOUDTASKS__PRIVATE int cloudtasks__net_poll_size(const cloudtasks__net *n) {
    int room = n->want - (int)n->inbox_len - n->asking, batch = n->want, ask;
    if (batch > n->ops->max_receive) batch = n->ops->max_receive;
    if (batch > CLOUDTASKS__BATCH_MAX) batch = CLOUDTASKS__BATCH_MAX;
    ask = room < batch ? room : batch;
    if (ask <= 0 || (ask < batch && !(n->starving && n->asking == 0 && n->inbox_len == 0))) return 0;
    return ask;
}

CLOUDTASKS__PRIVATE void *cloudtasks__net_receiver(void *arg) {
    cloudtasks__net *n = (cloudtasks__net *)arg;
    cloudtasks__http h;
    cloudtasks__msg got[CLOUDTASKS__BATCH_MAX];
    int failures = 0;
    memset(&h, 0, sizeof h);
    h.abandon = &n->abandon_receive;
    pthread_mutex_lock(&n->lock);
    while (!atomic_load(&n->stop_receive)) {
        int ask = cloudtasks__net_poll_size(n), count = 0, i, rc;
        double asked;
        cloudtasks_error err;
        if (!ask) { cloudtasks__net_wait(n, &n->receive_cond, 1.0); continue; }
        n->asking += ask;
        pthread_mutex_unlock(&n->lock);
        cloudtasks__error_clear(&err);
        asked = cloudtasks__now();
        rc = n->ops->receive(n->queue, &h, ask, n->wait, n->lease, got, &count, &err);
        pthread_mutex_lock(&n->lock);
        n->asking -= ask;
        if (rc == CLOUDTASKS_OK && count == 0) n->empty_at = cloudtasks__now();
        if (rc == CLOUDTASKS_EAUTH || rc == CLOUDTASKS_ECONFIG) { cloudtasks__net_fatal(n, err.message); break; }
        if (rc != CLOUDTASKS_OK) {
            if (atomic_load(&n->stop_receive)) break;
            if (failures++ % 10 == 0) cloudtasks__log(CLOUDTASKS__WARNING, "receiving tasks failed (%s); retrying", err.message);
            pthread_mutex_unlock(&n->lock);
            cloudtasks__nap(cloudtasks__backoff(failures, 0.5, 30.0), &n->abandon_receive);
            pthread_mutex_lock(&n->lock);
            continue;
        }
        if (failures) cloudtasks__log(CLOUDTASKS__INFO, "receiving tasks works again");
        failures = 0;
        for (i = 0; i < count; i++) {
            got[i].extend_at = asked + n->receive_lease / 2.0;
            if (cloudtasks__array_room((void **)&n->inbox, &n->inbox_cap, n->inbox_len, sizeof *n->inbox)) n->inbox[n->inbox_len++] = got[i];
            else cloudtasks__msg_free(&got[i]);   /* its lease runs out and it comes back */
        }
        cloudtasks__net_poke(n);   /* messages, or news for the idle clock */
        pthread_cond_signal(&n->receive_cond);   /* what this poll asked for is free to ask again */
    }
    cloudtasks__net_thread_done(n, &h);
    return NULL;
}

/* Takes the next batch from the to-do list: up to 10 entries of the same kind, oldest first; lease
   changes (extensions and releases) before acknowledgements, since a lease can run out and an
   acknowledgement can wait. */
CLOUDTASKS__PRIVATE int cloudtasks__net_take_batch(cloudtasks__net *n, cloudtasks__settle *batch) {
    size_t i, k = 0;
    int ack = 1, count = 0;
    for (i = 0; i < n->todo_len && ack; i++) ack = n->todo[i].seconds == CLOUDTASKS__ACK;
    for (i = 0; i < n->todo_len; i++) {
        if (count < CLOUDTASKS__BATCH_MAX && (n->todo[i].seconds == CLOUDTASKS__ACK) == ack) batch[count++] = n->todo[i];
        else n->todo[k++] = n->todo[i];
    }
    n->todo_len = k;
    n->todo_since = k ? cloudtasks__now() : 0;
    return count;
}

CLOUDTASKS__PRIVATE void *cloudtasks__net_settler(void *arg) {
    cloudtasks__net *n = (cloudtasks__net *)arg;
    cloudtasks__http h;
    cloudtasks__settle batch[CLOUDTASKS__BATCH_MAX];
    int failures = 0;
    memset(&h, 0, sizeof h);
    h.abandon = &n->give_up;   /* only when the exit's drain time is over */
    pthread_mutex_lock(&n->lock);
    while (!atomic_load(&n->give_up)) {
        int count, i, rc, stopping = atomic_load(&n->stop_all);
        double age;
        cloudtasks_error err;
        if (n->todo_len == 0) {
            if (stopping) break;
            cloudtasks__net_wait(n, &n->settle_cond, 1.0);
            continue;
        }
        /* a short wait fills batches when tasks end close together; leases are not at risk */
        age = cloudtasks__now() - n->todo_since;
        if (n->todo_len < CLOUDTASKS__BATCH_MAX && !stopping && age < 0.05) { cloudtasks__net_wait(n, &n->settle_cond, 0.05 - age); continue; }
        count = cloudtasks__net_take_batch(n, batch);
        n->settling = count;
        pthread_mutex_unlock(&n->lock);
        cloudtasks__error_clear(&err);
        rc = n->ops->settle(n->queue, &h, batch, count, &err);
        pthread_mutex_lock(&n->lock);
        n->settling = 0;
        if (rc == CLOUDTASKS_EAUTH || rc == CLOUDTASKS_ECONFIG) cloudtasks__net_fatal(n, err.message);
        if (rc != CLOUDTASKS_OK && rc != CLOUDTASKS_EAUTH && rc != CLOUDTASKS_ECONFIG && failures < 3 && !stopping) {
            /* back to the front of the list, and try again after a pause */
            failures++;
            cloudtasks__log(CLOUDTASKS__WARNING, "settling %d messages failed (%s); retrying", count, err.message);
            for (i = count - 1; i >= 0; i--) {
                if (!cloudtasks__array_room((void **)&n->todo, &n->todo_cap, n->todo_len, sizeof *n->todo)) { CLOUDTASKS_FREE(batch[i].handle); continue; }
                memmove(n->todo + 1, n->todo, n->todo_len * sizeof *n->todo);
                n->todo[0] = batch[i];
                n->todo_len++;
            }
            n->todo_since = cloudtasks__now();
            pthread_mutex_unlock(&n->lock);
            cloudtasks__nap(cloudtasks__backoff(failures, 0.5, 10.0), NULL);
            pthread_mutex_lock(&n->lock);
            continue;
        }
        failures = 0;
        for (i = 0; i < count; i++) {
            const char *why = rc != CLOUDTASKS_OK ? err.message : batch[i].error;
            if (why[0]) {
                char text[512];
                if (batch[i].seconds == CLOUDTASKS__ACK)
                    snprintf(text, sizeof text, "Error completing task %s: %s", batch[i].task_id[0] ? batch[i].task_id : "?", why);
                else if (batch[i].seconds == 0)
                    snprintf(text, sizeof text, "Error failing task %s: %s", batch[i].task_id[0] ? batch[i].task_id : "?", why);
                else
                    snprintf(text, sizeof text, "Failed to renew visibility timeout for task %s: %s", batch[i].task_id[0] ? batch[i].task_id : "?", why);
                cloudtasks__log(batch[i].seconds > 0 ? CLOUDTASKS__WARNING : CLOUDTASKS__ERROR, "%s", text);
                if (batch[i].seconds <= 0) cloudtasks__net_note(n, text);   /* renewals only warn, as the reference */
            }
            CLOUDTASKS_FREE(batch[i].handle);
        }
    }
    if (n->todo_len) {
        size_t i;
        cloudtasks__log(CLOUDTASKS__ERROR, "%zu acknowledgements or lease changes were not sent in time; those messages come back "
                        "when their leases end", n->todo_len);
        for (i = 0; i < n->todo_len; i++) CLOUDTASKS_FREE(n->todo[i].handle);
        n->todo_len = 0;
    }
    cloudtasks__net_thread_done(n, &h);
    return NULL;
}

/* The keep-alive record: queue only, never the file (as the reference). */
CLOUDTASKS__PRIVATE int cloudtasks__net_keepalive(cloudtasks__net *n, cloudtasks__http *h) {
    cloudtasks__buf b = {0};
    char stamp[33], *bodies[1];
    const char *id = n->ops->instance_id(n->queue, h);
    int64_t s;
    int32_t us;
    int sent = 0;
    size_t len;
    cloudtasks_error err;
    cloudtasks__wall(&s, &us);
    cloudtasks__format_iso8601(stamp, s, us);
    cloudtasks__buf_printf(&b, "{\"timestamp\": \"%s\", \"hostname\": ", stamp);
    cloudtasks__buf_json_string(&b, n->hostname, strlen(n->hostname));
    cloudtasks__buf_puts(&b, ", \"event_type\": \"keep_alive\", \"instance_id\": ");
    cloudtasks__buf_json_string(&b, id ? id : n->hostname, strlen(id ? id : n->hostname));
    cloudtasks__buf_putc(&b, '}');
    if (b.oom) { cloudtasks__buf_free(&b); return CLOUDTASKS_ENOMEM; }
    bodies[0] = b.data;
    len = b.len;
    cloudtasks__error_clear(&err);
    if (n->ops->send(n->queue, h, bodies, &len, &sent, 1, &err) != CLOUDTASKS_OK)
        cloudtasks__log(CLOUDTASKS__WARNING, "Failed to send keep-alive event: %s", err.message);
    cloudtasks__buf_free(&b);
    return CLOUDTASKS_OK;
}

/* Sends the oldest events: up to 10 whose bodies fit one batch. Called with the lock held; the
   events stay listed until they are sent, so none is lost to a failure. */
CLOUDTASKS__PRIVATE int cloudtasks__net_send_events(cloudtasks__net *n, cloudtasks__http *h, int *failures) {
    char *bodies[CLOUDTASKS__BATCH_MAX];
    size_t lens[CLOUDTASKS__BATCH_MAX], total = 0;
    int sent[CLOUDTASKS__BATCH_MAX], count = 0, i, rc, kept = 0, permanent;
    cloudtasks_error err;
    while (count < (n->send_one ? 1 : CLOUDTASKS__BATCH_MAX) && (size_t)count < n->events_len &&
           total + n->events[count].len <= n->ops->max_event_bytes) {
        bodies[count] = n->events[count].text;
        lens[count] = n->events[count].len;
        total += lens[count++];
    }
    if (count == 0) count = 1, bodies[0] = n->events[0].text, lens[0] = n->events[0].len;   /* shrunk to fit before it was listed */
    n->sending = 1;
    pthread_mutex_unlock(&n->lock);
    cloudtasks__error_clear(&err);
    rc = n->ops->send(n->queue, h, bodies, lens, sent, count, &err);
    pthread_mutex_lock(&n->lock);
    n->sending = 0;
    if (rc == CLOUDTASKS_EAUTH || rc == CLOUDTASKS_ECONFIG) cloudtasks__net_fatal(n, err.message);
    /* A refusal that trying again cannot change (a 4xx, or an entry refused in a 200 answer):
       the batch is sent again one event at a time, and an event refused alone is dropped, so one
       bad event never holds the others up. */
    permanent = rc == CLOUDTASKS_EHTTP && (err.http_status == 200 || (err.http_status >= 400 && err.http_status < 500 && err.http_status != 429));
    if (permanent && count == 1) {
        cloudtasks__log(CLOUDTASKS__ERROR, "the event queue refused an event of %zu bytes; it is dropped (%s)", lens[0], err.message);
        sent[0] = 1;
        n->events_lost++;
        rc = CLOUDTASKS_OK;
    } else if (permanent) n->send_one = count;
    if (n->send_one && count == 1 && rc == CLOUDTASKS_OK) n->send_one--;
    /* the sent ones leave the list; the others stay first, in order */
    for (i = 0; i < count; i++) {
        if (sent[i]) CLOUDTASKS_FREE(n->events[i].text);
        else n->events[kept++] = n->events[i];
    }
    memmove(n->events + kept, n->events + count, (n->events_len - (size_t)count) * sizeof *n->events);
    n->events_len -= (size_t)(count - kept);
    if (rc != CLOUDTASKS_OK) {
        if ((*failures)++ % 10 == 0) cloudtasks__log(CLOUDTASKS__WARNING, "sending events failed (%s); retrying", err.message);
    } else *failures = 0;
    return rc;
}

/* Events never wait behind keep-alives or spot checks, nor those behind a slow event queue. */
CLOUDTASKS__PRIVATE void *cloudtasks__net_reporter(void *arg) {
    cloudtasks__net *n = (cloudtasks__net *)arg;
    cloudtasks__http h;
    int failures = 0;
    memset(&h, 0, sizeof h);
    h.abandon = &n->give_up;
    pthread_mutex_lock(&n->lock);
    while (!atomic_load(&n->give_up)) {
        if (n->events_len) {
            if (cloudtasks__net_send_events(n, &h, &failures) != CLOUDTASKS_OK) {
                pthread_mutex_unlock(&n->lock);
                cloudtasks__nap(cloudtasks__backoff(failures, 0.5, 30.0), &n->give_up);
                pthread_mutex_lock(&n->lock);
            }
            continue;
        }
        if (atomic_load(&n->stop_all)) break;
        cloudtasks__net_wait(n, &n->report_cond, 1.0);
    }
    if (n->events_len) {
        size_t i;
        cloudtasks__log(CLOUDTASKS__ERROR, "%zu events could not be sent to the event queue (they are in the event log file, if one "
                        "is written)", n->events_len);
        n->events_lost += (long)n->events_len;
        for (i = 0; i < n->events_len; i++) CLOUDTASKS_FREE(n->events[i].text);
        n->events_len = 0;
    }
    cloudtasks__net_thread_done(n, &h);
    return NULL;
}

/* Keep-alives every --keepalive-interval and a look for a termination notice every 5 seconds,
   on a thread of their own so that neither waits behind the other's network trouble. */
CLOUDTASKS__PRIVATE void *cloudtasks__net_monitor(void *arg) {
    cloudtasks__net *n = (cloudtasks__net *)arg;
    cloudtasks__http h;
    double next_keepalive = n->keepalive > 0 && n->send_events ? cloudtasks__now() : 0, next_spot = n->watch_spot ? cloudtasks__now() : 0;
    memset(&h, 0, sizeof h);
    h.abandon = &n->stop_all;
    pthread_mutex_lock(&n->lock);
    while (!atomic_load(&n->stop_all) && (next_keepalive > 0 || next_spot > 0)) {
        double now = cloudtasks__now(), next = now + 1.0;
        if (next_keepalive > 0 && now >= next_keepalive) {
            pthread_mutex_unlock(&n->lock);
            cloudtasks__net_keepalive(n, &h);
            pthread_mutex_lock(&n->lock);
            next_keepalive = now + n->keepalive;   /* a failed one waits a whole interval too */
            continue;
        }
        if (next_spot > 0 && now >= next_spot) {
            char text[512];
            int notice;
            pthread_mutex_unlock(&n->lock);
            notice = n->ops->termination(n->queue, &h, text, sizeof text);
            pthread_mutex_lock(&n->lock);
            next_spot = now + 5.0;   /* AWS asks for a look every 5 seconds; GCE gives 30 s of notice */
            if (notice == 1) {
                n->spot = 1;
                cloudtasks__copy(n->spot_text, sizeof n->spot_text, text);
                next_spot = 0;
                cloudtasks__net_poke(n);
            }
            continue;
        }
        if (next_keepalive > 0 && next_keepalive < next) next = next_keepalive;
        if (next_spot > 0 && next_spot < next) next = next_spot;
        cloudtasks__net_wait(n, &n->monitor_cond, next - now);
    }
    cloudtasks__net_thread_done(n, &h);
    return NULL;
}

/* Starts the threads with SIGINT/SIGTERM blocked in them, so the handlers run on the loop's
   thread (which is where they write their pipe byte anyway). */
CLOUDTASKS__PRIVATE int cloudtasks__net_start(cloudtasks__net *n) {
    sigset_t block, old;
    int i, ok = 1;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (i = 0; i < CLOUDTASKS__NET_FIXED + n->receivers && ok; i++)
        ok = (n->started[i] = pthread_create(&n->thread[i], NULL, i == 0 ? cloudtasks__net_settler : i == 1 ? cloudtasks__net_reporter :
                                             i == 2 ? cloudtasks__net_monitor : cloudtasks__net_receiver, n) == 0);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

CLOUDTASKS__PRIVATE void cloudtasks__net_wake_all(cloudtasks__net *n) {
    pthread_mutex_lock(&n->lock);
    pthread_cond_broadcast(&n->receive_cond);
    pthread_cond_broadcast(&n->settle_cond);
    pthread_cond_broadcast(&n->report_cond);
    pthread_cond_broadcast(&n->monitor_cond);
    pthread_mutex_unlock(&n->lock);
}

/* Stops receiving and waits for the receiver; what it received after that is in the inbox. A
   receive in flight is abandoned (if no answer has started) when abandon is set; otherwise it is
   let finish, so a message the queue hands to it comes back at once instead of after its lease. */
CLOUDTASKS__PRIVATE void cloudtasks__net_stop_receiving(cloudtasks__net *n, int abandon) {
    int i;
    atomic_store(&n->stop_receive, 1);
    if (abandon) atomic_store(&n->abandon_receive, 1);
    cloudtasks__net_wake_all(n);
    for (i = CLOUDTASKS__NET_FIXED; i < CLOUDTASKS__NET_FIXED + n->receivers; i++)
        if (n->started[i]) { pthread_join(n->thread[i], NULL); n->started[i] = 0; }
}

/* Lets the settler and the reporter finish their lists, then joins them. */
/* Lets the settler and the reporter finish their lists, for CLOUDTASKS__DRAIN_SECONDS at most (or
   until a signal arrives on signal_fd), then stops every thread. */
CLOUDTASKS__PRIVATE void cloudtasks__net_finish(cloudtasks__net *n, int signal_fd) {
    double deadline = cloudtasks__now() + CLOUDTASKS__DRAIN_SECONDS;
    int i;
    cloudtasks__net_stop_receiving(n, 1);
    atomic_store(&n->stop_all, 1);
    cloudtasks__net_wake_all(n);
    for (;;) {
        struct pollfd pf;
        int busy;
        pthread_mutex_lock(&n->lock);
        busy = n->todo_len || n->settling || n->events_len || n->sending;
        pthread_mutex_unlock(&n->lock);
        if (!busy) break;
        if (cloudtasks__now() > deadline) {
            cloudtasks__log(CLOUDTASKS__WARNING, "the queue did not take the last acknowledgements and events in %d seconds; giving up",
                            CLOUDTASKS__DRAIN_SECONDS);
            break;
        }
        pf.fd = signal_fd;
        pf.events = POLLIN;
        pf.revents = 0;
        if (signal_fd >= 0 && poll(&pf, 1, 20) > 0) {
            cloudtasks__log(CLOUDTASKS__WARNING, "a signal while the last acknowledgements and events were sent; stopping now");
            break;
        }
        if (signal_fd < 0) poll(NULL, 0, 20);
    }
    atomic_store(&n->give_up, 1);
    cloudtasks__net_wake_all(n);
    for (i = 0; i < CLOUDTASKS__NET_FIXED; i++)
        if (n->started[i]) { pthread_join(n->thread[i], NULL); n->started[i] = 0; }
}

CLOUDTASKS__PRIVATE void cloudtasks__net_free(cloudtasks__net *n) {
    size_t i;
    for (i = 0; i < n->inbox_len; i++) cloudtasks__msg_free(&n->inbox[i]);
    for (i = 0; i < n->todo_len; i++) CLOUDTASKS_FREE(n->todo[i].handle);
    for (i = 0; i < n->events_len; i++) CLOUDTASKS_FREE(n->events[i].text);
    for (i = 0; i < n->notes_len; i++) CLOUDTASKS_FREE(n->notes[i]);
    CLOUDTASKS_FREE(n->inbox);
    CLOUDTASKS_FREE(n->todo);
    CLOUDTASKS_FREE(n->events);
    CLOUDTASKS_FREE(n->notes);
    if (n->wake[0] >= 0) close(n->wake[0]);
    if (n->wake[1] >= 0) close(n->wake[1]);
    pthread_cond_destroy(&n->receive_cond);
    pthread_cond_destroy(&n->settle_cond);
    pthread_cond_destroy(&n->report_cond);
    pthread_cond_destroy(&n->monitor_cond);
    pthread_mutex_destroy(&n->lock);
}

typedef struct cloudtasks__worker_proc {
    int pid, number;            /* pid 0: a free entry */
    cloudtasks__channel ch;
    int ready;                  /* its process_init is done: it may take tasks */
    int busy, retiring;         /* retiring: it exits after its current task */
    int stop_reason;            /* why the supervisor asked to stop it: 0, OUT_TIMED_OUT or OUT_KILLED */
    long tasks;
    char *task_id;
    double started;
    char *handle;               /* a cloud queue's receipt handle / ack id for the task; NULL for files */
    double extend_at;           /* when its lease is next extended */
} cloudtasks__worker_proc;

typedef struct cloudtasks__supervisor {
    const cloudtasks__config *cfg;
    const cloudtasks_worker_desc *desc;
    cloudtasks__shared *shared;
    cloudtasks__channel pool;
    pid_t pool_pid;
    cloudtasks__events events;
    cloudtasks__taskfile source;
    cloudtasks__worker_proc *procs;
    size_t nprocs;
    size_t capacity;            /* tasks at once */
    size_t active;
    double start, termination_at, kill_at, grace_deadline;
    double idle_since;          /* when the queue last answered with nothing (0: it has not); task files end instead */
    long to_skip, started_tasks;
    int source_done, limit_reached, shutdown, immediate, killed, exit_code;
    long not_retried, retried, timed_out, exited, memory_exceeded, failed, bad_records, skipped;
    int signal_pipe[2];
    int intake_over;            /* no task will be started any more; the pool was told */
    int init_failures;          /* task processes in a row that died idle before their first task */
    long total;                 /* records in the task file, for the progress line; -1 when not shown */
    double progress_at;
    struct pollfd *fds;
    size_t fds_cap;
    /* cloud queues */
    cloudtasks__net *net;       /* NULL for a task file */
    cloudtasks__msg *inbox;     /* received, not started yet (their leases are ours) */
    size_t inbox_len, inbox_cap;
    cloudtasks__settle *todo;   /* acknowledgements and lease changes, handed over after events are written */
    size_t todo_len, todo_cap;
    double last_activity;       /* a message arrived or a task ended */
    int net_failed;             /* a network thread hit an error the worker cannot go on with */
} cloudtasks__supervisor;

static int cloudtasks__signal_fd = -1;
static cloudtasks__shared *cloudtasks__signal_shared;

CLOUDTASKS__PRIVATE void cloudtasks__on_signal(int sig) {
    int saved = errno;
    char c = (char)sig;
    if (cloudtasks__signal_shared) cloudtasks__signal_shared->shutdown = 1;
    if (cloudtasks__signal_fd >= 0 && write(cloudtasks__signal_fd, &c, 1) < 0) {}
    errno = saved;
}

/* Releases a task process's entry; a free entry has pid 0 and no descriptor (fd -1, never 0). */
CLOUDTASKS__PRIVATE void cloudtasks__sup_release(cloudtasks__worker_proc *p) {
    cloudtasks__channel_free(&p->ch);
    CLOUDTASKS_FREE(p->task_id);
    CLOUDTASKS_FREE(p->handle);
    memset(p, 0, sizeof *p);
    p->ch.fd = -1;
}

CLOUDTASKS__PRIVATE cloudtasks__worker_proc *cloudtasks__sup_idle(cloudtasks__supervisor *s) {
    size_t i;
    for (i = 0; i < s->nprocs; i++) {
        cloudtasks__worker_proc *p = &s->procs[i];
        if (p->pid && p->ready && !p->busy && !p->retiring && !p->ch.closed) return p;
    }
    return NULL;
}

/* A task record checked: a JSON object with "task_id" (a string, or a number written as one) and
   "data". The document is the caller's to free; on failure it is NULL and why says what is wrong. */
typedef struct cloudtasks__task_record {
    cloudtasks_json_doc *doc;
    const char *id;
    size_t id_len;
    const cloudtasks_json *data;
    char number[32];
} cloudtasks__task_record;

CLOUDTASKS__PRIVATE int cloudtasks__task_check(const char *text, size_t len, cloudtasks__task_record *t, char *why, size_t why_size) {
    cloudtasks_error err;
    const cloudtasks_json *root, *id;
    const char *problem = NULL;
    memset(t, 0, sizeof *t);
    t->doc = cloudtasks_json_parse(text, len, &err);
    root = cloudtasks_json_root(t->doc);
    id = cloudtasks_json_get(root, "task_id");
    t->data = cloudtasks_json_get(root, "data");
    if (!t->doc) problem = err.message;
    else if (cloudtasks_json_typeof(root) != CLOUDTASKS_JSON_OBJECT) problem = "a task must be a JSON object";
    else if (!id) problem = "it has no \"task_id\"";
    else if (!t->data) problem = "it has no \"data\"";
    else if (cloudtasks_json_typeof(id) != CLOUDTASKS_JSON_STRING && cloudtasks_json_typeof(id) != CLOUDTASKS_JSON_NUMBER)
        problem = "its \"task_id\" must be a string or a number";
    if (problem) {
        cloudtasks__copy(why, why_size, problem);
        cloudtasks_json_free(t->doc);
        t->doc = NULL;
        return 0;
    }
    t->id = cloudtasks_json_string(id, &t->id_len);
    if (!t->id) { t->id_len = cloudtasks__format_double(t->number, cloudtasks_json_number(id, 0)); t->id = t->number; }
    return 1;
}

CLOUDTASKS__PRIVATE void cloudtasks__sup_send_task(cloudtasks__supervisor *s, cloudtasks__worker_proc *p, const cloudtasks__task_record *t,
                                                   const char *text, size_t len, const char *message_id, int receive_count) {
    const char *task_id = t->id;
    size_t id_len = t->id_len;
    size_t data_start, at, span;
    p->busy = 1;
    p->stop_reason = 0;
    p->task_id = cloudtasks__strndup(task_id, id_len);
    p->started = cloudtasks__now();
    cloudtasks__frame_begin(&p->ch, CLOUDTASKS__MSG_TASK);
    cloudtasks__put_str(&p->ch.out, task_id, id_len);
    data_start = p->ch.out.len;
    cloudtasks__put_u32(&p->ch.out, 0);
    if (cloudtasks__json_member_span(text, len, "data", &at, &span)) cloudtasks__buf_append(&p->ch.out, text + at, span);
    else cloudtasks__json_serialize(cloudtasks__buf_sink, &p->ch.out, t->data);
    cloudtasks__patch_length(&p->ch.out, data_start);
    cloudtasks__put_str(&p->ch.out, message_id, strlen(message_id));   /* "" in a task file */
    cloudtasks__put_u32(&p->ch.out, (uint32_t)receive_count);           /* 0: unknown */
    cloudtasks__frame_end(&p->ch);
    cloudtasks__channel_flush(&p->ch);
    s->active++;
    s->started_tasks++;
    cloudtasks__log(CLOUDTASKS__DEBUG, "Started task %s on worker #%d (PID %d)", p->task_id ? p->task_id : "?", p->number, p->pid);
}

CLOUDTASKS__PRIVATE void cloudtasks__sup_bad_record(cloudtasks__supervisor *s, const cloudtasks__record *rec, const char *why) {
    char text[512];
    snprintf(text, sizeof text, "task file %s: record %ld (line %llu) skipped: %s", s->source.path, rec->number,
             (unsigned long long)rec->line, why);
    cloudtasks__log(CLOUDTASKS__ERROR, "%s", text);
    cloudtasks__event_message(&s->events, "non_fatal_exception", text);
    s->bad_records++;
}

CLOUDTASKS__PRIVATE void cloudtasks__sup_check_limit(cloudtasks__supervisor *s) {
    if (s->cfg->max_num_tasks >= 0 && s->started_tasks >= (long)s->cfg->max_num_tasks && !s->limit_reached) {
        s->limit_reached = 1;
        cloudtasks__log(CLOUDTASKS__INFO, "Started the maximum of %ld tasks (--max-num-tasks); taking no more", s->started_tasks);
    }
}

/* Takes records from the task file while a task process is free, skipping and limiting as configured. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_feed_file(cloudtasks__supervisor *s) {
    cloudtasks__worker_proc *p;
    cloudtasks__sup_check_limit(s);
    while (!s->source_done && !s->limit_reached && !s->shutdown && !s->shared->termination && s->active < s->capacity &&
           (p = cloudtasks__sup_idle(s)) != NULL) {
        cloudtasks__record rec;
        cloudtasks__buf why = {0};
        cloudtasks__task_record t;
        char problem[300];
        int r = cloudtasks__taskfile_next(&s->source, &rec, &why);
        if (r <= 0) {
            if (r < 0) {
                cloudtasks__log(CLOUDTASKS__ERROR, "%s; no more tasks are read from it", why.data ? why.data : "task file error");
                cloudtasks__event_message(&s->events, "non_fatal_exception", why.data ? why.data : "task file error");
                s->exit_code = 1;
            }
            cloudtasks__buf_free(&why);
            s->source_done = 1;
            break;
        }
        if (!cloudtasks__task_check(rec.text, rec.len, &t, problem, sizeof problem)) cloudtasks__sup_bad_record(s, &rec, problem);
        else if (s->to_skip > 0) {
            s->to_skip--;
            s->skipped++;
            cloudtasks__log(CLOUDTASKS__DEBUG, "Skipping task (%ld more to skip)", s->to_skip);
        } else {
            cloudtasks__sup_send_task(s, p, &t, rec.text, rec.len, "", 0);
            cloudtasks__sup_check_limit(s);
        }
        cloudtasks_json_free(t.doc);
    }
}

/* ---- the supervisor and a cloud queue ---- */

CLOUDTASKS__PRIVATE void cloudtasks__sup_kill_all(cloudtasks__supervisor *s);

/* Lists an acknowledgement (seconds CLOUDTASKS__ACK) or a lease change for a message; the list
   goes to the settler only after the loop wrote the events, so an event always precedes its
   acknowledgement. Takes the handle. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_settle(cloudtasks__supervisor *s, char *handle, int seconds, const char *task_id) {
    cloudtasks__settle *e;
    if (!handle || !cloudtasks__array_room((void **)&s->todo, &s->todo_cap, s->todo_len, sizeof *s->todo)) {
        cloudtasks__log(CLOUDTASKS__ERROR, "out of memory: the message of task %s is left to its lease", task_id ? task_id : "?");
        CLOUDTASKS_FREE(handle);
        return;
    }
    e = &s->todo[s->todo_len++];
    memset(e, 0, sizeof *e);
    e->handle = handle;
    e->seconds = seconds;
    if (task_id) cloudtasks__copy(e->task_id, sizeof e->task_id, task_id);
}

/* Gives every received message that will not run back to the queue at once. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_release_inbox(cloudtasks__supervisor *s, const char *why) {
    size_t i;
    if (!s->inbox_len) return;
    for (i = 0; i < s->inbox_len; i++) {
        cloudtasks__sup_settle(s, s->inbox[i].handle, 0, NULL);
        s->inbox[i].handle = NULL;
        cloudtasks__msg_free(&s->inbox[i]);
    }
    cloudtasks__log(CLOUDTASKS__INFO, "Released %zu received tasks back to the queue (%s)", s->inbox_len, why);
    s->inbox_len = 0;
}

/* Moves what the receiver got into the supervisor's own list. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_take_inbox(cloudtasks__supervisor *s) {
    cloudtasks__net *n = s->net;
    size_t i;
    pthread_mutex_lock(&n->lock);
    for (i = 0; i < n->inbox_len; i++) {
        if (cloudtasks__array_room((void **)&s->inbox, &s->inbox_cap, s->inbox_len, sizeof *s->inbox)) s->inbox[s->inbox_len++] = n->inbox[i];
        else cloudtasks__msg_free(&n->inbox[i]);   /* its lease runs out and it comes back */
    }
    if (n->inbox_len) s->last_activity = cloudtasks__now();
    n->inbox_len = 0;
    pthread_mutex_unlock(&n->lock);
}

/* A message whose body is not a task can never run: its event names it and it is deleted, so it
   does not come back forever (the reference loses its whole batch to it, again and again). */
CLOUDTASKS__PRIVATE void cloudtasks__sup_bad_message(cloudtasks__supervisor *s, cloudtasks__msg *m, const char *why) {
    char text[600];
    snprintf(text, sizeof text, "message %s from queue %s is not a task and was deleted: %s", m->message_id[0] ? m->message_id : "?",
             s->cfg->queue_name, why);
    cloudtasks__log(CLOUDTASKS__ERROR, "%s", text);
    cloudtasks__event_message(&s->events, "non_fatal_exception", text);
    cloudtasks__sup_settle(s, m->handle, CLOUDTASKS__ACK, NULL);
    m->handle = NULL;
    s->bad_records++;
}

CLOUDTASKS__PRIVATE int cloudtasks__sup_intake_closed(const cloudtasks__supervisor *s) {
    return s->limit_reached || s->shutdown || s->shared->termination || s->net_failed;
}

/* Starts received tasks on free task processes and tells the receiver how many more to get: the
   free slots plus --prefetch, less what is already waiting. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_feed_queue(cloudtasks__supervisor *s) {
    cloudtasks__worker_proc *p;
    long want;
    cloudtasks__sup_take_inbox(s);
    cloudtasks__sup_check_limit(s);
    while (s->inbox_len && !cloudtasks__sup_intake_closed(s) && s->active < s->capacity && (p = cloudtasks__sup_idle(s)) != NULL) {
        cloudtasks__msg m = s->inbox[0];
        cloudtasks__task_record t;
        char problem[300];
        memmove(s->inbox, s->inbox + 1, --s->inbox_len * sizeof *s->inbox);
        if (!cloudtasks__task_check(m.body, m.body_len, &t, problem, sizeof problem)) cloudtasks__sup_bad_message(s, &m, problem);
        else if (s->to_skip > 0) {
            s->to_skip--;
            s->skipped++;
            cloudtasks__log(CLOUDTASKS__INFO, "Skipping task %.*s (%ld more to skip); released", (int)t.id_len, t.id, s->to_skip);
            cloudtasks__sup_settle(s, m.handle, 0, NULL);
            m.handle = NULL;
        } else {
            cloudtasks__sup_send_task(s, p, &t, m.body, m.body_len, m.message_id, m.receive_count);
            p->handle = m.handle;
            m.handle = NULL;
            p->extend_at = m.extend_at;
            cloudtasks__sup_check_limit(s);
        }
        cloudtasks_json_free(t.doc);
        cloudtasks__msg_free(&m);
    }
    if (cloudtasks__sup_intake_closed(s))
        cloudtasks__sup_release_inbox(s, s->limit_reached ? "--max-num-tasks reached" : s->shutdown ? "shutting down" :
                                         s->shared->termination ? "termination notice" : "stopping");
    want = cloudtasks__sup_intake_closed(s) ? 0 : (long)s->capacity - (long)s->active + (long)s->cfg->prefetch - (long)s->inbox_len;
    if (s->cfg->max_num_tasks >= 0 && want > (long)s->cfg->max_num_tasks - s->started_tasks + s->to_skip - (long)s->inbox_len)
        want = (long)s->cfg->max_num_tasks - s->started_tasks + s->to_skip - (long)s->inbox_len;   /* nothing received only to be released */
    if (want < 0) want = 0;
    pthread_mutex_lock(&s->net->lock);
    {
        cloudtasks__net *n = s->net;
        int starving = want > 0 && s->active < s->capacity && s->inbox_len == 0;
        if (n->want != (int)want || n->starving != starving) {
            n->want = (int)want;
            n->starving = starving;
            if (cloudtasks__net_poll_size(n)) pthread_cond_signal(&n->receive_cond);
        }
    }
    pthread_mutex_unlock(&s->net->lock);
}

CLOUDTASKS__PRIVATE void cloudtasks__sup_feed(cloudtasks__supervisor *s) {
    if (s->net) cloudtasks__sup_feed_queue(s);
    else cloudtasks__sup_feed_file(s);
}

/* The next lease for a message: the configured visibility, but never past the task's max runtime
   plus a margin (a task is stopped then anyway), nor past what the queue allows per call. */
CLOUDTASKS__PRIVATE int cloudtasks__sup_lease(const cloudtasks__supervisor *s, double running) {
    double left = s->cfg->max_runtime + 10 - running, v = s->net->lease;
    if (running >= 0 && left < v) v = left;
    if (v > s->net->ops->max_lease) v = s->net->ops->max_lease;
    return v < 1 ? 0 : (int)(v + 0.999);
}

/* Extends one lease if it is due (running: seconds the task has run, or -1 for a message still
   waiting); returns the seconds until it is due next. */
CLOUDTASKS__PRIVATE double cloudtasks__sup_extend_one(cloudtasks__supervisor *s, const char *handle, double *extend_at, double running,
                                                      const char *task_id, double now) {
    if (now >= *extend_at) {
        int seconds = cloudtasks__sup_lease(s, running);
        if (seconds > 0) {
            cloudtasks__sup_settle(s, cloudtasks__strdup(handle), seconds, task_id);
            *extend_at = now + (seconds / 2.0 > 1 ? seconds / 2.0 : 1);
            cloudtasks__log(CLOUDTASKS__DEBUG, "Extending the lease of task %s by %d seconds", task_id ? task_id : "(waiting)", seconds);
        } else *extend_at = 1e18;   /* past max runtime plus the margin: the task is stopped anyway */
    }
    return *extend_at - now;
}

/* Extends the leases of running and waiting messages halfway through; returns the seconds to the
   next extension. */
CLOUDTASKS__PRIVATE double cloudtasks__sup_extend_leases(cloudtasks__supervisor *s, double now) {
    double next = 1e9, due;
    size_t i;
    for (i = 0; i < s->nprocs; i++) {
        cloudtasks__worker_proc *p = &s->procs[i];
        if (!p->handle || !p->busy || p->stop_reason) continue;
        due = cloudtasks__sup_extend_one(s, p->handle, &p->extend_at, now - p->started, p->task_id, now);
        if (due < next) next = due;
    }
    for (i = 0; i < s->inbox_len; i++) {
        due = cloudtasks__sup_extend_one(s, s->inbox[i].handle, &s->inbox[i].extend_at, -1, NULL, now);
        if (due < next) next = due;
    }
    return next;
}

/* The event queue's copy of an event record. One that is too large for a queue message has its
   "result" or "exception" cut, with a marker, so it stays one JSON object and is never lost. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_event_to_queue(void *ctx, const char *line, size_t len) {
    cloudtasks__net *n = (cloudtasks__net *)ctx;
    size_t limit = n->ops->max_event_bytes;
    cloudtasks__buf b = {0};
    if (len > limit) {
        size_t at = 0, span = 0, keep;
        const char *key = cloudtasks__json_member_span(line, len, "result", &at, &span) ? "result" :
                          cloudtasks__json_member_span(line, len, "exception", &at, &span) ? "exception" : NULL;
        /* as much as fits: the rest of the record and the marker take their room first, and
           escaping can grow what is kept, so a try that is still too long keeps less */
        keep = key && len - span + 100 < limit ? limit - (len - span) - 100 : 0;
        for (; key && keep > 0; keep = keep * 3 / 4) {
            b.len = 0;
            cloudtasks__buf_append(&b, line, at);
            cloudtasks__buf_putc(&b, '"');
            cloudtasks__json_escape(cloudtasks__buf_sink, &b, line + at, keep);
            cloudtasks__buf_printf(&b, " ... [cut: %zu of %zu bytes shown]\"", keep, span);
            cloudtasks__buf_append(&b, line + at + span, len - at - span);
            if (b.len <= limit) break;
        }
        if (!key || b.oom || b.len > limit) {
            cloudtasks__log(CLOUDTASKS__ERROR, "an event of %zu bytes is over the event queue's limit of %zu bytes and cannot be cut to "
                            "fit; it is in the event log file only", len, limit);
            cloudtasks__buf_free(&b);
            return;
        }
        cloudtasks__log(CLOUDTASKS__WARNING, "an event of %zu bytes is over the event queue's limit of %zu bytes; its %s was cut", len, limit, key);
        line = b.data;
        len = b.len;
    }
    pthread_mutex_lock(&n->lock);
    if (n->events_len >= CLOUDTASKS__EVENTS_HELD_MAX && !n->sending) {
        /* the event queue has been unreachable for long: the oldest waiting event makes room */
        if (n->events_lost++ % 1000 == 0)
            cloudtasks__log(CLOUDTASKS__ERROR, "%d events wait for the event queue; the oldest are dropped (the event log file keeps them)",
                            CLOUDTASKS__EVENTS_HELD_MAX);
        CLOUDTASKS_FREE(n->events[0].text);
        memmove(n->events, n->events + 1, (n->events_len - 1) * sizeof *n->events);
        n->events_len--;
    }
    if (cloudtasks__array_room((void **)&n->events, &n->events_cap, n->events_len, sizeof *n->events) &&
        (n->events[n->events_len].text = b.data ? b.data : cloudtasks__strndup(line, len)) != NULL) {
        n->events[n->events_len++].len = len;
        b.data = NULL;
        pthread_cond_signal(&n->report_cond);
    } else {
        n->events_lost++;
        cloudtasks__log(CLOUDTASKS__ERROR, "out of memory: an event was not sent to the event queue");
    }
    pthread_mutex_unlock(&n->lock);
    cloudtasks__buf_free(&b);
}

/* Writes the events (file first), then hands the acknowledgements and lease changes over. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_flush(cloudtasks__supervisor *s) {
    cloudtasks__net *n = s->net;
    size_t i;
    cloudtasks__events_flush(&s->events);
    if (!n || !s->todo_len) return;
    pthread_mutex_lock(&n->lock);
    if (!n->todo_len) n->todo_since = cloudtasks__now();
    for (i = 0; i < s->todo_len; i++) {
        if (cloudtasks__array_room((void **)&n->todo, &n->todo_cap, n->todo_len, sizeof *n->todo)) n->todo[n->todo_len++] = s->todo[i];
        else {
            cloudtasks__log(CLOUDTASKS__ERROR, "out of memory: the message of task %s is left to its lease", s->todo[i].task_id);
            CLOUDTASKS_FREE(s->todo[i].handle);
        }
    }
    s->todo_len = 0;
    pthread_cond_signal(&n->settle_cond);
    pthread_mutex_unlock(&n->lock);
}

/* What the network threads have to say: errors for the event log, a fatal error, a spot notice. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_net_news(cloudtasks__supervisor *s) {
    cloudtasks__net *n = s->net;
    char drain[64], fatal[512] = "", spot[512] = "";
    size_t i;
    int got_spot;
    while (read(n->wake[0], drain, sizeof drain) > 0) {}
    pthread_mutex_lock(&n->lock);
    for (i = 0; i < n->notes_len; i++) {
        cloudtasks__event_message(&s->events, "non_fatal_exception", n->notes[i]);
        CLOUDTASKS_FREE(n->notes[i]);
    }
    n->notes_len = 0;
    if (n->fatal[0] && !s->net_failed) cloudtasks__copy(fatal, sizeof fatal, n->fatal);
    got_spot = n->spot;
    cloudtasks__copy(spot, sizeof spot, n->spot_text);
    pthread_mutex_unlock(&n->lock);
    if (fatal[0]) {
        s->net_failed = 1;
        s->exit_code = 1;
        cloudtasks__log(CLOUDTASKS__ERROR, "%s; stopping", fatal);
        cloudtasks__event_message(&s->events, "fatal_exception", fatal);
        if (s->active) cloudtasks__sup_kill_all(s);
    }
    if (got_spot && !s->shared->termination) {
        cloudtasks_json_doc *doc = cloudtasks_json_parse(spot, strlen(spot), NULL);
        const cloudtasks_json *root = cloudtasks_json_root(doc);
        size_t alen = 0, tlen = 0;
        const char *action = cloudtasks_json_string(cloudtasks_json_get(root, "action"), &alen);
        const char *when = cloudtasks_json_string(cloudtasks_json_get(root, "time"), &tlen);
        s->shared->termination = 1;
        cloudtasks__log(CLOUDTASKS__WARNING, "Instance termination notice received (%s at %s)", action ? action : "?", when ? when : "?");
        cloudtasks__event_begin(&s->events, "spot_termination");
        if (action) cloudtasks__event_string(&s->events, "action", action, alen);
        if (when) cloudtasks__event_string(&s->events, "time", when, tlen);
        cloudtasks__event_end(&s->events);
        cloudtasks_json_free(doc);
    }
}

/* The fields every task event starts with, in the reference's order. */
CLOUDTASKS__PRIVATE void cloudtasks__event_task(cloudtasks__events *ev, const char *type, const char *id, int retry, double elapsed) {
    cloudtasks__event_begin(ev, type);
    cloudtasks__event_string(ev, "task_id", id, strlen(id));
    cloudtasks__event_raw(ev, "retry", retry ? "true" : "false");
    cloudtasks__event_number(ev, "elapsed_time", elapsed);
}

/* One task ended: log it and write its event, then (for a queue) acknowledge or retry it. Events
   are flushed before any acknowledgement, so a crash between the two repeats the task rather than
   losing its record. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_finished(cloudtasks__supervisor *s, cloudtasks__worker_proc *p, int outcome, int code,
                                                  const char *payload, size_t len) {
    cloudtasks__events *ev = &s->events;
    const char *id = p->task_id ? p->task_id : "";
    double elapsed = (double)(int64_t)((cloudtasks__now() - p->started) * 1e6 + 0.5) / 1e6;   /* microseconds */
    int retry;
    switch (outcome) {
    case CLOUDTASKS__OUT_DONE: case CLOUDTASKS__OUT_RETRY: {
        cloudtasks_json_doc *doc = len == 4 && memcmp(payload, "null", 4) == 0 ? NULL : cloudtasks_json_parse(payload, len, NULL);
        retry = outcome == CLOUDTASKS__OUT_RETRY;
        if (retry) s->retried++; else s->not_retried++;
        cloudtasks__log(CLOUDTASKS__DEBUG, "Task %s completed in %.3f s; %s", id, elapsed, retry ? "retrying" : "not retrying");
        cloudtasks__event_task(ev, "task_completed", id, retry, elapsed);
        if (doc) { cloudtasks__event_key(ev, "result"); cloudtasks__buf_json_line(&ev->line, payload, len); }
        else if (len == 4 && memcmp(payload, "null", 4) == 0) cloudtasks__event_raw(ev, "result", "null");
        else cloudtasks__event_string(ev, "result", payload, len);   /* never a broken record */
        cloudtasks__event_end(ev);
        cloudtasks_json_free(doc);
        break;
    }
    case CLOUDTASKS__OUT_FAILED: case CLOUDTASKS__OUT_NO_MEMORY:
        retry = outcome == CLOUDTASKS__OUT_FAILED && s->cfg->retry_on_exception;
        s->failed++;
        if (outcome == CLOUDTASKS__OUT_NO_MEMORY) s->memory_exceeded++;
        if (retry) s->retried++; else s->not_retried++;
        cloudtasks__log(CLOUDTASKS__WARNING, "Task %s %s after %.1f seconds: %.*s; %s", id,
                        outcome == CLOUDTASKS__OUT_NO_MEMORY ? "ran out of memory" : "failed", elapsed, (int)(len < 300 ? len : 300),
                        payload, retry ? "retrying" : "not retrying");
        cloudtasks__event_task(ev, "task_exception", id, retry, elapsed);
        cloudtasks__event_string(ev, "exception", payload, len);
        cloudtasks__event_end(ev);
        break;
    case CLOUDTASKS__OUT_TIMED_OUT:
        retry = s->cfg->retry_on_timeout;
        s->timed_out++;
        cloudtasks__log(CLOUDTASKS__WARNING, "Task %s will %sbe retried", id, retry ? "" : "not ");
        cloudtasks__event_task(ev, "task_timed_out", id, retry, elapsed);
        cloudtasks__event_end(ev);
        break;
    default: {
        /* Exited without a result, or stopped at shutdown: a task the worker itself stopped is
           released (retry), since it did not fail. */
        int killed = outcome == CLOUDTASKS__OUT_KILLED;
        retry = killed || s->cfg->retry_on_exit;
        s->exited++;
        if (killed)
            cloudtasks__log(CLOUDTASKS__WARNING, "Worker #%d (PID %d) processing task \"%s\" was stopped at shutdown after %.1f seconds "
                            "(exit code %d); released", p->number, p->pid, id, elapsed, code);
        else
            cloudtasks__log(CLOUDTASKS__WARNING, "Worker #%d (PID %d) processing task \"%s\" exited prematurely in %.1f seconds with "
                            "exit code %d; %s", p->number, p->pid, id, elapsed, code, retry ? "retrying" : "not retrying");
        cloudtasks__event_task(ev, "task_exited", id, retry, elapsed);
        cloudtasks__event_number(ev, "exit_code", code);
        cloudtasks__event_end(ev);
        break;
    }
    }
    /* A task file has nothing to acknowledge or retry: the event is the whole record. */
    if (p->handle) { cloudtasks__sup_settle(s, p->handle, retry ? 0 : CLOUDTASKS__ACK, id); p->handle = NULL; }
    s->last_activity = cloudtasks__now();
    CLOUDTASKS_FREE(p->task_id);
    p->task_id = NULL;
    p->busy = 0;
    p->stop_reason = 0;
    s->active--;
}

/* Reads a task process's results. A process that will exit after this task is not given another. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_results(cloudtasks__supervisor *s, cloudtasks__worker_proc *p) {
    int type;
    cloudtasks__reader r;
    cloudtasks__channel_read(&p->ch);
    while (cloudtasks__channel_next(&p->ch, &type, &r)) {
        int outcome;
        size_t len;
        const char *payload;
        if (type == CLOUDTASKS__MSG_READY) { p->ready = 1; continue; }
        if (type != CLOUDTASKS__MSG_RESULT || r.end - r.p < 1 || !p->busy || p->stop_reason) continue;
        outcome = *r.p++;
        payload = cloudtasks__get_str(&r, &len);
        if (outcome > CLOUDTASKS__OUT_NO_MEMORY) outcome = CLOUDTASKS__OUT_FAILED;
        p->tasks++;
        s->init_failures = 0;
        if (s->cfg->use_new_process || outcome == CLOUDTASKS__OUT_NO_MEMORY ||
            (s->cfg->max_tasks_per_process > 0 && p->tasks >= (long)s->cfg->max_tasks_per_process))
            p->retiring = 1;
        cloudtasks__sup_finished(s, p, outcome, 0, payload, len);
        if (s->intake_over && p->ch.fd >= 0) { close(p->ch.fd); p->ch.fd = -1; p->ch.closed = 1; }   /* it may go */
    }
    if (p->ch.bad && p->busy && !p->stop_reason) {
        cloudtasks__log(CLOUDTASKS__ERROR, "Task process #%d (PID %d) wrote something that is not a result to its socket; "
                        "stopping it", p->number, p->pid);
        p->stop_reason = CLOUDTASKS__OUT_EXITED;
        cloudtasks__frame_begin(&s->pool, CLOUDTASKS__MSG_TERM);
        cloudtasks__put_u32(&s->pool.out, (uint32_t)p->number);
        cloudtasks__frame_end(&s->pool);
    }
    if (p->ch.closed && !p->busy && (p->retiring || s->intake_over))
        cloudtasks__sup_release(p);   /* it exited as expected; the pool's EXITED for it finds no entry */
}

CLOUDTASKS__PRIVATE cloudtasks__worker_proc *cloudtasks__sup_proc(cloudtasks__supervisor *s, int pid) {
    size_t i;
    for (i = 0; i < s->nprocs; i++) if (s->procs[i].pid == pid) return &s->procs[i];
    return NULL;
}

/* The pool's news: a new task process (with its socket), or one that exited. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_pool_frames(cloudtasks__supervisor *s, int *fds, size_t nfd) {
    int type;
    cloudtasks__reader r;
    size_t next_fd = 0;
    while (cloudtasks__channel_next(&s->pool, &type, &r)) {
        int pid = (int)cloudtasks__get_u32(&r), value = (int)cloudtasks__get_u32(&r);
        cloudtasks__worker_proc *p;
        if (type == CLOUDTASKS__MSG_PROCESS) {
            size_t i;
            int fd = next_fd < nfd ? fds[next_fd++] : -1;
            if (fd < 0) { cloudtasks__log(CLOUDTASKS__ERROR, "a task process arrived without its socket"); continue; }
            if (s->intake_over) { close(fd); continue; }   /* not needed: closing its socket lets it exit */
            for (i = 0; i < s->nprocs && s->procs[i].pid; i++) {}
            if (i == s->nprocs) {
                cloudtasks__worker_proc *grown = (cloudtasks__worker_proc *)CLOUDTASKS_REALLOC(s->procs, (s->nprocs * 2 + 4) * sizeof *grown);
                size_t k;
                if (!grown) { close(fd); continue; }
                s->procs = grown;
                for (k = s->nprocs; k < s->nprocs * 2 + 4; k++) { memset(&grown[k], 0, sizeof grown[k]); grown[k].ch.fd = -1; }
                s->nprocs = s->nprocs * 2 + 4;
            }
            p = &s->procs[i];
            memset(p, 0, sizeof *p);
            p->pid = pid;
            p->number = value;
            p->ready = !s->desc->process_init;
            cloudtasks__channel_init(&p->ch, fd);
            cloudtasks__set_nonblocking(fd);
            fcntl(fd, F_SETFD, FD_CLOEXEC);
        } else if (type == CLOUDTASKS__MSG_EXITED && (p = cloudtasks__sup_proc(s, pid)) != NULL) {
            int was_busy;
            cloudtasks__sup_results(s, p);   /* a result written just before the exit */
            if (!p->pid) continue;           /* that result was its last: the entry is already released */
            was_busy = p->busy;
            if (p->busy)
                cloudtasks__sup_finished(s, p, p->stop_reason ? p->stop_reason : CLOUDTASKS__OUT_EXITED, value, "", 0);
            else if (!p->retiring && !s->intake_over)
                cloudtasks__log(value == CLOUDTASKS__INIT_FAILED ? CLOUDTASKS__ERROR : CLOUDTASKS__WARNING,
                                "Task process #%d (PID %d) exited with status %d while idle%s; it is replaced", p->number, pid, value,
                                value == CLOUDTASKS__INIT_FAILED ? " (process_init failed)" : "");
            if (!was_busy && p->tasks == 0 && !p->retiring && !s->intake_over) s->init_failures++;   /* died idle, before any task */
            cloudtasks__sup_release(p);
        }
    }
    while (next_fd < nfd) close(fds[next_fd++]);
}

/* Reads the pool's socket, collecting the descriptors that come with PROCESS frames. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_read_pool(cloudtasks__supervisor *s) {
    int fds[64];
    size_t nfd = 0;
    for (;;) {
        struct msghdr msg;
        struct iovec iov;
        union { struct cmsghdr align; char space[CMSG_SPACE(sizeof(int) * 16)]; } control;
        struct cmsghdr *c;
        ssize_t n;
        if (s->pool.in_pos > 0 && s->pool.in_pos == s->pool.in.len) s->pool.in.len = s->pool.in_pos = 0;
        if (!cloudtasks__buf_reserve(&s->pool.in, 4096)) { s->pool.closed = 1; break; }
        memset(&msg, 0, sizeof msg);
        iov.iov_base = s->pool.in.data + s->pool.in.len;
        iov.iov_len = s->pool.in.cap - s->pool.in.len - 1;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.space;
        msg.msg_controllen = sizeof control.space;
        n = recvmsg(s->pool.fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) { s->pool.closed = 1; break; }
        if (msg.msg_flags & MSG_CTRUNC)
            cloudtasks__log(CLOUDTASKS__ERROR, "cannot receive a task process's socket: too many open files (RLIMIT_NOFILE?)");
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                size_t k, count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (k = 0; k < count; k++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
                    if (nfd < sizeof fds / sizeof fds[0]) fds[nfd++] = fd;
                    else close(fd);
                }
            }
        s->pool.in.len += (size_t)n;
        if (nfd >= sizeof fds / sizeof fds[0] - 16) break;   /* hand these over before reading more */
    }
    cloudtasks__sup_pool_frames(s, fds, nfd);
}

CLOUDTASKS__PRIVATE void cloudtasks__sup_results(cloudtasks__supervisor *s, cloudtasks__worker_proc *p);

/* Asks the pool to stop a task process. A result that already arrived wins: it is read first, so a
   task that finished is never reported as stopped. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_term(cloudtasks__supervisor *s, cloudtasks__worker_proc *p, int reason) {
    if (p->stop_reason || !p->pid) return;
    if (p->busy && !p->ch.closed) {
        cloudtasks__sup_results(s, p);
        if (!p->pid || !p->busy) return;
    }
    p->stop_reason = reason;
    cloudtasks__frame_begin(&s->pool, CLOUDTASKS__MSG_TERM);
    cloudtasks__put_u32(&s->pool.out, (uint32_t)p->number);
    cloudtasks__frame_end(&s->pool);
}

CLOUDTASKS__PRIVATE void cloudtasks__sup_kill_all(cloudtasks__supervisor *s) {
    size_t i;
    s->killed = 1;
    for (i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid && s->procs[i].busy) cloudtasks__sup_term(s, &s->procs[i], CLOUDTASKS__OUT_KILLED);
}

CLOUDTASKS__PRIVATE void cloudtasks__sup_signal(cloudtasks__supervisor *s) {
    char sigs[16];
    ssize_t n = read(s->signal_pipe[0], sigs, sizeof sigs), i;
    for (i = 0; i < n; i++) {
        const char *name = sigs[i] == SIGINT ? "SIGINT" : "SIGTERM";
        if (!s->shutdown) {
            s->shutdown = 1;
            s->grace_deadline = cloudtasks__now() + s->cfg->shutdown_grace;
            cloudtasks__log(CLOUDTASKS__WARNING, "Received signal %s, initiating graceful shutdown", name);
            if (s->active)
                cloudtasks__log(CLOUDTASKS__INFO, "Shutdown requested, waiting up to %g seconds for %zu running tasks",
                                s->cfg->shutdown_grace, s->active);
        } else if (!s->immediate) {
            s->immediate = 1;
            s->exit_code = 128 + sigs[i];
            cloudtasks__log(CLOUDTASKS__WARNING, "Received a second signal (%s); stopping every task now", name);
            cloudtasks__sup_kill_all(s);
        }
    }
}

/* Timers: run-time limits, the simulated termination notice and kill, the end of the grace period. */
CLOUDTASKS__PRIVATE double cloudtasks__sup_timers(cloudtasks__supervisor *s) {
    double now = cloudtasks__now(), next = 1.0;
    size_t i;
    for (i = 0; i < s->nprocs; i++) {
        cloudtasks__worker_proc *p = &s->procs[i];
        double left;
        if (!p->pid || !p->busy || p->stop_reason) continue;
        left = p->started + s->cfg->max_runtime - now;
        if (left < 0) {
            cloudtasks__sup_term(s, p, CLOUDTASKS__OUT_TIMED_OUT);   /* unless its result just arrived */
            if (p->pid && p->busy && p->stop_reason == CLOUDTASKS__OUT_TIMED_OUT)
                cloudtasks__log(CLOUDTASKS__WARNING, "Worker #%d (PID %d), task %s exceeded max runtime of %g seconds (actual runtime "
                                "%.1f seconds); terminating", p->number, p->pid, p->task_id ? p->task_id : "", s->cfg->max_runtime,
                                now - p->started);
        } else if (left < next) next = left;
    }
    if (s->termination_at > 0 && !s->shared->termination) {
        if (now >= s->termination_at) {
            s->shared->termination = 1;
            cloudtasks__log(CLOUDTASKS__WARNING, "Instance termination notice received");
            cloudtasks__event_message(&s->events, "spot_termination", NULL);
            if (s->cfg->simulate_delay >= 0) s->kill_at = now + s->cfg->simulate_delay;
        } else if (s->termination_at - now < next) next = s->termination_at - now;
    }
    if (s->kill_at > 0 && !s->killed) {
        if (now >= s->kill_at) {
            cloudtasks__log(CLOUDTASKS__WARNING, "Simulated spot termination delay complete, killing all processes");
            cloudtasks__sup_kill_all(s);
        } else if (s->kill_at - now < next) next = s->kill_at - now;
    }
    if (s->net) {
        double lease_next = cloudtasks__sup_extend_leases(s, now);
        if (lease_next < next) next = lease_next;
    }
    if (s->shutdown && !s->killed && s->active) {
        if (now >= s->grace_deadline) {
            cloudtasks__log(CLOUDTASKS__WARNING, "Shutdown grace period of %g seconds is over; stopping %zu running tasks",
                            s->cfg->shutdown_grace, s->active);
            cloudtasks__sup_kill_all(s);
        } else if (s->grace_deadline - now < next) next = s->grace_deadline - now;
    }
    return next;
}

/* Once no task will start any more, the pool forks no replacements and idle processes may exit. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_check_intake(cloudtasks__supervisor *s) {
    size_t i;
    if (s->intake_over || !(s->source_done || s->limit_reached || s->shutdown || s->shared->termination || s->net_failed)) return;
    s->intake_over = 1;
    cloudtasks__frame_begin(&s->pool, CLOUDTASKS__MSG_STOP);
    cloudtasks__frame_end(&s->pool);
    cloudtasks__channel_flush(&s->pool);   /* the pool reads STOP before it reaps what exits next */
    for (i = 0; i < s->nprocs; i++) {
        cloudtasks__worker_proc *p = &s->procs[i];
        if (p->pid && !p->busy && p->ch.fd >= 0) { close(p->ch.fd); p->ch.fd = -1; p->ch.closed = 1; }
    }
}

CLOUDTASKS__PRIVATE int cloudtasks__sup_done(cloudtasks__supervisor *s) {
    if (s->active) return 0;
    if (s->net_failed) return 1;
    if (s->source_done) { cloudtasks__log(CLOUDTASKS__INFO, "Local task source is empty and all processes complete; exiting"); return 1; }
    if (s->limit_reached) { cloudtasks__log(CLOUDTASKS__INFO, "Maximum number of tasks done; exiting"); return 1; }
    if (s->shared->termination) { cloudtasks__log(CLOUDTASKS__INFO, "Termination event set and all processes complete; exiting"); return 1; }
    if (s->shutdown) { cloudtasks__log(CLOUDTASKS__INFO, "All tasks stopped; shutdown complete"); return 1; }
    if (s->cfg->exit_when_idle >= 0 && s->idle_since > 0 && cloudtasks__now() - s->idle_since >= s->cfg->exit_when_idle) {
        cloudtasks__log(CLOUDTASKS__INFO, "No task for %g seconds (--exit-when-idle); exiting", s->cfg->exit_when_idle);
        return 1;
    }
    return 0;
}

CLOUDTASKS__PRIVATE void cloudtasks__sup_log_config(const cloudtasks__config *c) {
    size_t i;
    cloudtasks__log(CLOUDTASKS__INFO, "Configuration:");
    for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++)
        if (c->from_cli[i])
            cloudtasks__log(CLOUDTASKS__INFO, "  %s: %s (%s)", cloudtasks__options[i].flag, c->values[i] ? c->values[i] : "unset",
                            c->from_cli[i] == 1 ? "command line" : "environment");
    cloudtasks__log(CLOUDTASKS__INFO, "  num-simultaneous-tasks: %g, max-runtime: %g s, %s", c->num_simultaneous, c->max_runtime,
                    c->use_new_process ? "a new process per task" : "reusable task processes");
}

/* "  612/1000 tasks  2 running  0 failed  815.3 tasks/s  ETA 0:00:01", redrawn in place on a terminal. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_progress(cloudtasks__supervisor *s, int final) {
    char line[160], eta[32] = "";
    long done = s->not_retried + s->retried + s->timed_out + s->exited + s->bad_records + s->skipped;
    double now = cloudtasks__now(), rate;
    if (s->total < 0 || (!final && now - s->progress_at < 0.25)) return;
    s->progress_at = now;
    rate = now > s->start ? (double)done / (now - s->start) : 0;
    if (rate > 0 && s->total >= done) {
        long left = (long)((double)(s->total - done) / rate + 0.5);
        snprintf(eta, sizeof eta, "  ETA %ld:%02ld:%02ld", left / 3600, left / 60 % 60, left % 60);
    }
    snprintf(line, sizeof line, "\r\033[K  %ld/%ld tasks  %zu running  %ld failed  %.1f tasks/s%s%s", done, s->total, s->active,
             s->failed + s->timed_out + s->exited, rate, final ? "" : eta, final ? "\n" : "");
    cloudtasks__progress_shown = !final;
    if (write(2, line, strlen(line)) < 0) {}
}

/* Runs the supervisor's loop; returns the exit code. */
CLOUDTASKS__PRIVATE int cloudtasks__supervise(cloudtasks__supervisor *s) {
    for (;;) {
        double wait;
        size_t n = 0, i;
        cloudtasks__sup_feed(s);
        cloudtasks__sup_check_intake(s);
        cloudtasks__sup_progress(s, 0);
        if (cloudtasks__sup_done(s)) break;
        if (s->init_failures >= 10 && !s->active && !cloudtasks__sup_idle(s)) {
            const char *why = "10 task processes in a row died before their first task (process_init failed or crashed); "
                              "no task can run";
            cloudtasks__log(CLOUDTASKS__ERROR, "%s", why);
            cloudtasks__event_message(&s->events, "fatal_exception", why);
            cloudtasks__events_flush(&s->events);
            return 1;
        }
        wait = cloudtasks__sup_timers(s);
        if (s->total >= 0 && wait > 0.25) wait = 0.25;
        s->idle_since = 0;
        if (s->net && !s->active && !s->inbox_len) {
            /* idle only once a poll came back empty after the last activity: a poll still
               waiting may be holding messages (some servers answer only at the end of the wait) */
            double empty_at;
            pthread_mutex_lock(&s->net->lock);
            empty_at = s->net->empty_at;
            pthread_mutex_unlock(&s->net->lock);
            if (empty_at > s->last_activity) s->idle_since = s->last_activity;
            else if (s->cfg->exit_when_idle >= 0 && wait > 1.0) wait = 1.0;   /* look again soon */
        }
        if (s->cfg->exit_when_idle >= 0 && !s->active && s->idle_since > 0) {
            double idle_left = s->idle_since + s->cfg->exit_when_idle - cloudtasks__now();
            if (idle_left < wait) wait = idle_left;
        }
        cloudtasks__channel_flush(&s->pool);
        if (s->fds_cap < s->nprocs + 3) {
            struct pollfd *f = (struct pollfd *)CLOUDTASKS_REALLOC(s->fds, (s->nprocs + 3) * sizeof *f);
            if (!f) { cloudtasks__log(CLOUDTASKS__ERROR, "out of memory"); return 1; }
            s->fds = f;
            s->fds_cap = s->nprocs + 3;
        }
        s->fds[n].fd = s->pool.closed ? -1 : s->pool.fd;
        s->fds[n++].events = (short)(POLLIN | (s->pool.out.len > s->pool.out_pos ? POLLOUT : 0));
        s->fds[n].fd = s->signal_pipe[0];
        s->fds[n++].events = POLLIN;
        for (i = 0; i < s->nprocs; i++, n++) {
            cloudtasks__worker_proc *p = &s->procs[i];
            s->fds[n].fd = p->pid && !p->ch.closed ? p->ch.fd : -1;
            s->fds[n].events = (short)(POLLIN | (p->ch.out.len > p->ch.out_pos ? POLLOUT : 0));
        }
        if (s->net) { s->fds[n].fd = s->net->wake[0]; s->fds[n++].events = POLLIN; }
        for (i = 0; i < n; i++) s->fds[i].revents = 0;
        cloudtasks__sup_flush(s);
        if (poll(s->fds, (nfds_t)n, wait <= 0 ? 0 : (int)(wait * 1000) + 1) < 0 && errno != EINTR) {
            cloudtasks__log(CLOUDTASKS__ERROR, "poll failed; stopping");
            return 1;
        }
        for (i = 0; i + 2 < n && i < s->nprocs; i++) {   /* results first: a finished task is never stopped */
            cloudtasks__worker_proc *p = &s->procs[i];
            short ev = s->fds[i + 2].revents;
            if (!p->pid || !ev) continue;
            if (ev & POLLOUT) cloudtasks__channel_flush(&p->ch);
            if (ev & (POLLIN | POLLHUP | POLLERR)) cloudtasks__sup_results(s, p);
        }
        if (s->fds[1].revents) cloudtasks__sup_signal(s);
        if (s->net && s->fds[s->nprocs + 2].revents) cloudtasks__sup_net_news(s);
        if (s->fds[0].revents & (POLLIN | POLLHUP | POLLERR)) cloudtasks__sup_read_pool(s);
        if (s->fds[0].revents & POLLOUT) cloudtasks__channel_flush(&s->pool);
        if (s->pool.closed && (!s->intake_over || s->active > 0)) {
            /* after STOP the pool exits once its children are gone; before that, or with a task
               still running, its end is a death */
            const char *why = "the process pool died; every running task is lost to this worker and released";
            cloudtasks__log(CLOUDTASKS__ERROR, "%s", why);
            cloudtasks__event_message(&s->events, "fatal_exception", why);
            cloudtasks__events_flush(&s->events);
            return 1;
        }
    }
    return s->exit_code;
}

/* Closes every task process's socket (an idle one exits at end of stream), tells the pool to
   stop, and waits for it, which waits for its children. */
CLOUDTASKS__PRIVATE void cloudtasks__sup_stop_pool(cloudtasks__supervisor *s) {
    double deadline = cloudtasks__now() + 10.0;
    int status;
    size_t i;
    s->shutdown = 1;   /* processes exiting from here on are expected to */
    for (i = 0; i < s->nprocs; i++) {
        cloudtasks__worker_proc *p = &s->procs[i];
        if (!p->pid) continue;
        if (p->busy) cloudtasks__sup_term(s, p, CLOUDTASKS__OUT_KILLED);
        cloudtasks__sup_release(p);
    }
    if (!s->intake_over) {
        cloudtasks__frame_begin(&s->pool, CLOUDTASKS__MSG_STOP);
        cloudtasks__frame_end(&s->pool);
        s->intake_over = 1;
    }
    cloudtasks__channel_flush(&s->pool);
    while (waitpid(s->pool_pid, &status, WNOHANG) == 0) {
        if (cloudtasks__now() > deadline) { kill(s->pool_pid, SIGKILL); waitpid(s->pool_pid, &status, 0); break; }
        cloudtasks__sup_read_pool(s);   /* keeps the pool's sends flowing; closes any late sockets */
        poll(NULL, 0, 5);
    }
}

/* ---- the worker on a cloud queue: set-up and tear-down ---- */

typedef struct cloudtasks__cloud {
    cloudtasks__aws aws;
    cloudtasks__sqs sqs;
    cloudtasks__gcp gcp;
    cloudtasks__pubsub pubsub;
    cloudtasks__net net;
    int curl_ready, aws_ready, gcp_ready, net_ready;
} cloudtasks__cloud;

/* What opening a provider's queues came to: which start-up message the failure gets. */
enum { CLOUDTASKS__OPENED, CLOUDTASKS__TASK_QUEUE_FAILED, CLOUDTASKS__EVENT_QUEUE_FAILED };

/* AWS: credentials, then the event queue and the task queue (created when missing). */
CLOUDTASKS__PRIVATE int cloudtasks__cloud_open_sqs(cloudtasks__supervisor *s, cloudtasks__cloud *c, cloudtasks__http *h, cloudtasks_error *err) {
    const cloudtasks__config *cfg = s->cfg;
    int rc = cloudtasks__aws_init(&c->aws, h, err);
    c->aws_ready = 1;
    c->sqs.aws = &c->aws;
    snprintf(c->sqs.name, sizeof c->sqs.name, "%s", cfg->queue_name);
    snprintf(c->sqs.events_name, sizeof c->sqs.events_name, "%s-events", cfg->queue_name);
    if (rc == CLOUDTASKS_OK) {
        pthread_mutex_lock(&c->aws.lock);
        rc = cloudtasks__aws_fetch(&c->aws, h, err);   /* credential problems show here, once, clearly */
        pthread_mutex_unlock(&c->aws.lock);
    }
    if (rc == CLOUDTASKS_OK && cfg->event_log_to_queue &&
        (rc = cloudtasks__sqs_queue_url(&c->sqs, h, c->sqs.events_name, c->sqs.events_url, sizeof c->sqs.events_url, err)) != CLOUDTASKS_OK)
        return CLOUDTASKS__EVENT_QUEUE_FAILED;
    if (rc == CLOUDTASKS_OK) rc = cloudtasks__sqs_queue_url(&c->sqs, h, c->sqs.name, c->sqs.url, sizeof c->sqs.url, err);
    if (rc != CLOUDTASKS_OK) return CLOUDTASKS__TASK_QUEUE_FAILED;
    c->net.ops = &cloudtasks__sqs_ops;
    c->net.queue = &c->sqs;
    c->net.watch_spot = cfg->is_spot && !c->aws.imds_disabled;
    cloudtasks__log(CLOUDTASKS__INFO, "Receiving tasks from SQS queue %s (region %s)", c->sqs.name, c->aws.region);
    return CLOUDTASKS__OPENED;
}

/* Google Cloud: credentials and project, then the event topic and the task subscription. */
CLOUDTASKS__PRIVATE int cloudtasks__cloud_open_pubsub(cloudtasks__supervisor *s, cloudtasks__cloud *c, cloudtasks__http *h, cloudtasks_error *err) {
    const cloudtasks__config *cfg = s->cfg;
    cloudtasks__pubsub *q = &c->pubsub;
    int rc = cloudtasks__gcp_init(&c->gcp, h, cfg->project_id, err);
    const char *p = c->gcp.project;
    c->gcp_ready = 1;
    q->gcp = &c->gcp;
    q->exactly_once = cfg->exactly_once;
    q->quick = cfg->exit_when_idle >= 0;
    if (rc != CLOUDTASKS_OK) return CLOUDTASKS__TASK_QUEUE_FAILED;
    snprintf(q->topic, sizeof q->topic, "projects/%s/topics/%s-topic", p, cfg->queue_name);
    snprintf(q->subscription, sizeof q->subscription, "projects/%s/subscriptions/%s-subscription", p, cfg->queue_name);
    snprintf(q->events_topic, sizeof q->events_topic, "projects/%s/topics/%s-events-topic", p, cfg->queue_name);
    snprintf(q->events_subscription, sizeof q->events_subscription, "projects/%s/subscriptions/%s-events-subscription", p, cfg->queue_name);
    if (cfg->event_log_to_queue && cloudtasks__pubsub_open_pair(q, h, q->events_topic, q->events_subscription, NULL, err) != CLOUDTASKS_OK)
        return CLOUDTASKS__EVENT_QUEUE_FAILED;
    if (cloudtasks__pubsub_open_pair(q, h, q->topic, q->subscription, &q->ack_deadline, err) != CLOUDTASKS_OK)
        return CLOUDTASKS__TASK_QUEUE_FAILED;
    c->net.ops = &cloudtasks__pubsub_ops;
    c->net.queue = q;
    c->net.watch_spot = cfg->is_spot;
    cloudtasks__log(CLOUDTASKS__INFO, "Receiving tasks from Pub/Sub subscription %s (ack deadline %d s)", q->subscription, q->ack_deadline);
    return CLOUDTASKS__OPENED;
}

/* Finds (or creates) the queues and starts the network threads. Runs after the pool was forked,
   so libcurl is initialised only here. Returns 0, or 1 with the reason logged. */
CLOUDTASKS__PRIVATE int cloudtasks__cloud_start(cloudtasks__supervisor *s, cloudtasks__cloud *c) {
    const cloudtasks__config *cfg = s->cfg;
    cloudtasks__net *n = &c->net;
    cloudtasks__http h;
    cloudtasks_error err;
    int rc, gcp = strcmp(cfg->provider, "GCP") == 0;
    memset(&h, 0, sizeof h);
    memset(n, 0, sizeof *n);
    n->wake[0] = n->wake[1] = -1;
    cloudtasks__error_clear(&err);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) { cloudtasks__log(CLOUDTASKS__ERROR, "Error initializing task queue: libcurl failed to start"); return 1; }
    c->curl_ready = 1;
    rc = gcp ? cloudtasks__cloud_open_pubsub(s, c, &h, &err) : cloudtasks__cloud_open_sqs(s, c, &h, &err);
    cloudtasks__http_close(&h);
    if (rc == CLOUDTASKS__EVENT_QUEUE_FAILED) { cloudtasks__log(CLOUDTASKS__ERROR, "Error initializing event log queue: %s", err.message); return 1; }
    if (rc != CLOUDTASKS__OPENED) {
        cloudtasks__log(CLOUDTASKS__ERROR, "Error initializing task queue: %s", err.message);
        cloudtasks__event_message(&s->events, "fatal_exception", err.message);
        cloudtasks__events_flush(&s->events);
        return 1;
    }
    n->lease = cfg->visibility_timeout >= n->ops->max_lease ? n->ops->max_lease : (int)(cfg->visibility_timeout + 0.999);
    n->receive_lease = gcp ? (c->pubsub.ack_deadline > 0 ? c->pubsub.ack_deadline : 10) : n->lease;
    /* with --exit-when-idle, a poll no longer than the idle time, so the last one ends with the run */
    n->wait = cfg->exit_when_idle >= 0 ? (cfg->exit_when_idle < 1 ? 1 : cfg->exit_when_idle > 20 ? 20 : (int)(cfg->exit_when_idle + 0.999)) : 20;
    n->receivers = (int)cfg->receive_threads;
    n->send_events = cfg->event_log_to_queue;
    n->keepalive = cfg->keepalive_interval > 0 ? cfg->keepalive_interval : 0;
    n->hostname = s->events.hostname;
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->receive_cond, NULL);
    pthread_cond_init(&n->settle_cond, NULL);
    pthread_cond_init(&n->report_cond, NULL);
    pthread_cond_init(&n->monitor_cond, NULL);
    c->net_ready = 1;
    if (pipe(n->wake) < 0) { n->wake[0] = n->wake[1] = -1; cloudtasks__log(CLOUDTASKS__ERROR, "cannot create a pipe"); return 1; }
    for (rc = 0; rc < 2; rc++) { fcntl(n->wake[rc], F_SETFD, FD_CLOEXEC); cloudtasks__set_nonblocking(n->wake[rc]); }
    s->net = n;
    if (cfg->event_log_to_queue) { s->events.to_queue = cloudtasks__sup_event_to_queue; s->events.queue_ctx = n; }
    if (!cloudtasks__net_start(n)) { cloudtasks__log(CLOUDTASKS__ERROR, "cannot start the network threads"); return 1; }
    return 0;
}

/* Gives back every message the worker holds and will not finish, lets the last events and
   acknowledgements go out, and stops the threads. */
CLOUDTASKS__PRIVATE void cloudtasks__cloud_stop(cloudtasks__supervisor *s, cloudtasks__cloud *c) {
    size_t i;
    if (s->net) {
        cloudtasks__net_stop_receiving(s->net, s->shutdown || s->net_failed || s->shared->termination || s->limit_reached);
        cloudtasks__sup_take_inbox(s);
        cloudtasks__sup_release_inbox(s, "stopping");
        for (i = 0; i < s->nprocs; i++)
            if (s->procs[i].handle) {
                cloudtasks__sup_settle(s, s->procs[i].handle, 0, s->procs[i].task_id);
                s->procs[i].handle = NULL;
            }
        cloudtasks__sup_flush(s);
        s->events.to_queue = NULL;
        cloudtasks__net_finish(s->net, s->signal_pipe[0]);
        cloudtasks__sup_net_news(s);   /* failures of the last acknowledgements become events too */
        cloudtasks__events_flush(&s->events);
        if (s->net->events_lost) cloudtasks__log(CLOUDTASKS__ERROR, "%ld events did not reach the event queue", s->net->events_lost);
        cloudtasks__log(CLOUDTASKS__INFO, "Queue requests: %ld", s->net->requests);
    }
    if (c->net_ready) cloudtasks__net_free(&c->net);
    s->net = NULL;
    CLOUDTASKS_FREE(s->inbox);
    CLOUDTASKS_FREE(s->todo);
    s->inbox = NULL;
    s->todo = NULL;
    s->inbox_len = s->inbox_cap = s->todo_len = s->todo_cap = 0;
    if (c->aws_ready) cloudtasks__aws_free(&c->aws);
    if (c->gcp_ready) cloudtasks__gcp_free(&c->gcp);
    if (c->curl_ready) curl_global_cleanup();
    c->net_ready = c->aws_ready = c->gcp_ready = c->curl_ready = 0;   /* a second call does nothing */
}

/* Everything after the configuration: the processes, the loop, the clean-up. Returns the exit code. */
CLOUDTASKS__PRIVATE int cloudtasks__worker_start(const cloudtasks__config *cfg, const cloudtasks_worker_desc *desc) {
    cloudtasks__supervisor s;
    cloudtasks__buf why = {0};
    cloudtasks__pool pool;
    cloudtasks__cloud cloud;
    struct sigaction sa, old_int, old_term, old_pipe;
    sigset_t old_mask;
    int sv[2];
    size_t i;
    if (cfg->verbose) cloudtasks__log_level = CLOUDTASKS__DEBUG;
    cloudtasks__sup_log_config(cfg);
    memset(&cloud, 0, sizeof cloud);
    if (!cfg->task_file && !(cfg->provider && (strcmp(cfg->provider, "AWS") == 0 || strcmp(cfg->provider, "GCP") == 0))) {
        cloudtasks__log(CLOUDTASKS__ERROR, "Error initializing task queue: the %s queue provider is not available in this version "
                        "of cloudtasks.h yet; run from a task file with --task-file", cfg->provider ? cfg->provider : "(none)");
        return 1;
    }
    if (cfg->task_file && cfg->event_log_to_queue) {
        cloudtasks__log(CLOUDTASKS__ERROR, "Error initializing event log queue: with a task file, events go to the event log file; "
                        "use --no-event-log-to-queue");
        return 1;
    }
    if (cfg->simulate_after >= 0 && cfg->simulate_delay < 0)
        cloudtasks__log(CLOUDTASKS__WARNING, "Simulating spot termination after but no delay specified; tasks will never be killed");

    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.desc = desc;
    s.shared = (cloudtasks__shared *)mmap(NULL, sizeof *s.shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s.shared == MAP_FAILED) { cloudtasks__log(CLOUDTASKS__ERROR, "cannot map the shared flags page"); return 1; }
    if (pipe(s.signal_pipe) < 0) {
        cloudtasks__log(CLOUDTASKS__ERROR, "cannot create the signal pipe");
        munmap((void *)s.shared, sizeof *s.shared);
        return 1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        cloudtasks__log(CLOUDTASKS__ERROR, "cannot create the pool socket");
        close(s.signal_pipe[0]);
        close(s.signal_pipe[1]);
        munmap((void *)s.shared, sizeof *s.shared);
        return 1;
    }
    fflush(NULL);   /* nothing buffered is written twice by the children */
    s.pool_pid = fork();
    if (s.pool_pid < 0) {
        cloudtasks__log(CLOUDTASKS__ERROR, "cannot fork the process pool");
        close(sv[0]); close(sv[1]); close(s.signal_pipe[0]); close(s.signal_pipe[1]);
        munmap((void *)s.shared, sizeof *s.shared);
        return 1;
    }
    if (s.pool_pid == 0) {
        close(sv[0]);
        close(s.signal_pipe[0]);
        close(s.signal_pipe[1]);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        memset(&pool, 0, sizeof pool);
        pool.cfg = cfg;
        pool.desc = desc;
        pool.shared = s.shared;
        cloudtasks__channel_init(&pool.sup, sv[1]);
        cloudtasks__pool_main(&pool);
        _exit(0);
    }
    close(sv[1]);
    cloudtasks__channel_init(&s.pool, sv[0]);
    cloudtasks__set_nonblocking(sv[0]);

    /* Signals: the first asks for a graceful stop, a second for an immediate one. The program's
       own dispositions and mask come back when the worker returns. */
    for (i = 0; i < 2; i++) { fcntl(s.signal_pipe[i], F_SETFD, FD_CLOEXEC); cloudtasks__set_nonblocking(s.signal_pipe[i]); }
    cloudtasks__signal_fd = s.signal_pipe[1];
    cloudtasks__signal_shared = s.shared;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cloudtasks__on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe);
    {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_UNBLOCK, &set, &old_mask);
    }

    s.events.fd = -1;
    s.events.path = cfg->event_log_file;
    if (gethostname(s.events.hostname, sizeof s.events.hostname - 1) != 0) cloudtasks__copy(s.events.hostname, sizeof s.events.hostname, "unknown");
    s.exit_code = 0;
    if (cfg->event_log_to_file) {
        s.events.fd = open(cfg->event_log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (s.events.fd < 0) {
            char e[128];
            cloudtasks__log(CLOUDTASKS__ERROR, "Error opening event log file: %s: %s", cfg->event_log_file, cloudtasks__errno_text(errno, e, sizeof e));
            s.exit_code = 1;
        }
    }
    if (s.exit_code == 0 && !cfg->task_file) s.exit_code = cloudtasks__cloud_start(&s, &cloud);
    else if (s.exit_code == 0 && !cloudtasks__taskfile_open(&s.source, cfg->task_file, &why)) {
        cloudtasks__log(CLOUDTASKS__ERROR, "Error initializing local task queue: %s", why.data ? why.data : "out of memory");
        cloudtasks__event_message(&s.events, "fatal_exception", why.data ? why.data : "out of memory");
        cloudtasks__events_flush(&s.events);
        s.exit_code = 1;
    }
    cloudtasks__buf_free(&why);
    s.capacity = (size_t)cfg->num_simultaneous;
    if (s.exit_code == 0) {
        s.start = cloudtasks__now();
        s.to_skip = cfg->tasks_to_skip > 0 ? (long)cfg->tasks_to_skip : 0;
        s.total = isatty(2) && cfg->task_file ? cloudtasks__taskfile_count(cfg->task_file) : -1;
        s.last_activity = s.start;
        if (cfg->simulate_after >= 0) s.termination_at = s.start + cfg->simulate_after;
        s.exit_code = cloudtasks__supervise(&s);
        cloudtasks__sup_progress(&s, 1);
    }
    if (s.net) cloudtasks__cloud_stop(&s, &cloud);
    cloudtasks__sup_stop_pool(&s);
    cloudtasks__events_flush(&s.events);
    if (!s.net) cloudtasks__cloud_stop(&s, &cloud);
    cloudtasks__log(CLOUDTASKS__INFO, "Task scheduler shutdown complete. Not retried: %ld, Retried: %ld, Timed out: %ld, Exited: %ld, "
                    "Memory exceeded: %ld, Total: %ld", s.not_retried, s.retried, s.timed_out, s.exited, s.memory_exceeded,
                    s.not_retried + s.retried);
    CLOUDTASKS_FREE(s.procs);
    CLOUDTASKS_FREE(s.fds);
    cloudtasks__taskfile_close(&s.source);
    cloudtasks__channel_free(&s.pool);
    cloudtasks__buf_free(&s.events.line);
    if (s.events.fd >= 0) close(s.events.fd);
    sigaction(SIGINT, &old_int, NULL);     /* first, so no signal falls between handler and default */
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    cloudtasks__signal_fd = -1;
    cloudtasks__signal_shared = NULL;
    close(s.signal_pipe[0]);
    close(s.signal_pipe[1]);
    munmap((void *)s.shared, sizeof *s.shared);
    return s.exit_code;
}

CLOUDTASKS__DEF int cloudtasks_worker_run(int argc, char **argv, const cloudtasks_worker_desc *desc) {
    cloudtasks__config cfg;
    cloudtasks__buf why = {0};
    int rc;
    if (!desc || !desc->task) { cloudtasks__log(CLOUDTASKS__ERROR, "cloudtasks_worker_run: no task function given"); return 1; }
    rc = cloudtasks__config_load(&cfg, argc, argv, &why);
    if (rc == CLOUDTASKS__CONFIG_EXIT_ERROR) cloudtasks__log(CLOUDTASKS__ERROR, "%s", why.data ? why.data : "out of memory");
    cloudtasks__buf_free(&why);
    rc = rc == CLOUDTASKS__CONFIG_RUN ? cloudtasks__worker_start(&cfg, desc) : rc == CLOUDTASKS__CONFIG_EXIT_OK ? 0 : 1;
    cloudtasks__config_free(&cfg);
    return rc;
}

CLOUDTASKS__DEF int cloudtasks_worker_main(int argc, char **argv, cloudtasks_task_fn fn, void *user) {
    cloudtasks_worker_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.task = fn;
    desc.user = user;
    return cloudtasks_worker_run(argc, argv, &desc);
}


/* The private macros end with the implementation, so a unity build sees none of them. */
#undef CLOUDTASKS__AT
#undef CLOUDTASKS__DEF
#undef CLOUDTASKS__EXACT
#undef CLOUDTASKS__HAS_LESS
#undef CLOUDTASKS__HAS_ZERO
#undef CLOUDTASKS__HIGHS
#undef CLOUDTASKS__INIT_FAILED
#undef CLOUDTASKS__JSON_PLAIN
#undef CLOUDTASKS__MAX_FRAME
#undef CLOUDTASKS__ONES
#undef CLOUDTASKS__PRINTF
#undef CLOUDTASKS__PRIVATE
#undef CLOUDTASKS__SWAR
#undef CLOUDTASKS__TERM_GRACE
#undef CLOUDTASKS__TOOK_SLOTS

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

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
typedef int (*cloudtasks_task_fn)(const cloudtasks_task *task, cloudtasks_worker *worker,
                                  cloudtasks_result *result, void *user);

CLOUDTASKS_API void cloudtasks_result_string(cloudtasks_result *r, const char *text);         /* result is a JSON string */
CLOUDTASKS_API int  cloudtasks_result_json(cloudtasks_result *r, const char *json, size_t len); /* result is this JSON value; <0 if invalid */
CLOUDTASKS_API int  cloudtasks_termination_notice(const cloudtasks_worker *w); /* 1 once a spot/preemption notice arrived */
CLOUDTASKS_API int  cloudtasks_shutdown_requested(const cloudtasks_worker *w); /* 1 once SIGINT/SIGTERM arrived */

/* Parses argv + environment, runs until the work is done or shutdown; returns the process exit code. */
CLOUDTASKS_API int cloudtasks_worker_main(int argc, char **argv, cloudtasks_task_fn fn, void *user);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDTASKS_H */

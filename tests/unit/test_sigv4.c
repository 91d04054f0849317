/* Tests of AWS Signature Version 4 in cloudtasks.h: cloudtasks_sigv4_authorization() and its
   private pieces (canonical URI, canonical query string, canonical headers).

   ./test_sigv4                  the unit tests, then botocore's vectors: the generator
                                 tests/unit/sigv4_vectors.py is run with python3 (from the
                                 repository root, as tests/run.sh does); skipped when python3 or
                                 botocore is missing
   ./test_sigv4 --vectors FILE   the same, with the vectors read from FILE (the generator's output)

   Known answers: the AWS SigV4 test suite (aws-sig-v4-test-suite: credentials AKIDEXAMPLE /
   wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z, us-east-1, service "service"), and an
   SQS JSON ReceiveMessage signed by botocore 1.29 and 1.43 (see wire-formats §3.1). Paths are given
   as sent on the wire, so every service but S3 encodes them a second time (what botocore, and AWS,
   do); with normalize_path 0 (S3) the path is signed as sent, which is the suite's single encoding. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include "testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_SCOPE "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

/* ---------------------------------------------------------------------------------------------
   helpers */

/* The canonical request as cloudtasks_sigv4_authorization() builds it, from the same private
   pieces (for diagnostics: printed next to botocore's when a vector fails). */
static void our_canonical_request(const cloudtasks_sigv4_request *req, cloudtasks__buf *canon) {
    cloudtasks__buf headers = {0}, signed_list = {0};
    const char *date = NULL, *payload_hash = NULL, *q;
    size_t date_len = 0, path_len;
    unsigned char hash[32];
    char hex[65];
    if (cloudtasks__sigv4_headers(req, &headers, &signed_list, &date, &date_len, &payload_hash) != CLOUDTASKS_OK) {
        cloudtasks__buf_puts(canon, "(headers failed)");
        return;
    }
    q = strchr(req->path_and_query, '?');
    path_len = q ? (size_t)(q - req->path_and_query) : strlen(req->path_and_query);
    cloudtasks__buf_puts(canon, req->method);
    cloudtasks__buf_putc(canon, '\n');
    cloudtasks__sigv4_uri(canon, req->path_and_query, path_len, req->normalize_path);
    cloudtasks__buf_putc(canon, '\n');
    cloudtasks__sigv4_query(canon, q ? q + 1 : "", q ? strlen(q + 1) : 0);
    cloudtasks__buf_putc(canon, '\n');
    cloudtasks__buf_append(canon, headers.data, headers.len);
    cloudtasks__buf_putc(canon, '\n');
    cloudtasks__buf_append(canon, signed_list.data, signed_list.len);
    cloudtasks__buf_putc(canon, '\n');
    if (payload_hash) cloudtasks__buf_puts(canon, payload_hash);
    else {
        cloudtasks__sha256(req->body ? req->body : "", req->body_len, hash);
        cloudtasks__hex(hex, hash, 32);
        cloudtasks__buf_puts(canon, hex);
    }
    cloudtasks__buf_free(&headers);
    cloudtasks__buf_free(&signed_list);
}

/* Prints a multi-line text as TAP comments, each line prefixed. */
static void print_block(const char *title, const char *s, size_t len) {
    size_t i = 0;
    printf("#     %s:\n", title);
    while (i <= len) {
        size_t j = i;
        while (j < len && s[j] != '\n') j++;
        printf("#       |%s\n", show(s + i, j - i));
        i = j + 1;
    }
}

/* A request with the suite's credentials, date and scope; headers as given. */
static cloudtasks_sigv4_request suite_request(const char *method, const char *path, const cloudtasks_header *h, size_t n,
                                              const char *body) {
    cloudtasks_sigv4_request r;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path_and_query = path;
    r.headers = h;
    r.header_count = n;
    r.body = body;
    r.body_len = body ? strlen(body) : 0;
    r.region = "us-east-1";
    r.service = "service";
    r.access_key_id = AKID;
    r.secret_access_key = SECRET;
    r.normalize_path = 1;
    return r;
}

/* Signs req and compares the whole Authorization header with want. */
static void auth_is(int line, const char *name, const cloudtasks_sigv4_request *req, const char *want) {
    char out[1024];
    int n = cloudtasks_sigv4_authorization(req, out, sizeof out);
    if (n < 0 || strcmp(out, want) != 0 || (size_t)n != strlen(want)) {
        cloudtasks__buf canon = {0};
        printf("#   %s:%d: %s:\n#     got  %s (%d)\n#     want %s\n", __FILE__, line, name, n < 0 ? cloudtasks_code_string(n) : out, n,
               want);
        our_canonical_request(req, &canon);
        print_block("our canonical request", canon.data ? canon.data : "", canon.len);
        cloudtasks__buf_free(&canon);
        t_failures_in_test++;
    }
}

#define SUITE_AUTH(signed, sig) "AWS4-HMAC-SHA256 Credential=" SUITE_SCOPE ", SignedHeaders=" signed ", Signature=" sig

/* ---------------------------------------------------------------------------------------------
   known answers */

static void test_suite_vectors(void) {
    static const cloudtasks_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    static const struct { const char *name, *method, *path, *sig; } plain[] = {
        {"get-vanilla", "GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1",
         "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        {"get-vanilla-empty-query-key", "GET", "/?Param1=value1", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
        {"get-vanilla-query-unreserved", "GET",
         "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
         "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        {"get-slash", "GET", "//", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-slash-dot-slash", "GET", "/./", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-slashes", "GET", "//example//", "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
        {"get-slash-pointless-dot", "GET", "/./example", "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
        {"get-relative", "GET", "/example/..", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"get-relative-relative", "GET", "/example1/example2/../..", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"post-vanilla", "POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        {"post-vanilla-query", "POST", "/?Param1=value1", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
        /* a wire path is encoded a second time for every service but S3 (botocore's values) */
        {"get-utf8 (wire path, double-encoded)", "GET", "/%E1%88%B4", "697b34846207a3f72246f99d74ae1ee4fe54f44bb06730c58a0d339eb079596d"},
        {"get-space (wire path, double-encoded)", "GET", "/example%20space/", "446b817944c553435b35e813c261ff4e161fff982d1bacdef1c87f6785dd1662"},
    };
    size_t i;
    char want[400];
    for (i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        cloudtasks_sigv4_request r = suite_request(plain[i].method, plain[i].path, h, 2, NULL);
        snprintf(want, sizeof want, SUITE_AUTH("host;x-amz-date", "%s"), plain[i].sig);
        auth_is(__LINE__, plain[i].name, &r, want);
    }
    /* S3 signs the path as sent: the suite's single encoding */
    {
        cloudtasks_sigv4_request r = suite_request("GET", "/%E1%88%B4", h, 2, NULL);
        r.normalize_path = 0;
        auth_is(__LINE__, "get-utf8 (as S3)", &r, SUITE_AUTH("host;x-amz-date", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"));
        r.path_and_query = "/example%20space/";
        auth_is(__LINE__, "get-space (as S3)", &r, SUITE_AUTH("host;x-amz-date", "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"));
    }
    /* header-case: the names in any case sign alike */
    {
        static const cloudtasks_header hc[] = {{"HOST", "example.amazonaws.com"}, {"x-amz-DATE", SUITE_DATE}};
        cloudtasks_sigv4_request r = suite_request("POST", "/", hc, 2, NULL);
        auth_is(__LINE__, "post-header-key-case", &r, SUITE_AUTH("host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
    }
    {
        static const cloudtasks_header hk[] = {{"Host", "example.amazonaws.com"}, {"My-Header1", "value1"}, {"X-Amz-Date", SUITE_DATE}};
        cloudtasks_sigv4_request r = suite_request("POST", "/", hk, 3, NULL);
        auth_is(__LINE__, "post-header-key-sort", &r,
                SUITE_AUTH("host;my-header1;x-amz-date", "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"));
    }
    {
        static const cloudtasks_header hv[] = {{"Host", "example.amazonaws.com"}, {"My-Header1", "VALUE1"}, {"X-Amz-Date", SUITE_DATE}};
        cloudtasks_sigv4_request r = suite_request("POST", "/", hv, 3, NULL);
        auth_is(__LINE__, "post-header-value-case", &r,
                SUITE_AUTH("host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"));
    }
    {
        static const cloudtasks_header hd[] = {{"Host", "example.amazonaws.com"}, {"My-Header1", "value2"}, {"My-Header1", "value2"},
                                               {"My-Header1", "value1"}, {"X-Amz-Date", SUITE_DATE}};
        cloudtasks_sigv4_request r = suite_request("GET", "/", hd, 5, NULL);
        auth_is(__LINE__, "get-header-key-duplicate", &r,
                SUITE_AUTH("host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"));
    }
    {
        static const cloudtasks_header ho[] = {{"Host", "example.amazonaws.com"}, {"My-Header1", "value4"}, {"My-Header1", "value1"},
                                               {"My-Header1", "value3"}, {"X-Amz-Date", SUITE_DATE}};
        cloudtasks_sigv4_request r = suite_request("GET", "/", ho, 5, NULL);
        auth_is(__LINE__, "get-header-value-order", &r,
                SUITE_AUTH("host;my-header1;x-amz-date", "4308aee29786bd01288955ced08fec4107b7a775176774808d7342b80eec106b"));
    }
    {
        static const cloudtasks_header ht[] = {{"Host", "example.amazonaws.com"}, {"My-Header1", " value1"},
                                               {"My-Header2", " \"a   b   c\""}, {"X-Amz-Date", SUITE_DATE}};
        cloudtasks_sigv4_request r = suite_request("GET", "/", ht, 4, NULL);
        auth_is(__LINE__, "get-header-value-trim", &r,
                SUITE_AUTH("host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
    }
    {
        static const cloudtasks_header hf[] = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"},
                                               {"X-Amz-Date", SUITE_DATE}};
        static const cloudtasks_header hp[] = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"},
                                               {"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
        cloudtasks_sigv4_request r = suite_request("POST", "/", hf, 3, "Param1=value1");
        auth_is(__LINE__, "post-x-www-form-urlencoded", &r,
                SUITE_AUTH("content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"));
        r.headers = hp;
        auth_is(__LINE__, "post-x-www-form-urlencoded-parameters", &r,
                SUITE_AUTH("content-type;host;x-amz-date", "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"));
    }
    {
        /* post-sts-header-after: the token is signed as X-Amz-Security-Token */
        cloudtasks_sigv4_request r = suite_request("POST", "/", h, 2, NULL);
        r.session_token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRq"
                          "TflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFv"
                          "lRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rv"
                          "x3iSIlTJabIQwj2ICCR/oLxBA==";
        auth_is(__LINE__, "post-sts-header-after", &r,
                SUITE_AUTH("host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
        {
            /* the caller sending the header itself changes nothing (it is not signed twice) */
            cloudtasks_header ht[3];
            ht[0] = h[0];
            ht[1] = h[1];
            ht[2].name = "x-amz-security-token";
            ht[2].value = r.session_token;
            r.headers = ht;
            r.header_count = 3;
            auth_is(__LINE__, "post-sts-header-before", &r,
                    SUITE_AUTH("host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
            r.session_token = NULL;
            auth_is(__LINE__, "post-sts-header-only", &r,
                    SUITE_AUTH("host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
        }
    }
}

/* An empty session token is no token (botocore: `if credentials.token`), so nothing is signed for
   it: an "X-Amz-Security-Token:" header with no value is one libcurl does not even send. */
static void test_empty_session_token(void) {
    static const cloudtasks_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    cloudtasks_sigv4_request r = suite_request("POST", "/", h, 2, NULL);
    r.session_token = "";
    auth_is(__LINE__, "post-vanilla with an empty token", &r,
            SUITE_AUTH("host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
}

/* An SQS JSON ReceiveMessage, signed by botocore 1.29.27 and 1.43.11 (wire-formats §3.1). */
static void test_sqs_receive(void) {
    static const char body[] = "{\"QueueUrl\":\"http://127.0.0.1:5000/123456789012/jobs\",\"MaxNumberOfMessages\":10}";
    static const cloudtasks_header h[] = {{"Content-Type", "application/x-amz-json-1.0"}, {"Host", "127.0.0.1:5000"},
                                          {"X-Amz-Date", "20240101T000000Z"}, {"X-Amz-Target", "AmazonSQS.ReceiveMessage"}};
    cloudtasks_sigv4_request r;
    memset(&r, 0, sizeof r);
    r.method = "POST";
    r.path_and_query = "/";
    r.headers = h;
    r.header_count = 4;
    r.body = body;
    r.body_len = sizeof body - 1;
    r.region = "us-east-1";
    r.service = "sqs";
    r.access_key_id = AKID;
    r.secret_access_key = SECRET;
    r.normalize_path = 1;
    auth_is(__LINE__, "SQS ReceiveMessage", &r,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            "Signature=1773d19284eace3d03249b1edb33f5e91056e6afcf9c55e91ffd7daa63f59df4");
    /* the header order does not matter */
    {
        static const cloudtasks_header h2[] = {{"x-amz-target", "AmazonSQS.ReceiveMessage"}, {"x-amz-date", "20240101T000000Z"},
                                               {"content-type", "application/x-amz-json-1.0"}, {"host", "127.0.0.1:5000"}};
        r.headers = h2;
        auth_is(__LINE__, "SQS ReceiveMessage, headers reordered", &r,
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/sqs/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                "Signature=1773d19284eace3d03249b1edb33f5e91056e6afcf9c55e91ffd7daa63f59df4");
    }
    /* a payload hash header is signed in place of the body's hash: the real hash signs the same
       request the same way, plus the header itself */
    {
        cloudtasks_header h3[5];
        unsigned char d[32];
        char hex[65];
        char a1[400], a2[400];
        memcpy(h3, h, sizeof h);
        cloudtasks__sha256(body, sizeof body - 1, d);
        cloudtasks__hex(hex, d, 32);
        h3[4].name = "X-Amz-Content-Sha256";
        h3[4].value = hex;
        r.headers = h3;
        r.header_count = 5;
        T_CHECK(cloudtasks_sigv4_authorization(&r, a1, sizeof a1) > 0);
        r.body = "a different body";       /* ignored: the header says what was signed */
        r.body_len = 16;
        T_CHECK(cloudtasks_sigv4_authorization(&r, a2, sizeof a2) > 0);
        T_CHECK_STR(a1, a2);
        T_CHECK(strstr(a1, "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, ") != NULL);
    }
}

/* ---------------------------------------------------------------------------------------------
   the API: sizes and invalid requests */

static void test_size_query(void) {
    static const cloudtasks_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    static const char want[] = SUITE_AUTH("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    cloudtasks_sigv4_request r = suite_request("GET", "/", h, 2, NULL);
    char out[400];
    int n = cloudtasks_sigv4_authorization(&r, NULL, 0);
    T_CHECK_INT(n, (int)sizeof want - 1);
    T_CHECK_INT(cloudtasks_sigv4_authorization(&r, NULL, 12345), (int)sizeof want - 1);
    /* too small, by one and by all: ERANGE, and nothing written past the size given */
    memset(out, '#', sizeof out);
    T_CHECK_INT(cloudtasks_sigv4_authorization(&r, out, (size_t)n), CLOUDTASKS_ERANGE);
    T_CHECK(out[n] == '#' && out[n + 1] == '#');
    T_CHECK_INT(cloudtasks_sigv4_authorization(&r, out, 0), CLOUDTASKS_ERANGE);
    T_CHECK_INT(cloudtasks_sigv4_authorization(&r, out, 1), CLOUDTASKS_ERANGE);
    T_CHECK(out[1] == '#');
    /* exactly the size + 1 */
    memset(out, '#', sizeof out);
    T_CHECK_INT(cloudtasks_sigv4_authorization(&r, out, (size_t)n + 1), n);
    T_CHECK_STR(out, want);
    T_CHECK(out[n + 1] == '#');
    /* bigger is fine too */
    T_CHECK_INT(cloudtasks_sigv4_authorization(&r, out, sizeof out), n);
    T_CHECK_STR(out, want);
}

static void test_invalid(void) {
    static const cloudtasks_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    static const cloudtasks_header nodate[] = {{"Host", "example.amazonaws.com"}, {"Date", "Sun, 30 Aug 2015 12:36:00 GMT"}};
    static const cloudtasks_header baddate[][2] = {
        {{"Host", "h"}, {"X-Amz-Date", "2015-08-30T12:36:00Z"}},
        {{"Host", "h"}, {"X-Amz-Date", "20150830T123600"}},
        {{"Host", "h"}, {"X-Amz-Date", "20150830 123600Z"}},
        {{"Host", "h"}, {"X-Amz-Date", ""}},
        {{"Host", "h"}, {"X-Amz-Date", NULL}},
    };
    cloudtasks_sigv4_request r = suite_request("GET", "/", h, 2, NULL), b;
    char out[400];
    size_t i;
    T_CHECK(cloudtasks_sigv4_authorization(&r, out, sizeof out) > 0);
    T_CHECK_INT(cloudtasks_sigv4_authorization(NULL, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.headers = nodate;
    T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    T_CHECK_INT(cloudtasks_sigv4_authorization(&b, NULL, 0), CLOUDTASKS_EINVAL);
    b = r; b.header_count = 1;       /* only Host */
    T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.header_count = 0; b.headers = NULL;
    T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    for (i = 0; i < sizeof baddate / sizeof baddate[0]; i++) {
        b = r; b.headers = baddate[i];
        if (cloudtasks_sigv4_authorization(&b, out, sizeof out) != CLOUDTASKS_EINVAL) {
            printf("#   X-Amz-Date \"%s\" was accepted\n", baddate[i][1].value ? baddate[i][1].value : "(null)");
            t_failures_in_test++;
        }
    }
    b = r; b.method = NULL;             T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.path_and_query = NULL;     T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.region = NULL;             T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.service = NULL;            T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.access_key_id = NULL;      T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.secret_access_key = NULL;  T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.headers = NULL;            T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    b = r; b.body = NULL; b.body_len = 3; T_CHECK_INT(cloudtasks_sigv4_authorization(&b, out, sizeof out), CLOUDTASKS_EINVAL);
    /* a body of length 0 may be NULL or not, and signs alike */
    {
        char a1[400], a2[400];
        b = r; b.body = NULL; b.body_len = 0;
        T_CHECK(cloudtasks_sigv4_authorization(&b, a1, sizeof a1) > 0);
        b.body = "ignored";
        T_CHECK(cloudtasks_sigv4_authorization(&b, a2, sizeof a2) > 0);
        T_CHECK_STR(a1, a2);
    }
}

/* The signing key is cached per thread by secret, date, region and service: a change in any one
   must give the signature of a fresh computation. */
static void test_key_cache(void) {
    static const cloudtasks_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", SUITE_DATE}};
    static const cloudtasks_header h2[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150831T000000Z"}};
    static const char vanilla[] = SUITE_AUTH("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    cloudtasks_sigv4_request r = suite_request("GET", "/", h, 2, NULL);
    char a[400], b[400], c[400], d[400], e[400];
    char long_service[100];
    auth_is(__LINE__, "vanilla", &r, vanilla);
    r.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ";     /* one character differs */
    T_CHECK(cloudtasks_sigv4_authorization(&r, a, sizeof a) > 0);
    T_CHECK(strcmp(a, vanilla) != 0);
    r.secret_access_key = SECRET;
    auth_is(__LINE__, "vanilla again", &r, vanilla);
    r.region = "us-east-2";
    T_CHECK(cloudtasks_sigv4_authorization(&r, b, sizeof b) > 0);
    r.region = "us-east-1";
    r.service = "servicf";
    T_CHECK(cloudtasks_sigv4_authorization(&r, c, sizeof c) > 0);
    r.service = "service";
    r.headers = h2;
    T_CHECK(cloudtasks_sigv4_authorization(&r, d, sizeof d) > 0);
    r.headers = h;
    T_CHECK(strcmp(strstr(a, "Signature="), strstr(b, "Signature=")) != 0);
    T_CHECK(strcmp(strstr(b, "Signature="), strstr(c, "Signature=")) != 0);
    T_CHECK(strcmp(strstr(c, "Signature="), strstr(d, "Signature=")) != 0);
    T_CHECK(strstr(b, "/20150830/us-east-2/service/aws4_request") != NULL);
    T_CHECK(strstr(c, "/20150830/us-east-1/servicf/aws4_request") != NULL);
    T_CHECK(strstr(d, "/20150831/us-east-1/service/aws4_request") != NULL);
    auth_is(__LINE__, "vanilla after the others", &r, vanilla);
    /* a service too long for the cache */
    memset(long_service, 'x', sizeof long_service - 1);
    long_service[sizeof long_service - 1] = 0;
    r.service = long_service;
    T_CHECK(cloudtasks_sigv4_authorization(&r, e, sizeof e) > 0);
    T_CHECK(cloudtasks_sigv4_authorization(&r, a, sizeof a) > 0);
    T_CHECK_STR(a, e);
    r.service = "service";
    auth_is(__LINE__, "vanilla after a long service", &r, vanilla);
    /* the secret's hash is the key: two secrets that share a prefix longer than any buffer */
    {
        char s1[300], s2[300];
        memset(s1, 'k', sizeof s1 - 1);
        s1[sizeof s1 - 1] = 0;
        memcpy(s2, s1, sizeof s2);
        s2[sizeof s2 - 2] = 'j';
        r.secret_access_key = s1;
        T_CHECK(cloudtasks_sigv4_authorization(&r, a, sizeof a) > 0);
        r.secret_access_key = s2;
        T_CHECK(cloudtasks_sigv4_authorization(&r, b, sizeof b) > 0);
        T_CHECK(strcmp(a, b) != 0);
    }
}

/* ---------------------------------------------------------------------------------------------
   the private pieces */

static void uri_is(int line, const char *path, int normalize, const char *want) {
    cloudtasks__buf b = {0};
    cloudtasks__buf_puts(&b, "GET\n");     /* the URI is appended after other text */
    cloudtasks__sigv4_uri(&b, path, strlen(path), normalize);
    if (b.oom || b.len < 4 || strcmp(b.data + 4, want) != 0 || b.len != 4 + strlen(want)) {
        printf("#   %s:%d: canonical URI of \"%s\" (normalize %d) is \"%s\", want \"%s\"\n", __FILE__, line, path, normalize,
               b.data ? show(b.data + 4, b.len - 4) : "", want);
        t_failures_in_test++;
    }
    cloudtasks__buf_free(&b);
}

static void test_canonical_uri(void) {
    uri_is(__LINE__, "", 1, "/");
    uri_is(__LINE__, "/", 1, "/");
    uri_is(__LINE__, "//", 1, "/");
    uri_is(__LINE__, "///", 1, "/");
    uri_is(__LINE__, "/a", 1, "/a");
    uri_is(__LINE__, "/a/", 1, "/a/");
    uri_is(__LINE__, "/a//b", 1, "/a/b");
    uri_is(__LINE__, "//a//b//", 1, "/a/b/");
    uri_is(__LINE__, "/./a/./b/.", 1, "/a/b");
    uri_is(__LINE__, "/a/./", 1, "/a/");
    uri_is(__LINE__, "/a/b/..", 1, "/a");
    uri_is(__LINE__, "/a/b/../", 1, "/a/");
    uri_is(__LINE__, "/a/b/../c", 1, "/a/c");
    uri_is(__LINE__, "/..", 1, "/");
    uri_is(__LINE__, "/../..", 1, "/");
    uri_is(__LINE__, "/../a", 1, "/a");
    uri_is(__LINE__, "/a/../../b/", 1, "/b/");
    uri_is(__LINE__, "/a/b/../../", 1, "/");
    uri_is(__LINE__, "/../", 1, "/");
    uri_is(__LINE__, "/abc/def/../../ghi/./jkl/", 1, "/ghi/jkl/");
    uri_is(__LINE__, "/.../a", 1, "/.../a");
    uri_is(__LINE__, "/..a/a..", 1, "/..a/a..");
    uri_is(__LINE__, "/%2E%2E/a", 1, "/%252E%252E/a");        /* encoded dots are no dot segment */
    uri_is(__LINE__, "/a%20b/c%2Fd", 1, "/a%2520b/c%252Fd");
    uri_is(__LINE__, "/a b/~c/d+e/f=g:h@i", 1, "/a%20b/~c/d%2Be/f%3Dg%3Ah%40i");
    uri_is(__LINE__, "/\xe1\x88\xb4", 1, "/%E1%88%B4");
    uri_is(__LINE__, "a/b", 1, "/a/b");
    /* S3: as sent */
    uri_is(__LINE__, "", 0, "/");
    uri_is(__LINE__, "/", 0, "/");
    uri_is(__LINE__, "//a/./b/../c/", 0, "//a/./b/../c/");
    uri_is(__LINE__, "/a%20b/c%2Fd", 0, "/a%20b/c%2Fd");
}

static void query_is(int line, const char *q, const char *want) {
    cloudtasks__buf b = {0};
    int ok;
    cloudtasks__buf_puts(&b, "x\n");
    ok = cloudtasks__sigv4_query(&b, q, strlen(q));
    if (!ok || b.oom || strcmp(b.data + 2, want) != 0 || b.len != 2 + strlen(want)) {
        printf("#   %s:%d: canonical query of \"%s\" is \"%s\" (%d), want \"%s\"\n", __FILE__, line, q,
               b.data ? show(b.data + 2, b.len - 2) : "", ok, want);
        t_failures_in_test++;
    }
    cloudtasks__buf_free(&b);
}

static void test_canonical_query(void) {
    query_is(__LINE__, "", "");
    query_is(__LINE__, "a=1", "a=1");
    query_is(__LINE__, "b=2&a=1", "a=1&b=2");
    query_is(__LINE__, "Param2=value2&Param1=value1&param1=v", "Param1=value1&Param2=value2&param1=v");   /* by byte */
    query_is(__LINE__, "a=2&a=1&a=10&a=", "a=&a=1&a=10&a=2");     /* repeated keys by value */
    query_is(__LINE__, "acl", "acl=");
    query_is(__LINE__, "acl&a=1", "a=1&acl=");
    query_is(__LINE__, "k=", "k=");
    query_is(__LINE__, "a-b=1&a_b=2&a.b=3&a~b=4", "a-b=1&a.b=3&a_b=2&a~b=4");
    query_is(__LINE__, "a=b%20c&d=%7e&e=~&f=%7E", "a=b%20c&d=~&e=~&f=~");
    query_is(__LINE__, "k=%2f&k2=%2F", "k=%2F&k2=%2F");           /* upper-case hex */
    query_is(__LINE__, "x=%41%42", "x=AB");                        /* unreserved never encoded */
    query_is(__LINE__, "x=a/b", "x=a%2Fb");
    query_is(__LINE__, "x=a=b", "x=a%3Db");
    query_is(__LINE__, "x=%zz", "x=%25zz");
    query_is(__LINE__, "x=%C3%BC&%C3%BC=1", "%C3%BC=1&x=%C3%BC");
    /* sorting is by encoded name first, then value: "a=" before "a-..." though '=' > '-' */
    query_is(__LINE__, "a-b=1&a=2", "a=2&a-b=1");
    query_is(__LINE__, "ab=1&a=2&a=1", "a=1&a=2&ab=1");
}

static void headers_are(int line, const cloudtasks_header *h, size_t n, const char *token, const char *want_canon,
                        const char *want_signed) {
    cloudtasks_sigv4_request r;
    cloudtasks__buf canon = {0}, sl = {0};
    const char *date = NULL, *ph = NULL;
    size_t dl = 0;
    memset(&r, 0, sizeof r);
    r.headers = h;
    r.header_count = n;
    r.session_token = token;
    if (cloudtasks__sigv4_headers(&r, &canon, &sl, &date, &dl, &ph) != CLOUDTASKS_OK ||
        strcmp(canon.data ? canon.data : "", want_canon) != 0 || strcmp(sl.data ? sl.data : "", want_signed) != 0) {
        printf("#   %s:%d: canonical headers:\n", __FILE__, line);
        print_block("got", canon.data ? canon.data : "", canon.len);
        print_block("want", want_canon, strlen(want_canon));
        printf("#     signed headers \"%s\", want \"%s\"\n", sl.data ? sl.data : "", want_signed);
        t_failures_in_test++;
    }
    cloudtasks__buf_free(&canon);
    cloudtasks__buf_free(&sl);
}

static void test_canonical_headers(void) {
    static const cloudtasks_header h1[] = {{"X-B", "  two   spaces\t\there  "}, {"x-a", "\t"}, {"X-A", "second"},
                                           {"Host", "h"}, {"x-b", "b2"}, {"x-a-b", "z"}};
    static const cloudtasks_header h2[] = {{"Host", "h"}, {"X-Amz-Security-Token", "tok"}};
    headers_are(__LINE__, h1, 6, NULL,
                "host:h\nx-a:,second\nx-a-b:z\nx-b:two spaces here,b2\n", "host;x-a;x-a-b;x-b");
    headers_are(__LINE__, h2, 1, "T0K", "host:h\nx-amz-security-token:T0K\n", "host;x-amz-security-token");
    headers_are(__LINE__, h2, 2, "tok", "host:h\nx-amz-security-token:tok\n", "host;x-amz-security-token");
    headers_are(__LINE__, NULL, 0, NULL, "", "");
    /* trimall */
    {
        static const char *const in[][2] = {
            {"", ""}, {" ", ""}, {"a", "a"}, {"  a  ", "a"}, {"a  b", "a b"}, {"a \t b", "a b"}, {"\ta\tb\t", "a b"},
            {"\"a   b\"", "\"a b\""}, {"a b c", "a b c"},
        };
        size_t i;
        for (i = 0; i < sizeof in / sizeof in[0]; i++) {
            cloudtasks__buf b = {0};
            cloudtasks__sigv4_trimall(&b, in[i][0], strlen(in[i][0]));
            if (b.len != strlen(in[i][1]) || (b.len && memcmp(b.data, in[i][1], b.len) != 0)) {
                printf("#   trimall(\"%s\") = \"%s\", want \"%s\"\n", show(in[i][0], strlen(in[i][0])), b.data ? show(b.data, b.len) : "",
                       in[i][1]);
                t_failures_in_test++;
            }
            cloudtasks__buf_free(&b);
        }
    }
}

/* ---------------------------------------------------------------------------------------------
   botocore's vectors */

static int hexval(int c) { return cloudtasks__hexval(c); }

/* Decodes hex text [s, s + n) into a new NUL-terminated buffer; *len gets its length. */
static char *unhex(const char *s, size_t n, size_t *len) {
    char *out = (char *)malloc(n / 2 + 1);
    size_t i;
    if (!out) { printf("# out of memory\n"); exit(2); }
    for (i = 0; i + 1 < n; i += 2) {
        int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0) { free(out); return NULL; }
        out[i / 2] = (char)(hi << 4 | lo);
    }
    if (n % 2) { free(out); return NULL; }
    out[n / 2] = 0;
    if (len) *len = n / 2;
    return out;
}

enum { F_CASE, F_METHOD, F_PATH, F_HEADERS, F_BODY, F_REGION, F_SERVICE, F_AKID, F_SECRET, F_TOKEN, F_NORMALIZE, F_AUTH,
       F_CANON, F_COUNT };

typedef struct vec {
    char *field[F_COUNT];        /* decoded (F_CASE, F_HEADERS, F_TOKEN "-" and F_NORMALIZE raw) */
    size_t len[F_COUNT];
    cloudtasks_header headers[64];
    size_t header_count;
    char *header_text[128];
} vec;

static void vec_free(vec *v) {
    size_t i;
    for (i = 0; i < F_COUNT; i++) free(v->field[i]);
    for (i = 0; i < v->header_count * 2; i++) free(v->header_text[i]);
    memset(v, 0, sizeof *v);
}

/* Parses one generator line (without its newline). Returns 1, or 0 if it is malformed. */
static int vec_parse(vec *v, char *line) {
    char *f[F_COUNT];
    size_t k = 0, i;
    char *p = line;
    memset(v, 0, sizeof *v);
    f[k++] = p;
    while (*p && k < F_COUNT) {
        if (*p == '\t') { *p = 0; f[k++] = p + 1; }
        p++;
    }
    if (k != F_COUNT || strchr(f[F_COUNT - 1], '\t')) return 0;
    for (i = 0; i < F_COUNT; i++) {
        if (i == F_CASE || i == F_HEADERS || i == F_NORMALIZE || (i == F_TOKEN && strcmp(f[i], "-") == 0)) {
            v->field[i] = cloudtasks__strdup(f[i]);
            v->len[i] = strlen(f[i]);
        } else if (!(v->field[i] = unhex(f[i], strlen(f[i]), &v->len[i]))) return 0;
    }
    /* headers: hex(name):hex(value),... */
    p = v->field[F_HEADERS];
    while (*p) {
        char *comma = strchr(p, ','), *colon;
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        colon = (char *)memchr(p, ':', n);
        if (!colon || v->header_count >= 64) return 0;
        v->header_text[2 * v->header_count] = unhex(p, (size_t)(colon - p), NULL);
        v->header_text[2 * v->header_count + 1] = unhex(colon + 1, n - (size_t)(colon - p) - 1, NULL);
        if (!v->header_text[2 * v->header_count] || !v->header_text[2 * v->header_count + 1]) { v->header_count++; return 0; }
        v->headers[v->header_count].name = v->header_text[2 * v->header_count];
        v->headers[v->header_count].value = v->header_text[2 * v->header_count + 1];
        v->header_count++;
        p += n + (comma != NULL);
    }
    return 1;
}

static void vec_request(const vec *v, cloudtasks_sigv4_request *r) {
    memset(r, 0, sizeof *r);
    r->method = v->field[F_METHOD];
    r->path_and_query = v->field[F_PATH];
    r->headers = v->headers;
    r->header_count = v->header_count;
    r->body = v->field[F_BODY];
    r->body_len = v->len[F_BODY];
    r->region = v->field[F_REGION];
    r->service = v->field[F_SERVICE];
    r->access_key_id = v->field[F_AKID];
    r->secret_access_key = v->field[F_SECRET];
    r->session_token = strcmp(v->field[F_TOKEN], "-") == 0 ? NULL : v->field[F_TOKEN];
    r->normalize_path = atoi(v->field[F_NORMALIZE]);
}

static void vec_report(const vec *v, const cloudtasks_sigv4_request *r, const char *ours, int rc) {
    cloudtasks__buf canon = {0};
    size_t i;
    printf("#   botocore vector %s differs:\n", v->field[F_CASE]);
    printf("#     %s %s   (region %s, service %s, normalize_path %d, body %zu bytes, token %s)\n", r->method,
           show(r->path_and_query, strlen(r->path_and_query)), r->region, r->service, r->normalize_path, r->body_len,
           r->session_token ? "yes" : "no");
    for (i = 0; i < r->header_count; i++)
        printf("#     header %s: \"%s\"\n", show(r->headers[i].name, strlen(r->headers[i].name)),
               show(r->headers[i].value, strlen(r->headers[i].value)));
    printf("#     ours     %s\n", rc < 0 ? cloudtasks_code_string(rc) : ours);
    printf("#     botocore %s\n", v->field[F_AUTH]);
    our_canonical_request(r, &canon);
    print_block("our canonical request", canon.data ? canon.data : "", canon.len);
    print_block("botocore's canonical request", v->field[F_CANON], v->len[F_CANON]);
    cloudtasks__buf_free(&canon);
}

static const char *vectors_file;   /* --vectors FILE, else the generator is run */
static int vectors_skipped;
static char skip_reason[128];

static void test_botocore_vectors(void) {
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int cases = 0, bad = 0, malformed = 0, from_generator = vectors_file == NULL, status;
    if (vectors_file) {
        f = fopen(vectors_file, "r");
        if (!f) { printf("#   cannot open %s\n", vectors_file); t_failures_in_test++; return; }
    } else {
        if (access("tests/unit/sigv4_vectors.py", R_OK) != 0) {
            vectors_skipped = 1;
            snprintf(skip_reason, sizeof skip_reason, "tests/unit/sigv4_vectors.py not found (run from the repository root)");
            return;
        }
        fflush(stdout);
        f = popen("python3 tests/unit/sigv4_vectors.py", "r");
        if (!f) { vectors_skipped = 1; snprintf(skip_reason, sizeof skip_reason, "python3 not available"); return; }
    }
    while ((got = getline(&line, &cap, f)) > 0) {
        vec v;
        char ours[2048];
        cloudtasks_sigv4_request r;
        int rc;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = 0;
        if (got == 0) continue;
        if (line[0] == '#') {
            if (strncmp(line, "# SKIP ", 7) == 0) {
                vectors_skipped = 1;
                snprintf(skip_reason, sizeof skip_reason, "%s", line + 7);
            }
            continue;
        }
        if (!vec_parse(&v, line)) {
            if (malformed++ < 3) printf("#   malformed vector line: %.80s\n", line);
            vec_free(&v);
            continue;
        }
        vec_request(&v, &r);
        cases++;
        rc = cloudtasks_sigv4_authorization(&r, ours, sizeof ours);
        if (rc < 0 || strcmp(ours, v.field[F_AUTH]) != 0 || (size_t)rc != v.len[F_AUTH]) {
            if (bad < 10) vec_report(&v, &r, ours, rc);
            bad++;
        }
        vec_free(&v);
    }
    free(line);
    if (from_generator) {
        status = pclose(f);
        if (WIFEXITED(status) && (WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 127) && cases == 0) {
            vectors_skipped = 1;
            if (WEXITSTATUS(status) == 127) snprintf(skip_reason, sizeof skip_reason, "python3 not available");
            else if (!skip_reason[0]) snprintf(skip_reason, sizeof skip_reason, "botocore not available");
            return;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            printf("#   the generator failed (status %d)\n", status);
            t_failures_in_test++;
        }
    } else fclose(f);
    if (vectors_skipped && cases == 0) return;
    vectors_skipped = 0;
    printf("#   %d botocore vectors, %d differ, %d malformed\n", cases, bad, malformed);
    if (cases < 100) { printf("#   too few vectors (%d)\n", cases); t_failures_in_test++; }
    t_failures_in_test += bad + malformed;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--vectors") == 0) vectors_file = argv[2];
    else if (argc != 1) {
        fprintf(stderr, "usage: %s [--vectors FILE]\n", argv[0]);
        return 2;
    }
    T_RUN(test_suite_vectors);
    T_RUN(test_empty_session_token);
    T_RUN(test_sqs_receive);
    T_RUN(test_size_query);
    T_RUN(test_invalid);
    T_RUN(test_key_cache);
    T_RUN(test_canonical_uri);
    T_RUN(test_canonical_query);
    T_RUN(test_canonical_headers);
    /* like T_RUN, under the name the skip uses */
    t_failures_in_test = 0;
    test_botocore_vectors();
    if (vectors_skipped) T_SKIP("sigv4 botocore vectors", skip_reason[0] ? skip_reason : "botocore not available");
    else {
        printf("%s - sigv4 botocore vectors\n", t_failures_in_test ? "not ok" : "ok");
        t_failed_tests += t_failures_in_test != 0;
    }
    T_EXIT();
}

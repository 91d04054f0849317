/* Tests of the parsers of untrusted AWS input in cloudtasks.h: the shared credentials/config file
   reader (cloudtasks__ini_get), the XML text extractor (cloudtasks__xml_text), the response header
   lookup (cloudtasks__http_header), the error code/message of a failed answer
   (cloudtasks__aws_error_of), the IMDS/container credential JSON (cloudtasks__aws_creds_json), the
   "Failed" list of a batch answer (cloudtasks__sqs_failed_entries) and cloudtasks__url_host.

   ./test_aws      the unit tests, one TAP line each

   Inputs given by length (XML bodies, header blocks) are copied into heap blocks of exactly that
   size, without a terminating NUL, so that a read past the end shows under ASan (make check) and
   valgrind. The expected times were computed with Python's calendar.timegm. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include "testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
   helpers */

#define LIT(s) (s), (sizeof(s) - 1)

/* A heap copy of exactly n bytes, with no terminator. */
static char *exact(const char *s, size_t n) {
    char *p = (char *)malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "test_aws: out of memory\n"); exit(2); }
    if (n) memcpy(p, s, n);
    return p;
}

/* A response with the given status, body and header block, each in an exact-size block without a
   terminator (as the parsers must cope with; the real buffers happen to be terminated). */
static cloudtasks__http_response response(long status, const char *body, size_t body_len, const char *headers, size_t headers_len) {
    cloudtasks__http_response rs;
    memset(&rs, 0, sizeof rs);
    rs.status = status;
    if (body) { rs.body.data = exact(body, body_len); rs.body.len = rs.body.cap = body_len; }
    if (headers) { rs.headers.data = exact(headers, headers_len); rs.headers.len = rs.headers.cap = headers_len; }
    return rs;
}

static void response_free(cloudtasks__http_response *rs) {
    free(rs->body.data);
    free(rs->headers.data);
    memset(rs, 0, sizeof *rs);
}

/* cloudtasks__xml_text over an exact-size copy of the literal. */
static int xml(const char *doc, size_t len, const char *tag, char *out, size_t size) {
    char *p = exact(doc, len);
    int r = cloudtasks__xml_text(p, len, tag, out, size);
    free(p);
    return r;
}
#define XML(lit, tag, out, size) xml(LIT(lit), (tag), (out), (size))
/* XML_IS(LIT, TAG, WANT): TAG is found in LIT and its text, in the caller's char out[], is WANT. */
#define XML_IS(lit, tag, want) do { T_CHECK(XML(lit, tag, out, sizeof out)); T_CHECK_STR(out, (want)); } while (0)

/* cloudtasks__http_header over an exact-size copy of the header block. */
static int header(const char *block, size_t len, const char *name, char *out, size_t size) {
    cloudtasks__http_response rs = response(200, NULL, 0, block, len);
    int r = cloudtasks__http_header(&rs, name, out, size);
    response_free(&rs);
    return r;
}
#define HEADER(lit, name, out, size) header(LIT(lit), (name), (out), (size))
/* HEADER_IS(LIT, NAME, WANT): header NAME is in LIT and its value, in the caller's char out[], is WANT. */
#define HEADER_IS(lit, name, want) do { T_CHECK(HEADER(lit, name, out, sizeof out)); T_CHECK_STR(out, (want)); } while (0)

/* Stands for "no buffer at all" (data NULL) where ERROR_OF wants an array. */
static const char NO_DATA[1];

/* cloudtasks__aws_error_of over a response built from literals. */
static void error_of(long status, const char *body, size_t body_len, const char *headers, size_t headers_len, char *code,
                     size_t code_size, char *message, size_t message_size) {
    cloudtasks__http_response rs = response(status, body == NO_DATA ? NULL : body, body_len, headers == NO_DATA ? NULL : headers,
                                            headers_len);
    cloudtasks__aws_error_of(&rs, code, code_size, message, message_size);
    response_free(&rs);
}

/* A string of n copies of c (n < 8192). */
static const char *repeat(char c, size_t n) {
    static char b[2][8300];
    static int which;
    char *p = b[which++ & 1];
    memset(p, c, n);
    p[n] = '\0';
    return p;
}

/* The sentinel left in an output buffer that a refusing call must not have touched. */
#define UNTOUCHED "\x55\x55\x55"
#define SENTINEL(out) memset((out), 0x55, sizeof(out)), (out)[sizeof(out) - 1] = '\0'

/* ---------------------------------------------------------------------------------------------
   cloudtasks__ini_get */

static const char credentials_file[] =
    "# the shared credentials file\n"
    "; another comment style\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key=secretdefault\n"
    "  aws_session_token\t=\ttokendefault  \n"
    "\n"
    "[work]\n"
    "# aws_access_key_id = COMMENTED\n"
    "; aws_secret_access_key = COMMENTED\n"
    "aws_access_key_id = AKIDWORK\n"
    "aws_secret_access_key = secret=with=equals # and not a comment ; either\n"
    "region =\n"
    "\n"
    "[profile work]\n"
    "region = eu-west-3\n"
    "[ spaced  name ]\n"
    "key = spaced\n"
    "[last]\n"
    "key = no newline at the end";

static void test_ini_basic(void) {
    char out[128];
    T_CHECK(cloudtasks__ini_get(credentials_file, "default", "aws_access_key_id", out, sizeof out));
    T_CHECK_STR(out, "AKIDDEFAULT");
    T_CHECK(cloudtasks__ini_get(credentials_file, "default", "aws_secret_access_key", out, sizeof out));
    T_CHECK_STR(out, "secretdefault");   /* no spaces around '=' */
    T_CHECK(cloudtasks__ini_get(credentials_file, "default", "aws_session_token", out, sizeof out));
    T_CHECK_STR(out, "tokendefault");    /* indented, tabs around '=', trailing spaces */
    T_CHECK(cloudtasks__ini_get(credentials_file, "work", "aws_access_key_id", out, sizeof out));
    T_CHECK_STR(out, "AKIDWORK");        /* not the commented-out lines before it */
    T_CHECK(cloudtasks__ini_get(credentials_file, "work", "aws_secret_access_key", out, sizeof out));
    T_CHECK_STR(out, "secret=with=equals # and not a comment ; either");   /* no inline comments */
    T_CHECK(cloudtasks__ini_get(credentials_file, "last", "key", out, sizeof out));
    T_CHECK_STR(out, "no newline at the end");
}

static void test_ini_sections(void) {
    char out[64];
    /* [profile work] (config file) and [work] (credentials file) are different sections */
    T_CHECK(cloudtasks__ini_get(credentials_file, "profile work", "region", out, sizeof out));
    T_CHECK_STR(out, "eu-west-3");
    T_CHECK(cloudtasks__ini_get(credentials_file, "work", "region", out, sizeof out));
    T_CHECK_STR(out, "");                /* "region =": present and empty */
    SENTINEL(out);
    T_CHECK(!cloudtasks__ini_get(credentials_file, "default", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get(credentials_file, "profile default", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get(credentials_file, "profile", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get(credentials_file, "Default", "aws_access_key_id", out, sizeof out));   /* case-sensitive */
    T_CHECK(!cloudtasks__ini_get(credentials_file, "defaul", "aws_access_key_id", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get(credentials_file, "nosuch", "aws_access_key_id", out, sizeof out));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    /* a section name with spaces inside, and spaces inside the brackets trimmed */
    T_CHECK(cloudtasks__ini_get(credentials_file, "spaced  name", "key", out, sizeof out));
    T_CHECK_STR(out, "spaced");
    /* the section ends at the next header, even an unclosed one */
    T_CHECK(!cloudtasks__ini_get("[a]\n[broken\nk = 1\n", "a", "k", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\n[b]\nk = 1\n", "a", "k", out, sizeof out));
    /* a repeated section: its first value */
    T_CHECK(cloudtasks__ini_get("[a]\nx = 0\n[b]\nk = 2\n[a]\nk = 3\n[a]\nk = 4\n", "a", "k", out, sizeof out));
    T_CHECK_STR(out, "3");
    T_CHECK(cloudtasks__ini_get("[a]\nk = 1\n[b]\nk = 2\n[a]\nk = 3\n", "b", "k", out, sizeof out));
    T_CHECK_STR(out, "2");
    /* keys before any section belong to none */
    T_CHECK(!cloudtasks__ini_get("k = 1\n[a]\n", "a", "k", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("k = 1\n", "", "k", out, sizeof out));
    /* an empty section name "[]" is a section called "" */
    T_CHECK(cloudtasks__ini_get("[]\nk = 1\n", "", "k", out, sizeof out));
    T_CHECK_STR(out, "1");
}

static void test_ini_keys(void) {
    char out[64];
    SENTINEL(out);
    /* a key is a whole word before '=' */
    T_CHECK(!cloudtasks__ini_get("[a]\nregion_name = x\n", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\nregio = x\n", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\nregion\n", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\nregion x = y\n", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\n#region = x\n", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\n  ; region = x\n", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("\n\n\n", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]", "a", "region", out, sizeof out));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    T_CHECK(cloudtasks__ini_get("[a]\nregion_name = x\nregion = y\n", "a", "region", out, sizeof out));
    T_CHECK_STR(out, "y");
    T_CHECK(cloudtasks__ini_get("[a]\nregion = y\nregion = z\n", "a", "region", out, sizeof out));
    T_CHECK_STR(out, "y");               /* the first one */
    T_CHECK(cloudtasks__ini_get("[a]\nregion\t \t=\t \tus-east-2\t \t\n", "a", "region", out, sizeof out));
    T_CHECK_STR(out, "us-east-2");
    T_CHECK(cloudtasks__ini_get("[a]\nregion = a b  c\n", "a", "region", out, sizeof out));
    T_CHECK_STR(out, "a b  c");          /* inner spaces kept */
}

/* Key names match with ASCII case folded (as the AWS CLI and SDKs read them); section names stay
   exact. */
static void test_ini_key_case(void) {
    char out[64];
    static const char file[] =
        "[default]\n"
        "AWS_ACCESS_KEY_ID = AKIDUPPER\n"
        "Aws_Secret_Access_Key=SecretMixed\n"
        "Region = eu-north-1\n"
        "region = not-the-first\n"
        "[Work]\n"
        "aws_access_key_id = AKIDWORK\n";
    T_CHECK(cloudtasks__ini_get(file, "default", "aws_access_key_id", out, sizeof out));
    T_CHECK_STR(out, "AKIDUPPER");
    T_CHECK(cloudtasks__ini_get(file, "default", "aws_secret_access_key", out, sizeof out));
    T_CHECK_STR(out, "SecretMixed");
    T_CHECK(cloudtasks__ini_get(file, "default", "region", out, sizeof out));
    T_CHECK_STR(out, "eu-north-1");      /* the first line, whatever its case */
    /* the key asked for may have any case too */
    T_CHECK(cloudtasks__ini_get("[a]\nregion = x\n", "a", "REGION", out, sizeof out));
    T_CHECK_STR(out, "x");
    T_CHECK(cloudtasks__ini_get("[a]\nrEgIoN = y\n", "a", "ReGiOn", out, sizeof out));
    T_CHECK_STR(out, "y");
    /* the value keeps its case */
    T_CHECK(cloudtasks__ini_get("[a]\nKEY = MiXeD VaLuE\n", "a", "key", out, sizeof out));
    T_CHECK_STR(out, "MiXeD VaLuE");
    SENTINEL(out);
    /* sections are still case-sensitive */
    T_CHECK(!cloudtasks__ini_get(file, "work", "aws_access_key_id", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get(file, "Default", "aws_access_key_id", out, sizeof out));
    /* still a whole key: no prefix match in either case */
    T_CHECK(!cloudtasks__ini_get("[a]\nREGION_NAME = x\n", "a", "region", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\nREGIO = x\n", "a", "region", out, sizeof out));
    /* only A-Z fold ('_', '@' and '[' are not DEL, '`' and '{' in another case); bytes beyond
       ASCII compare as they are */
    T_CHECK(!cloudtasks__ini_get("[a]\nk\x7f = x\n", "a", "K_", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\n\xC4 = x\n", "a", "\xE4", out, sizeof out));
    T_CHECK(!cloudtasks__ini_get("[a]\n@ = x\n", "a", "`", out, sizeof out));   /* '@' + 32 is '`' */
    T_CHECK(!cloudtasks__ini_get("[a]\n[ = x\n", "a", "{", out, sizeof out));   /* nor '[' and '{' */
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    T_CHECK(cloudtasks__ini_get(file, "Work", "AWS_ACCESS_KEY_ID", out, sizeof out));
    T_CHECK_STR(out, "AKIDWORK");
}

static void test_ini_line_endings(void) {
    char out[64];
    static const char crlf[] = "[default]\r\naws_access_key_id = AKID\r\n\r\n[profile x y]\r\nregion = ap-south-1 \r\n";
    T_CHECK(cloudtasks__ini_get(crlf, "default", "aws_access_key_id", out, sizeof out));
    T_CHECK_STR(out, "AKID");
    T_CHECK(cloudtasks__ini_get(crlf, "profile x y", "region", out, sizeof out));
    T_CHECK_STR(out, "ap-south-1");
    T_CHECK(cloudtasks__ini_get("[a]\r\nk = v\r", "a", "k", out, sizeof out));
    T_CHECK_STR(out, "v");               /* a last line ending in a lone CR */
    T_CHECK(cloudtasks__ini_get("\xEF\xBB\xBF# BOM first\n[a]\nk = v", "a", "k", out, sizeof out));
    T_CHECK_STR(out, "v");
}

static void test_ini_value_size(void) {
    char out[8], text[64];
    SENTINEL(out);
    T_CHECK(cloudtasks__ini_get("[a]\nk = 1234567\n", "a", "k", out, sizeof out));
    T_CHECK_STR(out, "1234567");         /* 7 bytes and the NUL: exactly fits */
    SENTINEL(out);
    T_CHECK(!cloudtasks__ini_get("[a]\nk = 12345678\n", "a", "k", out, sizeof out));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);   /* too long: refused, out untouched */
    T_CHECK(!cloudtasks__ini_get("[a]\nk = 1\n", "a", "k", out, 0));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    T_CHECK(cloudtasks__ini_get("[a]\nk =\n", "a", "k", out, 1));
    T_CHECK_STR(out, "");
    /* trailing blanks do not count against the size */
    snprintf(text, sizeof text, "[a]\nk = 1234567%s\n", repeat(' ', 40));
    T_CHECK(cloudtasks__ini_get(text, "a", "k", out, sizeof out));
    T_CHECK_STR(out, "1234567");
    /* a long key id: 127 bytes fit a 128-byte field, 128 do not */
    {
        char big[128], file[512];
        snprintf(file, sizeof file, "[default]\naws_access_key_id = %s\n", repeat('A', 127));
        T_CHECK(cloudtasks__ini_get(file, "default", "aws_access_key_id", big, sizeof big));
        T_CHECK_INT(strlen(big), 127);
        snprintf(file, sizeof file, "[default]\naws_access_key_id = %s\n", repeat('A', 128));
        T_CHECK(!cloudtasks__ini_get(file, "default", "aws_access_key_id", big, sizeof big));
    }
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__xml_text */

static const char sts_answer[] =
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleWithWebIdentityResult>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
    "      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE==</SessionToken>\n"
    "      <Expiration>2026-11-29T19:36:06Z</Expiration>\n"
    "    </Credentials>\n"
    "  </AssumeRoleWithWebIdentityResult>\n"
    "</AssumeRoleWithWebIdentityResponse>\n";

static void test_xml_basic(void) {
    char out[128];
    XML_IS(sts_answer, "AccessKeyId", "ASIAEXAMPLE");
    XML_IS(sts_answer, "SecretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    XML_IS(sts_answer, "SessionToken", "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE==");
    XML_IS(sts_answer, "Expiration", "2026-11-29T19:36:06Z");
    /* an element holding others: its raw inner text */
    XML_IS("<a><b>x</b></a>", "a", "<b>x</b>");
    XML_IS("<Code></Code>", "Code", "");
    /* the first occurrence */
    XML_IS("<r><Code>one</Code><Code>two</Code></r>", "Code", "one");
    /* names are exact: no prefix match, case-sensitive; an open tag with attributes is not <tag> */
    XML_IS("<CodeX>no</CodeX><Code>yes</Code>", "Code", "yes");
    XML_IS("<Codes>no</Codes><code>no</code><Code a=\"1\">no</Code><Code>yes</Code>", "Code", "yes");
    /* '<' inside the text before the close tag */
    XML_IS("<M>a < b </M>", "M", "a < b ");
}

static void test_xml_nested(void) {
    char out[64];
    /* the same name nested: the text up to the first close tag */
    XML_IS("<Code><Code>in</Code></Code>", "Code", "<Code>in");
    /* a <Message> inside <Error> of an <ErrorResponse> */
    T_CHECK(XML("<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
                "<Message>The request signature we calculated does not match</Message></Error>"
                "<RequestId>4442587FB7D0A2F9</RequestId></ErrorResponse>", "Message", out, sizeof out));
    T_CHECK_STR(out, "The request signature we calculated does not match");
}

static void test_xml_truncated(void) {
    char out[32];
    SENTINEL(out);
    T_CHECK(!XML("<Code>never closed", "Code", out, sizeof out));
    T_CHECK(!XML("<Code>half closed</Cod", "Code", out, sizeof out));
    T_CHECK(!XML("<Code>wrong close</code>", "Code", out, sizeof out));
    T_CHECK(!XML("<Code>", "Code", out, sizeof out));        /* the open tag ends the buffer */
    T_CHECK(!XML("<Code", "Code", out, sizeof out));
    T_CHECK(!XML("xx<", "Code", out, sizeof out));
    T_CHECK(!XML("<", "Code", out, sizeof out));
    T_CHECK(!XML("", "Code", out, sizeof out));
    T_CHECK(!XML("</Code><Code", "Code", out, sizeof out));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    /* the close tag exactly at the end of the buffer */
    XML_IS("<Code>end</Code>", "Code", "end");
    /* len shorter than the text: the rest is not looked at */
    {
        static const char doc[] = "<Code>abc</Code>";
        char *p = exact(doc, sizeof doc - 1);
        SENTINEL(out);
        T_CHECK(!cloudtasks__xml_text(p, sizeof doc - 2, "Code", out, sizeof out));   /* "</Code" */
        T_CHECK(!cloudtasks__xml_text(p, 6, "Code", out, sizeof out));               /* "<Code>" */
        T_CHECK(!cloudtasks__xml_text(p, 0, "Code", out, sizeof out));
        T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
        free(p);
    }
    /* NUL bytes inside the buffer are just bytes */
    T_CHECK(!XML("\0<Code>x\0</Code>", "Message", out, sizeof out));
    XML_IS("\0\0<Code>x</Code>", "Code", "x");
}

static void test_xml_out_size(void) {
    char out[8];
    SENTINEL(out);
    XML_IS("<C>1234567</C>", "C", "1234567");
    SENTINEL(out);
    T_CHECK(!XML("<C>12345678</C>", "C", out, sizeof out));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    T_CHECK(!XML("<C></C>", "C", out, 0));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    T_CHECK(XML("<C></C>", "C", out, 1));
    T_CHECK_STR(out, "");
}

/* The five predefined entities are decoded, once; nothing else is. */
static void test_xml_entities(void) {
    char out[64];
    XML_IS("<M>a &amp; b</M>", "M", "a & b");
    XML_IS("<M>&lt;&gt;&quot;&apos;&amp;</M>", "M", "<>\"'&");
    XML_IS("<Message>Value &lt;x&gt; for parameter &quot;Name&quot; isn&apos;t valid</Message>", "Message", "Value <x> for parameter \"Name\" isn't valid");
    /* one pass: an escaped entity stays an entity */
    XML_IS("<M>&amp;lt;&amp;amp;</M>", "M", "&lt;&amp;");
    /* character references, other names, a lone '&', a cut entity and wrong case: kept as they are */
    XML_IS("<M>&#60;&#x3C;&nbsp;&AMP;&Lt;</M>", "M", "&#60;&#x3C;&nbsp;&AMP;&Lt;");
    XML_IS("<M>a & b &amp</M>", "M", "a & b &amp");
    XML_IS("<M>&</M>", "M", "&");
    XML_IS("<M>&&amp;&</M>", "M", "&&&");
    /* an escaped close tag does not end the element */
    XML_IS("<Code>&lt;/Code&gt;x</Code>", "Code", "</Code>x");
    /* an entity cut by len is not decoded: "&am" of "&amp;" */
    {
        static const char doc[] = "<M>&amp;</M>";
        char *p = exact(doc, sizeof doc - 1);
        T_CHECK(cloudtasks__xml_text(p, sizeof doc - 1, "M", out, sizeof out));
        T_CHECK_STR(out, "&");
        free(p);
    }
    /* an STS secret key with an escaped '&' (XML answers escape it; the JSON ones do not) */
    XML_IS("<Credentials><SecretAccessKey>ab&amp;cd/ef+gh</SecretAccessKey></Credentials>", "SecretAccessKey", "ab&cd/ef+gh");
}

/* The size that counts is the decoded text's: refused (out untouched) only when that does not fit. */
static void test_xml_entities_out_size(void) {
    char out[4];
    SENTINEL(out);
    XML_IS("<C>&amp;&lt;&gt;</C>", "C", "&<>");   /* 13 bytes of text, 3 decoded */
    SENTINEL(out);
    T_CHECK(!XML("<C>&amp;&lt;&gt;&quot;</C>", "C", out, sizeof out));   /* 4 decoded: no room for the NUL */
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    T_CHECK(!XML("<C>abc&amp;</C>", "C", out, sizeof out));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    T_CHECK(!XML("<C>&amp;</C>", "C", out, 1));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    T_CHECK(XML("<C>&apos;</C>", "C", out, 2));
    T_CHECK_STR(out, "'");
    T_CHECK(!XML("<C>&quot;</C>", "C", out, 0));
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__http_header */

static const char sqs_headers[] =
    "HTTP/1.1 400 Bad Request\r\n"
    "x-amzn-RequestId: 0f5b2e3c-1111-2222-3333-444455556666\r\n"
    "X-Amzn-Query-Error: AWS.SimpleQueueService.NonExistentQueue;Sender\r\n"
    "Content-Type: application/x-amz-json-1.0\r\n"
    "Content-Type-Options: nosniff\r\n"
    "Set-Cookie: a=1\r\n"
    "set-cookie: b=2\r\n"
    "X-Padded:  \t padded value \t \r\n"
    "X-Empty:\r\n"
    "X-Blank:   \r\n"
    "X-Spaced : not this\r\n"
    "Content-Length: 108\r\n"
    "\r\n";

static void test_header_lookup(void) {
    char out[128];
    HEADER_IS(sqs_headers, "x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender");
    HEADER_IS(sqs_headers, "X-AMZN-REQUESTID", "0f5b2e3c-1111-2222-3333-444455556666");
    T_CHECK(HEADER(sqs_headers, "content-type", out, sizeof out));
    T_CHECK_STR(out, "application/x-amz-json-1.0");   /* not Content-Type-Options */
    HEADER_IS(sqs_headers, "Content-Type-Options", "nosniff");
    T_CHECK(HEADER(sqs_headers, "SET-COOKIE", out, sizeof out));
    T_CHECK_STR(out, "a=1");             /* the first of several */
    HEADER_IS(sqs_headers, "Content-Length", "108");
}

static void test_header_trimming(void) {
    char out[64];
    HEADER_IS(sqs_headers, "x-padded", "padded value");
    HEADER_IS(sqs_headers, "X-Empty", "");
    HEADER_IS(sqs_headers, "X-Blank", "");
    /* LF-only lines, and a last line without any line end */
    HEADER_IS("HTTP/1.1 200 OK\nA: 1\nB:2", "b", "2");
    HEADER_IS("A: 1\nB:2", "A", "1");
    HEADER_IS("A:x\r", "a", "x");
}

static void test_header_absent(void) {
    char out[16];
    cloudtasks__http_response rs;
    SENTINEL(out);
    T_CHECK(!HEADER(sqs_headers, "x-amzn-query", out, sizeof out));       /* a prefix of a name */
    T_CHECK(!HEADER(sqs_headers, "x-amzn-query-error-x", out, sizeof out));
    T_CHECK(!HEADER(sqs_headers, "X-Spaced", out, sizeof out));           /* "Name :" is no header */
    T_CHECK(!HEADER(sqs_headers, "HTTP/1.1 400 Bad Request", out, sizeof out));
    T_CHECK(!HEADER(sqs_headers, "Nope", out, sizeof out));
    T_CHECK(!HEADER("", "A", out, sizeof out));
    T_CHECK(!HEADER("A", "A", out, sizeof out));
    T_CHECK(!HEADER("\r\n\r\n", "A", out, sizeof out));
    T_CHECK(!HEADER("A: 1", "A", out, 1));                                /* too long for out */
    T_CHECK(!HEADER("A: 1", "A", out, 0));
    T_CHECK(!HEADER("X-Amzn-Query-Error: AWS.SimpleQueueService.NonExistentQueue;Sender", "x-amzn-query-error", out, sizeof out));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    memset(&rs, 0, sizeof rs);                                             /* no header block at all */
    T_CHECK(!cloudtasks__http_header(&rs, "A", out, sizeof out));
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    /* exactly fits */
    HEADER_IS("A: 123456789012345  \r\n", "A", "123456789012345");
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__aws_error_of */

/* body and headers are arrays (string literals), or NO_DATA */
#define ERROR_OF(status, body, headers) \
    error_of((status), (body), sizeof(body) - 1, (headers), sizeof(headers) - 1, code, sizeof code, message, sizeof message)

static void test_error_json(void) {
    char code[128], message[256];
    static const char body[] = "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"The specified queue does not exist.\"}";
    static const char body_caps[] = "{\"__type\":\"InvalidParameterValue\",\"Message\":\"Value 99 for parameter MaxNumberOfMessages is invalid.\"}";
    static const char hdr[] = "HTTP/1.1 400 Bad Request\r\nx-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender\r\n\r\n";
    static const char no_type[] = "{\"message\":\"only a message\"}";
    static const char odd[] = "{\"__type\":7,\"message\":null}";
    ERROR_OF(400, body, NO_DATA);
    T_CHECK_STR(code, "QueueDoesNotExist");
    T_CHECK_STR(message, "The specified queue does not exist.");
    /* the JSON code wins over the query-compatible header */
    ERROR_OF(400, body, hdr);
    T_CHECK_STR(code, "QueueDoesNotExist");
    ERROR_OF(400, body_caps, NO_DATA);
    T_CHECK_STR(code, "InvalidParameterValue");
    T_CHECK_STR(message, "Value 99 for parameter MaxNumberOfMessages is invalid.");
    ERROR_OF(400, no_type, hdr);                              /* no __type: the header's code */
    T_CHECK_STR(code, "AWS.SimpleQueueService.NonExistentQueue");
    T_CHECK_STR(message, "only a message");
    ERROR_OF(418, odd, NO_DATA);                   /* wrong types count as absent */
    T_CHECK_STR(code, "HTTP418");
    T_CHECK_STR(message, "");
    {
        static const char unrec[] = "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\","
                                    "\"message\":\"The security token included in the request is invalid.\"}";
        ERROR_OF(400, unrec, NO_DATA);
        T_CHECK_STR(code, "UnrecognizedClientException");
        T_CHECK(cloudtasks__aws_auth_code(code));
    }
    {
        static const char two[] = "{\"__type\":\"a#b#c\"}";
        ERROR_OF(400, two, NO_DATA);
        T_CHECK_STR(code, "b#c");                             /* after the first '#' */
    }
}

static void test_error_xml(void) {
    char code[128], message[256];
    static const char body[] =
        "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
        "<Message>The request signature we calculated does not match the signature you provided.</Message>"
        "</Error><RequestId>4442587FB7D0A2F9</RequestId></ErrorResponse>";
    static const char code_only[] = "<?xml version=\"1.0\"?><Response><Errors><Error><Code>AuthFailure</Code></Error></Errors></Response>";
    ERROR_OF(403, body, NO_DATA);
    T_CHECK_STR(code, "SignatureDoesNotMatch");
    T_CHECK_STR(message, "The request signature we calculated does not match the signature you provided.");
    T_CHECK(cloudtasks__aws_auth_code(code));
    ERROR_OF(401, code_only, NO_DATA);
    T_CHECK_STR(code, "AuthFailure");
    T_CHECK_STR(message, "");
}

static void test_error_header_only(void) {
    char code[128], message[256];
    static const char hdr[] = "HTTP/1.1 400 Bad Request\r\nx-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender\r\n\r\n";
    static const char hdr_no_fault[] = "HTTP/1.1 400 Bad Request\r\nX-Amzn-Query-Error:  InvalidAttributeName \r\n\r\n";
    static const char hdr_empty[] = "HTTP/1.1 400 Bad Request\r\nx-amzn-query-error: ;Sender\r\n\r\n";
    ERROR_OF(400, "", hdr);
    T_CHECK_STR(code, "AWS.SimpleQueueService.NonExistentQueue");
    T_CHECK_STR(message, "");
    T_CHECK(cloudtasks__sqs_missing_queue(code));
    ERROR_OF(400, NO_DATA, hdr_no_fault);
    T_CHECK_STR(code, "InvalidAttributeName");
    ERROR_OF(400, NO_DATA, hdr_empty);             /* an empty code: the status */
    T_CHECK_STR(code, "HTTP400");
}

/* The JSON protocol's full __type form "ns#Code:uri": the code is what lies between '#' and ':'. */
static void test_error_type_suffix(void) {
    char code[128], message[256];
    static const char full[] = "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist:http://internal.amazon.com/coral/com.amazonaws.sqs/\","
                               "\"message\":\"The specified queue does not exist.\"}";
    static const char no_ns[] = "{\"__type\":\"InvalidParameterValue:http://internal.amazon.com/coral/\"}";
    static const char only_uri[] = "{\"__type\":\":http://internal.amazon.com/\"}";
    static const char ns_only_uri[] = "{\"__type\":\"com.amazonaws.sqs#:x\"}";
    static const char xml_after[] = "{\"__type\":\"ns#:x\",\"message\":\"<Code>FromXml</Code>\"}";
    static const char hdr[] = "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: FromHeader\r\n\r\n";
    ERROR_OF(400, full, NO_DATA);
    T_CHECK_STR(code, "QueueDoesNotExist");
    T_CHECK_STR(message, "The specified queue does not exist.");
    T_CHECK(cloudtasks__sqs_missing_queue(code));
    ERROR_OF(400, no_ns, NO_DATA);
    T_CHECK_STR(code, "InvalidParameterValue");
    /* nothing before the ':': no code from __type, so the next source */
    ERROR_OF(400, only_uri, NO_DATA);
    T_CHECK_STR(code, "HTTP400");
    ERROR_OF(400, ns_only_uri, hdr);
    T_CHECK_STR(code, "FromHeader");
    ERROR_OF(400, xml_after, NO_DATA);   /* a <Code> anywhere in the body comes next */
    T_CHECK_STR(code, "FromXml");
    T_CHECK_STR(message, "<Code>FromXml</Code>");
    {
        /* the ':' is looked for after the cut to the output */
        char small[6], msg[8];
        static const char body[] = "{\"__type\":\"a#Abcdefgh:x\"}";
        error_of(400, body, sizeof body - 1, NULL, 0, small, sizeof small, msg, sizeof msg);
        T_CHECK_STR(small, "Abcde");
    }
}

/* x-amzn-ErrorType (the JSON protocol's header) when neither the body nor x-amzn-query-error
   names a code; cut at ';' or ':'. */
static void test_error_type_header(void) {
    char code[128], message[256];
    static const char hdr[] = "HTTP/1.1 400 Bad Request\r\n"
                              "x-amzn-RequestId: 6a1d3c1e-0000-1111-2222-333344445555\r\n"
                              "x-amzn-ErrorType: ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/\r\n"
                              "Content-Type: application/x-amz-json-1.0\r\n\r\n";
    static const char hdr_case[] = "HTTP/1.1 400 Bad Request\r\nX-AMZN-ERRORTYPE:  ThrottlingException \r\n\r\n";
    static const char hdr_semi[] = "HTTP/1.1 400 Bad Request\r\nx-amzn-errortype: AccessDenied;Sender\r\n\r\n";
    static const char hdr_empty[] = "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: :http://internal.amazon.com/\r\n\r\n";
    static const char hdr_both[] = "HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: FromErrorType\r\n"
                                   "x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender\r\n\r\n";
    static const char json[] = "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"gone\"}";
    static const char json_msg[] = "{\"message\":\"Rate exceeded\"}";
    static const char xml_body[] = "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>";
    ERROR_OF(400, "", hdr);
    T_CHECK_STR(code, "ValidationException");
    T_CHECK_STR(message, "");
    ERROR_OF(400, NO_DATA, hdr_case);   /* the name in any case, the value trimmed */
    T_CHECK_STR(code, "ThrottlingException");
    ERROR_OF(403, NO_DATA, hdr_semi);
    T_CHECK_STR(code, "AccessDenied");
    ERROR_OF(400, NO_DATA, hdr_empty);   /* an empty code: the status */
    T_CHECK_STR(code, "HTTP400");
    ERROR_OF(400, json_msg, hdr_case);   /* the body's message with the header's code */
    T_CHECK_STR(code, "ThrottlingException");
    T_CHECK_STR(message, "Rate exceeded");
    /* precedence: JSON __type, XML <Code>, x-amzn-query-error, then x-amzn-ErrorType */
    ERROR_OF(400, json, hdr);
    T_CHECK_STR(code, "QueueDoesNotExist");
    T_CHECK_STR(message, "gone");
    ERROR_OF(403, xml_body, hdr);
    T_CHECK_STR(code, "SignatureDoesNotMatch");
    ERROR_OF(400, NO_DATA, hdr_both);
    T_CHECK_STR(code, "AWS.SimpleQueueService.NonExistentQueue");
    {
        /* cut to the output, terminated */
        char small[6], msg[4];
        error_of(400, NULL, 0, hdr, sizeof hdr - 1, small, sizeof small, msg, sizeof msg);
        T_CHECK_STR(small, "Valid");
        T_CHECK_STR(msg, "");
    }
}

/* XML error texts are decoded like any other XML text. */
static void test_error_xml_entities(void) {
    char code[128], message[256];
    static const char body[] = "<ErrorResponse><Error><Code>InvalidParameterValue</Code>"
                               "<Message>Value &quot;a&amp;b&quot; for parameter QueueName is invalid. Must be &lt;= 80 chars.</Message>"
                               "</Error></ErrorResponse>";
    ERROR_OF(400, body, NO_DATA);
    T_CHECK_STR(code, "InvalidParameterValue");
    T_CHECK_STR(message, "Value \"a&b\" for parameter QueueName is invalid. Must be <= 80 chars.");
}

static void test_error_empty(void) {
    char code[128], message[256];
    static const char html[] = "<html><body>502 Bad Gateway</body></html>";
    static const char junk[] = "{\"__type\":";
    ERROR_OF(503, "", NO_DATA);
    T_CHECK_STR(code, "HTTP503");
    T_CHECK_STR(message, "");
    ERROR_OF(500, NO_DATA, NO_DATA);
    T_CHECK_STR(code, "HTTP500");
    T_CHECK_STR(message, "");
    ERROR_OF(502, html, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n");
    T_CHECK_STR(code, "HTTP502");
    ERROR_OF(400, junk, NO_DATA);
    T_CHECK_STR(code, "HTTP400");
    T_CHECK_STR(message, "");
}

static void test_error_small_outputs(void) {
    char code[8], message[6];
    static const char body[] = "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"The specified queue does not exist.\"}";
    static const char xml_body[] = "<Error><Code>SignatureDoesNotMatch</Code><Message>long message</Message></Error>";
    ERROR_OF(400, body, NO_DATA);
    T_CHECK_STR(code, "QueueDo");        /* cut, always terminated */
    T_CHECK_STR(message, "The s");
    ERROR_OF(400, xml_body, NO_DATA);
    T_CHECK(strlen(code) < sizeof code);   /* too long for xml_text: some terminated text */
    T_CHECK(strlen(message) < sizeof message);
    ERROR_OF(123456789, "", NO_DATA);
    T_CHECK_STR(code, "HTTP123");
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__aws_creds_json */

static int creds(const char *json, cloudtasks__aws_creds *c, cloudtasks_error *err) {
    char *p = exact(json, strlen(json));
    int r;
    memset(c, 0x55, sizeof *c);
    memset(err, 0, sizeof *err);
    r = cloudtasks__aws_creds_json(p, strlen(json), c, "instance role credentials", err);
    free(p);
    return r;
}

static void test_creds_valid(void) {
    cloudtasks__aws_creds c;
    cloudtasks_error err;
    T_CHECK_INT(creds("{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-11-29T13:20:00Z\",\n  \"Type\" : \"AWS-HMAC\",\n"
                      "  \"AccessKeyId\" : \"ASIAEXAMPLE\",\n  \"SecretAccessKey\" : \"secret/with+chars=\",\n"
                      "  \"Token\" : \"IQoJb3JpZ2luX2VjEXAMPLE==\",\n  \"Expiration\" : \"2026-11-29T19:36:06Z\"\n}\n",
                      &c, &err), CLOUDTASKS_OK);
    T_CHECK_STR(c.key_id, "ASIAEXAMPLE");
    T_CHECK_STR(c.secret, "secret/with+chars=");
    T_CHECK_STR(c.token, "IQoJb3JpZ2luX2VjEXAMPLE==");
    T_CHECK_INT(c.expires, 1795980966);
    T_CHECK_INT(c.fetched, 0);
    /* the container endpoint's form: an offset, fractional seconds */
    T_CHECK_INT(creds("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":\"T\",\"Expiration\":\"2026-11-29T19:36:06.123+05:30\","
                      "\"RoleArn\":\"arn:aws:iam::123456789012:role/x\"}", &c, &err), CLOUDTASKS_OK);
    T_CHECK_INT(c.expires, 1795961166);
}

static void test_creds_optional(void) {
    cloudtasks__aws_creds c;
    cloudtasks_error err;
    /* no Token, no Expiration: long-term keys that never expire */
    T_CHECK_INT(creds("{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"S\"}", &c, &err), CLOUDTASKS_OK);
    T_CHECK_STR(c.key_id, "AKID");
    T_CHECK_STR(c.token, "");
    T_CHECK_INT(c.expires, 0);
    /* a null Token is an absent one */
    T_CHECK_INT(creds("{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"S\",\"Token\":null}", &c, &err), CLOUDTASKS_OK);
    T_CHECK_STR(c.token, "");
    /* escapes are decoded */
    T_CHECK_INT(creds("{\"AccessKeyId\":\"A\\u004bID\",\"SecretAccessKey\":\"a\\/b\"}", &c, &err), CLOUDTASKS_OK);
    T_CHECK_STR(c.key_id, "AKID");
    T_CHECK_STR(c.secret, "a/b");
}

static void test_creds_refused(void) {
    static const char *const bad[] = {
        "{\"AccessKeyId\":\"AKID\",\"Token\":\"T\"}",                              /* no SecretAccessKey */
        "{\"SecretAccessKey\":\"S\"}",                                             /* no AccessKeyId */
        "{\"AccessKeyId\":1,\"SecretAccessKey\":\"S\"}",                           /* not a string */
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":[\"S\"]}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"tomorrow\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"2026-02-30T00:00:00Z\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"",                        /* not JSON */
        "[{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}]",
        "",
        "<html>404</html>",
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cloudtasks__aws_creds c;
        cloudtasks_error err;
        int r = creds(bad[i], &c, &err);
        if (r != CLOUDTASKS_EPROTOCOL) printf("#   case %zu (%s): %d\n", i, show(bad[i], strlen(bad[i])), r);
        T_CHECK_INT(r, CLOUDTASKS_EPROTOCOL);
        T_CHECK_INT(err.code, CLOUDTASKS_EPROTOCOL);
        T_CHECK(strstr(err.message, "instance role credentials") != NULL);
    }
}

/* An empty key, or an Expiration that is present but not a string, is no usable answer. */
static void test_creds_empty_or_mistyped(void) {
    static const char *const bad[] = {
        "{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"S\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"\"}",
        "{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"\",\"Token\":\"T\",\"Expiration\":\"2026-11-29T19:36:06Z\"}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":1795980966}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":true}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":null}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":{}}",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":[\"2026-11-29T19:36:06Z\"]}",
    };
    size_t i;
    cloudtasks__aws_creds c;
    cloudtasks_error err;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = creds(bad[i], &c, &err);
        if (r != CLOUDTASKS_EPROTOCOL) printf("#   case %zu (%s): %d\n", i, show(bad[i], strlen(bad[i])), r);
        T_CHECK_INT(r, CLOUDTASKS_EPROTOCOL);
        T_CHECK_INT(err.code, CLOUDTASKS_EPROTOCOL);
        T_CHECK_STR(err.message, "instance role credentials: the answer holds no usable credentials");
    }
    /* one byte each is enough */
    T_CHECK_INT(creds("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"2026-11-29T19:36:06Z\"}", &c, &err), CLOUDTASKS_OK);
    T_CHECK_STR(c.key_id, "A");
    T_CHECK_STR(c.secret, "S");
    T_CHECK_INT(c.expires, 1795980966);
}

static void test_creds_too_long(void) {
    char json[9000];
    cloudtasks__aws_creds c;
    cloudtasks_error err;
    T_CHECK_INT(sizeof c.token, 8192);   /* STS and IMDS session tokens run past 4 KB */
    /* the longest of each that fits, then one byte more */
    snprintf(json, sizeof json, "{\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\",\"Token\":\"%s\"}", repeat('K', 127),
             repeat('S', 127), "t");
    T_CHECK_INT(creds(json, &c, &err), CLOUDTASKS_OK);
    T_CHECK_INT(strlen(c.key_id), 127);
    T_CHECK_INT(strlen(c.secret), 127);
    snprintf(json, sizeof json, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":\"%s\"}", repeat('T', 8191));
    T_CHECK_INT(creds(json, &c, &err), CLOUDTASKS_OK);
    T_CHECK_INT(strlen(c.token), 8191);

    snprintf(json, sizeof json, "{\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"S\"}", repeat('K', 128));
    T_CHECK_INT(creds(json, &c, &err), CLOUDTASKS_EPROTOCOL);
    snprintf(json, sizeof json, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"%s\"}", repeat('S', 128));
    T_CHECK_INT(creds(json, &c, &err), CLOUDTASKS_EPROTOCOL);
    T_CHECK(strstr(err.message, "SSSS") == NULL);   /* no secret in the message */
    snprintf(json, sizeof json, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":\"%s\"}", repeat('T', 8192));
    T_CHECK_INT(creds(json, &c, &err), CLOUDTASKS_EPROTOCOL);
    T_CHECK(strstr(err.message, "TTTT") == NULL);
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__sqs_failed_entries */

/* Runs the "Failed" list of json over n fresh entries; returns a bit mask of those marked. */
static unsigned failed_mask(const char *json, int n, cloudtasks__settle *s) {
    cloudtasks_json_doc *doc = cloudtasks_json_parse(json, strlen(json), NULL);
    unsigned mask = 0;
    int i;
    memset(s, 0, sizeof(cloudtasks__settle) * CLOUDTASKS__BATCH_MAX);
    cloudtasks__sqs_failed_entries(doc, s, n);
    for (i = 0; i < CLOUDTASKS__BATCH_MAX; i++) if (s[i].error[0]) mask |= 1u << i;
    cloudtasks_json_free(doc);
    return mask;
}

static void test_failed_entries(void) {
    cloudtasks__settle s[CLOUDTASKS__BATCH_MAX];
    char json[2048];
    size_t o;
    int i;
    T_CHECK_INT(failed_mask("{\"Successful\":[{\"Id\":\"0\"},{\"Id\":\"1\"}],\"Failed\":[]}", 2, s), 0);
    T_CHECK_INT(failed_mask("{\"Successful\":[{\"Id\":\"0\"}]}", 2, s), 0);
    T_CHECK_INT(failed_mask("{\"Successful\":[{\"Id\":\"0\"}],\"Failed\":[{\"Id\":\"1\",\"SenderFault\":true,"
                            "\"Code\":\"ReceiptHandleIsInvalid\",\"Message\":\"The receipt handle is not valid.\"}]}", 2, s), 2);
    T_CHECK_STR(s[1].error, "ReceiptHandleIsInvalid: The receipt handle is not valid.");
    T_CHECK_INT(failed_mask("{\"Failed\":[{\"Id\":\"3\"}]}", 4, s), 8);
    T_CHECK_STR(s[3].error, "failed: ");
    /* all ten, "0".."9" */
    o = (size_t)snprintf(json, sizeof json, "{\"Failed\":[");
    for (i = 0; i < 10; i++)
        o += (size_t)snprintf(json + o, sizeof json - o, "%s{\"Id\":\"%d\",\"Code\":\"C%d\",\"Message\":\"m\"}", i ? "," : "", 9 - i, 9 - i);
    snprintf(json + o, sizeof json - o, "]}");
    T_CHECK_INT(failed_mask(json, 10, s), 0x3ff);
    for (i = 0; i < 10; i++) {
        char want[16];
        snprintf(want, sizeof want, "C%d: m", i);
        T_CHECK_STR(s[i].error, want);
    }
    /* a long code and message are cut to the field */
    snprintf(json, sizeof json, "{\"Failed\":[{\"Id\":\"0\",\"Code\":\"%s\",\"Message\":\"%s\"}]}", repeat('c', 100), repeat('m', 300));
    T_CHECK_INT(failed_mask(json, 1, s), 1);
    T_CHECK_INT(strlen(s[0].error), sizeof s[0].error - 1);
}

static void test_failed_entries_unknown_ids(void) {
    cloudtasks__settle s[CLOUDTASKS__BATCH_MAX];
    /* ids beyond the batch, negative, or not strings: ignored */
    T_CHECK_INT(failed_mask("{\"Failed\":[{\"Id\":\"2\"},{\"Id\":\"10\"},{\"Id\":\"-1\"},{\"Id\":\"99\"}]}", 2, s), 0);
    T_CHECK_INT(failed_mask("{\"Failed\":[{\"Id\":1},{\"Id\":null},{\"Code\":\"NoId\"},{}]}", 3, s), 0);
    T_CHECK_INT(failed_mask("{\"Failed\":[\"0\",1,null]}", 3, s), 0);
    T_CHECK_INT(failed_mask("{\"Failed\":{\"Id\":\"0\"}}", 3, s), 0);                 /* not an array */
    T_CHECK_INT(failed_mask("{\"Failed\":{\"x\":{\"Id\":\"0\"}}}", 3, s), 0);
    T_CHECK_INT(failed_mask("[{\"Failed\":[{\"Id\":\"0\"}]}]", 3, s), 0);
    T_CHECK_INT(failed_mask("{\"Failed\":[{\"Id\":\"0\"}]}", 0, s), 0);               /* an empty batch */
    {
        /* no document at all (an empty 200 answer) */
        memset(s, 0, sizeof s);
        cloudtasks__sqs_failed_entries(NULL, s, 3);
        T_CHECK(!s[0].error[0] && !s[1].error[0] && !s[2].error[0]);
    }
}

/* Each of ids[0..n-1], alone in a Failed entry of a batch of `batch`, marks no entry. */
static void check_ids_mark_none(const char *const *ids, size_t n, int batch) {
    cloudtasks__settle s[CLOUDTASKS__BATCH_MAX];
    char json[128];
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned m;
        snprintf(json, sizeof json, "{\"Failed\":[{\"Id\":\"%s\",\"Code\":\"X\"}]}", ids[i]);
        m = failed_mask(json, batch, s);
        if (m != 0) printf("#   Id \"%s\" marked entries 0x%x\n", ids[i], m);
        T_CHECK_INT(m, 0);
    }
}

/* The batch Ids are "0".."9" as written by cloudtasks__sqs_settle/send; any other Id names no entry.
   atoi() reads "", "abc" and "4294967296" as entry 0 (and "1x" as 1), which marks an entry that
   succeeded as failed. */
static void test_failed_entries_non_numeric_ids(void) {
    static const char *const ids[] = {"", "abc", "x1", "1x", " 1", "+1", "01", "1.0", "0x1", "4294967296", "4294967297", "-0"};
    check_ids_mark_none(ids, sizeof ids / sizeof ids[0], 10);
}

/* Exactly "0".."9": each marks its own entry and nothing else, and near misses mark none. */
static void test_failed_entries_exact_ids(void) {
    static const char *const ids[] = {"00", "09", "1 ", "\\t1", "1\\n", "\xD9\xA3", "\\uff11", "\xEF\xBC\x91", "10", "11", "99", "100", "0-", "-", " "};
    cloudtasks__settle s[CLOUDTASKS__BATCH_MAX];
    char json[128];
    int k;
    for (k = 0; k < CLOUDTASKS__BATCH_MAX; k++) {
        snprintf(json, sizeof json, "{\"Failed\":[{\"Id\":\"%d\",\"Code\":\"C\",\"Message\":\"m\"}]}", k);
        T_CHECK_INT(failed_mask(json, CLOUDTASKS__BATCH_MAX, s), 1u << k);
        T_CHECK_STR(s[k].error, "C: m");
        T_CHECK_INT(failed_mask(json, k, s), 0);   /* beyond the batch */
    }
    check_ids_mark_none(ids, sizeof ids / sizeof ids[0], CLOUDTASKS__BATCH_MAX);
    /* near misses next to a real one: only the real one */
    T_CHECK_INT(failed_mask("{\"Failed\":[{\"Id\":\"02\"},{\"Id\":\"+2\"},{\"Id\":\"2\"},{\"Id\":\" 2\"},{\"Id\":\"2.\"}]}", 10, s), 1u << 2);
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__url_host */

/* CHECK_HOST(URL, WANT): the host of URL, in the caller's char out[64], is WANT. */
#define CHECK_HOST(url, want) do { cloudtasks__url_host((url), out, sizeof out); T_CHECK_STR(out, (want)); } while (0)

static void test_url_host(void) {
    char out[64];
    CHECK_HOST("https://sqs.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com");
    CHECK_HOST("http://localhost:4566/000000000000/q?Action=x#frag", "localhost:4566");
    CHECK_HOST("http://169.254.169.254?x=/y", "169.254.169.254");
    CHECK_HOST("http://[fd00:ec2::254]:80#x", "[fd00:ec2::254]:80");
    CHECK_HOST("localhost:4566/path", "localhost:4566");     /* no scheme */
    CHECK_HOST("https://", "");
    CHECK_HOST("", "");
    CHECK_HOST("/just/a/path", "");
    /* cut to the output, always terminated */
    cloudtasks__url_host("https://abcdefgh/x", out, 5);
    T_CHECK_STR(out, "abcd");
    SENTINEL(out);
    cloudtasks__url_host("https://abcdefgh/x", out, 0);
    T_CHECK(memcmp(out, UNTOUCHED, 3) == 0);
    {
        char url[400];
        snprintf(url, sizeof url, "https://%s/", repeat('h', 300));
        cloudtasks__url_host(url, out, sizeof out);
        T_CHECK_INT(strlen(out), sizeof out - 1);
    }
}

/* user:password@ is left out, so it is never shown (nor signed into the Host header). */
static void test_url_host_userinfo(void) {
    char out[64];
    CHECK_HOST("https://user:secret@sqs.us-east-1.amazonaws.com/123/q", "sqs.us-east-1.amazonaws.com");
    CHECK_HOST("http://user:secret@localhost:4566", "localhost:4566");
    CHECK_HOST("http://user@[fd00:ec2::254]:80/x", "[fd00:ec2::254]:80");
    CHECK_HOST("http://:@h/", "h");
    CHECK_HOST("http://user:secret@", "");
    CHECK_HOST("user:secret@localhost:4566/path", "localhost:4566");   /* no scheme */
    /* an '@' after the host is no user part */
    CHECK_HOST("https://host/path@x", "host");
    CHECK_HOST("https://host?u=a@b", "host");
    CHECK_HOST("https://host#a@b", "host");
    /* cut to the output after the user part is gone */
    cloudtasks__url_host("https://user:secret@abcdefgh/x", out, 5);
    T_CHECK_STR(out, "abcd");
}

/* "://" is a scheme only before the first '/', '?' or '#'. */
static void test_url_host_late_scheme(void) {
    char out[64];
    CHECK_HOST("localhost:4566/redirect?to=http://evil.example/", "localhost:4566");
    CHECK_HOST("host?next=https://other/", "host");
    CHECK_HOST("host#https://other/", "host");
    CHECK_HOST("/path://x", "");
    CHECK_HOST("https://host/path?u=http://other/", "host");   /* the first "://" still counts */
    CHECK_HOST("a:b://c/d", "c");
    CHECK_HOST("://host/x", "host");   /* an empty scheme is still one */
    CHECK_HOST("user@host/x?y=http://a@b/", "host");
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: test_aws\n");
        return 2;
    }
    T_RUN(test_ini_basic);
    T_RUN(test_ini_sections);
    T_RUN(test_ini_keys);
    T_RUN(test_ini_key_case);
    T_RUN(test_ini_line_endings);
    T_RUN(test_ini_value_size);
    T_RUN(test_xml_basic);
    T_RUN(test_xml_nested);
    T_RUN(test_xml_truncated);
    T_RUN(test_xml_out_size);
    T_RUN(test_xml_entities);
    T_RUN(test_xml_entities_out_size);
    T_RUN(test_header_lookup);
    T_RUN(test_header_trimming);
    T_RUN(test_header_absent);
    T_RUN(test_error_json);
    T_RUN(test_error_xml);
    T_RUN(test_error_header_only);
    T_RUN(test_error_type_suffix);
    T_RUN(test_error_type_header);
    T_RUN(test_error_xml_entities);
    T_RUN(test_error_empty);
    T_RUN(test_error_small_outputs);
    T_RUN(test_creds_valid);
    T_RUN(test_creds_optional);
    T_RUN(test_creds_refused);
    T_RUN(test_creds_empty_or_mistyped);
    T_RUN(test_creds_too_long);
    T_RUN(test_failed_entries);
    T_RUN(test_failed_entries_unknown_ids);
    T_RUN(test_failed_entries_non_numeric_ids);
    T_RUN(test_failed_entries_exact_ids);
    T_RUN(test_url_host);
    T_RUN(test_url_host_userinfo);
    T_RUN(test_url_host_late_scheme);
    T_EXIT();
}

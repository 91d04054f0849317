/* Tests of the Google Cloud pieces of cloudtasks.h: RSA keys from PEM (cloudtasks__rsa_key_from_pem)
   and RS256 signatures (cloudtasks__rsa_sign_sha256), the service-account JWT (cloudtasks__gcp_jwt),
   token answers (cloudtasks__gcp_take_token), credentials files (cloudtasks__gcp_load_file),
   Google's error envelope (cloudtasks__google_error_of), the ack ids an exactly-once subscription
   refuses (cloudtasks__pubsub_mark_failed, and cloudtasks__pubsub_settle over a local HTTP server),
   and base64 (cloudtasks__base64 / cloudtasks__base64_decode).

   ./test_gcp      the unit tests, one TAP line each

   Keys are made at run time with openssl (genpkey: PKCS#8; rsa -traditional: PKCS#1; 1024 to 4096
   bits), in a temporary directory under $TMPDIR (default /tmp) that is removed at the end, and every
   signature is compared byte for byte with `openssl dgst -sha256 -sign`. Without openssl on PATH
   those tests are skipped. The known answer is RFC 7515 appendix A.2 (RS256): the RFC's JWK is
   turned into PKCS#1 and PKCS#8 DER here, and its signing input must sign to the RFC's signature.
   JWTs are verified with openssl, and with PyJWT when a python3 with the jwt and cryptography
   modules is found ($GCP_PYTHON, python3 on PATH, then Debian's /usr/bin/python3); else that one
   check is skipped.

   PEM texts and answer bodies are copied into heap blocks of exactly their size, without a
   terminating NUL, so that a read past the end shows under ASan (make check) and valgrind. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include "testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------
   helpers */

#define LIT(s) (s), (sizeof(s) - 1)

static char tmp[512];             /* this run's temporary directory */
static int have_openssl;
static const char *python;        /* a python3 with PyJWT, or NULL */

static void die(const char *what) {
    printf("# test_gcp: %s\n", what);
    exit(2);
}

/* A heap copy of exactly n bytes, with no terminator. */
static char *exact(const char *s, size_t n) {
    char *p = (char *)malloc(n ? n : 1);
    if (!p) die("out of memory");
    if (n) memcpy(p, s, n);
    return p;
}

/* A path in the temporary directory (eight rotating buffers). */
static const char *tpath(const char *name) {
    static char b[8][700];
    static int which;
    char *p = b[which++ & 7];
    snprintf(p, sizeof b[0], "%s/%s", tmp, name);
    return p;
}

/* Runs a shell command (stderr to cmd.log); returns its exit status. On failure the log is shown. */
static int sh(const char *fmt, ...) {
    char cmd[4096], line[512];
    va_list ap;
    int st;
    FILE *f;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(stdout);
    {
        char full[4800];
        snprintf(full, sizeof full, "%s 2>'%s'", cmd, tpath("cmd.log"));
        st = system(full);
    }
    st = st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (st != 0 && (f = fopen(tpath("cmd.log"), "r")) != NULL) {
        printf("#   `%s` exited with %d\n", cmd, st);
        while (fgets(line, sizeof line, f)) printf("#     %s", line);
        fclose(f);
    }
    return st;
}

static void put(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) die("cannot write a temporary file");
}

/* The whole file into b (freed first); 0 if it cannot be read. */
static int get(const char *path, cloudtasks__buf *b) {
    cloudtasks__buf_free(b);
    return cloudtasks__read_file(path, b, 64u << 20);
}

/* Loads a key from an exact-size copy of pem[0..n). */
static int load(cloudtasks__rsa_key *k, const char *pem, size_t n, cloudtasks_error *err) {
    char *p = exact(pem, n);
    int r;
    memset(err, 0, sizeof *err);
    r = cloudtasks__rsa_key_from_pem(k, p, n, err);
    free(p);
    return r;
}

/* Deterministic bytes (xorshift). */
static void fill(unsigned char *p, size_t n, uint32_t seed) {
    uint32_t x = seed ? seed : 1;
    size_t i;
    for (i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        p[i] = (unsigned char)x;
    }
}

/* Whether msg shows any 16-byte piece of secret (a private key's base64, a client secret). */
static int leaks(const char *msg, const char *secret, size_t n) {
    size_t i;
    if (n < 16) return strstr(msg, secret) != NULL;
    for (i = 0; i + 16 <= n; i++) {
        const char *m;
        for (m = msg; (m = strchr(m, secret[i])) != NULL; m++)
            if (strncmp(m, secret + i, 16) == 0) return 1;
    }
    return 0;
}

/* The base64 body of a PEM text (its lines between BEGIN and END), for leaks(). */
static void pem_body(const char *pem, cloudtasks__buf *out) {
    const char *p = strstr(pem, "-----\n"), *e = strstr(pem, "\n-----END");
    out->len = 0;
    if (p && e && e > p + 6) cloudtasks__buf_append(out, p + 6, (size_t)(e - p - 6));
    cloudtasks__buf_putc(out, '\0');
    out->len--;
}

/* Base64url without padding, and standard base64, decoded by a decoder of this file's own (so the
   checks do not lean on the library's). Returns the length, or -1 on a bad character. */
static int b64val(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
}
static long unb64(const char *s, size_t n, unsigned char *out, size_t size) {
    uint32_t acc = 0;
    int bits = 0;
    size_t i, o = 0;
    for (i = 0; i < n && s[i] != '='; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == size) return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)o;
}

static void b64_std(cloudtasks__buf *b, const unsigned char *p, size_t n) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    for (i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        cloudtasks__buf_putc(b, abc[v >> 18]);
        cloudtasks__buf_putc(b, abc[v >> 12 & 63]);
        cloudtasks__buf_putc(b, i + 1 < n ? abc[v >> 6 & 63] : '=');
        cloudtasks__buf_putc(b, i + 2 < n ? abc[v & 63] : '=');
    }
}

/* DER: a length, an element, an unsigned INTEGER. */
static void der_len(cloudtasks__buf *b, size_t n) {
    if (n < 128) cloudtasks__buf_putc(b, (char)n);
    else if (n < 256) { cloudtasks__buf_putc(b, (char)0x81); cloudtasks__buf_putc(b, (char)n); }
    else if (n < 65536) { cloudtasks__buf_putc(b, (char)0x82); cloudtasks__buf_putc(b, (char)(n >> 8)); cloudtasks__buf_putc(b, (char)n); }
    else { cloudtasks__buf_putc(b, (char)0x83); cloudtasks__buf_putc(b, (char)(n >> 16)); cloudtasks__buf_putc(b, (char)(n >> 8)); cloudtasks__buf_putc(b, (char)n); }
}
static void der_elt(cloudtasks__buf *b, int tag, const void *body, size_t n) {
    cloudtasks__buf_putc(b, (char)tag);
    der_len(b, n);
    cloudtasks__buf_append(b, body, n);
}
static void der_uint(cloudtasks__buf *b, const unsigned char *mag, size_t n) {
    cloudtasks__buf v = {0};
    while (n > 1 && mag[0] == 0) { mag++; n--; }
    if (n == 0 || mag[0] & 0x80) cloudtasks__buf_putc(&v, 0);
    cloudtasks__buf_append(&v, mag, n);
    der_elt(b, 0x02, v.data, v.len);
    cloudtasks__buf_free(&v);
}

/* A PEM text of der, 64 characters a line. */
static void pem_of(cloudtasks__buf *out, const char *label, const cloudtasks__buf *der) {
    cloudtasks__buf b = {0};
    size_t i;
    b64_std(&b, (const unsigned char *)der->data, der->len);
    out->len = 0;
    cloudtasks__buf_printf(out, "-----BEGIN %s-----\n", label);
    for (i = 0; i < b.len; i += 64) {
        cloudtasks__buf_append(out, b.data + i, b.len - i < 64 ? b.len - i : 64);
        cloudtasks__buf_putc(out, '\n');
    }
    cloudtasks__buf_printf(out, "-----END %s-----\n", label);
    cloudtasks__buf_free(&b);
}

/* PKCS#8 around a PKCS#1 RSAPrivateKey. */
static void pkcs8_of(cloudtasks__buf *out, const cloudtasks__buf *pkcs1) {
    static const unsigned char alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    cloudtasks__buf body = {0};
    der_uint(&body, (const unsigned char *)"", 0);
    cloudtasks__buf_append(&body, alg, sizeof alg);
    der_elt(&body, 0x04, pkcs1->data, pkcs1->len);
    out->len = 0;
    der_elt(out, 0x30, body.data, body.len);
    cloudtasks__buf_free(&body);
}

/* An answer with the given status and body, the body in an exact-size block. */
static cloudtasks__http_response response(long status, const char *body, size_t len) {
    cloudtasks__http_response rs;
    memset(&rs, 0, sizeof rs);
    rs.status = status;
    if (body) { rs.body.data = exact(body, len); rs.body.len = rs.body.cap = len; }
    return rs;
}
static void response_free(cloudtasks__http_response *rs) {
    free(rs->body.data);
    memset(rs, 0, sizeof *rs);
}

/* ---------------------------------------------------------------------------------------------
   keys made with openssl (cached for the run) */

typedef struct genkey { int bits, actual; char pkcs8[700], pkcs1[700], pub[700]; int ok; } genkey;
static genkey keys[16];
static int nkeys;

/* The PKCS#8, PKCS#1 and public-key files of an RSA key of the given size, made once. */
static const genkey *key_of(int bits) {
    int i;
    genkey *g;
    for (i = 0; i < nkeys; i++) if (keys[i].bits == bits) return keys[i].ok ? &keys[i] : NULL;
    if (nkeys == (int)(sizeof keys / sizeof keys[0])) die("too many keys");
    g = &keys[nkeys++];
    g->bits = bits;
    snprintf(g->pkcs8, sizeof g->pkcs8, "%s/rsa%d-pkcs8.pem", tmp, bits);
    snprintf(g->pkcs1, sizeof g->pkcs1, "%s/rsa%d-pkcs1.pem", tmp, bits);
    snprintf(g->pub, sizeof g->pub, "%s/rsa%d-pub.pem", tmp, bits);
    g->ok = sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:%d -out '%s'", bits, g->pkcs8) == 0 &&
            sh("openssl rsa -in '%s' -traditional -out '%s'", g->pkcs8, g->pkcs1) == 0 &&
            sh("openssl pkey -in '%s' -pubout -out '%s'", g->pkcs8, g->pub) == 0;
    /* the size openssl made (asked for an odd size, it may make one bit less) */
    if (g->ok) {
        char cmd[800], line[200] = "";
        FILE *f;
        snprintf(cmd, sizeof cmd, "openssl pkey -in '%s' -noout -text 2>/dev/null", g->pkcs8);
        fflush(stdout);
        if ((f = popen(cmd, "r")) != NULL) {
            if (!fgets(line, sizeof line, f)) line[0] = '\0';
            while (fgetc(f) != EOF) {}
            pclose(f);
        }
        if (sscanf(line, "Private-Key: (%d bit", &g->actual) != 1 || g->actual < bits - 8 || g->actual > bits) g->ok = 0;
    }
    if (!g->ok) printf("#   could not make a %d-bit RSA key with openssl\n", bits);
    return g->ok ? g : NULL;
}

/* Signs data (also written to a file) with the key in keyfile, with the library and with openssl,
   and compares. bits: the key size, for the signature's length. */
static void check_signature(const char *keyfile, int bits, const char *what, const void *data, size_t n) {
    cloudtasks__buf pem = {0}, ours = {0}, theirs = {0};
    cloudtasks__rsa_key k;
    cloudtasks_error err;
    const char *datafile = tpath("data.bin"), *sigfile = tpath("sig.bin");
    int r;
    put(datafile, data, n);
    if (!get(keyfile, &pem)) { printf("#   cannot read %s\n", keyfile); t_failures_in_test++; return; }
    r = load(&k, pem.data, pem.len, &err);
    if (r != CLOUDTASKS_OK) printf("#   %s: %s\n", keyfile, err.message);
    T_CHECK_INT(r, CLOUDTASKS_OK);
    if (r == CLOUDTASKS_OK) {
        r = cloudtasks__rsa_sign_sha256(&k, data, n, &ours, &err);
        T_CHECK_INT(r, CLOUDTASKS_OK);
        T_CHECK_INT(ours.len, (size_t)(bits + 7) / 8);
        if (sh("openssl dgst -sha256 -sign '%s' -out '%s' '%s'", keyfile, sigfile, datafile) != 0 || !get(sigfile, &theirs)) t_failures_in_test++;
        else if (ours.len != theirs.len || memcmp(ours.data, theirs.data, ours.len) != 0) {
            printf("#   %d-bit key %s, %s (%zu bytes): the signature differs from openssl's\n", bits, keyfile, what, n);
            t_failures_in_test++;
        }
    }
    cloudtasks__buf_wipe(&pem);
    cloudtasks__buf_free(&ours);
    cloudtasks__buf_free(&theirs);
}

/* ---------------------------------------------------------------------------------------------
   RS256 against openssl */

static void test_sign_like_openssl(void) {
    static const int bits[] = {2048, 3072, 4096};
    static unsigned char mb[1 << 20];
    unsigned char small[65];
    size_t b;
    fill(mb, sizeof mb, 7);
    fill(small, sizeof small, 3);
    for (b = 0; b < sizeof bits / sizeof bits[0]; b++) {
        const genkey *g = key_of(bits[b]);
        const char *forms[2];
        size_t f;
        cloudtasks__buf pem = {0};
        if (!g) { t_failures_in_test++; continue; }
        forms[0] = g->pkcs8;
        forms[1] = g->pkcs1;
        /* the two forms really are PKCS#8 and PKCS#1 */
        T_CHECK(get(g->pkcs8, &pem) && strncmp(pem.data, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
        T_CHECK(get(g->pkcs1, &pem) && strncmp(pem.data, "-----BEGIN RSA PRIVATE KEY-----\n", 32) == 0);
        cloudtasks__buf_wipe(&pem);
        for (f = 0; f < 2; f++) {
            check_signature(forms[f], g->actual, "empty input", "", 0);
            check_signature(forms[f], g->actual, "1 byte", "\x00", 1);
            check_signature(forms[f], g->actual, "55 bytes", small, 55);   /* SHA-256 padding edges */
            check_signature(forms[f], g->actual, "56 bytes", small, 56);
            check_signature(forms[f], g->actual, "64 bytes", small, 64);
            check_signature(forms[f], g->actual, "1 MB", mb, sizeof mb);
        }
    }
}

/* Sizes that are not whole bytes, and small ones: the signature is ceil(bits / 8) bytes. */
static void test_sign_odd_sizes(void) {
    static const int bits[] = {1024, 1025, 1536, 2047, 2056};
    size_t b;
    int odd = 0;
    for (b = 0; b < sizeof bits / sizeof bits[0]; b++) {
        const genkey *g = key_of(bits[b]);
        if (!g) { t_failures_in_test++; continue; }
        odd += g->actual % 8 != 0;
        check_signature(g->pkcs8, g->actual, "3 bytes", "abc", 3);
        check_signature(g->pkcs1, g->actual, "3 bytes", "abc", 3);
    }
    T_CHECK(odd > 0);   /* at least one size that is no whole number of bytes */
}

/* ---------------------------------------------------------------------------------------------
   PEM forms */

/* Loads text[0..n) and wants it accepted, signing "abc" like the reference key file does. */
static void want_key(int line, const char *what, const char *text, size_t n, const cloudtasks__buf *ref_sig) {
    cloudtasks__rsa_key k;
    cloudtasks_error err;
    cloudtasks__buf sig = {0};
    int r = load(&k, text, n, &err);
    if (r != CLOUDTASKS_OK) {
        printf("#   line %d: %s refused: %s\n", line, what, err.message);
        t_failures_in_test++;
        return;
    }
    if (cloudtasks__rsa_sign_sha256(&k, "abc", 3, &sig, &err) != CLOUDTASKS_OK || sig.len != ref_sig->len ||
        memcmp(sig.data, ref_sig->data, sig.len) != 0) {
        printf("#   line %d: %s: not the reference key's signature\n", line, what);
        t_failures_in_test++;
    }
    cloudtasks__buf_free(&sig);
}

/* Loads text[0..n) and wants it refused with CLOUDTASKS_ECRYPTO, a message containing why (if
   not NULL) and none of secret's text, and a key that signs nothing. */
static void want_refused(int line, const char *what, const char *text, size_t n, const char *why, const char *secret) {
    cloudtasks__rsa_key k;
    cloudtasks_error err;
    cloudtasks__buf sig = {0};
    int r = load(&k, text, n, &err);
    if (r != CLOUDTASKS_ECRYPTO || err.code != CLOUDTASKS_ECRYPTO || k.ok || !err.message[0] || (why && !strstr(err.message, why))) {
        printf("#   line %d: %s: returned %d (\"%s\"), want %d%s%s\n", line, what, r, err.message, CLOUDTASKS_ECRYPTO, why ? " with " : "",
               why ? why : "");
        t_failures_in_test++;
    }
    if (secret && leaks(err.message, secret, strlen(secret))) {
        printf("#   line %d: %s: the message shows the key: %s\n", line, what, err.message);
        t_failures_in_test++;
    }
    memset(&err, 0, sizeof err);
    T_CHECK_INT(cloudtasks__rsa_sign_sha256(&k, "abc", 3, &sig, &err), CLOUDTASKS_ECRYPTO);
    T_CHECK_INT(sig.len, 0);
    cloudtasks__buf_free(&sig);
}
#define WANT_KEY(what, b) want_key(__LINE__, (what), (b).data, (b).len, &ref)
#define WANT_REFUSED(what, b, why) want_refused(__LINE__, (what), (b).data, (b).len, (why), body.data)

/* Line ends, text around the block, other blocks, and what is no RSA private key at all. */
static void test_pem_forms(void) {
    const genkey *g = key_of(2048), *g2 = key_of(3072);
    cloudtasks__buf key = {0}, key2 = {0}, cert = {0}, v = {0}, body = {0}, ref = {0}, other = {0};
    cloudtasks__rsa_key k;
    cloudtasks_error err;
    const char *lf, *end;
    size_t i;
    if (!g || !g2) { t_failures_in_test++; return; }
    if (!get(g->pkcs8, &key) || !get(g2->pkcs1, &key2)) { t_failures_in_test++; return; }
    pem_body(key.data, &body);
    T_CHECK(body.len > 1000);
    T_CHECK_INT(load(&k, key.data, key.len, &err), CLOUDTASKS_OK);
    T_CHECK_INT(cloudtasks__rsa_sign_sha256(&k, "abc", 3, &ref, &err), CLOUDTASKS_OK);
    T_CHECK(key.len > 100 && key.data[key.len - 1] == '\n');

    /* accepted */
    WANT_KEY("LF", key);
    v.len = 0;
    for (i = 0; i < key.len; i++) { if (key.data[i] == '\n') cloudtasks__buf_putc(&v, '\r'); cloudtasks__buf_putc(&v, key.data[i]); }
    WANT_KEY("CRLF", v);
    v.len -= 2;
    WANT_KEY("CRLF without a final line end", v);
    v.len = 0; cloudtasks__buf_append(&v, key.data, key.len - 1);
    WANT_KEY("no final newline", v);
    v.len = 0; cloudtasks__buf_puts(&v, "Bag Attributes\n    friendlyName: key\nsubject=/CN=x\n"); cloudtasks__buf_append(&v, key.data, key.len);
    cloudtasks__buf_puts(&v, "trailing text\nand a last line without newline");
    WANT_KEY("text before and after the block", v);
    v.len = 0; cloudtasks__buf_puts(&v, "\n\n\n"); cloudtasks__buf_append(&v, key.data, key.len); cloudtasks__buf_puts(&v, "\n\n");
    WANT_KEY("blank lines around the block", v);
    /* the body in one line, and with a blank line inside */
    lf = strchr(key.data, '\n');
    end = strstr(key.data, "-----END");
    v.len = 0; cloudtasks__buf_append(&v, key.data, (size_t)(lf + 1 - key.data));
    for (i = (size_t)(lf + 1 - key.data); i < (size_t)(end - key.data); i++) if (key.data[i] != '\n') cloudtasks__buf_putc(&v, key.data[i]);
    cloudtasks__buf_putc(&v, '\n'); cloudtasks__buf_puts(&v, end);
    WANT_KEY("the base64 in one line", v);
    if (g && sh("openssl req -x509 -key '%s' -subj /CN=test -days 1 -out '%s'", g->pkcs8, tpath("cert.pem")) == 0 && get(tpath("cert.pem"), &cert)) {
        v.len = 0; cloudtasks__buf_append(&v, cert.data, cert.len); cloudtasks__buf_append(&v, key.data, key.len);
        WANT_KEY("a CERTIFICATE block, then the key", v);
        v.len = 0; cloudtasks__buf_append(&v, key.data, key.len); cloudtasks__buf_append(&v, cert.data, cert.len);
        WANT_KEY("the key, then a CERTIFICATE block", v);
        WANT_REFUSED("a CERTIFICATE block only", cert, "no \"PRIVATE KEY\"");
    } else t_failures_in_test++;
    v.len = 0; cloudtasks__buf_append(&v, key.data, key.len); cloudtasks__buf_append(&v, key2.data, key2.len);
    WANT_KEY("two keys: the first one counts", v);
    /* the same key in PKCS#1 */
    if (get(g->pkcs1, &v)) WANT_KEY("PKCS#1", v);

    /* refused */
    v.len = 0;
    WANT_REFUSED("empty", v, "no \"PRIVATE KEY\"");
    v.len = 0; cloudtasks__buf_puts(&v, "{\"type\": \"service_account\"}\n\x01\x02\xff");
    WANT_REFUSED("garbage", v, NULL);
    v.len = 0; cloudtasks__buf_append(&v, key.data, key.len / 2);
    WANT_REFUSED("cut in the middle (no END line)", v, NULL);
    v.len = 0; cloudtasks__buf_append(&v, key.data, (size_t)(lf + 1 - key.data) + 300); cloudtasks__buf_puts(&v, "\n"); cloudtasks__buf_puts(&v, end);
    WANT_REFUSED("a truncated body with its END line", v, "cannot be decoded");
    v.len = 0; cloudtasks__buf_append(&v, key.data, (size_t)(lf + 1 - key.data) + 130); cloudtasks__buf_puts(&v, "!!!!\n"); cloudtasks__buf_puts(&v, (lf + 131));
    WANT_REFUSED("a character outside base64", v, NULL);
    v.len = 0; cloudtasks__buf_append(&v, key.data, (size_t)(lf + 1 - key.data));
    WANT_REFUSED("a BEGIN line only", v, NULL);
    v.len = 0; cloudtasks__buf_append(&v, lf + 1, key.len - (size_t)(lf + 1 - key.data));
    WANT_REFUSED("no BEGIN line", v, NULL);
    v.len = 0; cloudtasks__buf_puts(&v, "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n");
    WANT_REFUSED("an empty block", v, NULL);
    v.len = 0; cloudtasks__buf_puts(&v, "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n");   /* SEQUENCE {} */
    WANT_REFUSED("an empty SEQUENCE", v, "cannot be decoded");
    /* keys of other kinds, from openssl */
    if (sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '%s'", tpath("ec8.pem")) == 0 && get(tpath("ec8.pem"), &other)) {
        pem_body(other.data, &v);
        want_refused(__LINE__, "an EC key (PKCS#8)", other.data, other.len, "not an RSA key", v.data);
        if (sh("openssl ec -in '%s' -out '%s'", tpath("ec8.pem"), tpath("ec1.pem")) == 0 && get(tpath("ec1.pem"), &other)) {
            T_CHECK(strncmp(other.data, "-----BEGIN EC PRIVATE KEY-----", 30) == 0);
            want_refused(__LINE__, "an EC key (SEC 1, \"EC PRIVATE KEY\")", other.data, other.len, "no \"PRIVATE KEY\" or \"RSA PRIVATE KEY\" block", v.data);
        } else t_failures_in_test++;
    } else t_failures_in_test++;
    if (sh("openssl genpkey -algorithm ED25519 -out '%s'", tpath("ed.pem")) == 0 && get(tpath("ed.pem"), &other))
        want_refused(__LINE__, "an Ed25519 key (PKCS#8)", other.data, other.len, NULL, NULL);
    else t_failures_in_test++;
    if (sh("openssl pkcs8 -topk8 -in '%s' -passout pass:pw -out '%s'", g->pkcs8, tpath("enc.pem")) == 0 && get(tpath("enc.pem"), &other))
        WANT_REFUSED("an encrypted PKCS#8 key", other, "no \"PRIVATE KEY\"");
    else t_failures_in_test++;
    if (get(g->pub, &other)) WANT_REFUSED("a public key", other, "no \"PRIVATE KEY\"");
    else t_failures_in_test++;
    /* random bytes, and random bytes inside a PRIVATE KEY block: refused, no crash */
    for (i = 0; i < 64; i++) {
        unsigned char rnd[700];
        size_t n = 1 + (i * 37) % sizeof rnd;
        fill(rnd, n, (uint32_t)(100 + i));
        v.len = 0;
        if (i & 1) cloudtasks__buf_append(&v, rnd, n);
        else {
            cloudtasks__buf der = {0};
            cloudtasks__buf_append(&der, rnd, n);
            if (i & 2) der.data[0] = 0x30;   /* a SEQUENCE, to get a bit further */
            pem_of(&v, i & 4 ? "RSA PRIVATE KEY" : "PRIVATE KEY", &der);
            cloudtasks__buf_free(&der);
        }
        want_refused(__LINE__, "random bytes", v.data, v.len, NULL, NULL);
    }
    cloudtasks__buf_wipe(&key);
    cloudtasks__buf_wipe(&key2);
    cloudtasks__buf_wipe(&v);
    cloudtasks__buf_wipe(&body);
    cloudtasks__buf_free(&cert);
    cloudtasks__buf_free(&ref);
    cloudtasks__buf_wipe(&other);
}

/* An RSAPrivateKey (PKCS#1) with INTEGERs of the given sizes (n, d, then p, q, dp, dq, qi, each
   `crt` bytes), made of 0x41 bytes: no real key, only sizes. */
static void fake_rsa_der(cloudtasks__buf *der, size_t n_len, size_t d_len, size_t crt) {
    static unsigned char big[70000];
    cloudtasks__buf body = {0};
    int i;
    memset(big, 0x41, sizeof big);
    der_uint(&body, (const unsigned char *)"", 0);
    der_uint(&body, big, n_len);
    der_uint(&body, (const unsigned char *)"\x01\x00\x01", 3);
    der_uint(&body, big, d_len);
    for (i = 0; i < 5; i++) der_uint(&body, big, crt);
    der->len = 0;
    der_elt(der, 0x30, body.data, body.len);
    cloudtasks__buf_free(&body);
}

/* A key with INTEGERs larger than BearSSL's decoder keeps (3 x 512 bytes for p, q, dp, dq and qi
   together, 1536 bytes for each of n and d): refused, and nothing written past the key. Such a
   key is an RSA key of about 5000 bits and more (or a crafted one). */
static void test_pem_oversized_integers(void) {
    static const struct { size_t n, d, crt; const char *what; } cases[] = {
        {16, 2000, 8, "a private exponent of 2000 bytes"},
        {640, 640, 320, "p, q, dp, dq and qi of 320 bytes each (a 5120-bit key)"},
        {1024, 1024, 512, "the sizes of an 8192-bit key"},
        {8, 4000, 8, "a private exponent of 4000 bytes"},
    };
    struct guarded { cloudtasks__rsa_key k; unsigned char guard[16384]; } *gk = malloc(sizeof *gk);
    cloudtasks__buf der = {0}, p8 = {0}, pem = {0};
    size_t c, i, form;
    if (!gk) die("out of memory");
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (form = 0; form < 2; form++) {
            cloudtasks_error err;
            size_t written = 0;
            char *text;
            int r;
            fake_rsa_der(&der, cases[c].n, cases[c].d, cases[c].crt);
            if (form) { pkcs8_of(&p8, &der); pem_of(&pem, "PRIVATE KEY", &p8); }
            else pem_of(&pem, "RSA PRIVATE KEY", &der);
            memset(gk, 0x5a, sizeof *gk);
            memset(&err, 0, sizeof err);
            text = exact(pem.data, pem.len);
            r = cloudtasks__rsa_key_from_pem(&gk->k, text, pem.len, &err);
            free(text);
            for (i = 0; i < sizeof gk->guard; i++) written += gk->guard[i] != 0x5a;
            if (written || r != CLOUDTASKS_ECRYPTO)
                printf("#   %s (%s): returned %d (\"%s\"); %zu bytes past the key were written\n", cases[c].what, form ? "PKCS#8" : "PKCS#1",
                       r, err.message, written);
            T_CHECK_INT(written, 0);
            T_CHECK_INT(r, CLOUDTASKS_ECRYPTO);
        }
    cloudtasks__buf_free(&der);
    cloudtasks__buf_free(&p8);
    cloudtasks__buf_free(&pem);
    free(gk);
}

/* ---------------------------------------------------------------------------------------------
   RFC 7515 appendix A.2: RS256 known answer */

static const char *const rfc_jwk[8] = {
    /* n */
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
    /* e */
    "AQAB",
    /* d */
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0"
    "BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYT"
    "CBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
    /* p */
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPG"
    "BY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
    /* q */
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA"
    "-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
    /* dp */
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb3"
    "4MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
    /* dq */
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyN"
    "lxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
    /* qi */
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW"
    "0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U",
};
static const char rfc_signing_input[] =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const char rfc_signature[] =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQ"
    "jbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWE"
    "sqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

/* The RFC's key as PEM: PKCS#1 ("RSA PRIVATE KEY"), or PKCS#8 ("PRIVATE KEY"). */
static void rfc_key_pem(cloudtasks__buf *pem, int pkcs8) {
    cloudtasks__buf body = {0}, der = {0}, p8 = {0};
    unsigned char v[600];
    size_t i;
    der_uint(&body, (const unsigned char *)"", 0);   /* version 0 */
    for (i = 0; i < 8; i++) {
        long n = unb64(rfc_jwk[i], strlen(rfc_jwk[i]), v, sizeof v);
        if (n <= 0) die("bad RFC 7515 JWK text");
        der_uint(&body, v, (size_t)n);
    }
    der_elt(&der, 0x30, body.data, body.len);
    if (pkcs8) { pkcs8_of(&p8, &der); pem_of(pem, "PRIVATE KEY", &p8); }
    else pem_of(pem, "RSA PRIVATE KEY", &der);
    cloudtasks__buf_free(&body);
    cloudtasks__buf_free(&der);
    cloudtasks__buf_free(&p8);
}

static void test_rfc7515_a2(void) {
    int form;
    unsigned char want[300];
    long want_len = unb64(LIT(rfc_signature), want, sizeof want);
    T_CHECK_INT(want_len, 256);
    for (form = 0; form < 2; form++) {
        cloudtasks__buf pem = {0}, sig = {0}, b64 = {0};
        cloudtasks__rsa_key k;
        cloudtasks_error err;
        rfc_key_pem(&pem, form);
        T_CHECK_INT(load(&k, pem.data, pem.len, &err), CLOUDTASKS_OK);
        T_CHECK_INT(cloudtasks__rsa_sign_sha256(&k, LIT(rfc_signing_input), &sig, &err), CLOUDTASKS_OK);
        T_CHECK_INT(sig.len, 256);
        T_CHECK(sig.len == 256 && memcmp(sig.data, want, 256) == 0);
        cloudtasks__base64(&b64, sig.data, sig.len, 1);
        T_CHECK_STR(b64.data, rfc_signature);
        /* appended to what the buffer holds */
        sig.len = 0;
        cloudtasks__buf_puts(&sig, "x.");
        T_CHECK_INT(cloudtasks__rsa_sign_sha256(&k, LIT(rfc_signing_input), &sig, &err), CLOUDTASKS_OK);
        T_CHECK(sig.len == 258 && memcmp(sig.data, "x.", 2) == 0 && memcmp(sig.data + 2, want, 256) == 0);
        if (have_openssl) {   /* openssl reads the PEM made here the same way */
            put(tpath("rfc.pem"), pem.data, pem.len);
            put(tpath("rfc-input.txt"), LIT(rfc_signing_input));
            if (sh("openssl dgst -sha256 -sign '%s' -out '%s' '%s'", tpath("rfc.pem"), tpath("rfc-sig.bin"), tpath("rfc-input.txt")) == 0 &&
                get(tpath("rfc-sig.bin"), &b64))
                T_CHECK(b64.len == 256 && memcmp(b64.data, want, 256) == 0);
            else t_failures_in_test++;
        }
        cloudtasks__buf_free(&pem);
        cloudtasks__buf_free(&sig);
        cloudtasks__buf_free(&b64);
    }
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__gcp_jwt */

static cloudtasks__gcp *new_gcp(void) {
    cloudtasks__gcp *g = (cloudtasks__gcp *)calloc(1, sizeof *g);
    if (!g) die("out of memory");
    return g;
}

/* Checks a JWT's form and contents; returns the Unix time of its iat (or -1). */
static int64_t check_jwt(const char *jwt, size_t len, const char *kid, const char *email, const char *aud, int64_t t0, int64_t t1) {
    const char *d1 = memchr(jwt, '.', len), *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
    unsigned char part[2048];
    long n;
    size_t i;
    int64_t iat = -1, exp;
    char want[700];
    cloudtasks_json_doc *doc;
    const cloudtasks_json *root;
    T_CHECK(d1 && d2 && !memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)));
    if (!d1 || !d2) return -1;
    for (i = 0; i < len; i++) {
        char c = jwt[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
            printf("#   a character outside base64url in the JWT: '%c'\n", c);
            t_failures_in_test++;
            break;
        }
    }
    T_CHECK((d1 - jwt) % 4 != 1 && (d2 - d1 - 1) % 4 != 1 && (jwt + len - d2 - 1) % 4 != 1);
    /* header, exactly */
    n = unb64(jwt, (size_t)(d1 - jwt), part, sizeof part - 1);
    T_CHECK(n > 0);
    if (n <= 0) return -1;
    part[n] = '\0';
    if (kid) snprintf(want, sizeof want, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    else snprintf(want, sizeof want, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    T_CHECK_STR((const char *)part, want);
    /* claims */
    n = unb64(d1 + 1, (size_t)(d2 - d1 - 1), part, sizeof part - 1);
    T_CHECK(n > 0);
    if (n <= 0) return -1;
    doc = cloudtasks_json_parse((const char *)part, (size_t)n, NULL);
    root = cloudtasks_json_root(doc);
    T_CHECK(doc != NULL);
    T_CHECK_INT(cloudtasks_json_length(root), 5);
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(root, "iss"), NULL), email);
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(root, "scope"), NULL), "https://www.googleapis.com/auth/pubsub");
    T_CHECK_STR(cloudtasks_json_string(cloudtasks_json_get(root, "aud"), NULL), aud);
    T_CHECK_INT(cloudtasks_json_typeof(cloudtasks_json_get(root, "iat")), CLOUDTASKS_JSON_NUMBER);
    iat = (int64_t)cloudtasks_json_number(cloudtasks_json_get(root, "iat"), -1);
    exp = (int64_t)cloudtasks_json_number(cloudtasks_json_get(root, "exp"), -1);
    T_CHECK(iat >= t0 && iat <= t1);
    T_CHECK_INT(exp - iat, 3600);
    /* the names in this order, as the library writes them */
    T_CHECK(cloudtasks_json_length(root) == 5 && strcmp(cloudtasks_json_object_key(root, 0, NULL), "iss") == 0 &&
            strcmp(cloudtasks_json_object_key(root, 4, NULL), "exp") == 0);
    cloudtasks_json_free(doc);
    /* the signature: one RSA block */
    n = unb64(d2 + 1, len - (size_t)(d2 + 1 - jwt), part, sizeof part);
    T_CHECK(n > 0);
    return iat;
}

static void test_jwt_contents(void) {
    cloudtasks__gcp *g = new_gcp();
    cloudtasks__buf pem = {0}, jwt = {0}, sig = {0};
    cloudtasks_error err;
    int64_t t0, t1;
    int32_t us;
    const char *d2;
    unsigned char raw[300];
    rfc_key_pem(&pem, 1);
    T_CHECK_INT(load(&g->key, pem.data, pem.len, &err), CLOUDTASKS_OK);
    snprintf(g->email, sizeof g->email, "worker@proj.iam.gserviceaccount.com");
    snprintf(g->token_uri, sizeof g->token_uri, "https://oauth2.googleapis.com/token");
    snprintf(g->key_id, sizeof g->key_id, "0123456789abcdef0123456789abcdef01234567");
    cloudtasks__wall(&t0, &us);
    T_CHECK_INT(cloudtasks__gcp_jwt(g, &jwt, &err), CLOUDTASKS_OK);
    cloudtasks__wall(&t1, &us);
    check_jwt(jwt.data, jwt.len, g->key_id, g->email, g->token_uri, t0, t1);
    T_CHECK_INT(strlen(jwt.data), jwt.len);
    /* the signature is RS256 over "header.claims", as signed here */
    d2 = strrchr(jwt.data, '.');
    T_CHECK(d2 != NULL);
    if (d2) {
        T_CHECK_INT(cloudtasks__rsa_sign_sha256(&g->key, jwt.data, (size_t)(d2 - jwt.data), &sig, &err), CLOUDTASKS_OK);
        T_CHECK_INT(unb64(d2 + 1, strlen(d2 + 1), raw, sizeof raw), 256);
        T_CHECK(sig.len == 256 && memcmp(sig.data, raw, 256) == 0);
    }
    /* without a key id there is no "kid"; names needing escapes are escaped */
    g->key_id[0] = '\0';
    snprintf(g->email, sizeof g->email, "we\"ird\\na/me\xc3\xa9@p.iam.gserviceaccount.com");
    snprintf(g->token_uri, sizeof g->token_uri, "http://127.0.0.1:8080/token?x=\"1\"");
    jwt.len = 0;
    cloudtasks__wall(&t0, &us);
    T_CHECK_INT(cloudtasks__gcp_jwt(g, &jwt, &err), CLOUDTASKS_OK);
    cloudtasks__wall(&t1, &us);
    check_jwt(jwt.data, jwt.len, NULL, g->email, g->token_uri, t0, t1);
    /* no key: refused */
    memset(&g->key, 0, sizeof g->key);
    jwt.len = 0;
    memset(&err, 0, sizeof err);
    T_CHECK_INT(cloudtasks__gcp_jwt(g, &jwt, &err), CLOUDTASKS_ECRYPTO);
    T_CHECK_INT(err.code, CLOUDTASKS_ECRYPTO);
    cloudtasks__buf_free(&pem);
    cloudtasks__buf_free(&jwt);
    cloudtasks__buf_free(&sig);
    free(g);
}

/* A python3 that has PyJWT and cryptography, or NULL. */
static const char *find_python(void) {
    static const char *const tries[] = {"python3", "/usr/bin/python3"};
    const char *env = getenv("GCP_PYTHON");
    size_t i;
    char cmd[600];
    if (env && *env) {
        snprintf(cmd, sizeof cmd, "'%s' -c 'import jwt, cryptography' >/dev/null 2>&1", env);
        if (system(cmd) == 0) return env;
    }
    for (i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s -c 'import jwt, cryptography' >/dev/null 2>&1", tries[i]);
        if (system(cmd) == 0) return tries[i];
    }
    return NULL;
}

static const char pyjwt_check[] =
    "import sys, jwt\n"
    "token, key, aud, iss, kid = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3], sys.argv[4], sys.argv[5]\n"
    "h = jwt.get_unverified_header(token)\n"
    "assert h == {'alg': 'RS256', 'typ': 'JWT', 'kid': kid}, h\n"
    "c = jwt.decode(token, key, algorithms=['RS256'], audience=aud, issuer=iss, options={'require': ['iss', 'aud', 'iat', 'exp']})\n"
    "assert c['scope'] == 'https://www.googleapis.com/auth/pubsub', c\n"
    "assert c['exp'] - c['iat'] == 3600, c\n"
    "print('verified')\n";

/* The JWT of a key made by openssl verifies with openssl's public key, and with PyJWT. */
static int pyjwt_skipped;
static void test_jwt_verifies(void) {
    const genkey *k = key_of(2048);
    cloudtasks__gcp *g = new_gcp();
    cloudtasks__buf pem = {0}, jwt = {0};
    cloudtasks_error err;
    const char *d2;
    unsigned char sig[600];
    long n;
    if (!k || !get(k->pkcs8, &pem)) { t_failures_in_test++; free(g); return; }
    T_CHECK_INT(load(&g->key, pem.data, pem.len, &err), CLOUDTASKS_OK);
    snprintf(g->email, sizeof g->email, "svc@test-proj.iam.gserviceaccount.com");
    snprintf(g->token_uri, sizeof g->token_uri, "https://oauth2.googleapis.com/token");
    snprintf(g->key_id, sizeof g->key_id, "kid-1");
    T_CHECK_INT(cloudtasks__gcp_jwt(g, &jwt, &err), CLOUDTASKS_OK);
    d2 = jwt.data ? strrchr(jwt.data, '.') : NULL;
    T_CHECK(d2 != NULL);
    if (d2) {
        n = unb64(d2 + 1, strlen(d2 + 1), sig, sizeof sig);
        T_CHECK_INT(n, 256);
        put(tpath("jwt-input.txt"), jwt.data, (size_t)(d2 - jwt.data));
        put(tpath("jwt-sig.bin"), sig, n > 0 ? (size_t)n : 0);
        T_CHECK_INT(sh("openssl dgst -sha256 -verify '%s' -signature '%s' '%s' >/dev/null", k->pub, tpath("jwt-sig.bin"), tpath("jwt-input.txt")), 0);
        /* a changed byte does not verify */
        put(tpath("jwt-input.txt"), "x", 1);
        {
            char cmd[2100];
            snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -verify '%s' -signature '%s' '%s' >/dev/null 2>&1", k->pub, tpath("jwt-sig.bin"),
                     tpath("jwt-input.txt"));
            T_CHECK(system(cmd) != 0);
        }
    }
    if (python) {
        put(tpath("jwt.txt"), jwt.data, jwt.len);
        put(tpath("jwt-check.py"), LIT(pyjwt_check));
        if (sh("'%s' '%s' '%s' '%s' '%s' '%s' '%s' >/dev/null", python, tpath("jwt-check.py"), tpath("jwt.txt"), k->pub, g->token_uri, g->email,
               g->key_id) == 0)
            printf("#   PyJWT (%s) verified the JWT\n", python);
        else t_failures_in_test++;
    } else pyjwt_skipped = 1;
    cloudtasks__buf_wipe(&pem);
    cloudtasks__buf_free(&jwt);
    free(g);
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__gcp_take_token */

static int take(cloudtasks__gcp *g, long status, const char *body, size_t len, cloudtasks_error *err) {
    cloudtasks__http_response rs = response(status, body, len);
    int r;
    memset(err, 0, sizeof *err);
    r = cloudtasks__gcp_take_token(g, &rs, "oauth2.googleapis.com", err);
    response_free(&rs);
    return r;
}
#define TAKE(g, status, lit, err) take((g), (status), LIT(lit), (err))

static void test_take_token_ok(void) {
    cloudtasks__gcp *g = new_gcp();
    cloudtasks_error err;
    double t0, t1;
    t0 = cloudtasks__now();
    T_CHECK_INT(TAKE(g, 200, "{\"access_token\":\"ya29.a0AfB_byC-token\",\"expires_in\":3599,\"token_type\":\"Bearer\"}", &err), CLOUDTASKS_OK);
    t1 = cloudtasks__now();
    T_CHECK_STR(g->token, "ya29.a0AfB_byC-token");
    T_CHECK_INT(err.code, 0);
    /* kept until 5 minutes before it expires */
    T_CHECK(g->token_expires >= t0 + 3599 && g->token_expires <= t1 + 3599);
    T_CHECK(g->token_until >= t0 + 3299 && g->token_until <= t1 + 3299);
    /* no expires_in: an hour */
    T_CHECK_INT(TAKE(g, 200, "{\"access_token\":\"second\"}", &err), CLOUDTASKS_OK);
    T_CHECK_STR(g->token, "second");
    T_CHECK(g->token_expires >= t0 + 3600 && g->token_expires <= cloudtasks__now() + 3600);
    /* a short-lived token is fetched again half-way */
    t0 = cloudtasks__now();
    T_CHECK_INT(TAKE(g, 200, "{\"expires_in\":120,\"access_token\":\"third\"}", &err), CLOUDTASKS_OK);
    t1 = cloudtasks__now();
    T_CHECK(g->token_until >= t0 + 60 && g->token_until <= t1 + 60);
    T_CHECK(g->token_expires >= t0 + 120 && g->token_expires <= t1 + 120);
    /* the longest token that fits its field */
    {
        char body[4200];
        snprintf(body, sizeof body, "{\"access_token\":\"%0*d\"}", (int)sizeof g->token - 1, 7);
        T_CHECK_INT(take(g, 200, body, strlen(body), &err), CLOUDTASKS_OK);
        T_CHECK_INT(strlen(g->token), sizeof g->token - 1);
    }
    free(g);
}

/* An error answer: EAUTH, with the HTTP status and what the server said; the old token stays. */
static void test_take_token_refused(void) {
    cloudtasks__gcp *g = new_gcp();
    cloudtasks_error err;
    snprintf(g->token, sizeof g->token, "old-token");
    g->token_expires = 12345;
    T_CHECK_INT(TAKE(g, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}", &err), CLOUDTASKS_EAUTH);
    T_CHECK_INT(err.code, CLOUDTASKS_EAUTH);
    T_CHECK_INT(err.http_status, 400);
    T_CHECK_STR(err.message, "oauth2.googleapis.com refused to issue a token (HTTP 400: invalid_grant: Invalid JWT Signature.)");
    T_CHECK_STR(g->token, "old-token");
    T_CHECK(g->token_expires == 12345);
    /* Google's other envelope */
    T_CHECK_INT(TAKE(g, 401, "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials.\",\"status\":\"UNAUTHENTICATED\"}}", &err),
                CLOUDTASKS_EAUTH);
    T_CHECK_INT(err.http_status, 401);
    T_CHECK(strstr(err.message, "HTTP 401: Request had invalid authentication credentials.") != NULL);
    /* no JSON, or no error member */
    T_CHECK_INT(TAKE(g, 503, "<html>Service Unavailable</html>", &err), CLOUDTASKS_EAUTH);
    T_CHECK_INT(err.http_status, 503);
    T_CHECK_STR(err.message, "oauth2.googleapis.com refused to issue a token (HTTP 503)");
    T_CHECK_INT(take(g, 500, NULL, 0, &err), CLOUDTASKS_EAUTH);
    T_CHECK_STR(err.message, "oauth2.googleapis.com refused to issue a token (HTTP 500)");
    /* a token in an error answer is not taken */
    T_CHECK_INT(TAKE(g, 403, "{\"access_token\":\"sneaky\",\"error\":\"access_denied\"}", &err), CLOUDTASKS_EAUTH);
    T_CHECK_INT(err.http_status, 403);
    T_CHECK_STR(g->token, "old-token");
    /* a long description is cut to the message, which stays terminated */
    {
        char body[2000];
        snprintf(body, sizeof body, "{\"error\":\"invalid_grant\",\"error_description\":\"%01500d\"}", 1);
        T_CHECK_INT(take(g, 400, body, strlen(body), &err), CLOUDTASKS_EAUTH);
        T_CHECK_INT(strlen(err.message), sizeof err.message - 1);
    }
    T_CHECK_STR(g->token, "old-token");
    free(g);
}

/* A 200 answer without a usable access_token: EPROTOCOL, and the old token stays. */
static void test_take_token_no_token(void) {
    static const char *const bodies[] = {
        "{\"expires_in\":3599}", "{\"access_token\":null}", "{\"access_token\":42}", "{\"access_token\":[\"t\"]}", "{\"access_token\":{}}",
        "[{\"access_token\":\"t\"}]", "\"access_token\"", "{\"access_token\":\"t\"", "access_token=t&expires_in=3599", "", "{}",
        "{\"error\":\"invalid_grant\"}",
    };
    cloudtasks__gcp *g = new_gcp();
    cloudtasks_error err;
    size_t i;
    for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        int r;
        snprintf(g->token, sizeof g->token, "old-token");
        r = take(g, 200, bodies[i], strlen(bodies[i]), &err);
        if (r != CLOUDTASKS_EPROTOCOL) printf("#   %s: %d\n", show(bodies[i], strlen(bodies[i])), r);
        T_CHECK_INT(r, CLOUDTASKS_EPROTOCOL);
        T_CHECK_STR(err.message, "oauth2.googleapis.com: the answer holds no access_token");
        T_CHECK_STR(g->token, "old-token");
    }
    free(g);
}

/* A token longer than its field is refused, and the token held so far is kept whole (a failed
   refresh serves on with the old token until it expires). */
static void test_take_token_too_long(void) {
    cloudtasks__gcp *g = new_gcp();
    cloudtasks_error err;
    char body[9000];
    int i;
    for (i = 0; i < 2; i++) {
        snprintf(g->token, sizeof g->token, "old-token");
        if (i == 0) snprintf(body, sizeof body, "{\"access_token\":\"%0*d\",\"expires_in\":3599}", (int)sizeof g->token, 7);   /* one byte too many */
        else snprintf(body, sizeof body, "{\"access_token\":\"%0*d\"}", 8000, 7);
        T_CHECK_INT(take(g, 200, body, strlen(body), &err), CLOUDTASKS_EPROTOCOL);
        if (strcmp(g->token, "old-token") != 0) printf("#   the token held is now %zu bytes: %s\n", strlen(g->token), show(g->token, 40));
        T_CHECK(strcmp(g->token, "old-token") == 0);
    }
    free(g);
}

/* An empty token, or one with a NUL inside (which would cut it), is no token: as for the AWS
   credential fields. */
static void test_take_token_empty_or_nul(void) {
    static const char *const bodies[] = {"{\"access_token\":\"\"}", "{\"access_token\":\"ya29\\u0000rest\"}", "{\"access_token\":\"\\u0000\"}"};
    cloudtasks__gcp *g = new_gcp();
    cloudtasks_error err;
    size_t i;
    for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        int r;
        snprintf(g->token, sizeof g->token, "old-token");
        r = take(g, 200, bodies[i], strlen(bodies[i]), &err);
        if (r != CLOUDTASKS_EPROTOCOL) printf("#   %s: %d, token now \"%s\"\n", bodies[i], r, g->token);
        T_CHECK_INT(r, CLOUDTASKS_EPROTOCOL);
        T_CHECK_STR(g->token, "old-token");
    }
    free(g);
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__gcp_load_file */

#define SECRET_CLIENT "GOCSPX-verysecretclientsecretvalue"
#define SECRET_REFRESH "1//0refresh-token-that-must-never-show-up-anywhere"

/* A credentials file from name/value pairs (a NULL value: the member is left out; a value starting
   with '#': written as raw JSON). Returns its path. */
static const char *cred_file(const char *name, const char *const *pairs) {
    cloudtasks_json_writer w;
    const char *path = tpath(name);
    cloudtasks_json_writer_init(&w);
    cloudtasks_json_begin_object(&w);
    for (; pairs[0]; pairs += 2) {
        if (!pairs[1]) continue;
        cloudtasks_json_key(&w, pairs[0]);
        if (pairs[1][0] == '#') cloudtasks_json_write_raw(&w, pairs[1] + 1, strlen(pairs[1] + 1));
        else cloudtasks_json_write_cstring(&w, pairs[1]);
    }
    cloudtasks_json_end_object(&w);
    if (w.error) die("cannot write a credentials file");
    put(path, w.data, w.len);
    cloudtasks_json_writer_free(&w);
    return path;
}

/* Loads path into a fresh gcp (project preset if not NULL); checks the error, if any, shows no
   secret. */
static int load_creds(cloudtasks__gcp *g, const char *path, const char *project, cloudtasks_error *err, const char *const *secrets) {
    int r;
    memset(g, 0, sizeof *g);
    memset(err, 0, sizeof *err);
    if (project) snprintf(g->project, sizeof g->project, "%s", project);
    r = cloudtasks__gcp_load_file(g, path, err);
    for (; secrets && *secrets; secrets++)
        if (leaks(err->message, *secrets, strlen(*secrets))) {
            printf("#   the error shows a secret: %s\n", err->message);
            t_failures_in_test++;
        }
    if (r != CLOUDTASKS_OK) T_CHECK_INT(err->code, r);
    return r;
}

static void test_load_service_account(void) {
    cloudtasks__gcp *g = new_gcp();
    cloudtasks__buf p8 = {0}, p1 = {0}, body = {0}, crlf = {0}, broken = {0};
    cloudtasks_error err;
    const char *path, *secrets[3];
    size_t i;
    rfc_key_pem(&p8, 1);
    rfc_key_pem(&p1, 0);
    pem_body(p8.data, &body);
    secrets[0] = body.data;
    secrets[1] = NULL;
    {
        const char *const sa[] = {"type", "service_account", "project_id", "proj-1", "private_key_id", "abc123", "private_key", p8.data,
                                  "client_email", "svc@proj-1.iam.gserviceaccount.com", "client_id", "1234", "token_uri",
                                  "https://oauth2.googleapis.com/token", NULL};
        path = cred_file("sa.json", sa);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_OK);
        T_CHECK_INT(g->source, CLOUDTASKS__GCP_SERVICE_ACCOUNT);
        T_CHECK(g->key.ok);
        T_CHECK_STR(g->email, "svc@proj-1.iam.gserviceaccount.com");
        T_CHECK_STR(g->key_id, "abc123");
        T_CHECK_STR(g->token_uri, "https://oauth2.googleapis.com/token");
        T_CHECK_STR(g->project, "proj-1");
        T_CHECK_STR(g->credentials_file, path);
        /* the key signs the RFC's answer */
        {
            cloudtasks__buf sig = {0}, b64 = {0};
            T_CHECK_INT(cloudtasks__rsa_sign_sha256(&g->key, LIT(rfc_signing_input), &sig, &err), CLOUDTASKS_OK);
            cloudtasks__base64(&b64, sig.data, sig.len, 1);
            T_CHECK_STR(b64.data, rfc_signature);
            cloudtasks__buf_free(&sig);
            cloudtasks__buf_free(&b64);
        }
        /* a project already set (--project-id) wins */
        T_CHECK_INT(load_creds(g, path, "from-flag", &err, secrets), CLOUDTASKS_OK);
        T_CHECK_STR(g->project, "from-flag");
    }
    for (i = 0; i < p1.len; i++) { if (p1.data[i] == '\n') cloudtasks__buf_putc(&crlf, '\r'); cloudtasks__buf_putc(&crlf, p1.data[i]); }
    {
        /* PKCS#1 with CRLF line ends; no token_uri, no key id, no project */
        const char *const sa[] = {"type", "service_account", "private_key", crlf.data, "client_email", "a@b.iam.gserviceaccount.com", NULL};
        path = cred_file("sa-pkcs1.json", sa);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_OK);
        T_CHECK(g->key.ok);
        T_CHECK_STR(g->token_uri, "https://oauth2.googleapis.com/token");
        T_CHECK_STR(g->key_id, "");
        T_CHECK_STR(g->project, "");
    }
    {
        /* no private_key / no client_email / a private_key that is no string */
        const char *const no_key[] = {"type", "service_account", "client_email", "a@b", "project_id", "p", NULL};
        const char *const no_email[] = {"type", "service_account", "private_key", p8.data, "project_id", "p", NULL};
        const char *const key_not_string[] = {"type", "service_account", "private_key", "#[\"-----BEGIN PRIVATE KEY-----\"]", "client_email", "a@b", NULL};
        const char *const *cases[3];
        cases[0] = no_key; cases[1] = no_email; cases[2] = key_not_string;
        for (i = 0; i < 3; i++) {
            path = cred_file("sa-bad.json", cases[i]);
            T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_EAUTH);
            T_CHECK(strstr(err.message, "has no private_key or client_email") != NULL);
            T_CHECK(strstr(err.message, path) != NULL);
            T_CHECK_STR(g->project, "");   /* nothing taken from a file that failed */
        }
    }
    cloudtasks__buf_append(&broken, p8.data, p8.len / 2 + 200);
    cloudtasks__buf_puts(&broken, "\n-----END PRIVATE KEY-----\n");
    {
        /* a private key that is not one: ECRYPTO, naming the file, showing nothing of the key */
        const char *const sa[] = {"type", "service_account", "private_key", broken.data, "client_email", "a@b", "project_id", "p", NULL};
        path = cred_file("sa-broken.json", sa);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_ECRYPTO);
        T_CHECK(strncmp(err.message, "the service-account key ", 24) == 0 && strstr(err.message, path) != NULL);
        T_CHECK(strstr(err.message, ": the private key ") != NULL);
        T_CHECK(!g->key.ok);
        T_CHECK_STR(g->project, "");
    }
    cloudtasks__buf_wipe(&broken);
    cloudtasks__buf_wipe(&p8);
    cloudtasks__buf_wipe(&p1);
    cloudtasks__buf_wipe(&crlf);
    cloudtasks__buf_wipe(&body);
    free(g);
}

static void test_load_authorized_user(void) {
    cloudtasks__gcp *g = new_gcp();
    cloudtasks_error err;
    const char *path;
    static const char *const secrets[] = {SECRET_CLIENT, SECRET_REFRESH, NULL};
    char *saved = getenv("CLOUDTASKS_GOOGLE_TOKEN_URI") ? strdup(getenv("CLOUDTASKS_GOOGLE_TOKEN_URI")) : NULL;
    unsetenv("CLOUDTASKS_GOOGLE_TOKEN_URI");
    {
        const char *const au[] = {"type", "authorized_user", "client_id", "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
                                  "client_secret", SECRET_CLIENT, "refresh_token", SECRET_REFRESH, "quota_project_id", "quota-proj", NULL};
        path = cred_file("au.json", au);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_OK);
        T_CHECK_INT(g->source, CLOUDTASKS__GCP_AUTHORIZED_USER);
        T_CHECK_STR(g->client_secret, SECRET_CLIENT);
        T_CHECK_STR(g->refresh_token, SECRET_REFRESH);
        T_CHECK_STR(g->token_uri, "https://oauth2.googleapis.com/token");
        T_CHECK_STR(g->project, "quota-proj");           /* quota_project_id when there is no project_id */
        /* CLOUDTASKS_GOOGLE_TOKEN_URI wins over the file's token_uri */
        setenv("CLOUDTASKS_GOOGLE_TOKEN_URI", "http://127.0.0.1:9/token", 1);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_OK);
        T_CHECK_STR(g->token_uri, "http://127.0.0.1:9/token");
        unsetenv("CLOUDTASKS_GOOGLE_TOKEN_URI");
    }
    {
        const char *const au[] = {"type", "authorized_user", "client_id", "id", "client_secret", SECRET_CLIENT, "refresh_token", SECRET_REFRESH,
                                  "token_uri", "https://example.test/token", "project_id", "the-project", "quota_project_id", "quota-proj", NULL};
        path = cred_file("au2.json", au);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_OK);
        T_CHECK_STR(g->token_uri, "https://example.test/token");
        T_CHECK_STR(g->project, "the-project");          /* project_id before quota_project_id */
    }
    {
        /* missing or mistyped fields: refused, naming the file, never the secrets */
        const char *const no_refresh[] = {"type", "authorized_user", "client_id", "id", "client_secret", SECRET_CLIENT, "project_id", "p", NULL};
        const char *const no_secret[] = {"type", "authorized_user", "client_id", "id", "refresh_token", SECRET_REFRESH, NULL};
        const char *const no_id[] = {"type", "authorized_user", "client_secret", SECRET_CLIENT, "refresh_token", SECRET_REFRESH, NULL};
        const char *const refresh_number[] = {"type", "authorized_user", "client_id", "id", "client_secret", SECRET_CLIENT, "refresh_token", "#12", NULL};
        const char *const *cases[4];
        size_t i;
        cases[0] = no_refresh; cases[1] = no_secret; cases[2] = no_id; cases[3] = refresh_number;
        for (i = 0; i < 4; i++) {
            path = cred_file("au-bad.json", cases[i]);
            T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_EAUTH);
            T_CHECK(strstr(err.message, "lacks client_id, client_secret or refresh_token") != NULL && strstr(err.message, path) != NULL);
            T_CHECK_STR(g->project, "");
        }
    }
    if (saved) { setenv("CLOUDTASKS_GOOGLE_TOKEN_URI", saved, 1); free(saved); }
    free(g);
}

static void test_load_other_files(void) {
    cloudtasks__gcp *g = new_gcp();
    cloudtasks_error err;
    const char *path;
    static const char *const secrets[] = {SECRET_CLIENT, NULL};
    {
        const char *const ext[] = {"type", "external_account", "audience", "//iam.googleapis.com/x", "client_secret", SECRET_CLIENT, NULL};
        path = cred_file("ext.json", ext);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_EAUTH);
        T_CHECK(strstr(err.message, "has type \"external_account\"; service_account and authorized_user are supported") != NULL);
    }
    {
        const char *const none[] = {"project_id", "p", "client_secret", SECRET_CLIENT, NULL};
        path = cred_file("notype.json", none);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_EAUTH);
        T_CHECK(strstr(err.message, "has type \"(none)\"") != NULL);
        T_CHECK_STR(g->project, "");
    }
    {
        const char *const typed[] = {"type", "#1", NULL};
        path = cred_file("typenum.json", typed);
        T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_EAUTH);
        T_CHECK(strstr(err.message, "has type \"(none)\"") != NULL);
    }
    path = tpath("notjson.json");
    put(path, LIT("{\"type\": \"authorized_user\", \"client_secret\": \"" SECRET_CLIENT "\",,}"));
    T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_EAUTH);
    T_CHECK(strstr(err.message, "is not JSON") != NULL && strstr(err.message, path) != NULL);
    path = tpath("empty.json");
    put(path, "", 0);
    T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_EAUTH);
    T_CHECK(strstr(err.message, "is not JSON") != NULL);
    path = tpath("does-not-exist.json");
    T_CHECK_INT(load_creds(g, path, NULL, &err, secrets), CLOUDTASKS_EAUTH);
    T_CHECK(strstr(err.message, "cannot read the credentials file") != NULL && strstr(err.message, path) != NULL);
    T_CHECK_INT(load_creds(g, tmp, NULL, &err, secrets), CLOUDTASKS_EAUTH);   /* a directory */
    free(g);
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__google_error_of */

static void error_of(long status, const char *body, size_t len, char *st, size_t st_size, char *msg, size_t msg_size) {
    cloudtasks__http_response rs = response(status, body, len);
    memset(st, 0x55, st_size);
    memset(msg, 0x55, msg_size);
    cloudtasks__google_error_of(&rs, st, st_size, msg, msg_size);
    response_free(&rs);
}
#define ERROR_OF(status, lit) error_of((status), LIT(lit), st, sizeof st, msg, sizeof msg)

static void test_google_error_of(void) {
    char st[64], msg[300], small_st[4], small_msg[8];
    ERROR_OF(404, "{\"error\":{\"code\":404,\"message\":\"Resource not found (resource=q-subscription).\",\"status\":\"NOT_FOUND\"}}");
    T_CHECK_STR(st, "NOT_FOUND");
    T_CHECK_STR(msg, "Resource not found (resource=q-subscription).");
    /* no status: HTTP<status>; no message: the body's start */
    ERROR_OF(429, "{\"error\":{\"code\":429,\"message\":\"Too many\"}}");
    T_CHECK_STR(st, "HTTP429");
    T_CHECK_STR(msg, "Too many");
    ERROR_OF(400, "{\"error\":{\"status\":\"INVALID_ARGUMENT\"}}");
    T_CHECK_STR(st, "INVALID_ARGUMENT");
    T_CHECK_STR(msg, "{\"error\":{\"status\":\"INVALID_ARGUMENT\"}}");
    ERROR_OF(502, "<html><body>Bad Gateway</body></html>");
    T_CHECK_STR(st, "HTTP502");
    T_CHECK_STR(msg, "<html><body>Bad Gateway</body></html>");
    ERROR_OF(400, "{\"error\":\"invalid_grant\"}");               /* the OAuth form: no envelope */
    T_CHECK_STR(st, "HTTP400");
    T_CHECK_STR(msg, "{\"error\":\"invalid_grant\"}");
    ERROR_OF(500, "{\"error\":{\"status\":7,\"message\":[\"m\"]}}");  /* mistyped */
    T_CHECK_STR(st, "HTTP500");
    T_CHECK_STR(msg, "{\"error\":{\"status\":7,\"message\":[\"m\"]}}");
    /* no body at all */
    error_of(503, NULL, 0, st, sizeof st, msg, sizeof msg);
    T_CHECK_STR(st, "HTTP503");
    T_CHECK_STR(msg, "");
    error_of(-1, NULL, 0, st, sizeof st, msg, sizeof msg);
    T_CHECK_STR(st, "HTTP-1");
    /* a long body: its first 200 bytes */
    {
        char body[1000];
        memset(body, 'x', sizeof body);
        error_of(500, body, sizeof body, st, sizeof st, msg, sizeof msg);
        T_CHECK_INT(strlen(msg), 200);
        error_of(500, body, 150, st, sizeof st, msg, sizeof msg);   /* exact size: nothing read past it */
        T_CHECK_INT(strlen(msg), 150);
        memcpy(body, "abc\0def", 7);                                  /* a NUL ends it */
        error_of(500, body, sizeof body, st, sizeof st, msg, sizeof msg);
        T_CHECK_STR(msg, "abc");
    }
    /* cut to small outputs, always terminated */
    error_of(404, LIT("{\"error\":{\"message\":\"Resource not found\",\"status\":\"NOT_FOUND\"}}"), small_st, sizeof small_st, small_msg, sizeof small_msg);
    T_CHECK_STR(small_st, "NOT");
    T_CHECK_STR(small_msg, "Resourc");
    error_of(404, LIT("<html>"), small_st, sizeof small_st, small_msg, sizeof small_msg);
    T_CHECK_STR(small_st, "HTT");
    T_CHECK_STR(small_msg, "<html>");
    error_of(404, LIT("{\"error\":{\"message\":\"m\",\"status\":\"S\"}}"), small_st, 1, small_msg, 1);
    T_CHECK_STR(small_st, "");
    T_CHECK_STR(small_msg, "");
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__pubsub_mark_failed */

static cloudtasks__settle settles[CLOUDTASKS__BATCH_MAX + 1];
static char handles[CLOUDTASKS__BATCH_MAX + 1][32];

/* Entries "ack-0".."ack-10", errors empty; then marks from json over the first n. */
static int mark(const char *json, size_t len, int n) {
    cloudtasks_json_doc *doc = json ? cloudtasks_json_parse(json, len, NULL) : NULL;
    int i, r;
    if (json && !doc) die("bad JSON in a test");
    for (i = 0; i <= CLOUDTASKS__BATCH_MAX; i++) {
        memset(&settles[i], 0, sizeof settles[i]);
        snprintf(handles[i], sizeof handles[i], "ack-%d", i);
        settles[i].handle = handles[i];
        settles[i].seconds = CLOUDTASKS__ACK;
    }
    r = cloudtasks__pubsub_mark_failed(doc, settles, n, "the call failed");
    cloudtasks_json_free(doc);
    return r;
}
#define MARK(lit, n) mark(LIT(lit), (n))

#define ENVELOPE(details) "{\"error\":{\"code\":400,\"message\":\"Some acknowledgement ids in the request were invalid.\"," \
    "\"status\":\"INVALID_ARGUMENT\",\"details\":[" details "]}}"
#define ERRORINFO(meta) "{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"EXACTLY_ONCE_ACKID_FAILURE\"," \
    "\"domain\":\"pubsub.googleapis.com\",\"metadata\":{" meta "}}"

static void test_mark_failed(void) {
    int i;
    T_CHECK_INT(MARK(ENVELOPE(ERRORINFO("\"ack-1\":\"PERMANENT_FAILURE_INVALID_ACK_ID\",\"ack-3\":\"TRANSIENT_FAILURE_UNORDERED_ACK_ID\"")), 5), 2);
    T_CHECK_STR(settles[1].error, "PERMANENT_FAILURE_INVALID_ACK_ID (the lease was lost)");
    T_CHECK_STR(settles[3].error, "TRANSIENT_FAILURE_UNORDERED_ACK_ID (the lease was lost)");
    T_CHECK_STR(settles[0].error, "");
    T_CHECK_STR(settles[2].error, "");
    T_CHECK_STR(settles[4].error, "");
    /* several details; a reason that is no string gives the call's error */
    T_CHECK_INT(MARK(ENVELOPE("{\"@type\":\"type.googleapis.com/google.rpc.DebugInfo\",\"detail\":\"x\"}," ERRORINFO("\"ack-0\":7") "," ERRORINFO("\"ack-9\":\"GONE\"")), 10), 2);
    T_CHECK_STR(settles[0].error, "the call failed (the lease was lost)");
    T_CHECK_STR(settles[9].error, "GONE (the lease was lost)");
    /* only the first n entries; ids must match whole */
    T_CHECK_INT(MARK(ENVELOPE(ERRORINFO("\"ack-1\":\"X\",\"ack-4\":\"Y\",\"ack-\":\"Z\",\"ack-10\":\"W\",\"ACK-2\":\"V\",\" ack-2\":\"U\"")), 3), 1);
    T_CHECK_STR(settles[1].error, "X (the lease was lost)");
    for (i = 0; i <= CLOUDTASKS__BATCH_MAX; i++)
        if (i != 1) T_CHECK_STR(settles[i].error, "");
    /* a long reason is cut, the entry stays terminated */
    {
        char json[1200], reason[701];
        memset(reason, 'R', 700);
        reason[700] = '\0';
        snprintf(json, sizeof json, ENVELOPE(ERRORINFO("\"ack-2\":\"%s\"")), reason);
        T_CHECK_INT(mark(json, strlen(json), 3), 1);
        T_CHECK_INT(strlen(settles[2].error), 200 + strlen(" (the lease was lost)"));
    }
    /* nothing to go by: no mark */
    T_CHECK_INT(mark(NULL, 0, 5), 0);
    T_CHECK_INT(MARK("{}", 5), 0);
    T_CHECK_INT(MARK("[]", 5), 0);
    T_CHECK_INT(MARK("{\"error\":{\"code\":400,\"message\":\"m\",\"status\":\"INVALID_ARGUMENT\"}}", 5), 0);
    T_CHECK_INT(MARK("{\"error\":{\"details\":{\"metadata\":{\"ack-1\":\"X\"}}}}", 5), 0);     /* details no array */
    T_CHECK_INT(MARK("{\"error\":{\"details\":[{\"metadata\":[\"ack-1\",\"X\"]}]}}", 5), 0);     /* metadata no object */
    T_CHECK_INT(MARK("{\"error\":{\"details\":[\"ack-1\",{\"metadata\":\"ack-1\"}]}}", 5), 0);
    T_CHECK_INT(MARK(ENVELOPE(ERRORINFO("\"ack-1\":\"X\"")), 0), 0);
    for (i = 0; i <= CLOUDTASKS__BATCH_MAX; i++) T_CHECK_STR(settles[i].error, "");
}

/* An ack id with a NUL inside is not the id before the NUL (as for the AWS batch ids). */
static void test_mark_failed_nul_in_id(void) {
    int i;
    T_CHECK_INT(MARK(ENVELOPE(ERRORINFO("\"ack-1\\u0000\":\"X\",\"ack-2\\u0000junk\":\"Y\"")), 5), 0);
    for (i = 0; i <= CLOUDTASKS__BATCH_MAX; i++) T_CHECK_STR(settles[i].error, "");
}

/* ---------------------------------------------------------------------------------------------
   cloudtasks__pubsub_settle over a local HTTP server: what an exactly-once subscription answers
   reaches cloudtasks__pubsub_mark_failed */

typedef struct fake_server {
    int fd, port;
    long status;
    const char *body;
    char request[16384];
    size_t request_len;
    int served;
    pthread_t thread;
} fake_server;

/* Answers one request (the first connection) with status and body. */
static void *fake_serve(void *arg) {
    fake_server *s = (fake_server *)arg;
    int c = accept(s->fd, NULL, NULL);
    char head[512];
    size_t want = 0;
    if (c < 0) return NULL;
    s->request_len = 0;
    for (;;) {
        ssize_t n;
        char *end;
        if (s->request_len == sizeof s->request - 1) break;
        n = read(c, s->request + s->request_len, sizeof s->request - 1 - s->request_len);
        if (n <= 0) break;
        s->request_len += (size_t)n;
        s->request[s->request_len] = '\0';
        if ((end = strstr(s->request, "\r\n\r\n")) != NULL) {
            const char *cl = strstr(s->request, "Content-Length: ");
            if (!want) want = (size_t)(end + 4 - s->request) + (cl ? (size_t)strtoul(cl + 16, NULL, 10) : 0);
            if (s->request_len >= want) break;
        }
    }
    snprintf(head, sizeof head, "HTTP/1.1 %ld X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", s->status,
             strlen(s->body));
    if (write(c, head, strlen(head)) < 0 || write(c, s->body, strlen(s->body)) < 0) s->served = -1;
    else s->served = 1;
    close(c);
    return NULL;
}

static int fake_start(fake_server *s, long status, const char *body) {
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    memset(s, 0, sizeof *s);
    s->status = status;
    s->body = body;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((s->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->fd, 4) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &alen) != 0)
        return 0;
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->thread, NULL, fake_serve, s) == 0;
}

static void fake_stop(fake_server *s) {
    shutdown(s->fd, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    close(s->fd);
}

/* Settles ack-0..ack-(n-1) (acknowledgements) against a server answering status/body. */
static int settle_against(long status, const char *body, int n, fake_server *s, cloudtasks_error *err) {
    cloudtasks__gcp *g = new_gcp();
    cloudtasks__pubsub q;
    cloudtasks__http h;
    int i, r;
    memset(&q, 0, sizeof q);
    memset(&h, 0, sizeof h);
    memset(err, 0, sizeof *err);
    pthread_mutex_init(&g->lock, NULL);
    g->source = CLOUDTASKS__GCP_NONE;   /* the emulator's way: no token */
    if (!fake_start(s, status, body)) die("cannot start the local HTTP server");
    snprintf(g->endpoint, sizeof g->endpoint, "http://127.0.0.1:%d", s->port);
    q.gcp = g;
    snprintf(q.subscription, sizeof q.subscription, "projects/p/subscriptions/q-subscription");
    for (i = 0; i <= CLOUDTASKS__BATCH_MAX; i++) {
        memset(&settles[i], 0, sizeof settles[i]);
        snprintf(handles[i], sizeof handles[i], "ack-%d", i);
        settles[i].handle = handles[i];
        settles[i].seconds = CLOUDTASKS__ACK;
    }
    r = cloudtasks__pubsub_settle(&q, &h, settles, n, err);
    fake_stop(s);
    cloudtasks__http_close(&h);
    pthread_mutex_destroy(&g->lock);
    free(g);
    return r;
}

static void test_settle_exactly_once_failures(void) {
    fake_server s;
    cloudtasks_error err;
    const char *with_details = ENVELOPE(ERRORINFO("\"ack-1\":\"PERMANENT_FAILURE_INVALID_ACK_ID\""));
    const char *without = "{\"error\":{\"code\":400,\"message\":\"You have passed an invalid ack ID to the service.\",\"status\":\"INVALID_ARGUMENT\"}}";
    setenv("NO_PROXY", "127.0.0.1", 1);
    setenv("no_proxy", "127.0.0.1", 1);
    /* the answer names ack-1: only that entry failed, as the lease was lost */
    T_CHECK_INT(settle_against(400, with_details, 3, &s, &err), CLOUDTASKS_OK);
    T_CHECK_INT(s.served, 1);
    T_CHECK(strstr(s.request, "POST /v1/projects/p/subscriptions/q-subscription:acknowledge ") != NULL);
    T_CHECK(strstr(s.request, "{\"ackIds\":[\"ack-0\",\"ack-1\",\"ack-2\"]}") != NULL);
    T_CHECK_STR(settles[1].error, "PERMANENT_FAILURE_INVALID_ACK_ID (the lease was lost)");
    T_CHECK_STR(settles[0].error, "");
    T_CHECK_STR(settles[2].error, "");
    /* no names: every entry has the call's error */
    T_CHECK_INT(settle_against(400, without, 2, &s, &err), CLOUDTASKS_OK);
    T_CHECK_INT(s.served, 1);
    T_CHECK(strstr(settles[0].error, "HTTP 400 INVALID_ARGUMENT: You have passed an invalid ack ID to the service.") != NULL);
    T_CHECK_STR(settles[1].error, settles[0].error);
    T_CHECK_STR(settles[2].error, "");
    /* success */
    T_CHECK_INT(settle_against(200, "{}", 2, &s, &err), CLOUDTASKS_OK);
    T_CHECK_STR(settles[0].error, "");
    T_CHECK_STR(settles[1].error, "");
}

/* ---------------------------------------------------------------------------------------------
   base64 */

static void test_base64(void) {
    static const struct { const char *in, *std, *url; } v[] = {   /* RFC 4648 §10 */
        {"", "", ""}, {"f", "Zg==", "Zg"}, {"fo", "Zm8=", "Zm8"}, {"foo", "Zm9v", "Zm9v"}, {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"}, {"foobar", "Zm9vYmFy", "Zm9vYmFy"}, {"\xfb\xff\xfe", "+//+", "-__-"}, {"\xff", "/w==", "_w"},
    };
    static const char *const bad[] = {"Z", "Zm9vY", "Zg=", "Zg===", "Z===", "==", "=", "Zg==Zg==", "Zm=9", "Zm9v!", "Zm9v Yg==", "Zm9v\nYg==", "Zg=a"};
    size_t i;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        cloudtasks__buf b = {0}, d = {0};
        size_t n = strlen(v[i].in);
        cloudtasks__base64(&b, v[i].in, n, 0);
        T_CHECK_STR(b.data ? b.data : "", v[i].std);
        b.len = 0;
        cloudtasks__base64(&b, v[i].in, n, 1);
        T_CHECK_STR(b.data ? b.data : "", v[i].url);
        T_CHECK_INT(cloudtasks__base64_decode(&d, v[i].std, strlen(v[i].std)), 1);
        T_CHECK(d.len == n && (n == 0 || memcmp(d.data, v[i].in, n) == 0));
        d.len = 0;
        T_CHECK_INT(cloudtasks__base64_decode(&d, v[i].url, strlen(v[i].url)), 1);
        T_CHECK(d.len == n && (n == 0 || memcmp(d.data, v[i].in, n) == 0));
        cloudtasks__buf_free(&b);
        cloudtasks__buf_free(&d);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cloudtasks__buf d = {0};
        char *p = exact(bad[i], strlen(bad[i]));
        int r = cloudtasks__base64_decode(&d, p, strlen(bad[i]));
        if (r != 0) printf("#   \"%s\" accepted\n", show(bad[i], strlen(bad[i])));
        T_CHECK_INT(r, 0);
        free(p);
        cloudtasks__buf_free(&d);
    }
    /* every length up to 300, both alphabets */
    for (i = 0; i < 300; i++) {
        unsigned char in[300];
        int url;
        fill(in, i, (uint32_t)i + 1);
        for (url = 0; url < 2; url++) {
            cloudtasks__buf b = {0}, d = {0};
            cloudtasks__base64(&b, in, i, url);
            T_CHECK_INT(b.len, url ? (i * 4 + 2) / 3 : (i + 2) / 3 * 4);
            T_CHECK_INT(cloudtasks__base64_decode(&d, b.data ? b.data : "", b.len), 1);
            T_CHECK(d.len == i && (i == 0 || memcmp(d.data, in, i) == 0));
            cloudtasks__buf_free(&b);
            cloudtasks__buf_free(&d);
        }
    }
}

/* ---------------------------------------------------------------------------------------------
   main */

int main(int argc, char **argv) {
    const char *dir = getenv("TMPDIR");
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: test_gcp\n");
        return 2;
    }
    snprintf(tmp, sizeof tmp, "%s/ct_gcp_XXXXXX", dir && *dir ? dir : "/tmp");
    if (!mkdtemp(tmp)) die("mkdtemp failed");
    have_openssl = system("openssl version >/dev/null 2>&1") == 0;
    python = find_python();

    T_RUN(test_base64);
    T_RUN(test_rfc7515_a2);
    T_RUN(test_pem_oversized_integers);
    T_RUN(test_jwt_contents);
    if (have_openssl) {
        T_RUN(test_sign_like_openssl);
        T_RUN(test_sign_odd_sizes);
        T_RUN(test_pem_forms);
        T_RUN(test_jwt_verifies);
        if (pyjwt_skipped) T_SKIP("jwt verified by PyJWT", "no python3 with the jwt and cryptography modules");
    } else {
        T_SKIP("test_sign_like_openssl", "openssl not found");
        T_SKIP("test_sign_odd_sizes", "openssl not found");
        T_SKIP("test_pem_forms", "openssl not found");
        T_SKIP("test_jwt_verifies", "openssl not found");
    }
    T_RUN(test_take_token_ok);
    T_RUN(test_take_token_refused);
    T_RUN(test_take_token_no_token);
    T_RUN(test_take_token_too_long);
    T_RUN(test_take_token_empty_or_nul);
    T_RUN(test_load_service_account);
    T_RUN(test_load_authorized_user);
    T_RUN(test_load_other_files);
    T_RUN(test_google_error_of);
    T_RUN(test_mark_failed);
    T_RUN(test_mark_failed_nul_in_id);
    T_RUN(test_settle_exactly_once_failures);

    {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) printf("# could not remove %s\n", tmp);
    }
    curl_global_cleanup();
    T_EXIT();
}

/* libFuzzer target for the settings reader (tests/fuzz/run.sh builds and runs it).
   fuzz-seeds:

   The input is split at NUL bytes. A piece "NAME=VALUE" whose NAME is one of the settings'
   environment variables (RMS_CLOUD_TASKS_*, RMS_CLOUD_WORKER_*) sets that variable; every other
   piece is the next command-line argument after argv[0] (at most 64). Every setting variable is
   unset before and after each run, so nothing else in the environment counts.

   - cloudtasks__parse_number, on every piece: it accepts exactly the documented grammar
     (space* [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)? space*, space being
     ' ', '\t', '\n') when the value is finite, and then gives strtod's double bit for bit (so
     correctly rounded, -0 included). Texts longer than 370 bytes may be refused (its buffer).
   - cloudtasks__config_load, on the arguments and variables: a model of the documented rules
     (the command line wins over the environment, an empty value counts as unset for text
     settings, --no-X for switches, --X=V or --X V, "--" ends the options, -h/--help/--version,
     each kind's range, at most CLOUDTASKS__MAX_TASKS_AT_ONCE tasks at once (a default above it
     is cut to it), at most 1e9 GB per task, then the reference's consistency checks) predicts
     the outcome (run, exit ok, error with a message) and, when it runs, every field, the source
     of every setting, the text cloudtasks_worker_setting would show (which reads back as the
     number), and the arguments after "--". A second call must give the same answers, and so
     must a third with every setting given on the command line also set, to a value no setting
     accepts, in the environment (the command line wins).
   config_load copies the provider (upper-cased) with the library's allocator and keeps it for the
   process's life (by design); the target frees it after each call.
   A failed check prints what differed and aborts, which libFuzzer reports as a crash.

   A whole-number setting far beyond the range of long long ("--max-num-tasks 1e19") once made
   set_option convert the double first: undefined behaviour that clang's -fsanitize=undefined
   reports (float-cast-overflow; gcc's -fsanitize=undefined does not include that check, so the
   regression input tests/fuzz/regress/config-whole-number-beyond-long-long only fails with
   clang, e.g. CC=clang bash tests/fuzz/replay.sh).

   FUZZ_REPLAY_MAIN: see fuzz_json.c. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* ============================== parse_number ============================== */

static int pn_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }
static int pn_digit(char c) { return c >= '0' && c <= '9'; }

/* The documented grammar; fills core with the text without the surrounding space. */
static int number_grammar(const char *s, char *core) {
    size_t i = 0, start, digits = 0;
    while (pn_space(s[i])) i++;
    start = i;
    if (s[i] == '+' || s[i] == '-') i++;
    while (pn_digit(s[i])) { i++; digits++; }
    if (s[i] == '.') { i++; while (pn_digit(s[i])) { i++; digits++; } }
    if (digits == 0) return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (s[i] == '+' || s[i] == '-') i++;
        if (!pn_digit(s[i])) return 0;
        while (pn_digit(s[i])) i++;
    }
    size_t end = i;
    while (pn_space(s[i])) i++;
    if (s[i] != '\0') return 0;
    memcpy(core, s + start, end - start);
    core[end - start] = '\0';
    return 1;
}

static void check_parse_number(const char *text) {
    size_t n = strlen(text);
    char *core = (char *)malloc(n + 1);
    CHECK(core != NULL);
    double got = 12345.5, want = 0;
    int r = cloudtasks__parse_number(text, &got);
    int g = number_grammar(text, core);
    if (g) want = strtod(core, NULL);   /* the C locale: this program never calls setlocale */
    int finite = g && want - want == 0;
    CHECK(r == 0 || r == 1);
    if (r) {
        if (!g) fprintf(stderr, "parse_number accepted \"%s\" (%.17g)\n", text, got);
        CHECK_WHY(g, "parse_number accepted text outside the grammar");
        CHECK_WHY(got - got == 0, "parse_number gave an infinity or NaN");
        if (!same_double(got, want)) fprintf(stderr, "parse_number(\"%s\") = %.17g (%a), strtod %.17g (%a)\n", text, got, got, want, want);
        CHECK_WHY(same_double(got, want), "parse_number differs from strtod");
    } else if (finite && n <= 370) {
        fprintf(stderr, "parse_number refused \"%s\"; strtod reads %.17g\n", text, want);
        CHECK_WHY(0, "parse_number refused a finite number of the grammar");
    }
    free(core);
}

/* ============================== config_load ============================== */

#define MAX_ARGS 64
#define NOPT CLOUDTASKS__OPTION_COUNT

enum { SRC_NONE = 0, SRC_CLI = 1, SRC_ENV = 2 };

typedef struct model {
    int rc;                         /* CLOUDTASKS__CONFIG_RUN, _EXIT_OK or _EXIT_ERROR */
    const char *text[NOPT];         /* each setting's resolved text, or NULL */
    int from[NOPT];
    double number[NOPT];            /* parsed numbers */
    int user_at;                    /* index in argv after "--", or -1 */
    int event_queue_on_cli;
} model;

static int is_text_kind(int kind) { return kind == CLOUDTASKS__OPT_STRING || kind == CLOUDTASKS__OPT_UPPER; }

static int caseeq(const char *a, const char *b) {
    for (;; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return 0;
        if (!x) return 1;
    }
}

static int opt_index(const char *flag) {
    for (size_t i = 0; i < NOPT; i++) if (strcmp(cloudtasks__options[i].flag, flag) == 0) return (int)i;
    fprintf(stderr, "no option %s\n", flag);
    abort();
}

/* The documented rules, written out again. */
static void run_model(model *m, int argc, char **argv) {
    const char *cli[NOPT] = {0};
    memset(m, 0, sizeof *m);
    m->user_at = -1;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--") == 0) { m->user_at = a + 1; break; }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "--version") == 0) {
            m->rc = CLOUDTASKS__CONFIG_EXIT_OK;
            return;
        }
        if (strcmp(arg, "-v") == 0) arg = "--verbose";
        if (strncmp(arg, "--", 2) != 0) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int found = -1, negated = 0;
        for (size_t i = 0; i < NOPT && found < 0; i++) {
            const cloudtasks__option *o = &cloudtasks__options[i];
            if (o->kind == CLOUDTASKS__OPT_BOOL && len == strlen(o->flag) + 3 && memcmp(name, "no-", 3) == 0 &&
                memcmp(name + 3, o->flag, len - 3) == 0) { found = (int)i; negated = 1; }
        }
        for (size_t i = 0; i < NOPT && found < 0; i++)
            if (strlen(cloudtasks__options[i].flag) == len && memcmp(cloudtasks__options[i].flag, name, len) == 0) found = (int)i;
        if (found < 0) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
        const cloudtasks__option *o = &cloudtasks__options[found];
        const char *value;
        if (o->kind == CLOUDTASKS__OPT_BOOL) {
            if (eq) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
            value = negated ? "false" : "true";
        } else if (eq) value = eq + 1;
        else if (a + 1 < argc) value = argv[++a];
        else { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
        cli[found] = value;
        if (strcmp(o->flag, "event-log-to-queue") == 0) m->event_queue_on_cli = !negated;
    }
    int bad = 0;
    for (size_t i = 0; i < NOPT; i++) {
        const cloudtasks__option *o = &cloudtasks__options[i];
        const char *env = o->env ? getenv(o->env) : NULL;
        if (cli[i] && (cli[i][0] || !is_text_kind(o->kind))) { m->text[i] = cli[i]; m->from[i] = SRC_CLI; }
        else if (env && env[0]) { m->text[i] = env; m->from[i] = SRC_ENV; }
        if (!m->text[i] || is_text_kind(o->kind) || o->kind == CLOUDTASKS__OPT_BOOL) continue;
        double x;
        if (!cloudtasks__parse_number(m->text[i], &x)) { bad = 1; continue; }
        m->number[i] = x;
        int whole = o->kind == CLOUDTASKS__OPT_COUNT || o->kind == CLOUDTASKS__OPT_POSITIVE;
        if ((whole && (x != floor(x) || x > 1e15)) || (o->kind == CLOUDTASKS__OPT_POSITIVE && x < 1) ||
            ((o->kind == CLOUDTASKS__OPT_SECONDS || o->kind == CLOUDTASKS__OPT_GB) && x <= 0) ||
            ((o->kind == CLOUDTASKS__OPT_COUNT || o->kind == CLOUDTASKS__OPT_NONNEG) && x < 0))
            bad = 1;
    }
    if (bad) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
    /* the bounds on resources: tasks at once when given (the default, --num-cpus or the online
       CPUs, is cut to the bound instead), and the memory limit */
    int sim = opt_index("num-simultaneous-tasks"), mem = opt_index("max-memory-allowed-per-task");
    if (m->text[sim] && m->number[sim] > CLOUDTASKS__MAX_TASKS_AT_ONCE) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
    if (m->text[mem] && m->number[mem] > 1e9) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
    const char *provider = m->text[opt_index("provider")], *task_file = m->text[opt_index("task-file")];
    const char *queue = m->text[opt_index("queue-name")] ? m->text[opt_index("queue-name")] : m->text[opt_index("job-id")];
    int to_queue = task_file == NULL;
    if (m->text[opt_index("event-log-to-queue")]) {
        const char *t = m->text[opt_index("event-log-to-queue")];
        to_queue = caseeq(t, "true") || strcmp(t, "1") == 0;
    }
    if (!provider && !task_file) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
    if (!provider && task_file && m->event_queue_on_cli) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
    if (!queue && !task_file) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
    if (to_queue && !queue) { m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR; return; }
    if (provider && !caseeq(provider, "aws") && !caseeq(provider, "gcp") && !caseeq(provider, "azure")) {
        m->rc = CLOUDTASKS__CONFIG_EXIT_ERROR;
        return;
    }
    m->rc = CLOUDTASKS__CONFIG_RUN;
}

static const char *expect_rc_name(int rc) {
    return rc == CLOUDTASKS__CONFIG_RUN ? "run" : rc == CLOUDTASKS__CONFIG_EXIT_OK ? "exit ok" : rc == CLOUDTASKS__CONFIG_EXIT_ERROR ? "error" : "?";
}

/* Every field against the model, for a call that returned RUN. */
static void check_run(const cloudtasks__config *c, const model *m, int argc, char **argv) {
    char what[160];
    for (size_t i = 0; i < NOPT; i++) {
        const cloudtasks__option *o = &cloudtasks__options[i];
        const char *field = (const char *)c + o->offset;
        const char *t = m->text[i];
        snprintf(what, sizeof what, "setting --%s differs from the model", o->flag);
        CHECK_WHY(c->from_cli[i] == m->from[i], what);
        switch (o->kind) {
        case CLOUDTASKS__OPT_STRING: {
            const char *v = *(const char *const *)(const void *)field;
            if (strcmp(o->flag, "queue-name") == 0 && !t) t = m->text[opt_index("job-id")];
            if (!t && strcmp(o->flag, "event-log-file") == 0) CHECK_WHY(v && strcmp(v, "events.log") == 0, what);
            else CHECK_WHY(t ? v && v != t && strcmp(v, t) == 0 : v == NULL, what);   /* a copy of the argument or variable */
            CHECK_WHY(c->values[i] == v, what);
            break;
        }
        case CLOUDTASKS__OPT_UPPER: {
            const char *v = *(const char *const *)(const void *)field;
            if (!t) { CHECK_WHY(v == NULL && c->values[i] == NULL, what); break; }
            CHECK_WHY(v != NULL && strlen(v) == strlen(t) && c->values[i] == v, what);
            for (size_t k = 0; t[k]; k++) CHECK_WHY(v[k] == (t[k] >= 'a' && t[k] <= 'z' ? t[k] - 32 : t[k]), what);
            break;
        }
        case CLOUDTASKS__OPT_BOOL: {
            int v = *(const int *)(const void *)field, want;
            if (t) want = caseeq(t, "true") || strcmp(t, "1") == 0;
            else if (strcmp(o->flag, "event-log-to-file") == 0) want = c->task_file != NULL;
            else if (strcmp(o->flag, "event-log-to-queue") == 0) want = c->task_file == NULL;
            else want = 0;
            CHECK_WHY(v == want, what);
            CHECK_WHY(c->values[i] && strcmp(c->values[i], want ? "true" : "false") == 0, what);
            break;
        }
        default: {
            double v = *(const double *)(const void *)field;
            if (t) {
                CHECK_WHY(same_double(v, m->number[i]), what);
                CHECK_WHY(c->values[i] && strcmp(c->values[i], t) == 0, what);   /* a number reads as it was written */
            } else {
                double x;
                if (strcmp(o->flag, "num-simultaneous-tasks") == 0) {
                    double cpus = c->num_cpus;
                    long online = sysconf(_SC_NPROCESSORS_ONLN);
                    double want = cpus > 0 ? cpus : online > 0 ? (double)online : 1.0;
                    if (want > CLOUDTASKS__MAX_TASKS_AT_ONCE) want = CLOUDTASKS__MAX_TASKS_AT_ONCE;
                    CHECK_WHY(same_double(v, want), what);
                } else if (o->kind == CLOUDTASKS__OPT_REAL || v >= 0) {
                    /* a default: the documented one where the table names a number */
                    char *end;
                    double d = strtod(o->default_text, &end);
                    if (*end == '\0') CHECK_WHY(same_double(v, d), what);
                } else {
                    CHECK_WHY(same_double(v, CLOUDTASKS__UNSET), what);
                }
                if (o->kind == CLOUDTASKS__OPT_REAL || v >= 0) {
                    CHECK_WHY(c->values[i] != NULL && cloudtasks__parse_number(c->values[i], &x) && same_double(x, v),
                              "a default number's text does not read back as the number");
                } else {
                    CHECK_WHY(c->values[i] == NULL, what);
                }
            }
            /* the ranges the kinds promise */
            if (v != CLOUDTASKS__UNSET || t) {
                CHECK(v - v == 0);
                if (o->kind == CLOUDTASKS__OPT_COUNT || o->kind == CLOUDTASKS__OPT_POSITIVE) CHECK_WHY(v == floor(v) && v <= 1e15, what);
                if (o->kind == CLOUDTASKS__OPT_POSITIVE) CHECK_WHY(v >= 1, what);
                if (o->kind == CLOUDTASKS__OPT_SECONDS || o->kind == CLOUDTASKS__OPT_GB) CHECK_WHY(v > 0, what);
                if (o->kind == CLOUDTASKS__OPT_COUNT || o->kind == CLOUDTASKS__OPT_NONNEG) CHECK_WHY(v >= 0, what);
            }
            break;
        }
        }
    }
    /* the reference's consistency rules hold */
    CHECK(c->provider || c->task_file);
    CHECK(c->queue_name || c->task_file);
    CHECK(!c->event_log_to_queue || c->queue_name);
    CHECK(!c->provider || strcmp(c->provider, "AWS") == 0 || strcmp(c->provider, "GCP") == 0 || strcmp(c->provider, "AZURE") == 0);
    if (m->user_at >= 0) CHECK_WHY(c->user_argv == argv + m->user_at && c->user_argc == argc - m->user_at, "the arguments after -- differ");
    else CHECK_WHY(c->user_argc == 0 && c->user_argv == NULL, "arguments after -- without a --");
}


static void unset_all(void) {
    for (size_t i = 0; i < NOPT; i++) if (cloudtasks__options[i].env) unsetenv(cloudtasks__options[i].env);
}

static void setup(void) {
    static int done;
    if (done) return;
    done = 1;
    /* --help and --version print to stdout: keep that out of the fuzzer's way */
    if (!freopen("/dev/null", "w", stdout)) { perror("freopen"); abort(); }
}

/* One call of config_load against the model. */
static void call_and_check(int argc, char **args, const model *m) {
    cloudtasks__config c;
    cloudtasks__buf why = {0};
    memset(&c, 0x5a, sizeof c);
    int rc = cloudtasks__config_load(&c, argc, args, &why);
    if (rc != m->rc) {
        fprintf(stderr, "config_load: %s (%s); the model: %s\n", expect_rc_name(rc), why.data ? why.data : "",
                expect_rc_name(m->rc));
        for (int a = 0; a < argc; a++) dump("argv", args[a], strlen(args[a]));
        for (size_t k = 0; k < NOPT; k++)
            if (cloudtasks__options[k].env && getenv(cloudtasks__options[k].env))
                fprintf(stderr, "  %s=%s\n", cloudtasks__options[k].env, getenv(cloudtasks__options[k].env));
    }
    CHECK_WHY(rc == m->rc, "config_load's outcome differs from the model");
    CHECK(!why.oom);
    if (rc == CLOUDTASKS__CONFIG_EXIT_ERROR) CHECK_WHY(why.len > 0 && strlen(why.data) == why.len, "an error without a message");
    else CHECK_WHY(why.len == 0, "a message without an error");
    if (rc == CLOUDTASKS__CONFIG_RUN) check_run(&c, m, argc, args);
    /* the provider is the one allocation config_load keeps: it clears the config first, so on
       every path the field is NULL or that copy */
    cloudtasks__config_free(&c);
    cloudtasks__buf_free(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cur_data = data; cur_size = size;
    setup();
    unset_all();

    /* pieces, each a separate exact-size allocation */
    char *args[MAX_ARGS + 2];
    char *owned[MAX_ARGS + 2 * NOPT + 8];   /* the input's pieces, then the extra variables below */
    size_t n_owned = 0;
    int argc = 0;
    args[argc++] = (char *)"worker";
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\0') continue;
        size_t len = i - start;
        char *piece = (char *)malloc(len + 1);
        CHECK(piece != NULL);
        memcpy(piece, data + start, len);
        piece[len] = '\0';
        start = i + 1;
        if (n_owned == MAX_ARGS + NOPT + 8) { free(piece); break; }
        owned[n_owned++] = piece;
        check_parse_number(piece);
        const char *eq = strchr(piece, '=');
        int is_env = 0;
        if (eq && strncmp(piece, "RMS_CLOUD_", 10) == 0) {
            for (size_t k = 0; k < NOPT; k++) {
                const char *env = cloudtasks__options[k].env;
                if (env && strlen(env) == (size_t)(eq - piece) && memcmp(env, piece, (size_t)(eq - piece)) == 0) {
                    putenv(piece);   /* not setenv: glibc keeps every value setenv ever copied */
                    is_env = 1;
                }
            }
        }
        if (!is_env && argc < MAX_ARGS + 1) args[argc++] = piece;
    }
    args[argc] = NULL;

    model m;
    run_model(&m, argc, args);
    {
        call_and_check(argc, args, &m);
        call_and_check(argc, args, &m);   /* a second call answers the same */
        /* the command line wins: every setting given there also gets a variable, with a value no
           setting accepts; nothing may change */
        int any = 0;
        for (size_t k = 0; k < NOPT && n_owned < sizeof owned / sizeof owned[0]; k++) {
            const char *env = cloudtasks__options[k].env;
            if (m.from[k] != SRC_CLI || !env) continue;
            size_t len = strlen(env) + sizeof "=\001bogus";
            char *piece = (char *)malloc(len);
            CHECK(piece != NULL);
            snprintf(piece, len, "%s=\001bogus", env);
            owned[n_owned++] = piece;
            putenv(piece);
            any = 1;
        }
        if (any) {
            model again;
            run_model(&again, argc, args);
            CHECK(again.rc == m.rc);
            call_and_check(argc, args, &again);
        }
    }
    unset_all();   /* before the pieces that putenv put there are freed */
    for (size_t i = 0; i < n_owned; i++) free(owned[i]);
    return 0;
}

#include "replay_main.h"

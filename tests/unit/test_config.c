/* Tests of the configuration layer of cloudtasks.h: cloudtasks__config_load() over argv arrays and
   the environment. Every test first removes all RMS_CLOUD_* variables, then sets the ones it needs
   with setenv(). The expected behaviour is the reference worker's (CLI > environment > default, an
   empty value is unset, booleans from the environment are true only for "true"/"1" in any case,
   the reference's validation messages) plus the documented messages of docs/configuration.md.

   ./test_config      the unit tests, one TAP line each */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include "testing.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* ---------------------------------------------------------------------------------------------
   helpers */

static void clear_env(void) {
    for (;;) {
        char name[256];
        char **e;
        int found = 0;
        for (e = environ; e && *e; e++) {
            if (strncmp(*e, "RMS_CLOUD_", 10) == 0) {
                const char *eq = strchr(*e, '=');
                size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
                if (n >= sizeof name) n = sizeof name - 1;
                memcpy(name, *e, n);
                name[n] = 0;
                found = 1;
                break;
            }
        }
        if (!found) return;
        unsetenv(name);
    }
}

/* One cloudtasks__config_load() call: argv is kept here because the config points into it. */
typedef struct run {
    cloudtasks__config c;
    cloudtasks__buf why;
    int rc;
    int argc;
    char *argv[64];
} run;

static void run_free(run *r) {
    cloudtasks__config_free(&r->c);   /* the copies config_load made */
    r->c.provider = NULL;
    cloudtasks__buf_free(&r->why);
}

/* load(&r, "--flag", "value", ..., NULL): argv[0] is "worker". Returns the result code. */
static int load(run *r, ...) {
    va_list ap;
    const char *a;
    memset(r, 0, sizeof *r);
    r->argv[r->argc++] = (char *)"worker";
    va_start(ap, r);
    while ((a = va_arg(ap, const char *)) != NULL && r->argc < 63) r->argv[r->argc++] = (char *)a;
    va_end(ap);
    r->argv[r->argc] = NULL;
    memset(&r->c, 0xA5, sizeof r->c);                   /* garbage, so a field left unset shows */
    r->rc = cloudtasks__config_load(&r->c, r->argc, r->argv, &r->why);
    return r->rc;
}

static const char *why_text(const run *r) { return r->why.data && r->why.len ? r->why.data : ""; }

static int opt_index(const char *flag) {
    size_t i;
    for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++)
        if (strcmp(cloudtasks__options[i].flag, flag) == 0) return (int)i;
    printf("# no option --%s in the table\n", flag);
    return 0;
}

/* The load must succeed (RUN). */
static void ok_run(int line, run *r) {
    if (r->rc != CLOUDTASKS__CONFIG_RUN) {
        printf("#   %s:%d: config_load returned %d, want RUN: %s\n", __FILE__, line, r->rc, why_text(r));
        t_failures_in_test++;
    }
}
#define OK_RUN(r) ok_run(__LINE__, r)

/* The load must fail (EXIT_ERROR) with a message containing each of the given substrings. */
static void fails_with(int line, run *r, const char *sub1, const char *sub2) {
    if (r->rc != CLOUDTASKS__CONFIG_EXIT_ERROR) {
        printf("#   %s:%d: config_load returned %d, want EXIT_ERROR (message \"%s\")\n", __FILE__, line, r->rc, why_text(r));
        t_failures_in_test++;
        return;
    }
    if (!strstr(why_text(r), sub1) || (sub2 && !strstr(why_text(r), sub2))) {
        printf("#   %s:%d: message \"%s\" does not contain \"%s\"%s%s%s\n", __FILE__, line, why_text(r), sub1,
               sub2 ? " and \"" : "", sub2 ? sub2 : "", sub2 ? "\"" : "");
        t_failures_in_test++;
    }
}
#define FAILS(r, sub) fails_with(__LINE__, r, sub, NULL)
#define FAILS2(r, sub1, sub2) fails_with(__LINE__, r, sub1, sub2)

static void num_is(int line, double got, double want) {
    if (!(got == want) || signbit(got) != signbit(want)) {
        printf("#   %s:%d: got %.17g, want %.17g\n", __FILE__, line, got, want);
        t_failures_in_test++;
    }
}
#define NUM(got, want) num_is(__LINE__, got, want)

static double online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (double)n : 1.0;
}

/* ---------------------------------------------------------------------------------------------
   defaults */

static void test_defaults_task_file(void) {
    run r;
    size_t i;
    clear_env();
    load(&r, "--task-file", "tasks.json", NULL);
    OK_RUN(&r);
    T_CHECK(r.why.len == 0);
    T_CHECK_STR(r.c.task_file, "tasks.json");
    T_CHECK(r.c.provider == NULL);
    T_CHECK(r.c.project_id == NULL);
    T_CHECK(r.c.job_id == NULL);
    T_CHECK(r.c.queue_name == NULL);
    T_CHECK(r.c.instance_type == NULL);
    T_CHECK_STR(r.c.event_log_file, "events.log");
    T_CHECK_INT(r.c.event_log_to_file, 1);        /* true with a task file */
    T_CHECK_INT(r.c.event_log_to_queue, 0);
    T_CHECK_INT(r.c.exactly_once, 0);
    T_CHECK_INT(r.c.is_spot, 0);
    T_CHECK_INT(r.c.retry_on_exit, 0);
    T_CHECK_INT(r.c.retry_on_exception, 0);
    T_CHECK_INT(r.c.retry_on_timeout, 0);
    T_CHECK_INT(r.c.use_new_process, 0);
    T_CHECK_INT(r.c.verbose, 0);
    NUM(r.c.max_runtime, 3600);
    NUM(r.c.shutdown_grace, 120);
    NUM(r.c.keepalive_interval, 60);
    NUM(r.c.visibility_timeout, 30);
    NUM(r.c.tasks_to_skip, 0);
    NUM(r.c.num_simultaneous, online_cpus());
    /* unset numbers read as CLOUDTASKS__UNSET */
    NUM(r.c.num_cpus, CLOUDTASKS__UNSET);
    NUM(r.c.memory_gb, CLOUDTASKS__UNSET);
    NUM(r.c.local_ssd_gb, CLOUDTASKS__UNSET);
    NUM(r.c.boot_disk_gb, CLOUDTASKS__UNSET);
    NUM(r.c.price, CLOUDTASKS__UNSET);
    NUM(r.c.max_memory_gb, CLOUDTASKS__UNSET);
    NUM(r.c.simulate_after, CLOUDTASKS__UNSET);
    NUM(r.c.simulate_delay, CLOUDTASKS__UNSET);
    NUM(r.c.exit_when_idle, CLOUDTASKS__UNSET);
    NUM(r.c.max_num_tasks, CLOUDTASKS__UNSET);
    NUM(r.c.max_tasks_per_process, CLOUDTASKS__UNSET);
    T_CHECK_INT(r.c.user_argc, 0);
    T_CHECK(r.c.user_argv == NULL);
    /* only the task file was set, from the command line; the rest are defaults */
    for (i = 0; i < CLOUDTASKS__OPTION_COUNT; i++) T_CHECK_INT(r.c.from_cli[i], (int)i == opt_index("task-file") ? 1 : 0);
    /* the resolved text of every setting, defaults included; NULL when unset */
    T_CHECK_STR(r.c.values[opt_index("task-file")], r.argv[2]);
    T_CHECK(r.c.values[opt_index("provider")] == NULL);
    T_CHECK(r.c.values[opt_index("project-id")] == NULL);
    T_CHECK(r.c.values[opt_index("job-id")] == NULL);
    T_CHECK(r.c.values[opt_index("queue-name")] == NULL);
    T_CHECK(r.c.values[opt_index("instance-type")] == NULL);
    T_CHECK_STR(r.c.values[opt_index("event-log-file")], "events.log");
    T_CHECK_STR(r.c.values[opt_index("event-log-to-file")], "true");
    T_CHECK_STR(r.c.values[opt_index("event-log-to-queue")], "false");
    T_CHECK_STR(r.c.values[opt_index("is-spot")], "false");
    T_CHECK_STR(r.c.values[opt_index("verbose")], "false");
    T_CHECK_STR(r.c.values[opt_index("max-runtime")], "3600");
    T_CHECK_STR(r.c.values[opt_index("shutdown-grace-period")], "120");
    T_CHECK_STR(r.c.values[opt_index("keepalive-interval")], "60");
    T_CHECK_STR(r.c.values[opt_index("visibility-timeout")], "30");
    T_CHECK_STR(r.c.values[opt_index("tasks-to-skip")], "0");
    {
        char cpus[32];
        snprintf(cpus, sizeof cpus, "%.0f", online_cpus());
        T_CHECK_STR(r.c.values[opt_index("num-simultaneous-tasks")], cpus);
    }
    T_CHECK(r.c.values[opt_index("num-cpus")] == NULL);
    T_CHECK(r.c.values[opt_index("memory")] == NULL);
    T_CHECK(r.c.values[opt_index("price")] == NULL);
    T_CHECK(r.c.values[opt_index("max-memory-allowed-per-task")] == NULL);
    T_CHECK(r.c.values[opt_index("max-num-tasks")] == NULL);
    T_CHECK(r.c.values[opt_index("max-tasks-per-process")] == NULL);
    T_CHECK(r.c.values[opt_index("exit-when-idle")] == NULL);
    T_CHECK(r.c.values[opt_index("simulate-spot-termination-after")] == NULL);
    T_CHECK(CLOUDTASKS__OPTION_COUNT <= sizeof r.c.values / sizeof r.c.values[0]);
    T_CHECK(CLOUDTASKS__OPTION_COUNT <= sizeof r.c.from_cli / sizeof r.c.from_cli[0]);
    run_free(&r);
}

static void test_defaults_queue(void) {
    run r;
    clear_env();
    setenv("RMS_CLOUD_TASKS_PROVIDER", "aws", 1);
    setenv("RMS_CLOUD_TASKS_JOB_ID", "job-7", 1);
    load(&r, NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.provider, "AWS");
    T_CHECK_STR(r.c.job_id, "job-7");
    T_CHECK(r.c.queue_name == r.c.job_id);           /* queue name defaults to the job id */
    T_CHECK(r.c.values[opt_index("queue-name")] == r.c.job_id);
    T_CHECK(r.c.task_file == NULL);
    T_CHECK_INT(r.c.event_log_to_file, 0);
    T_CHECK_INT(r.c.event_log_to_queue, 1);          /* true without a task file */
    T_CHECK_INT(r.c.from_cli[opt_index("provider")], 2);
    T_CHECK_INT(r.c.from_cli[opt_index("queue-name")], 0);
    run_free(&r);
    clear_env();

    /* an explicit queue name wins over the job id */
    load(&r, "--provider", "gcp", "--job-id", "j", "--queue-name", "q", NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.provider, "GCP");
    T_CHECK_STR(r.c.queue_name, "q");
    T_CHECK_STR(r.c.job_id, "j");
    run_free(&r);
    load(&r, "--provider", "Azure", "--queue-name", "q", NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.provider, "AZURE");
    T_CHECK(r.c.job_id == NULL);
    run_free(&r);

    /* num-simultaneous-tasks: --num-cpus, else the online CPUs; an explicit value wins */
    load(&r, "--task-file", "t.json", "--num-cpus", "3", NULL);
    OK_RUN(&r);
    NUM(r.c.num_cpus, 3);
    NUM(r.c.num_simultaneous, 3);
    run_free(&r);
    setenv("RMS_CLOUD_TASKS_INSTANCE_NUM_VCPUS", "5", 1);
    load(&r, "--task-file", "t.json", NULL);
    NUM(r.c.num_simultaneous, 5);
    run_free(&r);
    load(&r, "--task-file", "t.json", "--num-simultaneous-tasks", "7", NULL);
    NUM(r.c.num_simultaneous, 7);
    NUM(r.c.num_cpus, 5);
    run_free(&r);
    clear_env();
}

/* ---------------------------------------------------------------------------------------------
   precedence */

static void test_precedence(void) {
    run r;
    clear_env();
    /* default < environment < command line, for numbers, strings and booleans */
    setenv("RMS_CLOUD_TASKS_MAX_RUNTIME", "100", 1);
    setenv("RMS_CLOUD_TASKS_JOB_ID", "env-job", 1);
    setenv("RMS_CLOUD_TASKS_RETRY_ON_EXIT", "true", 1);
    setenv("RMS_CLOUD_TASKS_TASK_FILE", "env.json", 1);
    load(&r, NULL);
    OK_RUN(&r);
    NUM(r.c.max_runtime, 100);
    T_CHECK_STR(r.c.job_id, "env-job");
    T_CHECK_INT(r.c.retry_on_exit, 1);
    T_CHECK_STR(r.c.task_file, "env.json");
    T_CHECK_INT(r.c.from_cli[opt_index("max-runtime")], 2);
    T_CHECK_STR(r.c.values[opt_index("max-runtime")], "100");
    T_CHECK_INT(r.c.event_log_to_file, 1);        /* a task file from the environment counts too */
    T_CHECK_INT(r.c.event_log_to_queue, 0);
    run_free(&r);

    load(&r, "--max-runtime", "200", "--job-id", "cli-job", "--no-retry-on-exit", "--task-file", "cli.jsonl", NULL);
    OK_RUN(&r);
    NUM(r.c.max_runtime, 200);
    T_CHECK_STR(r.c.job_id, "cli-job");
    T_CHECK_INT(r.c.retry_on_exit, 0);
    T_CHECK_STR(r.c.task_file, "cli.jsonl");
    T_CHECK_INT(r.c.from_cli[opt_index("max-runtime")], 1);
    T_CHECK_STR(r.c.values[opt_index("max-runtime")], "200");
    T_CHECK_STR(r.c.values[opt_index("retry-on-exit")], "false");
    run_free(&r);

    /* a bad environment value that the command line overrides is never looked at */
    setenv("RMS_CLOUD_TASKS_MAX_RUNTIME", "abc", 1);
    load(&r, "--max-runtime", "5", NULL);
    OK_RUN(&r);
    NUM(r.c.max_runtime, 5);
    run_free(&r);

    /* an empty environment value is unset: the default applies */
    clear_env();
    setenv("RMS_CLOUD_TASKS_MAX_RUNTIME", "", 1);
    setenv("RMS_CLOUD_TASKS_PROJECT_ID", "", 1);
    setenv("RMS_CLOUD_TASKS_EVENT_LOG_TO_FILE", "", 1);
    setenv("RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK", "", 1);
    setenv("RMS_CLOUD_TASKS_PROVIDER", "", 1);
    load(&r, "--task-file", "t.json", NULL);
    OK_RUN(&r);
    NUM(r.c.max_runtime, 3600);
    T_CHECK(r.c.project_id == NULL);
    T_CHECK(r.c.provider == NULL);
    T_CHECK_INT(r.c.event_log_to_file, 1);        /* the task-file default, not "" = false */
    NUM(r.c.max_memory_gb, CLOUDTASKS__UNSET);
    T_CHECK_INT(r.c.from_cli[opt_index("max-runtime")], 0);
    T_CHECK(r.c.values[opt_index("project-id")] == NULL);
    run_free(&r);

    /* an empty command-line string falls through to the environment (the reference's `or`) */
    clear_env();
    setenv("RMS_CLOUD_TASKS_JOB_ID", "env-job", 1);
    setenv("RMS_CLOUD_TASKS_TASK_FILE", "env.json", 1);
    load(&r, "--job-id", "", "--task-file=", NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.job_id, "env-job");
    T_CHECK_STR(r.c.task_file, "env.json");
    T_CHECK_INT(r.c.from_cli[opt_index("job-id")], 2);
    run_free(&r);

    /* the last of a repeated flag wins */
    clear_env();
    load(&r, "--task-file", "a.json", "--max-runtime", "5", "--max-runtime=6", "--task-file", "b.json", "--is-spot",
         "--no-is-spot", "--no-retry-on-timeout", "--retry-on-timeout", NULL);
    OK_RUN(&r);
    NUM(r.c.max_runtime, 6);
    T_CHECK_STR(r.c.task_file, "b.json");
    T_CHECK_INT(r.c.is_spot, 0);
    T_CHECK_INT(r.c.retry_on_timeout, 1);
    run_free(&r);
}

/* The provider is a string option too: `args.provider or os.getenv(...)` in the reference, so an
   empty --provider falls through to RMS_CLOUD_TASKS_PROVIDER like every other string. */
static void test_empty_cli_provider(void) {
    run r;
    clear_env();
    setenv("RMS_CLOUD_TASKS_PROVIDER", "aws", 1);
    load(&r, "--provider", "", "--job-id", "j", NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.provider, "AWS");
    run_free(&r);
    clear_env();
    load(&r, "--provider=", "--task-file", "t.json", NULL);
    OK_RUN(&r);
    T_CHECK(r.c.provider == NULL);
    run_free(&r);
}

/* ---------------------------------------------------------------------------------------------
   booleans */

static void test_bool_env_rule(void) {
    static const struct { const char *text; int want; } cases[] = {
        {"true", 1}, {"TRUE", 1}, {"True", 1}, {"tRuE", 1}, {"1", 1},
        {"false", 0}, {"False", 0}, {"FALSE", 0}, {"0", 0}, {"None", 0}, {"yes", 0}, {"on", 0}, {"y", 0},
        {"t", 0}, {"2", 0}, {"01", 0}, {"1.0", 0}, {" true", 0}, {"true ", 0}, {"truex", 0}, {"tru", 0},
    };
    static const char *const bools[][2] = {
        {"RMS_CLOUD_TASKS_EXACTLY_ONCE_QUEUE", "exactly-once-queue"},
        {"RMS_CLOUD_TASKS_INSTANCE_IS_SPOT", "is-spot"},
        {"RMS_CLOUD_TASKS_RETRY_ON_EXIT", "retry-on-exit"},
        {"RMS_CLOUD_TASKS_RETRY_ON_EXCEPTION", "retry-on-exception"},
        {"RMS_CLOUD_TASKS_RETRY_ON_TIMEOUT", "retry-on-timeout"},
        {"RMS_CLOUD_WORKER_USE_NEW_PROCESS", "use-new-process"},
        {"RMS_CLOUD_TASKS_EVENT_LOG_TO_FILE", "event-log-to-file"},
    };
    size_t i, k;
    run r;
    for (k = 0; k < sizeof bools / sizeof bools[0]; k++) {
        for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            int got;
            char *base;
            clear_env();
            setenv(bools[k][0], cases[i].text, 1);
            load(&r, "--task-file", "t.json", NULL);
            base = (char *)&r.c;
            got = *(int *)(void *)(base + cloudtasks__options[opt_index(bools[k][1])].offset);
            if (r.rc != CLOUDTASKS__CONFIG_RUN || got != cases[i].want) {
                printf("#   %s=\"%s\": rc %d, value %d, want %d\n", bools[k][0], cases[i].text, r.rc, got, cases[i].want);
                t_failures_in_test++;
            }
            if (r.c.from_cli[opt_index(bools[k][1])] != 2) {
                printf("#   %s=\"%s\" not recorded as from the environment\n", bools[k][0], cases[i].text);
                t_failures_in_test++;
            }
            run_free(&r);
        }
    }
    /* event-log-to-queue from the environment: 1 true, anything else false */
    clear_env();
    setenv("RMS_CLOUD_TASKS_EVENT_LOG_TO_QUEUE", "False", 1);
    load(&r, "--provider", "aws", "--job-id", "j", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.event_log_to_queue, 0);
    run_free(&r);
    setenv("RMS_CLOUD_TASKS_EVENT_LOG_TO_QUEUE", "1", 1);
    load(&r, "--provider", "aws", "--job-id", "j", "--task-file", "t.json", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.event_log_to_queue, 1);
    run_free(&r);
    clear_env();
}

static void test_bool_flags(void) {
    run r;
    clear_env();
    load(&r, "--task-file", "t.json", "--is-spot", "--retry-on-exit", "--retry-on-exception", "--retry-on-timeout",
         "--exactly-once-queue", "--use-new-process", "--no-event-log-to-file", "--verbose", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.is_spot, 1);
    T_CHECK_INT(r.c.retry_on_exit, 1);
    T_CHECK_INT(r.c.retry_on_exception, 1);
    T_CHECK_INT(r.c.retry_on_timeout, 1);
    T_CHECK_INT(r.c.exactly_once, 1);
    T_CHECK_INT(r.c.use_new_process, 1);
    T_CHECK_INT(r.c.event_log_to_file, 0);
    T_CHECK_INT(r.c.verbose, 1);
    T_CHECK_STR(r.c.values[opt_index("is-spot")], "true");
    T_CHECK_STR(r.c.values[opt_index("event-log-to-file")], "false");
    run_free(&r);
    load(&r, "--task-file", "t.json", "-v", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.verbose, 1);
    run_free(&r);

    /* --no-x beats env true; --x beats env false */
    setenv("RMS_CLOUD_TASKS_INSTANCE_IS_SPOT", "true", 1);
    setenv("RMS_CLOUD_TASKS_RETRY_ON_EXIT", "false", 1);
    load(&r, "--task-file", "t.json", "--no-is-spot", "--retry-on-exit", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.is_spot, 0);
    T_CHECK_INT(r.c.retry_on_exit, 1);
    T_CHECK_INT(r.c.from_cli[opt_index("is-spot")], 1);
    run_free(&r);
    /* event-log-to-file on the command line beats its task-file default */
    clear_env();
    load(&r, "--provider", "aws", "--job-id", "j", "--event-log-to-file", "--no-event-log-to-queue", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.event_log_to_file, 1);
    T_CHECK_INT(r.c.event_log_to_queue, 0);
    run_free(&r);

    /* a boolean takes no value */
    load(&r, "--task-file", "t.json", "--is-spot=true", NULL);
    FAILS(&r, "option --is-spot takes no value");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--no-retry-on-exit=1", NULL);
    FAILS(&r, "option --no-retry-on-exit takes no value");
    run_free(&r);
    /* --no- is only for booleans */
    load(&r, "--task-file", "t.json", "--no-max-runtime", NULL);
    FAILS(&r, "unknown option --no-max-runtime");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--no-", NULL);
    FAILS(&r, "unknown option --no-");
    run_free(&r);
}

/* ---------------------------------------------------------------------------------------------
   values and numbers */

static void test_flag_forms(void) {
    run r;
    clear_env();
    load(&r, "--task-file=t.json", "--max-runtime=7", "--job-id=a=b", "--event-log-file", "=x", "--instance-type=", NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.task_file, "t.json");
    NUM(r.c.max_runtime, 7);
    T_CHECK_STR(r.c.job_id, "a=b");
    T_CHECK_STR(r.c.event_log_file, "=x");
    T_CHECK(r.c.instance_type == NULL);
    run_free(&r);
    /* a value may look like an option when it is the separate argument */
    load(&r, "--task-file", "t.json", "--job-id", "--not-an-option", NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.job_id, "--not-an-option");
    run_free(&r);
    /* every string option, from the command line */
    load(&r, "--provider", "aws", "--project-id", "p", "--job-id", "j", "--queue-name", "q", "--event-log-file", "e.log",
         "--instance-type", "m7i.large", NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.project_id, "p");
    T_CHECK_STR(r.c.event_log_file, "e.log");
    T_CHECK_STR(r.c.instance_type, "m7i.large");
    run_free(&r);
}

/* The exports of the reference's task manager (worker-spec §10), as a whole. */
static void test_manager_exports(void) {
    static const char *const env[][2] = {
        {"RMS_CLOUD_TASKS_PROVIDER", "AWS"}, {"RMS_CLOUD_TASKS_JOB_ID", "interop"}, {"RMS_CLOUD_TASKS_QUEUE_NAME", "interop"},
        {"RMS_CLOUD_TASKS_EVENT_LOG_TO_QUEUE", "1"}, {"RMS_CLOUD_TASKS_INSTANCE_TYPE", "m7i.large"},
        {"RMS_CLOUD_TASKS_INSTANCE_NUM_VCPUS", "2"}, {"RMS_CLOUD_TASKS_INSTANCE_MEM_GB", "8.0"},
        {"RMS_CLOUD_TASKS_INSTANCE_SSD_GB", "0"}, {"RMS_CLOUD_TASKS_INSTANCE_BOOT_DISK_GB", "10"},
        {"RMS_CLOUD_TASKS_INSTANCE_IS_SPOT", "False"}, {"RMS_CLOUD_TASKS_INSTANCE_PRICE", "0.1008"},
        {"RMS_CLOUD_TASKS_NUM_TASKS_PER_INSTANCE", "2"}, {"RMS_CLOUD_TASKS_MAX_RUNTIME", "120"},
        {"RMS_CLOUD_TASKS_RETRY_ON_EXIT", "None"}, {"RMS_CLOUD_TASKS_RETRY_ON_EXCEPTION", "True"},
        {"RMS_CLOUD_TASKS_KEEPALIVE_INTERVAL", "30"}, {"RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK", "4.0"},
        {"RMS_CLOUD_TASKS_PROJECT_ID", ""},
    };
    size_t i;
    run r;
    clear_env();
    for (i = 0; i < sizeof env / sizeof env[0]; i++) setenv(env[i][0], env[i][1], 1);
    load(&r, NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.provider, "AWS");
    T_CHECK_STR(r.c.job_id, "interop");
    T_CHECK_STR(r.c.queue_name, "interop");
    T_CHECK(r.c.project_id == NULL);
    T_CHECK_INT(r.c.event_log_to_queue, 1);
    T_CHECK_INT(r.c.event_log_to_file, 0);
    T_CHECK_STR(r.c.instance_type, "m7i.large");
    NUM(r.c.num_cpus, 2);
    NUM(r.c.memory_gb, 8);
    NUM(r.c.local_ssd_gb, 0);
    NUM(r.c.boot_disk_gb, 10);
    T_CHECK_INT(r.c.is_spot, 0);
    NUM(r.c.price, 0.1008);
    NUM(r.c.num_simultaneous, 2);
    NUM(r.c.max_runtime, 120);
    T_CHECK_INT(r.c.retry_on_exit, 0);
    T_CHECK_INT(r.c.retry_on_exception, 1);
    NUM(r.c.keepalive_interval, 30);
    NUM(r.c.max_memory_gb, 4);
    /* strings are the variables' text; numbers read as they were written */
    T_CHECK_STR(r.c.job_id, getenv("RMS_CLOUD_TASKS_JOB_ID"));
    T_CHECK_STR(r.c.values[opt_index("queue-name")], getenv("RMS_CLOUD_TASKS_QUEUE_NAME"));
    T_CHECK_STR(r.c.values[opt_index("provider")], "AWS");
    T_CHECK_STR(r.c.values[opt_index("price")], "0.1008");
    T_CHECK_STR(r.c.values[opt_index("memory")], "8.0");
    T_CHECK_STR(r.c.values[opt_index("max-memory-allowed-per-task")], "4.0");
    T_CHECK_STR(r.c.values[opt_index("num-cpus")], "2");
    T_CHECK_STR(r.c.values[opt_index("num-simultaneous-tasks")], "2");
    T_CHECK_STR(r.c.values[opt_index("local-ssd")], "0");
    T_CHECK_STR(r.c.values[opt_index("is-spot")], "false");
    T_CHECK_STR(r.c.values[opt_index("retry-on-exit")], "false");
    T_CHECK_STR(r.c.values[opt_index("retry-on-exception")], "true");
    T_CHECK_STR(r.c.values[opt_index("event-log-to-queue")], "true");
    T_CHECK(r.c.values[opt_index("project-id")] == NULL);
    T_CHECK_INT(r.c.from_cli[opt_index("project-id")], 0);
    T_CHECK_INT(r.c.from_cli[opt_index("price")], 2);
    run_free(&r);
    clear_env();
}

static void test_number_forms(void) {
    static const struct { const char *flag, *text; double want; } good[] = {
        {"price", "1e-05", 1e-05}, {"price", "8.0", 8.0}, {"price", "0", 0}, {"price", "0.1008", 0.1008},
        {"memory", "1E3", 1000}, {"memory", "2.5e+1", 25}, {"memory", " 8 ", 8}, {"memory", "8\n", 8},
        {"memory", "+3", 3}, {"memory", ".5", 0.5}, {"memory", "5.", 5}, {"memory", "1.e2", 100},
        {"keepalive-interval", "-5", -5}, {"keepalive-interval", "-.5", -0.5}, {"keepalive-interval", "0", 0},
        /* leading zeros, as Python's float() and int() read them */
        {"keepalive-interval", "010", 10}, {"keepalive-interval", "+010", 10}, {"keepalive-interval", "-010", -10},
        {"keepalive-interval", "00", 0}, {"keepalive-interval", "007.5", 7.5}, {"keepalive-interval", "0.5", 0.5},
        {"max-num-tasks", "010", 10},
        {"max-runtime", "2.5", 2.5}, {"max-runtime", "0.001", 0.001}, {"shutdown-grace-period", "0", 0},
        {"visibility-timeout", "45", 45}, {"exit-when-idle", "0", 0}, {"simulate-spot-termination-after", "1.5", 1.5},
        {"simulate-spot-termination-delay", "0", 0}, {"local-ssd", "375", 375}, {"boot-disk", "10", 10},
        /* whole-number kinds: integers, and floats with nothing after the point */
        {"num-cpus", "10", 10}, {"num-cpus", "2.0", 2}, {"num-cpus", "1", 1}, {"num-simultaneous-tasks", "4.0", 4},
        {"tasks-to-skip", "0", 0}, {"tasks-to-skip", "3", 3}, {"max-num-tasks", "1e3", 1000}, {"max-num-tasks", "0", 0},
        {"max-tasks-per-process", "0", 0}, {"max-tasks-per-process", "25", 25},
        {"max-memory-allowed-per-task", "0.25", 0.25}, {"max-memory-allowed-per-task", "4.0", 4},
    };
    size_t i;
    run r;
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        char flag[80];
        double got;
        int idx = opt_index(good[i].flag);
        clear_env();
        snprintf(flag, sizeof flag, "--%s", good[i].flag);
        load(&r, "--task-file", "t.json", flag, good[i].text, NULL);
        got = *(double *)(void *)((char *)&r.c + cloudtasks__options[idx].offset);
        if (r.rc != CLOUDTASKS__CONFIG_RUN || got != good[i].want) {
            printf("#   %s \"%s\": rc %d (%s), value %.17g, want %.17g\n", flag, good[i].text, r.rc, why_text(&r), got, good[i].want);
            t_failures_in_test++;
        }
        run_free(&r);
        /* the same through the environment */
        setenv(cloudtasks__options[idx].env, good[i].text, 1);
        load(&r, "--task-file", "t.json", NULL);
        got = *(double *)(void *)((char *)&r.c + cloudtasks__options[idx].offset);
        if (r.rc != CLOUDTASKS__CONFIG_RUN || got != good[i].want) {
            printf("#   %s=\"%s\": rc %d (%s), value %.17g, want %.17g\n", cloudtasks__options[idx].env, good[i].text, r.rc,
                   why_text(&r), got, good[i].want);
            t_failures_in_test++;
        }
        run_free(&r);
    }
    clear_env();
}

static void test_number_rejections(void) {
    static const struct { const char *flag, *text, *expected; } bad[] = {
        {"max-runtime", "abc", "expected a number of seconds greater than 0"},
        {"max-runtime", "0", "expected a number of seconds greater than 0"},
        {"max-runtime", "-1", "expected a number of seconds greater than 0"},
        {"max-runtime", "nan", "expected a number of seconds greater than 0"},
        {"max-runtime", "inf", "expected a number of seconds greater than 0"},
        {"max-runtime", "", "expected a number of seconds greater than 0"},
        {"visibility-timeout", "0", "expected a number of seconds greater than 0"},
        {"shutdown-grace-period", "-1", "expected a number, 0 or more"},
        {"shutdown-grace-period", "-0.5", "expected a number, 0 or more"},
        {"price", "inf", "expected a number, 0 or more"},
        {"price", "Infinity", "expected a number, 0 or more"},
        {"price", "1e999", "expected a number, 0 or more"},
        {"price", "NaN", "expected a number, 0 or more"},
        {"memory", "8GB", "expected a number, 0 or more"},
        {"memory", "0x10", "expected a number, 0 or more"},
        {"memory", "1,5", "expected a number, 0 or more"},
        {"memory", "++1", "expected a number, 0 or more"},
        {"memory", "1e", "expected a number, 0 or more"},
        {"memory", "- 1", "expected a number, 0 or more"},
        {"keepalive-interval", "nan", "expected a number"},
        {"keepalive-interval", "-inf", "expected a number"},
        {"keepalive-interval", "sixty", "expected a number"},
        {"keepalive-interval", "[60]", "expected a number"},
        {"keepalive-interval", "\"60\"", "expected a number"},
        {"exit-when-idle", "-1", "expected a number, 0 or more"},
        {"num-cpus", "2.5", "expected a whole number, 1 or more"},
        {"num-cpus", "0", "expected a whole number, 1 or more"},
        {"num-cpus", "-2", "expected a whole number, 1 or more"},
        {"num-simultaneous-tasks", "2.5", "expected a whole number, 1 or more"},
        {"num-simultaneous-tasks", "0", "expected a whole number, 1 or more"},
        {"tasks-to-skip", "-1", "expected a whole number, 0 or more"},
        {"tasks-to-skip", "0.5", "expected a whole number, 0 or more"},
        {"max-num-tasks", "2.5", "expected a whole number, 0 or more"},
        {"max-num-tasks", "1e16", "expected a whole number, 0 or more"},
        {"max-tasks-per-process", "1.5", "expected a whole number, 0 or more"},
        {"max-tasks-per-process", "x", "expected a whole number, 0 or more"},
    };
    size_t i;
    run r;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char flag[80], want[200];
        int idx = opt_index(bad[i].flag);
        clear_env();
        snprintf(flag, sizeof flag, "--%s", bad[i].flag);
        load(&r, "--task-file", "t.json", flag, bad[i].text, NULL);
        snprintf(want, sizeof want, "invalid value \"%s\" for %s: %s", bad[i].text, flag, bad[i].expected);
        FAILS(&r, want);
        run_free(&r);
        if (!bad[i].text[0]) continue;    /* an empty variable is unset, not invalid */
        setenv(cloudtasks__options[idx].env, bad[i].text, 1);
        load(&r, "--task-file", "t.json", NULL);
        snprintf(want, sizeof want, "invalid value \"%s\" for %s: %s", bad[i].text, cloudtasks__options[idx].env, bad[i].expected);
        FAILS(&r, want);
        run_free(&r);
    }
    clear_env();
}

/* Text that is no number in Python's float() (nor in JSON) must not read as one. */
static void test_number_garbage(void) {
    static const char *const texts[] = {".", "-.", "+.", "+-5", "-+5", ".e5", "e5", "+", "-", "1.2.3", "--1"};
    size_t i;
    run r;
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char want[120];
        clear_env();
        load(&r, "--task-file", "t.json", "--keepalive-interval", texts[i], NULL);
        snprintf(want, sizeof want, "invalid value \"%s\" for --keepalive-interval: expected a number", texts[i]);
        if (r.rc != CLOUDTASKS__CONFIG_EXIT_ERROR)
            printf("#   --keepalive-interval \"%s\" was accepted as %.17g\n", texts[i], r.c.keepalive_interval);
        FAILS(&r, want);
        run_free(&r);
    }
}

static void test_memory_limit(void) {
    static const char *const bad[] = {"0", "-1", "nan", "inf", "-0", "abc", "1e999"};
    size_t i;
    run r;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[160];
        clear_env();
        load(&r, "--task-file", "t.json", "--max-memory-allowed-per-task", bad[i], NULL);
        snprintf(want, sizeof want, "Maximum memory per task must be a positive number of GB, not %s (from --max-memory-allowed-per-task)", bad[i]);
        FAILS(&r, want);
        run_free(&r);
        setenv("RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK", bad[i], 1);
        load(&r, "--task-file", "t.json", NULL);
        snprintf(want, sizeof want, "Maximum memory per task must be a positive number of GB, not %s (from RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK)", bad[i]);
        FAILS(&r, want);
        run_free(&r);
    }
    clear_env();
    setenv("RMS_CLOUD_TASKS_MAX_MEMORY_ALLOWED_PER_TASK", "0.25", 1);
    load(&r, "--task-file", "t.json", NULL);
    OK_RUN(&r);
    NUM(r.c.max_memory_gb, 0.25);
    run_free(&r);
    clear_env();
}

/* ---------------------------------------------------------------------------------------------
   command-line mistakes and the reference's checks */

static void test_cli_mistakes(void) {
    run r;
    clear_env();
    load(&r, "--task-file", "t.json", "--bogus", NULL);
    FAILS(&r, "unknown option --bogus (--help lists the options)");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--bogus=3", NULL);
    FAILS(&r, "unknown option --bogus (");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--Max-Runtime", "5", NULL);
    FAILS(&r, "unknown option --Max-Runtime");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--max-runtime", NULL);
    FAILS(&r, "option --max-runtime needs a value");
    run_free(&r);
    load(&r, "--task-file", NULL);
    FAILS(&r, "option --task-file needs a value");
    run_free(&r);
    load(&r, "--task-file", "t.json", "extra", NULL);
    FAILS(&r, "unexpected argument \"extra\" (options start with --; task arguments go after --)");
    run_free(&r);
    load(&r, "--task-file", "t.json", "-x", NULL);
    FAILS(&r, "unexpected argument \"-x\"");
    run_free(&r);
    load(&r, "--task-file", "t.json", "", NULL);
    FAILS(&r, "unexpected argument \"\"");
    run_free(&r);
    /* mistakes in the command line come before bad values */
    load(&r, "--max-runtime", "abc", "--bogus", NULL);
    FAILS(&r, "unknown option --bogus");
    run_free(&r);
    /* bad values are checked in the order of the table; only the first is reported */
    load(&r, "--task-file", "t.json", "--max-runtime", "abc", "--num-cpus", "0", NULL);
    FAILS(&r, "for --num-cpus");
    T_CHECK(strstr(why_text(&r), "max-runtime") == NULL);
    run_free(&r);
    /* a bad value beats the reference's checks (no provider, no task file) */
    load(&r, "--max-runtime", "abc", NULL);
    FAILS(&r, "invalid value \"abc\" for --max-runtime");
    run_free(&r);
}

static void test_reference_checks(void) {
    run r;
    clear_env();
    load(&r, NULL);
    FAILS(&r, "Provider not specified via --provider or RMS_CLOUD_TASKS_PROVIDER and no tasks file specified via --task-file");
    run_free(&r);
    load(&r, "--job-id", "j", NULL);
    FAILS(&r, "Provider not specified via --provider or RMS_CLOUD_TASKS_PROVIDER and no tasks file specified via --task-file");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--event-log-to-queue", NULL);
    FAILS(&r, "--event-log-to-queue requires either --provider or RMS_CLOUD_TASKS_PROVIDER");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--event-log-to-queue", "--job-id", "j", NULL);
    FAILS(&r, "--event-log-to-queue requires either --provider or RMS_CLOUD_TASKS_PROVIDER");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--no-event-log-to-queue", NULL);
    OK_RUN(&r);
    run_free(&r);
    load(&r, "--provider", "aws", NULL);
    FAILS(&r, "Queue name not specified via --queue-name or RMS_CLOUD_TASKS_QUEUE_NAME or --job-id or "
              "RMS_CLOUD_TASKS_JOB_ID and no tasks file specified via --task-file");
    run_free(&r);
    load(&r, "--provider", "aws", "--task-file", "t.json", "--event-log-to-queue", NULL);
    FAILS(&r, "--event-log-to-queue requires either --job-id or --queue-name");
    run_free(&r);
    load(&r, "--provider", "aws", "--task-file", "t.json", NULL);  /* a task file needs no queue name */
    OK_RUN(&r);
    T_CHECK_INT(r.c.event_log_to_queue, 0);
    run_free(&r);
    load(&r, "--provider", "foo", "--job-id", "j", NULL);
    FAILS(&r, "Unsupported queue provider: FOO (expected AWS, GCP or AZURE)");
    run_free(&r);
    load(&r, "--provider", "aws2", "--task-file", "t.json", NULL);
    FAILS(&r, "Unsupported queue provider: AWS2");
    run_free(&r);
    /* the second check is about the command line only: from the environment, the fourth applies */
    setenv("RMS_CLOUD_TASKS_EVENT_LOG_TO_QUEUE", "true", 1);
    load(&r, "--task-file", "t.json", NULL);
    FAILS(&r, "--event-log-to-queue requires either --job-id or --queue-name");
    run_free(&r);
    load(&r, "--task-file", "t.json", "--job-id", "j", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.event_log_to_queue, 1);
    run_free(&r);
    clear_env();
}

/* The reference's check 2 looks at the parsed flag (argparse: the last of --x / --no-x wins), so
   "--event-log-to-queue --no-event-log-to-queue" leaves it false and is no error. */
static void test_event_queue_flag_last_wins(void) {
    run r;
    clear_env();
    load(&r, "--task-file", "t.json", "--event-log-to-queue", "--no-event-log-to-queue", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.event_log_to_queue, 0);
    run_free(&r);
    load(&r, "--task-file", "t.json", "--no-event-log-to-queue", "--event-log-to-queue", NULL);
    FAILS(&r, "--event-log-to-queue requires either --provider or RMS_CLOUD_TASKS_PROVIDER");
    run_free(&r);
}

/* ---------------------------------------------------------------------------------------------
   --help, --version and the task arguments */

/* Runs config_load with stdout sent to a temporary file; returns what was printed (malloc'd). */
static char *load_capturing(run *r, const char *a1, const char *a2) {
    FILE *tmp = tmpfile();
    int saved;
    long n;
    char *text;
    fflush(stdout);
    if (!tmp) { printf("# tmpfile failed\n"); return NULL; }
    saved = dup(1);
    dup2(fileno(tmp), 1);
    load(r, a1, a2, NULL);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    n = ftell(tmp);
    if (n < 0) n = 0;
    text = (char *)calloc((size_t)n + 1, 1);
    rewind(tmp);
    if (text && n > 0 && fread(text, 1, (size_t)n, tmp) != (size_t)n) text[0] = 0;
    fclose(tmp);
    return text;
}

static void test_help_and_version(void) {
    run r;
    char *out;
    size_t i;
    clear_env();
    out = load_capturing(&r, "--help", NULL);
    T_CHECK_INT(r.rc, CLOUDTASKS__CONFIG_EXIT_OK);
    T_CHECK(out && strncmp(out, "usage: worker ", 14) == 0);
    for (i = 0; out && i < CLOUDTASKS__OPTION_COUNT; i++) {
        char flag[80];
        const cloudtasks__option *o = &cloudtasks__options[i];
        /* each valued flag is shown with a metavariable naming what it takes */
        snprintf(flag, sizeof flag, o->kind == CLOUDTASKS__OPT_BOOL ? "--[no-]%s " : "--%s ", o->flag);
        if (!strstr(out, flag)) { printf("#   --help does not show %s\n", flag); t_failures_in_test++; }
        if (o->env && !strstr(out, o->env)) { printf("#   --help does not show %s\n", o->env); t_failures_in_test++; }
    }
    T_CHECK(out && strstr(out, "default: 3600; env RMS_CLOUD_TASKS_MAX_RUNTIME"));
    T_CHECK(out && strstr(out, "--max-runtime SECONDS"));
    T_CHECK(out && strstr(out, "--max-memory-allowed-per-task GB"));
    T_CHECK(out && strstr(out, "--max-num-tasks N"));
    T_CHECK(out && strstr(out, "--version"));
    free(out);
    run_free(&r);

    out = load_capturing(&r, "-h", NULL);
    T_CHECK_INT(r.rc, CLOUDTASKS__CONFIG_EXIT_OK);
    T_CHECK(out && strncmp(out, "usage: worker ", 14) == 0);
    free(out);
    run_free(&r);

    out = load_capturing(&r, "--version", NULL);
    T_CHECK_INT(r.rc, CLOUDTASKS__CONFIG_EXIT_OK);
    T_CHECK_STR(out, "cloudtasks.h " CLOUDTASKS_VERSION_STRING "\n");
    free(out);
    run_free(&r);

    /* --help wins over what follows it, and over a missing provider */
    out = load_capturing(&r, "--help", "--bogus");
    T_CHECK_INT(r.rc, CLOUDTASKS__CONFIG_EXIT_OK);
    free(out);
    run_free(&r);
    /* but not over a mistake before it */
    out = load_capturing(&r, "--bogus", "--help");
    T_CHECK_INT(r.rc, CLOUDTASKS__CONFIG_EXIT_ERROR);
    T_CHECK(out && out[0] == 0);
    free(out);
    run_free(&r);
    /* after "--" it is a task argument */
    out = load_capturing(&r, "--", "--help");
    T_CHECK_INT(r.rc, CLOUDTASKS__CONFIG_EXIT_ERROR);   /* no provider, no task file */
    T_CHECK(out && out[0] == 0);
    T_CHECK_INT(r.c.user_argc, 1);
    free(out);
    run_free(&r);
}

static void test_user_args(void) {
    run r;
    clear_env();
    load(&r, "--task-file", "t.json", "--", "20000000", "--max-runtime", "x", "--", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.user_argc, 4);
    T_CHECK(r.c.user_argv == r.argv + 4);
    T_CHECK_STR(r.c.user_argv[0], "20000000");
    T_CHECK_STR(r.c.user_argv[1], "--max-runtime");
    T_CHECK_STR(r.c.user_argv[3], "--");
    T_CHECK(r.c.user_argv[4] == NULL);
    NUM(r.c.max_runtime, 3600);              /* not parsed as an option */
    run_free(&r);
    load(&r, "--task-file", "t.json", "--", NULL);
    OK_RUN(&r);
    T_CHECK_INT(r.c.user_argc, 0);
    T_CHECK(r.c.user_argv == r.argv + 4);
    run_free(&r);
    load(&r, "--", "a", NULL);
    T_CHECK_INT(r.c.user_argc, 1);
    run_free(&r);
    /* a flag's value "--" is a value, not the separator */
    load(&r, "--task-file", "t.json", "--job-id", "--", "x", NULL);
    FAILS(&r, "unexpected argument \"x\"");
    run_free(&r);
}

/* Values are copies: argv and the environment may change under a task (setenv) and the settings
   the task reads must not. */
static void test_pointer_semantics(void) {
    run r;
    clear_env();
    setenv("RMS_CLOUD_TASKS_INSTANCE_TYPE", "m7i.large", 1);
    load(&r, "--task-file", "t.json", "--job-id=abc", "--queue-name", "q", NULL);
    OK_RUN(&r);
    T_CHECK_STR(r.c.task_file, "t.json");
    T_CHECK(r.c.task_file != r.argv[2]);
    T_CHECK_STR(r.c.job_id, "abc");
    T_CHECK_STR(r.c.queue_name, "q");
    T_CHECK_STR(r.c.instance_type, "m7i.large");
    setenv("RMS_CLOUD_TASKS_INSTANCE_TYPE", "changed-after-load", 1);
    T_CHECK_STR(r.c.instance_type, "m7i.large");
    T_CHECK(r.c.values[opt_index("task-file")] == r.c.task_file);
    T_CHECK(r.c.values[opt_index("instance-type")] == r.c.instance_type);
    T_CHECK_INT(r.c.from_cli[opt_index("instance-type")], 2);
    T_CHECK_INT(r.c.from_cli[opt_index("job-id")], 1);
    run_free(&r);
    clear_env();
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        fprintf(stderr, "usage: test_config\n");
        return 2;
    }
    T_RUN(test_defaults_task_file);
    T_RUN(test_defaults_queue);
    T_RUN(test_precedence);
    T_RUN(test_empty_cli_provider);
    T_RUN(test_bool_env_rule);
    T_RUN(test_bool_flags);
    T_RUN(test_flag_forms);
    T_RUN(test_manager_exports);
    T_RUN(test_number_forms);
    T_RUN(test_number_rejections);
    T_RUN(test_number_garbage);
    T_RUN(test_memory_limit);
    T_RUN(test_cli_mistakes);
    T_RUN(test_reference_checks);
    T_RUN(test_event_queue_flag_last_wins);
    T_RUN(test_help_and_version);
    T_RUN(test_user_args);
    T_RUN(test_pointer_semantics);
    clear_env();
    T_EXIT();
}

/* worker_failures.c - every way a task can end, and what the worker reports for each.

   Each task's data names what the task does:
       {"action": "ok"}                       CLOUDTASKS_DONE with a JSON result     -> task_completed, retry false
       {"action": "retry"}                    CLOUDTASKS_RETRY                       -> task_completed, retry true
       {"action": "error"}                    CLOUDTASKS_FAILED + cloudtasks_result_error()
                                                                                     -> task_exception (retried with --retry-on-exception)
       {"action": "crash"}                    a real SIGSEGV                          -> task_exited, exit_code -11
       {"action": "exit", "code": 3}          exit(3) without a result                -> task_exited, exit_code 3
       {"action": "sleep", "seconds": 2}      sleeps, checking every 50 ms whether the worker is shutting down
                                              (SIGINT/SIGTERM) or the instance is about to be reclaimed; if so
                                              it stops early and asks for a retry, so another worker redoes it.
                                              With "ignore_shutdown": true it just sleeps, and is stopped at
                                              --max-runtime (task_timed_out) or at the end of the shutdown grace
                                              period (task_exited).
       {"action": "nomem", "gb": 1}           allocates 1 GiB; under --max-memory-allowed-per-task 0.25 the
                                              allocation fails and the task returns CLOUDTASKS_NO_MEMORY
                                              -> task_exception, never retried; its process is replaced.

   Build:  cc -std=c11 -Wall -Wextra -I.. worker_failures.c -o worker_failures -lcurl -lbearssl -lpthread
   Run:    ./worker_failures --task-file failures_tasks.json --max-memory-allowed-per-task 0.25
           (events go to events.log; add --retry-on-exception, --retry-on-exit, --use-new-process ...)
*/
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int is(const char *action, const char *name) { return action && strcmp(action, name) == 0; }

/* Sleeps for seconds, polling the worker's notices every 50 ms unless told to ignore them. */
static int sleep_task(const cloudtasks_task *t, cloudtasks_worker *w, cloudtasks_result *r) {
    double seconds = cloudtasks_json_number(cloudtasks_json_get(t->data, "seconds"), 1.0), slept = 0;
    int ignore = cloudtasks_json_bool(cloudtasks_json_get(t->data, "ignore_shutdown"), 0);
    const struct timespec tick = {0, 50 * 1000 * 1000};
    char json[128];
    while (slept < seconds) {
        if (!ignore && (cloudtasks_shutdown_requested(w) || cloudtasks_termination_notice(w))) {
            /* Stop at a safe point and hand the task back: the work is not done, so retry it. */
            snprintf(json, sizeof json, "{\"slept\": %.2f, \"stopped_early\": true, \"why\": \"%s\"}", slept,
                     cloudtasks_termination_notice(w) ? "termination notice" : "shutdown requested");
            cloudtasks_result_json(r, json, strlen(json));
            return CLOUDTASKS_RETRY;
        }
        nanosleep(&tick, NULL);
        slept += 0.05;
    }
    snprintf(json, sizeof json, "{\"slept\": %.2f}", seconds);
    cloudtasks_result_json(r, json, strlen(json));
    return CLOUDTASKS_DONE;
}

static int failures(const cloudtasks_task *t, cloudtasks_worker *w, cloudtasks_result *r, void *user) {
    const char *action = cloudtasks_json_string(cloudtasks_json_get(t->data, "action"), NULL);
    (void)user;
    if (is(action, "ok")) {
        static const char json[] = "{\"status\": \"ok\", \"answer\": 42}";
        cloudtasks_result_json(r, json, sizeof json - 1);
        return CLOUDTASKS_DONE;
    }
    if (is(action, "retry")) {
        cloudtasks_result_string(r, "not now; try again later");
        return CLOUDTASKS_RETRY;
    }
    if (is(action, "error")) {
        cloudtasks_result_error(r, "ValueError: the input could not be processed");
        return CLOUDTASKS_FAILED;
    }
    if (is(action, "crash")) {
        /* A real crash. The default action is restored first, in case a debugger or sanitizer
           installed a SIGSEGV handler that would turn the crash into an ordinary exit. */
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        return CLOUDTASKS_FAILED;   /* not reached */
    }
    if (is(action, "exit")) exit((int)cloudtasks_json_number(cloudtasks_json_get(t->data, "code"), 1));
    if (is(action, "sleep")) return sleep_task(t, w, r);
    if (is(action, "nomem")) {
        size_t bytes = (size_t)(cloudtasks_json_number(cloudtasks_json_get(t->data, "gb"), 1.0) * 1073741824.0);
        char *p = (char *)malloc(bytes);
        if (!p) {
            cloudtasks_result_error(r, "MemoryError: could not allocate the working buffer");
            return CLOUDTASKS_NO_MEMORY;
        }
        free(p);
        cloudtasks_result_string(r, "the allocation succeeded (no --max-memory-allowed-per-task?)");
        return CLOUDTASKS_DONE;
    }
    cloudtasks_result_error(r, "unknown action; expected ok, retry, error, crash, exit, sleep or nomem");
    return CLOUDTASKS_FAILED;
}

int main(int argc, char **argv) { return cloudtasks_worker_main(argc, argv, failures, NULL); }

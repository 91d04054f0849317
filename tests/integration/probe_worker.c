/* probe_worker.c - a test worker for the integration suites: it does what a task's data asks and
   writes down what it saw, so the scripts can check the process model from the outside.

   Task data (every field optional):
     "action":  "ok" (default) | "retry" | "error" | "crash" | "exit" | "sleep" | "nomem" | "big"
     "bytes":   for big: the result is a JSON string of this many bytes (default 2 MiB)
     "seconds": for sleep (default 1)        "code": for exit (default 1)
     "ignore_shutdown": true   sleep without looking at the worker's notices
     "ignore_sigterm": true    sleep with SIGTERM ignored (so only SIGKILL stops it)
     "on_notice": "continue" (default: note it, keep sleeping) | "return" (stop, DONE) | "retry" (stop, RETRY)
     "dir":     a directory; the task writes there (each file written whole, then renamed):
                  <task_id>.start   facts (below) as the task starts
                  <task_id>.notice  the first time it sees shutdown/termination while sleeping
                  <task_id>.end     facts again as it returns
   Facts: {"task_id", "pid", "ppid", "process_number", "message_id", "receive_count", "fds": [[n, "target"], ...], "sigint", "sigterm",
           "rlimit_as", "argc", "args", "settings": {...}, "init_pid", "tasks_in_process",
           "shutdown", "termination", "saw_shutdown", "saw_termination"}
   The result of a DONE/RETRY task is {"pid", "ppid", "process_number", "tasks_in_process",
   "saw_shutdown", "saw_termination"}.

   Worker arguments (after "--"):  --hookdir DIR  process_init writes DIR/init.<pid> and process_exit
   writes DIR/exit.<pid>;   --fail-init  process_init fails. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

static pid_t init_pid;          /* set by process_init in this process */
static long tasks_in_process;   /* tasks this process has started */
static int saw_shutdown, saw_termination;

static const char *arg_value(const cloudtasks_worker *w, const char *name) {
    int i;
    for (i = 0; i + 1 < cloudtasks_worker_argc(w); i++)
        if (strcmp(cloudtasks_worker_arg(w, i), name) == 0) return cloudtasks_worker_arg(w, i + 1);
    return NULL;
}

static int has_arg(const cloudtasks_worker *w, const char *name) {
    int i;
    for (i = 0; i < cloudtasks_worker_argc(w); i++)
        if (strcmp(cloudtasks_worker_arg(w, i), name) == 0) return 1;
    return 0;
}

/* Writes text to dir/name atomically (a reader never sees half a file). */
static void write_file(const char *dir, const char *name, const char *text) {
    char path[4096], tmp[4200];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (!(f = fopen(tmp, "w"))) return;
    fputs(text, f);
    fputc('\n', f);
    if (fclose(f) == 0) rename(tmp, path);
}

static const char *disposition(int sig) {
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) != 0) return "unknown";
    if (sa.sa_handler == SIG_IGN) return "ignored";
    if (sa.sa_handler == SIG_DFL) return "default";
    return "handler";
}

static void write_fds(cloudtasks_json_writer *jw) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    cloudtasks_json_begin_array(jw);
    if (d) {
        while ((e = readdir(d)) != NULL) {
            char link[64], target[1024];
            ssize_t n;
            int fd;
            if (e->d_name[0] == '.') continue;
            fd = atoi(e->d_name);
            if (fd == dirfd(d)) continue;
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            n = readlink(link, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            cloudtasks_json_begin_array(jw);
            cloudtasks_json_write_int(jw, fd);
            cloudtasks_json_write_cstring(jw, target);
            cloudtasks_json_end_array(jw);
        }
        closedir(d);
    }
    cloudtasks_json_end_array(jw);
}

static void write_facts(const cloudtasks_task *t, cloudtasks_worker *w, const char *dir, const char *suffix) {
    static const char *const settings[] = {"instance-type", "provider", "max-runtime", "num-simultaneous-tasks", "is-spot",
                                           "memory", "price", "num-cpus", "queue-name", "job-id", "retry-on-exit",
                                           "retry-on-exception", "keepalive-interval", "max-memory-allowed-per-task",
                                           "use-new-process", "project-id", "no-such-setting"};
    cloudtasks_json_writer jw;
    struct rlimit rl;
    char name[1200];
    size_t i;
    int a;
    cloudtasks_json_writer_init(&jw);
    cloudtasks_json_begin_object(&jw);
    cloudtasks_json_key(&jw, "task_id"); cloudtasks_json_write_cstring(&jw, t->task_id);
    cloudtasks_json_key(&jw, "pid"); cloudtasks_json_write_int(&jw, getpid());
    cloudtasks_json_key(&jw, "ppid"); cloudtasks_json_write_int(&jw, getppid());
    cloudtasks_json_key(&jw, "process_number"); cloudtasks_json_write_int(&jw, cloudtasks_worker_process_number(w));
    cloudtasks_json_key(&jw, "message_id"); cloudtasks_json_write_cstring(&jw, t->message_id);
    cloudtasks_json_key(&jw, "receive_count"); cloudtasks_json_write_int(&jw, t->receive_count);
    cloudtasks_json_key(&jw, "fds"); write_fds(&jw);
    cloudtasks_json_key(&jw, "sigint"); cloudtasks_json_write_cstring(&jw, disposition(SIGINT));
    cloudtasks_json_key(&jw, "sigterm"); cloudtasks_json_write_cstring(&jw, disposition(SIGTERM));
    cloudtasks_json_key(&jw, "rlimit_as");
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) cloudtasks_json_write_int(&jw, (int64_t)rl.rlim_cur);
    else cloudtasks_json_write_null(&jw);
    cloudtasks_json_key(&jw, "argc"); cloudtasks_json_write_int(&jw, cloudtasks_worker_argc(w));
    cloudtasks_json_key(&jw, "args");
    cloudtasks_json_begin_array(&jw);
    for (a = 0; a < cloudtasks_worker_argc(w); a++) cloudtasks_json_write_cstring(&jw, cloudtasks_worker_arg(w, a));
    cloudtasks_json_end_array(&jw);
    cloudtasks_json_key(&jw, "arg_past_end"); cloudtasks_json_write_cstring(&jw, cloudtasks_worker_arg(w, cloudtasks_worker_argc(w)));
    cloudtasks_json_key(&jw, "settings");
    cloudtasks_json_begin_object(&jw);
    for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        cloudtasks_json_key(&jw, settings[i]);
        cloudtasks_json_write_cstring(&jw, cloudtasks_worker_setting(w, settings[i]));
    }
    cloudtasks_json_end_object(&jw);
    cloudtasks_json_key(&jw, "init_pid"); cloudtasks_json_write_int(&jw, init_pid);
    cloudtasks_json_key(&jw, "tasks_in_process"); cloudtasks_json_write_int(&jw, tasks_in_process);
    cloudtasks_json_key(&jw, "shutdown"); cloudtasks_json_write_bool(&jw, cloudtasks_shutdown_requested(w));
    cloudtasks_json_key(&jw, "termination"); cloudtasks_json_write_bool(&jw, cloudtasks_termination_notice(w));
    cloudtasks_json_key(&jw, "saw_shutdown"); cloudtasks_json_write_bool(&jw, saw_shutdown);
    cloudtasks_json_key(&jw, "saw_termination"); cloudtasks_json_write_bool(&jw, saw_termination);
    cloudtasks_json_end_object(&jw);
    snprintf(name, sizeof name, "%s.%s", t->task_id, suffix);
    if (jw.error == 0) write_file(dir, name, jw.data);
    cloudtasks_json_writer_free(&jw);
}

static int finish(const cloudtasks_task *t, cloudtasks_worker *w, cloudtasks_result *r, const char *dir, int outcome) {
    char json[512];
    if (dir) write_facts(t, w, dir, "end");
    snprintf(json, sizeof json,
             "{\"pid\": %ld, \"ppid\": %ld, \"process_number\": %d, \"tasks_in_process\": %ld, \"saw_shutdown\": %s, "
             "\"saw_termination\": %s}", (long)getpid(), (long)getppid(), cloudtasks_worker_process_number(w), tasks_in_process,
             saw_shutdown ? "true" : "false", saw_termination ? "true" : "false");
    if (cloudtasks_result_json(r, json, strlen(json)) != 0) cloudtasks_result_string(r, "probe: bad result JSON");
    return outcome;
}

static int probe(const cloudtasks_task *t, cloudtasks_worker *w, cloudtasks_result *r, void *user) {
    const char *action = cloudtasks_json_string(cloudtasks_json_get(t->data, "action"), NULL);
    const char *dir = cloudtasks_json_string(cloudtasks_json_get(t->data, "dir"), NULL);
    (void)user;
    tasks_in_process++;
    saw_shutdown = saw_termination = 0;
    if (!action) action = "ok";
    if (dir) write_facts(t, w, dir, "start");
    if (strcmp(action, "ok") == 0) return finish(t, w, r, dir, CLOUDTASKS_DONE);
    if (strcmp(action, "retry") == 0) return finish(t, w, r, dir, CLOUDTASKS_RETRY);
    if (strcmp(action, "error") == 0) {
        cloudtasks_result_error(r, "probe: the task failed on purpose");
        return CLOUDTASKS_FAILED;
    }
    if (strcmp(action, "crash") == 0) {
        signal(SIGSEGV, SIG_DFL);   /* a sanitizer's handler would turn the crash into exit(1) */
        raise(SIGSEGV);
        return CLOUDTASKS_FAILED;
    }
    if (strcmp(action, "exit") == 0) exit((int)cloudtasks_json_number(cloudtasks_json_get(t->data, "code"), 1));
    if (strcmp(action, "nomem") == 0) {
        char *p = (char *)malloc((size_t)1 << 30);
        if (!p) { cloudtasks_result_error(r, "probe: malloc of 1 GiB failed"); return CLOUDTASKS_NO_MEMORY; }
        free(p);
        return finish(t, w, r, dir, CLOUDTASKS_DONE);
    }
    if (strcmp(action, "big") == 0) {
        size_t n = (size_t)cloudtasks_json_number(cloudtasks_json_get(t->data, "bytes"), 2097152.0);
        char *text = (char *)malloc(n + 1);
        size_t i;
        if (!text) return CLOUDTASKS_NO_MEMORY;
        for (i = 0; i < n; i++) text[i] = (char)('a' + i % 26);
        text[n] = '\0';
        if (n >= 4) memcpy(text + n / 2 - 2, "\xc3\xa9\"\\", 4);   /* UTF-8 and characters to escape mid-way */
        cloudtasks_result_string(r, text);
        free(text);
        return CLOUDTASKS_DONE;
    }
    if (strcmp(action, "sleep") == 0) {
        double seconds = cloudtasks_json_number(cloudtasks_json_get(t->data, "seconds"), 1.0);
        int ignore = cloudtasks_json_bool(cloudtasks_json_get(t->data, "ignore_shutdown"), 0);
        const char *on_notice = cloudtasks_json_string(cloudtasks_json_get(t->data, "on_notice"), NULL);
        const struct timespec tick = {0, 50 * 1000 * 1000};
        struct timespec start, now;
        if (cloudtasks_json_bool(cloudtasks_json_get(t->data, "ignore_sigterm"), 0)) signal(SIGTERM, SIG_IGN);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= seconds) break;
            if (!ignore && !saw_shutdown && !saw_termination &&
                (cloudtasks_shutdown_requested(w) || cloudtasks_termination_notice(w))) {
                saw_shutdown = cloudtasks_shutdown_requested(w);
                saw_termination = cloudtasks_termination_notice(w);
                if (dir) write_facts(t, w, dir, "notice");
                if (on_notice && strcmp(on_notice, "return") == 0) return finish(t, w, r, dir, CLOUDTASKS_DONE);
                if (on_notice && strcmp(on_notice, "retry") == 0) return finish(t, w, r, dir, CLOUDTASKS_RETRY);
            }
            nanosleep(&tick, NULL);
        }
        return finish(t, w, r, dir, CLOUDTASKS_DONE);
    }
    cloudtasks_result_error(r, "probe: unknown action");
    return CLOUDTASKS_FAILED;
}

static int process_init(cloudtasks_worker *w, void *user) {
    const char *dir = arg_value(w, "--hookdir");
    char name[64];
    (void)user;
    init_pid = getpid();
    if (dir) {
        snprintf(name, sizeof name, "init.%ld", (long)getpid());
        write_file(dir, name, "init");
    }
    return has_arg(w, "--fail-init") ? 1 : 0;
}

static void process_exit(cloudtasks_worker *w, void *user) {
    const char *dir = arg_value(w, "--hookdir");
    char name[64], text[64];
    (void)user;
    if (!dir) return;
    snprintf(name, sizeof name, "exit.%ld", (long)getpid());
    snprintf(text, sizeof text, "%ld", tasks_in_process);
    write_file(dir, name, text);
}

int main(int argc, char **argv) {
    cloudtasks_worker_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.task = probe;
    desc.process_init = process_init;
    desc.process_exit = process_exit;
    return cloudtasks_worker_run(argc, argv, &desc);
}

/* Baselines for the worker benchmark, on the same machine in the same run:
     baselines fork N   fork and reap one child per task, 2 at a time
     baselines pipe N   a round trip over a pipe pair to each of 2 long-lived processes, 2 in flight
   Prints the rate in tasks per second. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double fork_loop(long n) {
    double t0 = now();
    long started = 0, running = 0;
    while (started < n || running > 0) {
        while (running < 2 && started < n) {
            pid_t pid = fork();
            if (pid < 0) { perror("fork"); exit(1); }
            if (pid == 0) _exit(0);
            started++;
            running++;
        }
        if (wait(NULL) > 0) running--;
    }
    return (double)n / (now() - t0);
}

static double pipe_round_trip(long n) {
    int to[2][2], from[2][2], k;
    long done = 0;
    double t0;
    char msg[64];
    memset(msg, 'x', sizeof msg);
    for (k = 0; k < 2; k++) {
        if (pipe(to[k]) < 0 || pipe(from[k]) < 0) { perror("pipe"); exit(1); }
        if (fork() == 0) {
            char buf[64];
            close(to[k][1]); close(from[k][0]);
            while (read(to[k][0], buf, sizeof buf) == (ssize_t)sizeof buf)
                if (write(from[k][1], buf, sizeof buf) != (ssize_t)sizeof buf) break;
            _exit(0);
        }
        close(to[k][0]); close(from[k][1]);
    }
    t0 = now();
    for (k = 0; k < 2; k++) if (write(to[k][1], msg, sizeof msg) != (ssize_t)sizeof msg) exit(1);
    while (done < n) {
        for (k = 0; k < 2 && done < n; k++) {
            if (read(from[k][0], msg, sizeof msg) != (ssize_t)sizeof msg) exit(1);
            done++;
            if (done + 1 < n && write(to[k][1], msg, sizeof msg) != (ssize_t)sizeof msg) exit(1);
        }
    }
    t0 = (double)n / (now() - t0);
    for (k = 0; k < 2; k++) close(to[k][1]);
    while (wait(NULL) > 0) {}
    return t0;
}

int main(int argc, char **argv) {
    long n = argc > 2 ? atol(argv[2]) : 10000;
    if (argc < 2) { fprintf(stderr, "usage: baselines fork|pipe N\n"); return 2; }
    printf("%.1f\n", strcmp(argv[1], "fork") == 0 ? fork_loop(n) : pipe_round_trip(n));
    return 0;
}

/* A worker whose tasks do nothing: measures the worker's own cost per task. */
#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

static int noop(const cloudtasks_task *t, cloudtasks_worker *w, cloudtasks_result *r, void *user) {
    (void)t; (void)w; (void)r; (void)user;
    return CLOUDTASKS_DONE;
}

int main(int argc, char **argv) { return cloudtasks_worker_main(argc, argv, noop, NULL); }

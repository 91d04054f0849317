/* The minimal worker of the design: one task function that adds data.num1 and data.num2.
   tests/compile/run.sh builds it with exactly this command and expects no output:
       cc -std=c11 -Wall -Wextra minimal_worker.c -o minimal_worker -lcurl -lbearssl -lpthread */
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

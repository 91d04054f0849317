/* worker_addition.c - the smallest useful worker: adds two numbers per task.

   Each task's data is {"num1": <number>, "num2": <number>}; the result is their sum as a string,
   like the reference project's parallel-addition example.

   Build:  cc -std=c11 -Wall -Wextra -I.. worker_addition.c -o worker_addition -lcurl -lbearssl -lpthread
   Run:    ./worker_addition --task-file addition_tasks.json     (events go to events.log)
*/
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

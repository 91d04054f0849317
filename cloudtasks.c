#define CLOUDTASKS_IMPLEMENTATION
#include "cloudtasks.h"

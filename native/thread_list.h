// The thread ids of a process, read from a /proc/PID/task directory fd.
#pragma once

#include <sys/types.h>

#include <vector>

namespace privsep {

// Lists the thread ids in the task directory `taskDir` (an fd opened on it
// earlier, so that /proc/self/task still works after a chroot), from its
// start each time. False with *err set when it cannot be read.
bool ListThreads(int taskDir, std::vector<pid_t>* tids, int* err);

}  // namespace privsep

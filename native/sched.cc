// A process's CPU scheduling class, set on every one of its threads (the
// kernel keeps the policy per thread): SCHED_IDLE, which runs only on a CPU
// that has nothing else to do, or back to SCHED_OTHER. Threads a thread
// creates afterwards inherit its policy.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>

#include <vector>

#include "args.h"
#include "thread_list.h"
#include "unique_fd.h"

namespace privsep {
namespace {

int SetPolicy(pid_t tid, bool idle) {
  sched_param param = {};
  return sched_setscheduler(tid, idle ? SCHED_IDLE : SCHED_OTHER, &param) == 0 ? 0 : errno;
}

// setIdleScheduling(pid, idle) -> undefined; throws ESRCH/EPERM/...
// The thread whose tid is the pid goes first: a thread it creates meanwhile
// inherits the new policy, and one made earlier is in the listing.
Napi::Value SetIdleScheduling(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, info.Length() == 2 && IsIntArg(info, 0) && IntArg(info, 0) > 0 && info[1].IsBoolean(),
                     "setIdleScheduling(pid, idle)", Napi::Value());
  const pid_t pid = IntArg(info, 0);
  const bool idle = info[1].As<Napi::Boolean>().Value();
  int err = SetPolicy(pid, idle);
  if (err != 0) {
    ThrowErrnoError(info.Env(), err, "sched_setscheduler");
    return Napi::Value();
  }
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/task", static_cast<int>(pid));
  UniqueFd taskDir(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!taskDir.valid()) {
    ThrowErrnoError(info.Env(), errno, "open");
    return Napi::Value();
  }
  std::vector<pid_t> tids;
  if (!ListThreads(taskDir.get(), &tids, &err)) {
    ThrowErrnoError(info.Env(), err, "readdir");
    return Napi::Value();
  }
  for (pid_t tid : tids) {
    if (tid == pid) continue;
    // A thread that has exited meanwhile needs nothing.
    err = SetPolicy(tid, idle);
    if (err != 0 && err != ESRCH) {
      ThrowErrnoError(info.Env(), err, "sched_setscheduler");
      return Napi::Value();
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void InitSched(Napi::Env env, Napi::Object exports) {
  exports.Set("setIdleScheduling", Napi::Function::New(env, SetIdleScheduling, "setIdleScheduling"));
}

}  // namespace privsep

// Per-thread credential steps (supplementary groups, gid, uid, keep-caps,
// bounding set, capset, ambient set, no_new_privs) applied to EVERY thread of
// the process, and the per-thread /proc status read back. The kernel keeps
// these per thread; glibc's set*id calls broadcast one call at a time, so
// this file does for all of them at once, in one signal to each thread, what
// glibc does for each uid call (docs/privilege.md, "Why every thread needs
// work", explains how).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "args.h"
#include "errors.h"
#include "thread_list.h"
#include "unique_fd.h"

namespace privsep {
namespace {

enum class Op { kSetgroups, kSetresgid, kSetresuid, kKeepCaps, kBoundingDrop, kCapset, kAmbientClearAll, kAmbientRaise, kAmbientLower, kNoNewPrivs };

struct Step {
  Op op;
  uint64_t a;  // keepcaps value, the id of setresgid/setresuid, or the capability mask of the step
  uint64_t b;  // capset: permitted
  uint64_t c;  // capset: inheritable
};

constexpr size_t kMaxSteps = 16;
constexpr int kMaxThreads = 4096;
constexpr int kMaxRounds = 16;
constexpr int kCapBits = 64;

struct Plan {
  Step steps[kMaxSteps];
  size_t count;
  // setgroups' list, filled before the broadcast and only read during it.
  std::vector<gid_t> groups;
};

// Outcome of the steps on one thread: the index of the step that failed
// (-1: all done) and its errno.
struct Outcome {
  int failedStep;
  int err;
};

const char* SyscallOf(Op op) {
  switch (op) {
    case Op::kSetgroups: return "setgroups";
    case Op::kSetresgid: return "setresgid";
    case Op::kSetresuid: return "setresuid";
    case Op::kCapset: return "capset";
    default: return "prctl";
  }
}

long Prctl(long option, unsigned long a2, unsigned long a3 = 0) { return syscall(SYS_prctl, option, a2, a3, 0, 0); }

// Async-signal-safe: raw system calls only, on the calling thread.
Outcome RunSteps(const Plan& plan) {
  for (size_t i = 0; i < plan.count; i++) {
    const Step& s = plan.steps[i];
    long rc = 0;
    switch (s.op) {
      // The raw calls change the calling thread only (glibc's wrappers would broadcast).
      case Op::kSetgroups:
        rc = syscall(SYS_setgroups, plan.groups.size(), plan.groups.data());
        break;
      case Op::kSetresgid:
        rc = syscall(SYS_setresgid, s.a, s.a, s.a);
        break;
      case Op::kSetresuid:
        rc = syscall(SYS_setresuid, s.a, s.a, s.a);
        break;
      case Op::kKeepCaps:
        rc = Prctl(PR_SET_KEEPCAPS, s.a != 0 ? 1 : 0);
        break;
      case Op::kBoundingDrop:
      case Op::kAmbientRaise:
      case Op::kAmbientLower:
        for (int cap = 0; cap < kCapBits && rc == 0; cap++) {
          if ((s.a & (uint64_t{1} << cap)) == 0) continue;
          if (s.op == Op::kBoundingDrop) {
            rc = Prctl(PR_CAPBSET_DROP, cap);
          } else {
            rc = Prctl(PR_CAP_AMBIENT, s.op == Op::kAmbientRaise ? PR_CAP_AMBIENT_RAISE : PR_CAP_AMBIENT_LOWER, cap);
          }
        }
        break;
      case Op::kCapset: {
        __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2];
        for (int w = 0; w < 2; w++) {
          data[w].effective = static_cast<uint32_t>(s.a >> (32 * w));
          data[w].permitted = static_cast<uint32_t>(s.b >> (32 * w));
          data[w].inheritable = static_cast<uint32_t>(s.c >> (32 * w));
        }
        rc = syscall(SYS_capset, &header, data);
        break;
      }
      case Op::kAmbientClearAll:
        rc = Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL);
        break;
      case Op::kNoNewPrivs:
        rc = Prctl(PR_SET_NO_NEW_PRIVS, 1);
        break;
    }
    if (rc != 0) return {static_cast<int>(i), errno};
  }
  return {-1, 0};
}

// ---- the broadcast ----------------------------------------------------------
//
// The signal: glibc's own SIGSETXID (the first real-time signal after
// SIGCANCEL). It is the one signal no thread of the process can block through
// glibc (pthread_sigmask removes it from every mask, and Node has a thread
// that blocks all others), and glibc's handler for it returns at once unless
// si_code is SI_TKILL. Ours is sent with SI_QUEUE and a per-broadcast cookie,
// and passes any other signal on to glibc's handler, so a glibc set*id call
// that overlaps keeps working and a late delivery after the broadcast does
// nothing.
constexpr int kSignal = __SIGRTMIN + 1;

// The kernel's struct sigaction on x86-64 and arm64 (rt_sigaction), which
// glibc's sigaction() refuses to touch for its internal signals.
struct KernelSigaction {
  void (*handler)(int, siginfo_t*, void*);
  unsigned long flags;
  void (*restorer)(void);
  uint64_t mask;
};

#if defined(__GLIBC__) && (defined(__x86_64__) || defined(__aarch64__))
constexpr bool kSupported = true;
#else
constexpr bool kSupported = false;
#endif

struct Slot {
  std::atomic<pid_t> tid;
  std::atomic<int> done;
  int failedStep;
  int err;
};

Slot g_slots[kMaxThreads];
std::atomic<int> g_slotCount{0};
std::atomic<const Plan*> g_plan{nullptr};
std::atomic<int> g_cookie{0};
KernelSigaction g_chained;
std::mutex g_mutex;

bool IsFunction(void (*handler)(int, siginfo_t*, void*)) {
  return reinterpret_cast<uintptr_t>(handler) != reinterpret_cast<uintptr_t>(SIG_DFL) &&
         reinterpret_cast<uintptr_t>(handler) != reinterpret_cast<uintptr_t>(SIG_IGN);
}

void OnSignal(int sig, siginfo_t* info, void* context) {
  const int savedErrno = errno;
  const Plan* plan = g_plan.load(std::memory_order_acquire);
  if (info == nullptr || info->si_code != SI_QUEUE || info->si_pid != getpid() || plan == nullptr ||
      info->si_value.sival_int != g_cookie.load(std::memory_order_acquire)) {
    errno = savedErrno;
    if (IsFunction(g_chained.handler)) g_chained.handler(sig, info, context);
    return;
  }
  const pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  const int count = g_slotCount.load(std::memory_order_acquire);
  for (int i = 0; i < count; i++) {
    Slot& slot = g_slots[i];
    if (slot.tid.load(std::memory_order_relaxed) != tid || slot.done.load(std::memory_order_relaxed) != 0) continue;
    Outcome outcome = RunSteps(*plan);
    slot.failedStep = outcome.failedStep;
    slot.err = outcome.err;
    slot.done.store(1, std::memory_order_release);
    break;
  }
  errno = savedErrno;
}

long RtSigaction(int sig, const KernelSigaction* act, KernelSigaction* old) {
  return syscall(SYS_rt_sigaction, sig, act, old, sizeof(uint64_t));
}

bool ThreadAlive(pid_t pid, pid_t tid) { return syscall(SYS_tgkill, pid, tid, 0) == 0 || errno != ESRCH; }

struct Failure {
  pid_t tid;
  int step;
  int err;
  bool calling;
};

// Runs the plan on the calling thread and then, through the signal, on every
// other thread, until a fresh listing shows no thread that has not run it.
// Returns 0, or an errno for a failure of the mechanism itself (the per-thread
// failures go to *failures).
int Broadcast(const Plan& plan, int taskDir, std::vector<Failure>* failures, const char** syscallName) {
  const pid_t pid = getpid();
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  Outcome own = RunSteps(plan);
  if (own.failedStep >= 0) {
    failures->push_back({self, own.failedStep, own.err, true});
    return 0;
  }

  KernelSigaction old;
  *syscallName = "rt_sigaction";
  if (RtSigaction(kSignal, nullptr, &old) != 0) return errno;
  if (!IsFunction(old.handler)) return ENOTSUP;  // not the C library this was written for
  g_chained = old;
  g_plan.store(&plan, std::memory_order_release);
  const int cookie = g_cookie.fetch_add(1) + 1;
  g_slotCount.store(0, std::memory_order_release);
  KernelSigaction ours = old;
  ours.handler = OnSignal;
  ours.flags |= SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  if (RtSigaction(kSignal, &ours, nullptr) != 0) {
    const int err = errno;
    g_plan.store(nullptr, std::memory_order_release);
    return err;
  }

  int result = 0;
  std::vector<pid_t> tids;
  bool settled = false;
  for (int round = 0; round < kMaxRounds && result == 0 && !settled; round++) {
    int err = 0;
    if (!ListThreads(taskDir, &tids, &err)) {
      *syscallName = "readdir";
      result = err;
      break;
    }
    const int before = g_slotCount.load(std::memory_order_relaxed);
    int count = before;
    for (pid_t tid : tids) {
      if (tid == self) continue;
      bool known = false;
      for (int i = 0; i < count && !known; i++) known = g_slots[i].tid.load(std::memory_order_relaxed) == tid;
      if (known) continue;
      if (count == kMaxThreads) {
        *syscallName = "rt_tgsigqueueinfo";
        result = E2BIG;
        break;
      }
      g_slots[count].tid.store(tid, std::memory_order_relaxed);
      g_slots[count].done.store(0, std::memory_order_relaxed);
      g_slots[count].failedStep = -1;
      g_slots[count].err = 0;
      count++;
    }
    g_slotCount.store(count, std::memory_order_release);
    settled = count == before;
    for (int i = before; i < count; i++) {
      siginfo_t info;
      memset(&info, 0, sizeof(info));
      info.si_signo = kSignal;
      info.si_code = SI_QUEUE;
      info.si_pid = pid;
      info.si_uid = getuid();
      info.si_value.sival_int = cookie;
      if (syscall(SYS_rt_tgsigqueueinfo, pid, g_slots[i].tid.load(), kSignal, &info) != 0) {
        if (errno == ESRCH) {
          g_slots[i].done.store(2, std::memory_order_release);  // exited meanwhile
          continue;
        }
        *syscallName = "rt_tgsigqueueinfo";
        result = errno;
        break;
      }
    }
    // Every thread runs the handler as soon as it returns to user space;
    // bounded in time in case one is stuck in the kernel.
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = before; i < count && result == 0;) {
      if (g_slots[i].done.load(std::memory_order_acquire) != 0) {
        i++;
        continue;
      }
      if (!ThreadAlive(pid, g_slots[i].tid.load())) {
        g_slots[i].done.store(2, std::memory_order_release);
        continue;
      }
      timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec - start.tv_sec > 10) {
        *syscallName = "rt_tgsigqueueinfo";
        result = ETIMEDOUT;
        break;
      }
      timespec pause = {0, 50 * 1000};
      nanosleep(&pause, nullptr);
    }
  }
  if (result == 0 && !settled) {
    *syscallName = "readdir";
    result = EAGAIN;  // threads kept appearing
  }

  const int count = g_slotCount.load(std::memory_order_acquire);
  for (int i = 0; i < count; i++) {
    if (g_slots[i].done.load(std::memory_order_acquire) == 1 && g_slots[i].failedStep >= 0) {
      failures->push_back({g_slots[i].tid.load(), g_slots[i].failedStep, g_slots[i].err, false});
    }
  }
  // A signal still in flight meets glibc's handler again, which ignores
  // SI_QUEUE, or a later broadcast's handler, which ignores the old cookie.
  RtSigaction(kSignal, &old, nullptr);
  g_plan.store(nullptr, std::memory_order_release);
  return result;
}

bool ReadMask(Napi::Object step, const char* key, uint64_t* out) {
  Napi::Value value = step.Get(key);
  if (!value.IsBigInt()) return false;
  bool lossless = false;
  *out = value.As<Napi::BigInt>().Uint64Value(&lossless);
  return lossless;
}

// A uid or gid: a whole number below 2^32 - 1 ((uid_t)-1 means "unchanged" to the kernel).
bool ReadId(Napi::Value value, uint64_t* out) {
  if (!value.IsNumber()) return false;
  const double id = value.As<Napi::Number>().DoubleValue();
  if (!(id >= 0 && id < 4294967295.0) || id != static_cast<double>(static_cast<uint32_t>(id))) return false;
  *out = static_cast<uint64_t>(id);
  return true;
}

bool ParseGroups(Napi::Value value, std::vector<gid_t>* groups) {
  if (!value.IsArray()) return false;
  Napi::Array list = value.As<Napi::Array>();
  if (list.Length() > 65536) return false;  // NGROUPS_MAX
  groups->clear();
  for (uint32_t i = 0; i < list.Length(); i++) {
    uint64_t id = 0;
    if (!ReadId(list.Get(i), &id)) return false;
    groups->push_back(static_cast<gid_t>(id));
  }
  return true;
}

bool ParseStep(Napi::Value value, Step* step, std::vector<gid_t>* groups) {
  if (!value.IsObject()) return false;
  Napi::Object obj = value.As<Napi::Object>();
  Napi::Value opValue = obj.Get("op");
  if (!opValue.IsString()) return false;
  const std::string op = opValue.As<Napi::String>().Utf8Value();
  *step = Step{Op::kKeepCaps, 0, 0, 0};
  if (op == "setgroups") {
    step->op = Op::kSetgroups;
    return ParseGroups(obj.Get("groups"), groups);
  }
  if (op == "setresgid" || op == "setresuid") {
    step->op = op == "setresgid" ? Op::kSetresgid : Op::kSetresuid;
    return ReadId(obj.Get("id"), &step->a);
  }
  if (op == "keepCaps") {
    Napi::Value on = obj.Get("on");
    if (!on.IsBoolean()) return false;
    step->a = on.As<Napi::Boolean>().Value() ? 1 : 0;
    return true;
  }
  if (op == "boundingDrop" || op == "ambientRaise" || op == "ambientLower") {
    step->op = op == "boundingDrop" ? Op::kBoundingDrop : op == "ambientRaise" ? Op::kAmbientRaise : Op::kAmbientLower;
    return ReadMask(obj, "mask", &step->a);
  }
  if (op == "capset") {
    step->op = Op::kCapset;
    return ReadMask(obj, "effective", &step->a) && ReadMask(obj, "permitted", &step->b) &&
           ReadMask(obj, "inheritable", &step->c);
  }
  if (op == "ambientClearAll") {
    step->op = Op::kAmbientClearAll;
    return true;
  }
  if (op == "noNewPrivs") {
    step->op = Op::kNoNewPrivs;
    return true;
  }
  return false;
}

// everyThread(taskDirFd, steps) -> Array<{ tid, step, errno, syscall, calling }>
// Runs the steps, in order, on the calling thread and then on every other
// thread of the process. Returns the threads where a step failed (empty when
// all went well); a failure on the calling thread stops everything before
// any other thread is touched. Throws when the mechanism itself fails.
Napi::Value EveryThread(const Napi::CallbackInfo& info) {
  const char* usage =
      "everyThread(taskDirFd, steps: Array<{ op: 'setgroups' | 'setresgid' | 'setresuid' | 'keepCaps' | 'boundingDrop' | 'capset' | 'ambientClearAll' | "
      "'ambientRaise' | 'ambientLower' | 'noNewPrivs', ... }>)";
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 1 && info[1].IsArray(), usage, Napi::Value());
  Napi::Array list = info[1].As<Napi::Array>();
  PRIVSEP_CHECK_ARGS(info, list.Length() <= kMaxSteps, usage, Napi::Value());
  Plan plan;
  plan.count = list.Length();
  for (uint32_t i = 0; i < list.Length(); i++) {
    PRIVSEP_CHECK_ARGS(info, ParseStep(list.Get(i), &plan.steps[i], &plan.groups), usage, Napi::Value());
  }
  if (!kSupported) {
    ThrowErrnoError(info.Env(), ENOSYS, "rt_sigaction");
    return Napi::Value();
  }
  std::vector<Failure> failures;
  const char* syscallName = "";
  int err;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    err = Broadcast(plan, IntArg(info, 0), &failures, &syscallName);
  }
  if (err != 0) {
    ThrowErrnoError(info.Env(), err, syscallName);
    return Napi::Value();
  }
  Napi::Env env = info.Env();
  Napi::Array result = Napi::Array::New(env, failures.size());
  for (size_t i = 0; i < failures.size(); i++) {
    Napi::Object item = Napi::Object::New(env);
    item.Set("tid", Napi::Number::New(env, failures[i].tid));
    item.Set("step", Napi::Number::New(env, failures[i].step));
    item.Set("errno", Napi::Number::New(env, -failures[i].err));
    item.Set("syscall", Napi::String::New(env, SyscallOf(plan.steps[failures[i].step].op)));
    item.Set("calling", Napi::Boolean::New(env, failures[i].calling));
    result.Set(static_cast<uint32_t>(i), item);
  }
  return result;
}

// openTaskDir() -> fd of /proc/self/task (close-on-exec), for everyThread
// and readThreadStatus after a chroot.
Napi::Value OpenTaskDir(const Napi::CallbackInfo& info) {
  int fd = ::open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    ThrowErrnoError(info.Env(), errno, "open");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd);
}

// readThreadStatus(taskDirFd) -> Array<{ tid, status: string }>, the text of
// /proc/self/task/<tid>/status of every thread (threads that exit while
// being read are left out).
Napi::Value ReadThreadStatus(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "readThreadStatus(taskDirFd)", Napi::Value());
  Napi::Env env = info.Env();
  std::vector<pid_t> tids;
  int err = 0;
  if (!ListThreads(IntArg(info, 0), &tids, &err)) {
    ThrowErrnoError(env, err, "readdir");
    return Napi::Value();
  }
  Napi::Array result = Napi::Array::New(env);
  uint32_t n = 0;
  for (pid_t tid : tids) {
    const std::string path = std::to_string(tid) + "/status";
    UniqueFd fd(::openat(IntArg(info, 0), path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT || errno == ESRCH) continue;
      ThrowErrnoError(env, errno, "openat");
      return Napi::Value();
    }
    std::string text;
    char buf[4096];
    for (;;) {
      ssize_t got = ::read(fd.get(), buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        if (errno == ESRCH) break;
        ThrowErrnoError(env, errno, "read");
        return Napi::Value();
      }
      if (got == 0 || text.size() > (1u << 20)) break;
      text.append(buf, static_cast<size_t>(got));
    }
    if (text.empty()) continue;
    Napi::Object item = Napi::Object::New(env);
    item.Set("tid", Napi::Number::New(env, tid));
    item.Set("status", Napi::String::New(env, text));
    result.Set(n++, item);
  }
  return result;
}

}  // namespace

bool ListThreads(int taskDir, std::vector<pid_t>* tids, int* err) {
  UniqueFd dup(::fcntl(taskDir, F_DUPFD_CLOEXEC, 0));
  if (!dup.valid()) {
    *err = errno;
    return false;
  }
  // The duplicate shares the directory offset with taskDir: start over.
  if (::lseek(dup.get(), 0, SEEK_SET) < 0) {
    *err = errno;
    return false;
  }
  DIR* dir = ::fdopendir(dup.get());
  if (dir == nullptr) {
    *err = errno;
    return false;
  }
  dup.release();
  tids->clear();
  *err = 0;
  for (;;) {
    errno = 0;
    dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      *err = errno;
      break;
    }
    char* end = nullptr;
    long tid = strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0' && tid > 0) tids->push_back(static_cast<pid_t>(tid));
  }
  ::closedir(dir);
  return *err == 0;
}

void InitThreads(Napi::Env env, Napi::Object exports) {
  exports.Set("everyThread", Napi::Function::New(env, EveryThread, "everyThread"));
  exports.Set("openTaskDir", Napi::Function::New(env, OpenTaskDir, "openTaskDir"));
  exports.Set("readThreadStatus", Napi::Function::New(env, ReadThreadStatus, "readThreadStatus"));
}

}  // namespace privsep

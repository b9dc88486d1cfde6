// Spawn with credentials: fork, then in the child (which runs nothing but
// raw system calls prepared before the fork) place the fds at their chosen
// numbers, chroot, set groups, gid, uid, capabilities (ambient) and
// no_new_privs, chdir, and execve. The program's first instruction already
// runs with its final credentials. A failure before execve comes back
// through a close-on-exec pipe, as posix_spawn reports it. The child is
// watched through a pidfd, which leaves libuv's own children alone.
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "errors.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace privsep {
namespace {

constexpr int kCapBits = 64;

// What the child failed at; reported with its errno.
enum Step : int32_t {
  kStepSetsid,
  kStepDup,
  kStepDup2,
  kStepCloseRange,
  kStepChdirRoot,
  kStepChroot,
  kStepKeepCaps,
  kStepBoundingDrop,
  kStepSetgroups,
  kStepSetresgid,
  kStepSetresuid,
  kStepCapset,
  kStepAmbient,
  kStepNoNewPrivs,
  kStepChdir,
  kStepExecve,
  kStepUnshareNet,
};

const char* SyscallOf(int32_t step) {
  switch (step) {
    case kStepSetsid: return "setsid";
    case kStepDup: return "fcntl";
    case kStepDup2: return "dup2";
    case kStepCloseRange: return "close_range";
    case kStepChdirRoot: return "chdir";
    case kStepChroot: return "chroot";
    case kStepKeepCaps: return "prctl";
    case kStepBoundingDrop: return "prctl";
    case kStepSetgroups: return "setgroups";
    case kStepSetresgid: return "setresgid";
    case kStepSetresuid: return "setresuid";
    case kStepCapset: return "capset";
    case kStepAmbient: return "prctl";
    case kStepNoNewPrivs: return "prctl";
    case kStepChdir: return "chdir";
    case kStepExecve: return "execve";
    case kStepUnshareNet: return "unshare";
    default: return "spawn";
  }
}

// Everything the child needs, built before the fork: the child must not
// allocate (another thread may have held the allocator's lock at fork time).
struct ChildPlan {
  std::vector<std::string> candidates;  // paths to try execve on, in order
  std::vector<std::string> argvStore;
  std::vector<char*> argv;
  std::vector<std::string> envStore;
  std::vector<char*> envp;
  std::vector<std::pair<int, int>> fds;  // target number, source fd
  std::vector<int> scratch;              // one slot per fd, for the copies
  bool hasCwd = false;
  std::string cwd;
  bool hasRoot = false;
  std::string root;
  bool setsid = false;
  bool newNetworkNamespace = false;
  bool hasGroups = false;
  std::vector<gid_t> groups;
  int64_t uid = -1;
  int64_t gid = -1;
  bool hasCaps = false;
  uint64_t caps = 0;
  uint64_t boundingDrop = 0;
  bool noNewPrivs = false;
};

[[noreturn]] void Report(int errfd, int32_t step, int err) {
  int32_t msg[2] = {step, err};
  const char* p = reinterpret_cast<const char*>(msg);
  size_t left = sizeof(msg);
  while (left > 0) {
    ssize_t n = ::write(errfd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  _exit(127);
}

long Prctl(long option, unsigned long a2, unsigned long a3 = 0) { return syscall(SYS_prctl, option, a2, a3, 0, 0); }

// Runs in the child between fork and execve: raw system calls only.
[[noreturn]] void Child(ChildPlan& p, int errfd) {
  // Handlers and ignored signals of Node must not reach the program.
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, nullptr);  // EINVAL for the C library's own signals: fine
  }
  sigset_t none;
  sigemptyset(&none);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof(uint64_t));

  if (p.setsid && ::setsid() < 0) Report(errfd, kStepSetsid, errno);

  // fds: copy every source (and the error pipe) above the highest target,
  // clear the low numbers, then place each copy at its number. The copies
  // are close-on-exec, so only the targets survive execve.
  int base = 3;
  for (const auto& fd : p.fds) base = fd.first + 1 > base ? fd.first + 1 : base;
  int moved = ::fcntl(errfd, F_DUPFD_CLOEXEC, base);
  if (moved < 0) Report(errfd, kStepDup, errno);
  errfd = moved;
  int* scratch = p.scratch.data();
  for (size_t i = 0; i < p.fds.size(); i++) {
    scratch[i] = ::fcntl(p.fds[i].second, F_DUPFD_CLOEXEC, base);
    if (scratch[i] < 0) Report(errfd, kStepDup, errno);
  }
  for (int fd = 0; fd < base; fd++) ::close(fd);
  for (size_t i = 0; i < p.fds.size(); i++) {
    if (::dup2(scratch[i], p.fds[i].first) < 0) Report(errfd, kStepDup2, errno);
  }
  if (syscall(SYS_close_range, base, ~0U, CLOSE_RANGE_CLOEXEC) != 0) Report(errfd, kStepCloseRange, errno);

  // A new, empty network namespace while still privileged (CAP_SYS_ADMIN):
  // the program can then open no network connection at all.
  if (p.newNetworkNamespace && syscall(SYS_unshare, CLONE_NEWNET) != 0) Report(errfd, kStepUnshareNet, errno);
  if (p.hasRoot) {
    if (::chdir(p.root.c_str()) != 0) Report(errfd, kStepChdirRoot, errno);
    if (syscall(SYS_chroot, ".") != 0) Report(errfd, kStepChroot, errno);
  }
  if (p.hasCaps) {
    // Keep the permitted set across the uid change, and shrink the bounding
    // set while CAP_SETPCAP is still effective.
    if (p.uid >= 0 && Prctl(PR_SET_KEEPCAPS, 1) != 0) Report(errfd, kStepKeepCaps, errno);
    for (int cap = 0; cap < kCapBits; cap++) {
      if ((p.boundingDrop & (uint64_t{1} << cap)) != 0 && Prctl(PR_CAPBSET_DROP, cap) != 0) {
        Report(errfd, kStepBoundingDrop, errno);
      }
    }
  }
  if (p.hasGroups && syscall(SYS_setgroups, p.groups.size(), p.groups.data()) != 0) {
    Report(errfd, kStepSetgroups, errno);
  }
  if (p.gid >= 0 && syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0) Report(errfd, kStepSetresgid, errno);
  if (p.uid >= 0 && syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) Report(errfd, kStepSetresuid, errno);
  if (p.hasCaps) {
    __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2];
    for (int w = 0; w < 2; w++) {
      data[w].effective = data[w].permitted = data[w].inheritable = static_cast<uint32_t>(p.caps >> (32 * w));
    }
    if (syscall(SYS_capset, &header, data) != 0) Report(errfd, kStepCapset, errno);
    if (Prctl(PR_SET_KEEPCAPS, 0) != 0) Report(errfd, kStepKeepCaps, errno);
    // Ambient capabilities are what carries a capability across execve into
    // a program without file capabilities.
    if (Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL) != 0) Report(errfd, kStepAmbient, errno);
    for (int cap = 0; cap < kCapBits; cap++) {
      if ((p.caps & (uint64_t{1} << cap)) != 0 && Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap) != 0) {
        Report(errfd, kStepAmbient, errno);
      }
    }
  }
  if (p.noNewPrivs && Prctl(PR_SET_NO_NEW_PRIVS, 1) != 0) Report(errfd, kStepNoNewPrivs, errno);
  if (p.hasCwd && ::chdir(p.cwd.c_str()) != 0) Report(errfd, kStepChdir, errno);

  // The PATH search of execvp: go on past a name that is missing or not
  // executable there, remember EACCES.
  int err = ENOENT;
  bool sawAccess = false;
  for (const std::string& path : p.candidates) {
    syscall(SYS_execve, path.c_str(), p.argv.data(), p.envp.data());
    err = errno;
    if (err == EACCES) {
      sawAccess = true;
    } else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV && err != ETIMEDOUT) {
      break;
    }
  }
  Report(errfd, kStepExecve, sawAccess && (err == ENOENT || err == ENOTDIR) ? EACCES : err);
}

bool StringList(Napi::Value value, std::vector<std::string>* out) {
  if (!value.IsArray()) return false;
  Napi::Array list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    if (!item.IsString()) return false;
    std::string s = item.As<Napi::String>().Utf8Value();
    if (memchr(s.data(), 0, s.size()) != nullptr) return false;
    out->push_back(std::move(s));
  }
  return true;
}

bool Int64Field(Napi::Object obj, const char* key, int64_t min, int64_t max, int64_t* out) {
  Napi::Value value = obj.Get(key);
  if (!value.IsNumber()) return false;
  double v = value.As<Napi::Number>().DoubleValue();
  if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max)) || v != static_cast<double>(static_cast<int64_t>(v))) {
    return false;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

bool OptionalString(Napi::Object obj, const char* key, bool* has, std::string* out) {
  Napi::Value value = obj.Get(key);
  if (value.IsNull() || value.IsUndefined()) return true;
  if (!value.IsString()) return false;
  *out = value.As<Napi::String>().Utf8Value();
  *has = true;
  return !out->empty() && memchr(out->data(), 0, out->size()) == nullptr;
}

bool ParsePlan(Napi::Object spec, ChildPlan* p) {
  if (!StringList(spec.Get("candidates"), &p->candidates) || p->candidates.empty()) return false;
  if (!StringList(spec.Get("argv"), &p->argvStore) || !StringList(spec.Get("env"), &p->envStore)) return false;
  for (std::string& s : p->argvStore) p->argv.push_back(&s[0]);
  p->argv.push_back(nullptr);
  for (std::string& s : p->envStore) p->envp.push_back(&s[0]);
  p->envp.push_back(nullptr);

  Napi::Value fds = spec.Get("fds");
  if (!fds.IsArray()) return false;
  Napi::Array pairs = fds.As<Napi::Array>();
  if (pairs.Length() % 2 != 0) return false;
  for (uint32_t i = 0; i < pairs.Length(); i += 2) {
    Napi::Value target = pairs.Get(i);
    Napi::Value source = pairs.Get(i + 1);
    if (!target.IsNumber() || !source.IsNumber()) return false;
    int t = target.As<Napi::Number>().Int32Value();
    int s = source.As<Napi::Number>().Int32Value();
    // Target numbers stay small so that the copies above them fit.
    if (t < 0 || t > 4095 || s < 0) return false;
    for (const auto& fd : p->fds) {
      if (fd.first == t) return false;
    }
    p->fds.emplace_back(t, s);
  }
  p->scratch.assign(p->fds.size(), -1);

  if (!OptionalString(spec, "cwd", &p->hasCwd, &p->cwd)) return false;
  if (!OptionalString(spec, "chroot", &p->hasRoot, &p->root)) return false;
  Napi::Value setsid = spec.Get("setsid");
  if (!setsid.IsBoolean()) return false;
  p->setsid = setsid.As<Napi::Boolean>().Value();
  Napi::Value netns = spec.Get("newNetworkNamespace");
  if (!netns.IsBoolean()) return false;
  p->newNetworkNamespace = netns.As<Napi::Boolean>().Value();
  Napi::Value nnp = spec.Get("noNewPrivs");
  if (!nnp.IsBoolean()) return false;
  p->noNewPrivs = nnp.As<Napi::Boolean>().Value();

  if (!Int64Field(spec, "uid", -1, 4294967294LL, &p->uid) || !Int64Field(spec, "gid", -1, 4294967294LL, &p->gid)) {
    return false;
  }
  Napi::Value groups = spec.Get("groups");
  if (groups.IsArray()) {
    Napi::Array list = groups.As<Napi::Array>();
    if (list.Length() > NGROUPS_MAX) return false;
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Value item = list.Get(i);
      if (!item.IsNumber()) return false;
      double v = item.As<Napi::Number>().DoubleValue();
      if (!(v >= 0 && v <= 4294967294.0) || v != static_cast<double>(static_cast<uint32_t>(v))) return false;
      p->groups.push_back(static_cast<gid_t>(v));
    }
    p->hasGroups = true;
  } else if (!groups.IsNull() && !groups.IsUndefined()) {
    return false;
  }

  Napi::Value caps = spec.Get("capabilities");
  if (caps.IsBigInt()) {
    bool lossless = false;
    p->caps = caps.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) return false;
    Napi::Value drop = spec.Get("boundingDrop");
    if (!drop.IsBigInt()) return false;
    p->boundingDrop = drop.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) return false;
    p->hasCaps = true;
  } else if (!caps.IsNull() && !caps.IsUndefined()) {
    return false;
  }
  return true;
}

// spawn(spec) -> { pid, pidfd }
// spec: { candidates: string[], argv: string[], env: string[], fds: number[]
// (target, source pairs), cwd, chroot: string | null, setsid,
// newNetworkNamespace, noNewPrivs:
// boolean, uid, gid: number (-1: unchanged), groups: number[] | null,
// capabilities: bigint | null, boundingDrop: bigint }. Throws the errno of
// the step that failed, before or in the child.
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  const char* usage =
      "spawn({ candidates, argv, env, fds, cwd, chroot, setsid, newNetworkNamespace, noNewPrivs, uid, gid, groups, capabilities, "
      "boundingDrop })";
  PRIVSEP_CHECK_ARGS(info, info.Length() > 0 && info[0].IsObject(), usage, Napi::Value());
  ChildPlan plan;
  PRIVSEP_CHECK_ARGS(info, ParsePlan(info[0].As<Napi::Object>(), &plan), usage, Napi::Value());
  Napi::Env env = info.Env();

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    ThrowErrnoError(env, errno, "pipe2");
    return Napi::Value();
  }
  // No handler of this process may run in the child: block what can be
  // blocked around the fork; the child resets the handlers, then unblocks.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) Child(plan, pipefd[1]);
  const int forkErr = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(pipefd[1]);
  if (pid < 0) {
    ::close(pipefd[0]);
    ThrowErrnoError(env, forkErr, "fork");
    return Napi::Value();
  }
  // The child is ours to reap and nobody else's, so its pid cannot be reused
  // before this pidfd refers to it.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  const int pidfdErr = errno;

  // Blocks only until the child's execve (or its report of failure).
  int32_t msg[2];
  size_t got = 0;
  while (got < sizeof(msg)) {
    ssize_t n = ::read(pipefd[0], reinterpret_cast<char*>(msg) + got, sizeof(msg) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(pipefd[0]);
  if (got == sizeof(msg) || pidfd < 0) {
    if (got != sizeof(msg)) ::kill(pid, SIGKILL);
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (pidfd >= 0) ::close(pidfd);
    if (got == sizeof(msg)) {
      Napi::Error error = ErrnoError(env, msg[1], SyscallOf(msg[0]));
      error.ThrowAsJavaScriptException();
    } else {
      ThrowErrnoError(env, pidfdErr, "pidfd_open");
    }
    return Napi::Value();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("pidfd", Napi::Number::New(env, pidfd));
  return result;
}

// waitPidfd(pidfd) -> null while the child runs, else { code, signal }
// (one of them null); reaps the child.
Napi::Value WaitPidfd(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "waitPidfd(pidfd)", Napi::Value());
  Napi::Env env = info.Env();
  siginfo_t si;
  memset(&si, 0, sizeof(si));
  int rc;
  do {
    rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(IntArg(info, 0)), &si, WEXITED | WNOHANG);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    ThrowErrnoError(env, errno, "waitid");
    return Napi::Value();
  }
  if (si.si_pid == 0) return env.Null();
  Napi::Object result = Napi::Object::New(env);
  const bool exited = si.si_code == CLD_EXITED;
  result.Set("code", exited ? Napi::Number::New(env, si.si_status) : env.Null());
  result.Set("signal", exited ? env.Null() : Napi::Number::New(env, si.si_status));
  return result;
}

// pidfdSendSignal(pidfd, signal) -> false when the process is gone.
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && IsIntArg(info, 1), "pidfdSendSignal(pidfd, signal)", Napi::Value());
  if (syscall(SYS_pidfd_send_signal, IntArg(info, 0), IntArg(info, 1), nullptr, 0) == 0) {
    return Napi::Boolean::New(info.Env(), true);
  }
  if (errno == ESRCH) return Napi::Boolean::New(info.Env(), false);
  ThrowErrnoError(info.Env(), errno, "pidfd_send_signal");
  return Napi::Value();
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("waitPidfd", Napi::Function::New(env, WaitPidfd, "waitPidfd"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
}

}  // namespace privsep

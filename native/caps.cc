// Capabilities and prctl flags as the calling thread sees them (capget,
// PR_CAPBSET_READ, PR_CAP_AMBIENT_IS_SET, PR_GET_KEEPCAPS,
// PR_GET_NO_NEW_PRIVS), and the dumpable flag, which belongs to the whole
// process. Changes to per-thread state go through threads.cc instead, so
// that no thread is left behind.
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

namespace privsep {
namespace {

constexpr int kCapBits = 64;

// capget() -> { effective, permitted, inheritable } as bigint masks.
Napi::Value CapGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) {
    ThrowErrnoError(env, errno, "capget");
    return Napi::Value();
  }
  auto join = [](uint32_t low, uint32_t high) { return (static_cast<uint64_t>(high) << 32) | low; };
  Napi::Object result = Napi::Object::New(env);
  result.Set("effective", Napi::BigInt::New(env, join(data[0].effective, data[1].effective)));
  result.Set("permitted", Napi::BigInt::New(env, join(data[0].permitted, data[1].permitted)));
  result.Set("inheritable", Napi::BigInt::New(env, join(data[0].inheritable, data[1].inheritable)));
  return result;
}

// The highest capability number this kernel knows: PR_CAPBSET_READ answers
// EINVAL past it.
int LastCap() {
  int last = -1;
  while (last + 1 < kCapBits && prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) last++;
  return last;
}

Napi::Value CapLastCap(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), LastCap()); }

// A mask of the capabilities for which prctl(option, arg2, cap) answers 1.
Napi::Value ReadMask(const Napi::CallbackInfo& info, int option, long arg2, const char* syscallName) {
  uint64_t mask = 0;
  const int last = LastCap();
  for (int cap = 0; cap <= last; cap++) {
    int rc = option == PR_CAPBSET_READ ? prctl(option, cap, 0, 0, 0) : prctl(option, arg2, cap, 0, 0);
    if (rc < 0) {
      ThrowErrnoError(info.Env(), errno, syscallName);
      return Napi::Value();
    }
    if (rc == 1) mask |= uint64_t{1} << cap;
  }
  return Napi::BigInt::New(info.Env(), mask);
}

Napi::Value BoundingSet(const Napi::CallbackInfo& info) { return ReadMask(info, PR_CAPBSET_READ, 0, "prctl"); }

Napi::Value AmbientSet(const Napi::CallbackInfo& info) {
  return ReadMask(info, PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, "prctl");
}

Napi::Value GetFlag(const Napi::CallbackInfo& info, int option) {
  int rc = prctl(option, 0, 0, 0, 0);
  if (rc < 0) {
    ThrowErrnoError(info.Env(), errno, "prctl");
    return Napi::Value();
  }
  return Napi::Boolean::New(info.Env(), rc != 0);
}

Napi::Value GetKeepCaps(const Napi::CallbackInfo& info) { return GetFlag(info, PR_GET_KEEPCAPS); }
Napi::Value GetNoNewPrivs(const Napi::CallbackInfo& info) { return GetFlag(info, PR_GET_NO_NEW_PRIVS); }
Napi::Value GetDumpable(const Napi::CallbackInfo& info) { return GetFlag(info, PR_GET_DUMPABLE); }

// setDumpable(on): PR_SET_DUMPABLE is a property of the process (its memory
// map), so one call covers every thread.
Napi::Value SetDumpable(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, info.Length() > 0 && info[0].IsBoolean(), "setDumpable(on: boolean)", Napi::Value());
  if (prctl(PR_SET_DUMPABLE, info[0].As<Napi::Boolean>().Value() ? 1 : 0, 0, 0, 0) != 0) {
    ThrowErrnoError(info.Env(), errno, "prctl");
  }
  return Napi::Value();
}

}  // namespace

void InitCaps(Napi::Env env, Napi::Object exports) {
  exports.Set("capget", Napi::Function::New(env, CapGet, "capget"));
  exports.Set("capLastCap", Napi::Function::New(env, CapLastCap, "capLastCap"));
  exports.Set("boundingSet", Napi::Function::New(env, BoundingSet, "boundingSet"));
  exports.Set("ambientSet", Napi::Function::New(env, AmbientSet, "ambientSet"));
  exports.Set("getKeepCaps", Napi::Function::New(env, GetKeepCaps, "getKeepCaps"));
  exports.Set("getNoNewPrivs", Napi::Function::New(env, GetNoNewPrivs, "getNoNewPrivs"));
  exports.Set("getDumpable", Napi::Function::New(env, GetDumpable, "getDumpable"));
  exports.Set("setDumpable", Napi::Function::New(env, SetDumpable, "setDumpable"));
}

}  // namespace privsep

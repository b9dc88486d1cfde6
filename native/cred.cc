// Credentials: real/effective/saved uid and gid, supplementary groups, and
// chroot. glibc's set*id and setgroups apply the change to every thread of
// the process (SIGSETXID), and report failure before touching any thread
// but the caller.
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "args.h"
#include "errors.h"

namespace privsep {
namespace {

// An id argument: 0 .. 2^32-2, or -1 for "leave unchanged".
bool IsIdArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  double v = info[i].As<Napi::Number>().DoubleValue();
  return v == -1 || (v >= 0 && v <= 4294967294.0 && v == static_cast<double>(static_cast<uint32_t>(v)));
}

uint32_t IdArg(const Napi::CallbackInfo& info, size_t i) {
  double v = info[i].As<Napi::Number>().DoubleValue();
  return v < 0 ? static_cast<uint32_t>(-1) : static_cast<uint32_t>(v);
}

Napi::Value Triple(Napi::Env env, uint32_t a, uint32_t b, uint32_t c) {
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::Number::New(env, a));
  result.Set(1u, Napi::Number::New(env, b));
  result.Set(2u, Napi::Number::New(env, c));
  return result;
}

Napi::Value GetResUid(const Napi::CallbackInfo& info) {
  uid_t r, e, s;
  if (::getresuid(&r, &e, &s) != 0) {
    ThrowErrnoError(info.Env(), errno, "getresuid");
    return Napi::Value();
  }
  return Triple(info.Env(), r, e, s);
}

Napi::Value GetResGid(const Napi::CallbackInfo& info) {
  gid_t r, e, s;
  if (::getresgid(&r, &e, &s) != 0) {
    ThrowErrnoError(info.Env(), errno, "getresgid");
    return Napi::Value();
  }
  return Triple(info.Env(), r, e, s);
}

Napi::Value GetGroups(const Napi::CallbackInfo& info) {
  int n = ::getgroups(0, nullptr);
  std::vector<gid_t> groups(n > 0 ? n : 0);
  if (n < 0 || (n = ::getgroups(static_cast<int>(groups.size()), groups.data())) < 0) {
    ThrowErrnoError(info.Env(), errno, "getgroups");
    return Napi::Value();
  }
  Napi::Array result = Napi::Array::New(info.Env(), n);
  for (int i = 0; i < n; i++) result.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), groups[i]));
  return result;
}

// setresuid(real, effective, saved); -1 leaves one unchanged.
Napi::Value SetResUid(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsIdArg(info, 0) && IsIdArg(info, 1) && IsIdArg(info, 2),
                     "setresuid(ruid, euid, suid)", Napi::Value());
  if (::setresuid(IdArg(info, 0), IdArg(info, 1), IdArg(info, 2)) != 0) {
    ThrowErrnoError(info.Env(), errno, "setresuid");
  }
  return Napi::Value();
}

Napi::Value SetResGid(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsIdArg(info, 0) && IsIdArg(info, 1) && IsIdArg(info, 2),
                     "setresgid(rgid, egid, sgid)", Napi::Value());
  if (::setresgid(IdArg(info, 0), IdArg(info, 1), IdArg(info, 2)) != 0) {
    ThrowErrnoError(info.Env(), errno, "setresgid");
  }
  return Napi::Value();
}

Napi::Value SetGroups(const Napi::CallbackInfo& info) {
  const char* usage = "setgroups(gids: number[])";
  PRIVSEP_CHECK_ARGS(info, info.Length() > 0 && info[0].IsArray(), usage, Napi::Value());
  Napi::Array list = info[0].As<Napi::Array>();
  PRIVSEP_CHECK_ARGS(info, list.Length() <= NGROUPS_MAX, usage, Napi::Value());
  std::vector<gid_t> groups;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    PRIVSEP_CHECK_ARGS(info, item.IsNumber(), usage, Napi::Value());
    double v = item.As<Napi::Number>().DoubleValue();
    PRIVSEP_CHECK_ARGS(info, v >= 0 && v <= 4294967294.0 && v == static_cast<double>(static_cast<uint32_t>(v)), usage,
                       Napi::Value());
    groups.push_back(static_cast<gid_t>(v));
  }
  if (::setgroups(groups.size(), groups.empty() ? nullptr : groups.data()) != 0) {
    ThrowErrnoError(info.Env(), errno, "setgroups");
  }
  return Napi::Value();
}

// chroot(path). The caller chdirs into the new root first (process.chdir,
// which also keeps Node's cached cwd right), as vsftpd does.
Napi::Value Chroot(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, info.Length() > 0 && info[0].IsString(), "chroot(path: string)", Napi::Value());
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty() || memchr(path.data(), 0, path.size()) != nullptr) {
    ThrowErrnoError(info.Env(), path.empty() ? ENOENT : EINVAL, "chroot");
    return Napi::Value();
  }
  if (::chroot(path.c_str()) != 0) ThrowErrnoError(info.Env(), errno, "chroot");
  return Napi::Value();
}

}  // namespace

void InitCred(Napi::Env env, Napi::Object exports) {
  exports.Set("getresuid", Napi::Function::New(env, GetResUid, "getresuid"));
  exports.Set("getresgid", Napi::Function::New(env, GetResGid, "getresgid"));
  exports.Set("getgroups", Napi::Function::New(env, GetGroups, "getgroups"));
  exports.Set("setresuid", Napi::Function::New(env, SetResUid, "setresuid"));
  exports.Set("setresgid", Napi::Function::New(env, SetResGid, "setresgid"));
  exports.Set("setgroups", Napi::Function::New(env, SetGroups, "setgroups"));
  exports.Set("chroot", Napi::Function::New(env, Chroot, "chroot"));
}

}  // namespace privsep

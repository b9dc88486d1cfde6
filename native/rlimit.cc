// Resource limits (getrlimit/setrlimit). Limits belong to the process, so
// one call covers every thread.
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>

#include <string>

#include "args.h"
#include "errors.h"

namespace privsep {
namespace {

struct Resource {
  const char* name;
  int resource;
};

const Resource kResources[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

bool ResourceArg(const Napi::CallbackInfo& info, size_t i, int* resource) {
  if (info.Length() <= i || !info[i].IsString()) return false;
  const std::string name = info[i].As<Napi::String>().Utf8Value();
  for (const Resource& r : kResources) {
    if (name == r.name) {
      *resource = r.resource;
      return true;
    }
  }
  return false;
}

// A limit value: a non-negative integer, or Infinity for RLIM_INFINITY.
bool LimitArg(const Napi::CallbackInfo& info, size_t i, rlim_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (isinf(v) && v > 0) {
    *out = RLIM_INFINITY;
    return true;
  }
  if (!(v >= 0) || v > 9007199254740991.0 || v != floor(v)) return false;
  *out = static_cast<rlim_t>(v);
  return true;
}

Napi::Value LimitValue(Napi::Env env, rlim_t v) {
  return Napi::Number::New(env, v == RLIM_INFINITY ? INFINITY : static_cast<double>(v));
}

// getrlimit(name) -> [soft, hard]; Infinity stands for RLIM_INFINITY.
Napi::Value GetRlimit(const Napi::CallbackInfo& info) {
  int resource;
  PRIVSEP_CHECK_ARGS(info, ResourceArg(info, 0, &resource), "getrlimit(name: string)", Napi::Value());
  rlimit limit;
  if (::getrlimit(resource, &limit) != 0) {
    ThrowErrnoError(info.Env(), errno, "getrlimit");
    return Napi::Value();
  }
  Napi::Array result = Napi::Array::New(info.Env(), 2);
  result.Set(0u, LimitValue(info.Env(), limit.rlim_cur));
  result.Set(1u, LimitValue(info.Env(), limit.rlim_max));
  return result;
}

Napi::Value SetRlimit(const Napi::CallbackInfo& info) {
  int resource;
  rlimit limit;
  PRIVSEP_CHECK_ARGS(info, ResourceArg(info, 0, &resource) && LimitArg(info, 1, &limit.rlim_cur) &&
                               LimitArg(info, 2, &limit.rlim_max),
                     "setrlimit(name: string, soft: number, hard: number)", Napi::Value());
  if (::setrlimit(resource, &limit) != 0) ThrowErrnoError(info.Env(), errno, "setrlimit");
  return Napi::Value();
}

}  // namespace

void InitRlimit(Napi::Env env, Napi::Object exports) {
  exports.Set("getrlimit", Napi::Function::New(env, GetRlimit, "getrlimit"));
  exports.Set("setrlimit", Napi::Function::New(env, SetRlimit, "setrlimit"));
}

}  // namespace privsep

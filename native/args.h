// Argument checks for the native functions. The TypeScript layer validates
// first; these only keep bad input from ever reaching a system call.
#pragma once

#include <napi.h>

#include "errors.h"

// Throws TypeError("Usage: ...") and returns `ret` unless `cond` holds.
#define PRIVSEP_CHECK_ARGS(info, cond, usage, ret) \
  do {                                             \
    if (!(cond)) {                                 \
      ::privsep::ThrowUsage((info).Env(), usage);  \
      return ret;                                  \
    }                                              \
  } while (0)

namespace privsep {

// True when info[i] is a number holding a non-negative 32-bit integer.
inline bool IsFdArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  double v = info[i].As<Napi::Number>().DoubleValue();
  return v >= 0 && v <= 2147483647.0 && v == static_cast<double>(static_cast<int>(v));
}

inline bool IsIntArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  double v = info[i].As<Napi::Number>().DoubleValue();
  return v >= -2147483648.0 && v <= 2147483647.0 && v == static_cast<double>(static_cast<int>(v));
}

inline int IntArg(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}

}  // namespace privsep

// Node-shaped errors for the addon (see errors.h).
#include "errors.h"

#include <uv.h>

#include <string>

namespace privsep {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  // libuv error codes on Unix are negated errno values, so uv_err_name and
  // uv_strerror give exactly the text Node's own UVException uses.
  const int uverr = -err;
  std::string message = std::string(uv_err_name(uverr)) + ": " + uv_strerror(uverr) + ", " + syscall;
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, uverr));
  obj.Set("code", Napi::String::New(env, uv_err_name(uverr)));
  obj.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

void ThrowErrnoError(Napi::Env env, int err, const char* syscall) {
  ErrnoError(env, err, syscall).ThrowAsJavaScriptException();
}

void ThrowCodeError(Napi::Env env, const char* code, const char* message, const char* syscall) {
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("code", Napi::String::New(env, code));
  if (syscall != nullptr) obj.Set("syscall", Napi::String::New(env, syscall));
  error.ThrowAsJavaScriptException();
}

void ThrowUsage(Napi::Env env, const char* usage) {
  Napi::TypeError error = Napi::TypeError::New(env, std::string("Usage: ") + usage);
  error.Value().Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  error.ThrowAsJavaScriptException();
}

}  // namespace privsep

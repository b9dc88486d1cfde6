// Builds errors shaped like Node's own system errors: message
// "EBADF: bad file descriptor, sendmsg", err.code, negative err.errno,
// err.syscall. The only place in the addon that creates such errors.
#pragma once

#include <napi.h>

namespace privsep {

// Makes (but does not throw) a Node-shaped error for a positive errno value.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall);

// Throws a Node-shaped error; callers return right after.
void ThrowErrnoError(Napi::Env env, int err, const char* syscall);

// Throws a library error with a stable ERR_PRIVSEP_* code.
void ThrowCodeError(Napi::Env env, const char* code, const char* message, const char* syscall);

// Throws TypeError("Usage: <usage>") with code ERR_INVALID_ARG_TYPE.
void ThrowUsage(Napi::Env env, const char* usage);

}  // namespace privsep

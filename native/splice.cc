// pipe2 and splice(2), for zero-copy socket -> file transfers (uploads); the
// caller drives them from the event loop on a non-blocking socket.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"

namespace privsep {
namespace {

// pipe2(capacity) -> [readFd, writeFd], both close-on-exec and non-blocking;
// capacity (bytes, 0 = the kernel's default) is a wish: the kernel may round
// it or refuse it above /proc/sys/fs/pipe-max-size, and then the default stays.
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsIntArg(info, 0) && IntArg(info, 0) >= 0, "pipe2(capacity >= 0)", Napi::Value());
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    ThrowErrnoError(info.Env(), errno, "pipe2");
    return Napi::Value();
  }
  if (IntArg(info, 0) > 0) (void)::fcntl(fds[1], F_SETPIPE_SZ, IntArg(info, 0));
  Napi::Array result = Napi::Array::New(info.Env(), 2);
  result.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  result.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return result;
}

// splice(fdIn, offIn | -1, fdOut, offOut | -1, length) -> bytes moved (0 at
// end of input), or -1 when it would block (EAGAIN). Offsets of -1 use (and
// move) the fd's own position; others are not moved.
Napi::Value Splice(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info,
                     IsFdArg(info, 0) && info.Length() > 4 && info[1].IsNumber() && IsFdArg(info, 2) &&
                         info[3].IsNumber() && info[4].IsNumber(),
                     "splice(fdIn, offIn, fdOut, offOut, length)", Napi::Value());
  const double inValue = info[1].As<Napi::Number>().DoubleValue();
  const double outValue = info[3].As<Napi::Number>().DoubleValue();
  const double lengthValue = info[4].As<Napi::Number>().DoubleValue();
  PRIVSEP_CHECK_ARGS(info, inValue >= -1 && outValue >= -1 && lengthValue >= 0 && inValue <= 9007199254740991.0 && outValue <= 9007199254740991.0,
                     "splice(fdIn, offIn >= -1, fdOut, offOut >= -1, length >= 0)", Napi::Value());
  loff_t inOffset = static_cast<loff_t>(inValue);
  loff_t outOffset = static_cast<loff_t>(outValue);
  const size_t length = lengthValue > 0x7ffff000 ? 0x7ffff000 : static_cast<size_t>(lengthValue);
  ssize_t n;
  do {
    n = ::splice(IntArg(info, 0), inValue < 0 ? nullptr : &inOffset, IntArg(info, 2), outValue < 0 ? nullptr : &outOffset,
                 length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return Napi::Number::New(info.Env(), static_cast<double>(n));
  if (errno == EAGAIN) return Napi::Number::New(info.Env(), -1);
  ThrowErrnoError(info.Env(), errno, "splice");
  return Napi::Value();
}

}  // namespace

void InitSplice(Napi::Env env, Napi::Object exports) {
  exports.Set("pipe2", Napi::Function::New(env, Pipe, "pipe2"));
  exports.Set("splice", Napi::Function::New(env, Splice, "splice"));
}

}  // namespace privsep

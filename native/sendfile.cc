// sendfile(2) for zero-copy file -> socket transfers; the caller drives it
// from the event loop on a non-blocking socket.
#include <errno.h>
#include <sys/sendfile.h>

#include "args.h"
#include "errors.h"

namespace privsep {
namespace {

// sendfile(outFd, inFd, offset, count) -> bytes sent (0 at end of file), or
// -1 when the socket buffer is full (EAGAIN). The file offset of inFd is not
// used or moved: the caller tracks `offset`.
Napi::Value SendFile(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info,
                     IsFdArg(info, 0) && IsFdArg(info, 1) && info.Length() > 3 && info[2].IsNumber() &&
                         info[3].IsNumber(),
                     "sendfile(outFd, inFd, offset: number, count: number)", Napi::Value());
  const double offsetValue = info[2].As<Napi::Number>().DoubleValue();
  const double countValue = info[3].As<Napi::Number>().DoubleValue();
  PRIVSEP_CHECK_ARGS(info, offsetValue >= 0 && offsetValue <= 9007199254740991.0 && countValue >= 0,
                     "sendfile(outFd, inFd, offset >= 0, count >= 0)", Napi::Value());
  off_t offset = static_cast<off_t>(offsetValue);
  // One call moves at most 0x7ffff000 bytes (the kernel's MAX_RW_COUNT).
  const size_t count = countValue > 0x7ffff000 ? 0x7ffff000 : static_cast<size_t>(countValue);
  ssize_t n;
  do {
    n = ::sendfile(IntArg(info, 0), IntArg(info, 1), &offset, count);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return Napi::Number::New(info.Env(), static_cast<double>(n));
  if (errno == EAGAIN) return Napi::Number::New(info.Env(), -1);
  ThrowErrnoError(info.Env(), errno, "sendfile");
  return Napi::Value();
}

}  // namespace

void InitSendfile(Napi::Env env, Napi::Object exports) {
  exports.Set("sendfile", Napi::Function::New(env, SendFile, "sendfile"));
}

}  // namespace privsep

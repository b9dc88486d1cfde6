// read(2), write(2)/writev(2) and a peeking recv(2) on a raw fd, for callers that drive a
// non-blocking fd from the event loop (a character device such as
// /dev/fuse, a pipe, a socket). EAGAIN is a result (-1), not an error.
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vector>

#include "args.h"
#include "errors.h"

namespace privsep {
namespace {

bool IsBytes(const Napi::Value& value) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array;
}

// Runs one read-like call into buffer[offset, offset + length) of
// (fd, buffer: Uint8Array, offset, length): the bytes it gave (0 at end of
// stream), or -1 when none are ready (EAGAIN).
template <typename Call>
Napi::Value ReadInto(const Napi::CallbackInfo& info, const char* usage, const char* syscall, Call call) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 3 && IsBytes(info[1]) && IsFdArg(info, 2) && IsFdArg(info, 3),
                     usage, Napi::Value());
  Napi::Uint8Array buffer = info[1].As<Napi::Uint8Array>();
  const size_t offset = static_cast<size_t>(IntArg(info, 2));
  const size_t length = static_cast<size_t>(IntArg(info, 3));
  PRIVSEP_CHECK_ARGS(info, offset <= buffer.ElementLength() && length <= buffer.ElementLength() - offset, usage,
                     Napi::Value());
  ssize_t n;
  do {
    n = call(IntArg(info, 0), buffer.Data() + offset, length);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return Napi::Number::New(info.Env(), static_cast<double>(n));
  if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(info.Env(), -1);
  ThrowErrnoError(info.Env(), errno, syscall);
  return Napi::Value();
}

// read(fd, buffer: Uint8Array, offset, length): one read(2) call.
Napi::Value Read(const Napi::CallbackInfo& info) {
  return ReadInto(info, "read(fd, buffer: Uint8Array, offset, length)", "read",
                  [](int fd, uint8_t* data, size_t length) { return ::read(fd, data, length); });
}

// peek(fd, buffer: Uint8Array, offset, length): the bytes waiting, copied
// without taking them; one recv(2) with MSG_PEEK | MSG_DONTWAIT, so the
// next read gets them.
Napi::Value Peek(const Napi::CallbackInfo& info) {
  return ReadInto(info, "peek(fd, buffer: Uint8Array, offset, length)", "recv",
                  [](int fd, uint8_t* data, size_t length) { return ::recv(fd, data, length, MSG_PEEK | MSG_DONTWAIT); });
}

// write(fd, data: Uint8Array | Uint8Array[]) -> bytes written, or -1 when the
// fd cannot take any now (EAGAIN). An array goes out in one writev(2), so a
// device that takes one message per write sees one message.
Napi::Value Write(const Napi::CallbackInfo& info) {
  const char* usage = "write(fd, data: Uint8Array | Uint8Array[])";
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 1 && (IsBytes(info[1]) || info[1].IsArray()), usage,
                     Napi::Value());
  std::vector<iovec> iov;
  if (IsBytes(info[1])) {
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    iov.push_back({bytes.Data(), bytes.ElementLength()});
  } else {
    Napi::Array array = info[1].As<Napi::Array>();
    PRIVSEP_CHECK_ARGS(info, array.Length() <= IOV_MAX, usage, Napi::Value());
    iov.reserve(array.Length());
    for (uint32_t i = 0; i < array.Length(); i++) {
      Napi::Value item = array.Get(i);
      PRIVSEP_CHECK_ARGS(info, IsBytes(item), usage, Napi::Value());
      Napi::Uint8Array bytes = item.As<Napi::Uint8Array>();
      iov.push_back({bytes.Data(), bytes.ElementLength()});
    }
  }
  ssize_t n;
  do {
    n = ::writev(IntArg(info, 0), iov.data(), static_cast<int>(iov.size()));
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return Napi::Number::New(info.Env(), static_cast<double>(n));
  if (errno == EAGAIN) return Napi::Number::New(info.Env(), -1);
  ThrowErrnoError(info.Env(), errno, "write");
  return Napi::Value();
}

}  // namespace

void InitIo(Napi::Env env, Napi::Object exports) {
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("peek", Napi::Function::New(env, Peek, "peek"));
}

}  // namespace privsep

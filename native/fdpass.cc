// sendmsg/recvmsg with SCM_RIGHTS. Received fds are close-on-exec; a
// truncated control message is an error and every fd that did arrive is
// closed (monitor_fdpass.c checks the same things).
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vector>

#include "args.h"
#include "errors.h"

namespace privsep {
namespace {

// The kernel's limit of fds in one SCM_RIGHTS message (SCM_MAX_FD).
constexpr int kMaxFdsPerMessage = 253;

// Status values written to info[1] by RecvMsg.
constexpr int kRecvAgain = 0;
constexpr int kRecvEof = 1;
constexpr int kRecvFull = 2;

// A small set of fds kept on the stack: the hot path allocates nothing.
struct FdList {
  int fds[kMaxFdsPerMessage];
  size_t count = 0;
};

bool ReadFdList(Napi::Value value, FdList* list) {
  if (value.IsNull() || value.IsUndefined()) return true;
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    Napi::Int32Array array = value.As<Napi::Int32Array>();
    if (array.ElementLength() > static_cast<size_t>(kMaxFdsPerMessage)) return false;
    for (size_t i = 0; i < array.ElementLength(); i++) list->fds[list->count++] = array[i];
  } else if (value.IsArray()) {
    Napi::Array array = value.As<Napi::Array>();
    if (array.Length() > static_cast<uint32_t>(kMaxFdsPerMessage)) return false;
    for (uint32_t i = 0; i < array.Length(); i++) {
      Napi::Value item = array.Get(i);
      if (!item.IsNumber()) return false;
      list->fds[list->count++] = item.As<Napi::Number>().Int32Value();
    }
  } else {
    return false;
  }
  for (size_t i = 0; i < list->count; i++) {
    if (list->fds[i] < 0) return false;
  }
  return true;
}

// Buffers beyond this many take a heap allocation; the Channel sends at most 128.
constexpr uint32_t kStackIov = 128;

// sendmsg(fd, buffers: Buffer[], fds: Int32Array | number[] | null) -> bytes
// Sends the buffers as one message with the fds attached to its first byte.
// Returns the number of bytes the kernel took (a stream socket may take
// fewer than offered), or -1 when the socket buffer is full (EAGAIN).
Napi::Value SendMsg(const Napi::CallbackInfo& info) {
  const char* usage = "sendmsg(fd, buffers: Buffer[], fds: Int32Array | number[] | null)";
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 2 && info[1].IsArray(), usage, Napi::Value());
  Napi::Array buffers = info[1].As<Napi::Array>();
  const uint32_t count = buffers.Length();
  PRIVSEP_CHECK_ARGS(info, count <= IOV_MAX, usage, Napi::Value());
  iovec stackIov[kStackIov];
  std::vector<iovec> heapIov;
  iovec* iov = stackIov;
  if (count > kStackIov) {
    heapIov.resize(count);
    iov = heapIov.data();
  }
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value item = buffers.Get(i);
    PRIVSEP_CHECK_ARGS(info, item.IsBuffer(), usage, Napi::Value());
    Napi::Buffer<char> buf = item.As<Napi::Buffer<char>>();
    iov[i].iov_base = buf.Data();
    iov[i].iov_len = buf.Length();
  }
  FdList fds;
  PRIVSEP_CHECK_ARGS(info, ReadFdList(info[2], &fds), usage, Napi::Value());

  msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
  if (fds.count > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.count);
    memset(control, 0, msg.msg_controllen);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.count);
    memcpy(CMSG_DATA(cmsg), fds.fds, sizeof(int) * fds.count);
  }
  ssize_t n;
  do {
    n = ::sendmsg(IntArg(info, 0), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return Napi::Number::New(info.Env(), static_cast<double>(n));
  if (errno == EAGAIN) return Napi::Number::New(info.Env(), -1);
  ThrowErrnoError(info.Env(), errno, "sendmsg");
  return Napi::Value();
}

// recvmsg(fd, buffer, offset, minSpace, fdsOut: Int32Array, info: Int32Array) -> bytes
// Calls recvmsg until the socket is drained, the buffer has less than
// minSpace bytes left, or fdsOut could not hold another full message of fds:
// one call from JavaScript then covers many messages. Writes the number of
// fds received to info[0] and the reason it stopped to info[1]: 0 drained
// (EAGAIN), 1 end of stream, 2 buffer full, or -errno of an error that came
// after some data (the data is still returned; an error before any data is
// thrown instead).
Napi::Value RecvMsg(const Napi::CallbackInfo& info) {
  const char* usage = "recvmsg(fd, buffer: Buffer, offset, minSpace, fdsOut: Int32Array, info: Int32Array)";
  PRIVSEP_CHECK_ARGS(info,
                     IsFdArg(info, 0) && info.Length() > 5 && info[1].IsBuffer() && IsFdArg(info, 2) &&
                         IsFdArg(info, 3) && info[4].IsTypedArray() && info[5].IsTypedArray(),
                     usage, Napi::Value());
  Napi::Buffer<char> buffer = info[1].As<Napi::Buffer<char>>();
  Napi::TypedArray fdsValue = info[4].As<Napi::TypedArray>();
  Napi::TypedArray infoValue = info[5].As<Napi::TypedArray>();
  PRIVSEP_CHECK_ARGS(info,
                     fdsValue.TypedArrayType() == napi_int32_array &&
                         infoValue.TypedArrayType() == napi_int32_array && infoValue.ElementLength() >= 2 &&
                         static_cast<size_t>(IntArg(info, 2)) <= buffer.Length(),
                     usage, Napi::Value());
  Napi::Int32Array fdsOut = fdsValue.As<Napi::Int32Array>();
  Napi::Int32Array status = infoValue.As<Napi::Int32Array>();
  const int fd = IntArg(info, 0);
  const size_t minSpace = IntArg(info, 3) > 0 ? IntArg(info, 3) : 1;
  const size_t fdCapacity = fdsOut.ElementLength();

  size_t offset = IntArg(info, 2);
  size_t total = 0;
  size_t nfds = 0;
  int stop = kRecvAgain;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];

  for (;;) {
    const size_t space = buffer.Length() - offset;
    if (space < minSpace || fdCapacity - nfds < static_cast<size_t>(kMaxFdsPerMessage)) {
      stop = kRecvFull;
      break;
    }
    iovec iov = {buffer.Data() + offset, space};
    msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      if (total > 0 || nfds > 0) {
        stop = -errno;
        break;
      }
      ThrowErrnoError(info.Env(), errno, "recvmsg");
      return Napi::Value();
    }
    // Take every fd before looking at anything else, so that an error below
    // closes them all.
    FdList arrived;
    bool foreign = false;
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
      if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
        const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const int* data = reinterpret_cast<const int*>(CMSG_DATA(cmsg));
        for (size_t i = 0; i < count && arrived.count < static_cast<size_t>(kMaxFdsPerMessage); i++) {
          arrived.fds[arrived.count++] = data[i];
        }
      } else {
        foreign = true;
      }
    }
    if ((msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0 || foreign) {
      for (size_t i = 0; i < arrived.count; i++) ::close(arrived.fds[i]);
      for (size_t i = 0; i < nfds; i++) ::close(fdsOut[i]);
      if (foreign) {
        ThrowCodeError(info.Env(), "ERR_PRIVSEP_UNEXPECTED_CONTROL_MESSAGE",
                       "recvmsg: a control message other than SCM_RIGHTS arrived; its fds were closed", "recvmsg");
      } else if ((msg.msg_flags & MSG_CTRUNC) != 0) {
        ThrowCodeError(info.Env(), "ERR_PRIVSEP_FDS_TRUNCATED",
                       "recvmsg: control message truncated (MSG_CTRUNC); the fds that arrived were closed",
                       "recvmsg");
      } else {
        ThrowErrnoError(info.Env(), EMSGSIZE, "recvmsg");
      }
      return Napi::Value();
    }
    for (size_t i = 0; i < arrived.count; i++) fdsOut[nfds++] = arrived.fds[i];
    if (n == 0 && arrived.count == 0) {
      stop = kRecvEof;
      break;
    }
    offset += n;
    total += n;
  }
  status[0] = static_cast<int32_t>(nfds);
  status[1] = stop;
  return Napi::Number::New(info.Env(), static_cast<double>(total));
}

}  // namespace

void InitFdpass(Napi::Env env, Napi::Object exports) {
  exports.Set("sendmsg", Napi::Function::New(env, SendMsg, "sendmsg"));
  exports.Set("recvmsg", Napi::Function::New(env, RecvMsg, "recvmsg"));
  exports.Set("SCM_MAX_FD", Napi::Number::New(env, kMaxFdsPerMessage));
}

}  // namespace privsep

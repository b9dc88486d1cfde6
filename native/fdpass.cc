// sendmsg/recvmsg with SCM_RIGHTS (and SCM_CREDENTIALS where asked), on
// stream, seqpacket and datagram unix sockets. Received fds are
// close-on-exec; a truncated control message or datagram is an error and
// every fd that did arrive is closed (monitor_fdpass.c checks the same things).
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vector>

#include "args.h"
#include "errors.h"
#include "socket_address.h"

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

// Room for a full SCM_RIGHTS message and one SCM_CREDENTIALS.
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage) + CMSG_SPACE(sizeof(ucred));

// Credentials in JavaScript: Int32Array [present, pid, uid, gid].
constexpr size_t kCredSlots = 4;

bool IsInt32Array(Napi::Value value, size_t minLength) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array &&
         value.As<Napi::TypedArray>().ElementLength() >= minLength;
}

// Fills msg's control part with the fds (SCM_RIGHTS) and, when `cred` is
// given, the credentials the sender states (SCM_CREDENTIALS).
void SetControl(msghdr* msg, char* control, const FdList& fds, const ucred* cred) {
  size_t length = 0;
  if (fds.count > 0) length += CMSG_SPACE(sizeof(int) * fds.count);
  if (cred != nullptr) length += CMSG_SPACE(sizeof(ucred));
  if (length == 0) return;
  memset(control, 0, length);
  msg->msg_control = control;
  msg->msg_controllen = length;
  cmsghdr* cmsg = CMSG_FIRSTHDR(msg);
  if (fds.count > 0) {
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.count);
    memcpy(CMSG_DATA(cmsg), fds.fds, sizeof(int) * fds.count);
    cmsg = CMSG_NXTHDR(msg, cmsg);
  }
  if (cred != nullptr) {
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_CREDENTIALS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(ucred));
    memcpy(CMSG_DATA(cmsg), cred, sizeof(ucred));
  }
}

// What the control part of one received message held.
struct Control {
  FdList fds;
  ucred cred = {0, 0, 0};
  bool hasCred = false;
  bool foreign = false;
};

// Takes every fd first, so that an error found later closes them all.
// SCM_CREDENTIALS counts as foreign unless `acceptCred`.
void TakeControl(msghdr* msg, bool acceptCred, Control* out) {
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
      const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const int* data = reinterpret_cast<const int*>(CMSG_DATA(cmsg));
      for (size_t i = 0; i < count && out->fds.count < static_cast<size_t>(kMaxFdsPerMessage); i++) {
        out->fds.fds[out->fds.count++] = data[i];
      }
    } else if (acceptCred && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_CREDENTIALS &&
               cmsg->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      memcpy(&out->cred, CMSG_DATA(cmsg), sizeof(ucred));
      out->hasCred = true;
    } else {
      out->foreign = true;
    }
  }
}

// A message whose control part or data was cut, or that brought a control
// message nobody asked for: closes the fds that came with it and throws.
// `size` is the datagram's real length where known (MSG_TRUNC), else 0.
bool RejectDamaged(Napi::Env env, const msghdr& msg, const Control& control, size_t size) {
  if ((msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) == 0 && !control.foreign) return false;
  for (size_t i = 0; i < control.fds.count; i++) ::close(control.fds.fds[i]);
  if (control.foreign) {
    ThrowCodeError(env, "ERR_PRIVSEP_UNEXPECTED_CONTROL_MESSAGE",
                   "recvmsg: a control message other than SCM_RIGHTS arrived; its fds were closed", "recvmsg");
  } else if ((msg.msg_flags & MSG_CTRUNC) != 0) {
    ThrowCodeError(env, "ERR_PRIVSEP_FDS_TRUNCATED",
                   "recvmsg: control message truncated (MSG_CTRUNC); the fds that arrived were closed", "recvmsg");
  } else {
    Napi::Error error = ErrnoError(env, EMSGSIZE, "recvmsg");
    if (size > 0) error.Value().Set("size", Napi::Number::New(env, static_cast<double>(size)));
    error.ThrowAsJavaScriptException();
  }
  return true;
}

// Writes [present, pid, uid, gid] to out[at..at+3].
void WriteCred(Napi::Int32Array out, size_t at, const Control& control) {
  out[at] = control.hasCred ? 1 : 0;
  out[at + 1] = control.cred.pid;
  out[at + 2] = static_cast<int32_t>(control.cred.uid);
  out[at + 3] = static_cast<int32_t>(control.cred.gid);
}

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

// sendmsg(fd, buffers: Buffer[], fds: Int32Array | number[] | null,
//         cred?: Int32Array [pid, uid, gid] | null, to?: Buffer | null, abstract?: boolean) -> bytes
// Sends the buffers as one message with the fds attached to its first byte,
// the stated credentials, and to the unix address `to` (a datagram socket).
// Returns the number of bytes the kernel took (a stream socket may take
// fewer than offered), or -1 when the socket buffer is full (EAGAIN).
Napi::Value SendMsg(const Napi::CallbackInfo& info) {
  const char* usage =
      "sendmsg(fd, buffers: Buffer[], fds: Int32Array | number[] | null, cred?: Int32Array | null, to?: Buffer | "
      "null, abstract?: boolean)";
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
  const bool hasCred = info.Length() > 3 && !info[3].IsNull() && !info[3].IsUndefined();
  PRIVSEP_CHECK_ARGS(info, !hasCred || IsInt32Array(info[3], 3), usage, Napi::Value());
  const bool hasTo = info.Length() > 4 && !info[4].IsNull() && !info[4].IsUndefined();
  PRIVSEP_CHECK_ARGS(info, !hasTo || (info[4].IsBuffer() && info.Length() > 5 && info[5].IsBoolean()), usage,
                     Napi::Value());

  msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  sockaddr_un to;
  if (hasTo) {
    socklen_t toLength;
    if (!MakeUnixAddress(info, 4, info[5].As<Napi::Boolean>().Value(), &to, &toLength, "sendmsg")) {
      return Napi::Value();
    }
    msg.msg_name = &to;
    msg.msg_namelen = toLength;
  }
  ucred cred;
  if (hasCred) {
    Napi::Int32Array array = info[3].As<Napi::Int32Array>();
    cred.pid = array[0];
    cred.uid = static_cast<uid_t>(array[1]);
    cred.gid = static_cast<gid_t>(array[2]);
  }
  alignas(cmsghdr) char control[kControlBytes];
  SetControl(&msg, control, fds, hasCred ? &cred : nullptr);
  ssize_t n;
  do {
    n = ::sendmsg(IntArg(info, 0), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return Napi::Number::New(info.Env(), static_cast<double>(n));
  if (errno == EAGAIN) return Napi::Number::New(info.Env(), -1);
  ThrowErrnoError(info.Env(), errno, "sendmsg");
  return Napi::Value();
}

// recvmsg(fd, buffer, offset, minSpace, fdsOut: Int32Array, info: Int32Array, cred?: Int32Array) -> bytes
// Calls recvmsg until the socket is drained, the buffer has less than
// minSpace bytes left, or fdsOut could not hold another full message of fds:
// one call from JavaScript then covers many messages. Writes the number of
// fds received to info[0] and the reason it stopped to info[1]: 0 drained
// (EAGAIN), 1 end of stream, 2 buffer full (or one read done, with cred),
// or -errno of an error that came after some data (the data is still
// returned; an error before any data is thrown instead).
// With `cred` (Int32Array [present, pid, uid, gid]) it accepts
// SCM_CREDENTIALS and makes one recvmsg, whose bytes all come with the
// credentials written there: the kernel never joins bytes of different
// credentials in one read.
Napi::Value RecvMsg(const Napi::CallbackInfo& info) {
  const char* usage =
      "recvmsg(fd, buffer: Buffer, offset, minSpace, fdsOut: Int32Array, info: Int32Array, cred?: Int32Array)";
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
  const bool wantCred = info.Length() > 6 && !info[6].IsUndefined() && !info[6].IsNull();
  PRIVSEP_CHECK_ARGS(info, !wantCred || IsInt32Array(info[6], kCredSlots), usage, Napi::Value());
  Napi::Int32Array fdsOut = fdsValue.As<Napi::Int32Array>();
  Napi::Int32Array status = infoValue.As<Napi::Int32Array>();
  const int fd = IntArg(info, 0);
  const size_t minSpace = IntArg(info, 3) > 0 ? IntArg(info, 3) : 1;
  const size_t fdCapacity = fdsOut.ElementLength();

  size_t offset = IntArg(info, 2);
  size_t total = 0;
  size_t nfds = 0;
  int stop = kRecvAgain;
  alignas(cmsghdr) char control[kControlBytes];

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
    Control arrived;
    TakeControl(&msg, wantCred, &arrived);
    if (RejectDamaged(info.Env(), msg, arrived, 0)) {
      for (size_t i = 0; i < nfds; i++) ::close(fdsOut[i]);
      return Napi::Value();
    }
    for (size_t i = 0; i < arrived.fds.count; i++) fdsOut[nfds++] = arrived.fds.fds[i];
    if (wantCred) WriteCred(info[6].As<Napi::Int32Array>(), 0, arrived);
    if (n == 0 && arrived.fds.count == 0) {
      stop = kRecvEof;
      break;
    }
    offset += n;
    total += n;
    if (wantCred) {
      stop = kRecvFull;
      break;
    }
  }
  status[0] = static_cast<int32_t>(nfds);
  status[1] = stop;
  return Napi::Number::New(info.Env(), static_cast<double>(total));
}

// recvdatagram(fd, buffer: Buffer, fdsOut: Int32Array, info: Int32Array) -> { bytes, from } | null
// Receives one datagram into `buffer`, its fds into fdsOut (their count to
// info[0]) and, when the socket passes credentials, those to info[1..4]
// ([present, pid, uid, gid]). `from` is the sender's address (null when
// unnamed). Returns null when none is waiting. A datagram longer than the
// buffer is an error (EMSGSIZE, with `size` its length), as is a truncated
// control message (ERR_PRIVSEP_FDS_TRUNCATED); either way it is consumed
// and its fds closed.
Napi::Value RecvDatagram(const Napi::CallbackInfo& info) {
  const char* usage = "recvdatagram(fd, buffer: Buffer, fdsOut: Int32Array, info: Int32Array)";
  PRIVSEP_CHECK_ARGS(info,
                     IsFdArg(info, 0) && info.Length() > 3 && info[1].IsBuffer() &&
                         IsInt32Array(info[2], kMaxFdsPerMessage) && IsInt32Array(info[3], 1 + kCredSlots),
                     usage, Napi::Value());
  Napi::Buffer<char> buffer = info[1].As<Napi::Buffer<char>>();
  Napi::Int32Array fdsOut = info[2].As<Napi::Int32Array>();
  Napi::Int32Array status = info[3].As<Napi::Int32Array>();
  iovec iov = {buffer.Data(), buffer.Length()};
  sockaddr_storage from;
  alignas(cmsghdr) char control[kControlBytes];
  msghdr msg;
  ssize_t n;
  do {
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    // MSG_TRUNC: the return value is the datagram's whole length.
    n = ::recvmsg(IntArg(info, 0), &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT | MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return info.Env().Null();
    ThrowErrnoError(info.Env(), errno, "recvmsg");
    return Napi::Value();
  }
  Control arrived;
  TakeControl(&msg, true, &arrived);
  if (RejectDamaged(info.Env(), msg, arrived, static_cast<size_t>(n))) return Napi::Value();
  for (size_t i = 0; i < arrived.fds.count; i++) fdsOut[i] = arrived.fds.fds[i];
  status[0] = static_cast<int32_t>(arrived.fds.count);
  WriteCred(status, 1, arrived);
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(n)));
  // An unnamed sender (a socketpair's peer, an unbound socket) has no address.
  const bool named = msg.msg_namelen > offsetof(sockaddr_un, sun_path);
  result.Set("from", named ? DescribeAddress(info.Env(), from, msg.msg_namelen) : info.Env().Null());
  return result;
}

}  // namespace

void InitFdpass(Napi::Env env, Napi::Object exports) {
  exports.Set("sendmsg", Napi::Function::New(env, SendMsg, "sendmsg"));
  exports.Set("recvmsg", Napi::Function::New(env, RecvMsg, "recvmsg"));
  exports.Set("recvdatagram", Napi::Function::New(env, RecvDatagram, "recvdatagram"));
  exports.Set("SCM_MAX_FD", Napi::Number::New(env, kMaxFdsPerMessage));
}

}  // namespace privsep

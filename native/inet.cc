// TCP listeners for the hand-off master: create/bind/listen an IPv4 or IPv6
// socket, and accept connections in batches together with the peer's
// address, without ever making a Node socket of them in this process.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "args.h"
#include "errors.h"
#include "unique_fd.h"

namespace privsep {
namespace {

// Bytes each accepted peer takes in the peers buffer of acceptBatch:
// family (u8: 4 or 6), zero, port (u16 big-endian), 16 address bytes.
constexpr size_t kPeerRecordBytes = 20;

// Parses an IPv4 or IPv6 literal and a port into a sockaddr; throws EINVAL
// (syscall inet_pton) for anything else.
bool ParseAddress(Napi::Env env, const std::string& address, uint16_t port, sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof(*ss));
  sockaddr_in* in4 = reinterpret_cast<sockaddr_in*>(ss);
  sockaddr_in6* in6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET, address.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    *len = sizeof(*in4);
    return true;
  }
  if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    *len = sizeof(*in6);
    return true;
  }
  ThrowErrnoError(env, EINVAL, "inet_pton");
  return false;
}

bool IsPortArg(const Napi::CallbackInfo& info, size_t i) {
  return IsIntArg(info, i) && IntArg(info, i) >= 0 && IntArg(info, i) <= 65535;
}

// inetListen(address: string, port, backlog, ipv6Only: boolean) -> fd
Napi::Value InetListen(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info,
                     info.Length() > 3 && info[0].IsString() && IsPortArg(info, 1) && IsIntArg(info, 2) &&
                         info[3].IsBoolean(),
                     "inetListen(address: string, port: 0-65535, backlog, ipv6Only: boolean)", Napi::Value());
  sockaddr_storage ss;
  socklen_t len;
  if (!ParseAddress(info.Env(), info[0].As<Napi::String>().Utf8Value(), static_cast<uint16_t>(IntArg(info, 1)), &ss, &len)) {
    return Napi::Value();
  }
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    ThrowErrnoError(info.Env(), errno, "socket");
    return Napi::Value();
  }
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    ThrowErrnoError(info.Env(), errno, "setsockopt");
    return Napi::Value();
  }
  if (ss.ss_family == AF_INET6) {
    const int v6only = info[3].As<Napi::Boolean>().Value() ? 1 : 0;
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0) {
      ThrowErrnoError(info.Env(), errno, "setsockopt");
      return Napi::Value();
    }
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ThrowErrnoError(info.Env(), errno, "bind");
    return Napi::Value();
  }
  if (::listen(fd.get(), IntArg(info, 2)) != 0) {
    ThrowErrnoError(info.Env(), errno, "listen");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd.release());
}

// inetConnect(address, port, bindAddress: string | null, bindPort) -> fd
// Starts a non-blocking connect, optionally from a chosen local address and
// port (binding a port below 1024 needs CAP_NET_BIND_SERVICE). The caller
// waits for writability and reads SO_ERROR to learn the outcome.
Napi::Value InetConnect(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info,
                     info.Length() > 3 && info[0].IsString() && IsPortArg(info, 1) &&
                         (info[2].IsString() || info[2].IsNull()) && IsPortArg(info, 3),
                     "inetConnect(address: string, port, bindAddress: string | null, bindPort)", Napi::Value());
  sockaddr_storage remote;
  socklen_t remoteLen;
  if (!ParseAddress(info.Env(), info[0].As<Napi::String>().Utf8Value(), static_cast<uint16_t>(IntArg(info, 1)), &remote,
                    &remoteLen)) {
    return Napi::Value();
  }
  UniqueFd fd(::socket(remote.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    ThrowErrnoError(info.Env(), errno, "socket");
    return Napi::Value();
  }
  if (info[2].IsString()) {
    sockaddr_storage local;
    socklen_t localLen;
    if (!ParseAddress(info.Env(), info[2].As<Napi::String>().Utf8Value(), static_cast<uint16_t>(IntArg(info, 3)), &local,
                      &localLen)) {
      return Napi::Value();
    }
    // Active-mode FTP connects from port 20 again and again (vsftpd does the same).
    const int on = 1;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
      ThrowErrnoError(info.Env(), errno, "setsockopt");
      return Napi::Value();
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), localLen) != 0) {
      ThrowErrnoError(info.Env(), errno, "bind");
      return Napi::Value();
    }
  }
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), remoteLen);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EINPROGRESS) {
    ThrowErrnoError(info.Env(), errno, "connect");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd.release());
}

// acceptBatch(fd, fdsOut: Int32Array, peersOut: Buffer) -> count
// Accepts until no connection waits or the arrays are full. Accepted fds are
// non-blocking and close-on-exec; peer i is described at peersOut[i * 20].
Napi::Value AcceptBatch(const Napi::CallbackInfo& info) {
  const char* usage = "acceptBatch(fd, fdsOut: Int32Array, peersOut: Buffer)";
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 2 && info[1].IsTypedArray() && info[2].IsBuffer(),
                     usage, Napi::Value());
  Napi::TypedArray fdsValue = info[1].As<Napi::TypedArray>();
  PRIVSEP_CHECK_ARGS(info, fdsValue.TypedArrayType() == napi_int32_array, usage, Napi::Value());
  Napi::Int32Array fdsOut = fdsValue.As<Napi::Int32Array>();
  Napi::Buffer<uint8_t> peers = info[2].As<Napi::Buffer<uint8_t>>();
  const size_t capacity = std::min(fdsOut.ElementLength(), peers.Length() / kPeerRecordBytes);
  const int listener = IntArg(info, 0);
  size_t count = 0;
  while (count < capacity) {
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN) break;
      // EMFILE and friends: hand over what we have; the error shows next time.
      if (count > 0) break;
      ThrowErrnoError(info.Env(), errno, "accept");
      return Napi::Value();
    }
    uint8_t* record = peers.Data() + count * kPeerRecordBytes;
    memset(record, 0, kPeerRecordBytes);
    if (ss.ss_family == AF_INET) {
      const sockaddr_in* in4 = reinterpret_cast<const sockaddr_in*>(&ss);
      record[0] = 4;
      memcpy(record + 2, &in4->sin_port, 2);
      memcpy(record + 4, &in4->sin_addr, 4);
    } else if (ss.ss_family == AF_INET6) {
      const sockaddr_in6* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      record[0] = 6;
      memcpy(record + 2, &in6->sin6_port, 2);
      memcpy(record + 4, &in6->sin6_addr, 16);
    }
    fdsOut[count++] = fd;
  }
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

}  // namespace

void InitInet(Napi::Env env, Napi::Object exports) {
  exports.Set("inetListen", Napi::Function::New(env, InetListen, "inetListen"));
  exports.Set("inetConnect", Napi::Function::New(env, InetConnect, "inetConnect"));
  exports.Set("acceptBatch", Napi::Function::New(env, AcceptBatch, "acceptBatch"));
  exports.Set("PEER_RECORD_BYTES", Napi::Number::New(env, kPeerRecordBytes));
}

}  // namespace privsep

// Socket wrappers: socketpair, unix sockets (path and abstract names),
// accept, peer credentials and addresses, fd flags, close.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "args.h"
#include "errors.h"
#include "unique_fd.h"
#include "socket_address.h"

namespace privsep {

// See socket_address.h.
bool MakeUnixAddress(const Napi::CallbackInfo& info, size_t i, bool abstract, sockaddr_un* addr,
                     socklen_t* len, const char* syscall) {
  Napi::Buffer<char> path = info[i].As<Napi::Buffer<char>>();
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  const size_t offset = abstract ? 1 : 0;
  // One byte goes to the terminator, or to the leading NUL of an abstract name.
  const size_t max = sizeof(addr->sun_path) - 1;
  if (path.Length() == 0 || path.Length() > max || memchr(path.Data(), 0, path.Length()) != nullptr) {
    ThrowErrnoError(info.Env(), path.Length() > max ? ENAMETOOLONG : EINVAL, syscall);
    return false;
  }
  memcpy(addr->sun_path + offset, path.Data(), path.Length());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset + path.Length() + (abstract ? 0 : 1));
  return true;
}

Napi::Value DescribeAddress(Napi::Env env, const sockaddr_storage& ss, socklen_t len) {
  Napi::Object result = Napi::Object::New(env);
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const sockaddr_in* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    result.Set("family", "IPv4");
    result.Set("address", text);
    result.Set("port", ntohs(in->sin_port));
  } else if (ss.ss_family == AF_INET6) {
    const sockaddr_in6* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    result.Set("family", "IPv6");
    result.Set("address", text);
    result.Set("port", ntohs(in6->sin6_port));
  } else if (ss.ss_family == AF_UNIX) {
    const sockaddr_un* un = reinterpret_cast<const sockaddr_un*>(&ss);
    const size_t pathLen = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    const bool abstract = pathLen > 0 && un->sun_path[0] == '\0';
    size_t n = abstract ? pathLen - 1 : strnlen(un->sun_path, pathLen);
    result.Set("family", "unix");
    result.Set("path", Napi::Buffer<char>::Copy(env, un->sun_path + (abstract ? 1 : 0), n));
    result.Set("abstract", abstract);
  } else {
    result.Set("family", Napi::Number::New(env, ss.ss_family));
  }
  return result;
}

namespace {

Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsIntArg(info, 0), "socketpair(type)", Napi::Value());
  int fds[2];
  if (::socketpair(AF_UNIX, IntArg(info, 0) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0) {
    ThrowErrnoError(info.Env(), errno, "socketpair");
    return Napi::Value();
  }
  Napi::Array result = Napi::Array::New(info.Env(), 2);
  result.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  result.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return result;
}

Napi::Value UnixSocket(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsIntArg(info, 0), "unixSocket(type)", Napi::Value());
  int fd = ::socket(AF_UNIX, IntArg(info, 0) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    ThrowErrnoError(info.Env(), errno, "socket");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value BindUnix(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 2 && info[1].IsBuffer() && info[2].IsBoolean(),
                     "bindUnix(fd, path: Buffer, abstract: boolean)", Napi::Value());
  sockaddr_un addr;
  socklen_t len;
  if (!MakeUnixAddress(info, 1, info[2].As<Napi::Boolean>().Value(), &addr, &len, "bind")) return Napi::Value();
  if (::bind(IntArg(info, 0), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    ThrowErrnoError(info.Env(), errno, "bind");
  }
  return Napi::Value();
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && IsIntArg(info, 1), "listen(fd, backlog)", Napi::Value());
  if (::listen(IntArg(info, 0), IntArg(info, 1)) != 0) ThrowErrnoError(info.Env(), errno, "listen");
  return Napi::Value();
}

// Returns true when connected, false when the listener's backlog is full
// (EAGAIN: the caller retries later). Unix stream connects never return
// EINPROGRESS.
Napi::Value ConnectUnix(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 2 && info[1].IsBuffer() && info[2].IsBoolean(),
                     "connectUnix(fd, path: Buffer, abstract: boolean)", Napi::Value());
  sockaddr_un addr;
  socklen_t len;
  if (!MakeUnixAddress(info, 1, info[2].As<Napi::Boolean>().Value(), &addr, &len, "connect")) return Napi::Value();
  int rc;
  do {
    rc = ::connect(IntArg(info, 0), reinterpret_cast<sockaddr*>(&addr), len);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == EAGAIN) return Napi::Boolean::New(info.Env(), false);
  ThrowErrnoError(info.Env(), errno, "connect");
  return Napi::Value();
}

// Returns the accepted fd (non-blocking, close-on-exec), or -1 when no
// connection is waiting.
Napi::Value Accept(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "accept(fd)", Napi::Value());
  int fd;
  do {
    fd = ::accept4(IntArg(info, 0), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd >= 0) return Napi::Number::New(info.Env(), fd);
  // A connection reset before we took it is not the listener's error.
  if (errno == EAGAIN || errno == ECONNABORTED) return Napi::Number::New(info.Env(), -1);
  ThrowErrnoError(info.Env(), errno, "accept");
  return Napi::Value();
}

Napi::Value GetPeerCred(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "getPeerCred(fd)", Napi::Value());
  ucred cred;
  socklen_t len = sizeof(cred);
  if (::getsockopt(IntArg(info, 0), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    ThrowErrnoError(info.Env(), errno, "getsockopt");
    return Napi::Value();
  }
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("pid", Napi::Number::New(info.Env(), cred.pid));
  result.Set("uid", Napi::Number::New(info.Env(), cred.uid));
  result.Set("gid", Napi::Number::New(info.Env(), cred.gid));
  return result;
}

Napi::Value GetSockOptInt(const Napi::CallbackInfo& info, int option) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "getsockopt(fd)", Napi::Value());
  int value = 0;
  socklen_t len = sizeof(value);
  if (::getsockopt(IntArg(info, 0), SOL_SOCKET, option, &value, &len) != 0) {
    ThrowErrnoError(info.Env(), errno, "getsockopt");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), value);
}

Napi::Value GetSocketType(const Napi::CallbackInfo& info) { return GetSockOptInt(info, SO_TYPE); }
Napi::Value GetSocketDomain(const Napi::CallbackInfo& info) { return GetSockOptInt(info, SO_DOMAIN); }
Napi::Value GetSocketError(const Napi::CallbackInfo& info) { return GetSockOptInt(info, SO_ERROR); }
Napi::Value GetSocketAcceptConn(const Napi::CallbackInfo& info) { return GetSockOptInt(info, SO_ACCEPTCONN); }

Napi::Value GetSockName(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "getsockname(fd)", Napi::Value());
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (::getsockname(IntArg(info, 0), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    ThrowErrnoError(info.Env(), errno, "getsockname");
    return Napi::Value();
  }
  return DescribeAddress(info.Env(), ss, len);
}

Napi::Value GetPeerName(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "getpeername(fd)", Napi::Value());
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (::getpeername(IntArg(info, 0), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    ThrowErrnoError(info.Env(), errno, "getpeername");
    return Napi::Value();
  }
  return DescribeAddress(info.Env(), ss, len);
}

Napi::Value SetFdFlag(const Napi::CallbackInfo& info, int getCmd, int setCmd, int flag, const char* name) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 1 && info[1].IsBoolean(), name, Napi::Value());
  const int fd = IntArg(info, 0);
  int flags = ::fcntl(fd, getCmd);
  if (flags < 0) {
    ThrowErrnoError(info.Env(), errno, "fcntl");
    return Napi::Value();
  }
  flags = info[1].As<Napi::Boolean>().Value() ? (flags | flag) : (flags & ~flag);
  if (::fcntl(fd, setCmd, flags) != 0) ThrowErrnoError(info.Env(), errno, "fcntl");
  return Napi::Value();
}

Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  return SetFdFlag(info, F_GETFL, F_SETFL, O_NONBLOCK, "setNonBlocking(fd, on: boolean)");
}

Napi::Value SetCloexec(const Napi::CallbackInfo& info) {
  return SetFdFlag(info, F_GETFD, F_SETFD, FD_CLOEXEC, "setCloexec(fd, on: boolean)");
}

// A duplicate at the lowest free number >= 3, close-on-exec, so that it can
// never land on stdio.
Napi::Value Dup(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "dup(fd)", Napi::Value());
  int fd = ::fcntl(IntArg(info, 0), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) {
    ThrowErrnoError(info.Env(), errno, "dup");
    return Napi::Value();
  }
  return Napi::Number::New(info.Env(), fd);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "close(fd)", Napi::Value());
  // Linux always releases the fd, even when close reports EINTR: never retry.
  if (::close(IntArg(info, 0)) != 0 && errno != EINTR) ThrowErrnoError(info.Env(), errno, "close");
  return Napi::Value();
}

// Sets a boolean socket option.
Napi::Value SetSockOptBool(const Napi::CallbackInfo& info, int level, int option, const char* usage) {
  PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 1 && info[1].IsBoolean(), usage, Napi::Value());
  const int value = info[1].As<Napi::Boolean>().Value() ? 1 : 0;
  if (::setsockopt(IntArg(info, 0), level, option, &value, sizeof(value)) != 0) {
    ThrowErrnoError(info.Env(), errno, "setsockopt");
  }
  return Napi::Value();
}

// SO_OOBINLINE: urgent data stays in the byte stream, where a reader that
// knows nothing of TCP urgent mode still sees it (an FTP ABOR sent as urgent data).
Napi::Value SetOobInline(const Napi::CallbackInfo& info) {
  return SetSockOptBool(info, SOL_SOCKET, SO_OOBINLINE, "setOobInline(fd, on: boolean)");
}

// TCP_NODELAY: small writes go out at once instead of waiting for an ACK
// (Nagle), which the peer may delay by tens of milliseconds.
Napi::Value SetTcpNoDelay(const Napi::CallbackInfo& info) {
  return SetSockOptBool(info, IPPROTO_TCP, TCP_NODELAY, "setTcpNoDelay(fd, on: boolean)");
}

// SO_PASSCRED: every message received on this socket carries the sender's
// pid, uid and gid (SCM_CREDENTIALS), as the kernel checked them.
Napi::Value SetPassCred(const Napi::CallbackInfo& info) {
  return SetSockOptBool(info, SOL_SOCKET, SO_PASSCRED, "setPassCred(fd, on: boolean)");
}

}  // namespace

void InitSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
  exports.Set("unixSocket", Napi::Function::New(env, UnixSocket, "unixSocket"));
  exports.Set("bindUnix", Napi::Function::New(env, BindUnix, "bindUnix"));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix, "connectUnix"));
  exports.Set("accept", Napi::Function::New(env, Accept, "accept"));
  exports.Set("getPeerCred", Napi::Function::New(env, GetPeerCred, "getPeerCred"));
  exports.Set("getSocketType", Napi::Function::New(env, GetSocketType, "getSocketType"));
  exports.Set("getSocketAcceptConn", Napi::Function::New(env, GetSocketAcceptConn, "getSocketAcceptConn"));
  exports.Set("getSocketDomain", Napi::Function::New(env, GetSocketDomain, "getSocketDomain"));
  exports.Set("getSocketError", Napi::Function::New(env, GetSocketError, "getSocketError"));
  exports.Set("getsockname", Napi::Function::New(env, GetSockName, "getsockname"));
  exports.Set("getpeername", Napi::Function::New(env, GetPeerName, "getpeername"));
  exports.Set("setNonBlocking", Napi::Function::New(env, SetNonBlocking, "setNonBlocking"));
  exports.Set("setCloexec", Napi::Function::New(env, SetCloexec, "setCloexec"));
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("SOCK_STREAM", Napi::Number::New(env, SOCK_STREAM));
  exports.Set("SOCK_SEQPACKET", Napi::Number::New(env, SOCK_SEQPACKET));
  exports.Set("SOCK_DGRAM", Napi::Number::New(env, SOCK_DGRAM));
  exports.Set("setOobInline", Napi::Function::New(env, SetOobInline, "setOobInline"));
  exports.Set("setTcpNoDelay", Napi::Function::New(env, SetTcpNoDelay, "setTcpNoDelay"));
  exports.Set("setPassCred", Napi::Function::New(env, SetPassCred, "setPassCred"));
}

}  // namespace privsep

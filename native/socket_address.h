// Socket addresses between the addon and JavaScript: a sockaddr_un from the
// (path, abstract) pair the TypeScript layer passes, and any address back as
// an object.
#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <sys/un.h>

namespace privsep {

// Fills `addr` from info[i] (a Buffer) and `abstract`; an abstract name
// starts with a NUL byte and its length, not a terminator, ends it. Throws
// (EINVAL, ENAMETOOLONG naming `syscall`) and returns false for a bad name.
bool MakeUnixAddress(const Napi::CallbackInfo& info, size_t i, bool abstract, sockaddr_un* addr, socklen_t* len,
                     const char* syscall);

// { family, address, port } for inet addresses, { family: 'unix', path:
// Buffer, abstract } for unix ones (an empty path for an unnamed socket).
Napi::Value DescribeAddress(Napi::Env env, const sockaddr_storage& ss, socklen_t len);

}  // namespace privsep

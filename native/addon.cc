// Module init: each syscall family registers its functions here.
#include <napi.h>

namespace privsep {
void InitSocket(Napi::Env env, Napi::Object exports);
void InitFdpass(Napi::Env env, Napi::Object exports);
void InitPoll(Napi::Env env, Napi::Object exports);
void InitInet(Napi::Env env, Napi::Object exports);
void InitSendfile(Napi::Env env, Napi::Object exports);
void InitSplice(Napi::Env env, Napi::Object exports);
void InitCred(Napi::Env env, Napi::Object exports);
void InitCaps(Napi::Env env, Napi::Object exports);
void InitThreads(Napi::Env env, Napi::Object exports);
void InitRlimit(Napi::Env env, Napi::Object exports);
void InitUsers(Napi::Env env, Napi::Object exports);
void InitCrypt(Napi::Env env, Napi::Object exports);
void InitPam(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitIo(Napi::Env env, Napi::Object exports);
void InitStat(Napi::Env env, Napi::Object exports);
void InitMemory(Napi::Env env, Napi::Object exports);
void InitSched(Napi::Env env, Napi::Object exports);
}  // namespace privsep

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  privsep::InitSocket(env, exports);
  privsep::InitFdpass(env, exports);
  privsep::InitPoll(env, exports);
  privsep::InitInet(env, exports);
  privsep::InitSendfile(env, exports);
  privsep::InitSplice(env, exports);
  privsep::InitCred(env, exports);
  privsep::InitCaps(env, exports);
  privsep::InitThreads(env, exports);
  privsep::InitRlimit(env, exports);
  privsep::InitUsers(env, exports);
  privsep::InitCrypt(env, exports);
  privsep::InitPam(env, exports);
  privsep::InitSpawn(env, exports);
  privsep::InitIo(env, exports);
  privsep::InitStat(env, exports);
  privsep::InitMemory(env, exports);
  privsep::InitSched(env, exports);
  return exports;
}

NODE_API_MODULE(privsep, Init)

// Module init: each syscall family registers its functions here.
#include <napi.h>

namespace privsep {
void InitSocket(Napi::Env env, Napi::Object exports);
void InitFdpass(Napi::Env env, Napi::Object exports);
void InitPoll(Napi::Env env, Napi::Object exports);
void InitInet(Napi::Env env, Napi::Object exports);
void InitSendfile(Napi::Env env, Napi::Object exports);
void InitStat(Napi::Env env, Napi::Object exports);
}  // namespace privsep

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  privsep::InitSocket(env, exports);
  privsep::InitFdpass(env, exports);
  privsep::InitPoll(env, exports);
  privsep::InitInet(env, exports);
  privsep::InitSendfile(env, exports);
  privsep::InitStat(env, exports);
  return exports;
}

NODE_API_MODULE(privsep, Init)

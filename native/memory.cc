// Giving an idle process's memory back: V8's own collection for low memory
// (the one it runs under memory pressure: every generation collected and
// compacted, the young generation shrunk to its minimum, unused bytecode
// dropped) and then glibc's trim of the freed malloc heap. node-addon-api has
// no call for the first, so this file reaches the isolate through V8's API.
#include <malloc.h>

// V8's headers are not written for this project's warning flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <v8.h>
#pragma GCC diagnostic pop

#include "args.h"

namespace privsep {
namespace {

// releaseMemory() -> undefined
Napi::Value ReleaseMemory(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, info.Length() == 0, "releaseMemory()", Napi::Value());
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (isolate != nullptr) isolate->LowMemoryNotification();
  malloc_trim(0);
  return info.Env().Undefined();
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("releaseMemory", Napi::Function::New(env, ReleaseMemory, "releaseMemory"));
}

}  // namespace privsep

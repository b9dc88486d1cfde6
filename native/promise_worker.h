// A Napi::AsyncWorker that settles a promise: Execute() runs on the libuv
// pool and records a result or an errno; the promise resolves with Result()
// or rejects with a Node-shaped error. For calls that may block (NSS
// lookups, crypt), so that the event loop never waits on them.
#pragma once

#include <napi.h>

#include "errors.h"

namespace privsep {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* resourceName)
      : Napi::AsyncWorker(env, resourceName), deferred_(Napi::Promise::Deferred::New(env)) {}

  // Queues the work and returns its promise.
  Napi::Promise Start() {
    Napi::Promise promise = deferred_.Promise();
    Queue();
    return promise;
  }

 protected:
  // Called from Execute(): the promise rejects with this errno.
  void Fail(int err, const char* syscall) {
    err_ = err;
    syscall_ = syscall;
  }

  // Called on the main thread when Execute() did not Fail().
  virtual Napi::Value Result(Napi::Env env) = 0;

 private:
  void OnOK() override {
    Napi::Env env = Env();
    if (err_ != 0) {
      deferred_.Reject(ErrnoError(env, err_, syscall_).Value());
    } else {
      deferred_.Resolve(Result(env));
    }
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

  Napi::Promise::Deferred deferred_;
  int err_ = 0;
  const char* syscall_ = "";
};

}  // namespace privsep

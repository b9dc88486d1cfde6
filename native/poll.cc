// FdWatcher: one uv_poll_t per fd, reporting readable/writable readiness to
// a JavaScript callback. The watcher is stopped and closed before its fd is
// closed, and torn down by an env cleanup hook when a worker thread exits.
// Closing also drops the callback: it usually holds the watcher's owner
// (a Channel and all it refers to), and a strong reference from here would
// keep the owner and the watcher's own JS object alive for good.
#include <uv.h>

#include "args.h"
#include "errors.h"

namespace privsep {
namespace {

class FdWatcher;

// Lives apart from the JS object: uv_close completes on a later loop turn,
// possibly after the object was collected.
struct PollHandle {
  uv_poll_t poll;
  FdWatcher* owner;
};

class FdWatcher : public Napi::ObjectWrap<FdWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FdWatcher",
                       {
                           InstanceMethod<&FdWatcher::Start>("start"),
                           InstanceMethod<&FdWatcher::Stop>("stop"),
                           InstanceMethod<&FdWatcher::Close>("close"),
                           InstanceMethod<&FdWatcher::SetRef>("setRef"),
                       });
  }

  explicit FdWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdWatcher>(info) {
    PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0) && info.Length() > 1 && info[1].IsFunction(),
                       "new FdWatcher(fd, callback: (err, events) => void)", );
    Napi::Env env = info.Env();
    // napi_get_uv_event_loop ties the addon to libuv's ABI, which Node keeps
    // stable within a major version; a uv_poll_t is the only way to get
    // readiness for an arbitrary fd without a thread of our own.
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowCodeError(env, "ERR_PRIVSEP_NO_EVENT_LOOP", "FdWatcher: no libuv event loop", nullptr);
      return;
    }
    handle_ = new PollHandle();
    handle_->owner = this;
    int err = uv_poll_init(loop, &handle_->poll, IntArg(info, 0));
    if (err != 0) {
      delete handle_;
      handle_ = nullptr;
      ThrowErrnoError(env, -err, "uv_poll_init");
      return;
    }
    handle_->poll.data = handle_;
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = new Napi::AsyncContext(env, "privsep.FdWatcher");
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    hooked_ = true;
  }

  ~FdWatcher() override { Release(); }

 private:
  static void CleanupHook(void* arg) {
    FdWatcher* self = static_cast<FdWatcher*>(arg);
    self->hooked_ = false;
    self->Release();
  }

  // start(events): events is a mask of UV_READABLE (1) and UV_WRITABLE (2).
  Napi::Value Start(const Napi::CallbackInfo& info) {
    PRIVSEP_CHECK_ARGS(info, IsFdArg(info, 0), "watcher.start(events)", Napi::Value());
    if (handle_ == nullptr) {
      ThrowErrnoError(info.Env(), EBADF, "uv_poll_start");
      return Napi::Value();
    }
    const int events = IntArg(info, 0) & (UV_READABLE | UV_WRITABLE);
    if (events == 0) return Stop(info);
    int err = uv_poll_start(&handle_->poll, events, OnPoll);
    if (err != 0) {
      ThrowErrnoError(info.Env(), -err, "uv_poll_start");
      return Napi::Value();
    }
    events_ = events;
    // An active watcher keeps its JS object (and callback) alive.
    if (!active_) {
      Ref();
      active_ = true;
    }
    return Napi::Value();
  }

  Napi::Value Stop(const Napi::CallbackInfo&) {
    if (handle_ != nullptr) uv_poll_stop(&handle_->poll);
    if (active_) {
      active_ = false;
      Unref();
    }
    return Napi::Value();
  }

  // setRef(on): whether an active watcher keeps the event loop alive.
  Napi::Value SetRef(const Napi::CallbackInfo& info) {
    PRIVSEP_CHECK_ARGS(info, info.Length() > 0 && info[0].IsBoolean(), "watcher.setRef(on: boolean)", Napi::Value());
    if (handle_ != nullptr) {
      if (info[0].As<Napi::Boolean>().Value()) {
        uv_ref(reinterpret_cast<uv_handle_t*>(&handle_->poll));
      } else {
        uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->poll));
      }
    }
    return Napi::Value();
  }

  // close(): stops watching for good; the fd itself stays open (its owner
  // closes it afterwards).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop(info);
    Release();
    return Napi::Value();
  }

  void Release() {
    if (hooked_) {
      napi_remove_env_cleanup_hook(Env(), CleanupHook, this);
      hooked_ = false;
    }
    callback_.Reset();
    // A callback that closes its own watcher still runs in this context:
    // Dispatch frees it once the callback returned.
    if (!dispatching_) FreeContext();
    if (handle_ == nullptr) return;
    handle_->owner = nullptr;
    // uv_close stops the watcher at once (the fd leaves epoll now), so the
    // fd may be closed as soon as this returns; the memory goes later.
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll),
             [](uv_handle_t* h) { delete static_cast<PollHandle*>(h->data); });
    handle_ = nullptr;
  }

  void FreeContext() {
    delete context_;
    context_ = nullptr;
  }

  static void OnPoll(uv_poll_t* poll, int status, int events) {
    PollHandle* handle = static_cast<PollHandle*>(poll->data);
    if (handle->owner != nullptr) handle->owner->Dispatch(status, events);
  }

  void Dispatch(int status, int events) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status == UV_EBADF && handle_ != nullptr) {
      // libuv reports POLLERR (a socket error such as a refused connect or a
      // reset) as EBADF and stops the handle. The fd is fine: report it ready
      // for what was asked, so that the next read, write or SO_ERROR call
      // returns the real error, and keep watching.
      if (uv_poll_start(&handle_->poll, events_, OnPoll) == 0) {
        status = 0;
        events = events_;
      }
    }
    Napi::Value err = status < 0 ? ErrnoError(env, -status, "uv_poll").Value() : env.Null();
    // Locals: the callback may close this watcher, which drops callback_.
    Napi::Object self = Value();
    Napi::Function callback = callback_.Value();
    // MakeCallback runs queued microtasks and nextTicks afterwards, so
    // promises settled by the callback proceed in this same turn.
    dispatching_ = true;
    callback.MakeCallback(self, {err, Napi::Number::New(env, events)}, *context_);
    dispatching_ = false;
    if (handle_ == nullptr) FreeContext();
    if (env.IsExceptionPending()) {
      Napi::Error error = env.GetAndClearPendingException();
      napi_fatal_exception(env, error.Value());
    }
  }

  PollHandle* handle_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::AsyncContext* context_ = nullptr;
  int events_ = 0;
  bool active_ = false;
  bool hooked_ = false;
  bool dispatching_ = false;
};

}  // namespace

void InitPoll(Napi::Env env, Napi::Object exports) {
  exports.Set("FdWatcher", FdWatcher::Define(env));
  exports.Set("UV_READABLE", Napi::Number::New(env, UV_READABLE));
  exports.Set("UV_WRITABLE", Napi::Number::New(env, UV_WRITABLE));
}

}  // namespace privsep

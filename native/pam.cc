// PAM logins, with libpam loaded at run time: dlopen("libpam.so.0") and the
// few prototypes and constants of Linux-PAM's <security/pam_appl.h> declared
// here, so that building needs no PAM headers (Debian ships libpam.so.0 on
// every system, its headers only in libpam0g-dev). The values below are
// Linux-PAM's ABI, stable since 0.99.
//
// A login (start, items, authenticate, acct_mgmt, setcred, open_session) and
// its end (close_session, setcred, end) each run as one job on the libuv
// pool. A handle belongs to one login; the busy flag keeps a second job off
// it while one runs, so that it is never used from two threads at once.
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <memory>
#include <string>

#include "args.h"
#include "errors.h"
#include "promise_worker.h"

namespace privsep {
namespace {

struct pam_handle;
using pam_handle_t = struct pam_handle;

struct PamMessage {
  int msg_style;
  const char* msg;
};
struct PamResponse {
  char* resp;
  int resp_retcode;
};
struct PamConv {
  int (*conv)(int num_msg, const PamMessage** msg, PamResponse** resp, void* appdata_ptr);
  void* appdata_ptr;
};

constexpr int PAM_SUCCESS = 0;
constexpr int PAM_BUF_ERR = 5;
constexpr int PAM_CONV_ERR = 19;
// Items.
constexpr int PAM_USER = 2;
constexpr int PAM_TTY = 3;
constexpr int PAM_RHOST = 4;
constexpr int PAM_RUSER = 8;
constexpr int PAM_FAIL_DELAY = 10;
// Flags.
constexpr int PAM_ESTABLISH_CRED = 0x0002;
constexpr int PAM_DELETE_CRED = 0x0004;
// Message styles.
constexpr int PAM_PROMPT_ECHO_OFF = 1;
constexpr int PAM_ERROR_MSG = 3;
constexpr int PAM_TEXT_INFO = 4;

struct Libpam {
  int (*start)(const char*, const char*, const PamConv*, pam_handle_t**);
  int (*end)(pam_handle_t*, int);
  int (*set_item)(pam_handle_t*, int, const void*);
  int (*get_item)(const pam_handle_t*, int, const void**);
  int (*authenticate)(pam_handle_t*, int);
  int (*acct_mgmt)(pam_handle_t*, int);
  int (*setcred)(pam_handle_t*, int);
  int (*open_session)(pam_handle_t*, int);
  int (*close_session)(pam_handle_t*, int);
  const char* (*strerror)(pam_handle_t*, int);
};

const Libpam* libpam = nullptr;
std::string libpamError;

// Loads libpam once (from the main thread, before any job uses it); on
// failure, the reason dlopen or dlsym gave.
const Libpam* LoadLibpam() {
  if (libpam != nullptr || !libpamError.empty()) return libpam;
  void* lib = dlopen("libpam.so.0", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = dlerror();
    libpamError = std::string("cannot load Linux-PAM's library: ") + (why != nullptr ? why : "libpam.so.0");
    return nullptr;
  }
  static Libpam table;
  struct Symbol {
    const char* name;
    void** slot;
  };
  const Symbol symbols[] = {
      {"pam_start", reinterpret_cast<void**>(&table.start)},
      {"pam_end", reinterpret_cast<void**>(&table.end)},
      {"pam_set_item", reinterpret_cast<void**>(&table.set_item)},
      {"pam_get_item", reinterpret_cast<void**>(&table.get_item)},
      {"pam_authenticate", reinterpret_cast<void**>(&table.authenticate)},
      {"pam_acct_mgmt", reinterpret_cast<void**>(&table.acct_mgmt)},
      {"pam_setcred", reinterpret_cast<void**>(&table.setcred)},
      {"pam_open_session", reinterpret_cast<void**>(&table.open_session)},
      {"pam_close_session", reinterpret_cast<void**>(&table.close_session)},
      {"pam_strerror", reinterpret_cast<void**>(&table.strerror)},
  };
  for (const Symbol& symbol : symbols) {
    *symbol.slot = dlsym(lib, symbol.name);
    if (*symbol.slot == nullptr) {
      libpamError = std::string("libpam.so.0: no symbol ") + symbol.name;
      dlclose(lib);
      return nullptr;
    }
  }
  libpam = &table;
  return libpam;
}

// The conversation vsftpd holds: the password for a hidden prompt, nothing
// for messages, and no answer to anything else (an echoed prompt asks for
// something an FTP client cannot be asked for).
int Converse(int count, const PamMessage** messages, PamResponse** out, void* data) {
  if (count <= 0) return PAM_CONV_ERR;
  auto* replies = static_cast<PamResponse*>(calloc(static_cast<size_t>(count), sizeof(PamResponse)));
  if (replies == nullptr) return PAM_BUF_ERR;
  const std::string* password = static_cast<const std::string*>(data);
  for (int i = 0; i < count; i++) {
    int style = messages[i]->msg_style;
    if (style == PAM_PROMPT_ECHO_OFF) {
      replies[i].resp = strdup(password->c_str());
      if (replies[i].resp != nullptr) continue;
    } else if (style == PAM_ERROR_MSG || style == PAM_TEXT_INFO) {
      continue;
    }
    for (int j = 0; j < i; j++) {
      if (replies[j].resp == nullptr) continue;
      explicit_bzero(replies[j].resp, strlen(replies[j].resp));
      free(replies[j].resp);
    }
    free(replies);
    return style == PAM_PROMPT_ECHO_OFF ? PAM_BUF_ERR : PAM_CONV_ERR;
  }
  *out = replies;
  return PAM_SUCCESS;
}

// Linux-PAM calls this instead of sleeping after a failed authentication
// (pam_unix asks for about 2 s): the caller applies its own delay, and no
// pool thread sleeps for it.
void NoFailDelay(int, unsigned, void*) {}

// One login's handle. The password lives here while the handle does: the
// conversation may be called from any PAM call.
struct PamState {
  pam_handle_t* handle = nullptr;
  std::string password;
  PamConv conv{Converse, &password};
  bool sessionOpen = false;
  bool credEstablished = false;
  std::atomic<bool> busy{false};

  ~PamState() {
    // A handle dropped without close(): freed, its session left as it is.
    if (handle != nullptr) libpam->end(handle, PAM_SUCCESS);
    explicit_bzero(&password[0], password.size());
  }
};

using PamRef = std::shared_ptr<PamState>;

// What a PAM step returned: status (PAM_*), the step's name and pam_strerror's text.
struct StepOutcome {
  int status = PAM_SUCCESS;
  const char* step = "";
  std::string message;

  Napi::Value ToJs(Napi::Env env) const {
    Napi::Object result = Napi::Object::New(env);
    result.Set("status", status);
    result.Set("step", step);
    result.Set("message", message);
    return result;
  }
};

class PamLoginWorker : public PromiseWorker {
 public:
  PamLoginWorker(Napi::Env env, std::string service, std::string user, std::string password, std::string rhost, std::string tty)
      : PromiseWorker(env, "privsep.pamLogin"),
        service_(std::move(service)), user_(std::move(user)), rhost_(std::move(rhost)), tty_(std::move(tty)),
        state_(std::make_shared<PamState>()) {
    state_->password = std::move(password);
  }

  void Execute() override {
    PamState& s = *state_;
    if (!Step(libpam->start(service_.c_str(), user_.c_str(), &s.conv, &s.handle), "pam_start")) {
      s.handle = nullptr;
      return;
    }
    // As vsftpd: where from, which "terminal", and who asks (the user itself).
    if (!SetText(PAM_RHOST, rhost_) || !SetText(PAM_TTY, tty_) || !SetText(PAM_RUSER, user_) ||
        !Step(libpam->set_item(s.handle, PAM_FAIL_DELAY, reinterpret_cast<const void*>(&NoFailDelay)), "pam_set_item") ||
        !Step(libpam->authenticate(s.handle, 0), "pam_authenticate") ||
        !Step(libpam->acct_mgmt(s.handle, 0), "pam_acct_mgmt")) {
      End();
      return;
    }
    if (!Step(libpam->setcred(s.handle, PAM_ESTABLISH_CRED), "pam_setcred")) {
      End();
      return;
    }
    s.credEstablished = true;
    if (!Step(libpam->open_session(s.handle, 0), "pam_open_session")) {
      libpam->setcred(s.handle, PAM_DELETE_CRED);
      End();
      return;
    }
    s.sessionOpen = true;
    // A module may map the name (pam_userdb's guests, for one): the account is PAM_USER's.
    const void* item = nullptr;
    if (libpam->get_item(s.handle, PAM_USER, &item) == PAM_SUCCESS && item != nullptr) {
      account_ = static_cast<const char*>(item);
    } else {
      account_ = user_;
    }
  }

  // { status: 0, handle, user } or { status, step, message } of the step that refused.
  Napi::Value Result(Napi::Env env) override {
    if (outcome_.status != PAM_SUCCESS) return outcome_.ToJs(env);
    Napi::Object result = Napi::Object::New(env);
    result.Set("status", PAM_SUCCESS);
    auto* ref = new PamRef(state_);
    result.Set("handle", Napi::External<PamRef>::New(env, ref, [](Napi::Env, PamRef* r) { delete r; }));
    result.Set("user", account_);
    return result;
  }

 private:
  bool Step(int status, const char* step) {
    if (status == PAM_SUCCESS) return true;
    outcome_.status = status;
    outcome_.step = step;
    // Linux-PAM's pam_strerror does not look at the handle, which pam_start may not have made.
    const char* text = libpam->strerror(state_->handle, status);
    outcome_.message = text != nullptr ? text : "PAM error";
    return false;
  }

  // An empty value leaves the item unset.
  bool SetText(int item, const std::string& value) {
    return value.empty() || Step(libpam->set_item(state_->handle, item, value.c_str()), "pam_set_item");
  }

  void End() {
    libpam->end(state_->handle, outcome_.status);
    state_->handle = nullptr;
  }

  std::string service_;
  std::string user_;
  std::string rhost_;
  std::string tty_;
  std::string account_;
  PamRef state_;
  StepOutcome outcome_;
};

class PamCloseWorker : public PromiseWorker {
 public:
  PamCloseWorker(Napi::Env env, PamRef state) : PromiseWorker(env, "privsep.pamClose"), state_(std::move(state)) {}

  // As vsftpd at the end of a session: close it, delete the credentials, end.
  void Execute() override {
    PamState& s = *state_;
    if (s.handle == nullptr) return;
    if (s.sessionOpen) Record(libpam->close_session(s.handle, 0), "pam_close_session");
    if (s.credEstablished) Record(libpam->setcred(s.handle, PAM_DELETE_CRED), "pam_setcred");
    libpam->end(s.handle, outcome_.status);
    s.handle = nullptr;
    s.sessionOpen = false;
    s.credEstablished = false;
  }

  // null, or the first step that failed (the handle is ended all the same).
  Napi::Value Result(Napi::Env env) override {
    state_->busy = false;
    if (outcome_.status == PAM_SUCCESS) return env.Null();
    return outcome_.ToJs(env);
  }

 private:
  void Record(int status, const char* step) {
    if (status == PAM_SUCCESS || outcome_.status != PAM_SUCCESS) return;
    outcome_.status = status;
    outcome_.step = step;
    const char* text = libpam->strerror(state_->handle, status);
    outcome_.message = text != nullptr ? text : "PAM error";
  }

  PamRef state_;
  StepOutcome outcome_;
};

bool TextArg(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) return false;
  *out = info[i].As<Napi::String>().Utf8Value();
  return memchr(out->data(), 0, out->size()) == nullptr;
}

// Throws ERR_PRIVSEP_PAM_UNAVAILABLE (syscall dlopen) when libpam cannot be loaded.
bool RequireLibpam(Napi::Env env) {
  if (LoadLibpam() != nullptr) return true;
  ThrowCodeError(env, "ERR_PRIVSEP_PAM_UNAVAILABLE", libpamError.c_str(), "dlopen");
  return false;
}

// pamLoad(): loads libpam.so.0, or throws why it cannot.
Napi::Value PamLoad(const Napi::CallbackInfo& info) {
  RequireLibpam(info.Env());
  return info.Env().Undefined();
}

// pamLogin(service, user, password, rhost, tty) -> Promise<{ status: 0,
// handle, user } | { status, step, message }>.
Napi::Value PamLogin(const Napi::CallbackInfo& info) {
  std::string service;
  std::string user;
  std::string password;
  std::string rhost;
  std::string tty;
  PRIVSEP_CHECK_ARGS(info,
                     TextArg(info, 0, &service) && !service.empty() && TextArg(info, 1, &user) && !user.empty() &&
                         TextArg(info, 2, &password) && TextArg(info, 3, &rhost) && TextArg(info, 4, &tty),
                     "pamLogin(service: string, user: string, password: string, rhost: string, tty: string)", Napi::Value());
  if (!RequireLibpam(info.Env())) return Napi::Value();
  auto* worker = new PamLoginWorker(info.Env(), service, user, password, rhost, tty);
  explicit_bzero(&password[0], password.size());
  return worker->Start();
}

// pamClose(handle) -> Promise<null | { status, step, message }>; EBUSY while
// the handle's other job runs.
Napi::Value PamClose(const Napi::CallbackInfo& info) {
  PRIVSEP_CHECK_ARGS(info, info.Length() >= 1 && info[0].IsExternal(), "pamClose(handle: External)", Napi::Value());
  PamRef state = *info[0].As<Napi::External<PamRef>>().Data();
  bool idle = false;
  if (!state->busy.compare_exchange_strong(idle, true)) {
    ThrowErrnoError(info.Env(), EBUSY, "pam_close_session");
    return Napi::Value();
  }
  return (new PamCloseWorker(info.Env(), std::move(state)))->Start();
}

}  // namespace

void InitPam(Napi::Env env, Napi::Object exports) {
  exports.Set("pamLoad", Napi::Function::New(env, PamLoad, "pamLoad"));
  exports.Set("pamLogin", Napi::Function::New(env, PamLogin, "pamLogin"));
  exports.Set("pamClose", Napi::Function::New(env, PamClose, "pamClose"));
}

}  // namespace privsep

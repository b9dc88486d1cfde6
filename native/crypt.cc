// Password hashes: the shadow entry of a user (getspnam_r) and crypt(3) from
// libxcrypt (crypt_rn: yescrypt, sha512-crypt, ...). Both run on the libuv
// pool: a hash takes tens of milliseconds by design. Comparing the result
// with the stored hash is the caller's job (in constant time).
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <shadow.h>
#include <string.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "errors.h"
#include "promise_worker.h"

namespace privsep {
namespace {

constexpr size_t kMaxBuffer = 1 << 20;

class ShadowWorker : public PromiseWorker {
 public:
  ShadowWorker(Napi::Env env, std::string user) : PromiseWorker(env, "privsep.getspnam"), user_(std::move(user)) {}

  ~ShadowWorker() override { explicit_bzero(&hash_[0], hash_.size()); }

  void Execute() override {
    // When the files source cannot be read, glibc moves on to the next NSS
    // source (nss-systemd makes up locked entries for root and nobody) and
    // reports no error: check with the effective ids, as the lookup would.
    if (faccessat(AT_FDCWD, "/etc/shadow", R_OK, AT_EACCESS) != 0 && errno != ENOENT) {
      Fail(errno, "getspnam");
      return;
    }
    std::vector<char> buf(1024);
    for (;;) {
      spwd entry;
      spwd* result = nullptr;
      int rc = getspnam_r(user_.c_str(), &entry, buf.data(), buf.size(), &result);
      if (rc == ERANGE && buf.size() < kMaxBuffer) {
        explicit_bzero(buf.data(), buf.size());
        buf.resize(buf.size() * 2);
        continue;
      }
      if (result != nullptr) {
        found_ = true;
        hash_ = entry.sp_pwdp != nullptr ? entry.sp_pwdp : "";
      } else if (rc != 0 && rc != ENOENT) {
        Fail(rc, "getspnam");
      }
      explicit_bzero(buf.data(), buf.size());
      return;
    }
  }

  Napi::Value Result(Napi::Env env) override {
    if (!found_) return env.Null();
    return Napi::String::New(env, hash_);
  }

 private:
  std::string user_;
  std::string hash_;
  bool found_ = false;
};

class CryptWorker : public PromiseWorker {
 public:
  CryptWorker(Napi::Env env, std::string phrase, std::string setting)
      : PromiseWorker(env, "privsep.crypt"), phrase_(std::move(phrase)), setting_(std::move(setting)) {}

  ~CryptWorker() override { explicit_bzero(&phrase_[0], phrase_.size()); }

  void Execute() override {
    auto data = std::make_unique<crypt_data>();
    memset(data.get(), 0, sizeof(crypt_data));
    errno = 0;
    const char* out = crypt_rn(phrase_.c_str(), setting_.c_str(), data.get(), sizeof(crypt_data));
    // EINVAL (a setting it cannot parse) and ERANGE (a phrase too long) mean
    // "this cannot match"; anything else is an error.
    if (out == nullptr) {
      if (errno != EINVAL && errno != ERANGE && errno != 0) Fail(errno, "crypt");
    } else {
      ok_ = true;
      result_ = out;
    }
    explicit_bzero(data.get(), sizeof(crypt_data));
  }

  Napi::Value Result(Napi::Env env) override {
    if (!ok_) return env.Null();
    return Napi::String::New(env, result_);
  }

 private:
  std::string phrase_;
  std::string setting_;
  std::string result_;
  bool ok_ = false;
};

bool TextArg(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) return false;
  *out = info[i].As<Napi::String>().Utf8Value();
  return memchr(out->data(), 0, out->size()) == nullptr;
}

// getShadowHash(user) -> Promise<string | null>: the hash field of the
// user's shadow entry, or null when there is none.
Napi::Value GetShadowHash(const Napi::CallbackInfo& info) {
  std::string user;
  PRIVSEP_CHECK_ARGS(info, TextArg(info, 0, &user) && !user.empty(), "getShadowHash(user: string)", Napi::Value());
  return (new ShadowWorker(info.Env(), user))->Start();
}

// crypt(phrase, setting) -> Promise<string | null>: crypt_rn's output, or
// null when the setting is invalid or the phrase too long.
Napi::Value Crypt(const Napi::CallbackInfo& info) {
  std::string phrase;
  std::string setting;
  PRIVSEP_CHECK_ARGS(info, TextArg(info, 0, &phrase) && TextArg(info, 1, &setting),
                     "crypt(phrase: string, setting: string)", Napi::Value());
  return (new CryptWorker(info.Env(), phrase, setting))->Start();
}

}  // namespace

void InitCrypt(Napi::Env env, Napi::Object exports) {
  exports.Set("getShadowHash", Napi::Function::New(env, GetShadowHash, "getShadowHash"));
  exports.Set("crypt", Napi::Function::New(env, Crypt, "crypt"));
}

}  // namespace privsep

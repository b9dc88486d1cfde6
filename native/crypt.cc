// Password hashes: the shadow entry of a user (getspnam_r) and crypt(3) from
// libxcrypt (crypt_rn: yescrypt, sha512-crypt, ...). Both run on the libuv
// pool: a hash takes tens of milliseconds by design. Comparing the result
// with the stored hash, and what the entry's dates mean, is the caller's job.
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
        name_ = entry.sp_namp != nullptr ? entry.sp_namp : user_;
        hash_ = entry.sp_pwdp != nullptr ? entry.sp_pwdp : "";
        days_[0] = entry.sp_lstchg;
        days_[1] = entry.sp_min;
        days_[2] = entry.sp_max;
        days_[3] = entry.sp_warn;
        days_[4] = entry.sp_inact;
        days_[5] = entry.sp_expire;
      } else if (rc != 0 && rc != ENOENT) {
        Fail(rc, "getspnam");
      }
      explicit_bzero(buf.data(), buf.size());
      return;
    }
  }

  // The fields as struct spwd has them: days since 1970-01-01, -1 for an
  // empty field.
  Napi::Value Result(Napi::Env env) override {
    if (!found_) return env.Null();
    static const char* const kDayFields[] = {"lastChange", "minDays", "maxDays", "warnDays", "inactiveDays", "expireDay"};
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", name_);
    entry.Set("hash", hash_);
    for (size_t i = 0; i < 6; i++) entry.Set(kDayFields[i], Napi::Number::New(env, static_cast<double>(days_[i])));
    return entry;
  }

 private:
  std::string user_;
  std::string name_;
  std::string hash_;
  long days_[6] = {-1, -1, -1, -1, -1, -1};
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

// getspnam(user) -> Promise<{ name, hash, lastChange, minDays, maxDays,
// warnDays, inactiveDays, expireDay } | null>: the user's shadow entry, or
// null when there is none.
Napi::Value GetSpNam(const Napi::CallbackInfo& info) {
  std::string user;
  PRIVSEP_CHECK_ARGS(info, TextArg(info, 0, &user) && !user.empty(), "getspnam(user: string)", Napi::Value());
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
  exports.Set("getspnam", Napi::Function::New(env, GetSpNam, "getspnam"));
  exports.Set("crypt", Napi::Function::New(env, Crypt, "crypt"));
}

}  // namespace privsep

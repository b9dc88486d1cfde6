// User and group database lookups (getpwnam_r, getpwuid_r, getgrnam_r,
// getgrgid_r, getgrouplist). NSS may ask a network service, so every lookup
// runs on the libuv pool and answers with a promise; "no such entry" is null.
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "args.h"
#include "errors.h"
#include "promise_worker.h"

namespace privsep {
namespace {

// Buffers for the *_r calls grow on ERANGE up to this size.
constexpr size_t kMaxBuffer = 1 << 20;

// True for the return values that mean "not found" rather than an error.
bool NotFound(int rc) { return rc == 0 || rc == ENOENT || rc == ESRCH; }

size_t InitialBuffer(int name) {
  long n = sysconf(name);
  return n > 0 ? static_cast<size_t>(n) : 1024;
}

bool NameArg(const Napi::CallbackInfo& info, size_t i, std::string* out) {
  if (info.Length() <= i || !info[i].IsString()) return false;
  *out = info[i].As<Napi::String>().Utf8Value();
  return !out->empty() && memchr(out->data(), 0, out->size()) == nullptr;
}

bool IdArg(const Napi::CallbackInfo& info, size_t i, uint32_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) return false;
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 4294967294.0) || v != static_cast<double>(static_cast<uint32_t>(v))) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// getgrouplist(user, gid) into `groups`; false when it would not fit after 16 tries.
bool GroupList(const char* user, gid_t gid, std::vector<gid_t>* groups) {
  int n = 64;
  for (int attempt = 0; attempt < 16; attempt++) {
    groups->resize(static_cast<size_t>(n));
    int count = n;
    if (getgrouplist(user, gid, groups->data(), &count) >= 0) {
      groups->resize(static_cast<size_t>(count));
      return true;
    }
    // count now holds the number needed (glibc), or is unchanged (others).
    n = count > n ? count : n * 2;
  }
  return false;
}

Napi::Array GidArray(Napi::Env env, const std::vector<gid_t>& groups) {
  Napi::Array result = Napi::Array::New(env, groups.size());
  for (size_t i = 0; i < groups.size(); i++) result.Set(static_cast<uint32_t>(i), Napi::Number::New(env, groups[i]));
  return result;
}

// A passwd entry, and with `withGroups` the entry's group list too, in one
// trip to the pool (a login needs both).
class PasswdWorker : public PromiseWorker {
 public:
  PasswdWorker(Napi::Env env, std::string name, uid_t uid, bool byName, bool withGroups = false)
      : PromiseWorker(env, "privsep.getpw"), name_(std::move(name)), uid_(uid), byName_(byName), withGroups_(withGroups) {}

  void Execute() override {
    std::vector<char> buf(InitialBuffer(_SC_GETPW_R_SIZE_MAX));
    for (;;) {
      passwd entry;
      passwd* result = nullptr;
      int rc = byName_ ? getpwnam_r(name_.c_str(), &entry, buf.data(), buf.size(), &result)
                       : getpwuid_r(uid_, &entry, buf.data(), buf.size(), &result);
      if (rc == ERANGE && buf.size() < kMaxBuffer) {
        buf.resize(buf.size() * 2);
        continue;
      }
      if (result == nullptr) {
        if (!NotFound(rc)) Fail(rc, byName_ ? "getpwnam_r" : "getpwuid_r");
        return;
      }
      found_ = true;
      name_ = entry.pw_name;
      uid_ = entry.pw_uid;
      gid_ = entry.pw_gid;
      gecos_ = entry.pw_gecos != nullptr ? entry.pw_gecos : "";
      dir_ = entry.pw_dir != nullptr ? entry.pw_dir : "";
      shell_ = entry.pw_shell != nullptr ? entry.pw_shell : "";
      if (withGroups_ && !GroupList(name_.c_str(), gid_, &groups_)) Fail(ENOBUFS, "getgrouplist");
      return;
    }
  }

  Napi::Value Result(Napi::Env env) override {
    if (!found_) return env.Null();
    Napi::Object user = Napi::Object::New(env);
    user.Set("name", name_);
    user.Set("uid", Napi::Number::New(env, uid_));
    user.Set("gid", Napi::Number::New(env, gid_));
    user.Set("gecos", gecos_);
    user.Set("homedir", dir_);
    user.Set("shell", shell_);
    if (withGroups_) user.Set("groups", GidArray(env, groups_));
    return user;
  }

 private:
  std::string name_;
  uid_t uid_;
  gid_t gid_ = 0;
  bool byName_;
  bool withGroups_;
  std::vector<gid_t> groups_;
  bool found_ = false;
  std::string gecos_, dir_, shell_;
};

class GroupWorker : public PromiseWorker {
 public:
  GroupWorker(Napi::Env env, std::string name, gid_t gid, bool byName)
      : PromiseWorker(env, "privsep.getgr"), name_(std::move(name)), gid_(gid), byName_(byName) {}

  void Execute() override {
    std::vector<char> buf(InitialBuffer(_SC_GETGR_R_SIZE_MAX));
    for (;;) {
      group entry;
      group* result = nullptr;
      int rc = byName_ ? getgrnam_r(name_.c_str(), &entry, buf.data(), buf.size(), &result)
                       : getgrgid_r(gid_, &entry, buf.data(), buf.size(), &result);
      if (rc == ERANGE && buf.size() < kMaxBuffer) {
        buf.resize(buf.size() * 2);
        continue;
      }
      if (result == nullptr) {
        if (!NotFound(rc)) Fail(rc, byName_ ? "getgrnam_r" : "getgrgid_r");
        return;
      }
      found_ = true;
      name_ = entry.gr_name;
      gid_ = entry.gr_gid;
      for (char** member = entry.gr_mem; member != nullptr && *member != nullptr; member++) {
        members_.emplace_back(*member);
      }
      return;
    }
  }

  Napi::Value Result(Napi::Env env) override {
    if (!found_) return env.Null();
    Napi::Object group = Napi::Object::New(env);
    group.Set("name", name_);
    group.Set("gid", Napi::Number::New(env, gid_));
    Napi::Array members = Napi::Array::New(env, members_.size());
    for (size_t i = 0; i < members_.size(); i++) members.Set(static_cast<uint32_t>(i), members_[i]);
    group.Set("members", members);
    return group;
  }

 private:
  std::string name_;
  gid_t gid_;
  bool byName_;
  bool found_ = false;
  std::vector<std::string> members_;
};

class GroupListWorker : public PromiseWorker {
 public:
  GroupListWorker(Napi::Env env, std::string user, gid_t gid)
      : PromiseWorker(env, "privsep.getgrouplist"), user_(std::move(user)), gid_(gid) {}

  void Execute() override {
    if (!GroupList(user_.c_str(), gid_, &groups_)) Fail(ENOBUFS, "getgrouplist");
  }

  Napi::Value Result(Napi::Env env) override { return GidArray(env, groups_); }

 private:
  std::string user_;
  gid_t gid_;
  std::vector<gid_t> groups_;
};

Napi::Value GetPwNam(const Napi::CallbackInfo& info) {
  std::string name;
  PRIVSEP_CHECK_ARGS(info, NameArg(info, 0, &name), "getpwnam(name: string)", Napi::Value());
  return (new PasswdWorker(info.Env(), name, 0, true))->Start();
}

// getpwnamGroups(name) -> Promise<{ ...passwd entry, groups: number[] } | null>:
// getpwnam and the entry's getgrouplist (with its primary gid) in one job.
Napi::Value GetPwNamGroups(const Napi::CallbackInfo& info) {
  std::string name;
  PRIVSEP_CHECK_ARGS(info, NameArg(info, 0, &name), "getpwnamGroups(name: string)", Napi::Value());
  return (new PasswdWorker(info.Env(), name, 0, true, true))->Start();
}

Napi::Value GetPwUid(const Napi::CallbackInfo& info) {
  uint32_t uid;
  PRIVSEP_CHECK_ARGS(info, IdArg(info, 0, &uid), "getpwuid(uid: number)", Napi::Value());
  return (new PasswdWorker(info.Env(), "", uid, false))->Start();
}

Napi::Value GetGrNam(const Napi::CallbackInfo& info) {
  std::string name;
  PRIVSEP_CHECK_ARGS(info, NameArg(info, 0, &name), "getgrnam(name: string)", Napi::Value());
  return (new GroupWorker(info.Env(), name, 0, true))->Start();
}

Napi::Value GetGrGid(const Napi::CallbackInfo& info) {
  uint32_t gid;
  PRIVSEP_CHECK_ARGS(info, IdArg(info, 0, &gid), "getgrgid(gid: number)", Napi::Value());
  return (new GroupWorker(info.Env(), "", gid, false))->Start();
}

// getgrouplist(user, gid) -> Promise<number[]>: the groups of `user` in the
// group database, plus `gid`.
Napi::Value GetGroupList(const Napi::CallbackInfo& info) {
  std::string user;
  uint32_t gid;
  PRIVSEP_CHECK_ARGS(info, NameArg(info, 0, &user) && IdArg(info, 1, &gid), "getgrouplist(user: string, gid: number)",
                     Napi::Value());
  return (new GroupListWorker(info.Env(), user, gid))->Start();
}

}  // namespace

void InitUsers(Napi::Env env, Napi::Object exports) {
  exports.Set("getpwnam", Napi::Function::New(env, GetPwNam, "getpwnam"));
  exports.Set("getpwnamGroups", Napi::Function::New(env, GetPwNamGroups, "getpwnamGroups"));
  exports.Set("getpwuid", Napi::Function::New(env, GetPwUid, "getpwuid"));
  exports.Set("getgrnam", Napi::Function::New(env, GetGrNam, "getgrnam"));
  exports.Set("getgrgid", Napi::Function::New(env, GetGrGid, "getgrgid"));
  exports.Set("getgrouplist", Napi::Function::New(env, GetGroupList, "getgrouplist"));
}

}  // namespace privsep

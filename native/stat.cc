// Batch lstat for directory listings: fstatat(2) without following links,
// for many names of one directory, in a thread-pool task so that neither
// the event loop nor a per-entry round trip pays for it; and the names of a
// directory the same way, all in one task, up to a bound.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "errors.h"
#include "unique_fd.h"

namespace privsep {
namespace {

// Numbers each name gets in the output array: errno (0 when the entry was
// found), st_mode, st_nlink, st_uid, st_gid, st_size, mtime in milliseconds.
constexpr uint32_t kLstatFields = 7;

// One name's record, as kLstatFields says; errno first when fstatat fails.
void FillLstatRecord(int dirfd, const char* name, double* record) {
  struct stat st;
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    record[0] = errno;
    return;
  }
  record[1] = st.st_mode;
  record[2] = static_cast<double>(st.st_nlink);
  record[3] = st.st_uid;
  record[4] = st.st_gid;
  record[5] = static_cast<double>(st.st_size);
  record[6] = static_cast<double>(st.st_mtim.tv_sec) * 1e3 + static_cast<double>(st.st_mtim.tv_nsec / 1000000);
}

class LstatWorker : public Napi::AsyncWorker {
 public:
  LstatWorker(Napi::Env env, std::string dir, std::vector<std::string> names, Napi::Float64Array out)
      : Napi::AsyncWorker(env, "privsep.lstatBatch"),
        deferred_(Napi::Promise::Deferred::New(env)),
        dir_(std::move(dir)),
        names_(std::move(names)),
        records_(names_.size() * kLstatFields, 0.0) {
    out_ = Napi::Persistent(out);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  // Runs on a thread-pool thread: no JavaScript values here.
  void Execute() override {
    UniqueFd dirfd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd.valid()) {
      openErrno_ = errno;
      return;
    }
    double* record = records_.data();
    for (const std::string& name : names_) {
      if (name.empty() || name.find('/') != std::string::npos) {
        record[0] = EINVAL;
      } else {
        FillLstatRecord(dirfd.get(), name.c_str(), record);
      }
      record += kLstatFields;
    }
  }

  void OnOK() override {
    if (openErrno_ != 0) {
      deferred_.Reject(ErrnoError(Env(), openErrno_, "open").Value());
      return;
    }
    Napi::Float64Array out = out_.Value();
    std::copy(records_.begin(), records_.end(), out.Data());
    deferred_.Resolve(Env().Undefined());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Float64Array> out_;
  std::string dir_;
  std::vector<std::string> names_;
  std::vector<double> records_;
  int openErrno_ = 0;
};

// lstatBatch(dir: string, names: string, count, out: Float64Array) -> Promise<void>.
// `names` holds `count` names, each ended by a NUL byte (one string crosses
// into C++ instead of thousands). A name must be one path component: one
// with a '/' gets EINVAL, so no entry outside `dir` is ever looked at.
Napi::Value LstatBatch(const Napi::CallbackInfo& info) {
  const char* usage = "lstatBatch(dir: string, names: string, count: integer, out: Float64Array)";
  PRIVSEP_CHECK_ARGS(info,
                     info.Length() > 3 && info[0].IsString() && info[1].IsString() && IsIntArg(info, 2) && IntArg(info, 2) >= 0 &&
                         info[3].IsTypedArray() && info[3].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array,
                     usage, Napi::Value());
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  const std::string joined = info[1].As<Napi::String>().Utf8Value();
  const size_t count = static_cast<size_t>(IntArg(info, 2));
  Napi::Float64Array out = info[3].As<Napi::Float64Array>();
  PRIVSEP_CHECK_ARGS(info, out.ElementLength() >= count * kLstatFields, usage, Napi::Value());
  if (dir.find('\0') != std::string::npos) {
    ThrowErrnoError(info.Env(), EINVAL, "open");
    return Napi::Value();
  }
  std::vector<std::string> names;
  names.reserve(count);
  size_t start = 0;
  while (names.size() < count) {
    const size_t end = joined.find('\0', start);
    PRIVSEP_CHECK_ARGS(info, end != std::string::npos, usage, Napi::Value());
    names.emplace_back(joined, start, end - start);
    start = end + 1;
  }
  LstatWorker* worker = new LstatWorker(info.Env(), std::move(dir), std::move(names), out);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// A directory's names but "." and "..", sorted by byte, up to a bound; with
// `withStats`, the lstat of each too, in the same task: what a listing
// needs, without a second trip through the thread pool. In a big directory
// a second thread looks names up while the rest are still being read, so
// that the read (one thread's work) does not leave a core idle.
class ReaddirWorker : public Napi::AsyncWorker {
 public:
  ReaddirWorker(Napi::Env env, std::string dir, double limit, bool withStats)
      : Napi::AsyncWorker(env, withStats ? "privsep.readdirStat" : "privsep.readdirNames"),
        deferred_(Napi::Promise::Deferred::New(env)),
        dir_(std::move(dir)),
        limit_(limit),
        withStats_(withStats) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  // Runs on a thread-pool thread: no JavaScript values here.
  void Execute() override {
    UniqueFd dirfd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dirfd.valid()) {
      Fail(errno, "opendir");
      return;
    }
    // readdir(3) gets its own descriptor: closedir closes it, the stats use dirfd.
    const int readFd = ::fcntl(dirfd.get(), F_DUPFD_CLOEXEC, 0);
    if (readFd < 0) {
      Fail(errno, "opendir");
      return;
    }
    DIR* dir = ::fdopendir(readFd);
    if (dir == nullptr) {
      Fail(errno, "opendir");
      ::close(readFd);
      return;
    }
    dirfd_ = dirfd.get();
    ReadNames(dir);
    ::closedir(dir);
    if (withStats_) {
      // What is left, with the helper if there is one; then the helper's records.
      LookUpClaimed(&ownRecords_);
      if (helperStarted_) ::pthread_join(helper_, nullptr);
      if (errno_ != 0 || tooMany_) return;
      records_.assign(names_.size() * kLstatFields, 0.0);
      for (const std::vector<IndexedRecord>* found : {&ownRecords_, &helperRecords_}) {
        for (const IndexedRecord& r : *found) std::copy(r.record, r.record + kLstatFields, records_.begin() + r.index * kLstatFields);
      }
    }
    if (errno_ != 0 || tooMany_) return;
    SortByName();
    size_t bytes = 0;
    for (const std::string& name : names_) bytes += name.size() + 1;
    joined_.reserve(bytes);
    for (const std::string& name : names_) {
      joined_.append(name);
      joined_.push_back('\0');
    }
    names_.clear();
    names_.shrink_to_fit();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (errno_ != 0) {
      deferred_.Reject(ErrnoError(env, errno_, syscall_).Value());
      return;
    }
    if (tooMany_) {
      deferred_.Resolve(env.Null());
      return;
    }
    if (!withStats_) {
      deferred_.Resolve(Napi::String::New(env, joined_));
      return;
    }
    Napi::Float64Array records = Napi::Float64Array::New(env, records_.size());
    std::copy(records_.begin(), records_.end(), records.Data());
    Napi::Object result = Napi::Object::New(env);
    result.Set("names", Napi::String::New(env, joined_));
    result.Set("records", records);
    deferred_.Resolve(result);
  }

 private:
  // Names read from which a second thread looks names up meanwhile.
  static constexpr size_t kHelpFrom = 1024;
  // Names the reader hands over, and a looker-up takes, at a time.
  static constexpr size_t kBatch = 64;

  struct IndexedRecord {
    size_t index;
    double record[kLstatFields];
  };

  static void* HelperThread(void* arg) {
    ReaddirWorker* worker = static_cast<ReaddirWorker*>(arg);
    worker->LookUpClaimed(&worker->helperRecords_);
    return nullptr;
  }

  // Reads every name into names_ (shared with the helper once it runs, under
  // mutex_), handing them over kBatch at a time; stops past the bound.
  void ReadNames(DIR* dir) {
    std::vector<std::string> batch;
    double count = 0;
    int readErrno = 0;
    bool tooMany = false;
    for (;;) {
      errno = 0;
      const struct dirent* entry = ::readdir(dir);
      if (entry == nullptr) {
        readErrno = errno;
        break;
      }
      const char* name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      if (++count > limit_) {
        tooMany = true;
        break;
      }
      batch.emplace_back(name);
      if (batch.size() == kBatch) HandOver(&batch);
    }
    HandOver(&batch);
    std::lock_guard<std::mutex> lock(mutex_);
    if (readErrno != 0) Fail(readErrno, "readdir");
    tooMany_ = tooMany;
    reading_ = false;
    more_.notify_all();
  }

  void HandOver(std::vector<std::string>* batch) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (std::string& name : *batch) names_.push_back(std::move(name));
      more_.notify_one();
    }
    batch->clear();
    if (withStats_ && !helperStarted_ && names_.size() >= kHelpFrom) {
      helperStarted_ = ::pthread_create(&helper_, nullptr, HelperThread, this) == 0;
    }
  }

  // Takes names not yet looked up, kBatch at a time, and looks them up,
  // until every name read has been taken (or the read failed or went past
  // the bound). The names are copied out: the reader may move them.
  void LookUpClaimed(std::vector<IndexedRecord>* found) {
    std::vector<std::string> batch;
    for (;;) {
      size_t first;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        more_.wait(lock, [this] { return claimed_ < names_.size() || !reading_; });
        if (claimed_ == names_.size() || errno_ != 0 || tooMany_) return;
        first = claimed_;
        const size_t end = std::min(names_.size(), claimed_ + kBatch);
        batch.assign(names_.begin() + first, names_.begin() + end);
        claimed_ = end;
      }
      for (size_t i = 0; i < batch.size(); i++) {
        IndexedRecord r{first + i, {}};
        // A name removed since readdir gets ENOENT: the caller leaves it out.
        FillLstatRecord(dirfd_, batch[i].c_str(), r.record);
        found->push_back(r);
      }
    }
  }

  // Byte order, as strcmp(3) and `ls` in the C locale sort; each record goes with its name.
  void SortByName() {
    if (!withStats_) {
      std::sort(names_.begin(), names_.end());
      return;
    }
    std::vector<size_t> order(names_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [this](size_t a, size_t b) { return names_[a] < names_[b]; });
    std::vector<std::string> names(names_.size());
    std::vector<double> records(records_.size());
    for (size_t to = 0; to < order.size(); to++) {
      names[to] = std::move(names_[order[to]]);
      std::copy_n(records_.begin() + order[to] * kLstatFields, kLstatFields, records.begin() + to * kLstatFields);
    }
    names_ = std::move(names);
    records_ = std::move(records);
  }

  void Fail(int error, const char* syscall) {
    errno_ = error;
    syscall_ = syscall;
  }

  Napi::Promise::Deferred deferred_;
  std::string dir_;
  double limit_;
  bool withStats_;
  // Shared with the helper, under mutex_: names_ (appended to while the
  // read runs), claimed_, reading_, and errno_ and tooMany_ (set with
  // reading_ going false).
  std::mutex mutex_;
  std::condition_variable more_;
  std::vector<std::string> names_;
  size_t claimed_ = 0;
  bool reading_ = true;
  pthread_t helper_;
  bool helperStarted_ = false;
  std::vector<IndexedRecord> ownRecords_;
  std::vector<IndexedRecord> helperRecords_;
  std::string joined_;
  std::vector<double> records_;
  int dirfd_ = -1;
  bool tooMany_ = false;
  int errno_ = 0;
  const char* syscall_ = "";
};

Napi::Value QueueReaddir(const Napi::CallbackInfo& info, const char* usage, bool withStats) {
  PRIVSEP_CHECK_ARGS(info, info.Length() > 1 && info[0].IsString() && info[1].IsNumber() && info[1].As<Napi::Number>().DoubleValue() >= 0, usage,
                     Napi::Value());
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  if (dir.find('\0') != std::string::npos) {
    ThrowErrnoError(info.Env(), EINVAL, "opendir");
    return Napi::Value();
  }
  ReaddirWorker* worker = new ReaddirWorker(info.Env(), std::move(dir), info[1].As<Napi::Number>().DoubleValue(), withStats);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// readdirNames(dir: string, limit: number) -> Promise<string | null>: the
// names, each ended by a NUL byte; null when there are more than `limit`.
Napi::Value ReaddirNames(const Napi::CallbackInfo& info) {
  return QueueReaddir(info, "readdirNames(dir: string, limit: number)", false);
}

// readdirStat(dir: string, limit: number) -> Promise<{ names: string, records: Float64Array } | null>:
// readdirNames' names, and for each, in that order, the LSTAT_FIELDS numbers
// lstatBatch gives (errno first: a name removed meanwhile has ENOENT).
Napi::Value ReaddirStat(const Napi::CallbackInfo& info) {
  return QueueReaddir(info, "readdirStat(dir: string, limit: number)", true);
}

}  // namespace

void InitStat(Napi::Env env, Napi::Object exports) {
  exports.Set("lstatBatch", Napi::Function::New(env, LstatBatch, "lstatBatch"));
  exports.Set("LSTAT_FIELDS", Napi::Number::New(env, kLstatFields));
  exports.Set("readdirNames", Napi::Function::New(env, ReaddirNames, "readdirNames"));
  exports.Set("readdirStat", Napi::Function::New(env, ReaddirStat, "readdirStat"));
}

}  // namespace privsep

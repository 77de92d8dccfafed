// fsc_pcapbatch: reads packets from libpcap in batches into one caller-owned buffer, so JS pays
// one native call per ~thousands of packets instead of one callback per packet (node-pcap).
//
// Files can be read ahead by a thread into a ring of buffers while JS aggregates the previous
// one (startReadAhead / takeAhead), so libpcap's parsing and copying leave the critical path.
//
// Streams (a pipe from the capture helper native/caphelper, or standard input) are read the same
// way through a FILE whose reads we serve (fopencookie): the filler hands a batch over as soon as
// the pipe has nothing more, and close() wakes a filler blocked on a silent pipe (eventfd).
//
// Every argument is checked (TypeError / RangeError, never a crash). While the read-ahead thread
// owns the pcap_t, calls that would touch it from JS (read, setFilter, stats) are refused or
// answered from values cached at open.
//
// Record layout (all little-endian host order, 8-byte aligned):
//   f64 ts_us | u32 caplen | u32 wirelen | caplen bytes | pad to 8
#include <napi.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

enum Status { kMore = 0, kEof = 1, kError = 2, kIdle = 3 };

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

void ThrowType(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

void ThrowRange(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
}

// An integer-valued Number in [lo, hi], or a pending TypeError/RangeError (returns false).
bool IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, double lo, double hi, double* out) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsNumber()) {
    ThrowType(env, std::string(name) + " must be a number");
    return false;
  }
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= lo && v <= hi) || v != static_cast<double>(static_cast<long long>(v))) {
    ThrowRange(env, std::string(name) + " must be an integer in " + std::to_string(static_cast<long long>(lo)) +
                        ".." + std::to_string(static_cast<long long>(hi)));
    return false;
  }
  *out = v;
  return true;
}

// A string without NUL bytes (libpcap and the C library would silently cut it there).
bool StringArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t max_len, std::string* out) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsString()) {
    ThrowType(env, std::string(name) + " must be a string");
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    ThrowType(env, std::string(name) + " must not contain NUL characters");
    return false;
  }
  if (out->size() > max_len) {
    ThrowRange(env, std::string(name) + " is longer than " + std::to_string(max_len) + " bytes");
    return false;
  }
  return true;
}

// Reads a pipe (or any descriptor) for libpcap through a FILE whose reads we serve, so the filler
// can tell whether more is already here (Ready) and close() can interrupt a blocked read (Wake).
class StreamReader {
 public:
  explicit StreamReader(int fd) : fd_(fd), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), buf_(new char[kBytes]) {}
  ~StreamReader() {
    if (fd_ >= 0) close(fd_);
    if (wake_ >= 0) close(wake_);
  }

  bool ok() const { return wake_ >= 0; }

  FILE* Open() {
    cookie_io_functions_t io = {&StreamReader::ReadCb, nullptr, nullptr, nullptr};
    fp_ = fopencookie(this, "r", io);
    // Fully buffered (1 MiB): unbuffered, glibc would call ReadCb once per byte.
    if (fp_) setvbuf(fp_, buf_.get(), _IOFBF, kBytes);
    return fp_;
  }

  // Bytes are waiting in the FILE's buffer or in the pipe right now.
  bool Ready() {
#ifdef __GLIBC__
    // glibc's FILE fields are public (gnulib's freadahead reads them the same way).
    if (fp_ && fp_->_IO_read_ptr < fp_->_IO_read_end) return true;
#endif
    struct pollfd p = {fd_, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
  }

  // Makes the current and every later read return end of file (from any thread).
  void Wake() {
    woken_.store(true);
    uint64_t one = 1;
    ssize_t ignored = write(wake_, &one, sizeof one);
    (void)ignored;
  }

  double consumed() const { return static_cast<double>(consumed_.load()); }

 private:
  static constexpr size_t kBytes = 1 << 20;
  int fd_;
  int wake_;
  // The FILE's buffer; freed after the FILE (pcap_close closes it before this is destroyed).
  std::unique_ptr<char[]> buf_;
  FILE* fp_ = nullptr;
  std::atomic<bool> woken_{false};
  std::atomic<uint64_t> consumed_{0};

  static ssize_t ReadCb(void* cookie, char* out, size_t size) {
    StreamReader* r = static_cast<StreamReader*>(cookie);
    for (;;) {
      if (r->woken_.load()) return 0;
      struct pollfd p[2] = {{r->fd_, POLLIN, 0}, {r->wake_, POLLIN, 0}};
      if (poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      if (p[1].revents) return 0;
      ssize_t n = read(r->fd_, out, size);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n > 0) r->consumed_ += static_cast<uint64_t>(n);
      return n;
    }
  }
};

const char* ActivateCode(int rc) {
  switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return "PERMISSION_DENIED";
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return "NO_SUCH_DEVICE";
    case PCAP_ERROR_IFACE_NOT_UP:
      return "INTERFACE_DOWN";
    default:
      return "CAPTURE_FAILED";
  }
}

constexpr uint32_t kMaxSlots = 64;
constexpr double kMaxSnap = 262144;
constexpr size_t kMaxRecord = 16 + 262144;

class Handle : public Napi::ObjectWrap<Handle> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Handle",
                       {
                           InstanceMethod("read", &Handle::Read),
                           InstanceMethod("stats", &Handle::Stats),
                           InstanceMethod("close", &Handle::Close),
                           InstanceMethod("setFilter", &Handle::SetFilter),
                           InstanceMethod("position", &Handle::Position),
                           InstanceMethod("startReadAhead", &Handle::StartReadAhead),
                           InstanceMethod("takeAhead", &Handle::TakeAhead),
                           InstanceMethod("waitAhead", &Handle::WaitAhead),
                           InstanceAccessor("dlt", &Handle::Dlt, nullptr),
                           InstanceAccessor("dltName", &Handle::DltName, nullptr),
                           InstanceAccessor("snaplen", &Handle::Snaplen, nullptr),
                       });
  }

  // new Handle('live', device, snaplen, bufferBytes, promisc) | new Handle('file', path)
  // | new Handle('stream', fd): a pcap stream on a descriptor (duplicated; the caller closes its own).
  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {
    Napi::Env env = info.Env();
    std::string kind;
    if (!StringArg(info, 0, "kind", 16, &kind)) return;
    if (kind == "file") {
      std::string target;
      if (!StringArg(info, 1, "path", 4096, &target)) return;
      if (target.empty()) { ThrowType(env, "path must not be empty"); return; }
      // "-" is standard input (a pipe from tcpdump -w -), as for libpcap's pcap_open_offline;
      // read as a stream so a silent pipe can be interrupted.
      if (target == "-") { OpenStream(env, 0, "standard input"); return; }
      // Our own FILE with a 1 MiB buffer: libpcap would read through stdio's default 4 KiB,
      // one read() syscall per 4 KiB, which costs as much as parsing the records.
      FILE* fp = std::fopen(target.c_str(), "rbe");
      if (!fp) {
        std::string msg = target + ": " + std::strerror(errno);
        MakeError(env, "OPEN_FAILED", msg).ThrowAsJavaScriptException();
        return;
      }
      // glibc ignores the size unless we hand it the buffer; it must outlive the FILE.
      file_buffer_.reset(new char[kFileBufferBytes]);
      std::setvbuf(fp, file_buffer_.get(), _IOFBF, kFileBufferBytes);
      char errbuf[PCAP_ERRBUF_SIZE] = {0};
      pcap_ = pcap_fopen_offline(fp, errbuf);
      if (!pcap_) {
        std::fclose(fp);
        MakeError(env, "OPEN_FAILED", errbuf).ThrowAsJavaScriptException();
        return;
      }
      CacheLinkInfo();
      return;
    }
    if (kind == "stream") {
      double fd;
      if (!IntArg(info, 1, "fd", 0, 1 << 30, &fd)) return;
      { OpenStream(env, static_cast<int>(fd), "fd " + std::to_string(static_cast<int>(fd))); return; }
    }
    if (kind != "live") { ThrowRange(env, "kind must be 'live', 'file' or 'stream'"); return; }
    std::string target;
    double snaplen, buffer_bytes;
    if (!StringArg(info, 1, "device", 255, &target)) return;
    if (target.empty()) { ThrowType(env, "device must not be empty"); return; }
    if (!IntArg(info, 2, "snaplen", 1, kMaxSnap, &snaplen)) return;
    if (!IntArg(info, 3, "bufferBytes", 65536, 1 << 30, &buffer_bytes)) return;
    if (info.Length() <= 4 || !info[4].IsBoolean()) { ThrowType(env, "promisc must be a boolean"); return; }
    bool promisc = info[4].As<Napi::Boolean>().Value();
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    pcap_ = pcap_create(target.c_str(), errbuf);
    if (!pcap_) {
      MakeError(env, "CAPTURE_FAILED", errbuf).ThrowAsJavaScriptException();
      return;
    }
    pcap_set_snaplen(pcap_, static_cast<int>(snaplen));
    pcap_set_promisc(pcap_, promisc ? 1 : 0);
    pcap_set_buffer_size(pcap_, static_cast<int>(buffer_bytes));
    pcap_set_immediate_mode(pcap_, 1);
    int rc = pcap_activate(pcap_);
    if (rc < 0) {
      std::string msg = pcap_geterr(pcap_);
      if (msg.empty()) msg = pcap_statustostr(rc);
      pcap_close(pcap_);
      pcap_ = nullptr;
      MakeError(env, ActivateCode(rc), msg).ThrowAsJavaScriptException();
      return;
    }
    if (pcap_setnonblock(pcap_, 1, errbuf) < 0) {
      pcap_close(pcap_);
      pcap_ = nullptr;
      MakeError(env, "CAPTURE_FAILED", errbuf).ThrowAsJavaScriptException();
      return;
    }
    CacheLinkInfo();
  }

  ~Handle() override { Release(); }

 private:
  static constexpr size_t kFileBufferBytes = 1 << 20;
  pcap_t* pcap_ = nullptr;
  // stdio buffer of a savefile; freed only after pcap_close() closed the FILE using it.
  std::unique_ptr<char[]> file_buffer_;
  // Streams: serves the FILE's reads; outlives pcap_close() (which closes the FILE).
  std::unique_ptr<StreamReader> stream_;
  // Fixed at open, so JS can read them while the filler thread owns pcap_.
  int dlt_ = 0;
  int snaplen_ = 0;
  std::string dlt_name_;
  bool has_dlt_name_ = false;

  void CacheLinkInfo() {
    dlt_ = pcap_datalink(pcap_);
    snaplen_ = pcap_snapshot(pcap_);
    const char* name = pcap_datalink_val_to_name(dlt_);
    has_dlt_name_ = name != nullptr;
    if (name) dlt_name_ = name;
  }

  void OpenStream(Napi::Env env, int fd, const std::string& label) {
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (own < 0) {
      MakeError(env, "OPEN_FAILED", label + ": " + std::strerror(errno)).ThrowAsJavaScriptException();
      return;
    }
    auto reader = std::make_unique<StreamReader>(own);
    FILE* fp = reader->ok() ? reader->Open() : nullptr;
    if (!fp) {
      MakeError(env, "OPEN_FAILED", label + ": " + std::strerror(errno)).ThrowAsJavaScriptException();
      return;
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    pcap_ = pcap_fopen_offline(fp, errbuf);
    if (!pcap_) {
      std::fclose(fp);
      MakeError(env, "OPEN_FAILED", errbuf).ThrowAsJavaScriptException();
      return;
    }
    stream_ = std::move(reader);
    CacheLinkInfo();
  }

  void Release() {
    StopAhead();
    if (pcap_) pcap_close(pcap_);
    pcap_ = nullptr;
    stream_.reset();
  }

  bool CheckOpen(Napi::Env env) {
    if (pcap_) return true;
    MakeError(env, "CLOSED", "capture handle is closed").ThrowAsJavaScriptException();
    return false;
  }

  bool CheckIdle(Napi::Env env, const char* what) {
    if (!ahead_) return true;
    MakeError(env, "BUSY", std::string(what) + " while the read-ahead thread runs").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value SetFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string expr;
    if (!StringArg(info, 0, "expression", 65536, &expr)) return env.Undefined();
    if (!CheckOpen(env) || !CheckIdle(env, "setFilter()")) return env.Undefined();
    struct bpf_program prog;
    if (pcap_compile(pcap_, &prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) < 0) {
      MakeError(env, "BAD_FILTER", pcap_geterr(pcap_)).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int rc = pcap_setfilter(pcap_, &prog);
    pcap_freecode(&prog);
    if (rc < 0) {
      MakeError(env, "BAD_FILTER", pcap_geterr(pcap_)).ThrowAsJavaScriptException();
    }
    return env.Undefined();
  }

  // Fills `out` with records until maxPackets, a record might not fit, or libpcap has nothing
  // more (idle / eof / error). Stops before a record could overflow, so none is lost or split.
  // A stream hands over what it has as soon as the pipe holds nothing more (status more).
  struct Fill {
    size_t used = 0;
    uint32_t packets = 0;
    int status = kMore;
    std::string error;
  };

  static Fill FillBuffer(pcap_t* p, uint8_t* out, size_t cap, uint32_t max_packets, StreamReader* stream) {
    Fill f;
    size_t snap = static_cast<size_t>(pcap_snapshot(p));
    if (snap == 0 || snap > 262144) snap = 262144;
    while (f.packets < max_packets && f.used + 16 + snap <= cap) {
      if (stream && f.packets > 0 && !stream->Ready()) break;
      struct pcap_pkthdr* h;
      const u_char* data;
      int rc = pcap_next_ex(p, &h, &data);
      if (rc == 1) {
        size_t caplen = h->caplen;
        // libpcap allows bigger records for a few link types (USB, D-Bus); keep what fits.
        if (f.used + 16 + caplen > cap) caplen = cap - f.used - 16;
        double ts_us = static_cast<double>(h->ts.tv_sec) * 1e6 + static_cast<double>(h->ts.tv_usec);
        uint32_t c32 = static_cast<uint32_t>(caplen), w32 = h->len;
        std::memcpy(out + f.used, &ts_us, 8);
        std::memcpy(out + f.used + 8, &c32, 4);
        std::memcpy(out + f.used + 12, &w32, 4);
        std::memcpy(out + f.used + 16, data, caplen);
        f.used += (16 + caplen + 7) & ~static_cast<size_t>(7);
        f.packets++;
      } else if (rc == 0) {
        f.status = kIdle;
        break;
      } else if (rc == PCAP_ERROR_BREAK) {
        f.status = kEof;
        break;
      } else {
        f.status = kError;
        f.error = pcap_geterr(p);
        break;
      }
    }
    return f;
  }

  static Napi::Value FillResult(Napi::Env env, const Fill& f, int slot) {
    Napi::Array result = Napi::Array::New(env, 5);
    result.Set(0u, Napi::Number::New(env, static_cast<double>(f.used)));
    result.Set(1u, Napi::Number::New(env, f.packets));
    result.Set(2u, Napi::Number::New(env, f.status));
    result.Set(3u, f.status == kError ? Napi::String::New(env, f.error) : env.Null());
    result.Set(4u, Napi::Number::New(env, slot));
    return result;
  }

  // A batch buffer must hold at least one full-size record, or no read could make progress.
  static bool BufferArg(Napi::Env env, Napi::Value v, const char* name, Napi::ArrayBuffer* out) {
    if (!v.IsArrayBuffer()) {
      ThrowType(env, std::string(name) + " must be an ArrayBuffer");
      return false;
    }
    *out = v.As<Napi::ArrayBuffer>();
    if (out->ByteLength() < kMaxRecord || out->ByteLength() > (1u << 30)) {
      ThrowRange(env, std::string(name) + " must be 262160 bytes to 1 GiB");
      return false;
    }
    return true;
  }

  // read(buffer: ArrayBuffer, maxPackets) -> [bytesUsed, packets, status, error|null, -1].
  // Blocks on a stream until its next packet; live and file handles never wait.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::ArrayBuffer ab;
    double max_packets;
    if (info.Length() < 1 || !BufferArg(env, info[0], "buffer", &ab)) {
      if (!env.IsExceptionPending()) ThrowType(env, "buffer must be an ArrayBuffer");
      return env.Undefined();
    }
    if (!IntArg(info, 1, "maxPackets", 1, 1 << 24, &max_packets)) return env.Undefined();
    if (!CheckOpen(env) || !CheckIdle(env, "read()")) return env.Undefined();
    Fill f = FillBuffer(pcap_, static_cast<uint8_t*>(ab.Data()), ab.ByteLength(),
                        static_cast<uint32_t>(max_packets), stream_.get());
    return FillResult(env, f, -1);
  }

  // --- read-ahead (files, streams): a thread fills the next buffers while JS works on the current one.
  struct Slot {
    uint8_t* data = nullptr;
    size_t cap = 0;
    bool filled = false;
    Fill fill;
  };

  struct Ahead {
    std::vector<Slot> slots;
    std::vector<Napi::Reference<Napi::ArrayBuffer>> refs;
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    bool done = false;  // the filler met eof/error; no slot after the last filled one
    size_t next_fill = 0;
    size_t next_take = 0;
    int held = -1;  // slot JS is working on; freed by the next take
    std::thread thread;

    // The next take would not wait: a batch is filled, or the stream ended (or we are stopping).
    bool TakeReady() const {
      return stop || slots[next_take % slots.size()].filled || (done && next_take == next_fill);
    }
  };
  // Shared with pending waitAhead() waiters, which may outlive close().
  std::shared_ptr<Ahead> ahead_;

  // Waits on a libuv pool thread, so an idle stream costs the event loop nothing until data comes.
  class AheadWaiter : public Napi::AsyncWorker {
   public:
    AheadWaiter(Napi::Env env, std::shared_ptr<Ahead> a, int ms)
        : Napi::AsyncWorker(env, "fsc_pcapbatch.waitAhead"),
          a_(std::move(a)),
          ms_(ms),
          deferred_(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise Promise() const { return deferred_.Promise(); }
    void Execute() override {
      std::unique_lock<std::mutex> lock(a_->mu);
      ready_ = a_->cv.wait_for(lock, std::chrono::milliseconds(ms_), [this] { return a_->TakeReady(); });
    }
    void OnOK() override { deferred_.Resolve(Napi::Boolean::New(Env(), ready_)); }
    void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

   private:
    std::shared_ptr<Ahead> a_;
    int ms_;
    bool ready_ = false;
    Napi::Promise::Deferred deferred_;
  };

  // startReadAhead([ArrayBuffer...], maxPackets): pcap is owned by the filler thread from now on.
  // The buffers are written by that thread until close(): the caller keeps them (and must not
  // transfer or detach them), as for any buffer handed to an asynchronous read.
  Napi::Value StartReadAhead(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) {
      ThrowType(env, "buffers must be an array of ArrayBuffers");
      return env.Undefined();
    }
    double max_packets;
    if (!IntArg(info, 1, "maxPackets", 1, 1 << 24, &max_packets)) return env.Undefined();
    Napi::Array buffers = info[0].As<Napi::Array>();
    if (buffers.Length() < 2 || buffers.Length() > kMaxSlots) {
      ThrowRange(env, "buffers must hold 2 to 64 ArrayBuffers");
      return env.Undefined();
    }
    auto a = std::make_shared<Ahead>();
    for (uint32_t i = 0; i < buffers.Length(); i++) {
      Napi::ArrayBuffer ab;
      if (!BufferArg(env, buffers.Get(i), "every buffer", &ab)) return env.Undefined();
      uint8_t* d = static_cast<uint8_t*>(ab.Data());
      for (const Slot& s : a->slots) {
        if (d < s.data + s.cap && s.data < d + ab.ByteLength()) {
          ThrowRange(env, "buffers must be distinct");
          return env.Undefined();
        }
      }
      Slot slot;
      slot.data = d;
      slot.cap = ab.ByteLength();
      a->slots.push_back(slot);
      a->refs.push_back(Napi::Persistent(ab));
    }
    if (!CheckOpen(env)) return env.Undefined();
    if (ahead_) {
      MakeError(env, "BUSY", "read-ahead already started").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Ahead* raw = a.get();
    pcap_t* p = pcap_;
    StreamReader* stream = stream_.get();
    uint32_t maxp = static_cast<uint32_t>(max_packets);
    a->thread = std::thread([raw, p, maxp, stream]() {
      for (;;) {
        Slot* slot;
        {
          std::unique_lock<std::mutex> lock(raw->mu);
          size_t i = raw->next_fill % raw->slots.size();
          raw->cv.wait(lock, [&] { return raw->stop || !raw->slots[i].filled; });
          if (raw->stop) return;
          slot = &raw->slots[i];
        }
        Fill f = FillBuffer(p, slot->data, slot->cap, maxp, stream);
        bool last = f.status != kMore;
        {
          std::lock_guard<std::mutex> lock(raw->mu);
          slot->fill = std::move(f);
          slot->filled = true;
          raw->next_fill++;
          if (last) raw->done = true;
        }
        raw->cv.notify_all();
        if (last) return;
      }
    });
    ahead_ = std::move(a);
    return env.Undefined();
  }

  // takeAhead(waitMs?) -> [bytesUsed, packets, status, error|null, slot]; frees the slot taken
  // before. Without waitMs it waits for the next batch; with it, an empty idle result after that long.
  Napi::Value TakeAhead(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double wait_ms = -1;
    if (info.Length() > 0 && !info[0].IsUndefined() && !IntArg(info, 0, "waitMs", 0, 60000, &wait_ms))
      return env.Undefined();
    if (!ahead_) {
      MakeError(env, "NOT_STARTED", "takeAhead() before startReadAhead()").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Ahead* a = ahead_.get();
    std::unique_lock<std::mutex> lock(a->mu);
    if (a->held >= 0) {
      a->slots[a->held].filled = false;
      a->held = -1;
      a->cv.notify_all();
    }
    if (a->done && a->next_take == a->next_fill) {
      Fill eof;
      eof.status = kEof;
      return FillResult(env, eof, -1);
    }
    size_t i = a->next_take % a->slots.size();
    auto ready = [&] { return a->slots[i].filled; };
    if (wait_ms < 0) {
      a->cv.wait(lock, ready);
    } else if (!a->cv.wait_for(lock, std::chrono::milliseconds(static_cast<long long>(wait_ms)), ready)) {
      Fill idle;
      idle.status = kIdle;
      return FillResult(env, idle, -1);
    }
    a->next_take++;
    a->held = static_cast<int>(i);
    return FillResult(env, a->slots[i].fill, static_cast<int>(i));
  }

  // waitAhead(timeoutMs) -> Promise<boolean>: true once takeAhead() would not wait (a batch is
  // ready, or the stream ended), false after timeoutMs.
  Napi::Value WaitAhead(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double ms;
    if (!IntArg(info, 0, "timeoutMs", 0, 60000, &ms)) return env.Undefined();
    if (!ahead_) {
      MakeError(env, "NOT_STARTED", "waitAhead() before startReadAhead()").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    // Freed by node-addon-api once it has resolved.
    AheadWaiter* w = new AheadWaiter(env, ahead_, static_cast<int>(ms));
    Napi::Promise promise = w->Promise();
    w->Queue();
    return promise;
  }

  void StopAhead() {
    if (!ahead_) return;
    {
      std::lock_guard<std::mutex> lock(ahead_->mu);
      ahead_->stop = true;
    }
    ahead_->cv.notify_all();
    // A filler blocked on a silent pipe returns from its read now (end of file).
    if (stream_) stream_->Wake();
    if (ahead_->thread.joinable()) ahead_->thread.join();
    ahead_.reset();
  }

  // Live handles only (null otherwise, or while a read-ahead thread owns the handle).
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!pcap_ || ahead_ || stream_ || file_buffer_) return env.Null();
    struct pcap_stat ps;
    if (pcap_stats(pcap_, &ps) < 0) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("recv", Napi::Number::New(env, ps.ps_recv));
    o.Set("drop", Napi::Number::New(env, ps.ps_drop));
    o.Set("ifdrop", Napi::Number::New(env, ps.ps_ifdrop));
    return o;
  }

  // Bytes of the savefile or stream consumed so far (0 for live captures), for progress reports.
  // ftell takes the FILE's lock, so it is safe beside the filler thread.
  Napi::Value Position(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (stream_) return Napi::Number::New(env, stream_->consumed());
    FILE* f = pcap_ && file_buffer_ ? pcap_file(pcap_) : nullptr;
    long pos = f ? ftell(f) : 0;
    return Napi::Number::New(env, pos < 0 ? 0 : static_cast<double>(pos));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  Napi::Value Dlt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    return Napi::Number::New(env, dlt_);
  }

  Napi::Value DltName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    return has_dlt_name_ ? Napi::String::New(env, dlt_name_) : env.Null();
  }

  Napi::Value Snaplen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    return Napi::Number::New(env, snaplen_);
  }
};

// makePipe() -> [readFd, writeFd], both close-on-exec: the capture helper's stdout and stderr.
Napi::Value MakePipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    MakeError(env, "PIPE_FAILED", std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, fds[0]));
  out.Set(1u, Napi::Number::New(env, fds[1]));
  return out;
}

// waitReadable(fd, timeoutMs) -> true when fd has data or end of file within the time.
Napi::Value WaitReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double fd, ms;
  if (!IntArg(info, 0, "fd", 0, 1 << 30, &fd) || !IntArg(info, 1, "timeoutMs", 0, 60000, &ms))
    return env.Undefined();
  struct pollfd p = {static_cast<int>(fd), POLLIN, 0};
  int rc;
  do rc = poll(&p, 1, static_cast<int>(ms));
  while (rc < 0 && errno == EINTR);
  if (rc < 0 || (p.revents & POLLNVAL)) {
    ThrowRange(env, "fd is not an open descriptor");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, rc > 0);
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Handle", Handle::Init(env));
  exports.Set("makePipe", Napi::Function::New(env, MakePipe));
  exports.Set("waitReadable", Napi::Function::New(env, WaitReadable));
  exports.Set("libVersion", Napi::String::New(env, pcap_lib_version()));
  return exports;
}

}  // namespace

NODE_API_MODULE(fsc_pcapbatch, InitModule)

// fsc_pcapbatch: reads packets from libpcap in batches into one caller-owned buffer, so JS pays
// one native call per ~thousands of packets instead of one callback per packet (node-pcap).
//
// Files can be read ahead by a thread into a ring of buffers while JS aggregates the previous
// one (startReadAhead / takeAhead), so libpcap's parsing and copying leave the critical path.
//
// Record layout (all little-endian host order, 8-byte aligned):
//   f64 ts_us | u32 caplen | u32 wirelen | caplen bytes | pad to 8
#include <napi.h>
#include <pcap/pcap.h>
#include <unistd.h>

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
                           InstanceAccessor("dlt", &Handle::Dlt, nullptr),
                           InstanceAccessor("dltName", &Handle::DltName, nullptr),
                           InstanceAccessor("snaplen", &Handle::Snaplen, nullptr),
                       });
  }

  // new Handle('live', device, snaplen, bufferBytes, promisc) | new Handle('file', path)
  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {
    Napi::Env env = info.Env();
    char errbuf[PCAP_ERRBUF_SIZE] = {0};
    std::string kind = info[0].As<Napi::String>();
    std::string target = info[1].As<Napi::String>();
    if (kind == "file") {
      // Our own FILE with a 1 MiB buffer: libpcap would read through stdio's default 4 KiB,
      // one read() syscall per 4 KiB, which costs as much as parsing the records.
      // "-" is standard input (a pipe from tcpdump -w -), as for libpcap's pcap_open_offline.
      FILE* fp = target == "-" ? fdopen(dup(0), "rb") : std::fopen(target.c_str(), "rb");
      if (!fp) {
        std::string msg = target + ": " + std::strerror(errno);
        MakeError(env, "OPEN_FAILED", msg).ThrowAsJavaScriptException();
        return;
      }
      // glibc ignores the size unless we hand it the buffer; it must outlive the FILE.
      file_buffer_.reset(new char[kFileBufferBytes]);
      std::setvbuf(fp, file_buffer_.get(), _IOFBF, kFileBufferBytes);
      pcap_ = pcap_fopen_offline(fp, errbuf);
      if (!pcap_) {
        std::fclose(fp);
        MakeError(env, "OPEN_FAILED", errbuf).ThrowAsJavaScriptException();
      }
      return;
    }
    int snaplen = info[2].As<Napi::Number>().Int32Value();
    int buffer_bytes = info[3].As<Napi::Number>().Int32Value();
    bool promisc = info[4].As<Napi::Boolean>().Value();
    pcap_ = pcap_create(target.c_str(), errbuf);
    if (!pcap_) {
      MakeError(env, "CAPTURE_FAILED", errbuf).ThrowAsJavaScriptException();
      return;
    }
    pcap_set_snaplen(pcap_, snaplen);
    pcap_set_promisc(pcap_, promisc ? 1 : 0);
    pcap_set_buffer_size(pcap_, buffer_bytes);
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
  }

  ~Handle() override {
    StopAhead();
    if (pcap_) pcap_close(pcap_);
  }

 private:
  static constexpr size_t kFileBufferBytes = 1 << 20;
  pcap_t* pcap_ = nullptr;
  // stdio buffer of a savefile; freed only after pcap_close() closed the FILE using it.
  std::unique_ptr<char[]> file_buffer_;

  bool CheckOpen(Napi::Env env) {
    if (pcap_) return true;
    MakeError(env, "CLOSED", "capture handle is closed").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value SetFilter(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    std::string expr = info[0].As<Napi::String>();
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
  struct Fill {
    size_t used = 0;
    uint32_t packets = 0;
    int status = kMore;
    std::string error;
  };

  static Fill FillBuffer(pcap_t* p, uint8_t* out, size_t cap, uint32_t max_packets) {
    Fill f;
    size_t snap = static_cast<size_t>(pcap_snapshot(p));
    if (snap == 0 || snap > 262144) snap = 262144;
    while (f.packets < max_packets && f.used + 16 + snap <= cap) {
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

  // read(buffer: ArrayBuffer, maxPackets) -> [bytesUsed, packets, status, error|null, -1].
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (ahead_) {
      MakeError(env, "BUSY", "read() during read-ahead").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
    uint32_t max_packets = info[1].As<Napi::Number>().Uint32Value();
    Fill f = FillBuffer(pcap_, static_cast<uint8_t*>(ab.Data()), ab.ByteLength(), max_packets);
    return FillResult(env, f, -1);
  }

  // --- read-ahead (files): a thread fills the next buffers while JS works on the current one.
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
  };
  std::unique_ptr<Ahead> ahead_;

  // startReadAhead([ArrayBuffer...], maxPackets): pcap is owned by the filler thread from now on.
  Napi::Value StartReadAhead(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (ahead_) return env.Undefined();
    Napi::Array buffers = info[0].As<Napi::Array>();
    uint32_t max_packets = info[1].As<Napi::Number>().Uint32Value();
    auto a = std::make_unique<Ahead>();
    for (uint32_t i = 0; i < buffers.Length(); i++) {
      Napi::ArrayBuffer ab = buffers.Get(i).As<Napi::ArrayBuffer>();
      Slot slot;
      slot.data = static_cast<uint8_t*>(ab.Data());
      slot.cap = ab.ByteLength();
      a->slots.push_back(slot);
      a->refs.push_back(Napi::Persistent(ab));
    }
    Ahead* raw = a.get();
    pcap_t* p = pcap_;
    a->thread = std::thread([raw, p, max_packets]() {
      for (;;) {
        Slot* slot;
        {
          std::unique_lock<std::mutex> lock(raw->mu);
          size_t i = raw->next_fill % raw->slots.size();
          raw->cv.wait(lock, [&] { return raw->stop || !raw->slots[i].filled; });
          if (raw->stop) return;
          slot = &raw->slots[i];
        }
        Fill f = FillBuffer(p, slot->data, slot->cap, max_packets);
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

  // takeAhead() -> [bytesUsed, packets, status, error|null, slot]; frees the slot taken before.
  Napi::Value TakeAhead(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
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
    a->cv.wait(lock, [&] { return a->slots[i].filled; });
    a->next_take++;
    a->held = static_cast<int>(i);
    return FillResult(env, a->slots[i].fill, static_cast<int>(i));
  }

  void StopAhead() {
    if (!ahead_) return;
    {
      std::lock_guard<std::mutex> lock(ahead_->mu);
      ahead_->stop = true;
    }
    ahead_->cv.notify_all();
    if (ahead_->thread.joinable()) ahead_->thread.join();
    ahead_.reset();
  }

  std::string last_error_;

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!pcap_) return env.Null();
    struct pcap_stat ps;
    if (pcap_stats(pcap_, &ps) < 0) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("recv", Napi::Number::New(env, ps.ps_recv));
    o.Set("drop", Napi::Number::New(env, ps.ps_drop));
    o.Set("ifdrop", Napi::Number::New(env, ps.ps_ifdrop));
    return o;
  }

  // Bytes of the savefile consumed so far (0 for live captures), for progress reports.
  Napi::Value Position(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    FILE* f = pcap_ ? pcap_file(pcap_) : nullptr;
    long pos = f ? ftell(f) : 0;
    return Napi::Number::New(env, pos < 0 ? 0 : static_cast<double>(pos));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopAhead();
    if (pcap_) {
      pcap_close(pcap_);
      pcap_ = nullptr;
    }
    return info.Env().Undefined();
  }

  Napi::Value Dlt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    return Napi::Number::New(env, pcap_datalink(pcap_));
  }

  Napi::Value DltName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    const char* name = pcap_datalink_val_to_name(pcap_datalink(pcap_));
    return name ? Napi::String::New(env, name) : env.Null();
  }

  Napi::Value Snaplen(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    return Napi::Number::New(env, pcap_snapshot(pcap_));
  }
};

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Handle", Handle::Init(env));
  exports.Set("libVersion", Napi::String::New(env, pcap_lib_version()));
  return exports;
}

}  // namespace

NODE_API_MODULE(fsc_pcapbatch, InitModule)

// fsc_pcapbatch: reads packets from libpcap in batches into one caller-owned buffer, so JS pays
// one native call per ~thousands of packets instead of one callback per packet (node-pcap).
//
// Record layout (all little-endian host order, 8-byte aligned):
//   f64 ts_us | u32 caplen | u32 wirelen | caplen bytes | pad to 8
#include <napi.h>
#include <pcap/pcap.h>
#include <cstdio>
#include <cstring>
#include <string>

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
      pcap_ = pcap_open_offline(target.c_str(), errbuf);
      if (!pcap_) {
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
    if (pcap_) pcap_close(pcap_);
  }

 private:
  pcap_t* pcap_ = nullptr;

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

  // read(buffer: ArrayBuffer, maxPackets) -> [bytesUsed, packets, status]; status: Status.
  // Stops before a record could overflow the buffer, so no packet is ever lost or split.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
    uint32_t max_packets = info[1].As<Napi::Number>().Uint32Value();
    uint8_t* out = static_cast<uint8_t*>(ab.Data());
    size_t cap = ab.ByteLength();
    size_t off = 0;
    uint32_t packets = 0;
    int status = kMore;
    size_t snap = static_cast<size_t>(pcap_snapshot(pcap_));
    if (snap == 0 || snap > 262144) snap = 262144;
    while (packets < max_packets && off + 16 + snap <= cap) {
      struct pcap_pkthdr* h;
      const u_char* data;
      int rc = pcap_next_ex(pcap_, &h, &data);
      if (rc == 1) {
        size_t caplen = h->caplen;
        // libpcap allows bigger records for a few link types (USB, D-Bus); keep what fits.
        if (off + 16 + caplen > cap) caplen = cap - off - 16;
        double ts_us = static_cast<double>(h->ts.tv_sec) * 1e6 + static_cast<double>(h->ts.tv_usec);
        std::memcpy(out + off, &ts_us, 8);
        uint32_t c32 = static_cast<uint32_t>(caplen), w32 = h->len;
        std::memcpy(out + off + 8, &c32, 4);
        std::memcpy(out + off + 12, &w32, 4);
        std::memcpy(out + off + 16, data, caplen);
        off += (16 + caplen + 7) & ~static_cast<size_t>(7);
        packets++;
      } else if (rc == 0) {
        status = kIdle;
        break;
      } else if (rc == PCAP_ERROR_BREAK) {
        status = kEof;
        break;
      } else {
        status = kError;
        last_error_ = pcap_geterr(pcap_);
        break;
      }
    }
    Napi::Array result = Napi::Array::New(env, 4);
    result.Set(0u, Napi::Number::New(env, static_cast<double>(off)));
    result.Set(1u, Napi::Number::New(env, packets));
    result.Set(2u, Napi::Number::New(env, status));
    result.Set(3u, status == kError ? Napi::String::New(env, last_error_) : env.Null());
    return result;
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

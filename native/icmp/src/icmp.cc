// fsp_icmp: the probe worker's native socket calls (Linux): ICMP / ICMPv6 echo sockets here, and
// TCP_INFO in tcp_info.cc.
//
// One IcmpSocket per address family is shared by every icmp:// target of a probe worker. The fd is
// non-blocking and watched by a uv_poll handle on Node's own loop, so no extra thread exists and a
// closed socket leaves nothing behind. Replies carry the kernel's receive timestamp
// (SO_TIMESTAMPNS, else SO_TIMESTAMP, else the time recvmsg returned); send() returns the clock
// read just before sendto(), on the same CLOCK_REALTIME the kernel stamps with.
#include <napi.h>
#include <uv.h>

#include "system_error.h"
#include "tcp_info.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <random>
#include <string>

namespace {

double RealtimeUs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

uint16_t Checksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (static_cast<uint32_t>(data[i]) << 8) | data[i + 1];
  if (len & 1) sum += static_cast<uint32_t>(data[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

class IcmpSocket : public Napi::ObjectWrap<IcmpSocket> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function ctor = DefineClass(env, "IcmpSocket",
                                      {
                                          InstanceMethod<&IcmpSocket::Send>("send"),
                                          InstanceMethod<&IcmpSocket::Close>("close"),
                                          InstanceAccessor<&IcmpSocket::Kind>("kind"),
                                          InstanceAccessor<&IcmpSocket::Ident>("ident"),
                                          InstanceAccessor<&IcmpSocket::Timestamps>("timestamps"),
                                      });
    exports.Set("IcmpSocket", ctor);
    return exports;
  }

  // new IcmpSocket(family: 4 | 6, mode: 'auto' | 'raw' | 'dgram', onReplies: (replies) => void)
  explicit IcmpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<IcmpSocket>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsFunction()) {
      Napi::TypeError::New(env, "IcmpSocket(family, mode, onReplies)").ThrowAsJavaScriptException();
      return;
    }
    const double family = info[0].As<Napi::Number>().DoubleValue();
    const std::string mode = info[1].As<Napi::String>().Utf8Value();
    if ((family != 4 && family != 6) || (mode != "auto" && mode != "raw" && mode != "dgram")) {
      Napi::TypeError::New(env, "IcmpSocket: family must be 4 or 6, mode 'auto', 'raw' or 'dgram'")
          .ThrowAsJavaScriptException();
      return;
    }
    family_ = family == 6 ? AF_INET6 : AF_INET;
    const int proto = family_ == AF_INET6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);

    // The unprivileged ping socket first: the kernel grants it when our gid is inside
    // net.ipv4.ping_group_range (which covers ICMPv6 too), and it delivers only our own echo
    // replies. A raw socket (root / CAP_NET_RAW) sees every ICMP packet the host receives, so
    // it is only the fallback, for root where ping sockets are off.
    int raw_err = 0, dgram_err = 0;
    if (mode != "raw") {
      fd_ = socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
      if (fd_ < 0) dgram_err = errno;
    }
    if (fd_ < 0 && mode != "dgram") {
      fd_ = socket(family_, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
      if (fd_ >= 0) raw_ = true; else raw_err = errno;
    }
    if (fd_ < 0) {
      // Report the ping socket's refusal first: it is the one an unprivileged user can fix.
      Napi::Error e = SystemError(env, dgram_err ? dgram_err : raw_err, "cannot open an ICMP socket");
      e.Set("rawErrno", Napi::Number::New(env, raw_err));
      e.Set("dgramErrno", Napi::Number::New(env, dgram_err));
      e.ThrowAsJavaScriptException();
      return;
    }

    if (raw_) {
      std::random_device rd;
      ident_ = static_cast<uint16_t>(rd() & 0xffff);
      if (family_ == AF_INET6) {
        // Only echo replies: keeps neighbour discovery and other ICMPv6 chatter out of our queue.
        struct icmp6_filter filter;
        ICMP6_FILTER_SETBLOCKALL(&filter);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
        setsockopt(fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
      }
    } else {
      // A ping socket's echo identifier is its local "port"; bind now so we know it up front.
      struct sockaddr_storage ss;
      memset(&ss, 0, sizeof ss);
      ss.ss_family = family_;
      socklen_t len = family_ == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
      if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
          getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        SystemError(env, err, "cannot bind the ICMP ping socket").ThrowAsJavaScriptException();
        return;
      }
      ident_ = ntohs(family_ == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                         : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    }

    int on = 1;
    if (setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0) {
      timestamps_ = "ns";
    } else if (setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on) == 0) {
      timestamps_ = "us";
    }

    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    uv_poll_init(loop, poll_, fd_);
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, OnReadable);
    // An open socket alone does not keep Node running: pending probe timers do, while they wait.
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));

    on_replies_ = Napi::Persistent(info[2].As<Napi::Function>());
    async_ = new Napi::AsyncContext(env, "fsp_icmp");
    Ref();  // stay alive while the poll handle may call us back
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    hooked_ = true;
  }

  ~IcmpSocket() override {
    Shutdown();
    if (hooked_) napi_remove_env_cleanup_hook(Env(), CleanupHook, this);
    delete async_;
  }

 private:
  static void CleanupHook(void* arg) { static_cast<IcmpSocket*>(arg)->Shutdown(); }

  // Stops polling and closes the fd; idempotent.
  void Shutdown() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  Napi::Value Kind(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), raw_ ? "raw" : "dgram"); }
  Napi::Value Ident(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ident_); }
  Napi::Value Timestamps(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), timestamps_); }

  // send(address: string, seq: number, payload: Buffer): number — CLOCK_REALTIME µs of the send.
  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) {
      Napi::Error::New(env, "socket is closed").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsBuffer()) {
      Napi::TypeError::New(env, "send(address, seq, payload)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    const std::string addr = info[0].As<Napi::String>().Utf8Value();
    const uint16_t seq = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
    Napi::Buffer<uint8_t> payload = info[2].As<Napi::Buffer<uint8_t>>();
    if (payload.Length() > 1400) {
      Napi::RangeError::New(env, "payload too large").ThrowAsJavaScriptException();
      return env.Undefined();
    }

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (family_ == AF_INET6) {
      auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
      sa->sin6_family = AF_INET6;
      len = sizeof *sa;
      if (inet_pton(AF_INET6, addr.c_str(), &sa->sin6_addr) != 1) len = 0;
    } else {
      auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
      sa->sin_family = AF_INET;
      len = sizeof *sa;
      if (inet_pton(AF_INET, addr.c_str(), &sa->sin_addr) != 1) len = 0;
    }
    if (len == 0) {
      Napi::TypeError::New(env, "not a numeric address: " + addr).ThrowAsJavaScriptException();
      return env.Undefined();
    }

    uint8_t packet[8 + 1400];
    const size_t n = 8 + payload.Length();
    packet[0] = family_ == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
    packet[1] = 0;
    packet[2] = packet[3] = 0;
    packet[4] = ident_ >> 8;
    packet[5] = ident_ & 0xff;
    packet[6] = seq >> 8;
    packet[7] = seq & 0xff;
    memcpy(packet + 8, payload.Data(), payload.Length());
    if (family_ == AF_INET) {  // ICMPv6 checksums are filled in by the kernel
      uint16_t sum = Checksum(packet, n);
      packet[2] = sum >> 8;
      packet[3] = sum & 0xff;
    }
    const double sent_us = RealtimeUs();
    if (sendto(fd_, packet, n, 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      SystemError(env, errno, "sendto " + addr).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Number::New(env, sent_us);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    const bool was_open = fd_ >= 0;
    Shutdown();
    if (was_open) {
      napi_remove_env_cleanup_hook(info.Env(), CleanupHook, this);
      hooked_ = false;
      on_replies_.Reset();
      delete async_;
      async_ = nullptr;
      Unref();
    }
    return info.Env().Undefined();
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<IcmpSocket*>(handle->data);
    if (self == nullptr || status < 0) return;
    self->Drain();
  }

  // Reads every queued datagram, then hands the echo replies to JS in one call.
  void Drain() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Array replies = Napi::Array::New(env);
    uint32_t count = 0;
    uint8_t buf[2048];
    char control[256];
    for (int i = 0; i < 1024 && fd_ >= 0; i++) {
      struct sockaddr_storage from;
      struct iovec iov = {buf, sizeof buf};
      struct msghdr msg;
      memset(&msg, 0, sizeof msg);
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t got = recvmsg(fd_, &msg, 0);
      if (got < 0) break;  // EAGAIN: queue empty (other errors: try again on the next wake-up)

      double rx_us = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          rx_us = static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
        } else if (c->cmsg_type == SCM_TIMESTAMP) {
          struct timeval tv;
          memcpy(&tv, CMSG_DATA(c), sizeof tv);
          rx_us = static_cast<double>(tv.tv_sec) * 1e6 + static_cast<double>(tv.tv_usec);
        }
      }
      const bool kernel_ts = rx_us >= 0;
      if (!kernel_ts) rx_us = RealtimeUs();

      const uint8_t* icmp = buf;
      size_t len = static_cast<size_t>(got);
      if (raw_ && family_ == AF_INET) {  // raw IPv4 sockets see the IP header too
        if (len < 20) continue;
        const size_t ihl = static_cast<size_t>(buf[0] & 0x0f) * 4;
        if (ihl < 20 || len < ihl) continue;
        icmp += ihl;
        len -= ihl;
      }
      if (len < 8) continue;
      const uint8_t want = family_ == AF_INET6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
      if (icmp[0] != want) continue;
      const uint16_t ident = static_cast<uint16_t>((icmp[4] << 8) | icmp[5]);
      if (raw_ && ident != ident_) continue;  // a raw socket sees everyone's replies

      char addr[INET6_ADDRSTRLEN] = "";
      if (from.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr, addr, sizeof addr);
      } else {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&from)->sin_addr, addr, sizeof addr);
      }
      Napi::Object r = Napi::Object::New(env);
      r.Set("from", Napi::String::New(env, addr));
      r.Set("seq", Napi::Number::New(env, (icmp[6] << 8) | icmp[7]));
      r.Set("rx_us", Napi::Number::New(env, rx_us));
      r.Set("kernel_ts", Napi::Boolean::New(env, kernel_ts));
      r.Set("payload", Napi::Buffer<uint8_t>::Copy(env, icmp + 8, len - 8));
      replies.Set(count++, r);
    }
    if (count == 0 || on_replies_.IsEmpty()) return;
    on_replies_.MakeCallback(Value(), {replies}, *async_);
    if (env.IsExceptionPending()) {
      // No JS frame is above us: report it as Node would an exception thrown in any I/O callback.
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  }

  int fd_ = -1;
  int family_ = AF_INET;
  bool raw_ = false;
  bool hooked_ = false;
  uint16_t ident_ = 0;
  const char* timestamps_ = "none";
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference on_replies_;
  Napi::AsyncContext* async_ = nullptr;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitTcpInfo(env, exports);
  return IcmpSocket::Init(env, exports);
}

}  // namespace

NODE_API_MODULE(fsp_icmp, Init)

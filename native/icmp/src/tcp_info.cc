// tcpInfo(fd): what Linux's TCP_INFO says of a connected TCP socket.
//
// Right after connect() the kernel's smoothed RTT holds exactly one sample, SYN sent to SYN-ACK
// received, timed in the kernel (`ss -ti` shows the same). A probe reads it instead of timing the
// 'connect' event, which comes as late as the event loop gets round to it.
#include "tcp_info.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "system_error.h"

namespace {

Napi::Value TcpInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "tcpInfo(fd): fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  struct tcp_info ti;
  memset(&ti, 0, sizeof ti);
  socklen_t len = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) {
    SystemError(env, errno, "getsockopt(TCP_INFO)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("state", Napi::Number::New(env, ti.tcpi_state));
  r.Set("rtt_us", Napi::Number::New(env, ti.tcpi_rtt));
  r.Set("rttvar_us", Napi::Number::New(env, ti.tcpi_rttvar));
  r.Set("total_retrans", Napi::Number::New(env, ti.tcpi_total_retrans));
  return r;
}

}  // namespace

void InitTcpInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("tcpInfo", Napi::Function::New(env, TcpInfo, "tcpInfo"));
}

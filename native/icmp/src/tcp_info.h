// tcp_info.cc: registers tcpInfo(fd) on the addon's exports.
#pragma once
#include <napi.h>

void InitTcpInfo(Napi::Env env, Napi::Object exports);

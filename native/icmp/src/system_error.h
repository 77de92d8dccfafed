// The addon's errors: an Error with .code (e.g. 'EPERM') and .errno, like Node's own system errors.
#pragma once
#include <napi.h>
#include <string.h>
#include <uv.h>

#include <string>

inline Napi::Error SystemError(Napi::Env env, int err, const std::string& what) {
  Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

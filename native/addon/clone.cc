// native/addon/clone.cc: see clone.hpp.
//
// Compiled without RTTI (CMakeLists.txt): the delegates below derive from
// V8's, and Node's binary, built with -fno-rtti, exports no type info for
// them to refer to.
#include "clone.hpp"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>

#include "addon.hpp"
#include "codec.hpp"
#include "v8_bridge.hpp"

namespace threadmap::addon {
namespace {

v8::Local<v8::String> v8_string(v8::Isolate* isolate, const char* s) {
  return v8::String::NewFromUtf8(isolate, s).ToLocalChecked();
}

// Runs a delegate's body. V8 calls the delegates from inside its own
// frames, which a C++ exception must never cross: an error (a Napi::Error
// from a Node-API call, bad_alloc) becomes the pending JS exception and
// the delegate returns `failed`, which makes V8 unwind its own way.
template <class R, class F>
R in_v8_frame(v8::Isolate* isolate, R failed, F&& body) noexcept {
  try {
    return body();
  } catch (const Napi::Error& e) {
    isolate->ThrowException(to_v8(e.Value()));
  } catch (const std::bad_alloc&) {
    isolate->ThrowException(v8::Exception::RangeError(v8_string(isolate, "threadmap: out of memory while cloning a value")));
  } catch (...) {
    isolate->ThrowException(v8::Exception::Error(v8_string(isolate, "threadmap: an internal error while cloning a value")));
  }
  return failed;
}

class clone_writer final : public v8::ValueSerializer::Delegate {
 public:
  clone_writer(Napi::Env env, Addon& addon, v8::Isolate* isolate) : env_(env), addon_(addon), isolate_(isolate), ser_(isolate, this) {
    ser_.SetTreatArrayBufferViewsAsHostObjects(true);
  }
  v8::ValueSerializer& serializer() { return ser_; }

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    v8::Local<v8::String> text = v8::String::Concat(
        isolate_, v8::String::Concat(isolate_, v8_string(isolate_, "invalid value: it cannot be cloned ("), message),
        v8_string(isolate_, ")"));
    isolate_->ThrowException(v8::Exception::TypeError(text));
  }
  v8::Maybe<uint32_t> GetSharedArrayBufferId(v8::Isolate* isolate, v8::Local<v8::SharedArrayBuffer>) override {
    isolate->ThrowException(v8::Exception::TypeError(v8_string(
        isolate, "invalid value: a SharedArrayBuffer cannot be stored in a map (it would be copied, not shared)")));
    return v8::Nothing<uint32_t>();
  }
  v8::Maybe<bool> WriteHostObject(v8::Isolate* isolate, v8::Local<v8::Object> object) override {
    return in_v8_frame(isolate, v8::Nothing<bool>(), [&] { return write_view(isolate, object); });
  }

 private:
  v8::Maybe<bool> write_view(v8::Isolate* isolate, v8::Local<v8::Object> object) {
    if (!object->IsArrayBufferView()) {
      ThrowDataCloneError(v8_string(isolate, "a host object"));
      return v8::Nothing<bool>();
    }
    v8::Local<v8::ArrayBufferView> view = object.As<v8::ArrayBufferView>();
    if (view->Buffer()->IsSharedArrayBuffer()) {
      isolate->ThrowException(v8::Exception::TypeError(v8_string(
          isolate,
          "invalid value: a view of a SharedArrayBuffer cannot be stored in a map (it would be copied, not shared); "
          "store a copy (e.g. new Uint8Array(view)) or post the SharedArrayBuffer itself")));
      return v8::Nothing<bool>();
    }
    byte_type kind = byte_type::dataview;
    if (!view->IsDataView()) {
      napi_typedarray_type ta;
      NAPI_THROW_IF_FAILED(env_, napi_get_typedarray_info(env_, to_napi(view), &ta, nullptr, nullptr, nullptr, nullptr),
                           v8::Nothing<bool>());
      kind = typed_array_kind(addon_, Napi::Value(env_, to_napi(view)), ta);
    }
    // The bytes are located only now: the Buffer check above may run JS (a
    // Proxy in the prototype chain), which could detach the view's buffer.
    // Buffer() gives even a view that V8 kept on its heap an ArrayBuffer
    // of its own, so Data() is where the bytes are; the serializer copies
    // them (no JS runs between).
    const size_t length = view->ByteLength();
    if (length > UINT32_MAX) {
      isolate->ThrowException(v8::Exception::RangeError(v8_string(isolate, "invalid value: a typed array over 4 GiB")));
      return v8::Nothing<bool>();
    }
    const auto* base = static_cast<const uint8_t*>(view->Buffer()->Data());
    ser_.WriteUint32(static_cast<uint32_t>(kind));
    ser_.WriteUint32(static_cast<uint32_t>(length));
    if (length) ser_.WriteRawBytes(base + view->ByteOffset(), length);
    return v8::Just(true);
  }

  Napi::Env env_;
  Addon& addon_;
  v8::Isolate* isolate_;
  v8::ValueSerializer ser_;
};

class clone_reader final : public v8::ValueDeserializer::Delegate {
 public:
  clone_reader(Napi::Env env, v8::Isolate* isolate, const uint8_t* data, size_t size)
      : env_(env), des_(isolate, data, size, this) {}
  v8::ValueDeserializer& deserializer() { return des_; }

  v8::MaybeLocal<v8::Object> ReadHostObject(v8::Isolate* isolate) override {
    return in_v8_frame(isolate, v8::MaybeLocal<v8::Object>(), [&] { return read_view(isolate); });
  }

 private:
  v8::MaybeLocal<v8::Object> read_view(v8::Isolate* isolate) {
    uint32_t type = 0, length = 0;
    const void* data = nullptr;
    if (!des_.ReadUint32(&type) || !des_.ReadUint32(&length) || !des_.ReadRawBytes(length, &data)) {
      isolate->ThrowException(v8::Exception::Error(v8_string(isolate, "threadmap: a stored value is corrupt")));
      return {};
    }
    const napi_value out = typed_array_copy(env_, static_cast<byte_type>(type), data, length);
    return to_v8(out).As<v8::Object>();
  }

  Napi::Env env_;
  v8::ValueDeserializer des_;
};

// Rethrows, as the C++ exception node-addon-api turns back into a JS one, what
// a V8 call left in `tc` (a TypeError of ours, a throwing getter's error).
[[noreturn]] void rethrow(Napi::Env env, v8::TryCatch& tc, const char* otherwise) {
  if (tc.HasCaught()) {
    v8::Local<v8::Value> e = tc.Exception();
    tc.Reset();
    throw Napi::Error(env, to_napi(e));
  }
  throw Napi::Error::New(env, otherwise);
}

}  // namespace

Value serialize_object(Napi::Env env, Addon& addon, Napi::Value v) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::TryCatch tc(isolate);
  clone_writer writer(env, addon, isolate);
  writer.serializer().WriteHeader();
  if (writer.serializer().WriteValue(context, to_v8(v)).IsNothing()) rethrow(env, tc, "threadmap: a value could not be serialized");
  // Release() hands over a buffer that the delegate's default
  // ReallocateBufferMemory (realloc) grew: free() is its deleter.
  std::pair<uint8_t*, size_t> bytes = writer.serializer().Release();
  struct freer {
    void operator()(uint8_t* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<uint8_t, freer> owned(bytes.first);
  return Value::make_blob(blob_kind::serialized, bytes.first, bytes.second);
}

Napi::Value deserialize_object(Napi::Env env, const blob* b) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::EscapableHandleScope scope(isolate);
  v8::TryCatch tc(isolate);
  clone_reader reader(env, isolate, b->data(), b->size);
  v8::Local<v8::Value> out;
  if (!reader.deserializer().ReadHeader(context).FromMaybe(false) || !reader.deserializer().ReadValue(context).ToLocal(&out))
    rethrow(env, tc, "threadmap: a stored value could not be read");
  return Napi::Value(env, to_napi(scope.Escape(out)));
}

}  // namespace threadmap::addon

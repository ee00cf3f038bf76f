// The atkd torch engine's native side: a Node-API addon over ATen (libtorch). Tensors live in a
// per-environment table (one per main/worker thread) keyed by integer ids; JavaScript holds only
// ids. TF.js's NHWC tensors are stored as ATen tensors of the same logical shape; convolutions and
// pooling view them as NCHW with channels-last strides (a permute, no copy).
// Every entry point catches c10::Error / std::exception and throws a JavaScript Error instead:
// a bad input never takes the process down.
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/csrc/api/include/torch/version.h>
#include <napi.h>

#include <malloc.h>

#include <cmath>
#include <cstdlib>
#include <mutex>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Napi::CallbackInfo;
using Napi::Value;

constexpr int kFloat32 = 0;
constexpr int kInt32 = 1;
constexpr int kBool = 2;

at::ScalarType scalarType(int code) {
  switch (code) {
    case kFloat32: return at::kFloat;
    case kInt32: return at::kInt;
    case kBool: return at::kBool;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(code));
}

int dtypeCode(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return kFloat32;
    case at::kInt: return kInt32;
    case at::kBool: return kBool;
    default: throw std::invalid_argument(std::string("unsupported ATen dtype ") + c10::toString(t));
  }
}

struct ArgError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// The process's heap policy for tensor memory (glibc malloc), applied once when the addon first loads.
// glibc serves blocks above its mmap threshold with a fresh mmap, and gives the top of the heap back
// to the kernel above its trim threshold; both thresholds start at 128 KiB and adapt. A training step
// frees and reallocates tensors of a few MiB each (a 64x32x32x16 activation is 4 MiB), so with the
// defaults many of them are new pages every step: the first write to each page is a page fault,
// dearer inside a virtual machine. Measured (1 thread, batch 64): a 3x3 backward-input convolution on
// 32x32x16 took 9.9 ms with the defaults against 3.1 ms with these, and 2.8 ms for PyTorch's own
// kernel on tensors made outside the timing. Fixed thresholds keep freed tensor memory in the process
// for the next step (RSS stays at the peak of a step, as with PyTorch's jemalloc/tcmalloc set-ups).
// ATKD_TORCH_MALLOPT=0 keeps glibc's defaults; a GLIBC_TUNABLES malloc setting of the user's wins.
constexpr int kMmapThreshold = 32 << 20;   // glibc's largest allowed value on 64-bit
constexpr int kTrimThreshold = 256 << 20;
std::string applyHeapPolicy() {
  const char* off = std::getenv("ATKD_TORCH_MALLOPT");
  if (off != nullptr && std::string(off) == "0") return "glibc defaults (ATKD_TORCH_MALLOPT=0)";
  const char* tun = std::getenv("GLIBC_TUNABLES");
  if (tun != nullptr && std::string(tun).find("glibc.malloc.") != std::string::npos) return "GLIBC_TUNABLES (the user's)";
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1 || mallopt(M_TRIM_THRESHOLD, kTrimThreshold) != 1)
    return "glibc defaults (mallopt refused)";
  return "tensor memory kept for reuse (malloc mmap threshold 32 MiB, trim threshold 256 MiB)";
}
const std::string& heapPolicy() {
  static std::once_flag once;
  static std::string policy;
  std::call_once(once, [] { policy = applyHeapPolicy(); });
  return policy;
}

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    heapPolicy();
    DefineAddon(exports, {
      InstanceMethod<&Addon::HeapPolicy>("heapPolicy"),
      InstanceMethod<&Addon::FromData>("fromData"),
      InstanceMethod<&Addon::Read>("read"),
      InstanceMethod<&Addon::Dispose>("dispose"),
      InstanceMethod<&Addon::Count>("count"),
      InstanceMethod<&Addon::Shape>("shape"),
      InstanceMethod<&Addon::ShapeBuffer>("shapeBuffer"),
      InstanceMethod<&Addon::Dtype>("dtype"),
      InstanceMethod<&Addon::SetThreads>("setThreads"),
      InstanceMethod<&Addon::Threads>("threads"),
      InstanceMethod<&Addon::Version>("version"),
      InstanceMethod<&Addon::SetDevice>("setDevice"),
      InstanceMethod<&Addon::Fill>("fill"),
      InstanceMethod<&Addon::Unary>("unary"),
      InstanceMethod<&Addon::Binary>("binary"),
      InstanceMethod<&Addon::Reduce>("reduce"),
      InstanceMethod<&Addon::ArgReduce>("argReduce"),
      InstanceMethod<&Addon::Cast>("cast"),
      InstanceMethod<&Addon::Reshape>("reshape"),
      InstanceMethod<&Addon::Transpose>("transpose"),
      InstanceMethod<&Addon::Conv2d>("conv2d"),
      InstanceMethod<&Addon::Conv2dBackpropInput>("conv2dBackpropInput"),
      InstanceMethod<&Addon::Conv2dBackpropFilter>("conv2dBackpropFilter"),
      InstanceMethod<&Addon::Pool>("pool"),
      InstanceMethod<&Addon::PoolGrad>("poolGrad"),
      InstanceMethod<&Addon::BatchNorm>("batchNorm"),
      InstanceMethod<&Addon::BatchNormGrad>("batchNormGrad"),
      InstanceMethod<&Addon::BatchNormTrain>("batchNormTrain"),
      InstanceMethod<&Addon::BatchNormTrainGrad>("batchNormTrainGrad"),
      InstanceMethod<&Addon::MatMul>("matMul"),
      InstanceMethod<&Addon::Softmax>("softmax"),
      InstanceMethod<&Addon::Slice>("slice"),
      InstanceMethod<&Addon::StridedSlice>("stridedSlice"),
      InstanceMethod<&Addon::Concat>("concat"),
      InstanceMethod<&Addon::Pad>("pad"),
      InstanceMethod<&Addon::Gather>("gather"),
      InstanceMethod<&Addon::OneHot>("oneHot"),
      InstanceMethod<&Addon::Tile>("tile"),
      InstanceMethod<&Addon::Select>("select"),
      InstanceMethod<&Addon::Split>("split"),
      InstanceMethod<&Addon::Reverse>("reverse"),
      InstanceMethod<&Addon::Cumulative>("cumulative"),
      InstanceMethod<&Addon::AddN>("addN"),
      InstanceMethod<&Addon::TopK>("topk"),
    });
  }

 private:
  std::unordered_map<int64_t, at::Tensor> tensors_;
  int64_t next_ = 1;
  static constexpr int64_t kShapeSlots = 64;
  static constexpr int64_t kShapeSlotSize = 8;  // id, rank (-1: too many dims, ask shape()), up to 6 dims
  Napi::Reference<Napi::ArrayBuffer> shapeBuffer_;
  double* shapes_ = nullptr;
  at::Device device_ = at::Device(at::kCPU);

  // ---- argument helpers -------------------------------------------------------------------
  const at::Tensor& T(const CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsNumber()) throw ArgError("argument " + std::to_string(i) + " must be a tensor id");
    int64_t id = info[i].As<Napi::Number>().Int64Value();
    auto it = tensors_.find(id);
    if (it == tensors_.end()) throw ArgError("unknown tensor id " + std::to_string(id) + " (disposed?)");
    return it->second;
  }
  // Optional tensor: id <= 0 means none.
  c10::optional<at::Tensor> OptT(const CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsNumber() || info[i].As<Napi::Number>().Int64Value() <= 0) return c10::nullopt;
    return T(info, i);
  }
  static std::vector<int64_t> IV(const CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsArray()) throw ArgError("argument " + std::to_string(i) + " must be an array of integers");
    auto a = info[i].As<Napi::Array>();
    std::vector<int64_t> v(a.Length());
    for (uint32_t k = 0; k < a.Length(); ++k) {
      Napi::Value e = a.Get(k);
      if (!e.IsNumber()) throw ArgError("argument " + std::to_string(i) + "[" + std::to_string(k) + "] is not a number");
      v[k] = e.As<Napi::Number>().Int64Value();
    }
    return v;
  }
  static double D(const CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsNumber()) throw ArgError("argument " + std::to_string(i) + " must be a number");
    return info[i].As<Napi::Number>().DoubleValue();
  }
  static int64_t I(const CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsNumber()) throw ArgError("argument " + std::to_string(i) + " must be an integer");
    return info[i].As<Napi::Number>().Int64Value();
  }
  static bool B(const CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsBoolean()) throw ArgError("argument " + std::to_string(i) + " must be a boolean");
    return info[i].As<Napi::Boolean>().Value();
  }
  static std::string S(const CallbackInfo& info, size_t i) {
    if (i >= info.Length() || !info[i].IsString()) throw ArgError("argument " + std::to_string(i) + " must be a string");
    return info[i].As<Napi::String>().Utf8Value();
  }
  Value Put(Napi::Env env, at::Tensor t) {
    int64_t id = next_++;
    if (shapes_ != nullptr) {
      // The shape of each new tensor goes to slot id % kShapeSlots of the buffer JavaScript shares
      // (see ShapeBuffer), so a kernel learns its output's shape without a second call.
      double* slot = shapes_ + (id % kShapeSlots) * kShapeSlotSize;
      auto s = t.sizes();
      slot[0] = static_cast<double>(id);
      if (static_cast<int64_t>(s.size()) > kShapeSlotSize - 2) {
        slot[1] = -1;
      } else {
        slot[1] = static_cast<double>(s.size());
        for (size_t k = 0; k < s.size(); ++k) slot[2 + k] = static_cast<double>(s[k]);
      }
    }
    tensors_.emplace(id, std::move(t));
    return Napi::Number::New(env, static_cast<double>(id));
  }
  Value PutAll(Napi::Env env, const std::vector<at::Tensor>& ts) {
    auto a = Napi::Array::New(env, ts.size());
    for (size_t k = 0; k < ts.size(); ++k) a.Set(static_cast<uint32_t>(k), Put(env, ts[k]));
    return a;
  }

  template <typename F>
  Value Guard(const CallbackInfo& info, F&& f) {
    try {
      return f();
    } catch (const Napi::Error&) {
      throw;
    } catch (const c10::Error& e) {
      throw Napi::Error::New(info.Env(), e.what_without_backtrace());
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    } catch (...) {
      throw Napi::Error::New(info.Env(), "unknown native error");
    }
  }

  static at::Tensor nchw(const at::Tensor& nhwc) {
    if (nhwc.dim() != 4) throw ArgError("expected a rank-4 NHWC tensor, got rank " + std::to_string(nhwc.dim()));
    return nhwc.permute({0, 3, 1, 2});
  }
  static at::Tensor nhwc(const at::Tensor& nchw) { return nchw.permute({0, 2, 3, 1}).contiguous(); }
  static at::Tensor channelsLast(const at::Tensor& x) { return x.contiguous(at::MemoryFormat::ChannelsLast); }

  // ---- data -------------------------------------------------------------------------------
  Value FromData(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      if (info.Length() < 3 || !info[0].IsTypedArray()) throw ArgError("fromData(values: TypedArray, shape, dtype)");
      auto ta = info[0].As<Napi::TypedArray>();
      auto shape = IV(info, 1);
      auto st = scalarType(static_cast<int>(I(info, 2)));
      int64_t n = 1;
      for (auto s : shape) {
        if (s < 0) throw ArgError("negative dimension in shape");
        n *= s;
      }
      size_t elem = at::elementSize(st);
      if (ta.ByteLength() != static_cast<size_t>(n) * elem)
        throw ArgError("values hold " + std::to_string(ta.ByteLength()) + " bytes but shape and dtype need " + std::to_string(n * elem));
      auto t = at::empty(shape, at::TensorOptions().dtype(st));
      if (n > 0) {
        auto buf = ta.ArrayBuffer();
        std::memcpy(t.data_ptr(), static_cast<uint8_t*>(buf.Data()) + ta.ByteOffset(), ta.ByteLength());
      }
      if (device_ != at::Device(at::kCPU)) t = t.to(device_);
      return Put(info.Env(), t);
    });
  }
  Value Read(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      auto t = T(info, 0).to(at::kCPU).contiguous();
      int code = dtypeCode(t.scalar_type());
      size_t bytes = t.numel() * t.element_size();
      auto buf = Napi::ArrayBuffer::New(info.Env(), bytes);
      if (bytes > 0) std::memcpy(buf.Data(), t.data_ptr(), bytes);
      size_t n = t.numel();
      if (code == kFloat32) return Napi::Float32Array::New(info.Env(), n, buf, 0);
      if (code == kInt32) return Napi::Int32Array::New(info.Env(), n, buf, 0);
      return Napi::Uint8Array::New(info.Env(), n, buf, 0);
    });
  }
  Value Dispose(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      int64_t id = I(info, 0);
      return Napi::Boolean::New(info.Env(), tensors_.erase(id) > 0);
    });
  }
  Value Count(const CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(tensors_.size())); }
  Value Shape(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      auto s = T(info, 0).sizes();
      auto a = Napi::Array::New(info.Env(), s.size());
      for (size_t k = 0; k < s.size(); ++k) a.Set(static_cast<uint32_t>(k), Napi::Number::New(info.Env(), static_cast<double>(s[k])));
      return a;
    });
  }
  // shapeBuffer() -> Float64Array shared with the addon: slot k (8 doubles) holds [id, rank, dims...]
  // of the newest tensor whose id % 64 == k. Created once per environment.
  Value ShapeBuffer(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      if (shapes_ == nullptr) {
        auto buf = Napi::ArrayBuffer::New(info.Env(), kShapeSlots * kShapeSlotSize * sizeof(double));
        shapes_ = static_cast<double*>(buf.Data());
        for (int64_t k = 0; k < kShapeSlots * kShapeSlotSize; ++k) shapes_[k] = -1;
        shapeBuffer_ = Napi::Persistent(buf);
      }
      return Napi::Float64Array::New(info.Env(), kShapeSlots * kShapeSlotSize, shapeBuffer_.Value(), 0);
    });
  }
  Value Dtype(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value { return Napi::Number::New(info.Env(), dtypeCode(T(info, 0).scalar_type())); });
  }
  Value SetThreads(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      int64_t n = I(info, 0);
      if (n < 1) throw ArgError("threads must be >= 1");
      at::set_num_threads(static_cast<int>(n));
      return Napi::Number::New(info.Env(), at::get_num_threads());
    });
  }
  Value Threads(const CallbackInfo& info) { return Napi::Number::New(info.Env(), at::get_num_threads()); }
  Value HeapPolicy(const CallbackInfo& info) { return Napi::String::New(info.Env(), heapPolicy()); }
  Value Version(const CallbackInfo& info) {
    return Napi::String::New(info.Env(), TORCH_VERSION);
  }
  Value SetDevice(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      device_ = at::Device(S(info, 0));
      return Napi::String::New(info.Env(), device_.str());
    });
  }
  Value Fill(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      auto shape = IV(info, 0);
      double v = D(info, 1);
      auto st = scalarType(static_cast<int>(I(info, 2)));
      return Put(info.Env(), at::full(shape, v, at::TensorOptions().dtype(st).device(device_)));
    });
  }

  // ---- element-wise -----------------------------------------------------------------------
  Value Unary(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      std::string op = S(info, 0);
      static const char* kFloatValued[] = {"Exp", "Expm1", "Log", "Log1p", "Sqrt", "Rsqrt", "Reciprocal", "Sigmoid", "Tanh",
                                           "Sin", "Cos", "Erf", "Softplus", "Elu", "Selu", "LeakyRelu"};
      bool floatValued = false;
      for (auto* n : kFloatValued) floatValued = floatValued || op == n;
      at::Tensor x = T(info, 1);
      if (floatValued && x.scalar_type() != at::kFloat) x = x.to(at::kFloat);  // as TF.js: float32 results
      double a = info.Length() > 2 && info[2].IsNumber() ? D(info, 2) : 0.0;
      double b = info.Length() > 3 && info[3].IsNumber() ? D(info, 3) : 0.0;
      at::Tensor y;
      if (op == "Abs") y = at::abs(x);
      else if (op == "Neg") y = at::neg(x);
      else if (op == "Exp") y = at::exp(x);
      else if (op == "Expm1") y = at::expm1(x);
      else if (op == "Log") y = at::log(x);
      else if (op == "Log1p") y = at::log1p(x);
      else if (op == "Sqrt") y = at::sqrt(x);
      else if (op == "Rsqrt") y = at::rsqrt(x);
      else if (op == "Square") y = at::mul(x, x);
      else if (op == "Reciprocal") y = at::reciprocal(x);
      else if (op == "Sign") y = at::sign(x);
      else if (op == "Floor") y = at::floor(x);
      else if (op == "Ceil") y = at::ceil(x);
      else if (op == "Round") y = at::round(x);  // half to even, as TF
      else if (op == "Relu") y = at::relu(x);
      else if (op == "Relu6") y = at::clamp(x, 0, 6);
      else if (op == "Sigmoid") y = at::sigmoid(x);
      else if (op == "Tanh") y = at::tanh(x);
      else if (op == "Sin") y = at::sin(x);
      else if (op == "Cos") y = at::cos(x);
      else if (op == "Erf") y = at::erf(x);
      else if (op == "Softplus") y = at::softplus(x);
      else if (op == "Elu") y = at::elu(x);
      else if (op == "Selu") y = at::selu(x);
      else if (op == "LeakyRelu") y = at::where(x >= 0, x, x * a);
      else if (op == "Step") y = at::where(at::isnan(x), x, at::where(x > 0, at::ones_like(x), at::full_like(x, a)));
      else if (op == "ClipByValue") y = at::clamp(x, a, b);
      else if (op == "LogicalNot") y = at::logical_not(x);
      else if (op == "IsNan") y = at::isnan(x);
      else if (op == "IsInf") y = at::isinf(x);
      else if (op == "IsFinite") y = at::isfinite(x);
      else if (op == "Identity") y = x.clone();
      else throw ArgError("unknown unary op " + op);
      if (y.scalar_type() != x.scalar_type() && y.scalar_type() != at::kBool) y = y.to(x.scalar_type());
      return Put(info.Env(), y);
    });
  }
  Value Binary(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      std::string op = S(info, 0);
      at::Tensor a = T(info, 1);
      at::Tensor b = T(info, 2);
      at::Tensor y;
      bool logical = false;
      bool boolArith = a.scalar_type() == at::kBool && b.scalar_type() == at::kBool &&
                       (op == "Add" || op == "Sub" || op == "Multiply" || op == "Maximum" || op == "Minimum");
      if (boolArith) { a = a.to(at::kInt); b = b.to(at::kInt); }
      if (op == "Prelu" && a.scalar_type() != at::kFloat) { a = a.to(at::kFloat); b = b.to(at::kFloat); }
      if (op == "Add") y = at::add(a, b);
      else if (op == "Sub") y = at::sub(a, b);
      else if (op == "Multiply") y = at::mul(a, b);
      else if (op == "RealDiv") y = at::div(a, b);
      else if (op == "FloorDiv") y = at::div(a, b, "floor");
      else if (op == "Maximum") y = at::maximum(a, b);
      else if (op == "Minimum") y = at::minimum(a, b);
      else if (op == "Pow") y = at::pow(a, b);
      else if (op == "SquaredDifference") { auto d = at::sub(a, b); y = d.mul_(d); }
      else if (op == "Mod") y = at::remainder(a, b);
      else if (op == "Atan2") y = at::atan2(a, b);
      else if (op == "Prelu") y = at::where(a >= 0, a, a * b);
      else if (op == "EluGrad") y = at::where(b < 0, a * (b + 1), a);
      else if (op == "AtkdReluGrad") y = at::threshold_backward(a, b, 0);  // dy where x > 0, else 0
      else if (op == "AtkdRelu6Grad") y = at::where(at::logical_and(b > 0, b <= 6), a, at::zeros_like(a));
      else {
        logical = true;
        if (op == "Equal") y = at::eq(a, b);
        else if (op == "NotEqual") y = at::ne(a, b);
        else if (op == "Less") y = at::lt(a, b);
        else if (op == "LessEqual") y = at::le(a, b);
        else if (op == "Greater") y = at::gt(a, b);
        else if (op == "GreaterEqual") y = at::ge(a, b);
        else if (op == "LogicalAnd") y = at::logical_and(a, b);
        else if (op == "LogicalOr") y = at::logical_or(a, b);
        else if (op == "LogicalXor") y = at::logical_xor(a, b);
        else throw ArgError("unknown binary op " + op);
      }
      if (boolArith) y = y.ne(0);
      else if (op == "FloorDiv") y = y.to(at::kInt);  // TF.js's FloorDiv is int32 whatever the inputs
      else if (!logical && y.scalar_type() != a.scalar_type()) y = y.to(a.scalar_type());
      return Put(info.Env(), y);
    });
  }
  Value AddN(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      if (!info[0].IsArray()) throw ArgError("addN(ids[])");
      auto ids = IV(info, 0);
      if (ids.empty()) throw ArgError("addN of no tensors");
      at::Tensor acc;
      for (size_t k = 0; k < ids.size(); ++k) {
        auto it = tensors_.find(ids[k]);
        if (it == tensors_.end()) throw ArgError("unknown tensor id " + std::to_string(ids[k]));
        acc = k == 0 ? it->second.clone() : acc.add_(it->second);
      }
      return Put(info.Env(), acc);
    });
  }

  // ---- reductions -------------------------------------------------------------------------
  Value Reduce(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      std::string op = S(info, 0);
      const at::Tensor& x = T(info, 1);
      auto axes = IV(info, 2);
      bool keep = B(info, 3);
      at::Tensor y;
      if (axes.empty()) {
        y = x.clone();
      } else if (op == "Sum") y = at::sum(x, axes, keep);
      else if (op == "Mean") y = at::mean(x.scalar_type() == at::kFloat ? x : x.to(at::kFloat), axes, keep);
      else if (op == "Prod") {
        y = x;
        std::vector<int64_t> sorted = axes;
        std::sort(sorted.rbegin(), sorted.rend());
        for (auto ax : sorted) y = at::prod(y, ax, true);
        if (!keep) for (auto ax : sorted) y = y.squeeze(ax);
      } else if (op == "Max" || op == "Min" || op == "All" || op == "Any") {
        y = op == "Max" ? at::amax(x, axes, keep) : op == "Min" ? at::amin(x, axes, keep)
          : op == "All" ? at::amin(x.to(at::kBool), axes, keep) : at::amax(x.to(at::kBool), axes, keep);
      } else throw ArgError("unknown reduction " + op);
      if (op != "Mean" && y.scalar_type() != x.scalar_type()) y = y.to(x.scalar_type());
      return Put(info.Env(), y.contiguous());
    });
  }
  Value ArgReduce(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      std::string op = S(info, 0);
      const at::Tensor& x = T(info, 1);
      int64_t axis = I(info, 2);
      at::Tensor v = x.scalar_type() == at::kBool ? x.to(at::kInt) : x;
      auto y = op == "ArgMax" ? at::argmax(v, axis) : at::argmin(v, axis);
      return Put(info.Env(), y.to(at::kInt));
    });
  }
  Value Cumulative(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      std::string op = S(info, 0);
      at::Tensor x = T(info, 1);
      int64_t axis = I(info, 2);
      bool exclusive = B(info, 3), reverse = B(info, 4);
      if (reverse) x = x.flip(axis);
      at::Tensor y = op == "Cumsum" ? at::cumsum(x, axis) : at::cumprod(x, axis);
      if (exclusive) {
        auto first = op == "Cumsum" ? at::zeros_like(x.narrow(axis, 0, 1)) : at::ones_like(x.narrow(axis, 0, 1));
        y = at::cat({first, y.narrow(axis, 0, x.size(axis) - 1)}, axis);
      }
      if (reverse) y = y.flip(axis);
      if (y.scalar_type() != x.scalar_type()) y = y.to(x.scalar_type());
      return Put(info.Env(), y.contiguous());
    });
  }

  // ---- layout -----------------------------------------------------------------------------
  Value Cast(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      auto st = scalarType(static_cast<int>(I(info, 1)));
      if (st == at::kBool) return Put(info.Env(), at::ne(x, 0));
      return Put(info.Env(), x.to(st));
    });
  }
  Value Reshape(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value { return Put(info.Env(), T(info, 0).reshape(IV(info, 1))); });
  }
  Value Transpose(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value { return Put(info.Env(), T(info, 0).permute(IV(info, 1)).contiguous()); });
  }
  Value Slice(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      at::Tensor x = T(info, 0);
      auto begin = IV(info, 1), size = IV(info, 2);
      if (begin.size() != static_cast<size_t>(x.dim()) || size.size() != begin.size()) throw ArgError("slice: begin/size rank mismatch");
      for (int64_t d = 0; d < x.dim(); ++d) x = x.narrow(d, begin[d], size[d]);
      return Put(info.Env(), x.contiguous());
    });
  }
  Value StridedSlice(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      at::Tensor x = T(info, 0);
      auto begin = IV(info, 1), end = IV(info, 2), strides = IV(info, 3), outShape = IV(info, 4);
      for (int64_t d = 0; d < x.dim() && d < static_cast<int64_t>(begin.size()); ++d) {
        int64_t s = strides[d];
        if (s > 0) {
          x = x.slice(d, begin[d], std::max(end[d], begin[d]), s);
        } else {
          // begin > end, negative stride: indices begin, begin+s, ... > end.
          int64_t n = begin[d] > end[d] ? (begin[d] - end[d] - s - 1) / (-s) : 0;
          auto idx = at::arange(0, n, at::TensorOptions().dtype(at::kLong)).mul(s).add(begin[d]);
          x = x.index_select(d, idx);
        }
      }
      return Put(info.Env(), x.contiguous().reshape(outShape));
    });
  }
  Value Concat(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      auto ids = IV(info, 0);
      int64_t axis = I(info, 1);
      std::vector<at::Tensor> xs;
      for (auto id : ids) {
        auto it = tensors_.find(id);
        if (it == tensors_.end()) throw ArgError("unknown tensor id " + std::to_string(id));
        xs.push_back(it->second);
      }
      return Put(info.Env(), at::cat(xs, axis));
    });
  }
  Value Pad(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      auto p = IV(info, 1);  // [before0, after0, before1, after1, ...]
      double v = D(info, 2);
      std::vector<int64_t> rev;
      for (int64_t d = x.dim() - 1; d >= 0; --d) {
        rev.push_back(p[2 * d]);
        rev.push_back(p[2 * d + 1]);
      }
      return Put(info.Env(), at::constant_pad_nd(x, rev, v));
    });
  }
  Value Gather(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      const at::Tensor& idx = T(info, 1);
      int64_t axis = I(info, 2);
      auto flat = idx.reshape({-1}).to(at::kLong);
      if (flat.numel() > 0) {
        auto lo = flat.min().item<int64_t>(), hi = flat.max().item<int64_t>();
        if (lo < 0 || hi >= x.size(axis))
          throw ArgError("the index value " + std::to_string(lo < 0 ? lo : hi) + " is not in [0, " + std::to_string(x.size(axis) - 1) + "]");
      }
      auto y = x.index_select(axis, flat);
      std::vector<int64_t> shape(x.sizes().begin(), x.sizes().begin() + axis);
      for (auto s : idx.sizes()) shape.push_back(s);
      for (int64_t d = axis + 1; d < x.dim(); ++d) shape.push_back(x.size(d));
      return Put(info.Env(), y.reshape(shape));
    });
  }
  Value OneHot(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& idx = T(info, 0);
      int64_t depth = I(info, 1);
      double on = D(info, 2), off = D(info, 3);
      auto st = scalarType(static_cast<int>(I(info, 4)));
      auto range = at::arange(depth, at::TensorOptions().dtype(at::kInt).device(idx.device()));
      auto hit = at::eq(idx.to(at::kInt).unsqueeze(-1), range);
      auto opts = at::TensorOptions().dtype(st).device(idx.device());
      return Put(info.Env(), at::where(hit, at::scalar_tensor(on, opts), at::scalar_tensor(off, opts)));
    });
  }
  Value Tile(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value { return Put(info.Env(), T(info, 0).repeat(IV(info, 1))); });
  }
  Value Select(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      at::Tensor c = T(info, 0).to(at::kBool);
      const at::Tensor& a = T(info, 1);
      const at::Tensor& b = T(info, 2);
      if (c.dim() == 1 && a.dim() > 1) {
        std::vector<int64_t> s(a.dim(), 1);
        s[0] = c.size(0);
        c = c.reshape(s);
      }
      return Put(info.Env(), at::where(c, a, b));
    });
  }
  Value Split(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      auto sizes = IV(info, 1);
      int64_t axis = I(info, 2);
      auto parts = at::split_with_sizes(x, sizes, axis);
      std::vector<at::Tensor> out;
      for (auto& p : parts) out.push_back(p.contiguous());
      return PutAll(info.Env(), out);
    });
  }
  Value Reverse(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value { return Put(info.Env(), T(info, 0).flip(IV(info, 1))); });
  }
  Value TopK(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      int64_t k = I(info, 1);
      auto r = at::topk(x, k, -1, true, true);
      return PutAll(info.Env(), {std::get<0>(r), std::get<1>(r).to(at::kInt)});
    });
  }

  // ---- convolutions -----------------------------------------------------------------------
  // p = [padTop, padBottom, padLeft, padRight, strideH, strideW, dilationH, dilationW]
  struct ConvP {
    int64_t pt, pb, pl, pr, sh, sw, dh, dw;
    bool sym() const { return pt == pb && pl == pr; }
  };
  static ConvP convP(const std::vector<int64_t>& p) {
    if (p.size() < 8) throw ArgError("convolution parameters need 8 integers");
    return {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]};
  }
  // TF filter [kh, kw, ci, co] (or depthwise [kh, kw, ci, mult]) -> ATen weight [co, ci/groups, kh, kw].
  static at::Tensor weight(const at::Tensor& f, bool depthwise) {
    if (f.dim() != 4) throw ArgError("filter must be rank 4");
    if (!depthwise) return f.permute({3, 2, 0, 1});
    return f.permute({2, 3, 0, 1}).reshape({f.size(2) * f.size(3), 1, f.size(0), f.size(1)});
  }
  static at::Tensor activate(at::Tensor y, const std::string& act, double alpha, const c10::optional<at::Tensor>& prelu) {
    if (act.empty() || act == "linear") return y;
    if (act == "relu") return y.relu_();
    if (act == "relu6") return y.clamp_(0, 6);
    if (act == "elu") return at::elu(y);
    if (act == "sigmoid") return y.sigmoid_();
    if (act == "leakyrelu") return at::where(y >= 0, y, y * alpha);
    if (act == "prelu") {
      if (!prelu) throw ArgError("prelu activation without weights");
      return at::where(y >= 0, y, y * *prelu);
    }
    throw ArgError("unknown activation " + act);
  }
  // conv2d(x, filter, bias|0, p[8], depthwise, activation, leakyAlpha, prelu|0)
  Value Conv2d(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      const at::Tensor& f = T(info, 1);
      auto bias = OptT(info, 2);
      auto p = convP(IV(info, 3));
      bool depthwise = B(info, 4);
      std::string act = info.Length() > 5 && info[5].IsString() ? S(info, 5) : "";
      double alpha = info.Length() > 6 && info[6].IsNumber() ? D(info, 6) : 0.2;
      auto prelu = OptT(info, 7);
      if (x.scalar_type() != at::kFloat || f.scalar_type() != at::kFloat) throw ArgError("input and filter must be float32");
      if (x.dim() != 4) throw ArgError("input must be rank 4 (NHWC), got rank " + std::to_string(x.dim()));
      if (f.dim() != 4) throw ArgError("filter must be rank 4, got rank " + std::to_string(f.dim()));
      if (f.size(2) != x.size(3))
        throw ArgError("input has " + std::to_string(x.size(3)) + " channels but the filter expects " + std::to_string(f.size(2)));
      at::Tensor X = nchw(x);
      if (!p.sym()) {
        X = at::constant_pad_nd(X, {p.pl, p.pr, p.pt, p.pb}, 0);
        p.pt = p.pb = p.pl = p.pr = 0;
      }
      X = channelsLast(X);
      at::Tensor W = weight(f, depthwise).contiguous(at::MemoryFormat::ChannelsLast);
      int64_t groups = depthwise ? x.size(3) : 1;
      c10::optional<at::Tensor> b;
      if (bias) b = bias->reshape({-1});
      auto Y = at::convolution(X, W, b, {p.sh, p.sw}, {p.pt, p.pl}, {p.dh, p.dw}, false, {0, 0}, groups);
      return Put(info.Env(), activate(nhwc(Y), act, alpha, prelu));
    });
  }
  // conv2dBackpropInput(dy, filter, inShape[4], p[8], depthwise)
  Value Conv2dBackpropInput(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& dy = T(info, 0);
      const at::Tensor& f = T(info, 1);
      auto inShape = IV(info, 2);
      auto p = convP(IV(info, 3));
      bool depthwise = B(info, 4);
      if (inShape.size() != 4) throw ArgError("inShape must have 4 entries");
      if (dy.dim() != 4) throw ArgError("dy must be rank 4");
      int64_t H = inShape[1], Wd = inShape[2];
      int64_t kh = f.size(0), kw = f.size(1);
      int64_t effH = (kh - 1) * p.dh + 1, effW = (kw - 1) * p.dw + 1;
      int64_t oh = dy.size(1), ow = dy.size(2);
      at::Tensor DY = channelsLast(nchw(dy));
      at::Tensor W = weight(f, depthwise).contiguous(at::MemoryFormat::ChannelsLast);
      int64_t groups = depthwise ? inShape[3] : 1;
      // ATen's convolution backward (oneDNN's backward-data on CPU) with a stand-in input of the
      // (padded) input's shape: only its sizes and memory format are read. (A transposed
      // convolution here took ATen's slow_conv_transpose2d path, ~30x slower.)
      bool sym = p.sym();
      int64_t Hp = sym ? H : H + p.pt + p.pb, Wp = sym ? Wd : Wd + p.pl + p.pr;
      auto Xfake = at::empty({inShape[0], inShape[3], Hp, Wp}, dy.options().memory_format(at::MemoryFormat::ChannelsLast));
      std::vector<int64_t> pad = sym ? std::vector<int64_t>{p.pt, p.pl} : std::vector<int64_t>{0, 0};
      at::Tensor DX;
      try {
        auto r = at::convolution_backward(DY, Xfake, W, c10::nullopt, {p.sh, p.sw}, pad, {p.dh, p.dw}, false, {0, 0}, groups,
                                          {true, false, false});
        DX = std::get<0>(r);
      } catch (const std::exception&) {  // c10::Error, or oneDNN's dnnl::error
        // oneDNN refuses some geometries (a filter larger than the padded input): ATen's own
        // transposed convolution, with oneDNN switched off for this call
        int64_t oph = Hp - ((oh - 1) * p.sh - 2 * pad[0] + effH), opw = Wp - ((ow - 1) * p.sw - 2 * pad[1] + effW);
        bool mkldnn = at::globalContext().userEnabledMkldnn();
        at::globalContext().setUserEnabledMkldnn(false);
        try {
          DX = at::convolution(DY.contiguous(), W.contiguous(), c10::nullopt, {p.sh, p.sw}, pad, {p.dh, p.dw}, true, {oph, opw}, groups);
        } catch (...) {
          at::globalContext().setUserEnabledMkldnn(mkldnn);
          throw;
        }
        at::globalContext().setUserEnabledMkldnn(mkldnn);
      }
      if (!sym) DX = DX.narrow(2, p.pt, H).narrow(3, p.pl, Wd);
      return Put(info.Env(), nhwc(DX));
    });
  }
  // conv2dBackpropFilter(x, dy, filterShape[4], p[8], depthwise)
  Value Conv2dBackpropFilter(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      const at::Tensor& dy = T(info, 1);
      auto fs = IV(info, 2);
      auto p = convP(IV(info, 3));
      bool depthwise = B(info, 4);
      if (fs.size() != 4) throw ArgError("filterShape must have 4 entries");
      at::Tensor X = nchw(x);
      if (!p.sym()) {
        X = at::constant_pad_nd(X, {p.pl, p.pr, p.pt, p.pb}, 0);
        p.pt = p.pb = p.pl = p.pr = 0;
      }
      X = channelsLast(X);
      at::Tensor DY = channelsLast(nchw(dy));
      int64_t groups = depthwise ? fs[2] : 1;
      std::vector<int64_t> wshape = depthwise ? std::vector<int64_t>{fs[2] * fs[3], 1, fs[0], fs[1]}
                                              : std::vector<int64_t>{fs[3], fs[2], fs[0], fs[1]};
      auto Wfake = at::empty(wshape, x.options().memory_format(at::MemoryFormat::ChannelsLast));
      auto r = at::convolution_backward(DY, X, Wfake, c10::nullopt, {p.sh, p.sw}, {p.pt, p.pl}, {p.dh, p.dw}, false, {0, 0},
                                        groups, {false, true, false});
      at::Tensor dW = std::get<1>(r);
      at::Tensor out = depthwise ? dW.reshape({fs[2], fs[3], fs[0], fs[1]}).permute({2, 3, 0, 1})
                                 : dW.permute({2, 3, 1, 0});
      return Put(info.Env(), out.contiguous());
    });
  }

  // ---- pooling ----------------------------------------------------------------------------
  // p = [kh, kw, sh, sw, pt, pb, pl, pr]
  Value Pool(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      std::string kind = S(info, 0);
      const at::Tensor& x = T(info, 1);
      auto q = IV(info, 2);
      if (q.size() < 8) throw ArgError("pool parameters need 8 integers");
      int64_t kh = q[0], kw = q[1], sh = q[2], sw = q[3], pt = q[4], pb = q[5], pl = q[6], pr = q[7];
      at::Tensor X = channelsLast(nchw(x));
      bool direct = pt == pb && pl == pr && pt * 2 <= kh && pl * 2 <= kw;
      at::Tensor Y;
      if (kind == "max") {
        if (!direct) {
          X = channelsLast(at::constant_pad_nd(X, {pl, pr, pt, pb}, -std::numeric_limits<double>::infinity()));
          pt = pl = 0;
        }
        Y = at::max_pool2d(X, {kh, kw}, {sh, sw}, {pt, pl});
      } else {
        if (direct) {
          Y = at::avg_pool2d(X, {kh, kw}, {sh, sw}, {pt, pl}, false, false);
        } else {
          auto Xp = channelsLast(at::constant_pad_nd(X, {pl, pr, pt, pb}, 0));
          auto ones = at::constant_pad_nd(at::ones({1, 1, X.size(2), X.size(3)}, X.options()), {pl, pr, pt, pb}, 0);
          auto cnt = at::avg_pool2d(ones, {kh, kw}, {sh, sw}, {0, 0}, false, true);
          Y = at::avg_pool2d(Xp, {kh, kw}, {sh, sw}, {0, 0}, false, true).div(cnt);
        }
      }
      return Put(info.Env(), nhwc(Y));
    });
  }
  // poolGrad(kind, dy, x, p[8])
  Value PoolGrad(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      std::string kind = S(info, 0);
      const at::Tensor& dy = T(info, 1);
      const at::Tensor& x = T(info, 2);
      auto q = IV(info, 3);
      if (q.size() < 8) throw ArgError("pool parameters need 8 integers");
      int64_t kh = q[0], kw = q[1], sh = q[2], sw = q[3], pt = q[4], pb = q[5], pl = q[6], pr = q[7];
      at::Tensor X = channelsLast(nchw(x));
      at::Tensor DY = channelsLast(nchw(dy));
      bool direct = pt == pb && pl == pr && pt * 2 <= kh && pl * 2 <= kw;
      at::Tensor DX;
      if (kind == "max") {
        at::Tensor Xp = X;
        int64_t qt = pt, ql = pl;
        if (!direct) {
          Xp = channelsLast(at::constant_pad_nd(X, {pl, pr, pt, pb}, -std::numeric_limits<double>::infinity()));
          qt = ql = 0;
        }
        auto r = at::max_pool2d_with_indices(Xp, {kh, kw}, {sh, sw}, {qt, ql});
        DX = at::max_pool2d_with_indices_backward(DY, Xp, {kh, kw}, {sh, sw}, {qt, ql}, {1, 1}, false, std::get<1>(r));
        if (!direct) DX = DX.narrow(2, pt, X.size(2)).narrow(3, pl, X.size(3));
      } else {
        // TF.js's AvgPoolGrad (cpu, the referee) divides by the full window, padding included,
        // although the forward AvgPool divides by the valid pixels only: matched here.
        if (pt == pb && pl == pr && pt * 2 <= kh && pl * 2 <= kw) {
          DX = at::avg_pool2d_backward(DY, X, {kh, kw}, {sh, sw}, {pt, pl}, false, true, c10::nullopt);
        } else {
          auto Xp = channelsLast(at::constant_pad_nd(X, {pl, pr, pt, pb}, 0));
          DX = at::avg_pool2d_backward(DY, Xp, {kh, kw}, {sh, sw}, {0, 0}, false, true, c10::nullopt);
          DX = DX.narrow(2, pt, X.size(2)).narrow(3, pl, X.size(3));
        }
      }
      return Put(info.Env(), nhwc(DX));
    });
  }

  // ---- batch norm -------------------------------------------------------------------------
  // batchNorm(x, mean, variance, offset|0, scale|0, eps): TF's FusedBatchNorm (inference form with
  // the given statistics; broadcasting over the last axis).
  Value BatchNorm(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      const at::Tensor& mean = T(info, 1);
      const at::Tensor& var = T(info, 2);
      auto offset = OptT(info, 3);
      auto scale = OptT(info, 4);
      double eps = D(info, 5);
      int64_t C = x.size(-1);
      auto perChannel = [&](const at::Tensor& t) { return t.numel() == C && (t.dim() <= 1 || t.size(-1) == C); };
      bool channel = x.dim() == 4 && perChannel(mean) && perChannel(var) && (!offset || perChannel(*offset)) &&
                     (!scale || perChannel(*scale));
      if (channel) {
        auto w = scale ? c10::optional<at::Tensor>(scale->reshape({C})) : c10::nullopt;
        auto b = offset ? c10::optional<at::Tensor>(offset->reshape({C})) : c10::nullopt;
        auto Y = at::batch_norm(channelsLast(nchw(x)), w, b, mean.reshape({C}), var.reshape({C}), false, 0.0, eps, false);
        return Put(info.Env(), nhwc(Y));
      }
      auto inv = at::rsqrt(var + eps);
      if (scale) inv = inv * *scale;
      auto y = (x - mean) * inv;
      if (offset) y = y + *offset;
      return Put(info.Env(), y);
    });
  }
  // batchNormGrad(dy, x, mean, variance, scale|0, eps, shapes...) -> [dx, dmean, dvariance, doffset, dscale]
  // The five gradients of TF's FusedBatchNorm (mean and variance treated as inputs), in one pass
  // over the activations for per-channel statistics.
  Value BatchNormGrad(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& dy = T(info, 0);
      const at::Tensor& x = T(info, 1);
      const at::Tensor& mean = T(info, 2);
      const at::Tensor& var = T(info, 3);
      auto scale = OptT(info, 4);
      double eps = D(info, 5);
      int64_t C = x.size(-1);
      auto inv = at::rsqrt(var.reshape({-1}) + eps);  // [C]
      at::Tensor w = scale ? scale->reshape({-1}) : at::ones({C}, x.options());
      at::Tensor dx, doffset, dscale;
      if (x.dim() == 4 && mean.numel() == C && var.numel() == C) {
        // ATen's fused (channels-last) batch-norm backward in inference form, with the given
        // statistics: dx = dy*w*inv, dscale = sum(dy*(x-mean))*inv, doffset = sum(dy).
        auto r = at::native_batch_norm_backward(channelsLast(nchw(dy)), channelsLast(nchw(x)), w, mean.reshape({C}), var.reshape({C}),
                                                c10::nullopt, c10::nullopt, false, eps, {true, true, true});
        dx = nhwc(std::get<0>(r));
        dscale = std::get<1>(r);
        doffset = std::get<2>(r);
      } else {
        std::vector<int64_t> axes;
        for (int64_t d = 0; d < x.dim() - 1; ++d) axes.push_back(d);
        dx = dy * (inv * w);
        auto sum_dy_xc = axes.empty() ? dy * (x - mean) : at::sum(dy * (x - mean), axes);
        doffset = axes.empty() ? dy.clone() : at::sum(dy, axes);
        dscale = sum_dy_xc.reshape({-1}) * inv;
      }
      doffset = doffset.reshape({-1});
      // dmean = -sum(dy) * w * inv; dvariance = -0.5 * inv^3 * w * sum(dy*(x-mean)) = -0.5 * inv^2 * w * dscale
      auto dmean = -(doffset * w * inv);
      auto dvar = dscale * w * inv * inv * (-0.5);
      return PutAll(info.Env(), {dx, dmean, dvar, doffset, dscale});
    });
  }

  // Channels view for train-mode batch norm: NHWC -> NCHW with channels-last strides (no copy), or (N, C) as is.
  static at::Tensor bnView(const at::Tensor& x) {
    if (x.dim() == 4) return channelsLast(nchw(x));
    if (x.dim() == 2) return x;
    throw ArgError("expected a rank-4 NHWC or rank-2 (N, C) tensor, got rank " + std::to_string(x.dim()));
  }
  static at::Tensor bnBack(const at::Tensor& y, int64_t dim) { return dim == 4 ? nhwc(y) : y; }
  static at::Tensor perChannel(const at::Tensor& t, int64_t C, const char* what) {
    if (t.numel() != C) throw ArgError(std::string(what) + " has " + std::to_string(t.numel()) + " values for " + std::to_string(C) + " channels");
    return t.reshape({C});
  }
  // batchNormTrain(x, scale, offset, eps) -> [y, mean, variance]: train-mode batch norm over every
  // axis but the last, in one ATen call (native_batch_norm, training). mean and variance are the
  // batch's, the variance biased (divided by N) as TF.js's `moments` gives it, for the layer's
  // moving averages. ATen returns the inverse standard deviation, not the variance; the variance is
  // taken from its running-variance update (unbiased, accumulated in double) with momentum 1,
  // times (N-1)/N, so no precision is lost against eps.
  Value BatchNormTrain(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      if (x.scalar_type() != at::kFloat) throw ArgError("x must be float32");
      int64_t C = x.size(-1);
      auto w = perChannel(T(info, 1), C, "scale");
      auto b = perChannel(T(info, 2), C, "offset");
      double eps = D(info, 3);
      int64_t N = C == 0 ? 0 : x.numel() / C;
      if (N == 0) throw ArgError("an empty batch has no statistics");
      auto rm = at::zeros({C}, x.options());
      auto rv = at::zeros({C}, x.options());
      auto r = at::native_batch_norm(bnView(x), w, b, rm, rv, true, 1.0, eps);
      at::Tensor var = N > 1 ? (rv.to(at::kDouble) * (static_cast<double>(N - 1) / static_cast<double>(N))).to(at::kFloat)
                             : at::zeros({C}, x.options());
      return PutAll(info.Env(), {bnBack(std::get<0>(r), x.dim()), std::get<1>(r), var});
    });
  }
  // batchNormTrainGrad(dy, x, scale, mean, variance, eps, dmean|0, dvariance|0) -> [dx, dscale, doffset]:
  // the gradient of batchNormTrain in one ATen call (native_batch_norm_backward, train). Gradients
  // reaching the batch statistics themselves (dmean, dvariance: zeros when only the moving averages
  // use them) are added to dx only when one is non-zero.
  Value BatchNormTrainGrad(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& dy = T(info, 0);
      const at::Tensor& x = T(info, 1);
      int64_t C = x.size(-1);
      auto w = perChannel(T(info, 2), C, "scale");
      auto mean = perChannel(T(info, 3), C, "mean");
      auto var = perChannel(T(info, 4), C, "variance");
      double eps = D(info, 5);
      auto dmean = OptT(info, 6);
      auto dvar = OptT(info, 7);
      if (!dy.sizes().equals(x.sizes())) throw ArgError("dy and x have different shapes");
      auto invstd = (var.to(at::kDouble) + eps).rsqrt().to(at::kFloat);
      auto r = at::native_batch_norm_backward(bnView(dy), bnView(x), w, c10::nullopt, c10::nullopt, mean, invstd, true, eps,
                                              {true, true, true});
      at::Tensor dx = bnBack(std::get<0>(r), x.dim());
      double N = static_cast<double>(x.numel() / C);
      bool hasMean = dmean && at::any(*dmean != 0).item<bool>();
      bool hasVar = dvar && at::any(*dvar != 0).item<bool>();
      if (hasMean) dx.add_(dmean->reshape({C}) / N);
      if (hasVar) dx.add_((x - mean) * (dvar->reshape({C}) * (2.0 / N)));
      return PutAll(info.Env(), {dx, std::get<1>(r), std::get<2>(r)});
    });
  }

  // ---- matmul / softmax -------------------------------------------------------------------
  // A single float32 matrix product through oneDNN, as a 1x1 convolution (one image of M positions,
  // K channels, N filters, channels-last): Debian's libtorch links the reference (netlib) BLAS, whose sgemm took 13.6 ms for
  // [64,1280]x[1280,100] and 52 ms with the left operand transposed (a dense layer's weight gradient),
  // against 0.3-1.4 ms for the convolution (PyTorch 1.13 here, 1 thread). Operands are made contiguous
  // first (a copy of O(MK + KN), against O(MNK) work). ATKD_TORCH_BLAS_MATMUL=1 keeps at::matmul.
  static bool dnnlMatMulOff() {
    const char* v = std::getenv("ATKD_TORCH_BLAS_MATMUL");  // read per call (cheap), so an A/B can switch it
    return v != nullptr && v[0] == '1' && v[1] == '\0';
  }
  static bool useDnnlMatMul(const at::Tensor& a, const at::Tensor& b) {
    if (dnnlMatMulOff() || !at::hasMKLDNN() || a.scalar_type() != at::kFloat || b.scalar_type() != at::kFloat) return false;
    bool single = (a.dim() == 2 && b.dim() == 2) || (a.dim() == 3 && b.dim() == 3 && a.size(0) == 1 && b.size(0) == 1);
    return single && a.size(-2) > 0 && a.size(-1) > 0 && b.size(-1) > 0;
  }
  static at::Tensor dnnlMatMul(const at::Tensor& a, const at::Tensor& b) {
    bool batched = a.dim() == 3;
    at::Tensor A = (batched ? a[0] : a).contiguous();      // [M, K]
    at::Tensor Bt = (batched ? b[0] : b).t().contiguous();  // [N, K]
    int64_t M = A.size(0), K = A.size(1), N = Bt.size(0);
    // one image of M x 1 positions with K channels, channels-last (A's own memory, no copy), N filters;
    // the channels-last result's memory is C [M, N]
    at::Tensor x = A.view({1, M, 1, K}).permute({0, 3, 1, 2});
    at::Tensor y = at::mkldnn_convolution(x, Bt.view({N, K, 1, 1}), c10::nullopt, {0, 0}, {1, 1}, {1, 1}, 1)
                       .permute({0, 2, 3, 1}).reshape({M, N});
    return batched ? y.unsqueeze(0) : y;
  }
  // matMul(a, b, transposeA, transposeB, bias|0, activation, leakyAlpha, prelu|0)
  Value MatMul(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      at::Tensor a = T(info, 0);
      at::Tensor b = T(info, 1);
      if (a.scalar_type() != b.scalar_type()) throw ArgError("a and b have different dtypes");
      if (B(info, 2)) a = a.transpose(-1, -2);
      if (B(info, 3)) b = b.transpose(-1, -2);
      if (a.size(-1) != b.size(-2))
        throw ArgError("inner dimensions " + std::to_string(a.size(-1)) + " and " + std::to_string(b.size(-2)) + " differ");
      auto bias = OptT(info, 4);
      std::string act = info.Length() > 5 && info[5].IsString() ? S(info, 5) : "";
      double alpha = info.Length() > 6 && info[6].IsNumber() ? D(info, 6) : 0.2;
      auto prelu = OptT(info, 7);
      at::Tensor y = useDnnlMatMul(a, b) ? dnnlMatMul(a, b) : at::matmul(a, b);
      if (bias) y = y.add_(*bias);
      return Put(info.Env(), activate(y, act, alpha, prelu).contiguous());
    });
  }
  Value Softmax(const CallbackInfo& info) {
    return Guard(info, [&]() -> Value {
      const at::Tensor& x = T(info, 0);
      int64_t dim = I(info, 1);
      bool log = info.Length() > 2 && info[2].IsBoolean() && B(info, 2);
      return Put(info.Env(), log ? at::log_softmax(x, dim) : at::softmax(x, dim));
    });
  }
};

}  // namespace

NODE_API_ADDON(Addon)

#include "frontend/pickle_globals.h"

#include <utility>

#include "support/error.h"

namespace wick {

namespace {

enum GlobalId : int {
  kRebuildTensorV2,
  kRebuildTensor,
  kRebuildParameter,
  kOrderedDict,
  kBuildIntList,
  kBuildDoubleList,
  kBuildBoolList,
  kBuildTensorList,
  kRestoreTypeTag,
  kDevice,
  kTorchClass,
  kRebuildQTensor,
  kQScheme,
  kStorageType,  // kStorageType + int(dtype)
};

struct StorageName {
  const char* name;
  DType dtype;
};
constexpr StorageName kStorageNames[] = {
    {"FloatStorage", DType::f32}, {"DoubleStorage", DType::f64}, {"HalfStorage", DType::f16},
    {"BFloat16Storage", DType::bf16}, {"LongStorage", DType::i64}, {"IntStorage", DType::i32},
    {"ShortStorage", DType::i16}, {"CharStorage", DType::i8}, {"ByteStorage", DType::u8},
    {"BoolStorage", DType::b8}, {"ComplexFloatStorage", DType::c64}, {"ComplexDoubleStorage", DType::c128},
    // Untyped storages count bytes, which is what a byte storage does.
    {"UntypedStorage", DType::u8},
    // The integers of quantized tensors (_rebuild_qtensor).
    {"QInt8Storage", DType::i8}, {"QUInt8Storage", DType::u8}, {"QInt32Storage", DType::i32},
};

struct NamedGlobal {
  const char* module;
  const char* name;
  GlobalId id;
};
constexpr NamedGlobal kAllowed[] = {
    {"torch._utils", "_rebuild_tensor_v2", kRebuildTensorV2},
    {"torch._utils", "_rebuild_tensor", kRebuildTensor},
    {"torch._utils", "_rebuild_parameter", kRebuildParameter},
    {"collections", "OrderedDict", kOrderedDict},
    {"torch.jit._pickle", "build_intlist", kBuildIntList},
    {"torch.jit._pickle", "build_doublelist", kBuildDoubleList},
    {"torch.jit._pickle", "build_boollist", kBuildBoolList},
    {"torch.jit._pickle", "build_tensorlist", kBuildTensorList},
    {"torch.jit._pickle", "restore_type_tag", kRestoreTypeTag},
    {"torch", "device", kDevice},
    {"torch._utils", "_rebuild_qtensor", kRebuildQTensor},
    {"torch", "per_tensor_affine", kQScheme},
    {"torch", "per_channel_affine", kQScheme},
    {"torch", "per_channel_affine_float_qparams", kQScheme},
};

// Globals torch does write, for things wick cannot represent.
struct Unsupported {
  const char* module;
  const char* name;
  const char* what;
};
constexpr Unsupported kUnsupported[] = {
    {"torch._utils", "_rebuild_sparse_tensor", "sparse tensors"},
    {"builtins", "complex", "complex numbers"},
    {"torch.jit._pickle", "build_tensor_from_id", "tensor table references"},
    {"torch.distributed.rpc", "rref", "remote references"},
};

bool is_torch_class(const std::string& module) {
  return module == "__torch__" || module.rfind("__torch__.", 0) == 0;
}

[[noreturn]] void bad_args(const PickleValue& callable, const std::string& why) {
  throw Error(callable.class_name() + ": " + why);
}

const std::vector<PickleValue>& tuple_args(const PickleValue& callable, const PickleValue& args,
                                           size_t min_count, size_t max_count) {
  if (!args.is(PickleValue::Kind::tuple))
    bad_args(callable, "arguments must be a tuple, got " + args.repr(60));
  const auto& a = args.elements();
  if (a.size() < min_count || a.size() > max_count)
    bad_args(callable, "takes " + std::to_string(min_count) +
                           (max_count != min_count ? " to " + std::to_string(max_count) : "") +
                           " arguments, got " + std::to_string(a.size()));
  return a;
}

std::vector<int64_t> int_tuple(const PickleValue& callable, const PickleValue& v,
                               const char* what) {
  if (!v.is(PickleValue::Kind::tuple) && !v.is(PickleValue::Kind::list))
    bad_args(callable, std::string(what) + " must be a tuple of ints, got " + v.repr(60));
  std::vector<int64_t> out;
  for (const PickleValue& e : v.elements()) {
    if (!e.is(PickleValue::Kind::integer))
      bad_args(callable, std::string(what) + " must be a tuple of ints, got " + v.repr(60));
    out.push_back(e.to_int());
  }
  return out;
}

// _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])
// and the older _rebuild_tensor(storage, offset, size, stride).
PickleValue rebuild_tensor(const PickleValue& callable, const PickleValue& args, bool v2) {
  const auto& a = v2 ? tuple_args(callable, args, 6, 7) : tuple_args(callable, args, 4, 4);
  if (!a[0].is(PickleValue::Kind::storage))
    bad_args(callable, "argument 1 must be a storage, got " + a[0].repr(60));
  if (!a[1].is(PickleValue::Kind::integer))
    bad_args(callable, "storage offset must be an int, got " + a[1].repr(60));
  std::vector<int64_t> sizes = int_tuple(callable, a[2], "size");
  std::vector<int64_t> strides = int_tuple(callable, a[3], "stride");
  bool requires_grad = false;
  if (v2) {
    if (!a[4].is(PickleValue::Kind::boolean))
      bad_args(callable, "requires_grad must be a bool, got " + a[4].repr(60));
    requires_grad = a[4].to_bool();
    // a[5] holds backward hooks, which torch never saves (an empty OrderedDict).
    if (!a[5].is_none() && !(a[5].is(PickleValue::Kind::dict) && a[5].dict_items().empty()))
      bad_args(callable, "tensors with backward hooks are not supported");
    // a[6]: math bits (conj/neg) or Python metadata; only all-false is plain data.
    if (a.size() == 7 && !a[6].is_none()) {
      if (!a[6].is(PickleValue::Kind::dict))
        bad_args(callable, "tensor metadata must be a dict, got " + a[6].repr(60));
      for (const auto& [k, v] : a[6].dict_items())
        if (!(v.is(PickleValue::Kind::boolean) && !v.to_bool()))
          bad_args(callable, "tensor metadata " + a[6].repr(80) + " is not supported");
    }
  }
  try {
    Tensor t = Tensor::view_of(a[0].storage_data(), a[0].storage_dtype(), std::move(sizes),
                               std::move(strides), a[1].to_int());
    return PickleValue::tensor(std::move(t), requires_grad);
  } catch (const Error& e) {
    bad_args(callable, e.message());
  }
}

// _rebuild_qtensor(storage, offset, size, stride, quantizer, requires_grad,
// hooks): a quantized tensor, kept as its integers and parameters
// (PickleValue::quantized) for the ops that multiply the integers
// themselves, and read as the floats it stands for where it is used as a
// plain tensor (what its dequantize() gives: (q - zero_point) * scale, per
// tensor or per channel of dim `axis`). The quantizer is (per_tensor_affine, scale, zero_point) or
// (per_channel_affine[_float_qparams], scales, zero_points, axis).
PickleValue rebuild_qtensor(const PickleValue& callable, const PickleValue& args) {
  const auto& a = tuple_args(callable, args, 7, 7);
  if (!a[0].is(PickleValue::Kind::storage))
    bad_args(callable, "argument 1 must be a storage, got " + a[0].repr(60));
  const DType stored = a[0].storage_dtype();
  if (stored != DType::i8 && stored != DType::u8 && stored != DType::i32)
    bad_args(callable, "quantized values must be int8, uint8 or int32, got " + std::string(dtype_name(stored)));
  if (!a[1].is(PickleValue::Kind::integer))
    bad_args(callable, "storage offset must be an int, got " + a[1].repr(60));
  if (!a[5].is(PickleValue::Kind::boolean))
    bad_args(callable, "requires_grad must be a bool, got " + a[5].repr(60));
  Tensor q;
  try {
    q = Tensor::view_of(a[0].storage_data(), stored, int_tuple(callable, a[2], "size"),
                        int_tuple(callable, a[3], "stride"), a[1].to_int())
            .contiguous();
  } catch (const Error& e) {
    bad_args(callable, e.message());
  }
  const PickleValue& quantizer = a[4];
  if (!quantizer.is(PickleValue::Kind::tuple) || quantizer.elements().empty() ||
      !quantizer.elements()[0].is(PickleValue::Kind::global) || quantizer.elements()[0].global_id() != kQScheme)
    bad_args(callable, "quantizer must be a tuple starting with a torch qscheme, got " + quantizer.repr(80));
  const auto& qa = quantizer.elements();
  const std::string& scheme = qa[0].class_name();
  std::vector<double> scales, zero_points;  // one per channel (one in all per tensor)
  int64_t channels = 1;                     // per channel: the channel count
  int64_t channels_axis = -1;               // per channel: the dim of the channels
  if (scheme == "torch.per_tensor_affine") {
    if (qa.size() != 3 || !(qa[1].is(PickleValue::Kind::floating) || qa[1].is(PickleValue::Kind::integer)) ||
        !qa[2].is(PickleValue::Kind::integer))
      bad_args(callable, "per_tensor_affine takes (scale, zero_point), got " + quantizer.repr(80));
    scales = {qa[1].to_double()};
    zero_points = {static_cast<double>(qa[2].to_int())};
  } else {
    if (qa.size() != 4 || !qa[1].is(PickleValue::Kind::tensor) || !qa[2].is(PickleValue::Kind::tensor) ||
        !qa[3].is(PickleValue::Kind::integer))
      bad_args(callable, scheme.substr(6) + " takes (scales, zero_points, axis), got " + quantizer.repr(80));
    const int64_t axis = qa[3].to_int();
    if (axis < 0 || axis >= q.dim())
      bad_args(callable, "channel axis " + std::to_string(axis) + " is out of range for " + q.describe());
    channels = q.size(static_cast<int>(axis));
    channels_axis = axis;
    for (auto [t, out] : {std::pair{&qa[1].tensor(), &scales}, std::pair{&qa[2].tensor(), &zero_points}}) {
      if (t->numel() != channels || is_complex(t->dtype()) || t->dtype() == DType::b8)
        bad_args(callable, "needs " + std::to_string(channels) + " real scales and zero points, got " + t->describe());
      const Tensor c = t->contiguous();
      for (int64_t i = 0; i < channels; ++i)
        out->push_back(element_as_double(c.dtype(), static_cast<const char*>(c.data()) + i * dtype_size(c.dtype())));
    }
  }
  // Scale and zero point shaped to broadcast against the values.
  std::vector<int64_t> param_sizes;
  if (channels_axis >= 0) {
    param_sizes.assign(static_cast<size_t>(q.dim() - channels_axis), 1);
    param_sizes[0] = channels;
  }
  QuantizedParts parts{q, Tensor::empty(DType::f32, param_sizes), Tensor::empty(DType::f32, param_sizes)};
  for (size_t c = 0; c < scales.size(); ++c) {
    parts.scale.data_as<float>()[c] = static_cast<float>(scales[c]);
    parts.zero_point.data_as<float>()[c] = static_cast<float>(zero_points[c]);
  }
  return PickleValue::quantized_tensor(std::move(parts), a[5].to_bool());
}

PickleValue build_list(const PickleValue& callable, const PickleValue& args,
                       PickleValue::Kind elem, const char* tag) {
  const auto& a = tuple_args(callable, args, 1, 1);
  if (!a[0].is(PickleValue::Kind::list))
    bad_args(callable, "argument must be a list, got " + a[0].repr(60));
  for (const PickleValue& e : a[0].elements())
    if (!e.is(elem))
      bad_args(callable, "element " + e.repr(60) + " is not of type " +
                             std::string(PickleValue::kind_name(elem)));
  PickleValue list = a[0];
  list.set_type_tag(tag);
  return list;
}

}  // namespace

PickleValue resolve_pickle_global(const std::string& module, const std::string& name) {
  for (const NamedGlobal& g : kAllowed)
    if (module == g.module && name == g.name) return PickleValue::global(module, name, g.id);
  if (is_torch_class(module)) return PickleValue::global(module, name, kTorchClass);
  if (module == "torch" || module == "torch.storage") {
    for (const StorageName& s : kStorageNames)
      if (name == s.name && (module == "torch" || name == "UntypedStorage"))
        return PickleValue::global(module, name, kStorageType + static_cast<int>(s.dtype));
    if (name.size() > 7 && name.compare(name.size() - 7, 7, "Storage") == 0)
      throw Error("storage type " + module + "." + name + " is not supported");
  }
  for (const Unsupported& u : kUnsupported)
    if (module == u.module && name == u.name)
      throw Error(std::string(u.what) + " (" + module + "." + name + ") are not supported");
  throw Error("pickle uses the global '" + module + "." + name +
              "', which is not allowed in a TorchScript archive");
}

DType storage_type_dtype(const PickleValue& v) {
  if (!v.is(PickleValue::Kind::global) || v.global_id() < kStorageType)
    throw Error("expected a storage type such as torch.FloatStorage, got " + v.repr(60));
  return static_cast<DType>(v.global_id() - kStorageType);
}

const char* storage_type_name(DType dtype) {
  for (const StorageName& s : kStorageNames)
    if (s.dtype == dtype) return s.name;  // the typed name comes before UntypedStorage
  WICK_ASSERT(false, "no storage type for a dtype");
  return "";
}

PickleValue call_pickle_global(const PickleValue& callable, const PickleValue& args) {
  if (!callable.is(PickleValue::Kind::global))
    throw Error("REDUCE calls " + callable.repr(60) + ", which is not a function");
  switch (callable.global_id()) {
    case kRebuildTensorV2: return rebuild_tensor(callable, args, true);
    case kRebuildTensor: return rebuild_tensor(callable, args, false);
    case kRebuildQTensor: return rebuild_qtensor(callable, args);
    case kRebuildParameter: {
      const auto& a = tuple_args(callable, args, 3, 3);
      if (!a[0].is(PickleValue::Kind::tensor) || !a[1].is(PickleValue::Kind::boolean))
        bad_args(callable, "expects (tensor, bool, hooks), got " + args.repr(60));
      return PickleValue::tensor(a[0].tensor(), a[1].to_bool());
    }
    case kOrderedDict:
      tuple_args(callable, args, 0, 0);
      return PickleValue::dict();
    case kBuildIntList: return build_list(callable, args, PickleValue::Kind::integer, "List[int]");
    case kBuildDoubleList:
      return build_list(callable, args, PickleValue::Kind::floating, "List[float]");
    case kBuildBoolList:
      return build_list(callable, args, PickleValue::Kind::boolean, "List[bool]");
    case kBuildTensorList:
      return build_list(callable, args, PickleValue::Kind::tensor, "List[Tensor]");
    case kRestoreTypeTag: {
      const auto& a = tuple_args(callable, args, 2, 2);
      if (!a[0].is(PickleValue::Kind::list) && !a[0].is(PickleValue::Kind::dict))
        bad_args(callable, "can only tag a list or dict, got " + a[0].repr(60));
      if (!a[1].is(PickleValue::Kind::string))
        bad_args(callable, "type must be a str, got " + a[1].repr(60));
      PickleValue v = a[0];
      v.set_type_tag(a[1].to_str());
      return v;
    }
    case kDevice: {
      const auto& a = tuple_args(callable, args, 1, 1);
      if (!a[0].is(PickleValue::Kind::string))
        bad_args(callable, "argument must be a str, got " + a[0].repr(60));
      return PickleValue::device(a[0].to_str());
    }
    case kTorchClass: {
      // No arguments: a plain instance; one: an enum member holding its value.
      const auto& a = tuple_args(callable, args, 0, 1);
      PickleValue obj = PickleValue::object(callable.class_name());
      if (a.size() == 1) obj.set_state(a[0]);
      return obj;
    }
    default: bad_args(callable, "is a type and cannot be called");
  }
}

PickleValue new_pickle_object(const PickleValue& cls, const PickleValue& args) {
  if (!cls.is(PickleValue::Kind::global) || cls.global_id() != kTorchClass)
    throw Error("NEWOBJ needs a TorchScript class, got " + cls.repr(60));
  tuple_args(cls, args, 0, 0);
  return PickleValue::object(cls.class_name());
}

}  // namespace wick

#include "runtime/manifest.h"

#include <algorithm>
#include <charconv>

#include "runtime/artifact.h"
#include "runtime/checksum.h"
#include "runtime/cpu_features.h"
#include "runtime/gpu_kernels_file.h"
#include "runtime/json.h"
#include "runtime/plan_validate.h"
#include "runtime/tensor_spec.h"
#include "support/tensor.h"

#ifndef WICK_RUNTIME_VERSION
#error "WICK_RUNTIME_VERSION must be defined by the build"
#endif

namespace wick::rt {

const char* runtime_version() { return WICK_RUNTIME_VERSION; }

namespace {

constexpr size_t kMaxString = 4096;
constexpr size_t kMaxIo = 4096;
constexpr size_t kMaxFeatures = 256;
constexpr size_t kMaxCubins = 64;

std::string strings_json(const std::vector<std::string>& xs) {
  std::string s = "[";
  for (size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + json_quote(xs[i]);
  return s + "]";
}

std::string io_json(const std::vector<IoInfo>& ios, const std::vector<std::string>& symbols) {
  std::string s = "[";
  for (size_t i = 0; i < ios.size(); ++i) {
    const IoInfo& io = ios[i];
    s += i ? ",\n    " : "\n    ";
    s += "{\"name\": " + json_quote(io.name) + ", \"dtype\": " + json_quote(dtype_name(io.spec.dtype)) +
         ", \"shape\": [";
    for (size_t d = 0; d < io.spec.sizes.size(); ++d) {
      const std::string dim = dim_text(io.spec, d, symbols);
      s += (d ? ", " : "") + (dim_symbol(io.spec, d) < 0 ? dim : json_quote(dim));
    }
    s += "]}";
  }
  return s + (ios.empty() ? "]" : "\n  ]");
}

// Typed access to one JSON object's members; errors name the member's path.
class Fields {
 public:
  Fields(const Json& object, std::string path, const std::string& file) : o_(object), path_(std::move(path)), file_(file) {}

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw Error("manifest: " + where(key) + " " + message, SourceLocation{file_});
  }

  const Json& get(const std::string& key, Json::Kind kind) const {
    const Json* v = o_.find(key);
    if (!v) fail(key, "is missing");
    if (!v->is(kind)) fail(key, std::string("must be ") + Json::kind_name(kind) + ", not " + Json::kind_name(v->kind()));
    return *v;
  }
  std::string string(const std::string& key) const {
    const std::string& s = get(key, Json::Kind::string).text();
    if (s.size() > kMaxString) fail(key, "is too long");
    return s;
  }
  int64_t integer(const std::string& key, int64_t min, int64_t max) const {
    return integer_of(get(key, Json::Kind::number), key, min, max);
  }
  int64_t integer_of(const Json& v, const std::string& key, int64_t min, int64_t max) const {
    const std::string& t = v.text();
    int64_t n = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    if (ec != std::errc() || end != t.data() + t.size()) fail(key, "must be an integer, not " + t);
    if (n < min || n > max) fail(key, "is out of range: " + t);
    return n;
  }
  uint64_t hex(const std::string& key) const {
    uint64_t v = 0;
    if (!parse_hex64(string(key), &v)) fail(key, "must be 16 hex digits");
    return v;
  }
  const std::vector<Json>& array(const std::string& key, size_t max_items) const {
    const auto& items = get(key, Json::Kind::array).items();
    if (items.size() > max_items) fail(key, "has too many entries");
    return items;
  }
  Fields object(const std::string& key) const { return Fields(get(key, Json::Kind::object), where(key), file_); }
  Fields element(const Json& v, const std::string& key, size_t i) const {
    const std::string path = where(key) + "[" + std::to_string(i) + "]";
    if (!v.is(Json::Kind::object)) throw Error("manifest: " + path + " must be an object", SourceLocation{file_});
    return Fields(v, path, file_);
  }

 private:
  std::string where(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const Json& o_;
  std::string path_;
  const std::string& file_;
};

// A dynamic dim's text, "B" or "3*B": its coefficient and symbol index.
void parse_dynamic_dim(const Fields& e, const std::string& text, const std::vector<std::string>& symbols,
                       int64_t* coefficient, int32_t* symbol) {
  std::string name = text;
  *coefficient = 1;
  const size_t star = text.find('*');
  if (star != std::string::npos) {
    const std::string number = text.substr(0, star);
    int64_t n = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() || n < 1)
      e.fail("shape", "has a bad dim \"" + text + "\" (expected a size, a symbol such as \"B\", or \"3*B\")");
    *coefficient = n;
    name = text.substr(star + 1);
  }
  for (size_t i = 0; i < symbols.size(); ++i)
    if (symbols[i] == name) {
      *symbol = static_cast<int32_t>(i);
      return;
    }
  if (!valid_symbol_name(name))
    e.fail("shape", "has a bad dim \"" + text + "\" (expected a size, a symbol such as \"B\", or \"3*B\")");
  std::string known;
  for (const std::string& s : symbols) known += (known.empty() ? "" : ", ") + s;
  e.fail("shape", "names an unknown symbol \"" + name + "\" (" +
                      (symbols.empty() ? std::string("the manifest declares none") : "the manifest's symbols are " + known) +
                      ")");
}

std::vector<IoInfo> parse_io(const Fields& f, const std::string& key, const std::vector<std::string>& symbols) {
  std::vector<IoInfo> out;
  const auto& items = f.array(key, kMaxIo);
  for (size_t i = 0; i < items.size(); ++i) {
    Fields e = f.element(items[i], key, i);
    IoInfo io;
    io.name = e.string("name");
    const std::string dtype = e.string("dtype");
    auto d = dtype_from_name(dtype);
    if (!d) e.fail("dtype", "names no dtype: " + dtype);
    io.spec.dtype = *d;
    const auto& dims = e.array("shape", kMaxTensorRank);
    for (const Json& dim : dims) {
      if (dim.is(Json::Kind::string)) {
        int64_t coefficient = 0;
        int32_t symbol = -1;
        parse_dynamic_dim(e, dim.text(), symbols, &coefficient, &symbol);
        io.spec.size_symbols.resize(io.spec.sizes.size(), -1);
        io.spec.size_symbols.push_back(symbol);
        io.spec.sizes.push_back(coefficient);
        continue;
      }
      if (!dim.is(Json::Kind::number))
        e.fail("shape", symbols.empty() ? "must hold integers" : "must hold integers and symbols");
      io.spec.sizes.push_back(e.integer_of(dim, "shape", 0, INT64_MAX));
    }
    if (!io.spec.size_symbols.empty()) io.spec.size_symbols.resize(io.spec.sizes.size(), -1);
    int64_t numel = 0, bytes = 0;
    if (!checked_numel(io.spec.sizes, &numel) ||
        !checked_mul(numel, static_cast<int64_t>(dtype_size(io.spec.dtype)), &bytes) || bytes > kMaxTensorBytes)
      e.fail("shape", "is too large");
    out.push_back(std::move(io));
  }
  return out;
}

FileInfo parse_file(const Fields& files, const std::string& name, const char* checksum_key) {
  Fields f = files.object(name);
  FileInfo info;
  info.bytes = static_cast<uint64_t>(f.integer("bytes", 0, INT64_MAX));
  info.checksum = f.hex(checksum_key);
  return info;
}

// "device" and "gpu" (format version 3): where the plan runs and, on a GPU,
// the architectures its code is for.
void parse_device(const Fields& f, const Json& root, Manifest* m) {
  const bool has_device = root.find("device") != nullptr, has_gpu = root.find("gpu") != nullptr;
  if (m->format_version < 3) {
    for (const char* key : {"device", "gpu"})
      if (root.find(key))
        f.fail(key, "needs format version 3 (the manifest says " + std::to_string(m->format_version) + ")");
    return;
  }
  if (!has_device) f.fail("device", "is missing");
  m->device = f.string("device");
  if (m->device != "cpu" && m->device != "cuda")
    f.fail("device", "names an unknown device \"" + m->device + "\" (this runtime knows cpu and cuda)");
  if (!m->cuda()) {
    if (has_gpu) f.fail("gpu", "belongs to CUDA artifacts only (the device is " + m->device + ")");
    return;
  }
  Fields gpu = f.object("gpu");
  m->ptx_sm = static_cast<int>(gpu.integer("ptx_sm", kMinGpuSm, kMaxGpuSm));
  for (const Json& sm : gpu.array("cubin_sms", kMaxCubins)) {
    if (!sm.is(Json::Kind::number)) gpu.fail("cubin_sms", "must hold integers");
    const int value = static_cast<int>(gpu.integer_of(sm, "cubin_sms", kMinGpuSm, kMaxGpuSm));
    if (!m->cubin_sms.empty() && value <= m->cubin_sms.back()) gpu.fail("cubin_sms", "must increase");
    m->cubin_sms.push_back(value);
  }
}

}  // namespace

int artifact_format_version(const Manifest& m) {
  if (!m.data_dims.empty()) return 4;
  if (m.device != "cpu") return 3;
  bool dynamic = !m.symbols.empty();
  for (const auto* list : {&m.inputs, &m.outputs})
    for (const IoInfo& io : *list) dynamic = dynamic || has_dynamic_dims(io.spec);
  return dynamic ? 2 : 1;
}

std::string manifest_to_json(const Manifest& m) {
  WICK_ASSERT(m.format_version >= artifact_format_version(m) && m.format_version <= kArtifactFormatVersion,
              "manifest format version " + std::to_string(m.format_version) + " cannot hold its dynamic dims or device");
  WICK_ASSERT(m.device == "cpu" || m.device == "cuda", "manifest device " + m.device);
  auto file = [](const FileInfo& f, const char* key) {
    return "{\"bytes\": " + std::to_string(f.bytes) + ", \"" + key + "\": \"" + hex64(f.checksum) + "\"}";
  };
  std::string s = "{\n";
  s += "  \"format\": \"wick-artifact\",\n";
  s += "  \"format_version\": " + std::to_string(m.format_version) + ",\n";
  s += "  \"wick_version\": " + json_quote(m.wick_version) + ",\n";
  s += "  \"identity\": \"" + hex64(m.identity) + "\",\n";
  s += "  \"target\": {\"name\": " + json_quote(m.target) + ", \"arch\": " + json_quote(m.arch) +
       ", \"cpu\": " + json_quote(m.cpu) + ",\n             \"required_features\": " +
       strings_json(m.required_features) + "},\n";
  s += "  \"model\": " + json_quote(m.model) + ",\n";
  s += "  \"method\": " + json_quote(m.method) + ",\n";
  if (m.format_version >= 2) s += "  \"symbols\": " + strings_json(m.symbols) + ",\n";
  if (m.format_version >= 4) s += "  \"data_dims\": " + strings_json(m.data_dims) + ",\n";
  s += "  \"inputs\": " + io_json(m.inputs, m.symbols) + ",\n";
  s += "  \"outputs\": " + io_json(m.outputs, m.symbols) + ",\n";
  s += "  \"kernel_count\": " + std::to_string(m.kernel_count) + ",\n";
  if (m.format_version >= 3) s += "  \"device\": " + json_quote(m.device) + ",\n";
  if (m.cuda()) {
    std::string sms;
    for (int sm : m.cubin_sms) sms += (sms.empty() ? "" : ", ") + std::to_string(sm);
    s += "  \"gpu\": {\"ptx_sm\": " + std::to_string(m.ptx_sm) + ", \"cubin_sms\": [" + sms + "]},\n";
  }
  s += "  \"files\": {\n";
  s += "    \"model.so\": " + file(m.model_so, "xxh64") + ",\n";
  s += "    \"plan.bin\": " + file(m.plan_bin, "xxh64") + ",\n";
  s += "    \"weights.bin\": " + file(m.weights_bin, "data_xxh64") + (m.cuda() ? ",\n" : "\n");
  if (m.cuda()) s += "    \"" + std::string(kGpuKernelsFile) + "\": " + file(m.gpu_kernels_bin, "xxh64") + "\n";
  s += "  }\n}\n";
  return s;
}

Manifest parse_manifest(std::string_view text, const std::string& file) {
  const Json root = parse_json(text, file);
  if (!root.is(Json::Kind::object)) throw Error("manifest: not a JSON object", SourceLocation{file});
  Fields f(root, "", file);
  Manifest m;
  // The format first, so that a manifest of a later format is reported as
  // such rather than as a missing field.
  if (f.string("format") != "wick-artifact") f.fail("format", "is not \"wick-artifact\"");
  m.format_version = static_cast<int>(f.integer("format_version", 0, INT32_MAX));
  if (m.format_version < kMinArtifactFormatVersion || m.format_version > kArtifactFormatVersion)
    throw Error("artifact format version " + std::to_string(m.format_version) + ", but this runtime reads versions " +
                    std::to_string(kMinArtifactFormatVersion) + " to " + std::to_string(kArtifactFormatVersion) +
                    ": recompile the model with this wick",
                SourceLocation{file});
  m.wick_version = f.string("wick_version");
  m.identity = f.hex("identity");
  Fields target = f.object("target");
  m.target = target.string("name");
  m.arch = target.string("arch");
  m.cpu = target.string("cpu");
  for (const Json& feature : target.array("required_features", kMaxFeatures)) {
    if (!feature.is(Json::Kind::string) || feature.text().size() > 64)
      target.fail("required_features", "must hold short strings");
    m.required_features.push_back(feature.text());
  }
  m.model = f.string("model");
  m.method = f.string("method");
  if (root.find("symbols")) {
    if (m.format_version < 2) f.fail("symbols", "needs format version 2 (the manifest says " +
                                                    std::to_string(m.format_version) + ")");
    for (const Json& symbol : f.array("symbols", kMaxSymbols)) {
      if (!symbol.is(Json::Kind::string) || !valid_symbol_name(symbol.text()))
        f.fail("symbols", "must hold names such as \"B\"");
      for (const std::string& seen : m.symbols)
        if (seen == symbol.text()) f.fail("symbols", "names \"" + seen + "\" twice");
      m.symbols.push_back(symbol.text());
    }
  }
  if (root.find("data_dims")) {
    if (m.format_version < 4) f.fail("data_dims", "needs format version 4 (the manifest says " +
                                                      std::to_string(m.format_version) + ")");
    for (const Json& dim : f.array("data_dims", kMaxSymbols)) {
      if (!dim.is(Json::Kind::string) || std::find(m.symbols.begin(), m.symbols.end(), dim.text()) == m.symbols.end())
        f.fail("data_dims", "must hold names listed in \"symbols\"");
      if (std::find(m.data_dims.begin(), m.data_dims.end(), dim.text()) != m.data_dims.end())
        f.fail("data_dims", "names \"" + dim.text() + "\" twice");
      m.data_dims.push_back(dim.text());
    }
  }
  m.inputs = parse_io(f, "inputs", m.symbols);
  m.outputs = parse_io(f, "outputs", m.symbols);
  // Every symbol must be fixed by the inputs of a run, or be a data dim,
  // which no input or output has.
  for (size_t k = 0; k < m.symbols.size(); ++k) {
    const bool data = std::find(m.data_dims.begin(), m.data_dims.end(), m.symbols[k]) != m.data_dims.end();
    bool in_inputs = false, in_outputs = false;
    for (const IoInfo& io : m.inputs)
      for (int32_t sym : io.spec.size_symbols) in_inputs = in_inputs || sym == static_cast<int32_t>(k);
    for (const IoInfo& io : m.outputs)
      for (int32_t sym : io.spec.size_symbols) in_outputs = in_outputs || sym == static_cast<int32_t>(k);
    if (!data && !in_inputs) f.fail("symbols", "names \"" + m.symbols[k] + "\", which is no dim of an input");
    if (data && (in_inputs || in_outputs))
      f.fail("data_dims", "names \"" + m.symbols[k] + "\", which sizes an " + (in_inputs ? "input" : "output"));
  }
  m.kernel_count = f.integer("kernel_count", 0, INT32_MAX);
  parse_device(f, root, &m);
  Fields files = f.object("files");
  m.model_so = parse_file(files, "model.so", "xxh64");
  m.plan_bin = parse_file(files, "plan.bin", "xxh64");
  m.weights_bin = parse_file(files, "weights.bin", "data_xxh64");
  const bool has_gpu_file = f.get("files", Json::Kind::object).find(kGpuKernelsFile) != nullptr;
  if (m.cuda()) m.gpu_kernels_bin = parse_file(files, kGpuKernelsFile, "xxh64");
  else if (has_gpu_file) files.fail(kGpuKernelsFile, "belongs to CUDA artifacts only (the device is " + m.device + ")");
  return m;
}

void check_compatible(const Manifest& m, const std::string& dir) {
  if (m.wick_version != runtime_version())
    throw Error("the artifact was compiled by wick " + m.wick_version + ", but this runtime is wick " +
                    runtime_version() + ": recompile the model with this version",
                SourceLocation{dir});
  if (m.arch != runtime_arch())
    throw UnsupportedCpu("the artifact was compiled for " + m.arch + " (target " + m.target + "), but this runtime runs on " +
                             runtime_arch(),
                         SourceLocation{dir});
  std::vector<std::string> missing = missing_cpu_features(m.required_features);
  if (!missing.empty()) {
    std::string list;
    for (const std::string& f : missing) list += (list.empty() ? "" : ", ") + f;
    throw UnsupportedCpu("the artifact was compiled for target " + m.target + " (cpu " + m.cpu +
                             ") and needs CPU features this CPU lacks: " + list +
                             "; recompile it with --target native on this machine, or for a lower level",
                         SourceLocation{dir});
  }
}

// The checksums of the plan and weights are spelled out, not only hashed
// into the id: the library then vouches for the files the manifest lists,
// so a plan edited with a manifest to match is refused before it runs.
std::string identity_string(const Manifest& m) {
  std::string s = "wick-artifact/" + std::to_string(m.format_version) + " wick/" + m.wick_version + " target/" +
                  m.target + " id/" + hex64(m.identity) + " plan/" + hex64(m.plan_bin.checksum) + " weights/" +
                  hex64(m.weights_bin.checksum);
  if (m.cuda()) s += " kernels/" + hex64(m.gpu_kernels_bin.checksum);
  return s;
}

}  // namespace wick::rt

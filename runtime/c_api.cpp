// The C interface (wick_runtime.h) over rt::Artifact. Every entry point
// catches everything: no C++ exception crosses into the caller, each failure
// becomes a status code and a thread-local message.
#include "runtime/wick_runtime.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "runtime/artifact.h"
#include "runtime/npy.h"
#include "runtime/tensor_spec.h"
#include "runtime/thread_pool.h"

struct wick_model {
  std::unique_ptr<wick::rt::Artifact> artifact;
  // Shapes as text ("[B, 14]"), for wick_model_input_shape / _output_shape.
  std::vector<std::string> input_shapes, output_shapes;
};

struct wick_tensor {
  wick::Tensor t;
};

namespace {

using wick::DType;
using wick::Tensor;

static_assert(WICK_FLOAT32 == static_cast<int>(DType::f32) && WICK_FLOAT64 == static_cast<int>(DType::f64) &&
              WICK_FLOAT16 == static_cast<int>(DType::f16) && WICK_BFLOAT16 == static_cast<int>(DType::bf16) &&
              WICK_INT64 == static_cast<int>(DType::i64) && WICK_INT32 == static_cast<int>(DType::i32) &&
              WICK_INT16 == static_cast<int>(DType::i16) && WICK_INT8 == static_cast<int>(DType::i8) &&
              WICK_UINT8 == static_cast<int>(DType::u8) && WICK_BOOL == static_cast<int>(DType::b8),
              "wick_dtype values must equal wick::DType's");

thread_local std::string t_error;

wick_status fail(wick_status code, const std::string& message) {
  t_error = message;
  return code;
}

// Runs `body`, turning every exception into a status; wick::Error becomes
// `code` (the kind of failure the caller is in).
template <typename F>
wick_status guarded(wick_status code, F&& body) {
  try {
    return body();
  } catch (const wick::rt::UnsupportedCpu& e) {
    return fail(WICK_ERROR_CPU, e.what());
  } catch (const wick::rt::UnsupportedDevice& e) {
    return fail(WICK_ERROR_DEVICE, e.what());
  } catch (const wick::Error& e) {
    return fail(code, e.what());
  } catch (const std::bad_alloc&) {
    return fail(WICK_ERROR_MEMORY, "out of memory");
  } catch (const wick::InternalError& e) {
    return fail(WICK_ERROR_INTERNAL, e.what());
  } catch (const std::exception& e) {
    return fail(WICK_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(WICK_ERROR_INTERNAL, "internal error: unknown exception");
  }
}

bool valid_dtype(int d) { return d >= WICK_FLOAT32 && d <= WICK_BOOL; }

// A borrowed tensor over a caller's buffer; "" or the problem.
std::string buffer_tensor(const wick_buffer& b, const std::string& what, Tensor* out) {
  if (!valid_dtype(b.dtype)) return what + " has an unknown dtype " + std::to_string(static_cast<int>(b.dtype));
  if (b.rank < 0 || b.rank > WICK_MAX_RANK) return what + " has rank " + std::to_string(b.rank);
  if (b.rank > 0 && !b.sizes) return what + " has no sizes";
  std::vector<int64_t> sizes(b.sizes, b.sizes + b.rank);
  const DType dtype = static_cast<DType>(b.dtype);
  int64_t numel = 0, bytes = 0;
  if (!wick::checked_numel(sizes, &numel) ||
      !wick::checked_mul(numel, static_cast<int64_t>(wick::dtype_size(dtype)), &bytes))
    return what + " has a bad shape " + wick::shape_str(sizes);
  if (b.nbytes < static_cast<uint64_t>(bytes))
    return what + " is " + std::string(wick::dtype_name(dtype)) + wick::shape_str(sizes) + ", which takes " +
           std::to_string(bytes) + " bytes, but its buffer holds " + std::to_string(b.nbytes);
  if (!b.data && bytes > 0) return what + " has no data";
  auto storage = std::make_shared<wick::Storage>(b.data, static_cast<size_t>(bytes), wick::Device{}, nullptr);
  *out = Tensor::view_of(std::move(storage), dtype, sizes, Tensor::contiguous_strides(sizes), 0);
  return {};
}

// The inputs as tensors, checked against the model, and the value of each
// dynamic dim they fix; "" or the problem.
std::string input_tensors(const wick_model* m, const wick_buffer* inputs, size_t n, std::vector<Tensor>* out,
                          std::vector<int64_t>* symbols) {
  const auto& specs = m->artifact->manifest().inputs;
  if (n != specs.size())
    return "the model takes " + std::to_string(specs.size()) + " input" + (specs.size() == 1 ? "" : "s") + ", got " +
           std::to_string(n);
  if (n > 0 && !inputs) return "inputs is NULL";
  for (size_t i = 0; i < n; ++i) {
    Tensor t;
    std::string problem = buffer_tensor(inputs[i], "input " + std::to_string(i) + " (" + specs[i].name + ")", &t);
    if (!problem.empty()) return problem;
    out->push_back(std::move(t));
  }
  return m->artifact->check_inputs(*out, symbols);
}

// Checks the outputs the executor returned against the manifest's shapes
// with the dynamic dims' values of this run: an edited manifest can
// disagree with the plan, which is the artifact's fault, not wick's.
void check_outputs(const wick_model* m, const std::vector<Tensor>& outputs, const std::vector<int64_t>& symbols) {
  const auto& specs = m->artifact->manifest().outputs;
  const auto expected = m->artifact->output_sizes(symbols);
  if (outputs.size() != specs.size())
    throw wick::Error("the model returned " + std::to_string(outputs.size()) + " outputs where its manifest lists " +
                std::to_string(specs.size()) + ": the manifest does not belong to this model");
  for (size_t i = 0; i < specs.size(); ++i)
    if (outputs[i].dtype() != specs[i].spec.dtype || outputs[i].sizes() != expected[i])
      throw wick::Error("output " + std::to_string(i) + " is " + outputs[i].describe() + ", not " +
                  wick::rt::spec_text(specs[i].spec, m->artifact->manifest().symbols) +
                  " as in the manifest: the manifest does not belong to this model");
}

const wick::rt::IoInfo* io_info(const wick_model* m, int64_t i, bool input) {
  if (!m) {
    fail(WICK_ERROR_ARGUMENT, "model is NULL");
    return nullptr;
  }
  const auto& list = input ? m->artifact->manifest().inputs : m->artifact->manifest().outputs;
  if (i < 0 || static_cast<uint64_t>(i) >= list.size()) {
    fail(WICK_ERROR_ARGUMENT, std::string(input ? "input" : "output") + " index " + std::to_string(i) +
                                  " is out of range (the model has " + std::to_string(list.size()) + ")");
    return nullptr;
  }
  return &list[static_cast<size_t>(i)];
}

wick_status info(const wick_model* m, int64_t i, bool input, wick_dtype* dtype, int32_t* rank, int64_t* sizes) {
  const wick::rt::IoInfo* io = io_info(m, i, input);
  if (!io) return WICK_ERROR_ARGUMENT;
  if (dtype) *dtype = static_cast<wick_dtype>(io->spec.dtype);
  if (rank) *rank = static_cast<int32_t>(io->spec.sizes.size());
  if (sizes)
    for (size_t d = 0; d < io->spec.sizes.size(); ++d)
      sizes[d] = wick::rt::dim_symbol(io->spec, d) < 0 ? io->spec.sizes[d] : -1;
  return WICK_OK;
}

const char* shape(const wick_model* m, int64_t i, bool input) {
  if (!io_info(m, i, input)) return nullptr;
  return (input ? m->input_shapes : m->output_shapes)[static_cast<size_t>(i)].c_str();
}

}  // namespace

extern "C" {

const char* wick_runtime_version(void) { return wick::rt::runtime_version(); }

const char* wick_last_error(void) { return t_error.c_str(); }

const char* wick_dtype_name(wick_dtype dtype) {
  static const char* const names[] = {"float32", "float64", "float16", "bfloat16", "int64",
                                      "int32",   "int16",   "int8",    "uint8",    "bool"};
  return valid_dtype(dtype) ? names[dtype] : nullptr;
}

size_t wick_dtype_size(wick_dtype dtype) { return valid_dtype(dtype) ? wick::dtype_size(static_cast<DType>(dtype)) : 0; }

wick_status wick_set_num_threads(int n) {
  return guarded(WICK_ERROR_ARGUMENT, [&] {
    if (n < 1 || n > 4096) return fail(WICK_ERROR_ARGUMENT, "the thread count must be 1..4096, got " + std::to_string(n));
    wick::rt::default_thread_pool().set_num_threads(n);
    return WICK_OK;
  });
}

int wick_get_num_threads(void) {
  try {
    return wick::rt::default_thread_pool().num_threads();
  } catch (...) {
    return 1;
  }
}

wick_status wick_model_open(const char* dir, wick_model** model) {
  if (model) *model = nullptr;
  if (!dir || !model) return fail(WICK_ERROR_ARGUMENT, "wick_model_open: dir and model must not be NULL");
  return guarded(WICK_ERROR_ARTIFACT, [&] {
    auto m = std::make_unique<wick_model>();
    m->artifact = wick::rt::Artifact::open(dir);
    const wick::rt::Manifest& manifest = m->artifact->manifest();
    for (const auto* list : {&manifest.inputs, &manifest.outputs})
      for (const wick::rt::IoInfo& io : *list) {
        const std::string text = wick::rt::spec_text(io.spec, manifest.symbols);
        (list == &manifest.inputs ? m->input_shapes : m->output_shapes).push_back(text.substr(text.find('[')));
      }
    *model = m.release();
    return WICK_OK;
  });
}

void wick_model_close(wick_model* model) { delete model; }

const char* wick_model_device(const wick_model* model) {
  if (!model) {
    fail(WICK_ERROR_ARGUMENT, "model is NULL");
    return nullptr;
  }
  return model->artifact->device();
}

int64_t wick_model_num_inputs(const wick_model* model) {
  if (!model) {
    fail(WICK_ERROR_ARGUMENT, "model is NULL");
    return -1;
  }
  return static_cast<int64_t>(model->artifact->manifest().inputs.size());
}

int64_t wick_model_num_outputs(const wick_model* model) {
  if (!model) {
    fail(WICK_ERROR_ARGUMENT, "model is NULL");
    return -1;
  }
  return static_cast<int64_t>(model->artifact->manifest().outputs.size());
}

const char* wick_model_input_name(const wick_model* model, int64_t i) {
  const wick::rt::IoInfo* io = io_info(model, i, true);
  return io ? io->name.c_str() : nullptr;
}

const char* wick_model_output_name(const wick_model* model, int64_t i) {
  const wick::rt::IoInfo* io = io_info(model, i, false);
  return io ? io->name.c_str() : nullptr;
}

wick_status wick_model_input_info(const wick_model* model, int64_t i, wick_dtype* dtype, int32_t* rank, int64_t* sizes) {
  return info(model, i, true, dtype, rank, sizes);
}

wick_status wick_model_output_info(const wick_model* model, int64_t i, wick_dtype* dtype, int32_t* rank,
                                   int64_t* sizes) {
  return info(model, i, false, dtype, rank, sizes);
}

const char* wick_model_input_shape(const wick_model* model, int64_t i) { return shape(model, i, true); }

const char* wick_model_output_shape(const wick_model* model, int64_t i) { return shape(model, i, false); }

wick_status wick_model_output_sizes(const wick_model* model, const wick_buffer* inputs, size_t num_inputs, int64_t i,
                                    int32_t* rank, int64_t* sizes) {
  const wick::rt::IoInfo* io = io_info(model, i, false);
  if (!io) return WICK_ERROR_ARGUMENT;
  return guarded(WICK_ERROR_INPUT, [&] {
    std::vector<Tensor> in;
    std::vector<int64_t> symbols;
    std::string problem = input_tensors(model, inputs, num_inputs, &in, &symbols);
    if (!problem.empty()) return fail(WICK_ERROR_INPUT, model->artifact->dir() + ": " + problem);
    const std::vector<int64_t> resolved = wick::rt::resolve_sizes(io->spec, symbols);
    if (rank) *rank = static_cast<int32_t>(resolved.size());
    if (sizes) std::copy(resolved.begin(), resolved.end(), sizes);
    return WICK_OK;
  });
}

wick_status wick_model_run(wick_model* model, const wick_buffer* inputs, size_t num_inputs, const wick_buffer* outputs,
                           size_t num_outputs) {
  if (!model) return fail(WICK_ERROR_ARGUMENT, "model is NULL");
  return guarded(WICK_ERROR_RUN, [&] {
    std::vector<Tensor> in;
    std::vector<int64_t> symbols;
    std::string problem = input_tensors(model, inputs, num_inputs, &in, &symbols);
    if (!problem.empty()) return fail(WICK_ERROR_INPUT, model->artifact->dir() + ": " + problem);
    const auto& specs = model->artifact->manifest().outputs;
    const auto expected = model->artifact->output_sizes(symbols);
    if (num_outputs != specs.size())
      return fail(WICK_ERROR_INPUT, model->artifact->dir() + ": the model has " + std::to_string(specs.size()) +
                                        " outputs, got " + std::to_string(num_outputs) + " buffers");
    if (num_outputs > 0 && !outputs) return fail(WICK_ERROR_INPUT, "outputs is NULL");
    std::vector<Tensor> out_buffers;
    for (size_t i = 0; i < num_outputs; ++i) {
      Tensor t;
      const std::string what = "output buffer " + std::to_string(i) + " (" + specs[i].name + ")";
      problem = buffer_tensor(outputs[i], what, &t);
      if (problem.empty() && (t.dtype() != specs[i].spec.dtype || t.sizes() != expected[i])) {
        problem = what + " is " + t.describe() + ", but the output is " +
                  std::string(wick::dtype_name(specs[i].spec.dtype)) + wick::shape_str(expected[i]);
        if (wick::rt::has_dynamic_dims(specs[i].spec))
          problem += " for these inputs (" + wick::rt::spec_text(specs[i].spec, model->artifact->manifest().symbols) + ")";
      }
      if (!problem.empty()) return fail(WICK_ERROR_INPUT, model->artifact->dir() + ": " + problem);
      out_buffers.push_back(std::move(t));
    }
    std::vector<Tensor> results = model->artifact->run(in);
    check_outputs(model, results, symbols);
    for (size_t i = 0; i < results.size(); ++i) {
      Tensor c = results[i].contiguous();
      if (c.nbytes() > 0) std::memmove(out_buffers[i].data(), c.data(), c.nbytes());
    }
    return WICK_OK;
  });
}

wick_status wick_model_run_alloc(wick_model* model, const wick_buffer* inputs, size_t num_inputs, wick_tensor** outputs,
                                 size_t num_outputs) {
  if (outputs)
    for (size_t i = 0; i < num_outputs; ++i) outputs[i] = nullptr;
  if (!model) return fail(WICK_ERROR_ARGUMENT, "model is NULL");
  return guarded(WICK_ERROR_RUN, [&] {
    std::vector<Tensor> in;
    std::vector<int64_t> symbols;
    std::string problem = input_tensors(model, inputs, num_inputs, &in, &symbols);
    if (!problem.empty()) return fail(WICK_ERROR_INPUT, model->artifact->dir() + ": " + problem);
    const size_t expected = model->artifact->manifest().outputs.size();
    if (num_outputs != expected)
      return fail(WICK_ERROR_INPUT, model->artifact->dir() + ": the model has " + std::to_string(expected) +
                                        " outputs, got room for " + std::to_string(num_outputs));
    if (num_outputs > 0 && !outputs) return fail(WICK_ERROR_INPUT, "outputs is NULL");
    std::vector<Tensor> results = model->artifact->run(in);
    check_outputs(model, results, symbols);
    // An output may alias an input (caller memory) or a weight (a read-only
    // mapping): hand out copies of those, so every tensor is the caller's own.
    std::vector<const void*> foreign;
    for (const Tensor& t : in) foreign.push_back(t.storage().get());
    for (const Tensor& t : model->artifact->weights()) foreign.push_back(t.storage().get());
    std::vector<std::unique_ptr<wick_tensor>> made;
    for (Tensor& t : results) {
      bool aliases = false;
      for (const void* s : foreign) aliases = aliases || s == t.storage().get();
      made.push_back(std::make_unique<wick_tensor>(wick_tensor{aliases ? t.clone() : std::move(t)}));
    }
    for (size_t i = 0; i < made.size(); ++i) outputs[i] = made[i].release();
    return WICK_OK;
  });
}

wick_status wick_tensor_new(wick_dtype dtype, int32_t rank, const int64_t* sizes, wick_tensor** out) {
  if (out) *out = nullptr;
  if (!out) return fail(WICK_ERROR_ARGUMENT, "wick_tensor_new: out is NULL");
  if (!valid_dtype(dtype)) return fail(WICK_ERROR_ARGUMENT, "unknown dtype " + std::to_string(static_cast<int>(dtype)));
  if (rank < 0 || rank > WICK_MAX_RANK) return fail(WICK_ERROR_ARGUMENT, "bad rank " + std::to_string(rank));
  if (rank > 0 && !sizes) return fail(WICK_ERROR_ARGUMENT, "sizes is NULL");
  return guarded(WICK_ERROR_ARGUMENT, [&] {
    auto t = std::make_unique<wick_tensor>();
    t->t = Tensor::zeros(static_cast<DType>(dtype), std::vector<int64_t>(sizes, sizes + rank));
    *out = t.release();
    return WICK_OK;
  });
}

void wick_tensor_free(wick_tensor* t) { delete t; }
void* wick_tensor_data(const wick_tensor* t) { return t ? t->t.data() : nullptr; }
size_t wick_tensor_nbytes(const wick_tensor* t) { return t ? t->t.nbytes() : 0; }
wick_dtype wick_tensor_dtype(const wick_tensor* t) { return t ? static_cast<wick_dtype>(t->t.dtype()) : WICK_FLOAT32; }
int32_t wick_tensor_rank(const wick_tensor* t) { return t ? t->t.dim() : 0; }
const int64_t* wick_tensor_sizes(const wick_tensor* t) { return t ? t->t.sizes().data() : nullptr; }

wick_buffer wick_tensor_buffer(const wick_tensor* t) {
  wick_buffer b{};
  if (!t) return b;
  b.data = t->t.data();
  b.nbytes = t->t.nbytes();
  b.dtype = static_cast<wick_dtype>(t->t.dtype());
  b.rank = t->t.dim();
  b.sizes = t->t.sizes().data();
  return b;
}

wick_status wick_npy_read(const char* path, wick_tensor** out) {
  if (out) *out = nullptr;
  if (!path || !out) return fail(WICK_ERROR_ARGUMENT, "wick_npy_read: path and out must not be NULL");
  return guarded(WICK_ERROR_FILE, [&] {
    auto t = std::make_unique<wick_tensor>();
    t->t = wick::read_npy(path);
    *out = t.release();
    return WICK_OK;
  });
}

wick_status wick_npy_write(const char* path, const wick_tensor* t) {
  if (!path || !t) return fail(WICK_ERROR_ARGUMENT, "wick_npy_write: path and tensor must not be NULL");
  return guarded(WICK_ERROR_FILE, [&] {
    wick::write_npy(path, t->t);
    return WICK_OK;
  });
}

}  // extern "C"

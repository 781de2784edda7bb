// ORC LLJIT holding one JITDylib per loaded module. Objects come from
// load_or_compile_object, so the code the JIT runs is byte for byte what the
// disk cache and ahead-of-time builds hold. Libm and other process symbols
// resolve through LLJIT's process-symbols library, linked into every JITDylib.
#include "codegen/jit_engine.h"

#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>

#include "codegen/host_target.h"
#include "codegen/mlir_compiler.h"
#include "codegen/stopwatch.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

std::string message_of(llvm::Error error) { return llvm::toString(std::move(error)); }

// Link errors (such as an undefined symbol) reach ORC's session error
// reporter, not the failed lookup. Linking runs on the thread that looks a
// symbol up, so a thread-local string pairs each report with its lookup.
thread_local std::string session_errors;

void report_session_error(llvm::Error error) {
  if (!session_errors.empty()) session_errors += "; ";
  session_errors += message_of(std::move(error));
}

}  // namespace

struct JitEngine::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::atomic<uint64_t> next_library{0};

  // Modules loaded now, by cache key; entries expire with their code.
  std::mutex loaded_mutex;
  std::map<std::pair<uint64_t, uint64_t>, std::weak_ptr<LoadedCode>> loaded;
};

// One module's JITDylib; removing it frees the code.
class LoadedCode {
 public:
  LoadedCode(std::shared_ptr<JitEngine::Impl> engine, llvm::orc::JITDylib& library)
      : engine_(std::move(engine)), library_(&library) {}
  ~LoadedCode() {
    // Nothing can be reported from here; a failed removal only leaks code.
    llvm::consumeError(engine_->jit->getExecutionSession().removeJITDylib(*library_));
  }
  LoadedCode(const LoadedCode&) = delete;
  LoadedCode& operator=(const LoadedCode&) = delete;

  void* lookup(const std::string& symbol) const {
    session_errors.clear();
    auto address = engine_->jit->lookup(*library_, symbol);
    if (!address) {
      std::string message = message_of(address.takeError());
      if (!session_errors.empty()) message = session_errors + "; " + message;
      throw InternalError("codegen: symbol '" + symbol + "' not found in the compiled module: " +
                          message);
    }
    return address->toPtr<void*>();
  }

 private:
  std::shared_ptr<JitEngine::Impl> engine_;
  llvm::orc::JITDylib* library_;
};

void* CompiledModule::lookup(const std::string& symbol) const {
  WICK_ASSERT(code_ != nullptr, "lookup in an empty CompiledModule");
  return code_->lookup(symbol);
}

PackedKernelFn CompiledModule::packed(const std::string& name) const {
  return reinterpret_cast<PackedKernelFn>(lookup(packed_entry_name(name)));
}

JitEngine::JitEngine() : impl_(std::make_shared<Impl>()) {
  initialize_native_target();
  auto machine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machine) throw InternalError("codegen: no JIT target: " + message_of(machine.takeError()));
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*machine))
                 .setPlatformSetUp(llvm::orc::setUpInactivePlatform)  // no static initializers
                 .create();
  if (!jit) throw InternalError("codegen: cannot create the JIT: " + message_of(jit.takeError()));
  impl_->jit = std::move(*jit);
  impl_->jit->getExecutionSession().setErrorReporter(report_session_error);
}

JitEngine::~JitEngine() = default;

JitEngine& JitEngine::global() {
  static JitEngine* engine = new JitEngine;  // never destroyed: code may run until exit
  return *engine;
}

CompiledModule JitEngine::compile(const std::string& mlir_text,
                                  const std::vector<std::string>& symbols,
                                  const CompileOptions& options) {
  Stopwatch clock;
  CompiledModule result;
  TargetDescription target = resolve_target(options);
  Hash128 key = kernel_cache_key(mlir_text, target, options);
  auto map_key = std::make_pair(key.high, key.low);

  {
    std::lock_guard<std::mutex> lock(impl_->loaded_mutex);
    auto it = impl_->loaded.find(map_key);
    if (it != impl_->loaded.end()) {
      result.code_ = it->second.lock();
      if (!result.code_) impl_->loaded.erase(it);
    }
  }

  if (result.code_) {
    result.stats_.source = CodeSource::memory_cache;
  } else {
    std::string object = load_or_compile_object(mlir_text, options, target, key, result.stats_);
    Stopwatch load_clock;
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(object, "wick_kernels.o");
    auto parsed = llvm::object::ObjectFile::createObjectFile(buffer->getMemBufferRef());
    if (!parsed)
      throw InternalError("codegen: kernel object does not parse: " +
                          message_of(parsed.takeError()));

    std::string name = "wick_module_" + std::to_string(impl_->next_library.fetch_add(1));
    auto library = impl_->jit->createJITDylib(name);
    if (!library)
      throw InternalError("codegen: cannot create a JIT library: " +
                          message_of(library.takeError()));
    result.code_ = std::make_shared<LoadedCode>(impl_, *library);
    if (llvm::Error error = impl_->jit->addObjectFile(*library, std::move(buffer)))
      throw InternalError("codegen: JIT cannot load the kernel object: " +
                          message_of(std::move(error)));
    result.stats_.load_ms = load_clock.elapsed_ms();

    std::lock_guard<std::mutex> lock(impl_->loaded_mutex);
    impl_->loaded[map_key] = result.code_;
  }

  Stopwatch lookup_clock;
  for (const std::string& symbol : symbols) result.addresses_.push_back(result.code_->lookup(symbol));
  result.stats_.load_ms += lookup_clock.elapsed_ms();
  result.stats_.total_ms = clock.elapsed_ms();
  return result;
}

}  // namespace wick::codegen

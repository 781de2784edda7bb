#include "frontend/loader.h"

#include "frontend/code_index.h"
#include "frontend/emitter.h"
#include "frontend/pt_archive.h"
#include "ir/verifier.h"

namespace wick {

std::unique_ptr<ir::Module> load_torchscript(const std::string& path, const LoadOptions& options) {
  try {
    PtArchive archive = load_pt_archive(path);
    CodeIndex code(archive.code_files, path);
    EmitOptions emit;
    if (options.training) emit.training = true;
    auto module = emit_module(archive, code, path, options.method, emit);
    ir::verify(*module);
    return module;
  } catch (const Error& e) {
    throw e.with_file(path);
  }
}

}  // namespace wick

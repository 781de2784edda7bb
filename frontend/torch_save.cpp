#include "frontend/torch_save.h"

#include "frontend/pickle_writer.h"
#include "frontend/pt_archive.h"
#include "frontend/zip_archive.h"
#include "frontend/zip_writer.h"
#include "support/error.h"

namespace wick {

PickleValue read_torch_save(const std::string& path) {
  try {
    ZipArchive zip = ZipArchive::open(path);
    if (!zip.contains("data.pkl"))
      throw Error("not a file torch.save writes: no data.pkl (files from PyTorch before 1.6 are not supported)");
    return read_archive_pickle(zip, "data");
  } catch (const Error& e) {
    throw e.with_file(path);
  }
}

void write_torch_save(const std::string& path, const PickleValue& value) {
  const Pickled pickled = pickle_for_torch(value);
  write_zip_file(path, [&](ZipWriter& zip) {
    // torch.save names the folder after the file; torch.load takes any name.
    zip.add("archive/data.pkl", pickled.bytes.data(), pickled.bytes.size());
    for (size_t i = 0; i < pickled.storages.size(); ++i) {
      const Tensor& t = pickled.storages[i];
      zip.add("archive/data/" + std::to_string(i), t.data(), t.nbytes());
    }
    const std::string version = "3\n";
    zip.add("archive/version", version.data(), version.size());
  });
}

}  // namespace wick

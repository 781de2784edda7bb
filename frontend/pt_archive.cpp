#include "frontend/pt_archive.h"

#include <cctype>

#include "frontend/pickle.h"
#include "support/error.h"

namespace wick {

PickleValue read_archive_pickle(const ZipArchive& zip, const std::string& archive,
                                std::map<std::string, std::shared_ptr<Storage>>* storages) {
  const std::string pkl = archive + ".pkl";
  const std::string dir = archive + "/";
  StorageLoader loader = [&](const std::string& key, DType dtype, int64_t numel) {
    const std::string rel = dir + key;
    if (!zip.contains(rel))
      throw Error(pkl + " refers to storage '" + key + "', but the archive has no entry '" +
                  rel + "'");
    const uint64_t have = zip.size_of(rel);
    const uint64_t want = static_cast<uint64_t>(numel) * dtype_size(dtype);  // checked by caller
    if (have < want)
      throw Error("storage " + rel + " holds " + std::to_string(have) + " bytes but " + pkl +
                  " declares " + std::to_string(numel) + " " + std::string(dtype_name(dtype)) +
                  " elements (" + std::to_string(want) + " bytes)");
    auto storage = Storage::allocate_cpu(static_cast<size_t>(have));
    zip.read_into(rel, storage->data(), have);
    if (storages) (*storages)[key] = storage;
    return storage;
  };
  return unpickle(zip.read(pkl), loader, pkl);
}

namespace {

int64_t parse_version(const std::string& text) {
  int64_t v = 0;
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && v < 1000000)
    v = v * 10 + (text[i++] - '0');
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i != text.size())
    throw Error("the 'version' entry holds '" + text.substr(0, 20) + "', not a version number");
  return v;
}

}  // namespace

PtArchive read_pt_archive(ZipArchive zip) {
  const std::string file = zip.name();
  try {
    if (!zip.contains("data.pkl")) {
      std::string why = "not a TorchScript archive: no data.pkl";
      if (zip.contains("model.json"))
        why += " (this is the model.json format of PyTorch 1.0-1.3, which is not supported)";
      throw Error(why);
    }
    if (zip.contains("byteorder")) {
      std::string order = zip.read("byteorder");
      if (order != "little")
        throw Error("archive stores tensors in '" + order.substr(0, 20) +
                    "' byte order; only little-endian archives are supported");
    }
    PtArchive a{file, std::move(zip), 0, {}, {}, {}, {}};
    // PyTorch 2.x keeps the format version in .data/version (with a
    // .data/serialization_id beside it); 1.x in version.
    if (a.zip.contains(".data/version")) a.version = parse_version(a.zip.read(".data/version"));
    else if (a.zip.contains("version")) a.version = parse_version(a.zip.read("version"));
    a.data = read_archive_pickle(a.zip, "data", &a.data_storages);
    a.constants = a.zip.contains("constants.pkl") ? read_archive_pickle(a.zip, "constants")
                                                  : PickleValue::tuple({});
    if (!a.constants.is(PickleValue::Kind::tuple))
      throw Error("constants.pkl holds " + a.constants.repr(60) + ", not a tuple");
    for (const std::string& rel : a.zip.names()) {
      const bool py = rel.size() > 3 && rel.compare(rel.size() - 3, 3, ".py") == 0;
      if (py && rel.rfind("code/", 0) == 0) a.code_files.emplace(rel, a.zip.read(rel));
    }
    return a;
  } catch (const Error& e) {
    throw e.with_file(file);
  }
}

PtArchive load_pt_archive(const std::string& path) {
  return read_pt_archive(ZipArchive::open(path));
}

}  // namespace wick

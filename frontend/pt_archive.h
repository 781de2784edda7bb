// PtArchive: the raw contents of a TorchScript .pt file, before any parsing of
// its code: the module object tree (data.pkl), the constants table
// (constants.pkl), and the TorchScript sources under code/.
//
// Tensor storages come from data/<key> for data.pkl and constants/<key> for
// constants.pkl, the folders torch.jit.save writes them to; each is checked
// to hold at least the bytes its persistent id declares.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "frontend/pickle_value.h"
#include "frontend/zip_archive.h"

namespace wick {

struct PtArchive {
  std::string path;
  ZipArchive zip;
  int64_t version = 0;     // torch's file format version: .data/version (2.x) or version (1.x)
  PickleValue data;        // the root module: an object such as __torch__.Net
  PickleValue constants;   // a tuple; code refers to its items as CONSTANTS.c0, c1, ...
  // TorchScript sources keyed by their path in the archive, e.g. "code/__torch__.py".
  std::map<std::string, std::string> code_files;
  // The storages data.pkl's tensors view, by key (entry data/<key>): how a
  // writer finds which entry holds a tensor's bytes.
  std::map<std::string, std::shared_ptr<Storage>> data_storages;
};

// Reads <archive>.pkl of `zip` with the storages its tensors view from
// <archive>/<key>, recording them in `storages` when given (torch.jit.save
// writes data.pkl and constants.pkl so, torch.save data.pkl).
PickleValue read_archive_pickle(const ZipArchive& zip, const std::string& archive,
                                std::map<std::string, std::shared_ptr<Storage>>* storages = nullptr);

// Throws wick::Error naming the file on any problem with it.
PtArchive load_pt_archive(const std::string& path);
// The same for an archive already opened (e.g. from memory).
PtArchive read_pt_archive(ZipArchive zip);

}  // namespace wick

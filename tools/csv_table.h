// Numeric CSV tables for `wick train`: a header row of column names, then rows
// of numbers, read in one streaming pass into a row-major float32 table. Every
// mistake in the file is a wick::Error naming the file, the line (as an editor
// numbers it) and the column (name and 0-based index). It lives with the
// command line because CSV is an input format of the tool, like `.npy` specs
// for `wick run`; library users hand tensors to wick::Trainer directly.
//
// Accepted: commas between cells, spaces or tabs around cells, names and cells
// in double quotes ("" for a quote), LF or CRLF line ends, a UTF-8 byte-order
// mark, empty lines at the end. A cell is anything strtod reads completely in
// the C locale (so `nan` and `inf` too) or `NA` (R's missing value), read as
// NaN. Feature cells may be NaN or infinite; target cells must be finite.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wick::tools {

struct CsvOptions {
  // Target columns as 0-based indices ("14") or header names ("price"). Each
  // must exist, and every one of its cells must be finite.
  std::vector<std::string> targets;
  // Target cells must also be non-negative integers (class indices) below 2^24,
  // so that float32 holds them exactly.
  bool class_targets = false;
  // Limits that keep a corrupt or absurd file from exhausting memory.
  int64_t max_line_bytes = int64_t{16} << 20;
  int64_t max_table_bytes = int64_t{16} << 30;
};

struct CsvTable {
  std::string file;                 // as given, for messages
  std::vector<std::string> names;   // one per column
  std::vector<int64_t> targets;     // resolved target column indices, in the order asked
  int64_t rows = 0;
  std::vector<float> values;        // rows x names.size(), row-major

  int64_t cols() const { return static_cast<int64_t>(names.size()); }
  float at(int64_t row, int64_t col) const { return values[static_cast<size_t>(row * cols() + col)]; }
  // The 1-based line a data row came from: the header is line 1, and empty
  // lines are allowed only at the end, so row r sits on line r + 2.
  static int64_t line_of(int64_t row) { return row + 2; }
  // "column 'age' (3)"
  std::string column_str(int64_t col) const;
  // The non-target columns, in file order.
  std::vector<int64_t> feature_columns() const;
};

// Reads `path`; throws wick::Error for a missing or unreadable file and for
// every malformed row or cell.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});

// The same over text in memory; `name` stands for the file in messages.
CsvTable parse_csv(const std::string& text, const std::string& name, const CsvOptions& options = {});

}  // namespace wick::tools

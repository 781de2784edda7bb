#include "tools/csv_table.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>

#include "support/error.h"

namespace wick::tools {

namespace {

// Hands out one line at a time from a byte source read in fixed chunks, so a
// file is read once and never held whole in memory. Strips the line end (LF or
// CRLF) and refuses lines longer than the limit before buffering them.
class LineReader {
 public:
  using Source = std::function<size_t(char* dst, size_t n)>;

  LineReader(Source source, std::string name, int64_t max_line_bytes)
      : source_(std::move(source)), name_(std::move(name)), max_line_(max_line_bytes), chunk_(size_t{1} << 20) {}

  // False at the end of input. `line_number` is 1-based.
  bool next(std::string& line, int64_t& line_number) {
    line.clear();
    bool any = false;
    for (;;) {
      if (pos_ == len_) {
        if (eof_) break;
        len_ = source_(chunk_.data(), chunk_.size());
        pos_ = 0;
        if (len_ == 0) {
          eof_ = true;
          break;
        }
      }
      any = true;
      const char* begin = chunk_.data() + pos_;
      const void* nl = std::memchr(begin, '\n', len_ - pos_);
      size_t take = nl ? static_cast<size_t>(static_cast<const char*>(nl) - begin) : len_ - pos_;
      if (static_cast<int64_t>(line.size() + take) > max_line_)
        throw Error("line is longer than " + std::to_string(max_line_) + " bytes; is this a CSV file?",
                    {name_, static_cast<int>(number_ + 1)});
      line.append(begin, take);
      pos_ += take;
      if (nl) {
        ++pos_;
        break;
      }
    }
    if (!any) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    line_number = ++number_;
    return true;
  }

 private:
  Source source_;
  std::string name_;
  int64_t max_line_;
  std::vector<char> chunk_;
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
  int64_t number_ = 0;
};

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool blank_line(const std::string& line) {
  for (char c : line)
    if (!is_blank(c)) return false;
  return true;
}

// A cell as shown in messages: trimmed, at most 40 bytes, control bytes escaped.
std::string shown(const std::string& cell) {
  std::string s;
  for (size_t i = 0; i < cell.size() && i < 40; ++i) {
    unsigned char c = static_cast<unsigned char>(cell[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    } else {
      s += static_cast<char>(c);
    }
  }
  if (cell.size() > 40) s += "...";
  return s;
}

// Splits one line at commas into trimmed cells; a cell in double quotes may
// hold commas and "" for a quote. `where` locates errors.
void split_cells(const std::string& line, std::vector<std::string>& cells, size_t& count, const SourceLocation& where) {
  count = 0;
  size_t i = 0;
  const size_t n = line.size();
  for (;;) {
    if (count == cells.size()) cells.emplace_back();
    std::string& cell = cells[count++];
    cell.clear();
    while (i < n && is_blank(line[i])) ++i;
    if (i < n && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= n) throw Error("cell " + std::to_string(count - 1) + " has no closing quote", where);
        if (line[i] == '"') {
          if (i + 1 < n && line[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell += line[i++];
      }
      while (i < n && is_blank(line[i])) ++i;
      if (i < n && line[i] != ',')
        throw Error("cell " + std::to_string(count - 1) + " has text after its closing quote", where);
    } else {
      size_t start = i;
      while (i < n && line[i] != ',') ++i;
      size_t end = i;
      while (end > start && is_blank(line[end - 1])) --end;
      cell.assign(line, start, end - start);
    }
    if (i >= n) return;
    ++i;  // the comma
  }
}

enum class Parsed { ok, not_a_number, overflow, empty };

// A float32 from the whole cell; `NA` is NaN. std::from_chars reads the
// common forms fast and rounds once; what it refuses or finds out of range
// (a leading '+', hex, underflow) goes to strtod in the C locale (the tool
// never sets another), which tells overflow from underflow.
Parsed parse_number(const std::string& cell, float& out) {
  if (cell.empty()) return Parsed::empty;
  if (cell.size() == 2 && cell[0] == 'N' && cell[1] == 'A') {
    out = std::nanf("");
    return Parsed::ok;
  }
  const char* last = cell.data() + cell.size();
  auto [end_fast, ec] = std::from_chars(cell.data(), last, out);
  if (ec == std::errc() && end_fast == last) return Parsed::ok;
  if (cell.size() > 400) return Parsed::not_a_number;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(cell.c_str(), &end);
  if (end != cell.c_str() + cell.size() || is_blank(cell[0])) return Parsed::not_a_number;
  if (errno == ERANGE && std::isinf(v)) return Parsed::overflow;  // ERANGE with a tiny v is underflow: keep it
  float f = static_cast<float>(v);
  if (std::isinf(f) && std::isfinite(v)) return Parsed::overflow;
  out = f;
  return Parsed::ok;
}

// Column index for a target spec: digits are an index, anything else a name.
int64_t resolve_target(const std::string& spec, const std::vector<std::string>& names, const std::string& file) {
  const int64_t cols = static_cast<int64_t>(names.size());
  bool digits = !spec.empty() && spec.size() <= 18;
  for (char c : spec) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    int64_t index = std::strtoll(spec.c_str(), nullptr, 10);
    if (index >= cols)
      throw Error("target column " + spec + " does not exist: the file has " + std::to_string(cols) +
                      " columns (0 to " + std::to_string(cols - 1) + ")",
                  {file});
    return index;
  }
  int64_t found = -1;
  for (int64_t c = 0; c < cols; ++c) {
    if (names[static_cast<size_t>(c)] != spec) continue;
    if (found >= 0) throw Error("target column name '" + spec + "' is ambiguous: more than one column has it", {file});
    found = c;
  }
  if (found < 0) {
    std::string list;
    for (int64_t c = 0; c < cols && c < 20; ++c) list += (c ? ", '" : "'") + names[static_cast<size_t>(c)] + "'";
    if (cols > 20) list += ", ...";
    throw Error("no column named '" + spec + "' (give a 0-based index or one of " + list + ")", {file});
  }
  return found;
}

}  // namespace

std::string CsvTable::column_str(int64_t col) const {
  return "column '" + names.at(static_cast<size_t>(col)) + "' (" + std::to_string(col) + ")";
}

std::vector<int64_t> CsvTable::feature_columns() const {
  std::vector<bool> is_target(names.size(), false);
  for (int64_t t : targets) is_target[static_cast<size_t>(t)] = true;
  std::vector<int64_t> out;
  for (int64_t c = 0; c < cols(); ++c)
    if (!is_target[static_cast<size_t>(c)]) out.push_back(c);
  return out;
}

namespace {

// `size_hint` is the input's size in bytes when known (else 0).
CsvTable read_table(LineReader& reader, const std::string& file, const CsvOptions& options, int64_t size_hint) {
  CsvTable t;
  t.file = file;
  std::string line;
  int64_t line_number = 0;
  std::vector<std::string> cells;
  size_t count = 0;

  bool got = reader.next(line, line_number);
  if (got && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 byte-order mark
  if (!got || blank_line(line)) {
    while (got && blank_line(line)) got = reader.next(line, line_number);
    if (!got) throw Error("the file is empty: expected a header row of column names, then rows of numbers", {file});
    throw Error("the first line is empty: expected a header row of column names", {file, 1});
  }
  split_cells(line, cells, count, {file, static_cast<int>(line_number)});
  t.names.assign(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(count));
  const int64_t cols = t.cols();

  std::vector<int8_t> is_target(static_cast<size_t>(cols), 0);
  for (const std::string& spec : options.targets) {
    int64_t c = resolve_target(spec, t.names, file);
    if (is_target[static_cast<size_t>(c)]) throw Error("target " + t.column_str(c) + " is given twice", {file});
    is_target[static_cast<size_t>(c)] = 1;
    t.targets.push_back(c);
  }

  const int64_t max_rows = options.max_table_bytes / (cols * static_cast<int64_t>(sizeof(float)));
  // A cell takes at least two bytes of the file (a digit and a separator), so
  // half the size bounds the cell count: reserving it once avoids the copies
  // of a growing vector, and pages never written are never committed.
  if (size_hint > 0) {
    int64_t cells = std::min(size_hint / 2 + 1, options.max_table_bytes / static_cast<int64_t>(sizeof(float)));
    try {
      t.values.reserve(static_cast<size_t>(cells));
    } catch (const std::bad_alloc&) {
      // Grow as we go instead.
    }
  }
  int64_t blank_at = 0;  // first empty line after the header, 0 when none so far
  while (reader.next(line, line_number)) {
    if (blank_line(line)) {
      if (blank_at == 0) blank_at = line_number;
      continue;
    }
    const int ln = static_cast<int>(std::min<int64_t>(line_number, INT32_MAX));
    if (blank_at)
      throw Error("line " + std::to_string(blank_at) + " is empty but rows follow it (empty lines are allowed only at the end)",
                  {file, static_cast<int>(std::min<int64_t>(blank_at, INT32_MAX))});
    if (t.rows >= max_rows)
      throw Error("the table is larger than " + std::to_string(options.max_table_bytes >> 20) +
                      " MiB as float32; split the file", {file, ln});
    split_cells(line, cells, count, {file, ln});
    if (static_cast<int64_t>(count) != cols)
      throw Error("the row has " + std::to_string(count) + (count == 1 ? " cell" : " cells") + " but the header has " +
                      std::to_string(cols) + " columns",
                  {file, ln});
    for (int64_t c = 0; c < cols; ++c) {
      const std::string& cell = cells[static_cast<size_t>(c)];
      float v = 0;
      switch (parse_number(cell, v)) {
        case Parsed::ok: break;
        case Parsed::empty: throw Error(t.column_str(c) + ": the cell is empty", {file, ln});
        case Parsed::overflow: throw Error(t.column_str(c) + ": '" + shown(cell) + "' overflows float32", {file, ln});
        case Parsed::not_a_number: throw Error(t.column_str(c) + ": '" + shown(cell) + "' is not a number", {file, ln});
      }
      if (is_target[static_cast<size_t>(c)]) {
        if (!std::isfinite(v))
          throw Error(t.column_str(c) + ": the target is '" + shown(cell) + "'; targets must be finite numbers", {file, ln});
        if (options.class_targets && (v < 0 || v != std::floor(v) || v >= 16777216.0f))
          throw Error(t.column_str(c) + ": the class index '" + shown(cell) +
                          "' is not a non-negative integer (below 2^24)",
                      {file, ln});
      }
      t.values.push_back(v);
    }
    ++t.rows;
    // Empty lines never reach here, so row r comes from line r + 2.
    WICK_ASSERT(CsvTable::line_of(t.rows - 1) == line_number, "CSV row and line numbers disagree");
  }
  if (t.rows == 0) throw Error("the file has a header row but no data rows", {file});
  return t;
}

}  // namespace

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw Error(std::string("cannot open the file: ") + std::strerror(errno), {path});
  FILE* raw = f.get();
  LineReader reader(
      [raw, &path](char* dst, size_t n) {
        size_t got = std::fread(dst, 1, n, raw);
        if (got < n && std::ferror(raw)) throw Error(std::string("cannot read the file: ") + std::strerror(errno), {path});
        return got;
      },
      path, options.max_line_bytes);
  struct stat st {};
  if (::fstat(::fileno(raw), &st) != 0) throw Error(std::string("cannot read the file: ") + std::strerror(errno), {path});
  if (S_ISDIR(st.st_mode)) throw Error("is a directory, not a CSV file", {path});
  const int64_t size = S_ISREG(st.st_mode) ? static_cast<int64_t>(st.st_size) : 0;  // pipes: unknown
  return read_table(reader, path, options, size);
}

CsvTable parse_csv(const std::string& text, const std::string& name, const CsvOptions& options) {
  size_t pos = 0;
  LineReader reader(
      [&text, &pos](char* dst, size_t n) {
        size_t k = std::min(n, text.size() - pos);
        std::memcpy(dst, text.data() + pos, k);
        pos += k;
        return k;
      },
      name, options.max_line_bytes);
  return read_table(reader, name, options, static_cast<int64_t>(text.size()));
}

}  // namespace wick::tools

//===- Csv.h - CSV data sets ------------------------------------*- C++ -*-===//
//
// Reads labeled samples from comma-separated (or other delimiter) text:
// one sample per record, one column holding the integer class label, every
// other column one input element. Fields may be quoted ("a, b", with ""
// for a quote, across lines too); CRLF line ends, blank lines and a header
// line are accepted. Whether the first record is a header is detected (it
// is when one of its fields is not a number) unless the caller decides.
// Every bad record is an Error naming the file, the line and the column.
// Files may be gzip-compressed.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CSV_H
#define KILN_RUNTIME_CSV_H

#include "kiln/runtime/Data.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln {
namespace runtime {

/// How to read a CSV file.
struct CsvOptions {
  char delimiter = ',';
  /// Column of the label (0-based); nullopt reads inputs only (predict).
  std::optional<int64_t> labelColumn = 0;
  /// nullopt: detect a header line; true/false: there is/is not one.
  std::optional<bool> header;
  /// Keep at most this many samples when >= 0.
  int64_t maxSamples = -1;
  /// loadCsv: map the text and convert the inputs chunk by chunk into a
  /// mapped temporary file (SpoolFile) instead of holding text and floats
  /// in memory. Same values, same errors.
  bool stream = false;
};

/// Parses CSV text; `name` names the file in errors. The result stores
/// float inputs.
Dataset parseCsv(const std::string &text, const std::string &name,
                 const CsvOptions &options);

/// Reads and parses the CSV file at `path` (plain or gzip).
Dataset loadCsv(const std::string &path, const CsvOptions &options);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_CSV_H

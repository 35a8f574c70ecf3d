//===- Csv.cpp - CSV data sets --------------------------------------------===//

#include "kiln/runtime/Csv.h"
#include "kiln/runtime/Data.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/MappedFile.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace kiln {
namespace runtime {

namespace {

/// Splits CSV text into records of fields, RFC 4180 style.
class CsvScanner {
public:
  CsvScanner(std::string_view text, const std::string &name, char delimiter)
      : text_(text), name_(name), delimiter_(delimiter) {}

  /// Reads the next non-blank record into `fields`; false at the end.
  /// `line()` is then the 1-based line the record starts on.
  bool next(std::vector<std::string> &fields) {
    while (pos_ < text_.size()) {
      line_ = nextLine_;
      fields.clear();
      if (text_[pos_] == '\n' || text_[pos_] == '\r') {
        skipLineEnd();
        continue; // A blank line.
      }
      readRecord(fields);
      return true;
    }
    return false;
  }

  int64_t line() const { return line_; }
  /// Bytes of the text consumed so far.
  size_t position() const { return pos_; }

private:
  void skipLineEnd() {
    if (text_[pos_] == '\r')
      ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n')
      ++pos_;
    ++nextLine_;
  }

  void readRecord(std::vector<std::string> &fields) {
    std::string field;
    while (true) {
      field.clear();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        ++pos_;
        while (true) {
          if (pos_ >= text_.size())
            fail("%s:%lld: unterminated quoted field", name_.c_str(),
                 static_cast<long long>(line_));
          char c = text_[pos_++];
          if (c == '"') {
            if (pos_ < text_.size() && text_[pos_] == '"') {
              field += '"';
              ++pos_;
              continue;
            }
            break;
          }
          if (c == '\n')
            ++nextLine_;
          field += c;
        }
        if (pos_ < text_.size() && text_[pos_] != delimiter_ &&
            text_[pos_] != '\n' && text_[pos_] != '\r')
          fail("%s:%lld: unexpected text after a quoted field",
               name_.c_str(), static_cast<long long>(line_));
      } else {
        size_t begin = pos_;
        while (pos_ < text_.size() && text_[pos_] != delimiter_ &&
               text_[pos_] != '\n' && text_[pos_] != '\r')
          ++pos_;
        field.assign(text_.data() + begin, pos_ - begin);
      }
      fields.push_back(field);
      if (pos_ < text_.size() && text_[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size())
        skipLineEnd();
      else
        ++nextLine_;
      return;
    }
  }

  std::string_view text_;
  const std::string &name_;
  char delimiter_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t nextLine_ = 1;
};

/// Parses a number, allowing surrounding spaces and a leading '+'.
bool parseFloat(const std::string &text, float &value) {
  size_t begin = 0, end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t'))
    ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t'))
    --end;
  if (begin < end && text[begin] == '+')
    ++begin;
  if (begin == end)
    return false;
  std::from_chars_result result =
      std::from_chars(text.data() + begin, text.data() + end, value);
  return result.ec == std::errc() && result.ptr == text.data() + end;
}

bool isNumericRecord(const std::vector<std::string> &fields) {
  float value;
  for (const std::string &field : fields)
    if (!parseFloat(field, value))
      return false;
  return true;
}

/// Floats gathered before they go to the spool file when streaming.
constexpr size_t kSpoolChunk = size_t(1) << 18;

/// Parses `text`. With `spool`, the inputs go there chunk by chunk instead
/// of staying in `floats`, and `source` (the mapped text) is released from
/// the resident set as the scanner moves through it.
Dataset parseCsvText(std::string_view text, const std::string &name,
                     const CsvOptions &options, SpoolFile *spool,
                     const MappedFile *source) {
  const char *file = name.c_str();
  CsvScanner scanner(text, name, options.delimiter);
  std::vector<std::string> fields;
  Dataset data;
  data.floatInputs = true;
  int64_t columns = -1;
  bool first = true;
  const int64_t labelColumn = options.labelColumn.value_or(-1);
  size_t released = 0;
  while (scanner.next(fields)) {
    const long long line = static_cast<long long>(scanner.line());
    if (first) {
      first = false;
      bool header = options.header ? *options.header : !isNumericRecord(fields);
      columns = static_cast<int64_t>(fields.size());
      if (labelColumn >= columns)
        fail("%s:%lld: --label-column %lld is out of range for %lld columns",
             file, line, static_cast<long long>(labelColumn),
             static_cast<long long>(columns));
      data.sampleElements = columns - (labelColumn >= 0 ? 1 : 0);
      if (data.sampleElements == 0)
        fail("%s:%lld: no input columns besides the label", file, line);
      if (header)
        continue;
    }
    if (options.maxSamples >= 0 && data.count >= options.maxSamples)
      break;
    if (static_cast<int64_t>(fields.size()) != columns)
      fail("%s:%lld: expected %lld fields, got %zu", file, line,
           static_cast<long long>(columns), fields.size());
    for (int64_t c = 0; c < columns; ++c) {
      float value;
      if (!parseFloat(fields[c], value) || !std::isfinite(value))
        fail("%s:%lld: column %lld: expected a number, got '%s'", file, line,
             static_cast<long long>(c), fields[c].c_str());
      if (c != labelColumn) {
        data.floats.push_back(value);
        continue;
      }
      if (value < 0 || value != std::floor(value) || value > 2147483647.0f)
        fail("%s:%lld: column %lld: expected a class label (an integer >= "
             "0), got '%s'",
             file, line, static_cast<long long>(c), fields[c].c_str());
      data.labels.push_back(static_cast<int32_t>(value));
    }
    ++data.count;
    if (spool && data.floats.size() >= kSpoolChunk) {
      spool->append(data.floats.data(), data.floats.size() * sizeof(float));
      data.floats.clear();
      if (source) {
        source->noteRead(scanner.position() - released);
        released = scanner.position();
      }
    }
  }
  if (data.count == 0)
    fail("%s: contains no samples", file);
  if (spool) {
    spool->append(data.floats.data(), data.floats.size() * sizeof(float));
    std::vector<float>().swap(data.floats);
    data.mapping = spool->map();
    data.mappedFloats = reinterpret_cast<const float *>(data.mapping->data());
  }
  return data;
}

} // namespace

Dataset parseCsv(const std::string &text, const std::string &name,
                 const CsvOptions &options) {
  return parseCsvText(text, name, options, nullptr, nullptr);
}

Dataset loadCsv(const std::string &path, const CsvOptions &options) {
  if (!options.stream)
    return parseCsv(readFileContents(path), path, options);
  std::shared_ptr<MappedFile> text = MappedFile::open(path);
  SpoolFile spool(path);
  Dataset data = parseCsvText(
      std::string_view(reinterpret_cast<const char *>(text->data()),
                       text->size()),
      path, options, &spool, text.get());
  text->release();
  return data;
}

} // namespace runtime
} // namespace kiln

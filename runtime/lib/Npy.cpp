//===- Npy.cpp - NumPy .npy arrays ----------------------------------------===//

#include "kiln/runtime/Npy.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/MappedFile.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace kiln {
namespace runtime {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

size_t typeSize(NpyType type) {
  switch (type) {
  case NpyType::U8:
    return 1;
  case NpyType::F32:
  case NpyType::I32:
    return 4;
  case NpyType::F64:
  case NpyType::I64:
    return 8;
  }
  return 1;
}

/// The value of `key` in the header dict: the text after "'key':" up to
/// the matching end (a quoted string, a tuple or a word).
std::string headerValue(const std::string &header, const std::string &key,
                        const char *file) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    fail("%s: .npy header has no '%s'", file, key.c_str());
  size_t colon = header.find(':', at);
  size_t begin = header.find_first_not_of(" ", colon + 1);
  if (colon == std::string::npos || begin == std::string::npos)
    fail("%s: malformed .npy header", file);
  size_t end;
  if (header[begin] == '\'') {
    end = header.find('\'', begin + 1);
    if (end == std::string::npos)
      fail("%s: malformed .npy header", file);
    return header.substr(begin + 1, end - begin - 1);
  }
  if (header[begin] == '(') {
    end = header.find(')', begin);
    if (end == std::string::npos)
      fail("%s: malformed .npy header", file);
    return header.substr(begin, end - begin + 1);
  }
  end = header.find_first_of(",}", begin);
  return header.substr(begin, end - begin);
}

NpyType parseDescr(const std::string &descr, const char *file) {
  if (descr.size() >= 2 && descr[0] == '>' && descr != ">u1" &&
      descr != ">i1")
    fail("%s: big-endian .npy data ('%s') is not supported; save it "
         "little-endian",
         file, descr.c_str());
  std::string kind = descr.size() >= 2 && (descr[0] == '<' || descr[0] == '|' ||
                                           descr[0] == '=' || descr[0] == '>')
                         ? descr.substr(1)
                         : descr;
  if (kind == "f4")
    return NpyType::F32;
  if (kind == "f8")
    return NpyType::F64;
  if (kind == "u1")
    return NpyType::U8;
  if (kind == "i4")
    return NpyType::I32;
  if (kind == "i8")
    return NpyType::I64;
  fail("%s: .npy element type '%s' is not supported; expected float32, "
       "float64, uint8, int32 or int64",
       file, descr.c_str());
}

std::vector<int64_t> parseShape(const std::string &tuple, const char *file) {
  std::vector<int64_t> shape;
  size_t pos = 1;
  while (pos < tuple.size()) {
    size_t begin = tuple.find_first_of("0123456789", pos);
    if (begin == std::string::npos)
      break;
    size_t end = tuple.find_first_not_of("0123456789", begin);
    if (end - begin > 15)
      fail("%s: implausible .npy shape %s", file, tuple.c_str());
    shape.push_back(std::stoll(tuple.substr(begin, end - begin)));
    pos = end;
  }
  return shape;
}

} // namespace

int64_t NpyArray::elements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

double NpyArray::at(int64_t i) const {
  const char *p = bytes();
  switch (type) {
  case NpyType::U8:
    return static_cast<uint8_t>(p[i]);
  case NpyType::F32: {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
  case NpyType::F64: {
    double v;
    std::memcpy(&v, p + 8 * i, 8);
    return v;
  }
  case NpyType::I32: {
    int32_t v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
  case NpyType::I64: {
    int64_t v;
    std::memcpy(&v, p + 8 * i, 8);
    return static_cast<double>(v);
  }
  }
  return 0;
}

/// Parses and validates the .npy file in bytes[0..size) into `array`,
/// except its data; returns the offset of the data.
static size_t parseNpyHeader(const char *bytes, size_t size,
                             const std::string &name, NpyArray &array) {
  const char *file = name.c_str();
  if (size < kMagicSize + 4 ||
      std::memcmp(bytes, kMagic, kMagicSize) != 0)
    fail("%s: not a NumPy .npy file (missing magic \"\\x93NUMPY\")", file);
  const uint8_t *u = reinterpret_cast<const uint8_t *>(bytes);
  const int major = u[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = u[8] | (size_t(u[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      fail("%s: truncated .npy header", file);
    headerLength = u[8] | (size_t(u[9]) << 8) | (size_t(u[10]) << 16) |
                   (size_t(u[11]) << 24);
    headerStart = 12;
  } else {
    fail("%s: .npy format version %d is not supported", file, major);
  }
  if (size < headerStart + headerLength)
    fail("%s: truncated .npy header", file);
  std::string header(bytes + headerStart, headerLength);

  array.type = parseDescr(headerValue(header, "descr", file), file);
  std::string order = headerValue(header, "fortran_order", file);
  if (order.find("True") != std::string::npos)
    fail("%s: Fortran-order .npy arrays are not supported; save a C-order "
         "array (numpy.ascontiguousarray)",
         file);
  array.shape = parseShape(headerValue(header, "shape", file), file);
  int64_t elements = 1;
  for (int64_t dim : array.shape) {
    if (dim != 0 && elements > (int64_t(1) << 40) / dim)
      fail("%s: implausibly large .npy shape", file);
    elements *= dim;
  }
  const size_t dataBytes = size_t(elements) * typeSize(array.type);
  const size_t available = size - headerStart - headerLength;
  if (available < dataBytes)
    fail("%s: truncated: expected %zu bytes of array data, got %zu", file,
         dataBytes, available);
  if (available > dataBytes)
    fail("%s: %zu unexpected bytes after the array data", file,
         available - dataBytes);
  return headerStart + headerLength;
}

NpyArray parseNpy(const std::string &bytes, const std::string &name) {
  NpyArray array;
  size_t offset = parseNpyHeader(bytes.data(), bytes.size(), name, array);
  array.data = bytes.substr(offset);
  return array;
}

NpyArray readNpy(const std::string &path, bool stream) {
  if (!stream)
    return parseNpy(readFileContents(path), path);
  NpyArray array;
  std::shared_ptr<MappedFile> file = MappedFile::open(path);
  const char *bytes = reinterpret_cast<const char *>(file->data());
  size_t offset = parseNpyHeader(bytes, file->size(), path, array);
  array.mapped = bytes + offset;
  array.mapping = std::move(file);
  return array;
}

namespace {

/// Converts the inputs of `x` (N x ...) into a Dataset without labels.
Dataset inputsFrom(const NpyArray &x, const std::string &path,
                   int64_t maxSamples) {
  if (x.shape.empty())
    fail("%s: expected an array of samples (N x ...), got a scalar",
         path.c_str());
  Dataset data;
  data.count = x.shape[0];
  if (maxSamples >= 0 && maxSamples < data.count)
    data.count = maxSamples;
  data.sampleElements = 1;
  for (size_t i = 1; i < x.shape.size(); ++i)
    data.sampleElements *= x.shape[i];
  if (data.count == 0)
    fail("%s: contains no samples", path.c_str());
  const int64_t total = data.count * data.sampleElements;
  if (x.type == NpyType::U8) {
    if (x.mapped) {
      data.mappedInputs = reinterpret_cast<const uint8_t *>(x.mapped);
      data.mapping = x.mapping;
    } else {
      data.inputs.assign(x.data.begin(), x.data.begin() + total);
    }
    return data;
  }
  data.floatInputs = true;
  if (x.type == NpyType::F32 && x.mapped &&
      reinterpret_cast<uintptr_t>(x.mapped) % alignof(float) == 0) {
    // Little-endian float32 is the stored form: serve it from the mapping.
    const float *floats = reinterpret_cast<const float *>(x.mapped);
    // The scan reads every page: let the mapping drop them as it goes.
    constexpr int64_t kScanChunk = int64_t(1) << 18;
    for (int64_t begin = 0; begin < total; begin += kScanChunk) {
      const int64_t end = std::min(total, begin + kScanChunk);
      for (int64_t i = begin; i < end; ++i)
        if (!std::isfinite(floats[i]))
          fail("%s: element %lld is not finite", path.c_str(),
               static_cast<long long>(i));
      x.mapping->noteRead(size_t(end - begin) * sizeof(float));
    }
    data.mappedFloats = floats;
    data.mapping = x.mapping;
    x.mapping->release();
    return data;
  }
  if (x.mapped) {
    // Other types (and a misaligned float32 array) are converted chunk by
    // chunk into a mapped temporary file: the same floats as below, never
    // all in memory.
    constexpr int64_t kChunk = int64_t(1) << 18;
    SpoolFile spool(path);
    std::vector<float> chunk;
    chunk.reserve(static_cast<size_t>(std::min(total, kChunk)));
    for (int64_t begin = 0; begin < total; begin += kChunk) {
      const int64_t end = std::min(total, begin + kChunk);
      chunk.clear();
      for (int64_t i = begin; i < end; ++i) {
        float value = static_cast<float>(x.at(i));
        if (!std::isfinite(value))
          fail("%s: element %lld is not finite", path.c_str(),
               static_cast<long long>(i));
        chunk.push_back(value);
      }
      spool.append(chunk.data(), chunk.size() * sizeof(float));
      x.mapping->noteRead(size_t(end - begin) * typeSize(x.type));
    }
    x.mapping->release();
    data.mapping = spool.map();
    data.mappedFloats = reinterpret_cast<const float *>(data.mapping->data());
    return data;
  }
  data.floats.resize(static_cast<size_t>(total));
  if (x.type == NpyType::F32) {
    std::memcpy(data.floats.data(), x.bytes(), size_t(total) * 4);
  } else {
    for (int64_t i = 0; i < total; ++i)
      data.floats[i] = static_cast<float>(x.at(i));
  }
  for (int64_t i = 0; i < total; ++i)
    if (!std::isfinite(data.floats[i]))
      fail("%s: element %lld is not finite", path.c_str(),
           static_cast<long long>(i));
  return data;
}

} // namespace

/// Float targets of `y` (N x ...), `elements` per sample.
static void loadTargets(Dataset &data, const NpyArray &y,
                        const std::string &yPath, int64_t elements) {
  int64_t perSample = 1;
  for (size_t i = 1; i < y.shape.size(); ++i)
    perSample *= y.shape[i];
  if (y.shape.empty() || perSample != elements)
    fail("%s: expected targets of %lld elements per sample (N x ...), got "
         "%lld",
         yPath.c_str(), static_cast<long long>(elements),
         static_cast<long long>(y.shape.empty() ? 0 : perSample));
  data.targetElements = elements;
  data.targets.resize(static_cast<size_t>(data.count * elements));
  for (int64_t i = 0, e = data.count * elements; i < e; ++i) {
    data.targets[i] = static_cast<float>(y.at(i));
    if (!std::isfinite(data.targets[i]))
      fail("%s: target element %lld is not finite", yPath.c_str(),
           static_cast<long long>(i));
  }
}

Dataset loadNpyDataset(const std::string &xPath, const std::string &yPath,
                       int64_t maxSamples, int64_t targetElements,
                       bool stream) {
  NpyArray x = readNpy(xPath, stream);
  NpyArray y = readNpy(yPath);
  if (targetElements > 0) {
    if (x.shape.empty() || y.shape.empty() || x.shape[0] != y.shape[0])
      fail("%s has %lld samples but %s has %lld targets", xPath.c_str(),
           static_cast<long long>(x.shape.empty() ? 0 : x.shape[0]),
           yPath.c_str(),
           static_cast<long long>(y.shape.empty() ? 0 : y.shape[0]));
    Dataset data = inputsFrom(x, xPath, maxSamples);
    loadTargets(data, y, yPath, targetElements);
    return data;
  }
  bool column = y.shape.size() == 2 && y.shape[1] == 1;
  if (y.shape.size() != 1 && !column)
    fail("%s: expected labels of shape (N,) or (N, 1), got %zu dimensions",
         yPath.c_str(), y.shape.size());
  if (x.shape.empty() || x.shape[0] != y.shape[0])
    fail("%s has %lld samples but %s has %lld labels", xPath.c_str(),
         static_cast<long long>(x.shape.empty() ? 0 : x.shape[0]),
         yPath.c_str(), static_cast<long long>(y.shape[0]));
  Dataset data = inputsFrom(x, xPath, maxSamples);
  data.labels.resize(static_cast<size_t>(data.count));
  for (int64_t i = 0; i < data.count; ++i) {
    double label = y.at(i);
    if (!(label >= 0 && label == std::floor(label) && label < 2147483648.0))
      fail("%s: label %lld is %g, expected a class index (an integer >= 0)",
           yPath.c_str(), static_cast<long long>(i), label);
    data.labels[i] = static_cast<int32_t>(label);
  }
  return data;
}

Dataset loadNpyInputs(const std::string &path, bool stream,
                      int64_t maxSamples) {
  return inputsFrom(readNpy(path, stream), path, maxSamples);
}

std::string encodeNpy(const std::vector<int64_t> &shape, const float *data) {
  std::string dims;
  int64_t elements = 1;
  for (int64_t dim : shape) {
    dims += std::to_string(dim) + ", ";
    elements *= dim;
  }
  if (shape.size() > 1)
    dims.resize(dims.size() - 1); // "(N, M)", but "(N,)" for one dimension.
  if (shape.size() > 1)
    dims.pop_back();
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so that the data starts at a multiple of 64 bytes.
  size_t total = kMagicSize + 4 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string bytes(kMagic, kMagicSize);
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(reinterpret_cast<const char *>(data),
               size_t(elements) * sizeof(float));
  return bytes;
}

void writeNpy(const std::string &path, const std::vector<int64_t> &shape,
              const float *data) {
  AtomicFile file(path);
  file.write(encodeNpy(shape, data));
  file.commit();
}

} // namespace runtime
} // namespace kiln

//===- Data.cpp - IDX data set readers ------------------------------------===//

#include "kiln/runtime/Data.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/MappedFile.h"
#include "kiln/runtime/Model.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kiln {
namespace runtime {

namespace {

/// Reads a plain or gzip file through zlib and turns every failure into an
/// Error naming the file.
class GzReader {
public:
  explicit GzReader(const std::string &path) : path_(path) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (!file_)
      fail("%s: cannot open: %s", path.c_str(),
           errno ? std::strerror(errno) : "out of memory");
    // A larger input buffer than zlib's default 8 KiB means fewer read
    // calls for the tens of megabytes of an image file.
    gzbuffer(file_, 1 << 17);
  }
  ~GzReader() { gzclose(file_); }
  GzReader(const GzReader &) = delete;
  GzReader &operator=(const GzReader &) = delete;

  /// Reads up to `size` bytes; returns fewer only at the end of the data.
  size_t read(void *buffer, size_t size) {
    size_t total = 0;
    char *out = static_cast<char *>(buffer);
    while (total < size) {
      // gzread takes an unsigned count; stay far below its int result range.
      unsigned chunk =
          static_cast<unsigned>(std::min<size_t>(size - total, 1u << 30));
      int got = gzread(file_, out + total, chunk);
      if (got > 0) {
        total += static_cast<size_t>(got);
        continue;
      }
      // zlib flags a stream that ends early (a truncated .gz) as Z_BUF_ERROR;
      // the caller reports that as truncation through the short count.
      int code = Z_OK;
      gzerror(file_, &code);
      if (code != Z_OK && code != Z_BUF_ERROR)
        reportError();
      break;
    }
    return total;
  }

  const std::string &path() const { return path_; }

private:
  [[noreturn]] void reportError() {
    int code = Z_OK;
    const char *message = gzerror(file_, &code);
    if (code == Z_ERRNO)
      message = std::strerror(errno);
    fail("%s: read error: %s", path_.c_str(), message);
  }

  std::string path_;
  gzFile file_;
};

/// Reads a mapped file with the interface of GzReader.
class MappedReader {
public:
  explicit MappedReader(const MappedFile &file) : file_(file) {}

  size_t read(void *buffer, size_t size) {
    size_t n = std::min(size, file_.size() - position_);
    if (n)
      std::memcpy(buffer, file_.data() + position_, n);
    position_ += n;
    return n;
  }
  /// Skips up to `size` bytes; returns how many there were.
  size_t skip(size_t size) {
    size_t n = std::min(size, file_.size() - position_);
    position_ += n;
    return n;
  }
  size_t position() const { return position_; }

private:
  const MappedFile &file_;
  size_t position_ = 0;
};

uint32_t readBigEndian32(const uint8_t *bytes) {
  return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) |
         (uint32_t(bytes[2]) << 8) | uint32_t(bytes[3]);
}

/// Largest data section accepted, far above any real data set; it keeps a
/// corrupt header from requesting absurd allocations or overflowing sizes.
constexpr int64_t kMaxIdxBytes = int64_t(1) << 40;

} // namespace

int64_t IdxData::itemElements() const {
  int64_t count = 1;
  for (size_t i = 1; i < dims.size(); ++i)
    count *= dims[i];
  return count;
}

namespace {

/// Reads and validates the IDX magic number and dimensions from `reader`
/// and sets data.dims and data.itemsRead; returns the declared data bytes.
template <typename Reader>
int64_t readIdxHeader(Reader &reader, const char *name, int expectedRank,
                      int64_t maxItems, IdxData &data) {

  uint8_t magicBytes[4];
  size_t got = reader.read(magicBytes, 4);
  if (got == 0)
    fail("%s: file is empty", name);
  if (got < 4)
    fail("%s: truncated: file ends inside the IDX magic number", name);
  uint32_t magic = readBigEndian32(magicBytes);
  if (expectedRank > 0) {
    uint32_t expected = 0x00000800u | uint32_t(expectedRank);
    if (magic != expected)
      fail("%s: expected magic 0x%08x, got 0x%08x", name, expected, magic);
  } else if ((magic & 0xffffff00u) != 0x00000800u || (magic & 0xffu) == 0) {
    fail("%s: expected the magic of an IDX file of unsigned bytes "
         "(0x000008NN), got 0x%08x",
         name, magic);
  }

  int rank = static_cast<int>(magic & 0xffu);
  std::vector<uint8_t> header(static_cast<size_t>(rank) * 4);
  if (reader.read(header.data(), header.size()) < header.size())
    fail("%s: truncated: file ends inside the IDX header", name);
  int64_t totalBytes = 1;
  for (int i = 0; i < rank; ++i) {
    int64_t dim = readBigEndian32(&header[static_cast<size_t>(i) * 4]);
    // Only the item count may be zero: an empty data set is well formed.
    if (dim == 0 && i > 0)
      fail("%s: dimension %d has size 0", name, i);
    data.dims.push_back(dim);
    if (dim != 0 && totalBytes > kMaxIdxBytes / dim)
      fail("%s: header declares an implausibly large data set", name);
    totalBytes *= dim;
  }

  data.itemsRead = data.dims[0];
  if (maxItems >= 0)
    data.itemsRead = std::min(data.itemsRead, maxItems);
  return totalBytes;
}

[[noreturn]] void failTruncated(const char *name, int64_t totalBytes,
                                int64_t have) {
  fail("%s: truncated: expected %lld bytes of data after the header, "
       "got %lld",
       name, static_cast<long long>(totalBytes), static_cast<long long>(have));
}

[[noreturn]] void failTrailing(const char *name, const IdxData &data) {
  fail("%s: unexpected data after the %lld items declared in the header",
       name, static_cast<long long>(data.dims[0]));
}

/// readIdxFile with `stream`: validates as the in-memory reader does, but
/// leaves the data in the mapping.
IdxData mapIdxFile(const std::string &path, int expectedRank,
                   int64_t maxItems) {
  const char *name = path.c_str();
  IdxData data;
  std::shared_ptr<MappedFile> file = MappedFile::open(path);
  MappedReader reader(*file);
  const int64_t totalBytes =
      readIdxHeader(reader, name, expectedRank, maxItems, data);
  const int64_t wanted = data.itemsRead * data.itemElements();
  const size_t start = reader.position();
  const int64_t have = static_cast<int64_t>(reader.skip(size_t(wanted)));
  if (have < wanted)
    failTruncated(name, totalBytes, have);
  if (data.itemsRead == data.dims[0] && reader.skip(1) != 0)
    failTrailing(name, data);
  data.mapped = file->data() + start;
  data.mapping = std::move(file);
  return data;
}

} // namespace

IdxData readIdxFile(const std::string &path, int expectedRank,
                    int64_t maxItems, bool stream) {
  if (stream)
    return mapIdxFile(path, expectedRank, maxItems);
  GzReader reader(path);
  const char *name = path.c_str();
  IdxData data;
  const int64_t totalBytes =
      readIdxHeader(reader, name, expectedRank, maxItems, data);
  const int64_t itemBytes = data.itemElements();

  // Fill the buffer as data arrives. Reserving what the header declares
  // costs only address space until pages are written, so a truncated file
  // still fails cheaply, and growing never copies (which used to double
  // the peak memory of loading).
  const int64_t wanted = data.itemsRead * itemBytes;
  data.bytes.reserve(static_cast<size_t>(wanted));
  const int64_t chunk = int64_t(16) << 20;
  int64_t have = 0;
  while (have < wanted) {
    int64_t next = std::min(wanted, have + chunk);
    data.bytes.resize(static_cast<size_t>(next));
    size_t n =
        reader.read(data.bytes.data() + have, static_cast<size_t>(next - have));
    have += static_cast<int64_t>(n);
    if (have < next)
      failTruncated(name, totalBytes, have);
  }

  if (data.itemsRead == data.dims[0]) {
    // Reading one more byte also makes zlib verify the gzip trailer (CRC and
    // length), so corruption anywhere in the stream is caught here.
    uint8_t extra;
    if (reader.read(&extra, 1) != 0)
      failTrailing(name, data);
  }
  return data;
}

void writeIdxFile(const std::string &path, const std::vector<int64_t> &dims,
                  const std::vector<uint8_t> &bytes) {
  std::vector<uint8_t> header;
  auto put32 = [&](uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8)
      header.push_back(static_cast<uint8_t>(value >> shift));
  };
  put32(0x00000800u | static_cast<uint32_t>(dims.size()));
  for (int64_t dim : dims)
    put32(static_cast<uint32_t>(dim));
  AtomicFile file(path);
  file.write(header.data(), header.size());
  file.write(bytes.data(), bytes.size());
  file.commit();
}

std::string readFileContents(const std::string &path) {
  GzReader reader(path);
  std::string text;
  const size_t chunk = size_t(1) << 20;
  size_t have = 0;
  while (true) {
    text.resize(have + chunk);
    size_t got = reader.read(&text[have], chunk);
    have += got;
    if (got < chunk)
      break;
  }
  text.resize(have);
  return text;
}

DataView DataView::slice(int64_t begin, int64_t length) const {
  DataView view = *this;
  if (view.inputs)
    view.inputs += begin * sampleElements;
  else
    view.floats += begin * sampleElements;
  if (view.labels)
    view.labels += begin;
  if (view.targets)
    view.targets += begin * targetElements;
  for (std::vector<ColumnView> *columns : {&view.moreInputs, &view.moreLabels})
    for (ColumnView &column : *columns)
      column.words += begin * column.elements;
  view.count = length;
  return view;
}

Dataset loadLabeledIdx(const std::string &imagesPath,
                       const std::string &labelsPath, int64_t maxSamples,
                       bool stream) {
  IdxData images = readIdxFile(imagesPath, 3, maxSamples, stream);
  IdxData labels = readIdxFile(labelsPath, 1, maxSamples);
  if (images.dims[0] != labels.dims[0])
    fail("%s has %lld images but %s has %lld labels", imagesPath.c_str(),
         static_cast<long long>(images.dims[0]), labelsPath.c_str(),
         static_cast<long long>(labels.dims[0]));
  if (images.itemsRead == 0)
    fail("%s: contains no samples", imagesPath.c_str());

  Dataset data;
  data.count = images.itemsRead;
  data.sampleElements = images.itemElements();
  data.inputs = std::move(images.bytes);
  data.mappedInputs = images.mapped;
  data.mapping = std::move(images.mapping);
  data.labels.assign(labels.bytes.begin(), labels.bytes.end());
  return data;
}

void checkDatasetForModel(const Dataset &data, const ModelInfo &model,
                          const std::string &imagesName,
                          const std::string &labelsName) {
  if (data.sampleElements != model.inputElements()) {
    const KilnModelDesc &desc = model.desc();
    fail("%s: samples have %lld elements but the model input %s has %lld",
         imagesName.c_str(), static_cast<long long>(data.sampleElements),
         formatShape(desc.input_rank, desc.input_shape).c_str(),
         static_cast<long long>(model.inputElements()));
  }
  if (model.floatTargets()) {
    // Targets come only from NumPy files; class indices from IDX or CSV
    // files do not fit a regression or one-hot loss.
    const KilnModelDesc &desc = model.desc();
    if (data.targets.empty() && data.count > 0 &&
        (!data.labels.empty() || model.targetElements() != 1))
      fail("%s: the model's loss (%s) takes float targets of shape %s per "
           "sample; give them as a NumPy array (--train-x X.npy --train-y "
           "Y.npy)",
           labelsName.c_str(), desc.loss_name,
           formatShape(desc.target_rank, desc.target_shape).c_str());
    if (!data.targets.empty() && data.targetElements != model.targetElements())
      fail("%s: targets have %lld elements per sample but the model's "
           "target shape %s has %lld",
           labelsName.c_str(), static_cast<long long>(data.targetElements),
           formatShape(desc.target_rank, desc.target_shape).c_str(),
           static_cast<long long>(model.targetElements()));
    return;
  }
  for (int64_t i = 0; i < static_cast<int64_t>(data.labels.size()); ++i)
    if (data.labels[i] < 0 || data.labels[i] >= model.numClasses())
      fail("%s: label %d of sample %lld is out of range for %lld classes",
           labelsName.c_str(), data.labels[i], static_cast<long long>(i),
           static_cast<long long>(model.numClasses()));
}

} // namespace runtime
} // namespace kiln

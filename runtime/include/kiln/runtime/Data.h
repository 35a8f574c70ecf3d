//===- Data.h - Data sets and IDX readers -----------------------*- C++ -*-===//
//
// Readers for the MNIST IDX layout, plain or gzip-compressed (zlib's gzread
// passes uncompressed files through unchanged, so one code path serves
// both). Everything read from disk is validated before use: magic number,
// dimensions, sizes, truncation, trailing bytes, image/label counts and the
// label range. Errors name the file and what is wrong.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_DATA_H
#define KILN_RUNTIME_DATA_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

class MappedFile;
class ModelInfo;

/// Magic numbers of IDX files of unsigned bytes: 0x0000 08 <rank>.
constexpr uint32_t kIdxLabelsMagic = 0x00000801;
constexpr uint32_t kIdxImagesMagic = 0x00000803;

/// The contents of an IDX file of unsigned bytes.
struct IdxData {
  /// Dimensions from the header; dims[0] counts the items.
  std::vector<int64_t> dims;
  /// Number of items actually read (at most dims[0]).
  int64_t itemsRead = 0;
  /// itemsRead * itemElements() bytes, unless the file is mapped.
  std::vector<uint8_t> bytes;
  /// With streaming: the mapped file and its first data byte.
  std::shared_ptr<const MappedFile> mapping;
  const uint8_t *mapped = nullptr;

  /// Elements of one item: the product of dims[1..].
  int64_t itemElements() const;
  /// The items' bytes, mapped or in memory.
  const uint8_t *data() const { return mapped ? mapped : bytes.data(); }
};

/// Reads the IDX file at `path`. `expectedRank` > 0 requires that rank (the
/// magic 0x0000080<rank>); 0 accepts any rank of unsigned bytes. Reads at
/// most `maxItems` items when it is >= 0; when reading everything, bytes
/// after the declared data are an error. With `stream`, the data stay in a
/// read-only mapping of the file (a gzip file is decompressed into an
/// unlinked temporary file first) instead of being read into `bytes`; the
/// validation and the errors are the same.
IdxData readIdxFile(const std::string &path, int expectedRank,
                    int64_t maxItems = -1, bool stream = false);

/// Writes an IDX file of unsigned bytes (uncompressed). Used by tests and
/// tools that produce inputs for `predict`.
void writeIdxFile(const std::string &path, const std::vector<int64_t> &dims,
                  const std::vector<uint8_t> &bytes);

/// One more array of a Dataset, for models with several inputs or outputs:
/// `elements` values per sample, float32 (inputs, float targets) or int32
/// (class indices), held as their 4-byte words so that gathering copies them
/// alike.
struct Column {
  int64_t elements = 0;
  std::vector<uint32_t> words;
};

/// Labeled samples: `count` inputs of `sampleElements` elements each,
/// stored as bytes (IDX, uint8 NumPy arrays) or as floats (CSV, other NumPy
/// types), whichever `floatInputs` says.
struct Dataset {
  int64_t count = 0;
  int64_t sampleElements = 0;
  bool floatInputs = false;
  std::vector<uint8_t> inputs;
  std::vector<float> floats;
  std::vector<int32_t> labels;
  /// With streaming: the file the inputs are mapped from, and the inputs
  /// in it (bytes or floats per `floatInputs`) instead of `inputs`/`floats`.
  std::shared_ptr<const MappedFile> mapping;
  const uint8_t *mappedInputs = nullptr;
  const float *mappedFloats = nullptr;
  /// Float targets (count x targetElements) instead of `labels`, for models
  /// whose loss takes them (regression, binary, one-hot).
  std::vector<float> targets;
  int64_t targetElements = 0;
  /// Models with several inputs or outputs: inputs 1, 2, ... and the
  /// labels of outputs 1, 2, ... (the fields above hold input 0 and the
  /// labels of output 0).
  std::vector<Column> moreInputs;
  std::vector<Column> moreLabels;
};

/// A Column seen from a DataView.
struct ColumnView {
  const uint32_t *words = nullptr;
  int64_t elements = 0;
};

/// A contiguous range of a Dataset; cheap to copy. Exactly one of `inputs`
/// and `floats` is set.
struct DataView {
  const uint8_t *inputs = nullptr;
  const float *floats = nullptr;
  const int32_t *labels = nullptr;
  const float *targets = nullptr;
  int64_t count = 0;
  int64_t sampleElements = 0;
  int64_t targetElements = 0;
  /// The mapping `inputs` or `floats` point into, if any: gathering tells it
  /// how much it read (MappedFile::noteRead).
  const MappedFile *mapping = nullptr;
  /// Dataset::moreInputs and moreLabels.
  std::vector<ColumnView> moreInputs;
  std::vector<ColumnView> moreLabels;

  DataView() = default;
  explicit DataView(const Dataset &data)
      : inputs(data.floatInputs    ? nullptr
               : data.mappedInputs ? data.mappedInputs
                                   : data.inputs.data()),
        floats(!data.floatInputs   ? nullptr
               : data.mappedFloats ? data.mappedFloats
                                   : data.floats.data()),
        labels(data.labels.data()),
        targets(data.targets.empty() ? nullptr : data.targets.data()),
        count(data.count), sampleElements(data.sampleElements),
        targetElements(data.targetElements), mapping(data.mapping.get()) {
    for (const Column &column : data.moreInputs)
      moreInputs.push_back({column.words.data(), column.elements});
    for (const Column &column : data.moreLabels)
      moreLabels.push_back({column.words.data(), column.elements});
  }

  /// Samples [begin, begin + length).
  DataView slice(int64_t begin, int64_t length) const;
};

/// Reads a whole plain or gzip-compressed file.
std::string readFileContents(const std::string &path);

/// Loads an image file and its label file, keeping the first `maxSamples`
/// samples when it is >= 0, and checks that both files hold the same
/// number of samples. With `stream`, the images stay mapped (readIdxFile).
Dataset loadLabeledIdx(const std::string &imagesPath,
                       const std::string &labelsPath, int64_t maxSamples,
                       bool stream = false);

/// Checks that samples fit the model: same input element count (a 28x28
/// image feeds a 784-element input) and labels below the number of classes.
/// The names are the files the data came from, for error messages.
void checkDatasetForModel(const Dataset &data, const ModelInfo &model,
                          const std::string &imagesName,
                          const std::string &labelsName);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_DATA_H

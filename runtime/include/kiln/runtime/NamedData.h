//===- NamedData.h - Data of models with named inputs and outputs -*- C++
//-*-===//
//
// A model with several inputs or outputs takes its data as one NumPy file
// per input (`--input NAME=FILE`) and per output (`--target NAME=FILE`).
// They load into one Dataset: input 0 and the labels of output 0 in its
// usual fields, the others as Columns, all checked against the model and
// against each other (same number of samples).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_NAMEDDATA_H
#define KILN_RUNTIME_NAMEDDATA_H

#include "kiln/runtime/Cli.h"
#include "kiln/runtime/Data.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace runtime {

class ModelInfo;

/// Where named data comes from and which flags named it, for messages.
struct NamedSources {
  const std::vector<NamedFile> &inputs;
  const std::vector<NamedFile> &targets;
  const char *inputFlag;  /// e.g. "--input"
  const char *targetFlag; /// e.g. "--target"
};

/// Loads one file per model input and, with `labeled`, one per model
/// output, keeping the first `maxSamples` samples when it is >= 0. Every
/// input and output must be named exactly once, by the names the model
/// gives them. With `stream`, input 0 stays mapped where it can
/// (loadNpyDataset); the further arrays are read into memory.
Dataset loadNamedData(const ModelInfo &model, const NamedSources &sources,
                      bool labeled, int64_t maxSamples, bool stream);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_NAMEDDATA_H

//===- FrechetCommand.h - The frechet command of a model --------*- C++ -*-===//
//
// `./model frechet --input A --reference B`: both sets are predicted, the
// values of one model output are taken as each sample's feature vector,
// and the Fréchet distance between the Gaussians fitted to the two sets
// (Frechet.h) is printed as `frechet_distance: D` (docs/cli.md).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_FRECHETCOMMAND_H
#define KILN_RUNTIME_FRECHETCOMMAND_H

#include <string>

namespace kiln {
namespace runtime {

class ModelInfo;
struct Options;

/// The reference set's file: --reference, --test-images, or the t10k
/// images of --data.
std::string frechetReferencePath(const Options &options);

/// Runs `frechet` with the parsed command line.
void runFrechet(const ModelInfo &model, const Options &options);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_FRECHETCOMMAND_H

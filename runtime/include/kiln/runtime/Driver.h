//===- Driver.h - Entry point of a compiled model's executable --*- C++ -*-===//
//
// runMain() is the whole program behind `./model`: it validates the
// descriptor, parses the command line, runs the command, and turns every
// failure into one `error: ...` line on stderr with exit status 1.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_DRIVER_H
#define KILN_RUNTIME_DRIVER_H

#include "kiln/runtime/abi.h"

#include <cstdint>
#include <string>

namespace kiln {
namespace runtime {

struct Dataset;
class ModelInfo;
struct Options;

/// Runs `./model <command> ...` for `desc`; returns the process exit status.
int runMain(const KilnModelDesc &desc, int argc, char **argv);

/// The threads of a run: `requested` (--threads) when it is positive, else
/// defaultThreadCount's for `model` at `batchSize` on the available cores,
/// weighing the training step's FLOPs against the parameters when
/// `training`. Several MPI ranks default to one thread each: ranks that
/// mpirun did not bind would each see, and oversubscribe, the same cores.
int runThreads(const ModelInfo &model, int64_t requested, int64_t batchSize,
               bool training);

/// Returns the IDX file `baseName` in `directory`, preferring the plain file
/// over `baseName.gz`; throws an Error when neither exists.
std::string findIdxFile(const std::string &directory,
                        const std::string &baseName);

/// Loads and checks the inputs of predict (and frechet): --input NAME=FILE
/// for each model input, or one --input FILE read as .npy, .csv (a label
/// column dropped) or IDX by its name, at most --max-samples of them.
Dataset loadPredictInputs(const ModelInfo &model, const Options &options);

/// `frechet` (FrechetCommand.cpp): predicts --input and the reference set,
/// takes one output as the features, prints the Fréchet distance.
void runFrechet(const ModelInfo &model, const Options &options);

/// The reference set's file of `frechet`: --reference, --test-images, or
/// the t10k images of --data.
std::string frechetReferencePath(const Options &options);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_DRIVER_H

//===- GanDriver.h - The commands of a compiled GAN -------------*- C++ -*-===//
//
// `./gan train` alternates the discriminator's and the generator's steps
// (KilnGanDesc) with seeded latent sampling, and `./gan generate` draws
// samples from a checkpoint. `summary` and `predict` are the ordinary
// commands: a GAN's model is its generator.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_GANDRIVER_H
#define KILN_RUNTIME_GANDRIVER_H

namespace kiln {
namespace runtime {

class ModelInfo;

/// Whether `command` is one that runGanCommand runs.
bool isGanCommand(const char *command);

/// Runs `argv[1]` (train, generate, or a command a GAN refuses) for a GAN
/// model; throws an Error on bad flags or data.
void runGanCommand(const ModelInfo &model, int argc, char **argv);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_GANDRIVER_H

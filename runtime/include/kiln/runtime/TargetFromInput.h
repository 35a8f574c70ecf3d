//===- TargetFromInput.h - Autoencoders: the input is the target -*- C++
//-*-===//
//
// `train --target input` and `evaluate --target input` train and score a
// model against its own input (an autoencoder): the labels of the model's
// output are exactly the float values the model receives for that sample,
// after --normalize (x * scale + offset) and before any layer of the model
// (a Rescaling layer inside the model does not rescale the targets). The
// batch assembly copies each converted input into the target buffer, so no
// second copy of the data set is stored and streaming works unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TARGETFROMINPUT_H
#define KILN_RUNTIME_TARGETFROMINPUT_H

#include <cstdint>
#include <string>

namespace kiln {
namespace runtime {

class ModelInfo;
struct Dataset;

/// Checks that the model can take its input as its target: one float input
/// and one output whose loss takes float targets with as many elements as
/// the input (28x28 feeds a 28x28x1 target). Throws a one-line Error
/// otherwise.
void checkTargetFromInput(const ModelInfo &model);

/// Checks that the targets `data` gives (its inputs through --normalize's
/// `scale` and `offset`) suit the model's loss: binary cross-entropy needs
/// targets in [0, 1]. `name` names the data's file in the message.
void checkInputTargets(const ModelInfo &model, const Dataset &data, float scale,
                       float offset, const std::string &name);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_TARGETFROMINPUT_H

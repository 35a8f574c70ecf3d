//===- GanAnalysis.h - Checking a GAN description ---------------*- C++ -*-===//
//
// A GAN description (`Model.gan` of schema/model.fbs) names two models, the
// generator and the discriminator, inline or by file. loadGan reads the
// files, checks that the two fit together (the generator's output is the
// discriminator's image; a conditional pair reads class indices), fills in
// the defaults and analyzes each network as an ordinary model.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTEND_GANANALYSIS_H
#define KILN_FRONTEND_GANANALYSIS_H

#include "kiln/Frontend/ModelAnalysis.h"
#include "kiln/Frontend/ModelDescription.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace kiln {

/// The GAN losses.
enum class GanLoss { NonSaturating, Hinge, WassersteinGP };

/// A checked GAN: each network's analysis and the roles of their inputs.
struct GanAnalysis {
  ModelAnalysis generator;
  ModelAnalysis discriminator;
  GanLoss loss = GanLoss::NonSaturating;
  int64_t latentDim = 0;
  /// One image, without the batch dimension.
  std::vector<int64_t> imageShape;
  /// Positions of the latent vector and (conditional) the class index
  /// among the generator's inputs, and of the image and the class index
  /// among the discriminator's; the class positions are -1 when the GAN is
  /// not conditional.
  int generatorLatentInput = 0;
  int generatorLabelInput = -1;
  int discriminatorImageInput = 0;
  int discriminatorLabelInput = -1;

  bool isConditional() const { return generatorLabelInput >= 0; }
};

/// The name of `loss` as the description spells it.
llvm::StringRef getGanLossName(GanLoss loss);

/// Completes and checks the GAN of `model` (whose `gan` is set), read from
/// `file`: loads the networks given by file, fills every default and
/// analyzes both networks. Errors name the file and the field.
llvm::Expected<GanAnalysis> loadGan(fb::ModelT &model, llvm::StringRef file);

} // namespace kiln

#endif // KILN_FRONTEND_GANANALYSIS_H

//===- RecurrentLayers.h - SimpleRNN, LSTM and GRU as kiln ops --*- C++ -*-===//
//
// Internal to the frontend: the parameters of the recurrent layers and
// their forward computation, unrolled over the (static) timesteps.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_RECURRENTLAYERS_H
#define KILN_LIB_FRONTEND_RECURRENTLAYERS_H

#include "kiln/Frontend/ModelAnalysis.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>

namespace kiln {

/// One parameter of a recurrent layer, in argument order.
struct RecurrentParam {
  std::string name;
  std::string initializer;
  llvm::SmallVector<int64_t> shape;
};

/// The parameters of a SimpleRNN, LSTM or GRU in Keras's order and layout:
/// `kernel` [features, gates·units], `recurrent_kernel` [units, gates·units]
/// and, with `use_bias`, `bias` ([gates·units]; [2, 3·units] for a GRU with
/// `reset_after`, input bias then recurrent bias). Gates are ordered as in
/// Keras: LSTM i, f, c, o; GRU z, r, h.
llvm::SmallVector<RecurrentParam> getRecurrentParams(const fb::LayerT &layer,
                                                     const LayerInfo &info);

/// The random state and stream of a recurrent layer's dropout masks in
/// training; a null `rng` (inference) draws none.
struct RecurrentDropout {
  mlir::Value rng;
  /// The layer's stream; its masks use `stream + (k << 32)`, k ≥ 1 per
  /// input/recurrent mask and gate, apart from every Dropout layer's.
  int64_t stream = 0;
};

/// Emits the layer on `input` (batch × timesteps × features) with
/// `params` (the arguments for getRecurrentParams's list): one input
/// projection and one recurrent product per timestep, the gates as
/// slices of them. The initial state is zero, so the first step skips the
/// recurrent product. `activation` emits an activation op; `dropout`
/// gives the masks' random state in training. With
/// `flipSequence`, a returned sequence is reversed in time (the backward
/// half of a Bidirectional, aligned with the forward half as Keras does).
/// A `mask` ([batch, timesteps, 1], 1.0 kept and 0.0 masked, in input
/// order) makes a masked timestep carry the state over unchanged and
/// output the previous output, or zeros with `zero_output_for_mask`.
mlir::Value emitRecurrentLayer(
    mlir::OpBuilder &builder, mlir::Location loc, const fb::LayerT &layer,
    const LayerInfo &info, mlir::ValueRange params, mlir::Value input,
    llvm::function_ref<mlir::Value(ActivationKind, mlir::Value)> activation,
    RecurrentDropout dropout = {}, bool flipSequence = false,
    mlir::Value mask = {});

/// The two directions of a Bidirectional layer: copies of `layer` named
/// `<name>/forward` and `<name>/backward` (which reads the other way), and
/// the info of the wrapped recurrent layer.
struct BidirectionalHalves {
  fb::LayerT forward, backward;
  LayerInfo info;
};
BidirectionalHalves getBidirectionalHalves(const fb::LayerT &layer,
                                           const LayerInfo &info);

} // namespace kiln

#endif // KILN_LIB_FRONTEND_RECURRENTLAYERS_H

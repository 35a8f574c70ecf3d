//===- KilnModuleBuilder.h - Emits one network as kiln ops ------*- C++ -*-===//
//
// The builder behind buildKilnModule, private to the frontend. A model is one
// network; a GAN (GanToKiln.cpp) is two, each emitted by its own builder into
// the same functions, so the builder exposes its parameter list and its layer
// walk on values that the caller provides.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_FRONTEND_KILNMODULEBUILDER_H
#define KILN_LIB_FRONTEND_KILNMODULEBUILDER_H

#include "kiln/Frontend/ModelAnalysis.h"
#include "kiln/Frontend/ModelDescription.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

namespace kiln {
namespace detail {

using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::StringRef;
using mlir::DictionaryAttr;
using mlir::Location;
using mlir::MLIRContext;
using mlir::ModuleOp;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::Type;
using mlir::Value;
using mlir::ValueRange;
namespace func = mlir::func;

/// One trainable parameter: an argument of both functions.
struct ParamSpec {
  std::string name;
  std::string initializer;
  RankedTensorType type;
  /// False for the parameters of a frozen layer (`trainable: false`) and
  /// for state.
  bool trainable = true;
  /// BatchNormalization's moving averages: not learned but replaced by
  /// the training step (`kiln.param = {..., state = true}`).
  bool state = false;
  /// The layer whose options (initializer arguments) the parameter has.
  const fb::LayerT *owner = nullptr;
};

class KilnModuleBuilder {
public:
  KilnModuleBuilder(const fb::ModelT &model, const ModelAnalysis &analysis,
                    MLIRContext &context, StringRef file)
      : model(model), analysis(analysis), context(context), file(file),
        builder(&context),
        fileLoc(mlir::FileLineColLoc::get(&context, file, 0, 0)) {}

  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> build();

  // The pieces a module of several networks (a GAN) is built from.

  /// Fills `params` in layer order; every name starts with `prefix`.
  void collectParams(llvm::StringRef prefix = "");
  llvm::ArrayRef<ParamSpec> getParams() const { return params; }
  /// The `kiln.param` attribute of parameter `i`; frozen (`trainable =
  /// false`) when `forceFrozen`.
  mlir::DictionaryAttr buildParamAttr(size_t i, bool forceFrozen = false);
  /// Emits every layer on `params` (one value per parameter) and `inputs`
  /// (one per model input); returns the model's outputs, in order. In
  /// training mode (`rng` set) random layers are active. BatchNormalization
  /// uses the batch's statistics when `training` and then records its new
  /// moving averages in `stateUpdates`; a later call continues from them
  /// (as a shared layer's calls do) until clearStateUpdates().
  llvm::SmallVector<mlir::Value, 1> emitLayers(mlir::ValueRange params,
                                               mlir::ValueRange inputs,
                                               mlir::Value rng, bool training);
  /// The new value of state parameter `i` from the training-mode
  /// emitLayers calls so far, or null.
  mlir::Value getStateUpdate(unsigned i) const {
    return stateUpdates.lookup(i);
  }
  void clearStateUpdates() { stateUpdates.clear(); }
  /// Adds the weight and activity regularizers' penalties of the last
  /// emitLayers to `loss`.
  mlir::Value addRegularization(mlir::Value loss);
  /// The `layers` entry of `kiln.model` (the table `summary` prints), each
  /// layer name after `prefix`.
  mlir::ArrayAttr buildLayersAttr(llvm::StringRef prefix = "");
  /// The `optimizer` entry of `kiln.model`.
  mlir::DictionaryAttr buildOptimizerAttr(const fb::OptimizerT &optimizer);
  /// The tensor type of a batch of samples of `sampleShape`.
  mlir::RankedTensorType batchType(llvm::ArrayRef<int64_t> sampleShape);
  mlir::OpBuilder &getBuilder() { return builder; }

private:
  /// Appends the parameters `layer` owns to `params`.
  void collectLayerParams(const fb::LayerT &layer, const LayerInfo &info);
  Location layerLoc(size_t index);
  /// Adds a function taking the parameters, the model inputs and
  /// `extraInputs`, with the argument attributes of the contract.
  func::FuncOp createFunction(ModuleOp module, StringRef name,
                              ArrayRef<Type> extraInputs,
                              ArrayRef<Type> results);
  Value emitActivation(ActivationKind kind, Value input, Location loc);
  /// Emits both directions of Bidirectional layer `index` on `input` (with
  /// its Keras `mask`, or null) and merges them.
  Value emitBidirectional(size_t index, Value input, Value mask, Value rng,
                          Location loc);
  /// Emits a merge layer (Add, Subtract, Multiply, Average, Concatenate)
  /// of `inputs`.
  Value emitMerge(const fb::LayerT &layer, const LayerInfo &info,
                  ArrayRef<Value> inputs, Location loc);
  /// Emits a global pooling layer as one pooling window over the whole
  /// sample (1-D samples are viewed as images of height 1), reshaped to the
  /// layer's output.
  Value emitGlobalPooling(const LayerInfo &info, Value input, Location loc);
  /// The mask of a Concatenate of `[timesteps, features]` sequences, some
  /// with a mask (`inputMasks`, null for none), as Keras 3 computes it.
  Value emitConcatenateMask(const fb::LayerT &layer, ValueRange inputs,
                            ArrayRef<Value> inputMasks, Location loc);
  /// Emits ZeroPadding2D (`kiln.slice_grad`, placing the image into zeros)
  /// or Cropping2D (`kiln.slice`), one op per padded or cropped axis.
  Value emitMargins(const fb::LayerT &layer, const LayerInfo &info, Value input,
                    Location loc);
  void buildForward(ModuleOp module);
  /// `@loss` (training mode) or `@evaluate` (inference mode).
  void buildLoss(ModuleOp module, bool training);
  DictionaryAttr buildModelAttr();

  const fb::ModelT &model;
  const ModelAnalysis &analysis;
  MLIRContext &context;
  StringRef file;
  OpBuilder builder;
  Location fileLoc;
  SmallVector<ParamSpec> params;
  /// The values emitLayers reads: parameters and model inputs.
  SmallVector<Value> paramArgs, inputArgs;
  /// Parameter `i`, as emitLayers was given it.
  Value param(unsigned i) const { return paramArgs[i]; }
  /// The outputs of the layers with an activity regularizer, with the
  /// layer's index, from the last emitLayers.
  SmallVector<std::pair<Value, size_t>> activityTerms;
  /// Index in `params` of each layer's first parameter (of its owner's,
  /// for a shared layer).
  SmallVector<unsigned> firstParam;
  /// Number of parameters of each layer (of its owner's).
  SmallVector<unsigned> numParams;
  /// The new values of the state parameters, by parameter index, that the
  /// last training-mode emitLayers computed.
  llvm::DenseMap<unsigned, Value> stateUpdates;
};

} // namespace detail
} // namespace kiln

#endif // KILN_LIB_FRONTEND_KILNMODULEBUILDER_H

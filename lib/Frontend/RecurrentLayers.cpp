//===- RecurrentLayers.cpp - SimpleRNN, LSTM and GRU as kiln ops ----------===//
//
// The timesteps are static, so the time loop is unrolled into kiln ops at
// compile time and `kiln-autodiff` derives backpropagation through time
// from the ordinary rules of matmul, add, mul, slice and the activations.
// Each step multiplies its input row by the kernel and the previous state
// by the recurrent kernel once for all gates; the gates are slices of
// those products. Keras's equations and defaults are followed exactly,
// gate order and bias layout included, so that weights are interchangeable.
//
//===----------------------------------------------------------------------===//

#include "RecurrentLayers.h"

#include "kiln/Dialect/Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>

using namespace ::kiln;
using llvm::ArrayRef;
using llvm::SmallVector;
using mlir::Location;
using mlir::OpBuilder;
using mlir::RankedTensorType;
using mlir::ShapedType;
using mlir::Value;
using mlir::ValueRange;
namespace kd = mlir::kiln;

static int64_t gateCount(LayerKind kind) {
  return kind == LayerKind::LSTM ? 4 : kind == LayerKind::GRU ? 3 : 1;
}

SmallVector<RecurrentParam> kiln::getRecurrentParams(const fb::LayerT &layer,
                                                     const LayerInfo &info) {
  int64_t units = layer.units, gates = gateCount(info.kind);
  SmallVector<RecurrentParam> params = {{layer.name + "/kernel",
                                         layer.kernel_initializer,
                                         {info.inputShape[1], gates * units}},
                                        {layer.name + "/recurrent_kernel",
                                         layer.recurrent_initializer,
                                         {units, gates * units}}};
  if (!layer.use_bias)
    return params;
  std::string biasInit = layer.bias_initializer;
  // Keras's unit_forget_bias: the forget gate's quarter starts at one.
  if (info.kind == LayerKind::LSTM && layer.unit_forget_bias &&
      biasInit == "zeros")
    biasInit = "unit_forget_bias";
  SmallVector<int64_t> biasShape = {gates * units};
  if (info.kind == LayerKind::GRU && layer.reset_after)
    biasShape = {2, gates * units};
  params.push_back({layer.name + "/bias", biasInit, biasShape});
  return params;
}

namespace {
/// Emits one recurrent layer; `state` is null before the first step (a zero
/// state whose products are skipped).
class RecurrentEmitter {
public:
  RecurrentEmitter(OpBuilder &b, Location loc, const fb::LayerT &layer,
                   const LayerInfo &info,
                   llvm::function_ref<Value(ActivationKind, Value)> act,
                   RecurrentDropout dropout)
      : b(b), loc(loc), layer(layer), info(info), act(act), units(layer.units),
        dropout(dropout) {}

  Value emit(ValueRange params, Value input, bool flipSequence, Value mask);

private:
  /// A batch of vectors of `width` elements.
  RankedTensorType rowsType(int64_t width) {
    return RankedTensorType::get({ShapedType::kDynamic, width}, b.getF32Type());
  }
  /// Gate `gate` (units wide) of the last dimension of `value`.
  Value gate(Value value, int64_t gate) {
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<int64_t> shape(type.getShape());
    int64_t dim = type.getRank() - 1;
    shape[dim] = units;
    return kd::SliceOp::create(
        b, loc, RankedTensorType::get(shape, b.getF32Type()), value,
        b.getI64IntegerAttr(dim), b.getI64IntegerAttr(gate * units));
  }
  Value matmul(Value lhs, Value rhs) {
    int64_t width = cast<RankedTensorType>(rhs.getType()).getDimSize(1);
    return kd::MatmulOp::create(b, loc, rowsType(width), lhs, rhs);
  }
  Value add(Value lhs, Value rhs) {
    return kd::AddOp::create(b, loc, lhs.getType(), lhs, rhs);
  }
  Value mul(Value lhs, Value rhs) {
    return kd::MulOp::create(b, loc, lhs.getType(), lhs, rhs);
  }
  /// `scale · x + offset`.
  Value affine(Value x, float scale, float offset) {
    return kd::ScaleOp::create(b, loc, x.getType(), x, b.getF32FloatAttr(scale),
                               b.getF32FloatAttr(offset));
  }
  Value activation(Value x) { return act(info.activation, x); }
  Value recurrentActivation(Value x) {
    return act(info.recurrentActivation, x);
  }

  /// The masks of a step: none without `rng` or for a zero rate; one per
  /// gate when Keras 3 runs the cell as its implementation 1 (LSTM, GRU
  /// with `recurrent_dropout`, or `implementation` 1), else one shared.
  void chooseMasks();
  /// `value` times mask `gate` of `group` (0: input, 1: recurrent). The
  /// mask is one kiln.dropout stream per layer, group and gate: the same
  /// op on the [batch, width] rows of every step draws the same mask, so
  /// the mask is drawn once per sequence, as Keras draws it.
  Value drop(Value value, unsigned group, unsigned gate) {
    float rate = group == 0 ? layer.dropout : layer.recurrent_dropout;
    int64_t stream =
        dropout.stream + (static_cast<int64_t>(1 + 8 * group + gate) << 32);
    return kd::DropoutOp::create(b, loc, value, dropout.rng,
                                 b.getF32FloatAttr(rate),
                                 b.getI64IntegerAttr(stream));
  }
  /// The step's input row by the kernel, each gate's columns reading the
  /// row through that gate's mask.
  Value inputProduct(Value xt, Value kernel);
  /// The state by gates [first, first + count) of the recurrent kernel
  /// (`fused`: those gates' columns), each through its recurrent mask.
  Value recurrentProduct(Value h, Value fused, unsigned first, unsigned count);
  Value concatGates(ArrayRef<Value> parts) {
    if (parts.size() == 1)
      return parts.front();
    return kd::ConcatOp::create(b, loc, rowsType(parts.size() * units), parts,
                                b.getI64IntegerAttr(1));
  }

  /// `m · next + (1 - m) · previous` for a 0/1 mask `m` (and its
  /// complement `keep`): exact for both values, and differentiable in
  /// every operand by the ordinary rules. A null `previous` is the zero
  /// initial state.
  Value select(Value m, Value keep, Value next, Value previous) {
    Value kept = mul(next, m);
    return previous ? add(kept, mul(previous, keep)) : kept;
  }

  void stepSimple(Value xw);
  void stepLstm(Value xw);
  void stepGru(Value xw);

  OpBuilder &b;
  Location loc;
  const fb::LayerT &layer;
  const LayerInfo &info;
  llvm::function_ref<Value(ActivationKind, Value)> act;
  int64_t units;
  /// Parameters, and the parts of them the GRU reads.
  Value recurrentKernel, bias, recurrentBias, gateKernel, candidateKernel;
  /// The state after the last emitted step (h; c for an LSTM).
  Value state, cell;
  RecurrentDropout dropout;
  /// Number of input and recurrent masks (0, 1 or one per gate), and the
  /// kernels' gate columns when the masks are per gate.
  unsigned inputMasks = 0, recurrentMasks = 0;
  SmallVector<Value> kernelGates, recurrentGates;
};
} // namespace

void RecurrentEmitter::chooseMasks() {
  if (!dropout.rng)
    return;
  unsigned gates = gateCount(info.kind);
  bool perGate = gates > 1 &&
                 (layer.recurrent_dropout > 0.0f || layer.implementation == 1);
  if (layer.dropout > 0.0f)
    inputMasks = perGate ? gates : 1;
  if (layer.recurrent_dropout > 0.0f)
    recurrentMasks = gates;
}

Value RecurrentEmitter::inputProduct(Value xt, Value kernel) {
  if (inputMasks == 0)
    return matmul(xt, kernel);
  if (inputMasks == 1)
    return matmul(drop(xt, 0, 0), kernel);
  SmallVector<Value> parts;
  for (unsigned g = 0; g < inputMasks; ++g)
    parts.push_back(matmul(drop(xt, 0, g), kernelGates[g]));
  return concatGates(parts);
}

Value RecurrentEmitter::recurrentProduct(Value h, Value fused, unsigned first,
                                         unsigned count) {
  if (recurrentMasks == 0)
    return matmul(h, fused);
  if (recurrentMasks == 1)
    return matmul(drop(h, 1, 0), fused);
  SmallVector<Value> parts;
  for (unsigned g = first; g < first + count; ++g)
    parts.push_back(matmul(drop(h, 1, g), recurrentGates[g]));
  return concatGates(parts);
}

/// h = act(x·W + b + h·U).
void RecurrentEmitter::stepSimple(Value xw) {
  Value z =
      state ? add(xw, recurrentProduct(state, recurrentKernel, 0, 1)) : xw;
  state = activation(z);
}

/// z = x·W + b + h·U; i, f, o = ra(z_i), ra(z_f), ra(z_o);
/// c = f·c + i·act(z_c); h = o·act(c).
void RecurrentEmitter::stepLstm(Value xw) {
  Value z =
      state ? add(xw, recurrentProduct(state, recurrentKernel, 0, 4)) : xw;
  Value i = recurrentActivation(gate(z, 0));
  Value g = activation(gate(z, 2));
  Value o = recurrentActivation(gate(z, 3));
  Value ig = mul(i, g);
  if (cell) {
    Value f = recurrentActivation(gate(z, 1));
    cell = add(mul(f, cell), ig);
  } else {
    cell = ig; // The forget gate multiplies the zero initial cell.
  }
  state = mul(o, activation(cell));
}

/// Keras's GRU, gates z, r, h. With reset_after the reset gate scales the
/// recurrent product (plus its own bias): ĥ = act(x_h + r·(h·U_h + b'_h));
/// without it the reset state is multiplied: ĥ = act(x_h + (r·h)·U_h).
/// Then h = z·h + (1 - z)·ĥ = ĥ + z·(h - ĥ).
void RecurrentEmitter::stepGru(Value xw) {
  Value xz = gate(xw, 0), xr = gate(xw, 1), xh = gate(xw, 2);
  Value z, candidate;
  if (layer.reset_after) {
    // The recurrent product, or only its bias while the state is zero.
    Value hu = state ? recurrentProduct(state, recurrentKernel, 0, 3) : Value();
    if (hu && recurrentBias)
      hu = add(hu, recurrentBias);
    else if (!hu)
      hu = recurrentBias;
    z = recurrentActivation(hu ? add(xz, gate(hu, 0)) : xz);
    Value pre = xh;
    if (hu) {
      Value r = recurrentActivation(add(xr, gate(hu, 1)));
      pre = add(xh, mul(r, gate(hu, 2)));
    }
    candidate = activation(pre);
  } else if (state) {
    Value hu = recurrentProduct(state, gateKernel, 0, 2);
    z = recurrentActivation(add(xz, gate(hu, 0)));
    Value r = recurrentActivation(add(xr, gate(hu, 1)));
    // Keras masks the state read by the candidate with its own mask; the
    // update below mixes the unmasked state.
    Value read = recurrentMasks ? drop(state, 1, 2) : state;
    candidate = activation(add(xh, matmul(mul(r, read), candidateKernel)));
  } else {
    // A zero state: r·h vanishes, so r is never needed.
    z = recurrentActivation(xz);
    candidate = activation(xh);
  }
  if (state)
    state = add(candidate, mul(z, add(state, affine(candidate, -1.0f, 0.0f))));
  else
    state = mul(affine(z, -1.0f, 1.0f), candidate);
}

Value RecurrentEmitter::emit(ValueRange params, Value input, bool flipSequence,
                             Value mask) {
  Value kernel = params[0];
  recurrentKernel = params[1];
  int64_t gates = gateCount(info.kind);
  auto f32 = b.getF32Type();
  if (layer.use_bias) {
    bias = params[2];
    if (info.kind == LayerKind::GRU && layer.reset_after) {
      auto row = RankedTensorType::get({gates * units}, f32);
      recurrentBias =
          kd::SliceOp::create(b, loc, row, params[2], b.getI64IntegerAttr(0),
                              b.getI64IntegerAttr(1));
      bias = kd::SliceOp::create(b, loc, row, params[2], b.getI64IntegerAttr(0),
                                 b.getI64IntegerAttr(0));
    }
  }
  if (info.kind == LayerKind::GRU && !layer.reset_after) {
    // U = [U_z U_r | U_h]: z and r read h, the candidate reads r·h.
    gateKernel = kd::SliceOp::create(
        b, loc, RankedTensorType::get({units, 2 * units}, f32), recurrentKernel,
        b.getI64IntegerAttr(1), b.getI64IntegerAttr(0));
    candidateKernel = kd::SliceOp::create(
        b, loc, RankedTensorType::get({units, units}, f32), recurrentKernel,
        b.getI64IntegerAttr(1), b.getI64IntegerAttr(2 * units));
  }

  chooseMasks();
  for (unsigned g = 0; inputMasks > 1 && g < gates; ++g)
    kernelGates.push_back(gate(kernel, g));
  for (unsigned g = 0; recurrentMasks > 1 && g < gates; ++g)
    recurrentGates.push_back(gate(recurrentKernel, g));

  int64_t steps = info.inputShape[0], features = info.inputShape[1];
  // The mask widened once to the state's units, and its complement; each
  // step slices its row of both.
  Value wideMask, wideKeep;
  if (mask) {
    auto wideType =
        RankedTensorType::get({ShapedType::kDynamic, steps, units}, f32);
    wideMask = kd::AnyNotEqualOp::create(b, loc, wideType, mask,
                                         b.getF32FloatAttr(0.0f));
    wideKeep = affine(wideMask, -1.0f, 1.0f);
  }
  // Without input dropout, x·W + b of every timestep comes from one matmul
  // over the rows of all timesteps: one large product for the tuned matmul
  // code instead of `steps` small ones (and one kernel gradient, from the
  // steps' gradients joined back into one tensor).
  Value projected;
  if (inputMasks == 0) {
    Value rows = kd::BatchReshapeOp::create(b, loc, rowsType(features), input);
    Value all = matmul(rows, kernel);
    if (bias)
      all = add(all, bias);
    projected = kd::BatchReshapeOp::create(
        b, loc,
        RankedTensorType::get({ShapedType::kDynamic, steps, gates * units},
                              f32),
        all);
  }
  SmallVector<Value> outputs;
  auto stepType = RankedTensorType::get({ShapedType::kDynamic, 1, units}, f32);
  Value output;
  for (int64_t s = 0; s < steps; ++s) {
    int64_t t = layer.go_backwards ? steps - 1 - s : s;
    Value xw;
    if (projected) {
      xw = kd::SliceOp::create(b, loc, rowsType(gates * units), projected,
                               b.getI64IntegerAttr(1), b.getI64IntegerAttr(t));
    } else {
      Value xt =
          kd::SliceOp::create(b, loc, rowsType(features), input,
                              b.getI64IntegerAttr(1), b.getI64IntegerAttr(t));
      xw = inputProduct(xt, kernel);
      if (bias)
        xw = add(xw, bias);
    }
    Value previousState = state, previousCell = cell;
    switch (info.kind) {
    case LayerKind::LSTM:
      stepLstm(xw);
      break;
    case LayerKind::GRU:
      stepGru(xw);
      break;
    default:
      stepSimple(xw);
      break;
    }
    output = state;
    if (mask) {
      // A masked step keeps the state (and cell); the output of these
      // cells is their state, so the carried state is also Keras's
      // "previous output".
      Value m =
          kd::SliceOp::create(b, loc, rowsType(units), wideMask,
                              b.getI64IntegerAttr(1), b.getI64IntegerAttr(t));
      Value keep =
          kd::SliceOp::create(b, loc, rowsType(units), wideKeep,
                              b.getI64IntegerAttr(1), b.getI64IntegerAttr(t));
      state = select(m, keep, state, previousState);
      if (cell)
        cell = select(m, keep, cell, previousCell);
      output = layer.zero_output_for_mask ? mul(state, m) : state;
    }
    if (layer.return_sequences)
      outputs.push_back(kd::ReshapeOp::create(b, loc, stepType, output));
  }
  if (!layer.return_sequences)
    return output;
  if (flipSequence)
    std::reverse(outputs.begin(), outputs.end());
  auto sequenceType =
      RankedTensorType::get({ShapedType::kDynamic, steps, units}, f32);
  return kd::ConcatOp::create(b, loc, sequenceType, outputs,
                              b.getI64IntegerAttr(1));
}

Value kiln::emitRecurrentLayer(
    OpBuilder &builder, Location loc, const fb::LayerT &layer,
    const LayerInfo &info, ValueRange params, Value input,
    llvm::function_ref<Value(ActivationKind, Value)> activation,
    RecurrentDropout dropout, bool flipSequence, Value mask) {
  return RecurrentEmitter(builder, loc, layer, info, activation, dropout)
      .emit(params, input, flipSequence, mask);
}

BidirectionalHalves kiln::getBidirectionalHalves(const fb::LayerT &layer,
                                                 const LayerInfo &info) {
  BidirectionalHalves halves{layer, layer, info};
  halves.forward.name = layer.name + "/forward";
  halves.backward.name = layer.name + "/backward";
  halves.backward.go_backwards = !layer.go_backwards;
  halves.info.kind = info.wrappedKind;
  // The wrapped layer's own output: half the concatenation.
  halves.info.outputShape.back() = layer.units;
  return halves;
}

//===- VectorIsaTest.cpp - Update rules agree bitwise across ISAs ---------===//
//
// The update rules run with the widest vector instruction set the CPU has.
// Each rule, run through every supported instruction set on the same
// inputs, must give the baseline loops' floats bit for bit: otherwise a
// checkpoint resumed on another machine, or a run compared with one, would
// drift.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/Random.h"
#include "kiln/runtime/UpdateRules.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

using namespace kiln::runtime;

namespace {

/// Not a multiple of any vector width, so that the remainder loops run too.
constexpr int64_t kCount = 1037;

/// Values spanning several magnitudes and both signs, some exactly zero.
std::vector<float> randomValues(uint64_t stream, bool positive) {
  Rng rng(12345, stream);
  std::vector<float> values(kCount);
  for (int64_t i = 0; i < kCount; ++i) {
    float unit = static_cast<float>(rng.next() >> 40) / float(1 << 24);
    float magnitude = unit * std::ldexp(1.0f, int(rng.next() % 20) - 14);
    bool negative = !positive && (rng.next() & 1);
    values[i] = i % 97 == 0 ? 0.0f : (negative ? -magnitude : magnitude);
  }
  return values;
}

/// Every buffer a rule may touch: parameter, gradient and three slots.
struct State {
  std::vector<float> param = randomValues(1, false);
  std::vector<float> grad = randomValues(2, false);
  std::vector<float> s0 = randomValues(3, true);
  std::vector<float> s1 = randomValues(4, true);
  std::vector<float> s2 = randomValues(5, true);

  std::vector<const std::vector<float> *> all() const {
    return {&param, &grad, &s0, &s1, &s2};
  }
};

using Rule = std::function<void(State &)>;

/// Applies `rule` three times (so that the slots carry state) with `isa`.
State runWith(VectorIsa isa, const Rule &rule) {
  const VectorIsa previous = activeVectorIsa();
  setVectorIsa(isa);
  State state;
  for (int step = 0; step < 3; ++step)
    rule(state);
  setVectorIsa(previous);
  return state;
}

const std::vector<std::pair<const char *, Rule>> &rules() {
  static const std::vector<std::pair<const char *, Rule>> all = {
      {"sgd",
       [](State &s) {
         sgdUpdate(s.param.data(), s.grad.data(), kCount, 0.01f);
       }},
      {"sgd-momentum",
       [](State &s) {
         sgdMomentumUpdate(s.param.data(), s.grad.data(), s.s0.data(), kCount,
                           0.01f, 0.9f, false);
       }},
      {"sgd-nesterov",
       [](State &s) {
         sgdMomentumUpdate(s.param.data(), s.grad.data(), s.s0.data(), kCount,
                           0.01f, 0.9f, true);
       }},
      {"adam",
       [](State &s) {
         adamUpdate(s.param.data(), s.grad.data(), s.s0.data(), s.s1.data(),
                    kCount, adamStepSize(0.001f, 0.9f, 0.999f, 3), 0.9f, 0.999f,
                    1e-7f);
       }},
      {"amsgrad",
       [](State &s) {
         amsgradUpdate(s.param.data(), s.grad.data(), s.s0.data(), s.s1.data(),
                       s.s2.data(), kCount, 0.0007f, 0.9f, 0.999f, 1e-7f);
       }},
      {"rmsprop",
       [](State &s) {
         rmspropUpdate(s.param.data(), s.grad.data(), s.s0.data(), nullptr,
                       nullptr, kCount, 0.001f, 0.9f, 0.0f, 1e-7f);
       }},
      {"rmsprop-momentum-centered",
       [](State &s) {
         rmspropUpdate(s.param.data(), s.grad.data(), s.s0.data(), s.s1.data(),
                       s.s2.data(), kCount, 0.001f, 0.9f, 0.5f, 1e-7f);
       }},
      {"rmsprop-momentum",
       [](State &s) {
         rmspropUpdate(s.param.data(), s.grad.data(), s.s0.data(), s.s1.data(),
                       nullptr, kCount, 0.001f, 0.9f, 0.5f, 1e-7f);
       }},
      {"rmsprop-centered",
       [](State &s) {
         rmspropUpdate(s.param.data(), s.grad.data(), s.s0.data(), nullptr,
                       s.s2.data(), kCount, 0.001f, 0.9f, 0.0f, 1e-7f);
       }},
      {"adagrad",
       [](State &s) {
         adagradUpdate(s.param.data(), s.grad.data(), s.s0.data(), kCount,
                       0.001f, 1e-7f);
       }},
      {"adadelta",
       [](State &s) {
         adadeltaUpdate(s.param.data(), s.grad.data(), s.s0.data(), s.s1.data(),
                        kCount, 0.001f, 0.95f, 1e-7f);
       }},
      {"adamax",
       [](State &s) {
         adamaxUpdate(s.param.data(), s.grad.data(), s.s0.data(), s.s1.data(),
                      kCount, 0.001f, 0.9f, 0.999f, 1e-7f, 4);
       }},
      {"nadam",
       [](State &s) {
         NadamCoefficients c =
             nadamCoefficients(0.9f, 0.999f, 3, nadamMomentumProduct(0.9f, 2));
         nadamUpdate(s.param.data(), s.grad.data(), s.s0.data(), s.s1.data(),
                     kCount, 0.001f, 0.9f, 0.999f, 1e-7f, c);
       }},
      {"weight-decay",
       [](State &s) {
         applyWeightDecay(s.param.data(), kCount, 0.004f, 0.001f);
       }},
      {"clip-by-norm",
       [](State &s) { clipByNorm(s.grad.data(), kCount, 0.01f); }},
      {"clip-by-value",
       [](State &s) { clipByValue(s.grad.data(), kCount, 0.001f); }},
      {"scale", [](State &s) { scaleValues(s.grad.data(), kCount, 0.3f); }},
  };
  return all;
}

TEST(VectorIsaTest, WidestSupportedIsActive) {
  EXPECT_TRUE(vectorIsaSupported(VectorIsa::Baseline));
  VectorIsa widest = VectorIsa::Baseline;
  for (VectorIsa isa : {VectorIsa::Avx2, VectorIsa::Avx512})
    if (vectorIsaSupported(isa))
      widest = isa;
  EXPECT_EQ(activeVectorIsa(), widest) << vectorIsaName(activeVectorIsa());
}

TEST(VectorIsaTest, EveryRuleIsBitwiseIdenticalAcrossIsas) {
  int compared = 0;
  for (VectorIsa isa : {VectorIsa::Avx2, VectorIsa::Avx512}) {
    if (!vectorIsaSupported(isa))
      continue;
    for (const auto &[name, rule] : rules()) {
      State baseline = runWith(VectorIsa::Baseline, rule);
      State vector = runWith(isa, rule);
      std::vector<const std::vector<float> *> a = baseline.all(),
                                              b = vector.all();
      for (size_t buffer = 0; buffer < a.size(); ++buffer)
        EXPECT_EQ(std::memcmp(a[buffer]->data(), b[buffer]->data(),
                              kCount * sizeof(float)),
                  0)
            << name << " with " << vectorIsaName(isa) << ", buffer " << buffer;
      ++compared;
    }
  }
  if (compared == 0)
    GTEST_SKIP() << "this CPU has only the baseline instruction set";
}

TEST(VectorIsaTest, RulesChangeTheirInputs) {
  // Guards the comparison above against rules that do nothing.
  for (const auto &[name, rule] : rules()) {
    State before;
    State after = runWith(activeVectorIsa(), rule);
    bool changed = after.param != before.param || after.grad != before.grad;
    EXPECT_TRUE(changed) << name;
  }
}

} // namespace

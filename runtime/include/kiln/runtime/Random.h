//===- Random.h - Seeded, portable pseudo-random numbers --------*- C++ -*-===//
//
// xoshiro256** seeded through splitmix64. The standard <random> distributions
// are implementation-defined, so the runtime draws every random number from
// this generator with explicitly specified conversions: a given seed yields
// the same initial weights and the same shuffles on every platform and build.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_RANDOM_H
#define KILN_RUNTIME_RANDOM_H

#include <array>
#include <cstdint>

namespace kiln {
namespace runtime {

/// Independent random streams derived from one user seed. Each consumer gets
/// its own stream so that, e.g., adding a parameter does not change the
/// shuffling order.
enum class RandomStream : uint64_t {
  Shuffle = 1,
  /// Parameter `i` uses stream `InitBase + i`.
  InitBase = 0x100,
};

/// xoshiro256** (Blackman & Vigna), 256 bits of state.
class Rng {
public:
  using State = std::array<uint64_t, 4>;

  /// Seeds the generator for `stream` of `seed` by running splitmix64 on a
  /// mix of both, which never yields the all-zero state.
  Rng(uint64_t seed, uint64_t stream);
  Rng(uint64_t seed, RandomStream stream)
      : Rng(seed, static_cast<uint64_t>(stream)) {}

  /// Returns the next 64 random bits.
  uint64_t next();

  /// Returns a float uniformly distributed in [0, 1): the top 24 bits of
  /// next() scaled by 2^-24, so every value is exactly representable.
  float nextUnitFloat();

  /// Returns an integer uniformly distributed in [0, bound), bound >= 1,
  /// without modulo bias (Lemire's multiply-and-reject method).
  uint64_t nextBelow(uint64_t bound);

  /// The raw state, for checkpoints.
  const State &state() const { return state_; }
  void setState(const State &state) { state_ = state; }

private:
  State state_;
};

/// One step of splitmix64: advances `x` and returns the next output.
uint64_t splitMix64(uint64_t &x);

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_RANDOM_H

//===- Random.cpp - Seeded, portable pseudo-random numbers ----------------===//

#include "kiln/runtime/Random.h"

namespace kiln {
namespace runtime {

uint64_t splitMix64(uint64_t &x) {
  x += 0x9e3779b97f4a7c15ULL;
  uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Rng::Rng(uint64_t seed, uint64_t stream) {
  // Hash the stream id first so that nearby (seed, stream) pairs start far
  // apart in splitmix64's sequence.
  uint64_t streamMix = stream;
  uint64_t x = seed ^ splitMix64(streamMix);
  for (uint64_t &word : state_)
    word = splitMix64(x);
  // splitmix64 is a bijection of a counter, so four consecutive outputs are
  // never all zero; xoshiro's only forbidden state cannot occur.
}

static inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t Rng::next() {
  uint64_t *s = state_.data();
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

float Rng::nextUnitFloat() {
  return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
}

uint64_t Rng::nextBelow(uint64_t bound) {
  unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < bound) {
    // Reject the few low words that would over-represent some results.
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<unsigned __int128>(next()) * bound;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

} // namespace runtime
} // namespace kiln

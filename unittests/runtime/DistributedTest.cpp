//===- DistributedTest.cpp - Row splits and rank-ordered reductions -------===//
//
// The data-parallel pieces that need no MPI: how global batches split over
// ranks, which samples each rank visits, and RankReducer's combination of
// the ranks' means (on ThreadGroup, ranks as threads).
//
//===----------------------------------------------------------------------===//

#include "ThreadGroup.h"

#include "kiln/runtime/Distributed.h"
#include "kiln/runtime/ShardedStep.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

using namespace kiln::runtime;
using namespace kiln::test;

namespace {

TEST(DistributedTest, RankRowsAreTheThreadShards) {
  for (int64_t n : {1, 2, 3, 7, 100, 101}) {
    for (int ranks : {1, 2, 3, 4}) {
      int64_t covered = 0;
      for (int r = 0; r < ranks; ++r) {
        auto [begin, end] = rankRows(n, ranks, r);
        int64_t shardBegin, shardEnd;
        ShardedStep::shardRows(n, ranks, r, shardBegin, shardEnd);
        EXPECT_EQ(begin, shardBegin);
        EXPECT_EQ(end, shardEnd);
        EXPECT_EQ(begin, covered);
        covered = end;
        // Ranks past n rows get none; the others differ by at most one.
        EXPECT_EQ(end - begin, n / ranks + (r < n % ranks ? 1 : 0));
      }
      EXPECT_EQ(covered, n);
    }
  }
}

TEST(DistributedTest, RankOrderCoversEverySampleOnce) {
  // 103 samples in global batches of 3 ranks x 8: 4 full batches and one
  // of 7 rows (3, 2, 2).
  std::vector<int64_t> order(103);
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  std::vector<int> seen(order.size(), 0);
  std::vector<std::vector<int64_t>> parts(3);
  for (int r = 0; r < 3; ++r) {
    rankOrder(order.data(), 103, 24, 3, r, parts[r]);
    for (int64_t sample : parts[r])
      ++seen[sample];
  }
  for (int count : seen)
    EXPECT_EQ(count, 1);
  EXPECT_EQ(parts[0].size(), 4u * 8 + 3);
  EXPECT_EQ(parts[1].size(), 4u * 8 + 2);
  EXPECT_EQ(parts[2].size(), 4u * 8 + 2);
  // Batch 1 of rank 1 is rows 8..15 of global batch 1, in order.
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(parts[1][8 + i], order[24 + 8 + i]);
  // The last batch: rank 0 takes rows 0..2, rank 2 rows 5..6.
  EXPECT_EQ(parts[0][32], order[96]);
  EXPECT_EQ(parts[2][33], order[102]);
}

TEST(DistributedTest, RankOrderOfALastBatchSmallerThanTheRanks) {
  // 10 samples, global batch 4 x 2: the last batch holds 2 rows, so ranks
  // 2 and 3 have one batch fewer.
  std::vector<int64_t> order(10);
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> part;
  rankOrder(order.data(), 10, 8, 4, 1, part);
  EXPECT_EQ(part, (std::vector<int64_t>{2, 3, 9}));
  rankOrder(order.data(), 10, 8, 4, 3, part);
  EXPECT_EQ(part, (std::vector<int64_t>{6, 7}));
}

/// What ShardedStep computes for shards with these rows: out = Σ_t w_t x_t
/// in shard order, w_t = rows_t * (1 / n), in float.
std::vector<float> shardCombination(const std::vector<std::vector<float>> &x,
                                    const std::vector<int64_t> &rows,
                                    int64_t n) {
  const float inverse = 1.0f / static_cast<float>(n);
  std::vector<float> out(x[0].size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = x[0][i] * (static_cast<float>(rows[0]) * inverse);
  for (size_t t = 1; t < x.size(); ++t) {
    if (rows[t] == 0)
      continue;
    const float w = static_cast<float>(rows[t]) * inverse;
    for (size_t i = 0; i < out.size(); ++i)
      out[i] += w * x[t][i];
  }
  return out;
}

/// Each rank's mean outputs: rank r's value i is an irregular float.
std::vector<float> rankValues(int rank, size_t count) {
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = 1.0f / static_cast<float>(3 + 7 * rank + static_cast<int>(i)) -
                0.1f * static_cast<float>(i % 5);
  return values;
}

/// Reduces `count` values per rank over `ranks` ranks for a global batch of
/// `n` rows; returns every rank's result and vote count.
void reduceOnThreads(int ranks, int64_t n, size_t count,
                     std::vector<std::vector<float>> &results,
                     std::vector<float> &votes) {
  ThreadGroup group(ranks);
  results.assign(static_cast<size_t>(ranks), {});
  votes.assign(static_cast<size_t>(ranks), 0.0f);
  group.run([&](int r) {
    // Two outputs (say a loss and a gradient), as the trainer registers.
    std::vector<float> values = rankValues(r, count);
    float loss = values[0];
    std::vector<float> rest(values.begin() + 1, values.end());
    RankReducer reducer(group.member(r),
                        {{&loss, 1}, {rest.data(), (int64_t)rest.size()}});
    auto [begin, end] = rankRows(n, ranks, r);
    // Rank 1 was asked to stop.
    votes[r] = reducer.reduce(end - begin, n, r == 1 ? 1.0f : 0.0f);
    results[r] = {loss};
    results[r].insert(results[r].end(), rest.begin(), rest.end());
  });
}

TEST(DistributedTest, ReductionIsTheShardCombinationOnEveryRank) {
  for (auto [ranks, n] : {std::pair<int, int64_t>{2, 64}, {3, 100}, {4, 7}}) {
    std::vector<std::vector<float>> results;
    std::vector<float> votes;
    reduceOnThreads(ranks, n, 9, results, votes);
    std::vector<std::vector<float>> inputs;
    std::vector<int64_t> rows;
    for (int r = 0; r < ranks; ++r) {
      inputs.push_back(rankValues(r, 9));
      auto [begin, end] = rankRows(n, ranks, r);
      rows.push_back(end - begin);
    }
    std::vector<float> expected = shardCombination(inputs, rows, n);
    for (int r = 0; r < ranks; ++r) {
      // Bitwise: the same operations in the same order.
      EXPECT_EQ(0, std::memcmp(results[r].data(), expected.data(), 9 * 4))
          << ranks << " ranks, rank " << r;
      EXPECT_EQ(votes[r], 1.0f);
    }
  }
}

TEST(DistributedTest, RanksWithoutRowsAddNothingButVote) {
  // 2 rows over 4 ranks: ranks 2 and 3 step on nothing; their (unread)
  // values must not count, their votes must.
  std::vector<std::vector<float>> results;
  std::vector<float> votes;
  reduceOnThreads(4, 2, 5, results, votes);
  std::vector<float> expected =
      shardCombination({rankValues(0, 5), rankValues(1, 5)}, {1, 1}, 2);
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(0, std::memcmp(results[r].data(), expected.data(), 5 * 4));
    EXPECT_EQ(votes[r], 1.0f);
  }
}

TEST(DistributedTest, OneProcessLeavesValuesAlone) {
  SingleProcess alone;
  float values[3] = {1.5f, -2.0f, 0.25f};
  alone.sumInRankOrder(values, 3, 1);
  EXPECT_EQ(values[0], 1.5f);
  EXPECT_EQ(values[2], 0.25f);
  std::vector<uint8_t> bytes = {1, 2, 3};
  alone.broadcast(bytes);
  EXPECT_EQ(bytes.size(), 3u);
  EXPECT_EQ(alone.rank(), 0);
  EXPECT_EQ(alone.size(), 1);
}

TEST(DistributedTest, BroadcastSendsRankZerosBytes) {
  ThreadGroup group(3);
  std::vector<std::vector<uint8_t>> received(3);
  group.run([&](int r) {
    std::vector<uint8_t> bytes;
    if (r == 0)
      bytes = {9, 8, 7, 6};
    group.member(r).broadcast(bytes);
    received[r] = bytes;
  });
  for (const auto &bytes : received)
    EXPECT_EQ(bytes, (std::vector<uint8_t>{9, 8, 7, 6}));
}

TEST(DistributedTest, LaunchedProcessesReadsTheLauncher) {
  // Without a launcher's variables the executable runs alone.
  const char *saved = std::getenv("OMPI_COMM_WORLD_SIZE");
  std::string keep = saved ? saved : "";
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("PMI_SIZE");
  EXPECT_EQ(launchedProcesses(), 1);
  ::setenv("PMI_SIZE", "6", 1);
  EXPECT_EQ(launchedProcesses(), 6);
  ::setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
  EXPECT_EQ(launchedProcesses(), 3);
  ::unsetenv("PMI_SIZE");
  if (saved)
    ::setenv("OMPI_COMM_WORLD_SIZE", keep.c_str(), 1);
  else
    ::unsetenv("OMPI_COMM_WORLD_SIZE");
}

} // namespace

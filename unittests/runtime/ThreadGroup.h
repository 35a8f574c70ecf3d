//===- ThreadGroup.h - Ranks on threads, for tests --------------*- C++ -*-===//
//
// A Communicator group whose members are threads of one process, so that
// the data-parallel code (RankReducer, Trainer with several ranks) can be
// tested without MPI. Its sums follow the contract of
// Communicator::sumInRankOrder exactly: rank order, same bits everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_UNITTESTS_RUNTIME_THREADGROUP_H
#define KILN_UNITTESTS_RUNTIME_THREADGROUP_H

#include "kiln/runtime/Distributed.h"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace kiln {
namespace test {

class ThreadGroup {
public:
  explicit ThreadGroup(int size);
  ~ThreadGroup();

  int size() const { return static_cast<int>(members_.size()); }
  runtime::Communicator &member(int rank);

  /// Runs task(rank) for every rank on a thread of its own and joins them.
  void run(const std::function<void(int)> &task);

private:
  class Member;
  friend class Member;

  /// Blocks until every member called it; `last` runs once, by the last
  /// member to arrive, before anyone leaves.
  void barrier(const std::function<void()> &last);

  std::vector<std::unique_ptr<Member>> members_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  uint64_t generation_ = 0;
  // What the members of the current collective deposited.
  std::vector<float *> data_;
  std::vector<float> result_;
  std::vector<uint8_t> *rootBytes_ = nullptr;
};

} // namespace test
} // namespace kiln

#endif // KILN_UNITTESTS_RUNTIME_THREADGROUP_H

//===- ThreadGroup.cpp - Ranks on threads, for tests ----------------------===//

#include "ThreadGroup.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace kiln {
namespace test {

class ThreadGroup::Member final : public runtime::Communicator {
public:
  Member(ThreadGroup &group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return group_.size(); }

  void sumInRankOrder(float *data, int64_t count, int contributors) override {
    {
      std::lock_guard<std::mutex> lock(group_.mutex_);
      group_.data_[rank_] = data;
    }
    group_.barrier([&] {
      std::vector<float> &sum = group_.result_;
      sum.assign(group_.data_[0], group_.data_[0] + count);
      for (int r = 1; r < contributors; ++r)
        for (int64_t i = 0; i < count; ++i)
          sum[i] += group_.data_[r][i];
    });
    std::copy(group_.result_.begin(), group_.result_.begin() + count, data);
    group_.barrier([] {});
    stats_.reductions += 1;
    stats_.bytes += count * 4;
  }

  void broadcast(std::vector<uint8_t> &bytes) override {
    if (rank_ == 0) {
      std::lock_guard<std::mutex> lock(group_.mutex_);
      group_.rootBytes_ = &bytes;
    }
    group_.barrier([] {});
    if (rank_ != 0)
      bytes = *group_.rootBytes_;
    group_.barrier([] {});
  }

  [[noreturn]] void abort(int) override { std::abort(); }

private:
  ThreadGroup &group_;
  int rank_;
};

ThreadGroup::ThreadGroup(int size) : data_(static_cast<size_t>(size)) {
  for (int r = 0; r < size; ++r)
    members_.push_back(std::make_unique<Member>(*this, r));
}

ThreadGroup::~ThreadGroup() = default;

runtime::Communicator &ThreadGroup::member(int rank) { return *members_[rank]; }

void ThreadGroup::barrier(const std::function<void()> &last) {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t generation = generation_;
  if (++arrived_ == size()) {
    last();
    arrived_ = 0;
    ++generation_;
    changed_.notify_all();
    return;
  }
  changed_.wait(lock, [&] { return generation_ != generation; });
}

void ThreadGroup::run(const std::function<void(int)> &task) {
  std::vector<std::thread> threads;
  for (int r = 0; r < size(); ++r)
    threads.emplace_back(task, r);
  for (std::thread &thread : threads)
    thread.join();
}

} // namespace test
} // namespace kiln

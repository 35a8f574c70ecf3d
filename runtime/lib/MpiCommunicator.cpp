//===- MpiCommunicator.cpp - The MPI world as a Communicator --------------===//
//
// Compiled only when CMake found MPI (KILN_HAVE_MPI). MPI is initialized
// only when the process was launched by mpirun with several processes
// (connectProcesses), and calls come from the main thread only (the step's
// worker threads never communicate): MPI_THREAD_FUNNELED.
//
// sumInRankOrder is a reduce-scatter followed by an all-gather, written
// with MPI_Alltoallv and MPI_Allgatherv instead of MPI_Allreduce: rank k
// owns the k-th slice of the buffer, receives every rank's copy of it and
// adds them in rank order. MPI_Allreduce may pick its algorithm, and so
// its order of additions, by message size and rank count, and the standard
// does not promise every rank the same bits; diverging parameters would
// silently ruin data parallelism. Both forms move 2 (N-1)/N of the buffer
// per rank, what a ring allreduce moves.
//
//===----------------------------------------------------------------------===//

#include "kiln/runtime/Distributed.h"
#include "kiln/runtime/Error.h"

#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace kiln {
namespace runtime {

namespace {

/// The message a rank prints when mpirun (or anyone) sends it SIGTERM,
/// built before the handler may run: writing it is async-signal-safe.
char terminatedMessage[256];
size_t terminatedLength = 0;

extern "C" void onTerminate(int) {
  // A rank blocked in a collective whose peer died never returns to check
  // a flag, so it ends here; what was checkpointed before is complete
  // (checkpoints are renamed into place whole).
  ssize_t ignored = ::write(2, terminatedMessage, terminatedLength);
  (void)ignored;
  ::_exit(143);
}

class MpiCommunicator final : public Communicator {
public:
  MpiCommunicator(int *argc, char ***argv) {
    int provided = 0;
    check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided),
          "MPI_Init_thread");
    // Errors come back as codes and end the job through abort() with a
    // message naming the rank, instead of MPI's default abort.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    terminatedLength = static_cast<size_t>(std::snprintf(
        terminatedMessage, sizeof(terminatedMessage),
        "error: rank %d of %d: stopped by SIGTERM (mpirun ends every rank "
        "when one fails or the job is stopped); checkpoints written before "
        "are intact\n",
        rank_, size_));
    struct sigaction action = {};
    action.sa_handler = onTerminate;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);
    const char *profile = std::getenv("KILN_MPI_PROFILE");
    profile_ = profile && *profile && std::strcmp(profile, "0") != 0;
    if (profile_)
      stats_.waitSeconds = 0.0;
    counts_.resize(static_cast<size_t>(size_));
    displacements_.resize(static_cast<size_t>(size_));
    receiveCounts_.resize(static_cast<size_t>(size_));
    receiveDisplacements_.resize(static_cast<size_t>(size_));
  }

  ~MpiCommunicator() override { MPI_Finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void sumInRankOrder(float *data, int64_t count, int contributors) override {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    if (profile_) {
      check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
      stats_.waitSeconds +=
          std::chrono::duration<double>(Clock::now() - start).count();
    }
    if (count > INT32_MAX)
      fail("rank %d: cannot reduce %lld values in one MPI call", rank_,
           static_cast<long long>(count));
    for (int k = 0; k < size_; ++k) {
      const auto [begin, end] = rankRows(count, size_, k);
      counts_[k] = static_cast<int>(end - begin);
      displacements_[k] = static_cast<int>(begin);
    }
    const int mine = counts_[rank_];
    for (int k = 0; k < size_; ++k) {
      receiveCounts_[k] = mine;
      receiveDisplacements_[k] = k * mine;
    }
    slices_.resize(static_cast<size_t>(size_) * static_cast<size_t>(mine));
    check(MPI_Alltoallv(data, counts_.data(), displacements_.data(), MPI_FLOAT,
                        slices_.data(), receiveCounts_.data(),
                        receiveDisplacements_.data(), MPI_FLOAT,
                        MPI_COMM_WORLD),
          "MPI_Alltoallv");
    // The owner adds the ranks' copies of its slice in rank order.
    sum_.assign(slices_.begin(), slices_.begin() + mine);
    for (int k = 1; k < contributors; ++k) {
      const float *part = slices_.data() + static_cast<size_t>(k) * mine;
      for (int i = 0; i < mine; ++i)
        sum_[i] += part[i];
    }
    check(MPI_Allgatherv(sum_.data(), mine, MPI_FLOAT, data, counts_.data(),
                         displacements_.data(), MPI_FLOAT, MPI_COMM_WORLD),
          "MPI_Allgatherv");
    stats_.reductions += 1;
    stats_.bytes += count * static_cast<int64_t>(sizeof(float));
    stats_.seconds +=
        std::chrono::duration<double>(Clock::now() - start).count();
  }

  void broadcast(std::vector<uint8_t> &bytes) override {
    uint64_t size = bytes.size();
    check(MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
    bytes.resize(static_cast<size_t>(size));
    // In pieces, since MPI counts are ints.
    for (uint64_t offset = 0; offset < size;) {
      const int piece =
          static_cast<int>(std::min<uint64_t>(size - offset, 1u << 30));
      check(
          MPI_Bcast(bytes.data() + offset, piece, MPI_BYTE, 0, MPI_COMM_WORLD),
          "MPI_Bcast");
      offset += static_cast<uint64_t>(piece);
    }
  }

  [[noreturn]] void abort(int status) override {
    MPI_Abort(MPI_COMM_WORLD, status);
    ::_exit(status);
  }

private:
  void check(int code, const char *call) const {
    if (code == MPI_SUCCESS)
      return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
      std::snprintf(text, sizeof(text), "MPI error %d", code);
    fail("rank %d of %d: %s failed: %s (did another rank fail?)", rank_, size_,
         call, text);
  }

  int rank_ = 0;
  int size_ = 1;
  /// KILN_MPI_PROFILE: time the wait for the slowest rank separately.
  bool profile_ = false;
  std::vector<int> counts_, displacements_;
  std::vector<int> receiveCounts_, receiveDisplacements_;
  std::vector<float> slices_, sum_;
};

} // namespace

std::unique_ptr<Communicator> connectMpi(int *argc, char ***argv) {
  return std::make_unique<MpiCommunicator>(argc, argv);
}

} // namespace runtime
} // namespace kiln

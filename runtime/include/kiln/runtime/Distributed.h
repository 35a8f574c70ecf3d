//===- Distributed.h - The processes that train one model -------*- C++ -*-===//
//
// Data-parallel training (docs/distributed.md): under `mpirun -np N` every
// process (rank) runs the same executable, holds the same parameters, trains
// on its share of each global batch of N x --batch-size rows, and the ranks
// combine their gradients, loss, metrics and state updates before every
// rank applies the same optimizer update.
//
// A Communicator is that group. Its one-process form does nothing; the MPI
// form (MpiCommunicator.cpp, compiled when CMake finds MPI) is chosen only
// when the process was launched by mpirun, so an executable started alone
// behaves exactly as one built without MPI.
//
// Sums are computed in rank order by the rank that owns each slice of the
// buffer, then distributed, so every rank gets bitwise the same values and
// the result does not depend on which algorithm the MPI library picks:
// training is reproducible for a given number of ranks, and N ranks equal
// one process splitting the global batch over N threads (ShardedStep).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_DISTRIBUTED_H
#define KILN_RUNTIME_DISTRIBUTED_H

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kiln {
namespace runtime {

/// What the collective operations cost so far, for the metrics.
struct CommunicationStats {
  /// Calls of sumInRankOrder, their payload (bytes of the summed buffer)
  /// and the wall time spent in them.
  int64_t reductions = 0;
  int64_t bytes = 0;
  double seconds = 0.0;
  /// With KILN_MPI_PROFILE=1 in the environment, each reduction first waits
  /// at a barrier for the slowest rank: the part of `seconds` spent there
  /// (load imbalance, a descheduled rank), leaving the rest to the data's
  /// transfer and addition. -1 when not measured.
  double waitSeconds = -1.0;
};

/// The group of processes training together.
class Communicator {
public:
  virtual ~Communicator();

  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// Replaces `data[0..count)` on every rank by the sum over ranks
  /// 0 .. contributors-1 of their `data`, added in rank order (ranks from
  /// `contributors` on take part but add nothing). Every rank gets the same
  /// bits.
  virtual void sumInRankOrder(float *data, int64_t count, int contributors) = 0;

  /// Sends rank 0's `bytes` to every rank.
  virtual void broadcast(std::vector<uint8_t> &bytes) = 0;

  /// Ends every process of the job with `status` (after an error on this
  /// one); never returns.
  [[noreturn]] virtual void abort(int status) = 0;

  const CommunicationStats &stats() const { return stats_; }

protected:
  CommunicationStats stats_;
};

/// The one-process group: every operation leaves the data as it is.
class SingleProcess final : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void sumInRankOrder(float *, int64_t, int) override {}
  void broadcast(std::vector<uint8_t> &) override {}
  [[noreturn]] void abort(int status) override;
};

/// The number of processes the environment says were launched together
/// (Open MPI's OMPI_COMM_WORLD_SIZE, or PMI_SIZE of MPICH and Slurm); 1
/// when none is set.
int launchedProcesses();

/// The group this process belongs to: the MPI world when launched by
/// mpirun with more than one process, otherwise a SingleProcess. Fails
/// when launched as several processes by an executable built without MPI
/// (they would each train alone and overwrite each other's files).
/// `argc`/`argv` go to MPI_Init.
std::unique_ptr<Communicator> connectProcesses(int *argc, char ***argv);

/// Whether this runtime was built with MPI.
bool builtWithMpi();

/// Row range [begin, end) of rank `rank` of `ranks` in a global batch of
/// `n` rows: contiguous, sizes differing by at most one, the larger first
/// (the split ShardedStep uses for threads). Ranks past n get no rows.
std::pair<int64_t, int64_t> rankRows(int64_t n, int ranks, int rank);

/// The samples rank `rank` trains on during an epoch, in its order: for
/// every global batch of `globalBatch` consecutive entries of `order`
/// (`count` samples, the last batch partial), the rank's row range of it.
/// Batch s of the result is then the rank's part of global batch s: full
/// batches give every rank globalBatch / ranks rows.
void rankOrder(const int64_t *order, int64_t count, int64_t globalBatch,
               int ranks, int rank, std::vector<int64_t> &result);

/// Combines per-rank means into the global batch's means: each rank
/// scales its outputs by its share of the rows and the ranks' parts are
/// summed in rank order, which is what ShardedStep does for threads.
class RankReducer {
public:
  /// `outputs`: each a float buffer of that many elements that the step
  /// writes as a mean over the rank's rows.
  RankReducer(Communicator &comm,
              std::vector<std::pair<float *, int64_t>> outputs);

  /// Replaces every output (a mean over this rank's `rows` of a global
  /// batch of `total` rows; not read when `rows` is 0) by the mean over
  /// the global batch. `vote` is summed over ranks unweighted (e.g. how
  /// many ranks were asked to stop) and returned.
  float reduce(int64_t rows, int64_t total, float vote = 0.0f);

private:
  Communicator &comm_;
  std::vector<std::pair<float *, int64_t>> outputs_;
  std::vector<float> flat_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_DISTRIBUTED_H

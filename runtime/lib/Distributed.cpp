//===- Distributed.cpp - The processes that train one model ---------------===//

#include "kiln/runtime/Distributed.h"
#include "kiln/runtime/Error.h"
#include "kiln/runtime/ShardedStep.h"

#include <algorithm>
#include <cstdlib>

namespace kiln {
namespace runtime {

#ifdef KILN_HAVE_MPI
/// MpiCommunicator.cpp: initializes MPI and returns the world's group.
std::unique_ptr<Communicator> connectMpi(int *argc, char ***argv);
#endif

Communicator::~Communicator() = default;

void SingleProcess::abort(int status) { std::exit(status); }

bool builtWithMpi() {
#ifdef KILN_HAVE_MPI
  return true;
#else
  return false;
#endif
}

int launchedProcesses() {
  // Open MPI's mpirun, then the PMI variables of MPICH's Hydra and Slurm.
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char *value = std::getenv(name);
    if (value && *value) {
      long size = std::strtol(value, nullptr, 10);
      if (size >= 1)
        return static_cast<int>(std::min<long>(size, 1 << 30));
    }
  }
  return 1;
}

std::unique_ptr<Communicator> connectProcesses(int *argc, char ***argv) {
  const int processes = launchedProcesses();
  // One process (no launcher, or `mpirun -np 1`) runs exactly as before.
  if (processes <= 1)
    return std::make_unique<SingleProcess>();
#ifdef KILN_HAVE_MPI
  return connectMpi(argc, argv);
#else
  (void)argc;
  (void)argv;
  fail("launched as one of %d processes (by mpirun?), but this executable's "
       "runtime was built without MPI: each process would train alone; "
       "rebuild Kiln with an MPI library installed (libopenmpi-dev)",
       processes);
#endif
}

std::pair<int64_t, int64_t> rankRows(int64_t n, int ranks, int rank) {
  int64_t begin, end;
  ShardedStep::shardRows(n, ranks, rank, begin, end);
  return {begin, end};
}

void rankOrder(const int64_t *order, int64_t count, int64_t globalBatch,
               int ranks, int rank, std::vector<int64_t> &result) {
  result.clear();
  result.reserve(static_cast<size_t>(count / ranks + globalBatch));
  for (int64_t start = 0; start < count; start += globalBatch) {
    const int64_t n = std::min(globalBatch, count - start);
    const auto [begin, end] = rankRows(n, ranks, rank);
    result.insert(result.end(), order + start + begin, order + start + end);
  }
}

RankReducer::RankReducer(Communicator &comm,
                         std::vector<std::pair<float *, int64_t>> outputs)
    : comm_(comm), outputs_(std::move(outputs)) {
  int64_t size = 1; // the vote
  for (const auto &output : outputs_)
    size += output.second;
  flat_.resize(static_cast<size_t>(size));
}

float RankReducer::reduce(int64_t rows, int64_t total, float vote) {
  // The weight exactly as ShardedStep computes a shard's.
  const float weight =
      static_cast<float>(rows) * (1.0f / static_cast<float>(total));
  float *out = flat_.data();
  for (const auto &[data, elements] : outputs_) {
    if (rows == 0)
      std::fill(out, out + elements, 0.0f);
    else
      for (int64_t i = 0; i < elements; ++i)
        out[i] = weight * data[i];
    out += elements;
  }
  *out = vote;
  // Ranks past the batch's rows (a last batch smaller than the rank count)
  // are the last ones and add nothing, as ShardedStep then uses fewer
  // shards; adding their zeros would turn a -0 into +0.
  const int ranks = comm_.size();
  const int contributors = static_cast<int>(std::min<int64_t>(ranks, total));
  comm_.sumInRankOrder(flat_.data(), static_cast<int64_t>(flat_.size()),
                       contributors);
  const float *in = flat_.data();
  for (const auto &[data, elements] : outputs_) {
    std::copy(in, in + elements, data);
    in += elements;
  }
  if (contributors == ranks)
    return *in;
  // The vote counts every rank, those without rows too.
  comm_.sumInRankOrder(&vote, 1, ranks);
  return vote;
}

} // namespace runtime
} // namespace kiln

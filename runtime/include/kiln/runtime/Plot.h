//===- Plot.h - SVG charts of the training curves ---------------*- C++ -*-===//
//
// `train --plot FILE.svg` draws the loss and every metric per epoch, train
// and validation, as a standalone SVG file (one panel per quantity, axes
// with ticks and labels, a legend), viewable in any browser. The file is
// rewritten atomically after every epoch, so it can be watched during a
// long run.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_PLOT_H
#define KILN_RUNTIME_PLOT_H

#include "kiln/runtime/Trainer.h"

#include <string>
#include <vector>

namespace kiln {
namespace runtime {

/// One quantity's curves: per epoch its train value and, when validated,
/// its validation value.
struct PlotSeries {
  std::string name; ///< "loss", "accuracy", ...
  std::vector<double> train;
  std::vector<double> validation; ///< empty without validation data
};

/// The SVG document of `series` over `epochs` (1-based epoch numbers, one
/// per value). Non-finite values leave gaps.
std::string renderTrainingPlot(const std::string &title,
                               const std::vector<int64_t> &epochs,
                               const std::vector<PlotSeries> &series);

/// "Nice" axis ticks covering [low, high]: multiples of 1, 2 or 5 times a
/// power of ten, about `target` of them.
std::vector<double> niceTicks(double low, double high, int target);

/// Collects each epoch's results and rewrites the plot file after each.
class PlotWriter : public TrainingObserver {
public:
  PlotWriter(const ModelInfo &model, std::string path);
  void epochEnd(const EpochResult &result) override;

private:
  const ModelInfo &model_;
  std::string path_;
  std::vector<int64_t> epochs_;
  std::vector<PlotSeries> series_;
};

} // namespace runtime
} // namespace kiln

#endif // KILN_RUNTIME_PLOT_H

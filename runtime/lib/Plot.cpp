//===- Plot.cpp - SVG charts of the training curves -----------------------===//

#include "kiln/runtime/Plot.h"
#include "kiln/runtime/AtomicFile.h"
#include "kiln/runtime/Error.h"

#include <algorithm>
#include <cmath>

namespace kiln {
namespace runtime {

namespace {

// Geometry of one panel, in SVG user units.
constexpr double kPanelWidth = 440, kPanelHeight = 320;
constexpr double kLeft = 70, kRight = 20, kTop = 40, kBottom = 55;
constexpr double kHeader = 36;
constexpr const char *kTrainColor = "#1f77b4";
constexpr const char *kValidationColor = "#ff7f0e";

std::string escapeXml(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string number(double value) { return formatString("%.2f", value); }

/// A tick label: short, without trailing zeros.
std::string tickLabel(double value, double step) {
  if (std::fabs(value) < step * 1e-6)
    value = 0;
  return formatString("%.4g", value);
}

/// Draws one quantity's panel with its origin at (x0, y0).
void renderPanel(std::string &svg, double x0, double y0,
                 const std::vector<int64_t> &epochs, const PlotSeries &series) {
  const double width = kPanelWidth - kLeft - kRight;
  const double height = kPanelHeight - kTop - kBottom;
  const double left = x0 + kLeft, top = y0 + kTop;

  double low = INFINITY, high = -INFINITY;
  for (const std::vector<double> *values : {&series.train, &series.validation})
    for (double v : *values)
      if (std::isfinite(v)) {
        low = std::min(low, v);
        high = std::max(high, v);
      }
  if (!std::isfinite(low)) {
    low = 0;
    high = 1;
  }
  std::vector<double> yTicks = niceTicks(low, high, 5);
  const double yMin = std::min(low, yTicks.front());
  const double yMax = std::max(high, yTicks.back());
  const double xMin = double(epochs.empty() ? 1 : epochs.front());
  const double xMax =
      std::max(double(epochs.empty() ? 1 : epochs.back()), xMin + 1);
  auto px = [&](double epoch) {
    return left + (epoch - xMin) / (xMax - xMin) * width;
  };
  auto py = [&](double value) {
    return top + height - (value - yMin) / (yMax - yMin) * height;
  };

  svg += formatString("<g class=\"panel\" id=\"panel-%s\">\n",
                      escapeXml(series.name).c_str());
  svg += formatString("<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" "
                      "font-size=\"15\" font-weight=\"bold\">%s</text>\n",
                      number(left + width / 2).c_str(), number(y0 + 24).c_str(),
                      escapeXml(series.name).c_str());
  // Grid and y ticks.
  const double yStep = yTicks.size() > 1 ? yTicks[1] - yTicks[0] : 1;
  for (double tick : yTicks) {
    if (tick < yMin - 1e-12 || tick > yMax + 1e-12)
      continue;
    const std::string y = number(py(tick));
    svg += formatString("<line class=\"grid\" x1=\"%s\" y1=\"%s\" x2=\"%s\" "
                        "y2=\"%s\" stroke=\"#e0e0e0\"/>\n",
                        number(left).c_str(), y.c_str(),
                        number(left + width).c_str(), y.c_str());
    svg += formatString("<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" "
                        "stroke=\"black\"/>\n",
                        number(left - 5).c_str(), y.c_str(),
                        number(left).c_str(), y.c_str());
    svg += formatString("<text class=\"ytick\" x=\"%s\" y=\"%s\" "
                        "text-anchor=\"end\" font-size=\"11\">%s</text>\n",
                        number(left - 8).c_str(), number(py(tick) + 4).c_str(),
                        tickLabel(tick, yStep).c_str());
  }
  // X ticks: whole epochs.
  for (double tick : niceTicks(xMin, xMax, 8)) {
    if (tick != std::floor(tick) || tick < xMin || tick > xMax)
      continue;
    const std::string x = number(px(tick));
    svg += formatString("<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" "
                        "stroke=\"black\"/>\n",
                        x.c_str(), number(top + height).c_str(), x.c_str(),
                        number(top + height + 5).c_str());
    svg += formatString("<text class=\"xtick\" x=\"%s\" y=\"%s\" "
                        "text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
                        x.c_str(), number(top + height + 18).c_str(),
                        tickLabel(tick, 1).c_str());
  }
  // Axes and their labels.
  svg +=
      formatString("<path class=\"axes\" d=\"M%s %s V%s H%s\" "
                   "fill=\"none\" stroke=\"black\"/>\n",
                   number(left).c_str(), number(top).c_str(),
                   number(top + height).c_str(), number(left + width).c_str());
  svg += formatString("<text class=\"xlabel\" x=\"%s\" y=\"%s\" "
                      "text-anchor=\"middle\" font-size=\"12\">epoch</text>\n",
                      number(left + width / 2).c_str(),
                      number(top + height + 40).c_str());
  svg += formatString(
      "<text class=\"ylabel\" x=\"%s\" y=\"%s\" text-anchor=\"middle\" "
      "font-size=\"12\" transform=\"rotate(-90 %s %s)\">%s</text>\n",
      number(x0 + 16).c_str(), number(top + height / 2).c_str(),
      number(x0 + 16).c_str(), number(top + height / 2).c_str(),
      escapeXml(series.name).c_str());

  // Curves: a polyline per unbroken run of finite values, and a dot per
  // epoch (so a single epoch shows).
  auto curve = [&](const std::vector<double> &values, const char *kind,
                   const char *color, const char *dash) {
    std::string points;
    auto flush = [&] {
      if (!points.empty())
        svg += formatString("<polyline class=\"curve %s\" data-series=\"%s\" "
                            "points=\"%s\" fill=\"none\" stroke=\"%s\" "
                            "stroke-width=\"2\"%s/>\n",
                            kind, escapeXml(series.name).c_str(),
                            points.c_str(), color, dash);
      points.clear();
    };
    for (size_t i = 0; i < values.size() && i < epochs.size(); ++i) {
      if (!std::isfinite(values[i])) {
        flush();
        continue;
      }
      const std::string x = number(px(double(epochs[i])));
      const std::string y = number(py(values[i]));
      points += (points.empty() ? "" : " ") + x + "," + y;
      svg += formatString("<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\">"
                          "<title>%s epoch %lld: %.6g</title></circle>\n",
                          x.c_str(), y.c_str(), color, kind,
                          static_cast<long long>(epochs[i]), values[i]);
    }
    flush();
  };
  curve(series.train, "train", kTrainColor, "");
  curve(series.validation, "validation", kValidationColor,
        " stroke-dasharray=\"6 4\"");
  svg += "</g>\n";
}

} // namespace

std::vector<double> niceTicks(double low, double high, int target) {
  if (!(high > low)) {
    const double pad = low != 0 ? std::fabs(low) * 0.1 : 1.0;
    low -= pad;
    high += pad;
  }
  const double raw = (high - low) / std::max(target, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double factor : {1.0, 2.0, 5.0, 10.0})
    if (factor * power >= raw) {
      step = factor * power;
      break;
    }
  // Multiples of the step, not a running sum, so errors do not accumulate.
  std::vector<double> ticks;
  const double first = std::floor(low / step);
  for (double k = first; k * step < high + step * 0.999; k += 1)
    ticks.push_back(k == 0 ? 0.0 : k * step);
  return ticks;
}

std::string renderTrainingPlot(const std::string &title,
                               const std::vector<int64_t> &epochs,
                               const std::vector<PlotSeries> &series) {
  const size_t panels = std::max<size_t>(series.size(), 1);
  const double width = kPanelWidth * double(panels);
  const double height = kPanelHeight + kHeader;
  bool anyValidation = false;
  for (const PlotSeries &s : series)
    anyValidation |= !s.validation.empty();

  std::string svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
      formatString("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" "
                   "height=\"%s\" viewBox=\"0 0 %s %s\" "
                   "font-family=\"sans-serif\">\n",
                   number(width).c_str(), number(height).c_str(),
                   number(width).c_str(), number(height).c_str());
  svg += formatString("<title>%s</title>\n", escapeXml(title).c_str());
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += formatString("<text x=\"12\" y=\"22\" font-size=\"14\">%s</text>\n",
                      escapeXml(title).c_str());
  // Legend, top right.
  svg += "<g class=\"legend\">\n";
  double x = width - (anyValidation ? 230 : 110);
  auto entry = [&](const char *label, const char *color, const char *dash) {
    svg += formatString("<line x1=\"%s\" y1=\"18\" x2=\"%s\" y2=\"18\" "
                        "stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                        number(x).c_str(), number(x + 28).c_str(), color, dash);
    svg += formatString("<text x=\"%s\" y=\"22\" font-size=\"12\">%s</text>\n",
                        number(x + 34).c_str(), label);
    x += 110;
  };
  entry("train", kTrainColor, "");
  if (anyValidation)
    entry("validation", kValidationColor, " stroke-dasharray=\"6 4\"");
  svg += "</g>\n";
  for (size_t i = 0; i < series.size(); ++i)
    renderPanel(svg, kPanelWidth * double(i), kHeader, epochs, series[i]);
  svg += "</svg>\n";
  return svg;
}

PlotWriter::PlotWriter(const ModelInfo &model, std::string path)
    : model_(model), path_(std::move(path)) {
  series_.push_back({"loss", {}, {}});
  for (int32_t i = 0; i < model.numMetrics(); ++i)
    series_.push_back({model.metricName(i), {}, {}});
}

void PlotWriter::epochEnd(const EpochResult &result) {
  epochs_.push_back(result.epoch);
  for (size_t i = 0; i < series_.size(); ++i) {
    series_[i].train.push_back(i == 0 ? result.train.loss
                                      : result.train.metrics[i - 1]);
    if (result.hasValidation)
      series_[i].validation.push_back(
          i == 0 ? result.validation.loss : result.validation.metrics[i - 1]);
  }
  const char *name = model_.desc().name;
  std::string title =
      formatString("%s: training curves", name && *name ? name : "model");
  AtomicFile file(path_);
  file.write(renderTrainingPlot(title, epochs_, series_));
  file.commit();
}

} // namespace runtime
} // namespace kiln

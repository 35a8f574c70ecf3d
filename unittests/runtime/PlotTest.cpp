//===- PlotTest.cpp - SVG training curves and .npz archives ---------------===//

#include "kiln/runtime/Plot.h"
#include "kiln/runtime/Npy.h"
#include "kiln/runtime/Npz.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace kiln::runtime;

namespace {

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(PlotTest, NiceTicks) {
  std::vector<double> unit = niceTicks(0.0, 1.0, 5);
  ASSERT_EQ(unit.size(), 6u);
  for (size_t i = 0; i < unit.size(); ++i)
    EXPECT_NEAR(unit[i], 0.2 * double(i), 1e-12);
  std::vector<double> ticks = niceTicks(0.31, 0.87, 5);
  ASSERT_GE(ticks.size(), 3u);
  EXPECT_LE(ticks.front(), 0.31);
  EXPECT_GE(ticks.back(), 0.87);
  EXPECT_NEAR(ticks[1] - ticks[0], 0.2, 1e-12);
  EXPECT_NEAR(niceTicks(0.5, 0.62, 5)[1] - niceTicks(0.5, 0.62, 5)[0], 0.05,
              1e-12);
  // A flat series still gets an axis.
  EXPECT_GE(niceTicks(2.0, 2.0, 5).size(), 2u);
  EXPECT_EQ(niceTicks(1, 3, 8).front(), 1.0);
}

TEST(PlotTest, CurvesPanelsAndLegend) {
  std::vector<PlotSeries> series = {
      {"loss", {0.9, 0.6, 0.5}, {1.0, 0.7, 0.65}},
      {"accuracy", {0.6, 0.7, 0.75}, {0.55, 0.68, 0.7}},
      {"a<b", {0.1, NAN, 0.3}, {}},
  };
  std::string svg = renderTrainingPlot("m & n", {1, 2, 3}, series);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            std::string::npos);
  EXPECT_EQ(count(svg, "class=\"panel\""), 3u);
  // Two curves in each of the first panels; the NaN splits the third.
  EXPECT_EQ(count(svg, "<polyline class=\"curve train\""), 4u);
  EXPECT_EQ(count(svg, "<polyline class=\"curve validation\""), 2u);
  EXPECT_EQ(count(svg, "<circle"), 3u * 2 + 3u * 2 + 2u);
  EXPECT_NE(svg.find(">validation</text>"), std::string::npos);
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find("m &amp; n"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

uint32_t le32(const std::string &bytes, size_t at) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= uint32_t(static_cast<uint8_t>(bytes[at + i])) << (8 * i);
  return value;
}

TEST(NpzTest, StoredZipLayout) {
  const float values[3] = {1.5f, -2.0f, 0.25f};
  std::string npy = encodeNpy({3}, values);
  std::string zip = encodeZip({{"a/b.npy", npy}, {"c.npy", npy}});
  EXPECT_EQ(le32(zip, 0), 0x04034b50u);
  EXPECT_EQ(zip.substr(30, 7), "a/b.npy");
  EXPECT_EQ(zip.substr(37, npy.size()), npy);
  // CRC-32 of the member, sizes, and the end record counting two members.
  const size_t end = zip.size() - 22;
  EXPECT_EQ(le32(zip, end), 0x06054b50u);
  EXPECT_EQ(static_cast<uint8_t>(zip[end + 10]), 2);
  EXPECT_EQ(le32(zip, 18), npy.size());
  EXPECT_EQ(le32(zip, 22), npy.size());
  const uint32_t directory = le32(zip, end + 16);
  EXPECT_EQ(le32(zip, directory), 0x02014b50u);
  EXPECT_EQ(le32(zip, directory + 16), le32(zip, 14));
}

} // namespace

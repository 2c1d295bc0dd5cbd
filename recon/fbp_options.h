// Options of filtered backprojection: the apodisation window of the ramp filter and its cutoff.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "projectors/enum_table.h"

namespace osmo {

// Apodisation windows of the ramp filter, as functions of f/f_c (f_c = cutoff × Nyquist):
// ram-lak 1, shepp-logan sinc(f/2f_c), cosine cos(πf/2f_c), hamming 0.54 + 0.46cos(πf/f_c),
// hann 0.5 + 0.5cos(πf/f_c); all 0 above f_c.
enum class FbpWindow { kRamLak, kSheppLogan, kCosine, kHamming, kHann };
inline constexpr EnumTable<FbpWindow, 5> kFbpWindows = {{
    {FbpWindow::kRamLak, "ram-lak", "no apodisation, sharpest"},
    {FbpWindow::kSheppLogan, "shepp-logan", "sinc"},
    {FbpWindow::kCosine, "cosine", "cosine"},
    {FbpWindow::kHamming, "hamming", "0.54 + 0.46 cos"},
    {FbpWindow::kHann, "hann", "0.5 + 0.5 cos, smoothest"},
}};
const char* ToString(FbpWindow window);

struct FbpOptions {
  FbpWindow window = FbpWindow::kHann;
  double cutoff = 1.0;  // fraction of the Nyquist frequency, (0, 1]
  // Laterally truncated data (an object wider than the field of view: the detector's edge
  // channels are not air) are extended before filtering, so the ramp filter does not see a jump
  // to zero at the detector edge (the bright rim of truncation). See TruncationExtension.
  bool extend_truncated = true;
  void Validate() const;
};

}  // namespace osmo

// Ring-artefact suppression in the sinogram, before reconstruction (`--ring-filter`).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "projectors/arrays.h"

namespace osmo {

// A detector cell whose gain differs from its neighbours' adds nearly the same offset to every
// view: a stripe in the sinogram, a ring in the image. For each detector row the per-channel
// median over all views, m_c, is split into its smooth part — a running median over `width`
// channels — and the stripe s_c = m_c − smooth_c, which is subtracted from every view (the
// sorting/median variant of the classic stripe removal of Rivers 1998 and Boin & Haibel 2006:
// medians keep the object's own edges out of the correction). `width` (odd, ≥ 3) bounds the
// widest stripe removed. Returns the RMS of the removed stripes, for messages.
double RemoveStripes(Sinogram& sinogram, int64_t width = 21);

}  // namespace osmo

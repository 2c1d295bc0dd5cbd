// Checks a MetaImage header (.mha/.mhd) before ITK reads it: ITK crashes on some malformed
// headers (NDims = 0) and reads truncated data without an error, and a header may name any
// file on the machine as its data.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

namespace osmo {

// Throws InputError naming the file and the header key unless: NDims is 2 or 3; DimSize has NDims
// positive sizes (at most 2^20 each); ElementType is a numeric MET_ type; ElementNumberOfChannels
// is 1; the data are LOCAL (.mha) or a file in the header's own folder (a data file elsewhere,
// a LIST or a pattern is refused unless OSMO_ALLOW_EXTERNAL_DATA=1 is set in the environment); and
// the file holds all the bytes the header promises (uncompressed: sizes × element size;
// compressed: CompressedDataSize).
void CheckMetaImageHeader(const std::string& path);

}  // namespace osmo

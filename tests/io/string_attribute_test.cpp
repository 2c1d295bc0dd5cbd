// Tests that string attributes read whatever their storage: the ways h5py, MATLAB, NumPy and the
// HDF5 C API write them (variable or fixed length, ASCII or UTF-8, null- or space-padded).
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>

#include "projectors/error.h"
#include "recon/io/hdf5_util.h"

namespace osmo {
namespace {

struct StringStorage {
  const char* name;
  bool variable;
  H5T_cset_t cset;
  H5T_str_t pad;
  size_t fixed_size;  // bytes of a fixed-length string (may exceed the text: padding)
  bool scalar;        // scalar dataspace, else a one-element array
};

// Writes `text` as attribute "a" of the file's root group in the given storage.
void WriteVariant(hid_t file, const StringStorage& s, const std::string& text) {
  h5::Handle root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(type.get(), s.cset);
  H5Tset_strpad(type.get(), s.pad);
  const hsize_t one = 1;
  h5::Handle space(s.scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &one, nullptr), H5Sclose);
  if (s.variable) {
    H5Tset_size(type.get(), H5T_VARIABLE);
    h5::Handle attr(H5Acreate2(root.get(), "a", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                    H5Aclose);
    const char* pointer = text.c_str();
    ASSERT_GE(H5Awrite(attr.get(), type.get(), &pointer), 0);
  } else {
    H5Tset_size(type.get(), s.fixed_size);
    std::string bytes = text;
    bytes.resize(s.fixed_size, s.pad == H5T_STR_SPACEPAD ? ' ' : '\0');
    h5::Handle attr(H5Acreate2(root.get(), "a", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                    H5Aclose);
    ASSERT_GE(H5Awrite(attr.get(), type.get(), bytes.data()), 0);
  }
}

TEST(StringAttribute, EveryStorageReadsAsTheSameText) {
  const StringStorage variants[] = {
      // h5py's default for `attrs["k"] = "scan"`: variable length, UTF-8, scalar.
      {"h5py_default", true, H5T_CSET_UTF8, H5T_STR_NULLTERM, 0, true},
      {"variable_ascii", true, H5T_CSET_ASCII, H5T_STR_NULLTERM, 0, true},
      {"variable_utf8_array", true, H5T_CSET_UTF8, H5T_STR_NULLTERM, 0, false},
      // NumPy np.bytes_("scan") through h5py: fixed, no terminator.
      {"numpy_bytes", false, H5T_CSET_ASCII, H5T_STR_NULLPAD, 4, true},
      {"fixed_utf8_nullpad", false, H5T_CSET_UTF8, H5T_STR_NULLPAD, 9, true},
      // MATLAB h5writeatt with a char vector: fixed, null-terminated ASCII.
      {"matlab_nullterm", false, H5T_CSET_ASCII, H5T_STR_NULLTERM, 5, true},
      {"fortran_spacepad", false, H5T_CSET_ASCII, H5T_STR_SPACEPAD, 12, true},
      {"fixed_utf8_array", false, H5T_CSET_UTF8, H5T_STR_NULLTERM, 8, false},
  };
  for (const StringStorage& s : variants) {
    const std::string path = ::testing::TempDir() + "osmo_string_" + s.name + ".h5";
    {
      h5::Handle file = h5::CreateFile(path);
      WriteVariant(file.get(), s, "scan");
    }
    h5::Handle file = h5::OpenFileReadOnly(path);
    h5::Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
    std::string value;
    EXPECT_NO_THROW(value = h5::ReadStringAttribute(root.get(), "a", path)) << s.name;
    EXPECT_EQ(value, "scan") << s.name;
  }
}

TEST(StringAttribute, NonAsciiUtf8TextSurvives) {
  const std::string path = ::testing::TempDir() + "osmo_string_utf8_text.h5";
  const std::string text = "μ-Kanal ≥ 1";
  {
    h5::Handle file = h5::CreateFile(path);
    WriteVariant(file.get(), {"utf8", true, H5T_CSET_UTF8, H5T_STR_NULLTERM, 0, true}, text);
  }
  h5::Handle file = h5::OpenFileReadOnly(path);
  h5::Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  EXPECT_EQ(h5::ReadStringAttribute(root.get(), "a", path), text);
}

TEST(StringAttribute, ArraysOfSeveralStringsAreRefusedByCount) {
  const std::string path = ::testing::TempDir() + "osmo_string_array.h5";
  {
    h5::Handle file = h5::CreateFile(path);
    h5::Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
    h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), 4);
    const hsize_t two = 2;
    h5::Handle space(H5Screate_simple(1, &two, nullptr), H5Sclose);
    h5::Handle attr(H5Acreate2(root.get(), "a", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                    H5Aclose);
    H5Awrite(attr.get(), type.get(), "scanscan");
  }
  h5::Handle file = h5::OpenFileReadOnly(path);
  h5::Handle root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  try {
    h5::ReadStringAttribute(root.get(), "a", path);
    FAIL() << "an array of two strings was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("expected a single string, found an array of 2"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace osmo

// Thin, checked helpers over the HDF5 C API: RAII handles, typed attribute and dataset access.
// Every failure becomes an InputError naming the file, the object, what was expected and found.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace osmo::h5 {

// An owned HDF5 identifier, closed with the matching H5?close on destruction.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();
  hid_t get() const { return id_; }
  // Closes now and throws InputError naming `what` if the library reports a failure (for files:
  // flushes first, so a full disk is reported here rather than ignored by the destructor).
  void Close(const std::string& what);
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Turns off HDF5's own error printing; osmo reports errors itself.
void SilenceErrors();

// Opens an existing file read-only; throws InputError for a missing, non-HDF5 or corrupt file.
Handle OpenFileReadOnly(const std::string& path);
// Creates (truncates) a file for writing.
Handle CreateFile(const std::string& path);

// Whether an object exists at `path` (absolute, "/a/b"), checking each link on the way.
bool Exists(hid_t file, const std::string& path);
bool HasAttribute(hid_t object, const std::string& name);

// Opens a dataset or group; throws InputError "file: path: expected a dataset, found nothing".
Handle OpenDataset(hid_t file, const std::string& path, const std::string& file_name);
Handle OpenGroup(hid_t file, const std::string& path, const std::string& file_name);

// Dimensions of a dataset (empty for scalars).
std::vector<hsize_t> Shape(hid_t dataset);
// Throws InputError unless `type` is IEEE float32/float64 or a whole-byte integer (HDF5's
// conversion of damaged exotic types is unsafe).
void CheckStandardNumericType(hid_t type, const std::string& where);

// H5T_class_t of a dataset or attribute.
H5T_class_t TypeClass(hid_t dataset);

// Scalar attributes. `where` is the "file: object" prefix of error messages.
std::string ReadStringAttribute(hid_t object, const std::string& name, const std::string& where);
double ReadNumberAttribute(hid_t object, const std::string& name, const std::string& where);
std::vector<double> ReadNumberArrayAttribute(hid_t object, const std::string& name,
                                             const std::string& where);

// Reads a whole floating-point dataset, converted to float or double; rejects integer, string and
// compound data. `out` must have room for the product of the shape.
void ReadFloats(hid_t dataset, float* out, const std::string& where);
void ReadDoubles(hid_t dataset, double* out, const std::string& where);
// Reads rows [row_begin, row_end) of dimension 1 of a 3D numeric dataset (integer or float) as
// float: out is [dim0][row_end − row_begin][dim2].
void ReadFloatSlab(hid_t dataset, int64_t row_begin, int64_t row_end, float* out,
                   const std::string& where);

void WriteStringAttribute(hid_t object, const std::string& name, const std::string& value);
void WriteDoubleAttribute(hid_t object, const std::string& name, double value);
void WriteIntAttribute(hid_t object, const std::string& name, int64_t value);
void WriteDoubleArrayAttribute(hid_t object, const std::string& name,
                               const std::vector<double>& values);

// Writes a float32 dataset; when `chunk` is non-empty it is chunked with those dimensions,
// checksummed (Fletcher-32) and compressed (shuffle + gzip).
Handle WriteFloatDataset(hid_t location, const std::string& name, const std::vector<hsize_t>& dims,
                         const float* data, const std::vector<hsize_t>& chunk = {});
void WriteDoubleDataset(hid_t location, const std::string& name, const std::vector<hsize_t>& dims,
                        const double* data);
Handle CreateGroup(hid_t location, const std::string& name);

}  // namespace osmo::h5

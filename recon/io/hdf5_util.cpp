// Checked HDF5 helpers.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/hdf5_util.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "projectors/error.h"
#include "projectors/input_file.h"

namespace osmo::h5 {

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void Handle::Close(const std::string& what) {
  if (id_ < 0 || !closer_) return;
  const hid_t id = id_;
  id_ = -1;
  if (closer_ == H5Fclose && H5Fflush(id, H5F_SCOPE_GLOBAL) < 0) {
    closer_(id);
    throw InputError(what, "a complete HDF5 file", "a failure to write it (disk full?)");
  }
  if (closer_(id) < 0) {
    throw InputError(what, "a complete HDF5 file", "a failure to close it (disk full?)");
  }
}

Handle::~Handle() {
  if (id_ >= 0 && closer_) closer_(id_);
}

void SilenceErrors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

namespace {
// osmo closes every file explicitly and checks the result (Handle::Close). HDF5's own exit
// handler would close again whatever a failed write left open and crash (seen after a full disk),
// so it is not installed; this runs before any other HDF5 call of the program.
const bool kNoHdf5ExitHandler = [] {
  H5dont_atexit();
  return true;
}();
}  // namespace

namespace {

std::string ShapeText(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "a scalar";
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < dims.size(); ++i) out << (i ? "][" : "") << dims[i];
  out << "]";
  return out.str();
}

std::string ClassName(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER:
      return "integer data";
    case H5T_FLOAT:
      return "floating-point data";
    case H5T_STRING:
      return "string data";
    case H5T_COMPOUND:
      return "compound data";
    case H5T_ENUM:
      return "enum data";
    case H5T_ARRAY:
      return "array data";
    default:
      return "data of another HDF5 class";
  }
}

}  // namespace

Handle OpenFileReadOnly(const std::string& path) {
  SilenceErrors();
  RequireRegularFile(path, "a readable HDF5 file");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0) throw InputError(path, "an HDF5 file", "a file without the HDF5 signature");
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw InputError(path, "a readable HDF5 file", "a truncated or corrupt file");
  return Handle(id, H5Fclose);
}

Handle CreateFile(const std::string& path) {
  SilenceErrors();
  // The HDF5 1.8 file format: its superblock and object headers carry checksums, so damaged
  // metadata is refused by the library before it is decoded (the 1.6-era default format has
  // none, and HDF5's decoders are not safe on damaged headers). Readable by HDF5 ≥ 1.8 (h5py,
  // MATLAB since R2011).
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_V18);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get());
  if (id < 0)
    throw InputError(path, "a writable location for an HDF5 file", "a failure to create it");
  return Handle(id, H5Fclose);
}

bool Exists(hid_t file, const std::string& path) {
  std::string partial;
  std::istringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty()) continue;
    partial += "/" + part;
    if (H5Lexists(file, partial.c_str(), H5P_DEFAULT) <= 0) return false;
    H5L_info_t link;
    if (H5Lget_info(file, partial.c_str(), &link, H5P_DEFAULT) >= 0 &&
        link.type == H5L_TYPE_EXTERNAL && !ExternalDataAllowed()) {
      char name[4096] = "";
      H5Fget_name(file, name, sizeof name);
      throw InputError(std::string(name) + ": " + partial,
                       "an object inside the file (OSMO_ALLOW_EXTERNAL_DATA=1 allows others)",
                       "an external link to another file");
    }
    if (H5Oexists_by_name(file, partial.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

bool HasAttribute(hid_t object, const std::string& name) {
  return H5Aexists(object, name.c_str()) > 0;
}

Handle OpenDataset(hid_t file, const std::string& path, const std::string& file_name) {
  if (!Exists(file, path)) throw InputError(file_name + ": " + path, "a dataset", "nothing");
  H5O_info_t info;
  if (H5Oget_info_by_name(file, path.c_str(), &info, H5P_DEFAULT) < 0 ||
      info.type != H5O_TYPE_DATASET) {
    throw InputError(file_name + ": " + path, "a dataset", "another kind of object");
  }
  const hid_t id = H5Dopen2(file, path.c_str(), H5P_DEFAULT);
  if (id < 0) throw InputError(file_name + ": " + path, "a readable dataset", "a corrupt object");
  Handle dataset(id, H5Dclose);
  if (!ExternalDataAllowed()) {
    Handle properties(H5Dget_create_plist(id), H5Pclose);
    if (H5Pget_external_count(properties.get()) > 0 ||
        H5Pget_layout(properties.get()) == H5D_VIRTUAL) {
      throw InputError(file_name + ": " + path,
                       "data stored in the file itself (OSMO_ALLOW_EXTERNAL_DATA=1 allows others)",
                       "data in external or virtual storage");
    }
  }
  return dataset;
}

Handle OpenGroup(hid_t file, const std::string& path, const std::string& file_name) {
  if (!Exists(file, path)) throw InputError(file_name + ": " + path, "a group", "nothing");
  H5O_info_t info;
  if (H5Oget_info_by_name(file, path.c_str(), &info, H5P_DEFAULT) < 0 ||
      info.type != H5O_TYPE_GROUP) {
    throw InputError(file_name + ": " + path, "a group", "another kind of object");
  }
  const hid_t id = H5Gopen2(file, path.c_str(), H5P_DEFAULT);
  if (id < 0) throw InputError(file_name + ": " + path, "a readable group", "a corrupt object");
  return Handle(id, H5Gclose);
}

std::vector<hsize_t> Shape(hid_t dataset) {
  Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

H5T_class_t TypeClass(hid_t dataset) {
  Handle type(H5Dget_type(dataset), H5Tclose);
  return H5Tget_class(type.get());
}

namespace {

Handle OpenAttribute(hid_t object, const std::string& name, const std::string& where,
                     const std::string& expected) {
  if (!HasAttribute(object, name)) {
    throw InputError(where + " attribute " + name, expected, "nothing (missing attribute)");
  }
  const hid_t id = H5Aopen(object, name.c_str(), H5P_DEFAULT);
  if (id < 0) throw InputError(where + " attribute " + name, expected, "an unreadable attribute");
  return Handle(id, H5Aclose);
}

hssize_t AttributeElements(hid_t attribute) {
  Handle space(H5Aget_space(attribute), H5Sclose);
  return H5Sget_simple_extent_npoints(space.get());
}

}  // namespace

// Numbers must be stored as a standard IEEE float (32/64 bits) or a whole-byte integer: a damaged
// or exotic datatype (odd precision, bit offsets, exponent layout) sends HDF5 into its generic
// conversion code, which a crafted file can make write past its buffers.
void CheckStandardNumericType(hid_t type, const std::string& where) {
  const H5T_class_t cls = H5Tget_class(type);
  bool standard = false;
  if (cls == H5T_FLOAT) {
    for (hid_t known : {H5T_IEEE_F32LE, H5T_IEEE_F32BE, H5T_IEEE_F64LE, H5T_IEEE_F64BE})
      standard = standard || H5Tequal(type, known) > 0;
  } else if (cls == H5T_INTEGER) {
    const size_t size = H5Tget_size(type);
    standard = (size == 1 || size == 2 || size == 4 || size == 8) &&
               H5Tget_precision(type) == 8 * size && H5Tget_offset(type) == 0;
  }
  if (!standard) {
    throw InputError(
        where, "numbers stored as IEEE float32/float64 or whole-byte integers",
        cls == H5T_FLOAT || cls == H5T_INTEGER ? "a non-standard numeric type" : ClassName(cls));
  }
}

// Strings come in many storages: h5py writes variable-length UTF-8 by default, MATLAB and the
// C API fixed-length ASCII (null- or space-padded), NumPy byte strings fixed-length without a
// terminator. The memory type copies the file type's character set (HDF5 converts no character
// sets) and storage, so every variant reads; a one-element array counts as a scalar.
std::string ReadStringAttribute(hid_t object, const std::string& name, const std::string& where) {
  Handle attr = OpenAttribute(object, name, where, "a string");
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  const std::string what = where + " attribute " + name;
  if (H5Tget_class(type.get()) != H5T_STRING) {
    throw InputError(what, "a string", ClassName(H5Tget_class(type.get())));
  }
  const hssize_t elements = AttributeElements(attr.get());
  if (elements != 1) {
    throw InputError(what, "a single string", "an array of " + std::to_string(elements));
  }
  const H5T_cset_t cset = H5Tget_cset(type.get());
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  if (cset >= 0) H5Tset_cset(mem.get(), cset);
  std::string value;
  if (H5Tis_variable_str(type.get()) > 0) {
    H5Tset_size(mem.get(), H5T_VARIABLE);
    char* text = nullptr;
    if (H5Aread(attr.get(), mem.get(), &text) < 0) {
      throw InputError(what, "a readable string", "unreadable string data");
    }
    if (text != nullptr) {
      value = text;
      H5free_memory(text);
    }
  } else {
    const size_t size = H5Tget_size(type.get());
    if (size == 0 || size > (size_t(1) << 20)) {
      throw InputError(what, "a string of at most 1 MiB", std::to_string(size) + " bytes");
    }
    std::string buffer(size + 1, '\0');
    H5Tset_size(mem.get(), size + 1);
    H5Tset_strpad(mem.get(), H5T_STR_NULLTERM);
    if (H5Aread(attr.get(), mem.get(), buffer.data()) < 0) {
      throw InputError(what, "a readable string", "unreadable string data");
    }
    value.assign(buffer.c_str());
  }
  // Space padding (Fortran, MATLAB char arrays) and stray terminators are not part of the value.
  while (!value.empty() && (value.back() == ' ' || value.back() == '\0')) value.pop_back();
  return value;
}

std::vector<double> ReadNumberArrayAttribute(hid_t object, const std::string& name,
                                             const std::string& where) {
  Handle attr = OpenAttribute(object, name, where, "a number");
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    throw InputError(where + " attribute " + name, "a number", ClassName(cls));
  }
  CheckStandardNumericType(type.get(), where + " attribute " + name);
  const hssize_t n = AttributeElements(attr.get());
  if (n > 65536) {
    throw InputError(where + " attribute " + name, "at most 65536 numbers", std::to_string(n));
  }
  std::vector<double> values(static_cast<size_t>(std::max<hssize_t>(n, 0)));
  if (n <= 0 || H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()) < 0) {
    throw InputError(where + " attribute " + name, "a readable number", "unreadable data");
  }
  return values;
}

double ReadNumberAttribute(hid_t object, const std::string& name, const std::string& where) {
  const std::vector<double> values = ReadNumberArrayAttribute(object, name, where);
  if (values.size() != 1) {
    throw InputError(where + " attribute " + name, "a single number",
                     "an array of " + std::to_string(values.size()));
  }
  if (!std::isfinite(values[0])) {
    throw InputError(where + " attribute " + name, "a finite number", ToText(values[0]));
  }
  return values[0];
}

namespace {

// A dataset whose chunks were never written reads as fill values (zeros) without any error:
// refuse it, so a damaged or sparse file cannot pass for data.
void CheckStorageComplete(hid_t dataset, const std::string& where) {
  Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank <= 0 || H5Sget_simple_extent_npoints(space.get()) == 0) return;
  Handle properties(H5Dget_create_plist(dataset), H5Pclose);
  if (H5Pget_layout(properties.get()) == H5D_CHUNKED) {
    // Compressed chunks take less room than the data, so count chunks instead of bytes.
    std::vector<hsize_t> dims(static_cast<size_t>(rank)), chunk(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    if (H5Pget_chunk(properties.get(), rank, chunk.data()) != rank) {
      throw InputError(where, "readable chunk information", "a corrupt dataset header");
    }
    hsize_t expected = 1;
    for (int d = 0; d < rank; ++d) {
      if (chunk[size_t(d)] == 0) throw InputError(where, "chunks of positive size", "size 0");
      expected *= (dims[size_t(d)] + chunk[size_t(d)] - 1) / chunk[size_t(d)];
    }
    hsize_t written = 0;
    if (H5Dget_num_chunks(dataset, space.get(), &written) < 0) {
      throw InputError(where, "a readable chunk index", "a corrupt chunk index");
    }
    if (written < expected) {
      throw InputError(where, "data for every element (" + std::to_string(expected) + " chunks)",
                       std::to_string(written) + " chunks written (the rest would read as zeros)");
    }
    return;
  }
  H5D_space_status_t status;
  if (H5Dget_space_status(dataset, &status) < 0) {
    throw InputError(where, "readable storage information", "a corrupt dataset header");
  }
  if (status != H5D_SPACE_STATUS_ALLOCATED) {
    throw InputError(where, "data for every element", "a dataset whose data were never written");
  }
}

void ReadAll(hid_t dataset, hid_t memory_type, void* out, const std::string& where,
             bool allow_integer) {
  const H5T_class_t cls = TypeClass(dataset);
  if (cls != H5T_FLOAT && !(allow_integer && cls == H5T_INTEGER)) {
    throw InputError(where, allow_integer ? "numeric data" : "floating-point data (float32)",
                     ClassName(cls));
  }
  {
    Handle type(H5Dget_type(dataset), H5Tclose);
    CheckStandardNumericType(type.get(), where);
  }
  CheckStorageComplete(dataset, where);
  if (H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    throw InputError(where, "readable data",
                     "a read error (truncated or corrupt file, or a failed checksum)");
  }
}

}  // namespace

void ReadFloats(hid_t dataset, float* out, const std::string& where) {
  ReadAll(dataset, H5T_NATIVE_FLOAT, out, where, false);
}

void ReadDoubles(hid_t dataset, double* out, const std::string& where) {
  ReadAll(dataset, H5T_NATIVE_DOUBLE, out, where, false);
}

void ReadFloatSlab(hid_t dataset, int64_t row_begin, int64_t row_end, float* out,
                   const std::string& where) {
  const H5T_class_t cls = TypeClass(dataset);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
    throw InputError(where, "numeric data", ClassName(cls));
  }
  const std::vector<hsize_t> dims = Shape(dataset);
  if (dims.size() != 3) throw InputError(where, "a 3D dataset", ShapeText(dims));
  {
    Handle type(H5Dget_type(dataset), H5Tclose);
    CheckStandardNumericType(type.get(), where);
  }
  CheckStorageComplete(dataset, where);
  Handle file_space(H5Dget_space(dataset), H5Sclose);
  const hsize_t start[3] = {0, hsize_t(row_begin), 0};
  const hsize_t count[3] = {dims[0], hsize_t(row_end - row_begin), dims[2]};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  Handle memory_space(H5Screate_simple(3, count, nullptr), H5Sclose);
  if (H5Dread(dataset, H5T_NATIVE_FLOAT, memory_space.get(), file_space.get(), H5P_DEFAULT, out) <
      0) {
    throw InputError(where, "readable data",
                     "a read error (truncated or corrupt file, or a failed checksum)");
  }
}

namespace {

void WriteAttribute(hid_t object, const std::string& name, hid_t file_type, hid_t memory_type,
                    const void* data, hsize_t n) {
  if (HasAttribute(object, name)) H5Adelete(object, name.c_str());
  Handle space(n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle attr(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), memory_type, data) < 0) {
    throw InputError("attribute " + name, "a successful write", "an HDF5 write error");
  }
}

}  // namespace

void WriteStringAttribute(hid_t object, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), value.size() + 1);
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  WriteAttribute(object, name, type.get(), type.get(), value.c_str(), 0);
}

void WriteDoubleAttribute(hid_t object, const std::string& name, double value) {
  WriteAttribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, 0);
}

void WriteIntAttribute(hid_t object, const std::string& name, int64_t value) {
  const int32_t v = int32_t(value);
  WriteAttribute(object, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &v, 0);
}

void WriteDoubleArrayAttribute(hid_t object, const std::string& name,
                               const std::vector<double>& values) {
  WriteAttribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(),
                 hsize_t(values.size()));
}

Handle WriteFloatDataset(hid_t location, const std::string& name, const std::vector<hsize_t>& dims,
                         const float* data, const std::vector<hsize_t>& chunk) {
  Handle space(H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!chunk.empty()) {
    H5Pset_chunk(properties.get(), int(chunk.size()), chunk.data());
    // Fletcher-32 checksums per chunk: a flipped bit on disk fails the read instead of
    // changing values silently.
    H5Pset_fletcher32(properties.get());
    H5Pset_shuffle(properties.get());
    H5Pset_deflate(properties.get(), 1);
  }
  Handle dataset(H5Dcreate2(location, name.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                            properties.get(), H5P_DEFAULT),
                 H5Dclose);
  if (!dataset.valid() ||
      H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    throw InputError("dataset " + name, "a successful write", "an HDF5 write error (disk full?)");
  }
  return dataset;
}

void WriteDoubleDataset(hid_t location, const std::string& name, const std::vector<hsize_t>& dims,
                        const double* data) {
  Handle space(H5Screate_simple(int(dims.size()), dims.data(), nullptr), H5Sclose);
  // One checksummed chunk: small arrays (angles) are protected like the sinogram.
  Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  bool chunkable = !dims.empty();
  for (hsize_t d : dims) chunkable = chunkable && d > 0;
  if (chunkable) {
    H5Pset_chunk(properties.get(), int(dims.size()), dims.data());
    H5Pset_fletcher32(properties.get());
  }
  Handle dataset(H5Dcreate2(location, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                            properties.get(), H5P_DEFAULT),
                 H5Dclose);
  if (!dataset.valid() ||
      H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    throw InputError("dataset " + name, "a successful write", "an HDF5 write error (disk full?)");
  }
}

Handle CreateGroup(hid_t location, const std::string& name) {
  Handle group(H5Gcreate2(location, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!group.valid()) throw InputError("group " + name, "a successful write", "an HDF5 error");
  return group;
}

}  // namespace osmo::h5

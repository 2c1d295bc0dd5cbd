// Checked HDF5 helpers.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/hdf5_util.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "projectors/error.h"

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

Handle::~Handle() {
  if (id_ >= 0 && closer_) closer_(id_);
}

void SilenceErrors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

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
  {
    std::ifstream probe(path, std::ios::binary);
    if (!probe) throw InputError(path, "a readable file", "no such file (or no permission)");
  }
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0) throw InputError(path, "an HDF5 file", "a file without the HDF5 signature");
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw InputError(path, "a readable HDF5 file", "a truncated or corrupt file");
  return Handle(id, H5Fclose);
}

Handle CreateFile(const std::string& path) {
  SilenceErrors();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
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
  return Handle(id, H5Dclose);
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
  const hssize_t n = AttributeElements(attr.get());
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

void ReadAll(hid_t dataset, hid_t memory_type, void* out, const std::string& where,
             bool allow_integer) {
  const H5T_class_t cls = TypeClass(dataset);
  if (cls != H5T_FLOAT && !(allow_integer && cls == H5T_INTEGER)) {
    throw InputError(where, allow_integer ? "numeric data" : "floating-point data (float32)",
                     ClassName(cls));
  }
  if (H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    throw InputError(where, "readable data", "a read error (truncated or corrupt file?)");
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
  Handle file_space(H5Dget_space(dataset), H5Sclose);
  const hsize_t start[3] = {0, hsize_t(row_begin), 0};
  const hsize_t count[3] = {dims[0], hsize_t(row_end - row_begin), dims[2]};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  Handle memory_space(H5Screate_simple(3, count, nullptr), H5Sclose);
  if (H5Dread(dataset, H5T_NATIVE_FLOAT, memory_space.get(), file_space.get(), H5P_DEFAULT, out) <
      0) {
    throw InputError(where, "readable data", "a read error (truncated or corrupt file?)");
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
    H5Pset_shuffle(properties.get());
    H5Pset_deflate(properties.get(), 4);
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
  Handle dataset(H5Dcreate2(location, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                            H5P_DEFAULT, H5P_DEFAULT),
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

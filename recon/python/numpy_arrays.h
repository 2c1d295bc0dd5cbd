// NumPy ⇄ osmo arrays for the Python module. Axis order is the C++ memory order: an image is
// (nz, ny, nx), a sinogram (views, rows, channels), both float32 C-contiguous (docs/PYTHON.md).
// Arrays going out share the C++ buffer (no copy; the NumPy array keeps it alive); arrays coming
// in are copied once into the C++ container (converted to float32 if needed).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <utility>
#include <vector>

#include "projectors/arrays.h"
#include "projectors/error.h"

namespace osmo::python {

namespace py = pybind11;
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// A NumPy array that owns `values` (moved onto the heap, freed with the array).
inline py::array_t<float> OwningArray(std::vector<float>&& values,
                                      const std::vector<py::ssize_t>& shape) {
  auto* owned = new std::vector<float>(std::move(values));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>(shape, owned->data(), free_when_done);
}

inline std::string ShapeText(const py::array& a) {
  std::string text = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) text += (d ? ", " : "") + std::to_string(a.shape(d));
  return text + (a.ndim() == 1 ? ",)" : ")");
}

inline std::vector<float> CopyChecked(const FloatArray& a, const std::vector<py::ssize_t>& shape,
                                      const std::string& what) {
  std::string expected = "(";
  for (size_t d = 0; d < shape.size(); ++d) expected += (d ? ", " : "") + std::to_string(shape[d]);
  expected += ")";
  bool same = a.ndim() == py::ssize_t(shape.size());
  for (size_t d = 0; same && d < shape.size(); ++d) same = a.shape(py::ssize_t(d)) == shape[d];
  if (!same) throw InputError(what, "an array of shape " + expected, ShapeText(a));
  return std::vector<float>(a.data(), a.data() + a.size());
}

inline std::vector<py::ssize_t> ImageShape(const ImageGeometry& g) { return {g.nz, g.ny, g.nx}; }
inline std::vector<py::ssize_t> SinogramShape(const ScanGeometry& s) {
  return {s.NumViews(), s.n_rows, s.n_channels};
}

// An image on `grid` from a (nz, ny, nx) array; a 2D (ny, nx) array is taken as one slice.
inline Image ToImage(const FloatArray& a, const ImageGeometry& grid, const std::string& what) {
  Image image(grid);
  if (a.ndim() == 2 && grid.nz == 1)
    image.values = CopyChecked(a, {grid.ny, grid.nx}, what);
  else
    image.values = CopyChecked(a, ImageShape(grid), what);
  return image;
}

inline Sinogram ToSinogram(const FloatArray& a, const ScanGeometry& scan, const std::string& what) {
  Sinogram sinogram(scan);
  sinogram.values = CopyChecked(a, SinogramShape(scan), what);
  return sinogram;
}

inline py::array_t<float> FromImage(Image&& image) {
  const std::vector<py::ssize_t> shape = ImageShape(image.geometry);
  return OwningArray(std::move(image.values), shape);
}

inline py::array_t<float> FromSinogram(Sinogram&& sinogram) {
  const std::vector<py::ssize_t> shape = {sinogram.n_views, sinogram.n_rows, sinogram.n_channels};
  return OwningArray(std::move(sinogram.values), shape);
}

}  // namespace osmo::python

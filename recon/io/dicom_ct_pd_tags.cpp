// Typed access to DICOM-CT-PD tag values.
// SPDX-License-Identifier: Apache-2.0
#include "recon/io/dicom_ct_pd_tags.h"

#include <cstdio>
#include <cstring>

#include "projectors/error.h"
#include "recon/io/text_parsing.h"

namespace osmo::ctpd {

namespace {

std::string TagNumber(const TagInfo& tag) {
  char text[16];
  std::snprintf(text, sizeof text, "(%04X,%04X)", unsigned(tag.group), unsigned(tag.element));
  return text;
}

std::string TrimPadding(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.pop_back();
  size_t first = 0;
  while (first < text.size() && text[first] == ' ') ++first;
  return text.substr(first);
}

}  // namespace

std::string Describe(const TagInfo& tag) { return TagNumber(tag) + " " + tag.name; }

std::string TagReader::Where(const TagInfo& tag) const { return file_ + ": " + Describe(tag); }

bool TagReader::Has(const TagInfo& tag) const {
  const gdcm::Tag t(tag.group, tag.element);
  return data_set_.FindDataElement(t) && !data_set_.GetDataElement(t).IsEmpty();
}

const char* TagReader::Bytes(const TagInfo& tag, size_t* length) const {
  const gdcm::Tag t(tag.group, tag.element);
  const std::string expected_vr = gdcm::VR::GetVRString(tag.vr);
  if (!data_set_.FindDataElement(t)) {
    throw InputError(Where(tag), "a " + expected_vr + " value", "no such tag");
  }
  const gdcm::DataElement& element = data_set_.GetDataElement(t);
  const gdcm::VR vr = element.GetVR();
  // Implicit VR files read as INVALID (or UN); OB/OW are interchangeable for pixel data.
  const bool vr_known = vr != gdcm::VR::INVALID && vr != gdcm::VR::UN;
  const bool pixel_vr = tag.vr == gdcm::VR::OW && (vr == gdcm::VR::OB || vr == gdcm::VR::OW);
  if (vr_known && !pixel_vr && !(vr & tag.vr)) {
    throw InputError(Where(tag), "VR " + expected_vr,
                     std::string("VR ") + gdcm::VR::GetVRString(vr));
  }
  const gdcm::ByteValue* value = element.GetByteValue();
  if (value == nullptr) {
    throw InputError(Where(tag), "a " + expected_vr + " value stored uncompressed",
                     element.IsEmpty() ? "an empty value" : "an encapsulated (compressed) value");
  }
  *length = value->GetLength();
  if (*length == 0) throw InputError(Where(tag), "a " + expected_vr + " value", "an empty value");
  return value->GetPointer();
}

std::vector<float> TagReader::Floats(const TagInfo& tag, size_t count) const {
  size_t length = 0;
  const char* bytes = Bytes(tag, &length);
  const bool size_ok = length % 4 == 0 && (count == 0 || length == 4 * count);
  if (!size_ok) {
    throw InputError(Where(tag),
                     (count == 0 ? std::string("float32 values (a multiple of 4 bytes)")
                                 : std::to_string(count) + " float32 value(s) (" +
                                       std::to_string(4 * count) + " bytes)"),
                     std::to_string(length) + " bytes");
  }
  // Little endian, as every DICOM-CT-PD transfer syntax (the reader refuses big endian).
  std::vector<float> values(length / 4);
  std::memcpy(values.data(), bytes, length);
  return values;
}

uint16_t TagReader::UnsignedShort(const TagInfo& tag) const {
  size_t length = 0;
  const char* bytes = Bytes(tag, &length);
  if (length != 2)
    throw InputError(Where(tag), "one US value (2 bytes)", std::to_string(length) + " bytes");
  uint16_t value = 0;
  std::memcpy(&value, bytes, 2);
  return value;
}

double TagReader::Number(const TagInfo& tag) const {
  size_t length = 0;
  const char* bytes = Bytes(tag, &length);
  const std::string text = TrimPadding(std::string(bytes, length));
  const std::optional<double> value = ParseFinite(text);
  if (!value) throw InputError(Where(tag), "one decimal number", "\"" + text + "\"");
  return *value;
}

std::string TagReader::Text(const TagInfo& tag) const {
  size_t length = 0;
  const char* bytes = Bytes(tag, &length);
  return TrimPadding(std::string(bytes, length));
}

}  // namespace osmo::ctpd

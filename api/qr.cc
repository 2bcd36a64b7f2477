#include "api/qr.h"

#include <qrencode.h>

#include <cerrno>
#include <memory>

namespace dimona::api {
namespace {

struct QrcodeFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<QrCode> encode_qr(std::string_view text) {
  if (text.empty()) return invalid_argument("qr: empty text");
  if (text.size() > qr_text_bytes_max) {
    return invalid_argument("qr: text of " + std::to_string(text.size()) + " bytes, at most " +
                            std::to_string(qr_text_bytes_max));
  }
  errno = 0;
  // Version 0: the smallest symbol that holds the data.
  const std::unique_ptr<QRcode, QrcodeFree> raw(QRcode_encodeData(
      static_cast<int>(text.size()), reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
  if (!raw) return internal_error("qr: libqrencode failed (errno " + std::to_string(errno) + ")");
  DIMONA_ASSERT(raw->width >= 21 && raw->width <= 177);

  QrCode code;
  code.width = raw->width;
  const size_t count = static_cast<size_t>(raw->width) * static_cast<size_t>(raw->width);
  code.modules.resize(count);
  // libqrencode keeps other flags (function pattern, format info) in the upper bits.
  for (size_t i = 0; i < count; ++i) code.modules[i] = raw->data[i] & 1u;
  return code;
}

std::string to_svg(const QrCode& code, int module_px) {
  DIMONA_ASSERT(module_px >= 1 && module_px <= svg_module_px_max);
  DIMONA_ASSERT(code.width > 0);
  DIMONA_ASSERT(code.modules.size() == static_cast<size_t>(code.width) * static_cast<size_t>(code.width));

  const int side = code.width + 2 * qr_quiet_zone_modules;
  const std::string side_modules = std::to_string(side);
  const std::string side_px = std::to_string(side * module_px);
  std::string svg;
  svg.reserve(256 + code.modules.size() * 8);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + side_px + "\" height=\"" + side_px +
         "\" viewBox=\"0 0 " + side_modules + ' ' + side_modules + "\" shape-rendering=\"crispEdges\">\n";
  svg += "<rect width=\"" + side_modules + "\" height=\"" + side_modules + "\" fill=\"#fff\"/>\n";
  svg += "<g fill=\"#000\">\n";
  for (int y = 0; y < code.width; ++y) {
    for (int x = 0; x < code.width;) {
      if (!code.dark(x, y)) {
        ++x;
        continue;
      }
      const int start = x;
      while (x < code.width && code.dark(x, y)) ++x;
      svg += "<rect x=\"" + std::to_string(start + qr_quiet_zone_modules) + "\" y=\"" +
             std::to_string(y + qr_quiet_zone_modules) + "\" width=\"" + std::to_string(x - start) +
             "\" height=\"1\"/>\n";
    }
  }
  svg += "</g>\n</svg>\n";
  return svg;
}

}  // namespace dimona::api

// QR codes for attestations and consent links.
//
// Contract. encode_qr turns a short text (a URL, an access code) into a QR
// symbol with libqrencode: byte (8-bit) mode, error correction level M, the
// smallest version that holds the text. The text is taken as bytes, not
// re-encoded; an empty text or one longer than qr_text_bytes_max is refused
// with kInvalidArgument, and a failure inside libqrencode (out of memory) is
// kInternal. The same text always gives the same symbol.
//
// A QrCode is a plain value that owns its modules: width * width bytes, row
// by row from the top left, 1 for a dark module and 0 for a light one. It
// carries no quiet zone; whoever draws it leaves qr_quiet_zone_modules light
// modules on every side (to_svg does).
//
// to_svg draws a QrCode as a small standalone SVG document (no XML prolog,
// no external reference): a white square of (width + 2 * quiet zone) modules
// of module_px pixels each, and the dark modules as black rectangles, one per
// horizontal run. A module_px outside 1..svg_module_px_max, or a QrCode whose
// modules do not match its width, is a bug: it stops the process.
//
// Threading: both functions are pure and may run concurrently (libqrencode is
// built with its pthread locks on Debian).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"

namespace dimona::api {

// A consent or attestation URL stays well below this; the limit keeps the
// symbol small enough (version 18 or less at level M) to print at 3-4 cm.
inline constexpr size_t qr_text_bytes_max = 512;
// What a version 40 symbol holds in byte mode at level M (ISO/IEC 18004).
inline constexpr size_t qr_capacity_bytes_level_m = 2331;
static_assert(qr_text_bytes_max <= qr_capacity_bytes_level_m);
// The light border a reader needs around the symbol (ISO/IEC 18004 asks 4).
inline constexpr int qr_quiet_zone_modules = 4;
// to_svg: the size of one module in pixels.
inline constexpr int svg_module_px_max = 64;

struct QrCode {
  int width = 0;                 // modules per side: 21 (version 1) .. 177 (version 40)
  std::vector<uint8_t> modules;  // width * width, row-major from the top left, 1 = dark

  bool dark(int x, int y) const { return modules[static_cast<size_t>(y * width + x)] != 0; }
};

Result<QrCode> encode_qr(std::string_view text);

std::string to_svg(const QrCode& code, int module_px);

}  // namespace dimona::api

// Printable documents: the Student@work attestation and the Interim@work export.
//
// Contract. Each render function takes a plain description of the document,
// already read from the projections and already formatted (the interim
// export's SSIN arrives masked as ssin_masked, the attestation's in its printed
// form with the student's name: the student hands it to an employer, who
// must match it to the candidate; nothing here looks anything up), and returns the whole PDF file
// as bytes: A4 portrait, PDF 1.3 from libharu, the standard Type 1 fonts
// Helvetica, Helvetica-Bold and Courier-Bold (not embedded) in WinAnsiEncoding.
// The same input and options give the same bytes (no creation date, no random
// file id), so a document can be compared or cached by its content.
//
// Text. Every string is UTF-8 and is converted to WinAnsi (Windows-1252):
// ASCII, Latin-1 (é, è, ç, ë, ö, ...) and the Windows-1252 extras (€, –, —, ’,
// “ ”, Œ, Š, ...) print as themselves; any other character (Ł, ő, a CJK name)
// and any control character prints as '?'. Text that is not valid UTF-8 is
// refused with kInvalidArgument, as is a field longer than
// pdf_text_field_bytes_max, an access code longer than access_code_chars_max,
// remaining hours above the quota, a QR payload encode_qr refuses, or more
// than interim_rows_max rows. A table cell wider than its column is cut and
// ends with an ellipsis; the full text stays in the online view. An interim
// row is two lines: the agency's and the user company's numbers, and under
// each its name when the employer reference knows it (issue 14), so a name
// gets the whole column instead of what its number leaves.
//
// Errors. libharu reports its errors through a handler that only records the
// first one (no exception, no longjmp); rendering stops at the next check and
// the error comes back as kInternal with libharu's error and detail numbers.
// The input is validated first, so a libharu error is a bug or no memory.
//
// Ownership and threading: every call builds and frees its own libharu
// document; calls may run concurrently. Nothing is written to disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"

namespace dimona::api {

// Any one string of a document, in UTF-8 bytes.
inline constexpr size_t pdf_text_field_bytes_max = 256;
// The access code is printed whole in 30 pt Courier-Bold on one line.
inline constexpr size_t access_code_chars_max = 24;
// Interim export: table rows on one page (each two lines: numbers, then names), and on the whole document.
inline constexpr size_t interim_rows_per_page = 32;
inline constexpr size_t interim_rows_max = 10'000;
static_assert(interim_rows_per_page > 0 && interim_rows_max >= interim_rows_per_page);

struct PdfOptions {
  // Flate-compress the content streams. Tests turn it off to read the text.
  bool compress = true;
};

struct AttestationPdf {
  // The attestation identifies its student to the employer it is handed to:
  // the SSIN in its printed form (printed_ssin(): YY.MM.DD-XXX.CC), not
  // masked, and the name when known ("Family, Given"; empty: unknown).
  std::string student_ssin;
  std::string student_name;
  int32_t year = 0;
  uint32_t quota_hours = 0;
  uint32_t remaining_hours = 0;
  std::string access_code;  // printed as given, e.g. "7Q2MA-K4XZ1"
  std::string valid_from, valid_until, issued_at;
  std::string qr_payload;  // e.g. a URL the employer opens; empty: no QR code
  std::string attestation_id;
};

// One page: title "Student@work — attestation <year>", the student ("Student:
// <name> (SSIN <printed SSIN>)"), the remaining hours,
// the access code, its validity, the issue instant, the attestation id, the
// QR code of qr_payload and a footer on what the employer may see.
Result<std::string> render_attestation_pdf(const AttestationPdf& attestation, const PdfOptions& options = {});

struct InterimPdfRow {
  std::string agency, user_company, first, last;  // first, last: days of the work relation
  uint32_t days = 0;
  uint32_t periods = 0;
  std::string anomalies;  // empty: none
  // The names under the agency's and the user company's numbers; empty: none known.
  std::string agency_name, user_company_name;
};

struct InterimPdf {
  std::string ssin_masked, from, to, generated_at;
  std::vector<InterimPdfRow> rows;
};

// A table of work relations, interim_rows_per_page rows a page, the page
// header and the column header repeated on every page, "page n of N" below.
// No rows: one page that says so.
Result<std::string> render_interim_pdf(const InterimPdf& interim, const PdfOptions& options = {});

// UTF-8 to WinAnsi as described above; exposed for tests and for callers that
// want to know what a name will look like on paper.
Result<std::string> to_win_ansi(std::string_view utf8);

}  // namespace dimona::api

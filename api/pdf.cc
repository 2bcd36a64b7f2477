#include "api/pdf.h"

#include <hpdf.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "api/qr.h"
#include "engine/base/limits.h"

namespace dimona::api {
namespace {

// The attestation's footer says "three months": the access code's validity (seed 001).
static_assert(limits::access_code_valid_months == 3, "reword the attestation footer");

// WinAnsi bytes written as escapes, so the source stays UTF-8.
constexpr std::string_view kEmDash = "\x97";
constexpr std::string_view kEllipsis = "\x85";

// HPDF_PAGE_SIZE_A4 in points; checked against libharu when a page is added.
constexpr float kA4WidthPt = 595.276f;
constexpr float kA4HeightPt = 841.89f;

// --- Text --------------------------------------------------------------------------

// Windows-1252 bytes 0x80..0x9F and the code points they print (0: not assigned).
constexpr std::array<char32_t, 32> kWinAnsiHigh = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                                   0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                                   0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                                   0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

char win_ansi_of(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) return '?';  // controls
  if (cp < 0x100) return static_cast<char>(cp);
  for (size_t i = 0; i < kWinAnsiHigh.size(); ++i) {
    if (kWinAnsiHigh[i] == cp) return static_cast<char>(0x80 + i);
  }
  return '?';
}

// Decodes the code point at text[i] and moves i past it; nullopt when the
// bytes there are not UTF-8 (truncated, overlong, a surrogate, above U+10FFFF).
std::optional<char32_t> next_code_point(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  size_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1Fu, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0Fu, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07u, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (text.size() - i < length) return std::nullopt;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += length;
  return cp;
}

// A field of the input, checked and converted; the message names the field, never its content.
Status convert(std::string_view field, std::string_view utf8, std::string& out) {
  if (utf8.size() > pdf_text_field_bytes_max) {
    return invalid_argument("pdf: " + std::string(field) + " is longer than " +
                            std::to_string(pdf_text_field_bytes_max) + " bytes");
  }
  Result<std::string> converted = to_win_ansi(utf8);
  if (!converted) return invalid_argument("pdf: " + std::string(field) + " is not UTF-8");
  out = std::move(converted).value();
  return Status::ok();
}

// --- libharu -----------------------------------------------------------------------

struct HpdfError {
  HPDF_STATUS error_no = HPDF_OK;
  HPDF_STATUS detail_no = 0;
};

// libharu's error callback: keep the first error and return; libharu then
// returns an error code from the call and refuses to save the document.
void record_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void* user_data) {
  auto* error = static_cast<HpdfError*>(user_data);
  if (error->error_no == HPDF_OK) *error = {error_no, detail_no};
}

struct DocFree {
  void operator()(HPDF_Doc doc) const { HPDF_Free(doc); }
};

struct Fonts {
  HPDF_Font regular = nullptr;
  HPDF_Font bold = nullptr;
  HPDF_Font mono = nullptr;
};

// One libharu document and its recorded error. Neither copied nor moved:
// libharu keeps the address of error_.
class Pdf {
 public:
  explicit Pdf(const PdfOptions& options) : doc_(HPDF_New(record_error, &error_)) {
    if (!doc_) return;
    HPDF_SetCompressionMode(doc_.get(), options.compress ? HPDF_COMP_ALL : HPDF_COMP_NONE);
    HPDF_SetInfoAttr(doc_.get(), HPDF_INFO_CREATOR, "Dimona Ledger");
  }
  Pdf(const Pdf&) = delete;
  Pdf& operator=(const Pdf&) = delete;

  Status status() const {
    if (!doc_) return internal_error("pdf: libharu could not create a document");
    if (error_.error_no == HPDF_OK) return Status::ok();
    char text[96];
    std::snprintf(text, sizeof text, "pdf: libharu error 0x%04lX (detail %lu)", error_.error_no, error_.detail_no);
    return internal_error(text);
  }

  // ASCII only: the info dictionary is not in WinAnsi.
  void set_title(const std::string& ascii) { HPDF_SetInfoAttr(doc_.get(), HPDF_INFO_TITLE, ascii.c_str()); }

  Result<HPDF_Page> add_a4_page() {
    HPDF_Page page = HPDF_AddPage(doc_.get());
    if (page != nullptr) HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    DIMONA_TRY(status());
    DIMONA_ASSERT(page != nullptr);
    DIMONA_ASSERT(HPDF_Page_GetWidth(page) == kA4WidthPt && HPDF_Page_GetHeight(page) == kA4HeightPt);
    return page;
  }

  Result<Fonts> fonts() {
    Fonts fonts;
    fonts.regular = HPDF_GetFont(doc_.get(), "Helvetica", "WinAnsiEncoding");
    fonts.bold = HPDF_GetFont(doc_.get(), "Helvetica-Bold", "WinAnsiEncoding");
    fonts.mono = HPDF_GetFont(doc_.get(), "Courier-Bold", "WinAnsiEncoding");
    DIMONA_TRY(status());
    DIMONA_ASSERT(fonts.regular != nullptr && fonts.bold != nullptr && fonts.mono != nullptr);
    return fonts;
  }

  Result<std::string> save() {
    DIMONA_TRY(status());
    HPDF_SaveToStream(doc_.get());
    DIMONA_TRY(status());
    HPDF_UINT32 size = HPDF_GetStreamSize(doc_.get());
    std::string bytes(size, '\0');
    HPDF_ReadFromStream(doc_.get(), reinterpret_cast<HPDF_BYTE*>(bytes.data()), &size);
    DIMONA_TRY(status());
    if (size != bytes.size()) return internal_error("pdf: libharu returned a short document");
    return bytes;
  }

 private:
  HpdfError error_;  // declared first: outlives doc_
  std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, DocFree> doc_;
};

struct Pen {
  HPDF_Page page;
  HPDF_Font font;
  float size_pt;
};

float width_of(const Pen& pen, std::string_view win_ansi) {
  const HPDF_TextWidth width = HPDF_Font_TextWidth(pen.font, reinterpret_cast<const HPDF_BYTE*>(win_ansi.data()),
                                                   static_cast<HPDF_UINT>(win_ansi.size()));
  return static_cast<float>(width.width) * pen.size_pt / 1000.0f;
}

// The text cut to fit width_pt, with an ellipsis when cut.
std::string fitted(const Pen& pen, std::string text, float width_pt) {
  if (width_of(pen, text) <= width_pt) return text;
  HPDF_REAL real_width = 0;
  const HPDF_UINT fits = HPDF_Font_MeasureText(pen.font, reinterpret_cast<const HPDF_BYTE*>(text.data()),
                                               static_cast<HPDF_UINT>(text.size()), width_pt - width_of(pen, kEllipsis),
                                               pen.size_pt, 0, 0, HPDF_FALSE, &real_width);
  text.resize(fits < text.size() ? fits : text.size());
  return text.append(kEllipsis);
}

// Text in WinAnsi, its baseline starting at (x, y).
void show(const Pen& pen, float x, float y, std::string_view win_ansi) {
  const std::string text(win_ansi);  // libharu wants a NUL-terminated string
  HPDF_Page_BeginText(pen.page);
  HPDF_Page_SetFontAndSize(pen.page, pen.font, pen.size_pt);
  HPDF_Page_TextOut(pen.page, x, y, text.c_str());
  HPDF_Page_EndText(pen.page);
}

void show_right(const Pen& pen, float right_x, float y, std::string_view win_ansi) {
  show(pen, right_x - width_of(pen, win_ansi), y, win_ansi);
}

void rule(HPDF_Page page, float x0, float x1, float y, float gray) {
  HPDF_Page_SetGrayStroke(page, gray);
  HPDF_Page_SetLineWidth(page, 0.5f);
  HPDF_Page_MoveTo(page, x0, y);
  HPDF_Page_LineTo(page, x1, y);
  HPDF_Page_Stroke(page);
}

// --- Attestation -------------------------------------------------------------------

constexpr float kMarginPt = 56.0f;
constexpr float kAccessCodeSizePt = 30.0f;
constexpr float kCourierAdvanceEm = 0.6f;  // every Courier glyph is 600/1000 em wide
static_assert(static_cast<float>(access_code_chars_max) * kCourierAdvanceEm * kAccessCodeSizePt <=
              kA4WidthPt - 2 * kMarginPt);
constexpr float kQrSidePt = 150.0f;  // with its quiet zone
constexpr float kQrTopPt = 480.0f;
constexpr float kFooterPt = 96.0f;
static_assert(kQrTopPt - kQrSidePt > kFooterPt + 24.0f);

// The attestation's strings in WinAnsi.
struct AttestationText {
  std::string ssin, name, access_code, valid_from, valid_until, issued_at, attestation_id;
};

Result<AttestationText> checked(const AttestationPdf& in) {
  if (in.remaining_hours > in.quota_hours) return invalid_argument("attestation: remaining hours above the quota");
  AttestationText text;
  DIMONA_TRY(convert("student_ssin", in.student_ssin, text.ssin));
  DIMONA_TRY(convert("student_name", in.student_name, text.name));
  DIMONA_TRY(convert("access_code", in.access_code, text.access_code));
  DIMONA_TRY(convert("valid_from", in.valid_from, text.valid_from));
  DIMONA_TRY(convert("valid_until", in.valid_until, text.valid_until));
  DIMONA_TRY(convert("issued_at", in.issued_at, text.issued_at));
  DIMONA_TRY(convert("attestation_id", in.attestation_id, text.attestation_id));
  if (text.access_code.empty()) return invalid_argument("attestation: no access code");
  if (text.access_code.size() > access_code_chars_max) {
    return invalid_argument("attestation: access code longer than " + std::to_string(access_code_chars_max));
  }
  return text;
}

// The symbol as filled rectangles, one per horizontal run of dark modules,
// inside a square of kQrSidePt whose top left corner is (x, top).
void draw_qr(HPDF_Page page, const Fonts& fonts, const QrCode& code, float x, float top) {
  const int side = code.width + 2 * qr_quiet_zone_modules;
  const float module_pt = kQrSidePt / static_cast<float>(side);
  HPDF_Page_SetGrayFill(page, 0.0f);
  for (int row = 0; row < code.width; ++row) {
    const float y = top - static_cast<float>(row + qr_quiet_zone_modules + 1) * module_pt;
    for (int col = 0; col < code.width;) {
      if (!code.dark(col, row)) {
        ++col;
        continue;
      }
      const int start = col;
      while (col < code.width && code.dark(col, row)) ++col;
      HPDF_Page_Rectangle(page, x + static_cast<float>(start + qr_quiet_zone_modules) * module_pt, y,
                          static_cast<float>(col - start) * module_pt, module_pt);
    }
  }
  HPDF_Page_Fill(page);
  const Pen caption{page, fonts.regular, 10.0f};
  show(caption, x + kQrSidePt + 8.0f, top - kQrSidePt / 2 + 6.0f, "Employers: scan to check the remaining hours");
  show(caption, x + kQrSidePt + 8.0f, top - kQrSidePt / 2 - 8.0f, "with the access code above.");
}

void draw_attestation(HPDF_Page page, const Fonts& fonts, const AttestationPdf& in, const AttestationText& text) {
  const float right = kA4WidthPt - kMarginPt;
  const Pen title{page, fonts.bold, 22.0f};
  const Pen body{page, fonts.regular, 11.0f};
  const Pen label{page, fonts.regular, 13.0f};
  const Pen hours{page, fonts.bold, 60.0f};
  const Pen code{page, fonts.mono, kAccessCodeSizePt};
  const std::string year = std::to_string(in.year);
  const std::string remaining = std::to_string(in.remaining_hours);

  show(title, kMarginPt, 770.0f, "Student@work " + std::string(kEmDash) + " attestation " + year);
  const std::string student = text.name.empty() ? "SSIN " + text.ssin : text.name + " (SSIN " + text.ssin + ")";
  show(body, kMarginPt, 748.0f, fitted(body, "Student: " + student, right - kMarginPt));
  rule(page, kMarginPt, right, 736.0f, 0.6f);
  show(label, kMarginPt, 708.0f, "Remaining hours at reduced social security contributions in " + year);
  show(hours, kMarginPt, 648.0f, remaining);
  show(label, kMarginPt + width_of(hours, remaining) + 10.0f, 648.0f,
       "of " + std::to_string(in.quota_hours) + " hours");
  show(label, kMarginPt, 612.0f, "Access code for the employer");
  show(code, kMarginPt, 578.0f, text.access_code);
  show(body, kMarginPt, 550.0f,
       fitted(body, "Valid from " + text.valid_from + " until " + text.valid_until, right - kMarginPt));
  show(body, kMarginPt, 533.0f, fitted(body, "Issued at " + text.issued_at, right - kMarginPt));
  show(body, kMarginPt, 516.0f, fitted(body, "Attestation " + text.attestation_id, right - kMarginPt));

  const Pen small{page, fonts.regular, 9.0f};
  rule(page, kMarginPt, right, kFooterPt + 14.0f, 0.6f);
  show(small, kMarginPt, kFooterPt,
       "The employer may use this access code for three months to see the remaining hours only;");
  show(small, kMarginPt, kFooterPt - 12.0f,
       "the jobs done or planned and the other employers stay private. The attestation is not mandatory.");
}

// --- Interim export ----------------------------------------------------------------

constexpr float kInterimMarginPt = 40.0f;
constexpr float kHeaderHeightPt = 16.0f;
constexpr float kRowHeightPt = 20.0f;  // two lines: the numbers, then the names under them
constexpr float kCellPaddingPt = 3.0f;
constexpr float kTableTopPt = kA4HeightPt - kInterimMarginPt - 64.0f;
constexpr float kInterimFooterPt = kInterimMarginPt;
static_assert(kTableTopPt - kHeaderHeightPt - kRowHeightPt * static_cast<float>(interim_rows_per_page) >=
              kInterimFooterPt + 2 * kHeaderHeightPt);

struct Column {
  std::string_view title;
  float width_pt;
  bool right_aligned;
};
constexpr std::array<Column, 7> kColumns = {{{"Agency", 105, false},
                                             {"User company", 105, false},
                                             {"First day", 58, false},
                                             {"Last day", 58, false},
                                             {"Days", 34, true},
                                             {"Periods", 40, true},
                                             {"Anomalies", 115, false}}};
constexpr float table_width_pt() {
  float sum = 0;
  for (const Column& c : kColumns) sum += c.width_pt;
  return sum;
}
static_assert(table_width_pt() <= kA4WidthPt - 2 * kInterimMarginPt);

using Cells = std::array<std::string, kColumns.size()>;

struct Row {
  Cells line;   // the row's first line
  Cells below;  // its second line: the names under the agency and the user company
};

struct InterimText {
  std::string ssin, from, to, generated_at;
  std::vector<Row> rows;
};

Result<InterimText> checked(const InterimPdf& in) {
  if (in.rows.size() > interim_rows_max) {
    return invalid_argument("interim: more than " + std::to_string(interim_rows_max) + " rows");
  }
  InterimText text;
  DIMONA_TRY(convert("ssin_masked", in.ssin_masked, text.ssin));
  DIMONA_TRY(convert("from", in.from, text.from));
  DIMONA_TRY(convert("to", in.to, text.to));
  DIMONA_TRY(convert("generated_at", in.generated_at, text.generated_at));
  text.rows.reserve(in.rows.size());
  for (const InterimPdfRow& row : in.rows) {
    Row& r = text.rows.emplace_back();
    Cells& cells = r.line;
    DIMONA_TRY(convert("agency_name", row.agency_name, r.below[0]));
    DIMONA_TRY(convert("user_company_name", row.user_company_name, r.below[1]));
    DIMONA_TRY(convert("agency", row.agency, cells[0]));
    DIMONA_TRY(convert("user_company", row.user_company, cells[1]));
    DIMONA_TRY(convert("first", row.first, cells[2]));
    DIMONA_TRY(convert("last", row.last, cells[3]));
    cells[4] = std::to_string(row.days);
    cells[5] = std::to_string(row.periods);
    DIMONA_TRY(convert("anomalies", row.anomalies, cells[6]));
  }
  return text;
}

// One line of cells at `baseline`, each fitted to its column.
void draw_cells(const Pen& pen, float baseline, const Cells& cells) {
  float x = kInterimMarginPt;
  for (size_t i = 0; i < kColumns.size(); ++i) {
    const float room = kColumns[i].width_pt - 2 * kCellPaddingPt;
    if (!cells[i].empty()) {
      const std::string text = fitted(pen, cells[i], room);
      if (kColumns[i].right_aligned) {
        show_right(pen, x + kColumns[i].width_pt - kCellPaddingPt, baseline, text);
      } else {
        show(pen, x + kCellPaddingPt, baseline, text);
      }
    }
    x += kColumns[i].width_pt;
  }
}

// The shaded header row whose top edge is at `top`.
void draw_header(const Pen& pen, float top, const Cells& titles) {
  const float left = kInterimMarginPt;
  HPDF_Page_SetGrayFill(pen.page, 0.88f);
  HPDF_Page_Rectangle(pen.page, left, top - kHeaderHeightPt, table_width_pt(), kHeaderHeightPt);
  HPDF_Page_Fill(pen.page);
  HPDF_Page_SetGrayFill(pen.page, 0.0f);
  draw_cells(pen, top - kHeaderHeightPt + 5.0f, titles);
  rule(pen.page, left, left + table_width_pt(), top - kHeaderHeightPt, 0.4f);
}

// A row whose top edge is at `top`: its line, and the names under it in `small`.
void draw_row(const Pen& pen, const Pen& small, float top, const Row& row) {
  draw_cells(pen, top - 8.0f, row.line);
  draw_cells(small, top - kRowHeightPt + 3.5f, row.below);
  rule(pen.page, kInterimMarginPt, kInterimMarginPt + table_width_pt(), top - kRowHeightPt, 0.8f);
}

void draw_interim_page(HPDF_Page page, const Fonts& fonts, const InterimText& text, std::span<const Row> rows,
                       size_t page_number, size_t pages) {
  const float left = kInterimMarginPt;
  const float width = table_width_pt();
  const float top = kA4HeightPt - kInterimMarginPt;
  const Pen title{page, fonts.bold, 16.0f};
  const Pen body{page, fonts.regular, 10.0f};
  const Pen cell{page, fonts.regular, 8.5f};
  const Pen name{page, fonts.regular, 7.5f};
  const Pen head{page, fonts.bold, 8.5f};

  show(title, left, top - 16.0f, "Interim@work " + std::string(kEmDash) + " work relations");
  show(body, left, top - 34.0f, fitted(body, "Worker: " + text.ssin, width));
  show(body, left, top - 48.0f,
       fitted(body, "From " + text.from + " to " + text.to + ", generated at " + text.generated_at, width));

  Cells titles;
  for (size_t i = 0; i < kColumns.size(); ++i) titles[i] = std::string(kColumns[i].title);
  draw_header(head, kTableTopPt, titles);
  float row_top = kTableTopPt - kHeaderHeightPt;
  for (const Row& row : rows) {
    draw_row(cell, name, row_top, row);
    row_top -= kRowHeightPt;
  }
  if (text.rows.empty()) {
    show(body, left + kCellPaddingPt, row_top - kHeaderHeightPt + 5.0f,
         fitted(body, "No work relations from " + text.from + " to " + text.to + ".", width));
  }

  const Pen small{page, fonts.regular, 8.0f};
  show(small, left, kInterimFooterPt, "A work relation is not and does not replace an employment contract.");
  show_right(small, left + width, kInterimFooterPt,
             "Page " + std::to_string(page_number) + " of " + std::to_string(pages));
}

}  // namespace

Result<std::string> to_win_ansi(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    const std::optional<char32_t> cp = next_code_point(utf8, i);
    if (!cp) return invalid_argument("text is not UTF-8 (byte " + std::to_string(i) + ")");
    out.push_back(win_ansi_of(*cp));
  }
  return out;
}

Result<std::string> render_attestation_pdf(const AttestationPdf& attestation, const PdfOptions& options) {
  Result<AttestationText> text = checked(attestation);
  if (!text) return text.status();
  std::optional<QrCode> qr;
  if (!attestation.qr_payload.empty()) {
    Result<QrCode> code = encode_qr(attestation.qr_payload);
    if (!code) return code.status();
    qr = std::move(code).value();
  }

  Pdf pdf(options);
  DIMONA_TRY(pdf.status());
  pdf.set_title("Student@work attestation " + std::to_string(attestation.year));
  Result<Fonts> fonts = pdf.fonts();
  if (!fonts) return fonts.status();
  Result<HPDF_Page> page = pdf.add_a4_page();
  if (!page) return page.status();
  draw_attestation(*page, *fonts, attestation, *text);
  if (qr) draw_qr(*page, *fonts, *qr, kMarginPt, kQrTopPt);
  return pdf.save();
}

Result<std::string> render_interim_pdf(const InterimPdf& interim, const PdfOptions& options) {
  Result<InterimText> text = checked(interim);
  if (!text) return text.status();

  Pdf pdf(options);
  DIMONA_TRY(pdf.status());
  pdf.set_title("Interim@work work relations");
  Result<Fonts> fonts = pdf.fonts();
  if (!fonts) return fonts.status();
  const std::span<const Row> rows(text->rows);
  const size_t pages = rows.empty() ? 1 : (rows.size() + interim_rows_per_page - 1) / interim_rows_per_page;
  for (size_t i = 0; i < pages; ++i) {
    Result<HPDF_Page> page = pdf.add_a4_page();
    if (!page) return page.status();
    const size_t first = i * interim_rows_per_page;
    const size_t count = std::min(interim_rows_per_page, rows.size() - first);
    draw_interim_page(*page, *fonts, *text, rows.subspan(first, count), i + 1, pages);
    DIMONA_TRY(pdf.status());
  }
  return pdf.save();
}

}  // namespace dimona::api

#include "api/pdf.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "api/qr.h"

namespace dimona::api {
namespace {

// --- helpers -------------------------------------------------------------------------

size_t count_of(std::string_view haystack, std::string_view needle) {
  size_t count = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++count;
  return count;
}

// Page objects, not the /Pages tree node.
size_t page_count(std::string_view pdf) {
  size_t count = 0;
  const std::string_view key = "/Type /Page";
  for (size_t at = pdf.find(key); at != std::string_view::npos; at = pdf.find(key, at + 1)) {
    if (at + key.size() < pdf.size() && pdf[at + key.size()] != 's') ++count;
  }
  return count;
}

bool looks_like_pdf(std::string_view pdf) {
  if (pdf.substr(0, 5) != "%PDF-") return false;
  while (!pdf.empty() && (pdf.back() == '\n' || pdf.back() == '\r' || pdf.back() == ' ')) pdf.remove_suffix(1);
  return pdf.size() >= 5 && pdf.substr(pdf.size() - 5) == "%%EOF";
}

constexpr PdfOptions kPlain{.compress = false};

AttestationPdf attestation() {
  AttestationPdf a;
  a.student_ssin = "05.03.14-125.95";
  a.student_name = "Peeters, Anaïs";
  a.year = 2025;
  a.quota_hours = 475;
  a.remaining_hours = 312;
  a.access_code = "7Q2MA-K4XZ1";
  a.valid_from = "2025-03-01";
  a.valid_until = "2025-05-31";
  a.issued_at = "2025-03-14T09:30:00Z";
  a.attestation_id = "att-000042";
  return a;
}

InterimPdfRow row(uint32_t i) {
  return {.agency = "Intérim Société " + std::to_string(i),
          .user_company = "Brasserie " + std::to_string(i),
          .first = "2025-01-06",
          .last = "2025-01-10",
          .days = 5 + i,
          .periods = 1,
          .anomalies = "",
          .agency_name = "",
          .user_company_name = ""};
}

InterimPdf interim(uint32_t rows) {
  InterimPdf in{.ssin_masked = "95.03.**-***.**",
                .from = "2025-01-01",
                .to = "2025-12-31",
                .generated_at = "2025-03-14T09:30:00Z",
                .rows = {}};
  for (uint32_t i = 0; i < rows; ++i) in.rows.push_back(row(i));
  return in;
}

// --- QR ------------------------------------------------------------------------------

// The 7x7 finder pattern whose top left module is (x, y).
bool finder_at(const QrCode& code, int x, int y) {
  for (int dy = 0; dy < 7; ++dy) {
    for (int dx = 0; dx < 7; ++dx) {
      const bool ring = dx == 0 || dx == 6 || dy == 0 || dy == 6;
      const bool core = dx >= 2 && dx <= 4 && dy >= 2 && dy <= 4;
      if (code.dark(x + dx, y + dy) != (ring || core)) return false;
    }
  }
  return true;
}

TEST(EncodeQr, ShortTextIsVersion1WithItsThreeFinderPatterns) {
  const Result<QrCode> code = encode_qr("hello");
  ASSERT_TRUE(code.is_ok()) << code.status().to_string();
  EXPECT_EQ(code->width, 21);
  ASSERT_EQ(code->modules.size(), 21u * 21u);
  EXPECT_TRUE(finder_at(*code, 0, 0));
  EXPECT_TRUE(finder_at(*code, 21 - 7, 0));
  EXPECT_TRUE(finder_at(*code, 0, 21 - 7));
  EXPECT_FALSE(finder_at(*code, 21 - 7, 21 - 7));  // no fourth one
  for (uint8_t m : code->modules) ASSERT_LE(m, 1);
}

TEST(EncodeQr, VersionGrowsWithTheTextAtLevelM) {
  // Byte-mode capacity at level M: version 1 holds 14 bytes, 2 holds 26, 3 holds 42.
  EXPECT_EQ(encode_qr(std::string(14, 'a'))->width, 21);
  EXPECT_EQ(encode_qr(std::string(15, 'a'))->width, 25);
  EXPECT_EQ(encode_qr(std::string(26, 'a'))->width, 25);
  EXPECT_EQ(encode_qr(std::string(27, 'a'))->width, 29);
  EXPECT_EQ(encode_qr(std::string(42, 'a'))->width, 29);
}

TEST(EncodeQr, SameTextSameModulesOtherTextOtherModules) {
  const std::string url = "https://dimona.example/consent/7Q2MA-K4XZ1";
  const Result<QrCode> a = encode_qr(url);
  const Result<QrCode> b = encode_qr(url);
  const Result<QrCode> c = encode_qr(url + "2");
  ASSERT_TRUE(a.is_ok() && b.is_ok() && c.is_ok());
  EXPECT_EQ(a->width, b->width);
  EXPECT_EQ(a->modules, b->modules);
  EXPECT_NE(a->modules, c->modules);
}

TEST(EncodeQr, TextIsBytesNulIncluded) {
  const Result<QrCode> with_nul = encode_qr(std::string_view("a\0b", 3));
  const Result<QrCode> without = encode_qr("ab");
  const Result<QrCode> cut_at_nul = encode_qr("a");
  ASSERT_TRUE(with_nul.is_ok() && without.is_ok() && cut_at_nul.is_ok());
  EXPECT_NE(with_nul->modules, without->modules);
  EXPECT_NE(with_nul->modules, cut_at_nul->modules);
}

TEST(EncodeQr, RefusesEmptyAndTooLongText) {
  EXPECT_EQ(encode_qr("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(encode_qr(std::string(qr_text_bytes_max + 1, 'x')).status().code(), Code::kInvalidArgument);
  const Result<QrCode> longest = encode_qr(std::string(qr_text_bytes_max, 'x'));
  ASSERT_TRUE(longest.is_ok()) << longest.status().to_string();
  EXPECT_LE(longest->width, 17 + 4 * 18);  // version 18 or less
}

// --- SVG -----------------------------------------------------------------------------

size_t horizontal_runs(const QrCode& code) {
  size_t runs = 0;
  for (int y = 0; y < code.width; ++y) {
    for (int x = 0; x < code.width; ++x) {
      if (code.dark(x, y) && (x == 0 || !code.dark(x - 1, y))) ++runs;
    }
  }
  return runs;
}

size_t dark_modules(const QrCode& code) {
  size_t dark = 0;
  for (uint8_t m : code.modules) dark += m;
  return dark;
}

TEST(ToSvg, StandaloneSquareWithQuietZoneAndOneRectPerRun) {
  const Result<QrCode> code = encode_qr("hello");
  ASSERT_TRUE(code.is_ok());
  const std::string svg = to_svg(*code, 5);
  ASSERT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"145\" height=\"145\""), std::string::npos);  // (21 + 2 * 4) * 5
  EXPECT_NE(svg.find("viewBox=\"0 0 29 29\""), std::string::npos);
  // Well formed: one root, one group, every rect self-closed.
  EXPECT_EQ(count_of(svg, "<svg"), 1u);
  EXPECT_EQ(count_of(svg, "</svg>"), 1u);
  EXPECT_EQ(count_of(svg, "<g "), 1u);
  EXPECT_EQ(count_of(svg, "</g>"), 1u);
  EXPECT_EQ(count_of(svg, "<rect "), count_of(svg, "\"/>"));
  EXPECT_EQ(count_of(svg, "<"), count_of(svg, ">"));
  // The background, then the dark runs: at most width * width dark rects.
  const size_t dark_rects = count_of(svg, "<rect ") - 1;
  EXPECT_EQ(dark_rects, horizontal_runs(*code));
  EXPECT_LE(dark_rects, 21u * 21u);
  EXPECT_LT(dark_rects, dark_modules(*code));  // runs merge neighbours
  // The top left finder's first row is one run of 7 modules, after the quiet zone.
  EXPECT_NE(svg.find("<rect x=\"4\" y=\"4\" width=\"7\" height=\"1\"/>"), std::string::npos);
}

TEST(ToSvg, RunWidthsAddUpToTheDarkModules) {
  const Result<QrCode> code = encode_qr("https://dimona.example/consent/abc");
  ASSERT_TRUE(code.is_ok());
  const std::string svg = to_svg(*code, 1);
  size_t dark = 0;
  const std::string_view key = "\" width=\"";
  for (size_t at = svg.find("<rect x="); at != std::string::npos; at = svg.find("<rect x=", at + 1)) {
    const size_t w = svg.find(key, at) + key.size();
    dark += std::stoul(svg.substr(w));
  }
  EXPECT_EQ(dark, dark_modules(*code));
}

TEST(ToSvgDeathTest, ModuleSizeOutOfRangeStopsTheProcess) {
  const Result<QrCode> code = encode_qr("hello");
  ASSERT_TRUE(code.is_ok());
  EXPECT_DEATH((void)to_svg(*code, 0), "module_px");
  EXPECT_DEATH((void)to_svg(*code, svg_module_px_max + 1), "module_px");
}

// --- WinAnsi -------------------------------------------------------------------------

TEST(ToWinAnsi, LatinOneAndWindowsExtrasPrintOthersBecomeQuestionMarks) {
  EXPECT_EQ(to_win_ansi("Intérim Société").value(), "Int\xE9rim Soci\xE9t\xE9");
  EXPECT_EQ(to_win_ansi("Ç ë ö ß").value(), "\xC7 \xEB \xF6 \xDF");
  EXPECT_EQ(to_win_ansi("— – € ’ “ ” … Œ Š ž").value(), "\x97 \x96 \x80 \x92 \x93 \x94 \x85 \x8C \x8A \x9E");
  EXPECT_EQ(to_win_ansi("Łukasz Ősz 東京 😀").value(), "?ukasz ?sz ?? ?");
  EXPECT_EQ(to_win_ansi("a\tb\nc\x7f").value(), "a?b?c?");
  EXPECT_EQ(to_win_ansi("\xC2\x85").value(), "?");  // a C1 control, not the ellipsis
  EXPECT_EQ(to_win_ansi("").value(), "");
}

TEST(ToWinAnsi, RefusesWhatIsNotUtf8) {
  for (std::string_view bad : {std::string_view("caf\xC3"), std::string_view("\xC0\xAF"),
                               std::string_view("\xED\xA0\x80"), std::string_view("\xF4\x90\x80\x80"),
                               std::string_view("\x80"), std::string_view("\xE2\x82x"), std::string_view("\xFF")}) {
    EXPECT_EQ(to_win_ansi(bad).status().code(), Code::kInvalidArgument) << testing::PrintToString(bad);
  }
}

// --- Attestation -----------------------------------------------------------------------

TEST(AttestationPdf, IsOnePdfPage) {
  const Result<std::string> pdf = render_attestation_pdf(attestation());
  ASSERT_TRUE(pdf.is_ok()) << pdf.status().to_string();
  EXPECT_TRUE(looks_like_pdf(*pdf));
  EXPECT_EQ(page_count(*pdf), 1u);
  EXPECT_NE(pdf->find("/MediaBox [ 0 0 595.276 841.89"), std::string::npos);  // A4
}

TEST(AttestationPdf, UncompressedShowsHoursCodeYearAndValidity) {
  const Result<std::string> pdf = render_attestation_pdf(attestation(), kPlain);
  ASSERT_TRUE(pdf.is_ok()) << pdf.status().to_string();
  EXPECT_TRUE(looks_like_pdf(*pdf));
  // libharu writes bytes outside printable ASCII as octal escapes: \227 is the em dash.
  EXPECT_NE(pdf->find("(Student@work \\227 attestation 2025)"), std::string::npos);
  EXPECT_NE(pdf->find("(312)"), std::string::npos);
  EXPECT_NE(pdf->find("(of 475 hours)"), std::string::npos);
  EXPECT_NE(pdf->find("(7Q2MA-K4XZ1)"), std::string::npos);
  EXPECT_NE(pdf->find("(Valid from 2025-03-01 until 2025-05-31)"), std::string::npos);
  EXPECT_NE(pdf->find("(Issued at 2025-03-14T09:30:00Z)"), std::string::npos);
  EXPECT_NE(pdf->find("(Attestation att-000042)"), std::string::npos);
  // Issue 10 item 5: the student as an employer can match them: name and printed SSIN (libharu writes ï as \357, parentheses as \050 \051).
  EXPECT_NE(pdf->find("(Student: Peeters, Ana\\357s \\050SSIN 05.03.14-125.95\\051)"), std::string::npos) << *pdf;
  AttestationPdf unnamed = attestation();
  unnamed.student_name.clear();
  const Result<std::string> bare = render_attestation_pdf(unnamed, kPlain);
  ASSERT_TRUE(bare.is_ok());
  EXPECT_NE(bare->find("(Student: SSIN 05.03.14-125.95)"), std::string::npos);
  EXPECT_NE(pdf->find("three months to see the remaining hours only"), std::string::npos);
  EXPECT_NE(pdf->find("/BaseFont /Courier-Bold"), std::string::npos);
  EXPECT_NE(pdf->find("/Encoding /WinAnsiEncoding"), std::string::npos);
}

TEST(AttestationPdf, CompressedByDefault) {
  const Result<std::string> packed = render_attestation_pdf(attestation());
  const Result<std::string> plain = render_attestation_pdf(attestation(), kPlain);
  ASSERT_TRUE(packed.is_ok() && plain.is_ok());
  EXPECT_NE(packed->find("/FlateDecode"), std::string::npos);
  EXPECT_EQ(packed->find("(7Q2MA-K4XZ1)"), std::string::npos);
  EXPECT_EQ(plain->find("/FlateDecode"), std::string::npos);
}

TEST(AttestationPdf, QrCodeDrawnOnlyWithAPayload) {
  AttestationPdf with_qr = attestation();
  with_qr.qr_payload = "https://dimona.example/student/attestation/att-000042";
  const Result<std::string> without = render_attestation_pdf(attestation(), kPlain);
  const Result<std::string> with = render_attestation_pdf(with_qr, kPlain);
  ASSERT_TRUE(without.is_ok() && with.is_ok()) << with.status().to_string();
  EXPECT_TRUE(looks_like_pdf(*with));
  EXPECT_GT(with->size(), without->size() + 2000);
  const Result<QrCode> code = encode_qr(with_qr.qr_payload);
  ASSERT_TRUE(code.is_ok());
  // One filled rectangle per run of dark modules, besides the page's other rectangles.
  EXPECT_EQ(count_of(*with, " re\n") - count_of(*without, " re\n"), horizontal_runs(*code));
  EXPECT_NE(with->find("(Employers: scan to check the remaining hours)"), std::string::npos);
  EXPECT_EQ(without->find("(Employers: scan"), std::string::npos);
}

TEST(AttestationPdf, SameInputSameBytes) {
  AttestationPdf a = attestation();
  a.qr_payload = "https://dimona.example/a";
  const Result<std::string> first = render_attestation_pdf(a);
  const Result<std::string> second = render_attestation_pdf(a);
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  EXPECT_EQ(*first, *second);
  a.remaining_hours = 311;
  EXPECT_NE(render_attestation_pdf(a).value(), *first);
}

TEST(AttestationPdf, NoHoursLeftAndTheLongestCodeRender) {
  AttestationPdf a = attestation();
  a.remaining_hours = 0;
  a.access_code = std::string(access_code_chars_max, 'W');
  const Result<std::string> pdf = render_attestation_pdf(a, kPlain);
  ASSERT_TRUE(pdf.is_ok()) << pdf.status().to_string();
  EXPECT_NE(pdf->find("(0)"), std::string::npos);
  EXPECT_NE(pdf->find("(" + a.access_code + ")"), std::string::npos);
}

TEST(AttestationPdf, RefusesWhatCannotBePrinted) {
  const auto refused = [](const AttestationPdf& a) {
    const Result<std::string> pdf = render_attestation_pdf(a);
    return !pdf.is_ok() && pdf.status().code() == Code::kInvalidArgument;
  };
  AttestationPdf a = attestation();
  a.remaining_hours = a.quota_hours + 1;
  EXPECT_TRUE(refused(a));
  a = attestation();
  a.access_code = "";
  EXPECT_TRUE(refused(a));
  a.access_code = std::string(access_code_chars_max + 1, 'W');
  EXPECT_TRUE(refused(a));
  a = attestation();
  a.attestation_id = std::string(pdf_text_field_bytes_max + 1, 'x');
  EXPECT_TRUE(refused(a));
  a = attestation();
  a.qr_payload = std::string(qr_text_bytes_max + 1, 'x');
  EXPECT_TRUE(refused(a));
  a = attestation();
  a.student_ssin = "95.03.\xFF";
  EXPECT_TRUE(refused(a));
  a = attestation();
  a.student_name = "Peeters\xFF";
  EXPECT_TRUE(refused(a));
}

TEST(AttestationPdf, RefusalDoesNotEchoTheInput) {
  AttestationPdf a = attestation();
  a.student_ssin = "95031512345\xFF";
  const Result<std::string> pdf = render_attestation_pdf(a);
  ASSERT_FALSE(pdf.is_ok());
  EXPECT_NE(pdf.status().message().find("student_ssin"), std::string::npos);
  EXPECT_EQ(pdf.status().message().find("95031512345"), std::string::npos);
}

// --- Interim export ----------------------------------------------------------------------

TEST(InterimPdf, NoRowsIsOnePageThatSaysSo) {
  const Result<std::string> pdf = render_interim_pdf(interim(0), kPlain);
  ASSERT_TRUE(pdf.is_ok()) << pdf.status().to_string();
  EXPECT_TRUE(looks_like_pdf(*pdf));
  EXPECT_EQ(page_count(*pdf), 1u);
  EXPECT_NE(pdf->find("(No work relations from 2025-01-01 to 2025-12-31.)"), std::string::npos);
  EXPECT_NE(pdf->find("(Agency)"), std::string::npos);
  EXPECT_NE(pdf->find("(Page 1 of 1)"), std::string::npos);
}

TEST(InterimPdf, OneRowWithLatinOneNames) {
  const Result<std::string> pdf = render_interim_pdf(interim(1), kPlain);
  ASSERT_TRUE(pdf.is_ok()) << pdf.status().to_string();
  EXPECT_TRUE(looks_like_pdf(*pdf));
  EXPECT_EQ(page_count(*pdf), 1u);
  EXPECT_NE(pdf->find("(Int\\351rim Soci\\351t\\351 0)"), std::string::npos);
  EXPECT_NE(pdf->find("(Brasserie 0)"), std::string::npos);
  EXPECT_NE(pdf->find("(2025-01-06)"), std::string::npos);
  EXPECT_NE(pdf->find("(5)"), std::string::npos);
  EXPECT_NE(pdf->find("(Interim@work \\227 work relations)"), std::string::npos);
  EXPECT_EQ(pdf->find("(No work relations"), std::string::npos);
}

TEST(InterimPdf, TwoHundredRowsSpanPagesWithTheHeaderOnEach) {
  const Result<std::string> pdf = render_interim_pdf(interim(200), kPlain);
  ASSERT_TRUE(pdf.is_ok()) << pdf.status().to_string();
  EXPECT_TRUE(looks_like_pdf(*pdf));
  const size_t pages = (200 + interim_rows_per_page - 1) / interim_rows_per_page;
  ASSERT_GE(pages, 2u);
  EXPECT_EQ(page_count(*pdf), pages);
  EXPECT_EQ(count_of(*pdf, "(Agency)"), pages);
  EXPECT_EQ(count_of(*pdf, "(Worker: 95.03.**-***.**)"), pages);
  for (size_t page = 1; page <= pages; ++page) {
    const std::string footer = "(Page " + std::to_string(page) + " of " + std::to_string(pages) + ")";
    EXPECT_EQ(count_of(*pdf, footer), 1u) << footer;
  }
  EXPECT_EQ(count_of(*pdf, "(Brasserie "), 200u);
  EXPECT_NE(pdf->find("(Brasserie 199)"), std::string::npos);
  // Compressed, the same document is smaller and has as many pages.
  const Result<std::string> packed = render_interim_pdf(interim(200));
  ASSERT_TRUE(packed.is_ok());
  EXPECT_LT(packed->size(), pdf->size());
  EXPECT_EQ(page_count(*packed), pages);
}

TEST(InterimPdf, PageBreaksExactlyAtTheLimit) {
  const uint32_t per_page = static_cast<uint32_t>(interim_rows_per_page);
  EXPECT_EQ(page_count(render_interim_pdf(interim(per_page), kPlain).value()), 1u);
  EXPECT_EQ(page_count(render_interim_pdf(interim(per_page + 1), kPlain).value()), 2u);
  EXPECT_EQ(page_count(render_interim_pdf(interim(2 * per_page), kPlain).value()), 2u);
}

// Issue 14: the names the employer reference gives sit under the numbers, each with its whole column.
TEST(InterimPdf, NamesSitUnderTheNumbersWithTheWholeColumn) {
  InterimPdf in = interim(2);
  in.rows[0].agency = "0898249296";
  in.rows[0].agency_name = "Boulangerie Lambert SA";
  in.rows[0].user_company = "1644075665";
  in.rows[0].user_company_name = "Bakkerij Maes VZW";
  in.rows[1].agency_name = "Uitzendbureau " + std::string(60, 'X') + "TAIL";
  const Result<std::string> pdf = render_interim_pdf(in, kPlain);
  ASSERT_TRUE(pdf.is_ok()) << pdf.status().to_string();
  EXPECT_NE(pdf->find("(0898249296)"), std::string::npos);
  EXPECT_NE(pdf->find("(Boulangerie Lambert SA)"), std::string::npos);  // whole: it once lost its end beside the number
  EXPECT_NE(pdf->find("(Bakkerij Maes VZW)"), std::string::npos);
  EXPECT_EQ(pdf->find("TAIL"), std::string::npos);
  EXPECT_NE(pdf->find("XXX\\205)"), std::string::npos);
  in.rows[0].user_company_name = "Caf\xE9";  // Latin-1, not UTF-8
  const Result<std::string> bad = render_interim_pdf(in);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("user_company_name"), std::string::npos);
}

TEST(InterimPdf, LongCellIsCutWithAnEllipsis) {
  InterimPdf in = interim(1);
  in.rows[0].anomalies = std::string(200, 'M') + "TAIL";
  const Result<std::string> pdf = render_interim_pdf(in, kPlain);
  ASSERT_TRUE(pdf.is_ok()) << pdf.status().to_string();
  EXPECT_EQ(pdf->find("TAIL"), std::string::npos);
  EXPECT_NE(pdf->find("MMM\\205)"), std::string::npos);
  EXPECT_EQ(pdf->find(std::string(40, 'M')), std::string::npos);  // 115 pt hold far fewer
}

TEST(InterimPdf, RefusesTooManyRowsAndBadText) {
  EXPECT_EQ(render_interim_pdf(interim(static_cast<uint32_t>(interim_rows_max) + 1)).status().code(),
            Code::kInvalidArgument);
  InterimPdf in = interim(3);
  in.rows[2].agency = "Int\xE9rim";  // Latin-1, not UTF-8
  const Result<std::string> pdf = render_interim_pdf(in);
  ASSERT_FALSE(pdf.is_ok());
  EXPECT_EQ(pdf.status().code(), Code::kInvalidArgument);
  EXPECT_NE(pdf.status().message().find("agency"), std::string::npos);
  in = interim(1);
  in.generated_at = std::string(pdf_text_field_bytes_max + 1, '1');
  EXPECT_EQ(render_interim_pdf(in).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace dimona::api

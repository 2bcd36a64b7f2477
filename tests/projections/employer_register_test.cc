#include "projections/employer_register.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/base/limits.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::TempDir;

const std::string kEnterpriseHead = std::string(kEnterpriseHeader) + "\n";
const std::string kDenominationHead = std::string(kDenominationHeader) + "\n";
const std::string kDeletionHead = std::string(kDeletionHeader) + "\n";

// Three enterprises: a Flemish, a Walloon and a bilingual Brussels one.
const std::string kEnterprises = kEnterpriseHead +
                                 R"("0200.065.765","AC","000","2","417","","09-08-1960")" "\n"
                                 R"("0200.068.636","AC","000","2","417","","09-08-1960")" "\n"
                                 R"("0403.170.701","AC","000","2","014","","01-01-1920")" "\n";
const std::string kDenominations = kDenominationHead +
                                   R"("0200.065.765","2","001","Bakkerij ""De Molen""")" "\n"
                                   R"("0200.068.636","1","001","Boulangerie Liège")" "\n"
                                   R"("0200.068.636","1","003","Le Fournil")" "\n"
                                   R"("0403.170.701","1","001","Brasserie Bruxelloise")" "\n"
                                   R"("0403.170.701","2","001","Brusselse Brouwerij")" "\n"
                                   R"("0403.170.701","3","001","Brüsseler Brauerei")" "\n";

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string make_folder(const TempDir& dir, const std::string& name, const std::map<std::string, std::string>& files) {
  const std::string folder = dir.file(name);
  ::mkdir(folder.c_str(), 0700);
  for (const auto& [file, text] : files) write(folder + "/" + file, text);
  return folder;
}

std::string make_zip(const TempDir& dir, const std::string& name, const std::map<std::string, std::string>& files) {
  const std::string path = dir.file(name);
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(z, nullptr);
  for (const auto& [file, text] : files) {
    zip_source_t* source = zip_source_buffer(z, text.data(), text.size(), 0);
    EXPECT_GE(zip_file_add(z, file.c_str(), source, ZIP_FL_OVERWRITE), 0);
  }
  EXPECT_EQ(zip_close(z), 0);  // reads the buffers now, while `files` lives
  return path;
}

std::unique_ptr<EmployerRegister> open_register(const std::string& path) {
  Result<std::unique_ptr<EmployerRegister>> r = EmployerRegister::open_if_present(path);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? std::move(*r) : nullptr;
}

EnterpriseNumber number(uint64_t v) { return EnterpriseNumber{v}; }

TEST(EmployerRegister, AFullExtractFolderGivesNamesInTheLanguageAsked) {
  TempDir dir;
  const std::string extract = make_folder(dir, "full", {{"enterprise.csv", kEnterprises}, {"denomination.csv", kDenominations}});
  const std::string store = employer_register_path(dir.path());
  Result<RegisterImportReport> report = import_register_extract(extract, store, {});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_FALSE(report->update);
  EXPECT_EQ(report->enterprises, 3u);
  EXPECT_EQ(report->denominations, 6u);
  EXPECT_EQ(report->enterprises_in_store, 3u);
  EXPECT_EQ(report->skipped.total(), 0u);
  struct stat st {};
  ASSERT_EQ(::stat(store.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto reg = open_register(store);
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->enterprise_count(), 3u);
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), R"(Bakkerij "De Molen")");
  // No French name: the legal name in Dutch is the fallback.
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kFrench), R"(Bakkerij "De Molen")");
  EXPECT_EQ(reg->name(number(403170701), RegisterLanguage::kDutch), "Brusselse Brouwerij");
  EXPECT_EQ(reg->name(number(403170701), RegisterLanguage::kFrench), "Brasserie Bruxelloise");
  EXPECT_EQ(reg->name(number(403170701), RegisterLanguage::kGerman), "Brüsseler Brauerei");
  // English is not in the register: French comes first among the fallbacks.
  EXPECT_EQ(reg->name(number(403170701), RegisterLanguage::kEnglish), "Brasserie Bruxelloise");
  EXPECT_EQ(reg->name(number(403170701), RegisterLanguage::kUnknown), "Brasserie Bruxelloise");
  // A commercial name is not the legal name.
  EXPECT_EQ(reg->name(number(200068636), RegisterLanguage::kFrench), "Boulangerie Liège");
  EXPECT_EQ(reg->name(number(202239951), RegisterLanguage::kDutch), std::nullopt);
}

TEST(EmployerRegister, AZipGivesTheSameReferenceAsAFolder) {
  TempDir dir;
  const std::map<std::string, std::string> files{{"enterprise.csv", kEnterprises}, {"denomination.csv", kDenominations}};
  const std::string zip = make_zip(dir, "KboOpenData_0001_2025_01_Full.zip", files);
  Result<RegisterImportReport> report = import_register_extract(zip, dir.file("zip.db"), {});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->enterprises, 3u);
  EXPECT_EQ(report->denominations, 6u);
  auto reg = open_register(dir.file("zip.db"));
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->name(number(403170701), RegisterLanguage::kDutch), "Brusselse Brouwerij");
}

// Two imports of one store at once shared its .tmp (a store holding both extracts' union): while
// one holds the store's lock, another is refused, in words, and the store is the first's.
TEST(EmployerRegister, AnImportWhileAnotherRunsIsRefused) {
  TempDir dir;
  const std::string extract =
      make_folder(dir, "full", {{"enterprise.csv", kEnterprises}, {"denomination.csv", kDenominations}});
  const std::string store = dir.file("employers.db");
  ASSERT_TRUE(import_register_extract(extract, store, {}).is_ok());
  const int running = ::open((store + ".lock").c_str(), O_RDONLY);  // another import, as it holds the lock
  ASSERT_GE(running, 0);
  ASSERT_EQ(::flock(running, LOCK_EX | LOCK_NB), 0);
  Result<RegisterImportReport> second = import_register_extract(extract, store, {});
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another import"), std::string::npos) << second.status().message();
  ::close(running);
  EXPECT_TRUE(import_register_extract(extract, store, {}).is_ok()) << "the lock goes with its holder";
}

TEST(EmployerRegister, ReimportingTheSameExtractGivesTheSameReference) {
  TempDir dir;
  const std::string extract = make_folder(dir, "full", {{"enterprise.csv", kEnterprises}, {"denomination.csv", kDenominations}});
  const std::string store = dir.file("employers.db");
  uint64_t calls = 0;
  for (int round = 0; round < 2; ++round) {
    Result<RegisterImportReport> report =
        import_register_extract(extract, store, [&](uint64_t, uint64_t, uint64_t) { ++calls; });
    ASSERT_TRUE(report.is_ok()) << report.status().to_string();
    EXPECT_EQ(report->enterprises, 3u);
    EXPECT_EQ(report->enterprises_in_store, 3u);
    EXPECT_EQ(report->skipped.total(), 0u);
  }
  EXPECT_EQ(calls, 0u);  // fewer rows than one progress step
  auto reg = open_register(store);
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), R"(Bakkerij "De Molen")");
  struct stat st {};
  EXPECT_NE(::stat((store + ".tmp").c_str(), &st), 0) << "the temporary file is renamed away";
}

TEST(EmployerRegister, AFullExtractReplacesWhatTheRegisterNoLongerHas) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  ASSERT_TRUE(import_register_extract(
      make_folder(dir, "a", {{"enterprise.csv", kEnterprises}, {"denomination.csv", kDenominations}}), store, {}));
  const std::string smaller = kEnterpriseHead + R"("0200.065.765","AC","000","2","417","","09-08-1960")" "\n";
  Result<RegisterImportReport> report = import_register_extract(
      make_folder(dir, "b", {{"enterprise.csv", smaller}, {"denomination.csv", kDenominationHead}}), store, {});
  ASSERT_TRUE(report.is_ok());
  EXPECT_EQ(report->enterprises_in_store, 1u);
  EXPECT_EQ(open_register(store)->name(number(200065765), RegisterLanguage::kDutch), std::nullopt);
}

TEST(EmployerRegister, AnUpdateExtractAppliesDeletionsThenInsertionsAndTwiceIsHarmless) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  ASSERT_TRUE(import_register_extract(
      make_folder(dir, "full", {{"enterprise.csv", kEnterprises}, {"denomination.csv", kDenominations}}), store, {}));
  // 0200.068.636 closes; the Flemish bakery is renamed; a new enterprise arrives.
  const std::map<std::string, std::string> update{
      {"enterprise_delete.csv", kDeletionHead + "\"0200.068.636\"\n\"0200.065.765\"\n"},
      {"denomination_delete.csv", kDeletionHead + "\"0200.068.636\"\n\"0200.065.765\"\n\"2.000.000.339\"\n"},
      {"enterprise_insert.csv", kEnterpriseHead + R"("0200.065.765","AC","000","2","417","","09-08-1960")" "\n"
                                                  R"("0202.239.951","AC","000","2","416","","01-01-1999")" "\n"},
      {"denomination_insert.csv", kDenominationHead + R"("0200.065.765","2","001","Bakkerij Molen NV")" "\n"
                                                      R"("0202.239.951","2","001","Nieuwe Zaak")" "\n"}};
  const std::string zip = make_zip(dir, "KboOpenData_0002_2025_01_Update.zip", update);
  Result<RegisterImportReport> report = import_register_extract(zip, store, {});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->update);
  EXPECT_EQ(report->enterprises_deleted, 2u);
  EXPECT_EQ(report->denominations_deleted, 3u);
  EXPECT_EQ(report->enterprises, 2u);
  EXPECT_EQ(report->denominations, 2u);
  EXPECT_EQ(report->enterprises_in_store, 3u);
  EXPECT_EQ(report->skipped.total(), 1u);
  EXPECT_EQ(report->skipped.counts[static_cast<size_t>(RowFault::kEstablishmentUnit)], 1u);
  // Again: 0200.068.636 is gone already, and Nieuwe Zaak's name (not in the
  // deletions) is there already: the counts differ, the reference does not.
  report = import_register_extract(zip, store, {});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->enterprises_deleted, 1u);
  EXPECT_EQ(report->denominations_deleted, 1u);
  EXPECT_EQ(report->denominations, 1u);
  EXPECT_EQ(report->skipped.first_lines[static_cast<size_t>(RowFault::kDuplicate)],
            std::vector<std::string>{"denomination_insert.csv:3"});
  EXPECT_EQ(report->enterprises_in_store, 3u);
  auto reg = open_register(store);
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij Molen NV");
  EXPECT_EQ(reg->name(number(200068636), RegisterLanguage::kFrench), std::nullopt);
  EXPECT_EQ(reg->name(number(202239951), RegisterLanguage::kFrench), "Nieuwe Zaak");
  EXPECT_EQ(reg->name(number(403170701), RegisterLanguage::kGerman), "Brüsseler Brauerei");
}

// Malformed rows in every file of an update extract are skipped with their lines; the
// well-formed rows around them are applied, deletions included.
TEST(EmployerRegister, AnUpdateExtractSkipsItsMalformedRowsAndAppliesTheRest) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  ASSERT_TRUE(import_register_extract(
      make_folder(dir, "full", {{"enterprise.csv", kEnterprises}, {"denomination.csv", kDenominations}}), store, {}));
  const std::map<std::string, std::string> update{
      {"enterprise_delete.csv", kDeletionHead + "\"0200.068.637\"\n"     // 2 check digits
                                                "\"0200.068.636\"\n"     // 3 ok
                                                "\"0200.068.636\n"},      // 4 quote
      {"denomination_delete.csv", kDeletionHead + "\"0200.065.765\",\"2\"\n"  // 2 columns
                                                  "\"0200.068.636\"\n"},  // 3 ok
      {"enterprise_insert.csv", kEnterpriseHead + R"("0202.239.951","AC","000","2","416","","31-02-1999")" "\n"  // 2 date
                                                  R"("0202.239.951","AC","000","7","416","","01-01-1999")" "\n"   // 3 type
                                                  R"("0202.239.951","AC","000","2","416","","01-01-1999")" "\n"}, // 4 ok
      {"denomination_insert.csv", kDenominationHead + R"("0202.239.951","2","001","")" "\n"           // 2 empty
                                                      R"("0202.239.951","5","001","Zaak")" "\n"       // 3 language
                                                      R"("0202.239.951","2","001","Nieuwe Zaak")" "\n"}};  // 4 ok
  Result<RegisterImportReport> report = import_register_extract(make_folder(dir, "u", update), store, {});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->update);
  EXPECT_EQ(report->enterprises_deleted, 1u);
  EXPECT_EQ(report->denominations_deleted, 2u);  // its two names
  EXPECT_EQ(report->enterprises, 1u);
  EXPECT_EQ(report->denominations, 1u);
  const SkippedRows& s = report->skipped;
  auto lines = [&](RowFault f) { return s.first_lines[static_cast<size_t>(f)]; };
  using V = std::vector<std::string>;
  EXPECT_EQ(lines(RowFault::kBadCheckDigits), V{"enterprise_delete.csv:2"});
  EXPECT_EQ(lines(RowFault::kUnterminatedQuote), V{"enterprise_delete.csv:4"});
  EXPECT_EQ(lines(RowFault::kWrongColumnCount), V{"denomination_delete.csv:2"});
  EXPECT_EQ(lines(RowFault::kBadDate), V{"enterprise_insert.csv:2"});
  EXPECT_EQ(lines(RowFault::kBadField), V{"enterprise_insert.csv:3"});
  EXPECT_EQ(lines(RowFault::kBadDenomination), V{"denomination_insert.csv:2"});
  EXPECT_EQ(lines(RowFault::kUnknownLanguage), V{"denomination_insert.csv:3"});
  EXPECT_EQ(s.total(), 7u);
  auto reg = open_register(store);
  EXPECT_EQ(reg->name(number(200068636), RegisterLanguage::kFrench), std::nullopt);
  EXPECT_EQ(reg->name(number(202239951), RegisterLanguage::kDutch), "Nieuwe Zaak");
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij \"De Molen\"");
  EXPECT_EQ(reg->enterprise_count(), 3u);
}

TEST(EmployerRegister, AnUpdateNeedsAReference) {
  TempDir dir;
  const std::string update = make_folder(dir, "u", {{"enterprise_delete.csv", kDeletionHead}});
  Result<RegisterImportReport> report = import_register_extract(update, dir.file("employers.db"), {});
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), Code::kFailedPrecondition);
}

TEST(EmployerRegister, MalformedRowsAreSkippedAndCountedPerReasonWithTheirLines) {
  TempDir dir;
  const std::string enterprises = kEnterpriseHead +
                                  R"("0200.065.765","AC","000","2","417","","09-08-1960")" "\n"  // 2 ok
                                  R"("0200.065.766","AC","000","2","417","","09-08-1960")" "\n"  // 3 check digits
                                  R"("0200.O65.765","AC","000","2","417","","09-08-1960")" "\n"  // 4 bad number
                                  R"("0200.068.636","AC","000","2","417","")" "\n"                // 5 columns
                                  R"("0200.068.636","AC","000","2","417","","32-01-1960")" "\n"  // 6 date
                                  R"("0200.068.636","AC","000","2","417","","09-08-1960)" "\n"   // 7 quote
                                  R"("0200.065.765","AC","000","2","417","","09-08-1960")" "\n"  // 8 duplicate
                                  "\n"                                                           // 9 blank: ignored
                                  R"("0200.068.636","AC","000","2","417","","09-08-1960")";      // 10 ok, no newline
  const std::string denominations = kDenominationHead +
                                    R"("0200.065.765","9","001","X")" "\n"      // 2 language
                                    R"("0200.065.765","2","009","X")" "\n"      // 3 type
                                    R"("2.000.000.339","2","001","X")" "\n"     // 4 establishment unit
                                    R"("0200.065.765","2","001","X)" "\n"       // 5 quote
                                    R"("0200.065.765","2","001","")" "\n"       // 6 empty
                                    R"("0200.065.765","2","001","A")" "\n" +    // 7 ok
                                    "\"0200.065.765\",\"2\",\"001\",\"" +
                                    std::string(limits::register_line_bytes_max, 'x') + "\"\n" +  // 8 too long
                                    R"("0200.065.765","2","001","B")" "\n";     // 9 ok
  const std::string extract =
      make_folder(dir, "bad", {{"enterprise.csv", enterprises}, {"denomination.csv", denominations}});
  Result<RegisterImportReport> report = import_register_extract(extract, dir.file("employers.db"), {});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->enterprises, 2u);
  EXPECT_EQ(report->denominations, 2u);
  const SkippedRows& s = report->skipped;
  auto lines = [&](RowFault f) { return s.first_lines[static_cast<size_t>(f)]; };
  using V = std::vector<std::string>;
  EXPECT_EQ(lines(RowFault::kBadCheckDigits), V{"enterprise.csv:3"});
  EXPECT_EQ(lines(RowFault::kBadNumber), V{"enterprise.csv:4"});
  EXPECT_EQ(lines(RowFault::kWrongColumnCount), V{"enterprise.csv:5"});
  EXPECT_EQ(lines(RowFault::kBadDate), V{"enterprise.csv:6"});
  EXPECT_EQ(lines(RowFault::kUnterminatedQuote), (V{"enterprise.csv:7", "denomination.csv:5"}));
  EXPECT_EQ(lines(RowFault::kDuplicate), V{"enterprise.csv:8"});
  EXPECT_EQ(lines(RowFault::kUnknownLanguage), V{"denomination.csv:2"});
  EXPECT_EQ(lines(RowFault::kUnknownDenominationType), V{"denomination.csv:3"});
  EXPECT_EQ(lines(RowFault::kEstablishmentUnit), V{"denomination.csv:4"});
  EXPECT_EQ(lines(RowFault::kBadDenomination), V{"denomination.csv:6"});
  EXPECT_EQ(lines(RowFault::kLineTooLong), V{"denomination.csv:8"});
  EXPECT_EQ(s.total(), 12u);
}

TEST(EmployerRegister, ALineLongerThanSeveralReadsIsSkippedOnceAndTheNextLinesKeepTheirNumbers) {
  TempDir dir;
  const std::string huge = "\"0200.065.765\",\"2\",\"001\",\"" + std::string(2 * limits::register_read_bytes + 17, 'x') + "\"\n";
  const std::string denominations = kDenominationHead + R"("0200.065.765","2","001","A")" "\n" + huge +
                                    R"("0200.065.765","9","001","B")" "\n" + R"("0200.065.765","2","001","C")" "\n";
  Result<RegisterImportReport> report = import_register_extract(
      make_folder(dir, "f", {{"enterprise.csv", kEnterprises}, {"denomination.csv", denominations}}),
      dir.file("employers.db"), {});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->denominations, 2u);
  using V = std::vector<std::string>;
  EXPECT_EQ(report->skipped.first_lines[static_cast<size_t>(RowFault::kLineTooLong)], V{"denomination.csv:3"});
  EXPECT_EQ(report->skipped.first_lines[static_cast<size_t>(RowFault::kUnknownLanguage)], V{"denomination.csv:4"});
  EXPECT_EQ(report->skipped.total(), 2u);
  // A header longer than the limit is no header.
  EXPECT_FALSE(import_register_extract(
      make_folder(dir, "g", {{"enterprise.csv", std::string(limits::register_read_bytes + 1, 'h')},
                             {"denomination.csv", kDenominationHead}}),
      dir.file("other.db"), {}));
}

TEST(EmployerRegister, OnlyTheFirstLinesOfAReasonAreNamedButAllAreCounted) {
  TempDir dir;
  std::string denominations = kDenominationHead;
  for (int i = 0; i < 20; ++i) denominations += R"("0200.065.765","8","001","X")" "\n";
  Result<RegisterImportReport> report = import_register_extract(
      make_folder(dir, "f", {{"enterprise.csv", kEnterpriseHead}, {"denomination.csv", denominations}}),
      dir.file("employers.db"), {});
  ASSERT_TRUE(report.is_ok());
  const auto i = static_cast<size_t>(RowFault::kUnknownLanguage);
  EXPECT_EQ(report->skipped.counts[i], 20u);
  EXPECT_EQ(report->skipped.first_lines[i].size(), limits::register_skipped_lines_reported_max);
}

TEST(EmployerRegister, AWrongHeaderFailsTheImportAndKeepsTheReference) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  ASSERT_TRUE(import_register_extract(
      make_folder(dir, "good", {{"enterprise.csv", kEnterprises}, {"denomination.csv", kDenominations}}), store, {}));
  const std::string bad_header = R"("EnterpriseNumber","Status")" "\n";
  Result<RegisterImportReport> report = import_register_extract(
      make_folder(dir, "bad", {{"enterprise.csv", bad_header}, {"denomination.csv", kDenominations}}), store, {});
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), Code::kInvalidArgument);
  EXPECT_NE(report.status().message().find("enterprise.csv"), std::string::npos);
  EXPECT_EQ(open_register(store)->enterprise_count(), 3u);
  // An empty file has no header either; a header with a BOM and CRLF is the register's.
  EXPECT_FALSE(import_register_extract(
      make_folder(dir, "empty", {{"enterprise.csv", ""}, {"denomination.csv", kDenominations}}), store, {}));
  const std::string bom = "\xEF\xBB\xBF" + std::string(kEnterpriseHeader) + "\r\n" +
                          R"("0200.065.765","AC","000","2","417","","09-08-1960")" "\r\n";
  Result<RegisterImportReport> crlf = import_register_extract(
      make_folder(dir, "bom", {{"enterprise.csv", bom}, {"denomination.csv", kDenominationHead}}), store, {});
  ASSERT_TRUE(crlf.is_ok()) << crlf.status().to_string();
  EXPECT_EQ(crlf->enterprises, 1u);
}

TEST(EmployerRegister, WhatIsNoExtractIsRefused) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  EXPECT_EQ(import_register_extract(dir.file("missing"), store, {}).status().code(), Code::kNotFound);
  EXPECT_EQ(import_register_extract(make_folder(dir, "empty", {}), store, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(import_register_extract(make_folder(dir, "half", {{"enterprise.csv", kEnterprises}}), store, {})
                .status()
                .code(),
            Code::kInvalidArgument);
  write(dir.file("not.zip"), "PK\x03\x04 this is no zip");
  EXPECT_EQ(import_register_extract(dir.file("not.zip"), store, {}).status().code(), Code::kInvalidArgument);
  struct stat st {};
  EXPECT_NE(::stat(store.c_str(), &st), 0);
}

TEST(EmployerRegister, AnAbsentReferenceIsNoErrorAndAForeignFileIs) {
  TempDir dir;
  Result<std::unique_ptr<EmployerRegister>> absent = EmployerRegister::open_if_present(dir.file("employers.db"));
  ASSERT_TRUE(absent.is_ok());
  EXPECT_EQ(*absent, nullptr);
  write(dir.file("garbage.db"), std::string(4096, 'g'));
  EXPECT_FALSE(EmployerRegister::open_if_present(dir.file("garbage.db")).is_ok());
}

// --- follow(): a long-running reader sees each import without being opened again -----------

std::string import_full(const TempDir& dir, const std::string& folder, const std::string& store,
                        const std::string& dutch_name) {
  const std::string path = make_folder(
      dir, folder,
      {{"enterprise.csv", kEnterprises},
       {"denomination.csv", kDenominationHead + R"("0200.065.765","2","001",")" + dutch_name + "\"\n"}});
  Result<RegisterImportReport> r = import_register_extract(path, store, {});
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return path;
}

constexpr std::chrono::milliseconds kEveryLookup{0};

TEST(EmployerRegister, AFollowedRegisterSeesAFullImportRenamedInAndAnUpdateWrittenIn) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  import_full(dir, "a", store, "Bakkerij A");
  std::unique_ptr<EmployerRegister> reg = EmployerRegister::follow(store, kEveryLookup, {});
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij A");
  // A full extract: a new file renamed over the one the register holds open.
  import_full(dir, "b", store, "Bakkerij B");
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij B");
  EXPECT_EQ(reg->enterprise_count(), 3u);
  // An update extract, written into the file in one transaction.
  const std::string update = make_folder(
      dir, "u",
      {{"denomination_delete.csv", kDeletionHead + "\"0200.065.765\"\n"},
       {"denomination_insert.csv", kDenominationHead + R"("0200.065.765","2","001","Bakkerij C")" "\n"},
       {"enterprise_delete.csv", kDeletionHead + "\"0200.068.636\"\n"}});
  ASSERT_TRUE(import_register_extract(update, store, {}).is_ok());
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij C");
  EXPECT_EQ(reg->enterprise_count(), 2u);
  // And a full extract over an updated (WAL) file.
  import_full(dir, "d", store, "Bakkerij D");
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij D");
  EXPECT_EQ(reg->enterprise_count(), 3u);
}

TEST(EmployerRegister, AFollowedRegisterNamesNothingUntilTheFileAppearsAndNothingOnceItIsRemoved) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  int failures = 0;
  std::unique_ptr<EmployerRegister> reg =
      EmployerRegister::follow(store, kEveryLookup, [&failures](const Status&) { ++failures; });
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), std::nullopt);
  EXPECT_EQ(reg->enterprise_count(), 0u);
  import_full(dir, "a", store, "Bakkerij A");
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij A");
  ASSERT_EQ(::unlink(store.c_str()), 0);
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), std::nullopt);
  EXPECT_EQ(failures, 0);  // an absent reference is no failure
}

TEST(EmployerRegister, AFollowedRegisterLooksAtTheFileAtMostOncePerInterval) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  import_full(dir, "a", store, "Bakkerij A");
  std::unique_ptr<EmployerRegister> reg = EmployerRegister::follow(store, std::chrono::hours(1), {});
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij A");
  import_full(dir, "b", store, "Bakkerij B");
  // Within the interval the register keeps the file it opened (the old inode, held open).
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij A");
  std::unique_ptr<EmployerRegister> fresh = EmployerRegister::follow(store, std::chrono::hours(1), {});
  EXPECT_EQ(fresh->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij B");
}

TEST(EmployerRegister, AFileThatIsNoReferenceKeepsTheNamesReadBeforeAndIsReportedOnce) {
  TempDir dir;
  const std::string store = dir.file("employers.db");
  import_full(dir, "a", store, "Bakkerij A");
  std::vector<Status> failures;
  std::unique_ptr<EmployerRegister> reg =
      EmployerRegister::follow(store, kEveryLookup, [&failures](const Status& s) { failures.push_back(s); });
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij A");
  write(dir.file("garbage"), std::string(8192, 'x'));
  ASSERT_EQ(::rename(dir.file("garbage").c_str(), store.c_str()), 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij A");
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].code(), Code::kCorruption) << failures[0].to_string();
  import_full(dir, "b", store, "Bakkerij B");  // the next import is taken again
  EXPECT_EQ(reg->name(number(200065765), RegisterLanguage::kDutch), "Bakkerij B");
  EXPECT_EQ(failures.size(), 1u);
  // A broken file at start: reported, and no names until a reference comes.
  write(dir.file("garbage"), std::string(8192, 'x'));
  ASSERT_EQ(::rename(dir.file("garbage").c_str(), store.c_str()), 0);
  std::unique_ptr<EmployerRegister> broken =
      EmployerRegister::follow(store, kEveryLookup, [&failures](const Status& s) { failures.push_back(s); });
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ(failures.size(), 2u);
  EXPECT_EQ(broken->name(number(200065765), RegisterLanguage::kDutch), std::nullopt);
}

TEST(EmployerRegister, AcceptLanguagePicksTheFirstRegisterLanguage) {
  EXPECT_EQ(language_from_accept("nl-BE,fr;q=0.8"), RegisterLanguage::kDutch);
  EXPECT_EQ(language_from_accept("FR"), RegisterLanguage::kFrench);
  EXPECT_EQ(language_from_accept("es, de-DE;q=0.5"), RegisterLanguage::kGerman);
  EXPECT_EQ(language_from_accept("en-GB"), RegisterLanguage::kEnglish);
  EXPECT_EQ(language_from_accept("*"), RegisterLanguage::kUnknown);
  EXPECT_EQ(language_from_accept(""), RegisterLanguage::kUnknown);
  EXPECT_EQ(language_from_accept("nld"), RegisterLanguage::kUnknown);
  EXPECT_EQ(language_from_accept("de_BE.UTF-8"), RegisterLanguage::kGerman);
}

}  // namespace
}  // namespace dimona

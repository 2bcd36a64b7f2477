// The dimona-ledger command line as a user meets it: bad input gives one
// line on stderr naming the problem and a non-zero exit; results go to stdout.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "engine/base/time.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

struct Invocation {
  int exit_code = -1;
  std::string out;  // stdout and stderr, in that order
  std::string err;
};

Invocation run(const std::string& args, const testing::TempDir& dir) {
  const std::string err_file = dir.file("stderr");
  const std::string command = std::string(DIMONA_CLI_PATH) + " " + args + " 2>" + err_file;
  Invocation r;
  std::FILE* p = ::popen(command.c_str(), "r");
  std::array<char, 4096> buf{};
  for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(Cli, AMissingInputIsOneLineAndExit1) {
  testing::TempDir dir;
  Invocation r = run("ingest " + dir.file("nope.ndjson") + " --data " + dir.file("data"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("dimona-ledger: ingest: not found: cannot open"), std::string::npos) << r.err;
}

TEST(Cli, AnInvalidSsinIsRefusedWithoutEchoingIt) {
  testing::TempDir dir;
  Invocation r = run("balance 05031412596 --data " + dir.file("data"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u);
  EXPECT_NE(r.err.find("check digits"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("05031412596"), std::string::npos) << "the SSIN reached the error line";
}

TEST(Cli, ReadingBeforeAnyIngestSaysWhatToDo) {
  testing::TempDir dir;
  Invocation r = run("replay --data " + dir.file("data"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ingest a file first"), std::string::npos) << r.err;
}

TEST(Cli, UsageErrorsExitNonZero) {
  testing::TempDir dir;
  EXPECT_NE(run("frobnicate", dir).exit_code, 0);
  EXPECT_NE(run("generate --students 0", dir).exit_code, 0);
  EXPECT_NE(run("ingest", dir).exit_code, 0);
}

TEST(Cli, StrictIngestNamesTheLineAndKeepsWhatCameBefore) {
  testing::TempDir dir;
  {
    std::ofstream f(dir.file("in.ndjson"));
    f << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30},"recordedAt":"2025-06-20T09:12:00Z"})"
      << "\n{broken\n";
  }
  Invocation r = run("ingest " + dir.file("in.ndjson") + " --strict --data " + dir.file("data"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  Invocation b = run("balance 05031412595 --year 2025 --data " + dir.file("data"), dir);
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(b.out.find("used 30 h"), std::string::npos) << b.out;
}

TEST(Cli, APipedIngestPrintsNoProgress) {
  testing::TempDir dir;
  ASSERT_EQ(run("generate --students 50 -o " + dir.file("y.ndjson"), dir).exit_code, 0);
  Invocation r = run("ingest " + dir.file("y.ndjson") + " --data " + dir.file("data"), dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  EXPECT_NE(r.out.find("A accepted"), std::string::npos);
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

// Actions from the command line (docs/actions.md): the student attests, the
// employer holding the code sees the remaining hours and nothing else.
TEST(CliActions, AnAttestationsAccessCodeShowsTheEmployerTheRemainingHoursOnly) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  const int32_t year = year_of(date_of(SystemClock().now()));
  const std::string in = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":")" +
                         std::to_string(year) + R"(-01-05","endDate":")" + std::to_string(year) +
                         R"(-01-20","plannedHoursNumber":40}})";
  ASSERT_EQ(run("submit '" + in + "'" + data, dir).exit_code, 0);
  Invocation a = run("attest 05031412595 --json" + data, dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const size_t at = a.out.find("\"accessCode\":\"");
  ASSERT_NE(at, std::string::npos) << a.out;
  const std::string code = a.out.substr(at + 14, 11);
  Invocation e = run("access-code " + code + data, dir);
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("\"valid\":true"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("\"remainingHours\":610"), std::string::npos) << e.out;
  EXPECT_EQ(e.out.find("05031412595"), std::string::npos) << "the employer's answer names the student";
  EXPECT_EQ(e.out.find("period"), std::string::npos) << e.out;
  Invocation wrong = run("access-code 00000-00001" + data, dir);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.out.find("unknownCode"), std::string::npos) << wrong.out;
}

TEST(CliActions, ARefusedActionIsLoggedAndSaysWhy) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  Invocation r = run(R"(submit '{"worker":{"ssin":"05031412595"},"dataAccessGrant":{"token":"7K3M9Q2XW8D4RZ6T1VBN"}}')" + data, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"result\":\"B\",\"reason\":\"unknownToken\""), std::string::npos) << r.out;
  Invocation audit = run("anomalies --ssin 05031412595" + data, dir);
  EXPECT_NE(audit.out.find("\"reason\":\"unknownToken\""), std::string::npos) << audit.out;
}

TEST(CliActions, AMalformedActionIsOneLineAndExit1) {
  testing::TempDir dir;
  Invocation r = run(R"(submit '{"worker":{"ssin":"05031412596"},"attestationRequest":{"year":2026}}' --data )" + dir.file("data"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("worker.ssin"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("05031412596"), std::string::npos) << "the SSIN reached the error line";
}

TEST(CliActions, ConsentIsCheckedWithItsReasonAndTheCareerBreakDetailClosesAfterTheEmployeePart) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  {
    std::ofstream f(dir.file("actions.ndjson"));
    f << R"({"employer":{"enterpriseNumber":"0403019261"},"dataAccessRequest":{"scope":"FLEXI","channel":"QR","requestId":"690000000161","token":"7K3M9Q2XW8D4RZ6T1VBN"},"recordedAt":"2025-01-14T08:00:00Z"})" "\n"
      << R"({"worker":{"ssin":"85073003328"},"dataAccessGrant":{"token":"7K3M9Q2XW8D4RZ6T1VBN"},"recordedAt":"2025-01-15T08:00:00Z"})" "\n"
      << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"careerBreakRequest":{"leaveKind":"TIME_CREDIT","fraction":"1/5","startDate":"2025-10-01","endDate":"2026-09-30","regimeBefore":1,"regimeDuring":0.8,"ticket":"690000000262"},"recordedAt":"2025-07-06T09:00:00Z"})" "\n";
  }
  ASSERT_EQ(run("ingest " + dir.file("actions.ndjson") + data, dir).exit_code, 0);
  const std::string check = "consent check --ssin 85073003328 --employer 0403019261 --scope FLEXI" + data;
  Invocation inside = run(check + " --at 2025-02-14T08:00:00Z", dir);
  EXPECT_EQ(inside.exit_code, 0) << inside.err;
  EXPECT_NE(inside.out.find("\"reason\":\"granted\""), std::string::npos) << inside.out;
  Invocation after = run(check + " --at 2025-02-15T08:00:00Z", dir);  // rule 12: one month for FLEXI
  EXPECT_EQ(after.exit_code, 1);
  EXPECT_NE(after.out.find("\"reason\":\"expired\""), std::string::npos) << after.out;
  Invocation other = run("consent check --ssin 85073003328 --employer 0403019360 --scope FLEXI --at 2025-02-01" + data, dir);
  EXPECT_NE(other.out.find("\"reason\":\"neverGranted\""), std::string::npos) << other.out;

  const std::string show = "career-break show 690000000262 --employer 0403019261" + data;
  EXPECT_EQ(run(show, dir).exit_code, 0);
  ASSERT_EQ(run(R"(submit '{"worker":{"ssin":"85073003328"},"careerBreakEmployeePart":{"ticket":"690000000262"}}')" + data, dir).exit_code, 0);
  Invocation closed = run(show, dir);
  EXPECT_EQ(closed.exit_code, 1);
  EXPECT_NE(closed.err.find("the employee completed their part"), std::string::npos) << closed.err;
  // Issue 10 item 7: another employer, or a cancelled request, is told so, not "until the employee ...".
  Invocation other_employer = run("career-break show 690000000262 --employer 0403019360" + data, dir);
  EXPECT_EQ(other_employer.exit_code, 1);
  EXPECT_NE(other_employer.err.find("another employer's request"), std::string::npos) << other_employer.err;
  ASSERT_EQ(run(R"(submit '{"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"careerBreakRequest":{"leaveKind":"TIME_CREDIT","fraction":"1/5","startDate":"2026-10-01","endDate":"2026-12-31","regimeBefore":1,"regimeDuring":0.8,"ticket":"690000000363"}}')" + data, dir).exit_code, 0);
  ASSERT_EQ(run(R"(submit '{"employer":{"enterpriseNumber":"0403019261"},"careerBreakCancellation":{"ticket":"690000000363"}}')" + data, dir).exit_code, 0);
  Invocation cancelled = run("career-break show 690000000363 --employer 0403019261" + data, dir);
  EXPECT_EQ(cancelled.exit_code, 1);
  EXPECT_NE(cancelled.err.find("cancelled"), std::string::npos) << cancelled.err;
  EXPECT_EQ(cancelled.err.find("employee"), std::string::npos) << cancelled.err;
  Invocation list = run("career-break list --employer 0403019261 --now 2025-08-01" + data, dir);
  EXPECT_NE(list.out.find("\"status\":\"EMPLOYEE_COMPLETED\""), std::string::npos) << list.out;
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

// One writer per log: while another process holds the data folder's writer lock
// (a running serve), a writing subcommand is refused with one clear line and writes nothing.
TEST(CliActions, ASecondWriterIsRefusedWhileTheFirstHoldsTheLog) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  ASSERT_EQ(::mkdir(data.c_str(), 0755), 0);
  const int fd = ::open((data + "/writer.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  Invocation r = run(R"(submit '{"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2026}}' --data )" + data, dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("another process writes"), std::string::npos) << r.err;
  ::close(fd);
  Invocation after = run(R"(submit '{"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2026}}' --data )" + data, dir);
  EXPECT_EQ(after.exit_code, 0) << after.err;
}

}  // namespace
}  // namespace dimona


namespace dimona {
namespace {

// Issue 10 item 6: the default years of `balance` and `calendar` and the
// interim window (previous, current, next year) follow the same "now" as the
// rest of the read, max(clock, last recordedAt): a loaded year ahead of the
// wall clock is not hidden by default.
TEST(Cli, DefaultYearsFollowLedgerTimeWhenHistoryRunsAhead) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  {
    std::ofstream f(dir.file("ahead.ndjson"));
    f << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2040-01-05","endDate":"2040-01-20","plannedHoursNumber":40},"recordedAt":"2040-01-02T08:00:00Z"})"
      << "\n"
      << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"322","workerType":"OTH"},"startDate":"2040-01-06","endDate":"2040-01-06","usingEmployer":{"enterpriseNumber":"0876543270","jointCommissionNumber":"302"}},"recordedAt":"2040-01-03T08:00:00Z"})"
      << "\n";
  }
  ASSERT_EQ(run("ingest " + dir.file("ahead.ndjson") + data, dir).exit_code, 0);
  Invocation b = run("balance 05031412595" + data, dir);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  for (const char* year : {"2039:", "2040:", "2041:"}) EXPECT_NE(b.out.find(year), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("2040-01-05..2040-01-20"), std::string::npos) << b.out;
  Invocation c = run("calendar 05031412595" + data, dir);
  EXPECT_NE(c.out.find("2040: 1 employer(s)"), std::string::npos) << c.out;
  Invocation i = run("interim 85073003328" + data, dir);
  ASSERT_EQ(i.exit_code, 0) << i.err;
  EXPECT_NE(i.out.find("1 work relation(s) from 2039-01-01 to 2041-12-31"), std::string::npos) << i.out;
}

TEST(CliActions, AttestDefaultsToTheYearOfTheLedgerTime) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  {
    std::ofstream f(dir.file("ahead.ndjson"));
    f << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2030-01-05","endDate":"2030-01-20","plannedHoursNumber":40},"recordedAt":"2030-01-02T08:00:00Z"})"
      << "\n";
  }
  ASSERT_EQ(run("ingest " + dir.file("ahead.ndjson") + data, dir).exit_code, 0);
  Invocation a = run("attest 05031412595 --json" + data, dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find(R"("year":2030,"quotaHours":650,"remainingHours":610)"), std::string::npos) << a.out;
}

}  // namespace
}  // namespace dimona

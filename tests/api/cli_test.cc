// The dimona-ledger command line as a user meets it: bad input gives one
// line on stderr naming the problem and a non-zero exit; results go to stdout.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <string>

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

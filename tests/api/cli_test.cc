// The dimona-ledger command line as a user meets it: bad input gives one
// line on stderr naming the problem and a non-zero exit; results go to stdout.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <csignal>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/time.h"
#include "engine/codec.h"
#include "engine/ledger.h"
#include "engine/quota_schedule.h"
#include "engine/secret.h"
#include "engine/log/log.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::Invocation;

// `prefix` runs the binary under another command (timeout).
Invocation run(const std::string& args, const testing::TempDir& dir, const std::string& prefix = "") {
  return testing::run_shell(prefix + std::string(DIMONA_CLI_PATH) + " " + args, dir);
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
// Inputs without an end (a device, a pipe that never closes) cost a bounded read, then one line.
TEST(Cli, EndlessInputsAreRefusedAfterTheirLimit) {
  testing::TempDir dir;
  std::ofstream(dir.file("big.json")) << std::string(1048577, ' ');
  Invocation quota = run("ingest /dev/null --quota " + dir.file("big.json") + " --data " + dir.file("q"), dir);
  EXPECT_NE(quota.exit_code, 0);
  EXPECT_EQ(lines(quota.err), 1u) << quota.err;
  EXPECT_NE(quota.err.find("larger than 1048576 bytes"), std::string::npos) << quota.err;
  Invocation device = run("ingest /dev/null --quota /dev/zero --data " + dir.file("q"), dir);
  EXPECT_NE(device.exit_code, 0);
  EXPECT_EQ(lines(device.err), 1u) << device.err;
  EXPECT_NE(device.err.find("/dev/zero is not a regular file"), std::string::npos) << device.err;
  Invocation submit = run("submit - --data " + dir.file("s") + " < /dev/zero", dir);
  EXPECT_NE(submit.exit_code, 0);
  EXPECT_EQ(lines(submit.err), 1u) << submit.err;
  EXPECT_NE(submit.err.find("standard input is larger than"), std::string::npos) << submit.err;
}

// An output a user names is opened truncated: never over the input, a file of the data folder or
// a database (ingest --report of its own input emptied it; export or generate -o DATA/ledger.db
// replaced the log), and a default report is never a link to elsewhere. Each is one line, exit 1,
// and what was there is intact.
TEST(Cli, AnOutputNeverReplacesTheInputTheLedgerOrADatabase) {
  testing::TempDir dir;
  ASSERT_EQ(run("generate --students 40 --seed 2 -o " + dir.file("y.ndjson"), dir).exit_code, 0);
  const std::string input = testing::read_file(dir.file("y.ndjson"));
  const std::string data = " --data " + dir.file("d");
  Invocation self = run("ingest " + dir.file("y.ndjson") + " --report " + dir.file("y.ndjson") + data, dir);
  EXPECT_EQ(self.exit_code, 1);
  EXPECT_EQ(lines(self.err), 1u) << self.err;
  EXPECT_NE(self.err.find("refusing to write over it"), std::string::npos) << self.err;
  EXPECT_EQ(testing::read_file(dir.file("y.ndjson")), input);
  ASSERT_EQ(run("ingest " + dir.file("y.ndjson") + data, dir).exit_code, 0);
  const std::string ledger = testing::read_file(dir.file("d/ledger.db"));
  for (const std::string& command :
       {"export -o " + dir.file("d/ledger.db") + data, "generate --students 5 -o " + dir.file("d/ledger.db"),
        "export -o " + dir.file("d/secret.key") + data,
        "audit rebuild --as-of 2025-06-30 -o " + dir.file("d/ledger.db") + data}) {
    Invocation r = run(command, dir);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(lines(r.err), 1u) << command << ": " << r.err;
    EXPECT_NE(r.err.find("refusing to write over it"), std::string::npos) << command << ": " << r.err;
  }
  // A database's side files, there or not yet: SQLite would delete or rewrite what was written there.
  ASSERT_FALSE(std::filesystem::exists(dir.file("d/ledger.db-wal")));
  for (const std::string& command :
       {"export -o " + dir.file("d/ledger.db-wal") + data, "export -o " + dir.file("d/ledger.db-journal") + data,
        "ingest " + dir.file("y.ndjson") + " --report " + dir.file("d/ledger.db-shm") + data}) {
    Invocation r = run(command, dir);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(lines(r.err), 1u) << command << ": " << r.err;
    EXPECT_NE(r.err.find("is a side file of the SQLite database"), std::string::npos) << command << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("d/ledger.db-wal")));
  EXPECT_EQ(testing::read_file(dir.file("d/ledger.db")), ledger);
  // An export holds every citizen's data: readable by its owner only.
  ASSERT_EQ(run("export -o " + dir.file("export.ndjson") + data, dir).exit_code, 0);
  EXPECT_EQ(std::filesystem::status(dir.file("export.ndjson")).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // The folder's other files are the user's: an input kept there (scripts/demo.sh), run again, writes its report again.
  ASSERT_EQ(run("generate --students 30 --seed 6 -o " + dir.file("d/year.ndjson"), dir).exit_code, 0);
  for (int pass = 0; pass < 2; ++pass) {
    Invocation r = run("ingest " + dir.file("d/year.ndjson") + data, dir);
    EXPECT_EQ(r.exit_code, 0) << "pass " << pass << ": " << r.err;
  }
  // A default report that is a link (planted beside an input in a shared folder) is not followed.
  ASSERT_EQ(run("generate --students 30 --seed 4 -o " + dir.file("z.ndjson"), dir).exit_code, 0);
  std::ofstream(dir.file("victim")) << "precious";
  std::filesystem::create_symlink(dir.file("victim"), dir.file("z.ndjson.refused.ndjson"));
  Invocation linked = run("ingest " + dir.file("z.ndjson") + data, dir);
  EXPECT_EQ(linked.exit_code, 1);
  EXPECT_NE(linked.err.find("symbolic link"), std::string::npos) << linked.err;
  EXPECT_EQ(testing::read_file(dir.file("victim")), "precious");
}

// A whole-number option takes decimal digits within its range, nothing CLI11's strtoull would
// bend into one ("-1" as the largest value, 2^64 as 2^64 - 1, "010" as eight); the data folder
// is named and, when it exists, a folder.
TEST(Cli, NumbersAndTheDataFolderAreCheckedAtTheEdge) {
  testing::TempDir dir;
  ASSERT_EQ(run("generate --students 20 --seed 3 -o " + dir.file("y.ndjson"), dir).exit_code, 0);
  const std::string data = " --data " + dir.file("d");
  ASSERT_EQ(run("ingest " + dir.file("y.ndjson") + data, dir).exit_code, 0);
  for (const std::string& command :
       {"log dump --limit -1" + data, "log dump --limit 18446744073709551616" + data,
        "log dump --partition 0 --from-offset 9223372036854775808" + data, "log dump --limit 0x10" + data,
        "log dump --limit +5" + data, "log dump --limit ''" + data, "replay --threads 4294967297" + data,
        std::string("calendar 06031661155 --data ''"), "calendar 06031661155 --data " + dir.file("y.ndjson")}) {
    Invocation r = run(command, dir);
    EXPECT_EQ(r.exit_code, 105) << command << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1u) << command << ": " << r.err;
    EXPECT_EQ(r.out, "") << command;
  }
  Invocation octal = run("log dump --limit 010" + data, dir);  // decimal ten, not octal eight
  EXPECT_EQ(octal.exit_code, 0) << octal.err;
  EXPECT_EQ(lines(octal.out), 10u);
  Invocation empty_env = run("calendar 06031661155", dir, "DIMONA_DATA= ");
  EXPECT_EQ(empty_env.exit_code, 105) << empty_env.err;
  EXPECT_NE(empty_env.err.find("DIMONA_DATA"), std::string::npos) << empty_env.err;
}

// A usage error is one line that never repeats a number that may be an SSIN: the argument
// parser's own messages quote what they refuse ("The following argument was not expected: …").
TEST(Cli, AUsageErrorWithholdsWhatMayBeAnSsin) {
  testing::TempDir dir;
  for (const char* command : {"balance 06031661155 03060883430", "balance 06031661155 --year 03060883430",
                              "log dump --partition 03060883430", "serve --port 03.06.08-834.30"}) {
    Invocation r = run(std::string(command) + " --data " + dir.file("d"), dir);
    EXPECT_NE(r.exit_code, 0) << command;
    EXPECT_EQ(lines(r.err), 1u) << command << ": " << r.err;
    EXPECT_EQ(r.err.find("03060883430"), std::string::npos) << command << ": " << r.err;
    EXPECT_EQ(r.err.find("834.30"), std::string::npos) << command << ": " << r.err;
    EXPECT_NE(r.err.find("<number withheld>"), std::string::npos) << command << ": " << r.err;
  }
  Invocation small =
      run("balance 06031661155 --year 123456 --data " + dir.file("d"), dir);  // a number that cannot be one stays
  EXPECT_NE(small.err.find("123456"), std::string::npos) << small.err;
}

// A FIFO (or a folder) named where a file is read or written is refused at once, in one line:
// opening a FIFO with no writer waits forever, and serve would never listen.
TEST(Cli, AFifoOrAFolderGivenForAFileIsRefusedAtOnce) {
  testing::TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  const std::string fifo = dir.file("fifo");
  const std::vector<std::string> calls = {
      "ingest /dev/null --quota " + fifo + " --data " + dir.file("a"),
      "ingest /dev/null --quota " + dir.path() + " --data " + dir.file("a"),
      "attest 05031412595 --secret-file " + fifo + " --data " + dir.file("b"),
      "serve --data " + dir.file("c") + " --port 0 --jwks " + fifo,
      "serve --data " + dir.file("c") + " --port 0 --tls-cert " + fifo + " --tls-key " + fifo,
  };
  for (const std::string& call : calls) {
    Invocation r = run(call, dir, "timeout 20 ");
    EXPECT_NE(r.exit_code, 0) << call;
    EXPECT_NE(r.exit_code, 124) << call << ": still waiting after 20 s";
    EXPECT_EQ(lines(r.err), 1u) << call << "\n" << r.err;
    EXPECT_NE(r.err.find("is not a regular file"), std::string::npos) << call << "\n" << r.err;
  }
  // A report may go to a FIFO (or a terminal) that a process reads; one that none reads is said.
  Invocation report = run("ingest /dev/null --report " + fifo + " --data " + dir.file("d"), dir, "timeout 20 ");
  EXPECT_EQ(report.exit_code, 1) << report.err;
  EXPECT_EQ(lines(report.err), 1u) << report.err;
  EXPECT_NE(report.err.find("a FIFO that no process reads"), std::string::npos) << report.err;
}

// A log whose partition count was changed under it (its meta row) is refused in one line, never
// read as if: fewer partitions than its batches hid their events, more put every citizen in the
// wrong partition (balances of 0 h, and audit verify "same").
TEST(Cli, ALogWhosePartitionCountWasChangedIsRefused) {
  testing::TempDir dir;
  ASSERT_EQ(run("generate --students 60 --seed 2 -o " + dir.file("y.ndjson"), dir).exit_code, 0);
  ASSERT_EQ(run("ingest " + dir.file("y.ndjson") + " --data " + dir.file("d"), dir).exit_code, 0);
  ASSERT_EQ(run("replay --data " + dir.file("d"), dir).exit_code, 0);  // a checkpoint, for audit verify
  for (const char* count : {"3", "32"}) {
    const std::string copy = dir.file(std::string("d") + count);
    ASSERT_EQ(testing::run_shell("cp -r " + dir.file("d") + " " + copy + " && sqlite3 " + copy +
                                     "/ledger.db \"UPDATE meta SET value = " + count + " WHERE key = 'partitions'\"",
                                 dir)
                  .exit_code,
              0);
    for (const std::string& command :
         {"audit verify --data " + copy, "replay --data " + copy, "balance 05031412595 --data " + copy}) {
      Invocation r = run(command, dir);
      // One line, or the checkpoint's warning first (another partition count: set aside).
      EXPECT_EQ(r.exit_code, 1) << command << ": " << r.out << r.err;
      EXPECT_LE(lines(r.err), 2u) << command << ": " << r.err;
      EXPECT_NE(r.err.find("partition"), std::string::npos) << command << ": " << r.err;
      // More partitions than the checkpoint covers (before replay set it aside): said in words.
      if (command.starts_with("audit") && std::string_view(count) == "32") {
        EXPECT_NE(r.err.find("covers 16 partitions and the log has 32"), std::string::npos) << r.err;
      }
    }
  }
}

// A token is signed with the data folder's key: a new key (a new or a mistyped folder) is said,
// once, on stderr; the next token from the same folder says nothing.
TEST(Cli, ATokenFromANewKeySaysSo) {
  testing::TempDir dir;
  Invocation r = run("token --role auditor --data " + dir.file("new"), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("a new development key"), std::string::npos) << r.err;
  Invocation again = run("token --role auditor --data " + dir.file("new"), dir);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(again.err.empty()) << again.err;
}

// The quota schedule travels with the log (issue 11, item 2): the writer's --quota
// is recorded in it, and a reader with no --quota (another machine, another
// schemas/quota.json) folds with that one. A later run that rewrites a past
// figure is refused with one line, and appends nothing.
TEST(Cli, AReaderFoldsWithTheQuotaScheduleTheWriterRecordedInTheLog) {
  testing::TempDir dir;
  const std::string quota = dir.file("quota.json");
  std::ofstream(quota) << R"({"entries":[{"firstYear":2025,"lastYear":2025,"hours":500,"effectiveFrom":"2025-01-01",)"
                          R"("definedAt":"2024-12-01T00:00:00Z","legalSource":"a test's law"}]})";
  const std::string in = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":)"
                         R"({"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-03-03","endDate":"2025-03-20",)"
                         R"("plannedHoursNumber":40},"recordedAt":"2025-03-01T08:00:00Z"})";
  Invocation submitted = run("submit '" + in + "' --quota " + quota + " --data " + dir.file("data"), dir);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  Invocation balance = run("balance 05031412595 --year 2025 --data " + dir.file("data"), dir);
  ASSERT_EQ(balance.exit_code, 0) << balance.err;
  EXPECT_NE(balance.out.find("quota 500 h, used 40 h, remaining 460 h"), std::string::npos) << balance.out;

  std::ofstream(quota) << R"({"entries":[{"firstYear":2025,"lastYear":2025,"hours":650,"effectiveFrom":"2025-01-01",)"
                          R"("definedAt":"2024-12-01T00:00:00Z","legalSource":"rewritten"}]})";
  Invocation rewritten = run("submit '" + in + "' --quota " + quota + " --data " + dir.file("data"), dir);
  EXPECT_EQ(rewritten.exit_code, 1);
  EXPECT_EQ(lines(rewritten.err), 1u) << rewritten.err;
  EXPECT_NE(rewritten.err.find("drops or changes the entry of year 2025 (500 h"), std::string::npos) << rewritten.err;
  EXPECT_NE(run("balance 05031412595 --year 2025 --data " + dir.file("data"), dir).out.find("used 40 h"), std::string::npos);
}

// A writer starts from the latest checkpoint (its states and `writer` section) and folds only the
// log after it: every later ingest decides and logs exactly what a writer that folded the whole
// log does (the same lines skipped as stored, the same decisions, the same ids).
TEST(Cli, AnIngestAfterACheckpointLogsWhatOneFromTheLogsStartLogs) {
  testing::TempDir dir;
  ASSERT_EQ(run("generate --students 150 --seed 3 > a.ndjson", dir).exit_code, 0);
  // The same lines decided again now: duplicates refused, updates and actions on the year's records.
  ASSERT_EQ(
      testing::run_shell(
          "sed -E 's/\"recordedAt\":\"[^\"]*\"/\"recordedAt\":\"2026-12-02T00:00:00Z\"/' a.ndjson > b.ndjson", dir)
          .exit_code,
      0);
  ASSERT_EQ(run("ingest a.ndjson --data " + dir.file("seeded"), dir).exit_code, 0);
  std::filesystem::copy(dir.file("seeded"), dir.file("folded"));            // the same secret: the same access codes
  ASSERT_EQ(run("replay --data " + dir.file("seeded"), dir).exit_code, 0);  // a checkpoint, with the writer section
  std::string dumps[2];
  for (int i = 0; i < 2; ++i) {
    const std::string data = dir.file(i == 0 ? "seeded" : "folded");
    const char* expected = i == 0 ? "writer: started from the checkpoint" : "writer: folded the log from its start";
    const Invocation again = run("ingest a.ndjson --data " + data, dir);
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("already ingested"), std::string::npos) << again.out;
    const Invocation now = run("ingest b.ndjson --data " + data, dir);
    ASSERT_EQ(now.exit_code, 0) << now.err;
    EXPECT_NE(now.out.find(expected), std::string::npos) << now.out;
    EXPECT_EQ(now.err.find("warning"), std::string::npos) << now.err;
    const Invocation dump = run("log dump --data " + data, dir);
    ASSERT_EQ(dump.exit_code, 0) << dump.err;
    dumps[i] = dump.out;
  }
  EXPECT_GT(lines(dumps[0]), 2000u);
  EXPECT_EQ(dumps[0], dumps[1]);
}

// The auditors' axes (docs/audit.md): --as-of on the queries, and `audit`.
TEST(CliAudit, QueriesRebuildsAndStateHashesAtAnInstant) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  auto in = [](const std::string& start, const std::string& end, int hours, const std::string& recorded) {
    return R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":)"
           R"({"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":")" + start + R"(","endDate":")" + end +
           R"(","plannedHoursNumber":)" + std::to_string(hours) + R"(},"recordedAt":")" + recorded + R"("})";
  };
  ASSERT_EQ(run("submit '" + in("2025-03-03", "2025-03-20", 40, "2025-03-01T08:00:00Z") + "'" + data, dir).exit_code, 0);
  ASSERT_EQ(run("submit '" + in("2025-05-05", "2025-05-20", 30, "2025-05-01T08:00:00Z") + "'" + data, dir).exit_code, 0);
  ASSERT_EQ(run("submit '" + in("2025-08-04", "2025-08-20", 20, "2025-08-01T08:00:00Z") + "'" + data, dir).exit_code, 0);
  ASSERT_EQ(run("replay --keep-checkpoints 3" + data, dir).exit_code, 0);

  EXPECT_NE(run("balance 05031412595 --year 2025 --as-of 2025-04-01" + data, dir).out.find("used 40 h"), std::string::npos);
  EXPECT_NE(run("balance 05031412595 --year 2025 --as-of 2025-05-01T08:00:00Z" + data, dir).out.find("used 70 h"),
            std::string::npos);
  EXPECT_NE(run("balance 05031412595 --year 2025" + data, dir).out.find("used 90 h"), std::string::npos);
  // Both axes: on 1 June, the periods started by 10 March.
  EXPECT_NE(run("balance 05031412595 --year 2025 --as-of 2025-06-01 --valid-on 2025-03-10" + data, dir).out.find("used 40 h"),
            std::string::npos);

  const Invocation exported = run("export --as-of 2025-06-01" + data, dir);
  const Invocation rebuilt = run("audit rebuild --as-of 2025-06-01" + data, dir);
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_EQ(rebuilt.out, exported.out);
  EXPECT_EQ(rebuilt.out.find("2025-08-04"), std::string::npos) << "an August period before it was recorded";
  EXPECT_NE(run("export" + data, dir).out.find("2025-08-04"), std::string::npos);

  const Invocation hashed = run("audit state-hash --as-of 2025-06-01" + data, dir);
  ASSERT_EQ(hashed.exit_code, 0) << hashed.err;
  const size_t at = hashed.out.find("\"stateHash\":\"");
  ASSERT_NE(at, std::string::npos) << hashed.out;
  const std::string hash = hashed.out.substr(at + 13, 64);
  EXPECT_EQ(run("audit verify --as-of 2025-06-01 --expect " + hash + data, dir).exit_code, 0);
  std::string other = hash;
  other[0] = other[0] == '0' ? '1' : '0';
  const Invocation differs = run("audit verify --as-of 2025-06-01 --expect " + other + data, dir);
  EXPECT_EQ(differs.exit_code, 1);
  EXPECT_EQ(lines(differs.err), 1u) << differs.err;
  const Invocation malformed = run("audit verify --expect XYZ" + data, dir);
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_EQ(lines(malformed.err), 1u) << malformed.err;

  // Every kept checkpoint against the log alone; a checkpoint whose hash was altered is named.
  const Invocation verified = run("audit verify" + data, dir);
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("\"verdict\":\"same\""), std::string::npos) << verified.out;
  EXPECT_EQ(verified.out.find("DIFFERENT"), std::string::npos) << verified.out;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.file("data") + "/checkpoint.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE checkpoints SET state_hash = zeroblob(32)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const Invocation tampered = run("audit verify" + data, dir);
  EXPECT_EQ(tampered.exit_code, 1);
  EXPECT_NE(tampered.out.find("DIFFERENT"), std::string::npos) << tampered.out;
  EXPECT_EQ(lines(tampered.err), 1u) << tampered.err;

  // Refused at the edge.
  EXPECT_NE(run("balance 05031412595 --as-of 2025-02-30" + data, dir).exit_code, 0);
  EXPECT_NE(run("balance 05031412595 --valid-on soon" + data, dir).exit_code, 0);
  EXPECT_NE(run("audit rebuild" + data, dir).exit_code, 0);  // --as-of is required
  EXPECT_NE(run("submit '{}' --as-of 2025-06-01" + data, dir).exit_code, 0);  // writes have no past
}

// `replay --checkpoint-every K` writes a checkpoint every K events (give or take a round, a quarter
// of K), whatever the partition count: a round of K/4 per partition made it every ~4K over 16.
TEST(CliAudit, ReplayWritesACheckpointEveryKEventsOverSixteenPartitions) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  ASSERT_EQ(run("generate --students 300 --seed 2 -o " + dir.file("y.ndjson"), dir).exit_code, 0);
  ASSERT_EQ(run("ingest " + dir.file("y.ndjson") + data, dir).exit_code, 0);  // 16 partitions, the default
  const Invocation replayed = run("replay --checkpoint-every 1000 --keep-checkpoints 1024" + data, dir);
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir.file("data") + "/checkpoint.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT events FROM checkpoints ORDER BY sequence", -1, &s, nullptr), SQLITE_OK);
  std::vector<int64_t> events{0};
  while (sqlite3_step(s) == SQLITE_ROW) events.push_back(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  ASSERT_GT(events.back(), 5000) << "a larger input is needed";
  for (size_t i = 1; i < events.size(); ++i) {
    SCOPED_TRACE("checkpoint " + std::to_string(i) + " of " + std::to_string(events.size() - 1));
    EXPECT_LE(events[i] - events[i - 1], 1250);
    if (i + 1 < events.size()) {  // the last one: at the log's end
      EXPECT_GE(events[i] - events[i - 1], 1000);
    }
  }
}

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
  Invocation no_code = run("access-code ZZZZ-!!!" + data, dir);  // no code at all: bad input, one line
  EXPECT_EQ(no_code.exit_code, 1);
  EXPECT_EQ(no_code.out, "");
  EXPECT_EQ(lines(no_code.err), 1u) << no_code.err;
  EXPECT_NE(no_code.err.find("expected an access code"), std::string::npos) << no_code.err;
}

// --date D: what the employer holding the code saw on that day, the ledger as it stood by its
// end: hours declared later are not subtracted from the quota known then (the lookup used to
// mix that day's quota with today's hours, a figure nobody ever saw).
TEST(CliActions, AnAccessCodeOnAnotherDayIsTheLedgerAsItStoodThen) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  std::ofstream(dir.file("y.ndjson"))
      << R"({"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2025},"recordedAt":"2024-12-01T00:00:00Z"})"
      << "\n"
      << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-01-13","endDate":"2025-01-31","plannedHoursNumber":100},"recordedAt":"2025-01-10T00:00:00Z"})"
      << "\n";
  ASSERT_EQ(run("ingest " + dir.file("y.ndjson") + data, dir).exit_code, 0);
  Invocation list = run("export" + data, dir);
  const size_t at = list.out.find("\"accessCode\":\"");
  ASSERT_NE(at, std::string::npos) << list.out;
  const std::string code = list.out.substr(at + 14, 11);
  Invocation then = run("access-code " + code + " --date 2024-12-15" + data, dir);
  EXPECT_EQ(then.exit_code, 0) << then.err << then.out;
  EXPECT_NE(then.out.find("\"remainingHours\":475"), std::string::npos) << then.out;
  Invocation march = run("access-code " + code + " --date 2025-02-15" + data, dir);
  EXPECT_NE(march.out.find("\"remainingHours\":375"), std::string::npos) << march.out;
  Invocation both = run("access-code " + code + " --date 2025-02-15 --as-of 2024-12-15" + data, dir);
  EXPECT_NE(both.out.find("\"remainingHours\":475"), std::string::npos)
      << "--as-of names the ledger's instant: " << both.out;
}

// The same for a consent checked at another instant: the hours the employer saw then, not that
// moment's quota less hours declared since (review: 445 h, a figure the ledger never held).
TEST(CliActions, AConsentCheckedAtAnotherInstantIsTheLedgerAsItStoodThen) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  std::ofstream(dir.file("y.ndjson"))
      << R"({"employer":{"enterpriseNumber":"0403019261"},"dataAccessRequest":{"scope":"STUDENT_BALANCE","channel":"LINK","requestId":"690000000161","token":"7K3M9Q2XW8D4RZ6T1VBN"},"recordedAt":"2025-04-01T08:00:00Z"})"
         "\n"
      << R"({"worker":{"ssin":"05031412595"},"dataAccessGrant":{"token":"7K3M9Q2XW8D4RZ6T1VBN"},"recordedAt":"2025-04-02T08:00:00Z"})"
         "\n"
      << R"({"employer":{"enterpriseNumber":"0403019360"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-06-02","endDate":"2025-06-30","plannedHoursNumber":30},"recordedAt":"2025-05-20T00:00:00Z"})"
         "\n";
  ASSERT_EQ(run("ingest " + dir.file("y.ndjson") + data, dir).exit_code, 0);
  const std::string check = "consent check --ssin 05031412595 --employer 0403019261 --scope STUDENT_BALANCE" + data;
  Invocation then = run(check + " --at 2025-04-15T09:00:00Z", dir);
  EXPECT_EQ(then.exit_code, 0) << then.err << then.out;
  EXPECT_NE(then.out.find("\"remainingHours\":475"), std::string::npos) << then.out;
  Invocation later = run(check + " --at 2025-05-21", dir);
  EXPECT_NE(later.out.find("\"remainingHours\":445"), std::string::npos) << later.out;
  Invocation both = run(check + " --at 2025-05-21 --as-of 2025-04-15T09:00:00Z", dir);
  EXPECT_NE(both.out.find("\"remainingHours\":475"), std::string::npos)
      << "--as-of names the ledger's instant: " << both.out;
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
  EXPECT_NE(inside.out.find("\"quarter\":\"2025-Q1\",\"eligibility\""), std::string::npos) << inside.out;
  Invocation later = run(check + " --at 2025-02-14T08:00:00Z --quarter 2025-Q2", dir);  // Q2 opens on 03-01
  EXPECT_EQ(later.exit_code, 1);
  EXPECT_NE(later.err.find("--quarter: the current quarter, or a later one"), std::string::npos) << later.err;
  EXPECT_NE(run(check + " --at 2025-02-14T08:00:00Z --year 2025", dir).exit_code, 0) << "--year is STUDENT_BALANCE's";
  Invocation after = run(check + " --at 2025-02-15T08:00:00Z", dir);  // rule 12: one month for FLEXI
  EXPECT_EQ(after.exit_code, 1);
  EXPECT_NE(after.out.find("\"reason\":\"expired\""), std::string::npos) << after.out;
  Invocation other = run("consent check --ssin 85073003328 --employer 0403019360 --scope FLEXI --at 2025-02-01" + data, dir);
  EXPECT_NE(other.out.find("\"reason\":\"neverGranted\""), std::string::npos) << other.out;
  // Rule 12 in days: a day given is the whole day in Brussels (its end, as --as-of reads one), so
  // the grant counts on its own day and has expired on 2025-02-15, whatever the hour.
  const std::pair<const char*, const char*> days[] = {
      {"2025-01-15", "granted"}, {"2025-02-14", "granted"}, {"2025-02-15", "expired"}, {"2025-01-14", "neverGranted"}};
  for (const auto& [day, reason] : days) {
    Invocation on = run(check + " --at " + day, dir);
    EXPECT_NE(on.out.find("\"reason\":\"" + std::string(reason) + "\""), std::string::npos) << day << ": " << on.out;
  }

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
  Invocation backwards = run("career-break list --employer 0403019261 --from 2026-01-01 --to 2025-01-01" + data, dir);
  EXPECT_EQ(backwards.exit_code, 1);
  EXPECT_NE(backwards.err.find("--to: before from"), std::string::npos) << backwards.err;

  // The employee's own side (DOMAIN §5): their requests in full, and ONEM's decision in their inbox.
  ASSERT_EQ(run(R"(submit '{"onemDecision":{"ticket":"690000000262","decision":"GRANTED"}}')" + data, dir).exit_code,
            0);
  Invocation mine = run("career-break employee 85073003328" + data, dir);
  EXPECT_EQ(mine.exit_code, 0) << mine.err;
  EXPECT_NE(mine.out.find(R"("ticket":"690000000262","ssin":"85073003328","status":"GRANTED")"), std::string::npos)
      << mine.out;
  EXPECT_NE(mine.out.find(R"("ticket":"690000000363","ssin":"85073003328","status":"CANCELLED")"), std::string::npos)
      << mine.out;
  EXPECT_EQ(mine.out.find("\"since\""), std::string::npos) << mine.out;
  Invocation box = run("inbox list 85073003328" + data, dir);
  EXPECT_EQ(box.exit_code, 0) << box.err;
  EXPECT_NE(box.out.find("690000000262  "), std::string::npos) << box.out;
  EXPECT_NE(box.out.find("ONEM decision on career-break request 690000000262: GRANTED"), std::string::npos) << box.out;
  Invocation read = run("inbox read 85073003328 690000000262" + data, dir);
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_NE(read.out.find("TIME_CREDIT 1/5 from 2025-10-01 to 2026-09-30, decided "), std::string::npos) << read.out;
  Invocation bad = run("career-break employee 85073003329" + data, dir);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(lines(bad.err), 1u) << bad.err;
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

// Start-up errors are messages (docs/operations.md): whatever is wrong with the
// data folder, `serve` and the other commands print one line and exit non-zero;
// a checkpoint that cannot be used is set aside and the state rebuilt from the log.
class CliStartup : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.file("data");
    Invocation r = run("ingest " + std::string(DIMONA_TEST_DATA_DIR) + "/one_per_rule.ndjson --report " +
                           dir_.file("refused.ndjson") + " --data " + data_,
                       dir_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // serve exits at once on a start-up error; when it starts, SIGTERM after two seconds stops it.
  Invocation serve(const std::string& extra = "") {
    return run("serve --port 0 --data " + data_ + " " + extra, dir_, "timeout --preserve-status -s TERM 2 ");
  }
  static void expect_one_line(const Invocation& r, const std::string& needle) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, 139) << "crashed (SIGSEGV)";
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }
  testing::TempDir dir_;
  std::string data_;
};

// A report that cannot be written (a full disk) is an error, not a run that ends as if it had
// kept the refused lines, and it stops the run before the group it reports is committed: run again
// with a report that can be written, the refused lines are listed. (They were committed first, so
// the second run found them stored, and listed nowhere.)
TEST_F(CliStartup, AReportThatCannotBeWrittenFailsTheRunAndLosesNoItem) {
  const std::string input = std::string(DIMONA_TEST_DATA_DIR) + "/one_per_rule.ndjson";
  Invocation full = run("ingest " + input + " --report /dev/full --data " + dir_.file("other"), dir_);
  expect_one_line(full, "cannot write the report /dev/full");
  Invocation again =
      run("ingest " + input + " --report " + dir_.file("again.ndjson") + " --data " + dir_.file("other"), dir_);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out.find("already ingested"), std::string::npos) << again.out;
  EXPECT_NE(testing::read_file(dir_.file("again.ndjson")).find("\"result\":\"B\""), std::string::npos)
      << "the refused lines are listed";
}

// Options read as addresses and links are refused at start, one line each (hostile review).
TEST_F(CliStartup, AProxyAddressOrAPublicUrlThatCannotWorkIsOneLine) {
  expect_one_line(serve("--trusted-proxy notanip"), "--trusted-proxy: expected the proxy's IP address");
  expect_one_line(serve("--public-url 'javascript:alert(1)'"), "--public-url: expected an http:// or https:// address");
  expect_one_line(serve("--public-url 'http://a b'"), "--public-url");
  expect_one_line(serve("--portal-sign-in --address 10.0.0.1"), "loopback --address only");
}

TEST_F(CliStartup, ACorruptBatchIsOneLineNamingItsPartitionAndOffset) {
  // One byte of one stored batch flipped, the way a bad sector would.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data_ + "/ledger.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* read = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT partition, base_offset, payload FROM batches LIMIT 1", -1, &read, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);
  const int64_t partition = sqlite3_column_int64(read, 0), base = sqlite3_column_int64(read, 1);
  std::string payload(static_cast<const char*>(sqlite3_column_blob(read, 2)), static_cast<size_t>(sqlite3_column_bytes(read, 2)));
  sqlite3_finalize(read);
  ASSERT_GT(payload.size(), 20u);
  payload[payload.size() / 2] ^= 0x20;
  sqlite3_stmt* write = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE batches SET payload = ?1 WHERE partition = ?2 AND base_offset = ?3", -1, &write, nullptr), SQLITE_OK);
  sqlite3_bind_blob(write, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
  sqlite3_bind_int64(write, 2, partition);
  sqlite3_bind_int64(write, 3, base);
  ASSERT_EQ(sqlite3_step(write), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(write);
  ASSERT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  std::remove((data_ + "/checkpoint.db").c_str());
  Invocation s = serve();
  expect_one_line(s, "fails its CRC");
  EXPECT_NE(s.err.find("dimona-ledger: serve: corruption: partition "), std::string::npos) << s.err;
  expect_one_line(run("replay --data " + data_, dir_), "fails its CRC");
  expect_one_line(run(R"(submit '{"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2026}}' --data )" + data_, dir_),
                  "fails its CRC");
}

TEST_F(CliStartup, ATruncatedLogIsOneLineNamingTheFile) {
  const std::string log = data_ + "/ledger.db";
  ASSERT_FALSE(std::filesystem::exists(log + "-wal") && std::filesystem::file_size(log + "-wal") > 0);
  const auto size = std::filesystem::file_size(log);
  for (uintmax_t keep : {uintmax_t{1000}, uintmax_t{4096}, size / 2}) {
    SCOPED_TRACE(keep);
    std::filesystem::resize_file(log, keep);
    Invocation s = serve();
    expect_one_line(s, "dimona-ledger: serve: ");
    EXPECT_TRUE(s.err.find("ledger.db") != std::string::npos || s.err.find("corruption") != std::string::npos) << s.err;
    expect_one_line(run("replay --data " + data_, dir_), "dimona-ledger: replay: ");
  }
}

TEST_F(CliStartup, AMissingQuotaTableIsOneLineNamingIt) {
  const std::string quota = dir_.file("quota.json");
  std::filesystem::copy_file(std::string(DIMONA_SCHEMAS_DIR) + "/quota.json", quota);
  Invocation ok = run(R"(submit '{"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2026}}' --quota )" + quota +
                          " --data " + data_,
                      dir_);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  std::filesystem::remove(quota);
  expect_one_line(serve("--quota " + quota), "cannot read the quota table " + quota);
}

TEST_F(CliStartup, AShortSecretFileIsOneLine) {
  const std::string secret = dir_.file("short.key");
  {
    std::ofstream f(secret);
    f << "abc";
  }
  ASSERT_EQ(::chmod(secret.c_str(), 0600), 0);
  expect_one_line(serve("--secret-file " + secret), "is not 32 bytes");
  std::filesystem::copy_file(secret, data_ + "/secret.key", std::filesystem::copy_options::overwrite_existing);
  expect_one_line(serve(), "is not 32 bytes");
}

TEST_F(CliStartup, AGarbageCheckpointIsSetAsideAndTheStateRebuiltFromTheLog) {
  Invocation clean = run("replay --rebuild --data " + data_, dir_);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  const std::string state = clean.out.substr(clean.out.find("state:"));
  const std::string checkpoint = data_ + "/checkpoint.db";
  auto garbage = [&] {
    std::filesystem::remove(checkpoint + "-wal");
    std::filesystem::remove(checkpoint + "-shm");
    std::ofstream f(checkpoint, std::ios::trunc);
    f << std::string(8192, 'g');
  };
  auto set_aside = [&] {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(data_))
      n += e.path().filename().string().rfind("checkpoint.db.corrupt-", 0) == 0 ? 1 : 0;
    return n;
  };
  for (const char* command : {"replay", "export", "balance 05031412595 --year 2025"}) {
    SCOPED_TRACE(command);
    garbage();
    const size_t before = set_aside();
    Invocation r = run(std::string(command) + " --data " + data_, dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("warning: the checkpoint " + checkpoint + " cannot be used"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("rebuilding the state from the log"), std::string::npos) << r.err;
    EXPECT_EQ(set_aside(), before + 1);
    if (std::string(command) == "replay") {
      EXPECT_NE(r.out.find(state), std::string::npos) << r.out << "\nclean: " << state;
      EXPECT_EQ(r.out.find("resumed"), std::string::npos) << r.out;
    }
  }
  garbage();
  Invocation s = serve();
  EXPECT_NE(s.out.find("serving http://127.0.0.1:"), std::string::npos) << s.out << s.err;
  EXPECT_NE(s.err.find("warning: the checkpoint"), std::string::npos) << s.err;
  EXPECT_EQ(s.exit_code, 0) << s.err;  // stopped by SIGTERM, gracefully
  Invocation after = run("replay --data " + data_, dir_);  // the checkpoint serve wrote at its stop is good
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.err.find("warning"), std::string::npos) << after.err;
  EXPECT_NE(after.out.find(state), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("resumed after"), std::string::npos) << after.out;
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

// Ledger time stays near the wall clock: a recordedAt in 2099 is refused with the
// field named, the ledger's time stays where it was, and the skew is an option.
TEST(CliLedgerTime, ARecordedAtFarAheadOfTheClockIsRefused) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  const std::string in2099 =
      R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30},"recordedAt":"2099-01-01T00:00:00Z"})";
  Invocation r = run("submit '" + in2099 + "'" + data, dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("field recordedAt: 2099-01-01T00:00:00Z is more than 86400 s ahead of the clock"), std::string::npos)
      << r.err;
  {
    std::ofstream f(dir.file("in.ndjson"));
    f << in2099 << "\n";
  }
  Invocation ingest = run("ingest " + dir.file("in.ndjson") + data, dir);
  EXPECT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_NE(ingest.out.find("malformed lines 1"), std::string::npos) << ingest.out;
  const std::string refused = testing::read_file(dir.file("in.ndjson.refused.ndjson"));
  EXPECT_NE(refused.find("more than 86400 s ahead of the clock"), std::string::npos) << refused;
  Invocation replay = run("replay" + data, dir);
  EXPECT_EQ(replay.out.find("2099"), std::string::npos) << replay.out;
  // Two days ahead: refused by default, accepted with a skew of three days.
  const std::string soon = to_string(Instant{SystemClock().now().micros + 2 * kMicrosPerDay}).substr(0, 19) + "Z";
  std::string in_soon = in2099;
  in_soon.replace(in_soon.find("2099-01-01T00:00:00Z"), 20, soon);
  EXPECT_EQ(run("submit '" + in_soon + "'" + data, dir).exit_code, 1);
  Invocation later = run("submit '" + in_soon + "' --recorded-at-skew 259200" + data, dir);
  EXPECT_EQ(later.exit_code, 0) << later.err;
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

// A `serve` in the background: started, read up to its "serving" line, stopped with SIGTERM.
class RunningServe {
 public:
  RunningServe(const std::string& data, const testing::TempDir& dir, const std::string& flags = "") {
    int out[2];
    EXPECT_EQ(::pipe(out), 0);
    const std::string command = "exec " + std::string(DIMONA_CLI_PATH) + " serve --port 0 --data " + data + flags +
                                " 2>" + dir.file("serve.err");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') first_line_ += c;
    out_ = out[0];
  }
  ~RunningServe() { (void)stop(); }
  // The exit code after SIGTERM (0: a graceful stop).
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    ::close(out_);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& first_line() const { return first_line_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string first_line_;
};

// The port of a "serving http://127.0.0.1:PORT ..." line; 0 when there is none.
uint16_t port_of(const std::string& serving) {
  const size_t at = serving.find("127.0.0.1:");
  return at == std::string::npos ? 0 : static_cast<uint16_t>(std::atoi(serving.c_str() + at + 10));
}

// A connection to 127.0.0.1:port; -1 when it cannot be made.
int connect_to(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

// The status of one GET on a new connection (Connection: close); 0 when there is no answer.
int get_status(uint16_t port, const std::string& target) {
  const int fd = connect_to(port);
  if (fd < 0) return 0;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string answer;
  if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(answer.c_str() + 9) : 0;
}

// serve's connection caps are options: with one connection per client allowed and
// one held open, /health is still answered and anything else gets 503.
TEST(CliServe, TheConnectionCapsAreOptions) {
  testing::TempDir dir;
  RunningServe serve(dir.file("data"), dir, " --connections-per-client-max 1 --connections-max 8");
  const uint16_t port = port_of(serve.first_line());
  ASSERT_NE(port, 0) << serve.first_line();
  // The held connection is the first one, so it is the one admitted (another connection's
  // slot is freed when the server sees it close, which may come after); it is counted once
  // it has been answered (keep-alive), not when the kernel completed its handshake.
  const int held = connect_to(port);
  ASSERT_GE(held, 0);
  const std::string keep_alive = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::write(held, keep_alive.data(), keep_alive.size()), static_cast<ssize_t>(keep_alive.size()));
  char answer[512];
  ASSERT_GT(::read(held, answer, sizeof answer), 0);
  EXPECT_EQ(get_status(port, "/health"), 200);
  EXPECT_EQ(get_status(port, "/v1/citizens/05031412595/studentBalance"), 503);
  ::close(held);
  EXPECT_EQ(serve.stop(), 0);
  Invocation bad = run("serve --port 0 --connections-max 0 --data " + dir.file("data"), dir);
  EXPECT_NE(bad.exit_code, 0);
}

// One writer per data folder, serve included: while serve runs, every other
// writing command is refused with one line and writes nothing; after it, they work.
TEST(CliOneWriter, ServeHoldsTheWriterLockForItsWholeLife) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  const std::string attestation = R"('{"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2026}}')";
  ASSERT_EQ(run("submit " + attestation + " --data " + data, dir).exit_code, 0);
  {
    std::ofstream f(dir.file("in.ndjson"));
    f << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30},"recordedAt":"2025-06-20T09:12:00Z"})"
      << "\n";
  }
  auto total = [&] {
    Invocation inspect = run("log inspect --data " + data, dir);  // reads are not writers
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    const size_t at = inspect.out.find("total: ");
    return at == std::string::npos ? std::string("?") : inspect.out.substr(at, inspect.out.find('\n', at) - at);
  };
  const std::string before = total();
  RunningServe serve(data, dir);
  ASSERT_NE(serve.first_line().find("serving http://127.0.0.1:"), std::string::npos) << serve.first_line();
  for (const std::string& command : {"submit " + attestation, std::string("attest 05031412595"),
                                     "ingest " + dir.file("in.ndjson"), std::string("serve --port 0")}) {
    SCOPED_TRACE(command);
    Invocation r = run(command + " --data " + data, dir, "timeout --preserve-status -s TERM 5 ");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("busy: another process writes to " + data), std::string::npos) << r.err;
  }
  EXPECT_EQ(total(), before) << "something was appended beside serve";
  EXPECT_EQ(serve.stop(), 0);
  EXPECT_EQ(run("ingest " + dir.file("in.ndjson") + " --data " + data, dir).exit_code, 0);
}

// A log that holds one event twice (an action appended again through the
// EventLog API, as a second writer would): `log inspect` and `replay --rebuild` say so and exit 1.
TEST(CliOneWriter, DuplicateEventIdsAreReportedByInspectAndRebuild) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  Invocation a = run(R"(submit '{"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2026}}' --data )" + data, dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string line = a.out.substr(0, a.out.find('\n') + 1);
  const std::string id = line.substr(12, line.find('"', 12) - 12);
  ASSERT_EQ(id.rfind("act-", 0), 0u) << line;
  Invocation clean = run("log inspect --data " + data, dir);
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_NE(clean.out.find("no eventId twice"), std::string::npos) << clean.out;
  EXPECT_EQ(run("replay --rebuild --data " + data, dir).exit_code, 0);
  {
    Result<std::unique_ptr<Log>> log = open_log("sqlite:" + data + "/ledger.db", LogOptions{});
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    const uint32_t partition = partition_for(Ssin{5031412595}, (*log)->partitions());
    Result<std::unique_ptr<LogProducer>> second = (*log)->open_producer(partition);
    ASSERT_TRUE(second.is_ok()) << second.status().to_string();
    const std::string payload = line.substr(0, line.size() - 1);
    const LogRecordDraft again{id, "05031412595", "StudentAttestationIssued", 1, SystemClock().now(), payload, {}};
    ASSERT_TRUE((*second)->append(std::span<const LogRecordDraft>(&again, 1)).is_ok());
  }
  Invocation inspect = run("log inspect --data " + data, dir);
  EXPECT_EQ(inspect.exit_code, 1);
  EXPECT_NE(inspect.out.find("duplicates: 1 event(s) repeat the eventId of an earlier one (" + id + ")"), std::string::npos)
      << inspect.out;
  EXPECT_EQ(lines(inspect.err), 1u) << inspect.err;
  Invocation rebuild = run("replay --rebuild --data " + data, dir);
  EXPECT_EQ(rebuild.exit_code, 1);
  EXPECT_NE(rebuild.err.find("the log is not sound: 1 event(s) repeat the eventId of an earlier one (" + id + ")"),
            std::string::npos)
      << rebuild.err;
  EXPECT_EQ(rebuild.err.find("05031412595"), std::string::npos) << "an SSIN reached stderr";
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 01000;  // 01000: missing
}

// The data folder and every file the ledger creates hold SSINs: 0700 and 0600,
// whatever the umask lets through (docs/operations.md).
TEST(CliFiles, TheDataFolderIsTheOwnersOnly) {
  const mode_t umask_before = ::umask(022);
  testing::TempDir dir;
  const std::string data = dir.file("data");
  {
    std::ofstream f(dir.file("in.ndjson"));
    f << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30},"recordedAt":"2025-06-20T09:12:00Z"})"
      << "\n{broken\n";
  }
  ASSERT_EQ(run("ingest " + dir.file("in.ndjson") + " --data " + data, dir).exit_code, 0);
  EXPECT_EQ(mode_of(data), 0700u);
  for (const char* name : {"ledger.db", "secret.key", "writer.lock"}) EXPECT_EQ(mode_of(data + "/" + name), 0600u) << name;
  EXPECT_EQ(mode_of(dir.file("in.ndjson.refused.ndjson")), 0600u) << "the ingest's report of refused lines";
  {
    // While it runs, the log's -wal and -shm exist (SQLite gives them the main file's mode,
    // as it does the checkpoint's, which is open only while it is written).
    RunningServe serve(data, dir);
    ASSERT_NE(serve.first_line().find("serving"), std::string::npos) << serve.first_line();
    for (const char* name : {"ledger.db-wal", "ledger.db-shm", "checkpoint.db"})
      EXPECT_EQ(mode_of(data + "/" + name), 0600u) << name;
    EXPECT_EQ(mode_of(data + "/dev-keys"), 0700u);
    for (const auto& e : std::filesystem::directory_iterator(data + "/dev-keys"))
      if (e.path().extension() != ".json") {  // the JWKS is public
        EXPECT_EQ(mode_of(e.path().string()), 0600u) << e.path();
      }
  }
  ::umask(umask_before);
}

// Issue 10 item 6: the default years of `balance` and `calendar` and the
// interim window (previous, current, next year) follow the same "now" as the
// rest of the read, max(clock, last recordedAt): a loaded year ahead of the
// wall clock is not hidden by default. The imported history runs years ahead,
// which the ingest allows explicitly (--recorded-at-skew, issue 9 item 5).
const std::string kFarAhead = " --recorded-at-skew 316000000";

TEST(Cli, DefaultYearsFollowLedgerTimeWhenHistoryRunsAhead) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  {
    std::ofstream f(dir.file("ahead.ndjson"));
    f << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2033-01-05","endDate":"2033-01-20","plannedHoursNumber":40},"recordedAt":"2033-01-02T08:00:00Z"})"
      << "\n"
      << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"322","workerType":"OTH"},"startDate":"2033-01-06","endDate":"2033-01-06","usingEmployer":{"enterpriseNumber":"0876543270","jointCommissionNumber":"302"}},"recordedAt":"2033-01-03T08:00:00Z"})"
      << "\n";
  }
  ASSERT_EQ(run("ingest " + dir.file("ahead.ndjson") + data + kFarAhead, dir).exit_code, 0);
  Invocation b = run("balance 05031412595" + data, dir);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  for (const char* year : {"2032:", "2033:", "2034:"}) EXPECT_NE(b.out.find(year), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("2033-01-05..2033-01-20"), std::string::npos) << b.out;
  Invocation c = run("calendar 05031412595" + data, dir);
  EXPECT_NE(c.out.find("2033: 1 employer(s)"), std::string::npos) << c.out;
  Invocation i = run("interim 85073003328" + data, dir);
  ASSERT_EQ(i.exit_code, 0) << i.err;
  EXPECT_NE(i.out.find("1 work relation(s) from 2032-01-01 to 2034-12-31"), std::string::npos) << i.out;
}

TEST(CliActions, AttestDefaultsToTheYearOfTheLedgerTime) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  {
    std::ofstream f(dir.file("ahead.ndjson"));
    f << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2030-01-05","endDate":"2030-01-20","plannedHoursNumber":40},"recordedAt":"2030-01-02T08:00:00Z"})"
      << "\n";
  }
  ASSERT_EQ(run("ingest " + dir.file("ahead.ndjson") + data + kFarAhead, dir).exit_code, 0);
  Invocation a = run("attest 05031412595 --json" + data, dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.out.find(R"("year":2030,"quotaHours":650,"remainingHours":610)"), std::string::npos) << a.out;
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

TEST(CliEmployers, AGeneratedExtractImportsQuietlyWhenPipedAndTwiceGivesTheSame) {
  testing::TempDir dir;
  Invocation g = run("generate --students 200 -o " + dir.file("year.ndjson") + " --kbo " + dir.file("kbo"), dir);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  for (int round = 0; round < 2; ++round) {
    Invocation r = run("employers import " + dir.file("kbo") + " --data " + dir.file("data"), dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");  // piped: no progress
    EXPECT_NE(r.out.find("full extract imported"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("skipped rows 0"), std::string::npos) << r.out;
  }
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("data/employers.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(CliEmployers, SkippedRowsAreCountedPerReasonWithTheirLines) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.file("x"));
  std::ofstream(dir.file("x/enterprise.csv"))
      << R"("EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm","JuridicalFormCAC","StartDate")"
      << "\n" R"("0200.065.766","AC","000","2","417","","09-08-1960")" "\n";
  std::ofstream(dir.file("x/denomination.csv"))
      << R"("EntityNumber","Language","TypeOfDenomination","Denomination")" "\n"
      << R"("2.000.000.339","2","001","Vestiging")" "\n";
  Invocation r = run("employers import " + dir.file("x") + " --data " + dir.file("data"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("skipped rows 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad check digits"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(enterprise.csv:2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("establishment unit"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(denomination.csv:2)"), std::string::npos) << r.out;
}

// A register folder naming 0403019261 in Dutch and French.
void write_register(const testing::TempDir& dir) {
  std::filesystem::create_directories(dir.file("kbo"));
  std::ofstream(dir.file("kbo/enterprise.csv"))
      << R"("EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm","JuridicalFormCAC","StartDate")"
      << "\n" R"("0403.019.261","AC","000","2","014","","01-01-1950")" "\n";
  std::ofstream(dir.file("kbo/denomination.csv"))
      << R"("EntityNumber","Language","TypeOfDenomination","Denomination")" "\n"
      << R"("0403.019.261","2","001","Brusselse Bakkerij")" "\n"
      << R"("0403.019.261","1","001","Boulangerie Bruxelloise")" "\n";
}

TEST(CliWages, TheLastQuartersWagePerEmployerWithItsNameInTheLanguageAsked) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  write_register(dir);
  ASSERT_EQ(run("employers import " + dir.file("kbo") + data, dir).exit_code, 0);
  const int32_t previous = quarter_index(date_of(SystemClock().now())) - 1;
  const std::string year = std::to_string(previous / 4), quarter = std::to_string(previous % 4 + 1);
  const std::string wage = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"occupationQuarter":{"year":)" +
                           year + R"(,"quarter":)" + quarter + R"(,"fraction":0.2,"grossWage":1234.5}})";
  Invocation s = run("submit '" + wage + "'" + data, dir);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  Invocation fr = run("wages 05031412595 --language fr" + data, dir);
  ASSERT_EQ(fr.exit_code, 0) << fr.err;
  EXPECT_NE(fr.out.find(year + "-Q" + quarter + ": gross wage 1234.50 EUR"), std::string::npos) << fr.out;
  EXPECT_NE(fr.out.find("0403019261 Boulangerie Bruxelloise"), std::string::npos) << fr.out;
  EXPECT_EQ(lines(fr.out), 5u) << fr.out;  // four quarters, one employer line
  Invocation nl = run("wages 05031412595 --json --language nl" + data, dir);
  ASSERT_EQ(nl.exit_code, 0) << nl.err;
  EXPECT_NE(nl.out.find(R"("employer":"0403019261","employerName":"Brusselse Bakkerij","grossWage":1234.50)"),
            std::string::npos) << nl.out;
  EXPECT_EQ(run("wages 05031412595 --language es" + data, dir).exit_code, 105 /* CLI11's validation error */);
  // --year: that year's four quarters, whatever the clock.
  Invocation of_year = run("wages 05031412595 --year " + year + data, dir);
  ASSERT_EQ(of_year.exit_code, 0) << of_year.err;
  EXPECT_EQ(of_year.out.find(year + "-Q1: "), 0u) << of_year.out;
  EXPECT_NE(of_year.out.find(year + "-Q4: "), std::string::npos) << of_year.out;
  EXPECT_NE(of_year.out.find(year + "-Q" + quarter + ": gross wage 1234.50 EUR"), std::string::npos) << of_year.out;
  Invocation before = run("wages 05031412595 --year " + std::to_string(previous / 4 - 1) + data, dir);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(before.out.find("1234.50"), std::string::npos) << before.out;
}

// Seed 002: send-overview puts the Interim@work overview in the worker's inbox (or hands it to the
// outbox by e-mail); reading it gives the relations as they stood when it was sent.
TEST(CliInbox, AnOverviewSentToTheEboxIsReadAsItStoodWhenSent) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  const auto interim_in = [&](const char* name, const char* day) {
    std::ofstream(dir.file(name))
        << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"322","workerType":"OTH"},"startDate":")"
        << day << R"(","endDate":")" << day
        << R"(","usingEmployer":{"enterpriseNumber":"0876543270","jointCommissionNumber":"302"}}})"
        << "\n";
    Invocation in = run(std::string("ingest ") + dir.file(name) + data, dir);
    ASSERT_EQ(in.exit_code, 0) << in.err;
  };
  const std::string this_year = std::to_string(year_of(date_of(SystemClock().now())));
  interim_in("a.ndjson", (this_year + "-01-06").c_str());
  Invocation sent = run("send-overview 85073003328 --json" + data, dir);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  const size_t at = sent.out.find(R"("actionId":")");
  ASSERT_NE(at, std::string::npos) << sent.out;
  const std::string id = sent.out.substr(at + 12, 12);
  EXPECT_NE(sent.out.find(R"("type":"InterimOverviewSent")"), std::string::npos) << sent.out;
  interim_in("b.ndjson", (this_year + "-01-07").c_str());  // after it was sent

  Invocation read = run("inbox read 85073003328 " + id + data, dir);
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_NE(read.out.find("Interim@work overview of your work relations"), std::string::npos) << read.out;
  EXPECT_NE(read.out.find("1 work relation(s)"), std::string::npos) << read.out;
  EXPECT_NE(read.out.find("1 day(s)"), std::string::npos) << read.out;
  Invocation json = run("inbox read 85073003328 " + id + " --json" + data, dir);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find(R"("kind":"interimOverview")"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find(R"("days":1,)"), std::string::npos) << json.out;
  EXPECT_NE(run("interim 85073003328" + data, dir).out.find("2 day(s)"), std::string::npos) << "today's read";

  // By e-mail: no inbox message. Bad input: one line, exit 1, nothing logged.
  Invocation mailed = run("send-overview 85073003328 --channel EMAIL --email jan@example.be" + data, dir);
  ASSERT_EQ(mailed.exit_code, 0) << mailed.err;
  EXPECT_NE(mailed.out.find("by e-mail"), std::string::npos) << mailed.out;
  EXPECT_NE(run("inbox list 85073003328" + data, dir).out.find("1 message(s)"), std::string::npos);
  for (const char* bad : {" --channel fax", " --channel email", " --email a@b.be", " --channel email --email a@b",
                          " --from 2026-02-01 --to 2026-01-31", " --agency 123", " --type XYZ"}) {
    Invocation r = run(std::string("send-overview 85073003328") + bad + data, dir);
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << bad << ": " << r.err;
  }
  // Ledger time ahead of the clock (an import an hour ahead): the send and a later line share an
  // instant, and the overview still ends at its own event.
  const std::string ahead = to_string(Instant{SystemClock().now().micros + 3'600'000'000LL});
  {
    std::ofstream(dir.file("c.ndjson"))
        << R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"85073003328"},"dimonaIn":{"features":{"jointCommissionNumber":"322","workerType":"OTH"},"startDate":")"
        << this_year << R"(-01-08","endDate":")" << this_year
        << R"(-01-08","usingEmployer":{"enterpriseNumber":"0876543270","jointCommissionNumber":"302"}},"recordedAt":")"
        << ahead << "\"}\n";
  }
  ASSERT_EQ(run("ingest " + dir.file("c.ndjson") + data, dir).exit_code, 0);
  Invocation at_once = run("send-overview 85073003328 --json" + data, dir);
  ASSERT_EQ(at_once.exit_code, 0) << at_once.err;
  EXPECT_NE(at_once.out.find(R"("recordedAt":")" + ahead + R"(")"), std::string::npos) << at_once.out;
  const std::string same = at_once.out.substr(at_once.out.find(R"("actionId":")") + 12, 12);
  interim_in("d.ndjson", (this_year + "-01-09").c_str());  // recorded at `ahead` too
  Invocation same_read = run("inbox read 85073003328 " + same + " --json" + data, dir);
  ASSERT_EQ(same_read.exit_code, 0) << same_read.err;
  EXPECT_NE(same_read.out.find(R"("days":3,)"), std::string::npos) << same_read.out;
  EXPECT_NE(run("interim 85073003328" + data, dir).out.find("4 day(s)"), std::string::npos) << "today's read";

  Invocation backwards = run("send-overview 85073003328 --to 1990-01-01" + data, dir);
  EXPECT_EQ(backwards.exit_code, 1);
  EXPECT_NE(backwards.err.find("endBeforeStart"), std::string::npos) << backwards.err;
  Invocation ssin = run("send-overview 85073003329" + data, dir);
  EXPECT_EQ(ssin.exit_code, 1);
  EXPECT_EQ(ssin.err.find("85073003329"), std::string::npos) << "no SSIN echoed: " << ssin.err;
  EXPECT_NE(run("inbox list 85073003328" + data, dir).out.find("2 message(s)"), std::string::npos);
}

TEST(CliInbox, AnAttestationArrivesInTheInboxAndOnlyItsCitizenReadsIt) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  const int32_t year = year_of(date_of(SystemClock().now()));
  Invocation a = run("attest 05031412595 --json --year " + std::to_string(year) + data, dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  Invocation list = run("inbox list 05031412595 --json" + data, dir);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const size_t at = list.out.find(R"("messageId":")");
  ASSERT_NE(at, std::string::npos) << list.out;
  const std::string id = list.out.substr(at + 13, 12);
  EXPECT_NE(a.out.find(id), std::string::npos) << "the message id is the attestation's";
  Invocation read = run("inbox read 05031412595 " + id + data, dir);
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_NE(read.out.find("access code"), std::string::npos) << read.out;
  Invocation other = run("inbox read 85073003328 " + id + data, dir);
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("no such message"), std::string::npos) << other.err;
  EXPECT_EQ(run("inbox read 05031412595 12345" + data, dir).exit_code, 1);
  Invocation empty = run("inbox list 85073003328" + data, dir);
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "0 message(s)\n");

  Invocation theirs = run("inbox archive 85073003328 " + id + data, dir);
  EXPECT_EQ(theirs.exit_code, 1);
  EXPECT_NE(theirs.err.find("unknownMessage"), std::string::npos) << theirs.err;
  Invocation archived = run("inbox archive 05031412595 " + id + data, dir);
  ASSERT_EQ(archived.exit_code, 0) << archived.err;
  EXPECT_EQ(run("inbox list 05031412595" + data, dir).out, "0 message(s)\n");
  Invocation archive = run("inbox list 05031412595 --archived" + data, dir);
  EXPECT_NE(archive.out.find(id), std::string::npos) << archive.out;
  Invocation again = run("inbox archive 05031412595 " + id + data, dir);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("messageArchived"), std::string::npos) << again.err;
}

// Who looked (docs/audit.md): `consultations SSIN` lists the reads serve recorded, newest first,
// and reads the past (--as-of); `submit` (like ingest) refuses a consultation from outside.
TEST(CliConsultations, ListsTheRecordedReadsNewestFirstAndSubmitRefusesOne) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  const int32_t year = year_of(date_of(SystemClock().now()));
  ASSERT_EQ(run("attest 05031412595 --json --year " + std::to_string(year) + " --data " + data, dir).exit_code, 0);
  const std::string by_auditor =
      R"({"worker":{"ssin":"05031412595"},"dataConsultation":{"role":"auditor","auditor":"ins-7","scope":"anomalies","channel":"auditor"}})";
  const std::string by_employer =
      R"({"worker":{"ssin":"05031412595"},"employer":{"enterpriseNumber":"0403019360"},"dataConsultation":{"role":"employer","scope":"accessCode","channel":"accessCode"}})";
  Invocation refused = run("submit '" + by_auditor + "' --data " + data, dir);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("dataConsultation: written by the ledger itself"), std::string::npos) << refused.err;
  EXPECT_EQ(run("consultations 05031412595 --data " + data, dir).out, "0 consultation(s)\n");

  // Two reads as serve records them: its Ledger decides and logs the router's lines.
  {
    Result<std::unique_ptr<Log>> log = open_log("sqlite:" + data + "/ledger.db", LogOptions{});
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    Result<QuotaSchedule> schedule = load_quota_schedule(DIMONA_SCHEMAS_DIR "/quota.json");
    ASSERT_TRUE(schedule.is_ok());
    SystemClock clock;
    Result<std::unique_ptr<Ledger>> ledger =
        Ledger::open(**log, std::move(*schedule), clock, ServerSecret::from_passphrase("consultations"));
    ASSERT_TRUE(ledger.is_ok()) << ledger.status().to_string();
    DeclarationDecoder decoder;
    for (const std::string& line : {by_auditor, by_employer}) {
      std::string padded = line;
      padded.resize(line.size() + kJsonPadding, ' ');
      Result<Command> c = decoder.decode_command(std::string_view(padded.data(), line.size()), padded.size());
      ASSERT_TRUE(c.is_ok()) << c.status().to_string();
      ASSERT_TRUE((*ledger)->submit_action(c->action, std::string_view(padded.data(), line.size()), "http").is_ok());
      ASSERT_TRUE((*ledger)->commit().is_ok());
      ::usleep(2000);  // two instants
    }
  }
  Invocation json = run("consultations 05031412595 --json --data " + data, dir);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const size_t employer_at = json.out.find(R"("role":"employer","by":"0403019360","scope":"accessCode","channel":"accessCode")");
  const size_t auditor_at = json.out.find(R"("role":"auditor","by":"auditor:ins-7","scope":"anomalies","channel":"auditor")");
  ASSERT_NE(employer_at, std::string::npos) << json.out;
  ASSERT_NE(auditor_at, std::string::npos) << json.out;
  EXPECT_LT(employer_at, auditor_at) << "newest first";
  EXPECT_NE(json.out.find(R"("total":2)"), std::string::npos) << json.out;
  Invocation text = run("consultations 05031412595 --data " + data, dir);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.find("2 consultation(s)\n"), 0u) << text.out;
  EXPECT_NE(text.out.find("via accessCode"), std::string::npos) << text.out;
  EXPECT_EQ(run("consultations 05031412595 --as-of 2000-01-01 --data " + data, dir).out, "0 consultation(s)\n");
  EXPECT_EQ(run("consultations 85073003328 --data " + data, dir).out, "0 consultation(s)\n");
  EXPECT_EQ(run("consultations 12345678901 --data " + data, dir).exit_code, 1);
}

TEST(CliNames, BalanceAndCalendarNameTheEmployerAndTheAccessCodeStillShowsHoursOnly) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  const int32_t year = year_of(date_of(SystemClock().now()));
  const std::string in = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":")" +
                         std::to_string(year) + R"(-01-05","endDate":")" + std::to_string(year) +
                         R"(-01-20","plannedHoursNumber":40}})";
  ASSERT_EQ(run("submit '" + in + "'" + data, dir).exit_code, 0);
  Invocation before = run("balance 05031412595 --json --year " + std::to_string(year) + data, dir);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(before.out.find("employerName"), std::string::npos) << "no reference, no names: " << before.out;
  write_register(dir);
  ASSERT_EQ(run("employers import " + dir.file("kbo") + data, dir).exit_code, 0);
  Invocation nl = run("balance 05031412595 --language nl --year " + std::to_string(year) + data, dir);
  ASSERT_EQ(nl.exit_code, 0) << nl.err;
  EXPECT_NE(nl.out.find("employer 0403019261 Brusselse Bakkerij"), std::string::npos) << nl.out;
  Invocation fr = run("balance 05031412595 --json --language fr --year " + std::to_string(year) + data, dir);
  EXPECT_NE(fr.out.find(R"("employer":"0403019261","employerName":"Boulangerie Bruxelloise","planned":40)"),
            std::string::npos) << fr.out;
  // German is not in the register: the legal name in French, the first of the fallbacks.
  Invocation de = run("calendar 05031412595 --json --language de --year " + std::to_string(year) + data, dir);
  EXPECT_NE(de.out.find(R"("employerName":"Boulangerie Bruxelloise")"), std::string::npos) << de.out;
  // What an employer holding an access code sees does not change: the remaining hours, no names, no employers.
  Invocation a = run("attest 05031412595 --json --year " + std::to_string(year) + data, dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const size_t at = a.out.find("\"accessCode\":\"");
  ASSERT_NE(at, std::string::npos) << a.out;
  Invocation e = run("access-code " + a.out.substr(at + 14, 11) + " --language fr" + data, dir);
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("\"remainingHours\":"), std::string::npos) << e.out;
  for (const char* leak : {"Bruxelloise", "Brusselse", "employer", "0403019261", "05031412595", "period"})
    EXPECT_EQ(e.out.find(leak), std::string::npos) << leak << " in " << e.out;
}

TEST(CliNames, AnUnreadableReferenceIsAWarningAndNumbers) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  const std::string in = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-01-05","endDate":"2025-01-20","plannedHoursNumber":40}})";
  ASSERT_EQ(run("submit '" + in + "'" + data, dir).exit_code, 0);
  std::ofstream(dir.file("data/employers.db")) << std::string(4096, 'x');
  Invocation r = run("balance 05031412595 --year 2025" + data, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: employer names unavailable"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("employer 0403019261 "), std::string::npos) << r.out;
}

TEST(CliEmployers, WhatIsNoExtractIsOneLineAndExit1) {
  testing::TempDir dir;
  Invocation r = run("employers import " + dir.file("nothing") + " --data " + dir.file("data"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("dimona-ledger: employers import: not found"), std::string::npos) << r.err;
  std::filesystem::create_directories(dir.file("update"));
  std::ofstream(dir.file("update/enterprise_delete.csv")) << "\"EntityNumber\"\n";
  r = run("employers import " + dir.file("update") + " --data " + dir.file("data"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("import a full extract first"), std::string::npos) << r.err;
}

// audit events: a citizen's history as NDJSON, in offset order, with --as-of.
TEST(CliAudit, EventsOfACitizenAsNdjsonWithAsOf) {
  testing::TempDir dir;
  const std::string data = " --data " + dir.file("data");
  {
    std::ofstream f(dir.file("in.ndjson"));
    const std::string in = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"SSIN"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"START","endDate":"END","plannedHoursNumber":10},"recordedAt":"AT"})";
    auto line = [&](const std::string& ssin, const std::string& start, const std::string& end, const std::string& at) {
      std::string l = in;
      for (auto [from, to] : {std::pair{std::string("SSIN"), ssin}, {std::string("START"), start},
                              {std::string("END"), end}, {std::string("AT"), at}})
        l.replace(l.find(from), from.size(), to);
      return l + "\n";
    };
    f << line("05031412595", "2025-07-01", "2025-07-31", "2025-06-01T08:00:00Z")
      << line("85073003328", "2025-07-01", "2025-07-31", "2025-06-02T08:00:00Z")
      << line("05031412595", "2025-06-20", "2025-07-10", "2025-06-03T08:00:00Z")  // B 90373-421
      << line("05031412595", "2025-08-01", "2025-08-31", "2025-06-04T08:00:00Z");
  }
  ASSERT_EQ(run("ingest " + dir.file("in.ndjson") + data, dir).exit_code, 0);
  const Invocation all = run("audit events --ssin 05031412595" + data, dir);
  ASSERT_EQ(all.exit_code, 0) << all.err;
  ASSERT_EQ(lines(all.out), 3u) << all.out;
  std::vector<std::string> items;
  for (size_t at = 0, nl; (nl = all.out.find('\n', at)) != std::string::npos; at = nl + 1)
    items.push_back(all.out.substr(at, nl - at));
  long previous = -1;
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].rfind("{\"partition\":", 0), 0u) << items[i];
    const size_t o = items[i].find("\"offset\":");
    ASSERT_NE(o, std::string::npos);
    const long offset = std::strtol(items[i].c_str() + o + 9, nullptr, 10);
    EXPECT_GT(offset, previous) << "offset order";
    previous = offset;
    EXPECT_NE(items[i].find("\"event\":{\"eventId\":"), std::string::npos) << items[i];
    EXPECT_EQ(items[i].find("85073003328"), std::string::npos) << "another citizen's event";
  }
  EXPECT_NE(items[0].find("\"recordedAt\":\"2025-06-01T08:00:00Z\",\"type\":\"DimonaInDeclared\""), std::string::npos);
  EXPECT_NE(items[1].find("{\"code\":\"90373-421\",\"severity\":\"B\",\"rule\":\"rule 5: "), std::string::npos) << items[1];
  EXPECT_NE(items[2].find("\"rule\":\"rule 2: "), std::string::npos) << items[2];
  EXPECT_NE(all.err.find("3 event(s)"), std::string::npos) << all.err;

  const Invocation upto = run("audit events --ssin 05031412595 --as-of 2025-06-03T08:00:00Z" + data, dir);
  ASSERT_EQ(upto.exit_code, 0) << upto.err;
  EXPECT_EQ(upto.out, items[0] + "\n" + items[1] + "\n") << "at or before the instant";
  EXPECT_EQ(run("audit events --ssin 05031412595 --as-of 2025-05-01T00:00:00Z" + data, dir).out, "");
  EXPECT_EQ(run("audit events --ssin 85073003328" + data, dir).out.find("05031412595"), std::string::npos);

  // A day is its end (docs/audit.md): the same as the last instant of 3 June.
  EXPECT_EQ(run("audit events --ssin 05031412595 --as-of 2025-06-03" + data, dir).out, upto.out);
  for (const std::string bad : {"2025-06-31", "''", "soon", "2025-06-03T25:00:00Z"}) {
    const Invocation r = run("audit events --ssin 05031412595 --as-of " + bad + data, dir);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find("--as-of"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  const Invocation bad_ssin = run("audit events --ssin 05031412596" + data, dir);
  EXPECT_EQ(bad_ssin.exit_code, 1);
  EXPECT_EQ(lines(bad_ssin.err), 1u) << bad_ssin.err;
  EXPECT_EQ(bad_ssin.err.find("05031412596"), std::string::npos) << "the SSIN reached the error line";
  EXPECT_NE(run("audit events" + data, dir).exit_code, 0) << "--ssin is required";
  EXPECT_NE(run("audit" + data, dir).exit_code, 0) << "a subcommand is required";
}

}  // namespace
}  // namespace dimona

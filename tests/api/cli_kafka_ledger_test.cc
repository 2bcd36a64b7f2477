// The whole ledger on a Kafka log, as a user runs it (issue 11): `--log
// kafka://…` on every command, against `dimona-ledger kafka-mock` (librdkafka's
// mock cluster on 127.0.0.1). The same input gives the same read models on the
// embedded log and on Kafka, byte for byte; an ingest run again appends nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "tests/kafka_process_util.h"

namespace dimona {
namespace {

using namespace dimona::testing;  // tests/kafka_process_util.h: run_shell, MockClusterProcess, TempDir, read_file...

const std::string kCli = DIMONA_CLI_PATH;

class CliOnKafka : public ::testing::Test {
 protected:
  void SetUp() override {
    // 600 students: about 19 k events, well inside what the mock keeps per partition.
    Invocation g = run_shell(kCli + " generate --year 2025 --students 600 --seed 5 -o " + dir_.file("year.ndjson"), dir_);
    ASSERT_EQ(g.exit_code, 0) << g.err;
    // Both data folders share one secret, so the access codes agree.
    for (const char* data : {"sqlite-data", "kafka-data"}) {
      std::filesystem::create_directories(dir_.file(data));
      std::filesystem::permissions(dir_.file(data), std::filesystem::perms::owner_all);
    }
    std::ofstream(dir_.file("secret.key")) << std::string(32, 'a');
    std::filesystem::permissions(dir_.file("secret.key"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  Invocation cli(const std::string& args, const std::string& data, const std::string& log = "") {
    // librdkafka's own lines asked for (DIMONA_KAFKA_LOG=1): a run that makes the client complain fails below.
    std::string command = "DIMONA_KAFKA_LOG=1 " + kCli + " " + args + " --data " + dir_.file(data) + " --secret-file " +
                          dir_.file("secret.key");
    if (!log.empty()) command += " --log " + log;
    return run_shell(command, dir_);
  }

  TempDir dir_;
};

TEST_F(CliOnKafka, TheSameYearGivesTheSameReadModelsOnSqliteAndOnKafka) {
  MockClusterProcess mock("dimona.events", 4);
  const std::string kafka = mock.uri("dimona.events");
  const std::string year = dir_.file("year.ndjson");

  Invocation on_sqlite = cli("ingest " + year + " --partitions 4", "sqlite-data");
  ASSERT_EQ(on_sqlite.exit_code, 0) << on_sqlite.err;
  Invocation on_kafka = cli("ingest " + year, "kafka-data", kafka);
  ASSERT_EQ(on_kafka.exit_code, 0) << on_kafka.err;
  EXPECT_EQ(on_kafka.err.find("dimona-ledger: kafka:"), std::string::npos) << "librdkafka complained: " << on_kafka.err;

  // Run again: every line is in the log already, nothing is appended twice.
  Invocation again = cli("ingest " + year, "kafka-data", kafka);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already ingested"), std::string::npos) << again.out;
  Invocation inspect = cli("log inspect", "kafka-data", kafka);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err << inspect.out;
  EXPECT_NE(inspect.out.find("no eventId twice"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("kafka://"), std::string::npos) << inspect.out;

  Invocation sqlite_export = cli("export", "sqlite-data");
  Invocation kafka_export = cli("export", "kafka-data", kafka);
  ASSERT_EQ(sqlite_export.exit_code, 0) << sqlite_export.err;
  ASSERT_EQ(kafka_export.exit_code, 0) << kafka_export.err;
  EXPECT_GT(kafka_export.out.size(), 100'000u);
  EXPECT_TRUE(kafka_export.out == sqlite_export.out) << "the read models differ between the backends";

  // A write through the CLI lands in the Kafka log and in the next read.
  Invocation submitted = cli(R"(submit '{"worker":{"ssin":"05031412595"},"attestationRequest":{"year":2025}}')", "kafka-data", kafka);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  Invocation tail = cli("log tail --lines 1", "kafka-data", kafka);
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_NE(tail.out.find("\"type\":\"StudentAttestationIssued\""), std::string::npos) << tail.out;
}

// serve on Kafka keeps a local copy of the log for reads by offset (engine/log/reader_cache.h):
// a citizen's past read through it is the answer serve gives without it, byte for byte, and
// /metrics says the copy answered.
TEST_F(CliOnKafka, ServeAnswersACitizensPastFromItsReaderCacheAsFromTheLog) {
  MockClusterProcess mock("dimona.events", 4);
  const std::string kafka = mock.uri("dimona.events");
  Invocation ingested = cli("ingest " + dir_.file("year.ndjson"), "kafka-data", kafka);
  ASSERT_EQ(ingested.exit_code, 0) << ingested.err;
  std::smatch m;
  const std::string year = read_file(dir_.file("year.ndjson"));
  // A student of 2025: a declaration of type STU in the year.
  ASSERT_TRUE(std::regex_search(
      year, m, std::regex(R"re("ssin":"([0-9]{11})"[^\n]*"workerType":"STU"[^\n]*"startDate":"2025-)re")));
  const std::string ssin = m[1].str();
  Invocation token = cli("token --role citizen --ssin " + ssin, "kafka-data");
  ASSERT_EQ(token.exit_code, 0) << token.err;
  const std::string bearer = token.out.substr(0, token.out.find_last_not_of("\n") + 1);
  const std::string as_of = "2025-09-30T00:00:00Z";  // inside the year: the citizen's own events are read

  // One serve process; its balance asOf, read until the copy answered it; its /metrics.
  auto served = [&](bool reader_cache, std::string* metrics) {
    const uint16_t port = free_port();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    std::vector<std::string> argv{kCli,
                                  "serve",
                                  "--log",
                                  kafka,
                                  "--data",
                                  dir_.file("kafka-data"),
                                  "--secret-file",
                                  dir_.file("secret.key"),
                                  "--port",
                                  std::to_string(port)};
    if (!reader_cache) argv.push_back("--no-reader-cache");
    ChildProcess serve(argv);
    std::string body;
    for (int i = 0; i < 200; ++i) {  // up to 20 s: ready, and (with the cache) the copy made
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      Invocation ready = run_shell("curl -s -o /dev/null -w '%{http_code}' " + base + "/ready", dir_);
      if (ready.out != "200") continue;
      Invocation read = run_shell("curl -s -H 'Authorization: Bearer " + bearer + "' '" + base + "/v1/citizens/" +
                                      ssin + "/studentBalance?year=2025&asOf=" + as_of + "'",
                                  dir_);
      body = read.out;
      *metrics = run_shell("curl -s " + base + "/metrics", dir_).out;
      if (!reader_cache || metrics->find("dimona_reader_cache_reads_total{answer=\"copy\"} 0") == std::string::npos)
        break;
    }
    EXPECT_EQ(serve.stop(SIGTERM), 0);
    return body;
  };
  std::string with_metrics, without_metrics;
  const std::string with_cache = served(true, &with_metrics);
  const std::string without_cache = served(false, &without_metrics);
  EXPECT_TRUE(std::regex_search(with_cache, std::regex(R"("used":[1-9])"))) << with_cache;
  EXPECT_EQ(with_cache, without_cache);
  EXPECT_TRUE(std::regex_search(with_metrics, std::regex(R"(dimona_reader_cache_reads_total\{answer="copy"\} [1-9])")))
      << with_metrics;
  EXPECT_TRUE(std::regex_search(with_metrics, std::regex(R"(dimona_reader_cache_records_copied_total [1-9][0-9]{3,})")))
      << with_metrics;
  EXPECT_EQ(without_metrics.find("dimona_reader_cache"), std::string::npos) << without_metrics;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("kafka-data/reader-cache.db")));
}

TEST_F(CliOnKafka, AReadOfAMissingTopicSaysSoAndCreatesNothing) {
  MockClusterProcess mock("dimona.events", 4);
  Invocation read = cli("balance 05031412595", "kafka-data", mock.uri("no.such.topic"));
  EXPECT_EQ(read.exit_code, 1);
  EXPECT_NE(read.err.find("no.such.topic"), std::string::npos) << read.err;
  Invocation bad = cli("log inspect", "kafka-data", "kafka://127.0.0.1/");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("kafka://HOST:PORT/TOPIC"), std::string::npos) << bad.err;
}

// A broker that does not answer (nothing listens on 127.0.0.1:1): one line on stderr, what
// failed, exit 1; librdkafka's own retries ("Connect to ... failed", "1/1 brokers are down")
// only when DIMONA_KAFKA_LOG=1 asks for them.
TEST_F(CliOnKafka, ABrokerThatDoesNotAnswerIsOneLine) {
  const std::string command =
      kCli + " balance 05031412595 --data " + dir_.file("kafka-data") + " --log kafka://127.0.0.1:1/dimona.events";
  Invocation quiet = run_shell(command, dir_);
  EXPECT_EQ(quiet.exit_code, 1);
  EXPECT_EQ(std::count(quiet.err.begin(), quiet.err.end(), '\n'), 1) << quiet.err;
  EXPECT_EQ(quiet.err.rfind("dimona-ledger: balance: unavailable: ", 0), 0u) << quiet.err;
  Invocation asked = run_shell("DIMONA_KAFKA_LOG=1 " + command, dir_);
  EXPECT_EQ(asked.exit_code, 1);
  EXPECT_NE(asked.err.find("dimona-ledger: kafka: "), std::string::npos) << asked.err;
}

}  // namespace
}  // namespace dimona

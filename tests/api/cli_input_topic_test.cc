// `dimona-ledger ingest kafka://HOST:PORT/TOPIC` (issue 11, item 5; docs/kafka.md
// "Input topic"): declarations and actions that a client no one here wrote
// (kafka-python, tests/interop/kafka_python_client.py `lines`) produced to an
// input topic, headerless and keyless, ingested into an embedded log and into
// a Kafka log. The read models equal those of the same lines ingested as a
// file, byte for byte; a second run appends nothing; a run killed while it
// follows the topic, run again, stores every record exactly once; a malformed
// or too large record is reported and skipped. Label kafka; each test on its
// own `dimona-ledger kafka-mock`.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "tests/kafka_process_util.h"

namespace dimona {
namespace {

using namespace dimona::testing;  // tests/kafka_process_util.h: run_shell, MockClusterProcess, TempDir, read_file...

const std::string kCli = DIMONA_CLI_PATH;
const std::string kProduce = "/usr/bin/python3 " + std::string(DIMONA_INTEROP_DIR) + "/kafka_python_client.py lines ";

// Events by source in `log dump`: each "topic:…/P@INDEX,…" position counted.
struct SourceCount {
  size_t events = 0;                        // events with a topic (or file) source
  std::map<std::string, size_t> per_item;  // "topic:input/P@INDEX" -> events
};

SourceCount count_sources(const std::string& dump, const std::string& prefix) {
  SourceCount count;
  const std::string key = "\"source\":\"" + prefix;
  for (const std::string& line : split_lines(dump)) {
    size_t at = line.find(key);
    if (at == std::string::npos) continue;
    at += 10;  // past "source":"
    const std::string source = line.substr(at, line.find('"', at) - at);
    ++count.events;
    ++count.per_item[source.substr(0, source.find(',', source.find('@')))];  // SOURCE@INDEX
  }
  return count;
}

class CliInputTopic : public ::testing::Test {
 protected:
  void SetUp() override {
    // 100 students: about 2.7 k lines, well inside what the mock keeps per partition.
    Invocation g = run_shell(kCli + " generate --year 2025 --students 100 --seed 7 -o " + year(), dir_);
    ASSERT_EQ(g.exit_code, 0) << g.err;
    lines_ = split_lines(read_file(year())).size();
    std::ofstream(dir_.file("secret.key")) << std::string(32, 'a');
    std::filesystem::permissions(dir_.file("secret.key"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  std::string year() const { return dir_.file("year.ndjson"); }

  std::string data(const std::string& name) {
    std::filesystem::create_directories(dir_.file(name));
    std::filesystem::permissions(dir_.file(name), std::filesystem::perms::owner_all);
    return dir_.file(name);
  }

  std::string common(const std::string& data_dir, const std::string& log) {
    std::string args = " --data " + data(data_dir) + " --secret-file " + dir_.file("secret.key");
    if (!log.empty()) args += " --log " + log;
    return args;
  }

  Invocation cli(const std::string& args, const std::string& data_dir, const std::string& log = "") {
    // librdkafka's own lines asked for (DIMONA_KAFKA_LOG=1): a run that makes the client complain fails below.
    return run_shell("DIMONA_KAFKA_LOG=1 " + kCli + " " + args + common(data_dir, log), dir_);
  }

  void produce(const MockClusterProcess& mock, const std::string& topic, const std::string& file, int pause_ms = 0) {
    Invocation sent = run_shell(kProduce + mock.bootstrap() + " " + topic + " " + file + " " + std::to_string(pause_ms), dir_);
    ASSERT_EQ(sent.exit_code, 0) << sent.err;
  }

  // The events whose source is the input topic, in the log of data_dir (none while it has no log).
  SourceCount topic_events(const std::string& data_dir, const std::string& log = "") {
    Invocation dump = cli("log dump", data_dir, log);
    if (dump.exit_code == 1 && dump.err.find("no log at") != std::string::npos) return {};
    EXPECT_EQ(dump.exit_code, 0) << dump.err;
    return count_sources(dump.out, "topic:input/");
  }

  // The year without its recordedAt fields, to `path`: records read from several
  // partitions interleave, and an imported recordedAt must not go back within a
  // partition of the log (docs/kafka.md "Input topic"); without it the ledger stamps its own.
  void write_year_without_recorded_at(const std::string& path) {
    const std::regex last(R"(,"recordedAt":"[^"]*")"), first(R"("recordedAt":"[^"]*",)");
    std::ofstream out(path);
    for (const std::string& line : split_lines(read_file(year())))
      out << std::regex_replace(std::regex_replace(line, last, ""), first, "") << '\n';
  }

  TempDir dir_;
  size_t lines_ = 0;
};

TEST_F(CliInputTopic, ATopicGivesTheReadModelsOfTheSameLinesAsAFileOnSqliteAndOnKafka) {
  MockClusterProcess mock("input", 1);  // one partition: the records in the file's order
  MockClusterProcess log_mock("dimona.events", 4);  // the mock creates no topic on request
  produce(mock, "input", year());
  const std::string input = mock.uri("input");
  const std::string kafka_log = log_mock.uri("dimona.events");

  Invocation from_file = cli("ingest " + year() + " --partitions 4", "file-data");
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  Invocation on_sqlite = cli("ingest " + input + " --partitions 4", "sqlite-data");
  ASSERT_EQ(on_sqlite.exit_code, 0) << on_sqlite.err;
  EXPECT_NE(on_sqlite.out.find("malformed records"), std::string::npos) << on_sqlite.out;
  Invocation on_kafka = cli("ingest " + input + " --partitions 4", "kafka-data", kafka_log);
  ASSERT_EQ(on_kafka.exit_code, 0) << on_kafka.err;
  EXPECT_EQ(on_kafka.err.find("dimona-ledger: kafka:"), std::string::npos) << "librdkafka complained: " << on_kafka.err;

  const SourceCount stored = topic_events("sqlite-data");
  EXPECT_GT(stored.events, lines_ * 9 / 10);
  EXPECT_EQ(stored.per_item.size(), stored.events) << "a record stored twice";

  // Run again: every record is in the log already, nothing is appended twice.
  for (const char* run : {"sqlite-data", "kafka-data"}) {
    Invocation again = cli("ingest " + input, run, std::string(run) == "kafka-data" ? kafka_log : "");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("already ingested"), std::string::npos) << again.out;
  }
  EXPECT_EQ(topic_events("sqlite-data").events, stored.events);
  const SourceCount on_kafka_stored = topic_events("kafka-data", kafka_log);
  EXPECT_EQ(on_kafka_stored.events, stored.events);
  EXPECT_EQ(on_kafka_stored.per_item.size(), stored.events);

  Invocation file_export = cli("export", "file-data");
  Invocation sqlite_export = cli("export", "sqlite-data");
  Invocation kafka_export = cli("export", "kafka-data", kafka_log);
  ASSERT_EQ(file_export.exit_code, 0) << file_export.err;
  ASSERT_EQ(sqlite_export.exit_code, 0) << sqlite_export.err;
  ASSERT_EQ(kafka_export.exit_code, 0) << kafka_export.err;
  EXPECT_GT(file_export.out.size(), 20'000u);
  EXPECT_TRUE(sqlite_export.out == file_export.out) << "the topic's read models differ from the file's (sqlite log)";
  EXPECT_TRUE(kafka_export.out == file_export.out) << "the topic's read models differ from the file's (Kafka log)";
}

TEST_F(CliInputTopic, AnIngestKilledWhileFollowingStoresEveryRecordOnceWhenRunAgain) {
  MockClusterProcess mock("input", 3);
  const std::string input = mock.uri("input");
  // The year in two parts: the first produced at once, the second as a trickle during the kill.
  write_year_without_recorded_at(dir_.file("year-now.ndjson"));
  const std::vector<std::string> all = split_lines(read_file(dir_.file("year-now.ndjson")));
  const size_t half = all.size() / 2;
  {
    std::ofstream first(dir_.file("first.ndjson")), second(dir_.file("second.ndjson"));
    for (size_t i = 0; i < all.size(); ++i) (i < half ? first : second) << all[i] << '\n';
  }
  produce(mock, "input", dir_.file("first.ndjson"));

  std::vector<std::string> argv{kCli, "ingest", input, "--follow", "--partitions", "4", "--data", data("data"),
                                "--secret-file", dir_.file("secret.key")};
  size_t first_part = 0;
  {
    ChildProcess following(argv);
    // The first part becomes durable without the ingest ending (a follow commits what it staged).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    size_t last = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const size_t now = topic_events("data").events;
      if (now > 0 && now == last) break;  // settled
      last = now;
    }
    first_part = last;
    ASSERT_GT(first_part, half / 2) << "the followed records did not become durable";
    // Now a trickle; kill the ingest once some of it is stored, while the producer still sends.
    ChildProcess trickle({"/usr/bin/python3", std::string(DIMONA_INTEROP_DIR) + "/kafka_python_client.py", "lines",
                          mock.bootstrap(), "input", dir_.file("second.ndjson"), "2"});
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && topic_events("data").events < first_part + 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(following.stop(SIGKILL), -1);
    const size_t at_kill = topic_events("data").events;
    EXPECT_GT(at_kill, first_part) << "the trickle was not stored while followed";
    EXPECT_NE(trickle.read_line(std::chrono::seconds(60)), "") << "the producer did not finish";
    std::printf("input topic: %zu events before the trickle, %zu at the kill\n", first_part, at_kill);
  }

  // Run again to the end: every record exactly once.
  Invocation again = run_shell(kCli + " ingest " + input + common("data", ""), dir_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const SourceCount after = topic_events("data");
  EXPECT_EQ(after.per_item.size(), after.events) << "a record stored twice";
  // As many events as the same lines give from a file.
  Invocation from_file = cli("ingest " + dir_.file("year-now.ndjson") + " --partitions 4", "file-data");
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  Invocation file_dump = cli("log dump", "file-data");
  ASSERT_EQ(file_dump.exit_code, 0) << file_dump.err;
  EXPECT_EQ(after.events, count_sources(file_dump.out, "file:").events);

  Invocation third = run_shell(kCli + " ingest " + input + common("data", ""), dir_);
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_NE(third.out.find("already ingested"), std::string::npos) << third.out;
  EXPECT_EQ(topic_events("data").events, after.events);
}

// KafkaJS, keyed by SSIN with its default partitioner (murmur2) onto four
// input partitions, the lines without their recordedAt (a live feed: the
// ledger stamps its own time, which never goes back): every line the file
// takes, the topic takes too, whatever the interleaving. (With the imported
// recordedAt of a past year, records of several input partitions meet in one
// log partition, an OUT by period id in its citizen's, and the later-polled
// earlier ones are refused: docs/kafka.md "Order".)
TEST_F(CliInputTopic, ALiveFeedKeyedBySsinOverManyPartitionsIsTakenWhole) {
  MockClusterProcess mock("input", 4);
  write_year_without_recorded_at(dir_.file("year-now.ndjson"));
  Invocation sent = run_shell("node " + std::string(DIMONA_INTEROP_DIR) + "/kafkajs_client.js lines " +
                                  mock.bootstrap() + " input " + dir_.file("year-now.ndjson"), dir_);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  Invocation from_topic = cli("ingest " + mock.uri("input") + " --partitions 4", "data");
  ASSERT_EQ(from_topic.exit_code, 0) << from_topic.err;
  Invocation from_file = cli("ingest " + dir_.file("year-now.ndjson") + " --partitions 4", "file-data");
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_NE(from_topic.out.find("malformed records 1\n"), std::string::npos) << from_topic.out;
  EXPECT_NE(from_file.out.find("malformed lines 1\n"), std::string::npos) << from_file.out;
  Invocation file_dump = cli("log dump", "file-data");
  ASSERT_EQ(file_dump.exit_code, 0) << file_dump.err;
  const SourceCount stored = topic_events("data");
  EXPECT_EQ(stored.events, count_sources(file_dump.out, "file:").events);
  EXPECT_EQ(stored.per_item.size(), stored.events);
}

TEST_F(CliInputTopic, AMalformedOrTooLargeRecordIsReportedAndSkipped) {
  MockClusterProcess mock("input", 1);
  const std::vector<std::string> all = split_lines(read_file(year()));
  {
    std::ofstream mixed(dir_.file("mixed.ndjson"));
    mixed << all[0] << '\n'                                                   // offset 0
          << "{\"not\": a declaration\n"                                      // offset 1
          << "{\"pad\":\"" << std::string(70 * 1024, 'x') << "\"}\n"          // offset 2: over 64 KiB
          << all[1] << '\n';                                                  // offset 3
  }
  produce(mock, "input", dir_.file("mixed.ndjson"));
  const std::string input = mock.uri("input");
  const std::string report = dir_.file("report.ndjson");

  Invocation strict = cli("ingest " + input + " --strict --report " + report, "strict-data");
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find("partition 0 offset 1"), std::string::npos) << strict.err;

  Invocation ingest = cli("ingest " + input + " --report " + report, "data");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_NE(ingest.out.find("malformed records 2"), std::string::npos) << ingest.out;
  const std::vector<std::string> entries = split_lines(read_file(report));
  ASSERT_EQ(entries.size(), 2u) << read_file(report);
  EXPECT_EQ(entries[0].rfind("{\"partition\":0,\"offset\":1,\"error\":", 0), 0u) << entries[0];
  EXPECT_EQ(entries[1], "{\"partition\":0,\"offset\":2,\"error\":\"record longer than 64 KiB\"}");
  const SourceCount stored = topic_events("data");
  EXPECT_EQ(stored.per_item.size(), 2u);
  EXPECT_EQ(stored.per_item.count("topic:input/0@1"), 1u);
  EXPECT_EQ(stored.per_item.count("topic:input/0@4"), 1u);

  // Run again: the report keeps its two entries, once each; nothing is appended.
  Invocation again = cli("ingest " + input + " --report " + report, "data");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(split_lines(read_file(report)).size(), 2u) << read_file(report);
  EXPECT_EQ(topic_events("data").events, stored.events);
}

// serve --input: the same records fed to the running server's writer; killed
// mid-way and started again, then `ingest` on the same topic: every record
// once. Served whole into another data folder: the read models of the same
// lines as a file. (Not after the kill: a group cut between the log's
// partitions gives the records decided again later ids, exactly once all the same.)
TEST_F(CliInputTopic, ServeFeedsTheInputTopicAndSharesItsPositionsWithIngest) {
  MockClusterProcess mock("input", 1);
  const std::string input = mock.uri("input");
  const std::vector<std::string> all = split_lines(read_file(year()));
  const size_t half = all.size() / 2;
  {
    std::ofstream first(dir_.file("first.ndjson")), second(dir_.file("second.ndjson"));
    for (size_t i = 0; i < all.size(); ++i) (i < half ? first : second) << all[i] << '\n';
  }
  produce(mock, "input", dir_.file("first.ndjson"));
  const std::vector<std::string> serve{kCli, "serve", "--port", "0", "--input", input, "--partitions", "4",
                                       "--data", data("data"), "--secret-file", dir_.file("secret.key")};
  size_t at_kill = 0;
  {
    ChildProcess server(serve);
    ASSERT_NE(server.read_line(std::chrono::seconds(30)).find("serving http://127.0.0.1:"), std::string::npos);
    ChildProcess trickle({"/usr/bin/python3", std::string(DIMONA_INTEROP_DIR) + "/kafka_python_client.py", "lines",
                          mock.bootstrap(), "input", dir_.file("second.ndjson"), "2"});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && topic_events("data").events < half + 100) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(server.stop(SIGKILL), -1);
    at_kill = topic_events("data").events;
    EXPECT_GT(at_kill, half);
    EXPECT_NE(trickle.read_line(std::chrono::seconds(60)), "") << "the producer did not finish";
  }
  // Serves the topic into data_dir until the events settle above `floor`, then SIGTERM;
  // what /metrics said just before.
  auto serve_until_settled = [&](const std::vector<std::string>& argv, const std::string& data_dir, size_t floor) {
    ChildProcess server(argv);
    const std::string serving = server.read_line(std::chrono::seconds(30));
    const size_t at = serving.find("serving http://127.0.0.1:");
    EXPECT_NE(at, std::string::npos) << serving;
    if (at == std::string::npos) return std::string();
    const std::string base = serving.substr(at + 8, serving.find(' ', at + 8) - at - 8);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    size_t last = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const size_t now = topic_events(data_dir).events;
      if (now > floor && now == last) break;  // settled
      last = now;
    }
    const std::string metrics = run_shell("curl -s " + base + "/metrics", dir_).out;
    EXPECT_EQ(server.stop(SIGTERM), 0);
    return metrics;
  };
  serve_until_settled(serve, "data", at_kill);
  std::printf("serve --input: %zu events at the kill, %zu in all\n", at_kill, topic_events("data").events);
  Invocation again = cli("ingest " + input, "data");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already ingested"), std::string::npos) << again.out;
  const SourceCount stored = topic_events("data");
  EXPECT_EQ(stored.per_item.size(), stored.events) << "a record stored twice";

  EXPECT_GT(stored.events, lines_ * 9 / 10);

  std::vector<std::string> whole = serve;
  whole[whole.size() - 3] = data("whole-data");
  const std::string metrics = serve_until_settled(whole, "whole-data", 0);
  EXPECT_EQ(topic_events("whole-data").events, stored.events);
  // /metrics says what the records became: each stored once, none skipped (a fresh folder).
  EXPECT_NE(metrics.find("dimona_input_records_total{outcome=\"stored\"} " + std::to_string(stored.events) + "\n"),
            std::string::npos) << metrics;
  EXPECT_NE(metrics.find("dimona_input_records_total{outcome=\"misrouted\"} 0\n"), std::string::npos) << metrics;
  Invocation from_file = cli("ingest " + year() + " --partitions 4", "file-data");
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  Invocation file_export = cli("export", "file-data");
  Invocation served_export = cli("export", "whole-data");
  ASSERT_EQ(file_export.exit_code, 0) << file_export.err;
  ASSERT_EQ(served_export.exit_code, 0) << served_export.err;
  EXPECT_TRUE(served_export.out == file_export.out) << "the served topic's read models differ from the file's";
}

TEST_F(CliInputTopic, AFollowStopsCleanlyOnSigtermAndAMissingTopicIsNamed) {
  MockClusterProcess mock("input", 2);
  write_year_without_recorded_at(dir_.file("year-now.ndjson"));
  produce(mock, "input", dir_.file("year-now.ndjson"));
  ChildProcess following({kCli, "ingest", mock.uri("input"), "--follow", "--data", data("data"), "--secret-file",
                          dir_.file("secret.key")});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && topic_events("data").events < lines_ * 9 / 10) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(following.stop(SIGTERM), 0);
  EXPECT_GT(topic_events("data").events, lines_ * 9 / 10);

  Invocation missing = cli("ingest " + mock.uri("no.such.input"), "data");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no.such.input"), std::string::npos) << missing.err;
  Invocation own_log = cli("ingest " + mock.uri("input"), "loop-data", mock.uri("input"));
  EXPECT_EQ(own_log.exit_code, 1);
  EXPECT_NE(own_log.err.find("the input topic is the ledger's own log"), std::string::npos) << own_log.err;
  // The same topic on the same broker, its host spelled otherwise: still a loop.
  std::string spelled = mock.uri("input");
  spelled.replace(spelled.find("127.0.0.1"), std::string("127.0.0.1").size(), "localhost");
  Invocation own_log_spelled = cli("ingest " + spelled, "loop-data", mock.uri("input"));
  EXPECT_EQ(own_log_spelled.exit_code, 1);
  EXPECT_NE(own_log_spelled.err.find("the input topic is the ledger's own log"), std::string::npos)
      << own_log_spelled.err;
  Invocation follow_file = cli("ingest " + year() + " --follow", "data");
  EXPECT_EQ(follow_file.exit_code, 1);
  EXPECT_NE(follow_file.err.find("--follow reads a topic"), std::string::npos) << follow_file.err;
}

}  // namespace
}  // namespace dimona

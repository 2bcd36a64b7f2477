// `dimona-ledger kafka-mock`, `log dump` and `log tail` as a user meets them
// (issue 11, item 7): processes on librdkafka's mock cluster on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cinttypes>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "tests/kafka_process_util.h"

namespace dimona {
namespace {

using namespace dimona::testing;  // tests/kafka_process_util.h: run_shell, MockClusterProcess, TempDir, read_file...

constexpr uint32_t kPartitions = 4;
const std::string kTopic = "dimona.events";
const std::string kCli = DIMONA_CLI_PATH;

struct Line {
  uint32_t partition = 0;
  uint64_t offset = 0;
  int n = -1;  // the payload's "n"
};

// Reads the fields of one NDJSON line written by log dump/tail (their order is fixed).
Line parse_line(const std::string& line) {
  Line l;
  unsigned partition = 0;
  unsigned long long offset = 0;
  EXPECT_EQ(std::sscanf(line.c_str(), R"({"partition":%u,"offset":%llu,)", &partition, &offset), 2) << line;
  l.partition = partition;
  l.offset = offset;
  const size_t at = line.find(R"(,"n":)");
  if (at != std::string::npos) l.n = std::stoi(line.substr(at + 5));
  return l;
}

std::vector<Line> parse_lines(const std::string& out) {
  std::vector<Line> lines;
  for (const std::string& text : split_lines(out)) lines.push_back(parse_line(text));
  return lines;
}

size_t error_lines(const std::string& err) {
  size_t count = 0;
  for (const std::string& line : split_lines(err)) count += line.starts_with("dimona-ledger: ") ? 1 : 0;
  return count;
}

TEST(KafkaMockCommand, PrintsItsBootstrapAddressAndStopsOnSigtermWithExit0) {
  TempDir dir;
  MockClusterProcess mock(kTopic, kPartitions);
  ASSERT_TRUE(std::regex_match(mock.bootstrap(), std::regex(R"(127\.0\.0\.1:[0-9]+)"))) << mock.bootstrap();
  Invocation dump = run_shell(kCli + " log dump --log " + mock.uri(kTopic), dir);
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(dump.out, "") << "a new topic has no records";
  EXPECT_EQ(mock.stop(), 0);
}

TEST(KafkaMockCommand, SigintStopsItWithExit0AndSeveralBrokersAreListed) {
  ChildProcess mock({kCli, "kafka-mock", "--brokers", "3"});
  const std::string bootstrap = mock.read_line(std::chrono::seconds(20));
  EXPECT_TRUE(std::regex_match(bootstrap, std::regex(R"(127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+){2})"))) << bootstrap;
  EXPECT_EQ(mock.stop(SIGINT), 0);
}

TEST(KafkaMockCommand, AStablePortIsABootstrapAddressClientsCanUse) {
  TempDir dir;
  const uint16_t port = free_port();
  ChildProcess mock({kCli, "kafka-mock", "--port", std::to_string(port), "--topic", kTopic, "--partitions", "2"});
  const std::string bootstrap = mock.read_line(std::chrono::seconds(20));
  ASSERT_EQ(bootstrap, "127.0.0.1:" + std::to_string(port));
  const std::string uri = "kafka://" + bootstrap + "/" + kTopic;
  append_events(uri, 2, 6);
  Invocation dump = run_shell(kCli + " log dump --log " + uri, dir);
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(parse_lines(dump.out).size(), 6u) << dump.out;
  EXPECT_EQ(mock.stop(SIGTERM), 0);
}

TEST(KafkaMockCommand, APortInUseIsOneLineAndExit1) {
  TempDir dir;
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(held, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(held, 1), 0);
  socklen_t length = sizeof address;
  ::getsockname(held, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string port = std::to_string(ntohs(address.sin_port));
  Invocation r = run_shell(kCli + " kafka-mock --port " + port, dir);
  ::close(held);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "") << "no bootstrap address is printed for a cluster that is not served";
  EXPECT_EQ(error_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + port), std::string::npos) << r.err;
}

TEST(KafkaMockCommand, PartitionsWithoutATopicIsAUsageError) {
  TempDir dir;
  Invocation r = run_shell(kCli + " kafka-mock --partitions 3", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--partitions needs --topic"), std::string::npos) << r.err;
}

// One mock cluster and 40 events over 4 partitions for the dump and tail tests.
class LogTools : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mock_ = new MockClusterProcess(kTopic, kPartitions);
    ASSERT_FALSE(mock_->bootstrap().empty()) << "kafka-mock printed no bootstrap address";
    append_events(mock_->uri(kTopic), kPartitions, kEvents);
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(mock_->stop(), 0);
    delete mock_;
    mock_ = nullptr;
  }
  Invocation cli(const std::string& args) {
    return run_shell(kCli + " " + args + " --log " + mock_->uri(kTopic), dir_);
  }

  static constexpr int kEvents = 40;
  static MockClusterProcess* mock_;
  TempDir dir_;
};
MockClusterProcess* LogTools::mock_ = nullptr;

TEST_F(LogTools, DumpWritesEveryRecordOnceInPartitionThenOffsetOrder) {
  Invocation r = cli("log dump");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> texts = split_lines(r.out);
  ASSERT_EQ(texts.size(), static_cast<size_t>(kEvents)) << r.out;
  std::vector<int> seen(kEvents, 0);
  for (size_t i = 0; i < texts.size(); ++i) {
    const Line l = parse_line(texts[i]);
    ASSERT_GE(l.n, 0) << texts[i];
    ++seen[l.n];
    EXPECT_EQ(l.partition, partition_for_key(testing::event_key(l.n), kPartitions)) << texts[i];
    if (i > 0) {
      const Line before = parse_line(texts[i - 1]);
      EXPECT_TRUE(before.partition < l.partition || (before.partition == l.partition && before.offset + 1 == l.offset))
          << texts[i - 1] << "\n"
          << texts[i];
    }
  }
  for (int n = 0; n < kEvents; ++n) EXPECT_EQ(seen[n], 1) << "event " << n;
  // Every field, in its place: the event as appended, inside.
  const std::string first_of_zero = texts[0].substr(texts[0].find(R"("recordedAt")"));
  EXPECT_TRUE(std::regex_match(
      first_of_zero,
      std::regex(
          R"x("recordedAt":"2025-06-15T15:06:40\.0000[0-9]{2}Z","eventId":"dcl-([0-9]+)","type":"DeclarationAccepted","schemaVersion":2,"source":"interop\.ndjson:[0-9]+","event":\{"eventId":"dcl-\1","n":[0-9]+\}\})x")))
      << texts[0];
}

// A record someone else wrote to the topic (headers right, payload not one JSON object) cannot
// add keys to the dump's line nor make it no JSON: its payload is shown in hex, event null.
TEST_F(LogTools, APayloadThatIsNotOneJsonObjectIsShownInHex) {
  const std::string topic = "dimona.foreign";
  MockClusterProcess foreign(topic, 1);
  LogOptions one;
  one.partitions = 1;
  Result<std::unique_ptr<Log>> log = open_log(foreign.uri(topic), one);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  Result<std::unique_ptr<LogProducer>> producer = (*log)->open_producer(0);
  ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
  const std::vector<std::string> payloads = {R"({"a":1},"eventId":"forged")", "garbage", "{\"a\":\"\xff\"}", "[1]",
                                             R"({"a":1})"};
  std::vector<std::string> ids;  // a draft's fields are views: the strings live here
  for (size_t i = 0; i < payloads.size(); ++i) ids.push_back("id-" + std::to_string(i));
  std::vector<LogRecordDraft> drafts;
  for (size_t i = 0; i < payloads.size(); ++i)
    drafts.push_back({ids[i], "k", "DeclarationAccepted", 2, Instant{1'750'000'000'000'000}, payloads[i], "x"});
  Result<AppendOutcome> appended = (*producer)->append(drafts);
  ASSERT_TRUE(appended.is_ok()) << appended.status().to_string();
  ASSERT_EQ(appended->offsets.size(), payloads.size());
  Invocation r = run_shell(kCli + " log dump --partition 0 --log " + foreign.uri(topic), dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> texts = split_lines(r.out);
  ASSERT_EQ(texts.size(), payloads.size()) << r.out;
  for (size_t i = 0; i + 1 < payloads.size(); ++i) {
    EXPECT_NE(texts[i].find(R"("event":null,"payloadHex":")"), std::string::npos) << texts[i];
    EXPECT_EQ(texts[i].find("forged"), std::string::npos) << texts[i];
    EXPECT_EQ(texts[i].back(), '}') << texts[i];
  }
  EXPECT_NE(texts.back().find(R"("event":{"a":1}})"), std::string::npos) << texts.back();
}

TEST_F(LogTools, DumpOnePartitionFromAnOffsetWithALimit) {
  Invocation r = cli("log dump --partition 2 --from-offset 1 --limit 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<Line> lines = parse_lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].partition, 2u);
    EXPECT_EQ(lines[i].offset, 1 + i);
  }
  Invocation past = cli("log dump --partition 2 --from-offset 1000");
  EXPECT_EQ(past.exit_code, 0) << past.err;
  EXPECT_EQ(past.out, "");
}

TEST_F(LogTools, DumpFromAnInstantStartsAtTheFirstRecordAtOrAfterIt) {
  // Event i is recorded at 1'750'000'000'000'000 + i µs: 2025-06-15T15:06:40.0000iiZ.
  Invocation r = cli("log dump --from 2025-06-15T15:06:40.000030Z");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<Line> lines = parse_lines(r.out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kEvents - 30)) << r.out;
  for (const Line& l : lines) EXPECT_GE(l.n, 30);
  Invocation later = cli("log dump --from 2030-01-01");
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_EQ(later.out, "") << "nothing was recorded after 2030";
  Invocation day = cli("log dump --from 2025-06-15 --limit 5");
  EXPECT_EQ(day.exit_code, 0) << day.err;
  EXPECT_EQ(parse_lines(day.out).size(), 5u);
}

TEST_F(LogTools, RefusalsAreOneLineAndExit1) {
  Invocation partition = cli("log dump --partition 9");
  EXPECT_EQ(partition.exit_code, 1);
  EXPECT_EQ(error_lines(partition.err), 1u) << partition.err;
  EXPECT_NE(partition.err.find("--partition 9: the log has 4 partitions (0..3)"), std::string::npos) << partition.err;
  Invocation from = cli("log dump --from yesterday");
  EXPECT_EQ(from.exit_code, 1);
  EXPECT_NE(from.err.find("--from yesterday: not an instant"), std::string::npos) << from.err;
  EXPECT_NE(cli("log dump --from 2025-01-01 --from-offset 3").exit_code, 0) << "the two starts exclude each other";
  Invocation tail = cli("log tail --partition 4");
  EXPECT_EQ(tail.exit_code, 1);
  EXPECT_NE(tail.err.find("--partition 4"), std::string::npos) << tail.err;
  // The default log of an empty data folder: one line, whatever the embedded backend says.
  Invocation none = run_shell(kCli + " log dump --data " + dir_.file("data"), dir_);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(error_lines(none.err), 1u) << none.err;
  EXPECT_EQ(none.out, "");
}

TEST_F(LogTools, ABrokenPipeEndsDumpQuietlyWithExit0) {
  // More than a pipe's buffer (64 KiB), so that dump still writes after head has gone.
  const std::string wide_topic = "dimona.wide";
  MockClusterProcess wide(wide_topic, 1);
  append_events(wide.uri(wide_topic), 1, 800);
  Invocation r = run_shell(
      "bash -c '" + kCli + " log dump --log " + wide.uri(wide_topic) + " | head -1; echo \"exit=${PIPESTATUS[0]}\"'",
      dir_);
  const std::vector<std::string> lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(parse_line(lines[0]).offset, 0u);
  EXPECT_EQ(lines[1], "exit=0") << r.err;
  EXPECT_EQ(error_lines(r.err), 0u) << r.err;
  EXPECT_EQ(wide.stop(), 0);
}

TEST_F(LogTools, TailPrintsTheLastLinesOfEachPartition) {
  Invocation all = cli("log dump");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::vector<uint64_t> ends(kPartitions, 0);
  for (const Line& l : parse_lines(all.out)) ends[l.partition] = l.offset + 1;
  Invocation r = cli("log tail -n 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::vector<uint64_t>> offsets(kPartitions);
  for (const Line& l : parse_lines(r.out)) offsets[l.partition].push_back(l.offset);
  for (uint32_t p = 0; p < kPartitions; ++p) {
    std::vector<uint64_t> expected;
    for (uint64_t o = ends[p] > 3 ? ends[p] - 3 : 0; o < ends[p]; ++o) expected.push_back(o);
    EXPECT_EQ(offsets[p], expected) << "partition " << p;
  }
  Invocation one = cli("log tail --partition 1 --lines 1");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(parse_lines(one.out).size(), 1u) << one.out;
  EXPECT_EQ(parse_line(one.out).partition, 1u);
}

TEST_F(LogTools, TailFollowPrintsNewRecordsUntilSigterm) {
  const std::string topic = "dimona.follow";
  MockClusterProcess mock(topic, 1);
  append_events(mock.uri(topic), 1, 2);  // events 0 and 1
  ChildProcess tail({kCli, "log", "tail", "--follow", "-n", "1", "--log", mock.uri(topic)});
  const Line last = parse_line(tail.read_line(std::chrono::seconds(20)));
  EXPECT_EQ(last.n, 1) << "the last line first";
  // The tail captured its start once it printed: what comes now is new.
  {
    LogOptions options;
    options.partitions = 1;
    Result<std::unique_ptr<Log>> log = open_log(mock.uri(topic), options);
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    Result<std::unique_ptr<LogProducer>> producer = (*log)->open_producer(0);
    ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
    const LogRecordDraft draft{"dcl-new",
                               "85010100000",
                               "DeclarationAccepted",
                               2,
                               Instant{1'760'000'000'000'000},
                               R"({"eventId":"dcl-new","n":77})",
                               ""};
    ASSERT_TRUE((*producer)->append({&draft, 1}).is_ok());
  }
  const Line fresh = parse_line(tail.read_line(std::chrono::seconds(20)));
  EXPECT_EQ(fresh.n, 77);
  EXPECT_EQ(fresh.offset, 2u);
  EXPECT_EQ(tail.stop(SIGTERM), 0);
  EXPECT_EQ(mock.stop(), 0);
}

}  // namespace
}  // namespace dimona

// Interop with Kafka clients no one here wrote (issue 11, item 9; docs/kafka.md
// "Interop"): kcat (librdkafka), kafka-python (Debian's python3-kafka, pure
// Python, run with the system /usr/bin/python3) and KafkaJS (npm, pinned in
// tests/interop/package-lock.json). Each test starts its own
// `dimona-ledger kafka-mock` on 127.0.0.1. A missing tool FAILS the test,
// naming the install step: scripts/bootstrap.sh installs them all.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/base/time.h"
#include "engine/log/log.h"
#include "tests/kafka_process_util.h"

namespace dimona {
namespace {

using namespace dimona::testing;  // tests/kafka_process_util.h: run_shell, MockClusterProcess, TempDir, read_file...

const std::string kTopic = "dimona.events";
const std::string kCli = DIMONA_CLI_PATH;
const std::string kInterop = DIMONA_INTEROP_DIR;
const std::string kPython = "/usr/bin/python3 " + kInterop + "/kafka_python_client.py";
const std::string kNode = "node " + kInterop + "/kafkajs_client.js";

// One record as a client printed it: partition TAB offset TAB key TAB value TAB headers.
struct SeenRecord {
  uint32_t partition = 0;
  uint64_t offset = 0;
  std::string key, value;
  std::map<std::string, std::string> headers;
};

std::vector<SeenRecord> parse_records(const std::string& out) {
  std::vector<SeenRecord> records;
  for (const std::string& line : split_lines(out)) {
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      fields.push_back(line.substr(start, tab - start));
    }
    fields.push_back(line.substr(start));
    EXPECT_EQ(fields.size(), 5u) << line;
    if (fields.size() != 5) continue;
    SeenRecord r{static_cast<uint32_t>(std::stoul(fields[0])), std::stoull(fields[1]), fields[2], fields[3], {}};
    size_t at = 0;
    while (at < fields[4].size()) {
      size_t comma = fields[4].find(',', at);
      if (comma == std::string::npos) comma = fields[4].size();
      const std::string header = fields[4].substr(at, comma - at);
      const size_t eq = header.find('=');
      if (eq != std::string::npos) r.headers[header.substr(0, eq)] = header.substr(eq + 1);
      at = comma + 1;
    }
    records.push_back(std::move(r));
  }
  return records;
}

// The tool is there, or the test fails naming the install step.
void require(const std::string& check, const std::string& what, const TempDir& dir) {
  Invocation r = run_shell(check + " >/dev/null", dir);
  ASSERT_EQ(r.exit_code, 0) << what << " is missing: run scripts/bootstrap.sh (it installs it). " << r.err;
}

void require_kcat(const TempDir& dir) { require("kcat -V", "kcat (Debian package kcat)", dir); }
void require_kafka_python(const TempDir& dir) {
  require("/usr/bin/python3 -c 'import kafka, lz4.frame'",
          "kafka-python with LZ4 (Debian packages python3-kafka python3-lz4)", dir);
}
void require_kafkajs(const TempDir& dir) {
  ASSERT_NO_FATAL_FAILURE(require("node --version", "Node.js (Debian packages nodejs npm)", dir));
  ASSERT_TRUE(std::filesystem::exists(kInterop + "/node_modules/kafkajs/package.json") &&
              std::filesystem::exists(kInterop + "/node_modules/lz4js/package.json"))
      << "KafkaJS is missing: run scripts/bootstrap.sh (npm ci in tests/interop)";
}

// Payload padding: batches LZ4 actually compresses (KafkaJS needs its codec for them).
constexpr size_t kPad = 1000;

// Records appended through the ledger's Kafka backend (LZ4, keyed by SSIN,
// dimona.* headers), read by a foreign client: every field as we wrote it.
void expect_sees_the_ledgers_records(const std::string& out, uint32_t partitions, int n) {
  const std::vector<SeenRecord> records = parse_records(out);
  ASSERT_EQ(records.size(), static_cast<size_t>(n)) << out;
  std::vector<int> seen(n, 0);
  for (const SeenRecord& r : records) {
    ASSERT_TRUE(r.headers.contains("dimona.eventId")) << r.value;
    const std::string& id = r.headers.at("dimona.eventId");
    ASSERT_TRUE(id.starts_with("dcl-")) << id;
    const int i = std::stoi(id.substr(4));
    ASSERT_TRUE(i >= 0 && i < n) << id;
    ++seen[i];
    EXPECT_EQ(r.key, event_key(i));
    EXPECT_EQ(r.partition, partition_for_key(r.key, partitions)) << r.key;
    EXPECT_EQ(r.value, testing::event_payload(i, kPad));
    EXPECT_EQ(r.headers.at("dimona.eventType"), "DeclarationAccepted");
    EXPECT_EQ(r.headers.at("dimona.schemaVersion"), "2");
    EXPECT_EQ(r.headers.at("dimona.recordedAt"), std::to_string(1'750'000'000'000'000 + i)) << "µs since 1970, as text";
    EXPECT_EQ(r.headers.at("dimona.source"), "interop.ndjson:" + std::to_string(i + 1));
  }
  for (int i = 0; i < n; ++i) EXPECT_EQ(seen[i], 1) << "dcl-" << i;
}

constexpr uint32_t kPartitions = 4;
constexpr int kEvents = 24;

TEST(Interop, KcatReadsTheLedgersKeysPayloadsAndHeaders) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kcat(dir));
  MockClusterProcess mock(kTopic, kPartitions);
  ASSERT_FALSE(mock.bootstrap().empty());
  append_events(mock.uri(kTopic), kPartitions, kEvents, kPad);
  Invocation r =
      run_shell("kcat -C -b " + mock.bootstrap() + " -t " + kTopic + " -e -q -f '%p\\t%o\\t%k\\t%s\\t%h\\n'", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_sees_the_ledgers_records(r.out, kPartitions, kEvents);
  EXPECT_EQ(mock.stop(), 0);
}

TEST(Interop, KafkaPythonReadsTheLedgersKeysPayloadsAndHeaders) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kafka_python(dir));
  MockClusterProcess mock(kTopic, kPartitions);
  ASSERT_FALSE(mock.bootstrap().empty());
  append_events(mock.uri(kTopic), kPartitions, kEvents, kPad);
  Invocation r =
      run_shell(kPython + " consume " + mock.bootstrap() + " " + kTopic + " " + std::to_string(kEvents), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_sees_the_ledgers_records(r.out, kPartitions, kEvents);
  EXPECT_EQ(mock.stop(), 0);
}

TEST(Interop, KafkaJsReadsTheLedgersKeysPayloadsAndHeaders) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kafkajs(dir));
  MockClusterProcess mock(kTopic, kPartitions);
  ASSERT_FALSE(mock.bootstrap().empty());
  append_events(mock.uri(kTopic), kPartitions, kEvents, kPad);
  Invocation r = run_shell(kNode + " consume " + mock.bootstrap() + " " + kTopic + " " + std::to_string(kEvents), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_sees_the_ledgers_records(r.out, kPartitions, kEvents);
  EXPECT_EQ(mock.stop(), 0);
}

// SSIN-shaped keys (11 digits, a spread of birth dates and serials).
std::vector<std::string> ssin_keys(int n) {
  std::vector<std::string> keys;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    keys.push_back(std::to_string(10'000'000'000ULL + x % 89'999'999'999ULL));
  }
  return keys;
}

std::string joined(const std::vector<std::string>& keys) {
  std::string s;
  for (const std::string& k : keys) s += " " + k;
  return s;
}

// A foreign producer's default partitioner against partition_for_key, then
// `dimona-ledger log dump` reading what it wrote with the dimona.* headers.
void expect_producer_agrees_and_dump_reads(const std::string& client, const std::string& prefix) {
  TempDir dir;
  constexpr uint32_t kWide = 7;
  constexpr int kKeys = 60;
  MockClusterProcess mock(kTopic, kWide);
  ASSERT_FALSE(mock.bootstrap().empty());
  const std::vector<std::string> keys = ssin_keys(kKeys);
  Invocation produced =
      run_shell(client + " produce " + mock.bootstrap() + " " + kTopic + " headers" + joined(keys), dir);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  const std::vector<std::string> lines = split_lines(produced.out);
  ASSERT_EQ(lines.size(), keys.size()) << produced.out;
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(lines[i].substr(0, lines[i].find('\t', 12)),
              keys[i] + "\t" + std::to_string(partition_for_key(keys[i], kWide)))
        << "the client's partitioner and partition_for_key disagree on " << keys[i];
  }
  Invocation dump = run_shell(kCli + " log dump --log " + mock.uri(kTopic), dir);
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  const std::vector<std::string> events = split_lines(dump.out);
  ASSERT_EQ(events.size(), keys.size()) << dump.out;
  for (const std::string& e : events) EXPECT_NE(e.find(R"("eventId":")" + prefix), std::string::npos) << e;
  EXPECT_EQ(mock.stop(), 0);
}

// Records without the dimona.* headers: dump refuses, naming where.
void expect_dump_refuses_bare_records(const std::string& client) {
  TempDir dir;
  MockClusterProcess mock(kTopic, kPartitions);
  ASSERT_FALSE(mock.bootstrap().empty());
  const std::vector<std::string> keys = ssin_keys(8);
  Invocation produced = run_shell(client + " produce " + mock.bootstrap() + " " + kTopic + " bare" + joined(keys), dir);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  uint32_t first = kPartitions;
  for (const std::string& k : keys) first = std::min(first, partition_for_key(k, kPartitions));
  Invocation dump = run_shell(kCli + " log dump --log " + mock.uri(kTopic), dir);
  EXPECT_EQ(dump.exit_code, 1);
  EXPECT_EQ(dump.out, "");
  EXPECT_NE(dump.err.find("dimona-ledger: log dump: corruption: record at offset 0 of partition " +
                          std::to_string(first) + " lacks the dimona.* headers"),
            std::string::npos)
      << dump.err;
  EXPECT_EQ(mock.stop(), 0);
}

// kcat (librdkafka) partitions keys with consistent_random (CRC32) unless told
// murmur2_random: with it, it agrees with partition_for_key; without, it does not.
TEST(Interop, KcatAgreesWithPartitionForKeyOnlyWithMurmur2Random) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kcat(dir));
  constexpr uint32_t kWide = 7;
  const std::string other = "dimona.default-partitioner";
  MockClusterProcess mock(kTopic, kWide, {other});
  ASSERT_FALSE(mock.bootstrap().empty());
  const std::vector<std::string> keys = ssin_keys(60);
  std::string input;
  for (const std::string& k : keys) input += k + ":{}\n";
  const std::string headers =
      " -H dimona.eventId=kcat-1 -H dimona.eventType=DeclarationAccepted -H dimona.schemaVersion=2"
      " -H dimona.recordedAt=1750000000000000 -H dimona.source=kcat";
  const std::string produce = "kcat -P -b " + mock.bootstrap() + " -t " + kTopic + " -K:" + headers;
  ASSERT_EQ(run_shell("printf '" + input + "' | " + produce + " -X partitioner=murmur2_random", dir).exit_code, 0);
  Invocation read = run_shell("kcat -C -b " + mock.bootstrap() + " -t " + kTopic + " -e -q -f '%k\\t%p\\n'", dir);
  ASSERT_EQ(read.exit_code, 0) << read.err;
  const std::vector<std::string> lines = split_lines(read.out);
  ASSERT_EQ(lines.size(), keys.size()) << read.out;
  for (const std::string& line : lines) {
    const std::string key = line.substr(0, line.find('\t'));
    EXPECT_EQ(line, key + "\t" + std::to_string(partition_for_key(key, kWide)));
  }
  Invocation dump = run_shell(kCli + " log dump --log " + mock.uri(kTopic), dir);
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(split_lines(dump.out).size(), keys.size());
  // librdkafka's default, consistent_random (CRC32), puts some of the same keys elsewhere.
  const std::string produce_other = "kcat -P -b " + mock.bootstrap() + " -t " + other + " -K:";
  ASSERT_EQ(run_shell("printf '" + input + "' | " + produce_other, dir).exit_code, 0);
  Invocation read_other = run_shell("kcat -C -b " + mock.bootstrap() + " -t " + other + " -e -q -f '%k\\t%p\\n'", dir);
  ASSERT_EQ(read_other.exit_code, 0) << read_other.err;
  size_t elsewhere = 0;
  for (const std::string& line : split_lines(read_other.out)) {
    const std::string key = line.substr(0, line.find('\t'));
    elsewhere += line != key + "\t" + std::to_string(partition_for_key(key, kWide)) ? 1 : 0;
  }
  EXPECT_GT(elsewhere, 0u) << "kcat's default partitioner agreed on every key: then the setting would not be needed";
  EXPECT_EQ(mock.stop(), 0);
}

TEST(Interop, KafkaPythonsDefaultPartitionerAgreesAndDumpReadsItsRecords) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kafka_python(dir));
  expect_producer_agrees_and_dump_reads(kPython, "py-");
}

TEST(Interop, KafkaJsDefaultPartitionerAgreesAndDumpReadsItsRecords) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kafkajs(dir));
  expect_producer_agrees_and_dump_reads(kNode, "js-");
}

TEST(Interop, DumpRefusesKafkaPythonRecordsWithoutTheDimonaHeaders) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kafka_python(dir));
  expect_dump_refuses_bare_records(kPython);
}

TEST(Interop, DumpRefusesKafkaJsRecordsWithoutTheDimonaHeaders) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kafkajs(dir));
  expect_dump_refuses_bare_records(kNode);
}

// A keyed table's topic (docs/kafka.md "Keyed tables") as another client
// sees it: each put a record keyed by the table's key, a tombstone a null
// value; and records kafka-python puts there (a null value erasing) are read
// by the table.
TEST(Interop, KafkaPythonReadsAndWritesAKeyedTablesTopic) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(require_kafka_python(dir));
  // The table's topic made with the log's (the mock answers no CreateTopics), one partition.
  MockClusterProcess mock(kTopic, 1, {kTopic + ".periods"});
  ASSERT_FALSE(mock.bootstrap().empty());
  LogOptions options;
  options.partitions = 1;
  Result<std::unique_ptr<Log>> log = open_log(mock.uri(kTopic), options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  Result<std::unique_ptr<KeyedTable>> table = (*log)->open_table("periods");
  ASSERT_TRUE(table.is_ok()) << table.status().to_string();
  ASSERT_TRUE((*table)->put("prd-1", "05031412595").is_ok());
  ASSERT_TRUE((*table)->put("prd-2", "85010100007").is_ok());
  ASSERT_TRUE((*table)->put("prd-1", "").is_ok());

  Invocation r = run_shell(kPython + " table " + mock.bootstrap() + " " + kTopic + ".periods 3 prd-3=91020300012 prd-2=",
                           dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(split_lines(r.out), (std::vector<std::string>{"0\tprd-1\t=05031412595", "1\tprd-2\t=85010100007",
                                                          "2\tprd-1\tnull", "2"}));
  Result<std::optional<std::string>> put_by_python = (*table)->get("prd-3");
  ASSERT_TRUE(put_by_python.is_ok()) << put_by_python.status().to_string();
  EXPECT_EQ(*put_by_python, "91020300012");
  ASSERT_TRUE((*table)->refresh().is_ok());
  std::vector<std::string> entries;
  (*table)->for_each([&](std::string_view key, std::string_view value) {
    entries.push_back(std::string(key) + "=" + std::string(value));
  });
  EXPECT_EQ(entries, (std::vector<std::string>{"prd-3=91020300012"}));
  table->reset();
  log->reset();
  EXPECT_EQ(mock.stop(), 0);
}

}  // namespace
}  // namespace dimona

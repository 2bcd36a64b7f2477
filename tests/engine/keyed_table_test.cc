// The keyed tables (engine/log/keyed_table.h): one suite, the same tests and
// the same answers on every backend (memory; the embedded SQLite log, one
// temporary file per test; Kafka on librdkafka's mock cluster, started here
// on 127.0.0.1), then what is particular to the embedded file and to Kafka.
#include "engine/log/keyed_table.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/base/limits.h"
#include "engine/log/kafka_mock.h"
#include "engine/log/log.h"
#include "engine/log/log_tools.h"
#include "tests/engine/log_test_support.h"

namespace dimona {
namespace {

constexpr uint32_t kPartitions = 4;

using Entries = std::vector<std::pair<std::string, std::string>>;

Entries entries_of(const KeyedTable& table) {
  Entries entries;
  table.for_each([&](std::string_view key, std::string_view value) { entries.emplace_back(key, value); });
  return entries;
}

std::optional<std::string> value_of(KeyedTable& table, std::string_view key) {
  Result<std::optional<std::string>> got = table.get(key);
  EXPECT_TRUE(got.is_ok()) << got.status().to_string();
  return got.is_ok() ? *got : std::optional<std::string>("<error>");
}

class KeyedTableConformance : public testing::LogBackendTest {
 protected:
  KeyedTableConformance() : LogBackendTest("table", kPartitions) { options_.delivery_timeout_ms = 5000; }

  // The table's topic exists on Kafka before it is opened: librdkafka 2.0.2's
  // mock answers no CreateTopics (engine/log/kafka_mock.h).
  void prepare_topic(std::string_view name) {
    if (kafka_topic_.empty() || !made_topics_.insert(std::string(name)).second) return;
    ASSERT_TRUE(mock().create_topic(kafka_topic_ + "." + std::string(name), 1, 1).is_ok());
  }

  std::unique_ptr<KeyedTable> table(std::string_view name, Log* log = nullptr) {
    prepare_topic(name);
    Result<std::unique_ptr<KeyedTable>> opened = (log != nullptr ? log : log_.get())->open_table(name);
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    return opened.is_ok() ? std::move(opened).value() : nullptr;
  }

  std::set<std::string> made_topics_;
};

TEST_P(KeyedTableConformance, APutIsFoundByGetAndAnAbsentKeyIsNot) {
  auto periods = table("periods");
  ASSERT_NE(periods, nullptr);
  ASSERT_TRUE(periods->put("prd-000123", "05031412595").is_ok());
  EXPECT_EQ(value_of(*periods, "prd-000123"), "05031412595");
  EXPECT_EQ(value_of(*periods, "prd-000124"), std::nullopt);
  EXPECT_EQ(value_of(*periods, "prd-00012"), std::nullopt);
}

TEST_P(KeyedTableConformance, KeysAndValuesAreBytes) {
  auto bytes = table("bytes");
  ASSERT_NE(bytes, nullptr);
  const std::string key("k\0\xff", 3);
  const std::string value("v\0\x01\xfe", 4);
  ASSERT_TRUE(bytes->put(key, value).is_ok());
  EXPECT_EQ(value_of(*bytes, key), value);
  EXPECT_EQ(value_of(*bytes, "k"), std::nullopt);
  auto other = table("bytes", reopen().get());
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(value_of(*other, key), value);
}

TEST_P(KeyedTableConformance, TheLatestPutWins) {
  auto owners = table("owners");
  ASSERT_NE(owners, nullptr);
  ASSERT_TRUE(owners->put("partition-3", "instance-a").is_ok());
  ASSERT_TRUE(owners->put("partition-3", "instance-b").is_ok());
  EXPECT_EQ(value_of(*owners, "partition-3"), "instance-b");

  std::unique_ptr<Log> elsewhere = reopen();
  auto seen = table("owners", elsewhere.get());
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(value_of(*seen, "partition-3"), "instance-b");
  ASSERT_TRUE(seen->refresh().is_ok());
  EXPECT_EQ(entries_of(*seen), (Entries{{"partition-3", "instance-b"}}));
}

TEST_P(KeyedTableConformance, AnEmptyValueIsATombstone) {
  auto tokens = table("consents");
  ASSERT_NE(tokens, nullptr);
  ASSERT_TRUE(tokens->put("token-1", "05031412595").is_ok());
  ASSERT_TRUE(tokens->put("token-2", "85010100007").is_ok());
  ASSERT_TRUE(tokens->put("token-1", "").is_ok());
  EXPECT_EQ(value_of(*tokens, "token-1"), std::nullopt);
  EXPECT_EQ(value_of(*tokens, "token-2"), "85010100007");
  ASSERT_TRUE(tokens->put("never-put", "").is_ok());  // erasing what is not there is no error
  EXPECT_EQ(value_of(*tokens, "never-put"), std::nullopt);

  std::unique_ptr<Log> elsewhere = reopen();
  auto seen = table("consents", elsewhere.get());
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(value_of(*seen, "token-1"), std::nullopt);
  ASSERT_TRUE(seen->refresh().is_ok());
  EXPECT_EQ(entries_of(*seen), (Entries{{"token-2", "85010100007"}}));
  ASSERT_TRUE(tokens->put("token-1", "05031412595").is_ok());  // a key put again after its tombstone
  EXPECT_EQ(value_of(*seen, "token-1"), "05031412595");
}

// put_all: every row in order (a later row of a key wins, an empty value
// erases), seen by this object and by another Log's; a bad row refuses the
// whole call before anything is written.
TEST_P(KeyedTableConformance, PutAllWritesEveryRowInOrderOrNoneWhenOneIsBad) {
  auto directory = table("directory");
  ASSERT_NE(directory, nullptr);
  ASSERT_TRUE(directory->put("id/3", "gone").is_ok());
  const std::vector<KeyedTable::Row> rows = {
      {"id/1", "0"}, {"id/2", "1"}, {"id/1", "2"}, {"id/3", ""}, {"token/x", "0 1 2 0 0"}};
  ASSERT_TRUE(directory->put_all(rows).is_ok());
  EXPECT_EQ(value_of(*directory, "id/1"), "2");
  EXPECT_EQ(value_of(*directory, "id/3"), std::nullopt);
  ASSERT_TRUE(directory->put_all({}).is_ok());

  std::unique_ptr<Log> elsewhere = reopen();
  auto seen = table("directory", elsewhere.get());
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(value_of(*seen, "id/2"), "1");
  ASSERT_TRUE(seen->refresh().is_ok());
  EXPECT_EQ(entries_of(*seen), (Entries{{"id/1", "2"}, {"id/2", "1"}, {"token/x", "0 1 2 0 0"}}));

  const std::vector<KeyedTable::Row> bad = {{"id/4", "0"}, {"", "no key"}};
  EXPECT_EQ(directory->put_all(bad).code(), Code::kInvalidArgument);
  ASSERT_TRUE(seen->refresh().is_ok());
  EXPECT_EQ(value_of(*seen, "id/4"), std::nullopt);  // nothing of a refused call
}

// A table object opened before the puts (another process, on another Log of
// the same URI): its get() on a miss reads what was put since.
TEST_P(KeyedTableConformance, ASecondObjectSeesPutsMadeBeforeItsGet) {
  std::unique_ptr<Log> elsewhere = reopen();
  auto reader = table("tickets", elsewhere.get());
  auto writer = table("tickets");
  ASSERT_NE(reader, nullptr);
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(value_of(*reader, "ticket-9"), std::nullopt);
  ASSERT_TRUE(writer->put("ticket-9", "05031412595").is_ok());
  EXPECT_EQ(value_of(*reader, "ticket-9"), "05031412595");
  // Another object on the same Log too.
  auto third = table("tickets");
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(value_of(*third, "ticket-9"), "05031412595");
}

// A value another object changed or erased is current after refresh().
TEST_P(KeyedTableConformance, RefreshBringsOtherObjectsChangesAndTombstones) {
  std::unique_ptr<Log> elsewhere = reopen();
  auto reader = table("owners", elsewhere.get());
  auto writer = table("owners");
  ASSERT_NE(reader, nullptr);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->put("partition-0", "instance-a").is_ok());
  ASSERT_TRUE(writer->put("partition-1", "instance-a").is_ok());
  EXPECT_EQ(value_of(*reader, "partition-0"), "instance-a");
  EXPECT_EQ(value_of(*reader, "partition-1"), "instance-a");
  ASSERT_TRUE(writer->put("partition-0", "instance-b").is_ok());
  ASSERT_TRUE(writer->put("partition-1", "").is_ok());
  ASSERT_TRUE(reader->refresh().is_ok());
  EXPECT_EQ(value_of(*reader, "partition-0"), "instance-b");
  EXPECT_EQ(value_of(*reader, "partition-1"), std::nullopt);
  EXPECT_EQ(entries_of(*reader), (Entries{{"partition-0", "instance-b"}}));
}

TEST_P(KeyedTableConformance, RefreshThenForEachWalksInKeyOrder) {
  auto writer = table("periods");
  ASSERT_NE(writer, nullptr);
  const Entries put = {{"prd-3", "c"}, {"prd-10", "a"}, {"\xc3\xa9t\xc3\xa9", "e"}, {"prd-1", "x"},
                       {"Prd-2", "b"}, {"prd-1", "d"},  {"prd-20", "gone"},         {"prd-20", ""}};
  for (const auto& [key, value] : put) ASSERT_TRUE(writer->put(key, value).is_ok());
  std::unique_ptr<Log> elsewhere = reopen();
  auto reader = table("periods", elsewhere.get());
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(reader->refresh().is_ok());
  // Byte order: upper case before lower case, UTF-8's lead bytes last.
  const Entries expected = {
      {"Prd-2", "b"}, {"prd-1", "d"}, {"prd-10", "a"}, {"prd-3", "c"}, {"\xc3\xa9t\xc3\xa9", "e"}};
  EXPECT_EQ(entries_of(*reader), expected);

  // The view is the last refresh's plus the object's own puts.
  ASSERT_TRUE(writer->refresh().is_ok());
  ASSERT_TRUE(writer->put("prd-0", "z").is_ok());
  ASSERT_TRUE(writer->put("prd-3", "").is_ok());
  EXPECT_EQ(entries_of(*writer),
            (Entries{{"Prd-2", "b"}, {"prd-0", "z"}, {"prd-1", "d"}, {"prd-10", "a"}, {"\xc3\xa9t\xc3\xa9", "e"}}));
  ASSERT_TRUE(reader->refresh().is_ok());
  EXPECT_EQ(entries_of(*reader), entries_of(*writer));
}

TEST_P(KeyedTableConformance, BadNamesKeysAndValuesAreRefused) {
  for (std::string name : {std::string(), std::string("a/b"), std::string("two words"), std::string("t\xc3\xa9"),
                           std::string(limits::keyed_table_name_bytes_max + 1, 'n')}) {
    Result<std::unique_ptr<KeyedTable>> refused = log_->open_table(name);
    ASSERT_FALSE(refused.is_ok()) << name;
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument) << name << ": " << refused.status().to_string();
  }
  const std::string longest_name = "A.b-c_" + std::string(limits::keyed_table_name_bytes_max - 6, '9');
  auto longest = table(longest_name);
  ASSERT_NE(longest, nullptr);

  auto checked = table("checked");
  ASSERT_NE(checked, nullptr);
  const std::string key_max(limits::keyed_table_key_bytes_max, 'k');
  const std::string value_max(limits::keyed_table_value_bytes_max, 'v');
  EXPECT_EQ(checked->put("", "v").code(), Code::kInvalidArgument);
  EXPECT_EQ(checked->put(key_max + "k", "v").code(), Code::kInvalidArgument);
  EXPECT_EQ(checked->put("k", value_max + "v").code(), Code::kInvalidArgument);
  EXPECT_EQ(checked->put(key_max + "k", "").code(), Code::kInvalidArgument);  // a tombstone's key too
  EXPECT_EQ(checked->get("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(checked->get(key_max + "k").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(checked->put(key_max, value_max).is_ok());
  EXPECT_EQ(value_of(*checked, key_max), value_max);
  ASSERT_TRUE(checked->refresh().is_ok());
  EXPECT_EQ(entries_of(*checked), (Entries{{key_max, value_max}}));  // nothing refused was stored
}

TEST_P(KeyedTableConformance, ATableSurvivesReopeningTheLog) {
  {
    auto periods = table("periods");
    ASSERT_NE(periods, nullptr);
    ASSERT_TRUE(periods->put("prd-1", "05031412595").is_ok());
    ASSERT_TRUE(periods->put("prd-2", "85010100007").is_ok());
    ASSERT_TRUE(periods->put("prd-2", "").is_ok());
  }
  log_.reset();
  log_ = reopen();
  ASSERT_NE(log_, nullptr);
  auto periods = table("periods");
  ASSERT_NE(periods, nullptr);
  EXPECT_EQ(value_of(*periods, "prd-1"), "05031412595");
  EXPECT_EQ(value_of(*periods, "prd-2"), std::nullopt);
  ASSERT_TRUE(periods->refresh().is_ok());
  EXPECT_EQ(entries_of(*periods), (Entries{{"prd-1", "05031412595"}}));
}

TEST_P(KeyedTableConformance, TwoTablesOfOneLogAreSeparate) {
  auto periods = table("periods");
  auto tickets = table("tickets");
  ASSERT_NE(periods, nullptr);
  ASSERT_NE(tickets, nullptr);
  ASSERT_TRUE(periods->put("id-1", "period").is_ok());
  ASSERT_TRUE(tickets->put("id-1", "ticket").is_ok());
  ASSERT_TRUE(tickets->put("id-2", "ticket").is_ok());
  ASSERT_TRUE(periods->put("id-2", "").is_ok());
  EXPECT_EQ(value_of(*periods, "id-1"), "period");
  EXPECT_EQ(value_of(*tickets, "id-1"), "ticket");
  EXPECT_EQ(value_of(*periods, "id-2"), std::nullopt);
  EXPECT_EQ(value_of(*tickets, "id-2"), "ticket");
  ASSERT_TRUE(periods->refresh().is_ok());
  ASSERT_TRUE(tickets->refresh().is_ok());
  EXPECT_EQ(entries_of(*periods), (Entries{{"id-1", "period"}}));
  EXPECT_EQ(entries_of(*tickets), (Entries{{"id-1", "ticket"}, {"id-2", "ticket"}}));
}

// One table object per thread, on one Log: every put lands.
TEST_P(KeyedTableConformance, ObjectsOnTwoThreadsPutSideBySide) {
  constexpr int kPuts = 25;
  prepare_topic("shared");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Result<std::unique_ptr<KeyedTable>> mine = log_->open_table("shared");
      if (!mine.is_ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kPuts; ++i) {
        if (!(*mine)->put("t" + std::to_string(t) + "-" + std::to_string(i), std::to_string(i)).is_ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = table("shared");
  ASSERT_NE(all, nullptr);
  ASSERT_TRUE(all->refresh().is_ok());
  EXPECT_EQ(entries_of(*all).size(), size_t{2 * kPuts});
  EXPECT_EQ(value_of(*all, "t1-24"), "24");
}

INSTANTIATE_TEST_SUITE_P(Backends, KeyedTableConformance, ::testing::Values("memory", "sqlite", "kafka"),
                         testing::backend_name);

// --- The embedded log: its tables beside its batches -------------------------------

class SqliteKeyedTable : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "dimona-" + std::to_string(::getpid()) + "-keyed-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    remove_files();
  }
  void TearDown() override { remove_files(); }
  void remove_files() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  std::string path_;
};

// The `keyed` table is optional to the format: a log with tables passes the
// format checks, verify_log (what `log inspect` runs) and reads back; the
// format version is unchanged, 3 (docs/log-format.md "Keyed tables").
TEST_F(SqliteKeyedTable, TheLogStaysSoundBesideItsTables) {
  LogOptions options;
  options.partitions = 2;
  {
    Result<std::unique_ptr<Log>> log = open_log("sqlite:" + path_, options);
    ASSERT_TRUE(log.is_ok()) << log.status().to_string();
    Result<std::unique_ptr<LogProducer>> producer = (*log)->open_producer(1);
    ASSERT_TRUE(producer.is_ok());
    LogRecordDraft draft{"dcl-1", "05031412595", "DimonaInDeclared", 3, Instant{1'750'000'000'000'000}, "{}", ""};
    ASSERT_TRUE((*producer)->append(std::span(&draft, 1)).is_ok());
    Result<std::unique_ptr<KeyedTable>> table = (*log)->open_table("periods");
    ASSERT_TRUE(table.is_ok()) << table.status().to_string();
    ASSERT_TRUE((*table)->put("prd-1", "05031412595").is_ok());
  }
  options.create_if_missing = false;
  Result<std::unique_ptr<Log>> log = open_log("sqlite:" + path_, options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  EXPECT_EQ((*log)->partitions(), 2u);
  Result<VerifyReport> report = verify_log(**log);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->is_clean());
  Result<std::vector<PartitionSummary>> summary = summarize(**log);
  ASSERT_TRUE(summary.is_ok());
  EXPECT_EQ((*summary)[0].end_offset, 0u);
  EXPECT_EQ((*summary)[1].end_offset, 1u);

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  auto one = [&](const char* sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db.get(), sql, -1, &s, nullptr), SQLITE_OK) << sql;
    std::string text = s != nullptr && sqlite3_step(s) == SQLITE_ROW
                           ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0))
                           : "<none>";
    sqlite3_finalize(s);
    return text;
  };
  EXPECT_EQ(one("SELECT value FROM meta WHERE key = 'format_version'"), "3");
  EXPECT_EQ(one("SELECT journal_mode FROM pragma_journal_mode"), "wal");
  EXPECT_EQ(one("SELECT name || ':' || CAST(key AS TEXT) || '=' || CAST(value AS TEXT) FROM keyed"),
            "periods:prd-1=05031412595");
}

// A table of a log capped in size (LogOptions::size_limit_bytes) is capped too.
TEST_F(SqliteKeyedTable, APutPastTheLogsSizeCapFailsAsAFullDisk) {
  LogOptions options;
  options.size_limit_bytes = 1;  // at least one page: the file as created is full already
  Result<std::unique_ptr<Log>> log = open_log("sqlite:" + path_, options);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  Result<std::unique_ptr<KeyedTable>> table = (*log)->open_table("periods");
  if (table.is_ok()) {  // the `keyed` table may not fit: then the open reports the full disk
    Status put = (*table)->put("prd-1", std::string(limits::keyed_table_value_bytes_max, 'v'));
    ASSERT_FALSE(put.is_ok());
    EXPECT_EQ(put.code(), Code::kIoError) << put.to_string();
  } else {
    EXPECT_EQ(table.status().code(), Code::kIoError) << table.status().to_string();
  }
}

// --- Kafka: the topic ---------------------------------------------------------------

// A topic name of its own for each run of a test (--gtest_repeat).
std::string fresh_topic(const std::string& name) {
  static std::atomic<int> counter{0};
  return name + "-" + std::to_string(counter++);
}

std::unique_ptr<Log> kafka_log(const std::string& topic, uint32_t partitions, int delivery_timeout_ms = 5000) {
  LogOptions options;
  options.partitions = partitions;
  options.delivery_timeout_ms = delivery_timeout_ms;
  Result<std::unique_ptr<Log>> log = open_log("kafka://" + testing::mock_cluster().bootstrap() + "/" + topic, options);
  EXPECT_TRUE(log.is_ok()) << log.status().to_string();
  return log.is_ok() ? std::move(log).value() : nullptr;
}

// A table's topic has one partition: another count is refused, not half read.
TEST(KafkaKeyedTable, ATopicOfSeveralPartitionsIsRefused) {
  const std::string topic = fresh_topic("wide");
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic, 1, 1).is_ok());
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic + ".owners", 3, 1).is_ok());
  std::unique_ptr<Log> log = kafka_log(topic, 1);
  ASSERT_NE(log, nullptr);
  Result<std::unique_ptr<KeyedTable>> table = log->open_table("owners");
  ASSERT_FALSE(table.is_ok());
  EXPECT_EQ(table.status().code(), Code::kFailedPrecondition) << table.status().to_string();
  EXPECT_NE(table.status().message().find(topic + ".owners"), std::string::npos) << table.status().to_string();
}

// A record without a key (written by something else than a table) is
// kCorruption when the table reads it, named by its offset.
TEST(KafkaKeyedTable, ARecordWithoutAKeyIsCorruption) {
  const std::string topic = fresh_topic("keyless");
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic, 1, 1).is_ok());
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic + ".periods", 1, 1).is_ok());
  // The table's topic written as a log: a record with an empty key.
  std::unique_ptr<Log> raw = kafka_log(topic + ".periods", 1);
  ASSERT_NE(raw, nullptr);
  {
    Result<std::unique_ptr<LogProducer>> producer = raw->open_producer(0);
    ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
    LogRecordDraft draft{"dcl-1", "", "DimonaInDeclared", 3, Instant{1'750'000'000'000'000}, "{}", ""};
    ASSERT_TRUE((*producer)->append(std::span(&draft, 1)).is_ok());
  }
  std::unique_ptr<Log> log = kafka_log(topic, 1);
  ASSERT_NE(log, nullptr);
  Result<std::unique_ptr<KeyedTable>> table = log->open_table("periods");
  ASSERT_FALSE(table.is_ok());
  EXPECT_EQ(table.status().code(), Code::kCorruption) << table.status().to_string();
  EXPECT_NE(table.status().message().find("offset 0"), std::string::npos) << table.status().to_string();
}

// Every broker down during a put: after the delivery timeout the put is
// kUnavailable and the table as this object read it; once the brokers are
// back a put (retried) goes through and another object reads the latest.
TEST(KafkaKeyedTable, APutWhileTheBrokersAreDownFailsThenARetrySucceeds) {
  const std::string topic = fresh_topic("down");
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic, 1, 1).is_ok());
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic + ".tickets", 1, 1).is_ok());
  std::unique_ptr<Log> log = kafka_log(topic, 1, 1500);
  ASSERT_NE(log, nullptr);
  Result<std::unique_ptr<KeyedTable>> table = log->open_table("tickets");
  ASSERT_TRUE(table.is_ok()) << table.status().to_string();
  ASSERT_TRUE((*table)->put("ticket-1", "a").is_ok());

  testing::mock_cluster().set_all_brokers_down(true);
  auto start = std::chrono::steady_clock::now();
  Status failed = (*table)->put("ticket-1", "b");
  auto waited = std::chrono::steady_clock::now() - start;
  testing::mock_cluster().set_all_brokers_down(false);
  EXPECT_EQ(failed.code(), Code::kUnavailable) << failed.to_string();
  EXPECT_LT(waited, std::chrono::seconds(15));
  EXPECT_EQ(value_of(**table, "ticket-1"), "a");

  // The client reconnects with a backoff (librdkafka's reconnect.backoff.max.ms): the
  // caller retries, each put again its own delivery timeout.
  Status retried = (*table)->put("ticket-1", "c");
  for (int attempt = 1; !retried.is_ok() && attempt < 10; ++attempt) {
    EXPECT_EQ(retried.code(), Code::kUnavailable) << retried.to_string();
    retried = (*table)->put("ticket-1", "c");
  }
  ASSERT_TRUE(retried.is_ok()) << retried.to_string();
  EXPECT_EQ(value_of(**table, "ticket-1"), "c");
  Result<std::unique_ptr<KeyedTable>> other = log->open_table("tickets");
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  EXPECT_EQ(value_of(**other, "ticket-1"), "c");
}

// The table's topic name: TOPIC.NAME, within Kafka's 249 characters.
TEST(KafkaKeyedTable, ATopicNameLongerThanKafkaAllowsIsRefused) {
  const std::string topic = fresh_topic(std::string(200, 't'));
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic, 1, 1).is_ok());
  std::unique_ptr<Log> log = kafka_log(topic, 1);
  ASSERT_NE(log, nullptr);
  Result<std::unique_ptr<KeyedTable>> table = log->open_table(std::string(limits::keyed_table_name_bytes_max, 'n'));
  ASSERT_FALSE(table.is_ok());
  EXPECT_EQ(table.status().code(), Code::kInvalidArgument) << table.status().to_string();
}

// A missing table topic is created (one partition, cleanup.policy=compact)
// or refused plainly when the broker cannot create topics: librdkafka
// 2.0.2's mock answers no CreateTopics, so there the open is refused.
TEST(KafkaKeyedTable, AMissingTopicIsCreatedOrRefused) {
  const std::string topic = fresh_topic("missing");
  ASSERT_TRUE(testing::mock_cluster().create_topic(topic, 2, 1).is_ok());
  std::unique_ptr<Log> log = kafka_log(topic, 2);
  ASSERT_NE(log, nullptr);
  Result<std::unique_ptr<KeyedTable>> table = log->open_table("periods");
  if (table.is_ok()) {
    ASSERT_TRUE((*table)->put("prd-1", "05031412595").is_ok());
    EXPECT_EQ(value_of(**table, "prd-1"), "05031412595");
  } else {
    EXPECT_EQ(table.status().code(), Code::kFailedPrecondition) << table.status().to_string();
    EXPECT_NE(table.status().message().find("CreateTopics"), std::string::npos) << table.status().to_string();
  }
}

}  // namespace
}  // namespace dimona

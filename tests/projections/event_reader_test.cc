// The replay's event reader (engine/event_reader.h) against the full decoder
// (EventDecoder, codec.h): the same events on a generated year, the same
// answer on corrupt bytes, and the fast path really taken.
#include "engine/event_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include <array>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/codec.h"
#include "engine/ledger_state.h"
#include "engine/log/log_tools.h"
#include "projections/projector.h"
#include "tests/projections/generated_year.h"

namespace dimona {
namespace {

// The records of a generated year, decided and logged by a Ledger (every partition, in order).
class ReplayReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log_ = testing::memory_log(4).release();  // NOLINT: suite-lifetime fixture, freed in TearDownTestSuite
    testing::ingest_generated_year(*log_, 600, 5);
    records_ = new std::vector<std::string>();  // NOLINT
    auto consumer = log_->open_consumer();
    ASSERT_TRUE(consumer.is_ok());
    for (uint32_t p = 0; p < log_->partitions(); ++p) {
      auto end = (*consumer)->end_offset(p);
      ASSERT_TRUE(end.is_ok());
      ASSERT_TRUE(read_partition(**consumer, p, 0, *end, [](LogRecord& r) {
                    records_->push_back(std::move(r.payload));
                    return Status::ok();
                  }).is_ok());
    }
  }
  static void TearDownTestSuite() {
    delete records_;  // NOLINT
    delete log_;      // NOLINT
  }

  // The reader and the decoder agree on `bytes`: the same event, or the same refusal.
  static void expect_same(LoggedEventReader& reader, EventDecoder& decoder, const std::string& bytes) {
    Result<Event> full = decoder.decode_copy(bytes);
    const std::string copy = bytes;  // the reader's views must not depend on the decoder's buffer
    Result<Event> fast = reader.read(copy);
    ASSERT_EQ(fast.is_ok(), full.is_ok()) << bytes;
    if (!full.is_ok()) {
      EXPECT_EQ(fast.status().to_string(), full.status().to_string()) << bytes;
      return;
    }
    // decode_copy's views point into its buffer: compare before the next decode.
    EXPECT_TRUE(*fast == *full) << bytes;
  }

  // The first record of the year that holds each of `parts` (empty: none does).
  static std::string first_record_with(std::initializer_list<std::string_view> parts) {
    for (const std::string& r : *records_) {
      bool all = true;
      for (std::string_view part : parts) all = all && r.find(part) != std::string::npos;
      if (all) return r;
    }
    return {};
  }

  static Log* log_;
  static std::vector<std::string>* records_;
};
Log* ReplayReaderTest::log_ = nullptr;
std::vector<std::string>* ReplayReaderTest::records_ = nullptr;

TEST_F(ReplayReaderTest, GivesTheDecodersEventOnEveryRecordOfAGeneratedYear) {
  ASSERT_GT(records_->size(), 10000u);
  LoggedEventReader reader;
  EventDecoder decoder;
  std::array<uint64_t, kEventTypeCount> by_type{};
  uint64_t declarations = 0, with_using_employer = 0, with_address = 0, with_hours = 0, refused = 0;
  for (const std::string& record : *records_) {
    Result<Event> full = decoder.decode_copy(record);
    ASSERT_TRUE(full.is_ok()) << full.status().to_string();
    const Event expected = *full;  // views into `decoder`'s buffer, valid until its next decode
    Result<Event> fast = reader.read(record);
    ASSERT_TRUE(fast.is_ok()) << fast.status().to_string();
    ASSERT_TRUE(*fast == expected) << record;
    ++by_type[static_cast<size_t>(expected.type)];
    if (!expected.is_declaration()) continue;
    ++declarations;
    const Declaration& d = expected.declaration.declaration;
    with_using_employer += d.using_employer.present;
    with_address += record.find("\"address\"") != std::string::npos;
    with_hours += d.start_hour.present() || d.planned_hours.present();
    refused += expected.declaration.decision.result == ResultCode::kRefused;
  }
  // Every declaration and action event took the fast path; quota definitions go to the decoder,
  // and so does each action object but an occupationQuarter's.
  EXPECT_EQ(reader.fallbacks(), by_type[static_cast<size_t>(EventType::kStudentQuotaDefined)]);
  const uint64_t quarters = by_type[static_cast<size_t>(EventType::kOccupationQuarterRecorded)];
  EXPECT_GT(quarters, 0u);
  uint64_t actions = 0;
  for (size_t t = static_cast<size_t>(kFirstActionEvent); t < kEventTypeCount; ++t) actions += by_type[t];
  EXPECT_EQ(reader.action_objects_decoded(), actions - quarters);
  EXPECT_LT(declarations, records_->size());
  // The year reaches every kind of declaration event and the shapes the fast path reads.
  for (EventType t : {EventType::kDimonaInDeclared, EventType::kDimonaUpdateDeclared, EventType::kDimonaOutDeclared,
                      EventType::kDimonaCancelDeclared})
    EXPECT_GT(by_type[static_cast<size_t>(t)], 0u) << event_type_name(t);
  EXPECT_GT(with_using_employer, 0u);
  EXPECT_GT(with_address, 0u);
  EXPECT_GT(with_hours, 0u);
  EXPECT_GT(refused, 0u);
  size_t action_types = 0;
  for (size_t t = static_cast<size_t>(kFirstActionEvent); t < kEventTypeCount; ++t) action_types += by_type[t] > 0;
  EXPECT_GE(action_types, 10u);
}

// Records of every event type the year has, cut short, and with single bytes replaced by the
// characters that change a JSON text's meaning: the reader answers what the
// decoder answers (an event or the same refusal), and a cut record is refused.
TEST_F(ReplayReaderTest, AnswersCorruptBytesAsTheDecoderDoes) {
  LoggedEventReader reader;
  EventDecoder decoder;
  size_t tried = 0, types = 0;
  std::array<int, kEventTypeCount> of_type{};  // up to three records of each type the year has
  for (const std::string& record : *records_) {
    Result<Event> event = decoder.decode_copy(record);
    ASSERT_TRUE(event.is_ok());
    int& seen = of_type[static_cast<size_t>(event->type)];
    if (seen == 3) continue;
    types += seen++ == 0;
    ++tried;
    for (size_t n = 0; n < record.size(); n += 7) {
      expect_same(reader, decoder, record.substr(0, n));
      Result<Event> cut = reader.read(record.substr(0, n));
      EXPECT_FALSE(cut.is_ok()) << n;
    }
    static constexpr std::array<char, 12> kBytes = {'"', '\\', '{', '}', '[', ',', ':', ' ', '0', '-', '\0', '\xff'};
    for (size_t at = 0; at < record.size(); at += 3) {
      for (char c : kBytes) {
        std::string bytes = record;
        bytes[at] = c;
        expect_same(reader, decoder, bytes);
      }
    }
  }
  EXPECT_GE(types, 14u);  // the four declaration events and ten kinds of action at least
}

TEST_F(ReplayReaderTest, ReadsWhitespaceEscapesAndTrailingBytesAsTheDecoderDoes) {
  LoggedEventReader reader;
  EventDecoder decoder;
  const std::string record = first_record_with({"\"dimonaIn\"", "\"usingEmployer\""});
  ASSERT_FALSE(record.empty());
  expect_same(reader, decoder, record);
  EXPECT_EQ(reader.fallbacks(), 0u);  // the fast path took it
  std::string spaced;
  bool in_string = false;  // no escapes in the record: a quote opens or closes a string
  for (char c : record) {
    spaced += c;
    in_string ^= c == '"';
    if (!in_string && (c == ',' || c == ':' || c == '{' || c == '[')) spaced += " \n\t\r";
  }
  expect_same(reader, decoder, " " + spaced + " ");
  EXPECT_EQ(reader.fallbacks(), 0u);  // whitespace between tokens is read too
  std::string escaped = record;
  escaped.replace(escaped.find("\"source\":\"") + 10, 1, "\\u0062");  // "batch:..." as "\u0062atch:..."
  expect_same(reader, decoder, escaped);
  EXPECT_EQ(reader.fallbacks(), 1u);  // an escape goes to the decoder, which unescapes it
  expect_same(reader, decoder, record + "x");  // trailing bytes: the decoder's answer
  std::string repeated = record;
  repeated.insert(1, "\"eventId\":\"x\",");
  expect_same(reader, decoder, repeated);
  std::string unknown = record;
  unknown.insert(1, "\"other\":1,");
  expect_same(reader, decoder, unknown);
  // Integers longer than the reader takes (found by fuzzing: a signed overflow while reading them).
  for (const char* number : {"99999999999999999999999", "18446744073709551616", "-99999999999999999999999", "1e3", "1.0"}) {
    std::string version = record;
    const size_t at = version.find("\"schemaVersion\":1") + 16;
    version.replace(at, 1, number);
    expect_same(reader, decoder, version);
    EXPECT_FALSE(reader.read(version).is_ok()) << number;
  }
  std::string not_utf8 = record;
  not_utf8[not_utf8.find("batch:")] = '\xc3';
  expect_same(reader, decoder, not_utf8);
  EXPECT_FALSE(reader.read(not_utf8).is_ok());
}

// Keys are matched against the ones each object reads, in the order the Ledger writes them,
// then read as any string when none is exactly there: another order, a longer key that starts as
// a known one, a space before the colon or an escape are the decoder's answer, never a misread.
TEST_F(ReplayReaderTest, ReadsKeysInAnyOrderAndOnlyExactlyAsWritten) {
  LoggedEventReader reader;
  EventDecoder decoder;
  const std::string record = first_record_with({"\"dimonaIn\"", "\"ssin\":"});
  ASSERT_FALSE(record.empty());
  // The envelope's first two fields swapped: read by the fast path all the same.
  const size_t type_at = record.find(",\"type\":");
  const size_t version_at = record.find(",\"schemaVersion\":");
  ASSERT_LT(type_at, version_at);
  const std::string event_id = record.substr(1, type_at - 1);  // "eventId":"dcl-..."
  const std::string type = record.substr(type_at + 1, version_at - type_at - 1);
  std::string swapped = "{" + type + "," + event_id + record.substr(version_at);
  expect_same(reader, decoder, swapped);
  EXPECT_EQ(reader.fallbacks(), 0u);
  ASSERT_TRUE(reader.read(swapped).is_ok());
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"\"type\":", "\"types\":"},
                                 {"\"eventId\":", "\"eventIdentifier\":"},
                                 {"\"type\":", "\"type\" :"},
                                 {"\"type\":", "\"typ\\u0065\":"},
                                 {"\"startDate\":", "\"startDat\":"},
                                 {"\"ssin\":", "\"ssin\":\"1\",\"ssin\":"}}) {
    std::string changed = record;
    const size_t at = changed.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    changed.replace(at, from.size(), to);
    expect_same(reader, decoder, changed);
  }
}

// The reader keeps the last date it parsed across records (an instant's day, a start or an end):
// a date that differs from it by one byte, an invalid one after a valid one and the same again
// after it, read one after the other by one reader, each answer as the decoder's.
TEST_F(ReplayReaderTest, ReadsEachDateAsTheDecoderDoesWhateverDateCameBefore) {
  LoggedEventReader reader;
  EventDecoder decoder;
  const std::string record = first_record_with({"\"dimonaIn\"", "\"startDate\":\""});
  ASSERT_FALSE(record.empty());
  const size_t start = record.find("\"startDate\":\"") + 13;
  const size_t recorded = record.find("\"recordedAt\":\"") + 14;
  for (const char* day : {"2024-02-29", "2024-02-28", "2023-02-29", "2024-02-29", "2024-12-31", "2024-13-01",
                          "2024-02-29", "2024-02-2x", "2024-02-29"}) {
    std::string dated = record;
    dated.replace(start, 10, day);
    expect_same(reader, decoder, dated);
    std::string instant = record;
    instant.replace(recorded, 10, day);  // the envelope's recordedAt: its day
    expect_same(reader, decoder, instant);
  }
  // A declaration's date that is no date is read as invalid by the fast path (the rules refuse
  // it); an envelope's instant that is none goes to the decoder, which refuses the record: 3.
  EXPECT_EQ(reader.fallbacks(), 3u);
}

// An occupationQuarter's action is read by the fast path (its numbers as the decoder reads them:
// a fraction in thousandths, a wage in cents); every shape it does not take as written, a value
// out of range, a missing or a repeated field, a party given otherwise, goes to the decoder, and
// the answer is the decoder's either way.
TEST_F(ReplayReaderTest, ReadsAnOccupationQuarterAsTheDecoderDoes) {
  LoggedEventReader reader;
  EventDecoder decoder;
  const std::string record = first_record_with({"\"occupationQuarter\":{"});
  ASSERT_FALSE(record.empty());
  expect_same(reader, decoder, record);
  EXPECT_EQ(reader.action_objects_decoded(), 0u);
  const size_t object = record.find("\"occupationQuarter\":{");
  const size_t object_end = record.find('}', object);
  const std::string before = record.substr(0, object), after = record.substr(object_end);
  const auto with_quarter = [&](const std::string& fields) {
    return before + "\"occupationQuarter\":{" + fields + after;
  };
  // Read by the fast path: the same event as the decoder's, with the numbers it gives.
  struct Fast {
    std::string fields;
    uint16_t permille;
    std::optional<int64_t> cents;
  };
  for (const Fast& f : {Fast{"\"year\":2024,\"quarter\":2,\"fraction\":1,\"grossWage\":13105.82", 1000, 1310582},
                        Fast{"\"year\":2024,\"quarter\":2,\"fraction\":0.951", 951, std::nullopt},
                        Fast{"\"year\":2024,\"quarter\":4,\"fraction\":0.5,\"grossWage\":0", 500, 0},
                        Fast{"\"year\":1900,\"quarter\":1,\"fraction\":1.5,\"grossWage\":1000000.00", 1500, 100000000},
                        Fast{"\"year\":9999,\"quarter\":3,\"fraction\":0.07,\"grossWage\":0.1", 70, 10},
                        Fast{"\"fraction\":0.001,\"grossWage\":7,\"quarter\":1,\"year\":2023", 1, 700},
                        Fast{" \"year\" : 2024 , \"quarter\" : 2 , \"fraction\" : 0.25 ", 250, std::nullopt}}) {
    const std::string bytes = with_quarter(f.fields);
    const uint64_t decoded = reader.action_objects_decoded();
    expect_same(reader, decoder, bytes);
    Result<Event> event = reader.read(bytes);
    ASSERT_TRUE(event.is_ok()) << bytes;
    EXPECT_EQ(reader.action_objects_decoded(), decoded) << f.fields;  // the fast path took it, twice
    EXPECT_EQ(event->action.action.fraction_permille, f.permille) << f.fields;
    EXPECT_EQ(event->action.action.gross_wage_cents, f.cents) << f.fields;
  }
  // The decoder's to answer (some it takes, most it refuses): the same answer.
  const std::string base = "\"year\":2024,\"quarter\":2,";
  for (const std::string& fields :
       std::initializer_list<std::string>{base + "\"fraction\":0.9000",
                                          base + "\"fraction\":0.9515",
                                          base + "\"fraction\":1.501",
                                          base + "\"fraction\":-0.5",
                                          base + "\"fraction\":1e0",
                                          base + "\"fraction\":0.5e0",
                                          base + "\"fraction\":00.5",
                                          base + "\"fraction\":.5",
                                          base + "\"fraction\":5.",
                                          base + "\"fraction\":\"0.5\"",
                                          base + "\"fraction\":null",
                                          base + "\"fraction\":0.5,\"grossWage\":null",
                                          base + "\"fraction\":0.5,\"grossWage\":13105.825",
                                          base + "\"fraction\":0.5,\"grossWage\":1000000.01",
                                          base + "\"fraction\":0.5,\"grossWage\":99999999999999999",
                                          base + "\"fraction\":0.5,\"grossWage\":1E2",
                                          base + "\"fraction\":0.5,\"fraction\":0.5",
                                          base + "\"fraction\":0.5,\"scope\":\"FLEXI\"",
                                          "\"year\":1899,\"quarter\":2,\"fraction\":0.5",
                                          "\"year\":10000,\"quarter\":2,\"fraction\":0.5",
                                          "\"year\":2024,\"quarter\":5,\"fraction\":0.5",
                                          "\"year\":2024,\"quarter\":0,\"fraction\":0.5",
                                          "\"year\":2024.0,\"quarter\":2,\"fraction\":0.5",
                                          "\"year\":2024,\"fraction\":0.5",
                                          "\"quarter\":2,\"fraction\":0.5",
                                          base,
                                          ""}) {
    expect_same(reader, decoder, with_quarter(fields));
  }
  // The parties and the object around the quarter.
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"\"worker\":{\"ssin\":", "\"worker\":{\"familyName\":\"X\",\"ssin\":"},
        {"\"worker\":{\"ssin\":\"", "\"worker\":{\"ssin\":\"1"},
        {"\"action\":{\"employer\":{", "\"action\":{\"employer\":{\"employerId\":100006,"},
        {"\"action\":{\"employer\":{\"enterpriseNumber\":\"", "\"action\":{\"employer\":{\"enterpriseNumber\":\"9"},
        {"\"action\":{\"employer\":", "\"action\":{\"worker\":{\"ssin\":\"00000000000\"},\"employer\":"},
        {"\"action\":{\"employer\":", "\"action\":{\"other\":1,\"employer\":"},
        {"\"action\":{\"employer\":", "\"action\":{\"recordedAt\":\"2024-13-01T00:00:00Z\",\"employer\":"},
        {"\"occupationQuarter\":{", "\"attestationRequest\":{\"year\":2024},\"occupationQuarter\":{"}}) {
    std::string changed = record;
    const size_t at = changed.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    changed.replace(at, from.size(), to);
    expect_same(reader, decoder, changed);
  }
  std::string no_recorded_at = record;
  const size_t at = no_recorded_at.rfind(",\"recordedAt\":");
  no_recorded_at.erase(at, no_recorded_at.find('"', at + 15) + 1 - at);
  expect_same(reader, decoder, no_recorded_at);
}

// The reader checks a record's UTF-8 only when one of its strings holds a byte of 0x80-0xff
// (outside strings it reads ASCII only): valid and invalid sequences in a declaration's string,
// in a key and in an action's object (skipped, then decoded), at every place around a 16-byte
// block, answer as the decoder answers.
TEST_F(ReplayReaderTest, ChecksUtf8WhereverAStringHoldsANonAsciiByte) {
  LoggedEventReader reader;
  EventDecoder decoder;
  const std::string declaration = first_record_with({"\"dimonaIn\""});
  const std::string action = first_record_with({"\"action\":{"});
  ASSERT_FALSE(declaration.empty());
  ASSERT_FALSE(action.empty());
  const std::string sequences[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",  // valid: é, €, an emoji
                                   "\x80",     "\xc3",         "\xc0\xaf",         "\xe2\x82", "\xed\xa0\x80", "\xff"};
  int valid = 0;
  for (const std::string* record : {&declaration, &action}) {
    for (const char* where : {"\"source\":\"", "\"eventId\":\"", "\"action\":{\""}) {
      const size_t found = record->find(where);
      if (found == std::string::npos) continue;
      for (size_t shift = 0; shift < 18; ++shift) {
        for (const std::string& sequence : sequences) {
          std::string bytes = *record;
          bytes.insert(found + std::strlen(where) + shift, sequence);
          expect_same(reader, decoder, bytes);
          valid += reader.read(bytes).is_ok();
        }
      }
    }
  }
  EXPECT_GT(valid, 0);  // the valid sequences were read, not all refused
  std::string key = declaration;
  key.insert(1, "\"\xc3\xa9\":1,");  // an unknown key, not ASCII
  expect_same(reader, decoder, key);
  EXPECT_FALSE(reader.read(key).is_ok());
}

// The Projector folds through the reader: a record it cannot read is corruption, named by its place.
TEST(ReplayReaderProjectorTest, ACorruptRecordStopsTheFoldAsCorruption) {
  auto log = testing::memory_log(1);
  testing::ingest_generated_year(*log, 20, 3);
  auto producer = log->open_producer(0);
  ASSERT_TRUE(producer.is_ok()) << producer.status().to_string();
  LogRecordDraft draft;
  draft.event_id = "dcl-000000000001";
  draft.type = "DimonaInDeclared";
  draft.schema_version = 1;
  draft.recorded_at = *parse_instant("2027-06-01T00:00:00Z");
  draft.payload = R"({"eventId":"dcl-000000000001","type":"DimonaInDeclared","schemaVersion":1,"body":{"declarationId":"1","result":"A","anomalies":[],"declaration":{"employer":{"employerId":1)";
  ASSERT_TRUE((*producer)->append(std::span<const LogRecordDraft>(&draft, 1)).is_ok());
  ProjectorOptions options;
  options.threads = 1;
  auto p = Projector::open(*log, options);
  ASSERT_TRUE(p.is_ok());
  auto replay = (*p)->catch_up();
  ASSERT_FALSE(replay.is_ok());
  EXPECT_EQ(replay.status().code(), Code::kCorruption);
  EXPECT_NE(replay.status().message().find("partition 0 offset"), std::string::npos) << replay.status().message();
}

}  // namespace
}  // namespace dimona

#include "projections/citizen_index.h"

#include <gtest/gtest.h>

#include <map>

#include "engine/base/bytes.h"
#include "engine/base/crc32c.h"
#include "engine/codec.h"
#include "engine/log/log_tools.h"
#include "projections/projector.h"
#include "tests/engine/ledger_fixture.h"
#include "tests/test_util.h"

namespace dimona {
namespace {

using testing::stu_in;

constexpr uint64_t kStudent = 5031412595, kOther = 85073003328;

Event event_of(uint64_t ssin) {
  Event e;
  e.type = EventType::kDimonaInDeclared;
  e.ssin = Ssin{ssin};
  return e;
}

// Every event's envelope ssin, read from the whole log: the rule the index keeps, checked
// against the log itself rather than against the fold.
std::map<std::pair<uint32_t, uint64_t>, std::vector<Offset>> scan(Log& log) {
  std::map<std::pair<uint32_t, uint64_t>, std::vector<Offset>> out;
  auto consumer = log.open_consumer();
  EXPECT_TRUE(consumer.is_ok());
  EventDecoder decoder;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    Result<Offset> end = (*consumer)->end_offset(p);
    EXPECT_TRUE(end.is_ok());
    EXPECT_TRUE(read_partition(**consumer, p, 0, *end, [&](LogRecord& r) {
                  Result<Event> e = decoder.decode_copy(r.payload);
                  EXPECT_TRUE(e.is_ok());
                  if (e.is_ok() && e->ssin.value != 0) out[{p, e->ssin.value}].push_back(r.offset);
                  return Status::ok();
                }).is_ok());
  }
  return out;
}

class CitizenIndexTest : public testing::LedgerFixture {
 protected:
  std::unique_ptr<Projector> project(const std::string& checkpoint = "") {
    EXPECT_TRUE(ledger_->commit().is_ok());
    ProjectorOptions options;
    options.checkpoint_path = checkpoint;
    auto p = Projector::open(log_, options);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    EXPECT_TRUE((*p)->catch_up().is_ok());
    return std::move(*p);
  }
};

// The index holds, per citizen, exactly the offsets of the events whose ssin is theirs: the
// UPDATE and CANCEL that name only a period are the period's worker's; a refused IN for an
// invalid SSIN and the quota definitions belong to nobody.
TEST_F(CitizenIndexTest, IndexesExactlyTheEventsWhoseSsinIsTheCitizens) {
  const Submission in = submit(stu_in("2025-06-02", "2025-06-30", 30));
  submit(stu_in("2025-06-02", "2025-06-30", 20, "85073003328"));
  submit(stu_in("2025-06-20", "2025-07-10", 40));                     // B 90373-421, still the student's
  submit(stu_in("2025-06-02", "2025-06-30", 20, "05031412596"));      // invalid SSIN: nobody's
  submit(R"({"dimonaUpdate":{"periodId":)" + period_of(in) + R"(,"plannedHoursNumber":24}})");
  submit(R"({"dimonaCancel":{"periodId":)" + period_of(in) + "}}");
  act(R"({"attestationRequest":{"year":2025},"worker":{"ssin":"05031412595"}})");
  auto p = project();
  const auto expected = scan(log_);
  size_t indexed = 0;
  for (uint32_t part = 0; part < p->partition_count(); ++part) {
    indexed += p->citizens(part).citizens();
    for (const auto& [key, offsets] : expected)
      if (key.first == part) {
        EXPECT_EQ(p->citizens(part).offsets(Ssin{key.second}), offsets) << key.second;
      }
  }
  EXPECT_EQ(indexed, expected.size());
  const uint32_t student = partition_for(Ssin{kStudent}, p->partition_count());
  EXPECT_EQ(p->citizens(student).count(Ssin{kStudent}), 5u) << "IN, refused IN, UPDATE, CANCEL, attestation";
  EXPECT_EQ(p->citizens(partition_for(Ssin{kOther}, p->partition_count())).count(Ssin{kOther}), 1u);
  EXPECT_TRUE(p->citizens(student).offsets(Ssin{5031412596}).empty());

  // events_at reads those records, and only those, in order.
  const std::vector<Offset> offsets = p->citizens(student).offsets(Ssin{kStudent});
  Result<std::vector<std::string>> events = p->events_at(student, offsets);
  ASSERT_TRUE(events.is_ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i) EXPECT_EQ((*events)[i], *p->event_at(student, offsets[i]));
  EXPECT_EQ(p->events_at(student, {offsets.back() + 1000}).status().code(), Code::kFailedPrecondition);
}

// A checkpoint keeps the index: a restart resumes with the same offsets and keeps appending.
TEST_F(CitizenIndexTest, SurvivesACheckpointAndKeepsFolding) {
  testing::TempDir dir;
  submit(stu_in("2025-06-02", "2025-06-30", 30));
  project(dir.file("checkpoint.db"));
  submit(stu_in("2025-08-04", "2025-08-29", 10));
  auto p = project(dir.file("checkpoint.db"));
  const uint32_t student = partition_for(Ssin{kStudent}, p->partition_count());
  EXPECT_EQ(p->citizens(student).offsets(Ssin{kStudent}), scan(log_).at({student, kStudent}));
  EXPECT_EQ(p->citizens(student).count(Ssin{kStudent}), 2u);
}

// Redelivered offsets (at or below a citizen's last) change nothing.
TEST(CitizenIndex, IgnoresRedeliveriesAndCitizenlessEvents) {
  CitizenIndex index;
  index.apply(event_of(kStudent), 3);
  index.apply(event_of(kStudent), 3);
  index.apply(event_of(kStudent), 1);
  index.apply(event_of(0), 4);
  index.apply(event_of(kStudent), 9);
  EXPECT_EQ(index.offsets(Ssin{kStudent}), (std::vector<Offset>{3, 9}));
  EXPECT_EQ(index.citizens(), 1u);
  EXPECT_TRUE(index.offsets(Ssin{kOther}).empty());
  EXPECT_EQ(index.count(Ssin{kOther}), 0u);
}

CitizenIndex sample() {
  CitizenIndex index;
  for (uint64_t i = 0; i < 200; ++i) index.apply(event_of(kStudent + i * 97), i);  // each a first offset
  for (Offset o : {Offset{0}, Offset{1}, Offset{127}, Offset{128}, Offset{1} << 35, (Offset{1} << 62) + 5})
    index.apply(event_of(kOther), o);
  return index;
}

TEST(CitizenIndex, SavesAndLoadsTheSameOffsets) {
  const CitizenIndex index = sample();
  std::string bytes;
  index.save(&bytes);
  CitizenIndex back;
  ASSERT_TRUE(CitizenIndex::load(bytes, &back).is_ok());
  EXPECT_EQ(back.citizens(), 201u);
  EXPECT_EQ(back.offsets(Ssin{kOther}), index.offsets(Ssin{kOther}));
  EXPECT_EQ(back.offsets(Ssin{kStudent + 150 * 97}), (std::vector<Offset>{150}));
  std::string again;
  back.save(&again);
  EXPECT_EQ(again, bytes);
  // The same index built in another order saves the same bytes (a loaded one included).
  CitizenIndex reversed;
  for (Offset o : {Offset{0}, Offset{1}, Offset{127}, Offset{128}, Offset{1} << 35, (Offset{1} << 62) + 5})
    reversed.apply(event_of(kOther), o);
  for (uint64_t i = 200; i-- > 0;) reversed.apply(event_of(kStudent + i * 97), i);
  std::string other_order;
  reversed.save(&other_order);
  EXPECT_EQ(other_order, bytes);
  CitizenIndex empty, empty_back;
  std::string none;
  empty.save(&none);
  EXPECT_TRUE(CitizenIndex::load(none, &empty_back).is_ok());
}

TEST(CitizenIndex, RefusesEveryFlippedByteAndTruncation) {
  CitizenIndex index;
  index.apply(event_of(kStudent), 5);
  index.apply(event_of(kStudent), 700);
  std::string bytes;
  index.save(&bytes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] ^= 0x10;
    CitizenIndex bad;
    EXPECT_EQ(CitizenIndex::load(flipped, &bad).code(), Code::kCorruption) << "byte " << i;
  }
  for (size_t n = 0; n < bytes.size(); ++n) {
    CitizenIndex bad;
    EXPECT_EQ(CitizenIndex::load(std::string_view(bytes).substr(0, n), &bad).code(), Code::kCorruption) << n;
  }
}

// Bytes with a good CRC but a bad body: each refused by its own check.
std::string with_crc(uint64_t citizens, const std::string& entries) {
  std::string out;
  put<uint32_t>(&out, 0x58444943);
  put<uint64_t>(&out, citizens);
  out += entries;
  put<uint32_t>(&out, crc32c(out.data(), out.size()));
  return out;
}
std::string entry(uint64_t ssin, uint64_t last, uint32_t count, const std::string& varints) {
  std::string out;
  put<uint64_t>(&out, ssin);
  put<uint64_t>(&out, last);
  put<uint32_t>(&out, count);
  put(&out, varints);
  return out;
}

TEST(CitizenIndex, RefusesMalformedBodiesBehindAGoodCrc) {
  const std::string good = entry(kStudent, 7, 2, std::string("\x03\x04", 2));
  CitizenIndex ok;
  ASSERT_TRUE(CitizenIndex::load(with_crc(1, good), &ok).is_ok());
  EXPECT_EQ(ok.offsets(Ssin{kStudent}), (std::vector<Offset>{3, 7}));
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"a zero difference", with_crc(1, entry(kStudent, 3, 2, std::string("\x03\x00", 2)))},
      {"a last offset that is not the sum", with_crc(1, entry(kStudent, 8, 2, std::string("\x03\x04", 2)))},
      {"bytes past the count", with_crc(1, entry(kStudent, 3, 1, std::string("\x03\x04", 2)))},
      {"a truncated varint", with_crc(1, entry(kStudent, 3, 1, std::string("\x83", 1)))},
      {"a varint past 64 bits", with_crc(1, entry(kStudent, 0, 1, std::string(10, '\xff') + '\x01'))},
      {"an 11-byte varint", with_crc(1, entry(kStudent, 0, 1, std::string(10, '\x80') + '\x00'))},
      {"a sum that wraps", with_crc(1, entry(kStudent, 1, 2, std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02", 11)))},
      {"no events", with_crc(1, entry(kStudent, 0, 0, ""))},
      {"SSIN 0", with_crc(1, entry(0, 3, 1, "\x03"))},
      {"the reserved key", with_crc(1, entry(~uint64_t{0}, 3, 1, "\x03"))},
      {"an SSIN of 12 digits", with_crc(1, entry(100'000'000'000, 3, 1, "\x03"))},
      {"a citizen twice", with_crc(2, entry(kStudent, 3, 1, "\x03") + entry(kStudent, 3, 1, "\x03"))},
      {"more citizens than bytes", with_crc(3, good)},
      {"fewer citizens than bytes", with_crc(0, good)},
      {"another magic", [] {
         std::string b;
         put<uint32_t>(&b, 0x474C4344);
         put<uint64_t>(&b, 0);
         put<uint32_t>(&b, crc32c(b.data(), b.size()));
         return b;
       }()},
  };
  for (const auto& [what, bytes] : cases) {
    CitizenIndex bad;
    EXPECT_EQ(CitizenIndex::load(bytes, &bad).code(), Code::kCorruption) << what;
  }
}

}  // namespace
}  // namespace dimona

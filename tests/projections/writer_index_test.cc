#include "projections/writer_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/identifiers.h"
#include "engine/ledger.h"
#include "engine/ledger_state.h"
#include "engine/source_position.h"
#include "tests/projections/section_checks.h"

namespace dimona {
namespace {

constexpr uint32_t kPartitions = 4;

// An IN of partition `p` whose declaration and period are the ledger's serials n and n + 1 there.
Event in_event(uint32_t p, uint64_t n) {
  Event e;
  e.type = EventType::kDimonaInDeclared;
  e.declaration.declaration_id = DeclarationId{dimona_id_from_body(kLedgerIdBodyFirst + n * kPartitions + p)};
  e.declaration.decision.period_id = PeriodId{dimona_id_from_body(kLedgerIdBodyFirst + (n + 1) * kPartitions + p)};
  return e;
}

std::vector<std::string> positions(const WriterIndex& index) {
  std::vector<std::string> out;
  index.tails().for_each_last([&](std::string_view text) { out.emplace_back(text); });
  return out;
}

void apply(WriterIndex& index, const Event& e, std::string_view source) {
  index.apply_record(e, 0, FoldedRecord{source, 1, kPartitions});
}

TEST(WriterIndexTest, KeepsEachSourcesLastPositionAndTheSerialsTheEventsUsed) {
  WriterIndex index;
  EXPECT_TRUE(index.serials().empty());
  apply(index, in_event(1, 0), "file:b@1,10,7/0,0,0");
  apply(index, in_event(1, 2), "file:a@4,40,9/0,0,0");
  apply(index, in_event(1, 4), "file:b@2,20,8/1,10,7");
  apply(index, in_event(1, 6), "");  // a REST write: serials only
  EXPECT_EQ(positions(index), (std::vector<std::string>{"file:a@4,40,9/0,0,0", "file:b@2,20,8/1,10,7"}));
  EXPECT_EQ(index.serials(), (std::vector<uint64_t>{0, 8, 0, 0}));  // past the period of serial 7
  // apply() alone (a citizen's past read by offset: no record) changes nothing.
  index.apply(in_event(1, 20), 0);
  EXPECT_EQ(index.serials()[1], 8u);
  // An imported id (below the ledger's range) moves no serial.
  Event imported = in_event(1, 0);
  imported.declaration.declaration_id = DeclarationId{dimona_id_from_body(kLedgerIdBodyFirst - 1)};
  imported.declaration.decision.period_id = PeriodId{dimona_id_from_body(kLedgerIdBodyFirst - 2)};
  apply(index, imported, "file:c@1,1,1/0,0,0");
  EXPECT_EQ(index.serials()[1], 8u);
  EXPECT_EQ(positions(index).size(), 3u);
  // A source is what precedes the last '@': a name that extends the previous one is its own.
  apply(index, in_event(1, 0), "file:c@x@2,2,2/0,0,0");
  apply(index, in_event(1, 0), "file:c@3,3,3/0,0,0");
  EXPECT_EQ(positions(index), (std::vector<std::string>{"file:a@4,40,9/0,0,0", "file:b@2,20,8/1,10,7",
                                                        "file:c@3,3,3/0,0,0", "file:c@x@2,2,2/0,0,0"}));
}

TEST(WriterIndexTest, ItsSectionRoundTripsAndRefusesWhatSaveNeverWrites) {
  WriterIndex index;
  apply(index, in_event(2, 1), "file:b@1,10,7/0,0,0");
  apply(index, in_event(3, 0), "topic:in/0@5,5,0/4,4,0");
  std::string saved;
  index.save(&saved);
  WriterIndex loaded;
  ASSERT_TRUE(WriterIndex::load(saved, &loaded).is_ok());
  EXPECT_EQ(positions(loaded), positions(index));
  EXPECT_EQ(loaded.serials(), index.serials());
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, saved) << "canonical";
  const size_t texts_count_at = 4 + 4 + 8 * kPartitions;  // magic, serial count, serials
  testing::expect_refuses_what_save_never_writes(saved, texts_count_at, [](const std::string& bytes) {
    WriterIndex fresh;
    return WriterIndex::load(bytes, &fresh);
  });
}

TEST(WriterIndexTest, APositionWithoutItsSourceOrOutOfOrderIsRefused) {
  auto section = [](const std::vector<std::string>& texts) {
    std::string out;
    const size_t begin = out.size();
    put<uint32_t>(&out, 0x58495257);  // "WRIX"
    put<uint32_t>(&out, 0);           // no serials
    put<uint32_t>(&out, static_cast<uint32_t>(texts.size()));
    for (const std::string& t : texts) {
      put(&out, t);
      put<uint64_t>(&out, 0);  // R
      Result<SourcePosition> p = parse_source_position(t);
      put<uint32_t>(&out, p.is_ok() ? 1 : 0);  // the text's own index, above R
      if (p.is_ok()) put<uint64_t>(&out, p->at.index);
    }
    put<uint32_t>(&out, crc32c(out.data() + begin, out.size() - begin));
    return out;
  };
  auto load = [](const std::string& bytes) {
    WriterIndex fresh;
    return WriterIndex::load(bytes, &fresh);
  };
  EXPECT_TRUE(load(section({"file:a@1,1,1/0,0,0", "file:b@1,1,1/0,0,0"})).is_ok());
  EXPECT_EQ(load(section({"file:b@1,1,1/0,0,0", "file:a@1,1,1/0,0,0"})).code(), Code::kCorruption) << "out of order";
  EXPECT_EQ(load(section({"file:a@1,1,1/0,0,0", "file:a@2,2,2/0,0,0"})).code(), Code::kCorruption) << "a source twice";
  EXPECT_EQ(load(section({"no position here"})).code(), Code::kCorruption) << "no source";
  EXPECT_EQ(load(section({""})).code(), Code::kCorruption) << "empty";
  EXPECT_EQ(load(section({"file:a@" + std::string(300, '1')})).code(), Code::kCorruption) << "too long";
}

}  // namespace
}  // namespace dimona

#include "projections/declaration_log.h"

#include <gtest/gtest.h>

#include "projections/projector.h"
#include "projections/section.h"
#include "tests/engine/ledger_fixture.h"

namespace dimona {
namespace {

using testing::stu_in;

class DeclarationLogTest : public testing::LedgerFixture {
 protected:
  std::unique_ptr<Projector> project() {
    EXPECT_TRUE(ledger_->commit().is_ok());
    auto p = Projector::open(log_, ProjectorOptions{});
    EXPECT_TRUE(p.is_ok());
    EXPECT_TRUE((*p)->catch_up().is_ok());
    return std::move(*p);
  }
};

// Every declaration, accepted or refused, is found with its decision and employer, read back
// from the log; an id no partition folded is nullopt.
TEST_F(DeclarationLogTest, FindsEveryDeclarationInTheLog) {
  const Submission in = submit(stu_in("2025-06-02", "2025-06-30", 30));
  const Submission refused = submit(stu_in("2025-06-20", "2025-07-10", 40));  // B 90373-421
  const Submission cancel = submit(R"({"dimonaCancel":{"periodId":)" +
                                   std::to_string(in.decision.period_id.value) + "}}");
  auto p = project();
  for (const Submission* s : {&in, &refused, &cancel}) {
    Result<std::optional<DeclarationStatus>> found = find_declaration(*p, s->declaration_id);
    ASSERT_TRUE(found.is_ok()) << found.status().to_string();
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->decision.result, s->decision.result);
    EXPECT_EQ((*found)->decision.period_id, s->decision.period_id);
    EXPECT_EQ((*found)->employer, 403019261u) << "the CANCEL's employer is its period's";
  }
  EXPECT_EQ((*find_declaration(*p, refused.declaration_id))->decision.anomalies[0].code, 90373421u);
  EXPECT_FALSE(find_declaration(*p, DeclarationId{dimona_id_from_body(9'999'999'998)})->has_value());
}

TEST(DeclarationLog, SavesAndLoadsAndRefusesCorruptBytes) {
  DeclarationLog log;
  Event e;
  e.type = EventType::kDimonaInDeclared;
  for (uint64_t body = 1'000'000'000; body < 1'000'000'100; ++body) {
    e.declaration.declaration_id = DeclarationId{dimona_id_from_body(body)};
    log.apply(e, body - 1'000'000'000);
  }
  std::string bytes;
  log.save(&bytes);
  DeclarationLog back;
  ASSERT_TRUE(DeclarationLog::load(bytes, &back).is_ok());
  EXPECT_EQ(back.size(), 100u);
  EXPECT_EQ(*back.find(DeclarationId{dimona_id_from_body(1'000'000'042)}), 42u);
  std::string flipped = bytes;
  flipped[20] ^= 1;
  DeclarationLog bad;
  EXPECT_EQ(DeclarationLog::load(flipped, &bad).code(), Code::kCorruption);
  DeclarationLog truncated;
  EXPECT_EQ(DeclarationLog::load(std::string_view(bytes).substr(0, 10), &truncated).code(), Code::kCorruption);
}

// Ids out of order, put again, or far apart: the bytes are in id order whatever the order of the
// folds (canonical, as the state hash needs), and a load refuses pairs out of that order.
TEST(DeclarationLog, TheBytesAreInIdOrderWhateverTheFoldsOrder) {
  auto event_of = [](uint64_t body) {
    Event e;
    e.type = EventType::kDimonaUpdateDeclared;
    e.declaration.declaration_id = DeclarationId{dimona_id_from_body(body)};
    return e;
  };
  const std::vector<std::pair<uint64_t, Offset>> folds{{7'000'000'010, 0}, {7'000'000'020, 1},
                                                       {1'000'000'005, 2},  // an imported id, below the run
                                                       {7'000'000'020, 3},  // redelivered further on
                                                       {9'000'000'000, 4}, {7'000'000'030, 5}};
  DeclarationLog in_order, backwards;
  for (const auto& [body, offset] : folds) in_order.apply(event_of(body), offset);
  for (auto it = folds.rbegin(); it != folds.rend(); ++it) backwards.apply(event_of(it->first), it->second);
  EXPECT_EQ(in_order.size(), 5u);
  EXPECT_EQ(*in_order.find(DeclarationId{dimona_id_from_body(7'000'000'020)}), 3u) << "the last offset wins";
  EXPECT_EQ(*backwards.find(DeclarationId{dimona_id_from_body(7'000'000'020)}), 1u);
  EXPECT_FALSE(in_order.find(DeclarationId{dimona_id_from_body(7'000'000'011)}).has_value());
  std::string bytes;
  in_order.save(&bytes);
  DeclarationLog back;
  ASSERT_TRUE(DeclarationLog::load(bytes, &back).is_ok());
  std::string again;
  back.save(&again);
  EXPECT_EQ(again, bytes);
  for (const auto& [body, offset] : folds)
    EXPECT_EQ(back.find(DeclarationId{dimona_id_from_body(body)}),
              in_order.find(DeclarationId{dimona_id_from_body(body)}));
  // Two pairs swapped (the CRC made right again) are refused.
  DeclarationLog two;
  two.apply(event_of(7'000'000'001), 0);
  two.apply(event_of(7'000'000'002), 1);
  std::string swapped;
  two.save(&swapped);
  constexpr size_t kFirstPair = 4 + 8;
  std::string body = swapped.substr(kFirstPair, 32);
  std::string reordered = swapped.substr(0, kFirstPair) + body.substr(16, 16) + body.substr(0, 16);  // no CRC
  seal_section(&reordered, 0);
  DeclarationLog refused;
  EXPECT_EQ(DeclarationLog::load(reordered, &refused).code(), Code::kCorruption);
}

}  // namespace
}  // namespace dimona

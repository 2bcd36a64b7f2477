// Each employer's and citizen's career-break records (projections/career_break_index.h): the
// lists the overview and the export walk, kept out of the engine's state; and their checkpoint
// section, which refuses what the fold never writes.
#include "projections/career_break_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/crc32c.h"
#include "tests/projections/section_checks.h"

namespace dimona {
namespace {

constexpr Ssin kCitizen{5031412595}, kOther{85073003328};
constexpr uint64_t kEmployer = 203456789, kEmployer2 = 403019261;

Event action(ActionKind kind, uint64_t id, uint64_t employer, Ssin citizen, bool accepted = true) {
  Event e;
  e.type = event_type_of(kind);
  e.ssin = citizen;
  e.action.action.kind = kind;
  e.action.outcome.id = id;
  e.action.outcome.employer = employer;
  e.action.outcome.worker = citizen;
  if (!accepted) e.action.outcome.refusal = ActionRefusal::kUnknownTicket;
  return e;
}

std::vector<uint64_t> tickets_of_employer(const CareerBreakIndex& index, uint64_t employer) {
  std::vector<uint64_t> out;
  index.for_each_ticket_of_employer(employer, [&](uint64_t id) { out.push_back(id); });
  return out;
}

class CareerBreakIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_.apply(action(ActionKind::kCareerBreakRequest, 600000000111, kEmployer, kCitizen), 0);
    index_.apply(action(ActionKind::kCareerBreakNotification, 600000000222, kEmployer, kOther), 1);
    index_.apply(action(ActionKind::kCareerBreakRequest, 600000000333, kEmployer2, kCitizen), 2);
    index_.apply(action(ActionKind::kCareerBreakRequest, 600000000444, kEmployer, kOther), 3);
    // A follow-up of a ticket, a refused request and another kind of action list nothing.
    index_.apply(action(ActionKind::kCareerBreakEmployeePart, 600000000111, kEmployer, kCitizen), 4);
    index_.apply(action(ActionKind::kCareerBreakRequest, 600000000555, kEmployer, kCitizen, false), 5);
    index_.apply(action(ActionKind::kAttestationRequest, 600000000666, 0, kCitizen), 6);
    index_.save(&saved_);
  }
  static Status load(const std::string& bytes) {
    CareerBreakIndex loaded;
    return CareerBreakIndex::load(bytes, &loaded);
  }
  CareerBreakIndex index_;
  std::string saved_;
};

TEST_F(CareerBreakIndexTest, ListsEachEmployersAndCitizensRecordsNewestFirst) {
  EXPECT_EQ(index_.tickets(), 3u);
  EXPECT_EQ(index_.notifications(), 1u);
  EXPECT_EQ(tickets_of_employer(index_, kEmployer), (std::vector<uint64_t>{600000000444, 600000000111}));
  EXPECT_EQ(tickets_of_employer(index_, kEmployer2), (std::vector<uint64_t>{600000000333}));
  EXPECT_TRUE(tickets_of_employer(index_, 999999999).empty());
  std::vector<uint64_t> of_citizen, notified;
  index_.for_each_ticket_of(kCitizen, [&](uint64_t id) { of_citizen.push_back(id); });
  EXPECT_EQ(of_citizen, (std::vector<uint64_t>{600000000333, 600000000111}));
  index_.for_each_notification_of_employer(kEmployer, [&](uint64_t id) { notified.push_back(id); });
  index_.for_each_notification_of(kOther, [&](uint64_t id) { notified.push_back(id); });
  index_.for_each_notification_of(kCitizen, [&](uint64_t id) { notified.push_back(id); });
  EXPECT_EQ(notified, (std::vector<uint64_t>{600000000222, 600000000222}));
  std::vector<uint64_t> citizens;
  index_.for_each_citizen([&](Ssin s) { citizens.push_back(s.value); });
  std::sort(citizens.begin(), citizens.end());
  EXPECT_EQ(citizens, (std::vector<uint64_t>{kCitizen.value, kOther.value}));
}

TEST_F(CareerBreakIndexTest, RoundTripsToTheSameBytesAndLists) {
  CareerBreakIndex loaded;
  ASSERT_TRUE(CareerBreakIndex::load(saved_, &loaded).is_ok());
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, saved_);
  EXPECT_EQ(tickets_of_employer(loaded, kEmployer), tickets_of_employer(index_, kEmployer));
}

TEST_F(CareerBreakIndexTest, WhatTheFoldNeverWritesIsCorruption) {
  constexpr size_t kFirstTriple = 4 + 4;  // magic, the tickets' count
  testing::expect_refuses_what_save_never_writes(saved_, 4, load);
  for (const size_t field : {size_t{0}, size_t{8}, size_t{16}}) {  // a zero id, employer or citizen
    std::string zero = saved_;
    for (size_t i = 0; i < 8; ++i) zero[kFirstTriple + field + i] = 0;
    EXPECT_EQ(load(testing::recrc(zero)).code(), Code::kCorruption) << field;
  }
  std::string repeated = saved_;  // the second ticket takes the first one's id
  for (size_t i = 0; i < 8; ++i) repeated[kFirstTriple + 24 + i] = saved_[kFirstTriple + i];
  EXPECT_EQ(load(testing::recrc(repeated)).code(), Code::kCorruption);
}

}  // namespace
}  // namespace dimona

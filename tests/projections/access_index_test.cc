// The lists behind access codes and consents (projections/access_index.h): each citizen's
// attestations, each code's, each employer's requests and each citizen's answers, kept out of
// the engine's state; their checkpoint section, which refuses what the fold never writes; and
// the chains they are made of (projections/id_chains.h).
#include "projections/access_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/crc32c.h"
#include "tests/projections/section_checks.h"

namespace dimona {
namespace {

constexpr Ssin kStudent{5031412595}, kOther{85073003328};
constexpr uint64_t kEmployer = 203456789, kEmployer2 = 403019261;
constexpr uint64_t kCode = 0x2A2A2A2A2A, kCode2 = 77;

Event action(ActionKind kind, uint64_t id, Ssin citizen, bool accepted = true) {
  Event e;
  e.type = event_type_of(kind);
  e.ssin = citizen;
  e.action.action.kind = kind;
  e.action.outcome.id = id;
  e.action.outcome.worker = citizen;
  if (!accepted) e.action.outcome.refusal = ActionRefusal::kUnknownToken;
  return e;
}
Event attestation(uint64_t id, Ssin citizen, uint64_t code, bool accepted = true) {
  Event e = action(ActionKind::kAttestationRequest, id, citizen, accepted);
  e.action.outcome.access_code = code;
  return e;
}
Event request(uint64_t id, uint64_t employer) {
  Event e = action(ActionKind::kDataAccessRequest, id, Ssin{0});
  e.action.outcome.employer = employer;
  return e;
}
Event answer(ActionKind kind, uint64_t request_id, Ssin citizen, uint64_t employer) {
  Event e = action(kind, 900000000000 + request_id % 1000, citizen);
  e.action.outcome.subject = request_id;
  e.action.outcome.employer = employer;
  return e;
}

template <typename Walk>
std::vector<uint64_t> ids(Walk walk) {
  std::vector<uint64_t> out;
  walk([&out](uint64_t id) { out.push_back(id); });
  return out;
}

class AccessIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Offset at = 0;
    for (const Event& e : {attestation(700000000101, kStudent, kCode), request(500000000001, kEmployer),
                           attestation(700000000202, kOther, kCode2), request(500000000002, kEmployer2),
                           answer(ActionKind::kDataAccessGrant, 500000000001, kOther, kEmployer),
                           attestation(700000000303, kStudent, kCode), request(500000000003, kEmployer),
                           answer(ActionKind::kDataAccessRefusal, 500000000003, kOther, kEmployer),
                           // A revocation, an archiving, a refused attestation and another kind list nothing.
                           answer(ActionKind::kDataAccessRevocation, 500000000001, kOther, kEmployer),
                           action(ActionKind::kInboxArchive, 700000000101, kStudent),
                           attestation(700000000404, kStudent, kCode, /*accepted=*/false),
                           action(ActionKind::kCareerBreakRequest, 600000000111, kStudent),
                           // An attestation folded twice (a duplicated event) is listed once.
                           attestation(700000000303, kStudent, kCode)})
      index_.apply(e, at++);
    index_.save(&saved_);
  }
  static Status load(const std::string& bytes) {
    AccessIndex loaded;
    return AccessIndex::load(bytes, &loaded);
  }
  AccessIndex index_;
  std::string saved_;
};

TEST_F(AccessIndexTest, ListsEachCitizensCodesAndEmployersRecordsNewestFirst) {
  EXPECT_EQ(index_.attestations(), 3u);
  EXPECT_EQ(index_.requests(), 3u);
  EXPECT_EQ(index_.answers(), 2u);
  auto of = [&](Ssin c) { return ids([&](auto f) { index_.for_each_attestation_of(c, f); }); };
  auto with = [&](uint64_t code) { return ids([&](auto f) { index_.for_each_attestation_with_code(code, f); }); };
  auto requests = [&](uint64_t e) { return ids([&](auto f) { index_.for_each_request_of_employer(e, f); }); };
  auto answers = [&](Ssin c) { return ids([&](auto f) { index_.for_each_answer_of(c, f); }); };
  EXPECT_EQ(of(kStudent), (std::vector<uint64_t>{700000000303, 700000000101}));
  EXPECT_EQ(of(kOther), (std::vector<uint64_t>{700000000202}));
  EXPECT_EQ(with(kCode), (std::vector<uint64_t>{700000000303, 700000000101}));
  EXPECT_EQ(with(kCode2), (std::vector<uint64_t>{700000000202}));
  EXPECT_TRUE(with(0).empty()) << "code 0 is a key like any other, and none has it";
  EXPECT_TRUE(with(kCode + 1).empty());
  EXPECT_EQ(requests(kEmployer), (std::vector<uint64_t>{500000000003, 500000000001}));
  EXPECT_EQ(requests(kEmployer2), (std::vector<uint64_t>{500000000002}));
  EXPECT_EQ(answers(kOther), (std::vector<uint64_t>{500000000003, 500000000001})) << "by the request's id";
  EXPECT_TRUE(answers(kStudent).empty());
  std::vector<uint64_t> citizens, employers;
  index_.for_each_citizen([&](Ssin s) { citizens.push_back(s.value); });
  index_.for_each_employer([&](uint64_t e) { employers.push_back(e); });
  std::sort(citizens.begin(), citizens.end());
  std::sort(employers.begin(), employers.end());
  EXPECT_EQ(citizens, (std::vector<uint64_t>{kStudent.value, kOther.value}));
  EXPECT_EQ(employers, (std::vector<uint64_t>{kEmployer, kEmployer2}));
}

TEST_F(AccessIndexTest, RoundTripsToTheSameBytesAndLists) {
  AccessIndex loaded;
  ASSERT_TRUE(AccessIndex::load(saved_, &loaded).is_ok());
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, saved_);
  EXPECT_EQ(ids([&](auto f) { loaded.for_each_attestation_with_code(kCode, f); }),
            ids([&](auto f) { index_.for_each_attestation_with_code(kCode, f); }));
  EXPECT_EQ(ids([&](auto f) { loaded.for_each_answer_of(kOther, f); }),
            ids([&](auto f) { index_.for_each_answer_of(kOther, f); }));
  std::string empty;
  AccessIndex{}.save(&empty);
  AccessIndex from_empty;
  ASSERT_TRUE(AccessIndex::load(empty, &from_empty).is_ok());
  EXPECT_EQ(from_empty.attestations() + from_empty.requests() + from_empty.answers(), 0u);
}

TEST_F(AccessIndexTest, WhatTheFoldNeverWritesIsCorruption) {
  constexpr size_t kFirst = 4 + 4;  // magic, the attestations' count; then (id, citizen, code) u64s
  testing::expect_refuses_what_save_never_writes(saved_, 4, load);
  for (const size_t field : {size_t{0}, size_t{8}, size_t{16}}) {  // a zero id, citizen or code key
    std::string zero = saved_;
    for (size_t i = 0; i < 8; ++i) zero[kFirst + field + i] = 0;
    EXPECT_EQ(load(testing::recrc(zero)).code(), Code::kCorruption) << field;
  }
  std::string reserved = saved_;  // FlatMap's reserved key as a citizen
  for (size_t i = 0; i < 8; ++i) reserved[kFirst + 8 + i] = '\xFF';
  EXPECT_EQ(load(testing::recrc(reserved)).code(), Code::kCorruption);
  std::string repeated = saved_;  // the second attestation takes the first one's id
  for (size_t i = 0; i < 8; ++i) repeated[kFirst + 24 + i] = saved_[kFirst + i];
  EXPECT_EQ(load(testing::recrc(repeated)).code(), Code::kCorruption);
}

// --- IdChains: the chains the index is made of ----------------------------------------

TEST(IdChainsTest, RefusesARepeatedIdAndKeysNoMapMayHold) {
  IdChains<2> chains;
  EXPECT_TRUE(chains.add(1, {10, 20}));
  EXPECT_FALSE(chains.add(1, {11, 21})) << "a repeated id";
  EXPECT_FALSE(chains.add(0, {10, 20})) << "id 0 names nothing";
  EXPECT_FALSE(chains.add(2, {0, 20}));
  EXPECT_FALSE(chains.add(3, {10, ~uint64_t{0}})) << "FlatMap's reserved key";
  EXPECT_FALSE(chains.add(~uint64_t{0}, {10, 20}));
  EXPECT_EQ(chains.size(), 1u) << "a refused entry adds nothing, not even to the other key's chain";
  EXPECT_TRUE(chains.add(4, {10, 21}));
  EXPECT_EQ(ids([&](auto f) { chains.of<0>(10, f); }), (std::vector<uint64_t>{4, 1}));
  EXPECT_EQ(ids([&](auto f) { chains.of<1>(20, f); }), (std::vector<uint64_t>{1}));
  EXPECT_EQ(ids([&](auto f) { chains.of<1>(21, f); }), (std::vector<uint64_t>{4}));
  EXPECT_TRUE(ids([&](auto f) { chains.of<0>(20, f); }).empty()) << "a key is looked up in its own position";
}

TEST(IdChainsTest, ACountBeyondTheBytesIsRefusedBeforeAnyReserve) {
  std::string bytes;
  put<uint32_t>(&bytes, UINT32_MAX);
  put<uint64_t>(&bytes, 1);
  put<uint64_t>(&bytes, 2);
  ByteReader r(bytes);
  IdChains<1> chains;
  EXPECT_EQ(chains.load(&r, "test chains").code(), Code::kCorruption);
  EXPECT_TRUE(chains.empty());
}

}  // namespace
}  // namespace dimona

// Source positions and tails (engine/source_position.h, engine/source_tails.h):
// the text form parsed once, and which items of a source a partition holds.
#include "engine/source_tails.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dimona {
namespace {

// "SOURCE@I,I,0/R,R,0": an item at index I whose group started after item R.
std::string text(const std::string& source, uint64_t index, uint64_t resume) {
  SourcePosition p{source, {index, index, 0}, {resume, resume, 0}};
  std::string out;
  format_source_position(p, &out);
  return out;
}

TEST(SourcePosition, TheTextFormRoundTripsAndAnythingElseIsRefused) {
  const SourcePosition p{"topic:in@put/3", {12, 1200, 77}, {10, 1000, 66}};
  std::string t;
  format_source_position(p, &t);
  EXPECT_EQ(t, "topic:in@put/3@12,1200,77/10,1000,66");
  Result<SourcePosition> back = parse_source_position(t);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, p);
  std::string_view source;
  SourceMark at, resume;
  ASSERT_TRUE(parse_source_marks(t, &source, &at, &resume).is_ok());
  EXPECT_EQ(source, "topic:in@put/3");
  for (const char* bad : {"", "@1,1,1/0,0,0", "a@1,1,1", "a@1,1,1/0,0", "a@1,1,1/0,0,0,", "a@x,1,1/0,0,0",
                          "a@1,1,1/1,0,0", "a@1,1,1/0,1,0", "a@-1,1,1/0,0,0", "a@1,1,99999999999/0,0,0"})
    EXPECT_EQ(parse_source_position(bad).status().code(), Code::kInvalidArgument) << bad;
  EXPECT_EQ(parse_source_position("a@1,1,1/0,0,0" + std::string(300, '0')).status().code(), Code::kInvalidArgument);
}

TEST(SourceTails, AnItemAtOrBelowTheLatestResumeOrKeptAboveItIsHeld) {
  SourceTails tails;
  EXPECT_FALSE(tails.holds("file:a", 1));
  // Group 1 (lines 1..4, resume 0): this partition stores lines 1 and 3.
  tails.note(text("file:a", 1, 0));
  tails.note(text("file:a", 3, 0));
  EXPECT_TRUE(tails.holds("file:a", 1));
  EXPECT_FALSE(tails.holds("file:a", 2)) << "another partition's line, or none";
  EXPECT_TRUE(tails.holds("file:a", 3));
  EXPECT_FALSE(tails.holds("file:a", 4));
  EXPECT_FALSE(tails.holds("file:b", 1)) << "another source";
  // Group 2 (from line 5, resume 4): every line of group 1 was answered.
  tails.note(text("file:a", 6, 4));
  EXPECT_TRUE(tails.holds("file:a", 2));
  EXPECT_TRUE(tails.holds("file:a", 4));
  EXPECT_FALSE(tails.holds("file:a", 5));
  EXPECT_TRUE(tails.holds("file:a", 6));
  EXPECT_FALSE(tails.holds("file:a", 7));
  EXPECT_EQ(tails.last("file:a"), text("file:a", 6, 4));
  EXPECT_EQ(tails.last("file:b"), "");
}

// A record of the previous record's source is read by a shortcut (the name compared, the rest
// read forward when it is digits and separators only); each text reads as the full look reads
// it, which a record of another source in between forces: the same answers, the same tails.
TEST(SourceTails, TheSameSourceAgainReadsAsTheFullLookDoes) {
  const std::vector<std::string> texts = {"file:a@1,10,7/0,0,0",
                                          "file:a@2,20,7/0,0,0",
                                          "file:a@3,x,7/1,0,0",  // not digits: indices read all the same
                                          "file:a@b@4,1,1/0,0,0",
                                          "file:a@5,1,1/0,0,0,9",
                                          "file:a@6,1,1/7,0,0",  // a name with '@'; more; R >= I
                                          "file:a@",
                                          "file:a@7",
                                          "file:a@8,1,1/2,0,0",
                                          "file:a@18446744073709551615,1,1/3,0,0",  // 20 digits: past the shortcut's 19
                                          "file:a@9,1,1/4",
                                          "file:a@10,,/5,,",
                                          "file:ab@11,1,1/0,0,0",
                                          "file:a@12,1,1/0,0,0",
                                          "file:a@1,1,1/0,0,0@13,1,1/0,0,0"};  // the last '@' names the source
  SourceTails shortcut, full;
  for (const std::string& t : texts) {
    EXPECT_TRUE(full.note("other@1,1,1/0,0,0"));  // the previous source is another: the full look
    EXPECT_EQ(shortcut.note(t), full.note(t)) << t;
  }
  for (const char* source : {"file:a", "file:a@b", "file:ab", "file:a@1,1,1/0,0,0"}) {
    EXPECT_EQ(shortcut.last(source), full.last(source)) << source;
    for (uint64_t i = 0; i <= 14; ++i)
      EXPECT_EQ(shortcut.holds(source, i), full.holds(source, i)) << source << " " << i;
  }
  EXPECT_TRUE(shortcut.holds("file:a", 12));
  EXPECT_FALSE(shortcut.holds("file:a", 6));  // its resume was not below it
  EXPECT_EQ(shortcut.last("file:a"), "file:a@18446744073709551615,1,1/3,0,0");
}

TEST(SourceTails, AResumedWritersItemsBelowTheOnesBeforeItAreKeptToo) {
  SourceTails tails;
  tails.note(text("topic:in/0", 9, 4));
  tails.note(text("topic:in/0", 12, 4));
  // A writer resumed from 5 stores item 7, which the one before it stored in no partition.
  tails.note(text("topic:in/0", 7, 5));
  for (uint64_t i : {1, 5, 7, 9, 12}) EXPECT_TRUE(tails.holds("topic:in/0", i)) << i;
  for (uint64_t i : {6, 8, 10, 11, 13}) EXPECT_FALSE(tails.holds("topic:in/0", i)) << i;
  // The text kept is the highest index's, not the latest record's: a writer that starts from this
  // partition knows item 12 is stored without asking (Ledger: above it, nothing is).
  EXPECT_EQ(tails.last("topic:in/0"), text("topic:in/0", 12, 4));
  tails.note(text("topic:in/0", 7, 5));  // noted twice: kept once
  std::string once;
  tails.save(&once);
  SourceTails copy = tails;
  EXPECT_EQ(copy, tails);
}

TEST(SourceTails, ManyGroupsKeepOnlyTheLatestGroupsIndices) {
  SourceTails tails;
  constexpr uint64_t kGroup = 100;
  for (uint64_t line = 1; line <= 100 * kGroup; ++line) tails.note(text("file:a", line, (line - 1) / kGroup * kGroup));
  std::string saved;
  tails.save(&saved);
  // The count, then one source: its text, R, the count of indices kept and the indices.
  EXPECT_EQ(saved.size(), 4 + 4 + tails.last("file:a").size() + 8 + 4 + 8 * kGroup);
  EXPECT_TRUE(tails.holds("file:a", 100 * kGroup));
  EXPECT_FALSE(tails.holds("file:a", 100 * kGroup + 1));
}

TEST(SourceTails, SavedBytesLoadBackAndWhatSaveNeverWritesIsRefused) {
  SourceTails tails;
  tails.note(text("file:b", 3, 1));
  tails.note(text("file:a", 2, 0));
  tails.note(text("file:a", 5, 0));
  EXPECT_FALSE(tails.note("not a position"));
  std::string saved;
  tails.save(&saved);
  ByteReader in(saved);
  SourceTails loaded;
  ASSERT_TRUE(SourceTails::load(in, &loaded).is_ok());
  EXPECT_EQ(in.remaining(), 0u);
  EXPECT_EQ(loaded, tails);
  std::string again;
  loaded.save(&again);
  EXPECT_EQ(again, saved) << "canonical";
  std::vector<std::string> lasts;
  loaded.for_each_last([&](std::string_view t) { lasts.emplace_back(t); });
  EXPECT_EQ(lasts, (std::vector<std::string>{text("file:a", 5, 0), text("file:b", 3, 1)}));

  auto section = [](const std::vector<std::tuple<std::string, uint64_t, std::vector<uint64_t>>>& entries) {
    std::string out;
    put<uint32_t>(&out, static_cast<uint32_t>(entries.size()));
    for (const auto& [t, resume, after] : entries) {
      put(&out, t);
      put<uint64_t>(&out, resume);
      put<uint32_t>(&out, static_cast<uint32_t>(after.size()));
      for (uint64_t i : after) put<uint64_t>(&out, i);
    }
    return out;
  };
  auto load = [](const std::string& bytes) {
    ByteReader r(bytes);
    SourceTails fresh;
    return SourceTails::load(r, &fresh).code();
  };
  EXPECT_EQ(load(section({{text("a", 5, 2), 2, {3, 5}}})), Code::kOk);
  EXPECT_EQ(load(section({{text("a", 5, 2), 2, {5, 3}}})), Code::kCorruption) << "not ascending";
  EXPECT_EQ(load(section({{text("a", 5, 2), 2, {2, 5}}})), Code::kCorruption) << "at or below R";
  EXPECT_EQ(load(section({{text("a", 5, 2), 1, {5}}})), Code::kCorruption) << "R below the text's own";
  EXPECT_EQ(load(section({{text("b", 5, 2), 2, {5}}, {text("a", 5, 2), 2, {5}}})), Code::kCorruption) << "order";
  EXPECT_EQ(load(section({{text("a", 5, 2), 2, {3}}})), Code::kCorruption) << "the text's index not kept";
  EXPECT_EQ(load(section({{"a@5", 2, {}}})), Code::kCorruption) << "not a position";
  std::string cut = section({{text("a", 5, 2), 2, {3, 5}}});
  cut.resize(cut.size() - 1);
  EXPECT_EQ(load(cut), Code::kCorruption) << "truncated";
  std::string huge = section({{text("a", 5, 2), 2, {}}});
  huge[huge.size() - 4] = '\xff';  // a count of indices far past the bytes there
  EXPECT_EQ(load(huge), Code::kCorruption);
}

}  // namespace
}  // namespace dimona

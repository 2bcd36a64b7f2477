// Read models registered with the Projector (projections/read_model.h; issue
// 12, item 1): each in a named, versioned checkpoint section; a model new to a
// checkpoint, or of another version, is folded again alone from the log while
// everything else keeps the checkpoint's state.
#include "projections/read_model.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <string>

#include "engine/base/bytes.h"
#include "projections/projector.h"
#include "tests/projections/generated_year.h"

namespace dimona {
namespace {

using testing::TempDir;

// Counts the events of its partition and remembers the last offset: easy to check against the log.
class EventCount final : public ReadModel {
 public:
  static constexpr std::string_view kName = "event_count";
  explicit EventCount(uint32_t version, int* applied) : version_(version), applied_(applied) {}
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return version_; }
  void apply(const Event&, Offset offset) override {
    ++count_;
    last_ = offset;
    ++*applied_;
  }
  void save(std::string* out) const override {
    put(out, count_);
    put(out, last_);
  }
  Status load(std::string_view bytes) override {
    ByteReader r(bytes);
    if (!r.get(&count_) || !r.get(&last_) || r.remaining() != 0) return corruption("not an event count");
    return Status::ok();
  }
  uint64_t count() const { return count_; }

 private:
  uint32_t version_;
  int* applied_;
  uint64_t count_ = 0;
  Offset last_ = 0;
};

class ReadModelTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kPartitions = 3;
  static void SetUpTestSuite() {
    log_ = testing::memory_log(kPartitions).release();  // NOLINT: suite-lifetime fixture
    testing::ingest_generated_year(*log_, 200, 5);
  }
  static void TearDownTestSuite() { delete log_; }  // NOLINT

  ProjectorOptions options(std::optional<uint32_t> count_version) {
    ProjectorOptions o;
    o.checkpoint_path = dir_.file("checkpoint.db");
    o.read_models = standard_read_models();
    if (count_version)
      o.read_models.push_back([this, v = *count_version] { return std::make_unique<EventCount>(v, &applied_); });
    return o;
  }
  std::unique_ptr<Projector> caught_up(const ProjectorOptions& o) {
    Result<std::unique_ptr<Projector>> p = Projector::open(*log_, o);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    EXPECT_TRUE((*p)->catch_up().is_ok());
    return std::move(*p);
  }

  static Log* log_;
  TempDir dir_;
  int applied_ = 0;
};

Log* ReadModelTest::log_ = nullptr;

TEST_F(ReadModelTest, ANewModelIsFoldedAloneAndTheOthersKeepTheCheckpoint) {
  std::unique_ptr<Projector> before = caught_up(options(std::nullopt));
  const std::string exported = testing::export_of(*before);
  uint64_t events = 0;
  for (uint32_t p = 0; p < kPartitions; ++p) events += before->offset(p);

  // Registered now: the checkpoint has no section for it; it alone reads the log again.
  std::unique_ptr<Projector> with_count = caught_up(options(1));
  EXPECT_EQ(applied_, static_cast<int>(events));
  for (uint32_t p = 0; p < kPartitions; ++p) {
    ASSERT_NE(with_count->find_model<EventCount>(p), nullptr);
    EXPECT_EQ(with_count->find_model<EventCount>(p)->count(), before->offset(p));
  }
  EXPECT_EQ(testing::export_of(*with_count), exported);
  ASSERT_TRUE(with_count->checkpoint().is_ok());

  // Its section is in the checkpoint now: loaded, not folded.
  applied_ = 0;
  std::unique_ptr<Projector> again = caught_up(options(1));
  EXPECT_EQ(applied_, 0);
  EXPECT_EQ(again->find_model<EventCount>(0)->count(), before->offset(0));
  EXPECT_EQ(again->state_hash(), with_count->state_hash());

  // Another version: folded again, as if new.
  std::unique_ptr<Projector> bumped = caught_up(options(2));
  EXPECT_EQ(applied_, static_cast<int>(events));
  EXPECT_EQ(bumped->find_model<EventCount>(1)->count(), before->offset(1));

  // Unregistered again: its section is ignored, the rest loads.
  std::unique_ptr<Projector> without = caught_up(options(std::nullopt));
  EXPECT_EQ(without->find_model<EventCount>(0), nullptr);
  EXPECT_EQ(testing::export_of(*without), exported);
}

TEST_F(ReadModelTest, ASectionItsModelCannotLoadIsCorruption) {
  caught_up(options(1));  // writes sections for the anomalies, the declarations and the count
  // A count of another size under the same name and version: refused by its model, named.
  class Wider final : public ReadModel {
   public:
    std::string_view name() const override { return EventCount::kName; }
    uint32_t version() const override { return 1; }
    void apply(const Event&, Offset) override {}
    void save(std::string* out) const override { out->append("12345"); }
    Status load(std::string_view) override { return Status::ok(); }
  };
  ProjectorOptions wide = options(std::nullopt);
  wide.read_models.push_back([] { return std::make_unique<Wider>(); });
  // Written by a projector that folded from the start: one that loaded the checkpoint and folded
  // nothing since writes no copy of it (Projector::checkpoint).
  std::filesystem::remove(wide.checkpoint_path);
  std::unique_ptr<Projector> writer = caught_up(wide);
  ASSERT_TRUE(writer->checkpoint().is_ok());
  Result<std::unique_ptr<Projector>> reader = Projector::open(*log_, options(1));
  ASSERT_FALSE(reader.is_ok());
  EXPECT_EQ(reader.status().code(), Code::kCorruption);
  EXPECT_NE(reader.status().message().find("event_count"), std::string::npos) << reader.status().to_string();
}

}  // namespace
}  // namespace dimona

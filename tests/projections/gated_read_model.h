// GatedReadModel: a read model for tests of a deferred load (projector.h "Serve at once") that
// holds the load of one partition's checkpoint section until the test opens its gate, so a test
// can see a projector, a service or a server with that partition still loading, for as long as
// it needs, without a sleep. It keeps nothing (an empty section); registered beside the
// standard models by gated_read_models(). The models are numbered as a Projector builds them
// (partition 0's first, in order), so the n-th model made belongs to partition n % partitions.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "projections/projector.h"
#include "projections/read_model.h"

namespace dimona::testing {

struct Gate {
  explicit Gate(uint32_t count) : partitions(count), opened(open.get_future().share()) {}
  const uint32_t partitions;
  std::atomic<int64_t> held{-1};  // the partition whose load waits (-1: none)
  std::atomic<uint32_t> made{0};
  std::promise<void> open;
  std::shared_future<void> opened;
  void release() { open.set_value(); }
};

class GatedReadModel final : public ReadModel {
 public:
  static constexpr std::string_view kName = "gate";
  GatedReadModel(std::shared_ptr<Gate> gate, uint32_t partition) : gate_(std::move(gate)), partition_(partition) {}
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return 1; }
  void apply(const Event&, Offset) override {}
  void save(std::string*) const override {}
  Status load(std::string_view) override {
    if (gate_->held.load() == static_cast<int64_t>(partition_)) gate_->opened.wait();
    return Status::ok();
  }

 private:
  std::shared_ptr<Gate> gate_;
  uint32_t partition_;
};

inline std::vector<ReadModelFactory> gated_read_models(const std::shared_ptr<Gate>& gate) {
  std::vector<ReadModelFactory> models = standard_read_models();
  models.push_back(
      [gate] { return std::make_unique<GatedReadModel>(gate, gate->made.fetch_add(1) % gate->partitions); });
  return models;
}

}  // namespace dimona::testing

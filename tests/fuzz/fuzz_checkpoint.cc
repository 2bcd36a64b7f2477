// Fuzz target: the checkpoint loader. The input is one partition's checkpoint
// bytes (the LedgerState's length as u64 LE, its bytes, then the
// AnomalyLog's), saved by the real CheckpointStore into a SQLite file and
// loaded by Projector::open, as `serve` and `replay` do at start. Properties:
// no crash or sanitizer report; a state that loads saves and loads again to
// the same bytes; every read model exports from it without failing.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/ledger_state.h"
#include "engine/memory_log.h"
#include "projections/anomaly_log.h"
#include "projections/checkpoint_store.h"
#include "projections/export.h"
#include "projections/projector.h"
#include "tests/fuzz/fuzz_util.h"

namespace dimona::fuzz {
namespace {

const std::string& checkpoint_path() {
  static const std::string path = scratch_dir() + "/checkpoint.db";
  return path;
}

CheckpointStore& store() {
  static std::unique_ptr<CheckpointStore> s = [] {
    Result<std::unique_ptr<CheckpointStore>> opened = CheckpointStore::open(checkpoint_path());
    FUZZ_CHECK(opened.is_ok());
    return std::move(*opened);
  }();
  return *s;
}

template <typename State>
void check_round_trip(const State& loaded) {
  std::string once;
  loaded.save(&once);
  State again;
  FUZZ_CHECK(State::load(once, &again).is_ok());
  std::string twice;
  again.save(&twice);
  FUZZ_CHECK(once == twice);
}

}  // namespace
}  // namespace dimona::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dimona;
  Checkpoint checkpoint;
  checkpoint.partitions.push_back(PartitionCheckpoint{0, std::string(reinterpret_cast<const char*>(data), size)});
  FUZZ_CHECK(fuzz::store().save(checkpoint).is_ok());
  MemoryLog log(1);
  ProjectorOptions options;
  options.checkpoint_path = fuzz::checkpoint_path();
  Result<std::unique_ptr<Projector>> projector = Projector::open(log, options);
  if (!projector.is_ok()) return 0;
  fuzz::check_round_trip((*projector)->partition(0));
  fuzz::check_round_trip((*projector)->anomalies(0));
  FUZZ_CHECK(export_read_models(**projector, [](std::string_view) { return Status::ok(); }).is_ok());
  return 0;
}

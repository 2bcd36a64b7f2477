// Fuzz target: the checkpoint loader. One partition's checkpoint bytes (the
// LedgerState's length as u64 LE, its bytes, then the read models' sections:
// a count, then per model its name, version and length-prefixed bytes;
// projections/read_model.h) are saved
// by the real CheckpointStore into a SQLite file and loaded by
// Projector::open, as `serve` and `replay` do at start. Each state ends in
// its CRC32C, so the input says how to build the bytes:
//
//   input = 0x01 bytes                     the partition's bytes as stored
//         | flags ledger_length:u32 ledger anomalies
//                                          (flags bit 0 clear) each part gets
//                                          its CRC appended, so the fuzzer
//                                          reaches the parsers behind them;
//                                          the other read models have no
//                                          section and are folded again
//                                          (from an empty log); each has its
//                                          own target or a corpus seed of
//                                          the first form (the consultation
//                                          log: partition-consultations-stored.bin;
//                                          the career-break and access
//                                          indexes: partition-0-stored.bin,
//                                          whose actions fill both)
//
// Properties: no crash or sanitizer report; a state that loads saves and
// loads again to the same bytes; every read model exports from it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/crc32c.h"
#include "engine/ledger_state.h"
#include "engine/log/log.h"
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

void append_le(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string partition_bytes(std::string_view input) {
  if (input.empty() || (input[0] & 1)) return std::string(input.substr(input.empty() ? 0 : 1));
  input.remove_prefix(1);
  uint32_t ledger_length = 0;
  for (int i = 0; i < 4 && !input.empty(); ++i) {
    ledger_length |= uint32_t{static_cast<unsigned char>(input[0])} << (8 * i);
    input.remove_prefix(1);
  }
  const std::string_view ledger = input.substr(0, ledger_length);
  const std::string_view anomalies = input.substr(ledger.size());
  std::string out;
  append_le(&out, ledger.size() + 4, 8);
  out.append(ledger);
  append_le(&out, crc32c(ledger.data(), ledger.size()), 4);
  append_le(&out, 1, 4);  // one read model's section: the anomaly log's (the others are folded again: none here)
  out.push_back(static_cast<char>(AnomalyLog::kName.size()));
  out.append(AnomalyLog::kName);
  append_le(&out, AnomalyLog::kVersion, 4);
  append_le(&out, anomalies.size() + 4, 8);
  out.append(anomalies);
  append_le(&out, crc32c(anomalies.data(), anomalies.size()), 4);
  return out;
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
  static uint64_t sequence = 0;  // the store keeps a history: each save is the next checkpoint
  Checkpoint checkpoint;
  checkpoint.sequence = ++sequence;
  checkpoint.partitions.push_back(
      PartitionCheckpoint{0, fuzz::partition_bytes(std::string_view(reinterpret_cast<const char*>(data), size))});
  FUZZ_CHECK(fuzz::store().save(checkpoint).is_ok());
  LogOptions log_options;
  log_options.partitions = 1;
  Result<std::unique_ptr<Log>> log_opened = open_log("memory:", log_options);
  DIMONA_ASSERT(log_opened.is_ok());
  Log& log = **log_opened;
  ProjectorOptions options;
  options.checkpoint_path = fuzz::checkpoint_path();
  Result<std::unique_ptr<Projector>> projector = Projector::open(log, options);
  if (!projector.is_ok()) return 0;
  fuzz::check_round_trip((*projector)->partition(0));
  fuzz::check_round_trip((*projector)->anomalies(0));
  fuzz::check_round_trip((*projector)->citizens(0));
  fuzz::check_round_trip((*projector)->model<ConsultationLog>(0));
  fuzz::check_round_trip((*projector)->model<CareerBreakIndex>(0));
  fuzz::check_round_trip((*projector)->model<AccessIndex>(0));
  FUZZ_CHECK(export_read_models(**projector, [](std::string_view) { return Status::ok(); }).is_ok());
  return 0;
}

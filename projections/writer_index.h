// WriterIndex: what a writer needs of a partition, beyond its LedgerState,
// to start from the read side's state instead of folding the partition from
// offset 0 (Ledger::open's seed, engine/ledger.h; issue 11 item 2;
// docs/kafka.md "Each event folded once"): where each input source stands
// in it, and the id serials its events used.
//
// Contract. apply_record() notes the record's source position in the
// partition's SourceTails (engine/source_tails.h: per source, the latest
// text and exactly which of its items the partition stores past the latest
// resume mark), and moves the id serials past the ledger-assigned ids of the
// event (note_ledger_ids, the writer's own rule, one serial per partition of
// the log). That is what a writer's fold of the partition keeps
// (Ledger::source_positions, its redelivery check, its serials). A record
// without a source (a REST write) moves only the serials; plain apply() (no
// record: a citizen's past read by offset) changes nothing: such a state is a
// view no writer starts from. save()/load() give a checkpoint section (magic,
// the serials, the tails, CRC32C): canonical; load() refuses what
// SourceTails::load refuses. Not thread-safe: one partition's fold at a time,
// queries after it, as every read model.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/event.h"
#include "engine/log/log.h"
#include "engine/source_tails.h"
#include "projections/read_model.h"

namespace dimona {

class WriterIndex final : public ReadModel {
 public:
  static constexpr std::string_view kName = "writer";
  static constexpr uint32_t kVersion = 2;  // 2: the tails (1: the latest text per source)
  WriterIndex() = default;
  WriterIndex(const WriterIndex&) = delete;
  WriterIndex& operator=(const WriterIndex&) = delete;
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return kVersion; }
  Status load(std::string_view bytes) override { return load(bytes, this); }

  void apply(const Event&, Offset) override {}  // a source and a partition are the record's, not the event's
  void apply_record(const Event& event, Offset offset, const FoldedRecord& record) override;

  // Where each input source stands in this partition.
  const SourceTails& tails() const { return tails_; }
  // Per partition of the log, the next serial its ids take past the ids this partition's events
  // hold (empty before the first event).
  const std::vector<uint64_t>& serials() const { return serials_; }

  void save(std::string* out) const override;
  [[nodiscard]] static Status load(std::string_view bytes, WriterIndex* index);

 private:
  SourceTails tails_;
  std::vector<uint64_t> serials_;
};

}  // namespace dimona

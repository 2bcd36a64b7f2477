// ReadModel: a read model the Projector folds per partition beside the
// LedgerState the decisions share (issue 12, item 1; docs/checkpoints.md).
//
// Contract. A read model is registered with the Projector by a factory
// (ProjectorOptions::read_models; standard_read_models() are the ledger's
// own: the anomaly log, the declaration log and the citizen index); the Projector makes one per
// partition and folds every event of that partition into it, in offset order,
// once. apply() is a pure fold: deterministic, no I/O, no clock. save() writes
// the model's bytes, canonical (the same events give the same bytes, whatever
// restarts or checkpoints came between: the state hash covers them); load()
// reads them back into an empty model, refusing bytes it did not write with
// kCorruption. Each model's bytes are a checkpoint section of their own, named
// by name() (unique among the registered, 1..limits::read_model_name_bytes_max
// bytes of [a-z_]) and versioned by version(): a checkpoint whose section for a
// model is missing or of another version is still used for everything else,
// and that model alone is folded again from its partition's start (the
// Projector's backfill), so adding or changing a read model costs one fold of
// that model, never the other models' checkpoints. Not thread-safe: one
// partition's fold at a time; queries after it, as the Projector's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/event.h"
#include "engine/log/log.h"

namespace dimona {

// What a fold knows of an event beyond the event itself.
struct FoldedRecord {
  // The record's source position (LogRecordDraft::source); empty when it has none, or when the
  // fold reads events without their records (a citizen's past read by offset).
  std::string_view source;
  uint32_t partition = 0;   // the partition being folded
  uint32_t partitions = 1;  // the log's partition count
};

class ReadModel {
 public:
  virtual ~ReadModel() = default;
  virtual std::string_view name() const = 0;
  virtual uint32_t version() const = 0;
  virtual void apply(const Event& event, Offset offset) = 0;
  // apply() with what the fold knows of the event's record (FoldedRecord).
  // Only a model that keeps more than the events say (WriterIndex) looks at it.
  virtual void apply_record(const Event& event, Offset offset, const FoldedRecord& record) {
    (void)record;
    apply(event, offset);
  }
  virtual void save(std::string* out) const = 0;
  [[nodiscard]] virtual Status load(std::string_view bytes) = 0;
};

using ReadModelFactory = std::function<std::unique_ptr<ReadModel>()>;

// The ledger's own read models, in their checkpoint order: AnomalyLog ("anomalies"), DeclarationLog
// ("declarations"), CitizenIndex ("citizens"), ConsultationLog ("consultations"), CareerBreakIndex
// ("career_breaks"), AccessIndex ("access"), WriterIndex ("writer").
std::vector<ReadModelFactory> standard_read_models();

}  // namespace dimona

// FenceFilter: which records of a partition are events to fold (log.h, "Fence").
//
// Contract. One FenceFilter per partition, fed that partition's records in
// offset order, each once, from any starting offset O, constructed with the
// fence in effect at O: the offset of the latest fence record before O, or
// kNoEpoch when there is none (a reader from offset 0; a checkpoint keeps it
// beside its offset). admit() answers true for a record to fold: its epoch is
// the latest fence's offset (a record without an epoch while no fence came
// before it). false for a fence record (which becomes the latest fence) and
// for a record fenced out: its epoch is an older fence's (a zombie writer's),
// or it has none after a fence (a writer from before fencing). kCorruption
// for an epoch no fence record can have given: at or past its own offset, or
// newer than the latest fence before it; and for a fence record at or before
// the latest fence (records out of order, or a wrong starting fence). The
// common case costs one integer comparison. Not thread-safe (one reader).
#pragma once

#include "engine/base/status.h"
#include "engine/log/log.h"

namespace dimona {

class FenceFilter {
 public:
  explicit FenceFilter(Offset fence = kNoEpoch) : fence_(fence) {}

  // `record`: a LogRecord or a LogRecordView.
  template <typename Record>
  Result<bool> admit(const Record& record) {
    if (record.epoch == fence_) [[likely]] return true;
    return admit_other(record.partition, record.offset, record.epoch);
  }
  // The offset of the latest fence admitted (or given), kNoEpoch when none.
  Offset fence() const { return fence_; }

 private:
  Result<bool> admit_other(uint32_t partition, Offset offset, Offset epoch);

  Offset fence_;
};

}  // namespace dimona

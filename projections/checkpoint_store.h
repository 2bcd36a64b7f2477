// CheckpointStore: the projector's checkpoints in a SQLite file.
//
// Contract. save() writes every partition's state bytes and offset, and the
// log's partition count, in one transaction (synchronous=FULL): a crash
// leaves the previous checkpoint or the new one whole, never a mix. load()
// returns the latest, checking its format version, its partition count and
// that offsets only grew (an assertion when saving, kCorruption when
// loading). kFailedPrecondition for another format version, with the way out
// in the message. Crash points and recovery: docs/checkpoints.md. Only this
// file and the embedded log (engine/log/) include sqlite3.h. One thread at a time.
// A checkpoint that cannot be used is never repaired: set_aside_checkpoint()
// renames it (with its -wal and -shm) so the state is rebuilt from the log,
// the only source of truth (docs/operations.md).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/log/log.h"

namespace dimona {

inline constexpr int64_t kCheckpointFormatVersion = 5;  // 2: a partition holds its AnomalyLog; 3: its action state; 4: its DeclarationLog; 5: its CitizenIndex

struct PartitionCheckpoint {
  Offset offset = 0;   // the next offset to fold
  std::string state;   // LedgerState, AnomalyLog, DeclarationLog bytes (each length-prefixed) then CitizenIndex bytes
};

struct Checkpoint {
  uint64_t sequence = 0;
  std::vector<PartitionCheckpoint> partitions;
};

class CheckpointStore {
 public:
  static Result<std::unique_ptr<CheckpointStore>> open(const std::string& path);
  ~CheckpointStore();

  Status save(const Checkpoint& checkpoint);  // assigns the next sequence
  Result<std::optional<Checkpoint>> load();

 private:
  struct Impl;
  struct Key {
    explicit Key() = default;
  };

 public:
  CheckpointStore(Key, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Renames the checkpoint file `path` and its -wal and -shm (those present) to
// PATH.corrupt-YYYYMMDDTHHMMSSZ (`now`, UTC; -N appended when taken) and
// returns that name. kIoError when a rename fails.
Result<std::string> set_aside_checkpoint(const std::string& path, Instant now);

}  // namespace dimona

// CheckpointStore: the projector's checkpoints in a SQLite file, with their history.
//
// Contract. save() writes every partition's state bytes and offset, the
// log's partition count, the checkpoint's ledger time (the latest recordedAt
// folded) and its state hash, in one transaction (synchronous=FULL): a crash
// leaves the previous checkpoints or the new one whole, never a mix. It keeps
// at most `keep` checkpoints (>= 1; the newest always): past that, it drops
// the older checkpoint whose removal leaves the smallest gap of events
// between its neighbours (the log's start before the first), so the kept
// ones stay spread over the log (docs/audit.md) — the starting points of
// `audit rebuild --as-of`, each folding about events / keep at most.
// load() returns the latest, load_before(T) the latest whose ledger time is
// at or before T (every event it folded was recorded by T: a prefix of each
// partition, recordedAt being non-decreasing there), list() what is kept,
// oldest first, without the states. Loads check the partition count and the
// offsets (an assertion when saving that they only grew, kCorruption when
// loading). kFailedPrecondition for another format version, with the way out
// in the message; format 7 is upgraded to 8 in place (each partition without a fence). Crash points and recovery: docs/checkpoints.md. Only this
// file and the embedded log (engine/log/) include sqlite3.h. One thread at a time.
// A checkpoint that cannot be used is never repaired: set_aside_checkpoint()
// renames it (with its -wal and -shm) so the state is rebuilt from the log,
// the only source of truth (docs/operations.md).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/base/time.h"
#include "engine/log/log.h"

namespace dimona {

// 2: a partition holds its AnomalyLog; 3: its action state; 4: its DeclarationLog;
// 5: a history of checkpoints, each with its ledger time and state hash;
// 6: a partition's read models each in a named, versioned section (read_model.h);
// 7: the consultations (who looked) in the action state (LedgerState version 5);
// 8: each partition's fence in effect at its offset (engine/log/fence.h); a
// format-7 file is upgraded in place at open (its partitions had no fence:
// a build reading format 7 could not fold a fence record);
// 9: the states in a rowid table, each row's state last (a seek or a fence
// read no longer reads states; a partition is read alone: "Serve at once"
// in projector.h); formats 7 and 8 are upgraded in place at open.
inline constexpr int64_t kCheckpointFormatVersion = 9;

struct PartitionCheckpoint {
  Offset offset = 0;   // the next offset to fold
  std::string state;   // LedgerState bytes (length-prefixed), then the read models' sections (projector.cc)
  // The offset of the latest fence record before `offset` (kNoEpoch: none),
  // where a reader resuming at `offset` starts its FenceFilter. Not part of
  // the state hash: like the offset's meaning, it follows from the log.
  Offset fence = kNoEpoch;
};

struct Checkpoint {
  uint64_t sequence = 0;
  Instant ledger_time;     // the latest recordedAt folded; 0 when nothing is
  std::string state_hash;  // 32 bytes: state_hash.h over the partitions' offsets and states
  std::vector<PartitionCheckpoint> partitions;
};

// A kept checkpoint without its states (list()).
struct CheckpointSummary {
  uint64_t sequence = 0;
  Instant ledger_time;
  std::string state_hash;
  std::vector<Offset> offsets;  // per partition
};

class CheckpointStore {
 public:
  static Result<std::unique_ptr<CheckpointStore>> open(const std::string& path);
  ~CheckpointStore();

  // Writes `checkpoint` (its sequence must exceed every kept one's) and keeps at most `keep`.
  Status save(const Checkpoint& checkpoint, size_t keep = 1);
  // save(), the partitions made one at a time: `make(p)` gives partition p's checkpoint, which
  // is hashed, written and dropped before partition p + 1 is made, so a save holds one
  // partition's bytes, not the whole state's twice over (issue 13 item 3: the peak RSS). The
  // state hash (state_hash_of) is computed as they pass, written, and returned. An error from
  // `make` rolls the whole checkpoint back.
  using PartitionMaker = std::function<Result<PartitionCheckpoint>(uint32_t)>;
  Result<std::string> save_each(uint64_t sequence, Instant ledger_time, uint32_t partitions, const PartitionMaker& make,
                                size_t keep = 1);
  Result<std::optional<Checkpoint>> load();
  Result<std::optional<Checkpoint>> load_before(Instant at);
  // load() (load_before(*before) when given), each partition's checkpoint handed to `take`
  // (its index, the partition count, the partition) as soon as it is read, in partition order,
  // instead of kept: the caller loads one while the next is read. The Checkpoint returned keeps
  // each partition's offset and fence, its state empty. An error from `take` stops the read.
  using PartitionTaker = std::function<Status(uint32_t, uint32_t, PartitionCheckpoint&&)>;
  Result<std::optional<Checkpoint>> load_each(std::optional<Instant> before, const PartitionTaker& take);
  // Partition by partition, in any order (a deferred load, projector.h "Serve at once"):
  // begin_partial_load() opens a read transaction, so a checkpoint saved meanwhile (by this
  // store or another) changes nothing it reads, and returns the latest checkpoint with its
  // offsets and fences checked as load() checks them, states empty (nullopt: none);
  // load_partition(p) reads partition p of that checkpoint whole (offset, state, fence checked);
  // end_partial_load() closes the transaction (so does the destructor). The store is the
  // caller's alone meanwhile: no save() between begin and end.
  Result<std::optional<Checkpoint>> begin_partial_load();
  Result<PartitionCheckpoint> load_partition(uint32_t p);
  // Parts of partition p's state bytes in that checkpoint, without reading the rest (a read
  // model's section alone, for a reader that cannot wait for the whole partition: projector.h
  // "Serve at once"): `walk` is handed a reader of `length` bytes from `at` (kCorruption past the
  // state's end), all read through one handle of SQLite's incremental blob I/O, which reads the
  // pages it passes over only to find where they lead; `walk`'s answer is the answer.
  using RangeReader = std::function<Result<std::string>(uint64_t at, uint64_t length)>;
  Status read_partition_bytes(uint32_t p, const std::function<Status(const RangeReader&)>& walk);
  void end_partial_load();
  Result<std::vector<CheckpointSummary>> list();

 private:
  struct Impl;
  Result<std::optional<Checkpoint>> read(std::optional<Instant> before, const PartitionTaker* take, bool states = true);
  // save() and save_each(): with `state_hash`, that hash is written; without, the partitions'.
  Result<std::string> write(uint64_t sequence, Instant ledger_time, uint32_t partitions, const PartitionMaker& make,
                            const std::string* state_hash, size_t keep);
  struct Key {
    explicit Key() = default;
  };

 public:
  CheckpointStore(Key, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// The state hash (32 bytes of SHA-256) of a projector's partitions: over
// "dimona-state-1", the partition count, then per partition its next offset
// and its state bytes (each length first, u64 LE). The states' bytes are
// canonical (the same events give the same bytes, whatever the threads,
// restarts or checkpoints on the way), so equal hashes mean equal states at
// equal offsets: what `audit verify` and GET /v1/audit/stateHash compare.
std::string state_hash_of(const std::vector<PartitionCheckpoint>& partitions);
// The same hash fed one partition at a time, in partition order: add() exactly `partitions`
// times (asserted), then finish() once.
class StateHasher {
 public:
  explicit StateHasher(uint64_t partitions);
  ~StateHasher();
  StateHasher(const StateHasher&) = delete;
  StateHasher& operator=(const StateHasher&) = delete;
  void add(Offset offset, std::string_view state);
  std::string finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  uint64_t expected_ = 0;
  uint64_t added_ = 0;
};
// Lower-case hexadecimal of `bytes`.
std::string to_hex(std::string_view bytes);

// Renames the checkpoint file `path` and its -wal and -shm (those present) to
// PATH.corrupt-YYYYMMDDTHHMMSSZ (`now`, UTC; -N appended when taken) and
// returns that name. kIoError when a rename fails.
Result<std::string> set_aside_checkpoint(const std::string& path, Instant now);

}  // namespace dimona

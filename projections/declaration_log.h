// DeclarationLog: where each declaration is in its partition's log, so that
// GET /v1/declarations/{id} answers for any declaration — posted to this
// process or another, imported in batch, before or after a restart.
//
// Contract. apply(event, offset) records, for each of the four Dimona
// declaration events, its declaration id and its offset in the partition
// being folded (other events are ignored); it is pure and deterministic like
// every fold, and the last offset wins for an id seen twice (a redelivery
// folds the same event at the same offset). The read model keeps only that,
// in about 8 bytes a declaration (an AscendingMap: a partition's ids and
// offsets both grow as a writer appends); the decision itself is read back
// from the log, the one source of truth, by find_declaration(). save()/load()
// give the bytes of a checkpoint section (magic, count, pairs in id order,
// CRC32C): canonical, the same events giving the same bytes however the
// table came to be (the state hash, checkpoint_store.h, relies on it).
// Not thread-safe: one log per partition fold; queries after the fold, under
// the reader's lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/ascending_map.h"
#include "engine/base/status.h"
#include "engine/event.h"
#include "engine/log/log.h"
#include "projections/read_model.h"

namespace dimona {

class Projector;

class DeclarationLog final : public ReadModel {
 public:
  static constexpr std::string_view kName = "declarations";
  static constexpr uint32_t kVersion = 1;
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return kVersion; }
  Status load(std::string_view bytes) override { return load(bytes, this); }

  void apply(const Event& event, Offset offset) override;
  // The offset of the declaration in this partition, or nullopt.
  std::optional<Offset> find(DeclarationId id) const { return offsets_.find(id.value); }
  size_t size() const { return offsets_.size(); }

  void save(std::string* out) const override;
  [[nodiscard]] static Status load(std::string_view bytes, DeclarationLog* log);

 private:
  AscendingMap offsets_;  // declaration id -> offset
};

// A declaration as the log holds it: who declared (the employer of the
// declaration, or of the period it addressed when it named none), what was
// decided, and where it is.
struct DeclarationStatus {
  DeclarationId id;
  DeclarationKind kind = DeclarationKind::kIn;
  uint64_t employer = 0;  // employer_key(); 0 when neither the declaration nor a known period says
  Decision decision;
  uint32_t partition = 0;
  Offset offset = 0;
};

// The declaration `id`, read from the log at the offset the projector's
// index gives; nullopt when no partition has folded it. An I/O or decode
// failure of the log is its Status.
Result<std::optional<DeclarationStatus>> find_declaration(const Projector& projector, DeclarationId id);

}  // namespace dimona

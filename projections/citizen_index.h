// CitizenIndex: where each citizen's events are in their partition's log, so
// that a citizen's history and a citizen's state as of an instant
// (Projector::of_citizen) read that citizen's events only, never a scan of
// the partition (issue 12, items 4 and 8).
//
// Contract. Which events are a citizen's: exactly those whose envelope
// `ssin` is the citizen's (Event::ssin, the partition key). The writer sets
// it to the worker the decision found (Decision::worker for a declaration:
// the IN's worker, or the addressed period's for an UPDATE, OUT or CANCEL;
// ActionOutcome::worker for an action: the student of an attestation, the
// citizen of a data-access request, grant, refusal or revocation, the worker
// of an occupation quarter, pension entry, career-break request or
// notification, the addressee of an archived inbox message). These are the
// events the read models of state_of(ssin) fold for that citizen. Events
// with ssin 0 (quota definitions, declarations whose worker is unknown or
// invalid, employer settings) belong to no citizen and are not indexed.
//
// apply(event, offset) appends `offset` to the citizen's list when it is
// past the last one recorded (a redelivery at or below it changes nothing),
// so each list is strictly increasing; it is pure and deterministic like
// every fold. Memory: per citizen a 48-byte slot (SSIN key, last offset,
// count, the offsets as LEB128 varints of their differences in one string:
// inline up to 15 bytes, about five events, then on the heap) and about one
// to three bytes per event. save()/load() give the bytes of a checkpoint
// section (magic, count, per citizen in SSIN order its SSIN, last offset,
// event count and varints, then a CRC32C: the same index gives the same
// bytes however it was built); load() checks every SSIN (1 to 11 digits),
// every varint, the sums against the last offset and refuses any other bytes
// with kCorruption. Limits:
// limits::citizen_index_varint_bytes_max. Not thread-safe: one index per
// partition fold; queries after the fold, under the reader's lock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/flat_map.h"
#include "engine/base/status.h"
#include "engine/event.h"
#include "engine/log/log.h"
#include "projections/read_model.h"

namespace dimona {

class CitizenIndex final : public ReadModel {
 public:
  static constexpr std::string_view kName = "citizens";
  static constexpr uint32_t kVersion = 1;
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return kVersion; }
  Status load(std::string_view bytes) override { return load(bytes, this); }

  void apply(const Event& event, Offset offset) override;

  // The offsets of the citizen's events in this partition, increasing; empty when none.
  std::vector<Offset> offsets(Ssin citizen) const;
  // How many events the citizen has in this partition.
  uint64_t count(Ssin citizen) const;
  size_t citizens() const { return entries_.size(); }

  void save(std::string* out) const override;
  [[nodiscard]] static Status load(std::string_view bytes, CitizenIndex* index);

 private:
  struct Entry {
    Offset last = 0;      // the last offset appended (valid when count > 0)
    uint32_t count = 0;   // events; 2^32 per citizen is far beyond any life
    std::string deltas;   // the first offset, then each difference (>= 1), as varints
  };
  FlatMap<Entry> entries_;  // SSIN -> its events
};

}  // namespace dimona

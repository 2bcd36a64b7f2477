// AccessIndex: which attestations each citizen has and which carry each
// access code, which data-access requests each employer made, which of
// them each citizen answered, and which Interim@work overviews each citizen
// sent to their eBox — the lists behind the access-code check (seed 002),
// the citizen's attestations, inbox and consents, and the employer's
// requests (seed 003).
//
// Contract. A read model (read_model.h), registered among the standard ones:
// apply(event, offset) lists the id of every accepted attestation (under its
// citizen and its access code), data-access request (under its employer) and
// answer to a request, grant or refusal (the request's id, under the citizen
// who answered) and overview sent to an eBox (under its citizen, with its
// offset: overview_send_offset; version 3),
// of the partition being folded, and ignores every other
// event; pure and deterministic like every fold. The records themselves stay
// in the engine's state, which the decisions read by id
// (ActionState::attestation(), request(), answer()); only these lists, which
// no decision reads, live here (issue 12 item 1: the engine keeps what
// decisions need). The engine's fold refused a record without its parties, and
// a request or an answer that reuses an id (kCorruption), before any read model
// sees the event, so every id listed names a record of the same partition's
// LedgerState; an attestation folded twice (a duplicated event, which
// `replay --rebuild` reports) is listed once. The for_each_*
// functions give ids newest first, walking one key's chain. save()/load()
// give the bytes of a checkpoint section (section.h; per kind the entries in
// fold order, id_chains.h): canonical; load() refuses bytes it did not write
// with kCorruption. A checkpoint written before this model existed has no
// section for it: the Projector folds it again from the partition's start
// (its backfill). Not thread-safe: one index per partition fold; queries after
// it, under the reader's lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/flat_map.h"
#include "engine/base/status.h"
#include "engine/event.h"
#include "engine/identifiers.h"
#include "engine/log/log.h"
#include "projections/id_chains.h"
#include "projections/read_model.h"

namespace dimona {

class AccessIndex final : public ReadModel {
 public:
  static constexpr std::string_view kName = "access";
  // 2: the overviews sent to an eBox (a build of one day, 2026-12-06); 3: with each one's offset.
  static constexpr uint32_t kVersion = 3;
  std::string_view name() const override { return kName; }
  uint32_t version() const override { return kVersion; }
  Status load(std::string_view bytes) override { return load(bytes, this); }

  void apply(const Event& event, Offset offset) override;

  // f(id), newest first: attestation ids, request ids (an answer has its request's id).
  template <typename F> void for_each_attestation_of(Ssin citizen, F&& f) const {
    attestations_.of<kCitizen>(citizen.value, f);
  }
  template <typename F> void for_each_attestation_with_code(uint64_t code, F&& f) const {
    attestations_.of<kCode>(code_key(code), f);
  }
  template <typename F> void for_each_request_of_employer(uint64_t employer, F&& f) const {
    requests_.of<kEmployer>(employer, f);
  }
  template <typename F> void for_each_answer_of(Ssin citizen, F&& f) const { answers_.of<kCitizen>(citizen.value, f); }
  template <typename F>
  void for_each_overview_send_of(Ssin citizen, F&& f) const {
    overview_sends_.of<kCitizen>(citizen.value, f);
  }
  // The offset of an overview's InterimOverviewSent event in this partition: its content is the
  // citizen's events up to it (inbox_views.h, overview_offsets). Nothing when `id` is no overview here.
  std::optional<Offset> overview_send_offset(uint64_t id) const {
    const auto* keys = overview_sends_.keys_of(id);
    return keys ? std::optional<Offset>((*keys)[kSentAt] - 1) : std::nullopt;
  }
  // Every citizen with an attestation or an answer here, each once, in no particular order.
  template <typename F> void for_each_citizen(F&& f) const {
    FlatMap<uint32_t> seen;
    auto once = [&](uint64_t c) { if (seen[c]++ == 0) f(Ssin{c}); };
    attestations_.for_each_key<kCitizen>(once);
    answers_.for_each_key<kCitizen>(once);
    overview_sends_.for_each_key<kCitizen>(once);
  }
  // Every employer with a request here, once each, in no particular order.
  template <typename F> void for_each_employer(F&& f) const { requests_.for_each_key<kEmployer>(f); }
  size_t attestations() const { return attestations_.size(); }
  size_t requests() const { return requests_.size(); }
  size_t answers() const { return answers_.size(); }

  void save(std::string* out) const override;
  [[nodiscard]] static Status load(std::string_view bytes, AccessIndex* index);

 private:
  // The keys' positions: an attestation's citizen and code, a request's employer, an answer's
  // citizen, an overview's citizen and its event's offset + 1 (a key is never 0).
  static constexpr size_t kCitizen = 0, kCode = 1, kEmployer = 0, kSentAt = 1;
  // An access code as a key: tagged, so that code 0 is a key too (codes have 50 bits, action.h).
  static uint64_t code_key(uint64_t code) { return code | (uint64_t{1} << 63); }
  IdChains<2> attestations_;
  IdChains<1> requests_, answers_;
  IdChains<2> overview_sends_;
};

}  // namespace dimona

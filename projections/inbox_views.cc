#include "projections/inbox_views.h"

#include <algorithm>

#include "engine/base/json_writer.h"
#include "engine/base/limits.h"
#include "projections/access_views.h"

namespace dimona {
namespace {

void write_message(JsonWriter& w, const InboxMessage& m, bool body) {
  const Attestation& a = m.attestation;
  w.begin_object();
  w.key("messageId").digits(a.id, 12);
  w.key("deliveredAt").string(to_string(m.delivered_at));
  w.key("expiresAt").string(to_string(m.expires_at));
  w.key("subject").string("Student@work attestation " + std::to_string(a.for_year));
  if (a.archived()) w.key("archivedAt").string(to_string(a.archived_at));
  if (body) {
    w.key("attestation").begin_object();
    w.key("attestationId").digits(a.id, 12);
    w.key("year").integer(a.for_year);
    w.key("quotaHours").integer(a.quota_hours);
    w.key("remainingHours").integer(a.remaining_hours);
    w.key("accessCode").string(format_access_code(a.access_code));
    w.key("validFrom").string(to_string(a.valid_from()));
    w.key("validUntil").string(to_string(a.valid_until()));
    w.end_object();
  }
  w.end_object();
}

}  // namespace

InboxMessage inbox_message_of(const Attestation& a) {
  return {a, a.issued_at, add_months(a.issued_at, limits::inbox_message_kept_months)};
}

namespace {

std::vector<InboxMessage> kept_messages(const ActionState& actions, const AccessIndex& index, Ssin citizen,
                                        Instant now) {
  std::vector<InboxMessage> out;
  for (const Attestation& a : attestations_of(actions, index, citizen)) {
    InboxMessage m = inbox_message_of(a);
    if (m.delivered_at <= now && now < m.expires_at) out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

std::vector<InboxMessage> inbox_of(const ActionState& actions, const AccessIndex& index, Ssin citizen, Instant now,
                                   bool archived) {
  std::vector<InboxMessage> out = kept_messages(actions, index, citizen, now);
  // Archived at `now` or before; ledger time only grows, so a later archiving is not in the past's view.
  std::erase_if(out, [&](const InboxMessage& m) {
    const bool is_archived = m.attestation.archived() && m.attestation.archived_at <= now;
    return is_archived != archived;
  });
  std::sort(out.begin(), out.end(), [](const InboxMessage& x, const InboxMessage& y) {
    return x.delivered_at != y.delivered_at ? x.delivered_at > y.delivered_at : x.attestation.id > y.attestation.id;
  });
  return out;
}

std::optional<InboxMessage> inbox_message(const ActionState& actions, const AccessIndex& index, Ssin citizen,
                                          uint64_t message_id, Instant now) {
  for (const InboxMessage& m : kept_messages(actions, index, citizen, now))
    if (m.attestation.id == message_id) return m;
  return std::nullopt;
}

std::vector<InboxMessage> inbox_of(const Projector& projector, Ssin citizen, Instant now, bool archived) {
  return inbox_of(projector.state_of(citizen).actions(), projector.model_of<AccessIndex>(citizen), citizen, now,
                  archived);
}

std::optional<InboxMessage> inbox_message(const Projector& projector, Ssin citizen, uint64_t message_id, Instant now) {
  return inbox_message(projector.state_of(citizen).actions(), projector.model_of<AccessIndex>(citizen), citizen,
                       message_id, now);
}

void to_json(const InboxMessage& message, bool body, std::string* out) {
  JsonWriter w(out);
  write_message(w, message, body);
}

void to_json(const std::vector<InboxMessage>& messages, std::string* out) {
  JsonWriter w(out);
  w.begin_object().key("items").begin_array();  // a collection (DESIGN §9)
  for (const InboxMessage& m : messages) write_message(w, m, false);
  w.end_array().key("total").integer(static_cast<int64_t>(messages.size())).end_object();
}

}  // namespace dimona

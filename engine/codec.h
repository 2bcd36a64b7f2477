// Codecs: JSON in (simdjson On-Demand) for declarations and events.
//
// Contract. DeclarationDecoder turns one Dimona REST v2 body into a
// Declaration, or refuses it with a precise one-line reason naming the field
// ("field dimonaIn.plannedHoursNumber: expected an integer"). It refuses what
// is not a v2 body: invalid JSON, trailing content, an unknown or repeated
// field, a wrong JSON type, not exactly one of dimonaIn/dimonaUpdate/
// dimonaOut/dimonaCancel, a text longer than limits::text_field_bytes_max, a
// string (a key or a value, escapes read) that is not display text
// (engine/base/display_text.h: a NUL, a line break, a bidirectional control).
// Everything else (formats, presence, domains) is left to decide(). No
// message repeats a field's value, so errors may be logged.
//
// EventDecoder reads the event lines of a record batch (event.h) back into
// Events, upcasting older schema versions.
//
// Input buffers must stay readable for kJsonPadding bytes past the end of the
// text (simdjson reads ahead); a line inside a larger buffer qualifies when
// the buffer goes on or is padded. Each decoder owns a simdjson parser: one
// decoder per thread, reused across calls (no allocation per call once warm).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/action.h"
#include "engine/declaration.h"
#include "engine/event.h"
#include "engine/quota_schedule.h"

namespace dimona {

inline constexpr size_t kJsonPadding = 64;  // == SIMDJSON_PADDING, checked in codec.cc

// Whether `text` is valid UTF-8 (simdjson's check, which every decode makes
// on its input); no padding needed.
bool is_valid_utf8(std::string_view text);

// A user company as a filter names it (seed 002: Interim@work filters by user company): digits
// (dots and blanks allowed) are its enterprise number; any other text is the name it was declared
// with, read as named_user_company_key (declaration.h) reads it. kInvalidArgument, one line, for
// a number that fails its check, an empty name, one over limits::text_field_bytes_max, not UTF-8,
// or with a control character.
Result<uint64_t> parse_user_company(std::string_view text);

// One input line: a declaration, or an action (docs/actions.md). The
// Action's strings are views into the line.
struct Command {
  bool is_action = false;
  Declaration declaration;  // also the envelope an action was read from
  Action action;
};

// kInvalidArgument for an action the ledger writes itself (is_server_internal:
// dataConsultation), else ok: what every way in from outside — a POST, a
// batch file, an input topic, `submit` — refuses.
[[nodiscard]] Status refuse_server_internal(const Command& c);

// The checks decode() makes on a whole declaration or action event once its
// fields are read, and what it derives from the envelope (the worker, the
// action's employer); shared with the replay's reader (event_reader.h).
// kCorruption when the event's parts disagree.
Status finish_decoded_event(Event* ev, bool refused);
// The envelope of an action (`a->kind` set), decoded as a declaration's, checked against what
// its kind needs of the employer and the worker; sets the action's employer, worker and
// recordedAt from it. kInvalidArgument, naming the field, when a party is missing, forbidden or
// invalid. Shared with the replay's reader (an occupationQuarter it reads itself).
Status check_action_parties(const Declaration& envelope, Action* a);

class DeclarationDecoder {
 public:
  DeclarationDecoder();
  ~DeclarationDecoder();
  DeclarationDecoder(const DeclarationDecoder&) = delete;
  DeclarationDecoder& operator=(const DeclarationDecoder&) = delete;

  // `capacity` is the readable bytes from `json.data()`, >= size + kJsonPadding.
  Result<Declaration> decode(std::string_view json, size_t capacity);
  // A declaration or an action; the same checks, and an action's own
  // (docs/actions.md: its fields, its parties) refused here as malformed.
  Result<Command> decode_command(std::string_view json, size_t capacity);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class EventDecoder {
 public:
  EventDecoder();
  ~EventDecoder();
  EventDecoder(const EventDecoder&) = delete;
  EventDecoder& operator=(const EventDecoder&) = delete;

  // Decodes one event line (without its '\n'). The Event's string_views point
  // into `line`, which must outlive the Event's use.
  Result<Event> decode(std::string_view line, size_t capacity);
  // The same for an event without padding after it (a record read from the
  // log): copied into the decoder's own padded buffer, whose capacity is kept
  // from event to event. The Event's string_views point into that buffer:
  // valid until the next decode_copy.
  Result<Event> decode_copy(std::string_view json);
  // The "action" object of an action event's body alone, from its '{' to its
  // '}', in a buffer readable for `capacity` bytes from object.data() (>=
  // size + kJsonPadding): what decode() reads there (event_reader.h reads the
  // rest of the event itself). The Action's views point into the buffer.
  Status decode_action_object(std::string_view object, size_t capacity, Action* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string scratch_;
};

}  // namespace dimona

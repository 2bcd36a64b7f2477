// LoggedEventReader: the log's events read back for the fold (replay only).
//
// Contract. read(json) gives exactly what EventDecoder::decode_copy(json)
// gives (codec.h): the same Event, field for field, or the same refusal (the
// same Status). It is faster on the events the Ledger writes: those were
// validated when they were decided and are written in one compact form
// (encode_event; a declaration as canonical_text()), so a declaration event
// is walked once by a small scanner that dispatches on the keys' raw bytes,
// takes strings as views into `json` (never copied nor unescaped), and gives
// each value to the same parsers as the codec (parse_ssin, parse_date, ...).
// An action event's envelope and outcome are read the same way, and its
// action too when it is an occupationQuarter; any other action object is
// skipped, then given to the decoder alone (decode_action_object).
// Anything else — a quota definition, an escape, a null, an exponent, a
// fraction (but an occupationQuarter's fraction and wage); whitespace
// between tokens is fine but an unknown or repeated key is not; a structure
// error, bytes that are not UTF-8, a record longer than
// limits::event_bytes_max — is handed whole to an EventDecoder, which
// decides. So the fast path only accepts what the decoder accepts, with the
// same result, and a corrupt or hostile record gets the decoder's refusal;
// every read is bounds-checked (never past json.end(); no padding needed).
// Checked differentially by tests/projections/event_reader_test.cc (a generated
// year, every event type; mutated bytes) and the event_decoder fuzz target.
//
// Lifetime: the Event's string_views point into `json` (fast path) or into
// the reader's own buffer (fallback): valid while `json` lives and until the
// next read(). Threading: one reader per thread (it owns the decoder's
// simdjson parser); no allocation per read once warm, except the decoder's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/codec.h"
#include "engine/event.h"

namespace dimona {

namespace event_reader_detail {
// The last date a reader parsed, its text and value: most dates of a record (its instants' days
// above all) are those of the record before it.
struct LastDate {
  char text[10] = {};
  Date date;
  bool held = false;
};
}  // namespace event_reader_detail

class LoggedEventReader {
 public:
  Result<Event> read(std::string_view json);

  // Records handed to the full decoder so far (refused ones included).
  uint64_t fallbacks() const { return fallbacks_; }
  // Action objects (an action event's body.action) the fast path handed to the decoder: every
  // kind but an occupationQuarter as the Ledger writes it.
  uint64_t action_objects_decoded() const { return action_objects_decoded_; }

 private:
  EventDecoder decoder_;
  std::string scratch_;  // an action event's action, padded for the decoder
  event_reader_detail::LastDate last_date_;
  uint64_t fallbacks_ = 0;
  uint64_t action_objects_decoded_ = 0;
};

}  // namespace dimona

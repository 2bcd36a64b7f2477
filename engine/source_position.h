// SourcePosition: where an event came from, written with it in the log (the
// record's source, LogRecordDraft::source), so that a writer resumes after a
// crash from its own partitions' tails, without a cursor stored beside the
// events and without transactions across partitions (issue 11, item 3;
// docs/kafka.md "Exactly once").
//
// Contract. `source` names the input: "file:" + the file's fingerprint, or
// "topic:" + topic/partition. `at` is the event's place in it (the line,
// from 1, or the input offset) with the input's bytes up to the end of that
// line and their crc32c (so a writer that resumes can tell the input did not
// change under what is stored). `resume` is the start of the commit group
// the event was decided in: a writer appends a group only once the group
// before it is durable, so a stored event proves that every line before its
// `resume` is stored. On restart the writer reads again from a `resume` among
// the stored events of that source and skips each item some partition holds
// (source_tails.h: at or below that partition's largest `resume`, or one of
// its items above it; never by deciding the item again). The text form is
// SOURCE@INDEX,BYTES,CRC/INDEX,BYTES,CRC (`at`, then `resume`; decimal; each
// CRC the crc32c of the input's first BYTES bytes), at most
// limits::log_source_bytes_max bytes; parse() refuses anything else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"

namespace dimona {

// A place in an input: `index` inputs (lines) consumed, `bytes` bytes (a
// line boundary), and the crc32c of those bytes.
struct SourceMark {
  uint64_t index = 0;
  uint64_t bytes = 0;
  uint32_t crc = 0;
  friend bool operator==(const SourceMark&, const SourceMark&) = default;
};

struct SourcePosition {
  std::string source;
  SourceMark at;      // through this event's line: at.index is the line
  SourceMark resume;  // before this event's commit group: read again from resume.index + 1
  friend bool operator==(const SourcePosition&, const SourcePosition&) = default;
};

// Appends the text form to `out`.
void format_source_position(const SourcePosition& position, std::string* out);
// kInvalidArgument for any text format_source_position would not write.
Result<SourcePosition> parse_source_position(std::string_view text);
// The same parse without a copy: `source` views into `text`.
Status parse_source_marks(std::string_view text, std::string_view* source, SourceMark* at, SourceMark* resume);
// The SOURCE part of a text form (before its last '@'); empty when none.
std::string_view source_of_position(std::string_view text);

}  // namespace dimona

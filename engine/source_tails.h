// SourceTails: which items of each input source (a file's lines, an input
// topic partition's offsets) one log partition stores, told exactly for the
// items a restarted writer may read again, so that a redelivery is known
// without deciding the item again (issue 11 item 3; docs/kafka.md "Exactly
// once").
//
// Why exact. Deciding an item again to learn its partition, then asking that
// partition, is wrong for an item whose decision depends on what came after
// it through another input (an UPDATE whose period's IN arrived later): the
// second decision can name another partition, and the item is stored twice.
//
// Contract. note() takes the source position (source_position.h) of each
// record of one partition, in the partition's order. Per source it keeps the
// text of its highest index (usually the latest record; not after a writer
// that resumed stored an item the one before it had left), the largest
// resume index R among the records (every item at
// or below R was answered, stored in some partition or refused as input,
// before the record carrying R was decided), and the index of each record
// above R, in ascending order. holds(source, index) is true for an index at
// or below R or one kept: an item this partition stored, or one its records
// prove answered. An item is a redelivery when any partition holds it. The
// indices kept are the items decided since their partition's R: at most a
// commit group (limits::ingest_commit_declarations) or the input records in
// flight (limits::input_in_flight_max) in the common case, a few more after a
// writer resumed. save()/load() give canonical bytes (sources in order);
// load() refuses a text that does not parse, sources out of order, or indices
// not ascending above their R. Not thread-safe: one partition's fold at a time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/status.h"
#include "engine/source_position.h"

namespace dimona {

class SourceTails {
 public:
  SourceTails() = default;
  SourceTails(const SourceTails& other) : tails_(other.tails_) {}
  SourceTails& operator=(const SourceTails& other) {
    tails_ = other.tails_;
    current_ = tails_.end();
    return *this;
  }
  SourceTails(SourceTails&& other) noexcept : tails_(std::move(other.tails_)) { other.current_ = other.tails_.end(); }
  SourceTails& operator=(SourceTails&& other) noexcept {
    tails_ = std::move(other.tails_);
    current_ = tails_.end();
    other.current_ = other.tails_.end();
    return *this;
  }

  // A record's source position text; false (nothing kept) for one whose source and two
  // indices do not read (the rest of the text is not checked: parse_source_position does).
  bool note(std::string_view text);
  // The same, already parsed (a writer's own staged record).
  void note(const SourcePosition& position, std::string_view text);

  bool holds(std::string_view source, uint64_t index) const;
  // The text of `source`'s highest index; empty when this partition holds none of it.
  std::string_view last(std::string_view source) const;
  // Each source's text of its highest index, in source order.
  void for_each_last(const std::function<void(std::string_view)>& f) const;
  size_t sources() const { return tails_.size(); }

  void save(std::string* out) const;
  [[nodiscard]] static Status load(ByteReader& in, SourceTails* into);

  friend bool operator==(const SourceTails& a, const SourceTails& b) { return a.tails_ == b.tails_; }

 private:
  struct Tail {
    std::string last;             // the text of the highest index
    uint64_t highest = 0;         // its index (not saved: the text says it)
    uint64_t resume = 0;          // R
    std::vector<uint64_t> after;  // ascending, above R from `head` on
    size_t head = 0;              // the first index still above R (the ones before are dropped lazily)
    friend bool operator==(const Tail& a, const Tail& b) {
      return a.last == b.last && a.highest == b.highest && a.resume == b.resume &&
             std::equal(a.after.begin() + static_cast<std::ptrdiff_t>(a.head), a.after.end(),
                        b.after.begin() + static_cast<std::ptrdiff_t>(b.head), b.after.end());
    }
  };
  using Map = std::map<std::string, Tail, std::less<>>;

  void note(std::string_view source, uint64_t index, uint64_t resume, std::string_view text);
  void note(Tail* tail, uint64_t index, uint64_t resume, std::string_view text);  // the source's tail
  static void raise_resume(Tail* tail, uint64_t resume);

  Map tails_;
  Map::iterator current_ = tails_.end();  // the previous record's source (the common case: the same again)
};

}  // namespace dimona

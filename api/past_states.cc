#include "api/past_states.h"

#include <algorithm>
#include <utility>

#include "engine/base/limits.h"
#include "engine/log/log_tools.h"

namespace dimona::api {

PastStates::PastStates(Log& log, ProjectorOptions base) : log_(log), base_(std::move(base)) {
  base_.threads = 1;
  base_.as_of.reset();
}

PastStates::~PastStates() = default;

Status PastStates::bounds(Instant instant, std::vector<Offset>* ends, std::vector<uint32_t>* open) const {
  if (!consumer_) {
    Result<std::unique_ptr<LogConsumer>> consumer = log_.open_reader();
    DIMONA_TRY(consumer);
    consumer_ = std::move(*consumer);
  }
  ends->assign(log_.partitions(), 0);
  open->clear();
  for (uint32_t p = 0; p < log_.partitions(); ++p) {
    if (!base_.partitions.empty() && std::find(base_.partitions.begin(), base_.partitions.end(), p) == base_.partitions.end())
      continue;  // another member's: not folded here (0 in the key)
    Result<Offset> end = consumer_->end_offset(p);
    DIMONA_TRY(end);
    Result<Offset> after = first_offset_after(*consumer_, p, instant, *end);
    DIMONA_TRY(after);
    (*ends)[p] = *after;
    if (*after == *end) open->push_back(p);
  }
  return Status::ok();
}

std::shared_ptr<const Projector> PastStates::kept(Instant instant, const std::vector<Offset>* ends) const {
  for (auto k = kept_.begin(); k != kept_.end(); ++k) {
    const bool hit = ends ? k->ends == *ends : std::find(k->instants.begin(), k->instants.end(), instant) != k->instants.end();
    if (!hit) continue;
    Kept used = std::move(*k);
    kept_.erase(k);
    if (ends && used.open.empty() && used.instants.size() < limits::as_of_instants_per_state)
      used.instants.push_back(instant);
    kept_.push_back(std::move(used));
    return kept_.back().state;
  }
  return nullptr;
}

Result<std::shared_ptr<const Projector>> PastStates::at(Instant instant) const {
  std::vector<Offset> ends;
  std::vector<uint32_t> open;
  {
    std::lock_guard lock(mutex_);
    if (auto state = kept(instant, nullptr)) return state;  // an instant seen before, its bounds for good
  }
  {
    std::lock_guard search(consumer_mutex_);  // not under mutex_: readers of kept instants do not wait for it
    DIMONA_TRY(bounds(instant, &ends, &open));
  }
  {
    std::lock_guard lock(mutex_);
    if (auto state = kept(instant, &ends)) return state;
  }
  std::lock_guard build(build_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (auto state = kept(instant, &ends)) return state;  // built while this one waited
  }
  ProjectorOptions options = base_;
  options.as_of = instant;
  Result<std::unique_ptr<Projector>> projector = Projector::open(log_, options);
  DIMONA_TRY(projector);
  // Folded to the ends found above, not searched for again (the search is most of a build:
  // docs/benchmarks.md "Audit"); a partition another member holds stays at its checkpoint's offset.
  std::vector<Offset> target(log_.partitions());
  for (uint32_t p = 0; p < log_.partitions(); ++p)
    target[p] = (*projector)->holds(p) ? std::max(ends[p], (*projector)->offset(p)) : (*projector)->offset(p);
  DIMONA_TRY((*projector)->catch_up_to(target).status());
  // Kept only when it holds what its key says (a checkpoint past `ends` would not).
  std::vector<Offset> held(log_.partitions(), 0);
  for (uint32_t p = 0; p < log_.partitions(); ++p)
    if ((*projector)->holds(p)) held[p] = (*projector)->offset(p);
  std::shared_ptr<const Projector> state(std::move(*projector));
  if (held == ends) {
    std::lock_guard lock(mutex_);
    if (kept_.size() >= limits::as_of_states_cached) kept_.erase(kept_.begin());
    Kept k{std::move(held), std::move(open), {}, state};
    if (k.open.empty()) k.instants.push_back(instant);
    kept_.push_back(std::move(k));
  }
  return state;
}

Result<std::shared_ptr<const Projector>> PastStates::citizen_at(Ssin citizen, const std::vector<Offset>& offsets,
                                                               Instant instant) const {
  std::unique_ptr<LogConsumer> reader;
  {
    std::lock_guard lock(readers_mutex_);
    if (!readers_.empty()) {
      reader = std::move(readers_.back());
      readers_.pop_back();
    }
  }
  if (!reader) {
    Result<std::unique_ptr<LogConsumer>> opened = log_.open_reader();
    DIMONA_TRY(opened);
    reader = std::move(*opened);
  }
  Result<std::unique_ptr<Projector>> state = Projector::of_citizen(log_, base_, citizen, offsets, instant, reader.get());
  if (state.is_ok()) {  // a reader that failed is not trusted again
    std::lock_guard lock(readers_mutex_);
    if (readers_.size() < limits::as_of_citizen_readers_kept) readers_.push_back(std::move(reader));
  }
  DIMONA_TRY(state);
  return std::shared_ptr<const Projector>(std::move(*state));
}

}  // namespace dimona::api

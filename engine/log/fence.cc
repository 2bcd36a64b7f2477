#include "engine/log/fence.h"

#include <string>

namespace dimona {

Result<bool> FenceFilter::admit_other(const LogRecord& r) {
  auto place = [&] { return "record at offset " + std::to_string(r.offset) + " of partition " + std::to_string(r.partition); };
  if (r.is_fence()) {
    if (fence_ != kNoEpoch && r.offset <= fence_)
      return corruption("fence " + place() + " does not follow the fence at offset " + std::to_string(fence_));
    fence_ = r.offset;
    return false;
  }
  if (r.epoch == kNoEpoch) return false;  // fence_ is set: a writer from before fencing, after a fence
  if (r.epoch >= r.offset)
    return corruption(place() + " carries epoch " + std::to_string(r.epoch) + ", not an earlier offset");
  if (fence_ == kNoEpoch || r.epoch > fence_)
    return corruption(place() + " carries epoch " + std::to_string(r.epoch) + ", which is no fence record (the latest fence before it is " +
                      (fence_ == kNoEpoch ? std::string("none") : "at offset " + std::to_string(fence_)) + ")");
  return false;  // an older fence's writer, fenced out (a zombie)
}

}  // namespace dimona

#include "engine/log/fence.h"

#include <string>

namespace dimona {

Result<bool> FenceFilter::admit_other(uint32_t partition, Offset offset, Offset epoch) {
  auto place = [&] {
    return "record at offset " + std::to_string(offset) + " of partition " + std::to_string(partition);
  };
  if (epoch == kFenceEpoch) {
    if (fence_ != kNoEpoch && offset <= fence_)
      return corruption("fence " + place() + " does not follow the fence at offset " + std::to_string(fence_));
    fence_ = offset;
    return false;
  }
  if (epoch == kNoEpoch) return false;  // fence_ is set: a writer from before fencing, after a fence
  if (epoch >= offset)
    return corruption(place() + " carries epoch " + std::to_string(epoch) + ", not an earlier offset");
  if (fence_ == kNoEpoch || epoch > fence_)
    return corruption(place() + " carries epoch " + std::to_string(epoch) +
                      ", which is no fence record (the latest fence before it is " +
                      (fence_ == kNoEpoch ? std::string("none") : "at offset " + std::to_string(fence_)) + ")");
  return false;  // an older fence's writer, fenced out (a zombie)
}

}  // namespace dimona

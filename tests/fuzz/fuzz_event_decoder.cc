// Fuzz target: the event decoder (EventDecoder, codec.h), which reads every
// line of every batch of the log back into an Event. Properties: no crash or
// sanitizer report on any bytes; a line that decodes encodes (encode_event)
// to a line that decodes again and encodes to the same bytes (the canonical
// form is a fixed point), so what the fold sees survives a round trip; and
// the replay's reader (LoggedEventReader, event_reader.h) gives exactly what
// EventDecoder::decode_copy gives — the same Event or the same refusal — reading the bytes
// from a buffer of exactly their size (ASan sees any read past the end).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "engine/codec.h"
#include "engine/event.h"
#include "engine/event_reader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dimona;
  static EventDecoder decoder;
  const fuzz::Padded input(data, size);
  Result<Event> event = decoder.decode(input.text(), input.capacity());
  {
    // The reader against decode_copy, which it stands for (the Projector's call before it).
    static LoggedEventReader reader;
    static EventDecoder copying;
    const std::unique_ptr<char[]> exact = std::make_unique<char[]>(size);
    if (size > 0) std::memcpy(exact.get(), data, size);
    const std::string_view bytes(exact.get(), size);
    Result<Event> full = copying.decode_copy(bytes);
    Result<Event> read = reader.read(bytes);
    FUZZ_CHECK(read.is_ok() == full.is_ok());
    if (!full.is_ok()) FUZZ_CHECK(read.status().to_string() == full.status().to_string());
    else FUZZ_CHECK(*read == *full);
  }
  if (!event.is_ok()) return 0;
  std::string once;
  encode_event(*event, &once);
  FUZZ_CHECK(!once.empty() && once.back() == '\n');
  once.pop_back();
  const fuzz::Padded first(once);
  Result<Event> again = decoder.decode(first.text(), first.capacity());
  if (!again.is_ok()) std::fprintf(stderr, "%s\n%s\n", again.status().to_string().c_str(), once.c_str());
  FUZZ_CHECK(again.is_ok());
  std::string twice;
  encode_event(*again, &twice);
  twice.pop_back();
  if (once != twice) std::fprintf(stderr, "%s\n%s\n", once.c_str(), twice.c_str());
  FUZZ_CHECK(once == twice);
  return 0;
}

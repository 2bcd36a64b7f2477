#include "engine/declaration.h"

#include "engine/base/assert.h"

namespace dimona {
namespace {

constexpr std::string_view kWorkerTypeNames[] = {
    "", "A17", "ALT", "BCW", "DWD", "EXT", "FLX", "IVT", "O17", "PMP", "QUA", "RTA",
    "S17", "STG", "STU", "STX", "T17", "TEA", "TRI", "OTH"};

constexpr JointCommission kDimonaJointCommissions[] = {kJointCommissionOther, 124, 140, 144, 145, 149, 302, 320, 322};

}  // namespace

std::string_view canonical_text(const Declaration& d, std::string_view text, std::string* buffer) {
  if (d.rewrite_count == 0) return text;
  DIMONA_ASSERT(d.rewrite_count <= kValueRewritesMax);
  buffer->clear();
  buffer->reserve(text.size() + 2 * d.rewrite_count);
  uint64_t at = 0;
  for (uint8_t i = 0; i < d.rewrite_count; ++i) {
    const ValueRewrite& r = d.rewrites[i];
    DIMONA_ASSERT(r.offset >= at && r.offset + r.length <= text.size());  // in text order, inside the text
    buffer->append(text.substr(at, r.offset - at));
    if (r.quoted) buffer->push_back('"');
    buffer->append(std::to_string(r.value));
    if (r.quoted) buffer->push_back('"');
    at = r.offset + r.length;
  }
  buffer->append(text.substr(at));
  return *buffer;
}

std::string_view kind_name(DeclarationKind kind) {
  static constexpr std::string_view kNames[] = {"dimonaIn", "dimonaUpdate", "dimonaOut", "dimonaCancel"};
  return kNames[static_cast<int>(kind)];
}

WorkerType parse_worker_type(std::string_view text) {
  // Every name has three letters: compared as one integer each (no memcmp per name; every event reads one).
  static_assert(std::size(kWorkerTypeNames) == static_cast<size_t>(WorkerType::kOTH) + 1);
  constexpr auto packed = [](std::string_view s) {
    return uint32_t{static_cast<unsigned char>(s[0])} | uint32_t{static_cast<unsigned char>(s[1])} << 8 |
           uint32_t{static_cast<unsigned char>(s[2])} << 16;
  };
  static constexpr auto kPacked = [packed] {
    std::array<uint32_t, std::size(kWorkerTypeNames)> keys{};  // keys[0]: kUnknown, never matched
    for (size_t i = 1; i < keys.size(); ++i) keys[i] = kWorkerTypeNames[i].size() == 3 ? packed(kWorkerTypeNames[i]) : 0;
    return keys;
  }();
  if (text.size() != 3) return WorkerType::kUnknown;
  const uint32_t key = packed(text);
  for (size_t i = 1; i < kPacked.size(); ++i)
    if (kPacked[i] == key) return static_cast<WorkerType>(i);
  return WorkerType::kUnknown;
}

std::string_view worker_type_name(WorkerType type) { return kWorkerTypeNames[static_cast<size_t>(type)]; }

std::optional<JointCommission> parse_joint_commission(std::string_view text) {
  if (text == "XXX") return kJointCommissionOther;
  if (text.size() != 3) return std::nullopt;
  JointCommission v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = static_cast<JointCommission>(v * 10 + (c - '0'));
  }
  if (v < 100) return std::nullopt;
  return v;
}

bool is_dimona_joint_commission(JointCommission jc) {
  for (JointCommission allowed : kDimonaJointCommissions)
    if (jc == allowed) return true;
  return false;
}

uint64_t named_user_company_key(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  auto take = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  bool blank = false, started = false;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t') {
      blank = started;
      continue;
    }
    if (blank) take(' ');
    blank = false;
    started = true;
    take(c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c - 'A' + 'a') : c);
  }
  return kNamedUserCompanyTag | (h & (kNamedUserCompanyTag - 1));
}

uint64_t employer_key(const Declaration& d) {
  if (d.enterprise_number.valid()) return d.enterprise_number.value.value;
  if (d.employer_id.valid()) return d.employer_id.value.value | kNssoEmployerTag;
  return 0;
}

}  // namespace dimona

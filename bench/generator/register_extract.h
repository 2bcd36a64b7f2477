// A register extract (KBO/BCE open data) for generated employers: the
// enterprise.csv and denomination.csv that `dimona-ledger employers import`
// reads (projections/employer_register.h), so generated ledgers show names.
//
// Contract. write_register_extract() writes the two files' headers, then one
// enterprise row and its legal names per entry, in the register's exact
// shapes (projections/register_csv.h), numbers ascending as the register
// sorts them. Names follow the region's languages: Flemish employers a Dutch
// legal name, Walloon ones French, Brussels ones both, a few in the East
// Cantons German and French; some carry an abbreviation (002) or a name with
// quotes (doubled in the file). The bytes depend only on the entries: a name
// is a hash of the number. Output goes to the two sinks in chunks of whole
// lines; a sink error stops it and is returned as is. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "engine/base/status.h"

namespace dimona {

enum class RegisterRegion : uint8_t { kFlanders, kWallonia, kBrussels, kEastCantons };

struct RegisterEnterprise {
  uint64_t enterprise_number = 0;  // a valid one (mod 97)
  RegisterRegion region = RegisterRegion::kFlanders;
};

// The region of a Belgian municipality by its NIS code (21xxx Brussels,
// 1/3/4/7 and 23/24 Flanders, the rest Wallonia).
RegisterRegion region_of_nis_code(int32_t nis_code);

using ExtractSink = std::function<Status(std::string_view)>;
[[nodiscard]] Status write_register_extract(std::span<const RegisterEnterprise> enterprises,
                                            const ExtractSink& enterprise_csv, const ExtractSink& denomination_csv);

}  // namespace dimona

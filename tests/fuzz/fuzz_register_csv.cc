// Fuzz target: the KBO/BCE register's CSV rows (projections/register_csv.h),
// the parser `employers import` runs on every line of an extract. The input
// is cut into lines; each is split into fields and parsed as an enterprise,
// a denomination and a deletion row. Properties: no crash or sanitizer report
// on any bytes; a split record, its fields quoted back the register's way
// (quote_register_field) and joined by commas, splits again into the same
// fields; a number that parses formats (format_register_number) to text
// that parses to the same number.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "projections/register_csv.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void check_line(std::string_view line) {
  using namespace dimona;
  std::string scratch, scratch_again;
  RegisterRecord record;
  if (split_register_record(line, scratch, record) != RowFault::kNone) return;
  EnterpriseRow enterprise;
  DenominationRow denomination;
  EnterpriseNumber deleted;
  (void)parse_enterprise_row(record, enterprise);
  (void)parse_denomination_row(record, denomination);
  (void)parse_deletion_row(record, deleted);
  if (record.count == 0 || record.count > kRegisterFieldsMax) return;
  std::string joined;
  for (size_t i = 0; i < record.count; ++i) joined += (i ? "," : "") + quote_register_field(record.fields[i]);
  RegisterRecord again;
  FUZZ_CHECK(split_register_record(joined, scratch_again, again) == RowFault::kNone);
  FUZZ_CHECK(again.count == record.count);
  for (size_t i = 0; i < record.count; ++i) FUZZ_CHECK(again.fields[i] == record.fields[i]);
  EnterpriseNumber number;
  if (parse_register_number(record.fields[0], number) == RowFault::kNone) {
    EnterpriseNumber reparsed;
    FUZZ_CHECK(parse_register_number(format_register_number(number), reparsed) == RowFault::kNone);
    FUZZ_CHECK(reparsed.value == number.value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    check_line(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return 0;
}

#include "bench/generator/register_extract.h"

#include <algorithm>
#include <string>
#include <vector>

#include "engine/base/time.h"
#include "engine/identifiers.h"
#include "projections/register_csv.h"

namespace dimona {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

constexpr std::string_view kDutchTrades[] = {"Bakkerij", "Brouwerij", "Garage", "Drukkerij",
                                             "Transport", "Slagerij", "Tuinbouw", "Café"};
constexpr std::string_view kFrenchTrades[] = {"Boulangerie", "Brasserie", "Garage", "Imprimerie",
                                              "Transports", "Boucherie", "Horticulture", "Café"};
constexpr std::string_view kGermanTrades[] = {"Bäckerei", "Brauerei", "Autohaus", "Druckerei",
                                              "Transporte", "Metzgerei", "Gärtnerei", "Café"};
constexpr std::string_view kDutchFamilies[] = {"Peeters", "Janssens", "Maes", "Jacobs",
                                               "Willems", "Claes", "Goossens", "Wouters"};
constexpr std::string_view kFrenchFamilies[] = {"Dubois", "Lambert", "Dupont", "Martin",
                                                "Simon", "Laurent", "Leroy", "Lejeune"};
constexpr std::string_view kGermanFamilies[] = {"Müller", "Schmitz", "Kessler", "Heinen",
                                                "Mertes", "Lentz", "Cremer", "Radermacher"};
constexpr std::string_view kDutchForms[] = {"BV", "NV", "CommV", "VZW"};
constexpr std::string_view kFrenchForms[] = {"SRL", "SA", "SComm", "ASBL"};
constexpr std::string_view kGermanForms[] = {"GmbH", "AG", "KG", "VoG"};
constexpr std::string_view kJuridicalForms[] = {"610", "014", "612", "017"};  // BV/SRL, NV/SA, CommV, VZW/ASBL

uint64_t hash(uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Words {
  std::span<const std::string_view> trades, families, forms;
};
constexpr Words kDutch{kDutchTrades, kDutchFamilies, kDutchForms};
constexpr Words kFrench{kFrenchTrades, kFrenchFamilies, kFrenchForms};
constexpr Words kGerman{kGermanTrades, kGermanFamilies, kGermanForms};

// The legal name in one language: a trade, a family (shared by the languages), a form.
std::string legal_name(const Words& words, uint64_t h, bool quoted) {
  std::string name(words.trades[h % 8]);
  name += ' ';
  if (quoted) name += '"';
  name += words.families[(h >> 8) % 8];
  if (quoted) name += '"';
  name += ' ';
  name += words.forms[(h >> 16) % 4];
  return name;
}

class Writer {
 public:
  explicit Writer(const ExtractSink& sink) : sink_(sink) {}
  Status line(const std::string& text) {
    buffer_ += text;
    buffer_ += '\n';
    return buffer_.size() >= kChunkBytes ? flush() : Status::ok();
  }
  Status flush() {
    if (buffer_.empty()) return Status::ok();
    Status s = sink_(buffer_);
    buffer_.clear();
    return s;
  }

 private:
  const ExtractSink& sink_;
  std::string buffer_;
};

std::string denomination_row(const std::string& number, int language, const char* type, const std::string& name) {
  return "\"" + number + "\",\"" + std::to_string(language) + "\",\"" + type + "\"," + quote_register_field(name);
}

Status write_names(Writer& out, const RegisterEnterprise& e, const std::string& number, uint64_t h) {
  const bool quoted = h % 50 == 7;  // about 2 %: a name with quotes, doubled in the file
  std::vector<std::pair<int, const Words*>> languages;
  switch (e.region) {
    case RegisterRegion::kFlanders: languages = {{2, &kDutch}}; break;
    case RegisterRegion::kWallonia: languages = {{1, &kFrench}}; break;
    case RegisterRegion::kBrussels: languages = {{1, &kFrench}, {2, &kDutch}}; break;
    case RegisterRegion::kEastCantons: languages = {{3, &kGerman}, {1, &kFrench}}; break;
  }
  for (const auto& [language, words] : languages)
    DIMONA_TRY(out.line(denomination_row(number, language, "001", legal_name(*words, h, quoted))));
  if (h % 10 == 3) {  // an abbreviation: initials of the first language's legal name
    std::string name = legal_name(*languages[0].second, h, false), initials;
    for (size_t i = 0; i < name.size(); ++i)
      if ((i == 0 || name[i - 1] == ' ') && name[i] >= 'A' && name[i] <= 'Z') initials += name[i];
    DIMONA_TRY(out.line(denomination_row(number, languages[0].first, "002", initials)));
  }
  return Status::ok();
}

}  // namespace

RegisterRegion region_of_nis_code(int32_t nis_code) {
  const int32_t province = nis_code / 1000;
  if (province == 21) return RegisterRegion::kBrussels;
  const int32_t first = nis_code / 10000;
  if (first == 1 || first == 3 || first == 4 || first == 7 || province == 23 || province == 24)
    return RegisterRegion::kFlanders;
  return RegisterRegion::kWallonia;
}

Status write_register_extract(std::span<const RegisterEnterprise> enterprises, const ExtractSink& enterprise_csv,
                              const ExtractSink& denomination_csv) {
  std::vector<const RegisterEnterprise*> sorted;
  sorted.reserve(enterprises.size());
  for (const RegisterEnterprise& e : enterprises) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->enterprise_number < b->enterprise_number; });
  Writer firms(enterprise_csv), names(denomination_csv);
  DIMONA_TRY(firms.line(std::string(kEnterpriseHeader)));
  DIMONA_TRY(names.line(std::string(kDenominationHeader)));
  uint64_t previous = 0;
  for (const RegisterEnterprise* e : sorted) {
    if (e->enterprise_number == previous) continue;  // one row per enterprise
    previous = e->enterprise_number;
    const uint64_t h = hash(e->enterprise_number);
    const std::string number = format_register_number(EnterpriseNumber{e->enterprise_number});
    const CivilDate start = civil_from_date(Date{static_cast<int32_t>(h % 18'000)});  // 1970..2019
    char date[16];
    std::snprintf(date, sizeof date, "%02d-%02d-%04d", start.day, start.month, start.year);
    DIMONA_TRY(firms.line("\"" + number + "\",\"AC\",\"000\",\"2\",\"" + std::string(kJuridicalForms[(h >> 16) % 4]) +
                          "\",\"\",\"" + date + "\""));
    DIMONA_TRY(write_names(names, *e, number, h));
  }
  DIMONA_TRY(firms.flush());
  return names.flush();
}

}  // namespace dimona

#include "projections/interim_views.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "engine/base/json_writer.h"
#include "engine/codec.h"

namespace dimona {
namespace {

bool meets(const Period& p, const InterimFilter& f) {
  if (p.joint_commission != kJointCommissionInterim) return false;
  if (p.end < f.from || f.to < p.start) return false;
  if (f.worker_type != WorkerType::kUnknown && p.worker_type != f.worker_type) return false;
  if (f.agency != 0 && p.employer != f.agency) return false;
  return f.user_company == 0 || p.user_company == f.user_company;
}

// The year's entry of `years` (ascending), made from `blank` when missing.
CalendarRow& year_entry(std::vector<InterimCalendarYear>* years, int32_t year, const CalendarRow& blank) {
  auto it = std::lower_bound(years->begin(), years->end(), year,
                             [](const InterimCalendarYear& y, int32_t value) { return y.year < value; });
  if (it == years->end() || it->year != year) it = years->insert(it, InterimCalendarYear{year, blank});
  return it->days;
}

// Marks the days [from, to] (inclusive) in the per-year bitmaps.
void mark(std::vector<InterimCalendarYear>* years, Date from, Date to, const CalendarRow& blank) {
  for (int32_t year = year_of(from); year <= year_of(to); ++year) {
    const Date first = date_from_civil(year, 1, 1), last = date_from_civil(year, 12, 31);
    CalendarRow& row = year_entry(years, year, blank);
    const int32_t a = std::max(from.days, first.days) - first.days;
    const int32_t b = std::min(to.days, last.days) - first.days;
    for (int32_t d = a; d <= b; ++d) row.days[static_cast<size_t>(d) / 64] |= uint64_t{1} << (d % 64);
  }
}

// Runs of consecutive days of `row` (a bitmap of `year`) as [from, to], as
// the student calendar writes them.
void write_runs(JsonWriter& w, int32_t year, const CalendarRow& row) {
  const Date first = date_from_civil(year, 1, 1);
  w.begin_array();
  for (int d = 0; d < 366; ++d) {
    if (!row.has(d)) continue;
    int e = d;
    while (e + 1 < 366 && row.has(e + 1)) ++e;
    w.begin_array().string(to_string(Date{first.days + d})).string(to_string(Date{first.days + e})).end_array();
    d = e;
  }
  w.end_array();
}

void write_years(JsonWriter& w, const std::vector<InterimCalendarYear>& years) {
  w.begin_array();
  for (const InterimCalendarYear& y : years) {
    w.begin_object().key("year").integer(y.year).key("days");
    write_runs(w, y.year, y.days);
    w.end_object();
  }
  w.end_array();
}

}  // namespace

InterimFilter interim_window(Date reference) {
  const DateWindow w = interim_default_window(reference);
  InterimFilter f;
  f.from = w.from;
  f.to = w.to;
  return f;
}

std::optional<std::string> user_company_name_of(uint64_t user_company, std::string_view declared_name,
                                                const EmployerNameOf& names) {
  if (!declared_name.empty()) return std::string(declared_name);
  if (is_named_user_company(user_company) || !names) return std::nullopt;
  return names(user_company);
}

InterimFilterParsed parse_interim_filter(const InterimFilterText& text, Date reference) {
  InterimFilterParsed out{interim_window(reference), {}};
  InterimFilter& f = out.filter;
  auto refuse = [&out](InterimField field, std::string detail) { out.issues.push_back({field, std::move(detail)}); };
  for (auto [field, value, into] :
       {std::tuple{InterimField::kFrom, text.from, &f.from}, std::tuple{InterimField::kTo, text.to, &f.to}}) {
    if (value.empty()) continue;
    if (const std::optional<Date> d = parse_date(value))
      *into = *d;
    else
      refuse(field, "expected YYYY-MM-DD");
  }
  if (out.issues.empty() && f.to < f.from) refuse(InterimField::kTo, "before from");
  if (!text.worker_type.empty()) {
    f.worker_type = parse_worker_type(text.worker_type);
    if (f.worker_type == WorkerType::kUnknown) refuse(InterimField::kWorkerType, "not a Dimona worker type");
  }
  if (!text.agency.empty()) {
    if (Result<EnterpriseNumber> n = parse_enterprise_number(text.agency); n.is_ok())
      f.agency = n->value;
    else
      refuse(InterimField::kAgency, n.status().message());
  }
  if (!text.user_company.empty()) {
    if (Result<uint64_t> key = parse_user_company(text.user_company); key.is_ok())
      f.user_company = *key;
    else
      refuse(InterimField::kUserCompany, key.status().message());
  }
  return out;
}

std::vector<InterimRelation> interim_relations(const LedgerState& state, Ssin worker, const InterimFilter& filter,
                                               const AnomalyLog* anomalies) {
  DIMONA_ASSERT(filter.relation_gap_days >= 0);
  std::map<uint64_t, std::vector<uint32_t>> codes_by_period;
  if (anomalies) {
    for (const AnomalyRecord& r : anomalies->of_citizen(worker))
      if (r.period.value != 0 && !r.action) codes_by_period[r.period.value].insert(codes_by_period[r.period.value].end(), r.codes.begin(), r.codes.begin() + r.count);
  }
  // Periods by (agency, user company), each list in date order.
  std::map<std::pair<uint64_t, uint64_t>, std::vector<const Period*>> lanes;
  state.for_each_period_of(worker, [&](const Period& p) {
    if (meets(p, filter)) lanes[{p.employer, p.user_company}].push_back(&p);
  });
  std::vector<InterimRelation> out;
  for (auto& [key, periods] : lanes) {
    std::sort(periods.begin(), periods.end(), [](const Period* a, const Period* b) {
      return a->start != b->start ? a->start < b->start : a->id < b->id;
    });
    InterimRelation* current = nullptr;
    for (const Period* p : periods) {
      const bool follows = current && !p->cancelled && p->start.days <= current->last.days + filter.relation_gap_days + 1;
      if (!current || (!p->cancelled && !follows && current->days > 0)) {
        out.push_back(InterimRelation{
            key.first, key.second, std::string(state.user_company_name(key.second)), p->start, p->end, 0, {}});
        current = &out.back();
      }
      auto codes = codes_by_period.find(p->id.value);
      current->periods.push_back({p->id, p->start, p->end, p->worker_type, p->cancelled,
                                  codes == codes_by_period.end() ? std::vector<uint32_t>{} : codes->second});
      if (p->cancelled) continue;
      // The relation's days are those inside the window, as the calendar view counts them: a
      // `to` (or validOn) stops them there; each period keeps its declared dates.
      const Date start = std::max(p->start, filter.from), end = std::min(p->end, filter.to);
      if (current->days == 0) current->first = start;
      current->first = std::min(current->first, start);
      current->last = current->days == 0 ? end : std::max(current->last, end);
      current->days += static_cast<uint32_t>(end.days - start.days + 1);
    }
  }
  std::sort(out.begin(), out.end(), [](const InterimRelation& a, const InterimRelation& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.agency != b.agency ? a.agency < b.agency : a.user_company < b.user_company;
  });
  return out;
}

namespace {

// A user company given by name: the name declared; one given by number: the register's.
template <typename Row>
void write_user_company_name(JsonWriter& w, const Row& r, const EmployerNameOf& names) {
  if (std::optional<std::string> name = user_company_name_of(r.user_company, r.user_company_name, names))
    w.key("userCompanyName").string(*name);
}

}  // namespace

void to_json(Ssin worker, const std::vector<InterimRelation>& relations, std::string* out,
             const EmployerNameOf& names) {
  JsonWriter w(out);
  w.begin_object().key("ssin").digits(worker.value, 11).key("items").begin_array();
  for (const InterimRelation& r : relations) {
    w.begin_object().key("agency");
    write_company(w, r.agency);
    write_employer_name(w, "agencyName", r.agency, names);
    w.key("userCompany");
    write_company(w, r.user_company);
    write_user_company_name(w, r, names);
    w.key("firstDay").string(to_string(r.first)).key("lastDay").string(to_string(r.last));
    w.key("days").integer(r.days).key("periods").begin_array();
    for (const InterimPeriod& p : r.periods) {
      w.begin_object().key("periodId").digits(p.id.value, 12);
      w.key("startDate").string(to_string(p.start)).key("endDate").string(to_string(p.end));
      w.key("workerType").string(worker_type_name(p.worker_type));
      w.key("status").string(p.cancelled ? "cancelled" : "accepted").key("anomalies").begin_array();
      for (uint32_t code : p.anomalies) w.string(anomaly_code_string(code));
      w.end_array().end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().key("total").integer(static_cast<int64_t>(relations.size())).end_object();
}

bool InterimCalendarRow::worked(Date day) const {
  const int32_t year = year_of(day);
  for (const InterimCalendarYear& y : years)
    if (y.year == year) return y.days.has(day.days - date_from_civil(year, 1, 1).days);
  return false;
}

std::vector<int32_t> InterimCalendar::years() const {
  std::vector<int32_t> out;
  if (to < from) return out;
  for (int32_t year = year_of(from); year <= year_of(to); ++year) out.push_back(year);
  return out;
}

uint32_t InterimCalendar::relations_on(Date day) const {
  uint32_t n = 0;
  for (const InterimCalendarRow& r : rows) n += r.worked(day) ? 1 : 0;
  return n;
}

InterimCalendar interim_calendar(const LedgerState& state, Ssin worker, const InterimFilter& filter) {
  InterimCalendar cal;
  cal.worker = worker;
  cal.from = filter.from;
  cal.to = filter.to;
  // The list's selection, so that the calendar and the list always agree.
  for (const InterimRelation& r : interim_relations(state, worker, filter)) {
    auto row = std::find_if(cal.rows.begin(), cal.rows.end(), [&](const InterimCalendarRow& x) {
      return x.agency == r.agency && x.user_company == r.user_company;
    });
    if (row == cal.rows.end())
      row = cal.rows.insert(cal.rows.end(), InterimCalendarRow{r.agency, r.user_company, r.user_company_name, 0, {}});
    const CalendarRow blank{r.agency, filter.worker_type, {}};
    for (const InterimPeriod& p : r.periods) {
      const Date from = std::max(p.start, filter.from), to = std::min(p.end, filter.to);
      if (!p.cancelled && from <= to) mark(&row->years, from, to, blank);
    }
  }
  std::erase_if(cal.rows, [](const InterimCalendarRow& r) { return r.years.empty(); });
  std::sort(cal.rows.begin(), cal.rows.end(), [](const InterimCalendarRow& a, const InterimCalendarRow& b) {
    return a.agency != b.agency ? a.agency < b.agency : a.user_company < b.user_company;
  });
  // Per year, the days seen in one row and those seen in a second.
  std::vector<InterimCalendarYear> seen;
  const CalendarRow blank{0, filter.worker_type, {}};
  for (InterimCalendarRow& r : cal.rows) {
    for (const InterimCalendarYear& y : r.years) {
      r.days += y.days.day_count();
      CalendarRow& once = year_entry(&seen, y.year, blank);
      CalendarRow& twice = year_entry(&cal.overlaps, y.year, blank);
      for (size_t i = 0; i < once.days.size(); ++i) {
        twice.days[i] |= once.days[i] & y.days.days[i];
        once.days[i] |= y.days.days[i];
      }
    }
  }
  std::erase_if(cal.overlaps, [](const InterimCalendarYear& y) { return y.days.day_count() == 0; });
  return cal;
}

void to_json(const InterimCalendar& cal, std::string* out, const EmployerNameOf& names) {
  JsonWriter w(out);
  w.begin_object().key("ssin").digits(cal.worker.value, 11);
  w.key("from").string(to_string(cal.from)).key("to").string(to_string(cal.to)).key("years").begin_array();
  for (int32_t year : cal.years()) w.integer(year);
  w.end_array().key("items").begin_array();
  for (const InterimCalendarRow& r : cal.rows) {
    w.begin_object().key("agency");
    write_company(w, r.agency);
    write_employer_name(w, "agencyName", r.agency, names);
    w.key("userCompany");
    write_company(w, r.user_company);
    write_user_company_name(w, r, names);
    w.key("days").integer(r.days).key("years");
    write_years(w, r.years);
    w.end_object();
  }
  w.end_array().key("overlaps");
  write_years(w, cal.overlaps);
  w.key("total").integer(static_cast<int64_t>(cal.rows.size())).end_object();
}

}  // namespace dimona

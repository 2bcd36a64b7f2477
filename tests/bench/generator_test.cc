#include "bench/generator/generator.h"

#include <gtest/gtest.h>

// simdjson is built with threads (its CMake target says so); match its ABI.
#ifndef SIMDJSON_THREADS_ENABLED
#define SIMDJSON_THREADS_ENABLED 1
#endif
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "engine/base/time.h"
#include "engine/identifiers.h"
#include "engine/quota_schedule.h"

// The generator is checked from the outside: every line is parsed by a small
// JSON reader of its own, checked against the fields the ingest accepts, and
// replayed through an independent checker of the Dimona rules the generator
// promises to follow (or, for the counted bad lines, to break exactly once).

namespace dimona {
namespace {

// --- A small strict JSON reader ----------------------------------------------

struct Json {
  enum class Type { kNull, kBool, kInteger, kOtherNumber, kString, kObject, kArray } type = Type::kNull;
  std::string text;  // a string's value; a number's text
  int64_t integer = 0;
  std::vector<std::string> keys;  // an object's members: keys[i] names values[i]
  std::vector<Json> values;
  std::vector<Json> items;

  const Json* get(std::string_view key) const {
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &values[i];
    return nullptr;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}
  std::optional<Json> document() {
    Json v;
    if (!value(v, 0)) return std::nullopt;
    space();
    if (at_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void space() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\r' || s_[at_] == '\n')) ++at_;
  }
  bool eat(char c) {
    space();
    if (at_ < s_.size() && s_[at_] == c) return ++at_, true;
    return false;
  }
  bool word(std::string_view w) {
    if (s_.substr(at_, w.size()) != w) return false;
    at_ += w.size();
    return true;
  }
  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (at_ < s_.size()) {
      const char c = s_[at_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (at_ >= s_.size()) return false;
        const char e = s_[at_++];
        if (e == 'u') {
          if (at_ + 4 > s_.size()) return false;
          at_ += 4;
          out += '?';
        } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
          out += e;
        } else {
          return false;
        }
      } else {
        out += c;
      }
    }
    return false;
  }
  bool number(Json& v) {
    const size_t first = at_;
    if (at_ < s_.size() && s_[at_] == '-') ++at_;
    const size_t digits = at_;
    while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9') ++at_;
    if (at_ == digits || (s_[digits] == '0' && at_ - digits > 1)) return false;
    bool integer = true;
    if (at_ < s_.size() && (s_[at_] == '.' || s_[at_] == 'e' || s_[at_] == 'E')) {
      integer = false;
      while (at_ < s_.size() && std::string_view("0123456789.eE+-").find(s_[at_]) != std::string_view::npos) ++at_;
    }
    v.type = integer ? Json::Type::kInteger : Json::Type::kOtherNumber;
    v.text = std::string(s_.substr(first, at_ - first));
    if (integer) v.integer = std::stoll(v.text);
    return true;
  }
  bool value(Json& v, int depth) {
    if (depth > 16) return false;
    space();
    if (at_ >= s_.size()) return false;
    const char c = s_[at_];
    if (c == '{') return object(v, depth);
    if (c == '[') return array(v, depth);
    if (c == '"') {
      v.type = Json::Type::kString;
      return string(v.text);
    }
    if (c == 't' || c == 'f') {
      v.type = Json::Type::kBool;
      v.integer = c == 't' ? 1 : 0;
      return word(c == 't' ? "true" : "false");
    }
    if (c == 'n') return word("null");
    return number(v);
  }
  bool object(Json& v, int depth) {
    v.type = Json::Type::kObject;
    ++at_;
    if (eat('}')) return true;
    do {
      std::string key;
      Json member;
      if (!string(key) || !eat(':') || !value(member, depth + 1)) return false;
      if (v.get(key)) return false;  // duplicate keys are refused too
      v.keys.push_back(std::move(key));
      v.values.push_back(std::move(member));
    } while (eat(','));
    return eat('}');
  }
  bool array(Json& v, int depth) {
    v.type = Json::Type::kArray;
    ++at_;
    if (eat(']')) return true;
    do {
      Json item;
      if (!value(item, depth + 1)) return false;
      v.items.push_back(std::move(item));
    } while (eat(','));
    return eat(']');
  }

  std::string_view s_;
  size_t at_ = 0;
};

// --- The fields the ingest accepts (DESIGN.md §3, DOMAIN.md §1.3) ---------------

using T = Json::Type;
struct FieldRule {
  std::string_view name;
  T type;
};

// Returns an empty string when `v` is an object of only these fields, each of its type.
std::string check_fields(const Json& v, std::string_view where, std::initializer_list<FieldRule> allowed) {
  if (v.type != T::kObject) return std::string(where) + " is not an object";
  for (size_t i = 0; i < v.keys.size(); ++i) {
    const std::string& key = v.keys[i];
    const Json& member = v.values[i];
    bool known = false;
    for (const FieldRule& rule : allowed) {
      if (rule.name != key) continue;
      known = true;
      if (member.type != rule.type) return std::string(where) + "." + key + " has the wrong type";
    }
    if (!known) return std::string(where) + "." + key + " is not a field";
  }
  return {};
}

std::string check_address(const Json& a, std::string_view where) {
  std::string e = check_fields(a, where,
                               {{"street", T::kString},
                                {"houseNumber", T::kString},
                                {"boxNumber", T::kString},
                                {"postCode", T::kString},
                                {"municipality", T::kObject},
                                {"country", T::kInteger}});
  if (e.empty() && a.get("municipality"))
    e = check_fields(*a.get("municipality"), "municipality", {{"code", T::kInteger}, {"name", T::kString}});
  return e;
}

std::string check_declaration(const Json& d) {
  std::string e = check_fields(d, "",
                               {{"employer", T::kObject},
                                {"worker", T::kObject},
                                {"dimonaIn", T::kObject},
                                {"dimonaUpdate", T::kObject},
                                {"dimonaOut", T::kObject},
                                {"dimonaCancel", T::kObject},
                                {"recordedAt", T::kString}});
  if (!e.empty()) return e;
  int kinds = 0;
  for (std::string_view k : {"dimonaIn", "dimonaUpdate", "dimonaOut", "dimonaCancel"}) kinds += d.get(k) ? 1 : 0;
  if (kinds != 1) return "not exactly one declaration kind";
  if (!d.get("recordedAt")) return "no recordedAt";
  if (const Json* em = d.get("employer")) {
    e = check_fields(*em, "employer", {{"enterpriseNumber", T::kString}, {"employerId", T::kInteger}});
    if (e.empty() && em->keys.size() != 1) e = "employer needs exactly one identifier";
  }
  if (e.empty() && d.get("worker")) e = check_fields(*d.get("worker"), "worker", {{"ssin", T::kString}});
  if (!e.empty()) return e;
  if (const Json* in = d.get("dimonaIn")) {
    if (!d.get("employer") || !d.get("worker")) return "IN without employer or worker";
    e = check_fields(*in, "dimonaIn",
                     {{"features", T::kObject},
                      {"startDate", T::kString},
                      {"endDate", T::kString},
                      {"startHour", T::kString},
                      {"endHour", T::kString},
                      {"plannedHoursNumber", T::kInteger},
                      {"periodId", T::kInteger},
                      {"usingEmployer", T::kObject},
                      {"studentPlaceOfWork", T::kObject}});
    if (e.empty() && !in->get("features")) e = "IN without features";
    if (e.empty())
      e = check_fields(*in->get("features"), "features",
                       {{"jointCommissionNumber", T::kString}, {"workerType", T::kString}});
    if (e.empty() && in->get("usingEmployer")) {
      const Json& u = *in->get("usingEmployer");
      e = check_fields(u, "usingEmployer",
                       {{"enterpriseNumber", T::kString},
                        {"name", T::kString},
                        {"address", T::kObject},
                        {"jointCommissionNumber", T::kString}});
      if (e.empty() && u.get("address")) e = check_address(*u.get("address"), "usingEmployer.address");
      if (e.empty() && (u.get("enterpriseNumber") != nullptr) == (u.get("name") != nullptr))
        e = "usingEmployer needs an enterprise number or a name, not both";
    }
    if (e.empty() && in->get("studentPlaceOfWork")) {
      const Json& w = *in->get("studentPlaceOfWork");
      e = check_fields(w, "studentPlaceOfWork", {{"name", T::kString}, {"address", T::kObject}});
      if (e.empty() && w.get("address")) e = check_address(*w.get("address"), "studentPlaceOfWork.address");
    }
    return e;
  }
  if (d.get("worker")) return "a follow-up carries a worker";
  if (const Json* u = d.get("dimonaUpdate"))
    return check_fields(*u, "dimonaUpdate",
                        {{"periodId", T::kInteger},
                         {"startDate", T::kString},
                         {"endDate", T::kString},
                         {"startHour", T::kString},
                         {"endHour", T::kString},
                         {"plannedHoursNumber", T::kInteger}});
  if (const Json* o = d.get("dimonaOut"))
    return check_fields(*o, "dimonaOut", {{"periodId", T::kInteger}, {"endDate", T::kString}});
  return check_fields(*d.get("dimonaCancel"), "dimonaCancel", {{"periodId", T::kInteger}});
}

// --- An independent checker of the rules (DOMAIN.md §1.2, §8) ---------------------

constexpr int32_t kOpen = INT32_MAX;

struct CheckedPeriod {
  std::string key;  // worker | employer | type | user company
  std::string employer;
  uint64_t ssin = 0;
  bool student = false;
  bool interim = false;
  int32_t start = 0;
  int32_t end = kOpen;
  int32_t hours = 0;
  std::string end_hour;
  bool cancelled = false;
};

struct Tally {
  uint64_t lines = 0;
  uint64_t by_kind[kDeclarationKinds] = {};
  uint64_t bad_by_rule[kBadRules] = {};
  uint64_t malformed_by_kind[kMalformedKinds] = {};
  uint64_t unexpected = 0;
  std::vector<std::string> messages;  // the first unexpected lines
  bool recorded_at_monotonic = true;
  uint64_t interim_daily_ins = 0;
  uint64_t day_by_day_student_ins = 0;
  uint64_t place_of_work = 0;
  uint64_t using_employer_by_name = 0;
  uint64_t employer_ids = 0;
  uint64_t bis_numbers = 0;
  uint64_t follow_ups_with_employer = 0;
  uint64_t updates_repeating_start = 0;
  std::set<std::string> worker_types, joint_commissions;
  // Action lines.
  uint64_t actions = 0;
  uint64_t actions_by_kind[kActionLines] = {};
  uint64_t bad_actions_by_reason[kBadActions] = {};
  uint64_t flexi_ins_not_eligible = 0;  // valid FLX INs the flexi data make not eligible
};

std::string employer_key(const Json& e) {
  if (const Json* n = e.get("enterpriseNumber")) return "E" + n->text;
  return "N" + std::to_string(e.get("employerId")->integer);
}

bool hhmm_ok(const Json* h) {
  if (!h || h->text.size() != 4) return false;
  for (char c : h->text)
    if (c < '0' || c > '9') return false;
  return std::stoi(h->text.substr(0, 2)) < 24 && std::stoi(h->text.substr(2)) < 60;
}

// The shape rules no generated line breaks on purpose: a message when one is broken.
std::optional<std::string> shape_problem(const Json& in, const std::string& type, const std::string& jc, Date start,
                                         Date end) {
  static const std::set<std::string> kJcs = {"124", "140", "144", "145", "149", "302", "320", "322", "XXX"};
  static const std::set<std::string> kTypes = {"STU", "FLX", "OTH", "EXT"};
  if (!kJcs.count(jc) || !kTypes.count(type)) return "unknown joint commission or worker type";
  if (const Json* user = in.get("usingEmployer")) {
    const Json* ujc = user->get("jointCommissionNumber");
    if (!ujc || ujc->text == "322" || !kJcs.count(ujc->text)) return "bad usingEmployer joint commission";
    if (user->get("enterpriseNumber") && !parse_enterprise_number(user->get("enterpriseNumber")->text))
      return "bad usingEmployer enterprise number";
  }
  const bool has_end = end.days != kOpen;
  if ((jc == "322" || type == "EXT" || type == "STU") && !has_end) return "endDate missing";
  if (type == "EXT" && end.days - start.days > 1) return "EXT longer than two days";
  const bool hours_given = in.get("startHour") || in.get("endHour");
  if (hours_given && (!hhmm_ok(in.get("startHour")) || !hhmm_ok(in.get("endHour")))) return "bad hours";
  if ((type == "EXT" || (type == "FLX" && end == start)) && !hours_given) return "hours missing";
  if (hours_given && end == start && in.get("endHour")->text <= in.get("startHour")->text)
    return "endHour before startHour";
  if (in.get("studentPlaceOfWork") && type != "STU") return "place of work outside STU";
  return std::nullopt;
}

// --- Action lines (docs/actions.md) ---------------------------------------------------

// A field of an action: its JSON type, and whether the generator always sends it.
enum class AT { kInt, kNum, kStr, kBool, kStrOrNull };
struct ActionFieldRule {
  std::string_view name;
  AT type;
  bool always;
};
// Each action key: which envelope parts the generator sends (docs/actions.md's
// "envelope" column, exactly) and the fields it may carry.
struct ActionShape {
  std::string_view key;
  bool employer;
  bool worker;
  std::vector<ActionFieldRule> fields;
};

const std::vector<ActionShape>& action_shapes() {
  static const std::vector<ActionShape> shapes = {
      {"attestationRequest", false, true, {{"year", AT::kInt, true}}},
      {"dataAccessRequest",
       true,
       false,
       {{"scope", AT::kStr, true},
        {"channel", AT::kStr, true},
        {"requestId", AT::kStr, true},
        {"token", AT::kStr, true}}},
      {"dataAccessGrant", false, true, {{"token", AT::kStr, true}}},
      {"dataAccessRefusal", false, true, {{"token", AT::kStr, true}}},
      {"dataAccessRevocation", false, true, {{"requestId", AT::kStr, true}}},
      {"occupationQuarter",
       true,
       true,
       {{"year", AT::kInt, true},
        {"quarter", AT::kInt, true},
        {"fraction", AT::kNum, true},
        {"grossWage", AT::kNum, true}}},
      {"pensionStatus", false, true, {{"pensionedAsOf", AT::kStrOrNull, true}}},
      {"employerSettings",
       true,
       false,
       {{"contactName", AT::kStr, true},
        {"email", AT::kStr, true},
        {"phone", AT::kStr, true},
        {"sector", AT::kStr, false},
        {"acceptsNotifications", AT::kBool, true}}},
      {"careerBreakRequest",
       true,
       true,
       {{"leaveKind", AT::kStr, true},
        {"fraction", AT::kStr, true},
        {"startDate", AT::kStr, true},
        {"endDate", AT::kStr, true},
        {"regimeBefore", AT::kNum, true},
        {"regimeDuring", AT::kNum, true},
        {"multipleEmployers", AT::kBool, false},
        {"ticket", AT::kStr, true}}},
      {"careerBreakEmployeePart", false, true, {{"ticket", AT::kStr, true}}},
      {"careerBreakCancellation", true, false, {{"ticket", AT::kStr, true}}},
      {"careerBreakEndDate", true, false, {{"ticket", AT::kStr, true}, {"endDate", AT::kStr, true}}},
      {"careerBreakAttachment",
       true,
       false,
       {{"ticket", AT::kStr, false}, {"notificationId", AT::kStr, false}, {"fileName", AT::kStr, true}}},
      {"onemDecision", false, false, {{"ticket", AT::kStr, true}, {"decision", AT::kStr, true}}},
      {"careerBreakNotification",
       true,
       true,
       {{"leaveKind", AT::kStr, true},
        {"fraction", AT::kStr, true},
        {"startDate", AT::kStr, true},
        {"endDate", AT::kStr, false},
        {"notificationId", AT::kStr, true}}},
      {"careerBreakPostponement", true, false, {{"notificationId", AT::kStr, true}, {"startDate", AT::kStr, true}}},
      {"careerBreakNotificationRefusal", true, false, {{"notificationId", AT::kStr, true}}},
      {"careerBreakNotificationValidation", true, false, {{"notificationId", AT::kStr, true}}},
      {"inboxArchive", false, true, {{"messageId", AT::kStr, true}}},
      {"dataConsultation",
       false,
       true,
       {{"role", AT::kStr, true},
        {"scope", AT::kStr, true},
        {"channel", AT::kStr, true},
        {"auditor", AT::kStr, false}}},
      {"interimOverviewSend",
       false,
       true,
       {{"channel", AT::kStr, true},
        {"email", AT::kStr, false},
        {"from", AT::kStr, false},
        {"to", AT::kStr, false},
        {"workerType", AT::kStr, false},
        {"agency", AT::kStr, false},
        {"userCompany", AT::kStr, false}}},
  };
  return shapes;
}

// The index of the line's action key, or -1 when it has none.
int action_index(const Json& d) {
  const std::vector<ActionShape>& shapes = action_shapes();
  for (const std::string& key : d.keys)
    for (size_t i = 0; i < shapes.size(); ++i)
      if (shapes[i].key == key) return static_cast<int>(i);
  return -1;
}

bool type_ok(const Json& v, AT type) {
  switch (type) {
    case AT::kInt: return v.type == T::kInteger;
    case AT::kNum: return v.type == T::kInteger || v.type == T::kOtherNumber;
    case AT::kStr: return v.type == T::kString;
    case AT::kBool: return v.type == T::kBool;
    case AT::kStrOrNull: return v.type == T::kString || v.type == T::kNull;
  }
  return false;
}

// An empty string when the line is an envelope plus exactly one action of this shape.
std::string check_action_shape(const Json& d, const ActionShape& shape) {
  int actions = 0;
  for (size_t i = 0; i < d.keys.size(); ++i) {
    const std::string& k = d.keys[i];
    if (k == "employer" || k == "worker" || k == "recordedAt") continue;
    bool known = false;
    for (const ActionShape& s : action_shapes()) known = known || s.key == k;
    if (!known) return k + " is not a field";
    ++actions;
  }
  if (actions != 1) return "not exactly one action key";
  if (!d.get("recordedAt") || d.get("recordedAt")->type != T::kString) return "no recordedAt";
  if ((d.get("employer") != nullptr) != shape.employer) return "employer present or missing";
  if ((d.get("worker") != nullptr) != shape.worker) return "worker present or missing";
  if (const Json* em = d.get("employer")) {
    std::string e = check_fields(*em, "employer", {{"enterpriseNumber", T::kString}, {"employerId", T::kInteger}});
    if (!e.empty()) return e;
    if (em->keys.size() != 1) return "employer needs exactly one identifier";
    if (const Json* n = em->get("enterpriseNumber"); n && !parse_enterprise_number(n->text))
      return "bad enterprise number";
    if (const Json* n = em->get("employerId"); n && !parse_nsso_number(static_cast<uint64_t>(n->integer)))
      return "bad NSSO number";
  }
  if (const Json* w = d.get("worker")) {
    std::string e = check_fields(*w, "worker", {{"ssin", T::kString}});
    if (!e.empty()) return e;
    if (!w->get("ssin") || !parse_ssin(w->get("ssin")->text)) return "an action needs a valid ssin";
  }
  const Json& body = *d.get(shape.key);
  if (body.type != T::kObject) return std::string(shape.key) + " is not an object";
  for (size_t i = 0; i < body.keys.size(); ++i) {
    const auto rule = std::find_if(shape.fields.begin(), shape.fields.end(),
                                   [&](const ActionFieldRule& r) { return r.name == body.keys[i]; });
    if (rule == shape.fields.end()) return std::string(shape.key) + "." + body.keys[i] + " is not a field";
    if (!type_ok(body.values[i], rule->type)) return std::string(shape.key) + "." + body.keys[i] + " has the wrong type";
    if (body.values[i].type == T::kString && body.values[i].text.size() > 512) return "a text over 512 bytes";
  }
  for (const ActionFieldRule& r : shape.fields)
    if (r.always && !body.get(r.name)) return std::string(shape.key) + "." + std::string(r.name) + " is missing";
  return {};
}

bool is_action_id(const Json* v) {
  if (!v || v->text.size() != 12) return false;
  for (char c : v->text)
    if (c < '0' || c > '9') return false;
  return is_valid_dimona_id(std::stoull(v->text));
}

bool is_token(const Json* v) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  if (!v || v->text.size() != 20) return false;
  return std::all_of(v->text.begin(), v->text.end(), [](char c) { return kAlphabet.find(c) != std::string_view::npos; });
}

// A JSON number's permille: at most 3 decimals, no exponent; -1 when not.
int32_t permille_of(const Json* v) {
  if (!v || (v->type != T::kInteger && v->type != T::kOtherNumber) || v->text.empty() || v->text[0] == '-') return -1;
  const std::string& t = v->text;
  const size_t dot = t.find('.');
  if (t.find_first_of("eE") != std::string::npos) return -1;
  const std::string whole = t.substr(0, dot);
  std::string decimals = dot == std::string::npos ? "" : t.substr(dot + 1);
  if (decimals.size() > 3 || (dot != std::string::npos && decimals.empty())) return -1;
  decimals.resize(3, '0');
  return static_cast<int32_t>(std::stol(whole) * 1000 + std::stol(decimals));
}

// A JSON number of euros as cents: exactly 2 decimals, no exponent; -1 when not.
int64_t cents_of(const Json* v) {
  if (!v || v->type != T::kOtherNumber || v->text.empty() || v->text[0] == '-') return -1;
  const std::string& t = v->text;
  const size_t dot = t.find('.');
  if (dot == std::string::npos || t.size() - dot - 1 != 2 || t.find_first_of("eE") != std::string::npos) return -1;
  return std::stoll(t.substr(0, dot)) * 100 + std::stoll(t.substr(dot + 1));
}

std::optional<Date> date_field(const Json& body, std::string_view name) {
  const Json* v = body.get(name);
  if (!v || v->type != T::kString || v->text.size() != 10) return std::nullopt;
  return parse_date(v->text);
}

// The same day and time `months` later, or the month's last day when shorter (docs/actions.md).
Instant plus_months(Instant at, int32_t months) {
  const Date d = date_of(at);
  const CivilDate c = civil_from_date(d);
  const int32_t index = c.year * 12 + c.month - 1 + months;
  const Date first = date_from_civil(index / 12, index % 12 + 1, 1);
  const Date next = date_from_civil((index + 1) / 12, (index + 1) % 12 + 1, 1);
  const Date day{first.days + std::min(c.day - 1, next.days - first.days - 1)};
  return Instant{start_of(day).micros + (at.micros - start_of(d).micros)};
}

const QuotaSchedule& quota_schedule() {
  static const QuotaSchedule schedule = [] {
    Result<QuotaSchedule> s = load_quota_schedule("");
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    return s.is_ok() ? *s : QuotaSchedule{};
  }();
  return schedule;
}

// What the actions of a stream add up to, for the shares of docs/generator.md.
struct ActionFacts {
  std::set<uint64_t> attesting_students;
  uint64_t attestations_this_year = 0, attestations_next_year = 0;
  uint64_t requests_student = 0, requests_flexi = 0, requests_link = 0;
  uint64_t grants = 0, refusals = 0, revocations = 0;
  std::set<uint64_t> flexi_workers;  // with a valid FLX IN
  uint64_t flexi_ins = 0;             // valid FLX INs
  std::map<uint64_t, std::map<int32_t, int32_t>> fractions;  // flexi data: ssin -> quarter index -> permille (summed)
  std::set<uint64_t> pensioners;
  uint64_t break_requests = 0, break_cancelled = 0, employee_parts = 0, decisions = 0, granted = 0;
  std::set<std::string> tickets_with_end_date, tickets_with_attachment;
  uint64_t notifications = 0, validated = 0, refused = 0;
  std::set<std::string> postponed;
  uint64_t settings = 0, settings_accepting = 0;
  std::map<std::string, bool> accepts;  // employer -> acceptsNotifications
  std::set<std::string> notified;       // employers with a valid notification
  std::map<std::string, int> leave_shapes;  // "TIME_CREDIT 1/5" -> count
};

// The gross wages of the occupation quarters against docs/generator.md ("Wages").
struct WageFacts {
  uint64_t student_lines = 0, other_lines = 0;
  uint64_t student_quarters_worked = 0;  // (student, employer, quarter) with hours the ledger counts
  int64_t student_hours = 0, student_cents = 0;
  double student_rate_min = 1e9, student_rate_max = 0;    // euros an hour
  double main_job_rate_min = 1e9, main_job_rate_max = 0;  // euros an hour of the fraction's full-time quarter
  uint64_t problems = 0;
  std::vector<std::string> first_problems;
  void problem(const std::string& why) {
    ++problems;
    if (first_problems.size() < 5) first_problems.push_back(why);
  }
};

class Checker {
 public:
  void line(std::string_view text);
  void finish();  // the checks that need the whole stream
  const Tally& tally() const { return tally_; }
  const ActionFacts& facts() const { return facts_; }
  // Effective student hours per SSIN and per quarter of startDate, as a ledger folds them.
  std::map<uint64_t, int64_t> student_hours() const;
  int64_t student_hours_in_quarter(int q) const;
  int64_t student_interim_hours() const;
  // Every occupation quarter's wage, with the hours of the whole stream (the UPDATEs included).
  WageFacts wages() const;

 private:
  using Verdict = std::optional<BadRule>;  // nullopt: valid
  struct Unexpected {
    std::string why;
  };
  std::variant<Verdict, Unexpected> check_in(const Json& d, const Json& in, Instant recorded);
  std::variant<Verdict, Unexpected> check_update(const Json& d, const Json& u);
  std::variant<Verdict, Unexpected> check_out(const Json& d, const Json& o);
  std::variant<Verdict, Unexpected> check_cancel(const Json& c);
  const CheckedPeriod* overlapping(const std::string& key, int32_t start, int32_t end, uint64_t except) const;
  // Actions: nullopt when the ledger accepts it, else the reason it refuses it (docs/actions.md).
  using Refusal = std::optional<std::string>;
  void action_line(std::string_view text, const Json& d, int index);
  std::variant<Refusal, Unexpected> check_action(ActionLine line, const Json& d, const Json& body, Instant at);
  std::variant<Refusal, Unexpected> check_break_action(ActionLine line, const Json& body, const std::string& employer,
                                                       uint64_t ssin, Instant at);
  void note_flexi_in(uint64_t ssin, const std::string& employer, Date start);
  void unexpected(std::string_view line, const std::string& why) {
    ++tally_.unexpected;
    if (tally_.messages.size() < 5) tally_.messages.push_back(why + ": " + std::string(line));
  }

  Tally tally_;
  std::optional<Instant> last_;
  std::unordered_map<uint64_t, CheckedPeriod> periods_;
  std::unordered_map<std::string, std::vector<uint64_t>> by_key_;

  // The ledger's action state, as docs/actions.md decides it.
  struct Request {
    std::string employer, scope;
    uint64_t answered_by = 0;
    bool granted = false, revoked = false;
    Instant expires;
  };
  struct Ticket {
    std::string employer;
    uint64_t ssin = 0;
    Date start, end;
    bool cancelled = false, completed = false, decided = false;
  };
  struct Notification {
    std::string employer;
    uint64_t ssin = 0;
    Date start;
    bool closed = false;
  };
  struct Occupation {
    std::string employer;
    int32_t quarter = 0;  // year * 4 + quarter - 1
    int32_t permille = 0;
    int64_t cents = 0;  // grossWage
  };
  std::vector<Request> requests_;
  std::unordered_map<std::string, size_t> request_by_id_, request_by_token_;
  std::set<std::string> imported_;  // every imported id and token
  std::unordered_map<std::string, Ticket> tickets_;
  std::unordered_map<std::string, Notification> notifications_;
  std::unordered_map<std::string, bool> accepts_;  // employer settings
  std::set<std::string> break_employers_;
  std::unordered_map<uint64_t, std::vector<Occupation>> occupations_;
  std::unordered_map<uint64_t, std::optional<Date>> pensions_;
  std::unordered_map<uint64_t, std::set<std::string>> flexi_employers_;
  std::set<uint64_t> students_;  // with a valid STU IN
  ActionFacts facts_;
  simdjson::dom::parser dom_;
};

void Checker::line(std::string_view text) {
  ++tally_.lines;
  std::optional<Json> d = JsonReader(text).document();
  if (!d) return ++tally_.malformed_by_kind[static_cast<size_t>(MalformedKind::kTruncated)], void();
  if (const int a = action_index(*d); a >= 0) return action_line(text, *d, a);
  const std::string fields = check_declaration(*d);
  if (!fields.empty()) {
    if (fields.find("plannedHours is not a field") != std::string::npos)
      ++tally_.malformed_by_kind[static_cast<size_t>(MalformedKind::kUnknownField)];
    else if (fields.find("plannedHoursNumber has the wrong type") != std::string::npos)
      ++tally_.malformed_by_kind[static_cast<size_t>(MalformedKind::kWrongType)];
    else
      unexpected(text, fields);
    return;
  }
  const std::optional<Instant> recorded = parse_instant(d->get("recordedAt")->text);
  if (!recorded || d->get("recordedAt")->text.size() != 20) return unexpected(text, "recordedAt is not RFC 3339 UTC");
  if (last_ && *recorded < *last_) tally_.recorded_at_monotonic = false;
  last_ = recorded;
  if (d->get("employer") && !d->get("dimonaIn")) ++tally_.follow_ups_with_employer;
  std::variant<Verdict, Unexpected> verdict;
  if (const Json* in = d->get("dimonaIn")) {
    ++tally_.by_kind[0];
    verdict = check_in(*d, *in, *recorded);
  } else if (const Json* u = d->get("dimonaUpdate")) {
    ++tally_.by_kind[1];
    verdict = check_update(*d, *u);
  } else if (const Json* o = d->get("dimonaOut")) {
    ++tally_.by_kind[2];
    verdict = check_out(*d, *o);
  } else {
    ++tally_.by_kind[3];
    verdict = check_cancel(*d->get("dimonaCancel"));
  }
  if (const Unexpected* u = std::get_if<Unexpected>(&verdict)) return unexpected(text, u->why);
  if (const Verdict& v = std::get<Verdict>(verdict)) ++tally_.bad_by_rule[static_cast<size_t>(*v)];
}

const CheckedPeriod* Checker::overlapping(const std::string& key, int32_t start, int32_t end, uint64_t except) const {
  const auto it = by_key_.find(key);
  if (it == by_key_.end()) return nullptr;
  for (const uint64_t id : it->second) {
    const CheckedPeriod& p = periods_.at(id);
    if (id != except && !p.cancelled && p.start <= end && start <= p.end) return &p;
  }
  return nullptr;
}

std::variant<std::optional<BadRule>, Checker::Unexpected> Checker::check_in(const Json& d, const Json& in,
                                                                            Instant recorded) {
  const Json& features = *in.get("features");
  const std::string type = features.get("workerType") ? features.get("workerType")->text : "";
  const std::string jc = features.get("jointCommissionNumber") ? features.get("jointCommissionNumber")->text : "";
  tally_.worker_types.insert(type);
  tally_.joint_commissions.insert(jc);
  const Json& employer = *d.get("employer");
  const Result<Ssin> ssin = parse_ssin(d.get("worker")->get("ssin")->text);
  if (!ssin) return BadRule::kInvalidSsin;
  if (details_of(*ssin).kind == SsinKind::kBis) ++tally_.bis_numbers;
  if (const Json* n = employer.get("enterpriseNumber")) {
    if (!parse_enterprise_number(n->text)) return BadRule::kInvalidEnterpriseNumber;
  } else {
    ++tally_.employer_ids;
    if (!parse_nsso_number(static_cast<uint64_t>(employer.get("employerId")->integer)))
      return Unexpected{"bad NSSO number"};
  }
  const std::optional<Date> start_date = in.get("startDate") ? parse_date(in.get("startDate")->text) : std::nullopt;
  const std::optional<Date> end_date = in.get("endDate") ? parse_date(in.get("endDate")->text) : std::nullopt;
  if (!start_date || (in.get("endDate") && !end_date)) return Unexpected{"bad or missing dates"};
  const Date start = start_date.value_or(Date{});
  const bool has_end = end_date.has_value();
  const Date end = end_date.value_or(start);
  if (end < start) return Unexpected{"end before start"};
  // 90373-460 as the decision reads it: after the start hour, or once the start day is over,
  // on a Belgian clock.
  const Json* start_hour = in.get("startHour");
  const int32_t minutes = start_hour && start_hour->text.size() == 4
                              ? std::stoi(start_hour->text.substr(0, 2)) * 60 + std::stoi(start_hour->text.substr(2))
                              : -1;
  const Instant work_starts =
      minutes >= 0 ? brussels_instant(start, minutes) : brussels_instant(Date{start.days + 1}, 0);
  if (minutes >= 0 ? work_starts < recorded : work_starts <= recorded) return Unexpected{"late IN"};
  const bool student = type == "STU";
  const Json* hours = in.get("plannedHoursNumber");
  if (student && quarter_index(start) != quarter_index(end)) return BadRule::kStudentCrossesQuarter;
  if (student && !hours) return BadRule::kStudentWithoutHours;
  if (hours && !student) return BadRule::kHoursOnNonStudent;
  if (hours && (hours->integer < 1 || hours->integer > 999)) return BadRule::kHoursOutOfDomain;
  const Json* user = in.get("usingEmployer");
  if (jc == "322" && !user) return BadRule::kInterimWithoutUsingEmployer;
  if (jc != "322" && user) return BadRule::kUsingEmployerOutsideInterim;
  if (std::optional<std::string> why = shape_problem(in, type, jc, start, has_end ? end : Date{kOpen}))
    return Unexpected{*why};
  if (user && user->get("name")) ++tally_.using_employer_by_name;
  const Json* id = in.get("periodId");
  if (!id || !is_valid_dimona_id(static_cast<uint64_t>(id->integer))) return Unexpected{"bad period id"};
  const auto period_id = static_cast<uint64_t>(id->integer);
  if (periods_.count(period_id)) return BadRule::kDuplicateIn;
  CheckedPeriod p;
  p.employer = employer_key(employer);
  p.ssin = ssin->value;
  p.student = student;
  p.interim = jc == "322";
  p.key = std::to_string(p.ssin) + "|" + p.employer + "|" + type + "|" +
          (user ? (user->get("name") ? user->get("name")->text : user->get("enterpriseNumber")->text) : "");
  p.start = start.days;
  p.end = has_end ? end.days : kOpen;
  p.hours = hours ? static_cast<int32_t>(hours->integer) : 0;
  if (in.get("endHour")) p.end_hour = in.get("endHour")->text;
  if (overlapping(p.key, p.start, p.end, 0)) return BadRule::kOverlappingIn;
  if (p.interim && p.start == p.end) ++tally_.interim_daily_ins;
  if (student && !p.interim && p.start == p.end) ++tally_.day_by_day_student_ins;
  if (in.get("studentPlaceOfWork")) ++tally_.place_of_work;
  if (type == "FLX") note_flexi_in(p.ssin, p.employer, start);
  if (student) students_.insert(p.ssin);
  by_key_[p.key].push_back(period_id);
  periods_.emplace(period_id, std::move(p));
  return std::nullopt;
}

std::variant<std::optional<BadRule>, Checker::Unexpected> Checker::check_update(const Json& d, const Json& u) {
  const auto id = static_cast<uint64_t>(u.get("periodId")->integer);
  if (!is_valid_dimona_id(id)) return Unexpected{"UPDATE of a period id with a bad check"};
  const auto it = periods_.find(id);
  if (it == periods_.end()) return BadRule::kUnknownPeriod;
  CheckedPeriod& p = it->second;
  if (p.cancelled) return Unexpected{"UPDATE of a cancelled period"};
  if (d.get("employer") && employer_key(*d.get("employer")) != p.employer)
    return Unexpected{"UPDATE by another employer"};
  const Json* hours = u.get("plannedHoursNumber");
  if (hours && (hours->integer < 1 || hours->integer > 999)) return BadRule::kHoursOutOfDomain;
  const std::optional<Date> start = u.get("startDate") ? parse_date(u.get("startDate")->text) : std::nullopt;
  if (start && start->days != p.start) {
    if (p.student) return BadRule::kStudentStartDateChanged;
    return Unexpected{"UPDATE moves a start"};
  }
  if (hours && !p.student) return Unexpected{"UPDATE with hours outside STU"};
  int32_t end = p.end;
  if (const Json* e = u.get("endDate")) {
    const std::optional<Date> date = parse_date(e->text);
    if (!date || date->days < p.start) return Unexpected{"UPDATE endDate before start"};
    if (p.student && quarter_index(*date) != quarter_index(Date{p.start}))
      return Unexpected{"UPDATE moves a STU end out of its quarter"};
    end = date->days;
    if (overlapping(p.key, p.start, end, id)) return Unexpected{"UPDATE makes periods overlap"};
  }
  const bool changes = (hours && hours->integer != p.hours) || end != p.end ||
                       (u.get("endHour") && u.get("endHour")->text != p.end_hour);
  if (!changes) return Unexpected{"UPDATE without changes (90378-444)"};
  if (u.get("endHour") && !hhmm_ok(u.get("endHour"))) return Unexpected{"bad endHour"};
  if (start) ++tally_.updates_repeating_start;
  if (hours) p.hours = static_cast<int32_t>(hours->integer);
  if (u.get("endHour")) p.end_hour = u.get("endHour")->text;
  p.end = end;
  return std::nullopt;
}

std::variant<std::optional<BadRule>, Checker::Unexpected> Checker::check_out(const Json& d, const Json& o) {
  const auto id = static_cast<uint64_t>(o.get("periodId")->integer);
  if (!is_valid_dimona_id(id)) return Unexpected{"OUT of a period id with a bad check"};
  const auto it = periods_.find(id);
  if (it == periods_.end()) return BadRule::kUnknownPeriod;
  CheckedPeriod& p = it->second;
  if (p.cancelled) return Unexpected{"OUT of a cancelled period"};
  if (d.get("employer") && employer_key(*d.get("employer")) != p.employer) return Unexpected{"OUT by another employer"};
  const std::optional<Date> end = o.get("endDate") ? parse_date(o.get("endDate")->text) : std::nullopt;
  if (!end || end->days < p.start || end->days > p.end) return Unexpected{"OUT outside the period"};
  p.end = end->days;
  return std::nullopt;
}

std::variant<std::optional<BadRule>, Checker::Unexpected> Checker::check_cancel(const Json& c) {
  const auto id = static_cast<uint64_t>(c.get("periodId")->integer);
  if (!is_valid_dimona_id(id)) return Unexpected{"CANCEL of a period id with a bad check"};
  const auto it = periods_.find(id);
  if (it == periods_.end()) return BadRule::kUnknownPeriod;
  if (it->second.cancelled) return BadRule::kAlreadyCancelled;
  it->second.cancelled = true;
  return std::nullopt;
}

// --- The action checker ------------------------------------------------------------------

void Checker::action_line(std::string_view text, const Json& d, int index) {
  ++tally_.actions;
  ++tally_.actions_by_kind[index];
  const ActionShape& shape = action_shapes()[static_cast<size_t>(index)];
  if (std::string e = check_action_shape(d, shape); !e.empty()) return unexpected(text, e);
  // A second, independent parser: simdjson's DOM, for the numbers as doubles.
  simdjson::dom::element root;
  if (dom_.parse(text.data(), text.size()).get(root)) return unexpected(text, "simdjson refuses the line");
  simdjson::dom::object body_object;
  if (root[shape.key].get(body_object)) return unexpected(text, "simdjson finds no action object");
  const Json& body = *d.get(shape.key);
  for (const ActionFieldRule& rule : shape.fields) {
    if (rule.type != AT::kNum || !body.get(rule.name)) continue;
    double x = -1;
    if (body_object[rule.name].get_double().get(x)) return unexpected(text, "simdjson reads no number");
    const int32_t permille = permille_of(body.get(rule.name));
    if (permille < 0 || std::fabs(x * 1000.0 - permille) > 1e-6) return unexpected(text, "a number with more than 3 decimals");
  }
  const std::optional<Instant> recorded = parse_instant(d.get("recordedAt")->text);
  if (!recorded || d.get("recordedAt")->text.size() != 20) return unexpected(text, "recordedAt is not RFC 3339 UTC");
  if (last_ && *recorded < *last_) tally_.recorded_at_monotonic = false;
  last_ = recorded;
  std::variant<Refusal, Unexpected> verdict = check_action(static_cast<ActionLine>(index), d, body, *recorded);
  if (const Unexpected* u = std::get_if<Unexpected>(&verdict)) return unexpected(text, u->why);
  const Refusal& refusal = std::get<Refusal>(verdict);
  if (!refusal) return;
  for (size_t r = 0; r < kBadActions; ++r)
    if (bad_action_name(static_cast<BadAction>(r)) == *refusal) return ++tally_.bad_actions_by_reason[r], void();
  unexpected(text, "refused: " + *refusal);
}

std::variant<Checker::Refusal, Checker::Unexpected> Checker::check_action(ActionLine line, const Json& d,
                                                                          const Json& body, Instant at) {
  const std::string employer = d.get("employer") ? employer_key(*d.get("employer")) : "";
  const uint64_t ssin = d.get("worker") ? parse_ssin(d.get("worker")->get("ssin")->text)->value : 0;
  const Date today = date_of(at);
  switch (line) {
    case ActionLine::kAttestationRequest: {  // rule 11
      const int64_t year = body.get("year")->integer;
      const CivilDate c = civil_from_date(today);
      if (year != c.year && !(year == c.year + 1 && c.month == 12)) return Refusal{"yearNotAvailable"};
      const auto& entries = quota_schedule().entries;
      if (std::none_of(entries.begin(), entries.end(),
                       [&](const QuotaEntry& e) { return e.year == year && e.defined_at <= at; }))
        return Refusal{"quotaUnknown"};
      if (year == c.year) {
        ++facts_.attestations_this_year;
        facts_.attesting_students.insert(ssin);
      } else {
        ++facts_.attestations_next_year;
      }
      return Refusal{};
    }
    case ActionLine::kDataAccessRequest: {
      const std::string scope = body.get("scope")->text, channel = body.get("channel")->text;
      if ((scope != "FLEXI" && scope != "STUDENT_BALANCE") || (channel != "QR" && channel != "LINK"))
        return Unexpected{"scope or channel outside their lists"};
      const Json *id = body.get("requestId"), *token = body.get("token");
      if (!is_action_id(id) || !is_token(token)) return Unexpected{"bad requestId or token"};
      if (imported_.count(id->text) || imported_.count(token->text)) return Refusal{"idInUse"};
      imported_.insert(id->text);
      imported_.insert(token->text);
      request_by_id_[id->text] = request_by_token_[token->text] = requests_.size();
      requests_.push_back(Request{employer, scope, 0, false, false, Instant{}});
      ++(scope == "FLEXI" ? facts_.requests_flexi : facts_.requests_student);
      facts_.requests_link += channel == "LINK" ? 1 : 0;
      return Refusal{};
    }
    case ActionLine::kDataAccessGrant:
    case ActionLine::kDataAccessRefusal: {  // rule 12
      const Json* token = body.get("token");
      if (!is_token(token)) return Unexpected{"bad token"};
      const auto it = request_by_token_.find(token->text);
      if (it == request_by_token_.end()) return Refusal{"unknownToken"};
      Request& r = requests_[it->second];
      if (r.answered_by != 0) return Refusal{"tokenAlreadyUsed"};
      r.answered_by = ssin;
      if (line == ActionLine::kDataAccessRefusal) return ++facts_.refusals, Refusal{};
      r.granted = true;
      r.expires = plus_months(at, r.scope == "FLEXI" ? 1 : 3);
      ++facts_.grants;
      return Refusal{};
    }
    case ActionLine::kDataAccessRevocation: {
      const Json* id = body.get("requestId");
      if (!is_action_id(id)) return Unexpected{"bad requestId"};
      const auto it = request_by_id_.find(id->text);
      if (it == request_by_id_.end() || !requests_[it->second].granted || requests_[it->second].answered_by != ssin)
        return Refusal{"unknownRequest"};
      Request& r = requests_[it->second];
      if (r.revoked || at >= r.expires) return Refusal{"notActive"};
      r.revoked = true;
      ++facts_.revocations;
      return Refusal{};
    }
    case ActionLine::kOccupationQuarter: {
      const int64_t year = body.get("year")->integer, quarter = body.get("quarter")->integer;
      const int32_t permille = permille_of(body.get("fraction"));
      const int64_t cents = cents_of(body.get("grossWage"));
      if (quarter < 1 || quarter > 4 || year < 1900 || permille < 0 || permille > 1500)
        return Unexpected{"quarter or fraction out of range"};
      if (cents < 0 || cents > 1'000'000 * 100) return Unexpected{"grossWage not euros with 2 decimals in range"};
      const auto q = static_cast<int32_t>(year * 4 + quarter - 1);
      if (first_day_of_quarter(q + 1) > today) return Unexpected{"an occupation recorded before its quarter ends"};
      occupations_[ssin].push_back(Occupation{employer, q, permille, cents});
      if (!students_.count(ssin)) facts_.fractions[ssin][q] += permille;  // the flexi data
      return Refusal{};
    }
    case ActionLine::kPensionStatus: {
      const Json* v = body.get("pensionedAsOf");
      if (v->type == T::kNull) return pensions_[ssin] = std::nullopt, Refusal{};
      const std::optional<Date> date = date_field(body, "pensionedAsOf");
      if (!date) return Unexpected{"bad pensionedAsOf"};
      pensions_[ssin] = *date;
      facts_.pensioners.insert(ssin);
      return Refusal{};
    }
    case ActionLine::kEmployerSettings: {
      for (std::string_view f : {"contactName", "email", "phone", "sector"})
        if (body.get(f) && body.get(f)->text.empty()) return Unexpected{"an empty text"};
      if (body.get("email")->text.find('@') == std::string::npos) return Unexpected{"an email without @"};
      if (accepts_.count(employer)) return Unexpected{"a second settings line"};
      const bool accepts = body.get("acceptsNotifications")->integer != 0;
      accepts_[employer] = accepts;
      facts_.accepts[employer] = accepts;
      ++facts_.settings;
      facts_.settings_accepting += accepts ? 1 : 0;
      return Refusal{};
    }
    default: return check_break_action(line, body, employer, ssin, at);
  }
}

// Career-break requests and notifications (rule 15; seed 004).
std::variant<Checker::Refusal, Checker::Unexpected> Checker::check_break_action(ActionLine line, const Json& body,
                                                                                const std::string& employer,
                                                                                uint64_t ssin, Instant at) {
  static const std::set<std::string> kLeaveKinds = {"TIME_CREDIT",        "END_OF_CAREER_TIME_CREDIT",
                                                    "CAREER_BREAK",       "PARENTAL_LEAVE",
                                                    "MEDICAL_ASSISTANCE", "PALLIATIVE_CARE"};
  static const std::map<std::string, int32_t> kRegimeDuring = {{"FULL", 0}, {"1/2", 500}, {"1/5", 800}, {"1/10", 900}};
  const Date today = date_of(at);
  const auto leave_ok = [&] {
    return kLeaveKinds.count(body.get("leaveKind")->text) && kRegimeDuring.count(body.get("fraction")->text);
  };
  if (line != ActionLine::kCareerBreakRequest && !employer.empty()) break_employers_.insert(employer);
  switch (line) {
    case ActionLine::kCareerBreakRequest: {
      const std::optional<Date> start = date_field(body, "startDate"), end = date_field(body, "endDate");
      if (!leave_ok() || !start || !end) return Unexpected{"bad leave, fraction or dates"};
      if (permille_of(body.get("regimeBefore")) != 1000 ||
          permille_of(body.get("regimeDuring")) != kRegimeDuring.at(body.get("fraction")->text))
        return Unexpected{"regimes not those of the fraction"};
      if (start->days - today.days < 80 || start->days - today.days > 190)
        return Unexpected{"a break not starting 3-6 months after its request"};
      const Json* ticket = body.get("ticket");
      if (!is_action_id(ticket)) return Unexpected{"bad ticket"};
      if (imported_.count(ticket->text)) return Refusal{"idInUse"};
      imported_.insert(ticket->text);
      if (*end < *start) return Refusal{"endBeforeStart"};
      tickets_[ticket->text] = Ticket{employer, ssin, *start, *end};
      break_employers_.insert(employer);
      ++facts_.break_requests;
      ++facts_.leave_shapes[body.get("leaveKind")->text + " " + body.get("fraction")->text];
      return Refusal{};
    }
    case ActionLine::kCareerBreakEmployeePart:
    case ActionLine::kCareerBreakCancellation:
    case ActionLine::kCareerBreakEndDate:
    case ActionLine::kOnemDecision: {
      const Json* id = body.get("ticket");
      if (!is_action_id(id)) return Unexpected{"bad ticket"};
      const auto it = tickets_.find(id->text);
      if (it == tickets_.end()) return Refusal{"unknownTicket"};
      Ticket& t = it->second;
      if (line == ActionLine::kCareerBreakEmployeePart ? ssin != t.ssin
                                                       : line != ActionLine::kOnemDecision && employer != t.employer)
        return Refusal{"unknownTicket"};
      if (t.cancelled) return Refusal{"requestCancelled"};
      if (line == ActionLine::kCareerBreakEmployeePart) {
        if (t.completed) return Refusal{"employeePartAlreadyCompleted"};
        t.completed = true;
        return ++facts_.employee_parts, Refusal{};
      }
      if (line == ActionLine::kOnemDecision) {
        const std::string& decision = body.get("decision")->text;
        if (decision != "GRANTED" && decision != "REFUSED") return Unexpected{"bad decision"};
        if (!t.completed) return Refusal{"employeePartNotCompleted"};
        if (t.decided) return Refusal{"alreadyDecided"};
        t.decided = true;
        ++facts_.decisions;
        facts_.granted += decision == "GRANTED" ? 1 : 0;
        return Refusal{};
      }
      if (t.completed) return Refusal{"employeePartCompleted"};
      if (line == ActionLine::kCareerBreakCancellation) {
        t.cancelled = true;
        return ++facts_.break_cancelled, Refusal{};
      }
      const std::optional<Date> end = date_field(body, "endDate");
      if (!end) return Unexpected{"bad endDate"};
      if (*end < t.start) return Refusal{"endBeforeStart"};
      t.end = *end;
      facts_.tickets_with_end_date.insert(id->text);
      return Refusal{};
    }
    case ActionLine::kCareerBreakAttachment: {
      const Json *ticket = body.get("ticket"), *notification = body.get("notificationId");
      if ((ticket != nullptr) == (notification != nullptr)) return Unexpected{"not exactly one of ticket, notificationId"};
      if (body.get("fileName")->text.empty()) return Unexpected{"an empty fileName"};
      if (ticket) {
        if (!is_action_id(ticket)) return Unexpected{"bad ticket"};
        const auto it = tickets_.find(ticket->text);
        if (it == tickets_.end()) return Refusal{"unknownTicket"};
        if (it->second.employer != employer) return Refusal{"unknownTicket"};
        if (it->second.cancelled) return Refusal{"requestCancelled"};
        facts_.tickets_with_attachment.insert(ticket->text);
        return Refusal{};
      }
      if (!is_action_id(notification)) return Unexpected{"bad notificationId"};
      const auto it = notifications_.find(notification->text);
      if (it == notifications_.end()) return Refusal{"unknownNotification"};
      if (it->second.employer != employer) return Refusal{"unknownNotification"};
      if (it->second.closed) return Refusal{"notificationClosed"};
      return Refusal{};
    }
    case ActionLine::kCareerBreakNotification: {
      const std::optional<Date> start = date_field(body, "startDate");
      const std::optional<Date> end = body.get("endDate") ? date_field(body, "endDate") : std::nullopt;
      if (!leave_ok() || !start || (body.get("endDate") && !end)) return Unexpected{"bad leave, fraction or dates"};
      const Json* id = body.get("notificationId");
      if (!is_action_id(id)) return Unexpected{"bad notificationId"};
      if (imported_.count(id->text)) return Refusal{"idInUse"};
      imported_.insert(id->text);
      const auto settings = accepts_.find(employer);
      if (settings == accepts_.end() || !settings->second) return Refusal{"notificationsNotAccepted"};
      if (end && *end < *start) return Refusal{"endBeforeStart"};
      notifications_[id->text] = Notification{employer, ssin, *start};
      ++facts_.notifications;
      facts_.notified.insert(employer);
      return Refusal{};
    }
    case ActionLine::kCareerBreakPostponement:
    case ActionLine::kCareerBreakNotificationRefusal:
    case ActionLine::kCareerBreakNotificationValidation: {
      const Json* id = body.get("notificationId");
      if (!is_action_id(id)) return Unexpected{"bad notificationId"};
      const auto it = notifications_.find(id->text);
      if (it == notifications_.end()) return Refusal{"unknownNotification"};
      Notification& n = it->second;
      if (n.employer != employer) return Refusal{"unknownNotification"};
      if (n.closed) return Refusal{"notificationClosed"};
      if (line == ActionLine::kCareerBreakPostponement) {
        const std::optional<Date> start = date_field(body, "startDate");
        if (!start) return Unexpected{"bad startDate"};
        if (*start <= n.start) return Refusal{"postponementNotLater"};
        n.start = *start;
        facts_.postponed.insert(id->text);
        return Refusal{};
      }
      n.closed = true;
      ++(line == ActionLine::kCareerBreakNotificationValidation ? facts_.validated : facts_.refused);
      return Refusal{};
    }
    default: break;
  }
  return Unexpected{"not a career-break action"};
}

// Rule 13 for a valid FLX IN, with the flexi data recorded so far.
void Checker::note_flexi_in(uint64_t ssin, const std::string& employer, Date start) {
  facts_.flexi_workers.insert(ssin);
  ++facts_.flexi_ins;
  flexi_employers_[ssin].insert(employer);
  const int32_t t = quarter_index(start);
  if (const auto p = pensions_.find(ssin); p != pensions_.end() && p->second && civil_from_date(start).year >= 2018 &&
                                           *p->second < first_day_of_quarter(t - 1))
    return;  // pensioned by the last day of T-2
  int32_t sum[6] = {};  // T-5 .. T
  for (const Occupation& o : occupations_[ssin])
    if (o.employer != employer && o.quarter >= t - 5 && o.quarter <= t) sum[o.quarter - (t - 5)] += o.permille;
  const int32_t t5 = sum[0], t4 = sum[1], t3 = sum[2];
  const bool eligible = t3 >= 800 && (t < 2024 * 4 || (t5 <= t4 && t4 <= t3));
  if (!eligible) ++tally_.flexi_ins_not_eligible;
}

void Checker::finish() {
  for (const auto& [ssin, employers] : flexi_employers_) {
    for (const Occupation& o : occupations_[ssin])
      if (employers.count(o.employer)) unexpected("", "an occupation at a flexi employer of the same worker");
    if (occupations_[ssin].empty() && !pensions_.count(ssin)) unexpected("", "a flexi worker without flexi data");
  }
  for (const std::string& e : break_employers_)
    if (!accepts_.count(e)) unexpected(e, "an employer in career-break actions without settings");
}

std::map<uint64_t, int64_t> Checker::student_hours() const {
  std::map<uint64_t, int64_t> hours;
  for (const auto& [id, p] : periods_)
    if (p.student && !p.cancelled) hours[p.ssin] += p.hours;
  return hours;
}

int64_t Checker::student_hours_in_quarter(int q) const {
  int64_t hours = 0;
  for (const auto& [id, p] : periods_)
    if (p.student && !p.cancelled && quarter_of(Date{p.start}) == q) hours += p.hours;
  return hours;
}

int64_t Checker::student_interim_hours() const {
  int64_t hours = 0;
  for (const auto& [id, p] : periods_)
    if (p.student && p.interim && !p.cancelled) hours += p.hours;
  return hours;
}

// docs/generator.md "Wages": a student's wage is the hours the ledger counts at one
// employer in one quarter times that employer's rate, 11.00-16.00 EUR an hour, with the
// fraction those hours of a 494-hour quarter (at most 1.5), once per quarter worked; anyone
// else's (a flexi worker's main job) is the fraction of 494 hours at 15.00-30.00 EUR an hour.
WageFacts Checker::wages() const {
  constexpr int64_t kQuarterHours = 38 * 13;
  WageFacts w;
  std::map<std::tuple<uint64_t, std::string, int32_t>, int64_t> hours;  // (ssin, employer, quarter)
  for (const auto& [id, p] : periods_)
    if (p.student && !p.cancelled) hours[{p.ssin, p.employer, quarter_index(Date{p.start})}] += p.hours;
  std::map<std::tuple<uint64_t, std::string, int32_t>, int> lines;
  for (const auto& [ssin, occupations] : occupations_) {
    for (const Occupation& o : occupations) {
      const std::string what = std::to_string(ssin) + " at " + o.employer + " in quarter " + std::to_string(o.quarter) +
                               ": " + std::to_string(o.cents) + " cents, " + std::to_string(o.permille) + " permille";
      if (!students_.count(ssin)) {
        ++w.other_lines;
        const double base = static_cast<double>(o.permille) * kQuarterHours / 1000.0;  // hours of the fraction
        if (o.permille == 0) {
          w.problem("a main job without hours: " + what);
          continue;
        }
        const double rate = static_cast<double>(o.cents) / 100.0 / base;
        // The wage is rounded to the cent: half a cent of leeway either way.
        if (o.cents * 1000 + 500 < o.permille * kQuarterHours * 1500 || o.cents * 1000 - 500 > o.permille * kQuarterHours * 3000)
          w.problem("a main job's wage outside 15-30 EUR an hour: " + what);
        w.main_job_rate_min = std::min(w.main_job_rate_min, rate);
        w.main_job_rate_max = std::max(w.main_job_rate_max, rate);
        continue;
      }
      ++w.student_lines;
      const auto key = std::make_tuple(ssin, o.employer, o.quarter);
      ++lines[key];
      const auto it = hours.find(key);
      const int64_t h = it == hours.end() ? 0 : it->second;
      if (h == 0) {
        w.problem("a student's wage for a quarter not worked there: " + what);
        continue;
      }
      if (o.cents < h * 1100 || o.cents > h * 1600) w.problem("a student's wage outside 11-16 EUR an hour: " + what);
      if (o.cents % h != 0) w.problem("a student's wage is not whole cents an hour: " + what);
      if (o.permille != std::min<int64_t>(1500, (h * 1000 + kQuarterHours / 2) / kQuarterHours))
        w.problem("a student's fraction is not their hours of a full-time quarter: " + what);
      const double rate = static_cast<double>(o.cents) / 100.0 / static_cast<double>(h);
      w.student_rate_min = std::min(w.student_rate_min, rate);
      w.student_rate_max = std::max(w.student_rate_max, rate);
      w.student_hours += h;
      w.student_cents += o.cents;
    }
  }
  for (const auto& [key, h] : hours) {
    if (h == 0) continue;
    ++w.student_quarters_worked;
    const auto it = lines.find(key);
    const int count = it == lines.end() ? 0 : it->second;
    if (count != 1)
      w.problem(std::to_string(std::get<0>(key)) + " at " + std::get<1>(key) + " in quarter " +
                std::to_string(std::get<2>(key)) + ": " + std::to_string(count) + " wage lines for a quarter worked");
  }
  return w;
}

// --- Helpers -----------------------------------------------------------------------

struct Generated {
  std::string bytes;
  GeneratorStats stats;
  std::vector<size_t> chunk_sizes;
};

Generated run(const GeneratorOptions& options) {
  Generated g;
  Result<GeneratorStats> r = generate(options, [&](std::string_view chunk) {
    g.bytes.append(chunk);
    g.chunk_sizes.push_back(chunk.size());
    return Status::ok();
  });
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  if (r) g.stats = *r;
  return g;
}

GeneratorOptions small(uint64_t students = 3000, uint64_t seed = 7) {
  GeneratorOptions o;
  o.students = students;
  o.seed = seed;
  return o;
}

Checker check_all(const std::string& bytes) {
  Checker checker;
  size_t at = 0;
  while (at < bytes.size()) {
    const size_t nl = bytes.find('\n', at);
    EXPECT_NE(nl, std::string::npos) << "the stream ends without a newline";
    if (nl == std::string::npos) break;
    checker.line(std::string_view(bytes).substr(at, nl - at));
    at = nl + 1;
  }
  checker.finish();
  return checker;
}

// The default stream of the tests below, generated once.
const Generated& default_stream() {
  static const Generated g = run(small());
  return g;
}
const Checker& default_check() {
  static const Checker c = check_all(default_stream().bytes);
  return c;
}

// --- Tests -----------------------------------------------------------------------

TEST(Generator, SameSeedGivesSameBytesAndAnotherSeedOthers) {
  const Generated a = run(small(500, 42));
  const Generated b = run(small(500, 42));
  const Generated c = run(small(500, 43));
  ASSERT_FALSE(a.bytes.empty());
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_NE(a.bytes, c.bytes);
  EXPECT_EQ(a.stats.lines, b.stats.lines);
}

uint64_t fnv1a(const std::string& bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

TEST(Generator, BytesArePinnedAcrossCompilersAndPlatforms) {
  // An FNV-1a fingerprint of a small stream. It was the same under GCC 12
  // and clang 14, at -O0 and at -O3 -ffast-math; update it only when the
  // generator is changed on purpose, and say so in the commit. Without
  // actions the declarations are those of before the actions existed.
  GeneratorOptions o = small(200, 1);
  o.actions = false;
  const Generated g = run(o);
  EXPECT_EQ(g.bytes.size(), 1792502u);
  EXPECT_EQ(g.stats.lines, 5800u);
  // Changed on purpose: a day-0 IN is recorded at 02:00-03:59 UTC, before any start hour on a
  // Belgian clock (90373-460 reads it since 2026-12-05); it was 05:00-06:59 UTC.
  EXPECT_EQ(fnv1a(g.bytes), 0x1c6c330d157b93b1ULL);
  const Generated with_actions = run(small(200, 1));
  // With actions: changed on purpose when occupation quarters gained their gross wage and
  // students their own occupation quarters (issue 14).
  EXPECT_EQ(with_actions.bytes.size(), 1928423u);
  EXPECT_EQ(with_actions.stats.lines, 6558u);
  EXPECT_EQ(fnv1a(with_actions.bytes), 0x64b5a9e7609ec977ULL);
}

TEST(Generator, DroppingTheActionLinesGivesTheStreamWithoutActions) {
  GeneratorOptions o = small(2000, 5);
  const Generated with = run(o);
  o.actions = false;
  const Generated without = run(o);
  std::string declarations;
  uint64_t dropped = 0;
  for (size_t at = 0; at < with.bytes.size();) {
    const size_t nl = with.bytes.find('\n', at);
    const std::string_view line = std::string_view(with.bytes).substr(at, nl + 1 - at);
    std::optional<Json> d = JsonReader(line.substr(0, line.size() - 1)).document();
    if (d && action_index(*d) >= 0)
      ++dropped;
    else
      declarations.append(line);
    at = nl + 1;
  }
  EXPECT_EQ(declarations, without.bytes);
  EXPECT_EQ(dropped, with.stats.actions);
  EXPECT_GT(dropped, 2000u);
  EXPECT_EQ(with.stats.lines, without.stats.lines + with.stats.actions);
  EXPECT_EQ(without.stats.actions, 0u);
  for (size_t k = 0; k < kDeclarationKinds; ++k) EXPECT_EQ(with.stats.by_kind[k], without.stats.by_kind[k]);
  EXPECT_EQ(with.stats.bad, without.stats.bad);
  EXPECT_EQ(with.stats.malformed, without.stats.malformed);
}

TEST(Generator, ChunksAreWholeLinesOfBoundedSize) {
  const Generated& g = default_stream();
  size_t at = 0;
  for (const size_t size : g.chunk_sizes) {
    ASSERT_GT(size, 0u);
    EXPECT_LE(size, generator_limits::chunk_bytes + generator_limits::line_bytes_max);
    EXPECT_EQ(g.bytes[at + size - 1], '\n');
    at += size;
  }
  EXPECT_EQ(at, g.bytes.size());
  EXPECT_EQ(g.stats.bytes, g.bytes.size());
}

TEST(Generator, RecordedAtNeverGoesBack) { EXPECT_TRUE(default_check().tally().recorded_at_monotonic); }

TEST(Generator, EveryValidLineFollowsTheRules) {
  const Tally& t = default_check().tally();
  EXPECT_EQ(t.unexpected, 0u);
  for (const std::string& m : t.messages) ADD_FAILURE() << m;
}

TEST(Generator, StatsMatchARecount) {
  const GeneratorStats& s = default_stream().stats;
  const Tally& t = default_check().tally();
  EXPECT_EQ(s.lines, t.lines);
  uint64_t malformed = 0, bad = 0;
  for (size_t k = 0; k < kDeclarationKinds; ++k)
    EXPECT_EQ(s.by_kind[k], t.by_kind[k]) << kind_name(static_cast<DeclarationKind>(k));
  for (size_t r = 0; r < kBadRules; ++r) {
    EXPECT_EQ(s.bad_by_rule[r], t.bad_by_rule[r]) << bad_rule_name(static_cast<BadRule>(r));
    bad += s.bad_by_rule[r];
  }
  for (size_t m = 0; m < kMalformedKinds; ++m) {
    EXPECT_EQ(s.malformed_by_kind[m], t.malformed_by_kind[m]) << malformed_kind_name(static_cast<MalformedKind>(m));
    malformed += s.malformed_by_kind[m];
  }
  EXPECT_EQ(s.bad, bad);
  EXPECT_EQ(s.malformed, malformed);
  uint64_t actions = 0, bad_actions = 0;
  for (size_t k = 0; k < kActionLines; ++k) {
    EXPECT_EQ(s.actions_by_kind[k], t.actions_by_kind[k]) << action_line_key(static_cast<ActionLine>(k));
    actions += s.actions_by_kind[k];
  }
  for (size_t r = 0; r < kBadActions; ++r) {
    EXPECT_EQ(s.bad_actions_by_reason[r], t.bad_actions_by_reason[r]) << bad_action_name(static_cast<BadAction>(r));
    bad_actions += s.bad_actions_by_reason[r];
  }
  EXPECT_EQ(s.actions, actions);
  EXPECT_EQ(s.actions, t.actions);
  EXPECT_EQ(s.bad_actions, bad_actions);
  EXPECT_EQ(s.flexi_ins_not_eligible, t.flexi_ins_not_eligible);
}

TEST(Generator, BadLinesCoverEveryRuleAndKind) {
  const GeneratorStats& s = default_stream().stats;
  for (size_t r = 0; r < kBadRules; ++r) EXPECT_GT(s.bad_by_rule[r], 0u) << bad_rule_name(static_cast<BadRule>(r));
  for (size_t m = 0; m < kMalformedKinds; ++m)
    EXPECT_GT(s.malformed_by_kind[m], 0u) << malformed_kind_name(static_cast<MalformedKind>(m));
  for (size_t r = 0; r < kBadActions; ++r)
    EXPECT_GT(s.bad_actions_by_reason[r], 0u) << bad_action_name(static_cast<BadAction>(r));
  const double share = static_cast<double>(s.bad + s.malformed + s.bad_actions) / static_cast<double>(s.lines);
  EXPECT_NEAR(share, 0.01, 0.001);
  const double action_share = static_cast<double>(s.bad_actions) / static_cast<double>(s.actions);
  EXPECT_NEAR(action_share, 0.01, 0.002);
}

TEST(Generator, ZeroBadShareGivesOnlyValidLines) {
  GeneratorOptions o = small(1000, 3);
  o.bad_share = 0;
  const Generated g = run(o);
  EXPECT_EQ(g.stats.bad, 0u);
  EXPECT_EQ(g.stats.malformed, 0u);
  const Checker c = check_all(g.bytes);
  const Tally& t = c.tally();
  EXPECT_EQ(t.unexpected, 0u);
  for (const std::string& m : t.messages) ADD_FAILURE() << m;
  for (size_t r = 0; r < kBadRules; ++r) EXPECT_EQ(t.bad_by_rule[r], 0u) << bad_rule_name(static_cast<BadRule>(r));
  for (size_t m = 0; m < kMalformedKinds; ++m) EXPECT_EQ(t.malformed_by_kind[m], 0u);
  EXPECT_EQ(g.stats.bad_actions, 0u);
  for (size_t r = 0; r < kBadActions; ++r) EXPECT_EQ(t.bad_actions_by_reason[r], 0u);
  EXPECT_GT(t.actions, 0u);
  EXPECT_EQ(t.lines, g.stats.lines);
}

TEST(Generator, StudentHoursHaveTheSummerPeakAndATailOverTheQuota) {
  const Checker& c = default_check();
  const GeneratorStats& s = default_stream().stats;
  int64_t total = 0;
  for (int q = 1; q <= 4; ++q) {
    EXPECT_EQ(c.student_hours_in_quarter(q), static_cast<int64_t>(s.student_hours_by_quarter[q - 1])) << "Q" << q;
    total += c.student_hours_in_quarter(q);
  }
  const double q3 = static_cast<double>(c.student_hours_in_quarter(3)) / static_cast<double>(total);
  EXPECT_GE(q3, 0.57);
  EXPECT_LE(q3, 0.68);
  for (int q : {1, 2, 4}) EXPECT_GT(c.student_hours_in_quarter(3), 2 * c.student_hours_in_quarter(q));
  const double mean = static_cast<double>(total) / 3000.0;
  EXPECT_GE(mean, 150.0);
  EXPECT_LE(mean, 190.0);
  const double interim = static_cast<double>(c.student_interim_hours()) / static_cast<double>(total);
  EXPECT_NEAR(interim, 0.32, 0.04);
  EXPECT_EQ(c.student_interim_hours(), static_cast<int64_t>(s.student_interim_hours));
  uint64_t over = 0;
  for (const auto& [ssin, hours] : c.student_hours()) over += hours > 650 ? 1 : 0;
  EXPECT_EQ(over, s.students_over_quota);
  EXPECT_EQ(s.quota_hours, 650u);
  EXPECT_GT(over, 3000u / 200);  // a long tail: ~1 % of students exceed 650 h
  EXPECT_LT(over, 3000u / 25);
}

TEST(Generator, ShapeFollowsTheDocumentedVolumes) {
  const GeneratorStats& s = default_stream().stats;
  const Tally& t = default_check().tally();
  const double per_student = static_cast<double>(s.lines - s.actions) / 3000.0;  // declarations
  EXPECT_GE(per_student, 20.0);
  EXPECT_LE(per_student, 32.0);
  // Interim daily contracts dominate the volume.
  EXPECT_GT(t.interim_daily_ins, s.lines / 3);
  EXPECT_EQ(t.interim_daily_ins, s.interim_daily_periods);
  // ~30 % of STU periods get an UPDATE; a few are cancelled; some OUTs.
  EXPECT_GT(s.by_kind[1], s.student_periods / 5);
  EXPECT_GT(s.by_kind[3], s.student_periods / 100);
  EXPECT_GT(s.by_kind[2], 0u);
  EXPECT_GT(t.day_by_day_student_ins, 0u);
  EXPECT_GT(t.place_of_work, 0u);
  EXPECT_GT(t.using_employer_by_name, 0u);
  EXPECT_GT(t.employer_ids, 0u);
  EXPECT_GT(t.bis_numbers, 0u);
  EXPECT_GT(t.follow_ups_with_employer, 0u);
  EXPECT_GT(t.updates_repeating_start, 0u);
  for (const char* type : {"STU", "FLX", "OTH", "EXT"}) EXPECT_TRUE(t.worker_types.count(type)) << type;
  for (const char* jc : {"XXX", "302", "322", "124"}) EXPECT_TRUE(t.joint_commissions.count(jc)) << jc;
}

TEST(Generator, QuotaFollowsTheYear) {
  GeneratorOptions o = small(300, 5);
  o.year = 2022;
  const Generated g = run(o);
  EXPECT_EQ(g.stats.quota_hours, 475u);
  EXPECT_NE(g.bytes.find("\"startDate\":\"2022-"), std::string::npos);
  EXPECT_EQ(check_all(g.bytes).tally().unexpected, 0u);
}

TEST(Generator, RefusesOptionsOutOfRange) {
  const auto sink = [](std::string_view) { return Status::ok(); };
  GeneratorOptions o = small(10);
  o.year = 2016;
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
  o.year = generator_limits::year_max + 1;  // its ids would reach the ledger's own
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
  o = small(10);
  o.attestation_share = 1.5;
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
  o = small(10);
  o.career_break_share = std::nan("");
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
  o = small(0);
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
  o = small(generator_limits::students_max + 1);
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
  o = small(10);
  o.bad_share = 0.6;
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
  o = small(10);
  o.student_update_share = std::nan("");
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
  o = small(10);
  o.interim_workers_per_student = -1;
  EXPECT_EQ(generate(o, sink).status().code(), Code::kInvalidArgument);
}

TEST(Generator, ASinkErrorStopsTheGenerator) {
  int calls = 0;
  Result<GeneratorStats> r = generate(small(3000), [&](std::string_view) {
    ++calls;
    return io_error("disk full");
  });
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kIoError);
  EXPECT_EQ(r.status().message(), "disk full");
  EXPECT_EQ(calls, 1);
}

TEST(Generator, TinyStreamsStillWork) {
  GeneratorOptions o = small(1, 9);
  o.bad_share = 0.2;
  const Generated g = run(o);
  EXPECT_GT(g.stats.lines, 0u);
  EXPECT_EQ(check_all(g.bytes).tally().unexpected, 0u);
}

// --- Actions -------------------------------------------------------------------------

TEST(GeneratorActions, TheCheckerKnowsEveryActionKey) {
  ASSERT_EQ(action_shapes().size(), kActionLines);
  for (size_t k = 0; k < kActionLines; ++k) EXPECT_EQ(action_shapes()[k].key, action_line_key(static_cast<ActionLine>(k)));
}

TEST(GeneratorActions, EveryKindAppearsAndFollowsTheContract) {
  const GeneratorStats& s = default_stream().stats;
  const Tally& t = default_check().tally();
  EXPECT_EQ(t.unexpected, 0u);
  for (size_t k = 0; k < kActionLines; ++k) {
    // inboxArchive names the ledger's id of an attestation, which a stream
    // written before the ledger runs cannot know: the generator never writes one.
    // dataConsultation is server-internal: the ledger writes it, a file may not.
    // interimOverviewSend asks for a copy of the relations: it changes no figure to generate.
    if (static_cast<ActionLine>(k) == ActionLine::kInboxArchive ||
        static_cast<ActionLine>(k) == ActionLine::kDataConsultation ||
        static_cast<ActionLine>(k) == ActionLine::kInterimOverviewSend)
      EXPECT_EQ(t.actions_by_kind[k], 0u);
    else EXPECT_GT(t.actions_by_kind[k], 0u) << action_line_key(static_cast<ActionLine>(k));
  }
  EXPECT_GT(s.flexi_ins_not_eligible, 0u);
  EXPECT_TRUE(t.recorded_at_monotonic);
}

// Every imported id is 12 digits with its check, in the year's action range,
// below the ledger's own ids and apart from every period id; tokens are unique.
TEST(GeneratorActions, ImportedIdsLieInTheirOwnRanges) {
  const std::string& bytes = default_stream().bytes;
  std::set<uint64_t> periods;
  std::map<std::string, std::set<uint64_t>> ids;  // field -> bodies
  std::set<std::string> tokens;
  uint64_t requests = 0;
  for (size_t at = 0; at < bytes.size();) {
    const size_t nl = bytes.find('\n', at);
    std::optional<Json> d = JsonReader(std::string_view(bytes).substr(at, nl - at)).document();
    at = nl + 1;
    if (!d) continue;
    if (const Json* in = d->get("dimonaIn"); in && in->get("periodId"))
      periods.insert(static_cast<uint64_t>(in->get("periodId")->integer) / 100);
    const int a = action_index(*d);
    if (a < 0) continue;
    const Json& body = *d->get(action_shapes()[static_cast<size_t>(a)].key);
    const ActionLine line = static_cast<ActionLine>(a);
    if (line == ActionLine::kDataAccessRequest) {
      ++requests;
      tokens.insert(body.get("token")->text);
      ids["requestId"].insert(std::stoull(body.get("requestId")->text) / 100);
    }
    if (line == ActionLine::kCareerBreakRequest) ids["ticket"].insert(std::stoull(body.get("ticket")->text) / 100);
    if (line == ActionLine::kCareerBreakNotification)
      ids["notificationId"].insert(std::stoull(body.get("notificationId")->text) / 100);
  }
  EXPECT_EQ(tokens.size(), requests);
  EXPECT_EQ(ids["requestId"].size(), requests);
  // Year 2025: bodies 1 000 000 000 + 8 x 80 000 000 = 1 640 000 000 onward.
  const uint64_t year_base = 1'640'000'000;
  const std::map<std::string, std::pair<uint64_t, uint64_t>> ranges = {
      {"requestId", {year_base + 72'000'000, year_base + 78'000'000}},
      {"ticket", {year_base + 78'000'000, year_base + 79'000'000}},
      {"notificationId", {year_base + 79'000'000, year_base + 80'000'000}}};
  for (const auto& [field, range] : ranges) {
    ASSERT_FALSE(ids[field].empty()) << field;
    EXPECT_GE(*ids[field].begin(), range.first) << field;
    EXPECT_LT(*ids[field].rbegin(), range.second) << field;
    EXPECT_LT(*ids[field].rbegin(), 7'000'000'000u) << field;
    for (const uint64_t body : ids[field]) EXPECT_FALSE(periods.count(body)) << field << " " << body;
  }
  EXPECT_LT(*periods.rbegin(), year_base + 72'000'000);
}

double ratio(uint64_t part, uint64_t whole) { return static_cast<double>(part) / static_cast<double>(whole); }

// The shares of docs/generator.md, on a 20 000-student year.
TEST(GeneratorActions, SharesFollowTheDocumentedShape) {
  const uint64_t students = 20'000;
  const Generated g = run(small(students, 11));
  const Checker c = check_all(g.bytes);
  const Tally& t = c.tally();
  const ActionFacts& f = c.facts();
  EXPECT_EQ(t.unexpected, 0u);
  for (const std::string& m : t.messages) ADD_FAILURE() << m;
  EXPECT_EQ(t.flexi_ins_not_eligible, g.stats.flexi_ins_not_eligible);
  const auto report = [](const char* what, double value) { std::printf("  %-44s %.4f\n", what, value); };

  // Attestations: ~30 % of students, 1-3 each (1.52), a few for Y+1 in December.
  report("students asking for attestations", ratio(f.attesting_students.size(), students));
  EXPECT_NEAR(ratio(f.attesting_students.size(), students), 0.30, 0.015);
  report("attestations per asking student", ratio(f.attestations_this_year, f.attesting_students.size()));
  EXPECT_NEAR(ratio(f.attestations_this_year, f.attesting_students.size()), 1.52, 0.05);
  report("next-year attestations per asking student", ratio(f.attestations_next_year, f.attesting_students.size()));
  EXPECT_NEAR(ratio(f.attestations_next_year, f.attesting_students.size()), 0.06, 0.02);

  // Consent: ~20 % of students and of flexi workers; QR or LINK; 80/10/10; 5 % revoked.
  const uint64_t flexi = f.flexi_workers.size();
  const uint64_t requests = f.requests_student + f.requests_flexi;
  report("students asked for data access", ratio(f.requests_student, students));
  EXPECT_NEAR(ratio(f.requests_student, students), 0.20, 0.015);
  report("flexi workers asked for data access", ratio(f.requests_flexi, flexi));
  EXPECT_NEAR(ratio(f.requests_flexi, flexi), 0.20, 0.03);
  report("requests by LINK", ratio(f.requests_link, requests));
  EXPECT_NEAR(ratio(f.requests_link, requests), 0.50, 0.03);
  report("requests granted", ratio(f.grants, requests));
  EXPECT_NEAR(ratio(f.grants, requests), 0.80, 0.02);
  report("requests refused", ratio(f.refusals, requests));
  EXPECT_NEAR(ratio(f.refusals, requests), 0.10, 0.015);
  report("grants revoked", ratio(f.revocations, f.grants));
  EXPECT_NEAR(ratio(f.revocations, f.grants), 0.05, 0.015);

  // Flexi data: ~15 % pensioners, ~8 % below 0.80, ~5 % with a reduction.
  uint64_t below = 0, reduced = 0;
  for (const auto& [ssin, by_quarter] : f.fractions) {
    bool low = false, down = false;
    int32_t previous = -1;
    for (const auto& [quarter, permille] : by_quarter) {
      low = low || permille < 800;
      down = down || (previous >= 0 && permille < previous);
      previous = permille;
    }
    below += low ? 1 : 0;
    reduced += !low && down ? 1 : 0;
  }
  report("flexi workers", static_cast<double>(flexi));
  EXPECT_NEAR(ratio(flexi, students), 0.12, 0.01);
  report("flexi workers pensioned", ratio(f.pensioners.size(), flexi));
  EXPECT_NEAR(ratio(f.pensioners.size(), flexi), 0.15, 0.025);
  report("flexi workers below 0.80", ratio(below, flexi));
  EXPECT_NEAR(ratio(below, flexi), 0.08, 0.02);
  report("flexi workers with a reduction", ratio(reduced, flexi));
  EXPECT_NEAR(ratio(reduced, flexi), 0.05, 0.015);
  EXPECT_EQ(f.fractions.size() + f.pensioners.size(), flexi);
  report("FLX INs not eligible (90017-510)", ratio(g.stats.flexi_ins_not_eligible, f.flexi_ins));
  EXPECT_GT(ratio(g.stats.flexi_ins_not_eligible, f.flexi_ins), 0.07);  // the 8 % below, part of the 5 % reduced
  EXPECT_LT(ratio(g.stats.flexi_ins_not_eligible, f.flexi_ins), 0.16);

  // Career breaks: ~2 % of ordinary workers (one per student), then the flows.
  report("ordinary workers with a career-break request", ratio(f.break_requests, students));
  EXPECT_NEAR(ratio(f.break_requests, students), 0.02, 0.004);
  report("requests cancelled", ratio(f.break_cancelled, f.break_requests));
  EXPECT_NEAR(ratio(f.break_cancelled, f.break_requests), 0.10, 0.04);
  report("requests with an end-date change", ratio(f.tickets_with_end_date.size(), f.break_requests));
  EXPECT_NEAR(ratio(f.tickets_with_end_date.size(), f.break_requests), 0.135, 0.05);
  report("requests with an attachment", ratio(f.tickets_with_attachment.size(), f.break_requests));
  EXPECT_NEAR(ratio(f.tickets_with_attachment.size(), f.break_requests), 0.20, 0.05);
  report("requests with the employee's part", ratio(f.employee_parts, f.break_requests));
  EXPECT_NEAR(ratio(f.employee_parts, f.break_requests), 0.80, 0.05);
  report("ONEM decisions granted", ratio(f.granted, f.decisions));
  EXPECT_NEAR(ratio(f.granted, f.decisions), 0.90, 0.05);
  EXPECT_EQ(f.decisions, f.employee_parts);
  const double fifth = ratio(static_cast<uint64_t>(f.leave_shapes.count("TIME_CREDIT 1/5") ? f.leave_shapes.at("TIME_CREDIT 1/5") : 0),
                             f.break_requests);
  report("requests for 1/5 time credit", fifth);
  EXPECT_NEAR(fifth, 0.40, 0.08);
  report("ordinary workers notifying their employer", ratio(f.notifications, students));
  EXPECT_NEAR(ratio(f.notifications, students), 0.01, 0.003);
  report("notifications postponed", ratio(f.postponed.size(), f.notifications));
  EXPECT_NEAR(ratio(f.postponed.size(), f.notifications), 0.20, 0.08);
  report("notifications validated", ratio(f.validated, f.notifications));
  EXPECT_NEAR(ratio(f.validated, f.notifications), 0.70, 0.08);
  EXPECT_EQ(f.validated + f.refused, f.notifications);
  // 85 % of employers accept notifications; those that received one all do.
  uint64_t others = 0, others_accepting = 0;
  for (const auto& [employer, accepts] : f.accepts) {
    if (f.notified.count(employer)) {
      EXPECT_TRUE(accepts) << employer;
      continue;
    }
    ++others;
    others_accepting += accepts ? 1 : 0;
  }
  report("settings accepting notifications", ratio(f.settings_accepting, f.settings));
  report("  of employers without notifications", ratio(others_accepting, others));
  EXPECT_NEAR(ratio(others_accepting, others), 0.85, 0.05);

  // Bad actions: 1 % of the action lines, every reason.
  report("action lines per student", ratio(g.stats.actions, students));
  report("bad action lines", ratio(g.stats.bad_actions, g.stats.actions));
  EXPECT_NEAR(ratio(g.stats.bad_actions, g.stats.actions), 0.01, 0.0015);
  for (size_t r = 0; r < kBadActions; ++r) {
    EXPECT_GT(t.bad_actions_by_reason[r], 0u) << bad_action_name(static_cast<BadAction>(r));
    EXPECT_EQ(t.bad_actions_by_reason[r], g.stats.bad_actions_by_reason[r]);
  }
}

// docs/generator.md "Wages": every occupation quarter carries a gross wage; a student's
// follows the hours of each quarter worked at each employer, once, at 11-16 EUR an hour; a
// flexi worker's main job follows its fraction at 15-30 EUR an hour. The rates spread over
// their ranges (a constant rate would pass the bounds).
TEST(GeneratorActions, WagesFollowTheHoursAtTheDocumentedRates) {
  const GeneratorStats& s = default_stream().stats;
  const WageFacts w = default_check().wages();
  EXPECT_EQ(w.problems, 0u);
  for (const std::string& m : w.first_problems) ADD_FAILURE() << m;
  EXPECT_EQ(w.student_lines + w.other_lines,
            s.actions_by_kind[static_cast<size_t>(ActionLine::kOccupationQuarter)]);
  EXPECT_EQ(w.student_lines, w.student_quarters_worked);
  EXPECT_GT(w.student_lines, 3000u * 2);  // ~1.5 employers and ~1.7 quarters per student
  EXPECT_GT(w.other_lines, 0u);
  const double mean = static_cast<double>(w.student_cents) / 100.0 / static_cast<double>(w.student_hours);
  std::printf("  student wage lines %llu, EUR an hour %.2f-%.2f, mean %.2f; main job %.2f-%.2f\n",
              static_cast<unsigned long long>(w.student_lines), w.student_rate_min, w.student_rate_max, mean,
              w.main_job_rate_min, w.main_job_rate_max);
  EXPECT_NEAR(mean, 13.5, 0.5);
  EXPECT_LT(w.student_rate_min, 11.2);
  EXPECT_GT(w.student_rate_max, 15.8);
  EXPECT_LT(w.main_job_rate_min, 16.0);
  EXPECT_GT(w.main_job_rate_max, 29.0);
}

// Attestations ask only for years whose quota the ledger knows (schemas/quota.json).
TEST(GeneratorActions, AttestationsFollowTheQuotaSchedule) {
  for (const int32_t year : {2017, 2022, 2024, 2026, generator_limits::year_max}) {
    GeneratorOptions o = small(500, 3);
    o.year = year;
    const Generated g = run(o);
    const Checker c = check_all(g.bytes);
    EXPECT_EQ(c.tally().unexpected, 0u) << year;
    for (const std::string& m : c.tally().messages) ADD_FAILURE() << year << ": " << m;
    const uint64_t attestations = g.stats.actions_by_kind[static_cast<size_t>(ActionLine::kAttestationRequest)];
    if (year <= 2030)
      EXPECT_GT(attestations, 100u) << year;
    else
      EXPECT_EQ(attestations, 0u) << year;  // no quota: the ledger could not answer
    EXPECT_EQ(c.tally().flexi_ins_not_eligible, g.stats.flexi_ins_not_eligible) << year;
  }
}

}  // namespace
}  // namespace dimona

namespace dimona {
namespace {

// The last recordedAt of a stream (lines are non-decreasing in it).
std::string last_recorded_at(const std::string& bytes) {
  const size_t at = bytes.rfind("\"recordedAt\":\"");
  return at == std::string::npos ? "" : bytes.substr(at + 14, 20);
}

// A year ends by the clock it is given: the whole 2025 plan runs into December
// 2026 (follow-ups after the year), cut at a clock it is a prefix of that stream,
// every line's fate unchanged, and the lines left out are counted.
TEST(Generator, TheStreamEndsByTheClockItIsGiven) {
  const Generated whole = run(small(300, 5));
  EXPECT_GT(last_recorded_at(whole.bytes), "2026-01-01") << "the plan runs past its year";
  for (const char* clock : {"2025-07-15T12:00:00Z", "2025-12-31T23:59:59Z", "2026-01-10T00:00:00Z"}) {
    SCOPED_TRACE(clock);
    GeneratorOptions o = small(300, 5);
    o.not_after = *parse_instant(clock);
    const Generated cut = run(o);
    ASSERT_FALSE(cut.bytes.empty());
    EXPECT_LE(last_recorded_at(cut.bytes), std::string(clock).substr(0, 19) + "Z");
    EXPECT_EQ(whole.bytes.compare(0, cut.bytes.size(), cut.bytes), 0) << "not a prefix of the whole plan";
    EXPECT_GT(cut.stats.lines_after_clock, 0u);
    EXPECT_EQ(cut.stats.lines + cut.stats.lines_after_clock, whole.stats.lines);
    EXPECT_EQ(cut.stats.bytes, cut.bytes.size());
    check_all(cut.bytes);  // every rule the checker knows still holds on the prefix
  }
  GeneratorOptions after = small(300, 5);
  after.not_after = *parse_instant("2030-01-01T00:00:00Z");
  const Generated all = run(after);
  EXPECT_EQ(all.bytes, whole.bytes);
  EXPECT_EQ(all.stats.lines_after_clock, 0u);
  GeneratorOptions before = small(300, 5);
  before.not_after = *parse_instant("2024-12-31T23:59:59Z");
  const Result<GeneratorStats> refused = generate(before, [](std::string_view) { return Status::ok(); });
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("has not begun"), std::string::npos);
}

}  // namespace
}  // namespace dimona

#include "engine/codec.h"

#include <gtest/gtest.h>

#include <optional>
#include <tuple>

#include "engine/quota_schedule.h"

namespace dimona {
namespace {

Result<Declaration> decode(const std::string& json) {
  static DeclarationDecoder decoder;
  std::string padded = json;
  padded.resize(json.size() + kJsonPadding, ' ');
  return decoder.decode(std::string_view(padded.data(), json.size()), padded.size());
}

void expect_error(const std::string& json, const std::string& fragment) {
  Result<Declaration> d = decode(json);
  ASSERT_FALSE(d.is_ok()) << json;
  EXPECT_NE(d.status().message().find(fragment), std::string::npos) << d.status().message();
}

TEST(DeclarationDecoder, DesignExampleIn) {
  auto d = decode(R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},
 "dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},
  "startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30},
 "recordedAt":"2025-06-20T09:12:00Z"})");
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->kind, DeclarationKind::kIn);
  EXPECT_EQ(d->enterprise_number.value.value, 403019261u);
  EXPECT_EQ(d->ssin.value.value, 5031412595u);
  EXPECT_EQ(d->worker_type.value, WorkerType::kSTU);
  EXPECT_EQ(d->joint_commission.value, kJointCommissionOther);
  EXPECT_EQ(to_string(d->start_date.value), "2025-07-01");
  EXPECT_EQ(d->planned_hours.value, 30);
  ASSERT_TRUE(d->recorded_at);
  EXPECT_EQ(to_string(*d->recorded_at), "2025-06-20T09:12:00Z");
}

TEST(DeclarationDecoder, EverythingARealClientSendsIsAccepted) {
  auto d = decode(R"({"employer":{"employerId":125482497},
   "worker":{"familyName":"Peeters","givenName":"An","birthDate":"2004-05-06","placeOfBirth":"Gent","countryOfBirth":150,
     "nationality":150,"gender":"2","address":{"street":"Rue Haute","houseNumber":"12","boxNumber":null,"postCode":"1000",
     "municipality":{"code":21004,"name":"Bruxelles"},"country":150}},
   "dimonaIn":{"features":{"jointCommissionNumber":"302","workerType":"FLX"},"startDate":"2025-07-01","endDate":"2025-07-01",
     "startHour":"0800","endHour":"1630",
     "studentPlaceOfWork":{"name":"Bar","address":{"street":"Kerkstraat","houseNumber":"1","postCode":"9000","municipality":{"code":44021,"name":"Gent"},"country":150}}}})");
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_TRUE(d->has_worker_identity);
  EXPECT_FALSE(d->ssin.present());
  EXPECT_EQ(d->start_hour.value, 8 * 60);
  EXPECT_EQ(d->end_hour.value, 16 * 60 + 30);
  EXPECT_TRUE(d->employer_id.valid());
}

// Issue 10 item 3: payroll clients send the identity codes as integers or
// strings; every accepted form is written canonically in the event (gender
// "1"/"2"; country, nationality and municipality codes as integers).
TEST(DeclarationDecoder, PayrollClientsValueTypesAreAcceptedAndNormalised) {
  const std::string text = R"({"employer":{"enterpriseNumber":"0403019261"},)"
      R"("worker":{"ssin":"05031412595","gender":2,"nationality":"150","countryOfBirth":"150",)"
      R"("address":{"postCode":"1000","municipality":{"code":"21004","name":"Bruxelles"},"country":"150"}},)"
      R"("dimonaCancel":{"periodId":656309292174}})";
  Result<Declaration> d = decode(text);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  std::string buffer;
  EXPECT_EQ(canonical_text(*d, text, &buffer),
            R"({"employer":{"enterpriseNumber":"0403019261"},)"
            R"("worker":{"ssin":"05031412595","gender":"2","nationality":150,"countryOfBirth":150,)"
            R"("address":{"postCode":"1000","municipality":{"code":21004,"name":"Bruxelles"},"country":150}},)"
            R"("dimonaCancel":{"periodId":656309292174}})");
  const std::string canonical = R"({"worker":{"ssin":"05031412595","gender":"1","nationality":150},"dimonaCancel":{"periodId":656309292174}})";
  Result<Declaration> c = decode(canonical);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(canonical_text(*c, canonical, &buffer).data(), canonical.data());  // nothing to rewrite, no copy
  const std::string spaced = R"({"worker":{"gender" : 1 , "nationality": "150" },"dimonaCancel":{"periodId":656309292174}})";
  Result<Declaration> s = decode(spaced);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(canonical_text(*s, spaced, &buffer),
            R"({"worker":{"gender" : "1" , "nationality": 150 },"dimonaCancel":{"periodId":656309292174}})");
}

TEST(DeclarationDecoder, WrongIdentityValuesGetPreciseErrors) {
  const std::string cancel = R"(,"dimonaCancel":{"periodId":656309292174}})";
  expect_error(R"({"worker":{"gender":3})" + cancel, "field worker.gender: expected 1 (male) or 2 (female)");
  expect_error(R"({"worker":{"gender":"3"})" + cancel, "field worker.gender: expected 1 (male) or 2 (female)");
  expect_error(R"({"worker":{"gender":"M"})" + cancel, "field worker.gender: expected 1 (male) or 2 (female)");
  expect_error(R"({"worker":{"gender":true})" + cancel, "field worker.gender: expected 1 (male) or 2 (female)");
  expect_error(R"({"worker":{"nationality":"15a"})" + cancel, "field worker.nationality: expected a country code");
  expect_error(R"({"worker":{"countryOfBirth":1500})" + cancel, "field worker.countryOfBirth: expected a country code");
  expect_error(R"({"worker":{"nationality":""})" + cancel, "field worker.nationality: expected a country code");
  expect_error(R"({"worker":{"address":{"country":-150}})" + cancel, "field worker.address.country: expected a country code");
  expect_error(R"({"worker":{"address":{"municipality":{"code":"2100x"}}})" + cancel,
               "field worker.address.municipality.code: expected a municipality code");
  // Every code as a string, then a repeated worker block: refused as repeated, never more rewrites than fit.
  const std::string codes = R"("gender":1,"countryOfBirth":"150","nationality":"150","address":{"municipality":{"code":"21004"},"country":"150"})";
  const std::string address = R"({"municipality":{"code":"21004"},"country":"150"})";
  expect_error(R"({"worker":{)" + codes + R"(},"worker":{)" + codes +
                   R"(},"dimonaIn":{"usingEmployer":{"address":)" + address + R"(},"studentPlaceOfWork":{"address":)" + address + "}}}",
               "repeated field");
}

// Issue 10 item 5: the worker's name is kept (for the attestation), cut to
// limits::worker_name_bytes_max at a character boundary.
TEST(DeclarationDecoder, WorkerNamesAreKeptCutAtACharacterBoundary) {
  std::string long_name(limits::worker_name_bytes_max - 1, 'a');
  long_name += "é";  // two bytes across the limit
  Result<Declaration> d = decode(R"({"worker":{"ssin":"05031412595","familyName":")" + long_name +
                                 R"(","givenName":"An\u00efs"},"dimonaCancel":{"periodId":656309292174}})");
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->name.family(), std::string(limits::worker_name_bytes_max - 1, 'a'));
  EXPECT_EQ(d->name.given(), "Anïs");
  Result<Declaration> none = decode(R"({"worker":{"ssin":"05031412595"},"dimonaCancel":{"periodId":656309292174}})");
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->name.empty());
}

TEST(DeclarationDecoder, UpdateOutCancel) {
  auto u = decode(R"({"employer":{"enterpriseNumber":"0403019261"},"dimonaUpdate":{"periodId":656309292174,"startDate":"2025-07-01","plannedHoursNumber":24}})");
  ASSERT_TRUE(u.is_ok()) << u.status().to_string();
  EXPECT_EQ(u->kind, DeclarationKind::kUpdate);
  EXPECT_EQ(u->period_id.value.value, 656309292174u);
  auto o = decode(R"({"dimonaOut":{"periodId":656309292174,"endDate":"2025-09-30"}})");
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->kind, DeclarationKind::kOut);
  auto c = decode(R"({"dimonaCancel":{"periodId":656309292174}})");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->kind, DeclarationKind::kCancel);
}

TEST(DeclarationDecoder, FormatProblemsAreLeftToTheRules) {
  auto d = decode(R"({"worker":{"ssin":"05031412596"},"dimonaIn":{"startDate":"2025-02-30","startHour":"2500","plannedHoursNumber":0}})");
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_TRUE(d->ssin.invalid());
  EXPECT_TRUE(d->start_date.invalid());
  EXPECT_TRUE(d->start_hour.invalid());
  EXPECT_EQ(d->planned_hours.value, 0);
  auto bad_period = decode(R"({"dimonaCancel":{"periodId":656309292175}})");
  ASSERT_TRUE(bad_period.is_ok());
  EXPECT_TRUE(bad_period->period_id.invalid());
}

TEST(DeclarationDecoder, PreciseErrors) {
  expect_error(R"({"dimonaIn":{"plannedHours":3}})", "field dimonaIn.plannedHours: unknown field");
  // A key that is no field name is the body's content: not repeated back (an SSIN sent as a key).
  expect_error(R"({"05031412595":1})", "field (a key that is no field name): unknown field");
  expect_error(R"({"dimonaIn":{"plan ned":3}})", "field dimonaIn.(a key that is no field name): unknown field");
  expect_error(R"({"dimonaIn":{"plannedHoursNumber":"3"}})", "field dimonaIn.plannedHoursNumber: expected an integer");
  expect_error(R"({"dimonaIn":{"plannedHoursNumber":3.5}})", "field dimonaIn.plannedHoursNumber: expected an integer");
  expect_error(R"({"worker":{"ssin":5031412595},"dimonaCancel":{"periodId":656309292174}})", "field worker.ssin: expected a string");
  expect_error(R"({"employer":{"employerId":"125482497"},"dimonaCancel":{"periodId":656309292174}})", "field employer.employerId");
  expect_error(R"({"dimonaCancel":{"periodId":656309292174,"endDate":"2025-01-01"}})", "field dimonaCancel.endDate: unknown field");
  expect_error(R"({"dimonaOut":{"periodId":656309292174,"plannedHoursNumber":3}})", "field dimonaOut.plannedHoursNumber: unknown field");
  expect_error(R"({"dimonaCancel":{"periodId":1},"dimonaCancel":{"periodId":1}})", "repeated field");
  expect_error(R"({"dimonaCancel":{"periodId":656309292174},"dimonaOut":{"periodId":656309292174}})", "exactly one of");
  expect_error(R"({"employer":{"enterpriseNumber":"0403019261"}})", "exactly one of");
  expect_error(R"({"dimonaCancel":{"periodId":656309292174}} {"x":1})", "trailing content");
  expect_error(R"({"dimonaCancel":{"periodId":656309292174})", "invalid JSON");
  {
    // A NUL between fields fails at the root: the message names no empty field ("invalid JSON in : ").
    const Result<Declaration> d =
        decode(std::string(R"({"dimonaCancel":{"periodId":656309292174},)") + '\0' + R"("x":1})");
    ASSERT_FALSE(d.is_ok());
    EXPECT_EQ(d.status().message().find(" in :"), std::string::npos) << d.status().message();
  }
  expect_error(R"([1,2])", "must be a JSON object");
  expect_error("12", "the declaration must be a JSON object");  // not simdjson's advice on scalars
  expect_error("\xEF\xBB\xBF{\"dimonaCancel\":{\"periodId\":656309292174}}", "byte order mark");
  expect_error(R"({"dimonaIn":{"features":{"workerType":"STU","x":1}}})", "field dimonaIn.features.x: unknown field");
  expect_error(R"({"dimona\u0049n":{}})", "unknown field");  // an escaped key matches no field
  expect_error(R"({"recordedAt":"yesterday","dimonaCancel":{"periodId":656309292174}})", "field recordedAt");
  expect_error(std::string(R"({"worker":{"familyName":")") + std::string(600, 'a') + R"("},"dimonaCancel":{"periodId":1}})", "text too long");
}

// Names and addresses are shown to people: a string that is not display text is refused where the
// line comes in, escaped or not, with the field named and the value never repeated.
TEST(DeclarationDecoder, ControlCharactersInAnyStringAreRefused) {
  const std::string tail = R"("},"dimonaCancel":{"periodId":656309292174}})";
  for (const std::string& text :
       {std::string(R"(A\u0000B)"), std::string(R"(A\nB)"), std::string(R"(A\tB)"), std::string(R"(\u001b[31mred)"),
        std::string(R"(A\u007fB)"), std::string(R"(A\u0085B)"), std::string(R"(evil\u202Elive)"),
        std::string("A\xc2\x85"
                    "B"),
        std::string("A\xe2\x80\xae"
                    "B"),
        std::string("A\x7f"
                    "B"),
        std::string(R"(\u2066x)"), std::string(R"(A\u2028B)"),
        std::string("A\xe2\x80\xa9"
                    "B")}) {
    expect_error(R"({"worker":{"familyName":")" + text + tail,
                 "field worker.familyName: control characters are not allowed");
    expect_error(R"({"worker":{"ssin":"05031412595","address":{"street":")" + text +
                     R"("}},"dimonaCancel":{"periodId":656309292174}})",
                 "field worker.address.street: control characters");
  }
  expect_error(R"({"dimonaIn":{"usingEmployer":{"name":"Acme\r\nX-Forged: 1"}}})",
               "field dimonaIn.usingEmployer.name: control characters");
  // A key with a control character is no field name: refused before its text is looked at.
  expect_error(R"({"worker":{"fam\u0000ilyName":"A"},"dimonaCancel":{"periodId":656309292174}})", "unknown field");
  // What a display text may hold: quotes and backslashes escaped, a slash, accents, other scripts.
  for (const std::string& text : {std::string(R"(O\"Brien \\ A\/B)"), std::string("Ærø Çé"),
                                  std::string(R"(\u00e9\u4e2d)"), std::string("\xe4\xb8\xad\xe6\x96\x87")}) {
    const Result<Declaration> d = decode(R"({"worker":{"familyName":")" + text + tail);
    EXPECT_TRUE(d.is_ok()) << text << ": " << d.status().to_string();
  }
}

TEST(DeclarationDecoder, NullMeansAbsent) {
  auto d = decode(R"({"worker":{"ssin":null,"familyName":null},"dimonaIn":{"plannedHoursNumber":null,"startDate":null,"periodId":null}})");
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_FALSE(d->ssin.present());
  EXPECT_FALSE(d->planned_hours.present());
  EXPECT_FALSE(d->start_date.present());
  EXPECT_FALSE(d->period_id.present());
}

TEST(DeclarationDecoder, ErrorsDoNotRepeatValues) {
  Result<Declaration> d = decode(R"({"worker":{"ssin":85073003328},"dimonaCancel":{"periodId":1}})");
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().message().find("85073003328"), std::string::npos);
}

TEST(EventCodec, RoundTripOfADeclarationEvent) {
  const std::string raw = R"({"employer":{"enterpriseNumber":"0403019261"},"worker":{"ssin":"05031412595"},"dimonaIn":{"features":{"jointCommissionNumber":"XXX","workerType":"STU"},"startDate":"2025-07-01","endDate":"2025-07-31","plannedHoursNumber":30}})";
  Event e;
  e.type = EventType::kDimonaInDeclared;
  e.recorded_at = *parse_instant("2025-06-20T09:12:00Z");
  e.ssin = Ssin{5031412595};
  e.source = "batch:x:1";
  e.declaration.declaration_id = DeclarationId{dimona_id_from_body(7000000000)};
  e.declaration.decision.result = ResultCode::kWarning;
  e.declaration.decision.add(90017369, false);
  e.declaration.decision.period_id = PeriodId{dimona_id_from_body(7000000001)};
  e.declaration.decision.exceeding_hours = 10;
  e.declaration.decision.in_quota_hours = 20;
  e.declaration.raw = raw;
  std::string line;
  encode_event(e, &line);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_NE(line.find(R"("eventId":"dcl-700000000044")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("anomalies":[{"code":"90017-369","severity":"NP"}])"), std::string::npos) << line;
  line.pop_back();
  const size_t size = line.size();
  line.resize(size + kJsonPadding, ' ');
  EventDecoder decoder;
  Result<Event> back = decoder.decode(std::string_view(line.data(), size), line.size());
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->type, EventType::kDimonaInDeclared);
  EXPECT_EQ(back->recorded_at, e.recorded_at);
  EXPECT_EQ(back->ssin, e.ssin);
  EXPECT_EQ(back->declaration.raw, raw);
  EXPECT_EQ(back->declaration.decision.result, ResultCode::kWarning);
  EXPECT_TRUE(back->declaration.decision.has(90017369));
  EXPECT_EQ(back->declaration.decision.exceeding_hours, 10u);
  EXPECT_EQ(back->declaration.declaration.planned_hours.value, 30);
  std::string again;
  encode_event(*back, &again);
  EXPECT_EQ(again.substr(0, size), line.substr(0, size));  // canonical: encode(decode(x)) == x
}

TEST(EventCodec, UnknownTypeAndFutureSchemaAreRefused) {
  EventDecoder decoder;
  for (std::string line : {std::string(R"({"type":"Nope","body":{}})"),
                           std::string(R"({"type":"StudentQuotaDefined","schemaVersion":99,"body":{}})")}) {
    const size_t size = line.size();
    line.resize(size + kJsonPadding, ' ');
    EXPECT_FALSE(decoder.decode(std::string_view(line.data(), size), line.size()).is_ok());
  }
}

TEST(QuotaSchedule, TheShippedTableLoads) {
  Result<QuotaSchedule> s = load_quota_schedule("");
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  int found_650 = 0;
  for (const QuotaEntry& e : s->entries) {
    if (e.year == 2025 && e.hours == 650) ++found_650;
    if (e.year == 2022) {
      EXPECT_EQ(e.hours, 475u);
    }
    if (e.year == 2024) {
      EXPECT_EQ(e.hours, 600u);
    }
  }
  EXPECT_EQ(found_650, 1);
  // Each year's figure is known before its first Dimona may be sent in advance (rule 8: a
  // November IN for the next year is checked against it) and before its attestations open on
  // 1 December (rule 11): 2017 (475 h), 2023 (600 h), 2025 (the 475 h fall-back).
  for (const auto& [year, hours, by] :
       {std::tuple{2017, 475u, "2016-06-01T00:00:00Z"}, std::tuple{2023, 600u, "2022-06-01T00:00:00Z"},
        std::tuple{2025, 475u, "2024-06-01T00:00:00Z"}})
    EXPECT_EQ(quota_at(*s, year, *parse_instant(by)), std::optional<uint32_t>(hours)) << year;
  // The 650 h is permanent (DOMAIN 2.1 "2026+"): beyond 2030 too.
  EXPECT_EQ(quota_at(*s, 2031, *parse_instant("2026-01-01T00:00:00Z")), std::optional<uint32_t>(650));
  EXPECT_EQ(quota_at(*s, 2016, *parse_instant("2026-01-01T00:00:00Z")), std::nullopt);  // days, not hours
  EXPECT_FALSE(parse_quota_schedule(R"({"entries":[{"firstYear":2025,"hours":650}]})").is_ok());
  // Anything but an object (a text file, a scalar, nothing) says what a table is.
  for (const char* not_a_table : {"", "  \n", "hours: 650", "650", "[]"}) {
    const Result<QuotaSchedule> r = parse_quota_schedule(not_a_table);
    ASSERT_FALSE(r.is_ok()) << not_a_table;
    EXPECT_NE(r.status().message().find("not a quota table"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace dimona

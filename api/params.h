// Api params: the one place where a value a request carries from outside (a
// path segment, a query value) becomes a value of the ledger's own types.
//
// Contract. Each function reads one parameter and gives back either its
// strong type (Ssin, DeclarationId, RequestId, TicketNumber, an access code,
// an EnterpriseNumber, a Page, an Offset, a year, an Instant) or the input issue naming
// the parameter (`in` path or query, its `name`, a reason that never echoes
// the value); bad_request_of() turns the issues into the 400 problem. The
// numbers are strict (engine/identifiers.h parse_decimal: digits only, no
// sign, space or NUL, no wrap past 64 bits), the ids 12 digits with their
// check, so a handler never sees a value a container reserves. Links built
// from a request's query (the `next` page) re-encode every name and value
// (RFC 3986 unreserved characters pass, everything else is %XX), so they are
// safe to write into JSON with JsonWriter. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "engine/base/hex.h"
#include "engine/base/time.h"
#include "engine/identifiers.h"
#include "engine/log/log.h"

namespace dimona::api {

// A value, or the issues (one per bad parameter) that refuse it.
template <typename T>
struct Parsed {
  std::optional<T> value;
  std::vector<InputIssue> issues;

  Parsed(T v) : value(std::move(v)) {}  // NOLINT(google-explicit-constructor): a parsed value
  Parsed(std::vector<InputIssue> refused) : issues(std::move(refused)) {}  // NOLINT
  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }
};

// The 400 problem for refused parameters.
HttpResponse bad_request_of(const std::vector<InputIssue>& issues);

// --- Path segments (the route's {name}) -----------------------------------------------
Parsed<Ssin> path_ssin(std::string_view text);                      // {ssin}
Parsed<DeclarationId> path_declaration_id(std::string_view text);  // {id}
Parsed<RequestId> path_request_id(std::string_view text);          // {requestId}
Parsed<TicketNumber> path_ticket(std::string_view text);           // {ticket}
Parsed<EnterpriseNumber> path_employer(std::string_view text);     // {employer}
Parsed<uint64_t> path_access_code(std::string_view text);          // {code}: XXXXX-XXXXX, 50 bits
Parsed<uint64_t> path_message_id(std::string_view text);           // {messageId}: 12 digits with their check

// --- Query values ------------------------------------------------------------------------
// A page of a collection (Belgif: page from 1, pageSize 1..page_size_max).
struct Page {
  size_t number = 1;
  size_t size = http_limits::page_size_default;
};
Parsed<Page> query_page(const HttpRequest& request);
// ?minOffset: absent, or an offset 0..INT64_MAX.
Parsed<std::optional<Offset>> query_min_offset(const HttpRequest& request);
// ?year: absent, or four digits 2000..2099.
Parsed<std::optional<int32_t>> query_year(const HttpRequest& request);
// The two time axes of an audit (docs/audit.md). An instant of ledger time as
// an auditor names it: RFC 3339 ("2025-06-30T12:00:00Z", parse_instant), or a
// day ("2025-06-30": the end of that day in Brussels, what the ledger said by then);
// nullopt for anything else, and for an instant outside the years 2000..2099. The CLI's --as-of
// reads it too, and --valid-on parse_valid_on (a day, YYYY-MM-DD, in 2000..2099).
std::optional<Instant> parse_as_of(std::string_view text);
std::optional<Date> parse_valid_on(std::string_view text);
inline constexpr std::string_view kAsOfExpected =
    "expected an instant (2025-06-30T12:00:00Z) or a day (2025-06-30) in the years 2000..2099";
inline constexpr std::string_view kValidOnExpected = "expected a day (2025-05-31) in the years 2000..2099";
// ?asOf (parse_as_of) and ?validOn (a day, YYYY-MM-DD): absent, or the value.
Parsed<std::optional<Instant>> query_as_of(const HttpRequest& request);
Parsed<std::optional<Date>> query_valid_on(const HttpRequest& request);

// --- Representations -------------------------------------------------------------------
// What a route that offers JSON and PDF answers in (the interim relations, an attestation).
enum class Representation : unsigned char { kJson, kPdf };
// ?format (json or pdf) when given; else the Accept field weighed (RFC 9110 12.5.1): each
// offered type takes the q of the most specific media range naming it (type/subtype, then
// type/*, then */*; a range whose q is malformed is ignored), 0 when none does; the higher q
// wins, a tie goes to the type named more specifically, then to JSON; no Accept field: JSON.
// Issues: a ?format that is neither. An empty value (no issue): Accept refuses both (q=0), 406.
Parsed<std::optional<Representation>> negotiate_representation(const HttpRequest& request);
// The same for a view offered as JSON only (a route whose other view has a PDF): true when JSON
// may be answered; false when Accept refuses it (406). Issues: ?format other than json (pdf
// included: this view has none).
Parsed<bool> json_acceptable(const HttpRequest& request);
// Whether an Accept field (empty: none sent) lets `type` ("image/svg+xml") be answered: weighed as
// above, a q above 0. For a route offering one type: false is its 406.
bool accept_takes(std::string_view accept, std::string_view type);

// Whether a request's body is one the API reads: JSON (RFC 8259). Content-Type, when present,
// names application/json or a structured +json type (RFC 6839; parameters such as charset are
// not read: the API reads UTF-8); absent, the body is taken as JSON (RFC 9110 8.3 lets a
// recipient examine it; the decoder refuses anything else, 400). Content-Encoding, when present,
// is identity: the API decodes no compressed body. Empty when the body may be read, else why
// not (the detail of a 415 Unsupported Media Type). A request without a body is never refused.
std::string unsupported_body(const HttpRequest& request);

// --- Links -------------------------------------------------------------------------------
// percent_encode (engine/base/hex.h): every byte but RFC 3986's unreserved ones as %XX.
// The request's query, decoded, as (name, value) pairs in order.
std::vector<std::pair<std::string, std::string>> query_pairs(const HttpRequest& request);
// The href of the page after `page`: base + path + the request's other
// parameters, re-encoded, then page and pageSize.
std::string next_page_href(std::string_view base_url, const HttpRequest& request, const Page& page);

}  // namespace dimona::api

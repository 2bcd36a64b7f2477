#include "api/http.h"

#include <algorithm>
#include <vector>

#include "engine/base/hex.h"
#include "engine/base/json_writer.h"

namespace dimona::api {

std::string percent_decode(std::string_view s, bool path_segment) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && !path_segment) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

namespace {

bool is_unreserved(char c) {  // RFC 3986 2.3
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// The path with each %XX that encodes an unreserved character decoded, a '%' that starts no
// escape written %25, any other byte as sent: applied twice, the same as once.
std::string canonical_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    if (i + 2 >= path.size() || hex_value(path[i + 1]) < 0 || hex_value(path[i + 2]) < 0) {
      out += "%25";  // a '%' that starts no escape is the byte '%' (else "%%32%65" would decode twice)
      continue;
    }
    const char decoded = static_cast<char>(hex_value(path[i + 1]) * 16 + hex_value(path[i + 2]));
    if (is_unreserved(decoded))
      out += decoded;
    else
      out.append(path.substr(i, 3));
    i += 2;
  }
  return out;
}

}  // namespace

std::string canonical_target(std::string_view target) {
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  std::string out = path.find('%') == std::string_view::npos ? std::string(path) : canonical_path(path);
  if (q == std::string_view::npos) return out;
  if (target.find('%', q) == std::string_view::npos) return out.append(target.substr(q));
  out += '?';
  const size_t names_from = out.size();
  for_each_query_pair(target, [&out, names_from](std::string_view name, std::string_view raw) {
    const std::string decoded = percent_decode(name, /*path_segment=*/true);
    const bool unreserved = std::all_of(decoded.begin(), decoded.end(), is_unreserved);
    if (out.size() > names_from) out += '&';
    out += unreserved ? std::string_view(decoded) : name;
    if (!raw.empty()) out.append("=").append(raw);
    return false;
  });
  return out;
}

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

std::string_view HttpRequest::last_header(std::string_view name) const {
  std::string_view last;
  for (const auto& [k, v] : headers)
    if (k == name) last = v;
  return last;
}

std::string_view HttpRequest::path() const {
  const std::string_view t = target;
  return t.substr(0, t.find('?'));
}

bool HttpRequest::has_query(std::string_view name) const {
  return for_each_query_pair(target, [name](std::string_view n, std::string_view) { return n == name; });
}

std::string_view HttpRequest::repeated_query() const {
  std::vector<std::string_view> names;
  for_each_query_pair(target, [&names](std::string_view n, std::string_view) {
    if (!n.empty()) names.push_back(n);
    return false;
  });
  std::sort(names.begin(), names.end());  // a target holds thousands at most (request_header_bytes_max)
  const auto twice = std::adjacent_find(names.begin(), names.end());
  return twice == names.end() ? std::string_view() : *twice;
}

std::string_view HttpRequest::empty_query() const {
  std::string_view empty;
  for_each_query_pair(target, [&empty](std::string_view n, std::string_view raw) {
    if (!raw.empty()) return false;
    empty = n;
    return true;
  });
  return empty;
}

std::optional<std::string_view> HttpRequest::unknown_query(std::string_view known) const {
  std::optional<std::string_view> unknown;
  for_each_query_pair(target, [&](std::string_view n, std::string_view) {
    for (std::string_view rest = known; !rest.empty();) {
      const size_t space = rest.find(' ');
      if (!n.empty() && rest.substr(0, space) == n) return false;
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    unknown = n;
    return true;
  });
  return unknown;
}

std::string HttpRequest::query(std::string_view name) const {
  std::string value;
  for_each_query_pair(target, [&](std::string_view n, std::string_view raw) {
    if (n != name) return false;
    value = percent_decode(raw);
    return true;
  });
  return value;
}

HttpResponse problem(int status, std::string_view name, std::string_view title, std::string_view detail,
                     const std::vector<InputIssue>& issues) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  JsonWriter w(&r.body);
  w.begin_object();
  w.key("type").string("urn:problem-type:belgif:" + std::string(name));
  w.key("href").string("https://www.belgif.be/specification/rest/api-guide/problems/" + std::string(name) + ".html");
  w.key("status").integer(status).key("title").string(title).key("detail").string(detail);
  if (!issues.empty()) {
    w.key("issues").begin_array();
    for (const InputIssue& i : issues) {
      w.begin_object();
      if (i.unknown) {
        w.key("type").string("urn:problem-type:belgif:input-validation:unknownInput");
        w.key("title").string("Unknown input");
      } else {
        w.key("type").string("urn:problem-type:belgif:input-validation:schemaViolation");
        w.key("title").string("Input value is invalid with respect to the schema");
      }
      w.key("in").string(i.in).key("name").string(i.name).key("detail").string(i.detail);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  return r;
}

HttpResponse bad_request(std::string_view detail, const std::vector<InputIssue>& issues) {
  return problem(400, "badRequest", "Bad Request", detail, issues);
}

HttpResponse not_found(std::string_view detail) { return problem(404, "resourceNotFound", "Resource Not Found", detail); }

HttpResponse json_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace dimona::api

#!/usr/bin/env python3
"""OpenAPI conformance of `dimona-ledger serve` (CTest OpenApi.Conformance).

Checks schemas/openapi.yaml against the code and against the running server:

  1. the document itself: OpenAPI 3.0.3, every $ref resolves, schemas keep to the
     OpenAPI 3.0 subset of JSON Schema, lowerCamelCase names, path parameters
     declared, public routes without security, roles (x-roles) on the others;
  2. the route table of api/routes.cc (parsed, no C++ added): every route is in the
     document and the document has no route the table lacks; the query and path
     parameters each handler reads (followed through the helpers it calls) are the
     ones documented;
  3. the request bodies: the OpenAPI equivalents of schemas/declaration.schema.json
     and schemas/action.schema.json give the same verdict as the JSON Schemas on
     every line of the test data and on mutations of them;
  4. the live server: ingests tests/data/golden/students.ndjson into a temporary
     data directory, starts `serve --port 0`, mints tokens with `token`, calls every
     route with roles that get a 2xx and roles that get a refusal, and validates
     each status, Content-Type, required header and JSON body against the document
     (and each logged event against schemas/events/<type>.schema.json);
  5. SIGTERM: the server exits 0.

Standard library plus python3-yaml and python3-jsonschema. Exits 1 listing every
mismatch, 0 when there is none.
"""

import argparse
import copy
import datetime
import http.client
import json
import os
import re
import subprocess
import sys
import urllib.parse

try:
    import yaml
    import jsonschema
    from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker
except ImportError as e:  # an environment problem, said plainly
    sys.exit(f"openapi_check: needs python3-yaml and python3-jsonschema ({e})")
try:  # jsonschema >= 4.18 resolves $ref through `referencing`; Debian 12 has 4.10 (RefResolver)
    import referencing
    import referencing.jsonschema
except ImportError:
    referencing = None

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from live_server import (CITIZEN, CITIZEN2, EMPLOYER, EMPLOYER2, GRANTED_TICKET, SSINS,  # noqa: E402
                         USER_COMPANY, Response, start_golden_server)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ROLES = {"citizen", "employer", "agency", "auditor", "declarant"}
LOWER_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")



class Mismatches:
    def __init__(self):
        self.items = []

    def add(self, where, what):
        self.items.append(f"{where}: {what}")

    def __len__(self):
        return len(self.items)


# --- The document ---------------------------------------------------------------------------

SCHEMA_KEYWORDS = {
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
    "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties",
    "required", "enum", "type", "allOf", "oneOf", "anyOf", "not", "items", "properties",
    "additionalProperties", "description", "format", "default", "nullable", "discriminator", "readOnly",
    "writeOnly", "xml", "externalDocs", "example", "deprecated", "$ref",
}
SCHEMA_TYPES = {"array", "boolean", "integer", "number", "object", "string"}


def resolve_pointer(doc, ref):
    if not ref.startswith("#/"):
        raise KeyError(f"only local references are used here, not {ref}")
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[part]
    return node


def deref(doc, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = resolve_pointer(doc, node["$ref"])
        seen += 1
        if seen > 20:
            raise KeyError("reference loop")
    return node


def walk_refs(node, path, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.append((path, v))
            else:
                walk_refs(v, f"{path}/{k}", out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_refs(v, f"{path}/{i}", out)


def check_schema_subset(schema, where, bad):
    """The OpenAPI 3.0 Schema Object: a subset of JSON Schema (Draft 4 style)."""
    if not isinstance(schema, dict):
        bad.add(where, "a schema is an object")
        return
    if "$ref" in schema and len(schema) > 1:
        bad.add(where, "siblings of $ref are ignored in OpenAPI 3.0 (wrap the $ref in allOf)")
    for k, v in schema.items():
        if k.startswith("x-"):
            continue
        if k not in SCHEMA_KEYWORDS:
            bad.add(where, f"'{k}' is not an OpenAPI 3.0 schema keyword")
            continue
        if k == "type" and (not isinstance(v, str) or v not in SCHEMA_TYPES):
            bad.add(where, f"type must be one of {sorted(SCHEMA_TYPES)} (use nullable: true for null), not {v!r}")
        if k in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(v, bool):
            bad.add(where, f"{k} is a boolean in OpenAPI 3.0")
        if k == "nullable" and "type" not in schema:
            bad.add(where, "nullable without a type")
        if k == "properties":
            for name, sub in v.items():
                if not LOWER_CAMEL.match(name):
                    bad.add(f"{where}/properties/{name}", "property names are lowerCamelCase")
                check_schema_subset(sub, f"{where}/properties/{name}", bad)
        elif k in ("allOf", "oneOf", "anyOf"):
            if not isinstance(v, list) or not v:
                bad.add(where, f"{k} is a non-empty list")
            else:
                for i, sub in enumerate(v):
                    check_schema_subset(sub, f"{where}/{k}/{i}", bad)
        elif k in ("items", "not"):
            check_schema_subset(v, f"{where}/{k}", bad)
        elif k == "additionalProperties" and isinstance(v, dict):
            check_schema_subset(v, f"{where}/{k}", bad)
        elif k == "required" and (not isinstance(v, list) or not v or len(set(v)) != len(v)):
            bad.add(where, "required is a non-empty list of distinct names")
        elif k == "enum" and (not isinstance(v, list) or not v):
            bad.add(where, "enum is a non-empty list")
        elif k == "pattern":
            try:
                re.compile(v)
            except re.error as e:
                bad.add(where, f"pattern does not compile: {e}")


def path_params_of(template):
    return re.findall(r"\{([^}]+)\}", template)


def operation_parameters(doc, path_item, op):
    params = {}
    for p in list(path_item.get("parameters", [])) + list(op.get("parameters", [])):
        p = deref(doc, p)
        params[(p["in"], p["name"])] = p
    return params


def check_document(doc, bad):
    if doc.get("openapi") != "3.0.3":
        bad.add("openapi", f"expected 3.0.3, found {doc.get('openapi')!r}")
    for key in ("info", "paths", "components"):
        if key not in doc:
            bad.add("document", f"no '{key}'")
    info = doc.get("info", {})
    if not info.get("title") or not info.get("version"):
        bad.add("info", "title and version are required")
    refs = []
    walk_refs(doc, "#", refs)
    for where, ref in refs:
        try:
            resolve_pointer(doc, ref)
        except (KeyError, TypeError, IndexError) as e:
            bad.add(where, f"$ref {ref} does not resolve ({e})")
    schemes = doc.get("components", {}).get("securitySchemes", {})
    bearer = [n for n, s in schemes.items() if s.get("type") == "http" and s.get("scheme", "").lower() == "bearer"]
    if not bearer:
        bad.add("components/securitySchemes", "no http bearer scheme")
    elif schemes[bearer[0]].get("bearerFormat") != "JWT":
        bad.add(f"components/securitySchemes/{bearer[0]}", "bearerFormat JWT")
    if not any(set(req) & set(bearer) for req in doc.get("security", [])):
        bad.add("security", "the bearer scheme is not the default security")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        check_schema_subset(schema, f"#/components/schemas/{name}", bad)
    operation_ids = set()
    for template, item in doc.get("paths", {}).items():
        for seg in template.strip("/").split("/"):
            if not seg.startswith("{") and not LOWER_CAMEL.match(seg):
                bad.add(template, f"path segment '{seg}' is not lowerCamelCase")
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            where = f"{method.upper()} {template}"
            oid = op.get("operationId")
            if not oid or not LOWER_CAMEL.match(oid):
                bad.add(where, "operationId missing or not lowerCamelCase")
            elif oid in operation_ids:
                bad.add(where, f"operationId {oid} used twice")
            operation_ids.add(oid)
            params = operation_parameters(doc, item, op)
            declared_path = {n for (i, n) in params if i == "path"}
            if declared_path != set(path_params_of(template)):
                bad.add(where, f"path parameters declared {sorted(declared_path)}, template has {path_params_of(template)}")
            for (i, n), p in params.items():
                if i not in ("path", "query", "header", "cookie"):
                    bad.add(where, f"parameter {n}: 'in' is {i}")
                if i in ("path", "query") and not LOWER_CAMEL.match(n):
                    bad.add(where, f"parameter {n} is not lowerCamelCase")
                if i == "path" and p.get("required") is not True:
                    bad.add(where, f"path parameter {n} must be required: true")
                if "schema" not in p:
                    bad.add(where, f"parameter {n} has no schema")
                else:
                    check_schema_subset(p["schema"], f"{where} parameter {n}", bad)
            responses = op.get("responses", {})
            if not responses:
                bad.add(where, "no responses")
            for status, response in responses.items():
                if not re.match(r"^([1-5][0-9]{2}|default)$", str(status)):
                    bad.add(where, f"response key {status!r}")
                response = deref(doc, response)
                if not response.get("description"):
                    bad.add(f"{where} {status}", "a response has a description")
                for media, content in response.get("content", {}).items():
                    if "schema" in content:
                        check_schema_subset(content["schema"], f"{where} {status} {media}", bad)
            if "requestBody" in op:
                for media, content in deref(doc, op["requestBody"]).get("content", {}).items():
                    check_schema_subset(content.get("schema", {}), f"{where} requestBody {media}", bad)
            public = op.get("security") == []
            if not public:
                roles = op.get("x-roles")
                if not roles or not set(roles) <= ROLES:
                    bad.add(where, f"x-roles must list roles among {sorted(ROLES)}")
                for status in ("401", "403"):
                    if status not in responses:
                        bad.add(where, f"an authenticated route documents {status}")
                for role in roles or []:
                    if role not in op.get("description", ""):
                        bad.add(where, f"the description does not name the role {role}")


# --- The route table (api/routes.cc) ---------------------------------------------------------

# A row of Api::Impl::table(): read("GET", "/v1/...", &handler[, true]), write(...), internal("GET", "/metrics", &Impl::fn, true).
ROUTE_RE = re.compile(r'(?:\{|\b(make|read|write|internal)\()\s*"(GET|POST|PUT|PATCH|DELETE)"\s*,\s*"(/[^"]*)"\s*,\s*&(?:Impl::)?(\w+)'
                      r'\s*(?:,\s*(true|false)\s*)?(?:\}|\))')


# accepts("year minOffset", <route>): the query parameters the router lets through to that route.
ACCEPTS_RE = re.compile(r'\baccepts\(\s*"([^"]*)"\s*,')


def parse_routes(source):
    start = source.find("Impl::table() {")
    table = source[start:] if start >= 0 else source
    routes = []
    accepts = [(m.end(), m.group(1).split()) for m in ACCEPTS_RE.finditer(table)]
    for m in ROUTE_RE.finditer(table):
        # An accepts( wraps the first route after it, and no other.
        names = None
        for at, listed in accepts:
            if at <= m.start() and not any(at < r["at"] for r in routes if r["at"] < m.start()):
                names = listed
        routes.append({"kind": m.group(1), "method": m.group(2), "path": m.group(3), "handler": m.group(4),
                       "public": m.group(5) == "true", "at": m.start(), "accepts": set(names or [])})
    return routes


def skip_literal(src, i):
    """src[i] opens a string or char literal, or a comment: the index after it."""
    if src.startswith("//", i):
        j = src.find("\n", i)
        return len(src) if j < 0 else j
    if src.startswith("/*", i):
        j = src.find("*/", i + 2)
        return len(src) if j < 0 else j + 2
    quote = src[i]
    j = i + 1
    while j < len(src) and src[j] != quote:
        j += 2 if src[j] == "\\" else 1
    return j + 1


def function_bodies(src):
    """name -> body of every function or method defined in a C++ file (names may repeat: bodies are joined)."""
    bodies = {}
    for m in re.finditer(r"\b(\w+)\(([^()]*)\)\s*(?:const\s*)?(?:->\s*[\w:<>]+\s*)?\{", src):
        name = m.group(1)
        if name in ("if", "for", "while", "switch", "catch", "return", "sizeof"):
            continue
        i, depth = m.end() - 1, 0
        while i < len(src):
            c = src[i]
            if c in "\"'" or src.startswith("//", i) or src.startswith("/*", i):
                i = skip_literal(src, i)
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        bodies[name] = bodies.get(name, "") + src[m.end():i]
    return bodies


def inputs_of_handlers(source):
    """handler -> ({query names}, {path names}) it reads, through the functions it calls."""
    bodies = function_bodies(source)
    direct = {}
    for name, body in bodies.items():
        query = set(re.findall(r'\b(?:query|has_query)\("(\w+)"\)', body))
        if re.search(r"\bquery\(\w+\)", body):  # a name from a list: for (auto [name, out] : {std::pair{"from", ...
            query |= set(re.findall(r'std::pair\{"(\w+)"', body))
        path = set(re.findall(r'\bparam\("(\w+)"\)', body))
        calls = {other for other in bodies if other != name and re.search(rf"\b{other}\(", body)}
        direct[name] = (query, path, calls)
    result = {}
    for name in bodies:
        query, path, seen, todo = set(), set(), set(), [name]
        while todo:
            f = todo.pop()
            if f in seen or f not in direct:
                continue
            seen.add(f)
            q, p, calls = direct[f]
            query |= q
            path |= p
            todo.extend(calls)
        result[name] = (query, path)
    return result


def check_routes(doc, routes, source, bad):
    if not routes:
        bad.add("api/routes.cc", "no route found in Api::Impl::table()")
        return
    table = {(r["method"].lower(), r["path"]) for r in routes}
    spec = {(m, p) for p, item in doc.get("paths", {}).items() for m in METHODS if m in item}
    for method, path in sorted(table - spec):
        bad.add(f"{method.upper()} {path}", "in the route table, missing from the document")
    for method, path in sorted(spec - table):
        bad.add(f"{method.upper()} {path}", "in the document, not in the route table")
    inputs = inputs_of_handlers(source)
    for r in routes:
        item = doc.get("paths", {}).get(r["path"])
        if not item or r["method"].lower() not in item:
            continue
        op = item[r["method"].lower()]
        where = f"{r['method']} {r['path']}"
        if r["public"] != (op.get("security") == []):
            bad.add(where, "public in the table" if r["public"] else "authenticated in the table, public in the document")
        if r["handler"] not in inputs:
            bad.add(where, f"handler {r['handler']} not found in api/routes.cc or api/handlers*.cc")
            continue
        read_query, read_path = inputs[r["handler"]]
        if r["kind"] == "read":  # the router reads the audit's axes for every read (read_axes)
            read_query = read_query | inputs.get("read_axes", (set(), set()))[0]
        params = operation_parameters(doc, item, op)
        documented_query = {n for (i, n) in params if i == "query"}
        for name in sorted(read_query - documented_query):
            bad.add(where, f"the handler reads query parameter '{name}', not documented")
        for name in sorted(documented_query - read_query):
            bad.add(where, f"query parameter '{name}' documented, the handler does not read it")
        # The router refuses any other name (unknownInput): its list is the document's.
        let_through = r["accepts"] | ({"asOf", "validOn"} if r["kind"] == "read" else set())
        for name in sorted(documented_query - let_through):
            bad.add(where, f"query parameter '{name}' documented, the route's accepts(...) refuses it")
        for name in sorted(let_through - documented_query):
            bad.add(where, f"the route's accepts(...) lets '{name}' through, not documented")
        if read_path != set(path_params_of(r["path"])):
            bad.add(where, f"the handler reads path parameters {sorted(read_path)}, template has {path_params_of(r['path'])}")


# --- Validation with the document's schemas -------------------------------------------------

def openapi_to_draft4(node):
    """OpenAPI 3.0 schema -> JSON Schema Draft 4: `nullable: true` admits null."""
    if isinstance(node, list):
        return [openapi_to_draft4(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("properties",):
            out[k] = {name: openapi_to_draft4(sub) for name, sub in v.items()}
        elif k in ("nullable", "example", "discriminator", "xml", "externalDocs", "readOnly", "writeOnly",
                   "deprecated") or k.startswith("x-"):
            continue
        else:
            out[k] = openapi_to_draft4(v)
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = list(out["enum"]) + [None]
    return out


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date", raises=ValueError)
def _is_date(value):
    if not isinstance(value, str):
        return True
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        raise ValueError("not YYYY-MM-DD")
    datetime.date.fromisoformat(value)
    return True


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value):
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        raise ValueError("not RFC 3339")
    datetime.datetime.fromisoformat(value[:19])
    return True


@FORMATS.checks("uri", raises=ValueError)
def _is_uri(value):
    if not isinstance(value, str):
        return True
    u = urllib.parse.urlsplit(value)
    if not u.scheme or not (u.netloc or u.path):
        raise ValueError("not an absolute URI")
    return True


class SpecSchemas:
    def __init__(self, doc):
        self.doc = doc
        self.components = {"schemas": openapi_to_draft4(doc.get("components", {}).get("schemas", {}))}

    def errors(self, schema, instance):
        wrapper = {"allOf": [openapi_to_draft4(schema)], "components": self.components}
        validator = Draft4Validator(wrapper, format_checker=FORMATS)
        out = []
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
            cause = jsonschema.exceptions.best_match([e])  # the likeliest branch of a oneOf/allOf
            at = "/".join(str(p) for p in cause.absolute_path) or "(root)"
            out.append(f"{at}: {cause.message[:300]}")
        return out

    def named(self, name):
        return {"$ref": f"#/components/schemas/{name}"}


def json_schemas_by_id(schemas_dir):
    """Every schemas/**/*.schema.json by its $id (the events refer to ../action.schema.json)."""
    by_id = {}
    for root, _dirs, files in os.walk(schemas_dir):
        for f in files:
            if f.endswith(".schema.json"):
                with open(os.path.join(root, f), encoding="utf-8") as fh:
                    contents = json.load(fh)
                by_id[contents["$id"]] = contents
    return by_id


def json_schema_validator(schema, by_id):
    """A Draft 2020-12 validator of `schema` that resolves $refs to the other schemas by $id."""
    if referencing is not None:
        registry = referencing.Registry().with_resources(
            (uri, referencing.Resource.from_contents(contents, default_specification=referencing.jsonschema.DRAFT202012))
            for uri, contents in by_id.items())
        return Draft202012Validator(schema, registry=registry, format_checker=FORMATS)
    resolver = jsonschema.RefResolver.from_schema(schema, store=dict(by_id))
    return Draft202012Validator(schema, resolver=resolver, format_checker=FORMATS)


def load_json_schema(schemas_dir, relative):
    with open(os.path.join(schemas_dir, relative), encoding="utf-8") as fh:
        return json.load(fh)


# --- Request bodies: the OpenAPI equivalents agree with the JSON Schemas ----------------------

DIMONA_KEYS = ("dimonaIn", "dimonaUpdate", "dimonaOut", "dimonaCancel")


def mutations(obj):
    """Bodies that must be refused by both schemas (or, for some, accepted by both)."""
    out = []
    m = copy.deepcopy(obj)
    m["zzzUnknown"] = 1
    out.append(m)
    for k, v in obj.items():
        if isinstance(v, dict):
            m = copy.deepcopy(obj)
            m[k]["zzzUnknown"] = 1
            out.append(m)
            for leaf in v:
                m = copy.deepcopy(obj)
                m[k][leaf] = [1]
                out.append(m)
                m = copy.deepcopy(obj)
                del m[k][leaf]
                out.append(m)
        m = copy.deepcopy(obj)
        del m[k]
        out.append(m)
    return out


def check_request_schemas(doc, spec, source_dir, bad):
    schemas_dir = os.path.join(source_dir, "schemas")
    by_id = json_schemas_by_id(schemas_dir)
    declaration_js = json_schema_validator(load_json_schema(schemas_dir, "declaration.schema.json"), by_id)
    action_js = json_schema_validator(load_json_schema(schemas_dir, "action.schema.json"), by_id)
    bodies = []
    for f in ("tests/data/golden/students.ndjson", "tests/data/one_per_rule.ndjson"):
        path = os.path.join(source_dir, f)
        if not os.path.exists(path):
            bad.add(f, "test data not found")
            continue
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue  # a deliberately malformed line: no schema to compare
                bodies.append((f"{f}:{n}", obj))
    docs_actions = os.path.join(source_dir, "docs/actions.md")
    if os.path.exists(docs_actions):
        with open(docs_actions, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.startswith("{") and line.rstrip().endswith("}"):
                    try:
                        bodies.append((f"docs/actions.md:{n}", json.loads(line)))
                    except ValueError:
                        pass
    compared = 0
    for where, obj in list(bodies):
        for i, m in enumerate(mutations(obj) if isinstance(obj, dict) else []):
            bodies.append((f"{where} (mutation {i + 1})", m))
    for where, obj in bodies:
        is_declaration = isinstance(obj, dict) and any(k in obj for k in DIMONA_KEYS)
        js = declaration_js if is_declaration else action_js
        name = "Declaration" if is_declaration else "Action"
        js_ok = not any(True for _ in js.iter_errors(obj))
        oa_errors = spec.errors(spec.named(name), obj)
        compared += 1
        if js_ok != (not oa_errors):
            bad.add(where, f"schemas/{name.lower()}.schema.json says {'valid' if js_ok else 'invalid'}, "
                           f"the OpenAPI {name} says {'valid' if not oa_errors else 'invalid: ' + '; '.join(oa_errors[:2])}")
    return compared


# --- The live server: tests/api/live_server.py ---------------------------------------------------

def batch_declaration_id(server):
    """The id of a declaration the golden ingest logged (read back with `log dump`)."""
    dump = subprocess.run([server.cli, "log", "dump", "--data", server.data_dir, "--limit", "200"],
                          capture_output=True, text=True, env=server.env, timeout=60)
    for line in dump.stdout.splitlines():
        event_id = json.loads(line)["eventId"]
        if event_id.startswith("dcl-"):
            return event_id[4:]
    raise RuntimeError(f"no declaration among the first records of the golden log: {dump.stderr.strip()[-300:]}")


class Checker:
    def __init__(self, doc, spec, server, tokens, schemas_dir, bad):
        self.doc, self.spec, self.server, self.tokens, self.bad = doc, spec, server, tokens, bad
        self.calls = []  # (method, template, status, role)
        self.schemas_by_id = json_schemas_by_id(schemas_dir)
        self.schemas_dir = schemas_dir

    def request(self, method, target, token=None, body=None, headers=None):
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=15)
        h = {"Connection": "close"}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body, separators=(",", ":"))
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        try:
            conn.request(method, target, body=body, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def call(self, method, template, role, expect, path=None, query=None, body=None, headers=None, raw_token=None):
        target = template
        for k, v in (path or {}).items():
            target = target.replace("{" + k + "}", urllib.parse.quote(str(v), safe=""))
        if query:
            target += "?" + urllib.parse.urlencode(query)
        token = raw_token if raw_token is not None else (self.tokens[role] if role else None)
        label = f"{method} {target} as {role or 'anonymous'}"
        try:
            r = self.request(method, target, token, body, headers)
        except (OSError, http.client.HTTPException) as e:
            self.bad.add(label, f"no answer: {e}")
            return None
        self.calls.append((method, template, r.status, role))
        if r.status != expect:
            self.bad.add(label, f"status {r.status}, expected {expect}: {r.body[:300].decode(errors='replace')}")
        self.validate(method, template, r, label)
        return r

    def validate(self, method, template, r, label):
        item = self.doc["paths"].get(template)
        op = item.get(method.lower()) if item else None
        if op is None:  # 404 for no route, 405 for a method the path does not take
            name = {404: "NotFoundProblem", 405: "MethodNotAllowedProblem"}.get(r.status)
            if name is None:
                self.bad.add(label, f"status {r.status} for an undocumented method or path")
                return
            self.check_body(label, r, {"application/problem+json": {"schema": self.spec.named(name)}})
            return
        response = op["responses"].get(str(r.status))
        if response is None:
            self.bad.add(label, f"status {r.status} is not documented for {method} {template}")
            return
        response = deref(self.doc, response)
        for name, h in response.get("headers", {}).items():
            h = deref(self.doc, h)
            if h.get("required") and r.header(name) is None:
                self.bad.add(label, f"header {name} is required by the document, missing")
        self.check_body(label, r, response.get("content", {}))

    def check_body(self, label, r, content):
        media = r.media_type
        if not content:
            if r.body:
                self.bad.add(label, f"a {media} body where the document has none")
            return
        if media not in content:
            self.bad.add(label, f"Content-Type {r.header('content-type')!r}, the document has {sorted(content)}")
            return
        if media in ("application/json", "application/problem+json"):
            try:
                r.json = json.loads(r.body)
            except ValueError as e:
                self.bad.add(label, f"not JSON: {e}")
                return
            for err in self.spec.errors(content[media].get("schema", {}), r.json):
                self.bad.add(label, f"body does not match the schema at {err}")
        elif media == "application/pdf":
            if not r.body.startswith(b"%PDF-"):
                self.bad.add(label, "not a PDF")
        elif media == "image/svg+xml":
            if b"<svg" not in r.body[:500]:
                self.bad.add(label, "not an SVG image")
        elif media == "text/plain":
            try:
                r.body.decode("utf-8")
            except UnicodeDecodeError:
                self.bad.add(label, "text/plain that is not UTF-8")

    def check_event(self, label, r):
        """An action's event against schemas/events/<type>.schema.json."""
        if r is None or not isinstance(r.json, dict) or "event" not in r.json:
            return
        event = r.json["event"]
        path = os.path.join(self.schemas_dir, "events", f"{event.get('type')}.schema.json")
        if not os.path.exists(path):
            self.bad.add(label, f"no schemas/events/{event.get('type')}.schema.json")
            return
        validator = json_schema_validator(load_json_schema(self.schemas_dir, path), self.schemas_by_id)
        for e in validator.iter_errors(event):
            at = "/".join(str(p) for p in e.absolute_path) or "(root)"
            self.bad.add(label, f"event does not match schemas/events/{event.get('type')}.schema.json at {at}: {e.message[:200]}")


def quarter_bounds(day):
    first_month = (day.month - 1) // 3 * 3 + 1
    start = datetime.date(day.year, first_month, 1)
    end_month = first_month + 2
    end = (datetime.date(day.year + (end_month == 12), end_month % 12 + 1, 1) - datetime.timedelta(days=1))
    return start, end


def quota_years(source_dir):
    with open(os.path.join(source_dir, "schemas", "quota.json"), encoding="utf-8") as fh:
        entries = json.load(fh)["entries"]
    return {y for e in entries for y in range(e["firstYear"], e["lastYear"] + 1)}


def run_server_checks(c, bad, source_dir):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    # An attestation needs the year's quota (schemas/quota.json, later years are added as data).
    attestable = today.year in quota_years(source_dir)
    _, this_quarter_end = quarter_bounds(today)
    next_start, next_end = quarter_bounds(this_quarter_end + datetime.timedelta(days=1))
    anon = None

    # --- Operations (public) ---
    c.call("GET", "/health", anon, 200)
    c.call("GET", "/ready", anon, 200)
    c.call("GET", "/metrics", anon, 200)
    c.call("POST", "/health", anon, 405)
    c.call("DELETE", "/v1/citizens/{ssin}/calendar", "citizen", 405, path={"ssin": CITIZEN})
    c.call("GET", "/v1/nothingHere", "auditor", 404)

    # --- Authentication ---
    r = c.call("GET", "/v1/citizens/{ssin}/calendar", anon, 401, path={"ssin": CITIZEN})
    if r is not None and (r.json or {}).get("type") != "urn:problem-type:belgif:noAccessToken":
        bad.add("no token", f"type {(r.json or {}).get('type')}, expected noAccessToken")
    if r is not None and (r.header("www-authenticate") or "") != "Bearer":
        bad.add("no token", f"WWW-Authenticate {r.header('www-authenticate')!r}, expected 'Bearer'")
    r = c.call("GET", "/v1/citizens/{ssin}/calendar", "citizen", 401, path={"ssin": CITIZEN}, raw_token="not.a.token")
    if r is not None and (r.json or {}).get("type") != "urn:problem-type:belgif:invalidAccessToken":
        bad.add("bad token", f"type {(r.json or {}).get('type')}, expected invalidAccessToken")
    if r is not None and "invalid_token" not in (r.header("www-authenticate") or ""):
        bad.add("bad token", f"WWW-Authenticate {r.header('www-authenticate')!r}, expected error=\"invalid_token\"")

    # --- Audit: the state hash, and the two axes on any read (docs/audit.md) ---
    live = c.call("GET", "/v1/audit/stateHash", "auditor", 200)
    past = c.call("GET", "/v1/audit/stateHash", "auditor", 200, query={"asOf": "2000-01-01"})
    if past is not None and (past.json or {}).get("offsets") and any(past.json["offsets"]):
        bad.add("stateHash asOf 2000", f"offsets {past.json['offsets']}, expected all 0 (nothing recorded by then)")
    if live is not None and past is not None and (live.json or {}).get("stateHash") == (past.json or {}).get("stateHash"):
        bad.add("stateHash", "the live state and the empty state of 2000 have the same hash")
    c.call("GET", "/v1/audit/stateHash", "citizen", 403)
    c.call("GET", "/v1/audit/stateHash", "auditor", 400, query={"asOf": "2025-13-01"})
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen", 200, path={"ssin": CITIZEN},
           query={"asOf": "2025-06-30T12:00:00Z", "validOn": "2025-05-31"})
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen", 400, path={"ssin": CITIZEN}, query={"validOn": "31/05/2025"})

    # --- Declarations ---
    declaration = {"employer": {"enterpriseNumber": EMPLOYER}, "worker": {"ssin": CITIZEN},
                   "dimonaIn": {"features": {"jointCommissionNumber": "XXX", "workerType": "STU"},
                                "startDate": next_start.isoformat(), "endDate": next_end.isoformat(),
                                "plannedHoursNumber": 30}}
    r = c.call("POST", "/v1/declarations", "declarant", 201, body=declaration)
    declaration_id = period_id = offset = None
    if r is not None and r.status == 201 and isinstance(r.json, dict):
        declaration_id, period_id, offset = r.json.get("declarationId"), r.json.get("periodId"), r.json.get("offset")
        if next_start.year in quota_years(source_dir) and r.json.get("result") not in ("A", "W"):
            bad.add("POST /v1/declarations", f"a valid IN decided {r.json.get('result')}: {r.json.get('anomalies')}")
        href = r.json.get("href") or ""
        if r.header("location") != href:
            bad.add("POST /v1/declarations", f"Location {r.header('location')!r} is not the href {href!r}")
        # Without --public-url, links name the server's own address (serve prints it on its first line).
        if urllib.parse.urlsplit(href).netloc != f"{c.server.host}:{c.server.port}" or \
                urllib.parse.urlsplit(href).path != f"/v1/declarations/{declaration_id}":
            bad.add("POST /v1/declarations", f"href {href!r} does not name this server "
                                             f"(http://{c.server.host}:{c.server.port}/v1/declarations/{declaration_id})")
    cross_quarter = copy.deepcopy(declaration)
    cross_quarter["dimonaIn"]["startDate"] = this_quarter_end.isoformat()
    r = c.call("POST", "/v1/declarations", "declarant", 201, body=cross_quarter)
    if r is not None and isinstance(r.json, dict) and r.json.get("result") != "B":
        bad.add("POST /v1/declarations (across two quarters)", f"result {r.json.get('result')}, expected B (rule 5)")
    c.call("POST", "/v1/declarations", "declarant", 400, body={"dimonaIn": {"plannedHours": 3}})
    c.call("POST", "/v1/declarations", "declarant", 400, body="{not json")
    c.call("POST", "/v1/declarations", "declarant", 415, body=declaration, headers={"Content-Type": "text/plain"})
    c.call("POST", "/v1/actions", "employer", 415, body={}, headers={"Content-Type": "application/xml"})
    c.call("POST", "/v1/declarations", "declarant", 400,
           body={"worker": {"ssin": CITIZEN}, "attestationRequest": {"year": today.year}})
    other = copy.deepcopy(declaration)
    other["employer"]["enterpriseNumber"] = EMPLOYER2
    c.call("POST", "/v1/declarations", "declarant", 403, body=other)
    c.call("POST", "/v1/declarations", "citizen", 403, body=declaration)
    c.call("POST", "/v1/declarations", "auditor", 403, body=declaration)
    c.call("POST", "/v1/declarations", anon, 401, body=declaration)
    c.call("POST", "/v1/declarations", "declarant", 413, body=b'{"x":"' + b"a" * (70 * 1024) + b'"}')
    if declaration_id:
        c.call("GET", "/v1/declarations/{id}", "declarant", 200, path={"id": declaration_id})
        c.call("GET", "/v1/declarations/{id}", "auditor", 200, path={"id": declaration_id})
        c.call("GET", "/v1/declarations/{id}", "citizen", 403, path={"id": declaration_id})
        c.call("GET", "/v1/declarations/{id}", "employer", 403, path={"id": declaration_id})
        c.call("GET", "/v1/declarations/{id}", anon, 401, path={"id": declaration_id})
    c.call("GET", "/v1/declarations/{id}", "auditor", 200, path={"id": batch_declaration_id(c.server)})  # from the log
    c.call("GET", "/v1/declarations/{id}", "declarant", 404, path={"id": "999999999948"})  # well-formed, unknown
    c.call("GET", "/v1/declarations/{id}", "declarant", 400, path={"id": "12"})
    c.call("GET", "/v1/declarations/{id}", "declarant", 400, path={"id": "18446744073709551615"})
    c.call("GET", "/v1/careerBreakRequests/{ticket}", "auditor", 400, path={"ticket": "-1"})

    # --- Student balance and calendar (read-your-writes) ---
    q = {"year": next_start.year}
    if offset is not None:
        q["minOffset"] = offset
    r = c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen", 200, path={"ssin": CITIZEN}, query=q)
    if r is not None and period_id and isinstance(r.json, dict):
        periods = [p.get("periodId") for b in r.json.get("items", []) for p in b.get("periods", [])]
        if period_id not in periods:
            bad.add("read-your-writes", f"the balance read with minOffset={offset} lacks period {period_id}")
    r = c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen", 200, path={"ssin": CITIZEN})
    if r is not None and isinstance(r.json, dict) and r.json.get("total") != 3:
        bad.add("GET studentBalance", f"without year: {r.json.get('total')} balances, expected 3 (previous, current, next)")
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", "auditor", 200, path={"ssin": CITIZEN}, query={"year": 2025})
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", "employer", 403, path={"ssin": CITIZEN})
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen2", 403, path={"ssin": CITIZEN})
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", anon, 401, path={"ssin": CITIZEN})
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen", 400, path={"ssin": "05031412596"})
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen", 400, path={"ssin": CITIZEN}, query={"year": 1999})
    c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen", 400, path={"ssin": CITIZEN}, query={"minOffset": "x"})
    r = c.call("GET", "/v1/citizens/{ssin}/studentBalance", "citizen", 503, path={"ssin": CITIZEN},
               query={"minOffset": 10 ** 12})
    if r is not None and r.status == 503 and r.header("retry-after") != "1":
        bad.add("minOffset not reached", f"Retry-After {r.header('retry-after')!r}, expected '1'")
    c.call("GET", "/v1/citizens/{ssin}/calendar", "citizen", 200, path={"ssin": CITIZEN})
    c.call("GET", "/v1/citizens/{ssin}/calendar", "auditor", 200, path={"ssin": CITIZEN}, query={"year": 2025})
    c.call("GET", "/v1/citizens/{ssin}/calendar", "employer", 403, path={"ssin": CITIZEN})
    c.call("GET", "/v1/citizens/{ssin}/calendar", "citizen", 400, path={"ssin": CITIZEN}, query={"year": "20x5"})

    # --- Interim relations ---
    p2 = {"ssin": CITIZEN2}
    c.call("GET", "/v1/citizens/{ssin}/interimRelations", "citizen2", 200, path=p2)
    c.call("GET", "/v1/citizens/{ssin}/interimRelations", "citizen2", 200, path=p2, query={"view": "calendar"})
    r = c.call("GET", "/v1/citizens/{ssin}/interimRelations", "citizen2", 200, path=p2, query={"format": "pdf"})
    if r is not None and r.media_type == "application/pdf" and "interim-relations.pdf" not in (r.header("content-disposition") or ""):
        bad.add("interim PDF", f"Content-Disposition {r.header('content-disposition')!r}")
    c.call("GET", "/v1/citizens/{ssin}/interimRelations", "citizen2", 200, path=p2,
           headers={"Accept": "application/pdf"})
    c.call("GET", "/v1/citizens/{ssin}/interimRelations", "auditor", 200, path=p2,
           query={"from": "2025-01-01", "to": "2025-12-31", "workerType": "OTH", "agency": EMPLOYER,
                  "userCompany": USER_COMPANY, "minOffset": 0})
    r = c.call("GET", "/v1/citizens/{ssin}/interimRelations", "citizen2", 400, path=p2,
               query={"from": "yesterday", "workerType": "ZZZ", "agency": "1", "userCompany": "0403019262"})
    if r is not None and isinstance(r.json, dict):
        named = sorted(i.get("name") for i in r.json.get("issues", []))
        if named != ["agency", "from", "userCompany", "workerType"]:
            bad.add("interimRelations bad filters", f"issues name {named}, expected every bad filter")
    c.call("GET", "/v1/citizens/{ssin}/interimRelations", "citizen", 403, path=p2)
    c.call("GET", "/v1/citizens/{ssin}/interimRelations", "employer", 403, path=p2)
    c.call("GET", "/v1/citizens/{ssin}/interimRelations", anon, 401, path=p2)

    # --- Attestations and access codes (seed 001) ---
    p1 = {"ssin": CITIZEN}
    r = c.call("POST", "/v1/citizens/{ssin}/attestations", "citizen", 201 if attestable else 409, path=p1)
    access_code = r.json.get("accessCode") if r is not None and r.status == 201 and isinstance(r.json, dict) else None
    c.call("POST", "/v1/citizens/{ssin}/attestations", "citizen", 201 if attestable else 409, path=p1,
           query={"format": "pdf"})
    c.call("POST", "/v1/citizens/{ssin}/attestations", "citizen", 409, path=p1, query={"year": 2020})
    c.call("POST", "/v1/citizens/{ssin}/attestations", "citizen", 400, path=p1, query={"year": "abc"})
    c.call("POST", "/v1/citizens/{ssin}/attestations", "citizen", 400, path={"ssin": "0503141259"})
    c.call("POST", "/v1/citizens/{ssin}/attestations", "citizen", 403, path=p2)
    c.call("POST", "/v1/citizens/{ssin}/attestations", "auditor", 403, path=p1)
    c.call("POST", "/v1/citizens/{ssin}/attestations", anon, 401, path=p1)
    r = c.call("GET", "/v1/citizens/{ssin}/attestations", "citizen", 200, path=p1)
    if r is not None and access_code and isinstance(r.json, dict):
        if access_code not in [a.get("accessCode") for a in r.json.get("items", [])]:
            bad.add("GET attestations", "the attestation just issued is not listed")
    c.call("GET", "/v1/citizens/{ssin}/attestations", "auditor", 200, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/attestations", "employer", 403, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/attestations", anon, 401, path=p1)
    # The inbox (a message per attestation) and the wages: the citizen only.
    r = c.call("GET", "/v1/citizens/{ssin}/inbox", "citizen", 200, path=p1)
    message = None
    if r is not None and isinstance(r.json, dict) and r.json.get("items"):
        message = r.json["items"][0].get("messageId")
    elif attestable:
        bad.add("GET inbox", "the attestation just issued is not in the inbox")
    c.call("GET", "/v1/citizens/{ssin}/inbox", "citizen", 200, path=p1, query={"archived": "true"})
    c.call("GET", "/v1/citizens/{ssin}/inbox", "citizen", 400, path=p1, query={"archived": "yes"})
    c.call("GET", "/v1/citizens/{ssin}/inbox", "auditor", 403, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/inbox", anon, 401, path=p1)
    if message:
        pm = {"ssin": CITIZEN, "messageId": message}
        c.call("GET", "/v1/citizens/{ssin}/inbox/{messageId}", "citizen", 200, path=pm)
        c.call("GET", "/v1/citizens/{ssin}/inbox/{messageId}", "auditor", 403, path=pm)
        c.call("GET", "/v1/citizens/{ssin}/inbox/{messageId}", "citizen", 400, path={"ssin": CITIZEN, "messageId": "12"})
        c.call("GET", "/v1/citizens/{ssin}/inbox/{messageId}", anon, 401, path=pm)
        c.call("POST", "/v1/citizens/{ssin}/inbox/{messageId}/archive", "employer", 403, path=pm)
        c.call("POST", "/v1/citizens/{ssin}/inbox/{messageId}/archive", anon, 401, path=pm)
        c.call("POST", "/v1/citizens/{ssin}/inbox/{messageId}/archive", "citizen", 400,
               path={"ssin": CITIZEN, "messageId": "700000000000"})
        c.call("POST", "/v1/citizens/{ssin}/inbox/{messageId}/archive", "citizen", 201, path=pm)
        c.call("GET", "/v1/citizens/{ssin}/inbox/{messageId}", "citizen", 200, path=pm)
    # An Interim@work overview to the eBox (seed 002): a message whose body carries the relations then.
    sent = c.call("POST", "/v1/actions", "citizen", 201,
                  body={"worker": {"ssin": CITIZEN}, "interimOverviewSend": {"channel": "EBOX", "from": "2025-01-01"}})
    if sent is not None and isinstance(sent.json, dict):
        c.check_event("POST /v1/actions interimOverviewSend", sent)
        po = {"ssin": CITIZEN, "messageId": sent.json.get("actionId")}
        r = c.call("GET", "/v1/citizens/{ssin}/inbox/{messageId}", "citizen", 200, path=po)
        if r is not None and isinstance(r.json, dict) and "relations" not in r.json.get("overview", {}):
            bad.add("GET inbox interimOverview", "the overview's relations are missing")
    c.call("POST", "/v1/actions", "citizen", 400,
           body={"worker": {"ssin": CITIZEN}, "interimOverviewSend": {"channel": "EMAIL"}})
    c.call("POST", "/v1/actions", "citizen", 403,
           body={"worker": {"ssin": CITIZEN2}, "interimOverviewSend": {"channel": "EBOX"}})
    c.call("POST", "/v1/actions", "citizen", 201,
           body={"worker": {"ssin": CITIZEN}, "interimOverviewSend": {"channel": "EMAIL", "email": "a@example.be"}})
    c.call("GET", "/v1/citizens/{ssin}/wages", "citizen", 200, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/wages", "auditor", 403, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/wages", "citizen", 403, path=p2)
    c.call("GET", "/v1/citizens/{ssin}/wages", anon, 401, path=p1)
    if access_code:
        r = c.call("GET", "/v1/accessCodes/{code}", "employer", 200, path={"code": access_code})
        if r is not None and isinstance(r.json, dict) and CITIZEN in json.dumps(r.json):
            bad.add("GET accessCodes", "the answer carries the SSIN (seed 001: remaining hours only)")
        c.call("GET", "/v1/accessCodes/{code}", "agency", 200, path={"code": access_code.lower()})
        c.call("GET", "/v1/accessCodes/{code}", "auditor", 200, path={"code": access_code})
        c.call("GET", "/v1/accessCodes/{code}", "citizen", 403, path={"code": access_code})
        c.call("GET", "/v1/accessCodes/{code}", "declarant", 403, path={"code": access_code})
        c.call("GET", "/v1/accessCodes/{code}", anon, 401, path={"code": access_code})
    c.call("GET", "/v1/accessCodes/{code}", "employer", 404, path={"code": "00000-00000"})
    c.call("GET", "/v1/accessCodes/{code}", "employer", 400, path={"code": "xx"})

    # --- Who looked (docs/audit.md): the auditor's and the employer's reads above are in the list ---
    r = c.call("GET", "/v1/citizens/{ssin}/consultations", "citizen", 200, path=p1)
    if r is not None and isinstance(r.json, dict):
        seen = {(i.get("role"), i.get("scope"), i.get("channel")) for i in r.json.get("items", [])}
        wanted = [("auditor", "studentBalance", "auditor"), ("auditor", "calendar", "auditor")]
        if access_code:
            wanted += [("employer", "accessCode", "accessCode"), ("agency", "accessCode", "accessCode")]
        for want in wanted:
            if want not in seen:
                bad.add("GET consultations", f"{want} is not listed: {sorted(map(str, seen))}")
        if any(CITIZEN in json.dumps(i) for i in r.json.get("items", [])):
            bad.add("GET consultations", "an item carries the SSIN")
    c.call("GET", "/v1/citizens/{ssin}/consultations", "auditor", 200, path=p1, query={"pageSize": 1})
    c.call("GET", "/v1/citizens/{ssin}/consultations", "citizen2", 403, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/consultations", "employer", 403, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/consultations", anon, 401, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/consultations", "citizen", 400, path={"ssin": "05031412596"})
    c.call("GET", "/v1/citizens/{ssin}/consultations", "citizen", 400, path=p1, query={"pageSize": 0})
    # The ledger's own action: refused from outside, for every role.
    for role in ("auditor", "citizen", "employer", "declarant"):
        c.call("POST", "/v1/actions", role, 400,
               body={"worker": {"ssin": CITIZEN},
                     "dataConsultation": {"role": "auditor", "scope": "studentBalance", "channel": "auditor"}})

    # --- Actions: data access and consent (seed 003) ---
    def action(role, body, expect=201):
        r = c.call("POST", "/v1/actions", role, expect, body=body)
        if r is not None and r.status == 201:
            c.check_event(f"POST /v1/actions as {role}", r)
        return r.json if r is not None and r.status == 201 and isinstance(r.json, dict) else None

    flexi_request = action("employer", {"employer": {"enterpriseNumber": EMPLOYER},
                                        "dataAccessRequest": {"scope": "FLEXI", "channel": "QR"}})
    balance_request = action("employer", {"employer": {"enterpriseNumber": EMPLOYER},
                                          "dataAccessRequest": {"scope": "STUDENT_BALANCE", "channel": "LINK"}})
    grant_offset = None
    if flexi_request:
        grant = action("citizen2", {"worker": {"ssin": CITIZEN2},
                                    "dataAccessGrant": {"token": flexi_request["event"]["body"]["token"]}})
        if grant:
            grant_offset = grant["offset"]
            if grant["event"]["body"].get("result") != "A":
                bad.add("dataAccessGrant", f"refused: {grant['event']['body'].get('reason')}")
    if balance_request:
        action("citizen", {"worker": {"ssin": CITIZEN},
                           "dataAccessGrant": {"token": balance_request["event"]["body"]["token"]}})
    refused = action("citizen", {"worker": {"ssin": CITIZEN}, "dataAccessGrant": {"token": "0" * 19 + "1"}})
    if refused and refused["event"]["body"].get("result") != "B":
        bad.add("dataAccessGrant of an unknown token", "not refused")
    action("declarant", {"employer": {"enterpriseNumber": EMPLOYER}, "worker": {"ssin": CITIZEN2},
                         "occupationQuarter": {"year": 2025, "quarter": 1, "fraction": 0.5}})
    action("agency", {"employer": {"enterpriseNumber": EMPLOYER},
                      "dataAccessRequest": {"scope": "FLEXI", "channel": "LINK"}})
    action("auditor", {"employer": {"enterpriseNumber": EMPLOYER},
                       "dataAccessRequest": {"scope": "FLEXI", "channel": "QR"}}, 403)
    action("employer", {"employer": {"enterpriseNumber": EMPLOYER2},
                        "dataAccessRequest": {"scope": "FLEXI", "channel": "QR"}}, 403)
    action("citizen", {"worker": {"ssin": CITIZEN2}, "attestationRequest": {"year": today.year}}, 403)
    action("employer", {"employer": {"enterpriseNumber": EMPLOYER}, "worker": {"ssin": CITIZEN},
                        "occupationQuarter": {"year": 2025, "quarter": 1, "fraction": 0.5}}, 403)
    action("citizen", {"worker": {"ssin": CITIZEN}, "attestationRequest": {"year": "2026"}}, 400)
    action("declarant", declaration, 400)
    action(anon, {"worker": {"ssin": CITIZEN}, "attestationRequest": {"year": today.year}}, 401)
    c.call("POST", "/v1/actions", "employer", 413, body=b'{"x":"' + b"a" * (70 * 1024) + b'"}')

    q = {"minOffset": grant_offset} if grant_offset is not None else None
    r = c.call("GET", "/v1/citizens/{ssin}/consents", "citizen2", 200, path=p2, query=q)
    if r is not None and flexi_request and isinstance(r.json, dict):
        if flexi_request["actionId"] not in [i.get("requestId") for i in r.json.get("items", [])]:
            bad.add("GET consents", "the grant just given is not listed")
    c.call("GET", "/v1/citizens/{ssin}/consents", "auditor", 200, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/consents", "employer", 403, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/consents", "citizen", 400, path={"ssin": "abc"})
    c.call("GET", "/v1/citizens/{ssin}/consents", anon, 401, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/consentedData", "employer", 200, path=p2, query={"scope": "FLEXI"})
    c.call("GET", "/v1/citizens/{ssin}/consentedData", "agency", 200, path=p2, query={"scope": "FLEXI"})
    c.call("GET", "/v1/citizens/{ssin}/consentedData", "employer", 200, path=p1, query={"scope": "STUDENT_BALANCE"})
    c.call("GET", "/v1/citizens/{ssin}/consentedData", "employer", 403, path=p1, query={"scope": "FLEXI"})
    c.call("GET", "/v1/citizens/{ssin}/consentedData", "employer2", 403, path=p2, query={"scope": "FLEXI"})
    c.call("GET", "/v1/citizens/{ssin}/consentedData", "citizen2", 403, path=p2, query={"scope": "FLEXI"})
    c.call("GET", "/v1/citizens/{ssin}/consentedData", "auditor", 403, path=p2, query={"scope": "FLEXI"})
    c.call("GET", "/v1/citizens/{ssin}/consentedData", "employer", 400, path=p2, query={"scope": "ALL"})
    c.call("GET", "/v1/citizens/{ssin}/consentedData", anon, 401, path=p2, query={"scope": "FLEXI"})
    c.call("GET", "/v1/dataAccessRequests", "employer", 200)
    c.call("GET", "/v1/dataAccessRequests", "agency", 200)
    c.call("GET", "/v1/dataAccessRequests", "auditor", 200, query={"employer": EMPLOYER})
    c.call("GET", "/v1/dataAccessRequests", "auditor", 400)
    c.call("GET", "/v1/dataAccessRequests", "citizen", 403)
    c.call("GET", "/v1/dataAccessRequests", "declarant", 403)
    c.call("GET", "/v1/dataAccessRequests", anon, 401)
    if flexi_request:
        rid = {"requestId": flexi_request["actionId"]}
        c.call("GET", "/v1/dataAccessRequests/{requestId}/qr", "employer", 200, path=rid)
        c.call("GET", "/v1/dataAccessRequests/{requestId}/qr", "agency", 200, path=rid)
        c.call("GET", "/v1/dataAccessRequests/{requestId}/qr", "employer2", 404, path=rid)
        c.call("GET", "/v1/dataAccessRequests/{requestId}/qr", "citizen2", 403, path=rid)
        c.call("GET", "/v1/dataAccessRequests/{requestId}/qr", "auditor", 403, path=rid)
        c.call("GET", "/v1/dataAccessRequests/{requestId}/qr", anon, 401, path=rid)

    # --- Flexi eligibility and anomalies ---
    c.call("GET", "/v1/citizens/{ssin}/flexiEligibility", "citizen2", 200, path=p2)
    c.call("GET", "/v1/citizens/{ssin}/flexiEligibility", "citizen2", 200, path=p2,
           query={"quarter": "2025-Q1", "employer": EMPLOYER2, "minOffset": 0})
    c.call("GET", "/v1/citizens/{ssin}/flexiEligibility", "auditor", 200, path=p2, query={"quarter": "2025-Q1"})
    c.call("GET", "/v1/citizens/{ssin}/flexiEligibility", "citizen2", 400, path=p2, query={"quarter": "2025Q1"})
    c.call("GET", "/v1/citizens/{ssin}/flexiEligibility", "citizen2", 400, path=p2, query={"employer": "0403019262"})
    c.call("GET", "/v1/citizens/{ssin}/flexiEligibility", "employer", 403, path=p2)
    c.call("GET", "/v1/citizens/{ssin}/flexiEligibility", anon, 401, path=p2)
    c.call("GET", "/v1/citizens/{ssin}/anomalies", "auditor", 200, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/anomalies", "auditor", 400, path={"ssin": "05031412596"})
    c.call("GET", "/v1/citizens/{ssin}/anomalies", "citizen", 403, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/anomalies", "employer", 403, path=p1)
    c.call("GET", "/v1/citizens/{ssin}/anomalies", anon, 401, path=p1)
    pe = {"employer": EMPLOYER}
    c.call("GET", "/v1/employers/{employer}/anomalies", "auditor", 200, path=pe)
    c.call("GET", "/v1/employers/{employer}/anomalies", "auditor", 400, path={"employer": "0431150351"})
    c.call("GET", "/v1/employers/{employer}/anomalies", "employer", 403, path=pe)
    c.call("GET", "/v1/employers/{employer}/anomalies", "citizen", 403, path=pe)
    c.call("GET", "/v1/employers/{employer}/anomalies", anon, 401, path=pe)
    events = "/v1/audit/citizens/{ssin}/events"
    c.call("GET", events, "citizen", 200, path=p1)
    c.call("GET", events, "auditor", 200, path=p1, query={"asOf": "2030-01-01T00:00:00Z", "pageSize": 2})
    c.call("GET", events, "auditor", 200, path=p2, query={"minOffset": 0})
    c.call("GET", events, "auditor", 400, path=p1, query={"asOf": "2025-06-31"})
    c.call("GET", events, "auditor", 400, path={"ssin": "05031412596"})
    c.call("GET", events, "citizen2", 403, path=p1)
    c.call("GET", events, "employer", 403, path=p1)
    c.call("GET", events, anon, 401, path=p1)

    # --- Career break (seed 004) ---
    submitted = action("employer", {"employer": {"enterpriseNumber": EMPLOYER}, "worker": {"ssin": CITIZEN2},
                                    "careerBreakRequest": {"leaveKind": "CAREER_BREAK", "fraction": "1/2",
                                                           "startDate": next_start.isoformat(),
                                                           "endDate": next_end.isoformat(),
                                                           "regimeBefore": 1, "regimeDuring": 0.5}})
    if submitted:
        t = {"ticket": submitted["actionId"]}
        c.call("GET", "/v1/careerBreakRequests/{ticket}", "employer", 200, path=t)
        c.call("GET", "/v1/careerBreakRequests/{ticket}", "agency", 200, path=t)
        c.call("GET", "/v1/careerBreakRequests/{ticket}", "citizen2", 200, path=t)
        c.call("GET", "/v1/careerBreakRequests/{ticket}", "citizen", 403, path=t)
        c.call("GET", "/v1/careerBreakRequests/{ticket}", "employer2", 403, path=t)
    g = {"ticket": GRANTED_TICKET}
    c.call("GET", "/v1/careerBreakRequests/{ticket}", "auditor", 200, path=g)
    c.call("GET", "/v1/careerBreakRequests/{ticket}", "employer", 403, path=g)  # the employee completed their part
    c.call("GET", "/v1/careerBreakRequests/{ticket}", "declarant", 403, path=g)
    c.call("GET", "/v1/careerBreakRequests/{ticket}", "auditor", 403, path={"ticket": "999999999948"})  # well-formed, unknown
    c.call("GET", "/v1/careerBreakRequests/{ticket}", anon, 401, path=g)
    r = c.call("GET", "/v1/careerBreakRequests", "employer", 200)
    if r is not None and isinstance(r.json, dict):
        for req in r.json.get("requests", []):
            if req.get("ticket") == GRANTED_TICKET and "leaveKind" in req:
                bad.add("GET /v1/careerBreakRequests as employer", "shows the detail of a request past SUBMITTED (seed 004)")
    c.call("GET", "/v1/careerBreakRequests", "agency", 200)
    c.call("GET", "/v1/careerBreakRequests", "auditor", 200,
           query={"employer": EMPLOYER, "leaveKind": "TIME_CREDIT", "fraction": "1/5", "status": "GRANTED",
                  "ssin": CITIZEN2, "from": "2025-01-01", "to": "2026-12-31"})
    c.call("GET", "/v1/careerBreakRequests", "auditor", 400)
    r = c.call("GET", "/v1/careerBreakRequests", "employer", 400,
               query={"leaveKind": "HOLIDAY", "fraction": "1/3", "status": "NOPE", "ssin": "1", "from": "x", "to": "y"})
    if r is not None and isinstance(r.json, dict):
        named = sorted(i.get("name") for i in r.json.get("issues", []))
        if named != ["fraction", "from", "leaveKind", "ssin", "status", "to"]:
            bad.add("careerBreakRequests bad filters", f"issues name {named}, expected every bad filter")
    c.call("GET", "/v1/careerBreakRequests", "citizen", 403)
    c.call("GET", "/v1/careerBreakRequests", anon, 401)
    # The employee's own list (DOMAIN §5): every request made for them, in full.
    mine = "/v1/citizens/{ssin}/careerBreakRequests"
    r = c.call("GET", mine, "citizen2", 200, path=p2)
    if r is not None and isinstance(r.json, dict):
        granted = [q for q in r.json.get("requests", []) if q.get("ticket") == GRANTED_TICKET]
        if not granted or "leaveKind" not in granted[0] or granted[0].get("status") != "GRANTED":
            bad.add("GET " + mine, "the employee's own list lacks their granted request in full")
    c.call("GET", mine, "auditor", 200, path=p2, query={"minOffset": 0})
    c.call("GET", mine, "citizen", 403, path=p2)
    c.call("GET", mine, "employer", 403, path=p2)
    c.call("GET", mine, anon, 401, path=p2)
    c.call("GET", mine, "citizen2", 400, path={"ssin": "05031412596"})

    # --- Employer settings ---
    e1 = {"employer": EMPLOYER}
    settings = {"contactName": "HR desk", "email": "hr@example.be", "phone": "+3225093111", "sector": "302",
                "acceptsNotifications": True}
    c.call("GET", "/v1/employers/{employer}/settings", "employer", 200, path=e1)
    c.call("GET", "/v1/employers/{employer}/settings", "agency", 200, path=e1)
    c.call("GET", "/v1/employers/{employer}/settings", "auditor", 200, path={"employer": EMPLOYER2})
    c.call("GET", "/v1/employers/{employer}/settings", "auditor", 404, path={"employer": USER_COMPANY})
    c.call("GET", "/v1/employers/{employer}/settings", "employer", 400, path={"employer": "12"})
    c.call("GET", "/v1/employers/{employer}/settings", "employer2", 403, path=e1)
    c.call("GET", "/v1/employers/{employer}/settings", "citizen", 403, path=e1)
    c.call("GET", "/v1/employers/{employer}/settings", anon, 401, path=e1)
    r = c.call("PUT", "/v1/employers/{employer}/settings", "employer", 201, path=e1,
               body=dict(settings, contactName="HR desk (API)"))
    c.check_event("PUT settings", r)
    r = c.call("GET", "/v1/employers/{employer}/settings", "employer", 200, path=e1)
    if r is not None and isinstance(r.json, dict) and r.json.get("contactName") != "HR desk (API)":
        bad.add("PUT then GET settings", f"contactName {r.json.get('contactName')!r} after the PUT")
    c.call("PUT", "/v1/employers/{employer}/settings", "agency", 201, path=e1, body=settings)
    c.call("PUT", "/v1/employers/{employer}/settings", "employer", 400, path=e1, body={"contactName": "x"})
    c.call("PUT", "/v1/employers/{employer}/settings", "employer", 400, path={"employer": "0403019262"}, body=settings)
    c.call("PUT", "/v1/employers/{employer}/settings", "employer", 403, path={"employer": EMPLOYER2}, body=settings)
    c.call("PUT", "/v1/employers/{employer}/settings", "auditor", 403, path=e1, body=settings)
    c.call("PUT", "/v1/employers/{employer}/settings", anon, 401, path=e1, body=settings)
    c.call("PUT", "/v1/employers/{employer}/settings", "employer", 413, path=e1,
           body=b'{"x":"' + b"a" * (70 * 1024) + b'"}')

    # --- Access-code rate limit (last: it spends this client's minute) ---
    code = access_code or "00000-00000"
    for _ in range(70):
        r = c.request("GET", f"/v1/accessCodes/{code}", c.tokens["employer"])
        if r.status == 429:
            c.calls.append(("GET", "/v1/accessCodes/{code}", r.status, "employer"))
            c.validate("GET", "/v1/accessCodes/{code}", r, "GET /v1/accessCodes (over the limit)")
            if r.header("retry-after") != "60":
                bad.add("access-code limit", f"Retry-After {r.header('retry-after')!r}, expected '60'")
            break
    else:
        bad.add("access-code limit", "70 lookups in a row and never a 429 (limit: 30 per minute)")

    # --- Metrics: templated routes, never an SSIN ---
    r = c.call("GET", "/metrics", anon, 200)
    if r is not None and r.status == 200:
        text = r.body.decode(errors="replace")
        for family in ("dimona_http_requests_total", "dimona_http_request_duration_seconds_bucket",
                       "dimona_events_folded_total", "dimona_write_lag"):
            if family not in text:
                bad.add("GET /metrics", f"no {family}")
        if 'route="GET /v1/citizens/{ssin}/calendar",status="200"' not in text:
            bad.add("GET /metrics", "the calendar route is not counted under its template")
        for ssin in SSINS:
            if ssin in text:
                bad.add("GET /metrics", "an SSIN appears in the metrics")


def check_coverage(doc, routes, calls, bad):
    for r in routes:
        method, path = r["method"], r["path"]
        seen = [(status, role) for (m, p, status, role) in calls if m == method and p == path]
        ok_roles = {ROLE_OF.get(role, role) for (status, role) in seen if 200 <= status < 300}
        if not ok_roles:
            bad.add(f"{method} {path}", "never answered 2xx in the run")
        if not r["public"] and not any(status in (401, 403) for (status, _role) in seen):
            bad.add(f"{method} {path}", "never refused (401/403) in the run")
        op = doc.get("paths", {}).get(path, {}).get(method.lower())
        if op and not r["public"]:
            roles = set(op.get("x-roles", []))
            for role in sorted(ok_roles - roles):
                bad.add(f"{method} {path}", f"a {role} got a 2xx, the document does not list that role")
            for role in sorted(roles - ok_roles):
                bad.add(f"{method} {path}", f"the document lists the role {role}, no 2xx for it in the run")


ROLE_OF = {"citizen2": "citizen", "employer2": "employer"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cli", required=True, help="the dimona-ledger binary")
    parser.add_argument("--spec", required=True, help="schemas/openapi.yaml")
    parser.add_argument("--source-dir", default=os.path.normpath(os.path.join(HERE, "..", "..")),
                        help="the repository (api/routes.cc, schemas/, tests/data/)")
    parser.add_argument("--static-only", action="store_true", help="check the document and the code, start no server")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()

    bad = Mismatches()
    with open(args.spec, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    spec = SpecSchemas(doc)
    # The route table and the handlers, with the edge parsers they call (api/params.cc).
    names = ["routes.cc", "params.cc"] + sorted(
        n for n in os.listdir(os.path.join(args.source_dir, "api")) if n.startswith("handlers") and n.endswith(".cc"))
    source = ""
    for name in names:
        path = os.path.join(args.source_dir, "api", name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                source += fh.read() + "\n"
    routes = parse_routes(source)

    check_document(doc, bad)
    check_routes(doc, routes, source, bad)
    compared = check_request_schemas(doc, spec, args.source_dir, bad)
    print(f"openapi_check: {len(routes)} routes in api/routes.cc; {compared} request bodies compared "
          f"with the JSON Schemas; {len(bad)} mismatches so far")

    if not args.static_only:
        if not os.access(args.cli, os.X_OK):
            sys.exit(f"openapi_check: {args.cli} is not an executable (build it: scripts/build.sh release dimona-ledger)")
        try:
            live = start_golden_server(args.cli, args.source_dir, "openapi-check-")
        except RuntimeError as e:
            sys.exit(f"openapi_check: {e}")
        server, tokens = live.server, live.tokens
        try:
            checker = Checker(doc, spec, server, tokens, os.path.join(args.source_dir, "schemas"), bad)
            run_server_checks(checker, bad, args.source_dir)
            check_coverage(doc, routes, checker.calls, bad)
        finally:
            code, seconds = live.close(keep=args.keep)
        if code is None:
            bad.add("SIGTERM", "the server did not exit within 25 s")
        elif code != 0:
            bad.add("SIGTERM", f"the server exited {code}, expected 0")
        output = "".join(server.stdout + server.stderr)
        for ssin in SSINS:
            if ssin in output:
                bad.add("server output", "an SSIN reached the server's stdout or stderr")
        statuses = {}
        for m, p, s, _role in checker.calls:
            statuses.setdefault(f"{m} {p}", set()).add(s)
        print(f"openapi_check: {len(checker.calls)} requests to {server.host}:{server.port}; "
              f"SIGTERM: exit {code} after {seconds:.1f} s")
        for route in sorted(statuses):
            print(f"  {route:50} {' '.join(str(s) for s in sorted(statuses[route]))}")
        if args.keep:
            print(f"openapi_check: data kept in {live.tmp}")

    if bad.items:
        print(f"openapi_check: FAILED, {len(bad)} mismatches between {os.path.basename(args.spec)} "
              f"and the server:", file=sys.stderr)
        for item in bad.items:
            print(f"  - {item}", file=sys.stderr)
        return 1
    print("openapi_check: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

# OpenApi.Conformance: schemas/openapi.yaml against the route table of api/routes.cc and a
# live `dimona-ledger serve` on a free port (tests/api/openapi_check.py: temporary data
# directory, golden data, tokens for each role, every route with a 2xx and a refusal, each
# body validated against the document, SIGTERM exits 0). Included from tests/CMakeLists.txt.
# Needs python3 with python3-yaml and python3-jsonschema; a missing module fails the test
# (it does not skip it).
add_test(NAME OpenApi.Conformance
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/openapi_check.py
                 --cli $<TARGET_FILE:dimona-ledger>
                 --spec ${PROJECT_SOURCE_DIR}/schemas/openapi.yaml)
set_tests_properties(OpenApi.Conformance PROPERTIES LABELS integration TIMEOUT 180)

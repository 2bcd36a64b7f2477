# Http.HostileSuite: an attacker's and a broken client's requests, by class (ids out of range,
# hostile query strings, bodies, tokens, raw framing, load), against a live `dimona-ledger
# serve` with the golden year (tests/api/hostile_suite.py). Fails on a crash, a 5xx other
# than a 503 with Retry-After, an error that is not a Belgif problem, or an SSIN in the
# server's output. Standard library only. Included from tests/CMakeLists.txt.
add_test(NAME Http.HostileSuite
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/hostile_suite.py --cli $<TARGET_FILE:dimona-ledger>)
set_tests_properties(Http.HostileSuite PROPERTIES LABELS integration TIMEOUT 600)

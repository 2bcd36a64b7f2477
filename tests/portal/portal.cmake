# Portal.Browser: the reference portal (api/portal/, docs/portal.md) in headless Chromium
# (Debian's) driven by playwright-core (npm ci in tests/portal), against a live `serve
# --portal-sign-in` on a generated year; screenshots of each page in the build tree's
# portal-screenshots/ (the test's artefacts). scripts/bootstrap.sh installs Chromium, Node.js and
# playwright-core; a missing one fails the test, never skips it. Included from tests/CMakeLists.txt.
add_test(NAME Portal.Browser
         COMMAND node ${CMAKE_CURRENT_LIST_DIR}/portal_test.mjs --cli $<TARGET_FILE:dimona-ledger>
                 --out ${CMAKE_BINARY_DIR}/portal-screenshots)
set_tests_properties(Portal.Browser PROPERTIES LABELS "integration;browser" TIMEOUT 300)

# tests/api/http_tests.cmake — included from tests/CMakeLists.txt.
# http_tests: the REST stack end to end in one process — LedgerService, Api and
# HttpServer on loopback (plain and TLS), driven by a Boost.Beast client.
add_executable(http_tests ${CMAKE_CURRENT_LIST_DIR}/http_test.cc)
target_link_libraries(http_tests PRIVATE dimona_http Boost::headers OpenSSL::SSL OpenSSL::Crypto
                                         GTest::gtest_main Threads::Threads)
target_include_directories(http_tests PRIVATE ${PROJECT_SOURCE_DIR})
gtest_discover_tests(http_tests PROPERTIES LABELS integration DISCOVERY_TIMEOUT 60)

# http_framing_tests: the server alone (a stub handler) on loopback through raw
# TCP sockets: malformed framing gets a 400 problem, the connection caps a 503
# except for /health.
add_executable(http_framing_tests ${CMAKE_CURRENT_LIST_DIR}/http_framing_test.cc)
target_link_libraries(http_framing_tests PRIVATE dimona_http GTest::gtest_main Threads::Threads)
target_include_directories(http_framing_tests PRIVATE ${PROJECT_SOURCE_DIR})
gtest_discover_tests(http_framing_tests PROPERTIES LABELS integration DISCOVERY_TIMEOUT 60)
# params_tests: the edge parsers of api/params.h, and the fan-out pieces (api/fanout.h), no server.
add_executable(params_tests ${CMAKE_CURRENT_LIST_DIR}/params_test.cc ${CMAKE_CURRENT_LIST_DIR}/rate_limit_test.cc
                            ${CMAKE_CURRENT_LIST_DIR}/fanout_test.cc)
target_link_libraries(params_tests PRIVATE dimona_http GTest::gtest_main Threads::Threads)
target_include_directories(params_tests PRIVATE ${PROJECT_SOURCE_DIR})
gtest_discover_tests(params_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)

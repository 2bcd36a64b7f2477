# api/auth: bearer-token (JWT ES256/RS256) verification and dev-key minting.
# A fragment: include(${PROJECT_SOURCE_DIR}/api/auth.cmake) after the engine
# targets exist (e.g. from api/CMakeLists.txt). Paths are relative to this
# file, so it works from any including directory.
#
# Boost.JSON: the compiled library (Debian: libboost-json1.81-dev) when it is
# installed; otherwise the Boost 1.81 headers (libboost1.81-dev) and Boost.JSON's
# sources compiled once into auth.cc (boost/json/src.hpp). In that mode no
# other target linked into the same binary may compile boost/json/src.hpp.
set(DIMONA_AUTH_DIR "${CMAKE_CURRENT_LIST_DIR}")

if(NOT TARGET Boost::json)
  find_package(boost_json 1.81 CONFIG QUIET)
endif()
if(NOT TARGET Boost::headers)
  find_package(Boost 1.81 REQUIRED)
endif()

add_library(dimona_auth STATIC "${DIMONA_AUTH_DIR}/auth.cc")
target_link_libraries(dimona_auth PUBLIC dimona_engine PRIVATE OpenSSL::Crypto Boost::headers simdjson::simdjson)
# OpenSSL 3 only: a deprecated call is a compile error, not a warning.
target_compile_definitions(dimona_auth PRIVATE OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED)
if(TARGET Boost::json)
  target_link_libraries(dimona_auth PRIVATE Boost::json)
else()
  target_compile_definitions(dimona_auth PRIVATE DIMONA_BOOST_JSON_HEADER_ONLY=1 BOOST_JSON_NO_LIB BOOST_CONTAINER_NO_LIB)
endif()

if(DIMONA_BUILD_TESTS)
  include(GoogleTest)
  add_executable(auth_tests "${DIMONA_AUTH_DIR}/../tests/api/auth_test.cc")
  target_link_libraries(auth_tests PRIVATE dimona_auth OpenSSL::Crypto GTest::gtest GTest::gtest_main Threads::Threads)
  target_compile_definitions(auth_tests PRIVATE OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED)
  gtest_discover_tests(auth_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endif()

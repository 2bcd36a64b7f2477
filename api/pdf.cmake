# api/pdf.cmake — included from api/CMakeLists.txt.
# dimona_pdf: the Student@work attestation and the Interim@work export as PDF
# (libharu), and QR codes (libqrencode). Both libraries are linked PRIVATE here
# and nowhere else. Debian 12: libhpdf-dev (no pkg-config file, no CMake
# package: found by header and library name) and libqrencode-dev (libqrencode.pc).
find_package(PkgConfig REQUIRED)
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)
find_path(HPDF_INCLUDE_DIR NAMES hpdf.h REQUIRED)
find_library(HPDF_LIBRARY NAMES hpdf libhpdf REQUIRED)

add_library(dimona_pdf STATIC
  ${CMAKE_CURRENT_LIST_DIR}/pdf.cc
  ${CMAKE_CURRENT_LIST_DIR}/qr.cc
)
target_link_libraries(dimona_pdf PUBLIC dimona_base PRIVATE ${HPDF_LIBRARY} PkgConfig::QRENCODE)
target_include_directories(dimona_pdf PRIVATE ${HPDF_INCLUDE_DIR})

if(DIMONA_BUILD_TESTS)
  include(GoogleTest)
  add_executable(pdf_tests ${CMAKE_CURRENT_LIST_DIR}/../tests/api/pdf_test.cc)
  target_link_libraries(pdf_tests PRIVATE dimona_pdf GTest::gtest_main Threads::Threads)
  gtest_discover_tests(pdf_tests PROPERTIES LABELS unit DISCOVERY_TIMEOUT 60)
endif()

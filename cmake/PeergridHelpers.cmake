# Abseil-style helpers: one library target per module folder, tests beside the code.
#
#   peergrid_cc_library(NAME matching
#                       SRCS src/auction.cc
#                       PUBLIC_DEPS peergrid::common
#                       PRIVATE_DEPS ...)
#     -> target peergrid_matching, alias peergrid::matching,
#        PUBLIC include/ (the contract), PRIVATE src/ (invisible outside).
#
#   peergrid_cc_test(NAME auction_test SRCS src/auction_test.cc DEPS peergrid::matching)
#     -> a GoogleTest executable registered with CTest (one CTest entry per test case).
#
#   peergrid_cc_binary(NAME peergridctl SRCS ... DEPS ...)

# The warning set for our own code; generated code does not link it.
# A dropped absl::Status / StatusOr ([[nodiscard]]) is an error for everyone;
# every other warning is an error only with PEERGRID_WERROR=ON (CI, deploy/test.sh),
# so a user's newer compiler with new warnings still builds.
add_library(peergrid_warnings INTERFACE)
target_compile_options(peergrid_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Werror=unused-result
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
if(PEERGRID_WERROR)
  target_compile_options(peergrid_warnings INTERFACE -Werror)
endif()

function(peergrid_cc_library)
  cmake_parse_arguments(PG "" "NAME" "SRCS;HDRS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target peergrid_${PG_NAME})
  add_library(${target} STATIC ${PG_SRCS} ${PG_HDRS})
  add_library(peergrid::${PG_NAME} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target}
    PUBLIC ${PG_PUBLIC_DEPS}
    PRIVATE ${PG_PRIVATE_DEPS} peergrid_warnings)
endfunction()

function(peergrid_cc_binary)
  cmake_parse_arguments(PG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${PG_NAME} ${PG_SRCS})
  target_link_libraries(${PG_NAME} PRIVATE ${PG_DEPS} peergrid_warnings)
endfunction()

function(peergrid_cc_test)
  if(NOT PEERGRID_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(PG "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${PG_NAME} ${PG_SRCS})
  target_link_libraries(${PG_NAME} PRIVATE ${PG_DEPS} peergrid::testing
    GTest::gmock GTest::gtest_main peergrid_warnings)
  target_include_directories(${PG_NAME} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_definitions(${PG_NAME} PRIVATE
    PEERGRID_VECTORS_DIR="${PEERGRID_VECTORS_DIR}"
    PEERGRID_BINARY_DIR="${CMAKE_BINARY_DIR}"
    PEERGRID_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  if(NOT PG_TIMEOUT)
    set(PG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${PG_NAME}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES TIMEOUT ${PG_TIMEOUT} LABELS "${PG_LABELS}")
endfunction()

#include "peergrid/testing/paths.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace peergrid::testing {

std::string VectorsDir() {
  const char* env = std::getenv("PEERGRID_VECTORS_DIR");
  const std::string dir = env != nullptr ? env : PEERGRID_VECTORS_DIR;
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << "third-party test vectors not found at " << dir
                  << ": they live in tests/testdata/third_party in the source tree; set "
                     "PEERGRID_VECTORS_DIR to read them from elsewhere";
  }
  return dir;
}
std::string BinaryDir() { return PEERGRID_BINARY_DIR; }
std::string SourceDir() { return PEERGRID_SOURCE_DIR; }

std::string FreshTempDir(const std::string& name) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string leaf = name;
  if (info != nullptr)
    leaf = std::string(info->test_suite_name()) + "." + info->name() + "." + name;
  // Unique per process: ctest runs test cases in parallel processes, and
  // several build trees may run the same test at once.
  absl::StrAppend(&leaf, ".", getpid());
  for (char& c : leaf) {
    if (c == '/') c = '_';
  }
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / leaf;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace peergrid::testing

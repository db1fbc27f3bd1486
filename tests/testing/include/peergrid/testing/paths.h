// Where tests find shared inputs: the third-party vectors beside the checkout,
// the build tree (for binaries started as child processes), the source tree.
#ifndef PEERGRID_TESTING_PATHS_H_
#define PEERGRID_TESTING_PATHS_H_

#include <string>

namespace peergrid::testing {

// Returns ../shared/vectors relative to the source tree (or $PEERGRID_VECTORS_DIR);
// a missing directory fails the calling test with a message saying where to look.
std::string VectorsDir();
// Returns the CMake build directory (binaries live in its subfolders).
std::string BinaryDir();
// Returns the source tree root.
std::string SourceDir();
// Returns a fresh, empty directory under ::testing::TempDir() named after the
// running test and this process (removed first if it exists).
std::string FreshTempDir(const std::string& name);

}  // namespace peergrid::testing

#endif  // PEERGRID_TESTING_PATHS_H_

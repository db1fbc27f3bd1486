// Where tests find shared inputs: the third-party vectors in the source tree,
// the build tree (for binaries started as child processes), the source tree.
#ifndef PEERGRID_TESTING_PATHS_H_
#define PEERGRID_TESTING_PATHS_H_

#include <string>

namespace peergrid::testing {

// Returns the third-party vectors directory: $PEERGRID_VECTORS_DIR if set, else the
// PEERGRID_VECTORS_DIR CMake cache variable (default tests/testdata/third_party in the
// source tree). A missing directory fails the calling test with a message saying where
// it looked.
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

// TempDir: a fresh private folder for one test, removed with everything in
// it when the object goes out of scope.
#pragma once

#include <string>

namespace cairn {

class TempDir {
 public:
  // Creates "<$TMPDIR or /tmp>/cairn-test-XXXXXX" (mode 0700). Aborts the
  // test program if that fails: a test without its folder cannot mean anything.
  TempDir();
  // Removes the folder recursively; errors are ignored (nothing to report to).
  ~TempDir();

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + relative, for building paths inside the folder.
  std::string file(const std::string& relative) const { return path_ + "/" + relative; }

 private:
  std::string path_;
};

}  // namespace cairn

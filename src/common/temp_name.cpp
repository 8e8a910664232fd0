#include "common/temp_name.h"

#include <sys/random.h>

#include <array>
#include <cerrno>

#include "common/bytes.h"

namespace cairn {

Result<std::string> random_temp_suffix() {
  std::array<uint8_t, 8> buf{};
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = getrandom(buf.data() + got, buf.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status(errno, "getrandom");
    }
    got += static_cast<size_t>(n);
  }
  return to_hex(ByteView(buf.data(), buf.size()));
}

}  // namespace cairn

// Test-only PKI made with the openssl program: a throwaway CA, a server
// certificate for 127.0.0.1 and a client certificate (CN=admin).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/run_command.h"
#include "support/temp_dir.h"

namespace cairn::k8s {

struct Pki {
  explicit Pki(const TempDir& d) : dir(d) {
    const auto ssl = [](std::vector<std::string> args) {
      args.insert(args.begin(), "openssl");
      const CommandResult r = run_command(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    };
    std::ofstream(d.file("san.ext")) << "subjectAltName=IP:127.0.0.1\n";
    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                         "-nodes"};
    auto req = [&](std::vector<std::string> extra) {
      std::vector<std::string> a = {"req"};
      a.insert(a.end(), ec.begin(), ec.end());
      a.insert(a.end(), extra.begin(), extra.end());
      ssl(a);
    };
    req({"-x509", "-days", "1", "-subj", "/CN=cairn-test-ca", "-keyout", d.file("ca.key"), "-out",
         d.file("ca.crt")});
    req({"-subj", "/CN=127.0.0.1", "-keyout", d.file("server.key"), "-out", d.file("server.csr")});
    ssl({"x509", "-req", "-in", d.file("server.csr"), "-CA", d.file("ca.crt"), "-CAkey", d.file("ca.key"),
         "-CAcreateserial", "-days", "1", "-extfile", d.file("san.ext"), "-out", d.file("server.crt")});
    req({"-subj", "/O=system:masters/CN=admin", "-keyout", d.file("client.key"), "-out",
         d.file("client.csr")});
    ssl({"x509", "-req", "-in", d.file("client.csr"), "-CA", d.file("ca.crt"), "-CAkey", d.file("ca.key"),
         "-CAcreateserial", "-days", "1", "-out", d.file("client.crt")});
  }
  const TempDir& dir;
};

}  // namespace cairn::k8s

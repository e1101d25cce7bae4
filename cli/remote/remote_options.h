// How the CLI reaches a palisaded (`palisade --server ADDR ...`).
#pragma once

#include <string>

namespace palisade::cli {

struct RemoteOptions {
  std::string server;           // host:port, or unix:/path/to.sock
  std::string token;            // empty: $PALISADE_TOKEN
  bool tls = false;             // TLS, server verified against the system's roots
  std::string tls_ca;           // PEM: verify the server against this CA instead (implies TLS)
  std::string tls_cert;         // PEM client certificate for mTLS (with tls_key)
  std::string tls_key;
  std::string tls_server_name;  // name expected in the server's certificate, if not the host's
};

}  // namespace palisade::cli

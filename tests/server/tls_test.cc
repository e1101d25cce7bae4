// palisaded over TLS and mTLS, with certificates made by the openssl CLI
// for each run (a CA, a server certificate for 127.0.0.1, a client
// certificate, and a second, untrusted CA). No VM is involved: GetStats
// proves the channel and the token got through.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/subprocess.h"

namespace palisade {
namespace {

namespace fs = std::filesystem;
using testing::AuthedContext;

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("palisade-tls-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    std::ofstream(dir_ / "client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string script =
        "set -e; cd '" + dir_.string() + "'\n"
        "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 2>/dev/null; }\n"
        "for ca in ca other-ca; do key $ca.key; openssl req -x509 -new -key $ca.key -subj /CN=$ca -days 2 -out $ca.pem; done\n"
        "issue() { key $1.key; openssl req -new -key $1.key -subj /CN=$1 -out $1.csr;"
        " openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -days 2 -extfile $3 -out $1.pem 2>/dev/null; }\n"
        "issue server ca server.ext\n"
        "issue client ca client.ext\n"
        "issue stranger other-ca client.ext\n";
    std::ofstream(dir_ / "make.sh") << script;
    made_ = std::system(("sh '" + (dir_ / "make.sh").string() + "' >/dev/null").c_str()) == 0;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void SetUp() override {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "the openssl CLI is absent (scripts/dev.sh deps installs it)";
    }
    ASSERT_TRUE(made_) << "openssl could not make the test certificates";
  }

  static std::string Pem(const std::string& name) { return (dir_ / name).string(); }

  std::string ServerConfig(bool mtls) {
    std::string c = testing::StandardTestConfig() + "tls { cert_file: \"" + Pem("server.pem") +
                    "\" key_file: \"" + Pem("server.key") + "\"";
    if (mtls) c += " client_ca_file: \"" + Pem("ca.pem") + "\"";
    return c + " }\n";
  }

  // GetStats over a channel with these credentials.
  grpc::Status Call(const std::string& address, std::shared_ptr<grpc::ChannelCredentials> creds) {
    auto stub = v1::Palisade::NewStub(grpc::CreateChannel(address, creds));
    v1::Stats stats;
    return stub->GetStats(AuthedContext("alice-token", std::chrono::seconds(10)).get(), {}, &stats);
  }
  std::shared_ptr<grpc::ChannelCredentials> Creds(const std::string& ca, const std::string& client = "") {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(dir_ / ca);
    if (!client.empty()) {
      o.pem_cert_chain = Read(dir_ / (client + ".pem"));
      o.pem_private_key = Read(dir_ / (client + ".key"));
    }
    return grpc::SslCredentials(o);
  }

  static fs::path dir_;
  static bool made_;
};
fs::path Tls::dir_;
bool Tls::made_ = false;

TEST_F(Tls, TheServerIsReachedOnlyOverTlsWithTheRightCa) {
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(ServerConfig(false)), "");
  EXPECT_TRUE(Call(server.address(), Creds("ca.pem")).ok());
  EXPECT_EQ(Call(server.address(), grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Call(server.address(), Creds("other-ca.pem")).error_code(), grpc::StatusCode::UNAVAILABLE);
  // TLS does not replace the token.
  auto stub = v1::Palisade::NewStub(grpc::CreateChannel(server.address(), Creds("ca.pem")));
  v1::Stats stats;
  EXPECT_EQ(stub->GetStats(AuthedContext("wrong").get(), {}, &stats).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(Tls, MutualTlsRequiresAClientCertificateFromTheConfiguredCa) {
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(ServerConfig(true)), "");
  EXPECT_TRUE(Call(server.address(), Creds("ca.pem", "client")).ok());
  EXPECT_NE(Call(server.address(), Creds("ca.pem")).error_code(), grpc::StatusCode::OK);
  EXPECT_NE(Call(server.address(), Creds("ca.pem", "stranger")).error_code(), grpc::StatusCode::OK);
}

TEST_F(Tls, TheCliSpeaksTlsAndMutualTls) {
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(ServerConfig(true)), "");
  auto cli = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {PALISADE_CLI_PATH, "--server", server.address(), "--token", "alice-token"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("stats");
    return testing::RunProcess(argv);
  };
  testing::ProcessResult ok = cli({"--tls-ca", Pem("ca.pem"), "--tls-cert", Pem("client.pem"), "--tls-key",
                                   Pem("client.key")});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_THAT(ok.out, ::testing::HasSubstr("workers "));
  testing::ProcessResult no_cert = cli({"--tls-ca", Pem("ca.pem")});
  EXPECT_EQ(no_cert.status, 69) << no_cert.err;
  EXPECT_THAT(no_cert.err, ::testing::HasSubstr("unavailable"));
  testing::ProcessResult half = cli({"--tls-ca", Pem("ca.pem"), "--tls-cert", Pem("client.pem")});
  EXPECT_EQ(half.status, 2);
  EXPECT_THAT(half.err, ::testing::HasSubstr("go together"));
  testing::ProcessResult not_pem = cli({"--tls-ca", Pem("server.ext")});
  EXPECT_EQ(not_pem.status, 2);
  EXPECT_THAT(not_pem.err, ::testing::HasSubstr("not PEM"));
}

}  // namespace
}  // namespace palisade

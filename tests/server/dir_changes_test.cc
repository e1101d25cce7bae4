// Directories over gRPC: a request carries directories as data, the
// program (tests/server/programs/dir_changes.c) reads and changes them in
// its micro-VM, and RunWasi, Run and RunWasiStream return exactly what it
// changed in the writable ones (the stream in pieces of at most 1 MiB).
// Hostile paths are refused before anything runs, the tenant's policy
// decides whether directories (and writable ones) are allowed, a run that
// fails returns nothing unless it asks for partial results, and the
// returned bytes are bounded.
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/sha256.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/require_kvm.h"
#include "tests/support/test_modules.h"
#include "vmm/kvm_backend.h"

namespace palisade {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::AuthedContext;

std::string Tenant(const std::string& name, const std::string& policy_file) {
  return "tenants { name: \"" + name + "\" token_sha256: \"" + Sha256Hex(std::string_view(name + "-token")) +
         "\" policy_file: \"" + policy_file + "\" }\n";
}

class DirChanges : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<testing::PalisadedProcess>();
    const std::map<std::string, std::string> files = {
        {"rw.textproto", "name: \"rw\"\nwasi { preopens: true writable_preopens: true }\n"
                         "limits { timeout_ms: 60000 }\n"},
        {"ro.textproto", "name: \"ro\"\nwasi { preopens: true }\n"},
        {"none.textproto", "name: \"none\"\n"}};
    ASSERT_EQ(server_->Start("max_receive_bytes: 33554432\n" + Tenant("rw", "rw.textproto") +
                                 Tenant("ro", "ro.textproto") + Tenant("none", "none.textproto"),
                             files),
              "");
    stub_ = v1::Palisade::NewStub(server_->channel());
    module_ = testing::TestModuleBytes("dir_changes");
    // Uploads are validated in a micro-VM; the tests that need none send
    // the module inline with Run.
    if (DetectKvmBackend() != KvmBackend::kAbsent) digest_ = testing::UploadAs(*stub_, "rw-token", module_);
  }
  static void TearDownTestSuite() {
    stub_.reset();
    server_.reset();
  }

  // /in (read-only) holds input.txt; /out (writable) old.txt, gone.txt and keep.txt.
  static v1::RunWasiRequest Request(const std::vector<std::string>& args, bool with_out = true) {
    v1::RunWasiRequest r;
    r.set_module_sha256(digest_);
    for (const std::string& a : args) r.add_args(a);
    v1::Directory* in = r.add_dirs();
    in->set_guest_path("/in");
    AddFile(in, "input.txt", "hello from the request\n");
    if (with_out) {
      v1::Directory* out = r.add_dirs();
      out->set_guest_path("/out");
      out->set_writable(true);
      AddFile(out, "old.txt", "old\n");
      AddFile(out, "gone.txt", "bye\n");
      AddFile(out, "keep.txt", "keep\n");
    }
    return r;
  }
  static void AddFile(v1::Directory* d, const std::string& path, const std::string& contents) {
    v1::File* f = d->add_files();
    f->set_path(path);
    f->set_contents(contents);
    f->set_mtime_ns(1'700'000'000'000'000'000);
  }

  static grpc::Status RunWasi(const v1::RunWasiRequest& r, v1::RunWasiResponse* out,
                              const std::string& token = "rw-token") {
    auto ctx = AuthedContext(token, std::chrono::seconds(120));
    return stub_->RunWasi(ctx.get(), r, out);
  }
  // The same request as a one-shot Run with the module inline.
  static grpc::Status Run(const v1::RunWasiRequest& wasi, v1::RunWasiResponse* out,
                          const std::string& token = "rw-token") {
    v1::RunRequest r;
    r.set_module_bytes(module_);
    *r.mutable_args() = wasi.args();
    *r.mutable_dirs() = wasi.dirs();
    r.set_partial_results(wasi.partial_results());
    auto ctx = AuthedContext(token, std::chrono::seconds(120));
    return stub_->Run(ctx.get(), r, out);
  }

  static std::string Audit() {
    std::ifstream in(server_->audit_log());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  static std::unique_ptr<testing::PalisadedProcess> server_;
  static std::unique_ptr<v1::Palisade::Stub> stub_;
  static std::string module_, digest_;
};

std::unique_ptr<testing::PalisadedProcess> DirChanges::server_;
std::unique_ptr<v1::Palisade::Stub> DirChanges::stub_;
std::string DirChanges::module_, DirChanges::digest_;

// "KIND guest_path/path [contents]", in the order returned.
std::vector<std::string> Describe(const google::protobuf::RepeatedPtrField<v1::FileChange>& changes) {
  std::vector<std::string> out;
  for (const v1::FileChange& c : changes) {
    std::string line = v1::FileChange::Kind_Name(c.kind()) + " " + c.guest_path() + "/" + c.path();
    if (c.kind() == v1::FileChange::WRITTEN) line += " " + c.contents();
    out.push_back(line);
  }
  return out;
}

// Deletions (children first), then directories (parents first), then
// files, each in the order the tree holds them.
const std::vector<std::string> kApplied = {
    "DELETED /out/old.txt",
    "DELETED /out/gone.txt",
    "DIRECTORY_CREATED /out/sub",
    "WRITTEN /out/copy.txt hello from the request\n",
    "WRITTEN /out/sub/made.txt made\n",
    "WRITTEN /out/renamed.txt old\n",
};

TEST_F(DirChanges, RunWasiReturnsExactlyWhatTheProgramChanged) {
  PALISADE_REQUIRE_KVM();
  v1::RunWasiResponse out;
  grpc::Status s = RunWasi(Request({"apply"}), &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(out.exit_code(), 0) << out.stdout();
  EXPECT_EQ(Describe(out.changes()), kApplied);
  EXPECT_FALSE(out.changes_too_large());
  for (const v1::FileChange& c : out.changes()) {
    if (c.kind() == v1::FileChange::WRITTEN) EXPECT_EQ(c.size(), c.contents().size());
  }
  // The audit log says what the run was given and what it returned.
  const std::string audit = Audit();
  EXPECT_THAT(audit, HasSubstr(R"("dirs":[{"files":1,"guest_path":"/in","writable":false},)"
                               R"({"files":3,"guest_path":"/out","writable":true}])"));
  EXPECT_THAT(audit, HasSubstr(R"("changed_bytes":32,"changes":6)"));
}

TEST_F(DirChanges, RunTakesTheModuleInlineAndReturnsTheSame) {
  PALISADE_REQUIRE_KVM();
  v1::RunWasiResponse out;
  grpc::Status s = Run(Request({"apply"}), &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(out.exit_code(), 0) << out.stdout();
  EXPECT_EQ(Describe(out.changes()), kApplied);
}

TEST_F(DirChanges, RunWasiStreamSendsALargeFileInPiecesBeforeDone) {
  PALISADE_REQUIRE_KVM();
  constexpr size_t kBig = 3 << 20;
  auto ctx = AuthedContext("rw-token", std::chrono::seconds(120));
  auto reader = stub_->RunWasiStream(ctx.get(), Request({"apply", std::to_string(kBig)}));
  v1::RunWasiEvent e;
  std::map<std::string, std::string> files;  // reassembled by path
  std::vector<std::string> order;            // kinds and paths, one per change
  int big_pieces = 0;
  bool done = false;
  v1::RunWasiResponse outcome;
  while (reader->Read(&e)) {
    ASSERT_FALSE(done) << "an event after done";
    if (e.has_done()) {
      done = true;
      outcome = e.done();
      continue;
    }
    if (!e.has_change()) continue;
    const v1::FileChange& c = e.change();
    EXPECT_LE(c.contents().size(), 1u << 20);
    std::string& file = files[c.path()];
    if (c.kind() == v1::FileChange::WRITTEN) {
      ASSERT_EQ(c.offset(), file.size()) << c.path();
      file += c.contents();
      if (c.path() == "big.bin") ++big_pieces;
      if (file.size() < c.size()) continue;  // more of it follows
    }
    order.push_back(v1::FileChange::Kind_Name(c.kind()) + " " + c.path());
  }
  grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(done);
  EXPECT_EQ(outcome.exit_code(), 0);
  EXPECT_EQ(outcome.changes_size(), 0);  // they came as events
  EXPECT_THAT(order, ElementsAre("DELETED old.txt", "DELETED gone.txt", "DIRECTORY_CREATED sub", "WRITTEN copy.txt",
                                 "WRITTEN sub/made.txt", "WRITTEN renamed.txt", "WRITTEN big.bin"));
  EXPECT_EQ(big_pieces, 3);
  std::string expected(kBig, '\0');
  for (size_t i = 0; i < kBig; ++i) expected[i] = static_cast<char>(i * 7 % 251);
  EXPECT_TRUE(files["big.bin"] == expected);
  EXPECT_EQ(files["copy.txt"], "hello from the request\n");
}

TEST_F(DirChanges, AReadOnlyDirectoryRefusesWritesAndReturnsNothing) {
  PALISADE_REQUIRE_KVM();
  v1::RunWasiResponse out;
  grpc::Status s = RunWasi(Request({"readonly"}, /*with_out=*/false), &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.exit_code(), 0) << out.stdout();
  EXPECT_EQ(out.stdout(), "refused\n");
  EXPECT_EQ(out.changes_size(), 0);
}

// Checked on the gRPC thread, before any micro-VM: no KVM needed.
TEST_F(DirChanges, HostilePathsAreRefusedBeforeAnythingRuns) {
  const std::vector<std::string> bad = {"../x", "/abs", "a//b", std::string("a\0b", 3), ".", "a/./b", "a/..", "",
                                        "a/"};
  for (const std::string& path : bad) {
    v1::RunWasiRequest r = Request({"apply"});
    AddFile(r.mutable_dirs(1), path, "x");
    v1::RunWasiResponse out;
    grpc::Status s = Run(r, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "path '" << path << "': " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("dirs: '/out': file '"));
  }
  v1::RunWasiRequest twice = Request({"apply"});
  AddFile(twice.mutable_dirs(1), "keep.txt", "again");
  v1::RunWasiResponse out;
  grpc::Status s = Run(twice, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("'keep.txt': listed twice"));

  v1::RunWasiRequest under_file = Request({"apply"});
  AddFile(under_file.mutable_dirs(1), "keep.txt/inner", "x");
  s = Run(under_file, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("lies under 'keep.txt', a file"));

  v1::RunWasiRequest same_root = Request({"apply"});
  same_root.mutable_dirs(1)->set_guest_path("/in");
  s = Run(same_root, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("guest_path '/in' given twice"));
}

TEST_F(DirChanges, ImpliedParentsNeedNotBeListed) {
  PALISADE_REQUIRE_KVM();
  v1::RunWasiRequest r = Request({"apply"});
  AddFile(r.mutable_dirs(1), "deep/er/file.txt", "x");
  v1::RunWasiResponse out;
  grpc::Status s = RunWasi(r, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.exit_code(), 0) << out.stdout();
  EXPECT_EQ(Describe(out.changes()), kApplied);  // untouched, so not returned
}

TEST_F(DirChanges, TheTenantPolicyDecidesWhichDirectoriesAreAllowed) {
  v1::RunWasiResponse out;
  grpc::Status s = Run(Request({"apply"}), &out, "ro-token");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("policy 'ro' allows no writable directories (wasi.writable_preopens)"));
  s = Run(Request({"readonly"}, false), &out, "none-token");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("policy 'none' allows no directories (wasi.preopens)"));
  EXPECT_THAT(Audit(), HasSubstr("allows no writable directories (wasi.writable_preopens)"));
}

TEST_F(DirChanges, ChangesOverTheBoundAreNotReturned) {
  PALISADE_REQUIRE_KVM();
  v1::RunWasiRequest r = Request({"apply"});
  r.mutable_limits()->set_max_changes_bytes(16);
  v1::RunWasiResponse out;
  grpc::Status s = RunWasi(r, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.exit_code(), 0);
  EXPECT_TRUE(out.changes_too_large());
  EXPECT_EQ(out.changes_size(), 0);
  EXPECT_THAT(Audit(), HasSubstr(R"("changes_too_large":true)"));
}

TEST_F(DirChanges, AFailedRunReturnsChangesOnlyWithPartialResults) {
  PALISADE_REQUIRE_KVM();
  for (const char* mode : {"trap", "fail"}) {
    v1::RunWasiRequest r = Request({mode});
    v1::RunWasiResponse out;
    grpc::Status s = RunWasi(r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.has_trap(), mode[0] == 't') << mode;
    EXPECT_EQ(out.exit_code(), mode[0] == 't' ? 134 : 3);
    EXPECT_EQ(out.changes_size(), 0) << mode;

    r.set_partial_results(true);
    s = RunWasi(r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.has_trap(), mode[0] == 't') << mode;
    EXPECT_THAT(Describe(out.changes()), ElementsAre("WRITTEN /out/partial.txt partial\n")) << mode;
  }
}

}  // namespace
}  // namespace palisade

// gRPC request handling: the fuzzer picks a method and whether the call
// carries a valid token, and its remaining bytes are the request message
// (when they parse as one). Calls go through a real PalisadeService over
// HTTP/2 on a Unix socket, so authentication, tenant lookups, limit clamping
// and request validation all see hostile input. (Without /dev/kvm, calls that
// get as far as a VM end there with UNAVAILABLE.)
//
// Not gRPC's in-process channel: its transport (gRPC 1.51) never frees a
// client-streaming call that the server finishes before the client
// half-closes -- as UploadModule does to every caller it refuses at once (a
// bad token, for one) -- about 24 KiB a call, so a long run filled
// libFuzzer's 2 GiB RSS limit (docs/BENCHMARKS.md). Over HTTP/2, which
// palisaded serves, nothing stays behind.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "common/sha256.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "server/config.h"
#include "server/service.h"

namespace {

using namespace palisade;

struct Harness {
  Harness() {
    auto config = server::ParseConfig(
        "tenants { name: \"t\" token_sha256: \"" + Sha256Hex(std::string_view("t-token")) +
            "\" limits { timeout_ms: 2000 memory_bytes: 33554432 } }\n"
            // The store keeps every valid module it is given (up to its
            // cap): a small cap keeps a long run's memory flat now that
            // uploads are validated in real micro-VMs.
            "max_module_bytes: 65536\nmax_store_bytes: 4194304\nmax_sandboxes_per_tenant: 2\n"
            "workers: 1\nqueue_capacity: 4\n",
        "fuzz.textproto");
    service = std::make_unique<server::PalisadeService>(*config, nullptr);
    // An abstract socket: nothing on disk, and one per process (-jobs, -fork).
    const std::string address = "unix-abstract:palisade-grpc-fuzzer-" + std::to_string(getpid());
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials());
    builder.RegisterService(service.get());
    server = builder.BuildAndStart();
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    if (server == nullptr ||
        !channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      std::fprintf(stderr, "grpc_request_fuzzer: cannot serve and connect on %s\n", address.c_str());
      std::abort();
    }
    stub = v1::Palisade::NewStub(channel);
  }
  std::unique_ptr<server::PalisadeService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::Palisade::Stub> stub;
};

template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request* r) {
  return r->ParseFromArray(data, static_cast<int>(size));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = new Harness();  // lives for the process, like the server it is
  if (size < 2) return 0;
  const uint8_t method = data[0] % 10;
  const bool authed = (data[1] & 1) != 0;
  data += 2;
  size -= 2;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ctx.AddMetadata("authorization", authed ? "Bearer t-token" : "Bearer nobody");
  auto& stub = *h->stub;
  switch (method) {
    case 0: { v1::InvokeRequest r; v1::InvokeResponse o; if (Parse(data, size, &r)) (void)stub.Invoke(&ctx, r, &o); break; }
    case 1: { v1::DescribeFunctionRequest r; v1::FunctionType o; if (Parse(data, size, &r)) (void)stub.DescribeFunction(&ctx, r, &o); break; }
    case 2: { v1::CreateSandboxRequest r; v1::SandboxInfo o; if (Parse(data, size, &r)) (void)stub.CreateSandbox(&ctx, r, &o); break; }
    case 3: { v1::GetSandboxRequest r; v1::SandboxInfo o; if (Parse(data, size, &r)) (void)stub.GetSandbox(&ctx, r, &o); break; }
    case 4: { v1::DestroySandboxRequest r; v1::DestroySandboxResponse o; if (Parse(data, size, &r)) (void)stub.DestroySandbox(&ctx, r, &o); break; }
    case 5: { v1::RunWasiRequest r; v1::RunWasiResponse o; if (Parse(data, size, &r)) (void)stub.RunWasi(&ctx, r, &o); break; }
    case 6: { v1::RunRequest r; v1::RunWasiResponse o; if (Parse(data, size, &r)) (void)stub.Run(&ctx, r, &o); break; }
    case 7: { v1::GetModuleRequest r; v1::ModuleInfo o; if (Parse(data, size, &r)) (void)stub.GetModule(&ctx, r, &o); break; }
    case 8: { v1::Stats o; (void)stub.GetStats(&ctx, v1::GetStatsRequest(), &o); break; }
    case 9: {  // an upload: the rest of the input in chunks of up to 1 KiB
      v1::ModuleInfo o;
      auto writer = stub.UploadModule(&ctx, &o);
      for (size_t at = 0; at < size; at += 1024) {
        v1::UploadModuleRequest chunk;
        chunk.set_chunk(reinterpret_cast<const char*>(data) + at, std::min<size_t>(1024, size - at));
        if (at == 0 && size > 0 && data[0] == 'x') chunk.set_expected_sha256(std::string(64, 'a'));
        if (!writer->Write(chunk)) break;
      }
      writer->WritesDone();
      (void)writer->Finish();
      break;
    }
  }
  return 0;
}

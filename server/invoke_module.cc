// InvokeModule: an export of a module by digest, on this replica's warm pool
// for (tenant, module, limits) (module_pools.h). Any replica can take any
// call; one that lacks the module says so in a way the client recognises.
#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "server/call_reactors.h"
#include "server/service.h"
#include "server/values.h"

namespace palisade::server {
namespace {

// The trailing metadata of a NOT_FOUND that means "upload it here".
constexpr char kMissingModuleKey[] = "palisade-missing-module";

// What makes two pools of one module differ: everything fixed when the
// sandbox is made. The timeout and fuel apply per call, but fuel is set at
// instantiation too, so it is part of the key.
std::string PoolKey(const std::string& digest, const CallLimits& l) {
  return absl::StrCat(digest, "/", l.memory_bytes, "/", l.max_memory_pages, "/", l.fuel, "/", l.max_output_bytes,
                      "/", l.compiler ? "c" : "i");
}

}  // namespace

grpc::ServerUnaryReactor* PalisadeService::InvokeModule(grpc::CallbackServerContext* ctx,
                                                        const v1::InvokeModuleRequest* request,
                                                        v1::InvokeResponse* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant_or = Authenticate(ctx, "InvokeModule", rid);
  if (!tenant_or.ok()) return Finished(ctx, tenant_or.status());
  const Tenant* tenant = *tenant_or;
  const std::string& digest = request->module_sha256();
  if (absl::Status s = CheckName(*tenant, "module", digest, rid, "InvokeModule"); !s.ok()) return Finished(ctx, s);
  // The module, or its bytes in the request when the client was told this
  // replica lacks it.
  const bool inline_module = !request->module().empty();
  if (inline_module) {
    if (request->module().size() > ModuleCapFor(*tenant)) {
      return Finished(ctx, absl::ResourceExhaustedError(
                               absl::StrCat("module exceeds the ", ModuleCapFor(*tenant), "-byte cap")));
    }
    if (Sha256Hex(request->module()) != digest) {
      return Finished(ctx, absl::InvalidArgumentError("the module's bytes do not have the digest module_sha256"));
    }
  } else {
    auto module = FindModule(*tenant, digest, rid, "InvokeModule");
    if (!module.ok()) {
      if (absl::IsNotFound(module.status())) {
        ctx->AddTrailingMetadata(kMissingModuleKey, digest);
        return Finished(ctx, absl::NotFoundError(absl::StrCat("module ", digest, " is not on replica '",
                                                              config_.replica(), "': upload it and call again")));
      }
      return Finished(ctx, module.status());
    }
  }
  absl::StatusOr<std::vector<abi::WasmValue>> args = FromProto(request->args());
  if (!args.ok()) return Finished(ctx, args.status());
  if (absl::Status s = CheckCallRate(*tenant, "InvokeModule", rid); !s.ok()) return Finished(ctx, s);
  const CallLimits limits = Clamp(*tenant, request->limits());
  const absl::Time deadline = DeadlineFor(ctx, limits);
  return PooledCall::Start(
      this, *tenant, "InvokeModule", rid,
      [this, rid, tenant, request, response, inline_module, limits, deadline,
       args = *std::move(args)](CallControl& control) -> absl::Status {
        const std::string& digest = request->module_sha256();
        if (inline_module) {
          RETURN_IF_ERROR(StoreModule(*tenant, rid, digest,
                                      std::vector<uint8_t>(request->module().begin(), request->module().end()),
                                      deadline));
        }
        ASSIGN_OR_RETURN(std::shared_ptr<const StoredModule> module, modules_.Get(tenant->name, digest));
        ASSIGN_OR_RETURN(std::shared_ptr<WarmModule> warm,
                         pools_.Get(
                             tenant->name, PoolKey(digest, limits),
                             [&]() -> absl::StatusOr<std::shared_ptr<WarmModule>> {
                               auto w = CreateWarmModule(module->bytes, {}, {}, limits, config_.pool_size(), deadline);
                               RETURN_IF_ERROR(Audit({{"request", rid},
                                                      {"event", "module_pool_create"},
                                                      {"tenant", tenant->name},
                                                      {"module", digest},
                                                      {"decision", w.ok() ? "allow" : "deny"},
                                                      {"reason", w.ok() ? "" : std::string(w.status().message())}}));
                               return w;
                             }));
        return CallWarm(*tenant, rid, *warm, digest, "pool", request->function(), args, deadline, control, response);
      });
}

}  // namespace palisade::server

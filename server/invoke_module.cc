// InvokeModule: an export of a module by digest, on this replica's warm pool
// for (tenant, module, limits) (module_pools.h). Any replica can take any
// call; one that lacks the module says so in a way the client recognises.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/call_reactors.h"
#include "server/service.h"
#include "server/values.h"

namespace palisade::server {
namespace {

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
  absl::StatusOr<ModuleRef> ref = LocateModule(ctx, *tenant, digest, request->module(), rid, "InvokeModule");
  if (!ref.ok()) return Finished(ctx, ref.status());
  absl::StatusOr<std::vector<abi::WasmValue>> args = FromProto(request->args());
  if (!args.ok()) return Finished(ctx, args.status());
  if (absl::Status s = CheckCallRate(*tenant, "InvokeModule", rid); !s.ok()) return Finished(ctx, s);
  const CallLimits limits = Clamp(*tenant, request->limits());
  const absl::Time deadline = DeadlineFor(ctx, limits);
  return PooledCall::Start(
      this, *tenant, "InvokeModule", rid,
      [this, rid, tenant, request, response, ref = *std::move(ref), limits, deadline,
       args = *std::move(args)](CallControl& control) -> absl::Status {
        const std::string& digest = ref.digest;
        ASSIGN_OR_RETURN(std::shared_ptr<const StoredModule> module, Materialize(*tenant, rid, ref, deadline));
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

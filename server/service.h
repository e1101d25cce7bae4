// The Palisade gRPC service (proto/palisade/v1/palisade.proto) on gRPC's
// callback API. gRPC threads only authenticate, check and queue: every
// micro-VM runs on the WorkerPool, and a full queue is RESOURCE_EXHAUSTED.
// A cancelled call or an expired deadline reaches the running VM.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "palisade/v1/config.pb.h"
#include "palisade/v1/palisade.grpc.pb.h"
#include "policy/audit_log.h"
#include "policy/tenant_policy.h"
#include "server/module_pools.h"
#include "server/module_store.h"
#include "server/rate_limiter.h"
#include "server/request_dirs.h"
#include "server/run_changes.h"
#include "server/vm_executor.h"
#include "server/worker_pool.h"

namespace palisade::server {

// UploadModule is served raw (call_reactors.h, UploadCall says why).
class PalisadeService final
    : public v1::Palisade::WithRawCallbackMethod_UploadModule<v1::Palisade::CallbackService> {
 public:
  // `audit` may be null (no audit log configured). `policies`: tenants'
  // policy files by tenant name (server/config.h loads them).
  PalisadeService(const v1::ServerConfig& config, policy::AuditLog* audit,
                  std::map<std::string, policy::TenantPolicy> policies = {});
  ~PalisadeService() override;

  // New calls are refused (UNAVAILABLE) from now on; queued and running
  // ones finish. Returns once idle or after `timeout`.
  bool Drain(absl::Duration timeout);

  // Told whether decisions are being recorded (false: the audit log is
  // failing and, with audit_failure DENY, calls are refused). palisaded
  // turns gRPC health NOT_SERVING while it is false.
  void SetAuditHealthHook(std::function<void(bool recording)> hook);
  // Records the server's start and its audit_failure choice.
  void AuditStart();

  grpc::ServerReadReactor<grpc::ByteBuffer>* UploadModule(grpc::CallbackServerContext* ctx,
                                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetModule(grpc::CallbackServerContext* ctx,
                                      const v1::GetModuleRequest* request,
                                      v1::ModuleInfo* response) override;
  grpc::ServerUnaryReactor* DeleteModule(grpc::CallbackServerContext* ctx,
                                         const v1::DeleteModuleRequest* request,
                                         v1::DeleteModuleResponse* response) override;
  grpc::ServerUnaryReactor* CreateSandbox(grpc::CallbackServerContext* ctx,
                                          const v1::CreateSandboxRequest* request,
                                          v1::SandboxInfo* response) override;
  grpc::ServerUnaryReactor* GetSandbox(grpc::CallbackServerContext* ctx,
                                       const v1::GetSandboxRequest* request,
                                       v1::SandboxInfo* response) override;
  grpc::ServerUnaryReactor* ListSandboxes(grpc::CallbackServerContext* ctx,
                                          const v1::ListSandboxesRequest* request,
                                          v1::ListSandboxesResponse* response) override;
  grpc::ServerUnaryReactor* DestroySandbox(grpc::CallbackServerContext* ctx,
                                           const v1::DestroySandboxRequest* request,
                                           v1::DestroySandboxResponse* response) override;
  grpc::ServerUnaryReactor* Invoke(grpc::CallbackServerContext* ctx, const v1::InvokeRequest* request,
                                   v1::InvokeResponse* response) override;
  grpc::ServerUnaryReactor* InvokeModule(grpc::CallbackServerContext* ctx, const v1::InvokeModuleRequest* request,
                                         v1::InvokeResponse* response) override;
  grpc::ServerUnaryReactor* DescribeFunction(grpc::CallbackServerContext* ctx,
                                             const v1::DescribeFunctionRequest* request,
                                             v1::FunctionType* response) override;
  grpc::ServerUnaryReactor* RunWasi(grpc::CallbackServerContext* ctx,
                                    const v1::RunWasiRequest* request,
                                    v1::RunWasiResponse* response) override;
  grpc::ServerWriteReactor<v1::RunWasiEvent>* RunWasiStream(
      grpc::CallbackServerContext* ctx, const v1::RunWasiRequest* request) override;
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, const v1::RunRequest* request,
                                v1::RunWasiResponse* response) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* ctx,
                                     const v1::GetStatsRequest* request,
                                     v1::Stats* response) override;

  // Shared with the reactors in service.cc.
  struct Tenant {
    std::string name;
    std::string token_sha256;
    v1::Limits limits;
    std::shared_ptr<const policy::TenantPolicy> policy;  // null: no policy file
    std::shared_ptr<RateLimiter> rate;                    // null: no call-rate quota
    uint64_t store_quota = 0;                             // bytes of modules it may hold
    uint32_t max_in_flight = 0;                           // calls queued or running; 0: no cap
    std::shared_ptr<std::atomic<uint32_t>> in_flight = std::make_shared<std::atomic<uint32_t>>(0);
  };
  // A place among a tenant's calls in flight; the place is given back when
  // the last copy goes (the call's reactor holds it until gRPC is done).
  using CallSlot = std::shared_ptr<void>;
  struct SandboxEntry {
    v1::SandboxInfo info;
    std::shared_ptr<WarmModule> warm;
    std::atomic<uint64_t> invocations{0};
  };
  // The caller's tenant from `authorization: Bearer TOKEN`; audits failures.
  // Audits successes and failures under request id `rid`.
  absl::StatusOr<const Tenant*> Authenticate(grpc::CallbackServerContext* ctx, const char* method,
                                             const std::string& rid);
  // A call refused for the server's own state (draining, a full queue):
  // audited, and returned as `code` with `reason`.
  absl::Status Refuse(const Tenant& tenant, const char* method, const std::string& rid, absl::StatusCode code,
                      const std::string& reason);
  // Policy checks before a call is queued; each refusal is audited.
  absl::StatusOr<CallSlot> AdmitCall(const Tenant& tenant, const char* method, const std::string& rid);
  absl::Status CheckCallRate(const Tenant& tenant, const char* method, const std::string& rid);
  absl::Status CheckEnvironment(const Tenant& tenant, int env_count, const char* method,
                                const std::string& rid);
  // A run's directories: refused (audited) when the tenant's policy withholds
  // them (wasi.preopens, wasi.writable_preopens), else validated and built
  // into the image the guest preopens, bounded by the policy's
  // wasi.max_written_bytes / max_written_entries.
  absl::StatusOr<std::shared_ptr<const RunDirs>> PrepareDirs(const Tenant& tenant, const Directories& dirs,
                                                             bool partial_results, const char* method,
                                                             const std::string& rid);
  // The module-size cap for `tenant`: the server's, or its policy's if lower.
  uint64_t ModuleCapFor(const Tenant& tenant) const;
  // Audit events: each WASI denial, and a run's start and end with its outcome.
  [[nodiscard]] absl::Status AuditDenials(const Tenant& tenant, const std::string& rid,
                                          const std::string& module,
                                          const std::vector<std::string>& functions);
  // `dirs` adds what the run was given (directories) and `changes` what it
  // returned from them.
  [[nodiscard]] absl::Status AuditRunStart(const Tenant& tenant, const std::string& rid,
                                           const std::string& module, const char* method,
                                           const Directories* dirs = nullptr, bool partial_results = false);
  [[nodiscard]] absl::Status AuditRunEnd(const Tenant& tenant, const std::string& rid,
                                         const std::string& module, const char* method,
                                         const absl::StatusOr<RunResult>& result,
                                         const absl::StatusOr<ReturnedChanges>* changes = nullptr);
  CallLimits Clamp(const Tenant& tenant, const v1::Limits& requested) const;
  // Calls `function` on a warm sandbox of `warm` and fills `response`; the
  // start and end are audited (`sandbox`: the id, or the pool's name).
  absl::Status CallWarm(const Tenant& tenant, const std::string& rid, WarmModule& warm, const std::string& module,
                        const std::string& sandbox, const std::string& function,
                        const std::vector<abi::WasmValue>& args, absl::Time deadline, CallControl& control,
                        v1::InvokeResponse* response);
  // The module a call names by digest: stored here, or sent in the call
  // (`inline_bytes`, after this replica said it lacks it; checked against
  // the digest and the size cap, stored by Materialize on the worker). A
  // replica without it answers NOT_FOUND with `palisade-missing-module`
  // trailing metadata on `ctx`.
  struct ModuleRef {
    std::shared_ptr<const StoredModule> stored;  // null: `inline_bytes` to store
    std::string digest;
    const std::string* inline_bytes = nullptr;
  };
  absl::StatusOr<ModuleRef> LocateModule(grpc::ServerContextBase* ctx, const Tenant& tenant,
                                         const std::string& digest, const std::string& inline_bytes,
                                         const std::string& rid, const char* method);
  absl::StatusOr<std::shared_ptr<const StoredModule>> Materialize(const Tenant& tenant, const std::string& rid,
                                                                  const ModuleRef& ref, absl::Time deadline);
  // Stores `bytes` (whose digest is `digest`) for `tenant`: validated in a
  // micro-VM unless the server already holds them, then audited as a
  // module_upload. Validation boots a VM: call it on a worker.
  absl::Status StoreModule(const Tenant& tenant, const std::string& rid, const std::string& digest,
                           std::vector<uint8_t> bytes, absl::Time deadline);
  absl::Time DeadlineFor(grpc::CallbackServerContext* ctx, const CallLimits& limits) const;
  // Records `event`. When the log cannot: counted, and with audit_failure
  // DENY an UNAVAILABLE error the caller returns instead of going on.
  [[nodiscard]] absl::Status Audit(nlohmann::json event);
  WorkerPool& workers() { return *workers_; }
  ModuleStore& modules() { return modules_; }
  const v1::ServerConfig& config() const { return config_; }
  bool draining() const { return draining_.load(); }
  // The server's state in numbers, for the metrics listener (metrics.h).
  struct Gauges {
    uint64_t sandboxes = 0, module_pools = 0, module_pools_made = 0, module_pools_evicted = 0;
    uint64_t modules = 0, module_bytes = 0;
    uint64_t workers = 0, running = 0, queue_depth = 0, queue_capacity = 0, calls_rejected = 0;
    uint64_t audit_writes = 0, audit_failures = 0;
    bool draining = false;
  };
  Gauges gauges() const;
  // The tenant an `authorization` header names ("" when none does), without
  // auditing: metrics label calls with it.
  std::string TenantOf(std::string_view authorization) const;
  // Counted once the worker queue has the call (or refused it), so a Stats
  // that reads calls_total before the queue (GetStats does) never sees a
  // counted call that is neither queued, running nor done.
  void CountCall() { calls_.fetch_add(1); }

 private:
  // The caller's own sandbox or module; anything else -- another tenant's,
  // or none at all -- is the same NOT_FOUND, and the attempt is audited.
  absl::StatusOr<std::shared_ptr<SandboxEntry>> FindSandbox(const Tenant& tenant,
                                                            const std::string& id,
                                                            const std::string& rid,
                                                            const char* method);
  // INVALID_ARGUMENT (audited) unless `name` has the form of a sandbox id or
  // a module digest (`what`: "sandbox" or "module").
  absl::Status CheckName(const Tenant& tenant, const char* what, const std::string& name,
                         const std::string& rid, const char* method);
  absl::StatusOr<std::shared_ptr<const StoredModule>> FindModule(const Tenant& tenant,
                                                                 const std::string& sha256,
                                                                 const std::string& rid,
                                                                 const char* method);

  // The tenant whose token this is, or null (compared in constant time).
  const Tenant* TenantForToken(std::string_view token) const;
  // "sb-" [replica "-"] 24 hex digits.
  std::string NewSandboxId() const;

  const v1::ServerConfig config_;
  policy::AuditLog* const audit_;
  const absl::Time started_ = absl::Now();
  std::vector<Tenant> tenants_;
  ModuleStore modules_;
  mutable std::mutex sandboxes_mu_;
  // tenant name -> sandbox id -> entry
  std::map<std::string, std::map<std::string, std::shared_ptr<SandboxEntry>>> sandboxes_;
  // Sandboxes being made, per tenant: they count against the quota from the
  // moment their call is accepted, so concurrent creates cannot overshoot it.
  std::map<std::string, uint32_t> creating_;
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> audit_failures_{0};
  std::atomic<uint64_t> audit_writes_{0};
  std::atomic<bool> audit_recording_{true};
  std::mutex audit_hook_mu_;
  std::function<void(bool)> audit_hook_;
  std::atomic<uint64_t> calls_{0};
  ModulePools pools_;
  std::unique_ptr<WorkerPool> workers_;  // last: joined first on destruction
};

}  // namespace palisade::server

#include "server/service.h"

#include <sys/random.h>

#include <deque>
#include <functional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/sha256.h"
#include "server/call_reactors.h"
#include "common/sandbox_id.h"
#include "server/values.h"
#include "wasm/runtime/trap.h"

namespace palisade::server {
namespace {

using Tenant = PalisadeService::Tenant;

std::string NewId(const char* prefix) {
  uint8_t bytes[12];
  size_t done = 0;
  while (done < sizeof bytes) {
    ssize_t n = getrandom(bytes + done, sizeof bytes - done, 0);
    if (n > 0) done += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = prefix;
  for (uint8_t b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

void FillTrap(const WasmOutcomeReport& r, v1::Trap* trap) {
  trap->set_kind(r.code >= 0 && r.code < 256 ? wasm::TrapMessage(static_cast<wasm::TrapKind>(r.code))
                                             : "unknown trap");
  trap->set_function_index(r.func_index);
  trap->set_function_name(r.text);
  trap->set_offset(r.offset);
}

// The outcome of a WASI run in the response (stdout/stderr filled elsewhere).
void FillRun(const RunResult& r, v1::RunWasiResponse* out) {
  out->set_output_truncated(r.output_truncated);
  if (r.outcome.kind == abi::WasmOutcome::kTrapped) {
    FillTrap(r.outcome, out->mutable_trap());
    out->set_exit_code(134);
  } else {
    out->set_exit_code(static_cast<int32_t>(r.outcome.code));
  }
}

// How a program or call ended, in the audit log's words.
const char* OutcomeName(const WasmOutcomeReport& r) {
  if (r.kind != abi::WasmOutcome::kTrapped) return "exit";
  return r.code == static_cast<int64_t>(wasm::TrapKind::kFuelExhausted) ? "fuel_limit" : "trap";
}
std::string OutcomeName(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kDeadlineExceeded: return "timeout";
    case absl::StatusCode::kCancelled: return "cancelled";
    case absl::StatusCode::kResourceExhausted: return "limit";
    case absl::StatusCode::kInvalidArgument:
      return absl::StrContains(s.message(), "denied import") ? "denied_import" : "invalid";
    default: return absl::AsciiStrToLower(absl::StatusCodeToString(s.code()));
  }
}

// Runs its function once: at Release(), or when the last owner lets go.
class OnRelease {
 public:
  explicit OnRelease(std::function<void()> fn) : fn_(std::move(fn)) {}
  OnRelease(const OnRelease&) = delete;
  OnRelease& operator=(const OnRelease&) = delete;
  ~OnRelease() { Release(); }
  void Release() {
    if (fn_) std::exchange(fn_, nullptr)();
  }

 private:
  std::function<void()> fn_;
};

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& f) {
  return {f.begin(), f.end()};
}

}  // namespace

std::string RequestId(grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("x-request-id");
  if (it != md.end() && !it->second.empty() && it->second.size() <= 64) {
    std::string id(it->second.data(), it->second.size());
    if (std::all_of(id.begin(), id.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        })) {
      return id;
    }
  }
  return NewId("rq-");
}

PalisadeService::PalisadeService(const v1::ServerConfig& config, policy::AuditLog* audit,
                                 std::map<std::string, policy::TenantPolicy> policies)
    : config_(config),
      audit_(audit),
      modules_(config.max_module_bytes(), config.max_store_bytes()),
      pools_(std::max(1u, config.max_module_pools_per_tenant()),
             absl::Seconds(config.module_pool_idle_seconds() != 0 ? config.module_pool_idle_seconds() : 300)),
      workers_(std::make_unique<WorkerPool>(config.workers(), config.queue_capacity())) {
  for (const v1::Tenant& t : config.tenants()) {
    Tenant tenant{t.name(), t.token_sha256(), t.limits(), nullptr, nullptr};
    tenant.store_quota = config.max_store_bytes_per_tenant();
    tenant.max_in_flight = config.max_calls_in_flight_per_tenant();
    if (auto it = policies.find(t.name()); it != policies.end()) {
      auto p = std::make_shared<const policy::TenantPolicy>(std::move(it->second));
      if (p->proto.calls_per_second() != 0) {
        const double rate = p->proto.calls_per_second();
        tenant.rate = std::make_shared<RateLimiter>(rate, p->proto.call_burst() != 0 ? p->proto.call_burst() : rate);
      }
      if (p->proto.max_store_bytes() != 0) tenant.store_quota = p->proto.max_store_bytes();
      if (p->proto.max_calls_in_flight() != 0) tenant.max_in_flight = p->proto.max_calls_in_flight();
      tenant.policy = std::move(p);
    }
    tenants_.push_back(std::move(tenant));
  }
}

PalisadeService::~PalisadeService() { workers_.reset(); }

bool PalisadeService::Drain(absl::Duration timeout) {
  draining_.store(true);
  return workers_->WaitIdle(absl::ToChronoMilliseconds(timeout));
}

absl::Status PalisadeService::Audit(nlohmann::json event) {
  if (audit_ == nullptr) return absl::OkStatus();
  absl::Status s = audit_->Record(std::move(event));
  const bool recording = s.ok();
  if (recording) audit_writes_.fetch_add(1, std::memory_order_relaxed);
  if (audit_recording_.exchange(recording) != recording) {
    std::lock_guard<std::mutex> lock(audit_hook_mu_);
    if (audit_hook_) audit_hook_(recording);
  }
  if (recording) return absl::OkStatus();
  audit_failures_.fetch_add(1);
  std::fprintf(stderr, "palisaded: audit log: %s\n", std::string(s.message()).c_str());
  if (config_.audit_failure() == v1::ALLOW_AND_COUNT) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "the audit log is failing (", s.message(),
      "): palisaded refuses calls whose decisions it cannot record (audit_failure: DENY)"));
}

void PalisadeService::SetAuditHealthHook(std::function<void(bool)> hook) {
  std::lock_guard<std::mutex> lock(audit_hook_mu_);
  audit_hook_ = std::move(hook);
  if (audit_hook_) audit_hook_(audit_recording_.load());
}

void PalisadeService::AuditStart() {
  (void)Audit({{"event", "start"}, {"decision", "allow"},
               {"audit_failure", config_.audit_failure() == v1::ALLOW_AND_COUNT ? "allow_and_count" : "deny"},
               {"audit_fsync", config_.audit_fsync()}});
}

PalisadeService::Gauges PalisadeService::gauges() const {
  Gauges g;
  {
    std::lock_guard<std::mutex> lock(sandboxes_mu_);
    for (const auto& [tenant, mine] : sandboxes_) g.sandboxes += mine.size();
  }
  g.module_pools = pools_.pools();
  g.module_pools_made = pools_.made();
  g.module_pools_evicted = pools_.evicted();
  g.modules = modules_.count();
  g.module_bytes = modules_.total_bytes();
  g.workers = workers_->workers();
  g.running = workers_->running();
  g.queue_depth = workers_->queued();
  g.queue_capacity = workers_->capacity();
  g.calls_rejected = workers_->rejected();
  g.audit_writes = audit_writes_.load();
  g.audit_failures = audit_failures_.load();
  g.draining = draining_.load();
  return g;
}

namespace {
// The token of an `authorization: Bearer TOKEN` header; empty if it is none.
std::string_view BearerToken(std::string_view authorization) {
  return authorization.substr(0, 7) == "Bearer " ? authorization.substr(7) : std::string_view();
}
}  // namespace

const Tenant* PalisadeService::TenantForToken(std::string_view token) const {
  const std::string hash = Sha256Hex(token);
  for (const Tenant& t : tenants_) {
    if (ConstantTimeEqual(hash, t.token_sha256)) return &t;
  }
  return nullptr;
}

std::string PalisadeService::TenantOf(std::string_view authorization) const {
  const std::string_view token = BearerToken(authorization);
  const Tenant* t = token.empty() ? nullptr : TenantForToken(token);
  return t != nullptr ? t->name : "";
}

absl::StatusOr<const Tenant*> PalisadeService::Authenticate(grpc::CallbackServerContext* ctx,
                                                            const char* method, const std::string& rid) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  const std::string_view token = BearerToken(
      it == md.end() ? std::string_view() : std::string_view(it->second.data(), it->second.size()));
  if (token.empty()) {
    (void)Audit({{"request", rid}, {"event", "auth"}, {"method", method}, {"decision", "deny"},
                 {"reason", "no bearer token"}, {"peer", ctx->peer()}});
    return absl::UnauthenticatedError("missing `authorization: Bearer TOKEN` metadata");
  }
  if (const Tenant* t = TenantForToken(token); t != nullptr) {
    // Every authenticated call starts here: a decision that cannot be
    // recorded refuses the call before it does anything.
    RETURN_IF_ERROR(Audit({{"request", rid}, {"event", "auth"}, {"method", method}, {"tenant", t->name},
                           {"decision", "allow"}}));
    return t;
  }
  (void)Audit({{"request", rid}, {"event", "auth"}, {"method", method}, {"decision", "deny"},
               {"reason", "unknown token"}, {"peer", ctx->peer()}});
  return absl::UnauthenticatedError("unknown token");
}

CallLimits PalisadeService::Clamp(const Tenant& tenant, const v1::Limits& req) const {
  // 0 asks for the tenant's value; anything above it is cut down to it.
  auto pick = [](uint64_t asked, uint64_t allowed) {
    return asked == 0 || (allowed != 0 && asked > allowed) ? allowed : asked;
  };
  const v1::Limits& t = tenant.limits;
  CallLimits l;
  l.memory_bytes = (pick(req.memory_bytes(), t.memory_bytes()) + 4095) & ~uint64_t{4095};
  // Unasked, the guest is sized to the module, with the tenant's value as
  // the ceiling (vmm/guest_memory_plan.h).
  l.memory_sized_to_module = req.memory_bytes() == 0;
  l.memory_ceiling_name = absl::StrCat("tenant '", tenant.name, "' (limits.memory_bytes)");
  l.max_memory_pages = static_cast<uint32_t>(pick(req.max_memory_pages(), t.max_memory_pages()));
  l.timeout = absl::Milliseconds(pick(req.timeout_ms(), t.timeout_ms()));
  l.fuel = pick(req.fuel(), t.fuel());
  l.max_output_bytes = pick(req.max_output_bytes(), t.max_output_bytes());
  l.max_changes_bytes = pick(req.max_changes_bytes(), t.max_changes_bytes());
  if (l.max_changes_bytes == 0) l.max_changes_bytes = CallLimits().max_changes_bytes;
  if (tenant.policy != nullptr) {
    l.wasi_denied = tenant.policy->wasi_denied;
    l.refuse_denied_imports = tenant.policy->refuse_denied_imports;
    l.clocks = tenant.policy->clocks;
    l.random = tenant.policy->random;
    l.compiler = tenant.policy->compiler;
  }
  return l;
}

absl::Status PalisadeService::Refuse(const Tenant& tenant, const char* method, const std::string& rid,
                                     absl::StatusCode code, const std::string& reason) {
  (void)Audit({{"request", rid}, {"event", "refused"}, {"method", method}, {"tenant", tenant.name},
               {"decision", "deny"}, {"reason", reason}});
  return absl::Status(code, reason);
}

absl::StatusOr<PalisadeService::CallSlot> PalisadeService::AdmitCall(const Tenant& tenant, const char* method,
                                                                     const std::string& rid) {
  std::shared_ptr<std::atomic<uint32_t>> count = tenant.in_flight;
  uint32_t now = count->load();
  do {
    if (tenant.max_in_flight != 0 && now >= tenant.max_in_flight) {
      const std::string reason =
          absl::StrCat("tenant ", tenant.name, " already has ", now, " calls in flight (its quota)");
      (void)Audit({{"request", rid}, {"event", "policy"}, {"method", method}, {"tenant", tenant.name},
                   {"decision", "deny"}, {"reason", reason}});
      return absl::ResourceExhaustedError(reason);
    }
  } while (!count->compare_exchange_weak(now, now + 1));
  return std::make_shared<OnRelease>([count] { count->fetch_sub(1); });
}

absl::Status PalisadeService::CheckCallRate(const Tenant& tenant, const char* method, const std::string& rid) {
  if (tenant.rate == nullptr || tenant.rate->TryTake(absl::Now())) return absl::OkStatus();
  const std::string reason = absl::StrCat("call-rate quota: ", tenant.policy->proto.calls_per_second(),
                                          " calls/s (policy '", tenant.policy->proto.name(), "')");
  (void)Audit({{"request", rid}, {"event", "policy"}, {"method", method}, {"tenant", tenant.name},
               {"decision", "deny"}, {"reason", reason}});
  return absl::ResourceExhaustedError(reason);
}

absl::Status PalisadeService::CheckEnvironment(const Tenant& tenant, int env_count, const char* method,
                                               const std::string& rid) {
  if (env_count == 0 || tenant.policy == nullptr || tenant.policy->proto.wasi().environment()) {
    return absl::OkStatus();
  }
  const std::string reason =
      absl::StrCat("policy '", tenant.policy->proto.name(), "' passes no environment variables");
  (void)Audit({{"request", rid}, {"event", "policy"}, {"method", method}, {"tenant", tenant.name},
               {"decision", "deny"}, {"reason", reason}});
  return absl::PermissionDeniedError(reason);
}

absl::StatusOr<std::shared_ptr<const RunDirs>> PalisadeService::PrepareDirs(const Tenant& tenant,
                                                                            const Directories& dirs,
                                                                            bool partial_results, const char* method,
                                                                            const std::string& rid) {
  auto out = std::make_shared<RunDirs>();
  out->partial_results = partial_results;
  if (dirs.empty()) return out;
  DirLimits limits;
  // A tenant without a policy file is not restricted, as with environment
  // variables.
  if (tenant.policy != nullptr) {
    const v1::WasiPolicy& w = tenant.policy->proto.wasi();
    std::string reason;
    if (!w.preopens()) {
      reason = absl::StrCat("policy '", tenant.policy->proto.name(), "' allows no directories (wasi.preopens)");
    } else if (AnyWritable(dirs) && !w.writable_preopens()) {
      reason = absl::StrCat("policy '", tenant.policy->proto.name(),
                            "' allows no writable directories (wasi.writable_preopens)");
    }
    if (!reason.empty()) {
      (void)Audit({{"request", rid}, {"event", "policy"}, {"method", method}, {"tenant", tenant.name},
                   {"decision", "deny"}, {"reason", reason}});
      return absl::PermissionDeniedError(reason);
    }
    if (w.max_written_bytes() != 0) limits.max_tree_bytes = w.max_written_bytes();
    if (w.max_written_entries() != 0) limits.max_tree_entries = w.max_written_entries();
  }
  ASSIGN_OR_RETURN(out->image, BuildRequestImage(dirs, limits));
  out->writable = AnyWritable(dirs);
  out->max_tree_bytes = limits.max_tree_bytes;
  return out;
}

uint64_t PalisadeService::ModuleCapFor(const Tenant& tenant) const {
  const uint64_t server = modules_.max_module_bytes();
  if (tenant.policy == nullptr || tenant.policy->proto.max_module_bytes() == 0) return server;
  return std::min(server, tenant.policy->proto.max_module_bytes());
}

absl::Time PalisadeService::DeadlineFor(grpc::CallbackServerContext* ctx,
                                        const CallLimits& limits) const {
  absl::Time d = absl::Now() + limits.timeout;
  const auto client = ctx->deadline();
  if (client != std::chrono::system_clock::time_point::max()) d = std::min(d, absl::FromChrono(client));
  return d;
}

std::string PalisadeService::NewSandboxId() const {
  return NewId(config_.replica().empty() ? "sb-" : absl::StrCat("sb-", config_.replica(), "-").c_str());
}

absl::Status PalisadeService::StoreModule(const Tenant& tenant, const std::string& rid, const std::string& digest,
                                          std::vector<uint8_t> bytes, absl::Time deadline) {
  if (!modules_.Contains(digest)) {
    if (absl::Status valid = ValidateModule(bytes, deadline); !valid.ok()) {
      (void)Audit({{"request", rid}, {"event", "module_upload"}, {"tenant", tenant.name}, {"module", digest},
                   {"decision", "deny"}, {"reason", std::string(valid.message())}});
      return valid;
    }
  }
  auto stored = modules_.Add(tenant.name, digest, std::move(bytes), tenant.store_quota);
  absl::Status recorded = Audit({{"request", rid}, {"event", "module_upload"}, {"tenant", tenant.name},
                                 {"module", digest}, {"decision", stored.ok() ? "allow" : "deny"},
                                 {"reason", stored.ok() ? "" : std::string(stored.status().message())}});
  // Unrecorded, the upload is refused (the bytes may stay in the
  // content-addressed store; a retry finds them and records the decision).
  return stored.ok() && !recorded.ok() ? recorded : stored.status();
}

absl::Status PalisadeService::CheckName(const Tenant& tenant, const char* what, const std::string& name,
                                        const std::string& rid, const char* method) {
  const bool sandbox = std::string_view(what) == "sandbox";
  if (sandbox ? SandboxReplica(name).has_value() : IsSha256Hex(name)) return absl::OkStatus();
  // Never echoed: a name the client made up may be any size (its echo in an
  // error's metadata could exceed gRPC's limit and take the connection down).
  const std::string reason = absl::StrCat(
      "not a ", sandbox ? "sandbox id (sb-, a replica name and - if any, 24 hex digits)" : "module digest (64 lowercase hex digits)",
      ": ", name.size(), " bytes");
  (void)Audit({{"request", rid}, {"event", "lookup"}, {"method", method}, {"tenant", tenant.name},
               {"decision", "deny"}, {"reason", reason}});
  return absl::InvalidArgumentError(reason);
}

absl::StatusOr<std::shared_ptr<PalisadeService::SandboxEntry>> PalisadeService::FindSandbox(
    const Tenant& tenant, const std::string& id, const std::string& rid, const char* method) {
  RETURN_IF_ERROR(CheckName(tenant, "sandbox", id, rid, method));
  {
    std::lock_guard<std::mutex> lock(sandboxes_mu_);
    auto& mine = sandboxes_[tenant.name];
    if (auto it = mine.find(id); it != mine.end()) return it->second;
  }
  // Another tenant's sandbox is indistinguishable from none at all; guessing
  // is on the record.
  (void)Audit({{"request", rid}, {"event", "lookup"}, {"method", method}, {"tenant", tenant.name},
               {"sandbox", id}, {"decision", "deny"}, {"reason", "no such sandbox of this tenant"}});
  if (const std::string where = *SandboxReplica(id); where != config_.replica()) {
    return absl::NotFoundError(absl::StrCat("no sandbox ", id, " here: it was made on replica '", where,
                                            "', this is '", config_.replica(),
                                            "' (is that replica gone, or does the balancer not route on the "
                                            "palisade-replica header?)"));
  }
  return absl::NotFoundError("no sandbox " + id);
}

absl::StatusOr<std::shared_ptr<const StoredModule>> PalisadeService::FindModule(
    const Tenant& tenant, const std::string& sha256, const std::string& rid, const char* method) {
  RETURN_IF_ERROR(CheckName(tenant, "module", sha256, rid, method));
  auto m = modules_.Get(tenant.name, sha256);
  if (!m.ok() && absl::IsNotFound(m.status())) {
    (void)Audit({{"request", rid}, {"event", "lookup"}, {"method", method}, {"tenant", tenant.name},
                 {"module", sha256}, {"decision", "deny"}, {"reason", "no such module of this tenant"}});
  }
  return m;
}

absl::StatusOr<PalisadeService::ModuleRef> PalisadeService::LocateModule(
    grpc::ServerContextBase* ctx, const Tenant& tenant, const std::string& digest,
    const std::string& inline_bytes, const std::string& rid, const char* method) {
  if (!inline_bytes.empty()) {
    RETURN_IF_ERROR(CheckName(tenant, "module", digest, rid, method));
    if (inline_bytes.size() > ModuleCapFor(tenant)) {
      return absl::ResourceExhaustedError(absl::StrCat("module exceeds the ", ModuleCapFor(tenant), "-byte cap"));
    }
    if (Sha256Hex(inline_bytes) != digest) {
      return absl::InvalidArgumentError("the module's bytes do not have the digest module_sha256");
    }
    return ModuleRef{nullptr, digest, &inline_bytes};
  }
  auto stored = FindModule(tenant, digest, rid, method);
  if (stored.ok()) return ModuleRef{*std::move(stored), digest, nullptr};
  if (!absl::IsNotFound(stored.status())) return stored.status();
  ctx->AddTrailingMetadata(kMissingModuleMetadata, digest);
  const std::string where = config_.replica().empty() ? "" : absl::StrCat(" on replica '", config_.replica(), "'");
  return absl::NotFoundError(absl::StrCat("no module ", digest, where, ": upload it, or send it with the call"));
}

absl::StatusOr<std::shared_ptr<const StoredModule>> PalisadeService::Materialize(const Tenant& tenant,
                                                                                const std::string& rid,
                                                                                const ModuleRef& ref,
                                                                                absl::Time deadline) {
  if (ref.stored != nullptr) return ref.stored;
  RETURN_IF_ERROR(StoreModule(tenant, rid, ref.digest,
                              std::vector<uint8_t>(ref.inline_bytes->begin(), ref.inline_bytes->end()), deadline));
  return modules_.Get(tenant.name, ref.digest);
}

grpc::ServerReadReactor<grpc::ByteBuffer>* PalisadeService::UploadModule(grpc::CallbackServerContext* ctx,
                                                                        grpc::ByteBuffer* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant = Authenticate(ctx, "UploadModule", rid);
  if (!tenant.ok() || draining()) {
    // A reactor that refuses at once.
    class Refused final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
     public:
      explicit Refused(grpc::Status s) { Finish(std::move(s)); }
      void OnDone() override { std::unique_ptr<Refused> reclaim(this); }
    };
    return std::make_unique<Refused>(
               ToGrpc(tenant.ok() ? Refuse(**tenant, "UploadModule", rid, absl::StatusCode::kUnavailable,
                                           "the server is shutting down")
                                  : tenant.status()))
        .release();
  }
  return std::make_unique<UploadCall>(this, *tenant, ctx, response, rid).release();
}

grpc::ServerUnaryReactor* PalisadeService::GetModule(grpc::CallbackServerContext* ctx,
                                                     const v1::GetModuleRequest* request,
                                                     v1::ModuleInfo* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant = Authenticate(ctx, "GetModule", rid);
  if (!tenant.ok()) return Finished(ctx, tenant.status());
  auto m = FindModule(**tenant, request->sha256(), rid, "GetModule");
  if (m.ok()) {
    response->set_sha256((*m)->sha256);
    response->set_size((*m)->bytes.size());
  }
  return Finished(ctx, m.status());
}

grpc::ServerUnaryReactor* PalisadeService::DeleteModule(grpc::CallbackServerContext* ctx,
                                                        const v1::DeleteModuleRequest* request,
                                                        v1::DeleteModuleResponse*) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant = Authenticate(ctx, "DeleteModule", rid);
  if (!tenant.ok()) return Finished(ctx, tenant.status());
  // Looked up first so a guess is audited like any other; recorded before it
  // happens, like a sandbox's destruction.
  auto m = FindModule(**tenant, request->sha256(), rid, "DeleteModule");
  if (!m.ok()) return Finished(ctx, m.status());
  if (absl::Status s = Audit({{"request", rid}, {"event", "module_delete"}, {"tenant", (*tenant)->name},
                              {"module", request->sha256()}, {"decision", "allow"}});
      !s.ok()) {
    return Finished(ctx, s);
  }
  // A concurrent delete of the same digest may have won; either way it is gone.
  absl::Status removed = modules_.Remove((*tenant)->name, request->sha256());
  return Finished(ctx, absl::IsNotFound(removed) ? absl::OkStatus() : removed);
}

grpc::ServerUnaryReactor* PalisadeService::CreateSandbox(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateSandboxRequest* request,
                                                         v1::SandboxInfo* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant_or = Authenticate(ctx, "CreateSandbox", rid);
  if (!tenant_or.ok()) return Finished(ctx, tenant_or.status());
  const Tenant* tenant = *tenant_or;
  auto module = LocateModule(ctx, *tenant, request->module_sha256(), request->module(), rid, "CreateSandbox");
  if (!module.ok()) return Finished(ctx, module.status());
  if (absl::Status s = CheckEnvironment(*tenant, request->env_size(), "CreateSandbox", rid); !s.ok()) {
    return Finished(ctx, s);
  }
  const uint32_t quota = tenant->policy != nullptr && tenant->policy->proto.max_sandboxes() != 0
                             ? tenant->policy->proto.max_sandboxes()
                             : config_.max_sandboxes_per_tenant();
  {
    std::lock_guard<std::mutex> lock(sandboxes_mu_);
    if (sandboxes_[tenant->name].size() + creating_[tenant->name] >= quota) {
      (void)Audit({{"request", rid}, {"event", "sandbox_create"}, {"tenant", tenant->name},
                   {"module", request->module_sha256()}, {"decision", "deny"}, {"reason", "sandbox quota"}});
      return Finished(ctx, absl::ResourceExhaustedError(absl::StrCat(
                               "tenant ", tenant->name, " already has ", quota, " sandboxes (the quota)")));
    }
    ++creating_[tenant->name];  // a place in the quota until this call is done
  }
  const CallLimits limits = Clamp(*tenant, request->limits());
  // Instantiation gets the tenant's timeout too: a start function may spin.
  const absl::Time deadline = DeadlineFor(ctx, limits);
  // The place is given back when the work is done with, run or not (a full
  // queue drops it unrun); by then a made sandbox counts itself.
  auto place = std::make_shared<OnRelease>([this, name = tenant->name] {
    std::lock_guard<std::mutex> lock(sandboxes_mu_);
    --creating_[name];
  });
  return PooledCall::Start(this, *tenant, "CreateSandbox", rid,
                           [this, rid, tenant, request, response, ref = *module, limits, deadline,
                            place](CallControl&) -> absl::Status {
    absl::StatusOr<std::shared_ptr<const StoredModule>> stored = Materialize(*tenant, rid, ref, deadline);
    if (!stored.ok()) {
      place->Release();
      return stored.status();
    }
    const std::shared_ptr<const StoredModule> module = *std::move(stored);
    auto warm = CreateWarmModule(module->bytes, Strings(request->args()), Strings(request->env()),
                                 limits, config_.pool_size(), deadline);
    if (!warm.ok()) {
      (void)Audit({{"request", rid}, {"event", "sandbox_create"}, {"tenant", tenant->name},
                   {"module", module->sha256}, {"decision", "deny"},
                   {"reason", std::string(warm.status().message())}});
      place->Release();  // before the answer: the caller may try again at once
      return warm.status();
    }

    auto entry = std::make_shared<SandboxEntry>();
    entry->warm = *std::move(warm);
    v1::SandboxInfo& info = entry->info;
    info.set_id(NewSandboxId());
    info.set_module_sha256(module->sha256);
    info.set_created_unix_ms(absl::ToUnixMillis(absl::Now()));
    v1::Limits* l = info.mutable_limits();
    l->set_memory_bytes(limits.memory_bytes);
    l->set_max_memory_pages(limits.max_memory_pages);
    l->set_timeout_ms(absl::ToInt64Milliseconds(limits.timeout));
    l->set_fuel(limits.fuel);
    l->set_max_output_bytes(limits.max_output_bytes);
    // Recorded before it exists for anyone: an unrecorded sandbox is never made.
    if (absl::Status s = Audit({{"request", rid}, {"event", "sandbox_create"}, {"tenant", tenant->name},
                                {"module", module->sha256}, {"sandbox", info.id()}, {"decision", "allow"}});
        !s.ok()) {
      place->Release();
      return s;
    }
    *response = info;
    {
      std::lock_guard<std::mutex> lock(sandboxes_mu_);
      sandboxes_[tenant->name][info.id()] = entry;
    }
    place->Release();  // the sandbox counts itself now
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PalisadeService::GetSandbox(grpc::CallbackServerContext* ctx,
                                                      const v1::GetSandboxRequest* request,
                                                      v1::SandboxInfo* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant = Authenticate(ctx, "GetSandbox", rid);
  if (!tenant.ok()) return Finished(ctx, tenant.status());
  auto entry = FindSandbox(**tenant, request->id(), rid, "GetSandbox");
  if (entry.ok()) {
    *response = (*entry)->info;
    response->set_invocations((*entry)->invocations.load());
  }
  return Finished(ctx, entry.status());
}

grpc::ServerUnaryReactor* PalisadeService::ListSandboxes(grpc::CallbackServerContext* ctx,
                                                         const v1::ListSandboxesRequest*,
                                                         v1::ListSandboxesResponse* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant = Authenticate(ctx, "ListSandboxes", rid);
  if (!tenant.ok()) return Finished(ctx, tenant.status());
  std::lock_guard<std::mutex> lock(sandboxes_mu_);
  for (const auto& [id, entry] : sandboxes_[(*tenant)->name]) {
    v1::SandboxInfo* info = response->add_sandboxes();
    *info = entry->info;
    info->set_invocations(entry->invocations.load());
  }
  return Finished(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* PalisadeService::DestroySandbox(grpc::CallbackServerContext* ctx,
                                                          const v1::DestroySandboxRequest* request,
                                                          v1::DestroySandboxResponse*) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant = Authenticate(ctx, "DestroySandbox", rid);
  if (!tenant.ok()) return Finished(ctx, tenant.status());
  if (absl::Status s = CheckName(**tenant, "sandbox", request->id(), rid, "DestroySandbox"); !s.ok()) {
    return Finished(ctx, s);
  }
  std::shared_ptr<SandboxEntry> gone;
  {
    std::lock_guard<std::mutex> lock(sandboxes_mu_);
    auto& mine = sandboxes_[(*tenant)->name];
    auto it = mine.find(request->id());
    if (it == mine.end()) {
      (void)Audit({{"request", rid}, {"event", "lookup"}, {"method", "DestroySandbox"},
                   {"tenant", (*tenant)->name}, {"sandbox", request->id()}, {"decision", "deny"},
                   {"reason", "no such sandbox of this tenant"}});
      return Finished(ctx, absl::NotFoundError("no sandbox " + request->id()));
    }
    // Recorded before it happens: an unrecorded destroy does not happen.
    if (absl::Status s = Audit({{"request", rid}, {"event", "sandbox_destroy"}, {"tenant", (*tenant)->name},
                                {"sandbox", request->id()}, {"module", it->second->info.module_sha256()},
                                {"decision", "allow"}});
        !s.ok()) {
      return Finished(ctx, s);
    }
    gone = std::move(it->second);
    mine.erase(it);
  }
  // Its VMs go when the last call using them ends.
  return Finished(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* PalisadeService::Invoke(grpc::CallbackServerContext* ctx,
                                                  const v1::InvokeRequest* request,
                                                  v1::InvokeResponse* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant_or = Authenticate(ctx, "Invoke", rid);
  if (!tenant_or.ok()) return Finished(ctx, tenant_or.status());
  const Tenant* tenant = *tenant_or;
  auto entry_or = FindSandbox(*tenant, request->sandbox_id(), rid, "Invoke");
  if (!entry_or.ok()) return Finished(ctx, entry_or.status());
  absl::StatusOr<std::vector<abi::WasmValue>> args_or = FromProto(request->args());
  if (!args_or.ok()) return Finished(ctx, args_or.status());
  std::vector<abi::WasmValue> args = *std::move(args_or);
  if (absl::Status s = CheckCallRate(*tenant, "Invoke", rid); !s.ok()) return Finished(ctx, s);
  std::shared_ptr<SandboxEntry> entry = *std::move(entry_or);
  const absl::Time deadline = DeadlineFor(ctx, entry->warm->limits);
  return PooledCall::Start(this, *tenant, "Invoke", rid,
                           [this, rid, tenant, entry, request, response, args = std::move(args),
                            deadline](CallControl& control) -> absl::Status {
    entry->invocations.fetch_add(1);
    return CallWarm(*tenant, rid, *entry->warm, entry->info.module_sha256(), entry->info.id(), request->function(),
                    args, deadline, control, response);
  });
}

absl::Status PalisadeService::CallWarm(const Tenant& tenant, const std::string& rid, WarmModule& warm,
                                       const std::string& module, const std::string& sandbox,
                                       const std::string& function, const std::vector<abi::WasmValue>& args,
                                       absl::Time deadline, CallControl& control, v1::InvokeResponse* response) {
  nlohmann::json event = {{"request", rid}, {"event", "invoke_start"}, {"tenant", tenant.name},
                          {"sandbox", sandbox},   {"module", module},         {"function", function},
                          {"decision", "allow"}};
  RETURN_IF_ERROR(Audit(event));
  auto r = InvokeWarm(warm, function, args, deadline, &control);
  event["event"] = "invoke_end";
  if (!r.ok()) {
    event["decision"] = "error";
    event["outcome"] = OutcomeName(r.status());
    event["reason"] = std::string(r.status().message());
    RETURN_IF_ERROR(Audit(std::move(event)));
    return r.status();
  }
  RETURN_IF_ERROR(AuditDenials(tenant, rid, module, r->denials));
  if (!r->denials.empty()) event["denied_calls"] = r->denials;
  response->set_dirty_pages(r->dirty_pages);
  if (r->ended) {
    event["outcome"] = OutcomeName(*r->ended);
    if (r->ended->kind == abi::WasmOutcome::kTrapped) {
      FillTrap(*r->ended, response->mutable_trap());
    } else {
      response->set_exited(true);
      response->set_exit_code(static_cast<int32_t>(r->ended->code));
    }
  } else {
    event["outcome"] = "ok";
    for (const abi::WasmValue& w : r->results) {
      auto v = ToProto(w);
      if (!v.ok()) return v.status();
      *response->add_results() = *v;
    }
  }
  event["decision"] = "allow";
  // An answer whose decision is not on record is not given.
  if (absl::Status s = Audit(std::move(event)); !s.ok()) {
    response->Clear();
    return s;
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* PalisadeService::DescribeFunction(grpc::CallbackServerContext* ctx,
                                                            const v1::DescribeFunctionRequest* request,
                                                            v1::FunctionType* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant = Authenticate(ctx, "DescribeFunction", rid);
  if (!tenant.ok()) return Finished(ctx, tenant.status());
  auto entry_or = FindSandbox(**tenant, request->sandbox_id(), rid, "DescribeFunction");
  if (!entry_or.ok()) return Finished(ctx, entry_or.status());
  std::shared_ptr<SandboxEntry> entry = *std::move(entry_or);
  const absl::Time deadline = DeadlineFor(ctx, entry->warm->limits);
  return PooledCall::Start(this, **tenant, "DescribeFunction", rid,
                           [entry, request, response, deadline](CallControl& control) -> absl::Status {
    auto sig = DescribeWarm(*entry->warm, request->function(), deadline, &control);
    if (!sig.ok()) return sig.status();
    for (uint8_t t : sig->params) response->add_params(ToProtoType(t));
    for (uint8_t t : sig->results) response->add_results(ToProtoType(t));
    return absl::OkStatus();
  });
}

namespace {

// Collects a run's output for the unary forms, within the run's cap (the
// sandbox stops the program past it).
class BufferConsole final : public ConsoleSink {
 public:
  explicit BufferConsole(v1::RunWasiResponse* out) : out_(out) {}
  void Write(abi::ConsoleStream stream, std::string_view bytes) override {
    (stream == abi::ConsoleStream::kStderr ? out_->mutable_stderr() : out_->mutable_stdout())
        ->append(bytes);
  }

 private:
  v1::RunWasiResponse* out_;
};

// What a finished run returns from its writable directories.
absl::StatusOr<ReturnedChanges> ChangesOf(const absl::StatusOr<RunResult>& r, const Directories& dirs,
                                          const CallLimits& limits) {
  if (!r.ok()) return ReturnedChanges();
  return ChangesFromGuest(r->fs_changes, dirs, limits.max_changes_bytes);
}

// RunWasi and Run, once the module is at hand: run it, audit, answer with
// output, outcome and changes (whole files).
template <typename Request>
absl::Status RunToResponse(PalisadeService& service, const Tenant& tenant, const std::string& rid, const char* method,
                           std::span<const uint8_t> module, const std::string& digest, const Request& request,
                           const RunDirs& dirs, const CallLimits& limits, absl::Time deadline,
                           CallControl& control, v1::RunWasiResponse* response) {
  std::vector<std::string> args = {digest};
  args.insert(args.end(), request.args().begin(), request.args().end());
  BufferConsole console(response);
  RETURN_IF_ERROR(service.AuditRunStart(tenant, rid, digest, method, &request.dirs(), request.partial_results()));
  auto r = RunWasiProgram(module, args, Strings(request.env()), request.stdin(), dirs, limits, &console, deadline,
                          &control);
  absl::StatusOr<ReturnedChanges> changes = ChangesOf(r, request.dirs(), limits);
  if (absl::Status s = service.AuditRunEnd(tenant, rid, digest, method, r, &changes); !s.ok()) {
    response->Clear();
    return s;
  }
  if (!r.ok()) return r.status();
  RETURN_IF_ERROR(changes.status());
  FillRun(*r, response);
  response->set_changes_too_large(changes->too_large);
  for (v1::FileChange& c : changes->changes) *response->add_changes() = std::move(c);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* PalisadeService::RunWasi(grpc::CallbackServerContext* ctx,
                                                   const v1::RunWasiRequest* request,
                                                   v1::RunWasiResponse* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant_or = Authenticate(ctx, "RunWasi", rid);
  if (!tenant_or.ok()) return Finished(ctx, tenant_or.status());
  const Tenant* tenant = *tenant_or;
  auto module = LocateModule(ctx, *tenant, request->module_sha256(), request->module(), rid, "RunWasi");
  if (!module.ok()) return Finished(ctx, module.status());
  if (absl::Status s = CheckEnvironment(*tenant, request->env_size(), "RunWasi", rid); !s.ok()) return Finished(ctx, s);
  auto dirs = PrepareDirs(*tenant, request->dirs(), request->partial_results(), "RunWasi", rid);
  if (!dirs.ok()) return Finished(ctx, dirs.status());
  if (absl::Status s = CheckCallRate(*tenant, "RunWasi", rid); !s.ok()) return Finished(ctx, s);
  const CallLimits limits = Clamp(*tenant, request->limits());
  const absl::Time deadline = DeadlineFor(ctx, limits);
  return PooledCall::Start(this, *tenant, "RunWasi", rid,
                           [this, rid, tenant, request, response, ref = *module, dirs = *dirs, limits,
                            deadline](CallControl& control) -> absl::Status {
    ASSIGN_OR_RETURN(std::shared_ptr<const StoredModule> module, Materialize(*tenant, rid, ref, deadline));
    return RunToResponse(*this, *tenant, rid, "RunWasi", module->bytes, module->sha256, *request, *dirs, limits,
                         deadline, control, response);
  });
}

grpc::ServerWriteReactor<v1::RunWasiEvent>* PalisadeService::RunWasiStream(
    grpc::CallbackServerContext* ctx, const v1::RunWasiRequest* request) {
  StreamRunCall* call = std::make_unique<StreamRunCall>().release();  // gRPC's until OnDone
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant_or = Authenticate(ctx, "RunWasiStream", rid);
  if (!tenant_or.ok()) {
    call->End(tenant_or.status());
    return call;
  }
  const Tenant* tenant = *tenant_or;
  auto module = LocateModule(ctx, *tenant, request->module_sha256(), request->module(), rid, "RunWasiStream");
  if (!module.ok() || draining()) {
    call->End(module.ok() ? Refuse(*tenant, "RunWasiStream", rid, absl::StatusCode::kUnavailable,
                                   "the server is shutting down")
                          : module.status());
    return call;
  }
  absl::Status allowed = CheckEnvironment(*tenant, request->env_size(), "RunWasiStream", rid);
  absl::StatusOr<std::shared_ptr<const RunDirs>> dirs =
      allowed.ok() ? PrepareDirs(*tenant, request->dirs(), request->partial_results(), "RunWasiStream", rid)
                   : allowed;
  if (dirs.ok()) allowed = CheckCallRate(*tenant, "RunWasiStream", rid);
  else allowed = dirs.status();
  absl::StatusOr<CallSlot> slot = allowed.ok() ? AdmitCall(*tenant, "RunWasiStream", rid) : allowed;
  if (!slot.ok()) {
    call->End(slot.status());
    return call;
  }
  call->Hold(*std::move(slot));
  const CallLimits limits = Clamp(*tenant, request->limits());
  const absl::Time deadline = DeadlineFor(ctx, limits);
  const bool queued = workers_->TrySubmit(tenant->name, [this, rid, call, tenant, request, ref = *module,
                                           dirs = *dirs, limits, deadline] {
    absl::StatusOr<std::shared_ptr<const StoredModule>> module = Materialize(*tenant, rid, ref, deadline);
    if (!module.ok()) {
      call->End(module.status());
      return;
    }
    std::vector<std::string> args = {(*module)->sha256};
    args.insert(args.end(), request->args().begin(), request->args().end());
    if (absl::Status s = AuditRunStart(*tenant, rid, (*module)->sha256, "RunWasiStream", &request->dirs(),
                                       request->partial_results());
        !s.ok()) {
      call->End(s);
      return;
    }
    auto r = RunWasiProgram((*module)->bytes, args, Strings(request->env()), request->stdin(), *dirs, limits,
                            call, deadline, &call->control());
    absl::StatusOr<ReturnedChanges> changes = ChangesOf(r, request->dirs(), limits);
    // Output already streamed cannot be taken back; the call still ends
    // refused when its end is not on record.
    if (absl::Status s = AuditRunEnd(*tenant, rid, (*module)->sha256, "RunWasiStream", r, &changes); !s.ok()) {
      call->End(s);
      return;
    }
    if (r.ok() && !changes.ok()) {
      call->End(changes.status());
      return;
    }
    if (r.ok()) {
      for (const v1::FileChange& c : changes->changes) {
        bool sent = true;
        ForEachPiece(c, kChangePieceBytes, [&](v1::FileChange piece) {
          v1::RunWasiEvent e;
          *e.mutable_change() = std::move(piece);
          sent = sent && call->PushPaced(std::move(e));
        });
        if (!sent) break;
      }
      v1::RunWasiEvent done;
      FillRun(*r, done.mutable_done());
      done.mutable_done()->set_changes_too_large(changes->too_large);
      call->PushPaced(std::move(done));
    }
    call->End(r.status());
  });
  CountCall();  // after the queue has it: see CountCall
  if (!queued) {
    call->End(Refuse(*tenant, "RunWasiStream", rid, absl::StatusCode::kResourceExhausted,
                     "server busy: the call queue is full"));
  }
  return call;
}

grpc::ServerUnaryReactor* PalisadeService::Run(grpc::CallbackServerContext* ctx,
                                               const v1::RunRequest* request,
                                               v1::RunWasiResponse* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant_or = Authenticate(ctx, "Run", rid);
  if (!tenant_or.ok()) return Finished(ctx, tenant_or.status());
  const Tenant* tenant = *tenant_or;
  std::shared_ptr<const StoredModule> stored;
  if (request->has_module_sha256()) {
    auto m = FindModule(*tenant, request->module_sha256(), rid, "Run");
    if (!m.ok()) return Finished(ctx, m.status());
    stored = *m;
  } else if (request->module_bytes().size() > ModuleCapFor(*tenant)) {
    return Finished(ctx, absl::ResourceExhaustedError(absl::StrCat(
                             "module exceeds the ", ModuleCapFor(*tenant), "-byte cap")));
  }
  if (absl::Status s = CheckEnvironment(*tenant, request->env_size(), "Run", rid); !s.ok()) return Finished(ctx, s);
  auto dirs = PrepareDirs(*tenant, request->dirs(), request->partial_results(), "Run", rid);
  if (!dirs.ok()) return Finished(ctx, dirs.status());
  if (absl::Status s = CheckCallRate(*tenant, "Run", rid); !s.ok()) return Finished(ctx, s);
  const CallLimits limits = Clamp(*tenant, request->limits());
  const absl::Time deadline = DeadlineFor(ctx, limits);
  return PooledCall::Start(this, *tenant, "Run", rid,
                           [this, rid, tenant, request, response, stored, dirs = *dirs, limits,
                            deadline](CallControl& control) -> absl::Status {
    std::span<const uint8_t> bytes =
        stored != nullptr ? std::span<const uint8_t>(stored->bytes)
                          : std::span<const uint8_t>(
                                reinterpret_cast<const uint8_t*>(request->module_bytes().data()),
                                request->module_bytes().size());
    const std::string digest = stored != nullptr ? stored->sha256 : Sha256Hex(bytes);
    return RunToResponse(*this, *tenant, rid, "Run", bytes, digest, *request, *dirs, limits, deadline, control,
                         response);
  });
}

absl::Status PalisadeService::AuditDenials(const Tenant& tenant, const std::string& rid,
                                           const std::string& module,
                                           const std::vector<std::string>& functions) {
  for (const std::string& f : functions) {
    RETURN_IF_ERROR(Audit({{"request", rid}, {"event", "policy"}, {"tenant", tenant.name}, {"module", module},
                           {"function", f}, {"decision", "deny"},
                           {"reason", absl::StrCat("WASI function denied by policy '",
                                                   tenant.policy != nullptr ? tenant.policy->proto.name() : "",
                                                   "'")}}));
  }
  return absl::OkStatus();
}

absl::Status PalisadeService::AuditRunStart(const Tenant& tenant, const std::string& rid,
                                            const std::string& module, const char* method,
                                            const Directories* dirs, bool partial_results) {
  nlohmann::json event = {{"request", rid}, {"event", "run_start"}, {"method", method}, {"tenant", tenant.name},
                          {"module", module}, {"decision", "allow"}};
  if (dirs != nullptr && !dirs->empty()) {
    // Which directories the program was given, by guest path, and how many
    // entries each carried: enough to tell what a run could read or change.
    nlohmann::json given = nlohmann::json::array();
    for (const v1::Directory& d : *dirs) {
      given.push_back({{"guest_path", d.guest_path()}, {"writable", d.writable()}, {"files", d.files_size()}});
    }
    event["dirs"] = std::move(given);
    event["partial_results"] = partial_results;
  }
  return Audit(std::move(event));
}

absl::Status PalisadeService::AuditRunEnd(const Tenant& tenant, const std::string& rid,
                                          const std::string& module, const char* method,
                                          const absl::StatusOr<RunResult>& r,
                                          const absl::StatusOr<ReturnedChanges>* changes) {
  nlohmann::json event = {{"request", rid}, {"event", "run_end"}, {"method", method},
                          {"tenant", tenant.name}, {"module", module}};
  if (!r.ok()) {
    event["decision"] = "error";
    event["outcome"] = OutcomeName(r.status());
    event["reason"] = std::string(r.status().message());
  } else {
    RETURN_IF_ERROR(AuditDenials(tenant, rid, module, r->denials));
    event["decision"] = "allow";
    event["outcome"] = r->output_truncated ? "output_limit" : OutcomeName(r->outcome);
    event["exit_code"] = r->outcome.kind == abi::WasmOutcome::kExited ? r->outcome.code : 134;
    if (!r->denials.empty()) event["denied_calls"] = r->denials;
    if (changes != nullptr && !changes->ok()) {
      event["changes_error"] = std::string(changes->status().message());
    } else if (changes != nullptr && ((*changes)->too_large || !(*changes)->changes.empty())) {
      // What the run returned from its writable directories.
      event["changes"] = (*changes)->changes.size();
      event["changed_bytes"] = (*changes)->bytes;
      if ((*changes)->too_large) event["changes_too_large"] = true;
    }
  }
  return Audit(std::move(event));
}

grpc::ServerUnaryReactor* PalisadeService::GetStats(grpc::CallbackServerContext* ctx,
                                                    const v1::GetStatsRequest*, v1::Stats* response) {
  const std::string rid = RequestId(ctx);
  absl::StatusOr<const Tenant*> tenant = Authenticate(ctx, "GetStats", rid);
  if (!tenant.ok()) return Finished(ctx, tenant.status());
  // The caller's own modules and sandboxes: counts across tenants would tell
  // one tenant about another.
  response->set_modules(modules_.count_of((*tenant)->name));
  response->set_module_bytes(modules_.bytes_of((*tenant)->name));
  response->set_calls_in_flight((*tenant)->in_flight->load());
  response->set_module_pools(static_cast<uint32_t>(pools_.pools_of((*tenant)->name)));
  response->set_replica(config_.replica());
  {
    std::lock_guard<std::mutex> lock(sandboxes_mu_);
    auto mine = sandboxes_.find((*tenant)->name);
    response->set_sandboxes(mine == sandboxes_.end() ? 0 : mine->second.size());
  }
  response->set_calls_total(calls_.load());
  response->set_calls_rejected(workers_->rejected());
  response->set_workers(static_cast<uint32_t>(workers_->workers()));
  response->set_queue_capacity(static_cast<uint32_t>(workers_->capacity()));
  response->set_queue_depth(static_cast<uint32_t>(workers_->queued()));
  response->set_running(static_cast<uint32_t>(workers_->running()));
  response->set_uptime_ms(absl::ToInt64Milliseconds(absl::Now() - started_));
  response->set_audit_failures(audit_failures_.load());
  if (audit_ != nullptr) {
    response->set_audit_head(audit_->head());
    response->set_audit_seq(audit_->seq());
  }
  return Finished(ctx, absl::OkStatus());
}

}  // namespace palisade::server

#include "server/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/service.h"
#include "vmm/vm_counters.h"

namespace palisade::server {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Latencies from a warm invoke (well under a millisecond) to a long run.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

MetricFamily Family(const char* name, const char* help, MetricType type,
                    std::vector<std::pair<std::vector<ClientMetric::Label>, double>> values) {
  MetricFamily f{name, help, type, {}};
  for (auto& [labels, value] : values) {
    ClientMetric m;
    m.label = std::move(labels);
    if (type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    f.metric.push_back(std::move(m));
  }
  return f;
}

// The service's state and the VM counters, read at every scrape.
class StateCollector final : public prometheus::Collectable {
 public:
  explicit StateCollector(const PalisadeService& service) : service_(service) {}
  std::vector<MetricFamily> Collect() const override {
    const PalisadeService::Gauges g = service_.gauges();
    const VmCounters& vm = ProcessVmCounters();
    auto d = [](uint64_t v) { return static_cast<double>(v); };
    const auto G = MetricType::Gauge;
    const auto C = MetricType::Counter;
    return {
        Family("palisade_sandboxes", "Sandboxes made by CreateSandbox and not destroyed", G, {{{}, d(g.sandboxes)}}),
        Family("palisade_module_pools", "InvokeModule warm pools held now", G, {{{}, d(g.module_pools)}}),
        Family("palisade_module_pools_made_total", "InvokeModule pools made", C, {{{}, d(g.module_pools_made)}}),
        Family("palisade_module_pools_evicted_total", "InvokeModule pools dropped (idle, or for room)", C,
               {{{}, d(g.module_pools_evicted)}}),
        Family("palisade_vm_boots_total", "Micro-VMs started", C,
               {{{{"kind", "fresh"}}, d(vm.boots.load())}, {{{"kind", "snapshot"}}, d(vm.snapshot_starts.load())}}),
        Family("palisade_vm_exits_total", "VM exits (KVM_RUN returns)", C, {{{}, d(vm.exits.load())}}),
        Family("palisade_vm_resets_total", "Sandboxes reset to their snapshot", C, {{{}, d(vm.resets.load())}}),
        Family("palisade_vm_reset_pages_total", "Guest pages those resets dropped", C,
               {{{}, d(vm.pages_reset.load())}}),
        Family("palisade_audit_writes_total", "Audit log lines written", C, {{{}, d(g.audit_writes)}}),
        Family("palisade_audit_write_failures_total", "Decisions the audit log could not record", C,
               {{{}, d(g.audit_failures)}}),
        Family("palisade_workers", "VM worker threads", G, {{{}, d(g.workers)}}),
        Family("palisade_workers_busy", "Workers running a call", G, {{{}, d(g.running)}}),
        Family("palisade_worker_queue_depth", "Calls waiting for a worker", G, {{{}, d(g.queue_depth)}}),
        Family("palisade_worker_queue_capacity", "Calls that may wait", G, {{{}, d(g.queue_capacity)}}),
        Family("palisade_calls_rejected_total", "Calls refused because the queue was full", C,
               {{{}, d(g.calls_rejected)}}),
        Family("palisade_modules_stored", "Modules in the store", G, {{{}, d(g.modules)}}),
        Family("palisade_module_store_bytes", "Bytes of the stored modules", G, {{{}, d(g.module_bytes)}}),
        Family("palisade_draining", "1 while shutting down", G, {{{}, g.draining ? 1.0 : 0.0}}),
    };
  }

 private:
  const PalisadeService& service_;
};

// "/palisade.v1.Palisade/Invoke" -> "Invoke"; other services keep their name.
std::string MethodLabel(const char* full) {
  std::string m = full != nullptr ? full : "";
  constexpr std::string_view kOurs = "/palisade.v1.Palisade/";
  if (m.rfind(kOurs, 0) == 0) return m.substr(kOurs.size());
  return m.empty() ? "unknown" : m.substr(1);
}

// gRPC's own spelling of a status code ("NOT_FOUND").
std::string CodeLabel(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace

struct Metrics::State {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::shared_ptr<StateCollector> collector;
  prometheus::Family<prometheus::Counter>* calls = nullptr;
  prometheus::Family<prometheus::Histogram>* latency = nullptr;
  std::unique_ptr<prometheus::Exposer> exposer;
  const PalisadeService* service = nullptr;
};

namespace {

class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(grpc::experimental::ServerRpcInfo* info, Metrics::State* state)
      : state_(state), method_(MethodLabel(info->method())), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto* md = methods->GetRecvInitialMetadata();
      if (md != nullptr) {
        auto it = md->find("authorization");
        if (it != md->end()) tenant_ = state_->service->TenantOf(std::string_view(it->second.data(), it->second.size()));
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const std::string code = CodeLabel(methods->GetSendStatus().error_code());
      const std::string tenant = tenant_.empty() ? "-" : tenant_;
      state_->calls->Add({{"tenant", tenant}, {"method", method_}, {"code", code}}).Increment();
      state_->latency->Add({{"tenant", tenant}, {"method", method_}}, kLatencyBuckets)
          .Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  Metrics::State* state_;
  const std::string method_;
  const absl::Time start_;
  std::string tenant_;
};

class InterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InterceptorFactory(Metrics::State* state) : state_(state) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return std::make_unique<CallInterceptor>(info, state_).release();  // gRPC owns it
  }

 private:
  Metrics::State* state_;
};

}  // namespace

Metrics::Metrics(std::unique_ptr<State> state) : state_(std::move(state)) {}
Metrics::~Metrics() = default;

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Serve(const std::string& address, const PalisadeService& service) {
  auto state = std::make_unique<State>();
  state->service = &service;
  state->calls = &prometheus::BuildCounter()
                      .Name("palisade_calls_total")
                      .Help("RPCs by tenant, method and the status they ended with")
                      .Register(*state->registry);
  state->latency = &prometheus::BuildHistogram()
                        .Name("palisade_call_duration_seconds")
                        .Help("RPC latency from arrival to the status being sent")
                        .Register(*state->registry);
  state->collector = std::make_shared<StateCollector>(service);
  // prometheus-cpp reports a listener it cannot open by throwing; that is
  // the one exception this server lets a library raise, and it stops here.
  try {
    state->exposer = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  state->exposer->RegisterCollectable(state->registry);
  state->exposer->RegisterCollectable(state->collector);
  return std::make_unique<Metrics>(std::move(state));
}

int Metrics::port() const {
  const std::vector<int> ports = state_->exposer->GetListeningPorts();
  return ports.empty() ? -1 : ports.front();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Metrics::InterceptorFactory() {
  return std::make_unique<server::InterceptorFactory>(state_.get());
}

}  // namespace palisade::server

// palisaded's Prometheus metrics (`--metrics ADDR`, prometheus-cpp), on a
// listener of their own so a scraper never shares the API's port or tokens.
//
//   palisade_calls_total{tenant,method,code}          every RPC, as it ended
//   palisade_call_duration_seconds{tenant,method}     histogram of the same
//   palisade_sandboxes, palisade_module_pools          live now
//   palisade_module_pools_made_total / _evicted_total
//   palisade_vm_boots_total{kind="fresh|snapshot"}, palisade_vm_exits_total,
//   palisade_vm_resets_total, palisade_vm_reset_pages_total
//   palisade_audit_writes_total, palisade_audit_write_failures_total
//   palisade_workers, palisade_workers_busy, palisade_worker_queue_depth,
//   palisade_worker_queue_capacity, palisade_calls_rejected_total
//   palisade_modules_stored, palisade_module_store_bytes, palisade_draining
//
// Calls are counted by a gRPC server interceptor (one place for every
// method, health and reflection included); the rest is read from the
// service and the VM counters when Prometheus scrapes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

#include "absl/status/statusor.h"

namespace palisade::server {

class PalisadeService;

class Metrics {
 public:
  // Listens on `address` (host:port; port 0 picks one). The service must
  // outlive this object.
  static absl::StatusOr<std::unique_ptr<Metrics>> Serve(const std::string& address, const PalisadeService& service);
  ~Metrics();

  // The port it listens on.
  int port() const;
  // The interceptor factory for grpc::ServerBuilder (counts calls here).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  struct State;  // prometheus-cpp's objects, out of this header
  explicit Metrics(std::unique_ptr<State> state);

 private:
  std::unique_ptr<State> state_;
};

}  // namespace palisade::server

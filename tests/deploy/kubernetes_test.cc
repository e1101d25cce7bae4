// deploy/kubernetes rendered by `kubectl kustomize` (Debian's
// kubernetes-client) and the rendered objects checked: what docs/DEPLOY.md
// promises is what a cluster would get. The shipped palisaded config and
// tenants file are started for real.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "palisade/v1/palisade.grpc.pb.h"
#include "tests/support/palisaded_process.h"
#include "tests/support/subprocess.h"

namespace palisade {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kBase[] = PALISADE_SOURCE_DIR "/deploy/kubernetes";
constexpr char kKubectl[] = "/usr/bin/kubectl";

// kind/name -> object, from the rendered YAML (PyYAML turns it into JSON).
std::map<std::string, json> Render() {
  testing::ProcessResult r = testing::RunProcess({kKubectl, "kustomize", kBase});
  EXPECT_EQ(r.status, 0) << r.err;
  testing::ProcessResult j = testing::RunProcess(
      {"/usr/bin/python3", "-c", "import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))"},
      r.out);
  EXPECT_EQ(j.status, 0) << j.err;
  std::map<std::string, json> objects;
  for (const json& o : json::parse(j.out)) objects[o["kind"].get<std::string>() + "/" + o["metadata"]["name"].get<std::string>()] = o;
  return objects;
}

bool HaveKubectl() { return access(kKubectl, X_OK) == 0; }

TEST(Kubernetes, TheBaseRendersAPalisadedDaemonSetOnKvmNodesWithGrpcProbes) {
  if (!HaveKubectl()) GTEST_SKIP() << "no kubectl (bash scripts/dev.sh deps installs kubernetes-client)";
  std::map<std::string, json> o = Render();
  ASSERT_TRUE(o.count("DaemonSet/palisaded")) << "rendered: " << o.size() << " objects";
  const json& pod = o["DaemonSet/palisaded"]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["nodeSelector"]["palisade.dev/kvm"], "true");
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["readinessProbe"]["grpc"]["port"], 7001);
  EXPECT_EQ(c["livenessProbe"]["grpc"]["service"], "palisade.v1.Liveness");
  // /dev/kvm from a device plugin, never a privileged container.
  EXPECT_EQ(c["resources"]["limits"]["devices.kubevirt.io/kvm"], "1");
  EXPECT_EQ(c["resources"]["requests"]["devices.kubevirt.io/kvm"], "1");
  EXPECT_FALSE(c["securityContext"].value("privileged", false));
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(c["securityContext"]["capabilities"]["drop"][0], "ALL");
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_TRUE(c["resources"]["limits"].contains("memory"));
  EXPECT_TRUE(c["resources"]["requests"].contains("memory"));
  EXPECT_THAT(c["args"].dump(), HasSubstr("--replica=$(POD_NAME)"));
  // Config from the ConfigMap, tenants from the Secret, audit on the node.
  std::map<std::string, std::string> volumes;
  for (const json& v : pod["volumes"]) volumes[v["name"]] = v.dump();
  EXPECT_THAT(volumes["config"], HasSubstr("palisaded-config-"));  // the generator's hashed name
  EXPECT_THAT(volumes["tenants"], HasSubstr("palisaded-tenants-"));
  EXPECT_THAT(volumes["audit"], HasSubstr("hostPath"));
  // Services: headless for client-side balancing, plain for a balancer.
  EXPECT_EQ(o["Service/palisaded-headless"]["spec"]["clusterIP"], "None");
  EXPECT_TRUE(o.count("Service/palisaded"));
  EXPECT_EQ(o["PodDisruptionBudget/palisaded"]["spec"]["maxUnavailable"], 1);
  // Everything in the namespace, selectors matching the pods.
  for (const auto& [name, obj] : o) {
    if (obj["kind"] != "Namespace") EXPECT_EQ(obj["metadata"]["namespace"], "palisade") << name;
  }
  const json& labels = o["DaemonSet/palisaded"]["spec"]["template"]["metadata"]["labels"];
  for (const char* s : {"Service/palisaded-headless", "Service/palisaded"}) {
    for (const auto& [k, v] : o[s]["spec"]["selector"].items()) EXPECT_EQ(labels[k], v) << s << " " << k;
  }
}

TEST(Kubernetes, TheShippedConfigAndTenantsStartAPalisaded) {
  // The ConfigMap's config as palisaded reads it, with the cluster's paths
  // moved into this test's directory.
  std::ifstream in(std::string(kBase) + "/palisaded.textproto");
  std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto replace = [&](const std::string& from, const std::string& to) {
    const size_t at = config.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    config.replace(at, from.size(), to);
  };
  replace("/etc/palisade/tenants/tenants.textproto", "tenants.textproto");
  replace("/var/lib/palisade/audit/audit.jsonl", "$DIR/audit.jsonl");
  replace("0.0.0.0:9464", "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()));
  std::ifstream t(std::string(kBase) + "/tenants.textproto");
  std::string tenants((std::istreambuf_iterator<char>(t)), std::istreambuf_iterator<char>());
  testing::PalisadedProcess server;
  ASSERT_EQ(server.Start(config, {{"tenants.textproto", tenants}}), "");
  auto stub = v1::Palisade::NewStub(server.channel());
  v1::Stats stats;
  EXPECT_TRUE(stub->GetStats(testing::AuthedContext("change-me").get(), {}, &stats).ok());
}

}  // namespace
}  // namespace palisade

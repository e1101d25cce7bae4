#include "policy/seccomp_filter.h"

#include <linux/kvm.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/text_proto.h"
#include "common/unique_fd.h"
#include "policy/seccomp_policies.h"

namespace palisade::policy {
namespace {

// Names a policy file may use for argument values.
const std::map<std::string, uint64_t>& Constants() {
  static const std::map<std::string, uint64_t> table{
#define C(x) {#x, static_cast<uint64_t>(x)}
      C(KVM_GET_API_VERSION), C(KVM_CREATE_VM), C(KVM_CHECK_EXTENSION), C(KVM_GET_VCPU_MMAP_SIZE),
      C(KVM_GET_SUPPORTED_CPUID), C(KVM_CREATE_VCPU), C(KVM_SET_USER_MEMORY_REGION), C(KVM_SET_TSS_ADDR),
      C(KVM_GET_DIRTY_LOG), C(KVM_RUN), C(KVM_GET_REGS), C(KVM_SET_REGS), C(KVM_GET_SREGS),
      C(KVM_SET_SREGS), C(KVM_SET_CPUID2), C(KVM_GET_VCPU_EVENTS), C(KVM_SET_VCPU_EVENTS),
      C(KVM_GET_XSAVE), C(KVM_SET_XSAVE), C(KVM_GET_XCRS), C(KVM_SET_XCRS), C(KVMIO),
      C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC), C(PR_SET_NAME), C(PR_GET_NAME), C(PR_SET_NO_NEW_PRIVS), C(TCGETS),
      C(FIONBIO), C(FIONREAD), C(SOL_SOCKET), C(SIGPIPE),
#undef C
      // vmm/vcpu.cc's Vcpu::KickSignal(), installed when the first vCPU is made.
      {"VCPU_KICK_SIGNAL", static_cast<uint64_t>(SIGRTMIN + 2)},
      {"KVM_IOCTL_TYPE_MASK", 0xff00},  // _IOC_TYPE's bits: all of KVM's ioctls have KVMIO there
      {"KVMIO_TYPE", static_cast<uint64_t>(KVMIO) << 8},
  };
  return table;
}

std::string ValueText(uint64_t v, const std::string& name) {
  return name.empty() ? absl::StrFormat("%#x", v) : absl::StrFormat("%s (%#x)", name, v);
}

absl::Status Check(const v1::SeccompPolicy& p, const TextProtoFile& file) {
  std::vector<std::string> problems;
  for (int i = 0; i < p.allow_size(); ++i) {
    const v1::SyscallRule& r = p.allow(i);
    if (seccomp_syscall_resolve_name(r.syscall().c_str()) == __NR_SCMP_ERROR) {
      problems.push_back(absl::StrCat(file.Where(p, {{"allow", i}, {"syscall", 0}}), ": allow[", i,
                                      "].syscall: '", r.syscall(), "' is not a system call libseccomp knows"));
    }
    for (int j = 0; j < r.when_size(); ++j) {
      const v1::ArgCondition& c = r.when(j);
      const std::string where = absl::StrCat(file.Where(p, {{"allow", i}, {"when", j}}), ": allow[", i,
                                             "].when[", j, "]");
      if (c.arg() > 5) problems.push_back(where + ".arg: system calls have arguments 0 to 5");
      for (const std::string* n : {&c.value_name(), &c.mask_name()}) {
        if (!n->empty() && Constants().count(*n) == 0) {
          problems.push_back(absl::StrCat(where, ": unknown constant '", *n, "'"));
        }
      }
      if (c.op() == v1::ArgCondition::MASKED_EQ && c.mask() == 0 && c.mask_name().empty()) {
        problems.push_back(where + ": MASKED_EQ needs mask or mask_name");
      }
    }
  }
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  return absl::OkStatus();
}

uint64_t Resolve(uint64_t value, const std::string& name) {
  return name.empty() ? value : Constants().at(name);
}

absl::Status FromSeccomp(int rc, const std::string& what) {
  if (rc == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(-rc)));
}

}  // namespace

void SeccompFilter::ContextDeleter::operator()(void* ctx) const { seccomp_release(ctx); }

absl::StatusOr<SeccompFilter> SeccompFilter::Compile(const v1::SeccompPolicy& p, SeccompMode mode) {
  std::unique_ptr<void, ContextDeleter> ctx(
      seccomp_init(mode == SeccompMode::kEnforce ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  for (const v1::SyscallRule& r : p.allow()) {
    const int nr = seccomp_syscall_resolve_name(r.syscall().c_str());
    if (nr == __NR_SCMP_ERROR) return absl::InvalidArgumentError("unknown system call " + r.syscall());
    std::vector<scmp_arg_cmp> cmps;
    for (const v1::ArgCondition& c : r.when()) {
      const uint64_t value = Resolve(c.value(), c.value_name());
      switch (c.op()) {
        case v1::ArgCondition::EQ: cmps.push_back(SCMP_CMP(c.arg(), SCMP_CMP_EQ, value)); break;
        case v1::ArgCondition::NE: cmps.push_back(SCMP_CMP(c.arg(), SCMP_CMP_NE, value)); break;
        case v1::ArgCondition::LE: cmps.push_back(SCMP_CMP(c.arg(), SCMP_CMP_LE, value)); break;
        case v1::ArgCondition::MASKED_EQ:
          cmps.push_back(SCMP_CMP(c.arg(), SCMP_CMP_MASKED_EQ, Resolve(c.mask(), c.mask_name()), value));
          break;
        default: return absl::InvalidArgumentError("unknown comparison in a rule for " + r.syscall());
      }
    }
    const int rc = seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, nr, static_cast<unsigned>(cmps.size()),
                                          cmps.empty() ? nullptr : cmps.data());
    if (absl::Status s = FromSeccomp(rc, "adding the rule for " + r.syscall()); !s.ok()) return s;
  }
  return SeccompFilter(std::move(ctx));
}

absl::Status SeccompFilter::InstallOnAllThreads() const {
  if (absl::Status s = FromSeccomp(seccomp_attr_set(ctx_.get(), SCMP_FLTATR_CTL_TSYNC, 1), "TSYNC"); !s.ok()) {
    return s;
  }
  return FromSeccomp(seccomp_load(ctx_.get()), "loading the seccomp filter");
}

absl::Status SeccompFilter::InstallOnThisThread() const {
  return FromSeccomp(seccomp_load(ctx_.get()), "loading the seccomp filter");
}

absl::StatusOr<std::string> SeccompFilter::ExportBpf() const {
  UniqueFd fd(memfd_create("palisade-bpf", MFD_CLOEXEC));
  if (!fd.valid()) return absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno)));
  if (absl::Status s = FromSeccomp(seccomp_export_bpf(ctx_.get(), fd.get()), "exporting BPF"); !s.ok()) return s;
  const off_t size = lseek(fd.get(), 0, SEEK_END);
  std::string bpf(static_cast<size_t>(size), '\0');
  if (pread(fd.get(), bpf.data(), bpf.size(), 0) != size) return absl::InternalError("reading the BPF back");
  return bpf;
}

std::vector<std::string> BuiltinSeccompPolicyNames() {
  std::vector<std::string> names;
  for (const EmbeddedSeccompPolicy& e : EmbeddedSeccompPolicies()) names.push_back(e.name);
  return names;
}

absl::StatusOr<v1::SeccompPolicy> BuiltinSeccompPolicy(const std::string& name) {
  for (const EmbeddedSeccompPolicy& e : EmbeddedSeccompPolicies()) {
    if (name == e.name) return ParseSeccompPolicy(e.text, "policy/seccomp/" + name + ".textproto");
  }
  return absl::NotFoundError("no built-in seccomp policy '" + name + "' (there are: " +
                             absl::StrJoin(BuiltinSeccompPolicyNames(), ", ") + ")");
}

// Puts the rules of the built-in policies `p` extends before its own.
static absl::Status ResolveExtends(v1::SeccompPolicy* p, int depth = 0) {
  if (p->extends_size() == 0) return absl::OkStatus();
  if (depth > 4) return absl::InvalidArgumentError("seccomp policy '" + p->name() + "': extends nests too deeply");
  google::protobuf::RepeatedPtrField<v1::SyscallRule> rules;
  for (const std::string& base_name : p->extends()) {
    absl::StatusOr<v1::SeccompPolicy> base = BuiltinSeccompPolicy(base_name);
    if (!base.ok()) {
      return absl::InvalidArgumentError("seccomp policy '" + p->name() + "' extends: " +
                                        std::string(base.status().message()));
    }
    if (absl::Status s = ResolveExtends(&*base, depth + 1); !s.ok()) return s;
    rules.MergeFrom(base->allow());
  }
  rules.MergeFrom(p->allow());
  p->mutable_allow()->Swap(&rules);
  return absl::OkStatus();
}

absl::StatusOr<v1::SeccompPolicy> ParseSeccompPolicy(const std::string& text, const std::string& filename) {
  v1::SeccompPolicy p;
  TextProtoFile file;
  file.filename = filename;
  if (absl::Status s = ParseTextProto(text, &p, &file); !s.ok()) return s;
  if (absl::Status s = Check(p, file); !s.ok()) return s;
  if (absl::Status s = ResolveExtends(&p); !s.ok()) return s;
  return p;
}

absl::StatusOr<v1::SeccompPolicy> LoadSeccompPolicy(const std::string& name_or_path) {
  if (name_or_path.find('/') == std::string::npos && name_or_path.find('.') == std::string::npos) {
    return BuiltinSeccompPolicy(name_or_path);
  }
  v1::SeccompPolicy p;
  TextProtoFile file;
  if (absl::Status s = LoadTextProto(name_or_path, &p, &file); !s.ok()) return s;
  if (absl::Status s = Check(p, file); !s.ok()) return s;
  if (absl::Status s = ResolveExtends(&p); !s.ok()) return s;
  return p;
}

std::string ExplainSeccompPolicy(const v1::SeccompPolicy& p) {
  std::string out = absl::StrCat("seccomp policy '", p.name(), "'");
  if (!p.description().empty()) absl::StrAppend(&out, ": ", p.description());
  absl::StrAppend(&out, "\nAnything not listed kills the process (SIGSYS); in log mode it is allowed and logged.\n");
  for (const v1::SyscallRule& r : p.allow()) {
    const int nr = seccomp_syscall_resolve_name(r.syscall().c_str());
    std::string line = absl::StrFormat("  allow %-18s (#%d)", r.syscall(), nr);
    std::vector<std::string> conds;
    for (const v1::ArgCondition& c : r.when()) {
      const std::string v = ValueText(Resolve(c.value(), c.value_name()), c.value_name());
      switch (c.op()) {
        case v1::ArgCondition::EQ: conds.push_back(absl::StrCat("arg", c.arg(), " == ", v)); break;
        case v1::ArgCondition::NE: conds.push_back(absl::StrCat("arg", c.arg(), " != ", v)); break;
        case v1::ArgCondition::LE: conds.push_back(absl::StrCat("arg", c.arg(), " <= ", v)); break;
        case v1::ArgCondition::MASKED_EQ:
          conds.push_back(absl::StrCat("(arg", c.arg(), " & ",
                                       ValueText(Resolve(c.mask(), c.mask_name()), c.mask_name()), ") == ", v));
          break;
        default: break;
      }
    }
    if (!conds.empty()) absl::StrAppend(&line, " when ", absl::StrJoin(conds, " and "));
    if (!r.why().empty()) absl::StrAppend(&line, "  # ", r.why());
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

absl::StatusOr<std::optional<SeccompMode>> ParseSeccompMode(const std::string& text) {
  if (text == "enforce") return std::optional<SeccompMode>(SeccompMode::kEnforce);
  if (text == "log") return std::optional<SeccompMode>(SeccompMode::kLog);
  if (text == "off") return std::optional<SeccompMode>();
  return absl::InvalidArgumentError("--seccomp takes enforce, log or off, not '" + text + "'");
}

}  // namespace palisade::policy

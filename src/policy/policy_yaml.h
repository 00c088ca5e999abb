// The declarative policy and inventory in YAML (docs/policy.md has the schema): sections
// `policy:`, `tiers:`, `zones:`, `hosts:`, `pools:`, `workloads:`, `customers:`. Every problem
// is reported with its line, YAML path and a hint, in the style of daemon/config.cc:
//   "cluster.yaml:12: workloads[3].sla_tier: unknown tier 'platinum' (hint: known tiers: 'gold',
//    'silver')".
// yaml-cpp's exceptions are caught here. Pure: text or a node in, structs out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "policy/types.h"

namespace YAML {
class Node;
}

namespace prognos::policy {

struct PolicyDocument {
  PolicySpec spec;  // Normalize()d: always has the default tier ""
  Inventory inventory;
};

struct PolicyIssue {
  std::string source;
  int line = 0;      // 1-based; 0 when unknown
  std::string path;  // "workloads[3].sla_tier"
  std::string message;
  std::string hint;
  // "source:line: path: message (hint: …)"; with an empty source (a subtree of a document whose
  // caller prefixes its own file name): "line N: path: message (hint: …)".
  std::string ToString() const;
};

// Parses YAML text. On any issue: Error (kInvalidArgument) whose message lists every issue, one
// per line, in line order (a syntax error stops the parse: only it is reported).
Result<PolicyDocument> ParsePolicyYaml(std::string_view text, std::string_view source_name);

// The same over an already parsed mapping that holds the sections (the daemon config or a
// simulator scenario hands its subtree). Line numbers are those of the enclosing file.
Result<PolicyDocument> ParsePolicyYaml(const YAML::Node& root, std::string_view source_name);

// Every issue rather than a joined message (for check-config); empty when the document is valid.
std::vector<PolicyIssue> CheckPolicyYaml(const YAML::Node& root, std::string_view source_name,
                                         PolicyDocument* out);

// The `data_protection:` block alone (the simulator's scenario embeds it under its `policy:`):
// issues with their line and `path`, no source; `out` keeps its value where a key is bad.
std::vector<PolicyIssue> CheckDataProtectionYaml(const YAML::Node& node, const std::string& path,
                                                 DataProtection* out);

}  // namespace prognos::policy

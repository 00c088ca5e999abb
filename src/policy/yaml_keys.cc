#include "policy/yaml_keys.h"

#include <map>

namespace prognos::policy {

int YamlLine(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line < 0 ? 0 : mark.line + 1;
}

void ForEachYamlKey(const YAML::Node& map, const std::string& path, const YamlIssueFn& issue,
                    const YamlKeyFn& visit) {
  std::map<std::string, int> seen;  // key -> line of its first occurrence
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key_node = it->first;
    const int line = YamlLine(key_node);
    if (!key_node.IsScalar()) {
      issue(line, path, "a key must be a plain word, not a list or mapping", "write 'key: value'");
      continue;
    }
    const std::string& key = key_node.Scalar();
    std::string field_path = path;
    if (!field_path.empty()) field_path += '.';
    field_path += key;
    auto [first, inserted] = seen.emplace(key, line);
    if (!inserted) {
      issue(line, field_path,
            "duplicate key '" + key + "' (first at line " + std::to_string(first->second) + ")",
            "remove one of them; YAML readers silently keep only one");
      continue;
    }
    visit(key, field_path, line, it->second);
  }
}

}  // namespace prognos::policy

// The key walk that every line-numbered YAML checker here shares (the policy parser and the
// daemon's config): keys in file order, each with its dotted path and line; a key that is not a
// plain scalar and a key given twice are reported, never silently kept.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>

namespace prognos::policy {

// 1-based line of a node; 0 when yaml-cpp does not know it.
int YamlLine(const YAML::Node& node);

using YamlIssueFn =
    std::function<void(int line, const std::string& path, std::string message, std::string hint)>;
using YamlKeyFn = std::function<void(const std::string& key, const std::string& path, int line,
                                     const YAML::Node& value)>;

// Walks a mapping's keys in order. A non-scalar key ("a key must be a plain word") and a
// duplicate ("duplicate key 'k' (first at line N)") go to `issue`; every other key to `visit`,
// with its path: `path` + "." + key (just the key at the top level, where `path` is empty).
void ForEachYamlKey(const YAML::Node& map, const std::string& path, const YamlIssueFn& issue,
                    const YamlKeyFn& visit);

}  // namespace prognos::policy

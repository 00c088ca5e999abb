#include "actuate/actuator.h"

#include "policy/audit_codec.h"

namespace prognos::actuate {

std::string Describe(const policy::Action& action) {
  // Appending (not "literal" + std::string) sidesteps GCC 12's false -Wrestrict (bug 105329).
  std::string s = "#";
  s += std::to_string(action.id);
  s += ' ';
  s += policy::Summary(action);
  return s;
}

}  // namespace prognos::actuate

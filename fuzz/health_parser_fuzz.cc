// libFuzzer target for the JSON-lines health parser (POST /v1/health). Beyond "no crash, no
// sanitizer report", it checks the parser's contract: every sample has __name__ and host and a
// finite value; line numbers are 1-based (physical lines: blank lines are skipped but counted, so a
// line number may exceed `messages`); every rejection counts at least one sample.
// Build and run: fuzz/run.sh health_parser [seconds]
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/health_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace prognos;
  ingest::IngestLimits limits;
  limits.max_line_bytes = 4096;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const ingest::ParsedBatch b = ingest::ParseHealthBody(body, limits);
  for (const auto& s : b.samples) {
    if (!s.labels.Get(kMetricNameLabel) || !s.labels.Get(kHostLabel)) std::abort();
    if (!std::isfinite(s.sample.v)) std::abort();
    if (s.line == 0) std::abort();
  }
  for (const auto& r : b.rejections) {
    if (r.samples == 0 || r.line == 0) std::abort();
  }
  return 0;
}

// libFuzzer target for the remote-write decoder (issue 15, done-when 3). The first input byte picks
// the entry point: even = DecodeWriteRequest on the raw protobuf bytes (where the interesting
// structure is), odd = DecodeRemoteWrite on a snappy body. Beyond "no crash, no sanitizer report",
// it checks the decoder's contract: a refused request has no samples and one rejection; every
// stored label set is sorted, unique, has __name__ and fits the limits.
// Build and run: fuzz/run.sh remote_write [seconds]
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/remote_write.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace prognos;
  ingest::IngestLimits limits;
  limits.max_labels = 8;
  limits.max_label_value_bytes = 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ingest::RemoteWriteBatch b = (data[0] & 1) == 0
                                         ? ingest::DecodeWriteRequest(bytes, limits)
                                         : ingest::DecodeRemoteWrite(bytes, limits, 1 << 20);
  if (b.request_error && (!b.samples.empty() || b.rejections.size() != 1)) std::abort();
  for (const auto& s : b.samples) {
    const auto& items = s.labels.items();
    if (items.empty() || items.size() > limits.max_labels) std::abort();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].name.empty() || items[i].value.empty()) std::abort();
      if (items[i].value.size() > limits.max_label_value_bytes) std::abort();
      if (i > 0 && !(items[i - 1].name < items[i].name)) std::abort();
    }
    if (!s.labels.Get(kMetricNameLabel)) std::abort();
    if (s.line == 0 || s.line > b.series) std::abort();
  }
  return 0;
}

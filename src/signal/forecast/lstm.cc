#include "signal/forecast/lstm.h"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "core/hash.h"

namespace prognos::signal {
namespace {

using Mat = Eigen::MatrixXd;
using MapMat = Eigen::Map<const Mat>;
using MapMatMut = Eigen::Map<Mat>;

// The scale comes from at most this many seasons before the origin (the protocol's 14 days).
constexpr std::size_t kScaleSeasons = 14;
constexpr double kMaxInput = 20.0;

// Offsets of the parameter blocks in the flat vector.
struct Layout {
  std::size_t h, in, out;
  std::size_t wx, wh, b, wy, by, a, total;
  explicit Layout(const LstmConfig& c) : h(c.hidden), in(c.inputs), out(c.horizon) {
    wx = 0;
    wh = wx + 4 * h * in;
    b = wh + 4 * h * h;
    wy = b + 4 * h;
    by = wy + out * h;
    a = by + out;
    total = a + out;
  }
};

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Median of y[s − d·m] for the last `days` seasons whose index is inside [0, n) — the base
// forecast of step s (s may lie beyond the history: the first lag that falls inside is used).
double BaseAt(std::span<const double> y, std::size_t s, std::size_t m, std::size_t days) {
  const std::size_t n = y.size();
  std::array<double, 64> v{};
  std::size_t k = 0;
  std::size_t d = s >= n ? (s - n) / m + 1 : 1;  // first lag with s − d·m < n
  for (std::size_t used = 0; used < days && d * m <= s; ++d, ++used) v[k++] = y[s - d * m];
  if (k == 0) return y.empty() ? 0.0 : y[std::min(s, n - 1)];
  std::sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k));
  return k % 2 == 1 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

// MASE-style scale of the history's last kScaleSeasons seasons; falls back to the lag-1 MAE,
// then to 1e-6 · max(|level|, 1) for a constant history.
double HistoryScale(std::span<const double> y, std::size_t m) {
  const std::size_t n = y.size();
  const std::size_t from = n > kScaleSeasons * m ? n - kScaleSeasons * m : 0;
  double s = 0.0;
  std::size_t c = 0;
  for (std::size_t t = from + m; t < n; ++t, ++c) s += std::abs(y[t] - y[t - m]);
  if (c > 0 && s > 0) return s / static_cast<double>(c);
  s = 0.0;
  c = 0;
  for (std::size_t t = from + 1; t < n; ++t, ++c) s += std::abs(y[t] - y[t - 1]);
  if (c > 0 && s > 0) return s / static_cast<double>(c);
  return 1e-6 * std::max(n > 0 ? std::abs(y[n - 1]) : 0.0, 1.0);
}

// Forward pass over a batch with the caches backpropagation needs.
struct Trace {
  std::vector<Mat> gates;  // per step: 4H × B after the nonlinearities (i, f, g, o)
  std::vector<Mat> c;      // per step: H × B (c[t] after step t)
  std::vector<Mat> hs;     // per step: H × B
  Mat out;                 // O × B
};

void RunForward(const LstmConfig& cfg, std::span<const double> params,
                std::span<const double> inputs, std::span<const double> season_dev,
                std::size_t batch, Trace& tr, bool keep) {
  const Layout lay(cfg);
  const auto nh = static_cast<Eigen::Index>(lay.h);
  const auto ni = static_cast<Eigen::Index>(lay.in);
  const auto nb = static_cast<Eigen::Index>(batch);
  const MapMat wx(params.data() + lay.wx, 4 * nh, ni);
  const MapMat wh(params.data() + lay.wh, 4 * nh, nh);
  const Eigen::Map<const Eigen::VectorXd> b(params.data() + lay.b, 4 * nh);
  const MapMat wy(params.data() + lay.wy, static_cast<Eigen::Index>(lay.out), nh);
  const Eigen::Map<const Eigen::VectorXd> by(params.data() + lay.by,
                                             static_cast<Eigen::Index>(lay.out));
  const std::size_t nt = cfg.window;
  Mat h = Mat::Zero(nh, nb);
  Mat c = Mat::Zero(nh, nb);
  Mat x(ni, nb);
  Mat z(4 * nh, nb);
  if (keep) {
    tr.gates.assign(nt, Mat());
    tr.c.assign(nt, Mat());
    tr.hs.assign(nt, Mat());
  }
  for (std::size_t t = 0; t < nt; ++t) {
    for (Eigen::Index bb = 0; bb < nb; ++bb) {
      for (Eigen::Index k = 0; k < ni; ++k) {
        x(k, bb) =
            inputs[(static_cast<std::size_t>(bb) * nt + t) * lay.in + static_cast<std::size_t>(k)];
      }
    }
    z.noalias() = wx * x;
    z.noalias() += wh * h;
    z.colwise() += b;
    z.topRows(2 * nh) = z.topRows(2 * nh).unaryExpr([](double v) { return Sigmoid(v); });
    z.middleRows(2 * nh, nh) = z.middleRows(2 * nh, nh).array().tanh();
    z.bottomRows(nh) = z.bottomRows(nh).unaryExpr([](double v) { return Sigmoid(v); });
    c = z.middleRows(nh, nh).cwiseProduct(c) + z.topRows(nh).cwiseProduct(z.middleRows(2 * nh, nh));
    h = z.bottomRows(nh).cwiseProduct(Mat(c.array().tanh()));
    if (keep) {
      tr.gates[t] = z;
      tr.c[t] = c;
      tr.hs[t] = h;
    }
  }
  tr.out = wy * h;
  tr.out.colwise() += by;
  if (!season_dev.empty()) {
    const Eigen::Map<const Eigen::VectorXd> a(params.data() + lay.a,
                                              static_cast<Eigen::Index>(lay.out));
    const MapMat d(season_dev.data(), static_cast<Eigen::Index>(lay.out), nb);
    tr.out += (d.array().colwise() * a.array()).matrix();
  }
}

}  // namespace

Result<void> ValidateLstmConfig(const LstmConfig& c) {
  auto in = [](std::size_t v) { return v >= 1 && v <= 4096; };
  if (!in(c.hidden) || !in(c.window) || !in(c.horizon) || !in(c.period)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "lstm: hidden, window, horizon and period must be in [1, 4096]");
  }
  if (c.base_days < 1 || c.base_days > 64) {
    return MakeError(ErrorCode::kInvalidArgument, "lstm: base_days must be in [1, 64]");
  }
  if (c.inputs != kLstmInputs) {
    return MakeError(ErrorCode::kInvalidArgument, "lstm: inputs must be 2");
  }
  return Ok();
}

LstmWindow MakeLstmWindow(const LstmConfig& cfg, std::span<const double> y, std::size_t steps) {
  LstmWindow w;
  const std::size_t n = y.size();
  const std::size_t m = cfg.period;
  w.scale = HistoryScale(y, m);
  const std::size_t first = n - cfg.window;
  double level = 0.0;
  for (std::size_t t = first; t < n; ++t) level += y[t];
  level /= static_cast<double>(cfg.window);
  w.inputs.resize(cfg.window * cfg.inputs);
  // Base of past step t uses only values before t (lags ≥ 1 season): the span up to t.
  for (std::size_t t = first; t < n; ++t) {
    const double base = BaseAt(y.subspan(0, t), t, m, cfg.base_days);
    const std::size_t k = (t - first) * cfg.inputs;
    w.inputs[k] = std::clamp((y[t] - level) / w.scale, -kMaxInput, kMaxInput);
    w.inputs[k + 1] = std::clamp((y[t] - base) / w.scale, -kMaxInput, kMaxInput);
  }
  w.base.resize(steps);
  w.season_dev.resize(steps);
  for (std::size_t h = 0; h < steps; ++h) {
    w.base[h] = BaseAt(y, n + h, m, cfg.base_days);
    // The last season's value at this slot (seasonal naive) against the profile.
    const std::size_t back = m * (h / m + 1);
    const double last = back <= n + h ? y[n + h - back] : y[n - 1];
    w.season_dev[h] = std::clamp((last - w.base[h]) / w.scale, -kMaxInput, kMaxInput);
  }
  return w;
}

std::size_t LstmNetwork::ParamCount(const LstmConfig& config) { return Layout(config).total; }

Result<LstmNetwork> LstmNetwork::Create(const LstmConfig& config, std::uint64_t seed) {
  if (auto v = ValidateLstmConfig(config); !v) return tl::unexpected<Error>(v.error());
  const Layout lay(config);
  std::vector<double> p(lay.total, 0.0);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const double a = 1.0 / std::sqrt(static_cast<double>(lay.h));
  for (std::size_t i = lay.wx; i < lay.b; ++i) p[i] = a * u(rng);
  for (std::size_t i = 0; i < lay.h; ++i) p[lay.b + lay.h + i] = 1.0;  // forget gate open at start
  for (std::size_t i = lay.wy; i < lay.by; ++i) p[i] = 0.01 * u(rng);
  auto net = FromParams(config, std::move(p));
  if (net) net->seed_ = seed;
  return net;
}

Result<LstmNetwork> LstmNetwork::FromParams(const LstmConfig& config, std::vector<double> params) {
  if (auto v = ValidateLstmConfig(config); !v) return tl::unexpected<Error>(v.error());
  if (params.size() != ParamCount(config)) {
    return MakeError(ErrorCode::kInvalidArgument, "lstm: wrong number of parameters");
  }
  LstmNetwork net;
  net.config_ = config;
  net.params_ = std::move(params);
  return net;
}

std::vector<double> LstmNetwork::Forward(std::span<const double> inputs,
                                         std::span<const double> season_dev) const {
  Trace tr;
  RunForward(config_, params_, inputs, season_dev, 1, tr, false);
  return {tr.out.data(), tr.out.data() + tr.out.size()};
}

double LstmNetwork::LossAndGradient(std::span<const double> inputs,
                                    std::span<const double> season_dev,
                                    std::span<const double> targets, std::size_t batch,
                                    double delta, std::vector<double>* grad) const {
  const Layout lay(config_);
  Trace tr;
  RunForward(config_, params_, inputs, season_dev, batch, tr, grad != nullptr);
  const auto nh = static_cast<Eigen::Index>(lay.h);
  const auto ni = static_cast<Eigen::Index>(lay.in);
  const auto no = static_cast<Eigen::Index>(lay.out);
  const auto nb = static_cast<Eigen::Index>(batch);
  const double norm = 1.0 / static_cast<double>(batch * lay.out);
  Mat dy(no, nb);
  double loss = 0.0;
  for (Eigen::Index bb = 0; bb < nb; ++bb) {
    for (Eigen::Index o = 0; o < no; ++o) {
      const double r = tr.out(o, bb) - targets[static_cast<std::size_t>(bb * no + o)];
      const double ar = std::abs(r);
      loss += ar <= delta ? 0.5 * r * r : delta * (ar - 0.5 * delta);
      dy(o, bb) = (ar <= delta ? r : (r > 0 ? delta : -delta)) * norm;
    }
  }
  loss *= norm;
  if (grad == nullptr) return loss;
  grad->assign(lay.total, 0.0);
  MapMatMut gwx(grad->data() + lay.wx, 4 * nh, ni);
  MapMatMut gwh(grad->data() + lay.wh, 4 * nh, nh);
  Eigen::Map<Eigen::VectorXd> gb(grad->data() + lay.b, 4 * nh);
  MapMatMut gwy(grad->data() + lay.wy, no, nh);
  Eigen::Map<Eigen::VectorXd> gby(grad->data() + lay.by, no);
  const MapMat wh(params_.data() + lay.wh, 4 * nh, nh);
  const MapMat wy(params_.data() + lay.wy, no, nh);
  const std::size_t nt = config_.window;
  gwy.noalias() = dy * tr.hs[nt - 1].transpose();
  gby = dy.rowwise().sum();
  if (!season_dev.empty()) {
    const MapMat d(season_dev.data(), no, nb);
    Eigen::Map<Eigen::VectorXd> ga(grad->data() + lay.a, no);
    ga = dy.cwiseProduct(d).rowwise().sum();
  }
  Mat dh = wy.transpose() * dy;
  Mat dc = Mat::Zero(nh, nb);
  Mat dz(4 * nh, nb);
  Mat x(ni, nb);
  for (std::size_t t = nt; t-- > 0;) {
    const Mat& gt = tr.gates[t];
    const auto ig = gt.topRows(nh).array();
    const auto fg = gt.middleRows(nh, nh).array();
    const auto gg = gt.middleRows(2 * nh, nh).array();
    const auto og = gt.bottomRows(nh).array();
    const Eigen::ArrayXXd tc = tr.c[t].array().tanh();
    dc.array() += dh.array() * og * (1.0 - tc * tc);
    const Eigen::ArrayXXd c_prev = t > 0 ? Eigen::ArrayXXd(tr.c[t - 1].array())
                                         : Eigen::ArrayXXd(Eigen::ArrayXXd::Zero(nh, nb));
    dz.topRows(nh).array() = dc.array() * gg * ig * (1.0 - ig);
    dz.middleRows(nh, nh).array() = dc.array() * c_prev * fg * (1.0 - fg);
    dz.middleRows(2 * nh, nh).array() = dc.array() * ig * (1.0 - gg * gg);
    dz.bottomRows(nh).array() = dh.array() * tc * og * (1.0 - og);
    for (Eigen::Index bb = 0; bb < nb; ++bb) {
      for (Eigen::Index k = 0; k < ni; ++k) {
        x(k, bb) =
            inputs[(static_cast<std::size_t>(bb) * nt + t) * lay.in + static_cast<std::size_t>(k)];
      }
    }
    gwx.noalias() += dz * x.transpose();
    if (t > 0) gwh.noalias() += dz * tr.hs[t - 1].transpose();
    gb += dz.rowwise().sum();
    dh.noalias() = wh.transpose() * dz;
    dc.array() *= fg;
  }
  return loss;
}

void LstmNetwork::Forecast(std::span<const double> history, std::span<double> out) const {
  if (history.empty()) {
    std::fill(out.begin(), out.end(), 0.0);
    return;
  }
  if (history.size() < MinHistory()) {
    std::fill(out.begin(), out.end(), history.back());
    return;
  }
  const LstmWindow w = MakeLstmWindow(config_, history, out.size());
  const std::vector<double> corr =
      Forward(w.inputs, std::span<const double>(w.season_dev)
                            .subspan(0, std::min(w.season_dev.size(), config_.horizon)));
  for (std::size_t h = 0; h < out.size(); ++h) {
    // Beyond the trained horizon the base profile continues alone.
    out[h] = w.base[h] + (h < corr.size() ? w.scale * corr[h] : 0.0);
  }
}

void LstmNetwork::AdamStep(std::span<const double> grad, double lr, std::vector<double>& m,
                           std::vector<double>& v, std::size_t step) {
  constexpr double kB1 = 0.9, kB2 = 0.999, kEps = 1e-8;
  m.resize(params_.size(), 0.0);
  v.resize(params_.size(), 0.0);
  // Global-norm clipping at 1: one window with a huge spike must not throw the weights off.
  double norm = 0.0;
  for (double g : grad) norm += g * g;
  norm = std::sqrt(norm);
  const double clip = norm > 1.0 ? 1.0 / norm : 1.0;
  const double c1 = 1.0 - std::pow(kB1, static_cast<double>(step));
  const double c2 = 1.0 - std::pow(kB2, static_cast<double>(step));
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const double g = grad[i] * clip;
    m[i] = kB1 * m[i] + (1 - kB1) * g;
    v[i] = kB2 * v[i] + (1 - kB2) * g * g;
    params_[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + kEps);
  }
}

namespace {

class Writer {
 public:
  void U32(std::uint32_t v) { Raw(&v, 4); }
  void U64(std::uint64_t v) { Raw(&v, 8); }
  void F64(double v) { Raw(&v, 8); }
  void Bytes(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void Raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  const std::string& out() const { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Raw(void* p, std::size_t n) {
    if (in_.size() - pos_ < n) return false;
    std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool U32(std::uint32_t& v) { return Raw(&v, 4); }
  bool U64(std::uint64_t& v) { return Raw(&v, 8); }
  bool Bytes(std::string& s) {
    std::uint32_t n = 0;
    if (!U32(n) || in_.size() - pos_ < n) return false;
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::string> LstmNetwork::Serialize() const {
  static_assert(sizeof(double) == 8);
  Writer w;
  w.Raw("PGLS", 4);
  w.U32(kLstmBlobVersion);
  for (std::size_t v : {config_.inputs, config_.hidden, config_.window, config_.horizon,
                        config_.period, config_.base_days}) {
    w.U32(static_cast<std::uint32_t>(v));
  }
  w.U64(seed_);
  w.Bytes(family_);
  w.U64(params_.size());
  for (double p : params_) w.F64(p);
  const std::uint64_t sum = Fnv1a64(w.out());
  w.U64(sum);
  return w.out();
}

Result<LstmNetwork> LstmNetwork::Deserialize(std::string_view bytes) {
  auto corrupt = [](const char* why) {
    return MakeError(ErrorCode::kCorruption, std::string("lstm blob: ") + why);
  };
  if (bytes.size() < 16 || bytes.substr(0, 4) != "PGLS") return corrupt("bad magic");
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  std::uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + body.size(), 8);
  Reader r(body);
  char magic[4];
  std::uint32_t version = 0;
  r.Raw(magic, 4);
  if (!r.U32(version)) return corrupt("truncated");
  if (version > kLstmBlobVersion) {
    return MakeError(ErrorCode::kInvalidArgument, "lstm blob: version " + std::to_string(version) +
                                                      " is newer than " +
                                                      std::to_string(kLstmBlobVersion));
  }
  if (Fnv1a64(body) != stored) return corrupt("checksum mismatch (truncated or damaged)");
  std::array<std::uint32_t, 6> dims{};
  for (auto& d : dims) {
    if (!r.U32(d)) return corrupt("truncated");
  }
  LstmConfig cfg;
  cfg.inputs = dims[0];
  cfg.hidden = dims[1];
  cfg.window = dims[2];
  cfg.horizon = dims[3];
  cfg.period = dims[4];
  cfg.base_days = dims[5];
  if (!ValidateLstmConfig(cfg)) return corrupt("invalid dimensions");
  std::uint64_t seed = 0;
  std::string family;
  std::uint64_t n = 0;
  if (!r.U64(seed) || !r.Bytes(family) || !r.U64(n)) return corrupt("truncated");
  if (n != ParamCount(cfg) || r.remaining() != n * 8) return corrupt("parameter count mismatch");
  std::vector<double> p(n);
  for (double& v : p) r.Raw(&v, 8);
  for (double v : p) {
    if (!std::isfinite(v)) return corrupt("non-finite weight");
  }
  auto net = FromParams(cfg, std::move(p));
  if (!net) return tl::unexpected<Error>(net.error());
  net->seed_ = seed;
  net->family_ = std::move(family);
  return net;
}

Result<LstmNetwork> TrainLstm(std::span<const std::vector<double>> series, const LstmConfig& config,
                              const LstmTrainOptions& options, LstmTrainReport* report) {
  if (auto v = ValidateLstmConfig(config); !v) return tl::unexpected<Error>(v.error());
  if (options.batch == 0 || options.stride == 0 || options.epochs == 0 ||
      !(options.learning_rate > 0) || !(options.huber_delta > 0)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "lstm train: batch, stride, epochs, learning rate and delta must be > 0");
  }
  auto net = LstmNetwork::Create(config, options.seed);
  if (!net) return net;
  // Windows: (series, origin) with origin = history length; targets need `horizon` points after.
  std::vector<std::pair<std::size_t, std::size_t>> train, valid;
  const std::size_t min_hist = net->MinHistory();
  for (std::size_t s = 0; s < series.size(); ++s) {
    const std::size_t n = series[s].size();
    const bool is_valid = options.validation_every > 1 &&
                          s % options.validation_every == options.validation_every - 1;
    for (std::size_t o = min_hist; o + config.horizon <= n; o += options.stride) {
      (is_valid ? valid : train).emplace_back(s, o);
    }
  }
  if (train.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "lstm train: no training window (every series is shorter than window + "
                     "period + horizon)");
  }
  LstmTrainReport rep;
  rep.series = series.size();
  rep.train_windows = train.size();
  rep.validation_windows = valid.size();
  const std::size_t ni = config.inputs, nt = config.window, no = config.horizon;
  auto fill = [&](const std::vector<std::pair<std::size_t, std::size_t>>& idx, std::size_t from,
                  std::size_t count, std::vector<double>& in, std::vector<double>& dev,
                  std::vector<double>& tgt) {
    in.resize(count * nt * ni);
    dev.resize(count * no);
    tgt.resize(count * no);
    for (std::size_t k = 0; k < count; ++k) {
      const auto [s, o] = idx[from + k];
      const std::span<const double> y(series[s]);
      const LstmWindow w = MakeLstmWindow(config, y.subspan(0, o), no);
      std::copy(w.inputs.begin(), w.inputs.end(),
                in.begin() + static_cast<std::ptrdiff_t>(k * nt * ni));
      std::copy(w.season_dev.begin(), w.season_dev.end(),
                dev.begin() + static_cast<std::ptrdiff_t>(k * no));
      for (std::size_t h = 0; h < no; ++h) {
        tgt[k * no + h] = std::clamp((y[o + h] - w.base[h]) / w.scale, -kMaxInput, kMaxInput);
      }
    }
  };
  // Validation windows are built once.
  std::vector<double> vin, vdev, vtgt;
  if (!valid.empty()) fill(valid, 0, valid.size(), vin, vdev, vtgt);
  auto validation_loss = [&](const LstmNetwork& nn) {
    double s = 0.0;
    const std::size_t chunk = 256;
    std::vector<double> tin, ttgt;
    for (std::size_t k = 0; k < valid.size(); k += chunk) {
      const std::size_t c = std::min(chunk, valid.size() - k);
      const std::span<const double> in(vin.data() + k * nt * ni, c * nt * ni);
      const std::span<const double> dv(vdev.data() + k * no, c * no);
      const std::span<const double> tg(vtgt.data() + k * no, c * no);
      s += nn.LossAndGradient(in, dv, tg, c, options.huber_delta, nullptr) * static_cast<double>(c);
    }
    return s / static_cast<double>(valid.size());
  };
  if (!valid.empty()) {
    // The base profile alone: the loss of a zero correction, i.e. of the targets themselves.
    double s = 0.0;
    for (double t : vtgt) {
      const double a = std::abs(t);
      s += a <= options.huber_delta ? 0.5 * t * t
                                    : options.huber_delta * (a - 0.5 * options.huber_delta);
    }
    rep.validation_loss_base = s / static_cast<double>(vtgt.size());
  }
  std::mt19937_64 rng(options.seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<double> m, v, grad, in, dev, tgt;
  std::size_t step = 0;
  LstmNetwork best = *net;
  double best_loss = std::numeric_limits<double>::infinity();
  for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
    std::shuffle(train.begin(), train.end(), rng);
    double sum = 0.0;
    for (std::size_t k = 0; k < train.size(); k += options.batch) {
      const std::size_t c = std::min(options.batch, train.size() - k);
      fill(train, k, c, in, dev, tgt);
      sum += net->LossAndGradient(in, dev, tgt, c, options.huber_delta, &grad) *
             static_cast<double>(c);
      net->AdamStep(grad, options.learning_rate, m, v, ++step);
    }
    rep.train_loss.push_back(sum / static_cast<double>(train.size()));
    const double l = valid.empty() ? rep.train_loss.back() : validation_loss(*net);
    if (!valid.empty()) rep.validation_loss.push_back(l);
    if (valid.empty() || l < best_loss) {
      best_loss = l;
      best = *net;
      rep.best_epoch = epoch;
    }
  }
  if (report != nullptr) *report = rep;
  return best;
}

Result<void> LstmForecastModel::Fit(std::span<const double> y) {
  if (y.size() < MinLength()) {
    return MakeError(ErrorCode::kInvalidArgument, "lstm: history shorter than window + period");
  }
  return Ok();
}

void LstmForecastModel::Forecast(std::span<const double> history, std::span<double> out) const {
  network_->Forecast(history, out);
}

}  // namespace prognos::signal

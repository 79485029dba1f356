// The CNN layer kernels (kernels.hpp's ConvTask: wide, half, narrow, rows,
// paired, pointwise; the channels-last depthwise and 1x1 kernels; and the panel
// copies' deinterleave and planes_to_rows; float and double)
// of every ISA this build has and this CPU runs, each on its own: tasks
// filled by hand, as nn.cpp fills them, against a reference loop over
// ConvTask's definition. The reference takes the taps
// in the kernels' order (ascending r) with their rounding (one fused
// multiply-add per tap where the ISA has FMA, a product and a sum where
// not), so every output must match bitwise; the outputs are set to NaN
// first, so a store outside the task's outputs (another channel, a pixel
// with no output, a gap between columns) shows too. Panels are sized to
// what the definition reads, so a read past them fails under ASan. The
// kernel bodies are also checked in every ISA's register blocking compiled
// here (width_tables.hpp, unfused), for CPUs without AVX2 or AVX-512.
#include <fastconv/runtime.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernels.hpp"
#include "width_tables.hpp"

namespace {

using fastconv::index_t;
using fastconv::kernels::ConvKernel;
using fastconv::kernels::ConvTask;
using fastconv::kernels::KernelTable;
using fastconv::kernels::table_named;

// The kernel files are compiled with -ffp-contract=fast: acc += w * x is
// one fused multiply-add where the ISA has FMA (AVX2, AVX-512, AArch64)
// and a rounded product then a rounded sum on x86-64's SSE2 baseline.
bool fused_isa(const std::string& name) {
#if defined(__x86_64__) || defined(_M_X64)
  return name != "baseline";
#else
  return true;
#endif
}

struct Rng {
  std::mt19937 g{27};
  index_t range(index_t lo, index_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<index_t>(lo, hi)(g);
  }
  bool one_in(int n) { return range(0, n - 1) == 0; }
  template <class T>
  std::vector<T> values(size_t n) {
    std::uniform_real_distribution<double> d(-1.0, 1.0);
    std::vector<T> v(n);
    for (auto& x : v) x = static_cast<T>(d(g));
    return v;
  }
};

// One tap of the reference (the test is built with -ffp-contract=off, so
// the unfused form really rounds twice).
template <class T>
T madd(T acc, T x, T w, bool fused) {
  return fused ? std::fma(x, w, acc) : acc + x * w;
}

// bias (or 0) + sum_r panel[at + off[r]] * w[r * w_step], r ascending.
template <class T>
T reference(const std::vector<T>& panel, index_t at, const std::vector<index_t>& off, const T* w,
            index_t w_step, T start, bool fused) {
  T acc = start;
  for (size_t r = 0; r < off.size(); ++r)
    acc = madd(acc, panel.at(static_cast<size_t>(at + off[r])), w[r * w_step], fused);
  return acc;
}

// The panel length a task reads: `width` positions from every x_base[v] +
// x_off[r] (the narrow kernels read whole vectors).
index_t panel_length(const std::vector<index_t>& x_base, const std::vector<index_t>& x_off,
                     index_t width) {
  return *std::max_element(x_base.begin(), x_base.end()) +
         *std::max_element(x_off.begin(), x_off.end()) + width;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  // (empty vectors may hold null pointers, which memcmp must not get)
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <class T>
constexpr T kUnwritten = std::numeric_limits<T>::quiet_NaN();

struct Tally {
  int cases = 0, failures = 0;
  template <class T>
  void expect(const std::vector<T>& got, const std::vector<T>& want, const char* isa,
              const char* kernel, const std::string& what) {
    ++cases;
    if (same_bits(got, want)) return;
    if (++failures > 20) return;  // (the first few are enough)
    size_t i = 0;
    while (std::memcmp(&got[i], &want[i], sizeof(T)) == 0) ++i;
    std::printf("FAIL %s %s %s %s: element %zu is %.17g, expected %.17g\n", isa, kernel,
                sizeof(T) == 4 ? "float" : "double", what.c_str(), i, double(got[i]),
                double(want[i]));
  }
};

std::string describe(std::initializer_list<std::pair<const char*, index_t>> fields) {
  std::string s;
  for (const auto& [name, v] : fields) s += std::string(name) + "=" + std::to_string(v) + " ";
  return s;
}

// Wide (C = conv_channel_vecs vectors of channels) or half (C = 1): R
// channels x pieces of up to P pixels, their outputs at pixel_out
// (distinct columns of an out[channel][column] array, some kNoOutput), the taps
// in `passes` slices through the partial sums.
template <class T>
void check_wide(const KernelTable& tb, ConvKernel<T> kernel, int C, bool fused, Rng& rng,
                Tally& tally) {
  const char* name = C == 1 ? "half" : "wide";
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  const index_t R = C * L, P = index_t(tb.conv_pixels) * tb.conv_channel_vecs / C;
  for (index_t K : {1, 2, 7, 33})
    for (index_t channels : {R, R - 1, R / 2 + 1, index_t(1)})
      for (index_t passes : {1, 2, 3})
        for (bool with_bias : {false, true})
          for (int repeat = 0; repeat < 3; ++repeat) {
            if (passes > K) continue;
            const index_t n_vec = rng.range(1, 4);
            std::vector<index_t> x_base(n_vec), lanes(n_vec), pixel_out(n_vec * P, -7);
            std::vector<index_t> x_off(K);
            for (auto& o : x_off) o = rng.range(0, 12);
            // every stored pixel its own column, in shuffled order, or (the
            // last repeat: whole-vector stores) in order and all stored
            const bool in_order = repeat == 2;
            std::vector<index_t> columns(n_vec * P);
            for (index_t i = 0; i < n_vec * P; ++i) columns[i] = i;
            if (!in_order) std::shuffle(columns.begin(), columns.end(), rng.g);
            index_t panel_len = 0;
            for (index_t v = 0; v < n_vec; ++v) {
              x_base[v] = rng.range(0, 8);
              lanes[v] = rng.one_in(2) ? P : rng.range(1, P);
              for (index_t l = 0; l < lanes[v]; ++l)
                pixel_out[v * P + l] =
                    !in_order && rng.one_in(5) ? fastconv::kernels::kNoOutput : columns[v * P + l];
            }
            for (index_t v = 0; v < n_vec; ++v)  // (only the piece's pixels are read)
              panel_len = std::max(panel_len, panel_length({x_base[v]}, x_off, lanes[v]));
            const std::vector<T> panel = rng.values<T>(panel_len);
            // the packed weights and bias of channels past `channels` are 0
            std::vector<T> w = rng.values<T>(K * R), bias = rng.values<T>(R);
            for (index_t r = 0; r < K; ++r)
              for (index_t i = channels; i < R; ++i) w[r * R + i] = T(0);
            for (index_t i = channels; i < R; ++i) bias[i] = T(0);
            const index_t out_ch_step = n_vec * P + 3;
            std::vector<T> out(R * out_ch_step, kUnwritten<T>), want = out;
            // (one pass: no partial sums at all, as nn.cpp's scratch has none)
            std::vector<T> partial(n_vec * P * R, kUnwritten<T>);

            for (index_t v = 0; v < n_vec; ++v)
              for (index_t l = 0; l < lanes[v]; ++l) {
                const index_t col = pixel_out[v * P + l];
                if (col == fastconv::kernels::kNoOutput) continue;
                for (index_t i = 0; i < channels; ++i)
                  want[i * out_ch_step + col] = reference(panel, x_base[v] + l, x_off, w.data() + i,
                                                          R, with_bias ? bias[i] : T(0), fused);
              }
            for (index_t p = 0; p < passes; ++p) {
              const index_t k0 = K * p / passes, k1 = K * (p + 1) / passes;
              ConvTask<T> t{panel.data(),
                            x_base.data(),
                            x_off.data() + k0,
                            k1 - k0,
                            w.data() + k0 * R,
                            with_bias ? bias.data() : nullptr,
                            channels,
                            n_vec,
                            lanes.data(),
                            nullptr,
                            pixel_out.data(),
                            out.data(),
                            out_ch_step,
                            0,
                            passes > 1 ? partial.data() : nullptr,
                            k0 == 0,
                            k1 == K};
              kernel(t);
            }
            tally.expect(out, want, tb.isa, name,
                         describe({{"K", K},
                                   {"channels", channels},
                                   {"passes", passes},
                                   {"bias", index_t(with_bias)},
                                   {"n_vec", n_vec}}));
          }
}

// Narrow pieces of one channel: piece v's lanes[v] outputs at out_off[v]
// + l*step, in shuffled slots of an output with gaps (step > 1).
template <class T>
struct NarrowOut {
  std::vector<index_t> out_off, lanes;
  std::vector<T> out;
  index_t step;
  NarrowOut(Rng& rng, index_t n_vec, index_t width, index_t step_)
      : out_off(n_vec), lanes(n_vec), step(step_) {
    std::vector<index_t> slot(n_vec);
    for (index_t v = 0; v < n_vec; ++v) slot[v] = v;
    std::shuffle(slot.begin(), slot.end(), rng.g);
    for (index_t v = 0; v < n_vec; ++v) {
      out_off[v] = slot[v] * width * step;
      lanes[v] = rng.one_in(3) ? rng.range(1, width) : width;
    }
    out.assign(static_cast<size_t>(n_vec * width * step), kUnwritten<T>);
  }
  T& at(std::vector<T>& o, index_t v, index_t l) const { return o[out_off[v] + l * step]; }
};

// A one-channel task (narrow, rows, paired) of one pass, K = x_off.size().
template <class T>
ConvTask<T> one_channel_task(const std::vector<T>& panel, const std::vector<index_t>& x_base,
                             const std::vector<index_t>& x_off, const std::vector<T>& w,
                             const T* bias, NarrowOut<T>& o, index_t out_w_step) {
  return {panel.data(),
          x_base.data(),
          x_off.data(),
          static_cast<index_t>(x_off.size()),
          w.data(),
          bias,
          1,
          static_cast<index_t>(x_base.size()),
          o.lanes.data(),
          o.out_off.data(),
          nullptr,
          o.out.data(),
          0,
          out_w_step,
          nullptr,
          true,
          true};
}

// Narrow (and rows, which must give the same sums): n_vec vectors from
// x_base[v], the K taps x_off, weights w[r].
template <class T>
void narrow_reference(const std::vector<T>& panel, const std::vector<index_t>& x_base,
                      const std::vector<index_t>& x_off, const std::vector<T>& w, const T* bias,
                      const NarrowOut<T>& o, std::vector<T>& want, bool fused) {
  for (size_t v = 0; v < x_base.size(); ++v)
    for (index_t l = 0; l < o.lanes[v]; ++l)
      o.at(want, v, l) =
          reference(panel, x_base[v] + l, x_off, w.data(), 1, bias ? bias[0] : T(0), fused);
}

template <class T>
void check_narrow(const KernelTable& tb, ConvKernel<T> kernel, bool fused, Rng& rng, Tally& tally) {
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  // (n_vec up to 27: every block size of conv_vectors and its remainders)
  for (index_t K : {1, 4, 9})
    for (index_t n_vec = 1; n_vec <= 27; ++n_vec)
      for (index_t step : {1, 2})
        for (bool with_bias : {false, true}) {
          std::vector<index_t> x_base(n_vec), x_off(K);
          for (auto& o : x_off) o = rng.range(0, 2 * L);
          for (auto& b : x_base) b = rng.range(0, 3 * L);
          const index_t panel_len = panel_length(x_base, x_off, L);
          const std::vector<T> panel = rng.values<T>(panel_len), w = rng.values<T>(K),
                               bias = rng.values<T>(1);
          NarrowOut<T> o(rng, n_vec, L, step);
          std::vector<T> want = o.out;
          narrow_reference(panel, x_base, x_off, w, with_bias ? bias.data() : nullptr, o, want,
                           fused);
          auto t =
              one_channel_task(panel, x_base, x_off, w, with_bias ? bias.data() : nullptr, o, step);
          kernel(t);
          tally.expect(o.out, want, tb.isa, "narrow",
                       describe({{"K", K}, {"n_vec", n_vec}, {"step", step}, {"bias", with_bias}}));
        }
}

// rows output rows of vec_row vectors, row_step panel positions apart; the
// K = kh*kw taps x_off[p*kw + q] = p*row_step + x_off[q].
template <class T>
void check_rows(const KernelTable& tb, ConvKernel<T> kernel, bool fused, Rng& rng, Tally& tally) {
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  for (index_t kh : {1, 2, 3, 4, 5, 7})  // (1 and 4: the narrow kernel's fallback)
    for (index_t kw : {1, 2, 3})
      for (index_t rows = 1; rows <= 9; ++rows)
        for (index_t vec_row = 1; vec_row <= 7; ++vec_row) {
          const bool with_bias = rng.one_in(2);
          const index_t step = rng.range(1, 2), dw = rng.range(1, 2);
          const index_t row_step = vec_row * L + (kw - 1) * dw + rng.range(0, 3);
          std::vector<index_t> x_off(kh * kw);
          for (index_t p = 0; p < kh; ++p)
            for (index_t q = 0; q < kw; ++q) x_off[p * kw + q] = p * row_step + q * dw;
          std::vector<index_t> x_base(rows * vec_row);
          for (index_t r = 0; r < rows; ++r)
            for (index_t u = 0; u < vec_row; ++u) x_base[r * vec_row + u] = r * row_step + u * L;
          const index_t panel_len = panel_length(x_base, x_off, L);
          const std::vector<T> panel = rng.values<T>(panel_len), w = rng.values<T>(kh * kw),
                               bias = rng.values<T>(1);
          NarrowOut<T> o(rng, rows * vec_row, L, step);
          std::vector<T> want = o.out;
          narrow_reference(panel, x_base, x_off, w, with_bias ? bias.data() : nullptr, o, want,
                           fused);
          auto t =
              one_channel_task(panel, x_base, x_off, w, with_bias ? bias.data() : nullptr, o, step);
          t.kh = kh;
          t.kw = kw;
          t.row_step = row_step;
          t.vec_row = vec_row;
          kernel(t);
          tally.expect(o.out, want, tb.isa, "rows",
                       describe({{"kh", kh},
                                 {"kw", kw},
                                 {"rows", rows},
                                 {"vec_row", vec_row},
                                 {"step", step},
                                 {"bias", with_bias}}));
        }
}

// Two column phases: piece v's output m of the K taps at column 2m, of the
// K2 taps at 2m + 1, lanes[v] <= 2L columns stored `step` apart.
template <class T>
void check_paired(const KernelTable& tb, ConvKernel<T> kernel, bool fused, Rng& rng, Tally& tally) {
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  for (index_t K = 1; K <= 4; ++K)
    for (index_t K2 = 1; K2 <= 4; ++K2)
      for (index_t n_vec = 1; n_vec <= 15; ++n_vec) {
        const bool with_bias = rng.one_in(2);
        const index_t step = rng.range(1, 2);
        std::vector<index_t> x_base(n_vec), x_off(K), x_off2(K2);
        for (auto& o : x_off) o = rng.range(0, 6);
        for (auto& o : x_off2) o = rng.range(0, 6);
        for (auto& b : x_base) b = rng.range(0, 2 * L);
        const index_t panel_len =
            std::max(panel_length(x_base, x_off, L), panel_length(x_base, x_off2, L));
        const std::vector<T> panel = rng.values<T>(panel_len), w = rng.values<T>(K),
                             w2 = rng.values<T>(K2), bias = rng.values<T>(1);
        NarrowOut<T> o(rng, n_vec, 2 * L, step);
        std::vector<T> want = o.out;
        const T start = with_bias ? bias[0] : T(0);
        for (index_t v = 0; v < n_vec; ++v)
          for (index_t l = 0; l < o.lanes[v]; ++l)
            o.at(want, v, l) =
                l % 2 == 0
                    ? reference(panel, x_base[v] + l / 2, x_off, w.data(), 1, start, fused)
                    : reference(panel, x_base[v] + l / 2, x_off2, w2.data(), 1, start, fused);
        auto t = one_channel_task(panel, x_base, x_off, w, with_bias ? bias.data() : nullptr, o,
                                  2 * step);
        t.x_off2 = x_off2.data();
        t.w2 = w2.data();
        t.K2 = K2;
        kernel(t);
        tally.expect(
            o.out, want, tb.isa, "paired",
            describe(
                {{"K", K}, {"K2", K2}, {"n_vec", n_vec}, {"step", step}, {"bias", with_bias}}));
      }
}

// Pointwise: `channels` output channels x n pixels, input channel r at
// panel + x_off[r] (its pixels adjacent), channel j's weights at w + j*K,
// outputs out[j*ch_step + i] with gaps between the channels' rows (which
// must stay unwritten).
template <class T>
void check_pointwise(const KernelTable& tb, ConvKernel<T> kernel, bool fused, Rng& rng,
                     Tally& tally) {
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  // (n up to 14 vectors and a bit: every block size and the overlapping
  // last vector; channels past every channel block; with ch_pairs, pairs
  // of channels interleaved at their ch_out offsets)
  for (bool pairs : {false, true})
    for (index_t K : {1, 3, 8})
      for (index_t channels = pairs ? 2 : 1; channels <= 10; channels += 2)
        for (index_t n = L; n <= 14 * L + 3; n += rng.range(1, L + 2)) {
          const bool with_bias = rng.one_in(2);
          std::vector<index_t> x_off(K);
          for (index_t r = 1; r < K; ++r) x_off[r] = x_off[r - 1] + n + rng.range(0, 3);
          const std::vector<T> panel = rng.values<T>(x_off.back() + n),
                               w = rng.values<T>(channels * K), bias = rng.values<T>(channels);
          const index_t ch_step = (pairs ? 2 * n : n) + rng.range(0, 5);
          // (pairs: pair m at ch_out[2m], the pairs in reverse order)
          std::vector<index_t> ch_out(channels);
          for (index_t j = 0; j < channels; j += 2)
            ch_out[j] = (channels / 2 - 1 - j / 2) * ch_step;
          std::vector<T> out(channels * ch_step, kUnwritten<T>), want = out;
          for (index_t j = 0; j < channels; ++j)
            for (index_t i = 0; i < n; ++i) {
              const index_t at = pairs ? ch_out[j - j % 2] + 2 * i + j % 2 : j * ch_step + i;
              want[at] = reference(panel, i, x_off, w.data() + j * K, 1, with_bias ? bias[j] : T(0),
                                   fused);
            }
          ConvTask<T> t{panel.data(), nullptr,
                        x_off.data(), K,
                        w.data(),     with_bias ? bias.data() : nullptr,
                        channels,     n,
                        nullptr,      nullptr,
                        nullptr,      out.data(),
                        ch_step,      1,
                        nullptr,      true,
                        true};
          if (pairs) {
            t.ch_out = ch_out.data();
            t.ch_pairs = true;
          }
          kernel(t);
          tally.expect(out, want, tb.isa, pairs ? "pointwise pairs" : "pointwise",
                       describe({{"K", K}, {"channels", channels}, {"n", n}, {"bias", with_bias}}));
        }
}

// The panel copy's deinterleave (DeinterleaveKernel): every phase count
// 1..5 and counts about one to three vectors (a channels-last row's
// channels), every length 0..3 vectors + 1, sources at odd offsets from an
// aligned start, against its definition; the phases lie `gap` apart in a
// NaN-filled destination, so a store outside [0, n) of a phase shows too.
// The source holds exactly what the kernel may read (ASan).
template <class T>
void check_deinterleave(const KernelTable& tb, Rng& rng, Tally& tally) {
  const auto kernel = fastconv::kernels::deinterleave_kernel<T>(tb);
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  for (index_t phases : {index_t(1), index_t(2), index_t(3), index_t(4), index_t(5), L - 1, L,
                         L + 1, 2 * L + 3, 3 * L})
    for (index_t n = 0; n <= 3 * L + 1; ++n)
      for (index_t offset : {0, 1, 3}) {
        const std::vector<T> values = rng.values<T>(offset + n * phases);
        const std::vector<T> src(values.begin() + offset, values.end());
        const index_t gap = n + rng.range(0, 3);
        std::vector<T> dst(phases * gap, kUnwritten<T>), want = dst;
        for (index_t f = 0; f < phases; ++f)
          for (index_t j = 0; j < n; ++j) want[f * gap + j] = src[j * phases + f];
        kernel(src.data(), n, phases, dst.data(), gap);
        tally.expect(dst, want, tb.isa, "deinterleave",
                     describe({{"phases", phases}, {"n", n}, {"offset", offset}}));
      }
}

// The Winograd panel copy's planes_to_rows (PlanesToRowsKernel): channel
// counts and lengths around one to three vectors, planes `gap` apart at
// odd offsets, rows `row` apart in a NaN-filled destination (a store
// outside [0, channels) of a row shows), against its definition.
template <class T>
void check_planes_to_rows(const KernelTable& tb, Rng& rng, Tally& tally) {
  const auto kernel = fastconv::kernels::planes_to_rows_kernel<T>(tb);
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  for (index_t channels : {index_t(1), index_t(3), L - 1, L, L + 1, 2 * L + 3, 3 * L})
    for (index_t n : {index_t(0), index_t(1), L - 1, L, L + 2, 3 * L + 1})
      for (index_t offset : {0, 1, 3}) {
        const index_t gap = n + rng.range(0, 3), row = channels + rng.range(0, 3);
        const std::vector<T> values = rng.values<T>(offset + channels * gap);
        const std::vector<T> src(values.begin() + offset, values.end());
        std::vector<T> dst(n * row, kUnwritten<T>), want = dst;
        for (index_t c = 0; c < channels; ++c)
          for (index_t j = 0; j < n; ++j) want[j * row + c] = src[c * gap + j];
        kernel(src.data(), gap, channels, n, dst.data(), row);
        tally.expect(dst, want, tb.isa, "planes_to_rows",
                     describe({{"channels", channels}, {"n", n}, {"offset", offset}}));
      }
}

// The channels-last depthwise kernel (DepthwiseTask): kernel sizes,
// strides, dilations, channel counts around one to four vectors and rows
// of 1 to 2P + 3 pixels (P = 16, the most pixels a block takes), input rows (some the zero row of a
// padding row) and a column table of zero padding, all the pixels with inner taps read at fixed
// offsets or (inner empty) through the table, against the definition. Each input row is its own
// exact allocation (ASan sees a read past it); the output starts NaN and has a spare pixel after
// it.
template <class T>
void check_depthwise(const KernelTable& tb, bool fused, Rng& rng, Tally& tally) {
  const auto kernel = fastconv::kernels::depthwise_kernel<T>(tb);
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  for (index_t C : {index_t(1), index_t(3), L - 1, L, L + 1, 2 * L, 2 * L + 3, 4 * L + 1})
    for (index_t cols = 1; cols <= 35; cols += rng.range(1, 3))
      for (int repeat = 0; repeat < 4; ++repeat) {
        const index_t kh = rng.range(1, 3), kw = rng.range(1, 7), sw = rng.range(1, 3),
                      dw = rng.range(1, 2), pad_left = rng.range(0, kw - 1);
        const index_t padded = (cols - 1) * sw + (kw - 1) * dw + 1;
        const index_t W = std::max<index_t>(1, padded - pad_left - rng.range(0, kw - 1));
        const index_t w_step = (C + L - 1) / L * L;
        std::vector<std::vector<T>> input;
        const std::vector<T> zeros(static_cast<size_t>(std::max(W * C, w_step)), T(0));
        std::vector<const T*> rows;
        for (index_t p = 0; p < kh; ++p) {
          input.push_back(rng.values<T>(W * C));
          rows.push_back(rng.one_in(4) ? zeros.data() : input.back().data());
        }
        std::vector<index_t> col(padded);
        for (index_t j = 0; j < padded; ++j)
          col[j] = j - pad_left >= 0 && j - pad_left < W ? (j - pad_left) * C : -1;
        index_t inner_lo = std::min(cols, (pad_left + sw - 1) / sw), inner_hi = inner_lo;
        const index_t last = W - 1 + pad_left - (kw - 1) * dw;
        if (last >= 0) inner_hi = std::max(inner_lo, std::min(cols, last / sw + 1));
        if (repeat == 0) inner_lo = inner_hi = 0;  // (every pixel through the table)
        const std::vector<T> w = rng.values<T>(kh * kw * w_step), bias = rng.values<T>(w_step);
        const bool with_bias = rng.one_in(2);
        std::vector<T> out((cols + 1) * C, kUnwritten<T>), want = out;
        for (index_t x = 0; x < cols; ++x)
          for (index_t c = 0; c < C; ++c) {
            T acc = with_bias ? bias[c] : T(0);
            for (index_t p = 0; p < kh; ++p)
              for (index_t q = 0; q < kw; ++q) {
                const index_t at = col[x * sw + q * dw];
                acc =
                    madd(acc, at < 0 ? T(0) : rows[p][at + c], w[(p * kw + q) * w_step + c], fused);
              }
            want[x * C + c] = acc;
          }
        fastconv::kernels::DepthwiseTask<T> t{
            rows.data(), col.data(), zeros.data(), kh,     kw,
            sw,          dw,         pad_left,     cols,   C,
            inner_lo,    inner_hi,   w.data(),     w_step, with_bias ? bias.data() : nullptr,
            out.data()};
        kernel(t);
        tally.expect(out, want, tb.isa, "depthwise",
                     describe({{"C", C},
                               {"cols", cols},
                               {"kh", kh},
                               {"kw", kw},
                               {"sw", sw},
                               {"dw", dw},
                               {"pad_left", pad_left},
                               {"W", W},
                               {"inner", inner_hi - inner_lo}}));
      }
}

// The channels-last 1x1 kernel (PointwiseNhwcTask): output channels
// around one to four vectors (the 3-vector block, the last channels
// alone), runs of pixels around the register blocks, pixel steps wider
// than the channels, with and without bias, and an epilogue (residual +
// prelu) in half the cases, against the definition. The input and the
// residual are exact allocations (ASan sees a read past them); the output
// starts NaN, its gaps between pixels included.
template <class T>
void check_pointwise_nhwc(const KernelTable& tb, bool fused, Rng& rng, Tally& tally) {
  const auto kernel = fastconv::kernels::pointwise_nhwc_kernel<T>(tb);
  const index_t L = tb.vec_bytes / static_cast<index_t>(sizeof(T));
  for (index_t C : {index_t(1), L - 1, L, L + 3, 2 * L, 3 * L, 3 * L + 1, 5 * L})
    for (index_t pixels = 1; pixels <= 53; pixels += rng.range(1, 9)) {
      const index_t K = rng.range(1, 9), w_step = (C + L - 1) / L * L;
      const index_t in_step = K + rng.range(0, 2), out_step = C + rng.range(0, 2);
      const std::vector<T> in = rng.values<T>((pixels - 1) * in_step + K);
      const std::vector<T> res = rng.values<T>((pixels - 1) * out_step + C);
      std::vector<T> w = rng.values<T>(K * w_step), bias = rng.values<T>(w_step);
      std::vector<T> slopes = rng.values<T>(w_step);
      const bool with_bias = rng.one_in(2), fuse = rng.one_in(2);
      std::vector<T> out((pixels - 1) * out_step + C, kUnwritten<T>), want = out;
      for (index_t i = 0; i < pixels; ++i)
        for (index_t o = 0; o < C; ++o) {
          T acc = with_bias ? bias[o] : T(0);
          for (index_t r = 0; r < K; ++r)
            acc = madd(acc, in[i * in_step + r], w[r * w_step + o], fused);
          if (fuse) {
            acc += res[i * out_step + o];
            acc = acc > T(0) ? acc : acc * slopes[o];
          }
          want[i * out_step + o] = acc;
        }
      fastconv::kernels::Epilogue<T> epilogue;
      epilogue.activation = fastconv::Activation::prelu;
      epilogue.slopes = slopes.data();
      fastconv::kernels::PointwiseNhwcTask<T> t{
          in.data(),  in_step, K, pixels, w.data(), w_step, with_bias ? bias.data() : nullptr, C,
          out.data(), out_step};
      if (fuse) {
        t.epilogue = &epilogue;
        t.res = res.data();
        t.slopes = slopes.data();
      }
      kernel(t);
      tally.expect(out, want, tb.isa, "pointwise_nhwc",
                   describe({{"C", C}, {"pixels", pixels}, {"K", K}, {"fuse", fuse}}));
    }
}

template <class T>
bool check_type(const KernelTable& tb, bool fused, Rng& rng, Tally& tally) {
  const auto k = fastconv::kernels::conv_kernels<T>(tb);
  if (!k.wide || !k.half || !k.narrow || !k.rows || !k.paired || !k.pointwise) {
    std::printf("FAIL %s: a layer kernel of %s is missing\n", tb.isa,
                sizeof(T) == 4 ? "float" : "double");
    return false;
  }
  check_wide<T>(tb, k.wide, tb.conv_channel_vecs, fused, rng, tally);
  check_wide<T>(tb, k.half, 1, fused, rng, tally);
  check_narrow<T>(tb, k.narrow, fused, rng, tally);
  check_rows<T>(tb, k.rows, fused, rng, tally);
  check_paired<T>(tb, k.paired, fused, rng, tally);
  check_pointwise<T>(tb, k.pointwise, fused, rng, tally);
  if (!fastconv::kernels::deinterleave_kernel<T>(tb)) {
    std::printf("FAIL %s: the deinterleave kernel of %s is missing\n", tb.isa,
                sizeof(T) == 4 ? "float" : "double");
    return false;
  }
  check_deinterleave<T>(tb, rng, tally);
  if (!fastconv::kernels::planes_to_rows_kernel<T>(tb)) {
    std::printf("FAIL %s: the planes_to_rows kernel of %s is missing\n", tb.isa,
                sizeof(T) == 4 ? "float" : "double");
    return false;
  }
  check_planes_to_rows<T>(tb, rng, tally);
  if (!fastconv::kernels::depthwise_kernel<T>(tb)) {
    std::printf("FAIL %s: the depthwise kernel of %s is missing\n", tb.isa,
                sizeof(T) == 4 ? "float" : "double");
    return false;
  }
  check_depthwise<T>(tb, fused, rng, tally);
  if (!fastconv::kernels::pointwise_nhwc_kernel<T>(tb)) {
    std::printf("FAIL %s: the channels-last 1x1 kernel of %s is missing\n", tb.isa,
                sizeof(T) == 4 ? "float" : "double");
    return false;
  }
  check_pointwise_nhwc<T>(tb, fused, rng, tally);
  return true;
}

}  // namespace

int main() {
  Rng rng;
  int failures = 0;
  std::vector<std::pair<const KernelTable*, bool>> tables;  // (table, fused)
  for (const std::string& isa : fastconv::available_isas()) {
    if (const KernelTable* tb = table_named(isa))
      tables.emplace_back(tb, fused_isa(isa));
    else {
      std::printf("FAIL %s: available, but this test does not know its table\n", isa.c_str());
      ++failures;
    }
  }
  // (compiled with this test's -ffp-contract=off: unfused)
  for (const KernelTable* tb : {&fastconv::kernels::w16::table(), &fastconv::kernels::w32::table(),
                                &fastconv::kernels::w64::table()})
    tables.emplace_back(tb, false);
  for (const auto& [tb, fused] : tables) {
    const std::string isa = tb->isa;
    Tally tally;
    if (!check_type<float>(*tb, fused, rng, tally)) ++failures;
    if (!check_type<double>(*tb, fused, rng, tally)) ++failures;
    std::printf("%s (%s): %d cases, %d failed\n", isa.c_str(), fused ? "fused" : "unfused",
                tally.cases, tally.failures);
    failures += tally.failures;
  }
  std::printf("%d failed\n", failures);
  return failures ? 1 : 0;
}

#pragma once
// Depthwise layers (one input and one output channel per group) through
// the channels-last depthwise kernel (kernels.hpp, DepthwiseTask), which
// reads a row's pixels in place, vectors of channels at a time:
// - channels-last input and output: the input read in place where its
//   pixels start on vector boundaries, else its rows copied into aligned
//   scratch rows;
// - planar (NCHW) input and output: each input row the outputs need is
//   transposed once into a channels-last scratch row (a few per thread,
//   reused by the next output rows), each output row computed channels-last
//   and transposed back. Where the planar kernels would copy every
//   channel's rows into a panel and run a narrow kernel per channel, this
//   keeps whole vectors busy for any stride and kernel size.
// Any kernel size, stride, dilation and padding mode. Each output is bias +
// its taps in ascending order, the planar kernels' sums: the same bits in
// every layout (tests/test_nn_layers.py).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/kernels.hpp"
#include "nn/plan.hpp"
#include "parallel.hpp"

namespace fastconv::detail {

// What every output row of a depthwise layer shares: the weights tap-major
// (a tap's channels side by side), the bias and zeros in whole vectors, and
// the column table (DepthwiseTask's fields but the rows and the output).
template <class T>
class DepthwiseRows {
 public:
  DepthwiseRows(const LayerPlan& p, const View<const T>& w, const View<const T>& b,
                const kernels::Epilogue<T>* epilogue)
      : p_(p), epilogue_(epilogue) {
    const kernels::KernelTable& table = kernels::active_table();
    kernel_ = kernels::depthwise_kernel<T>(table);
    const index_t lanes = table.vec_bytes / static_cast<index_t>(sizeof(T));
    const index_t C = p.channels;
    w_step_ = (C + lanes - 1) / lanes * lanes;
    wt_.assign(static_cast<size_t>(p.kh * p.kw * w_step_), T(0));
    for (index_t c = 0; c < C; ++c)
      for (index_t kp = 0; kp < p.kh; ++kp)
        for (index_t kq = 0; kq < p.kw; ++kq)
          wt_[(kp * p.kw + kq) * w_step_ + c] =
              w.data[c * w.strides[0] + kp * w.strides[2] + kq * w.strides[3]];
    if (b.data) {
      bias_.assign(static_cast<size_t>(w_step_), T(0));
      for (index_t c = 0; c < C; ++c) bias_[c] = b.data[c * b.strides[0]];
    }
    // (a padding row in zero mode is a row of these; the zeros of a column
    // outside are its first w_step)
    zeros_.assign(static_cast<size_t>(std::max(p.w * C, w_step_)), T(0));

    // Padded column j (output column x's tap q: x*sw + q*dw) through the
    // padding rule, as an offset in a row; the output columns whose taps
    // all lie inside, [inner_lo, inner_hi).
    const index_t padded = (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1;
    col_.resize(static_cast<size_t>(padded));
    for (index_t j = 0; j < padded; ++j) {
      const index_t m = map_padded(j - p.pad_left, p.w, p.mode);
      col_[j] = m < 0 ? -1 : m * C;
    }
    const index_t reach = (p.kw - 1) * p.dw;
    inner_lo_ = std::min(p.ow, (p.pad_left + p.sw - 1) / p.sw);
    const index_t last = p.w - 1 + p.pad_left - reach;  // (the last inner column's first tap)
    inner_hi_ = std::max(inner_lo_, last < 0 ? 0 : std::min(p.ow, last / p.sw + 1));
  }

  // Input row index of output row r's tap row kp through the padding rule
  // (-1: a row of zeros).
  index_t input_row(index_t r, index_t kp) const {
    return map_padded(r * p_.sh - p_.pad_top + kp * p_.dh, p_.h, p_.mode);
  }
  const T* zeros() const { return zeros_.data(); }

  // One output row: rows[kp] its tap rows (channels-last, pixels dense),
  // out and res (nullptr: no residual) channels-last rows.
  void run(const T* const* rows, T* out, const T* res) const {
    kernels::DepthwiseTask<T> t{
        rows,      col_.data(), zeros_.data(), p_.kh,   p_.kw,
        p_.sw,     p_.dw,       p_.pad_left,   p_.ow,   p_.channels,
        inner_lo_, inner_hi_,   wt_.data(),    w_step_, bias_.empty() ? nullptr : bias_.data(),
        out};
    if (epilogue_) {
      t.epilogue = epilogue_;
      t.slopes = epilogue_->slopes;
      t.res = res;
    }
    kernel_(t);
  }

 private:
  const LayerPlan& p_;
  const kernels::Epilogue<T>* epilogue_;
  kernels::DepthwiseKernel<T> kernel_;
  index_t w_step_ = 0, inner_lo_ = 0, inner_hi_ = 0;
  std::vector<T> wt_, bias_, zeros_;
  std::vector<index_t> col_;
};

// Whether run_depthwise takes a layer with channels-last input and output:
// one input and one output channel per group, input and output
// channels-last with their pixels dense (a pixel's channels, then the next
// pixel's).
template <class T>
bool depthwise_channels_last_applies(const LayerPlan& p, const View<const T>& x,
                                     const View<T>& out) {
  if (!kernels::depthwise_kernel<T>(kernels::active_table())) return false;
  const index_t C = p.channels;
  return p.cin_g == 1 && p.cout_g == 1 && x.strides[1] == 1 && out.strides[1] == 1 &&
         x.strides[3] == C && out.strides[3] == C && (p.h == 1 || x.strides[2] == p.w * C) &&
         (p.oh == 1 || out.strides[2] == p.ow * C);
}

// Whether run_depthwise takes a layer with planar input and output: one
// input and one output channel per group, rows with unit column steps, and
// at least a vector of channels and of columns in and out (the transposes'
// register blocks; narrower layers stay with the planar kernels).
template <class T>
bool depthwise_planar_applies(const LayerPlan& p, const View<const T>& x, const View<T>& out) {
  const kernels::KernelTable& table = kernels::active_table();
  if (!kernels::depthwise_kernel<T>(table)) return false;
  const index_t lanes = table.vec_bytes / static_cast<index_t>(sizeof(T));
  return p.cin_g == 1 && p.cout_g == 1 && x.strides[3] == 1 && out.strides[3] == 1 &&
         p.channels >= lanes && p.w >= lanes && p.ow >= lanes;
}

// A layer that depthwise_channels_last_applies or depthwise_planar_applies
// to, on 4-D views; `residual` with out's strides (CallEpilogue's),
// data == nullptr for none. The kernel reads channels-last rows whose
// pixels start on vector boundaries where it can: 1.4x faster on an
// AVX-512 core than at the 16-byte alignment NumPy gives its arrays. So a
// planar input's rows, and a channels-last input's when they are not so
// aligned, are first copied (transposed or as they are) into aligned
// scratch rows; each thread keeps kh + 1 of them, least recently used
// out first, and its output rows are consecutive, so each input row is
// copied about once.
template <class T>
void run_depthwise(const LayerPlan& p, const View<const T>& x, const View<const T>& w,
                   const View<const T>& b, const View<T>& out, int threads,
                   const kernels::Epilogue<T>* epilogue, const View<const T>& residual) {
  const kernels::KernelTable& table = kernels::active_table();
  const kernels::PlanesToRowsKernel<T> to_rows = kernels::planes_to_rows_kernel<T>(table);
  const DepthwiseRows<T> rows_of(p, w, b, epilogue);
  const index_t C = p.channels, align = table.vec_bytes / static_cast<index_t>(sizeof(T));
  const bool planar = x.strides[3] == 1;
  const bool staged =
      planar || (C % align == 0 && reinterpret_cast<std::uintptr_t>(x.data) % table.vec_bytes != 0);
  const index_t slots = staged ? p.kh + 1 : 0;
  const index_t in_len = (p.w * C + align - 1) / align * align;
  const index_t out_len = planar ? (p.ow * C + align - 1) / align * align : 0;
  parallel_tasks(p.batch * p.oh, threads, [&](const TaskLoop& for_each_task) {
    // (uninitialised: every row is written before it is read; zeroing
    // hundreds of KiB per call would show on small layers)
    const std::unique_ptr<T[]> scratch(
        new T[static_cast<size_t>(slots * in_len + 2 * out_len + align)]);
    T* base = scratch.get();
    base += (align - reinterpret_cast<std::uintptr_t>(base) / sizeof(T) % align) % align;
    T* const out_row = base + slots * in_len;  // (planar: the output row, then the residual's)
    T* const res_row = out_row + out_len;
    // scratch row s holds input row held[s] of image held_image[s] (-1:
    // none), last used at use[s]
    std::vector<index_t> held(static_cast<size_t>(slots), -1), held_image(held), use(held);
    index_t clock = 0;
    auto staged_row = [&](index_t n, index_t ri) {
      index_t s = 0;
      while (s < slots && !(held[s] == ri && held_image[s] == n)) ++s;
      if (s == slots) {  // (never a row this output row uses: those are newer)
        s = std::min_element(use.begin(), use.end()) - use.begin();
        const T* from = x.data + n * x.strides[0] + ri * x.strides[2];
        if (planar)
          to_rows(from, x.strides[1], C, p.w, base + s * in_len, C);
        else
          std::copy(from, from + p.w * C, base + s * in_len);
        held[s] = ri;
        held_image[s] = n;
      }
      use[s] = ++clock;
      return base + s * in_len;
    };
    std::vector<const T*> rows(static_cast<size_t>(p.kh));
    for_each_task([&](index_t task) {
      const index_t n = task / p.oh, r = task % p.oh;
      for (index_t kp = 0; kp < p.kh; ++kp) {
        const index_t ri = rows_of.input_row(r, kp);
        rows[kp] = ri < 0   ? rows_of.zeros()
                   : staged ? staged_row(n, ri)
                            : x.data + n * x.strides[0] + ri * x.strides[2];
      }
      const index_t at = n * out.strides[0] + r * out.strides[2];
      const T* res = residual.data ? residual.data + at : nullptr;
      if (!planar) {
        rows_of.run(rows.data(), out.data + at, res);
        return;
      }
      if (res) {
        to_rows(res, residual.strides[1], C, p.ow, res_row, C);
        res = res_row;
      }
      rows_of.run(rows.data(), out_row, res);
      // (the transpose back: ow "channels" of C positions)
      to_rows(out_row, C, p.ow, C, out.data + at, out.strides[1]);
    });
  });
}

}  // namespace fastconv::detail

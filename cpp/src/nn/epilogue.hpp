#pragma once
// A layer call's fused epilogue (fastconv::Epilogue, nn.hpp): checked,
// turned into the kernels' form (kernels::Epilogue: relu6 as clamp,
// leaky_relu as prelu, the slopes one per channel and padded), the
// residual laid out as `out` is (the kernels read it at out's offsets),
// and the pass for the outputs that no kernel stores (the transposed
// layer's untouched phases and term-by-term path, and the runs on the
// denormal guard's scaled copies, whose outputs it scales afterwards).
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernels.hpp"
#include "nn/plan.hpp"

namespace fastconv::detail {

template <class T>
constexpr bool kHasEpilogue = std::is_same_v<T, float> || std::is_same_v<T, double>;

// The checks of an epilogue of a layer with out_channels, for element
// type T: std::invalid_argument naming activation.
template <class T>
void check_epilogue(const Epilogue& e, index_t out_channels) {
  if (e.activation == Activation::none) return;
  if (!kHasEpilogue<T>) throw std::invalid_argument("activation: needs float or double elements");
  if (e.activation == Activation::clamp && !(e.min <= e.max))
    throw std::invalid_argument("activation: clamp needs min <= max, got " + std::to_string(e.min) +
                                " and " + std::to_string(e.max));
  if (e.activation == Activation::prelu && e.slopes.size() != 1 &&
      e.slopes.size() != static_cast<size_t>(out_channels))
    throw std::invalid_argument("activation: prelu needs 1 or " + std::to_string(out_channels) +
                                " slopes (one per output channel), got " +
                                std::to_string(e.slopes.size()));
}

template <class T>
class CallEpilogue {
 public:
  // `residual`: data == nullptr for none, else out's shape (checked).
  CallEpilogue(const Epilogue& e, index_t out_channels, const View<const T>& residual,
               const View<T>& out) {
    check_epilogue<T>(e, out_channels);
    if (residual.data) {
      if (!kHasEpilogue<T>) throw std::invalid_argument("residual: needs float or double elements");
      check_view(residual, "residual");
      if (residual.shape != out.shape)
        throw std::invalid_argument("residual: shape must be out's " + shape_str(out.shape) +
                                    ", got " + shape_str(residual.shape));
    }
    active_ = e.activation != Activation::none || residual.data;
    if (!active_) return;
    kernel_.activation = e.activation;
    if (e.activation == Activation::relu6 || e.activation == Activation::clamp) {
      kernel_.activation = Activation::clamp;
      kernel_.lo = e.activation == Activation::relu6 ? T(0) : static_cast<T>(e.min);
      kernel_.hi = e.activation == Activation::relu6 ? T(6) : static_cast<T>(e.max);
    }
    if (e.activation == Activation::leaky_relu || e.activation == Activation::prelu) {
      kernel_.activation = Activation::prelu;
      // (past the last channel: a whole block of the wide kernel, zeros)
      slopes_.assign(static_cast<size_t>(out_channels + kMaxBlock), T(0));
      for (index_t c = 0; c < out_channels; ++c)
        slopes_[static_cast<size_t>(c)] =
            static_cast<T>(e.activation == Activation::leaky_relu ? e.negative_slope
                           : e.slopes.size() == 1 ? e.slopes[0]
                                                  : e.slopes[static_cast<size_t>(c)]);
      kernel_.slopes = slopes_.data();
    }
    if (residual.data) lay_out_residual(residual, out);
  }
  CallEpilogue(const CallEpilogue&) = delete;  // (kernel_ points into this)
  CallEpilogue& operator=(const CallEpilogue&) = delete;

  // The kernels' epilogue, or nullptr when there is none.
  const kernels::Epilogue<T>* kernel() const { return active_ ? &kernel_ : nullptr; }
  // The residual with out's strides (data == nullptr: none).
  const View<const T>& residual() const { return residual_; }

  // The epilogue over every output of `part` (any rank, channels on axis
  // 1), as a pass: the call's out, or a part of it starting `at` elements
  // after out's first (the residual's part starts as far after its first:
  // it has out's offsets).
  void apply(const View<T>& part, index_t at = 0) const {
    if constexpr (kHasEpilogue<T>) {
      if (!active_ || part.size() == 0) return;
      const kernels::EpiloguePass<T> pass = kernels::epilogue_pass<T>(kernels::active_table());
      const size_t last = part.shape.size() - 1;  // (a pass per line along it)
      std::vector<index_t> i(last, 0);
      for (;;) {
        index_t off = 0;
        for (size_t a = 0; a < last; ++a) off += i[a] * part.strides[a];
        pass(kernel_, part.data + off, residual_.data ? residual_.data + at + off : nullptr,
             part.shape[last], part.strides[last], part.strides[last],
             slopes_.empty() ? T(0) : slopes_[static_cast<size_t>(i[1])]);
        for (size_t a = last;;) {  // (the next line)
          if (a == 0) return;
          --a;
          if (++i[a] < part.shape[a]) break;
          i[a] = 0;
        }
      }
    }
  }

  // The kernels' epilogue, into e, for a layer whose output channel m is
  // channel channel_of[m] of this one (prelu's slopes rearranged into
  // `slopes`).
  void rearrange(const std::vector<index_t>& channel_of, kernels::Epilogue<T>& e,
                 std::vector<T>& slopes) const {
    e = kernel_;
    if (e.slopes) {
      slopes.assign(channel_of.size() + kMaxBlock, T(0));
      for (size_t m = 0; m < channel_of.size(); ++m)
        slopes[m] = slopes_[static_cast<size_t>(channel_of[m])];
      e.slopes = slopes.data();
    }
  }

 private:
  static constexpr index_t kMaxBlock = 64;  // channels per block of any ISA, at most

  // The residual as the kernels read it: at out's offsets. A copy when its
  // strides differ or it overlaps out (the narrow kernels may store an
  // output twice, reading its residual each time).
  void lay_out_residual(const View<const T>& residual, const View<T>& out) {
    if (residual.strides == out.strides && !may_overlap(out, residual)) {
      residual_ = residual;
      return;
    }
    index_t lo = 0, hi = 0;  // out's offsets span [lo, hi]
    for (size_t a = 0; a < out.shape.size(); ++a)
      (out.strides[a] < 0 ? lo : hi) += (out.shape[a] - 1) * out.strides[a];
    residual_copy_.assign(static_cast<size_t>(hi - lo + 1), T(0));
    T* base = residual_copy_.data() - lo;
    std::vector<index_t> at(out.shape.size(), 0);
    for (index_t k = 0; k < out.size(); ++k) {
      index_t from = 0, to = 0;
      for (size_t a = 0; a < at.size(); ++a) {
        from += at[a] * residual.strides[a];
        to += at[a] * out.strides[a];
      }
      base[to] = residual.data[from];
      for (size_t a = at.size(); a-- > 0;) {
        if (++at[a] < out.shape[a]) break;
        at[a] = 0;
      }
    }
    residual_ = View<const T>(base, out.shape, out.strides);
  }

  bool active_ = false;
  kernels::Epilogue<T> kernel_;
  std::vector<T> slopes_;
  View<const T> residual_;
  std::vector<T> residual_copy_;
};

}  // namespace fastconv::detail

#pragma once
// N-dimensional direct convolution and correlation (1-D and 2-D are the
// fast core; more dimensions are handled plane by plane).
//
//   convolve:  out[i] = sum_p x~[i*s + start - p*d] * k[p]
//   correlate: out[i] = sum_p x~[i*s + start - (ke-1) + p*d] * conj(k[p])
//
// per convolved axis, where x~ is the input extended by the boundary rule
// and `start` is where the mode's output begins in the full result. The
// correlation conjugates complex kernels, as scipy.signal.correlate does.
//
// Supported element types: float, double, long double and their
// std::complex, and std::int64_t (wrapping two's-complement arithmetic, as
// NumPy integer arrays do).
#include "fastconv/export.hpp"
#include <array>
#include <stdexcept>  // errors are std::invalid_argument
#include <vector>

#include "fastconv/options.hpp"
#include "fastconv/view.hpp"

namespace fastconv {

// A convolution or correlation planned once: the checked options and what
// they give for one pair of input shapes. Make it with plan_convolve or
// plan_correlate, then execute() it on arrays of the planned shapes (as
// often as wanted); output_shape, convolve and correlate do both steps.
struct ConvPlan {
  // (No default values: a plan is made per call, and zeroing all 64 axes
  // would cost more than a tiny call's convolution.)
  struct Axis {
    bool convolved;
    index_t in_n, kernel_n;  // the operands' extents, in run order
    index_t out_n;
    index_t stride, dilation;  // 1 along batch axes
    // Convolved axes: the first output's index in the full result (the
    // element the mode and anchor keep first); 0 along batch axes.
    index_t start;
  };
  bool flip_kernel = true;  // convolution (true) or correlation
  // The inputs trade places (ConvOptions::swap_valid_inputs): execute()
  // then computes the operation of (in2, in1), so that the caller can undo
  // it (a correlation's result reversed, as scipy does).
  bool swapped = false;
  Boundary boundary = Boundary::fill;
  int threads = 0;
  int rank = 0;
  std::array<Axis, kMaxRank> axis;  // the first `rank` entries are set

  std::vector<index_t> out_shape() const;
};

// Plan the convolution or correlation of arrays of shapes `in_shape` (in1)
// and `kernel_shape` (in2). Throws std::invalid_argument naming the bad
// argument, also when the result size would not fit in a signed
// pointer-sized integer.
FASTCONV_API ConvPlan plan_convolve(const std::vector<index_t>& in_shape,
                                    const std::vector<index_t>& kernel_shape,
                                    const ConvOptions& options);
FASTCONV_API ConvPlan plan_correlate(const std::vector<index_t>& in_shape,
                                     const std::vector<index_t>& kernel_shape,
                                     const ConvOptions& options);

// Run a plan: `in` and `kernel` must have the shapes it was made for (in
// the caller's order, also when swapped), `out` the planned output shape;
// `out` must not overlap the inputs.
template <class T>
FASTCONV_API void execute(const ConvPlan& plan, View<const T> in, View<const T> kernel, View<T> out,
                          T fillvalue = T(0));

// The shape of the result of convolving `in` with `kernel` (both of the
// same rank). Throws std::invalid_argument naming the bad argument, also
// when the result size would not fit in a signed pointer-sized integer.
FASTCONV_API std::vector<index_t> output_shape(const std::vector<index_t>& in_shape,
                                               const std::vector<index_t>& kernel_shape,
                                               const ConvOptions& options);

// Write the convolution of `in` with `kernel` into `out`, whose shape must
// equal output_shape(in.shape, kernel.shape, options). `out` must not
// overlap the inputs. `fillvalue` is the constant of Boundary::fill.
template <class T>
FASTCONV_API void convolve(View<const T> in, View<const T> kernel, View<T> out,
                           const ConvOptions& options, T fillvalue = T(0));

template <class T>
FASTCONV_API void correlate(View<const T> in, View<const T> kernel, View<T> out,
                            const ConvOptions& options, T fillvalue = T(0));

// Separable convolution (MATLAB conv2(u, v, A)): convolve the columns of
// the 2-D `in` with `col`, then the rows with `row` -- equal to convolve()
// with the kernel col * row^T and the same options (mode, boundary,
// stride, anchor; dilation 1), in O(k) work per output instead of O(k^2).
// In 'valid' mode an input smaller than the kernel along an axis gives an
// empty result along it (MATLAB's rule) instead of an error.
FASTCONV_API std::vector<index_t> separable_output_shape(const std::vector<index_t>& in_shape,
                                                         index_t col_length, index_t row_length,
                                                         const ConvOptions& options);

template <class T>
FASTCONV_API void convolve_separable(View<const T> in, View<const T> col, View<const T> row,
                                     View<T> out, const ConvOptions& options, T fillvalue = T(0));

// The same in two steps: the plan (ConvPlan's in_n are in1's extents,
// kernel_n the lengths of col and row), then the run on arrays of those
// shapes.
FASTCONV_API ConvPlan plan_separable(const std::vector<index_t>& in_shape, index_t col_length,
                                     index_t row_length, const ConvOptions& options);

template <class T>
FASTCONV_API void convolve_separable(const ConvPlan& plan, View<const T> in, View<const T> col,
                                     View<const T> row, View<T> out, T fillvalue = T(0));

}  // namespace fastconv

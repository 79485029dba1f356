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
#include <stdexcept>  // errors are std::invalid_argument
#include <vector>

#include "fastconv/options.hpp"
#include "fastconv/view.hpp"

namespace fastconv {

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

}  // namespace fastconv

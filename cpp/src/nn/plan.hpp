#pragma once
// The CNN layers' plans: the argument checks and the one home of the shape
// and padding rules (output sizes, 'same' padding, the padding modes' index
// maps), for the one-call functions and the layer objects alike.
#include <array>
#include <string>
#include <vector>

#include "execute.hpp"
#include "fastconv/nn.hpp"

namespace fastconv::detail {

using LayerPlan = ConvLayerPlan;
using TransposedPlan = ConvTransposeLayerPlan;

LayerPlan plan_layer(const std::vector<index_t>& in_shape, const std::vector<index_t>& w_shape,
                     const ConvLayerOptions& o);
TransposedPlan plan_transposed(const std::vector<index_t>& in_shape,
                               const std::vector<index_t>& w_shape,
                               const ConvTransposeLayerOptions& o);

// Whether a plan's shape allows Winograd (3x3, stride 1, dilation 1, 2-D).
inline bool winograd_shape(const LayerPlan& p) {
  return p.spatial == 2 && p.kh == 3 && p.kw == 3 && p.sh == 1 && p.sw == 1 && p.dh == 1 &&
         p.dw == 1;
}

// Input index i of an axis of n through the padding rule; -1: a zero.
index_t map_padded(index_t i, index_t n, PaddingMode m);

// An input (N, C, spatial...) that a layer of weights w_shape can take
// whatever its options (the kernel fits, padding is smaller than it):
// planning it checks the weights and options of a layer object at
// construction, before any input is seen.
std::vector<index_t> probe_input(const std::vector<index_t>& w_shape, index_t channels,
                                 const std::vector<std::vector<index_t>>& paddings,
                                 const std::vector<index_t>& dilation);

// A layer object's input: its rank and channel count are the weights'
// (the error names the input, where the one-call plan names the weight).
void check_layer_input(const std::vector<index_t>& in_shape, const std::vector<index_t>& w_shape,
                       index_t channels);

// The views as 4-D (N, C, H, W): a 1-D layer gets an H axis of size 1.
template <class T>
View<T> as_4d(View<T> v) {
  if (v.ndim() == 3) {
    v.shape.insert(v.shape.begin() + 2, 1);
    v.strides.insert(v.strides.begin() + 2, 0);
  }
  return v;
}

// conv1d's input has 3 dimensions, conv2d's 4 (checked before planning:
// the plan would take either).
template <class T>
void check_layer_rank(const View<const T>& in, int spatial, const char* name) {
  if (in.ndim() != spatial + 2)
    throw std::invalid_argument(std::string("input: ") + name + std::to_string(spatial) +
                                "d expects " + std::to_string(spatial + 2) + " dimensions, got " +
                                shape_str(in.shape));
}

// The checks of a layer call beyond its plan: views, rank, out and bias.
template <class T>
void check_layer_call(const View<const T>& in, const View<const T>& weight,
                      const View<const T>& bias, const View<T>& out, int spatial,
                      const char* name) {
  detail::check_view(in, "input");
  detail::check_view(weight, "weight");
  detail::check_view(out, "out");
  if (bias.data) detail::check_view(bias, "bias");
  check_layer_rank(in, spatial, name);
}

// The input and weight a plan was made for, (N, C, H, W) and (A, B, kh, kw)
// (a 1-D layer's have no H and kh).
template <class T>
void check_planned_shapes(const View<const T>& in, const View<const T>& weight,
                          std::array<index_t, 4> in_shape, std::array<index_t, 4> w_shape,
                          int spatial) {
  const int skip = spatial == 1 ? 1 : 0;  // (a 1-D layer: no H axis)
  auto equal = [&](const std::vector<index_t>& got, const std::array<index_t, 4>& want) {
    if (got.size() != static_cast<size_t>(4 - skip)) return false;
    for (int a = 0, b = 0; a < 4; ++a)
      if (!(skip && a == 2) && got[b++] != want[a]) return false;
    return true;
  };
  if (!equal(in.shape, in_shape) || !equal(weight.shape, w_shape))
    throw std::invalid_argument("input/weight: shapes " + shape_str(in.shape) + " and " +
                                shape_str(weight.shape) + " are not the plan's");
}

template <class T>
void check_layer_out(const std::vector<index_t>& shape, index_t out_channels,
                     const View<const T>& in, const View<const T>& weight,
                     const View<const T>& bias, const View<T>& out) {
  if (out.shape != shape)
    throw std::invalid_argument("out: shape must be " + shape_str(shape) + ", got " +
                                shape_str(out.shape));
  if (bias.data && bias.shape != std::vector<index_t>{out_channels})
    throw std::invalid_argument("bias: expected shape (" + std::to_string(out_channels) +
                                ",), got " + shape_str(bias.shape));
  if (detail::may_overlap(out, in) || detail::may_overlap(out, weight) ||
      (bias.data && detail::may_overlap(out, bias)))
    throw std::invalid_argument("out: must not overlap input, weight or bias");
}

}  // namespace fastconv::detail

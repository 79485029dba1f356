// The CNN layers' plans (nn/plan.hpp): the one home of their shape and
// padding rules.
#include "nn/plan.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "boundary.hpp"

namespace fastconv {

PaddingMode parse_padding_mode(const std::string& name) {
  if (name == "zeros") return PaddingMode::zeros;
  if (name == "reflect") return PaddingMode::reflect;
  if (name == "replicate") return PaddingMode::replicate;
  if (name == "circular") return PaddingMode::circular;
  throw std::invalid_argument(
      "padding_mode: expected 'zeros', 'reflect', 'replicate' or "
      "'circular', got '" +
      name + "'");
}

ConvAlgorithm parse_conv_algorithm(const std::string& name) {
  if (name == "auto") return ConvAlgorithm::automatic;
  if (name == "direct") return ConvAlgorithm::direct;
  if (name == "winograd") return ConvAlgorithm::winograd;
  throw std::invalid_argument("algorithm: expected 'auto', 'direct' or 'winograd', got '" + name +
                              "'");
}

Activation parse_activation(const std::string& name) {
  static const std::pair<const char*, Activation> kNames[] = {
      {"none", Activation::none},
      {"relu", Activation::relu},
      {"relu6", Activation::relu6},
      {"clamp", Activation::clamp},
      {"leaky_relu", Activation::leaky_relu},
      {"prelu", Activation::prelu},
      {"sigmoid", Activation::sigmoid},
      {"hardsigmoid", Activation::hardsigmoid},
      {"hardswish", Activation::hardswish},
      {"silu", Activation::silu}};
  for (const auto& [known, a] : kNames)
    if (name == known) return a;
  throw std::invalid_argument(
      "activation: expected 'relu', 'relu6', 'clamp', 'leaky_relu', 'prelu', 'sigmoid', "
      "'hardsigmoid', 'hardswish' or 'silu', got '" +
      name + "'");
}

namespace detail {

namespace {

// The checks that every layer makes of its shapes: rank, signs, and a
// non-empty input apart from the batch. `layout` names the weight's axes.
void check_layer_shapes(const std::vector<index_t>& in_shape, const std::vector<index_t>& w_shape,
                        const char* layout) {
  const size_t rank = in_shape.size();
  if (rank != 3 && rank != 4)
    throw std::invalid_argument("input: expected shape (N, C, L) or (N, C, H, W), got " +
                                shape_str(in_shape));
  if (w_shape.size() != rank)
    throw std::invalid_argument("weight: expected " + std::to_string(rank) + " dimensions " +
                                layout + " for input " + shape_str(in_shape) + ", got " +
                                shape_str(w_shape));
  for (index_t s : in_shape)
    if (s < 0) throw std::invalid_argument("input: negative size in " + shape_str(in_shape));
  for (index_t s : w_shape)
    if (s < 0) throw std::invalid_argument("weight: negative size in " + shape_str(w_shape));
  for (size_t a = 1; a < rank; ++a)
    if (in_shape[a] == 0)
      throw std::invalid_argument("input: expected non-empty channel and spatial dimensions, got " +
                                  shape_str(in_shape));
  for (size_t a = 2; a < rank; ++a)
    if (w_shape[a] < 1)
      throw std::invalid_argument("weight: kernel sizes must be >= 1, got " + shape_str(w_shape));
}

void check_groups(index_t groups, index_t channels, const char* whose) {
  if (groups < 1)
    throw std::invalid_argument("groups: must be >= 1, got " + std::to_string(groups));
  if (channels % groups)
    throw std::invalid_argument(std::string("groups: the ") + whose + " " +
                                std::to_string(channels) +
                                " channels are not divisible by groups=" + std::to_string(groups));
}

// The result's size in bytes must fit (the largest element: 32 bytes),
// and the packed weights (each group padded by < 64 channels).
void check_layer_size(index_t batch, index_t out_channels, index_t oh, index_t ow, index_t groups,
                      index_t taps) {
  index_t bytes = checked_mul(batch, out_channels, "input");
  bytes = checked_mul(checked_mul(bytes, oh, "input"), checked_mul(ow, 32, "input"), "input");
  const index_t packed_channels =
      checked_add(out_channels, checked_mul(groups, 64, "groups"), "weight");
  checked_mul(packed_channels, taps, "weight");
}

}  // namespace

LayerPlan plan_layer(const std::vector<index_t>& in_shape, const std::vector<index_t>& w_shape,
                     const ConvLayerOptions& o) {
  check_layer_shapes(in_shape, w_shape, "(Cout, C/groups, kernel...)");
  const size_t rank = in_shape.size();
  const size_t ns = rank - 2;
  LayerPlan p{};
  p.spatial = static_cast<int>(ns);
  p.batch = in_shape[0];
  p.channels = in_shape[1];
  p.out_channels = w_shape[0];
  p.groups = o.groups;
  p.mode = o.padding_mode;
  check_groups(p.groups, p.channels, "input's");
  check_groups(p.groups, p.out_channels, "weight's output");
  p.cin_g = p.channels / p.groups;
  p.cout_g = p.out_channels / p.groups;
  if (w_shape[1] != p.cin_g)
    throw std::invalid_argument("weight: expected " + std::to_string(p.cin_g) +
                                " input channels per group (C/groups) in dimension 1, got shape " +
                                shape_str(w_shape));

  const auto stride = detail::expand_per_axis(o.stride, ns, "stride", 1, 1);
  const auto dilation = detail::expand_per_axis(o.dilation, ns, "dilation", 1, 1);
  std::array<index_t, 2> begin{}, end{}, out{};
  if (o.same_padding) {
    if (!o.padding.empty() || !o.padding_end.empty())
      throw std::invalid_argument("padding: 'same' takes no explicit padding");
    for (size_t a = 0; a < ns; ++a)
      if (stride[a] != 1)
        throw std::invalid_argument(
            "padding: 'same' is not supported for strided convolutions "
            "(stride " +
            std::to_string(stride[a]) + ")");
  }
  const auto pad = detail::expand_per_axis(o.padding, ns, "padding", 0, 0);
  const auto pad_end = detail::expand_per_axis(o.padding_end.empty() ? o.padding : o.padding_end,
                                               ns, "padding", 0, 0);
  for (size_t a = 0; a < ns; ++a) {
    const index_t n = in_shape[2 + a], k = w_shape[2 + a];
    const index_t span = checked_mul(dilation[a], k - 1, "dilation");  // ke - 1
    if (o.same_padding) {
      begin[a] = span / 2;  // torch: the odd element goes at the end
      end[a] = span - begin[a];
    } else {
      begin[a] = pad[a];
      end[a] = pad_end[a];
    }
    if (p.mode == PaddingMode::reflect && (begin[a] >= n || end[a] >= n))
      throw std::invalid_argument("padding: reflect padding must be smaller than the input size " +
                                  std::to_string(n) + ", got " +
                                  std::to_string(std::max(begin[a], end[a])));
    if (p.mode == PaddingMode::circular && (begin[a] > n || end[a] > n))
      throw std::invalid_argument("padding: circular padding must be at most the input size " +
                                  std::to_string(n) + ", got " +
                                  std::to_string(std::max(begin[a], end[a])));
    const index_t padded = checked_add(checked_add(n, begin[a], "padding"), end[a], "padding");
    if (span >= padded)
      throw std::invalid_argument(
          "weight: the kernel (size " + std::to_string(k) + ", dilated to " +
          std::to_string(checked_add(span, 1, "dilation")) +
          ") is larger than the padded input (size " + std::to_string(padded) + ")");
    out[a] = (padded - 1 - span) / stride[a] + 1;
  }
  const int last = static_cast<int>(ns) - 1;
  p.w = in_shape[rank - 1];
  p.kw = w_shape[rank - 1];
  p.sw = stride[last];
  p.dw = dilation[last];
  p.pad_left = begin[last];
  p.ow = out[last];
  if (ns == 2) {
    p.h = in_shape[2];
    p.kh = w_shape[2];
    p.sh = stride[0];
    p.dh = dilation[0];
    p.pad_top = begin[0];
    p.oh = out[0];
  } else {
    p.h = p.kh = p.sh = p.dh = p.oh = 1;
    p.pad_top = 0;
  }
  check_layer_size(p.batch, p.out_channels, p.oh, p.ow, p.groups,
                   checked_mul(p.cin_g, checked_mul(p.kh, p.kw, "weight"), "weight"));
  p.algorithm = o.algorithm;
  if (p.algorithm == ConvAlgorithm::winograd && !winograd_shape(p))
    throw std::invalid_argument(
        "algorithm: 'winograd' needs a 2-D 3x3 kernel with stride 1 and dilation 1, got weight " +
        shape_str(w_shape));
  return p;
}

TransposedPlan plan_transposed(const std::vector<index_t>& in_shape,
                               const std::vector<index_t>& w_shape,
                               const ConvTransposeLayerOptions& o) {
  check_layer_shapes(in_shape, w_shape, "(C, Cout/groups, kernel...)");
  const size_t rank = in_shape.size(), ns = rank - 2;
  TransposedPlan p{};
  p.spatial = static_cast<int>(ns);
  p.batch = in_shape[0];
  p.channels = in_shape[1];
  p.groups = o.groups;
  check_groups(p.groups, p.channels, "input's");
  if (w_shape[0] != p.channels)
    throw std::invalid_argument("weight: expected the input's " + std::to_string(p.channels) +
                                " channels in dimension 0, got shape " + shape_str(w_shape));
  p.cin_g = p.channels / p.groups;
  p.cout_g = w_shape[1];
  p.out_channels = checked_mul(p.cout_g, p.groups, "weight");
  const auto stride = detail::expand_per_axis(o.stride, ns, "stride", 1, 1);
  const auto dilation = detail::expand_per_axis(o.dilation, ns, "dilation", 1, 1);
  const auto pad = detail::expand_per_axis(o.padding, ns, "padding", 0, 0);
  const auto opad = detail::expand_per_axis(o.output_padding, ns, "output_padding", 0, 0);
  p.n = p.k = p.s = p.d = p.out = {1, 1};
  p.pad = {0, 0};
  for (size_t a = 0; a < ns; ++a) {
    const size_t i = a + 2 - ns;  // 1-D: the columns
    if (opad[a] >= std::max(stride[a], dilation[a]))
      throw std::invalid_argument("output_padding: must be smaller than stride or dilation, got " +
                                  std::to_string(opad[a]) + " with stride " +
                                  std::to_string(stride[a]) + " and dilation " +
                                  std::to_string(dilation[a]));
    p.n[i] = in_shape[2 + a];
    p.k[i] = w_shape[2 + a];
    p.s[i] = stride[a];
    p.d[i] = dilation[a];
    p.pad[i] = pad[a];
    // (n-1)*s + d*(k-1) + 1 + output_padding - 2*padding
    const index_t reach = checked_add(checked_mul(p.n[i] - 1, p.s[i], "stride"),
                                      checked_mul(p.d[i], p.k[i] - 1, "dilation"), "input");
    const index_t len =
        checked_add(reach, 1 + opad[a], "input") - checked_mul(2, pad[a], "padding");
    if (len < 1)
      throw std::invalid_argument("padding: too large for input size " + std::to_string(p.n[i]) +
                                  ", the output would have size " + std::to_string(len));
    p.out[i] = len;
  }
  check_layer_size(p.batch, p.out_channels, p.out[0], p.out[1], p.groups,
                   checked_mul(p.cin_g, checked_mul(p.k[0], p.k[1], "weight"), "weight"));
  return p;
}

index_t map_padded(index_t i, index_t n, PaddingMode m) {
  if (i >= 0 && i < n) return i;
  switch (m) {
    case PaddingMode::zeros:
      return -1;
    case PaddingMode::reflect:
      return detail::map_index(i, n, Boundary::mirror);
    case PaddingMode::replicate:
      return detail::map_index(i, n, Boundary::nearest);
    case PaddingMode::circular:
      return detail::map_index(i, n, Boundary::wrap);
  }
  return -1;
}

namespace {

// Option `values` on spatial axis a of ns (one value for all, or one per
// axis; a bad count is for the plan to refuse), or `fallback`.
index_t option_on_axis(const std::vector<index_t>& values, size_t a, size_t ns, index_t fallback) {
  if (values.empty()) return fallback;
  return values.size() == ns ? values[a] : values[0];
}

}  // namespace

std::vector<index_t> probe_input(const std::vector<index_t>& w_shape, index_t channels,
                                 const std::vector<std::vector<index_t>>& paddings,
                                 const std::vector<index_t>& dilation) {
  const size_t ns = w_shape.size() - 2;
  std::vector<index_t> shape{1, channels};
  for (size_t a = 0; a < ns; ++a) {
    const index_t d = std::max<index_t>(1, option_on_axis(dilation, a, ns, 1));
    index_t n = checked_add(checked_mul(d, w_shape[2 + a] - 1, "dilation"), 1, "dilation");
    for (const auto& pad : paddings) {
      const index_t p = std::max<index_t>(0, option_on_axis(pad, a, ns, 0));
      n = std::max(n, checked_add(checked_mul(p, 2, "padding"), 1, "padding"));
    }
    shape.push_back(std::max<index_t>(n, 1));  // (a bad kernel size: the plan names it)
  }
  return shape;
}

void check_layer_input(const std::vector<index_t>& in_shape, const std::vector<index_t>& w_shape,
                       index_t channels) {
  if (in_shape.size() != w_shape.size())
    throw std::invalid_argument("input: the layer expects " + std::to_string(w_shape.size()) +
                                " dimensions (N, C, " + (w_shape.size() == 3 ? "L" : "H, W") +
                                "), got " + shape_str(in_shape));
  if (in_shape[1] != channels)
    throw std::invalid_argument("input: the layer expects " + std::to_string(channels) +
                                " channels in dimension 1, got shape " + shape_str(in_shape));
}

}  // namespace detail

std::vector<index_t> ConvLayerPlan::out_shape() const {
  if (spatial == 1) return {batch, out_channels, ow};
  return {batch, out_channels, oh, ow};
}

std::vector<index_t> ConvTransposeLayerPlan::out_shape() const {
  if (spatial == 1) return {batch, out_channels, out[1]};
  return {batch, out_channels, out[0], out[1]};
}

ConvLayerPlan plan_conv_layer(const std::vector<index_t>& in_shape,
                              const std::vector<index_t>& weight_shape,
                              const ConvLayerOptions& options) {
  return detail::plan_layer(in_shape, weight_shape, options);
}

ConvTransposeLayerPlan plan_conv_transpose_layer(const std::vector<index_t>& in_shape,
                                                 const std::vector<index_t>& weight_shape,
                                                 const ConvTransposeLayerOptions& options) {
  return detail::plan_transposed(in_shape, weight_shape, options);
}

std::vector<index_t> conv_output_shape(const std::vector<index_t>& in_shape,
                                       const std::vector<index_t>& weight_shape,
                                       const ConvLayerOptions& options) {
  return detail::plan_layer(in_shape, weight_shape, options).out_shape();
}

std::vector<index_t> conv_transpose_output_shape(const std::vector<index_t>& in_shape,
                                                 const std::vector<index_t>& weight_shape,
                                                 const ConvTransposeLayerOptions& options) {
  return detail::plan_transposed(in_shape, weight_shape, options).out_shape();
}

}  // namespace fastconv

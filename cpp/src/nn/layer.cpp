// CNN convolution layers (fastconv/nn.hpp): the one-call functions and the
// layer objects, over the engine in nn/ -- plan (shape rules), conf
// (kernel and blocking), packed (weights in the kernels' order), run
// (tasks over panels), transposed (output phases as runs), pointwise,
// pointwise_nhwc and depthwise (kernels over the input in place).
#include <memory>
#include <string>
#include <vector>

#include "fastconv/nn.hpp"
#include "nn/depthwise.hpp"
#include "nn/epilogue.hpp"
#include "nn/plan.hpp"
#include "nn/pointwise.hpp"
#include "nn/pointwise_nhwc.hpp"
#include "nn/run.hpp"
#include "nn/transposed.hpp"
#include "nn/winograd.hpp"
#include "underflow.hpp"

namespace fastconv {

namespace {

using namespace detail;

// Direct convolution of a conv plan on 4-D views, packing the weights per
// call or using a layer object's (`prepacked`, of the same weights).
template <class T>
void run_direct(const LayerPlan& p, const View<const T>& x, const View<const T>& w,
                const View<const T>& b, const View<T>& out, int threads,
                const OwnedPackedWeights<T>* prepacked, const kernels::Epilogue<T>* epilogue,
                const View<const T>& residual) {
  if (pointwise_applies(p, x, out)) {
    run_pointwise(p, x, w, b, out, threads, epilogue, residual);
    return;
  }
  if (pointwise_nhwc_applies(p, x, out)) {
    run_pointwise_nhwc(p, x, w, b, out, threads, epilogue, residual);
    return;
  }
  if (depthwise_channels_last_applies(p, x, out) || depthwise_planar_applies(p, x, out)) {
    run_depthwise(p, x, w, b, out, threads, epilogue, residual);
    return;
  }
  // (the planes kernel stores whole vectors of an output row: where out's
  // columns are apart, channels-last, the wide kernel stores its pixels'
  // channels side by side, 3x faster there; a layer object packed for the
  // planes kernel then packs for this call)
  const LayerConf c = configure_layer_for<T>(p, nullptr, out.strides[3] == 1);
  std::vector<LayerRun<T>> runs;
  if (prepacked && prepacked->packed.K == c.K && prepacked->packed.R == c.R)
    runs.emplace_back(c, p, x, b, out, prepacked->packed);
  else
    runs.emplace_back(c, p, x, b, out, conv_weights(p, w));
  runs.back().epilogue = epilogue;  // (fused into the kernels)
  if (residual.data) runs.back().residual = residual;
  run_layers(runs, threads);
}

// Image n of a 4-D view.
template <class T>
View<T> image_of(View<T> v, index_t n) {
  v.data += n * v.strides[0];
  v.shape[0] = 1;
  return v;
}

// Winograd for a plan (variant: winograd_variant's), with the weights
// transformed per call or a layer object's (`cache`) and the epilogue
// fused as run_direct's; the images whose tiles gave an Inf or NaN again
// directly. False, computing nothing, when a transformed weight is not
// finite (the caller computes directly).
template <class T>
bool run_winograd_or_redo(const LayerPlan& p, const View<const T>& x, const View<const T>& w,
                          const View<const T>& b, const View<T>& out, int threads, int variant,
                          const WinogradCache<T>* cache, const OwnedPackedWeights<T>* prepacked,
                          const kernels::Epilogue<T>* epilogue, const View<const T>& residual) {
  WinogradWeights<T> transformed;
  const WinogradWeights<T>* ww = &transformed;
  if (cache)
    ww = &cache->get(p, variant, w, b, threads);
  else
    transformed = transform_winograd_weights(p, variant, w, b, threads);
  if (!ww->finite) return false;
  const std::vector<char> redo = run_winograd(p, x, *ww, out, threads, epilogue, residual);
  LayerPlan one = p;
  one.batch = 1;
  for (index_t n = 0; n < p.batch; ++n)
    if (redo[n])
      run_direct(one, image_of(x, n), w, b, image_of(out, n), threads, prepacked, epilogue,
                 residual.data ? image_of(residual, n) : residual);
  return true;
}

// Run a conv plan, packing or transforming the weights per call or (a
// layer object's, made from `weight`) using those; `known`: the
// magnitudes of `weight` and `bias` for the denormal guard, when a layer
// object has them. The epilogue is fused into the kernels, but on the
// guard's scaled copies (their outputs are scaled afterwards) it is a pass.
template <class T>
void run_conv_layer(const LayerPlan& p, View<const T> in, View<const T> weight, View<const T> bias,
                    View<T> out, int threads_requested, const Epilogue& epilogue,
                    const View<const T>& residual, const OwnedPackedWeights<T>* prepacked = nullptr,
                    const WinogradCache<T>* winograd = nullptr,
                    const KnownMagnitudes* known = nullptr) {
  check_layer_call(in, weight, bias, out, p.spatial, "conv");
  check_planned_shapes(in, weight, {p.batch, p.channels, p.h, p.w},
                       {p.out_channels, p.cin_g, p.kh, p.kw}, p.spatial);
  check_layer_out(p.out_shape(), p.out_channels, in, weight, bias, out);
  const CallEpilogue<T> ep(epilogue, p.out_channels, residual, out);
  if (out.size() == 0) return;
  const int threads = resolve_threads(threads_requested, out.size(), p.cin_g * p.kh * p.kw);
  const int variant = winograd_variant<T>(p);
  bool fused = true;
  guard_underflow(
      in, weight, View<const T>(), bias, T(0), weight.size(), out, threads,
      [&](const View<const T>& x, const View<const T>& w, const View<const T>&,
          const View<const T>& b, T) {
        // (the guard may hand over scaled copies: then pack those)
        const bool own = w.data == weight.data && b.data == bias.data;
        fused = own && x.data == in.data;
        const View<const T> x4 = as_4d(x), w4 = as_4d(w);
        const View<T> out4 = as_4d(out);
        const kernels::Epilogue<T>* epilogue = fused ? ep.kernel() : nullptr;
        const View<const T> res =
            epilogue && ep.residual().data ? as_4d(ep.residual()) : View<const T>();
        if constexpr (kHasWinograd<T>) {
          if (variant >= 0 &&
              run_winograd_or_redo(p, x4, w4, b, out4, threads, variant, own ? winograd : nullptr,
                                   own ? prepacked : nullptr, epilogue, res))
            return;
        }
        run_direct(p, x4, w4, b, out4, threads, own ? prepacked : nullptr, epilogue, res);
      },
      known);
  if (!fused) ep.apply(as_4d(out));
}

template <class T>
void run_transposed_layer(const TransposedPlan& tp, View<const T> in, View<const T> weight,
                          View<const T> bias, View<T> out, int threads_requested,
                          const Epilogue& epilogue, const View<const T>& residual,
                          const TransposedPacks<T>* prepacked = nullptr,
                          const KnownMagnitudes* known = nullptr) {
  check_layer_call(in, weight, bias, out, tp.spatial, "conv_transpose");
  check_planned_shapes(in, weight, {tp.batch, tp.channels, tp.n[0], tp.n[1]},
                       {tp.channels, tp.cout_g, tp.k[0], tp.k[1]}, tp.spatial);
  check_layer_out(tp.out_shape(), tp.out_channels, in, weight, bias, out);
  const CallEpilogue<T> ep(epilogue, tp.out_channels, residual, out);
  if (out.size() == 0) return;
  const int threads = resolve_threads(threads_requested, out.size(), tp.cin_g);
  bool fused = true;  // (as run_conv_layer)
  guard_underflow(
      in, weight, View<const T>(), bias, T(0), weight.size(), out, threads,
      [&](const View<const T>& x, const View<const T>& w, const View<const T>&,
          const View<const T>& b, T) {
        const bool own = w.data == weight.data && b.data == bias.data;
        fused = own && x.data == in.data;
        run_transposed_phases(tp, as_4d(x), as_4d(w), b, as_4d(out), threads_requested,
                              own ? prepacked : nullptr, fused ? &ep : nullptr);
      },
      known);
  if (!fused) ep.apply(as_4d(out));
}

// The layer objects' copy of their weights and bias, contiguous.
template <class T>
struct WeightCopy {
  WeightCopy(const View<const T>& weight, const View<const T>& bias)
      : shape(weight.shape), weight(contiguous_copy(weight)), has_bias(bias.data != nullptr) {
    if (has_bias) this->bias = contiguous_copy(bias);
    magnitudes = known_magnitudes(weight_view(), bias_view());
  }
  std::vector<index_t> shape;
  std::vector<T> weight, bias;
  bool has_bias;
  KnownMagnitudes magnitudes;  // (for the denormal guard)

  View<const T> weight_view() const { return contiguous_view(weight, shape); }
  View<const T> bias_view() const {
    return has_bias ? contiguous_view(bias, {static_cast<index_t>(bias.size())}) : View<const T>();
  }

 private:
  static std::vector<T> contiguous_copy(const View<const T>& v) {
    std::vector<T> data(static_cast<size_t>(v.size()));
    std::vector<index_t> at(v.shape.size(), 0);
    for (T& d : data) {
      index_t off = 0;
      for (size_t a = 0; a < at.size(); ++a) off += at[a] * v.strides[a];
      d = v.data[off];
      for (size_t a = at.size(); a-- > 0;) {
        if (++at[a] < v.shape[a]) break;
        at[a] = 0;
      }
    }
    return data;
  }
  static View<const T> contiguous_view(const std::vector<T>& data,
                                       const std::vector<index_t>& shape) {
    std::vector<index_t> strides(shape.size(), 1);
    for (size_t a = shape.size(); a-- > 1;) strides[a - 1] = strides[a] * shape[a];
    return View<const T>(data.data(), shape, strides);
  }
};

// The weight's rank, and its input channels (dimension `channel_axis`):
// no input can have none.
template <class T>
void check_layer_weights(const View<const T>& weight, const View<const T>& bias, const char* layout,
                         int channel_axis) {
  check_view(weight, "weight");
  if (weight.ndim() != 3 && weight.ndim() != 4)
    throw std::invalid_argument(std::string("weight: expected shape ") + layout +
                                " with 1 or 2 kernel axes, got " + shape_str(weight.shape));
  if (weight.shape[channel_axis] == 0)
    throw std::invalid_argument("weight: expected at least one input channel in dimension " +
                                std::to_string(channel_axis) + ", got shape " +
                                shape_str(weight.shape));
  if (bias.data) check_view(bias, "bias");
}

void check_bias_shape(const std::vector<index_t>& bias_shape, index_t out_channels) {
  if (bias_shape != std::vector<index_t>{out_channels})
    throw std::invalid_argument("bias: expected shape (" + std::to_string(out_channels) +
                                ",), got " + shape_str(bias_shape));
}

}  // namespace

template <class T>
void conv_layer(const ConvLayerPlan& plan, View<const T> in, View<const T> weight,
                View<const T> bias, View<T> out, int threads, const Epilogue& epilogue,
                View<const T> residual) {
  run_conv_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out),
                    threads, epilogue, residual);
}

template <class T>
void conv_transpose_layer(const ConvTransposeLayerPlan& plan, View<const T> in,
                          View<const T> weight, View<const T> bias, View<T> out, int threads,
                          const Epilogue& epilogue, View<const T> residual) {
  run_transposed_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out),
                          threads, epilogue, residual);
}

// The one-call forms: the plan of the given rank, then its run. (The rank
// is checked first, so that a wrong one is named as such.)
template <class T>
void conv1d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
            const ConvLayerOptions& options, View<const T> residual) {
  check_layer_rank(in, 1, "conv");
  const auto plan = plan_layer(in.shape, weight.shape, options);  // (before `in` is moved)
  run_conv_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out),
                    options.threads, options.epilogue, residual);
}

template <class T>
void conv2d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
            const ConvLayerOptions& options, View<const T> residual) {
  check_layer_rank(in, 2, "conv");
  const auto plan = plan_layer(in.shape, weight.shape, options);  // (before `in` is moved)
  run_conv_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out),
                    options.threads, options.epilogue, residual);
}

template <class T>
void conv_transpose1d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
                      const ConvTransposeLayerOptions& options, View<const T> residual) {
  check_layer_rank(in, 1, "conv_transpose");
  const auto plan = plan_transposed(in.shape, weight.shape, options);  // (before `in` is moved)
  run_transposed_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out),
                          options.threads, options.epilogue, residual);
}

template <class T>
void conv_transpose2d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
                      const ConvTransposeLayerOptions& options, View<const T> residual) {
  check_layer_rank(in, 2, "conv_transpose");
  const auto plan = plan_transposed(in.shape, weight.shape, options);  // (before `in` is moved)
  run_transposed_layer<T>(plan, std::move(in), std::move(weight), std::move(bias), std::move(out),
                          options.threads, options.epilogue, residual);
}

// ---- Layer objects ----

template <class T>
struct ConvLayer<T>::Impl {
  Impl(const View<const T>& weight, const View<const T>& bias, const ConvLayerOptions& o)
      : copy(weight, bias), options(o) {}
  WeightCopy<T> copy;
  ConvLayerOptions options;
  std::unique_ptr<const OwnedPackedWeights<T>> packed;
  WinogradCache<T> winograd;  // (transformed on first use)

  ConvLayerPlan plan(const std::vector<index_t>& in_shape) const {
    check_layer_input(in_shape, copy.shape, copy.shape[1] * options.groups);
    return plan_layer(in_shape, copy.shape, options);
  }
};

template <class T>
ConvLayer<T>::ConvLayer(View<const T> weight, View<const T> bias, const ConvLayerOptions& options) {
  check_layer_weights(weight, bias, "(Cout, C/groups, kernel...)", 1);
  // (the weight and options are checked by planning an input they take)
  const index_t channels = checked_mul(weight.shape[1], options.groups, "groups");
  const ConvLayerPlan probe =
      plan_layer(probe_input(weight.shape, std::max<index_t>(channels, 1),
                             {options.padding, options.padding_end}, options.dilation),
                 weight.shape, options);
  if (bias.data) check_bias_shape(bias.shape, weight.shape[0]);
  winograd_variant<T>(probe);  // (algorithm: 'winograd' needs float or double)
  check_epilogue<T>(options.epilogue, weight.shape[0]);
  auto impl = std::make_unique<Impl>(weight, bias, options);
  const LayerConf c = configure_layer_for<T>(probe, nullptr, true);
  impl->packed = std::make_unique<const OwnedPackedWeights<T>>(
      probe.groups, c.blocks, c.K, c.R, conv_weights(probe, as_4d(impl->copy.weight_view())),
      impl->copy.bias_view(), probe.cout_g);
  impl_ = std::move(impl);
}

template <class T>
ConvLayer<T>::~ConvLayer() = default;
template <class T>
ConvLayer<T>::ConvLayer(ConvLayer&&) noexcept = default;
template <class T>
ConvLayer<T>& ConvLayer<T>::operator=(ConvLayer&&) noexcept = default;

template <class T>
int ConvLayer<T>::spatial() const {
  return static_cast<int>(impl_->copy.shape.size()) - 2;
}

template <class T>
std::vector<index_t> ConvLayer<T>::weight_shape() const {
  return impl_->copy.shape;
}

template <class T>
std::vector<index_t> ConvLayer<T>::output_shape(const std::vector<index_t>& in_shape) const {
  return impl_->plan(in_shape).out_shape();
}

template <class T>
void ConvLayer<T>::run(View<const T> in, View<T> out, int threads, View<const T> residual) const {
  check_view(in, "input");
  const ConvLayerPlan plan = impl_->plan(in.shape);
  run_conv_layer<T>(plan, std::move(in), impl_->copy.weight_view(), impl_->copy.bias_view(),
                    std::move(out), threads, impl_->options.epilogue, residual, impl_->packed.get(),
                    &impl_->winograd, &impl_->copy.magnitudes);
}

template <class T>
struct ConvTransposeLayer<T>::Impl {
  Impl(const View<const T>& weight, const View<const T>& bias, const ConvTransposeLayerOptions& o)
      : copy(weight, bias), options(o) {}
  WeightCopy<T> copy;
  ConvTransposeLayerOptions options;
  TransposedPacks<T> packs;

  ConvTransposeLayerPlan plan(const std::vector<index_t>& in_shape) const {
    check_layer_input(in_shape, copy.shape, copy.shape[0]);
    return plan_transposed(in_shape, copy.shape, options);
  }
};

template <class T>
ConvTransposeLayer<T>::ConvTransposeLayer(View<const T> weight, View<const T> bias,
                                          const ConvTransposeLayerOptions& options) {
  check_layer_weights(weight, bias, "(C, Cout/groups, kernel...)", 0);
  // An input whose output has every phase (at least a stride long): its
  // runs are the ones packed.
  std::vector<index_t> probe_shape =
      probe_input(weight.shape, std::max<index_t>(weight.shape[0], 1), {options.padding}, {});
  for (size_t a = 2; a < probe_shape.size(); ++a) probe_shape[a] += 1;
  const ConvTransposeLayerPlan probe = plan_transposed(probe_shape, weight.shape, options);
  if (bias.data) check_bias_shape(bias.shape, probe.out_channels);
  check_epilogue<T>(options.epilogue, probe.out_channels);
  auto impl = std::make_unique<Impl>(weight, bias, options);
  impl->packs = pack_transposed(probe, as_4d(impl->copy.weight_view()), impl->copy.bias_view());
  impl_ = std::move(impl);
}

template <class T>
ConvTransposeLayer<T>::~ConvTransposeLayer() = default;
template <class T>
ConvTransposeLayer<T>::ConvTransposeLayer(ConvTransposeLayer&&) noexcept = default;
template <class T>
ConvTransposeLayer<T>& ConvTransposeLayer<T>::operator=(ConvTransposeLayer&&) noexcept = default;

template <class T>
int ConvTransposeLayer<T>::spatial() const {
  return static_cast<int>(impl_->copy.shape.size()) - 2;
}

template <class T>
std::vector<index_t> ConvTransposeLayer<T>::weight_shape() const {
  return impl_->copy.shape;
}

template <class T>
std::vector<index_t> ConvTransposeLayer<T>::output_shape(
    const std::vector<index_t>& in_shape) const {
  return impl_->plan(in_shape).out_shape();
}

template <class T>
void ConvTransposeLayer<T>::run(View<const T> in, View<T> out, int threads,
                                View<const T> residual) const {
  check_view(in, "input");
  const ConvTransposeLayerPlan plan = impl_->plan(in.shape);
  run_transposed_layer<T>(plan, std::move(in), impl_->copy.weight_view(), impl_->copy.bias_view(),
                          std::move(out), threads, impl_->options.epilogue, residual, &impl_->packs,
                          &impl_->copy.magnitudes);
}

#define FASTCONV_INSTANTIATE(T)                                                                  \
  template void conv1d<T>(View<const T>, View<const T>, View<const T>, View<T>,                  \
                          const ConvLayerOptions&, View<const T>);                               \
  template void conv2d<T>(View<const T>, View<const T>, View<const T>, View<T>,                  \
                          const ConvLayerOptions&, View<const T>);                               \
  template void conv_transpose1d<T>(View<const T>, View<const T>, View<const T>, View<T>,        \
                                    const ConvTransposeLayerOptions&, View<const T>);            \
  template void conv_transpose2d<T>(View<const T>, View<const T>, View<const T>, View<T>,        \
                                    const ConvTransposeLayerOptions&, View<const T>);            \
  template void conv_layer<T>(const ConvLayerPlan&, View<const T>, View<const T>, View<const T>, \
                              View<T>, int, const Epilogue&, View<const T>);                     \
  template void conv_transpose_layer<T>(const ConvTransposeLayerPlan&, View<const T>,            \
                                        View<const T>, View<const T>, View<T>, int,              \
                                        const Epilogue&, View<const T>);                         \
  template class ConvLayer<T>;                                                                   \
  template class ConvTransposeLayer<T>;
FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_INSTANTIATE)
#undef FASTCONV_INSTANTIATE

}  // namespace fastconv

// The 3-D layers (conv3d, conv_transpose3d, fastconv/nn.hpp) on the 2-D
// engine, the depth taps stacked into the channel axis: the input is
// copied once, depth-padded, in the layout (N, groups, depth, C/groups,
// H, W), where the kd depth slices that one output slice reads are
// kd*C/groups consecutive channels. Each output depth slice is then one
// 2-D layer run with kd*C/groups input channels and the weight reordered
// to match (all output slices at once, as a batch of overlapping images,
// when the depth dilation is 1). Every output is thus summed by one 2-D
// run in one fixed order: bitwise the same for any thread count, layout
// and batch, as the 2-D layers promise.
#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "fastconv/nn.hpp"
#include "nn/plan.hpp"
#include "nn/transposed.hpp"
#include "underflow.hpp"

namespace fastconv {

namespace {

using namespace detail;

// A 3-D layer's per-axis option (1 or 3 values, or none) as the 2-D
// planner takes it for the axis pair (first, first + 1): (depth, rows) or
// (rows, columns).
std::vector<index_t> axis_pair(const std::vector<index_t>& v, const char* name, size_t first) {
  if (v.size() <= 1) return v;
  if (v.size() != 3)
    throw std::invalid_argument(std::string(name) + ": expected 1 or 3 values, got " +
                                std::to_string(v.size()));
  return {v[first], v[first + 1]};
}

ConvLayerOptions pair_options(const ConvLayerOptions& o, size_t first) {
  ConvLayerOptions p = o;
  p.stride = axis_pair(o.stride, "stride", first);
  p.dilation = axis_pair(o.dilation, "dilation", first);
  p.padding = axis_pair(o.padding, "padding", first);
  p.padding_end = axis_pair(o.padding_end, "padding_end", first);
  return p;
}

ConvTransposeLayerOptions pair_options(const ConvTransposeLayerOptions& o, size_t first) {
  ConvTransposeLayerOptions p = o;
  p.stride = axis_pair(o.stride, "stride", first);
  p.dilation = axis_pair(o.dilation, "dilation", first);
  p.padding = axis_pair(o.padding, "padding", first);
  p.output_padding = axis_pair(o.output_padding, "output_padding", first);
  return p;
}

void check_rank(const std::vector<index_t>& in_shape, const std::vector<index_t>& weight_shape,
                const char* name, const char* weight_layout) {
  if (in_shape.size() != 5)
    throw std::invalid_argument(std::string("input: ") + name +
                                " expects shape (N, C, D, H, W), got " + shape_str(in_shape));
  if (weight_shape.size() != 5)
    throw std::invalid_argument(std::string("weight: ") + name + " expects shape (" +
                                weight_layout + ", kd, kh, kw), got " + shape_str(weight_shape));
}

// A 3-D layer's shape rules as two 2-D plans: (depth, rows) and (rows,
// columns), so that every check and message is the 2-D layers'.
struct Conv3dPlans {
  ConvLayerPlan depth, plane;
};

Conv3dPlans plan_conv3d(const std::vector<index_t>& in, const std::vector<index_t>& w,
                        const ConvLayerOptions& o) {
  check_rank(in, w, "conv3d", "Cout, C/groups");
  return {
      plan_conv_layer({in[0], in[1], in[2], in[3]}, {w[0], w[1], w[2], w[3]}, pair_options(o, 0)),
      plan_conv_layer({in[0], in[1], in[3], in[4]}, {w[0], w[1], w[3], w[4]}, pair_options(o, 1))};
}

struct ConvTranspose3dPlans {
  ConvTransposeLayerPlan depth, plane;
};

ConvTranspose3dPlans plan_conv_transpose3d(const std::vector<index_t>& in,
                                           const std::vector<index_t>& w,
                                           const ConvTransposeLayerOptions& o) {
  check_rank(in, w, "conv_transpose3d", "C, Cout/groups");
  return {plan_conv_transpose_layer({in[0], in[1], in[2], in[3]}, {w[0], w[1], w[2], w[3]},
                                    pair_options(o, 0)),
          plan_conv_transpose_layer({in[0], in[1], in[3], in[4]}, {w[0], w[1], w[3], w[4]},
                                    pair_options(o, 1))};
}

// The input depth that padded depth `e` reads (pad_front before depth 0),
// by the padding mode; -1 for a zero slice.
index_t padded_depth(index_t e, index_t pad_front, index_t depth, PaddingMode mode) {
  const index_t d = e - pad_front;
  if (d >= 0 && d < depth) return d;
  switch (mode) {
    case PaddingMode::zeros:
      return -1;
    case PaddingMode::reflect:
      return d < 0 ? -d : 2 * (depth - 1) - d;
    case PaddingMode::replicate:
      return d < 0 ? 0 : depth - 1;
    case PaddingMode::circular:
      return ((d % depth) + depth) % depth;
  }
  return -1;
}

// Copy the H x W plane `src` (any strides) to the dense `dst`, or zeros
// when src is null.
template <class T>
void copy_plane(const T* src, index_t sh, index_t sw, index_t h, index_t w, T* dst) {
  if (!src) {
    std::fill(dst, dst + h * w, T(0));
    return;
  }
  for (index_t i = 0; i < h; ++i)
    for (index_t j = 0; j < w; ++j) dst[i * w + j] = src[i * sh + j * sw];
}

// The epilogue of group g's output channels (prelu's per-channel slopes
// sliced).
Epilogue group_epilogue(const Epilogue& e, index_t g, index_t cout_g, index_t out_channels) {
  if (e.slopes.size() != static_cast<size_t>(out_channels) || e.slopes.size() == 1) return e;
  Epilogue part = e;
  part.slopes.assign(e.slopes.begin() + g * cout_g, e.slopes.begin() + (g + 1) * cout_g);
  return part;
}

// Group g's channels [g*cout_g, (g+1)*cout_g) of `out` at the depths od,
// od + step, ... (`depths` of them), as 4-D (depth, C, H, W).
template <class T>
View<T> out_slices(const View<T>& out, index_t n, index_t g, index_t cout_g, index_t od,
                   index_t depths, index_t step = 1) {
  const auto& s = out.strides;
  return View<T>(out.data + n * s[0] + g * cout_g * s[1] + od * s[2],
                 {depths, cout_g, out.shape[3], out.shape[4]}, {step * s[2], s[1], s[3], s[4]});
}

template <class T>
View<const T> bias_part(const View<const T>& bias, index_t g, index_t cout_g) {
  if (!bias.data) return bias;
  return View<const T>(bias.data + g * cout_g * bias.strides[0], {cout_g}, {bias.strides[0]});
}

template <class T>
View<const T> residual_part(const View<const T>& residual, index_t n, index_t g, index_t cout_g,
                            index_t od, index_t depths, index_t step = 1) {
  if (!residual.data) return residual;
  if (residual.ndim() != 5)
    throw std::invalid_argument("residual: expected out's 5 dimensions, got " +
                                shape_str(residual.shape));
  return out_slices(View<T>(const_cast<T*>(residual.data), residual.shape, residual.strides), n, g,
                    cout_g, od, depths, step);
}

void check_residual_shape(const std::vector<index_t>& residual, const std::vector<index_t>& out) {
  if (residual != out)
    throw std::invalid_argument("residual: shape must be out's " + shape_str(out) + ", got " +
                                shape_str(residual));
}

// A transposed layer whose kernel is its stride on every axis, as one 1x1
// layer (nn/transposed.hpp: the depth taps more output channels). False,
// having stored nothing, when a weight is Inf or NaN.
template <class T>
bool conv_transpose3d_stride_taps(const ConvTransposeLayerPlan& plane, const View<const T>& in,
                                  const View<const T>& weight, const View<const T>& bias,
                                  const View<T>& out, const ConvTransposeLayerOptions& options,
                                  const View<const T>& residual) {
  const CallEpilogue<T> ep(options.epilogue, plane.out_channels, residual, out);
  const int threads = resolve_threads(options.threads, out.size(), plane.cin_g);
  bool ran = true, fused = true;  // (as run_transposed_layer, nn/layer.cpp)
  guard_underflow(in, weight, View<const T>(), bias, T(0), weight.size(), out, threads,
                  [&](const View<const T>& x, const View<const T>& w, const View<const T>&,
                      const View<const T>& b, T) {
                    fused = w.data == weight.data && b.data == bias.data && x.data == in.data;
                    ran = run_stride_taps<T>(plane, x, w, b, out, options.threads, nullptr,
                                             fused ? &ep : nullptr);
                  });
  if (ran && !fused) ep.apply(out);
  return ran;
}

}  // namespace

std::vector<index_t> conv3d_output_shape(const std::vector<index_t>& in_shape,
                                         const std::vector<index_t>& weight_shape,
                                         const ConvLayerOptions& options) {
  const Conv3dPlans p = plan_conv3d(in_shape, weight_shape, options);
  return {in_shape[0], weight_shape[0], p.depth.oh, p.plane.oh, p.plane.ow};
}

std::vector<index_t> conv_transpose3d_output_shape(const std::vector<index_t>& in_shape,
                                                   const std::vector<index_t>& weight_shape,
                                                   const ConvTransposeLayerOptions& options) {
  const ConvTranspose3dPlans p = plan_conv_transpose3d(in_shape, weight_shape, options);
  return {in_shape[0], p.depth.out_channels, p.depth.out[0], p.plane.out[0], p.plane.out[1]};
}

template <class T>
void conv3d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
            const ConvLayerOptions& options, View<const T> residual) {
  check_layer_call(in, weight, bias, out, 3, "conv");
  const Conv3dPlans p = plan_conv3d(in.shape, weight.shape, options);
  const std::vector<index_t> shape = {in.shape[0], weight.shape[0], p.depth.oh, p.plane.oh,
                                      p.plane.ow};
  check_layer_out(shape, weight.shape[0], in, weight, bias, out);
  if (residual.data) check_residual_shape(residual.shape, shape);

  const index_t batch = in.shape[0], groups = p.depth.groups, cin_g = p.depth.cin_g;
  const index_t cout_g = p.depth.cout_g, depth = in.shape[2], h = in.shape[3], w = in.shape[4];
  const index_t kd = p.depth.kh, sd = p.depth.sh, dd = p.depth.dh, od_count = p.depth.oh;
  const index_t kh = weight.shape[3], kw = weight.shape[4];
  if (out.size() == 0) return;

  // The padded depths read, at position (e % dd) * per_residue + e / dd:
  // the taps of one output (e, e + dd, ...) then sit side by side.
  const index_t padded = (od_count - 1) * sd + dd * (kd - 1) + 1;
  const index_t per_residue = (padded + dd - 1) / dd;
  const index_t plane = h * w, slab = dd * per_residue * cin_g * plane;
  std::unique_ptr<T[]> x(new T[static_cast<size_t>(batch * groups * slab)]);
  for (index_t n = 0; n < batch; ++n)
    for (index_t g = 0; g < groups; ++g)
      for (index_t e = 0; e < padded; ++e) {
        const index_t d = padded_depth(e, p.depth.pad_top, depth, p.depth.mode);
        T* dst =
            x.get() + (n * groups + g) * slab + ((e % dd) * per_residue + e / dd) * cin_g * plane;
        for (index_t c = 0; c < cin_g; ++c) {
          const T* src = d < 0 ? nullptr
                               : in.data + n * in.strides[0] + (g * cin_g + c) * in.strides[1] +
                                     d * in.strides[2];
          copy_plane(src, in.strides[3], in.strides[4], h, w, dst + c * plane);
        }
      }

  // The weight of group g as (Cout/groups, kd * C/groups, kh, kw): tap k's
  // channels at k * C/groups.
  const index_t taps = kd * cin_g, wplane = kh * kw;
  std::unique_ptr<T[]> wx(new T[static_cast<size_t>(weight.shape[0] * taps * wplane)]);
  for (index_t o = 0; o < weight.shape[0]; ++o)
    for (index_t c = 0; c < cin_g; ++c)
      for (index_t k = 0; k < kd; ++k)
        copy_plane(
            weight.data + o * weight.strides[0] + c * weight.strides[1] + k * weight.strides[2],
            weight.strides[3], weight.strides[4], kh, kw,
            wx.get() + (o * taps + k * cin_g + c) * wplane);

  const index_t images = dd == 1 ? od_count : 1;  // output slices per 2-D run
  ConvLayerOptions plane_options = pair_options(options, 1);
  plane_options.groups = 1;
  const ConvLayerPlan run =
      plan_conv_layer({images, taps, h, w}, {cout_g, taps, kh, kw}, plane_options);
  for (index_t g = 0; g < groups; ++g) {
    const Epilogue e = group_epilogue(options.epilogue, g, cout_g, weight.shape[0]);
    const View<const T> wg =
        make_view<const T>(wx.get() + g * cout_g * taps * wplane, {cout_g, taps, kh, kw});
    for (index_t n = 0; n < batch; ++n)
      for (index_t od = 0; od < od_count; od += images) {
        const index_t e0 = od * sd;
        const T* start =
            x.get() + (n * groups + g) * slab + ((e0 % dd) * per_residue + e0 / dd) * cin_g * plane;
        const View<const T> xs(start, {images, taps, h, w}, {sd * cin_g * plane, plane, w, 1});
        conv_layer<T>(run, xs, wg, bias_part(bias, g, cout_g),
                      out_slices(out, n, g, cout_g, od, images), options.threads, e,
                      residual_part(residual, n, g, cout_g, od, images));
      }
  }
}

template <class T>
void conv_transpose3d(View<const T> in, View<const T> weight, View<const T> bias, View<T> out,
                      const ConvTransposeLayerOptions& options, View<const T> residual) {
  check_layer_call(in, weight, bias, out, 3, "conv_transpose");
  const ConvTranspose3dPlans p = plan_conv_transpose3d(in.shape, weight.shape, options);
  const index_t out_channels = p.depth.out_channels;
  const std::vector<index_t> shape = {in.shape[0], out_channels, p.depth.out[0], p.plane.out[0],
                                      p.plane.out[1]};
  check_layer_out(shape, out_channels, in, weight, bias, out);
  if (residual.data) check_residual_shape(residual.shape, shape);

  const index_t batch = in.shape[0], groups = p.depth.groups, cin_g = p.depth.cin_g;
  const index_t cout_g = p.depth.cout_g, depth = in.shape[2], h = in.shape[3], w = in.shape[4];
  const index_t kd = p.depth.k[0], sd = p.depth.s[0], dd = p.depth.d[0];
  const index_t pad = p.depth.pad[0], od_count = p.depth.out[0];
  const index_t kh = weight.shape[3], kw = weight.shape[4];
  if (out.size() == 0) return;
  if (kd == sd && pad == 0 && (kd == 1 || dd == 1) && runs_stride_taps<T>(p.plane, kd) &&
      conv_transpose3d_stride_taps(p.plane, in, weight, bias, out, options, residual))
    return;

  // Output depth od + pad = id * sd + k * dd: the taps k reaching one
  // output step by sd / gcd, their input depths by dd / gcd. Input depth
  // id sits at position (id % id_step) * per_residue + id / id_step, so
  // that one output's input slices are consecutive.
  const index_t gcd = std::gcd(sd, dd), k_step = sd / gcd, id_step = dd / gcd;
  const index_t per_residue = (depth + id_step - 1) / id_step;
  const index_t plane = h * w, slab = id_step * per_residue * cin_g * plane;
  auto position = [&](index_t id) { return (id % id_step) * per_residue + id / id_step; };
  std::unique_ptr<T[]> x(new T[static_cast<size_t>(batch * groups * slab)]());
  for (index_t n = 0; n < batch; ++n)
    for (index_t g = 0; g < groups; ++g)
      for (index_t id = 0; id < depth; ++id)
        for (index_t c = 0; c < cin_g; ++c)
          copy_plane(
              in.data + n * in.strides[0] + (g * cin_g + c) * in.strides[1] + id * in.strides[2],
              in.strides[3], in.strides[4], h, w,
              x.get() + (n * groups + g) * slab + (position(id) * cin_g + c) * plane);

  // The weight per group and tap class r (k = r, r + k_step, ...), the
  // taps in descending order (ascending input depth): (taps * C/groups,
  // Cout/groups, kh, kw).
  const index_t wplane = kh * kw, tap_size = cin_g * cout_g * wplane;
  auto class_taps = [&](index_t r) { return r < kd ? (kd - 1 - r) / k_step + 1 : 0; };
  std::vector<index_t> class_at(static_cast<size_t>(k_step + 1), 0);  // (per group)
  for (index_t r = 0; r < k_step; ++r) class_at[r + 1] = class_at[r] + class_taps(r) * tap_size;
  const index_t group_size = class_at[k_step];
  std::unique_ptr<T[]> wx(new T[static_cast<size_t>(groups * group_size)]);
  for (index_t g = 0; g < groups; ++g)
    for (index_t r = 0; r < k_step; ++r)
      for (index_t j = 0; j < class_taps(r); ++j) {
        const index_t k = r + (class_taps(r) - 1 - j) * k_step;
        for (index_t c = 0; c < cin_g; ++c)
          for (index_t o = 0; o < cout_g; ++o)
            copy_plane(
                weight.data + (g * cin_g + c) * weight.strides[0] + o * weight.strides[1] +
                    k * weight.strides[2],
                weight.strides[3], weight.strides[4], kh, kw,
                wx.get() + g * group_size + class_at[r] + ((j * cin_g + c) * cout_g + o) * wplane);
      }
  // The outputs no tap reaches (stride past the kernel): bias alone, as a
  // run on zeros.
  std::vector<T> zeros(static_cast<size_t>(std::max(cin_g * plane, tap_size)), T(0));

  ConvTransposeLayerOptions plane_options = pair_options(options, 1);
  plane_options.groups = 1;
  // The taps reaching output depth od, ascending (k_first, k_first +
  // k_step, ... k_last), and the input depth of the last (the lowest).
  struct Reach {
    index_t taps = 0, k_first = -1, k_last = -1, first_id = 0;
    bool operator==(const Reach& o) const {
      return taps == o.taps && k_first == o.k_first && k_last == o.k_last;
    }
  };
  auto reach = [&](index_t od) {
    Reach r;
    for (index_t k = 0; k < kd; ++k) {
      const index_t u = od + pad - k * dd;
      if (u >= 0 && u % sd == 0 && u / sd < depth) {
        if (r.k_first < 0) r.k_first = k;
        r.k_last = k;
      }
    }
    if (r.k_first >= 0) {
      r.taps = (r.k_last - r.k_first) / k_step + 1;
      r.first_id = (od + pad - r.k_last * dd) / sd;
    }
    return r;
  };
  std::vector<char> done(static_cast<size_t>(od_count), 0);
  for (index_t od = 0; od < od_count; ++od) {
    if (done[od]) continue;
    // One run for od, od + sd, ... while they take the same taps of the
    // next input slices (positions one apart: id_step 1).
    const Reach first = reach(od);
    index_t images = 1;
    while (id_step == 1 && od + images * sd < od_count) {
      const Reach next = reach(od + images * sd);
      if (!(next == first) || (first.taps && next.first_id != first.first_id + images)) break;
      done[od + images * sd] = 1;
      ++images;
    }
    const index_t taps = std::max<index_t>(first.taps, 1), channels = taps * cin_g;
    const ConvTransposeLayerPlan run = plan_conv_transpose_layer(
        {images, channels, h, w}, {channels, cout_g, kh, kw}, plane_options);
    const index_t r = first.taps ? first.k_first % k_step : 0;
    const index_t w_at = class_at[r] + (class_taps(r) - 1 - (first.k_last - r) / k_step) * tap_size;
    for (index_t g = 0; g < groups; ++g) {
      const Epilogue e = group_epilogue(options.epilogue, g, cout_g, out_channels);
      const View<const T> wg = make_view<const T>(
          first.taps ? wx.get() + g * group_size + w_at : zeros.data(), {channels, cout_g, kh, kw});
      for (index_t n = 0; n < batch; ++n) {
        const View<const T> xs =
            first.taps ? View<const T>(x.get() + (n * groups + g) * slab +
                                           position(first.first_id) * cin_g * plane,
                                       {images, channels, h, w}, {cin_g * plane, plane, w, 1})
                       : View<const T>(zeros.data(), {images, channels, h, w}, {0, plane, w, 1});
        conv_transpose_layer<T>(run, xs, wg, bias_part(bias, g, cout_g),
                                out_slices(out, n, g, cout_g, od, images, sd), options.threads, e,
                                residual_part(residual, n, g, cout_g, od, images, sd));
      }
    }
  }
}

#define FASTCONV_INSTANTIATE(T)                                                           \
  template void conv3d<T>(View<const T>, View<const T>, View<const T>, View<T>,           \
                          const ConvLayerOptions&, View<const T>);                        \
  template void conv_transpose3d<T>(View<const T>, View<const T>, View<const T>, View<T>, \
                                    const ConvTransposeLayerOptions&, View<const T>);
FASTCONV_FOR_EACH_ELEMENT_TYPE(FASTCONV_INSTANTIATE)
#undef FASTCONV_INSTANTIATE

}  // namespace fastconv

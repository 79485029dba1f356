#pragma once
// A layer's weights packed for the kernels: per channel block (group g,
// block b of R output channels) the K taps x R channels in the order the
// kernels read them. Packed per call by the one-call functions (into
// per-thread scratch), once by a layer object (owned, nn/layer.cpp).
#include <vector>

#include "kernels/layer_pack.hpp"
#include "nn/plan.hpp"

namespace fastconv::detail {

// Where a layer's weights are: tap r of output channel o (taps in the
// panel's order: input channel, kernel row, kernel column) is
// data[channel_at[o] + tap_at[r]].
template <class T>
struct LayerWeights {
  const T* data = nullptr;
  std::vector<index_t> channel_at;
  std::vector<index_t> tap_at;
};

// The conv layer's weights, (Cout, C/groups, kh, kw).
template <class T>
LayerWeights<T> conv_weights(const LayerPlan& p, const View<const T>& w) {
  LayerWeights<T> lw{w.data, {}, {}};
  for (index_t o = 0; o < p.out_channels; ++o) lw.channel_at.push_back(o * w.strides[0]);
  for (index_t c = 0; c < p.cin_g; ++c)
    for (index_t kp = 0; kp < p.kh; ++kp)
      for (index_t kq = 0; kq < p.kw; ++kq)
        lw.tap_at.push_back(c * w.strides[1] + kp * w.strides[2] + kq * w.strides[3]);
  return lw;
}

// Packed weights: block gb = g*blocks + b at data + gb*K*R (tap r of
// channel i at r*R + i, the channels past cout_g zero); the bias, if
// any, R values per block at bias + gb*R.
template <class T>
struct PackedWeights {
  index_t groups = 0, blocks = 0, K = 0, R = 1;
  T* data = nullptr;
  T* bias = nullptr;

  size_t size() const { return static_cast<size_t>(groups * blocks * K * R); }
  size_t bias_size() const { return static_cast<size_t>(groups * blocks * R); }
  index_t block_count() const { return groups * blocks; }

  // Pack block gb of `w` (cout_g channels a group) and of `b` (data ==
  // nullptr: none); with check_finite, whether the weights are all finite
  // (else true).
  bool pack(index_t gb, const LayerWeights<T>& w, const View<const T>& b, index_t cout_g,
            bool check_finite) const {
    const index_t g = gb / blocks, blk = gb % blocks;
    const index_t o0 = g * cout_g + blk * R, n_ch = std::min(R, cout_g - blk * R);
    if (b.data)
      for (index_t i = 0; i < R; ++i)
        bias[gb * R + i] = i < n_ch ? b.data[(o0 + i) * b.strides[0]] : T(0);
    return kernels::pack_channel_block(w.data, w.channel_at.data() + o0, w.tap_at.data(), K, R,
                                       n_ch, data + gb * K * R, check_finite);
  }
};

// Packed weights owning their memory (a layer object's), packed whole.
template <class T>
struct OwnedPackedWeights {
  OwnedPackedWeights(index_t groups, index_t blocks, index_t K, index_t R, const LayerWeights<T>& w,
                     const View<const T>& b, index_t cout_g) {
    packed = PackedWeights<T>{groups, blocks, K, R, nullptr, nullptr};
    data.resize(packed.size());
    packed.data = data.data();
    if (b.data) {
      bias.resize(packed.bias_size());
      packed.bias = bias.data();
    }
    for (index_t gb = 0; gb < packed.block_count(); ++gb)
      finite = packed.pack(gb, w, b, cout_g, true) && finite;
  }
  OwnedPackedWeights(const OwnedPackedWeights&) = delete;  // (`packed` points into this)
  OwnedPackedWeights& operator=(const OwnedPackedWeights&) = delete;
  std::vector<T> data, bias;
  PackedWeights<T> packed;
  bool finite = true;  // whether every weight is finite
};

}  // namespace fastconv::detail

// The CNN layers' fused epilogue (Epilogue in kernels.hpp): out =
// activation(sum + residual), with torch's formulas. Compiled once per
// ISA: include it inside the ISA's own namespace after tile_kernel-inl.hpp
// (Lanes, load_vec, store_vec). This is the one home of the activation
// math: every kernel that stores a layer's outputs (conv_kernel-inl.hpp,
// and any later one) calls `activate` on its vectors, and epilogue_row
// serves the outputs stored without a kernel.
//
// Each function takes a vector V (Lanes<T, L>) or a scalar T and does the
// same operations in the same order either way, so that a kernel's
// vectors, its edge elements and the pass give the same bits. The
// selects are written so that NaN passes through as in torch (a vector
// max instruction would drop it).

template <class V>
struct ElementOf {
  using type = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<V>()[0])>>;
};
template <>
struct ElementOf<float> {
  using type = float;
};
template <>
struct ElementOf<double> {
  using type = double;
};

// x in every lane (x - 0 keeps a -0, where 0 + x would not).
template <class V, class T>
static inline V splat(T x) {
  return x - V{};
}

template <class V>
static inline V act_relu(V x) {
  return x < V{} ? V{} : x;
}

// torch.clamp: max with lo first, then min with hi.
template <class V>
static inline V act_clamp(V x, V lo, V hi) {
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}

template <class V>
static inline V act_prelu(V x, V slope) {
  return x > V{} ? x : x * slope;
}

template <class V>
static inline V act_hardsigmoid(V x) {
  using T = typename ElementOf<V>::type;
  return act_clamp(x + T(3), V{}, splat<V>(T(6))) / T(6);
}

template <class V>
static inline V act_hardswish(V x) {
  using T = typename ElementOf<V>::type;
  return x * act_clamp(x + T(3), V{}, splat<V>(T(6))) / T(6);
}

// exp(x), within 1.5 ulp for float and double where the result is normal
// (measured over the range: 1.22 ulp without FMA, 0.93 with; sigmoid and
// silu are checked in tests/test_nn_epilogue.py; docs/conventions.md):
// x = n ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 in two parts), exp(r)
// by its Taylor polynomial (degree 7 for float, 13 for double: the
// truncation is below half an ulp), times 2^n as two powers of two so
// that n may reach the subnormal and overflow ends. Integer rounding by
// the 1.5 * 2^mantissa trick: no float-to-int conversion, so NaN passes
// through without undefined behaviour.
template <class V>
static inline V exp_approx(V x) {
  using T = typename ElementOf<V>::type;
  constexpr bool f32 = sizeof(T) == 4;
  using I = std::conditional_t<f32, std::int32_t, std::int64_t>;
  using U = std::make_unsigned_t<I>;
  typedef I IV __attribute__((vector_size(sizeof(V))));
  typedef U UV __attribute__((vector_size(sizeof(V))));
  constexpr int kMantissa = f32 ? 23 : 52;
  constexpr I kBias = f32 ? 127 : 1023;
  const T lo = f32 ? T(-104) : T(-746), hi = f32 ? T(89) : T(710);
  const T magic = f32 ? T(0x1.8p23) : T(0x1.8p52);
  const T log2e = T(1.4426950408889634074);
  const T ln2_hi = f32 ? T(0.693145751953125) : T(6.93147180369123816490e-01);
  const T ln2_lo = f32 ? T(1.428606765330187045e-06) : T(1.90821492927058770002e-10);
  x = x < lo ? splat<V>(lo) : x;  // (NaN stays)
  x = x > hi ? splat<V>(hi) : x;
  const V t = x * log2e + magic;  // n + magic, n = round(x / ln2)
  const V n = t - magic;
  V r = x - n * ln2_hi;
  r = r - n * ln2_lo;
  constexpr int kDegree = f32 ? 7 : 13;
  T coef[kDegree + 1];
  coef[0] = T(1);
  for (int k = 1; k <= kDegree; ++k) coef[k] = coef[k - 1] / T(k);
  V p = splat<V>(coef[kDegree]);
  for (int k = kDegree - 1; k >= 0; --k) p = p * r + coef[k];
  IV bits, magic_bits;
  const V magic_v = splat<V>(magic);
  std::memcpy(&bits, &t, sizeof(V));
  std::memcpy(&magic_bits, &magic_v, sizeof(V));
  const IV ni = bits - magic_bits;  // n (|n| < 2^21)
  const IV half = ni >> 1;
  const UV e1 = __builtin_convertvector(half + kBias, UV) << kMantissa;
  const UV e2 = __builtin_convertvector(ni - half + kBias, UV) << kMantissa;
  V s1, s2;
  std::memcpy(&s1, &e1, sizeof(V));
  std::memcpy(&s2, &e2, sizeof(V));
  return p * s1 * s2;
}

template <class V>
static inline V act_sigmoid(V x) {
  using T = typename ElementOf<V>::type;
  return T(1) / (T(1) + exp_approx(-x));
}

template <class V>
static inline V act_silu(V x) {
  using T = typename ElementOf<V>::type;
  return x / (T(1) + exp_approx(-x));
}

// The activation of outputs x (prelu: with their channels' slopes).
template <class T, class V>
static inline V activate(const Epilogue<T>& e, V x, V slope) {
  switch (e.activation) {
    case Activation::relu:
      return act_relu(x);
    case Activation::clamp:
      return act_clamp(x, splat<V>(e.lo), splat<V>(e.hi));
    case Activation::prelu:
      return act_prelu(x, slope);
    case Activation::sigmoid:
      return act_sigmoid(x);
    case Activation::hardsigmoid:
      return act_hardsigmoid(x);
    case Activation::hardswish:
      return act_hardswish(x);
    case Activation::silu:
      return act_silu(x);
    default:  // none (relu6 and leaky_relu arrive as clamp and prelu)
      return x;
  }
}

// The pass (EpiloguePass in kernels.hpp): whole vectors where out and res
// are contiguous, the rest one by one -- the same bits either way.
template <class T>
static void epilogue_row(const Epilogue<T>& e, T* out, const T* res, index_t n, index_t out_step,
                         index_t res_step, T slope) {
  constexpr int L = kVecBytes / static_cast<int>(sizeof(T));
  using V = typename Lanes<T, L>::type;
  index_t j = 0;
  if (out_step == 1 && (!res || res_step == 1))
    for (; j + L <= n; j += L) {
      V x = load_vec<V>(out + j);
      if (res) x += load_vec<V>(res + j);
      store_vec(out + j, activate(e, x, splat<V>(slope)));
    }
  for (; j < n; ++j) {
    T x = out[j * out_step];
    if (res) x += res[j * res_step];
    out[j * out_step] = activate(e, x, slope);
  }
}

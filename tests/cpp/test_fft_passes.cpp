// The FFT's Stockham passes (kernels/fft_kernel-inl.hpp) of every ISA this
// build compiled and this CPU runs, and of every vector width compiled with
// default flags (w16, w32, w64: AVX-512's 16 float lanes run here too):
// each output against the pass's definition in long double, and bitwise
// the baseline's (every lane runs the same scalar operations, no FMA), on
// every radix, with strides and lengths in every class of vector tail
// (shorter than a vector, whole vectors, vectors and a remainder).
#include <fastconv/runtime.hpp>

#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "width_tables.hpp"

namespace {

using fastconv::index_t;
using fastconv::kernels::FftPass;
using fastconv::kernels::KernelTable;
using LD = long double;

int failures = 0, checks = 0;

void expect(bool ok, const std::string& what) {
  ++checks;
  if (!ok && failures++ < 20) std::printf("FAIL: %s\n", what.c_str());
}

template <class T>
FftPass<T> pass_of(const KernelTable& t, int radix) {
  const auto& p = fastconv::kernels::fft_kernels<T>(t);
  return radix == 2 ? p.radix2 : radix == 3 ? p.radix3 : radix == 4 ? p.radix4 : p.radix5;
}

// The tables to check: the ISAs this CPU runs, then the three widths.
std::vector<const KernelTable*> tables() {
  std::vector<const KernelTable*> out;
  for (const std::string& isa : fastconv::available_isas())
    if (const KernelTable* t = fastconv::kernels::table_named(isa)) out.push_back(t);
  out.push_back(&fastconv::kernels::w16::table());
  out.push_back(&fastconv::kernels::w32::table());
  out.push_back(&fastconv::kernels::w64::table());
  return out;
}

template <class T>
void check_pass(int radix, index_t m, index_t s, std::mt19937& rng) {
  const index_t length = radix * m, n = length * s, imag = n + 3;  // (imag: not a vector apart)
  std::uniform_real_distribution<double> d(-1, 1);
  std::vector<T> in(static_cast<size_t>(imag + n)), tw(static_cast<size_t>(2 * (radix - 1) * m));
  for (T& v : in) v = static_cast<T>(d(rng));
  for (T& v : tw) v = static_cast<T>(d(rng));
  const T* twr = tw.data();
  const T* twi = twr + (radix - 1) * m;
  const std::string where = "radix " + std::to_string(radix) + " m " + std::to_string(m) +
                            " stride " + std::to_string(s) + " sizeof " + std::to_string(sizeof(T));

  const std::vector<const KernelTable*> all = tables();
  std::vector<T> expected;
  for (const KernelTable* table : all) {
    std::vector<T> out(in.size(), T(-7));  // (the gap between the parts must stay)
    pass_of<T>(*table, radix)(in.data(), out.data(), imag, length, s, twr, twi);
    const std::string name = where + " on " + table->isa;
    expect(out[n] == T(-7) && out[imag - 1] == T(-7), name + ": wrote outside the parts");
    if (expected.empty()) {
      expected = out;  // the first table is the best ISA; compared below to all others
    } else {
      expect(std::memcmp(out.data(), expected.data(), out.size() * sizeof(T)) == 0,
             name + ": not bitwise the other tables' result");
    }
    // The definition: out[q + s (R p + k)] = w_k(p) sum_j a_j exp(-2 pi i j k / R),
    // a_j = in[q + s (p + j m)], w_0 = 1.
    const LD pi = 3.141592653589793238462643383279502884L;
    const LD eps = std::numeric_limits<T>::epsilon();
    bool ok = true;
    for (index_t q = 0; q < s && ok; ++q)
      for (index_t p = 0; p < m; ++p)
        for (int k = 0; k < radix; ++k) {
          std::complex<LD> sum = 0;
          LD size = 0;
          for (int j = 0; j < radix; ++j) {
            const index_t at = q + s * (p + j * m);
            const std::complex<LD> a(in[at], in[imag + at]);
            const LD angle = -2 * pi * (j * k % radix) / radix;
            sum += a * std::complex<LD>(std::cos(angle), std::sin(angle));
            size += std::abs(a);
          }
          std::complex<LD> w = 1;
          if (k > 0) w = {twr[(k - 1) * m + p], twi[(k - 1) * m + p]};
          const std::complex<LD> ref = sum * w;
          const index_t at = q + s * (radix * p + k);
          const std::complex<LD> got(out[at], out[imag + at]);
          if (std::abs(got - ref) > 8 * eps * size * std::max<LD>(1, std::abs(w))) ok = false;
        }
    expect(ok, name + ": an output off the definition");
  }
}

}  // namespace

int main() {
  std::mt19937 rng(29);
  // Lengths per pass m and strides s: below, at and past 1, 2, 4, 8 and 16
  // lanes (16-byte vectors hold 4 floats, 64-byte ones 16).
  const index_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33};
  for (int radix : {2, 3, 4, 5})
    for (index_t m : sizes)
      for (index_t s : sizes) {
        check_pass<float>(radix, m, s, rng);
        check_pass<double>(radix, m, s, rng);
      }
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}

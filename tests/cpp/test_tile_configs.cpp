// The tile kernel body in every register-block configuration the ISAs
// use -- 16-byte vectors with 3x3 blocks (SSE2), 32-byte 3x3 (AVX2) and
// 64-byte 4x4 (AVX-512) -- compiled here with the default flags (the
// compiler lowers wide vectors to the instructions it has), against a
// naive loop. This runs the AVX-512 kernel's blocking logic on machines
// without AVX-512; its instruction selection is checked only on such CPUs.
#include <algorithm>
#include <complex>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/kernels.hpp"
#include "width_tables.hpp"

namespace {

using fastconv::index_t;
using fastconv::kernels::KernelTable;
using fastconv::kernels::TileTask;

template <class T>
int check(const KernelTable& table, std::mt19937& rng) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  int failures = 0, cases = 0;
  for (index_t kh : {1, 2, 3, 4, 5, 7}) {
    for (index_t kw : {1, 3, 6}) {
      for (index_t rows : {1, 4, 9, 13}) {
        for (index_t cols : {1, 7, 16, 33, 100}) {
          for (index_t rs : {1, 2}) {
            for (index_t dil : {1, 2, 3}) {
              // row dilation: dil % 2 + 1 (1, 2, 1); column dilation: dil
              const index_t rdil = dil % 2 + 1;
              for (bool accumulate : {false, true}) {
                const index_t in_rows = (rows - 1) * rs + (kh - 1) * rdil + 1;
                const index_t in_cols = cols + (kw - 1) * dil + 3;
                std::vector<T> x(in_rows * in_cols), k(kh * kw), acc(rows * (cols + 5));
                for (auto& v : x) v = static_cast<T>(dist(rng));
                for (auto& v : k) v = static_cast<T>(dist(rng));
                for (auto& v : acc) v = static_cast<T>(dist(rng));
                // the reference in long double (its rounding is negligible
                // next to T's), and the sum of |terms| for the error bound
                std::vector<long double> want(acc.begin(), acc.end()), scale(acc.size(), 0.0L);
                for (size_t i = 0; i < acc.size(); ++i) scale[i] = std::abs((long double)acc[i]);
                for (index_t r = 0; r < rows; ++r)
                  for (index_t c = 0; c < cols; ++c) {
                    const size_t o = static_cast<size_t>(r * (cols + 5) + c);
                    long double a = accumulate ? want[o] : 0.0L;
                    long double m = accumulate ? scale[o] : 0.0L;
                    for (index_t p = 0; p < kh; ++p)
                      for (index_t q = 0; q < kw; ++q) {
                        const long double term =
                            (long double)x[(r * rs + p * rdil) * in_cols + 2 + c + q * dil] *
                            (long double)k[p * kw + q];
                        a += term;
                        m += std::abs(term);
                      }
                    want[o] = a;
                    scale[o] = m;
                  }
                TileTask<T> t{x.data(), in_cols, k.data(),   kh,       kw,
                              0,        rs,      rdil,       2,        dil,
                              rows,     cols,    acc.data(), cols + 5, accumulate};
                fastconv::kernels::tile_kernel<T>(table)(t);
                ++cases;
                for (size_t i = 0; i < acc.size(); ++i) {
                  // A sum of n = kh*kw (+1 accumulated) products computed in
                  // T, in any order, with or without FMA: |error| <=
                  // n*u*sum|terms| (u = eps/2, to first order; Higham 3.1).
                  // n*eps*sum|terms| leaves a factor 2 of room, and is far
                  // below the error of a double kernel computing in float
                  // (or a float one in half).
                  const long double eps = std::numeric_limits<T>::epsilon();
                  const long double tol = (kh * kw + 1) * eps * scale[i] + 1e-300L;
                  if (std::abs((long double)acc[i] - want[i]) > tol) {
                    std::printf(
                        "FAIL %s kh=%ld kw=%ld rows=%ld cols=%ld rs=%ld dil=%ld/%ld acc=%d at "
                        "%zu\n",
                        table.isa, (long)kh, (long)kw, (long)rows, (long)cols, (long)rs, (long)rdil,
                        (long)dil, int(accumulate), i);
                    ++failures;
                    break;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  std::printf("%s %s: %d cases, %d failed\n", table.isa, sizeof(T) == 4 ? "float" : "double", cases,
              failures);
  return failures;
}

}  // namespace

int main() {
  std::mt19937 rng(3);
  int failures = 0;
  for (const KernelTable* t : {&fastconv::kernels::w16::table(), &fastconv::kernels::w32::table(),
                               &fastconv::kernels::w64::table()}) {
    failures += check<float>(*t, rng);
    failures += check<double>(*t, rng);
  }
  std::printf("%d failed\n", failures);
  return failures ? 1 : 0;
}

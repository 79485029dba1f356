#pragma once
// The transforms of Winograd's minimal filtering F(m x m, 3 x 3) (Lavin
// and Gray 2015): an output tile of m x m is A^T [(G g G^T) . (B^T d B)] A
// for the 3 x 3 kernel g and the input tile d of alpha = m + 2 rows and
// columns, "." element-wise. Plain constants, shared by the kernels
// (winograd_kernel-inl.hpp), the weight transform (nn/winograd.hpp) and
// the tests.
namespace fastconv::kernels {

// F(2x2, 3x3): interpolation points 0, 1, -1 and infinity. 16 products
// per 4 outputs.
struct WinogradF2 {
  static constexpr int m = 2, alpha = 4;
  static constexpr double BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  static constexpr double AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
};

// F(4x4, 3x3): points 0, 1, -1, 2, -2 and infinity. 36 products per 16
// outputs.
struct WinogradF4 {
  static constexpr int m = 4, alpha = 6;
  static constexpr double BT[6][6] = {
      {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
      {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
  };
  static constexpr double G[6][3] = {
      {1.0 / 4, 0, 0},
      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
      {1.0 / 24, 1.0 / 12, 1.0 / 6},
      {1.0 / 24, -1.0 / 12, 1.0 / 6},
      {0, 0, 1},
  };
  static constexpr double AT[4][6] = {
      {1, 1, 1, 1, 1, 0},
      {0, 1, -1, 2, -2, 0},
      {0, 1, 1, 4, 4, 0},
      {0, 1, -1, 8, -8, 1},
  };
};

}  // namespace fastconv::kernels

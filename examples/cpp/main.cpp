// Convolve a small image with a 3x3 kernel through the installed fastconv
// C++ library (no Python involved) and check the result against values
// worked out by hand. Exits non-zero on any mismatch.
#include <fastconv/fastconv.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  // 4x4 image with values 1..16, row-major.
  std::vector<double> image(16);
  for (int i = 0; i < 16; ++i) image[i] = i + 1;
  // Box blur (sum of the 3x3 neighbourhood).
  std::vector<double> kernel(9, 1.0);

  fastconv::ConvOptions opt;
  opt.mode = fastconv::Mode::same;
  opt.boundary = fastconv::Boundary::nearest;

  auto in = fastconv::make_view<const double>(image.data(), {4, 4});
  auto k = fastconv::make_view<const double>(kernel.data(), {3, 3});
  std::vector<fastconv::index_t> shape = fastconv::output_shape(in.shape, k.shape, opt);
  std::vector<double> result(static_cast<size_t>(shape[0] * shape[1]));
  fastconv::convolve<double>(in, k, fastconv::make_view(result.data(), shape), opt);

  // By hand: interior pixel (1,1) sums rows 0-2, cols 0-2 = 1+2+3+5+6+7+9+10+11 = 54;
  // corner (0,0) with the edge repeated: 1*4 + 2*2 + 5*2 + 6 = 24;
  // (0,1): rows 0,0,1 over cols 0-2 = 6 + 6 + 18 = 30.
  const double expected[4][4] = {
      {24, 30, 39, 45}, {48, 54, 63, 69}, {84, 90, 99, 105}, {108, 114, 123, 129}};
  int bad = 0;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      if (std::fabs(result[r * 4 + c] - expected[r][c]) > 1e-12) {
        std::printf("mismatch at (%d,%d): %g != %g\n", r, c, result[r * 4 + c], expected[r][c]);
        ++bad;
      }

  // A CNN layer (torch.nn.functional.conv2d semantics): the 4x4 image as
  // one 1-channel input, two output channels (the box sum and the
  // horizontal difference x[j+1] - x[j-1]), padding 1, bias (0, 0.5).
  {
    std::vector<double> weights = {1, 1, 1, 1,  1, 1, 1, 1, 1,   // box
                                   0, 0, 0, -1, 0, 1, 0, 0, 0};  // difference
    std::vector<double> bias = {0, 0.5};
    fastconv::ConvLayerOptions lo;
    lo.padding = {1};
    auto x = fastconv::make_view<const double>(image.data(), {1, 1, 4, 4});
    auto w = fastconv::make_view<const double>(weights.data(), {2, 1, 3, 3});
    auto b = fastconv::make_view<const double>(bias.data(), {2});
    std::vector<fastconv::index_t> ls = fastconv::conv_output_shape(x.shape, w.shape, lo);
    std::vector<double> layer(2 * 16);
    fastconv::conv2d<double>(x, w, b, fastconv::make_view(layer.data(), ls), lo);
    // By hand: the box sum of (1,1) is 54 as above, of corner (0,0) with
    // zero padding 1+2+5+6 = 14; the difference at (1,1) is 7 - 5 = 2 (+0.5),
    // at (0,0) 2 - 0 = 2 (+0.5), at (0,3) 0 - 3 = -3 (+0.5).
    const double want[][3] = {{0, 5, 54}, {0, 0, 14}, {1, 5, 2.5}, {1, 0, 2.5}, {1, 3, -2.5}};
    for (const auto& t : want) {
      const int ch = static_cast<int>(t[0]), pos = static_cast<int>(t[1]);
      if (std::fabs(layer[ch * 16 + pos] - t[2]) > 1e-12) {
        std::printf("conv2d mismatch at channel %d, pixel %d: %g != %g\n", ch, pos,
                    layer[ch * 16 + pos], t[2]);
        ++bad;
      }
    }
  }

  // Bad arguments are reported as exceptions, never crashes.
  try {
    opt.stride = {0};
    fastconv::output_shape(in.shape, k.shape, opt);
    std::printf("stride 0 was not refused\n");
    ++bad;
  } catch (const std::invalid_argument& e) {
    std::printf("refused as expected: %s\n", e.what());
  }

  std::printf("fastconv %s, isa %s: %s\n", FASTCONV_VERSION_STRING, fastconv::active_isa().c_str(),
              bad ? "FAILED" : "ok");
  return bad ? 1 : 0;
}

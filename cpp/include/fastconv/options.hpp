#pragma once
#include "fastconv/export.hpp"
#include <string>
#include <vector>

#include "fastconv/view.hpp"

namespace fastconv {

// Which part of the full result is kept, per convolved axis (input n,
// dilated kernel ke = d*(k-1)+1): full n+ke-1, same n, valid n-ke+1.
enum class Mode { full, same, valid };

// How the input is extended past its edges (d c b a is the input a b c d
// read backwards):
//   fill    v v v | a b c d | v v v   (a constant)
//   wrap    b c d | a b c d | a b c   (periodic)
//   symm    c b a | a b c d | d c b   (mirror with the edge repeated)
//   mirror  d c b | a b c d | c b a   (mirror without the edge repeated)
//   nearest a a a | a b c d | d d d   (the edge repeated)
// Extensions repeat as far as the kernel reaches.
enum class Boundary { fill, wrap, symm, mirror, nearest };

// Which element of the full result the 'same' output starts at.
//   centre_low:  (ke-1)/2 -- scipy.signal convolve, correlate, convolve2d
//   centre_high: ke/2     -- scipy.signal correlate2d; MATLAB conv2/filter2
//                            and scipy.ndimage (the two differ only for
//                            even ke); Python's anchor="matlab"
//   taps:        `anchor[i]` is the kernel tap that sits over each output
//                sample along convolved axis i.
enum class AnchorRule { centre_low, centre_high, taps };

struct ConvOptions {
  Mode mode = Mode::full;
  Boundary boundary = Boundary::fill;
  // Axes to convolve over (negative counts from the end); empty = all.
  // The other axes are batch axes: equal sizes, or 1 in one input.
  std::vector<index_t> axes;
  // One value for every convolved axis, or one per convolved axis in the
  // order of `axes` (ascending axis order when `axes` is empty); empty = 1.
  std::vector<index_t> stride;
  std::vector<index_t> dilation;
  AnchorRule anchor_rule = AnchorRule::centre_low;
  std::vector<index_t> anchor;  // kernel taps, for AnchorRule::taps
  int threads = 0;              // 0 = the global setting (set_num_threads)
  // scipy.signal's conventions (off by default):
  // - swap_valid_inputs: in 'valid' mode without stride or dilation, when
  //   in2 is at least as large as in1 along every convolved axis and larger
  //   along one, the two trade places (ConvPlan::swapped); when neither is
  //   at least as large as the other along every convolved axis, an error.
  // - allow_empty: an empty input gives an empty result (each convolved
  //   axis the mode's length, 0 where that is negative) instead of an error.
  bool swap_valid_inputs = false;
  bool allow_empty = false;
};

// Parse the names used by the Python API; throw std::invalid_argument on an
// unknown name. Boundary aliases: pad (fill), circular (wrap),
// symmetric (symm).
FASTCONV_API Mode parse_mode(const std::string& name);
FASTCONV_API Boundary parse_boundary(const std::string& name);

}  // namespace fastconv

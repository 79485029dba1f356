#pragma once
// Everything public: #include <fastconv/fastconv.hpp>
#include "fastconv/convolve.hpp"
#include "fastconv/element_types.hpp"
#include "fastconv/fft.hpp"
#include "fastconv/nn.hpp"
#include "fastconv/options.hpp"
#include "fastconv/pool.hpp"
#include "fastconv/runtime.hpp"
#include "fastconv/transpose.hpp"
#include "fastconv/version.hpp"
#include "fastconv/view.hpp"

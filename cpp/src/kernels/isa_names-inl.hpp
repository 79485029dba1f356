// The names the kernel bodies read, from the ISA's constants `kIsa`
// (isa_constants.hpp). Included inside an ISA's namespace, after
// `constexpr IsaConstants kIsa = ...;`, before the bodies.
constexpr const char* kIsaName = kIsa.name;
constexpr int kVecBytes = kIsa.vec_bytes;
constexpr int kRowBlock = kIsa.row_block;
constexpr int kColVecsMulti = kIsa.col_vecs_multi;
constexpr int kConvChannelVecs = kIsa.conv_channel_vecs;
constexpr int kConvPixels = kIsa.conv_pixels;
constexpr int kConvVecs1 = kIsa.conv_vecs1;

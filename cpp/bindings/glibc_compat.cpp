// Portable Linux wheels (FASTCONV_PORTABLE_WHEEL): the module links
// libstdc++ statically, and the libstdc++ of a new toolchain calls glibc
// functions under versions newer than manylinux_2_28's glibc 2.28. The
// linker sends those calls here (--wrap=<name>, see CMakeLists.txt), and
// each is forwarded to a version every glibc >= 2.17 has, or replaced:
//
//   pthread_once, __pthread_key_create  @GLIBC_2.34 (moved into libc)
//                                        -> @GLIBC_2.2.5 (libpthread before 2.34)
//   __libc_single_threaded               @GLIBC_2.32 -> a local 0, which means
//                                        "maybe threaded": always atomic updates
//   arc4random (std::random_device)      @GLIBC_2.36 -> getrandom @GLIBC_2.25
//
// Only for x86-64 glibc builds (2.2.5 is x86-64's base version; CMake
// adds this file only there).
#include <pthread.h>
#include <sys/random.h>

#include <cstddef>
#include <cstdint>

#if defined(__x86_64__) && defined(__GLIBC__)

// `used`: the callers are in libstdc++.a, outside what link-time
// optimisation sees, so it must not drop these as unreferenced.
#define FASTCONV_WRAP __attribute__((used, visibility("hidden")))

extern "C" {

int fastconv_pthread_once_v2(pthread_once_t*, void (*)());
int fastconv_pthread_key_create_v2(pthread_key_t*, void (*)(void*));
__asm__(".symver fastconv_pthread_once_v2, pthread_once@GLIBC_2.2.5");
__asm__(".symver fastconv_pthread_key_create_v2, __pthread_key_create@GLIBC_2.2.5");

FASTCONV_WRAP int __wrap_pthread_once(pthread_once_t* once, void (*init)()) {
  return fastconv_pthread_once_v2(once, init);
}

FASTCONV_WRAP int __wrap___pthread_key_create(pthread_key_t* key, void (*dtor)(void*)) {
  return fastconv_pthread_key_create_v2(key, dtor);
}

FASTCONV_WRAP char __wrap___libc_single_threaded = 0;

FASTCONV_WRAP std::uint32_t __wrap_arc4random() {
  std::uint32_t value = 0;
  std::size_t got = 0;
  while (got < sizeof value) {
    const ssize_t n = getrandom(reinterpret_cast<char*>(&value) + got, sizeof value - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  return value;
}

}  // extern "C"
#endif

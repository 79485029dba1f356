"""Check the compiled objects of the C++ library (x86-64 builds):

1. no object but kernel_avx2* / kernel_avx512* (each ISA's kernel files,
   kernel_<isa>.cpp and its parts kernel_<isa>_*.cpp) contains an AVX instruction
   (a VEX/EVEX-encoded mnemonic or a ymm/zmm register): the baseline path
   runs on any x86-64 CPU;
2. the AVX objects define no global or weak symbol outside their own ISA
   namespace, so the linker cannot merge an AVX copy of an inline function
   into another ISA's path (the SIGILL trap of lesson 1 in STYLE.md).

    python .ci/check_kernel_objects.py BUILD_DIR
"""

import pathlib
import platform
import re
import subprocess
import sys

# kernel_avx512.cpp.o, kernel_avx512_wide_f32.cpp.o, ...: group 1 is the ISA
AVX_OBJECT = re.compile(r"kernel_(avx2|avx512)(_\w+)?$")
AVX_INSN = re.compile(r"^\s*[0-9a-f]+:\s+(v[a-z0-9]+)\b|%[yz]mm\d+", re.M)


def main(build_dir):
    if platform.machine().lower() not in ("x86_64", "amd64"):
        print("not x86-64: nothing to check")
        return 0
    objects = sorted(pathlib.Path(build_dir).rglob("*.o"))
    objects = [o for o in objects if "CMakeFiles/fastconv.dir" in str(o)]
    if not objects:
        print(f"no objects of the fastconv library under {build_dir}")
        return 1
    bad = []
    for obj in objects:
        avx = AVX_OBJECT.match(obj.name.split(".")[0])
        if avx:
            isa = avx.group(1)
            syms = subprocess.run(
                ["nm", "-C", "--defined-only", str(obj)], check=True, capture_output=True, text=True
            ).stdout
            for line in syms.splitlines():
                parts = line.split(maxsplit=2)
                if (
                    len(parts) == 3
                    and parts[1].isupper()
                    and not parts[2].startswith(f"fastconv::kernels::{isa}::")
                ):
                    bad.append(f"{obj.name}: exports {parts[2]!r} ({parts[1]})")
            continue
        asm = subprocess.run(
            ["objdump", "-d", "--no-show-raw-insn", str(obj)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        hits = {m.group(0).strip() for m in AVX_INSN.finditer(asm)}
        if hits:
            bad.append(f"{obj.name}: AVX instructions {sorted(hits)[:5]}")
        print(f"{obj.name}: no AVX instructions")
    for line in bad:
        print("FAIL", line)
    print(f"{len(objects)} objects checked, {len(bad)} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))

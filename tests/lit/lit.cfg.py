# lit configuration for the textual tests: one folder per feature or pass.
import os
import shutil

import lit.formats

config.name = "EinsumGraph"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".eg", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.eg_obj_root, "tests", "lit")

# Our tools first, then FileCheck, not and count from LLVM.
path = [config.eg_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
config.environment["PATH"] = os.pathsep.join(path)
# Kernel shapes from the cpu backend's model, not measured (see
# tests/CMakeLists.txt); the tuner's tests ask for measuring.
config.environment["EG_CPU_TUNING"] = "off"
config.substitutions.append(("%examples", os.path.join(config.eg_src_root, "examples")))
config.substitutions.append(("%python", "python3"))
config.substitutions.append(("%eg_src", config.eg_src_root))
# Where the backend plugins are built: the example's and the broken ones.
config.substitutions.append(("%eg_lib", config.eg_lib_dir))
config.substitutions.append(("%eg_bin", config.eg_tools_dir))
config.substitutions.append(("%eg_build", config.eg_obj_root))

# Tests of the MLIR cpu backend run only where it is built.
if config.eg_cpu_backend.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("cpu-backend")

# Ahead-of-time tests that compile and link C need a C and a C++ compiler;
# the built example links only where the OpenMP runtime was found.
if shutil.which("cc") and shutil.which("c++"):
    config.available_features.add("c-compiler")
if config.eg_aot_example.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("aot-example")

# Tests that time big graphs (tests/lit/hostile) need an optimized build
# without sanitizers: a Debug or ASan build is ten times slower or more.
if (config.eg_build_type in ("Release", "RelWithDebInfo", "MinSizeRel")
        and config.eg_sanitizers.upper() not in ("ON", "1", "TRUE", "YES")):
    config.available_features.add("optimized")

# The host's architecture and vector extensions, for tests that run code
# compiled for a narrower machine than the host (--mcpu, --mattr).
import platform
config.available_features.add("host-" + platform.machine())
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((l.split(":", 1)[1].split() for l in cpuinfo
                      if l.startswith("flags")), [])
except OSError:
    flags = []
for flag in ("avx2", "fma", "avx512f", "avx512_bf16"):
    if flag in flags:
        config.available_features.add("host-" + flag)

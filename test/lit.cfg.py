# -*- Python -*-
# lit configuration for Kiln's regression tests.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "KILN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".json"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

llvm_config.use_default_substitutions()
config.substitutions.append(("%kiln_src", config.kiln_src_root))
config.substitutions.append(("%kiln_obj", config.kiln_obj_root))

# Debian's interpreter sees python3-torch and python3-numpy; another python3
# earlier on PATH may not.
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
config.substitutions.append(("%python", python))

fashion = "/usr/share/datasets/fashion-mnist"
config.substitutions.append(("%fashion_mnist", fashion))
if os.path.exists(os.path.join(fashion, "train-images-idx3-ubyte.gz")):
    config.available_features.add("fashion-mnist")
if shutil.which(python) and os.system(python + ' -c "import torch" 2>/dev/null') == 0:
    config.available_features.add("torch")

# Data-parallel training (docs/distributed.md): the runtime built with MPI
# and Open MPI's mpirun; as root it needs --allow-run-as-root, and the tests
# run more ranks than this machine has cores.
if config.kiln_enable_mpi.upper() in ("ON", "1", "TRUE", "YES") and shutil.which(
    "mpirun"
):
    config.available_features.add("mpi")
    # mpi-netns.test puts ranks in network namespaces: root, iproute2 and
    # the right to create namespaces (probed).
    probe = "kiln-lit-probe-%d" % os.getpid()
    if (
        os.geteuid() == 0
        and shutil.which("ip")
        and shutil.which("unshare")
        and os.system("ip netns add %s 2>/dev/null" % probe) == 0
    ):
        os.system("ip netns del %s" % probe)
        config.available_features.add("netns")
config.substitutions.append(
    ("%mpirun", "mpirun --allow-run-as-root --oversubscribe")
)

tool_dirs = [config.kiln_tools_dir, config.llvm_tools_dir]
# `lit -D kilnc-opt=0` compiles every model of the run at -O0 (kilnc's
# default is -O3): the numerics tests must pass at both.
kilnc_opt = lit_config.params.get("kilnc-opt")
kilnc = ToolSubst("kilnc", extra_args=["-O" + kilnc_opt] if kilnc_opt else None)
tools = ["kiln-opt", "kiln-import", kilnc, "llvm-nm", "FileCheck", "not", "count"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

"""Build mamba-ssm (and causal-conv1d) wheels offline, for THIS machine's GPU architecture only.

Upstream's setup.py compiles the CUDA kernels for ~9 architectures (too slow to do on every
fresh machine: see docs/gpu.md). This script unpacks the sdists, restricts the nvcc
``-gencode`` list to the local GPU's compute capability, and builds wheels with
``pip wheel --no-deps --no-build-isolation`` (no package registry needed).

    python scripts/build_cuda_wheels.py SDIST_DIR OUT_DIR [--arch 90] [--jobs 16]

SDIST_DIR holds mamba_ssm-*.tar.gz and optionally causal_conv1d-*.tar.gz.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

_MARK = "    ext_modules.append(\n"


def local_arch() -> str:
    import torch

    if not torch.cuda.is_available():
        sys.exit("no CUDA device: pass --arch explicitly (e.g. 90 for H100/H200)")
    major, minor = torch.cuda.get_device_capability()
    return f"{major}{minor}"


def restrict_arch(setup_py: Path, arch: str) -> None:
    """Insert, just before the CUDAExtension is declared, a line that replaces cc_flag's
    gencode pairs with the one local architecture."""
    text = setup_py.read_text()
    if _MARK not in text:
        raise SystemExit(f"{setup_py}: layout changed (no 'ext_modules.append('); cannot restrict architectures")
    patch = (
        "    cc_flag = [f for f in cc_flag if f != '-gencode' and not f.startswith('arch=')]"
        f" + ['-gencode', 'arch=compute_{arch},code=sm_{arch}']\n"
    )
    setup_py.write_text(text.replace(_MARK, patch + _MARK, 1))


def build(sdist: Path, out: Path, arch: str, jobs: int, env_prefix: str) -> Path:
    work = Path(tempfile.mkdtemp(prefix="toolenv-build-"))
    with tarfile.open(sdist) as tar:
        tar.extractall(work, filter="data")
    (src,) = [p for p in work.iterdir() if p.is_dir()]
    restrict_arch(src / "setup.py", arch)
    env = dict(os.environ, MAX_JOBS=str(jobs), **{f"{env_prefix}_FORCE_BUILD": "TRUE"})
    t0 = time.time()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)],
        check=True,
        env=env,
    )
    name = re.sub(r"-[0-9].*", "", sdist.name).replace("-", "_")
    (wheel,) = sorted(out.glob(f"{name}-*.whl"), key=os.path.getmtime)[-1:]
    print(f"built {wheel.name} for sm_{arch} in {time.time() - t0:.0f} s", flush=True)
    return wheel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sdists", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--arch", default=None, help="compute capability without the dot, e.g. 90")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 4)
    parser.add_argument("--skip-causal-conv1d", action="store_true")
    args = parser.parse_args()
    arch = args.arch or local_arch()
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [("causal_conv1d", "CAUSAL_CONV1D"), ("mamba_ssm", "MAMBA")]
    for stem, prefix in jobs:
        if stem == "causal_conv1d" and args.skip_causal_conv1d:
            continue
        found = sorted(args.sdists.glob(f"{stem}-*.tar.gz"))
        if not found:
            if stem == "causal_conv1d":
                print("no causal_conv1d sdist: skipping it (mamba-ssm works without it)")
                continue
            sys.exit(f"no {stem}-*.tar.gz in {args.sdists}")
        build(found[-1], args.out, arch, args.jobs, prefix)


if __name__ == "__main__":
    main()

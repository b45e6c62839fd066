"""Mamba-1's compiled scan (mamba-ssm's ``selective_scan_cuda``) in two halves, so that a GPU lease
compiles one C++ file and links, instead of building the whole wheel (~12 minutes; docs/gpu.md).

``compile`` (any machine with nvcc, no GPU needed): the sdist's nine CUDA files are compiled for one
architecture with mamba-ssm's own nvcc flags, against the headers of the torch wheel the GPU
machine runs (``pip download torch==2.11.0 --no-deps --python-version 3.12 --only-binary=:all:
--platform manylinux_2_28_x86_64`` gives the +cu130 build), into one archive of object files.
``link`` (the GPU machine): compiles the one C++ file (pybind11, needs that machine's Python and
torch) with ``torch.utils.cpp_extension.load``, links it with those objects, and writes
``selective_scan_cuda*.so`` into OUT_DIR, to be put on PYTHONPATH beside a mamba-ssm installed
without its extension (MAMBA_SKIP_CUDA_BUILD).

    python scripts/selective_scan_objects.py compile --sdist S.tar.gz --torch-wheel W.whl --out OBJ.tgz
    python scripts/selective_scan_objects.py link --sdist S.tar.gz --objects OBJ.tgz --out DIR
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SUBDIR = "csrc/selective_scan"
# mamba-ssm 2.3.2's setup.py flags for selective_scan_cuda (its nvcc list, less the gencode list)
NVCC_FLAGS = [
    "-O3", "-std=c++17", "-U__CUDA_NO_HALF_OPERATORS__", "-U__CUDA_NO_HALF_CONVERSIONS__",
    "-U__CUDA_NO_BFLOAT16_OPERATORS__", "-U__CUDA_NO_BFLOAT16_CONVERSIONS__", "-U__CUDA_NO_BFLOAT162_OPERATORS__",
    "-U__CUDA_NO_BFLOAT162_CONVERSIONS__", "--expt-relaxed-constexpr", "--expt-extended-lambda", "--use_fast_math",
    "-lineinfo", "-Xcompiler", "-fPIC", "-D_GLIBCXX_USE_CXX11_ABI=1",
]


def unpack_sources(sdist: Path, into: Path) -> Path:
    """The sdist's csrc/selective_scan folder, unpacked under ``into``."""
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if f"/{SUBDIR}/" in m.name]
        if not members:
            sys.exit(f"{sdist}: no {SUBDIR}/ inside (not a mamba-ssm sdist?)")
        tar.extractall(into, members=members, filter="data")
    (src,) = {p.parent for p in into.glob(f"*/{SUBDIR}/selective_scan.cpp")}
    return src


def compile_objects(args) -> None:
    nvcc = shutil.which(args.nvcc) or sys.exit(f"{args.nvcc} not found")
    work = Path(tempfile.mkdtemp(prefix="toolenv-ss-"))
    src = unpack_sources(args.sdist, work)
    with zipfile.ZipFile(args.torch_wheel) as whl:
        headers = [n for n in whl.namelist() if n.startswith("torch/include/") or n == "torch/version.py"]
        whl.extractall(work, members=headers)
    torch_version = (work / "torch/version.py").read_text().split("__version__ = ")[1].split("\n")[0].strip("'\"")
    include = work / "torch/include"
    cuda_include = Path(nvcc).resolve().parent.parent / "include"
    objects = work / "objects"
    objects.mkdir()
    nvcc_version = subprocess.run([nvcc, "--version"], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]

    def one(cu: Path) -> tuple[str, float]:
        t0 = time.time()
        cmd = [nvcc, "-c", str(cu), "-o", str(objects / f"{cu.stem}.o"), f"-I{src}", f"-I{include}",
               f"-I{include}/torch/csrc/api/include", f"-I{cuda_include}", *NVCC_FLAGS,
               "-gencode", f"arch=compute_{args.arch},code=sm_{args.arch}"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.exit(f"nvcc failed on {cu.name}:\n{done.stderr[-3000:]}")
        return cu.name, time.time() - t0

    sources = sorted(src.glob("*.cu"), key=lambda p: ("bwd" not in p.name, p.name))  # the slow ones first
    t0 = time.time()
    with ThreadPoolExecutor(args.jobs) as pool:
        seconds = dict(pool.map(one, sources))
    manifest = {"sdist": args.sdist.name, "torch": torch_version, "arch": args.arch, "nvcc": nvcc_version,
                "flags": NVCC_FLAGS, "seconds": {k: round(v, 1) for k, v in seconds.items()}}
    (objects / "manifest.json").write_text(json.dumps(manifest, indent=1))
    with tarfile.open(args.out, "w:gz") as tar:
        tar.add(objects, arcname="objects")
    print(json.dumps(manifest["seconds"]), f"\n{len(sources)} objects for sm_{args.arch}, torch {torch_version}, "
          f"in {time.time() - t0:.0f} s: {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


def link(args) -> None:
    import torch
    from torch.utils.cpp_extension import load

    work = Path(tempfile.mkdtemp(prefix="toolenv-ss-"))
    src = unpack_sources(args.sdist, work)
    with tarfile.open(args.objects) as tar:
        tar.extractall(work, filter="data")
    manifest = json.loads((work / "objects/manifest.json").read_text())
    if manifest["torch"] != torch.__version__:
        sys.exit(f"objects compiled against torch {manifest['torch']}, this is {torch.__version__}: compile again")
    major, minor = torch.cuda.get_device_capability()
    if f"{major}{minor}" != manifest["arch"]:
        sys.exit(f"objects are for sm_{manifest['arch']}, this GPU is sm_{major}{minor}")
    os.environ.setdefault("TORCH_CUDA_ARCH_LIST", f"{major}.{minor}")  # no CUDA file is compiled here, but
    # load() asks for the list (and fails on an empty one where no GPU is visible: the CPU box's rehearsal)
    t0 = time.time()
    build = work / "build"
    build.mkdir()
    load(name="selective_scan_cuda", sources=[str(src / "selective_scan.cpp")], extra_include_paths=[str(src)],
         extra_cflags=["-O3"], extra_ldflags=[str(p) for p in sorted((work / "objects").glob("*.o"))],
         build_directory=str(build), with_cuda=True, verbose=False)
    args.out.mkdir(parents=True, exist_ok=True)
    (so,) = build.glob("selective_scan_cuda*.so")
    shutil.copy(so, args.out / so.name)
    print(f"linked {args.out / so.name} in {time.time() - t0:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compile")
    c.add_argument("--sdist", type=Path, required=True)
    c.add_argument("--torch-wheel", type=Path, required=True, help="the wheel of the torch the GPU machine runs")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--arch", default="90")
    c.add_argument("--jobs", type=int, default=2)
    c.add_argument("--nvcc", default="nvcc")
    k = sub.add_parser("link")
    k.add_argument("--sdist", type=Path, required=True)
    k.add_argument("--objects", type=Path, required=True)
    k.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    compile_objects(args) if args.command == "compile" else link(args)


if __name__ == "__main__":
    main()

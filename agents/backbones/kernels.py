"""Optional CUDA kernels from mamba-ssm (the ``cuda`` extra), imported defensively.

mamba-ssm 2.3.2's package ``__init__`` imports its compiled ``selective_scan_cuda`` extension
unconditionally, so on a machine without it (any CPU machine, or a GPU machine where only the
Triton parts would work) every import fails. We import the pieces we use one by one; whatever
is missing is ``None`` and the PyTorch path runs instead. ``describe()`` says which path runs,
and ``log_path_once`` logs it once per process and backbone.
"""

from __future__ import annotations

import logging

import torch

log = logging.getLogger("toolenv")

selective_scan_fn = None  # Mamba-1 training scan (compiled CUDA extension)
selective_state_update = None  # one-token SSM update for Mamba-1 and Mamba-2 (Triton)
mamba_chunk_scan_combined = None  # Mamba-2 chunked SSD scan (Triton)
IMPORT_ERRORS: dict[str, str] = {}

try:
    from mamba_ssm.ops.selective_scan_interface import selective_scan_fn  # type: ignore # noqa: F811
except Exception as e:  # ImportError, or a CUDA/ABI error inside the extension
    IMPORT_ERRORS["selective_scan_fn"] = f"{type(e).__name__}: {e}"
try:
    from mamba_ssm.ops.triton.selective_state_update import selective_state_update  # type: ignore # noqa: F811
except Exception as e:
    IMPORT_ERRORS["selective_state_update"] = f"{type(e).__name__}: {e}"
try:
    from mamba_ssm.ops.triton.ssd_combined import mamba_chunk_scan_combined  # type: ignore # noqa: F811
except Exception as e:
    IMPORT_ERRORS["mamba_chunk_scan_combined"] = f"{type(e).__name__}: {e}"

_logged: set[str] = set()


def use_kernel(kernel, tensor: torch.Tensor, enabled: bool) -> bool:
    """True when the kernel is importable, allowed, and the data is on a CUDA device."""
    return enabled and kernel is not None and tensor.is_cuda


def log_path_once(backbone: str, on_kernel: bool, wanted: tuple[str, ...]) -> None:
    key = f"{backbone}:{on_kernel}"
    if key in _logged:
        return
    _logged.add(key)
    if on_kernel:
        log.info("%s: using mamba-ssm CUDA/Triton kernels (%s)", backbone, ", ".join(wanted))
    else:
        missing = {k: v for k, v in IMPORT_ERRORS.items() if k in wanted}
        why = "; ".join(f"{k}: {v}" for k, v in missing.items()) or "tensors on CPU or kernels disabled"
        log.warning("%s: running the pure-PyTorch path (%s)", backbone, why)

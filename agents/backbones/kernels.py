"""Optional CUDA kernels from mamba-ssm and causal-conv1d (the ``cuda`` extra), found at import time.

Every kernel is imported on its own, inside its own try/except; whatever fails is ``None``, the
reason is kept in ``IMPORT_ERRORS``, and the Mamba backbones run their pure-PyTorch path
(agents/backbones/ssm_scan.py, ssm_conv.py, ssd.py) instead. Which path a backbone takes is logged
once per process and device, on the ``toolenv`` logger, as a warning when it is the PyTorch
fallback: it is slower on a GPU, and users should know (mamba-ssm's maintainers refuse silent
fallbacks, state-spaces/mamba PR #265).

Why not simply ``import mamba_ssm``: mamba-ssm 2.3.2's package ``__init__`` imports the compiled
``selective_scan_cuda`` extension unconditionally (directly and through its Mamba module), so a
CPU machine, or a GPU machine where mamba-ssm was installed without compiling
(``MAMBA_SKIP_CUDA_BUILD=TRUE``), cannot import any part of it. Yet its Triton kernels (Mamba-2's
chunked SSD, ``selective_state_update``, the gated RMSNorm) need only triton and einops. When the
package import fails, ``_import_without_package_init`` loads those submodules from the installed
files without running ``mamba_ssm/__init__.py`` and afterwards removes its stand-in package from
``sys.modules``, so the rest of the process sees mamba-ssm exactly as before. Mamba-1's training
scan ``selective_scan_fn`` is the compiled extension itself: without it, Mamba-1 trains with the
PyTorch scan (on the GPU too) while its decoding step can still use the Triton state update.

Kernel signatures used (mamba-ssm 2.3.2, causal-conv1d 1.5/1.6):
- ``selective_scan_fn(u, delta, A, B, C, D, z, delta_bias, delta_softplus)``: u/delta/z [B, D, L],
  A [D, N], B/C [B, N, L] -> [B, D, L];
- ``selective_state_update(state, x, dt, A, B, C, D, z, dt_bias, dt_softplus)``: updates ``state``
  ([B, D, N] or [B, H, P, N]) in place;
- ``mamba_chunk_scan_combined(x, dt, A, B, C, chunk_size, D, z, dt_bias, ..., dt_softplus)``:
  x [B, L, H, P], dt [B, L, H], A [H], B/C [B, L, G, N];
- ``rmsnorm_fn(x, weight, bias, z, eps, group_size, norm_before_gate)``: Mamba-2's gated RMSNorm;
- ``causal_conv1d_fn(x [B, D, L], weight [D, K], bias, activation)`` and
  ``causal_conv1d_update(x [B, D], conv_state [B, D, K], weight, bias, activation)`` (in place).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import types
from typing import Any

import torch

log = logging.getLogger("toolenv")

IMPORT_ERRORS: dict[str, str] = {}


def _import_without_package_init(module: str) -> types.ModuleType:
    """Import ``mamba_ssm.<...>`` with a bare stand-in for the ``mamba_ssm`` package (see module doc)."""
    spec = importlib.util.find_spec("mamba_ssm")  # locates the package; runs none of its code
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("No module named 'mamba_ssm' (install the 'cuda' extra)")
    stand_in = types.ModuleType("mamba_ssm")
    stand_in.__path__ = list(spec.submodule_search_locations)
    stand_in.__spec__ = spec
    sys.modules["mamba_ssm"] = stand_in
    try:
        return importlib.import_module(module)
    finally:
        if sys.modules.get("mamba_ssm") is stand_in:
            del sys.modules["mamba_ssm"]


def _load(name: str, module: str, package_init_optional: bool) -> Any:
    """``module.name``, or None with the reason recorded in IMPORT_ERRORS."""
    try:
        return getattr(importlib.import_module(module), name)
    except Exception as first:  # noqa: BLE001 (ImportError, or an ABI/CUDA error inside an extension: all mean 'fall back')
        error = first
    if package_init_optional and module.startswith("mamba_ssm."):
        try:
            return getattr(_import_without_package_init(module), name)
        except Exception as second:  # noqa: BLE001
            error = second
    IMPORT_ERRORS[name] = f"{type(error).__name__}: {error}"
    return None


selective_scan_fn = _load("selective_scan_fn", "mamba_ssm.ops.selective_scan_interface", False)
selective_state_update = _load("selective_state_update", "mamba_ssm.ops.triton.selective_state_update", True)
mamba_chunk_scan_combined = _load("mamba_chunk_scan_combined", "mamba_ssm.ops.triton.ssd_combined", True)
rmsnorm_fn = _load("rmsnorm_fn", "mamba_ssm.ops.triton.layernorm_gated", True)
causal_conv1d_fn = _load("causal_conv1d_fn", "causal_conv1d", False)
causal_conv1d_update = _load("causal_conv1d_update", "causal_conv1d", False)


def available() -> dict[str, bool]:
    """Which optional kernels were imported (for reports and ``toolenv`` diagnostics)."""
    names = (
        "selective_scan_fn",
        "selective_state_update",
        "mamba_chunk_scan_combined",
        "rmsnorm_fn",
        "causal_conv1d_fn",
        "causal_conv1d_update",
    )
    return {n: globals()[n] is not None for n in names}


def use(kernel: Any, tensor: torch.Tensor, enabled: bool) -> bool:
    """True when ``kernel`` was imported, kernels are enabled in the config, and ``tensor`` is on CUDA."""
    return enabled and kernel is not None and tensor.is_cuda


_reported: set[tuple[str, str]] = set()


def report_once(backbone: str, device: torch.device, enabled: bool, ops: dict[str, str]) -> None:
    """Log, once per process, backbone and device type, which implementation runs each op.

    ``ops`` maps an op's description to the name of its kernel in this module, e.g.
    ``{"training scan": "selective_scan_fn"}``. A warning when any op runs in PyTorch, info otherwise.
    """
    key = (backbone, device.type)
    if key in _reported:
        return
    _reported.add(key)
    on_cuda = device.type == "cuda"
    lines, fallback = [], False
    for op, name in ops.items():
        if enabled and on_cuda and globals()[name] is not None:
            lines.append(f"{op}: {name} kernel")
            continue
        fallback = True
        why = (
            "use_kernels=False"
            if not enabled
            else f"{name} unavailable: {IMPORT_ERRORS.get(name, '?')}"
            if on_cuda
            else "no CUDA device"
        )
        lines.append(f"{op}: PyTorch ({why})")
    if fallback:
        some = "every" if all("PyTorch" in line for line in lines) else "some"
        log.warning("%s on %s runs %s op in PyTorch: %s", backbone, device.type, some, "; ".join(lines))
    else:
        log.info("%s on %s: %s", backbone, device.type, "; ".join(lines))

"""Where the work runs: the CPU set-up, device meshes, and the on-disk compile cache.

Importing finlstm changes nothing in your process. A program that wants the course's CPU
set-up asks for it with `use_cpu_cores()` before its first JAX computation, as every lesson
does in its first cell. Every mesh in the library comes from `make_mesh`.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import jax
import numpy as np
from jax.sharding import Mesh

__all__ = [
    "DATA",
    "MIN_ROWS_PER_DEVICE",
    "MODELS",
    "batch_mesh",
    "cpu_cores",
    "enable_compilation_cache",
    "make_mesh",
    "models_mesh",
    "use_cpu_cores",
]

MODELS, DATA = "models", "data"  # the two axes of every mesh: models side by side, batch split

# The smallest share of a batch that a device gets: below it, a core's products are too
# small to pay for the sum across devices (measured on 2 cores only; see docs/performance.md).
MIN_ROWS_PER_DEVICE = 32

_DEVICES_FLAG = "xla_force_host_platform_device_count"
# Off: XLA's concurrency-optimised CPU scheduler deadlocked nested `lax.scan` training loops
# and was slower for the course model (see docs/performance.md).
_SCHEDULER_FLAG = "xla_cpu_enable_concurrency_optimized_scheduler"


def cpu_cores() -> int:
    """The cores this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def use_cpu_cores(devices: int | None = None) -> None:
    """Make each CPU core an XLA device, so that `finlstm.train` can split a batch over them.

    XLA's CPU backend runs each step of a `jax.lax.scan` on one core, but two devices run at
    once. Call this before the first JAX computation (JAX fixes its devices when its backend
    starts). It sets two XLA flags, unless already in XLA_FLAGS (a flag you set wins): one
    CPU device per core (or `devices` of them), and the concurrency-optimised scheduler off.
    On glibc it also keeps large freed blocks for reuse (see `_reuse_freed_memory`). GPU
    machines are not affected: their default backend is the GPU.

    Raises RuntimeError when JAX's backend has already started with another number of CPU
    devices; calling it again after the start with the same number does nothing.
    """
    wanted = cpu_cores() if devices is None else devices
    if wanted < 1:
        raise ValueError(f"devices must be >= 1, got {devices}")
    if _backend_started():
        have = len(jax.devices("cpu"))
        if have != wanted:
            raise RuntimeError(
                f"use_cpu_cores asks for {wanted} CPU device(s), but JAX has already started "
                f"with {have}; call it before the first JAX computation (in a notebook: "
                f"restart the kernel and run the first cell first)"
            )
        return
    _add_xla_flag(_DEVICES_FLAG, wanted)
    _add_xla_flag(_SCHEDULER_FLAG, "false")
    _reuse_freed_memory()


def _backend_started() -> bool:
    """Whether JAX has started a backend in this process (and so fixed its devices)."""
    from jax._src import xla_bridge

    return xla_bridge.backends_are_initialized()


def _add_xla_flag(name: str, value) -> None:
    """Append --name=value to XLA_FLAGS unless the flag is already there."""
    if name not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --{name}={value}".strip()


def _reuse_freed_memory() -> None:
    """On glibc (Linux): serve large blocks from the heap and keep freed ones for reuse.

    XLA's CPU runtime allocates a scratch buffer per run of a compiled program; glibc hands
    blocks above its mmap threshold straight from the kernel and returns them on free, so
    every train step would touch fresh, zero-filled pages (see docs/performance.md). Any
    MALLOC_* variable of your own leaves glibc as you configured it.
    """
    if any(name.startswith("MALLOC_") for name in os.environ):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018  (only glibc has it)
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_max = -1, -4  # mallopt parameters, from <malloc.h>
    libc.mallopt(m_mmap_max, 0)
    libc.mallopt(m_trim_threshold, 512 << 20)


def make_mesh(data: int | None = None, models: int = 1, devices=None) -> Mesh:
    """A (models, data) mesh over the first models * data devices.

    data: devices that split each batch (default: all visible devices / models).
    models: devices that split the models axis.
    """
    devices = list(jax.devices() if devices is None else devices)
    if models < 1:
        raise ValueError(f"models must be >= 1, got {models}")
    data = len(devices) // models if data is None else data
    if data < 1 or models * data > len(devices):
        raise ValueError(
            f"a mesh of {models} x {data} devices needs {models * data}; "
            f"{len(devices)} are visible ({jax.default_backend()})"
        )
    grid = np.array(devices[: models * data], dtype=object).reshape(models, data)
    return Mesh(grid, (MODELS, DATA))


def _most_devices_dividing(n: int, most: int) -> int:
    """The largest count of local devices, at most `most`, that divides n evenly."""
    most = max(1, min(most, len(jax.local_devices())))
    return max(k for k in range(1, most + 1) if n % k == 0)


def batch_mesh(batch_size: int) -> Mesh | None:
    """The mesh whose "data" axis shares every batch of `batch_size` rows, or None for one
    device: the most local devices that divide batch_size and leave each at least
    MIN_ROWS_PER_DEVICE rows.

    A split batch gives the same numbers as one device up to the order of floating-point
    sums: dropout masks are drawn for the whole batch, each device computes the gradient of
    its rows, and XLA adds the devices' shares (an all-reduce).
    """
    count = _most_devices_dividing(batch_size, batch_size // MIN_ROWS_PER_DEVICE)
    return None if count == 1 else make_mesh(data=count, devices=jax.local_devices())


def models_mesh(n_models: int) -> Mesh | None:
    """The mesh whose "models" axis splits n_models models over the most local devices that
    divide n_models evenly, or None for one device."""
    count = _most_devices_dividing(n_models, n_models)
    return None if count == 1 else make_mesh(data=1, models=count, devices=jax.local_devices())


def enable_compilation_cache(path: str | Path | None = None) -> Path | None:
    """Keep compiled programs on disk, so that a program already compiled once, in this
    process or an earlier one, is loaded instead of compiled again.

    Location: `path`, else `$FINLSTM_JAX_CACHE`, else ~/.cache/finlstm/jax. Setting
    FINLSTM_JAX_CACHE to "off" turns it off (returns None). Every program is stored, however
    quick its compile, so that a re-run compiles nothing. Call it before the first
    compilation.
    """
    setting = os.environ.get("FINLSTM_JAX_CACHE", "")
    if path is None and setting.lower() == "off":
        return None
    default = Path.home() / ".cache" / "finlstm" / "jax"
    path = Path(path or setting or default)
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    return path

"""finlstm: the small, tested library behind the course's lessons."""

import ctypes
import os

__version__ = "0.1.0"


def _add_xla_flag(name: str, value) -> None:
    """Append --name=value to XLA_FLAGS unless the flag is already there: a flag you set
    yourself wins. XLA reads XLA_FLAGS when JAX starts its CPU backend, so this applies
    when finlstm is imported before the first computation, as the lessons do."""
    if name not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --{name}={value}".strip()


def _cpu_cores() -> int:
    """The cores this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# One XLA device per CPU core. XLA's CPU backend runs each step of a `lax.scan` on one
# core: at batch 64 the LSTM's products are too small for it to split them over threads,
# and two independent loops in one program still run one after the other. Two devices do
# run at once, so `finlstm.train` splits each batch over them (data parallelism, the same
# program the lesson on scaling out runs over 8 devices). On 2 cores the course model's
# train step (batch 64, 5 features) took 14.6-15.0 ms with the batch split over two
# devices against 21.6-22.3 ms on one. GPU machines are not affected: their default
# backend is the GPU.
_add_xla_flag("xla_force_host_platform_device_count", _cpu_cores())

# Work around a deadlock in XLA's CPU runtime (jaxlib 0.10.2): with its
# concurrency-optimised scheduler, a jitted `vmap` of nested `lax.scan` training loops
# (`finlstm.train.fit_many` as it ran on a CPU until it trained each core's models in
# turn) hung with every thread idle in about one run out of three
# (measured: 7 hangs in 22 runs; 0 in 35 with the scheduler off). It is also faster here:
# the course model's train step (batch 64, 5 features, 2 cores) took 22 ms with it off
# and 29.5 ms with it on.
_add_xla_flag("xla_cpu_enable_concurrency_optimized_scheduler", "false")


def _reuse_freed_memory() -> None:
    """On glibc (Linux): serve large blocks from the heap and keep freed ones for reuse.

    XLA's CPU runtime allocates one scratch buffer per run of a compiled program: 58 MB
    for the course model's train step at batch 256 with half the batch on each of 2
    devices. glibc hands any block over 32 MB straight from the kernel (mmap) and returns
    it on free, so every step touched fresh pages, which the kernel zero-fills one 4 KiB
    page at a time: 28,400 page faults a step, 92 ms a step; with large blocks from the
    heap and kept when freed (up to 512 MB at its top), 9 page faults and 65 ms. Setting
    any MALLOC_* variable of your own leaves glibc as you configured it.
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


_reuse_freed_memory()

"""What importing finlstm does to the process: two XLA flags (one XLA device per CPU core,
so that `finlstm.train` can split a batch over the cores; a workaround for a CPU deadlock)
and, on glibc, large freed blocks kept for reuse. A setting the reader made wins."""

import os
import subprocess
import sys

import pytest

SCHEDULER = "xla_cpu_enable_concurrency_optimized_scheduler"
DEVICES = "xla_force_host_platform_device_count"
CORES = len(os.sched_getaffinity(0))


def after_import(
    xla_flags: str | None, code: str, prefix: tuple[str, ...] = (), **extra_env: str
) -> str:
    """What `code` prints in a fresh Python process that imported finlstm first."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS" and not k.startswith("MALLOC_")}
    env.update(extra_env)
    if xla_flags is not None:
        env["XLA_FLAGS"] = xla_flags
    done = subprocess.run(
        [*prefix, sys.executable, "-c", f"import os, finlstm; {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def xla_flags_after_import(xla_flags: str | None) -> str:
    return after_import(xla_flags, "print(os.environ.get('XLA_FLAGS', ''))")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, f"--{DEVICES}={CORES} --{SCHEDULER}=false"),
        (f"--{DEVICES}=8", f"--{DEVICES}=8 --{SCHEDULER}=false"),  # the reader's own choice
        (f"--{SCHEDULER}=true", f"--{SCHEDULER}=true --{DEVICES}={CORES}"),
    ],
)
def test_import_sets_the_flags_the_reader_has_not_set(before, after):
    assert xla_flags_after_import(before) == after


def test_jax_sees_one_cpu_device_per_core_the_process_may_use():
    count = "import jax; print(jax.local_device_count())"
    assert after_import(None, count) == str(CORES)
    if CORES > 1:  # pinned to one core, the process gets one device and splits nothing
        assert after_import(None, count, prefix=("taskset", "-c", "0")) == "1"


FAULTS = (  # as XLA's runtime does: malloc a 64 MB block, write every page, free it
    "import ctypes, resource\n"
    "libc = ctypes.CDLL('libc.so.6')\n"
    "libc.malloc.restype = ctypes.c_void_p\n"
    "libc.free.argtypes = [ctypes.c_void_p]\n"
    "def touch():\n"
    "    block = libc.malloc(64 << 20)\n"
    "    ctypes.memset(block, 1, 64 << 20)\n"
    "    libc.free(block)\n"
    "touch()\n"
    "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
    "touch()\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_a_freed_large_block_is_reused_without_new_page_faults():
    # 64 MB are 16,384 pages of 4 KiB: a block fresh from the kernel faults on each.
    assert int(after_import(None, FAULTS)) < 500
    thp = "/sys/kernel/mm/transparent_hugepage/enabled"
    if not os.path.exists(thp) or "[always]" not in open(thp).read():  # 2 MB pages fault less
        # Any MALLOC_* variable of the reader's own: glibc stays as configured.
        assert int(after_import(None, FAULTS, MALLOC_ARENA_MAX="8")) > 10_000

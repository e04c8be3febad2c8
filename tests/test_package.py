"""Importing finlstm changes nothing in the process; `finlstm.devices.use_cpu_cores()` is the
explicit CPU set-up: one XLA device per core, the concurrency-optimised scheduler off, and on
glibc large freed blocks kept for reuse. A setting the reader made wins."""

import os
import re
import subprocess
import sys

import pytest

SCHEDULER = "xla_cpu_enable_concurrency_optimized_scheduler"
DEVICES = "xla_force_host_platform_device_count"
CORES = len(os.sched_getaffinity(0))
SETUP = "from finlstm.devices import use_cpu_cores; use_cpu_cores(); "


def fresh_python(
    code: str, xla_flags: str | None = None, prefix: tuple[str, ...] = (), **extra_env: str
) -> str:
    """What `code` prints in a fresh Python process (no XLA_FLAGS or MALLOC_* of ours)."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS" and not k.startswith("MALLOC_")}
    env.update(extra_env)
    if xla_flags is not None:
        env["XLA_FLAGS"] = xla_flags
    done = subprocess.run(
        [*prefix, sys.executable, "-c", f"import os; {code}"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_import_leaves_jax_with_its_own_default_devices():
    plain = fresh_python("import jax; print(jax.devices())")
    assert fresh_python("import finlstm, jax; print(jax.devices())") == plain
    assert plain == "[CpuDevice(id=0)]"  # JAX's default: one CPU device, whatever the cores


def test_importing_every_module_sets_no_flag_and_no_allocator_option():
    modules = "import finlstm; from finlstm import *  # noqa\n"
    code = f"{modules}print(repr(os.environ.get('XLA_FLAGS')), jax.local_device_count())"
    assert fresh_python(f"import jax; {code}") == "None 1"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, f"--{DEVICES}={CORES} --{SCHEDULER}=false"),
        (f"--{DEVICES}=8", f"--{DEVICES}=8 --{SCHEDULER}=false"),  # the reader's own choice
        (f"--{SCHEDULER}=true", f"--{SCHEDULER}=true --{DEVICES}={CORES}"),
    ],
)
def test_use_cpu_cores_sets_the_flags_the_reader_has_not_set(before, after):
    assert fresh_python(f"{SETUP}print(os.environ.get('XLA_FLAGS', ''))", before) == after


def test_use_cpu_cores_gives_one_cpu_device_per_core_the_process_may_use():
    count = f"{SETUP}import jax; print(jax.local_device_count())"
    assert fresh_python(count) == str(CORES)
    assert fresh_python(count.replace("use_cpu_cores()", "use_cpu_cores(3)")) == "3"
    if CORES > 1:  # pinned to one core, the process gets one device and splits nothing
        assert fresh_python(count, prefix=("taskset", "-c", "0")) == "1"


def test_use_cpu_cores_after_jax_started_fails_clearly_unless_nothing_changes():
    late = (
        "import jax; jax.numpy.zeros(1); from finlstm.devices import use_cpu_cores\n"
        "use_cpu_cores(1)  # what JAX already has: nothing to do\n"
        "try:\n"
        "    use_cpu_cores(2)\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
    )
    message = fresh_python(late)
    assert "asks for 2 CPU device(s), but JAX has already started with 1" in message
    assert "before the first JAX computation" in message


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
    assert int(fresh_python(SETUP + FAULTS)) < 500
    thp = "/sys/kernel/mm/transparent_hugepage/enabled"
    if not os.path.exists(thp) or "[always]" not in open(thp).read():  # 2 MB pages fault less
        # Without the call (a plain import), and with a MALLOC_* variable of the reader's own,
        # glibc stays as configured.
        assert int(fresh_python("import finlstm\n" + FAULTS)) > 10_000
        assert int(fresh_python(SETUP + FAULTS, MALLOC_ARENA_MAX="8")) > 10_000


def test_readme_design_and_contributing_name_every_module_and_only_those():
    from pathlib import Path

    import finlstm

    root = Path(__file__).resolve().parents[1]
    modules = {p.stem for p in (root / "src" / "finlstm").glob("*.py")} - {"__init__"}
    assert set(finlstm.__all__) == modules
    readme = set(re.findall(r"^\| `finlstm\.(\w+)`", (root / "README.md").read_text(), re.M))
    design = set(re.findall(r"^    (\w+)\.py  ", (root / "DESIGN.md").read_text(), re.M))
    line = next(
        line
        for line in (root / "CONTRIBUTING.md").read_text().splitlines()
        if line.startswith("| `src/finlstm/`")
    )
    contributing = set(re.findall(r"`(\w+)`", line.split("one job per module:")[1]))
    assert readme == modules
    assert design == modules
    assert contributing == modules


def test_every_module_declares_its_public_api():
    import importlib

    import finlstm

    for name in finlstm.__all__:
        module = importlib.import_module(f"finlstm.{name}")
        assert hasattr(module, "__all__"), f"finlstm.{name} has no __all__"
        missing = [item for item in module.__all__ if not hasattr(module, item)]
        assert not missing, f"finlstm.{name}.__all__ names what it lacks: {missing}"

"""What importing finlstm does to the process: one XLA flag, a workaround for a CPU deadlock."""

import os
import subprocess
import sys

import pytest

FLAG = "xla_cpu_enable_concurrency_optimized_scheduler"


def xla_flags_after_import(xla_flags: str | None) -> str:
    """XLA_FLAGS as a fresh Python process sees it after `import finlstm`."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    if xla_flags is not None:
        env["XLA_FLAGS"] = xla_flags
    code = "import os, finlstm; print(os.environ.get('XLA_FLAGS', ''))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, f"--{FLAG}=false"),
        (
            "--xla_force_host_platform_device_count=8",
            f"--xla_force_host_platform_device_count=8 --{FLAG}=false",
        ),
        (f"--{FLAG}=true", f"--{FLAG}=true"),  # the reader's own choice wins
    ],
)
def test_import_turns_off_the_concurrency_scheduler_unless_told_otherwise(before, after):
    assert xla_flags_after_import(before) == after

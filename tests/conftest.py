"""Shared test helpers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from finlstm.devices import use_cpu_cores

# The tests train as the lessons do: one XLA device per CPU core, asked for before the first
# JAX computation (importing finlstm changes nothing by itself).
use_cpu_cores()


def _run_on_devices(code: str, devices: int) -> dict:
    """Run `code` in a fresh Python process whose JAX has `devices` CPU devices (JAX fixes
    its device count when it starts) and return the JSON object on its last output line."""
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def run_on_devices():
    """`run_on_devices(code, devices) -> dict`: see `_run_on_devices`."""
    return _run_on_devices

"""How long a process has spent compiling JAX programs, read from JAX's own timings.

The lesson executor runs `start()` in each lesson's kernel before the first cell and reads
`seconds()` after the last one, both outside the notebook (see `course_site.lessons`), so a
lesson's table row can split compiling from computing without a cell of its own.

Compiling here is what `jax.jit` does before a program first runs: tracing the Python
function to a jaxpr, lowering it to StableHLO, and XLA's compilation (or, with the
persistent compilation cache, reading the compiled program back).
"""

from __future__ import annotations

import threading

# The events JAX times (jax._src.dispatch), each recorded with its start and end.
COMPILE_EVENTS = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "/jax/core/compile/backend_compile_duration",
)

_spans: list[tuple[float, float]] = []
_lock = threading.Lock()
_started = False


def _record(event: str, start: float, end: float, **_metadata) -> None:
    if event in COMPILE_EVENTS:
        with _lock:
            _spans.append((start, end))


def start() -> None:
    """Begin recording this process's compile spans (imports JAX; calling it again does
    nothing). JAX's backend is not started, so a lesson still chooses its devices."""
    global _started
    if _started:
        return
    from jax import monitoring

    monitoring.register_event_time_span_listener(_record)
    _started = True


def covered_seconds(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by the union of (start, end) spans: a trace nested in another
    trace, or compiles on two threads at once, count once."""
    total, reach = 0.0, float("-inf")
    for begin, end in sorted(spans):
        if end <= reach:
            continue
        total += end - max(begin, reach)
        reach = end
    return total


def seconds() -> float:
    """Seconds spent compiling since `start()`."""
    with _lock:
        return covered_seconds(list(_spans))

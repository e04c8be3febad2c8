"""The lesson executor gives each kernel a reader's environment, and times its compiling
without leaving a trace in the notebook."""

import jupytext

from course_site.compile_timer import covered_seconds
from course_site.lessons import kernel_environment, merge_streams


def test_a_kernel_does_not_inherit_the_builders_device_flags():
    builder = {
        "HOME": "/root",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2 --xla_dump_to=/tmp/x "
        "--xla_cpu_enable_concurrency_optimized_scheduler=false",
    }
    env = kernel_environment(builder)
    assert env["XLA_FLAGS"] == "--xla_dump_to=/tmp/x"
    assert env["HOME"] == "/root"
    assert builder["XLA_FLAGS"].startswith("--xla_force_host")  # the caller's dict untouched
    assert "XLA_FLAGS" not in kernel_environment(
        {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    )


TINY_LESSON = """# %%
import jax
import jax.numpy as jnp

print(float(jax.jit(lambda x: jnp.sin(x) * 2)(1.0)))

# %% [markdown]
# The names a reader's notebook holds:

# %%
print(sorted(name for name in globals() if not name.startswith("_")))
"""


def test_the_executor_reports_compile_time_and_leaves_no_trace_in_the_notebook(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    from course_site.lessons import execute_timed

    source = tmp_path / "m1_tiny.py"
    source.write_text(TINY_LESSON)
    timed, compile_s = execute_timed(source)
    assert compile_s is not None and compile_s > 0
    plain = jupytext.read(source, fmt="py:percent")
    plain.metadata["kernelspec"] = timed.metadata["kernelspec"]
    plain.metadata.pop("jupytext", None)
    for mine, theirs in zip(plain.cells, timed.cells, strict=True):
        mine.id = theirs.id  # jupytext draws new cell ids on every read
    NotebookClient(
        plain,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    assert [c.execution_count for c in timed.cells if c.cell_type == "code"] == [1, 2]
    assert "jax" in timed.cells[-1].outputs[0]["text"]
    assert nbformat.writes(timed) == nbformat.writes(merge_streams(plain))


def test_compile_spans_count_once_where_they_overlap():
    assert covered_seconds([]) == 0
    assert covered_seconds([(0.0, 2.0), (0.5, 1.0), (1.5, 3.0), (5.0, 6.0)]) == 4.0


def test_a_kernel_without_the_timer_still_executes_the_lesson(tmp_path, monkeypatch):
    from course_site import lessons

    monkeypatch.setattr(lessons, "START_TIMER", "raise ImportError('no compile timer here')")
    source = tmp_path / "m1_tiny.py"
    source.write_text(TINY_LESSON)
    notebook, compile_s = lessons.execute_timed(source)
    assert compile_s is None
    assert notebook.cells[0].outputs[0]["text"].startswith("1.68")

"""The benchmark's reporting (bench/): the table the "How fast is it?" page includes, and the
parsing of the course timings. The timings themselves are measured by `make bench`, never
by the tests."""

import pytest

from bench import course, first_epoch, lessons_as_scripts, report


def row(name, step_ms):
    return {
        "implementation": name,
        "features": 5,
        "batch": 64,
        "step_ms": step_ms,
        "step_ratio_to_finlstm": step_ms / 20.0,
        "compile_s": 1.5,
        "forward_windows_per_s": 1000.0,
        "gflops": 100.0,
        "share_of_peak": 0.2,
    }


@pytest.fixture
def summary():
    return {
        "machine": {
            "cores": 2,
            "cpu": "x86_64",
            "jax": "0.0",
            "jax_backend": "cpu",
            "torch_threads": 2,
            "matmul_peak_gflops": 500.0,
        },
        "ratio_torch_over_finlstm": 0.75,
        "results": [row("finlstm", 20.0), row("pytorch nn.LSTM", 15.0)],
        "many_models": {
            "models": 16,
            "features": 5,
            "batch": 64,
            "one_model_step_ms": 20.0,
            "all_models_step_ms": 300.0,
            "sequential_step_ms": 320.0,
            "cost_in_single_models": 15.0,
        },
        "course": {
            "lessons_cold_s": 240.0,
            "lessons": {"m1_vanishing_gradient": 65.0, "m2_inside_the_cell": 18.0},
            "rebuild_unchanged_s": 3.7,
            "lessons_executed_in_rebuild": 0,
        },
    }


def test_table_has_a_row_per_measurement_and_the_summaries(summary):
    table = report.markdown_table(summary)
    rows = [line for line in table.splitlines() if line.startswith("| finlstm")]
    assert len(rows) == 1 and "| 20.0 | 1.00 |" in rows[0]
    assert "| pytorch nn.LSTM | 5 | 64 | 15.0 | 0.75 |" in table
    assert "**0.75**" in table
    assert "**16 models at once**" in table and "**15.0x**" in table
    assert "the whole course" not in table  # bench/results/course.md has it


def test_course_table_has_the_cold_build_and_the_unchanged_rebuild(summary):
    table = "\n".join(report.course_table(summary["course"]))
    assert "| every lesson executed from scratch (2 lessons) | 240 |" in table
    assert "(0 lessons re-executed) | 3.7 |" in table
    page = course.markdown({"machine": {"cores": 2, "cpu": "x86_64", "jax": "0.0"}, **summary})
    assert page.startswith("Measured by `python -m bench.course`") and table in page


def test_lesson_times_are_read_from_the_executor_log():
    log = (
        "lessons: executing m1_vanishing_gradient.py ...\n"
        "[IPKernelApp] WARNING | Kernel is running over TCP\n"
        "lessons: m1_vanishing_gradient.py done in 64.9 s\n"
        "lessons: m4_backtest.py done in 8.0 s\n"
    )
    assert course.lesson_times(log) == {"m1_vanishing_gradient": 64.9, "m4_backtest": 8.0}


def test_table_names_the_gpu_and_pytorch_version_for_a_gpu_run(summary):
    summary["machine"].update(jax_backend="gpu", device="NVIDIA H200", torch="2.11.0+cu130")
    table = report.markdown_table(summary)
    assert "on one NVIDIA H200 GPU, JAX 0.0, PyTorch 2.11.0+cu130 with cuDNN" in table
    assert "CPU cores (x86_64)" not in table


def test_lessons_as_scripts_reports_status_and_backend(tmp_path):
    runner = lessons_as_scripts
    good = tmp_path / "good.py"
    good.write_text("import jax.numpy as jnp\nprint('sum', float(jnp.ones(3).sum()))\n")
    bad = tmp_path / "bad.py"
    bad.write_text("raise ValueError('lesson broke in cell 2')\n")
    ok = runner.run_lesson(good, timeout_s=120)
    assert ok["status"] == 0 and "sum 3.0" in ok["output"]
    assert ok["backend"].split()[0] in {"cpu", "gpu", "tpu"}
    broken = runner.run_lesson(bad, timeout_s=120)
    assert broken["status"] != 0 and broken["backend"] is None
    assert "lesson broke in cell 2" in broken["output"]


def test_lessons_as_scripts_names_a_missing_lesson():
    runner = lessons_as_scripts
    assert [p.stem for p in runner.lesson_files(["m2_inside_the_cell"])] == ["m2_inside_the_cell"]
    assert "_template" not in [p.stem for p in runner.lesson_files([])]
    with pytest.raises(SystemExit, match=r"no such lesson: lessons_src/m9_nothing\.py"):
        runner.lesson_files(["m9_nothing"])


def test_lesson_compile_times_are_read_from_the_executor_log():
    log = (
        "lessons: m1_vanishing_gradient.py done in 64.9 s (compile 21.5 s)\n"
        "lessons: m4_backtest.py done in 8.0 s\n"
    )
    assert course.lesson_times(log) == {"m1_vanishing_gradient": 64.9, "m4_backtest": 8.0}
    assert course.compile_times(log) == {"m1_vanishing_gradient": 21.5}


def test_course_table_splits_compile_from_compute(summary):
    summary["course"]["lessons_compile"] = {"m1_vanishing_gradient": 30.4}
    table = "\n".join(report.course_table(summary["course"]))
    assert "| the whole course | seconds | of which compiling |" in table
    assert "| every lesson executed from scratch (2 lessons) | 240 | 30 |" in table
    assert "| &nbsp;&nbsp;m1_vanishing_gradient | 65 | 30 |" in table
    assert "| &nbsp;&nbsp;m2_inside_the_cell | 18 | not measured |" in table


def test_course_table_shows_lessons_at_once_and_with_the_compile_cache(summary):
    summary["course"].update(
        jobs=2,
        lessons_cold_at_once_s=112.4,
        lessons_warm_at_once_s=61.6,
        lessons_warm_compile={"m1_vanishing_gradient": 4.2, "m2_inside_the_cell": 1.1},
    )
    table = "\n".join(report.course_table(summary["course"]))
    assert "| every lesson executed from scratch one at a time (2 lessons) | 240 |" in table
    assert "| every lesson from scratch, 2 at a time (`make lessons`) | 112 | |" in table
    assert "| the same again, compiled programs read from the disk cache | 62 | 5 |" in table
    assert "112 s 2 at a time, 62 s with the compile cache filled" in report.course_line(
        summary["course"]
    )


def first_epoch_runs(first_cold, first_warm, steady, script_cold, script_warm):
    def result(first):
        return {"setup_s": 1.0, "first_epoch_s": first, "again_s": 3.0, "steady_epoch_s": steady}

    return {
        "cold": [result(first_cold), result(first_cold + 4)],
        "warm": [result(first_warm)],
        "script_cold_s": [script_cold],
        "script_warm_s": [script_warm],
    }


def test_first_epoch_summary_takes_medians_and_the_issues_ratios():
    summary = first_epoch.summarise(
        {
            "finlstm": first_epoch_runs(10.0, 4.0, 2.0, 30.0, 20.0),
            "pytorch nn.LSTM": first_epoch_runs(5.0, 5.0, 5.0, 24.0, 24.0),
        }
    )
    ours = summary["implementations"]["finlstm"]
    assert ours["first_epoch_cold_s"] == 12.0  # the median of 10 and 14
    assert ours["cold_over_steady"] == 6.0 and ours["warm_over_steady"] == 2.0
    assert summary["script_ratio_torch_over_finlstm"] == {"cold": 0.8, "warm": 1.2}
    alone = first_epoch.summarise({"finlstm": first_epoch_runs(10.0, 4.0, 2.0, 30.0, 20.0)})
    assert "script_ratio_torch_over_finlstm" not in alone


def test_first_epoch_table_has_a_row_per_implementation_and_says_when_quick():
    summary = {
        "machine": {"cores": 2, "cpu": "x86_64", "jax": "0.0", "flax": "0.1", "keras": "3.0"},
        "settings": {
            "repeats": 3,
            "quick": False,
            "batch": 64,
            "script_epochs": 5,
            "train_windows": 3000,
            "val_windows": 600,
        },
        **first_epoch.summarise(
            {
                "finlstm": first_epoch_runs(10.0, 4.0, 2.0, 30.0, 20.0),
                "pytorch nn.LSTM": first_epoch_runs(5.0, 5.0, 5.0, 24.0, 24.0),
            }
        ),
    }
    table = report.first_epoch_table(summary)
    assert "| finlstm | 12.00 | 4.00 | 3.00 | 2.00 | 6.0x | 2.0x |" in table
    assert "| pytorch nn.LSTM | 24.0 | 24.0 |" in table
    assert "| pytorch nn.LSTM | " in table and "median of 3 rounds" in table
    assert "**0.80** with an empty cache, **1.20**" in table
    assert "--quick" not in table and "busy" not in table
    summary["machine"]["load_average_at_start"] = 3.0
    assert "busy with other work (load average 3.0 at the start on 2 cores)" in (
        report.first_epoch_table(summary)
    )
    summary["settings"].update(quick=True, repeats=1)
    assert "A `--quick` run" in report.first_epoch_table(summary)


def test_a_worker_result_is_read_from_its_output():
    output = 'a warning\nfirst_epoch result: {"first_epoch_s": 1.5}\n'
    assert first_epoch.parse_result(output) == {"first_epoch_s": 1.5}
    with pytest.raises(ValueError, match="no line starting"):
        first_epoch.parse_result("Traceback ...\n")


def test_the_pytorch_process_never_imports_jax():
    """A PyTorch user's process never loads JAX, so its whole-process time carries none."""
    pytest.importorskip("torch")
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from bench.first_epoch import pytorch_trainer\n"
        "rng = np.random.default_rng(0)\n"
        "data = {k: rng.random(s, dtype=np.float32) for k, s in (('x_train', (70, 60, 1)),"
        " ('y_train', (70,)), ('x_val', (8, 60, 1)), ('y_val', (8,)))}\n"
        "pytorch_trainer(data)\n"
        "print('jax imported:', 'jax' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=first_epoch.ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "jax imported: False" in done.stdout

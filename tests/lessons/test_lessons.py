"""The lessons execute, repeat themselves exactly, and say what their own numbers say.

Facts are read from the executed notebooks' printed outputs and checked against each other
(the LSTM's success rate against the RNN's, a ratio against its parts), never against
numbers copied into this file.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "lessons_hook", ROOT / "docs" / "hooks" / "lessons.py"
)
lessons = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lessons)


@pytest.fixture(scope="session")
def executed() -> dict[str, nbformat.NotebookNode]:
    """Every lesson executed (or taken from the cache when nothing it depends on changed)."""
    paths = lessons.build(log=lambda message: None)
    return {path.stem: nbformat.read(path, as_version=4) for path in paths}


def text_of(notebook) -> str:
    """All printed output of a notebook, in order."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif "text/plain" in output.get("data", {}):
                parts.append(output.data["text/plain"])
    return "\n".join(parts)


def number_after(label: str, text: str) -> float:
    match = re.search(re.escape(label) + r"\s*[:=]?\s*([-+]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?)", text)
    assert match, f"no number after {label!r} in the lesson output"
    return float(match.group(1).replace(",", ""))


def test_every_lesson_source_was_executed(executed):
    assert set(executed) == {p.stem for p in lessons.lesson_sources()}
    assert len(executed) >= 3


def test_every_lesson_shows_at_least_one_figure_in_light_and_dark(executed):
    for name, notebook in executed.items():
        html = [
            out.data["text/html"]
            for cell in notebook.cells
            for out in cell.get("outputs", [])
            if "text/html" in out.get("data", {})
        ]
        figures = [h for h in html if "finlstm-figure" in h]
        assert figures, f"{name} shows no figure"
        assert all("finlstm-light" in h and "finlstm-dark" in h for h in figures)


def _outputs_without_timing(notebook) -> list:
    return [
        cell.get("outputs", [])
        for cell in notebook.cells
        if cell.cell_type == "code" and "timing" not in cell.metadata.get("tags", [])
    ]


def test_a_second_run_gives_identical_outputs(executed, tmp_path, monkeypatch):
    """Determinism: every lesson re-executed from scratch prints and draws the same things
    (cells tagged `timing` measure the machine and are exempt)."""
    monkeypatch.setattr(lessons, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(lessons, "OUTPUT", tmp_path / "out")
    for path in lessons.build(force=True, log=lambda message: None):
        again = nbformat.read(path, as_version=4)
        first = executed[path.stem]
        assert _outputs_without_timing(again) == _outputs_without_timing(first), path.stem


def test_m1_lstm_succeeds_at_least_as_often_as_the_rnn_at_the_longest_length(executed):
    text = text_of(executed["m1_vanishing_gradient"])
    rates = re.search(r"success rate \(MSE < 0\.01\): (\{.*\})", text)
    assert rates, "the success-rate line is missing"
    success = eval(rates.group(1), {})  # a dict literal printed by the lesson
    longest = max(success["LSTM"])
    assert success["LSTM"][longest] >= success["RNN"][longest]
    assert "baseline" in text and "0.1667" in text  # the 1/6 baseline printed beside them


def test_m1_trained_rnn_gradient_vanishes_more_than_the_lstms(executed):
    text = text_of(executed["m1_vanishing_gradient"])

    def far_gradient(name: str) -> float:
        match = re.search(name + r"\s+after training .*k=99 ([\d.e+-]+)", text)
        assert match, f"no after-training gradient line for {name}"
        return float(match.group(1))

    assert far_gradient("LSTM") > far_gradient("RNN")


def test_m2_cell_matches_flax_and_finite_differences(executed):
    text = text_of(executed["m2_inside_the_cell"])
    assert number_after("largest |h difference|", text) < 1e-5
    assert number_after("largest |c difference|", text) < 1e-5
    assert number_after("relative difference", text) < 1e-6
    bias0 = re.search(r"forget bias 0: .*k=50 ([\d.e+-]+)", text)
    bias1 = re.search(r"forget bias 1: .*k=50 ([\d.e+-]+)", text)
    assert float(bias1.group(1)) > float(bias0.group(1))


def test_m3_leaky_scaler_puts_test_values_outside_unit_interval_only_when_honest(executed):
    text = text_of(executed["m3_price_model"])
    honest = re.search(r"train-only scaler: test values from ([-\d.]+) to ([-\d.]+)", text)
    leaky = re.search(r"scaler fitted on all days: test values from ([-\d.]+) to ([-\d.]+)", text)
    assert honest and leaky
    assert float(honest.group(2)) > 1.0  # the honest scaler lets the future leave [0, 1]
    assert 0.0 <= float(leaky.group(1)) and float(leaky.group(2)) <= 1.0


def test_m3_reports_the_persistence_ratio_consistently(executed):
    text = text_of(executed["m3_price_model"])
    row = re.search(r"RMSE \(index points\)\s+([\d.]+)\s+([\d.]+)", text)
    assert row, "the RMSE row with the persistence baseline is missing"
    ratio = number_after("RMSE / persistence RMSE", text)
    assert ratio == pytest.approx(float(row.group(1)) / float(row.group(2)), abs=2e-3)
    accuracy = re.search(r"directional accuracy\s+([\d.]+)\s+([\d.]+)", text)
    assert accuracy and 0.5 <= float(accuracy.group(2)) <= 1.0  # majority rate beside it


def test_a_broken_lesson_fails_with_its_file_cell_and_error(tmp_path, monkeypatch):
    broken = tmp_path / "lessons_src"
    broken.mkdir()
    (broken / "m9_broken.py").write_text(
        "# %% [markdown]\n# # A broken lesson\n\n# %%\nx = 1\n\n# %%\nprint(undefined_name)\n"
    )
    monkeypatch.setattr(lessons, "ROOT", tmp_path)
    monkeypatch.setattr(lessons, "SOURCES", broken)
    monkeypatch.setattr(lessons, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(lessons, "OUTPUT", tmp_path / "out")
    with pytest.raises(lessons.LessonError) as error:
        lessons.build(log=lambda message: None)
    message = str(error.value)
    assert "lessons_src/m9_broken.py" in message
    assert "cell 3 (line 7 of the file)" in message
    assert "NameError" in message and "undefined_name" in message
    assert not list((tmp_path / "cache").glob("*.ipynb")), "a failed lesson must not be cached"
    shutil.rmtree(tmp_path / "cache", ignore_errors=True)


def test_m3_direction_is_tested_against_the_majority_rate(executed):
    from scipy.stats import binomtest

    text = text_of(executed["m3_price_model"])
    rows = re.findall(r"directional accuracy\s+([\d.]+)\s+([\d.]+)", text)
    assert len(rows) == 2, "expected directional accuracy rows for prices and for returns"
    accuracy, majority = (float(v) for v in rows[-1])
    line = re.search(r"p-value of (\d+) hits in (\d+) days at the majority rate: ([\d.]+)", text)
    assert line, "the binomial test line is missing"
    hits, days, p_value = int(line.group(1)), int(line.group(2)), float(line.group(3))
    assert hits / days == pytest.approx(accuracy, abs=1e-3)
    expected = binomtest(hits, days, majority, alternative="greater").pvalue
    assert p_value == pytest.approx(expected, abs=0.01)  # majority printed to 3 decimals

"""The lessons execute, repeat themselves exactly, and say what their own numbers say.

Facts are read from the executed notebooks' printed outputs and checked against each other
(the LSTM's success rate against the RNN's, a ratio against its parts), never against
numbers copied into this file.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from course_site import lessons

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_second_run_gives_identical_outputs(executed, tmp_path):
    """Determinism: every lesson re-executed from scratch prints and draws the same things
    (cells tagged `timing` measure the machine and are exempt)."""
    project = replace(lessons.PROJECT, cache=tmp_path / "cache", output=tmp_path / "out")
    for path in lessons.build(force=True, log=lambda message: None, project=project):
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


def test_a_broken_lesson_fails_with_its_file_cell_and_error(tmp_path):
    broken = tmp_path / "lessons_src"
    broken.mkdir()
    (broken / "m9_broken.py").write_text(
        "# %% [markdown]\n# # A broken lesson\n\n# %%\nx = 1\n\n# %%\nprint(undefined_name)\n"
    )
    project = lessons.Project.at(tmp_path)
    with pytest.raises(lessons.LessonError) as error:
        lessons.build(log=lambda message: None, project=project)
    message = str(error.value)
    assert "lessons_src/m9_broken.py" in message
    assert "cell 3 (line 7 of the file)" in message
    assert "NameError" in message and "undefined_name" in message
    assert not list(project.cache.glob("*.ipynb")), "a failed lesson must not be cached"


def test_m3_direction_is_tested_against_the_majority_rate(executed):
    from scipy.stats import binomtest

    text = text_of(executed["m3_price_model"])
    rows = re.findall(r"directional accuracy\s+([\d.]+)\s+([\d.]+)", text)
    assert len(rows) == 2, "expected directional accuracy rows for prices and for returns"
    accuracy, majority = (float(v) for v in rows[-1])
    line = re.search(
        r"p-value of (\d+) hits in (\d+) days against the majority direction's (\d+): ([\d.]+)",
        text,
    )
    assert line, "the binomial test line is missing"
    hits, days, majority_days = (int(line.group(k)) for k in (1, 2, 3))
    assert hits / days == pytest.approx(accuracy, abs=1e-3)
    assert majority_days / days == pytest.approx(majority, abs=1e-3)
    expected = binomtest(hits, days, majority_days / days, alternative="greater").pvalue
    assert float(line.group(4)) == pytest.approx(expected, abs=1e-3)


def _row(text: str, label: str) -> list[float]:
    """The numbers of the printed table row that starts with `label`."""
    match = re.search(r"^" + re.escape(label) + r"\s+([-\d.\sNa]+)$", text, re.M)
    assert match, f"no table row {label!r} in the lesson output"
    return [float(v) for v in match.group(1).split()]


def test_m4_direction_verdict_agrees_with_its_table(executed):
    text = text_of(executed["m4_direction"])
    base = _row(text, "base rate (always up)")  # accuracy AUC logloss share binom PT
    assert base[1] == pytest.approx(0.5) and base[3] == pytest.approx(1.0)
    models = [_row(text, label) for label in ("LSTM, mean of seeds", "logistic regression")]
    smallest = min(row[4] for row in models + [_row(text, f"LSTM seed {s}") for s in (0, 1, 2)])
    assert number_after("Smallest binomial p-value:", text) == pytest.approx(smallest, abs=1e-3)
    says_no_edge = "no model beat the majority rate by more than chance" in text
    assert says_no_edge == (smallest >= 0.05)


def test_m4_volatility_dm_signs_follow_the_qlike_order(executed):
    text = text_of(executed["m4_volatility"])
    garch_qlike = _row(text, "GARCH(1,1)")[0]
    for name in ("LSTM", "hybrid", "training mean"):
        qlike, _, dm_stat, _ = _row(text, name)
        assert (dm_stat < 0) == (qlike < garch_qlike), name
    assert 0.9 < number_after("alpha + beta =", text) < 1.0
    share = float(re.search(r"share of days VIX > realised:\s+([\d.]+)%", text).group(1))
    assert share > 50  # the variance risk premium, measured


def test_m4_multi_asset_thresholds_balance_the_training_classes(executed):
    text = text_of(executed["m4_multi_asset"])
    shares = re.search(r"train class shares: Sell ([\d.]+)%, Hold ([\d.]+)%, Buy ([\d.]+)%", text)
    assert shares and all(30 < float(v) < 37 for v in shares.groups())
    lstm, baseline = (
        _row(text, "attention LSTM"),
        re.search(r"always '\w+'\s+([\d.]+)\s+([\d.]+)", text),
    )
    line = re.search(r"accuracy ([\d.]+) against ([\d.]+)", text)
    assert float(line.group(1)) == pytest.approx(lstm[0], abs=1e-3)
    assert float(line.group(2)) == pytest.approx(float(baseline.group(1)), abs=1e-3)
    assert re.search(r"weights \((\d+), 30\)", text)


def test_m4_backtest_costs_never_raise_a_sharpe_ratio(executed):
    text = text_of(executed["m4_backtest"])
    table = re.findall(
        r"^(buy and hold|0\.5 long/flat|long/flat|long/short)?\s+(0|5|10)\.000\s+"
        r"([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)$",
        text,
        re.M,
    )
    assert len(table) == 12, "expected 4 strategies x 3 cost levels"
    sharpe: dict[str, list[float]] = {}
    name = None
    for label, _, _, sr, _, _ in table:
        name = label or name
        sharpe.setdefault(name, []).append(float(sr))
    for name, values in sharpe.items():
        assert values == sorted(values, reverse=True), name  # 0, 5, 10 bp
    assert len(re.findall(r"^\d\s+\d{4}-\d\d-\d\d\s", text, re.M)) == 8  # eight folds


def test_m4_regime_shift_and_ranking_agree_with_the_table(executed):
    text = text_of(executed["m4_regime"])
    assert number_after("share of test days above the training maximum:", text) > 0
    qlike = {name: _row(text, name)[0] for name in ("single LSTM", "ensemble", "GARCH(1,1)")}
    ranking = re.search(r"2008-2009 ranking \(best first\): (.+)", text).group(1).split(", ")
    assert ranking == sorted(qlike, key=qlike.get)


def test_m6_sharded_training_matches_one_device(executed):
    text = text_of(executed["m6_scaling_out"])
    assert text.startswith("8 devices")
    assert number_after("largest difference in predicted probabilities:", text) < 1e-4
    assert number_after("from one device:", text) < 1e-4
    losses = re.findall(r"loss per epoch, \d devices?:\s+\[([^\]]+)\]", text)
    assert len(losses) == 2 and losses[0].split() == losses[1].split()

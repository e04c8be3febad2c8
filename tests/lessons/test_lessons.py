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
from finlstm.facts import METADATA_KEY

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


def facts_of(notebook) -> dict:
    """The facts a published lesson recorded (finlstm.facts), by name."""
    return dict(notebook.metadata[METADATA_KEY])


def prose_of(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_every_lesson_shows_the_verdicts_it_recorded_and_no_placeholder(executed):
    for name, notebook in executed.items():
        prose, known = prose_of(notebook), facts_of(notebook)
        assert "{{" not in prose, f"{name}: a placeholder was left unfilled"
        for verdict in (key[: -len("_holds")] for key in known if key.endswith("_holds")):
            assert known[verdict] in prose, f"{name}: verdict {verdict!r} is not in its prose"


def test_m1_verdicts_agree_with_their_facts(executed):
    known = facts_of(executed["m1_vanishing_gradient"])
    text = text_of(executed["m1_vanishing_gradient"])
    success = eval(re.search(r"success rate \(MSE < 0\.01\): (\{.*\})", text).group(1), {})
    for name in ("RNN", "LSTM"):
        for length, rate in success[name].items():
            assert known[f"{name.lower()}_successes_t{length}"] == round(rate * known["seeds"])
    lstm_counts = [known[f"lstm_successes_t{t}"] for t in success["LSTM"]]
    assert known["lstm_verdict_holds"] == all(n == known["seeds"] for n in lstm_counts)
    assert known["rnn_trained_verdict_holds"] == (known["rnn_trained_k50"] == 0.0)
    ratio = known["lstm_k99_over_k10"]
    assert ratio == pytest.approx(known["lstm_trained_k99"] / known["lstm_trained_k10"])
    sentence = known["lstm_trained_sentence"]
    expected = "no longer falls" if ratio >= 1 else "more slowly" if ratio > 0.1 else "keeps"
    assert expected in sentence
    assert sentence in prose_of(executed["m1_vanishing_gradient"])


def test_m2_forget_bias_verdict_agrees_with_its_facts(executed):
    known = facts_of(executed["m2_inside_the_cell"])
    text = text_of(executed["m2_inside_the_cell"])
    at_50 = [float(v) for v in re.findall(r"forget bias \d: .*k=50 ([\d.e+-]+)", text)]
    assert known["bias_gain_k50"] == pytest.approx(at_50[1] / at_50[0], rel=0.01)
    assert known["bias_verdict_holds"] == (known["bias_gain_k50"] >= 100)


def test_m3_scalers_put_the_test_prices_where_the_text_says(executed):
    known = facts_of(executed["m3_price_model"])
    assert known["test_range_verdict_holds"] == (known["test_min"] > known["train_max"])
    assert known["test_min_above_train_max"] == pytest.approx(
        known["test_min"] / known["train_max"] - 1
    )
    assert known["honest_scaled_test_min"] > 1.0  # the honest scaler lets the future leave [0, 1]
    assert 0.0 <= known["leaky_scaled_test_min"] <= known["leaky_scaled_test_max"] <= 1.0


def test_m3_verdicts_agree_with_their_facts(executed):
    known = facts_of(executed["m3_price_model"])
    for key in ("level", "leaky", "returns", "normalised"):
        assert known[f"{key}_ratio"] == pytest.approx(
            known[f"{key}_rmse"] / known["persistence_rmse"]
        )

    def beats(key):
        return known[f"{key}_dm_p"] < 0.05 and known[f"{key}_dm"] < 0

    assert known["level_verdict_holds"] == (known["level_ratio"] < 1 and beats("level"))
    assert known["leak_verdict_holds"] == (known["leaky_rmse"] < known["level_rmse"])
    assert known["loss_gap_holds"] == (known["val_over_train"] > 2)
    assert known["test_share_above_train_max"] > known["val_share_above_train_max"]
    assert known["direction_verdict_holds"] == (
        known["below_today"] > 0.9 or known["below_today"] < 0.1
    )
    assert known["bias_direction"] == ("below" if known["level_bias"] < 0 else "above")
    for key in ("returns", "normalised"):
        assert known[f"{key}_beats_persistence"] == beats(key)
        expected = (
            "beats persistence"
            if beats(key)
            else "is worse than"
            if known[f"{key}_dm_p"] < 0.05
            else "cannot be told apart"
        )
        assert expected in known[f"{key}_verdict"], key
    assert known["any_beats_persistence"] == (beats("returns") or beats("normalised"))
    assert known["closest_ratio"] == min(known["returns_ratio"], known["normalised_ratio"])
    prose = prose_of(executed["m3_price_model"])
    for key in ("returns_verdict", "normalised_verdict", "overall_verdict"):
        assert known[key] in prose, key


def test_m3_direction_is_tested_against_the_majority_rate(executed):
    from scipy.stats import binomtest

    known = facts_of(executed["m3_price_model"])
    hits, days, majority = (known[k] for k in ("returns_hits", "test_days", "majority_days"))
    assert majority / days == pytest.approx(max(known["up_share"], 1 - known["up_share"]), abs=1e-3)
    expected = binomtest(hits, days, majority / days, alternative="greater").pvalue
    assert known["returns_binomial_p"] == pytest.approx(expected)
    assert known["returns_direction_verdict_holds"] == (expected < 0.05)


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


def _row(text: str, label: str) -> list[float]:
    """The numbers of the printed table row that starts with `label`."""
    match = re.search(r"^" + re.escape(label) + r"\s+([-\d.\sNa]+)$", text, re.M)
    assert match, f"no table row {label!r} in the lesson output"
    return [float(v) for v in match.group(1).split()]


def test_m4_direction_verdict_agrees_with_its_table(executed):
    text = text_of(executed["m4_direction"])
    known = facts_of(executed["m4_direction"])
    base = _row(text, "base rate (always up)")  # accuracy AUC logloss share binom PT
    assert base[1] == pytest.approx(0.5) and base[3] == pytest.approx(1.0)
    labels = [f"LSTM seed {s}" for s in (0, 1, 2)]
    labels += ["LSTM, mean of seeds", "logistic regression"]
    models = {label: _row(text, label) for label in labels}
    smallest = min(row[4] for row in models.values())
    assert known["smallest_binomial_p"] == pytest.approx(smallest, abs=1e-3)
    assert known["test_days"] == number_after("test days:", text)
    assert known["majority_rate"] == pytest.approx(number_after("majority rate:", text), abs=1e-3)
    assert known["edge_verdict_holds"] == (known["smallest_binomial_p"] >= 0.05)
    assert (known["smallest_p_model"] in known["edge_verdict"]) and f"{smallest:.3f}" in (
        known["edge_verdict"]
    )
    for label, row in models.items():
        listed = known["always_up_verdict"].split(": ", 1)[-1]
        said_up = known["always_up_verdict_holds"] and label in listed
        if row[3] > 0.995 or row[3] < 0.985:  # away from the cut at the printed precision
            assert said_up == (row[3] > 0.99), label
        named = label in known["logloss_verdict"]
        if abs(row[2] - (base[2] - 0.001)) > 0.0005:
            assert named == (row[2] < base[2] - 0.001), label
    assert known["logloss_verdict_holds"] == ("below the base-rate" not in known["logloss_verdict"])
    low, high, rate = known["lstm_p_low"], known["lstm_p_high"], known["base_rate"]
    assert low <= high and known["lstm_spread"] >= max(high - rate, rate - low) - 1e-9
    assert known["closeness_verdict_holds"] == (known["lstm_spread"] < 0.05)
    assert known["base_rate"] == pytest.approx(
        float(re.search(r"train: .*?([\d.]+)% up", text).group(1)) / 100, abs=1e-3
    )
    assert known["rolling_verdict_holds"] == (known["rolling_correlation"] > 0.5)
    assert f"{known['rolling_correlation']:.2f}" in known["rolling_verdict"]


def test_m4_volatility_dm_signs_follow_the_qlike_order(executed):
    text = text_of(executed["m4_volatility"])
    garch_qlike = _row(text, "GARCH(1,1)")[0]
    for name in ("LSTM", "hybrid", "training mean"):
        qlike, _, dm_stat, _ = _row(text, name)
        assert (dm_stat < 0) == (qlike < garch_qlike), name
    assert 0.9 < number_after("alpha + beta =", text) < 1.0
    share = float(re.search(r"share of days VIX > realised:\s+([\d.]+)%", text).group(1))
    assert share > 50  # the variance risk premium, measured


def test_m4_volatility_verdicts_agree_with_its_table(executed):
    text = text_of(executed["m4_volatility"])
    known = facts_of(executed["m4_volatility"])
    garch_qlike = _row(text, "GARCH(1,1)")[0]
    assert known["garch_qlike"] == pytest.approx(garch_qlike, abs=1e-4)
    assert known["mean_qlike"] == pytest.approx(_row(text, "training mean")[0], abs=1e-4)
    assert known["garch_over_mean"] == pytest.approx(known["garch_qlike"] / known["mean_qlike"])
    assert known["garch_gain_verdict_holds"] == (known["garch_over_mean"] < 1)
    assert known["garch_persistence"] == pytest.approx(
        number_after("alpha + beta =", text), abs=1e-4
    )
    for name, key in (("LSTM", "lstm"), ("hybrid", "hybrid")):
        qlike, _, dm_stat, p_value = _row(text, name)
        assert known[f"{key}_qlike"] == pytest.approx(qlike, abs=1e-4)
        assert known[f"{key}_dm_p"] == pytest.approx(p_value, abs=1e-4)
        assert known[f"{key}_dm"] == pytest.approx(dm_stat, abs=1e-4)
        assert known[f"{key}_verdict_holds"] == (known[f"{key}_dm_p"] < 0.05)
        side = "below" if known[f"{key}_qlike"] < known["garch_qlike"] else "above"
        assert f"is {side} GARCH's" in known[f"{key}_verdict"], name
        assert (known[f"{key}_dm"] < 0) == (side == "below"), name
    qlikes = {name: _row(text, name)[0] for name in ("LSTM", "hybrid", "GARCH(1,1)")}
    qlikes["training mean"] = _row(text, "training mean")[0]
    order = known["ranking"].split(", ")
    assert [qlikes[name] for name in order] == sorted(qlikes.values())
    share = float(re.search(r"share of days VIX > realised:\s+([\d.]+)%", text).group(1))
    assert known["vix_above_share"] == pytest.approx(share / 100, abs=1e-3)
    assert known["vix_verdict_holds"] == (known["vix_above_share"] > 0.5)


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


def test_m4_multi_asset_verdicts_agree_with_its_table(executed):
    text = text_of(executed["m4_multi_asset"])
    known = facts_of(executed["m4_multi_asset"])
    p_value = number_after(f"binomial p-value against always '{known['baseline_class']}':", text)
    assert known["binomial_p"] == pytest.approx(p_value, abs=1e-4)
    assert known["accuracy_verdict_holds"] == (known["binomial_p"] < 0.05)
    assert known["accuracy"] == pytest.approx(_row(text, "attention LSTM")[0], abs=1e-3)
    hold = float(re.search(r"train class shares: .*Hold ([\d.]+)%", text).group(1))
    assert known["train_hold_share"] == pytest.approx(hold / 100, abs=2e-3)
    assert known["hold_verdict_holds"] == (known["test_hold_share"] > known["train_hold_share"])


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


def test_m4_backtest_verdicts_agree_with_its_tables(executed):
    text = text_of(executed["m4_backtest"])
    known = facts_of(executed["m4_backtest"])
    sharpe_10, annual = {}, {}
    name = None
    for label, cost, ret, sr, _, _ in re.findall(
        r"^(buy and hold|0\.5 long/flat|long/flat|long/short)?\s+(0|5|10)\.000\s+"
        r"([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)$",
        text,
        re.M,
    ):
        name = label or name
        annual[name, cost] = float(ret)
        if cost == "10":
            sharpe_10[name] = float(sr)
    hold = sharpe_10.pop("buy and hold")
    assert known["hold_sharpe_10"] == pytest.approx(hold, abs=1e-3)
    beats = [name for name, value in sharpe_10.items() if value > hold]
    assert known["sharpe_verdict_holds"] == bool(beats)
    # The best strategy named is the best of those that do not simply hold the index.
    trading = {
        name: value
        for name, value in sharpe_10.items()
        if not (known["half_cut_verdict_holds"] and name == "0.5 long/flat")
    }
    assert known["best_strategy_10"] == max(trading, key=trading.get)
    assert all(name in known["sharpe_verdict"] for name in beats)
    folds = re.findall(r"^\d\s+\d{4}-\d\d-\d\d\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", text, re.M)
    assert len(folds) == known["n_folds"]
    won = [float(acc) > float(rate) for acc, rate, _ in folds]
    if all(acc != rate for acc, rate, _ in folds):  # no tie at the printed precision
        assert known["folds_won"] == sum(won)
    assert known["folds_verdict_holds"] == (known["folds_won"] > known["n_folds"] / 2)
    assert known["hold_annual_return"] == pytest.approx(annual["buy and hold", "0"], abs=1e-3)
    assert known["market_verdict_holds"] == (known["hold_annual_return"] > 0)
    assert known["base_rate_verdict_holds"] == (known["lowest_base_rate"] > 0.5)
    shares = [float(share) for _, _, share in folds]
    assert min(shares) - 1e-3 <= known["share_up_calls"] <= max(shares) + 1e-3


def test_m4_backtest_says_when_the_half_cut_is_buy_and_hold(executed):
    """The 0.5 cut equals buy-and-hold exactly when the model said "up" on every test day; then
    every row of the two in the printed table is the same, and the chart labels one line for
    both."""
    notebook = executed["m4_backtest"]
    known = facts_of(notebook)
    assert known["half_cut_verdict_holds"] == (known["share_up_calls"] == 1.0)
    text = text_of(notebook)
    rows: dict[str, list[str]] = {}
    name = None
    for label, row in re.findall(
        r"^(buy and hold|0\.5 long/flat|long/flat|long/short)?\s+((?:0|5|10)\.000\s+.+)$",
        text,
        re.M,
    ):
        name = label or name
        rows.setdefault(name, []).append(row.split())
    if known["half_cut_verdict_holds"]:
        assert rows["0.5 long/flat"] == rows["buy and hold"]
        alts = re.findall(r'alt="([^"]*)"', str(notebook.cells))
        assert any("buy and hold = 0.5 long/flat" in alt for alt in alts)


def test_m4_regime_shift_and_ranking_agree_with_the_table(executed):
    text = text_of(executed["m4_regime"])
    assert number_after("share of test days above the training maximum:", text) > 0
    qlike = {name: _row(text, name)[0] for name in ("single LSTM", "ensemble", "GARCH(1,1)")}
    ranking = re.search(r"2008-2009 ranking \(best first\): (.+)", text).group(1).split(", ")
    assert ranking == sorted(qlike, key=qlike.get)


def test_m4_regime_verdicts_agree_with_its_table(executed):
    text = text_of(executed["m4_regime"])
    known = facts_of(executed["m4_regime"])
    assert known["share_above_train_max"] == pytest.approx(
        number_after("share of test days above the training maximum:", text) / 100, abs=1e-3
    )
    assert (known["share_above_train_max"] > 0) == (known["test_vol_max"] > known["train_vol_max"])
    qlike = {name: _row(text, name)[0] for name in ("single LSTM", "ensemble", "GARCH(1,1)")}
    assert known["ranking"].split(", ") == sorted(qlike, key=qlike.get)
    for name, key in (("single LSTM", "single"), ("ensemble", "ensemble"), ("GARCH(1,1)", "garch")):
        assert known[f"{key}_qlike"] == pytest.approx(qlike[name], abs=1e-3)
    assert known["ensemble_verdict_holds"] == (known["ensemble_qlike"] > known["single_qlike"])
    assert known["garch_verdict_holds"] == (known["ranking"].split(", ")[0] == "GARCH(1,1)")
    members = {f"member {k}": _row(text, f"member {k}")[0] for k in range(3)}
    assert known["worst_member"] == max(members, key=members.get)
    assert known["calm_member_verdict_holds"] == (known["worst_member"] == known["calmest_member"])
    assert known["crisis_verdict_holds"] == (
        known["worst_window_end_year"] == 2008 and known["worst_window_end_month"] >= 9
    )
    year, month = re.search(
        r"rolling loss peaks in the \d+ forecasts to (\d{4})-(\d\d)", text
    ).groups()
    assert (known["worst_window_end_year"], known["worst_window_end_month"]) == (
        int(year),
        int(month),
    )


def test_m6_sharded_training_matches_one_device(executed):
    text = text_of(executed["m6_scaling_out"])
    assert text.startswith("8 devices")
    assert number_after("largest difference in predicted probabilities:", text) < 1e-4
    assert number_after("from one device:", text) < 1e-4
    losses = re.findall(r"loss per epoch, \d devices?:\s+\[([^\]]+)\]", text)
    assert len(losses) == 2 and losses[0].split() == losses[1].split()


def test_m6_verdicts_agree_with_the_printed_differences(executed):
    text = text_of(executed["m6_scaling_out"])
    known = facts_of(executed["m6_scaling_out"])
    output_gap = number_after("largest difference in predicted probabilities:", text)
    weight_gap = number_after("largest difference in a single weight:", text)
    grid_gap = number_after("from one device:", text)
    assert known["output_gap"] == pytest.approx(output_gap, rel=0.06)
    assert known["weight_gap"] == pytest.approx(weight_gap, rel=0.06)
    assert known["grid_gap"] == pytest.approx(grid_gap, rel=0.06)
    losses = re.findall(r"loss per epoch, \d devices?:\s+\[([^\]]+)\]", text)
    same = losses[0].split() == losses[1].split()
    assert known["agreement_verdict_holds"] == (same and known["output_gap"] < 1e-4)
    assert known["weight_verdict_holds"] == (known["weight_gap"] > 10 * known["output_gap"])
    assert known["grid_verdict_holds"] == (max(known["grid_gap"], known["output_gap"]) < 1e-4)

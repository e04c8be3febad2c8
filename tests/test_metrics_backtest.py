"""Tests of finlstm.metrics, finlstm.backtest and finlstm.baselines."""

import numpy as np
import pandas as pd
import pytest

from finlstm import backtest as bt
from finlstm import baselines, metrics
from finlstm.data import load_prices


def test_rmse_and_mae_by_hand():
    y, p = np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 0.0])
    assert metrics.rmse(y, p) == pytest.approx(np.sqrt((0 + 4 + 9) / 3))
    assert metrics.mae(y, p) == pytest.approx(5 / 3)


def test_ratio_below_one_means_closer_than_the_baseline():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert metrics.rmse_ratio(y, y + 0.1, y + 1.0) == pytest.approx(0.1)
    assert metrics.mae_ratio(y, y + 2.0, y + 1.0) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: metrics.rmse([1.0, 2.0], [1.0]), r"same shape, got \(2,\) and \(1,\)"),
        (
            lambda: metrics.rmse([1.0, np.nan], [1.0, 2.0]),
            r"y_true contains NaN or inf \(first at index 1\)",
        ),
        (lambda: metrics.qlike([0.0, 1.0], [1.0, 1.0]), "variance_forecast must be > 0"),
        (lambda: metrics.diebold_mariano(np.ones(5), np.ones(5)), "at least 10"),
        (lambda: metrics.sharpe_ratio([0.01]), "at least 2"),
    ],
)
def test_bad_metric_inputs_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_directional_accuracy_and_majority_rate_by_hand():
    actual = np.array([1.0, -1.0, 2.0, 0.0, 3.0])  # up, down, up, flat (not up), up
    predicted = np.array([0.5, 0.5, 1.0, -1.0, -2.0])
    assert metrics.directional_accuracy(actual, predicted) == pytest.approx(3 / 5)
    assert metrics.majority_rate(actual) == pytest.approx(3 / 5)
    # Reversed: 1 up and 4 "not up" (the flat day counts as not up).
    assert metrics.majority_rate(-actual) == pytest.approx(4 / 5)


def test_qlike_is_zero_only_for_the_perfect_forecast():
    realized = np.array([1.0, 2.0, 0.5])
    assert metrics.qlike(realized, realized) == pytest.approx(0.0)
    assert metrics.qlike(realized * 1.5, realized) > 0
    assert metrics.qlike(realized / 1.5, realized) > 0


def test_diebold_mariano_detects_a_better_forecast_and_not_a_tie():
    rng = np.random.default_rng(0)
    y = rng.standard_normal(500)
    good = (y - (y + 0.1 * rng.standard_normal(500))) ** 2
    bad = (y - (y + 1.0 * rng.standard_normal(500))) ** 2
    result = metrics.diebold_mariano(good, bad)
    assert result.statistic < 0 and result.p_value < 0.001
    tie = metrics.diebold_mariano(good, good)
    assert (tie.statistic, tie.p_value) == (0.0, 1.0)
    assert metrics.diebold_mariano(bad, good, horizon=5).statistic > 0


def test_sharpe_drawdown_and_turnover_by_hand():
    r = np.array([0.01, -0.02, 0.03, 0.0])
    assert metrics.sharpe_ratio(r) == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(252))
    assert metrics.max_drawdown([0.1, -0.5, 0.2]) == pytest.approx(0.5)
    assert metrics.max_drawdown([-0.1, 0.0]) == pytest.approx(0.1)  # from the starting 1.0
    assert metrics.turnover([1, -1, -1, 0]) == pytest.approx((1 + 2 + 0 + 1) / 4)
    assert np.isnan(metrics.sharpe_ratio([0.0, 0.0, 0.0]))


def test_positions_are_taken_the_bar_after_the_signal():
    returns = np.array([0.05, -0.03, 0.02, 0.04])
    perfect_same_day = np.sign(returns)  # a "signal" that already knows today's return
    result = bt.backtest(perfect_same_day, returns, cost_bps=0)
    np.testing.assert_array_equal(result.positions, [0, 1, -1, 1])
    np.testing.assert_allclose(result.gross_returns, [0.0, -0.03, -0.02, 0.04])


def test_costs_are_charged_on_position_changes_and_lower_the_sharpe():
    rng = np.random.default_rng(1)
    returns = 0.0005 + 0.01 * rng.standard_normal(500)
    signals = np.where(rng.random(500) < 0.6, 1, -1)
    free = bt.backtest(signals, returns, cost_bps=0)
    costly = bt.backtest(signals, returns, cost_bps=10)
    np.testing.assert_allclose(free.net_returns, free.gross_returns)
    expected_costs = 10 / 1e4 * np.abs(np.diff(free.positions, prepend=0))
    np.testing.assert_allclose(costly.costs, expected_costs)
    assert costly.summary()["sharpe_net"] < costly.summary()["sharpe_gross"]
    assert costly.equity_net[-1] < costly.equity_gross[-1]


def test_buy_and_hold_pays_one_entry_cost():
    returns = np.array([0.01, 0.02, -0.01])
    result = bt.buy_and_hold(returns, cost_bps=10)
    np.testing.assert_array_equal(result.positions, [0, 1, 1])
    assert result.costs.sum() == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("signals", "message"),
    [([1, 2, 0], "got 2.0 at index 1"), ([1, np.nan, 0], "signals contain NaN")],
)
def test_bad_signals_are_named(signals, message):
    with pytest.raises(ValueError, match=message):
        bt.backtest(signals, [0.0, 0.0, 0.0])


def test_persistence_is_the_value_horizon_rows_earlier():
    values = np.arange(10.0) * 2
    np.testing.assert_array_equal(baselines.persistence(values, np.array([3, 5]), 2), [2.0, 6.0])
    with pytest.raises(ValueError, match="no value 2 rows before"):
        baselines.persistence(values, np.array([1]), 2)
    np.testing.assert_array_equal(baselines.historical_mean([1.0, 3.0], 3), [2.0, 2.0, 2.0])


@pytest.fixture(scope="module")
def sp500_returns() -> pd.Series:
    close = load_prices("sp500")["Close"]
    return np.log(close).diff().dropna()


def test_garch_parameters_see_only_training_rows(sp500_returns):
    train_end = 3000
    changed = sp500_returns.copy()
    changed.iloc[train_end:] *= 4
    a = baselines.garch_variance_forecast(sp500_returns, train_end)
    b = baselines.garch_variance_forecast(changed, train_end)
    pd.testing.assert_series_equal(a.params, b.params)
    assert 0.9 < a.persistence < 1.0  # volatility clustering in the real data
    assert (a.variance > 0).all()


def test_garch_forecast_for_a_day_uses_returns_before_it_only(sp500_returns):
    train_end, day = 3000, 3200
    changed = sp500_returns.copy()
    changed.iloc[day:] *= 4  # perturb the forecast day itself and everything after
    a = baselines.garch_variance_forecast(sp500_returns, train_end).variance
    b = baselines.garch_variance_forecast(changed, train_end).variance
    assert a.index[0] == sp500_returns.index[train_end]  # indexed by the day forecast
    pd.testing.assert_series_equal(a.iloc[: day - train_end + 1], b.iloc[: day - train_end + 1])
    assert not np.allclose(a.iloc[day - train_end + 1 :], b.iloc[day - train_end + 1 :])


def test_garch_multi_day_forecast_sums_the_daily_path_and_can_start_in_training(sp500_returns):
    train_end = 3000
    one = baselines.garch_variance_forecast(sp500_returns, train_end)
    five = baselines.garch_variance_forecast(sp500_returns, train_end, horizon=5)
    pd.testing.assert_index_equal(one.variance.index, five.variance.index)
    # GARCH(1,1): E[sigma2 at t+k] = level + persistence**(k-1) * (sigma2 at t+1 - level).
    level = one.params["omega"] / (1 - one.persistence) / 100.0**2
    expected = sum(level + one.persistence**k * (one.variance - level) for k in range(5))
    np.testing.assert_allclose(five.variance, expected, rtol=1e-6)
    early = baselines.garch_variance_forecast(sp500_returns, train_end, first_origin=100)
    assert early.variance.index[0] == sp500_returns.index[101]
    pd.testing.assert_series_equal(early.variance.loc[one.variance.index], one.variance)
    with pytest.raises(ValueError, match="first_origin must be in"):
        baselines.garch_variance_forecast(sp500_returns, train_end, first_origin=train_end)


def test_log_loss_of_the_base_rate_is_the_label_entropy():
    labels = np.array([1, 1, 1, 0])
    share = labels.mean()
    entropy = -(share * np.log(share) + (1 - share) * np.log(1 - share))
    assert metrics.log_loss(labels, np.full(4, share)) == pytest.approx(entropy)
    assert metrics.log_loss(labels, labels.astype(float)) < 1e-6
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\], got 1.5 at index 2"):
        metrics.log_loss(labels, [0.5, 0.5, 1.5, 0.5])
    with pytest.raises(ValueError, match=r"labels must hold 0 or 1, got 2\.0 at index 0"):
        metrics.log_loss([2, 0], [0.5, 0.5])


def test_roc_auc_by_hand_and_against_pairwise_counting():
    assert metrics.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 60)
    scores = np.round(rng.random(60), 1)  # ties on purpose
    pos, neg = scores[labels == 1], scores[labels == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert metrics.roc_auc(labels, scores) == pytest.approx(pairs)
    with pytest.raises(ValueError, match="both classes"):
        metrics.roc_auc([1, 1], [0.2, 0.3])


def test_pesaran_timmermann_sees_skill_and_not_independence():
    rng = np.random.default_rng(2)
    actual = rng.integers(0, 2, 2000)
    skilled = np.where(rng.random(2000) < 0.6, actual, 1 - actual)  # right 60% of days
    independent = rng.integers(0, 2, 2000)
    good = metrics.pesaran_timmermann(actual, skilled)
    assert (
        good.statistic > 5 and good.p_value < 1e-6 and good.hit_rate == pytest.approx(0.6, abs=0.03)
    )
    null = metrics.pesaran_timmermann(actual, independent)
    assert abs(null.statistic) < 3 and null.p_value > 0.001
    always_up = metrics.pesaran_timmermann(actual, np.ones(2000))
    assert np.isnan(always_up.statistic) and always_up.hit_rate == pytest.approx(actual.mean())


def test_diebold_mariano_hac_lags_widen_the_variance_of_autocorrelated_differences():
    rng = np.random.default_rng(3)
    shocks = rng.standard_normal(1000)
    d = np.convolve(shocks, np.ones(10) / 10, mode="same") + 0.05  # persistent differences
    plain = metrics.diebold_mariano(d, np.zeros(1000))
    hac = metrics.diebold_mariano(d, np.zeros(1000), hac_lags=20)
    assert abs(hac.statistic) < abs(plain.statistic) / 2
    with pytest.raises(ValueError, match="hac_lags"):
        metrics.diebold_mariano(d, np.zeros(1000), hac_lags=-1)


def test_logistic_regression_recovers_a_known_rule_and_is_at_its_optimum():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4000, 3)) * [1.0, 5.0, 0.1] + [0.0, 10.0, 0.0]
    z = 0.5 + 1.5 * x[:, 0] - 0.2 * (x[:, 1] - 10.0)
    y = (rng.random(4000) < 1 / (1 + np.exp(-z))).astype(float)
    model = baselines.LogisticRegression.fit(x, y, l2=1e-6)
    raw = model.coef / model.std  # back to the original units
    np.testing.assert_allclose(raw[:2], [1.5, -0.2], rtol=0.1)
    assert abs(raw[2]) < 1.0
    p = model.predict_proba(x)
    design = np.column_stack([np.ones(4000), (x - model.mean) / model.std])
    assert np.abs(design.T @ (p - y)).max() < 1e-3  # gradient zero at the fitted weights
    with pytest.raises(ValueError, match="x contains NaN or inf, first in row 2"):
        baselines.LogisticRegression.fit(
            np.where(np.arange(12).reshape(4, 3) == 7, np.nan, 1.0), [0, 1, 0, 1]
        )
    with pytest.raises(ValueError, match=r"x must be \(samples, 3\)"):
        model.predict_proba(np.ones((2, 2)))

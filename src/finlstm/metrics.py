"""Forecast and trading metrics: numpy arrays in, floats out.

Each forecast metric comes with the baseline it should be read against: RMSE beside
persistence (`rmse_ratio`), directional accuracy beside the majority class
(`majority_rate`), a variance forecast's QLIKE beside GARCH's, and Diebold-Mariano to ask
whether a difference in losses is more than noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "DMResult",
    "PTResult",
    "annualized_return",
    "diebold_mariano",
    "directional_accuracy",
    "log_loss",
    "mae",
    "mae_ratio",
    "majority_rate",
    "max_drawdown",
    "pesaran_timmermann",
    "qlike",
    "qlike_losses",
    "rmse",
    "rmse_ratio",
    "roc_auc",
    "sharpe_ratio",
    "turnover",
]


def _pair(y_true, y_pred, names=("y_true", "y_pred")) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same shape, got {a.shape} and {b.shape}"
        )
    if a.size == 0:
        raise ValueError(f"{names[0]} is empty")
    for name, array in zip(names, (a, b), strict=True):
        if not np.isfinite(array).all():
            first = int(np.flatnonzero(~np.isfinite(array.ravel()))[0])
            raise ValueError(f"{name} contains NaN or inf (first at index {first})")
    return a, b


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, in the units of y."""
    a, b = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((a - b) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error, in the units of y."""
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b)))


def rmse_ratio(y_true, y_pred, y_baseline) -> float:
    """RMSE of the model over RMSE of a baseline (e.g. persistence). Below 1 beats it."""
    return rmse(y_true, y_pred) / rmse(y_true, y_baseline)


def mae_ratio(y_true, y_pred, y_baseline) -> float:
    """MAE of the model over MAE of a baseline. Below 1 beats it."""
    return mae(y_true, y_pred) / mae(y_true, y_baseline)


def directional_accuracy(actual_change, predicted_change) -> float:
    """Share of days whose direction was predicted: "up" means change > 0, anything else
    (flat or down) counts as "not up", for both series."""
    actual, predicted = _pair(
        actual_change, predicted_change, ("actual_change", "predicted_change")
    )
    return float(np.mean((actual > 0) == (predicted > 0)))


def majority_rate(actual_change) -> float:
    """Accuracy of always predicting the more common direction ("up" = change > 0): the bar
    a direction forecast has to clear, usually above 50% for stock indices."""
    actual = np.asarray(actual_change, dtype=np.float64)
    if actual.size == 0:
        raise ValueError("actual_change is empty")
    up = float(np.mean(actual > 0))
    return max(up, 1.0 - up)


def _binary(name: str, values) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if not np.isin(array, (0.0, 1.0)).all():
        first = int(np.flatnonzero(~np.isin(array, (0.0, 1.0)))[0])
        raise ValueError(f"{name} must hold 0 or 1, got {array[first]} at index {first}")
    return array


def _probabilities(values, n: int) -> np.ndarray:
    p = np.asarray(values, dtype=np.float64)
    if p.shape != (n,):
        raise ValueError(f"probabilities must have shape ({n},), got {p.shape}")
    bad = ~((p >= 0) & (p <= 1))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"probabilities must lie in [0, 1], got {p[first]} at index {first}")
    return p


def log_loss(labels, probabilities, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy of predicted P(label = 1), in nats; clipped to [eps, 1-eps].
    The constant forecast p = share of ones scores the entropy of the labels: the bar."""
    y = _binary("labels", labels)
    p = np.clip(_probabilities(probabilities, y.size), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def roc_auc(labels, scores) -> float:
    """Area under the ROC curve: the probability that a random positive day scores higher
    than a random negative one (ties count half). 0.5 is no skill, whatever the base rate."""
    y = _binary("labels", labels)
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != y.shape:
        raise ValueError(f"scores must have shape {y.shape}, got {s.shape}")
    positives, negatives = int(y.sum()), int(y.size - y.sum())
    if positives == 0 or negatives == 0:
        raise ValueError("roc_auc needs both classes among the labels")
    ranks = stats.rankdata(s)  # average ranks for ties
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@dataclass(frozen=True)
class PTResult:
    """Pesaran-Timmermann test: do predicted and actual directions agree more often than
    independent ones would? statistic ~ N(0, 1) under independence; p_value one-sided."""

    statistic: float
    p_value: float
    hit_rate: float  # share of days whose direction was right
    expected_hit_rate: float  # the same, if predictions were independent of outcomes


def pesaran_timmermann(actual_up, predicted_up) -> PTResult:
    """Pesaran & Timmermann (1992) test of directional predictive ability.

    Args:
      actual_up, predicted_up: (T,) arrays of 0/1 (1 = up).

    A forecaster that always says "up" has no variance in its predictions, so the test is
    undefined: the statistic and p-value are then NaN (no evidence of skill).
    """
    y = _binary("actual_up", actual_up)
    x = _binary("predicted_up", predicted_up)
    if x.shape != y.shape:
        raise ValueError(f"actual_up and predicted_up differ in shape: {y.shape} vs {x.shape}")
    n = y.size
    p_y, p_x = y.mean(), x.mean()
    hit = float(np.mean(x == y))
    expected = p_y * p_x + (1 - p_y) * (1 - p_x)
    var_hit = expected * (1 - expected) / n
    var_expected = (
        (2 * p_y - 1) ** 2 * p_x * (1 - p_x) / n
        + (2 * p_x - 1) ** 2 * p_y * (1 - p_y) / n
        + 4 * p_y * p_x * (1 - p_y) * (1 - p_x) / n**2
    )
    spread = var_hit - var_expected
    if spread <= 0:
        return PTResult(float("nan"), float("nan"), hit, float(expected))
    statistic = (hit - expected) / np.sqrt(spread)
    return PTResult(float(statistic), float(stats.norm.sf(statistic)), hit, float(expected))


def qlike_losses(variance_forecast, variance_realized) -> np.ndarray:
    """Per-day QLIKE loss r/f - log(r/f) - 1 (Patton 2011): zero for a perfect forecast,
    robust to noise in the realised-variance proxy. Forecasts must be > 0; a realised
    variance of exactly 0 is allowed (its loss is then -log(0) = inf, so use a proxy > 0)."""
    f, r = _pair(variance_forecast, variance_realized, ("variance_forecast", "variance_realized"))
    if (f <= 0).any():
        first = int(np.flatnonzero(f <= 0)[0])
        raise ValueError(f"variance_forecast must be > 0, got {f[first]} at index {first}")
    if (r < 0).any():
        first = int(np.flatnonzero(r < 0)[0])
        raise ValueError(f"variance_realized must be >= 0, got {r[first]} at index {first}")
    ratio = r / f
    with np.errstate(divide="ignore"):
        return ratio - np.log(ratio) - 1.0


def qlike(variance_forecast, variance_realized) -> float:
    """Mean QLIKE loss (see `qlike_losses`); lower is better."""
    return float(np.mean(qlike_losses(variance_forecast, variance_realized)))


@dataclass(frozen=True)
class DMResult:
    """Diebold-Mariano test of equal predictive accuracy.

    statistic < 0: model a has the lower mean loss. p_value: two-sided.
    """

    statistic: float
    p_value: float
    mean_difference: float  # mean(loss_a - loss_b)


def diebold_mariano(loss_a, loss_b, horizon: int = 1, hac_lags: int | None = None) -> DMResult:
    """Diebold & Mariano (1995) with the Harvey, Leybourne & Newbold (1997) correction.

    Args:
      loss_a, loss_b: (T,) per-period losses of two forecasts of the same target.
      horizon: forecast horizon h; autocovariances up to lag h - 1 enter the variance.
      hac_lags: if given, a Newey-West (Bartlett-weighted) variance with this many lags
        instead. Use it when the loss differences are autocorrelated even at h = 1, as
        they are for volatility forecasts (a common choice: about T ** (1/3)).
    """
    a, b = _pair(loss_a, loss_b, ("loss_a", "loss_b"))
    if a.ndim != 1 or a.size < 10:
        raise ValueError(f"need at least 10 losses in 1-D arrays, got shape {a.shape}")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if hac_lags is not None and not 0 <= hac_lags < a.size:
        raise ValueError(f"hac_lags must be in [0, {a.size}), got {hac_lags}")
    d = a - b
    n = d.size
    mean = float(d.mean())
    centred = d - mean
    variance = np.dot(centred, centred) / n
    if hac_lags is None:
        for lag in range(1, horizon):
            variance += 2 * np.dot(centred[lag:], centred[:-lag]) / n
    else:
        for lag in range(1, hac_lags + 1):
            weight = 1.0 - lag / (hac_lags + 1)
            variance += 2 * weight * np.dot(centred[lag:], centred[:-lag]) / n
    if variance <= 0:
        # Identical losses (or a degenerate difference): no evidence either way.
        return DMResult(0.0, 1.0, mean)
    statistic = mean / np.sqrt(variance / n)
    correction = np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    statistic *= correction
    p_value = 2 * stats.t.sf(abs(statistic), df=n - 1)
    return DMResult(float(statistic), float(p_value), mean)


def _returns(returns) -> np.ndarray:
    r = np.asarray(returns, dtype=np.float64)
    if r.ndim != 1 or r.size < 2:
        raise ValueError(f"returns must be 1-D with at least 2 values, got shape {r.shape}")
    if not np.isfinite(r).all():
        raise ValueError("returns contain NaN or inf")
    return r


def sharpe_ratio(returns, periods_per_year: int = 252, risk_free: float = 0.0) -> float:
    """Annualised Sharpe ratio of simple periodic returns: mean / std (ddof=1) * sqrt(periods).

    `risk_free` is the per-period risk-free return subtracted first. Returns nan when the
    returns do not vary (a flat strategy has no defined Sharpe ratio).
    """
    excess = _returns(returns) - risk_free
    std = excess.std(ddof=1)
    if std == 0:
        return float("nan")
    return float(excess.mean() / std * np.sqrt(periods_per_year))


def max_drawdown(returns) -> float:
    """Largest peak-to-trough fall of the compounded equity curve, as a positive fraction
    (0.25 = a 25% loss from a peak); the starting value 1.0 counts as a peak."""
    equity = np.concatenate([[1.0], np.cumprod(1.0 + _returns(returns))])
    peaks = np.maximum.accumulate(equity)
    return float(np.max(1.0 - equity / peaks))


def turnover(positions) -> float:
    """Mean absolute change of position per period, the position before the first being 0
    (1.0 = flipping from flat to fully invested every day)."""
    p = np.asarray(positions, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"positions must be a non-empty 1-D array, got shape {p.shape}")
    return float(np.mean(np.abs(np.diff(p, prepend=0.0))))


def annualized_return(returns, periods_per_year: int = 252) -> float:
    """Geometric average return per year of simple periodic returns."""
    r = _returns(returns)
    growth = float(np.prod(1.0 + r))
    return growth ** (periods_per_year / r.size) - 1.0

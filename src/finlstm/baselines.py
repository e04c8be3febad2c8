"""Honest baselines: naive persistence, the historical mean, GARCH(1,1) for variance.

A model result means something only beside these. Persistence ("tomorrow = today") is the
random-walk forecast that price models must beat; GARCH(1,1) (Bollerslev 1986) is the
standard that volatility models must beat.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd


def persistence(values, target_index, horizon: int = 1) -> np.ndarray:
    """The naive forecast: the value at row t + horizon is predicted by the value at row t.

    Args:
      values: (rows,) the series, e.g. closing prices.
      target_index: (samples,) rows being forecast (e.g. `Windows.target_rows`).
      horizon: rows between the last known value and the target.

    Returns:
      (samples,) values[target_index - horizon].
    """
    values = np.asarray(values)
    rows = np.asarray(target_index) - horizon
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    if rows.size and rows.min() < 0:
        raise ValueError(
            f"target row {int(rows.min()) + horizon} has no value {horizon} rows before it"
        )
    return values[rows]


def historical_mean(train_values, n: int) -> np.ndarray:
    """The training mean repeated n times: the forecast of a model that learned nothing
    about time (for returns, roughly "predict the average day")."""
    train = np.asarray(train_values, dtype=np.float64)
    if train.size == 0 or not np.isfinite(train).all():
        raise ValueError("train_values must be non-empty and finite")
    return np.full(n, train.mean())


@dataclass(frozen=True)
class GarchForecast:
    """One-step-ahead GARCH(1,1) variance forecasts.

    variance: forecast of each day's return variance, indexed by the day being forecast
      (rows train_end .. end of `returns`), in units of returns squared.
    params: fitted parameters (mu, omega, alpha[1], beta[1]) in the scaled units of the fit.
    persistence: alpha + beta; close to 1 means shocks to variance fade slowly.
    """

    variance: pd.Series
    params: pd.Series
    persistence: float


def garch_variance_forecast(
    returns: pd.Series, train_end: int, scale: float = 100.0
) -> GarchForecast:
    """Fit GARCH(1,1) on rows [0, train_end) and forecast the variance of every later day.

    The parameters are estimated on the training rows only; the forecast for day t + 1 then
    uses those fixed parameters and returns up to day t (the filter runs through the data,
    it is never refitted on the test period).

    Args:
      returns: daily simple or log returns (fractions), DatetimeIndex, no NaN.
      train_end: first row that is not training data (at least 100 training rows).
      scale: returns are multiplied by this before fitting (percent returns help the
        optimiser); forecasts are divided back by scale**2.
    """
    from arch import arch_model

    if not isinstance(returns, pd.Series):
        raise TypeError(f"returns must be a pandas Series, got {type(returns).__name__}")
    if returns.isna().any():
        raise ValueError("returns contain NaN; drop the first row of a return series")
    if not 100 <= train_end < len(returns):
        raise ValueError(
            f"train_end must leave at least 100 training rows and one test row, got {train_end}"
            f" of {len(returns)}"
        )
    model = arch_model(returns * scale, mean="Constant", vol="GARCH", p=1, q=1, dist="normal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arch's convergence chatter; the result is checked below
        fitted = model.fit(last_obs=returns.index[train_end], disp="off")
    if fitted.convergence_flag != 0:
        raise RuntimeError(f"GARCH(1,1) did not converge (flag {fitted.convergence_flag})")
    # A forecast made at the close of row t is for row t + 1: start at the last training row.
    forecast = fitted.forecast(horizon=1, start=returns.index[train_end - 1], reindex=False)
    made_at = forecast.variance.index
    variance = forecast.variance["h.1"].to_numpy() / scale**2
    position = returns.index.get_indexer(made_at) + 1
    keep = position < len(returns)
    series = pd.Series(variance[keep], index=returns.index[position[keep]], name="garch_variance")
    params = fitted.params
    return GarchForecast(series, params, float(params["alpha[1]"] + params["beta[1]"]))

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

__all__ = [
    "GarchForecast",
    "LogisticRegression",
    "garch_variance_forecast",
    "historical_mean",
    "persistence",
]


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
    """GARCH(1,1) variance forecasts.

    variance: forecast made at the close of day t of the return variance summed over days
      t+1 .. t+horizon, indexed by day t+1 (the first day it covers), in units of returns
      squared.
    params: fitted parameters (mu, omega, alpha[1], beta[1]) in the scaled units of the fit.
    persistence: alpha + beta; close to 1 means shocks to variance fade slowly.
    """

    variance: pd.Series
    params: pd.Series
    persistence: float


def garch_variance_forecast(
    returns: pd.Series,
    train_end: int,
    scale: float = 100.0,
    horizon: int = 1,
    first_origin: int | None = None,
) -> GarchForecast:
    """Fit GARCH(1,1) on rows [0, train_end) and forecast the variance of later days.

    The parameters are estimated on the training rows only; the forecast made at day t then
    uses those fixed parameters and returns up to day t (the filter runs through the data,
    it is never refitted on the test period).

    Args:
      returns: daily simple or log returns (fractions), DatetimeIndex, no NaN.
      train_end: first row that is not training data (at least 100 training rows).
      scale: returns are multiplied by this before fitting (percent returns help the
        optimiser); forecasts are divided back by scale**2.
      horizon: days summed in each forecast (5: the variance of the next week's return).
      first_origin: row at whose close the first forecast is made; default train_end - 1,
        whose forecast covers the first row after training. An earlier row also gives
        forecasts for training days (with the training parameters), e.g. as a model input.
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
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    origin = train_end - 1 if first_origin is None else first_origin
    if not 0 <= origin < train_end:
        raise ValueError(f"first_origin must be in [0, {train_end}), got {first_origin}")
    model = arch_model(returns * scale, mean="Constant", vol="GARCH", p=1, q=1, dist="normal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # arch's convergence chatter; the result is checked below
        fitted = model.fit(last_obs=returns.index[train_end], disp="off")
    if fitted.convergence_flag != 0:
        raise RuntimeError(f"GARCH(1,1) did not converge (flag {fitted.convergence_flag})")
    forecast = fitted.forecast(horizon=horizon, start=returns.index[origin], reindex=False)
    made_at = forecast.variance.index
    variance = forecast.variance.to_numpy().sum(axis=1) / scale**2
    position = returns.index.get_indexer(made_at) + 1  # the first day each forecast covers
    keep = position < len(returns)
    series = pd.Series(variance[keep], index=returns.index[position[keep]], name="garch_variance")
    params = fitted.params
    return GarchForecast(series, params, float(params["alpha[1]"] + params["beta[1]"]))


@dataclass(frozen=True)
class LogisticRegression:
    """Binary logistic regression with an L2 penalty, the simple classifier an LSTM's
    direction forecast is compared with. Inputs are standardised with the training rows'
    mean and standard deviation (stored here, reused on any later rows).

    coef: (features,) weights on standardised inputs; intercept: scalar.
    """

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x, y, l2: float = 1.0, iterations: int = 100) -> LogisticRegression:
        """Fit by Newton's method (iteratively reweighted least squares).

        Args:
          x: (samples, features) training inputs; y: (samples,) labels in {0, 1}.
          l2: penalty on the weights (not the intercept), in units of one sample's loss.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.ndim != 2 or y.shape != (len(x),):
            raise ValueError(
                f"x must be (samples, features) and y (samples,), got {x.shape}, {y.shape}"
            )
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("y must hold 0 or 1")
        if not np.isfinite(x).all():
            row = int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
            raise ValueError(f"x contains NaN or inf, first in row {row}")
        mean, std = x.mean(axis=0), x.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        design = np.column_stack([np.ones(len(x)), (x - mean) / std])
        penalty = np.full(design.shape[1], l2)
        penalty[0] = 0.0
        w = np.zeros(design.shape[1])
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-design @ w))
            gradient = design.T @ (p - y) + penalty * w
            hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
            step = np.linalg.solve(hessian + 1e-10 * np.eye(len(w)), gradient)
            w -= step
            if np.max(np.abs(step)) < 1e-10:
                break
        return cls(w[1:], float(w[0]), mean, std)

    def predict_proba(self, x) -> np.ndarray:
        """(samples, features) -> (samples,) predicted probability of label 1."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.coef.size:
            raise ValueError(f"x must be (samples, {self.coef.size}), got {x.shape}")
        z = self.intercept + ((x - self.mean) / self.std) @ self.coef
        return 1.0 / (1.0 + np.exp(-z))

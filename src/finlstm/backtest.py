"""Backtest: signals -> positions -> daily returns after transaction costs.

Timing is the part that most often goes wrong, so it is fixed here once: a signal decided
with information up to the close of day t is traded at that close and held through day
t + 1. The position on day t + 1 is the signal of day t, never the same bar's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from finlstm.metrics import max_drawdown, sharpe_ratio, turnover

__all__ = [
    "BacktestResult",
    "backtest",
    "buy_and_hold",
]


@dataclass(frozen=True)
class BacktestResult:
    """Daily series of one backtest, all (T,): positions held, returns before and after
    costs (fractions), costs paid, and equity curves starting from 1."""

    positions: np.ndarray
    gross_returns: np.ndarray
    net_returns: np.ndarray
    costs: np.ndarray
    equity_gross: np.ndarray
    equity_net: np.ndarray

    def summary(self, periods_per_year: int = 252) -> dict[str, float]:
        """Sharpe gross and after costs, maximum drawdown after costs, turnover, total returns."""
        return {
            "sharpe_gross": sharpe_ratio(self.gross_returns, periods_per_year),
            "sharpe_net": sharpe_ratio(self.net_returns, periods_per_year),
            "max_drawdown_net": max_drawdown(self.net_returns),
            "turnover": turnover(self.positions),
            "total_return_gross": float(self.equity_gross[-1] - 1.0),
            "total_return_net": float(self.equity_net[-1] - 1.0),
        }


def backtest(signals, asset_returns, cost_bps: float = 5.0) -> BacktestResult:
    """Trade `signals` on `asset_returns`, paying `cost_bps` per unit of position change.

    Args:
      signals: (T,) in {-1, 0, 1} (short, flat, long); signals[t] uses data up to close t.
      asset_returns: (T,) simple returns, asset_returns[t] from close t-1 to close t.
      cost_bps: cost in basis points (1 bp = 0.01%) per unit traded, per side; going from
        short to long trades 2 units.

    Returns:
      BacktestResult where positions[t] = signals[t - 1] (positions[0] = 0).
    """
    s = np.asarray(signals, dtype=np.float64)
    r = np.asarray(asset_returns, dtype=np.float64)
    if s.shape != r.shape or s.ndim != 1:
        raise ValueError(
            f"signals and asset_returns must be 1-D of one length, got {s.shape} and {r.shape}"
        )
    for name, array in (("signals", s), ("asset_returns", r)):
        if not np.isfinite(array).all():
            raise ValueError(
                f"{name} contain NaN or inf at index {int(np.flatnonzero(~np.isfinite(array))[0])}"
            )
    bad = ~np.isin(s, (-1.0, 0.0, 1.0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"signals must be -1, 0 or 1; got {s[first]} at index {first}")
    if cost_bps < 0:
        raise ValueError(f"cost_bps must be >= 0, got {cost_bps}")
    positions = np.concatenate([[0.0], s[:-1]])  # held on day t: decided at close t - 1
    gross = positions * r
    costs = cost_bps / 1e4 * np.abs(np.diff(positions, prepend=0.0))
    net = gross - costs
    return BacktestResult(positions, gross, net, costs, np.cumprod(1 + gross), np.cumprod(1 + net))


def buy_and_hold(asset_returns, cost_bps: float = 5.0) -> BacktestResult:
    """Always long: the signal is 1 every day, so the position starts on day 1 (one entry
    cost, no exit). The benchmark an active strategy has to beat after costs."""
    r = np.asarray(asset_returns, dtype=np.float64)
    return backtest(np.ones_like(r), r, cost_bps)

"""Leak-free preparation: chronological splits, train-only scaling, windows, walk-forward folds,
and the future realised variance that the volatility lessons forecast.

The rule every function here keeps: nothing fitted sees data from after the training period.
Splits are chronological, the scaler's statistics come from the training rows only, and a
window's target lies strictly after its last input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from finlstm import checks

__all__ = [
    "Fold",
    "MinMaxScaler",
    "SplitBounds",
    "Windows",
    "chronological_split",
    "future_realized_variance",
    "make_windows",
    "walk_forward_folds",
]


@dataclass(frozen=True)
class SplitBounds:
    """Row boundaries of a chronological split: train [0, train_end), validation
    [train_end, val_end), test [val_end, n_rows)."""

    train_end: int
    val_end: int
    n_rows: int

    @property
    def train(self) -> slice:
        return slice(0, self.train_end)

    @property
    def val(self) -> slice:
        return slice(self.train_end, self.val_end)

    @property
    def test(self) -> slice:
        return slice(self.val_end, self.n_rows)


def chronological_split(n_rows: int, train: float = 0.70, val: float = 0.15) -> SplitBounds:
    """Split `n_rows` time-ordered rows into train/validation/test, oldest first.

    The test part gets what is left (0.15 by default). Nothing is shuffled: shuffling before
    the split would put future days in the training set.
    """
    if not (0 < train < 1 and 0 <= val < 1 and train + val < 1):
        raise ValueError(
            f"need 0 < train < 1, 0 <= val and train + val < 1, got train={train}, val={val}"
        )
    train_end = round(n_rows * train)
    val_end = round(n_rows * (train + val))
    if train_end < 1 or val_end >= n_rows or (val > 0 and val_end == train_end):
        raise ValueError(f"{n_rows} rows are too few to split {train}/{val}/{1 - train - val:.2f}")
    return SplitBounds(train_end, val_end, n_rows)


# --8<-- [start:scaler]
@dataclass(frozen=True)
class MinMaxScaler:
    """Scales each feature to [0, 1] using the minimum and maximum of the data it was fitted on.

    Fit it on the training rows only (`MinMaxScaler.fit(x[bounds.train])`); later rows can then
    fall outside [0, 1], which is the honest outcome: the model never saw those levels.
    """

    data_min: np.ndarray  # (features,)
    data_max: np.ndarray  # (features,)

    @classmethod
    def fit(cls, x: np.ndarray) -> MinMaxScaler:
        """x: (rows, features) or (rows,) training data, no NaN."""
        x = _as_2d(x, "x")
        if len(x) < 2:
            raise ValueError(f"need at least 2 rows to fit a scaler, got {len(x)}")
        if np.isnan(x).any():
            raise ValueError("cannot fit a scaler on data with NaN; drop the warm-up rows first")
        data_min, data_max = x.min(axis=0), x.max(axis=0)
        constant = np.flatnonzero(data_max == data_min)
        if constant.size:
            raise ValueError(
                f"feature {int(constant[0])} is constant ({data_min[constant[0]]}) in the "
                "training rows; it carries no information and cannot be min-max scaled"
            )
        return cls(data_min, data_max)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """x: (rows, features) or (rows,) -> same shape, scaled with the fitted statistics."""
        x2 = self._check(x)
        return ((x2 - self.data_min) / (self.data_max - self.data_min)).reshape(np.shape(x))

    def inverse_transform(self, x_scaled: np.ndarray, feature: int | None = None) -> np.ndarray:
        """Undo `transform`. With `feature=k`, `x_scaled` holds values of feature k only
        (any shape), for example a model's predictions of the scaled close."""
        if feature is not None:
            span = self.data_max[feature] - self.data_min[feature]
            return np.asarray(x_scaled) * span + self.data_min[feature]
        x2 = self._check(x_scaled)
        return (x2 * (self.data_max - self.data_min) + self.data_min).reshape(np.shape(x_scaled))

    def _check(self, x: np.ndarray) -> np.ndarray:
        x2 = _as_2d(x, "x")
        if x2.shape[1] != self.data_min.shape[0]:
            raise ValueError(
                f"scaler was fitted on {self.data_min.shape[0]} features, got {x2.shape[1]}"
            )
        return x2


# --8<-- [end:scaler]


def _as_2d(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        return x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must be (rows,) or (rows, features), got shape {x.shape}")
    return x


@dataclass(frozen=True)
class Windows:
    """Supervised pairs cut from a series.

    inputs: (samples, window, features) float32, rows [end - window + 1, end] of the series
    targets: (samples,) float32, the target series at row end + horizon
    target_rows: (samples,) int, the row of each target (for aligning baselines and dates)
    """

    inputs: np.ndarray
    targets: np.ndarray
    target_rows: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)

    def select(self, first_target_row: int, stop_target_row: int) -> Windows:
        """The windows whose target row lies in [first_target_row, stop_target_row)."""
        keep = (self.target_rows >= first_target_row) & (self.target_rows < stop_target_row)
        return Windows(self.inputs[keep], self.targets[keep], self.target_rows[keep])


# --8<-- [start:windows]
def make_windows(
    features: np.ndarray, target: np.ndarray, window: int = 60, horizon: int = 1
) -> Windows:
    """Cut sliding windows of `window` consecutive rows, each labelled `horizon` rows ahead.

    Args:
      features: (rows, features) or (rows,) model inputs, already scaled.
      target: (rows,) the series to predict, aligned with `features` row by row.
      window: rows per input window (timesteps).
      horizon: how many rows after a window's last row its target lies (1 = next day).

    Returns:
      Windows with inputs (rows - window - horizon + 1, window, features). NaN passes
      through (a feature's warm-up rows keep the row numbers aligned; `select` the windows
      after them, as `fit` and `predict` refuse NaN); inf raises InputError.
    """
    checks.window_arguments(features, target, window, horizon)
    x = _as_2d(features, "features")
    y = np.asarray(target, dtype=np.float64)
    n_samples = len(x) - window - horizon + 1
    # A strided view, copied once: sample i covers rows i .. i + window - 1.
    inputs = np.lib.stride_tricks.sliding_window_view(x, window, axis=0)[:n_samples]
    inputs = np.ascontiguousarray(inputs.transpose(0, 2, 1), dtype=np.float32)
    target_rows = np.arange(n_samples) + window - 1 + horizon
    return Windows(inputs, y[target_rows].astype(np.float32), target_rows)


# --8<-- [end:windows]


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold, in rows of the series: train [train_start, train_end), then a
    purge gap, then test [test_start, test_end)."""

    train_start: int
    train_end: int
    test_start: int
    test_end: int

    @property
    def train(self) -> slice:
        return slice(self.train_start, self.train_end)

    @property
    def test(self) -> slice:
        return slice(self.test_start, self.test_end)


def walk_forward_folds(
    n_rows: int,
    *,
    n_folds: int,
    test_size: int,
    window: int,
    horizon: int = 1,
    purge: int | None = None,
    label_days: int = 1,
    mode: Literal["expanding", "rolling"] = "expanding",
    train_size: int | None = None,
) -> list[Fold]:
    """Walk-forward folds: train on the past, skip a purge gap, test on the next block.

    The test blocks are the last `n_folds * test_size` rows, one after another. Each fold
    trains on the windows whose target row lies before its test block minus `purge` rows
    (select them with `Windows.select(fold.train_start, fold.train_end)`). "expanding"
    trains from row 0; "rolling" trains on the `train_size` rows before the gap.

    What the purge is for (López de Prado 2018, ch. 7): a label that spans `label_days` days
    from its target row (a 5-day return, next week's volatility) reads rows up to
    target + label_days - 1, so training labels stay out of the test block only with a purge
    of at least label_days - 1, the minimum enforced here. A 1-day label needs none: a
    training window chosen by its target row never touches the test block. The default,
    window + horizon + label_days - 1, is wider: it also keeps every test window's inputs
    out of the training rows, so no day is both a training label and a test input.
    """
    if label_days < 1:
        raise ValueError(f"label_days must be >= 1, got {label_days}")
    min_purge = label_days - 1
    purge = window + horizon + min_purge if purge is None else purge
    if purge < min_purge:
        raise ValueError(
            f"purge must be at least label_days - 1 = {min_purge} so that no training label "
            f"reaches into the test block, got {purge}"
        )
    if n_folds < 1 or test_size < 1:
        raise ValueError(f"n_folds and test_size must be >= 1, got {n_folds}, {test_size}")
    if mode not in ("expanding", "rolling"):
        raise ValueError(f"mode must be 'expanding' or 'rolling', got {mode!r}")
    if mode == "rolling" and (train_size is None or train_size < 1):
        raise ValueError("mode='rolling' needs train_size >= 1")
    first_test = n_rows - n_folds * test_size
    folds = []
    for k in range(n_folds):
        test_start = first_test + k * test_size
        train_end = test_start - purge
        train_start = 0 if mode == "expanding" else train_end - train_size
        if train_start < 0 or train_end - train_start < window + horizon:
            raise ValueError(
                f"{n_rows} rows are too few for {n_folds} folds of {test_size} test rows with "
                f"a purge of {purge}: fold {k} would train on rows [{train_start}, {train_end})"
            )
        folds.append(Fold(train_start, train_end, test_start, test_start + test_size))
    return folds


def future_realized_variance(returns: np.ndarray, horizon: int) -> np.ndarray:
    """The realised variance of the `horizon` days starting at each row, a forecasting target.

    returns: (days,) daily log returns -> (days,) with row s = r[s]^2 + ... + r[s+horizon-1]^2
    (squared-return units), NaN where fewer than `horizon` days remain. A window whose last
    input is row t is labelled with row t + 1, so its target starts the day after it.
    """
    squared = np.asarray(returns, dtype=float) ** 2
    if squared.ndim != 1:
        raise ValueError(f"returns must be one series (days,), got shape {squared.shape}")
    if not 1 <= horizon <= len(squared):
        raise ValueError(f"horizon must be between 1 and {len(squared)} days, got {horizon}")
    n = len(squared)
    variance = np.full(n, np.nan)
    cumulative = np.concatenate([[0.0], np.cumsum(squared)])
    variance[: n - horizon + 1] = cumulative[horizon:] - cumulative[: n - horizon + 1]
    return variance

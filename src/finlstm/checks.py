"""Checks at the library's boundary: every public entry point calls one of these first.

Each function validates the arguments of one entry point and raises `InputError` naming the
argument, what it got and what was expected, so that bad input stops before it reaches
NumPy, pandas, JAX or Flax (whose errors would name none of these). The functions return
nothing and change nothing.

The errors the library raises on purpose share one base class:

    FinlstmError
      InputError (also a ValueError)        an argument that cannot be used as given
        PriceDataError (finlstm.prices)     price data: names the file, line, row, column
      DataUnavailableError (finlstm.data)   online data could not be fetched (a RuntimeError)
      TrainingDivergedError (finlstm.train) the loss stopped being finite (a FloatingPointError)

`except finlstm.checks.FinlstmError` catches all of them.
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

__all__ = [
    "NAN_POLICIES",
    "FinlstmError",
    "InputError",
    "csv_arguments",
    "date_text",
    "finite",
    "fit_arguments",
    "fit_many_arguments",
    "load_arguments",
    "max_gap",
    "nan_policy",
    "no_empty_axis",
    "numeric_array",
    "positive_number",
    "predict_arguments",
    "predict_many_arguments",
    "text",
    "train_config",
    "train_many_arguments",
    "training_arrays",
    "validate_arguments",
    "whole_number",
    "window_arguments",
]


class FinlstmError(Exception):
    """Base of every error that finlstm raises on purpose."""


class InputError(FinlstmError, ValueError):
    """An argument that cannot be used as given; the message names it and what was expected."""


NAN_POLICIES = ("raise", "ffill", "drop")


# ---- single values ----------------------------------------------------------------------


def whole_number(name: str, value, *, least: int = 1, most: int | None = None) -> None:
    """value must be an int (not a bool, not a float), at least `least`, at most `most`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{name} must be a whole number, got {value!r} ({type(value).__name__})")
    if value < least:
        raise InputError(f"{name} must be at least {least}, got {value}")
    if most is not None and value > most:
        raise InputError(f"{name} must be at most {most}, got {value}")


def positive_number(name: str, value) -> None:
    """value must be a finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"{name} must be a finite number > 0, got {value}")


def text(name: str, value) -> None:
    """value must be a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} must be a non-empty string, got {value!r}")


def date_text(name: str, value) -> pd.Timestamp | None:
    """value must be None or a date pandas can read ("2005-01-31", a Timestamp); returns it."""
    if value is None:
        return None
    if not isinstance(value, str | pd.Timestamp | np.datetime64) and not hasattr(value, "year"):
        raise InputError(f"{name} must be a date such as '2005-01-31', got {value!r}")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{name}: {value!r} is not a date; expected e.g. '2005-01-31'") from None
    if pd.isna(stamp):
        raise InputError(f"{name}: {value!r} is not a date; expected e.g. '2005-01-31'")
    if stamp.tz is not None:
        raise InputError(f"{name}: {value!r} has a time zone; daily dates take none")
    return stamp


def nan_policy(value) -> None:
    if value not in NAN_POLICIES:
        raise InputError(f"nan_policy must be one of {list(NAN_POLICIES)}, got {value!r}")


def max_gap(value) -> None:
    if value is not None:
        whole_number("max_gap", value, least=0)


# ---- entry points of finlstm.data and finlstm.prices -----------------------------------------


def load_arguments(symbol, *, online, fallback, start, end, nan_policy_, timeout, gap) -> None:
    """The arguments of `finlstm.data.load_prices`."""
    text("symbol", symbol)
    if not isinstance(online, bool):
        raise InputError(f"online must be True or False, got {online!r}")
    if fallback is not None:
        text("fallback", fallback)
    first, last = date_text("start", start), date_text("end", end)
    if first is not None and last is not None and first > last:
        raise InputError(f"start ({start}) is after end ({end})")
    nan_policy(nan_policy_)
    positive_number("timeout", timeout)
    max_gap(gap)


def csv_arguments(path, *, nan_policy_, gap) -> None:
    """The arguments of `finlstm.price_csv.read_price_csv`."""
    if not isinstance(path, str | PathLike):
        raise InputError(f"path must be a file path (str or Path), got {type(path).__name__}")
    nan_policy(nan_policy_)
    max_gap(gap)


def validate_arguments(*, required, nan_policy_, min_rows, name, gap) -> None:
    """The options of `finlstm.prices.validate_prices` (the frame itself is checked there)."""
    if isinstance(required, str) or not all(isinstance(c, str) for c in required):
        raise InputError(f"required must be a tuple of column names, got {required!r}")
    nan_policy(nan_policy_)
    whole_number("min_rows", min_rows, least=1)
    text("name", name)
    max_gap(gap)


# ---- arrays --------------------------------------------------------------------------------


def numeric_array(name: str, value, *, ndim: int | tuple[int, ...] | None) -> np.ndarray:
    """value as a NumPy array of real numbers with `ndim` dimensions (one of them, if a
    tuple; any number if None)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise InputError(f"{name}: not an array of numbers ({error})") from None
    if array.dtype.kind not in "biuf":
        raise InputError(f"{name} must hold real numbers, got dtype {array.dtype}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and array.ndim not in allowed:
        expected = " or ".join(f"{n} dimension{'' if n == 1 else 's'}" for n in allowed)
        raise InputError(f"{name} must have {expected}, got shape {array.shape}")
    return array


def no_empty_axis(name: str, array: np.ndarray, axes: tuple[str, ...]) -> None:
    """Every axis of `array` (named by `axes`, in order) must have at least one entry."""
    for size, axis in zip(array.shape, axes, strict=True):
        if size == 0:
            raise InputError(f"{name} has no {axis} (shape {array.shape})")


def finite(name: str, array: np.ndarray, what: str = "sample") -> None:
    """No NaN or inf; the message names the first bad entry along the leading axis."""
    bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
    if bad.any():
        raise InputError(
            f"{name} contain NaN or inf, first in {what} {int(np.flatnonzero(bad)[0])}"
        )


def training_arrays(name: str, x, y, *, min_samples: int) -> None:
    """x: (samples, time, features), y: (samples,), finite, at least `min_samples` samples."""
    x = numeric_array(f"{name} inputs", x, ndim=None)
    if x.ndim != 3:
        raise InputError(f"{name} inputs must be (samples, time, features), got shape {x.shape}")
    y = numeric_array(f"{name} targets", y, ndim=1)
    if len(x) != len(y):
        raise InputError(f"{name} has {len(x)} input windows but {len(y)} targets")
    no_empty_axis(f"{name} inputs", x, ("samples", "time steps", "features"))
    finite(f"{name} inputs", x)
    finite(f"{name} targets", y)
    if len(x) < min_samples:
        raise InputError(
            f"{name} has {len(x)} samples, fewer than one batch of {min_samples}: "
            "no training step would run; lower batch_size or give more samples"
        )


def train_config(config) -> None:
    """The numeric fields of a `finlstm.train.TrainConfig`."""
    for field in ("epochs", "batch_size", "learning_rate", "patience", "loss", "seed"):
        if not hasattr(config, field):
            raise InputError(f"config must be a TrainConfig, got {type(config).__name__}")
    whole_number("config.epochs", config.epochs)
    whole_number("config.batch_size", config.batch_size)
    whole_number("config.patience", config.patience)
    whole_number("config.seed", config.seed, least=0, most=2**32 - 1)
    positive_number("config.learning_rate", config.learning_rate)
    if config.clip_norm is not None:
        positive_number("config.clip_norm", config.clip_norm)
    text("config.loss", config.loss)


def _model(model) -> None:
    if not (hasattr(model, "apply") and hasattr(model, "init")):
        raise InputError(f"model must be a Flax module, got {type(model).__name__}")


def _pair(name: str, value) -> tuple:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise InputError(f"{name} must be a pair (inputs, targets), got {type(value).__name__}")
    return tuple(value)


# ---- entry points of finlstm.train and finlstm.prep ----------------------------------------


def fit_arguments(model, train, val, config) -> None:
    """The arguments of `finlstm.train.fit`."""
    _model(model)
    train_config(config)
    training_arrays("train", *_pair("train", train), min_samples=config.batch_size)
    training_arrays("val", *_pair("val", val), min_samples=1)
    train_shape, val_shape = np.shape(train[0]), np.shape(val[0])
    if train_shape[2] != val_shape[2]:
        raise InputError(
            f"train inputs have {train_shape[2]} features but val inputs {val_shape[2]}"
        )


def fit_many_arguments(model, x, y, config) -> None:
    """The arguments of `finlstm.parallel.fit_many`."""
    _model(model)
    train_config(config)
    x = numeric_array("x", x, ndim=None)
    y = numeric_array("y", y, ndim=None)
    if x.ndim != 4 or y.shape != x.shape[:2]:
        raise InputError(
            f"x must be (models, samples, time, features), or (samples, time, features) for "
            f"one model, and y match its leading axes; got {x.shape} and {y.shape}"
        )
    no_empty_axis("x", x, ("models", "samples", "time steps", "features"))
    for k in range(len(x)):
        training_arrays(f"model {k} train", x[k], y[k], min_samples=config.batch_size)


def predict_arguments(model, x, batch_size) -> None:
    """The arguments of `finlstm.train.predict`."""
    _model(model)
    x = numeric_array("x", x, ndim=3)
    no_empty_axis("x", x, ("samples", "time steps", "features"))
    finite("x", x)
    whole_number("batch_size", batch_size)


def predict_many_arguments(model, x) -> None:
    """The arguments of `finlstm.parallel.predict_many`."""
    _model(model)
    x = numeric_array("x", x, ndim=4)
    no_empty_axis("x", x, ("models", "samples", "time steps", "features"))
    finite("x", x, what="model")


def train_many_arguments(init_fn, loss_fn, keys, steps) -> None:
    """The arguments of `finlstm.parallel.train_many`."""
    for name, function in (("init_fn", init_fn), ("loss_fn", loss_fn)):
        if not callable(function):
            raise InputError(f"{name} must be a function, got {type(function).__name__}")
    if np.ndim(keys) < 1 or len(keys) == 0:
        raise InputError(f"keys must hold one PRNG key per model (at least one), got {keys!r}")
    whole_number("steps", steps)


def window_arguments(features, target, window, horizon) -> None:
    """The arguments of `finlstm.prep.make_windows`. NaN may pass (warm-up rows keep the row
    numbers aligned; select them away), inf may not."""
    x = numeric_array("features", features, ndim=(1, 2))
    y = numeric_array("target", target, ndim=1)
    no_empty_axis("features", x, ("rows", "columns")[: x.ndim])
    if len(y) != len(x):
        raise InputError(f"target must have shape ({len(x)},) to match features, got {y.shape}")
    largest = np.finfo(np.float32).max  # windows are float32
    for name, array in (("features", x), ("target", y)):
        with np.errstate(invalid="ignore"):
            too_big = (np.abs(array.astype(np.float64)) > largest).reshape(len(array), -1)
        if too_big.any():
            row = int(np.flatnonzero(too_big.any(axis=1))[0])
            raise InputError(f"{name} contain inf or a value beyond float32, first in row {row}")
    whole_number("window", window)
    whole_number("horizon", horizon)
    if len(x) < window + horizon:
        raise InputError(
            f"need at least window + horizon = {window + horizon} rows for one window, got {len(x)}"
        )

"""Tests of finlstm.prep: chronological splits, train-only scaling, windows, walk-forward folds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finlstm.prep import (
    MinMaxScaler,
    chronological_split,
    make_windows,
    walk_forward_folds,
)


def test_split_is_chronological_and_covers_every_row_once():
    bounds = chronological_split(1000)
    assert (bounds.train_end, bounds.val_end) == (700, 850)
    rows = np.arange(1000)
    parts = [rows[bounds.train], rows[bounds.val], rows[bounds.test]]
    assert np.array_equal(np.concatenate(parts), rows)
    assert parts[0].max() < parts[1].min() and parts[1].max() < parts[2].min()


@pytest.mark.parametrize(("train", "val"), [(0.0, 0.1), (0.9, 0.1), (1.2, 0.0), (0.5, -0.1)])
def test_split_rejects_impossible_fractions(train, val):
    with pytest.raises(ValueError, match="train"):
        chronological_split(100, train, val)


def test_scaler_uses_training_statistics_only():
    train, test = np.array([10.0, 20.0, 15.0]), np.array([25.0, 5.0])
    scaler = MinMaxScaler.fit(train)
    assert scaler.transform(train).min() == 0.0 and scaler.transform(train).max() == 1.0
    # Later values outside the training range stay outside [0, 1]: no peeking at the test set.
    assert np.allclose(scaler.transform(test), [1.5, -0.5])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=50))
def test_inverse_transform_undoes_transform(values):
    x = np.array(values)
    if np.ptp(x) < 1e-3:
        return
    scaler = MinMaxScaler.fit(x)
    assert np.allclose(scaler.inverse_transform(scaler.transform(x)), x, rtol=1e-9, atol=1e-6)
    assert np.allclose(scaler.inverse_transform(scaler.transform(x)[:, None], feature=0)[:, 0], x)


def test_scaler_errors_name_the_problem():
    with pytest.raises(ValueError, match="feature 1 is constant"):
        MinMaxScaler.fit(np.array([[1.0, 2.0], [3.0, 2.0]]))
    with pytest.raises(ValueError, match="NaN"):
        MinMaxScaler.fit(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="fitted on 2 features, got 3"):
        MinMaxScaler.fit(np.eye(2)).transform(np.eye(3))


def test_windows_have_the_documented_shape_and_alignment():
    series = np.arange(100, dtype=float)
    features = np.stack([series, -series], axis=1)
    windows = make_windows(features, series, window=10, horizon=3)
    assert windows.inputs.shape == (100 - 10 - 3 + 1, 10, 2)
    assert windows.inputs.dtype == np.float32
    # Sample 0 sees rows 0..9 and is labelled with row 9 + 3 = 12.
    assert np.array_equal(windows.inputs[0, :, 0], np.arange(10))
    assert windows.targets[0] == 12 and windows.target_rows[0] == 12
    # The target always lies `horizon` rows after the window's last input.
    assert np.all(windows.targets - windows.inputs[:, -1, 0] == 3)


def test_too_few_rows_for_the_window_is_a_clear_error():
    with pytest.raises(ValueError, match="need at least window \\+ horizon = 61 rows"):
        make_windows(np.ones(60), np.ones(60), window=60, horizon=1)


def test_select_keeps_windows_by_target_row():
    windows = make_windows(np.arange(50.0), np.arange(50.0), window=5)
    part = windows.select(20, 30)
    assert part.target_rows.tolist() == list(range(20, 30))


@settings(max_examples=40, deadline=None)
@given(
    prices=st.lists(st.floats(1.0, 1000.0), min_size=40, max_size=120),
    cut=st.integers(20, 35),
    noise=st.floats(-50, 50).filter(lambda v: abs(v) > 1e-3),
)
def test_perturbing_prices_after_t_changes_no_scaled_value_or_window_ending_by_t(
    prices, cut, noise
):
    """The no-look-ahead law: with the scaler fitted on rows < `cut`, changing any price after
    row t = cut - 1 changes neither scaled values nor windows whose inputs end at or before t."""
    x = np.array(prices)
    if np.ptp(x[:cut]) < 1e-6:
        return
    changed = x.copy()
    changed[cut:] += noise

    def prepare(series):
        scaled = MinMaxScaler.fit(series[:cut]).transform(series)
        return scaled, make_windows(scaled, scaled, window=10, horizon=1)

    (scaled_a, windows_a), (scaled_b, windows_b) = prepare(x), prepare(changed)
    assert np.array_equal(scaled_a[:cut], scaled_b[:cut])
    ends_by_t = windows_a.target_rows - 1 <= cut - 1
    assert np.array_equal(windows_a.inputs[ends_by_t], windows_b.inputs[ends_by_t])


@pytest.mark.parametrize("mode", ["expanding", "rolling"])
def test_walk_forward_folds_are_ordered_and_purged(mode):
    folds = walk_forward_folds(
        1000, n_folds=4, test_size=100, window=60, horizon=1, mode=mode, train_size=300
    )
    assert [f.test_start for f in folds] == [600, 700, 800, 900]
    for fold in folds:
        assert fold.test_start - fold.train_end == 61  # default purge: window + horizon
        assert fold.train_start == (0 if mode == "expanding" else fold.train_end - 300)
    assert folds[-1].test_end == 1000


def test_walk_forward_rejects_a_short_purge_and_too_little_data():
    with pytest.raises(ValueError, match="purge must be at least label_days - 1 = 4"):
        walk_forward_folds(1000, n_folds=2, test_size=100, window=60, purge=3, label_days=5)
    with pytest.raises(ValueError, match="too few for 5 folds"):
        walk_forward_folds(400, n_folds=5, test_size=70, window=60)


@pytest.mark.parametrize("label_days", [1, 5])
def test_the_minimum_purge_keeps_every_training_label_out_of_the_test_block(label_days):
    """A window chosen by its target row reads its label from rows target .. target +
    label_days - 1; with the smallest purge allowed, none of them is a test row."""
    series = np.arange(1000, dtype=float)
    windows = make_windows(series, series, window=20, horizon=1)
    folds = walk_forward_folds(
        1000, n_folds=3, test_size=100, window=20, purge=label_days - 1, label_days=label_days
    )
    for fold in folds:
        train = windows.select(fold.train_start, fold.train_end)
        last_label_row = train.target_rows.max() + label_days - 1
        assert last_label_row == fold.test_start - 1  # as close as possible, never inside
        assert train.inputs.max() < fold.test_start  # inputs are rows before the target

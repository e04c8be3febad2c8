"""The Keras tab of the Module 3 page runs: the model in examples/keras_price_model.py has
exactly the course model's parameters and learns on real windows in a tiny fit."""

from __future__ import annotations

import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

from finlstm.data import load_prices  # noqa: E402
from finlstm.models import ModelConfig, StackedLSTM, count_params  # noqa: E402
from finlstm.prep import MinMaxScaler, chronological_split, make_windows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def example():
    from examples import keras_price_model

    return keras_price_model


def test_keras_runs_on_the_jax_backend(example):
    assert keras.backend.backend() == "jax"


@pytest.mark.parametrize("features", [1, 5])
def test_keras_model_has_the_course_models_parameters(example, features):
    keras_model = example.build_keras_model(window=60, features=features)
    flax_params = StackedLSTM(ModelConfig()).init(jax.random.key(0), jnp.zeros((1, 60, features)))[
        "params"
    ]
    assert keras_model.count_params() == count_params(flax_params)


@pytest.mark.slow
def test_a_tiny_fit_lowers_the_loss_on_real_windows(example):
    keras.utils.set_random_seed(0)
    close = load_prices("sp500")["Close"].to_numpy()[:600]
    bounds = chronological_split(len(close))
    scaler = MinMaxScaler.fit(close[bounds.train])
    scaled = scaler.transform(close)
    train = make_windows(scaled, scaled, window=20).select(0, bounds.train_end)
    model = example.build_keras_model(window=20, features=1)
    before = model.evaluate(train.inputs, train.targets, verbose=0)
    history = model.fit(train.inputs, train.targets, epochs=3, batch_size=64, verbose=0)
    after = model.evaluate(train.inputs, train.targets, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert after < before
    assert model.predict(train.inputs[:4], verbose=0).shape == (4, 1)

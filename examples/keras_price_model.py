"""The course's price model in Keras 3 on the JAX backend, layer for layer the same as
finlstm.models.StackedLSTM with its default ModelConfig; tests/test_keras_model.py fits it.

Shown on the Module 3 page beside the Flax model, for readers who know Keras.
"""

# --8<-- [start:model]
import os

os.environ.setdefault("KERAS_BACKEND", "jax")  # must be set before keras is imported

import keras


def build_keras_model(window: int = 60, features: int = 1) -> keras.Model:
    """(batch, window, features) -> (batch, 1): LSTM(128) -> Dropout -> LSTM(64) -> Dropout
    -> Dense(25) -> Dense(1), compiled with Adam (gradients clipped to norm 1) and MSE."""
    model = keras.Sequential(
        [
            keras.Input((window, features)),
            keras.layers.LSTM(128, return_sequences=True),  # h at every step, for LSTM(64)
            keras.layers.Dropout(0.2),
            keras.layers.LSTM(64),  # only the last step's h
            keras.layers.Dropout(0.2),
            keras.layers.Dense(25),  # linear, as in the outline
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0), loss="mse")
    return model


model = build_keras_model(window=60, features=5)
model.summary()
# --8<-- [end:model]

"""The benchmark's implementations of the course model's train step: finlstm (fast and
autodiff layers, batch split or one device), Flax nn.RNN, PyTorch and Keras.

Each `make_*(features, batch)` returns (step(x, y) -> None, forward(x) -> None); both
block until their result is ready. `bench/run.py` times them; `bench/report.py` writes the
results up.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import numpy as np

from bench import DENSE, HIDDEN, WINDOW


def forward_flops(batch: int, features: int) -> float:
    """Multiply-adds x 2 of the model's matmuls for one forward pass of a batch."""
    flops, inputs = 0.0, features
    for hidden in HIDDEN:
        flops += 2 * batch * WINDOW * (inputs + hidden) * 4 * hidden
        inputs = hidden
    flops += 2 * batch * (HIDDEN[-1] * DENSE + DENSE)
    return flops


def matmul_peak_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Measured float32 matmul rate (XLA, all threads), GFLOP/s."""
    a = jnp.ones((n, n), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f(a).block_until_ready()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times) / 1e9


def make_finlstm(features: int, batch: int, fast: bool = True, split: bool = True):
    """The course model in finlstm. split: each batch shared by the XLA devices (one per
    CPU core), as `finlstm.train.fit` does (`jit_train_step`); otherwise one device."""
    from finlstm.losses import LOSSES
    from finlstm.models import ModelConfig, StackedLSTM
    from finlstm.train import (
        TrainConfig,
        init_params,
        jit_forward,
        jit_train_step,
        make_optimizer,
        make_train_step,
    )

    model = StackedLSTM(ModelConfig(fast=fast))
    config = TrainConfig()
    optimizer = make_optimizer(config)
    if split:
        step = jit_train_step(model, optimizer, LOSSES["mse"], batch)
        forward = jit_forward(model, 1024)
    else:
        step = jax.jit(make_train_step(model, optimizer, LOSSES["mse"]), donate_argnums=0)
        forward = jax.jit(lambda p, x: model.apply({"params": p}, x))
    params = init_params(model, jax.random.key(0), jnp.zeros((1, WINDOW, features)))
    state = [(params, optimizer.init(params), jax.random.key(1))]

    def train(x, y):
        state[0], loss = step(state[0], (x, y))
        loss.block_until_ready()

    def infer(x):
        forward(state[0][0], x).block_until_ready()

    return train, infer


def make_finlstm_one_device(features: int, batch: int):
    """finlstm's layer on one XLA device: what the batch split adds."""
    return make_finlstm(features, batch, split=False)


def make_finlstm_autodiff(features: int, batch: int):
    """finlstm's reference layer (`lstm_layer`, differentiated by JAX) on one device: the
    before picture."""
    return make_finlstm(features, batch, fast=False, split=False)


def make_finlstm_autodiff_split(features: int, batch: int):
    """The reference layer with the batch split: autodiff adds to the weight gradients at
    every step of the backward loop, so the devices add up their shares at every step."""
    return make_finlstm(features, batch, fast=False)


def flax_model():
    """The course model in plain Flax (`nn.RNN` over `nn.OptimizedLSTMCell`), called as
    `model.apply({"params": p}, x, train=..., rngs=...)` on (batch, time, features)."""
    import flax.linen as nn

    class FlaxModel(nn.Module):
        @nn.compact
        def __call__(self, x, *, train=False):
            h = nn.RNN(nn.OptimizedLSTMCell(HIDDEN[0]))(x)
            h = nn.Dropout(0.2, deterministic=not train)(h)
            h = nn.RNN(nn.OptimizedLSTMCell(HIDDEN[1]))(h)[:, -1]
            h = nn.Dropout(0.2, deterministic=not train)(h)
            return nn.Dense(1)(nn.Dense(DENSE)(h))

    return FlaxModel()


def flax_optimizer():
    """Adam 1e-3 with the gradient norm clipped at 1, as `finlstm.fit` trains."""
    import optax

    return optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-3))


def flax_train_step(model, optimizer):
    """The jitted step (params, opt_state, key, x, y) -> (params, opt_state, key, loss)."""
    import optax

    @jax.jit
    def step(params, opt_state, key, x, y):
        key, dropout = jax.random.split(key)

        def loss(p):
            out = model.apply({"params": p}, x, train=True, rngs={"dropout": dropout})
            return jnp.mean((out[:, 0] - y) ** 2)

        value, grads = jax.value_and_grad(loss)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, key, value

    return step


def make_flax_rnn(features: int, batch: int):
    model, optimizer = flax_model(), flax_optimizer()
    params = model.init(jax.random.key(0), jnp.zeros((1, WINDOW, features)))["params"]
    step = flax_train_step(model, optimizer)
    state = [params, optimizer.init(params), jax.random.key(1)]
    forward = jax.jit(lambda p, x: model.apply({"params": p}, x))

    def train(x, y):
        *state[:3], loss = step(*state, x, y)
        loss.block_until_ready()

    def infer(x):
        forward(state[0], x).block_until_ready()

    return train, infer


def torch_device() -> str:
    """PyTorch runs where JAX runs: on the GPU (cuDNN's LSTM) when JAX found one."""
    import torch

    return "cuda" if jax.default_backend() == "gpu" and torch.cuda.is_available() else "cpu"


def make_torch(features: int, batch: int):
    import torch

    from bench import torch_model

    device = torch_device()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    model, optimizer = torch_model.make_model(features, seed=0, device=device)

    def train(x, y):
        torch_model.train_step(model, optimizer, x, y)
        sync()  # GPU work is asynchronous: time it to the end

    def infer(x):
        model.eval()
        with torch.no_grad():
            model(x)
        sync()

    return train, infer


def keras_model(features: int, seed: int = 0):
    """The course model in Keras 3 (the outline's code), compiled with Adam 1e-3, the
    gradient norm clipped at 1, and MSE."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((WINDOW, features)),
            keras.layers.LSTM(HIDDEN[0], return_sequences=True),
            keras.layers.Dropout(0.2),
            keras.layers.LSTM(HIDDEN[1]),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(DENSE),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0), loss="mse")
    return model


def make_keras(features: int, batch: int):
    model = keras_model(features)

    def train(x, y):
        model.train_on_batch(x, y)

    def infer(x):
        model.predict_on_batch(x)

    return train, infer


IMPLEMENTATIONS = {
    "finlstm": (make_finlstm, "jax"),
    "finlstm, one device": (make_finlstm_one_device, "jax"),
    "finlstm, autodiff": (make_finlstm_autodiff, "jax"),
    "finlstm, autodiff, split": (make_finlstm_autodiff_split, "jax"),
    "flax nn.RNN": (make_flax_rnn, "jax"),
    "pytorch nn.LSTM": (make_torch, "torch"),
    "keras 3 (jax)": (make_keras, "numpy"),
}


def batch_data(kind: str, batch: int, features: int):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, WINDOW, features)).astype(np.float32)
    y = rng.standard_normal(batch).astype(np.float32)
    if kind == "jax":
        return jnp.asarray(x), jnp.asarray(y)
    if kind == "torch":
        import torch

        device = torch_device()
        return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    return x, y


def available() -> dict:
    found = {}
    for name, (make, kind) in IMPLEMENTATIONS.items():
        try:
            if kind == "torch":
                import torch  # noqa: F401
            if name.startswith("keras"):
                import keras  # noqa: F401
            found[name] = (make, kind)
        except ImportError as error:
            print(f"skipping {name}: {error} (make bench installs it)")
    return found

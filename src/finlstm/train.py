"""Training: a jitted epoch, early stopping on validation, seeded and repeatable.

`fit(model, train, val, config)` is the one entry point. An epoch is one compiled program:
the shuffle and every optimiser step run inside `jax.lax.scan`, so Python is not in the
inner loop. All randomness (initialisation, shuffling, dropout) comes from one seed, split
explicitly, so two runs with the same seed give the same numbers. On a CPU every batch is
split over the cores, one XLA device each (`batch_mesh`), and many models (`fit_many`,
`train_many`) are split over them too, each core training its share in turn; the numbers
are the same as on one device up to float rounding.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from finlstm import checks
from finlstm.checks import FinlstmError

Array = jax.Array


class TrainingDivergedError(FinlstmError, FloatingPointError):
    """The training loss stopped being a finite number."""


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Defaults follow the course: Adam 1e-3, batch 64, patience 5."""

    epochs: int = 50
    batch_size: int = 64
    learning_rate: float = 1e-3
    patience: int = 5  # epochs without a better validation loss before stopping
    clip_norm: float | None = 1.0  # global gradient-norm clipping; None turns it off
    # "mse", "bce" (binary, logits), "cross_entropy" (classes, logits) or "qlike" (outputs
    # are log variances, targets variance proxies > 0)
    loss: str = "mse"
    seed: int = 0
    progress: bool = True  # a tqdm bar over epochs


@dataclass
class FitResult:
    """What `fit` returns: the best parameters (by validation loss) and the loss history."""

    params: dict
    history: dict[str, list[float]] = field(default_factory=dict)  # train_loss, val_loss
    best_epoch: int = 0  # 1-based epoch whose parameters were kept
    stopped_early: bool = False


def mse_loss(outputs: Array, targets: Array) -> Array:
    """outputs: (batch, 1) predictions; targets: (batch,) -> mean squared error."""
    return jnp.mean((outputs[:, 0] - targets) ** 2)


def bce_loss(outputs: Array, targets: Array) -> Array:
    """outputs: (batch, 1) logits; targets: (batch,) in {0, 1} -> binary cross-entropy."""
    return jnp.mean(optax.sigmoid_binary_cross_entropy(outputs[:, 0], targets))


def cross_entropy_loss(outputs: Array, targets: Array) -> Array:
    """outputs: (batch, classes) logits; targets: (batch,) class ids -> cross-entropy."""
    labels = targets.astype(jnp.int32)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(outputs, labels))


def qlike_loss(outputs: Array, targets: Array) -> Array:
    """outputs: (batch, 1) forecasts of log variance; targets: (batch,) realised variance
    proxies > 0 -> mean QLIKE (Patton 2011) up to a constant that depends on the targets only:
    targets * exp(-outputs) + outputs. Minimised when exp(outputs) is the expected variance."""
    log_variance = outputs[:, 0]
    return jnp.mean(targets * jnp.exp(-log_variance) + log_variance)


LOSSES: dict[str, Callable[[Array, Array], Array]] = {
    "mse": mse_loss,
    "bce": bce_loss,
    "cross_entropy": cross_entropy_loss,
    "qlike": qlike_loss,
}


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Adam, after clipping the global gradient norm (keeps one bad batch from blowing up)."""
    adam = optax.adam(config.learning_rate)
    if config.clip_norm is None:
        return adam
    return optax.chain(optax.clip_by_global_norm(config.clip_norm), adam)


def init_params(model: nn.Module, key: Array, sample_input: Array) -> dict:
    """Initialise the model's parameters from one example batch (only its shape is used)."""
    return model.init(key, sample_input[:1], train=False)["params"]


def make_train_step(model: nn.Module, optimizer, loss_fn) -> Callable:
    """The optimiser step, a pure function: ((params, opt_state, key), (x, y)) ->
    ((params, opt_state, key), loss), with x: (batch, time, features), y: (batch,).

    The same step serves the jitted epoch below (and so `fit` and `fit_many`) and
    `finlstm.parallel` (under `jax.vmap`, jitted with shardings over devices).
    """

    def step(carry, batch):
        params, opt_state, key = carry
        x, y = batch
        key, dropout_key = jax.random.split(key)

        def batch_loss(p):
            outputs = model.apply({"params": p}, x, train=True, rngs={"dropout": dropout_key})
            return loss_fn(outputs, y)

        loss, grads = jax.value_and_grad(batch_loss)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state, key), loss

    return step


# The smallest share of a batch that a device gets. Measured on 2 cores only: 32 rows each
# (batch 64) made the course model's step 1.4x faster. Below some share, a core's products
# are too small to pay for the sum across devices; where that is on a machine with many
# cores was not measured, so the split stops at the share that was.
MIN_ROWS_PER_DEVICE = 32


def batch_mesh(batch_size: int) -> Mesh | None:
    """The devices that share every batch of `batch_size` rows: a one-axis ("data") mesh
    over the largest number of JAX's local devices that divides batch_size and leaves each
    at least MIN_ROWS_PER_DEVICE rows, or None when that is a single device.

    On a CPU, importing finlstm makes each core an XLA device, because XLA runs the steps
    of a `lax.scan` on one core (see `finlstm/__init__.py`); a GPU machine has one device
    and nothing is split. A split batch gives the same numbers as one device up to the
    order of floating-point sums: dropout masks are drawn for the whole batch (JAX's
    random bits do not depend on how an array is laid out over devices), each device
    computes the gradient of its rows, and XLA adds the devices' shares (an all-reduce).
    """
    return _mesh_dividing(batch_size, "data", most=batch_size // MIN_ROWS_PER_DEVICE)


def _mesh_dividing(n: int, axis: str, most: int | None = None) -> Mesh | None:
    """A one-axis mesh over the most local devices (at most `most`) that divide n evenly;
    None for one."""
    devices = jax.local_devices()
    most = len(devices) if most is None else max(1, min(most, len(devices)))
    count = max(k for k in range(1, most + 1) if n % k == 0)
    return None if count == 1 else Mesh(np.array(devices[:count]), (axis,))


def jit_train_step(model: nn.Module, optimizer, loss_fn, batch_size: int) -> Callable:
    """`make_train_step` jitted for batches of `batch_size` rows, each batch split over the
    devices of `batch_mesh(batch_size)`; parameters and optimiser state are replicated on
    them. The carry argument is donated (its buffers are reused for the result)."""
    step = make_train_step(model, optimizer, loss_fn)
    mesh = batch_mesh(batch_size)
    if mesh is None:
        return jax.jit(step, donate_argnums=0)
    replicated, rows = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))
    return jax.jit(
        step, in_shardings=(replicated, rows), out_shardings=replicated, donate_argnums=0
    )


def make_train_epoch(
    model: nn.Module, optimizer, loss_fn, batch_size: int, mesh: Mesh | None = None
) -> Callable:
    """Build the jitted epoch: shuffle the training set, then one optimiser step per batch.

    The last partial batch is dropped (a different one each epoch, as the order is
    shuffled), so every step has the same shape and compiles once. With a `mesh` (from
    `batch_mesh`), every batch is split over its devices.
    """
    step = make_train_step(model, optimizer, loss_fn)

    def train_epoch(params, opt_state, key, x, y):
        key, shuffle_key = jax.random.split(key)
        n_batches = x.shape[0] // batch_size
        order = jax.random.permutation(shuffle_key, x.shape[0])[: n_batches * batch_size]
        xb = x[order].reshape(n_batches, batch_size, *x.shape[1:])
        yb = y[order].reshape(n_batches, batch_size, *y.shape[1:])
        if mesh is not None:  # (batches, rows, ...): each device gets its rows of each batch
            rows = NamedSharding(mesh, P(None, "data"))
            xb, yb = jax.lax.with_sharding_constraint((xb, yb), rows)
        (params, opt_state, key), losses = jax.lax.scan(step, (params, opt_state, key), (xb, yb))
        return params, opt_state, key, losses.mean()

    if mesh is None:
        return jax.jit(train_epoch)
    replicated = NamedSharding(mesh, P())
    return jax.jit(train_epoch, in_shardings=replicated, out_shardings=replicated)


@functools.lru_cache(maxsize=32)
def jit_forward(model: nn.Module, batch_size: int) -> Callable:
    """The model's outputs with dropout off, (params, x (batch_size, time, features)) ->
    (batch_size, outputs), jitted, with the rows split over the devices of
    `batch_mesh(batch_size)`."""

    def forward(params, x):
        return model.apply({"params": params}, x, train=False)

    mesh = batch_mesh(batch_size)
    if mesh is None:
        return jax.jit(forward)
    rows = NamedSharding(mesh, P("data"))
    return jax.jit(forward, in_shardings=(NamedSharding(mesh, P()), rows), out_shardings=rows)


def predict(model: nn.Module, params: dict, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Model outputs for x: (samples, time, features) -> (samples, outputs), dropout off.

    Runs in fixed-size chunks, the last one padded, so any number of samples uses one
    compiled program; each chunk is split over the devices of `batch_mesh`. x must hold at
    least one sample and no NaN or inf (InputError names the first bad sample).
    """
    checks.predict_arguments(model, x, batch_size)
    x = np.asarray(x, dtype=np.float32)
    devices = len(jax.local_devices())
    chunk = -(-min(batch_size, len(x)) // devices) * devices  # a multiple of the devices
    forward = jit_forward(model, chunk)  # split where each device gets enough rows
    outputs = []
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk]
        padded = np.concatenate([part, np.repeat(part[-1:], chunk - len(part), axis=0)])
        outputs.append(np.asarray(forward(params, padded))[: len(part)])
    return np.concatenate(outputs)


def evaluate(model: nn.Module, params: dict, x, y, loss: str = "mse") -> float:
    """The loss of `params` on (x, y), dropout off."""
    outputs = predict(model, params, x)
    return float(LOSSES[loss](jnp.asarray(outputs), jnp.asarray(y)))


def fit(
    model: nn.Module,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    config: TrainConfig = TrainConfig(),
    params: dict | None = None,
) -> FitResult:
    """Train `model` on `train`, stopping early on the loss over `val` (never the test set).

    Args:
      model: a Flax module called as `model(x, train=...)`.
      train, val: (inputs (samples, time, features), targets (samples,)) arrays.
      config: TrainConfig.
      params: optional starting parameters (default: initialised from `config.seed`).

    Returns:
      FitResult with the parameters of the epoch with the lowest validation loss and the
      per-epoch history of train_loss and val_loss.
    """
    checks.fit_arguments(model, train, val, config)
    # Plain tqdm (text), not tqdm.auto: the notebook widget needs ipywidgets, and lessons
    # train with progress=False anyway.
    from tqdm import tqdm

    x_train, y_train = (np.asarray(a, dtype=np.float32) for a in train)
    x_val, y_val = (np.asarray(a, dtype=np.float32) for a in val)
    if config.loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {config.loss!r}")

    init_key, train_key = jax.random.split(jax.random.key(config.seed))
    params = init_params(model, init_key, x_train) if params is None else params
    opt_state = make_optimizer(config).init(params)
    train_epoch = _train_epoch_for(model, _what_the_epoch_depends_on(config))
    x_train_device, y_train_device = jnp.asarray(x_train), jnp.asarray(y_train)

    result = FitResult(params=params, history={"train_loss": [], "val_loss": []})
    best_val, waited = np.inf, 0
    bar = tqdm(range(1, config.epochs + 1), disable=not config.progress, desc="epochs")
    for epoch in bar:
        params, opt_state, train_key, train_loss = train_epoch(
            params, opt_state, train_key, x_train_device, y_train_device
        )
        train_loss = float(train_loss)
        if not np.isfinite(train_loss):
            raise TrainingDivergedError(
                f"training loss became {train_loss} in epoch {epoch}; lower learning_rate "
                f"(now {config.learning_rate}) or check the inputs' scale"
            )
        val_loss = evaluate(model, params, x_val, y_val, config.loss)
        result.history["train_loss"].append(train_loss)
        result.history["val_loss"].append(val_loss)
        bar.set_postfix(train=f"{train_loss:.5f}", val=f"{val_loss:.5f}")
        if val_loss < best_val:
            best_val, waited = val_loss, 0
            result.params, result.best_epoch = params, epoch
        else:
            waited += 1
            if waited >= config.patience:
                result.stopped_early = True
                break
    bar.close()
    return result


def _what_the_epoch_depends_on(config: TrainConfig) -> TrainConfig:
    """config with the fields that do not change the compiled epoch set to their defaults:
    fits that differ only in seed, epoch count, patience or progress bar share a program."""
    return replace(config, seed=0, epochs=1, patience=1, progress=False)


@functools.lru_cache(maxsize=32)
def _train_epoch_for(model: nn.Module, config: TrainConfig) -> Callable:
    """`make_train_epoch` for `fit`, built once per model and training settings, so that a
    second fit (another seed, Lesson 4's three) reuses the compiled epoch."""
    optimizer = make_optimizer(config)
    loss_fn = LOSSES[config.loss]
    return make_train_epoch(
        model, optimizer, loss_fn, config.batch_size, batch_mesh(config.batch_size)
    )


def train_many(
    init_fn: Callable[[Array], dict],
    loss_fn: Callable[[dict, Array], Array],
    keys: Array,
    *,
    steps: int,
    optimizer: optax.GradientTransformation,
) -> tuple[dict, Array]:
    """Train one independent model per key in one compiled program: a `jax.lax.scan`
    over optimiser steps for each model, the models split over the devices (on a CPU each
    device trains its models in turn, on a GPU `jax.vmap` batches them: the faster of
    the two on each, as measured on the "How fast is it?" page).

    Suited to synthetic tasks whose batches are drawn from a key (the adding problem) and
    to many seeds of one small model.

    Args:
      init_fn: key -> parameters of one model.
      loss_fn: (parameters, key) -> scalar loss on a batch that the function draws from key.
      keys: (models,) PRNG keys, one per model; each is split into init and batch keys.
      steps: optimiser steps per model.
      optimizer: an optax transformation (e.g. `make_optimizer(TrainConfig(...))`).

    Returns:
      (parameters stacked on a leading models axis, losses (models, steps)).
    """
    checks.train_many_arguments(init_fn, loss_fn, keys, steps)

    def train_one(key):
        init_key, data_key = jax.random.split(key)
        params = init_fn(init_key)

        def step(carry, batch_key):
            params, opt_state = carry
            loss, grads = jax.value_and_grad(loss_fn)(params, batch_key)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss

        carry = (params, optimizer.init(params))
        (params, _), losses = jax.lax.scan(step, carry, jax.random.split(data_key, steps))
        return params, losses

    return _over_models(train_one, len(keys))(keys)


def fit_many(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    config: TrainConfig = TrainConfig(),
) -> tuple[dict, np.ndarray]:
    """Train one model per leading index of x and y in one compiled program: a
    `jax.lax.scan` over `config.epochs` epochs for each model, the models split over the
    devices (on a CPU each device trains its models in turn, on a GPU `jax.vmap` batches
    them: the faster of the two on each, as measured on the "How fast is it?" page).

    For walk-forward folds or sub-periods of equal size. There is no validation set and no
    early stopping: every model trains for exactly `config.epochs` epochs, a number that
    must be chosen before looking at any test data.

    Args:
      x: (models, samples, time, features) inputs; y: (models, samples) targets.
      config: TrainConfig; model k is seeded with fold_in(key(config.seed), k).

    Returns:
      (parameters stacked on a leading models axis, training loss (models, epochs)).
    """
    checks.fit_many_arguments(model, x, y, config)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if config.loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {config.loss!r}")
    optimizer = make_optimizer(config)
    train_epoch = make_train_epoch(model, optimizer, LOSSES[config.loss], config.batch_size)

    def train_one(key, x_one, y_one):
        init_key, train_key = jax.random.split(key)
        params = init_params(model, init_key, x_one[:1])

        def epoch(carry, _):
            params, opt_state, key = carry
            params, opt_state, key, loss = train_epoch(params, opt_state, key, x_one, y_one)
            return (params, opt_state, key), loss

        carry = (params, optimizer.init(params), train_key)
        (params, _, _), losses = jax.lax.scan(epoch, carry, None, length=config.epochs)
        return params, losses

    base = jax.random.key(config.seed)
    keys = jax.vmap(lambda k: jax.random.fold_in(base, k))(jnp.arange(len(x)))
    params, losses = _over_models(train_one, len(x))(keys, x, y)
    losses = np.asarray(losses)
    if not np.isfinite(losses).all():
        bad = int(np.flatnonzero(~np.isfinite(losses).all(axis=1))[0])
        raise TrainingDivergedError(f"model {bad}'s training loss stopped being finite")
    return params, losses


def predict_many(model: nn.Module, params: dict, x: np.ndarray) -> np.ndarray:
    """Outputs of stacked models on their own inputs, dropout off.

    params: stacked on a leading models axis (from `fit_many`); x: (models, samples, time,
    features) -> (models, samples, outputs).
    """
    checks.predict_many_arguments(model, x)

    def forward(p, xs):
        return model.apply({"params": p}, xs, train=False)

    x = np.asarray(x, dtype=np.float32)
    return np.asarray(_over_models(forward, len(x))(params, x))


def _over_models(one_model: Callable, n_models: int) -> Callable:
    """`one_model`, a function of one model's arguments, jitted for arguments and results
    stacked on a leading models axis of length n_models, split over the devices of a mesh
    that divides n_models (on a 2-core CPU, half of the models on each core).

    On a CPU each device runs its models one after another (`jax.lax.map`). `jax.vmap`
    gives the same numbers to float rounding, but XLA's CPU backend transposes the LSTM's
    (time, models, batch, H) stacks around its batched products: on 2 cores, 8 models of
    Lesson 4's one-layer model took 12.6 ms a step with `vmap` and 7.1 ms in turn, 16
    course models 305 and 197 ms. On a GPU, batching the models is what pays (16 course
    models cost 1.6 times one), so there it is `jax.vmap`.
    """
    mesh = _mesh_dividing(n_models, "models")
    if jax.default_backend() != "cpu":
        batched = jax.vmap(one_model)
        if mesh is None:
            return jax.jit(batched)
        models = NamedSharding(mesh, P("models"))
        return jax.jit(batched, in_shardings=models, out_shardings=models)

    def in_turn(*stacked):
        return jax.lax.map(lambda arguments: one_model(*arguments), stacked)

    if mesh is None:
        return jax.jit(in_turn)
    # check_vma=False: each device's models need nothing from another device (no
    # collectives), and the check would ask every zero state in the layers to be marked
    # as differing between devices.
    split = jax.shard_map(
        in_turn, mesh=mesh, in_specs=P("models"), out_specs=P("models"), check_vma=False
    )
    return jax.jit(split)


def enable_compilation_cache(path: str | Path | None = None) -> Path:
    """Keep compiled programs on disk so a new process skips most of the first-step compile.

    Default location: `$FINLSTM_JAX_CACHE` or ~/.cache/finlstm/jax.
    """
    default = Path.home() / ".cache" / "finlstm" / "jax"
    path = Path(path or os.environ.get("FINLSTM_JAX_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    return path

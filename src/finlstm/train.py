"""Training one model: a jitted epoch, early stopping on validation, seeded and repeatable.

`fit(model, train, val, config)` is the one entry point. An epoch is one compiled program:
the shuffle and every optimiser step run inside `jax.lax.scan`, so Python is not in the
inner loop; it compiles on its first call, once per model, settings and data shape. All
randomness (initialisation, shuffling, dropout) comes from one seed, split explicitly, so
two runs with the same seed give the same numbers. Where there are several devices (after
`finlstm.devices.use_cpu_cores()` on a CPU), every batch is split over them
(`finlstm.devices.batch_mesh`); the numbers are the same as on one device up to float
rounding. Many models at once: `finlstm.parallel`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, SingleDeviceSharding
from jax.sharding import PartitionSpec as P

from finlstm import checks
from finlstm.checks import FinlstmError
from finlstm.devices import DATA, batch_mesh
from finlstm.losses import LOSSES

__all__ = [
    "FitResult",
    "TrainConfig",
    "TrainingDivergedError",
    "evaluate",
    "fit",
    "init_params",
    "jit_forward",
    "jit_train_step",
    "make_optimizer",
    "make_train_epoch",
    "make_train_step",
    "predict",
]

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
    seed: int = 0  # from 0 to 2**32 - 1; every random draw of a fit comes from it
    progress: bool = True  # a tqdm bar over epochs


@dataclass
class FitResult:
    """What `fit` returns: the best parameters (by validation loss) and the loss history."""

    params: dict
    history: dict[str, list[float]] = field(default_factory=dict)  # train_loss, val_loss
    best_epoch: int = 0  # 1-based epoch whose parameters were kept
    stopped_early: bool = False


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Adam, after clipping the global gradient norm (keeps one bad batch from blowing up).

    The learning rate lives in the optimiser's state (`optax.inject_hyperparams`), not in
    the compiled step as a constant, so fits that differ only in learning rate share one
    compiled program.
    """
    return optax.inject_hyperparams(_clipped_adam, static_args="clip_norm")(
        learning_rate=config.learning_rate, clip_norm=config.clip_norm
    )


def _clipped_adam(learning_rate, clip_norm) -> optax.GradientTransformation:
    """optax.adam(learning_rate), after clipping to clip_norm unless it is None."""
    adam = optax.adam(learning_rate)
    if clip_norm is None:
        return adam
    return optax.chain(optax.clip_by_global_norm(clip_norm), adam)


def init_params(model: nn.Module, key: Array, sample_input: Array) -> dict:
    """Initialise the model's parameters from one example batch (only its shape is used).

    The initialisation is one jitted program per model and input shape, compiled once and
    reused by every later fit, instead of dozens of small programs run one by one.
    """
    return _jitted_init(model)(key, jnp.asarray(sample_input[:1]))


@functools.lru_cache(maxsize=32)
def _jitted_init(model: nn.Module) -> Callable:
    """model.init's parameters as one jitted function of (key, one sample (1, time, features))."""

    def initialise(key, sample):
        return model.init(key, sample, train=False)["params"]

    return jax.jit(initialise)


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


def jit_train_step(model: nn.Module, optimizer, loss_fn, batch_size: int) -> Callable:
    """`make_train_step` jitted for batches of `batch_size` rows, each batch split over the
    devices of `batch_mesh(batch_size)`; parameters and optimiser state are replicated on
    them. The carry argument is donated (its buffers are reused for the result)."""
    step = make_train_step(model, optimizer, loss_fn)
    mesh = batch_mesh(batch_size)
    if mesh is None:
        return jax.jit(step, donate_argnums=0)
    replicated, rows = NamedSharding(mesh, P()), NamedSharding(mesh, P(DATA))
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
            rows = NamedSharding(mesh, P(None, DATA))
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
    rows = NamedSharding(mesh, P(DATA))
    return jax.jit(forward, in_shardings=(NamedSharding(mesh, P()), rows), out_shardings=rows)


def predict(model: nn.Module, params: dict, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Model outputs for x: (samples, time, features) -> (samples, outputs), dropout off.

    Runs in fixed-size chunks, the last one padded: batch_size rows, or for fewer samples
    the next power of two, so that sets of similar sizes (a validation set, a test set)
    share one compiled program. Each chunk is split over the devices of `batch_mesh`. x
    must hold at least one sample and no NaN or inf (InputError names the first bad sample).
    """
    checks.predict_arguments(model, x, batch_size)
    x = np.asarray(x, dtype=np.float32)
    devices = len(jax.local_devices())
    rows = min(batch_size, 1 << (len(x) - 1).bit_length())  # next power of two
    chunk = -(-rows // devices) * devices  # a multiple of the devices
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
    return float(_jitted_loss(loss)(outputs, np.asarray(y, dtype=np.float32)))


@functools.lru_cache(maxsize=8)
def _jitted_loss(loss: str) -> Callable:
    """LOSSES[loss] as one jitted program (eager, each of its operations is a program)."""
    return jax.jit(LOSSES[loss])


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

    # Every epoch's arguments placed as the epoch returns them, so that one program serves
    # every epoch (arrays placed differently would compile it again).
    settings = _what_the_epoch_depends_on(config)
    train_epoch, placement = _train_epoch_for(model, settings)
    start = _start_for(model, settings)
    hyperparams = {"learning_rate": np.float32(config.learning_rate)}
    params, opt_state, train_key = start(np.uint32(config.seed), x_train[:1], params, hyperparams)
    x_train_device, y_train_device = jax.device_put((x_train, y_train), placement)

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
    fits that differ only in seed, epoch count, patience, progress bar or learning rate
    share a program."""
    return replace(
        config,
        seed=0,
        epochs=1,
        patience=1,
        progress=False,
        learning_rate=TrainConfig.learning_rate,
    )


@functools.lru_cache(maxsize=32)
def _start_for(model: nn.Module, config: TrainConfig) -> Callable:
    """The start of a fit as one jitted program, built once per model and training settings:
    (seed (uint32), one sample (1, time, features), params or None, the optimiser's
    hyperparameters {"learning_rate": a float32 scalar}) -> (params, optimiser
    state, the key of the epochs), placed where the epochs want them. Params given are kept;
    None initialises them from the seed's first key. One program instead of a dozen small
    ones (splitting the key, filling each optimiser moment) that compile one by one."""
    optimizer = make_optimizer(config)

    def start(seed, sample, params, hyperparams):
        init_key, train_key = jax.random.split(jax.random.key(seed))
        if params is None:
            params = model.init(init_key, sample, train=False)["params"]
        state = optimizer.init(params)._replace(hyperparams=hyperparams)
        return params, state, train_key

    _, placement = _train_epoch_for(model, config)
    return jax.jit(start, out_shardings=placement)


@functools.lru_cache(maxsize=32)
def _train_epoch_for(model: nn.Module, config: TrainConfig) -> tuple[Callable, object]:
    """`make_train_epoch` for `fit`, built once per model and training settings, so that a
    second fit (another seed, Lesson 4's three) reuses the compiled epoch; and where its
    arguments live (replicated over the batch mesh, or the first device)."""
    optimizer = make_optimizer(config)
    loss_fn = LOSSES[config.loss]
    mesh = batch_mesh(config.batch_size)
    epoch = make_train_epoch(model, optimizer, loss_fn, config.batch_size, mesh)
    if mesh is None:
        return epoch, SingleDeviceSharding(jax.local_devices()[0])
    return epoch, NamedSharding(mesh, P())

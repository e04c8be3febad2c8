"""Many models at once, over many devices: `train_many`, `fit_many`, `predict_many`.

Walk-forward folds, seeds or assets add a leading *models* axis to parameters and data.
Every function here trains or runs the stack in one compiled program, on the meshes of
`finlstm.devices.make_mesh`:

* without a mesh, the models are split over the local devices (`models_mesh`): on a CPU
  each device runs its models one after another (`jax.lax.map`), on a GPU `jax.vmap`
  batches them, the faster of the two on each (see the "How fast is it?" page);
* with a (models, data) mesh (`fit_many(..., mesh=make_mesh(data=8))`), the models are
  split over its "models" axis and every batch over its "data" axis: the step of
  `finlstm.train.make_train_step` under `jax.vmap`, jitted with shardings, and XLA's SPMD
  partitioner adds the all-reduce that sums the devices' gradients. The result equals one
  device's to float rounding, on one CPU, simulated CPU devices, a GPU machine or a TPU
  slice.

Several hosts: call `jax.distributed.initialize()` at the start of the program on every
host; `jax.devices()` then lists every host's devices and `make_mesh` spans them. Each host
should then load only its own share of the batch and assemble the global array with
`jax.make_array_from_process_local_data`. This course runs on one host only.
"""

from __future__ import annotations

from collections.abc import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from finlstm import checks
from finlstm.devices import DATA, MODELS, models_mesh
from finlstm.losses import LOSSES
from finlstm.train import (
    TrainConfig,
    TrainingDivergedError,
    init_params,
    make_optimizer,
    make_train_epoch,
    make_train_step,
)

__all__ = [
    "check_shapes",
    "fit_many",
    "over_models",
    "predict_many",
    "sharded_train_step",
    "train_many",
]

Array = jax.Array


def train_many(
    init_fn: Callable[[Array], dict],
    loss_fn: Callable[[dict, Array], Array],
    keys: Array,
    *,
    steps: int,
    optimizer: optax.GradientTransformation,
) -> tuple[dict, Array]:
    """Train one independent model per key in one compiled program: a `jax.lax.scan` over
    optimiser steps for each model, the models split over the devices (`over_models`).

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

    return over_models(train_one, len(keys))(keys)


def fit_many(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    config: TrainConfig | None = None,
    mesh: Mesh | None = None,
) -> tuple[dict, np.ndarray]:
    """Train one model per leading index of x and y for exactly `config.epochs` epochs.

    For walk-forward folds, sub-periods of equal size, seeds or assets. There is no
    validation set and no early stopping: the epoch count must be chosen before looking at
    any test data.

    Args:
      x: (models, samples, time, features) inputs, or (samples, time, features) for one.
      y: (models, samples) targets, or (samples,).
      config: TrainConfig (default TrainConfig()); model k is initialised from
        fold_in(key(config.seed), k).
      mesh: None: one program, a `jax.lax.scan` over epochs for each model, the models split
        over the local devices. A (models, data) mesh from `make_mesh`: one sharded step
        per batch, the models split over its "models" axis and every batch over its "data"
        axis. Either way each model shuffles and draws dropout from its own key in the same
        order, so the mesh changes where the arithmetic runs, not the result (to float
        rounding).

    Returns:
      (params, losses): params with a leading models axis when x had one; the mean training
      loss of each epoch, (models, epochs), or (epochs,) for one model.
    """
    config = TrainConfig() if config is None else config
    single = np.ndim(x) == 3
    if single:
        x, y = np.asarray(x)[None], np.asarray(y)[None]
    checks.fit_many_arguments(model, x, y, config)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if config.loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {config.loss!r}")
    fitted = _fit_in_one_program if mesh is None else _fit_on_mesh
    params, losses = fitted(model, x, y, config, mesh)
    if not np.isfinite(losses).all():
        bad = int(np.flatnonzero(~np.isfinite(losses).all(axis=1))[0])
        raise TrainingDivergedError(f"model {bad}'s training loss stopped being finite")
    if single:
        return jax.tree.map(lambda leaf: leaf[0], params), losses[0]
    return params, losses


def _model_keys(config: TrainConfig, n_models: int) -> Array:
    """fold_in(key(config.seed), k) for each model k: (n_models,) keys."""
    base = jax.random.key(config.seed)
    return jax.vmap(lambda k: jax.random.fold_in(base, k))(jnp.arange(n_models))


def _fit_in_one_program(model, x, y, config, mesh=None):
    """fit_many without a mesh: each model's epochs in a `jax.lax.scan`, models split over
    the local devices."""
    del mesh
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

    params, losses = over_models(train_one, len(x))(_model_keys(config, len(x)), x, y)
    return params, np.asarray(losses)


def _fit_on_mesh(model, x, y, config, mesh):
    """fit_many on a (models, data) mesh: a Python loop over epochs and batches, each batch
    one call of `sharded_train_step`."""
    check_shapes(len(x), config.batch_size, mesh)
    step = sharded_train_step(model, config, mesh)
    optimizer = make_optimizer(config)

    keys = _model_keys(config, len(x))
    init_keys, train_keys = jax.vmap(jax.random.split, out_axes=1)(keys)
    params = jax.vmap(lambda k: init_params(model, k, x[0, :1]))(init_keys)
    opt_state = jax.vmap(optimizer.init)(params)
    per_model = NamedSharding(mesh, P(MODELS))
    batch_sharding = NamedSharding(mesh, P(MODELS, DATA))
    params, opt_state, train_keys = jax.device_put((params, opt_state, train_keys), per_model)

    # Each model splits its key and shuffles as `make_train_epoch` does, so a mesh changes
    # only where the arithmetic runs, not the models (to float rounding).
    split_keys = jax.jit(jax.vmap(jax.random.split), out_shardings=per_model)
    n_batches = x.shape[1] // config.batch_size
    models = np.arange(len(x))[:, None]
    history = []
    for _ in range(config.epochs):
        pairs = split_keys(train_keys)  # (models, 2): the key that goes on, the shuffle key
        train_keys = jax.device_put(pairs[:, 0], per_model)
        orders = np.asarray(jax.vmap(lambda k: jax.random.permutation(k, x.shape[1]))(pairs[:, 1]))
        losses = []
        for b in range(n_batches):
            rows = orders[:, b * config.batch_size : (b + 1) * config.batch_size]
            xb = jax.device_put(x[models, rows], batch_sharding)
            yb = jax.device_put(y[models, rows], batch_sharding)
            params, opt_state, train_keys, loss = step(params, opt_state, train_keys, xb, yb)
            losses.append(loss)
        history.append(np.mean(np.stack([np.asarray(v) for v in losses]), axis=0))
    return params, np.stack(history, axis=1)  # (models, epochs)


def predict_many(model: nn.Module, params: dict, x: np.ndarray) -> np.ndarray:
    """Outputs of stacked models on their own inputs, dropout off.

    params: stacked on a leading models axis (from `fit_many`); x: (models, samples, time,
    features) -> (models, samples, outputs).
    """
    checks.predict_many_arguments(model, x)

    def forward(p, xs):
        return model.apply({"params": p}, xs, train=False)

    x = np.asarray(x, dtype=np.float32)
    return np.asarray(over_models(forward, len(x))(params, x))


def over_models(one_model: Callable, n_models: int, in_turn: bool | None = None) -> Callable:
    """`one_model`, a function of one model's arguments, jitted for arguments and results
    stacked on a leading models axis of length n_models, split over the devices of
    `models_mesh(n_models)` (on a 2-core CPU, half of the models on each core).

    in_turn: each device runs its models one after another (`jax.lax.map`) instead of
    batching them with `jax.vmap`; the same numbers to float rounding. Default: in turn on
    a CPU, where XLA transposes the LSTM's stacks around batched products, and batched
    elsewhere.
    """
    mesh = models_mesh(n_models)
    if in_turn is None:
        in_turn = jax.default_backend() == "cpu"
    if not in_turn:
        batched = jax.vmap(one_model)
        if mesh is None:
            return jax.jit(batched)
        models = NamedSharding(mesh, P(MODELS))
        return jax.jit(batched, in_shardings=models, out_shardings=models)

    def each_in_turn(*stacked):
        return jax.lax.map(lambda arguments: one_model(*arguments), stacked)

    if mesh is None:
        return jax.jit(each_in_turn)
    # check_vma=False: each device's models need nothing from another device (no
    # collectives), and the check would ask every zero state in the layers to be marked
    # as differing between devices.
    split = jax.shard_map(
        each_in_turn, mesh=mesh, in_specs=P(MODELS), out_specs=P(MODELS), check_vma=False
    )
    return jax.jit(split)


def check_shapes(n_models: int, batch_size: int, mesh: Mesh) -> None:
    """Raise a clear error when the models or the batch cannot be split evenly over `mesh`.

    The library does not pad: a padded sample would change the gradient, so the batch
    size must be a multiple of the mesh's data axis.
    """
    data, models = mesh.shape[DATA], mesh.shape[MODELS]
    if batch_size % data:
        lower, upper = batch_size - batch_size % data, batch_size + data - batch_size % data
        raise ValueError(
            f"batch_size {batch_size} cannot be split evenly over the {data} devices of the "
            f"mesh's data axis; use a multiple of {data}, e.g. {lower or upper} or {upper}"
        )
    if n_models % models:
        raise ValueError(
            f"{n_models} models cannot be split evenly over the {models} devices of the "
            f"mesh's models axis"
        )


def sharded_train_step(model: nn.Module, config: TrainConfig, mesh: Mesh) -> Callable:
    """The course's train step for a stack of models, jitted for `mesh`.

    (params, opt_state, keys, x, y) -> (params, opt_state, keys, losses), every argument
    with a leading models axis; x: (models, batch, time, features), y: (models, batch).
    """
    step = make_train_step(model, make_optimizer(config), LOSSES[config.loss])

    def one_model(params, opt_state, key, x, y):
        (params, opt_state, key), loss = step((params, opt_state, key), (x, y))
        return params, opt_state, key, loss

    per_model = NamedSharding(mesh, P(MODELS))  # replicated along "data"
    batch = NamedSharding(mesh, P(MODELS, DATA))
    return jax.jit(
        jax.vmap(one_model),
        in_shardings=(per_model, per_model, per_model, batch, batch),
        out_shardings=(per_model, per_model, per_model, per_model),
    )

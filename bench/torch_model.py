"""The course model in PyTorch, and its train step, without importing JAX: the benchmark's
PyTorch rows (bench/implementations.py) and its whole-process PyTorch script
(bench/first_epoch.py) share them, and a PyTorch user's process never loads JAX."""

from __future__ import annotations

import torch

from bench import DENSE, HIDDEN


class TorchModel(torch.nn.Module):
    """LSTM 128 -> LSTM 64 -> Dense 25 -> Dense 1, dropout 0.2; (batch, time, features) ->
    (batch, 1)."""

    def __init__(self, features: int):
        super().__init__()
        self.lstm1 = torch.nn.LSTM(features, HIDDEN[0], batch_first=True)
        self.lstm2 = torch.nn.LSTM(HIDDEN[0], HIDDEN[1], batch_first=True)
        self.drop = torch.nn.Dropout(0.2)
        self.dense = torch.nn.Linear(HIDDEN[1], DENSE)
        self.head = torch.nn.Linear(DENSE, 1)

    def forward(self, x):
        h, _ = self.lstm1(x)
        h, _ = self.lstm2(self.drop(h))
        return self.head(self.dense(self.drop(h[:, -1])))


def make_model(features: int, seed: int, device: str = "cpu"):
    """(model, Adam 1e-3) for `features` inputs, initialised from `seed`."""
    torch.manual_seed(seed)
    model = TorchModel(features).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def train_step(model, optimizer, x, y) -> torch.Tensor:
    """One optimiser step on a batch (MSE, gradient norm clipped at 1, as `finlstm.fit`);
    returns the loss, not synchronised."""
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss = torch.mean((model(x)[:, 0] - y) ** 2)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss

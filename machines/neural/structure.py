"""Structural options of the Transformer for grid tasks: peer-restricted attention and pooled cell tokens.

Both are the project's design [I] for the Sudoku experiment (PAPER.md §3.1 uses a plain Transformer over the 324
tokens); both are off by default (:class:`~machines.neural.config.ModelConfig` ``pool = 1``, ``peer_grid = None``),
and neither reads anything but the token sequence.

* **Peer attention** (``peer_grid = b``): the ``n = b^4`` positions are the cells of a ``b^2 x b^2`` grid in
  row-major order; query ``i`` may attend to key ``j`` only when the two cells share a row, a column or a
  ``b x b`` box (``i`` itself included).  For Sudoku (``b = 3``) each cell sees 21 keys instead of 81.  Any two
  cells share a peer (the cell at the first one's row and the second one's column), so two layers connect every
  pair.  :class:`PeerAttention` is :class:`~machines.neural.attention.Attention` with this extra mask; scores,
  relative biases, rotary and gradients are the base class's.
* **Pooling** (``pool = p``): tokens ``p*k .. p*k+p-1`` form position ``k``.  Its input vector is the sum of one
  embedding per slot (a single ``(p*V, d)`` table indexed by ``token + slot*V``, :func:`pooled_index`); the token
  head has ``p*V`` outputs and the control head ``3p``, reshaped back to one prediction per token.  The sequence
  length must be a multiple of ``p``.
"""

from __future__ import annotations

import functools

import numpy as np

from machines.neural.attention import Attention
from machines.neural.config import NeuralConfigError

__all__ = ["PeerAttention", "peer_matrix", "pooled_index"]


@functools.lru_cache(maxsize=8)
def _peer_matrix(n: int, box: int) -> np.ndarray:
    side = box * box
    cells = np.arange(n)
    r, c = cells // side, cells % side
    b = (r // box) * box + c // box
    m = (r[:, None] == r[None, :]) | (c[:, None] == c[None, :]) | (b[:, None] == b[None, :])
    m.setflags(write=False)
    return m


def peer_matrix(n: int, box: int) -> np.ndarray:
    """``(n, n)`` bool: cells ``i`` and ``j`` of the ``box^2 x box^2`` grid share a row, column or box.

    Raises :class:`~machines.neural.config.NeuralConfigError` unless ``n == box**4``.

    Examples
    --------
    >>> m = peer_matrix(81, 3)
    >>> int(m[0].sum()), bool(m[0, 8]), bool(m[0, 72]), bool(m[0, 20]), bool(m[0, 21])
    (21, True, True, True, False)

    Notes
    -----
    ``O(n^2)`` once per ``(n, box)`` (cached, read-only).  Serves the Sudoku experiment's [I] model.
    """
    if n != box ** 4:
        raise NeuralConfigError(f"peer_grid={box} needs {box ** 4} positions (a {box * box}x{box * box} grid), "
                                f"got {n}")
    return _peer_matrix(n, box)


class PeerAttention(Attention):
    """:class:`~machines.neural.attention.Attention` restricted to peer cells (module docstring).

    Examples
    --------
    >>> from machines.neural.config import ModelConfig
    >>> att = PeerAttention("a.", ModelConfig(vocab_size=4, mask_id=0, d_model=4, peer_grid=1))
    >>> att.allowed(np.ones((1, 1), bool)).tolist()
    [[[True]]]
    """

    def allowed(self, valid: np.ndarray) -> np.ndarray:
        box = self.cfg.peer_grid
        assert box is not None  # the model builds a PeerAttention only for a peer_grid config
        return super().allowed(valid) & peer_matrix(valid.shape[1], box)[None]


def pooled_index(x: np.ndarray, pool: int, vocab_size: int) -> np.ndarray:
    """``(B, L)`` tokens -> ``(B, L/pool, pool)`` rows of the pooled embedding table (``token + slot * V``).

    Examples
    --------
    >>> pooled_index(np.array([[1, 2, 3, 0]]), 2, 4).tolist()
    [[[1, 6], [3, 4]]]
    """
    B, L = x.shape
    if L % pool:
        raise NeuralConfigError(f"pool={pool} needs a sequence length that is a multiple of {pool}, got {L}")
    return np.asarray(x, np.int64).reshape(B, L // pool, pool) + np.arange(pool, dtype=np.int64) * vocab_size

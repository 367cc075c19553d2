"""What each step of a trace does, position by position: the data behind ``powergen trace show``.

Kept apart from :mod:`machines.trace` (reading, writing, replay) so that rendering never touches the checks.
"""

from __future__ import annotations

import numpy as np

from machines.predictor import Prediction
from machines.trace import canonical_prediction

__all__ = ["OPERATIONS", "step_operations"]

OPERATIONS = ("keep", "unmask", "append", "remask", "keep-mask", "insert", "delete")


def step_operations(paradigm: str, x: np.ndarray, pred: Prediction, *, mask_id: int) -> list[tuple[str, int]]:
    """What one step does, position by position: ``(operation, token)`` pairs in output order.

    A deleted mask appears as ``("delete", MASK)`` although it produces nothing; ``("insert", MASK)`` follows the
    position that inserts.  Operations are those of :data:`OPERATIONS`.

    Examples
    --------
    >>> step_operations("ap-mdm", np.array([4, 0, 0]), Prediction(y=np.array([0, 5, 0]), remask=np.array([1, 0, 0]),
    ...                 insert=np.array([0, 1, 0]), delete=np.array([0, 0, 1])), mask_id=0)
    [('remask', 0), ('unmask', 5), ('insert', 0), ('delete', 0)]
    """
    xa = np.asarray(x, dtype=np.int64)
    c = canonical_prediction(paradigm, xa, pred, mask_id=mask_id)
    y = c["y"]
    if paradigm == "arm":
        return [("keep", int(v)) for v in xa.tolist()] + [("append", int(y[-1]))]
    n = xa.shape[0]
    zero = np.zeros(n, dtype=np.bool_)
    unmask = c.get("unmask", zero)
    remask, insert, delete = c.get("remask", zero), c.get("insert", zero), c.get("delete", zero)
    ops: list[tuple[str, int]] = []
    for i in range(n):
        xi = int(xa[i])
        if delete[i]:
            ops.append(("delete", mask_id))
            continue
        if remask[i]:
            ops.append(("keep-mask" if xi == mask_id else "remask", mask_id))
        elif xi == mask_id and (paradigm == "ap-mdm" or unmask[i]):
            ops.append(("unmask", int(y[i])))
        else:
            ops.append(("keep", xi))
        if insert[i]:
            ops.append(("insert", mask_id))
    return ops

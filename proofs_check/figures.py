"""The matplotlib set-up every figure of powergen shares: import it headless, write a figure atomically.

matplotlib is optional (the ``plot`` extra).  :func:`pyplot` imports it with the non-interactive ``Agg`` backend
or raises one :class:`~proofs_check.errors.UsageError` naming the extra; :func:`save_figure` renders a figure into
memory, closes it and writes the bytes atomically (:func:`machines.io.atomic_write_bytes`), so an interrupted run
never leaves half an image.  Used by ``powergen check space --plot``
(:mod:`proofs_check.commands.check_space`), ``powergen experiment maxflow --plot``
(:mod:`proofs_check.experiments.maxflow_plots`) and ``scripts/plot_check.py`` (the theorem pages' plots).
"""

from __future__ import annotations

import io
import os
from typing import Any

from proofs_check.errors import UsageError

__all__ = ["EXPERIMENT_FIGURE", "FORMATS", "figure_format", "pyplot", "save_figure"]

#: The file formats :func:`save_figure` picks from the path's suffix; any other suffix is written as PNG.
FORMATS = ("png", "svg", "pdf")
#: ``fig.savefig`` settings of the experiments' learning-curve figures: 110 dpi and no software tag, so the same run
#: gives the same PNG bytes (``save_figure(plt, fig, path, **EXPERIMENT_FIGURE)``).
EXPERIMENT_FIGURE: dict[str, Any] = {"dpi": 110, "metadata": {"Software": None}}


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the ``Agg`` backend; :class:`UsageError` when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib, which is not installed (install the extra: pip install "
                         "'powergen[plot]')") from None
    return plt


def figure_format(path: str | os.PathLike[str]) -> str:
    """The format :func:`save_figure` writes ``path`` in: its suffix when one of :data:`FORMATS`, else ``"png"``.

    Examples
    --------
    >>> figure_format("a/space.SVG"), figure_format("curve.pdf"), figure_format("plot"), figure_format("x.jpg")
    ('svg', 'pdf', 'png', 'png')
    """
    name = os.fspath(path)
    suffix = name.rsplit(".", 1)[-1].lower() if "." in os.path.basename(name) else ""
    return suffix if suffix in FORMATS else "png"


def save_figure(plt: Any, fig: Any, path: str | os.PathLike[str], **savefig: Any) -> str:
    """Render ``fig`` in the format of ``path`` (:func:`figure_format`), close it, and write it atomically to
    ``path``; extra keywords go to ``fig.savefig`` (``dpi``, ``metadata``).  Returns ``path`` as a string."""
    from machines.io import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format=figure_format(path), **savefig)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return os.fspath(path)

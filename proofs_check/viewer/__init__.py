"""The trace viewer: a self-contained HTML page per trace and terminal views that fit each task (issue 18).

Presentation only: it reads traces and runs (from :mod:`machines` and :mod:`reductions`) and never changes them.

* :mod:`proofs_check.viewer.delta` -- a trace as start state + per-step deltas (the page's data);
* :mod:`proofs_check.viewer.views` -- which task view a trace gets (Sudoku grid, max-flow graph, token strip);
* :mod:`proofs_check.viewer.html` -- the page (inline CSS, JavaScript and SVG; no network);
* :mod:`proofs_check.viewer.terminal` -- ``powergen trace show`` views in rich, with markers that survive a pipe;
* :mod:`proofs_check.viewer.hooks` -- the one call each command makes for its ``--html FILE`` flag.
"""

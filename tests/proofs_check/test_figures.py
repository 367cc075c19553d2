"""proofs_check/figures.py: the one matplotlib set-up of check space's and the max-flow experiment's plots."""

from __future__ import annotations

import sys

import pytest

from proofs_check.errors import UsageError
from proofs_check.figures import pyplot, save_figure


def test_without_matplotlib_both_plot_commands_stop_with_one_usage_error(monkeypatch, tmp_path, capsys):
    from proofs_check.cli import main

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    with pytest.raises(UsageError, match=r"pip install 'powergen\[plot\]'"):
        pyplot()
    run = tmp_path / "run"
    run.mkdir()
    (run / "train.log").write_text('{"step": 1, "loss": 1.0}\n')
    for argv in (["check", "space", "--quick", "--plot", str(tmp_path / "s.png")],
                 ["experiment", "maxflow", "--run-dir", str(run), "--plot", str(tmp_path / "img")]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "powergen[plot]" in err[0], argv
    assert not (tmp_path / "s.png").exists() and not (tmp_path / "img").exists()


@pytest.mark.parametrize(("name", "magic"), [("f.png", b"\x89PNG"), ("f.SVG", b"<?xml"), ("f.pdf", b"%PDF"),
                                             ("f.jpg", b"\x89PNG"), ("f", b"\x89PNG")])
def test_the_suffix_picks_the_format_and_the_figure_is_closed(tmp_path, name, magic):
    plt = pytest.importorskip("matplotlib.pyplot")
    pyplot()
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    path = tmp_path / name
    assert save_figure(plt, fig, path) == str(path)
    assert path.read_bytes()[:len(magic)] == magic
    assert not plt.fignum_exists(fig.number)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left beside it

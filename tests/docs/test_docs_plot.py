"""scripts/plot_check.py: a check report's counts against their bounds, as a PNG (the theorem pages' plots)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from docs_ext import REPO, load_file  # noqa: E402

pc = load_file("plot_check", REPO / "scripts" / "plot_check.py")


def report(ok: bool = True) -> dict[str, object]:
    points = []
    for program in ("prefix-sums", "sort"):
        for n in (4, 8, 16, 32):
            steps = 2 * n.bit_length() + (1 if program == "sort" else 0)
            points.append({"params": {"program": program, "n": n}, "measured": {"steps": steps, "context": 3 * n},
                           "bounds": {"steps": str(steps + 1), "context": f"{7 * n}/2", "other": "n + 1"},
                           "ok": ok or n != 16})
    return {"schema": "powergen.check/1", "claim": "thm-demo", "points": points, "ok": ok}


def test_series_pairs_each_count_with_its_bound() -> None:
    data, notes = pc.series(report(), x="n", ys=None, group="program")
    assert sorted(data) == ["context", "steps"]
    assert data["context"]["sort"][0] == (4.0, 12.0, 14.0, True)
    assert [p[0] for p in data["steps"]["prefix-sums"]] == [4.0, 8.0, 16.0, 32.0]
    assert notes == []


def test_a_formula_bound_is_reported_not_drawn() -> None:
    _, notes = pc.series(report(), x="n", ys=["steps", "other"], group="program")
    assert any("no measured 'other'" in n for n in notes)


@pytest.mark.parametrize("ok", [True, False])
def test_writes_a_deterministic_png(tmp_path: Path, ok: bool) -> None:
    pytest.importorskip("matplotlib")
    src = tmp_path / "r.json"
    src.write_text(json.dumps(report(ok)), encoding="utf-8")
    outs = []
    for i in range(2):
        out = tmp_path / f"plot{i}.png"
        assert pc.main([str(src), "-o", str(out)]) == 0
        outs.append(out.read_bytes())
    assert outs[0].startswith(b"\x89PNG") and outs[0] == outs[1]


NO_X = '{"schema": "powergen.check/1", "points": [{"params": {"m": 1}, "measured": {}, "bounds": {}}]}'


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "is not JSON"),
    ('{"schema": "powergen.tour/1", "points": [1]}', "expected 'powergen.check/1'"),
    ('{"schema": "powergen.check/1", "points": []}', "no points"),
    (NO_X, "no numeric"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, text: str, message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    if text == NO_X:  # found while drawing, after matplotlib is imported (without it: the next test)
        pytest.importorskip("matplotlib")
    src = tmp_path / "r.json"
    src.write_text(text, encoding="utf-8")
    assert pc.main([str(src), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_missing_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pc.main([str(tmp_path / "nope.json"), "-o", str(tmp_path / "x.png")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_no_numeric_x_is_found_without_matplotlib() -> None:
    with pytest.raises(pc.PlotInputError, match="no numeric 'n'"):
        pc.series(json.loads(NO_X), x="n", ys=None, group="program")


def test_missing_matplotlib_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """With only ``[dev]`` installed the script names the extra to install (simulated here: matplotlib hidden)."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes ``import matplotlib`` raise ImportError
    src = tmp_path / "r.json"
    src.write_text(json.dumps(report()), encoding="utf-8")
    assert pc.main([str(src), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "matplotlib is needed" in err and ".[plot]" in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("where", ["directory", "under-a-file"])
def test_an_unwritable_output_is_one_line_and_exit_2(tmp_path: Path, where: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    src = tmp_path / "r.json"
    src.write_text(json.dumps(report()), encoding="utf-8")
    out = tmp_path if where == "directory" else src / "x.png"  # a directory; a path below a regular file
    assert pc.main([str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("plot_check: error: cannot write") and str(out) in err

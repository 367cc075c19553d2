"""`powergen experiment sudoku --ship` (proofs_check/experiments/sudoku_ship.py): tiny runs trained through the CLI
in a fixture, shipped into temporary folders (never the package's), named after the training file the run itself
records, read back by `eval sudoku --checkpoint shipped` and `sudoku solve --model shipped` with the entry's kind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from proofs_check.cli import main
from proofs_check.experiments import sudoku as sx
from proofs_check.experiments import sudoku_run as sr
from reductions.tasks.sudoku import solve

TEST = sx.read_puzzles(sx.TEST_FILE)
EASY = sorted(TEST[:60], key=lambda p: solve(p).steps)[:7]  # short oracle runs keep the fixture cheap
TINY = ["--model", "n_layers=1"]  # one block (an override of d_model or n_heads would also need rotary=)
REAL_MANIFEST = sr.SHIPPED_DIR / "manifest.json"


def _write(path: Path, puzzles: list[str]) -> Path:
    path.write_text("".join(p + "\n" for p in puzzles), encoding="utf-8")
    return path


def _train(root: Path, models: str, train_file: Path, test_file: Path) -> None:
    code = main(["experiment", "sudoku", "--models", models, "--train-file", str(train_file), "--test-file",
                 str(test_file), "--test-count", "2", "--steps", "2", "--batch-size", "2", "--eval-every", "100",
                 "--probe-per-size", "1", "--tf-count", "1", "--run-dir", str(root), "--json", *TINY])
    assert code == 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``default``: an AO-MDM trained on a stand-in for the default file (2 puzzles); ``variant``: an AO-MDM and a
    peer AP-MDM trained on another file of 3 puzzles.  2 updates each, evaluated on 2 easy puzzles."""
    d = tmp_path_factory.mktemp("sudoku-ship")
    files = {"default_file": _write(d / "default.txt", EASY[:2]), "other_file": _write(d / "other.txt", EASY[:3]),
             "test_file": _write(d / "test.txt", EASY[5:7])}
    _train(d / "default", "ao-mdm", files["default_file"], files["test_file"])
    _train(d / "variant", "ao-mdm,ap-mdm-peer", files["other_file"], files["test_file"])
    return {"default": d / "default", "variant": d / "variant", **files}


@pytest.fixture()
def default_file(runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default training file is, for these tests, the 2-puzzle file (so that a run on it is cheap)."""
    monkeypatch.setattr(sx, "TRAIN_FILE", runs["default_file"])
    return runs["default_file"]


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _ship(root: Path, models: str, to: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return _cli(["experiment", "sudoku", "--run-dir", str(root), "--models", models, "--ship", "--ship-to", str(to),
                 "--json", *extra], capsys)


def test_a_variant_ships_beside_the_existing_entries_which_stay_byte_identical(
        runs: dict[str, Path], default_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sudoku").mkdir()
    shutil.copy(REAL_MANIFEST, tmp_path / "sudoku" / "manifest.json")
    code, out, err = _ship(runs["variant"], "ao-mdm,ap-mdm-peer", tmp_path, capsys)
    assert code == 0, err
    shipped = json.loads(out)["shipped"]
    assert {k: v["name"] for k, v in shipped.items()} == {"ao-mdm": "ao-mdm-train3",
                                                          "ap-mdm-peer": "ap-mdm-peer-train3"}
    old = json.loads(REAL_MANIFEST.read_text(encoding="utf-8"))
    text = (tmp_path / "sudoku" / "manifest.json").read_text(encoding="utf-8")
    new = json.loads(text)
    assert set(new["models"]) == set(old["models"]) | {"ao-mdm-train3", "ap-mdm-peer-train3"}
    for name, entry in old["models"].items():  # the 100-puzzle ao-mdm and the others: untouched, same text
        assert new["models"][name] == entry
        assert json.dumps(entry, indent=1, sort_keys=True).replace("\n", "\n  ") in text
    entry = new["models"]["ao-mdm-train3"]
    result = json.loads((runs["variant"] / "ao-mdm" / "result.json").read_text(encoding="utf-8"))
    assert entry["kind"] == "ao-mdm" and entry["train_puzzles"] == 3 and entry["file"] == "ao-mdm-train3.npz"
    assert entry["train_file"] == str(runs["other_file"])
    assert entry["train_file_sha256"] == hashlib.sha256(runs["other_file"].read_bytes()).hexdigest()
    assert entry["command"] == result["command"]  # the command the run recorded
    assert entry["command"].startswith("powergen experiment sudoku --models ao-mdm,ap-mdm-peer")
    assert f"--train-file {runs['other_file']}" in entry["command"]
    assert entry["updates"] == result["steps_done"] == 2 and entry["eval"]["per_puzzle"] == \
        result["eval"]["per_puzzle"]


def test_shipped_entries_are_read_with_their_kind(runs: dict[str, Path], default_file: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ship(runs["default"], "ao-mdm", tmp_path, capsys)[0] == 0
    assert _ship(runs["variant"], "ao-mdm,ap-mdm-peer", tmp_path, capsys)[0] == 0
    ship = tmp_path / "sudoku"
    man = json.loads((ship / "manifest.json").read_text(encoding="utf-8"))["models"]
    assert sorted(man) == ["ao-mdm", "ao-mdm-train3", "ap-mdm-peer-train3"]  # the variant did not overwrite ao-mdm
    assert man["ao-mdm"]["train_file"] == str(default_file) and man["ao-mdm"]["kind"] == "ao-mdm"
    assert man["ao-mdm"]["sha256"] != man["ao-mdm-train3"]["sha256"]
    monkeypatch.setattr(sr, "SHIPPED_DIR", ship)
    code, out, _ = _cli(["eval", "sudoku", "--checkpoint", "shipped", "--count", "2", "--json"], capsys)
    got = json.loads(out)["models"]
    assert code == 0 and {k: v["kind"] for k, v in got.items()} == {
        "ao-mdm": "ao-mdm", "ao-mdm-train3": "ao-mdm", "ap-mdm-peer-train3": "ap-mdm-peer"}
    # the same model read from its run directory (another loader) gives the same evaluation
    code, out, _ = _cli(["eval", "sudoku", "--checkpoint", str(runs["variant"] / "ao-mdm"), "--count", "2",
                         "--json"], capsys)
    direct = json.loads(out)["models"]["ao-mdm"]
    assert direct["per_puzzle"] == got["ao-mdm-train3"]["per_puzzle"] and direct["kind"] == "ao-mdm"
    code, out, _ = _cli(["sudoku", "solve", EASY[5], "--model", "shipped", "--json"], capsys)
    doc = json.loads(out)
    assert doc["model"] == "ap-mdm-peer" and doc["source"] == str(ship / "ap-mdm-peer-train3.npz")


def _copy_run(runs: dict[str, Path], kind: str, dest: Path) -> Path:
    """The variant's ``kind`` run alone under ``dest`` (no experiment table beside it)."""
    shutil.copytree(runs["variant"] / kind, dest / kind)
    return dest / kind / "result.json"


def _edit(path: Path, **changes: object) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            doc[k] = {kk: vv for kk, vv in {**doc[k], **v}.items() if vv is not None}
        elif v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_shipping_refuses_a_run_without_its_own_evaluation(runs: dict[str, Path], default_file: Path,
                                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = _copy_run(runs, "ao-mdm", tmp_path / "r")
    _edit(res, steps_done=1)
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to", capsys)
    assert code == 2 and "written at update 1, the checkpoint is at update 2" in err and err.count("\n") == 1
    res.unlink()
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to", capsys)
    assert code == 2 and "no readable result.json" in err and err.count("\n") == 1 and "Traceback" not in err
    # one run of the list refused: nothing is written for the others either
    shutil.copytree(runs["variant"] / "ap-mdm-peer", tmp_path / "r" / "ap-mdm-peer")
    code, out, err = _ship(tmp_path / "r", "ap-mdm-peer,ao-mdm", tmp_path / "to", capsys)
    assert code == 2 and "no readable result.json" in err and not (tmp_path / "to").exists()
    code, out, err = _ship(tmp_path / "r", "arm", tmp_path / "to", capsys)  # no such run
    assert code == 2 and err.count("\n") == 1


def test_the_training_file_is_derived_from_the_run_or_shipping_refuses(
        runs: dict[str, Path], default_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = _copy_run(runs, "ao-mdm", tmp_path / "r")
    _edit(res, command=None, data={"train_file": None, "train_file_sha256": None})  # an older run's record
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to", capsys)
    assert code == 2 and "pass the file with --train-file" in err and err.count("\n") == 1
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to", capsys, "--train-file", str(default_file))
    assert code == 2 and "does not hold the 3 puzzles" in err and not (tmp_path / "to").exists()
    # a copy of the right file under another name is recognised by its content
    other = _write(tmp_path / "same-puzzles.txt", EASY[:3])
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to", capsys, "--train-file", str(other))
    assert code == 0, err
    entry = json.loads((tmp_path / "to" / "sudoku" / "manifest.json").read_text(encoding="utf-8"))["models"]
    assert list(entry) == ["ao-mdm-train3"] and entry["ao-mdm-train3"]["train_file"] == str(other)
    cmd = entry["ao-mdm-train3"]["command"]
    assert cmd.startswith("powergen experiment sudoku --models ao-mdm --seed 0") and "--steps 2" in cmd
    assert f"--train-file {other}" in cmd and cmd.endswith("(model config in the weights file)")
    # an AP-MDM run records its puzzle list in the name of its transition store: that alone identifies the file
    res = _copy_run(runs, "ap-mdm-peer", tmp_path / "p")
    _edit(res, data={"train_file": None, "puzzles_sha256": None})
    code, out, err = _ship(tmp_path / "p", "ap-mdm-peer", tmp_path / "to", capsys, "--train-file", str(other))
    assert code == 0 and json.loads(out)["shipped"]["ap-mdm-peer"]["name"] == "ap-mdm-peer-train3"
    code, out, err = _ship(tmp_path / "p", "ap-mdm-peer", tmp_path / "to", capsys, "--train-file",
                           str(default_file))
    assert code == 2 and "does not hold" in err


@pytest.mark.parametrize("changes", [
    {"eval": None}, {"eval": [1]}, {"eval": {"n": 2}}, {"eval_settings": None}, {"eval_settings": "x"},
])
def test_a_result_json_without_a_usable_evaluation_is_refused_in_one_line(
        runs: dict[str, Path], default_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        changes: dict[str, object]) -> None:
    res = _copy_run(runs, "ao-mdm", tmp_path / "r")
    doc = json.loads(res.read_text(encoding="utf-8"))
    for k, v in changes.items():  # replaced whole (not merged) or removed
        if v is None:
            doc.pop(k)
        else:
            doc[k] = v
    res.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to", capsys)
    assert code == 2 and err.count("\n") == 1 and "evaluation" in err, err
    assert not (tmp_path / "to").exists()


def test_odd_fields_of_an_older_result_give_a_rebuilt_command_or_one_line(
        runs: dict[str, Path], default_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = _copy_run(runs, "ao-mdm", tmp_path / "r")
    _edit(res, command=None, train=[2], budget_cpu_seconds="60", eval_settings={"cap_multiple": None})
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to", capsys)
    assert code == 0, err
    cmd = json.loads((tmp_path / "to" / "sudoku" / "manifest.json").read_text(encoding="utf-8"))["models"][
        "ao-mdm-train3"]["command"]
    assert "--steps ? --batch-size ?" in cmd and "--budget-cpu-minutes" not in cmd and "--cap-multiple ?" in cmd
    _edit(res, data={"puzzles": True})  # a count that is not a number of puzzles
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to2", capsys)
    assert code == 2 and err.count("\n") == 1 and "records no digest" in err, err


def test_a_training_file_recorded_relative_to_the_repository_is_found_from_any_directory(
        runs: dict[str, Path], default_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A run records a file inside the repository by its repository-relative path (the same in every clone);
    shipping from another working directory still finds it there."""
    from proofs_check.experiments import ship

    clone = tmp_path / "clone"
    (clone / "data").mkdir(parents=True)
    _write(clone / "data" / "big.txt", EASY[:3])
    monkeypatch.setattr(ship, "REPO_ROOT", clone)
    res = _copy_run(runs, "ao-mdm", tmp_path / "r")
    _edit(res, data={"train_file": "data/big.txt"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = _ship(tmp_path / "r", "ao-mdm", tmp_path / "to", capsys)
    assert code == 0, err
    entry = json.loads((tmp_path / "to" / "sudoku" / "manifest.json").read_text(encoding="utf-8"))["models"]
    assert entry["ao-mdm-train3"]["train_file"] == "data/big.txt"


def test_ship_without_models_takes_the_runs_that_exist(runs: dict[str, Path], default_file: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """As for max-flow: no --models ships the kinds whose run directory exists (here ao-mdm and ap-mdm-peer)."""
    code, out, err = _cli(["experiment", "sudoku", "--run-dir", str(runs["variant"]), "--ship", "--ship-to",
                           str(tmp_path), "--json"], capsys)
    assert code == 0, err
    assert {k: v["name"] for k, v in json.loads(out)["shipped"].items()} == {
        "ao-mdm": "ao-mdm-train3", "ap-mdm-peer": "ap-mdm-peer-train3"}
    code, out, err = _cli(["experiment", "sudoku", "--run-dir", str(tmp_path / "none"), "--ship", "--ship-to",
                           str(tmp_path / "to")], capsys)
    assert code == 2 and err.count("\n") == 1 and not (tmp_path / "to").exists()


@pytest.mark.parametrize("entry", [1, {"kind": "arm"}, {"kind": ["arm"], "file": "arm.npz"}, {"file": 3}])
def test_a_malformed_manifest_entry_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch, entry: object) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"schema": sr.SHIPPED_SCHEMA, "models": {"arm": entry}}),
                                            encoding="utf-8")
    monkeypatch.setattr(sr, "SHIPPED_DIR", tmp_path)
    code, out, err = _cli(["eval", "sudoku", "--checkpoint", "shipped", "--count", "1"], capsys)
    assert code == 2 and err.count("\n") == 1 and "manifest" in err, err


def test_an_interrupted_shipping_leaves_the_old_folder_whole(runs: dict[str, Path], default_file: Path,
                                                             tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The weights and the manifest change together: shipping again (a new entry and an overwritten one) that fails
    at the folder swap leaves every byte of the old folder as it was, and no staged copy behind."""
    from proofs_check.experiments import ship

    assert _ship(runs["default"], "ao-mdm", tmp_path, capsys)[0] == 0
    folder = tmp_path / "sudoku"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def fail(staged: Path, target: Path) -> None:
        assert sorted(p.name for p in staged.iterdir()) == ["ao-mdm-train3.npz", "ao-mdm.npz", "manifest.json"]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ship, "_atomic_dir_swap", fail)
    code, _, err = _ship(runs["variant"], "ao-mdm", tmp_path, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "No space left" in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sudoku"]
    monkeypatch.undo()
    assert _ship(runs["variant"], "ao-mdm", tmp_path, capsys)[0] == 0  # and without the failure it goes through
    assert sorted(p.name for p in folder.iterdir()) == ["ao-mdm-train3.npz", "ao-mdm.npz", "manifest.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sudoku"]
    assert folder.stat().st_mode & 0o777 == 0o755  # as max-flow's shipped folders, not a temp dir's 0o700

"""``scripts/bench_pages.py``: marked blocks are found, rewritten from a benchmark JSON, and checked (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from docs_ext import REPO, load_file

bp = load_file("bench_pages", REPO / "scripts" / "bench_pages.py")

PAGE = """# A page

Prose with a quoted marker `<!-- bench:begin not-a-marker -->` stays prose.

<!-- bench:begin fast vs slow -->
stale table
<!-- bench:end -->

<!-- bench:begin other group -->
kept as it is
<!-- bench:end -->

History: 3 ms (hand-measured).
"""


def _bench(name: str, param: str, lo: float, med: float, rounds: int, group: str = "fast vs slow") -> dict[str, Any]:
    return {"group": group, "name": name, "param": param, "extra_info": {},
            "options": {"timer": "perf_counter"}, "stats": {"min": lo, "median": med, "rounds": rounds}}


RESULTS = {"datetime": "2026-12-05T00:00:00", "commit_info": {"id": "abcdef0123", "dirty": False},
           "machine_info": {"node": "box", "cpu": {"count": 2}, "load_average": [7.5, 8.0]},
           "benchmarks": [_bench("t[slow]", "slow", 0.030, 0.031, 10), _bench("t[fast]", "fast", 0.0015, 0.002, 90)]}


def test_blocks_are_the_markers_alone_on_their_lines() -> None:
    found = bp.blocks(PAGE)
    assert [b.group for b in found] == ["fast vs slow", "other group"]
    assert PAGE[found[0].start:found[0].stop].strip() == "stale table"


def test_rewrite_replaces_only_measured_groups_and_is_idempotent() -> None:
    groups, meta = bp.by_group(RESULTS), bp.meta_of(RESULTS)
    new = bp.rewrite(PAGE, groups, meta)
    assert "stale table" not in new and "kept as it is" in new and "History: 3 ms" in new
    # fastest first; the ratio is min / fastest min = 0.030 / 0.0015 = 20
    rows = [line for line in new.splitlines() if line.startswith("| ") and "benchmark" not in line]
    assert rows == ["| fast | 1.5 ms | 2 ms | 90 | 1× |", "| slow | 30 ms | 31 ms | 10 | 20× |"]
    assert "commit abcdef0" in new and "load average 7.5 before the run" in new
    assert bp.rewrite(new, groups, meta) == new


def test_a_label_in_extra_info_names_the_row() -> None:
    b = _bench("t[x]", "x", 1.0, 1.0, 1)
    b["extra_info"] = {"label": "`powergen check thm5`"}
    b["options"] = {"timer": "time.process_time"}
    text = bp.render("g", [b], {"date": "D", "commit": "C", "machine": "M"})
    assert "| `powergen check thm5` | 1 s |" in text and "CPU time" in text


@pytest.mark.parametrize("text, where", [
    ("<!-- bench:begin g -->\nno end\n", "has no"),
    ("<!-- bench:end -->\n", "without a begin"),
    ("<!-- bench:begin a -->\n<!-- bench:begin b -->\n<!-- bench:end -->\n", "not closed"),
])
def test_malformed_markers_are_refused(text: str, where: str) -> None:
    with pytest.raises(bp.PageError, match=where):
        bp.blocks(text)


def _repo(tmp_path: Path, page: str, test_src: str) -> Path:
    (tmp_path / "docs" / "bench").mkdir(parents=True)
    (tmp_path / "tests" / "x").mkdir(parents=True)
    (tmp_path / "docs" / "bench" / "p.md").write_text(page, encoding="utf-8")
    (tmp_path / "tests" / "x" / "test_b.py").write_text(test_src, encoding="utf-8")
    return tmp_path


def test_check_names_a_marker_whose_group_no_test_declares(tmp_path: Path) -> None:
    root = _repo(tmp_path, PAGE, '@pytest.mark.benchmark(group="fast vs slow")\ndef test_t(benchmark): ...\n')
    problems = bp.check(root)
    assert len(problems) == 1 and "'other group'" in problems[0] and "docs/bench/p.md:9" in problems[0]
    (root / "tests" / "x" / "test_c.py").write_text("def test_u(benchmark):\n    benchmark.group = 'other group'\n",
                                                    encoding="utf-8")
    assert bp.check(root) == []


def test_update_pages_rewrites_in_place_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    root = _repo(tmp_path, PAGE, "")
    assert bp.update_pages(RESULTS, root) == ["docs/bench/p.md"]
    assert "| fast | 1.5 ms |" in (root / "docs" / "bench" / "p.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in (root / "docs" / "bench").iterdir()) == ["p.md"]
    assert bp.update_pages(RESULTS, root) == []  # nothing changed the second time


def test_from_json_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps({"benchmarks": []}), encoding="utf-8")
    assert bp.main(["--from-json", str(saved)]) == 0  # no group measured: no page of the repository changes
    assert "pages rewritten: none" in capsys.readouterr().out

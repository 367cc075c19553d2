"""CPU time of the commands users wait for (issue 17; off by default, ``-m benchmark``).

Each command runs once, in this process, through :func:`proofs_check.cli.main`, timed with ``time.process_time``
(user + system CPU seconds of this process; the commands run on one process here).  The table on
docs/bench/speed.md is generated from this group by ``scripts/bench_pages.py``; the targets of issue 17 are
stated there.  Each run must succeed (exit 0), so a timing never stands for a failed check.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from proofs_check.cli import main

COMMANDS = {
    "powergen check thm5 --json": ["check", "thm5", "--json"],
    "powergen check thm1 --json": ["check", "thm1", "--json"],
    "powergen reduce thm1 --program connectivity --n 1024 --max-seconds 600 --json": [
        "reduce", "thm1", "--program", "connectivity", "--n", "1024", "--max-seconds", "600", "--json"],
    "powergen eval parity --oracle --json": ["eval", "parity", "--oracle", "--json"],
}


@pytest.mark.benchmark(group="commands users wait for (CPU seconds)", timer=time.process_time, disable_gc=False)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_command_cpu_time(benchmark: Any, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    benchmark.extra_info["label"] = f"`{command}`"
    code = benchmark.pedantic(main, args=(COMMANDS[command],), rounds=1, iterations=1)
    assert code == 0, capsys.readouterr().err

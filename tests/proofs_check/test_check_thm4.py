"""``powergen check thm4``: the table and its determinism."""

from __future__ import annotations

import json

from proofs_check.cli import main


def _json(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err



def test_check_thm4_table_and_determinism(capsys):
    argv = ["check", "thm4", "--programs", "iterate,sum", "--max-n", "16", "--json"]
    code, d1, _ = _json(capsys, argv)
    code2, d2, _ = _json(capsys, argv)
    assert code == code2 == 0 and d1 == d2 and d1["context_O1_in_T_ok"] is True
    assert main(["check", "thm4", "--programs", "iterate", "--max-n", "8"]) == 0
    out = capsys.readouterr().out
    for col in ("program", "steps", "bound", "context", "all points ok"):
        assert col in out


"""Regression pin: the Theorem 1 and Theorem 4 constructions' lookup counts on the case catalogue (issue 17).

The constructions were rewritten for speed (sparse lookup charging, predictions built without whole-context
passes).  Issue 17 demands that every counted lookup survives: the counts after the rewrite must be *identical*
to those before.  So, exceptionally, the expected values below are literals produced by the code as it was before
the rewrite (commit d56b26c, by ``fill`` on every step of a lock-step run) -- a pin of a count, not an
independent oracle.  The independent checks of the counts (against the ``2 + R`` / ``8 + R`` bounds, and the
outputs against the PRAM and the sequential oracles) live in tests/reductions/test_pram_to_mdm.py and
tests/reductions/test_pram_to_apmdm.py.

Each entry: (case id, (machine steps, sum of the lookups of all filled positions over all steps, the largest
per-position count, the first 16 hex digits of a sha256 over every step's per-position count vector)).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest
from case_catalogue import all_cases  # noqa: E402

from pram.programs import PROGRAMS  # noqa: E402
from reductions.lockstep import run_apmdm, run_mdm  # noqa: E402
from reductions.pram_to_apmdm import build_apmdm  # noqa: E402
from reductions.pram_to_mdm import build_mdm  # noqa: E402

THM1: list[tuple[str, tuple[int, int, int, str]]] = [
    ("prefix-sums:{'values': [3, 1, 4, 1, 5]}", (5, 328, 3, 'c0463f7a9019b6ae')),
    ("prefix-sums:{'values': [7]}", (2, 20, 3, '017c6414d9d02d3c')),
    ("prefix-sums:{'values': [-2, 2, -2, 2, -2, 2, -2, ...", (6, 738, 3, 'b2cb849950b93224')),
    ("sum:{'values': [3, 1, 4, 1, 5, 9, 2, 6]}", (4, 261, 4, '143fdab2fdbb8318')),
    ("sum:{'values': [-5]}", (1, 2, 2, '0c730b69905c5ef7')),
    ("sum:{'values': [10, -10, 10]}", (3, 55, 4, 'ff273da4d44e4c66')),
    ("parity:{'bits': [1, 0, 1, 1]}", (3, 99, 4, 'b13dc970e18c91bb')),
    ("parity:{'bits': [0, 0]}", (2, 32, 4, '661103dc00302720')),
    ("parity:{'bits': [1, 1, 1, 1, 1, 1, 1]}", (4, 203, 4, '675c52cfb9af8a21')),
    ("list-ranking:{'next': [1, 2, -1]}", (4, 255, 4, '2c9044dce0cb72f3')),
    ("list-ranking:{'next': [-1, 0, 1, 2]}", (4, 358, 4, '65773dbd36f9a402')),
    ("list-ranking:{'next': [-1]}", (2, 31, 3, '242ff51d26e48f53')),
    ("sort:{'values': [3, -1, 2, 2]}", (4, 152, 4, '81e9cd309d1a5018')),
    ("sort:{'values': [5, 4, 3, 2, 1, 0]}", (7, 592, 4, '409566c6bd59386a')),
    ("dyck:{'k': 2, 'word': [1, 2, -2, -1]}", (13, 1366, 4, '7ec102014d349948')),
    ("dyck:{'k': 2, 'word': [1, -2]}", (9, 458, 4, 'daa7fe0712e5eab7')),
    ("dyck:{'k': 1, 'word': [1, -1, 1, -1]}", (13, 1366, 4, '7ec102014d349948')),
    ("dyck:{'k': 2, 'word': [-1, 1]}", (9, 458, 4, 'daa7fe0712e5eab7')),
    ("connectivity:{'n': 5, 'edges': [[0, 1], [3, 4]]}", (46, 18573, 5, '90c2a9da12fd4335')),
    ("connectivity:{'n': 6, 'edges': [[5, 0], [0, 3], [3...", (55, 34810, 5, 'aa8819e21ce73f6c')),
    ("connectivity:{'n': 3, 'edges': []}", (37, 4880, 4, '822ddffc504b4b62')),
    ("connectivity:{'n': 4, 'edges': [[0, 1], [1, 2], [2...", (46, 29166, 5, 'f5ea21e9d7acde29')),
    ("sat:{'num_vars': 2, 'clauses': [[1, 2], [...", (7, 658, 4, '1c4b9bf49c064c49')),
    ("sat:{'num_vars': 1, 'clauses': [[1], [-1]]}", (5, 346, 4, '2ec03f7131c3cb6b')),
    ("sat:{'num_vars': 3, 'clauses': [[3]]}", (11, 562, 4, 'aee64748952d216a')),
    ("iterate:{'x0': 1, 'a': 3, 'c': 1, 'm': 7, 'st...", (5, 122, 7, '9ae73a19507cce49')),
    ("iterate:{'x0': 5, 'a': 1, 'c': 0, 'm': 11, 's...", (2, 59, 7, '6bf274f29f8789a6')),
    ("connectivity:{'n': 1, 'edges': []}", (1, 8, 2, 'cefa0452f6026220')),
    ("connectivity:{'n': 2, 'edges': [[1, 0]]}", (28, 4972, 5, 'ae4209d016a55742')),
    ("connectivity:{'n': 3, 'edges': [[0, 0], [2, 2], [1...", (37, 18352, 5, '1cc1d332b93fe0d7')),
    ("connectivity:{'n': 5, 'edges': [[1, 4], [4, 3], [3...", (46, 26989, 5, 'cdbebe04318a416d')),
    ("connectivity:{'n': 8, 'edges': [[5, 6], [1, 2], [1...", (64, 105162, 5, 'b1256e1edd86a2a4')),
    ("dyck:{'k': 3, 'word': [1]}", (5, 98, 3, '83d352c4a5ed7231')),
    ("dyck:{'k': 2, 'word': [1, -2]}", (9, 458, 4, 'daa7fe0712e5eab7')),
    ("dyck:{'k': 3, 'word': [1, 1, -3]}", (12, 958, 4, '3b1d8b7208c02b96')),
    ("dyck:{'k': 2, 'word': [-2, 2, -1, -1, -1]}", (17, 2430, 4, '642e0742e684bda5')),
    ("dyck:{'k': 3, 'word': [3, -3, 1, 1, 2, -2,...", (18, 3852, 4, 'fa9577666874dd6f')),
    ("iterate:{'x0': 31, 'a': 23, 'c': 95, 'm': 97,...", (2, 59, 7, '6bf274f29f8789a6')),
    ("iterate:{'x0': 870251, 'a': 961047, 'c': 2868...", (3, 80, 7, '8a02ad940d2b81f1')),
    ("iterate:{'x0': 92, 'a': 26, 'c': 20, 'm': 97,...", (4, 101, 7, '39f1ef44712e6b2d')),
    ("iterate:{'x0': 250825, 'a': 972988, 'c': 9467...", (6, 143, 7, '9f929273530bb791')),
    ("iterate:{'x0': 67, 'a': 68, 'c': 79, 'm': 97,...", (9, 206, 7, '5cc86ee2d1f8fadc')),
    ("list-ranking:{'next': [-1]}", (2, 31, 3, '242ff51d26e48f53')),
    ("list-ranking:{'next': [1, -1]}", (3, 116, 4, '395bfc78236626ae')),
    ("list-ranking:{'next': [-1, 0, 1]}", (4, 255, 4, '14cce7734ad74977')),
    ("list-ranking:{'next': [-1, 2, 3, 4, 0]}", (5, 569, 4, '1dc961b442bc98be')),
    ("list-ranking:{'next': [3, -1, 0, 6, 7, 1, 4, 5]}", (5, 986, 4, '191eea5f2fd40ed5')),
    ("parity:{'bits': [1]}", (1, 2, 2, '0c730b69905c5ef7')),
    ("parity:{'bits': [0, 1]}", (2, 32, 4, '661103dc00302720')),
    ("parity:{'bits': [1, 1, 0]}", (3, 55, 4, 'ff273da4d44e4c66')),
    ("parity:{'bits': [1, 0, 1, 1, 0]}", (4, 136, 4, 'd852f6d7ad22d696')),
    ("parity:{'bits': [1, 1, 1, 1, 0, 0, 0, 0]}", (4, 261, 4, '143fdab2fdbb8318')),
    ("prefix-sums:{'values': [439]}", (2, 20, 3, '017c6414d9d02d3c')),
    ("prefix-sums:{'values': [-157, 741]}", (3, 70, 3, '67aa9243f7e0712f')),
    ("prefix-sums:{'values': [553, 912, -472]}", (4, 150, 3, 'dd269f09f0066e13')),
    ("prefix-sums:{'values': [226, -499, 946, 894, -872]}", (5, 328, 3, 'c0463f7a9019b6ae')),
    ("prefix-sums:{'values': [863, 386, 411, 632, -517,...", (5, 550, 3, 'f62dc9372bb88788')),
    ("sat:{'num_vars': 1, 'clauses': [[1], [-1]...", (5, 574, 4, 'f7d05fa22693a878')),
    ("sat:{'num_vars': 2, 'clauses': [[1, -2], ...", (7, 1606, 4, '4514949fbf42c97f')),
    ("sat:{'num_vars': 3, 'clauses': [[2, 3, 1]...", (11, 3514, 4, '470d9afaf5050d22')),
    ("sat:{'num_vars': 4, 'clauses': [[1, 4, -3...", (19, 7754, 4, 'e6b5d328282bc1d3')),
    ("sort:{'values': [22]}", (1, 2, 2, '0c730b69905c5ef7')),
    ("sort:{'values': [-8, 37]}", (2, 28, 4, '373a5f278b7a3d75')),
    ("sort:{'values': [28, 46, -24]}", (4, 152, 4, '81e9cd309d1a5018')),
    ("sort:{'values': [11, -25, 48, 45, -44]}", (7, 592, 4, '409566c6bd59386a')),
    ("sort:{'values': [44, 19, 21, 32, -26, -16,...", (7, 592, 4, '409566c6bd59386a')),
    ("sum:{'values': [439]}", (1, 2, 2, '0c730b69905c5ef7')),
    ("sum:{'values': [-157, 741]}", (2, 32, 4, '661103dc00302720')),
    ("sum:{'values': [553, 912, -472]}", (3, 55, 4, 'ff273da4d44e4c66')),
    ("sum:{'values': [226, -499, 946, 894, -872]}", (4, 136, 4, 'd852f6d7ad22d696')),
    ("sum:{'values': [863, 386, 411, 632, -517,...", (4, 261, 4, '143fdab2fdbb8318')),
]

THM4: list[tuple[str, tuple[int, int, int, str]]] = [
    ("prefix-sums:{'values': [3, 1, 4, 1, 5]}", (12, 2202, 9, '55b845db8ae6d054')),
    ("prefix-sums:{'values': [7]}", (6, 232, 8, '372c63d1f5b0cef9')),
    ("prefix-sums:{'values': [-2, 2, -2, 2, -2, 2, -2, ...", (14, 4813, 9, 'f61cbdea49f30d12')),
    ("sum:{'values': [3, 1, 4, 1, 5, 9, 2, 6]}", (10, 1572, 10, 'e2d5fb7ac6ac252e')),
    ("sum:{'values': [-5]}", (0, 0, 0, 'e3b0c44298fc1c14')),
    ("sum:{'values': [10, -10, 10]}", (8, 466, 10, '704aac2658e65522')),
    ("parity:{'bits': [1, 0, 1, 1]}", (8, 720, 10, 'ffa68fbc988e7041')),
    ("parity:{'bits': [0, 0]}", (6, 283, 10, 'c79da219ae35f547')),
    ("parity:{'bits': [1, 1, 1, 1, 1, 1, 1]}", (10, 1318, 10, 'e847d62677026d50')),
    ("list-ranking:{'next': [1, 2, -1]}", (11, 1656, 10, '2b2030c8b11deea3')),
    ("list-ranking:{'next': [-1, 0, 1, 2]}", (11, 2385, 10, '3b4bf99c9569a233')),
    ("list-ranking:{'next': [-1]}", (7, 345, 9, '795f242da55ed75e')),
    ("sort:{'values': [3, -1, 2, 2]}", (10, 1054, 10, '549848dd61d50e4a')),
    ("sort:{'values': [5, 4, 3, 2, 1, 0]}", (16, 3748, 10, 'dd84117667afa413')),
    ("dyck:{'k': 2, 'word': [1, 2, -2, -1]}", (29, 10611, 10, 'd575ba607c0517a3')),
    ("dyck:{'k': 2, 'word': [1, -2]}", (21, 3712, 10, 'f5ce0712ff9ecdb7')),
    ("dyck:{'k': 1, 'word': [1, -1, 1, -1]}", (29, 10611, 10, 'd575ba607c0517a3')),
    ("dyck:{'k': 2, 'word': [-1, 1]}", (21, 3712, 10, 'f5ce0712ff9ecdb7')),
    ("connectivity:{'n': 5, 'edges': [[0, 1], [3, 4]]}", (95, 124399, 11, '061a7b39547597ab')),
    ("connectivity:{'n': 6, 'edges': [[5, 0], [0, 3], [3...", (113, 230096, 11, '10dac32c94503079')),
    ("connectivity:{'n': 3, 'edges': []}", (77, 34208, 10, '123b49ed1fb616fb')),
    ("connectivity:{'n': 4, 'edges': [[0, 1], [1, 2], [2...", (95, 191286, 11, '580543dd74011ef2')),
    ("sat:{'num_vars': 2, 'clauses': [[1, 2], [...", (17, 5331, 9, '41fa1704bf4ad23f')),
    ("sat:{'num_vars': 1, 'clauses': [[1], [-1]]}", (13, 2734, 9, '8f656f16edec044f')),
    ("sat:{'num_vars': 3, 'clauses': [[3]]}", (25, 4787, 9, 'd3d78e368d4e3c7f')),
    ("iterate:{'x0': 1, 'a': 3, 'c': 1, 'm': 7, 'st...", (12, 856, 13, '232b81ab2081b2b9')),
    ("iterate:{'x0': 5, 'a': 1, 'c': 0, 'm': 11, 's...", (6, 307, 13, '8f01777ae5a26e71')),
    ("connectivity:{'n': 1, 'edges': []}", (0, 0, 0, 'e3b0c44298fc1c14')),
    ("connectivity:{'n': 2, 'edges': [[1, 0]]}", (59, 33837, 11, '6c3b02221dc6fa5b')),
    ("connectivity:{'n': 3, 'edges': [[0, 0], [2, 2], [1...", (77, 120770, 11, '82cb0c2701f2c3fb')),
    ("connectivity:{'n': 5, 'edges': [[1, 4], [4, 3], [3...", (95, 178378, 11, '302a61e64f516689')),
    ("connectivity:{'n': 8, 'edges': [[5, 6], [1, 2], [1...", (131, 682437, 11, '02199ec68fadde7d')),
    ("dyck:{'k': 3, 'word': [1]}", (13, 1025, 9, '60f3cb5691af9372')),
    ("dyck:{'k': 2, 'word': [1, -2]}", (21, 3712, 10, 'f5ce0712ff9ecdb7')),
    ("dyck:{'k': 3, 'word': [1, 1, -3]}", (27, 7459, 10, '3910c24571c8567f')),
    ("dyck:{'k': 2, 'word': [-2, 2, -1, -1, -1]}", (37, 17860, 10, '5085016c91642370')),
    ("dyck:{'k': 3, 'word': [3, -3, 1, 1, 2, -2,...", (39, 29312, 10, '4a9d8951405d44fe')),
    ("iterate:{'x0': 31, 'a': 23, 'c': 95, 'm': 97,...", (6, 307, 13, '8f01777ae5a26e71')),
    ("iterate:{'x0': 870251, 'a': 961047, 'c': 2868...", (8, 490, 13, 'c02006c2af4b5514')),
    ("iterate:{'x0': 92, 'a': 26, 'c': 20, 'm': 97,...", (10, 673, 13, '0e478217dfd5da69')),
    ("iterate:{'x0': 250825, 'a': 972988, 'c': 9467...", (14, 1039, 13, '22968277b1f9a7a9')),
    ("iterate:{'x0': 67, 'a': 68, 'c': 79, 'm': 97,...", (20, 1588, 13, 'c42d7f91cd78efff')),
    ("list-ranking:{'next': [-1]}", (7, 345, 9, '795f242da55ed75e')),
    ("list-ranking:{'next': [1, -1]}", (9, 894, 10, 'a287d8fd82947b01')),
    ("list-ranking:{'next': [-1, 0, 1]}", (11, 1656, 10, '98336c3e53f6a6c4')),
    ("list-ranking:{'next': [-1, 2, 3, 4, 0]}", (13, 3371, 10, 'bfff02f506061d50')),
    ("list-ranking:{'next': [3, -1, 0, 6, 7, 1, 4, 5]}", (13, 6197, 10, 'd55097b6c9cdb8a6')),
    ("parity:{'bits': [1]}", (0, 0, 0, 'e3b0c44298fc1c14')),
    ("parity:{'bits': [0, 1]}", (6, 283, 10, 'c79da219ae35f547')),
    ("parity:{'bits': [1, 1, 0]}", (8, 466, 10, '704aac2658e65522')),
    ("parity:{'bits': [1, 0, 1, 1, 0]}", (10, 903, 10, '31311b43e5d021e3')),
    ("parity:{'bits': [1, 1, 1, 1, 0, 0, 0, 0]}", (10, 1572, 10, 'e2d5fb7ac6ac252e')),
    ("prefix-sums:{'values': [439]}", (6, 232, 8, '372c63d1f5b0cef9')),
    ("prefix-sums:{'values': [-157, 741]}", (8, 593, 9, '5a97860f24d46d07')),
    ("prefix-sums:{'values': [553, 912, -472]}", (10, 1091, 9, '4142911a3ff1558a')),
    ("prefix-sums:{'values': [226, -499, 946, 894, -872]}", (12, 2202, 9, '55b845db8ae6d054')),
    ("prefix-sums:{'values': [863, 386, 411, 632, -517,...", (12, 4017, 9, '62b0056e4e72496f')),
    ("sat:{'num_vars': 1, 'clauses': [[1], [-1]...", (13, 4306, 9, 'e1e64cdee70ab32f')),
    ("sat:{'num_vars': 2, 'clauses': [[1, -2], ...", (17, 12541, 9, '00dd6b4f786ea04e')),
    ("sat:{'num_vars': 3, 'clauses': [[2, 3, 1]...", (25, 29323, 9, '55d4fe7dcc98dcca')),
    ("sat:{'num_vars': 4, 'clauses': [[1, 4, -3...", (41, 68075, 9, 'e8c98f2c512dbaf0')),
    ("sort:{'values': [22]}", (0, 0, 0, 'e3b0c44298fc1c14')),
    ("sort:{'values': [-8, 37]}", (6, 248, 10, '1a499ed09c03d46d')),
    ("sort:{'values': [28, 46, -24]}", (10, 1054, 10, '549848dd61d50e4a')),
    ("sort:{'values': [11, -25, 48, 45, -44]}", (16, 3748, 10, 'dd84117667afa413')),
    ("sort:{'values': [44, 19, 21, 32, -26, -16,...", (16, 3748, 10, 'dd84117667afa413')),
    ("sum:{'values': [439]}", (0, 0, 0, 'e3b0c44298fc1c14')),
    ("sum:{'values': [-157, 741]}", (6, 283, 10, 'c79da219ae35f547')),
    ("sum:{'values': [553, 912, -472]}", (8, 466, 10, '704aac2658e65522')),
    ("sum:{'values': [226, -499, 946, 894, -872]}", (10, 903, 10, '31311b43e5d021e3')),
    ("sum:{'values': [863, 386, 411, 632, -517,...", (10, 1572, 10, 'e2d5fb7ac6ac252e')),
]


def _measure(theorem: str, program: str, instance: Any) -> tuple[int, int, int, str]:
    prog = PROGRAMS[program]
    inst = prog.parse_instance(instance)
    build, run = (build_mdm, run_mdm) if theorem == "thm1" else (build_apmdm, run_apmdm)
    con, _ = build(prog, inst)
    r = run(prog, inst, keep_records=True)
    assert r.records is not None
    h = hashlib.sha256()
    total = 0
    for rec in r.records:
        _, look = con.fill(rec.x)
        look = np.asarray(look, dtype=np.int64)
        h.update(np.int64(look.size).tobytes())
        h.update(look.tobytes())
        total += int(look.sum())
    return len(r.records), total, r.lookups_max, h.hexdigest()[:16]


CASES = all_cases()


def test_the_pins_cover_the_catalogue() -> None:
    assert [c.id for c in CASES] == [i for i, _ in THM1] == [i for i, _ in THM4]


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c.id for c in CASES])
def test_theorem1_lookup_counts_unchanged(i: int) -> None:
    case = CASES[i]
    assert _measure("thm1", case.program, case.input) == THM1[i][1]


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c.id for c in CASES])
def test_theorem4_lookup_counts_unchanged(i: int) -> None:
    case = CASES[i]
    assert _measure("thm4", case.program, case.input) == THM4[i][1]

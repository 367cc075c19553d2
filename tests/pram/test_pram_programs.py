"""Every library program equals its independent oracle, and every counter equals its exact closed form."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pram.errors import InvalidInput
from pram.machine import PRAM, Policy
from pram.programs import PROGRAMS, get_program
from pram.programs.connectivity import iterations
from pram.rng import as_generator

INT64 = st.integers(-(2**40), 2**40)
MAX_N = {"sat": 7, "iterate": 300, "connectivity": 40}


def check(name: str, inst: Any, policy: Policy | None = None, seed: int = 0) -> Any:
    prog = get_program(name)
    run = PRAM(program=prog, policy=policy, seed=seed).run(inst)
    assert run.output == prog.oracle(inst)
    assert run.counters == prog.exact_counters(inst)
    return run.output


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 6, 7, 9, 16, 17])
def test_small_sizes_including_0_1_and_non_powers_of_two(name: str, n: int) -> None:
    if name == "sat" and n > 9:
        n = 9
    for seed in range(3):
        check(name, get_program(name).random_instance(n, as_generator(seed)))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@given(data=st.data())
def test_random_instances(name: str, data: st.DataObject) -> None:
    n = data.draw(st.integers(0, MAX_N.get(name, 70)), label="n")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    check(name, get_program(name).random_instance(n, as_generator(seed)))


@given(st.lists(INT64, max_size=70))
def test_prefix_sums_sum_sort_on_drawn_values(values: list[int]) -> None:
    for name in ("prefix-sums", "sum", "sort"):
        check(name, get_program(name).parse_instance({"values": values}))


@given(st.lists(st.integers(0, 1), max_size=100))
def test_parity_on_drawn_bits(bits: list[int]) -> None:
    check("parity", get_program("parity").parse_instance({"bits": bits}))


@given(st.permutations(list(range(40))).flatmap(lambda p: st.integers(0, 40).map(lambda k: p[:k])))
def test_list_ranking_on_drawn_orders(order: list[int]) -> None:
    n = len(order)
    relabel = sorted(order)
    index = {v: i for i, v in enumerate(relabel)}
    nxt = [-1] * n
    for a, b in zip(order, order[1:], strict=False):
        nxt[index[a]] = index[b]
    check("list-ranking", get_program("list-ranking").parse_instance({"next": nxt}))


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 30))
    if n == 0:
        return {"n": 0, "edges": []}
    node = st.integers(0, n - 1)
    edges = draw(st.lists(st.lists(node, min_size=2, max_size=2), max_size=2 * n))
    if draw(st.booleans()):  # add a long path in a drawn order: deep trees
        perm = draw(st.permutations(list(range(n))))
        edges += [[perm[i], perm[i + 1]] for i in range(n - 1)]
    return {"n": n, "edges": edges}


@given(graphs(), st.integers(0, 2**16))
def test_connectivity_on_drawn_graphs_any_winner(graph: dict[str, Any], seed: int) -> None:
    prog = get_program("connectivity")
    inst = prog.parse_instance(graph)
    check("connectivity", inst, Policy.CRCW_ARBITRARY, seed)
    check("connectivity", inst, Policy.CRCW_PRIORITY)


def test_connectivity_worst_case_paths() -> None:
    """Paths labelled in order, reversed and zig-zag: the deep-tree cases of hooking and pointer jumping."""
    for n in (2, 3, 8, 31, 64, 100):
        zig = [v for pair in zip(range(n // 2), range(n - 1, n // 2 - 1, -1), strict=False) for v in pair]
        zig += [n // 2] if n % 2 else []
        for order in (list(range(n)), list(range(n))[::-1], zig):
            graph = {"n": n, "edges": [[order[i], order[i + 1]] for i in range(n - 1)]}
            for seed in range(3):
                assert check("connectivity", get_program("connectivity").parse_instance(graph),
                             Policy.CRCW_ARBITRARY, seed) == {"components": [list(range(n))]}
    assert [iterations(n) for n in (1, 2, 64)] == [0, 3, 12]


@st.composite
def dyck_words(draw: st.DrawFn) -> dict[str, Any]:
    k = draw(st.integers(1, 3))
    bracket = st.integers(1, k)
    if draw(st.booleans()):
        noise = draw(st.lists(bracket.flatmap(lambda b: st.sampled_from([b, -b])), max_size=40))
        return {"k": k, "word": noise}

    def build(depth: int) -> list[int]:  # a random valid word, then maybe one edit
        out: list[int] = []
        for _ in range(draw(st.integers(0, 3 if depth < 3 else 0))):
            b = draw(bracket)
            out += [b] + build(depth + 1) + [-b]
        return out

    edit: bool = draw(st.booleans())
    word = build(0)
    if word and edit:
        i = draw(st.integers(0, len(word) - 1))
        word[i] = draw(bracket.flatmap(lambda b: st.sampled_from([b, -b])))
    return {"k": k, "word": word}


@given(dyck_words())
def test_dyck_on_drawn_words(obj: dict[str, Any]) -> None:
    check("dyck", get_program("dyck").parse_instance(obj))


def test_dyck_accepts_and_rejects() -> None:
    d = get_program("dyck")
    assert check("dyck", d.parse_instance({"k": 2, "word": [1, 2, -2, 1, -1, -1]})) is True
    assert check("dyck", d.parse_instance({"k": 2, "word": [1, 2, -1, -2]})) is False
    assert check("dyck", d.parse_instance({"k": 1, "word": [-1, 1]})) is False
    assert check("dyck", d.parse_instance({"k": 1, "word": []})) is True


@st.composite
def formulas(draw: st.DrawFn) -> dict[str, Any]:
    v = draw(st.integers(0, 6))
    lit = st.integers(1, v).flatmap(lambda x: st.sampled_from([x, -x])) if v else st.nothing()
    clauses = draw(st.lists(st.lists(lit, max_size=4), max_size=12)) if v else draw(
        st.lists(st.just([]), max_size=1))
    return {"num_vars": v, "clauses": clauses}


@given(formulas())
def test_sat_on_drawn_formulas(obj: dict[str, Any]) -> None:
    out = check("sat", get_program("sat").parse_instance(obj))
    assert out["satisfiable"] == (out["assignment"] is not None)


@given(st.integers(1, 2**31), st.data())
def test_iterate_on_drawn_maps(m: int, data: st.DataObject) -> None:
    obj = {k: data.draw(st.integers(0, m - 1), label=k) for k in ("x0", "a", "c")}
    obj.update(m=m, steps=data.draw(st.integers(0, 200), label="steps"))
    check("iterate", get_program("iterate").parse_instance(obj))


BAD_INPUTS = [
    ("prefix-sums", {"values": [1, "x", 2.5]}, ["values[1]", "values[2]"]),
    ("prefix-sums", {"values": [2**62, 2**62]}, ["overflow"]),
    ("sum", {"values": [2**63]}, ["values[0]"]),
    ("sort", [1, 2], ["JSON object"]),
    ("parity", {"bits": [0, 2, True]}, ["bits[1]", "bits[2]"]),
    ("parity", {"bits": [1], "extra": 1}, ["unknown key 'extra'"]),
    ("list-ranking", {"next": [1, 0]}, ["exactly one tail"]),
    ("list-ranking", {"next": [2, 2, -1]}, ["two predecessors"]),
    ("list-ranking", {"next": [5, -1]}, ["next[0] = 5"]),
    ("connectivity", {"n": 3, "edges": [[0, 3], [1]]}, ["edges[0]", "edges[1]"]),
    ("connectivity", {"n": -1, "edges": []}, ["'n' must be"]),
    ("dyck", {"k": 2, "word": [3, 0]}, ["word[0]", "word[1]"]),
    ("dyck", {"word": [1]}, ["missing key 'k'"]),
    ("sat", {"num_vars": 2, "clauses": [[3], [0]]}, ["clauses[0]", "clauses[1]"]),
    ("sat", {"num_vars": 99, "clauses": []}, ["num_vars"]),
    ("iterate", {"x0": 5, "a": 1, "c": 1, "m": 5, "steps": -1}, ["'x0'", "'steps'"]),
]


@pytest.mark.parametrize(("name", "obj", "fragments"), BAD_INPUTS)
def test_invalid_inputs_report_every_problem(name: str, obj: Any, fragments: list[str]) -> None:
    with pytest.raises(InvalidInput) as exc:
        get_program(name).parse_instance(obj)
    for f in fragments:
        assert f in str(exc.value)


def test_unknown_program() -> None:
    with pytest.raises(InvalidInput, match="known programs: prefix-sums"):
        get_program("quicksort")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_instances_round_trip_through_json(name: str) -> None:
    prog = get_program(name)
    inst = prog.random_instance(5, as_generator(1))
    assert prog.parse_instance(prog.instance_to_json(inst)) == inst
    assert prog.citation and prog.input_format and prog.num_registers >= 1


def test_connectivity_exhaustive_on_all_graphs_up_to_4_nodes() -> None:
    prog = get_program("connectivity")
    for n in range(1, 5):
        pairs = [(u, v) for u in range(n) for v in range(u + 1, n)]
        for mask in range(1 << len(pairs)):
            edges = [list(pairs[i]) for i in range(len(pairs)) if mask >> i & 1]
            inst = prog.parse_instance({"n": n, "edges": edges})
            check("connectivity", inst, Policy.CRCW_PRIORITY)
            check("connectivity", inst, Policy.CRCW_ARBITRARY, seed=mask)


def test_dyck_exhaustive_on_all_words_up_to_length_4() -> None:
    prog = get_program("dyck")
    verdicts = set()
    for n in range(5):
        for word in itertools.product((1, -1, 2, -2), repeat=n):
            verdicts.add(check("dyck", prog.parse_instance({"k": 2, "word": list(word)})))
    assert verdicts == {True, False}

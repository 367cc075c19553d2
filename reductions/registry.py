"""The one registry: for every theorem and experiment, where its construction, claim, tests, page and commands live.

Every table that maps the paper to the code is generated from :data:`ENTRIES`: this module's theorem -> module
answers (:data:`THEOREMS`, :func:`get_theorem`, :func:`load`), the docs' paper map and "Where it lives" boxes
(``docs/_ext/paper_map_data.py`` reads this module), and the tour step named for each entry.  The rows are plain
data -- strings of repository paths, claim ids, page names and command lines -- so that this module, which sits in
``reductions``, imports nothing above it (STYLE.md: pram < machines < reductions < proofs_check).  It names
``proofs_check`` files and ``powergen`` commands only as strings; ``tests/reductions/test_registry.py`` checks that
every one
of them exists on disk (and that every command resolves in the real parser).

Adding a theorem or an experiment is one :class:`Entry` in :data:`ENTRIES`.  Modules are imported lazily by
:func:`load`, so reading the table imports no construction.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from reductions.errors import ReductionError

__all__ = ["ENTRIES", "EXPERIMENTS", "TOUR_INTRO", "Entry", "TheoremEntry", "THEOREMS", "get_entry", "get_theorem",
           "load", "module_name", "register_theorem"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One theorem, check or experiment, and every place it lives.  Paths are relative to the repository root.

    Parameters
    ----------
    id
        Short unique id: ``"thm1"`` ... ``"thm6"``, ``"space"``, ``"parity"``, ``"sudoku"``, ``"maxflow"``.
    kind
        ``"theorem"``, ``"check"`` (a measurement that serves a theorem but is not one) or ``"experiment"``.
    title, statement, provenance
        A short title; the paper's statement in short; the provenance tag of that statement (``"V:moonlight"``;
        the letters are listed in ``docs/paper_notes.md``).
    page
        The docs page (docname, no suffix) that explains it.
    number
        The paper's theorem number (0 for checks and experiments).
    modules
        The construction (or task) modules; the first one holds :attr:`entry`.
    entry
        The first module's main function (``"build_mdm"``), if any.
    summary
        One line: what the construction builds.
    claims
        Claim ids (``proofs_check.claims.CLAIMS`` keys) that ``powergen check`` holds against the construction.
    claim_modules
        The files that define those claims today.
    check_module
        The command module that registers the entry's ``powergen check`` command, if any.
    tests
        The test files that exercise it.
    commands
        Example ``powergen`` command lines (each must parse with the real parser).
    tour_steps
        The tour step modules that demonstrate it.
    tasks
        Names in :data:`reductions.tasks.registry.TASKS` (``powergen train`` / ``eval`` / ``seeds``).
    notes
        What in it is the project's reconstruction rather than the paper's.

    Examples
    --------
    >>> get_entry("thm4").page, get_entry("thm4").claims
    ('theorem4', ('thm4',))
    """

    id: str
    kind: str
    title: str
    statement: str
    provenance: str
    page: str
    number: int = 0
    modules: tuple[str, ...] = ()
    entry: str = ""
    summary: str = ""
    claims: tuple[str, ...] = ()
    claim_modules: tuple[str, ...] = ()
    check_module: str = ""
    tests: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    tour_steps: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    notes: str = ""


# The claims move (issue 14 point 1) relocates claims to ``proofs_check/claims/<id>.py`` and training drivers to
# ``proofs_check/experiments/``; the ``# after the claims move`` comments say which strings change then.
ENTRIES: tuple[Entry, ...] = (
    Entry(
        id="thm1", kind="theorem", number=1, title="MDM simulates PRAM in optimal parallel time",
        statement="PRAM(P(n), T(n)) ⊆ MDM(O(P(n)·T(n)), O(T(n))): O(T(n)) decoding steps, context O(P(n)·T(n)).",
        provenance="V:moonlight", page="theorem1",
        modules=("reductions/pram_to_mdm.py", "reductions/pram_common.py", "reductions/lockstep.py"),
        entry="build_mdm",
        summary="PRAM -> MDM: O(T) decoding steps, context O(P*T) (write-once blocks)",
        claims=("thm1",),
        claim_modules=("proofs_check/claims/thm1.py",),
        check_module="proofs_check/commands/check_thm1.py",
        tests=("tests/reductions/test_pram_to_mdm.py", "tests/proofs_check/test_check_thm1.py",
               "tests/case_catalogue.py"),
        commands=("powergen check thm1", "powergen reduce thm1 --program connectivity --n 64 --json"),
        tour_steps=("proofs_check/tour_steps/t20_thm1.py",),
        notes="the construction (token layout, lookups) is the project's reconstruction [I]",
    ),
    Entry(
        id="thm2", kind="theorem", number=2, title="MDM is limited by its context length",
        statement="MDM(S(n)) ⊆ PRAM(1, Õ(S(n)³)): an MDM with context S is simulated serially in Õ(S³) time.",
        provenance="V:moonlight", page="theorem2",
        modules=("reductions/mdm_to_serial.py", "reductions/serial_transformer.py"),
        entry="serial_decode",
        summary="MDM -> serial RAM: a counting interpreter of every forward pass; O~(S^3) operations",
        claims=("thm2",),
        claim_modules=("proofs_check/claims/thm2.py",),
        check_module="proofs_check/commands/check_thm2.py",
        tests=("tests/reductions/test_mdm_to_serial.py", "tests/reductions/test_mdm_to_serial_steps.py",
               "tests/proofs_check/test_check_thm2.py"),
        commands=("powergen check thm2",
                  "powergen check thm2 --max-s 1024 --interpret-max 64 --machine-max 128 --k 2"),
        tour_steps=("proofs_check/tour_steps/t25_thm2.py",),
        notes="the serial-operation count and the S³ argument are the project's reconstruction [I]",
    ),
    Entry(
        id="thm3", kind="theorem", number=3, title="Any order adds nothing over left to right",
        statement="An AO-MDM with context S(n) is simulated by a Masked-ARM of length O(S(n)) with O(1) extra layers.",
        provenance="S:mtp, papernotes", page="theorem3",
        modules=("reductions/aomdm_to_masked_arm.py", "reductions/aomdm_examples.py"),
        entry="simulate",
        summary="AO-MDM -> Masked-ARM: records (position, token) written left to right, canvas rebuilt by lookups",
        claims=("thm3", "thm3-companion"),
        claim_modules=("proofs_check/claims/thm3.py",),
        check_module="proofs_check/commands/check_thm3.py",
        tests=("tests/reductions/test_aomdm_to_masked_arm.py", "tests/reductions/test_aomdm_to_masked_arm_catalogue.py",
               "tests/proofs_check/test_check_thm3.py"),
        commands=("powergen check thm3", "powergen check thm3 --quick --json"),
        tour_steps=("proofs_check/tour_steps/t30_thm3.py",),
        notes="record layout and lookup passes are the project's reconstruction [I]; record tokens p*B+v make the "
              "vocabulary grow with S, a departure from the paper's same token budget",
    ),
    Entry(
        id="thm4", kind="theorem", number=4, title="AP-MDM simulates PRAM in optimal time and space",
        statement="AP-MDM reproduces any S(n)-memory PRAM program with O(S(n)) context and O(T(n)) steps.",
        provenance="S:papernotes", page="theorem4",
        modules=("reductions/pram_to_apmdm.py", "reductions/pram_common.py", "reductions/lockstep.py"),
        entry="build_apmdm",
        summary="PRAM -> AP-MDM: O(T) steps, context O(S + P) (remask = overwrite)",
        claims=("thm4",),
        claim_modules=("proofs_check/claims/thm4.py",),
        check_module="proofs_check/commands/check_thm4.py",
        tests=("tests/reductions/test_pram_to_apmdm.py", "tests/proofs_check/test_check_thm4.py",
               "tests/case_catalogue.py"),
        commands=("powergen check thm4", "powergen reduce thm4 --program sat --n 4 --json"),
        tour_steps=("proofs_check/tour_steps/t40_thm4.py",),
        notes="the remask-then-unmask write discipline is the project's reconstruction [I]; the context checked is "
              "O(S + P), which is O(S) when P <= S",
    ),
    Entry(
        id="space", kind="check", title="Space: MDM context grows with T, AP-MDM's does not",
        statement="AP-MDM's context is proportional to the space S(n) actually used rather than to the total "
                  "work, which an MDM's context must follow (the contrast of Theorems 1 and 4).",
        provenance="S:mtp", page="theorem4",
        modules=("reductions/pram_to_apmdm.py", "reductions/pram_to_mdm.py"),
        claims=("space",),
        claim_modules=("proofs_check/claims/space.py",),
        check_module="proofs_check/commands/check_space.py",
        tests=("tests/proofs_check/test_check_space.py",),
        commands=("powergen check space", "powergen check space --plot space.png"),
        notes="the workloads (brute-force SAT, iterate) are the project's choice [?]",
    ),
    Entry(
        id="thm5", kind="theorem", number=5, title="AP-MDM generates exactly two-sided Dyck-k; a fixed ARM cannot",
        statement="For k ≥ 2 a stochastic AP-MDM has support exactly the two-sided Dyck-k language; any fixed ARM "
                  "fails to cover it beyond some length.",
        provenance="V:papernotes", page="theorem5",
        modules=("reductions/dyck_generator.py", "reductions/dyck_two_sided.py", "reductions/dyck_arm.py",
                 "reductions/dyck_arm_run.py", "reductions/dyck_matrix.py", "reductions/dyck_evidence.py"),
        entry="generate",
        summary="a stochastic AP-MDM whose support is exactly two-sided Dyck-k",
        claims=("thm5",),
        claim_modules=("proofs_check/claims/thm5.py",),
        check_module="proofs_check/commands/check_thm5.py",
        tests=("tests/reductions/test_dyck.py", "tests/reductions/test_dyck_generator.py",
               "tests/reductions/test_dyck_arm.py",
               "tests/proofs_check/test_check_thm5.py"),
        commands=("powergen check thm5", "powergen check thm5 --quick --json",
                  "powergen dyck sample --k 3 --length 20 --seed 1", "powergen dyck check abBA"),
        tour_steps=("proofs_check/tour_steps/t80_thm5.py",),
        notes="the generator and the ARM-side illustrations are the project's reconstruction [I]; the impossibility "
              "is a conditional complexity result, illustrated, not proved",
    ),
    Entry(
        id="thm6", kind="theorem", number=6, title="PRESERVE: AP-MDM edits that an ARM must reconstruct",
        statement="Position shifts from insert/delete force an ARM to reconstruct the whole edit trajectory "
                  "(the PRESERVE problem), hard for constant-depth Transformers.",
        provenance="S:papernotes", page="theorem6",
        modules=("reductions/thm6_preserve.py", "reductions/preserve_arm.py"),
        entry="solve_apmdm",
        summary="PRESERVE: AP-MDM edit rounds replayed by g vs an ARM-style left-to-right solver",
        claims=("thm6",),
        claim_modules=("proofs_check/claims/thm6.py",),
        check_module="proofs_check/commands/check_thm6.py",
        tests=("tests/reductions/test_thm6_preserve.py", "tests/proofs_check/test_check_thm6.py"),
        commands=("powergen check thm6", "powergen check thm6 --quick --json"),
        tour_steps=("proofs_check/tour_steps/t90_thm6.py",),
        notes="the definition of PRESERVE is the project's reconstruction [I]/[?]; the hardness for ARMs is the "
              "paper's conditional claim, stated, not demonstrated",
    ),
    Entry(
        id="parity", kind="experiment", title="Parity: trained on length 2, exact at 10,000 bits (pairwise schedule)",
        statement="AP-MDM trained on n = 2 only (7 distinct transitions, ~200 parameters) reaches 100% at any length.",
        provenance="V:papernotes", page="experiment_parity",
        modules=("reductions/tasks/parity.py", "reductions/tasks/parity_parallel.py", "reductions/tasks/registry.py",
                 "machines/neural", "proofs_check/experiments"),
        tests=("tests/reductions/test_parity_tasks.py", "tests/proofs_check/test_train_cli.py",
               "tests/machines/test_neural_model.py",
               "tests/machines/test_neural_layers.py", "tests/machines/test_checkpoint.py"),
        commands=("powergen train parity --seed 0 --out runs/parity",
                  "powergen eval parity --checkpoint runs/parity --json",
                  "powergen seeds parity --seeds 50 --lengths 11 12 100 101 --count 30",
                  "powergen eval parity --oracle --lengths 100 1000 --json"),
        tour_steps=("proofs_check/tour_steps/t50_parity.py",),
        tasks=("parity", "parity-parallel", "parity-seven"),
        notes="the learned model uses attention inside pairs and applies the paper's rule to every pair at once "
              "(a 4-step pairwise schedule), not the paper's left-to-right process, which generalised in 0 of 50 "
              "seeds with the paper's shape; EOS in the training data is the project's choice [I]",
    ),
    Entry(
        id="sudoku", kind="experiment", title="Sudoku: backtracking search by remask (oracle process)",
        statement="AP-MDM, 100 training puzzles, ~1.2M parameters: 99.28% on 9×9 Sudoku.",
        provenance="V:papernotes", page="experiment_sudoku",
        modules=("reductions/tasks/sudoku.py", "reductions/tasks/sudoku_policy.py",
                 "reductions/tasks/sudoku_generate.py", "reductions/tasks/sudoku_grid.py",
                 "reductions/tasks/sudoku_dataset.py"),
        tests=("tests/reductions/test_sudoku.py", "tests/reductions/test_sudoku_policy.py",
               "tests/reductions/test_arm_view.py", "tests/reductions/test_sudoku_dataset.py"),
        commands=("powergen sudoku solve PUZZLE --trace FILE", "powergen sudoku generate",
                  "powergen sudoku table --famous", "powergen sudoku dataset --split test --seed 0 --out FILE"),
        tour_steps=("proofs_check/tour_steps/t60_sudoku.py",),
        notes="only the oracle process runs; the learned experiment is not reproduced yet (the test set and part "
              "of the 100 training puzzles are generated)",
    ),
    Entry(
        id="maxflow", kind="experiment", title="Graph editing: max-flow and the minimum cut (oracle process)",
        statement="AP-MDM edits a graph to disconnect s from t with a minimum cut: ~100% at 4-10 nodes, where ARM "
                  "falls to 0.30% at 6 nodes.",
        provenance="V:papernotes", page="experiment_maxflow",
        modules=("reductions/tasks/maxflow.py", "reductions/tasks/maxflow_graph.py",
                 "proofs_check/experiments/maxflow.py", "proofs_check/experiments/maxflow_arm.py",
                 "proofs_check/experiments/store.py", "proofs_check/experiments/decoders.py",
                 "proofs_check/experiments/trainer.py", "machines/neural/objectives.py"),
        tests=("tests/reductions/test_maxflow.py", "tests/reductions/test_arm_view.py",
               "tests/proofs_check/test_engine_store.py",
               "tests/machines/test_engine_objectives.py", "tests/proofs_check/test_engine_decoders.py",
               "tests/proofs_check/test_engine_trainer.py",
               "tests/proofs_check/test_engine_experiment_cli.py"),
        commands=("powergen maxflow run --nodes 6 --seed 0 --trace FILE", "powergen maxflow table",
                  "powergen experiment maxflow --budget-cpu-minutes 8 --steps 700 --train-graphs 1400"),
        tour_steps=("proofs_check/tour_steps/t70_maxflow.py",),
        notes="the oracle process runs; the learned experiment runs on the training engine but does not yet "
              "solve graphs (a training run is in progress)",
    ),
)

EXPERIMENTS: tuple[Entry, ...] = tuple(e for e in ENTRIES if e.kind == "experiment")

# Tour steps that introduce the machinery rather than demonstrate one entry (every other step is named by an entry).
TOUR_INTRO: tuple[str, ...] = ("proofs_check/tour_steps/t00_pram.py", "proofs_check/tour_steps/t10_machines.py")


def tour_step_paths() -> tuple[str, ...]:
    """Every tour step the registry names: the introduction, then each entry's steps (registry order).

    Examples
    --------
    >>> tour_step_paths()[1:3]
    ('proofs_check/tour_steps/t10_machines.py', 'proofs_check/tour_steps/t20_thm1.py')
    """
    return TOUR_INTRO + tuple(step for e in ENTRIES for step in e.tour_steps)


def get_entry(entry_id: str) -> Entry:
    """The entry ``entry_id``; :class:`ReductionError` naming the known ids otherwise."""
    for e in ENTRIES:
        if e.id == entry_id:
            return e
    raise ReductionError(f"unknown registry entry {entry_id!r}; known: {', '.join(e.id for e in ENTRIES)}")


def module_name(path: str) -> str:
    """The dotted module name of a repository path.

    Examples
    --------
    >>> module_name("reductions/pram_to_mdm.py"), module_name("machines/neural")
    ('reductions.pram_to_mdm', 'machines.neural')
    """
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


@dataclass(frozen=True, slots=True)
class TheoremEntry:
    """The theorem -> construction answer: the theorem id (``"thm1"``), the module performing it, and what it builds.

    Examples
    --------
    >>> get_theorem("thm1").module
    'reductions.pram_to_mdm'
    """

    id: str
    module: str
    summary: str
    entry: str = ""  # the module's main function (e.g. ``build_mdm``), if any


THEOREMS: dict[str, TheoremEntry] = {
    e.id: TheoremEntry(e.id, module_name(e.modules[0]), e.summary, e.entry) for e in ENTRIES if e.kind == "theorem"
}


def register_theorem(entry: TheoremEntry) -> TheoremEntry:
    """Add a row (re-adding an identical row is a no-op; a conflicting one raises :class:`ReductionError`)."""
    old = THEOREMS.get(entry.id)
    if old is not None and old != entry:
        raise ReductionError(f"theorem {entry.id!r} is already registered to {old.module}")
    THEOREMS[entry.id] = entry
    return entry


def get_theorem(theorem_id: str) -> TheoremEntry:
    """The row of ``theorem_id``; :class:`ReductionError` naming the known ids otherwise."""
    try:
        return THEOREMS[theorem_id]
    except KeyError:
        raise ReductionError(f"unknown theorem {theorem_id!r}; known: {', '.join(sorted(THEOREMS))}") from None


def load(theorem_id: str) -> ModuleType:
    """Import and return the module performing ``theorem_id``'s construction."""
    return importlib.import_module(get_theorem(theorem_id).module)

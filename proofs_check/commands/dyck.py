"""``powergen dyck sample`` and ``powergen dyck check``: two-sided Dyck-k words (Theorem 5).

WORD syntax (``dyck check``): signed integers separated by spaces or commas (``1 -1 2 -2``; ``+i`` is ``a_i`` and
``-i`` its inverse), or a run of letters (``abBA``: lower case ``a..z`` are ``a_1..a_26``, upper case their
inverses).  Several arguments are joined by spaces, so ``powergen dyck check 1 -1 2 -2`` works; a single argument
that starts with ``-`` and has no space (``-1,1``) must follow ``--``.  An empty WORD (``""``) is the empty word.

Exit codes: ``sample`` 0; ``check`` 0 if the word is in the language, 1 if not; both 2 on bad input (a symbol
outside the alphabet of ``--k``, ``k < 1``, a negative or odd ``--length``) -- one line, no traceback.
"""

from __future__ import annotations

import argparse

from proofs_check.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    add_json_flag,
    add_seed_flag,
    emit_json,
    nonneg_int,
    stdout_console,
)
from proofs_check.inputs import add_time_flag, check_seconds, int_type
from reductions.dyck_generator import DyckGenerator, generate
from reductions.dyck_two_sided import (
    MAX_K,
    check_k,
    format_letters,
    format_word,
    is_dyck,
    is_dyck_by_cancellation,
    parse_word,
    reduce_word,
)
from reductions.errors import InvalidInstance

#: ``--k``: an integer (``check_k`` then reports one outside 1..MAX_K)
_k_arg = int_type(negative=True)
#: seconds per squared letter of ``dyck sample`` (3n/2 steps of O(n)): 4000 letters in 9.7 s, rounded up
SAMPLE_SECONDS_PER_SQUARE = 7e-7
#: longest word whose O(n^2) pair-cancellation cross-check ``dyck check`` runs (about 1 s at 50,000); longer words are
#: decided by the linear free reduction alone and the JSON says ``"cancellation_closure_agrees": null``
CROSS_CHECK_MAX = 50_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dyck", help="two-sided Dyck-k: sample with the Theorem 5 AP-MDM, or check a word")
    dsub = p.add_subparsers(dest="dyck_command", metavar="WHAT")

    def missing(args: argparse.Namespace) -> int:
        from proofs_check.errors import UsageError

        raise UsageError("a sub-command is required: powergen dyck sample | powergen dyck check")

    p.set_defaults(func=missing)
    s = dsub.add_parser("sample", help="generate one word with the AP-MDM of Theorem 5 (insert + unmask)")
    s.add_argument("--k", type=_k_arg, default=2, help=f"number of letter pairs, 1..{MAX_K} (default 2)")
    s.add_argument("--length", type=nonneg_int, default=10, help="word length, even (default 10)")
    add_time_flag(s)
    add_seed_flag(s)
    add_json_flag(s)
    s.set_defaults(func=run_sample)
    c = dsub.add_parser("check", help="is WORD in two-sided Dyck-k? (exit 0 yes, 1 no)")
    c.add_argument("word", nargs="*", metavar="WORD", help="'1 -1 2 -2' or 'abBA' (see powergen dyck --help)")
    c.add_argument("--k", type=_k_arg, default=2, help=f"number of letter pairs, 1..{MAX_K} (default 2)")
    add_json_flag(c)
    c.set_defaults(func=run_check)


#: Largest ``--length`` of ``dyck sample`` (the machine run takes 3n/2 steps of O(n) each).
MAX_SAMPLE_LENGTH = 20_000


def run_sample(args: argparse.Namespace) -> int:
    k = check_k(args.k)
    if args.length > MAX_SAMPLE_LENGTH:
        raise InvalidInstance(f"--length {args.length} is above the limit {MAX_SAMPLE_LENGTH} (the AP-MDM run takes "
                              "3n/2 steps of O(n) work each)")
    check_seconds(args, SAMPLE_SECONDS_PER_SQUARE * args.length**2, f"sampling {args.length} letters")
    DyckGenerator(k=k, length=args.length)  # validates the length (even) before running
    word, steps = generate(k, args.length, seed=args.seed)
    member = is_dyck(word)
    if args.json:
        emit_json({"schema": "powergen.dyck-sample/1", "k": k, "length": args.length, "seed": args.seed,
                   "word": list(word), "letters": format_letters(word), "steps": steps, "member": member})
        return EXIT_OK if member else EXIT_FAILED
    con = stdout_console()
    con.print(f"two-sided Dyck-{k}, length {args.length}, seed {args.seed}: AP-MDM run of {steps} steps "
              f"(3 per cancelling pair), halted at a fixed point", highlight=False)
    con.print(f"word:    {format_word(word) or '(empty)'}", highlight=False)
    con.print(f"letters: {format_letters(word) or '(empty)'}", highlight=False)
    con.print("member:  " + ("[green]yes[/green] (free reduction is empty)" if member else "[bold red]NO[/bold red]"))
    return EXIT_OK if member else EXIT_FAILED


def run_check(args: argparse.Namespace) -> int:
    k = check_k(args.k)
    word = parse_word(" ".join(args.word), k)
    red = reduce_word(word)
    member = not red
    second = is_dyck_by_cancellation(word) if len(word) <= CROSS_CHECK_MAX else None
    if args.json:
        emit_json({"schema": "powergen.dyck-check/1", "k": k, "word": list(word), "length": len(word),
                   "member": member, "reduced": list(red),
                   "cancellation_closure_agrees": None if second is None else second == member})
    else:
        con = stdout_console()
        verdict = "[green]in[/green]" if member else "[bold red]not in[/bold red]"
        con.print(f"{format_word(word) or '(empty)'} is {verdict} two-sided Dyck-{k} (length {len(word)})")
        con.print(f"free reduction: {format_word(red) or '(empty)'}  (letters: {format_letters(red) or 'empty'})",
                  highlight=False)
        con.print("pair-cancellation closure agrees: " + (
            f"not run (O(n^2), only up to {CROSS_CHECK_MAX} letters)" if second is None else
            "yes" if second == member else "NO"))
    return EXIT_OK if member else EXIT_FAILED

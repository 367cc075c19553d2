"""Faults raised as the package's own typed errors, each also the matching builtin (issue 14, point 5)."""

from __future__ import annotations

import numpy as np
import pytest

from machines.errors import MachineConfigError, MachineError
from reductions.errors import ConstructionFault, InvalidInstance, LockstepMismatch, ProgramFault, ReductionError


def test_unknown_paradigm_and_bad_demo_size_are_machine_errors() -> None:
    from machines.demos import demo_start
    from machines.discipline import advance
    from machines.predictor import Prediction

    with pytest.raises(MachineConfigError, match="unknown paradigm 'zz'") as exc:
        advance("zz", np.zeros(2, dtype=np.int64), Prediction(y=np.zeros(2, dtype=np.int64)), step=0, mask_id=0,
                vocab_size=3)
    assert isinstance(exc.value, MachineError) and isinstance(exc.value, ValueError)
    with pytest.raises(MachineConfigError, match="n must be >= 1, got 0"):
        demo_start("mdm", n=0, seed=0)


def test_unknown_edit_log_token_is_an_invalid_instance() -> None:
    from machines.vocab import simple_vocabulary
    from reductions.tasks.arm_view import apply_edit_log

    with pytest.raises(InvalidInstance, match="unknown edit-log token 'x' at 0") as exc:
        apply_edit_log([1, 0], ["x", "#1", ";"], simple_vocabulary(["a", "b"]))
    assert isinstance(exc.value, ReductionError) and isinstance(exc.value, ValueError)


def test_construction_and_program_faults_are_their_own_types() -> None:
    assert issubclass(ConstructionFault, ReductionError) and issubclass(ConstructionFault, RuntimeError)
    assert issubclass(ProgramFault, ReductionError) and issubclass(ProgramFault, IndexError)
    assert not issubclass(ConstructionFault, LockstepMismatch) and not issubclass(ProgramFault, LockstepMismatch)

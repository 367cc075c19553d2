"""Experiment drivers: train a task's ``f_theta``, evaluate a predictor as an AP-MDM, run a seed study.

They sit above :mod:`reductions.tasks` (a driver is given a task object and runs it) and below the CLI
(``powergen train``, ``eval``, ``seeds`` and the tour only parse, call and render).  One module per driver:

* :mod:`proofs_check.experiments.train` -- verified transitions -> padded batches -> AdamW updates, checkpoints and
  exact resume (:func:`~proofs_check.experiments.train.train`, :func:`~proofs_check.experiments.train.train_task`);
* :mod:`proofs_check.experiments.evaluate` -- a predictor run by :class:`machines.paradigms.APMDM` on random
  instances (:func:`~proofs_check.experiments.evaluate.evaluate`, ``transition_fidelity``);
* :mod:`proofs_check.experiments.seeds` -- one task trained under many seeds, each model evaluated
  (:func:`~proofs_check.experiments.seeds.seed_study`).

The model, its layers, loss, optimiser, checkpoint format and predictor adapter stay in :mod:`machines.neural`,
which imports nothing from :mod:`reductions` or :mod:`proofs_check`.
"""

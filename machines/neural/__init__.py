"""The learned ``f_theta`` of AP-MDM: a small numpy Transformer, its loss, optimiser, checkpoints and predictor.

``config`` (frozen configs) < ``layers`` / ``attention`` < ``model`` < ``loss`` / ``optim`` / ``checkpoint`` and
``predictor`` (the trained model as ``predictor(x, rng)``).  The drivers that train a task's model, evaluate a
predictor inside :class:`machines.paradigms.APMDM` and run seed studies live in :mod:`proofs_check.experiments`:
this package imports nothing from :mod:`reductions` or :mod:`proofs_check`.  No torch: numpy only.  See
docs/neural.md.
"""

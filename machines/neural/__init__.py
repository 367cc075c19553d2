"""The learned ``f_theta`` of AP-MDM: a small numpy Transformer, its loss, optimiser, checkpoints and predictor.

``config`` (frozen configs) < ``layers`` / ``attention`` < ``model`` < ``loss`` / ``optim`` / ``checkpoint`` <
``pipeline`` (verified transitions -> training) and ``predictor`` (the trained model as ``predictor(x, rng)``);
``evaluate`` runs a predictor inside :class:`machines.paradigms.APMDM`.  No torch: numpy only.  See docs/neural.md.
"""

"""Stage 3: QT-Opt (Kalashnikov et al. 2018), grasping Q-learning with CEM action selection.

Modules, each with a narrow interface so the replay, Bellman updater and trainer can later run
as separate workers: ``networks`` (the Q-network), ``cem`` (batched cross-entropy method),
``policy`` (CEM argmax of a Q-network), ``replay`` (ring buffers, off/on-policy mixing),
``batch`` (the tensors they exchange), ``bellman`` (target networks, clipped double-Q labels),
``learner`` (log-loss gradient steps), ``checkpoint`` and ``bench``.
"""

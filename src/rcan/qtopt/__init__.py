"""Stage 3: QT-Opt (Kalashnikov et al. 2018), grasping Q-learning with CEM action selection.

Parts, each with a narrow interface so that collectors, Bellman updaters and the trainer can
run as separate workers (``rcan.distributed``) or in one process (``train``):

- the network and its argmax: ``networks`` (the Q-network), ``cem`` (batched cross-entropy
  method), ``policy`` (CEM argmax of a Q-network), ``ensemble`` (the mean Q of snapshots);
- what it reads: ``observation`` (canonical, randomized or [G(x), x] images), ``augment``
  (random shifts);
- acting: ``actor`` (CEM policy with exploration), ``collector`` (episodes -> transitions,
  and the evaluator);
- learning: ``replay`` (ring buffers, off/on-policy mixing), ``batch`` (the tensors they
  exchange), ``bellman`` (target networks, clipped double-Q labels), ``learner`` (log-loss
  gradient steps);
- runs: ``train`` (``rcan train-policy``), ``warm_start`` (``--init-from`` another run),
  ``fit`` (more steps on a run's replay), ``checkpoint`` and ``load`` (safetensors + JSON),
  ``curve`` (the learning curve's JSON and PNG), ``evaluate``, ``select`` (picking a snapshot
  on validation episodes), ``results`` (publishing a run) and ``bench``.
"""

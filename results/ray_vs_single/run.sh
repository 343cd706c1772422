#!/usr/bin/env bash
# The same easy-setting QT-Opt run (the one tests/qtopt/test_learning_sim.py uses), 300 grasps,
# once in one process and once with 2 Ray collector actors, for seeds 0 1 2; each run's final
# evaluation is 200 greedy episodes. Writes runs/ray_vs_single/<wiring>_<seed>/metrics.json.
set -euo pipefail
EASY=(--obs canonical --env.image-height 32 --env.image-width 32 --env.max-steps 3
  --env.start-height 0.03 0.05 --env.start-xy-jitter 0 --env.auto-grasp --env.step-penalty 0
  --env.world.num-objects 5 --env.world.drop-half-extent 0.01
  --grasps 300 --bootstrap-episodes 150 --episodes-per-cycle 10 --updates-per-episode 4
  --offline-capacity 2000 --online-capacity 2000 --mix.start 0 --mix.end 0.5 --mix.ramp-steps 500
  --network.channels 16 --network.hidden 32 --act-cem.samples 32 --act-cem.elites 4
  --act-cem.iterations 2 --target-cem.samples 16 --target-cem.elites 4 --target-cem.iterations 1
  --targets.polyak 0.95 --targets.lag-steps 50 --learner.lr 1e-3 --learner.batch-size 32
  --eval-every-grasps 1000 --eval-episodes 200 --eval-objects train --threads 1)
for seed in 0 1 2; do
  rcan train-policy "${EASY[@]}" --seed "$seed" --out "runs/ray_vs_single/single_$seed"
  rcan train-policy "${EASY[@]}" --seed "$seed" --collectors 2 --out "runs/ray_vs_single/ray_$seed"
done

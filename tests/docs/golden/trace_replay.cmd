# Getting started, step 4: write a trace with the max-flow process, then replay it step by step.
# setup: powergen maxflow run --nodes 4 --seed 0 --trace runs/maxflow.jsonl
# mode: regex
powergen trace replay runs/maxflow.jsonl

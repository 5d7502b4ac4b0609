#!/usr/bin/env bash
# The point-cloud checks that need CUDA, in one command of at most ten minutes on one GPU:
#   1. the `gpu`-marked tests (neighbour ops against brute force on the device),
#   2. benchmarks/pointcloud_speed.py on the GPU, at the CPU figure's size and at a published-sized
#      batch (8 spheres of 8,192 points),
#   3. `pids_s3dis` with fast_dev_run, then the whole quick pipeline, and KPConv for 20 epochs, each
#      with trainer=gpu on the generated S3DIS sample (wall times beside the CPU's in RESULTS.md).
# Usage: bash benchmarks/gpu_pointcloud.sh [output folder]   (default: logs/gpu_pointcloud)
# Every JSON figure goes to <output>/figures.jsonl; each step's log and each run's metrics.json beside it.
set -uo pipefail
out=${1:-logs/gpu_pointcloud}
runs=$(mktemp -d)
mkdir -p "$out"
export PYTHONUNBUFFERED=1 WANDB_MODE=offline

step() {  # step <name> <seconds> <command...>: run with a time limit, keep the log's last 2,000 lines
    local name=$1 limit=$2
    shift 2
    local start=$SECONDS
    timeout "$limit" "$@" >"$runs/$name.log" 2>&1
    local rc=$?
    tail -n 2000 "$runs/$name.log" >"$out/$name.log"
    echo "{\"figure\": \"gpu_step\", \"step\": \"$name\", \"rc\": $rc, \"wall_s\": $((SECONDS - start))}" \
        | tee -a "$out/figures.jsonl"
}

echo "{\"figure\": \"machine\", \"gpu\": \"$(nvidia-smi -L | head -n 1)\"}" | tee -a "$out/figures.jsonl"
step gpu_tests 80 python -m pytest -m gpu tests/pointcloud -q -p no:cacheprovider
step speed 110 bash -c "python benchmarks/pointcloud_speed.py --device cuda --steps 10 \
    && python benchmarks/pointcloud_speed.py --device cuda --steps 10 --points 50000 --regions 8 \
       --region-points 8192"
grep -h '^{' "$runs/speed.log" >>"$out/figures.jsonl"
step pids_smoke 80 python train.py experiment=pids_s3dis trainer=gpu trainer.fast_dev_run=true \
    hydra.run.dir="$runs/pids_smoke"
step pids_quick 160 python train.py experiment=pids_s3dis trainer=gpu trainer.enable_progress_bar=false \
    hydra.run.dir="$runs/pids_quick"
step kpconv_20 150 python train.py experiment=kpconv_s3dis trainer=gpu trainer.max_epochs=20 \
    trainer.enable_progress_bar=false hydra.run.dir="$runs/kpconv_20"
for run in pids_quick kpconv_20; do
    cp "$runs/$run/metrics.json" "$out/${run}_metrics.json" 2>/dev/null || echo "no metrics from $run"
done

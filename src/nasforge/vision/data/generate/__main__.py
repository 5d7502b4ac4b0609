"""Command line: ``python -m nasforge.vision.data.generate {cifar10,cifar100,imagenet} --out FOLDER``."""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence

from nasforge.vision.data.generate import write_cifar, write_image_folder
from nasforge.vision.data.generate.pattern import DIFFICULTIES

log = logging.getLogger("nasforge.vision.data.generate")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nasforge.vision.data.generate",
        description="Write a synthetic image data set in the public CIFAR pickle or ImageNet folder layout.",
    )
    parser.add_argument("dataset", choices=("cifar10", "cifar100", "imagenet"))
    parser.add_argument("--out", required=True, help="parent folder (CIFAR) or dataset folder (imagenet)")
    parser.add_argument("--train-per-class", type=int, default=500, help="training images per class")
    parser.add_argument("--test-per-class", type=int, default=100, help="test (val) images per class")
    parser.add_argument("--classes", type=int, default=10, help="imagenet only: number of classes")
    parser.add_argument("--image-size", type=int, default=64, help="imagenet only: side of the images")
    parser.add_argument("--seed", type=int, default=0, help="fixes the class patterns and the images")
    parser.add_argument(
        "--difficulty", choices=DIFFICULTIES, default="hard", help="CIFAR only: the planted signal"
    )
    parser.add_argument(
        "--label-noise", type=float, default=0.0, help="CIFAR only: share of training labels made random"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    if args.dataset == "imagenet":
        out = write_image_folder(
            args.out, args.classes, args.train_per_class, args.test_per_class, args.image_size, args.seed
        )
    else:
        out = write_cifar(
            args.out,
            args.dataset,
            args.train_per_class,
            args.test_per_class,
            args.seed,
            difficulty=args.difficulty,
            label_noise=args.label_noise,
        )
    log.info("dataset=%s: wrote %s in %.1f s", args.dataset, out, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Real images for the proxy-schedule measurement: the 1,797 handwritten digits of the UCI optdigits
set that scikit-learn bundles (``sklearn/datasets/data/digits.csv.gz``: 64 pixel values in 0..16,
then the digit, per line), upscaled from 8x8 to 32x32, three equal channels, written in the CIFAR-10
pickle layout (the first 1,500 for training, the other 297 for test).

    python benchmarks/digits_as_cifar.py <site-packages>/sklearn/datasets/data/digits.csv.gz <out>

scikit-learn is not a dependency of the project; any copy of that file will do.
"""

from __future__ import annotations

import argparse

import numpy as np

from nasforge.vision.data.generate import write_cifar_arrays

TRAIN_IMAGES = 1500


def digits_as_cifar_rows(path: str) -> tuple[np.ndarray, np.ndarray]:
    """``(uint8 [N, 3072] in R, G, B planes, labels [N])`` of the digits file at ``path``."""
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    pixels, labels = table[:, :64].reshape(-1, 8, 8), table[:, 64]
    large = np.kron(pixels, np.ones((4, 4), dtype=np.int64)) * 255 // 16  # 8x8 -> 32x32, 0..255
    planes = np.repeat(large[:, None], 3, axis=1).reshape(len(labels), -1)
    return planes.astype(np.uint8), labels


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("digits", help="digits.csv.gz from scikit-learn")
    parser.add_argument("out", help="parent folder of the cifar-10-batches-py/ to write")
    args = parser.parse_args()
    data, labels = digits_as_cifar_rows(args.digits)
    train = (data[:TRAIN_IMAGES], labels[:TRAIN_IMAGES])
    test = (data[TRAIN_IMAGES:], labels[TRAIN_IMAGES:])
    print(write_cifar_arrays(args.out, "cifar10", train, test, [str(digit) for digit in range(10)]))


if __name__ == "__main__":
    main()

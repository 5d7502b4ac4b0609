"""Synthetic image data sets written in the public CIFAR pickle and ImageNet folder layouts.

The public sets cannot be downloaded everywhere, so tests and the quick start run the real readers on
files from here. Run from the shell with
``python -m nasforge.vision.data.generate {cifar10,cifar100,imagenet} --out FOLDER``.
"""

from nasforge.vision.data.generate.cifar import write_cifar, write_cifar_arrays
from nasforge.vision.data.generate.imagenet import write_image_folder
from nasforge.vision.data.generate.ood import write_ood_sets
from nasforge.vision.data.generate.pattern import ClassPatterns

__all__ = ["ClassPatterns", "write_cifar", "write_cifar_arrays", "write_image_folder", "write_ood_sets"]

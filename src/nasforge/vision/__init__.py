"""The vision domain: image data (CIFAR pickles, ImageNet folders), on-device augmentation and baseline
classifiers (ResNets and their plain counterparts). Searches (CSCO, PNNH) build on these."""

from nasforge.vision import data, models

__all__ = ["data", "models"]

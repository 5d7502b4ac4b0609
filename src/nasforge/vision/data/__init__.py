"""Image data: readers for the CIFAR pickles and ImageNet-style folders, on-device batch augmentation,
DataModules with a generated-sample fallback, and the generators of those samples."""

from nasforge.vision.data.batch_augment import BatchAugment
from nasforge.vision.data.cifar import CIFAR_LAYOUTS, CIFARLayout, ImageArrays, find_cifar_folder, read_cifar
from nasforge.vision.data.cifar_datamodule import CIFAR_STATS, CIFARDataModule
from nasforge.vision.data.cifar_ood import CIFAROODDataModule
from nasforge.vision.data.errors import ImageDataError
from nasforge.vision.data.generate import ClassPatterns, write_cifar, write_image_folder
from nasforge.vision.data.image_datamodule import ImageDataModule
from nasforge.vision.data.image_folder import IMAGE_EXTENSIONS, ImageFolderDataset, scan_image_folder
from nasforge.vision.data.imagenet_datamodule import IMAGENET_STATS, ImageFiles, ImageNetDataModule
from nasforge.vision.data.openood import ImageListDataset, find_openood_lists, read_imglist
from nasforge.vision.data.safe_pickle import load_pickle
from nasforge.vision.data.tensor_dataset import TensorImageDataset, collate_batch

__all__ = [
    "CIFAR_LAYOUTS",
    "CIFAR_STATS",
    "IMAGENET_STATS",
    "IMAGE_EXTENSIONS",
    "BatchAugment",
    "CIFARDataModule",
    "CIFARLayout",
    "CIFAROODDataModule",
    "ClassPatterns",
    "ImageArrays",
    "ImageDataError",
    "ImageDataModule",
    "ImageFiles",
    "ImageFolderDataset",
    "ImageListDataset",
    "ImageNetDataModule",
    "TensorImageDataset",
    "collate_batch",
    "find_cifar_folder",
    "find_openood_lists",
    "load_pickle",
    "read_cifar",
    "read_imglist",
    "scan_image_folder",
    "write_cifar",
    "write_image_folder",
]

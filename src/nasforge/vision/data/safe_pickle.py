"""Load the CIFAR python pickles without letting a file run arbitrary code.

``pickle.load`` calls any global a file names, so a tampered download could execute code. The CIFAR
files only need numpy's array reconstruction and ``_codecs.encode`` (how Python 2 strings travel);
every other global is refused with an error naming the file.
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

from nasforge.vision.data.errors import ImageDataError

__all__ = ["load_pickle"]

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        if module.startswith("numpy.core"):  # numpy >= 2 moved it; the old path only warns
            module = module.replace("numpy.core", "numpy._core", 1)
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError:  # numpy < 2 has no numpy._core
            return getattr(importlib.import_module(module.replace("numpy._core", "numpy.core", 1)), name)


def load_pickle(path: str | Path) -> dict[str, Any]:
    """Read one pickled dict (Python 2 or 3); keys that are bytes (``b"data"``) become ``str``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ImageDataError: the file is truncated, not a pickle, names a refused global, or holds no dict.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    try:
        with path.open("rb") as handle:
            obj = _RestrictedUnpickler(handle, encoding="bytes").load()
    except Exception as error:  # UnpicklingError, EOFError, ValueError, ... all mean "corrupt"
        raise ImageDataError(
            path, f"not a readable python pickle ({type(error).__name__}: {error}); download it again"
        ) from error
    if not isinstance(obj, dict):
        raise ImageDataError(path, f"expected a pickled dict, got {type(obj).__name__}")
    return {key.decode("latin1") if isinstance(key, bytes) else key: value for key, value in obj.items()}

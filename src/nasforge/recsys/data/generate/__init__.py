"""Synthetic CTR data sets written byte for byte in the public Criteo, Avazu and KDD Cup 2012 formats.

The public sets cannot be downloaded everywhere, so tests and the quick start run the real readers on
files from here. Each seed fixes a "world" (vocabularies, per-value effects, planted pairwise
interactions); labels are Bernoulli draws of its logit, which is learnable by logistic regression and
markedly better learnt by models with interaction terms (FM, DLRM, ...). Run from the shell with
``python -m nasforge.recsys.data.generate {criteo,avazu,kdd} --rows N --out PATH``.
"""

from __future__ import annotations

from collections.abc import Callable

from nasforge.recsys.data.generate._common import CTRBatch
from nasforge.recsys.data.generate.avazu import sample_avazu, write_avazu
from nasforge.recsys.data.generate.criteo import sample_criteo, write_criteo, write_criteo_terabyte_days
from nasforge.recsys.data.generate.kdd import sample_kdd, write_kdd

GENERATORS: dict[str, Callable] = {"criteo": write_criteo, "avazu": write_avazu, "kdd": write_kdd}
"""Writer per data set name, each called as ``fn(out, rows=..., seed=...)`` (``out`` is a folder for kdd)."""

__all__ = [
    "GENERATORS",
    "CTRBatch",
    "sample_avazu",
    "sample_criteo",
    "sample_kdd",
    "write_avazu",
    "write_criteo",
    "write_criteo_terabyte_days",
    "write_kdd",
]

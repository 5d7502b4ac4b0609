"""The planted click signal: first-order effects per value plus low-rank interactions between field pairs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nasforge.recsys.data.generate._common import Field, centred_table


class PlantedSignal:
    r"""Per-value weights and factorised pairwise interactions over categorical fields.

    .. math::
        \eta(x) = \sum_f w_f[x_f] + \sum_{(f, g) \in P} \langle u_{fg}[x_f], v_{fg}[x_g] \rangle

    which is exactly the function class of a factorisation machine restricted to the pairs ``P``, so
    FM/DLRM-type models can recover it while logistic regression only sees the first sum. Every table is
    centred under its field's value distribution, so the interaction term has no first-order projection
    (logistic regression cannot pick up any of it through main effects). Each table has one extra row at
    index ``size``: the "missing" value, which gets an effect of its own.

    Args:
        rng: world generator; the tables are its only random draws.
        fields: the categorical fields, by name.
        pairs: field-name pairs that interact.
        rank: width of the interaction factors (default: 4).
        field_weight: optional per-field multiplier of the first-order scale, e.g. near zero for a
            high-cardinality id that should carry little signal (default: 1 for every field).
    """

    def __init__(
        self,
        rng: np.random.Generator,
        fields: Sequence[Field],
        pairs: Sequence[tuple[str, str]],
        rank: int = 4,
        field_weight: Mapping[str, float] | None = None,
    ) -> None:
        by_name = {f.name: f for f in fields}
        unknown = sorted({n for p in pairs for n in p} - set(by_name))
        if unknown:
            raise ValueError(
                f"{type(self).__name__}: pairs name unknown fields {unknown}; fields are {sorted(by_name)}."
            )
        field_weight = dict(field_weight or {})
        scales = rng.lognormal(0.0, 0.5, len(fields))
        self.first = {
            f.name: centred_table(rng, f, extra_rows=1) * s * field_weight.get(f.name, 1.0)
            for f, s in zip(fields, scales, strict=True)
        }
        self.pairs = []
        for f, g in pairs:
            s = rng.lognormal(0.0, 0.3) / np.sqrt(rank)
            u = centred_table(rng, by_name[f], rank, extra_rows=1) * np.sqrt(s)
            v = centred_table(rng, by_name[g], rank, extra_rows=1) * np.sqrt(s)
            # Stored as [rank, size]: rank-wise 1-D gathers beat row gathers plus a reduction over 4 columns.
            self.pairs.append((f, g, np.ascontiguousarray(u.T), np.ascontiguousarray(v.T)))

    def first_order(self, idx: Mapping[str, np.ndarray]) -> np.ndarray:
        """``sum_f w_f[x_f]`` over the fields present in ``idx`` (name -> value indices)."""
        n = len(next(iter(idx.values())))
        out = np.zeros(n)
        for name, table in self.first.items():
            out += np.take(table, idx[name])
        return out

    def interaction(self, idx: Mapping[str, np.ndarray]) -> np.ndarray:
        """``sum_(f,g) <u_fg[x_f], v_fg[x_g]>`` over the planted pairs."""
        n = len(next(iter(idx.values())))
        out = np.zeros(n)
        for f, g, u, v in self.pairs:
            for uk, vk in zip(u, v, strict=True):
                out += np.take(uk, idx[f]) * np.take(vk, idx[g])
        return out

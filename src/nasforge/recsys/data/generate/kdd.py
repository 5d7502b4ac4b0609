"""Synthetic KDD Cup 2012 track 2 data (``training.txt`` and ``userid_profile.txt``) with a planted signal.

``training.txt`` lines are ``Click Impression DisplayURL AdID AdvertiserID Depth Position QueryID KeywordID
TitleID DescriptionID UserID``, tab-separated decimal integers, with ``Click ~ Binomial(Impression, p)``
and ``1 <= Position <= Depth <= 3``. ``userid_profile.txt`` lines are ``UserID Gender Age``. As in the real
set, an ad fixes its advertiser, display URL, title and description; ``UserID 0`` is the unknown user and
not every user has a profile line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from nasforge.recsys.data.generate._common import (
    CTRBatch,
    Field,
    TabulatedField,
    calibrate_bias,
    check_count,
    sigmoid,
    stream,
)
from nasforge.recsys.data.generate._format import (
    CHUNK_ROWS,
    atomic_open,
    decimal_table,
    encode_ints,
    join_rows,
    write_chunks,
)
from nasforge.recsys.data.generate._signal import PlantedSignal

_TAG = 3
# name: (vocabulary, exponent, head, id range). Real counts: 641k ads, 14.8k advertisers, 26M queries,
# 1.2M keywords, 4M titles, 3.2M descriptions, 23M users.
SIZES = {
    "AdID": (50_000, 1.1, 0.0, 22_000_000),
    "QueryID": (100_000, 1.05, 0.0, 26_000_000),
    "KeywordID": (20_000, 1.1, 0.0, 1_250_000),
    "UserID": (100_000, 1.05, 0.25, 23_900_000),
}
ADVERTISERS, URLS, TITLES, DESCRIPTIONS, KEYWORDS_PER_AD = 5000, 4000, 40_000, 30_000, 3
SLOTS = ((1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3))  # (Depth, Position)
SLOT_PROBS = (0.2, 0.2, 0.15, 0.2, 0.13, 0.12)
GENDER_PROBS, AGE_PROBS = (0.05, 0.5, 0.45), (0.02, 0.12, 0.2, 0.25, 0.2, 0.12, 0.09)
PROFILE_SHARE = 0.9  # users (other than 0) that have a profile line
# "demo" is 1 + 7 * gender + age from the user's profile (0: no profile), "slot" indexes SLOTS.
PAIRS = (
    ("QueryID", "AdvertiserID"),
    ("demo", "AdvertiserID"),
    ("KeywordID", "demo"),
    ("slot", "AdvertiserID"),
)
COMPONENT_STD = (1.0, 1.2)  # first order, pairs; the position bias below comes on top
POSITION_BIAS = -0.5  # per slot below the top
CLICKED_RATE = 0.06  # share of lines with Click > 0
COLUMNS = (
    "Click",
    "Impression",
    "DisplayURL",
    "AdID",
    "AdvertiserID",
    "Depth",
    "Position",
    "QueryID",
    "KeywordID",
    "TitleID",
    "DescriptionID",
    "UserID",
)


class KDDWorld:
    """Ads with their advertiser/URL/title/description, users with profiles, and the click effects."""

    def __init__(self, seed: int) -> None:
        rng = stream(seed, _TAG, 0)
        self.fields = {n: Field(n, s, e, h) for n, (s, e, h, _) in SIZES.items()}
        # Distinct ids per field; UserID 0 is the unknown user, real users are >= 1.
        self.ids = {n: rng.choice(top, s, replace=False) for n, (s, _, _, top) in SIZES.items()}
        self.ids["UserID"] = np.concatenate([[0], 1 + self.ids["UserID"][1:]])
        n_ads = SIZES["AdID"][0]
        self.ad_advertiser = Field("AdvertiserID", ADVERTISERS, 1.1).draw(rng, n_ads)
        self.advertiser_url = rng.integers(0, URLS, ADVERTISERS)
        self.ad_title = rng.integers(0, TITLES, n_ads)
        self.ad_description = rng.integers(0, DESCRIPTIONS, n_ads)
        self.ad_keywords = self.fields["KeywordID"].draw(rng, n_ads * KEYWORDS_PER_AD).reshape(n_ads, -1)
        self.ids["AdvertiserID"] = 1 + rng.choice(40_000, ADVERTISERS, replace=False)
        self.ids["TitleID"] = rng.choice(4_100_000, TITLES, replace=False)
        self.ids["DescriptionID"] = rng.choice(3_200_000, DESCRIPTIONS, replace=False)
        self.ids["DisplayURL"] = rng.integers(0, 2**64 - 1, URLS, dtype=np.uint64, endpoint=True)
        self.tables = {n: decimal_table(v) for n, v in self.ids.items()}
        # Profiles: gender 0/1/2, age 0..6; users without a line (and user 0) count as unknown, demo 0.
        n_users = SIZES["UserID"][0]
        self.has_profile = rng.random(n_users) < PROFILE_SHARE
        self.has_profile[0] = False
        self.gender = rng.choice(3, n_users, p=GENDER_PROBS)
        self.age = rng.choice(7, n_users, p=AGE_PROBS)
        self.user_demo = np.where(self.has_profile, 1 + self.gender * 7 + self.age, 0)
        # The ad-derived fields and the derived demo/slot fields, with their exact distributions so that
        # the planted tables can be centred.
        ad_p, user_p = self.fields["AdID"].pmf(), self.fields["UserID"].pmf()
        derived = [
            TabulatedField(
                "AdvertiserID", ADVERTISERS, probs=tuple(np.bincount(self.ad_advertiser, ad_p, ADVERTISERS))
            ),
            TabulatedField("demo", 22, probs=tuple(np.bincount(self.user_demo, user_p, 22))),
            TabulatedField("slot", len(SLOTS), probs=SLOT_PROBS),
        ]
        fields = [*self.fields.values(), *derived]
        self.signal = PlantedSignal(rng, fields, PAIRS, field_weight={"UserID": 0.5})
        self.scale, self.bias = np.ones(2), 0.0
        idx, slot, impressions = self._draw(stream(seed, _TAG, 1), 50_000)
        fo, inter, pos = self._components(idx, slot)
        self.scale = np.asarray(COMPONENT_STD) / np.array([fo.std() + 1e-12, inter.std() + 1e-12])
        logit = self.scale[0] * fo + self.scale[1] * inter + pos
        self.bias = calibrate_bias(logit, CLICKED_RATE, lambda z: 1.0 - (1.0 - sigmoid(z)) ** impressions)

    def _draw(self, rng: np.random.Generator, n: int):
        idx = {name: self.fields[name].draw(rng, n) for name in ("AdID", "QueryID", "UserID")}
        ad = idx["AdID"]
        idx["KeywordID"] = self.ad_keywords[ad, rng.integers(0, KEYWORDS_PER_AD, n)]
        idx["AdvertiserID"] = self.ad_advertiser[ad]
        idx["demo"] = self.user_demo[idx["UserID"]]
        idx["slot"] = slot = rng.choice(len(SLOTS), n, p=SLOT_PROBS)
        return idx, slot, rng.geometric(0.6, n)

    def _components(self, idx, slot):
        below_top = np.asarray(SLOTS)[slot, 1] - 1
        return self.signal.first_order(idx), self.signal.interaction(idx), POSITION_BIAS * below_top

    def sample(self, rng: np.random.Generator, n: int) -> CTRBatch:
        """``n`` lines: ``label`` is the click count; ``fields`` hold value indices (values for Depth,
        Position and Impression)."""
        idx, slot, impressions = self._draw(rng, n)
        fo, inter, pos = self._components(idx, slot)
        batch = CTRBatch(
            fields=idx,
            label=np.empty(0),
            first_order=self.scale[0] * fo + pos,
            interaction=self.scale[1] * inter,
            bias=self.bias,
        )
        batch.label = rng.binomial(impressions, sigmoid(batch.logit))
        depth, position = np.asarray(SLOTS).T
        ad = idx["AdID"]
        batch.fields.update(
            Impression=impressions,
            Depth=depth[slot],
            Position=position[slot],
            DisplayURL=self.advertiser_url[idx["AdvertiserID"]],
            TitleID=self.ad_title[ad],
            DescriptionID=self.ad_description[ad],
        )
        return batch

    def format(self, batch: CTRBatch) -> bytes:
        """The exact bytes of ``batch`` in the tab-separated ``training.txt`` layout."""
        f = batch.fields
        cols = [encode_ints(batch.label), encode_ints(f["Impression"])]
        for name in COLUMNS[2:]:
            table = self.tables.get(name)
            cols.append(encode_ints(f[name]) if table is None else np.take(table, f[name], axis=0))
        return join_rows(cols, "\t")

    def format_profiles(self) -> bytes:
        """``UserID Gender Age`` lines for the users with a profile, sorted by UserID."""
        users = np.flatnonzero(self.has_profile)
        users = users[np.argsort(self.ids["UserID"][users])]
        cols = [
            np.take(self.tables["UserID"], users, axis=0),
            encode_ints(self.gender[users]),
            encode_ints(self.age[users]),
        ]
        return join_rows(cols, "\t")


@lru_cache(maxsize=4)
def kdd_world(seed: int) -> KDDWorld:
    """The (cached) :class:`KDDWorld` of ``seed``."""
    return KDDWorld(seed)


def sample_kdd(rows: int, seed: int = 0, part: int = 0) -> CTRBatch:
    """The lines :func:`write_kdd` writes for the same arguments, with their generating logits."""
    rows, part = check_count("sample_kdd", "rows", rows), check_count("sample_kdd", "part", part)
    world = kdd_world(seed)
    starts = range(0, max(rows, 1), CHUNK_ROWS)
    return CTRBatch.concat(
        [
            world.sample(stream(seed, _TAG, 2, part, rows, c), min(CHUNK_ROWS, rows - s))
            for c, s in enumerate(starts)
        ]
    )


def write_kdd(
    folder: str | Path, rows: int, seed: int = 0, *, part: int = 0, progress: bool = False
) -> tuple[Path, Path]:
    """Write ``training.txt`` (``rows`` lines) and ``userid_profile.txt`` into ``folder``.

    Args:
        folder: output folder (created if needed).
        rows: number of ``training.txt`` lines.
        seed: fixes the world (ads, users, effects); files with one seed share their signal.
        part: selects an independent sample of the same world and size (default: 0).
        progress: show a progress bar (default: False).

    Returns:
        ``(training.txt, userid_profile.txt)`` paths.
    """
    rows, part = check_count("write_kdd", "rows", rows), check_count("write_kdd", "part", part)
    world, folder = kdd_world(seed), Path(folder)

    def chunk(c: int, start: int, stop: int) -> bytes:
        return world.format(world.sample(stream(seed, _TAG, 2, part, rows, c), stop - start))

    training = write_chunks(folder / "training.txt", rows, chunk, progress=progress)
    with atomic_open(folder / "userid_profile.txt") as out:
        out.write(world.format_profiles())
    return training, folder / "userid_profile.txt"

"""Which gallery variant an ad image is: image-id match first, then nearest perceptual fingerprint.

Where it sits: imaging, the decision. The sweep builds a ``GalleryIndex`` from the stored gallery of
the ad's ASIN (variant, image ids, fingerprint), fingerprints the ad image (``fingerprint.py``) and
calls ``identify``; the verdict goes to the store and on to change detection. ``ismon identify``
uses the same call on files. ``MultiIndex`` answers "which of many products' images is this?".

A pair of renderings (one of the ad, one of the gallery image) has two distances: the normalised
Hamming distance over the 512 bits of its pHash+dHash, 0 (same bits) .. 1, about 0.5 between
unrelated photos; and the colour distance of its two colour grids (``colour.py``), in Lab units. The
colour distance is put on the hash scale so that ``COLOUR_THRESHOLD`` lands on ``MATCH_THRESHOLD``,
and the pair's distance is the larger of the two: a pair matches only when the same alignment of
the two pictures agrees in shape and in colour. A variant's distance is the smallest over every pair.
A variant stored without colours (a fingerprint from before colour counted) is compared by hashes.
The thresholds below come from ``bench/identify.py`` on tuning seeds (never the evaluation seeds it
reports): rerun it after changing anything here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from monitor.imaging.colour import (
    GRID_BYTES,
    AdColours,
    Steps,
    colour_distance,
    gallery_lab,
)
from monitor.imaging.fingerprint import HASH_BITS, HASH_BYTES, Fingerprint
from monitor.imaging.ids import canonical_image_id

Verdict = Literal["match", "ambiguous", "unknown"]
Method = Literal["image_id", "hash"]

# The thresholds come from bench/identify.py on its TUNE seeds (0-39; it reports EVAL seeds it never
# tuned on), chosen together (``scoring.tune_decision``): the strictest colour threshold (steps of
# 0.25) at which uncropped and 5 % crop ads still match at target with half the slack in reserve,
# and for it the largest match threshold (steps of 0.0025) up to which false accepts of new scenes,
# unseen angles and other products stay <= 0.25 % (half the 0.5 % bound, kept in reserve for
# galleries unlike the bench's). Colour look-alikes' false accepts are then what they are (reported).
#
# Nearest variant at or under this is a match, above it unknown. 0.195 = 100 of 512 bits. The hash
# alone would allow ~0.15: on TUNE 1.2 % of other products' nearest pictures are within 0.195 by
# their hashes, but none within 4.5 Lab units by colour, which lets a badge cost the right picture
# more bits. An unseen angle's nearest picture there: min 0.197.
MATCH_THRESHOLD = 0.195
# Runner-up within this of the best: ambiguous. Variants closer than the noise a rendering adds
# (median own-image hash distance uncropped, 0.03) cannot be ordered reliably.
AMBIGUITY_MARGIN = 0.03
# Colour distance (the ROBUST_RANK-th largest cell difference of two 8x8 grids in Lab, lightness at
# half weight, after the page's grey and small shifts are allowed for) that counts as much as
# MATCH_THRESHOLD of hash distance. On TUNE: an ad's own picture p99.5 2.8 uncropped, 3.4 with a 5 %
# crop; a colour variant the hash accepts p5 4.4 (the same scene, a small product recoloured).
COLOUR_THRESHOLD = 3.0
# Pairs whose hash distance is above this are decided by their hashes alone (see ``components``).
COLOUR_CUTOFF = MATCH_THRESHOLD + AMBIGUITY_MARGIN
# An image-id match whose hash distance exceeds this is flagged (id_mismatch): above every rendering
# of the right image the bench made (max 0.26 incl. off-centre crops), below most wrong variants
# (distance to a given wrong variant p5 0.277, p50 0.42).
ID_MISMATCH_DISTANCE = 0.30
# MultiIndex: coarse rows (about one variant each) kept for the exact 512-bit comparison. Bench,
# 10,000 products x 9 variants: ~2.6 ms a search, the exhaustive search's answer 109 times in 110;
# 2048 measured ~1.5 ms slower.
COARSE_CANDIDATES = 1024

_WORDS = HASH_BYTES // 8  # 8 words of 64 bits per rendering
_PHASH_WORDS = _WORDS // 2


def _round(d: float | None) -> float | None:
    # 1 bit is 1/512 ~ 0.002: four decimals keep every step, and print as plain JSON numbers.
    return None if d is None else round(float(d), 4)


def pair_bits(
    ad: NDArray[np.uint64], rows: NDArray[np.uint64]
) -> tuple[NDArray[np.uint16], NDArray[np.uint16]]:
    """Hamming distances (pHash bits, dHash bits) between every ad row and every gallery row."""
    x = np.bitwise_count(ad[:, None, :] ^ rows[None, :, :])
    p = x[..., :_PHASH_WORDS].sum(axis=2, dtype=np.uint16)
    d = x[..., _PHASH_WORDS:].sum(axis=2, dtype=np.uint16)
    return p, d


def _distances_by_word(ad: NDArray[np.uint64], cols: NDArray[np.uint64]) -> NDArray[np.float64]:
    """``_distances`` for rows stored word-major, (8, n): one pass per word over contiguous memory,
    several times faster than summing the 8 counts of each row when n is large."""
    acc = np.zeros((len(ad), cols.shape[1]), dtype=np.uint16)
    for w in range(cols.shape[0]):
        acc += np.bitwise_count(ad[:, w, None] ^ cols[w][None, :])
    return np.asarray(acc.min(axis=0), dtype=np.float64) / HASH_BITS


@dataclass(frozen=True)
class GalleryEntry:
    """One image of a listing: Amazon's slot name, every image id it is served under, its hashes."""

    variant: str
    image_ids: tuple[str, ...]
    fingerprint: Fingerprint


@dataclass(frozen=True)
class Identification:
    """The decision for one ad image.

    ``variant``/``distance``: the variant decided on (for ``ambiguous`` the nearer of the two; None
    for ``unknown``). ``runner_up``/``runner_up_distance``: the nearest variant that was not decided
    on (for ``unknown``, the nearest of all). ``method``: how the variant was found. ``id_mismatch``:
    the image id named a variant whose hashes are far from this image (stale id mapping).
    """

    verdict: Verdict
    variant: str | None
    distance: float | None
    runner_up: str | None
    runner_up_distance: float | None
    method: Method
    id_mismatch: bool = False

    def as_dict(self) -> dict[str, str | float | bool | None]:
        """The JSON fields of ``ismon identify --json`` (the CLI adds "image"), plus method/flag."""
        return {
            "verdict": self.verdict,
            "variant": self.variant,
            "distance": self.distance,
            "runner_up": self.runner_up,
            "runner_up_distance": self.runner_up_distance,
            "method": self.method,
            "id_mismatch": self.id_mismatch,
        }


@dataclass(frozen=True)
class Distances:
    """Per gallery entry: the distance ``identify`` decides on, and its two parts (from the pair of
    renderings that gave it): hash distance, and colour distance in Lab units (nan: no colours)."""

    combined: NDArray[np.float64]
    hash: NDArray[np.float64]
    colour: NDArray[np.float64]


class GalleryIndex:
    """One listing's gallery, with every rendering of every variant in one array."""

    def __init__(self, entries: Sequence[GalleryEntry]) -> None:
        self.entries: tuple[GalleryEntry, ...] = tuple(entries)
        blocks = [e.fingerprint.words() for e in self.entries]
        self._rows: NDArray[np.uint64] = (
            np.concatenate(blocks) if blocks else np.zeros((0, _WORDS), np.uint64)
        )
        sizes = np.array([len(b) for b in blocks], dtype=np.int64)
        self._owner: NDArray[np.int64] = np.repeat(np.arange(len(blocks), dtype=np.int64), sizes)
        # Colour grids of every row; rows of fingerprints stored without colours get a dummy grid
        # and no colour distance (``_coloured`` False).
        self._coloured: NDArray[np.bool_] = np.repeat(
            np.array([e.fingerprint.has_colour for e in self.entries], dtype=np.bool_), sizes
        )
        self._lab: NDArray[np.float32] = gallery_lab(
            b"".join(
                e.fingerprint.colours if e.fingerprint.colours else bytes(GRID_BYTES * len(e.fingerprint))
                for e in self.entries
            )
        )
        self._steps = Steps.of(self._lab)
        self._by_id: dict[str, list[int]] = {}
        for i, e in enumerate(self.entries):
            for image_id in e.image_ids:
                self._by_id.setdefault(canonical_image_id(image_id), []).append(i)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(e.variant for e in self.entries)

    def entries_for_id(self, image_id: str) -> list[int]:
        """Positions of the entries served under ``image_id`` (gallery order; ``%2B`` is ``+``)."""
        return list(self._by_id.get(canonical_image_id(image_id), ()))

    def distances(self, ad: Fingerprint) -> NDArray[np.float64]:
        """Per entry, the distance ``identify`` decides on (inf for an entry with no hashes)."""
        return self.components(ad).combined

    def components(self, ad: Fingerprint) -> Distances:
        """Per entry, the smallest pair distance and the hash and colour distances of that pair."""
        n = len(self.entries)
        combined, hashed, colour = np.full(n, np.inf), np.full(n, np.inf), np.full(n, np.nan)
        if not len(self._rows) or not len(ad):
            return Distances(combined, hashed, colour)
        words = ad.words()
        bits = np.bitwise_count(words[:, None, :] ^ self._rows[None, :, :]).sum(axis=2, dtype=np.uint16)
        h = bits.astype(np.float64) / HASH_BITS  # (ad renderings, gallery rows)
        c = np.full(h.shape, np.nan)
        pair = h.copy()
        if ad.colours:
            # Colour only where it can change a verdict: a pair farther than COLOUR_CUTOFF by its
            # hashes is unknown (or no runner-up that makes anything ambiguous) whatever its colour.
            ia, ir = np.nonzero((h <= COLOUR_CUTOFF) & self._coloured[None, :])
            if ia.size:
                c[ia, ir] = colour_distance(AdColours.of(ad.colours), self._lab, self._steps, (ia, ir))
                pair[ia, ir] = np.maximum(h[ia, ir], c[ia, ir] * (MATCH_THRESHOLD / COLOUR_THRESHOLD))
        best_ad = pair.argmin(axis=0)  # per gallery row, the ad rendering that fits it best
        cols = np.arange(pair.shape[1])
        row_d, row_h, row_c = pair[best_ad, cols], h[best_ad, cols], c[best_ad, cols]
        for i in range(n):  # per entry, its best row (entries have a handful of rows)
            mine = np.flatnonzero(self._owner == i)
            if mine.size:
                j = mine[np.argmin(row_d[mine])]
                combined[i], hashed[i], colour[i] = row_d[j], row_h[j], row_c[j]
        return Distances(combined, hashed, colour)


def identify(index: GalleryIndex, ad: Fingerprint | None, image_id: str | None) -> Identification:
    """Decide which variant of ``index`` the ad shows.

    An exact image-id match comes first (free and certain); it is still hash-checked when the image
    is at hand, and ``id_mismatch`` flags a far one. Otherwise the nearest variant by distance:
    ``match`` at or under ``MATCH_THRESHOLD``, ``ambiguous`` when the runner-up is within
    ``AMBIGUITY_MARGIN``, ``unknown`` above the threshold. ``ad`` None (no image bytes) leaves the
    id alone to decide.
    """
    dist = index.distances(ad) if ad is not None and len(ad) else None
    order = np.argsort(dist, kind="stable") if dist is not None else None

    hits = index.entries_for_id(image_id) if image_id else []
    if hits:
        # The same picture may fill two slots: take the hash-nearest (gallery order without bytes).
        if dist is not None:
            hits.sort(key=lambda i: float(dist[i]))
        chosen = hits[0]
        d = None if dist is None or not np.isfinite(dist[chosen]) else float(dist[chosen])
        ru: int | None = None
        if order is not None and dist is not None:
            ru = next((int(i) for i in order if int(i) != chosen and np.isfinite(dist[i])), None)
        elif len(hits) > 1:
            ru = hits[1]
        return Identification(
            verdict="match",
            variant=index.entries[chosen].variant,
            distance=_round(d),
            runner_up=None if ru is None else index.entries[ru].variant,
            runner_up_distance=None if ru is None or dist is None else _round(float(dist[ru])),
            method="image_id",
            id_mismatch=d is not None and d > ID_MISMATCH_DISTANCE,
        )

    if dist is None or order is None or not len(order) or not np.isfinite(dist[order[0]]):
        return Identification("unknown", None, None, None, None, "image_id" if ad is None else "hash")

    best = int(order[0])
    d1 = float(dist[best])
    second = int(order[1]) if len(order) > 1 and np.isfinite(dist[order[1]]) else None
    d2 = None if second is None else float(dist[second])
    if d1 > MATCH_THRESHOLD:
        return Identification("unknown", None, None, index.entries[best].variant, _round(d1), "hash")
    verdict: Verdict = "match"
    if d2 is not None and d2 - d1 < AMBIGUITY_MARGIN:
        verdict = "ambiguous"
    return Identification(
        verdict,
        index.entries[best].variant,
        _round(d1),
        None if second is None else index.entries[second].variant,
        _round(d2),
        "hash",
    )


@dataclass(frozen=True)
class MultiMatch:
    """The nearest image among many products: product key, variant, normalised distance."""

    key: str
    variant: str
    distance: float


class MultiIndex:
    """Many products' galleries (e.g. 10,000 x 9 variants x renderings) searched at once.

    A coarse pass compares 64 bits of each variant's "as_is" and "trim" renderings (the pHash's 8x8
    lowest frequencies: a subset of the full hash, and the bits that move least under crops); the
    ``COARSE_CANDIDATES`` nearest variants then have every rendering compared on all 512 bits.
    """

    def __init__(self, galleries: Mapping[str, GalleryIndex | Sequence[GalleryEntry]]) -> None:
        keys: list[str] = []
        variants: list[str] = []
        blocks: list[NDArray[np.uint64]] = []
        coarse_rows: list[int] = []
        coarse_owner: list[int] = []
        n_rows = 0
        for key, gallery in galleries.items():
            entries = gallery.entries if isinstance(gallery, GalleryIndex) else tuple(gallery)
            for e in entries:
                w = e.fingerprint.words()
                if not len(w):
                    continue
                names = e.fingerprint.renderings
                picks = [i for i, r in enumerate(names) if r in ("as_is", "trim")] or [0]
                coarse_rows.extend(n_rows + i for i in picks)
                coarse_owner.extend([len(keys)] * len(picks))
                blocks.append(w)
                n_rows += len(w)
                keys.append(key)
                variants.append(e.variant)
        self._keys = keys
        self._variants = variants
        rows = np.concatenate(blocks) if blocks else np.zeros((0, _WORDS), np.uint64)
        self._cols: NDArray[np.uint64] = np.ascontiguousarray(rows.T)  # word-major: (8, renderings)
        sizes = np.array([len(b) for b in blocks], dtype=np.int64)
        self._ends = np.cumsum(sizes)
        self._starts = self._ends - sizes
        self._owner = np.repeat(np.arange(len(blocks), dtype=np.int64), sizes)
        self._coarse = coarse_keys(rows[np.asarray(coarse_rows, dtype=np.int64)])
        self._coarse_owner = np.asarray(coarse_owner, dtype=np.int64)

    def __len__(self) -> int:
        """Number of stored renderings."""
        return int(self._cols.shape[1])

    def nbytes(self) -> int:
        """Memory held by the arrays."""
        arrays = (self._cols, self._coarse, self._owner, self._coarse_owner, self._starts, self._ends)
        return int(sum(a.nbytes for a in arrays))

    def _best(self, words: NDArray[np.uint64], rows: NDArray[np.int64] | None) -> MultiMatch:
        d = _distances_by_word(words, self._cols if rows is None else self._cols[:, rows])
        i = int(np.argmin(d))
        entry = int(self._owner[i if rows is None else rows[i]])
        return MultiMatch(self._keys[entry], self._variants[entry], round(float(d[i]), 4))

    def search_exhaustive(self, ad: Fingerprint) -> MultiMatch | None:
        """``search`` without the coarse pass: every row on all 512 bits (slow; for checking)."""
        if not len(self) or not len(ad):
            return None
        return self._best(ad.words(), None)

    def search(self, ad: Fingerprint) -> MultiMatch | None:
        """The nearest (product, variant) to ``ad``, or None for an empty index or fingerprint."""
        if not len(self) or not len(ad):
            return None
        words = ad.words()
        if len(self._variants) <= COARSE_CANDIDATES:
            return self._best(words, None)
        # The coarse pass looks at the ad as it is and trimmed; the refinement at every rendering.
        main = [i for i, r in enumerate(ad.renderings) if r in ("as_is", "trim")] or [0]
        ak = coarse_keys(words[main])
        coarse = np.bitwise_count(self._coarse ^ ak[0])
        for k in ak[1:]:
            np.minimum(coarse, np.bitwise_count(self._coarse ^ k), out=coarse)
        # The cutoff that keeps about COARSE_CANDIDATES coarse rows, from a 65-bin histogram.
        counts = np.cumsum(np.bincount(coarse, minlength=65))
        cutoff = int(np.searchsorted(counts, COARSE_CANDIDATES))
        mark = np.zeros(len(self._variants), dtype=np.bool_)
        mark[self._coarse_owner[coarse <= cutoff]] = True
        entries = np.flatnonzero(mark)
        starts, ends = self._starts[entries], self._ends[entries]
        lengths = ends - starts
        # Every row of the candidate entries: start + 0..length-1, without a Python loop.
        offsets = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        return self._best(words, np.repeat(starts, lengths) + offsets)


def coarse_keys(words: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The 64-bit coarse key of each rendering: the pHash bits of DCT rows 0-7, columns 0-7."""
    b = np.ascontiguousarray(words).view(np.uint8).reshape(len(words), HASH_BYTES)
    return np.ascontiguousarray(b[:, 0:16:2]).view("<u8").reshape(len(words))

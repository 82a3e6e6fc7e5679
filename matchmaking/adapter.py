"""The matching adapter: learned linear maps on centered sentence vectors.

Centering and CSLS (`matchmaking.matching`) remove what an unsupervised statistic can see: the
mean, the language offsets, the hubs. What is left is the model's notion of similarity, which is
not the product's: e5 was trained to find a passage that answers a query, not the offer that
meets a need, and it still weighs how a text is phrased ("we are looking for", "we offer",
boilerplate) and in which language as much as what it is about. A `LinearAdapter` corrects that
with one small map per side and role pair, learned from complementary company pairs: a centered
unit row `x` of a need sentence becomes `x @ W_need`, of an offer sentence `x @ W_offer`, and is
re-normalized, so the dot product of an adapted need row and an adapted offer row is the cosine
under a learned bilinear form. Each `W` is the identity plus a delta kept small by weight decay
during training (`embeddings.adapter_training`): with no adapter, or a zero delta, the scoring is
exactly the unsupervised one.

An adapter belongs to one model (its vectors) and one dimension; the engine refuses a mismatch.
Its `fingerprint` is stored with the centering statistics of an index, so an index built with
another adapter (or none) is rebuilt from the stored vectors, without embedding again.

Pure: standard library and numpy only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from matchmaking.matching import SIDES, FloatArray, RolePair, normalize_rows


@dataclass(frozen=True)
class LinearAdapter:
    """Per side and role pair, a (dim, dim) map applied to centered unit rows.

    Attributes:
        model: Name of the encoder whose vectors the maps were learned on.
        dim: Vector dimension.
        deltas: (side, role pair) -> (dim, dim) delta; the map is `identity + delta`. A role
            pair without an entry is left as it is.
        meta: Free JSON-compatible facts about the training (data, settings, figures).
        fingerprint: Short hash of the model name and the maps, stored with an index.
    """

    model: str
    dim: int
    deltas: Mapping[tuple[str, RolePair], npt.NDArray[Any]]
    meta: Mapping[str, Any] = field(default_factory=dict)
    fingerprint: str = field(init=False, compare=False)
    _maps: dict[tuple[str, RolePair], FloatArray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        eye = np.eye(self.dim, dtype=np.float32)
        maps: dict[tuple[str, RolePair], FloatArray] = {}
        for (side, pair), delta in self.deltas.items():
            if side not in SIDES:
                raise ValueError(f"unknown side {side!r} in the adapter")
            arr = np.asarray(delta, dtype=np.float32)
            if arr.shape != (self.dim, self.dim):
                raise ValueError(
                    f"the adapter's {side} map for {pair} is {arr.shape}, not "
                    f"({self.dim}, {self.dim})"
                )
            if not np.isfinite(arr).all():
                raise ValueError(f"the adapter's {side} map for {pair} is not finite")
            maps[(side, (pair[0], pair[1]))] = eye + arr
        digest = hashlib.sha256(f"{self.model}|{self.dim}".encode())
        for side, pair in sorted(maps):
            digest.update(f"|{side}|{pair[0]}|{pair[1]}|".encode())
            digest.update(np.ascontiguousarray(maps[(side, pair)]).tobytes())
        # Frozen: the derived fields are set once, here.
        object.__setattr__(self, "_maps", maps)
        object.__setattr__(self, "fingerprint", digest.hexdigest()[:16])

    @property
    def role_pairs(self) -> tuple[RolePair, ...]:
        """Return the role pairs the adapter has maps for, in a stable order."""
        return tuple(sorted({pair for _, pair in self._maps}))

    def covers(self, side: str, pair: RolePair) -> bool:
        """Tell whether there is a map for this side and role pair."""
        return (side, pair) in self._maps

    def apply(self, side: str, pair: RolePair, rows: npt.NDArray[Any]) -> FloatArray:
        """Map centered unit rows of one side and role pair, and re-normalize them.

        Args:
            side: "need" or "offer".
            pair: The role pair (need role, offer role) the rows were centered for.
            rows: (n, dim) rows.

        Returns:
            (n, dim) float32 unit rows; the rows re-normalized when there is no map for them.
        """
        arr = np.asarray(rows, dtype=np.float32).reshape(-1, self.dim)
        matrix = self._maps.get((side, pair))
        if matrix is None or arr.shape[0] == 0:
            return normalize_rows(arr)
        return normalize_rows(arr @ matrix)

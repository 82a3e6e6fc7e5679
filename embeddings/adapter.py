"""Matching adapters on disk: the packaged one per model, loading, saving, choosing.

A `LinearAdapter` (`matchmaking.adapter`) is kept as one `.npz` file, read without pickle:

- `meta`: a JSON string: `format` (1), `model`, `dim`, `maps` (one `[side, need role, offer
  role]` per map, in the order of the arrays) and `training` (what it was learned from and how:
  written by `embeddings.adapter_training`);
- `map_0`, `map_1`, ...: the (dim, dim) deltas from the identity, as float16 (the deltas are
  small, so half precision changes a cosine by about 1e-4 and halves the file).

The adapter packaged for the bundled model (`adapters/e5-small.npz`) was learned by
`matchbot embeddings train-adapter` from `adapters/training/*.jsonl`, complementary company pairs
written for that purpose, apart from the quality sets in `tests/data` (which stay held out): see
`adapters/README.md` for the data, the command and the figures.

`MATCHBOT_ADAPTER` chooses: `auto` (default) takes the packaged adapter of the encoder's model,
if there is one; `none` turns adapters off; anything else is the path of an `.npz` file, which
must have been learned on the encoder's model.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoders import E5_SMALL_NAME
from embeddings.index_store import write_atomic
from matchmaking.adapter import LinearAdapter
from matchmaking.errors import EmbeddingError

FORMAT = 1
ADAPTERS_DIR = Path(__file__).resolve().parent / "adapters"
TRAINING_DIR = ADAPTERS_DIR / "training"
PACKAGED = {E5_SMALL_NAME: ADAPTERS_DIR / "e5-small.npz"}
"""Model name -> its packaged adapter (the bundled model and its export share one name)."""
AUTO = "auto"
NONE = "none"


def save_adapter(adapter: LinearAdapter, path: Path) -> None:
    """Write an adapter as `.npz` (atomically: a temporary file, then a rename).

    Args:
        adapter: The adapter.
        path: The file to write.
    """
    keys = sorted(adapter.deltas)
    meta = {
        "format": FORMAT,
        "model": adapter.model,
        "dim": adapter.dim,
        "maps": [[side, pair[0], pair[1]] for side, pair in keys],
        "training": dict(adapter.meta),
    }
    arrays: dict[str, Any] = {"meta": np.array(json.dumps(meta, ensure_ascii=False))}
    for i, key in enumerate(keys):
        arrays[f"map_{i}"] = np.asarray(adapter.deltas[key], dtype=np.float16)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buffer.getvalue())


def load_adapter(path: Path) -> LinearAdapter:
    """Read an adapter written by `save_adapter`.

    Args:
        path: The `.npz` file.

    Returns:
        The adapter.

    Raises:
        EmbeddingError: The file is missing, unreadable or not an adapter.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            maps = meta["maps"]
            deltas = {
                (str(side), (str(need_role), str(offer_role))): np.asarray(
                    data[f"map_{i}"], dtype=np.float32
                )
                for i, (side, need_role, offer_role) in enumerate(maps)
            }
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown format {meta.get('format')!r}")
        return LinearAdapter(
            model=str(meta["model"]),
            dim=int(meta["dim"]),
            deltas=deltas,
            meta=dict(meta.get("training") or {}),
        )
    except FileNotFoundError:
        raise EmbeddingError("The adapter file {path} does not exist.", path=str(path)) from None
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise EmbeddingError(
            "The adapter file {path} could not be read: {error}", path=str(path), error=str(exc)
        ) from exc


def packaged_adapter(model: str) -> LinearAdapter | None:
    """Return the adapter packaged for a model, or None when there is none."""
    path = PACKAGED.get(model)
    return load_adapter(path) if path is not None and path.is_file() else None


def resolve_adapter(setting: str, model: str, dim: int) -> LinearAdapter | None:
    """Return the adapter `MATCHBOT_ADAPTER` asks for, checked against the encoder.

    Args:
        setting: `auto`, `none` (or empty), or the path of an adapter file.
        model: The encoder's model name.
        dim: The encoder's vector dimension.

    Returns:
        The adapter, or None for none.

    Raises:
        EmbeddingError: The file cannot be read or was learned on another model or dimension.
    """
    choice = setting.strip()
    if choice.lower() in ("", NONE, "off"):
        return None
    adapter = packaged_adapter(model) if choice.lower() == AUTO else load_adapter(Path(choice))
    return None if adapter is None else checked(adapter, model, dim)


def checked(adapter: LinearAdapter, model: str, dim: int) -> LinearAdapter:
    """Return the adapter if it was learned on this model and dimension.

    Raises:
        EmbeddingError: It was learned on another model or dimension.
    """
    if adapter.model != model or adapter.dim != dim:
        raise EmbeddingError(
            "The adapter was learned on {adapter_model} ({adapter_dim} dimensions), not on the "
            "encoder's {model} ({dim}); set MATCHBOT_ADAPTER=none or train one for this model.",
            adapter_model=adapter.model,
            adapter_dim=adapter.dim,
            model=model,
            dim=dim,
        )
    return adapter

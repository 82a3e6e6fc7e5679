"""The `matchbot` command line, run as a user runs it (a subprocess, the real model)."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]

ROWS = [
    {
        "id": "cn-solar",
        "name": "江苏晨光光伏科技有限公司",
        "country": "CN",
        "language": "zh",
        "sector": "industry",
        "profile_type": "business offer",
        "offer": "我们生产高效单晶硅太阳能电池板和逆变器。",
        "need": "寻找克罗地亚或波兰的光伏安装商和分销商。",
    },
    {
        "id": "hr-solar",
        "name": "Sunce Instalacije d.o.o.",
        "country": "HR",
        "language": "hr",
        "sector": "industry",
        "profile_type": "business request",
        "offer": "Projektiramo i montiramo fotonaponske elektrane za kuće i tvrtke.",
        "need": "Tražimo proizvođača solarnih panela i invertera za stalnu nabavu.",
    },
    {
        "id": "pl-honey",
        "name": "Pasieka Mazury Sp. z o.o.",
        "country": "PL",
        "language": "pl",
        "sector": "agriculture",
        "profile_type": "business offer",
        "offer": "Produkujemy miód lipowy i wielokwiatowy w słoikach i beczkach.",
        "need": "Szukamy importerów żywności w Chinach.",
    },
    {
        "id": "hu-wine",
        "name": "Tokaji Borház Kft.",
        "country": "HU",
        "language": "hu",
        "sector": "trade",
        "profile_type": "business offer",
        "offer": "Tokaji aszú és száraz fehérborok exportja.",
        "need": "Kínai borimportőröket és forgalmazókat keresünk.",
    },
    {
        "id": "cn-food",
        "name": "上海优品食品进出口有限公司",
        "country": "CN",
        "language": "zh",
        "sector": "trade",
        "profile_type": "business request",
        "offer": "我们在中国经营食品进口和分销网络。",
        "need": "我们想进口欧洲的蜂蜜和葡萄酒。",
    },
]


def matchbot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli")
    return {
        **os.environ,
        "MATCHBOT_DATA_DIR": str(data),
        "MATCHBOT_LOG_LEVEL": "WARNING",
        "OMP_WAIT_POLICY": "passive",
    }


@pytest.fixture(scope="module")
def imported(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("files") / "companies.jsonl"
    bad = [
        {"id": "bad-name", "name": "", "country": "PL", "offer": "Sprzedajemy jabłka."},
        {"id": "bad-country", "name": "Firma", "country": "QQ", "offer": "Sprzedajemy jabłka."},
        {"id": "bad-empty", "name": "Firma", "country": "PL", "offer": "", "need": ""},
        {"id": "bad-long", "name": "Firma", "country": "PL", "offer": "x" * 20_000},
    ]
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in ROWS + bad]
    lines.append(
        b'{"id": "bad-utf8", "name": "Zla \xff firma", "country": "PL", "offer": "abc def"}'
    )
    path.write_bytes(b"\n".join(lines))
    result = matchbot("import", str(path), env=env)
    assert result.returncode == 0, result.stderr
    return path


def test_import_reports_added_updated_and_each_rejected_row(
    imported: Path, env: dict[str, str]
) -> None:
    again = matchbot("import", str(imported), env=env)
    assert again.returncode == 0, again.stderr
    out = again.stdout
    assert "0 added, 5 updated, 5 rejected" in out
    for rid, why in [
        ("bad-name", "name is missing"),
        ("bad-country", "Unknown country code QQ"),
        ("bad-empty", "Both the offer and the need are empty"),
        ("bad-long", "too long: 20000 characters"),
        ("bad-utf8", "UTF-8"),
    ]:
        line = next(ln for ln in out.splitlines() if f"({rid})" in ln)
        assert why in line


def test_import_of_only_bad_rows_fails(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,name,country,offer,need\nx,,PL,,\n", encoding="utf-8")
    result = matchbot("import", str(path), env=env)
    assert result.returncode == 1
    assert "0 added, 0 updated, 1 rejected" in result.stdout


def test_suggest_json_finds_cross_language_partner(imported: Path, env: dict[str, str]) -> None:
    result = matchbot("suggest", "--company", "cn-solar", "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[0]["company_id"] == "hr-solar"
    assert {"company_id", "name", "country", "score", "reason"} <= set(rows[0])
    assert all(r["country"] != "CN" for r in rows)
    assert "Croatian" in rows[0]["reason"]
    food = json.loads(matchbot("suggest", "--company", "cn-food", "--json", env=env).stdout)
    assert {r["company_id"] for r in food[:2]} == {"pl-honey", "hu-wine"}


def test_suggest_unknown_company_is_a_clear_error(imported: Path, env: dict[str, str]) -> None:
    result = matchbot("suggest", "--company", "nope", env=env)
    assert result.returncode == 1
    assert "Unknown company id nope" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_configuration_is_one_line(env: dict[str, str]) -> None:
    result = matchbot("suggest", "--company", "x", env={**env, "MATCHBOT_WEBHOOK_PORT": "x"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "MATCHBOT_WEBHOOK_PORT" in result.stderr


def test_help_everywhere(env: dict[str, str]) -> None:
    for args in (
        ["--help"],
        ["import", "--help"],
        ["suggest", "--help"],
        ["db", "--help"],
        ["run", "--help"],
        ["chat", "--help"],
        ["demo", "--help"],
        ["schedule", "--help"],
        ["remove", "--help"],
        ["block", "--help"],
        ["reindex", "--help"],
        ["embeddings", "train-adapter", "--help"],
    ):
        result = matchbot(*args, env=env)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout


def test_db_upgrade_schedule_and_stats(imported: Path, env: dict[str, str]) -> None:
    assert "up to date" in matchbot("db", "upgrade", env=env).stdout
    result = matchbot("schedule", env=env)
    assert result.returncode == 0, result.stderr
    assert "scheduled: 0" in result.stdout
    stats = matchbot("stats", env=env)
    assert "participants: 5" in stats.stdout


def test_demo_runs_the_whole_event_and_writes_the_report(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MATCHBOT_DATA_DIR": str(tmp_path),
        "MATCHBOT_LOG_LEVEL": "WARNING",
        "OMP_WAIT_POLICY": "passive",
    }
    result = matchbot("demo", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Participants: 292 (China 157, CEE 135 from 17 countries)" in out
    for word in (
        "meeting requests sent",
        "accepted",
        "meetings scheduled",
        "meetings held",
        "memorandums",
        "intentions",
        "Example matches",
    ):
        assert word in out
    assert "skipped" not in out.lower()
    md = (tmp_path / "demo-report.md").read_text(encoding="utf-8")
    assert "292" in md
    png = (tmp_path / "demo-funnel.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_interpreter_pool_is_managed_from_the_cli(env: dict[str, str]) -> None:
    added = matchbot(
        "interpreters",
        "add",
        "li",
        "--name",
        "Li Wei",
        "--pair",
        "zh-hr",
        "--available",
        "2026-12-01T08:00/2026-12-01T12:00",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    listed = matchbot("interpreters", "list", env=env).stdout
    assert "li\tLi Wei\tzh_Hans-hr\t2026-12-01T08:00:00+00:00/2026-12-01T12:00:00+00:00" in listed
    bad = matchbot("interpreters", "add", "x", "--name", "X", "--pair", "zh", env=env)
    assert bad.returncode == 2 and "zh-hr" in bad.stderr
    assert matchbot("interpreters", "remove", "li", env=env).returncode == 0
    assert "Li Wei" not in matchbot("interpreters", "list", env=env).stdout


def test_embeddings_export_explains_bad_onnx_options(env: dict[str, str], tmp_path: Path) -> None:
    lone = matchbot("embeddings", "export", str(tmp_path / "a"), "--int8-config", "avx2", env=env)
    assert lone.returncode == 2 and "--int8-config needs --onnx-int8" in lone.stderr
    unknown = matchbot(
        "embeddings", "export", str(tmp_path / "b"), "--onnx-int8", "--int8-config", "avx9", env=env
    )
    assert unknown.returncode == 1
    assert "Unknown int8 configuration avx9" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert not (tmp_path / "b").exists()


@dataclass(slots=True)
class OwnEvent:
    """The ROWS event imported into its own data folder, so the module's event stays whole."""

    env: dict[str, str]

    def partners(self, company: str) -> list[str]:
        """Return the ids `matchbot suggest --json` lists for a company."""
        result = matchbot("suggest", "--company", company, "--json", env=self.env)
        assert result.returncode == 0, result.stderr
        return [row["company_id"] for row in json.loads(result.stdout)]


@pytest.fixture
def own_event(env: dict[str, str], tmp_path: Path) -> OwnEvent:
    own = {**env, "MATCHBOT_DATA_DIR": str(tmp_path / "data")}
    path = tmp_path / "companies.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    assert matchbot("import", str(path), env=own).returncode == 0
    return OwnEvent(own)


def test_removed_company_is_gone_from_every_later_suggestion(own_event: OwnEvent) -> None:
    own, partners = own_event.env, own_event.partners
    assert "pl-honey" in partners("cn-food")
    removed = matchbot("remove", "--company", "pl-honey", env=own)
    assert removed.returncode == 0, removed.stderr
    assert "removed pl-honey" in removed.stdout
    assert "pl-honey" not in partners("cn-food") and "pl-honey" not in partners("cn-solar")
    again = matchbot("remove", "--company", "pl-honey", env=own)
    assert again.returncode == 1 and "Unknown company id pl-honey" in again.stderr
    rebuilt = matchbot("reindex", env=own)
    assert rebuilt.returncode == 0 and "reindexed 4 companies" in rebuilt.stdout
    assert partners("cn-food")[0] == "hu-wine"


def test_blocked_company_is_hidden_until_unblocked(own_event: OwnEvent) -> None:
    own, partners = own_event.env, own_event.partners
    assert "pl-honey" in partners("cn-food")
    blocked = matchbot("block", "--company", "pl-honey", env=own)
    assert blocked.returncode == 0, blocked.stderr
    assert "blocked pl-honey" in blocked.stdout
    assert "pl-honey" not in partners("cn-food")
    unblocked = matchbot("block", "--company", "pl-honey", "--undo", env=own)
    assert unblocked.returncode == 0 and "unblocked pl-honey" in unblocked.stdout
    assert "pl-honey" in partners("cn-food")
    unknown = matchbot("block", "--company", "nobody", env=own)
    assert unknown.returncode == 1 and "Unknown company id nobody" in unknown.stderr


def test_import_names_a_replaced_value_and_keeps_the_row(
    env: dict[str, str], tmp_path: Path
) -> None:
    own = {**env, "MATCHBOT_DATA_DIR": str(tmp_path / "data")}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({**ROWS[2], "profile_type": "buyer"}, ensure_ascii=False), "utf-8")
    result = matchbot("import", str(path), env=own)
    assert result.returncode == 0, result.stderr
    assert "note on row 1 (pl-honey): Unknown profile type buyer" in result.stdout
    assert "1 added, 0 updated, 0 rejected" in result.stdout


def test_train_adapter_writes_an_adapter_that_suggest_uses(
    env: dict[str, str], tmp_path: Path
) -> None:
    pairs = {"cn-solar": "p1", "hr-solar": "p1", "cn-food": "p2", "pl-honey": "p2"}
    learn = tmp_path / "pairs.jsonl"
    learn.write_text(
        "\n".join(
            json.dumps(r | {"pair_id": pairs.get(r["id"])}, ensure_ascii=False) for r in ROWS
        ),
        encoding="utf-8",
    )
    out = tmp_path / "mine.npz"
    result = matchbot(
        "embeddings", "train-adapter", str(learn), "--holdout", str(learn), "--out", str(out),
        "--steps", "5", env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("train    pairs.jsonl") and "5 companies    2 pairs" in lines[0]
    assert lines[1].startswith("held out pairs.jsonl") and "r@1" in lines[1]
    assert f"use it with MATCHBOT_ADAPTER={out}" in lines[-1] and out.is_file()
    own = {**env, "MATCHBOT_DATA_DIR": str(tmp_path / "data"), "MATCHBOT_ADAPTER": str(out)}
    assert matchbot("import", str(learn), env=own).returncode == 0
    rows = json.loads(matchbot("suggest", "--company", "cn-solar", "--json", env=own).stdout)
    assert rows[0]["company_id"] == "hr-solar"
    missing = matchbot(
        "suggest", "--company", "cn-solar", env={**own, "MATCHBOT_ADAPTER": str(tmp_path / "x.npz")}
    )
    assert missing.returncode == 1 and "x.npz does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    bare = tmp_path / "bare.jsonl"
    bare.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    refused = matchbot("embeddings", "train-adapter", str(bare), "--out", str(out), env=env)
    assert refused.returncode == 1 and "No complete pair" in refused.stderr

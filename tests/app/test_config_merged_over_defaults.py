"""A configuration file is merged over the documented defaults (config/default.yaml); the README's table of
keys states those defaults; `bedrock-ops config show` prints the effective configuration."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bedrock_ops.cli import main as cli_main
from infra.config import DEFAULT_CONFIG, load_config, merge_over

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_empty_config_is_the_default_app(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "{}\n"))
    assert config.model_dump() == load_config().model_dump()
    assert len(config.customization.jobs) == 2
    assert len(config.datasets.local) == 5
    assert config.github is not None and config.evaluations


def test_partial_section_keeps_the_sections_other_defaults(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "data: {removal_policy: destroy}\n"))
    assert config.data.removal_policy == "destroy"
    assert config.data.access_log_retention_days == load_config().data.access_log_retention_days
    assert config.datasets.local == load_config().datasets.local


def test_a_list_replaces_the_defaults_list(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "customization: {jobs: []}\nevaluations: []\n"))
    assert config.customization.jobs == []
    assert config.evaluations == []
    assert config.model_access.models == load_config().model_access.models


def test_null_drops_a_default(tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, "github: null\n")).github is None


def test_merge_over_merges_mappings_and_replaces_the_rest() -> None:
    merged = merge_over({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}, "d": None, "e": 3})
    assert merged == {"a": {"b": 1, "c": [2]}, "e": 3}


def test_environment_files_get_every_feature_of_the_default(tmp_path: Path) -> None:
    # config/dev.yaml says "same features as config/default.yaml": it holds only what differs.
    dev = load_config(ROOT / "config" / "dev.yaml")
    default = load_config()
    assert dev.environment.name == "dev"
    assert dev.customization.jobs == default.customization.jobs
    assert dev.datasets.local == default.datasets.local


def _effective(config: Any, key: str) -> Any:
    value = config.model_dump(mode="json")
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(key)
        value = value[part]
    return value


def _readme_defaults() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_.]+)` \| ([^|]+) \|", section, re.M)


_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def test_readme_table_states_the_effective_defaults() -> None:
    config = load_config(DEFAULT_CONFIG)
    checked = 0
    for key, raw_cell in _readme_defaults():
        cell = raw_cell.strip()
        try:
            value = _effective(config, key)
        except KeyError:
            continue  # keys of list items (evaluations.name, ...)
        # "list, two sample jobs (...)": the count is checked
        if isinstance(value, list) and value and not cell.endswith("`"):
            counts = [n for word, n in _COUNTS.items() if re.search(rf"\b{word}\b", cell)]
            assert counts == [len(value)], f"README says {key} has {counts} items by default; it has {len(value)}"
        elif cell.endswith("unset"):
            assert value is None, f"README says {key} is unset by default; it is {value!r}"
        elif cell.endswith("`"):
            stated = yaml.safe_load(cell.rsplit("`", 2)[-2])
            assert stated == value, f"README says {key} defaults to {stated!r}; it is {value!r}"
        else:
            continue
        checked += 1
    assert checked >= 50


def test_config_show_prints_the_effective_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    path = _write(tmp_path, "data: {removal_policy: destroy}\n")

    assert cli_main(["config", "show", "--config", str(path)]) == 0

    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown == load_config(path).model_dump(mode="json")
    assert shown["data"]["removal_policy"] == "destroy"
    assert len(shown["datasets"]["local"]) == 5


def test_config_show_of_an_invalid_file_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    path = _write(tmp_path, "data: {removal_policy: keep}\n")

    assert cli_main(["config", "show", "--config", str(path)]) == 1

    assert f"{path}: data.removal_policy: must be one of" in capsys.readouterr().err


def test_dev_and_prod_start_no_paid_evaluation_on_deploy() -> None:
    from infra.config import load_config

    for name in ("config/dev.yaml", "config/prod.yaml"):
        assert load_config(name).evaluations == [], name

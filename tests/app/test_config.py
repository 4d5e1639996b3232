"""Each bad configuration gives one readable message naming the file, the key path, the value and what is allowed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import DEFAULT_CONFIG, AppConfig, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_default_configuration_is_valid() -> None:
    config = load_config()
    assert isinstance(config, AppConfig)
    assert config.environment.region == "us-east-1"


def test_unknown_key_names_the_path_and_the_allowed_keys(tmp_path: Path) -> None:
    message = _error(tmp_path, "data:\n  bucket_nmae: x\n")
    assert "data.bucket_nmae: unknown key; did you mean 'bucket_name'?" in message
    assert "Allowed keys here: abort_incomplete_upload_days, access_log_retention_days, bucket_name" in message


def test_unknown_top_level_key_lists_the_top_level_keys(tmp_path: Path) -> None:
    message = _error(tmp_path, "projct_name: x\n")
    assert "projct_name: unknown key; did you mean 'project_name'?" in message
    assert ", ".join(sorted(AppConfig.model_fields)) in message


def test_wrong_type_names_the_value(tmp_path: Path) -> None:
    message = _error(tmp_path, "data:\n  noncurrent_version_expiration_days: ninety\n")
    assert "data.noncurrent_version_expiration_days: Input should be a valid integer" in message
    assert "(got 'ninety')" in message


def test_out_of_range_value_states_the_range(tmp_path: Path) -> None:
    message = _error(tmp_path, "data:\n  abort_incomplete_upload_days: 0\n")
    assert "data.abort_incomplete_upload_days: Input should be greater than or equal to 1 (got 0)" in message


def test_bad_region_suggests_close_regions(tmp_path: Path) -> None:
    message = _error(tmp_path, "environment:\n  region: us-east-9\n")
    assert "environment.region: unknown Region: did you mean " in message and "us-east-1" in message
    assert "(got 'us-east-9')" in message


def test_bad_account_explains_the_shape(tmp_path: Path) -> None:
    message = _error(tmp_path, "environment:\n  account: 12345\n")
    assert "environment.account" in message
    message = _error(tmp_path, "environment:\n  account: '12345'\n")
    assert "environment.account: must be a 12-digit AWS account id" in message
    assert "(got '12345')" in message


def test_literal_choice_lists_the_choices(tmp_path: Path) -> None:
    message = _error(tmp_path, "data:\n  removal_policy: delete\n")
    assert "data.removal_policy: must be one of 'retain' or 'destroy' (got 'delete')" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    message = _error(tmp_path, "project_name: X\ndata:\n  abort_incomplete_upload_days: 999\n")
    assert "(2 problem(s))" in message
    assert "project_name: String should match pattern" in message


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, "project_name: a-b\nproject_name: c-d\n")
    assert "duplicate key 'project_name'" in message
    assert "line 2" in message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    message = _error(tmp_path, "data: [unclosed\n")
    assert "invalid YAML" in message and "line" in message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert "the top level must be a mapping of keys, got list" in _error(tmp_path, "- a\n- b\n")


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: configuration file not found"):
        load_config(tmp_path / "nope.yaml")


def test_bad_tags_are_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, "tags:\n  'aws:owner': me\n")
    assert "tag key 'aws:owner' must be 1-128 characters and not start with 'aws:'" in message


def test_app_prints_one_readable_error_and_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "data:\n  removal_policy: delete\n")
    context = json.dumps({"config": str(path)})
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        env={"CDK_CONTEXT_JSON": context, "PATH": "/usr/bin:/bin", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {path}: invalid configuration (1 problem(s)):")
    assert "Traceback" not in result.stderr
    assert "data.removal_policy: must be one of 'retain' or 'destroy'" in result.stderr


def test_default_config_file_is_the_embedded_one() -> None:
    assert DEFAULT_CONFIG == ROOT / "config" / "default.yaml"

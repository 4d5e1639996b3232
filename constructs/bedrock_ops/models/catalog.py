"""A catalog of Amazon Bedrock foundation models, in package data and overridable.

Each entry is keyed by the model's plain id and lists its context-suffixed ids (the ids given for
customization and provisioned throughput, e.g. ``amazon.titan-text-express-v1:0:8k``); either
resolves to the same entry. Unknown ids fail with a "did you mean ..." suggestion, so a typo
fails the synth rather than a deployment.

Schema (``bedrock_ops/models/data/model_catalog.json``)::

    {"as_of": "YYYY-MM-DD", "source": "https://...",
     "models": {"<plain id>": {"provider": str, "name": str, "ids": [<context-suffixed ids>],
                               "anthropic_use_case_form": bool, "provisioned_throughput": bool}}}

A user file of the same schema is merged over the packaged catalog (entry by entry, field by
field) with ``load_model_catalog(path)``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bedrock_ops._core.jsonfile import parse_json_object

__all__ = ["CatalogModel", "ModelCatalog", "UnknownModelError", "load_model_catalog"]

_TOP_FIELDS = ("as_of", "source", "notes", "models")
_MODEL_FIELDS = ("provider", "name", "ids", "anthropic_use_case_form", "provisioned_throughput")
_ARN_PREFIX = re.compile(r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]*::foundation-model/")


class UnknownModelError(ValueError):
    """A model id that the catalog does not know."""


@dataclass(frozen=True)
class CatalogModel:
    """One foundation model: its plain id, context-suffixed ids and what applies to it."""

    model_id: str
    provider: str
    name: str
    ids: tuple[str, ...]
    anthropic_use_case_form: bool
    provisioned_throughput: bool


class ModelCatalog:
    """Foundation models by id (plain or context-suffixed)."""

    def __init__(self, models: Mapping[str, CatalogModel]) -> None:
        self._models = dict(models)
        self._by_id: dict[str, CatalogModel] = {}
        for model in self._models.values():
            for known in (model.model_id, *model.ids):
                self._by_id[known] = model

    @property
    def model_ids(self) -> tuple[str, ...]:
        """Every id the catalog resolves (plain and context-suffixed), sorted."""
        return tuple(sorted(self._by_id))

    def get(self, model_id: str) -> CatalogModel | None:
        """The entry for ``model_id`` (plain, context-suffixed or a foundation-model ARN), else None."""
        return self._by_id.get(_ARN_PREFIX.sub("", model_id.strip()))

    def resolve(self, model_id: str, *, prop: str = "model_id") -> CatalogModel:
        """The entry for ``model_id``; raises ``UnknownModelError`` naming ``prop`` with suggestions."""
        model = self.get(model_id)
        if model is not None:
            return model
        key = _ARN_PREFIX.sub("", model_id.strip())
        close = difflib.get_close_matches(key, self._by_id, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownModelError(
            f"{prop} {model_id!r} is not a known Bedrock foundation model{hint} "
            "(add it to a model catalog file passed to load_model_catalog() if it is new)"
        )


def load_model_catalog(path: str | Path | None = None) -> ModelCatalog:
    """Load the packaged catalog, with the file at ``path`` (same schema) merged over it.

    Raises ``ValueError`` naming the file, the key and the bad value.
    """
    packaged_name = "bedrock_ops/models/data/model_catalog.json"
    text = resources.files("bedrock_ops").joinpath("models/data/model_catalog.json").read_text("utf-8")
    raw = _parse(text, packaged_name)
    origin = dict.fromkeys(raw.get("models", {}), packaged_name)
    if path is not None:
        name = str(path)
        try:
            override = _parse(Path(path).read_text(encoding="utf-8"), name)
        except OSError as exc:
            raise ValueError(f"{name}: cannot read the model catalog: {exc.strerror}") from exc
        models = override.get("models", {})
        if not isinstance(models, dict):
            raise ValueError(f"{name}: models must be an object of model id -> entry, got {models!r}")
        merged = dict(raw["models"])
        for model_id, entry in models.items():
            if not isinstance(entry, dict):
                raise ValueError(f"{name}: models.{model_id} must be an object, got {entry!r}")
            merged[model_id] = {**merged.get(model_id, {}), **entry}
            origin[model_id] = name
        raw["models"] = merged
    return ModelCatalog(
        {model_id: _entry(model_id, entry, origin[model_id]) for model_id, entry in raw["models"].items()}
    )


def _parse(text: str, name: str) -> dict[str, Any]:
    data = parse_json_object(text, name, "the model catalog")
    for key in data:
        if key not in _TOP_FIELDS:
            raise ValueError(f"{name}: unknown key {key!r}; allowed keys: {', '.join(_TOP_FIELDS)}")
    return data


def _entry(model_id: str, entry: Mapping[str, Any], name: str) -> CatalogModel:
    where = f"models.{model_id}"
    for key in entry:
        if key not in _MODEL_FIELDS:
            raise ValueError(f"{name}: unknown key {key!r} in {where}; allowed keys: {', '.join(_MODEL_FIELDS)}")
    for key in ("provider", "name"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ValueError(f"{name}: {where}.{key} must be a non-empty string, got {entry.get(key)!r}")
    ids = entry.get("ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise ValueError(f"{name}: {where}.ids must be a list of model id strings, got {ids!r}")
    flags = {}
    for key in ("anthropic_use_case_form", "provisioned_throughput"):
        value = entry.get(key, False)
        if not isinstance(value, bool):
            raise ValueError(f"{name}: {where}.{key} must be true or false, got {value!r}")
        flags[key] = value
    return CatalogModel(
        model_id=model_id,
        provider=entry["provider"],
        name=entry["name"],
        ids=tuple(ids),
        anthropic_use_case_form=flags["anthropic_use_case_form"],
        provisioned_throughput=flags["provisioned_throughput"],
    )

"""The one model knowledge base: load it, resolve any model identifier to its entry.

Standard library only (the dataset validator Lambda stages this module). The packaged data is
``bedrock_ops/models/data/models.json``; a models file of the same schema is merged over it entry by
entry and field by field (``load_models(path)``, config key ``models_file``, CLI ``--models-file``,
construct prop ``models_file=``)::

    models = load_models()
    entry = models.resolve("us.amazon.nova-micro-v1:0")      # plain, variant, ARN or system profile
    entry.hyperparameters(CustomizationType.FINE_TUNING)["epochCount"].validate(3)   # -> "3"
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bedrock_ops.models._entries import FACT_GROUPS, build_entries
from bedrock_ops.models.facts import ModelEntry

if TYPE_CHECKING:
    from bedrock_ops.models.ids import ModelReference

__all__ = ["FACT_GROUPS", "ModelKnowledgeBase", "ModelsFileError", "UnknownModelError", "load_models"]

PACKAGED = Path(__file__).resolve().parent / "data" / "models.json"
_HINT = "add it with a models file (config key models_file, CLI option --models-file, construct prop models_file=)"


class UnknownModelError(ValueError):
    """A model id the knowledge base does not know (the message suggests the closest known ids)."""


class ModelsFileError(ValueError):
    """A models file that cannot be read or does not follow the schema."""


class ModelKnowledgeBase:
    """Model id (plain, context variant, ARN, inference profile) -> :class:`ModelEntry`."""

    def __init__(
        self,
        entries: Mapping[str, ModelEntry],
        *,
        geographies: tuple[str, ...] = (),
        document: Mapping[str, Any] | None = None,
    ) -> None:
        self._entries = dict(entries)
        self.document: Mapping[str, Any] = document or {}
        """The merged JSON document the entries were built from (its ``sources`` table, raw groups)."""
        self.geographies = geographies
        """The system inference profile prefixes (``us``, ``eu``, ...)."""
        self._index: dict[str, ModelEntry] = {}
        for entry in self._entries.values():
            for known in entry.ids:
                self._index[known.lower()] = entry

    @classmethod
    def load(cls, path: str | Path | None = None) -> ModelKnowledgeBase:
        """The same as :func:`load_models`."""
        return load_models(path)

    @property
    def model_ids(self) -> tuple[str, ...]:
        """The plain id of every model, sorted."""
        return tuple(sorted(self._entries))

    def reference(self, text: str, *, is_token: Callable[[str], bool] | None = None) -> ModelReference:
        """Parse ``text`` (see :func:`bedrock_ops.models.ids.parse_model_reference`)."""
        # Imported on first use, like the other modules only the constructs need: the dataset validator
        # Lambda looks up the plain ids its rules hold (the exact-id path of get), and its asset has no room.
        from bedrock_ops.models.ids import parse_model_reference

        return parse_model_reference(text, geographies=self.geographies, is_token=is_token)

    def get(self, model_id: str) -> ModelEntry | None:
        """The entry a model id, context variant, foundation-model ARN or system profile names, else None."""
        exact = self._index.get(model_id.strip().lower())
        if exact is not None:
            return exact
        try:
            reference = self.reference(model_id)
        except ValueError:
            return None
        if reference.model_id is None:
            return None
        return self._index.get(reference.model_id.lower())

    def resolve(self, model_id: str, *, prop: str = "model") -> ModelEntry:
        """The entry for ``model_id``; raises ``UnknownModelError`` naming ``prop``, with suggestions.

        Account resources (custom model, deployment, provisioned throughput, imported model,
        application profile ARNs) and tokens have no entry: use :meth:`reference` for those.
        """
        entry = self.get(model_id)
        if entry is not None:
            return entry
        try:
            reference = self.reference(model_id)
        except ValueError as exc:
            raise UnknownModelError(f"{prop}: {exc}") from None
        if reference.model_id is None:
            raise UnknownModelError(
                f"{prop} {model_id!r} is a {reference.kind.value}, not a foundation model the knowledge base describes"
            )
        query = reference.model_id.lower()
        # Ids the text begins (a model id without its version) first, then the closest spellings.
        close = [known for known in sorted(self._index) if known.startswith(query)]
        close += difflib.get_close_matches(query, list(self._index), n=3, cutoff=0.6)
        names = list(dict.fromkeys(self._index[c].model_id for c in close))[:3]
        hint = f"; did you mean {' or '.join(repr(n) for n in names)}?" if names else ""
        raise UnknownModelError(
            f"{prop} {model_id!r} is not a known Bedrock foundation model{hint} "
            f"Known models: {', '.join(self.model_ids)}; {_HINT}"
        )


def load_models(path: str | Path | None = None) -> ModelKnowledgeBase:
    """The packaged knowledge base, with the models file at ``path`` (same schema) merged over it.

    Raises ``ModelsFileError`` naming the file, the key and the bad value.
    """
    if path is None:
        return _packaged()
    # Imported here: the dataset validator Lambda asset (which never passes a path) does not stage it.
    from bedrock_ops.models._files import merged_document

    return build(merged_document(Path(path)))


@lru_cache(maxsize=1)
def _packaged() -> ModelKnowledgeBase:
    return build(json.loads(PACKAGED.read_text(encoding="utf-8")))


def build(document: Mapping[str, Any]) -> ModelKnowledgeBase:
    """Build the knowledge base from a (merged, schema-checked) document."""
    geographies = tuple(document.get("inference_profiles", {}).get("geographies", ()))
    return ModelKnowledgeBase(build_entries(document), geographies=geographies, document=document)

"""The types a model evaluation is described with: kinds, task types, built-in datasets, datasets, metrics, and
the limits of the CreateEvaluationJob request they are checked against."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bedrock_ops._core.enums import parse_enum
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.models.queries import evaluation_tasks


class EvaluationKind(enum.Enum):
    """How the responses are graded."""

    AUTOMATIC = "automatic"
    """Built-in algorithmic metrics (accuracy, robustness, toxicity)."""
    LLM_AS_A_JUDGE = "llm-as-a-judge"
    """An evaluator model grades the responses."""
    HUMAN = "human"
    """A work team grades the responses through a SageMaker flow definition."""


class EvaluationTaskType(enum.StrEnum):
    """``taskType`` of a dataset: the API's enum (botocore ``EvaluationTaskType``), also in the knowledge
    base's ``evaluation_tasks`` group, which says what each offers.

    The console's "General text generation" is ``Generation``. ``GENERAL`` is kept as an alias of
    ``GENERATION`` (it is the same member, sent as ``Generation``): earlier versions documented and sent
    ``General``, which is not in the API's enum.
    """

    GENERATION = "Generation"
    GENERAL = "Generation"
    SUMMARIZATION = "Summarization"
    QUESTION_AND_ANSWER = "QuestionAndAnswer"
    CLASSIFICATION = "Classification"
    CUSTOM = "Custom"


class BuiltinDataset(enum.StrEnum):
    """The built-in prompt datasets of automatic jobs (names as the API documents them)."""

    BOLD = "Builtin.Bold"
    BOOLQ = "Builtin.BoolQ"
    NATURAL_QUESTIONS = "Builtin.NaturalQuestions"
    GIGAWORD = "Builtin.Gigaword"
    REAL_TOXICITY_PROMPTS = "Builtin.RealToxicityPrompts"
    TRIVIA_QA = "Builtin.TriviaQA"
    T_REX = "Builtin.T-Rex"
    WOMENS_ECOMMERCE_CLOTHING_REVIEWS = "Builtin.WomensEcommerceClothingReviews"
    WIKITEXT2 = "Builtin.Wikitext2"


class HumanRatingMethod(enum.StrEnum):
    """How human workers rate a metric (``HumanEvaluationCustomMetric.ratingMethod``)."""

    THUMBS_UP_DOWN = "ThumbsUpDown"
    INDIVIDUAL_LIKERT_SCALE = "IndividualLikertScale"
    COMPARISON_LIKERT_SCALE = "ComparisonLikertScale"
    COMPARISON_CHOICE = "ComparisonChoice"
    COMPARISON_RANK = "ComparisonRank"


_PACKAGED_TASKS = evaluation_tasks(load_models())
#: Metrics of automatic jobs (from the packaged knowledge base; each task type offers some of them).
AUTOMATIC_METRICS: tuple[str, ...] = _PACKAGED_TASKS.automatic_metrics
#: Metrics of LLM-as-a-judge model evaluation jobs (quality, then responsible-AI metrics; packaged knowledge base).
JUDGE_METRICS: tuple[str, ...] = _PACKAGED_TASKS.judge_metrics
#: The task type of datasets that say none (and of custom datasets of automatic jobs).
_DEFAULT_TASK_TYPE = EvaluationTaskType.GENERATION.value
_SOURCE_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,255}$")
_NAME_RE = re.compile(r"^[0-9a-zA-Z\-_.]+$")
_JOB_NAME_RE = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")
_KEY_RE = re.compile(r"^[-!_*'().a-zA-Z0-9]+(/[-!_*'().a-zA-Z0-9]+)*$")
_FLOW_DEFINITION_RE = re.compile(r"^arn:aws(-[^:]+)?:sagemaker:[a-z0-9-]{1,20}:[0-9]{12}:flow-definition/.+$")
#: The origin of the human evaluation annotation portal, allowed to GET from the output bucket (CORS).
HUMAN_EVALUATION_PORTAL_ORIGIN = "https://mturk-console-template-preview-hooks.s3.amazonaws.com"
#: Room for the ``-<8 hex>`` the handler appends to make each job name unique.
_JOB_NAME_PREFIX_MAX = 54


@dataclass(frozen=True)
class EvaluationDataset:
    """One prompt dataset of a job with its task type and metrics (``EvaluationDatasetMetricConfig``).

    Give exactly one source: ``builtin`` (automatic jobs only; a :class:`BuiltinDataset` or its API name),
    ``key`` (an object under the data bucket's evaluation prefix, e.g. ``"qa/prompts.jsonl"``) or ``s3_uri``
    (any ``s3://`` URI the service role may read). Custom datasets are JSONL records
    ``{"prompt", "referenceResponse"?, "category"?}`` (check them with
    :func:`bedrock_ops.evaluation.dataset.validate_prompt_dataset`).

    :param task_type: an :class:`EvaluationTaskType` or its API value (``General`` is read as
        ``Generation``); a built-in dataset must belong to it (default: the built-in dataset's task type,
        else ``Generation``).
    :param metric_names: 1-25 names: built-in metrics, or for human jobs the names of the human metrics
        (default: automatic jobs, the metrics the task type offers, on a built-in dataset those computed on
        it (Classification: Accuracy and Robustness); judge jobs, every built-in judge metric and your judge
        metrics; human jobs, every human metric).
    :param name: the dataset name shown in results, 1-63 of ``[0-9a-zA-Z-_.]`` (default: the built-in
        name, or one derived from the key or URI).
    """

    builtin: BuiltinDataset | str | None = None
    key: str | None = None
    s3_uri: str | None = None
    task_type: EvaluationTaskType | str | None = None
    metric_names: Sequence[str] = ()
    name: str | None = None


@dataclass(frozen=True)
class HumanMetric:
    """A metric human workers rate (``HumanEvaluationCustomMetric``).

    :param name: 1-63 of ``[0-9a-zA-Z-_.]``; list it in the datasets' ``metric_names``.
    :param rating_method: how workers rate it, a :class:`HumanRatingMethod` or its value or name
        (``"ThumbsUpDown"``, ``"THUMBS_UP_DOWN"``).
    :param description: what workers should judge, 1-63 characters (default: none).
    """

    name: str
    rating_method: HumanRatingMethod
    description: str | None = None

    def __post_init__(self) -> None:
        rating = parse_enum(HumanRatingMethod, self.rating_method, param="HumanMetric.rating_method")
        object.__setattr__(self, "rating_method", rating)


@dataclass(frozen=True)
class PrecomputedResponses:
    """Responses you computed yourself ("bring your own inference"), in the dataset's ``modelResponses``.

    :param source: the ``modelIdentifier`` the dataset's records give their responses, 1-256 of
        ``[a-zA-Z0-9._-]`` starting with a letter or digit. For LLM-as-a-judge and human jobs.
    """

    source: str


@dataclass(frozen=True)
class JudgeMetric:
    """A metric of your own that the evaluator model rates (``AutomatedEvaluationCustomMetricSource``).

    :param name: 1-63 of ``[0-9a-zA-Z-_.]``; the datasets' ``metric_names`` may list it (default: all
        built-in judge metrics and every judge metric).
    :param instructions: the judge's prompt, 1-5000 characters; Bedrock fills ``{{prompt}}``,
        ``{{prediction}}`` and ``{{ground_truth}}``.
    :param rating_scale: 1-10 ``(definition, value)`` pairs; a value is a number or a string
        (default: none, the judge answers freely).
    """

    name: str
    instructions: str
    rating_scale: Sequence[tuple[str, float | str]] = ()

"""The app's typed configuration, loaded from YAML and validated with pydantic.

Every model forbids unknown keys. :func:`load_config` turns any problem into one :class:`ConfigError`
whose message names the file, the key path, the bad value and what is allowed.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bedrock_ops._core.limits import MODEL_UNITS, WORKFLOW_TIMEOUT_HOURS
from bedrock_ops.evaluation.model_evaluation import (
    EvaluationDataset,
    EvaluationKind,
    HumanMetric,
    HumanRatingMethod,
    JudgeMetric,
    PrecomputedResponses,
    check_evaluation,
)
from bedrock_ops.models import evaluation_tasks, load_models

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "default.yaml"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION_SHAPE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def _models_file(info: ValidationInfo) -> str | None:
    """The top-level ``models_file`` of the configuration being validated (sections check models against it)."""
    context = info.context if isinstance(info.context, dict) else {}
    value = context.get("models_file")
    return value if isinstance(value, str) else None


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message says where (file, key path) and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


@functools.cache
def known_regions() -> frozenset[str]:
    """The AWS Regions the installed aws-cdk-lib knows."""
    from aws_cdk.region_info import RegionInfo

    return frozenset(r.name for r in RegionInfo.regions)


class EnvironmentConfig(_Model):
    """Where the stacks deploy."""

    name: str = Field(
        default="default",
        pattern=r"^[a-z][a-z0-9-]{0,19}$",
        description="Environment name: the Stage (stacks are <name>/<stack>), e.g. dev or prod.",
    )
    account: str | None = Field(
        default=None, description="12-digit AWS account id (default: the CLI's current account)."
    )
    region: str = Field(default="us-east-1", description="AWS Region, e.g. us-east-1.")

    @field_validator("account")
    @classmethod
    def _account(cls, value: str | None) -> str | None:
        if value is not None and not _ACCOUNT.match(value):
            raise ValueError("must be a 12-digit AWS account id such as '123456789012' (quote it in YAML)")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        regions = known_regions()
        if value not in regions:
            close = difflib.get_close_matches(value, sorted(regions), n=3)
            hint = f"did you mean {', '.join(close)}?" if close else f"one of {', '.join(sorted(regions))}"
            shape = "" if _REGION_SHAPE.match(value) else "not an AWS Region name; "
            raise ValueError(f"{shape}unknown Region: {hint}")
        return value


class DataConfig(_Model):
    """The training data bucket and its key."""

    bucket_name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Physical bucket name (default: generated).",
    )
    key_alias: str | None = Field(
        default=None,
        pattern=r"^alias/[a-zA-Z0-9/_-]{1,250}$",
        description="KMS alias of the data key (default: alias/<project_name>).",
    )
    noncurrent_version_expiration_days: int = Field(default=90, ge=1, le=3650)
    abort_incomplete_upload_days: int = Field(default=7, ge=1, le=365)
    access_log_retention_days: int = Field(default=365, ge=1, le=3650)
    removal_policy: Literal["retain", "destroy"] = Field(
        default="retain", description="What happens to the buckets and key when the stack is deleted."
    )


_MODEL_NAME = r"^[0-9a-zA-Z](?:[_-]?[0-9a-zA-Z])*$"


class JobGateConfig(_Model):
    """Evaluate each model a job trains before it is promoted (see ``bedrock_ops.EvaluationGate``): on a candidate
    no-commitment provisioned throughput, billed per hour while the evaluation runs."""

    datasets: list[EvaluationDatasetConfig] = Field(min_length=1, max_length=5)
    thresholds: dict[str, float] = Field(
        min_length=1,
        description="metric -> bound; at least or at most the bound per the knowledge base's metric directions.",
    )
    must_beat_current: bool = Field(default=False, description="Also be no worse than the model served now.")
    evaluator_model: str | None = Field(default=None, description="A judge model: an llm-as-a-judge evaluation.")
    judge_metrics: list[JudgeMetricConfig] = Field(default_factory=list, max_length=10)
    inference_params: dict[str, Any] | None = Field(default=None, description="inferenceParams of the model.")
    timeout_hours: int = Field(default=24, ge=1, le=8760, description="How long the gate waits for its job.")
    poll_interval_minutes: int = Field(default=5, ge=1, le=1440, description="How often the job is checked.")

    def judge_metrics_spec(self) -> list[JudgeMetric]:
        """The construct's judge metric specs."""
        return [m.spec() for m in self.judge_metrics]


class JobServingConfig(_Model):
    """Serve each model a job trains behind one stable endpoint (see ``bedrock_ops.StableEndpoint``)."""

    endpoint_name: str | None = Field(
        default=None,
        pattern=r"^[0-9a-zA-Z][0-9a-zA-Z_-]{0,62}$",
        description="The deployment's or throughput's name (default: derived from the job name).",
    )
    kind: Literal["auto", "deployment", "provisioned-throughput"] = Field(
        default="auto",
        description="auto: an on-demand deployment where the base model allows it, else a provisioned throughput.",
    )
    model_units: int = Field(default=1, ge=MODEL_UNITS.low, le=MODEL_UNITS.high, description="Throughput only.")
    commitment: Literal["NoCommitment", "OneMonth", "SixMonths"] = Field(
        default="NoCommitment", description="Throughput only; a term cannot be cancelled."
    )
    acknowledge_commitment_cost: bool = Field(default=False, description="Required (true) for OneMonth / SixMonths.")
    custom_model_removal_policy: Literal["retain", "destroy"] = Field(
        default="retain", description="destroy: deleting the stack deletes the current and previous custom models."
    )
    gate: JobGateConfig | None = Field(
        default=None, description="Evaluate each new model before promoting it (default: every model is promoted)."
    )
    candidate_model_units: int = Field(
        default=1, ge=MODEL_UNITS.low, le=MODEL_UNITS.high, description="Model units of the gate's candidate."
    )
    acknowledge_candidate_cost: bool = Field(
        default=False, description="Required (true) with gate: each evaluation buys a no-commitment throughput."
    )


class CustomizationJobConfig(_Model):
    """One model customization job (see ``bedrock_ops.ModelCustomizationWorkflow``)."""

    name: str = Field(
        pattern=_MODEL_NAME,
        max_length=50,
        description="Custom model name prefix (a -<definition hash> suffix is added); letters, digits, '-', '_'.",
    )
    base_model: str = Field(description="Base model id, plain or context-suffixed (see the model registry).")
    customization_type: Literal["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"] = "FINE_TUNING"
    training_data_key: str = Field(min_length=1, description="Key of the training JSONL in the training bucket.")
    validation_data_keys: list[str] = Field(default_factory=list, max_length=10)
    media_prefixes: list[str] = Field(
        default_factory=list,
        description="Key prefixes of the images and videos a Nova dataset references (the service role may read "
        "them); default: none (media under the training and validation prefixes are readable).",
    )
    training_data_file: str | None = Field(
        default=None,
        description="Local copy of the training data, relative to the project root; its format is checked "
        "against the customization type at synth (default: not checked).",
    )
    hyperparameters: dict[str, StrictInt | StrictFloat] = Field(
        default_factory=dict, description="By API name (epochCount, batchSize, learningRate, ...)."
    )
    teacher_model: str | None = Field(
        default=None,
        description="DISTILLATION only: a documented teacher of base_model; a profile-only teacher (Nova Premier) "
        "as a cross-Region inference profile (us.amazon.nova-premier-v1:0).",
    )
    max_response_length: int | None = Field(default=None, ge=1, le=32768, description="DISTILLATION only.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags of the job and the custom model.")
    removal_policy: Literal["retain", "destroy"] = Field(
        default="retain", description="destroy: deleting the stack (or replacing the job) deletes the model."
    )
    start_on_deploy: bool = Field(
        default=True, description="Start the job on deploy when its definition changed (else: make train)."
    )
    validate_dataset: bool = Field(
        default=True,
        description="Run the dataset validator (datasets.validator) on the training data before the job.",
    )
    start_on_new_data: bool = Field(
        default=False,
        description="Also start when a new training data version is tagged valid by the dataset validator.",
    )
    timeout_hours: int = Field(
        default=72,
        ge=WORKFLOW_TIMEOUT_HOURS.low,
        le=WORKFLOW_TIMEOUT_HOURS.high,
        description="Workflow timeout; the alarm fires on timed-out executions.",
    )
    serving: JobServingConfig | None = Field(
        default=None,
        description="Promote each model the job trains behind a stable endpoint (default: none, models are only "
        "trained).",
    )

    @model_validator(mode="after")
    def _valid_for_the_base_model(self, info: ValidationInfo) -> CustomizationJobConfig:
        # The construct's own synth-time rules, run here so that errors name the file and key path.
        from bedrock_ops.customization.definition import (
            CustomizationHyperparameters,
            check_teacher,
            validate_job_definition,
        )
        from bedrock_ops.models import CustomizationType, load_models

        models = load_models(_models_file(info))
        spec = models.resolve(self.base_model, prop="base_model")
        ctype = CustomizationType(self.customization_type)
        hyperparameters = CustomizationHyperparameters.from_api(self.hyperparameters)
        validate_job_definition(spec, customization_type=ctype, dataset_format=None, hyperparameters=hyperparameters)
        if self.training_data_file is not None:
            _check_training_data_file(self.training_data_file, spec, ctype)
        if (self.customization_type == "DISTILLATION") != (self.teacher_model is not None):
            raise ValueError("teacher_model is required for DISTILLATION and allowed only there")
        if self.teacher_model is not None:
            check_teacher(models, spec, self.teacher_model, prop="teacher_model")
        return self


def _check_training_data_file(file: str, spec: Any, ctype: Any) -> None:
    """The job's local training data, streamed through the dataset validator core (the same rules as
    ``bedrock-ops validate-dataset`` and the ``DatasetValidator`` Lambda); problems name the key."""
    from bedrock_ops._cli.diagnose import summary
    from bedrock_ops.data.validation import validate_file

    path = ROOT / file
    try:
        report = validate_file(path, base_model=spec, customization_type=ctype, max_errors=10)
    except OSError as exc:
        raise ValueError(
            f"training_data_file: cannot read {file!r} ({path}): {exc.strerror or exc}; give a JSONL file "
            "relative to the project root"
        ) from None
    if not report.valid:
        raise ValueError(f"training_data_file: {file!r} is not valid for {spec.model_id}: {summary(report, path)}")


class CustomizationConfig(_Model):
    """Model customization jobs run by Step Functions (one workflow per job)."""

    enabled: bool = Field(default=True, description="Deploy the customization stack.")
    jobs: list[CustomizationJobConfig] = Field(default_factory=list)

    @field_validator("jobs")
    @classmethod
    def _unique_names(cls, jobs: list[CustomizationJobConfig]) -> list[CustomizationJobConfig]:
        names = [job.name for job in jobs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"job names must be unique, got {', '.join(duplicates)} more than once")
        return jobs


_TASKS = Literal["fine-tuning", "continued-pre-training", "distillation", "reinforcement-fine-tuning"]
_LOCAL_TASKS = Literal["fine-tuning", "continued-pre-training", "distillation", "reinforcement-fine-tuning", "batch"]
BATCH_TASK = "batch"


class LocalDatasetConfig(_Model):
    """A dataset file in the repository: validated at synth time, uploaded to the bucket on deploy."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9._-]{1,100}$",
        description="Key segment: the file goes to <training|validation prefix><name>/<file name>.",
    )
    path: str = Field(min_length=1, description="JSONL file, relative to the directory `cdk synth` runs in.")
    base_model: str = Field(min_length=1, description="Base model id, plain or context-suffixed.")
    task: _LOCAL_TASKS = Field(
        default="fine-tuning",
        description="Customization type the file is for, or batch: batch inference input for base_model, uploaded "
        "to batch/input/<name>/ (split does not apply).",
    )
    split: Literal["training", "validation"] = Field(default="training")


class DatasetValidatorConfig(_Model):
    """The Lambda that validates every dataset landing under the training or validation prefix."""

    enabled: bool = True
    base_model: str = Field(
        default="amazon.nova-micro-v1:0",
        min_length=1,
        description="Base model for keys not under a local dataset's name (those use its own model).",
    )
    task: _TASKS = "fine-tuning"
    max_errors: int = Field(default=100, ge=1, le=10000, description="Errors kept in each report.")


class DatasetsConfig(_Model):
    """Dataset validation: in the cloud (validator) and at synth time (local files)."""

    validator: DatasetValidatorConfig = DatasetValidatorConfig()
    local: list[LocalDatasetConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _models_are_known(self, info: ValidationInfo) -> DatasetsConfig:
        from bedrock_ops.models import CustomizationType, load_models

        registry = load_models(_models_file(info))
        checks: list[tuple[str, str, str]] = [("validator", self.validator.base_model, self.validator.task)]
        checks += [(f"local[{i}] ({d.name})", d.base_model, d.task) for i, d in enumerate(self.local)]
        for where, model, task in checks:
            try:
                spec = registry.resolve(model, prop="base_model")
                if task != BATCH_TASK:
                    spec.require(CustomizationType.parse(task))
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
        return self


# --- model evaluation (issue 7) ----------------------------------------------------------------------

# Names from the packaged knowledge base (evaluation_tasks); the evaluation's own check reads the merged one.
_EVALUATION_TASKS = evaluation_tasks(load_models())
_BUILTIN_DATASETS = _EVALUATION_TASKS.builtin_datasets
_TASK_TYPES = tuple(_EVALUATION_TASKS.task_types)
_TASK_TYPE_ALIASES = ", ".join(f"{a} (= {t})" for a, t in _EVALUATION_TASKS.task_type_aliases.items())
_RATING_METHODS = tuple(r.value for r in HumanRatingMethod)


class EvaluationDatasetConfig(_Model):
    """One prompt dataset of an evaluation: exactly one of ``builtin``, ``key`` or ``s3_uri``."""

    builtin: str | None = Field(default=None, description=f"A built-in dataset: {', '.join(_BUILTIN_DATASETS)}.")
    key: str | None = Field(default=None, description="A JSONL object key under the data bucket's evaluation/ prefix.")
    s3_uri: str | None = Field(default=None, pattern=r"^s3://", description="Any s3:// URI of a JSONL dataset.")
    task_type: str | None = Field(
        default=None,
        description=f"One of {', '.join(_TASK_TYPES)}; also {_TASK_TYPE_ALIASES} (default: the built-in dataset's "
        "task type, else Generation).",
    )
    metrics: list[str] = Field(
        default_factory=list,
        description="Metric names (default: automatic jobs, what the task type offers on the dataset; judge jobs, "
        "every built-in judge metric and the judge_metrics; human jobs, the human_metrics).",
    )
    name: str | None = Field(default=None, description="Dataset name in the results (default: from the source).")

    @field_validator("builtin")
    @classmethod
    def _builtin(cls, value: str | None) -> str | None:
        if value is not None and value not in _BUILTIN_DATASETS and value not in _EVALUATION_TASKS.dataset_aliases:
            close = difflib.get_close_matches(value, _BUILTIN_DATASETS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"one of {', '.join(_BUILTIN_DATASETS)}"
            raise ValueError(f"unknown built-in dataset: {hint}")
        return value

    @field_validator("task_type")
    @classmethod
    def _task_type(cls, value: str | None) -> str | None:
        if value is not None and value not in _TASK_TYPES and value not in _EVALUATION_TASKS.task_type_aliases:
            raise ValueError(f"must be one of {', '.join(_TASK_TYPES)} (also accepted: {_TASK_TYPE_ALIASES})")
        return value

    def to_dataset(self) -> EvaluationDataset:
        """The construct's dataset spec."""
        return EvaluationDataset(
            builtin=self.builtin,
            key=self.key,
            s3_uri=self.s3_uri,
            task_type=self.task_type,
            metric_names=tuple(self.metrics),
            name=self.name,
        )


class HumanMetricConfig(_Model):
    """A metric rated by human workers."""

    name: str = Field(pattern=r"^[0-9a-zA-Z\-_.]{1,63}$", description="Metric name shown to workers.")
    rating_method: str = Field(description=f"One of {', '.join(_RATING_METHODS)}.")
    description: str | None = Field(default=None, min_length=1, max_length=63, description="What to judge.")

    @field_validator("rating_method")
    @classmethod
    def _rating_method(cls, value: str) -> str:
        if value not in _RATING_METHODS:
            raise ValueError(f"must be one of {', '.join(_RATING_METHODS)}")
        return value


class RatingConfig(_Model):
    """One step of a judge metric's rating scale."""

    definition: str = Field(min_length=1, max_length=100, description="What the rating means.")
    value: float | str = Field(description="The rating: a number or a string.")


class JudgeMetricConfig(_Model):
    """A metric of your own, rated by the evaluator model (llm-as-a-judge jobs)."""

    name: str = Field(pattern=r"^[0-9a-zA-Z\-_.]{1,63}$", description="Metric name (list it in datasets' metrics).")
    instructions: str = Field(min_length=1, max_length=5000, description="The judge's prompt ({{prediction}}...).")
    rating_scale: list[RatingConfig] = Field(default_factory=list, max_length=10)

    def spec(self) -> JudgeMetric:
        """The construct's judge metric spec."""
        return JudgeMetric(self.name, self.instructions, [(r.definition, r.value) for r in self.rating_scale])


class EvaluationConfig(_Model):
    """A Bedrock model evaluation job started when the app deploys (outcome published to SNS)."""

    name: str = Field(
        pattern=r"^[a-z0-9](-?[a-z0-9]){0,53}$",
        description="Job name prefix: lowercase letters, digits and single hyphens, at most 54 characters.",
    )
    kind: Literal["automatic", "llm-as-a-judge", "human"] = Field(description="How responses are graded.")
    models: list[str] = Field(default_factory=list, max_length=2, description="Evaluated model ids or ARNs.")
    precomputed_sources: list[str] = Field(
        default_factory=list,
        max_length=2,
        description="modelIdentifier of responses you computed yourself, in the datasets' modelResponses.",
    )
    datasets: list[EvaluationDatasetConfig] = Field(min_length=1, max_length=5)
    evaluator_model: str | None = Field(default=None, description="Judge model (llm-as-a-judge jobs).")
    flow_definition_arn: str | None = Field(default=None, description="SageMaker flow definition (human jobs).")
    human_metrics: list[HumanMetricConfig] = Field(default_factory=list, max_length=10)
    human_instructions: str | None = Field(default=None, min_length=1, max_length=5000)
    judge_metrics: list[JudgeMetricConfig] = Field(default_factory=list, max_length=10)
    inference_params: dict[str, Any] | None = Field(default=None, description="inferenceParams of the models.")
    description: str | None = Field(default=None, min_length=1, max_length=200)
    poll_interval_minutes: int = Field(default=15, ge=1, le=1440, description="How often the job is checked.")
    run_id: str | None = Field(default=None, description="Change it to run the same evaluation again.")

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> EvaluationConfig:
        expected = {
            "automatic": EvaluationKind.AUTOMATIC,
            "llm-as-a-judge": EvaluationKind.LLM_AS_A_JUDGE,
            "human": EvaluationKind.HUMAN,
        }[self.kind]
        if expected is EvaluationKind.LLM_AS_A_JUDGE and self.evaluator_model is None:
            raise ValueError("kind llm-as-a-judge needs evaluator_model")
        if expected is EvaluationKind.HUMAN and self.flow_definition_arn is None:
            raise ValueError("kind human needs flow_definition_arn")
        kind = check_evaluation(
            models=self.models_spec(),
            datasets=[d.to_dataset() for d in self.datasets],
            evaluator_model=self.evaluator_model,
            flow_definition_arn=self.flow_definition_arn,
            human_metrics=self.human_metrics_spec(),
            human_instructions=self.human_instructions,
            judge_metrics=self.judge_metrics_spec(),
            models_file=_models_file(info),
        )
        if kind is not expected:
            raise ValueError(
                f"kind {self.kind} does not match the keys given (they describe a {kind.value} job): "
                "evaluator_model is for llm-as-a-judge, flow_definition_arn for human"
            )
        return self

    def models_spec(self) -> list[str | PrecomputedResponses]:
        """The construct's ``models``: Bedrock models, then precomputed response sources."""
        return [*self.models, *(PrecomputedResponses(source) for source in self.precomputed_sources)]

    def judge_metrics_spec(self) -> list[JudgeMetric]:
        """The construct's judge metric specs."""
        return [m.spec() for m in self.judge_metrics]

    def human_metrics_spec(self) -> list[HumanMetric]:
        """The construct's human metric specs."""
        return [HumanMetric(m.name, HumanRatingMethod(m.rating_method), m.description) for m in self.human_metrics]


_RETENTION_DAYS = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545),
    *(731, 1096, 1827, 2192, 2557, 2922, 3288, 3653),
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvocationLoggingConfig(_Model):
    """Bedrock model invocation logging (one configuration per account and Region)."""

    enabled: bool = Field(default=True, description="Create the InvocationLogging construct.")
    cloud_watch_logs: bool = Field(default=True, description="Deliver to a CloudWatch Logs log group.")
    s3: bool = Field(default=True, description="Deliver to an S3 bucket.")
    large_data_delivery: bool = Field(default=True, description="Send large and binary bodies to the bucket.")
    text_data: bool = True
    image_data: bool = True
    embedding_data: bool = True
    video_data: bool = True
    log_group_name: str = Field(default="/bedrock-ops/model-invocations", pattern=r"^[A-Za-z0-9_.#/-]{1,512}$")
    log_retention_days: int = Field(default=365, description="A CloudWatch Logs retention value.")
    adopt_existing: bool = Field(
        default=False, description="Take over a logging configuration this app did not create (restored on delete)."
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in _RETENTION_DAYS:
            raise ValueError(f"must be one of {', '.join(map(str, _RETENTION_DAYS))}")
        return value


class AlarmsConfig(_Model):
    """Alarm thresholds shared by every model."""

    latency_ms: float = Field(default=20_000, gt=0, description="InvocationLatency above this alarms.")
    latency_statistic: Literal["p50", "p90", "p95", "p99", "p99.9"] = "p90"
    fleet_latency_function: Literal["AVG", "MAX"] = Field(
        default="AVG", description="What the fleet latency alarms compare (Metrics Insights has no percentiles)."
    )
    time_to_first_token_ms: float = Field(default=5_000, gt=0)
    quota_usage_percent: float = Field(default=80, ge=1, le=100)
    content_filtered_count: float = Field(default=5, ge=1)
    throttles: float = Field(default=10, ge=1)
    server_errors: float = Field(default=5, ge=1)
    log_delivery_failures: float = Field(default=1, ge=1)
    period_minutes: int = Field(default=5, ge=1, le=60)
    evaluation_periods: int = Field(default=3, ge=1, le=24)
    datapoints_to_alarm: int = Field(default=2, ge=1, le=24)


class MonitoredModelConfig(_Model):
    """One monitored model."""

    model_id: str = Field(min_length=1, max_length=2048)
    latency_threshold_ms: float | None = Field(
        default=None, gt=0, description="This model's own latency percentile alarm threshold."
    )
    alarms: bool | None = Field(default=None, description="Alarms of its own (default: per_model_alarms).")
    price_per_1k_input_tokens: float | None = Field(default=None, ge=0)
    price_per_1k_output_tokens: float | None = Field(default=None, ge=0)


#: The base models the customization, evaluation and model access features of the default app use, by the id
#: their on-demand calls carry: Llama 3.2 is invoked on demand through the ``us.`` system inference profile
#: (BEDROCK_FACTS "Model ids"; research facts section 6 leaves the profile-only status unconfirmed).
_DEFAULT_MONITORED_MODELS = (
    "amazon.titan-text-express-v1",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.nova-micro-v1:0",
    "us.meta.llama3-2-1b-instruct-v1:0",
    "amazon.nova-lite-v1:0",
)


class InferenceProfileConfig(_Model):
    """An application inference profile for one team or application (cost and metrics per application)."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^([0-9a-zA-Z][ _-]?)+$")
    model_source: str = Field(min_length=1, max_length=2048)
    tags: dict[str, str] = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=200)


class MonitoringConfig(_Model):
    """Alarms, the alarm topic and dashboards."""

    enabled: bool = Field(default=True, description="Create the BedrockMonitoring construct.")
    fleet_alarms: bool = Field(default=True, description="One Metrics Insights alarm per signal over every model.")
    per_model_alarms: bool = Field(default=False, description="Alarms of their own for every listed model.")
    models: list[MonitoredModelConfig] = Field(
        default_factory=lambda: [MonitoredModelConfig(model_id=m) for m in _DEFAULT_MONITORED_MODELS],
        description="Models shown in detail (default: the base models the other features use).",
    )
    tpm_quotas: dict[str, float] = Field(
        default_factory=dict, description="Tokens-per-minute quota per ModelId, for the quota headroom alarms."
    )
    default_tpm_quota: float | None = Field(default=None, gt=0, description="Quota of every other model.")
    inference_profiles: list[InferenceProfileConfig] = Field(default_factory=list)
    alarm_emails: list[str] = Field(default_factory=list, description="Addresses subscribed to the alarm topic.")
    alarms: AlarmsConfig = AlarmsConfig()
    dashboard_name_prefix: str = Field(default="BedrockOps", pattern=r"^[A-Za-z0-9_-]{1,200}$")
    alarm_name_prefix: str = Field(default="BedrockOps", min_length=1, max_length=100)
    pricing_file: str | None = Field(
        default=None, description="A pricing table file merged over the packaged one, for the cost widgets."
    )

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[MonitoredModelConfig]) -> list[MonitoredModelConfig]:
        ids = [m.model_id for m in value]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"lists {', '.join(duplicates)} more than once")
        for model in value:
            if (model.price_per_1k_input_tokens is None) != (model.price_per_1k_output_tokens is None):
                raise ValueError(
                    f"{model.model_id}: give both price_per_1k_input_tokens and price_per_1k_output_tokens"
                )
        return value

    @field_validator("tpm_quotas")
    @classmethod
    def _quotas(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if v <= 0}
        if bad:
            raise ValueError(f"quotas must be tokens per minute > 0, got {bad}")
        return value

    @model_validator(mode="after")
    def _models_or_fleet(self) -> MonitoringConfig:
        if not self.fleet_alarms and not self.models:
            raise ValueError(
                "models must list at least one model when fleet_alarms is false (or set monitoring.enabled: false)"
            )
        if not self.fleet_alarms and (self.tpm_quotas or self.default_tpm_quota is not None):
            raise ValueError("tpm_quotas and default_tpm_quota need fleet_alarms: true (Metrics Insights alarms)")
        return self

    @field_validator("alarm_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [email for email in value if not _EMAIL.match(email)]
        if bad:
            raise ValueError(f"must be e-mail addresses, got {', '.join(map(repr, bad))}")
        return value


class ObservabilityConfig(_Model):
    """Invocation logging and monitoring."""

    invocation_logging: InvocationLoggingConfig = InvocationLoggingConfig()
    monitoring: MonitoringConfig = MonitoringConfig()


class UseCaseFormConfig(_Model):
    """The one-time Anthropic use-case form (submitted only if the account has none)."""

    company_name: str = Field(min_length=1, max_length=200)
    company_website: str = Field(pattern=r"^https?://\S+$")
    intended_users: Literal[0, 1, 2] = Field(default=0, description="0 internal, 1 external, 2 both.")
    industry_option: str = ""
    other_industry_option: str = ""
    use_cases: str = Field(min_length=1, max_length=2000)

    def form_data(self) -> dict[str, str]:
        """The form as ``PutUseCaseForModelAccess`` expects its fields."""
        return {
            "companyName": self.company_name,
            "companyWebsite": self.company_website,
            "intendedUsers": str(self.intended_users),
            "industryOption": self.industry_option,
            "otherIndustryOption": self.other_industry_option,
            "useCases": self.use_cases,
        }


class ModelAccessConfig(_Model):
    """Foundation models this account must be able to use (costs nothing until the models are invoked)."""

    enabled: bool = True
    models: list[str] = Field(
        default_factory=lambda: ["amazon.nova-lite-v1:0", "amazon.titan-text-express-v1"], min_length=1
    )
    use_case_form: UseCaseFormConfig | None = None
    accept_agreements: bool = Field(
        default=False,
        description="Accept the Marketplace models' agreements in advance (default: the first invocation subscribes).",
    )

    @model_validator(mode="before")
    @classmethod
    def _removed_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and "revoke_agreement_on_delete" in data:
            raise ValueError(
                "revoke_agreement_on_delete was removed: model access is account-wide and the next invocation "
                "subscribes again, so deleting the agreement revoked nothing. Remove the key; restrict models with "
                "IAM policies or SCPs (README, Model access)"
            )
        return data

    @model_validator(mode="after")
    def _known_models(self, info: ValidationInfo) -> ModelAccessConfig:
        from bedrock_ops.models import load_models

        catalog = load_models(_models_file(info))
        for index, model_id in enumerate(self.models):
            catalog.resolve(model_id, prop=f"models[{index}]")
        return self


class ProvisionedThroughputConfig(_Model):
    """One provisioned throughput. Billed hourly while it exists: off by default."""

    enabled: bool = False
    model_id: str = Field(default="amazon.titan-text-express-v1:0:8k", min_length=1)
    base_model_id: str | None = Field(default=None, description="Base model of a custom model, for the estimate.")
    model_units: int = Field(default=1, ge=MODEL_UNITS.low, le=MODEL_UNITS.high)
    commitment: Literal["NoCommitment", "OneMonth", "SixMonths"] = "NoCommitment"
    name: str | None = Field(default=None, pattern=r"^([0-9a-zA-Z][_-]?)+$", max_length=63)
    acknowledge_commitment_cost: bool = False
    pricing_file: str | None = Field(default=None, description="A pricing table file merged over the packaged one.")


class GitHubConfig(_Model):
    """GitHub Actions deployments through OIDC (GitHubOidcDeployRoles in the environment's `github` stack)."""

    repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="owner/name")
    branch: str = Field(default="main", pattern=r"^[A-Za-z0-9._/-]+$", description="The branch that deploys.")
    provider_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$",
        description="An existing GitHub OIDC provider of the account (default: create one).",
    )


class AppConfig(_Model):
    """The whole configuration of the default app."""

    project_name: str = Field(
        default="bedrock-ops",
        pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$",
        description="Prefix of stack and resource names: lowercase letters, digits and '-', 3-30 characters.",
    )
    environment: EnvironmentConfig = EnvironmentConfig()
    models_file: str | None = Field(
        default=None,
        description="A models file (schema of bedrock_ops/models/data/models.json) merged over the packaged "
        "model knowledge base; every feature reads the merged one.",
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Tags applied to every resource.")
    data: DataConfig = DataConfig()
    customization: CustomizationConfig = CustomizationConfig()
    datasets: DatasetsConfig = DatasetsConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    model_access: ModelAccessConfig = ModelAccessConfig()
    provisioned_throughput: ProvisionedThroughputConfig = ProvisionedThroughputConfig()
    evaluations: list[EvaluationConfig] = Field(
        default_factory=list, description="Bedrock model evaluation jobs started on deploy (default: none)."
    )
    github: GitHubConfig | None = Field(default=None, description="GitHub OIDC deploy roles (default: none).")
    _source: str = PrivateAttr(default="<config>")

    @property
    def source(self) -> str:
        """The file (or name) this configuration was loaded from: errors name it."""
        return self._source

    @field_validator("models_file")
    @classmethod
    def _models_file_loads(cls, value: str | None) -> str | None:
        if value is not None:
            from bedrock_ops.models import load_models

            load_models(value)  # ModelsFileError (a ValueError) names the file, the key and the bad value
        return value

    @field_validator("evaluations")
    @classmethod
    def _unique_evaluation_names(cls, value: list[EvaluationConfig]) -> list[EvaluationConfig]:
        names = [e.name for e in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"evaluation names must be unique, {duplicates[0]!r} is used more than once")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 50:
            raise ValueError(f"at most 50 tags are allowed, got {len(value)}")
        for key, tag in value.items():
            if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r} must be 1-128 characters and not start with 'aws:'")
            if len(tag) > 256:
                raise ValueError(f"tag {key!r} value must be at most 256 characters")
        return value


class PipelineSourceConfig(_Model):
    """Where the pipeline takes the code from: a CodeStar (CodeConnections) connection to the repository."""

    repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="owner/name")
    branch: str = Field(default="main", pattern=r"^[A-Za-z0-9._/-]+$")
    connection_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$",
        description="ARN of the CodeStar/CodeConnections connection (created and authorized in the console).",
    )


class PipelineStageConfig(_Model):
    """One deployment stage of the pipeline: an app configuration file (relative to the repository root)."""

    config: str = Field(description="Path of the stage's configuration, e.g. config/dev.yaml.")
    manual_approval: bool = Field(default=False, description="Wait for a manual approval before this stage.")


class PipelineConfig(_Model):
    """The GitOps pipeline (``cdk synth -c pipeline=config/pipeline.yaml``)."""

    name: str = Field(default="bedrock-ops", pattern=r"^[A-Za-z0-9.@_-]{1,100}$")
    environment: EnvironmentConfig
    source: PipelineSourceConfig
    stages: list[PipelineStageConfig] = Field(min_length=1)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate keys instead of keeping the last one silently."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_config(path: str | Path | None = None) -> AppConfig:
    """Load and validate a configuration file (default: ``config/default.yaml``).

    A file is merged over the documented defaults, ``config/default.yaml``: a mapping merges key by key,
    any other value (a list, a string, a number) replaces the default's, and ``null`` drops the default's
    value (the key then takes its built-in default, e.g. ``github: null`` for no GitHub stack, ``jobs: []``
    for no customization job). ``{}`` therefore synthesizes exactly what the default app synthesizes.

    Raises :class:`ConfigError` with one readable message for a missing file, bad YAML or invalid values.
    """
    file = Path(path) if path is not None else DEFAULT_CONFIG
    raw = _load_yaml(file)
    if file.resolve() != DEFAULT_CONFIG.resolve():
        raw = merge_over(_load_yaml(DEFAULT_CONFIG), raw)
    return parse_config(raw, source=str(file))


def merge_over(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` merged over ``defaults``: mappings key by key, other values replace, ``None`` drops."""
    merged = dict(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_over(merged[key], value)
        else:
            merged[key] = value
    return merged


def effective_config_yaml(config: AppConfig) -> str:
    """The configuration as the app uses it, every key with its value (``bedrock-ops config show``)."""
    data = config.model_dump(mode="json")
    header = f"# effective configuration of {config.source} (merged over config/default.yaml)\n"
    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120)


def load_pipeline_config(path: str | Path) -> PipelineConfig:
    """Load and validate a pipeline configuration file (e.g. ``config/pipeline.yaml``)."""
    file = Path(path)
    try:
        return PipelineConfig.model_validate(_load_yaml(file))
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, str(file), PipelineConfig)) from None


def _load_yaml(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read the configuration file: {exc}") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: invalid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: the top level must be a mapping of keys, got {type(raw).__name__}")
    return raw


def parse_config(raw: dict[str, Any], *, source: str = "<config>") -> AppConfig:
    """Validate an already-parsed configuration mapping; ``source`` names it in errors."""
    try:
        models_file = raw.get("models_file")
        config = AppConfig.model_validate(
            raw, context={"models_file": models_file if isinstance(models_file, str) else None}
        )
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
    config._source = source
    return config


@contextlib.contextmanager
def feeds(config: AppConfig, key: str, props: Mapping[str, str] | None = None) -> Iterator[None]:
    """Map a construct's ``ValueError`` to the configuration key that fed it.

    ``key`` is the section (``provisioned_throughput``, ``customization.jobs.0``); ``props`` maps the
    construct's prop names, as its messages name them, to the keys under it, first match wins
    (``{"acknowledge_commitment_cost": "acknowledge_commitment_cost", "model": "model_id"}``). The error
    becomes ``ConfigError("<file>: <key path>: <message>")``.
    """
    try:
        yield
    except ConfigError:
        raise
    except ValueError as exc:
        message = _CONSTRUCT_PATH.sub("", str(exc), count=1)
        path = key
        for prop, sub in (props or {}).items():
            if re.search(rf"(?<![\w.]){re.escape(prop)}(?![\w])", message):
                path = f"{key}.{sub}" if sub else key
                break
        raise ConfigError(f"{config.source}: {path}: {message}") from None


# "default/models/ProvisionedThroughput: " at the start of a construct's message: the key path replaces it.
_CONSTRUCT_PATH = re.compile(r"^[A-Za-z0-9-]+(/[A-Za-z0-9-]+)+: ")


def format_validation_error(exc: ValidationError, source: str, model: type[BaseModel] | None = None) -> str:
    """One line per problem: ``<file>: <key.path>: <what is wrong> (got <value>)``."""
    lines = [f"{source}: invalid configuration ({exc.error_count()} problem(s)):"]
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"]) or "<top level>"
        message = error["msg"].removeprefix("Value error, ")
        value = error["input"]
        named = _NAMED_KEY.match(message)  # "training_data_file: ..." from a validator of the section
        if named and named.group(1) in _allowed_keys(model or AppConfig, error["loc"]):
            loc = f"{loc}.{named.group(1)}" if error["loc"] else named.group(1)
            message = named.group(2)
            value = value.get(named.group(1)) if isinstance(value, dict) else value
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(model or AppConfig, error["loc"][:-1])
            close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            message = f"unknown key{hint} Allowed keys here: {', '.join(allowed)}"
        elif error["type"] == "literal_error":
            message = message.replace("Input should be", "must be one of")
        lines.append(f"  {source}: {loc}: {message} (got {value!r})")
    return "\n".join(lines)


_NAMED_KEY = re.compile(r"^([a-z][a-z0-9_]*): (.*)$", re.S)


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    for part in loc:
        if isinstance(part, int):  # an index into a list of models
            continue
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
        else:
            return []
    return sorted(model.model_fields)

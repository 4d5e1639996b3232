"""``RewardFunction``: the Lambda grader of a reinforcement fine-tuning job, from a template or the user's code.

Bedrock invokes it with a batch of samples (the prompt, the model's response, the record's own fields) and reads
one ``aggregate_reward_score`` per sample: the contract is written once, in ``lambda/reward_function/index.py``.
Built-in templates: exact or normalised match against the record's reference answer, a JSON (schema) check, a
number within a tolerance, a regular expression, and a model as judge (Converse with a rubric). Or bring code: a
``.py`` file or a package folder defining ``reward(response, sample) -> float | (float, {metric: value})`` (adapted
to the contract) or a complete ``lambda_handler(event, context)``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_iam as iam

from bedrock_ops._core import nag
from bedrock_ops._core.enums import parse_enum
from bedrock_ops._core.functions import HandlerFunction
from bedrock_ops._core.staging import StagedFile, handler_code
from bedrock_ops.customization.grading import HANDLER, USER_MODULE, GradeReport, grade_dataset, load_reward_function
from bedrock_ops.models.knowledge import load_models
from bedrock_ops.roles.service_role import invoke_arns
from constructs import Construct

__all__ = ["RewardFunction", "RewardTemplate"]

#: The grader timeout the user guide recommends raising to for complex evaluations is Lambda's maximum.
MAX_TIMEOUT = Duration.minutes(15)


class RewardTemplate(enum.Enum):
    """The built-in graders (scores in [0, 1])."""

    EXACT_MATCH = "exact"
    """1 when the response equals the reference answer (surrounding whitespace ignored)."""
    NORMALIZED_MATCH = "normalized"
    """1 when they are equal after case folding, removing punctuation and collapsing whitespace."""
    JSON_SCHEMA = "json"
    """1 when the response (or its fenced ```json block) is JSON matching ``json_schema`` (a subset: type,
    enum, required, properties, items, minimum, maximum)."""
    NUMERIC_TOLERANCE = "numeric"
    """1 when the last number in the response is within ``tolerance`` (or ``relative_tolerance``) of the
    reference answer's."""
    REGEX = "regex"
    """1 when ``pattern`` (default: the reference answer as a pattern) matches the response."""
    MODEL_AS_JUDGE = "judge"
    """The judge model's ``SCORE: 0-10`` for the response against ``rubric`` and the reference, divided by 10."""


class RewardFunction(Construct):
    """A reward function (Lambda grader) for reinforcement fine-tuning.

    Attributes: ``function`` (``lambda_.Function``), ``function_arn``, ``template`` (None for user code),
    ``environment`` (the grader's settings), ``dry_run_report`` (the synth-time dry run, or None).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        template: RewardTemplate | str | None = None,
        code: str | Path | None = None,
        reference_key: str | None = None,
        json_schema: Mapping[str, Any] | None = None,
        tolerance: float = 1e-6,
        relative_tolerance: float = 0.0,
        pattern: str | None = None,
        judge_model_id: str | None = None,
        rubric: str | None = None,
        timeout: Duration = Duration.minutes(5),
        memory_size: int = 512,
        dry_run_dataset: str | Path | None = None,
        dry_run_samples: int = 20,
        models_file: str | Path | None = None,
    ) -> None:
        """
        :param template: a built-in grader, a ``RewardTemplate`` or its value or name (``"exact"``,
            ``"EXACT_MATCH"``); exactly one of ``template`` and ``code``.
        :param code: the user's reward code: a ``.py`` file or a package folder (with ``__init__.py``) defining
            ``reward(response, sample)`` or ``lambda_handler(event, context)``. Default: none.
        :param reference_key: when the reference answer is an object, the key holding the value to compare.
            Default: its ``answer`` key if it has one, else the whole value.
        :param json_schema: JSON_SCHEMA: the schema the response must match. Default: any JSON.
        :param tolerance: NUMERIC_TOLERANCE: the absolute tolerance (>= 0). Default: 1e-6.
        :param relative_tolerance: NUMERIC_TOLERANCE: tolerance relative to the reference (>= 0). Default: 0.
        :param pattern: REGEX: the pattern. Default: the reference answer is the pattern.
        :param judge_model_id: MODEL_AS_JUDGE (required there): the model (or inference profile) that grades; the
            function may call ``bedrock:InvokeModel`` on it only.
        :param rubric: MODEL_AS_JUDGE: what a good answer is. Default: "Correct, complete and concise answers
            score high."
        :param timeout: 1 s-15 min; Bedrock's guide asks to raise it from Lambda's 3 s default. Default: 5 minutes.
        :param memory_size: 128-10240 MB. Default: 512.
        :param dry_run_dataset: a local RFT dataset: at synth, the grader runs on its first ``dry_run_samples``
            records against their reference answers and synth fails on any error or contract violation (not for
            MODEL_AS_JUDGE, which would call Bedrock). Default: no dry run.
        :param dry_run_samples: records of the dry run (>= 1). Default: 20.
        :param models_file: a models file merged over the packaged knowledge base (to resolve the judge).
            Default: none.
        """
        super().__init__(scope, id)
        template = None if template is None else parse_enum(RewardTemplate, template, param="template")
        if (template is None) == (code is None):
            raise ValueError(f"give exactly one of template= and code=, got template={template!r}, code={code!r}")
        if not Token.is_unresolved(timeout.to_seconds()) and not 1 <= timeout.to_seconds() <= MAX_TIMEOUT.to_seconds():
            raise ValueError(f"timeout must be 1 second-15 minutes (Lambda's maximum), got {timeout.to_seconds()} s")
        if tolerance < 0 or relative_tolerance < 0:
            raise ValueError(f"tolerance and relative_tolerance must be >= 0, got {tolerance}, {relative_tolerance}")
        if dry_run_samples < 1:
            raise ValueError(f"dry_run_samples must be >= 1, got {dry_run_samples}")
        if (template is RewardTemplate.MODEL_AS_JUDGE) != (judge_model_id is not None):
            raise ValueError(
                "judge_model_id is required for template=MODEL_AS_JUDGE and only there, "
                f"got template={template!r}, judge_model_id={judge_model_id!r}"
            )
        self.template = template
        config: dict[str, Any] = {}
        if reference_key:
            config["reference_key"] = reference_key
        if template is RewardTemplate.JSON_SCHEMA and json_schema is not None:
            config["schema"] = dict(json_schema)
        if template is RewardTemplate.NUMERIC_TOLERANCE:
            config |= {"tolerance": tolerance, "relative_tolerance": relative_tolerance}
        if template is RewardTemplate.REGEX and pattern is not None:
            config["pattern"] = pattern
        if judge_model_id is not None:
            if not Token.is_unresolved(judge_model_id) and not judge_model_id.startswith("arn:"):
                load_models(models_file).resolve(judge_model_id, prop="judge_model_id")
            config["model_id"] = judge_model_id
            if rubric:
                config["rubric"] = rubric
        self.environment = {
            "REWARD_TEMPLATE": template.value if template else "custom",
            "REWARD_CONFIG": json.dumps(config, sort_keys=True, separators=(",", ":")),
        }
        extra = _user_files(Path(code)) if code is not None else []
        self._handler = HandlerFunction(
            self,
            "Grader",
            handler=HANDLER,
            entry="index.lambda_handler",
            description="Reward function (grader) of a Bedrock reinforcement fine-tuning job",
            environment=self.environment,
            timeout=timeout,
            memory_size=memory_size,
            code=handler_code(HANDLER, extra) if extra else None,
        )
        self.function = self._handler.function
        if judge_model_id is not None:
            self._allow_judge(judge_model_id)
        self.dry_run_report: GradeReport | None = None
        if dry_run_dataset is not None:
            if template is RewardTemplate.MODEL_AS_JUDGE:
                raise ValueError("dry_run_dataset: the MODEL_AS_JUDGE template calls Bedrock and cannot run at synth")
            self.dry_run_report = self._dry_run(Path(dry_run_dataset), code, dry_run_samples)

    def _allow_judge(self, judge_model_id: str) -> None:
        """``bedrock:InvokeModel`` (which Converse needs) on the judge only: its foundation model, or a cross-Region
        profile and its foundation model in every Region the profile routes to."""
        arns = invoke_arns(Stack.of(self), judge_model_id)
        self._handler.role.add_to_principal_policy(iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=arns))
        policy = self._handler.role.node.try_find_child("DefaultPolicy")
        assert policy is not None
        for arn in arns:
            if ":*::foundation-model/" in arn:
                nag.acknowledge(
                    policy,
                    nag.iam5_resource_finding(self, arn),
                    "The judge is a cross-Region inference profile: Bedrock serves it from its foundation model in "
                    "any Region of the profile's geography; the Region is the only wildcard, the model is named.",
                )

    def _dry_run(self, dataset: Path, code: str | Path | None, samples: int) -> GradeReport:
        try:
            report = grade_dataset(dataset, load_reward_function(code), environment=self.environment, limit=samples)
        except OSError as exc:
            raise ValueError(f"dry_run_dataset {dataset}: cannot read it: {exc.strerror or exc}") from None
        if not report.ok:
            failures = "; ".join(f"line {f.line}: {f.message}" for f in report.failures[:5]) or "no records"
            raise ValueError(f"dry_run_dataset {dataset}: the reward function failed the dry run: {failures}")
        return report

    @property
    def function_arn(self) -> str:
        """The function's (unqualified) ARN, as ``lambdaGrader.lambdaArn`` takes it."""
        return self.function.function_arn

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the customization service role) invoke the grader: an identity policy statement on the
        grantee for ``lambda:InvokeFunction`` on this function's unqualified ARN only (no ``:*`` versions, no
        resource policy on the function)."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["lambda:InvokeFunction"], resource_arns=[self.function_arn]
        )


def _user_files(path: Path) -> list[StagedFile]:
    """The user's reward code as files of the asset: a file as ``user_reward.py``, a folder as ``user_reward/``."""
    if path.is_file() and path.suffix == ".py":
        return [StagedFile(f"{USER_MODULE}.py", path)]
    if path.is_dir() and (path / "__init__.py").is_file():
        return [
            StagedFile(f"{USER_MODULE}/{p.relative_to(path).as_posix()}", p)
            for p in sorted(path.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts
        ]
    raise ValueError(f"code must be a .py file or a folder with __init__.py, got {str(path)!r}")

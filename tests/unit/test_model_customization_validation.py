"""Synth-time validation of customization jobs against the model registry."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack

from bedrock_ops.customization.workflow import (
    CustomizationHyperparameters,
    ModelCustomizationWorkflow,
)
from bedrock_ops.data.training_bucket import TrainingDataBucket
from bedrock_ops.models import (
    CustomizationType,
    DatasetFormat,
    UnknownModelError,
    UnsupportedCustomizationError,
)
from tests.support import new_stack

_ids = itertools.count()


@pytest.fixture(scope="module")
def scope() -> tuple[Stack, TrainingDataBucket]:
    stack = new_stack("Validation")
    return stack, TrainingDataBucket(stack, "Data")


def _workflow(scope: tuple[Stack, TrainingDataBucket], **overrides: Any) -> ModelCustomizationWorkflow:
    stack, data = scope
    props: dict[str, Any] = {
        "base_model_id": "amazon.titan-text-express-v1",
        "customization_type": CustomizationType.FINE_TUNING,
        "data_bucket": data,
        "training_data_key": "training/train.jsonl",
        "custom_model_name": "model",
        "start_on_deploy": False,
    }
    props.update(overrides)
    return ModelCustomizationWorkflow(stack, f"Job{next(_ids)}", **props)


def test_epoch_count_out_of_range_fails_with_the_allowed_range(scope: Any) -> None:
    with pytest.raises(ValueError, match=r"epochCount for amazon.titan-text-express-v1 must be 1-10, got 11"):
        _workflow(scope, hyperparameters=CustomizationHyperparameters(epoch_count=11))


def test_batch_size_below_the_claude_minimum_fails(scope: Any) -> None:
    with pytest.raises(ValueError, match=r"batchSize for anthropic.claude-3-haiku-20240307-v1:0 must be 4-256, got 2"):
        _workflow(
            scope,
            base_model_id="anthropic.claude-3-haiku-20240307-v1:0:200k",
            training_data_format=DatasetFormat.CLAUDE_CONVERSATION,
            hyperparameters=CustomizationHyperparameters(batch_size=2),
        )


def test_learning_rate_out_of_range_fails(scope: Any) -> None:
    with pytest.raises(ValueError, match=r"learningRate for amazon.nova-micro-v1:0 must be 1e-06-0.0001"):
        _workflow(
            scope,
            base_model_id="amazon.nova-micro-v1:0",
            hyperparameters=CustomizationHyperparameters(learning_rate=0.01),
        )


def test_warmup_steps_out_of_range_fails(scope: Any) -> None:
    with pytest.raises(ValueError, match=r"learningRateWarmupSteps for amazon.titan-text-premier-v1:0 must be 0-20"):
        _workflow(
            scope,
            base_model_id="amazon.titan-text-premier-v1:0",
            hyperparameters=CustomizationHyperparameters(learning_rate_warmup_steps=21),
        )


def test_fractional_epoch_count_fails(scope: Any) -> None:
    with pytest.raises(ValueError, match=r"epochCount .* must be an integer"):
        _workflow(scope, hyperparameters=CustomizationHyperparameters(extra={"epochCount": 1.5}))


def test_hyperparameter_the_model_does_not_take_fails_listing_the_allowed(scope: Any) -> None:
    expected = (
        "hyperparameter learningRateMultiplier is not taken by amazon.titan-text-express-v1; "
        "allowed: batchSize, epochCount, learningRate, learningRateWarmupSteps"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        _workflow(scope, hyperparameters=CustomizationHyperparameters(learning_rate_multiplier=1.0))


def test_claude_haiku_takes_its_own_hyperparameters(scope: Any) -> None:
    workflow = _workflow(
        scope,
        base_model_id="anthropic.claude-3-haiku-20240307-v1:0",
        training_data_format=DatasetFormat.CLAUDE_CONVERSATION,
        hyperparameters=CustomizationHyperparameters(
            learning_rate_multiplier=0.5, early_stopping_threshold=0.01, early_stopping_patience=3
        ),
    )

    assert workflow.hyperparameters == {
        "learningRateMultiplier": "0.5",
        "earlyStoppingThreshold": "0.01",
        "earlyStoppingPatience": "3",
    }


def test_unsupported_customization_type_fails_listing_the_supported(scope: Any) -> None:
    with pytest.raises(
        UnsupportedCustomizationError,
        match="does not support DISTILLATION; it supports: CONTINUED_PRE_TRAINING, FINE_TUNING",
    ):
        _workflow(
            scope,
            customization_type=CustomizationType.DISTILLATION,
            teacher_model_id="amazon.nova-pro-v1:0",
        )


def test_continued_pre_training_with_a_conversational_dataset_fails(scope: Any) -> None:
    with pytest.raises(
        ValueError,
        match=r"format claude-conversation does not match customization_type "
        r"CONTINUED_PRE_TRAINING .*allowed formats: continued-pre-training",
    ):
        _workflow(
            scope,
            customization_type=CustomizationType.CONTINUED_PRE_TRAINING,
            training_data_format=DatasetFormat.CLAUDE_CONVERSATION,
        )


def test_dataset_format_is_detected_from_the_local_file(scope: Any, tmp_path: Path) -> None:
    sample = tmp_path / "train.jsonl"
    sample.write_text('\n{"messages": [{"role": "user", "content": "hi"}]}\n', encoding="utf-8")

    with pytest.raises(ValueError, match="format claude-conversation does not match"):
        _workflow(scope, training_data_file=sample)


def test_local_file_of_no_known_format_fails(scope: Any, tmp_path: Path) -> None:
    sample = tmp_path / "train.jsonl"
    sample.write_text('{"text": "hi"}\n', encoding="utf-8")

    with pytest.raises(ValueError, match="holds no record of a known dataset format"):
        _workflow(scope, training_data_file=sample)


def test_unknown_base_model_suggests_a_close_one(scope: Any) -> None:
    with pytest.raises(UnknownModelError, match=r"did you mean 'amazon\.titan-text-express-v1'"):
        _workflow(scope, base_model_id="amazon.titan-text-expres-v1")


def test_distillation_requires_a_teacher_model(scope: Any) -> None:
    with pytest.raises(ValueError, match="teacher_model_id is required for customization_type DISTILLATION"):
        _workflow(scope, base_model_id="amazon.nova-micro-v1:0", customization_type=CustomizationType.DISTILLATION)


def test_teacher_model_on_fine_tuning_fails(scope: Any) -> None:
    with pytest.raises(ValueError, match="apply to customization_type DISTILLATION only"):
        _workflow(scope, teacher_model_id="amazon.nova-pro-v1:0")


def test_max_response_length_out_of_range_fails(scope: Any) -> None:
    with pytest.raises(ValueError, match="max_response_length must be 1-32768, got 0"):
        _workflow(
            scope,
            base_model_id="amazon.nova-micro-v1:0",
            customization_type=CustomizationType.DISTILLATION,
            teacher_model_id="amazon.nova-pro-v1:0",
            max_response_length=0,
        )


def test_custom_model_name_with_bad_characters_fails(scope: Any) -> None:
    with pytest.raises(ValueError, match=r"custom_model_name must be 1-50 .* got 'my model'"):
        _workflow(scope, custom_model_name="my model")


def test_too_many_validation_files_fail(scope: Any) -> None:
    with pytest.raises(ValueError, match="validation_data_keys must hold 0-10 keys, got 11"):
        _workflow(scope, validation_data_keys=[f"v{i}.jsonl" for i in range(11)])


def test_hyperparameters_convert_from_api_names() -> None:
    typed = CustomizationHyperparameters.from_api({"epochCount": 2, "evalPercentage": 20})

    assert typed == CustomizationHyperparameters(epoch_count=2, extra={"evalPercentage": 20})
    assert typed.to_api() == {"epochCount": 2, "evalPercentage": 20}

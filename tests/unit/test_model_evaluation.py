"""ModelEvaluation: the CreateEvaluationJob request it renders, its roles and its notification path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from bedrock_ops import TrainingDataBucket
from bedrock_ops.evaluation.model_evaluation import (
    BuiltinDataset,
    EvaluationDataset,
    EvaluationKind,
    EvaluationTaskType,
    HumanMetric,
    HumanRatingMethod,
    JudgeMetric,
    ModelEvaluation,
    PrecomputedResponses,
)
from tests.support import nag_findings, new_stack

FLOW = "arn:aws:sagemaker:us-east-1:123456789012:flow-definition/eval-team"
JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:evaluation-job/abcdefghijkl"
PT_ARN = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl"


def _request(template: Template, job_name_prefix: str) -> dict[str, Any]:
    jobs = template.find_resources("Custom::BedrockEvaluationJob", {"Properties": {"JobNamePrefix": job_name_prefix}})
    (job,) = jobs.values()
    request: dict[str, Any] = job["Properties"]["Request"]
    return request


@pytest.fixture(scope="module")
def built() -> tuple[Stack, Template, dict[str, ModelEvaluation]]:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    evaluations = {
        "automatic": ModelEvaluation(
            stack,
            "Automatic",
            data_bucket=data,
            job_name="summaries",
            models=["amazon.titan-text-express-v1"],
            datasets=[
                EvaluationDataset(builtin=BuiltinDataset.GIGAWORD, task_type=EvaluationTaskType.SUMMARIZATION),
                EvaluationDataset(
                    key="qa/prompts.jsonl",
                    task_type=EvaluationTaskType.QUESTION_AND_ANSWER,
                    metric_names=["Builtin.Accuracy"],
                ),
            ],
            inference_params={"inferenceConfig": {"maxTokens": 512, "temperature": 0}},
        ),
        "judge": ModelEvaluation(
            stack,
            "Judge",
            data_bucket=data,
            job_name="judged",
            models=[PT_ARN],
            evaluator_model="us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            judge_metrics=[
                JudgeMetric(
                    "PolicyCompliance",
                    "Does {{prediction}} follow the IT policy for {{prompt}}?",
                    rating_scale=[("Follows the policy", 1.0), ("Breaks it", 0.0)],
                )
            ],
            datasets=[
                EvaluationDataset(key="judge/prompts.jsonl", metric_names=["Builtin.Correctness", "PolicyCompliance"])
            ],
        ),
        "human": ModelEvaluation(
            stack,
            "Human",
            data_bucket=data,
            job_name="reviewed",
            models=["amazon.nova-lite-v1:0", PrecomputedResponses("support-bot-v2")],
            flow_definition_arn=FLOW,
            human_metrics=[HumanMetric("Helpful", HumanRatingMethod.COMPARISON_CHOICE, "Which answer helps more")],
            human_instructions="Pick the answer a support agent would send.",
            datasets=[EvaluationDataset(key="human/prompts.jsonl", task_type=EvaluationTaskType.GENERATION)],
        ),
    }
    return stack, Template.from_stack(stack), evaluations


def test_automatic_job_request_has_the_api_shape(built: Any) -> None:
    _, template, _ = built
    request = _request(template, "summaries")
    automated = request["evaluationConfig"]["automated"]
    assert automated["datasetMetricConfigs"][0] == {
        "taskType": "Summarization",
        "dataset": {"name": "Builtin.Gigaword"},
        "metricNames": ["Builtin.Accuracy", "Builtin.Robustness", "Builtin.Toxicity"],
    }
    custom = automated["datasetMetricConfigs"][1]
    assert custom["taskType"] == "QuestionAndAnswer"
    assert custom["dataset"]["name"] == "prompts.jsonl"
    assert "evaluation/qa/prompts.jsonl" in str(custom["dataset"]["datasetLocation"]["s3Uri"])
    assert request["inferenceConfig"] == {
        "models": [
            {
                "bedrockModel": {
                    "modelIdentifier": "amazon.titan-text-express-v1",
                    "inferenceParams": '{"inferenceConfig":{"maxTokens":512,"temperature":0}}',
                }
            }
        ]
    }
    assert request["applicationType"] == "ModelEvaluation"
    assert "evaluation/results/summaries/" in str(request["outputDataConfig"]["s3Uri"])


def test_judge_job_names_its_evaluator_and_defaults_to_the_generation_task(built: Any) -> None:
    _, template, evaluations = built
    automated = _request(template, "judged")["evaluationConfig"]["automated"]
    assert automated["evaluatorModelConfig"] == {
        "bedrockEvaluatorModels": [{"modelIdentifier": "us.anthropic.claude-3-5-sonnet-20240620-v1:0"}]
    }
    assert automated["datasetMetricConfigs"][0]["taskType"] == "Generation"
    assert evaluations["judge"].kind is EvaluationKind.LLM_AS_A_JUDGE


def test_human_job_routes_to_the_flow_definition_with_its_metrics(built: Any) -> None:
    _, template, _ = built
    request = _request(template, "reviewed")
    human = request["evaluationConfig"]["human"]
    assert human["humanWorkflowConfig"] == {
        "flowDefinitionArn": FLOW,
        "instructions": "Pick the answer a support agent would send.",
    }
    assert human["customMetrics"] == [
        {"name": "Helpful", "ratingMethod": "ComparisonChoice", "description": "Which answer helps more"}
    ]
    assert human["datasetMetricConfigs"][0]["metricNames"] == ["Helpful"]
    assert len(request["inferenceConfig"]["models"]) == 2


def test_every_request_passes_the_botocore_model_validation(built: Any) -> None:
    """The rendered request (tokens replaced by sample values) is valid for the installed botocore model."""
    import json

    import boto3
    from botocore.stub import Stubber

    _, template, _ = built
    client = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    for job in template.find_resources("Custom::BedrockEvaluationJob").values():
        request = json.loads(_substitute_tokens(job["Properties"]["Request"]))
        request["jobName"] = f"{job['Properties']['JobNamePrefix']}-1234abcd"
        with Stubber(client) as stubber:
            stubber.add_response("create_evaluation_job", {"jobArn": JOB_ARN}, request)
            client.create_evaluation_job(**request)


def _substitute_tokens(value: Any) -> str:
    """Render CloudFormation intrinsics as plausible literal values."""
    import json

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            if "Fn::GetAtt" in v:
                _, attribute = v["Fn::GetAtt"]
                return "arn:aws:iam::123456789012:role/EvalRole" if attribute == "Arn" else "bucket-name"
            if "Ref" in v:
                return "data-bucket"
            if "Fn::Join" in v:
                sep, parts = v["Fn::Join"]
                return sep.join(str(walk(p)) for p in parts)
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return json.dumps(walk(value))


def test_service_role_trusts_only_this_accounts_evaluation_jobs(built: Any) -> None:
    _, template, _ = built
    roles = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"Description": "Amazon Bedrock evaluation jobs summaries-*"}}
    )
    ((_, role),) = roles.items()
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert json.dumps(statement["Condition"]["ArnEquals"]["aws:SourceArn"]).endswith(
        ':bedrock:us-east-1:123456789012:evaluation-job/*"'
    )


def test_service_role_may_invoke_exactly_the_evaluated_model(built: Any) -> None:
    _, template, _ = built
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    invoke = [s for s in statements if s.get("Action") == "bedrock:InvokeModel"]
    resources = [json_str(s["Resource"]) for s in invoke]
    assert any("foundation-model/amazon.titan-text-express-v1" in r for r in resources)
    assert any(PT_ARN in r for r in resources)


def json_str(value: Any) -> str:
    import json

    return json.dumps(value)


def test_stack_passes_cdk_nag(built: Any) -> None:
    stack, _, _ = built
    assert nag_findings(stack) == []


def test_outcome_poller_is_scheduled_with_the_job_in_its_input(built: Any) -> None:
    _, template, _ = built
    rules = template.find_resources("AWS::Events::Rule")
    assert len(rules) == 3
    rule = next(r for r in rules.values() if "summaries" in r["Properties"]["Description"])
    assert rule["Properties"]["ScheduleExpression"] == "rate(15 minutes)"
    target_input = json.loads(_substitute_tokens_str(rule["Properties"]["Targets"][0]["Input"]))
    assert set(target_input) == {"jobArn", "topicArn", "ruleName"}
    assert target_input["ruleName"] == rule["Properties"]["Name"]


def _substitute_tokens_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    rendered = json.loads(_substitute_tokens(value))
    assert isinstance(rendered, str)
    return rendered


def test_one_poller_function_and_one_provider_serve_every_evaluation(built: Any) -> None:
    _, template, _ = built
    handlers = [f["Properties"]["Handler"] for f in template.find_resources("AWS::Lambda::Function").values()]
    assert handlers.count("index.poll") == 1
    assert handlers.count("index.on_event") == 1


def test_poller_may_disable_only_the_rules_of_its_jobs(built: Any) -> None:
    _, template, _ = built
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    disable = [s for s in statements if s.get("Action") == "events:DisableRule"]
    resources = [r for s in disable for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    assert len(resources) == 3
    assert all(":rule/" in json.dumps(r) for r in resources)


def test_handler_may_pass_only_the_evaluation_roles_to_bedrock(built: Any) -> None:
    _, template, _ = built
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    passes = [s for s in statements if s.get("Action") == "iam:PassRole"]
    assert passes
    assert all(s["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}} for s in passes)
    # CreateEvaluationJob is authorized on the models the request names (Service Authorization Reference:
    # foundation-model, custom-model, prompt-router, default-prompt-router), never on evaluation-job/*.
    creates = [s for s in statements if "bedrock:CreateEvaluationJob" in json.dumps(s.get("Action"))]
    assert creates
    assert all("evaluation-job/" not in json.dumps(s["Resource"]) for s in creates)
    assert all(":foundation-model/" in json.dumps(s["Resource"]) for s in creates)


def test_default_topic_is_encrypted_and_ssl_only(built: Any) -> None:
    _, template, _ = built
    for topic in template.find_resources("AWS::SNS::Topic").values():
        assert "KmsMasterKeyId" in topic["Properties"]
    assert len(template.find_resources("AWS::SNS::TopicPolicy")) == 3


def test_custom_resource_fails_within_minutes_if_the_handler_crashes(built: Any) -> None:
    _, template, _ = built
    for job in template.find_resources("Custom::BedrockEvaluationJob").values():
        assert job["Properties"]["ServiceTimeout"] == 300


def test_human_role_may_run_human_loops_of_its_flow_definition(built: Any) -> None:
    _, template, _ = built
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    start = next(s for s in statements if s.get("Sid") == "StartHumanLoopsOfTheFlowDefinition")
    assert start["Resource"] == FLOW


def _make(**overrides: Any) -> ModelEvaluation:
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    props: dict[str, Any] = {
        "data_bucket": data,
        "models": ["amazon.titan-text-express-v1"],
        "datasets": [EvaluationDataset(builtin=BuiltinDataset.BOOLQ)],
        **overrides,
    }
    return ModelEvaluation(stack, "Eval", **props)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"models": ["arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1/abc"]},
            "custom model ARN, which CreateEvaluationJob does not accept; evaluate the custom model through "
            "its provisioned throughput ARN",
        ),
        ({"models": ["a.b", "c.d"]}, "models must have 1 entry for automatic evaluation, got 2"),
        (
            {"models": ["amazon.titan-text-expres-v1"]},
            "models 'amazon.titan-text-expres-v1' is not a known Bedrock foundation model; "
            "did you mean 'amazon.titan-text-express-v1'",
        ),
        (
            {"evaluator_model": "us.amazon.nova-pro-v2:0", "datasets": [EvaluationDataset(key="p.jsonl")]},
            "evaluator_model 'us.amazon.nova-pro-v2:0' is not a known Bedrock foundation model",
        ),
        ({"datasets": []}, "datasets must have 1-5 entries, got 0"),
        (
            {"evaluator_model": "amazon.nova-pro-v1:0"},
            "built-in dataset Builtin.BoolQ is only for automatic evaluation",
        ),
        (
            {"datasets": [EvaluationDataset(builtin=BuiltinDataset.BOOLQ, metric_names=["Builtin.Correctness"])]},
            "metric 'Builtin.Correctness' is not a metric of automatic jobs; allowed: Builtin.Accuracy",
        ),
        (
            {"datasets": [EvaluationDataset(builtin=BuiltinDataset.BOOLQ, task_type=EvaluationTaskType.GENERAL)]},
            "dataset Builtin.BoolQ: built-in dataset Builtin.BoolQ is a QuestionAndAnswer dataset, not Generation; "
            "Generation datasets: Builtin.T-Rex, Builtin.Bold, Builtin.Wikitext2, Builtin.RealToxicityPrompts",
        ),
        (
            {"flow_definition_arn": FLOW, "evaluator_model": "amazon.nova-pro-v1:0"},
            "give either flow_definition_arn (human evaluation) or evaluator_model",
        ),
        ({"job_name": "Nightly_Eval"}, "job_name must be 1-54 lowercase letters, digits and single hyphens"),
        ({"datasets": [EvaluationDataset(key="a b.jsonl")]}, "dataset key must be an object key"),
        ({"datasets": [EvaluationDataset()]}, "a dataset needs exactly one of builtin, key or s3_uri, got 0"),
        (
            {
                "flow_definition_arn": FLOW,
                "human_metrics": [HumanMetric("Helpful", HumanRatingMethod.THUMBS_UP_DOWN)],
                "datasets": [EvaluationDataset(key="p.jsonl", metric_names=["Accuracy"])],
            },
            "metric 'Accuracy' is not one of the human_metrics (Helpful)",
        ),
        (
            {
                "flow_definition_arn": "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x",
                "human_metrics": [HumanMetric("Helpful", HumanRatingMethod.THUMBS_UP_DOWN)],
                "datasets": [EvaluationDataset(key="p.jsonl")],
            },
            "flow_definition_arn must be a SageMaker flow definition ARN",
        ),
        ({"inference_params": {"x": "y" * 1100}}, "inference_params must be 1-1023 characters as JSON"),
    ],
)
def test_invalid_props_are_rejected_naming_the_prop_and_value(overrides: dict[str, Any], message: str) -> None:
    import re

    with pytest.raises(ValueError, match=re.escape(message)):
        _make(**overrides)


def test_job_name_defaults_to_a_valid_name_from_the_construct_path() -> None:
    import re

    evaluation = _make()
    assert re.fullmatch(r"[a-z0-9](-*[a-z0-9]){0,53}", evaluation.job_name_prefix)


def test_service_role_may_manage_multipart_uploads_of_its_results(built: Any) -> None:
    _, template, _ = built
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    abort = [s for s in statements if s.get("Sid") == "EvaluationOutputAbortUploads"]
    assert abort and all("/evaluation/results/*" in json.dumps(s["Resource"]) for s in abort)


def test_human_evaluation_lets_the_annotation_portal_read_the_bucket(built: Any) -> None:
    _, template, _ = built
    buckets = [b for b in template.find_resources("AWS::S3::Bucket").values() if "CorsConfiguration" in b["Properties"]]
    (bucket,) = buckets
    assert bucket["Properties"]["CorsConfiguration"]["CorsRules"] == [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["https://mturk-console-template-preview-hooks.s3.amazonaws.com"]}
    ]


def test_judge_metrics_of_your_own_are_rendered_with_their_rating_scale(built: Any) -> None:
    _, template, _ = built
    automated = _request(template, "judged")["evaluationConfig"]["automated"]
    assert automated["customMetricConfig"] == {
        "customMetrics": [
            {
                "customMetricDefinition": {
                    "name": "PolicyCompliance",
                    "instructions": "Does {{prediction}} follow the IT policy for {{prompt}}?",
                    "ratingScale": [
                        {"definition": "Follows the policy", "value": {"floatValue": 1}},
                        {"definition": "Breaks it", "value": {"floatValue": 0}},
                    ],
                }
            }
        ],
        "evaluatorModelConfig": {
            "bedrockEvaluatorModels": [{"modelIdentifier": "us.anthropic.claude-3-5-sonnet-20240620-v1:0"}]
        },
    }
    assert automated["datasetMetricConfigs"][0]["metricNames"] == ["Builtin.Correctness", "PolicyCompliance"]


def test_judge_metrics_need_an_evaluator() -> None:
    with pytest.raises(ValueError, match="judge_metrics need evaluator_model"):
        _make(judge_metrics=[JudgeMetric("Tone", "Rate {{prediction}}")])


def test_judge_metric_may_not_shadow_a_builtin_metric() -> None:
    with pytest.raises(ValueError, match=r"'Builtin\.Helpfulness' has the name of a built-in metric"):
        _make(
            evaluator_model="amazon.nova-pro-v1:0",
            datasets=[EvaluationDataset(key="p.jsonl")],
            judge_metrics=[JudgeMetric("Builtin.Helpfulness", "Rate {{prediction}}")],
        )


def test_precomputed_responses_are_a_source_not_an_invoked_model(built: Any) -> None:
    _, template, _ = built
    models = _request(template, "reviewed")["inferenceConfig"]["models"]
    assert models == [
        {"bedrockModel": {"modelIdentifier": "amazon.nova-lite-v1:0"}},
        {"precomputedInferenceSource": {"inferenceSourceIdentifier": "support-bot-v2"}},
    ]


def test_automatic_jobs_reject_precomputed_responses() -> None:
    with pytest.raises(ValueError, match=r"precomputed responses \('bot'\) are for llm-as-a-judge and human"):
        _make(models=[PrecomputedResponses("bot")])


def test_a_new_job_gets_a_new_poller_rule_because_the_old_one_disabled_itself() -> None:
    first = Template.from_stack(Stack.of(_make(run_id="1")))
    second = Template.from_stack(Stack.of(_make(run_id="2")))
    same = Template.from_stack(Stack.of(_make(run_id="1")))

    def rule_name(template: Template) -> str:
        (rule,) = template.find_resources("AWS::Events::Rule").values()
        name: str = rule["Properties"]["Name"]
        return name

    assert rule_name(first) != rule_name(second)
    assert rule_name(first) == rule_name(same)


def test_create_evaluation_job_on_a_provisioned_throughput_arn_with_tokens_is_granted_on_custom_models() -> None:
    """An account-agnostic stack's ARN carries tokens but still names its resource type: CreateEvaluationJob is
    authorized on the custom model behind a throughput, never on provisioned-model (not one of its resource types)."""
    from aws_cdk import App, ArnFormat, Environment

    stack = Stack(App(), "Agnostic", env=Environment(region="us-east-1"))
    data = TrainingDataBucket(stack, "Data")
    throughput = stack.format_arn(
        service="bedrock",
        resource="provisioned-model",
        resource_name="abcdefghijkl",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )
    ModelEvaluation(
        stack,
        "Eval",
        data_bucket=data,
        models=[throughput],
        evaluator_model="amazon.nova-pro-v1:0",
        datasets=[EvaluationDataset(key="qa/prompts.jsonl", metric_names=["Builtin.Correctness"])],
    )
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    creates = [
        statement["Resource"]
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "bedrock:CreateEvaluationJob"
    ]
    assert creates and "custom-model/*" in json.dumps(creates)
    assert "provisioned-model" not in json.dumps(creates)


def test_batch_invocation_jobs_are_granted_on_foundation_models_only_not_on_a_throughput_arn() -> None:
    """CreateModelInvocationJob applies to foundation models and invocation jobs (Service Authorization
    Reference): a judge job on a provisioned throughput may stream from the throughput, not batch-invoke it."""
    stack = new_stack()
    data = TrainingDataBucket(stack, "Data")
    throughput = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefghijkl"
    ModelEvaluation(
        stack,
        "Eval",
        data_bucket=data,
        models=[throughput],
        evaluator_model="amazon.nova-pro-v1:0",
        datasets=[EvaluationDataset(key="qa/prompts.jsonl", metric_names=["Builtin.Correctness"])],
    )
    statements = [
        statement
        for policy in Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    batch = [s for s in statements if "bedrock:CreateModelInvocationJob" in json.dumps(s["Action"])]
    assert batch
    assert all(throughput not in json.dumps(s["Resource"]) for s in batch)
    (stream,) = [s for s in statements if s.get("Sid") == "StreamAndBatchInvokeTheEvaluatedModels"]
    assert throughput in json.dumps(stream["Resource"])

"""The one handler runtime of cdk-bedrock-ops, staged next to every handler's ``index.py`` at synth.

Standard library and boto3 only. A handler's asset holds the modules it imports (and theirs), so import
from the modules, at module level:

- ``_runtime.clients``: ``Clients``, lazy boto3 clients per service with a test seam (``override``);
- ``_runtime.retry``: ``Retry``, exponential backoff with jitter on throttling and transient errors, and
  ``RetryingClients``, whose ``call``/``find`` retry;
- ``_runtime.logs``: ``log``, one JSON object per log line;
- ``_runtime.errors``: ``error_code`` and ``error_message`` of a botocore ``ClientError``;
- ``_runtime.cfn``: custom resource ``dispatch`` and readers of CloudFormation's string-typed properties.
"""

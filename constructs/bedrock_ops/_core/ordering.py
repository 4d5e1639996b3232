"""Deploy-time order inside one app: what reads a bucket's objects on deploy waits for what uploads them.

A one-stack app (bucket + ``LocalDatasets`` + a workflow started on deploy) has no reference between the
upload (a ``BucketDeployment``) and the workflow's deploy-time trigger, so CloudFormation may create the
trigger first; it then fails with "data object ... does not exist". Each side registers here, in either
order, and every reader of a bucket gets a dependency on every upload into the same bucket in the same app
(across stacks too: that becomes a stack dependency, in the direction the data already flows).
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from aws_cdk import Stack, Token
from aws_cdk import aws_s3 as s3

from constructs import Construct, IConstruct

__all__ = ["reads_on_deploy", "uploads_on_deploy"]

# app (the construct tree's root) -> bucket key -> (uploads, readers)
_REGISTRY: WeakKeyDictionary[IConstruct, dict[str, tuple[list[Construct], list[Construct]]]] = WeakKeyDictionary()


def _entry(bucket: s3.IBucket) -> tuple[list[Construct], list[Construct]]:
    root = Stack.of(bucket).node.root
    buckets = _REGISTRY.setdefault(root, {})
    name = bucket.bucket_name
    # A bucket of this app by its construct; a bucket imported by a literal name by that name, so two imports
    # of the same bucket (or an import in another stack) match.
    key = f"name:{name}" if not Token.is_unresolved(name) else f"path:{bucket.node.path}"
    return buckets.setdefault(key, ([], []))


def uploads_on_deploy(bucket: s3.IBucket, upload: Construct) -> None:
    """Register ``upload`` (e.g. a ``BucketDeployment``) as writing objects into ``bucket`` on deploy."""
    uploads, readers = _entry(bucket)
    uploads.append(upload)
    for reader in readers:
        reader.node.add_dependency(upload)


def reads_on_deploy(bucket: s3.IBucket, reader: Construct) -> None:
    """Register ``reader`` (e.g. a deploy-time trigger) as reading objects of ``bucket`` on deploy: it is
    created after every upload into that bucket registered in this app, before or after this call."""
    uploads, readers = _entry(bucket)
    readers.append(reader)
    for upload in uploads:
        reader.node.add_dependency(upload)

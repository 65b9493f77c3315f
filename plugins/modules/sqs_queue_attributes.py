#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: sqs_queue_attributes
short_description: Set SQS queue attributes that community.aws.sqs_queue does not manage, and read a queue's attributes
version_added: 0.3.0
description:
  - Sets attributes such as C(SqsManagedSseEnabled) (server-side encryption with SQS-managed keys) on an
    existing queue, idempotently. M(community.aws.sqs_queue) manages the queue, its policy, redrive policy,
    retention and visibility timeout, but not SSE-SQS; this module fills that gap only.
  - Returns every attribute of the queue (C(ApproximateNumberOfMessages) and the other counters included), so
    with O(attributes) empty it is a reader - no *_info module reads SQS queues.
  - A queue that does not exist is not an error - RV(exists) is false - except when attributes are to be
    set outside check mode.
options:
  name:
    description: Name of the queue (in the module's region and account).
    type: str
    required: true
  attributes:
    description:
      - Attribute names and wanted values, as SQS names them (C(SqsManagedSseEnabled)). Booleans are sent as
        C(true)/C(false). C(Policy), C(RedrivePolicy) and the other settings of M(community.aws.sqs_queue) are refused.
    type: dict
    default: {}
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Encrypt the dead-letter queue with SQS-managed keys
  bucketguard.visibility.sqs_queue_attributes:
    name: bucketguard-dead-letter
    attributes:
      SqsManagedSseEnabled: true

- name: Read how many messages wait in the dead-letter queue
  bucketguard.visibility.sqs_queue_attributes:
    name: bucketguard-dead-letter
  register: dead_letter
"""

RETURN = r"""
exists:
  description: Whether the queue exists.
  returned: always
  type: bool
  sample: true
queue_url:
  description: The queue's URL; empty when it does not exist.
  returned: always
  type: str
  sample: https://sqs.eu-west-3.amazonaws.com/123456789012/bucketguard-dead-letter
attributes:
  description:
    - Every attribute of the queue as SQS returns them (strings), after the change.
    - Empty when the queue does not exist.
  returned: always
  type: dict
  sample:
    QueueArn: arn:aws:sqs:eu-west-3:123456789012:bucketguard-dead-letter
    SqsManagedSseEnabled: "true"
    ApproximateNumberOfMessages: "0"
messages:
  description: Messages in the queue - visible, in flight and delayed (the three approximate counters added up).
  returned: always
  type: int
  sample: 3
attributes_set:
  description: Names of the attributes that were (or in check mode would be) changed.
  returned: always
  type: list
  elements: str
  sample: ["SqsManagedSseEnabled"]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

MANAGED_ELSEWHERE = {
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
}
COUNTERS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)

# ---------------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------------


def as_attribute(value):
    """SQS attribute values are strings; booleans are lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def attributes_to_change(current, wanted):
    """{name: value} for each wanted attribute whose value differs (booleans compared case-insensitively)."""
    out = {}
    for name, value in sorted(wanted.items()):
        have = str(current.get(name, ""))
        same = have.lower() == value.lower() if value.lower() in ("true", "false") else have == value
        if not same:
            out[name] = value
    return out


def message_count(attributes):
    """Visible + in flight + delayed messages (0 for missing or unreadable counters)."""
    total = 0
    for name in COUNTERS:
        try:
            total += int(attributes.get(name, 0))
        except (TypeError, ValueError):
            continue
    return total


# ---------------------------------------------------------------------------------------------
# API wrappers
# ---------------------------------------------------------------------------------------------


def queue_url(module, client, name):
    try:
        return client.get_queue_url(QueueName=name, aws_retry=True)["QueueUrl"]
    except is_boto3_error_code(["AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"]):
        return ""
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not find the queue {name}")


def read_attributes(module, client, url):
    try:
        return client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"], aws_retry=True)["Attributes"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not read the attributes of {url}")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            attributes=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    name = module.params["name"]
    wanted = {k: as_attribute(v) for k, v in (module.params["attributes"] or {}).items()}
    bad = sorted(MANAGED_ELSEWHERE.intersection(wanted))
    if bad:
        module.fail_json(msg=f"attributes {bad} are managed by community.aws.sqs_queue, not by this module")

    client = module.client("sqs", retry_decorator=AWSRetry.jittered_backoff())
    url = queue_url(module, client, name)
    if not url:
        if wanted and not module.check_mode:
            module.fail_json(msg=f"SQS queue {name} does not exist")
        # Check mode on a queue that community.aws.sqs_queue would create: every attribute would be set.
        module.exit_json(
            changed=bool(wanted),
            exists=False,
            queue_url="",
            attributes={},
            messages=0,
            attributes_set=sorted(wanted),
            diff={"before": {}, "after": dict(sorted(wanted.items()))},
        )

    current = read_attributes(module, client, url)
    changes = attributes_to_change(current, wanted)
    if changes and not module.check_mode:
        try:
            client.set_queue_attributes(QueueUrl=url, Attributes=changes, aws_retry=True)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Could not set {sorted(changes)} on {name}")
        after = read_attributes(module, client, url)
    else:
        after = dict(current, **changes)
    module.exit_json(
        changed=bool(changes),
        exists=True,
        queue_url=url,
        attributes=after,
        messages=message_count(after),
        attributes_set=sorted(changes),
        diff={
            "before": {k: current.get(k, "") for k in sorted(wanted)},
            "after": {k: after.get(k, "") for k in sorted(wanted)},
        },
    )


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: sns_topic_attributes
short_description: Set attributes of an existing SNS topic that community.aws.sns_topic does not manage
version_added: 0.1.0
description:
  - Sets topic attributes such as C(KmsMasterKeyId) (server-side encryption) on an existing topic,
    idempotently. M(community.aws.sns_topic) manages the topic, its policy and subscriptions but
    not encryption; this module fills that gap only.
  - An attribute given as an empty string is cleared (for C(KmsMasterKeyId), that turns encryption off).
options:
  topic_arn:
    description: ARN of the topic.
    type: str
    required: true
  attributes:
    description:
      - Attribute names and wanted values, as SNS names them (C(KmsMasterKeyId), C(SignatureVersion),
        C(TracingConfig)). Topic policy, display name and delivery policy belong to M(community.aws.sns_topic).
    type: dict
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Encrypt the alert topic with the AWS managed key
  bucketguard.visibility.sns_topic_attributes:
    topic_arn: arn:aws:sns:eu-west-3:123456789012:bucketguard-alerts
    attributes:
      KmsMasterKeyId: alias/aws/sns
"""

RETURN = r"""
attributes_set:
  description: Names of the attributes that were (or in check mode would be) changed.
  returned: always
  type: list
  elements: str
  sample: ["KmsMasterKeyId"]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

MANAGED_ELSEWHERE = {"Policy", "DisplayName", "DeliveryPolicy"}


def attributes_to_change(current, wanted):
    """Return {name: value} for each wanted attribute whose value differs from the current one.

    A missing current attribute counts as the empty string, so asking for "" on a topic that
    never had the attribute is no change.
    """
    return {name: value for name, value in sorted(wanted.items()) if (current.get(name) or "") != (value or "")}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            topic_arn=dict(type="str", required=True),
            attributes=dict(type="dict", required=True),
        ),
        supports_check_mode=True,
    )
    topic_arn = module.params["topic_arn"]
    wanted = {k: "" if v is None else str(v) for k, v in module.params["attributes"].items()}
    bad = sorted(MANAGED_ELSEWHERE.intersection(wanted))
    if bad:
        module.fail_json(msg=f"attributes {bad} are managed by community.aws.sns_topic, not by this module")

    client = module.client("sns", retry_decorator=AWSRetry.jittered_backoff())
    try:
        current = client.get_topic_attributes(TopicArn=topic_arn, aws_retry=True)["Attributes"]
    except is_boto3_error_code("NotFound"):
        module.fail_json(msg=f"SNS topic {topic_arn} does not exist")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not read the attributes of {topic_arn}")

    changes = attributes_to_change(current, wanted)
    if changes and not module.check_mode:
        for name, value in changes.items():
            try:
                client.set_topic_attributes(
                    TopicArn=topic_arn, AttributeName=name, AttributeValue=value, aws_retry=True
                )
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg=f"Could not set {name} on {topic_arn}")
    module.exit_json(
        changed=bool(changes),
        attributes_set=sorted(changes),
        diff={
            "before": {k: current.get(k, "") for k in sorted(wanted)},
            "after": {k: wanted[k] for k in sorted(wanted)},
        },
    )


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudwatchlogs_test_metric_filter
short_description: Test a CloudWatch Logs filter pattern against sample log event messages
version_added: 0.1.0
description:
  - Runs CloudWatch Logs C(TestMetricFilter) - the service's own evaluation of a filter pattern - over
    up to 50 log event messages and returns which of them match.
  - Reads nothing from and writes nothing to the account (no log group is involved), so it runs the
    same in check mode and never reports a change.
  - Neither amazon.aws nor community.aws has a module for this API; this module fills that gap only.
options:
  filter_pattern:
    description: The filter pattern to test, as a metric filter or subscription filter takes it.
    type: str
    required: true
  log_event_messages:
    description:
      - The log event messages to test, 1 to 50 (the API's limit). A message that is not a string (a
        dict, for a JSON log event) is sent as compact JSON.
    type: list
    elements: raw
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which of these CloudTrail records does the alarm's pattern count?
  bucketguard.visibility.cloudwatchlogs_test_metric_filter:
    filter_pattern: '{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode NOT EXISTS) }'
    log_event_messages:
      - {eventSource: s3.amazonaws.com, eventName: PutBucketPolicy}
      - {eventSource: s3.amazonaws.com, eventName: PutBucketPolicy, errorCode: AccessDenied}
  register: tested

- name: Only the first one
  ansible.builtin.assert:
    that: tested.matched_event_numbers == [1]
"""

RETURN = r"""
matches:
  description: The matching messages, as C(TestMetricFilter) returns them.
  returned: always
  type: list
  elements: dict
  contains:
    event_number:
      description: 1-based position of the message in O(log_event_messages).
      type: int
      sample: 1
    event_message:
      description: The message.
      type: str
      sample: '{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy"}'
    extracted_values:
      description: Values the pattern extracted (for space-delimited patterns with named fields).
      type: dict
      sample: {}
matched_event_numbers:
  description: The 1-based positions of the matching messages, sorted.
  returned: always
  type: list
  elements: int
  sample: [1, 3]
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

MAX_MESSAGES = 50


def as_messages(values):
    """Strings stay as given; anything else (a dict for a JSON log event) becomes compact JSON."""
    return [value if isinstance(value, str) else json.dumps(value, separators=(",", ":")) for value in values]


def normalise_matches(matches):
    """The API's matches in snake case, sorted by event number, extracted values kept as given."""
    result = []
    for match in sorted(matches or [], key=lambda m: m.get("eventNumber", 0)):
        item = camel_dict_to_snake_dict({k: v for k, v in match.items() if k != "extractedValues"})
        item["extracted_values"] = dict(match.get("extractedValues") or {})
        result.append(item)
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            filter_pattern=dict(type="str", required=True),
            log_event_messages=dict(type="list", elements="raw", required=True),
        ),
        supports_check_mode=True,
    )
    pattern = module.params["filter_pattern"]
    messages = as_messages(module.params["log_event_messages"])
    if not 1 <= len(messages) <= MAX_MESSAGES:
        module.fail_json(msg=f"log_event_messages must hold 1 to {MAX_MESSAGES} messages, got {len(messages)}")
    if any(not message for message in messages):
        module.fail_json(msg="log_event_messages must not hold empty messages")

    client = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
    try:
        response = client.test_metric_filter(filterPattern=pattern, logEventMessages=messages, aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Could not test the filter pattern")

    matches = normalise_matches(response.get("matches"))
    module.exit_json(
        changed=False,
        matches=matches,
        matched_event_numbers=[m["event_number"] for m in matches],
    )


if __name__ == "__main__":
    main()

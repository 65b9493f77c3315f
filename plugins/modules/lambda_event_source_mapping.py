#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: lambda_event_source_mapping
short_description: Manage the event source mapping from an SQS queue to a Lambda function
version_added: 0.3.0
description:
  - Creates, updates or deletes the one event source mapping between an SQS queue and a Lambda function
    (C(CreateEventSourceMapping), C(UpdateEventSourceMapping), C(DeleteEventSourceMapping)) - batch size,
    batching window, partial batch responses (C(ReportBatchItemFailures)) and the maximum concurrency
    (C(ScalingConfig)).
  - M(amazon.aws.lambda_event) sets neither C(ScalingConfig) nor, on an existing mapping, the batching window
    or the response types, and fails in check mode when the function does not exist yet; this module fills
    that gap only.
  - An option left out is not compared (the mapping keeps what it has), except O(maximum_concurrency),
    O(function_response_types) and O(maximum_batching_window_in_seconds) which are set exactly when given.
options:
  function_name:
    description: Name or ARN of the function.
    type: str
    required: true
  event_source_arn:
    description: ARN of the SQS queue the function reads.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the mapping; V(absent) deletes every mapping of this queue to the function.
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description: Whether Lambda polls the queue.
    type: bool
    default: true
  batch_size:
    description:
      - Most messages per invocation (1-10000 for a standard queue).
      - Above 10 needs a batching window of at least 1 s.
    type: int
  maximum_batching_window_in_seconds:
    description: Longest time (0-300 s) Lambda gathers messages before it invokes the function.
    type: int
  function_response_types:
    description: V(ReportBatchItemFailures) lets the function name the messages of a batch that failed.
    type: list
    elements: str
    choices: [ReportBatchItemFailures]
  maximum_concurrency:
    description: Most concurrent invocations this mapping makes (2-1000); C(0) removes the limit.
    type: int
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the buffer queue in batches of up to 100 messages or 30 seconds, two invocations at most
  bucketguard.visibility.lambda_event_source_mapping:
    function_name: bucketguard-notifier
    event_source_arn: arn:aws:sqs:eu-west-3:123456789012:bucketguard-fast-path
    batch_size: 100
    maximum_batching_window_in_seconds: 30
    function_response_types: [ReportBatchItemFailures]
    maximum_concurrency: 2

- name: Remove the mapping
  bucketguard.visibility.lambda_event_source_mapping:
    function_name: bucketguard-notifier
    event_source_arn: arn:aws:sqs:eu-west-3:123456789012:bucketguard-fast-path
    state: absent
"""

RETURN = r"""
uuid:
  description: The mapping's id; empty when there is none (or in check mode, before it is created).
  returned: always
  type: str
  sample: 6b1b6bd0-bd43-4b4e-9c27-2f1d7f1d0a7e
previous_event_source_mapping:
  description: The mapping's settings found before any change (the keys the module manages); empty when there was none.
  returned: always
  type: dict
  sample:
    batch_size: 10
    enabled: true
event_source_mapping:
  description: The settings after the change (in check mode, the ones that would be set); empty when absent.
  returned: always
  type: dict
  sample:
    event_source_arn: arn:aws:sqs:eu-west-3:123456789012:bucketguard-fast-path
    batch_size: 100
    maximum_batching_window_in_seconds: 30
    function_response_types: [ReportBatchItemFailures]
    scaling_config:
      maximum_concurrency: 2
    enabled: true
state:
  description:
    - The mapping's state as Lambda reports it (C(Creating), C(Enabled), C(Disabled), ...).
    - Empty when there is none.
  returned: always
  type: str
  sample: Enabled
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# States in which the mapping polls (or is about to).
_ON = ("Creating", "Enabling", "Enabled", "Updating")

# ---------------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------------


def validation_error(params):
    """A message naming the option that is out of AWS's documented range, or None."""
    size = params.get("batch_size")
    window = params.get("maximum_batching_window_in_seconds")
    concurrency = params.get("maximum_concurrency")
    if size is not None and not 1 <= size <= 10000:
        return f"batch_size must be 1-10000, got {size}"
    if window is not None and not 0 <= window <= 300:
        return f"maximum_batching_window_in_seconds must be 0-300, got {window}"
    if size is not None and size > 10 and not window:
        return f"batch_size {size} (more than 10) needs maximum_batching_window_in_seconds of at least 1"
    if concurrency is not None and concurrency != 0 and not 2 <= concurrency <= 1000:
        return f"maximum_concurrency must be 2-1000 (or 0 for no limit), got {concurrency}"
    return None


def wanted_mapping(params):
    """The API form of the settings the options ask for (options left out are not in it)."""
    wanted = {"EventSourceArn": params["event_source_arn"], "Enabled": bool(params.get("enabled", True))}
    if params.get("batch_size") is not None:
        wanted["BatchSize"] = params["batch_size"]
    if params.get("maximum_batching_window_in_seconds") is not None:
        wanted["MaximumBatchingWindowInSeconds"] = params["maximum_batching_window_in_seconds"]
    if params.get("function_response_types") is not None:
        wanted["FunctionResponseTypes"] = sorted(params["function_response_types"])
    if params.get("maximum_concurrency") is not None:
        concurrency = params["maximum_concurrency"]
        wanted["ScalingConfig"] = {"MaximumConcurrency": concurrency} if concurrency else {}
    return wanted


def normalise_mapping(mapping):
    """An API answer (GetEventSourceMapping / ListEventSourceMappings item) reduced to the managed keys."""
    if not mapping:
        return {}
    scaling = mapping.get("ScalingConfig") or {}
    return {
        "EventSourceArn": mapping.get("EventSourceArn", ""),
        "Enabled": mapping.get("State") in _ON,
        "BatchSize": mapping.get("BatchSize"),
        "MaximumBatchingWindowInSeconds": mapping.get("MaximumBatchingWindowInSeconds") or 0,
        "FunctionResponseTypes": sorted(mapping.get("FunctionResponseTypes") or []),
        "ScalingConfig": {"MaximumConcurrency": scaling["MaximumConcurrency"]}
        if scaling.get("MaximumConcurrency")
        else {},
    }


def mapping_changes(current, wanted):
    """{API key: wanted value} for each wanted setting the (normalised) current mapping does not have."""
    current = normalise_mapping(current)
    return {key: value for key, value in wanted.items() if key != "EventSourceArn" and current.get(key) != value}


def mapping_after(current, wanted):
    """What the mapping will look like once the changes are made (normalised)."""
    base = normalise_mapping(current) or {
        "EventSourceArn": wanted["EventSourceArn"],
        "Enabled": True,
        "BatchSize": 10,
        "MaximumBatchingWindowInSeconds": 0,
        "FunctionResponseTypes": [],
        "ScalingConfig": {},
    }
    return dict(base, **wanted)


# ---------------------------------------------------------------------------------------------
# API wrappers
# ---------------------------------------------------------------------------------------------


@AWSRetry.jittered_backoff()
def _list_mappings(client, function_name, source_arn):
    found, marker = [], None
    while True:
        kwargs = {"FunctionName": function_name, "EventSourceArn": source_arn}
        if marker:
            kwargs["Marker"] = marker
        page = client.list_event_source_mappings(**kwargs)
        found.extend(page.get("EventSourceMappings", []))
        marker = page.get("NextMarker")
        if not marker:
            return found


def list_mappings(module, client, function_name, source_arn):
    """The mappings of this queue to this function (none when the function does not exist yet)."""
    try:
        return _list_mappings(client, function_name, source_arn)
    except is_boto3_error_code("ResourceNotFoundException"):
        return []
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not list the event source mappings of {function_name}")


def ensure_present(module, client, function_name, current, wanted):
    """Create or update; returns (changed, the API answer or None)."""
    changes = mapping_changes(current, wanted) if current else dict(wanted)
    if not changes:
        return False, current
    if module.check_mode:
        return True, current
    try:
        if current:
            answer = client.update_event_source_mapping(UUID=current["UUID"], aws_retry=True, **changes)
        else:
            create = {k: v for k, v in wanted.items() if not (k == "ScalingConfig" and not v)}
            answer = client.create_event_source_mapping(FunctionName=function_name, aws_retry=True, **create)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not set the event source mapping of {function_name}")
    return True, answer


def ensure_absent(module, client, mappings):
    if not mappings:
        return False
    if not module.check_mode:
        for mapping in mappings:
            try:
                client.delete_event_source_mapping(UUID=mapping["UUID"], aws_retry=True)
            except is_boto3_error_code("ResourceNotFoundException"):
                continue
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
                module.fail_json_aws(e, msg=f"Could not delete the event source mapping {mapping['UUID']}")
    return True


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            function_name=dict(type="str", required=True),
            event_source_arn=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            enabled=dict(type="bool", default=True),
            batch_size=dict(type="int"),
            maximum_batching_window_in_seconds=dict(type="int"),
            function_response_types=dict(type="list", elements="str", choices=["ReportBatchItemFailures"]),
            maximum_concurrency=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problem = validation_error(params)
    if problem:
        module.fail_json(msg=problem)

    # A mapping that is being created or updated refuses another update for a few seconds.
    client = module.client(
        "lambda", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=["ResourceInUseException"])
    )
    function_name = params["function_name"]
    mappings = list_mappings(module, client, function_name, params["event_source_arn"])
    current = mappings[0] if mappings else None
    before = normalise_mapping(current)

    if params["state"] == "present":
        wanted = wanted_mapping(params)
        changed, answer = ensure_present(module, client, function_name, current, wanted)
        after = mapping_after(current, wanted)
        uuid = (answer or {}).get("UUID", "")
        state = (answer or {}).get("State", "")
    else:
        changed = ensure_absent(module, client, mappings)
        after, uuid, state = {}, "", ""

    module.exit_json(
        changed=changed,
        uuid=uuid,
        state=state,
        previous_event_source_mapping=camel_dict_to_snake_dict(before),
        event_source_mapping=camel_dict_to_snake_dict(after),
        diff={"before": before, "after": after},
    )


if __name__ == "__main__":
    main()

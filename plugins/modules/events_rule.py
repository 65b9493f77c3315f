#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: events_rule
short_description: Manage one EventBridge rule with an event pattern and its targets, with check mode and diff
version_added: 0.3.0
description:
  - Creates, updates, disables or deletes one Amazon EventBridge rule that matches an event pattern, and
    sets its targets (C(PutRule), C(PutTargets), C(RemoveTargets), C(DeleteRule)).
  - Idempotent. The deployed rule and targets are compared with the requested ones after normalisation
    (the event pattern parsed, so whitespace and key order do not count; targets by C(id)); the module
    writes only what differs.
  - Supports check mode (only C(DescribeRule) and C(ListTargetsByRule) are called) and diff mode (the rule
    and its targets before and after), so C(--check --diff) shows a deleted, disabled or re-pointed rule.
  - M(amazon.aws.cloudwatchevent_rule) does the same writes but supports neither check mode nor diff; this
    module exists for that only. Schedule expressions are not supported.
  - Throttled calls are retried with jittered backoff.
options:
  name:
    description: Name of the rule (1-64 letters, digits, C(.), C(-), C(_)).
    type: str
    required: true
  event_bus_name:
    description:
      - Name of the event bus of the rule. An unknown bus fails with a clear message (C(DescribeEventBus),
        called only for a bus other than V(default)).
    type: str
    default: default
  description:
    description:
      - Description of the rule (at most 512 characters). Not managed when omitted (an existing rule keeps its own).
    type: str
  event_pattern:
    description:
      - The event pattern, as a dict or a JSON string. Required unless O(state=absent).
      - It must be a JSON object whose values are objects or non-empty lists, at most 4096 characters
        (checked before any call); EventBridge's own rejection (C(InvalidEventPatternException)) is
        reported with its message.
    type: json
  state:
    description:
      - V(present) creates or updates the rule, enabled; V(disabled) the same, disabled; V(absent) removes
        its targets and deletes it (no error when it does not exist).
    type: str
    choices: [present, disabled, absent]
    default: present
  targets:
    description: The rule's targets (at most 5).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The target's id, unique within the rule (1-64 letters, digits, C(.), C(-), C(_)).
        type: str
        required: true
      arn:
        description: ARN of the target (a Lambda function, an SQS queue, an SNS topic, an event bus...).
        type: str
        required: true
      role_arn:
        description: ARN of the IAM role EventBridge assumes to deliver (needed for another event bus).
        type: str
      input:
        description: A constant JSON text sent instead of the event.
        type: json
      input_path:
        description: A JSONPath of the part of the event sent (for example V($.detail)).
        type: str
      input_transformer:
        description: Builds the input from the event.
        type: dict
        suboptions:
          input_paths_map:
            description: Names to JSONPaths of the event.
            type: dict
          input_template:
            description: The template filled with those names.
            type: str
            required: true
      dead_letter_config:
        description: Where EventBridge sends the events it finally could not deliver.
        type: dict
        suboptions:
          arn:
            description: ARN of the SQS queue.
            type: str
            required: true
      retry_policy:
        description: How long and how often EventBridge retries a failed delivery.
        type: dict
        suboptions:
          maximum_retry_attempts:
            description: 0-185.
            type: int
          maximum_event_age_in_seconds:
            description: 60-86400.
            type: int
      sqs_parameters:
        description: For a FIFO queue target, its message group id.
        type: dict
        suboptions:
          message_group_id:
            description: The message group id.
            type: str
            required: true
  purge_targets:
    description: Remove the rule's targets whose id is not in O(targets).
    type: bool
    default: true
  tags:
    description:
      - Tags of the rule. Not managed when omitted.
    type: dict
  purge_tags:
    description: With O(tags), remove the tags not listed.
    type: bool
    default: true
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - In the C(bucketguard.visibility.aws) action group, so C(module_defaults) for
    C(group/bucketguard.visibility.aws) apply to it.
  - The rule's own C(RoleArn) (for rules that put events on another bus without a target role) is not managed.
"""

EXAMPLES = r"""
- name: Send successful S3 policy changes to a function
  bucketguard.visibility.events_rule:
    name: bucketguard-s3-exposure
    description: S3 calls that can make a bucket public
    event_pattern:
      source: [aws.s3]
      detail-type: [AWS API Call via CloudTrail]
      detail:
        eventName: [PutBucketPolicy, DeleteBucketPublicAccessBlock]
    targets:
      - id: notifier
        arn: arn:aws:lambda:eu-west-3:123456789012:function:bucketguard-notifier

- name: Forward to another region's default bus through a role
  bucketguard.visibility.events_rule:
    name: bucketguard-s3-exposure
    event_pattern: '{"source": ["aws.s3"]}'
    targets:
      - id: home-event-bus
        arn: arn:aws:events:eu-west-3:123456789012:event-bus/default
        role_arn: arn:aws:iam::123456789012:role/bucketguard-forwarder

- name: What would change (nothing is written)
  bucketguard.visibility.events_rule:
    name: bucketguard-s3-exposure
    event_pattern: '{"source": ["aws.s3"]}'
    targets: []
  check_mode: true
  diff: true

- name: Delete the rule and its targets
  bucketguard.visibility.events_rule:
    name: bucketguard-s3-exposure
    state: absent
"""

RETURN = r"""
rule:
  description:
    - The rule after the run (in check mode, what it would be); empty when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the rule.
      type: str
      sample: bucketguard-s3-exposure
    arn:
      description: ARN of the rule; empty in check mode when it would be created.
      type: str
      sample: arn:aws:events:eu-west-3:123456789012:rule/bucketguard-s3-exposure
    event_bus_name:
      description: Its event bus.
      type: str
      sample: default
    state:
      description: V(ENABLED) or V(DISABLED).
      type: str
      sample: ENABLED
    description:
      description: Its description.
      type: str
      sample: S3 calls that can make a bucket public
    event_pattern:
      description: The event pattern, parsed.
      type: dict
      sample: {"source": ["aws.s3"]}
targets:
  description:
    - The rule's targets after the run (in check mode, what they would be), sorted by id, in the module's option names.
  returned: always
  type: list
  elements: dict
  sample:
    - id: notifier
      arn: arn:aws:lambda:eu-west-3:123456789012:function:bucketguard-notifier
previous_rule:
  description: The rule found before the run; empty when there was none.
  returned: always
  type: dict
  sample: {}
previous_targets:
  description: The targets found before the run.
  returned: always
  type: list
  elements: dict
  sample: []
tags:
  description: The rule's tags after the run (in check mode, what they would be).
  returned: when O(tags) is given
  type: dict
  sample: {"owner": "security"}
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# ---------------------------------------------------------------- pure helpers

MAX_PATTERN = 4096
_TARGET_KEYS = (  # option name -> API name, for the scalar keys of a target
    ("id", "Id"),
    ("arn", "Arn"),
    ("role_arn", "RoleArn"),
    ("input", "Input"),
    ("input_path", "InputPath"),
)


def parse_pattern(pattern):
    """The event pattern as a dict (from a dict or a JSON text); ValueError with a sentence when it is not one."""
    if isinstance(pattern, dict):
        return pattern
    try:
        parsed = json.loads(pattern)
    except (TypeError, ValueError) as e:
        raise ValueError(f"event_pattern is not JSON ({e})") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"event_pattern must be a JSON object, got {type(parsed).__name__}")
    return parsed


def pattern_problems(pattern):
    """Sentences saying why EventBridge would refuse the (parsed) pattern; empty when it looks valid.

    EventBridge wants a non-empty object whose every value is an object (a nested field) or a non-empty
    array of values to match, in at most 4096 characters.
    """
    problems = []
    if not pattern:
        return ["event_pattern must not be empty"]

    def walk(node, path):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if isinstance(value, dict):
                if not value:
                    problems.append(f"event_pattern field {where} is an empty object")
                walk(value, where)
            elif isinstance(value, list):
                if not value:
                    problems.append(f"event_pattern field {where} is an empty list (nothing would match)")
            else:
                problems.append(
                    f"event_pattern field {where} must be a list of values or an object, got {json.dumps(value)}"
                )

    walk(pattern, "")
    size = len(json.dumps(pattern, separators=(",", ":")))
    if size > MAX_PATTERN:
        problems.append(f"event_pattern is {size} characters of JSON, EventBridge allows {MAX_PATTERN}")
    return problems


def _input_text(value):
    """A target's Input as EventBridge stores it: JSON text (a dict or list given by YAML is serialised)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def target_to_api(target):
    """One target in the API's form (options left unset are left out)."""
    api = {}
    for option, key in _TARGET_KEYS:
        value = target.get(option)
        if option == "input":
            value = _input_text(value)
        if value not in (None, ""):
            api[key] = value
    transformer = target.get("input_transformer")
    if transformer:
        api["InputTransformer"] = {"InputTemplate": transformer["input_template"]}
        if transformer.get("input_paths_map"):
            api["InputTransformer"]["InputPathsMap"] = dict(transformer["input_paths_map"])
    if (target.get("dead_letter_config") or {}).get("arn"):
        api["DeadLetterConfig"] = {"Arn": target["dead_letter_config"]["arn"]}
    retry = {
        key: (target.get("retry_policy") or {}).get(option)
        for option, key in (
            ("maximum_retry_attempts", "MaximumRetryAttempts"),
            ("maximum_event_age_in_seconds", "MaximumEventAgeInSeconds"),
        )
        if (target.get("retry_policy") or {}).get(option) is not None
    }
    if retry:
        api["RetryPolicy"] = retry
    if (target.get("sqs_parameters") or {}).get("message_group_id"):
        api["SqsParameters"] = {"MessageGroupId": target["sqs_parameters"]["message_group_id"]}
    return api


def target_from_api(api):
    """One target of ListTargetsByRule in the module's option names, reduced to what the module manages."""
    target = {option: api[key] for option, key in _TARGET_KEYS if api.get(key) not in (None, "")}
    if api.get("InputTransformer"):
        target["input_transformer"] = {"input_template": api["InputTransformer"].get("InputTemplate")}
        if api["InputTransformer"].get("InputPathsMap"):
            target["input_transformer"]["input_paths_map"] = dict(api["InputTransformer"]["InputPathsMap"])
    if (api.get("DeadLetterConfig") or {}).get("Arn"):
        target["dead_letter_config"] = {"arn": api["DeadLetterConfig"]["Arn"]}
    retry = api.get("RetryPolicy") or {}
    if retry:
        target["retry_policy"] = {
            option: retry[key]
            for option, key in (
                ("maximum_retry_attempts", "MaximumRetryAttempts"),
                ("maximum_event_age_in_seconds", "MaximumEventAgeInSeconds"),
            )
            if retry.get(key) is not None
        }
    if (api.get("SqsParameters") or {}).get("MessageGroupId"):
        target["sqs_parameters"] = {"message_group_id": api["SqsParameters"]["MessageGroupId"]}
    return target


def normalise_targets(targets):
    """Targets (option names) with unset options dropped and Input as canonical JSON, sorted by id."""
    out = []
    for target in targets or []:
        clean = target_from_api(target_to_api(target))
        if "input" in clean:
            try:
                clean["input"] = _input_text(json.loads(clean["input"]))
            except ValueError:
                pass  # not JSON: compared as text
        out.append(clean)
    return sorted(out, key=lambda t: t["id"])


def plan_targets(current, wanted, purge):
    """(targets to put, ids to remove, targets after): what makes ``current`` the ``wanted`` list."""
    current = {t["id"]: t for t in normalise_targets(current)}
    wanted = {t["id"]: t for t in normalise_targets(wanted)}
    to_put = [t for tid, t in sorted(wanted.items()) if current.get(tid) != t]
    to_remove = sorted(tid for tid in current if tid not in wanted) if purge else []
    after = dict(current)
    after.update(wanted)
    for tid in to_remove:
        after.pop(tid)
    return to_put, to_remove, [after[tid] for tid in sorted(after)]


def rule_from_api(api, bus):
    """DescribeRule's answer reduced to what the module manages (pattern parsed)."""
    if not api:
        return {}
    pattern = api.get("EventPattern")
    return {
        "name": api.get("Name"),
        "arn": api.get("Arn", ""),
        "event_bus_name": api.get("EventBusName") or bus,
        "state": api.get("State"),
        "description": api.get("Description", ""),
        "event_pattern": json.loads(pattern) if pattern else {},
    }


def wanted_rule(params, current, pattern):
    """The rule as the options ask for it (an omitted description keeps the current one)."""
    description = params.get("description")
    if description is None:
        description = (current or {}).get("description", "")
    return {
        "name": params["name"],
        "arn": (current or {}).get("arn", ""),
        "event_bus_name": params["event_bus_name"],
        "state": "DISABLED" if params["state"] == "disabled" else "ENABLED",
        "description": description,
        "event_pattern": pattern,
    }


# ---------------------------------------------------------------- API wrappers


def _bus_kwargs(bus):
    return {} if bus == "default" else {"EventBusName": bus}


def describe_rule(module, client, name, bus):
    try:
        return client.describe_rule(aws_retry=True, Name=name, **_bus_kwargs(bus))
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not read the EventBridge rule {name} (bus {bus})")


def list_targets(module, client, name, bus):
    targets = []
    kwargs = dict(Rule=name, **_bus_kwargs(bus))
    try:
        while True:
            page = client.list_targets_by_rule(aws_retry=True, **kwargs)
            targets += page.get("Targets", [])
            if not page.get("NextToken"):
                return targets
            kwargs["NextToken"] = page["NextToken"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return []
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not read the targets of the EventBridge rule {name}")


def bus_exists(module, client, bus):
    if bus == "default":
        return True
    try:
        client.describe_event_bus(aws_retry=True, Name=bus)
        return True
    except is_boto3_error_code("ResourceNotFoundException"):
        return False
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not read the event bus {bus}")


def put_rule(module, client, rule):
    kwargs = dict(
        Name=rule["name"],
        EventPattern=json.dumps(rule["event_pattern"], separators=(",", ":")),
        State=rule["state"],
        Description=rule["description"] or "",
        **_bus_kwargs(rule["event_bus_name"]),
    )
    try:
        return client.put_rule(aws_retry=True, **kwargs)["RuleArn"]
    except is_boto3_error_code("InvalidEventPatternException") as e:
        module.fail_json(msg=f"EventBridge refused the event_pattern of rule {rule['name']}: {e}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not create or update the EventBridge rule {rule['name']}")


def put_targets(module, client, name, bus, targets):
    try:
        answer = client.put_targets(
            aws_retry=True, Rule=name, Targets=[target_to_api(t) for t in targets], **_bus_kwargs(bus)
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not set the targets of the EventBridge rule {name}")
    if answer.get("FailedEntryCount"):
        failed = "; ".join(
            f"{f.get('TargetId')}: {f.get('ErrorCode')} {f.get('ErrorMessage')}" for f in answer["FailedEntries"]
        )
        module.fail_json(msg=f"EventBridge refused target(s) of rule {name}: {failed}")


def remove_targets(module, client, name, bus, ids):
    try:
        answer = client.remove_targets(aws_retry=True, Rule=name, Ids=list(ids), **_bus_kwargs(bus))
    except is_boto3_error_code("ResourceNotFoundException"):
        return
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not remove targets {', '.join(ids)} of the EventBridge rule {name}")
    if answer.get("FailedEntryCount"):
        failed = "; ".join(
            f"{f.get('TargetId')}: {f.get('ErrorCode')} {f.get('ErrorMessage')}" for f in answer["FailedEntries"]
        )
        module.fail_json(msg=f"EventBridge did not remove target(s) of rule {name}: {failed}")


def delete_rule(module, client, name, bus):
    try:
        client.delete_rule(aws_retry=True, Name=name, **_bus_kwargs(bus))
    except is_boto3_error_code("ResourceNotFoundException"):
        return
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not delete the EventBridge rule {name}")


def get_tags(module, client, arn):
    try:
        tags = client.list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags", [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not read the tags of {arn}")
    return {t["Key"]: t["Value"] for t in tags}


def ensure_tags(module, client, arn, current, wanted, purge):
    """Returns (changed, tags after)."""
    to_set, to_unset = compare_aws_tags(current, wanted, purge)
    after = {k: v for k, v in current.items() if k not in to_unset}
    after.update(to_set)
    if (to_set or to_unset) and not module.check_mode and arn:
        try:
            if to_unset:
                client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=list(to_unset))
            if to_set:
                client.tag_resource(
                    aws_retry=True, ResourceARN=arn, Tags=[{"Key": k, "Value": v} for k, v in to_set.items()]
                )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Could not tag {arn}")
    return bool(to_set or to_unset), after


# ---------------------------------------------------------------- ensure


def ensure_present(module, client, current_rule, current_targets, pattern):
    params = module.params
    name, bus = params["name"], params["event_bus_name"]
    wanted = wanted_rule(params, current_rule, pattern)
    rule_changed = {k: v for k, v in current_rule.items() if k != "arn"} != {
        k: v for k, v in wanted.items() if k != "arn"
    }
    to_put, to_remove, targets_after = plan_targets(current_targets, params["targets"], params["purge_targets"])
    result = {"rule": wanted}
    if not module.check_mode:
        if rule_changed:
            wanted["arn"] = put_rule(module, client, wanted)
        if to_remove:
            remove_targets(module, client, name, bus, to_remove)
        if to_put:
            put_targets(module, client, name, bus, to_put)
    changed = rule_changed or bool(to_put) or bool(to_remove)
    if params["tags"] is not None:
        current_tags = get_tags(module, client, current_rule["arn"]) if current_rule.get("arn") else {}
        tags_changed, result["tags"] = ensure_tags(
            module, client, wanted["arn"], current_tags, params["tags"], params["purge_tags"]
        )
        changed = changed or tags_changed
    result["targets"] = targets_after
    return changed, result


def ensure_absent(module, client, current_rule, current_targets):
    name, bus = module.params["name"], module.params["event_bus_name"]
    if not current_rule:
        return False, {"rule": {}, "targets": []}
    if not module.check_mode:
        ids = [t["Id"] for t in current_targets]
        if ids:
            remove_targets(module, client, name, bus, ids)
        delete_rule(module, client, name, bus)
    return True, {"rule": {}, "targets": []}


def main():
    target_spec = dict(
        id=dict(type="str", required=True),
        arn=dict(type="str", required=True),
        role_arn=dict(type="str"),
        input=dict(type="json"),
        input_path=dict(type="str"),
        input_transformer=dict(
            type="dict",
            options=dict(input_paths_map=dict(type="dict"), input_template=dict(type="str", required=True)),
        ),
        dead_letter_config=dict(type="dict", options=dict(arn=dict(type="str", required=True))),
        retry_policy=dict(
            type="dict",
            options=dict(maximum_retry_attempts=dict(type="int"), maximum_event_age_in_seconds=dict(type="int")),
        ),
        sqs_parameters=dict(type="dict", options=dict(message_group_id=dict(type="str", required=True))),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            event_bus_name=dict(type="str", default="default"),
            description=dict(type="str"),
            event_pattern=dict(type="json"),
            state=dict(type="str", choices=["present", "disabled", "absent"], default="present"),
            targets=dict(type="list", elements="dict", default=[], options=target_spec),
            purge_targets=dict(type="bool", default=True),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["event_pattern"]), ("state", "disabled", ["event_pattern"])],
        supports_check_mode=True,
    )
    params = module.params
    name, bus, state = params["name"], params["event_bus_name"], params["state"]

    # Bad input fails before any call.
    pattern = None
    if state != "absent":
        try:
            pattern = parse_pattern(params["event_pattern"])
        except ValueError as e:
            module.fail_json(msg=f"rule {name}: {e}")
        problems = pattern_problems(pattern)
        ids = [t["id"] for t in params["targets"]]
        if len(set(ids)) != len(ids):
            problems.append(f"target ids must be unique, got {ids}")
        if len(ids) > 5:
            problems.append(f"a rule has at most 5 targets, got {len(ids)}")
        if params["description"] is not None and len(params["description"]) > 512:
            problems.append("description must be at most 512 characters")
        if problems:
            module.fail_json(msg=f"rule {name}: " + "; ".join(problems))

    client = module.client("events", retry_decorator=AWSRetry.jittered_backoff())
    if not bus_exists(module, client, bus):
        if state == "absent":
            module.exit_json(
                changed=False,
                rule={},
                targets=[],
                previous_rule={},
                previous_targets=[],
                diff={"before": {}, "after": {}},
            )
        module.fail_json(msg=f"rule {name}: the event bus {bus} does not exist in this region (event_bus_name)")

    current_rule = rule_from_api(describe_rule(module, client, name, bus), bus)
    current_targets = list_targets(module, client, name, bus) if current_rule else []
    before_targets = normalise_targets([target_from_api(t) for t in current_targets])

    if state == "absent":
        changed, result = ensure_absent(module, client, current_rule, current_targets)
    else:
        changed, result = ensure_present(
            module, client, current_rule, [target_from_api(t) for t in current_targets], pattern
        )

    before = {"rule": current_rule, "targets": before_targets} if current_rule else {}
    after = {"rule": result["rule"], "targets": result["targets"]} if result["rule"] else {}
    module.exit_json(
        changed=changed,
        previous_rule=current_rule,
        previous_targets=before_targets,
        diff={"before": before, "after": after, "before_header": f"rule {name}", "after_header": f"rule {name}"},
        **result,
    )


if __name__ == "__main__":
    main()

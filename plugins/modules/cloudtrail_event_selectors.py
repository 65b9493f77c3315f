#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudtrail_event_selectors
short_description: Set the event selectors (basic or advanced) of an existing CloudTrail trail
version_added: 0.1.0
description:
  - Sets which events an existing CloudTrail trail records (C(PutEventSelectors)), with either advanced
    event selectors (O(advanced_event_selectors)) or basic event selectors (O(event_selectors)).
    M(amazon.aws.cloudtrail) creates and updates the trail but has no option for event selectors; this
    module fills that gap only.
  - The whole set is replaced. A trail has either basic or advanced selectors, never both; setting
    advanced selectors removes the basic ones, and the other way round.
  - Idempotent. The trail's selectors (C(GetEventSelectors)) and the requested ones are compared after
    normalisation, so the order of the selectors, of their field selectors (or data resources) and of
    the values does not count, and empty lists count as absent. Selector names do count. The module
    reports C(changed) and writes only when they really differ.
  - Supports check mode (no write call is made) and diff mode (the normalised selectors before and after).
  - Throttled calls are retried with jittered backoff.
  - Fails when the trail does not exist, also in check mode.
options:
  trail_name:
    description:
      - Name or ARN of the trail. Use the ARN for a trail whose home region is not the module's region.
    type: str
    required: true
  advanced_event_selectors:
    description:
      - The advanced event selectors, as C(PutEventSelectors) takes them (see
        U(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedEventSelector.html)).
      - An event is recorded when it matches every field selector of at least one selector.
      - Mutually exclusive with O(event_selectors); one of the two is required.
    type: list
    elements: dict
    suboptions:
      Name:
        description: A descriptive name of the selector (compared, so renaming a selector is a change).
        type: str
      FieldSelectors:
        description:
          - The conditions, all of which an event must match. Each names a C(Field) (for example
            C(eventCategory), C(readOnly), C(eventName), C(resources.type), C(resources.ARN), C(eventSource))
            and one or more operators with a list of values.
          - C(readOnly) takes the strings V(true) or V(false); quote them in YAML (C("false")), an unquoted
            boolean is refused.
        type: list
        elements: dict
        required: true
        suboptions:
          Field:
            description: The event record field the condition applies to.
            type: str
            required: true
          Equals:
            description: The field equals one of these values.
            type: list
            elements: str
          StartsWith:
            description: The field starts with one of these values.
            type: list
            elements: str
          EndsWith:
            description: The field ends with one of these values.
            type: list
            elements: str
          NotEquals:
            description: The field equals none of these values.
            type: list
            elements: str
          NotStartsWith:
            description: The field starts with none of these values.
            type: list
            elements: str
          NotEndsWith:
            description: The field ends with none of these values.
            type: list
            elements: str
  event_selectors:
    description:
      - The basic event selectors, as C(PutEventSelectors) takes them (see
        U(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_EventSelector.html)); at most five.
      - Mutually exclusive with O(advanced_event_selectors); one of the two is required.
    type: list
    elements: dict
    suboptions:
      ReadWriteType:
        description: Record read-only events, write-only events, or all.
        type: str
        choices: ['ReadOnly', 'WriteOnly', 'All']
        default: All
      IncludeManagementEvents:
        description: Whether the selector records management events.
        type: bool
        default: true
      DataResources:
        description: The data events to record (resource type and ARN prefixes).
        type: list
        elements: dict
        suboptions:
          Type:
            description: The resource type, for example C(AWS::S3::Object).
            type: str
            required: true
          Values:
            description: ARN prefixes of the resources, for example C(arn:aws:s3:::amzn-s3-demo-bucket/).
            type: list
            elements: str
      ExcludeManagementEventSources:
        description: Event sources whose management events are not recorded, for example C(kms.amazonaws.com).
        type: list
        elements: str
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Neither amazon.aws nor community.aws has a module for CloudTrail event selectors; this one follows their
    conventions.
  - Insight selectors and event data stores are not managed.
  - In the C(bucketguard.visibility.aws) action group, so C(module_defaults) for
    C(group/bucketguard.visibility.aws) apply to it.
"""

EXAMPLES = r"""
- name: Record write management events and S3 PutObjectAcl data events only
  bucketguard.visibility.cloudtrail_event_selectors:
    trail_name: bucketguard-trail
    advanced_event_selectors:
      - Name: Management events
        FieldSelectors:
          - {Field: eventCategory, Equals: [Management]}
          - {Field: readOnly, Equals: ["false"]}
      - Name: S3 object ACL changes
        FieldSelectors:
          - {Field: eventCategory, Equals: [Data]}
          - {Field: resources.type, Equals: ["AWS::S3::Object"]}
          - {Field: eventName, Equals: [PutObjectAcl]}

- name: Back to every management event, read and write (basic selector)
  bucketguard.visibility.cloudtrail_event_selectors:
    trail_name: arn:aws:cloudtrail:eu-west-3:123456789012:trail/bucketguard-trail
    event_selectors:
      - ReadWriteType: All
        IncludeManagementEvents: true

- name: Read the selectors without changing them (check mode, diff shows the current ones)
  bucketguard.visibility.cloudtrail_event_selectors:
    trail_name: bucketguard-trail
    advanced_event_selectors:
      - Name: Management events
        FieldSelectors:
          - {Field: eventCategory, Equals: [Management]}
  check_mode: true
  diff: true
  register: selectors
"""

RETURN = r"""
trail_arn:
  description: ARN of the trail.
  returned: always
  type: str
  sample: arn:aws:cloudtrail:eu-west-3:123456789012:trail/bucketguard-trail
advanced_event_selectors:
  description:
    - The trail's advanced event selectors after the run (in check mode, what they would be), normalised;
      sorted by name, field selectors sorted by field, values sorted, empty lists left out.
    - In the form O(advanced_event_selectors) takes (boto3 key names), so it can be given back as it is.
    - Empty when the trail uses basic selectors.
  returned: always
  type: list
  elements: dict
  sample:
    - Name: Management events
      FieldSelectors:
        - {Field: eventCategory, Equals: [Management]}
        - {Field: readOnly, Equals: ["false"]}
event_selectors:
  description:
    - The trail's basic event selectors after the run (in check mode, what they would be), normalised, in the
      form O(event_selectors) takes. Empty when the trail uses advanced selectors.
  returned: always
  type: list
  elements: dict
  sample:
    - {ReadWriteType: All, IncludeManagementEvents: true}
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# CloudTrail throttles with ThrottlingException, which AWSRetry does not retry by itself.
RETRY_CODES = ["ThrottlingException"]
FIELD_OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")

# --- Pure helpers ----------------------------------------------------------------------------


def _canonical(value):
    """A stable sort key for dicts and lists (their JSON with sorted keys)."""
    return json.dumps(value, sort_keys=True)


def normalize_field_selector(field_selector):
    """{Field, <operator>: values}: values sorted and as strings, operators without values left out."""
    result = {"Field": field_selector["Field"]}
    for operator in FIELD_OPERATORS:
        values = field_selector.get(operator)
        if values:
            result[operator] = sorted(str(v) for v in values)
    return result


def normalize_advanced_selectors(selectors):
    """Advanced selectors in a canonical form: field selectors sorted by field, selectors by name."""
    result = []
    for selector in selectors or []:
        fields = [normalize_field_selector(f) for f in selector.get("FieldSelectors") or []]
        normalized = {"FieldSelectors": sorted(fields, key=lambda f: (f["Field"], _canonical(f)))}
        if selector.get("Name"):
            normalized = {"Name": selector["Name"], **normalized}
        result.append(normalized)
    return sorted(result, key=lambda s: (s.get("Name", ""), _canonical(s)))


def normalize_basic_selectors(selectors):
    """Basic selectors in a canonical form, with CloudTrail's defaults filled in and empty lists left out."""
    result = []
    for selector in selectors or []:
        include = selector.get("IncludeManagementEvents")
        normalized = {
            "ReadWriteType": selector.get("ReadWriteType") or "All",
            "IncludeManagementEvents": True if include is None else bool(include),
        }
        resources = []
        for resource in selector.get("DataResources") or []:
            entry = {"Type": resource["Type"]}
            if resource.get("Values"):
                entry["Values"] = sorted(resource["Values"])
            resources.append(entry)
        if resources:
            normalized["DataResources"] = sorted(resources, key=_canonical)
        if selector.get("ExcludeManagementEventSources"):
            normalized["ExcludeManagementEventSources"] = sorted(selector["ExcludeManagementEventSources"])
        result.append(normalized)
    return sorted(result, key=_canonical)


def selectors_state(response):
    """The normalised selectors of a GetEventSelectors or PutEventSelectors response."""
    return {
        "advanced_event_selectors": normalize_advanced_selectors(response.get("AdvancedEventSelectors")),
        "event_selectors": normalize_basic_selectors(response.get("EventSelectors")),
    }


def wanted_state(advanced_event_selectors=None, event_selectors=None):
    """The normalised state asked for: one kind of selectors, the other kind empty (PutEventSelectors replaces both)."""
    return {
        "advanced_event_selectors": normalize_advanced_selectors(advanced_event_selectors),
        "event_selectors": normalize_basic_selectors(event_selectors),
    }


def states_differ(current, wanted):
    """True when two normalised states select different events (or name their selectors differently)."""
    return current != wanted


def drop_none(value):
    """The module's parameters without the suboptions that were not given (None), recursively."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value


def selector_problems(advanced_event_selectors):
    """Input mistakes an argument spec cannot see, one sentence each (empty list: none)."""
    problems = []
    for index, selector in enumerate(advanced_event_selectors or []):
        for field in selector.get("FieldSelectors") or []:
            if not any(field.get(op) for op in FIELD_OPERATORS):
                problems.append(
                    f"advanced_event_selectors[{index}]: field selector {field['Field']!r} has no values "
                    f"(give one of {', '.join(FIELD_OPERATORS)})."
                )
            if field["Field"] == "readOnly":
                bad = [v for op in FIELD_OPERATORS for v in field.get(op) or [] if v not in ("true", "false")]
                if bad:
                    problems.append(
                        f"advanced_event_selectors[{index}]: readOnly takes the strings 'true' or 'false'"
                        f" (quote them in YAML), got {bad}."
                    )
    return problems


# --- API wrappers ------------------------------------------------------------------------------


class CloudTrailEventSelectorsError(AnsibleAWSError):
    pass


class CloudTrailErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = CloudTrailEventSelectorsError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("TrailNotFoundException")


@CloudTrailErrorHandler.list_error_handler("get the event selectors of trail {trail_name}", None)
@AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
def get_event_selectors(client, trail_name):
    return client.get_event_selectors(TrailName=trail_name)


@CloudTrailErrorHandler.common_error_handler("put the event selectors of trail {trail_name}")
@AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
def put_event_selectors(client, trail_name, wanted):
    params = {"TrailName": trail_name}
    if wanted["advanced_event_selectors"]:
        params["AdvancedEventSelectors"] = wanted["advanced_event_selectors"]
    else:
        params["EventSelectors"] = wanted["event_selectors"]
    return client.put_event_selectors(**params)


# --- Ensure ------------------------------------------------------------------------------------


def ensure_present(module, client, trail_name, wanted):
    response = get_event_selectors(client, trail_name)
    if response is None:
        module.fail_json(
            msg=f"CloudTrail trail {trail_name} does not exist (a name is looked up in the module's region)"
        )
    current = selectors_state(response)
    changed = states_differ(current, wanted)
    result = {"changed": changed, "trail_arn": response.get("TrailARN", ""), **(wanted if changed else current)}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": current, "after": wanted}
    if changed and not module.check_mode:
        result.update(selectors_state(put_event_selectors(client, trail_name, wanted)))
    return result


def main():
    field_selector = dict(Field=dict(type="str", required=True))
    field_selector.update({op: dict(type="list", elements="str") for op in FIELD_OPERATORS})
    argument_spec = dict(
        trail_name=dict(type="str", required=True),
        advanced_event_selectors=dict(
            type="list",
            elements="dict",
            options=dict(
                Name=dict(type="str"),
                FieldSelectors=dict(type="list", elements="dict", required=True, options=field_selector),
            ),
        ),
        event_selectors=dict(
            type="list",
            elements="dict",
            options=dict(
                ReadWriteType=dict(type="str", choices=["ReadOnly", "WriteOnly", "All"], default="All"),
                IncludeManagementEvents=dict(type="bool", default=True),
                DataResources=dict(
                    type="list",
                    elements="dict",
                    options=dict(Type=dict(type="str", required=True), Values=dict(type="list", elements="str")),
                ),
                ExcludeManagementEventSources=dict(type="list", elements="str"),
            ),
        ),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["advanced_event_selectors", "event_selectors"]],
        required_one_of=[["advanced_event_selectors", "event_selectors"]],
        supports_check_mode=True,
    )
    trail_name = module.params["trail_name"]
    advanced = drop_none(module.params["advanced_event_selectors"])
    basic = drop_none(module.params["event_selectors"])
    if advanced == [] or basic == []:
        module.fail_json(msg="give at least one selector (CloudTrail needs one to know what to record)")
    problems = selector_problems(advanced)
    if problems:
        module.fail_json(msg=" ".join(problems))

    client = module.client("cloudtrail")
    try:
        result = ensure_present(module, client, trail_name, wanted_state(advanced, basic))
    except CloudTrailEventSelectorsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

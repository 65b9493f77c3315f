#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudwatch_dashboard
short_description: Create, update or delete a CloudWatch dashboard
version_added: 0.1.0
description:
  - Creates, updates or deletes one Amazon CloudWatch dashboard (C(PutDashboard), C(DeleteDashboards)).
  - Idempotent. The deployed body and the requested one are compared after normalisation (parsed
    JSON, so whitespace and key order do not count; list order does). The module reports C(changed)
    and writes only when they really differ.
  - Supports check mode (no write call is made) and diff mode (the normalised bodies before and after).
  - When CloudWatch rejects the body, its C(DashboardValidationMessages) are given in the failure
    message. Validation warnings on a body that was saved are returned and shown as warnings.
  - Throttled calls are retried with jittered backoff.
  - Dashboards belong to the account, not to a region; the region only chooses the API endpoint.
    Widgets name their own region (C(properties.region)).
options:
  name:
    description:
      - Name of the dashboard. Letters, digits, C(-) and C(_), at most 255 characters.
    type: str
    required: true
    aliases: ['dashboard_name']
  body:
    description:
      - The dashboard body, as a dict or as a JSON string, with a C(widgets) list. See
        U(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
      - Required when O(state=present). Ignored when O(state=absent).
      - The whole body is replaced, so widgets left out of it are removed from the dashboard.
    type: json
  state:
    description:
      - V(present) creates or updates the dashboard; V(absent) deletes it (no error if it does not exist).
    type: str
    choices: ['present', 'absent']
    default: present
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Neither amazon.aws nor community.aws has a CloudWatch dashboard module; this one follows their conventions.
  - Dashboard tags are not managed.
  - In the C(bucketguard.visibility.aws) action group, so C(module_defaults) for
    C(group/bucketguard.visibility.aws) apply to it.
"""

EXAMPLES = r"""
- name: Create or update a dashboard from a dict
  bucketguard.visibility.cloudwatch_dashboard:
    name: bucketguard-s3-visibility
    body:
      start: -PT24H
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: S3 visibility changes per minute
            region: eu-west-3
            metrics:
              - [Bucketguard, BucketVisibilityChanges]
            stat: Sum
            period: 60

- name: Create a dashboard from a JSON file, and show what changes
  bucketguard.visibility.cloudwatch_dashboard:
    name: team-overview
    body: "{{ lookup('ansible.builtin.file', 'dashboards/team-overview.json') }}"
  diff: true

- name: Delete a dashboard (no error when it is already gone)
  bucketguard.visibility.cloudwatch_dashboard:
    name: old-dashboard
    state: absent
"""

RETURN = r"""
dashboard_name:
  description: Name of the dashboard.
  returned: always
  type: str
  sample: bucketguard-s3-visibility
dashboard_arn:
  description:
    - ARN of the dashboard (dashboards have no region in their ARN).
    - Empty when the dashboard does not exist, for example after O(state=absent), or in check mode
      when it would be created.
  returned: always
  type: str
  sample: arn:aws:cloudwatch::123456789012:dashboard/bucketguard-s3-visibility
body:
  description:
    - The dashboard body after the run (in check mode, what it would be), normalised (keys sorted).
    - Empty after O(state=absent).
  returned: always
  type: dict
  sample:
    start: -PT24H
    widgets:
      - {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "Hello"}}
validation_messages:
  description: Warnings CloudWatch returned about a body it accepted.
  returned: when CloudWatch returned warnings
  type: list
  elements: dict
  contains:
    data_path:
      description: Where in the body the warning applies.
      type: str
      sample: /widgets/0/properties/metrics
    message:
      description: The warning.
      type: str
      sample: Should NOT have more than 2 items
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.bucketguard.visibility.plugins.module_utils.dashboard import (
    CloudWatchDashboardError,
    DashboardBodyError,
    bodies_differ,
    body_diff,
    body_to_json,
    delete_dashboard,
    format_validation_messages,
    get_dashboard,
    normalize_body,
    parse_body,
    put_dashboard,
    valid_dashboard_name,
    validation_messages_from_response,
)


def _fail_on_invalid_body(module, name, error):
    """Fail with CloudWatch's validation messages when PutDashboard rejected the body."""
    response = getattr(error.exception, "response", None)
    messages = validation_messages_from_response(response)
    code = (response or {}).get("Error", {}).get("Code", "")
    if messages or code == "InvalidParameterInput":
        detail = format_validation_messages(messages) or (response or {}).get("Error", {}).get("Message", "")
        module.fail_json_aws(
            error.exception,
            msg=f"CloudWatch rejected the body of dashboard {name}: {detail}",
            validation_messages=messages,
        )
    module.fail_json_aws_error(error)


def ensure_present(module, client, name, wanted):
    current = get_dashboard(client, name)
    current_body = current["DashboardBody"] if current else None
    changed = bodies_differ(current_body, wanted)
    result = {
        "changed": changed,
        "dashboard_name": name,
        "dashboard_arn": current["DashboardArn"] if current else "",
        "body": normalize_body(wanted),
    }
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = body_diff(current_body, wanted)
    if not changed or module.check_mode:
        return result

    try:
        response = put_dashboard(client, name, body_to_json(wanted))
    except CloudWatchDashboardError as e:
        _fail_on_invalid_body(module, name, e)
    warnings = validation_messages_from_response(response)
    if warnings:
        result["validation_messages"] = warnings
        module.warn(f"CloudWatch accepted dashboard {name} with warnings: {format_validation_messages(warnings)}")

    deployed = get_dashboard(client, name)
    if deployed:
        result["dashboard_arn"] = deployed["DashboardArn"]
        result["body"] = normalize_body(deployed["DashboardBody"])
    return result


def ensure_absent(module, client, name):
    current = get_dashboard(client, name)
    result = {"changed": current is not None, "dashboard_name": name, "dashboard_arn": "", "body": {}}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = body_diff(current["DashboardBody"] if current else None, None)
    if current is not None and not module.check_mode:
        # False when someone else deleted it since we read it: still gone, still a change of ours to report.
        delete_dashboard(client, name)
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["dashboard_name"]),
        body=dict(type="json"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[["state", "present", ["body"]]],
        supports_check_mode=True,
    )
    name = module.params["name"]
    if not valid_dashboard_name(name):
        module.fail_json(
            msg=f"name must be 1-255 letters, digits, '-' or '_' (a CloudWatch dashboard name), got {name!r}"
        )

    wanted = None
    if module.params["state"] == "present":
        try:
            wanted = parse_body(module.params["body"])
        except DashboardBodyError as e:
            module.fail_json(msg=f"Invalid body for dashboard {name}: {e}")

    client = module.client("cloudwatch")
    try:
        if module.params["state"] == "present":
            result = ensure_present(module, client, name, wanted)
        else:
            result = ensure_absent(module, client, name)
    except CloudWatchDashboardError as e:
        module.fail_json_aws_error(e)

    module.exit_json(**result)


if __name__ == "__main__":
    main()

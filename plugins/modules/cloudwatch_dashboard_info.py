#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudwatch_dashboard_info
short_description: List CloudWatch dashboards, or get one with its body
version_added: 0.1.0
description:
  - Lists the account's CloudWatch dashboards (C(ListDashboards)), optionally those whose name starts
    with a prefix, or gets one dashboard by name with its body (C(GetDashboard)).
  - A dashboard that does not exist gives an empty list, not an error.
options:
  name:
    description:
      - Exact name of one dashboard. Its body is always returned.
    type: str
    aliases: ['dashboard_name']
  name_prefix:
    description:
      - Only dashboards whose name starts with this prefix.
    type: str
  include_body:
    description:
      - Also read and return the body of each listed dashboard (one C(GetDashboard) call per dashboard).
      - Always true when O(name) is given.
    type: bool
    default: false
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Get one dashboard with its body
  bucketguard.visibility.cloudwatch_dashboard_info:
    name: bucketguard-s3-visibility
  register: dashboard

- name: Show its widget types
  ansible.builtin.debug:
    msg: "{{ dashboard.dashboards[0].body.widgets | map(attribute='type') | list }}"
  when: dashboard.dashboards | length > 0

- name: List the collection's dashboards
  bucketguard.visibility.cloudwatch_dashboard_info:
    name_prefix: bucketguard-
"""

RETURN = r"""
dashboards:
  description: The dashboards found, sorted by name (empty when none matches).
  returned: always
  type: list
  elements: dict
  contains:
    dashboard_name:
      description: Name of the dashboard.
      returned: always
      type: str
      sample: bucketguard-s3-visibility
    dashboard_arn:
      description: ARN of the dashboard.
      returned: always
      type: str
      sample: arn:aws:cloudwatch::123456789012:dashboard/bucketguard-s3-visibility
    last_modified:
      description: When the dashboard was last changed (ISO 8601).
      returned: always
      type: str
      sample: "2026-11-27T08:51:39.812000+00:00"
    size:
      description: Size of the body in bytes.
      returned: always
      type: int
      sample: 2048
    body:
      description: The dashboard body, parsed and with keys sorted.
      returned: when O(name) or O(include_body=true) is given
      type: dict
      sample:
        widgets:
          - {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "Hi"}}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.bucketguard.visibility.plugins.module_utils.dashboard import (
    CloudWatchDashboardError,
    dashboard_entry_to_result,
    get_dashboard,
    list_dashboards,
)


def describe_dashboards(client, name=None, name_prefix=None, include_body=False):
    """ListDashboards filtered by exact name or prefix, with bodies when asked."""
    entries = list_dashboards(client, name or name_prefix)
    if name:
        entries = [e for e in entries if e.get("DashboardName") == name]
        include_body = True
    results = []
    for entry in sorted(entries, key=lambda e: e.get("DashboardName", "")):
        body = None
        if include_body:
            found = get_dashboard(client, entry["DashboardName"])
            if found is None:  # deleted between the two calls
                continue
            body = found["DashboardBody"]
        results.append(dashboard_entry_to_result(entry, body))
    return results


def main():
    argument_spec = dict(
        name=dict(type="str", aliases=["dashboard_name"]),
        name_prefix=dict(type="str"),
        include_body=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["name", "name_prefix"]],
        supports_check_mode=True,
    )
    client = module.client("cloudwatch")
    try:
        dashboards = describe_dashboards(
            client,
            name=module.params["name"],
            name_prefix=module.params["name_prefix"],
            include_body=module.params["include_body"],
        )
    except CloudWatchDashboardError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, dashboards=dashboards)


if __name__ == "__main__":
    main()

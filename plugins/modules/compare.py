#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: compare
short_description: Report two values as a change with a diff, without calling AWS
version_added: 0.3.0
description:
  - Reports C(changed) when O(before) and O(after) differ, and returns them as the task's diff, so
    C(--check --diff) shows what an upstream module would change when that module returns no diff of its own
    (see the C(bucketguard.visibility.check_diff) filter).
  - An action plugin - it runs on the controller and makes no call to AWS or to the host. Supports check
    mode (it never changes anything) and diff mode.
  - Not in the C(bucketguard.visibility.aws) action group - it takes no connection options.
options:
  name:
    description: What is compared (the diff's header), for example V(alarm bucketguard-s3-visibility).
    type: str
    required: true
  before:
    description: The value as it is (a dict, a list or a scalar); null means "nothing".
    type: raw
  after:
    description: The value as the task would make it; null means "nothing".
    type: raw
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Show what the alarm task would change (check mode)
  bucketguard.visibility.compare:
    name: alarm bucketguard-s3-visibility
    before: {period: 300}
    after: {period: 60}
  when: ansible_check_mode
"""

RETURN = r"""
differences:
  description: The top-level keys whose values differ (C((value)) when the two are not dicts).
  returned: always
  type: list
  elements: str
  sample: [period]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bucketguard.visibility.plugins.module_utils.drift import compare


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(type="str", required=True), before=dict(type="raw"), after=dict(type="raw")),
        supports_check_mode=True,
    )
    before = {} if module.params["before"] is None else module.params["before"]
    after = {} if module.params["after"] is None else module.params["after"]
    found = compare(before, after)
    diff = {
        "before": before,
        "after": after,
        "before_header": module.params["name"],
        "after_header": module.params["name"],
    }
    module.exit_json(changed=found["changed"], differences=found["differences"], diff=diff)


if __name__ == "__main__":
    main()

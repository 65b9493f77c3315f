# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: log_group_name
short_description: Whether a string is a CloudWatch Logs log group name
version_added: 0.3.0
description:
  - True when the value is 1-512 letters, digits, or C(. _ / # -) (CloudWatch Logs' CreateLogGroup rules).
  - The one pattern of the collection (C(LOG_GROUP_NAME_RE) in C(plugins/module_utils/contract.py), also read by the
    dashboard and by the notifier from its zip), anchored at the true end of the string.
options:
  _input:
    description: The name to check.
    type: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
ok: "{{ alarm_log_group_name is bucketguard.visibility.log_group_name }}"
"""

RETURN = r"""
_value:
  description: Whether the value is a log group name.
  type: bool
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import log_group_name_ok


class TestModule:
    def tests(self):
        return {"log_group_name": log_group_name_ok}

# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: sns_topic_arn
short_description: Whether a string is an SNS topic ARN
version_added: 0.3.0
description:
  - True when the value is C(arn:PARTITION:sns:REGION:ACCOUNT:NAME) with a partition C(aws), C(aws-cn) or
    C(aws-us-gov), a 12-digit account and a standard topic name (1-256 letters, digits, hyphens, underscores).
  - The one pattern of the collection (C(SNS_TOPIC_ARN_RE) in C(plugins/module_utils/contract.py)), anchored at the
    true end of the string, so a trailing newline is refused.
options:
  _input:
    description: The ARN to check.
    type: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
ok: "{{ alarm_topic_arn is bucketguard.visibility.sns_topic_arn }}"
"""

RETURN = r"""
_value:
  description: Whether the value is an SNS topic ARN.
  type: bool
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import sns_topic_arn_ok


class TestModule:
    def tests(self):
        return {"sns_topic_arn": sns_topic_arn_ok}

# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: event_pattern
short_description: The EventBridge pattern of successful S3 calls from a list of event names
version_added: 0.2.0
description:
  - C(source) C(aws.s3), C(detail-type) "AWS API Call via CloudTrail", C(eventSource) C(s3.amazonaws.com),
    the event names given, and no C(errorCode) (successful calls only).
options:
  _input:
    description: CloudTrail event names (see P(bucketguard.visibility.watched_events#filter)).
    type: list
    elements: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
event_pattern: "{{ [] | bucketguard.visibility.watched_events | bucketguard.visibility.event_pattern }}"
"""

RETURN = r"""
_value:
  description: The event pattern, as a dict.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import event_pattern


class FilterModule:
    def filters(self):
        return {"event_pattern": lambda names: event_pattern(list(names))}

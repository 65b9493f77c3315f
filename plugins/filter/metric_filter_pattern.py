# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: metric_filter_pattern
short_description: The CloudWatch Logs metric filter pattern of successful S3 calls from a list of event names
version_added: 0.2.0
description:
  - C(eventSource) C(s3.amazonaws.com), one of the event names, and no C(errorCode) (successful calls only),
    in the CloudWatch Logs JSON pattern syntax. At most 1024 characters are allowed by CloudWatch Logs.
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
alarm_filter_pattern: "{{ alarm_event_names | bucketguard.visibility.metric_filter_pattern }}"
"""

RETURN = r"""
_value:
  description: The filter pattern.
  type: str
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import metric_filter_pattern


class FilterModule:
    def filters(self):
        return {"metric_filter_pattern": lambda names: metric_filter_pattern(list(names))}

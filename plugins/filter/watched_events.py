# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: watched_events
short_description: The S3 calls that can change a bucket's or the account's exposure
version_added: 0.2.0
description:
  - The one list of watched CloudTrail event names (C(plugins/module_utils/cloudtrail.py)), in a fixed order,
    with the opt-in calls asked for. The metric filter, the EventBridge rule, the dashboard's query and the
    notifier all derive from this list.
options:
  _input:
    description: "Extra event names to watch besides the list (usually an empty list)."
    type: list
    elements: str
    required: true
  object_acl:
    description: "Add C(PutObjectAcl) (a data event - the trail must record it)."
    type: bool
    default: false
  create_bucket:
    description: Add C(CreateBucket).
    type: bool
    default: false
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
alarm_event_names: "{{ [] | bucketguard.visibility.watched_events(object_acl=true) }}"
"""

RETURN = r"""
_value:
  description: Event names, each once, the default list first.
  type: list
  elements: str
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import watched_event_names


def watched_events(extra, object_acl=False, create_bucket=False):
    return watched_event_names(object_acl=bool(object_acl), create_bucket=bool(create_bucket), extra=extra or ())


class FilterModule:
    def filters(self):
        return {"watched_events": watched_events}

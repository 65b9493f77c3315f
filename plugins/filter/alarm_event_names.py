# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: alarm_event_names
short_description: The event names the alarm role's metric filter matches
version_added: 0.3.0
description:
  - The given event names plus the opt-in ones (C(PutObjectAcl), C(CreateBucket)), each once, in order
    (C(alarm_event_names) in C(plugins/module_utils/alarm.py)). Unlike C(watched_events), the default list is not
    added - an overridden C(alarm_event_names) is kept as given.
options:
  _input:
    description: The event names (C(alarm_event_names)).
    type: list
    elements: str
    required: true
  object_acl:
    description: Add C(PutObjectAcl) (C(alarm_object_acl_events)).
    type: bool
    default: false
  create_bucket:
    description: Add C(CreateBucket) (C(alarm_create_bucket_events)).
    type: bool
    default: false
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
__alarm_event_names: "{{ alarm_event_names | bucketguard.visibility.alarm_event_names(object_acl=true) }}"
"""

RETURN = r"""
_value:
  description: Event names, each once.
  type: list
  elements: str
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.alarm import alarm_event_names


class FilterModule:
    def filters(self):
        return {"alarm_event_names": alarm_event_names}

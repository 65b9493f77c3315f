# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: dashboard_body
short_description: The body of the account's dashboard, or of the fleet dashboard
version_added: 0.3.0
description:
  - Lays out the widgets of the C(dashboard) role's dashboards (C(plugins/module_utils/dashboard_body.py)).
    Deploy sends the body with M(bucketguard.visibility.cloudwatch_dashboard); verify compares the same body
    with that module in check mode.
options:
  _input:
    description:
      - The role's inputs as one dict (its variables without the C(dashboard_) prefix), see the module_utils
        docstring for the keys.
    type: dict
    required: true
  fleet:
    description: The fleet dashboard (alarm tiles of every account and a table of links) instead of the account's.
    type: bool
    default: false
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
body: "{{ __dashboard_inputs | bucketguard.visibility.dashboard_body }}"
fleet_body: "{{ __dashboard_inputs | bucketguard.visibility.dashboard_body(fleet=true) }}"
"""

RETURN = r"""
_value:
  description: The dashboard body, as a dict (C(start), C(widgets), ...).
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.dashboard_body import account_body, fleet_body


def dashboard_body(inputs, fleet=False):
    return fleet_body(dict(inputs)) if fleet else account_body(dict(inputs))


class FilterModule:
    def filters(self):
        return {"dashboard_body": dashboard_body}

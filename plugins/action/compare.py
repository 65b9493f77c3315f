# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The compare action (documented in plugins/modules/compare.py): runs on the controller, calls nothing."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.bucketguard.visibility.plugins.module_utils.drift import compare


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_diff = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(
            argument_spec={
                "name": {"type": "str", "required": True},
                "before": {"type": "raw"},
                "after": {"type": "raw"},
            }
        )
        before = {} if args["before"] is None else args["before"]
        after = {} if args["after"] is None else args["after"]
        found = compare(before, after)
        result.update(changed=found["changed"], differences=found["differences"])
        if self._task.diff:
            result["diff"] = {
                "before": before,
                "after": after,
                "before_header": args["name"],
                "after_header": args["name"],
            }
        return result

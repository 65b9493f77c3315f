# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: notifier_package
short_description: What goes into the notifier's Lambda package
version_added: 0.2.0
description:
  - Returns where the notifier's sources are and which of the collection's contract files
    (C(plugins/module_utils/cloudtrail.py), C(exposure.py), C(bucket_state.py)) go beside them in the zip,
    at their import path, ready for M(bucketguard.visibility.lambda_zip).
  - The paths are those of the installed collection, so a role never names a path outside itself.
options:
  _input:
    description: A folder of notifier sources to package instead of the shipped one; empty for the shipped one.
    type: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Build the notifier package
  bucketguard.visibility.lambda_zip:
    src: "{{ package.src }}"
    root: "{{ package.root }}"
    include: "{{ package.include }}"
    dest: ~/.cache/bucketguard/bucketguard_notifier.zip
  vars:
    package: "{{ '' | bucketguard.visibility.notifier_package }}"
"""

RETURN = r"""
_value:
  description: C(src) (the sources' folder), C(root) (their folder in the zip) and C(include) (list of C(src), C(dest)).
  type: dict
"""

import os

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import notifier_package

# plugins/filter/ -> the collection's root
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _notifier_package(source_dir):
    return notifier_package(COLLECTION_ROOT, source_dir or "")


class FilterModule:
    def filters(self):
        return {"notifier_package": _notifier_package}

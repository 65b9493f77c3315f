# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: s3_bucket_name
short_description: Whether a string is a valid S3 general purpose bucket name
version_added: 0.2.0
description:
  - True when the value follows S3's bucket naming rules - 3-63 lower-case letters, digits, dots and hyphens,
    a letter or digit at each end, no C(..), C(.-) or C(-.), not an IP address, no reserved prefix
    (C(xn--), C(sthree-), C(amzn-s3-demo-)) or suffix (C(-s3alias), C(--ol-s3), C(--x-s3), C(.mrap)).
  - Anchored at the true end of the string, so a trailing newline is refused (C(plugins/module_utils/contract.py)).
options:
  _input:
    description: The name to check.
    type: str
    required: true
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
ok: "{{ trail_bucket_name is bucketguard.visibility.s3_bucket_name }}"
"""

RETURN = r"""
_value:
  description: Whether the name is valid.
  type: bool
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import s3_bucket_name_ok


class TestModule:
    def tests(self):
        return {"s3_bucket_name": s3_bucket_name_ok}

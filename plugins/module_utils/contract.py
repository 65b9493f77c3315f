# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The contract between the roles, the notifier and the tests, written once (pure, standard library).

Roles reach these functions through the thin filter plugins of ``plugins/filter/``; tests call them
directly. What lives here: the notifier's package (which files, where in the zip) and the patterns
derived from the one list of watched S3 calls (``cloudtrail.EXPOSURE_EVENTS_DEFAULT``).
"""

from __future__ import annotations

import json
import os

from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import (
    EXPOSURE_EVENTS,
    watched_event_names,
)

# --------------------------------------------------------------------------- the notifier's package

# The contract files the notifier imports, carried in its zip at their import path.
NOTIFIER_CORE_MODULES = ("bucket_state", "cloudtrail", "exposure")
NOTIFIER_PACKAGE_ROOT = "bucketguard_notifier"
MODULE_UTILS_IN_ZIP = "ansible_collections/bucketguard/visibility/plugins/module_utils"


def notifier_package(collection_root: str, source_dir: str = "") -> dict:
    """Where the notifier's sources are and which contract files go beside them in the zip.

    ``source_dir`` empty means the notifier shipped with the collection (``files/lambda/bucketguard_notifier``).
    Returns ``{"src": folder, "root": name in the zip, "include": [{"src": file, "dest": path in zip}]}``.
    """
    src = source_dir or os.path.join(collection_root, "files", "lambda", NOTIFIER_PACKAGE_ROOT)
    utils = os.path.join(collection_root, "plugins", "module_utils")
    include = [
        {"src": os.path.join(utils, f"{name}.py"), "dest": f"{MODULE_UTILS_IN_ZIP}/{name}.py"}
        for name in NOTIFIER_CORE_MODULES
    ]
    return {"src": src, "root": NOTIFIER_PACKAGE_ROOT, "include": include}


# --------------------------------------------------------------------------- patterns from the one list


def metric_filter_pattern(event_names: list[str] | tuple[str, ...]) -> str:
    """CloudWatch Logs pattern: successful calls from s3.amazonaws.com with one of ``event_names``."""
    names = " || ".join(f'($.eventName = "{name}")' for name in event_names)
    return f'{{ ($.eventSource = "s3.amazonaws.com") && ({names}) && ($.errorCode NOT EXISTS) }}'


def record_search_pattern() -> str:
    """The notifier's FilterLogEvents pattern: every record of a call it understands (it re-checks each)."""
    names = " || ".join(f'($.eventName = "{n}")' for n in sorted(EXPOSURE_EVENTS))
    return f'{{ ($.eventSource = "s3.amazonaws.com") && ({names}) }}'


def event_pattern(event_names: list[str] | tuple[str, ...]) -> dict:
    """EventBridge pattern: "AWS API Call via CloudTrail" events of the same successful calls."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["s3.amazonaws.com"],
            "eventName": list(event_names),
            "errorCode": [{"exists": False}],
        },
    }


def insights_query(log_group: str, event_names: list[str] | tuple[str, ...], limit: int) -> str:
    """Logs Insights query of the dashboard: one row per watched call, newest first."""
    return "\n".join(
        [
            f"SOURCE '{log_group}'",
            f'| filter eventSource = "s3.amazonaws.com" and eventName in {json.dumps(list(event_names))}',
            "| fields @timestamp as time, eventName as event,",
            "    coalesce(requestParameters.bucketName, requestParameters.CreateAccessPointRequest.Bucket, "
            'requestParameters.name, "(account)") as bucket,',
            "    coalesce(userIdentity.arn, userIdentity.principalId) as who,",
            "    sourceIPAddress as source_ip, awsRegion as region,",
            '    coalesce(errorCode, "ok") as result',
            "| sort @timestamp desc",
            f"| limit {int(limit)}",
        ]
    )


__all__ = [
    "event_pattern",
    "insights_query",
    "metric_filter_pattern",
    "notifier_package",
    "record_search_pattern",
    "watched_event_names",
]

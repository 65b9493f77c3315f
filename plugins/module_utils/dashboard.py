# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers shared by the cloudwatch_dashboard and cloudwatch_dashboard_info modules.

Pure functions first (parse, normalise, compare, diff, validation messages), then thin wrappers
around the CloudWatch dashboard API with amazon.aws's error handlers and retries.
"""

import json
import re
import sys

try:
    from botocore.exceptions import ClientError
except ImportError:
    ClientError = None  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# CloudWatch: "can contain only alphanumerics, dash (-) and underscore (_)", at most 255 characters.
DASHBOARD_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


class DashboardBodyError(ValueError):
    """The requested body is not a dashboard body (raised before any API call)."""


# ---------------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------------


def valid_dashboard_name(name):
    """True when CloudWatch would accept name as a dashboard name."""
    return bool(name) and bool(DASHBOARD_NAME_RE.match(name))


def parse_body(body):
    """Return the dashboard body as a dict, from a dict or a JSON string.

    Raises DashboardBodyError with a message that says what is wrong: not JSON, not a JSON object,
    or no C(widgets) list (CloudWatch requires one, possibly empty).
    """
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError as e:
            raise DashboardBodyError(f"body is not valid JSON: {e}") from e
    if not isinstance(body, dict):
        raise DashboardBodyError(f"body must be a JSON object (a dict), got {type(body).__name__}")
    if not isinstance(body.get("widgets"), list):
        raise DashboardBodyError("body must have a 'widgets' list (it may be empty)")
    return body


def normalize_body(body):
    """Return a canonical copy of a body (dict or JSON string): a plain dict, keys sorted.

    Whitespace and key order carry no meaning in a dashboard body; list order does (widgets,
    metrics), so lists keep their order. Integers and floats of the same value compare equal.
    """
    if isinstance(body, (str, bytes)):
        body = json.loads(body)
    return json.loads(json.dumps(body, sort_keys=True))


def body_to_json(body):
    """The compact, key-sorted JSON string sent as DashboardBody (stable across runs)."""
    return json.dumps(normalize_body(body), sort_keys=True, separators=(",", ":"))


def bodies_differ(current, wanted):
    """True when the deployed body (None if the dashboard does not exist) differs from the wanted one."""
    if current is None:
        return True
    return normalize_body(current) != normalize_body(wanted)


def body_diff(current, wanted):
    """Ansible diff dict: before/after normalised bodies; an absent dashboard is {}."""
    return {
        "before": normalize_body(current) if current is not None else {},
        "after": normalize_body(wanted) if wanted is not None else {},
    }


def validation_messages_from_response(response):
    """The list of {data_path, message} from a PutDashboard response or error response.

    CloudWatch puts warnings in the response's DashboardValidationMessages (the dashboard is
    saved) and errors in the InvalidParameterInput error's dashboardValidationMessages (it is
    not). Either spelling is accepted; anything else gives [].
    """
    if not isinstance(response, dict):
        return []
    raw = response.get("DashboardValidationMessages")
    if raw is None:
        raw = response.get("dashboardValidationMessages")
    if raw is None and isinstance(response.get("Error"), dict):
        raw = response["Error"].get("dashboardValidationMessages") or response["Error"].get(
            "DashboardValidationMessages"
        )
    messages = []
    for item in raw or []:
        if isinstance(item, dict):
            messages.append({"data_path": item.get("DataPath", ""), "message": item.get("Message", "")})
    return messages


def format_validation_messages(messages):
    """One readable line: 'at /widgets/0/properties: message; at ...: ...'."""
    parts = []
    for m in messages:
        parts.append(f"at {m['data_path']}: {m['message']}" if m.get("data_path") else m.get("message", ""))
    return "; ".join(parts)


def dashboard_entry_to_result(entry, body=None):
    """snake_case result of one ListDashboards entry (plus its body when read)."""
    result = {
        "dashboard_name": entry.get("DashboardName"),
        "dashboard_arn": entry.get("DashboardArn"),
        "last_modified": entry["LastModified"].isoformat()
        if hasattr(entry.get("LastModified"), "isoformat")
        else entry.get("LastModified"),
        "size": entry.get("Size"),
    }
    if body is not None:
        result["body"] = normalize_body(body)
    return result


# ---------------------------------------------------------------------------------------------
# API wrappers
# ---------------------------------------------------------------------------------------------


def is_dashboard_missing(e=None):
    """Exception class matching "this dashboard does not exist" (for use in an except clause).

    AWS answers ResourceNotFound (DashboardNotFoundError). LocalStack answers
    InvalidParameterValue "Dashboard NAME does not exist." Both count as missing.
    """
    if e is None:
        e = sys.exc_info()[1]
    if ClientError is not None and isinstance(e, ClientError):
        error = e.response.get("Error", {})
        code = error.get("Code", "")
        if code in ("ResourceNotFound", "ResourceNotFoundException", "DashboardNotFoundError"):
            return ClientError
        if code == "InvalidParameterValue" and "does not exist" in error.get("Message", ""):
            return ClientError
    return type("NeverEverRaisedException", (Exception,), {})


class CloudWatchDashboardError(AnsibleAWSError):
    pass


class DashboardErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = CloudWatchDashboardError

    @classmethod
    def _is_missing(cls):
        return is_dashboard_missing()


@DashboardErrorHandler.list_error_handler("get dashboard {name}", None)
@AWSRetry.jittered_backoff()
def get_dashboard(client, name):
    """{DashboardName, DashboardArn, DashboardBody} or None when it does not exist."""
    return client.get_dashboard(DashboardName=name)


@DashboardErrorHandler.list_error_handler("list dashboards", [])
@AWSRetry.jittered_backoff()
def list_dashboards(client, name_prefix=None):
    """Every ListDashboards entry, following NextToken."""
    params = {"DashboardNamePrefix": name_prefix} if name_prefix else {}
    paginator = client.get_paginator("list_dashboards")
    return paginator.paginate(**params).build_full_result().get("DashboardEntries", [])


@DashboardErrorHandler.common_error_handler("put dashboard {name}")
@AWSRetry.jittered_backoff()
def put_dashboard(client, name, body_json):
    """PutDashboard; returns the response (with DashboardValidationMessages, warnings only)."""
    return client.put_dashboard(DashboardName=name, DashboardBody=body_json)


@DashboardErrorHandler.deletion_error_handler("delete dashboard {name}")
@AWSRetry.jittered_backoff()
def delete_dashboard(client, name):
    """DeleteDashboards for one name; False if it was already gone."""
    client.delete_dashboards(DashboardNames=[name])
    return True

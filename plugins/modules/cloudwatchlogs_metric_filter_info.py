#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudwatchlogs_metric_filter_info
short_description: Read the metric filters of a CloudWatch Logs log group
version_added: 0.3.0
description:
  - Reads the metric filters of one log group (C(DescribeMetricFilters), all pages), with their pattern and
    the metric each publishes. Read-only.
  - M(amazon.aws.cloudwatchlogs_log_group_metric_filter) manages filters but, in check mode, answers only
    whether it would change one (not the deployed pattern), and M(amazon.aws.cloudwatchlogs_log_group_info)
    does not read filters; this module fills that gap only.
  - A log group that does not exist gives no filters and O(log_group_name) in RV(missing_log_group), not an error.
options:
  log_group_name:
    description: Name of the log group.
    type: str
    required: true
  filter_name_prefix:
    description: Only the filters whose name starts with this prefix.
    type: str
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - In the C(bucketguard.visibility.aws) action group, so C(module_defaults) for
    C(group/bucketguard.visibility.aws) apply to it.
"""

EXAMPLES = r"""
- name: Read the trail log group's metric filters
  bucketguard.visibility.cloudwatchlogs_metric_filter_info:
    log_group_name: /bucketguard/cloudtrail
  register: filters
"""

RETURN = r"""
metric_filters:
  description: The filters, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    filter_name:
      description: Name of the filter.
      type: str
      sample: bucketguard-s3-visibility
    filter_pattern:
      description: Its pattern, as CloudWatch Logs stores it.
      type: str
      sample: '{ ($.eventSource = "s3.amazonaws.com") }'
    metric_namespace:
      description: Namespace of the (first) metric it publishes.
      type: str
      sample: Bucketguard
    metric_name:
      description: Name of that metric.
      type: str
      sample: BucketVisibilityChanges
    metric_value:
      description: The value it publishes per matching event.
      type: str
      sample: "1"
    default_value:
      description: The value it publishes when nothing matches (absent when none is set).
      type: float
      sample: 0.0
missing_log_group:
  description: The log group's name when it does not exist; empty otherwise.
  returned: always
  type: str
  sample: ""
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def filter_from_api(item):
    """One item of DescribeMetricFilters in the module's names (its first metric transformation)."""
    transformation = (item.get("metricTransformations") or [{}])[0]
    out = {
        "filter_name": item.get("filterName"),
        "filter_pattern": item.get("filterPattern", ""),
        "metric_namespace": transformation.get("metricNamespace"),
        "metric_name": transformation.get("metricName"),
        "metric_value": transformation.get("metricValue"),
    }
    if transformation.get("defaultValue") is not None:
        out["default_value"] = transformation["defaultValue"]
    return out


def describe_filters(module, client, log_group, prefix):
    """The filters (module form), or None when the log group does not exist."""
    kwargs = {"logGroupName": log_group}
    if prefix:
        kwargs["filterNamePrefix"] = prefix
    found = []
    try:
        while True:
            page = client.describe_metric_filters(aws_retry=True, **kwargs)
            found += [filter_from_api(item) for item in page.get("metricFilters", [])]
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not read the metric filters of {log_group}")
    return sorted(found, key=lambda f: f["filter_name"])


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            log_group_name=dict(type="str", required=True),
            filter_name_prefix=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    log_group = module.params["log_group_name"]
    client = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())
    found = describe_filters(module, client, log_group, module.params["filter_name_prefix"])
    module.exit_json(
        changed=False,
        metric_filters=found or [],
        missing_log_group=log_group if found is None else "",
    )


if __name__ == "__main__":
    main()

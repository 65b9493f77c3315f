#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: lambda_event_invoke_config
short_description: Manage the asynchronous invocation configuration of a Lambda function
version_added: 0.1.0
description:
  - Sets (or removes) what Lambda does with events of asynchronous invocations - how many times it
    retries a failed one, how old an event may get, and where it sends the events that finally
    failed or succeeded (C(PutFunctionEventInvokeConfig)).
  - Neither M(amazon.aws.lambda) nor community.aws manages this configuration; this module fills
    that gap only.
  - The configuration is replaced as a whole - an option left out is unset, exactly like the API.
options:
  function_name:
    description: Name or ARN of the function.
    type: str
    required: true
  qualifier:
    description: A version number or alias name. Default is the unpublished version (C($LATEST)).
    type: str
  state:
    description: V(present) sets the configuration; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  maximum_retry_attempts:
    description: How many times Lambda retries a failed asynchronous invocation (0-2).
    type: int
  maximum_event_age_in_seconds:
    description: The oldest event Lambda still sends to the function (60-21600).
    type: int
  on_failure_destination:
    description:
      - ARN of an SNS topic, SQS queue, Lambda function or event bus.
      - It gets the events whose processing finally failed.
    type: str
  on_success_destination:
    description: ARN of a destination for events processed successfully.
    type: str
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Retry twice, then send the raw event to the alert topic
  bucketguard.visibility.lambda_event_invoke_config:
    function_name: bucketguard-notifier
    maximum_retry_attempts: 2
    on_failure_destination: arn:aws:sns:eu-west-3:123456789012:bucketguard-alerts

- name: Remove the configuration
  bucketguard.visibility.lambda_event_invoke_config:
    function_name: bucketguard-notifier
    state: absent
"""

RETURN = r"""
previous_event_invoke_config:
  description: The configuration found before any change; empty when there was none (or no function).
  returned: always
  type: dict
  sample:
    maximum_retry_attempts: 0
event_invoke_config:
  description: The configuration after the change (in check mode, the one that would be set); empty when absent.
  returned: always
  type: dict
  sample:
    maximum_retry_attempts: 2
    maximum_event_age_in_seconds: 21600
    destination_config:
      on_failure:
        destination: arn:aws:sns:eu-west-3:123456789012:bucketguard-alerts
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def wanted_config(params):
    """Build the API form of the configuration the module options ask for (unset options left out)."""
    config = {}
    if params.get("maximum_retry_attempts") is not None:
        config["MaximumRetryAttempts"] = params["maximum_retry_attempts"]
    if params.get("maximum_event_age_in_seconds") is not None:
        config["MaximumEventAgeInSeconds"] = params["maximum_event_age_in_seconds"]
    destinations = {}
    if params.get("on_success_destination"):
        destinations["OnSuccess"] = {"Destination": params["on_success_destination"]}
    if params.get("on_failure_destination"):
        destinations["OnFailure"] = {"Destination": params["on_failure_destination"]}
    if destinations:
        config["DestinationConfig"] = destinations
    return config


def normalise_config(config):
    """Reduce an API answer to the keys wanted_config() builds, empty destinations dropped.

    The API answers with FunctionArn and LastModified, and with empty OnSuccess/OnFailure objects
    for destinations that are not set; none of that is configuration.
    """
    if not config:
        return {}
    result = {}
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if config.get(key) is not None:
            result[key] = config[key]
    destinations = {}
    for key in ("OnSuccess", "OnFailure"):
        destination = ((config.get("DestinationConfig") or {}).get(key) or {}).get("Destination")
        if destination:
            destinations[key] = {"Destination": destination}
    if destinations:
        result["DestinationConfig"] = destinations
    return result


def config_differs(current, wanted):
    """True when the (normalised) current configuration is not the wanted one.

    An option left out of wanted counts as "unset": PutFunctionEventInvokeConfig replaces the whole
    configuration, so a current value for it is a difference - except MaximumRetryAttempts and
    MaximumEventAgeInSeconds, which AWS reports with its defaults (2 and 21600) when unset.
    """
    current = normalise_config(current)
    defaults = {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 21600}
    for key, default in defaults.items():
        if key not in wanted and current.get(key) == default:
            current.pop(key)
    return current != wanted


@AWSRetry.jittered_backoff()
def _get_config(client, function_name, qualifier):
    kwargs = {"FunctionName": function_name}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    return client.get_function_event_invoke_config(**kwargs)


def get_config(module, client, function_name, qualifier):
    """Return the current configuration, or None when there is none (or no function)."""
    try:
        return _get_config(client, function_name, qualifier)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Could not read the event invoke configuration of {function_name}")


def ensure_present(module, client, function_name, qualifier, current, wanted):
    changed = config_differs(current, wanted)
    if changed and not module.check_mode:
        kwargs = dict(wanted, FunctionName=function_name)
        if qualifier:
            kwargs["Qualifier"] = qualifier
        try:
            client.put_function_event_invoke_config(aws_retry=True, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Could not set the event invoke configuration of {function_name}")
    return changed, wanted


def ensure_absent(module, client, function_name, qualifier, current):
    if current is None:
        return False
    if not module.check_mode:
        kwargs = {"FunctionName": function_name}
        if qualifier:
            kwargs["Qualifier"] = qualifier
        try:
            client.delete_function_event_invoke_config(aws_retry=True, **kwargs)
        except is_boto3_error_code("ResourceNotFoundException"):
            return False
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg=f"Could not remove the event invoke configuration of {function_name}")
    return True


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            function_name=dict(type="str", required=True),
            qualifier=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            maximum_retry_attempts=dict(type="int"),
            maximum_event_age_in_seconds=dict(type="int"),
            on_failure_destination=dict(type="str"),
            on_success_destination=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    retries = params["maximum_retry_attempts"]
    if retries is not None and not 0 <= retries <= 2:
        module.fail_json(msg=f"maximum_retry_attempts must be 0-2, got {retries}")
    age = params["maximum_event_age_in_seconds"]
    if age is not None and not 60 <= age <= 21600:
        module.fail_json(msg=f"maximum_event_age_in_seconds must be 60-21600, got {age}")

    client = module.client("lambda", retry_decorator=AWSRetry.jittered_backoff())
    function_name = params["function_name"]
    qualifier = params["qualifier"]
    current = get_config(module, client, function_name, qualifier)
    before = normalise_config(current)

    if params["state"] == "present":
        changed, after = ensure_present(module, client, function_name, qualifier, current, wanted_config(params))
    else:
        changed = ensure_absent(module, client, function_name, qualifier, current)
        after = {}

    module.exit_json(
        changed=changed,
        previous_event_invoke_config=camel_dict_to_snake_dict(before),
        event_invoke_config=camel_dict_to_snake_dict(after),
        diff={"before": before, "after": after},
    )


if __name__ == "__main__":
    main()

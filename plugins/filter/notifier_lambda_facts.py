# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: notifier_lambda_facts
short_description: The notifier_lambda role's names, ARNs, queue settings, policies and environment
version_added: 0.3.0
description:
  - What the C(notifier_lambda) role computes from its inputs (C(notifier_lambda_facts) in
    C(plugins/module_utils/notifier_lambda.py)), ARNs made from names so that they exist in check mode.
  - Keys C(partition), C(account), C(is_home), C(tasks), C(failed_invocations_description), C(arn), C(role_arn),
    C(log_group), C(publish_topic_arn), C(policy) (the notifier role's, from C(notifier_policy.py)), C(alarm_arn),
    C(rule_arn), C(home_bus_arn), C(forwarder_role_arn), C(rule_target), C(home_prefix), C(buffer_queue_arn),
    C(dead_letter_arn), C(dedup_table_arn), C(buffer_visibility_timeout), C(buffer_retention_seconds),
    C(dead_letter_retention_seconds), C(redrive_policy), C(buffer_queue_policy), C(queues), C(policy_name),
    C(trust_policy), C(environment) (every value a string), C(permissions), C(forwarder_trust), C(forwarder_policy).
  - Organisation mode (docs/organisation.md) - C(hub) (the fleet's hub view as given), C(hub_mode),
    C(reader_role_name), C(alarm_state_rule_name), C(alarm_state_accounts), C(alarm_state_rule_arn), C(wanted_policy),
    C(wanted_queue_policy), C(wanted_environment) (what the hub's home host sets; the standalone values when
    O(hub) is empty),
    C(member_target), C(member_log_group), C(member_roles) (the member's forwarder and reader roles),
    C(alarm_forward_rule_name), C(log_alarm_arns).
options:
  _input:
    description: The role's inputs, every C(notifier_lambda_*) variable, as one dict.
    type: dict
    required: true
  partition:
    description: The fleet's partition (C(bucketguard_partition)).
    type: str
    required: true
  region:
    description: The host's region (C(aws_region)).
    type: str
    required: true
  hub:
    description: The fleet's hub view (C(bucketguard_hub), published by the inventory check); empty in standalone mode.
    type: dict
    default: {}
  prefix:
    description: The fleet's name prefix (C(bucketguard_name_prefix)), for organisation mode's names.
    type: str
    default: bucketguard
author:
  - bucketguard contributors (!UNKNOWN)
"""

EXAMPLES = r"""
__notifier_lambda_facts: >-
  {{ __notifier_lambda_inputs | bucketguard.visibility.notifier_lambda_facts(partition='aws', region=aws_region,
     hub=bucketguard_hub | default({}), prefix=bucketguard_name_prefix | default('bucketguard')) }}
environment: "{{ __notifier_lambda_facts.environment }}"
"""

RETURN = r"""
_value:
  description: The values, by name.
  type: dict
"""

from ansible_collections.bucketguard.visibility.plugins.module_utils.notifier_lambda import notifier_lambda_facts


class FilterModule:
    def filters(self):
        return {"notifier_lambda_facts": notifier_lambda_facts}

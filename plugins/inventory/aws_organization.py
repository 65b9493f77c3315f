# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: aws_organization
short_description: One host per account x region of an AWS Organization, in bucketguard's host model
version_added: 0.1.0
description:
  - Lists the ACTIVE accounts of the AWS Organization (called as the management account or a delegated
    administrator) and builds the host model the playbooks of this collection use (C(docs/design.md)) -
    a group C(account_<id>) per account, one host C(<id>-<region>) per account and region.
  - "Host variable: C(aws_region). The host whose region is the account's C(bucketguard_home_region_name) holds
    the account's stack (the playbooks derive it; the boolean C(bucketguard_home_region) is no longer set)."
  - "Variables of group C(account_<id>), which each of its hosts inherits: C(bucketguard_account_id) (12 digits,
    a string), C(bucketguard_home_region_name), C(bucketguard_partition) (the organisation's, C(aws), C(aws-cn)...),
    C(bucketguard_assume_role_arn) (when O(deploy_role_name) is set),
    C(bucketguard_account_name), C(bucketguard_ou_ids) and C(bucketguard_ou_names) (the OU chain from the
    root down, root excluded) and C(bucketguard_account_tags) (only when tags were read). Group C(bucketguard)
    sets C(ansible_connection=local) (no host is a machine). O(compose) sees all of them."
  - Groups - C(bucketguard) holds everything; under it one group per organizational unit, C(ou_<name>)
    (lower case, every character other than a letter, digit or underscore becomes C(_); two OUs with the
    same name get C(ou_<name>_<ou id>)), nested as the OUs are, so C(--limit ou_prod) takes the accounts of
    C(Prod) and of every OU below it. Accounts directly under the root sit directly under C(bucketguard).
  - Suspended, pending-closure and other non-ACTIVE accounts are skipped and named in a warning.
  - The whole inventory is built and checked in memory first; any error (a bad option, a missing
    permission, an unknown region or OU) fails the source with nothing added, so no playbook can run
    on a partial fleet.
  - The configuration file must end with C(aws_organization.yml) or C(aws_organization.yaml), for example
    C(fleet.aws_organization.yml). Unknown keys in it are an error.
  - With O(cache=true), a second build within O(cache_timeout) is served from Ansible's inventory cache and
    makes no AWS call at all (not even O(assume_role_arn)'s). C(--flush-cache) forces a fresh read.
notes:
  - "Permissions (least privilege), all read-only: C(organizations:ListRoots),
    C(organizations:ListOrganizationalUnitsForParent), C(organizations:ListAccountsForParent); with
    O(account_tags) or O(home_region_tag) also C(organizations:ListTagsForResource); with
    O(regions_from=enabled) also C(account:ListRegions) and C(sts:GetCallerIdentity)."
  - The Organizations API is global; its endpoint lives in C(us-east-1) for the C(aws) partition, which is the
    region used when O(region) is not set. In another partition set O(region) (for example C(cn-northwest-1)).
  - The partition of every ARN (C(arn:aws:...), C(arn:aws-cn:...)) is the organisation's own, read from the
    account ARNs that Organizations returns.
author:
  - bucketguard contributors (!UNKNOWN)
extends_documentation_fragment:
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
options:
  plugin:
    description: The name of this plugin; must be C(bucketguard.visibility.aws_organization).
    required: true
    type: str
    choices: ["bucketguard.visibility.aws_organization"]
  regions:
    description:
      - The regions of every account when O(regions_from=list) (then required, non-empty).
      - With O(regions_from=enabled), an optional allow-list - only these of each account's enabled regions.
      - Each must be a region of the organisation's partition that botocore knows (a typo is an error).
    type: list
    elements: str
    default: []
  regions_from:
    description:
      - V(list) - every account gets the regions of O(regions).
      - V(enabled) - every region enabled in each account (C(ENABLED) or C(ENABLED_BY_DEFAULT)), read with the
        Account API C(ListRegions) for that account (one call per account).
    type: str
    choices: [list, enabled]
    default: list
  home_region:
    description:
      - The home region of every account (where the trail, topic, alarm and dashboard live).
      - With O(home_region_tag), the fallback for accounts that do not carry the tag.
      - One of O(home_region) and O(home_region_tag) is required. The home region must be one of the account's regions.
    type: str
  home_region_tag:
    description:
      - An account tag key whose value names that account's home region (for example C(bucketguard:home-region)).
      - Accounts without the tag use O(home_region); without it, such an account is an error.
    type: str
  deploy_role_name:
    description:
      - The role the playbooks assume in each account, for example C(OrganizationAccountAccessRole) or
        C(automation/bucketguard-deployer) (a path is allowed). Sets C(bucketguard_assume_role_arn) to
        C(arn:<partition>:iam::<account id>:role/<deploy_role_name>) on every host.
      - Unset, no C(bucketguard_assume_role_arn) is set (the job's own credentials are used as they are).
    type: str
  include_accounts:
    description: Only these account ids (12 digits, quote them). Empty means every account.
    type: list
    elements: str
    default: []
  exclude_accounts:
    description: Never these account ids. Wins over every include.
    type: list
    elements: str
    default: []
  include_ous:
    description:
      - Only accounts in these OUs (ids C(ou-...), or the root C(r-...)) or in any OU nested below them.
      - An id that is not in the organisation is an error.
    type: list
    elements: str
    default: []
  exclude_ous:
    description: Never accounts in these OUs or in any OU nested below them. Wins over every include.
    type: list
    elements: str
    default: []
  account_tags:
    description:
      - "Only accounts carrying every one of these tags with exactly this value, for example C(bucketguard: enabled)."
      - Reading tags costs one C(ListTagsForResource) call per candidate account; they are read only when this
        or O(home_region_tag) is set.
    type: dict
    default: {}
  max_workers:
    description: How many per-account calls (tags, enabled regions) run at once.
    type: int
    default: 8
"""

EXAMPLES = r"""
---
# fleet.aws_organization.yml - every ACTIVE account, two regions, home region eu-west-3
plugin: bucketguard.visibility.aws_organization
regions: [eu-west-3, us-east-1]
home_region: eu-west-3
deploy_role_name: OrganizationAccountAccessRole

---
# Every enabled region of each account, home region from an account tag, only the Workloads OU
# (and the OUs below it) but not the Sandbox OU, only accounts tagged bucketguard=enabled; cached 1 hour.
plugin: bucketguard.visibility.aws_organization
regions_from: enabled
home_region_tag: "bucketguard:home-region"
home_region: us-east-1
deploy_role_name: automation/bucketguard-deployer
include_ous: [ou-ab12-workload1]
exclude_ous: [ou-ab12-sandbox01]
account_tags:
  bucketguard: enabled
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /tmp/bucketguard-inventory-cache
cache_timeout: 3600
# A group per home region as well:
keyed_groups:
  - key: bucketguard_home_region_name
    prefix: home
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor

try:
    import boto3
    import botocore
except ImportError:
    pass  # amazon.aws's require_aws_sdk() reports it

from ansible.errors import AnsibleOptionsError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase

# --- Formats --------------------------------------------------------------------------------------
ACCOUNT_ID_RE = re.compile(r"[0-9]{12}\Z")
# A region name as check_inventory.yml reads it, anchored at both ends (\Z: no trailing newline).
REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]\Z")
# IAM: an optional path (/a/b/) then a name of 1-64 of [A-Za-z0-9+=,.@_-].
ROLE_NAME_RE = re.compile(r"/?([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}\Z")
OU_ID_RE = re.compile(r"(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})\Z")
ENABLED_STATUSES = ("ENABLED", "ENABLED_BY_DEFAULT")
# Ansible's own keys of an inventory config, beside the documented options.
_ALWAYS_ALLOWED = {"plugin"}


# --- Pure helpers ----------------------------------------------------------------------------------
def role_arn(partition, account_id, role_name):
    """arn:<partition>:iam::<account>:role/<path/name> for a role name with an optional path."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name.lstrip('/')}"


def partition_of(arn):
    """The partition of an ARN (aws, aws-cn, aws-us-gov...)."""
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


def known_regions(partition):
    """The regions botocore knows for a partition (empty if it knows none: the check is then skipped)."""
    return set(boto3.session.Session().get_available_regions("s3", partition_name=partition))


def group_name(text):
    """Lower case; every character other than a letter, digit or underscore becomes '_'."""
    return re.sub(r"[^a-z0-9_]", "_", text.lower())


def ou_group_names(ous):
    """{ou id: group name}: ou_<name>, or ou_<name>_<id> for OUs whose names collide."""
    by_name = {}
    for ou_id, ou in ous.items():
        by_name.setdefault(group_name(ou["name"]), []).append(ou_id)
    names = {}
    for name, ids in by_name.items():
        for ou_id in ids:
            names[ou_id] = f"ou_{name}" if len(ids) == 1 else f"ou_{name}_{group_name(ou_id)}"
    return names


def check_settings(options):
    """Check the options that need no AWS call; return the settings the build uses.

    Raises AnsibleParserError listing every problem found.
    """
    problems = []
    s = {
        "regions": [str(r) for r in options.get("regions") or []],
        "regions_from": options.get("regions_from") or "list",
        "home_region": options.get("home_region") or None,
        "home_region_tag": options.get("home_region_tag") or None,
        "deploy_role_name": options.get("deploy_role_name") or None,
        "account_tags": {str(k): str(v) for k, v in (options.get("account_tags") or {}).items()},
        "max_workers": options.get("max_workers") or 8,
    }
    for key in ("include_accounts", "exclude_accounts"):
        ids = [str(a) for a in options.get(key) or []]
        bad = [a for a in ids if not ACCOUNT_ID_RE.match(a)]
        if bad:
            problems.append(f"{key}: not 12-digit account ids (quote them in YAML): {bad}.")
        s[key] = set(ids)
    for key in ("include_ous", "exclude_ous"):
        ids = [str(o) for o in options.get(key) or []]
        bad = [o for o in ids if not OU_ID_RE.match(o)]
        if bad:
            problems.append(f"{key}: not OU ids (ou-xxxx-xxxxxxxx) or a root id (r-xxxx): {bad}.")
        s[key] = set(ids)
    if s["regions_from"] not in ("list", "enabled"):
        problems.append(f"regions_from must be 'list' or 'enabled', got {s['regions_from']!r}.")
    if s["regions_from"] == "list" and not s["regions"]:
        problems.append("regions is required (a non-empty list) when regions_from is 'list'.")
    bad = [r for r in s["regions"] if not REGION_RE.match(r)]
    if bad:
        problems.append(f"regions: not region names such as eu-west-3: {bad}.")
    if len(set(s["regions"])) != len(s["regions"]):
        problems.append(
            f"regions: listed more than once: {sorted({r for r in s['regions'] if s['regions'].count(r) > 1})}."
        )
    if s["home_region"] is not None and not REGION_RE.match(str(s["home_region"])):
        problems.append(f"home_region: not a region name such as eu-west-3: {s['home_region']!r}.")
    if not s["home_region"] and not s["home_region_tag"]:
        problems.append("home_region or home_region_tag is required (each account needs one home region).")
    role = s["deploy_role_name"]
    if role is not None and (not ROLE_NAME_RE.match(str(role)) or len(str(role)) > 576):
        problems.append(
            f"deploy_role_name: not an IAM role name (optional path, then 1-64 of A-Za-z0-9+=,.@_-): {role!r}."
        )
    if not isinstance(s["max_workers"], int) or s["max_workers"] < 1:
        problems.append(f"max_workers must be a positive integer, got {s['max_workers']!r}.")
    if problems:
        raise AnsibleParserError("aws_organization: invalid configuration: " + " ".join(problems))
    return s


def ou_chain(parent, ous):
    """The OU ids from the root's child down to `parent` (root excluded)."""
    chain = []
    while parent in ous:
        chain.append(parent)
        parent = ous[parent]["parent"]
    return chain[::-1]


def select_accounts(org, settings):
    """Apply the id and OU filters and the state rule.

    Returns (candidates, skipped, warnings): candidates are ACTIVE accounts that passed the filters;
    skipped are the non-ACTIVE accounts that passed them.
    """
    known_parents = set(org["ous"]) | {org["root"]}
    unknown = sorted((settings["include_ous"] | settings["exclude_ous"]) - known_parents)
    if unknown:
        raise AnsibleParserError(
            f"aws_organization: include_ous/exclude_ous name OUs that are not in the organisation: {unknown}."
        )
    warnings = []
    missing = sorted(settings["include_accounts"] - {a["id"] for a in org["accounts"]})
    if missing:
        warnings.append(f"include_accounts names accounts that are not in the organisation: {missing}.")
    candidates, skipped = [], []
    for account in sorted(org["accounts"], key=lambda a: a["id"]):
        chain = ou_chain(account["parent"], org["ous"])
        ancestors = {org["root"], *chain}
        if settings["include_accounts"] and account["id"] not in settings["include_accounts"]:
            continue
        if account["id"] in settings["exclude_accounts"]:
            continue
        if settings["include_ous"] and not ancestors & settings["include_ous"]:
            continue
        if ancestors & settings["exclude_ous"]:
            continue
        account = {**account, "ou_chain": chain}
        (candidates if account["state"] == "ACTIVE" else skipped).append(account)
    return candidates, skipped, warnings


def build_model(org, settings, tags_of, regions_of):
    """The whole inventory as plain data (JSON-able: what the cache holds), or AnsibleParserError.

    org: {"root": id, "ous": {id: {"name", "parent"}}, "accounts": [{"id", "name", "arn", "state", "parent"}]}
    tags_of(ids) -> {id: {key: value}}; regions_of(ids) -> {id: [region, ...]}: the per-account API calls,
    made only when needed and only for accounts that passed every other filter.
    """
    candidates, skipped, warnings = select_accounts(org, settings)
    partition = partition_of(org["accounts"][0]["arn"]) if org["accounts"] else "aws"
    known = known_regions(partition)

    def unknown_regions(regions):
        return sorted(r for r in regions if known and r not in known)

    bad = unknown_regions([*settings["regions"], *([settings["home_region"]] if settings["home_region"] else [])])
    if bad:
        raise AnsibleParserError(
            f"aws_organization: regions not in partition {partition} (botocore knows {sorted(known)}): {bad}."
        )
    problems = []

    need_tags = bool(settings["account_tags"] or settings["home_region_tag"])
    tags = tags_of([a["id"] for a in candidates]) if need_tags and candidates else {}
    if settings["account_tags"]:
        wanted = settings["account_tags"].items()
        candidates = [a for a in candidates if all(tags.get(a["id"], {}).get(k) == v for k, v in wanted)]
    if settings["regions_from"] == "enabled" and candidates:
        enabled = regions_of([a["id"] for a in candidates])
        allow = set(settings["regions"])
        regions = {i: sorted(r for r in rs if not allow or r in allow) for i, rs in enabled.items()}
    else:
        regions = {a["id"]: list(settings["regions"]) for a in candidates}

    accounts = []
    for account in candidates:
        account_id = account["id"]
        home = settings["home_region"]
        if settings["home_region_tag"] and settings["home_region_tag"] in tags.get(account_id, {}):
            home = tags[account_id][settings["home_region_tag"]]
            if not REGION_RE.match(home) or unknown_regions([home]):
                problems.append(
                    f"account {account_id}: tag {settings['home_region_tag']}={home!r} "
                    f"is not a region of partition {partition}."
                )
                continue
        if not home:
            problems.append(
                f"account {account_id}: no tag {settings['home_region_tag']} and no home_region to fall back on."
            )
            continue
        account_regions = regions.get(account_id, [])
        if home not in account_regions:
            problems.append(f"account {account_id}: home region {home} is not one of its regions {account_regions}.")
            continue
        entry = {
            "id": account_id,
            "name": account["name"],
            "partition": partition_of(account["arn"]),
            "ou_chain": account["ou_chain"],
            "regions": account_regions,
            "home_region": home,
        }
        if settings["deploy_role_name"]:
            entry["role_arn"] = role_arn(entry["partition"], account_id, settings["deploy_role_name"])
        if need_tags:
            entry["tags"] = tags.get(account_id, {})
        accounts.append(entry)
    if problems:
        raise AnsibleParserError("aws_organization: " + " ".join(problems))

    used = {ou for a in accounts for ou in a["ou_chain"]}
    ous = {ou: dict(org["ous"][ou]) for ou in sorted(used)}
    for ou in ous.values():
        if ou["parent"] not in ous:
            ou["parent"] = None
    if not accounts:
        warnings.append(
            "no account to deploy to: the organisation has no ACTIVE account matching this configuration "
            f"({len(org['accounts'])} account(s) in the organisation)."
        )
    return {
        "accounts": accounts,
        "ous": ous,
        "skipped": [{"id": a["id"], "name": a["name"], "state": a["state"]} for a in skipped],
        "warnings": warnings,
    }


GROUP_VARS = {"ansible_connection": "local"}  # on group bucketguard: no host is a machine


def account_vars(account, ou_names):
    """The variables of group account_<id> (every host of the account inherits them)."""
    av = {
        "bucketguard_account_id": account["id"],
        "bucketguard_account_name": account["name"],
        "bucketguard_home_region_name": account["home_region"],
        "bucketguard_partition": account["partition"],
        "bucketguard_ou_ids": list(account["ou_chain"]),
        "bucketguard_ou_names": [ou_names[ou] for ou in account["ou_chain"]],
    }
    if "role_arn" in account:
        av["bucketguard_assume_role_arn"] = account["role_arn"]
    if "tags" in account:
        av["bucketguard_account_tags"] = dict(account["tags"])
    return av


def host_vars(account, region):
    """The variables of host <id>-<region> itself."""
    return {"aws_region": region}


# --- API -------------------------------------------------------------------------------------------
def _api_error(service, exc):
    """AnsibleParserError for a failed call, naming the missing permission when it is one."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        operation = getattr(exc, "operation_name", "") or "?"
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return AnsibleParserError(
                f"aws_organization: access denied to {service}:{operation}; the inventory needs the IAM permission "
                f"{service}:{operation} (and must be called as the organisation's management account or a "
                f"delegated administrator): {to_native(exc)}"
            )
        if code == "AWSOrganizationsNotInUseException":
            return AnsibleParserError(
                f"aws_organization: these credentials' account is not in an organisation: {to_native(exc)}"
            )
        return AnsibleParserError(f"aws_organization: {service}:{operation} failed: {to_native(exc)}")
    return AnsibleParserError(f"aws_organization: call to {service} failed: {to_native(exc)}")


def _pages(client, service, operation, key, **params):
    try:
        return client.get_paginator(operation).paginate(**params).build_full_result().get(key, [])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        raise _api_error(service, e) from e


def walk_organization(client):
    """The OU tree and every account, walked once from the root down (never ListParents per account)."""
    roots = _pages(client, "organizations", "list_roots", "Roots")
    if not roots:
        raise AnsibleParserError("aws_organization: the organisation has no root (ListRoots returned none).")
    root = roots[0]["Id"]
    ous, accounts, queue = {}, [], [root]
    while queue:
        parent = queue.pop()
        for a in _pages(client, "organizations", "list_accounts_for_parent", "Accounts", ParentId=parent):
            state = a.get("State") or a.get("Status") or "UNKNOWN"
            accounts.append(
                {"id": a["Id"], "name": a.get("Name", ""), "arn": a["Arn"], "state": state, "parent": parent}
            )
        for ou in _pages(
            client, "organizations", "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
        ):
            ous[ou["Id"]] = {"name": ou.get("Name") or ou["Id"], "parent": parent}
            queue.append(ou["Id"])
    return {"root": root, "ous": ous, "accounts": accounts}


def account_tags(client, account_id):
    tags = _pages(client, "organizations", "list_tags_for_resource", "Tags", ResourceId=account_id)
    return {t["Key"]: t["Value"] for t in tags}


def enabled_regions(client, account_id, own_account_id):
    """Regions ENABLED or ENABLED_BY_DEFAULT in an account (the caller's own: no AccountId, as the API wants)."""
    params = {"RegionOptStatusContains": list(ENABLED_STATUSES)}
    if account_id != own_account_id:
        params["AccountId"] = account_id
    regions = _pages(client, "account", "list_regions", "Regions", **params)
    return sorted(r["RegionName"] for r in regions if r.get("RegionOptStatus") in ENABLED_STATUSES)


def fan_out(function, ids, max_workers):
    """{id: function(id)} with up to max_workers calls at once; the first error is raised."""
    if max_workers == 1 or len(ids) < 2:
        return {i: function(i) for i in ids}
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return dict(zip(ids, pool.map(function, ids), strict=True))


# --- The plugin ------------------------------------------------------------------------------------
class InventoryModule(AWSInventoryBase):
    NAME = "bucketguard.visibility.aws_organization"
    INVENTORY_FILE_SUFFIXES = ("aws_organization.yml", "aws_organization.yaml")

    def _do_fail(self, message):
        raise AnsibleParserError(message)

    def _check_unknown_options(self, config):
        allowed = set(_ALWAYS_ALLOWED)
        for name, definition in self.option_definitions.items():
            allowed.add(name)
            allowed.update(definition.get("aliases") or [])
        unknown = sorted(str(k) for k in config if k not in allowed)
        if unknown:
            raise AnsibleParserError(
                f"aws_organization: unknown option(s) {unknown}; the options are {sorted(self.option_definitions)}."
            )

    def _settings(self):
        keys = (
            "regions",
            "regions_from",
            "home_region",
            "home_region_tag",
            "deploy_role_name",
            "include_accounts",
            "exclude_accounts",
            "include_ous",
            "exclude_ous",
            "account_tags",
            "max_workers",
        )
        return check_settings({k: self.get_option(k) for k in keys})

    def _query(self, settings):
        region = self.region or "us-east-1"
        organizations = self.client("organizations", region=region)
        org = walk_organization(organizations)
        workers = settings["max_workers"]

        def tags_of(ids):
            return fan_out(lambda i: account_tags(organizations, i), ids, workers)

        def regions_of(ids):
            account = self.client("account", region=region)
            try:
                own = self.client("sts", region=region).get_caller_identity()["Account"]
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                raise _api_error("sts", e) from e
            return fan_out(lambda i: enabled_regions(account, i, own), ids, workers)

        # Plain JSON data: values that came from the config file carry Ansible's data tags, which would be
        # serialised into the cache with them and make reading it back ~10x slower.
        return json.loads(json.dumps(build_model(org, settings, tags_of, regions_of)))

    def _populate(self, model):
        """Add the model to the inventory, or nothing: what was added is taken out again if compose,
        groups or keyed_groups fail (strict)."""
        hosts_before, groups_before = set(self.inventory.hosts), set(self.inventory.groups)
        try:
            self._add(model)
        except Exception as e:
            for name in set(self.inventory.hosts) - hosts_before:
                self.inventory.remove_host(self.inventory.hosts[name])
            for name in set(self.inventory.groups) - groups_before:
                self.inventory.remove_group(self.inventory.groups[name])
            if isinstance(e, AnsibleParserError):
                raise
            raise AnsibleParserError(f"aws_organization: {to_native(e)}") from e

    def _add(self, model):
        inventory = self.inventory
        strict = self.get_option("strict")
        compose, groups, keyed = self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups")
        constructed = bool(compose or groups or keyed)
        ou_groups = ou_group_names(model["ous"])
        ou_names = {ou_id: ou["name"] for ou_id, ou in model["ous"].items()}
        inventory.add_group("bucketguard")
        for key, value in GROUP_VARS.items():
            inventory.set_variable("bucketguard", key, value)
        for ou_id in model["ous"]:
            inventory.add_group(ou_groups[ou_id])
        for ou_id, ou in model["ous"].items():
            inventory.add_child(ou_groups.get(ou["parent"], "bucketguard"), ou_groups[ou_id])
        for account in model["accounts"]:
            # Account-level values are group vars (as in inventories/example/hosts.yml): 2 variables per host
            # instead of 9 keeps 17,000 hosts fast; every host sees them as its own.
            group = inventory.add_group(f"account_{account['id']}")
            parent = ou_groups[account["ou_chain"][-1]] if account["ou_chain"] else "bucketguard"
            inventory.add_child(parent, group)
            av = account_vars(account, ou_names)
            for key, value in av.items():
                inventory.set_variable(group, key, value)
            for region in account["regions"]:
                host = inventory.add_host(f"{account['id']}-{region}", group=group)
                hv = host_vars(account, region)
                for key, value in hv.items():
                    inventory.set_variable(host, key, value)
                if constructed:
                    every = {**GROUP_VARS, **av, **hv}
                    self._set_composite_vars(compose, every, host, strict=strict)
                    self._add_host_to_composed_groups(groups, every, host, strict=strict)
                    self._add_host_to_keyed_groups(keyed, every, host, strict=strict)

    def _warn(self, model):
        if model["skipped"]:
            listed = ", ".join(f"{a['id']} ({a['name']}, {a['state']})" for a in model["skipped"])
            self.warn(f"aws_organization: skipped {len(model['skipped'])} account(s) that are not ACTIVE: {listed}.")
        for warning in model["warnings"]:
            self.warn(f"aws_organization: {warning}")

    def parse(self, inventory, loader, path, cache=True):
        # Not AWSInventoryBase.parse: it assumes assume_role_arn at once, and a cache hit must make no call.
        BaseInventoryPlugin.parse(self, inventory, loader, path)
        self.require_aws_sdk()
        try:
            config = self._read_config_data(path)
        except AnsibleOptionsError as e:  # a wrong type or choice: the same kind of error as ours
            raise AnsibleParserError(f"aws_organization: invalid configuration: {to_native(e)}") from e
        self._check_unknown_options(config)
        settings = self._settings()
        cached, model = self.get_cached_result(path, cache)
        if not cached:
            self._set_frozen_credentials()
            model = self._query(settings)
        self._warn(model)
        self._populate(model)
        self.update_cached_result(path, cache, model)

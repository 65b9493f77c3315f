#!/usr/bin/python
# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: s3_exposure_audit
short_description: Judge whether every S3 bucket of one account is public right now (read-only)
version_added: 0.2.0
description:
  - Lists every bucket of the account, reads what decides its exposure (account and bucket Block Public Access,
    bucket policy, ACL, ownership controls, tags, region), and judges it with the notifier's own code
    (C(bucket_state.read_bucket_state), C(exposure.assess), S3's policy status as a second opinion,
    C(exposure.verdict_is_certain), C(exposure.allowlist_reason)), in the same order as the notifier.
  - All reads of one account happen in one module run, over a bounded pool of threads, one S3 client per
    bucket region. Only C(Get*), C(List*) and C(Head*) calls are made; the module changes nothing and
    never reports a change.
  - A part that cannot be read (for example an C(AccessDenied) on the bucket policy) or a bucket that
    disappears during the scan does not stop the run; the bucket gets C(public=null) with the reason when the
    verdict is not certain. An account that cannot be listed gives an empty list and the error in O(errors).
  - Throttling is retried with C(AWSRetry.jittered_backoff).
options:
  account_id:
    description:
      - The 12-digit id of the account the credentials belong to. The module checks it against
        C(sts:GetCallerIdentity) and reports a mismatch as an account error (nothing is read).
      - When omitted, the caller's account is used.
    type: str
  allowlist:
    description: Bucket name globs (C(fnmatch), case-sensitive) of buckets meant to be public.
    type: list
    elements: str
    default: []
  allow_tag:
    description: The tag, as C(key=value), that marks a bucket as meant to be public.
    type: str
    default: "bucketguard:public=approved"
  policy_status:
    description:
      - Also read S3's own verdict on the bucket policy (C(GetBucketPolicyStatus)) as a second opinion; when it
        and the rules disagree the more severe verdict wins and the reasons say so.
    type: bool
    default: true
  max_workers:
    description: How many buckets are read at the same time.
    type: int
    default: 16
author:
  - bucketguard contributors (!UNKNOWN)
notes:
  - Permissions needed - C(sts:GetCallerIdentity), C(s3:ListAllMyBuckets), C(s3:GetBucketLocation), C(s3:GetBucketAcl),
    C(s3:GetBucketPublicAccessBlock), C(s3:GetBucketPolicy), C(s3:GetBucketPolicyStatus),
    C(s3:GetBucketOwnershipControls), C(s3:GetBucketTagging) and C(s3:GetAccountPublicAccessBlock).
  - With a custom O(endpoint_url) (an emulator), S3 Control requests do not put the account id in the host name.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Judge every bucket of the account
  bucketguard.visibility.s3_exposure_audit:
    account_id: "123456789012"
    allowlist:
      - "public-website-*"
  register: audit

- name: Show the public buckets that are not allow-listed
  ansible.builtin.debug:
    msg: >-
      {{ audit.buckets | selectattr('public', 'true') | rejectattr('allowlisted')
         | map(attribute='bucket') | list }}
"""

RETURN = r"""
account_id:
  description: The account that was read.
  returned: always
  type: str
  sample: "123456789012"
partition:
  description: The AWS partition of the credentials (from the caller ARN), C(aws) when unknown.
  returned: always
  type: str
  sample: aws
complete:
  description: Whether the account's buckets could be listed (false means O(buckets) is empty or partial).
  returned: always
  type: bool
  sample: true
errors:
  description: Account-level problems ("part - code"), for example a failed listing or account Block Public Access read.
  returned: always
  type: list
  elements: str
  sample: ["account Block Public Access: AccessDenied"]
counts:
  description: How many buckets are public, public and allow-listed, not decided, and not public.
  returned: always
  type: dict
  sample: {"total": 3, "public": 1, "public_not_allowlisted": 1, "allowlisted": 0, "undecided": 1, "private": 1}
buckets:
  description: One entry per bucket, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    account_id:
      description: The bucket's account.
      type: str
      sample: "123456789012"
    region:
      description: The bucket's region (GetBucketLocation); null when it could not be read.
      type: str
      sample: eu-west-3
    bucket:
      description: The bucket name.
      type: str
      sample: website-assets
    public:
      description: True when public, false when not, null when the verdict is not certain (see RV(buckets.errors)).
      type: bool
      sample: true
    via:
      description: What makes it public (C(acl), C(policy)); what would when RV(buckets.public) is null.
      type: list
      elements: str
      sample: ["policy"]
    reasons:
      description: Why, in words (the notifier's reasons).
      type: list
      elements: str
      sample: ["bucket policy: statement 'Public' allows Principal \"*\" without a condition that pins it"]
    allowlisted:
      description: Why the bucket is meant to be public (name glob or tag), else null.
      type: str
      sample: "tagged bucketguard:public=approved"
    certain:
      description: Whether the verdict holds whatever the parts that could not be read say.
      type: bool
      sample: true
    errors:
      description: Parts that could not be read ("part - code"), account-level ones included.
      type: list
      elements: str
      sample: ["policy: AccessDenied"]
    block_public_access:
      description: Which Block Public Access flags are on, and where.
      type: str
      sample: "BlockPublicAcls=off, IgnorePublicAcls=off, BlockPublicPolicy=off, RestrictPublicBuckets=off"
    policy_status:
      description: S3's own verdict on the policy (GetBucketPolicyStatus), null when not available.
      type: bool
      sample: true
    policy_status_disagrees:
      description: C(s3-public) or C(rules-public) when S3's policy status and the rules disagree, else null.
      type: str
      sample: null
    missing:
      description: True when the bucket disappeared during the scan.
      type: bool
      sample: false
"""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

try:
    import botocore
    from botocore.config import Config
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.bucketguard.visibility.plugins.module_utils import exposure
from ansible_collections.bucketguard.visibility.plugins.module_utils.audit_report import counts
from ansible_collections.bucketguard.visibility.plugins.module_utils.bucket_state import (
    MISSING_BUCKET_CODES,
    error_code,
    read_account_pab,
    read_bucket_region,
    read_bucket_state,
    read_policy_status,
)

READ_PREFIXES = ("get_", "list_", "head_")
ACCOUNT_RE = re.compile(r"^\d{12}$")
PARTITION_RE = re.compile(r"^arn:(aws[a-z-]*):")


class ReadOnlyClient:
    """A boto3 client that can only read, and retries throttling on every call.

    The shared readers (bucket_state) call plain client methods; this wrapper gives each of them
    AWSRetry.jittered_backoff and refuses any method that is not Get*, List* or Head* before it
    reaches AWS, so the audit cannot change anything even by mistake.
    """

    def __init__(self, client, retry):
        self._client = client
        self._retry = retry
        self._methods = {}
        self._lock = threading.Lock()

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if not name.startswith(READ_PREFIXES):
            raise PermissionError(f"s3_exposure_audit is read-only: refusing to call {name}")
        with self._lock:
            if name not in self._methods:
                self._methods[name] = self._retry(getattr(self._client, name))
            return self._methods[name]


def retry_decorator():
    return AWSRetry.jittered_backoff(retries=6, delay=1, max_delay=20, catch_extra_error_codes=["SlowDown"])


class AccountAudit:
    """The reads and judgement of one account. ``client(service, region)`` gives read-only clients."""

    def __init__(self, client, account_id, allowlist, allow_tag, policy_status=True, max_workers=16):
        self.client = client
        self.account_id = account_id
        self.allowlist = tuple(allowlist)
        tag_key, _, tag_value = allow_tag.partition("=")
        self.tag_key, self.tag_value = tag_key.strip(), tag_value.strip()
        self.policy_status = policy_status
        self.max_workers = max(1, max_workers)

    def list_buckets(self, errors):
        """[{"Name", "BucketRegion"?}], or None when the account's buckets cannot be listed."""
        s3 = self.client("s3", None)
        found, kwargs = [], {}
        try:
            while True:
                page = s3.list_buckets(**kwargs)
                found.extend(page.get("Buckets", []))
                token = page.get("ContinuationToken")
                if not token or token == kwargs.get("ContinuationToken"):
                    return found
                kwargs["ContinuationToken"] = token
        except Exception as exc:  # denied, no credentials, endpoint down: the account's error, not a crash
            errors.append(f"ListBuckets: {error_code(exc)}")
            return None

    def bucket(self, listed, account_pab, account_errors):
        """One bucket's entry, judged exactly as the notifier judges it (Notifier.enrich)."""
        name = listed["Name"]
        errors = []
        region = read_bucket_region(self.client("s3", None), name, errors)
        if any(e.split(": ", 1)[-1] in MISSING_BUCKET_CODES for e in errors):
            return self._missing(name, listed.get("BucketRegion"), errors)
        s3 = self.client("s3", region or listed.get("BucketRegion"))
        state = read_bucket_state(s3, name, account_pab)
        if state.missing:
            return self._missing(name, region, errors + state.errors)
        errors = list(account_errors) + errors + state.errors
        status = read_policy_status(s3, name, errors) if self.policy_status else None
        result = exposure.judge(state.state, errors, status)
        certain = exposure.verdict_is_certain(result, errors)
        reasons = list(result["reasons"])
        if not certain:
            reasons.append(
                "not decided: parts that could change the verdict could not be read ("
                + ", ".join(sorted({e.split(":", 1)[0] for e in errors}))
                + f"); the rules alone would say {'public' if result['public'] else 'not public'}"
            )
        return {
            "account_id": self.account_id,
            "region": region,
            "bucket": name,
            "public": result["public"] if certain else None,
            "via": list(result["via"]),
            "reasons": reasons,
            "allowlisted": exposure.allowlist_reason(name, state.tags, self.allowlist, self.tag_key, self.tag_value),
            "certain": certain,
            "errors": errors,
            "block_public_access": exposure.block_public_access_summary(state.state),
            "policy_status": result.get("policy_status"),
            "policy_status_disagrees": result.get("policy_status_disagrees"),
            "missing": False,
        }

    def _missing(self, name, region, errors):
        return {
            "account_id": self.account_id,
            "region": region,
            "bucket": name,
            "public": None,
            "via": [],
            "reasons": ["the bucket was listed but no longer exists (deleted during the scan?)"],
            "allowlisted": None,
            "certain": False,
            "errors": errors,
            "block_public_access": "",
            "policy_status": None,
            "policy_status_disagrees": None,
            "missing": True,
        }

    def run(self):
        """{"account_id", "complete", "errors", "buckets", "counts"}; reads only."""
        errors = []
        listed = self.list_buckets(errors)
        buckets = []
        if listed is not None:
            account_pab = read_account_pab(self.client("s3control", None), self.account_id, errors)
            account_errors = list(errors)

            def one(item):
                try:
                    return self.bucket(item, account_pab, account_errors)
                except Exception as exc:  # one bucket's surprise must not lose the others
                    entry = self._missing(item["Name"], item.get("BucketRegion"), [f"audit: {error_code(exc)}"])
                    entry.update(missing=False, reasons=[f"not decided: the audit failed on this bucket ({exc})"])
                    return entry

            if self.max_workers == 1 or len(listed) <= 1:
                buckets = [one(item) for item in listed]
            else:
                with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="s3-audit") as pool:
                    buckets = list(pool.map(one, listed))
        buckets.sort(key=lambda b: b["bucket"])
        return {
            "account_id": self.account_id,
            "complete": listed is not None,
            "errors": errors,
            "buckets": buckets,
            "counts": counts(buckets),
        }


def caller_identity(module, retry):
    """(account id, partition) of the credentials, or raises the boto error."""
    sts = ReadOnlyClient(module.client("sts"), retry)
    identity = sts.get_caller_identity()
    match = PARTITION_RE.match(identity.get("Arn") or "")
    return str(identity.get("Account") or ""), match.group(1) if match else "aws"


def strip_account_host(request, **_kwargs):
    """S3 Control puts the account id in the host name (``<account>.s3-control...``); with a custom
    endpoint (an emulator) that name does not exist, so the request goes to the endpoint itself."""
    request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url, count=1)


def client_factory(module, max_workers):
    """Read-only clients per (service, region), made once each (creating clients is not thread-safe)."""
    retry = retry_decorator()
    endpoint = module.params.get("endpoint_url")
    cache = {}
    lock = threading.Lock()
    pool = Config(max_pool_connections=max(10, max_workers + 2))

    def factory(service, region):
        key = (service, region)
        with lock:
            if key not in cache:
                extra = {"config": pool}
                if region:
                    extra["region"] = region
                client = module.client(service, **extra)
                if service == "s3control" and endpoint:
                    client.meta.events.register("before-send.s3-control", strip_account_host)
                cache[key] = ReadOnlyClient(client, retry)
            return cache[key]

    return factory


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            account_id=dict(type="str"),
            allowlist=dict(type="list", elements="str", default=[]),
            allow_tag=dict(type="str", default="bucketguard:public=approved"),
            policy_status=dict(type="bool", default=True),
            max_workers=dict(type="int", default=16),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["account_id"] and not ACCOUNT_RE.match(params["account_id"]):
        module.fail_json(msg=f"account_id must be 12 digits, got {params['account_id']!r}")
    tag_key, sep, _ = params["allow_tag"].partition("=")
    if not sep or not tag_key.strip():
        module.fail_json(msg=f"allow_tag must look like key=value, got {params['allow_tag']!r}")
    if not 1 <= params["max_workers"] <= 64:
        module.fail_json(msg=f"max_workers must be between 1 and 64, got {params['max_workers']}")

    account_id, partition, notes = params["account_id"] or "", "aws", []
    try:
        caller, partition = caller_identity(module, retry_decorator())
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        # Without STS the given account id is trusted; without either nothing can be named.
        notes.append(f"GetCallerIdentity: {error_code(exc)}")
        caller = None
    if caller and account_id and caller != account_id:
        notes.append(f"the credentials belong to account {caller}, not {account_id}: nothing was read")
    account_id = account_id or caller or ""
    if not account_id or (caller and caller != account_id):
        module.exit_json(
            changed=False,
            account_id=account_id,
            partition=partition,
            complete=False,
            errors=notes,
            buckets=[],
            counts=counts([]),
        )

    audit = AccountAudit(
        client_factory(module, params["max_workers"]),
        account_id,
        params["allowlist"],
        params["allow_tag"],
        policy_status=params["policy_status"],
        max_workers=params["max_workers"],
    )
    result = audit.run()
    result["errors"][:0] = notes
    module.exit_json(changed=False, partition=partition, **result)


if __name__ == "__main__":
    main()

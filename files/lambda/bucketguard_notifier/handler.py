"""Lambda entry point: parse the event, read live bucket state, assess, mail. I/O lives here only.

Inputs (``events.parse_event``): a CloudWatch alarm action or an EventBridge "CloudWatch Alarm State Change"
event (alarm path), an EventBridge CloudTrail event or records (direct), and an SQS batch from the buffer queue
(fast path; bodies are EventBridge events or Lambda on-failure destination records replayed from the
dead-letter queue).

Organisation (hub) mode (BUCKETGUARD_READER_ROLE set): another account's buckets, and a log account's log
group, are read through that account's reader role (``AccountSessions``: sts:AssumeRole, cached); a role that
cannot be assumed is tried once per invocation and its buckets keep the request's own verdict, with the line of
``message.reader_unavailable``. One email per account. Unset: every read with the function's own role.

Never lose an alert: ``lambda_handler`` raises only when the SNS publish itself fails (so Lambda retries and
the dead-letter queue keeps the event) or when the topic ARN is missing/invalid (nothing can be mailed). For
an SQS batch it returns ``{"batchItemFailures": [...]}`` naming exactly the messages whose email could not be
published (they return to the queue, then go to the dead-letter queue). Any other failure publishes a
fallback message with what is known. The dedup record (``dedup``, ``store``) keeps one CloudTrail event from
being mailed twice by the two paths; when DynamoDB fails, the email goes out anyway. Log lines are JSON on
stdout.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils import cloudtrail, exposure
from ansible_collections.bucketguard.visibility.plugins.module_utils.bucket_state import (
    error_code,
    read_account_pab,
    read_bucket_state,
    read_policy_status,
)
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import Change
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import (
    ACCOUNT_ID_RE,
    IAM_ROLE_NAME_RE,
    LOG_GROUP_NAME_RE,
    SNS_TOPIC_ARN_RE,
)

from . import dedup, events, message, store
from .events import Alarm

TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}\Z")  # DynamoDB table names
QUEUE_RE = re.compile(r"^[A-Za-z0-9_-]{1,80}\Z")  # SQS standard queue names
DEFAULT_DIGEST_WINDOW = 60
FULL_BLOCK = {flag: True for flag in exposure.PAB_FLAGS}
# Bucket reads and dedup writes run in parallel on this many threads (boto3 clients are thread-safe).
READ_WORKERS = 8
# Time kept back from the function's timeout for the publish and the dedup writes after it.
PUBLISH_RESERVE_SECONDS = 10.0
# Below this many seconds left, a published digest's claims are not marked (they go stale instead).
MARK_RESERVE_SECONDS = 2.0
NOT_READ_IN_TIME = "state not read: the function's time ran out before this bucket could be read"

ClientFactory = Callable[[str, str | None], Any]


class ConfigError(ValueError):
    """Invalid environment configuration; the message names the variable."""


class PublishError(RuntimeError):
    """Publishing to SNS failed: raised so Lambda retries and the on-failure destination keeps the event."""


@dataclass(frozen=True)
class Config:
    topic_arn: str
    topic_region: str
    log_group: str | None = None
    lookback_minutes: int = 15
    allowlist: tuple[str, ...] = ()
    allow_tag_key: str = ""
    allow_tag_value: str = ""
    remediate: bool = False
    fast_path: bool = False
    max_records: int = 1
    dedup_table: str | None = None
    dedup_ttl_days: int = dedup.DEFAULT_TTL_DAYS
    region: str | None = None  # the function's own region (AWS_REGION): where the dedup table is
    digest_window_seconds: int = 0  # at most one fast-path digest per account per window (0: no window)
    buffer_queue: str | None = None  # the buffer queue's name: where a batch inside the window goes back to
    account_names: Mapping[str, str] = field(default_factory=dict)
    # Organisation (hub) mode: reader_role unset = standalone (every read with the function's own role).
    partition: str = "aws"
    home_account: str | None = None  # records of this account are read with the function's own role
    reader_role: str | None = None  # the reader role's NAME in every member account
    log_accounts: Mapping[str, str] = field(default_factory=dict)  # log account id -> organisation trail log group

    @property
    def hub(self) -> bool:
        return self.reader_role is not None

    def reader_arn(self, account: str) -> str:
        return f"arn:{self.partition}:iam::{account}:role/{self.reader_role}"

    @property
    def allow_tag(self) -> tuple[str, str]:
        return self.allow_tag_key, self.allow_tag_value


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"bucketguard": event, **fields}, default=str, sort_keys=True), flush=True)


# --------------------------------------------------------------------------- configuration


def topic_from_env(env: Mapping[str, str]) -> tuple[str, str]:
    arn = (env.get("BUCKETGUARD_TOPIC_ARN") or "").strip()
    if not SNS_TOPIC_ARN_RE.match(arn):
        raise ConfigError(f"BUCKETGUARD_TOPIC_ARN must be an SNS topic ARN, got {arn!r}")
    return arn, arn.split(":")[3]


def hub_from_env(env: Mapping[str, str], topic_arn: str) -> dict[str, Any]:
    """BUCKETGUARD_HOME_ACCOUNT, BUCKETGUARD_READER_ROLE, BUCKETGUARD_LOG_ACCOUNTS (organisation mode)."""
    partition = topic_arn.split(":")[1] if SNS_TOPIC_ARN_RE.match(topic_arn) else "aws"
    home = (env.get("BUCKETGUARD_HOME_ACCOUNT") or "").strip() or None
    if home and not ACCOUNT_ID_RE.match(home):
        raise ConfigError(f"BUCKETGUARD_HOME_ACCOUNT must be a 12-digit account id, got {home!r}")
    role = (env.get("BUCKETGUARD_READER_ROLE") or "").strip() or None
    if role and not IAM_ROLE_NAME_RE.match(role):
        raise ConfigError(
            f"BUCKETGUARD_READER_ROLE must be an IAM role name (1-64 of letters, digits and +=,.@_-), got {role!r}"
        )
    if role and not home:
        raise ConfigError("BUCKETGUARD_HOME_ACCOUNT is required when BUCKETGUARD_READER_ROLE is set")
    raw = (env.get("BUCKETGUARD_LOG_ACCOUNTS") or "").strip()
    log_accounts: dict[str, str] = {}
    if raw:
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise ConfigError(
                "BUCKETGUARD_LOG_ACCOUNTS must be a JSON object of 12-digit account id -> log group name, "
                f"got {raw[:200]!r}"
            )
        for account, group in value.items():
            if not ACCOUNT_ID_RE.match(account):
                raise ConfigError(f"BUCKETGUARD_LOG_ACCOUNTS has {account!r}, not a 12-digit account id")
            if not isinstance(group, str) or not LOG_GROUP_NAME_RE.match(group):
                raise ConfigError(
                    f"BUCKETGUARD_LOG_ACCOUNTS names for account {account} {group!r}, not a valid log group name"
                )
            if account != home and not role:
                raise ConfigError(
                    f"BUCKETGUARD_LOG_ACCOUNTS lists account {account}, which is not BUCKETGUARD_HOME_ACCOUNT: "
                    "its log group can only be read through BUCKETGUARD_READER_ROLE, which is not set"
                )
            log_accounts[account] = group
    return {"partition": partition, "home_account": home, "reader_role": role, "log_accounts": log_accounts}


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "false").strip().lower()
    if raw not in ("true", "false"):
        raise ConfigError(f"{name} must be 'true' or 'false', got {raw!r}")
    return raw == "true"


def load_config(env: Mapping[str, str]) -> Config:
    """Validate every BUCKETGUARD_* variable; raise ConfigError naming the first bad one."""
    topic_arn, topic_region = topic_from_env(env)
    log_group = (env.get("BUCKETGUARD_LOG_GROUP") or "").strip() or None
    if log_group and not LOG_GROUP_NAME_RE.match(log_group):
        raise ConfigError(f"BUCKETGUARD_LOG_GROUP is not a valid log group name: {log_group!r}")
    tag = (env.get("BUCKETGUARD_ALLOW_TAG") or "").strip() or "bucketguard:public=approved"
    if "=" not in tag or not tag.split("=", 1)[0].strip():
        raise ConfigError(f"BUCKETGUARD_ALLOW_TAG must look like key=value, got {tag!r}")
    tag_key, tag_value = (part.strip() for part in tag.split("=", 1))
    allowlist = tuple(p.strip() for p in (env.get("BUCKETGUARD_ALLOWLIST") or "").split(",") if p.strip())
    try:
        account_names = message.parse_account_names(env.get("BUCKETGUARD_ACCOUNT_NAMES"))
    except ValueError as exc:
        raise ConfigError(f"BUCKETGUARD_ACCOUNT_NAMES {exc}") from None
    table = (env.get("BUCKETGUARD_DEDUP_TABLE") or "").strip() or None
    queue = (env.get("BUCKETGUARD_BUFFER_QUEUE") or "").strip() or None
    if queue and not QUEUE_RE.match(queue):
        raise ConfigError(f"BUCKETGUARD_BUFFER_QUEUE is not a valid SQS queue name: {queue!r}")
    if table and not TABLE_RE.match(table):
        raise ConfigError(f"BUCKETGUARD_DEDUP_TABLE is not a valid DynamoDB table name: {table!r}")
    return Config(
        topic_arn=topic_arn,
        topic_region=topic_region,
        log_group=log_group,
        lookback_minutes=_int(env, "BUCKETGUARD_LOOKBACK_MINUTES", 15, 0, 1440),
        allowlist=allowlist,
        allow_tag_key=tag_key,
        allow_tag_value=tag_value,
        remediate=_bool(env, "BUCKETGUARD_REMEDIATE"),
        fast_path=_bool(env, "BUCKETGUARD_FAST_PATH"),
        max_records=_int(env, "BUCKETGUARD_MAX_RECORDS", 10000, 1, 1_000_000),
        account_names=account_names,
        dedup_table=table,
        dedup_ttl_days=_int(env, "BUCKETGUARD_DEDUP_TTL_DAYS", dedup.DEFAULT_TTL_DAYS, 1, 3650),
        region=(env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip() or topic_region,
        digest_window_seconds=_int(env, "BUCKETGUARD_DIGEST_WINDOW_SECONDS", DEFAULT_DIGEST_WINDOW, 0, 900),
        buffer_queue=queue,
        **hub_from_env(env, topic_arn),
    )


# --------------------------------------------------------------------------- AWS clients (lazy)


def default_client_factory() -> ClientFactory:
    cache: dict[tuple[str, str | None], Any] = {}
    lock = threading.Lock()  # boto3's default session is not thread-safe while it creates clients

    def factory(service: str, region: str | None) -> Any:
        key = (service, region)
        with lock:
            if key in cache:
                return cache[key]
            import boto3  # imported lazily: no client, and no boto3 cost, at import time
            from botocore.config import Config as BotoConfig

            cache[key] = boto3.client(
                service, region_name=region, config=BotoConfig(retries={"max_attempts": 4, "mode": "standard"})
            )
        return cache[key]

    return factory


# --------------------------------------------------------------------------- reads in other accounts (hub mode)

READER_SESSION_NAME = "bucketguard-notifier"
READER_SESSION_SECONDS = 900  # AssumeRole's minimum DurationSeconds
CREDENTIALS_MARGIN = timedelta(minutes=2)  # credentials closer than this to their expiry are renewed
AssumedClientFactory = Callable[[str, str | None, Mapping[str, str]], Any]


def default_assumed_client(service: str, region: str | None, credentials: Mapping[str, str]) -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=BotoConfig(retries={"max_attempts": 4, "mode": "standard"}),
    )


class ReaderUnavailable(RuntimeError):
    """The reader role of an account could not be assumed; ``str()`` is the line the email shows."""

    def __init__(self, account: str, role_arn: str, code: str):
        self.account, self.role_arn, self.code = account, role_arn, code
        super().__init__(message.reader_unavailable(account, role_arn, code))


class AccountSessions:
    """Credentials of the reader roles (sts:AssumeRole), cached per role while valid, and clients per
    (service, region, account) on them. Lives as long as the Lambda environment (``lambda_handler``), so a
    warm function re-uses credentials; thread-safe (reads run on READ_WORKERS threads)."""

    def __init__(
        self,
        assumed_client: AssumedClientFactory | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self._make = assumed_client or default_assumed_client
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._role_locks: dict[str, threading.Lock] = {}
        self._credentials: dict[str, dict[str, Any]] = {}
        self._clients: dict[tuple[str, str | None, str], tuple[str, Any]] = {}
        self.assume_calls = 0

    def _role_lock(self, role_arn: str) -> threading.Lock:
        with self._lock:
            return self._role_locks.setdefault(role_arn, threading.Lock())

    def credentials(self, sts: Any, role_arn: str) -> dict[str, Any]:
        """The role's credentials: cached ones while valid, else one AssumeRole (raises its error)."""
        with self._role_lock(role_arn):  # one AssumeRole per role at a time, whichever thread asks first
            cached = self._credentials.get(role_arn)
            if cached is not None and _expiry(cached) - CREDENTIALS_MARGIN > self._clock():
                return cached
            self.assume_calls += 1
            response = sts.assume_role(
                RoleArn=role_arn, RoleSessionName=READER_SESSION_NAME, DurationSeconds=READER_SESSION_SECONDS
            )
            credentials = response["Credentials"]
            self._credentials[role_arn] = credentials
            log("reader_assumed", role=role_arn, expires=credentials.get("Expiration"))
            return credentials

    def client(self, service: str, region: str | None, account: str, credentials: Mapping[str, Any]) -> Any:
        key = (service, region, account)
        with self._lock:
            cached = self._clients.get(key)
            if cached is not None and cached[0] == credentials["AccessKeyId"]:
                return cached[1]
            made = self._make(service, region, credentials)  # new credentials: a new client
            self._clients[key] = (credentials["AccessKeyId"], made)
            return made


def _expiry(credentials: Mapping[str, Any]) -> datetime:
    value = credentials.get("Expiration")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = cloudtrail.parse_time(value) if isinstance(value, str) else None
    return parsed or datetime.min.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- CloudTrail records from the log group


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


# The record search is derived from the contract's one list of watched calls.
trail_filter_pattern = cloudtrail.record_search_pattern


def fetch_records(logs: Any, log_group: str, start: datetime, end: datetime, limit: int) -> tuple[list[dict], bool]:
    """CloudTrail records in [start, end], de-duplicated by eventID, at most ``limit``; (records, truncated)."""
    records: list[dict] = []
    seen: set[str] = set()
    kwargs: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": _ms(start),
        "endTime": _ms(end),
        "filterPattern": trail_filter_pattern(),
    }
    while True:
        page = logs.filter_log_events(**kwargs)
        for item in page.get("events", []):
            record = cloudtrail.load_json(item.get("message"))
            if not isinstance(record, dict):
                continue
            event_id = cloudtrail.clean(record.get("eventID")) or item.get("eventId")
            if event_id in seen:
                continue
            seen.add(event_id)
            records.append(record)
            if len(records) >= limit:
                return records, True
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return records, False
        kwargs["nextToken"] = token


# --------------------------------------------------------------------------- the pipeline

_DEDUP_DISABLED_LOGGED = False


def _log_dedup_disabled_once() -> None:
    global _DEDUP_DISABLED_LOGGED
    if not _DEDUP_DISABLED_LOGGED:
        _DEDUP_DISABLED_LOGGED = True
        log("dedup_disabled", reason="BUCKETGUARD_DEDUP_TABLE is not set: every change is mailed")


@dataclass
class MailResult:
    """What ``Notifier.mail_changes`` did: ``status`` "published" or "deduplicated"."""

    status: str
    claims: list[dedup.Claim]
    message_id: str | None = None
    severity: str | None = None
    deferred: list[Change] = dataclasses.field(default_factory=list)  # in flight elsewhere: retry later

    def as_result(self) -> dict[str, Any]:
        if self.status == "published":
            return {"status": "published", "message_id": self.message_id, "severity": self.severity}
        skipped = sum(1 for c in self.claims if c.outcome == dedup.ALREADY)
        return {"status": "deduplicated", "skipped": skipped}


class DigestPublishError(PublishError):
    """The digest's publish failed (its claims were given back)."""


class Notifier:
    """One invocation's work, with injectable clients (tests pass moto-backed ones).

    ``deadline`` is a ``time.monotonic()`` value (from the Lambda context's remaining time): bucket reads
    that have not finished ``PUBLISH_RESERVE_SECONDS`` before it are reported as unread.
    """

    def __init__(
        self,
        config: Config,
        client: ClientFactory,
        now: Callable[[], datetime] | None = None,
        deadline: float | None = None,
        sessions: AccountSessions | None = None,
    ):
        self.config = config
        self.sessions = sessions or AccountSessions()
        self._reader_failed: dict[str, ReaderUnavailable] = {}  # one AssumeRole attempt per account per invocation
        self._reader_locks: dict[str, threading.Lock] = {}
        self._reader_lock = threading.Lock()
        self._queue_url: str | None = None
        lock = threading.Lock()

        def locked(service: str, region: str | None) -> Any:
            with lock:  # the factory may create a client: one thread at a time
                return client(service, region)

        self.client = locked
        self.now = now or (lambda: datetime.now(UTC))
        self.deadline = deadline
        self.token = uuid.uuid4().hex  # this invocation's claims
        self._account_pab: dict[str, tuple[Any, list[str]]] = {}
        self._pab_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------------ plumbing

    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="bucketguard")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def time_left(self) -> float | None:
        """Seconds left before the function's timeout, or None when unknown (tests, benchmark)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _claim_until(self) -> float | None:
        """Claims may use at most half of the time left for work; the reads and the publish need the rest."""
        left = self.time_left()
        if left is None:
            return None
        return time.monotonic() + max(0.0, left - PUBLISH_RESERVE_SECONDS) / 2

    def out_of_time(self) -> bool:
        left = self.time_left()
        return left is not None and left < PUBLISH_RESERVE_SECONDS

    def publish(self, note: message.Notification) -> str:
        sns = self.client("sns", self.config.topic_region)
        response = sns.publish(
            TopicArn=self.config.topic_arn,
            Subject=note.subject,
            Message=note.body,
            MessageAttributes=note.sns_attributes(),
        )
        log("published", severity=note.severity, subject=note.subject, message_id=response.get("MessageId"))
        return response.get("MessageId", "")

    # ------------------------------------------------------------------ whose credentials (hub mode)

    def through_reader(self, account: str | None) -> bool:
        """Is this account read through its reader role? Only in hub mode, for an account not the hub's."""
        c = self.config
        return c.hub and account is not None and account != c.home_account

    def account_client(self, service: str, region: str | None, account: str | None) -> Any:
        """A client reading in ``account``: the function's own outside hub mode or for the hub account, else
        one on the account's reader role (raises ReaderUnavailable when it cannot be assumed)."""
        if not self.through_reader(account):
            return self.client(service, region)
        assert account is not None
        return self.sessions.client(service, region, account, self.reader_credentials(account))

    def reader_credentials(self, account: str) -> Mapping[str, Any]:
        role_arn = self.config.reader_arn(account)
        with self._reader_lock:
            lock = self._reader_locks.setdefault(account, threading.Lock())
        with lock:
            if account in self._reader_failed:  # tried once in this invocation: not again per bucket
                raise self._reader_failed[account]
            if not ACCOUNT_ID_RE.match(account):  # not an account id (a malformed record): no role to assume
                self._reader_failed[account] = ReaderUnavailable(account, role_arn, "not a 12-digit account id")
                raise self._reader_failed[account]
            try:
                return self.sessions.credentials(self.client("sts", self.config.region), role_arn)
            except Exception as exc:
                failure = ReaderUnavailable(account, role_arn, error_code(exc))
                self._reader_failed[account] = failure
                log("reader_unavailable", account=account, role=role_arn, error=failure.code)
                raise failure from exc

    # ------------------------------------------------------------------ bucket state

    def account_pab(self, account: str | None, region: str | None) -> tuple[Any, list[str]]:
        with self._pab_lock:  # one read per account, whichever thread asks first
            key = account or ""
            if key not in self._account_pab:
                errors: list[str] = []
                value = read_account_pab(self.account_client("s3control", region, account), account, errors)
                self._account_pab[key] = (value, errors)
            return self._account_pab[key]

    def enrich(self, report: message.BucketReport) -> None:
        region = report.region or (report.changes[0].region if report.changes else None)
        if report.bucket is None:
            return
        try:
            s3 = self.account_client("s3", region, report.account_id)
            account_pab, account_errors = self.account_pab(report.account_id, region)
        except ReaderUnavailable as exc:  # the request's own verdict stands, and the email says why
            report.state_error = str(exc)
            if self.config.remediate and message.public_unconfirmed(report):
                report.remediation = message.remediation_not_in_hub(report.account_id or "unknown")
            return
        state = read_bucket_state(s3, report.bucket, account_pab)
        if state.missing:
            report.state_error = "; ".join(state.errors)
            report.state_missing = True
            return
        errors = account_errors + state.errors
        result = self.second_opinion(s3, report, state.state, errors)
        report.block_public_access = exposure.block_public_access_summary(state.state)
        report.state_error = "; ".join(errors) or None
        certain = exposure.verdict_is_certain(result, errors)
        if certain:
            report.assessment = result
        report.allowlisted = exposure.allowlist_reason(
            report.bucket, state.tags, self.config.allowlist, self.config.allow_tag_key, self.config.allow_tag_value
        )
        # Unreadable or uncertain state: the request's own verdict stands (an attacker can deny our reads).
        public = result["public"] or (not certain and message.public_unconfirmed(report))
        if self.config.remediate and public and not report.allowlisted:
            if self.through_reader(report.account_id):  # the reader role is read-only: never used to write
                report.remediation = message.remediation_not_in_hub(report.account_id or "unknown")
                log("remediation_skipped", bucket=report.bucket, account=report.account_id, reason="member account")
            else:
                report.remediation = self.remediate(s3, report.bucket, state.state)

    def second_opinion(self, s3: Any, report: message.BucketReport, state: dict[str, Any], errors: list[str]) -> dict:
        """``assess`` merged with S3's GetBucketPolicyStatus; a disagreement is logged (and told in the email)."""
        status = read_policy_status(s3, report.bucket or "", errors)
        report.policy_status = status
        merged = exposure.judge(state, errors, status)
        if merged["policy_status_disagrees"]:
            ours = "public" if merged["policy_status_disagrees"] == "rules-public" else "not public"
            log(
                "policy_status_disagrees",
                bucket=report.bucket,
                ours=ours,
                s3="public" if status else "not public",
                public=merged["public"],
            )
        return merged

    def remediate(self, s3: Any, bucket: str, state: dict[str, Any]) -> str:
        try:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict(FULL_BLOCK))
        except Exception as exc:
            log("remediation_failed", bucket=bucket, error=error_code(exc))
            return message.remediation_failed(error_code(exc))
        after = exposure.assess({**state, "public_access_block": dict(FULL_BLOCK)})
        log("remediated", bucket=bucket, public_after=after["public"])
        return message.remediation_done(self.now(), after["public"])

    def _enriched_copy(self, report: message.BucketReport) -> message.BucketReport:
        copy = dataclasses.replace(report)  # the thread fills its own copy: a late thread changes nothing we mail
        try:
            self.enrich(copy)
        except Exception as exc:  # unknown state beats a lost alert
            copy.state_error = f"{type(exc).__name__}: {exc}"
            log("enrich_failed", bucket=copy.bucket, error=copy.state_error)
        return copy

    def enrich_all(self, reports: list[message.BucketReport]) -> list[message.BucketReport]:
        """Read every bucket's state in parallel; what is not read in time is reported as unread.

        An unread bucket keeps the verdict of the request (a public request stays CRITICAL, "not confirmed").
        """
        if not reports:
            return reports
        futures = [self.pool().submit(self._enriched_copy, r) for r in reports]
        left = self.time_left()
        done, _ = wait(futures, timeout=None if left is None else max(0.0, left - PUBLISH_RESERVE_SECONDS))
        out = []
        for report, future in zip(reports, futures, strict=True):
            if future in done:
                out.append(future.result())
                continue
            future.cancel()
            report.state_error = NOT_READ_IN_TIME
            log("read_timeout", bucket=report.bucket, account=report.account_id)
            out.append(report)
        return out

    def report_changes(
        self, changes: list[Change], alarm: Alarm | None, notes: list[str], earlier: str | None = None
    ) -> message.Notification:
        reports = self.enrich_all(message.group_changes(changes))
        return message.build_message(
            reports,
            alarm=alarm,
            notes=notes,
            allow_tag=f"{self.config.allow_tag_key}={self.config.allow_tag_value}",
            account_names=self.config.account_names,
            earlier=earlier,
        )

    # ------------------------------------------------------------------ the dedup record

    def claim_all(self, changes: list[Change], path: str) -> list[dedup.Claim]:
        table = self.config.dedup_table
        if not table:
            _log_dedup_disabled_once()
            return [dedup.Claim(c, dedup.record_id(c), dedup.DISABLED) for c in changes]
        ddb = self.client("dynamodb", self.config.region)
        now = self.now()
        known = store.lookup(ddb, table, [i for i in map(dedup.record_id, changes) if i], log)
        claim_until = self._claim_until()

        def one(change: Change) -> dedup.Claim:
            item_id = dedup.record_id(change)
            if item_id in known:  # already mailed, or being mailed: no write needed
                outcome = dedup.existing_outcome(known[item_id], now)
                if outcome in (dedup.ALREADY, dedup.IN_FLIGHT):
                    if outcome == dedup.ALREADY:
                        log("dedup_skip", event_id=change.event_id, path=dedup.plain(known[item_id]).get("path"))
                    return dedup.Claim(change, item_id, outcome, dedup.plain(known[item_id]))
            if claim_until is not None and time.monotonic() > claim_until:
                # No time left for the record: mail it without one (a duplicate beats silence).
                log("dedup_unavailable", step="claim", event_id=change.event_id, error="no time left")
                return dedup.Claim(change, item_id, dedup.UNAVAILABLE)
            return store.claim(ddb, table, change, path, self.token, now, self.config.dedup_ttl_days, log)

        return list(self.pool().map(one, changes))

    def settle(self, claims: list[dedup.Claim], message_id: str | None, severity: str | None) -> None:
        """After the publish: our claims become ``reported`` (message_id given) or are given back."""
        owned = [c for c in claims if c.outcome == dedup.OWNED]
        if not owned or not self.config.dedup_table:
            return
        ddb = self.client("dynamodb", self.config.region)
        table, now = self.config.dedup_table, self.now()
        skipped: list[dedup.Claim] = []

        def work(claim: dedup.Claim) -> None:
            left = self.time_left()
            if left is not None and left < MARK_RESERVE_SECONDS:
                # No time to record it: the claim goes stale in 5 minutes (mailed: a later path may mail it
                # again; not mailed: the retry takes it over then).
                skipped.append(claim)
            elif message_id is not None:
                store.mark_reported(ddb, table, claim, self.token, message_id, severity or "", now, log)
            else:
                store.release(ddb, table, claim, self.token, log)

        list(self.pool().map(work, owned))
        if skipped:
            step = "reported" if message_id is not None else "release"
            log("dedup_unavailable", step=step, changes=len(skipped), error="no time left")

    def mail_changes(
        self, changes: list[Change], alarm: Alarm | None, notes: list[str], path: str, defer_in_flight: bool
    ) -> MailResult:
        """Claim, leave out what was already mailed, build one digest, publish, record. Raises on a failed publish.

        ``defer_in_flight``: changes another invocation is publishing right now are left out and returned in
        ``deferred`` (the SQS message goes back to the queue); otherwise they are mailed too.
        """
        claims = self.claim_all(changes, path)
        try:
            deferred = [c.change for c in claims if defer_in_flight and c.outcome == dedup.IN_FLIGHT]
            kept = [c.change for c in claims if c.mail and not (defer_in_flight and c.outcome == dedup.IN_FLIGHT)]
            if not kept:
                return MailResult("deduplicated", claims, deferred=deferred)
            note = self.report_changes(kept, alarm, notes, dedup.earlier_line(claims))
            try:
                message_id = self.publish(note)
            except Exception as exc:
                log("publish_failed", error=error_code(exc), changes=len(kept))
                raise DigestPublishError(f"could not publish to {self.config.topic_arn}: {exc}") from exc
        except BaseException:
            self.settle(claims, None, None)  # give the claims back: the retry mails
            raise
        self.settle(claims, message_id, note.severity)
        log(
            "reported",
            path=path,
            message_id=message_id,
            severity=note.severity,
            changes=len(kept),
            already_mailed=sum(1 for c in claims if c.outcome == dedup.ALREADY),
            # which events and buckets this email covered (the first 50 of each), for people grepping logs
            event_ids=[c.event_id for c in kept if c.event_id][:50],
            buckets=sorted({c.bucket for c in kept if c.bucket})[:50],
        )
        return MailResult("published", claims, message_id, note.severity, deferred)

    # ------------------------------------------------------------------ the inputs

    def handle_alarm(self, alarm: Alarm) -> dict[str, Any]:
        if alarm.state != "ALARM":
            log("alarm_ignored", alarm=alarm.name, state=alarm.state)
            return {"status": "ignored", "reason": f"alarm state {alarm.state}"}
        kind = events.alarm_kind(alarm)
        if kind != "visibility":
            # The trail heartbeat and the tamper alarm notify the topic directly in standalone mode; forwarded
            # from a log account they come here: mailed as what they are, never searched for S3 calls.
            note = message.build_alarm_relay_message(alarm, kind, self.config.account_names)
            log("alarm_relayed", alarm=alarm.name, kind=kind, account=alarm.account_id)
            return {"status": "published", "message_id": self.publish(note), "severity": note.severity}
        log_group, logs_region, log_account = self.alarm_log_group(alarm)
        now = self.now()
        margin = timedelta(minutes=self.config.lookback_minutes)
        start = (alarm.window_start or now) - margin
        end = max(alarm.window_end or now, now)
        try:
            logs = self.account_client("logs", logs_region, log_account)
        except ReaderUnavailable as exc:  # the fallback email (with the alarm) says so
            raise RuntimeError(message.log_reader_unavailable(exc.account, exc.role_arn, exc.code, log_group)) from exc
        records, truncated = fetch_records(logs, log_group, start, end, self.config.max_records)
        changes = cloudtrail.classify_all(records, self.config.allow_tag)
        notes = [
            message.search_notes(log_group, start, end, self.config.lookback_minutes),
            message.records_note(log_group, len(records), len(changes)),
        ]
        if truncated:
            notes.append(message.truncated_note(self.config.max_records))
        log("alarm_records", alarm=alarm.name, records=len(records), changes=len(changes), truncated=truncated)
        if not changes:
            note = message.build_no_records_message(alarm, notes)
            return {"status": "published", "message_id": self.publish(note), "severity": note.severity}
        return self.mail_per_account(changes, alarm, notes, dedup.ALARM)

    def alarm_log_group(self, alarm: Alarm) -> tuple[str, str | None, str | None]:
        """(log group, region, account to read it in) for an alarm: a listed log account's organisation trail
        log group in the event's region, else BUCKETGUARD_LOG_GROUP in the alarm's region (own role)."""
        account = alarm.account_id
        if account and account in self.config.log_accounts:
            return self.config.log_accounts[account], alarm.region or self.config.region, account
        if not self.config.log_group:
            raise ConfigError("BUCKETGUARD_LOG_GROUP is required for the alarm path and is not set")
        return self.config.log_group, alarm.region or os.environ.get("AWS_REGION"), None

    def mail_per_account(
        self, changes: list[Change], alarm: Alarm | None, notes: list[str], path: str
    ) -> dict[str, Any]:
        """One email per account (``recipientAccountId``) of the changes, each with the same notes.

        A failed publish raises after the accounts before it were mailed (their dedup records are marked, so
        the retry does not mail them again when the dedup table is there)."""
        by_account: dict[str, list[Change]] = {}
        for change in changes:
            by_account.setdefault(change.account_id or "unknown", []).append(change)
        if len(by_account) > 1:
            notes = [*notes, message.accounts_note(sorted(by_account), self.config.account_names)]
        results = [
            self.mail_changes(by_account[a], alarm, notes, path, defer_in_flight=False) for a in sorted(by_account)
        ]
        published = [r for r in results if r.status == "published"]
        if alarm is not None and not published:
            log("alarm_all_reported", alarm=alarm.name, skipped=len(changes))
        if len(results) == 1:
            return results[0].as_result()
        if not published:
            return {"status": "deduplicated", "skipped": sum(r.as_result()["skipped"] for r in results), "emails": 0}
        severities = [r.severity for r in published if r.severity]
        return {
            "status": "published",
            "message_id": published[0].message_id,
            "message_ids": [r.message_id for r in published],
            "severity": min(severities, key=message.SEVERITY_ORDER.index) if severities else None,
            "emails": len(published),
            "accounts": sorted(by_account),
        }

    def handle_records(self, records: list[dict[str, Any]], source: str) -> dict[str, Any]:
        changes = cloudtrail.classify_all(records, self.config.allow_tag)
        if not changes:
            log("records_ignored", source=source, records=len(records))
            return {"status": "ignored", "reason": "no exposure-changing record"}
        return self.mail_per_account(changes, None, [], dedup.FAST)

    def handle_batch(self, messages: list[events.Message], raw: Any) -> dict[str, Any]:
        """An SQS batch: one digest per account, alarms one by one, unreadable bodies in one fallback email.

        Returns ``{"batchItemFailures": [...]}`` with exactly the messages whose alert was not published.
        """
        failures: set[str] = set()
        emails = 0
        bodies = {
            r.get("messageId"): r.get("body")
            for r in (raw.get("Records") or [] if isinstance(raw, dict) else [])
            if isinstance(r, dict) and isinstance(r.get("body"), str)
        }
        # Alarm events (replayed from the dead-letter queue): one email each, as if invoked directly.
        for msg in messages:
            if msg.parsed is not None and msg.parsed.kind == "alarm" and msg.parsed.alarm is not None:
                alarm = msg.parsed.alarm
                ok, mailed = self._guarded(lambda a=alarm: self.handle_alarm(a), raw_for(msg, raw), alarm)
                emails += mailed
                if not ok:
                    failures.add(msg.message_id)
        # Records: the changes of every message, each CloudTrail event once, grouped by account.
        owners: dict[str, set[str]] = {}  # dedup key -> the messages that carried that CloudTrail event
        key_of: dict[int, str] = {}
        by_account: dict[str, list[Change]] = {}
        ignored = 0
        for msg in messages:
            if msg.parsed is None or msg.parsed.kind != "records":
                continue
            changes = cloudtrail.classify_all(msg.parsed.records, self.config.allow_tag)
            ignored += not changes
            for change in changes:
                key = dedup.record_id(change) or f"{msg.message_id}/{id(change)}"  # no eventID: its own key
                if key not in owners:
                    owners[key] = set()
                    key_of[id(change)] = key
                    by_account.setdefault(change.account_id or "unknown", []).append(change)
                owners[key].add(msg.message_id)

        def owners_of(change: Change) -> set[str]:
            return owners[key_of[id(change)]]

        for account in sorted(by_account):
            changes = by_account[account]
            ids = {m for c in changes for m in owners_of(c)}
            if self.out_of_time():  # carried into the next batch, never dropped
                log("batch_deferred", account=account, changes=len(changes), reason="no time left")
                failures |= ids
                continue
            delay = self.digest_delay(account)
            if delay and self.requeue(ids, bodies, delay):  # inside the account's window: mailed at its end
                log("digest_deferred", account=account, changes=len(changes), messages=len(ids), delay=delay)
                continue
            try:
                result = self.mail_changes(changes, None, [], dedup.FAST, defer_in_flight=True)
                emails += result.status == "published"
                if result.status == "published":
                    self.record_digest(account, result.message_id or "")
                for change in result.deferred:
                    failures |= owners_of(change)
            except DigestPublishError:
                failures |= ids
            except Exception as exc:  # a bug or an unexpected failure: the raw records in a fallback email
                log(
                    "digest_failed",
                    account=account,
                    error=f"{type(exc).__name__}: {exc}",
                    trace=traceback.format_exc(limit=5),
                )
                event = {"account": account, "records": [c.record for c in changes]}
                note = message.build_fallback_message(f"{type(exc).__name__}: {exc}", event, account=account)
                try:
                    self.publish(note)
                    emails += 1
                except Exception as publish_exc:
                    log("publish_failed", error=error_code(publish_exc), account=account)
                    failures |= ids
        # Bodies that could not be read: one fallback email for all of them, with their message ids.
        broken = [m for m in messages if m.error is not None]
        if broken:
            event = {
                "unreadable_messages": [
                    {"messageId": m.message_id, "error": m.error, "body_start": m.excerpt} for m in broken
                ]
            }
            error = f"{message.plural(len(broken), 'message')} of the buffer queue could not be read: {broken[0].error}"
            note = message.build_fallback_message(error, event, severity_=message.WARNING)
            try:
                self.publish(note)
                emails += 1
            except Exception as exc:
                log("publish_failed", error=error_code(exc), messages=len(broken))
                failures |= {m.message_id for m in broken}
        log(
            "batch",
            messages=len(messages),
            accounts=len(by_account),
            ignored=ignored,
            unreadable=len(broken),
            emails=emails,
            failures=len(failures),
        )
        return {"batchItemFailures": [{"itemIdentifier": m} for m in sorted(failures)]}

    # ------------------------------------------------------------------ the digest window

    def digest_delay(self, account: str) -> int:
        """Seconds until this account's next fast-path digest may go (0: now, or no window configured)."""
        c = self.config
        if not (c.digest_window_seconds and c.dedup_table and c.buffer_queue):
            return 0
        ddb = self.client("dynamodb", c.region)
        return store.digest_wait(ddb, c.dedup_table, account, self.now(), c.digest_window_seconds, log)

    def record_digest(self, account: str, message_id: str) -> None:
        c = self.config
        if c.digest_window_seconds and c.dedup_table and c.buffer_queue:
            ddb = self.client("dynamodb", c.region)
            store.record_digest(ddb, c.dedup_table, account, message_id, self.now(), c.digest_window_seconds, log)

    def requeue(self, message_ids: set[str], bodies: dict[str, str], delay: int) -> bool:
        """Send these messages back to the buffer queue, delayed by ``delay`` seconds. False: mail them now."""
        sqs = self.client("sqs", self.config.region)
        try:
            if self._queue_url is None:
                self._queue_url = sqs.get_queue_url(QueueName=self.config.buffer_queue)["QueueUrl"]
            ids = sorted(message_ids)
            for start in range(0, len(ids), 10):  # SendMessageBatch takes 10 entries
                entries = [
                    {"Id": str(n), "MessageBody": bodies[m], "DelaySeconds": delay}
                    for n, m in enumerate(ids[start : start + 10])
                ]
                failed = sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries).get("Failed") or []
                if failed:
                    raise RuntimeError(f"{len(failed)} of {len(entries)} not sent: {failed[0].get('Code')}")
        except Exception as exc:  # a duplicate (sent ones come back too) beats a late or lost alert
            log("digest_requeue_failed", error=error_code(exc) if hasattr(exc, "response") else str(exc))
            return False
        return True

    def _guarded(self, work: Callable[[], dict[str, Any]], raw: Any, alarm: Alarm | None) -> tuple[bool, int]:
        """Run one alarm's work; a failure other than the publish ends in a fallback email. (published?, emails)"""
        try:
            result = work()
            return True, int(result.get("emails", result.get("status") == "published"))
        except DigestPublishError:
            return False, 0
        except Exception as exc:
            log("processing_failed", error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc(limit=5))
            note = message.build_fallback_message(
                f"{type(exc).__name__}: {exc}", raw, alarm, account=_account_hint(raw)
            )
            try:
                self.publish(note)
                return True, 1
            except Exception as publish_exc:
                log("publish_failed", error=error_code(publish_exc))
                return False, 0


def raw_for(msg: events.Message, raw: Any) -> Any:
    """The original event of one SQS message (for a fallback email)."""
    for record in raw.get("Records", []) if isinstance(raw, dict) else []:
        if isinstance(record, dict) and record.get("messageId") == msg.message_id:
            body = cloudtrail.load_json(record.get("body"))
            while events.is_destination_record(body):
                body = body["requestPayload"]
            return body
    return None


def _account_hint(event: Any) -> str | None:
    if isinstance(event, dict):
        for key in ("accountId", "account", "recipientAccountId"):
            value = event.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def deadline_from(context: Any) -> float | None:
    """A ``time.monotonic()`` deadline from the Lambda context's remaining time; None without one."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        return time.monotonic() + float(remaining()) / 1000.0
    except (TypeError, ValueError):
        return None


def process(
    event: Any,
    env: Mapping[str, str],
    client: ClientFactory,
    now: Callable[[], datetime] | None = None,
    context: Any = None,
    sessions: AccountSessions | None = None,
) -> Any:
    """The whole invocation; separated from lambda_handler for tests and the benchmark.

    ``sessions`` keeps the reader roles' credentials between invocations (hub mode); None: a new one."""
    topic_arn, topic_region = topic_from_env(env)  # no topic, nothing to mail: raise
    parsed: events.Parsed | None = None
    notifier: Notifier | None = None
    try:
        config = load_config(env)
        notifier = Notifier(config, client, now, deadline_from(context), sessions)
        parsed = events.parse_event(event)
        log("received", kind=parsed.kind, source=parsed.source, messages=len(parsed.messages) or None)
        if parsed.kind == "sqs":
            return notifier.handle_batch(parsed.messages, event)
        if parsed.kind == "alarm" and parsed.alarm is not None:
            return notifier.handle_alarm(parsed.alarm)
        if parsed.kind == "records":
            return notifier.handle_records(parsed.records, parsed.source)
        error = "unrecognised event (neither a CloudWatch alarm action, an EventBridge CloudTrail event nor a record)"
        note = message.build_fallback_message(error, event, severity_=message.WARNING, account=_account_hint(event))
    except Exception as exc:  # never lose an alert (a failed publish is retried once as fallback)
        log("processing_failed", error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc(limit=5))
        alarm = parsed.alarm if parsed else None
        if alarm is not None and alarm.state != "ALARM" and not isinstance(exc, ConfigError):
            return {"status": "ignored", "reason": f"alarm state {alarm.state}"}
        note = message.build_fallback_message(
            f"{type(exc).__name__}: {exc}", event, alarm, account=_account_hint(event)
        )
        if events.is_sqs_batch(event):
            # The batch itself could not be handled: mail what is known, and give every message back to the
            # queue (after 5 receives it goes to the dead-letter queue, whose alarm someone answers).
            try:
                Notifier(Config(topic_arn, topic_region), client, now).publish(note)
            except Exception as publish_exc:
                log("publish_failed", error=error_code(publish_exc))
            ids = [r.get("messageId") for r in event["Records"] if isinstance(r.get("messageId"), str)]
            return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]}
    finally:
        if notifier is not None:
            notifier.close()
    fallback = Notifier(Config(topic_arn, topic_region), client, now)
    try:
        return {"status": "fallback", "message_id": fallback.publish(note), "severity": note.severity}
    except Exception as exc:
        log("publish_failed", error=error_code(exc))
        raise PublishError(f"could not publish to {topic_arn}: {exc}") from exc


_CLIENTS: ClientFactory | None = None
_SESSIONS: AccountSessions | None = None


def lambda_handler(event: Any, context: Any = None) -> Any:
    global _CLIENTS, _SESSIONS
    if _CLIENTS is None:
        _CLIENTS = default_client_factory()
    if _SESSIONS is None:
        _SESSIONS = AccountSessions()
    started = time.perf_counter()
    result = process(event, os.environ, _CLIENTS, context=context, sessions=_SESSIONS)
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    log(
        "done",
        status=result.get("status") if isinstance(result, dict) else None,
        batch_item_failures=None if failures is None else len(failures),
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return result

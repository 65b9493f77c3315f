"""In-memory stand-ins for the Organizations, Account and STS clients the aws_organization inventory uses.

Only the calls the plugin makes, with botocore's paginator interface (get_paginator(...).paginate(...)
.build_full_result()), page sizes like AWS's, every call recorded in `calls` (thread-safe: list.append),
and AccessDenied on demand. The unit tests and benchmarks/inventory_bench.py share them.
"""

from __future__ import annotations

import itertools
from typing import Any

import botocore.exceptions

_OPERATIONS = {
    "list_roots": "ListRoots",
    "list_accounts_for_parent": "ListAccountsForParent",
    "list_organizational_units_for_parent": "ListOrganizationalUnitsForParent",
    "list_tags_for_resource": "ListTagsForResource",
    "list_regions": "ListRegions",
    "get_caller_identity": "GetCallerIdentity",
}


def access_denied(operation: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "You don't have permissions to access this resource."}},
        _OPERATIONS[operation],
    )


class _Paginator:
    def __init__(self, fake: _Fake, operation: str):
        self._fake, self._operation = fake, operation

    def paginate(self, **params: Any) -> _Paginator:
        self._params = params
        return self

    def build_full_result(self) -> dict[str, Any]:
        key, items = getattr(self._fake, self._operation)(**self._params)
        pages = max(1, -(-len(items) // self._fake.page_size))
        for _ in range(pages):  # one recorded call per page, as AWS would need
            self._fake.record(self._operation, self._params)
        return {key: items}


class _Fake:
    page_size = 20

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.denied: set[str] = set()

    def record(self, operation: str, params: dict[str, Any]) -> None:
        if operation in self.denied:
            raise access_denied(operation)
        self.calls.append((operation, params))

    def get_paginator(self, operation: str) -> _Paginator:
        return _Paginator(self, operation)

    def count(self, operation: str | None = None) -> int:
        return sum(1 for op, _ in self.calls if operation is None or op == operation)


class FakeOrganizations(_Fake):
    """An organisation: a root, nested OUs, accounts with a state and tags."""

    def __init__(self, management_id: str = "123456789012", partition: str = "aws") -> None:
        super().__init__()
        self.partition, self.management_id = partition, management_id
        self.root = "r-ab12"
        self.org_id = "o-abcdefghij"
        self._ou_ids = (f"ou-ab12-{n:08d}" for n in itertools.count(1))
        self.ous: dict[str, dict[str, str]] = {}  # id -> {"Name", "parent"}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.add_account(management_id, "management")

    def add_ou(self, name: str, parent: str | None = None) -> str:
        ou_id = next(self._ou_ids)
        self.ous[ou_id] = {"Name": name, "parent": parent or self.root}
        return ou_id

    def add_account(
        self,
        account_id: str,
        name: str,
        parent: str | None = None,
        state: str = "ACTIVE",
        tags: dict[str, str] | None = None,
    ) -> str:
        self.accounts[account_id] = {"name": name, "parent": parent or self.root, "state": state, "tags": tags or {}}
        return account_id

    # The API, as (result key, items):
    def list_roots(self) -> tuple[str, list[dict[str, Any]]]:
        return "Roots", [{"Id": self.root, "Name": "Root"}]

    def list_accounts_for_parent(self, ParentId: str) -> tuple[str, list[dict[str, Any]]]:
        arn = f"arn:{self.partition}:organizations::{self.management_id}:account/{self.org_id}/"
        return "Accounts", [
            {"Id": i, "Arn": arn + i, "Name": a["name"], "Status": a["state"], "State": a["state"]}
            for i, a in self.accounts.items()
            if a["parent"] == ParentId
        ]

    def list_organizational_units_for_parent(self, ParentId: str) -> tuple[str, list[dict[str, Any]]]:
        return "OrganizationalUnits", [
            {"Id": i, "Name": ou["Name"]} for i, ou in self.ous.items() if ou["parent"] == ParentId
        ]

    def list_tags_for_resource(self, ResourceId: str) -> tuple[str, list[dict[str, str]]]:
        return "Tags", [{"Key": k, "Value": v} for k, v in self.accounts[ResourceId]["tags"].items()]


class FakeAccount(_Fake):
    """The Account API's ListRegions: {account id: {region: opt status}}; own account: no AccountId."""

    def __init__(self, regions: dict[str, dict[str, str]], own_account_id: str) -> None:
        super().__init__()
        self.regions, self.own = regions, own_account_id

    def list_regions(self, RegionOptStatusContains=None, AccountId=None):
        if AccountId == self.own:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "ValidationException", "Message": "own account: omit AccountId"}}, "ListRegions"
            )
        statuses = RegionOptStatusContains or ["ENABLED", "ENABLED_BY_DEFAULT", "DISABLED"]
        return "Regions", [
            {"RegionName": r, "RegionOptStatus": s}
            for r, s in self.regions[AccountId or self.own].items()
            if s in statuses
        ]


class FakeSTS(_Fake):
    def __init__(self, account_id: str) -> None:
        super().__init__()
        self.account_id = account_id

    def get_caller_identity(self) -> dict[str, str]:
        self.record("get_caller_identity", {})
        return {"Account": self.account_id}

"""Start LocalStack in host mode for bucketguard's tests (no Docker engine on these machines).

Without Docker, LocalStack's Lambda service fails every function's "prepare version" step (it pulls
a runtime image), so functions end in State=Failed and amazon.aws.lambda times out waiting for
Active on any later update. Making that one step a no-op lets functions reach Active, so the
notifier_lambda role can be converged and re-run like on AWS. Invoking a function still fails
(DockerNotAvailable): the notifier's code is tested directly by its own tests, never through
LocalStack's Lambda.

LocalStack's DynamoDB forwards every request to "DynamoDB Local", a Java server it downloads at the
first call (a JDK and the jar): neither can be fetched on these machines (and DynamoDB Local's licence
is not an open-source one). The second change sends those requests to the moto DynamoDB backend that
LocalStack ships instead (in-process, per account and region), so the dedup table of the notifier_lambda
role can be created, read and deleted like on AWS.

LocalStack's STS (free edition, no IAM enforcement) hands out credentials for any role ARN, also for a
role that does not exist or was deleted. On AWS that AssumeRole is refused with AccessDenied ("... is not
authorized to perform: sts:AssumeRole on resource: <role arn>"), which is how the hub notifier learns that
a member account's reader role is missing (docs/organisation.md). The third change refuses AssumeRole of a
role that does not exist in the role's account the same way (requests from outside LocalStack only; its
own internal calls are left alone). Trust policies are still not evaluated (docs/emulators.md). Nothing
else is changed.
"""

from localstack.aws.api import CommonServiceException
from localstack.runtime import main as runtime_main
from localstack.services.dynamodb import provider as dynamodb_provider
from localstack.services.lambda_.invocation import docker_runtime_executor
from localstack.services.moto import call_moto
from localstack.services.sts import provider as sts_provider


def _prepare_version_without_docker(cls, function_version):
    return None


docker_runtime_executor.DockerRuntimeExecutor.prepare_version = classmethod(_prepare_version_without_docker)


def _dynamodb_to_moto(self, context, service_request=None):
    return call_moto(context)


def _no_dynamodb_local(self):
    return None


dynamodb_provider.DynamoDBProvider.forward_request = _dynamodb_to_moto
dynamodb_provider.DynamoDBProvider.on_before_start = _no_dynamodb_local

_assume_role = sts_provider.StsProvider.assume_role


def _assume_existing_role(self, context, role_arn, role_session_name, *args, **kwargs):
    external = not context.is_internal_call and sts_provider.ROLE_ARN_REGEX.match(role_arn or "")
    if external and self._get_role_from_arn(role_arn) is None:
        caller = f"arn:{context.partition}:iam::{context.account_id}:root"
        access_key = sts_provider.extract_access_key_id_from_auth_header(context.request.headers)
        creds = self._get_store(context.account_id, "us-east-1").credentials.get(access_key or "")
        caller = getattr(creds, "arn", None) or caller
        raise CommonServiceException(
            "AccessDenied",
            f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            status_code=403,
            sender_fault=True,
        )
    return _assume_role(self, context, role_arn, role_session_name, *args, **kwargs)


sts_provider.StsProvider.assume_role = _assume_existing_role

if __name__ == "__main__":
    runtime_main.main()

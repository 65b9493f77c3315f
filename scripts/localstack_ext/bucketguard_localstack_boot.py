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
role can be created, read and deleted like on AWS. Nothing else is changed.
"""

from localstack.runtime import main as runtime_main
from localstack.services.dynamodb import provider as dynamodb_provider
from localstack.services.lambda_.invocation import docker_runtime_executor
from localstack.services.moto import call_moto


def _prepare_version_without_docker(cls, function_version):
    return None


docker_runtime_executor.DockerRuntimeExecutor.prepare_version = classmethod(_prepare_version_without_docker)


def _dynamodb_to_moto(self, context, service_request=None):
    return call_moto(context)


def _no_dynamodb_local(self):
    return None


dynamodb_provider.DynamoDBProvider.forward_request = _dynamodb_to_moto
dynamodb_provider.DynamoDBProvider.on_before_start = _no_dynamodb_local

if __name__ == "__main__":
    runtime_main.main()

"""Start LocalStack in host mode for bucketguard's tests (no Docker engine on these machines).

Without Docker, LocalStack's Lambda service fails every function's "prepare version" step (it pulls
a runtime image), so functions end in State=Failed and amazon.aws.lambda times out waiting for
Active on any later update. Making that one step a no-op lets functions reach Active, so the
notifier_lambda role can be converged and re-run like on AWS. Invoking a function still fails
(DockerNotAvailable): the notifier's code is tested directly by its own tests, never through
LocalStack's Lambda. Nothing else is changed.
"""

from localstack.runtime import main as runtime_main
from localstack.services.lambda_.invocation import docker_runtime_executor


def _prepare_version_without_docker(cls, function_version):
    return None


docker_runtime_executor.DockerRuntimeExecutor.prepare_version = classmethod(_prepare_version_without_docker)

if __name__ == "__main__":
    runtime_main.main()

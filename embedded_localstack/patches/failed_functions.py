"""A function whose environment never started (State Failed, e.g. a runtime whose interpreter is
missing) can be deleted, as on AWS. LocalStack 4.14 drops the version manager of a version that
failed to start, and DeleteFunction then fails with "Unable to find version manager" (InternalError)
for ever: a CloudFormation rollback or an app's destroy leaves the function behind."""


def let_failed_functions_be_deleted() -> None:
    from localstack.services.lambda_ import hooks as lambda_hooks
    from localstack.services.lambda_.invocation.lambda_service import LambdaService

    original = LambdaService.stop_version
    if getattr(original, "tolerates_failed_versions", False):
        return

    def stop_version(self, qualified_arn: str) -> None:
        try:
            original(self, qualified_arn)
        except ValueError:
            if qualified_arn in self.lambda_running_versions or qualified_arn in self.lambda_starting_versions:
                raise
            # Nothing runs for a version that never started; only the deletion hooks are left to do.
            lambda_hooks.delete_function_version.run(qualified_arn)

    stop_version.tolerates_failed_versions = True
    LambdaService.stop_version = stop_version

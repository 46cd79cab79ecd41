"""The LocalStack release that the platform's changes inside LocalStack (executor plugin, patches, the
moto DynamoDB provider) were read against, and that requirements/localstack.txt installs. Each patch
checks it before it changes anything, and its unit test fails on another release, so that whoever
upgrades LocalStack reads each patch again."""

PINNED_LOCALSTACK = "4.14.0"

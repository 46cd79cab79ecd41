"""Deploying a user's own CDK, SAM or CloudFormation app into the running environment."""

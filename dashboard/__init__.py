"""`make dashboard`: a local web page of the running environment, read through the AWS APIs and
CloudWatch Logs only (the same in embedded and Docker mode). See docs/dashboard.md."""

"""Which regions a service is offered in, read once per process rather than once per boto3 Session.

botocore answers ``Session.get_available_regions`` from the service's model (for its endpoint prefix)
and from endpoints.json (1.2 MB), both read through the session's own loader: a new Session reads both
again, 30 to 50 ms a call. LocalStack asks through a new Session for each service on its first request
(``get_valid_regions_for_service``, for the service's stores) and for its region check, and moto's EC2
three times as it is imported (SSM imports it). A `make up` that deploys the shop spent a fifth of
LocalStack's sampled CPU there, on the one core the deploy's requests need.

Here every Session's ``get_available_regions`` answers from one table, filled through one Session kept
for it (whose loader keeps what it read), under a lock: botocore's sessions are not for two threads at
once. The answer depends only on botocore's data; a session that reads its data from elsewhere
(``data_path``) asks botocore as before. Each caller gets its own list.
"""

import threading

import boto3.session

_ORIGINAL = boto3.session.Session.get_available_regions
_LOCK = threading.Lock()
_ANSWERS: dict[tuple[str, str, bool], tuple[str, ...]] = {}
_SHARED: list[tuple[boto3.session.Session, object]] = []  # the Session the table is filled through, and its data_path


def read_once() -> None:
    """Installs the table (idempotent)."""
    boto3.session.Session.get_available_regions = _available_regions


def _data_path(session: boto3.session.Session) -> object:
    return session._session.get_config_variable("data_path")


def _available_regions(self, service_name, partition_name="aws", allow_non_regional=False):
    with _LOCK:
        if not _SHARED:
            session = boto3.session.Session()
            _SHARED.append((session, _data_path(session)))
        shared, data_path = _SHARED[0]
    if self is not shared and _data_path(self) != data_path:
        return _ORIGINAL(self, service_name, partition_name, allow_non_regional)
    key = (service_name, partition_name, allow_non_regional)
    with _LOCK:
        if key not in _ANSWERS:
            _ANSWERS[key] = tuple(_ORIGINAL(shared, service_name, partition_name, allow_non_regional))
        return list(_ANSWERS[key])

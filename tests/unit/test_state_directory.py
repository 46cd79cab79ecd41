"""The embedded instance's state directory, as the command line creates it."""

import stat

from embedded_localstack import cli


def test_a_new_state_directory_is_the_owners_alone(tmp_path, monkeypatch):
    # It holds LocalStack's log, its data, and its TLS certificate's private key (written readable by all)
    state = tmp_path / "nested" / "state"
    monkeypatch.setenv("EMBEDDED_STATE_DIR", str(state))

    assert cli.main(["status"]) != 0  # nothing runs there

    assert stat.S_IMODE(state.stat().st_mode) == 0o700

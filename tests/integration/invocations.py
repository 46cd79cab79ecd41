"""Test functions' code from strings, and what an invoke's answer says about itself: shared by the
runtime tests of every language."""

import io
import zipfile


def zip_sources(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def request_id_of(response) -> str:
    return response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]

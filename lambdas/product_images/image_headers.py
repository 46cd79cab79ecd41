"""Width and height of PNG and JPEG images, read from the first bytes of the file."""

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the dimensions (baseline, progressive, lossless, ...).
JPEG_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def dimensions(head: bytes) -> tuple[str, int, int] | None:
    """(format, width, height), or None when the bytes are neither PNG nor JPEG or are cut short."""
    if head.startswith(PNG_SIGNATURE) and len(head) >= 24 and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return "png", width, height
    if head.startswith(b"\xff\xd8"):
        return _jpeg(head)
    return None


def _jpeg(data: bytes) -> tuple[str, int, int] | None:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if marker in JPEG_SOF_MARKERS and position + 9 <= len(data):
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return "jpeg", width, height
        position += 2 + length
    return None

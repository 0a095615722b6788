"""Which photo formats the directory accepts, recognised by their bytes, not their labels."""

from __future__ import annotations


def sniff_image_type(data: bytes) -> str | None:
    """The content type the bytes really are (JPEG, PNG or WebP), or None for anything else.

    The declared Content-Type is ignored: a file is what its magic bytes say it is.
    """
    if len(data) >= 4 and data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        return "image/png"
    if len(data) >= 16 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None

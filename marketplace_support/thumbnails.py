"""Small copies of large images, made once when a file is stored and kept beside it, so a page
with ten 10 MB screenshots shows ten small pictures instead of loading 100 MB.

A thumbnail is written in the format of its image (its bytes pass the same check on the way
out); an image that is already small gets none (the page shows the image itself), and one that
cannot be read, or whose pixels would not fit in memory (Pillow's decompression-bomb limit),
gets none either: it is still stored and listed.
"""

from __future__ import annotations

import io
import logging
import warnings
from typing import IO

from PIL import Image, ImageOps

_log = logging.getLogger(__name__)

#: the longest side of a thumbnail, in pixels (the page shows them at most 240 px wide: twice
#: that for high-density screens)
LONGEST_SIDE = 480
#: an image smaller than this, and no wider or higher than LONGEST_SIDE, is its own thumbnail
SMALL_BYTES = 150_000

_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}


def make(stream: IO[bytes], kind: str, size: int) -> bytes | None:
    """The thumbnail of the image in ``stream`` (of file kind ``kind``, ``size`` bytes), or
    None where the image needs none or cannot have one. Leaves the stream at its start."""
    target = _FORMATS.get(kind)
    if target is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _shrunk(stream, target, size)
    except Exception:  # a picture we cannot read is still a file people may download
        _log.info("no thumbnail for a %s image", kind, exc_info=True)
        return None
    finally:
        stream.seek(0)


def _shrunk(stream: IO[bytes], target: str, size: int) -> bytes | None:
    stream.seek(0)
    with Image.open(stream) as image:
        if size <= SMALL_BYTES and max(image.size) <= LONGEST_SIDE:
            return None
        image.seek(0)  # an animation's first frame
        picture = ImageOps.exif_transpose(image)
        picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
        if target == "JPEG" and picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        written = io.BytesIO()
        picture.save(written, target)
        return written.getvalue()

#!/usr/bin/env python3
"""Write src/formflow/render/color/sRGB-v4.icc, the output intent profile of our PDF/A files (a developer
step, never run at print time; the file is committed).

WeasyPrint embeds sRGB2014.icc (3,024 bytes, tabulated tone curves) in every PDF/A: 2.2 KB of each
one-page record once deflated. The same colour space described by LittleCMS's built-in sRGB profile
(parametric tone curves: the sRGB formula itself) takes 588 bytes. Made through Pillow's ImageCms
(Pillow comes with WeasyPrint) and made reproducible: creation date zeroed, header version 4.2
(ICC.1:2004-10, the profile version PDF 1.7 and so PDF/A-2 and -3 name; every tag LittleCMS writes
for it — mluc, XYZ, sf32, para, chrm — is defined there), profile ID left zero ("not computed",
which the ICC specification allows).

    .venv/bin/python scripts/make_srgb_profile.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import ImageCms

TARGET = Path(__file__).resolve().parent.parent / "src" / "formflow" / "render" / "color" / "sRGB-v4.icc"


def profile_bytes() -> bytes:
    """The profile, byte for byte the same on every run."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    assert data[36:40] == b"acsp" and data[12:24] == b"mntrRGB XYZ ", "not a display RGB profile"
    data[8:12] = bytes((4, 0x20, 0, 0))  # version 4.2.0.0
    data[24:36] = bytes(12)  # creation date and time
    data[84:100] = bytes(16)  # profile ID: not computed
    return bytes(data)


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(profile_bytes())
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

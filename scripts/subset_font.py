#!/usr/bin/env python3
"""Rebuild the vendored Chinese font in src/formflow/render/fonts/ (a developer step, never run at print time).

Source: Noto Sans CJK SC 2.004 (SIL OFL 1.1), from Debian's ``fonts-noto-cjk`` package
(NotoSansCJK-{Regular,Bold}.ttc, face "Noto Sans CJK SC"). The PDFs use the regular weight
only, since every face a document uses is embedded in it (see fonts/fonts.css); the bold one
is for the web desk, whose stylesheet falls back to these fonts.
The character list of 《通用规范汉字表》(2013, 8105 characters) comes from the Unicode Han database field kTGH
(Unihan_OtherMappings.txt in Debian's ``unicode-data`` package); GB 2312's 6763 characters
(field kGB0) are added for old names and documents. Both packages are fetched with
``apt-get download`` and unpacked in a temporary folder (nothing is installed), unless
``--source DIR`` names a folder where they were already unpacked (``dpkg-deb -x``).

The subset keeps: printable ASCII and Latin-1, general punctuation, CJK symbols and
punctuation, full-width forms, circled and bracketed numbers, Roman numerals, arrows,
geometric shapes (□■○●◎△▲◇◆★☆), ✓, ℃ № ㎡; the 8105 + 6763 characters above; and every
character used in the repository's definitions (forms/, workflows/, choices/, *.yaml at the
root), its Python sources and the render templates. ☐ (U+2610) is mapped to the glyph of □,
✔ to ✓ and ✗ ✘ to ×, since the source font has none of them. A third, ASCII-only cut
("Formflow Sans SC Fields") is the font of fillable PDF form fields (see build_fields_font).

The family is renamed "Formflow Sans SC": the OFL asks modified versions not to pass for
the original, and a distinct name lets tests tell our embedded font from any system font.
Hinting and vertical-layout tables are dropped (print output, horizontal text only).

Glyph ids: WeasyPrint embeds a subset that keeps glyph ids, so every id below the highest one a
document uses costs about 2 bytes of the PDF (an empty slot in the CFF CharStrings INDEX). The
glyphs are therefore ordered most common first, and renamed ``cidNNNNN`` after their new ids,
so that the CFF charset (CID of each glyph) is one identity range: with the source's CIDs kept,
the charset of the embedded subset held 2 more bytes per slot that no compression shrinks
(8-9 KB of a one-page record), and a PDF reader that maps CIDs through the charset, as the PDF
specification says for CIDFontType0, finds each glyph at its CID.

    python scripts/subset_font.py            # needs Debian's apt-get (downloads ~65 MB)
    python scripts/subset_font.py --source /tmp/fontsrc/x
"""

from __future__ import annotations

import argparse
import bz2
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "formflow" / "render" / "fonts"
FAMILY = "Formflow Sans SC"
PS_FAMILY = "FormflowSansSC"
SOURCE_FACE = "Noto Sans CJK SC"
TTC = "usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc"
UNIHAN = "usr/share/unicode/Unihan_OtherMappings.txt.bz2"
COPYRIGHT = "usr/share/doc/fonts-noto-cjk/copyright"

RANGES = [
    (0x20, 0x7E),      # ASCII
    (0xA0, 0xFF),      # Latin-1: ° ± × ÷ · ¥ …
    (0x2010, 0x2027),  # dashes, quotes, bullets, ellipsis
    (0x2030, 0x203B),  # ‰ ′ ″ ※
    (0x2103, 0x2103), (0x2116, 0x2116), (0x2121, 0x2121),  # ℃ № ℡
    (0x2160, 0x216B), (0x2170, 0x2179),  # Ⅰ–Ⅻ ⅰ–ⅹ
    (0x2190, 0x2199), (0x21D2, 0x21D2), (0x21D4, 0x21D4),  # arrows
    (0x2212, 0x2212), (0x221A, 0x221A), (0x2260, 0x2261), (0x2264, 0x2265),  # − √ ≠ ≡ ≤ ≥
    (0x2460, 0x249B),  # ①–⑳ ⑴–⒇ ⒈–⒛
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2605, 0x2606), (0x2713, 0x2713),  # ★ ☆ ✓
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3220, 0x3229),  # ㈠–㈩
    (0x338E, 0x338F), (0x339C, 0x339E), (0x33A1, 0x33A1), (0x33C4, 0x33C4),  # ㎎ ㎏ ㎜ ㎝ ㎞ ㎡ ㏄
    (0xFF01, 0xFF5E),  # full-width forms
    (0xFFE0, 0xFFE6),  # ￠ ￡ ￢ ￣ ￤ ￥ ￦
]
#: Characters the source font lacks, drawn with the glyph of a look-alike it has.
ALIASES = {0x2610: 0x25A1, 0x2714: 0x2713, 0x2717: 0xD7, 0x2718: 0xD7}
REPO_TEXT = ["forms/*.yaml", "workflows/*.yaml", "choices/*.yaml", "*.yaml", "src/formflow/**/*.py",
             "src/formflow/render/templates/*"]


def fetch_sources(folder: Path) -> Path:
    """``apt-get download`` the two Debian packages into ``folder`` and unpack them there."""
    subprocess.run(["apt-get", "download", "fonts-noto-cjk", "unicode-data"], cwd=folder, check=True)
    unpacked = folder / "x"
    for deb in folder.glob("*.deb"):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    return unpacked


def unihan_positions(path: Path, field: str) -> dict[int, int]:
    """Code point → its number in the standard (kTGH "2013:1234" → 1234; kGB0 "1601" → 1601)."""
    codes = {}
    with bz2.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[1] == field:
                codes[int(parts[0][2:], 16)] = int(parts[2].split(":")[-1])
    return codes


def repo_characters() -> set[int]:
    codes = set()
    for pattern in REPO_TEXT:
        for path in REPO.glob(pattern):
            if path.is_file() and path.suffix in (".py", ".yaml", ".html", ".css", ".txt", ".md"):
                codes |= {ord(c) for c in path.read_text(encoding="utf-8") if ord(c) > 0x7E}
    return codes


def ofl_text(copyright_file: Path) -> str:
    """The OFL 1.1 text from Debian's copyright file, with the upstream notice above it."""
    text = copyright_file.read_text(encoding="utf-8")
    block = text.split("License: SIL-1.1\n", 2)[2].split("\nLicense: ", 1)[0]
    lines = [line[1:] if line.startswith(" ") else line for line in block.splitlines()]
    body = "\n".join("" if line == "." else line for line in lines).strip()
    return ("Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'.\n"
            "Noto is a trademark of Google Inc.\n\n"
            f"{FAMILY} (FormflowSansSC-Regular.otf, FormflowSansSC-Bold.otf) and {FAMILY} Fields\n"
            "(FormflowSansSCFields-Regular.otf) are Modified Versions of Noto Sans CJK SC 2.004:\n"
            "subsets of its characters, renamed, made by scripts/subset_font.py.\n\n"
            "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
            "This license is copied below, and is also available with a FAQ at: https://openfontlicense.org\n\n"
            f"{body}\n")


def rename(font, weight: str, family: str = FAMILY, ps_family: str = PS_FAMILY,
           covers: str = "通用规范汉字表 8105 + GB 2312") -> None:
    ps_name = f"{ps_family}-{weight}"
    full = family if weight == "Regular" else f"{family} {weight}"
    name = font["name"]
    description = f"Subset of Noto Sans CJK SC 2.004 for formflow ({covers}), SIL Open Font License 1.1"
    for record in list(name.names):
        if record.nameID in (16, 17, 3, 1, 2, 4, 6, 10):
            name.removeNames(nameID=record.nameID)
    for name_id, value in ((1, family), (2, weight), (3, f"{ps_name};formflow"), (4, full), (6, ps_name),
                           (10, description)):
        name.setName(value, name_id, 3, 1, 0x409)  # Windows names only: Mac Roman cannot hold the Chinese
    cff = font["CFF "].cff
    cff.fontNames = [ps_name]
    top = cff.topDictIndex[0]
    top.FullName, top.FamilyName = full, family
    if hasattr(top, "CIDFontName"):
        top.CIDFontName = ps_name


def reorder(font, priority: list[int]) -> None:
    """Put the glyphs of ``priority`` (code points, most used first) at the lowest glyph ids.

    WeasyPrint embeds a subset that keeps glyph ids, so every glyph id below the highest one a
    document uses costs a few bytes in the PDF; common characters first keep that tail short.
    The CFF FDSelect (which font dict, hence which hints and subroutines, each glyph uses) is
    permuted with the glyphs, the glyphs are renamed after their ids (:func:`renumber`), and
    every outline and character is checked unchanged afterwards.
    """
    from fontTools.pens.recordingPen import DecomposingRecordingPen
    from fontTools.ttLib.reorderGlyphs import reorderGlyphs

    font.ensureDecompiled()
    old = font.getGlyphOrder()
    top = font["CFF "].cff.topDictIndex[0]
    fd_of = dict(zip(old, top.FDSelect.gidArray))
    glyphs = font.getGlyphSet()

    def outline(name):
        pen = DecomposingRecordingPen(glyphs)
        glyphs[name].draw(pen)
        return pen.value

    before = {name: outline(name) for name in old}
    cmap = font.getBestCmap()
    first = [old[0]]  # .notdef stays glyph 0
    for code in priority:
        name = cmap.get(code)
        if name is not None and name not in first:
            first.append(name)
    seen = set(first)
    order = first + [name for name in old if name not in seen]
    reorderGlyphs(font, order)
    top.FDSelect.gidArray = [fd_of[name] for name in order]
    renumber(font)
    glyphs = font.getGlyphSet()
    renamed = dict(zip(order, font.getGlyphOrder()))
    changed = [name for name in order if outline(renamed[name]) != before[name]]
    if changed:
        raise SystemExit(f"reordering changed {len(changed)} outlines, e.g. {changed[:5]}")
    now = font.getBestCmap()
    moved = [code for code, name in cmap.items() if now.get(code) != renamed[name]]
    if moved:
        raise SystemExit(f"reordering moved {len(moved)} characters, e.g. {moved[:5]}")


def renumber(font) -> None:
    """Rename every glyph ``cidNNNNN`` after its glyph id: the CFF charset becomes CID = glyph id.

    fontTools writes a CID-keyed font's charset from the glyph names, so after :func:`reorder`
    the source's CIDs would follow their glyphs to new ids in no order (see the module notes).
    """
    font.ensureDecompiled()
    old = font.getGlyphOrder()
    new = [".notdef"] + [f"cid{gid:05d}" for gid in range(1, len(old))]
    mapping = dict(zip(old, new))
    for table in font["cmap"].tables:
        table.cmap = {code: mapping[name] for code, name in table.cmap.items()}
    hmtx = font["hmtx"]
    hmtx.metrics = {mapping[name]: metrics for name, metrics in hmtx.metrics.items()}
    top = font["CFF "].cff.topDictIndex[0]
    top.CharStrings.charStrings = {mapping[name]: index for name, index in top.CharStrings.charStrings.items()}
    top.charset = [mapping[name] for name in top.charset]
    font.setGlyphOrder(new)


def build(source: Path, wanted: set[int], priority: list[int]) -> dict[str, tuple[int, int]]:
    results = {}
    for weight in ("Regular", "Bold"):
        collection = TTCollection(str(source / TTC.format(weight=weight)))
        font = next(f for f in collection.fonts if f["name"].getDebugName(1) == SOURCE_FACE)
        cmap = font.getBestCmap()
        # Aliases: point the missing code points at the look-alike's glyph in every Unicode cmap.
        for table in font["cmap"].tables:
            if table.isUnicode():
                for code, target in ALIASES.items():
                    if target in cmap and code not in table.cmap and (code < 0x10000 or table.format == 12):
                        table.cmap[code] = cmap[target]
        options = subset.Options()
        options.hinting = False
        options.desubroutinize = False
        options.notdef_outline = True
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.drop_tables += ["vhea", "vmtx", "VORG", "BASE", "GSUB", "GPOS", "GDEF"]
        options.layout_features = []  # no alternates: one glyph per character, none pulled in by features
        subsetter = subset.Subsetter(options)
        present = {c for c in wanted | set(ALIASES) if c in font.getBestCmap()}
        subsetter.populate(unicodes=sorted(present))
        subsetter.subset(font)
        reorder(font, priority)
        rename(font, weight)
        target = OUT / f"{PS_FAMILY}-{weight}.otf"
        font.recalcTimestamp = False  # head.modified stays the source's: the same inputs give the same bytes
        font.save(str(target))
        results[weight] = (len(present), target.stat().st_size)
    results["Fields"] = build_fields_font(source)
    return results


def build_fields_font(source: Path) -> tuple[int, int]:
    """A Latin-only cut for the fields of fillable PDFs.

    WeasyPrint embeds the whole font used by PDF form fields (a reader may need any glyph
    for what is typed); with the full 8906-character font that is 1.7 MB a form. Readers
    draw typed Chinese with a font of their own system anyway (tested with PDFium), so the
    field font only needs to cover ASCII.
    """
    collection = TTCollection(str(source / TTC.format(weight="Regular")))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == SOURCE_FACE)
    options = subset.Options()
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE", "GSUB", "GPOS", "GDEF"]
    options.layout_features = []
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=range(0x20, 0x7F))
    subsetter.subset(font)
    rename(font, "Regular", family=f"{FAMILY} Fields", ps_family=f"{PS_FAMILY}Fields", covers="ASCII")
    target = OUT / f"{PS_FAMILY}Fields-Regular.otf"
    font.recalcTimestamp = False
    font.save(str(target))
    return 0x7F - 0x20, target.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, help="folder where fonts-noto-cjk and unicode-data are unpacked")
    args = parser.parse_args(argv)
    han = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source or fetch_sources(Path(tmp))
        tgh = unihan_positions(source / UNIHAN, "kTGH")
        gb = set(unihan_positions(source / UNIHAN, "kGB0"))
        if len(tgh) != 8105:
            print(f"expected 8105 kTGH characters, found {len(tgh)}", file=sys.stderr)
            return 1
        ranges = {c for low, high in RANGES for c in range(low, high + 1)}
        repo = repo_characters()
        OUT.mkdir(parents=True, exist_ok=True)
        common = [(0x20, 0x7E), (0x3000, 0x303F), (0xFF01, 0xFF5E), (0x2010, 0x2027)]
        ascii_and_punct = [c for low, high in common for c in range(low, high + 1)]
        symbols = sorted(c for c in repo if not han.match(chr(c)))
        priority = (ascii_and_punct + symbols + sorted(c for c in repo if han.match(chr(c)))
                    + sorted((c for c in tgh if tgh[c] <= 3500), key=tgh.get)    # 一级字表: the 3500 common ones
                    + sorted((c for c in tgh if tgh[c] > 3500), key=tgh.get))
        results = build(source, set(tgh) | gb | ranges | repo, priority)
        (OUT / "OFL.txt").write_text(ofl_text(source / COPYRIGHT), encoding="utf-8")
    extra = sorted(chr(c) for c in repo - set(tgh) - gb if han.match(chr(c)))
    print(f"通用规范汉字表 {len(tgh)}, GB 2312 {len(gb)}, union {len(set(tgh) | gb)}; "
          f"repository characters outside both: {''.join(extra) or 'none'}")
    for weight, (count, size) in results.items():
        print(f"{weight}: {count} characters, {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

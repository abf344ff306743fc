"""Tables the office already keeps (unit register, arrears lists) in, and lists back out as .xlsx.

Reading accepts what clerks actually have: .xlsx/.xlsm from Excel, WPS or the billing system, and
CSV/TXT saved by Excel on Chinese Windows (GBK) or by anything else (UTF-8, with or without BOM).
Every cell comes back as text, as the clerk sees it, keyed by its header; row numbers are those
Excel/WPS shows, so a message can say "第 12 行" and the clerk finds it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from formflow.adapters.atomic import fsync_dir
from formflow.errors import FormflowError

# Besides str.strip()'s whitespace (which covers U+3000 and NBSP): BOM and zero-width space pasted from web pages.
_STRIP = "\ufeff\u200b"
_SHEET_NAME_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def clean_header(header: str) -> str:
    """A header as offices' names for a column are compared: no spaces, no brackets and what is inside them
    (应收金额（元） is 应收金额), no colon or star."""
    return re.sub(r"（.*?）|\(.*?\)|\[.*?\]|【.*?】|[\s()（）\[\]【】:：*]", "", header)


@dataclass(frozen=True)
class RefusedRow:
    """A row not taken, and why (Chinese, for the clerk who fixes the spreadsheet); ``row`` as Excel numbers it."""

    row: int
    reason: str


class SheetError(FormflowError):
    """A spreadsheet that cannot be read at all (not a table, wrong encoding, damaged .xlsx).

    Message in Chinese first, English after, naming the file.
    """


@dataclass(frozen=True)
class Sheet:
    """One table read from a file: its header names and its non-empty data rows as text."""

    path: Path
    headers: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    encoding: str = ""
    #: The worksheet read (its name as Excel shows it); "" for a CSV.
    sheet: str = ""


def _error(path: Path, zh: str, en: str) -> SheetError:
    return SheetError(f"无法读取表格 {path.name}：{zh} / Cannot read the table {path.name}: {en}")


def _open_error(path: Path, exc: OSError) -> SheetError:
    if isinstance(exc, FileNotFoundError):
        return _error(path, "找不到这个文件。", "no such file.")
    return _error(path, f"文件打不开（{exc.strerror or exc}）。", f"the file cannot be opened ({exc}).")


def _unique(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base（2）``, ``base（3）``... whichever is not taken yet."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}（{n}）"
    return name


def _cell_text(value: object) -> str:
    """The text a clerk sees for a cell value: whole numbers without ".0", dates in ISO form, None as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: bool is an int; Excel shows TRUE/FALSE
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))  # 13800138000.0 from Excel is a phone number, 1502.0 a room
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second or value.microsecond else "minutes")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip().strip(_STRIP).strip()


#: How many non-empty rows at the top may hold title lines, dates and notes above the header.
HEAD_ROWS = 15


def _table(path: Path, rows: Iterable[Sequence[object]], max_rows: int, encoding: str,
           is_header: Callable[[list[str]], bool] | None = None) -> Sheet:
    """Find the header, name the columns and key every later non-empty row by them.

    The header is the first of the top rows that ``is_header`` accepts (the caller knows the names it looks
    for: a title line with a date beside it is not a header), else the first with two cells filled (a title
    line like "阳光花园房屋清单" has one), else, for a one-column list, the first row."""
    numbered = ((number, [_cell_text(value) for value in raw]) for number, raw in enumerate(rows, start=1))
    filled = ((number, cells) for number, cells in numbered if any(cells))
    head: list[tuple[int, list[str]]] = []
    for item in filled:
        head.append(item)
        if len(head) >= HEAD_ROWS:
            break
    if not head:
        raise _error(path, "文件里没有表头也没有数据。", "the file holds neither a header row nor data.")
    chosen = next((i for i, (_, cells) in enumerate(head) if is_header is not None and is_header(cells)), None)
    if chosen is None:
        chosen = next((i for i, (_, cells) in enumerate(head) if sum(1 for c in cells if c) >= 2), 0)
    headers = _names(head[chosen][1])
    data: list[tuple[int, dict[str, str]]] = []
    count = 0
    for number, cells in [*head[chosen + 1:], *filled]:
        count += 1
        if count <= max_rows:  # past it, keep counting so the message can say how many, holding nothing
            data.append((number, _keyed(headers, cells)))
    if count > max_rows:
        raise _error(path, f"有 {count} 行数据，超过上限 {max_rows} 行，是不是选错了文件？",
                     f"{count} data rows, more than the limit of {max_rows}; is this the right file?")
    return Sheet(path, tuple(headers), tuple(data), encoding)


def _names(cells: list[str]) -> list[str]:
    """Header names: trailing blanks dropped, blanks named 列N, repeats suffixed （2）, so no column is lost."""
    while cells and not cells[-1]:
        cells = cells[:-1]
    names: list[str] = []
    for index, text in enumerate(cells, start=1):
        names.append(_unique(text or f"列{index}", names))
    return names


def _keyed(headers: list[str], cells: list[str]) -> dict[str, str]:
    row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(headers)}
    for i in range(len(headers), len(cells)):
        if cells[i]:  # past the header's width: kept under the column's own name, never dropped
            row[_unique(f"列{i + 1}", row)] = cells[i]
    return row


def read_table(path: Path, *, sheet: str | None = None, max_rows: int = 200_000,
               is_header: Callable[[list[str]], bool] | None = None) -> Sheet:
    """Read a .xlsx/.xlsm/.csv/.txt table: header found below any title lines, every cell as text.

    ``sheet`` picks a worksheet of a workbook by name (default: the active one, shown on opening);
    more than ``max_rows`` data rows, a damaged or unknown file raise :class:`SheetError`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, max_rows, is_header)
    if suffix in (".csv", ".txt"):
        return _read_csv(path, max_rows, is_header)
    raise _error(path, "只能读取 .xlsx 或 CSV 文件，请在 Excel/WPS 里“另存为 .xlsx”后再试。",
                 "only .xlsx and CSV files can be read; use Save As .xlsx in Excel/WPS and try again.")


def _read_xlsx(path: Path, sheet: str | None, max_rows: int, is_header=None) -> Sheet:
    from openpyxl import load_workbook  # imported here: only this path pays for openpyxl at start-up

    try:
        # read_only streams the sheet; data_only takes cached results and never evaluates a formula;
        # keep_links=False leaves links to other workbooks unread.
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except OSError as exc:
        raise _open_error(path, exc) from exc
    except Exception as exc:  # a damaged file fails anywhere in zip/XML parsing: BadZipFile, KeyError, ParseError...
        raise _error(path, "文件已损坏或不是 .xlsx 文件。", "the file is damaged or not an .xlsx file.") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise _error(path, f"没有名为“{sheet}”的工作表，现有：{'、'.join(book.sheetnames)}。",
                         f"no sheet named {sheet!r}; the sheets are: {', '.join(book.sheetnames)}.")
        ws = book[sheet] if sheet is not None else book.active
        if ws is None or not hasattr(ws, "reset_dimensions"):  # a chart sheet holds no cells
            raise _error(path, "这个工作表里没有表格。", "that sheet is not a table of cells.")
        # Some exporters write a wrong <dimension>; trusting it would silently drop rows past it.
        ws.reset_dimensions()
        return replace(_table(path, ws.iter_rows(min_row=1, values_only=True), max_rows, "", is_header),
                       sheet=ws.title)
    except SheetError:
        raise
    except Exception as exc:  # read_only parses lazily: damage inside a sheet only shows while iterating
        raise _error(path, "文件已损坏，读不出其中的表格。", "the file is damaged; its table cannot be read.") from exc
    finally:
        book.close()  # a read_only workbook keeps the file open until closed (and locked on Windows)


def _read_csv(path: Path, max_rows: int, is_header=None) -> Sheet:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _open_error(path, exc) from exc
    text, encoding = _decode(path, data)
    sample = text[:8192]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole lines only, or the sniffer sees a short last row
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","  # one column, or too little to tell
    try:
        # Row numbers count records, as Excel does: a quoted cell with a newline stays one row.
        return _table(path, csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), max_rows, encoding,
                      is_header)
    except csv.Error as exc:
        raise _error(path, f"CSV 格式有误（{exc}）。", f"the CSV is malformed ({exc}).") from exc


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding name of a CSV: BOM first, then strict UTF-8, then GB18030 (reported as gbk)."""
    # A BOM settles the encoding (Excel's "Unicode 文本" .txt is UTF-16): no guessing past it.
    if data.startswith(b"\xef\xbb\xbf"):
        tries = [("utf-8-sig", "utf-8")]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        tries = [("utf-16", "utf-16")]
    else:  # GB18030 is a superset of GBK, what Excel on Chinese Windows saves; callers know it as "gbk".
        tries = [("utf-8", "utf-8"), ("gb18030", "gbk")]
    for codec, name in tries:
        try:
            return data.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise _error(path, "文字编码无法识别（既不是 UTF-8 也不是 GBK），请在 Excel/WPS 里另存为 .xlsx。",
                 "the text is neither UTF-8 nor GBK; save it as .xlsx in Excel/WPS.")


def write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = "",
               sheet_name: str = "Sheet1") -> None:
    """Write ``headers`` and ``rows`` to ``path`` as .xlsx, atomically (the old file stays until the new is whole).

    An optional ``title`` goes in row 1 above the header; the header is bold and frozen. Numbers stay numbers,
    bools become 是/否, dates ISO text; text never becomes a formula, whatever a resident typed.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    body = [[_out(value) for value in row] for row in rows]  # widths need every cell before the first is written
    head = [_out(name) for name in headers]
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=_sheet_name(sheet_name))
    widths: dict[int, int] = {}
    for row in [head, *body]:
        for index, value in enumerate(row, start=1):
            widths[index] = max(widths.get(index, 0), _width(value))
    for index, width in widths.items():
        ws.column_dimensions[get_column_letter(index)].width = min(50, max(6, width + 2))
    ws.freeze_panes = "A3" if title else "A2"  # the header (row 2 under a title) stays in view
    bold = Font(bold=True)

    def cells(values: list[object], font: Font | None = None) -> Iterator[WriteOnlyCell]:
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # "=1+1" from a resident stays text: openpyxl would otherwise write a formula
            if font is not None:
                cell.font = font
            yield cell

    if title:
        ws.append(list(cells([_out(title)], bold)))
    ws.append(list(cells(head, bold)))
    for row in body:
        ws.append(list(cells(row)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        book.save(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _out(value: object) -> object:
    """A value as written: numbers as numbers, bool as 是/否, dates as ISO text, the rest as clean text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int) or (isinstance(value, (float, Decimal)) and math.isfinite(value)):
        return value
    text = _cell_text(value) if isinstance(value, (dt.date, dt.time)) else str(value)  # NaN/inf: text
    # Control characters (pasted from other programs) make openpyxl refuse the cell and Excel the file.
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _width(value: object) -> int:
    """Display width of a cell's longest line: CJK and full-width characters take two columns."""
    if value is None:
        return 0
    lines = str(value).splitlines() or [""]
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines)


def _sheet_name(name: str) -> str:
    """A sheet name Excel accepts: none of []:*?/\\, no apostrophe at either end, at most 31 characters."""
    clean = str(name).translate(_SHEET_NAME_FORBIDDEN).strip().strip("'")[:31].strip("'")
    return clean or "Sheet1"

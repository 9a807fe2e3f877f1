"""``mentorbot report NAME``: the reports, and the one way each is published.

A report is plain data (:class:`Report`: a title, totals, one table, notes) built by its own
module (``dashboard``, ``graduation``, ``coverage``) from what the wiki and the state store say.
:func:`publish` then writes it as ``NAME.csv`` (and ``NAME.png`` where a chart says more) to a
local folder, and as a sortable wikitable on the report's page, which is saved only when the
content changed. Everything is computed before anything is written, so bad input leaves the page
as it was.
"""

from __future__ import annotations

import csv
import hashlib
import html
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import OutputError
from bot.gateway import Gateway
from bot.messages import ENGLISH, Items, Messages, Text, english, plain_english

DATE = re.compile(r"\d{4}-\d\d-\d\d")


class Share(float):
    """A fraction of a whole, shown as a percentage."""


@dataclass(frozen=True)
class Labelled:
    """A code the files and the command line keep as it is (a log action name), shown on the wiki by its label."""

    value: str
    label: Text

    def __str__(self) -> str:
        return self.value


Cell = str | int | float | Text | Items | Labelled | None
# A page may hold text of its own around the report: then only what lies between these is the bot's.
START = "<!-- mentorbot:report start -->"
END = "<!-- mentorbot:report end -->"


@dataclass
class Report:
    """A report as data. Labels, notes and some cells are :class:`Text`: the wiki's language on the
    page, English in the files and on the command line."""

    name: str  # mentors, graduation, coverage: also the file names
    title: Text
    columns: list[Text]
    rows: list[list[Cell]]
    totals: list[tuple[Text, Cell]] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)  # what was counted and how; shown under the table
    chart: Callable[[Path], None] | None = None  # draws NAME.png
    wiki_chart: Callable[[Messages], str] | None = None  # the same chart as wikitext, above the table
    lines: list[str] = field(default_factory=list)  # extra lines for the command's output

    def as_json(self) -> dict[str, object]:
        """The report in English, for ``--json``."""
        return {"columns": [english(c) for c in self.columns],
                "rows": [[cell_text(v) if isinstance(v, Text | Items | Labelled) else v for v in row]
                         for row in self.rows],
                "totals": {english(label): cell_text(value) for label, value in self.totals},
                "notes": [english(note) for note in self.notes]}


@dataclass(frozen=True)
class Published:
    files: list[Path]
    page: str | None
    page_changed: bool


def cell_text(value: Cell) -> str:
    """A cell in English, as the files and the command line show it."""
    if value is None:
        return ""
    if isinstance(value, Text | Items):
        return plain_english(ENGLISH.param(value))
    if isinstance(value, Labelled):
        return value.value
    if isinstance(value, Share):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def wiki_cell(value: Cell, messages: Messages) -> str:
    """A table cell that cannot break the table or call a template: markup shows as text.

    Only the bot's own messages are wikitext; every value from the wiki or a file is escaped.
    """
    if isinstance(value, Text | Items):
        return messages.param(value)
    if isinstance(value, Labelled):
        return messages.wikitext(value.label)
    text = cell_text(value)
    if isinstance(value, Share):  # sorts by number, not by its text
        return f'data-sort-value="{value:.6f}" | {text}'
    if DATE.fullmatch(text):
        return f'style="white-space:nowrap" | {text}'
    return html.escape(text, quote=False).replace("|", "&#124;").replace("{", "&#123;").replace(
        "[", "&#91;").replace("~", "&#126;").replace("\n", " ")


LINKED = ("mentorbot-column-mentor", "mentorbot-column-mentee")  # columns of user names, shown as links


def render_body(report: Report, messages: Messages) -> str:
    """The report as wikitext in the wiki's language, without the date line (so unchanged data gives
    identical text): totals on one line, the chart, the table, then how it was counted."""
    parts = []
    if report.totals:
        parts.append(messages.wikitext(Text("mentorbot-report-totals", Items(tuple(
            Text("mentorbot-report-total", label, value if isinstance(value, Text) else cell_text(value))
            for label, value in report.totals)))))
    if report.wiki_chart is not None:
        parts.append(report.wiki_chart(messages))
    header = "! " + " !! ".join(messages.wikitext(column) for column in report.columns)
    body = []
    for row in report.rows:
        cells = [messages("mentorbot-user-link", str(value)) if column.key in LINKED and value
                 else wiki_cell(value, messages) for column, value in zip(report.columns, row, strict=True)]
        body.append("|-\n| " + " || ".join(cells))
    parts.append('{| class="wikitable sortable"\n' + header + "\n" + "\n".join(body) + "\n|}")
    if report.notes:
        parts.append("\n".join(f"* {messages.wikitext(note)}" for note in report.notes))
    return "\n\n".join(parts)


def content_marker(report: Report, body: str) -> str:
    """A hidden line with a hash of the report's content: the same data gives the same marker."""
    return f"<!-- mentorbot:report:{report.name}:{hashlib.sha256(body.encode()).hexdigest()[:16]} -->"


def page_text(current: str, report: Report, body: str, bot: str, now: datetime, messages: Messages) -> str:
    updated = messages("mentorbot-report-updated", report.title, bot, f"{now:%Y-%m-%d %H:%M}")
    block = f"{START}\n{content_marker(report, body)}\n''{updated}''\n\n{body}\n{END}"
    start, end = current.find(START), current.find(END)
    if 0 <= start < end:
        return current[:start] + block + current[end + len(END):]
    return block


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, so a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_files(report: Report, output: Path) -> list[Path]:
    try:
        return _write_files(report, output)
    except OSError as error:
        raise OutputError(f"the {report.name} report's files", output, error) from None


def _write_files(report: Report, output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    csv_path = output / f"{report.name}.csv"

    def write_csv(path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(english(column) for column in report.columns)
            writer.writerows([cell_text(value) if isinstance(value, Text | Items | Labelled) else
                              "" if value is None else value for value in row] for row in report.rows)

    write_atomically(csv_path, write_csv)
    files = [csv_path]
    if report.chart is not None:
        png_path = output / f"{report.name}.png"
        write_atomically(png_path, report.chart)
        files.append(png_path)
    return files


def publish(gateway: Gateway, report: Report, page_title: str | None, output: Path,
            now: datetime | None = None, overrides: dict[str, str] | None = None) -> Published:
    """Files first, then the page, edited only when the report's content changed.

    A dry run writes its files to a ``dry-run`` folder inside ``output``, never over the real ones.
    """
    files = write_files(report, output / "dry-run" if gateway.config.dry_run else output)
    if not page_title:
        return Published(files, None, False)
    messages = gateway.messages(overrides)
    body = render_body(report, messages)
    page = gateway.read_page(page_title)
    if page.exists and content_marker(report, body) in page.text:
        return Published(files, page.title, False)
    text = page_text(page.text, report, body, gateway.username, now or datetime.now(UTC), messages)
    gateway.save_page(page, text, messages("mentorbot-summary-report", report.title, len(report.rows)))
    return Published(files, page.title, True)

"""A report folder: the same content as Markdown and as one self-contained HTML page.

::

    with ReportFolder("results/table1_report", "Transfer") as doc:
        doc.heading("Results")
        doc.table(["row", "success"], [["rcan", "71%"]])
        plot(doc.file("curve.png"))            # write pictures straight into the folder
        doc.image("curve.png", "Finetuning curves")

Pictures are files next to ``report.md`` (which links them) and are embedded in
``report.html`` as base64, so the page can be mailed or archived on its own. The folder is
built under a temporary name and swapped in on success: an interrupted build leaves the
previous report, never half of one. An existing folder is only replaced if it is empty or
holds a ``report.md`` (a report written here), so a wrong ``--out`` cannot delete a user's
folder.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
from pathlib import Path
from types import TracebackType

from rcan.common.errors import RcanError

_MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
th { background: #f2f2f2; }
figure { margin: 1em 0; display: inline-block; vertical-align: top; }
figcaption { font-size: 0.88em; color: #555; max-width: 640px; }
img { max-width: 100%; image-rendering: pixelated; }
code { background: #f4f4f4; padding: 0 3px; }
"""


class ReportFolder:
    """Collects blocks, then writes ``report.md`` and ``report.html`` into ``folder``."""

    def __init__(self, folder: str | os.PathLike[str], title: str) -> None:
        self.folder = Path(folder)
        self.title = title
        self.blocks: list[tuple[str, object]] = []
        self.staging = self.folder.with_name(f".{self.folder.name}.{os.getpid()}.tmp")

    def __enter__(self) -> ReportFolder:
        if self.folder.exists() and (not self.folder.is_dir() or (
                any(self.folder.iterdir()) and not (self.folder / "report.md").is_file())):
            raise RcanError(f"{self.folder} exists and is not a report folder; choose another "
                            "output folder")
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None:
                (self.staging / "report.md").write_text(self.markdown())
                (self.staging / "report.html").write_text(self.html())
                old = self.folder.with_name(f".{self.folder.name}.{os.getpid()}.old")
                if self.folder.exists():
                    self.folder.rename(old)
                self.staging.rename(self.folder)
                if old.exists():
                    shutil.rmtree(old)
        finally:
            if self.staging.exists():
                shutil.rmtree(self.staging)

    # -- content --------------------------------------------------------------------------
    def file(self, name: str) -> Path:
        """Where to write a picture called ``name`` (inside the folder being built)."""
        if Path(name).name != name or name in ("report.md", "report.html"):
            raise RcanError(f"report file name {name!r} must be a plain, unreserved file name")
        return self.staging / name

    def heading(self, text: str, level: int = 2) -> None:
        """A section title."""
        self.blocks.append(("heading", (level, text)))

    def paragraph(self, text: str) -> None:
        """Plain text; `backticks` mark code."""
        self.blocks.append(("paragraph", text))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        """A table of strings."""
        for row in rows:
            if len(row) != len(header):
                raise ValueError(f"table row {row} does not match header {header}")
        self.blocks.append(("table", (header, rows)))

    def image(self, name: str, caption: str) -> None:
        """A picture written beforehand to :meth:`file` ``(name)``."""
        if not self.file(name).is_file():
            raise RcanError(f"report picture {name} was not written")
        self.blocks.append(("image", (name, caption)))

    # -- rendering ------------------------------------------------------------------------
    def markdown(self) -> str:
        """The report as Markdown (pictures linked as files beside it)."""
        out = [f"# {self.title}", ""]
        for kind, value in self.blocks:
            if kind == "heading":
                level, text = value  # type: ignore[misc]
                out += ["#" * level + " " + text, ""]
            elif kind == "paragraph":
                out += [str(value), ""]
            elif kind == "table":
                header, rows = value  # type: ignore[misc]
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "---|" * len(header))
                out += ["| " + " | ".join(r) + " |" for r in rows]
                out.append("")
            elif kind == "image":
                name, caption = value  # type: ignore[misc]
                out += [f"![{name}]({name})", "", f"*{caption}*", ""]
        return "\n".join(out)

    def html(self) -> str:
        """The report as one HTML page with every picture embedded."""
        out = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
               f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>",
               f"<h1>{html.escape(self.title)}</h1>"]
        for kind, value in self.blocks:
            if kind == "heading":
                level, text = value  # type: ignore[misc]
                out.append(f"<h{level}>{_inline(text)}</h{level}>")
            elif kind == "paragraph":
                out.append(f"<p>{_inline(str(value))}</p>")
            elif kind == "table":
                header, rows = value  # type: ignore[misc]
                out.append("<table><tr>" + "".join(f"<th>{_inline(h)}</th>" for h in header)
                           + "</tr>")
                out += ["<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>"
                        for r in rows]
                out.append("</table>")
            elif kind == "image":
                name, caption = value  # type: ignore[misc]
                data = base64.b64encode(self.file(name).read_bytes()).decode("ascii")
                mime = _MIME.get(Path(name).suffix.lower(), "application/octet-stream")
                out.append(f"<figure><img src='data:{mime};base64,{data}' "
                           f"alt='{html.escape(caption, quote=True)}'>"
                           f"<figcaption>{_inline(caption)}</figcaption></figure>")
        out.append("</body></html>")
        return "\n".join(out) + "\n"


def _inline(text: str) -> str:
    """Escape for HTML, then turn `code` and **bold** spans into tags."""
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", escaped)

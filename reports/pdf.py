"""The PDF audit report: the HTML report paginated by WeasyPrint, with the evidence attached.

The PDF alone is the evidence: the JSON result and the inventory are embedded as files (PDF/A-3
allows attachments), and their SHA-256 digests are printed on the cover, so an auditor can check
that the attached files are the ones the report was made from (`pdfdetach -saveall`).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, NoReturn

from reports import i18n
from reports.html import render_html
from reports.json_report import render_json
from scanner.models import ScanResult

PDF_VARIANT = "pdf/a-3b"
"""PDF/A-3, level B: archivable, and it may carry the evidence files as attachments."""


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    data: bytes
    description: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def evidence_files(result: ScanResult, inventory: tuple[str, bytes] | None,
                   lang: str = "en") -> tuple[EvidenceFile, ...]:
    """The JSON result as `rempart report` reads it, and the inventory file as scanned (or, when
    that file is not at hand, the inventory the result recorded, as JSON)."""
    if inventory is None:
        recorded = result.inventory.model_dump(mode="json")
        text = json.dumps(recorded, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        inventory = ("inventory.json", text.encode("utf-8"))
        what = i18n.translate(lang, "pdf.desc.recorded")
    else:
        what = i18n.translate(lang, "pdf.desc.inventory")
    return (
        EvidenceFile("result.json", render_json(result).encode("utf-8"),
                     i18n.translate(lang, "pdf.desc.result")),
        EvidenceFile(inventory[0], inventory[1], what),
    )


@cache
def _paged_css() -> str:
    return resources.files("reports").joinpath("templates/pdf.css").read_text("utf-8")


def _page_css(lang: str) -> str:
    """The page counter in the report's language ("Page 3 of 12")."""
    parts = i18n.translate(lang, "pdf.page", page="\0", pages="\0").split("\0")
    quoted = [json.dumps(p) for p in parts]  # JSON strings are valid CSS strings
    content = f"{quoted[0]} counter(page) {quoted[1]} counter(pages) {quoted[2]}"
    return f"@page {{ @bottom-right {{ content: {content}; }} }}\n"


def _no_fetch(url: str, *_: Any, **__: Any) -> NoReturn:
    """The report loads nothing: any URL is refused (data from scanned hosts is text only)."""
    raise ValueError(f"the PDF report fetches nothing ({url[:60]})")


def render_pdf(result: ScanResult, *, lang: str = "en",
               inventory: tuple[str, bytes] | None = None) -> bytes:
    """The report as a PDF/A-3b document, the evidence files attached."""
    from weasyprint import CSS, HTML, Attachment  # heavy import, only for PDF output

    files = evidence_files(result, inventory, lang)
    html = render_html(result, lang=lang, attachments=files)
    document = HTML(string=html, url_fetcher=_no_fetch)
    identifier = hashlib.sha256(files[0].data).hexdigest()[:32].encode("ascii")
    pdf: bytes = document.write_pdf(
        stylesheets=[CSS(string=_paged_css() + _page_css(lang), url_fetcher=_no_fetch)],
        attachments=[Attachment(file_obj=io.BytesIO(f.data), name=f.name,
                                description=f.description, relationship="Data")
                     for f in files],
        pdf_variant=PDF_VARIANT,
        pdf_identifier=identifier,
        uncompressed_pdf=False,
    )
    return pdf

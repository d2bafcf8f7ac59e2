"""The HTML audit report: one self-contained, printable file rendered from a ScanResult.

`python -m reports.html RESULT.json OUT.html [--lang fr]` renders a saved JSON result.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import sys
from collections.abc import Sequence
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reports import i18n
from reports.html_format import Formats, clip, iso, printable
from reports.html_history import history_view
from reports.html_policy import policy_view
from reports.html_view import build_view
from reports.json_report import load_json
from reports.wording import Wording, fact_of
from scanner.models import LocalizedText, ScanResult, Status, localized

if TYPE_CHECKING:
    from reports.pdf import EvidenceFile


def _finalize(value: object) -> object:
    """Applied to every {{ expression }}: strip characters HTML forbids from plain text."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value)
    return value


@cache
def _environment() -> Environment:
    # Autoescape everything: certificate subjects, banners and messages come from scanned hosts.
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )


@cache
def _stylesheet() -> str:
    return resources.files("reports").joinpath("templates/report.css").read_text("utf-8")


def _csp(css: str) -> str:
    """Nothing may load or run; only the inline stylesheet, pinned by its hash, applies."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def render_html(result: ScanResult, *, lang: str = "en",
                attachments: Sequence[EvidenceFile] = ()) -> str:
    """The report as one HTML document in `lang` ("en" or "fr"); `attachments` are the files
    the PDF carries, listed with their SHA-256 on the cover."""
    lang = i18n.check_lang(lang)
    css = _stylesheet()

    def text(value: LocalizedText) -> str:
        return localized(value, lang)

    template = _environment().get_template("report.html.j2")
    return template.render(
        v=build_view(result, lang),
        attachments=attachments,
        p=policy_view(result),
        h=history_view(result),
        r=result,
        lang=lang,
        css=Markup(css),  # noqa: S704 - our own packaged stylesheet, not data
        csp=_csp(css),
        t=partial(i18n.translate, lang),
        nt=partial(i18n.ntranslate, lang),
        w=Wording(lang),
        fact_of=fact_of,
        f=Formats(lang),
        clip=clip,
        iso=iso,
        localized=text,
        Status=Status,
        framework_name=partial(i18n.framework_name, lang),
        framework_short=i18n.framework_short,
        framework_note=partial(i18n.framework_note, lang),
        control_title=partial(i18n.control_title, lang),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reports.html", description="Render a Rempart JSON result as HTML.")
    parser.add_argument("result", type=Path, help="JSON result written by `rempart scan`")
    parser.add_argument("output", type=Path, help="HTML file to write")
    parser.add_argument("--lang", choices=i18n.LANGS, default="en")
    args = parser.parse_args(argv)
    try:
        result = load_json(args.result.read_bytes())  # earlier schema versions upgraded
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.result}: {exc}", file=sys.stderr)
        return 2
    args.output.write_text(render_html(result, lang=args.lang), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

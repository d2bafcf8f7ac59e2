"""The reports' fixed texts, from Babel message catalogues (reports/locale/<lang>/rempart.po).

msgids are message keys; every language has the same keys and placeholders. The .po files are
read and compiled in memory at first use (no build step: the wheel ships them as package data).
"""

from __future__ import annotations

import gettext
import io
import sys
from functools import cache
from importlib import resources

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.messages.pofile import write_po as write_pot

LANGS = ("en", "fr")
DOMAIN = "rempart"


@cache
def catalogue(lang: str) -> gettext.GNUTranslations:
    """The compiled catalogue of `lang`: its .po file read and compiled in memory by Babel."""
    po = resources.files("reports").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")
    catalog = read_po(io.BytesIO(po.read_bytes()), locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _messages(lang: str) -> dict[str, str]:
    """Every singular message of `lang` by key (plural ones are read with `ntranslate`)."""
    po = resources.files("reports").joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")
    catalog = read_po(io.BytesIO(po.read_bytes()), locale=lang, domain=DOMAIN)
    return {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id
            and isinstance(m.string, str)}


MESSAGES: dict[str, dict[str, str]] = {lang: _messages(lang) for lang in LANGS}

_SHORT = {"iso27001": "ISO 27001", "hds": "HDS", "anssi-tls": "ANSSI TLS", "soc2": "SOC 2"}


def check_lang(lang: str) -> str:
    if lang not in MESSAGES:
        raise ValueError(f"unsupported report language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def translate(lang: str, key: str, **params: object) -> str:
    text = MESSAGES[lang][key]  # a KeyError names a key missing from the catalogue
    return text.format(**params) if params else text


def ntranslate(lang: str, key: str, count: int, **params: object) -> str:
    """The plural form of `key` that fits `count` (the catalogue's Plural-Forms decide);
    `{n}` is `count` unless `params` gives it (e.g. formatted for the locale)."""
    text = catalogue(lang).ngettext(key, f"{key}.plural", count)
    if text in (key, f"{key}.plural"):
        raise KeyError(key)
    return text.format(**{"n": count, **params})


def raw(lang: str, key: str, count: int | None = None) -> str:
    """The catalogue text of `key` with its placeholders unfilled: the singular message, or
    the plural form that fits `count` when the key is a plural message."""
    if key in MESSAGES[lang]:
        return MESSAGES[lang][key]
    text = catalogue(lang).ngettext(key, f"{key}.plural", 1 if count is None else count)
    if text in (key, f"{key}.plural"):
        raise KeyError(key)
    return text


def framework_name(lang: str, key: str) -> str:
    return MESSAGES[lang].get(f"framework.{key}", key)


def framework_short(key: str) -> str:
    return _SHORT.get(key, key)


def framework_note(lang: str, key: str) -> str | None:
    return MESSAGES[lang].get(f"note.{key}")


def control_title(lang: str, framework: str, control: str) -> str | None:
    """The Annex A title of an ISO control, or the title of a SOC 2 criterion."""
    if framework == "soc2":
        return MESSAGES[lang].get(f"soc2.{control}")
    if framework != "iso27001":
        return None
    return MESSAGES[lang].get(f"control.{control}")


def template() -> str:
    """The catalogue template (rempart.pot): every msgid of the English catalogue, untranslated.

    `python -m reports.i18n --template > reports/locale/rempart.pot` after adding messages.
    """
    po = resources.files("reports").joinpath(f"locale/en/LC_MESSAGES/{DOMAIN}.po")
    english = read_po(io.BytesIO(po.read_bytes()), locale="en", domain=DOMAIN)
    pot = Catalog(project=DOMAIN, version=english.version, domain=DOMAIN,
                  header_comment="# Template of the reports' messages (msgid = message key).")
    for message in english:
        if message.id:
            pot.add(message.id, string=("", "") if message.pluralizable else "")
    out = io.BytesIO()
    write_pot(out, pot, width=100, omit_header=False)
    return out.getvalue().decode("utf-8")


def main(argv: list[str]) -> int:
    if argv != ["--template"]:
        print("usage: python -m reports.i18n --template > reports/locale/rempart.pot",
              file=sys.stderr)
        return 2
    sys.stdout.write(template())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

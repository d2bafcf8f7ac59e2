"""The network section of the HTML report: flow matrix, its differences, exposed ports per host.

The sample is the shared one plus zones, flows, a vantage point, host / zone-pair / SPF subjects
and their facts: an extra open flow, a missing required flow, a pair that could not be checked
(no vantage point), pairs that cannot be tested, and an unexpected Redis port next to a port
whose nmap product string is hostile markup.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reports.html import render_html
from reports.html_network import network_view
from scanner.models import (
    Evidence,
    ExposedHost,
    Fact,
    FactValue,
    Flow,
    Host,
    LocalVantage,
    MailDomain,
    Message,
    MessageKey,
    NetworkService,
    Observation,
    ProbeRun,
    ProbeStatus,
    RuleResult,
    ScanResult,
    ServiceProtocol,
    ServiceReport,
    Status,
    Subject,
    Vantage,
    Zone,
    ZonePair,
)
from scanner.rulepack.loader import load_pack
from tests.html import tools
from tests.html.parse import parse, part_ids, section
from tests.reports.sample import make_sample_result
from tests.subjects import zone_pair

HOSTILE_PRODUCT = 'http-proxy <script>alert("port")</script> "><img src=x onerror=alert(3)>'
REDIS = "redis Redis key-value store 7.0.15"
NO_VANTAGE = "partners->dmz names no vantage point (flow.vantage)"
NMAP_MISSING = "nmap not found: install it (apt-get install nmap)"
SSH_OK = "connect from dmz-probe (ssh rempart@203.0.113.50) succeeded"

# ---- the network sample -------------------------------------------------------------------


def _obs(*pairs: tuple[str, str]) -> tuple[Observation, ...]:
    return tuple(Observation(value=v, detail=d) for v, d in pairs)


def _fact(name: str, value: FactValue) -> Fact:
    return Fact(name=name, status=ProbeStatus.COMPLETED, value=value, summary=f"{name} seen")




ROLES = {"web": ("443/tcp", "80/tcp"), "mail": ("25/tcp",), "api": ("8443/tcp",),
         "db": ("5432/tcp",)}


def _ports(host: str, address: str, role: str) -> ExposedHost:
    return ExposedHost(host=host, address=address, dns_name=None, role=role,
                       allowed_ports=ROLES[role])


DMZ_PROBE = Vantage(name="dmz-probe", address="203.0.113.50", user="rempart",
                    key_file="/etc/rempart/id_ed25519", known_hosts="/etc/rempart/known_hosts")


def _pair(src: str, dst: str, required: tuple[str, ...], vantage: str) -> ZonePair:
    point = {"local": LocalVantage(), "dmz-probe": DMZ_PROBE}.get(vantage)
    pair = zone_pair(required, source=src, destination=dst)
    return pair.model_copy(update={"vantage": point})


PAIRS = {
    "internet->dmz": _pair("internet", "dmz", ("portal:443/tcp", "mail:443/tcp"), "local"),
    "internet->data": _pair("internet", "data", (), "local"),
    "internet->legacy": _pair("internet", "legacy", ("legacy-api:8443/tcp",), "local"),
    "partners->dmz": _pair("partners", "dmz", ("portal:443/tcp", "mail:443/tcp"), ""),
    "dmz->data": _pair("dmz", "data", ("db1:5432/tcp",), "dmz-probe"),
    "dmz->legacy": _pair("dmz", "legacy", (), "dmz-probe"),
}
SPF = MailDomain(domain="clinique-exemple.test", ips=("203.0.113.25",))
PORTAL_HTTP = NetworkService(host="portal", address="203.0.113.10", dns_name=None, port=80,
                             protocol=ServiceProtocol.HTTP, role="web")


def _flows(key: str, *pairs: tuple[str, str]) -> ServiceReport:
    run = ProbeRun(probe="flows", status=ProbeStatus.COMPLETED, connections=40, seconds=1.2)
    return ServiceReport(service=PAIRS[key], facts=(_fact("flows.open", _obs(*pairs)),),
                         probes=(run,))


def _open_ports(subject: ExposedHost, *pairs: tuple[str, str]) -> ServiceReport:
    run = ProbeRun(probe="ports", status=ProbeStatus.COMPLETED, connections=1, seconds=8.0)
    return ServiceReport(service=subject, facts=(_fact("ports.open", _obs(*pairs)),),
                         probes=(run,))


def _error(subject: Subject, fact: str, probe: str, reason: str) -> ServiceReport:
    return ServiceReport(
        service=subject, facts=(Fact(name=fact, status=ProbeStatus.ERROR, reason=reason),),
        probes=(ProbeRun(probe=probe, status=ProbeStatus.ERROR, reason=reason),))


def _result(rule: str, key: str, status: Status, message: str,
            *evidence: tuple[str, str, str, str]) -> RuleResult:
    """A result in the words of schema 1 (these tests are about the facts, not the wording)."""
    return RuleResult(rule_id=rule, service=key, status=status,
                      message=Message(key=MessageKey.LEGACY, text=message),
                      evidence=tuple(Evidence(fact=f, legacy=(e, a, d))
                                     for f, e, a, d in evidence))


def make_network_result() -> ScanResult:
    base = make_sample_result()
    inv = base.inventory
    portal_ports = _ports("portal", "203.0.113.10", "web")
    mail_ports = _ports("mail", "203.0.113.25", "mail")
    legacy_ports = _ports("legacy-api", "198.51.100.5", "api")
    db_ports = _ports("db1", "198.51.100.7", "db")
    exposure = {"portal": portal_ports, "mail": mail_ports, "legacy-api": legacy_ports}
    port80 = {"portal": (PORTAL_HTTP,)}
    hosts = tuple(h.model_copy(update={"services": h.services + port80.get(h.name, ()),
                                       "exposure": exposure[h.name]})
                  for h in inv.hosts)
    db1 = Host(name="db1", address="198.51.100.7", dns_name=None, role="db",
               services=(), exposure=db_ports)
    inventory = inv.model_copy(update={
        "hosts": (*hosts, db1),
        "roles": ROLES,
        "zones": (Zone(name="internet", vantage="local"), Zone(name="partners"),
                  Zone(name="dmz", hosts=("portal", "mail"), vantage="dmz-probe"),
                  Zone(name="data", hosts=("db1",)),
                  Zone(name="legacy", hosts=("legacy-api",))),
        "flows": (Flow(source="internet", destination="dmz", port="443/tcp"),
                  Flow(source="internet", destination="legacy", port="8443/tcp"),
                  Flow(source="partners", destination="dmz", port="443/tcp"),
                  Flow(source="dmz", destination="data", port="5432/tcp")),
        "vantages": (DMZ_PROBE,),
        "subjects": (*PAIRS.values(), SPF),
    })
    portal_https = next(s for s in base.services if s.service.key == "portal:443/https")
    services = (
        *(s.model_copy(update={"facts": (*s.facts, _fact("http.hsts_max_age", 31536000))})
          if s is portal_https else s for s in base.services),
        ServiceReport(service=PORTAL_HTTP, probes=(), facts=(
            _fact("http.status", 301), _fact("http.location_scheme", "https"),
            _fact("http.location_same_host", True),
            _fact("http.protected_status", _obs(("401", "https://portal/phpmyadmin/"))))),
        _open_ports(portal_ports, ("443/tcp", "https nginx 1.22.1"),
                    ("80/tcp", "http nginx 1.22.1")),
        _open_ports(mail_ports, ("25/tcp", "smtp Postfix smtpd")),
        _error(legacy_ports, "ports.open", "ports", NMAP_MISSING),
        _open_ports(db_ports, ("5432/tcp", "postgresql PostgreSQL DB 15.4"),
                    ("6379/tcp", REDIS), ("8080/tcp", HOSTILE_PRODUCT)),
        _flows("internet->dmz", ("portal:443/tcp", "connect from local succeeded in 2 ms"),
               ("mail:443/tcp", "connect from local succeeded in 2 ms"),
               ("portal:22/tcp", "connect from local succeeded in 3 ms")),
        _flows("internet->data"),
        _flows("internet->legacy", ("legacy-api:8443/tcp", "connect from local succeeded")),
        _error(PAIRS["partners->dmz"], "flows.open", "flows", NO_VANTAGE),
        _flows("dmz->data", ("db1:6379/tcp", SSH_OK)),
        _flows("dmz->legacy"),
        ServiceReport(service=SPF, probes=(), facts=(_fact("spf.results", _obs(
            ("pass", "203.0.113.25: ip4:203.0.113.0/24"), ("softfail", "192.0.2.9: ~all"))),)),
    )
    results = (
        *base.results,
        _result("NET-FLOW-001", "internet->dmz/flow", Status.PASS, "every required flow open"),
        _result("NET-FLOW-002", "internet->dmz/flow", Status.FAIL, "portal:22/tcp is open",
                ("flows.open", "subset of portal:443/tcp, mail:443/tcp", "portal:22/tcp", "")),
        _result("NET-FLOW-001", "partners->dmz/flow", Status.ERROR, NO_VANTAGE),
        _result("NET-FLOW-001", "dmz->data/flow", Status.FAIL, "db1:5432/tcp is not open",
                ("flows.open", "all of db1:5432/tcp", "db1:6379/tcp", "")),
        _result("NET-FLOW-002", "dmz->data/flow", Status.FAIL, "db1:6379/tcp is open",
                ("flows.open", "subset of db1:5432/tcp", "db1:6379/tcp", SSH_OK)),
        _result("NET-PORT-001", "portal/ports", Status.PASS, "only allowed ports open"),
        _result("NET-PORT-001", "db1/ports", Status.FAIL, "6379/tcp, 8080/tcp are not allowed",
                ("ports.open", "subset of 5432/tcp", "6379/tcp, 8080/tcp", REDIS)),
        _result("NET-PORT-001", "legacy-api/ports", Status.ERROR, NMAP_MISSING),
        _result("DNS-SPF-001", "clinique-exemple.test/spf", Status.FAIL,
                "192.0.2.9 is not authorised (softfail)"),
    )
    pack = load_pack("network-baseline")
    return base.model_copy(update={
        "inventory": inventory, "services": services, "results": results,
        "packs": (*base.packs, pack.info), "rules": (*base.rules, *(r.info for r in pack.rules)),
    })


# ---- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def net() -> ScanResult:
    return make_network_result()


@pytest.fixture(scope="module")
def net_en(net: ScanResult) -> str:
    return render_html(net)


@pytest.fixture(scope="module")
def net_fr(net: ScanResult) -> str:
    return render_html(net, lang="fr")


def _text(markup: str) -> str:
    return " ".join(parse(markup).all_text.split())


def _table(markup: str, css_class: str) -> list[list[str]]:
    """Rows of the table of that class, each a list of its cells' text (header row first)."""
    table = re.search(rf'<table class="grid {css_class}">(.*?)</table>', markup, re.S)
    assert table is not None, css_class
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    return [[_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]


# ---- what the view computes ----------------------------------------------------------------


def test_cell_states(net: ScanResult) -> None:
    view = network_view(net)
    assert view is not None
    fm = view.matrix
    assert [z.name for z in fm.destinations] == ["dmz", "data", "legacy"]
    states = {(row.zone.name, dst.name): c.states if c else None
              for row in fm.rows for dst, c in zip(fm.destinations, row.cells, strict=True)}
    assert states == {
        ("internet", "dmz"): ("extra",), ("internet", "data"): ("ok",),
        ("internet", "legacy"): ("ok",),
        ("partners", "dmz"): ("not_checked",), ("partners", "data"): ("not_tested",),
        ("partners", "legacy"): ("not_tested",),
        ("dmz", "dmz"): None, ("dmz", "data"): ("missing", "extra"), ("dmz", "legacy"): ("ok",),
    }
    assert fm.idle_sources == ("data", "legacy") and fm.hostless == ("internet", "partners")
    assert fm.counts == {"ok": 3, "differs": 2, "not_checked": 1, "not_tested": 2}
    assert [(d.cell.source.name, d.item.value, d.kind) for d in fm.differences] == [
        ("internet", "portal:22/tcp", "extra"), ("partners", "portal:443/tcp", "not_checked"),
        ("partners", "mail:443/tcp", "not_checked"),
        ("dmz", "db1:5432/tcp", "missing"), ("dmz", "db1:6379/tcp", "extra")]
    ports = {h.service.host: h for h in view.hosts}
    assert {k: h.state for k, h in ports.items()} == {
        "portal": "ok", "mail": "ok", "legacy-api": "not_checked", "db1": "unexpected"}
    assert [(p.observation.value, p.allowed) for p in ports["db1"].open] == [
        ("5432/tcp", True), ("6379/tcp", False), ("8080/tcp", False)]
    assert view.unexpected_hosts == 1


def test_no_section_without_zones(sample: ScanResult, html_en: str, net: ScanResult) -> None:
    assert network_view(sample) is None
    assert 'id="network"' not in html_en and 'href="#network"' not in html_en
    # flow subjects alone do not make a matrix: the zones do
    zoneless = net.model_copy(update={"inventory": net.inventory.model_copy(
        update={"zones": (), "flows": ()})})
    html = render_html(zoneless)
    assert "network" not in part_ids(html) and "Network flow matrix" not in html


# ---- what the reader sees ----------------------------------------------------------------


def test_section_sits_between_traceability_and_findings(net_en: str) -> None:
    assert part_ids(net_en) == ["summary", "soa", "matrix", "traceability", "network", "findings",
                                "unchecked", "appendix"]
    toc = net_en[net_en.index('<nav class="toc"'):net_en.index("</nav>")]
    assert toc.index("#traceability") < toc.index("#network") < toc.index("#findings")


def test_grid_shows_required_next_to_observed(net_en: str) -> None:
    grid = _table(section(net_en, "network"), "flowgrid")
    assert grid[0] == ["From ↓ to →", "dmz portal, mail", "data db1", "legacy legacy-api"]
    rows = {r[0].split(" tested from:")[0]: r[1:] for r in grid[1:]}
    assert list(rows) == ["internet", "partners", "dmz"]
    internet, partners, dmz = rows["internet"], rows["partners"], rows["dmz"]
    # host:port, or the port alone when the column's zone has a single host
    assert internet == [
        "+ Extra flow open Required portal:443/tcp mail:443/tcp "
        "Open portal:443/tcp mail:443/tcp +portal:22/tcp (not required)",
        "✓ As required No flow required, none open.",
        "✓ As required Required 8443/tcp Open 8443/tcp"]
    assert partners == ["! Not checked Required portal:443/tcp mail:443/tcp", "○ Not tested",
                        "○ Not tested"]
    assert dmz == [
        "— same zone: not tested.",
        "− Required flow missing + Extra flow open Required −5432/tcp (not open) "
        "Open +6379/tcp (not required)",
        "✓ As required No flow required, none open."]
    assert "tested from: local (the scanner)" in grid[1][0]
    assert "tested from: dmz-probe (ssh rempart@203.0.113.50)" in grid[3][0]
    text = _text(section(net_en, "network"))
    assert "Zone pairs: 8; as required: 3; with differences: 2; not checked: 1; not tested: 2." \
        in text
    assert "Not shown as sources (no vantage point, no declared flow): data, legacy." in text
    assert "Not shown as destinations (no host): internet, partners." in text


def test_grid_marks_differences_with_a_sign_not_colour_alone(net_en: str) -> None:
    markup = section(net_en, "network")
    assert markup.count('class="fl-flagged"') == 3  # portal:22, db1:5432 and db1:6379
    assert re.search(r'<span class="fl-mark" aria-hidden="true">\+</span><code>portal:<wbr>'
                     r'22/tcp</code><span class="sr-only"> \(not required\)</span>', markup)
    assert '<span class="icon" aria-hidden="true">−</span> Required flow missing' in markup


def test_difference_table_lists_every_difference(net_en: str) -> None:
    rows = _table(section(net_en, "network"), "flowdiff")
    assert rows[0] == ["From zone", "To zone", "Host:port", "Required", "Observed open",
                       "Vantage point", "Difference"]
    assert rows[1:] == [
        ["internet", "dmz", "portal:22/tcp", "no",
         "yes connect from local succeeded in 3 ms", "local (the scanner)", "+ Extra flow open"],
        ["partners", "dmz", "portal:443/tcp", "yes", NO_VANTAGE, "none", "! Not checked"],
        ["partners", "dmz", "mail:443/tcp", "yes", NO_VANTAGE, "none", "! Not checked"],
        ["dmz", "data", "db1:5432/tcp", "yes", "no",
         "dmz-probe (ssh rempart@203.0.113.50)", "− Required flow missing"],
        ["dmz", "data", "db1:6379/tcp", "no", f"yes {SSH_OK}",
         "dmz-probe (ssh rempart@203.0.113.50)", "+ Extra flow open"],
    ]


def test_exposed_ports_per_host(net_en: str) -> None:
    rows = {r[0].split()[0]: r[1:] for r in _table(section(net_en, "network"), "ports")[1:]}
    assert list(rows) == ["portal", "mail", "legacy-api", "db1"]
    assert rows["portal"] == ["web", "443/tcp 80/tcp",
                              "80/tcp http nginx 1.22.1 443/tcp https nginx 1.22.1",
                              "✓ As allowed"]
    assert rows["legacy-api"] == ["api", "8443/tcp", NMAP_MISSING, "! Not checked"]
    role, allowed, opened, status = rows["db1"]
    assert (role, allowed, status) == ("db", "5432/tcp", "✗ Unexpected port open")
    assert opened == (f"5432/tcp postgresql PostgreSQL DB 15.4 6379/tcp ✗ not allowed {REDIS} "
                      f"8080/tcp ✗ not allowed {HOSTILE_PRODUCT}")
    text = _text(section(net_en, "network"))
    assert "Hosts with an unexpected open port: 1 of 4." in text


def test_allowed_port_that_is_not_open_is_noted(net: ScanResult) -> None:
    db = next(h for h in net.inventory.hosts if h.name == "db1")
    assert db.exposure is not None
    closed = db.exposure.model_copy(update={"allowed_ports": ("5432/tcp", "22/tcp")})
    hosts = tuple(h.model_copy(update={"exposure": closed}) if h is db else h
                  for h in net.inventory.hosts)
    html = render_html(net.model_copy(update={
        "inventory": net.inventory.model_copy(update={"hosts": hosts})}))
    rows = {r[0].split()[0]: r[1:] for r in _table(section(html, "network"), "ports")[1:]}
    assert rows["db1"][1] == "5432/tcp 22/tcp (not open)"


def test_hostile_port_detail_is_escaped(net_en: str) -> None:
    parsed = parse(net_en)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [name for _, name, _ in parsed.attrs if name.startswith("on")]
    assert '<script>alert("port")</script>' not in net_en
    assert "&lt;script&gt;alert(&#34;port&#34;)&lt;/script&gt;" in net_en
    assert HOSTILE_PRODUCT in parsed.all_text


def test_unchecked_pair_without_a_fact_says_why(net: ScanResult) -> None:
    services = tuple(s for s in net.services if s.service.key != "partners->dmz/flow")
    html = render_html(net.model_copy(update={"services": services}))
    rows = _table(section(html, "network"), "flowdiff")
    assert rows[2][4] == rows[3][4] == "the source zone has no vantage point"
    gone = tuple(s for s in net.services if s.service.key != "dmz->legacy/flow")
    view = network_view(net.model_copy(update={"services": gone}))
    assert view is not None
    cell = view.matrix.rows[2].cells[2]
    assert cell is not None and cell.states == ("not_checked",)
    assert cell.unchecked is not None and cell.unchecked.reason is None
    no_ports = tuple(s for s in net.services if s.service.key != "db1/ports")
    rows = _table(section(render_html(net.model_copy(update={"services": no_ports})), "network"),
                  "ports")
    assert rows[4][3:] == ["not gathered: no rule of the selected packs needs ports.open",
                           "! Not checked"]


def test_french_section(net_fr: str) -> None:
    text = _text(section(net_fr, "network"))
    for phrase in ("Matrice des flux", "Flux en trop ouvert", "Flux requis absent",
                   "Non vérifié", "Non testé", "Ports exposés par hôte",
                   "Port inattendu ouvert", "non autorisé", "local (le scanner)",
                   "Écarts par rapport à la matrice des flux"):
        assert phrase in text, phrase
    assert "Couples de zones\u00a0: 8\u00a0; conformes\u00a0: 3" in parse(net_fr).all_text
    assert '<a href="#network">Matrice des flux</a>' in net_fr


def _fact_rows(html: str) -> dict[str, list[list[str]]]:
    """Appendix fact rows by fact name: [status, value, how] per service that has the fact."""
    rows: dict[str, list[list[str]]] = {}
    for table in re.findall(r'<table class="grid facts"[^>]*>(.*?)</table>',
                            section(html, "appendix"), re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
            cells = [_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            rows.setdefault(cells[0], []).append(cells[1:])
    return rows


def test_appendix_renders_network_facts(net_en: str) -> None:
    facts = _fact_rows(net_en)
    assert [r[1] for r in facts["ports.open"]] == [
        "443/tcp https nginx 1.22.1 80/tcp http nginx 1.22.1", "25/tcp smtp Postfix smtpd", "—",
        f"5432/tcp postgresql PostgreSQL DB 15.4 6379/tcp {REDIS} 8080/tcp {HOSTILE_PRODUCT}"]
    assert facts["ports.open"][2] == ["! Error", "—", NMAP_MISSING]
    assert facts["flows.open"][0][1] == ("portal:443/tcp connect from local succeeded in 2 ms "
                                         "mail:443/tcp connect from local succeeded in 2 ms "
                                         "portal:22/tcp connect from local succeeded in 3 ms")
    assert facts["flows.open"][1][1] == "none"  # completed, nothing open
    assert facts["spf.results"][0][1] == ("pass 203.0.113.25: ip4:203.0.113.0/24 "
                                          "softfail 192.0.2.9: ~all")
    assert facts["http.status"][0][:2] == ["✓ Completed", "301"]
    assert facts["http.location_scheme"][0][1] == "https"
    assert facts["http.location_same_host"][0][1] == "yes"
    assert facts["http.hsts_max_age"][0][1] == "31,536,000 s (1 year)"
    assert facts["http.protected_status"][0][1] == "401 https://portal/phpmyadmin/"
    assert facts["cert.key_bits"][0][1] == "2,048 bits"
    # what the inventory expected of the subject is shown with its facts
    appendix = section(net_en, "appendix")
    for name, values in (("flow.required", "portal:443/tcp, mail:443/tcp"),
                         ("role.allowed_ports", "5432/tcp")):
        assert re.search(rf'<dt class="ctx-key"><code>{name}</code> \(from the inventory\)</dt>'
                         rf'<dd class="mono"><span class="data">{values}</span></dd>', appendix)


def test_missing_hsts_header_reads_as_such(net: ScanResult) -> None:
    services = tuple(
        s.model_copy(update={"facts": tuple(
            _fact("http.hsts_max_age", -1) if f.name == "http.hsts_max_age" else f
            for f in s.facts)}) for s in net.services)
    html = render_html(net.model_copy(update={"services": services}), lang="fr")
    assert _fact_rows(html)["http.hsts_max_age"][0][1] == "pas d'en-tête (-1)"


def test_ids_unique_and_links_resolve(net_en: str, net_fr: str) -> None:
    for html in (net_en, net_fr):
        parsed = parse(html)
        assert len(parsed.ids) == len(set(parsed.ids))
        assert {v[1:] for _, n, v in parsed.attrs if n == "href" and v} <= set(parsed.ids)


# ---- in a browser and the validator -------------------------------------------------------


@pytest.fixture(scope="module")
def net_files(tmp_path_factory: pytest.TempPathFactory, net_en: str,
              net_fr: str) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("html-network")
    files = {"en": folder / "network-en.html", "fr": folder / "network-fr.html"}
    files["en"].write_text(net_en, encoding="utf-8")
    files["fr"].write_text(net_fr, encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def net_browser(net_files: dict[str, Path],
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tools.require_browser()
    runs = tools.browser_check(tmp_path_factory.mktemp("browser-network"), net_files["en"],
                               net_files["fr"])
    return {run["lang"]: run for run in runs}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_network_report_in_a_browser(net_browser: dict[str, dict[str, Any]], lang: str) -> None:
    run = net_browser[lang]
    assert run["axe"] == [], "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in run["axe"])
    assert run["dialogs"] == [] and run["errors"] == [] and run["console"] == []
    assert run["counts"] == {"scripts": 0, "images": 0, "handlers": 0}
    assert run["requests"] == [] and run["styled"]


def test_network_report_prints(net_browser: dict[str, dict[str, Any]]) -> None:
    pdf = Path(net_browser["en"]["pdf"]).read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) >= 7  # the section has a page


def test_network_report_is_valid_html(net_files: dict[str, Path]) -> None:
    tools.require_validator()
    errors = tools.vnu_errors(net_files["en"], net_files["fr"])
    assert errors == [], "\n".join(
        f"{e.get('url', '')}:{e.get('lastLine')}: {e['message']}" for e in errors[:20])

"""Results written by schema 2 (one `Service` record for every subject, `port: 0` and a
`context` of strings) are read as schema 3 (a typed record per subject kind) and render again.

The fixture is the JSON result of the demo as the previous version wrote it: web, mail and FTP
services, hosts' exposed ports, zone pairs from local and SSH vantages, SSH servers, host
checks over SSH and the estate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reports.json_report import load_json
from scanner.cli import main
from scanner.models import (
    Estate,
    ExposedHost,
    InsideHost,
    LocalVantage,
    MailDomain,
    NetworkService,
    ScanResult,
    Vantage,
    ZonePair,
)

V2 = Path(__file__).resolve().parent.parent / "fixtures" / "result-v2-demo.json"


def _v2() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(V2.read_text())
    assert data["schema_version"] == "2"
    return data


def _subjects(result: ScanResult) -> dict[str, Any]:
    return {s.service.key: s.service for s in result.services}


def test_every_subject_keeps_its_key_facts_and_results() -> None:
    old = _v2()
    new = load_json(json.dumps(old))
    assert new.schema_version == "3"
    keys = [s["service"]["host"] + (f":{s['service']['port']}/{s['service']['protocol']}"
                                     if s["service"]["port"] else
                                     "/ports" if s["service"]["protocol"] == "host" else
                                     f"/{s['service']['protocol']}")
            for s in old["services"]]
    assert [s.service.key for s in new.services] == keys
    assert [len(s.facts) for s in new.services] == [len(s["facts"]) for s in old["services"]]
    assert [(r.rule_id, r.service, r.status.value) for r in new.results] == [
        (r["rule_id"], r["service"], r["status"]) for r in old["results"]]
    kinds = {type(s) for s in _subjects(new).values()}
    assert kinds == {NetworkService, ExposedHost, InsideHost, ZonePair, Estate}


def test_context_strings_become_typed_fields() -> None:
    old = _v2()
    new = load_json(json.dumps(old))
    subjects = _subjects(new)
    by_key = {r["service"]["host"] + "/" + r["service"]["protocol"]: r["service"]
              for r in old["services"] if not r["service"]["port"]}
    for subject in subjects.values():
        if isinstance(subject, ZonePair):
            context = by_key[f"{subject.host}/flow"]["context"]
            assert subject.references() == {"flow.required": tuple(context["flow.required"])}
            assert [f"{d.host}={d.address}" for d in subject.destinations
                    if d.address] == context["flow.destinations"]
            assert [str(p) for p in subject.ports] == context["flow.ports"]
            named = context["flow.vantage"][0]
            if named == "local":
                assert isinstance(subject.vantage, LocalVantage)
            else:  # the vantage's own record, from the inventory
                assert isinstance(subject.vantage, Vantage) and subject.vantage.name == named
                assert subject.vantage in new.inventory.vantages
        elif isinstance(subject, ExposedHost):
            context = by_key[f"{subject.host}/host"]["context"]
            assert subject.references() == {k: tuple(v) for k, v in context.items()}
        elif isinstance(subject, InsideHost):
            context = by_key[f"{subject.host}/inside"]["context"]
            assert subject.access in new.inventory.ssh_access
            assert [b.path for b in subject.backups] == context["inside.backup_dirs"]
            assert subject.log_forward_file == (context.get("inside.log_forward_file")
                                                or [None])[0]
            assert {k: v for k, v in subject.references().items()} == {
                k: tuple(v) for k, v in context.items()
                if k in ("host.contractor_accounts", "role.allowed_ports")}
    port80 = [s for s in subjects.values()
              if isinstance(s, NetworkService) and s.companion_ports]
    assert port80 and all(s.port == 80 for s in port80)
    # hosts keep their network services; exposure and inside views get their own fields
    for host in new.inventory.hosts:
        assert all(isinstance(s, NetworkService) for s in host.services)
    assert sum(h.exposure is not None for h in new.inventory.hosts) == sum(
        isinstance(s, ExposedHost) for s in subjects.values())
    assert sum(h.inside is not None for h in new.inventory.hosts) == sum(
        isinstance(s, InsideHost) for s in subjects.values())


def test_a_mail_domain_of_schema_2() -> None:
    old = _v2()
    spf = {"host": "clinique.example", "address": None, "dns_name": None, "port": 0,
           "protocol": "spf", "role": None, "location": None,
           "context": {"spf.ips": ["203.0.113.25", "2001:db8::25"]}}
    old["inventory"]["subjects"] = [spf]
    old["services"].append({"service": spf, "facts": [], "probes": []})
    new = load_json(json.dumps(old))
    (domain,) = [s.service for s in new.services if isinstance(s.service, MailDomain)]
    assert (domain.domain, domain.ips) == ("clinique.example", ("203.0.113.25", "2001:db8::25"))
    assert domain.key == "clinique.example/spf"
    assert new.inventory.subjects == (domain,)


def test_report_renders_a_schema_2_result_again(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["report", str(V2), "--json", str(tmp_path / "r.json"),
                                    "--html", str(tmp_path / "r.html"), "--lang", "fr",
                                    "--sarif", str(tmp_path / "r.sarif")])
    assert out.exit_code == 1, out.output  # the demo's week: failed checks
    again = load_json((tmp_path / "r.json").read_text())
    assert again.schema_version == "3"
    html = (tmp_path / "r.html").read_text()
    assert "(vu de l&#39;intérieur, par SSH)" in html  # an inside subject, in French
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == sum(
        1 for r in again.results if r.status.value in ("fail", "error", "waived"))

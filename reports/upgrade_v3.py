"""Schema "2" -> "3": subjects stop being one `Service` record with `port: 0` and a `context`
of strings; each kind becomes its own typed record (scanner/subjects.py).

Works on the parsed JSON (dicts), before validation: whatever it cannot read is left for the
validation to report.
"""

from __future__ import annotations

from typing import Any

_NOT_NETWORK = {"host": "host", "flow": "zone_pair", "spf": "mail_domain", "estate": "estate",
                "inside": "inside"}


def v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    inventory = data.get("inventory")
    vantages: dict[str, Any] = {}
    access: dict[str, Any] = {}
    if isinstance(inventory, dict):
        vantages = {str(v.get("name")): {**v, "kind": "ssh"}
                    for v in inventory.get("vantages") or [] if isinstance(v, dict)}
        access = {str(a.get("host")): a for a in inventory.get("ssh_access") or []
                  if isinstance(a, dict)}
        inventory = {**inventory,
                     "vantages": list(vantages.values()),
                     "hosts": [_host(h, vantages, access) for h in inventory.get("hosts") or []],
                     "subjects": [_subject(s, vantages, access)
                                  for s in inventory.get("subjects") or []]}
    services = [{**r, "service": _subject(r.get("service"), vantages, access)}
                if isinstance(r, dict) else r for r in data.get("services") or []]
    return {**data, "schema_version": "3", "inventory": inventory, "services": services}


def _host(host: Any, vantages: dict[str, Any], access: dict[str, Any]) -> Any:
    if not isinstance(host, dict):
        return host
    subjects = [_subject(s, vantages, access) for s in host.get("services") or []]
    kind = [s.get("kind") if isinstance(s, dict) else None for s in subjects]
    return {**host,
            "services": [s for s, k in zip(subjects, kind, strict=True) if k == "service"],
            "exposure": next((s for s, k in zip(subjects, kind, strict=True) if k == "host"),
                             None),
            "inside": next((s for s, k in zip(subjects, kind, strict=True) if k == "inside"),
                           None)}


def _subject(item: Any, vantages: dict[str, Any], access: dict[str, Any]) -> Any:
    if not isinstance(item, dict) or "kind" in item:
        return item
    context = item.get("context") or {}
    if not isinstance(context, dict):
        return item
    kind = _NOT_NETWORK.get(item.get("protocol", ""), "service")
    common = {"kind": kind, "location": item.get("location")}
    where = {"host": item.get("host"), "address": item.get("address"),
             "dns_name": item.get("dns_name")}
    match kind:
        case "host":
            return {**common, **where, "role": item.get("role") or "",
                    "allowed_ports": context.get("role.allowed_ports", []),
                    "allowed_services": context.get("role.allowed_services", [])}
        case "zone_pair":
            return {**common, **_zone_pair(item.get("host", ""), context, vantages)}
        case "mail_domain":
            return {**common, "domain": item.get("host"), "ips": context.get("spf.ips", [])}
        case "estate":
            return common
        case "inside":
            return {**common, **where, "role": item.get("role"),
                    "access": access.get(str(item.get("host"))), **_inside(context)}
    clients = None
    zone, vantage = context.get("probe.zone"), context.get("probe.vantage")
    if zone and vantage:
        point = {"kind": "local"} if vantage[0] == "local" else vantages.get(vantage[0])
        clients = {"zone": zone[0], "vantage": point}
    return {**common, **where, "port": item.get("port"), "protocol": item.get("protocol"),
            "role": item.get("role"), "clients": clients,
            "companion_ports": [int(p) for p in context.get("http.companion_ports", [])
                                if str(p).isdigit()],
            "protected_urls": context.get("http.protected_urls", []),
            "discovered": "discovered.by" in context}


def _zone_pair(name: str, context: dict[str, Any], vantages: dict[str, Any]
               ) -> dict[str, Any]:
    source, _, destination = str(name).partition("->")
    named = (context.get("flow.vantage") or [""])[0]
    vantage = {"kind": "local"} if named == "local" else vantages.get(named)
    destinations = {}
    for text in context.get("flow.destinations", []):
        host, _, address = str(text).partition("=")
        destinations[host] = address or None
    required = []
    for text in context.get("flow.required", []):  # "web1:443/tcp"
        host, _, port = str(text).rpartition(":")
        number, _, transport = port.partition("/")
        destinations.setdefault(host, None)
        required.append({"host": host, "port": int(number) if number.isdigit() else number,
                         "transport": transport or "tcp"})
    return {"source": source, "destination": destination, "vantage": vantage,
            "destinations": [{"host": h, "address": a} for h, a in destinations.items()],
            "ports": [int(p) for p in context.get("flow.ports", []) if str(p).isdigit()],
            "required": required}


def _inside(context: dict[str, Any]) -> dict[str, Any]:
    def first(key: str) -> Any:
        values = context.get(key) or []
        return values[0] if values else None

    def number(values: list[Any], i: int) -> int | None:
        return int(values[i]) if i < len(values) and str(values[i]).isdigit() else None

    kinds = context.get("inside.backup_kinds", [])
    rpos = context.get("inside.backup_rpo_minutes", [])
    keeps = context.get("inside.backup_retention_days", [])
    return {
        "backups": [{"path": p, "kind": kinds[i] if i < len(kinds) else "local",
                     "rpo_minutes": number(rpos, i), "retention_days": number(keeps, i)}
                    for i, p in enumerate(context.get("inside.backup_dirs", []))],
        "log_paths": context.get("inside.log_paths", []),
        "log_forward_file": first("inside.log_forward_file"),
        "offsite_copy": first("inside.offsite_copy"),
        "contractor_accounts": context.get("host.contractor_accounts"),
        "allowed_ports": context.get("role.allowed_ports"),
    }

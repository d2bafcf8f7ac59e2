"""The `inside` part of an inventory: how to log in to a host for its checks, and what the
host declares (backup directories, log paths, contractor accounts). A role's `inside` gives
defaults for its hosts; a host's own keys win."""

from __future__ import annotations

from typing import Any

from scanner.models import Backup, InsideHost, SshAccess
from scanner.yamlsrc import Document

ACCESS_KEYS = ("user", "port", "key_file", "agent", "known_hosts", "sudo")


def inside_subject(doc: Document, at: tuple[str | int, ...], raw: dict[str, Any],
                   address: str | None, dns_name: str | None,
                   roles: dict[str, tuple[str, ...]]) -> InsideHost | None:
    """The host's `inside` subject, with its login, when the host or its role declares one."""
    role = raw.get("role")
    from_role = ((doc.data.get("roles") or {}).get(role) or {}).get("inside") or {}
    own = raw.get("inside") or {}
    if not own and not from_role:
        return None
    merged = {**from_role, **own}
    where: tuple[str | int, ...] = (*at, "inside") if own else ("roles", str(role), "inside")
    if "user" not in merged or "known_hosts" not in merged:
        raise doc.error(where, "expected 'user' and 'known_hosts' (here or in the role's "
                        "'inside') to log in for the host checks")
    if "key_file" not in merged and not merged.get("agent"):
        raise doc.error(where, "expected 'key_file' or 'agent: true' (host checks log in with "
                        "a key, never a password)")
    if address is None:
        raise doc.error(at, "expected an 'address' for the host checks (they log in to an "
                        "address, never to a name)")
    access = SshAccess(host=raw["name"], address=address, port=merged.get("port", 22),
                       user=merged["user"], key_file=merged.get("key_file"),
                       agent=bool(merged.get("agent")), known_hosts=merged["known_hosts"],
                       sudo=tuple(merged.get("sudo") or ()))
    accounts = merged.get("contractor_accounts")
    return InsideHost(
        host=raw["name"], address=address, dns_name=dns_name, role=role, access=access,
        backups=tuple(Backup(path=b["path"], kind=b.get("kind", "local"),
                             rpo_minutes=b.get("rpo_minutes"),
                             retention_days=b.get("retention_days"))
                      for b in merged.get("backups") or ()),
        log_paths=tuple(merged.get("log_paths") or ()),
        log_forward_file=(merged.get("log_forwarding") or {}).get("last_file") or None,
        offsite_copy=merged.get("offsite_copy") or None,
        contractor_accounts=tuple(accounts) if accounts is not None else None,
        allowed_ports=roles[role] if role and role in roles else None,
        location=doc.where(where))

"""The `inside` probe: facts about a host gathered over one authenticated SSH session.

Only the commands the wanted facts need are run (commands.py lists them all). A command that
is missing, not permitted, timed out or cut makes the facts that need it errors, with why.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from scanner.facts import (
    FIREWALL_POLICIES,
    INSIDE,
    OPS_KINDS,
    WORKER_KINDS,
    FactKind,
    FactSpec,
)
from scanner.models import (
    Backup,
    Fact,
    FactValue,
    InsideHost,
    Observation,
    Phrase,
    ProbeStatus,
    ReasonCategory,
    SshAccess,
    Summary,
    say,
    summary,
)
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget
from scanner.probes.inside import parse
from scanner.probes.inside.commands import FIXED, Command, backup_section, declared
from scanner.probes.inside.session import Answer, first_line, run_commands
from scanner.probes.vantage import Login

NEEDS: dict[str, tuple[str, ...]] = {
    "host.firewall_policy": ("nft", "iptables"),
    "host.listening": ("ss",),
    "host.sshd_root_password_login": ("sshd_t", "sshd_files"),
    "host.sshd_password_login": ("sshd_t", "sshd_files"),
    "host.web_workers": ("ps", "passwd"),
    "host.log_retention_days": ("logrotate", "journald"),
    "host.log_forward_targets": ("rsyslog", "journal_upload", "ps"),
    "host.log_forward_age_seconds": ("forward_age", "now"),
    "host.backups_overdue": ("backup", "now"),
    "host.backup_rpo_minutes": (),
    "host.backups_short": ("backup", "now"),
    "host.backup_local_days": ("backup", "now"),
    "host.ids_services": ("ps",),
    "host.av_services": ("ps", "aide"),
    "host.login_accounts": ("passwd",),
    "host.sudo_accounts": ("group", "sudoers", "sudoers_d"),
    "host.ops_services": ("ps",),
}


class Unknown(Exception):
    """The fact cannot be established (the message says why); NotApplicable is separate."""

    def __init__(self, message: str,
                 category: ReasonCategory = ReasonCategory.PROTOCOL_ERROR,
                 why: Phrase | None = None) -> None:
        super().__init__(message)
        self.category = category
        self.why = why  # the message as a message key, when it is a fixed sentence


class NotApplicable(Exception):
    """The fact does not exist on this host; `why` is the reason as a message key."""

    def __init__(self, reason: str, why: Phrase | None = None) -> None:
        super().__init__(reason)
        self.why = why


def plan_commands(wanted: frozenset[str], host: InsideHost) -> tuple[Command, ...]:
    ids = {s for n in wanted for s in NEEDS.get(n, ())}
    fwd = host.log_forward_file
    extra = declared([b.path for b in host.backups] if "backup" in ids else [],
                     fwd if fwd and "forward_age" in ids else None)
    return tuple(c for c in FIXED if c.id in ids) + extra


def login_for(access: SshAccess, target: ProbeTarget, tofu: bool) -> Login:
    address = access.address or target.address
    if address is None:
        raise ProbeFailure(f"host {access.host} has no address to log in to")
    return Login(where=f"{access.host} ({address})", address=address, port=access.port,
                 user=access.user,
                 key_file=os.path.expanduser(access.key_file) if access.key_file else None,
                 known_hosts=os.path.expanduser(access.known_hosts), agent=access.agent,
                 trust_on_first_use=tofu)


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("host.firewall_policy", FactKind.STR, "inside",
             "What the firewall does by default with inbound packets (nftables input hook, "
             "else iptables INPUT)", FIREWALL_POLICIES, services=INSIDE),
    FactSpec("host.listening", FactKind.SET, "inside",
             "Sockets listening on other than loopback addresses, as PORT/tcp or PORT/udp "
             "(detail: address and process)", services=INSIDE),
    FactSpec("host.sshd_root_password_login", FactKind.BOOL, "inside",
             "sshd lets root log in with a password (effective PermitRootLogin yes, and "
             "PasswordAuthentication or KbdInteractiveAuthentication yes)", services=INSIDE),
    FactSpec("host.sshd_password_login", FactKind.BOOL, "inside",
             "sshd accepts passwords (effective PasswordAuthentication or "
             "KbdInteractiveAuthentication yes)", services=INSIDE),
    FactSpec("host.web_workers", FactKind.SET, "inside",
             "Kinds of account the web server's worker processes run as (detail: process and "
             "user); not applicable without a web server", WORKER_KINDS, services=INSIDE),
    FactSpec("host.log_retention_days", FactKind.INT, "inside",
             "Shortest retention, in days, logrotate gives the declared log paths (all its "
             "rules when none is declared)", services=INSIDE),
    FactSpec("host.log_forward_targets", FactKind.SET, "inside",
             "Remote targets logs are forwarded to (rsyslog omfwd/@@, systemd-journal-upload)",
             services=INSIDE),
    FactSpec("host.log_forward_age_seconds", FactKind.INT, "inside",
             "Age of the declared last-forwarded file; not applicable when none is declared",
             services=INSIDE),
    FactSpec("host.backups_overdue", FactKind.SET, "inside",
             "Declared backup directories whose newest file is older than their declared RPO "
             "(detail: newest file's age)", services=INSIDE),
    FactSpec("host.backup_rpo_minutes", FactKind.INT, "inside",
             "Largest RPO the inventory declares for the host's backup directories",
             services=INSIDE),
    FactSpec("host.backups_short", FactKind.SET, "inside",
             "Declared backup directories whose oldest file is younger than their declared "
             "retention (detail: oldest file's age)", services=INSIDE),
    FactSpec("host.backup_local_days", FactKind.INT, "inside",
             "Age in days of the oldest file of the youngest local backup directory",
             services=INSIDE),
    FactSpec("host.ids_services", FactKind.SET, "inside",
             "Intrusion detection / banning services running (fail2ban, CrowdSec, Suricata, "
             "Wazuh, OSSEC, Snort)", services=INSIDE),
    FactSpec("host.av_services", FactKind.SET, "inside",
             "Antivirus / integrity services running or scheduled (ClamAV, Wazuh or OSSEC "
             "syscheck, AIDE with its database and schedule)", services=INSIDE),
    FactSpec("host.login_accounts", FactKind.SET, "inside",
             "Accounts with a login shell (detail: uid and shell)", services=INSIDE),
    FactSpec("host.sudo_accounts", FactKind.SET, "inside",
             "Accounts that may use sudo: members of sudo/wheel/admin and users named in "
             "sudoers (detail: where)", services=INSIDE),
    FactSpec("host.ops_services", FactKind.SET, "inside",
             "Operations services running (backup agent, monitoring agent; detail: process)",
             OPS_KINDS, services=INSIDE),
)


class InsideProbe:
    name = "inside"
    facts = FACT_SPECS
    needs = ()
    makes = ()
    provides = frozenset(NEEDS)

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            known: Mapping[str, Fact]) -> list[Fact]:
        names = sorted(wanted & self.provides)
        try:
            host = target.subject_as(InsideHost)
            access = host.access
            commands = plan_commands(frozenset(names), host)
            answers: dict[str, Answer] = {}
            ended = ""
            if commands:
                with ctx._lock:
                    ctx.connections += 1
                answers, ended = run_commands(
                    login_for(access, target, ctx.options.trust_on_first_use), commands,
                    frozenset(access.sudo), ctx.timeout, ctx.deadline)
        except ProbeFailure as exc:
            return [exc.fact(n) for n in names]
        except ValueError as exc:
            return [ProbeFailure(str(exc), ReasonCategory.BAD_INPUT).fact(n) for n in names]
        sudo = frozenset(access.sudo)
        view = Answers(answers, commands, sudo, ended)
        return [view.fact(n, host) for n in names]


Said = Phrase | Summary  # how a fact was derived, in the reports' words


class Answers:
    """The session's answers and how each fact is derived from them."""

    def __init__(self, answers: Mapping[str, Answer], commands: Sequence[Command],
                 sudo: frozenset[str], ended: str = "") -> None:
        self.answers, self.sudo, self.ended = answers, sudo, ended
        self.shown = {c.id: c.shell(c.group in sudo) for c in commands}

    def get(self, section: str, allow_failure: bool = False) -> Answer:
        """The answer of a section, or Unknown with the reason."""
        answer = self.answers.get(section)
        command = self.shown.get(section, section)
        if answer is None:
            raise Unknown(f"`{command}`: " + (self.ended or "no answer"), ReasonCategory.RESET)
        problem = answer.problem(f"`{command}`")
        if problem:
            raise Unknown(*problem)
        if answer.status != 0 and not allow_failure:
            raise Unknown(f"`{command}` failed with status {answer.status}: "
                          f"{first_line(answer.text)}")
        return answer

    def fact(self, name: str, host: InsideHost) -> Fact:
        derive: Callable[[InsideHost], tuple[FactValue, Said]] = \
            getattr(self, "_" + name.removeprefix("host."))
        try:
            value, said = derive(host)
        except Unknown as exc:
            return Fact(name=name, status=ProbeStatus.ERROR, reason=str(exc),
                        category=exc.category, why=exc.why)
        except NotApplicable as exc:
            return Fact(name=name, status=ProbeStatus.NOT_APPLICABLE, reason=str(exc),
                        why=exc.why)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            return Fact(name=name, status=ProbeStatus.ERROR,
                        category=ReasonCategory.PROTOCOL_ERROR,
                        reason=f"unexpected output: {type(exc).__name__}: {exc}"[:300])
        how = said if isinstance(said, Summary) else summary(said)
        return Fact(name=name, status=ProbeStatus.COMPLETED, value=value, summary=how)

    # ---- firewall, sockets, sshd

    def _firewall_policy(self, _: object) -> tuple[FactValue, Said]:
        nft = self.answers.get("nft")
        why_nft, nft_category = "", ReasonCategory.PROTOCOL_ERROR
        try:
            found = parse.nft_input_policy(self.get("nft").text)
            if found:
                return found[0], say("summary.inside.command", command=self.shown["nft"],
                                     detail=found[1])
        except Unknown as exc:
            why_nft, nft_category = str(exc), exc.category
        try:
            policy, how = parse.iptables_input_policy(self.get("iptables").text)
            return policy, say("summary.inside.command", command=self.shown["iptables"],
                               detail=how)
        except Unknown as exc:
            if nft is not None and not why_nft:  # nft answered: nothing hooks input
                return "accept", say("summary.inside.nft_no_input", command=self.shown["nft"],
                                     detail=str(exc))
            raise Unknown(f"{why_nft}; {exc}", nft_category) from None

    def _listening(self, _: object) -> tuple[FactValue, Said]:
        socks = parse.sockets(self.get("ss").text)
        local = sorted({f"{s.port}/{s.proto}" for s in socks if s.loopback})
        said = [say("summary.inside.sockets", command=self.shown["ss"], n=len(socks))]
        if local:
            said.append(say("summary.inside.loopback_only", ports=local))
        return parse.listening(socks), summary(*said)

    def _sshd(self) -> tuple[dict[str, str], Phrase]:
        try:
            return (parse.sshd_t(self.get("sshd_t").text),
                    say("summary.inside.sshd_t", command=self.shown["sshd_t"]))
        except Unknown as exc:
            files = self.get("sshd_files", allow_failure=True)
            return (parse.sshd_files(files.text),
                    say("summary.inside.sshd_files", error=str(exc)))

    def _sshd_password_login(self, _: object) -> tuple[FactValue, Phrase]:
        """Passwords are typed through PasswordAuthentication or keyboard-interactive."""
        settings, how = self._sshd()
        shown = ", ".join(f"{k} {settings[k]}" for k in parse.PASSWORD_KEYS)
        return (any(settings[k] == "yes" for k in parse.PASSWORD_KEYS),
                say("summary.inside.sshd_settings", settings=shown, source=how))

    def _sshd_root_password_login(self, _: object) -> tuple[FactValue, Said]:
        """PermitRootLogin yes, with a way to type a password."""
        settings, _ = self._sshd()
        password, shown = self._sshd_password_login(None)
        root = settings["permitrootlogin"]
        return root == "yes" and bool(password), say("summary.inside.sshd_root",
                                                     keyword="permitrootlogin", root=root,
                                                     rest=shown)

    # ---- processes

    def _procs(self) -> list[parse.Process]:
        return parse.processes(self.get("ps").text)

    def _web_workers(self, _: object) -> tuple[FactValue, Said]:
        accounts = parse.passwd(self.get("passwd").text)
        found = parse.web_workers(self._procs(), accounts)
        if found is None:
            raise NotApplicable(f"no web server process ({', '.join(parse.WEB_SERVERS)}) runs",
                                say("reason.inside.no_web_server", names=parse.WEB_SERVERS))
        return found, say("summary.inside.ps_passwd", command=self.shown["ps"])

    def _ids_services(self, _: object) -> tuple[FactValue, Said]:
        return parse.named(self._procs(), parse.IDS), say("summary.inside.command_only",
                                                          command=self.shown["ps"])

    def _ops_services(self, _: object) -> tuple[FactValue, Said]:
        return parse.named(self._procs(), parse.OPS), say("summary.inside.command_only",
                                                          command=self.shown["ps"])

    def _av_services(self, _: object) -> tuple[FactValue, Said]:
        found = list(parse.named(self._procs(), parse.AV))
        present = self.get("aide", allow_failure=True).text.splitlines()
        db = [p for p in present if p.startswith("/var/lib/aide/aide.db")]
        schedule = [p for p in present if p.startswith(("/etc/cron", "/lib/systemd"))]
        if db and schedule:
            found.append(Observation(value="aide", detail=f"{db[0]}, scheduled by {schedule[0]}",
                                     said=say("obs.inside.aide", db=db[0],
                                              schedule=schedule[0])))
        return tuple(found), summary(say("summary.inside.command_only", command=self.shown["ps"]),
                                     say("summary.inside.aide"))

    # ---- logs

    def _log_retention_days(self, host: InsideHost) -> tuple[FactValue, Said]:
        declared = host.log_paths
        rotations = parse.logrotate(self.get("logrotate", allow_failure=True).text)
        shown: list[Phrase] = []
        days: list[int] = []
        for path in declared or ():
            if path == "journal":
                kept = parse.journald_retention_days(
                    self.get("journald", allow_failure=True).text)
                if kept is None:
                    raise Unknown("journald has no MaxRetentionSec: it keeps logs by size, "
                                  "so their age is unknown",
                                  why=say("reason.inside.journald_by_size"))
                days.append(kept)
                shown.append(say("summary.inside.journal_days", days=kept))
                continue
            matching = [r for r in rotations if parse.covers(r, path)]
            if not matching:
                raise Unknown(f"no logrotate rule covers {path}: its retention is unknown",
                              why=say("reason.inside.no_logrotate_for", path=path))
            kept = min(r.days for r in matching)
            days.append(kept)
            shown.append(say("summary.inside.path_days", path=path, days=kept,
                             where=matching[0].where))
        if not declared:
            if not rotations:
                raise Unknown("no logrotate rule found (/etc/logrotate.conf, /etc/logrotate.d)",
                              why=say("reason.inside.no_logrotate"))
            days = [r.days for r in rotations]
            worst = min(rotations, key=lambda r: r.days)
            shown.append(say("summary.inside.shortest_rule", n=len(rotations),
                             patterns=" ".join(worst.patterns), days=worst.days,
                             where=worst.where))
        return min(days), summary(say("summary.inside.retention"), *shown)

    def _log_forward_targets(self, _: object) -> tuple[FactValue, Said]:
        procs = self._procs()
        out: list[Observation] = []
        notes = [say("summary.inside.forwarding")]
        rsyslog = parse.rsyslog_targets(self.get("rsyslog", allow_failure=True).text)
        if rsyslog and any(p.named("rsyslogd") for p in procs):
            out += rsyslog
        elif rsyslog:
            notes.append(say("summary.inside.rsyslog_stopped"))
        upload = parse.journal_upload_targets(self.get("journal_upload", allow_failure=True).text)
        if upload and any(p.named("systemd-journal-upload") for p in procs):
            out += upload
        elif upload:
            notes.append(say("summary.inside.upload_stopped"))
        return tuple(out), summary(*notes)

    def _now(self) -> float:
        return float(self.get("now").text.strip())

    def _log_forward_age_seconds(self, host: InsideHost) -> tuple[FactValue, Said]:
        declared = host.log_forward_file
        if not declared:
            raise NotApplicable(why=say("reason.inside.no_forward_file"), reason=(
                                "the inventory declares no last-forwarded file "
                                "(inside.log_forwarding.last_file)"))
        mtime = float(self.get("forward_age").text.strip())
        age = max(0, int(self._now() - mtime))
        return age, say("summary.inside.forward_age", path=declared, age=age)

    # ---- backups

    def _measure(self, host: InsideHost) -> list[tuple[Backup, list[float]]]:
        if not host.backups:
            raise NotApplicable("the inventory declares no backup directory for this host",
                                say("reason.inside.no_backup"))
        out = []
        for i, b in enumerate(host.backups):
            section = backup_section(i)
            answer = self.get(section, allow_failure=True)
            if answer.status != 0 and "No such file" not in answer.text:
                raise Unknown(f"`{self.shown[section]}` failed with status {answer.status}:"
                              f" {first_line(answer.text)}")
            out.append((b, parse.mtimes(answer.text)))
        return out

    def _summary(self, measured: list[tuple[Backup, list[float]]], now: float) -> Summary:
        parts = []
        for b, times in measured:
            if not times:
                parts.append(say("summary.inside.backup_empty", path=b.path))
                continue
            parts.append(say("summary.inside.backup", path=b.path, n=len(times),
                             newest=_age_said(now - max(times)),
                             oldest=_age_said(now - min(times))))
        return summary(*parts)

    def _backups_overdue(self, host: InsideHost) -> tuple[FactValue, Said]:
        measured, now = self._measure(host), self._now()
        late = []
        for b, times in measured:
            if b.rpo_minutes is None:
                continue
            age = (now - max(times)) / 60 if times else None
            if age is None or age > b.rpo_minutes:
                late.append(Observation(value=b.path, detail=(
                    f"newest file {_age(age * 60)} old, RPO {b.rpo_minutes} min" if age
                    is not None else f"no file, RPO {b.rpo_minutes} min"), said=(
                    say("obs.inside.rpo", age=_age_said(age * 60), rpo=b.rpo_minutes)
                    if age is not None else say("obs.inside.rpo_none", rpo=b.rpo_minutes))))
        return tuple(late), self._summary(measured, now)

    def _backups_short(self, host: InsideHost) -> tuple[FactValue, Said]:
        measured, now = self._measure(host), self._now()
        short = []
        for b, times in measured:
            if b.retention_days is None:
                continue
            days = (now - min(times)) / 86400 if times else None
            if days is None or days < b.retention_days:
                short.append(Observation(value=b.path, detail=(
                    f"oldest file {_age(days * 86400)} old, retention {b.retention_days} d"
                    if days is not None else f"no file, retention {b.retention_days} d"), said=(
                    say("obs.inside.retention", age=_age_said(days * 86400),
                        days=b.retention_days)
                    if days is not None else
                    say("obs.inside.retention_none", days=b.retention_days))))
        return tuple(short), self._summary(measured, now)

    def _backup_local_days(self, host: InsideHost) -> tuple[FactValue, Said]:
        measured, now = self._measure(host), self._now()
        local = [(b, t) for b, t in measured if b.kind != "offsite"]
        if not local:
            raise NotApplicable("no local backup directory declared",
                                say("reason.inside.no_local_backup"))
        days = min(int((now - min(t)) / 86400) if t else 0 for _, t in local)
        return days, self._summary(local, now)

    def _backup_rpo_minutes(self, host: InsideHost) -> tuple[FactValue, Said]:
        rpos = [b.rpo_minutes for b in host.backups if b.rpo_minutes is not None]
        if not rpos:
            raise NotApplicable("the inventory declares no RPO for this host's backups",
                                say("reason.inside.no_rpo"))
        return max(rpos), say("summary.inside.declared")

    # ---- accounts

    def _login_accounts(self, _: object) -> tuple[FactValue, Said]:
        accounts = parse.passwd(self.get("passwd").text)
        return tuple(Observation(value=a.name, detail=f"uid {a.uid}, {a.shell}",
                                 said=say("obs.inside.account", uid=str(a.uid), shell=a.shell))
                     for a in sorted(accounts.values(), key=lambda a: a.uid) if a.login), \
            say("summary.inside.login_accounts")

    def _sudo_accounts(self, _: object) -> tuple[FactValue, Said]:
        groups = parse.groups(self.get("group").text)
        sudoers = self.get("sudoers", allow_failure=True)
        text = ""
        if sudoers.status == 0:
            text = sudoers.text + "\n" + self.get("sudoers_d", allow_failure=True).text
            if self.answers["sudoers_d"].status != 0 and "No such file" not in \
                    self.answers["sudoers_d"].text:
                self.get("sudoers_d")  # raises with the reason
        elif "No such file" not in sudoers.text:
            self.get("sudoers")  # raises with the reason
        found = parse.sudo_accounts(groups, text)
        how = say("summary.inside.sudo" if text else "summary.inside.sudo_no_sudoers")
        return tuple(Observation(value=k, detail=v) for k, v in sorted(found.items())), how


def _age_said(seconds: float) -> Phrase:
    """`_age` in the reports' words (units and decimals of the report's language)."""
    seconds = max(0.0, seconds)
    if seconds < 3600:
        return say("age.minutes", n=int(seconds // 60))
    if seconds < 2 * 86400:
        return say("age.hours", n=round(seconds / 3600, 1))
    return say("age.days", n=round(seconds / 86400, 1))


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600, 1):g} h"
    return f"{round(seconds / 86400, 1):g} d"

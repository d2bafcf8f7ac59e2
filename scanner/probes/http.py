"""The `http` probe: GET / and the protected URLs without credentials, HSTS, response times."""

from __future__ import annotations

import http.client
import ipaddress
import math
import re
import socket
import ssl
import statistics
import time
import warnings
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import cache
from urllib.parse import quote, urljoin, urlsplit

from scanner import __version__
from scanner.facts import REDIRECT_SCHEMES, WEB, FactKind, FactSpec
from scanner.models import (
    Fact,
    NetworkService,
    Observation,
    Phrase,
    ProbeStatus,
    ReasonCategory,
    ServiceProtocol,
    Summary,
    say,
    summary,
)
from scanner.probes.base import ProbeContext, ProbeFailure, ProbeTarget, exception_category

COMPLETED, ERROR, NA = ProbeStatus.COMPLETED, ProbeStatus.ERROR, ProbeStatus.NOT_APPLICABLE
FRONT = ("http.status", "http.location_scheme", "http.location_same_host", "http.hsts_max_age")
HEAD_MAX, BODY_MAX = 64 * 1024, 256 * 1024  # bytes read at most; the rest is discarded
MAX_REDIRECTS = 3  # followed for protected URLs, on the same scheme, host and port only
USER_AGENT = f"rempart/{__version__} (compliance scanner)"
_C0 = "".join(map(chr, range(33)))  # stripped around a Location, as browsers do
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_DIRECTIVE = re.compile(  # RFC 6797 §6.1: name [= token / quoted-string], then ";" or the end
    rf'[ \t]*(?:({_TOKEN})[ \t]*(?:=[ \t]*({_TOKEN}|"(?:[^"\\]|\\.)*")[ \t]*)?)?(;|\Z)')


class _TooLarge(Exception):
    pass


def show(text: str, limit: int = 100) -> str:
    """Printable and short: control characters escaped, long values cut."""
    out = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:limit])
    return out + (f"… ({len(text)} characters)" if len(text) > limit else "")


class _Reader:
    """What http.client reads through: `limit` bytes at most, and nothing after `until`."""

    def __init__(self, sock: socket.socket, timeout: float, until: float) -> None:
        self.sock, self.timeout, self.until = sock, timeout, until
        self.buf, self.eof, self.taken, self.limit = bytearray(), False, 0, HEAD_MAX

    def _fill(self) -> bool:
        room = self.limit - self.taken - len(self.buf)
        if self.eof:
            return False
        if room < 0:
            raise _TooLarge
        left = self.until - time.monotonic()
        if left <= 0:
            raise TimeoutError("response time limit reached")
        self.sock.settimeout(min(self.timeout, left))
        data = self.sock.recv(min(16384, room + 1))
        self.buf += data
        self.eof = not data
        return bool(data)

    def _take(self, n: int) -> bytes:
        if self.taken + n > self.limit:
            raise _TooLarge
        out = bytes(self.buf[:n])
        del self.buf[:n]
        self.taken += n
        return out

    def readline(self, limit: int = -1) -> bytes:
        while True:
            end = self.buf.find(b"\n") + 1
            if end and (limit < 0 or end <= limit):
                return self._take(end)
            if 0 <= limit <= len(self.buf) or not self._fill():
                return self._take(len(self.buf) if limit < 0 else min(limit, len(self.buf)))

    def read(self, n: int | None = -1) -> bytes:
        while (n is None or n < 0 or len(self.buf) < n) and self._fill():
            pass
        return self._take(len(self.buf) if n is None or n < 0 else min(n, len(self.buf)))

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    ms: float  # from connect to the end of what was read


@dataclass(frozen=True)
class Location:
    scheme: str  # https / http / none / other
    shown: Phrase
    host: str = ""
    same_host: bool = False
    port: int | None = None
    path: str = "/"


@cache
def tls_context() -> ssl.SSLContext:
    """No verification: certificates are judged by the certificate probe."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    with suppress(ssl.SSLError, ValueError), warnings.catch_warnings():  # legacy servers too
        warnings.simplefilter("ignore", DeprecationWarning)
        tls.set_ciphers("ALL:@SECLEVEL=0")
        tls.minimum_version = ssl.TLSVersion.TLSv1
    tls.set_alpn_protocols(["http/1.1"])
    return tls


def why(exc: Exception) -> str:
    if isinstance(exc, _TooLarge):
        return f"response headers exceed {HEAD_MAX // 1024} KB"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection closed without an HTTP response"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP response ({type(exc).__name__} {show(str(exc), 60)})"
    if isinstance(exc, ssl.SSLError):
        return str(exc.reason or exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {show(str(exc))}"


def refused(exc: BaseException | None) -> bool:
    return caused_by(exc, ConnectionRefusedError)


def caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    while exc is not None and not isinstance(exc, kind):
        exc = exc.__cause__
    return exc is not None


def request_path(raw: str) -> str:
    """Path and query of an inventory entry or a Location; scheme, host, credentials dropped."""
    parts = urlsplit(raw.strip())
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    return path if not parts.query else f"{path}?{quote(parts.query, safe='/%:@!$&()*+,;=?')}"


def parse_hsts(value: str) -> tuple[int | None, Phrase | None]:
    """max-age of one Strict-Transport-Security value (RFC 6797 §6.1), or None and why not."""
    seen: dict[str, str | None] = {}
    pos = 0
    while m := _DIRECTIVE.match(value, pos):
        if m.group(1):
            if m.group(1).lower() in seen:
                return None, say("summary.hsts.twice", directive=show(m.group(1), 20))
            seen[m.group(1).lower()] = m.group(2)
        if not m.group(3):
            break
        pos = m.end()
    else:
        return None, say("summary.hsts.malformed", at=pos + 1)
    raw = seen.get("max-age")
    if raw is None:
        return None, say("summary.hsts.no_value" if "max-age" in seen
                         else "summary.hsts.no_max_age")
    digits = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
    if not re.fullmatch(r"[0-9]+", digits):
        return None, say("summary.hsts.not_seconds", raw=show(raw, 20))
    return (int(digits) if len(digits) <= 15 else 10**15), None


def hsts(values: list[str]) -> tuple[int, Phrase]:
    """The first valid header's max-age, -1 when there is none."""
    bad: list[Phrase] = []
    for value in values:
        age, problem = parse_hsts(value)
        if age is not None:
            if bad:
                return age, say("summary.hsts.valid_after", *bad, value=show(value), age=str(age),
                                n=len(bad))
            return age, say("summary.hsts.valid", value=show(value), age=str(age))
        bad.append(say("summary.hsts.bad", *(problem,) if problem else (), value=show(value, 60)))
    if not bad:
        return -1, say("summary.hsts.none")
    return -1, say("summary.hsts.invalid", *bad)


class Web:
    """The requests of one probe run against one target."""

    def __init__(self, target: ProbeTarget, ctx: ProbeContext) -> None:
        self.target, self.ctx, self.answered, self.closed = target, ctx, False, ""
        self.closed_why: Phrase | None = None  # `closed` as a message key
        self.how: Phrase | None = None  # how `closed` was established
        self.reached = False  # a connection to the port succeeded
        self.scheme = "https" if target.protocol is ServiceProtocol.HTTPS else "http"
        self.host = (target.sni or target.address or target.host).lower()
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = target.port == (443 if self.scheme == "https" else 80)
        self.origin = f"{self.scheme}://{host}" + ("" if default else f":{target.port}")

    def get(self, path: str, body: bool = False) -> Answer:
        """One GET without credentials on a new connection; never follows a redirect."""
        if self.closed:
            raise ProbeFailure(self.closed)
        start = time.monotonic()
        sock = self.ctx.connect(self.target)
        self.reached = True  # a later timeout is a slow answer, not a dropped port
        stage = "TLS handshake" if self.scheme == "https" else f"GET {path}"
        try:
            sock.settimeout(self.ctx.timeout)
            if self.scheme == "https":
                sock = tls_context().wrap_socket(sock, server_hostname=self.target.sni)
                stage = f"GET {path}"
            answer = self._exchange(sock, path, body, start)
        except Exception as exc:  # network trouble and hostile answers alike
            raise ProbeFailure(f"{stage} failed: {why(exc)}", exception_category(exc)) from exc
        finally:
            sock.close()
        self.answered = True
        return answer

    def _exchange(self, sock: socket.socket, path: str, body: bool, start: float) -> Answer:
        host = urlsplit(self.origin).netloc
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
                     "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
                     .encode("ascii"))
        reader = _Reader(sock, self.ctx.timeout, time.monotonic() + self.ctx.timeout)
        resp = http.client.HTTPResponse(sock, method="GET")
        resp.fp.close()
        resp.fp = reader  # type: ignore[assignment]  # duck-typed: readline/read/readinto
        resp.begin()
        if body:  # the body counts in the response time; 256 KB at most
            reader.limit = reader.taken + BODY_MAX + HEAD_MAX  # room for chunk framing
            got = 0
            with suppress(_TooLarge):
                while got < BODY_MAX and (chunk := resp.read(min(16384, BODY_MAX - got))):
                    got += len(chunk)
        return Answer(resp.status, resp.reason, resp.headers, (time.monotonic() - start) * 1e3)

    def location(self, answer: Answer, path: str) -> Location:
        values = answer.headers.get_all("Location") or [""]
        raw = values[0]
        text = re.sub(r"[\t\r\n]", "", raw.strip(_C0)).replace("\\", "/")  # as browsers read it
        if not text:
            return Location("none", say("summary.http.location_empty" if raw
                                        else "summary.http.location_missing"))
        shown = (say("summary.http.location_more", value=show(raw), n=len(values) - 1)
                 if values[1:] else say("summary.http.location", value=show(raw)))
        try:
            parts = urlsplit(urljoin(self.origin + path, text))
            host, port = (parts.hostname or "").rstrip("."), parts.port
        except ValueError:
            return Location("other", say("summary.http.location_unparseable", shown))
        scheme = parts.scheme.lower() if parts.scheme.lower() in ("http", "https") else "other"
        port = port or {"http": 80, "https": 443}.get(scheme)
        query = f"?{parts.query}" if parts.query else ""
        return Location(scheme, shown, host, self._same(host), port, parts.path + query)

    def _same(self, host: str) -> bool:
        with suppress(ValueError):
            return ipaddress.ip_address(host) == ipaddress.ip_address(self.host)
        return bool(host) and host == self.host.rstrip(".")

    def final_status(self, path: str) -> tuple[int, Phrase | None]:
        """Status of a URL, following redirects on the same scheme, host and port only."""
        hops: list[str] = []
        while True:
            answer = self.get(path)
            loc = self.location(answer, path)
            if not 300 <= answer.status < 400 or loc.scheme == "none":
                return answer.status, (say("summary.http.via", hops=" → ".join(hops)) if hops
                                       else None)
            if not (loc.same_host and loc.scheme == self.scheme and loc.port == self.target.port):
                return answer.status, say("summary.http.other_origin", loc.shown)
            if len(hops) == MAX_REDIRECTS:
                return answer.status, say("summary.http.still_redirecting", n=MAX_REDIRECTS)
            path = request_path(loc.path)
            hops.append(path)

    def failed(self, names: list[str], exc: ProbeFailure) -> list[Fact]:
        plain = not self.answered and self.target.protocol is ServiceProtocol.HTTP
        if not self.closed and plain and refused(exc):
            self.closed = f"port {self.target.port} is closed (connection refused)"
            self.closed_why = say("reason.http.closed", port=str(self.target.port))
        elif not self.closed and plain and not self.reached and caused_by(exc, TimeoutError):
            try:
                self.closed, self.how = self.filtered(exc)
                self.closed_why = say("reason.http.filtered")
            except ProbeFailure as undecided:
                return [undecided.fact(n) for n in names]
        if self.closed:
            how = summary(self.how) if self.how else Summary()
            return [Fact(name=n, status=NA, reason=self.closed, why=self.closed_why, summary=how)
                    for n in names]
        return [exc.fact(n) for n in names]

    def filtered(self, exc: ProbeFailure) -> tuple[str, Phrase]:
        """A connection that timed out is a dropped (filtered) port, not an open one, when
        another port of the same host answers: the host is up, the firewall drops this port.
        When none answers, the host may be down: that cannot be decided (an error)."""
        seen = []
        subject = self.target.subject
        companions = subject.companion_ports if isinstance(subject, NetworkService) else ()
        for number in companions:
            text = str(number)
            other = replace(self.target, port=number)
            try:
                self.ctx.connect(other).close()
            except ProbeFailure as failure:
                if not refused(failure):
                    seen.append(f"port {text}: {failure}")
                    continue
                answer = "refused"
            else:
                answer = "accepted"
            return "filtered", say(f"summary.http.filtered_{answer}", detail=str(exc),
                                   other=text, port=str(self.target.port))
        tried = f" ({'; '.join(seen)})" if seen else " (no other port of it is declared)"
        raise ProbeFailure(f"{exc}; the host did not answer on any other port either"
                           f"{tried}: filtered or down cannot be told apart",
                           ReasonCategory.TIMEOUT) from exc


def _front(web: Web, names: list[str]) -> list[Fact]:
    """status, Location and HSTS from one GET /."""
    answer = web.get("/")
    how = say("summary.http.front", origin=web.origin, status=str(answer.status),
              reason=show(answer.reason, 40))
    loc = web.location(answer, "/")
    host = (say("summary.http.location_host", host=show(loc.host, 60), ours=web.host),) \
        if loc.host else ()
    age, hsts_how = hsts(answer.headers.get_all("Strict-Transport-Security") or [])
    got: dict[str, tuple[int | str | bool, Summary]] = {
        "http.status": (answer.status, summary(how)),
        "http.location_scheme": (loc.scheme, summary(how, loc.shown)),
        "http.location_same_host": (loc.same_host, summary(how, loc.shown, *host)),
        "http.hsts_max_age": (age, summary(how, hsts_how)),
    }
    return [Fact(name=n, status=COMPLETED, value=got[n][0], summary=got[n][1]) for n in names]


def _protected(web: Web, names: list[str]) -> list[Fact]:
    subject = web.target.subject
    paths = subject.protected_urls if isinstance(subject, NetworkService) else ()
    if not paths:
        return [Fact(name=n, status=NA, reason="no protected URLs declared for this service",
                     why=say("reason.http.no_protected_urls"))
                for n in names]
    seen, notes = [], []
    for raw in paths:
        path = request_path(raw)
        status, note = web.final_status(path)
        seen.append(Observation(value=str(status), detail=web.origin + path))
        notes.append(say("summary.http.path_note", note, path=show(path, 60), status=str(status))
                     if note else say("summary.http.path", path=show(path, 60),
                                      status=str(status)))
    how = summary(say("summary.http.protected", *notes, origin=web.origin, n=MAX_REDIRECTS))
    return [Fact(name=n, status=COMPLETED, value=tuple(seen), summary=how) for n in names]


def _timing(web: Web, names: list[str]) -> list[Fact]:
    count = web.ctx.options.http_samples
    if count < 1:
        raise ProbeFailure(f"no samples requested (http_samples={count})", ReasonCategory.BAD_INPUT)
    times = []
    for i in range(count):
        try:
            times.append(web.get("/", body=True).ms)
        except ProbeFailure as exc:
            raise exc.within(f"sample {i + 1} of {count}") from exc
    rank = math.ceil(0.9 * count)
    p90 = round(sorted(times)[rank - 1])
    how = summary(say("summary.http.timing", n=count, origin=web.origin, kb=BODY_MAX // 1024,
                      p90=p90, rank=rank), say("summary.http.timing_spread", low=round(min(times)),
                      median=round(statistics.median(times)), high=round(max(times))))
    return [Fact(name=n, status=COMPLETED, value=p90, summary=how) for n in names]


FACT_SPECS = (  # the facts this probe establishes (registered in scanner.probes.registry)
    FactSpec("http.hsts_max_age", FactKind.INT, "http",
             "max-age of the Strict-Transport-Security header in seconds (-1: no header)",
             services=frozenset({ServiceProtocol.HTTPS})),
    FactSpec("http.status", FactKind.INT, "http",
             "Status code of a GET / without credentials", services=WEB),
    FactSpec("http.location_scheme", FactKind.STR, "http",
             "Scheme of the Location header of that answer", REDIRECT_SCHEMES, services=WEB),
    FactSpec("http.location_same_host", FactKind.BOOL, "http",
             "The Location header names the same host as the request", services=WEB),
    FactSpec("http.protected_status", FactKind.SET, "http",
             "Status codes of the URLs the inventory marks protected, fetched without "
             "credentials (detail: the URL)", services=WEB),
    FactSpec("http.response_p90_ms", FactKind.INT, "http",
             "90th percentile of the response time of N requests to /, in milliseconds",
             services=WEB),
)

HTTP_FACTS = tuple(s.name for s in FACT_SPECS)
SPECS = {s.name: s for s in FACT_SPECS}

class HttpProbe:
    """Facts about web front doors (http on port 80, https), gathered without credentials."""

    name = "http"
    facts = FACT_SPECS
    needs = ()
    makes = ()
    provides = frozenset(HTTP_FACTS)

    def run(self, target: ProbeTarget, wanted: frozenset[str], ctx: ProbeContext,
            known: Mapping[str, Fact]) -> list[Fact]:
        names = [n for n in HTTP_FACTS if n in wanted]
        facts: dict[str, Fact] = {}
        for n in names:
            if target.protocol not in SPECS[n].services:
                kinds = ", ".join(sorted(SPECS[n].services))
                facts[n] = Fact(name=n, status=NA, reason=f"gathered for {kinds} services only",
                                why=say("reason.gathered_for", kinds=kinds))
        web = Web(target, ctx)
        steps = ((FRONT, _front), (("http.protected_status",), _protected),
                 (("http.response_p90_ms",), _timing))
        for group, step in steps:
            todo = [n for n in group if n in names and n not in facts]
            if not todo:
                continue
            try:
                got = step(web, todo)
            except ProbeFailure as exc:
                got = web.failed(todo, exc)
            facts.update((f.name, f) for f in got)
        return [facts[n] for n in names]

"""The host checks' command catalogue and parsers, on text captured from real tools."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from scanner.probes.inside import parse
from scanner.probes.inside.commands import FIXED, declared, safe_path, script
from scanner.probes.inside.session import split_answers

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", FIXED, ids=lambda c: c.id)
def test_readme_lists_every_command_exactly(command: object) -> None:
    assert f"| `{command.shell(False)}` |" in README  # type: ignore[attr-defined]


def test_inventory_values_are_quoted_and_checked() -> None:
    (cmd,) = declared(["/srv/a b'; rm -rf /"], None)
    assert cmd.shell(False) == "find '/srv/a b'\"'\"'; rm -rf /' -type f -printf '%T@\\n'"
    assert cmd.shell(True).startswith("sudo -n find ")
    for bad in ("relative/path", "/x\ny", "-oProxyCommand=x"):
        with pytest.raises(ValueError):
            safe_path(bad)


def test_script_frames_answers_with_a_nonce_a_host_cannot_forge(tmp_path: Path) -> None:
    fake = "@@0000< now\n1\n@@0000> now 0\n"
    text, nonce = script([c for c in FIXED if c.id in ("now", "passwd")], frozenset(), 5,
                         nonce="abcd1234")
    out = subprocess.run(["sh", "-s"], input=text.encode(), capture_output=True, check=True)
    answers = split_answers(fake.encode() + out.stdout, nonce, ["now", "passwd"])
    assert set(answers) == {"now", "passwd"} and answers["now"].status == 0
    assert int(answers["now"].text.strip()) > 1_700_000_000
    assert "root:x:0:0:" in answers["passwd"].text


NFT = {"nftables": [
    {"metainfo": {"version": "1.0.6"}},
    {"table": {"family": "inet", "name": "filter", "handle": 1}},
    {"chain": {"family": "inet", "table": "filter", "name": "input", "handle": 1,
               "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}},
    {"rule": {"family": "inet", "table": "filter", "chain": "input", "handle": 3,
              "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}},
                                  "right": "lo"}}, {"accept": None}]}},
]}


def test_firewall_policy_from_nft_and_iptables() -> None:
    assert parse.nft_input_policy(json.dumps(NFT))[0] == "accept"  # type: ignore[index]
    closing = json.loads(json.dumps(NFT))
    closing["nftables"].append({"rule": {"family": "inet", "table": "filter", "chain": "input",
                                         "handle": 4, "expr": [{"counter": None},
                                                               {"drop": None}]}})
    policy, how = parse.nft_input_policy(json.dumps(closing))  # type: ignore[misc]
    assert policy == "drop" and "unconditional drop" in how
    assert parse.nft_input_policy('{"nftables": [{"metainfo": {}}]}') is None
    assert parse.iptables_input_policy("-P INPUT DROP\n-A INPUT -i lo -j ACCEPT\n")[0] == "drop"


def test_sockets_beyond_loopback() -> None:
    text = ('tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))\n'
            'tcp LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=1,fd=4))\n'
            "udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:*\n"
            'tcp LISTEN 0 511 *:443 *:* users:(("nginx",pid=9,fd=6),("nginx",pid=10,fd=6))\n'
            "tcp LISTEN 0 4096 [::ffff:127.0.0.1]:8080 *:*\n")
    seen = parse.listening(parse.sockets(text))
    assert [(o.value, o.detail) for o in seen] == [
        ("22/tcp", "0.0.0.0 sshd; :: sshd"), ("443/tcp", "* nginx")]
    with pytest.raises(ValueError):
        parse.sockets("garbage line here\n")


def test_sshd_files_first_value_wins_includes_in_place_match_ignored() -> None:
    text = ("/etc/ssh/sshd_config:Include /etc/ssh/sshd_config.d/*.conf\n"
            "/etc/ssh/sshd_config:PermitRootLogin yes\n"
            "/etc/ssh/sshd_config:Match User backup\n"
            "/etc/ssh/sshd_config:  PasswordAuthentication no\n"
            "/etc/ssh/sshd_config.d/10-hardening.conf:PermitRootLogin no\n")
    got = parse.sshd_files(text)
    assert got["permitrootlogin"] == "no"  # the included file comes first
    assert got["passwordauthentication"] == "yes"  # the Match block does not count
    assert parse.sshd_t("permitrootlogin without-password\npasswordauthentication no\n"
                        "kbdinteractiveauthentication no\n") == {
        "permitrootlogin": "without-password", "passwordauthentication": "no",
        "kbdinteractiveauthentication": "no"}


def test_logrotate_retention() -> None:
    text = ("/etc/logrotate.conf:weekly\n/etc/logrotate.conf:rotate 4\n"
            "/etc/logrotate.conf:include /etc/logrotate.d\n"
            "/etc/logrotate.d/nginx:/var/log/nginx/*.log {\n/etc/logrotate.d/nginx:  daily\n"
            "/etc/logrotate.d/nginx:  rotate 200\n/etc/logrotate.d/nginx:  maxage 190\n"
            "/etc/logrotate.d/nginx:}\n/etc/logrotate.d/apt:/var/log/apt/term.log {\n"
            "/etc/logrotate.d/apt:  rotate 12\n/etc/logrotate.d/apt:  monthly\n"
            "/etc/logrotate.d/apt:}\n")
    rules = {r.patterns[0]: r for r in parse.logrotate(text)}
    assert {k: r.days for k, r in rules.items()} == {"/var/log/nginx/*.log": 190,
                                                     "/var/log/apt/term.log": 390}
    assert parse.covers(rules["/var/log/nginx/*.log"], "/var/log/nginx/access.log")
    assert not parse.covers(rules["/var/log/apt/term.log"], "/var/log/nginx/access.log")
    assert parse.journald_retention_days(
        "/etc/systemd/journald.conf:MaxRetentionSec=6month\n") == 180
    assert parse.journald_retention_days("/etc/systemd/journald.conf:#Storage=auto\n") is None


def test_forwarding_targets() -> None:
    text = ("/etc/rsyslog.d/fwd.conf:*.* @@logs.example.net:6514\n"
            "/etc/rsyslog.d/fwd.conf:# *.* @old.example.net\n"
            '/etc/rsyslog.d/b.conf:action(type="omfwd" target="10.0.0.9"\n'
            '/etc/rsyslog.d/b.conf:       port="514" protocol="tcp")\n')
    assert [o.value for o in parse.rsyslog_targets(text)] == [
        "logs.example.net:6514/tcp", "10.0.0.9:514/tcp"]


def test_accounts_and_sudo() -> None:
    accounts = parse.passwd("root:x:0:0::/root:/bin/bash\nwww-data:x:33:33::/var/www:"
                            "/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/zsh\n")
    assert [a for a in accounts if accounts[a].login] == ["root", "alice"]
    groups = parse.groups("sudo:x:27:alice\nops:x:1001:bob,carol\n")
    found = parse.sudo_accounts(groups, "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n"
                                        "%ops ALL=(ALL) /usr/bin/systemctl\n"
                                        "User_Alias X = dave\n@includedir /etc/sudoers.d\n")
    assert found == {"alice": "group sudo", "root": "sudoers", "bob": "sudoers %ops",
                     "carol": "sudoers %ops"}


def test_web_workers_are_the_children_of_the_master() -> None:
    procs = parse.processes(
        "  10     1 root     nginx  nginx: master process /usr/sbin/nginx\n"
        "  11    10 www-data nginx  nginx: worker process\n"
        "  20     1 root     php-fpm8.2 php-fpm: master process (/etc/php/8.2/fpm.conf)\n"
        "  21    20 www-data php-fpm8.2 php-fpm: pool www\n"
        "  30     1 root     fail2ban-server /usr/bin/python3 /usr/bin/fail2ban-server -xf\n")
    accounts = parse.passwd("root:x:0:0::/root:/bin/bash\nwww-data:x:33:33::/:/usr/sbin/nologin"
                            "\nalice:x:1000:1000::/home/alice:/bin/bash\n")
    kinds = {o.value: o.detail for o in parse.web_workers(procs, accounts) or ()}
    assert kinds == {"service_user": "nginx as www-data, php-fpm8.2 as www-data"}
    procs.append(parse.Process(40, 1, "alice", "caddy", "caddy run"))  # single process
    assert {o.value for o in parse.web_workers(procs, accounts) or ()} == {
        "service_user", "login_user"}
    assert [o.value for o in parse.named(procs, parse.IDS)] == ["fail2ban"]

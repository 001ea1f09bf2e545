#!/usr/bin/python3
"""A real SMTP server for the mailer's tests: aiosmtpd (Debian's python3-aiosmtpd) on 127.0.0.1.

It listens on a port the kernel picks (written to DIR/port once it accepts connections), stores each
message it takes as DIR/N.eml (the bytes as received, dot-stuffing undone) with DIR/N.json (envelope,
TLS, login), and runs until its standard input closes, so it ends with the test process whatever happens.

    smtp_sink.py DIR [--tls CERT KEY] [--user NAME --password WORD] [--only-login] [--refuse ADDRESS]...
"""

import argparse
import json
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class PreboundController(Controller):
    """Serves on a socket bound before start, so the port is the kernel's choice: no race with other tests."""

    def __init__(self, handler, **kwargs):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        super().__init__(handler, hostname="127.0.0.1", port=self.listener.getsockname()[1], **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.listener, ssl=self.ssl_context)


class Sink:
    def __init__(self, directory, refused):
        self.directory = directory
        self.refused = set(refused)
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        facts = {
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "login": login_of(session),
        }
        write_atomically(base + ".json", json.dumps(facts).encode())
        write_atomically(base + ".eml", envelope.original_content)
        return "250 2.0.0 Message accepted for delivery"


def login_of(session):
    data = getattr(session, "auth_data", None)
    return data.login.decode() if session.authenticated and isinstance(data, LoginPassword) else None


def write_atomically(path, data):
    with open(path + ".tmp", "wb") as file:
        file.write(data)
    os.rename(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--only-login", action="store_true", help="offer AUTH LOGIN but not PLAIN")
    parser.add_argument("--refuse", action="append", default=[])
    options = parser.parse_args()

    settings = {}
    if options.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*options.tls)
        settings.update(tls_context=context, require_starttls=True)
    if options.user:
        def authenticator(server, session, envelope, mechanism, data):
            good = (isinstance(data, LoginPassword) and data.login == options.user.encode()
                    and data.password == options.password.encode())
            return AuthResult(success=good, handled=False, auth_data=data if good else None)
        settings.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(options.tls))
        if options.only_login:
            settings.update(auth_exclude_mechanism=["PLAIN"])

    controller = PreboundController(Sink(options.directory, options.refuse), **settings)
    controller.start()
    write_atomically(os.path.join(options.directory, "port"), str(controller.port).encode())
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

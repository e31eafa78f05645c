"""SMTP_TLS and SMTP_USER against a real SMTP server that speaks TLS (aiosmtpd with a certificate of a CA made
for the test by trustme): STARTTLS (the default) and implicit TLS both deliver, log in only inside TLS, and a
server whose certificate is not trusted gets no letter (the letter waits to be retried, it is not lost)."""

from __future__ import annotations

import ssl

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from mo_app.extensions import db
from mo_app.mail import sender
from mo_app.models import OutboxLetter

from .events_helpers import coming_event
from .mail_helpers import Sink, mail_config
from .server_helpers import free_port

LOGIN, PASSWORD = "mo-app", "Pochta-2027"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A CA of the test's own and its certificate for 127.0.0.1: (the CA's file for the client, the certificate)."""
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ca_file, ca.issue_cert("127.0.0.1")


class Logins:
    """aiosmtpd's authenticator: accepts LOGIN / PASSWORD and remembers whether each attempt came inside TLS."""

    def __init__(self):
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode()
        self.seen.append((login, server.transport.get_extra_info("ssl_object") is not None))
        return AuthResult(success=login == LOGIN and auth_data.password.decode() == PASSWORD)


def _server(certificate, implicit: bool, logins: Logins, sink: Sink) -> Controller:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate[1].configure_cert(context)
    # (aiosmtpd offers AUTH over implicit TLS only when told the connection needs no STARTTLS for it)
    tls = ({"ssl_context": context, "auth_require_tls": False} if implicit
           else {"tls_context": context, "require_starttls": True})
    return Controller(sink, hostname="127.0.0.1", port=free_port(), auth_required=True, authenticator=logins,
                      **tls)


def _sign_up(client, f, login_as, address: str):
    ev = coming_event(f, capacity=10)
    me = f.librarian(email=address)
    login_as(me)
    assert client.post(f"/events/{ev.id}/register").status_code == 303
    return ev


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")  # implicit TLS: it is
@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_and_login_deliver(app, client, f, login_as, certificate, monkeypatch, mode):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the district's own CA, trusted
    logins, sink = Logins(), Sink()
    server = _server(certificate, implicit=mode == "ssl", logins=logins, sink=sink)
    server.start()
    try:
        app.config.update(mail_config(server.port), SMTP_TLS=mode, SMTP_USER=LOGIN, SMTP_PASSWORD=PASSWORD)
        ev = _sign_up(client, f, login_as, "tls@example.org")
        sent = sender.send_due()
        db.session.expire_all()
        assert sent == 1, [lt.last_error for lt in db.session.scalars(db.select(OutboxLetter))]
        (msg,) = sink.to("tls@example.org")
        assert ev.display_title in msg["Subject"]
        assert logins.seen == [(LOGIN, True)]  # the password went inside TLS
    finally:
        server.stop()


def test_an_untrusted_certificate_sends_nothing_and_the_letter_waits(app, client, f, login_as, certificate):
    logins, sink = Logins(), Sink()
    server = _server(certificate, implicit=False, logins=logins, sink=sink)
    server.start()
    try:
        app.config.update(mail_config(server.port), SMTP_TLS="starttls", SMTP_USER=LOGIN, SMTP_PASSWORD=PASSWORD)
        _sign_up(client, f, login_as, "untrusted@example.org")
        assert sender.send_due() == 0
        assert sink.messages() == [] and logins.seen == []  # no password to a server it cannot trust
        db.session.expire_all()
        (letter,) = db.session.scalars(db.select(OutboxLetter)).all()
        assert letter.status == "queued" and letter.attempts == 1
        assert "certificate" in (letter.last_error or "").lower()
    finally:
        server.stop()

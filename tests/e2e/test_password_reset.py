"""Password reset in Chromium, end to end with a real SMTP server: «Забыли пароль?» on the login page → the letter →
its link → a new password → a login with it; the used link is refused."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from mo_app.mail.sender import send_due

from ..mail_helpers import SmtpServer, body, mail_config


def test_forgot_letter_link_new_password_login(page, base_url, live_app, console_errors):
    server = SmtpServer().start()
    saved = {k: live_app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_TLS", "MAIL_FROM", "APP_URL")}
    live_app.config.update({**mail_config(server.port), "APP_URL": base_url})
    try:
        page.goto(f"{base_url}/login")
        page.click("text=Забыли пароль?")
        expect(page.locator("h1")).to_have_text("Забыли пароль?")
        page.fill("input[name=login]", "udachina")
        page.click("button[type=submit]")
        expect(page.locator("article")).to_contain_text("отправлено письмо")
        with live_app.app_context():
            send_due()
        # (the demo's own letters go out too, now that mail is configured)
        (msg,) = [m for m in server.sink.to("udachina@example.org") if m["Subject"] == "Смена пароля"]
        link = re.search(rf"{re.escape(base_url)}/password/reset/\S+", body(msg))[0]

        page.goto(link)
        expect(page.locator("h1")).to_have_text("Новый пароль")
        page.fill("input[name=new]", "short")
        page.fill("input[name=confirm]", "short")
        page.click("button[type=submit]")
        expect(page.locator(".field-error").first).to_contain_text("не короче 8")
        page.fill("input[name=new]", "Удачный-пароль-2027")
        page.fill("input[name=confirm]", "Удачный-пароль-2027")
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base_url}/login")
        expect(page.locator("#flashes")).to_contain_text("Пароль изменён")

        page.fill("input[name=login]", "udachina")
        page.fill("input[name=password]", "Удачный-пароль-2027")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        expect(page.locator("header")).to_contain_text("Удачина")
        page.click("text=Выйти")

        page.goto(link)  # used: refused
        expect(page.locator("article")).to_contain_text("уже использована")
        assert console_errors == []
    finally:
        live_app.config.update(saved)
        server.stop()

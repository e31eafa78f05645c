"""A real login, a navigation and a logout in Chromium."""

from playwright.sync_api import expect


def test_login_navigate_logout(page, base_url, login, console_errors):
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/login?next=/")
    page.fill("input[name=login]", "metodist")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    expect(page.locator(".field-error")).to_contain_text("Неверный логин или пароль.")

    login("metodist", "metodist")
    expect(page.locator("header")).to_contain_text("Методист")
    page.click("nav.main-nav >> text=Управление")
    page.click("nav.main-nav >> text=Организации")
    expect(page.locator("h1")).to_have_text("Организации")
    expect(page.locator("table")).to_contain_text("ГБОУ Гимназия №192 «Брюсовская»")

    page.click("text=Выйти")
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.locator("#flashes")).to_contain_text("Вы вышли из приложения.")
    assert console_errors == []


def test_librarian_sees_no_methodologist_menu(page, login):
    login("zhukova", "demo")
    expect(page.locator("nav.main-nav")).not_to_contain_text("Организации")
    expect(page.locator("header")).to_contain_text("Жукова С.А.")


def test_profile_logs_out_on_every_device(browser, page, base_url, login, console_errors):
    """Two browsers logged in as one librarian; from the profile she logs out everywhere."""
    other = browser.new_context().new_page()
    other.goto(f"{base_url}/login")
    other.fill("input[name=login]", "kulkova")
    other.fill("input[name=password]", "demo")
    other.click("button[type=submit]")
    other.wait_for_url(f"{base_url}/")

    login("kulkova", "demo")
    page.click("header >> text=Кулькова")
    expect(page.locator("h1")).to_have_text("Профиль")
    expect(page.locator("#sessions")).to_contain_text("этот браузер")
    expect(page.locator("#sessions button", has_text="Завершить")).not_to_have_count(0)  # the other browser
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Выйти на всех устройствах")
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.locator("#flashes")).to_contain_text("Вы вышли на всех устройствах.")

    other.goto(f"{base_url}/my/events")
    expect(other.locator("h1")).to_have_text("Вход")
    other.context.close()
    assert console_errors == []

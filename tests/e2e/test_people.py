"""The methodologist searches organizations (no page load) and creates an account, in Chromium."""

import re

from playwright.sync_api import expect


def test_search_organizations_without_page_load_and_create_user(page, base_url, login, console_errors):
    login("metodist", "metodist")
    page.click("nav.main-nav >> text=Управление")
    page.click("nav.main-nav >> text=Организации")
    expect(page.locator("h1")).to_have_text("Организации")
    rows = page.locator("#org-results tbody tr")
    expect(rows.filter(has_text="ЦДБ ЦБС им. Белинского")).to_have_count(1)
    page.evaluate("() => { window.__samePage = true; }")

    page.fill("input[name=q]", "гимназия")
    expect(page).to_have_url(re.compile(r"/organizations\?q=%D0%B3%D0%B8%D0%BC"))
    expect(rows).to_have_count(2)
    expect(page.locator("#org-results")).to_contain_text("ГБОУ Гимназия №192 «Брюсовская»")
    expect(page.locator("#org-results")).not_to_contain_text("ЦДБ ЦБС им. Белинского")
    page.select_option("select[name=kind]", "library")
    expect(page.locator("#org-results")).to_contain_text("Ничего не найдено")
    page.fill("input[name=q]", "")
    expect(rows).to_have_count(5)  # the five libraries of the plan
    assert page.evaluate("() => window.__samePage") is True  # htmx swapped the list: no page load

    page.click("nav.main-nav >> text=Управление")
    page.click("nav.main-nav >> text=Пользователи")
    page.click("text=Создать пользователя")
    page.fill("input[name=login]", "Novikova")
    page.fill("input[name=last_name]", "Новикова")
    page.fill("input[name=first_name]", "Ольга")
    page.fill("input[name=middle_name]", "Петровна")
    page.select_option("select[name=organization_id]", label="ГБОУ №79")
    page.fill("input[name=email]", "novikova@example.ru")
    page.fill("input[name=password]", "Kn1ga-i-chitatel")
    page.fill("input[name=confirm]", "Kn1ga-i-chitatel-x")
    page.click("form.user-form button[type=submit]")
    expect(page.locator("#confirm-error")).to_have_text("Пароли не совпадают.")
    page.fill("input[name=password]", "Kn1ga-i-chitatel")
    page.fill("input[name=confirm]", "Kn1ga-i-chitatel")
    page.click("form.user-form button[type=submit]")
    expect(page.locator("#flashes")).to_contain_text("Пользователь novikova (Новикова О.П.) создан.")

    page.wait_for_load_state("load")  # the list page after the redirect: htmx set up before typing (else no search)
    page.fill("input[name=q]", "новик")
    row = page.locator("#user-results tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ГБОУ №79")
    expect(row).to_contain_text("временный пароль")
    assert console_errors == []


def test_new_user_logs_in_and_must_change_password(browser, base_url, page, login):
    # created here through the UI so the test stands alone
    login("metodist", "metodist")
    page.goto(f"{base_url}/users/new")
    page.fill("input[name=login]", "sidorova")
    page.fill("input[name=last_name]", "Сидорова")
    page.fill("input[name=initials]", "А.А.")
    page.select_option("select[name=organization_id]", label="ГБОУ №111")
    page.fill("input[name=password]", "Perv1y-parol-dlya")
    page.fill("input[name=confirm]", "Perv1y-parol-dlya")
    page.click("form.user-form button[type=submit]")
    expect(page.locator("#flashes")).to_contain_text("создан")

    other = browser.new_context().new_page()
    other.goto(f"{base_url}/login")
    other.fill("input[name=login]", "sidorova")
    other.fill("input[name=password]", "Perv1y-parol-dlya")
    other.click("button[type=submit]")
    expect(other).to_have_url(f"{base_url}/password")
    expect(other.locator("h1")).to_have_text("Смена пароля")
    other.context.close()

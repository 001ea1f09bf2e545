#!/usr/bin/env python3
"""Drives understudy's web console in headless chromium (selenium), as each role would use it.

Usage: console_browser.py ALPHA_URL BETA_URL SCREENSHOT_DIR RESTORE_DIR
alpha serves group `files` at the start; users admin, olivia (operator) and victor (viewer) exist on both nodes
with the password `password-of-NAME`. Exits non-zero, saying what was wrong, when the console does not behave.
"""
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

alpha, beta, shots, restored = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]


def browser(width=1280, height=900):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--ignore-certificate-errors", f"--window-size={width},{height}"]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait(driver, condition, seconds=30, what="the page"):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(condition)
    except Exception as error:
        raise SystemExit(f"timed out waiting for {what}: {error}; page: {driver.find_element(By.TAG_NAME, 'body').text[:2000]}")


def text_when(driver, locator, wanted, seconds=30):
    """The element's text once it holds `wanted`, or its last text after `seconds`. The page re-renders its lists as
    news comes, so an element found may be replaced before its text is read: it is then looked up again."""
    deadline = time.time() + seconds
    text = ""
    while time.time() < deadline:
        try:
            text = driver.find_element(*locator).text
            if wanted in text:
                return text
        except StaleElementReferenceException:
            pass
        time.sleep(0.2)
    return text


def sign_in(driver, base, user):
    driver.get(base + "/")
    form = wait(driver, EC.visibility_of_element_located((By.ID, "login-form")), what="the sign-in form")
    form.find_element(By.NAME, "user").send_keys(user)
    form.find_element(By.NAME, "password").send_keys("password-of-" + user)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#groups tr[data-group=files]")), what="the overview")


def sign_out(driver):
    driver.find_element(By.ID, "signout").click()
    wait(driver, EC.visibility_of_element_located((By.ID, "login-form")), what="the sign-in form after signing out")


def serving(driver):
    return driver.find_element(By.CSS_SELECTOR, "#groups tr[data-group=files] td.serving b").text


def report_of(driver, element_id, seconds=30, what="the report"):
    """The class and text of a report once it shows, read in one step: the page's refresh may render it anew at any
    moment, and a reference to the old element would be stale."""
    script = ("const e = document.getElementById(arguments[0]);"
              " return e && e.offsetParent !== null ? [e.className || '', e.innerText] : null;")
    return wait(driver, lambda d: d.execute_script(script, element_id), seconds=seconds, what=what)


def check(condition, message):
    if not condition:
        raise SystemExit(message)


driver = browser()
try:
    # Each role sees the overview; only operators and admins get the actions, only admins the users.
    for user, role in [("victor", "viewer"), ("olivia", "operator"), ("admin", "admin")]:
        sign_in(driver, alpha, user)
        check(role in driver.find_element(By.ID, "who").text, f"{user} is shown as {role}")
        check(driver.find_element(By.ID, "nav-users").is_displayed() == (role == "admin"), f"users link for {role}")
        check(serving(driver) == "alpha", f"the overview shows alpha serving files, not {serving(driver)}")
        driver.get(alpha + "/#/group/files")
        wait(driver, EC.presence_of_element_located((By.ID, "serving")), what="the group page")
        actions = driver.find_elements(By.ID, "action-switchover")
        check(bool(actions) == (role != "viewer"), f"{role} {'has no' if not actions else 'has'} switchover button")
        if role == "admin":
            driver.get(alpha + "/#/users")
            wait(driver, EC.presence_of_element_located((By.ID, "users")), what="the users page")
            names = driver.find_element(By.ID, "users").text
            check("victor" in names and "olivia" in names, f"the users page lists the users: {names}")
        sign_out(driver)

    # The archive browser on the standby, which keeps the archives.
    sign_in(driver, beta, "olivia")
    driver.get(beta + "/#/group/files")
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#archives table")), what="the archive list")
    driver.find_element(By.ID, "archives").location_once_scrolled_into_view
    driver.save_screenshot(shots + "/console-archives.png")
    # Restore a file from the archive into a directory of its own.
    form = driver.find_element(By.ID, "restore-form")
    form.find_element(By.NAME, "path").send_keys("files/data/docs/report.txt")
    archive = form.find_element(By.NAME, "archive")
    choices = [option.get_attribute("value") for option in archive.find_elements(By.TAG_NAME, "option")]
    manual = [value for value in choices if value.startswith("manual-")]
    check(manual, f"the archive list offers the manual archive: {choices}")
    archive.find_element(By.CSS_SELECTOR, f"option[value='{manual[0]}']").click()
    form.find_element(By.NAME, "to").send_keys(restored)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    kind, text = report_of(driver, "restore-report", what="the restore's report")
    check("bad" not in kind, f"the restore failed: {text}")
    sign_out(driver)

    # An operator runs a switchover from the group page; the overview then shows the new holder.
    sign_in(driver, alpha, "olivia")
    driver.save_screenshot(shots + "/console-overview.png")
    driver.get(alpha + "/#/group/files")
    wait(driver, EC.element_to_be_clickable((By.ID, "action-switchover")), what="the switchover button")
    driver.save_screenshot(shots + "/console-group.png")
    driver.find_element(By.ID, "action-switchover").click()
    wait(driver, EC.visibility_of_element_located((By.ID, "confirm")), what="the confirmation")
    driver.find_element(By.ID, "confirm-ok").click()
    kind, text = report_of(driver, "report", seconds=90, what="the switchover's report")
    check("bad" not in kind, f"the switchover failed: {text}")
    driver.get(alpha + "/#/")
    deadline = time.time() + 60
    shown = None
    while time.time() < deadline:
        try:
            shown = serving(driver)
            if shown == "beta":
                break
        except Exception:
            pass
        time.sleep(0.5)
    check(shown == "beta", f"the overview shows {shown} serving files after the switchover")
    # The group page lists the switchover among its takeovers, with its steps.
    driver.get(alpha + "/#/group/files")
    takeovers = wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "#takeovers li")), what="the takeovers")
    text = text_when(driver, (By.ID, "takeovers"), "switchover of group files")
    check("switchover of group files" in text, f"the takeovers list the switchover: {text}")
    sign_out(driver)
finally:
    driver.quit()

# A phone-sized screen: the overview fits its width.
phone = browser(390, 844)
try:
    sign_in(phone, alpha, "victor")
    overflow = phone.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(overflow <= 1, f"the overview is {overflow} px wider than a phone's screen")
    phone.save_screenshot(shots + "/console-phone.png")
finally:
    phone.quit()
print("console ok")

"""How fast the web console's overview shows many groups: one standby protecting `--groups` groups of a primary
(each one small share), both daemons on 127.0.0.1 with their consoles, and headless chromium (selenium) signed in
on the standby's console. Each round loads the page afresh and times it from the navigation to the overview table
holding every group. Started by bench/console-overview; results go to bench/out/ as JSON.
"""
import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(work: str, groups: int, ports: dict) -> str:
    lines = [f'cluster = "overview"', f'certificates = "{work}/certs"', ""]
    for node in ("alpha", "beta"):
        lines += [f"[nodes.{node}]", f'address = "127.0.0.1:{ports[node]}"', f'state_dir = "{work}/{node}-state"',
                  f'console = "127.0.0.1:{ports[node + "-console"]}"', ""]
    for index in range(groups):
        name = f"group{index:02d}"
        source = f"{work}/sources/{name}"
        os.makedirs(source)
        with open(f"{source}/readme.txt", "w") as handle:
            handle.write(f"{name}\n")
        lines += [f"[groups.{name}]", 'primary = "alpha"', 'standby = "beta"', 'resync_interval = "1h"', "",
                  f"[[groups.{name}.shares]]", 'name = "data"', f'source = "{source}"',
                  f'replica = "{work}/replicas/{name}"', ""]
    path = f"{work}/understudy.toml"
    with open(path, "w") as handle:
        handle.write("\n".join(lines))
    return path


def cli(binary: str, config: str, *arguments: str, stdin: str | None = None) -> str:
    result = subprocess.run([binary, *arguments, "--config", config], input=stdin, capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"understudy {' '.join(arguments)} failed: {result.stdout}{result.stderr}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    arguments = parser.parse_args()
    work = "/dev/shm/understudy-console-overview"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    ports = {key: free_port() for key in ("alpha", "beta", "alpha-console", "beta-console")}
    config = write_config(work, arguments.groups, ports)
    cli(arguments.binary, config, "init")
    daemons = [subprocess.Popen([arguments.binary, "run", "--config", config, "--node", node],
                                stdout=open(f"{work}/{node}.log", "w"), stderr=subprocess.STDOUT)
               for node in ("alpha", "beta")]
    driver = None
    try:
        deadline = time.monotonic() + 120
        while True:
            status = json.loads(cli(arguments.binary, config, "status", "--node", "beta", "--json", "--wait", "30"))
            synced = [g for g in status["groups"] if all(s["state"] == "in-sync" for s in g["shares"])]
            if len(synced) == arguments.groups:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(synced)} of {arguments.groups} groups in sync after 120 s")
            time.sleep(0.5)
        cli(arguments.binary, config, "user", "add", "bench", "--role", "viewer", "--password-stdin", "--node", "beta",
            stdin="bench-password\n")
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--ignore-certificate-errors", "--window-size=1280,900"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        base = f"https://127.0.0.1:{ports['beta-console']}"
        driver.get(base + "/")
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "login-form").is_displayed())
        driver.find_element(By.NAME, "user").send_keys("bench")
        driver.find_element(By.NAME, "password").send_keys("bench-password")
        driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        rows = "#groups tbody tr[data-group]"
        WebDriverWait(driver, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) == arguments.groups)
        timings = []
        for _ in range(arguments.rounds):
            driver.get("about:blank")
            started = time.monotonic()
            driver.get(base + "/#/")
            WebDriverWait(driver, 30, poll_frequency=0.005).until(
                lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) == arguments.groups)
            timings.append(time.monotonic() - started)
        result = {
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv), "groups": arguments.groups, "rounds_s": timings,
            "median_s": statistics.median(timings), "max_s": max(timings),
            "browser": driver.capabilities.get("browserVersion"),
        }
        os.makedirs(arguments.out, exist_ok=True)
        path = os.path.join(arguments.out, f"console-overview-{time.strftime('%Y%m%d-%H%M%S')}.json")
        with open(path, "w") as handle:
            json.dump(result, handle, indent=1)
        print(f"overview of {arguments.groups} groups: median {result['median_s'] * 1000:.0f} ms, "
              f"max {result['max_s'] * 1000:.0f} ms over {arguments.rounds} loads ({path})")
    finally:
        if driver is not None:
            driver.quit()
        for daemon in daemons:
            daemon.terminate()
        for daemon in daemons:
            try:
                daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

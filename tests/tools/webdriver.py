#!/usr/bin/env python3
"""webdriver.py DIR: a headless Chromium, driven through chromedriver with
selenium, that reads commands on its standard input and answers each on
its standard output.  The tests of the web console use it through
tests/web.bash.

A command is a line of fields split by tabs, each field with \\t, \\n,
\\r and \\\\ escaped: an id, the command, its arguments.  The answer is
"ID ok VALUE" or "ID error MESSAGE" on a line.  Once Chromium is up it
says "ready".  Tabs are named by the tests; a tab's first use opens it.

  open TAB URL              load URL (the first tab is the window itself)
  wait TAB TEXT [SECONDS]   until the terminal shows TEXT
  waitlist TAB TEXT [S]     until the console list shows TEXT
  click TAB TEXT            follow the link that reads TEXT
  type TAB TEXT             type TEXT into the terminal as keystrokes
                            (CR is the Return key)
  screen TAB FILE           the terminal's text into FILE
  list TAB FILE             the console list, as shown, into FILE
  received TAB FILE         every byte the page received on its
                            console's WebSocket, into FILE
  opened TAB                how many WebSockets the page has opened
  sent TAB                  how many bytes of keystrokes it has sent
  loaded TAB FILE           the address of the page and of everything it
                            loaded, a line each, into FILE
  rawws TAB URL FILE        a WebSocket opened by script in TAB (no page
                            logic): the bytes it got into FILE; the
                            value is "open" or "refused", and the code
  shot TAB FILE             a screenshot (PNG)
  quit                      close Chromium and end

Everything Chromium writes goes to DIR (profile, chromedriver's log).
"""

import base64
import os
import shutil
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import (ElementNotInteractableException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

TIMEOUT = 10.0


def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(s[i + 1],
                                                             s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def find(names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


def start(workdir):
    opts = webdriver.ChromeOptions()
    binary = os.environ.get("CHROMIUM") or find(["chromium", "chrome",
                                                 "chromium-browser"])
    if binary:
        opts.binary_location = binary
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--no-proxy-server",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-default-apps", "--disable-extensions",
              "--disable-crash-reporter", "--disable-breakpad",
              "--disable-features=HttpsUpgrades",
              "--window-size=1000,760",
              # a hostile site whose name leads to this host
              "--host-resolver-rules=MAP evil.example 127.0.0.1",
              "--user-data-dir=" + os.path.join(workdir, "profile")]:
        opts.add_argument(a)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER") or
                      find(["chromedriver"]),
                      log_path=os.path.join(workdir, "chromedriver.log"))
    return webdriver.Chrome(service=service, options=opts)


class Driver:
    def __init__(self, drv):
        self.drv = drv
        self.tabs = {}

    def tab(self, name):
        if name not in self.tabs:
            if not self.tabs:
                self.tabs[name] = self.drv.current_window_handle
            else:
                # a window of its own: a background tab of headless
                # Chromium may not take keys
                self.drv.switch_to.new_window("window")
                self.tabs[name] = self.drv.current_window_handle
        self.drv.switch_to.window(self.tabs[name])

    def js(self, script, *args):
        return self.drv.execute_script(script, *args)

    def until(self, what, cond, seconds):
        end = time.monotonic() + seconds
        while True:
            v = cond()
            if v:
                return v
            if time.monotonic() > end:
                raise RuntimeError("gave up after %gs waiting for %s"
                                   % (seconds, what))
            time.sleep(0.05)

    def screen(self):
        return self.js("return window.conslet ? window.conslet.screen()"
                       " : '';") or ""

    def listed(self):
        return self.js("var l = document.getElementById('list');"
                       "return l && !l.hidden ? l.innerText : '';") or ""

    def do(self, cmd, args):
        if cmd == "quit":
            return ""
        self.tab(args[0])
        a = args[1:]
        if cmd == "open":
            self.drv.get(a[0])
            self.until("the page", lambda: self.js(
                "return document.readyState === 'complete' && "
                "!!window.conslet;"), TIMEOUT)
            return ""
        if cmd in ("wait", "waitlist"):
            get = self.screen if cmd == "wait" else self.listed
            secs = float(a[1]) if len(a) > 1 else TIMEOUT
            try:
                self.until(repr(a[0]), lambda: a[0] in get(), secs)
            except RuntimeError as e:
                raise RuntimeError("%s; it shows:\n%s" % (e, get()[-1500:]))
            return ""
        if cmd == "click":
            self.drv.find_element(By.LINK_TEXT, a[0]).click()
            return ""
        if cmd == "type":
            keys = a[0].replace("\r", Keys.RETURN)
            area = self.drv.find_element(By.CSS_SELECTOR,
                                         ".xterm-helper-textarea")
            try:
                area.send_keys(keys)
            except ElementNotInteractableException:
                # a page not at the front may not take keys at the
                # element: focus its terminal and type to the focus
                self.js("arguments[0].focus();", area)
                ActionChains(self.drv).send_keys(keys).perform()
            return ""
        if cmd in ("screen", "list"):
            with open(a[0], "w") as f:
                f.write(self.screen() if cmd == "screen" else self.listed())
            return ""
        if cmd == "received":
            with open(a[0], "wb") as f:
                f.write(base64.b64decode(self.js(
                    "return window.conslet.received();")))
            return ""
        if cmd == "loaded":
            urls = self.js("return [location.href].concat(performance"
                           ".getEntriesByType('resource').map("
                           "function (e) { return e.name; }));")
            with open(a[0], "w") as f:
                f.write("".join(u + "\n" for u in urls))
            return ""
        if cmd == "opened":
            return str(self.js("return window.conslet.opened();"))
        if cmd == "sent":
            return str(self.js("return window.conslet.sent();"))
        if cmd == "rawws":
            return self.rawws(a[0], a[1])
        if cmd == "shot":
            if not self.drv.save_screenshot(a[0]):
                raise RuntimeError("no screenshot")
            return ""
        raise RuntimeError("unknown command " + cmd)

    def rawws(self, url, path):
        self.js("""
            var r = window.rawws = new WebSocket(arguments[0]);
            r.binaryType = 'arraybuffer';
            r.got = []; r.state = 'connecting';
            r.onopen = function () { r.state = 'open'; };
            r.onmessage = function (ev) {
                r.got.push.apply(r.got, new Uint8Array(ev.data)); };
            r.onclose = function (ev) {
                r.state = (r.state === 'open' ? 'closed' : 'refused') +
                    ' ' + ev.code; };
            """, url)
        st = self.until("the WebSocket to close", lambda: self.js(
            "var s = window.rawws.state;"
            "return /^(closed|refused)/.test(s) ? s : null;"), TIMEOUT)
        got = self.js("return window.rawws.got;")
        with open(path, "wb") as f:
            f.write(bytes(got))
        return st.replace("closed", "open")


def main():
    workdir = sys.argv[1]
    d = Driver(start(workdir))
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            fields = [unescape(f) for f in line.rstrip("\n").split("\t")]
            if len(fields) < 2:
                continue
            ident, cmd = fields[0], fields[1]
            try:
                v = d.do(cmd, fields[2:])
                print("%s ok %s" % (ident, v.replace("\n", " ")),
                      flush=True)
            except (RuntimeError, WebDriverException, OSError,
                    IndexError, ValueError) as e:
                msg = str(e).strip().replace("\n", "\\n")
                print("%s error %s" % (ident, msg), flush=True)
            if cmd == "quit":
                break
    finally:
        d.drv.quit()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Drives the Companion page in headless Chromium, sized as a phone (390x844), over chromedriver's
WebDriver HTTP API (standard library only). In three steps, so the server can be restarted between
them while the browser stays open:

  companion-phone.py DRIVER_URL OUT_DIR SESSION_FILE chat PAGE_URL CODE CRATE_DIR
      pair with the code, open the project, ask for a change, watch the reply stream, accept the
      ChangeSet, check the file, and save screenshots (light and dark); the browser stays open.
  companion-phone.py DRIVER_URL OUT_DIR SESSION_FILE resume
      after the server restarted: the page reconnects on its own, starts afresh on the new engine
      start and shows the conversation once; the browser stays open.
  companion-phone.py DRIVER_URL OUT_DIR SESSION_FILE workorder WORKSPACE
      after the server restarted on WORKSPACE (one spec, one task, autopilot off): open that
      project, start the dev loop, pause it while the Planner's work order waits, approve the
      order, see the loop paused, resume, accept the Worker's patch, and see the task done and its
      files on disk; then the browser closes.

Prints one `ok`/`FAIL` line per check; exits non-zero if any failed.
"""

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request

DRIVER, OUT, SESSION_FILE, STEP = sys.argv[1:5]
# W3C's key for a web element in WebDriver answers.
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(DRIVER + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["value"]
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {path}: {e.read().decode(errors='replace')}") from None


class Browser:
    def __init__(self, session=None):
        if session:
            self.session = session
            return
        options = {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"],
            "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2, "touch": True}},
        }
        capabilities = {"goog:chromeOptions": options, "goog:loggingPrefs": {"browser": "ALL"}}
        answer = call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.session = f"/session/{answer['sessionId']}"

    def do(self, method, path, body=None):
        return call(method, self.session + path, body)

    def script(self, source, *args):
        return self.do("POST", "/execute/sync", {"script": source, "args": list(args)})

    def find(self, css):
        return self.do("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css):
        self.do("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        element = self.find(css)
        self.do("POST", f"/element/{element}/clear", {})
        self.do("POST", f"/element/{element}/value", {"text": text})

    def wait(self, what, source, *args, seconds=30):
        """Waits until the script returns something truthy; returns it, or None after `seconds`."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = self.script(source, *args)
            if value:
                return value
            time.sleep(0.1)
        print(f"     (waited {seconds} s for {what})")
        return None

    def screenshot(self, path):
        with open(path, "wb") as file:
            file.write(base64.b64decode(self.do("GET", "/screenshot")))

    def dark(self, on):
        features = [{"name": "prefers-color-scheme", "value": "dark" if on else "light"}]
        self.do("POST", "/goog/cdp/execute", {"cmd": "Emulation.setEmulatedMedia", "params": {"features": features}})

    def console(self):
        """What the page wrote to the console (errors included) since the last call."""
        return [f"{entry['level']}: {entry['message']}" for entry in self.do("POST", "/se/log", {"type": "browser"})]

    def close(self):
        self.do("DELETE", "")


passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}".rstrip(), flush=True)
    return ok


def chat(page, code, crate):
    browser.do("POST", "/url", {"url": page})
    check("page-opens-on-pairing", browser.wait("the pairing form", VISIBLE, "#pair-form") is not None)
    browser.type("#pair-code", code)
    browser.type("#pair-name", "E2E phone")
    browser.screenshot(f"{OUT}/phone-pair.png")
    browser.click("#pair-form button[type=submit]")
    listed = browser.wait(
        "the project list", "return [...document.querySelectorAll('#project-list button')].map(b => b.innerText).join('|');"
    )
    check("pairs-and-lists-projects", listed is not None and "mathlib" in listed, f"({listed})")
    check("connected", browser.wait("the link to say connected", TEXT, "#link") == "connected")

    browser.click("#project-list button")
    check("opens-the-chat", browser.wait("the chat view", VISIBLE, "#send-form") is not None)
    # Notes whether the reply was ever drawn while it streamed, before the finished message replaced it.
    browser.script(
        "window.streamed = false; new MutationObserver(() => {"
        " if (document.querySelector('#conversation .msg.live:not(.muted)')) window.streamed = true;"
        "}).observe(document.querySelector('#conversation'), {childList: true, subtree: true});"
    )
    browser.type("#send-text", "Add a double function")
    browser.click("#send-button")

    replied = browser.wait("the reply", "return document.querySelector('#conversation').innerText.includes('I will add double');")
    check("reply-streams-in", replied is not None and browser.script("return window.streamed;"))
    change = browser.wait("the ChangeSet card", VISIBLE, "#conversation .card.change button.primary")
    check("changeset-card-shows", change is not None, f"({browser.script(TEXT, '#conversation .card.change')!r})")
    browser.click("#conversation .card.change details summary")
    browser.screenshot(f"{OUT}/phone-review.png")
    browser.click("#conversation .card.change button.primary")
    applied = browser.wait("the ChangeSet to be applied", TEXT, "#conversation .card.change .badge.applied")
    check("changeset-applied", applied == "applied", f"({applied})")
    with open(f"{crate}/src/lib.rs") as lib:
        source = lib.read()
    check("file-changed-on-disk", "pub fn double(a: i64) -> i64" in source)
    check("answer-shows", browser.wait("the final answer", ANSWERED) is not None)
    # The file the model read opens from its card, read-only, as it is on disk now (with the change).
    link = browser.wait("the read file's link", VISIBLE, "#conversation .card.tool .path-link")
    check("tool-card-path-is-a-link", link is not None)
    browser.click("#conversation .card.tool .path-link")
    shown = browser.wait(
        "the file's text",
        "const t = document.querySelector('#file-text');"
        " return t && t.innerText.includes('pub fn double') && t.innerText.length;",
    )
    editable = browser.script("return !!document.querySelector('#file-view textarea, #file-view [contenteditable]');")
    check("file-opens-read-only", shown is not None and not editable, f"({shown} characters, editable: {editable})")
    browser.screenshot(f"{OUT}/phone-file.png")
    browser.click("#file-close")
    browser.script("window.scrollTo(0, document.body.scrollHeight);")
    time.sleep(0.3)
    browser.screenshot(f"{OUT}/phone.png")
    browser.dark(True)
    time.sleep(0.3)
    browser.screenshot(f"{OUT}/phone-dark.png")
    browser.dark(False)
    browser.click("#tabs button[data-view=loop]")
    check("loop-view-shows", browser.wait("the loop view", VISIBLE, "#loop-actions") is not None)
    browser.screenshot(f"{OUT}/phone-loop.png")
    browser.click("#tabs button[data-view=drones]")
    drones = browser.wait("the Drones list", "return document.querySelectorAll('#drone-list .card').length;")
    check("drones-listed", drones is not None, f"({drones} Drones)")
    # The chat demo's next turns are the review Drone's: it reads the file and reports.
    goal = "#drone-list input[aria-label='Goal for review']"
    browser.type(goal, "check the new double function")
    browser.script("document.querySelector(arguments[0]).form.requestSubmit();", goal)
    finished = browser.wait(
        "the review Drone's run to finish",
        "const badge = document.querySelector('#run-list .card .badge');"
        " return badge && badge.innerText !== 'running' && badge.innerText;",
    )
    check("drone-runs-and-finishes", finished is not None, f"({finished})")
    browser.script("window.scrollTo(0, 0);")
    browser.screenshot(f"{OUT}/phone-drones.png")
    browser.click("#tabs button[data-view=chat]")
    # Kept to tell the conversation drawn now from one drawn again after the restart.
    browser.script("window.question = document.querySelector('#conversation .msg.user');")


def resume():
    # Backing off from 0.5 s, the page is back within seconds of the server.
    connected = "return document.querySelector('#link').innerText === 'connected';"
    check("reconnects", browser.wait("the link to say connected again", connected, seconds=20) is not None)
    redrawn = "const q = document.querySelector('#conversation .msg.user'); return !!q && q !== window.question;"
    check("starts-afresh", browser.wait("the conversation drawn anew", redrawn) is not None)
    check("conversation-reloaded", browser.wait("the answer after the restart", ANSWERED) is not None)
    asked = browser.script("return document.querySelectorAll('#conversation .msg.user').length;")
    check("shown-once", asked == 1, f"({asked} copies of the question)")


def workorder(workspace):
    name = os.path.basename(workspace)
    connected = "return document.querySelector('#link').innerText === 'connected';"
    check("reconnects-to-the-loop-project", browser.wait("the link to say connected", connected, seconds=20) is not None)
    browser.click("#tabs button[data-view=projects]")
    row = browser.wait(
        "the specced project in the list",
        "const names = [...document.querySelectorAll('#project-list button strong')].map(s => s.innerText);"
        " return names.indexOf(arguments[0]) + 1;",
        name,
    )
    check("lists-the-loop-project", row is not None, f"({name})")
    browser.click(f"#project-list li:nth-child({row}) button")
    browser.wait("the project to open", "return document.querySelector('#title').innerText === arguments[0];", name)
    browser.click("#tabs button[data-view=loop]")
    idle = browser.wait("the loop view", "return document.querySelector('#loop-state').dataset.state === 'idle';")
    check("loop-idle", idle is not None, f"({browser.script(LOOP_STATE)})")

    browser.click("#loop-actions button.primary")
    running = browser.wait("the loop to run", "return document.querySelector('#loop-state').dataset.state === 'running';")
    check("start-runs-the-loop", running is not None, f"({browser.script(LOOP_STATE)})")
    # The engine reads the specs into tasks when the loop starts.
    task = browser.wait("the task list", "return document.querySelector('#task-groups').innerText.includes('01.1');")
    check("loop-lists-the-task", task is not None, f"({browser.script(TEXT, '#task-groups')!r})")
    # Paused while the order waits, the loop stops before the Worker's first request, which is its
    # next safe point; paused later, it would only stop after the Worker's patch was decided.
    browser.click("#loop-actions button:nth-child(2)")
    pausing = browser.wait("the loop to say pausing", "return document.querySelector('#loop-state').dataset.state === 'pausing';")
    check("pause-shows-pausing", pausing is not None, f"({browser.script(TEXT, '#loop-state')!r})")
    # The Loop view says a decision waits, and takes the phone to it.
    notice = browser.wait("the loop to point at the waiting order", VISIBLE, "#loop-waiting button")
    check("loop-points-at-the-decision", notice is not None, f"({browser.script(TEXT, '#loop-waiting')!r})")
    browser.screenshot(f"{OUT}/phone-waiting.png")
    browser.click("#loop-waiting button")
    order = browser.wait("the work order card", VISIBLE, "#waiting .card.order button.primary")
    check("work-order-card-shows", order is not None, f"({browser.script(TEXT, '#waiting .card.order .title')!r})")
    browser.click("#waiting .card.order button.primary")
    gone = browser.wait("the order card to go", "return !document.querySelector('#waiting .card.order');")
    check("work-order-approved", gone is not None)

    browser.click("#tabs button[data-view=loop]")
    paused = browser.wait("the loop to pause", "return document.querySelector('#loop-state').dataset.state === 'paused';")
    check("loop-paused", paused is not None, f"({browser.script(TEXT, '#loop-state')!r})")
    time.sleep(0.5)
    check("nothing-proposed-while-paused", not browser.script("return !!document.querySelector('#waiting .card.change');"))
    resume_button = "return document.querySelector('#loop-actions button:nth-child(2)')?.innerText;"
    check("resume-offered", browser.script(resume_button) == "Resume", f"({browser.script(resume_button)})")
    browser.click("#loop-actions button:nth-child(2)")
    running = browser.wait("the loop to run again", "return document.querySelector('#loop-state').dataset.state === 'running';")
    check("resume-runs-the-loop", running is not None, f"({browser.script(LOOP_STATE)})")

    # The Worker's command waits for an answer from the phone; Allow once runs it in the sandbox, and
    # what it wrote waits as a ChangeSet of its own.
    browser.click("#tabs button[data-view=chat]")
    asked = browser.wait("the command to ask", VISIBLE, "#waiting .card.command button.primary")
    check("command-asks-on-the-phone", asked is not None, f"({browser.script(TEXT, '#waiting .card.command')!r})")
    browser.screenshot(f"{OUT}/phone-command.png")
    check("command-not-run-before-the-answer", not os.path.exists(f"{workspace}/NOTES.md"))
    browser.click("#waiting .card.command button.primary")
    notes_card = "return [...document.querySelectorAll('#waiting .card.change .title')].some(t => t.innerText.includes('touch NOTES.md'));"
    notes = browser.wait("the command's ChangeSet", notes_card)
    check("command-writes-wait-on-the-phone", notes is not None and not os.path.exists(f"{workspace}/NOTES.md"))
    browser.click("#waiting .card.change button.primary")
    browser.wait("the command's ChangeSet to be decided", f"return !(() => {{ {notes_card} }})();")
    check("command-writes-land", os.path.exists(f"{workspace}/NOTES.md"))

    change = browser.wait("the Worker's ChangeSet", VISIBLE, "#waiting .card.change button.primary")
    check("worker-changeset-shows", change is not None, f"({browser.script(TEXT, '#waiting .card.change .title')!r})")
    check("nothing-written-before-the-decision", not os.path.exists(f"{workspace}/Cargo.toml"))
    browser.click("#waiting .card.change button.primary")
    browser.click("#tabs button[data-view=loop]")
    done = browser.wait(
        "the task to be done",
        "return document.querySelector('#task-groups').innerText.includes('Done (1)');",
        seconds=60,
    )
    check("task-done", done is not None, f"({browser.script(TEXT, '#task-groups')!r})")
    check("files-on-disk", os.path.exists(f"{workspace}/Cargo.toml") and os.path.exists(f"{workspace}/src/lib.rs"))
    finished = browser.wait("the loop to finish", "return document.querySelector('#loop-state').dataset.state === 'finished';")
    check("loop-finishes", finished is not None, f"({browser.script(TEXT, '#loop-state')!r})")
    browser.script("document.querySelectorAll('#task-groups details').forEach(d => d.open = true); window.scrollTo(0, 0);")
    time.sleep(0.3)
    browser.screenshot(f"{OUT}/phone-workorder.png")


VISIBLE = "const el = document.querySelector(arguments[0]); return !!el && !el.closest('[hidden]');"
TEXT = "return document.querySelector(arguments[0])?.innerText ?? '';"
LOOP_STATE = "return document.querySelector('#loop-state').dataset.state;"
ANSWERED = "return document.querySelector('#conversation').innerText.includes('Done. The review decided');"

if STEP == "chat":
    browser = Browser()
    with open(SESSION_FILE, "w") as file:
        file.write(browser.session)
else:
    with open(SESSION_FILE) as file:
        browser = Browser(file.read())
started = time.time()
try:
    if STEP == "chat":
        chat(*sys.argv[5:8])
    elif STEP == "resume":
        resume()
    else:
        workorder(sys.argv[5])
    print(f"     ({time.time() - started:.1f} s in the browser)")
finally:
    # A reconnecting page logs its refused attempts; anything else is a fault.
    errors = [line for line in browser.console() if line.startswith("SEVERE") and "WebSocket connection" not in line]
    check("no-console-errors", not errors, "\n".join(errors))
    if STEP == "workorder" or failed:
        browser.close()

print(f"phone ({STEP}): {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

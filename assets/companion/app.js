// The Companion page's entry: wires the controls, then connects (or asks to pair first).
// Modules: link.js (the WebSocket), pairing.js (the token), state.js (what the events say),
// views.js and cards.js (drawing it), markdown.js (model text), dom.js (helpers).

import { $ } from "./dom.js";
import * as link from "./link.js";
import * as pairing from "./pairing.js";
import { apply, choose, forgetAll, newChat, sendMessage, setView, state } from "./state.js";
import { scheduleRender } from "./views.js";

$("pair-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = $("pair-error");
  const button = $("pair-form").querySelector("button");
  error.textContent = "";
  button.disabled = true;
  try {
    await pairing.pair($("pair-code").value, $("pair-name").value);
    $("pair-code").value = "";
    setView("projects");
    link.connect();
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
    scheduleRender();
  }
});
$("pair-code").addEventListener("input", (e) => (e.target.value = e.target.value.toUpperCase()));
$("pair-name").value = pairing.deviceName();
// The desktop's QR code carries the pairing code in the fragment; it is taken out of the address
// at once so it stays in no history or bookmark.
const offered = new URLSearchParams(location.hash.slice(1)).get("code");
if (offered) {
  $("pair-code").value = offered.toUpperCase();
  history.replaceState(null, "", location.pathname);
}

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const box = $("send-text");
  if (sendMessage(box.value)) box.value = "";
});
// Enter sends, Shift+Enter starts a new line.
$("send-text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $("send-form").requestSubmit();
  }
});
$("stop-button").addEventListener("click", () => state.session && link.send({ command: "stop_turn", session: state.session }));
$("session-pick").addEventListener("change", (e) => choose(e.target.value));
$("new-chat").addEventListener("click", newChat);
for (const button of $("tabs").querySelectorAll("button")) {
  button.addEventListener("click", () => setView(button.dataset.view));
}
// Whatever a control changed is drawn once its own handler has run (these listen after it).
for (const type of ["click", "submit", "change"]) document.addEventListener(type, scheduleRender);

window.addEventListener("online", link.reconnectNow);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && link.reconnectNow());

setView(pairing.token() ? "projects" : "pair");
scheduleRender();
link.start({
  event(event) {
    apply(event);
    scheduleRender();
  },
  restarted: forgetAll,
  unpaired() {
    $("pair-error").textContent = "This device is no longer paired. Pair it again from the desktop's Companion tab.";
    setView("pair");
    scheduleRender();
  },
  status(kind, text) {
    const el = $("link");
    el.dataset.kind = kind;
    el.textContent = text;
  },
});

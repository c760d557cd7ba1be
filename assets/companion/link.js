// The WebSocket to the desktop: hello with the device token, resume with `last_seq` and `epoch`,
// and after any drop a reconnect backing off from 0.5 s to 10 s. Every event carries the engine's
// seq; one at or below the last applied is a replayed duplicate and is dropped here.

import { toast } from "./dom.js";
import * as pairing from "./pairing.js";

const PROTOCOL_VERSION = 1;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 10_000;
/// The close code the server gives a bad, unknown or revoked token.
const UNPAIRED = 4401;

const link = {
  ws: null,
  lastSeq: 0,
  epoch: null,
  retryMs: RETRY_FIRST_MS,
  timer: null,
  commandSeq: 0,
  /// What the page does with the link: `event(body)`, `restarted()` (nothing missed was replayed,
  /// so all state is stale), `unpaired()`, `status(kind, text)`.
  on: null,
};

export function start(handlers) {
  link.on = handlers;
  connect();
}

export function connect() {
  clearTimeout(link.timer);
  link.timer = null;
  const token = pairing.token();
  if (!token) link.on.status("offline", "not paired");
  if (!token || link.ws) return;
  link.on.status("connecting", "connecting…");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/ws`);
  link.ws = ws;
  // The hello's envelope carries the token, and what the page last applied so the server can replay
  // what it missed.
  ws.addEventListener("open", () => {
    const hello = { command: "hello", surface: "companion", client: pairing.deviceName() };
    const resume = { token, last_seq: link.lastSeq > 0 ? link.lastSeq : null, epoch: link.epoch };
    ws.send(JSON.stringify({ v: PROTOCOL_VERSION, seq: ++link.commandSeq, body: hello, ...resume }));
  });
  ws.addEventListener("message", (message) => receive(message.data));
  ws.addEventListener("close", (closed) => {
    if (link.ws !== ws) return;
    link.ws = null;
    if (closed.code === UNPAIRED) {
      pairing.forget();
      link.lastSeq = 0;
      link.epoch = null;
      link.on.status("offline", "not paired");
      link.on.unpaired();
    } else {
      retryLater();
    }
  });
}

function retryLater() {
  const seconds = link.retryMs / 1000;
  link.on.status("offline", `reconnecting in ${seconds < 1 ? seconds.toFixed(1) : Math.round(seconds)} s`);
  link.timer = setTimeout(connect, link.retryMs);
  link.retryMs = Math.min(link.retryMs * 2, RETRY_MAX_MS);
}

/// A phone waking up or finding its network again should not wait out the backoff.
export function reconnectNow() {
  if (!link.ws && link.timer) connect();
}

/// Sends a command; false (with a notice) when the desktop is not connected.
export function send(body) {
  if (!link.ws || link.ws.readyState !== WebSocket.OPEN) {
    toast("Not connected to the desktop; try again in a moment.");
    return false;
  }
  link.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, seq: ++link.commandSeq, body }));
  return true;
}

function receive(data) {
  let envelope;
  try {
    envelope = JSON.parse(data);
  } catch {
    return;
  }
  if (!envelope || typeof envelope.seq !== "number" || typeof envelope.body?.event !== "string") return;
  if (envelope.v > PROTOCOL_VERSION) {
    toast("The desktop speaks a newer protocol: reload this page.");
    return;
  }
  const event = envelope.body;
  if (event.event === "welcome") {
    // A new epoch is a restarted engine: its seqs start over. Either way, unless the server replayed
    // what was missed (just before this Welcome), what the page holds is stale.
    if (link.epoch !== null && event.epoch !== link.epoch) link.lastSeq = 0;
    if (!envelope.resumed) link.on.restarted();
    link.epoch = event.epoch;
    link.retryMs = RETRY_FIRST_MS;
    link.on.status("online", "connected");
  }
  if (envelope.seq <= link.lastSeq) return;
  link.lastSeq = envelope.seq;
  link.on.event(event);
}

// What the page knows, built only from the desktop's events, and what the user's actions send.
// Drawing is views.js's: changes here mark regions of the page in `dirty`.

import { toast } from "./dom.js";
import { send } from "./link.js";

const HISTORY_PAGE = 200;
const PROJECT_KEY = "aura.companion.project";

/// Everything about the open project, as it is before one is open.
function noProject() {
  return {
    snapshot: null,
    /// Sessions of the open project: a ChangeSet or a streamed reply is shown only if it is one of them.
    sessions: new Set(),
    /// The chat session shown, its conversation items and the reply streaming in.
    session: null,
    items: [],
    live: null,
    running: false,
    /// A message was sent and its turn has not started: an error now is about it.
    awaitingTurn: false,
    queued: [],
    /// Text typed before the project had a chat session; sent once it exists.
    pendingText: null,
    /// "New chat" was asked for: the next chat session created becomes the shown one.
    creatingChat: false,
    /// Pending decisions from outside the shown conversation (the loop's Worker, Drones, the Planner).
    waiting: new Map(),
    drones: [],
    droneErrors: [],
    runs: new Map(),
    loop: { state: "idle", reason: null },
    taskReasons: new Map(),
  };
}

export const state = { view: "pair", projects: [], file: null, ...noProject() };

/// Regions of the page to draw again: projects, sessions, waiting, conversation, live, composer,
/// drones, runs, loop, view, or all.
export const dirty = new Set(["all"]);

/// The connection starts afresh (first, after an engine restart, or too long away): nothing held
/// is current any more.
export function forgetAll() {
  Object.assign(state, { projects: [] }, noProject());
  dirty.add("all");
}

export const project = () => state.snapshot?.project.id ?? null;
const ofProject = (session) => session === null || session === undefined || state.sessions.has(session);

/// Opens a workspace file read-only over the page (the phone never writes one), at `line` when given.
export function openFile(path, line = null) {
  if (!project()) return;
  state.file = { path, line, body: null };
  send({ command: "read_file", project: project(), path });
  dirty.add("file");
}

export function closeFile() {
  state.file = null;
  dirty.add("file");
}

export function apply(event) {
  switch (event.event) {
    case "file_read":
      if (event.project === project() && state.file?.path === event.file.path) {
        state.file.body = event.file.body;
        dirty.add("file");
      }
      break;
    case "files_changed":
      // The file shown changed on disk: read it again.
      if (state.file && event.project === project() && (event.all || event.paths.includes(state.file.path))) {
        send({ command: "read_file", project: project(), path: state.file.path });
      }
      break;
    case "welcome":
      // A resumed connection got what it missed replayed; a fresh one asks for the state.
      if (!state.projects.length) send({ command: "list_projects" });
      break;
    case "projects": {
      state.projects = event.projects;
      // The project this page showed last opens again, if the desktop still knows it.
      const saved = localStorage.getItem(PROJECT_KEY);
      if (!state.snapshot && saved && event.projects.some((p) => p.id === saved)) {
        send({ command: "select_project", project: saved });
      } else if (!state.snapshot) {
        setView("projects");
      }
      dirty.add("projects");
      break;
    }
    case "project_opened":
      openProject(event.snapshot);
      break;
    case "session_created":
      sessionCreated(event.session);
      break;
    case "conversation_changed":
      if (state.snapshot?.conversations && event.project === project()) {
        const ids = new Set(event.conversation.sessions);
        const rest = state.snapshot.conversations.filter((c) => !c.sessions.some((id) => ids.has(id)));
        state.snapshot.conversations = [event.conversation, ...rest].sort((a, b) => b.last_at - a.last_at);
        dirty.add("sessions");
      }
      break;
    case "conversation_deleted":
      if (state.snapshot?.conversations && event.project === project()) {
        state.snapshot.conversations = state.snapshot.conversations.filter((c) => !c.sessions.includes(event.session));
        dirty.add("sessions");
      }
      break;
    case "session_rotated":
      if (state.session === event.from) {
        state.sessions.add(event.to.id);
        state.snapshot?.sessions.push(event.to);
        state.session = event.to.id;
        note("The conversation ran out of room and continues from a summary.");
        dirty.add("sessions");
      }
      break;
    case "history":
      if (event.session === state.session) {
        state.items = [];
        for (const [, record] of event.records) pushRecord(record);
        for (const change of state.waiting.values()) {
          if (change.kind === "change" && change.changeset.session === state.session) {
            state.waiting.delete(change.changeset.id);
            state.items.push(change);
          }
        }
        dirty.add("conversation").add("waiting");
      }
      break;
    case "recorded":
      if (event.session === state.session) {
        if (event.record.record === "message" && event.record.role === "assistant") state.live = null;
        pushRecord(event.record);
        dirty.add("conversation");
      }
      break;
    case "text_delta":
      if (event.session === state.session) {
        state.live = (state.live ?? "") + event.text;
        dirty.add("live");
      }
      break;
    case "tool_call_started":
      if (event.session === state.session) {
        const card = toolCard(event.call.id) ?? addItem({ kind: "tool", call: event.call });
        card.state = "running";
        card.node = null;
        dirty.add("conversation");
      }
      break;
    case "tool_call_finished":
      if (event.session === state.session) {
        const card = toolCard(event.call);
        if (card) {
          Object.assign(card, { state: event.is_error ? "error" : "done", summary: event.summary, node: null });
          dirty.add("conversation");
        }
      }
      break;
    case "turn_running":
      if (event.session === state.session) {
        state.running = event.running;
        state.awaitingTurn = false;
        if (!event.running) state.live = null;
        dirty.add("conversation").add("composer");
      }
      break;
    case "queue_changed":
      if (event.session === state.session) {
        state.queued = event.queued;
        dirty.add("composer");
      }
      break;
    case "change_set_proposed":
      proposeChange(event.changeset);
      break;
    case "change_set_decided":
      decided(event.changeset, event.applied);
      break;
    case "command_approval_requested":
      if (event.approval.project === project()) {
        state.waiting.set(event.approval.id, { kind: "command", approval: event.approval });
        dirty.add("waiting");
      }
      break;
    case "command_decided":
      if (state.waiting.delete(event.approval)) dirty.add("waiting");
      break;
    case "work_order_proposed":
      if (state.snapshot && (!event.work_order.task || hasTask(event.work_order.task))) {
        state.waiting.set(event.work_order.id, { kind: "order", order: event.work_order });
        dirty.add("waiting");
      }
      break;
    case "receipt_issued":
      receiptIssued(event.receipt);
      break;
    case "task_changed":
      taskChanged(event);
      break;
    case "specs_changed":
      if (event.project === project()) {
        state.snapshot.specs = event.specs;
        state.snapshot.tasks = event.tasks;
        dirty.add("loop");
      }
      break;
    case "loop_changed":
      if (event.project === project()) {
        state.loop = { state: event.state, reason: event.reason ?? null };
        dirty.add("loop");
      }
      break;
    case "drone_list":
      if (event.project === project()) {
        state.drones = event.drones.map(([manifest]) => manifest);
        state.droneErrors = event.errors;
        dirty.add("drones");
      }
      break;
    case "drone_run_started":
    case "drone_run_finished":
      if (event.run.project === project()) {
        state.runs.set(event.run.id, event.run);
        state.sessions.add(event.run.session);
        dirty.add("runs");
      }
      break;
    case "error":
      if (state.awaitingTurn || state.pendingText !== null) {
        state.awaitingTurn = false;
        state.pendingText = null;
        note(event.message, true);
        dirty.add("composer");
      } else {
        toast(event.message);
      }
      break;
    case "store_warning":
      toast(event.message);
      break;
  }
}

function openProject(snapshot) {
  const same = snapshot.project.id === project();
  const keep = same ? { session: state.session, live: state.live } : null;
  Object.assign(state, noProject());
  state.snapshot = snapshot;
  localStorage.setItem(PROJECT_KEY, snapshot.project.id);
  for (const session of snapshot.sessions) state.sessions.add(session.id);
  for (const run of snapshot.drone_runs ?? []) {
    state.runs.set(run.id, run);
    state.sessions.add(run.session);
  }
  for (const changeset of snapshot.pending_changesets ?? []) {
    state.waiting.set(changeset.id, { kind: "change", changeset });
  }
  for (const approval of snapshot.pending_commands ?? []) {
    state.waiting.set(approval.id, { kind: "command", approval });
  }
  state.loop = { state: snapshot.loop_state, reason: null };
  const chats = chatSessions();
  const session = (keep?.session && chats.find((s) => s.id === keep.session)) || chats[0];
  if (session) choose(session.id);
  if (keep && state.session === keep.session) state.live = keep.live;
  send({ command: "list_drones", project: snapshot.project.id });
  if (state.view === "projects" || state.view === "pair") setView("chat");
  dirty.add("all");
}

/// The project's chat sessions, newest first.
/// The project's conversations as pickable sessions (each its newest session), the desktop's open
/// one first; snapshots of older engines list bare chat sessions.
export function chatSessions() {
  const snapshot = state.snapshot;
  if (snapshot?.conversations) {
    const list = snapshot.conversations.map((c) => ({ id: c.session, title: c.title, created_at: c.last_at }));
    const current = list.findIndex((c) => c.id === snapshot.current_conversation);
    if (current > 0) list.unshift(...list.splice(current, 1));
    return list;
  }
  return (snapshot?.sessions ?? [])
    .filter((s) => s.kind.kind === "chat")
    .sort((a, b) => b.rotation - a.rotation || b.created_at - a.created_at);
}

export function choose(session) {
  state.session = session;
  state.items = [];
  state.live = null;
  state.running = false;
  state.queued = [];
  send({ command: "load_history", session, before: null, limit: HISTORY_PAGE });
  dirty.add("conversation").add("sessions").add("composer");
}

function sessionCreated(session) {
  if (!state.snapshot || session.project !== project()) return;
  state.sessions.add(session.id);
  state.snapshot.sessions.push(session);
  if (session.kind.kind !== "chat") return;
  if (state.pendingText !== null || state.session === null || state.creatingChat) {
    state.creatingChat = false;
    state.session = session.id;
    state.items = [];
    state.live = null;
    state.running = false;
    if (state.pendingText !== null) {
      state.awaitingTurn = true;
      send({ command: "send_message", session: session.id, text: state.pendingText });
      state.pendingText = null;
    }
    dirty.add("conversation").add("composer");
  }
  dirty.add("sessions");
}

function hasTask(id) {
  return (state.snapshot?.tasks ?? []).some((t) => t.id === id);
}

function addItem(item) {
  state.items.push(item);
  return item;
}

function toolCard(id) {
  for (let i = state.items.length - 1; i >= 0; i--) {
    const item = state.items[i];
    if (item.kind === "tool" && item.call.id === id) return item;
  }
  return null;
}

function note(text, error = false) {
  addItem({ kind: "note", text, error });
  dirty.add("conversation");
}

/// A record of the shown session as conversation items (reasoning is the model's own, not shown).
function pushRecord(record) {
  switch (record.record) {
    case "message":
      if (record.role === "user") addItem({ kind: "user", text: plainText(record) });
      else if (record.role === "system") addItem({ kind: "note", text: plainText(record) });
      else if (record.role === "assistant") {
        for (const part of record.parts) {
          if (part.type === "text" && part.text.trim()) addItem({ kind: "assistant", text: part.text });
          if (part.type === "tool_call") {
            if (!toolCard(part.id)) addItem({ kind: "tool", call: part, state: "pending" });
          }
        }
      } else if (record.role === "tool") {
        for (const part of record.parts) {
          const card = part.type === "tool_result" ? toolCard(part.call) : null;
          if (card && card.state !== "done" && card.state !== "error") {
            card.state = part.is_error ? "error" : "done";
            card.summary = card.summary ?? firstLine(part.content);
            card.node = null;
          }
        }
      }
      break;
    case "change_set":
      upsertChange(record);
      break;
    case "receipt":
      if (record.subject.kind !== "drone_run" && !shownReceipt(record.id)) addItem({ kind: "receipt", receipt: record });
      break;
    case "note":
      addItem({ kind: "note", text: record.text, error: record.error });
      break;
    case "compacted":
      if (record.tier === 0) addItem({ kind: "note", text: "The conversation continues from a summary." });
      break;
  }
}

function shownReceipt(id) {
  return state.items.some((item) => item.kind === "receipt" && item.receipt.id === id);
}

function plainText(message) {
  return message.parts
    .filter((p) => p.type === "text")
    .map((p) => p.text)
    .join("\n");
}

function firstLine(text) {
  return (text.split("\n")[0] ?? "").slice(0, 160);
}

function proposeChange(changeset) {
  if (!state.snapshot || !ofProject(changeset.session)) return;
  if (changeset.session !== null && changeset.session === state.session) {
    upsertChange(changeset);
    dirty.add("conversation");
  } else {
    state.waiting.set(changeset.id, { kind: "change", changeset });
    dirty.add("waiting");
  }
}

function upsertChange(changeset) {
  const item = state.items.find((i) => i.kind === "change" && i.changeset.id === changeset.id);
  if (item) Object.assign(item, { changeset, deciding: false, node: null });
  else addItem({ kind: "change", changeset });
}

function decided(changeset, applied) {
  const item = state.items.find((i) => i.kind === "change" && i.changeset.id === changeset.id);
  if (item) {
    Object.assign(item, { changeset, deciding: false, node: null });
    dirty.add("conversation");
  }
  if (state.waiting.delete(changeset.id)) dirty.add("waiting");
  if (item || ofProject(changeset.session)) {
    toast(applied.length ? `Applied: ${applied.join(", ")}` : "Nothing was written.");
  }
}

function receiptIssued(receipt) {
  const subject = receipt.subject;
  const mine =
    (subject.kind === "task" && hasTask(subject.task)) ||
    (subject.kind === "worker_run" && subject.session === state.session);
  // A task's receipt is also recorded into the current conversation: shown once.
  if (mine && !shownReceipt(receipt.id)) {
    addItem({ kind: "receipt", receipt });
    dirty.add("conversation");
  }
}

function taskChanged(change) {
  const task = (state.snapshot?.tasks ?? []).find((t) => t.id === change.task);
  if (!task) return;
  task.status = change.to;
  task.attempts = change.attempts;
  if (change.reason) state.taskReasons.set(task.id, change.reason);
  else state.taskReasons.delete(task.id);
  dirty.add("loop");
}

// ---------------------------------------------------------------------------------------------
// What the user does.

export function sendMessage(text) {
  text = text.trim();
  if (!text || !state.snapshot) return false;
  if (state.session) {
    if (!send({ command: "send_message", session: state.session, text })) return false;
    state.awaitingTurn = !state.running;
  } else if (state.pendingText === null) {
    if (!send({ command: "create_session", project: project(), kind: { kind: "chat" }, title: "Chat" })) return false;
    state.pendingText = text;
  } else {
    state.pendingText += `\n\n${text}`;
  }
  dirty.add("composer").add("conversation");
  return true;
}

export function decideChange(item, decision) {
  if (send({ command: "decide_change_set", changeset: item.changeset.id, decision: { decision }, comment: null })) {
    item.deciding = true;
    item.node = null;
    dirty.add("conversation").add("waiting");
  }
}

export function decideOrder(item, decision) {
  if (send({ command: "decide_work_order", work_order: item.order.id, decision })) {
    state.waiting.delete(item.order.id);
    toast(decision.decision === "approve" ? "Work order approved." : "Work order rejected.");
    dirty.add("waiting");
  }
}

const ANSWERED = { allow_once: "Allowed once.", allow_for_session: "Allowed for this session.", deny: "Denied." };

export function decideCommand(item, decision) {
  if (send({ command: "decide_command", approval: item.approval.id, decision })) {
    state.waiting.delete(item.approval.id);
    toast(ANSWERED[decision]);
    dirty.add("waiting");
  }
}

export function newChat() {
  if (state.snapshot && send({ command: "create_session", project: project(), kind: { kind: "chat" }, title: "Chat" })) {
    state.creatingChat = true;
  }
}

export function selectProject(id) {
  localStorage.setItem(PROJECT_KEY, id);
  if (id === project()) setView("chat");
  else send({ command: "select_project", project: id });
}

export function setView(view) {
  state.view = view;
  dirty.add("view");
}

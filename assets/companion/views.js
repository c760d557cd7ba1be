// Drawing the page from the state: each region is drawn again only when marked dirty, at most
// once per animation frame.

import { $, h, toast, when } from "./dom.js";
import { changeCard, commandCard, itemNode, orderCard, verdictBadge } from "./cards.js";
import { markdown } from "./markdown.js";
import { send } from "./link.js";
import { chatSessions, closeFile, dirty, project, selectProject, setView, state } from "./state.js";

let frame = 0;

export function scheduleRender() {
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  const all = dirty.has("all");
  if (all || dirty.has("view")) renderView();
  if (all || dirty.has("projects")) renderProjects();
  if (all || dirty.has("sessions")) renderSessions();
  if (all || dirty.has("waiting")) renderWaiting();
  if (all || dirty.has("conversation") || dirty.has("live")) renderConversation();
  if (all || dirty.has("composer")) renderComposer();
  if (all || dirty.has("drones")) renderDrones();
  if (all || dirty.has("runs")) renderRuns();
  if (all || dirty.has("loop") || dirty.has("waiting")) renderLoop();
  if (all || dirty.has("file")) renderFile();
  renderHeader();
  dirty.clear();
}

const MB = 1 << 20;

/// The file opened from a path: its lines numbered, the one asked for scrolled to; or why not.
function renderFile() {
  const view = $("file-view");
  const file = state.file;
  view.hidden = !file;
  if (!file) return;
  $("file-path").textContent = file.path;
  const body = file.body;
  const text = $("file-text");
  const note = (message) => text.replaceChildren(h("p", { class: "muted" }, message));
  if (!body) return note("Reading…");
  switch (body.kind) {
    case "text": {
      const lines = body.text.split("\n");
      if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
      const rows = lines.map((line, i) =>
        h("div", { class: i + 1 === file.line ? "line current" : "line", id: `file-line-${i + 1}` },
          h("span", { class: "no" }, String(i + 1)), line),
      );
      text.replaceChildren(body.lossy ? h("p", { class: "muted" }, "Not UTF-8: odd bytes are shown as �.") : "", h("pre", {}, ...rows));
      if (file.line) document.getElementById(`file-line-${file.line}`)?.scrollIntoView({ block: "center" });
      return;
    }
    case "binary":
      return note(`A binary file (${body.size} bytes): not shown as text.`);
    case "too_large":
      return note(`This file is ${(body.size / MB).toFixed(1)} MB, more than the ${body.limit / MB} MB the viewer opens.`);
    case "missing":
      return note("This file is not on disk (deleted or renamed since).");
    default:
      return note(`This file cannot be shown: ${body.reason ?? body.kind}`);
  }
}

$("file-close").addEventListener("click", () => closeFile());

function renderView() {
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== state.view;
  $("tabs").hidden = state.view === "pair";
}

function renderHeader() {
  $("title").textContent = state.snapshot?.project.name ?? "Aura";
  $("subtitle").textContent = state.snapshot ? `Loop: ${LOOP_LABEL[state.loop.state] ?? state.loop.state}` : "Companion";
  for (const button of $("tabs").querySelectorAll("button")) {
    if (button.dataset.view !== "projects") button.disabled = !state.snapshot;
    button.classList.toggle("active", button.dataset.view === state.view);
  }
}

function renderProjects() {
  const list = $("project-list");
  if (!state.projects.length) {
    list.replaceChildren(h("li", { class: "muted" }, "No projects yet: open a folder in Aura on the desktop."));
    return;
  }
  list.replaceChildren(
    ...state.projects.map((p) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: p.id === project() ? "item current" : "item",
            onclick: () => selectProject(p.id),
          },
          h("strong", {}, p.name),
          h("span", { class: "muted" }, `opened ${when(p.opened_at)}`),
        ),
      ),
    ),
  );
}

function renderSessions() {
  const pick = $("session-pick");
  const chats = chatSessions();
  pick.replaceChildren(
    ...chats.map((s) => h("option", { value: s.id, selected: s.id === state.session }, `${s.title} · ${when(s.created_at)}`)),
  );
  $("chat-head").hidden = chats.length === 0;
}

function renderWaiting() {
  const box = $("waiting");
  const cards = [...state.waiting.values()].map(
    (item) => (item.node ??= { order: orderCard, command: commandCard }[item.kind]?.(item) ?? changeCard(item)),
  );
  box.replaceChildren(...(cards.length ? [h("h2", {}, "Waiting for you"), ...cards] : []));
}

function renderConversation() {
  const box = $("conversation");
  const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
  const nodes = state.items.map((item) => (item.node ??= itemNode(item)));
  if (state.live) nodes.push(h("div", { class: "msg assistant live" }, markdown(state.live)));
  else if (state.running || state.awaitingTurn || state.pendingText !== null) {
    nodes.push(h("div", { class: "msg assistant live muted" }, "Working…"));
  }
  if (!nodes.length) nodes.push(h("p", { class: "muted empty" }, "Ask Aura something about this project."));
  box.replaceChildren(...nodes);
  if (nearBottom) window.scrollTo(0, document.body.scrollHeight);
}

function renderComposer() {
  const busy = state.running || state.awaitingTurn;
  $("stop-button").hidden = !state.running || !state.session;
  $("send-button").textContent = busy ? "Queue" : "Send";
  $("queued").replaceChildren(...state.queued.map((q) => h("div", { class: "queued" }, `Queued: ${q}`)));
}

function renderDrones() {
  const list = $("drone-list");
  list.replaceChildren(
    ...state.drones.map((drone) => {
      const goal = h("input", { type: "text", placeholder: "Goal", "aria-label": `Goal for ${drone.name}` });
      return h(
        "li",
        { class: "card" },
        h("div", { class: "row" }, h("strong", {}, drone.name), h("span", { class: "muted" }, drone.tool_policy.replaceAll("_", " "))),
        h("p", { class: "muted" }, drone.role),
        h(
          "form",
          {
            class: "inline",
            onsubmit: (e) => {
              e.preventDefault();
              const text = goal.value.trim();
              if (!text) return goal.focus();
              if (send({ command: "run_drone", project: project(), drone: drone.name, goal: text })) {
                goal.value = "";
                toast(`${drone.name} summoned.`);
              }
            },
          },
          goal,
          h("button", { type: "submit" }, "Run"),
        ),
      );
    }),
  );
  if (!state.drones.length) list.replaceChildren(h("li", { class: "muted" }, "No Drones for this project."));
  $("drone-errors").textContent = state.droneErrors.join("\n");
}

/// The runs apart from the Drones, so a run starting never clears a goal being typed.
function renderRuns() {
  const runs = [...state.runs.values()].sort((a, b) => b.started_at - a.started_at);
  $("run-list").replaceChildren(
    ...runs.map((run) => {
      const receipt = run.receipt;
      return h(
        "li",
        { class: "card" },
        h(
          "div",
          { class: "row" },
          h("strong", {}, run.drone),
          receipt ? verdictBadge(receipt, run) : h("span", { class: "badge running" }, "running"),
        ),
        h("p", {}, run.goal),
        receipt ? h("p", { class: "muted" }, receipt.summary) : null,
        h(
          "div",
          { class: "row" },
          h("span", { class: "muted" }, when(run.started_at)),
          receipt
            ? null
            : h("button", { type: "button", onclick: () => send({ command: "stop_drone", run: run.id }) }, "Stop"),
        ),
      );
    }),
  );
  if (!runs.length) $("run-list").replaceChildren(h("li", { class: "muted" }, "No runs yet."));
}

const LOOP_LABEL = {
  idle: "Idle",
  running: "Running",
  pausing: "Pausing at the next safe point…",
  paused: "Paused",
  stopped: "Stopped",
  blocked: "Blocked",
  finished: "Finished: every task is done",
};
const STATUS_ORDER = ["in_progress", "blocked", "failed", "ready", "pending", "done"];
const STATUS_LABEL = {
  in_progress: "In progress",
  blocked: "Blocked",
  failed: "Failed",
  ready: "Ready",
  pending: "Pending",
  done: "Done",
};

function renderLoop() {
  const loop = state.loop.state;
  $("loop-state").textContent = LOOP_LABEL[loop] ?? loop;
  $("loop-state").dataset.state = loop;
  $("loop-reason").textContent = state.loop.reason ?? "";
  const control = (name, label, enabled, cls = "") =>
    h(
      "button",
      { type: "button", class: cls, disabled: !enabled, onclick: () => send({ command: "loop", project: project(), control: name }) },
      label,
    );
  const going = ["running", "pausing", "paused"].includes(loop);
  $("loop-actions").replaceChildren(
    control("start", "Start", !going, "primary"),
    loop === "paused" ? control("resume", "Resume", true, "primary") : control("pause", "Pause", loop === "running"),
    control("stop", "Stop", going, "danger"),
  );
  // Work orders and changes are decided in Chat; the loop waits on them, so say so here too.
  const waiting = state.waiting.size;
  $("loop-waiting").replaceChildren(
    ...(waiting
      ? [h("button", { type: "button", class: "primary", onclick: () => setView("chat") },
          `${waiting} decision${waiting === 1 ? "" : "s"} waiting for you: open Chat`)]
      : []),
  );
  const tasks = state.snapshot?.tasks ?? [];
  const groups = STATUS_ORDER.map((status) => {
    const members = tasks.filter((t) => t.status === status).sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true }));
    if (!members.length) return null;
    return h(
      "details",
      { class: "group", open: status !== "done" && status !== "pending" },
      h("summary", {}, `${STATUS_LABEL[status]} (${members.length})`),
      h("ul", { class: "list" }, ...members.map(taskNode)),
    );
  });
  const box = $("task-groups");
  box.replaceChildren(...groups.filter(Boolean));
  if (!tasks.length) box.replaceChildren(h("p", { class: "muted" }, "No tasks yet: write specs on the desktop."));
}

function taskNode(task) {
  const reason = state.taskReasons.get(task.id);
  const extra = [];
  if (task.status === "failed") {
    extra.push(h("button", { type: "button", onclick: () => send({ command: "retry_task", task: task.id }) }, "Retry"));
  }
  if (task.status === "blocked") {
    const answer = h("input", { type: "text", placeholder: "Your answer", "aria-label": `Answer for ${task.key}` });
    extra.push(
      h(
        "form",
        {
          class: "inline",
          onsubmit: (e) => {
            e.preventDefault();
            const text = answer.value.trim();
            if (text && send({ command: "answer_blocked", task: task.id, text })) answer.value = "";
          },
        },
        answer,
        h("button", { type: "submit" }, "Answer"),
      ),
    );
  }
  return h(
    "li",
    { class: "task" },
    h("div", { class: "row" }, h("code", {}, task.key), h("span", { class: "grow" }, task.title)),
    task.attempts > 1 ? h("div", { class: "muted" }, `${task.attempts} attempts`) : null,
    reason ? h("div", { class: "muted" }, reason) : null,
    ...extra,
  );
}

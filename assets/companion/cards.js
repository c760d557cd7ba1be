// The conversation's items and the decisions waiting for the user, as cards.

import { h } from "./dom.js";
import { markdown } from "./markdown.js";
import { decideChange, decideCommand, decideOrder, openFile } from "./state.js";

/// A workspace path as a button that opens the file, read-only.
export function pathLink(path, line = null) {
  return h("button", { type: "button", class: "path-link", onclick: () => openFile(path, line) }, line ? `${path}:${line}` : path);
}

const FILE_TOOLS = new Set(["read_file", "replace", "write_file"]);

export function itemNode(item) {
  switch (item.kind) {
    case "user":
      return h("div", { class: "msg user" }, item.text);
    case "assistant":
      return h("div", { class: "msg assistant" }, markdown(item.text));
    case "note":
      return h("div", { class: item.error ? "note error" : "note" }, item.text);
    case "tool":
      return toolNode(item);
    case "change":
      return changeCard(item);
    case "receipt":
      return receiptCard(item.receipt);
  }
  return h("div");
}

function toolNode(item) {
  const args = item.call.arguments ?? {};
  const target = args.path ?? args.command ?? args.pattern ?? args.query ?? "";
  const status = { running: "running…", done: "done", error: "failed" }[item.state] ?? "";
  return h(
    "div",
    { class: `card tool ${item.state ?? ""}` },
    h(
      "div",
      { class: "row" },
      h("code", {}, item.call.name),
      FILE_TOOLS.has(item.call.name) && args.path
        ? pathLink(String(args.path), Number.isInteger(args.start_line) ? args.start_line : null)
        : h("span", { class: "muted path" }, String(target)),
    ),
    h("div", { class: "row" }, h("span", { class: `badge ${item.state ?? ""}` }, status), h("span", { class: "muted" }, item.summary ?? "")),
  );
}

const CHANGE_STATUS = {
  proposed: "waiting for review",
  applied: "applied",
  partly_applied: "partly applied",
  rejected: "rejected",
  undone: "undone",
};

export function changeCard(item) {
  const cs = item.changeset;
  const open = cs.status === "proposed";
  const files = cs.files.map((file) => {
    const added = file.hunks.reduce((n, hunk) => n + hunk.new_lines, 0);
    const removed = file.hunks.reduce((n, hunk) => n + hunk.old_lines, 0);
    const hunks = file.hunks.length === 1 ? "1 hunk" : `${file.hunks.length} hunks`;
    return h(
      "details",
      { class: "file" },
      h(
        "summary",
        {},
        h("code", {}, file.path),
        h("span", { class: "muted" }, ` ${file.kind.kind} · ${hunks} · `),
        h("span", { class: "added" }, `+${added}`),
        " ",
        h("span", { class: "removed" }, `−${removed}`),
      ),
      diffPreview(file),
    );
  });
  const findings = (cs.findings ?? []).map((f) => h("li", {}, `${f.path}${f.line ? `:${f.line}` : ""}: ${f.message}`));
  return h(
    "div",
    { class: "card change" },
    h("div", { class: "row" }, h("strong", {}, "Change"), h("span", { class: `badge ${cs.status}` }, CHANGE_STATUS[cs.status] ?? cs.status)),
    h("p", { class: "title" }, cs.title),
    ...files,
    findings.length ? h("ul", { class: "findings" }, ...findings) : null,
    open
      ? h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "primary", disabled: item.deciding, onclick: () => decideChange(item, "accept_all") }, "Accept all"),
          h("button", { type: "button", class: "danger", disabled: item.deciding, onclick: () => decideChange(item, "reject_all") }, "Reject all"),
        )
      : null,
  );
}

/// Each hunk's removed lines, then its added lines, cut short on a phone screen.
function diffPreview(file) {
  const before = (file.before ?? "").split("\n");
  const after = (file.after ?? "").split("\n");
  const lines = [];
  for (const hunk of file.hunks) {
    lines.push(h("div", { class: "at" }, `@@ -${hunk.old_start},${hunk.old_lines} +${hunk.new_start},${hunk.new_lines} @@`));
    for (const line of before.slice(hunk.old_start - 1, hunk.old_start - 1 + hunk.old_lines)) {
      lines.push(h("div", { class: "del" }, `-${line}`));
    }
    for (const line of after.slice(hunk.new_start - 1, hunk.new_start - 1 + hunk.new_lines)) {
      lines.push(h("div", { class: "add" }, `+${line}`));
    }
  }
  const limit = 60;
  const shown = lines.slice(0, limit);
  if (lines.length > limit) shown.push(h("div", { class: "muted" }, `… ${lines.length - limit} more lines on the desktop`));
  return h("div", { class: "diff" }, ...shown);
}

/// A command waiting for approval: what it is, why it asks, and the three answers.
export function commandCard(item) {
  const approval = item.approval;
  const answer = (decision, label, cls) =>
    h("button", { type: "button", class: cls, onclick: () => decideCommand(item, decision) }, label);
  return h(
    "div",
    { class: "card command" },
    h(
      "div",
      { class: "row" },
      h("strong", {}, approval.network ? "Command, with the network" : "Command"),
      h("span", { class: "badge proposed" }, "waiting for approval"),
    ),
    h("pre", {}, h("code", {}, approval.command)),
    h("p", { class: "muted" }, `Why it asks: ${approval.reason}`),
    h("p", { class: "muted" }, `Sandbox: ${approval.policy}`),
    h(
      "div",
      { class: "actions" },
      answer("allow_once", "Allow once", "primary"),
      answer("allow_for_session", "Allow for this session", ""),
      answer("deny", "Deny", "danger"),
    ),
  );
}

export function orderCard(item) {
  const order = item.order;
  const reason = h("input", { type: "text", placeholder: "Why (sent to the Planner)", hidden: true });
  let rejecting = false;
  return h(
    "div",
    { class: "card order" },
    h("div", { class: "row" }, h("strong", {}, "Work order"), h("span", { class: "badge proposed" }, "waiting for approval")),
    h("p", { class: "title" }, order.goal),
    h("div", { class: "capsule" }, markdown(order.capsule)),
    order.acceptance.length ? h("ul", {}, ...order.acceptance.map((a) => h("li", {}, a))) : null,
    order.validation.length ? h("p", { class: "muted" }, "Checks: ", ...order.validation.map((v) => h("code", {}, v, " "))) : null,
    reason,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: () => decideOrder(item, { decision: "approve" }) }, "Approve"),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          onclick: () => {
            if (!rejecting) {
              rejecting = true;
              reason.hidden = false;
              reason.focus();
              return;
            }
            decideOrder(item, { decision: "reject", reason: reason.value.trim() || "Rejected from the Companion" });
          },
        },
        "Reject",
      ),
    ),
  );
}

const VERDICT = { verified: "verified", failed: "failed", blocked: "blocked", unverified: "not verified" };

/// A receipt's verdict as a badge. A read-only Drone run that finished reported: its receipt says
/// unverified only because it changed nothing to check.
export function verdictBadge(receipt, run = null) {
  const reported = run?.isolation.kind === "shared" && receipt.verdict === "unverified";
  return reported
    ? h("span", { class: "badge verified" }, "reported")
    : h("span", { class: `badge ${receipt.verdict}` }, VERDICT[receipt.verdict] ?? receipt.verdict);
}

export function receiptCard(receipt) {
  const commands = receipt.commands.map((c) => {
    const counts = c.passed !== null || c.failed !== null ? ` (${c.passed ?? 0} passed, ${c.failed ?? 0} failed)` : "";
    return h("li", {}, h("code", {}, c.command), ` ${c.outcome.replaceAll("_", " ")}${counts}`);
  });
  return h(
    "div",
    { class: "card receipt" },
    h("div", { class: "row" }, h("strong", {}, "Receipt"), verdictBadge(receipt)),
    h("p", {}, receipt.summary),
    commands.length ? h("ul", {}, ...commands) : null,
    receipt.files_changed?.length ? h("div", { class: "files" }, "Files: ", ...receipt.files_changed.map((p) => pathLink(p))) : null,
    receipt.commit ? h("p", { class: "muted" }, commitLine(receipt.commit)) : null,
  );
}

/// What became of the work's commit, as the desktop says it.
function commitLine(commit) {
  if (commit.outcome === "committed") return `Committed ${commit.hash} on ${commit.branch}`;
  return `Not committed: ${commit.reason}`;
}

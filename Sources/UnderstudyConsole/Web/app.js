// understudy's web console: one page over the node's JSON API (/api/v1). No framework, no network but this node.
"use strict";

const state = { me: null, csrf: null, status: null, stream: null, refreshTimer: null };

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const response = await fetch("/api/v1/" + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = {};
  try { json = await response.json(); } catch (_) { /* empty */ }
  if (response.status === 401 && path !== "login") { showLogin(); throw new Error(json.error || "signed out"); }
  return { status: response.status, json };
}

function may(role) {
  const order = ["viewer", "operator", "admin"];
  return state.me && order.indexOf(state.me.role) >= order.indexOf(role);
}

function seconds(value) {
  if (value === undefined || value === null) return "–";
  if (value < 1) return Math.round(value * 1000) + " ms";
  if (value < 120) return value.toFixed(1) + " s";
  if (value < 7200) return Math.round(value / 60) + " min";
  return (value / 3600).toFixed(1) + " h";
}

function bytes(value) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let index = 0;
  while (value >= 1024 && index < units.length - 1) { value /= 1024; index++; }
  return (index === 0 ? value : value.toFixed(1)) + " " + units[index];
}

function lagClass(lag) { return lag < 10 ? "ok" : lag < 60 ? "warn" : "bad"; }

// ---- Signing in and out

function showLogin() {
  state.me = null;
  if (state.stream) { state.stream.close(); state.stream = null; }
  document.getElementById("top").hidden = true;
  document.getElementById("view").replaceChildren();
  document.getElementById("login").hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  const answer = await api("POST", "login", { user: form.user.value, password: form.password.value });
  const error = document.getElementById("login-error");
  if (answer.status !== 200) { error.textContent = answer.json.error || "sign-in failed"; return; }
  error.textContent = "";
  form.password.value = "";
  state.csrf = answer.json.csrfToken;
  await start();
}

async function signOut() {
  await api("POST", "logout");
  state.csrf = null;
  showLogin();
}

async function start() {
  const who = await fetch("/api/v1/whoami", { credentials: "same-origin" });
  if (who.status !== 200) { showLogin(); return; }
  state.me = await who.json();
  if (state.me.csrfToken) state.csrf = state.me.csrfToken;
  document.getElementById("login").hidden = true;
  document.getElementById("top").hidden = false;
  document.getElementById("who").textContent = state.me.name + " (" + state.me.role + ")";
  document.getElementById("nav-users").hidden = !may("admin");
  follow();
  route();
}

// ---- Live updates: the event stream refreshes what is shown; a timer keeps lag figures fresh.

function follow() {
  if (state.stream) state.stream.close();
  state.stream = new EventSource("/api/v1/events/stream");
  state.stream.addEventListener("event", () => scheduleRefresh(300));
  clearInterval(state.refreshTimer);
  state.refreshTimer = setInterval(() => scheduleRefresh(0), 5000);
}

let pending = null;
function scheduleRefresh(delay) {
  if (pending) return;
  pending = setTimeout(() => { pending = null; route(true); }, delay);
}

// ---- Views

function route(refresh) {
  if (!state.me) return;
  const hash = location.hash || "#/";
  const parts = hash.slice(2).split("/").map(decodeURIComponent);
  if (parts[0] === "group" && parts[1]) return groupView(parts[1], refresh);
  if (parts[0] === "events") return eventsView(refresh);
  if (parts[0] === "users") return usersView(refresh);
  return overview();
}

function show(...children) { document.getElementById("view").replaceChildren(...children); }

async function loadStatus() {
  const answer = await api("GET", "status");
  state.status = answer.json.status;
  document.getElementById("where").textContent = state.status
    ? "cluster " + state.status.cluster + " · node " + state.status.node : "";
  return state.status;
}

function servingNode(status, group) {
  const failover = status.failover && status.failover.groups.find((g) => g.group === group.name);
  // The phase shown is the serving node's: this node's own, or what its peer's heartbeats say.
  if (failover) {
    const phase = failover.owner === status.node ? failover.phase : failover.peerPhase;
    return { node: failover.owner, epoch: failover.epoch, phase, mode: failover.mode };
  }
  return { node: group.role === "primary" ? status.node : group.peer, epoch: null, phase: null, mode: null };
}

async function overview() {
  const status = await loadStatus();
  if (!status) return;
  const links = (status.failover && status.failover.links) || [];
  const checks = (status.failover && status.failover.checks) || [];
  const rows = status.groups.map((group) => {
    const serving = servingNode(status, group);
    const worst = Math.max(0, ...group.shares.map((s) => s.lagSeconds));
    const peerLinks = links.filter((l) => l.peer === group.peer);
    const up = peerLinks.filter((l) => l.state === "up").length;
    const groupChecks = checks.filter((c) => c.group === group.name);
    const passing = groupChecks.filter((c) => c.state === "passing").length;
    return el("tr", { "data-group": group.name },
      el("td", {}, el("a", { href: "#/group/" + encodeURIComponent(group.name) }, group.name)),
      el("td", { class: "serving" }, el("b", {}, serving.node), serving.phase ? el("span", { class: "muted" }, " " + serving.phase) : ""),
      el("td", { class: "optional" }, serving.epoch === null ? "–" : serving.epoch),
      el("td", {}, group.role),
      el("td", { class: group.peerConnected ? "ok" : "bad" }, group.peerConnected ? "connected" : "disconnected"),
      el("td", { class: "optional " + (peerLinks.length && up < peerLinks.length ? "warn" : "") }, peerLinks.length ? up + "/" + peerLinks.length + " up" : "–"),
      el("td", { class: "optional " + (passing < groupChecks.length ? "bad" : "") }, groupChecks.length ? passing + "/" + groupChecks.length + " passing" : "–"),
      el("td", { class: lagClass(worst) }, seconds(worst)),
      el("td", { class: group.openConflicts ? "warn" : "" }, group.openConflicts || 0),
      el("td", { class: group.maintenance ? "warn maintenance" : "muted" }, group.maintenance ? "on" : "off"));
  });
  const held = status.groups.filter((g) => g.maintenance);
  show(
    el("h1", {}, "Overview"),
    held.length ? el("p", { class: "banner", id: "maintenance-banner" }, "Maintenance: automatic failover is held for " + held.map((g) => g.name).join(", ") + ".") : "",
    el("div", { class: "scroll" }, el("table", { id: "groups" },
      el("thead", {}, el("tr", {}, ["Group", "Serving", "Epoch", "This node", "Mirror", "Links", "Checks", "Lag", "Conflicts", "Maintenance"].map(
        (title, index) => el("th", { class: [2, 5, 6].includes(index) ? "optional" : null }, title)))),
      el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: 10 }, "This node has no groups."))))),
    el("p", { class: "muted" }, "Updated " + new Date().toLocaleTimeString() + ", live."));
}

async function groupView(name, refresh) {
  const [status, view, lag, archives, events, conflicts] = await Promise.all([
    loadStatus(), api("GET", "groups/" + encodeURIComponent(name)),
    api("GET", "groups/" + encodeURIComponent(name) + "/lag?window=" + (state.window || 3600)),
    api("GET", "archives?group=" + encodeURIComponent(name)), api("GET", "events?limit=200"),
    api("GET", "conflicts?group=" + encodeURIComponent(name)),
  ]);
  if (view.status !== 200) { show(el("h1", {}, name), el("p", { class: "error" }, view.json.error)); return; }
  const group = view.json.group;
  const serving = servingNode(status, group);
  const sections = [
    el("h1", {}, "Group " + name),
    el("div", { class: "card" },
      el("p", {}, "Served by ", el("b", { id: "serving" }, serving.node),
        serving.epoch !== null ? " at epoch " + serving.epoch : "", serving.phase ? " (" + serving.phase + ")" : "",
        " · this node (" + status.node + ") is " + group.role + " · peer " + group.peer + " ",
        el("span", { class: group.peerConnected ? "ok" : "bad" }, group.peerConnected ? "connected" : "disconnected"))),
  ];
  if (group.maintenance) {
    sections.push(el("p", { class: "banner", id: "maintenance-banner" }, "Maintenance since " +
      new Date(group.maintenance.since).toLocaleString() + " (by " + group.maintenance.by + "): automatic failover is held on every node."));
  }
  if (group.readiness) {
    const kind = { ready: "ok", "not-ready": "bad", unproven: "warn" }[group.readiness.state] || "muted";
    sections.push(el("p", { class: "card", id: "readiness" }, "Readiness: ", el("span", { class: kind }, group.readiness.line)));
  }
  if (may("operator")) sections.push(actionsCard(name, !!group.maintenance));
  sections.push(el("h2", {}, "Shares"), sharesTable(group));
  sections.push(el("h2", {}, "Lag"), lagChart(lag.json));
  sections.push(el("h2", {}, "Conflicts"), conflictsCard(conflicts.json));
  sections.push(el("h2", {}, "Archives"), archivesCard(name, archives.json));
  sections.push(el("h2", {}, "History of a file"), historyCard(name));
  const mine = (events.json.events || []).filter((e) => (e.share || "").startsWith(name + "/") || e.message.includes(name));
  sections.push(el("h2", {}, "Takeovers"), takeoversCard(mine));
  sections.push(el("h2", {}, "Events"), eventList(mine.slice(0, 50)));
  show(...sections);
}

function sharesTable(group) {
  return el("div", { class: "scroll" }, el("table", {},
    el("thead", {}, el("tr", {}, ["Share", "State", "Lag", "Changes behind", "Bytes behind", "Throughput", "Last sync"].map((t, i) => el("th", { class: i >= 4 ? "optional" : null }, t)))),
    el("tbody", {}, group.shares.map((share) => el("tr", {},
      el("td", {}, share.name, el("div", { class: "muted" }, share.path)),
      el("td", { class: share.state === "in-sync" ? "ok" : share.state === "error" ? "bad" : "warn" }, share.state, share.lastError ? el("div", { class: "bad" }, share.lastError) : ""),
      el("td", { class: lagClass(share.lagSeconds) }, seconds(share.lagSeconds)),
      el("td", {}, share.changesPending),
      el("td", { class: "optional" }, bytes(Math.max(0, share.bytesTotal - share.bytesDone))),
      el("td", { class: "optional" }, bytes(share.throughputBytesPerSecond) + "/s"),
      el("td", { class: "optional" }, share.lastSyncAt ? new Date(share.lastSyncAt).toLocaleString() : "–"))))));
}

function lagChart(series) {
  const width = 600, height = 160, shares = Object.keys(series.shares || {});
  const points = shares.flatMap((s) => series.shares[s]);
  const now = Date.now() / 1000, span = series.window || 3600;
  const top = Math.max(1, ...points.map((p) => p[1]));
  const colors = ["#2856b6", "#b3261e", "#1b7f3b", "#a86400", "#6b3fa0"];
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("preserveAspectRatio", "none");
  shares.forEach((share, index) => {
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("stroke", colors[index % colors.length]);
    line.setAttribute("points", series.shares[share].map(([t, v]) =>
      ((t - (now - span)) / span * width).toFixed(1) + "," + (height - 4 - v / top * (height - 8)).toFixed(1)).join(" "));
    svg.append(line);
  });
  const toggle = (windowSeconds, label) => el("button", { type: "button", class: (state.window || 3600) === windowSeconds ? "primary" : null,
    onclick: () => { state.window = windowSeconds; route(true); } }, label);
  return el("div", { class: "card" },
    el("div", { class: "actions" }, toggle(3600, "Last hour"), toggle(86400, "Last day"),
      el("span", { class: "muted" }, "peak " + seconds(top === 1 && !points.some((p) => p[1] > 0) ? 0 : top))),
    svg,
    el("div", { class: "legend" }, shares.map((s, i) => el("span", { class: "series-" + (i % colors.length) }, "— " + s))));
}

function actionsCard(name, maintenance) {
  // The last action's report stays shown while the page refreshes around it.
  const last = (state.reports || {})[name];
  const report = el("pre", { id: "report", hidden: !last, class: last ? last.class : null }, last ? last.text : "");
  const run = async (title, path, body, typed) => {
    let text = "";
    if (path.endsWith("switchover") || path.endsWith("failback")) {
      const plan = await api("POST", path, Object.assign({}, body, { dryRun: true }));
      text = plan.json.message || plan.json.error || "";
    }
    if (!(await confirmDialog(title, text, typed))) return;
    const answer = await api("POST", path, body);
    const told = answer.json.message || answer.json.error ||
      (answer.json.syncResults ? answer.json.syncResults.map((r) => r.group + "/" + r.share + ": " + (r.ok ? "in step" : r.error)).join("\n") : JSON.stringify(answer.json));
    state.reports = Object.assign(state.reports || {}, { [name]: { class: answer.json.ok ? "ok" : "bad", text: told } });
    report.hidden = false;
    report.className = state.reports[name].class;
    report.textContent = told;
    scheduleRefresh(0);
  };
  const path = (verb) => "groups/" + encodeURIComponent(name) + "/" + verb;
  return el("div", { class: "card" },
    el("div", { class: "actions" },
      el("button", { type: "button", id: "action-sync", onclick: () => run("Sync group " + name + " now?", path("sync")) }, "Sync now"),
      el("button", { type: "button", id: "action-switchover", class: "primary", onclick: () => run("Switch group " + name + " over to its peer?", path("switchover"), {}) }, "Switchover"),
      el("button", { type: "button", id: "action-failback", onclick: () => run("Hand group " + name + " back to its configured primary?", path("failback"), {}) }, "Failback"),
      el("button", { type: "button", id: "action-failover", class: "danger", onclick: () => run("Take group " + name + " over here, now?", path("failover"), { force: false }, name) }, "Failover"),
      el("button", { type: "button", id: "action-maintenance", onclick: () => run(
        maintenance ? "End the maintenance of group " + name + "? Automatic failover comes back." : "Put group " + name + " in maintenance? Automatic failover is held on every node until you end it.",
        path("maintenance"), { on: !maintenance }) }, maintenance ? "End maintenance" : "Maintenance")),
    report);
}

function confirmDialog(title, text, typed) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text || "";
  document.getElementById("confirm-text").hidden = !text;
  const label = document.getElementById("confirm-type-label");
  const input = document.getElementById("confirm-typed");
  label.hidden = !typed;
  input.value = "";
  document.getElementById("confirm-expected").textContent = typed || "";
  const ok = document.getElementById("confirm-ok");
  ok.disabled = !!typed;
  input.oninput = () => { ok.disabled = input.value !== typed; };
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

function archivesCard(group, answer) {
  if (!answer.ok) return el("p", { class: "muted" }, answer.error || "no archives");
  const list = answer.archives || [];
  const restoreReport = el("pre", { id: "restore-report", hidden: true });
  const form = el("form", { class: "inline", id: "restore-form", onsubmit: async (event) => {
    event.preventDefault();
    // Without an archive: the newest version kept (the history, or the last archive).
    const body = { path: form.path.value, archive: form.archive.value || undefined, to: form.to.value || undefined };
    if (!body.archive) body.at = Date.now() / 1000;
    const answer = await api("POST", "restore", body);
    restoreReport.hidden = false;
    restoreReport.className = answer.json.ok ? "ok" : "bad";
    restoreReport.textContent = answer.json.ok ? JSON.stringify(answer.json.restore, null, 1) : answer.json.error;
  } },
    el("label", {}, "Path (group/share/path)", el("input", { name: "path", required: true, placeholder: group + "/share/dir/file" })),
    el("label", {}, "Archive", el("select", { name: "archive" }, el("option", { value: "" }, "latest version"),
      list.map((a) => el("option", { value: a.id }, a.id)))),
    el("label", {}, "Restore to (absolute directory)", el("input", { name: "to", placeholder: "/srv/restored" })),
    may("operator") ? el("button", { type: "submit", class: "primary" }, "Restore") : null);
  return el("div", { class: "card", id: "archives" },
    list.length ? el("div", { class: "scroll" }, el("table", {},
      el("thead", {}, el("tr", {}, ["Archive", "Share", "Series", "Taken", "Files", "Size"].map((t) => el("th", {}, t)))),
      el("tbody", {}, list.map((a) => el("tr", {},
        el("td", {}, a.id), el("td", {}, a.share), el("td", {}, a.series),
        el("td", {}, new Date(a.takenAt).toLocaleString()), el("td", {}, a.files),
        el("td", {}, a.bytes !== undefined ? bytes(a.bytes) : "–")))))) : el("p", { class: "muted" }, "No archives yet."),
    el("h3", {}, "Restore"), form, restoreReport);
}

// The last changes of the group's holder, each with its steps and their timings as the node recorded them.
function takeoversCard(events) {
  const kinds = ["takeover", "takeover-finished", "takeover-failed", "takeover-started"];
  const changes = events.filter((e) => kinds.includes(e.kind)).slice(0, 10);
  if (!changes.length) return el("p", { class: "muted", id: "takeovers" }, "No takeover since the log began.");
  return el("div", { class: "card", id: "takeovers" }, el("ul", { class: "events" }, changes.map((e) => el("li", {},
    el("span", { class: e.level === "error" ? "bad" : "muted" }, new Date(e.time).toLocaleString() + " "),
    el("span", { class: "badge" }, e.kind),
    el("ul", {}, e.message.split("; ").map((step) => el("li", {}, step)))))));
}

function conflictsCard(answer) {
  const open = answer.conflicts || [];
  if (!answer.ok) return el("p", { class: "muted" }, answer.error || "–");
  if (!open.length) return el("p", { class: "muted", id: "conflicts" }, "No open conflicts.");
  const report = el("pre", { hidden: true });
  const resolve = async (conflict, keep) => {
    const path = conflict.share + "/" + conflict.path;
    if (!(await confirmDialog("Resolve " + path + ": keep " + keep + "?", keep === "local"
      ? "This node's version stays; " + conflict.node + "'s copy is removed."
      : keep === "remote" ? conflict.node + "'s version replaces this node's." : "Both versions stay, side by side."))) return;
    const answer = await api("POST", "conflicts/resolve", { path, keep });
    report.hidden = false;
    report.className = answer.json.ok ? "ok" : "bad";
    report.textContent = answer.json.message || answer.json.error;
    scheduleRefresh(0);
  };
  return el("div", { class: "card", id: "conflicts" }, el("div", { class: "scroll" }, el("table", {},
    el("thead", {}, el("tr", {}, ["File", "Why", "Other version", ""].map((t) => el("th", {}, t)))),
    el("tbody", {}, open.map((c) => el("tr", {},
      el("td", {}, c.share + "/" + c.path), el("td", {}, c.reason),
      el("td", {}, c.node + ": " + bytes(c.copySize) + ", " + new Date(c.copyModified).toLocaleString()),
      el("td", {}, may("operator") ? el("div", { class: "actions" }, ["local", "remote", "both"].map((keep) =>
        el("button", { type: "button", onclick: () => resolve(c, keep) }, "Keep " + keep))) : "")))))), report);
}

function historyCard(group) {
  const list = el("div", { id: "history-list" });
  const form = el("form", { class: "inline", id: "history-form", onsubmit: async (event) => {
    event.preventDefault();
    const path = form.path.value;
    const answer = await api("GET", "history?path=" + encodeURIComponent(path));
    if (!answer.json.ok) { list.replaceChildren(el("p", { class: "bad" }, answer.json.error)); return; }
    const versions = answer.json.history || [];
    list.replaceChildren(versions.length ? el("div", { class: "scroll" }, el("table", {},
      el("thead", {}, el("tr", {}, ["Version until", "Why it was replaced", "Size", "Modified", ""].map((t) => el("th", {}, t)))),
      el("tbody", {}, versions.map((v) => el("tr", {},
        el("td", {}, new Date(v.until).toLocaleString()), el("td", {}, v.reason), el("td", {}, bytes(v.size)),
        el("td", {}, new Date(v.modified).toLocaleString()),
        el("td", {}, may("operator") ? el("button", { type: "button", onclick: async () => {
          const to = window.prompt("Restore this version into which directory (absolute)?", "/var/tmp/restored");
          if (!to) return;
          const at = new Date(v.until).getTime() / 1000 - 0.001;
          const done = await api("POST", "restore", { path, at, to });
          list.append(el("pre", { class: done.json.ok ? "ok" : "bad" }, done.json.ok ? JSON.stringify(done.json.restore, null, 1) : done.json.error));
        } }, "Restore") : "")))))) : el("p", { class: "muted" }, "No earlier versions kept of " + path + "."));
  } },
    el("label", {}, "Path (group/share/path)", el("input", { name: "path", required: true, placeholder: group + "/share/dir/file" })),
    el("button", { type: "submit" }, "Show versions"));
  return el("div", { class: "card" }, form, list);
}

function eventList(events) {
  if (!events.length) return el("p", { class: "muted" }, "No events.");
  return el("ul", { class: "events card" }, events.map((e) => el("li", {},
    el("span", { class: e.level === "error" ? "bad" : e.level === "warning" ? "warn" : "muted" }, new Date(e.time).toLocaleString() + " "),
    el("span", { class: "badge" }, e.kind), " ", e.message, e.user ? el("span", { class: "muted" }, " — " + e.user) : "")));
}

async function eventsView() {
  const answer = await api("GET", "events?limit=200");
  show(el("h1", {}, "Events"), eventList(answer.json.events || []));
}

async function usersView() {
  if (!may("admin")) { show(el("p", { class: "error" }, "Only admins manage users.")); return; }
  const [users, tokens] = await Promise.all([api("GET", "users"), api("GET", "tokens")]);
  const message = el("p", { class: "error", id: "users-message" });
  const userForm = el("form", { class: "inline", id: "user-form", onsubmit: async (event) => {
    event.preventDefault();
    const answer = await api("POST", "users", { name: userForm.name.value, role: userForm.role.value, password: userForm.password.value });
    message.textContent = answer.json.ok ? "" : answer.json.error;
    if (answer.json.ok) usersView();
  } },
    el("label", {}, "Name", el("input", { name: "name", required: true })),
    el("label", {}, "Role", el("select", { name: "role" }, ["viewer", "operator", "admin"].map((r) => el("option", { value: r }, r)))),
    el("label", {}, "Password", el("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" })),
    el("button", { type: "submit", class: "primary" }, "Add user"));
  const secret = el("div", {});
  const tokenForm = el("form", { class: "inline", onsubmit: async (event) => {
    event.preventDefault();
    const days = parseFloat(tokenForm.days.value);
    const answer = await api("POST", "tokens", { name: tokenForm.name.value, role: tokenForm.role.value, expiresIn: days > 0 ? days * 86400 : undefined });
    if (!answer.json.ok) { message.textContent = answer.json.error; return; }
    await usersView();
    document.getElementById("token-secret").replaceChildren(el("p", {}, "The token, shown this once:"), el("div", { class: "secret" }, answer.json.secret));
  } },
    el("label", {}, "Name", el("input", { name: "name", required: true })),
    el("label", {}, "Role", el("select", { name: "role" }, ["viewer", "operator", "admin"].map((r) => el("option", { value: r }, r)))),
    el("label", {}, "Valid days (empty: until revoked)", el("input", { name: "days", type: "number", min: "0" })),
    el("button", { type: "submit", class: "primary" }, "Create token"));
  show(el("h1", {}, "Users"), message,
    el("div", { class: "scroll" }, el("table", { id: "users" }, el("thead", {}, el("tr", {}, ["User", "Role", "Password set", ""].map((t) => el("th", {}, t)))),
      el("tbody", {}, (users.json.users || []).map((u) => el("tr", {}, el("td", {}, u.name), el("td", {}, u.role),
        el("td", {}, new Date(u.passwordChangedAt).toLocaleString()),
        el("td", {}, el("button", { type: "button", onclick: async () => {
          if (!(await confirmDialog("Remove user " + u.name + "?", ""))) return;
          const answer = await api("DELETE", "users/" + encodeURIComponent(u.name));
          message.textContent = answer.json.ok ? "" : answer.json.error;
          usersView();
        } }, "Remove"))))))),
    el("div", { class: "card" }, userForm),
    el("h2", {}, "API tokens"),
    el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, ["Id", "Name", "Role", "State", "Created by", "Expires", ""].map((t) => el("th", {}, t)))),
      el("tbody", {}, (tokens.json.tokens || []).map((t) => el("tr", {}, el("td", {}, t.id), el("td", {}, t.name), el("td", {}, t.role),
        el("td", { class: t.state === "active" ? "ok" : "muted" }, t.state), el("td", {}, t.createdBy),
        el("td", {}, t.expiresAt ? new Date(t.expiresAt).toLocaleString() : "never"),
        el("td", {}, t.state === "active" ? el("button", { type: "button", onclick: async () => {
          await api("DELETE", "tokens/" + encodeURIComponent(t.id));
          usersView();
        } }, "Revoke") : "")))))),
    el("div", { class: "card" }, tokenForm, el("div", { id: "token-secret" }, secret)));
}

window.addEventListener("hashchange", () => route());
// The event stream ends with the page, at once, not when the node next writes to it.
window.addEventListener("pagehide", () => { if (state.stream) { state.stream.close(); state.stream = null; } });
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("login-form").addEventListener("submit", signIn);
  document.getElementById("signout").addEventListener("click", signOut);
  start();
});

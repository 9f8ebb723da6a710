// earshot dashboard: plain browser JavaScript, no dependencies, works offline.
// Live data comes from the SSE stream /api/events; /api/status and /health are
// polled for what events do not carry (models, MQTT, counters).
// Every untrusted string is written with textContent, never as HTML.
import { clockTime, StreamLabels, streamTime, wallTime } from "./streams.js";

const $ = (id) => document.getElementById(id);
const PLOT_SECONDS = 10;
const MAX_LOG = 300;
const COLORS = ["#d97706", "#db2777", "#7c3aed", "#059669", "#0891b2"];
const VAD_COLOR = "#2563eb";

const state = {
  levels: [], // { t, vad, db, wake: { id: score } }
  wakeIds: [],
  wakeThreshold: {},
  vadThreshold: 0.5,
  lastT: 0,
  levelCount: 0,
  eventCount: 0,
  lastWake: null,
  lastTranscript: null,
  lastIntent: null,
  devices: new Map(),
  drawPending: false,
  // The plot follows one source: an upload while its levels arrive, else the live one.
  plotKey: "live",
  plotLabel: "live",
  lastUploadLevel: 0,
};
const streams = new StreamLabels();

// ---------- token ----------
const TOKEN_KEY = "earshot-token";
function readToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  $("token").value = sessionStorage.getItem(TOKEN_KEY) ?? "";
}
// A link to #token=... on the open page changes only the fragment: read it then too.
globalThis.addEventListener("hashchange", readToken);
$("token").addEventListener("input", () => {
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
});
$("token-form").addEventListener("submit", (e) => e.preventDefault());

// ---------- helpers ----------
function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
const fmt = (v, digits = 2) => (typeof v === "number" ? v.toFixed(digits) : "–");
const ms = (v) => (typeof v === "number" ? `${Math.round(v)} ms` : "–");
function slotsText(slots) {
  return Object.entries(slots ?? {}).map(([k, v]) => `${k}=${v}`).join(" ");
}

/** The registry's spoken name of a device id, once the status told it; else the id. */
function deviceName(id) {
  return state.devices.get(id)?.name ?? id;
}

function describe(e) {
  switch (e.type) {
    case "source":
      return `${e.state} ${e.source}${e.reason ? ` (${e.reason})` : ""}`;
    case "vad":
      return `speech ${e.state} (p=${fmt(e.probability)})`;
    case "wake":
      return `${e.phrase || e.model} score ${fmt(e.score)}`;
    case "transcript":
      return `"${e.text}" conf ${fmt(e.confidence)}${e.rejected ? " REJECTED" : ""} · decode ${
        ms(e.decodeMs)
      }`;
    case "intent":
      return `${e.name} ${slotsText(e.slots)} · "${e.text}" (${e.origin})`;
    case "publish":
      return `${deviceName(e.device)} → ${e.topic} ${e.payload}${e.queued ? " (queued)" : ""}`;
    case "confirm":
      return `${deviceName(e.device)} ${e.confirmed ? "confirmed" : "NOT confirmed"} in ${
        ms(e.latencyMs)
      }${e.reason ? ` (${e.reason})` : ""}`;
    case "error":
      return `${e.stage}: ${e.message}`;
    default:
      return JSON.stringify(e);
  }
}

// ---------- event log ----------
// Each row: wall-clock time, the source (live, upload n, typed n), the stream time on that
// source's own timeline, the type and what happened. Sources never share a timeline.
function logEvent(e) {
  const src = streams.of(e);
  const li = el("li", undefined, {
    "data-type": e.type,
    "data-source": src.label,
    "data-kind": src.kind,
    ...(e.session ? { "data-session": e.session } : {}),
  });
  li.append(
    el("time", wallTime(e), { class: "wall", ...(e.at ? { datetime: e.at, title: e.at } : {}) }),
    el("span", src.label, { class: `source ${src.kind}`, title: e.session ?? "live audio source" }),
    el("span", streamTime(e, src.kind), { class: "stream", title: `stream time on ${src.label}` }),
    el("span", e.type, { class: "type" }),
    el("span", describe(e), { class: "what" }),
  );
  if ((e.type === "vad" || e.type === "source") && !$("show-vad").checked) {
    li.classList.add("hidden");
  }
  const log = $("log");
  log.prepend(li);
  while (log.children.length > MAX_LOG) log.lastElementChild.remove();
}
$("show-vad").addEventListener("change", () => {
  for (const li of $("log").querySelectorAll('li[data-type="vad"], li[data-type="source"]')) {
    li.classList.toggle("hidden", !$("show-vad").checked);
  }
});

// ---------- latency panel ----------
function setFact(id, text) {
  $(id).textContent = text;
}
function onWake(e) {
  state.lastWake = e;
  const src = streams.of(e);
  setFact(
    "last-wake",
    `${e.phrase || e.model} · score ${fmt(e.score)} · ${src.label} at ${fmt(e.t)} s`,
  );
}
function onTranscript(e) {
  state.lastTranscript = e;
  setFact(
    "last-transcript",
    `"${e.text}" · conf ${fmt(e.confidence)}${e.rejected ? " (rejected)" : ""} · decode ${
      ms(e.decodeMs)
    } · endpoint ${ms((e.t - e.end) * 1000)}`,
  );
}
function onIntent(e) {
  state.lastIntent = e;
  // Wake and intent on the same timeline only: an upload's wake says nothing of a live intent.
  const wake = state.lastWake;
  const same = wake && streams.of(wake).key === streams.of(e).key;
  const sinceWake = e.origin === "asr" && same && e.t >= wake.t
    ? ` · wake→intent ${ms((e.t - wake.t) * 1000)}`
    : "";
  setFact("last-intent", `${e.name} ${slotsText(e.slots)} (${e.origin})${sinceWake}`);
}

// ---------- devices ----------
// Names and areas are the registry's (the words people say); the state comes in words from
// the server (devices/state_text.ts), never as JSON.
const DEVICE_COLUMNS = [
  "Device",
  "Area",
  "Type",
  "State",
  "Availability",
  "Changed",
  "Last command",
];
function commandText(d) {
  if (!d.lastCommand) return "–";
  const when = clockTime(d.lastCommand.at);
  const prefix = when === "–" ? "" : `${when} · `;
  if (d.lastCommand.queued && d.confirmed === undefined) return `${prefix}queued (broker down)`;
  if (d.confirmed === undefined || d.confirmed === null) return `${prefix}waiting`;
  if (d.confirmed) {
    return `${prefix}confirmed${typeof d.latencyMs === "number" ? ` in ${ms(d.latencyMs)}` : ""}`;
  }
  return `${prefix}not confirmed${d.reason ? ` (${d.reason})` : ""}`;
}
function byAreaThenName(a, b) {
  const areaA = a.areaName ?? a.area;
  const areaB = b.areaName ?? b.area;
  if (areaA !== areaB) {
    if (areaA === undefined) return 1;
    if (areaB === undefined) return -1;
    return areaA.localeCompare(areaB);
  }
  return (a.name ?? a.id).localeCompare(b.name ?? b.id);
}
function renderDevices() {
  const body = $("devices").tBodies[0];
  body.replaceChildren();
  if (!state.devices.size) {
    const tr = el("tr", undefined, { class: "empty" });
    tr.append(
      el("td", "no devices yet", { colspan: String(DEVICE_COLUMNS.length), class: "muted" }),
    );
    body.append(tr);
    return;
  }
  const rows = [...state.devices.entries()].map(([id, d]) => ({ ...d, id }));
  for (const d of rows.sort(byAreaThenName)) {
    const tr = el("tr", undefined, { "data-device": d.id });
    const availability = ["online", "offline"].includes(d.availability)
      ? d.availability
      : "unknown";
    const cells = [
      el("td", d.name ?? d.id, { title: d.id }),
      el("td", d.areaName ?? d.area ?? "–"),
      el("td", d.type ?? "–"),
      el("td", typeof d.stateText === "string" ? d.stateText : "unknown", { class: "state" }),
      el("td"),
      el("td", clockTime(d.changedAt), d.changedAt ? { title: d.changedAt } : {}),
      el("td", commandText(d)),
    ];
    cells[4].append(el("span", availability, { class: `avail ${availability}` }));
    cells.forEach((td, i) => td.setAttribute("data-label", DEVICE_COLUMNS[i]));
    tr.append(...cells);
    body.append(tr);
  }
}
function deviceOf(name) {
  if (!state.devices.has(name)) state.devices.set(name, {});
  return state.devices.get(name);
}

// ---------- plot ----------
function onLevel(e) {
  state.levelCount++;
  document.body.dataset.levels = String(state.levelCount);
  const src = streams.of(e);
  const now = Date.now();
  if (src.kind !== "live") state.lastUploadLevel = now;
  // An upload takes the plot while its levels arrive; the live source gets it back after.
  const follow = src.key === state.plotKey ||
    src.kind !== "live" || now - state.lastUploadLevel > 3000;
  if (!follow) return;
  if (src.key !== state.plotKey) {
    state.plotKey = src.key;
    state.plotLabel = src.label;
    state.levels = [];
    state.lastT = 0;
  }
  $("plot-source").textContent = src.label;
  // A restarted source starts again at t = 0.
  if (e.t + 0.5 < state.lastT) state.levels = [];
  state.lastT = e.t;
  state.levels.push(e);
  for (const id of Object.keys(e.wake ?? {})) {
    if (!state.wakeIds.includes(id)) {
      state.wakeIds.push(id);
      renderLegend();
    }
  }
  const cutoff = e.t - PLOT_SECONDS;
  while (state.levels.length && state.levels[0].t < cutoff) state.levels.shift();
  $("db").textContent = fmt(e.db, 1);
  $("streamtime").textContent = fmt(e.t, 1);
  schedulePlot();
}
function renderLegend() {
  const legend = $("legend");
  legend.replaceChildren();
  const item = (color, text) => {
    const span = el("span");
    const swatch = el("i");
    swatch.style.background = color;
    span.append(swatch, document.createTextNode(text));
    legend.append(span);
  };
  item(VAD_COLOR, "VAD probability");
  state.wakeIds.forEach((id, i) => item(COLORS[i % COLORS.length], `wake: ${id}`));
}
function schedulePlot() {
  if (state.drawPending) return;
  state.drawPending = true;
  requestAnimationFrame(() => {
    state.drawPending = false;
    drawPlot();
  });
}
function drawPlot() {
  const canvas = $("plot");
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || 900;
  const h = canvas.clientHeight || 220;
  if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
  if (canvas.height !== Math.round(h * dpr)) canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const pad = { l: 30, r: 8, t: 8, b: 18 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  const end = Math.max(state.lastT, PLOT_SECONDS);
  const start = end - PLOT_SECONDS;
  const x = (t) => pad.l + ((t - start) / PLOT_SECONDS) * pw;
  const y = (v) => pad.t + (1 - Math.max(0, Math.min(1, v))) * ph;
  const muted = getComputedStyle(document.body).getPropertyValue("--muted") || "#888";
  ctx.strokeStyle = muted;
  ctx.fillStyle = muted;
  ctx.globalAlpha = 0.35;
  ctx.lineWidth = 1;
  ctx.font = "10px system-ui, sans-serif";
  for (const v of [0, 0.5, 1]) {
    ctx.beginPath();
    ctx.moveTo(pad.l, y(v));
    ctx.lineTo(w - pad.r, y(v));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  for (const v of [0, 0.5, 1]) ctx.fillText(v.toFixed(1), 4, y(v) + 3);
  for (let s = Math.ceil(start); s <= end; s += 2) ctx.fillText(`${s}s`, x(s) - 6, h - 4);
  // Wake thresholds.
  ctx.setLineDash([4, 4]);
  state.wakeIds.forEach((id, i) => {
    const th = state.wakeThreshold[id];
    if (typeof th !== "number") return;
    ctx.strokeStyle = COLORS[i % COLORS.length];
    ctx.beginPath();
    ctx.moveTo(pad.l, y(th));
    ctx.lineTo(w - pad.r, y(th));
    ctx.stroke();
  });
  ctx.setLineDash([]);
  const line = (color, value) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    let first = true;
    for (const p of state.levels) {
      const v = value(p);
      if (typeof v !== "number") continue;
      if (first) ctx.moveTo(x(p.t), y(v));
      else ctx.lineTo(x(p.t), y(v));
      first = false;
    }
    ctx.stroke();
  };
  line(VAD_COLOR, (p) => p.vad);
  state.wakeIds.forEach((id, i) => line(COLORS[i % COLORS.length], (p) => p.wake?.[id]));
}

// ---------- live events ----------
function onEvent(e) {
  state.eventCount++;
  document.body.dataset.events = String(state.eventCount);
  switch (e.type) {
    case "level":
      onLevel(e);
      return;
    case "vad":
      $("speaking").textContent = e.state === "start" ? "speech" : "silence";
      break;
    case "wake":
      onWake(e);
      break;
    case "transcript":
      onTranscript(e);
      break;
    case "intent":
      onIntent(e);
      break;
    case "publish": {
      const d = deviceOf(e.device);
      d.lastCommand = { payload: e.payload, topic: e.topic, queued: e.queued, at: e.at };
      d.confirmed = undefined;
      setFact("last-publish", `${e.device} → ${e.payload}${e.queued ? " (queued)" : ""}`);
      renderDevices();
      break;
    }
    case "confirm": {
      const d = deviceOf(e.device);
      d.confirmed = e.confirmed;
      d.latencyMs = e.latencyMs;
      d.reason = e.reason;
      setFact("last-confirm", describe(e));
      renderDevices();
      break;
    }
  }
  logEvent(e);
  if (e.type !== "vad" && e.type !== "source") refreshSoon();
}

// Counters and latencies come from /api/status: refresh shortly after activity.
let refreshTimer;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(pollStatus, 250);
}

let source;
let lastId;
function connect() {
  // First connection: the recent history; after an overflow: exactly what was missed.
  // (EventSource's own reconnects send Last-Event-ID, which the server prefers over replay.)
  source = new EventSource(
    lastId === undefined ? "/api/events?replay=100" : `/api/events?lastEventId=${lastId}`,
  );
  source.onopen = () => {
    $("connection").textContent = "live";
    $("connection").className = "badge ok";
  };
  source.onerror = () => {
    $("connection").textContent = "reconnecting…";
    $("connection").className = "badge bad";
  };
  source.onmessage = (m) => {
    if (m.lastEventId) lastId = Number(m.lastEventId);
    try {
      onEvent(JSON.parse(m.data));
    } catch (err) {
      console.error("bad event", err);
    }
  };
  source.addEventListener("overflow", () => {
    // The server dropped us for being slow; reconnect with what it still holds.
    source.close();
    setTimeout(connect, 1000);
  });
}

// ---------- polling ----------
async function pollStatus() {
  try {
    const res = await fetch("/api/status");
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const s = await res.json();
    $("version").textContent = `v${s.version} · up ${Math.round(s.uptimeSeconds)} s`;
    const m = s.mqtt;
    $("mqtt").textContent = m
      ? `${m.connected ? "connected" : "disconnected"}${m.url ? ` to ${m.url}` : ""}${
        m.queued ? `, ${m.queued} queued` : ""
      }`
      : "not configured";
    const a = s.audio ?? {};
    // A restarting or ended source says why ("arecord exited (code 0); retry in 500 ms").
    $("audio").textContent = [a.source ?? a.kind, a.state, a.reason && `(${a.reason})`]
      .filter(Boolean).join(" ") || "–";
    for (const model of s.models ?? []) {
      if (model.kind === "wake" && typeof model.thresholds?.wake === "number") {
        state.wakeThreshold[model.id] = model.thresholds.wake;
      }
    }
    const models = $("models");
    models.replaceChildren();
    for (const model of s.models ?? []) {
      const bits = model.bitWidths
        ? Object.entries(model.bitWidths).map(([k, v]) => `${v} weights ${k}-bit`)
          .join(", ")
        : "";
      const size = typeof model.sizeBytes === "number"
        ? `${(model.sizeBytes / 1024).toFixed(1)} KiB`
        : "missing";
      models.append(el("li", `${model.kind} ${model.id}: ${size}${bits ? ` · ${bits}` : ""}`));
    }
    const c = s.counters ?? {};
    const counters = $("counters");
    counters.replaceChildren();
    const fact = (k, v) => counters.append(el("dt", k), el("dd", String(v)));
    const sum = (o) => Object.values(o ?? {}).reduce((a, b) => a + b, 0);
    fact("wakes", sum(c.wakes));
    fact(
      "transcripts",
      `${c.transcripts?.accepted ?? 0} accepted, ${c.transcripts?.rejected ?? 0} rejected`,
    );
    fact("intents", sum(c.intents));
    fact("publishes", `${c.publishes?.sent ?? 0} sent, ${c.publishes?.queued ?? 0} queued`);
    fact("errors", sum(c.errors));
    const last = s.last ?? {};
    if (last.transcript && typeof last.transcript.endpointDelayMs === "number") {
      onTranscript(last.transcript.event);
    }
    if (last.publish && typeof last.publish.sinceIntentWallMs === "number") {
      const p = last.publish.event;
      setFact(
        "last-publish",
        `${p.device} → ${p.payload}${p.queued ? " (queued)" : ""} · intent→publish ${
          ms(last.publish.sinceIntentWallMs)
        }`,
      );
    }
    for (const [name, d] of Object.entries(s.devices ?? {})) {
      state.devices.set(name, { ...deviceOf(name), ...d });
    }
    renderDevices();
  } catch (err) {
    $("version").textContent = `status unavailable (${err.message})`;
  }
}
async function pollHealth() {
  const box = $("health");
  try {
    const res = await fetch("/health");
    const h = await res.json();
    box.replaceChildren();
    for (const [name, check] of Object.entries(h.checks ?? {})) {
      box.append(el("span", name, {
        class: `badge ${check.ok ? "ok" : "bad"}`,
        title: check.detail ?? (check.ok ? "ok" : "failing"),
      }));
    }
  } catch {
    box.replaceChildren(el("span", "health unavailable", { class: "badge bad" }));
  }
}

// ---------- control ----------
function showResult(text, error = false) {
  const p = $("control-result");
  p.textContent = text;
  p.className = error ? "error" : "muted";
}
async function post(url, body, headers) {
  const token = $("token").value.trim();
  if (!token) throw new Error("enter the API token first");
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { ...headers, Authorization: `Bearer ${token}` },
  });
  const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(data.error ?? `HTTP ${res.status}`);
  return data;
}
function summary(events) {
  const intents = events.filter((e) => e.type === "intent").map((e) => e.name);
  const wakes = events.filter((e) => e.type === "wake").length;
  return `${events.length} events, ${wakes} wake, intents: ${intents.join(", ") || "none"}`;
}
$("command-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("command").value.trim();
  if (!text) return;
  const button = e.submitter ?? e.target.querySelector("button");
  button.disabled = true;
  try {
    const data = await post("/api/command", JSON.stringify({ text }), {
      "Content-Type": "application/json",
    });
    if (data.understood === false) {
      showResult(`command not understood: "${data.text}"`, true);
    } else {
      const extra = [data.answer, ...(data.errors ?? [])].filter(Boolean).join("; ");
      showResult(
        `command: ${summary(data.events)} (${ms(data.wallMs)})${extra ? ` · ${extra}` : ""}`,
        (data.errors ?? []).length > 0,
      );
    }
  } catch (err) {
    showResult(`command failed: ${err.message}`, true);
  } finally {
    button.disabled = false;
  }
});
$("audio-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = $("audio-file").files[0];
  if (!file) {
    showResult("choose a WAV file first", true);
    return;
  }
  const button = e.submitter ?? e.target.querySelector("button");
  button.disabled = true;
  showResult(`processing ${file.name}…`);
  try {
    const data = await post("/api/audio", file, { "Content-Type": "audio/wav" });
    if (data.session) {
      streams.name(data.session, file.name);
      const label = streams.labelOf(data.session) ?? "";
      if (label) {
        for (
          const span of $("log").querySelectorAll(`li[data-session="${data.session}"] .source`)
        ) {
          span.textContent = label;
        }
      }
    }
    showResult(
      `${file.name}: ${fmt(data.file.seconds, 1)} s of audio in ${ms(data.wallMs)} (RTF ${
        fmt(data.realTimeFactor, 3)
      }): ${summary(data.events)}`,
    );
    document.body.dataset.uploads = String(Number(document.body.dataset.uploads ?? 0) + 1);
  } catch (err) {
    showResult(`upload failed: ${err.message}`, true);
  } finally {
    button.disabled = false;
  }
});

readToken();
renderLegend();
drawPlot();
connect();
pollStatus();
pollHealth();
setInterval(pollStatus, 2000);
setInterval(pollHealth, 5000);

/* The recordings page: search, then play a recording with its tags as marks on the timeline. */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("rec-search"), body = document.querySelector("#rec-table tbody");
  const audio = $("player-audio"), marks = $("timeline-marks"), progress = $("timeline-progress");
  const state = { playing: null };

  function message(node, text) { node.textContent = text || ""; node.hidden = !text; }
  const localDateTime = (iso) => new Date(SD.parseTime(iso)).toLocaleString([], {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });

  async function loadOptions() {
    const result = await SD.api("GET", "/api/recordings/options");
    if (!result.ok) { message($("rec-message"), result.data.error); return; }
    for (const a of result.data.agents) $("rec-agent").append(SD.el("option", { value: a.username }, a.name));
    for (const q of result.data.queues) $("rec-queue").append(SD.el("option", { value: q.name }, q.label));
  }

  /** The search as query parameters; dates are the supervisor's local days, sent as UTC instants. */
  function query() {
    const params = new URLSearchParams();
    for (const name of ["agent", "number", "queue", "tag"]) {
      const value = form.elements[name].value.trim();
      if (value) params.set(name, value);
    }
    const day = (value, next) => {
      const [y, m, d] = value.split("-").map(Number);
      return new Date(y, m - 1, d + (next ? 1 : 0)).toISOString();
    };
    const from = $("rec-from").value, to = $("rec-to").value;
    if (from && to && to < from) return { error: "The end date comes before the start date." };
    if (from) params.set("from", day(from, false));
    if (to) params.set("to", day(to, true)); // the whole last day
    return { params };
  }

  async function search() {
    const built = query();
    if (built.error) { message($("rec-message"), built.error); return; }
    message($("rec-message"), "");
    const button = $("rec-search-button");
    button.disabled = true;
    const result = await SD.api("GET", "/api/recordings?" + built.params.toString());
    button.disabled = false;
    if (!result.ok) { message($("rec-message"), result.data.error); return; }
    const found = result.data.recordings;
    $("rec-count").textContent = found.length === 0 ? "No recording matches."
      : `${found.length} recording${found.length === 1 ? "" : "s"}${result.data.more ? " (the newest; narrow the search to see others)" : ""}.`;
    body.replaceChildren(...found.map(row));
  }

  function row(rec) {
    const play = SD.el("button", { type: "button", class: "btn act-play", "aria-label": `Play the recording of ${localDateTime(rec.started_at)}` }, "Play");
    play.addEventListener("click", () => open(rec));
    return SD.el("tr", { dataset: { recordingId: rec.id } },
      SD.el("td", {}, localDateTime(rec.started_at)),
      SD.el("td", { class: "num" }, rec.duration === null ? "recording…" : SD.duration(rec.duration)),
      SD.el("td", {}, rec.agent_name || "–"),
      SD.el("td", {}, rec.queue || "–"),
      SD.el("td", {}, rec.ani || "–"),
      SD.el("td", {}, rec.dnis || "–"),
      SD.el("td", { class: "rec-tags" }, rec.tags.map((t) => t.text).join(" · ") || "–"),
      SD.el("td", {}, play));
  }

  function open(rec) {
    state.playing = rec;
    $("player").hidden = false;
    $("player-title").textContent = `Recording of ${localDateTime(rec.started_at)}`;
    $("player-facts").textContent = [rec.agent_name, rec.queue, rec.ani && `from ${rec.ani}`, rec.dnis && `to ${rec.dnis}`]
      .filter(Boolean).join(" · ");
    message($("player-message"), "");
    audio.src = rec.audio;
    drawMarks();
    $("player-tags").replaceChildren(...rec.tags.map((t, i) => {
      const jump = SD.el("button", { type: "button", class: "btn btn-quiet tag-jump", dataset: { offset: t.offset_seconds, index: i } },
        SD.duration(t.offset_seconds));
      jump.addEventListener("click", () => seek(t.offset_seconds));
      return SD.el("li", {}, jump, " ", t.text, t.agent ? SD.el("span", { class: "hint" }, ` — ${t.agent}`) : "");
    }));
    audio.play().catch(() => { /* the player's own button still works */ });
    $("player").scrollIntoView({ block: "nearest" });
  }

  /** How long the recording is: the file's own length once known, else the database's. */
  function length() {
    return Number.isFinite(audio.duration) && audio.duration > 0 ? audio.duration : (state.playing && state.playing.duration) || 0;
  }

  function drawMarks() {
    const rec = state.playing;
    if (!rec) return;
    const total = length();
    marks.replaceChildren(...rec.tags.map((t, i) => {
      const where = total ? Math.min(100, (100 * t.offset_seconds) / total) : 0;
      const mark = SD.el("button", { type: "button", class: "timeline-mark", title: `${SD.duration(t.offset_seconds)} — ${t.text}`,
        "aria-label": `Go to ${SD.duration(t.offset_seconds)}: ${t.text}`, dataset: { offset: t.offset_seconds, index: i } });
      mark.style.left = `${where}%`;
      mark.addEventListener("click", () => seek(t.offset_seconds));
      return mark;
    }));
  }

  function seek(seconds) {
    audio.currentTime = seconds;
    audio.play().catch(() => {});
  }

  audio.addEventListener("loadedmetadata", drawMarks);
  audio.addEventListener("timeupdate", () => {
    const total = length();
    progress.style.width = total ? `${Math.min(100, (100 * audio.currentTime) / total)}%` : "0";
  });
  audio.addEventListener("error", () => {
    if (state.playing) message($("player-message"), "The recording's file could not be played (it may be missing on the server).");
  });

  form.addEventListener("submit", (e) => { e.preventDefault(); search(); });
  form.addEventListener("input", () => message($("rec-message"), ""));
  form.addEventListener("reset", () => setTimeout(search, 0));
  loadOptions().then(search);
})();

/* A small inline SVG chart of the last hour's calls and waits (no library). */
"use strict";

const SDChart = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLOURS = { answered: "#2e7d32", callback_requested: "#6a3d9a", abandoned: "#b3261e", waiting: "#7a8691", avg: "#0b5cad", max: "#8a4b00" };
  const W = 1160, H = 260, M = { top: 34, right: 64, bottom: 34, left: 44 };

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  /** An axis's step: the first of `steps` (then tens of the last) that fits `value` in four steps. */
  function axisStep(value, steps) {
    for (const step of steps) if (step * 4 >= value) return step;
    const last = steps[steps.length - 1];
    return Math.ceil(value / 4 / last) * last;
  }
  const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500];
  const WAIT_STEPS = [15, 30, 60, 120, 300, 600, 900, 1800, 3600];

  const clock = (iso) => new Date(SD.parseTime(iso)).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

  /**
   * Draw `data` (GET /api/supervisor/activity) into `container`: stacked bars of answered,
   * callback-asked, abandoned and waiting calls per bucket (left axis), lines of the average and longest wait
   * (right axis, m:ss).
   */
  function activity(container, data) {
    const buckets = data.buckets || [];
    const n = Math.max(1, buckets.length);
    const plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
    const slot = plotW / n, barW = Math.min(56, slot * 0.62);
    const maxCount = 4 * axisStep(Math.max(0, ...buckets.map((b) => b.offered)), COUNT_STEPS);
    const maxWait = 4 * axisStep(Math.max(0, ...buckets.map((b) => b.max_wait || 0)), WAIT_STEPS);
    const x = (i) => M.left + slot * i + slot / 2;
    const yCount = (c) => M.top + plotH - (c / maxCount) * plotH;
    const yWait = (s) => M.top + plotH - (s / maxWait) * plotH;
    const total = buckets.reduce((sum, b) => sum + b.offered, 0);
    const summary = `${total} call${total === 1 ? "" : "s"} in the last hour: ` +
      `${buckets.reduce((s, b) => s + b.answered, 0)} answered, ` +
      `${buckets.reduce((s, b) => s + (b.callback_requested || 0), 0)} asked for a callback, ` +
      `${buckets.reduce((s, b) => s + b.abandoned, 0)} abandoned.`;

    const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": summary,
      preserveAspectRatio: "xMidYMid meet" });
    // grid and axes
    for (let i = 0; i <= 4; i += 1) {
      const c = (maxCount * i) / 4, y = yCount(c);
      chart.append(svg("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, class: "chart-grid" }));
      chart.append(svg("text", { x: M.left - 8, y: y + 4, "text-anchor": "end", class: "chart-axis" }, c));
      chart.append(svg("text", { x: W - M.right + 8, y: y + 4, class: "chart-axis" }, SD.duration((maxWait * i) / 4)));
    }
    chart.append(svg("text", { x: M.left - 8, y: M.top - 14, "text-anchor": "end", class: "chart-axis chart-unit" }, "calls"));
    chart.append(svg("text", { x: W - M.right + 8, y: M.top - 14, class: "chart-axis chart-unit" }, "wait"));

    buckets.forEach((b, i) => {
      const group = svg("g", { class: "chart-bucket", "data-index": i, "data-offered": b.offered });
      let base = 0;
      for (const part of ["answered", "callback_requested", "abandoned", "waiting"]) {
        const count = b[part] || 0;
        if (!count) continue;
        const top = yCount(base + count), bottom = yCount(base);
        group.append(svg("rect", { x: x(i) - barW / 2, y: top, width: barW, height: Math.max(0, bottom - top),
          fill: COLOURS[part], class: `chart-bar chart-${part}`, "data-count": count }));
        base += count;
      }
      if (b.offered) {
        group.append(svg("text", { x: x(i), y: yCount(b.offered) - 5, "text-anchor": "middle", class: "chart-value" }, b.offered));
      }
      const end = new Date(SD.parseTime(b.start) + (data.bucket_seconds || 300) * 1000).toISOString();
      group.append(svg("title", {}, `${clock(b.start)}–${clock(end)}: ${b.offered} offered, ${b.answered} answered, ` +
        `${b.callback_requested || 0} asked for a callback, ${b.abandoned} abandoned, ${b.waiting} waiting; average wait ${SD.duration(b.avg_wait)}, longest ${SD.duration(b.max_wait)}`));
      if (i % 2 === 0 || n <= 6) {
        group.append(svg("text", { x: x(i), y: H - M.bottom + 18, "text-anchor": "middle", class: "chart-axis" }, clock(b.start)));
      }
      chart.append(group);
    });

    // the wait lines, broken where a bucket has no figure
    for (const [key, cls] of [["avg_wait", "avg"], ["max_wait", "max"]]) {
      let d = "", open = false;
      buckets.forEach((b, i) => {
        const v = b[key];
        if (v === null || v === undefined) { open = false; return; }
        d += `${open ? "L" : "M"}${x(i).toFixed(1)},${yWait(v).toFixed(1)}`;
        open = true;
        chart.append(svg("circle", { cx: x(i), cy: yWait(v), r: 3.5, fill: COLOURS[cls], class: `chart-dot chart-${cls}` }));
      });
      if (d) chart.append(svg("path", { d, fill: "none", stroke: COLOURS[cls], "stroke-width": 2.5,
        "stroke-dasharray": cls === "max" ? "6 4" : "", class: `chart-line chart-line-${cls}` }));
    }

    // legend
    const legend = [["answered", "Answered", "box"], ["callback_requested", "Callback asked", "box"], ["abandoned", "Abandoned", "box"], ["waiting", "Waiting", "box"],
      ["avg", "Average wait", "line"], ["max", "Longest wait", "dash"]];
    let lx = M.left;
    for (const [key, label, kind] of legend) {
      chart.append(kind === "box"
        ? svg("rect", { x: lx, y: 6, width: 12, height: 12, fill: COLOURS[key] })
        : svg("line", { x1: lx, x2: lx + 16, y1: 12, y2: 12, stroke: COLOURS[key], "stroke-width": 2.5,
          "stroke-dasharray": kind === "dash" ? "5 3" : "" }));
      chart.append(svg("text", { x: lx + 20, y: 16, class: "chart-legend" }, label));
      lx += 20 + label.length * 7.5 + 22;
    }
    container.replaceChildren(chart);
    return chart;
  }

  return { activity };
})();

"""The style sheet and the script inlined into ``report.html`` (see :mod:`.html`).

The script only filters what the page already holds: it reads the ``data-*``
attributes the renderer wrote and hides items and answer rows. Without it every
item is shown.
"""

from __future__ import annotations

CSS = """
:root { --right: #1a7f37; --wrong: #cf222e; --muted: #57606a; --line: #d0d7de;
  --bg2: #f6f8fa; --del: #ffd7d5; --ins: #ccffd8; --hl: #fff8c5; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  margin: 0; color: #1f2328; }
header.page, main { max-width: 1200px; margin: 0 auto; padding: 0 16px; }
h1 { font-size: 22px; margin: 16px 0 4px; }
h2 { font-size: 18px; margin: 24px 0 8px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
nav.toc a { margin-right: 12px; }
code { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: var(--bg2);
  padding: 0 3px; border-radius: 3px; }
.tables { overflow-x: auto; }
table.md { border-collapse: collapse; font-size: 12px; margin: 6px 0 10px; }
table.md th, table.md td { border: 1px solid var(--line); padding: 3px 6px; text-align: right; }
table.md th:first-child, table.md td:first-child { text-align: left; }
table.md th { background: var(--bg2); }
p.note { color: var(--muted); font-size: 12px; }
img.chart { max-width: 100%; border: 1px solid var(--line); }
#filters { position: sticky; top: 0; z-index: 2; background: #fff; padding: 8px 0;
  border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 6px 16px;
  align-items: center; }
#filters fieldset { border: 0; margin: 0; padding: 0; display: inline-flex; gap: 8px;
  align-items: center; flex-wrap: wrap; }
#filters legend { float: left; font-weight: 600; margin-right: 6px; }
#summary { flex-basis: 100%; color: var(--muted); font-size: 12px; }
#summary b { color: #1f2328; }
article.item { border: 1px solid var(--line); border-radius: 6px; margin: 12px 0;
  padding: 8px 12px; }
article.item { scroll-margin-top: 120px; }
article.item:target { outline: 3px solid #0969da; }
article.item > header { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; }
article.item > header a.anchor { font-weight: 600; text-decoration: none; }
.tag { background: var(--bg2); border: 1px solid var(--line); border-radius: 10px;
  padding: 0 7px; font-size: 12px; }
.chip { font-size: 12px; padding: 0 6px; border-radius: 10px; color: #fff; }
.chip.right { background: var(--right); } .chip.wrong { background: var(--wrong); }
.label { color: var(--muted); font-size: 12px; font-weight: 600; margin: 6px 0 2px; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.gold { color: var(--muted); font-size: 12px; }
del { background: var(--del); text-decoration: line-through; }
ins { background: var(--ins); text-decoration: none; }
details.raw summary { cursor: pointer; color: var(--muted); font-size: 12px; }
table.answers { width: 100%; border-collapse: collapse; margin-top: 6px; }
table.answers td, table.answers th { border-top: 1px solid var(--line); padding: 4px 6px;
  vertical-align: top; text-align: left; }
table.answers th { width: 120px; white-space: nowrap; }
table.answers td.score { width: 70px; font-weight: 600; }
tr.right td.score { color: var(--right); } tr.wrong td.score { color: var(--wrong); }
table.answers td.answer .text { max-height: 11em; overflow-y: auto; }
table.answers td.meta { width: 230px; color: var(--muted); font-size: 12px; }
.hidden { display: none !important; }
"""

JS = """
(function () {
  "use strict";
  const form = document.getElementById("filters");
  const items = Array.from(document.querySelectorAll("article.item"));
  const search = items.map((el) => el.textContent.toLowerCase());
  const conditions = Array.from(form.querySelectorAll("input[name=condition]"));
  const summary = document.getElementById("summary");

  function value(name) {
    const el = form.elements.namedItem(name);
    return el ? el.value : "";
  }

  function apply() {
    const shown = new Set(conditions.filter((c) => c.checked).map((c) => c.value));
    const task = value("task"), category = value("category"), outcome = value("outcome");
    const text = value("q").trim().toLowerCase();
    const tally = {};
    let visible = 0;
    items.forEach((item, i) => {
      let right = 0, wrong = 0;
      const rows = Array.from(item.querySelectorAll("tr[data-condition]"));
      rows.forEach((row) => {
        const on = shown.has(row.dataset.condition);
        row.classList.toggle("hidden", !on);
        if (on) { if (row.dataset.correct === "1") { right++; } else { wrong++; } }
      });
      item.querySelectorAll("[data-conditions]").forEach((block) => {
        const used = block.dataset.conditions.split(" ");
        block.classList.toggle("hidden", !used.some((c) => shown.has(c)));
      });
      let ok = right + wrong > 0;
      ok = ok && (!task || item.dataset.task === task);
      ok = ok && (!category || item.dataset.category === category);
      if (outcome === "right") { ok = ok && wrong === 0; }
      if (outcome === "wrong") { ok = ok && right === 0; }
      if (outcome === "mixed") { ok = ok && right > 0 && wrong > 0; }
      ok = ok && (!text || search[i].includes(text));
      item.classList.toggle("hidden", !ok);
      if (!ok) { return; }
      visible++;
      rows.forEach((row) => {
        const c = row.dataset.condition;
        if (!shown.has(c)) { return; }
        tally[c] = tally[c] || [0, 0];
        tally[c][0] += row.dataset.correct === "1" ? 1 : 0;
        tally[c][1] += 1;
      });
    });
    const parts = Object.entries(tally).map(
      ([c, [r, n]]) => c + " " + r + "/" + n + " right (" + (100 * r / n).toFixed(1) + "%)");
    summary.innerHTML = "";
    const b = document.createElement("b");
    b.textContent = visible + " of " + items.length + " items shown";
    summary.append(b, parts.length ? " \\u00b7 " + parts.join(" \\u00b7 ") : "");
  }

  function reveal() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (!target || !target.classList.contains("item")) { return; }
    if (target.classList.contains("hidden")) {
      form.reset();
      apply();
    }
    target.scrollIntoView();
  }

  form.addEventListener("input", apply);
  form.addEventListener("reset", () => setTimeout(apply, 0));
  form.addEventListener("submit", (event) => event.preventDefault());
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
})();
"""

// The page: three tabs over the same JSON API; no build step, no external resources.
"use strict";

const $ = (selector) => document.querySelector(selector);
const EXAMPLES = ["客户服务的响应时间标准是多少？", "應急預案包括哪些內容？", "运营交付需要交付哪些文档？", "IT系统故障多久要恢复？"];
const state = { key: sessionStorage.getItem("rag-key") || "", canManage: false, texts: new Map(), history: [] };

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function showError(message) {
  const banner = $("#banner");
  banner.textContent = message;
  banner.hidden = !message;
}

function headers(extra = {}) {
  return state.key ? { ...extra, Authorization: `Bearer ${state.key}` } : extra;
}

async function request(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers) });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
    throw Object.assign(new Error(detail), { status: response.status });
  }
  return response;
}

const getJson = async (path) => (await request(path)).json();
const postJson = (path, body) =>
  request(path, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });

// Server-sent events over a POST response: calls onEvent(name, data) for each event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

// ---- tabs and key ---------------------------------------------------------------------------

function selectTab(name) {
  document.querySelectorAll("nav button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
  document.querySelectorAll(".tab").forEach((s) => { s.hidden = s.id !== `tab-${name}`; });
  showError("");
  if (name === "docs") loadDocuments().catch((e) => showError(e.message));
  if (name === "insights") loadInsights().catch((e) => showError(e.message));
}

async function loadHealth() {
  const health = await getJson("/health");
  $("#key-form").hidden = health.auth !== "api-key";
  state.canManage = Boolean(health.can_manage);
  $("#upload-form").hidden = !state.canManage;
  $("nav button[data-tab=insights]").hidden = !state.canManage;
  if (health.auth === "api-key") {
    $("#key-status").textContent = health.documents == null ? "请输入密钥" : `可查阅 ${health.documents} 个文档`;
  }
  if (health.status === "error") showError(health.detail);
}

// ---- 问答 ----------------------------------------------------------------------------------

function citeLinks(ids, turnIndex) {
  return ids.map((id) => `<a class="cite" href="#" data-turn="${turnIndex}" data-cite="${id}">[${id}]</a>`).join("");
}

function renderTurn(turn, index) {
  const element = document.createElement("div");
  element.className = `turn card${turn.covered === false ? " refusal" : ""}`;
  element.dataset.index = index;
  const sentences = turn.sentences.map((s) => `<p>${escapeHtml(s.text)}${citeLinks(s.citations, index)}</p>`);
  let body = sentences.join("");
  if (turn.covered === false) {
    const topics = turn.closest_topics.length ? `<p class="muted">相近的主题：${turn.closest_topics.map(escapeHtml).join("；")}</p>` : "";
    body = `<p>${escapeHtml(turn.notes[0] || "现有文档未涉及该问题。")}</p>${topics}`;
  }
  const notes = turn.covered ? turn.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join("") : "";
  const sources = (turn.citations || []).map(
    (c) => `<li><a class="cite" href="#" data-turn="${index}" data-cite="${c.id}">[${c.id}]</a> ${escapeHtml(c.section)}：“${escapeHtml(c.quote)}”</li>`,
  );
  const done = turn.covered !== undefined;
  const feedback = done && turn.log_id != null ? `<div class="feedback">
      <button type="button" class="rate${turn.rating === 1 ? " chosen" : ""}" data-rating="1" aria-label="有用">👍</button>
      <button type="button" class="rate${turn.rating === -1 ? " chosen" : ""}" data-rating="-1" aria-label="没用">👎</button>
      <input class="comment" maxlength="500" placeholder="补充说明（可不填）" aria-label="补充说明">
      <span class="muted rated">${turn.rating ? "已收到反馈，谢谢" : ""}</span></div>` : "";
  element.innerHTML = `<div class="q">问：${escapeHtml(turn.question)}</div>
    <div class="answer">${body || '<p class="muted">检索中…</p>'}${notes}</div>
    ${sources.length ? `<ol class="sources">${sources.join("")}</ol>` : ""}
    ${done && turn.covered ? '<div class="tools"><button type="button" class="copy">复制回答和出处</button><span class="muted copied"></span></div>' : ""}${feedback}`;
  return element;
}

function renderConversation() {
  const container = $("#conversation");
  container.replaceChildren(...state.history.map(renderTurn).reverse());
}

function saveHistory() {
  sessionStorage.setItem("rag-history", JSON.stringify(state.history.filter((t) => t.covered !== undefined)));
}

async function ask(question) {
  showError("");
  const turn = { question, sentences: [], citations: [], notes: [], closest_topics: [] };
  state.history.push(turn);
  const index = state.history.length - 1;
  renderConversation();
  const button = $("#ask-form button");
  button.disabled = true;
  try {
    const response = await postJson("/ask", { question, stream: true });
    await readEvents(response, (name, data) => {
      if (name === "sentence") {
        turn.sentences.push({ text: data.text, citations: data.citations.map((c) => c.id) });
        for (const c of data.citations) if (!turn.citations.some((x) => x.id === c.id)) turn.citations.push(c);
      } else if (name === "done") {
        Object.assign(turn, data);
      }
      $("#conversation").querySelector(`[data-index="${index}"]`)?.replaceWith(renderTurn(turn, index));
    });
    saveHistory();
  } catch (error) {
    state.history.pop();
    renderConversation();
    showError(error.message);
  } finally {
    button.disabled = false;
  }
}

async function documentText(docId) {
  if (!state.texts.has(docId)) state.texts.set(docId, getJson(`/documents/${encodeURIComponent(docId)}/text`));
  return state.texts.get(docId);
}

function highlighted(text, start, end) {
  return `${escapeHtml(text.slice(0, start))}<mark>${escapeHtml(text.slice(start, end))}</mark>${escapeHtml(text.slice(end))}`;
}

async function openCitation(turnIndex, citeId) {
  const citation = state.history[turnIndex].citations.find((c) => c.id === citeId);
  if (!citation) return;
  const panel = $("#source-panel");
  $("#source-title").textContent = `[${citation.id}] ${citation.title}`;
  $("#source-section").textContent = citation.section;
  $("#source-context").textContent = citation.quote;
  panel.hidden = false;
  try {
    const doc = await documentText(citation.doc_id);
    const before = doc.text.lastIndexOf("\n\n", citation.start);
    const from = Math.max(0, before >= 0 && citation.start - before < 400 ? before : citation.start - 200);
    const after = doc.text.indexOf("\n\n", citation.end);
    const to = after >= 0 && after - citation.end < 400 ? after : Math.min(doc.text.length, citation.end + 200);
    $("#source-context").innerHTML = highlighted(doc.text.slice(from, to).trim() ? doc.text.slice(from, to) : citation.quote, citation.start - from, citation.end - from);
    $("#source-link").onclick = (event) => { event.preventDefault(); viewDocument(doc, citation.start, citation.end); };
  } catch (error) {
    showError(error.message);
  }
}

function viewDocument(doc, start, end) {
  $("#viewer-title").textContent = doc.title;
  $("#viewer-text").innerHTML = start === undefined ? escapeHtml(doc.text) : highlighted(doc.text, start, end);
  $("#doc-viewer").showModal();
  $("#viewer-text mark")?.scrollIntoView({ block: "center" });
}

function copyTurn(turn) {
  const answer = turn.sentences.map((s) => s.text + s.citations.map((id) => `[${id}]`).join("")).join("\n");
  const sources = turn.citations.map((c) => `[${c.id}] ${c.section}：“${c.quote}”（${c.doc_id}:${c.start}-${c.end}）`);
  const text = `问：${turn.question}\n${answer}\n\n出处：\n${sources.join("\n")}`;
  return navigator.clipboard.writeText(text).then(() => text);
}

// ---- 文档 ----------------------------------------------------------------------------------

async function loadDocuments() {
  const documents = await getJson("/documents");
  const rows = documents.map((d) => `<tr>
      <td><a href="#" class="view" data-doc="${escapeHtml(d.doc_id)}">${escapeHtml(d.title)}</a><div class="muted">${escapeHtml(d.doc_id)}</div></td>
      <td>${d.format}</td><td>${d.chunks}</td><td>${d.groups.map(escapeHtml).join(", ")}</td>
      <td>${escapeHtml(d.version || "—")}${d.effective_date ? `<div class="muted">${d.effective_date} 生效</div>` : ""}</td>
      <td>${escapeHtml(d.indexed_at.replace("T", " ").slice(0, 16))}</td>
      <td>${state.canManage ? `<button type="button" class="delete" data-doc="${escapeHtml(d.doc_id)}">删除</button>` : ""}</td></tr>`);
  $("#doc-table tbody").innerHTML = rows.join("") || '<tr><td colspan="7" class="muted">还没有可查阅的文档。</td></tr>';
}

async function upload() {
  const files = $("#upload-files").files;
  if (!files.length) throw new Error("请选择要上传的文件。");
  const form = new FormData();
  for (const file of files) form.append("files", file);
  for (const [field, input] of [["groups", "#upload-groups"], ["version", "#upload-version"], ["effective_date", "#upload-date"]]) {
    if ($(input).value.trim()) form.append(field, $(input).value.trim());
  }
  if ($("#upload-replace").checked) form.append("replace", "true");
  const result = await (await request("/documents", { method: "POST", body: form })).json();
  const failed = result.failed.map((f) => `<li>${escapeHtml(f.file)}：${escapeHtml(f.reason)}</li>`).join("");
  $("#upload-result").innerHTML = `<p>新增 ${result.added.length}，更新 ${result.updated.length}，未变 ${result.unchanged.length}，跳过 ${result.failed.length}。</p>${failed ? `<ul>${failed}</ul>` : ""}`;
  state.texts.clear();
  await loadDocuments();
}

async function search(query) {
  const result = await (await postJson("/search", { query })).json();
  $("#search-results").innerHTML = result.hits.length
    ? result.hits.map((h) => `<div class="hit"><div class="muted">${escapeHtml(h.section)}</div>${escapeHtml(h.text)}</div>`).join("")
    : '<p class="muted">没有找到匹配的段落。</p>';
}

// ---- 起草 ----------------------------------------------------------------------------------

function draftBody() {
  const topic = $("#draft-topic").value.trim();
  const outline = $("#draft-outline").value.split(/[,，、\n]/).map((s) => s.trim()).filter(Boolean);
  return outline.length ? { topic, outline } : { topic };
}

function renderDraft(draft) {
  const cites = new Map(draft.citations.map((c) => [c.id, c]));
  const mark = (ids) => ids.map((id) => `<sup title="${escapeHtml(cites.get(id)?.quote || "")}">[${id}]</sup>`).join("");
  const sections = draft.sections.map((s, n) => {
    const clauses = s.clauses.map((c) => {
      const options = c.options.length ? `<ul>${c.options.map((o) => `<li>${escapeHtml(o.text)}${mark(o.citations)}</li>`).join("")}</ul>` : "";
      return `<li>${escapeHtml(c.text)}${mark(c.citations)}${options}</li>`;
    });
    return `<h2>${n + 1}. ${escapeHtml(s.section)}</h2>${s.gap ? '<p class="gap">【待补充：现有文档未覆盖】</p>' : `<ol>${clauses.join("")}</ol>`}`;
  });
  const sources = draft.citations.map((c) => `<li>[${c.id}] ${escapeHtml(c.section)}：“${escapeHtml(c.quote)}”</li>`).join("");
  const gaps = draft.gaps.length ? `<div class="card"><strong>缺口报告</strong>：以下章节现有文档未覆盖，需要补充——${draft.gaps.map(escapeHtml).join("、")}</div>` : "";
  $("#draft-output").innerHTML = `<h1>${escapeHtml(draft.topic)}</h1>${sections.join("")}${gaps}<h2>来源</h2><ol class="sources">${sources}</ol>`;
}

async function draft() {
  const body = draftBody();
  if (!body.topic) throw new Error("请输入要起草的主题。");
  $("#draft-output").innerHTML = "";
  $("#draft-actions").hidden = true;
  $("#draft-progress").textContent = "正在检索资料…";
  const response = await postJson("/draft", { ...body, stream: true });
  await readEvents(response, (name, data) => {
    if (name === "section") $("#draft-progress").textContent = `正在起草：已完成 ${data.done}/${data.total} 节（${data.section}）`;
    else if (name === "error") throw new Error(data.detail);
    else if (name === "done") {
      $("#draft-progress").textContent = `起草完成：${data.sections.length} 节，引用 ${data.citations.length} 处。`;
      renderDraft(data);
      $("#draft-actions").hidden = false;
    }
  });
}

async function download(format) {
  const body = draftBody();
  const response = await postJson("/draft", { ...body, format });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${body.topic}.${format === "markdown" ? "md" : "docx"}`;
  document.body.append(link);
  link.click();
  link.remove();
}

// ---- 反馈与洞察 ------------------------------------------------------------------------------

async function rate(button) {
  const element = button.closest(".turn");
  const turn = state.history[Number(element.dataset.index)];
  const rating = Number(button.dataset.rating);
  const comment = element.querySelector(".comment").value.trim();
  await postJson("/feedback", comment ? { log_id: turn.log_id, rating, comment } : { log_id: turn.log_id, rating });
  turn.rating = rating;
  saveHistory();
  element.querySelectorAll("button.rate").forEach((b) => b.classList.toggle("chosen", b === button));
  element.querySelector(".rated").textContent = "已收到反馈，谢谢";
}

async function loadInsights() {
  const data = await getJson("/insights");
  state.insights = data;
  const list = (items) => `<ul>${items.map((q) => `<li>${escapeHtml(q)}</li>`).join("")}</ul>`;
  $("#insights-summary").textContent = `提问 ${data.asked} 次，未能回答 ${data.declined} 次；有用 ${data.rated_up}，没用 ${data.rated_down}。`;
  $("#insights-gaps").innerHTML = data.gaps.map((g, i) => `<div class="card gap-cluster">
      <strong>${escapeHtml(g.words.join(" · "))}</strong><span class="muted count">${g.count} 次</span>${list(g.questions)}
      <button type="button" class="gap-draft" data-gap="${i}">起草此主题的标准</button></div>`).join("")
    || '<p class="muted">暂无未能回答的问题。</p>';
  $("#insights-worst tbody").innerHTML = data.worst_rated.map((r) => `<tr><td>${escapeHtml(r.question)}</td>
      <td>${escapeHtml(r.comment || "—")}</td><td>${r.doc_ids.map(escapeHtml).join(", ") || "—"}</td>
      <td>${escapeHtml(r.asked_at.replace("T", " ").slice(0, 16))}</td></tr>`).join("")
    || '<tr><td colspan="4" class="muted">暂无差评。</td></tr>';
  $("#insights-hot").innerHTML = data.hot.map((h) => `<li>${escapeHtml(h.question)} <span class="muted">${h.count} 次${h.declined ? `，未答 ${h.declined} 次` : ""}</span></li>`).join("");
  $("#insights-hits tbody").innerHTML = data.documents.map((d) => `<tr><td>${escapeHtml(d.title)}</td><td>${d.hits}</td>
      <td>${d.sections.slice(0, 3).map((s) => `${escapeHtml(s.section)}（${s.hits}）`).join("<br>")}</td></tr>`).join("")
    || '<tr><td colspan="3" class="muted">还没有被引用的文档。</td></tr>';
  $("#insights-uncited").innerHTML = data.never_cited.map((d) => `<li>${escapeHtml(d.title)} <span class="muted">${escapeHtml(d.doc_id)}</span></li>`).join("");
}

// A gap cluster becomes a draft: its words are the topic, its questions shown above the draft.
async function draftGap(gap) {
  selectTab("draft");
  $("#draft-topic").value = gap.topic;
  $("#draft-outline").value = "";
  $("#draft-asked").innerHTML = `<strong>员工问过而现有文档未回答的问题（${gap.count} 次）</strong><ul>${gap.questions.map((q) => `<li>${escapeHtml(q)}</li>`).join("")}</ul>`;
  $("#draft-asked").hidden = false;
  try {
    await draft();
  } catch (error) {
    if (error.status !== 422) throw error;
    // No source covers the topic at all: the standard's outline, every section for the writer to fill.
    const outline = state.insights.draft_outline;
    $("#draft-progress").textContent = `现有文档未覆盖“${gap.topic}”：以下章节均待补充。`;
    renderDraft({ topic: gap.topic, sections: outline.map((section) => ({ section, gap: true, clauses: [] })), citations: [], gaps: outline });
  }
}

// ---- wiring --------------------------------------------------------------------------------

function guard(action) {
  return (...args) => Promise.resolve(action(...args)).catch((error) => showError(error.message));
}

document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => selectTab(b.dataset.tab)));
$("#key-form").addEventListener("submit", guard(async (event) => {
  event.preventDefault();
  state.key = $("#key-input").value.trim();
  sessionStorage.setItem("rag-key", state.key);
  state.texts.clear();
  await loadHealth();
}));
$("#ask-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const question = $("#question").value.trim();
  if (!question) return showError("请输入问题。");
  ask(question);
});
$("#examples").innerHTML = EXAMPLES.map((q) => `<button type="button">${escapeHtml(q)}</button>`).join("");
$("#examples").addEventListener("click", (event) => {
  if (event.target.tagName !== "BUTTON") return;
  $("#question").value = event.target.textContent;
  ask(event.target.textContent);
});
$("#conversation").addEventListener("click", guard(async (event) => {
  const cite = event.target.closest("a.cite");
  if (cite) {
    event.preventDefault();
    await openCitation(Number(cite.dataset.turn), Number(cite.dataset.cite));
  } else if (event.target.closest("button.rate")) {
    await rate(event.target.closest("button.rate"));
  } else if (event.target.classList.contains("copy")) {
    const turn = state.history[Number(event.target.closest(".turn").dataset.index)];
    await copyTurn(turn);
    event.target.nextElementSibling.textContent = "已复制";
  }
}));
$("#source-close").addEventListener("click", () => { $("#source-panel").hidden = true; });
$("#upload-form").addEventListener("submit", guard(async (event) => { event.preventDefault(); await upload(); }));
$("#search-form").addEventListener("submit", guard(async (event) => {
  event.preventDefault();
  await search($("#search-query").value.trim());
}));
$("#doc-table").addEventListener("click", guard(async (event) => {
  const docId = event.target.dataset.doc;
  if (!docId) return;
  event.preventDefault();
  if (event.target.classList.contains("delete")) {
    if (!confirm(`删除文档“${docId}”？`)) return;
    await request(`/documents/${encodeURIComponent(docId)}`, { method: "DELETE" });
    state.texts.delete(docId);
    await loadDocuments();
  } else {
    viewDocument(await documentText(docId));
  }
}));
$("#draft-form").addEventListener("submit", guard(async (event) => {
  event.preventDefault();
  $("#draft-asked").hidden = true;
  await draft();
}));
$("#insights-gaps").addEventListener("click", guard(async (event) => {
  if (event.target.classList.contains("gap-draft")) await draftGap(state.insights.gaps[Number(event.target.dataset.gap)]);
}));
$("#download-md").addEventListener("click", guard(() => download("markdown")));
$("#download-docx").addEventListener("click", guard(() => download("docx")));

state.history = JSON.parse(sessionStorage.getItem("rag-history") || "[]");
renderConversation();
loadHealth().catch((error) => showError(error.message));

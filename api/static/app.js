// The page: three tabs over the same JSON API; no build step, no external resources.
"use strict";

const $ = (selector) => document.querySelector(selector);
const EXAMPLES = ["客户服务的响应时间标准是多少？", "應急預案包括哪些內容？", "运营交付需要交付哪些文档？", "IT系统故障多久要恢复？"];
// Earlier questions sent with each one, so a follow-up ("那IT故障呢？") is read in context; the server
// accepts up to RAG_MAX_HISTORY_TURNS (default 10), and each sent turn is already resolved, so a few suffice.
const HISTORY_TURNS = 6;
const state = {
  key: sessionStorage.getItem("rag-key") || "", canManage: false, texts: new Map(), history: [], documents: new Map(), viewer: null,
};

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
  if (name === "learn") loadTopics().catch((e) => showError(e.message));
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
    // Each closest topic asks the same question again, searching only that section.
    const links = turn.closest_topics.map((t, i) => `<a href="#" class="topic-link" data-turn="${index}" data-topic="${i}">${escapeHtml(t)}</a>`);
    const topics = links.length ? `<p class="muted">相近的主题（点击只在该章节中查找）：${links.join("；")}</p>` : "";
    body = `<p>${escapeHtml(turn.notes[0] || "现有文档未涉及该问题。")}</p>${topics}`;
  }
  const notes = turn.covered ? turn.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join("") : "";
  const sources = sourceList(turn.citations || [], index);
  const resolved = turn.resolved_question && turn.resolved_question !== turn.question
    ? `<div class="resolved">理解为：${escapeHtml(turn.resolved_question)}</div>` : "";
  const done = turn.covered !== undefined;
  const feedback = done && turn.log_id != null ? `<div class="feedback">
      <button type="button" class="rate${turn.rating === 1 ? " chosen" : ""}" data-rating="1" aria-label="有用">👍</button>
      <button type="button" class="rate${turn.rating === -1 ? " chosen" : ""}" data-rating="-1" aria-label="没用">👎</button>
      <input class="comment" maxlength="500" placeholder="补充说明（可不填）" aria-label="补充说明">
      <span class="muted rated">${turn.rating ? "已收到反馈，谢谢" : ""}</span></div>` : "";
  const scope = turn.section ? `<span class="muted scope">（只在“${escapeHtml(turn.section.replaceAll(" > ", " › "))}”中查找）</span>` : "";
  element.innerHTML = `<div class="q">问：${escapeHtml(turn.question)}${scope}</div>${resolved}
    <div class="answer">${body || '<p class="muted">检索中…</p>'}${notes}</div>
    ${sources.length ? `<ol class="sources">${sources.join("")}</ol>` : ""}
    ${done && turn.covered ? '<div class="tools"><button type="button" class="copy">复制回答和出处</button><span class="muted copied"></span></div>' : ""}${feedback}`;
  return element;
}

// Where the answer comes from, a line per document section: the quoted words are the answer itself,
// and a click on [n] shows them in their context.
function sourceList(citations, index) {
  const sections = new Map();
  for (const c of citations) {
    const key = `${c.doc_id}\n${c.section}`;
    if (!sections.has(key)) sections.set(key, { section: c.section, ids: [] });
    sections.get(key).ids.push(c.id);
  }
  return [...sections.values()].map((s) => `<li>${citeLinks(s.ids, index)} ${escapeHtml(s.section.replaceAll(" > ", " › "))}</li>`);
}

function renderConversation() {
  const container = $("#conversation");
  container.replaceChildren(...state.history.map(renderTurn).reverse());
}

function saveHistory() {
  sessionStorage.setItem("rag-history", JSON.stringify(state.history.filter((t) => t.covered !== undefined)));
}

// `section`: a section path that retrieval is restricted to (a refusal's closest topic), or null.
async function ask(question, section = null) {
  showError("");
  const history = state.history.filter((t) => t.covered !== undefined).slice(-HISTORY_TURNS)
    .map((t) => t.resolved_question || t.question);
  const turn = { question, section, sentences: [], citations: [], notes: [], closest_topics: [] };
  state.history.push(turn);
  const index = state.history.length - 1;
  renderConversation();
  const button = $("#ask-form button");
  button.disabled = true;
  try {
    const response = await postJson("/ask", { question, stream: true, history, ...(section ? { section } : {}) });
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

// Citation offsets point into the original; the cleaned text is made of its kept pieces, so an offset maps
// into the piece that holds it. One inside dropped text (boilerplate, a pinyin reading) moves to kept text.
function cleanSpan(doc, start, end) {
  const pieces = doc.clean_pieces;
  const first = pieces.find((p) => p.end > start);
  const last = pieces.findLast((p) => p.start < end);
  const from = first ? first.at + Math.max(0, start - first.start) : doc.clean_text.length;
  const to = last ? last.at + Math.min(end, last.end) - last.start : 0;
  return [from, Math.max(from, to)];
}

async function openCitation(turnIndex, citeId) {
  const citation = state.history[turnIndex].citations.find((c) => c.id === citeId);
  if (!citation) return;
  const panel = $("#source-panel");
  $("#source-title").textContent = `[${citation.id}] ${citation.title}`;
  $("#source-section").textContent = citation.section.replaceAll(" > ", " › ");
  $("#source-context").textContent = citation.quote;
  panel.hidden = false;
  panel.scrollIntoView({ block: "nearest" });
  try {
    const doc = await documentText(citation.doc_id);
    const text = doc.clean_text;
    const [start, end] = cleanSpan(doc, citation.start, citation.end);
    const lineStart = text.lastIndexOf("\n", start - 1) + 1;
    const lineEnd = text.indexOf("\n", end) < 0 ? text.length : text.indexOf("\n", end);
    const from = start - lineStart > 300 ? start - 200 : lineStart; // the paragraph, or 200 characters of it
    const to = lineEnd - end > 300 ? end + 200 : lineEnd;
    $("#source-context").innerHTML = highlighted(text.slice(from, to), start - from, end - from);
    $("#source-link").onclick = (event) => { event.preventDefault(); viewDocument(doc, citation.start, citation.end); };
  } catch (error) {
    showError(error.message);
  }
}

// The document viewer shows the cleaned text; the original, which citation offsets count in, is one click away.
function viewDocument(doc, start, end) {
  state.viewer = { doc, start, end, original: false };
  $("#viewer-title").textContent = doc.title;
  $("#doc-viewer").showModal();
  renderViewer();
}

function renderViewer() {
  const { doc, start, end, original } = state.viewer;
  const text = original ? doc.text : doc.clean_text;
  const span = start === undefined ? null : original ? [start, end] : cleanSpan(doc, start, end);
  $("#viewer-text").innerHTML = span ? highlighted(text, ...span) : escapeHtml(text);
  $("#viewer-toggle").textContent = original ? "显示整理后的文本" : "显示原文";
  $("#viewer-toggle").setAttribute("aria-pressed", String(original));
  $("#viewer-text").scrollTop = 0;
  $("#viewer-text mark")?.scrollIntoView({ block: "center" });
}

function copyTurn(turn) {
  const answer = turn.sentences.map((s) => s.text + s.citations.map((id) => `[${id}]`).join("")).join("\n");
  const sources = turn.citations.map((c) => `[${c.id}] ${c.section}：“${c.quote}”（${c.doc_id}:${c.start}-${c.end}）`);
  const text = `问：${turn.question}\n${answer}\n\n出处：\n${sources.join("\n")}`;
  return navigator.clipboard.writeText(text).then(() => text);
}

// ---- 学习 ----------------------------------------------------------------------------------

// 学习目录: the readable documents' topics, each opening its document at its heading, with questions
// that ask in 问答. Fetched on each visit, so an upload or another key shows at once.
async function loadTopics() {
  const documents = await getJson("/topics");
  const open = (docId, s, label) => `<a href="#" class="open-section" data-doc="${escapeHtml(docId)}"${s ? ` data-start="${s.start}" data-end="${s.end}"` : ""}>${escapeHtml(label)}</a>`;
  const questions = (list) => list.length
    ? `<div class="chips">${list.map((q) => `<button type="button" class="suggested">${escapeHtml(q)}</button>`).join("")}</div>` : "";
  const topic = (docId, t) => `<details class="topic"><summary>${escapeHtml(t.heading)} <span class="muted">${escapeHtml(t.summary)}</span></summary>
      <p>${open(docId, t, "在原文中打开")}</p>
      ${t.sections.length ? `<ul>${t.sections.map((s) => `<li>${open(docId, s, s.heading)} <span class="muted">${escapeHtml(s.summary)}</span></li>`).join("")}</ul>` : ""}
      ${questions(t.questions)}</details>`;
  $("#topics").innerHTML = documents.map((d) => `<div class="card topic-doc" data-doc="${escapeHtml(d.doc_id)}">
      <h3>${open(d.doc_id, d.overview, d.title)}</h3>
      ${d.overview ? `<p class="muted">${escapeHtml(d.overview.summary)}</p>${questions(d.overview.question ? [d.overview.question] : [])}` : ""}
      ${d.topics.map((t) => topic(d.doc_id, t)).join("")}</div>`).join("")
    || '<p class="muted">还没有可查阅的文档。</p>';
}

// ---- 文档 ----------------------------------------------------------------------------------

async function loadDocuments() {
  const documents = await getJson("/documents");
  state.documents = new Map(documents.map((d) => [d.doc_id, d]));
  const rows = documents.map((d) => `<tr>
      <td><a href="#" class="view" data-doc="${escapeHtml(d.doc_id)}">${escapeHtml(d.title)}</a><div class="muted">${escapeHtml(d.doc_id)}</div></td>
      <td>${d.format}</td><td>${d.chunks}</td><td>${d.groups.map(escapeHtml).join(", ")}</td>
      <td>${escapeHtml(d.version || "—")}${d.effective_date ? `<div class="muted">${d.effective_date} 生效</div>` : ""}</td>
      <td class="revision" title="内容每变化一次加 1">${d.revision}</td>
      <td>${escapeHtml(d.indexed_at.replace("T", " ").slice(0, 16))}</td>
      <td>${state.canManage ? `<button type="button" class="delete" data-doc="${escapeHtml(d.doc_id)}">删除</button>` : ""}</td></tr>`);
  $("#doc-table tbody").innerHTML = rows.join("") || '<tr><td colspan="8" class="muted">还没有可查阅的文档。</td></tr>';
}

// A multipart POST through XMLHttpRequest, which (unlike fetch) reports how much of the body is sent.
function send(path, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(event.loaded / event.total); };
    xhr.upload.onload = () => onProgress(1);
    xhr.onload = () => {
      let result = null;
      try { result = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(result);
      reject(Object.assign(new Error(result?.detail || `${xhr.status} ${xhr.statusText}`), { status: xhr.status }));
    };
    xhr.onerror = () => reject(new Error("网络错误：上传没有完成。"));
    xhr.send(body);
  });
}

function showUploadProgress(fraction) {
  const bar = $("#upload-progress progress");
  if (fraction < 1) {
    bar.value = Math.round(fraction * 100);
    $("#upload-progress-text").textContent = `上传中 ${bar.value}%`;
  } else {
    bar.removeAttribute("value"); // the server's part takes longest and reports nothing: indeterminate
    $("#upload-progress-text").textContent = "已上传，正在导入（抽取、切分、向量化）…";
  }
}

// The delete confirmation, in the page: the document named, nothing happens until 删除 is pressed.
function confirmDelete(record) {
  const dialog = $("#confirm-delete");
  $("#confirm-delete-text").textContent = `删除“${record.title}”（${record.doc_id}）？删除后它不再被检索和引用。`;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "delete"), { once: true }));
}

async function removeDocument(docId) {
  const record = state.documents.get(docId) || { doc_id: docId, title: docId };
  if (!(await confirmDelete(record))) return;
  await request(`/documents/${encodeURIComponent(docId)}`, { method: "DELETE" });
  state.texts.delete(docId);
  $("#search-results").innerHTML = ""; // its hits may be from the deleted document
  await loadDocuments();
  $("#doc-status").textContent = `已删除“${record.title}”（${docId}），文档列表已刷新。`;
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
  const button = $("#upload-form button[type=submit]");
  button.disabled = true;
  $("#upload-result").innerHTML = "";
  $("#upload-progress").hidden = false;
  showUploadProgress(0);
  let result;
  try {
    result = await send("/documents", form, showUploadProgress);
  } finally {
    button.disabled = false;
    $("#upload-progress").hidden = true;
  }
  const documents = new Map(result.documents.map((d) => [d.doc_id, d]));
  const named = (id) => {
    const d = documents.get(id);
    return d ? `${d.source.replace(/^upload:/, "")}（${d.title}，修订 ${d.revision}）` : id;
  };
  const outcomes = [["新增", result.added], ["更新", result.updated], ["未变", result.unchanged]]
    .flatMap(([label, ids]) => ids.map((id) => `<li>${label}：${escapeHtml(named(id))}</li>`));
  const failed = result.failed.map((f) => `<li>跳过：${escapeHtml(f.file)}：${escapeHtml(f.reason)}</li>`);
  $("#upload-result").innerHTML = `<p>新增 ${result.added.length}，更新 ${result.updated.length}，未变 ${result.unchanged.length}，跳过 ${result.failed.length}。</p><ul>${[...outcomes, ...failed].join("")}</ul>`;
  state.texts.clear();
  $("#search-results").innerHTML = ""; // found before the upload: stale now
  $("#doc-status").textContent = "";
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
    const sub = (list, tag) => (list?.length ? `<${tag}>${list.map((o) => `<li>${escapeHtml(o.text)}${mark(o.citations)}</li>`).join("")}</${tag}>` : "");
    const clauses = s.clauses.map((c) => `<li>${escapeHtml(c.text)}${mark(c.citations)}${sub(c.options, "ul")}${sub(c.items, "ol")}</li>`);
    return `<h2>${n + 1}. ${escapeHtml(s.section)}</h2>${s.gap ? '<p class="gap">【待补充：现有文档未覆盖】</p>' : `<ol>${clauses.join("")}</ol>`}`;
  });
  const sources = draft.citations.map((c) => `<li>[${c.id}] ${escapeHtml(c.section)}：“${escapeHtml(c.quote)}”</li>`).join("");
  const gaps = draft.gaps.length ? `<div class="card"><strong>缺口报告</strong>：以下章节现有文档未覆盖，需要补充——${draft.gaps.map(escapeHtml).join("、")}</div>` : "";
  const warnings = (draft.warnings || []).map((w) => `<p class="card warning"><strong>注意</strong>：${escapeHtml(w)}</p>`).join("");
  $("#draft-output").innerHTML = `<h1>${escapeHtml(draft.topic)}</h1>${warnings}${sections.join("")}${gaps}<h2>来源</h2><ol class="sources">${sources}</ol>`;
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
  } else if (event.target.closest("a.topic-link")) {
    event.preventDefault();
    const link = event.target.closest("a.topic-link");
    const turn = state.history[Number(link.dataset.turn)];
    await ask(turn.resolved_question || turn.question, turn.closest_topics[Number(link.dataset.topic)]);
  } else if (event.target.closest("button.rate")) {
    await rate(event.target.closest("button.rate"));
  } else if (event.target.classList.contains("copy")) {
    const turn = state.history[Number(event.target.closest(".turn").dataset.index)];
    await copyTurn(turn);
    event.target.nextElementSibling.textContent = "已复制";
  }
}));
$("#source-close").addEventListener("click", () => { $("#source-panel").hidden = true; });
$("#topics").addEventListener("click", guard(async (event) => {
  const place = event.target.closest("a.open-section");
  const suggested = event.target.closest("button.suggested");
  if (place) {
    event.preventDefault();
    const doc = await documentText(place.dataset.doc);
    if (place.dataset.start) viewDocument(doc, Number(place.dataset.start), Number(place.dataset.end));
    else viewDocument(doc);
  } else if (suggested) {
    selectTab("ask");
    $("#question").value = suggested.textContent;
    await ask(suggested.textContent);
  }
}));
$("#viewer-toggle").addEventListener("click", () => { state.viewer.original = !state.viewer.original; renderViewer(); });
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
    await removeDocument(docId);
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

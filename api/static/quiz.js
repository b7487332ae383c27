// 测验 tab: items from POST /quiz, each answer checked by POST /quiz/check (the page never holds the key).
// Uses app.js's helpers ($, postJson, escapeHtml, showError, guard, documentText, viewDocument).
"use strict";

const QUIZ_SCORES = "rag-quiz-scores";
const quiz = { topic: "", items: [] };

function quizScores() {
  try { return JSON.parse(localStorage.getItem(QUIZ_SCORES) || "{}"); } catch { return {}; }
}

function recordScore(topic, correct) {
  const scores = quizScores();
  const score = scores[topic] || { right: 0, answered: 0 };
  scores[topic] = { right: score.right + (correct ? 1 : 0), answered: score.answered + 1 };
  localStorage.setItem(QUIZ_SCORES, JSON.stringify(scores));
  renderScores();
}

function renderScores() {
  const rows = Object.entries(quizScores()).map(
    ([topic, s]) => `<li data-topic="${escapeHtml(topic)}">${escapeHtml(topic)}：答对 <b>${s.right} / ${s.answered}</b></li>`,
  );
  $("#quiz-scores").innerHTML = rows.join("");
}

function renderItem(item, index) {
  const name = `quiz-${index}`;
  const answer = item.options.length
    ? item.options.map((o) => `<label><input type="radio" name="${name}" value="${escapeHtml(o)}"> ${escapeHtml(o)}</label>`).join("")
    : `<input class="fill" name="${name}" placeholder="填写空缺处" aria-label="第 ${item.number} 题答案" autocomplete="off">`;
  return `<li class="quiz-item card" data-index="${index}">
    <p class="stem">${escapeHtml(item.stem).replace("____", '<span class="blank">____</span>')}</p>
    <p class="muted">${item.kind === "choice" ? "选择" : "填空"} · 出自《${escapeHtml(item.source.title)}》</p>
    <div class="answers">${answer}</div>
    <button type="button" class="check">核对</button>
    <div class="quiz-result" hidden></div>
  </li>`;
}

async function makeQuiz() {
  const topic = $("#quiz-topic").value.trim();
  if (!topic) return showError("请输入测验主题。");
  const button = $("#quiz-form button");
  button.disabled = true;
  $("#quiz-items").innerHTML = "";
  try {
    const body = await (await postJson("/quiz", { topic, count: Number($("#quiz-count").value) || 5 })).json();
    Object.assign(quiz, { topic: body.topic, items: body.items });
    $("#quiz-items").innerHTML = body.items.map(renderItem).join("");
  } finally {
    button.disabled = false;
  }
}

async function checkItem(element) {
  const item = quiz.items[Number(element.dataset.index)];
  const chosen = element.querySelector("input[type=radio]:checked") || element.querySelector("input.fill");
  const given = chosen ? chosen.value.trim() : "";
  if (!given) return showError("请先作答。");
  const button = element.querySelector("button.check");
  button.disabled = true;
  let result;
  try {
    result = await (await postJson("/quiz/check", { ref: item.ref, answer: given })).json();
  } catch (error) {
    button.disabled = false;
    throw error;
  }
  element.querySelectorAll("input").forEach((input) => { input.disabled = true; });
  element.classList.add(result.correct ? "right" : "wrong");
  const c = result.citation;
  const box = element.querySelector(".quiz-result");
  box.innerHTML = `<p class="verdict">${result.correct ? "✓" : "✗"} ${escapeHtml(result.explanation)}</p>
    <a href="#" class="quiz-source">查看全文中的此处（${escapeHtml(c.doc_id)}:${c.start}-${c.end}）</a>`;
  box.querySelector(".quiz-source").onclick = guard(async (event) => {
    event.preventDefault();
    viewDocument(await documentText(c.doc_id), c.start, c.end);
  });
  box.hidden = false;
  recordScore(quiz.topic, result.correct);
}

$("#quiz-form").addEventListener("submit", guard(async (event) => {
  event.preventDefault();
  await makeQuiz();
}));
$("#quiz-items").addEventListener("click", guard(async (event) => {
  if (event.target.classList.contains("check")) await checkItem(event.target.closest(".quiz-item"));
}));
renderScores();

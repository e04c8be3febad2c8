// The course's interactive layer: XP, notes, Feynman teach-back, checklists, flashcards,
// the quiz and the progress chart. Plain JavaScript, no server: everything the reader does
// is kept in this browser (localStorage, one versioned key). The course content comes from
// assets/course-data.json, which the build makes from docs/data/*.yml.
//
// Rules kept here:
//  * XP is derived from the stored state (a checklist complete, a note written, all cards
//    seen, the quiz passed once), so it can never drift from what the reader did.
//  * Stored values are checked part by part; a corrupted or foreign part is reset with a
//    console warning and the page keeps working.
//  * Reader text is only ever set with .value / .textContent, never parsed as HTML.
//  * Without storage (private mode), everything works and a quiet notice says nothing is kept.
(function () {
  "use strict";

  var STORAGE_KEY = "finlstm-course:v1";
  var VERSION = 1;
  var NOTE_XP_MIN_CHARS = 40;
  var configElement = document.getElementById("__config");
  var config = configElement ? JSON.parse(configElement.textContent) : { base: "." };
  // Resolved once, on the first page: instant navigation keeps this script alive.
  var BASE = new URL(config.base + "/", location.href);
  var course = null;
  var storageWorks = true;
  var state = null;

  // ---- storage ---------------------------------------------------------------------------

  function emptyState() {
    return { version: VERSION, notes: {}, feynman: {}, checklists: {}, flashcards: {}, quiz: {} };
  }

  function isPlainObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function isMapOf(value, check) {
    return isPlainObject(value) && Object.keys(value).every(function (key) {
      return check(value[key]);
    });
  }

  var PARTS = {
    notes: function (v) { return isMapOf(v, function (x) { return typeof x === "string"; }); },
    feynman: function (v) { return isMapOf(v, function (x) { return typeof x === "string"; }); },
    checklists: function (v) {
      return isMapOf(v, function (x) {
        return Array.isArray(x) && x.every(function (b) { return typeof b === "boolean"; });
      });
    },
    flashcards: function (v) {
      return isMapOf(v, function (x) {
        return Array.isArray(x) && x.every(function (id) { return typeof id === "string"; });
      });
    },
    quiz: function (v) {
      return isPlainObject(v) && Object.keys(v).every(function (key) {
        var q = v[key];
        return isPlainObject(q) && typeof q.passed === "boolean" &&
          typeof q.best === "number" && typeof q.attempts === "number";
      });
    },
  };

  function loadState() {
    var raw = null;
    try {
      raw = window.localStorage.getItem(STORAGE_KEY);
      window.localStorage.setItem(STORAGE_KEY + ":probe", "1");
      window.localStorage.removeItem(STORAGE_KEY + ":probe");
    } catch (error) {
      storageWorks = false;
      return emptyState();
    }
    if (raw === null) {
      return emptyState();
    }
    var parsed;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      console.warn("finlstm course: stored progress was not valid JSON; starting afresh.");
      return emptyState();
    }
    if (!isPlainObject(parsed) || parsed.version !== VERSION) {
      console.warn("finlstm course: stored progress had an unknown format; starting afresh.");
      return emptyState();
    }
    var clean = emptyState();
    Object.keys(PARTS).forEach(function (part) {
      if (parsed[part] === undefined) {
        return;
      }
      if (PARTS[part](parsed[part])) {
        clean[part] = parsed[part];
      } else {
        console.warn("finlstm course: stored '" + part + "' was corrupted and has been reset.");
      }
    });
    return clean;
  }

  function saveState() {
    if (!storageWorks) {
      return false;
    }
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
      return true;
    } catch (error) {
      storageWorks = false;
      showStorageNotice();
      return false;
    }
  }

  function showStorageNotice() {
    if (storageWorks || document.querySelector(".course-storage-notice")) {
      return;
    }
    var content = document.querySelector(".md-content__inner");
    if (!content) {
      return;
    }
    var notice = el("p", "course-storage-notice", "Your browser is not letting this page " +
      "store anything (private mode or blocked storage): everything works, but notes, " +
      "ticks and XP will be gone when you leave.");
    notice.setAttribute("role", "status");
    content.insertBefore(notice, content.firstChild);
  }

  // ---- helpers -----------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function button(label, className, onClick) {
    var node = el("button", "md-button " + (className || ""), label);
    node.type = "button";
    node.addEventListener("click", onClick);
    return node;
  }

  function moduleById(id) {
    return course.modules.find(function (m) { return m.id === id; });
  }

  function currentModule() {
    var path = decodeURIComponent(location.pathname);
    return course.modules.find(function (m) {
      var url = m.page.replace(/\.md$/, "/").replace(/(^|\/)index\/$/, "$1");
      return path.endsWith("/" + url) || path.endsWith("/" + url + "index.html");
    }) || null;
  }

  function deckFor(moduleId) {
    return course.flashcards.find(function (d) { return d.module === moduleId; }) || null;
  }

  // ---- XP ------------------------------------------------------------------------------------

  function earned(module) {
    var xp = module.xp;
    var parts = {};
    var ticks = state.checklists[module.id] || [];
    if (xp.self_check) {
      // Ticks count only once the teach-back box holds an explanation.
      var explained = (state.feynman[module.id] || "").trim().length > 0;
      parts.self_check = explained && ticks.length > 0 && ticks.every(Boolean) ? xp.self_check : 0;
    }
    if (xp.notes) {
      var note = (state.notes[module.id] || "").trim();
      parts.notes = note.length >= NOTE_XP_MIN_CHARS ? xp.notes : 0;
    }
    if (xp.flashcards) {
      var deck = deckFor(module.id);
      var seen = state.flashcards[module.id] || [];
      var all = deck && deck.cards.every(function (c) { return seen.indexOf(c.id) >= 0; });
      parts.flashcards = all ? xp.flashcards : 0;
    }
    if (xp.quiz) {
      var quiz = state.quiz[course.quiz.id];
      parts.quiz = quiz && quiz.passed ? xp.quiz : 0;
    }
    return parts;
  }

  function sum(values) {
    return values.reduce(function (a, b) { return a + b; }, 0);
  }

  function moduleXp(module) {
    return sum(Object.values(earned(module)));
  }

  function possibleXp(module) {
    return sum(Object.values(module.xp));
  }

  function totalXp() {
    return sum(course.modules.map(moduleXp));
  }

  function refreshXp() {
    var badge = document.querySelector(".course-xp-badge");
    if (!badge) {
      var header = document.querySelector(".md-header__inner");
      if (!header) {
        return;
      }
      badge = el("span", "course-xp-badge");
      badge.setAttribute("aria-live", "polite");
      var search = header.querySelector(".md-search") || header.lastElementChild;
      header.insertBefore(badge, search);
    }
    badge.textContent = totalXp() + " XP";
    badge.title = "Course XP earned in this browser";
    document.querySelectorAll("[data-course-module-xp]").forEach(function (node) {
      var module = moduleById(node.getAttribute("data-course-module-xp"));
      node.textContent = moduleXp(module) + " / " + possibleXp(module) + " XP";
    });
    document.querySelectorAll(".course-progress").forEach(drawProgress);
  }

  function changed() {
    var saved = saveState();
    refreshXp();
    return saved;
  }

  // ---- module banner, checklists, Feynman, notes ---------------------------------------------

  function addBanner(module, content) {
    if (content.querySelector(".course-banner")) {
      return;
    }
    var banner = el("p", "course-banner");
    banner.appendChild(el("span", "course-banner__module",
      "Module " + module.number + " of " + course.modules.length));
    var xp = el("span", "course-banner__xp");
    xp.setAttribute("data-course-module-xp", module.id);
    banner.appendChild(xp);
    var title = content.querySelector("h1");
    content.insertBefore(banner, title ? title.nextSibling : content.firstChild);
  }

  function wireChecklists(module, content) {
    var boxes = content.querySelectorAll(".admonition.example .task-list-item input[type=checkbox]");
    if (!boxes.length) {
      return;
    }
    var ticks = state.checklists[module.id] || [];
    if (ticks.length !== boxes.length) {
      ticks = Array.prototype.map.call(boxes, function (_, i) { return Boolean(ticks[i]); });
    }
    boxes.forEach(function (box, index) {
      box.disabled = false;
      box.checked = ticks[index];
      var item = box.closest(".task-list-item");
      if (item && !box.id) {
        box.id = module.id + "-check-" + index;
        box.setAttribute("aria-label", item.textContent.trim());
      }
      box.addEventListener("change", function () {
        ticks[index] = box.checked;
        state.checklists[module.id] = ticks.slice();
        changed();
      });
    });
  }

  function savingTextarea(label, value, onInput) {
    var wrapper = el("div", "course-textarea");
    var id = "course-" + Math.random().toString(36).slice(2);
    var labelNode = el("label", "course-textarea__label", label);
    labelNode.htmlFor = id;
    var area = el("textarea");
    area.id = id;
    area.rows = 5;
    area.value = value || "";
    var status = el("span", "course-saved");
    status.setAttribute("aria-live", "polite");
    area.addEventListener("input", function () {
      status.textContent = onInput(area.value) ? "Saved" : "Not saved (storage unavailable)";
      status.classList.add("course-saved--visible");
    });
    wrapper.appendChild(labelNode);
    wrapper.appendChild(area);
    wrapper.appendChild(status);
    return wrapper;
  }

  function addFeynman(module, content) {
    var box = content.querySelector(".admonition.example");
    if (!box || box.querySelector(".course-textarea")) {
      return;
    }
    var list = box.querySelector(".task-list");
    var area = savingTextarea("Your explanation (kept with your notes; the checklist " +
      "earns XP once this box has text)",
      state.feynman[module.id], function (text) {
        state.feynman[module.id] = text;
        return changed();
      });
    box.insertBefore(area, list || null);
  }

  function addNotes(module, content) {
    if (content.querySelector(".course-notes")) {
      return;
    }
    var section = el("section", "course-notes");
    section.appendChild(el("h2", null, "My notes · Module " + module.number));
    section.appendChild(savingTextarea("Notes for this module (kept in this browser only)",
      state.notes[module.id], function (text) {
        state.notes[module.id] = text;
        return changed();
      }));
    var actions = el("div", "course-actions");
    actions.appendChild(button("Export all notes (Markdown)", "", exportNotes));
    var input = el("input");
    input.type = "file";
    input.accept = ".md,text/markdown,text/plain";
    input.hidden = true;
    input.addEventListener("change", function () {
      if (input.files && input.files[0]) {
        input.files[0].text().then(function (text) {
          var count = importNotes(text);
          renderPage();
          var fresh = document.querySelector(".course-notes") || section;
          announce(fresh, count ? "Imported notes for " + count + " module(s)." :
            "No notes found in that file.");
        });
      }
    });
    actions.appendChild(button("Import notes", "", function () { input.click(); }));
    actions.appendChild(input);
    section.appendChild(actions);
    var footer = content.querySelector(".md-source-file");
    content.insertBefore(section, footer || null);
  }

  function announce(parent, message) {
    var node = parent.querySelector(".course-announce") || el("p", "course-announce");
    node.setAttribute("role", "status");
    node.textContent = message;
    parent.appendChild(node);
  }

  // Export format (import reads the same): one "## Module N · Title" section per module with
  // "### My notes" and "### Feynman teach-back" subsections.
  function notesMarkdown() {
    var lines = ["# My notes: LSTM networks for financial time-series prediction", ""];
    course.modules.forEach(function (module) {
      lines.push("## Module " + module.number + " · " + module.title, "");
      lines.push("### My notes", "", (state.notes[module.id] || "").trim(), "");
      lines.push("### Feynman teach-back", "", (state.feynman[module.id] || "").trim(), "");
    });
    return lines.join("\n");
  }

  function exportNotes() {
    var blob = new Blob([notesMarkdown()], { type: "text/markdown" });
    var link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = "lstm-course-notes.md";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  function importNotes(text) {
    var current = null;
    var field = null;
    var buffers = {};
    text.replace(/\r\n/g, "\n").split("\n").forEach(function (line) {
      var heading = /^## Module (\d+)\b/.exec(line);
      if (heading) {
        current = course.modules.find(function (m) { return String(m.number) === heading[1]; });
        field = null;
        return;
      }
      if (/^### My notes\s*$/.test(line)) { field = "notes"; return; }
      if (/^### Feynman teach-back\s*$/.test(line)) { field = "feynman"; return; }
      if (/^# /.test(line)) { current = null; field = null; return; }
      if (current && field) {
        var key = current.id + "|" + field;
        (buffers[key] = buffers[key] || []).push(line);
      }
    });
    var modules = {};
    Object.keys(buffers).forEach(function (key) {
      var parts = key.split("|");
      var value = buffers[key].join("\n").trim();
      if (value) {
        state[parts[1]][parts[0]] = value;
        modules[parts[0]] = true;
      }
    });
    changed();
    return Object.keys(modules).length;
  }

  // ---- flashcards ----------------------------------------------------------------------------

  function addFlashcards(container) {
    if (container.querySelector(".course-card")) {
      return;
    }
    var deck = deckFor(container.getAttribute("data-deck"));
    if (!deck) {
      return;
    }
    var index = 0;
    var flipped = false;
    container.setAttribute("role", "region");
    container.setAttribute("aria-label", "Flashcards: " + deck.title);
    var counter = el("p", "course-card__counter");
    counter.setAttribute("aria-live", "polite");
    var card = el("button", "course-card");
    card.type = "button";
    var face = el("span", "course-card__face");
    var text = el("span", "course-card__text");
    card.appendChild(face);
    card.appendChild(text);
    var hint = el("p", "course-card__hint",
      "Click the card or press Space to flip; ← and → move between cards.");
    var nav = el("div", "course-actions");
    var previous = button("← Previous", "", function () { move(-1); });
    var next = button("Next →", "", function () { move(1); });
    nav.appendChild(previous);
    nav.appendChild(next);

    function show() {
      var current = deck.cards[index];
      counter.textContent = "Card " + (index + 1) + " of " + deck.cards.length;
      face.textContent = flipped ? "Definition" : "Term";
      text.textContent = flipped ? current.definition : current.term;
      card.setAttribute("aria-pressed", String(flipped));
      card.classList.toggle("course-card--flipped", flipped);
      previous.disabled = index === 0;
      next.disabled = index === deck.cards.length - 1;
    }
    function flip() {
      flipped = !flipped;
      if (flipped) {
        var seen = state.flashcards[deck.module] || [];
        if (seen.indexOf(deck.cards[index].id) < 0) {
          state.flashcards[deck.module] = seen.concat([deck.cards[index].id]);
          changed();
        }
      }
      show();
    }
    function move(step) {
      var target = Math.min(deck.cards.length - 1, Math.max(0, index + step));
      if (target !== index) {
        index = target;
        flipped = false;
        show();
      }
    }
    card.addEventListener("click", flip);
    container.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight") { move(1); event.preventDefault(); }
      if (event.key === "ArrowLeft") { move(-1); event.preventDefault(); }
    });
    container.textContent = "";
    [counter, card, hint, nav].forEach(function (node) { container.appendChild(node); });
    show();
  }

  // ---- quiz ----------------------------------------------------------------------------------

  function addQuiz(container) {
    if (container.querySelector(".course-question")) {
      return;
    }
    var quiz = course.quiz;
    var answers = {};
    var record = function () {
      return state.quiz[quiz.id] || { passed: false, best: 0, attempts: 0 };
    };
    container.textContent = "";
    var intro = el("p", "course-quiz__intro", quiz.questions.length + " questions · pass mark " +
      Math.round(quiz.pass_mark * 100) + "% · +" + moduleById(quiz.module).xp.quiz +
      " XP on your first pass. Check each answer to see why it is right or wrong.");
    container.appendChild(intro);
    var score = el("p", "course-quiz__score");
    score.setAttribute("aria-live", "polite");

    quiz.questions.forEach(function (question, qIndex) {
      var fieldset = el("fieldset", "course-question");
      fieldset.setAttribute("data-question", question.id);
      var legend = el("legend", null, (qIndex + 1) + ". " + question.prompt);
      fieldset.appendChild(legend);
      question.choices.forEach(function (choice, cIndex) {
        var label = el("label", "course-choice");
        var radio = el("input");
        radio.type = "radio";
        radio.name = quiz.id + "-" + question.id;
        radio.value = String(cIndex);
        label.appendChild(radio);
        label.appendChild(el("span", null, choice));
        fieldset.appendChild(label);
      });
      var feedback = el("div", "course-feedback");
      feedback.setAttribute("aria-live", "polite");
      var check = button("Check answer", "course-check", function () {
        var picked = fieldset.querySelector("input:checked");
        if (!picked) {
          feedback.className = "course-feedback course-feedback--info";
          feedback.textContent = "Choose an answer first.";
          return;
        }
        var right = Number(picked.value) === question.answer;
        answers[question.id] = right;
        fieldset.querySelectorAll("input").forEach(function (r) { r.disabled = true; });
        check.disabled = true;
        feedback.className = "course-feedback " +
          (right ? "course-feedback--right" : "course-feedback--wrong");
        feedback.textContent = "";
        feedback.appendChild(el("strong", null, right ? "Correct. " :
          "Not quite: the answer is “" + question.choices[question.answer] + "”. "));
        feedback.appendChild(el("span", null, question.explanation));
        update();
      });
      fieldset.appendChild(check);
      fieldset.appendChild(feedback);
      container.appendChild(fieldset);
    });

    var result = el("div", "course-quiz__result");
    result.setAttribute("role", "status");
    var retry = button("Retry the quiz", "course-retry", function () {
      container.textContent = "";
      addQuiz(container);
      container.querySelector("input").focus();
    });
    container.appendChild(score);
    container.appendChild(result);

    function update() {
      var done = Object.keys(answers).length;
      var right = Object.values(answers).filter(Boolean).length;
      score.textContent = "Score: " + right + " / " + quiz.questions.length +
        " (" + done + " answered)";
      if (done < quiz.questions.length) {
        return;
      }
      var before = record();
      var passed = right / quiz.questions.length >= quiz.pass_mark;
      state.quiz[quiz.id] = {
        passed: before.passed || passed,
        best: Math.max(before.best, right),
        attempts: before.attempts + 1,
      };
      changed();
      result.textContent = "";
      result.className = "course-quiz__result " + (passed ? "course-pass" : "course-fail");
      var xp = moduleById(quiz.module).xp.quiz;
      result.appendChild(el("p", null, passed ?
        (before.passed ? "Passed again: " + right + " / " + quiz.questions.length + "." :
          "Passed! " + right + " / " + quiz.questions.length + " · +" + xp + " XP") :
        "Not passed yet: " + right + " / " + quiz.questions.length + "; the pass mark is " +
        Math.ceil(quiz.pass_mark * quiz.questions.length) + ". Read the explanations and retry."));
      result.appendChild(retry);
    }
    var best = record();
    if (best.attempts) {
      var previous = el("p", "course-quiz__previous", "Your best so far: " + best.best + " / " +
        quiz.questions.length + (best.passed ? " (passed)" : "") + ".");
      container.insertBefore(previous, intro.nextSibling);
    }
    update();
  }

  // ---- progress ------------------------------------------------------------------------------

  var SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function drawProgress(container) {
    container.textContent = "";
    var total = totalXp();
    var possible = sum(course.modules.map(possibleXp));
    var complete = course.modules.every(function (m) { return moduleXp(m) === possibleXp(m); });
    var summary = el("p", "course-progress__total", "Total: " + total + " of " + possible + " XP");
    container.appendChild(summary);
    if (complete) {
      container.appendChild(el("p", "course-complete", "✓ Course complete: every module's work is done."));
    }
    var rowHeight = 34;
    var width = 640;
    var labelWidth = 210;
    var chart = svg("svg", {
      viewBox: "0 0 " + width + " " + (course.modules.length * rowHeight + 10),
      role: "img",
      class: "course-chart",
      "aria-label": "XP earned per module: " + course.modules.map(function (m) {
        return "module " + m.number + " " + moduleXp(m) + " of " + possibleXp(m);
      }).join(", "),
    });
    var maxXp = Math.max.apply(null, course.modules.map(possibleXp));
    course.modules.forEach(function (module, i) {
      var y = i * rowHeight + 8;
      var barMax = width - labelWidth - 90;
      chart.appendChild(svg("text", { x: 0, y: y + 17, class: "course-chart__label" },
        module.number + " · " + module.title));
      chart.appendChild(svg("rect", { x: labelWidth, y: y, width: barMax * possibleXp(module) / maxXp,
        height: 22, rx: 3, class: "course-chart__possible" }));
      chart.appendChild(svg("rect", { x: labelWidth, y: y, width: barMax * moduleXp(module) / maxXp,
        height: 22, rx: 3, class: "course-chart__earned" }));
      chart.appendChild(svg("text", { x: labelWidth + barMax * possibleXp(module) / maxXp + 8,
        y: y + 17, class: "course-chart__value" }, moduleXp(module) + " / " + possibleXp(module)));
    });
    container.appendChild(chart);
    container.appendChild(button("Reset all progress", "course-reset", function () {
      if (window.confirm("Delete your notes, ticks, flashcard and quiz progress in this browser?")) {
        state = emptyState();
        changed();
        renderPage();
      }
    }));
  }

  // ---- page wiring ---------------------------------------------------------------------------

  function renderPage() {
    var content = document.querySelector(".md-content__inner");
    if (!content || !course) {
      return;
    }
    content.querySelectorAll(".course-notes, .course-banner, .course-textarea").forEach(
      function (node) { node.remove(); });
    var module = currentModule();
    if (module) {
      addBanner(module, content);
      wireChecklists(module, content);
      addFeynman(module, content);
      if (module.xp.notes) {
        addNotes(module, content);
      }
    }
    content.querySelectorAll(".course-flashcards").forEach(function (node) {
      node.textContent = "";
      addFlashcards(node);
    });
    content.querySelectorAll(".course-quiz").forEach(function (node) {
      node.textContent = "";
      addQuiz(node);
    });
    showStorageNotice();
    refreshXp();
  }

  function start() {
    state = loadState();
    fetch(new URL("assets/course-data.json", BASE))
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        course = data;
        if (typeof document$ !== "undefined") {
          document$.subscribe(renderPage);
        } else {
          renderPage();
        }
      })
      .catch(function (error) {
        console.error("finlstm course: could not load the course data (" + error.message + ")");
      });
  }

  // Exposed for tests and the curious: read-only views of what is stored.
  window.finlstmCourse = {
    storageKey: STORAGE_KEY,
    totalXp: function () { return course ? totalXp() : 0; },
    notesMarkdown: function () { return course ? notesMarkdown() : ""; },
  };

  start();
})();

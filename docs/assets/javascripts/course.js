// The course's interactive layer: XP, notes, Feynman teach-back, checklists, flashcards,
// the quiz and the progress chart. Plain JavaScript, no server: everything the reader does
// is kept in this browser (localStorage, one versioned key). The course content comes from
// assets/course-data.json, which the build makes from docs/data/*.yml.
//
// Rules kept here:
//  * XP is derived from the stored state (a checklist complete, a note written, all cards
//    seen, the quiz passed once), so it can never drift from what the reader did.
//  * Stored values are checked part by part; a value that cannot be read is copied to a
//    backup key first (a visible notice offers it for download) and the page starts afresh
//    beside it; nothing the reader wrote is overwritten.
//  * Reader text is only ever set with .value / .textContent, never parsed as HTML.
//  * Saves are debounced and retried on the next change after a failure; without storage
//    (private window, blocked site data, full quota) everything works for the visit and a
//    notice says what is not kept and why.
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
  var state = null;

  // ---- storage ---------------------------------------------------------------------------
  //
  // Saving is debounced: a change marks the state dirty and it is written SAVE_DELAY_MS
  // after the last change (or at once when the page is hidden or left), so typing in a
  // long note never waits for the whole state to be serialised. A failed save is tried
  // again on the next change, and the notice says why it failed and how much is not saved.
  // A stored value that cannot be read is copied to a backup key before anything is
  // written over it (or, without room for a copy, left alone and not overwritten).

  var BACKUP_PREFIX = STORAGE_KEY + ":unreadable:";
  var SAVE_DELAY_MS = 400;
  var saving = {
    // "ok"; "blocked" (no storage for this site: a private window or blocked site data);
    // "quota" (storage full); "failed" (another refusal); "held" (an unreadable value
    // that could not be copied is left untouched, so nothing is written this visit).
    status: "ok",
    error: "",
    unsaved: 0, // changes made since the last save that worked
    since: null, // when the first of them was made
    size: 0, // characters of the state that did not fit
    timer: null,
  };
  var backups = []; // { key, raw, problem, kept, fresh }: stored values that could not be read

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

  function storageStatus(error) {
    var name = error && error.name;
    if (name === "QuotaExceededError" || name === "NS_ERROR_DOM_QUOTA_REACHED" ||
        (error && (error.code === 22 || error.code === 1014))) {
      return "quota";
    }
    return name === "SecurityError" ? "blocked" : "failed";
  }

  function loadState() {
    var raw = null;
    try {
      if (window.__finlstmStorageInMemory) {
        // main.html put an in-memory storage in place: the browser blocks site data.
        throw new DOMException("site data is blocked", "SecurityError");
      }
      raw = window.localStorage.getItem(STORAGE_KEY);
      backups = storedBackups();
      window.localStorage.setItem(STORAGE_KEY + ":probe", "1");
      window.localStorage.removeItem(STORAGE_KEY + ":probe");
    } catch (error) {
      saving.status = storageStatus(error);
      saving.error = String(error && error.name);
    }
    if (raw === null) {
      return emptyState();
    }
    var parsed = null;
    var problem = null;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      problem = "it is not valid JSON";
    }
    if (!problem && (!isPlainObject(parsed) || parsed.version !== VERSION)) {
      problem = "it has an unknown format";
    }
    var clean = emptyState();
    if (!problem) {
      var damaged = Object.keys(PARTS).filter(function (part) {
        return parsed[part] !== undefined && !PARTS[part](parsed[part]);
      });
      Object.keys(PARTS).forEach(function (part) {
        if (parsed[part] !== undefined && damaged.indexOf(part) < 0) {
          clean[part] = parsed[part];
        }
      });
      if (damaged.length) {
        problem = "its part(s) " + damaged.join(", ") + " are damaged";
      }
    }
    if (problem) {
      keepUnreadable(raw, problem);
    }
    return clean;
  }

  function storedBackups() {
    var found = [];
    for (var i = 0; i < window.localStorage.length; i += 1) {
      var key = window.localStorage.key(i);
      if (key && key.indexOf(BACKUP_PREFIX) === 0) {
        found.push({ key: key, raw: window.localStorage.getItem(key), problem: null,
          kept: true, fresh: false });
      }
    }
    return found;
  }

  // Copy a value that cannot be read to a backup key of its own, so that starting afresh
  // loses nothing; without room for the copy, leave the original where it is and hold saves.
  function keepUnreadable(raw, problem) {
    var backup = { key: BACKUP_PREFIX + new Date().toISOString(), raw: raw, problem: problem,
      kept: true, fresh: true };
    try {
      window.localStorage.setItem(backup.key, raw);
    } catch (error) {
      backup.kept = false;
      backup.key = STORAGE_KEY;
      saving.status = "held";
    }
    backups.push(backup);
    console.warn("finlstm course: stored progress could not be read (" + problem + "); " +
      (backup.kept ? "kept under '" + backup.key + "'" : "left untouched") +
      ", starting afresh beside it.");
  }

  function scheduleSave() {
    saving.unsaved += 1;
    saving.since = saving.since || new Date();
    clearTimeout(saving.timer);
    saving.timer = setTimeout(saveNow, SAVE_DELAY_MS);
    showSaveStatus();
  }

  function saveNow() {
    clearTimeout(saving.timer);
    saving.timer = null;
    if (!saving.unsaved || saving.status === "held" || window.__finlstmStorageInMemory) {
      showNotices();
      showSaveStatus();
      return;
    }
    var text = JSON.stringify(state);
    try {
      window.localStorage.setItem(STORAGE_KEY, text);
      saving.status = "ok";
      saving.unsaved = 0;
      saving.since = null;
    } catch (error) {
      saving.status = storageStatus(error);
      saving.error = String(error && error.name);
      saving.size = text.length;
    }
    showNotices();
    showSaveStatus();
  }

  // Written before the page goes away (a closed tab, a reload, another site).
  window.addEventListener("pagehide", saveNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      saveNow();
    }
  });

  function saveStatusText() {
    if (saving.timer !== null) {
      return "Saving…";
    }
    return {
      ok: "Saved",
      blocked: "Not saved (storage unavailable)",
      quota: "Not saved: storage full",
      failed: "Not saved (" + saving.error + ")",
      held: "Not saved (unreadable progress kept)",
    }[saving.status];
  }

  function showSaveStatus() {
    document.querySelectorAll(".course-saved--visible").forEach(function (node) {
      node.textContent = saveStatusText();
    });
  }

  function kilobytes(characters) {
    return Math.max(1, Math.round(characters / 1024)) + " KB";
  }

  function unsavedText() {
    if (!saving.unsaved) {
      return "";
    }
    return " " + saving.unsaved + " change(s) made since " +
      saving.since.toLocaleTimeString() + " are not saved.";
  }

  function storageNoticeText() {
    var leave = " Everything works for this visit, but what is not saved will be gone when " +
      "you leave; export your notes to keep them.";
    if (saving.status === "blocked") {
      return "This browser is not letting the site store anything (a private window, or " +
        "site data blocked): nothing is kept." + leave;
    }
    if (saving.status === "quota") {
      return "Not saved: this browser's storage for the site is full" +
        (saving.size ? " (" + kilobytes(saving.size) + " of progress did not fit)" : "") +
        "." + unsavedText() + " Shorten a long note; saving is tried again on your next " +
        "change." + leave;
    }
    if (saving.status === "failed") {
      return "Not saved: the browser refused to store your progress (" + saving.error + ")." +
        unsavedText() + " Saving is tried again on your next change." + leave;
    }
    if (saving.status === "held") {
      return "Your saved progress could not be read and there is no room to copy it, so it " +
        "is left untouched and nothing new is saved this visit." + unsavedText() + leave;
    }
    return "";
  }

  function showNotices() {
    var content = document.querySelector(".md-content__inner");
    if (!content) {
      return;
    }
    var text = storageNoticeText();
    var notice = content.querySelector(".course-storage-notice");
    if (!text) {
      if (notice) {
        notice.remove();
      }
    } else {
      notice = notice || el("p", "course-storage-notice");
      notice.setAttribute("role", "status");
      notice.classList.toggle("course-storage-notice--problem", saving.status !== "blocked");
      notice.textContent = text;
      content.insertBefore(notice, content.firstChild);
    }
    showBackups(content);
  }

  function showBackups(content) {
    var box = content.querySelector(".course-backup-notice");
    if (box) {
      box.remove();
    }
    if (!backups.length) {
      return;
    }
    box = el("div", "course-backup-notice");
    box.setAttribute("role", "alert");
    backups.forEach(function (backup) {
      var item = el("p", null, backup.fresh ?
        "Your saved course progress could not be read (" + backup.problem + "). " +
        (backup.kept ? "It is kept in this browser under the key “" + backup.key + "”, " +
          "and the course started afresh beside it. " :
          "It is left untouched in this browser; the course started afresh for this visit. ") :
        "Course progress that could not be read on an earlier visit is kept in this browser " +
        "under the key “" + backup.key + "”. ");
      var link = el("a", null, "Download the saved value");
      if (!backup.url) {
        backup.url = URL.createObjectURL(new Blob([backup.raw], { type: "application/json" }));
      }
      link.href = backup.url;
      link.download = "lstm-course-progress-unreadable.json";
      item.appendChild(link);
      if (backup.kept) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(button("Delete this copy", "", function () {
          if (window.confirm("Delete the copy of the unreadable progress from this browser?")) {
            try {
              window.localStorage.removeItem(backup.key);
            } catch (ignored) { /* a blocked storage has nothing to delete */ }
            backups.splice(backups.indexOf(backup), 1);
            showNotices();
          }
        }));
      }
      box.appendChild(item);
    });
    content.insertBefore(box, content.firstChild);
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
    var badge = document.querySelector(".course-xp-badge"); // in the page (partials/search.html)
    if (badge) {
      badge.textContent = totalXp() + " XP";
      // Announced when it changes, not when the page first fills it in.
      badge.setAttribute("aria-live", "polite");
    }
    document.querySelectorAll("[data-course-module-xp]").forEach(function (node) {
      var module = moduleById(node.getAttribute("data-course-module-xp"));
      node.textContent = moduleXp(module) + " / " + possibleXp(module) + " XP";
    });
    document.querySelectorAll(".course-progress").forEach(drawProgress);
  }

  function changed() {
    scheduleSave();
    refreshXp();
  }

  // ---- checklists, Feynman, notes (the module banner comes with the page: course_data.py) ----

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
        labelWithSentence(box, item);
      }
      box.addEventListener("change", function () {
        ticks[index] = box.checked;
        state.checklists[module.id] = ticks.slice();
        changed();
      });
    });
  }

  // Material draws "- [ ] sentence" as <label><input><span></span></label> sentence: move
  // the sentence into the label, so that clicking it ticks the box and names it.
  function labelWithSentence(box, item) {
    var label = box.closest("label");
    if (!label) {
      box.setAttribute("aria-label", item.textContent.trim());
      return;
    }
    while (label.nextSibling) {
      label.appendChild(label.nextSibling);
    }
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
      status.classList.add("course-saved--visible");
      onInput(area.value);
    });
    wrapper.appendChild(labelNode);
    wrapper.appendChild(area);
    wrapper.appendChild(status);
    return wrapper;
  }

  // The Feynman block's box comes with the page (docs/hooks/course_data.py), so nothing moves
  // when it is swapped here for one that keeps what the reader types.
  function addFeynman(module, content) {
    var slot = content.querySelector(".admonition.example .course-textarea");
    if (!slot) {
      return;
    }
    var label = slot.querySelector(".course-textarea__label").textContent;
    slot.replaceWith(savingTextarea(label, state.feynman[module.id], function (text) {
      state.feynman[module.id] = text;
      changed();
    }));
  }

  // The notes section comes with the page too (docs/hooks/course_data.py): its box is
  // swapped for one that keeps what is typed (again after an import), its buttons wired.
  function addNotes(module, content) {
    var section = content.querySelector(".course-notes");
    if (!section) {
      return;
    }
    var slot = section.querySelector(".course-textarea");
    var label = slot.querySelector(".course-textarea__label").textContent;
    slot.replaceWith(savingTextarea(label, state.notes[module.id], function (text) {
      state.notes[module.id] = text;
      changed();
    }));
    var buttons = section.querySelectorAll(".course-actions .md-button");
    var input = section.querySelector(".course-actions input[type=file]");
    buttons[0].onclick = exportNotes;
    buttons[1].onclick = function () { input.click(); };
    buttons.forEach(function (node) { node.disabled = false; });
    input.onchange = function () {
      if (input.files && input.files[0]) {
        input.files[0].text().then(function (text) {
          var count = importNotes(text);
          input.value = "";
          renderPage();
          announce(section, count ? "Imported notes for " + count + " module(s)." :
            "No notes found in that file.");
        });
      }
    };
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
        (before.passed ? "Not passed this time: " : "Not passed yet: ") + right + " / " +
        quiz.questions.length + "; the pass mark is " +
        Math.ceil(quiz.pass_mark * quiz.questions.length) + "." + (before.passed ?
          " You passed on an earlier try (best " + Math.max(before.best, right) + " / " +
          quiz.questions.length + "), so the module stays complete." :
          " Read the explanations and retry.")));
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

  // The summary page's progress box comes with the page (docs/hooks/course_data.py): a total,
  // one bar per module and a reset button. This fills in what this browser has earned.
  function drawProgress(container) {
    var complete = course.modules.every(function (m) { return moduleXp(m) === possibleXp(m); });
    container.querySelector(".course-progress__earned").textContent = totalXp();
    container.querySelector(".course-complete").hidden = !complete;
    course.modules.forEach(function (module) {
      var bar = container.querySelector('[data-course-bar="' + module.id + '"]');
      bar.querySelector(".course-bar__fill").style.width =
        (100 * moduleXp(module) / possibleXp(module)) + "%";
      bar.querySelector(".course-bar__earned").textContent = moduleXp(module);
    });
    var reset = container.querySelector(".course-reset");
    reset.disabled = false;
    reset.onclick = function () {
      if (window.confirm("Delete your notes, ticks, flashcard and quiz progress in this browser?")) {
        state = emptyState();
        changed();
        renderPage();
      }
    };
  }

  // ---- page wiring ---------------------------------------------------------------------------

  function renderPage() {
    var content = document.querySelector(".md-content__inner");
    if (!content || !course) {
      return;
    }
    var module = currentModule();
    if (module) {
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
    showNotices();
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

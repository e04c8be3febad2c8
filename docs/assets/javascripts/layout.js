// Boxes that scroll sideways (lesson code and outputs, wide equations, tables, diagrams)
// become focusable while, and only while, they overflow, so that a keyboard can scroll
// them without adding a tab stop to every box that fits. Runs on every page change, on
// resize, and when diagrams.js announces new content ("finlstm:rendered").
(function () {
  "use strict";
  var SCROLLING = [
    ".jupyter-wrapper pre",
    ".jupyter-wrapper .jp-OutputArea-output",
    ".md-typeset div.arithmatex",
    ".md-typeset .katex-display",
    ".md-typeset__scrollwrap",
    ".md-typeset div.mermaid",
  ].join(", ");
  var pending = false;
  var again = false; // content changed during a pass: measure once more after it

  function update(box, overflowing) {
    if (overflowing && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("data-finlstm-scroll", "");
    } else if (!overflowing && box.hasAttribute("data-finlstm-scroll")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("data-finlstm-scroll");
    }
  }

  // In idle time, a few boxes per idle period: measuring a box in a cell the browser has not
  // laid out yet (content-visibility) lays that cell out, so a whole lesson at once would
  // be one long task. Within a batch, all measurements come before all changes:
  // interleaving them would force a layout per box.
  function mark(boxes, deadline) {
    var batch = [];
    while (boxes.length && (batch.length < 4 || deadline.timeRemaining() > 8)) {
      batch.push(boxes.shift());
    }
    var overflowing = batch.map(function (box) { return box.scrollWidth > box.clientWidth + 1; });
    batch.forEach(function (box, index) { update(box, overflowing[index]); });
    if (boxes.length) {
      idle(function (next) { mark(boxes, next); });
    } else if (again) {
      again = false;
      idle(function (next) { mark(all(), next); });
    } else {
      pending = false;
      // Every box has been measured (the browser tests wait for this).
      document.documentElement.setAttribute("data-finlstm-scroll-marked", "");
    }
  }

  function idle(callback) {
    if (window.requestIdleCallback) {
      window.requestIdleCallback(callback, { timeout: 2000 });
    } else {
      window.setTimeout(function () { callback({ timeRemaining: function () { return 0; } }); }, 50);
    }
  }

  // When the browser is idle, so that the first paint never waits for it.
  function all() {
    return Array.prototype.slice.call(document.querySelectorAll(SCROLLING));
  }

  function schedule() {
    document.documentElement.removeAttribute("data-finlstm-scroll-marked");
    if (pending) {
      again = true;
      return;
    }
    pending = true;
    idle(function (deadline) { mark(all(), deadline); });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(schedule);
  } else {
    document.addEventListener("DOMContentLoaded", schedule);
  }
  window.addEventListener("resize", schedule);
  window.addEventListener("load", schedule);
  document.addEventListener("finlstm:rendered", schedule);
})();

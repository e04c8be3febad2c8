// Boxes that scroll sideways (lesson code and outputs, wide equations, tables, diagrams)
// become focusable while, and only while, they overflow, so that a keyboard can scroll
// them without adding a tab stop to every box that fits. Runs on every page change, on
// resize, and when math.js or diagrams.js announce new content ("finlstm:rendered").
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

  // All measurements first, then all changes: interleaving them would force a layout per box.
  function mark() {
    pending = false;
    var boxes = Array.prototype.slice.call(document.querySelectorAll(SCROLLING));
    var overflowing = boxes.map(function (box) { return box.scrollWidth > box.clientWidth + 1; });
    boxes.forEach(function (box, index) {
      if (overflowing[index] && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-finlstm-scroll", "");
      } else if (!overflowing[index] && box.hasAttribute("data-finlstm-scroll")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-finlstm-scroll");
      }
    });
  }

  // When the browser is idle, so that the first paint never waits for it.
  function schedule() {
    if (!pending) {
      pending = true;
      if (window.requestIdleCallback) {
        window.requestIdleCallback(mark, { timeout: 2000 });
      } else {
        window.setTimeout(mark, 200);
      }
    }
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

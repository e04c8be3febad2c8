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

  function mark() {
    pending = false;
    document.querySelectorAll(SCROLLING).forEach(function (box) {
      var overflows = box.scrollWidth > box.clientWidth + 1;
      if (overflows && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-finlstm-scroll", "");
      } else if (!overflows && box.hasAttribute("data-finlstm-scroll")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-finlstm-scroll");
      }
    });
  }

  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(mark);
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

// Typeset math with the site's own KaTeX (docs/assets/vendor/katex), fetched only by a page
// that has math, on every page load and after every instant-navigation page change
// (Material's document$ observable). Each block of math is typeset when it comes within
// about a screen of the viewport, one block per task: a long lesson never typesets, in one
// blocking task, math the reader has not scrolled to, and a page whose math is further down
// fetches KaTeX only when the reader gets near it.
//  * Markdown pages: pymdownx.arithmatex (generic mode) wraps math in .arithmatex elements
//    using \( \) and \[ \] delimiters.
//  * Lesson pages (notebooks): markdown cells keep $...$ and $$...$$, so those delimiters
//    are enabled inside .jupyter-wrapper only, where a $ is math, not money.
(function () {
  "use strict";
  var VENDOR = new URL("../vendor/katex/", document.currentScript.src).href;
  var bracketDelimiters = [
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ];
  var notebookDelimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false },
  ].concat(bracketDelimiters);
  var loading = null;
  var observer = null;
  var AHEAD = "100% 0px"; // typeset a screen before the math scrolls into view

  function script(src) {
    return new Promise(function (resolve, reject) {
      var node = document.createElement("script");
      node.src = src;
      node.onload = resolve;
      node.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(node);
    });
  }

  function loadKatex() {
    if (!loading) {
      var style = document.createElement("link");
      style.rel = "stylesheet";
      style.href = VENDOR + "katex.min.css";
      document.head.appendChild(style);
      loading = script(VENDOR + "katex.min.js").then(function () {
        return script(VENDOR + "contrib/auto-render.min.js");
      });
    }
    return loading;
  }

  function notebookMath() {
    return Array.prototype.filter.call(
      document.querySelectorAll(".jupyter-wrapper .jp-MarkdownOutput"),
      function (element) { return /\$|\\\(|\\\[/.test(element.textContent); }
    );
  }

  function typesetOne(element) {
    var delimiters = element.classList.contains("arithmatex") ? bracketDelimiters
      : notebookDelimiters;
    renderMathInElement(element, { delimiters: delimiters, throwOnError: false });
  }

  // Typeset the elements that came near, one per task, then tell layout.js.
  function typesetSoon(elements) {
    loadKatex().then(function () {
      var queue = elements.slice();
      (function next() {
        if (!queue.length) {
          document.dispatchEvent(new Event("finlstm:rendered"));
          return;
        }
        typesetOne(queue.shift());
        window.setTimeout(next, 0);
      })();
    });
  }

  function typeset() {
    if (observer) {
      observer.disconnect();
    }
    var elements = Array.prototype.slice.call(document.querySelectorAll(".arithmatex"))
      .concat(notebookMath());
    if (!elements.length) {
      return;
    }
    if (!("IntersectionObserver" in window)) {
      typesetSoon(elements);
      return;
    }
    observer = new IntersectionObserver(function (entries, self) {
      var near = entries.filter(function (entry) { return entry.isIntersecting; })
        .map(function (entry) { return entry.target; });
      near.forEach(function (element) { self.unobserve(element); });
      if (near.length) {
        typesetSoon(near);
      }
    }, { rootMargin: AHEAD });
    elements.forEach(function (element) { observer.observe(element); });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(typeset);
  } else {
    document.addEventListener("DOMContentLoaded", typeset);
  }
})();

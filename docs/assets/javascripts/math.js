// Typeset math with the site's own KaTeX (docs/assets/vendor/katex), fetched only by a page
// that has math, after the page has painted, on every page load and after every
// instant-navigation page change (Material's document$ observable).
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

  function typeset() {
    var markdown = document.querySelectorAll(".arithmatex");
    var notebook = notebookMath();
    if (!markdown.length && !notebook.length) {
      return;
    }
    loadKatex().then(function () {
      markdown.forEach(function (element) {
        renderMathInElement(element, { delimiters: bracketDelimiters, throwOnError: false });
      });
      notebook.forEach(function (element) {
        renderMathInElement(element, { delimiters: notebookDelimiters, throwOnError: false });
      });
      document.dispatchEvent(new Event("finlstm:rendered"));
    });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(typeset);
  } else {
    document.addEventListener("DOMContentLoaded", typeset);
  }
})();

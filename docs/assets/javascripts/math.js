// Typeset math with the site's own KaTeX (docs/assets/vendor/katex), on every page load and
// after every instant-navigation page change (Material's document$ observable).
//  * Markdown pages: pymdownx.arithmatex (generic mode) wraps math in .arithmatex elements
//    using \( \) and \[ \] delimiters.
//  * Lesson pages (notebooks): markdown cells keep $...$ and $$...$$, so those delimiters
//    are enabled inside .jupyter-wrapper only, where a $ is math, not money.
(function () {
  "use strict";
  var bracketDelimiters = [
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ];
  var notebookDelimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false },
  ].concat(bracketDelimiters);

  function typeset() {
    if (typeof renderMathInElement !== "function") {
      return;
    }
    document.querySelectorAll(".arithmatex").forEach(function (element) {
      renderMathInElement(element, { delimiters: bracketDelimiters, throwOnError: false });
    });
    document.querySelectorAll(".jupyter-wrapper .jp-MarkdownOutput").forEach(function (element) {
      renderMathInElement(element, { delimiters: notebookDelimiters, throwOnError: false });
    });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(typeset);
  } else {
    document.addEventListener("DOMContentLoaded", typeset);
  }
})();

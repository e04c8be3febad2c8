// Mermaid diagrams from the site's own copy (docs/assets/vendor/mermaid), fetched only by a
// page that has a diagram.
//
// Material for MkDocs draws each ```mermaid block with `mermaid.initialize` and
// `mermaid.render`, and fetches Mermaid from a CDN when `window.mermaid` is undefined. This
// script (deferred, so it runs before Material looks for diagrams) defines a small
// `window.mermaid` that loads the 3.5 MB library on the first `render` call and hands the
// call on to it, when the diagram comes within about a screen of the viewport: a page whose
// diagrams are further down neither fetches nor runs Mermaid until the reader gets near
// them. It also keeps a drawn diagram at a readable size: never scaled below MIN_SCALE of
// its natural width; a wider diagram scrolls inside its own box.
(function () {
  "use strict";
  var MIN_SCALE = 0.8;
  var LIBRARY = new URL("../vendor/mermaid/mermaid.min.js", document.currentScript.src).href;
  var AHEAD = "100% 0px"; // draw a screen before the diagram scrolls into view
  var config = null;
  var loading = null;

  // Resolves when the diagram whose source is `text` comes near the viewport (at once
  // where it cannot be found or the browser cannot tell).
  function near(text) {
    var source = Array.prototype.find.call(
      document.querySelectorAll("pre.mermaid"),
      function (element) { return element.textContent === text; }
    );
    if (!source || !("IntersectionObserver" in window)) {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          observer.disconnect();
          resolve();
        }
      }, { rootMargin: AHEAD });
      observer.observe(source);
    });
  }

  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = LIBRARY;
        script.onload = function () {
          var library = window.mermaid;
          window.mermaid = proxy; // later renders pass through here too
          library.initialize(config || { startOnLoad: false });
          resolve(library);
        };
        script.onerror = function () { reject(new Error("could not load " + LIBRARY)); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // The SVG's natural width, kept as its maximum, and a minimum that keeps text readable;
  // a block, so that its box is as tall as the drawing (the size course.css reserves for it).
  function readable(svg) {
    return svg.replace(/(<svg[^>]*?)style="max-width:\s*([\d.]+)px;?"/, function (_, head, width) {
      var natural = parseFloat(width);
      return head + 'style="display: block; max-width: ' + natural + "px; min-width: " +
        Math.round(natural * MIN_SCALE) + 'px;"';
    });
  }

  var proxy = {
    initialize: function (options) { config = options; },
    render: function (id, text) {
      return near(text).then(load).then(function (library) {
        return library.render(id, text);
      }).then(function (result) {
        // Material puts the drawing in the page right after this resolves.
        window.setTimeout(function () {
          document.dispatchEvent(new Event("finlstm:rendered"));
        }, 50);
        return Object.assign({}, result, { svg: readable(result.svg) });
      });
    },
  };

  if (typeof window.mermaid === "undefined") {
    window.mermaid = proxy;
  }
})();

// Mermaid diagrams from the site's own copy (docs/assets/vendor/mermaid), fetched only by a
// page that has a diagram.
//
// Material for MkDocs draws each ```mermaid block with `mermaid.initialize` and
// `mermaid.render`, and fetches Mermaid from a CDN when `window.mermaid` is undefined. This
// script (deferred, so it runs before Material looks for diagrams) defines a small
// `window.mermaid` that loads the 3.5 MB library on the first `render` call and hands the
// call on to it. It also keeps a drawn diagram at a readable size: never scaled below
// MIN_SCALE of its natural width; a wider diagram scrolls inside its own box.
(function () {
  "use strict";
  var MIN_SCALE = 0.8;
  var LIBRARY = new URL("../vendor/mermaid/mermaid.min.js", document.currentScript.src).href;
  var config = null;
  var loading = null;

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

  // The SVG's natural width, kept as its maximum, and a minimum that keeps text readable.
  function readable(svg) {
    return svg.replace(/(<svg[^>]*?)style="max-width:\s*([\d.]+)px;?"/, function (_, head, width) {
      var natural = parseFloat(width);
      return head + 'style="max-width: ' + natural + "px; min-width: " +
        Math.round(natural * MIN_SCALE) + 'px;"';
    });
  }

  var proxy = {
    initialize: function (options) { config = options; },
    render: function (id, text) {
      return load().then(function (library) {
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

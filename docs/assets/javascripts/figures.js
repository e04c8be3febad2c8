// Lesson figures open large in an overlay: a click on a figure, or Enter or Space on a
// focused one, shows the wide variant of the theme on screen in a modal dialog, at its
// drawn size on a phone (scrolling sideways) and fitted to the window on a desktop. The
// close button, Escape or a click outside the figure closes it; focus returns to the figure.
(function () {
  "use strict";
  var dialog = null;
  var opener = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "finlstm-lightbox";
    dialog.setAttribute("aria-label", "Enlarged figure");
    dialog.innerHTML =
      '<button type="button" class="finlstm-lightbox__close" aria-label="Close the enlarged figure">' +
      '<span aria-hidden="true">\u00d7</span> Close</button>' +
      '<div class="finlstm-lightbox__frame"><img class="finlstm-lightbox__image" alt=""></div>';
    dialog.querySelector(".finlstm-lightbox__close").addEventListener("click", close);
    // A click on the backdrop or beside the image lands on the dialog or its frame.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog || event.target.classList.contains("finlstm-lightbox__frame")) {
        close();
      }
    });
    dialog.addEventListener("close", function () {
      document.documentElement.classList.remove("finlstm-lightbox-open");
      if (opener && document.contains(opener)) opener.focus();
      opener = null;
    });
    document.body.appendChild(dialog);
  }

  function open(link) {
    if (!dialog || !document.body.contains(dialog)) build();
    var figure = link.querySelector("img");
    var image = dialog.querySelector(".finlstm-lightbox__image");
    image.src = link.getAttribute("href");
    image.alt = figure ? figure.alt : "";
    // The PNG holds 1.6 pixels per CSS pixel of the figure's drawn size (plots.SAVE_DPI / 100).
    var width = figure ? parseInt(figure.getAttribute("width"), 10) : 0;
    image.style.width = width ? Math.round(width / 1.6) + "px" : "";
    opener = link;
    document.documentElement.classList.add("finlstm-lightbox-open");
    dialog.showModal();
    dialog.querySelector(".finlstm-lightbox__close").focus();
  }

  function close() {
    if (dialog && dialog.open) dialog.close();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.finlstm-zoom") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (typeof HTMLDialogElement === "undefined") return; // the plain link opens the PNG
    event.preventDefault();
    open(link);
  });

  // Enter already clicks a focused link; Space does not, so it is handled here.
  document.addEventListener("keydown", function (event) {
    var link = event.target.closest ? event.target.closest("a.finlstm-zoom") : null;
    if (link && (event.key === " " || event.key === "Spacebar")) {
      event.preventDefault();
      if (typeof HTMLDialogElement !== "undefined") open(link);
    }
  });
})();

// Loaded on pages with widgets, after require.js and before embed-amd.js (nb_ipywidgets_js in
// _config.yml). `make vendor` (tools/vendor.py) copies it next to embed-amd.js. Three fixes,
// all found with the browser tests (tests/site/test_site.py):
//
// 1. embed-amd.js loads its Font Awesome files relative to the URL that require.js gives its
//    modules, which by default is the page's own folder (404s). Map the module names to the
//    folder of embed-amd.js (= this script's folder) so the fonts come from the site.
// 2. ipywidgets typesets LaTeX in widget descriptions with the MathJax 2 call
//    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3, where
//    that call throws. Provide that one call on top of MathJax 3's typesetPromise, turning
//    the $...$ that Jupyter accepts into the \(...\) the site's MathJax is configured for.
// 3. Names for screen readers (axe-core's image-alt and button-name rules). The widget manager
//    drops the alt text that nnlib/widgets.py gives each figure (image metadata) and draws the
//    Play control's buttons as bare icons. Every figure in a widget output without an alt gets
//    the title of its experiment; every icon-only button gets the name of its icon.
(function () {
  "use strict";
  var here = new URL(".", document.currentScript.src).href; // .../vendor/html-manager/dist/
  var dir = here.replace(/\/$/, "");
  window.__jupyter_widgets_assets_path__ = here;
  if (window.require && window.require.config) {
    window.require.config({
      paths: { "@jupyter-widgets/html-manager/dist": dir, "@jupyter-widgets": dir },
    });
  }

  function toMathJax3Delimiters(el) {
    if (!el || el.childElementCount !== 0) return; // plain text labels only
    el.textContent = el.textContent
      .replace(/\$\$([^$]+)\$\$/g, "\\[$1\\]")
      .replace(/\$([^$]+)\$/g, "\\($1\\)");
  }

  var ICON_NAMES = { "fa-play": "Play", "fa-pause": "Pause", "fa-stop": "Stop",
                     "fa-retweet": "Repeat", "fa-repeat": "Repeat" };

  function experimentTitle(img) {
    // nnlib's Experiment is a VBox: title (HTMLMath), controls, output, caption.
    var box = img.closest(".widget-vbox");
    var title = box && box.querySelector(".widget-htmlmath");
    var text = title ? title.textContent.trim() : "";
    return text ? "Figure of the experiment: " + text : "Figure of an interactive experiment";
  }

  function nameUnnamed(root) {
    root.querySelectorAll(".jupyter-widgets img:not([alt])").forEach(function (img) {
      img.setAttribute("alt", experimentTitle(img));
    });
    root.querySelectorAll("button.jupyter-button").forEach(function (button) {
      if (button.textContent.trim() || button.hasAttribute("aria-label")) return;
      var icon = button.querySelector("i");
      var name = "Button";
      Object.keys(ICON_NAMES).forEach(function (cls) {
        if (icon && icon.classList.contains(cls)) name = ICON_NAMES[cls];
      });
      button.setAttribute("aria-label", name);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    nameUnnamed(document);
    new MutationObserver(function () {
      nameUnnamed(document);
    }).observe(document.body, { childList: true, subtree: true });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub || !mj.version || String(mj.version).charAt(0) !== "3") return;
    var queue = (mj.startup && mj.startup.promise) || Promise.resolve();
    mj.Hub = {
      Queue: function (cmd) {
        var el = Array.isArray(cmd) ? cmd[2] : undefined;
        queue = queue
          .then(function () {
            toMathJax3Delimiters(el);
            return mj.typesetPromise(el ? [el] : undefined);
          })
          .catch(function (err) {
            console.warn("MathJax typeset failed:", err);
          });
      },
    };
  });
})();

// Loaded on pages with widgets, after require.js and before embed-amd.js (nb_ipywidgets_js in
// _config.yml). `make vendor` (tools/vendor.py) copies it next to embed-amd.js. Two fixes,
// both found with tools/check_site_browser.py:
//
// 1. embed-amd.js loads its Font Awesome files relative to the URL that require.js gives its
//    modules, which by default is the page's own folder (404s). Map the module names to the
//    folder of embed-amd.js (= this script's folder) so the fonts come from the site.
// 2. ipywidgets typesets LaTeX in widget descriptions with the MathJax 2 call
//    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3, where
//    that call throws. Provide that one call on top of MathJax 3's typesetPromise, turning
//    the $...$ that Jupyter accepts into the \(...\) the site's MathJax is configured for.
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

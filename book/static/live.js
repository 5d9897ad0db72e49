// The website's live experiments (book/live.py writes them; tools/book_build.py adds this file
// to the pages that have one). Each experiment is a <div class="nnb-live"> with HTML controls,
// an <img>, and a JSON description of its frames: one precomputed image per combination of
// control values. Moving a control shows the frame for the new values; nothing else is
// computed in the page, and nothing is fetched but the frame images of the site itself.
(function () {
  "use strict";

  function setup(root) {
    var dataEl = root.querySelector("script.nnb-live-data");
    if (!dataEl || root.dataset.ready) return;
    root.dataset.ready = "1";
    var spec = JSON.parse(dataEl.textContent);
    var img = root.querySelector("img.nnb-live-img");
    var status = root.querySelector(".nnb-live-status");
    // A Pick control (check boxes) is not part of a frame's key: each of its options is a
    // transparent layer of the frame, shown over the base image when the option is ticked.
    var pick = spec.controls.find(function (c) { return c.kind === "pick"; }) || null;
    var controls = spec.controls.filter(function (c) { return c.kind !== "pick"; });
    var layerImgs = {};
    root.querySelectorAll("img.nnb-live-layer").forEach(function (el) {
      layerImgs[el.dataset.option] = el;
    });
    var picked = pick ? pick.default.slice() : [];
    var state = {};
    var inputs = {};
    controls.forEach(function (c) {
      state[c.name] = c.default;
      inputs[c.name] = root.querySelector('[data-control="' + c.name + '"]');
    });

    function key(s) {
      return controls.map(function (c) { return s[c.name]; }).join("|");
    }

    // The values of control c that have a frame, given the other controls' current values.
    // Play controls (steps, epochs) follow the others: when c is not one, any value of a play
    // control will do (repair() then moves the play control into range).
    var frameParts = Object.keys(spec.frames).map(function (k) { return k.split("|"); });
    function available(c) {
      var ci = controls.indexOf(c);
      return c.values.filter(function (v) {
        return frameParts.some(function (parts) {
          if (parts[ci] !== v) return false;
          return controls.every(function (o, i) {
            return i === ci || (o.kind === "play" && c.kind !== "play") ||
              parts[i] === state[o.name];
          });
        });
      });
    }

    // After control `changed` moved: if the combination has no frame, move the other
    // controls to the nearest combination that has one (fewest index steps away).
    function repair(changed) {
      if (spec.frames[key(state)]) return;
      var best = null, bestCost = Infinity;
      Object.keys(spec.frames).forEach(function (k) {
        var parts = k.split("|");
        if (parts[controls.findIndex(function (c) { return c.name === changed; })] !==
            state[changed]) return;
        var cost = 0;
        controls.forEach(function (c, i) {
          cost += Math.abs(c.values.indexOf(parts[i]) - c.values.indexOf(state[c.name]));
        });
        if (cost < bestCost) { best = parts; bestCost = cost; }
      });
      if (best) controls.forEach(function (c, i) { state[c.name] = best[i]; });
    }

    function syncInputs() {
      controls.forEach(function (c) {
        var el = inputs[c.name];
        if (!el) return;
        var idx = c.values.indexOf(state[c.name]);
        if (c.kind === "select") el.value = String(idx);
        else if (c.kind === "checkbox") el.checked = state[c.name] === "on";
        else {
          var avail = available(c).map(function (v) { return c.values.indexOf(v); });
          if (avail.length) {
            el.min = String(Math.min.apply(null, avail));
            el.max = String(Math.max.apply(null, avail));
          }
          el.value = String(idx);
          el.setAttribute("aria-valuetext", c.label + " = " + state[c.name]);
          var out = el.parentNode.querySelector("output");
          if (out) out.textContent = state[c.name];
        }
      });
    }

    function preload(k) {
      var f = spec.frames[k];
      if (f && !f.loaded) { f.loaded = true; new Image().src = f.src; }
    }

    function show() {
      var k = key(state);
      var f = spec.frames[k];
      if (!f) return;
      if (img.getAttribute("src") !== f.src) img.setAttribute("src", f.src);
      var alt = f.alt;
      if (pick) {
        var shown = [];
        pick.values.forEach(function (v, i) {
          var el = layerImgs[v];
          if (!el) return;
          var on = picked.indexOf(v) >= 0;
          if (on) {
            shown.push(pick.labels[i]);
            if (f.layers && el.getAttribute("src") !== f.layers[v]) {
              el.setAttribute("src", f.layers[v]);
            }
          }
          el.hidden = !on;
        });
        alt += " " + pick.label + ": " + (shown.length ? shown.join(", ") : "none") + ".";
        img.dataset.picked = picked.join(",");
      }
      img.setAttribute("alt", alt);
      img.dataset.key = k;
      if (status) status.textContent = alt;
      // the neighbours of every control, so the next move shows at once
      controls.forEach(function (c) {
        var i = c.values.indexOf(state[c.name]);
        [i - 1, i + 1].forEach(function (j) {
          if (j < 0 || j >= c.values.length) return;
          var s = Object.assign({}, state);
          s[c.name] = c.values[j];
          preload(key(s));
        });
      });
    }

    function set(name, value) {
      state[name] = value;
      repair(name);
      syncInputs();
      show();
    }

    controls.forEach(function (c) {
      var el = inputs[c.name];
      if (!el) return;
      if (c.kind === "select") {
        el.addEventListener("change", function () { set(c.name, c.values[+el.value]); });
      } else if (c.kind === "checkbox") {
        el.addEventListener("change", function () { set(c.name, el.checked ? "on" : "off"); });
      } else {
        el.addEventListener("input", function () { set(c.name, c.values[+el.value]); });
      }
    });

    if (pick) {
      root.querySelectorAll('input[data-pick="' + pick.name + '"]').forEach(function (box) {
        box.addEventListener("change", function () {
          picked = pick.values.filter(function (v) {
            var el = root.querySelector('input[data-pick="' + pick.name + '"][value="' + v +
                                        '"]');
            return el && el.checked;
          });
          show();
        });
      });
    }

    // Play buttons: step the control through the values that have frames, then stop.
    root.querySelectorAll("button.nnb-live-play").forEach(function (button) {
      var c = controls.find(function (x) { return x.name === button.dataset.play; });
      var timer = null;
      function stop() {
        if (timer) clearInterval(timer);
        timer = null;
        button.textContent = "Play";
        button.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-label", "Play " + c.label);
      }
      function tick() {
        var avail = available(c);
        var i = avail.indexOf(state[c.name]);
        if (i < 0 || i >= avail.length - 1) { stop(); return; }
        set(c.name, avail[i + 1]);
      }
      button.addEventListener("click", function () {
        if (timer) { stop(); return; }
        var avail = available(c);
        if (avail.indexOf(state[c.name]) >= avail.length - 1) set(c.name, avail[0]);
        button.textContent = "Pause";
        button.setAttribute("aria-pressed", "true");
        button.setAttribute("aria-label", "Pause " + c.label);
        timer = setInterval(tick, c.interval || 400);
      });
      button.setAttribute("aria-pressed", "false");
    });

    syncInputs();
    show();
  }

  function init() {
    document.querySelectorAll("div.nnb-live").forEach(setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

/* The area picker (ARIA 1.2 combobox with a list popup). Progressive enhancement of
   <div data-area-picker>: without this script the text input is sent as typed and the server
   resolves names and codes. With it, typing shows suggestions of every area kind; arrow keys move,
   Enter or a click chooses, Escape closes. In a multiple picker a chosen area becomes a ticked
   checkbox (untick to remove); in a single picker (filters) it fills the input. */
(function () {
  "use strict";
  var seq = 0;

  function setup(root) {
    var input = root.querySelector("input[type=text], input[type=search]");
    var listbox = root.querySelector("[role=listbox]");
    var status = root.querySelector("[role=status]");
    var chosen = root.querySelector(".plek-area-picker__chosen");
    if (!input || !listbox || root.getAttribute("data-ready")) return;
    root.setAttribute("data-ready", "1");
    var multiple = root.getAttribute("data-multiple") === "1";
    var url = root.getAttribute("data-suggest-url");
    var kinds = root.getAttribute("data-kinds") || "";
    var fieldName = root.getAttribute("data-field") || (input.name || "").replace(/__add$/, "");
    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("autocomplete", "off");

    function say(text) {
      if (!status) return;
      status.textContent = text;
    }
    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(i) {
      var options = listbox.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (i + options.length) % options.length;
      Array.prototype.forEach.call(options, function (o, j) {
        o.setAttribute("aria-selected", j === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }
    function render(results) {
      items = results;
      listbox.innerHTML = "";
      active = -1;
      if (document.activeElement !== input) { close(); return; }  // focus moved on meanwhile
      if (!results.length) {
        close();
        say(root.getAttribute("data-none") || "");
        return;
      }
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = listbox.id + "-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.className = "plek-area-picker__option";
        var name = document.createElement("span");
        name.textContent = r.label;
        li.appendChild(name);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { choose(i); });
        listbox.appendChild(li);
      });
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      var n = results.length;
      say(n === 1 ? root.getAttribute("data-count-one") || "1"
        : (root.getAttribute("data-count-many") || "{n}").replace("{n}", String(n)));
    }
    function changed() {
      document.body.dispatchEvent(new CustomEvent("regions-changed"));
    }
    function choose(i) {
      var r = items[i];
      if (!r) return;
      if (multiple && chosen) {
        var existing = chosen.querySelector('input[value="' + r.code.replace(/"/g, "") + '"]');
        if (existing) {
          existing.checked = true;
        } else {
          var li = document.createElement("li");
          var box = document.createElement("input");
          box.type = "checkbox"; box.name = fieldName; box.value = r.code; box.checked = true;
          box.id = (root.getAttribute("data-box-prefix") || input.id + "_") + r.code.replace(/[^A-Za-z0-9_-]/g, "");
          box.addEventListener("change", changed);
          var label = document.createElement("label");
          label.htmlFor = box.id; label.className = "plek-inline"; label.textContent = r.label;
          li.appendChild(box); li.appendChild(document.createTextNode(" ")); li.appendChild(label);
          chosen.appendChild(li);
        }
        input.value = "";
        say((root.getAttribute("data-added") || "+") + " " + r.label);
        changed();
      } else {
        input.value = r.label;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        say((root.getAttribute("data-added") || "+") + " " + r.label);
      }
      close();
    }
    function fetchSuggestions(then) {
      var q = input.value.trim();
      if (q.length < 2 && !/^[A-Za-z]{2}\d/.test(q)) { close(); return; }
      var mine = ++seq;
      if (pending && pending.abort) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      var src = url + "?q=" + encodeURIComponent(q) + (kinds ? "&soort=" + encodeURIComponent(kinds) : "");
      fetch(src, { headers: { Accept: "application/json" }, signal: pending ? pending.signal : undefined })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          if (mine !== seq) return;
          render(data.results || []);
          if (then) then(data.results || []);
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (e) {
      var open = !listbox.hidden;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!open) { fetchSuggestions(); return; }
        highlight(active + 1);
      } else if (e.key === "ArrowUp") {
        if (open) { e.preventDefault(); highlight(active - 1); }
      } else if (e.key === "Enter") {
        if (open && items.length) {
          e.preventDefault();
          choose(active >= 0 ? active : 0);
        } else if (multiple && input.value.trim()) {
          // Typed a whole name or code and pressed Enter: add it when it is exactly one area.
          e.preventDefault();
          window.clearTimeout(timer);
          var typed = input.value.trim().toLowerCase();
          fetchSuggestions(function (results) {
            var exact = results.filter(function (r) {
              return r.label.toLowerCase() === typed || r.code.toLowerCase() === typed;
            });
            if (exact.length === 1) choose(results.indexOf(exact[0]));
          });
        }
      } else if (e.key === "Escape") {
        if (open) { e.preventDefault(); close(); } else if (input.value) { e.preventDefault(); input.value = ""; }
      } else if (e.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    if (chosen) {
      Array.prototype.forEach.call(chosen.querySelectorAll("input[type=checkbox]"), function (box) {
        box.addEventListener("change", changed);
      });
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-area-picker]"), setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();

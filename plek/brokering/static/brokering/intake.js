/* Intake: the area picker. Without JavaScript the typed text is sent and the server finds the areas;
   with it, choosing an option from the list adds a ticked checkbox at once, so several areas can be
   chosen one by one. Enter in the picker adds the area instead of submitting the form. */
(function () {
  "use strict";
  var input = document.getElementById("id_regions");
  var list = document.getElementById("chosen-regions");
  var status = document.getElementById("region-status");
  var options = document.getElementById("region-options");
  if (!input || !list || !options) return;
  var byLabel = {};
  Array.prototype.forEach.call(options.options, function (o) {
    var m = /\(([^()]+)\)\s*$/.exec(o.value);
    if (m) byLabel[o.value.toLowerCase()] = { code: m[1], label: o.value };
  });

  function add() {
    var found = byLabel[input.value.trim().toLowerCase()];
    if (!found) return false;
    var id = "region-" + found.code;
    var existing = document.getElementById(id);
    if (existing) {
      existing.checked = true;
    } else {
      var li = document.createElement("li");
      var box = document.createElement("input");
      box.type = "checkbox"; box.name = "regions"; box.value = found.code; box.id = id; box.checked = true;
      box.addEventListener("change", changed);
      var label = document.createElement("label");
      label.htmlFor = id; label.className = "plek-inline"; label.textContent = found.label;
      li.appendChild(box); li.appendChild(document.createTextNode(" ")); li.appendChild(label);
      list.appendChild(li);
    }
    input.value = "";
    if (status) status.textContent = (input.getAttribute("data-added") || "Toegevoegd:") + " " + found.label;
    changed();
    return true;
  }
  function changed() {
    document.body.dispatchEvent(new CustomEvent("regions-changed"));
  }
  input.addEventListener("change", add);
  input.addEventListener("input", function (e) {
    // Picking from the list fires `input` with the whole option text.
    if (e.inputType === "insertReplacementText" || e.inputType === undefined) add();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter") {
      if (add() || input.value.trim() === "") e.preventDefault();
    }
  });
  Array.prototype.forEach.call(list.querySelectorAll("input[type=checkbox]"), function (box) {
    box.addEventListener("change", changed);
  });
})();

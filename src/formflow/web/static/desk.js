// formflow 服务台: live checks and table rows. No rule lives here: the page posts what the clerk
// typed to the desk, where the engine's own validation answers with the problems (in Chinese)
// and the fields that apply; this script only shows that answer.
(function () {
  "use strict";

  function rootOf(name) { return name.split(".")[0]; }

  function setup(form) {
    var touched = new Set();
    var showAll = form.hasAttribute("data-show-all");
    var timer = null;
    var seq = 0;
    var rounds = 0; // checks asked by the page itself since the clerk last typed
    var live = form.querySelector(".live");
    form.querySelectorAll("[data-problems-for]").forEach(function (ul) {
      if (ul.children.length) { touched.add(ul.dataset.problemsFor); }
    });

    function touch(target) {
      if (!target || !target.name || target.name.charAt(0) === "_") { return; }
      touched.add(target.name);
      touched.add(rootOf(target.name));
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    }

    function check() {
      var mine = ++seq;
      var body = new URLSearchParams(new FormData(form));
      fetch(form.dataset.check, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRF-Token": form.elements._csrf.value }
      }).then(function (response) {
        return response.json();
      }).then(function (answer) {
        if (mine === seq) { show(answer); }
      }).catch(function () {
        if (live) { live.textContent = "无法连接服务台：请确认服务台程序仍在运行"; live.className = "live bad"; }
      });
    }

    function show(answer) {
      if (answer.error) {
        if (live) { live.textContent = answer.error; live.className = "live bad"; }
        return;
      }
      Object.keys(answer.computed || {}).forEach(function (name) {  // calculate: what the engine computed
        var out = form.querySelector('[data-calculated="' + CSS.escape(name) + '"]');
        if (out) { out.value = answer.computed[name]; }
      });
      form.querySelectorAll("[data-calculated]").forEach(function (out) {
        if (!(answer.computed || {}).hasOwnProperty(out.dataset.calculated)) { out.value = ""; }
      });
      var hidden = new Set(answer.hidden || []);
      form.querySelectorAll("[data-field]").forEach(function (el) {
        var off = hidden.has(el.dataset.field);
        if (el.tagName === "TD") { el.classList.toggle("na", off); } else { el.hidden = off; }
      });
      // A control is sent only while its field (and the table holding it) applies. When that changes,
      // ask again: the answer was about values that will no longer be sent.
      var switched = false;
      form.querySelectorAll("input, select, textarea").forEach(function (control) {
        if (control.name === "_csrf" || control.name === "_by" || control.name === "_note") { return; }
        var off = false;
        for (var el = control.closest("[data-field]"); el && form.contains(el); el = el.parentElement && el.parentElement.closest("[data-field]")) {
          if (el.hidden || el.classList.contains("na")) { off = true; break; }
        }
        if (control.disabled !== off) { control.disabled = off; switched = true; }
      });
      if (switched && rounds < 3) { rounds += 1; schedule(); }
      form.querySelectorAll("[data-section]").forEach(function (section) {
        var fields = section.querySelectorAll(".fields > [data-field]");
        section.hidden = fields.length > 0 && Array.prototype.every.call(fields, function (f) { return f.hidden; });
      });
      var byName = new Map();
      (answer.problems || []).forEach(function (p) {
        if (!byName.has(p.name)) { byName.set(p.name, []); }
        byName.get(p.name).push(p.message);
      });
      var unplaced = (answer.general || []).slice();
      var total = (answer.texts || []).length;
      form.querySelectorAll("[data-problems-for]").forEach(function (ul) {
        var name = ul.dataset.problemsFor;
        if (!name) { return; }
        var messages = byName.get(name) || [];
        byName.delete(name);
        var visible = showAll || touched.has(name);
        ul.replaceChildren.apply(ul, (visible ? messages : []).map(function (m) {
          var li = document.createElement("li");
          li.textContent = m;
          return li;
        }));
        var control = form.querySelector('[name="' + CSS.escape(name) + '"]:not([type="hidden"])');
        if (control) {
          if (visible && messages.length) { control.setAttribute("aria-invalid", "true"); } else { control.removeAttribute("aria-invalid"); }
        }
        if (visible && messages.length) {
          var details = ul.closest("details");
          if (details) { details.open = true; }
        }
      });
      byName.forEach(function (messages) { unplaced.push.apply(unplaced, messages); });
      var general = form.querySelector('[data-problems-for=""]');
      if (general) {
        general.replaceChildren.apply(general, unplaced.map(function (m) {
          var li = document.createElement("li");
          li.textContent = m;
          return li;
        }));
      }
      if (live) {
        if (answer.ok) {
          live.textContent = "✓ 检查通过，可以提交（按 Enter 或点“提交”）";
          live.className = "live ok";
        } else {
          live.textContent = "还有 " + total + " 处需要填写或改正" + (showAll ? "" : "（已填写过的项目旁会显示原因，提交时全部标出）");
          live.className = "live bad";
        }
      }
    }

    form.addEventListener("input", function (e) { touch(e.target); rounds = 0; schedule(); });
    form.addEventListener("change", function (e) { touch(e.target); rounds = 0; schedule(); });
    form.addEventListener("click", function (e) {
      var add = e.target.closest("[data-add-row]");
      var remove = e.target.closest("[data-remove-row]");
      var wrap = (add || remove) && (add || remove).closest("[data-table]");
      if (!wrap) { return; }
      var body = wrap.querySelector("tbody");
      touched.add(wrap.dataset.table);
      if (add) {
        var next = 1;
        Array.prototype.forEach.call(body.rows, function (row) { next = Math.max(next, (parseInt(row.dataset.row, 10) || 0) + 1); });
        body.insertAdjacentHTML("beforeend", wrap.querySelector("template").innerHTML.split("__ROW__").join(String(next)));
        var first = body.lastElementChild.querySelector("input, select, textarea");
        if (first) { first.focus(); }
      } else {
        remove.closest("tr").remove();
        wrap.querySelector("[data-add-row]").focus();
      }
      schedule();
    });
    form.addEventListener("submit", function () {
      // One click, one submission: the button is switched off once the browser has taken the form.
      var button = form.querySelector("button[type=submit]");
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
    var summary = form.querySelector(".summary.bad");
    if (summary) { summary.focus(); }
  }

  // 房号 as the clerk types: the register's units that start so (a datalist), and once one is chosen, its
  // owner and phone into the form's resident fields that are still empty (the clerk may change them).
  function setupUnits(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var hint = document.getElementById(input.id + "-unit");
    var timer = null;
    function ask(text) {
      return fetch(input.dataset.units + "?" + new URLSearchParams({ q: text }), { credentials: "same-origin" })
        .then(function (response) { return response.json(); });
    }
    function suggest() {
      var text = input.value.trim();
      if (!text) { list.replaceChildren(); return; }
      ask(text).then(function (answer) {
        list.replaceChildren.apply(list, answer.units.map(function (u) {
          var option = document.createElement("option");
          option.value = u.unit;
          option.label = [u.owner, u.status].filter(Boolean).join(" · ");
          return option;
        }));
      }).catch(function () {});
    }
    function chosen() {
      var text = input.value.trim();
      if (!text) { if (hint) { hint.textContent = ""; } return; }
      ask(text).then(function (answer) {
        var unit = answer.unit && answer.units.filter(function (u) { return u.unit === answer.unit; })[0];
        if (hint) {
          hint.className = "unit-hint" + (answer.known ? "" : " warn");
          hint.textContent = unit ? ["房屋清单：" + unit.unit, unit.owner, unit.status].filter(Boolean).join(" · ")
            : (answer.known ? "" : "此房号不在房屋清单中，请核对");
        }
        if (!unit) { return; }
        if (input.value !== unit.unit) {  // the office's one spelling, as it will be stored
          input.value = unit.unit;
          input.dispatchEvent(new Event("input", { bubbles: true }));
        }
        var form = input.form;
        [["name", unit.owner], ["phone", unit.phone]].forEach(function (pair) {
          var field = form && form.querySelector('[data-resident="' + pair[0] + '"]');
          if (field && !field.value && pair[1]) {
            field.value = pair[1];
            field.dispatchEvent(new Event("input", { bubbles: true }));
          }
        });
      }).catch(function () {});
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(suggest, 200); });
    input.addEventListener("change", chosen);
  }

  document.querySelectorAll("input[data-units]").forEach(setupUnits);
  document.querySelectorAll("form[data-check]").forEach(setup);
  window.addEventListener("pageshow", function () {  // back to a page the browser kept: submit works again
    document.querySelectorAll("form[data-check] button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
})();

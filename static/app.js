/* The shell's behaviour: menus, the collapsible sidebar, the theme, the command palette
   (Ctrl/⌘-K), toasts, drawers, list selection and keyboard navigation. No inline scripts:
   the Content-Security-Policy forbids them; everything hangs on data- attributes. */
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const setCookie = (name, value) => {
    document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=31536000; SameSite=Lax`;
  };

  /* --- popover menus (New, account) ------------------------------------------------------- */
  function closePopovers(except) {
    $$("[data-popover-button][aria-expanded='true']").forEach((button) => {
      if (button === except) return;
      button.setAttribute("aria-expanded", "false");
      const pop = button.parentElement.querySelector(".popover");
      if (pop) pop.hidden = true;
    });
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-popover-button]");
    if (button) {
      const pop = button.parentElement.querySelector(".popover");
      const open = button.getAttribute("aria-expanded") !== "true";
      closePopovers(button);
      button.setAttribute("aria-expanded", String(open));
      pop.hidden = !open;
      if (open) {
        const first = pop.querySelector("a, button");
        if (first) first.focus();
      }
      return;
    }
    if (!event.target.closest(".popover")) closePopovers();
  });

  /* --- sidebar: collapse (desktop), menu (phone) ---------------------------------------------- */
  document.addEventListener("click", (event) => {
    const shell = $("[data-shell]");
    if (!shell) return;
    if (event.target.closest("[data-collapse]")) {
      const collapsed = shell.classList.toggle("collapsed");
      setCookie("sidebar", collapsed ? "collapsed" : "open");
    }
    const toggle = event.target.closest("[data-menu]");
    if (toggle) {
      const open = shell.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", String(open));
      if (open) {
        const scrim = document.createElement("div");
        scrim.className = "scrim";
        scrim.dataset.scrim = "";
        document.body.appendChild(scrim);
        const link = $("#sidebar a");
        if (link) link.focus();
      } else {
        $$("[data-scrim]").forEach((s) => s.remove());
      }
    }
    if (event.target.closest("[data-scrim]")) {
      shell.classList.remove("menu-open");
      $$("[data-scrim]").forEach((s) => s.remove());
      const button = $("[data-menu]");
      if (button) button.setAttribute("aria-expanded", "false");
    }
  });

  /* --- theme: auto → light → dark ------------------------------------------------------------ */
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-theme-cycle]")) return;
    const order = ["auto", "light", "dark"];
    const now = document.documentElement.dataset.theme || "auto";
    const next = order[(order.indexOf(now) + 1) % order.length];
    document.documentElement.dataset.theme = next;
    setCookie("theme", next);
    const label = $("[data-theme-label]");
    if (label) label.textContent = next.charAt(0).toUpperCase() + next.slice(1);
    document.dispatchEvent(new CustomEvent("tandem:theme"));
  });

  /* --- toasts ------------------------------------------------------------------------------- */
  function toast(message, undoUrl) {
    const box = $("[data-toasts]");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast";
    item.setAttribute("role", "status");
    const text = document.createElement("span");
    text.textContent = message;
    item.appendChild(text);
    if (undoUrl) {
      const form = document.createElement("form");
      form.method = "post";
      form.action = undoUrl;
      const csrf = document.createElement("input");
      csrf.type = "hidden";
      csrf.name = "csrfmiddlewaretoken";
      csrf.value = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
      const undo = document.createElement("button");
      undo.type = "submit";
      undo.textContent = "Undo";
      form.append(csrf, undo);
      item.appendChild(form);
    }
    box.appendChild(item);
    setTimeout(() => item.remove(), undoUrl ? 10000 : 5000);
  }
  window.tandemToast = toast;
  document.body.addEventListener("tandem:toast", (event) => toast(event.detail.value, event.detail.undo));
  // success messages from the server become toasts; errors stay in the page
  $$(".messages li.success").forEach((li) => {
    toast(li.textContent, li.dataset.undo);
    li.remove();
  });
  $$(".messages").forEach((ul) => { if (!ul.children.length) ul.remove(); });

  /* --- drawers and modals: htmx swaps a form into #drawer-body, then the drawer opens -------- */
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.id !== "drawer-body") return;
    const dialog = document.getElementById("drawer");
    const title = event.target.querySelector("[data-drawer-title]");
    $("[data-drawer-heading]", dialog).textContent = title ? title.textContent : "";
    if (!dialog.open) dialog.showModal();
    const field = event.target.querySelector(".has-error input, .has-error select, input:not([type=hidden]), select, textarea");
    if (field) field.focus();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-close]")) {
      const dialog = event.target.closest("dialog");
      if (dialog) dialog.close();
    }
    if (event.target.matches("dialog.drawer, dialog.modal")) event.target.close();
  });

  /* --- tabs: [data-tabs] with role=tab buttons controlling role=tabpanel panels ------------------ */
  function showTab(tab) {
    const list = tab.closest("[data-tabs]");
    $$("[role=tab]", list).forEach((t) => {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    history.replaceState(null, "", `#${tab.id}`);
  }
  document.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-tabs] [role=tab]");
    if (tab) showTab(tab);
  });
  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest("[data-tabs] [role=tab]");
    if (!tab || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
    const tabs = $$("[role=tab]", tab.closest("[data-tabs]"));
    let i = tabs.indexOf(tab);
    if (event.key === "ArrowRight") i = (i + 1) % tabs.length;
    if (event.key === "ArrowLeft") i = (i - 1 + tabs.length) % tabs.length;
    if (event.key === "Home") i = 0;
    if (event.key === "End") i = tabs.length - 1;
    tabs[i].focus();
    showTab(tabs[i]);
    event.preventDefault();
  });
  if (location.hash.startsWith("#tab-")) {
    const tab = document.getElementById(location.hash.slice(1));
    if (tab && tab.closest("[data-tabs]")) showTab(tab);
  }

  /* --- command palette ----------------------------------------------------------------------- */
  const palette = $("[data-palette]");
  let items = [];
  let selected = 0;
  let timer = null;
  function render(list) {
    const ul = $("[data-palette-list]");
    ul.innerHTML = "";
    items = [];
    let group = null;
    list.forEach((entry) => {
      if (entry.group !== group) {
        group = entry.group;
        const head = document.createElement("li");
        head.className = "group";
        head.setAttribute("role", "presentation");
        head.textContent = group;
        ul.appendChild(head);
      }
      const li = document.createElement("li");
      li.setAttribute("role", "presentation");
      const a = document.createElement("a");
      a.href = entry.url;
      a.setAttribute("role", "option");
      a.id = `palette-${items.length}`;
      const label = document.createElement("span");
      label.textContent = entry.label;
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = entry.hint || "";
      a.append(label, hint);
      li.appendChild(a);
      ul.appendChild(li);
      items.push(a);
    });
    if (!items.length) {
      const empty = document.createElement("li");
      empty.className = "group";
      empty.textContent = "Nothing found";
      ul.appendChild(empty);
    }
    select(0);
  }
  function select(index) {
    if (!items.length) return;
    selected = (index + items.length) % items.length;
    items.forEach((a, i) => a.setAttribute("aria-selected", String(i === selected)));
    items[selected].scrollIntoView({ block: "nearest" });
    $("[data-palette-input]").setAttribute("aria-activedescendant", items[selected].id);
  }
  async function search(query) {
    const input = $("[data-palette-input]");
    const response = await fetch(`${input.dataset.source}?q=${encodeURIComponent(query)}`);
    if (response.ok) render(await response.json());
  }
  function openPalette(query) {
    if (!palette) return;
    closePopovers();
    const input = $("[data-palette-input]");
    input.value = query || "";
    palette.showModal();
    input.focus();
    search(input.value);
  }
  window.tandemPalette = openPalette;
  if (palette) {
    const input = $("[data-palette-input]");
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => search(input.value), 120);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); select(selected + 1); }
      if (event.key === "ArrowUp") { event.preventDefault(); select(selected - 1); }
      if (event.key === "Enter" && items[selected]) { event.preventDefault(); window.location.href = items[selected].href; }
    });
    palette.addEventListener("click", (event) => { if (event.target === palette) palette.close(); });
  }
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
      event.preventDefault();
      openPalette("");
    }
    if (event.key === "Escape") closePopovers();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-palette-button]")) openPalette("");
    if (event.target.closest("[data-back]")) history.back();
    const toaster = event.target.closest("[data-toast]");
    if (toaster) toast(toaster.dataset.toast);
  });
  const opener = $("[data-palette-opener]");
  if (opener && palette) {
    opener.addEventListener("keydown", (event) => {
      if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !opener.value) {
        event.preventDefault();
        openPalette(event.key);
      }
    });
  }

  /* --- lists: select rows for bulk actions, keyboard navigation (j/k, Enter, x) -------------------- */
  function refreshBulk(table) {
    const form = table.closest("[data-bulk]");
    if (!form) return;
    const checked = $$("tbody input[data-row-check]:checked", table);
    const bar = $("[data-bulk-bar]", form);
    if (bar) {
      bar.hidden = checked.length === 0;
      const count = $("[data-bulk-count]", bar);
      if (count) count.textContent = `${checked.length} selected`;
    }
    $$("tbody tr", table).forEach((tr) => {
      const box = $("input[data-row-check]", tr);
      if (box) tr.setAttribute("aria-selected", String(box.checked));
    });
  }
  document.addEventListener("change", (event) => {
    const all = event.target.closest("[data-check-all]");
    const table = event.target.closest("table");
    if (all && table) $$("tbody input[data-row-check]", table).forEach((box) => { box.checked = all.checked; });
    if (table && (all || event.target.matches("[data-row-check]"))) refreshBulk(table);
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea, [contenteditable]") || event.ctrlKey || event.metaKey) return;
    const table = $("table[data-keys]");
    if (!table) return;
    const rows = $$("tbody tr", table).filter((tr) => tr.querySelector("a"));
    if (!rows.length) return;
    let index = rows.findIndex((tr) => tr.classList.contains("kb-focus"));
    if (event.key === "j" || event.key === "k") {
      index = event.key === "j" ? Math.min(index + 1, rows.length - 1) : Math.max(index - 1, 0);
      rows.forEach((tr) => tr.classList.remove("kb-focus"));
      rows[index].classList.add("kb-focus");
      rows[index].querySelector("a").focus();
    } else if (event.key === "x" && index >= 0) {
      const box = $("input[data-row-check]", rows[index]);
      if (box) { box.checked = !box.checked; refreshBulk(table); }
    }
  });

  /* --- column chooser: remember the columns a user shows per list ----------------------------------- */
  function applyColumns(root) {
    $$("[data-columns]", root).forEach((chooser) => {
      const table = $(chooser.dataset.columns);
      if (!table) return;
      const key = `cols:${chooser.dataset.key}`;
      const hidden = new Set(JSON.parse(localStorage.getItem(key) || "[]"));
      $$("input[type=checkbox]", chooser).forEach((box) => {
        box.checked = !hidden.has(box.value);
        $$(`[data-col="${box.value}"]`, table).forEach((cell) => { cell.hidden = hidden.has(box.value); });
      });
    });
  }
  document.addEventListener("change", (event) => {
    const chooser = event.target.closest("[data-columns]");
    if (!chooser) return;
    const hidden = $$("input[type=checkbox]", chooser).filter((b) => !b.checked).map((b) => b.value);
    localStorage.setItem(`cols:${chooser.dataset.key}`, JSON.stringify(hidden));
    applyColumns(document);
  });
  applyColumns(document);
  document.body.addEventListener("htmx:afterSwap", (event) => applyColumns(event.target.parentElement || document));
  /* --- pickers: type part of a name, choose a record; the hidden input keeps its id ------------------ */
  function pickerParts(picker) {
    return { value: $("[data-picker-value]", picker), text: $("[data-picker-text]", picker), list: $(".picker-list", picker) };
  }
  function pickerClose(picker) {
    const { text, list } = pickerParts(picker);
    list.hidden = true;
    text.setAttribute("aria-expanded", "false");
    text.removeAttribute("aria-activedescendant");
  }
  function pickerActive(picker, index) {
    const { text, list } = pickerParts(picker);
    const options = $$("[role=option]", list);
    options.forEach((o, i) => o.setAttribute("aria-selected", i === index ? "true" : "false"));
    if (options[index]) { text.setAttribute("aria-activedescendant", options[index].id); options[index].scrollIntoView({ block: "nearest" }); }
  }
  function pickerChoose(picker, option) {
    const { value, text, list } = pickerParts(picker);
    if (option.dataset.create) {  // "Create …": the server makes it, answers it as the option
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      htmx.ajax("POST", option.dataset.create, { target: list, swap: "innerHTML", values: { q: option.dataset.q }, headers });
      return;
    }
    value.value = option.dataset.value;
    text.value = option.dataset.label;
    picker.dataset.label = option.dataset.label;
    pickerClose(picker);
    value.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const list = event.target;
    if (!list.classList || !list.classList.contains("picker-list")) return;
    const picker = list.closest("[data-picker]");
    list.hidden = false;
    pickerParts(picker).text.setAttribute("aria-expanded", "true");
    pickerActive(picker, 0);
    const created = $("[data-just-created]", list);
    if (created) pickerChoose(picker, created);
  });
  document.addEventListener("mousedown", (event) => {
    const option = event.target.closest(".picker-list [role=option]");
    if (!option) return;
    event.preventDefault();
    pickerChoose(option.closest("[data-picker]"), option);
  });
  document.addEventListener("keydown", (event) => {
    const text = event.target.closest && event.target.closest("[data-picker-text]");
    if (!text) return;
    const picker = text.closest("[data-picker]");
    const { list } = pickerParts(picker);
    const options = $$("[role=option]", list);
    const current = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      pickerActive(picker, Math.max(0, Math.min(options.length - 1, current + step)));
    } else if (event.key === "Enter" && !list.hidden && options[current]) {
      event.preventDefault();
      pickerChoose(picker, options[current]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.stopPropagation();
      pickerClose(picker);
    }
  });
  document.addEventListener("focusout", (event) => {
    const picker = event.target.closest && event.target.closest("[data-picker]");
    if (!picker) return;
    setTimeout(() => {
      if (picker.contains(document.activeElement)) return;
      const { value, text } = pickerParts(picker);
      pickerClose(picker);
      if (!text.value.trim()) { value.value = ""; picker.dataset.label = ""; }
      else text.value = picker.dataset.label || "";  // typed but not chosen: keep what was there
    }, 120);
  });
})();

/* "Add a row" for builders posted as <prefix>-<n>-<key>: the button clones a <template> whose
   __n__ / __number__ stand for the row's index and number, and counts it in the form's
   [data-row-count]. */
(() => {
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-add-row]");
    if (!button) return;
    const table = document.getElementById(button.dataset.addRow);
    const template = document.getElementById(button.dataset.template);
    const count = button.form ? button.form.querySelector("[data-row-count]")
      : button.closest("form").querySelector("[data-row-count]");
    if (!table || !template || !count) return;
    const n = parseInt(count.value, 10) || 0;
    const html = template.innerHTML.replaceAll("__n__", String(n))
      .replaceAll("__number__", String(n + 1));
    table.tBodies[0].insertAdjacentHTML("beforeend", html);
    count.value = String(n + 1);
    const first = table.tBodies[0].lastElementChild.querySelector("select, input");
    if (first) first.focus();
  });
})();

/* A tab strip wider than the screen shows its current tab. */
(() => {
  const current = document.querySelector(".tabs [aria-current=page]");
  if (current && current.parentElement.scrollWidth > current.parentElement.clientWidth) {
    current.parentElement.scrollLeft = current.offsetLeft - 16;
  }
})();

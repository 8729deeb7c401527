// The segment builder: add and remove conditions and groups; a changed field, operator or
// period asks the server for the row again (qb-refresh); any change recounts (qb-changed).
(function () {
  "use strict";
  const builder = document.querySelector("[data-qb]");
  if (!builder) return;
  const form = builder.closest("form");
  const maxDepth = Number(builder.dataset.maxDepth || 3);
  let serial = 0;

  function freshId() {
    serial += 1;
    return "x" + Date.now().toString(36) + serial.toString(36);
  }

  function fromTemplate(id, swaps) {
    let html = document.getElementById(id).innerHTML;
    for (const [from, to] of Object.entries(swaps)) html = html.split(from).join(to);
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function changed() {
    form.dispatchEvent(new Event("qb-changed", { bubbles: true }));
  }

  function add(group, kind) {
    const gid = group.dataset.qbGroup;
    const depth = Number(group.dataset.depth || 1);
    const node = kind === "group"
      ? fromTemplate("qb-group-template", { __GID__: freshId(), __ID__: freshId(), __PARENT__: gid })
      : fromTemplate("qb-row-template", { __ID__: freshId(), __PARENT__: gid });
    if (kind === "group") {
      node.dataset.depth = String(depth + 1);
      if (depth + 1 >= maxDepth) node.querySelector('[data-qb-add="group"]')?.remove();
    }
    group.querySelector(":scope > .qb-rules").appendChild(node);
    if (window.htmx) window.htmx.process(node);
    node.querySelector("select")?.focus();
  }

  builder.addEventListener("click", (event) => {
    const adder = event.target.closest("[data-qb-add]");
    if (adder) {
      add(adder.closest("[data-qb-group]"), adder.dataset.qbAdd);
      return;
    }
    const remover = event.target.closest("[data-qb-remove]");
    if (remover) {
      const node = remover.closest("[data-qb-node]");
      const group = node.parentElement.closest("[data-qb-group]");
      node.remove();
      (group?.querySelector('[data-qb-add="row"]'))?.focus();
      changed();
    }
  });

  builder.addEventListener("change", (event) => {
    if (event.target.matches("[data-qb-refresh]")) {
      // the row comes back from the server first; the count follows (afterSettle below)
      event.stopPropagation();
      event.target.closest(".qb-row").dispatchEvent(new Event("qb-refresh"));
    }
  });

  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.target.closest && event.target.closest(".qb-row")) changed();
  });

  // the group's "all"/"any" shows between its rules
  builder.addEventListener("change", (event) => {
    if (event.target.name && /^g-.*-match$/.test(event.target.name)) {
      event.target.closest("[data-qb-group]").querySelector(":scope > .qb-rules").dataset.match =
        event.target.value;
    }
  });
})();

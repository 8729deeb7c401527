/* Reordering stages by dragging their rows; the arrows in each row are the keyboard's way. */
(function () {
  "use strict";
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const row = event.target.closest && event.target.closest("tr[data-stage-id]");
    if (!row) return;
    dragged = row;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.dataset.stageId);
  });
  document.addEventListener("dragover", (event) => {
    const row = event.target.closest && event.target.closest("tr[data-stage-id]");
    if (!row || !dragged || row.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    const after = event.clientY > row.getBoundingClientRect().top + row.offsetHeight / 2;
    row.parentNode.insertBefore(dragged, after ? row.nextSibling : row);
  });
  document.addEventListener("drop", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const table = dragged.closest("table[data-reorder]");
    const ids = Array.from(table.querySelectorAll("tr[data-stage-id]")).map((r) => r.dataset.stageId);
    const form = document.createElement("form");
    form.method = "post";
    form.action = table.dataset.reorder;
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    form.append(Object.assign(document.createElement("input"), { type: "hidden", name: "csrfmiddlewaretoken", value: token ? token.value : "" }));
    form.append(Object.assign(document.createElement("input"), { type: "hidden", name: "order", value: ids.join(",") }));
    document.body.append(form);
    dragged = null;
    form.submit();
  });
})();

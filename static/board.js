// Drag and drop for the pipeline board: dropping a card posts the move through htmx.
// The keyboard path is the "Move to" form on every card; this only adds the mouse path.
(function () {
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-opp]");
    if (card) {
      event.dataTransfer.setData("text/plain", card.dataset.opp);
      event.dataTransfer.effectAllowed = "move";
    }
  });
  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest("[data-stage]");
    if (column) {
      event.preventDefault();
      document.querySelectorAll(".drop-target").forEach(function (c) { if (c !== column) c.classList.remove("drop-target"); });
      column.classList.add("drop-target");
    }
  });
  document.addEventListener("dragend", function () {
    document.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });
  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest("[data-stage]");
    var id = event.dataTransfer.getData("text/plain");
    if (!column || !/^\d+$/.test(id)) return;
    event.preventDefault();
    var owner = new URLSearchParams(window.location.search).get("owner") || "";
    htmx.ajax("POST", "/sales/opportunities/" + id + "/move", {
      source: column,
      target: "#board",
      swap: "outerHTML",
      values: { stage: column.dataset.stage, from: "board", owner: owner },
    });
  });
})();
